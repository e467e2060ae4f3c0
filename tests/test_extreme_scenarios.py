"""Extreme but valid scenarios run clean: finite outputs except where documented, and the
waterfall identity.

Each scenario is built with the library (``Scenario().with_overrides``), run with
``simulator.simulate`` on a few dozen paths (one where the case says so), and every output is
checked: the per-path metrics, the kept per-year series, the fans, the ledger, the summary, the
headline figures, the printed summary and a run folder written and read back. The identity is
checked twice: the run's own largest residual (``manifest["identity_max_residual"]``, what
``naef run`` warns about above 1e-9) and sources minus uses on the ledger.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator
from simulator.history import WTI_ANNUAL_USD_PER_BBL
from simulator.model.metrics import MIN_SERVICE_USD_BN
from simulator.outputs import CATALOGUE, SERIES, UNDEFINED_METRICS
from simulator.run.results import Results
from simulator.scenario import MAX_SEED, Scenario, ScenarioError, field_specs

SEED = 20050401
PATHS = 48
#: Largest identity residual, relative to the largest cash of the run (the engine's own scale).
IDENTITY_REL = 1e-9

#: Outputs that may be NaN, and when (Results, metrics and README documentation).
RELIABILITY_NOTES = [
    (
        "Documented NaN",
        "Every output of these runs is finite except: `project_irr`, NaN where the project's "
        "cash flows have no root in (-99%, 10,000%) (README, Design: IRR); "
        "`first_shortfall_year` and `first_default_year`, NaN exactly on the paths without "
        "distress or default; `min_dscr`, `avg_dscr` and `min_llcr`, NaN exactly when no debt "
        "service falls on the path's cash within the horizon (the interest reserve pays it "
        "all, none is scheduled, or a cash sweep prepaid the debt first); `tail_share`, NaN "
        "when nothing is produced within the horizon; "
        "the per-year `dscr` series and its fan, NaN in years without such service; summary "
        "rows and headline percentiles of a metric with no finite value; and the standard "
        "error of a headline percentile computed from fewer than two finite values (a run of "
        "one path), which is undefined.",
    ),
]

MAY_BE_NAN = UNDEFINED_METRICS
#: Headline keys of a statistic of a metric (percentiles, means) and the metric each is taken
#: from.
HEADLINE_METRIC = {
    o.name: o.of
    for o in CATALOGUE
    if "headline" in o.kinds and o.of is not None and not o.is_probability
}
SOURCES = (
    "cash_usd_bn",
    "interest_reserve_paid_usd_bn",
    "dsra_draw_usd_bn",
    "dsra_release_usd_bn",
    "backstop_draw_usd_bn",
)
USES = (
    "debt_service_paid_usd_bn",
    "dsra_topup_usd_bn",
    "cash_trapped_usd_bn",
    "backstop_repaid_usd_bn",
    "debt_prepaid_usd_bn",
    "mdf_inflow_usd_bn",
    "pemex_retained_usd_bn",
)
#: The proposal's literal structure: no interest reserve and no reserve account funded at
#: close, so every tranche's face is left for capex whatever the coupon or the fees.
LITERAL = {"naef.capitalized_interest_years": 0, "waterfall.dsra_funded_at_close": False}


def check_clean(res: Results, tmp: Path | None = None) -> None:
    """Every output finite except where documented; the identity holds; the folder round-trips."""
    m = res.metrics
    arr = m.to_numpy(dtype=float)
    assert not np.isinf(arr).any(), f"infinite metrics: {list(m.columns[np.isinf(arr).any(0)])}"
    nan = [name for name in m.columns[np.isnan(arr).any(axis=0)] if name not in MAY_BE_NAN]
    assert not nan, f"metrics with NaN: {nan}"
    distress = m["distress"].to_numpy(dtype=bool)
    first = m["first_shortfall_year"].to_numpy(dtype=float)
    np.testing.assert_array_equal(np.isnan(first), ~distress)
    defaulted = m["default"].to_numpy(dtype=bool)
    first = m["first_default_year"].to_numpy(dtype=float)
    np.testing.assert_array_equal(np.isnan(first), ~defaulted)
    ledger = res.ledger()
    assert np.isfinite(ledger.to_numpy()).all(), "ledger has NaN or inf"
    on_cash = ledger["scheduled_service_usd_bn"] - ledger["interest_reserve_paid_usd_bn"]
    scheduled = (on_cash.to_numpy() > MIN_SERVICE_USD_BN).any()
    # A path's coverage is undefined exactly when none of its years has service on the cash.
    try:
        covered = np.isfinite(res.series("dscr").to_numpy()).any(axis=0)
    except KeyError:  # series not kept
        covered = None
    prepaid = float(ledger["debt_prepaid_usd_bn"].sum()) > 0.0
    for name in ("min_dscr", "avg_dscr"):
        undefined = np.isnan(m[name].to_numpy(dtype=float))
        if covered is not None:
            np.testing.assert_array_equal(undefined, ~covered, err_msg=name)
        if not scheduled:
            assert undefined.all(), name
        elif not prepaid:
            # Without a sweep the schedule is the same on every path.
            assert not undefined.any(), name
        # With a sweep a path may have prepaid its debt before any service fell on its cash.

    # The waterfall identity: the run's own residual, and sources = uses on the ledger.
    assert res.manifest["identity_max_residual"] <= IDENTITY_REL, (
        f"identity residual {res.manifest['identity_max_residual']:.3e}"
    )
    scale = max(1.0, float(ledger["cash_usd_bn"].abs().max()))
    gap = ledger[list(SOURCES)].sum(axis=1) - ledger[list(USES)].sum(axis=1)
    assert float(gap.abs().max()) <= IDENTITY_REL * scale, (
        f"ledger sources - uses {gap.abs().max()}"
    )

    for name in SERIES:
        arr = res.series(name).to_numpy()
        assert not np.isinf(arr).any(), f"series {name} is infinite"
        if name != "dscr":
            assert not np.isnan(arr).any(), f"series {name} is NaN"
    fans = res.fans()
    values = fans["value"].to_numpy()
    assert not np.isinf(values).any()
    assert not np.isnan(values[(fans["series"] != "dscr").to_numpy()]).any(), "a fan is NaN"

    summary = res.summary()
    counted = summary["n"].to_numpy() > 0
    values = summary.drop(columns="n").to_numpy(dtype=float)
    bad = summary.index[counted & ~np.isfinite(values).all(axis=1)]
    assert bad.empty, f"summary rows with NaN or inf: {list(bad)}"
    empty = set(summary.index[~counted])
    assert empty <= MAY_BE_NAN, f"summary rows with no finite value: {empty}"
    head = res.headline()
    for key, value in head.items():
        base = key.removesuffix("_se")
        metric = HEADLINE_METRIC.get(base)
        finite = int(np.isfinite(m[metric].to_numpy(dtype=float)).sum()) if metric else len(m)
        if math.isnan(value) and metric is not None:
            assert finite < (2 if key.endswith("_se") and base != key else 1), key
        else:
            assert math.isfinite(value), f"headline {key} = {value}"
    assert res.summary_text()
    if tmp is not None:
        back = Results.from_dir(res.to_dir(tmp / "run"))
        got = back.headline()
        assert got.keys() == head.keys()
        for key, value in head.items():
            assert (math.isnan(value) and math.isnan(got[key])) or got[key] == value, key


@dataclass(frozen=True)
class Case:
    """One extreme scenario: overrides of the default scenario, paths, and what it is."""

    id: str
    overrides: dict[str, Any]
    doc: str
    paths: int = PATHS
    seed: int = SEED
    extra: dict[str, Any] = field(default_factory=dict)


N_HISTORY = len(WTI_ANNUAL_USD_PER_BBL)
CASES = [
    Case("zero-issuance", {"naef.issuance_usd_bn": [0.0] * 5}, "five tranches of 0"),
    Case("no-tranches", {"naef.issuance_usd_bn": []}, "no tranche at all"),
    Case("one-path", {}, "the baseline on a single path", paths=1),
    Case("one-year", {"horizon.years": 1, "naef.issuance_usd_bn": [15.0]}, "a 1-year horizon"),
    Case(
        "one-year-one-path",
        {"horizon.years": 1, "naef.issuance_usd_bn": [15.0]},
        "a 1-year horizon on one path",
        paths=1,
    ),
    Case(
        "zero-volatility",
        {
            "oil_price.volatility": 0.0,
            "pemex.capex_overrun_sd": 0.0,
            "pemex.reservoir_factor_sd": 0.0,
            "risks.export_mix_sd": 0.0,
        },
        "no price, overrun, reservoir or export-mix randomness (every path the same)",
    ),
    Case(
        "price-near-zero",
        {"oil_price.initial_usd_per_bbl": 0.01, "oil_price.long_run_usd_per_bbl": 0.01},
        "a price of 1 cent now and in the long run",
    ),
    Case(
        "price-subnormal",
        {
            "oil_price.initial_usd_per_bbl": 5e-324,
            "oil_price.long_run_usd_per_bbl": 5e-324,
            "oil_price.fixed_path_usd_per_bbl": [5e-324, 1e-300],
        },
        "prices of 5e-324 (the smallest float) and 1e-300, fixed for two years",
    ),
    Case(
        "price-enormous",
        {"oil_price.initial_usd_per_bbl": 10_000.0, "oil_price.long_run_usd_per_bbl": 10_000.0},
        "a price of USD 10,000 now and in the long run",
    ),
    Case(
        "gbm-explosive-200y",
        {
            "horizon.years": 200,
            "oil_price.model": "gbm",
            "oil_price.volatility": 3.0,
            "oil_price.drift_per_year": 1.0,
        },
        "gbm with volatility 3 and drift 100%/yr over 200 years",
    ),
    Case(
        "gbm-collapse-200y",
        {
            "horizon.years": 200,
            "oil_price.model": "gbm",
            "oil_price.volatility": 3.0,
            "oil_price.drift_per_year": -1.0,
        },
        "gbm with volatility 3 and drift -100%/yr over 200 years",
    ),
    Case(
        "fiscal-take-100pct",
        {"fiscal.royalty_rate": 1.0, "fiscal.profit_duty_rate": 1.0},
        "royalty 100% and profit duty 100%",
    ),
    Case("efficiency-0", {"mdf.efficiency": 0.0}, "no investment becomes capital"),
    Case(
        "tenor-equals-horizon",
        {"horizon.years": 20, "naef.tenor_years": 20, "naef.grace_years": 5},
        "20-year tenor on a 20-year horizon (debt outstanding at the end)",
    ),
    Case(
        "tenor-equals-horizon-one-tranche",
        {
            "horizon.years": 20,
            "naef.issuance_usd_bn": [75.0],
            "naef.tenor_years": 20,
            "naef.grace_years": 19,
        },
        "one tranche of 75, tenor 20 = horizon, grace 19",
    ),
    Case("coupon-0", {"naef.coupon_rate": 0.0}, "a coupon of 0"),
    Case("grace-tenor-minus-1", {"naef.grace_years": 19}, "grace = tenor - 1 (bullet-like)"),
    Case(
        "bullet-tenor-1",
        {
            "naef.amortization": "bullet",
            "naef.tenor_years": 1,
            "naef.grace_years": 99,
            "waterfall.dsra_funded_at_close": False,
        },
        "bullet repayment after 1 year, grace 99 (ignored by bullet); a reserve funded at "
        "close would be the whole face",
    ),
    Case(
        "linear-tenor-100",
        {"naef.amortization": "linear", "naef.tenor_years": 100, "naef.grace_years": 99},
        "linear amortization, tenor 100, grace 99",
    ),
    Case("spend-rate-0", {"mdf.spend_rate": 0.0}, "the fund never invests"),
    Case("spend-rate-1", {"mdf.spend_rate": 1.0}, "the fund invests its whole balance"),
    Case("decline-0", {"pemex.decline_rate": 0.0}, "no decline after the plateau"),
    Case(
        "decline-max",
        {"pemex.decline_rate": 5.0, "pemex.decline_b": 2.0},
        "decline rate 5/yr with Arps b = 2",
    ),
    Case("mean-reversion-0", {"oil_price.mean_reversion_per_year": 0.0}, "no mean reversion"),
    Case(
        "mean-reversion-max",
        {"oil_price.mean_reversion_per_year": 10.0, "oil_price.volatility": 3.0},
        "mean reversion 10/yr with volatility 3",
    ),
    Case(
        "two-factor-correlation+1",
        {"oil_price.model": "two_factor", "oil_price.correlation": 1.0},
        "two-factor model, correlation +1",
    ),
    Case(
        "two-factor-correlation-1",
        {"oil_price.model": "two_factor", "oil_price.correlation": -1.0},
        "two-factor model, correlation -1",
    ),
    Case(
        "two-factor-max-volatility",
        {
            "oil_price.model": "two_factor",
            "oil_price.short_term_volatility": 3.0,
            "oil_price.long_term_volatility": 3.0,
            "oil_price.mean_reversion_per_year": 0.0,
            "oil_price.long_term_drift_per_year": 1.0,
        },
        "two-factor model, both volatilities 3, no reversion, long-term drift 100%/yr",
    ),
    Case(
        "bootstrap-block-equals-history",
        {"oil_price.model": "bootstrap", "oil_price.bootstrap_block_years": N_HISTORY - 1},
        f"bootstrap with one block of every built-in return ({N_HISTORY - 1} years)",
    ),
    Case(
        "bootstrap-two-prices",
        {
            "oil_price.model": "bootstrap",
            "oil_price.history_usd_per_bbl": [50.0, 60.0],
            "oil_price.bootstrap_block_years": 1,
        },
        "bootstrap of a two-price history (one return)",
    ),
    Case(
        "deck-one-cent",
        {"oil_price.model": "deck", "oil_price.deck_usd_per_bbl": [0.01]},
        "a deck of one price, 1 cent, held flat",
    ),
    Case(
        "capex-floor-issuance-max",
        {"pemex.capex_usd_per_flowing_bpd": 1.0, "naef.issuance_usd_bn": [10_000.0] * 5},
        "capex of USD 1 per flowing barrel per day with 5 tranches of USD 10,000 bn",
    ),
    Case("capex-max", {"pemex.capex_usd_per_flowing_bpd": 1_000_000.0}, "capex USD 1m per bbl/d"),
    Case(
        "issuance-cost-max",
        {"naef.issuance_cost_rate": 0.999999, **LITERAL},
        "issuance cost 99.9999% (no reserves funded from the proceeds)",
    ),
    Case(
        "no-reserve-no-backstop",
        {"waterfall.dsra_coverage_years": 0.0, "waterfall.backstop_usd_bn_per_year": 0.0},
        "no debt service reserve and no backstop",
    ),
    Case(
        "reserve-max",
        {"waterfall.dsra_coverage_years": 10.0, "waterfall.reserve_yield": 0.5},
        "a reserve of 10 years of service earning 50%",
    ),
    Case("mdf-share-0", {"waterfall.mdf_share": 0.0}, "nothing paid to the fund"),
    Case("backstop-max", {"waterfall.backstop_usd_bn_per_year": 10_000.0}, "backstop 10,000/yr"),
    Case(
        "gdp-floor-200y",
        {
            "horizon.years": 200,
            "mdf.gdp_base_usd_bn": 1.0,
            "mdf.gdp_growth": -0.5,
            "mdf.public_capital_to_gdp": 0.01,
            "mdf.output_elasticity": 1.0,
            "mdf.efficiency": 1.0,
        },
        "GDP of USD 1 bn shrinking 50%/yr for 200 years, capital 1% of GDP, elasticity 1",
    ),
    Case(
        "gdp-max-200y",
        {
            "horizon.years": 200,
            "mdf.gdp_base_usd_bn": 1_000_000.0,
            "mdf.gdp_growth": 1.0,
            "mdf.public_capital_to_gdp": 10.0,
        },
        "GDP of USD 1m bn doubling every year for 200 years",
    ),
    Case(
        "fund-return-min",
        {"mdf.fund_return": -0.5, "mdf.depreciation_rate": 1.0},
        "fund return -50%, full depreciation",
    ),
    Case(
        "discount-min-200y",
        {"horizon.years": 200, "reporting.discount_rate": -0.5},
        "discount rate -50% over 200 years",
    ),
    Case("discount-max", {"reporting.discount_rate": 1.0}, "discount rate 100%"),
    Case(
        "costs-explode-200y",
        {
            "horizon.years": 200,
            "pemex.opex_usd_per_boe": 1000.0,
            "pemex.cost_inflation": 1.0,
            "pemex.oversight_cost_usd_bn_per_year": 100.0,
        },
        "lifting cost 1000/boe doubling yearly for 200 years, oversight 100/yr",
    ),
    Case(
        "no-production-in-horizon",
        {"pemex.lag_years": 30, "pemex.ramp_years": 30, "pemex.plateau_years": 100},
        "first oil after 30 years, 30-year ramp (nothing produced in the horizon)",
    ),
    Case(
        "instant-production",
        {"pemex.lag_years": 0, "pemex.ramp_years": 0, "pemex.plateau_years": 0},
        "no lag, no ramp, no plateau",
    ),
    Case(
        "extreme-percentiles",
        {"reporting.percentiles": [1e-9, 99.999999]},
        "percentiles 1e-9 and 99.999999",
    ),
    Case(
        "all-gas",
        {"pemex.gas_share_boe": 1.0, "oil_price.gas_price_ratio": 5.0},
        "all gas, priced at 5 times oil",
    ),
    Case("no-us-exports", {"pemex.us_export_share": 0.0}, "nothing exported to the U.S."),
    Case("start-1900", {"horizon.start_year": 1900}, "start year 1900"),
    Case("start-2200-200y", {"horizon.start_year": 2200, "horizon.years": 200}, "2200-2399"),
    Case("seed-max", {}, "the largest seed (2^53 - 1)", seed=MAX_SEED),
    Case("seed-0", {}, "seed 0", seed=0),
]

#: Case id -> reason, for a case that fails on a known bug (marked strict xfail). None now.
KNOWN_FAILURES: dict[str, str] = {}
CASES.append(
    Case(
        "coupon-100pct",
        {"naef.coupon_rate": 1.0, **LITERAL},
        "a coupon of 100% (arrears double every year; no interest reserve)",
    )
)


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = []
        if case.id in KNOWN_FAILURES:
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[case.id])]
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_extreme_scenario_runs_clean(case: Case, tmp_path: Path) -> None:
    """Tried: the extreme but valid scenarios listed below, each on 48 paths (one where
    stated), with every per-year series kept.
    Holds: no NaN or inf in any metric, series, fan, ledger row, summary row or headline
    figure except where documented (below); ``first_shortfall_year`` is NaN exactly on the
    paths without distress and ``min_dscr`` exactly when nothing is scheduled; the run's
    identity residual is at most 1e-9 of its largest cash and the ledger's sources equal its
    uses to the same tolerance; the printed summary is produced; the run folder is written
    and reads back with the same headline figures.
    Found: with a coupon of 100% the arrears double every year, and the waterfall took the
    debt service paid as due minus shortfall, a difference of two huge numbers that lost the
    payment (identity residual 3e-7 of the cash after 35 years, 5.0 after 200); it now adds
    up what was paid from cash, the reserve and the backstop.
    """
    sc = Scenario().with_overrides(case.overrides)
    res = simulator.simulate(sc, paths=case.paths, seed=case.seed, keep_series=True)
    check_clean(res, tmp_path)
    if case.id in ("price-near-zero", "fiscal-take-100pct"):  # nothing to sculpt on
        assert any("repaid as a level annuity" in w for w in res.manifest["warnings"])
    if case.id == "zero-volatility":
        m = res.metrics.to_numpy(dtype=float)
        assert np.array_equal(m, np.broadcast_to(m[:1], m.shape), equal_nan=True)


# ---------------------------------------------------------------------- every bound


def _bound_values() -> list[tuple[str, Any]]:
    """Every numeric field at its lowest and highest valid value (``gt``/``lt`` bounds: the
    nearest float inside)."""
    out: list[tuple[str, Any]] = []
    for spec in field_specs():
        if spec.kind not in ("float", "int") or spec.section == "simulation":
            continue
        lows = [spec.ge] if spec.ge is not None else []
        if spec.gt is not None:
            lows.append(float(np.nextafter(spec.gt, np.inf)))
        highs = [spec.le] if spec.le is not None else []
        if spec.lt is not None:
            highs.append(float(np.nextafter(spec.lt, -np.inf)))
        for value in (*lows, *highs):
            out.append((spec.key, int(value) if spec.kind == "int" else float(value)))
    return out


#: Other fields a bound needs to be valid at all (cross-field checks of the scenario).
COMPANIONS: dict[tuple[str, Any], dict[str, Any]] = {
    ("horizon.years", 1): {"naef.issuance_usd_bn": [15.0]},
    ("naef.tenor_years", 1): {"naef.grace_years": 0, "waterfall.dsra_funded_at_close": False},
    ("naef.grace_years", 99): {"naef.tenor_years": 100},
    ("naef.capitalized_interest_years", 100): {"naef.tenor_years": 100, "naef.coupon_rate": 0.0},
    ("naef.coupon_rate", 1.0): LITERAL,
    ("naef.issuance_cost_rate", float(np.nextafter(1.0, 0.0))): LITERAL,
}
BOUNDS = _bound_values()
#: Bounds that run into a known failure, with its reason.
BOUND_FAILURES: dict[tuple[str, Any], str] = {}


def _bound_params() -> list[Any]:
    out = []
    for key, value in BOUNDS:
        reason = BOUND_FAILURES.get((key, value))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(key, value, id=f"{key}={value!r}", marks=marks))
    return out


@pytest.mark.parametrize(("key", "value"), _bound_params())
def test_every_field_at_each_bound_runs_clean(key: str, value: Any) -> None:
    """Tried: every numeric field of every section (simulation excepted) at its lowest and
    highest valid value, one at a time on the baseline (with the companion change a
    cross-field rule needs: one tranche for a 1-year horizon, no grace for a 1-year tenor, a
    100-year tenor for 99 grace years or a 100-year interest reserve; and where the reserves
    funded from the proceeds would exceed the face, a coupon of 100%, fees of all but
    1e-16 of the face, a 1-year tenor whose reserve account is the whole face, the
    proposal's literal structure without them), 32 paths.
    Holds: the same as for the extreme scenarios, without the run folder.
    Found: a capex of 5e-324 USD per flowing barrel per day, a GDP of 5e-324 USD bn and a
    public capital stock of 5e-324 times GDP were valid (bound: greater than 0) and gave
    infinite production, GDP effects and NaN; their lower bounds are now USD 1, USD 1 bn and
    0.01 times GDP, far below any real value.
    """
    overrides = {key: value, **COMPANIONS.get((key, value), {})}
    sc = Scenario().with_overrides(overrides)
    check_clean(simulator.simulate(sc, paths=32, seed=SEED, keep_series=True))


def test_values_just_below_the_new_floors_are_refused() -> None:
    """Tried: capex 0.5 USD per flowing barrel per day, GDP 0.5 USD bn, public capital 0.005
    times GDP, each given alone.
    Holds: a ScenarioError naming the field and its bound (the floors are part of the model's
    contract, shown in the editor and in ``field_specs``).
    """
    for key, value in (
        ("pemex.capex_usd_per_flowing_bpd", 0.5),
        ("mdf.gdp_base_usd_bn", 0.5),
        ("mdf.public_capital_to_gdp", 0.005),
    ):
        with pytest.raises(ScenarioError) as info:
            Scenario().with_overrides({key: value})
        assert info.value.field == key
        assert "greater than or equal" in info.value.problem


# ---------------------------------------------------------------------- random corners


@st.composite
def corners(draw: st.DrawFn) -> Scenario:
    """Many fields at once at a bound or the default; the price model, amortization and
    tranches drawn too. The coupon stays at 0 or the baseline's 6% (see the known failure)."""
    over: dict[str, Any] = {}
    for key, value in BOUNDS:
        if key in ("naef.coupon_rate", "naef.grace_years", "naef.tenor_years", "horizon.years"):
            continue
        if draw(st.integers(0, 5)) == 0:
            over[key] = value
    years = draw(st.sampled_from([2, 35, 200]))
    tenor = draw(st.sampled_from([1, 20, 100]))
    over.update(
        {
            "horizon.years": years,
            "naef.coupon_rate": draw(st.sampled_from([0.0, 0.06])),
            "naef.tenor_years": tenor,
            "naef.grace_years": draw(st.sampled_from(sorted({0, tenor - 1}))),
            "naef.amortization": draw(st.sampled_from(["level", "linear", "bullet", "sculpted"])),
            "naef.capitalized_interest_years": draw(st.sampled_from([0, None])),
            "waterfall.dsra_funded_at_close": draw(st.booleans()),
            "naef.issuance_usd_bn": draw(
                st.lists(st.sampled_from([0.0, 15.0, 10_000.0]), max_size=min(years, 5))
            ),
            "oil_price.model": draw(
                st.sampled_from(["gbm", "mean_reverting", "two_factor", "bootstrap", "deck"])
            ),
            "oil_price.deck_usd_per_bbl": [draw(st.sampled_from([0.01, 50.0, 10_000.0]))],
        }
    )
    try:
        return Scenario().with_overrides(over)
    except ScenarioError:
        # A combination a cross-field rule refuses (e.g. a bootstrap block longer than the
        # history): drop the bounds and keep the structure.
        keep = ("horizon.years", "naef.", "oil_price.model", "oil_price.deck")
        return Scenario().with_overrides({k: v for k, v in over.items() if k.startswith(keep)})


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sc=corners())
def test_random_corners_run_clean(sc: Scenario) -> None:
    """Tried: 40 random scenarios with many fields at once at a bound, on horizons of 2, 35
    or 200 years, tenors of 1, 20 or 100 years, every price model and amortization, tranches
    of 0, 15 or 10,000, 8 paths each; the coupon is 0 or 6% (higher coupons on long
    distressed horizons meet the known failure above).
    Holds: the same as for the extreme scenarios, without the run folder.
    """
    try:
        res = simulator.simulate(sc, paths=8, seed=SEED, keep_series=True)
    except ScenarioError as exc:
        # Fees and reserves funded from the proceeds above a tranche's face: refused, in one
        # line naming the tranche; the literal structure, without reserves, runs.
        assert exc.field.startswith("naef.issuance_usd_bn["), exc
        assert "exceed its face" in exc.problem
        res = simulator.simulate(sc.with_overrides(LITERAL), paths=8, seed=SEED, keep_series=True)
    check_clean(res)
