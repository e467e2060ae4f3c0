"""Pemex capex -> incremental oil and gas production, revenue, costs and government take.

Capacity bought per USD 1 bn of capex is ``1e6 / capex_usd_per_flowing_bpd`` [kb/d]. A unit
profile by age ``a`` (years since the capex year) is 0 before ``lag_years``, a linear ramp
``(a - lag + 1) / (ramp + 1)``, 1 for ``plateau_years``, then Arps decline
``1 / (1 + b D tau)^(1/b)`` (``exp(-D tau)`` when b = 0) with tau = 1, 2, ... into the decline.
Production is the convolution of capex with the profile, times a per-path reservoir factor and
divided by a per-path capex-overrun factor (both lognormal with median 1).

Costs that follow oil: with ``pemex.cost_price_elasticity`` beta, the lifting cost per boe of a
year and what a year's capex buys scale with the cost index ``(P[t] / P_expected[t])^beta`` (the
price's deviation from the path expected at issue): ``opex = boe * opex_per_boe (1 + g)^t *
index[t]``; the capacity bought in year ``s`` is divided by ``index[s]``
(:func:`cost_index`, :func:`priced_kbd`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..scenario.schema import Fiscal, OilPrice, Pemex
from ..scenario.sets import FloatArray, PerPath
from .fiscal import regime_take
from .metrics import sum_over_years

__all__ = [
    "FieldCashFlows",
    "capacity_kbd",
    "capex_year_kbd",
    "cost_index",
    "field_cash_flows",
    "lognormal_factor",
    "mmbbl_per_year",
    "oil_mmbbl_total",
    "priced_kbd",
    "production_kbd",
    "unit_profile",
]


def unit_profile(pemex: Pemex, *, years: int) -> np.ndarray:
    """Production per unit of plateau capacity by age ``a = 0 .. years-1`` [-].

    Parameters
    ----------
    pemex
        The ``pemex`` section (lag, ramp, plateau, Arps decline).
    years
        Number of ages to return.
    """
    a = np.arange(years, dtype=float)
    lag, ramp, plateau = pemex.lag_years, pemex.ramp_years, pemex.plateau_years
    prof = np.zeros(years)
    in_ramp = (a >= lag) & (a < lag + ramp)
    prof[in_ramp] = (a[in_ramp] - lag + 1.0) / (ramp + 1.0)
    prof[(a >= lag + ramp) & (a < lag + ramp + plateau)] = 1.0
    decl = a >= lag + ramp + plateau
    tau = a[decl] - (lag + ramp + plateau) + 1.0
    d, b = pemex.decline_rate, pemex.decline_b
    prof[decl] = np.exp(-d * tau) if b == 0.0 else (1.0 + b * d * tau) ** (-1.0 / b)
    return prof


def capacity_kbd(capex_usd_bn: np.ndarray, pemex: Pemex) -> np.ndarray:
    """Deterministic production of a capex programme at median factors [kb/d], shape (years,).

    Parameters
    ----------
    capex_usd_bn
        Capex spent in each year [USD bn], shape (years,).
    pemex
        The ``pemex`` section.
    """
    years = len(capex_usd_bn)
    kbd_per_bn = 1e6 / pemex.capex_usd_per_flowing_bpd
    prof = unit_profile(pemex, years=years)
    return np.convolve(capex_usd_bn * kbd_per_bn, prof)[:years]


def capex_year_kbd(capex_usd_bn: np.ndarray, pemex: Pemex, *, tranches: int) -> np.ndarray:
    """Production at median factors bought by the capex of each of the first ``tranches``
    years [kb/d], shape (years, tranches); its rows sum to :func:`capacity_kbd` (when capex is
    spent in those years only)."""
    years = len(capex_usd_bn)
    kbd_per_bn = 1e6 / pemex.capex_usd_per_flowing_bpd
    prof = unit_profile(pemex, years=years)
    out = np.zeros((years, tranches))
    for s in range(min(tranches, years)):
        out[s:, s] = capex_usd_bn[s] * kbd_per_bn * prof[: years - s]
    return out


def cost_index(
    price: FloatArray, expected: FloatArray, elasticity: float | FloatArray
) -> FloatArray:
    """``(P / P_expected)^beta`` [-], shape (years, paths); 1 where beta is 0.

    The ratio is held within [1e-6, 1e6] (a price a million times off what was expected, as
    only prices at the bounds of the schema reach): a cost index of 0 or infinity would make
    the capacity a year's capex buys undefined.
    """
    with np.errstate(divide="ignore", over="ignore"):
        ratio = price / expected
    np.clip(ratio, _RATIO_MIN, _RATIO_MAX, out=ratio)
    return np.power(ratio, elasticity, out=ratio)


#: Bounds of the price's ratio to its expectation in the cost index [-].
_RATIO_MIN, _RATIO_MAX = 1e-6, 1e6


def priced_kbd(by_year_kbd: FloatArray, index: FloatArray) -> FloatArray:
    """Production at median factors when each year's capex buys ``1 / index[s]`` of its
    capacity [kb/d], shape (years, paths).

    Parameters
    ----------
    by_year_kbd
        :func:`capex_year_kbd`, shape (years, S), or (years, S, paths) when each path has its
        own programme.
    index
        Cost index of the S capex years, shape (S, paths).
    """
    # A sum over the few capex years, element by element: a matrix product would round each
    # path differently with the number of paths (BLAS blocking), and a path's results must not
    # depend on the chunk it runs in. numpy.einsum (without BLAS) adds the same products in
    # the same order, a year's paths at a time, in one call and without a temporary per
    # capex year when the paths are innermost in memory; otherwise (one path, whose sum it
    # would reorder, or paths not next to each other) the loop does.
    weight = 1.0 / index
    if not by_year_kbd.shape[1]:
        return np.zeros((by_year_kbd.shape[0], index.shape[1]))
    paths_inside = by_year_kbd.ndim == 2 or by_year_kbd.strides[2] == by_year_kbd.itemsize
    if index.shape[1] > 1 and paths_inside:
        spec = "ts,sp->tp" if by_year_kbd.ndim == 2 else "tsp,sp->tp"
        priced: FloatArray = np.einsum(spec, by_year_kbd, weight)
        return priced
    if by_year_kbd.ndim == 2:
        by_year_kbd = by_year_kbd[:, :, None]
    out = by_year_kbd[:, 0] * weight[0]
    for s in range(1, by_year_kbd.shape[1]):
        out += by_year_kbd[:, s] * weight[s]
    return out


def lognormal_factor(z: FloatArray, sd: float | FloatArray) -> FloatArray:
    """Lognormal factor with median 1: ``exp(sd * z)`` [-] for standard normals ``z``."""
    return np.exp(sd * z)


def production_kbd(
    base_kbd: np.ndarray, *, reservoir: np.ndarray, overrun: np.ndarray
) -> np.ndarray:
    """Production by year and path [kb/d], shape (years, paths).

    Parameters
    ----------
    base_kbd
        Deterministic production at median factors [kb/d], shape (years,), or (years, paths)
        when each path has its own capex programme or profile.
    reservoir
        Reservoir factor per path [-], shape (paths,).
    overrun
        Capex overrun factor per path [-], shape (paths,); the same money buys less capacity.
    """
    return base_kbd.reshape(base_kbd.shape[0], -1) * (reservoir / overrun)


def mmbbl_per_year(kbd: np.ndarray) -> np.ndarray:
    """Volume of a year at a rate [mmbbl]: ``kbd * 365 / 1000``."""
    return kbd * (365.0 / 1000.0)


@dataclass(frozen=True)
class FieldCashFlows:
    """Cash flows of the added production, each shape (years, paths) [USD bn]."""

    revenue_usd_bn: FloatArray
    opex_usd_bn: FloatArray
    government_take_usd_bn: FloatArray
    cfads_usd_bn: FloatArray
    take_value_usd_bn: FloatArray
    take_profit_usd_bn: FloatArray
    take_export_usd_bn: FloatArray
    hedge_premium_usd_bn: FloatArray
    hedge_payoff_usd_bn: FloatArray

    def as_dict(self) -> dict[str, FloatArray]:
        """The flows by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def field_cash_flows(
    base_kbd: FloatArray,
    factor: FloatArray,
    price: FloatArray,
    *,
    oil_price: OilPrice | PerPath[OilPrice],
    pemex: Pemex | PerPath[Pemex],
    fiscal: Fiscal | PerPath[Fiscal],
    cost: FloatArray | None = None,
    mix: FloatArray | None = None,
    start_year: int = 0,
    capex_usd_bn: FloatArray | None = None,
) -> FieldCashFlows:
    """Revenue, operating cost, government take and CFADS of the added production.

    Production is ``base_kbd[t] * factor[n]`` (:func:`production_kbd`); it is not formed here,
    so each output costs one or two passes over the (years, paths) arrays.

    Parameters
    ----------
    base_kbd
        Added production at median factors [kb/d of oil equivalent], shape (years,), or
        (years, paths) when each path has its own capex programme or profile.
    factor
        Reservoir factor over capex-overrun factor per path [-], shape (paths,).
    price
        Benchmark oil price [USD/bbl], shape (years, paths).
    oil_price, pemex, fiscal
        Scenario sections, or sections whose float fields hold one value per path (a run over
        many parameter sets): every formula broadcasts over the paths.
    cost
        Cost index of the lifting cost [-] (:func:`cost_index`), shape (years, paths); None: 1.
    mix
        Export-mix factor around its mean [-], shape (years, paths): the oil sells at
        ``realized_price_factor * mix`` times the benchmark; None: 1.
    start_year, capex_usd_bn
        Calendar year of row 0 and the capex spent each year [USD bn], for the regimes of
        ``fiscal.regimes`` (:func:`simulator.model.fiscal.regime_take`).

    Returns
    -------
    FieldCashFlows
        Without regimes ``government_take = royalty * revenue + duty * max(revenue - opex,
        0)``, with them the take of :func:`simulator.model.fiscal.regime_take`; ``cfads =
        revenue - opex - government_take``; the take also by kind of base (value, profit,
        export excess).
    """
    years = len(base_kbd)
    # At median factors [mmbbl], shape (years, 1) or (years, paths).
    boe = mmbbl_per_year(base_kbd).reshape(years, -1)
    g = pemex.gas_share_boe
    # USD bn = mmbbl * USD/bbl / 1000; gas sells at gas_price_ratio x benchmark per boe.
    if mix is None:
        unit_value = (1.0 - g) * oil_price.realized_price_factor + g * oil_price.gas_price_ratio
        revenue = price * (boe * (unit_value / 1000.0))
    else:
        oil_value = (1.0 - g) * oil_price.realized_price_factor * mix
        oil_value += g * oil_price.gas_price_ratio
        revenue = price * (boe / 1000.0)
        revenue *= oil_value
    revenue *= factor
    inflation = (1.0 + pemex.cost_inflation) ** np.arange(years, dtype=float).reshape(years, 1)
    cost_per_boe = pemex.opex_usd_per_boe * inflation
    opex = boe * cost_per_boe / 1000.0
    opex = opex * factor
    if cost is not None:
        opex *= cost
    opex += pemex.oversight_cost_usd_bn_per_year
    cfads = revenue - opex
    zero = np.broadcast_to(0.0, cfads.shape)  # a read-only zero for a kind nobody pays
    by_value: FloatArray = zero
    by_profit: FloatArray = zero
    by_export: FloatArray = zero
    if fiscal.regimes:
        oil_mmbbl = boe * ((1.0 - g) * factor)
        oil_usd_per_bbl = price * oil_price.realized_price_factor
        if mix is not None:
            oil_usd_per_bbl = oil_usd_per_bbl * mix
        oil_value = oil_usd_per_bbl * oil_mmbbl / 1000.0
        regime = regime_take(
            fiscal.regimes,
            start_year=start_year,
            oil_value_usd_bn=oil_value,
            gas_value_usd_bn=revenue - oil_value,
            cost_usd_bn=opex,
            capex_usd_bn=np.zeros(years) if capex_usd_bn is None else capex_usd_bn,
            export_price_usd_per_bbl=oil_usd_per_bbl,
            oil_mmbbl=oil_mmbbl,
            boe_mmbbl=boe * factor,
        )
        by_value, by_profit, by_export = (
            regime.value_usd_bn,
            regime.profit_usd_bn,
            regime.export_usd_bn,
        )
        take = regime.total_usd_bn
        cfads -= take
    elif np.any(fiscal.profit_duty_rate) or np.any(fiscal.royalty_rate):
        by_profit = np.maximum(cfads, 0.0)
        by_profit *= fiscal.profit_duty_rate
        take = by_profit
        if np.any(fiscal.royalty_rate):
            by_value = fiscal.royalty_rate * revenue
            take = by_profit + by_value
        cfads -= take
    else:
        take = zero
    return FieldCashFlows(
        revenue_usd_bn=revenue,
        opex_usd_bn=opex,
        government_take_usd_bn=take,
        cfads_usd_bn=cfads,
        take_value_usd_bn=by_value,
        take_profit_usd_bn=by_profit,
        take_export_usd_bn=by_export,
        hedge_premium_usd_bn=zero,
        hedge_payoff_usd_bn=zero,
    )


def oil_mmbbl_total(
    base_kbd: FloatArray, factor: FloatArray, pemex: Pemex | PerPath[Pemex]
) -> FloatArray:
    """Oil (not gas) produced over the horizon per path [mmbbl], shape (paths,).

    ``base_kbd`` is shape (years,) or (years, paths); ``pemex.gas_share_boe`` a float or one
    value per path.
    """
    return (1.0 - pemex.gas_share_boe) * sum_over_years(mmbbl_per_year(base_kbd)) * factor
