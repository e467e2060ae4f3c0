"""The yearly cash waterfall over all paths at once (the model's only loop over years).

Each year ``t``, on every path, in this order::

    interest reserves: earn reserve_yield on their balance; pay their tranches' interest
        (the service they were funded for: ir_paid); one whose window ends this year hands
        what it still holds to the DSRA
    cash = CFADS[t] + dsra * reserve_yield  (the yield on the DSRA's opening balance)
    due  = scheduled_service[t] - ir_paid + arrears * (1 + coupon)
    pay what cash allows; the gap is met from the DSRA, then the backstop (up to its yearly
        cap, which moves with the oil price when price_linked); what is still unpaid is this
        year's shortfall, carried as arrears at the coupon
    year end: the DSRA receives what the proceeds of this year's issue fund at close
    DSCR = CFADS / (scheduled_service - ir_paid); below lockup_dscr the year is locked, and
        so is a year without that service while debt is outstanding (no coverage test yet:
        nothing is distributed during construction)
    from the surplus: top the DSRA up to dsra_coverage_years x next year's net service (an
        excess is released into the surplus, unless locked); repay the backstop with its
        interest (unless locked); prepay cash_sweep_share of what is left; a locked year
        traps the rest in the DSRA; otherwise mdf_share of it goes to the MDF and the rest is
        retained by Pemex.

Negative operating cash (costs above revenue, e.g. oversight before first oil) is not paid out of
the reserves: Pemex carries it, and it shows as negative ``pemex_retained``. So the debt is only
ever served from non-negative cash and ``debt_service_paid = due + ir_paid - shortfall``. The
sources-and-uses identity of the year's cash, checked by the tests on every year and path::

    cash + ir_paid + dsra_draw + dsra_release + backstop_draw
        = debt_service_paid + dsra_topup + cash_trapped + backstop_repaid + debt_prepaid
          + mdf_inflow + pemex_retained

and the reserve accounts roll forward::

    dsra[t] = dsra[t-1] - draw + topup + trapped - release + close_funding + from_interest_reserve
    interest_reserve[t] = interest_reserve[t-1] * (1 + yield) + funding - ir_paid
                          - to_dsra
    backstop[t] = backstop[t-1] * (1 + backstop_rate) + draw - repaid

Interest is paid before principal. A path **defaults** when interest goes unpaid (after the
interest reserve, the DSRA and the backstop), or when principal is still unpaid at the end of a
year in which a tranche reaches its final maturity. A shortfall carried from one year to the next
is owed again with its interest; the part of a year's shortfall that is *new*
(``max(shortfall - arrears carried with interest, 0)``) is what first went unpaid that year, so a
sum of new shortfalls counts each unpaid amount once.

A cash sweep prepays the tranches pro rata to their balances, so every tranche outstanding keeps
the same share of its schedule: the sweep is a scale factor on the remaining service of each
tranche.

A step that moves nothing on any path in a year (a draw when cash meets what is due on every
path, the lock-up's masks when no path is locked) is skipped, and its rows hold the zeros it
would have written: which steps run depends on the other paths, the numbers of a path do not.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..scenario.schema import Waterfall
from ..scenario.sets import FloatArray, PerPath
from .financing import DebtSchedule
from .metrics import MIN_SERVICE_USD_BN, is_idle

__all__ = ["WaterfallFlows", "identity_residual", "run_waterfall"]


@dataclass(frozen=True)
class WaterfallFlows:
    """Realized flows of the waterfall, each shape (years, paths) [USD bn unless stated].

    Balances (``dsra_balance_usd_bn``, ``interest_reserve_balance_usd_bn``,
    ``backstop_outstanding_usd_bn``) are at the end of each year, ``debt_balance_start_usd_bn``
    at its start; ``shortfall_usd_bn`` is the arrears carried into the next year;
    ``unpaid_interest_usd_bn`` the interest due and not paid (a default); ``dscr`` [-] is NaN in
    years with no net service.
    """

    cash_usd_bn: FloatArray
    reserve_income_usd_bn: FloatArray
    interest_reserve_paid_usd_bn: FloatArray
    debt_service_due_usd_bn: FloatArray
    debt_service_paid_usd_bn: FloatArray
    shortfall_usd_bn: FloatArray
    new_shortfall_usd_bn: FloatArray
    unpaid_interest_usd_bn: FloatArray
    dsra_draw_usd_bn: FloatArray
    dsra_release_usd_bn: FloatArray
    dsra_topup_usd_bn: FloatArray
    cash_trapped_usd_bn: FloatArray
    dsra_balance_usd_bn: FloatArray
    interest_reserve_balance_usd_bn: FloatArray
    interest_reserve_to_dsra_usd_bn: FloatArray
    backstop_draw_usd_bn: FloatArray
    backstop_interest_usd_bn: FloatArray
    backstop_repaid_usd_bn: FloatArray
    backstop_outstanding_usd_bn: FloatArray
    debt_prepaid_usd_bn: FloatArray
    debt_balance_start_usd_bn: FloatArray
    mdf_inflow_usd_bn: FloatArray
    pemex_retained_usd_bn: FloatArray
    dscr: FloatArray

    def as_dict(self) -> dict[str, FloatArray]:
        """The flows by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _rows(values: FloatArray, years: int) -> FloatArray:
    """A schedule array by year, (years,) or (years, paths), as (years, 1) or (years, paths)."""
    return values.reshape(years, -1)


def _column(values: FloatArray, t: int) -> FloatArray:
    """Year ``t`` of a by-tranche array, (tranches, years[, paths]), as (tranches, 1 or paths)."""
    return values[:, t].reshape(values.shape[0], -1)


def run_waterfall(
    cfads_usd_bn: FloatArray,
    schedule: DebtSchedule,
    price_index: FloatArray,
    *,
    coupon_rate: float | FloatArray,
    waterfall: Waterfall | PerPath[Waterfall],
    backstop: bool = True,
) -> WaterfallFlows:
    """Run the waterfall for every path.

    Parameters
    ----------
    cfads_usd_bn
        Cash flow available for debt service [USD bn], shape (years, paths).
    schedule
        The scheduled service, reserves funded at close and maturities of the securities
        (:class:`~simulator.model.financing.DebtSchedule`); one per path in a run over
        parameter sets.
    price_index
        The benchmark oil price over its level when the backstop was pledged [-], shape
        (years, paths): a ``price_linked`` backstop's cap is ``backstop_usd_bn_per_year`` times
        it (the pledged export revenue is a volume of oil, worth less when oil falls).
    coupon_rate
        Interest charged on arrears [1/year]; a float or one value per path, shape (paths,).
    waterfall
        The ``waterfall`` section, or one whose float fields hold one value per path.
        ``backstop_rate`` null is the coupon.
    backstop
        False: run without the backstop (the structure's stand-alone credit).

    Returns
    -------
    WaterfallFlows
        The flows of every year and path.
    """
    years, n = cfads_usd_bn.shape
    out = {f.name: np.empty((years, n)) for f in fields(WaterfallFlows)}
    service = _rows(schedule.service_usd_bn, years)
    interest = _rows(schedule.interest_usd_bn, years)
    reserve_interest = _rows(schedule.reserve_interest_usd_bn, years)
    close_funding = _rows(schedule.dsra_close_funding_usd_bn, years)
    reserve_funding = _rows(schedule.interest_reserve_funding_usd_bn, years)
    balance_start = _rows(schedule.tranche_balance_start_usd_bn.sum(axis=0), years)
    net_service = service - reserve_interest  # what falls on the year's cash
    following = np.zeros_like(net_service)  # next year's net service
    following[:-1] = net_service[1:]
    target = waterfall.dsra_coverage_years * following
    yield_ = waterfall.reserve_yield
    share = waterfall.mdf_share
    lockup = waterfall.lockup_dscr
    locking = bool(np.any(np.asarray(lockup) > 0))
    # Paths whose lock-up level is 0 are never locked (when it differs between paths).
    lockup_on = np.asarray(lockup) > 0 if np.ndim(lockup) > 0 else None
    rate = coupon_rate if waterfall.backstop_rate is None else waterfall.backstop_rate
    growth_backstop = 1.0 + rate
    cap: float | FloatArray = waterfall.backstop_usd_bn_per_year if backstop else 0.0
    cap_by_year = None
    if backstop and waterfall.backstop_basis == "price_linked":
        cap_by_year = cap * price_index
    growth = 1.0 + coupon_rate
    n_tranches = schedule.reserve_end.shape[0]
    # Interest reserves, by tranche: funded when the tranche is issued (at the end of year j
    # for tranche j), they pay its interest in its window and hand what is left to the DSRA
    # when the window ends.
    reserve_end = schedule.reserve_end
    last_reserve_year = int(reserve_end.max(initial=-1))
    tranche_reserve = schedule.tranche_reserve_interest_usd_bn
    # A cash sweep scales each tranche's remaining schedule (1: as scheduled).
    sweep_share = waterfall.cash_sweep_share
    sweeping = n_tranches > 0 and bool(np.any(np.asarray(sweep_share) > 0))
    scale = np.ones((n_tranches, n)) if sweeping else None
    # The interest reserves are the same on every path unless a sweep, a yield or a schedule
    # differs between them: then one column serves all.
    per_path = scale is not None or np.ndim(yield_) > 0 or tranche_reserve.ndim > 2
    ir = np.zeros((n_tranches, n if per_path else 1))
    last_reserve_year = min(last_reserve_year, years - 1)
    # Flows a structure without the feature never moves are 0: one read-only view of a zero,
    # no memory; the interest reserve's, written in its years only, start at 0.
    reserves = last_reserve_year >= 0
    for name, idle in (
        ("debt_prepaid_usd_bn", scale is None),
        ("cash_trapped_usd_bn", not locking),
        ("interest_reserve_to_dsra_usd_bn", not reserves),
        ("interest_reserve_balance_usd_bn", not reserves),
    ):
        if idle:
            out[name] = np.broadcast_to(0.0, (years, n))
    # What the interest reserves hold and hand to the DSRA, by year: one column when they are
    # the same on every path (shown to the paths as a read-only view), else one per path.
    reserve_to_dsra = reserve_balance = np.zeros((years, 1))  # (no reserve: nothing)
    if reserves:
        reserve_to_dsra, reserve_balance = np.zeros((2, years, ir.shape[1]))
        for name, values in (
            ("interest_reserve_to_dsra_usd_bn", reserve_to_dsra),
            ("interest_reserve_balance_usd_bn", reserve_balance),
        ):
            out[name] = values if per_path else np.broadcast_to(values, (years, n))
    if scale is None:
        # Without a sweep the schedule, what the interest reserves pay and so the coverage
        # ratio's denominator are the same whatever happens on the path: computed at once.
        # (read-only views of one row per year: the same on every path)
        out["debt_balance_start_usd_bn"] = np.broadcast_to(balance_start, (years, n))
        out["interest_reserve_paid_usd_bn"] = np.broadcast_to(reserve_interest, (years, n))
        no_service_all = net_service <= MIN_SERVICE_USD_BN
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            np.divide(cfads_usd_bn, net_service, out=out["dscr"])
        np.copyto(out["dscr"], np.nan, where=no_service_all)
    # Steps that move nothing in a year are skipped (their rows written as 0, the values they
    # would have given): an operating loss only where some path's CFADS is negative, the
    # proceeds' funding of the DSRA only in the years of an issue, and, in the loop, the draws
    # and shortfalls when cash meets what is due on every path and the lock-up's masks when no
    # path is locked.
    losing = ~(np.minimum.reduce(cfads_usd_bn, axis=1) >= 0.0)
    funding = np.any(close_funding != 0.0, axis=1)
    # The coverage test's years without service, when they are the same on every path.
    common_test = scale is None and no_service_all.shape[1] == 1 and balance_start.shape[1] == 1
    # Scratch rows reused every year (no allocation inside the loop).
    positive, from_cash, gap, surplus, tmp = (np.empty(n) for _ in range(5))
    lock = np.empty(n, dtype=bool)
    dsra_prev = np.zeros(n)
    owed_prev = np.zeros(n)
    carried = np.zeros(n)  # last year's shortfall with a year's interest
    arrears = np.zeros(n)  # last year's shortfall
    arrears_left = False  # whether cash fell short of what was due on any path last year
    for t in range(years):
        in_reserve_window = t <= last_reserve_year
        if scale is None:
            due_service, due_interest = service[t], interest[t]
        else:
            due_service = (scale * _column(schedule.tranche_interest_usd_bn, t)).sum(axis=0)
            due_interest = due_service.copy()
            due_service += (scale * _column(schedule.tranche_principal_usd_bn, t)).sum(axis=0)
            np.sum(
                scale * _column(schedule.tranche_balance_start_usd_bn, t),
                axis=0,
                out=out["debt_balance_start_usd_bn"][t],
            )
        # Interest reserves earn their yield and pay the interest they were funded for (they
        # always hold it: funded for the whole of it, they earn a yield >= 0 and a sweep only
        # lowers what is due).
        ir_paid = out["interest_reserve_paid_usd_bn"][t]
        if in_reserve_window:
            ir *= 1.0 + yield_
            by_reserve = _column(tranche_reserve, t)
            if scale is not None:
                by_reserve = scale * by_reserve
            ir -= by_reserve
            if scale is not None:
                ir_paid[:] = by_reserve.sum(axis=0)
        elif scale is not None:
            ir_paid[:] = 0.0
        on_cash = net_service[t] if scale is None else due_service - ir_paid
        income = np.multiply(dsra_prev, yield_, out=out["reserve_income_usd_bn"][t])
        cash = np.add(cfads_usd_bn[t], income, out=out["cash_usd_bn"][t])
        # An interest reserve whose window ends this year hands what it still holds to the
        # reserve account, where it can meet this year's service.
        to_dsra = reserve_to_dsra[t]
        if in_reserve_window:
            ending = reserve_end == t
            if ending.any():
                to_dsra[:] = ir[ending].sum(axis=0)
                np.maximum(to_dsra, 0.0, out=to_dsra)  # rounding below zero is nothing
                ir[ending] = 0.0
        dsra = np.add(dsra_prev, to_dsra, out=out["dsra_balance_usd_bn"][t])
        due = np.add(carried, on_cash, out=out["debt_service_due_usd_bn"][t])
        avail = np.maximum(cash, 0.0, out=positive) if losing[t] else cash
        np.minimum(avail, due, out=from_cash)
        np.subtract(due, from_cash, out=gap)  # >= 0
        draw = out["dsra_draw_usd_bn"][t]
        bdraw = out["backstop_draw_usd_bn"][t]
        short = out["shortfall_usd_bn"][t]
        # Paid = what was paid, not due - shortfall: with large arrears that difference of
        # two big numbers loses the digits the sources-and-uses identity needs.
        paid = np.add(ir_paid, from_cash, out=out["debt_service_paid_usd_bn"][t])
        owing = bool(gap.max(initial=0.0) > 0.0)
        if owing:
            np.minimum(dsra, gap, out=draw)
            gap -= draw
            year_cap = cap if cap_by_year is None else cap_by_year[t]
            np.minimum(gap, year_cap, out=bdraw)
            np.subtract(gap, bdraw, out=short)
            np.subtract(short, carried, out=tmp)
            np.maximum(tmp, 0.0, out=out["new_shortfall_usd_bn"][t])
            paid += draw
            paid += bdraw
        else:  # cash meets what is due on every path: nothing drawn, nothing short
            for row in (draw, bdraw, short, out["new_shortfall_usd_bn"][t]):
                row.fill(0.0)
        if scale is not None:  # (otherwise at once, after the loop)
            _unpaid_interest(
                arrears, coupon_rate, due_interest, paid, out=out["unpaid_interest_usd_bn"][t]
            )
        np.subtract(avail, from_cash, out=surplus)
        # Year end: the reserve account gets what this year's issue funds at close; so does
        # the interest reserve of this year's tranche.
        if owing:
            dsra -= draw
        if funding[t]:
            dsra += close_funding[t]
        if in_reserve_window:
            if t < n_tranches:
                ir[t] += reserve_funding[t]
            reserve_balance[t] = ir.sum(axis=0)
        # Coverage of the year's net service, and the lock-up it decides.
        ratio = out["dscr"][t]
        if scale is None:
            no_service = no_service_all[t]  # (1,) or (paths,)
        else:
            no_service = on_cash <= MIN_SERVICE_USD_BN
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                np.divide(cfads_usd_bn[t], on_cash, out=ratio)
            np.copyto(ratio, np.nan, where=no_service)
        everywhere = no_service.size == 1
        locked = None
        if locking:
            locked = lock
            if common_test and no_service[0]:
                # No service on any path: the ratio is NaN everywhere, so only the untested
                # years below lock (all paths while debt is outstanding, else those in arrears).
                if balance_start[t, 0] > MIN_SERVICE_USD_BN:
                    locked.fill(True)
                elif arrears_left:
                    np.greater(arrears, MIN_SERVICE_USD_BN, out=locked)
                else:
                    locked.fill(False)
            else:
                np.less(ratio, lockup, out=locked)
                if not everywhere or no_service[0]:
                    # No coverage test yet while debt is outstanding (construction, or arrears
                    # left after the last maturity): nothing is distributed either.
                    untested = np.greater(out["debt_balance_start_usd_bn"][t], MIN_SERVICE_USD_BN)
                    untested |= arrears > MIN_SERVICE_USD_BN
                    untested &= np.isnan(ratio)
                    locked |= untested
            if lockup_on is not None:
                locked &= lockup_on
            if not locked.any():
                locked = None  # (its masks would change nothing this year)
        # Reserve to target: release an excess (not in a locked year), top up a deficit.
        np.subtract(dsra, target[t], out=tmp)
        release = np.maximum(tmp, 0.0, out=out["dsra_release_usd_bn"][t])
        if locked is not None:
            np.copyto(release, 0.0, where=locked)
        np.subtract(release, tmp, out=tmp)  # the deficit, max(target - dsra, 0), exactly
        if locked is not None:
            np.maximum(tmp, 0.0, out=tmp)  # a locked excess is kept, not a deficit
        surplus += release
        topup = np.minimum(surplus, tmp, out=out["dsra_topup_usd_bn"][t])
        surplus -= topup
        dsra += topup
        dsra -= release
        # The backstop is a loan: it accrues interest, and is repaid when the year is not
        # locked (Pemex is a related party).
        owed = np.multiply(owed_prev, growth_backstop, out=out["backstop_outstanding_usd_bn"][t])
        if owing:
            owed += bdraw
        repaid = np.minimum(surplus, owed, out=out["backstop_repaid_usd_bn"][t])
        if locked is not None:
            np.copyto(repaid, 0.0, where=locked)
        surplus -= repaid
        owed -= repaid
        if scale is not None:
            prepaid = out["debt_prepaid_usd_bn"][t]
            _sweep(scale, schedule, t, surplus, sweep_share, out=prepaid)
            surplus -= prepaid
        if locked is not None:
            trapped = np.multiply(surplus, locked, out=out["cash_trapped_usd_bn"][t])
            surplus -= trapped
            dsra += trapped
        elif locking:
            out["cash_trapped_usd_bn"][t].fill(0.0)
        mdf = np.multiply(surplus, share, out=out["mdf_inflow_usd_bn"][t])
        retained = np.subtract(surplus, mdf, out=out["pemex_retained_usd_bn"][t])
        if losing[t]:
            np.minimum(cash, 0.0, out=tmp)
            retained += tmp
        if owing:
            np.multiply(short, growth, out=carried)
        else:
            carried.fill(0.0)
        arrears, arrears_left = short, owing
        dsra_prev, owed_prev = dsra, owed
    # The backstop's interest: a year on what it was owed at the start of the year.
    owed_start = out["backstop_outstanding_usd_bn"][:-1]
    out["backstop_interest_usd_bn"][0] = 0.0
    np.multiply(owed_start, rate, out=out["backstop_interest_usd_bn"][1:])
    if scale is None:
        arrears_start = np.zeros((years, n))
        arrears_start[1:] = out["shortfall_usd_bn"][:-1]
        _unpaid_interest(
            arrears_start,
            coupon_rate,
            interest,
            out["debt_service_paid_usd_bn"],
            out=out["unpaid_interest_usd_bn"],
        )
    return WaterfallFlows(**out)


def _unpaid_interest(
    arrears: FloatArray,
    coupon_rate: float | FloatArray,
    interest: FloatArray,
    paid: FloatArray,
    *,
    out: FloatArray,
) -> None:
    """Interest is paid first: the interest of the year (scheduled, and on the arrears carried
    into it) that the payments left unpaid, ``max(arrears c + interest - paid, 0)``."""
    np.multiply(arrears, coupon_rate, out=out)
    out += interest
    out -= paid
    np.maximum(out, 0.0, out=out)


def _sweep(
    scale: FloatArray,
    schedule: DebtSchedule,
    t: int,
    surplus: FloatArray,
    sweep_share: float | FloatArray,
    *,
    out: FloatArray,
) -> None:
    """Prepay ``sweep_share`` of the surplus, pro rata to the tranches' balances after this
    year's principal: every tranche outstanding keeps the same share of its schedule."""
    balance_end = _column(schedule.tranche_balance_start_usd_bn, t) - _column(
        schedule.tranche_principal_usd_bn, t
    )
    outstanding = scale * np.maximum(balance_end, 0.0)  # (tranches, paths)
    total = outstanding.sum(axis=0)
    np.multiply(surplus, sweep_share, out=out)
    np.minimum(out, total, out=out)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = np.where(total > 0, 1.0 - out / total, 1.0)
    # Only the tranches still outstanding shrink; those not yet issued keep their schedule.
    scale *= np.where(outstanding > 0, kept, 1.0)


def identity_residual(flows: WaterfallFlows) -> FloatArray:
    """Sources minus uses of every year and path [USD bn]; zero up to rounding.

    A flow the structure never moves (a read-only view of one zero) is left out: adding it
    changes nothing.
    """
    out = np.add(flows.cash_usd_bn, flows.interest_reserve_paid_usd_bn)
    for source in (flows.dsra_draw_usd_bn, flows.dsra_release_usd_bn, flows.backstop_draw_usd_bn):
        if not is_idle(source):
            out += source
    for use in (
        flows.debt_service_paid_usd_bn,
        flows.dsra_topup_usd_bn,
        flows.cash_trapped_usd_bn,
        flows.backstop_repaid_usd_bn,
        flows.debt_prepaid_usd_bn,
        flows.mdf_inflow_usd_bn,
        flows.pemex_retained_usd_bn,
    ):
        if not is_idle(use):
            out -= use
    return out
