"""An oil-price hedge: a put on each year's average export price, bought a year ahead.

Black-76 prices a European option on a forward ``F`` with strike ``K``, volatility ``sigma``
over ``T`` years and rate ``r``::

    d1 = (ln(F / K) + sigma^2 T / 2) / (sigma sqrt(T)),   d2 = d1 - sigma sqrt(T)
    put = e^(-rT) [K N(-d2) - F N(-d1)],   call = e^(-rT) [F N(d1) - K N(d2)]

(``sigma = 0``: the discounted intrinsic value). The model steps annual **average** prices,
so each year's put is on the year's average Mexican export price ``P_x[t]``, bought at the end
of year ``t - 1`` on the forward ``F[t] = E[P_x[t] | year t - 1]`` of the path, with the
spread ``s`` of the one-year step of ``ln P`` (the model's own, or a market point-price
volatility times ``sqrt(1/3)``, the spread of an average over the year from purchase). The
volume is ``share`` of the path's expected oil of the year (its production is known at
purchase); the premium, paid at purchase and accrued to the year's end at ``r`` (so
``e^(rT) put = K N(-d2) - F N(-d1)`` a barrel), is a senior operating cost of year ``t``; the
payoff ``max(K - P_x[t], 0)`` a barrel adds to year ``t``'s CFADS.

The forward: for the one-factor model (and the bootstrap, which steps it) ``E[ln P_t | ln
P_{t-1}] = e^-k ln P_{t-1} + (1 - e^-k) ln(long_run)`` in the basis's dollars, for gbm
``ln P_{t-1} + drift - vol^2/2``; ``F = exp(E[ln P_t] + s^2/2)`` times the price level and the
realized export factor. The two-factor model's forward needs its two factors, which the path
does not keep: it is taken as the previous price grown as the path of zero shocks grows, an
approximation. A deck has no risk: its forward is its price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from ..scenario.schema import Hedge, OilPrice
from ..scenario.sets import FloatArray, PerPath
from .prices import one_step_spread

__all__ = ["HedgeFlows", "black76_put", "forward_and_spread", "hedge_flows"]


def black76_put(
    forward: FloatArray | float,
    strike: FloatArray | float,
    sigma: FloatArray | float,
    years: float,
    rate: FloatArray | float,
) -> FloatArray:
    """Black-76 price of a put on a forward [price units]; broadcasts over its arguments."""
    f, k, vol = np.broadcast_arrays(
        np.asarray(forward, dtype=float),
        np.asarray(strike, dtype=float),
        np.asarray(sigma, dtype=float) * np.sqrt(years),
    )
    discount = np.exp(-np.asarray(rate, dtype=float) * years)
    # The formula where it is defined (a positive forward, strike and spread); elsewhere, and
    # where it rounds to nothing meaningful, the intrinsic value.
    valid = (vol > 0.0) & (f > 0.0) & (k > 0.0) & np.isfinite(f) & np.isfinite(k)
    f_, k_, v_ = (np.where(valid, x, 1.0) for x in (f, k, vol))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d1 = (np.log(f_ / k_) + 0.5 * v_ * v_) / v_
        d2 = d1 - v_
        price = k_ * ndtr(-d2) - f_ * ndtr(-d1)
    intrinsic = np.maximum(k - f, 0.0)
    out: FloatArray = discount * np.where(valid & np.isfinite(price), price, intrinsic)
    return out


def forward_and_spread(
    op: OilPrice | PerPath[OilPrice],
    price: FloatArray,
    level: FloatArray,
    expected: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """The forward of each year's benchmark price from the year before [USD/bbl, nominal],
    shape (years, paths) (row 0: the price itself), and the one-step spread of ``ln P``.

    Parameters
    ----------
    op
        The ``oil_price`` section.
    price
        Benchmark prices [USD/bbl, nominal], shape (years, paths).
    level
        Price level index of the basis [-], shape (years, 1) or (years, paths).
    expected
        The price path expected at issue [USD/bbl, nominal], for the two-factor model.
    """
    if op.model == "deck":
        return price.copy(), np.zeros(1)
    spread = one_step_spread(op)
    if op.model == "gbm":
        mean = np.log(price[:-1]) + op.drift_per_year - 0.5 * spread * spread
    elif op.model == "two_factor":
        growth = np.log(expected[1:] / expected[:-1])
        mean = np.log(price[:-1]) + growth - 0.5 * spread * spread
    else:  # mean_reverting, bootstrap: the one-factor step in the basis's dollars
        a = np.exp(-np.asarray(op.mean_reversion_per_year, dtype=float))
        real = np.log(price[:-1] / level[:-1])
        mean = a * real + (1.0 - a) * np.log(op.long_run_usd_per_bbl) + np.log(level[1:])
    forward = np.empty_like(price)
    forward[0] = price[0]
    forward[1:] = np.exp(mean + 0.5 * spread * spread)
    return forward, spread


@dataclass(frozen=True)
class HedgeFlows:
    """The hedge's flows by year and path [USD bn]."""

    premium_usd_bn: FloatArray
    payoff_usd_bn: FloatArray


def hedge_flows(
    hedge: Hedge | PerPath[Hedge],
    *,
    export_forward: FloatArray,
    export_price: FloatArray,
    spread: FloatArray,
    oil_mmbbl: FloatArray,
) -> HedgeFlows:
    """Premium (accrued to the year's end) and payoff of each year's puts [USD bn].

    Parameters
    ----------
    hedge
        The ``hedge`` section.
    export_forward, export_price
        The forward and the outcome of each year's average export price [USD/bbl, nominal],
        shape (years, paths); no put is bought for year 0.
    spread
        The model's one-step spread of ``ln P`` [-], a float or one per path.
    oil_mmbbl
        The path's oil of each year [mmbbl], shape (years, paths).
    """
    share = np.asarray(hedge.share_of_added_oil, dtype=float)
    volume = oil_mmbbl * share
    fixed = np.asarray(hedge.strike_usd_per_bbl, dtype=float)
    strike = np.where(fixed > 0.0, fixed, hedge.strike_moneyness * export_forward)
    if hedge.volatility_from == "market":
        sigma = np.asarray(hedge.implied_volatility, dtype=float) * np.sqrt(1.0 / 3.0)
    else:
        sigma = spread
    rate = np.asarray(hedge.risk_free_rate, dtype=float)
    per_bbl = black76_put(export_forward, strike, sigma, 1.0, rate) * np.exp(rate)
    premium = per_bbl * volume / 1000.0
    payoff = np.maximum(strike - export_price, 0.0) * volume / 1000.0
    premium[0] = 0.0
    payoff[0] = 0.0
    return HedgeFlows(premium_usd_bn=premium, payoff_usd_bn=payoff)
