"""Per-path metrics (NPV, vectorized IRR, minimum DSCR, distress...) and their aggregates.

Present values follow the numpy-financial convention: ``PV = sum_t v_t / (1 + r)^t`` with
t = 0 undiscounted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "HEADLINE",
    "METRICS",
    "aggregate",
    "cvar_lower",
    "discount_factors",
    "irr",
    "min_dscr",
    "npv",
]

#: Per-path output names (DESIGN.md section 6), in the order of ``Results.metrics``.
METRICS: tuple[str, ...] = (
    "mdf_inflow_total_usd_bn",
    "mdf_inflow_pv_usd_bn",
    "infrastructure_investment_total_usd_bn",
    "infrastructure_capital_final_usd_bn",
    "gdp_uplift_final_pct",
    "gdp_uplift_pv_usd_bn",
    "min_dscr",
    "distress",
    "first_shortfall_year",
    "shortfall_total_usd_bn",
    "backstop_draw_total_usd_bn",
    "project_irr",
    "us_supply_total_mmbbl",
    "debt_outstanding_at_horizon_usd_bn",
)

#: The figures printed first and shown on the cards: (key, label).
HEADLINE: tuple[tuple[str, str], ...] = (
    ("prob_distress", "Probability of distress"),
    ("prob_backstop_draw", "Probability of a backstop draw"),
    ("mdf_inflow_pv_p10", "MDF inflow PV, P10 [USD bn]"),
    ("mdf_inflow_pv_p50", "MDF inflow PV, P50 [USD bn]"),
    ("mdf_inflow_pv_p90", "MDF inflow PV, P90 [USD bn]"),
    ("mdf_inflow_pv_cvar5", "MDF inflow PV, mean of worst 5% [USD bn]"),
    ("mdf_inflow_total_mean", "MDF inflow total, mean [USD bn]"),
    ("min_dscr_p50", "Minimum DSCR, median"),
    ("project_irr_p50", "Project IRR, median"),
    ("us_supply_total_mean", "US supply added, mean [mmbbl]"),
)


def discount_factors(rate: float, years: int) -> np.ndarray:
    """``(1 + rate)^-t`` for t = 0 .. years-1 [-]."""
    return (1.0 + rate) ** -np.arange(years, dtype=float)


def npv(rate: float, values: np.ndarray) -> np.ndarray:
    """Net present value along axis 0 (t = 0 undiscounted), as ``numpy_financial.npv``.

    Parameters
    ----------
    rate
        Discount rate [1/year].
    values
        Cash flows, shape (years,) or (years, paths).
    """
    return discount_factors(rate, values.shape[0]) @ values


def _horner(values: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f(v) = sum_t values[t] v^t`` and ``df/dv`` for every path."""
    f = values[-1].copy()
    df = np.zeros_like(f)
    for t in range(values.shape[0] - 2, -1, -1):
        df *= v
        df += f
        f *= v
        f += values[t]
    return f, df


#: Rates searched for a sign change of the NPV, closest to zero first.
_IRR_GRID = np.array([-0.99, -0.9, -0.7, -0.5, -0.3, -0.15, 0.0, 0.1, 0.2, 0.35, 0.5, 0.75,
                      1.0, 1.5, 2.5, 5.0, 10.0, 30.0, 100.0])


def irr(values: np.ndarray, *, tol: float = 1e-12, max_iter: int = 100) -> np.ndarray:
    """Internal rate of return of each column, vectorized.

    Brackets the root on a fixed grid of rates in (-99%, 10,000%], choosing the sign change
    nearest zero (``numpy_financial.irr`` also returns the root nearest zero), then refines it by
    Newton's method safeguarded by bisection inside the bracket.

    Parameters
    ----------
    values
        Cash flows, shape (years, paths) or (years,); t = 0 undiscounted.
    tol
        Absolute tolerance on the rate [1/year].
    max_iter
        Most Newton-bisection iterations.

    Returns
    -------
    numpy.ndarray
        The IRR per path [1/year]; NaN where the cash flows never change sign or no root lies in
        the searched range.
    """
    cf = np.asarray(values, dtype=float)
    scalar = cf.ndim == 1
    if scalar:
        cf = cf[:, None]
    n = cf.shape[1]
    out = np.full(n, np.nan)
    if cf.shape[0] < 2:
        return out[0] if scalar else out
    grid_v = 1.0 / (1.0 + _IRR_GRID)
    f_grid = np.stack([_horner(cf, np.full(n, v))[0] for v in grid_v])  # (grid, paths)
    sign_change = np.signbit(f_grid[:-1]) != np.signbit(f_grid[1:])
    exact = f_grid == 0.0
    # Distance of each bracket (or exact root) from zero; pick the nearest per path.
    mid = np.abs(0.5 * (_IRR_GRID[:-1] + _IRR_GRID[1:]))
    dist = np.where(sign_change, mid[:, None], np.inf)
    j = np.argmin(dist, axis=0)
    found = np.isfinite(dist[j, np.arange(n)])
    has_exact = exact.any(axis=0)
    if has_exact.any():
        jx = np.argmax(exact, axis=0)
        out[has_exact] = _IRR_GRID[jx[has_exact]]
    todo = found & ~has_exact
    if todo.any():
        idx = np.flatnonzero(todo)
        c = cf[:, idx]
        lo = _IRR_GRID[j[idx]].copy()
        hi = _IRR_GRID[j[idx] + 1].copy()
        f_lo = f_grid[j[idx], idx]
        r = 0.5 * (lo + hi)
        active = np.ones(len(idx), dtype=bool)
        for _ in range(max_iter):
            v = 1.0 / (1.0 + r[active])
            f, dfdv = _horner(c[:, active], v)
            dfdr = -dfdv * v * v
            # Keep the bracket: the side with the same sign as f moves to r.
            same_as_lo = np.signbit(f) == np.signbit(f_lo[active])
            lo_a, hi_a = lo[active], hi[active]
            lo_a = np.where(same_as_lo, r[active], lo_a)
            hi_a = np.where(same_as_lo, hi_a, r[active])
            with np.errstate(divide="ignore", invalid="ignore"):
                step = np.where(dfdr != 0.0, f / dfdr, np.inf)
            r_new = r[active] - step
            bad = ~((r_new > lo_a) & (r_new < hi_a))
            r_new = np.where(bad, 0.5 * (lo_a + hi_a), r_new)
            done = (np.abs(r_new - r[active]) <= tol * (1.0 + np.abs(r_new))) | (f == 0.0)
            lo[active], hi[active], r[active] = lo_a, hi_a, r_new
            active_idx = np.flatnonzero(active)
            active[active_idx[done]] = False
            if not active.any():
                break
        out[idx] = r
    return out[0] if scalar else out


def min_dscr(cfads_usd_bn: np.ndarray, scheduled_usd_bn: np.ndarray) -> np.ndarray:
    """Minimum over years with scheduled service of CFADS / scheduled service, per path [-].

    NaN where nothing is scheduled over the horizon (no debt, so no coverage ratio).
    """
    has = scheduled_usd_bn > 0
    if not has.any():
        return np.full(cfads_usd_bn.shape[1], np.nan)
    return (cfads_usd_bn[has] / scheduled_usd_bn[has, None]).min(axis=0)


def cvar_lower(x: np.ndarray, alpha: float = 0.05) -> float:
    """Expected shortfall: the mean of the lowest ``ceil(alpha n)`` values."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan
    k = max(1, math.ceil(alpha * x.size))
    return float(np.partition(x, k - 1)[:k].mean())


def aggregate(metrics: pd.DataFrame, percentiles: Sequence[float]) -> pd.DataFrame:
    """Mean, sd, standard error, count of defined values and percentiles of every metric.

    Parameters
    ----------
    metrics
        One row per path.
    percentiles
        Percentiles to report, in (0, 100).

    Returns
    -------
    pandas.DataFrame
        Index ``metric``; columns ``n, mean, sd, se, p5 ...``. Booleans are summarized as
        probabilities (mean) with the binomial standard error; NaN values (an IRR that does not
        exist, no shortfall year) are left out and ``n`` says how many remain.
    """
    rows = {}
    pct_cols = [f"p{p:g}" for p in percentiles]
    for name in metrics.columns:
        col = metrics[name].to_numpy(dtype=float)
        x = col[np.isfinite(col)]
        n = x.size
        if n == 0:
            rows[name] = [0, *([math.nan] * (3 + len(pct_cols)))]
            continue
        mean = float(x.mean())
        sd = float(x.std(ddof=1)) if n > 1 else 0.0
        se = sd / math.sqrt(n)
        if metrics[name].dtype == bool:
            se = math.sqrt(mean * (1.0 - mean) / n)
        pct = np.percentile(x, percentiles).tolist()
        rows[name] = [n, mean, sd, se, *pct]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["n", "mean", "sd", "se",
                                                                 *pct_cols])
    out.index.name = "metric"
    out["n"] = out["n"].astype(int)
    return out
