"""The notes as investors see them: default, expected loss, average life, rating, fair coupon.

From a run (:func:`credit_report`):

- PD, the probability of default over the life (``default``: interest unpaid in some year, or
  principal unpaid at a final maturity), with the one-sided 95% Clopper-Pearson upper bound
  ``beta.ppf(0.95, k + 1, n - k)`` for ``k`` defaults in ``n`` paths.
- EL, the expected loss: ``1 - E[PV paid] / PV scheduled`` at the coupon (the mean of the
  per-path ``holder_loss``, :func:`simulator.model.chain.holder_value`), with its upper bound
  ``EL + 1.645 se``; LGD = EL / PD on that basis.
- WAL, the weighted average life of the scheduled principal, each tranche from its issue:
  ``sum_j sum_t (t - j) P_jt / sum_j sum_t P_jt`` [years].
- The implied rating: the best rating of a published table of average cumulative default
  rates (:mod:`simulator.ratings`, ``credit.rating_table``) whose rate at the WAL is at least
  the PD's upper bound, capped by ``credit.rating_cap``.

By tranche (:func:`tranche_credit`), on the paths whose series a run keeps: the tranches are
paid pari passu, each year's payment shared in proportion to what each is owed (its scheduled
service and its own arrears with a year's interest at the coupon); a tranche defaults, as the
issue does, when its interest of a year (on its balance and its arrears) goes unpaid or
principal is unpaid at its final maturity, and loses, ``credit.tail_years`` after that
maturity, what it is then still owed, after the recovery.

The fair coupon (:func:`fair_coupon`): the lowest coupon ``c`` in ``[r, r + 15%]``, ``r =
credit.risk_free_rate + credit.risk_premium``, at which what holders expect to get, discounted at
``r``, pays for what they lend: ``E[sum_t v^t (paid_t + recovery_t)] = sum_j F_j v^j``, ``v =
1/(1 + r)``, each tranche's face ``F_j`` lent at its issue at the end of year ``j``. Each trial
coupon re-sizes the deal (its interest reserve, reserve account and sculpted service) and runs
the same paths with the same seed (common random numbers). The gap is not monotone in ``c`` (a
higher coupon means more service to meet), so the coupons are scanned on a grid and the first
crossing from below is refined by bisection; with none, "no clearing coupon". The Monte Carlo
error of the root is the standard error of the gap at the root over the gap's slope there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import beta

from ..model.chain import build_schedule
from ..model.financing import DebtSchedule
from ..model.metrics import SHORTFALL_EPS_USD_BN
from ..ratings import RATING_TABLES, implied_rating
from ..run.engine import simulate
from ..run.results import Results
from ..scenario import InputError, Scenario

__all__ = [
    "CreditReport",
    "FairCoupon",
    "credit_report",
    "fair_coupon",
    "tranche_credit",
    "weighted_average_life",
]

#: Width of the coupons scanned above the discount rate [1/year].
COUPON_SPAN = 0.15
#: Coupons on the scan's grid.
GRID_POINTS = 16
#: Bisection steps after the scan (the root to 0.15 / 15 / 2^12, under 0.0003%).
BISECTION_STEPS = 12


def weighted_average_life(scenario: Scenario) -> float:
    """The scheduled principal's weighted average life, each tranche from its issue [years]."""
    return _average_life(build_schedule(scenario), slice(None))


def _average_life(sched: DebtSchedule, tranches: slice) -> float:
    """Weighted average life of some tranches' scheduled principal, each from its issue."""
    principal = np.asarray(sched.tranche_principal_usd_bn, dtype=float)
    age = np.arange(principal.shape[1])[None, :] - np.arange(principal.shape[0])[:, None]
    principal, age = principal[tranches], age[tranches]
    total = float(principal.sum())
    return float((principal * age).sum() / total) if total > 0 else math.nan


def _expected_loss(losses: np.ndarray) -> float:
    """The mean loss, with the rounding of a PV paid in full taken as no loss."""
    el = float(losses.mean())
    return 0.0 if abs(el) < 1e-12 else el


def _loss_year(scenario: Scenario) -> tuple[DebtSchedule, int]:
    """The debt schedule and the index of the year losses crystallize; InputError when the
    horizon ends before it or nothing is issued."""
    sched = build_schedule(scenario)
    end = sched.last_maturity + scenario.credit.tail_years
    years = scenario.horizon.years
    if sched.last_maturity < 0:
        raise InputError(scenario.name, "naef.issuance_usd_bn", "got no issue; want some notes")
    if end > years - 1:
        raise InputError(
            scenario.name,
            "horizon.years",
            f"got {years}; want at least {end + 1}: losses crystallize in "
            f"{scenario.horizon.start_year + end}, the last final maturity plus "
            f"credit.tail_years ({scenario.credit.tail_years})",
        )
    return sched, end


@dataclass(frozen=True)
class CreditReport:
    """The credit of the notes in a run (see the module's formulas)."""

    paths: int
    probability_of_default: float
    probability_of_default_upper: float
    expected_loss: float
    expected_loss_upper: float
    loss_given_default: float
    weighted_average_life_years: float
    rating: str
    rating_uncapped: str
    table: str
    loss_year: int

    def text(self) -> str:
        """A readable summary."""
        lgd = f"{self.loss_given_default:.1%}" if math.isfinite(self.loss_given_default) else "n/a"
        return "\n".join(
            [
                f"  Probability of default over the life   {self.probability_of_default:8.3%}"
                f"  (upper 95%: {self.probability_of_default_upper:.3%}, {self.paths:,} paths)",
                f"  Expected loss                          {self.expected_loss:8.3%}"
                f"  (upper 95%: {self.expected_loss_upper:.3%})",
                f"  Loss given default                     {lgd:>8}",
                f"  Weighted average life                  {self.weighted_average_life_years:8.1f}"
                " years",
                f"  Implied rating                         {self.rating:>8}"
                + (
                    f"  (uncapped: {self.rating_uncapped})"
                    if self.rating != self.rating_uncapped
                    else ""
                ),
                f"  ({self.table}; losses crystallize in {self.loss_year})",
            ]
        )


def probability_of_default(defaulted: np.ndarray) -> tuple[float, float]:
    """The share of paths that default and its one-sided 95% upper bound (Clopper-Pearson)
    [-], from one flag per path."""
    n = int(defaulted.size)
    k = int(np.count_nonzero(defaulted))
    upper = float(beta.ppf(0.95, k + 1, n - k)) if k < n else 1.0
    return (k / n if n else math.nan), upper


def credit_report(results: Results) -> CreditReport:
    """The notes' credit in a run.

    Raises
    ------
    InputError
        When the horizon ends before losses crystallize, or nothing is issued.
    """
    sc = results.scenario
    sched, end = _loss_year(sc)
    m = results.metrics
    n = len(m)
    pd_, pd_upper = probability_of_default(m["default"].to_numpy(dtype=bool))
    loss = m["holder_loss"].to_numpy(dtype=float)
    el = _expected_loss(loss)
    se = float(loss.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    wal = _average_life(sched, slice(None))
    table = RATING_TABLES[sc.credit.rating_table]
    uncapped = implied_rating(table, pd_upper, wal)
    rating = uncapped
    if sc.credit.rating_cap != "none":
        cap = table.ratings[int(sc.credit.rating_cap) - 1]
        if table.ratings.index(rating) < table.ratings.index(cap):
            rating = cap
    return CreditReport(
        paths=n,
        probability_of_default=pd_,
        probability_of_default_upper=pd_upper,
        expected_loss=el,
        expected_loss_upper=el + 1.645 * se,
        loss_given_default=el / pd_ if pd_ > 0 else math.nan,
        weighted_average_life_years=wal,
        rating=rating,
        rating_uncapped=uncapped,
        table=table.title,
        loss_year=sc.horizon.start_year + end,
    )


@dataclass(frozen=True)
class FairCoupon:
    """The fair coupon of the notes; ``coupon`` None: no clearing coupon in the range."""

    coupon: float | None
    spread: float | None
    standard_error: float | None
    discount_rate: float
    paths: int
    seed: int


def _gap(scenario: Scenario, coupon: float, paths: int, seed: int) -> tuple[float, float]:
    """E[PV of what holders get] - PV of what they lend, at the coupon, and its std error."""
    sc = scenario.with_overrides({"naef.coupon_rate": coupon}, source=scenario.name)
    sched = build_schedule(sc)  # sized once, for the run and for what is lent
    res = simulate(sc, paths=paths, seed=seed, keep_series=False, schedule=sched)
    got = res.metrics["holder_pv_usd_bn"].to_numpy(dtype=float)
    rate = sc.credit.risk_free_rate + sc.credit.risk_premium
    faces = np.asarray(sched.face_usd_bn, dtype=float)
    lent = float((faces / (1.0 + rate) ** np.arange(len(faces))).sum())
    se = float(got.std(ddof=1) / math.sqrt(len(got))) if len(got) > 1 else 0.0
    return float(got.mean()) - lent, se


def fair_coupon(scenario: Scenario, *, paths: int = 4000, seed: int | None = None) -> FairCoupon:
    """The lowest coupon at which the notes are worth what holders lend (module docstring).

    Raises
    ------
    InputError
        When the horizon ends before losses crystallize, or nothing is issued.
    """
    _loss_year(scenario)  # refuses what it cannot read
    seed = scenario.simulation.seed if seed is None else seed
    rate = scenario.credit.risk_free_rate + scenario.credit.risk_premium
    grid = [max(rate, 0.0) + COUPON_SPAN * i / (GRID_POINTS - 1) for i in range(GRID_POINTS)]
    previous: tuple[float, float] | None = None
    bracket: tuple[float, float] | None = None
    for c in grid:
        g, _ = _gap(scenario, c, paths, seed)
        if g >= 0.0:
            bracket = (previous[0], c) if previous is not None else (c, c)
            break
        previous = (c, g)
    if bracket is None:
        return FairCoupon(None, None, None, rate, paths, seed)
    lo, hi = bracket
    for _ in range(BISECTION_STEPS if lo < hi else 0):
        mid = 0.5 * (lo + hi)
        if _gap(scenario, mid, paths, seed)[0] >= 0.0:
            hi = mid
        else:
            lo = mid
    root = hi
    g_root, se_root = _gap(scenario, root, paths, seed)
    step = max(1e-4, hi - lo)
    g_up, _ = _gap(scenario, root + step, paths, seed)
    slope = (g_up - g_root) / step
    error = se_root / abs(slope) if slope != 0.0 else math.inf
    return FairCoupon(root, root - scenario.credit.risk_free_rate, error, rate, paths, seed)


def tranche_credit(results: Results) -> pd.DataFrame:
    """PD, expected loss, loss given default and average life of each tranche (module text).

    Computed on the paths whose per-year series the run kept (``results.series``), whose
    count is in the column ``paths``.

    Raises
    ------
    InputError
        When the horizon ends before a tranche's loss year, the run kept no series, or a cash
        sweep prepaid principal (its prepayments are not shared by tranche).
    """
    sc = results.scenario
    sched, _ = _loss_year(sc)
    if sc.waterfall.cash_sweep_share > 0:
        raise InputError(
            sc.name,
            "waterfall.cash_sweep_share",
            f"got {sc.waterfall.cash_sweep_share:g}; want 0 for figures by tranche (a sweep's "
            "prepayments are not shared by tranche)",
        )
    try:
        paid = results.series("debt_service_paid_usd_bn").to_numpy()
    except KeyError:
        raise InputError(
            sc.name, "keep_series", "got a run without series; want one that kept them"
        ) from None
    interest = np.asarray(sched.tranche_interest_usd_bn)  # (tranches, years)
    principal = np.asarray(sched.tranche_principal_usd_bn)
    service = interest + principal
    faces = np.asarray(sched.face_usd_bn, dtype=float)
    coupon = sc.naef.coupon_rate
    tranches, years = service.shape
    n = paid.shape[1]
    arrears = np.zeros((tranches, n))
    history = np.zeros((years, tranches, n))  # each tranche's arrears at each year's end
    unpaid_interest = np.zeros((years, tranches, n))
    got = np.zeros((years, tranches, n))
    for t in range(years):
        # Interest first (the year's and on the arrears), pro rata; then principal and the
        # arrears carried, pro rata: the whole issue's order, shared by tranche.
        owed_interest = interest[:, t : t + 1] + arrears * coupon
        owed_principal = principal[:, t : t + 1] + arrears
        to_interest = np.minimum(paid[t], owed_interest.sum(axis=0))
        to_principal = paid[t] - to_interest
        interest_paid = _share(owed_interest, to_interest)
        got[t] = interest_paid + _share(owed_principal, to_principal)
        unpaid_interest[t] = np.maximum(owed_interest - interest_paid, 0.0)
        arrears = owed_interest + owed_principal - got[t]
        history[t] = arrears
    rows = []
    for j in range(tranches):
        if faces[j] <= 0.0:
            continue
        final = j + sc.naef.tenor_years
        end = final + sc.credit.tail_years
        defaulted = (unpaid_interest[: final + 1, j] > SHORTFALL_EPS_USD_BN).any(axis=0)
        defaulted |= history[final, j] > SHORTFALL_EPS_USD_BN
        v = (1.0 + coupon) ** -np.arange(end + 1, dtype=float)
        scheduled = float((service[j, : end + 1] * v).sum())
        value = (got[: end + 1, j] * v[:, None]).sum(axis=0)
        value += sc.naef.recovery_rate * history[end, j] * v[end]
        el = _expected_loss(1.0 - value / scheduled)
        pd_ = float(defaulted.mean())
        rows.append(
            {
                "tranche": j,
                "issued": sc.horizon.start_year + j,
                "final_maturity": sc.horizon.start_year + final,
                "face_usd_bn": float(faces[j]),
                "weighted_average_life_years": _average_life(sched, slice(j, j + 1)),
                "probability_of_default": pd_,
                "expected_loss": el,
                "loss_given_default": el / pd_ if pd_ > 0 else math.nan,
                "paths": n,
            }
        )
    return pd.DataFrame(rows).set_index("tranche")


def _share(owed: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """``amount`` shared among the rows of ``owed`` in proportion to them."""
    total = owed.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: np.ndarray = np.where(total > 0.0, owed / total, 0.0) * amount
    return out
