"""What drives distress: the distressed paths of a run compared with the others.

A path is *distressed* when it has a shortfall on the debt service in any year (the per-path
``distress`` metric). Among the paths whose per-year series were kept (``Results.series``, the
first ``min(paths, 20000)`` paths by default), this module compares the two groups on a few
per-path quantities the engine draws:

- ``production_factor`` [-]: the path's production relative to production at median factors,
  ``reservoir_factor / capex_overrun_factor``, the two factors the engine drew for the path
  (per-path metrics of the run).
- ``oil_price_mean_usd_per_bbl`` and ``oil_price_min_usd_per_bbl`` [USD/bbl]: the mean and the
  minimum over the years of the path's oil price.
- ``oil_price_<year>`` [USD/bbl]: the path's oil price in that year.

For each quantity it gives the group means, their difference (distressed minus other) and the
difference in units of the pooled within-group standard deviation, and ranks the quantities by
the size of that standardized difference. :func:`price_by_group` gives the price percentiles of
each group by year, for a figure (:mod:`simulator.present.plots` draws the figures).

It describes association among the kept paths, not cause: the price of one year is correlated
with its neighbours, so several year rows can rank high for one underlying price slump.

Everything here is pure: no file I/O, no printing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..run.results import Results
from ..scenario import InputError

__all__ = ["DRIVER_COLUMNS", "GROUP_PERCENTILES", "distress_drivers", "price_by_group"]

#: Columns of :func:`distress_drivers`.
DRIVER_COLUMNS: tuple[str, ...] = (
    "mean_distressed",
    "mean_other",
    "difference",
    "standardized_difference",
    "rank",
)

#: Percentiles of :func:`price_by_group` [%].
GROUP_PERCENTILES: tuple[int, ...] = (10, 50, 90)

_SOURCE = "results"


def _kept(results: Results, name: str) -> np.ndarray:
    """A kept series as an array (years, kept paths); InputError if none was kept."""
    try:
        frame = results.series(name)
    except KeyError as exc:
        raise InputError(
            _SOURCE,
            "keep_series",
            "got a run that kept no per-path series; want one run with keep_series "
            "(the distress drivers compare paths, which needs their per-year series)",
        ) from exc
    arr = frame.to_numpy(dtype=float)
    if arr.shape[1] == 0:
        raise InputError(
            _SOURCE, "keep_series", "got a run that kept 0 paths; want at least one per group"
        )
    return arr


def _groups(results: Results, n_kept: int) -> np.ndarray:
    """Distress flags of the kept paths; InputError if either group is empty."""
    flags = results.metrics["distress"].to_numpy(dtype=bool)[:n_kept]
    n_dist = int(flags.sum())
    if n_dist == 0 or n_dist == n_kept:
        which = "no path is distressed" if n_dist == 0 else "every path is distressed"
        raise InputError(
            _SOURCE,
            "distress",
            f"got {n_dist} distressed of {n_kept} kept paths ({which}); want both distressed "
            "and other paths to compare",
        )
    return flags


def distress_drivers(results: Results) -> pd.DataFrame:
    """Compare the distressed kept paths with the other kept paths, quantity by quantity.

    Parameters
    ----------
    results
        A run that kept its per-year series (``simulate(..., keep_series=...)`` not False).

    Returns
    -------
    pandas.DataFrame
        Index ``driver``: ``production_factor`` [-], ``oil_price_mean_usd_per_bbl``,
        ``oil_price_min_usd_per_bbl`` and ``oil_price_<year>`` for each year [USD/bbl].
        Columns ``mean_distressed`` and ``mean_other`` (group means, in the row's unit),
        ``difference`` (distressed minus other, in the row's unit), ``standardized_difference``
        (difference divided by the pooled within-group standard deviation [-]; 0 where that
        standard deviation is 0) and ``rank`` (1 = largest ``|standardized_difference|``; ties
        keep the row order above). Sorted by rank.

    Raises
    ------
    InputError
        If the run kept no series, or if either group (distressed or other) is empty among the
        kept paths.
    """
    price = _kept(results, "oil_price_usd_per_bbl")
    n_kept = price.shape[1]
    flags = _groups(results, n_kept)
    m = results.metrics.iloc[:n_kept]
    factor = (m["reservoir_factor"] / m["capex_overrun_factor"]).to_numpy(dtype=float)

    rows: dict[str, np.ndarray] = {
        "production_factor": factor,
        "oil_price_mean_usd_per_bbl": price.mean(axis=0),
        "oil_price_min_usd_per_bbl": price.min(axis=0),
    }
    for i, year in enumerate(results.years):
        rows[f"oil_price_{int(year)}"] = price[i]

    values = np.vstack(list(rows.values()))  # (drivers, kept paths)
    # Shift each row by its first value (differences and spreads do not change) so that a
    # quantity equal on every path (the known price of the first year) gives exact zeros,
    # not rounding noise that the standardization would blow up.
    shift = values[:, :1]
    a, b = values[:, flags] - shift, values[:, ~flags] - shift
    n_a, n_b = a.shape[1], b.shape[1]
    dev_a, dev_b = a.mean(axis=1), b.mean(axis=1)
    ss = ((a - dev_a[:, None]) ** 2).sum(axis=1) + ((b - dev_b[:, None]) ** 2).sum(axis=1)
    dof = n_a + n_b - 2
    pooled_sd = np.sqrt(ss / dof) if dof > 0 else np.zeros_like(ss)
    mean_a, mean_b = shift[:, 0] + dev_a, shift[:, 0] + dev_b
    diff = dev_a - dev_b
    safe = np.where(pooled_sd > 0, pooled_sd, 1.0)
    std_diff = np.where(pooled_sd > 0, diff / safe, 0.0)

    out = pd.DataFrame(
        {
            "mean_distressed": mean_a,
            "mean_other": mean_b,
            "difference": diff,
            "standardized_difference": std_diff,
        },
        index=pd.Index(list(rows), name="driver"),
    )
    out["rank"] = (
        out["standardized_difference"].abs().rank(method="first", ascending=False).astype(int)
    )
    return out.sort_values("rank")


def price_by_group(results: Results) -> pd.DataFrame:
    """Oil price percentiles by year for the distressed and the other kept paths.

    Parameters
    ----------
    results
        A run that kept its per-year series.

    Returns
    -------
    pandas.DataFrame
        Index ``year``; columns ``distressed_p10, distressed_p50, distressed_p90, other_p10,
        other_p50, other_p90`` [USD/bbl] (percentiles of :data:`GROUP_PERCENTILES` over the
        paths of each group, linear interpolation).

    Raises
    ------
    InputError
        If the run kept no series or either group is empty among the kept paths.
    """
    price = _kept(results, "oil_price_usd_per_bbl")
    flags = _groups(results, price.shape[1])
    cols: dict[str, np.ndarray] = {}
    for group, mask in (("distressed", flags), ("other", ~flags)):
        pct = np.percentile(price[:, mask], GROUP_PERCENTILES, axis=1)  # (percentiles, years)
        for q, row in zip(GROUP_PERCENTILES, pct, strict=True):
            cols[f"{group}_p{q}"] = row
    return pd.DataFrame(cols, index=results.years)
