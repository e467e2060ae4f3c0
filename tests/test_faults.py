"""Faults: a batch killed (``kill -9``) at several points and resumed, a Dask worker killed in
the middle of a batch, and a full disk or an unwritable output folder.

Every test's docstring says what was tried and what holds; docs/reliability.md is made from
them. Processes are started in a session of their own and killed by process group, so a kill
takes the whole batch (its pool workers too) and nothing else. Every wait is bounded.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import io
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml

import simulator
from simulator.cli import main
from simulator.model.chain import Plan
from simulator.run.batch import read_catalog, run_batch
from simulator.run.results import Results, is_complete_run
from simulator.run.sweep import expand_sweep

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "naef-2005.yaml"
#: A shipped scenario with model warnings (sculpting short of its target coverage).
WARNS = REPO / "scenarios" / "rerun-2026.yaml"

COUPONS = [0.03, 0.035, 0.04, 0.045, 0.05, 0.055, 0.06, 0.065]
NAMES = [f"f-{c:g}" for c in COUPONS]
FIRST3 = NAMES[:3]
PATHS = 4000
#: Files of a run folder whose bytes must not depend on how the batch was run or interrupted.
SAME_BYTES = ("metrics.parquet", "fan.parquet", "ledger.parquet", "summary.json")
#: Catalog columns that legitimately differ between two equal batches.
VOLATILE = ["simulate_s", "resumed", "source"]
WAIT_S = 120.0
ENOSPC_TEXT = os.strerror(errno.ENOSPC)
EACCES_TEXT = os.strerror(errno.EACCES)


# ---------------------------------------------------------------------- inputs and reference


def _sweep(path: Path, coupons: list[float]) -> Path:
    data = {
        "base": str(BASELINE),
        "mode": "zip",
        "name": "f-{naef.coupon_rate}",
        "sweep": {"naef.coupon_rate": coupons},
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inputs")
    return {
        "all": _sweep(root / "sweep.yaml", COUPONS),
        "first3": _sweep(root / "first3.yaml", COUPONS[:3]),
    }


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulator.cli", *args]


def _batch_args(sweep: Path, out: Path, *more: str) -> list[str]:
    return ["batch", str(sweep), "--out", str(out), "--paths", str(PATHS), "--quiet", *more]


@pytest.fixture(scope="module")
def reference(inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An uninterrupted ``naef batch`` of the whole sweep on 2 workers, and how long it took
    to start (until the output folder appears) and to run after that."""
    root = tmp_path_factory.mktemp("reference")
    out = root / "out"
    cmd = _cli(*_batch_args(inputs["all"], out, "--workers", "2"))
    with _started(cmd, root, root / "reference.log") as proc:
        t0 = time.monotonic()
        _wait_until(out.exists, proc)
        t1 = time.monotonic()
        proc.wait(timeout=WAIT_S)
        t2 = time.monotonic()
    assert proc.returncode == 0, (root / "reference.log").read_text()
    assert sorted(p.name for p in out.iterdir()) == sorted([*NAMES, "catalog.parquet"])
    return {"out": out, "start_s": t1 - t0, "work_s": t2 - t1, "catalog": read_catalog(out)}


def _assert_runs_equal(out: Path, ref: Path, names: list[str]) -> None:
    for name in names:
        assert is_complete_run(out / name), name
        for file in SAME_BYTES:
            same = (out / name / file).read_bytes() == (ref / name / file).read_bytes()
            assert same, f"{name}/{file} differs from the reference"


def _assert_same_as_reference(out: Path, reference: dict[str, Any], names: list[str]) -> None:
    """One complete run folder per job, nothing else, and the reference's results to the bit."""
    listing = sorted(p.name for p in out.iterdir())
    assert listing == sorted([*names, "catalog.parquet"]), listing
    _assert_runs_equal(out, reference["out"], names)
    catalog = read_catalog(out)
    assert list(catalog["name"]) == names
    assert list(catalog["run_dir"]) == names
    assert list(catalog["status"]) == ["ok"] * len(names)
    want = reference["catalog"].iloc[: len(names)]
    pd.testing.assert_frame_equal(
        catalog.drop(columns=VOLATILE).reset_index(drop=True),
        want.drop(columns=VOLATILE).reset_index(drop=True),
        check_exact=True,
    )
    # Read the way the README reads a batch (DuckDB's glob also matches hidden folders).
    with contextlib.closing(duckdb.connect()) as con:
        row = con.execute(
            "SELECT count(*) FROM read_parquet(?)", [str(out / "*" / "metrics.parquet")]
        ).fetchone()
    assert row is not None and row[0] == PATHS * len(names)


# ---------------------------------------------------------------------- processes


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started in its own session and every process of its group."""
    if proc.poll() is None:  # not reaped, so the group id is still ours
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=WAIT_S)


@contextlib.contextmanager
def _started(cmd: list[str], cwd: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            _kill_group(proc)


def _wait_until(condition: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert proc.poll() is None, f"the process ended first (exit code {proc.returncode})"
        assert time.monotonic() < deadline, f"not reached in {WAIT_S:.0f} s"
        time.sleep(0.01)


def _after_kill(out: Path, names: list[str]) -> set[str]:
    """Check what a killed batch left; return the names whose run folders are complete."""
    complete: set[str] = set()
    for p in out.iterdir() if out.exists() else ():
        if p.name == "catalog.parquet":
            continue
        if p.name.startswith("."):
            assert p.name.endswith((".tmp", ".old")), p.name  # a temporary, never a run name
        else:
            # A visible folder is a complete run of one of the jobs; nothing else is visible.
            assert p.name in names and is_complete_run(p), p.name
            complete.add(p.name)
    if (out / "catalog.parquet").exists():
        # The catalog is renamed into place last: the batch was killed after its work was done.
        assert complete == set(names)
        assert list(read_catalog(out)["name"]) == names
    else:
        # A batch killed before its end has no catalog, finished or half-written.
        with pytest.raises(simulator.InputError):
            read_catalog(out)
    return complete


def _resume(
    sweep: Path,
    out: Path,
    names: list[str],
    complete: set[str],
    capsys: pytest.CaptureFixture[str],
) -> pd.DataFrame:
    """``naef batch --resume`` (in this process, one worker); check it skipped exactly the
    complete runs and left them untouched."""
    stamps = {n: (out / n / "manifest.json").stat().st_mtime_ns for n in complete}
    capsys.readouterr()
    rc = main(_batch_args(sweep, out, "--workers", "1", "--resume"))
    captured = capsys.readouterr()
    assert rc == 0, captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err
    assert f"{len(names)} of {len(names)} scenarios complete" in captured.out
    for n in complete:
        assert (out / n / "manifest.json").stat().st_mtime_ns == stamps[n], f"{n} was rerun"
    catalog = read_catalog(out)
    assert dict(zip(catalog["name"], catalog["resumed"], strict=True)) == {
        n: n in complete for n in names
    }
    return catalog


# ---------------------------------------------------------------------- kill -9 and resume

#: When to kill: a fraction of the reference's start-up (before the output folder exists) or
#: of its work (after the output folder appeared).
KILL_TIMES = {
    "halfway-through-start-up": ("start_s", 0.5),
    "at-25%-of-the-work": ("work_s", 0.25),
    "at-55%-of-the-work": ("work_s", 0.55),
    "at-80%-of-the-work": ("work_s", 0.8),
}


@pytest.mark.parametrize("when", list(KILL_TIMES))
def test_batch_killed_at_several_times_then_resumed(
    inputs: dict[str, Path],
    reference: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    when: str,
) -> None:
    """Tried: ``naef batch`` of 8 scenarios on 2 worker processes killed with SIGKILL (the whole
    process group, workers included) at four times measured on an uninterrupted run: halfway
    through start-up (before any run), and at 25%, 55% and 80% of the time it then ran (runs
    being computed and written). Then ``naef batch --resume``.
    Holds: the killed batch left no visible folder that is not a complete run, and no catalog
    unless it was killed after writing it (every run complete by then); the resumed batch
    skipped exactly the runs complete at the kill (untouched) and reran the others; every
    scenario has exactly one complete run folder, the catalog lists each once, no temporary is
    left behind, DuckDB's ``out/*/metrics.parquet`` counts every path once, and run files and
    catalog equal those of the uninterrupted batch bit for bit."""
    phase, fraction = KILL_TIMES[when]
    out = tmp_path / "out"
    cmd = _cli(*_batch_args(inputs["all"], out, "--workers", "2"))
    with _started(cmd, tmp_path, tmp_path / "killed.log") as proc:
        if phase == "work_s":
            _wait_until(out.exists, proc)
        try:
            proc.wait(timeout=fraction * reference[phase])
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            if proc.returncode == 0:  # it finished between the wait's end and the kill
                complete = set(NAMES)
            else:
                assert proc.returncode == -signal.SIGKILL
                complete = _after_kill(out, NAMES)
        else:  # the machine was faster this time: nothing was interrupted
            assert proc.returncode == 0
            complete = set(NAMES)
    _resume(inputs["all"], out, NAMES, complete, capsys)
    _assert_same_as_reference(out, reference, NAMES)


#: Runs ``naef`` with a pause at one point of the writing; the test kills it there.
PAUSE_SCRIPT = """
import os
import sys
import time

import pandas as pd

point, marker, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
seen = []


def reached(where):
    if where == point:
        seen.append(where)
        if len(seen) == nth:
            with open(marker, "w") as fh:
                fh.write(where)
            time.sleep(600)


real_to_parquet = pd.DataFrame.to_parquet


def to_parquet(self, path, *args, **kwargs):
    result = real_to_parquet(self, path, *args, **kwargs)
    name = os.path.basename(str(path))
    if name == "metrics.parquet":
        reached("metrics-written")
    elif name.startswith(".catalog."):
        reached("catalog-written")
    return result


real_replace = os.replace


def replace(src, dst, *args, **kwargs):
    if str(src).endswith(".tmp") and os.path.isdir(src):
        reached("folder-complete")
    return real_replace(src, dst, *args, **kwargs)


pd.DataFrame.to_parquet = to_parquet
os.replace = replace

from simulator.cli import main

sys.exit(main(sys.argv[4:]))
"""


def _killed_at(point: str, nth: int, args: list[str], tmp_path: Path) -> None:
    """Run ``naef ARGS`` until it pauses at the nth ``point``, then SIGKILL its process group."""
    script = tmp_path / "paused_naef.py"
    script.write_text(PAUSE_SCRIPT)
    marker = tmp_path / "paused"
    cmd = [sys.executable, str(script), point, str(marker), str(nth), *args]
    with _started(cmd, tmp_path, tmp_path / "killed.log") as proc:
        _wait_until(marker.exists, proc)
        _kill_group(proc)
    assert proc.returncode == -signal.SIGKILL


PAUSE_POINTS = {
    # point, which occurrence, runs complete at the kill
    "while-a-run-folder-is-half-written": ("metrics-written", 3, FIRST3[:2]),
    "run-folder-written-not-yet-renamed": ("folder-complete", 3, FIRST3[:2]),
    "while-the-catalog-is-written": ("catalog-written", 1, FIRST3),
}


@pytest.mark.parametrize("case", list(PAUSE_POINTS))
def test_batch_killed_at_a_chosen_point_then_resumed(
    inputs: dict[str, Path],
    reference: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
) -> None:
    """Tried: ``naef batch`` of 3 scenarios (one worker) killed with SIGKILL at three exact
    points: after ``metrics.parquet`` of the third run was written into its temporary folder,
    when the third run folder was complete but not yet renamed into place, and while
    ``catalog.parquet`` was being written (after every run). Then ``naef batch --resume``.
    Holds: the runs finished before the kill, and only those, are complete and visible; the
    half-written ones are hidden temporaries and no catalog exists; after the resume the
    temporaries are gone (DuckDB's glob, which matches hidden folders, counts every path
    once), each scenario has one complete run, the catalog lists each once, and the results
    equal the uninterrupted batch's bit for bit.
    Found: the hidden temporary folders of a killed batch (some with a complete
    ``metrics.parquet``) stayed after the resume, and DuckDB's ``'out/*/metrics.parquet'``, the
    README's query, counted their paths twice; ``run_batch`` now removes its jobs' temporaries
    before it starts and after its last task."""
    point, nth, finished = PAUSE_POINTS[case]
    out = tmp_path / "out"
    _killed_at(point, nth, _batch_args(inputs["first3"], out, "--workers", "1"), tmp_path)
    complete = _after_kill(out, FIRST3)
    assert complete == set(finished)
    assert not (out / "catalog.parquet").exists()
    hidden = [p for p in out.iterdir() if p.name.startswith(".")]
    assert hidden, "the kill should have left a temporary behind"
    _resume(inputs["first3"], out, FIRST3, complete, capsys)
    _assert_same_as_reference(out, reference, FIRST3)


def test_killed_rerun_leaves_no_stale_catalog(
    inputs: dict[str, Path],
    reference: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Tried: a finished batch (2,000 paths) run again into the same folder with other inputs
    (4,000 paths) and killed with SIGKILL after its second run was written; then resumed.
    Holds: after the kill there is no catalog at all, so the first batch's catalog cannot
    describe run folders the second one replaced; the resume keeps the run finished before the
    kill and gives the uninterrupted batch's results.
    Found: the earlier batch's catalog stayed after the kill, listing every scenario as ok with
    the earlier figures while some run folders held the new runs; ``run_batch`` now removes the
    catalog of an earlier batch when it starts."""
    out = tmp_path / "out"
    first = run_batch(expand_sweep(inputs["first3"]), out=out, paths=2000, workers=1)
    assert list(first["paths"]) == [2000] * 3
    _killed_at("folder-complete", 2, _batch_args(inputs["first3"], out, "--workers", "1"), tmp_path)
    complete = _after_kill(out, FIRST3)
    assert not (out / "catalog.parquet").exists()
    paths = {n: json.loads((out / n / "manifest.json").read_text())["paths"] for n in complete}
    # The first run is the second batch's; the third is still the first batch's: complete, but
    # for other inputs, so the resume reruns it.
    assert paths[FIRST3[0]] == PATHS
    assert paths[FIRST3[2]] == 2000
    resumable = {n for n, p in paths.items() if p == PATHS}
    catalog = _resume(inputs["first3"], out, FIRST3, resumable, capsys)
    assert list(catalog["paths"]) == [PATHS] * 3
    _assert_same_as_reference(out, reference, FIRST3)


# ---------------------------------------------------------------------- a Dask worker killed

DASK_SCRIPT = """
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path


def main():
    from dask.distributed import Client, LocalCluster

    from simulator.run.batch import run_batch
    from simulator.run.sweep import expand_sweep

    sweep, out, paths = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    jobs = expand_sweep(sweep)
    state = {"jobs_done": 0}
    killed = {}
    with LocalCluster(
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
        n_workers=2,
        threads_per_worker=1,
        processes=True,
    ) as cluster, Client(cluster) as client:
        pids = client.run(os.getpid)  # worker address -> process id

        def kill_a_busy_worker():
            # As soon as a run folder is being written (a worker is inside a task), kill a
            # worker that holds tasks.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                writing = out.is_dir() and any(p.name.startswith(".") for p in out.iterdir())
                if writing or state["jobs_done"]:
                    busy = sorted(a for a, keys in client.processing().items() if keys)
                    if busy:
                        killed.update(
                            pid=pids[busy[0]],
                            jobs_done=state["jobs_done"],
                            tasks=len(client.processing()[busy[0]]),
                            writing=writing,
                        )
                        os.kill(pids[busy[0]], signal.SIGKILL)
                        return
                time.sleep(0.005)

        killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
        killer.start()
        catalog = run_batch(
            jobs,
            out=out,
            paths=paths,
            scheduler=cluster.scheduler_address,
            progress=lambda p: state.update(jobs_done=p.jobs_done),
        )
        killer.join(timeout=60)
        after = sorted(client.run(os.getpid).values())
    print(
        json.dumps(
            {
                "killed": killed,
                "workers_before": sorted(pids.values()),
                "workers_after": after,
                "status": list(catalog["status"]),
                "errors": [None if e is None else str(e) for e in catalog["error"]],
            }
        )
    )


if __name__ == "__main__":
    main()
"""


def test_dask_worker_killed_mid_batch(
    inputs: dict[str, Path], reference: dict[str, Any], tmp_path: Path
) -> None:
    """Tried: a batch of 8 scenarios on a Dask LocalCluster (2 worker processes, through the
    ``scheduler=`` address path of ``run_batch``); one worker holding tasks is killed with
    SIGKILL as soon as a run folder is being written.
    Holds: the worker died before the batch finished (the nanny replaced it); the batch still
    completes with every scenario ok, leaves no temporary of the lost task behind, and its run
    files and catalog equal those of the reference batch bit for bit.
    Found: the batch completed, but the lost task's half-written temporary folder stayed in the
    output folder, where DuckDB's ``'out/*/metrics.parquet'`` read it as a ninth run; the
    batch now removes its jobs' temporaries after its last task."""
    script = tmp_path / "dask_batch.py"
    script.write_text(DASK_SCRIPT)
    out = tmp_path / "out"
    cmd = [sys.executable, str(script), str(inputs["all"]), str(out), str(PATHS)]
    with _started(cmd, tmp_path, tmp_path / "dask.log") as proc:
        proc.wait(timeout=WAIT_S)
    text = (tmp_path / "dask.log").read_text()
    assert proc.returncode == 0, text
    report = json.loads(text.strip().splitlines()[-1])
    killed = report["killed"]
    assert killed, "no worker was killed"
    assert killed["pid"] in report["workers_before"]
    assert killed["pid"] not in report["workers_after"]
    assert killed["jobs_done"] < len(NAMES), "the worker was killed after the batch finished"
    assert report["status"] == ["ok"] * len(NAMES), report["errors"]
    _assert_same_as_reference(out, reference, NAMES)


# ---------------------------------------------------------------------- a full disk


class _Metered:
    """A file opened for writing on a :class:`_Disk`."""

    def __init__(self, handle: Any, disk: _Disk, name: str) -> None:
        self._handle = handle
        self._disk = disk
        self._name = name

    def write(self, data: Any) -> int:
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        fit = self._disk.take(self._name, len(raw))
        if fit < len(raw):
            part = raw[:fit]
            self._handle.write(part.decode("utf-8", "ignore") if isinstance(data, str) else part)
            self._handle.flush()
            raise OSError(errno.ENOSPC, ENOSPC_TEXT)
        return int(self._handle.write(data))

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._handle, attr)

    def __enter__(self) -> _Metered:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


class _Disk:
    """A disk with ``room`` bytes free for the files ``on`` accepts: writes through Python's
    ``open`` and ``DataFrame.to_parquet`` are metered, and the write that does not fit writes
    what fits and fails with ENOSPC, as a full disk does. ``log`` lists (file, bytes)."""

    def __init__(self, on: Callable[[Path], bool], room: float = math.inf) -> None:
        self.on = on
        self.room = room
        self.log: list[tuple[str, int]] = []

    def take(self, name: str, n: int) -> int:
        fit = int(min(n, self.room))
        self.room -= fit
        self.log.append((name, fit))
        return fit

    def covers(self, file: Any) -> bool:
        return isinstance(file, str | os.PathLike) and self.on(
            Path(os.path.abspath(os.fspath(file)))
        )

    def install(self, monkeypatch: pytest.MonkeyPatch) -> _Disk:
        real_open = io.open
        real_to_parquet = pd.DataFrame.to_parquet
        disk = self

        def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = real_open(file, mode, *args, **kwargs)
            if any(c in mode for c in "wax+") and disk.covers(file):
                return _Metered(handle, disk, Path(os.fspath(file)).name)
            return handle

        def fake_to_parquet(frame: pd.DataFrame, path: Any = None, *args: Any, **kw: Any) -> Any:
            if not disk.covers(path):
                return real_to_parquet(frame, path, *args, **kw)
            buf = io.BytesIO()
            real_to_parquet(frame, buf, *args, **kw)
            with fake_open(path, "wb") as fh:
                fh.write(buf.getvalue())
            return None

        monkeypatch.setattr(io, "open", fake_open)
        monkeypatch.setattr(builtins, "open", fake_open)
        monkeypatch.setattr(pd.DataFrame, "to_parquet", fake_to_parquet)
        return self


def _under(root: Path) -> Callable[[Path], bool]:
    root = root.resolve()
    return lambda p: p.is_relative_to(root)


@pytest.fixture(scope="module")
def small_run() -> Results:
    return simulator.simulate(simulator.load_scenario(BASELINE), paths=1000, seed=7)


RUN_FILES_IN_ORDER = [
    "scenario.yaml",
    "metrics.parquet",
    "fan.parquet",
    "ledger.parquet",
    "sectors.parquet",
    "sector_ledger.parquet",
    "summary.json",
    "manifest.json",
]


@pytest.mark.parametrize(
    "file", RUN_FILES_IN_ORDER, ids=[f"full-in-{f}" for f in RUN_FILES_IN_ORDER]
)
def test_disk_full_while_a_run_folder_is_written(
    small_run: Results, tmp_path: Path, file: str
) -> None:
    """Tried: ``Results.to_dir`` on a disk that fills up halfway through each file of the run
    folder in turn (the write writes what fits, then fails with ENOSPC).
    Holds: ``to_dir`` raises ``OSError`` ENOSPC; there is no folder at the final name, nothing
    that ``is_complete_run`` accepts, and no temporary left beside it."""
    with pytest.MonkeyPatch.context() as mp:  # measure what is written, file by file
        measure = _Disk(_under(tmp_path)).install(mp)
        small_run.to_dir(tmp_path / "measure" / "run")
    sizes: dict[str, int] = {}
    for name, n in measure.log:
        sizes[name] = sizes.get(name, 0) + n
    assert list(sizes) == RUN_FILES_IN_ORDER  # the order this test fills the disk in
    room = sum(sizes[f] for f in RUN_FILES_IN_ORDER[: RUN_FILES_IN_ORDER.index(file)])
    room += sizes[file] // 2

    parent = tmp_path / "runs"
    parent.mkdir()
    target = parent / "run"
    with pytest.MonkeyPatch.context() as mp:
        disk = _Disk(_under(parent), room).install(mp)
        with pytest.raises(OSError) as info:
            small_run.to_dir(target)
    assert info.value.errno == errno.ENOSPC
    assert disk.log[-1][0] == file  # the disk filled where intended
    assert not target.exists()
    assert not is_complete_run(target)
    assert list(parent.iterdir()) == [], "temporaries left behind"


def _one_line_error(stderr: str, *parts: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("error: "), line
    assert "Traceback" not in stderr and "internal error" not in stderr
    for part in parts:
        assert part in line, (part, line)
    return line


@pytest.mark.parametrize("previous", [False, True], ids=["fresh-folder", "over-a-previous-run"])
def test_naef_run_on_a_full_disk(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    previous: bool,
) -> None:
    """Tried: ``naef run --out DIR`` when the disk fills up while the run folder is written,
    into an empty folder and over a complete run of the scenario.
    Holds: exit code 2 and one error line on stderr naming DIR and the cause ("No space left
    on device"), besides the scenario's model warnings printed before it (rerun-2026's
    sculpting short of its target), no traceback; no new run folder and no temporary; a
    previous run stays as it was, complete."""
    out = tmp_path / "out"
    out.mkdir()
    before: dict[str, bytes] = {}
    if previous:
        assert main(["run", str(WARNS), "--paths", "300", "--out", str(out)]) == 0
        before = {p.name: p.read_bytes() for p in (out / "rerun-2026").iterdir()}
    capsys.readouterr()
    _Disk(_under(out), room=50_000).install(monkeypatch)
    rc = main(["run", str(WARNS), "--paths", "2000", "--seed", "3", "--out", str(out)])
    monkeypatch.undo()
    captured = capsys.readouterr()
    assert rc == 2, captured.out + captured.err
    # The model's warnings of the scenario come first, one line each; then the one error.
    warnings = Plan.build(simulator.load_scenario(WARNS)).warnings()
    assert warnings, "rerun-2026 warns that its sculpting falls short of the target"
    lines = captured.err.strip().splitlines()
    assert lines[: len(warnings)] == [f"warning: {WARNS}: {w}" for w in warnings]
    _one_line_error("\n".join(lines[len(warnings) :]), str(out), ENOSPC_TEXT)
    assert sorted(p.name for p in out.iterdir()) == (["rerun-2026"] if previous else [])
    if previous:
        assert {p.name: p.read_bytes() for p in (out / "rerun-2026").iterdir()} == before
        assert is_complete_run(out / "rerun-2026")


def _first3_args(sweep: Path, out: Path, *more: str) -> list[str]:
    return _batch_args(sweep, out, "--workers", "1", *more)


def test_batch_where_one_run_cannot_be_written(
    inputs: dict[str, Path],
    reference: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Tried: ``naef batch`` of 3 scenarios where the disk is full while the second one's run
    folder is written (and has room for the others).
    Holds: exit code 1; the second scenario is reported failed, on the terminal and in the
    catalog, with its folder and the cause; it has no run folder and no temporary; the other
    two finish and equal the reference batch's runs bit for bit.
    Found: the catalog's error was ``OSError: [Errno 28] No space left on device``, without the
    folder; a run folder written by a worker now fails as ``cannot write <folder>: <cause>``,
    like one written by the batch itself."""
    out = tmp_path / "out"
    tag = f".{FIRST3[1]}."
    _Disk(lambda p: tag in str(p), room=4096).install(monkeypatch)
    rc = main(_first3_args(inputs["first3"], out))
    monkeypatch.undo()
    captured = capsys.readouterr()
    assert rc == 1, captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err
    failed = [line for line in captured.out.splitlines() if "FAILED" in line]
    assert len(failed) == 1 and failed[0].startswith(FIRST3[1]), captured.out
    catalog = read_catalog(out).set_index("name")
    assert list(catalog["status"]) == ["ok", "failed", "ok"]
    error = str(catalog.loc[FIRST3[1], "error"])
    assert str(out / FIRST3[1]) in error and ENOSPC_TEXT in error, error
    assert error in failed[0]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [FIRST3[0], FIRST3[2], "catalog.parquet"]
    )
    _assert_runs_equal(out, reference["out"], [FIRST3[0], FIRST3[2]])


def test_batch_when_the_disk_stays_full_then_resumed(
    inputs: dict[str, Path],
    reference: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Tried: ``naef batch`` of 3 scenarios on a disk that fills up during the second run
    folder and stays full (so the third run and the catalog cannot be written either); then,
    with space freed, ``naef batch --resume``.
    Holds: exit code 2 with one line on stderr naming the folder, the catalog and the cause, no
    traceback; the first run is complete, the others have no folder and no temporary, and
    there is no catalog; the resume skips the first run and the batch equals the reference.
    Found: a catalog that could not be written ended the batch with
    ``naef: internal error: OSError ...`` (exit code 1); it is now a one-line error naming the
    folder, the catalog and the cause, exit code 2."""
    out = tmp_path / "out"
    ref = reference["out"]
    one_run = sum(p.stat().st_size for p in (ref / FIRST3[0]).iterdir())
    _Disk(_under(out), room=one_run * 1.5).install(monkeypatch)
    rc = main(_first3_args(inputs["first3"], out))
    monkeypatch.undo()
    captured = capsys.readouterr()
    assert rc == 2, captured.out + captured.err
    _one_line_error(captured.err, str(out), "catalog.parquet", ENOSPC_TEXT)
    assert sorted(p.name for p in out.iterdir()) == [FIRST3[0]]
    assert is_complete_run(out / FIRST3[0])

    stamp = (out / FIRST3[0] / "manifest.json").stat().st_mtime_ns
    assert main(_first3_args(inputs["first3"], out, "--resume")) == 0
    catalog = read_catalog(out)
    assert list(catalog["resumed"]) == [True, False, False]
    assert (out / FIRST3[0] / "manifest.json").stat().st_mtime_ns == stamp
    _assert_same_as_reference(out, reference, FIRST3)


# ---------------------------------------------------------------------- an unwritable folder


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[bool]:
    """Make ``folder`` read-only (mode 0500) for the code run inside the block.

    A process that may ignore modes (root, or CAP_DAC_OVERRIDE, as in most CI containers) could
    still write there; for it, creating or renaming an entry of the folder is made to fail with
    EACCES, as the kernel does for everyone else. Yields whether that was needed.
    """
    folder.chmod(0o500)
    try:
        probe = folder / ".probe"
        try:
            probe.touch()
        except PermissionError:
            privileged = False
        else:
            probe.unlink()
            privileged = True
        with pytest.MonkeyPatch.context() as mp:
            if privileged:
                _deny_new_entries(folder, mp)
            yield privileged
    finally:
        folder.chmod(0o700)


def _deny_new_entries(folder: Path, mp: pytest.MonkeyPatch) -> None:
    folder = folder.resolve()

    def inside(path: Any, dir_fd: int | None = None) -> bool:
        if dir_fd is not None or not isinstance(path, str | os.PathLike):
            return False
        return Path(os.path.abspath(os.fspath(path))).parent == folder

    def deny(path: Any) -> None:
        raise PermissionError(errno.EACCES, EACCES_TEXT, os.fspath(path))

    real_mkdir, real_os_open, real_open = os.mkdir, os.open, io.open
    real_replace, real_rename = os.replace, os.rename

    def mkdir(path: Any, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        if inside(path, dir_fd) and not os.path.lexists(path):
            deny(path)
        real_mkdir(path, mode, dir_fd=dir_fd)

    def os_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if flags & os.O_CREAT and inside(path, dir_fd) and not os.path.lexists(path):
            deny(path)
        return real_os_open(path, flags, mode, dir_fd=dir_fd)

    def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(c in mode for c in "wax") and inside(file) and not os.path.lexists(file):
            deny(file)
        return real_open(file, mode, *args, **kwargs)

    def renamer(real: Callable[..., None]) -> Callable[..., None]:
        def rename(src: Any, dst: Any, **kwargs: Any) -> None:
            if inside(src) or inside(dst):
                deny(dst)
            real(src, dst, **kwargs)

        return rename

    mp.setattr(os, "mkdir", mkdir)
    mp.setattr(os, "open", os_open)
    mp.setattr(io, "open", open_)
    mp.setattr(builtins, "open", open_)
    mp.setattr(os, "replace", renamer(real_replace))
    mp.setattr(os, "rename", renamer(real_rename))


@pytest.mark.parametrize("command", ["run", "batch"])
def test_read_only_output_folder(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """Tried: ``naef run --out DIR`` and ``naef batch --out DIR`` where DIR exists but is
    read-only (mode 0500; where the tests run with the privilege to ignore modes, creating an
    entry in DIR fails with EACCES instead).
    Holds: exit code 2 and one line on stderr naming DIR and the cause ("Permission denied"),
    no traceback; DIR stays empty: no run folder, no temporary, no catalog.
    Found: ``naef batch`` ran every scenario, failed each one, then ended with
    ``naef: internal error: PermissionError ...`` (exit code 1); the folder is now checked
    before anything runs."""
    out = tmp_path / "out"
    out.mkdir()
    if command == "run":
        argv = ["run", str(BASELINE), "--paths", "300", "--out", str(out)]
    else:
        argv = ["batch", str(inputs["first3"]), "--out", str(out), "--paths", "300"]
        argv += ["--workers", "1", "--quiet"]
    with _read_only(out):
        rc = main(argv)
    captured = capsys.readouterr()
    assert rc == 2, captured.out + captured.err
    _one_line_error(captured.err, str(out), EACCES_TEXT)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("command", ["run", "batch"])
def test_output_folder_inside_a_regular_file(
    inputs: dict[str, Path], tmp_path: Path, command: str
) -> None:
    """Tried: ``naef run`` and ``naef batch`` (real processes) with ``--out FILE/results``, where
    FILE is a regular file, so the folder can never be made (true for every user, root too).
    Holds: exit code 2 and one line on stderr naming the folder and the cause ("Not a
    directory"), no traceback; FILE is unchanged."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    out = blocker / "results"
    if command == "run":
        args = ["run", str(BASELINE), "--paths", "300", "--out", str(out)]
    else:
        args = ["batch", str(inputs["first3"]), "--out", str(out), "--paths", "300", "--quiet"]
    proc = subprocess.run(
        _cli(*args), cwd=tmp_path, capture_output=True, text=True, timeout=WAIT_S, check=False
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    _one_line_error(proc.stderr, str(out), os.strerror(errno.ENOTDIR))
    assert blocker.read_text() == "not a folder\n"
