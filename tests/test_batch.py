"""Batch runs: the same results on 1 worker, a process pool and a Dask LocalCluster (and equal to
``simulator.simulate``), resume after ``kill -9``, broken scenarios and errors while running
reported without stopping the others, and the catalog read by pandas and duckdb.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

import simulator
from simulator.cli import main
from simulator.outputs import HEADLINE
from simulator.run.batch import Progress, read_catalog, run_batch
from simulator.run.engine import DEFAULT_CHUNK_PATHS, chunk_bounds
from simulator.run.results import is_complete_run
from simulator.run.sweep import Job, collect_jobs, expand_sweep

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
BASELINE = SCENARIOS / "naef-2005.yaml"
LOW_PRICE = SCENARIOS / "low-price.yaml"
COUPON_SWEEP = SCENARIOS / "sweeps" / "coupon-vs-price.yaml"

SMALL_PATHS = 1500
BIG_PATHS = 40_000
BIG_NAME = "big-split"
RUN_FILES = ("metrics.parquet", "fan.parquet", "ledger.parquet")
TIMING_COLUMNS = ["simulate_s"]
HEADLINE_COLUMNS = list(HEADLINE)  # the catalog carries every headline figure


def _write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _run_dirs(out: Path) -> dict[str, Path]:
    """Non-hidden folders of a batch folder, by name."""
    return {p.name: p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")}


def _figures(catalog: pd.DataFrame) -> pd.DataFrame:
    return catalog.drop(columns=TIMING_COLUMNS).reset_index(drop=True)


def _frames_equal(a: Path, b: Path) -> None:
    pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b), check_exact=True)


# ---------------------------------------------------------------------- worker-count invariance


def _mixed_jobs(folder: Path) -> list[Job]:
    """Baseline and low-price (1500 paths), a 2-point sweep (1500 paths), one 40000-path job."""
    folder.mkdir(parents=True, exist_ok=True)
    sweep = _write_yaml(
        folder / "two-coupons.yaml",
        {
            "base": str(BASELINE),
            "name": "coupon-{naef.coupon_rate}",
            "sweep": {"naef.coupon_rate": [0.05, 0.07]},
            "set": {"simulation.paths": SMALL_PATHS},
        },
    )
    big = _write_yaml(
        folder / "big.yaml",
        {
            "extends": str(BASELINE),
            "name": BIG_NAME,
            "simulation": {"paths": BIG_PATHS, "seed": 77},
        },
    )
    files = collect_jobs([BASELINE, LOW_PRICE], overrides={"simulation.paths": SMALL_PATHS})
    return [*files, *collect_jobs([sweep, big])]


MODES: dict[str, dict[str, Any]] = {
    "inline": {"workers": 1},
    "pool": {"workers": 2},
    "dask": {"workers": 2, "dask_local": True},
}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("mixed")
    jobs = _mixed_jobs(root / "in")
    runs: dict[str, Any] = {}
    for mode, kwargs in MODES.items():
        seen: list[Progress] = []
        out = root / mode
        returned = run_batch(jobs, out=out, progress=seen.append, **kwargs)
        runs[mode] = {"out": out, "returned": returned, "progress": seen}
    return {"jobs": jobs, "runs": runs}


def test_the_big_job_is_split_into_chunks(mixed: dict[str, Any]) -> None:
    # The premise of the invariance tests: one job is larger than a chunk, so its paths are
    # spread over several tasks (and workers), the others run whole.
    assert BIG_PATHS > DEFAULT_CHUNK_PATHS
    n_chunks = len(chunk_bounds(BIG_PATHS, DEFAULT_CHUNK_PATHS))
    assert n_chunks >= 2
    jobs = mixed["jobs"]
    assert [j.name for j in jobs] == [
        "naef-2005",
        "low-price",
        "coupon-0.05",
        "coupon-0.07",
        BIG_NAME,
    ]
    total = SMALL_PATHS * 4 + BIG_PATHS
    for mode, run in mixed["runs"].items():
        manifest = json.loads((run["out"] / BIG_NAME / "manifest.json").read_text())
        assert manifest["paths"] == BIG_PATHS
        assert manifest["chunks"] == n_chunks, mode
        seen: list[Progress] = run["progress"]
        # One report before anything runs, then one per task: 4 whole jobs + the chunks.
        assert len(seen) == 1 + 4 + n_chunks, mode
        assert seen[0] == Progress(0, total, 0, 5, 0)
        assert seen[-1] == Progress(total, total, 5, 5, 0)


def test_catalogs_identical_on_any_number_of_workers(mixed: dict[str, Any]) -> None:
    runs = mixed["runs"]
    ref = read_catalog(runs["inline"]["out"])
    assert list(ref["name"]) == [j.name for j in mixed["jobs"]]
    assert set(ref["status"]) == {"ok"}
    assert list(ref["paths"]) == [SMALL_PATHS] * 4 + [BIG_PATHS]
    for mode, run in runs.items():
        on_disk = read_catalog(run["out"])
        # What run_batch returns is what it wrote.
        pd.testing.assert_frame_equal(on_disk, run["returned"], check_exact=True)
        try:
            pd.testing.assert_frame_equal(_figures(on_disk), _figures(ref), check_exact=True)
        except AssertionError as exc:
            raise AssertionError(f"{mode}: {exc}") from None


@pytest.mark.parametrize("mode", ["pool", "dask"])
def test_run_folders_identical_on_any_number_of_workers(mixed: dict[str, Any], mode: str) -> None:
    ref_out = mixed["runs"]["inline"]["out"]
    out = mixed["runs"][mode]["out"]
    names = [j.name for j in mixed["jobs"]]
    assert sorted(_run_dirs(out)) == sorted(names)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    for name in names:
        for file in RUN_FILES:
            _frames_equal(out / name / file, ref_out / name / file)
        a = json.loads((out / name / "summary.json").read_text())
        b = json.loads((ref_out / name / "summary.json").read_text())
        assert a == b, name


def test_batch_equals_simulate_in_process(mixed: dict[str, Any]) -> None:
    """The contract: a batch run of a scenario equals ``naef run`` (``simulate``) of it."""
    out = mixed["runs"]["pool"]["out"]
    catalog = read_catalog(out).set_index("name")
    for job in mixed["jobs"]:
        sc = job.scenario
        assert sc is not None
        res = simulator.simulate(sc, paths=sc.simulation.paths, seed=sc.simulation.seed)
        run = out / job.name
        pd.testing.assert_frame_equal(
            pd.read_parquet(run / "metrics.parquet"), res.metrics, check_exact=True
        )
        pd.testing.assert_frame_equal(
            pd.read_parquet(run / "fan.parquet"), res.fans(), check_exact=True
        )
        row = catalog.loc[job.name]
        assert row["input_hash"] == sc.content_hash()
        assert row["seed"] == sc.simulation.seed
        head = res.headline()
        for key in HEADLINE_COLUMNS:
            want, got = head[key], row[key]
            assert (np.isnan(want) and np.isnan(got)) or got == want, (job.name, key)


# ---------------------------------------------------------------------- resume after kill -9

KILL_PATHS = 30_000
KILL_COUPONS = [0.03, 0.04, 0.05, 0.06, 0.07, 0.08]


def _naef_batch(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulator.cli", "batch", *args]


def test_resume_after_kill(tmp_path: Path) -> None:
    sweep = _write_yaml(
        tmp_path / "six.yaml",
        {
            "base": str(BASELINE),
            "mode": "zip",
            "name": "k-{naef.coupon_rate}",
            "sweep": {"naef.coupon_rate": KILL_COUPONS},
        },
    )
    names = [f"k-{c}" for c in KILL_COUPONS]
    out = tmp_path / "out"
    args = [str(sweep), "--out", str(out), "--workers", "1", "--paths", str(KILL_PATHS)]
    log = (tmp_path / "killed.log").open("w")
    proc = subprocess.Popen(
        _naef_batch(*args, "--quiet"), cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            done = {m.parent.name for m in out.glob("*/manifest.json")} if out.exists() else set()
            done = {n for n in done if not n.startswith(".")}
            if done:
                break
            assert proc.poll() is None, "the batch ended before any run was seen complete"
            assert time.monotonic() < deadline, "no run completed within 90 s"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()
    assert proc.returncode == -signal.SIGKILL

    dirs = _run_dirs(out)
    complete = {n for n, p in dirs.items() if is_complete_run(p)}
    assert 1 <= len(complete) < len(names), f"killed too late to test resume: {complete}"
    assert complete <= set(names)
    # A killed batch leaves no catalog, finished or half-written.
    assert not (out / "catalog.parquet").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".parquet")]
    with pytest.raises(simulator.InputError):
        read_catalog(out)
    # Run folders are renamed into place only when complete: a visible folder is a complete
    # run, anything half-written is a hidden temporary folder that is not a run.
    for name, path in dirs.items():
        assert name in names
        assert (path / "manifest.json").is_file() == is_complete_run(path)
        assert is_complete_run(path), f"{name} is visible but incomplete"
    for p in out.iterdir():
        if p.name.startswith("."):
            assert p.name.endswith((".tmp", ".old")), p.name
            assert p.name not in names
    before = {
        n: (
            (out / n / "manifest.json").read_bytes(),
            (out / n / "manifest.json").stat().st_mtime_ns,
        )
        for n in complete
    }

    proc2 = subprocess.run(
        _naef_batch(*args, "--quiet", "--resume"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc2.returncode == 0, proc2.stdout + proc2.stderr
    assert "Traceback" not in proc2.stderr
    assert "6 of 6 scenarios complete" in proc2.stdout

    # Scenarios complete before the kill were not run again.
    for n, (data, mtime) in before.items():
        manifest = out / n / "manifest.json"
        assert manifest.read_bytes() == data, n
        assert manifest.stat().st_mtime_ns == mtime, n
    catalog = read_catalog(out)
    assert list(catalog["name"]) == names
    assert list(catalog["status"]) == ["ok"] * len(names)
    assert dict(zip(catalog["name"], catalog["resumed"], strict=True)) == {
        n: n in complete for n in names
    }
    for line in proc2.stdout.splitlines():
        for n in names:
            if line.startswith(n + " "):
                assert ("(resumed)" in line) == (n in complete), line
    # Exactly one complete run folder per scenario, and the catalog points at it.
    dirs = _run_dirs(out)
    assert sorted(dirs) == sorted(names)
    assert all(is_complete_run(p) for p in dirs.values())
    assert list(catalog["run_dir"]) == names
    hidden_complete = [p for p in out.iterdir() if p.name.startswith(".") and is_complete_run(p)]
    assert not set(catalog["run_dir"]) & {p.name for p in hidden_complete}

    # The same as an uninterrupted run of the same batch.
    ref_out = tmp_path / "ref"
    ref = run_batch(expand_sweep(sweep), out=ref_out, paths=KILL_PATHS, workers=2)
    for n in names:
        for file in RUN_FILES:
            _frames_equal(out / n / file, ref_out / n / file)
    pd.testing.assert_frame_equal(
        _figures(catalog).drop(columns="resumed"),
        _figures(ref).drop(columns="resumed"),
        check_exact=True,
    )


def test_resume_reruns_when_the_inputs_changed(tmp_path: Path) -> None:
    jobs = collect_jobs([BASELINE, LOW_PRICE])
    out = tmp_path / "out"
    run_batch(jobs, out=out, paths=500, workers=1)
    stamp = (out / "low-price" / "manifest.json").read_bytes()
    # Same inputs: nothing reruns. Other paths or seed: everything does.
    again = run_batch(jobs, out=out, paths=500, workers=1, resume=True)
    assert list(again["resumed"]) == [True, True]
    assert (out / "low-price" / "manifest.json").read_bytes() == stamp
    other = run_batch(jobs, out=out, paths=600, workers=1, resume=True)
    assert list(other["resumed"]) == [False, False]
    assert json.loads((out / "low-price" / "manifest.json").read_text())["paths"] == 600
    changed = collect_jobs([BASELINE, LOW_PRICE], overrides={"naef.coupon_rate": 0.05})
    third = run_batch(changed, out=out, paths=600, workers=1, resume=True)
    assert list(third["resumed"]) == [False, False]
    assert list(third["naef.coupon_rate"]) == [0.05, 0.05]


# ---------------------------------------------------------------------- broken scenarios


def test_broken_scenario_files_among_good_ones(tmp_path: Path) -> None:
    bad_tenor = _write_yaml(
        tmp_path / "bad-tenor.yaml",
        {"extends": str(BASELINE), "name": "bad-tenor", "naef": {"tenor_years": -1}},
    )
    not_yaml = tmp_path / "not-yaml.yaml"
    not_yaml.write_text("naef: [1, 2\nname: x\n")
    out = tmp_path / "out"
    proc = subprocess.run(
        _naef_batch(
            str(BASELINE),
            str(bad_tenor),
            str(LOW_PRICE),
            str(not_yaml),
            "--out",
            str(out),
            "--paths",
            "1000",
            "--workers",
            "2",
            "--quiet",
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text
    assert "internal error" not in text
    assert "bad-tenor.yaml" in text
    assert "not-yaml.yaml" in text
    assert "2 of 4 scenarios complete" in proc.stdout

    assert sorted(_run_dirs(out)) == ["low-price", "naef-2005"]
    assert is_complete_run(out / "naef-2005") and is_complete_run(out / "low-price")
    catalog = read_catalog(out).set_index("name")
    assert list(catalog.index) == ["naef-2005", "bad-tenor", "low-price", "not-yaml"]
    assert catalog.loc["naef-2005", "status"] == "ok"
    assert catalog.loc["low-price", "status"] == "ok"
    assert catalog.loc["bad-tenor", "status"] == "failed"
    assert catalog.loc["not-yaml", "status"] == "failed"
    err_tenor = catalog.loc["bad-tenor", "error"]
    assert "naef.tenor_years" in err_tenor and "-1" in err_tenor
    assert str(bad_tenor) in err_tenor
    err_yaml = catalog.loc["not-yaml", "error"]
    assert "not valid YAML" in err_yaml and str(not_yaml) in err_yaml
    for name in ("naef-2005", "low-price"):
        assert pd.isna(catalog.loc[name, "error"])
        assert 0.0 <= catalog.loc[name, "prob_default"] <= 1.0
        assert catalog.loc[name, "paths"] == 1000
    assert catalog.loc[["bad-tenor", "not-yaml"], "prob_default"].isna().all()
    # The printed table says which failed, and why.
    failed_lines = [line for line in proc.stdout.splitlines() if "FAILED" in line]
    assert len(failed_lines) == 2
    assert any("naef.tenor_years" in line for line in failed_lines)


def _boom_for(name: str, real: Any) -> Any:
    def fake(scenario: simulator.Scenario, *args: Any) -> Any:
        if scenario.name == name:
            raise RuntimeError(f"boom in {name}")
        return real(scenario, *args)

    return fake


def test_error_while_running_a_whole_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import simulator.run.batch as batch

    monkeypatch.setattr(batch, "_run_whole", _boom_for("low-price", batch._run_whole))
    out = tmp_path / "out"
    rc = main(
        [
            "batch",
            str(BASELINE),
            str(LOW_PRICE),
            str(SCENARIOS / "high-price.yaml"),
            "--out",
            str(out),
            "--paths",
            "800",
            "--workers",
            "1",
            "--quiet",
        ]
    )
    stdout, stderr = capsys.readouterr()
    assert rc == 1, stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert "boom in low-price" in stdout
    catalog = read_catalog(out).set_index("name")
    assert catalog.loc["low-price", "status"] == "failed"
    assert catalog.loc["low-price", "error"] == "RuntimeError: boom in low-price"
    assert list(catalog.loc[["naef-2005", "high-price"], "status"]) == ["ok", "ok"]
    assert sorted(_run_dirs(out)) == ["high-price", "naef-2005"]
    assert all(is_complete_run(p) for p in _run_dirs(out).values())
    # The others are the same as in a batch without the failure.
    clean = tmp_path / "clean"
    run_batch(
        collect_jobs([BASELINE, SCENARIOS / "high-price.yaml"]), out=clean, paths=800, workers=1
    )
    for name in ("naef-2005", "high-price"):
        _frames_equal(out / name / "metrics.parquet", clean / name / "metrics.parquet")


def test_error_in_one_chunk_of_a_split_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import simulator.run.batch as batch

    real = batch._run_chunk

    def fake(plan: Any, start: int, stop: int, keep: int) -> Any:
        if plan.scenario.name == BIG_NAME and start > 0:
            raise MemoryError("chunk lost")
        return real(plan, start, stop, keep)

    monkeypatch.setattr(batch, "_run_chunk", fake)
    jobs = _mixed_jobs(tmp_path / "in")
    seen: list[Progress] = []
    catalog = run_batch(jobs, out=tmp_path / "out", workers=1, progress=seen.append)
    status = dict(zip(catalog["name"], catalog["status"], strict=True))
    assert status == {j.name: ("failed" if j.name == BIG_NAME else "ok") for j in jobs}
    row = catalog.set_index("name").loc[BIG_NAME]
    assert row["error"] == "MemoryError: chunk lost"
    assert BIG_NAME not in _run_dirs(tmp_path / "out")
    assert seen[-1].failed == 1 and seen[-1].jobs_done == len(jobs)


# ---------------------------------------------------------------------- catalog, duckdb


def test_read_catalog_without_a_catalog(tmp_path: Path) -> None:
    with pytest.raises(simulator.InputError) as info:
        read_catalog(tmp_path)
    assert "catalog.parquet" in str(info.value)
    with pytest.raises(simulator.InputError):
        read_catalog(tmp_path / "missing")
    rc = main(["batch", str(tmp_path / "nothing.yaml"), "--out", str(tmp_path / "o")])
    assert rc == 2
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Job], pd.DataFrame]:
    out = tmp_path_factory.mktemp("swept") / "out"
    jobs = expand_sweep(COUPON_SWEEP)
    catalog = run_batch(jobs, out=out, paths=500, workers=1)
    return out, jobs, catalog


def test_catalog_has_one_column_per_swept_key(
    swept: tuple[Path, list[Job], pd.DataFrame],
) -> None:
    out, jobs, _ = swept
    catalog = read_catalog(out)
    assert list(catalog["name"]) == [j.name for j in jobs]
    assert list(catalog["run_dir"]) == [j.name for j in jobs]
    assert list(catalog["naef.coupon_rate"]) == [0.04] * 3 + [0.06] * 3 + [0.08] * 3
    assert list(catalog["oil_price.long_run_usd_per_bbl"]) == [35.0, 53.15, 75.0] * 3
    assert set(catalog["status"]) == {"ok"}
    assert set(catalog["paths"]) == {500}
    assert set(catalog["seed"]) == {simulator.load_scenario(BASELINE).simulation.seed}
    assert list(catalog["input_hash"]) == [j.scenario.content_hash() for j in jobs if j.scenario]
    for col in ("name", "status", "error", "source", "run_dir", "paths", "seed", "resumed"):
        assert col in catalog.columns
    for col in HEADLINE_COLUMNS:
        assert pd.api.types.is_float_dtype(catalog[col]), col
    assert catalog["prob_default"].between(0, 1).all()
    # Higher coupons cost the fund: at a given oil price the MDF gets less.
    p50 = catalog.set_index("name")["mdf_inflow_pv_p50"]
    for lr in (35, 53.15, 75):
        assert p50[f"coupon-0.04-lr-{lr}"] >= p50[f"coupon-0.08-lr-{lr}"]
    # Headline figures agree with the per-path metrics on disk.
    for name in catalog["name"]:
        m = pd.read_parquet(out / name / "metrics.parquet")
        row = catalog.set_index("name").loc[name]
        assert row["prob_default"] == m["default"].sum() / len(m)
        assert row["mdf_inflow_pv_p50"] == pytest.approx(
            float(np.median(m["mdf_inflow_pv_usd_bn"])), rel=1e-12, abs=1e-12
        )


def test_duckdb_reads_the_outputs(swept: tuple[Path, list[Job], pd.DataFrame]) -> None:
    out, jobs, _ = swept
    total = duckdb.sql(f"SELECT count(*) FROM '{out}/*/metrics.parquet'").fetchall()
    assert total == [(500 * len(jobs),)]
    rows = duckdb.sql(
        f"SELECT name, prob_default FROM '{out}/catalog.parquet' ORDER BY name"
    ).fetchall()
    pdf = read_catalog(out).sort_values("name")
    assert rows == list(zip(pdf["name"], pdf["prob_default"], strict=True))
    # duckdb's own mean of the per-path default flags is the catalog's P(default).
    per_file = duckdb.sql(
        f'SELECT filename, avg(CAST("default" AS DOUBLE)), count(*) '
        f"FROM read_parquet('{out}/*/metrics.parquet', filename=true) GROUP BY filename"
    ).fetchall()
    want = dict(zip(pdf["name"], pdf["prob_default"], strict=True))
    assert len(per_file) == len(jobs)
    for filename, mean, count in per_file:
        assert count == 500
        assert mean == want[Path(filename).parent.name]
