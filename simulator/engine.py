"""``simulate()``: random streams, chunking, and the model chain over every path.

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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import __version__
from .financing import DebtSchedule, debt_schedule
from .fund import run_fund
from .metrics import discount_factors, dscr_series, irr, min_dscr
from .prices import n_price_shocks, price_paths
from .production import (
    capacity_kbd,
    field_cash_flows,
    lognormal_factor,
    oil_mmbbl_total,
    production_kbd,
)
from .results import LEDGER_COLUMNS, SERIES, Results
from .scenario import MAX_SEED, Scenario, ScenarioError
from .waterfall import identity_residual, run_waterfall

__all__ = [
    "DEFAULT_CHUNK_PATHS",
    "DEFAULT_KEEP_SERIES",
    "RNG_BLOCK_PATHS",
    "ChunkOutput",
    "Plan",
    "chunk_bounds",
    "draw_normals",
    "simulate",
    "simulate_chunk",
    "tune_allocator",
]

#: Paths per random stream. Changing it changes every result; it is part of the method.
RNG_BLOCK_PATHS = 1024
#: Paths computed at once (a multiple of RNG_BLOCK_PATHS; any such value gives the same results).
DEFAULT_CHUNK_PATHS = 32 * RNG_BLOCK_PATHS
#: Per-year series are kept for at most this many paths unless asked otherwise.
DEFAULT_KEEP_SERIES = 20_000
#: A shortfall smaller than this [USD bn] (one thousand dollars) is rounding, not distress.
SHORTFALL_EPS_USD_BN = 1e-6


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
class Plan:
    """Everything deterministic about a run, computed once and shared by its chunks."""

    scenario: Scenario
    seed: int
    paths: int
    schedule: DebtSchedule
    base_kbd: np.ndarray
    discount: np.ndarray
    n_draws: int

    @classmethod
    def build(cls, scenario: Scenario, *, paths: int, seed: int) -> Plan:
        """Debt schedule, production at median factors, discount factors, draw count."""
        years = scenario.horizon.years
        sched = debt_schedule(scenario.naef, years=years)
        return cls(
            scenario=scenario,
            seed=seed,
            paths=paths,
            schedule=sched,
            base_kbd=capacity_kbd(sched.capex_usd_bn, scenario.pemex),
            discount=discount_factors(scenario.reporting.discount_rate, years),
            n_draws=2 + n_price_shocks(scenario.oil_price, years),
        )


@dataclass
class ChunkOutput:
    """What one chunk of paths reduces to."""

    start: int
    stop: int
    metrics: dict[str, np.ndarray]
    ledger_block_sums: np.ndarray  # (ledger columns, years, blocks)
    series: dict[str, np.ndarray] = field(default_factory=dict)
    max_residual: float = 0.0


def draw_normals(seed: int, start: int, stop: int, n_draws: int) -> np.ndarray:
    """Standard normals of paths ``start .. stop-1``, shape (n_draws, stop - start).

    ``start`` must be a multiple of :data:`RNG_BLOCK_PATHS`. Row ``i`` of a block's stream is
    path ``block * RNG_BLOCK_PATHS + i``, whatever ``stop`` is.
    """
    if start % RNG_BLOCK_PATHS:
        raise ValueError(f"chunk start {start} is not a multiple of {RNG_BLOCK_PATHS}")
    out = np.empty((stop - start, n_draws))
    for b0 in range(start, stop, RNG_BLOCK_PATHS):
        b1 = min(b0 + RNG_BLOCK_PATHS, stop)
        rng = np.random.default_rng(
            np.random.SeedSequence(seed, spawn_key=(b0 // RNG_BLOCK_PATHS,))
        )
        rng.standard_normal(out=out[b0 - start : b1 - start])
    return np.ascontiguousarray(out.T)


def simulate_chunk(plan: Plan, start: int, stop: int, keep_series: int = 0) -> ChunkOutput:
    """Run the model chain on paths ``start .. stop-1`` and reduce it.

    Parameters
    ----------
    plan
        The run's deterministic part.
    start, stop
        Path range; ``start`` a multiple of :data:`RNG_BLOCK_PATHS`.
    keep_series
        Paths with index below this keep their per-year series.
    """
    tune_allocator()
    sc = plan.scenario
    years = sc.horizon.years
    sched = plan.schedule
    z = draw_normals(plan.seed, start, stop, plan.n_draws)
    overrun = lognormal_factor(z[0], sc.pemex.capex_overrun_sd)
    reservoir = lognormal_factor(z[1], sc.pemex.reservoir_factor_sd)
    price = price_paths(sc.oil_price, years=years, shocks=z[2:])
    del z
    factor = reservoir / overrun
    cash = field_cash_flows(
        plan.base_kbd, factor, price, oil_price=sc.oil_price, pemex=sc.pemex, fiscal=sc.fiscal
    )
    cfads = cash["cfads_usd_bn"]
    wf = run_waterfall(
        cfads, sched.service_usd_bn, coupon_rate=sc.naef.coupon_rate, waterfall=sc.waterfall
    )
    fund = run_fund(wf.mdf_inflow, sc.mdf)
    residual = identity_residual(wf)

    c = sc.naef.coupon_rate
    short = wf.shortfall
    in_short = short > SHORTFALL_EPS_USD_BN
    distress = in_short.any(axis=0)
    first = np.where(distress, sc.horizon.start_year + in_short.argmax(axis=0), np.nan)
    carried = np.vstack([np.zeros((1, short.shape[1])), short[:-1] * (1.0 + c)])
    new_short = np.maximum(short - carried, 0.0).sum(axis=0)
    metrics = {
        "mdf_inflow_total_usd_bn": wf.mdf_inflow.sum(axis=0),
        "mdf_inflow_pv_usd_bn": plan.discount @ wf.mdf_inflow,
        "infrastructure_investment_total_usd_bn": fund.investment_usd_bn.sum(axis=0),
        "infrastructure_capital_final_usd_bn": fund.capital_usd_bn[-1].copy(),
        "gdp_uplift_final_pct": 100.0 * fund.gdp_uplift_usd_bn[-1] / fund.gdp_usd_bn[-1],
        "gdp_uplift_pv_usd_bn": plan.discount @ fund.gdp_uplift_usd_bn,
        "min_dscr": min_dscr(cfads, sched.service_usd_bn),
        "min_dscr_operating": min_dscr(cfads, sched.service_usd_bn, plan.base_kbd > 0),
        "distress": distress,
        "first_shortfall_year": first,
        "shortfall_total_usd_bn": new_short,
        "backstop_draw_total_usd_bn": wf.backstop_draw.sum(axis=0),
        "project_irr": irr(cfads - sched.capex_usd_bn[:, None]),
        "us_supply_total_mmbbl": sc.pemex.us_export_share
        * oil_mmbbl_total(plan.base_kbd, factor, sc.pemex),
        "debt_outstanding_at_horizon_usd_bn": sched.outstanding_at_horizon_usd_bn + short[-1],
    }

    series: dict[str, np.ndarray] = {}
    if keep_series > start:
        k = min(stop, keep_series) - start
        by_name: dict[str, np.ndarray] = {
            "oil_price_usd_per_bbl": price,
            "production_kbd": production_kbd(
                plan.base_kbd, reservoir=reservoir[:k], overrun=overrun[:k]
            ),
            "revenue_usd_bn": cash["revenue_usd_bn"],
            "opex_usd_bn": cash["opex_usd_bn"],
            "government_take_usd_bn": cash["government_take_usd_bn"],
            "cfads_usd_bn": cfads,
            "debt_service_due_usd_bn": wf.due,
            "debt_service_paid_usd_bn": wf.debt_service_paid,
            "dscr": dscr_series(cfads[:, :k], sched.service_usd_bn),
            "dsra_balance_usd_bn": wf.dsra_balance,
            "shortfall_usd_bn": short,
            "backstop_draw_usd_bn": wf.backstop_draw,
            "mdf_inflow_usd_bn": wf.mdf_inflow,
            "mdf_balance_usd_bn": fund.balance_usd_bn,
            "infrastructure_investment_usd_bn": fund.investment_usd_bn,
            "infrastructure_capital_usd_bn": fund.capital_usd_bn,
            "gdp_uplift_usd_bn": fund.gdp_uplift_usd_bn,
        }
        series = {name: np.ascontiguousarray(by_name[name][:, :k]) for name in SERIES}
    flows = wf.as_dict()
    ledger_src = {
        "revenue_usd_bn": cash["revenue_usd_bn"],
        "opex_usd_bn": cash["opex_usd_bn"],
        "government_take_usd_bn": cash["government_take_usd_bn"],
        "cfads_usd_bn": cfads,
        "reserve_income_usd_bn": flows["reserve_income"],
        "cash_usd_bn": flows["cash"],
        "dsra_draw_usd_bn": flows["dsra_draw"],
        "dsra_release_usd_bn": flows["dsra_release"],
        "backstop_draw_usd_bn": flows["backstop_draw"],
        "debt_service_due_usd_bn": flows["due"],
        "debt_service_paid_usd_bn": flows["debt_service_paid"],
        "shortfall_usd_bn": flows["shortfall"],
        "dsra_topup_usd_bn": flows["dsra_topup"],
        "backstop_repaid_usd_bn": flows["backstop_repaid"],
        "mdf_inflow_usd_bn": flows["mdf_inflow"],
        "pemex_retained_usd_bn": flows["pemex_retained"],
    }
    # Sums per RNG block (fixed partition of the paths), so the ledger does not depend on the
    # chunk size either.
    edges = np.arange(0, stop - start, RNG_BLOCK_PATHS)
    ledger = np.stack(
        [
            np.add.reduceat(ledger_src[name], edges, axis=1)
            for name in LEDGER_COLUMNS
            if name in ledger_src
        ]
    )
    scale = max(1.0, float(np.abs(flows["cash"]).max(initial=0.0)))
    return ChunkOutput(
        start=start,
        stop=stop,
        metrics=metrics,
        ledger_block_sums=ledger,
        series=series,
        max_residual=float(np.abs(residual).max(initial=0.0)) / scale,
    )


def chunk_bounds(paths: int, chunk_paths: int = DEFAULT_CHUNK_PATHS) -> list[tuple[int, int]]:
    """Path ranges of the chunks of a run."""
    if chunk_paths <= 0 or chunk_paths % RNG_BLOCK_PATHS:
        raise ValueError(f"chunk_paths must be a positive multiple of {RNG_BLOCK_PATHS}")
    return [(s, min(s + chunk_paths, paths)) for s in range(0, paths, chunk_paths)]


MapFn = Callable[..., Iterable[ChunkOutput]]


def simulate(
    scenario: Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
    keep_series: int | bool | None = None,
    progress: Callable[[int, int], Any] | None = None,
    map_fn: MapFn | None = None,
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

    Returns
    -------
    Results
    """
    paths = scenario.simulation.paths if paths is None else int(paths)
    seed = scenario.simulation.seed if seed is None else int(seed)
    if paths < 1:
        raise ScenarioError("--paths", "paths", f"got {paths}; want at least 1")
    if not 0 <= seed <= MAX_SEED:
        raise ScenarioError("--seed", "seed", f"got {seed}; want 0 <= seed <= {MAX_SEED}")
    if keep_series is None:
        keep = min(paths, DEFAULT_KEEP_SERIES)
    elif keep_series is True:
        keep = paths
    else:
        keep = min(paths, int(keep_series))
    t0 = time.perf_counter()
    plan = Plan.build(scenario, paths=paths, seed=seed)
    bounds = chunk_bounds(paths, chunk_paths)
    mapper = map_fn or map
    outputs: list[ChunkOutput] = []
    done = 0
    for out in mapper(_run_one, _jobs(plan, bounds, keep)):
        outputs.append(out)
        done += out.stop - out.start
        if progress is not None:
            progress(done, paths)
    elapsed = time.perf_counter() - t0
    return assemble(plan, outputs, keep=keep, elapsed_s=elapsed)


def _jobs(
    plan: Plan, bounds: list[tuple[int, int]], keep: int
) -> Iterator[tuple[Plan, int, int, int]]:
    for start, stop in bounds:
        yield plan, start, stop, keep


def _run_one(job: tuple[Plan, int, int, int]) -> ChunkOutput:
    plan, start, stop, keep = job
    return simulate_chunk(plan, start, stop, keep)


def assemble(plan: Plan, outputs: list[ChunkOutput], *, keep: int, elapsed_s: float) -> Results:
    """Combine chunk outputs (any order) into :class:`Results`."""
    outputs = sorted(outputs, key=lambda o: o.start)
    sc = plan.scenario
    metrics = {
        name: np.concatenate([o.metrics[name] for o in outputs]) for name in outputs[0].metrics
    }
    block_sums = np.concatenate([o.ledger_block_sums for o in outputs], axis=2)
    ledger_mean = block_sums.sum(axis=2) / plan.paths
    series = {}
    if keep:
        series = {
            name: np.concatenate([o.series[name] for o in outputs if o.series], axis=1)
            for name in SERIES
        }
    residual = max(o.max_residual for o in outputs)
    return Results.from_arrays(
        scenario=sc,
        seed=plan.seed,
        paths=plan.paths,
        metrics=metrics,
        series=series,
        ledger_mean=ledger_mean,
        capex_usd_bn=plan.schedule.capex_usd_bn,
        scheduled_service_usd_bn=plan.schedule.service_usd_bn,
        identity_residual=residual,
        timings={"simulate_s": elapsed_s},
        extra_manifest={
            "version": __version__,
            "rng_block_paths": RNG_BLOCK_PATHS,
            "series_paths": keep,
            "chunks": len(outputs),
            "draws_per_path": plan.n_draws,
            "chunk_paths_max": max(o.stop - o.start for o in outputs),
            "paths_per_second": plan.paths / elapsed_s if elapsed_s > 0 else math.inf,
        },
    )
