"""Analyses built on the engine: scenario comparison (and later sensitivity, break-even).

Scenario comparison uses common random numbers (DESIGN.md section 7): both scenarios are run
with the same seed and number of paths, so path ``i`` of one sees the same capex overrun,
reservoir factor and price shocks as path ``i`` of the other. The difference ``b - a`` is then
taken path by path, and its Monte Carlo error is that of the paired differences, which is much
smaller than the error of two independent runs whenever the two scenarios respond alike to the
draws. That only holds while the draws mean the same thing on both sides: the engine gives each
path one contiguous row of ``2 + n_price_shocks`` normals, so a different horizon length, price
model or bootstrap block length shifts or reinterprets every draw, and :func:`compare` refuses
such pairs rather than report a paired error that is not one.

Everything here is pure: no file I/O, no printing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..model.metrics import percentiles_of
from ..outputs import METRICS, display_scale, output
from ..run.engine import simulate
from ..run.results import Results
from ..scenario import InputError, Scenario, keys_with

__all__ = ["TABLE_COLUMNS", "TEXT_METRICS", "Comparison", "check_aligned", "compare"]

#: Columns of :meth:`Comparison.table`.
TABLE_COLUMNS: tuple[str, ...] = (
    "a_mean",
    "b_mean",
    "diff_mean",
    "diff_se",
    "independent_se",
    "diff_p5",
    "diff_p50",
    "diff_p95",
    "n",
)

#: Metrics shown by :meth:`Comparison.text` and :func:`simulator.present.plots.comparison_bars`,
#: in order; labels, units and scales come from the catalogue (:mod:`simulator.outputs`), so
#: a probability or the IRR is shown in percent and its difference in percentage points.
TEXT_METRICS: tuple[str, ...] = (
    "default",
    "standalone_default",
    "pemex_support",
    "pemex_support_pv_usd_bn",
    "mdf_inflow_pv_usd_bn",
    "mdf_inflow_total_usd_bn",
    "min_dscr",
    "avg_dscr",
    "min_llcr",
    "project_irr",
    "shortfall_total_usd_bn",
    "cash_trapped_total_usd_bn",
    "gdp_uplift_pv_usd_bn",
    "us_supply_total_mmbbl",
)

#: The metric whose standard-error ratio (independent / paired) the text's footer reports.
_RATIO_METRIC = "mdf_inflow_pv_usd_bn"


def _column(results: Results, name: str) -> np.ndarray:
    """One metric of a run as float64 (booleans as 0/1), shape (paths,)."""
    return results.metrics[name].to_numpy(dtype=float)


def _mean_se(x: np.ndarray) -> tuple[float, float, int]:
    """Mean, standard error (sample sd with ddof=1 over sqrt(n)) and n of the finite values.

    No warnings for short inputs: the mean is NaN when nothing is finite, the standard error
    NaN when fewer than two values are.
    """
    x = x[np.isfinite(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else math.nan
    se = float(x.std(ddof=1)) / math.sqrt(n) if n > 1 else math.nan
    return mean, se, n


def check_aligned(a: Scenario, b: Scenario) -> None:
    """Raise unless the two scenarios' random draws line up path by path.

    Parameters
    ----------
    a, b
        The two scenarios of a comparison.

    Raises
    ------
    InputError
        Naming the field of ``b`` that differs from ``a`` among the fields whose role is
        ``draws`` (:data:`simulator.scenario.ROLES`): ``horizon.years``, ``oil_price.model``,
        or (when either side is a bootstrap) ``oil_price.bootstrap_block_years``. Each changes
        the number or the meaning of the draws of every path, so common random numbers would
        pair unrelated draws.
    """
    for field in keys_with(roles=("draws",)):
        va, vb = a.value(field), b.value(field)
        if field == "oil_price.bootstrap_block_years" and "bootstrap" not in (
            a.oil_price.model,
            b.oil_price.model,
        ):
            continue  # the block length only shapes the draws of the bootstrap
        if va != vb:
            raise InputError(
                "b", field, f"got {vb!r}; want the same as a ({va!r}) for common random numbers"
            )


@dataclass(frozen=True)
class Comparison:
    """Two runs of the same draws (common random numbers) and their path-by-path difference.

    Build it with :func:`compare`; two :class:`~simulator.run.results.Results` read back with
    ``Results.from_dir`` may also be paired directly, provided they share seed, number of
    paths, horizon length and price model (checked on construction).

    Attributes
    ----------
    a
        The reference run.
    b
        The alternative run; every difference is ``b - a``.

    Raises
    ------
    InputError
        On construction, if the runs were not made with the same draws.
    """

    a: Results
    b: Results

    def __post_init__(self) -> None:
        for field, va, vb in (
            ("seed", self.a.seed, self.b.seed),
            ("paths", self.a.paths, self.b.paths),
        ):
            if va != vb:
                raise InputError(
                    "b",
                    field,
                    f"got {vb!r}; want the same as a ({va!r}) for common random numbers",
                )
        if len(self.a.metrics) != len(self.b.metrics):
            raise InputError(
                "b",
                "metrics",
                f"got {len(self.b.metrics)} rows; want the same as a ({len(self.a.metrics)})",
            )
        check_aligned(self.a.scenario, self.b.scenario)

    def differences(self) -> pd.DataFrame:
        """Per path, ``b - a`` for every per-path metric.

        Returns
        -------
        pandas.DataFrame
            Index ``path``; one float column per name of :data:`simulator.outputs.METRICS`,
            in the units of the metric (USD bn, mmbbl, years, fractions per year for
            ``project_irr``). Booleans count as 0/1, so the mean of ``distress`` is the change
            in the probability of distress [-]. NaN where either side is not finite (an IRR
            that does not exist, no shortfall year).
        """
        cols: dict[str, np.ndarray] = {}
        for name in METRICS:
            xa, xb = _column(self.a, name), _column(self.b, name)
            both = np.isfinite(xa) & np.isfinite(xb)
            diff = np.full(xa.shape, np.nan)
            np.subtract(xb, xa, out=diff, where=both)
            cols[name] = diff
        return pd.DataFrame(cols, index=pd.RangeIndex(len(self.a.metrics), name="path"))

    def table(self) -> pd.DataFrame:
        """Means of both runs and the mean, standard error and spread of their difference.

        Returns
        -------
        pandas.DataFrame
            Index ``metric`` (every name of :data:`simulator.outputs.METRICS`), in the
            metric's own units (booleans as probabilities [-]); ``attrs`` names the scenarios
            (``a``, ``b``) and the ``paths``. Columns:

            ``a_mean``, ``b_mean``
                Each run's mean over its own finite values (as ``Results.summary``).
            ``diff_mean``
                Mean of the paired differences ``b - a`` over paths where both are finite.
                For a metric that is undefined on some paths (``project_irr``,
                ``first_shortfall_year``) this can differ from ``b_mean - a_mean``.
            ``diff_se``
                Standard error of ``diff_mean``: sample sd (ddof=1) of the paired differences
                over sqrt(``n``).
            ``independent_se``
                What the standard error of the difference would be from two independent runs
                of the same sizes: ``sqrt(se_a^2 + se_b^2)``, each se the sample sd (ddof=1)
                of a run's own finite values over sqrt of their count. For booleans this is
                within a factor ``sqrt(n / (n - 1))`` of the binomial se of ``summary()``.
            ``diff_p5``, ``diff_p50``, ``diff_p95``
                Percentiles of the paired differences.
            ``n``
                Number of paths where both values are finite (the pairs used above).
        """
        diffs = self.differences()
        rows: dict[str, list[float]] = {}
        for name in METRICS:
            a_mean, a_se, _ = _mean_se(_column(self.a, name))
            b_mean, b_se, _ = _mean_se(_column(self.b, name))
            d = diffs[name].to_numpy()
            d_mean, d_se, n = _mean_se(d)
            d = d[np.isfinite(d)]
            pct = percentiles_of(d, [5, 50, 95]).tolist() if n else [math.nan] * 3
            rows[name] = [a_mean, b_mean, d_mean, d_se, math.hypot(a_se, b_se), *pct, n]
        out = pd.DataFrame.from_dict(rows, orient="index", columns=list(TABLE_COLUMNS))
        out.index.name = "metric"
        out["n"] = out["n"].astype(int)
        out.attrs = {"a": self.a.scenario.name, "b": self.b.scenario.name, "paths": self.a.paths}
        return out

    def text(self) -> str:
        """A fixed-width table of the main metrics: A mean, B mean, B - A ± its standard error.

        Probabilities and the IRR are shown in percent and their differences in percentage
        points. The footer states that the differences use common random numbers and how many
        times smaller the standard error of the MDF inflow PV difference is than it would be
        with independent runs.
        """
        rows = {
            str(metric): {str(col): float(v) for col, v in row.items()}
            for metric, row in self.table().to_dict(orient="index").items()
        }
        a, b = self.a, self.b
        h = a.scenario.horizon
        lines = [
            f"Comparison: A = {a.scenario.name}, B = {b.scenario.name}; "
            f"{a.paths:,} paths, seed {a.seed}, {h.start_year}-{h.start_year + h.years - 1}"
        ]
        if a.scenario.basis_note != b.scenario.basis_note:
            lines.append(f"  A: {a.scenario.basis_note}")
            lines.append(f"  B: {b.scenario.basis_note}")
        else:
            lines.append(f"  {a.scenario.basis_note}")
        labels = {name: _text_label(name) for name in TEXT_METRICS}
        width = max(len(label) for label in labels.values())
        lines.append(f"  {'':<{width}}  {'A mean':>10}  {'B mean':>10}  {'B - A':>10}  {'± se':>9}")

        def num(x: float, w: int) -> str:
            return f"{x:{w}.3f}" if math.isfinite(x) else f"{'n/a':>{w}}"

        partial = []
        for name in TEXT_METRICS:
            r, label, scale = rows[name], labels[name], display_scale(name)
            se = r["diff_se"] * scale
            err = f"± {se:7.3f}" if math.isfinite(se) else f"{'':>9}"
            lines.append(
                f"  {label:<{width}}  {num(r['a_mean'] * scale, 10)}"
                f"  {num(r['b_mean'] * scale, 10)}"
                f"  {num(r['diff_mean'] * scale, 10)}  {err}".rstrip()
            )
            if r["n"] < a.paths:
                partial.append(f"{name} ({int(r['n']):,} paths)")
        lines.append(
            "  Differences are paired path by path: common random numbers (same seed, same draws)."
        )
        d_se, i_se = rows[_RATIO_METRIC]["diff_se"], rows[_RATIO_METRIC]["independent_se"]
        if d_se > 0 and math.isfinite(d_se) and math.isfinite(i_se):
            lines.append(
                f"  Standard error of the MDF inflow PV difference: {d_se:.3f} vs {i_se:.3f} "
                f"with independent runs ({i_se / d_se:.1f}x smaller)."
            )
        elif d_se == 0:
            lines.append(
                "  The MDF inflow PV is the same on every path: its difference has no Monte Carlo "
                "error."
            )
        if partial:
            lines.append(
                "  Differences over paths where both values exist only: " + ", ".join(partial) + "."
            )
        return "\n".join(lines)


def _text_label(name: str) -> str:
    """A metric's title for the text table; a percent one says its difference is in pp."""
    entry = output(name)
    if entry.percent:
        return f"{entry.label} [%; diff pp]"
    return entry.title


def compare(
    a: Scenario,
    b: Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    **simulate_kwargs: Any,
) -> Comparison:
    """Run two scenarios on the same draws (common random numbers) and pair their results.

    Parameters
    ----------
    a
        The reference scenario.
    b
        The alternative; differences are ``b - a``. Its ``simulation`` section is ignored:
        both runs use the same paths and seed.
    paths
        Number of paths [paths]; default ``a.simulation.paths``.
    seed
        Seed of both runs [-]; default ``a.simulation.seed``.
    **simulate_kwargs
        Passed to :func:`simulator.run.engine.simulate` for both runs (``chunk_paths``,
        ``keep_series``, ``map_fn``...).

    Returns
    -------
    Comparison

    Raises
    ------
    InputError
        If the two scenarios' draws would not line up (different ``horizon.years``,
        ``oil_price.model`` or bootstrap block length), before anything is simulated; or for
        a bad ``paths`` or ``seed`` (from ``simulate``).
    """
    check_aligned(a, b)
    paths = a.simulation.paths if paths is None else paths
    seed = a.simulation.seed if seed is None else seed
    res_a = simulate(a, paths=paths, seed=seed, **simulate_kwargs)
    res_b = simulate(b, paths=paths, seed=seed, **simulate_kwargs)
    return Comparison(a=res_a, b=res_b)
