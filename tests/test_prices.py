"""Oil price path models (simulator.model.prices) against their closed-form distributions.

References are written here, not taken from the code under test: the moments of ln P_t of the
GBM, of the exact one-factor Schwartz (OU) process and of the Schwartz-Smith two-factor model,
hand-written price decks, and the historical return table for the bootstrap.

Statistical checks use 200,000 paths and a tolerance of 4 standard errors: the SE of a sample
mean is sqrt(var / n), the SE of a sample variance of normal data is var * sqrt(2 / (n - 1)).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from simulator.history import WTI_ANNUAL_USD_PER_BBL
from simulator.model.prices import n_price_shocks, price_paths
from simulator.scenario import OilPrice

N_STAT = 200_000
N_SE = 4.0


def _shocks(op: OilPrice, years: int, paths: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_price_shocks(op, years), paths))


def _paths(op: OilPrice, years: int, paths: int, seed: int) -> np.ndarray:
    return price_paths(op, years=years, shocks=_shocks(op, years, paths, seed))


def _assert_moments(x: np.ndarray, mean: float, var: float, label: str = "") -> None:
    """Sample mean and variance of ``x`` within N_SE standard errors of the true ones."""
    n = x.size
    se_mean = math.sqrt(var / n)
    se_var = var * math.sqrt(2.0 / (n - 1))
    m, v = float(x.mean()), float(x.var(ddof=1))
    assert abs(m - mean) <= N_SE * se_mean, f"{label}: mean {m} vs {mean} (se {se_mean})"
    assert abs(v - var) <= N_SE * se_var, f"{label}: var {v} vs {var} (se {se_var})"


# --- GBM ---------------------------------------------------------------------------------------


def test_gbm_log_moments() -> None:
    p0, mu, sigma = 60.0, 0.05, 0.3
    op = OilPrice(model="gbm", initial_usd_per_bbl=p0, drift_per_year=mu, volatility=sigma)
    years = 21
    p = _paths(op, years, N_STAT, seed=101)
    assert p.shape == (years, N_STAT)
    x = np.log(p)
    np.testing.assert_allclose(x[0], math.log(p0), rtol=0, atol=1e-12)
    for t in (1, 2, 5, 20):
        _assert_moments(x[t], math.log(p0) + t * (mu - sigma**2 / 2), t * sigma**2, f"t={t}")


def test_gbm_expected_price_grows_at_the_drift() -> None:
    """E[P_t] = P0 e^(mu t): ``drift_per_year`` is the expected growth of P."""
    p0, mu, sigma = 50.0, -0.03, 0.25
    op = OilPrice(model="gbm", initial_usd_per_bbl=p0, drift_per_year=mu, volatility=sigma)
    p = _paths(op, 11, N_STAT, seed=102)
    for t in (1, 10):
        se = p[t].std(ddof=1) / math.sqrt(N_STAT)
        assert abs(p[t].mean() - p0 * math.exp(mu * t)) <= N_SE * se


# --- one-factor mean reversion ------------------------------------------------------------------


@pytest.mark.parametrize("k", [0.3, 2.0])
def test_mean_reverting_log_moments(k: float) -> None:
    p0, long_run, sigma = 80.0, 50.0, 0.26
    op = OilPrice(
        model="mean_reverting",
        initial_usd_per_bbl=p0,
        long_run_usd_per_bbl=long_run,
        mean_reversion_per_year=k,
        volatility=sigma,
    )
    p = _paths(op, 21, N_STAT, seed=201 + int(10 * k))
    x = np.log(p)
    for t in (1, 2, 5, 20):
        mean = math.log(long_run) + (math.log(p0) - math.log(long_run)) * math.exp(-k * t)
        var = sigma**2 * (1.0 - math.exp(-2.0 * k * t)) / (2.0 * k)
        _assert_moments(x[t], mean, var, f"k={k} t={t}")


def test_mean_reverting_without_reversion_is_a_driftless_random_walk() -> None:
    p0, sigma = 70.0, 0.3
    op = OilPrice(
        model="mean_reverting",
        initial_usd_per_bbl=p0,
        long_run_usd_per_bbl=20.0,  # irrelevant when k = 0
        mean_reversion_per_year=0.0,
        volatility=sigma,
    )
    x = np.log(_paths(op, 16, N_STAT, seed=202))
    for t in (1, 4, 15):
        _assert_moments(x[t], math.log(p0), t * sigma**2, f"t={t}")


# --- two-factor (Schwartz-Smith) ----------------------------------------------------------------


def _two_factor(**kw: Any) -> OilPrice:
    return OilPrice(model="two_factor", **kw)


def test_two_factor_without_long_term_factor_is_the_one_factor_model() -> None:
    """sigma_xi = 0, rho = 0: ln P mean-reverts around ln(long_run), path by path."""
    p0, long_run, k, sigma = 80.0, 50.0, 0.4, 0.29
    common = dict(initial_usd_per_bbl=p0, long_run_usd_per_bbl=long_run, mean_reversion_per_year=k)
    tf = _two_factor(
        short_term_volatility=sigma,
        long_term_volatility=0.0,
        long_term_drift_per_year=0.0,
        correlation=0.0,
        **common,
    )
    mr = OilPrice(model="mean_reverting", volatility=sigma, **common)
    years, paths = 21, N_STAT
    rng = np.random.default_rng(301)
    z = rng.standard_normal((years - 1, paths))
    z2 = np.empty((2 * (years - 1), paths))
    z2[0::2] = z  # the short-term shock of step t is row 2(t-1)
    z2[1::2] = rng.standard_normal((years - 1, paths))
    x_tf = np.log(price_paths(tf, years=years, shocks=z2))
    x_mr = np.log(price_paths(mr, years=years, shocks=z))
    np.testing.assert_allclose(x_tf, x_mr, rtol=0, atol=1e-12)
    for t in (1, 3, 20):
        mean = math.log(long_run) + (math.log(p0) - math.log(long_run)) * math.exp(-k * t)
        var = sigma**2 * (1.0 - math.exp(-2.0 * k * t)) / (2.0 * k)
        _assert_moments(x_tf[t], mean, var, f"t={t}")


def _schwartz_smith_log_moments(
    t: int,
    *,
    p0: float,
    long_run: float,
    k: float,
    s_chi: float,
    s_xi: float,
    rho: float,
    mu: float,
) -> tuple[float, float]:
    """Mean and variance of ln P_t = chi_t + xi_t, xi_0 = ln(long_run), chi_0 = ln(p0) - xi_0."""
    chi0 = math.log(p0) - math.log(long_run)
    if k == 0.0:
        decay, var_chi, cov = 1.0, s_chi**2 * t, rho * s_chi * s_xi * t
    else:
        decay = math.exp(-k * t)
        var_chi = s_chi**2 * (1.0 - math.exp(-2.0 * k * t)) / (2.0 * k)
        cov = rho * s_chi * s_xi * (1.0 - math.exp(-k * t)) / k
    mean = chi0 * decay + math.log(long_run) + mu * t
    return mean, var_chi + s_xi**2 * t + 2.0 * cov


@pytest.mark.parametrize(
    ("k", "s_chi", "s_xi", "rho", "mu"),
    [
        (0.3, 0.29, 0.15, 0.3, 0.02),  # the default calibration, with a long-term drift
        (2.0, 0.5, 0.3, 0.9, -0.01),  # fast reversion: the per-step correlation differs from rho
        (1.0, 0.4, 0.2, -0.7, 0.0),  # negative correlation
        (0.0, 0.3, 0.2, 0.5, 0.0),  # no reversion: two correlated random walks
    ],
)
def test_two_factor_log_moments(k: float, s_chi: float, s_xi: float, rho: float, mu: float) -> None:
    p0, long_run = 75.0, 55.0
    op = _two_factor(
        initial_usd_per_bbl=p0,
        long_run_usd_per_bbl=long_run,
        mean_reversion_per_year=k,
        short_term_volatility=s_chi,
        long_term_volatility=s_xi,
        long_term_drift_per_year=mu,
        correlation=rho,
    )
    seed = 310 + int(100 * k + 10 * rho)
    x = np.log(_paths(op, 21, N_STAT, seed=seed))
    assert np.allclose(x[0], math.log(p0), rtol=0, atol=1e-12)
    for t in (1, 2, 5, 20):
        mean, var = _schwartz_smith_log_moments(
            t, p0=p0, long_run=long_run, k=k, s_chi=s_chi, s_xi=s_xi, rho=rho, mu=mu
        )
        _assert_moments(x[t], mean, var, f"k={k} rho={rho} t={t}")


# --- first price and deck ------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["gbm", "mean_reverting", "two_factor", "bootstrap"])
def test_first_price_is_the_initial_price(model: str) -> None:
    """P[0] = initial_usd_per_bbl on every path (DESIGN section 1), to the bit."""
    p0 = 56.64  # the default: the 2005 WTI average
    op = OilPrice(model=model, initial_usd_per_bbl=p0)
    p = _paths(op, 5, 100, seed=103)
    assert (p[0] == p0).all(), p[0, 0] - p0


def test_deck_every_path_equal_and_short_deck_held_flat() -> None:
    op = OilPrice(model="deck", deck_usd_per_bbl=(50.0, 60.0, 70.0))
    assert n_price_shocks(op, 6) == 0
    p = price_paths(op, years=6, shocks=np.empty((0, 7)))
    expected = np.array([50.0, 60.0, 70.0, 70.0, 70.0, 70.0])
    assert p.shape == (6, 7)
    assert (p == expected[:, None]).all()


def test_deck_of_full_length() -> None:
    deck = (40.0, 45.5, 51.25, 38.0)
    op = OilPrice(model="deck", deck_usd_per_bbl=deck)
    p = price_paths(op, years=4, shocks=np.empty((0, 3)))
    assert (p == np.array(deck)[:, None]).all()


# --- fixed prefix -------------------------------------------------------------------------------

#: Annual average WTI 2006-2008 (EIA), the replay use case of a fixed prefix.
WTI_2006_2008 = (66.05, 72.34, 99.67)


@pytest.mark.parametrize("model", ["gbm", "mean_reverting", "two_factor", "bootstrap"])
def test_fixed_prefix_prices_are_the_given_ones(model: str) -> None:
    op = OilPrice(model=model, fixed_path_usd_per_bbl=WTI_2006_2008)
    p = _paths(op, 10, 500, seed=401)
    k = len(WTI_2006_2008)
    assert (p[:k] == np.array(WTI_2006_2008)[:, None]).all(), p[:k, 0] - WTI_2006_2008


def test_fixed_prefix_gbm_without_volatility_continues_from_the_last_fixed_price() -> None:
    fixed, drift = (40.0, 45.0, 50.0), 0.04
    op = OilPrice(
        model="gbm",
        initial_usd_per_bbl=99.0,  # replaced by the first fixed price
        drift_per_year=drift,
        volatility=0.0,
        fixed_path_usd_per_bbl=fixed,
    )
    p = _paths(op, 8, 50, seed=402)
    k = len(fixed)
    # exp(log(50) + 0.04) vs 50 * exp(0.04): equal up to rounding (a few ulps).
    np.testing.assert_allclose(p[k], fixed[-1] * math.exp(drift), rtol=1e-14, atol=0)
    for t in range(k, 8):
        np.testing.assert_allclose(p[t], fixed[-1] * math.exp(drift * (t - k + 1)), rtol=1e-13)


@pytest.mark.parametrize("model", ["gbm"])
def test_fixed_prefix_shares_the_later_shocks(model: str) -> None:
    """Log increments out of and after the prefix are those of the run without a prefix."""
    base = OilPrice(model=model, drift_per_year=0.02, volatility=0.3)
    fixed = (40.0, 45.0, 50.0)
    pre = base.model_copy(update={"fixed_path_usd_per_bbl": fixed})
    years = 15
    z = _shocks(base, years, 1000, seed=403)
    assert n_price_shocks(pre, years) == z.shape[0]
    d_base = np.diff(np.log(price_paths(base, years=years, shocks=z)), axis=0)
    d_pre = np.diff(np.log(price_paths(pre, years=years, shocks=z)), axis=0)
    k = len(fixed)
    # d[t] = ln P[t+1] - ln P[t]; t = k-1 is the first step out of the prefix.
    np.testing.assert_allclose(d_pre[k - 1 :], d_base[k - 1 :], rtol=0, atol=1e-12)
    assert not np.allclose(d_pre[: k - 1], d_base[: k - 1])


@pytest.mark.parametrize("model", ["mean_reverting", "bootstrap"])
def test_fixed_prefix_mean_reverting_shares_the_later_shocks(model: str) -> None:
    """With common shocks, two OU paths differ by a gap that decays by e^-k a year (the
    bootstrap steps the same OU with resampled shocks)."""
    k_rev = 0.3
    base = OilPrice(model=model, mean_reversion_per_year=k_rev, volatility=0.26)
    fixed = (40.0, 45.0, 50.0)
    pre = base.model_copy(update={"fixed_path_usd_per_bbl": fixed})
    years = 15
    z = _shocks(base, years, 1000, seed=404)
    x_base = np.log(price_paths(base, years=years, shocks=z))
    x_pre = np.log(price_paths(pre, years=years, shocks=z))
    t0 = len(fixed) - 1
    gap0 = x_pre[t0] - x_base[t0]
    for t in range(t0, years):
        expected = gap0 * math.exp(-k_rev * (t - t0))
        np.testing.assert_allclose(x_pre[t] - x_base[t], expected, rtol=0, atol=1e-12)


# --- bootstrap ----------------------------------------------------------------------------------


def _match(returns: np.ndarray, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index in ``history`` of the nearest historical value, and the distance to it."""
    order = np.argsort(history)
    srt = history[order]
    pos = np.searchsorted(srt, returns)
    lo = np.clip(pos - 1, 0, srt.size - 1)
    hi = np.clip(pos, 0, srt.size - 1)
    d_lo, d_hi = np.abs(returns - srt[lo]), np.abs(returns - srt[hi])
    nearest = np.where(d_lo <= d_hi, lo, hi)
    return order[nearest], np.minimum(d_lo, d_hi)


def _residuals_by_hand(prices: np.ndarray) -> np.ndarray:
    """Standardized residuals of ln P[t+1] = a + b ln P[t] + e (numpy's polyfit)."""
    x = np.log(prices)
    b, a = np.polyfit(x[:-1], x[1:], 1)
    e = x[1:] - (a + b * x[:-1])
    e = e - e.mean()
    return e / np.sqrt(np.mean(e * e))


def _check_bootstrap(op: OilPrice, prices: np.ndarray, years: int, paths: int, seed: int) -> None:
    """Each step is the exact OU step of the scenario's k, long-run level and volatility,
    driven by a standardized historical residual; residuals come in blocks of consecutive
    years whose starts are uniform."""
    resid = _residuals_by_hand(prices)
    block = op.bootstrap_block_years
    assert np.diff(np.sort(resid)).min() > 1e-6, "test needs distinct residuals"
    p = _paths(op, years, paths, seed)
    x = np.log(p)
    k = op.mean_reversion_per_year
    sd = op.volatility * math.sqrt((1.0 - math.exp(-2.0 * k)) / (2.0 * k))
    mu = math.log(op.long_run_usd_per_bbl) * (1.0 - math.exp(-k))
    z = (x[1:] - math.exp(-k) * x[:-1] - mu) / sd  # (years - 1, paths)
    idx, dist = _match(z, resid)
    assert dist.max() < 1e-9, "a simulated shock is not a historical residual"
    steps = np.arange(years - 1)
    inner = steps % block != 0  # not the first step of its block
    np.testing.assert_array_equal(idx[inner], idx[np.flatnonzero(inner) - 1] + 1)
    # Block starts are uniform over every admissible position (including the last one).
    n_starts = resid.size - block + 1
    starts = idx[steps % block == 0].ravel()
    assert starts.max() < n_starts
    counts = np.bincount(starts, minlength=n_starts)
    expected = starts.size / n_starts
    sd_count = math.sqrt(expected * (1.0 - 1.0 / n_starts))
    assert np.abs(counts - expected).max() <= 5.0 * sd_count, counts


def test_bootstrap_resamples_blocks_of_the_builtin_history() -> None:
    op = OilPrice(model="bootstrap", bootstrap_block_years=3, initial_usd_per_bbl=56.64)
    prices = np.array(list(WTI_ANNUAL_USD_PER_BBL.values()))
    _check_bootstrap(op, prices, years=20, paths=20_000, seed=501)


def test_bootstrap_resamples_blocks_of_a_given_history() -> None:
    prices = (20.0, 25.0, 22.0, 30.0, 41.0, 35.0, 50.0, 45.0, 60.0)
    op = OilPrice(model="bootstrap", bootstrap_block_years=4, history_usd_per_bbl=prices)
    _check_bootstrap(op, np.array(prices), years=19, paths=10_000, seed=502)


def test_bootstrap_block_of_one_year() -> None:
    op = OilPrice(model="bootstrap", bootstrap_block_years=1)
    prices = np.array(list(WTI_ANNUAL_USD_PER_BBL.values()))
    _check_bootstrap(op, prices, years=12, paths=10_000, seed=503)


def test_bootstrap_does_not_drift() -> None:
    """Resampled raw returns carried the history's trend (a 2040 median of ~$224 from $57);
    the residual bootstrap's median in year 35 stays near its long-run level, within
    0.4-2.5x its starting level in the nominal basis."""
    op = OilPrice(model="bootstrap", basis="nominal", initial_usd_per_bbl=56.64)
    p = _paths(op, 35, 20_000, seed=504)
    ratio = float(np.median(p[-1])) / op.initial_usd_per_bbl
    assert 0.4 <= ratio <= 2.5, ratio
    # The raw-return bootstrap it replaces, by hand: blocks of the same history's log
    # returns from the same start drift far above.
    returns = np.diff(np.log(np.array(list(WTI_ANNUAL_USD_PER_BBL.values()))))
    assert 34 * returns.mean() > math.log(2.5)


# --- all models: finite and positive -----------------------------------------------------------

_MODELS = ["gbm", "mean_reverting", "two_factor", "bootstrap", "deck"]


@pytest.mark.parametrize("model", _MODELS)
def test_prices_finite_and_positive_under_stress(model: str) -> None:
    op = OilPrice(
        model=model,
        volatility=1.0,
        short_term_volatility=1.0,
        long_term_volatility=0.8,
        mean_reversion_per_year=0.05,
        drift_per_year=-0.2,
        long_term_drift_per_year=-0.2,
        correlation=-0.9,
        deck_usd_per_bbl=(10.0, 0.5, 200.0),
    )
    p = _paths(op, 60, 5_000, seed=601)
    assert p.shape == (60, 5_000)
    assert p.dtype == np.float64
    assert np.isfinite(p).all()
    assert (p > 0).all()


@pytest.mark.parametrize("model", _MODELS[:4])
def test_prices_finite_and_positive_at_the_validated_bounds(model: str) -> None:
    """Largest volatility (3) and horizon (200 years) the scenario accepts."""
    op = OilPrice(
        model=model,
        volatility=3.0,
        short_term_volatility=3.0,
        long_term_volatility=3.0,
        mean_reversion_per_year=0.0,
    )
    p = _paths(op, 200, 1_000, seed=602)
    assert np.isfinite(p).all()
    assert (p > 0).all(), f"{(p == 0).sum()} prices are exactly 0"
