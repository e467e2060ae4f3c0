"""The yearly cash waterfall over all paths at once (the model's only loop over years).

Each year ``t``, on every path::

    cash = CFADS[t] + dsra * reserve_yield
    due  = scheduled_service[t] + arrears * (1 + coupon)
    pay what cash allows; the gap is met from the DSRA, then the backstop (up to its yearly cap);
    what is still unpaid is this year's shortfall, carried as arrears at the coupon
    from the surplus: top the DSRA up to dsra_coverage_years x next year's scheduled service
    (an excess is released into the surplus), repay earlier backstop draws, then mdf_share to
    the MDF; the rest is retained by Pemex.

Negative operating cash (costs above revenue, e.g. oversight before first oil) is not paid out of
the reserve: Pemex carries it, and it shows as negative ``pemex_retained``. So the debt is only
ever served from non-negative cash and ``debt_service_paid = due - shortfall`` lies in
``[0, due]``. The sources-and-uses identity, checked by the tests on every year and path::

    cash + dsra_draw + dsra_release + backstop_draw
        = debt_service_paid + dsra_topup + backstop_repaid + mdf_inflow + pemex_retained

A shortfall carried from one year to the next is owed again with its interest; the part of a
year's shortfall that is *new* (``max(shortfall - arrears carried with interest, 0)``) is what
first went unpaid that year, so a sum of new shortfalls counts each unpaid amount once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..scenario.schema import Waterfall
from ..scenario.sets import FloatArray, PerPath

__all__ = ["WaterfallFlows", "identity_residual", "run_waterfall"]


@dataclass(frozen=True)
class WaterfallFlows:
    """Realized flows of the waterfall, each shape (years, paths) [USD bn].

    Balances (``dsra_balance_usd_bn``, ``backstop_outstanding_usd_bn``) are at the end of each
    year; ``shortfall_usd_bn`` is the arrears carried into the next year.
    """

    cash_usd_bn: FloatArray
    reserve_income_usd_bn: FloatArray
    debt_service_due_usd_bn: FloatArray
    debt_service_paid_usd_bn: FloatArray
    shortfall_usd_bn: FloatArray
    new_shortfall_usd_bn: FloatArray
    dsra_draw_usd_bn: FloatArray
    dsra_release_usd_bn: FloatArray
    dsra_topup_usd_bn: FloatArray
    dsra_balance_usd_bn: FloatArray
    backstop_draw_usd_bn: FloatArray
    backstop_repaid_usd_bn: FloatArray
    backstop_outstanding_usd_bn: FloatArray
    mdf_inflow_usd_bn: FloatArray
    pemex_retained_usd_bn: FloatArray

    def as_dict(self) -> dict[str, FloatArray]:
        """The flows by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def run_waterfall(
    cfads_usd_bn: FloatArray,
    scheduled_usd_bn: FloatArray,
    *,
    coupon_rate: float | FloatArray,
    waterfall: Waterfall | PerPath[Waterfall],
) -> WaterfallFlows:
    """Run the waterfall for every path.

    Parameters
    ----------
    cfads_usd_bn
        Cash flow available for debt service [USD bn], shape (years, paths).
    scheduled_usd_bn
        Scheduled debt service [USD bn], shape (years,), or (years, paths) when each path owes
        its own schedule.
    coupon_rate
        Interest charged on arrears [1/year]; a float or one value per path, shape (paths,).
    waterfall
        The ``waterfall`` section, or one whose float fields hold one value per path.

    Returns
    -------
    WaterfallFlows
        The flows of every year and path; balances are at the end of each year.
    """
    years, n = cfads_usd_bn.shape
    out = {f.name: np.empty((years, n)) for f in fields(WaterfallFlows)}
    following = np.zeros_like(scheduled_usd_bn)  # next year's scheduled service
    following[:-1] = scheduled_usd_bn[1:]
    target = waterfall.dsra_coverage_years * following.reshape(years, -1)
    cap = waterfall.backstop_usd_bn_per_year
    share = waterfall.mdf_share
    growth = 1.0 + coupon_rate
    # Scratch rows reused every year (no allocation inside the loop).
    avail, from_cash, gap, surplus, tmp = (np.empty(n) for _ in range(5))
    dsra_prev = np.zeros(n)
    backstop_prev = np.zeros(n)
    carried = np.zeros(n)  # last year's shortfall with a year's interest
    for t in range(years):
        income = np.multiply(
            dsra_prev, waterfall.reserve_yield, out=out["reserve_income_usd_bn"][t]
        )
        cash = np.add(cfads_usd_bn[t], income, out=out["cash_usd_bn"][t])
        due = np.add(carried, scheduled_usd_bn[t], out=out["debt_service_due_usd_bn"][t])
        np.maximum(cash, 0.0, out=avail)
        np.minimum(avail, due, out=from_cash)
        np.subtract(due, from_cash, out=gap)
        draw = np.minimum(dsra_prev, gap, out=out["dsra_draw_usd_bn"][t])
        gap -= draw
        bdraw = np.minimum(gap, cap, out=out["backstop_draw_usd_bn"][t])
        short = np.subtract(gap, bdraw, out=out["shortfall_usd_bn"][t])
        np.subtract(short, carried, out=tmp)
        np.maximum(tmp, 0.0, out=out["new_shortfall_usd_bn"][t])
        # Paid = what was paid, not due - shortfall: with large arrears that difference of
        # two big numbers loses the digits the sources-and-uses identity needs.
        paid = np.add(from_cash, draw, out=out["debt_service_paid_usd_bn"][t])
        paid += bdraw
        np.subtract(avail, from_cash, out=surplus)
        # Reserve to target: release an excess, top up a deficit from the surplus.
        dsra = np.subtract(dsra_prev, draw, out=out["dsra_balance_usd_bn"][t])
        np.subtract(dsra, target[t], out=tmp)
        release = np.maximum(tmp, 0.0, out=out["dsra_release_usd_bn"][t])
        np.subtract(release, tmp, out=tmp)  # the deficit, max(target - dsra, 0), exactly
        surplus += release
        topup = np.minimum(surplus, tmp, out=out["dsra_topup_usd_bn"][t])
        surplus -= topup
        dsra += topup
        dsra -= release
        owed = np.add(backstop_prev, bdraw, out=out["backstop_outstanding_usd_bn"][t])
        repaid = np.minimum(surplus, owed, out=out["backstop_repaid_usd_bn"][t])
        surplus -= repaid
        owed -= repaid
        mdf = np.multiply(surplus, share, out=out["mdf_inflow_usd_bn"][t])
        retained = np.subtract(surplus, mdf, out=out["pemex_retained_usd_bn"][t])
        np.minimum(cash, 0.0, out=tmp)
        retained += tmp
        np.multiply(short, growth, out=carried)
        dsra_prev, backstop_prev = dsra, owed
    return WaterfallFlows(**out)


def identity_residual(flows: WaterfallFlows) -> FloatArray:
    """Sources minus uses of every year and path [USD bn]; zero up to rounding."""
    out = np.add(flows.cash_usd_bn, flows.dsra_draw_usd_bn)
    out += flows.dsra_release_usd_bn
    out += flows.backstop_draw_usd_bn
    for use in (
        flows.debt_service_paid_usd_bn,
        flows.dsra_topup_usd_bn,
        flows.backstop_repaid_usd_bn,
        flows.mdf_inflow_usd_bn,
        flows.pemex_retained_usd_bn,
    ):
        out -= use
    return out
