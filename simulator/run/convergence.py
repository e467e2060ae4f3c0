"""Precision-targeted runs: grow the number of paths until the headline figures are precise.

The Monte Carlo error of a headline figure is measured by its *relative standard error*
(:func:`relative_errors`), the standard error that :meth:`Results.headline
<simulator.run.results.Results.headline>` reports over the size of the figure. A standard error
falls as ``1 / sqrt(n)`` in the number of paths ``n``, so a run of ``n`` paths whose worst
relative error is ``r`` needs about ``n (r / precision)^2`` paths to reach ``precision``.
:func:`simulate_to_precision` starts from a first run, projects the paths needed from that
rule, and runs again with more paths until every targeted figure is within ``precision`` or
the path budget is spent.

Every round uses the same seed. The engine draws each block of
:data:`~simulator.run.engine.RNG_BLOCK_PATHS` paths from its own random stream, so the paths of a
smaller run are an exact prefix of those of a larger one: each round extends the previous one
rather than replacing it, and the final result is exactly ``simulate(scenario, paths=final,
seed=seed)``; it does not depend on the rounds that led to it.

Everything here is pure: no file I/O, no printing.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..outputs import HEADLINE, OUTPUTS
from ..scenario import InputError, Scenario
from .engine import RNG_BLOCK_PATHS, simulate
from .results import Results

__all__ = [
    "GROWTH_HEADROOM",
    "MAX_GROWTH",
    "MIN_GROWTH",
    "PRECISION_METRICS",
    "PROBABILITY_FLOOR",
    "PrecisionRun",
    "next_paths",
    "relative_errors",
    "simulate_to_precision",
]

#: Headline keys whose relative standard error :func:`simulate_to_precision` targets by
#: default: the median MDF inflow PV, the mean MDF inflow total, the mean U.S. supply added
#: and the probability of default.
PRECISION_METRICS: tuple[str, ...] = (
    "mdf_inflow_pv_p50",
    "mdf_inflow_total_mean",
    "us_supply_total_mean",
    "prob_default",
)

#: A probability's standard error is taken relative to ``max(p, PROBABILITY_FLOOR)`` [-], so
#: that a rare event does not demand millions of paths: at precision 0.01, a probability under
#: 1% is wanted to an absolute standard error of 0.0001 (0.01 percentage points).
PROBABILITY_FLOOR = 0.01
#: Paths projected from ``SE ~ 1 / sqrt(n)`` are multiplied by this [-], so that the noise in
#: the estimated standard errors does not leave the next round just short of the target.
GROWTH_HEADROOM = 1.1
#: Each further round runs at least this many times the paths of the previous one [-], so a
#: round that falls just short is not followed by many tiny ones.
MIN_GROWTH = 1.25
#: ... and at most this many times [-]: a projection from a small, noisy first run (a few
#: hundred paths) is not trusted with more than one step of this size.
MAX_GROWTH = 100.0

_HEADLINE_KEYS = frozenset(HEADLINE)


def _check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    if isinstance(metrics, str):
        raise InputError(
            "metrics", "", f"got the string {metrics!r}; want a sequence of headline keys"
        )
    keys = tuple(metrics)
    if not keys:
        raise InputError("metrics", "", "got no metrics; want at least one headline key")
    for key in keys:
        if key not in _HEADLINE_KEYS:
            raise InputError(
                "metrics",
                str(key),
                f"got {key!r}; want a headline key: {', '.join(sorted(_HEADLINE_KEYS))}",
            )
    return keys


def relative_errors(
    results: Results, *, metrics: Sequence[str] = PRECISION_METRICS
) -> dict[str, float]:
    """Relative standard error of headline figures of a run.

    Parameters
    ----------
    results
        A run.
    metrics
        Headline keys (of :data:`simulator.outputs.HEADLINE`) that have a standard error
        ``<key>_se`` in :meth:`Results.headline <simulator.run.results.Results.headline>`.

    Returns
    -------
    dict[str, float]
        For each key, in the order given, a dimensionless relative error [-]:

        * a probability (:attr:`simulator.outputs.Output.is_probability`) with estimate ``p``
          over ``n`` paths:
          ``se / max(p, PROBABILITY_FLOOR)``, where ``se`` is the binomial standard error
          ``sqrt(p (1 - p) / n)`` of the headline. When ``p`` is exactly 0 or 1 that formula
          gives 0 although the probability is not known exactly, so ``p`` is then replaced by
          ``1 / n`` (as if one path had gone the other way): ``se = sqrt((1/n)(1 - 1/n) / n)``.
        * any other figure ``x``: ``se / |x|``, where ``se`` is the headline's standard
          error (the sample standard deviation over ``sqrt(n)`` for a mean, the
          order-statistic error for a percentile); 0 when ``se`` is 0, ``inf`` when ``x`` is 0
          and ``se`` is not.

        NaN where the figure or its standard error is undefined (a percentile of a metric
        that is NaN on every path).

    Raises
    ------
    InputError
        For an empty ``metrics``, a key that is not a headline key, or a headline key without
        a standard error (``mdf_inflow_pv_cvar5``).
    """
    keys = _check_metrics(metrics)
    head = results.headline()
    n = len(results.metrics)
    out: dict[str, float] = {}
    for key in keys:
        se_key = f"{key}_se"
        if se_key not in head:
            raise InputError(
                "metrics", key, f"got {key!r}, which has no standard error; want one that has"
            )
        value, se = float(head[key]), float(head[se_key])
        if OUTPUTS[key].is_probability:
            if n > 0 and (value == 0.0 or value == 1.0):
                q = 1.0 / n
                se = math.sqrt(q * (1.0 - q) / n)
            out[key] = se / max(value, PROBABILITY_FLOOR)
        elif not (math.isfinite(value) and math.isfinite(se)):
            out[key] = math.nan
        elif se == 0.0:
            out[key] = 0.0
        elif value == 0.0:
            out[key] = math.inf
        else:
            out[key] = se / abs(value)
    return out


@dataclass(frozen=True)
class PrecisionRun:
    """The outcome of :func:`simulate_to_precision`.

    Attributes
    ----------
    results
        The last run, equal to ``simulate(scenario, paths=paths, seed=seed)``.
    paths
        Number of paths of the last run [paths].
    rounds
        Every run in order: ``(paths, {metric: relative error [-]})``.
    reached
        True when every targeted relative error of the last run is at most ``precision``;
        False when the run stopped at ``max_paths`` short of it.
    precision
        The target relative standard error [-].
    """

    results: Results
    paths: int
    rounds: list[tuple[int, dict[str, float]]]
    reached: bool
    precision: float

    @property
    def relative_errors(self) -> dict[str, float]:
        """Relative standard errors of the last run [-] (see :func:`relative_errors`)."""
        return dict(self.rounds[-1][1])


def _met(rel: Mapping[str, float], precision: float) -> bool:
    """Every relative error at most ``precision`` (NaN never is)."""
    return all(r <= precision for r in rel.values())


def next_paths(paths: int, worst: float, *, precision: float, max_paths: int) -> int:
    """Paths of the next round.

    Parameters
    ----------
    paths
        Paths of the round just run [paths].
    worst
        Its largest relative error [-] (NaN or inf when undefined).
    precision
        The target relative error [-].
    max_paths
        The budget [paths].

    Returns
    -------
    int
        ``paths * GROWTH_HEADROOM * (worst / precision)^2`` (``SE ~ 1 / sqrt(n)``), clipped
        to ``[MIN_GROWTH, MAX_GROWTH]`` times ``paths`` (``MAX_GROWTH`` times when ``worst``
        is not finite), rounded up to a multiple of :data:`~simulator.run.engine.RNG_BLOCK_PATHS`
        and capped at ``max_paths`` [paths].
    """
    if math.isfinite(worst):
        growth = GROWTH_HEADROOM * (worst / precision) ** 2
        growth = min(max(growth, MIN_GROWTH), MAX_GROWTH)
    else:
        growth = MAX_GROWTH
    wanted = math.ceil(paths * growth / RNG_BLOCK_PATHS) * RNG_BLOCK_PATHS
    return int(min(max(wanted, paths + 1), max_paths))


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InputError(f"--{name.replace('_', '-')}", name, f"got {value!r}; want >= 1")
    return int(value)


def simulate_to_precision(
    scenario: Scenario,
    *,
    precision: float = 0.01,
    start_paths: int | None = None,
    max_paths: int = 1_000_000,
    seed: int | None = None,
    metrics: Sequence[str] = PRECISION_METRICS,
    progress: Callable[[int, int], Any] | None = None,
) -> PrecisionRun:
    """Run a scenario with as many paths as its headline figures need for a given precision.

    The first round runs ``start_paths``. While some targeted relative error
    (:func:`relative_errors`) exceeds ``precision`` and the round ran fewer than
    ``max_paths``, the next round runs :func:`next_paths` paths: the count projected from
    ``SE ~ 1 / sqrt(n)`` with 10% headroom, at least 1.25 and at most 100 times the previous
    one, rounded up to a multiple of :data:`~simulator.run.engine.RNG_BLOCK_PATHS` and capped at
    ``max_paths``. Each round is a full run with the same seed; its first paths are exactly
    those of the previous round, so the final result is exactly ``simulate(scenario,
    paths=run.paths, seed=seed)``. Each round is run afresh (earlier paths are recomputed, not
    reused), so the work is the sum of the rounds: usually two rounds, the second about 10%
    over the paths needed. Were every round to grow by the minimum, the rounds before the last
    would add up to at most ``1 / 0.25 = 4`` times the last (a geometric series), so the
    total is at most about 5 times the final paths.

    Parameters
    ----------
    scenario
        A validated scenario.
    precision
        Target relative standard error of every targeted figure [-], e.g. 0.01 for 1%.
    start_paths
        Paths of the first round [paths]; default ``scenario.simulation.paths``.
    max_paths
        Most paths of a round [paths]; the last round runs this many if the target is not
        reached sooner.
    seed
        Seed of every round [-]; default ``scenario.simulation.seed``.
    metrics
        Headline keys targeted (see :func:`relative_errors`); default
        :data:`PRECISION_METRICS`.
    progress
        Passed to every round's :func:`~simulator.run.engine.simulate`: called as
        ``progress(paths_done, paths_of_this_round)`` after each chunk.

    Returns
    -------
    PrecisionRun

    Raises
    ------
    InputError
        For a ``precision`` that is not a positive finite number, ``start_paths`` or
        ``max_paths`` below 1, ``start_paths`` above ``max_paths``, a bad seed, or bad
        ``metrics`` (a key without a standard error is reported after the first round).
    """
    if (
        isinstance(precision, bool)
        or not isinstance(precision, numbers.Real)
        or not math.isfinite(precision)
        or precision <= 0
    ):
        raise InputError("--precision", "precision", f"got {precision!r}; want a finite number > 0")
    precision = float(precision)
    keys = _check_metrics(metrics)
    start = _positive_int(
        scenario.simulation.paths if start_paths is None else start_paths, "start_paths"
    )
    budget = _positive_int(max_paths, "max_paths")
    if start > budget:
        raise InputError(
            "--start-paths", "start_paths", f"got {start}; want at most max_paths ({budget})"
        )
    seed = scenario.simulation.seed if seed is None else seed

    rounds: list[tuple[int, dict[str, float]]] = []
    paths = start
    while True:
        results = simulate(scenario, paths=paths, seed=seed, progress=progress)
        rel = relative_errors(results, metrics=keys)
        rounds.append((paths, rel))
        reached = _met(rel, precision)
        if reached or paths >= budget:
            break
        values = list(rel.values())
        worst = math.nan if any(math.isnan(r) for r in values) else max(values)
        paths = next_paths(paths, worst, precision=precision, max_paths=budget)
    return PrecisionRun(
        results=results, paths=paths, rounds=rounds, reached=reached, precision=precision
    )
