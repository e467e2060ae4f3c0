"""Government take under fiscal regimes that change by year.

A regime (:class:`~simulator.scenario.schema.Regime`) is in force from its ``from_year`` until
the next one; before the first, nothing is due. Its duties are computed in order, each on the
rows of its years, for every path at once. With ``V_o`` and ``V_g`` the value of the added oil
and gas at the export price [USD bn], ``P_x`` the export price [USD/bbl], ``Q_o`` the added oil
and ``Q`` the added boe [mmbbl], the duty's rate ``r`` is its ``rate``, or, with ``bands``, that
of the highest band whose price ``P_x`` exceeds, ``r_b + s_b (P_x - above_b)`` (clipped to
[0, 1]); ``r_g`` is ``gas_rate`` or ``r``:

- ``value``: ``r V_o + r_g V_g``.
- ``profit``: the base ``B = max(V_o + V_g - min(D, cap) - sum(deducted duties), 0)``, with
  ``D`` the operating cost plus the capex deducted that year (``capex_deduction_years`` equal
  parts from the year it is spent) and ``cap`` the smaller of ``cap_usd_per_boe Q / 1000`` and
  ``cap_share_of_value (V_o + V_g)`` (each where set); the duty is ``B (r V_o + r_g V_g) /
  (V_o + V_g)`` (``r B`` when both rates are equal).
- ``export_excess``: ``r max(P_x - R_y, 0) Q_o / 1000``, ``R_y`` the reference (budget) price of
  the year ``y`` (``reference_usd_per_bbl`` from the regime's first year); all the added oil
  is exported.

The take is reported by kind of base: on value (royalties, the stabilization-fund and research
duties), on profit (the ordinary duty, the profit-sharing duty) and on the export price's excess
(the extraordinary export duty).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario.schema import Duty, Regime
from ..scenario.sets import FloatArray

__all__ = ["RegimeTake", "duty_rate", "regime_take"]


@dataclass(frozen=True)
class RegimeTake:
    """Government take by kind of duty base [USD bn], each shape (years, paths)."""

    value_usd_bn: FloatArray
    profit_usd_bn: FloatArray
    export_usd_bn: FloatArray

    @property
    def total_usd_bn(self) -> FloatArray:
        """The whole take [USD bn]."""
        total: FloatArray = self.value_usd_bn + self.profit_usd_bn
        total += self.export_usd_bn
        return total


def duty_rate(duty: Duty, price: FloatArray) -> FloatArray:
    """The duty's rate at the export price ``price`` [USD/bbl] [-], same shape."""
    rate = np.full(price.shape, duty.rate)
    for band in duty.bands:
        above, band_rate = band[0], band[1]
        slope = band[2] if len(band) == 3 else 0.0
        np.copyto(rate, band_rate + slope * (price - above), where=price > above)
    return np.clip(rate, 0.0, 1.0, out=rate)


def _capex_deduction(capex_usd_bn: FloatArray, years_over: int) -> FloatArray:
    """Capex deducted each year when each year's capex is deducted in ``years_over`` equal
    parts from the year it is spent [USD bn], shape of ``capex_usd_bn`` (years first)."""
    out = np.zeros_like(capex_usd_bn)
    if years_over <= 0:
        return out
    years = capex_usd_bn.shape[0]
    part = capex_usd_bn / years_over
    for lag in range(min(years_over, years)):
        out[lag:] += part[: years - lag]
    return out


def regime_take(
    regimes: tuple[Regime, ...],
    *,
    start_year: int,
    oil_value_usd_bn: FloatArray,
    gas_value_usd_bn: FloatArray,
    cost_usd_bn: FloatArray,
    capex_usd_bn: FloatArray,
    export_price_usd_per_bbl: FloatArray,
    oil_mmbbl: FloatArray,
    boe_mmbbl: FloatArray,
) -> RegimeTake:
    """Government take of every year and path under the regimes in force.

    Parameters
    ----------
    regimes
        The fiscal regimes, in order of ``from_year``.
    start_year
        Calendar year of row 0.
    oil_value_usd_bn, gas_value_usd_bn
        Value of the added oil and gas at the export price [USD bn], shape (years, paths).
    cost_usd_bn
        Operating cost deductible from a profit base [USD bn], shape (years, paths).
    capex_usd_bn
        Capex spent each year [USD bn], shape (years,) or (years, paths).
    export_price_usd_per_bbl
        Export price of the oil [USD/bbl, nominal], shape (years, paths).
    oil_mmbbl, boe_mmbbl
        Added oil, and oil and gas, produced [mmbbl], shape (years, paths) or broadcastable.
    """
    years, paths = oil_value_usd_bn.shape
    shape = (years, paths)
    kinds = {"value": np.zeros(shape), "profit": np.zeros(shape), "export_excess": np.zeros(shape)}
    capex = np.asarray(capex_usd_bn, dtype=float).reshape(years, -1)
    bounds = [r.from_year - start_year for r in regimes] + [years]
    for i, regime in enumerate(regimes):
        t0, t1 = max(bounds[i], 0), min(bounds[i + 1], years)
        if t0 >= t1:
            continue
        rows = slice(t0, t1)
        v_oil, v_gas = oil_value_usd_bn[rows], gas_value_usd_bn[rows]
        value = v_oil + v_gas
        price = export_price_usd_per_bbl[rows]
        paid: dict[str, FloatArray] = {}
        for duty in regime.duties:
            rate = duty_rate(duty, price)
            gas_rate = rate if duty.gas_rate is None else duty.gas_rate
            if duty.base == "value":
                amount = rate * v_oil + gas_rate * v_gas
            elif duty.base == "profit":
                deduct = cost_usd_bn[rows].copy()
                if duty.capex_deduction_years:
                    deduct += _capex_deduction(capex, duty.capex_deduction_years)[rows]
                if duty.cap_usd_per_boe is not None:
                    cap = duty.cap_usd_per_boe * np.broadcast_to(boe_mmbbl, shape)[rows] / 1000.0
                    np.minimum(deduct, cap, out=deduct)
                if duty.cap_share_of_value is not None:
                    np.minimum(deduct, duty.cap_share_of_value * value, out=deduct)
                base = value - deduct
                for other in duty.deducts:
                    base -= paid[other]
                np.maximum(base, 0.0, out=base)
                with np.errstate(divide="ignore", invalid="ignore"):
                    blended = np.where(value > 0.0, (rate * v_oil + gas_rate * v_gas) / value, rate)
                amount = base * blended
            else:  # export_excess
                ref = np.asarray(duty.reference_usd_per_bbl, dtype=float)
                first = t0 - bounds[i]  # the regime's year index of row t0
                excess = np.maximum(price - ref[first : first + (t1 - t0), None], 0.0)
                amount = rate * excess * np.broadcast_to(oil_mmbbl, shape)[rows] / 1000.0
            paid[duty.name] = amount
            kinds[duty.base][rows] += amount
    return RegimeTake(
        value_usd_bn=kinds["value"],
        profit_usd_bn=kinds["profit"],
        export_usd_bn=kinds["export_excess"],
    )
