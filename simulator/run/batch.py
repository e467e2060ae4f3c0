"""Batch runs: many scenarios, on this process, a local process pool or a Dask cluster.

Each scenario is a job. A job of at most one chunk runs whole in a worker, which writes its run
folder and returns its summary; a larger job is split into path chunks that spread over the
workers, and this process assembles them and writes the folder. Because a path's random numbers
depend only on the seed and its index (see :mod:`simulator.run.engine`), the results are identical
to the bit on 1 worker, N workers or a cluster, and equal to :func:`simulator.simulate` (and
``naef run``) of the same scenario and seed.

Nothing half-written is taken for complete: run folders are renamed into place when complete,
and ``catalog.parquet`` is written to a temporary file and renamed; a batch removes the catalog
of an earlier batch when it starts, so a batch killed before its end leaves none, and removes the
temporaries a killed batch or a lost worker left behind. With ``resume=True`` a job whose folder
is complete, for the same inputs, paths and seed, is not run again. An output folder that cannot
be written is reported before anything runs; a run folder that cannot be written (a full disk)
fails its job only.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from ..scenario import InputError, Scenario
from .engine import (
    DEFAULT_CHUNK_PATHS,
    DEFAULT_KEEP_SERIES,
    ChunkOutput,
    RunSpec,
    assemble,
    chunk_bounds,
    simulate,
    simulate_chunk,
)
from .results import (
    Results,
    atomic_file,
    is_complete_run,
    os_error_text,
    prepare_output_folder,
    remove_leftovers,
)
from .sweep import Job

__all__ = ["Progress", "read_catalog", "run_batch"]

CATALOG = "catalog.parquet"


@dataclass(frozen=True)
class Progress:
    """State of a batch, passed to the progress callback after each finished task."""

    paths_done: int
    paths_total: int
    jobs_done: int
    jobs_total: int
    failed: int


# ---------------------------------------------------------------------- tasks (run in workers)


class _CannotWrite(Exception):
    """A run folder could not be written; the message names it and says why."""


def _cannot_write(target: str | os.PathLike[str], exc: OSError) -> str:
    return f"cannot write {target}: {os_error_text(exc)}"


def _run_whole(scenario: Scenario, paths: int, seed: int, target: str) -> dict[str, Any]:
    """Simulate a whole scenario and write its run folder; return what the catalog needs."""
    with _one_blas_thread():
        results = simulate(scenario, paths=paths, seed=seed)
        try:
            results.to_dir(target)
        except OSError as exc:
            raise _CannotWrite(_cannot_write(target, exc)) from None
        return _row_figures(results)


def _run_chunk(spec: RunSpec, start: int, stop: int, keep: int) -> ChunkOutput:
    with _one_blas_thread():
        return simulate_chunk(spec, start, stop, keep)


def _one_blas_thread() -> Any:
    """Limit BLAS to one thread in a task: the batch runs one task per core already, and
    BLAS threads on top of that only fight over the cores (about 15% slower on two)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _row_figures(results: Results) -> dict[str, Any]:
    return {
        **results.headline(),
        "simulate_s": results.manifest["timings"].get("simulate_s"),
        "identity_max_residual": results.manifest.get("identity_max_residual"),
    }


# ---------------------------------------------------------------------- runners


class _Runner(Protocol):
    def submit(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    def as_completed(self, futures: Sequence[Any]) -> Iterator[Any]: ...

    def close(self) -> None: ...


class _Inline:
    """Runs tasks in this process, one at a time, as their results are asked for."""

    def __init__(self) -> None:
        self.tasks: dict[Future[Any], tuple[Callable[..., Any], tuple[Any, ...]]] = {}

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        self.tasks[fut] = (fn, args)
        return fut

    def as_completed(self, futures: Sequence[Future[Any]]) -> Iterator[Future[Any]]:
        for fut in futures:
            fn, args = self.tasks.pop(fut)
            try:
                fut.set_result(fn(*args))
            except Exception as exc:
                fut.set_exception(exc)
            yield fut

    def close(self) -> None:
        pass


def _start_method() -> str:
    """How to start worker processes.

    ``fork`` where it is safe (Linux, no other threads in this process): the workers start at
    once with the library already imported. Otherwise ``forkserver`` (preloaded with the
    library) or ``spawn``, which pay a second or so of imports per pool.
    """
    import multiprocessing as mp
    import threading

    methods = mp.get_all_start_methods()
    if sys.platform.startswith("linux") and threading.active_count() == 1 and "fork" in methods:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


class _Pool:
    """A local process pool."""

    def __init__(self, workers: int) -> None:
        import multiprocessing as mp

        method = _start_method()
        ctx = mp.get_context(method)
        if method == "forkserver":
            ctx.set_forkserver_preload(["simulator.run.batch", "pyarrow.parquet"])
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        return self.pool.submit(fn, *args)

    def as_completed(self, futures: Sequence[Future[Any]]) -> Iterator[Future[Any]]:
        return as_completed(futures)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """A Dask cluster: an existing scheduler, or a LocalCluster on 127.0.0.1."""

    def __init__(self, *, scheduler: str | None, workers: int) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is a declared dependency
            raise InputError(
                "--scheduler",
                "dask",
                "dask.distributed is not installed; want pip install 'dask[distributed]'",
            ) from None
        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise InputError("--scheduler", scheduler, f"cannot connect: {exc}") from None
        else:
            import dask

            with dask.config.set({"distributed.worker.multiprocessing-method": _start_method()}):
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            self.client = Client(self.cluster)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def as_completed(self, futures: Sequence[Any]) -> Iterator[Any]:
        from dask.distributed import as_completed as dask_as_completed

        return iter(dask_as_completed(list(futures)))

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _runner(workers: int, scheduler: str | None, dask_local: bool) -> _Runner:
    if scheduler or dask_local:
        return _Dask(scheduler=scheduler, workers=workers)
    if workers <= 1:
        return _Inline()
    return _Pool(workers)


# ---------------------------------------------------------------------- the batch


def _done_before(target: Path, scenario: Scenario, paths: int, seed: int) -> dict[str, Any] | None:
    """The catalog figures of a complete run of the same inputs, or None."""
    if not is_complete_run(target):
        return None
    try:
        manifest = json.loads((target / "manifest.json").read_text())
        summary = json.loads((target / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    same = (
        manifest.get("input_hash") == scenario.content_hash()
        and manifest.get("paths") == paths
        and manifest.get("seed") == seed
    )
    if not same:
        return None
    return {
        **summary.get("headline", {}),
        "simulate_s": manifest.get("timings", {}).get("simulate_s"),
        "identity_max_residual": manifest.get("identity_max_residual"),
    }


def _cell(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    return json.dumps(value)


def _remove_leftovers(out_dir: Path, names: Iterable[str]) -> None:
    """Remove the temporaries of these jobs and of the catalog from ``out_dir``.

    A batch killed while writing, or a worker lost while writing, leaves a hidden temporary
    folder (or catalog file) behind (see :func:`simulator.run.results.remove_leftovers`). Called
    before a batch starts and after its last task, when no task of the batch is writing them.
    """
    remove_leftovers(out_dir, [*names, CATALOG.removesuffix(".parquet")])


def _clear_earlier(out_dir: Path, names: Iterable[str]) -> None:
    """Remove what an earlier batch left: its catalog, which would describe run folders this
    batch replaces (a batch in progress, or killed, has no catalog), and its temporaries."""
    try:
        (out_dir / CATALOG).unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(
            str(out_dir), CATALOG, f"cannot remove the earlier catalog: {os_error_text(exc)}"
        ) from None
    _remove_leftovers(out_dir, names)


def _write_catalog(rows: list[dict[str, Any]], out: Path) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in frame.columns:
        if frame[col].dtype == object and col not in (
            "name",
            "status",
            "error",
            "source",
            "run_dir",
            "input_hash",
        ):
            values = frame[col].dropna()
            if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                frame[col] = frame[col].map(lambda v: None if v is None else str(v))
    try:
        with atomic_file(out / CATALOG) as tmp:
            frame.to_parquet(tmp, index=False)
    except OSError as exc:
        raise InputError(str(out), CATALOG, f"cannot write: {os_error_text(exc)}") from None
    return frame


def run_batch(
    jobs: Sequence[Job],
    *,
    out: str | os.PathLike[str],
    paths: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: bool = False,
    resume: bool = False,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
    progress: Callable[[Progress], Any] | None = None,
) -> pd.DataFrame:
    """Run jobs and write one run folder per job plus ``catalog.parquet``.

    Parameters
    ----------
    jobs
        From :func:`simulator.run.sweep.collect_jobs` or :func:`simulator.run.sweep.expand_sweep`;
        a job without a scenario is recorded as failed.
    out
        Output folder (created if missing).
    paths, seed
        Override every scenario's own ``simulation.paths`` / ``simulation.seed``.
    workers
        Processes (local pool or LocalCluster); default: the machine's cores. 1 runs here.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``).
    dask_local
        Start a Dask LocalCluster on 127.0.0.1 with ``workers`` workers.
    resume
        Skip jobs whose run folder is complete for the same inputs, paths and seed.
    chunk_paths
        Paths per task of a split job; jobs up to this size run whole in one task.
    progress
        Called with a :class:`Progress` after each finished task.

    Returns
    -------
    pandas.DataFrame
        The catalog: one row per job with ``name, status, error, source, run_dir, paths,
        seed, input_hash, resumed``, the job's overridden values (one column per dotted key)
        and its headline figures. ``status`` is ``ok`` or ``failed``; a run folder that
        cannot be written (a full disk) fails its job with ``cannot write <folder>: <why>``.

    Raises
    ------
    InputError
        When ``out`` cannot be created or written in (before anything runs), or the catalog
        cannot be written at the end.
    """
    out_dir = Path(out)
    prepare_output_folder(out_dir)
    n_workers = workers if workers and workers > 0 else (os.cpu_count() or 1)
    rows: dict[str, dict[str, Any]] = {}
    plans: dict[str, RunSpec] = {}
    todo: list[Job] = []
    for job in jobs:
        base: dict[str, Any] = {
            "name": job.name,
            "source": job.source,
            "run_dir": job.name,
            "resumed": False,
            "error": None,
        }
        base.update({k: _cell(v) for k, v in job.overrides.items()})
        if job.scenario is None:
            rows[job.name] = {**base, "status": "failed", "error": job.error}
            continue
        n = paths if paths is not None else job.scenario.simulation.paths
        s = seed if seed is not None else job.scenario.simulation.seed
        base.update({"paths": n, "seed": s, "input_hash": job.scenario.content_hash()})
        rows[job.name] = base
        if resume:
            figures = _done_before(out_dir / job.name, job.scenario, n, s)
            if figures is not None:
                rows[job.name].update({**figures, "status": "ok", "resumed": True})
                continue
        plans[job.name] = RunSpec.build(job.scenario, paths=n, seed=s)
        todo.append(job)

    paths_total = sum(p.paths for p in plans.values())
    state = {"paths": 0, "jobs": len(jobs) - len(todo), "failed": 0}
    state["failed"] = sum(1 for r in rows.values() if r.get("status") == "failed")

    def report() -> None:
        if progress is not None:
            progress(
                Progress(state["paths"], paths_total, state["jobs"], len(jobs), state["failed"])
            )

    def finish(name: str, figures: dict[str, Any] | None, error: str | None) -> None:
        if error is None:
            rows[name].update({**(figures or {}), "status": "ok"})
        else:
            rows[name].update({"status": "failed", "error": error})
            state["failed"] += 1
        state["jobs"] += 1

    report()
    runner = _runner(n_workers, scheduler, dask_local)
    try:
        _clear_earlier(out_dir, rows)
        futures: list[Any] = []
        meta: dict[Any, tuple[str, int, int]] = {}  # future -> (job name, start, stop)
        for job in todo:
            plan = plans[job.name]
            bounds = chunk_bounds(plan.paths, chunk_paths)
            target = str(out_dir / job.name)
            if len(bounds) == 1:
                fut = runner.submit(_run_whole, plan.scenario, plan.paths, plan.seed, target)
                meta[fut] = (job.name, 0, plan.paths)
                futures.append(fut)
            else:
                keep = min(plan.paths, DEFAULT_KEEP_SERIES)
                for start, stop in bounds:
                    fut = runner.submit(_run_chunk, plan, start, stop, keep)
                    meta[fut] = (job.name, start, stop)
                    futures.append(fut)
        chunks: dict[str, list[ChunkOutput]] = {}
        broken: set[str] = set()
        started = {name: time.perf_counter() for name in plans}
        for fut in runner.as_completed(futures):
            name, start, stop = meta[fut]
            state["paths"] += stop - start
            try:
                result = fut.result()
            except Exception as exc:  # an error while running: report it, run the others
                if name not in broken:
                    broken.add(name)
                    chunks.pop(name, None)
                    why = str(exc) if isinstance(exc, _CannotWrite) else None
                    finish(name, None, why or f"{type(exc).__name__}: {exc}")
            else:
                if isinstance(result, dict):  # a whole job, written by the worker
                    finish(name, result, None)
                elif name not in broken:
                    done = chunks.setdefault(name, [])
                    done.append(result)
                    if sum(o.stop - o.start for o in done) == plans[name].paths:
                        _finish_split(
                            name,
                            plans[name],
                            chunks.pop(name),
                            out_dir,
                            time.perf_counter() - started[name],
                            finish,
                        )
            report()
    finally:
        runner.close()
    _remove_leftovers(out_dir, rows)  # e.g. a lost Dask worker's half-written run folder
    ordered = [rows[job.name] for job in jobs]
    return _write_catalog(ordered, out_dir)


def _finish_split(
    name: str,
    plan: RunSpec,
    outputs: list[ChunkOutput],
    out_dir: Path,
    elapsed_s: float,
    finish: Callable[[str, dict[str, Any] | None, str | None], None],
) -> None:
    """Assemble the chunks of a split job, write its run folder, record it."""
    results = assemble(
        plan, outputs, keep=min(plan.paths, DEFAULT_KEEP_SERIES), elapsed_s=elapsed_s
    )
    try:
        results.to_dir(out_dir / name)
    except OSError as exc:
        finish(name, None, _cannot_write(out_dir / name, exc))
    else:
        finish(name, _row_figures(results), None)


def read_catalog(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the catalog of a batch folder (or a ``catalog.parquet`` file).

    Raises
    ------
    InputError
        When there is no catalog.
    """
    p = Path(path)
    file = p / CATALOG if p.is_dir() else p
    if not file.is_file():
        raise InputError(str(p), "", f"no {CATALOG}; want the folder of a finished batch")
    return pd.read_parquet(file)
