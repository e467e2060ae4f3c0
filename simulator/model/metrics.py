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
    "dscr_series",
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
    "min_dscr_operating",
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
    ("min_dscr_operating_p50", "Minimum DSCR once producing, median"),
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


#: Rates searched for a sign change of the NPV [1/year]: fine where project IRRs lie, coarse
#: out to the ends of the searched range (-99%, 10,000%).
_IRR_GRID = np.concatenate(
    [
        [-0.99, -0.95, -0.9, -0.8, -0.7, -0.6, -0.5, -0.4, -0.3],
        np.linspace(-0.2, 0.6, 33)[:-1],
        [0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0],
    ]
)


def irr(values: np.ndarray, *, tol: float = 1e-10, max_iter: int = 60) -> np.ndarray:
    """Internal rate of return of each column, vectorized.

    The NPV of every path is evaluated on a fixed grid of rates in (-99%, 10,000%] by one
    matrix product; the sign change nearest zero brackets the root
    (``numpy_financial.irr`` also returns the root nearest zero). The root is then refined from
    the bracket's linear interpolation by Newton's method, safeguarded by bisection inside the
    bracket.

    Parameters
    ----------
    values
        Cash flows, shape (years, paths) or (years,); t = 0 undiscounted.
    tol
        Tolerance on the rate [1/year].
    max_iter
        Most Newton-bisection iterations.

    Returns
    -------
    numpy.ndarray
        The IRR per path [1/year] (a 0-d array for 1-D input); NaN where the cash flows never
        change sign or no root lies in the searched range.
    """
    cf = np.asarray(values, dtype=float)
    scalar = cf.ndim == 1
    if scalar:
        cf = cf[:, None]
    years, n = cf.shape
    out = np.full(n, np.nan)
    if years < 2:
        return out.reshape(()) if scalar else out
    # Keep the grid rates whose discount factors stay finite over this horizon.
    grid = _IRR_GRID[(years - 1) * -np.log10(1.0 + _IRR_GRID) < 250.0]
    disc = (1.0 + grid)[:, None] ** -np.arange(years, dtype=float)[None, :]  # (grid, years)
    f_grid = disc @ cf  # (grid, paths)
    neg = np.signbit(f_grid)
    # A root needs flows of both signs (otherwise NPV keeps one sign for every rate > -1).
    possible = (cf > 0).any(axis=0) & (cf < 0).any(axis=0)
    # Brackets ranked by the distance of their middle from zero; the first one present wins
    # (a root exactly on a grid rate counts as a bracket starting there).
    first = np.where(possible, -1, len(grid))
    hit = np.empty(n, dtype=bool)
    for jj in np.argsort(np.abs(0.5 * (grid[:-1] + grid[1:])), kind="stable"):
        np.not_equal(neg[jj], neg[jj + 1], out=hit)
        hit |= f_grid[jj] == 0.0
        hit &= first < 0
        first[hit] = jj
    on_last = (first < 0) & (f_grid[-1] == 0.0)
    out[on_last] = grid[-1]
    found = (first >= 0) & (first < len(grid))
    if not found.any():
        return out.reshape(()) if scalar else out
    # Iterate on every path (compressing to the unfinished ones once most are done), so the
    # common case of all paths having a root costs no gather of the cash flows.
    todo = np.arange(n)
    c = cf
    j = np.where(found, first, 0)
    lo, hi = grid[j], grid[j + 1]
    # The NPVs at the bracket's ends again, path by path in a fixed order (Horner), not from
    # the matrix product: BLAS may sum a column in another order depending on how many columns
    # it is given, and the Newton iteration below would then end on another last digit. Only
    # the signs of ``f_grid`` are used, so a path's IRR does not depend on the chunk it is in.
    f_lo, _ = _horner(c, 1.0 / (1.0 + lo))
    f_hi, _ = _horner(c, 1.0 / (1.0 + hi))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(f_lo == 0.0, lo, lo - f_lo * (hi - lo) / (f_hi - f_lo))
    r[~found] = 0.0
    pending = found.copy()
    for _ in range(max_iter):
        v = 1.0 / (1.0 + r)
        f, dfdv = _horner(c, v)
        dfdr = dfdv * (-v * v)
        same_as_lo = np.signbit(f) == np.signbit(f_lo)
        lo = np.where(same_as_lo, r, lo)
        hi = np.where(same_as_lo, hi, r)
        f_lo = np.where(same_as_lo, f, f_lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            r_new = r - f / dfdr
        bad = ~((r_new >= lo) & (r_new <= hi))
        r_new = np.where(bad, 0.5 * (lo + hi), r_new)
        r_new = np.where(f == 0.0, r, r_new)
        done = pending & (np.abs(r_new - r) <= tol * (1.0 + np.abs(r)))
        out[todo[done]] = r_new[done]
        pending &= ~done
        r = r_new
        if not pending.any():
            break
        if pending.sum() < 0.5 * pending.size:
            keep = pending
            todo, c, r, lo, hi, f_lo = (
                todo[keep],
                c[:, keep],
                r[keep],
                lo[keep],
                hi[keep],
                f_lo[keep],
            )
            pending = np.ones(todo.size, dtype=bool)
    else:
        out[todo[pending]] = r[pending]  # not converged within max_iter: the best estimate
    return out.reshape(()) if scalar else out


#: Scheduled service below this [USD bn] (one dollar) is no service for coverage ratios.
MIN_SERVICE_USD_BN = 1e-9


def dscr_series(cfads_usd_bn: np.ndarray, scheduled_usd_bn: np.ndarray) -> np.ndarray:
    """CFADS / scheduled debt service by year and path [-]; NaN in years with no service.

    ``scheduled_usd_bn`` is shape (years,), or (years, paths) when each path owes its own
    schedule. Years whose scheduled service is under :data:`MIN_SERVICE_USD_BN` count as no
    service.
    """
    safe = np.where(scheduled_usd_bn > MIN_SERVICE_USD_BN, scheduled_usd_bn, np.nan)
    return cfads_usd_bn / safe.reshape(safe.shape[0], -1)


def min_dscr(
    cfads_usd_bn: np.ndarray, scheduled_usd_bn: np.ndarray, years: np.ndarray | None = None
) -> np.ndarray:
    """Minimum over years with scheduled service of CFADS / scheduled service, per path [-].

    NaN where nothing is scheduled over the horizon (no debt, so no coverage ratio); years
    with less than :data:`MIN_SERVICE_USD_BN` scheduled count as no service. ``years`` (a
    boolean mask over the years) restricts the minimum further, e.g. to the years in which the
    fields produce (``min_dscr_operating``); NaN where no year is left.

    ``scheduled_usd_bn`` and ``years`` are shape (years,), or (years, paths) when each path has
    its own schedule or production profile (a run over many parameter sets).
    """
    has = scheduled_usd_bn > MIN_SERVICE_USD_BN
    if years is not None:
        has = has & years if has.ndim >= years.ndim else has & years[:, None]
    if has.ndim == 1:
        if not has.any():
            return np.full(cfads_usd_bn.shape[1], np.nan)
        return (cfads_usd_bn[has] / scheduled_usd_bn[has, None]).min(axis=0)
    has = np.broadcast_to(has, cfads_usd_bn.shape)
    sched = np.broadcast_to(scheduled_usd_bn.reshape(has.shape[0], -1), has.shape)
    ratio = np.divide(cfads_usd_bn, sched, out=np.full(has.shape, np.inf), where=has)
    return np.where(has.any(axis=0), ratio.min(axis=0, initial=np.inf), np.nan)


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
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["n", "mean", "sd", "se", *pct_cols])
    out.index.name = "metric"
    out["n"] = out["n"].astype(int)
    return out
