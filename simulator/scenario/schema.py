"""The scenario's schema: one frozen pydantic model per section, each field described once.

Every number a user can set lives here, once, with its default (the 2005 proposal as written),
its unit, a description, its bounds and its **role** in a run (:data:`ROLES`). The app builds its
editor from this metadata (:func:`field_specs`), the CLI's ``--set`` and the library's
:meth:`Scenario.with_overrides` address the same fields by dotted name (``"naef.coupon_rate"``),
and what an analysis may vary is read from the roles (:func:`keys_with`).

Bad input raises :class:`~simulator.scenario.errors.ScenarioError` with one line that names the
file, the field, what it got and what it wants.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import annotated_types as at
import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from .errors import ScenarioError, describe, field_name, suggest

__all__ = [
    "CORRELATION_WANT",
    "DERIVED_AT_MOST",
    "DERIVED_FROM",
    "MAX_SEED",
    "ROLES",
    "SECTIONS",
    "SECTION_TITLES",
    "TOP_FIELDS",
    "Credit",
    "Duty",
    "FieldSpec",
    "Fiscal",
    "Hedge",
    "Horizon",
    "Mdf",
    "Naef",
    "OilPrice",
    "Pemex",
    "Regime",
    "Reporting",
    "Risks",
    "Role",
    "Scenario",
    "Sensitivity",
    "Simulation",
    "Waterfall",
    "check_keys",
    "correlation_problem",
    "field_specs",
    "iter_fields",
    "keys_with",
    "set_dotted",
    "validate_scenario",
]

#: Largest seed: 2**53 - 1, the largest integer that JSON readers and browsers keep exactly.
MAX_SEED = 2**53 - 1

# A float that refuses strings and booleans (ints are fine); NaN and inf are refused by the config.
Real = Annotated[float, Strict()]
Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]

Role = Literal["path", "plan", "draws", "setup"]

#: What each role means for a run; every field of a model section declares one.
ROLES: Mapping[str, str] = {
    "path": "a model input the formulas read path by path: it may differ from path to path "
    "(a float of it may vary between the parameter sets of one vectorized run)",
    "plan": "shapes the deterministic part of the run (debt schedule, capacity bought, "
    "production profile, discount factors), computed once per parameter set",
    "draws": "changes the number or the meaning of each path's random draws: two runs compared "
    "on common random numbers must agree on it",
    "setup": "the Monte Carlo set-up or the presentation (paths, seed, calendar labels, "
    "percentiles): it changes no model number",
}


def _f(
    default: Any,
    description: str,
    unit: str,
    *,
    role: Role,
    derived_from: str | None = None,
    derived_at_most: str | None = None,
    **bounds: Any,
) -> Any:
    """A field with its default, description, unit and role (in the JSON schema) and bounds.

    ``derived_from``: a field that may be null takes, when null, the value of this field;
    ``derived_at_most``: and no more than the value of this one.
    """
    extra: dict[str, Any] = {"unit": unit, "role": role}
    if derived_from is not None:
        extra["derived_from"] = derived_from
    if derived_at_most is not None:
        extra["derived_at_most"] = derived_at_most
    return Field(default, description=description, json_schema_extra=extra, **bounds)


class _Section(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, validate_default=True
    )


class Horizon(_Section):
    """Calendar span of the simulation."""

    start_year: Int = _f(
        2006,
        "First simulated calendar year (year index t = 0).",
        "year",
        ge=1900,
        le=2200,
        role="setup",
    )
    years: Int = _f(35, "Number of simulated years.", "years", ge=1, le=200, role="draws")


class Simulation(_Section):
    """Monte Carlo size and seed (the CLI's --paths and --seed override them)."""

    paths: Int = _f(
        10_000, "Number of Monte Carlo paths.", "paths", ge=1, le=20_000_000, role="setup"
    )
    seed: Int = _f(
        20050401,
        "Seed of the random streams; same seed, same results to the bit.",
        "-",
        ge=0,
        le=MAX_SEED,
        role="setup",
    )


PriceModel = Literal["gbm", "mean_reverting", "two_factor", "bootstrap", "deck"]
PriceList = tuple[Annotated[Real, Field(gt=0, le=10_000)], ...]


class OilPrice(_Section):
    """Benchmark (WTI) oil price paths and the realized Mexican export price."""

    model: PriceModel = _f(
        "mean_reverting",
        "Price model: gbm, mean_reverting (one-factor "
        "Schwartz), two_factor (Schwartz-Smith), bootstrap (the mean-reverting step driven by "
        "blocks of historical AR(1) residuals, standardized) or deck (fixed list).",
        "-",
        role="draws",
    )
    basis: Literal["real", "nominal"] = _f(
        "real",
        "Dollars the price levels (initial, long-run, deck) are set in: real, constant "
        "dollars of the year before start_year, turned nominal by inflation_rate (nominal P[t] "
        "= real P[t] (1 + inflation_rate)^(t+1)); nominal: as they are. Fixed and historical "
        "prices are always nominal; every output is nominal.",
        "-",
        role="path",
    )
    inflation_rate: Real = _f(
        0.025,
        "U.S. inflation that turns real price levels nominal (basis real): 2.5%, the 2005 "
        "long-run expectation (Philadelphia Fed, Survey of Professional Forecasters, median "
        "10-year CPI inflation: 2.45-2.50% in each 2005 survey; Cleveland Fed model, 10-year "
        "2.44%).",
        "1/year",
        ge=-0.1,
        le=0.5,
        role="path",
    )
    initial_usd_per_bbl: Real = _f(
        56.64,
        "Benchmark price on which the model starts, in the basis's dollars (2005 WTI "
        "average, EIA).",
        "USD/bbl",
        gt=0,
        le=10_000,
        role="path",
    )
    long_run_usd_per_bbl: Real = _f(
        53.15,
        "Long-run median price of the mean-reverting model (and bootstrap), in the basis's "
        "dollars; start of the long-term factor of the two-factor model (53.15: naef "
        "calibrate on EIA annual WTI 2000-2024 in 2005 dollars).",
        "USD/bbl",
        gt=0,
        le=10_000,
        role="path",
    )
    mean_reversion_per_year: Real = _f(
        0.3485,
        "Speed of mean reversion k of ln P (0.3485: naef calibrate on EIA annual WTI "
        "2000-2024 in 2005 dollars; Kendall bias-corrected 0.18).",
        "1/year",
        ge=0,
        le=10,
        role="path",
    )
    volatility: Real = _f(
        0.2847,
        "Continuous-time volatility of ln P (gbm, mean_reverting, bootstrap); the one-step "
        "spread of the exact annual step is smaller (0.2847: naef calibrate on EIA annual WTI "
        "2000-2024 in 2005 dollars, one-step spread 0.242).",
        "1/sqrt(year)",
        ge=0,
        le=3,
        role="path",
    )
    drift_per_year: Real = _f(
        0.0, "Drift of the gbm model (expected growth of P).", "1/year", ge=-1, le=1, role="path"
    )
    short_term_volatility: Real = _f(
        0.29,
        "Volatility of the short-term factor (two_factor).",
        "1/sqrt(year)",
        ge=0,
        le=3,
        role="path",
    )
    long_term_volatility: Real = _f(
        0.15,
        "Volatility of the long-term factor (two_factor).",
        "1/sqrt(year)",
        ge=0,
        le=3,
        role="path",
    )
    long_term_drift_per_year: Real = _f(
        0.0, "Drift of the long-term log level (two_factor).", "1/year", ge=-1, le=1, role="path"
    )
    correlation: Real = _f(
        0.3,
        "Correlation of the short- and long-term shocks (two_factor).",
        "-",
        ge=-1,
        le=1,
        role="path",
    )
    bootstrap_block_years: Int = _f(
        3, "Block length of the historical bootstrap.", "years", ge=1, le=50, role="draws"
    )
    deck_usd_per_bbl: PriceList = _f(
        (),
        "Price deck by year (model deck), in the basis's dollars; a short deck holds its "
        "last price flat.",
        "USD/bbl",
        role="path",
    )
    fixed_path_usd_per_bbl: PriceList = _f(
        (),
        "Nominal prices fixed for the first years (futures strip or history); the model "
        "continues from the last (deflated by U.S. CPI when the basis is real).",
        "USD/bbl",
        role="path",
    )
    history_usd_per_bbl: PriceList = _f(
        (),
        "Annual prices whose AR(1) residuals in log price, centred and standardized, the "
        "bootstrap resamples; empty: built-in WTI annual averages 1986-2025.",
        "USD/bbl",
        role="path",
    )
    realized_price_factor: Real = _f(
        0.85,
        "Mexican export mix price as a fraction of the benchmark (15-25% under WTI in 2003-08).",
        "-",
        gt=0,
        le=2,
        role="path",
    )
    gas_price_ratio: Real = _f(
        0.35,
        "Gas price per boe as a fraction of the benchmark oil price.",
        "-",
        ge=0,
        le=5,
        role="path",
    )


class Naef(_Section):
    """North American Energy Fund securities."""

    issuance_usd_bn: tuple[Annotated[Real, Field(ge=0, le=10_000)], ...] = _f(
        (15.0, 15.0, 15.0, 15.0, 15.0),
        "Tranche issued at the end of each year from year 0.",
        "USD bn",
        role="plan",
    )
    issuance_cost_rate: Real = _f(
        0.01, "Issuance cost as a fraction of the face value.", "-", ge=0, lt=1, role="plan"
    )
    coupon_rate: Real = _f(
        0.06, "Coupon on the outstanding balance.", "1/year", ge=0, le=1, role="plan"
    )
    tenor_years: Int = _f(
        20,
        "Years of debt service of a tranche after its issue.",
        "years",
        ge=1,
        le=100,
        role="plan",
    )
    grace_years: Int = _f(
        5,
        "Interest-only years at the start of a tranche's service.",
        "years",
        ge=0,
        le=99,
        role="plan",
    )
    amortization: Literal["level", "linear", "bullet", "sculpted"] = _f(
        "sculpted",
        "Principal repayment after the grace years: level annuity, linear, bullet, or sculpted "
        "(each tranche's service follows its own base-case CFADS at target_dscr).",
        "-",
        role="plan",
    )
    target_dscr: Real = _f(
        1.5,
        "Coverage of sculpted service: service = the tranche's base-case CFADS / this; a "
        "tranche whose CFADS cannot repay it within its tenor at this coverage is sized at "
        "the coverage that does (assumption: 1.5, the level of project-finance teaching "
        "examples; no published norm for oil).",
        "-",
        ge=1,
        le=10,
        role="plan",
    )
    sizing_long_run_usd_per_bbl: Real | None = _f(
        None,
        "Long-run price level of the expectation sculpted service is sized on: the price "
        "model's median path from its initial price, without the fixed history, reverting to "
        "this level (mean_reverting and two_factor); null: oil_price.long_run_usd_per_bbl. "
        "Set it to size the debt on one expectation and run it in another price world.",
        "USD/bbl",
        gt=0,
        le=10_000,
        role="plan",
        derived_from="oil_price.long_run_usd_per_bbl",
    )
    capitalized_interest_years: Int | None = _f(
        None,
        "Years of its interest each tranche's interest reserve, funded from its proceeds at "
        "issue, pays when due; null: pemex.lag_years (at most tenor_years), the years to "
        "first production, as "
        "interest is commonly capitalized for the construction period (MSRB glossary, "
        "'capitalized interest'); 0: none.",
        "years",
        ge=0,
        le=100,
        role="plan",
        derived_from="pemex.lag_years",
        derived_at_most="naef.tenor_years",
    )
    recovery_rate: Real = _f(
        0.4,
        "Share of what is still unpaid when the loss crystallizes (the last final maturity "
        "plus credit.tail_years) that holders recover then (assumption: 40%, the round "
        "figure of senior unsecured recoveries).",
        "-",
        ge=0,
        le=1,
        role="path",
    )
    sizing: Literal["face", "net_capex"] = _f(
        "face",
        "face: issuance_usd_bn is the face value and capex what is left after fees, the "
        "interest reserve and the reserve account funded at close; net_capex: the face is "
        "grossed up so that capex equals issuance_usd_bn (proposal: US$75bn of securities).",
        "-",
        role="plan",
    )


class Pemex(_Section):
    """Pemex investment, incremental production and its costs."""

    capex_usd_per_flowing_bpd: Real = _f(
        40_000.0,
        "Capital cost of one barrel per day of plateau capacity.",
        "USD/(bbl/d)",
        ge=1,
        le=1_000_000,
        role="plan",
    )
    capex_overrun_sd: Real = _f(
        0.25,
        "Log standard deviation of the capex overrun factor "
        "(median 1; production is divided by it).",
        "-",
        ge=0,
        le=3,
        role="path",
    )
    lag_years: Int = _f(
        3, "Years from capex to first production.", "years", ge=0, le=30, role="plan"
    )
    ramp_years: Int = _f(
        2, "Years of linear ramp-up to plateau.", "years", ge=0, le=30, role="plan"
    )
    plateau_years: Int = _f(5, "Years at plateau.", "years", ge=0, le=100, role="plan")
    decline_rate: Real = _f(
        0.12, "Initial Arps decline rate D after the plateau.", "1/year", ge=0, le=5, role="plan"
    )
    decline_b: Real = _f(
        0.0, "Arps b exponent (0 exponential, 1 harmonic).", "-", ge=0, le=2, role="plan"
    )
    reservoir_factor_sd: Real = _f(
        0.15,
        "Log standard deviation of the reservoir factor "
        "(median 1; production is multiplied by it).",
        "-",
        ge=0,
        le=3,
        role="path",
    )
    gas_share_boe: Real = _f(
        0.15,
        "Share of the added barrels of oil equivalent that is gas.",
        "-",
        ge=0,
        le=1,
        role="path",
    )
    opex_usd_per_boe: Real = _f(
        5.0, "Lifting cost in year 0 ($4.13/bbl in 2006).", "USD/boe", ge=0, le=1000, role="path"
    )
    cost_inflation: Real = _f(
        0.03, "Yearly growth of the lifting cost.", "1/year", ge=-0.5, le=1, role="path"
    )
    cost_price_elasticity: Real = _f(
        0.3,
        "Elasticity of the lifting cost and of what capex buys to the oil price's deviation "
        "from the path expected at issue: both scale with (P[t] / P_expected[t])^this (0.3: "
        "a 10% rise in the oil price raises drilling costs by 3%, Toews and Naumov, 'The "
        "Relationship Between Oil Price and Costs in the Oil Industry', The Energy Journal "
        "36, 2015; 0: costs ignore oil).",
        "-",
        ge=0,
        le=3,
        role="path",
    )
    oversight_cost_usd_bn_per_year: Real = _f(
        0.05,
        "Cost of the independent control system the proposal requires.",
        "USD bn/year",
        ge=0,
        le=100,
        role="path",
    )
    us_export_share: Real = _f(
        0.85, "Share of the added oil that goes to the United States.", "-", ge=0, le=1, role="path"
    )


class Risks(_Section):
    """How the per-path risks move together, and the export mix's own risk.

    The three correlations are the upper triangle of the correlation matrix of (price shock,
    capex overrun, reservoir), applied through a Gaussian copula on the same standard
    normals; the matrix must be positive semidefinite.
    """

    price_overrun_correlation: Real = _f(
        0.0,
        "Correlation of the capex overrun's normal with the price shock of its spending "
        "years (assumption: 0, the price link of costs is cost_price_elasticity's).",
        "-",
        ge=-1,
        le=1,
        role="path",
    )
    price_reservoir_correlation: Real = _f(
        0.0,
        "Correlation of the reservoir factor's normal with the price shock of the spending "
        "years (assumption: 0, geology does not follow the price).",
        "-",
        ge=-1,
        le=1,
        role="path",
    )
    overrun_reservoir_correlation: Real = _f(
        0.0,
        "Correlation of the capex overrun's and the reservoir factor's normals (assumption: "
        "0, no published estimate).",
        "-",
        ge=-1,
        le=1,
        role="path",
    )
    export_mix_sd: Real = _f(
        0.10,
        "Standard deviation of the log export-mix factor around its mean "
        "(oil_price.realized_price_factor), a stationary AR(1); 0: the factor is fixed "
        "(0.10: the spread of ln(mix / WTI) over six annual averages, 2003-2023, 0.107, "
        "Pemex figures in the press; mostly the wide 2003-04 heavy-light discount).",
        "-",
        ge=0,
        le=1,
        role="path",
    )
    export_mix_persistence: Real = _f(
        0.8,
        "Year-to-year autocorrelation of the log export-mix factor, its AR(1) coefficient "
        "(assumption: the discount moves in regimes lasting years, wide in 2003-04 and "
        "2-9% from 2009; no annual series was found to fit it).",
        "-",
        ge=0,
        le=0.99,
        role="path",
    )


#: What a refused correlation matrix wants (the offending entries named, in order).
CORRELATION_WANT = (
    "price_overrun_correlation, price_reservoir_correlation and "
    "overrun_reservoir_correlation that make a positive semidefinite matrix (these give a "
    "smallest eigenvalue of {eigenvalue:.3g}): move one toward 0"
)


def correlation_problem(
    price_overrun: Any, price_reservoir: Any, overrun_reservoir: Any
) -> tuple[int, float] | None:
    """The first set whose correlation matrix is not positive semidefinite, and its smallest
    eigenvalue; None when every one is.

    A 3 x 3 matrix with unit diagonal and entries in [-1, 1] is positive semidefinite exactly
    when its determinant ``1 + 2 a b c - a^2 - b^2 - c^2`` is >= 0. Arguments are floats or
    arrays of one value per set.
    """
    a, b, c = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(x, dtype=float))
            for x in (price_overrun, price_reservoir, overrun_reservoir)
        )
    )
    det = 1.0 + 2.0 * a * b * c - a * a - b * b - c * c
    bad = det < -1e-12
    if not bad.any():
        return None
    i = int(np.argmax(bad))
    m = np.array([[1.0, a[i], b[i]], [a[i], 1.0, c[i]], [b[i], c[i], 1.0]])
    return i, float(np.linalg.eigvalsh(m)[0])


class Credit(_Section):
    """How the notes' credit is read: when losses crystallize, the rating table, the rates."""

    tail_years: Int = _f(
        1,
        "Years after the last final maturity at which what is still unpaid becomes a loss "
        "(assumption).",
        "years",
        ge=0,
        le=30,
        role="setup",
    )
    rating_table: Literal["moodys_1970_2013", "sp_1981_2019"] = _f(
        "moodys_1970_2013",
        "Published table of average cumulative default rates the implied rating reads "
        "(Moody's 1970-2013, horizons to 20 years; S&P 1981-2019, to 15 years).",
        "-",
        role="setup",
    )
    rating_cap: Literal["none", "1", "2", "3", "4", "5", "6"] = _f(
        "none",
        "Best rating the notes may get, as a rank of the table's ratings (1 the best, e.g. "
        "4 = Baa/BBB); none: no cap (future-flow deals rate only a few notches above the "
        "sovereign).",
        "-",
        role="setup",
    )
    risk_free_rate: Real = _f(
        0.0465,
        "Risk-free rate of the fair coupon's discounting (4.65%: the 20-year Treasury's 2005 "
        "average, FRED GS20, near the notes' ~14-year average life).",
        "1/year",
        ge=-0.1,
        le=0.5,
        role="setup",
    )
    risk_premium: Real = _f(
        0.0,
        "Premium over the risk-free rate holders ask besides expected loss (assumption: 0).",
        "1/year",
        ge=0,
        le=0.5,
        role="setup",
    )


class Hedge(_Section):
    """Put options on the added oil, as Mexico's finance ministry buys on its exports.

    Each year's put is on the year's average Mexican export price, bought at the end of the
    year before on a share of the path's expected oil volume, priced with Black-76 on that
    year's forward; its premium is a senior operating cost and its payoff adds to CFADS.
    """

    share_of_added_oil: Real = _f(
        0.0,
        "Share of each year's expected added oil hedged with puts (0: no hedge, the proposal's "
        "terms; the finance ministry hedged roughly 200-330 mmbbl a year of Mexico's exports "
        "in 2009-2016).",
        "-",
        ge=0,
        le=1,
        role="path",
    )
    strike_moneyness: Real = _f(
        1.0,
        "Strike as a fraction of the year's forward export price (1: at the money; assumption).",
        "-",
        gt=0,
        le=5,
        role="path",
    )
    strike_usd_per_bbl: Real = _f(
        0.0,
        "A fixed strike on the export price, every year [nominal]; 0: strike_moneyness times "
        "the forward (the 2009 hedge: $70, the 2015 hedge: $76.40, the 2016 hedge: $49).",
        "USD/bbl",
        ge=0,
        le=10_000,
        role="path",
    )
    volatility_from: Literal["model", "market"] = _f(
        "model",
        "model: the put is priced at the price model's own one-step spread of ln P (the spread "
        "of the annual average the model steps); market: at implied_volatility, a market "
        "point-price volatility turned into an average-price one (times sqrt(1/3), averaging "
        "from purchase).",
        "-",
        role="path",
    )
    implied_volatility: Real = _f(
        0.35,
        "Market implied volatility of the point price, used when volatility_from is market "
        "(assumption: a typical one-year WTI option volatility).",
        "1/sqrt(year)",
        ge=0,
        le=3,
        role="path",
    )
    risk_free_rate: Real = _f(
        0.0465,
        "Rate at which the premium, paid at purchase, accrues to the year's end (4.65%: the "
        "20-year Treasury's 2005 average, FRED GS20).",
        "1/year",
        ge=-0.1,
        le=0.5,
        role="path",
    )


Rate = Annotated[Real, Field(ge=0, le=1)]
#: A price band: [above USD/bbl, rate] or [above USD/bbl, rate, slope per USD/bbl].
Band = tuple[Annotated[Real, Field(ge=0)], Real] | tuple[Annotated[Real, Field(ge=0)], Real, Real]
DutyBase = Literal["value", "profit", "export_excess"]


class Duty(_Section):
    """One duty of a fiscal regime (a frozen model; see :class:`Regime`).

    ``base``: ``value`` (the value of the added oil and gas at the export price), ``profit``
    (value less deductible costs, capped, less the duties named in ``deducts``, at least 0) or
    ``export_excess`` (the export price's excess over ``reference_usd_per_bbl`` of the year,
    times the added oil, all of it exported). The rate is ``rate``, or, when ``bands`` is set,
    that of the highest band whose price the export price exceeds: ``rate + slope (P - above)``.
    """

    name: Annotated[str, Strict()] = Field(
        ...,
        description="Name of the duty (unique within its regime).",
        min_length=1,
        max_length=60,
        pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$",
    )
    base: DutyBase = Field("value", description="value, profit or export_excess.")
    rate: Rate = Field(0.0, description="Rate on the base [-] (below the first band).")
    bands: tuple[Band, ...] = Field(
        (),
        description="Price bands of the export price [USD/bbl, nominal]: [above, rate] or "
        "[above, rate, slope per USD/bbl], ascending.",
        max_length=100,
    )
    gas_rate: Rate | None = Field(
        None, description="Rate on the gas value (value and profit bases); null: as the oil."
    )
    cap_usd_per_boe: Annotated[Real, Field(ge=0, le=10_000)] | None = Field(
        None, description="Profit base: deductions at most this per boe produced [USD/boe]."
    )
    cap_share_of_value: Rate | None = Field(
        None, description="Profit base: deductions at most this share of the value [-]."
    )
    capex_deduction_years: Annotated[int, Strict(), Field(ge=0, le=50)] = Field(
        0,
        description="Profit base: capex deducted in equal parts over this many years from the "
        "year it is spent (0: not deductible; 1: expensed).",
    )
    deducts: tuple[Annotated[str, Strict()], ...] = Field(
        (), description="Profit base: duties of the same regime, listed before, deducted."
    )
    reference_usd_per_bbl: tuple[Annotated[Real, Field(gt=0, le=10_000)], ...] = Field(
        (),
        description="export_excess: the reference (budget) price of each year from the "
        "regime's first year [USD/bbl, nominal].",
        max_length=200,
    )

    @model_validator(mode="after")
    def _check(self) -> Duty:
        floors = [b[0] for b in self.bands]
        if floors != sorted(set(floors)):
            raise _Cross("bands", floors, "band prices in strictly ascending order")
        for i, band in enumerate(self.bands):
            if not 0.0 <= band[1] <= 1.0:
                raise _Cross(f"bands[{i}]", list(band), "a rate between 0 and 1")
        if self.base == "export_excess" and not self.reference_usd_per_bbl:
            raise _Cross("reference_usd_per_bbl", [], "the reference price of each year")
        if self.base != "profit" and (
            self.cap_usd_per_boe is not None
            or self.cap_share_of_value is not None
            or self.deducts
            or self.capex_deduction_years
        ):
            raise _Cross("base", self.base, "profit for a duty with deductions or caps")
        return self


class Regime(_Section):
    """The duties in force from a calendar year until the next regime."""

    from_year: Annotated[int, Strict(), Field(ge=1900, le=2400)] = Field(
        ..., description="First calendar year the regime is in force."
    )
    duties: tuple[Duty, ...] = Field((), description="The duties, in the order they are computed.")

    @model_validator(mode="after")
    def _check(self) -> Regime:
        names: list[str] = []
        for i, duty in enumerate(self.duties):
            if duty.name in names:
                raise _Cross(f"duties[{i}].name", duty.name, "a name no other duty has")
            for other in duty.deducts:
                if other not in names:
                    raise _Cross(f"duties[{i}].deducts", other, f"a duty listed before it: {names}")
            names.append(duty.name)
        return self


class Fiscal(_Section):
    """Government take on the added production."""

    royalty_rate: Real = _f(
        0.0, "Royalty on the value of production (2025 regime: 0.30).", "-", ge=0, le=1, role="path"
    )
    profit_duty_rate: Real = _f(
        0.0, "Duty on value less costs (2006 ordinary duty ~0.79).", "-", ge=0, le=1, role="path"
    )
    regimes: tuple[Regime, ...] = _f(
        (),
        "Fiscal regimes by the year they come into force, each a list of duties (value, profit "
        "or export-excess bases; rates stepped by price band; capped deductions); empty: the "
        "two rates above for every year. A regime lasts until the next; before the first, "
        "nothing is due.",
        "-",
        role="path",
        max_length=100,
    )

    @model_validator(mode="after")
    def _check(self) -> Fiscal:
        years = [r.from_year for r in self.regimes]
        for i in range(1, len(years)):
            if years[i] == years[i - 1]:
                raise _Cross(
                    f"regimes[{i}].from_year", years[i], "one regime a year (two start then)"
                )
            if years[i] < years[i - 1]:
                raise _Cross(
                    f"regimes[{i}].from_year",
                    years[i],
                    f"a year after the previous regime's ({years[i - 1]}): regimes in order",
                )
        if self.regimes and (self.royalty_rate or self.profit_duty_rate):
            raise _Cross(
                "regimes",
                f"{len(self.regimes)} regimes",
                "royalty_rate and profit_duty_rate at 0 with regimes (one or the other)",
            )
        return self


class Waterfall(_Section):
    """Debt service reserve, backstop and the split of the surplus."""

    dsra_coverage_years: Real = _f(
        1.0,
        "Debt service reserve target in years of next year's scheduled service.",
        "years",
        ge=0,
        le=10,
        role="plan",
    )
    reserve_yield: Real = _f(
        0.03, "Yield earned on the reserve balance.", "1/year", ge=0, le=0.5, role="path"
    )
    backstop_usd_bn_per_year: Real = _f(
        5.0,
        "Pledged Pemex export revenue available each year to cover a gap.",
        "USD bn/year",
        ge=0,
        le=10_000,
        role="path",
    )
    mdf_share: Real = _f(
        1.0,
        "Share of the surplus paid to the Mexican Development Fund.",
        "-",
        ge=0,
        le=1,
        role="path",
    )
    dsra_funded_at_close: Bool = _f(
        True,
        "Fund the debt service reserve from the proceeds of each issue up to its target for "
        "the coming year (service the interest reserve pays is not counted twice); reserve "
        "funding is part of the project's cost, with interest during construction and fees "
        "(Corality, 'Debt service reserve account', 2013).",
        "-",
        role="plan",
    )
    backstop_rate: Real | None = _f(
        None,
        "Interest on backstop draws outstanding (Pemex's support is a loan); null: the coupon "
        "(assumption: Pemex lends at the securities' own rate).",
        "1/year",
        ge=0,
        le=1,
        role="path",
        derived_from="naef.coupon_rate",
    )
    backstop_basis: Literal["fixed", "price_linked"] = _f(
        "price_linked",
        "fixed: draws are capped at backstop_usd_bn_per_year; price_linked: the cap moves "
        "with the oil price, scaled by P[t] / oil_price.initial_usd_per_bbl, the price when "
        "it was pledged (assumption: a pledged volume of export revenue is worth less when "
        "oil falls).",
        "-",
        role="path",
    )
    lockup_dscr: Real = _f(
        1.2,
        "When a year's DSCR is below this, or not yet tested while debt is outstanding "
        "(construction), its surplus is trapped in the reserve account (or swept) instead of "
        "reaching the MDF, and backstop repayment waits; 0: never (assumption: loan-agreement "
        "examples put lock-up hurdles at 1.10-1.25).",
        "-",
        ge=0,
        le=10,
        role="path",
    )
    cash_sweep_share: Real = _f(
        0.0,
        "Share of the distributable surplus that prepays principal, pro rata across the "
        "tranches (each one's remaining schedule shrinks in proportion); 0: none (the "
        "proposal has none).",
        "-",
        ge=0,
        le=1,
        role="path",
    )


SectorKind = Literal["capital", "schooling", "lending"]

#: The fields each kind of sector reads beyond name, kind, share, efficiency, gestation and
#: depreciation (the others must be left null).
SECTOR_FIELDS: Mapping[str, tuple[str, ...]] = {
    "capital": ("output_elasticity", "baseline_capital_to_gdp"),
    "schooling": ("returns_to_schooling", "labour_share", "school_year_cost_to_gdp"),
    "lending": (
        "output_elasticity",
        "baseline_capital_to_gdp",
        "additionality",
        "loan_rate",
        "default_rate",
        "tenor_years",
    ),
}
_OPTIONAL_SECTOR_FIELDS = tuple(dict.fromkeys(f for fs in SECTOR_FIELDS.values() for f in fs))


class Sector(_Section):
    """One use of the Development Fund's investment (a frozen model; see :class:`Mdf`).

    ``kind``: ``capital`` (public capital: transport, water and energy; an output elasticity
    against a baseline stock), ``schooling`` (education: spending buys years of schooling with a
    Mincer return, raising output through the labour share) or ``lending`` (a revolving fund of
    loans to small firms: disbursements become the firms' capital, repayments and interest
    return to the fund). The formulas are in :mod:`simulator.model.sectors`.
    """

    name: Annotated[str, Strict()] = Field(
        ...,
        description="Name of the sector (unique within the fund).",
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$",
    )
    kind: SectorKind = Field("capital", description="capital, schooling or lending.")
    share: Rate = Field(..., description="Share of the fund's yearly investment [-].")
    efficiency: Rate = Field(
        0.7, description="Share of the spending that becomes productive capital or schooling [-]."
    )
    gestation_years: Annotated[int, Strict(), Field(ge=0, le=30)] = Field(
        0, description="Years from spending to productive use [year]; undepreciated until then."
    )
    depreciation_rate: Rate = Field(
        0.04, description="Depreciation once productive [1/year] (schooling: attrition)."
    )
    output_elasticity: Rate | None = Field(
        None, description="capital, lending: elasticity of output to the sector's capital [-]."
    )
    baseline_capital_to_gdp: Annotated[Real, Field(ge=0.01, le=10)] | None = Field(
        None, description="capital, lending: the stock without the fund, over GDP [-]."
    )
    returns_to_schooling: Annotated[Real, Field(ge=0, le=0.5)] | None = Field(
        None, description="schooling: Mincer return per year of schooling [-]."
    )
    labour_share: Rate | None = Field(None, description="schooling: labour share of income [-].")
    school_year_cost_to_gdp: Annotated[Real, Field(ge=0.001, le=10)] | None = Field(
        None,
        description="schooling: cost of one more year of schooling for the whole labour "
        "force, over GDP [-].",
    )
    additionality: Rate | None = Field(
        None, description="lending: share of the firms' capital they would not have had [-]."
    )
    loan_rate: Annotated[Real, Field(ge=0, le=1)] | None = Field(
        None, description="lending: interest on the performing balance [1/year]."
    )
    default_rate: Rate | None = Field(
        None, description="lending: share of performing loans written off each year [1/year]."
    )
    tenor_years: Annotated[int, Strict(), Field(ge=1, le=30)] | None = Field(
        None, description="lending: years of equal principal repayments [year]."
    )

    @model_validator(mode="after")
    def _check(self) -> Sector:
        wanted = SECTOR_FIELDS[self.kind]
        for name in _OPTIONAL_SECTOR_FIELDS:
            value = getattr(self, name)
            if name in wanted and value is None:
                raise _Cross(name, None, f"a value for a {self.kind} sector")
            if name not in wanted and value is not None:
                raise _Cross(name, value, f"null for a {self.kind} sector (it reads {wanted})")
        return self


class Mdf(_Section):
    """Mexican Development Fund, infrastructure capital and the GDP effect."""

    fund_return: Real = _f(
        0.03, "Return on the fund balance.", "1/year", ge=-0.5, le=0.5, role="path"
    )
    spend_rate: Real = _f(
        0.8, "Share of the balance invested each year.", "1/year", ge=0, le=1, role="path"
    )
    max_investment_usd_bn_per_year: Real = _f(
        15.0,
        "Absorptive capacity: most invested in a year.",
        "USD bn/year",
        ge=0,
        le=10_000,
        role="path",
    )
    efficiency: Real = _f(
        0.7,
        "Share of investment that becomes capital (IMF 2015: ~30% lost).",
        "-",
        ge=0,
        le=1,
        role="path",
    )
    depreciation_rate: Real = _f(
        0.04, "Depreciation of infrastructure capital.", "1/year", ge=0, le=1, role="path"
    )
    output_elasticity: Real = _f(
        0.12,
        "Output elasticity of public capital (Bom and Ligthart "
        "2014: ~0.08 short run, ~0.12 long run).",
        "-",
        ge=0,
        le=1,
        role="path",
    )
    gdp_base_usd_bn: Real = _f(
        966.0, "Mexico's nominal GDP in year 0 (2006).", "USD bn", ge=1, le=1_000_000, role="path"
    )
    gdp_growth: Real = _f(
        0.04, "Nominal USD growth of GDP (assumption).", "1/year", ge=-0.5, le=1, role="path"
    )
    public_capital_to_gdp: Real = _f(
        0.6,
        "Baseline public capital stock as a multiple of GDP (assumption).",
        "-",
        ge=0.01,
        le=10,
        role="path",
    )
    sectors: tuple[Sector, ...] = _f(
        (),
        "Where the fund invests, each sector with its share (shares sum to 1), efficiency, "
        "gestation, depreciation and its kind's parameters (capital: output elasticity and "
        "baseline stock; schooling: Mincer return, labour share, cost of a school year; "
        "lending: loan rate, default rate, tenor, additionality); empty: one stock of "
        "infrastructure with the efficiency, depreciation, elasticity and baseline above, "
        "which a list of sectors replaces.",
        "-",
        role="path",
        max_length=20,
    )

    @model_validator(mode="after")
    def _check(self) -> Mdf:
        names: list[str] = []
        for i, sector in enumerate(self.sectors):
            if sector.name in names:
                raise _Cross(f"sectors[{i}].name", sector.name, "a name no other sector has")
            names.append(sector.name)
        if self.sectors:
            total = math.fsum(sector.share for sector in self.sectors)
            if abs(total - 1.0) > SECTOR_SHARE_TOLERANCE:
                raise _Cross("sectors", f"shares summing to {total:.6g}", "shares that sum to 1")
        return self

    @property
    def sector_names(self) -> tuple[str, ...]:
        """The sectors' names; the single stock is ``infrastructure``."""
        return tuple(s.name for s in self.sectors) or ("infrastructure",)


class Reporting(_Section):
    """Discounting and the percentiles of the fans and summaries."""

    discount_rate: Real = _f(
        0.06, "Discount rate of the present values.", "1/year", ge=-0.5, le=1, role="plan"
    )
    percentiles: tuple[Annotated[Real, Field(gt=0, lt=100)], ...] = _f(
        (5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0),
        "Percentiles of fans and summaries.",
        "%",
        min_length=1,
        role="setup",
    )
    us_gulf_crude_imports_kbd: Real = _f(
        2180.0,
        "U.S. crude oil imports from the Persian Gulf in 2005, against which the added supply "
        "to the United States is measured (21.7% of 10.06 mb/d of crude imports: DOE "
        "statistics as reported in 2006; secondary source).",
        "kb/d",
        ge=1,
        le=100_000,
        role="path",
    )


class Sensitivity(_Section):
    """What ``naef sensitivity`` varies in this scenario, and over which ranges (optional).

    Read by the tornado, the per-year sensitivity and the Sobol analysis when they are not
    given parameters or ranges of their own. Not a model input: it changes no result.
    """

    parameters: tuple[Annotated[str, Strict()], ...] = Field(
        (),
        description="Dotted fields to vary (e.g. naef.coupon_rate); empty: the main assumptions.",
        json_schema_extra={"unit": "-"},
        max_length=64,
    )
    ranges: dict[Annotated[str, Strict()], tuple[Real, Real]] = Field(
        default_factory=dict,
        description="Dotted field -> [low, high] in the field's own unit; a field without a "
        "range is moved +-25% around the scenario's value.",
        json_schema_extra={"unit": "unit of each field"},
        max_length=64,
    )


SECTIONS: dict[str, type[_Section]] = {
    "horizon": Horizon,
    "simulation": Simulation,
    "oil_price": OilPrice,
    "naef": Naef,
    "pemex": Pemex,
    "risks": Risks,
    "hedge": Hedge,
    "credit": Credit,
    "fiscal": Fiscal,
    "waterfall": Waterfall,
    "mdf": Mdf,
    "reporting": Reporting,
}
TOP_FIELDS = ("name", "description", "sensitivity")

#: Display titles of the sections, for editors and reports.
SECTION_TITLES: dict[str, str] = {
    "horizon": "Horizon",
    "simulation": "Simulation",
    "oil_price": "Oil price",
    "naef": "NAEF securities",
    "pemex": "Pemex production and costs",
    "risks": "Correlated risks",
    "hedge": "Oil-price hedge",
    "credit": "Credit of the notes",
    "fiscal": "Fiscal take",
    "waterfall": "Cash-flow waterfall",
    "mdf": "Mexican Development Fund",
    "reporting": "Reporting",
}


#: Fields that may be null -> the field whose value they then take (declared with each field).
def _extra_by_key(name: str) -> dict[str, str]:
    """Dotted field -> the value of one of its schema extras, for the fields that have it."""
    return {
        f"{section}.{fname}": str(info.json_schema_extra[name])
        for section, model in SECTIONS.items()
        for fname, info in model.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and name in info.json_schema_extra
    }


#: Fields that may be null -> the field a null takes its value from.
DERIVED_FROM: dict[str, str] = _extra_by_key("derived_from")
#: Of those, the ones whose derived value is capped -> the field that caps it.
DERIVED_AT_MOST: dict[str, str] = _extra_by_key("derived_at_most")


class Scenario(_Section):
    """A complete, validated scenario (frozen; change it with :meth:`with_overrides`)."""

    name: Annotated[str, Strict()] = Field(
        "naef-2005", description="Scenario name.", min_length=1, max_length=120
    )
    description: Annotated[str, Strict()] = Field(
        "", description="What the scenario represents.", max_length=20_000
    )
    horizon: Horizon = Horizon()
    simulation: Simulation = Simulation()
    oil_price: OilPrice = OilPrice()
    naef: Naef = Naef()
    pemex: Pemex = Pemex()
    risks: Risks = Risks()
    hedge: Hedge = Hedge()
    credit: Credit = Credit()
    fiscal: Fiscal = Fiscal()
    waterfall: Waterfall = Waterfall()
    mdf: Mdf = Mdf()
    reporting: Reporting = Reporting()
    sensitivity: Sensitivity = Sensitivity()

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        years = self.horizon.years
        n = self.naef
        if n.amortization != "bullet" and n.grace_years >= n.tenor_years:
            raise _Cross(
                "naef.grace_years", n.grace_years, f"fewer than tenor_years ({n.tenor_years})"
            )
        ir_years = self.value("naef.capitalized_interest_years", resolved=True)
        if ir_years > n.tenor_years:
            raise _Cross(
                "naef.capitalized_interest_years",
                ir_years,
                f"at most tenor_years ({n.tenor_years}): a reserve for interest not owed",
            )
        if len(n.issuance_usd_bn) > years:
            raise _Cross(
                "naef.issuance_usd_bn",
                f"{len(n.issuance_usd_bn)} tranches",
                f"at most one tranche per simulated year ({years})",
            )
        op = self.oil_price
        if len(op.fixed_path_usd_per_bbl) > years:
            raise _Cross(
                "oil_price.fixed_path_usd_per_bbl",
                f"{len(op.fixed_path_usd_per_bbl)} prices",
                f"at most horizon.years ({years})",
            )
        if op.model == "deck" and not op.deck_usd_per_bbl:
            raise _Cross(
                "oil_price.deck_usd_per_bbl",
                "an empty deck",
                "at least one price when model is deck",
            )
        if len(op.deck_usd_per_bbl) > years:
            raise _Cross(
                "oil_price.deck_usd_per_bbl",
                f"{len(op.deck_usd_per_bbl)} prices",
                f"at most horizon.years ({years})",
            )
        if op.history_usd_per_bbl and len(op.history_usd_per_bbl) < op.bootstrap_block_years + 1:
            raise _Cross(
                "oil_price.history_usd_per_bbl",
                f"{len(op.history_usd_per_bbl)} prices",
                f"at least bootstrap_block_years + 1 ({op.bootstrap_block_years + 1})",
            )
        if op.model == "bootstrap" and not op.history_usd_per_bbl:
            from ..history import WTI_ANNUAL_USD_PER_BBL

            if len(WTI_ANNUAL_USD_PER_BBL) < op.bootstrap_block_years + 1:
                raise _Cross(
                    "oil_price.bootstrap_block_years",
                    op.bootstrap_block_years,
                    f"at most {len(WTI_ANNUAL_USD_PER_BBL) - 1} (the built-in history)",
                )
        self._check_regimes()
        r = self.risks
        bad = correlation_problem(
            r.price_overrun_correlation,
            r.price_reservoir_correlation,
            r.overrun_reservoir_correlation,
        )
        if bad is not None:
            raise _Cross(
                "risks",
                [
                    r.price_overrun_correlation,
                    r.price_reservoir_correlation,
                    r.overrun_reservoir_correlation,
                ],
                CORRELATION_WANT.format(eigenvalue=bad[1]),
            )
        pct = self.reporting.percentiles
        if list(pct) != sorted(set(pct)):
            raise _Cross("reporting.percentiles", list(pct), "strictly increasing values")
        self._check_sensitivity()
        return self

    def _check_regimes(self) -> None:
        """Each export duty's reference prices cover its regime's years within the horizon."""
        regimes = self.fiscal.regimes
        end = self.horizon.start_year + self.horizon.years  # one past the last year
        for i, regime in enumerate(regimes):
            until = regimes[i + 1].from_year if i + 1 < len(regimes) else end
            last = min(until, end) - 1
            if last < max(regime.from_year, self.horizon.start_year):
                continue  # not in force within the horizon
            need = last - regime.from_year + 1
            for j, duty in enumerate(regime.duties):
                have = len(duty.reference_usd_per_bbl)
                if duty.base == "export_excess" and have < need:
                    raise _Cross(
                        f"fiscal.regimes[{i}].duties[{j}].reference_usd_per_bbl",
                        f"{have} prices",
                        f"{need}, one for each year {regime.from_year}-{last} the regime is in "
                        "force",
                    )

    def _check_sensitivity(self) -> None:
        """Parameters and ranges of the ``sensitivity`` block name numeric model fields."""
        numeric = list(keys_with(roles=("path", "plan"), kinds=("int", "float")))
        block = self.sensitivity
        want = "a numeric field of a model section, e.g. naef.coupon_rate"
        for where, keys in (("parameters", block.parameters), ("ranges", list(block.ranges))):
            seen: set[str] = set()
            for key in keys:
                if key not in numeric:
                    raise _Cross(f"sensitivity.{where}", key, want + suggest(key, numeric))
                if key in seen:
                    raise _Cross(f"sensitivity.{where}", key, "each field once")
                seen.add(key)
        for key, (low, high) in block.ranges.items():
            if not low < high:
                raise _Cross(
                    f"sensitivity.ranges.{key}", [low, high], "[low, high] with low < high"
                )
            if block.parameters and key not in block.parameters:
                raise _Cross(
                    f"sensitivity.ranges.{key}",
                    [low, high],
                    "a range of a field listed in sensitivity.parameters",
                )

    # ------------------------------------------------------------------ derived views
    @property
    def price_dollars(self) -> str:
        """The dollars the price levels are set in, for labels: ``"2005 dollars"`` (real basis,
        constant dollars of the year before start_year) or ``"nominal dollars"``."""
        if self.oil_price.basis == "real":
            return f"{self.horizon.start_year - 1} dollars"
        return "nominal dollars"

    @property
    def basis_note(self) -> str:
        """One sentence on the basis of the inputs and the outputs, for summaries and pages."""
        op = self.oil_price
        if op.basis == "real":
            return (
                f"Price inputs in constant {self.horizon.start_year - 1} dollars, made nominal "
                f"at {100 * op.inflation_rate:g}% a year; every output in nominal dollars."
            )
        return "Price inputs and every output in nominal dollars."

    @property
    def years(self) -> range:
        """Calendar years of the horizon."""
        return range(self.horizon.start_year, self.horizon.start_year + self.horizon.years)

    def warnings(self) -> list[str]:
        """Valid but noteworthy settings (debt running past the horizon, a short deck...)."""
        out: list[str] = []
        n, years = self.naef, self.horizon.years
        if n.issuance_usd_bn:
            last = (
                max(j for j, f in enumerate(n.issuance_usd_bn) if f > 0)
                if any(n.issuance_usd_bn)
                else -1
            )
            if last >= 0 and last + n.tenor_years > years - 1:
                out.append(
                    f"naef: the tranche issued in year {last} is serviced until year "
                    f"{last + n.tenor_years}, past the horizon (last year {years - 1}); the "
                    "unpaid balance is reported as debt_outstanding_at_horizon_usd_bn"
                )
        op = self.oil_price
        if op.model == "deck" and len(op.deck_usd_per_bbl) < years:
            out.append(
                f"oil_price.deck_usd_per_bbl: {len(op.deck_usd_per_bbl)} prices for "
                f"{years} years; the last price is held flat"
            )
        if n.sizing_long_run_usd_per_bbl is not None and (
            n.amortization != "sculpted" or op.model not in ("mean_reverting", "two_factor")
        ):
            why = (
                f"amortization is {n.amortization}, not sculpted"
                if n.amortization != "sculpted"
                else f"the {op.model} price model has no long-run level"
            )
            out.append(f"naef.sizing_long_run_usd_per_bbl is not used: {why}")
        return out

    def value(self, key: str, *, resolved: bool = False) -> Any:
        """The value of a dotted field (``"naef.coupon_rate"``).

        ``resolved``: for a field left null, the value it takes from the field it is derived
        from, capped where the schema says so (``naef.capitalized_interest_years`` null is
        ``pemex.lag_years``, at most ``naef.tenor_years``).
        """
        section, name = key.split(".")
        value = getattr(getattr(self, section), name)
        if value is None and resolved:
            value = self.value(DERIVED_FROM[key], resolved=True)
            if key in DERIVED_AT_MOST:
                value = min(value, self.value(DERIVED_AT_MOST[key], resolved=True))
        return value

    def to_dict(self) -> dict[str, Any]:
        """Plain, fully resolved data (lists, not tuples): what ``scenario.yaml`` holds."""
        return json.loads(self.model_dump_json())

    def to_yaml(self) -> str:
        """The fully resolved scenario as YAML text (loads back to an equal scenario)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of every input (name and description included)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def with_overrides(
        self, overrides: Mapping[str, Any], *, source: str = "overrides"
    ) -> Scenario:
        """A new scenario with dotted fields replaced, validated as a whole.

        Parameters
        ----------
        overrides
            ``{"naef.coupon_rate": 0.05, "simulation.paths": 2000}``; top-level fields by bare
            name (``"name"``).
        source
            Name used in error messages.
        """
        data = self.to_dict()
        for key, value in overrides.items():
            set_dotted(data, key, value, source)
        return validate_scenario(data, source=source)


#: Largest gap allowed between the sum of the sectors' shares and 1 [-].
SECTOR_SHARE_TOLERANCE = 1e-9


class _Cross(ValueError):
    """A cross-field violation, converted to a ScenarioError naming the field."""

    def __init__(self, field: str, got: Any, want: str) -> None:
        self.field, self.got, self.want = field, got, want
        super().__init__(f"{field}: got {got!r}; want {want}")


# ---------------------------------------------------------------------- metadata for editors


@dataclass(frozen=True)
class FieldSpec:
    """What an editor or an analysis needs to know of one field."""

    key: str  # dotted name, "naef.coupon_rate"
    section: str
    name: str
    default: Any
    description: str
    unit: str
    kind: str  # "int", "float", "bool", "choice", "list" (of numbers), "table" (of records)
    role: Role  # see ROLES
    optional: bool = False  # null is allowed: the field then takes a value derived from others
    derived_from: str | None = None  # the field whose value a null takes
    choices: tuple[str, ...] = ()
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None


@functools.cache
def field_specs() -> tuple[FieldSpec, ...]:
    """Every settable field of every section, in declaration order, with its metadata."""
    out: list[FieldSpec] = []
    for section, model in SECTIONS.items():
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            bounds: dict[str, float] = {}
            for m in info.metadata:
                for attr, cls in (("ge", at.Ge), ("gt", at.Gt), ("le", at.Le), ("lt", at.Lt)):
                    if isinstance(m, cls):
                        bounds[attr] = float(getattr(m, attr))
            ann = info.annotation
            args = typing.get_args(ann)
            optional = type(None) in args
            if optional:  # X | None: the kind of X
                ann = next(a for a in args if a is not type(None))
            origin = typing.get_origin(ann)
            if ann is bool or (origin is Annotated and typing.get_args(ann)[0] is bool):
                kind, choices = "bool", ()
            elif origin is Literal:
                kind, choices = "choice", tuple(typing.get_args(ann))
            elif origin is tuple and any(
                isinstance(a, type) and issubclass(a, BaseModel) for a in typing.get_args(ann)
            ):
                kind, choices = "table", ()  # a list of records (fiscal regimes)
            elif origin is tuple:
                kind, choices = "list", ()
            elif ann is int or (
                typing.get_origin(ann) is Annotated and typing.get_args(ann)[0] is int
            ):
                kind, choices = "int", ()
            else:
                kind, choices = "float", ()
            out.append(
                FieldSpec(
                    key=f"{section}.{name}",
                    section=section,
                    name=name,
                    default=info.default,
                    description=info.description or "",
                    unit=str(extra.get("unit", "-")),
                    kind=kind,
                    role=extra["role"],  # type: ignore[arg-type]
                    optional=optional,
                    derived_from=extra.get("derived_from"),  # type: ignore[arg-type]
                    choices=choices,
                    **bounds,
                )
            )
    return tuple(out)


def keys_with(
    *, roles: tuple[Role, ...], kinds: tuple[str, ...] = ("int", "float", "bool", "choice", "list")
) -> tuple[str, ...]:
    """Dotted keys of the fields with one of these roles and kinds, in declaration order.

    ``keys_with(roles=("path", "plan"), kinds=("float",))`` are the fields that may differ
    between the parameter sets of one vectorized run; ``keys_with(roles=("draws",))`` those
    that two runs compared on common random numbers must share.
    """
    return tuple(s.key for s in field_specs() if s.role in roles and s.kind in kinds)


def _known_fields(section: str | None) -> list[str]:
    if section is None:
        return [*TOP_FIELDS, *SECTIONS]
    return list(SECTIONS[section].model_fields)


def check_keys(data: Mapping[str, Any], source: str) -> None:
    """Unknown keys and sections that are not mappings, named in ``source``."""
    for key, value in data.items():
        if not isinstance(key, str) or (key not in TOP_FIELDS and key not in SECTIONS):
            raise ScenarioError(
                source,
                field_name(key),
                "unknown field"
                + suggest(field_name(key), _known_fields(None))
                + f" (want one of: {', '.join(_known_fields(None))})",
            )
        block = SECTIONS.get(key) or (Sensitivity if key == "sensitivity" else None)
        if block is not None and value is not None:
            if not isinstance(value, Mapping):
                raise ScenarioError(
                    source, key, f"got {describe(value)}; want a mapping of {key} fields"
                )
            for sub in value:
                if not isinstance(sub, str) or sub not in block.model_fields:
                    known = list(block.model_fields)
                    raise ScenarioError(
                        source,
                        f"{key}.{field_name(sub)}",
                        "unknown field"
                        + suggest(field_name(sub), known)
                        + f" (want one of: {', '.join(known)})",
                    )


def validate_scenario(
    data: Any, *, source: str, origins: Mapping[str, str] | None = None
) -> Scenario:
    """Validate plain data (a resolved mapping) into a :class:`Scenario`.

    Parameters
    ----------
    data
        The scenario as plain data (sections as mappings).
    source
        Where the data came from, for error messages.
    origins
        Where each field came from when that is not ``source`` (``"naef.coupon_rate"`` ->
        the file of an ``extends:`` chain that set it, or ``"--set"``).

    Raises
    ------
    ScenarioError
        Naming the file that holds the first offending field, the field, what it got and what
        it wants.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(source, "", f"got {type(data).__name__}; want a mapping of sections")
    check_keys(data, source)
    clean = {k: v for k, v in data.items() if v is not None or k not in SECTIONS}
    try:
        return Scenario.model_validate(clean)
    except ValidationError as exc:
        err = _from_validation_error(exc, clean, source)
    except _Cross as exc:
        err = ScenarioError(source, exc.field, f"got {describe(exc.got)}; want {exc.want}")
    if origins:
        field = err.field.split("[")[0]
        origin = origins.get(field) or origins.get(field.split(".")[0])
        if origin and origin != source:
            err = ScenarioError(origin, err.field, err.problem)
    raise err


def _from_validation_error(
    exc: ValidationError, data: Mapping[str, Any], source: str
) -> ScenarioError:
    err = exc.errors(include_url=False)[0]
    ctx_error = (err.get("ctx") or {}).get("error")
    loc = [str(p) for p in err["loc"]]
    # A list item is reported as field[i].
    parts: list[str] = []
    for p in loc:
        if p.isdigit() and parts:
            parts[-1] += f"[{p}]"
        else:
            parts.append(p)
    field = ".".join(parts)
    if isinstance(ctx_error, _Cross):  # its field is relative to the model that raised it
        where = f"{field}.{ctx_error.field}" if field else ctx_error.field
        return ScenarioError(source, where, f"got {describe(ctx_error.got)}; want {ctx_error.want}")
    msg = str(err["msg"])
    if err["type"] == "missing":
        return ScenarioError(source, field, "missing")
    want = msg
    for prefix in ("Input should be ", "Value error, "):
        if want.startswith(prefix):
            want = want[len(prefix) :]
    got = err.get("input")
    return ScenarioError(source, field, f"got {describe(got)}; want {want}")


def set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    parts = key.split(".")
    if len(parts) == 1:
        if key not in TOP_FIELDS:
            raise ScenarioError(
                source,
                key,
                "unknown field"
                + suggest(
                    key,
                    [
                        *TOP_FIELDS,
                        *(f"{s}.{f}" for s in SECTIONS for f in SECTIONS[s].model_fields),
                    ],
                ),
            )
        data[key] = value
        return
    if len(parts) == 4 and parts[:2] == ["mdf", "sectors"]:
        _set_sector_field(data, parts[2], parts[3], value, key, source)
        return
    if len(parts) != 2 or parts[0] not in SECTIONS:
        raise ScenarioError(
            source,
            key,
            "unknown field"
            + suggest(key, [f"{s}.{f}" for s in SECTIONS for f in SECTIONS[s].model_fields]),
        )
    section, name = parts
    if name not in SECTIONS[section].model_fields:
        raise ScenarioError(
            source,
            key,
            "unknown field"
            + suggest(key, [f"{section}.{f}" for f in SECTIONS[section].model_fields]),
        )
    sec = data.get(section)
    data[section] = {**(sec if isinstance(sec, Mapping) else {}), name: value}


def is_sector_key(key: str) -> bool:
    """Whether ``key`` names a field of one of the fund's sectors:
    ``mdf.sectors.<name>.<field>``."""
    parts = key.split(".")
    return len(parts) == 4 and parts[:2] == ["mdf", "sectors"] and parts[3] in Sector.model_fields


def _set_sector_field(
    data: dict[str, Any], sector: str, name: str, value: Any, key: str, source: str
) -> None:
    """Set ``mdf.sectors.<sector>.<name>``: the field of the sector of that name."""
    mdf = data.get("mdf")
    sectors = mdf.get("sectors") if isinstance(mdf, Mapping) else None
    names = [s.get("name") for s in sectors or () if isinstance(s, Mapping) and "name" in s]
    if sector not in names:
        raise ScenarioError(
            source,
            key,
            f"no sector named {sector!r}; want one of mdf.sectors' names {names}"
            if names
            else "no sector of that name: the scenario has no mdf.sectors",
        )
    if name not in Sector.model_fields or name == "name":
        raise ScenarioError(
            source,
            key,
            "unknown field of a sector" + suggest(name, [f for f in Sector.model_fields]),
        )
    assert isinstance(mdf, Mapping) and isinstance(sectors, list | tuple)
    data["mdf"] = {
        **mdf,
        "sectors": [
            {**s, name: value} if isinstance(s, Mapping) and s.get("name") == sector else s
            for s in sectors
        ],
    }


def iter_fields(scenario: Scenario) -> Iterator[tuple[str, Any]]:
    """Dotted name and value of every section field of a scenario."""
    for section in SECTIONS:
        for name, value in getattr(scenario, section):
            yield f"{section}.{name}", value
