"""``simulate()``: random streams, chunks of paths, and their reduction to results.

The engine does three things and no modelling: it draws each path's standard normals from
streams that depend on the seed and the path's index only, runs the model chain
(:func:`simulator.model.chain.run_paths` and :func:`~simulator.model.chain.path_metrics`) on
chunks of paths, and reduces each chunk at once to per-path metrics, kept series and ledger
sums, named as the catalogue of outputs (:mod:`simulator.outputs`) names them.

Reproducibility. Paths are grouped in fixed blocks of :data:`RNG_BLOCK_PATHS`; block ``b`` draws
from its own stream ``SeedSequence(seed, spawn_key=(b,))`` (the ``b``-th child that
``SeedSequence(seed).spawn`` would give), and each path takes one contiguous row of standard
normals: ``[capex overrun, reservoir, price shocks...]``. A path's numbers therefore depend on
the seed and its index only: not on the chunk size, the order chunks run in, or the number of
workers, so a run is bit-identical on 1 worker or 64. Two scenarios run with the same seed share
their draws (common random numbers).

Memory. Chunks of ``chunk_paths`` paths are computed one at a time (or handed to an executor's
``map``) and reduced at once to per-path metrics and per-block ledger sums; the per-year series
are kept only for the first ``keep_series`` paths (default: all paths up to
:data:`DEFAULT_KEEP_SERIES`), so a million paths run in bounded memory. Fans and
``Results.series`` come from the kept paths; metrics, the summary and the ledger use every path.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..model.chain import (
    Plan,
    backstop_index,
    path_metrics,
    run_paths,
    sector_metrics,
    standalone_default,
)
from ..model.financing import DebtSchedule
from ..model.metrics import block_sums, is_idle
from ..model.waterfall import identity_residual
from ..outputs import LEDGER, METRICS, SECTOR_FLOWS, SECTOR_METRICS, SERIES
from ..scenario import MAX_SEED, InputError, Scenario
from ..scenario.schema import CORRELATION_WANT, correlation_problem
from ..scenario.sets import FloatArray, ParameterSets
from ..version import __version__
from .results import Results

__all__ = [
    "COMPUTE_PATHS",
    "DEFAULT_CHUNK_PATHS",
    "DEFAULT_KEEP_SERIES",
    "RNG_BLOCK_PATHS",
    "ChunkOutput",
    "RunSpec",
    "assemble",
    "chunk_bounds",
    "draw_normals",
    "simulate",
    "simulate_chunk",
    "simulate_sets",
    "tune_allocator",
]

#: Paths per random stream. Changing it changes every result; it is part of the method.
RNG_BLOCK_PATHS = 1024
#: Paths handed out at once (to a worker, between progress reports; a multiple of
#: RNG_BLOCK_PATHS; any such value gives the same results).
DEFAULT_CHUNK_PATHS = 32 * RNG_BLOCK_PATHS
#: Paths computed at once inside a chunk: small enough for a year's rows of every flow to stay
#: in the processor's cache through the waterfall (a multiple of RNG_BLOCK_PATHS; any such
#: value gives the same results).
COMPUTE_PATHS = 4 * RNG_BLOCK_PATHS
#: Per-year series are kept for at most this many paths unless asked otherwise.
DEFAULT_KEEP_SERIES = 20_000


_ALLOCATOR_TUNED = False


def tune_allocator() -> bool:
    """Keep freed chunk arrays in the process heap instead of returning them to the OS.

    Each chunk allocates a few dozen arrays of several MB. With glibc's default thresholds
    they are mapped fresh from the OS for every chunk and page-faulted on first write, which
    costs more than the arithmetic (the waterfall runs about 3x faster without it). This raises
    malloc's mmap threshold to 32 MB and its trim threshold to 1 GB, once per process, so the
    memory of one chunk is reused by the next; the process keeps its peak heap instead of
    shrinking between chunks. It is a no-op off glibc, and ``NAEF_MALLOC_TUNING=0`` disables
    it. It changes speed only, never a result.

    Returns
    -------
    bool
        True when the thresholds were set (now or earlier in this process).
    """
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED:
        return True
    if os.environ.get("NAEF_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024) == 1
        ok &= libc.mallopt(m_trim_threshold, 1024 * 1024 * 1024) == 1
    except (OSError, AttributeError):
        return False
    _ALLOCATOR_TUNED = ok
    return ok


@dataclass(frozen=True)
class RunSpec:
    """What a run computes: the scenario's plan, the seed and the number of paths.

    A run over many parameter sets (:func:`simulate_sets`) also carries ``sets`` and
    ``paths_per_set``: path ``p`` then belongs to set ``p // paths_per_set`` and draws the
    numbers of path ``p % paths_per_set``.
    """

    plan: Plan
    seed: int
    paths: int
    sets: ParameterSets | None = None
    paths_per_set: int = 0

    @classmethod
    def build(
        cls,
        scenario: Scenario,
        *,
        paths: int,
        seed: int,
        schedule: DebtSchedule | None = None,
    ) -> RunSpec:
        """The plan of ``scenario`` (:meth:`simulator.model.chain.Plan.build`) for a run."""
        return cls(plan=Plan.build(scenario, schedule=schedule), seed=seed, paths=paths)

    @property
    def scenario(self) -> Scenario:
        """The scenario run."""
        return self.plan.scenario


@dataclass
class ChunkOutput:
    """What one chunk of paths reduces to."""

    start: int
    stop: int
    metrics: dict[str, FloatArray]
    ledger_block_sums: FloatArray  # (per-path ledger columns, years, blocks)
    series: dict[str, FloatArray] = field(default_factory=dict)
    #: Per-path outputs of each sector of the fund, name -> (sectors, paths).
    sector_metrics: dict[str, FloatArray] = field(default_factory=dict)
    #: Sums per RNG block of each sector's flows, (flows, sectors, years, blocks).
    sector_block_sums: FloatArray = field(default_factory=lambda: np.empty((0, 0, 0, 0)))
    max_abs_residual: float = 0.0  # largest |sources - uses| of a year and path [USD bn]
    max_abs_cash: float = 0.0  # largest |cash| of a year and path [USD bn]


def draw_normals(seed: int, start: int, stop: int, n_draws: int) -> FloatArray:
    """Standard normals of paths ``start .. stop-1``, shape (n_draws, stop - start).

    ``start`` must be a multiple of :data:`RNG_BLOCK_PATHS`. Row ``i`` of a block's stream is
    path ``block * RNG_BLOCK_PATHS + i``, whatever ``stop`` is.
    """
    if start % RNG_BLOCK_PATHS:
        raise ValueError(f"chunk start {start} is not a multiple of {RNG_BLOCK_PATHS}")
    out = np.empty((n_draws, stop - start))
    block = np.empty((RNG_BLOCK_PATHS, n_draws))
    for b0 in range(start, stop, RNG_BLOCK_PATHS):
        b1 = min(b0 + RNG_BLOCK_PATHS, stop)
        rng = np.random.default_rng(
            np.random.SeedSequence(seed, spawn_key=(b0 // RNG_BLOCK_PATHS,))
        )
        rows = block[: b1 - b0]
        rng.standard_normal(out=rows)
        out[:, b0 - start : b1 - start] = rows.T  # a block at a time, while it is in cache
    return out


def _largest_magnitude(values: FloatArray) -> float:
    """``max |values|`` (0 for no values), without an array of the magnitudes."""
    if not values.size:
        return 0.0
    return max(float(values.max()), -float(values.min()))


def _keep_series(
    series: dict[str, FloatArray],
    name: str,
    values: FloatArray,
    at: int,
    shape: tuple[int, int],
) -> None:
    """Put the kept paths of a block's flow in its series from column ``at`` on (a flow the
    structure never moves stays a read-only view of one zero until a block moves it)."""
    arr = series.get(name)
    if is_idle(values) and (arr is None or is_idle(arr)):
        series[name] = np.broadcast_to(0.0, shape)
        return
    if arr is None:
        arr = series[name] = np.empty(shape)
    elif is_idle(arr):
        arr = series[name] = np.zeros(shape)
    arr[:, at : at + values.shape[1]] = values


def _sector_block_sums(values: FloatArray) -> FloatArray:
    """:func:`block_sums` of a flow by sector, (sectors, years, paths) -> (sectors, years,
    blocks)."""
    sectors, years, n = values.shape
    return block_sums(values.reshape(sectors * years, n), RNG_BLOCK_PATHS).reshape(
        sectors, years, -1
    )


def _per_path_ledger(plan: Plan) -> tuple[str, ...]:
    """The ledger columns that differ between paths (the rest come from the plan)."""
    fixed = plan.flows()
    return tuple(name for name in LEDGER if name not in fixed)


def simulate_chunk(spec: RunSpec, start: int, stop: int, keep_series: int = 0) -> ChunkOutput:
    """Run the model chain on paths ``start .. stop-1`` and reduce it.

    The paths are computed in blocks of :data:`COMPUTE_PATHS`, whose year rows stay in the
    processor's cache through the waterfall's loop (about 1.2x faster than one block of a whole
    chunk); each block is reduced at once. A run over parameter sets reduces to its metrics
    only (:func:`simulate_sets` returns nothing else): no ledger, no identity check.

    Parameters
    ----------
    spec
        The run.
    start, stop
        Path range; ``start`` a multiple of :data:`RNG_BLOCK_PATHS`.
    keep_series
        Paths with index below this keep their per-year series.
    """
    tune_allocator()
    set_draws = None
    if spec.sets is not None:  # every set draws the numbers of paths 0 .. paths_per_set - 1
        set_draws = draw_normals(spec.seed, 0, spec.paths_per_set, spec.plan.n_draws)
    years = spec.scenario.horizon.years
    k = max(0, min(stop, keep_series) - start)
    # A flow the structure never moves keeps its series as a read-only view of one zero.
    series: dict[str, FloatArray] = {}
    metrics: dict[str, list[FloatArray]] = {name: [] for name in METRICS}
    ledger: list[FloatArray] = []
    by_sector: dict[str, list[FloatArray]] = {name: [] for name in SECTOR_METRICS}
    sector_ledger: list[FloatArray] = []
    residual = cash = 0.0
    # The paths that drew the backstop, from every block, run once more without it together
    # (a handful per block: one waterfall for them all costs a few blocks' loops less).
    drew_at: list[npt.NDArray[np.int64]] = []
    drew_cfads: list[FloatArray] = []
    drew_index: list[FloatArray] = []
    for b0 in range(start, stop, COMPUTE_PATHS):
        b1 = min(b0 + COMPUTE_PATHS, stop)
        plan = spec.plan
        if set_draws is None:
            draws = draw_normals(spec.seed, b0, b1, plan.n_draws)
        else:
            index = np.arange(b0, b1)
            plan = plan.for_sets(spec.sets, index // spec.paths_per_set)  # type: ignore[arg-type]
            draws = set_draws[:, index % spec.paths_per_set]
        flows = run_paths(plan, draws, standalone=set_draws is not None)
        del draws
        if set_draws is None and flows.pemex_support.any():
            cols = np.flatnonzero(flows.pemex_support)
            drew_at.append(b0 - start + cols)
            drew_cfads.append(flows.field.cfads_usd_bn[:, cols])
            drew_index.append(backstop_index(plan, flows.oil_price_usd_per_bbl[:, cols]))
        for name, values in path_metrics(plan, flows).items():
            metrics[name].append(values)
        kept = min(b1 - b0, k - (b0 - start))
        if kept > 0:
            for name in SERIES:
                _keep_series(series, name, flows[name][:, :kept], b0 - start, (years, k))
        if set_draws is None:  # parameter sets report their metrics only
            # Sums per RNG block (a fixed partition of the paths), so the ledger does not
            # depend on the chunk size either.
            names = _per_path_ledger(plan)
            ledger.append(np.stack([block_sums(flows[n], RNG_BLOCK_PATHS) for n in names]))
            for name, values in sector_metrics(plan, flows).items():
                by_sector[name].append(values)
            fund = flows.fund
            sector_ledger.append(
                np.stack([_sector_block_sums(getattr(fund, n)) for n in SECTOR_FLOWS])
            )
            wf = flows.waterfall
            residual = max(residual, _largest_magnitude(identity_residual(wf)))
            cash = max(cash, _largest_magnitude(wf.cash_usd_bn))
            del wf
        del flows  # before the next block is computed, so its memory is reused
    out = {name: np.concatenate(parts) for name, parts in metrics.items()}
    if drew_at:
        at = np.concatenate(drew_at)
        out["standalone_default"][at] = standalone_default(
            spec.plan, np.concatenate(drew_cfads, axis=1), np.concatenate(drew_index, axis=1)
        )
    return ChunkOutput(
        start=start,
        stop=stop,
        metrics=out,
        sector_metrics={
            name: np.concatenate(parts, axis=1) for name, parts in by_sector.items() if parts
        },
        sector_block_sums=np.concatenate(sector_ledger, axis=3)
        if sector_ledger
        else np.empty((0, 0, 0, 0)),
        ledger_block_sums=np.concatenate(ledger, axis=2) if ledger else np.empty((0, 0, 0)),
        series=series,
        max_abs_residual=residual,
        max_abs_cash=cash,
    )


def simulate_sets(
    scenario: Scenario,
    *,
    values: Mapping[str, Sequence[float] | FloatArray],
    paths_per_set: int,
    seed: int | None = None,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
    progress: Callable[[int, int], Any] | None = None,
    map_fn: MapFn | None = None,
) -> dict[str, FloatArray]:
    """Per-path metrics of many parameter sets in one vectorized run, on common random numbers.

    Set ``s`` is ``scenario`` with each field ``key`` of ``values`` set to ``values[key][s]``.
    All sets are simulated together, as one run of ``n_sets * paths_per_set`` paths whose
    parameters are arrays over the paths; path ``i`` of every set draws the numbers of path
    ``i`` of an ordinary run with the same seed. Set ``s`` therefore gives exactly what
    :func:`simulate` gives for its scenario with ``paths=paths_per_set`` (the metrics of the
    tests agree to rounding), and the difference between two sets is the effect of their
    parameters, not sampling noise. This is the engine under the Sobol analysis.

    Parameters
    ----------
    scenario
        The base scenario.
    values
        Dotted field -> one value per set, shape (n_sets,); float fields the schema lets vary
        (:data:`simulator.scenario.sets.SET_FIELDS`) or float fields of the scenario's sectors
        (``mdf.sectors.<name>.<field>``, a field its kind reads), each value inside the
        field's bounds. When sectors' shares vary, every other sector's share is rescaled in
        each set so that they still sum to 1
        (:func:`simulator.scenario.sets.rescaled_shares`): set ``s`` is the scenario with
        those rescaled shares.
    paths_per_set
        Monte Carlo paths of each set.
    seed
        Seed; default ``scenario.simulation.seed``.
    chunk_paths, progress, map_fn
        As in :func:`simulate`.

    Returns
    -------
    dict
        Metric name (:data:`simulator.outputs.METRICS`) -> array of shape
        (n_sets, paths_per_set).

    Raises
    ------
    InputError
        A field that cannot vary (an unknown sector, a field its kind does not read, an
        integer field), values of unequal length, a value outside its bounds, or shares of
        sectors summing to more than 1 in a set.
    """
    sets = ParameterSets.check(values, scenario)
    _check_correlations(scenario, sets)
    if scenario.fiscal.regimes:
        for key in ("fiscal.royalty_rate", "fiscal.profit_duty_rate"):
            if key in sets.values:
                raise InputError(
                    "parameter sets",
                    key,
                    "got values for a scenario with fiscal.regimes; want the regimes' duties "
                    "or the two flat rates, not both (the scenario is refused the same way)",
                )
    m = int(paths_per_set)
    if m < 1:
        raise InputError("parameter sets", "paths_per_set", f"got {m}; want at least 1")
    seed = _check_seed(scenario.simulation.seed if seed is None else int(seed))
    paths = sets.size * m
    spec = RunSpec(plan=Plan.build(scenario), seed=seed, paths=paths, sets=sets, paths_per_set=m)
    outputs = _run_chunks(spec, chunk_bounds(paths, chunk_paths), 0, progress, map_fn)
    return {
        name: np.concatenate([o.metrics[name] for o in outputs]).reshape(sets.size, m)
        for name in METRICS
    }


def _check_correlations(scenario: Scenario, sets: ParameterSets) -> None:
    """Every set's correlation matrix of the risks is positive semidefinite (InputError
    naming the first set that is not)."""
    names = (
        "risks.price_overrun_correlation",
        "risks.price_reservoir_correlation",
        "risks.overrun_reservoir_correlation",
    )
    if not any(n in sets.values for n in names):
        return
    bad = correlation_problem(*(sets.values.get(n, scenario.value(n)) for n in names))
    if bad is not None:
        i, eigenvalue = bad
        got = [
            float(np.broadcast_to(sets.values.get(n, scenario.value(n)), (sets.size,))[i])
            for n in names
        ]
        raise InputError(
            "parameter sets",
            "risks",
            f"got {got} in set {i}; want {CORRELATION_WANT.format(eigenvalue=eigenvalue)}",
        )


def chunk_bounds(paths: int, chunk_paths: int = DEFAULT_CHUNK_PATHS) -> list[tuple[int, int]]:
    """Path ranges of the chunks of a run."""
    if chunk_paths <= 0 or chunk_paths % RNG_BLOCK_PATHS:
        raise ValueError(f"chunk_paths must be a positive multiple of {RNG_BLOCK_PATHS}")
    return [(s, min(s + chunk_paths, paths)) for s in range(0, paths, chunk_paths)]


MapFn = Callable[..., Iterable[ChunkOutput]]


def _check_seed(seed: int) -> int:
    if not 0 <= seed <= MAX_SEED:
        raise InputError("--seed", "seed", f"got {seed}; want 0 <= seed <= {MAX_SEED}")
    return seed


def simulate(
    scenario: Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
    keep_series: int | bool | None = None,
    progress: Callable[[int, int], Any] | None = None,
    map_fn: MapFn | None = None,
    schedule: DebtSchedule | None = None,
) -> Results:
    """Simulate a scenario over many paths.

    Parameters
    ----------
    scenario
        A validated scenario.
    paths
        Number of paths; default ``scenario.simulation.paths``.
    seed
        Seed; default ``scenario.simulation.seed``.
    chunk_paths
        Paths computed at once (memory vs. overhead); does not change any result.
    keep_series
        Number of paths whose per-year series are kept (True: all, False: none; default: all up
        to :data:`DEFAULT_KEEP_SERIES`). Fans are computed from these paths.
    progress
        Called as ``progress(paths_done, paths_total)`` after each chunk.
    map_fn
        A ``map``-like callable (``executor.map``) to run chunks elsewhere; it must return the
        outputs in the order of its inputs. Default: the built-in ``map``, in this process.
    schedule
        The debt schedule to run instead of the scenario's own: the structure as sized on
        another scenario's expectations (:func:`simulator.model.chain.build_schedule` of it),
        met by this scenario's prices and costs. Default: the scenario's own.

    Returns
    -------
    Results

    Raises
    ------
    InputError
        For fewer than one path or a seed outside ``[0, 2**53 - 1]``.
    """
    paths = scenario.simulation.paths if paths is None else int(paths)
    seed = _check_seed(scenario.simulation.seed if seed is None else int(seed))
    if paths < 1:
        raise InputError("--paths", "paths", f"got {paths}; want at least 1")
    if keep_series is None:
        keep = min(paths, DEFAULT_KEEP_SERIES)
    elif keep_series is True:
        keep = paths
    else:
        keep = min(paths, int(keep_series))
    t0 = time.perf_counter()
    spec = RunSpec.build(scenario, paths=paths, seed=seed, schedule=schedule)
    outputs = _run_chunks(spec, chunk_bounds(paths, chunk_paths), keep, progress, map_fn)
    return assemble(spec, outputs, keep=keep, elapsed_s=time.perf_counter() - t0)


def _run_chunks(
    spec: RunSpec,
    bounds: list[tuple[int, int]],
    keep: int,
    progress: Callable[[int, int], Any] | None,
    map_fn: MapFn | None,
) -> list[ChunkOutput]:
    """Every chunk's output, in order of its first path."""
    mapper = map_fn or map
    outputs: list[ChunkOutput] = []
    done = 0
    for out in mapper(_run_one, _jobs(spec, bounds, keep)):
        outputs.append(out)
        done += out.stop - out.start
        if progress is not None:
            progress(done, spec.paths)
    return sorted(outputs, key=lambda o: o.start)


def _jobs(
    spec: RunSpec, bounds: list[tuple[int, int]], keep: int
) -> Iterator[tuple[RunSpec, int, int, int]]:
    for start, stop in bounds:
        yield spec, start, stop, keep


def _run_one(job: tuple[RunSpec, int, int, int]) -> ChunkOutput:
    spec, start, stop, keep = job
    return simulate_chunk(spec, start, stop, keep)


def assemble(spec: RunSpec, outputs: list[ChunkOutput], *, keep: int, elapsed_s: float) -> Results:
    """Combine chunk outputs (any order) into :class:`Results`."""
    outputs = sorted(outputs, key=lambda o: o.start)
    plan = spec.plan
    metrics = {name: np.concatenate([o.metrics[name] for o in outputs]) for name in METRICS}
    block_sums = np.concatenate([o.ledger_block_sums for o in outputs], axis=2)
    means = block_sums.sum(axis=2) / spec.paths
    ledger = {**plan.flows(), **dict(zip(_per_path_ledger(plan), means, strict=True))}
    series: dict[str, FloatArray] = {}
    if keep:
        kept = [o.series for o in outputs if o.series]
        for name in SERIES:
            parts = [s[name] for s in kept]
            if len(parts) == 1:
                series[name] = parts[0]
            elif all(is_idle(part) for part in parts):
                series[name] = np.broadcast_to(0.0, (parts[0].shape[0], keep))
            else:
                series[name] = np.concatenate(parts, axis=1)
    sector_means = np.concatenate([o.sector_block_sums for o in outputs], axis=3)
    sectors = {
        name: np.concatenate([o.sector_metrics[name] for o in outputs], axis=1)
        for name in SECTOR_METRICS
    }
    # Relative to the largest cash of the whole run, so it does not depend on the chunking.
    scale = max(1.0, max(o.max_abs_cash for o in outputs))
    residual = max(o.max_abs_residual for o in outputs) / scale
    return Results.from_arrays(
        scenario=spec.scenario,
        seed=spec.seed,
        paths=spec.paths,
        metrics=metrics,
        series=series,
        ledger={name: ledger[name] for name in LEDGER},
        identity_residual=residual,
        sector_metrics=sectors,
        sector_ledger=dict(zip(SECTOR_FLOWS, sector_means.sum(axis=3) / spec.paths, strict=True)),
        timings={"simulate_s": elapsed_s},
        extra_manifest={
            "version": __version__,
            "rng_block_paths": RNG_BLOCK_PATHS,
            "series_paths": keep,
            "chunks": len(outputs),
            "draws_per_path": plan.n_draws,
            "chunk_paths_max": max(o.stop - o.start for o in outputs),
            "paths_per_second": spec.paths / elapsed_s if elapsed_s > 0 else math.inf,
            "sculpted_dscr": [
                None if not math.isfinite(d) else float(d) for d in plan.schedule.sculpted_dscr
            ],
        },
        warnings=plan.warnings(),
    )
