"""Oil price path models: arrays of benchmark prices ``P[t, n]`` [USD/bbl], shape (years, paths).

Every model is a pure function of the scenario's ``oil_price`` section and an array of standard
normal shocks (drawn by the engine). ``P[0]`` is the initial price; shocks apply from t = 1, and
shock row ``t - 1`` (or rows ``2(t-1), 2(t-1)+1`` for the two-factor model) always drives step
``t``, whatever the fixed-price prefix, so two scenarios that differ only in their prefix share
their later shocks (common random numbers).

Real and nominal. The models move a price level set in the dollars of ``oil_price.basis``; a
price level index ``L[t]`` (:func:`price_level`) turns it nominal, ``P[t] = P_basis[t] L[t]``.
In the real basis ``L[t] = (1 + inflation_rate)^(t+1)`` (constant dollars of the year before
year 0); fixed prices are nominal, so over their years ``L`` follows U.S. CPI-U where it is
known (:data:`simulator.history.US_CPI_U_ANNUAL`) and the model continues from the last of them
deflated by it. In the nominal basis ``L = 1``.

Bootstrap. The historical price series is fitted with an AR(1) in log price by least squares;
its residuals, centred and divided by their own standard deviation, are resampled in blocks and
drive the exact mean-reverting step in place of normal shocks: mean reversion kept, the
history's fat tails kept, no drift (resampled raw log returns drift with the history's trend).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

from ..history import US_CPI_U_ANNUAL, WTI_ANNUAL_USD_PER_BBL
from ..scenario.schema import OilPrice
from ..scenario.sets import FloatArray, PerPath

__all__ = [
    "expected_price_path",
    "median_price_path",
    "n_price_shocks",
    "one_step_spread",
    "price_level",
    "price_paths",
    "standard_residuals",
    "window_shock",
]


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


def price_level(op: OilPrice | PerPath[OilPrice], *, start_year: int, years: int) -> FloatArray:
    """Price level index ``L[t]`` that turns the basis's dollars nominal [-], shape (years, 1),
    or (years, paths) when ``inflation_rate`` holds one value per path.

    Nominal basis: 1. Real basis (constant dollars of ``start_year - 1``): ``(1 + i)^(t+1)``;
    over the years of ``fixed_path_usd_per_bbl`` (nominal prices), the ratio of U.S. CPI-U
    annual averages ``CPI[start_year + t] / CPI[start_year - 1]`` where both are known, and
    from the last fixed year on ``L[k-1] (1 + i)^(t-k+1)``, so that the stochastic model
    continues from the last fixed price deflated by what inflation actually was.
    """
    inflation = np.asarray(op.inflation_rate, dtype=float).reshape(1, -1)
    if op.basis == "nominal":
        return np.ones((years, 1))
    t = np.arange(years, dtype=float).reshape(years, 1)
    level = (1.0 + inflation) ** (t + 1.0)
    k = min(len(op.fixed_path_usd_per_bbl), years)
    base = US_CPI_U_ANNUAL.get(start_year - 1)
    if k and base is not None:
        # Over the fixed years: actual CPI where known, then the assumed inflation.
        for j in range(k):
            cpi = US_CPI_U_ANNUAL.get(start_year + j)
            if cpi is not None:
                level[j] = cpi / base
            elif j:
                level[j] = level[j - 1] * (1.0 + inflation[0])
        level[k:] = level[k - 1] * (1.0 + inflation) ** (t[k:] - (k - 1))
    return level


def price_paths(
    op: OilPrice | PerPath[OilPrice],
    *,
    years: int,
    shocks: np.ndarray,
    level: FloatArray | None = None,
) -> np.ndarray:
    """Benchmark price paths, nominal [USD/bbl].

    Parameters
    ----------
    op
        The ``oil_price`` section, or one whose float fields hold one value per path (a run
        over many parameter sets); every model broadcasts over them.
    years
        Horizon length T [years].
    shocks
        Standard normals, shape ``(n_price_shocks(op, years), paths)``.
    level
        Price level index of the basis (:func:`price_level`), shape (years, 1) or (years,
        paths); None: 1 (the levels are taken as nominal).

    Returns
    -------
    numpy.ndarray
        ``P`` of shape (years, paths), float64; the model's log price (in the basis's
        dollars) is clipped to [0.01, 100,000] for the stochastic models.
    """
    n = shocks.shape[1]
    fixed = np.asarray(op.fixed_path_usd_per_bbl, dtype=float)
    k = len(fixed)
    if op.model == "deck":
        deck = np.asarray(op.deck_usd_per_bbl, dtype=float)
        idx = np.minimum(np.arange(years), len(deck) - 1)
        out = np.broadcast_to(deck[idx][:, None], (years, n)).copy()
        if level is not None:
            out *= level
        out[:k] = fixed[:, None]
        return out

    t0 = max(k - 1, 0)  # index of the last known price; the model moves on from there
    p0: Any = fixed[-1] if k else op.initial_usd_per_bbl
    if k and level is not None:
        p0 = p0 / level[t0]  # the last fixed price in the basis's dollars
    x = np.empty((years, n))
    x[:t0] = 0.0  # overwritten by the fixed prices below
    x[t0] = np.log(p0)
    if op.model == "gbm":
        inc = (op.drift_per_year - 0.5 * op.volatility**2) + op.volatility * shocks[t0:]
        np.cumsum(inc, axis=0, out=inc)
        x[t0 + 1 :] = x[t0] + inc
    elif op.model == "mean_reverting":
        _ou_steps(op, x, t0, shocks)
    elif op.model == "two_factor":
        _two_factor(op, x, t0, shocks)
    elif op.model == "bootstrap":
        resid = standard_residuals(_history(op))
        _ou_steps(op, x, t0, resid[_residual_index(op, shocks, years, len(resid))])
    else:  # pragma: no cover - the scenario model admits no other value
        raise ValueError(f"unknown price model {op.model!r}")
    np.clip(x, _LOG_PRICE_MIN, _LOG_PRICE_MAX, out=x)
    np.exp(x, out=x)
    # The known prices exactly as given, not exp(log(p)).
    x[t0] = p0
    if level is not None:
        x *= level
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
    rho, orth = _two_factor_rho(op, k, sd_xi)
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


def _two_factor_rho(
    op: OilPrice | PerPath[OilPrice], k: np.ndarray, sd_xi: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Correlation of one year's OU and Brownian shocks, and ``sqrt(1 - rho^2)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        adjust = (-np.expm1(-k) / k) / np.sqrt(-np.expm1(-2.0 * k) / (2.0 * k))
    plain = (k == 0.0) | (np.asarray(op.short_term_volatility) == 0.0) | (np.asarray(sd_xi) == 0.0)
    rho = np.clip(np.where(plain, op.correlation, op.correlation * adjust), -1.0, 1.0)
    return rho, np.sqrt(1.0 - rho * rho)


def _ou_steps(op: OilPrice | PerPath[OilPrice], x: np.ndarray, t0: int, z: np.ndarray) -> None:
    """The exact annual step of the one-factor model from year ``t0`` on, in place: shock row
    ``t - 1`` of ``z`` (standard normals, or the bootstrap's standardized residuals) drives
    step ``t``."""
    a = np.exp(-np.asarray(op.mean_reversion_per_year, dtype=float))
    mu = np.log(op.long_run_usd_per_bbl) * (1.0 - a)
    sd = _ou_step_sd(op.mean_reversion_per_year, op.volatility)
    for t in range(t0 + 1, x.shape[0]):
        np.multiply(x[t - 1], a, out=x[t])
        x[t] += mu
        x[t] += sd * z[t - 1]


def _residual_index(
    op: OilPrice | PerPath[OilPrice], shocks: np.ndarray, years: int, n_resid: int
) -> npt.NDArray[np.int64]:
    """Index of the residual each step of the bootstrap draws, shape (years - 1, paths).

    Each block of ``bootstrap_block_years`` steps starts at a uniformly drawn position of the
    residual series (the normal shock of the block mapped to a uniform by its CDF).
    """
    block = op.bootstrap_block_years
    starts_max = n_resid - block + 1
    u = ndtr(shocks)  # (n_blocks, paths) uniforms
    starts = np.minimum((u * starts_max).astype(np.int64), starts_max - 1)
    steps = np.arange(years - 1)
    idx: npt.NDArray[np.int64] = starts[steps // block] + (steps % block)[:, None]
    return idx


def _history(op: OilPrice | PerPath[OilPrice]) -> FloatArray:
    """The annual prices the bootstrap's residuals come from: the scenario's, else EIA's."""
    if op.history_usd_per_bbl:
        return np.asarray(op.history_usd_per_bbl, dtype=float)
    return np.array(list(WTI_ANNUAL_USD_PER_BBL.values()))


@functools.lru_cache(maxsize=16)
def _standard_residuals(prices: tuple[float, ...]) -> FloatArray:
    x = np.log(np.asarray(prices))
    design = np.column_stack([np.ones(len(x) - 1), x[:-1]])
    coef, *_ = np.linalg.lstsq(design, x[1:], rcond=None)
    e = x[1:] - design @ coef
    e -= e.mean()
    sd = e.std()
    out: FloatArray = e / sd if sd > 0 else e
    out.flags.writeable = False
    return out


def standard_residuals(prices: FloatArray) -> FloatArray:
    """Residuals of the least-squares AR(1) fit ``ln P[t+1] = a + b ln P[t] + e``, centred
    and divided by their own standard deviation [-], shape (len(prices) - 1,).

    Mean 0 and variance 1 over the sample (population moments), so resampled they add no
    drift and keep the scale the model's volatility gives them.
    """
    return _standard_residuals(tuple(float(p) for p in prices))


def window_shock(
    op: OilPrice | PerPath[OilPrice], *, years: int, shocks: np.ndarray, window: range
) -> FloatArray | None:
    """The standardized price shock of some years, ``sum_{t in S} Z_t / sqrt(|S|)`` [-].

    ``S`` is the stochastic price years of ``window`` (years ``t >= max(1, k)``, ``k`` the
    number of fixed prices); ``Z_t`` the standardized shock of ``ln P`` in step ``t``: the
    normal shock (gbm, mean_reverting), the standardized sum of both factors' shocks
    (two_factor), the normal score of the drawn residual's rank (bootstrap). Standard normal
    for every model but the bootstrap (whose scores are a discrete approximation of one).

    Returns
    -------
    numpy.ndarray or None
        Shape (paths,); None when ``S`` is empty (a deck, or a window of fixed years).
    """
    first = max(1, len(op.fixed_path_usd_per_bbl))
    steps = [t for t in window if first <= t < years]
    if op.model == "deck" or not steps:
        return None
    rows = np.asarray(steps) - 1  # shock row t - 1 drives step t
    if op.model in ("gbm", "mean_reverting"):
        z = shocks[rows]
    elif op.model == "two_factor":
        z = _two_factor_scores(op, shocks, rows)
    else:  # bootstrap
        resid = standard_residuals(_history(op))
        ranks = np.empty(len(resid))
        ranks[np.argsort(resid, kind="stable")] = np.arange(len(resid))
        scores = ndtri((ranks + 0.5) / len(resid))
        z = scores[_residual_index(op, shocks, years, len(resid))[rows]]
    out: FloatArray = z.sum(axis=0) / math.sqrt(len(steps))
    return out


def _two_factor_loadings(op: OilPrice | PerPath[OilPrice]) -> tuple[Any, Any]:
    """The loadings of one year's step of ln P = chi + xi on the two factors' independent
    normals (two_factor): ``c1 z1 + c2 z2``."""
    k = np.asarray(op.mean_reversion_per_year, dtype=float)
    sd_chi = _ou_step_sd(k, op.short_term_volatility)
    sd_xi = np.asarray(op.long_term_volatility, dtype=float)
    rho, orth = _two_factor_rho(op, k, sd_xi)
    return sd_chi + sd_xi * rho, sd_xi * orth


def one_step_spread(op: OilPrice | PerPath[OilPrice]) -> FloatArray:
    """Standard deviation of one year's step of ``ln P`` [-]: ``volatility`` (gbm), the exact
    OU step's (mean_reverting, and the bootstrap, whose standardized residuals it scales), both
    factors' together (two_factor), 0 (deck). A float or one value per path."""
    if op.model == "deck":
        return np.zeros(1)
    if op.model == "gbm":
        return np.asarray(op.volatility, dtype=float)
    if op.model == "two_factor":
        c1, c2 = _two_factor_loadings(op)
        out: FloatArray = np.sqrt(c1 * c1 + c2 * c2)
        return out
    return np.asarray(_ou_step_sd(op.mean_reversion_per_year, op.volatility), dtype=float)


def _two_factor_scores(
    op: OilPrice | PerPath[OilPrice], shocks: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Standardized shock of ln P = chi + xi in the steps of ``rows`` (two_factor)."""
    c1, c2 = _two_factor_loadings(op)
    total = np.sqrt(c1 * c1 + c2 * c2)
    with np.errstate(divide="ignore", invalid="ignore"):
        w1 = np.where(total > 0, c1 / total, 1.0)
        w2 = np.where(total > 0, c2 / total, 0.0)
    return w1 * shocks[2 * rows] + w2 * shocks[2 * rows + 1]


def expected_price_path(
    op: OilPrice | PerPath[OilPrice], *, years: int, level: FloatArray
) -> FloatArray:
    """The price path expected at issue, nominal [USD/bbl], shape (years, 1) or (years, paths).

    The path of zero shocks from ``initial_usd_per_bbl``, without the fixed prices (what was
    expected, not what happened), in closed form: ``gbm`` ``x_t = x_0 + (mu - vol^2/2) t``;
    ``mean_reverting`` and ``bootstrap`` ``x_t = x_0 e^(-kt) + ln(long_run) (1 - e^(-kt))``;
    ``two_factor`` ``chi_0 e^(-kt) + xi_0 + drift t``; a ``deck`` is its own expectation.
    Every float may hold one value per path. Times ``level`` (:func:`price_level`).
    """
    t = np.arange(years, dtype=float).reshape(years, 1)
    if op.model == "deck":
        deck = np.asarray(op.deck_usd_per_bbl, dtype=float)
        real = deck[np.minimum(np.arange(years), len(deck) - 1)].reshape(years, 1)
        out: FloatArray = real * level
        return out
    x0 = np.log(np.asarray(op.initial_usd_per_bbl, dtype=float))
    if op.model == "gbm":
        x = x0 + (op.drift_per_year - 0.5 * np.square(op.volatility)) * t
    else:
        decay = np.exp(-np.asarray(op.mean_reversion_per_year, dtype=float) * t)
        long_run = np.log(np.asarray(op.long_run_usd_per_bbl, dtype=float))
        if op.model == "two_factor":
            x = (x0 - long_run) * decay + long_run + op.long_term_drift_per_year * t
        else:
            x = x0 * decay + long_run * (1.0 - decay)
    x = np.clip(x, _LOG_PRICE_MIN, _LOG_PRICE_MAX)
    out = np.exp(x) * level
    return out


def median_price_path(op: OilPrice, *, years: int, level: FloatArray | None = None) -> np.ndarray:
    """The pointwise median price path ``exp(E[ln P_t])``, nominal [USD/bbl], shape (years,).

    For ``gbm``, ``mean_reverting`` and ``two_factor`` the log price is Gaussian and linear in
    the shocks, so the median path is the path of zero shocks; for ``bootstrap``, whose
    residuals are centred, the path of zero shocks is the path of the expected log price. A
    ``deck`` is its own median; fixed prices stay as given. ``level`` as in
    :func:`price_paths`.
    """
    zeros = np.zeros((n_price_shocks(op, years), 1))
    if op.model == "bootstrap":
        op = op.model_copy(update={"model": "mean_reverting"})
        zeros = np.zeros((n_price_shocks(op, years), 1))
    lvl = None if level is None else level[:, :1]
    return price_paths(op, years=years, shocks=zeros, level=lvl)[:, 0]
