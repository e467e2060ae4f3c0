"""NAEF securities: tranches -> face, reserves funded at close, Pemex capex and scheduled service.

Deterministic: every path owes the same schedule (a cash sweep scales it per path later, in
the waterfall). Tranche ``j`` of face ``F_j`` is issued at the end of year ``j``; its service runs
in years ``j+1 .. j+M`` (M = tenor), with ``G`` grace years of interest only, then

- ``level``: annuity ``A = F c / (1 - (1+c)^-(M-G))`` (``F / (M-G)`` when ``c = 0``);
- ``linear``: ``F / (M-G)`` of principal a year plus interest;
- ``bullet``: interest every year, all principal in year ``M``;
- ``sculpted``: service ``CF_k / D`` in amortization year ``k``, ``CF`` the tranche's own
  base-case CFADS, ``D = sum_k CF_k (1+c)^-(k-G) / F`` (the coverage at which that service
  repays ``F`` exactly); when ``D`` is at least ``target_dscr`` the target is used and the
  tranche repays early. Principal is ``min(max(service - interest, 0), balance)``.

Interest is the coupon times the balance at the start of the year.

At each issue, the tranche's proceeds pay, besides the issuance cost ``issuance_cost_rate x F``:

- an **interest reserve**: the interest the tranche owes in its first ``N`` service years
  (undiscounted), which the reserve pays when due (``N`` = ``capitalized_interest_years``);
- with ``dsra_funded_at_close``, the **debt service reserve** up to its target for the coming
  year, ``dsra_coverage_years x`` that year's service net of what the interest reserves pay,
  taking the reserve to stand at its target for the current year (so no year is funded twice).

What is left is Pemex capex (``face`` sizing); with ``net_capex`` sizing the face is grossed up so
that capex equals ``issuance_usd_bn``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np
import numpy.typing as npt

from ..scenario.errors import ScenarioError
from ..scenario.schema import Naef

__all__ = ["DebtSchedule", "debt_schedule", "tranche_schedule"]

FloatArray = npt.NDArray[np.float64]

#: Fields of a schedule that depend on integer fields only: one value serves every path of a
#: stacked schedule.
_SAME_ON_EVERY_PATH = ("reserve_end", "legal_final", "last_maturity")

#: Most rounds of the fixed point that grosses a face up under ``net_capex`` sizing.
_MAX_ROUNDS = 200


def tranche_schedule(
    face_usd_bn: float,
    *,
    coupon_rate: float,
    tenor_years: int,
    grace_years: int,
    amortization: str,
    cfads_usd_bn: FloatArray | None = None,
    target_dscr: float = math.inf,
) -> tuple[FloatArray, FloatArray]:
    """Interest and principal of one tranche by year of service.

    Parameters
    ----------
    face_usd_bn
        Face value F [USD bn].
    coupon_rate
        Coupon c [1/year].
    tenor_years
        Years of service M [years].
    grace_years
        Interest-only years G < M [years] (ignored by ``bullet``).
    amortization
        ``"level"``, ``"linear"``, ``"bullet"`` or ``"sculpted"``.
    cfads_usd_bn
        ``sculpted`` only: the tranche's base-case CFADS in each service year, shape (M,)
        [USD bn] (0 where unknown, beyond the horizon).
    target_dscr
        ``sculpted`` only: the coverage the service is sized to at most [-].

    Returns
    -------
    interest, principal
        Arrays of length M [USD bn]; element ``i`` is service year ``i + 1`` after issue.
    """
    m, c, f = tenor_years, coupon_rate, face_usd_bn
    principal = np.zeros(m)
    if amortization == "sculpted":
        return _sculpted(f, c, m, grace_years, cfads_usd_bn, target_dscr)[:2]
    if amortization == "bullet":
        principal[-1] = f
    else:
        g = grace_years
        n = m - g
        if amortization == "linear" or c == 0.0:
            principal[g:] = f / n
        elif amortization == "level":
            # With L = ln(1 + c): 1 - (1+c)^-n = -expm1(-n L), (1+c)^x - 1 = expm1(x L); these
            # keep full precision for coupons near zero, where the textbook forms cancel.
            log_growth = np.log1p(c)
            annuity = f * c / -np.expm1(-n * log_growth)
            i = np.arange(n)
            grown = np.expm1(n * log_growth)
            bal_start = f * (grown - np.expm1(i * log_growth)) / grown
            principal[g:] = annuity - c * bal_start
        else:
            raise ValueError(f"unknown amortization {amortization!r}")
    balance_start = f - np.concatenate(([0.0], np.cumsum(principal)[:-1]))
    interest = c * balance_start
    return interest, principal


def _sculpted(
    face: float,
    c: float,
    m: int,
    g: int,
    cfads: FloatArray | None,
    target: float,
) -> tuple[FloatArray, FloatArray, float]:
    """Sculpted interest and principal by service year, and the coverage they are sized at.

    A tranche whose base-case CFADS over its amortization years has no positive present value
    has nothing to sculpt on: it is repaid as a level annuity, and its coverage is NaN.
    """
    if cfads is None or len(cfads) != m:
        raise ValueError("sculpted amortization needs the tranche's CFADS in each service year")
    k = np.arange(1, m + 1)
    amortizing = k > g
    discount = (1.0 + c) ** -(k - g).astype(float)
    pv = float(np.sum(np.where(amortizing, cfads * discount, 0.0)))
    achieved = pv / face if face > 0 else math.inf
    if not achieved > 0:
        level = tranche_schedule(
            face, coupon_rate=c, tenor_years=m, grace_years=g, amortization="level"
        )
        return level[0], level[1], math.nan
    coverage = min(achieved, target)
    interest, principal = np.zeros(m), np.zeros(m)
    balance = face
    for i in range(m):
        interest[i] = c * balance
        if amortizing[i]:
            wanted = cfads[i] / coverage - interest[i]
            principal[i] = balance if i == m - 1 else min(max(wanted, 0.0), balance)
            balance -= principal[i]
    return interest, principal, coverage


@dataclass(frozen=True)
class DebtSchedule:
    """The scheduled (not the realized) flows of the NAEF securities [USD bn].

    Arrays by year are shape (years,); by tranche and year (tranches, years). A run over many
    parameter sets (:func:`simulator.run.engine.simulate_sets`) stacks one schedule per path on
    a last axis of paths.

    Attributes
    ----------
    face_usd_bn
        Face of each tranche, shape (tranches,).
    issuance_usd_bn
        Face issued at the end of each year.
    fees_usd_bn, interest_reserve_funding_usd_bn, dsra_close_funding_usd_bn
        What the proceeds of each year's issue pay besides capex: the issuance cost, the
        interest reserve and the debt service reserve funded at close.
    capex_usd_bn
        What is left of the proceeds, spent by Pemex in the year of issue.
    tranche_interest_usd_bn, tranche_principal_usd_bn
        Scheduled interest and principal of each tranche by year.
    tranche_balance_start_usd_bn
        Each tranche's scheduled balance at the start of each year (0 before its issue).
    tranche_reserve_interest_usd_bn
        The interest each tranche's interest reserve pays in each year.
    interest_usd_bn, principal_usd_bn, service_usd_bn, reserve_interest_usd_bn
        Totals over the tranches by year.
    balance_end_usd_bn
        Scheduled balance at the end of each year.
    outstanding_at_horizon_usd_bn
        Principal still scheduled after the last simulated year.
    reserve_end
        Year index of the last year of each tranche's interest reserve (-1: none); what it
        holds then moves to the debt service reserve.
    legal_final
        Years in which some tranche reaches its final maturity (principal then unpaid is a
        default), shape (years,), boolean.
    last_maturity
        Year index of the last final maturity of the issue (may lie beyond the horizon).
    sculpted_dscr
        The coverage each sculpted tranche is sized at, shape (tranches,) (NaN otherwise).
    """

    face_usd_bn: FloatArray
    issuance_usd_bn: FloatArray
    fees_usd_bn: FloatArray
    interest_reserve_funding_usd_bn: FloatArray
    dsra_close_funding_usd_bn: FloatArray
    capex_usd_bn: FloatArray
    tranche_interest_usd_bn: FloatArray
    tranche_principal_usd_bn: FloatArray
    tranche_balance_start_usd_bn: FloatArray
    tranche_reserve_interest_usd_bn: FloatArray
    interest_usd_bn: FloatArray
    principal_usd_bn: FloatArray
    service_usd_bn: FloatArray
    reserve_interest_usd_bn: FloatArray
    balance_end_usd_bn: FloatArray
    outstanding_at_horizon_usd_bn: float | FloatArray
    reserve_end: npt.NDArray[np.int64]
    legal_final: npt.NDArray[np.bool_]
    last_maturity: int
    sculpted_dscr: FloatArray

    @classmethod
    def stack(cls, schedules: list[DebtSchedule], index: npt.NDArray[np.int64]) -> DebtSchedule:
        """One schedule per path: each float array gains a last axis of paths, path ``p``
        taking the schedule ``schedules[index[p]]``. The integer and boolean fields
        (:data:`_SAME_ON_EVERY_PATH`) must be the same in every schedule."""
        counts = np.bincount(index, minlength=len(schedules))
        parts = {}
        for f in fields(cls):
            values = [getattr(s, f.name) for s in schedules]
            if f.name in _SAME_ON_EVERY_PATH:
                parts[f.name] = values[0]
            else:
                parts[f.name] = np.repeat(np.stack(values, axis=-1), counts, axis=-1)
        return cls(**parts)

    def take(self, paths: npt.NDArray[np.int64]) -> DebtSchedule:
        """The schedules of some paths of a stacked schedule (:meth:`stack`), in that order."""
        parts = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SAME_ON_EVERY_PATH:
                parts[f.name] = value
            else:
                parts[f.name] = np.take(value, paths, axis=-1)
        return replace(self, **parts)


def debt_schedule(
    naef: Naef,
    *,
    years: int,
    reserve_years: int = 0,
    dsra_coverage_years: float = 0.0,
    fund_dsra_at_close: bool = False,
    tranche_cfads_usd_bn: FloatArray | None = None,
) -> DebtSchedule:
    """Faces, reserves funded at close, capex and scheduled service over the horizon.

    Parameters
    ----------
    naef
        The ``naef`` section.
    years
        Horizon length T [years]; service falling after year T-1 is left out of the arrays and
        its principal counted in ``outstanding_at_horizon_usd_bn``.
    reserve_years
        N, the years of interest each tranche's interest reserve pays [years] (0: none).
    dsra_coverage_years
        Target of the debt service reserve, in years of net service [years].
    fund_dsra_at_close
        Fund the debt service reserve from each issue's proceeds up to the coming year's target.
    tranche_cfads_usd_bn
        ``sculpted`` amortization only: each tranche's base-case CFADS by year, shape
        (tranches, years) [USD bn].

    Raises
    ------
    ScenarioError
        When a tranche's fees and reserves would take more than its proceeds.
    """
    amounts = np.asarray(naef.issuance_usd_bn, dtype=float)
    n_tr = len(amounts)
    m, g, c = naef.tenor_years, naef.grace_years, naef.coupon_rate
    issue = np.zeros(years)
    fees = np.zeros(years)
    reserve_funding = np.zeros(years)
    dsra_funding = np.zeros(years)
    capex = np.zeros(years)
    faces = np.zeros(n_tr)
    t_int = np.zeros((n_tr, years))
    t_prin = np.zeros((n_tr, years))
    t_bal = np.zeros((n_tr, years))
    t_res = np.zeros((n_tr, years))
    reserve_end = np.full(n_tr, -1, dtype=np.int64)
    legal_final = np.zeros(years, dtype=bool)
    sculpted = np.full(n_tr, np.nan)
    last_maturity = -1

    def net_service(t: int, upto: int) -> float:
        """Service in year t of tranches 0 .. upto, net of what their reserves pay."""
        if not 0 <= t < years:
            return 0.0
        rows = slice(0, upto + 1)
        return float(t_int[rows, t].sum() + t_prin[rows, t].sum() - t_res[rows, t].sum())

    for j, amount in enumerate(amounts):
        if amount == 0.0:
            continue
        cf = None
        if naef.amortization == "sculpted":
            assert tranche_cfads_usd_bn is not None, "sculpting needs the tranches' CFADS"
            cf = np.zeros(m)
            span = min(m, years - (j + 1))
            if span > 0:
                cf[:span] = tranche_cfads_usd_bn[j, j + 1 : j + 1 + span]

        def place(face: float, j: int = j, cf: FloatArray | None = cf) -> tuple[float, float]:
            """Lay tranche j of this face into the arrays; return its reserve and DSRA funding."""
            if naef.amortization == "sculpted":
                interest, principal, sculpted[j] = _sculpted(face, c, m, g, cf, naef.target_dscr)
            else:
                interest, principal = tranche_schedule(
                    face,
                    coupon_rate=c,
                    tenor_years=m,
                    grace_years=g,
                    amortization=naef.amortization,
                )
            stop = min(years, j + 1 + m)
            span = stop - (j + 1)
            t_int[j] = t_prin[j] = t_res[j] = 0.0
            balance_start = face - np.concatenate(([0.0], np.cumsum(principal)[:-1]))
            t_bal[j] = 0.0
            if span > 0:
                t_int[j, j + 1 : stop] = interest[:span]
                t_prin[j, j + 1 : stop] = principal[:span]
                t_bal[j, j + 1 : stop] = balance_start[:span]
                covered = min(reserve_years, span)
                t_res[j, j + 1 : j + 1 + covered] = interest[:covered]
            reserve = float(interest[: min(reserve_years, m)].sum())
            dsra = 0.0
            if fund_dsra_at_close and dsra_coverage_years > 0:
                now = dsra_coverage_years * net_service(j, j - 1)
                coming = dsra_coverage_years * net_service(j + 1, j)
                dsra = max(coming - now, 0.0)
            return reserve, dsra

        fee_rate = naef.issuance_cost_rate
        if naef.sizing == "face":
            face = float(amount)
            reserve, dsra = place(face)
        else:  # grossed up until what is left for capex is the amount asked for
            face = amount / (1.0 - fee_rate)
            for _ in range(_MAX_ROUNDS):
                reserve, dsra = place(face)
                new_face = (amount + reserve + dsra) / (1.0 - fee_rate)
                if abs(new_face - face) <= 1e-13 * new_face:
                    face = new_face
                    break
                face = new_face
            else:
                raise ScenarioError(
                    "naef",
                    "naef.sizing",
                    f"got net_capex, but tranche {j}'s reserves grow with its face faster than "
                    "the face can pay for them; want face sizing or smaller reserves",
                )
            reserve, dsra = place(face)
        left = face * (1.0 - fee_rate) - reserve - dsra
        if left < -1e-12 * face:
            raise ScenarioError(
                "naef",
                f"naef.issuance_usd_bn[{j}]",
                f"got {amount:g}, whose fees and reserves ({face - left:.6g}) exceed its face; "
                "want a larger tranche, a shorter interest reserve or a smaller reserve account",
            )
        faces[j] = face
        issue[j] += face
        fees[j] += face * fee_rate
        reserve_funding[j] += reserve
        dsra_funding[j] += dsra
        capex[j] += max(left, 0.0)
        if reserve_years > 0:
            reserve_end[j] = j + min(reserve_years, m)
        final = j + m
        last_maturity = max(last_maturity, final)
        if final < years:
            legal_final[final] = True

    interest = t_int.sum(axis=0)
    principal = t_prin.sum(axis=0)
    balance_end = np.cumsum(issue - principal)
    return DebtSchedule(
        face_usd_bn=faces,
        issuance_usd_bn=issue,
        fees_usd_bn=fees,
        interest_reserve_funding_usd_bn=reserve_funding,
        dsra_close_funding_usd_bn=dsra_funding,
        capex_usd_bn=capex,
        tranche_interest_usd_bn=t_int,
        tranche_principal_usd_bn=t_prin,
        tranche_balance_start_usd_bn=t_bal,
        tranche_reserve_interest_usd_bn=t_res,
        interest_usd_bn=interest,
        principal_usd_bn=principal,
        service_usd_bn=interest + principal,
        reserve_interest_usd_bn=t_res.sum(axis=0),
        balance_end_usd_bn=balance_end,
        outstanding_at_horizon_usd_bn=max(float(balance_end[-1]), 0.0) if years else 0.0,
        reserve_end=reserve_end,
        legal_final=legal_final,
        last_maturity=last_maturity,
        sculpted_dscr=sculpted,
    )
