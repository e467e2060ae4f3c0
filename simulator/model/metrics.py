"""The measures the metrics are made of (present value, vectorized IRR) and
the statistics taken of them over the paths (summaries, headline figures).

Present values follow the numpy-financial convention: ``PV = sum_t v_t / (1 + r)^t`` with
t = 0 undiscounted. Every sum over the years is taken year after year for each path alike, so a
path's value does not depend on how many paths are computed with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "MIN_SERVICE_USD_BN",
    "SHORTFALL_EPS_USD_BN",
    "aggregate",
    "block_sums",
    "cvar_lower",
    "discount_factors",
    "first_flagged",
    "irr",
    "is_idle",
    "npv",
    "percentiles_by_row",
    "percentiles_of",
    "present_value",
    "row_statistic",
    "standard_error",
    "sum_over_years",
]

#: A shortfall smaller than this [USD bn] (one thousand dollars) is rounding, not distress.
SHORTFALL_EPS_USD_BN = 1e-6


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


def _by_rows(values: np.ndarray) -> bool:
    """Whether numpy walks ``values`` year by year with the paths innermost: two or more
    paths, each year's paths next to each other in memory (a whole year at a time)."""
    return (
        values.ndim == 2
        and values.shape[1] > 1
        and values.strides[1] == values.itemsize
        and values.strides[0] >= values.shape[1] * values.itemsize
    )


def is_idle(values: np.ndarray) -> bool:
    """Whether ``values`` is a read-only view of one zero: a flow the structure never moves
    (``numpy.broadcast_to(0.0, shape)``), which sums to zero without being read."""
    return values.size > 0 and not any(values.strides) and values.flat[0] == 0.0


def sum_over_years(values: np.ndarray) -> np.ndarray:
    """``values[0] + values[1] + ...`` per path, added year after year [unit of ``values``].

    Parameters
    ----------
    values
        Shape (years, paths), or (years,).

    numpy's ``sum(axis=0)`` switches to pairwise summation when a path's years lie next to
    each other in memory (a chunk of one path, a Fortran-ordered array), which rounds
    differently: a path would then sum to another last digit depending on the paths computed
    with it. Here every path is summed in the same order whatever the array: by numpy's
    reduction when it walks the array a year at a time (the same additions, in one call), by
    a loop over the years otherwise.
    """
    if is_idle(values):
        return np.zeros(values.shape[1:])
    if _by_rows(values):
        return np.add.reduce(values, axis=0, dtype=float)
    out = np.array(values[0], dtype=float)
    for row in values[1:]:
        out += row
    return out


def block_sums(values: np.ndarray, width: int) -> np.ndarray:
    """Sums over consecutive blocks of ``width`` paths, by row [unit of ``values``].

    Parameters
    ----------
    values
        Shape (rows, paths); the last block may be shorter.
    width
        Paths in a block.

    Returns
    -------
    numpy.ndarray
        Shape (rows, blocks). A block's sums depend on its paths only, not on what else
        ``values`` holds: ``numpy.einsum`` sums each block's contiguous paths alike
        (``numpy.add.reduceat`` where the paths are not contiguous).
    """
    rows, n = values.shape
    full, rest = divmod(n, width)
    blocks = full + (rest > 0)
    if is_idle(values):
        return np.zeros((rows, blocks))
    if not _by_rows(values):
        return np.add.reduceat(values, np.arange(0, n, width), axis=1, dtype=float)
    out = np.empty((rows, blocks))
    if full:
        whole = values[:, : full * width].reshape(rows, full, width)
        np.einsum("ijk->ij", whole, out=out[:, :full])
    if rest:
        np.einsum("ij->i", values[:, full * width :], out=out[:, full])
    return out


def first_flagged(flags: np.ndarray, some: np.ndarray) -> np.ndarray:
    """The index of the first year flagged on each path, 0 on a path with none [-].

    ``flags.argmax(axis=0)``, read from the paths that have a flag (``some``) when they are
    few, as they usually are: an argmax down the years of every path costs several times more.

    Parameters
    ----------
    flags
        Shape (years, paths), boolean.
    some
        ``flags.any(axis=0)``, shape (paths,).
    """
    paths = np.flatnonzero(some)
    if 4 * paths.size > flags.shape[1]:  # many: gathering them would cost more
        return np.asarray(flags.argmax(axis=0), dtype=np.intp)
    first = np.zeros(flags.shape[1], dtype=np.intp)
    if paths.size:
        first[paths] = flags[:, paths].argmax(axis=0)
    return first


def present_value(discount: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``sum_t discount[t] values[t]`` per path [unit of ``values``].

    Parameters
    ----------
    discount
        Discount factors [-], shape (years,), or (years, paths) when each path has its own.
    values
        Flows, shape (years, paths).

    Products summed year after year for every path alike (:func:`sum_over_years`): a matrix
    product would leave the order of the sum to BLAS, which may change it with the number of
    paths, and the result would then depend on the chunk size. ``numpy.einsum`` (without
    ``optimize``, so without BLAS) does the same products and additions in one call when it
    walks the flows a year at a time; a loop over the years does them otherwise.
    """
    d = discount.reshape(values.shape[0], -1)
    if is_idle(values):
        return np.zeros(np.broadcast_shapes(values.shape[1:], d.shape[1:]))
    if _by_rows(values):
        if d.shape[1] == 1:
            return np.einsum("i,ij->j", d[:, 0], values)
        if _by_rows(d) and d.shape == values.shape:
            return np.einsum("ij,ij->j", d, values)
    out = values[0] * d[0]
    term = np.empty_like(out)
    for t in range(1, values.shape[0]):
        np.multiply(values[t], d[t], out=term)
        out += term
    return out


def _polynomial(values: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``f(v) = sum_t values[t] v^t`` for every path: :func:`_horner`'s ``f``, to the bit."""
    f = values[-1].copy()
    for t in range(values.shape[0] - 2, -1, -1):
        f *= v
        f += values[t]
    return f


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
    possible = (cf.max(axis=0) > 0) & (cf.min(axis=0) < 0)
    # Brackets ranked by the distance of their middle from zero; the first one present wins
    # (a root exactly on a grid rate counts as a bracket starting there). Paths whose NPV has
    # no sign change and no zero on the grid have no bracket: they are settled first, so the
    # search can stop once every other path has found its bracket.
    some = (neg != neg[0]).any(axis=0) | (f_grid == 0.0).any(axis=0)
    first = np.where(possible & some, -1, len(grid))
    hit = np.empty(n, dtype=bool)
    open_ = first < 0
    for k, jj in enumerate(np.argsort(np.abs(0.5 * (grid[:-1] + grid[1:])), kind="stable")):
        np.not_equal(neg[jj], neg[jj + 1], out=hit)
        hit |= f_grid[jj] == 0.0
        hit &= open_
        first[hit] = jj
        open_ &= ~hit
        if k % 8 == 7 and not open_.any():
            break
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
    f_lo = _polynomial(c, 1.0 / (1.0 + lo))
    f_hi = _polynomial(c, 1.0 / (1.0 + hi))
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


#: Scheduled service below this [USD bn] (one dollar) is no service: no coverage ratio, no
#: lock-up.
MIN_SERVICE_USD_BN = 1e-9


def cvar_lower(x: np.ndarray, alpha: float = 0.05) -> float:
    """Expected shortfall: the mean of the lowest ``ceil(alpha n)`` values."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan
    k = max(1, math.ceil(alpha * x.size))
    return float(np.partition(x, k - 1)[:k].mean())


def percentiles_by_row(values: np.ndarray, pct: Sequence[float]) -> np.ndarray:
    """Percentiles of each row over its columns, ignoring NaN; NaN for an all-NaN row.

    The same linear interpolation as ``numpy.percentile`` (its default method), to the bit,
    from one sort of each row: two to four times faster than ``numpy.percentile``, which
    partitions around each wanted rank.

    Parameters
    ----------
    values
        Shape (rows, columns): a series' years over the paths, or ``x[None]`` for one sample.
    pct
        Percentiles [%], in [0, 100].

    Returns
    -------
    numpy.ndarray
        Shape (len(pct), rows).
    """
    if is_idle(values):  # a flow the structure never moves: every percentile is 0
        return np.zeros((len(pct), values.shape[0]))
    srt = np.sort(values, axis=1)  # NaN sort last
    m = (~np.isnan(values)).sum(axis=1)  # defined values per row
    pos = np.asarray(pct, dtype=float)[:, None] / 100.0 * np.maximum(m - 1, 0)[None, :]
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(m - 1, 0)[None, :])
    t = pos - lo
    rows = np.arange(values.shape[0])[None, :]
    a, b = srt[rows, lo], srt[rows, hi]
    diff = b - a
    out: np.ndarray = np.where(t >= 0.5, b - diff * (1.0 - t), a + diff * t)  # numpy's _lerp
    out[:, m == 0] = np.nan
    return out


def percentiles_of(values: np.ndarray, pct: Sequence[float]) -> np.ndarray:
    """:func:`percentiles_by_row` of one sample, shape (len(pct),)."""
    out: np.ndarray = percentiles_by_row(np.asarray(values)[None], pct)[:, 0]
    return out


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
        pct = percentiles_of(x, percentiles).tolist()
        rows[name] = [n, mean, sd, se, *pct]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["n", "mean", "sd", "se", *pct_cols])
    out.index.name = "metric"
    out["n"] = out["n"].astype(int)
    return out


def row_statistic(values: np.ndarray, statistic: str) -> np.ndarray:
    """A headline statistic of each row of per-path values (:data:`simulator.outputs.STATISTICS`).

    Parameters
    ----------
    values
        Shape (rows, paths): one run per row (a parameter set), or ``x[None]`` for one run.
        Booleans count as 0/1.
    statistic
        ``probability`` (the mean, over every path, of a flag), ``share_positive`` (the share
        of paths where the value is above 0; NaN is not), ``mean`` (the mean of the finite
        values), ``pNN`` (a percentile of the finite values, numpy's linear interpolation) or
        ``cvar5`` (the mean of the lowest 5% of the finite values, :func:`cvar_lower`).

    Returns
    -------
    numpy.ndarray
        Shape (rows,), in the unit of the values (a fraction for a probability); NaN for a
        row with no finite value.
    """
    x = np.asarray(values, dtype=float)
    if statistic == "probability":
        return x.mean(axis=1)
    if statistic == "share_positive":
        return (x > 0).mean(axis=1)
    out = np.full(x.shape[0], np.nan)
    for i, row in enumerate(x):
        finite = row[np.isfinite(row)]
        if not finite.size:
            continue
        if statistic == "mean":
            out[i] = finite.mean()
        elif statistic == "cvar5":
            out[i] = cvar_lower(finite, 0.05)
        elif statistic.startswith("p") and statistic[1:].isdigit():
            out[i] = percentiles_of(finite, [float(statistic[1:])])[0]
        else:
            raise ValueError(f"unknown statistic {statistic!r}")
    return out


def standard_error(values: np.ndarray, statistic: str) -> float:
    """Monte Carlo standard error of a headline statistic of one run's per-path values.

    A probability or share ``p`` over ``n`` paths: the binomial ``sqrt(p (1 - p) / n)``. A
    mean: the sample standard deviation (ddof 1; 0 for one value) over ``sqrt(n)`` of the
    finite values. A percentile ``q`` of ``k`` finite values: half the distance between the
    order statistics at ``k q -+ sqrt(k q (1 - q))``, the binomial interval of the quantile
    (NaN for fewer than two values). ``cvar5``: NaN (none is estimated).
    """
    x = np.asarray(values, dtype=float)
    n = x.size
    if statistic in ("probability", "share_positive"):
        p = float(row_statistic(x[None], statistic)[0])
        return math.sqrt(p * (1.0 - p) / n) if n else math.nan
    finite = x[np.isfinite(x)]
    k = finite.size
    if statistic == "mean":
        return float(finite.std(ddof=1)) / math.sqrt(k) if k > 1 else (0.0 if k else math.nan)
    if statistic.startswith("p") and statistic[1:].isdigit():
        if k < 2:
            return math.nan
        finite = np.sort(finite)
        q = float(statistic[1:]) / 100.0
        half = math.sqrt(k * q * (1.0 - q))
        lo = int(max(0, math.floor(k * q - half)))
        hi = int(min(k - 1, math.ceil(k * q + half)))
        return float(finite[hi] - finite[lo]) / 2.0
    return math.nan
