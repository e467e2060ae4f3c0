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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .. import __version__
from ..model.financing import DebtSchedule, debt_schedule
from ..model.fund import run_fund
from ..model.metrics import discount_factors, dscr_series, irr, min_dscr
from ..model.prices import n_price_shocks, price_paths
from ..model.production import (
    capacity_kbd,
    field_cash_flows,
    lognormal_factor,
    oil_mmbbl_total,
    production_kbd,
)
from ..model.waterfall import identity_residual, run_waterfall
from ..scenario import MAX_SEED, SECTIONS, FieldSpec, Scenario, ScenarioError, field_specs
from .results import LEDGER_COLUMNS, SERIES, Results

__all__ = [
    "DEFAULT_CHUNK_PATHS",
    "DEFAULT_KEEP_SERIES",
    "PLAN_FIELDS",
    "RNG_BLOCK_PATHS",
    "SET_FIELDS",
    "ChunkOutput",
    "Plan",
    "chunk_bounds",
    "draw_normals",
    "simulate",
    "simulate_chunk",
    "simulate_sets",
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
    """Everything deterministic about a run, computed once and shared by its chunks.

    A run over many parameter sets (:func:`simulate_sets`) also carries ``sets``: dotted field
    -> one value per set, shape (n_sets,), and ``paths_per_set``; path ``p`` then belongs to
    set ``p // paths_per_set`` and draws the numbers of path ``p % paths_per_set``.
    """

    scenario: Scenario
    seed: int
    paths: int
    schedule: DebtSchedule
    base_kbd: np.ndarray
    discount: np.ndarray
    n_draws: int
    sets: Mapping[str, np.ndarray] = field(default_factory=dict)
    paths_per_set: int = 0

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
    max_abs_residual: float = 0.0  # largest |sources - uses| of a year and path [USD bn]
    max_abs_cash: float = 0.0  # largest |cash| of a year and path [USD bn]


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
    base_kbd, discount = plan.base_kbd, plan.discount
    if plan.sets:
        sc, sched, base_kbd, discount = _set_inputs(plan, start, stop)
        m = plan.paths_per_set
        z = draw_normals(plan.seed, 0, m, plan.n_draws)[:, np.arange(start, stop) % m]
    else:
        z = draw_normals(plan.seed, start, stop, plan.n_draws)
    overrun = lognormal_factor(z[0], sc.pemex.capex_overrun_sd)
    reservoir = lognormal_factor(z[1], sc.pemex.reservoir_factor_sd)
    price = price_paths(sc.oil_price, years=years, shocks=z[2:])
    del z
    factor = reservoir / overrun
    cash = field_cash_flows(
        base_kbd, factor, price, oil_price=sc.oil_price, pemex=sc.pemex, fiscal=sc.fiscal
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
        "mdf_inflow_pv_usd_bn": _present_value(discount, wf.mdf_inflow),
        "infrastructure_investment_total_usd_bn": fund.investment_usd_bn.sum(axis=0),
        "infrastructure_capital_final_usd_bn": fund.capital_usd_bn[-1].copy(),
        "gdp_uplift_final_pct": 100.0 * fund.gdp_uplift_usd_bn[-1] / fund.gdp_usd_bn[-1],
        "gdp_uplift_pv_usd_bn": _present_value(discount, fund.gdp_uplift_usd_bn),
        "min_dscr": min_dscr(cfads, sched.service_usd_bn),
        "min_dscr_operating": min_dscr(cfads, sched.service_usd_bn, base_kbd > 0),
        "distress": distress,
        "first_shortfall_year": first,
        "shortfall_total_usd_bn": new_short,
        "backstop_draw_total_usd_bn": wf.backstop_draw.sum(axis=0),
        "project_irr": irr(cfads - sched.capex_usd_bn.reshape(years, -1)),
        "us_supply_total_mmbbl": sc.pemex.us_export_share
        * oil_mmbbl_total(base_kbd, factor, sc.pemex),
        "debt_outstanding_at_horizon_usd_bn": sched.outstanding_at_horizon_usd_bn + short[-1],
    }

    series: dict[str, np.ndarray] = {}
    if keep_series > start:
        k = min(stop, keep_series) - start
        by_name: dict[str, np.ndarray] = {
            "oil_price_usd_per_bbl": price,
            "production_kbd": production_kbd(
                base_kbd[:, :k] if base_kbd.ndim == 2 else base_kbd,
                reservoir=reservoir[:k],
                overrun=overrun[:k],
            ),
            "revenue_usd_bn": cash["revenue_usd_bn"],
            "opex_usd_bn": cash["opex_usd_bn"],
            "government_take_usd_bn": cash["government_take_usd_bn"],
            "cfads_usd_bn": cfads,
            "debt_service_due_usd_bn": wf.due,
            "debt_service_paid_usd_bn": wf.debt_service_paid,
            "dscr": dscr_series(
                cfads[:, :k],
                sched.service_usd_bn[:, :k]
                if sched.service_usd_bn.ndim == 2
                else sched.service_usd_bn,
            ),
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
    return ChunkOutput(
        start=start,
        stop=stop,
        metrics=metrics,
        ledger_block_sums=ledger,
        series=series,
        max_abs_residual=float(np.abs(residual).max(initial=0.0)),
        max_abs_cash=float(np.abs(flows["cash"]).max(initial=0.0)),
    )


def _present_value(discount: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``sum_t discount[t] values[t]`` per path; ``discount`` (years,) or (years, paths).

    Elementwise products summed over the years, year after year, for every path alike: a
    matrix product would leave the order of the sum to BLAS, which may change it with the
    number of paths, and the result would then depend on the chunk size.
    """
    return np.multiply(values, discount.reshape(values.shape[0], -1)).sum(axis=0)


def _section_updates(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    by_section: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        section, name = key.split(".")
        by_section.setdefault(section, {})[name] = value
    return by_section


def _with_values(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """``scenario`` with float fields replaced, unvalidated (values checked by the caller).

    A value may be an array of one value per path: the model functions broadcast over it.
    """
    update = {
        section: getattr(scenario, section).model_copy(update=fields)
        for section, fields in _section_updates(values).items()
    }
    return scenario.model_copy(update=update)


def _set_inputs(
    plan: Plan, start: int, stop: int
) -> tuple[Scenario, DebtSchedule, np.ndarray, np.ndarray]:
    """The scenario (fields as per-path arrays), schedule, production and discount of a chunk.

    Fields of :data:`PLAN_FIELDS` change the deterministic part of the run (the debt schedule,
    the capacity bought, the discount factors): it is computed once per parameter set present
    in the chunk and spread to the set's paths, giving (years, paths) arrays.
    """
    m = plan.paths_per_set
    set_of = np.arange(start, stop) // m
    first = int(set_of[0])
    local = set_of - first
    n_sets = int(set_of[-1]) - first + 1
    values = {key: v[first : first + n_sets] for key, v in plan.sets.items()}
    sc = _with_values(plan.scenario, {key: v[local] for key, v in values.items()})
    plan_keys = [key for key in values if key in PLAN_FIELDS]
    if not plan_keys:
        return sc, plan.schedule, plan.base_kbd, plan.discount
    years = plan.scenario.horizon.years
    parts: dict[str, list[Any]] = {name: [] for name in _SCHEDULE_ARRAYS}
    parts.update(base_kbd=[], discount=[], outstanding=[])
    for j in range(n_sets):
        one = _with_values(plan.scenario, {key: float(values[key][j]) for key in plan_keys})
        sched = debt_schedule(one.naef, years=years)
        for name in _SCHEDULE_ARRAYS:
            parts[name].append(getattr(sched, name))
        parts["outstanding"].append(sched.outstanding_at_horizon_usd_bn)
        parts["base_kbd"].append(capacity_kbd(sched.capex_usd_bn, one.pemex))
        parts["discount"].append(discount_factors(one.reporting.discount_rate, years))

    def spread(name: str) -> np.ndarray:
        return np.stack(parts[name], axis=-1)[..., local]

    schedule = DebtSchedule(
        **{name: spread(name) for name in _SCHEDULE_ARRAYS},
        outstanding_at_horizon_usd_bn=spread("outstanding"),
    )
    return sc, schedule, spread("base_kbd"), spread("discount")


_SCHEDULE_ARRAYS = (
    "issuance_usd_bn",
    "capex_usd_bn",
    "interest_usd_bn",
    "principal_usd_bn",
    "service_usd_bn",
    "balance_end_usd_bn",
)

#: Fields that may differ between the parameter sets of :func:`simulate_sets`: every float
#: field of the model sections. Integer fields (tenor, grace, lag, ramp, plateau, bootstrap
#: block, horizon) change the shape of the arrays or the draws and are left out, as are the
#: ``horizon`` and ``simulation`` sections (the Monte Carlo set-up, not an assumption).
SET_FIELDS: frozenset[str] = frozenset(
    s.key for s in field_specs() if s.kind == "float" and s.section not in ("horizon", "simulation")
)

#: The set fields that change the deterministic part of a run (debt schedule, capacity bought
#: by the capex, discount factors), computed per parameter set.
PLAN_FIELDS: frozenset[str] = frozenset(
    key
    for key in SET_FIELDS
    if key.startswith(("naef.", "reporting."))
    or key in ("pemex.capex_usd_per_flowing_bpd", "pemex.decline_rate", "pemex.decline_b")
)


def _bounds_text(spec: FieldSpec) -> str:
    parts = [
        f"{op} {bound:g}"
        for op, bound in ((">=", spec.ge), (">", spec.gt), ("<=", spec.le), ("<", spec.lt))
        if bound is not None
    ]
    return " and ".join(parts) if parts else "(no bounds)"


def _check_sets(values: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], int]:
    """Parameter values as float arrays of equal length, inside their fields' bounds."""
    specs = {s.key: s for s in field_specs()}
    out: dict[str, np.ndarray] = {}
    n_sets = -1
    for key, raw in values.items():
        if key not in SET_FIELDS:
            want = "a float field of a model section (" + ", ".join(sorted(SECTIONS)) + ")"
            raise ScenarioError(
                "parameter sets", str(key), f"cannot differ between sets; want {want}"
            )
        try:
            arr = np.asarray(raw, dtype=float)
        except (TypeError, ValueError):
            raise ScenarioError(
                "parameter sets", key, f"got {raw!r}; want numbers, one per set"
            ) from None
        if arr.ndim != 1 or arr.size == 0:
            raise ScenarioError(
                "parameter sets", key, f"got shape {arr.shape}; want one value per set"
            )
        if n_sets >= 0 and arr.size != n_sets:
            raise ScenarioError(
                "parameter sets", key, f"got {arr.size} values; want {n_sets} like the others"
            )
        n_sets = arr.size
        spec = specs[key]
        bad = ~np.isfinite(arr)
        for bound, outside in (
            (spec.ge, np.less),
            (spec.gt, np.less_equal),
            (spec.le, np.greater),
            (spec.lt, np.greater_equal),
        ):
            if bound is not None:
                bad |= outside(arr, bound)
        if bad.any():
            i = int(np.argmax(bad))
            raise ScenarioError(
                "parameter sets",
                key,
                f"got {float(arr[i])!r} in set {i}; want a finite value {_bounds_text(spec)}",
            )
        out[key] = arr
    if not out:
        raise ScenarioError("parameter sets", "", "got no parameters; want at least one")
    return out, n_sets


def simulate_sets(
    scenario: Scenario,
    *,
    values: Mapping[str, Sequence[float] | np.ndarray],
    paths_per_set: int,
    seed: int | None = None,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
    progress: Callable[[int, int], Any] | None = None,
    map_fn: MapFn | None = None,
) -> dict[str, np.ndarray]:
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
        Dotted field -> one value per set, shape (n_sets,); fields of :data:`SET_FIELDS`, each
        value inside the field's bounds.
    paths_per_set
        Monte Carlo paths of each set.
    seed
        Seed; default ``scenario.simulation.seed``.
    chunk_paths, progress, map_fn
        As in :func:`simulate`.

    Returns
    -------
    dict
        Metric name (:data:`simulator.metrics.METRICS`) -> array of shape
        (n_sets, paths_per_set).

    Raises
    ------
    ScenarioError
        A field that cannot vary, values of unequal length, or a value outside its bounds.
    """
    sets, n_sets = _check_sets(values)
    m = int(paths_per_set)
    if m < 1:
        raise ScenarioError("parameter sets", "paths_per_set", f"got {m}; want at least 1")
    seed = scenario.simulation.seed if seed is None else int(seed)
    if not 0 <= seed <= MAX_SEED:
        raise ScenarioError("--seed", "seed", f"got {seed}; want 0 <= seed <= {MAX_SEED}")
    paths = n_sets * m
    plan = replace(Plan.build(scenario, paths=paths, seed=seed), sets=sets, paths_per_set=m)
    mapper = map_fn or map
    outputs: list[ChunkOutput] = []
    done = 0
    for out in mapper(_run_one, _jobs(plan, chunk_bounds(paths, chunk_paths), 0)):
        outputs.append(out)
        done += out.stop - out.start
        if progress is not None:
            progress(done, paths)
    outputs.sort(key=lambda o: o.start)
    return {
        name: np.concatenate([o.metrics[name] for o in outputs]).reshape(n_sets, m)
        for name in outputs[0].metrics
    }


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
    # Relative to the largest cash of the whole run, so it does not depend on the chunking.
    scale = max(1.0, max(o.max_abs_cash for o in outputs))
    residual = max(o.max_abs_residual for o in outputs) / scale
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
