"""A verdict on a run, in plain words: the proposal's claims against the run, and whether the
structure holds (DESIGN F).

The claims made for the proposal in 2004-05 (``../shared/sources/pemex-and-proposal.md``):

- **Exports doubled by 2010.** "The money would be used to finance growth in oil production
  until exports double by 2010" (La Jornada, 21 March 2005, summarizing J. Castaneda's op-ed in
  the Financial Times). Mexico exported 1.87 mb/d of crude in 2004, so doubling is 1,870 kb/d of
  added exports. The run's added oil in the fifth year from 2006 (2010; for another start year,
  four years after it), all of it exported, is set against it.
- **About US$12 bn a year to Mexico.** "Revenues for Mexico would be about US$12 billion a
  year" (same article). The run's whole benefit to Mexico's public sector
  (``mexico_benefit_pv_usd_bn``: take, MDF inflows and Pemex's retained cash, net of its
  support) is turned into the level yearly amount with the same present value over the horizon
  at the reporting discount rate.
- **An IRR of 35%.** The flow diagram of J. L. Alberro's 2004 LECG slides ("IRR=35%"),
  presumably of the added investment; set against the project IRR of the added production.

Whether the structure holds is read from the probability of default of the notes with its
one-sided 95% upper bound (Clopper-Pearson), the rating that bound implies over the notes'
average life (the credit section's default table), the probability and the present value of
Pemex's support, and what reaches the Development Fund and Mexico as a whole (10th, 50th and
90th percentiles). The notes **hold** when the implied rating is investment grade (Baa/BBB or
better); the structure **leans on Pemex** when Pemex supports it on more than one path in
ten. These two thresholds are conventions of this verdict (the investment-grade line is the
rating agencies'; one in ten is an assumption), stated with it wherever it is shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.chain import FIFTH_YEAR
from ..outputs import format_value, output
from ..ratings import RATING_TABLES
from ..run.results import Results
from ..scenario.errors import InputError
from .credit import credit_report, probability_of_default

__all__ = ["CLAIMS", "Claim", "Verdict", "verdict"]

#: Mexico's crude exports in 2004 [kb/d] (Pemex, as reported; sources/pemex-and-proposal.md).
EXPORTS_2004_KBD = 1870.0
#: The lowest investment-grade rating of each agency's table (the tables do not split the
#: grades into notches).
INVESTMENT_GRADE = ("Baa", "BBB")
#: Pemex support on more paths than this share: the structure leans on Pemex (assumption).
LEANS_ON_PEMEX = 0.10


@dataclass(frozen=True)
class Claim:
    """One claim made for the proposal, set against the run."""

    claim: str
    source: str
    target: float
    unit: str
    p10: float
    p50: float
    p90: float
    share_met: float  # share of paths on which the run reaches the target; NaN: not known

    @property
    def met_on_median(self) -> bool:
        return bool(self.p50 >= self.target)

    def text(self) -> str:
        """One line: the claim, the run's median and range, and how often it is met."""
        if not math.isfinite(self.p50):
            return f"  {self.claim}: not applicable to this run"
        unit = self.unit
        word = "met" if self.met_on_median else "not met"
        share = (
            f", reached on {self.share_met:.0%} of paths" if math.isfinite(self.share_met) else ""
        )
        return (
            f"  {self.claim}: {word} on the median path: {_num(self.p50)} {unit} "
            f"(P10-P90 {_num(self.p10)} to {_num(self.p90)}){share}"
        )


#: The claims in the order they are shown.
CLAIMS = ("exports", "revenue", "irr")


@dataclass(frozen=True)
class Verdict:
    """The verdict on a run (see the module's rules)."""

    scenario: str
    paths: int
    probability_of_default: float
    probability_of_default_upper: float
    probability_standalone_default: float
    probability_pemex_support: float
    pemex_support_pv_mean: float
    rating: str | None  # None: the horizon ends before losses crystallize
    investment_grade: bool | None
    mdf_pv: tuple[float, float, float]
    mexico_pv: tuple[float, float, float]
    claims: tuple[Claim, ...]

    @property
    def holds(self) -> bool:
        """The notes hold: an investment-grade implied rating (or, without one, a 95% upper
        bound of the probability of default under 1%)."""
        if self.investment_grade is not None:
            return self.investment_grade
        return self.probability_of_default_upper < 0.01

    @property
    def leans_on_pemex(self) -> bool:
        return self.probability_pemex_support > LEANS_ON_PEMEX

    @property
    def tone(self) -> str:
        """``holds``, ``leans_on_pemex`` or ``fails``: the verdict in one word."""
        if not self.holds:
            return "fails"
        return "leans_on_pemex" if self.leans_on_pemex else "holds"

    @property
    def rule(self) -> str:
        """The verdict's two thresholds, in a sentence."""
        return (
            "Holds: an investment-grade implied rating; leans on Pemex: support on more than "
            f"{LEANS_ON_PEMEX:.0%} of paths."
        )

    def details(self) -> list[str]:
        """The verdict's figures as sentences (default, support, what reaches Mexico)."""
        rating = (
            f"; implied rating {self.rating} ({_grade(self.investment_grade)})"
            if self.rating is not None
            else ""
        )
        return [
            f"Default: the notes default on {self.probability_of_default:.2%} of "
            f"{self.paths:,} paths (under {self.probability_of_default_upper:.2%} at 95%)"
            f"{rating}.",
            f"Without Pemex's backstop {self.probability_standalone_default:.2%} would; "
            f"Pemex supports the structure on {self.probability_pemex_support:.2%} of paths, "
            f"{format_value('pemex_support_pv_usd_bn', self.pemex_support_pv_mean)} in present "
            "value on average.",
            "What reaches Mexico (present values, P10 / median / P90): the Development Fund "
            f"{_range(self.mdf_pv)}; Mexico's public sector as a whole {_range(self.mexico_pv)}.",
        ]

    def claims_table(self) -> pd.DataFrame:
        """The proposal's claims against the run: one row per claim."""
        rows = [
            {
                "claim": c.claim,
                "unit": c.unit,
                "claimed": c.target,
                "median": c.p50,
                "P10": c.p10,
                "P90": c.p90,
                "met on the median path": c.met_on_median if math.isfinite(c.p50) else None,
                "share of paths reaching it": c.share_met,
                "source": c.source,
            }
            for c in self.claims
        ]
        return pd.DataFrame(rows).set_index("claim")

    def headline(self) -> str:
        """The answer in one sentence."""
        if self.holds and not self.leans_on_pemex:
            return "The structure holds: the notes are serviced, and Pemex is rarely called on."
        if self.holds:
            return (
                "The notes are serviced, but only because Pemex stands behind them: it supports "
                f"the structure on {self.probability_pemex_support:.0%} of paths."
            )
        return (
            "The structure does not hold: the notes default too often for an investment-grade "
            "rating."
        )

    def lines(self) -> list[str]:
        """The verdict as plain sentences."""
        return [
            self.headline(),
            *(f"  {line}" for line in self.details()),
            "  The proposal's claims:",
            *(c.text() for c in self.claims),
            f"  ({self.rule})",
        ]

    def text(self) -> str:
        return "\n".join(self.lines())


def _grade(investment_grade: bool | None) -> str:
    return "investment grade" if investment_grade else "below investment grade"


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}"


def _range(values: tuple[float, float, float]) -> str:
    lo, mid, hi = values
    return f"US${mid:,.1f}bn ({lo:,.1f} / {mid:,.1f} / {hi:,.1f})"


def _percentiles(x: np.ndarray) -> tuple[float, float, float]:
    x = x[np.isfinite(x)]
    if not x.size:
        return (math.nan, math.nan, math.nan)
    lo, mid, hi = np.percentile(x, [10.0, 50.0, 90.0])
    return (float(lo), float(mid), float(hi))


def _export_claim(results: Results) -> Claim:
    """Added oil exported four years after the start (2010 for a 2006 start) [kb/d]."""
    sc = results.scenario
    year = sc.horizon.start_year + FIFTH_YEAR
    claim = f"Exports doubled by {year} (+{EXPORTS_2004_KBD:,.0f} kb/d)"
    source = "La Jornada, 21 March 2005 (Castaneda, Financial Times); 2004 exports 1.87 mb/d"
    oil = 1.0 - sc.pemex.gas_share_boe
    unit = output("added_oil_fifth_year_kbd").unit
    nan = (math.nan, math.nan, math.nan)
    if year not in results.years:
        return Claim(claim, source, EXPORTS_2004_KBD, unit, *nan, math.nan)
    if "added_oil_fifth_year_kbd" in results.metrics:  # every path, in memory or a folder
        kbd = results.metrics["added_oil_fifth_year_kbd"].to_numpy(dtype=float)
        lo, mid, hi = _percentiles(kbd)
        share = float(np.mean(kbd >= EXPORTS_2004_KBD))
    else:  # a folder written before that metric: its fans, without a share of paths
        fan = results.fan("production_kbd")
        values = fan.loc[year].to_numpy(dtype=float) * oil
        row = dict(zip((str(c) for c in fan.columns), values.tolist(), strict=True))
        lo, mid, hi = (row.get(c, math.nan) for c in ("p10", "p50", "p90"))
        share = math.nan
    return Claim(claim, source, EXPORTS_2004_KBD, unit, lo, mid, hi, share)


def _revenue_claim(results: Results) -> Claim:
    """Mexico's whole benefit as a level yearly amount with the same present value."""
    sc = results.scenario
    r, n = sc.reporting.discount_rate, sc.horizon.years
    factor = r / (1.0 - (1.0 + r) ** -n) if r != 0 else 1.0 / n
    yearly = results.metrics["mexico_benefit_pv_usd_bn"].to_numpy(dtype=float) * factor
    lo, mid, hi = _percentiles(yearly)
    return Claim(
        "About US$12bn a year to Mexico",
        "La Jornada, 21 March 2005; the run's benefit to Mexico as a level yearly amount",
        12.0,
        "USD bn/year",
        lo,
        mid,
        hi,
        float(np.mean(yearly >= 12.0)),
    )


def _irr_claim(results: Results) -> Claim:
    irr = results.metrics["project_irr"].to_numpy(dtype=float)
    lo, mid, hi = (100.0 * v for v in _percentiles(irr))
    defined = np.isfinite(irr)
    share = float(np.mean(irr[defined] >= 0.35)) if defined.any() else math.nan
    return Claim(
        "A 35% IRR",
        "Alberro, LECG slides, 2004 ('IRR=35%')",
        35.0,
        "%",
        lo,
        mid,
        hi,
        share,
    )


def verdict(results: Results) -> Verdict:
    """The verdict on a run (see the module's rules)."""
    m = results.metrics
    pd_, upper = probability_of_default(m["default"].to_numpy(dtype=bool))
    rating: str | None
    grade: bool | None
    try:
        report = credit_report(results)
    except InputError:  # the horizon ends before losses crystallize
        rating, grade = None, None
    else:
        rating = report.rating
        table = RATING_TABLES[results.scenario.credit.rating_table]
        line = next(r for r in table.ratings if r in INVESTMENT_GRADE)
        grade = table.ratings.index(rating) <= table.ratings.index(line)
    return Verdict(
        scenario=results.scenario.name,
        paths=len(m),
        probability_of_default=pd_,
        probability_of_default_upper=upper,
        probability_standalone_default=float(m["standalone_default"].mean()),
        probability_pemex_support=float(m["pemex_support"].mean()),
        pemex_support_pv_mean=float(m["pemex_support_pv_usd_bn"].mean()),
        rating=rating,
        investment_grade=grade,
        mdf_pv=_percentiles(m["mdf_inflow_pv_usd_bn"].to_numpy(dtype=float)),
        mexico_pv=_percentiles(m["mexico_benefit_pv_usd_bn"].to_numpy(dtype=float)),
        claims=(_export_claim(results), _revenue_claim(results), _irr_claim(results)),
    )
