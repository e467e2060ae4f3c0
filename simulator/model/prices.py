"""Oil price path models: arrays of benchmark prices ``P[t, n]`` [USD/bbl], shape (years, paths).

Every model is a pure function of the scenario's ``oil_price`` section and an array of standard
normal shocks (drawn by the engine). ``P[0]`` is the initial price; shocks apply from t = 1, and
shock row ``t - 1`` (or rows ``2(t-1), 2(t-1)+1`` for the two-factor model) always drives step
``t``, whatever the fixed-price prefix, so two scenarios that differ only in their prefix share
their later shocks (common random numbers).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import ndtr

from ..history import wti_log_returns
from ..scenario.schema import OilPrice
from ..scenario.sets import PerPath

__all__ = ["median_price_path", "n_price_shocks", "price_paths"]


#: Log-price bounds: 1 cent and USD 100,000 per barrel. No calibrated path comes near them;
#: they keep prices positive and finite under extreme settings (e.g. gbm with volatility 3
#: over 200 years would otherwise underflow to 0).
_LOG_PRICE_MIN = math.log(0.01)
_LOG_PRICE_MAX = math.log(100_000.0)


def n_price_shocks(op: OilPrice | PerPath[OilPrice], years: int) -> int:
    """Number of standard normal draws per path the price model needs.

    Parameters
    ----------
    op
        The ``oil_price`` section.
    years
        Horizon length [years].
    """
    steps = years - 1
    if op.model in ("gbm", "mean_reverting"):
        return steps
    if op.model == "two_factor":
        return 2 * steps
    if op.model == "bootstrap":
        return math.ceil(steps / op.bootstrap_block_years) if steps > 0 else 0
    return 0  # deck


def _ou_step_sd(k: Any, vol: Any) -> Any:
    """Standard deviation of the exact one-year step of an OU process [-].

    ``k`` and ``vol`` are floats or arrays of one value per path; ``vol`` when ``k`` is 0.
    """
    k = np.asarray(k, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(k == 0.0, 1.0, -np.expm1(-2.0 * k) / (2.0 * k))
    return vol * np.sqrt(ratio)


def price_paths(op: OilPrice | PerPath[OilPrice], *, years: int, shocks: np.ndarray) -> np.ndarray:
    """Benchmark price paths [USD/bbl].

    Parameters
    ----------
    op
        The ``oil_price`` section, or one whose float fields hold one value per path (a run
        over many parameter sets); every model broadcasts over them.
    years
        Horizon length T [years].
    shocks
        Standard normals, shape ``(n_price_shocks(op, years), paths)``.

    Returns
    -------
    numpy.ndarray
        ``P`` of shape (years, paths), float64, within [0.01, 100,000] for the stochastic
        models (log prices are clipped there).
    """
    n = shocks.shape[1]
    fixed = np.asarray(op.fixed_path_usd_per_bbl, dtype=float)
    k = len(fixed)
    if op.model == "deck":
        deck = np.asarray(op.deck_usd_per_bbl, dtype=float)
        idx = np.minimum(np.arange(years), len(deck) - 1)
        row = deck[idx]
        row[:k] = fixed
        return np.broadcast_to(row[:, None], (years, n)).copy()

    t0 = max(k - 1, 0)  # index of the last known price; the model moves on from there
    p0 = fixed[-1] if k else op.initial_usd_per_bbl
    x = np.empty((years, n))
    x[:t0] = 0.0  # overwritten by the fixed prices below
    x[t0] = np.log(p0)
    if op.model == "gbm":
        inc = (op.drift_per_year - 0.5 * op.volatility**2) + op.volatility * shocks[t0:]
        np.cumsum(inc, axis=0, out=inc)
        x[t0 + 1 :] = x[t0] + inc
    elif op.model == "mean_reverting":
        a = np.exp(-np.asarray(op.mean_reversion_per_year, dtype=float))
        mu = np.log(op.long_run_usd_per_bbl) * (1.0 - a)
        sd = _ou_step_sd(op.mean_reversion_per_year, op.volatility)
        for t in range(t0 + 1, years):
            np.multiply(x[t - 1], a, out=x[t])
            x[t] += mu
            x[t] += sd * shocks[t - 1]
    elif op.model == "two_factor":
        _two_factor(op, x, t0, shocks)
    elif op.model == "bootstrap":
        _bootstrap(op, x, t0, shocks, years)
    else:  # pragma: no cover - the scenario model admits no other value
        raise ValueError(f"unknown price model {op.model!r}")
    np.clip(x, _LOG_PRICE_MIN, _LOG_PRICE_MAX, out=x)
    np.exp(x, out=x)
    # The known prices exactly as given, not exp(log(p)).
    x[t0] = p0
    if k:
        x[:k] = fixed[:, None]
    return x


def _two_factor(
    op: OilPrice | PerPath[OilPrice], x: np.ndarray, t0: int, shocks: np.ndarray
) -> None:
    """Schwartz-Smith (2000): ln P = chi + xi, exact annual step, correlated shocks.

    The OU shock of one year and the Brownian shock of the same year are correlated by
    ``rho (1 - e^-k) / k / sqrt((1 - e^-2k) / 2k)`` (the exact correlation of the integrated
    increments), so that the continuous-time correlation is ``op.correlation``.
    """
    k = np.asarray(op.mean_reversion_per_year, dtype=float)
    a = np.exp(-k)
    sd_chi = _ou_step_sd(k, op.short_term_volatility)
    sd_xi = op.long_term_volatility
    with np.errstate(divide="ignore", invalid="ignore"):
        adjust = (-np.expm1(-k) / k) / np.sqrt(-np.expm1(-2.0 * k) / (2.0 * k))
    plain = (k == 0.0) | (np.asarray(op.short_term_volatility) == 0.0) | (np.asarray(sd_xi) == 0.0)
    rho = np.clip(np.where(plain, op.correlation, op.correlation * adjust), -1.0, 1.0)
    orth = np.sqrt(1.0 - rho * rho)
    xi = np.empty(x.shape[1])
    xi[:] = np.log(op.long_run_usd_per_bbl)
    chi = x[t0] - xi
    for t in range(t0 + 1, x.shape[0]):
        z1 = shocks[2 * (t - 1)]
        z2 = shocks[2 * (t - 1) + 1]
        chi *= a
        chi += sd_chi * z1
        xi += op.long_term_drift_per_year + sd_xi * (rho * z1 + orth * z2)
        np.add(chi, xi, out=x[t])


def _bootstrap(
    op: OilPrice | PerPath[OilPrice], x: np.ndarray, t0: int, shocks: np.ndarray, years: int
) -> None:
    """Moving-block bootstrap of historical annual log returns.

    Each block of ``bootstrap_block_years`` steps starts at a uniformly drawn position of the
    return series (the normal shock of the block mapped to a uniform by its CDF).
    """
    returns = _history_returns(op)
    block = op.bootstrap_block_years
    starts_max = len(returns) - block + 1
    u = ndtr(shocks)  # (n_blocks, paths) uniforms
    starts = np.minimum((u * starts_max).astype(np.int64), starts_max - 1)
    steps = np.arange(years - 1)
    idx = starts[steps // block] + (steps % block)[:, None]
    inc = returns[idx[t0:]]
    np.cumsum(inc, axis=0, out=inc)
    x[t0 + 1 :] = x[t0] + inc


def _history_returns(op: OilPrice | PerPath[OilPrice]) -> np.ndarray:
    """The annual log returns the bootstrap resamples: the scenario's history, else EIA's."""
    if op.history_usd_per_bbl:
        return np.diff(np.log(np.asarray(op.history_usd_per_bbl, dtype=float)))
    return wti_log_returns()


def median_price_path(op: OilPrice, *, years: int) -> np.ndarray:
    """The pointwise median price path ``exp(E[ln P_t])`` [USD/bbl], shape (years,).

    For ``gbm``, ``mean_reverting`` and ``two_factor`` the log price is Gaussian and linear in
    the shocks, so the median path is the path of zero shocks. For ``bootstrap`` the expected
    log return of each step is the mean of the returns its block position can take (every
    block start equally likely). A ``deck`` is its own median; fixed prices stay as given.
    """
    if op.model != "bootstrap":
        zeros = np.zeros((n_price_shocks(op, years), 1))
        return price_paths(op, years=years, shocks=zeros)[:, 0]
    fixed = np.asarray(op.fixed_path_usd_per_bbl, dtype=float)
    k = len(fixed)
    t0 = max(k - 1, 0)
    p0 = fixed[-1] if k else op.initial_usd_per_bbl
    returns = _history_returns(op)
    block = op.bootstrap_block_years
    starts = len(returns) - block + 1
    by_offset = np.array([returns[o : o + starts].mean() for o in range(block)])
    steps = np.arange(years - 1)
    x = np.empty(years)
    x[: t0 + 1] = np.log(p0)
    x[t0 + 1 :] = np.log(p0) + np.cumsum(by_offset[steps % block][t0:])
    np.clip(x, _LOG_PRICE_MIN, _LOG_PRICE_MAX, out=x)
    out = np.exp(x)
    out[t0] = p0
    if k:
        out[:k] = fixed
    return out
