"""``naef run`` never silently replaces a run folder of other inputs: it refuses on one line
naming ``--overwrite`` (exit 2, nothing written); ``--overwrite`` replaces it; a rerun of the
same inputs replaces it as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import simulator
from simulator.cli import main

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "naef-2005.yaml"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _manifest(run_dir: Path) -> dict[str, object]:
    return json.loads((run_dir / "manifest.json").read_text())


def test_a_run_of_other_inputs_is_refused_and_left_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    rc, _, err = _cli(capsys, "run", str(BASELINE), "--paths", "300", "--out", str(out))
    assert rc == 0, err
    before = _snapshot(tmp_path)
    rc, stdout, err = _cli(
        capsys,
        "run",
        str(BASELINE),
        "--paths",
        "300",
        "--out",
        str(out),
        "--set",
        "naef.coupon_rate=0.05",
    )
    assert rc == 2
    assert stdout == ""  # refused before anything ran or printed
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    line = lines[0]
    assert line.startswith(f"error: {out / 'naef-2005'}: ")
    assert "--overwrite" in line and "naef.coupon_rate" in line and "0.05" in line
    assert _snapshot(tmp_path) == before  # nothing written, not even a temporary


def test_overwrite_replaces_a_run_of_other_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, _, err = _cli(capsys, "run", str(BASELINE), "--paths", "300", "--out", str(tmp_path))
    assert rc == 0, err
    changed = ("--set", "naef.coupon_rate=0.05")
    args = ("run", str(BASELINE), "--paths", "300", "--out", str(tmp_path), *changed)
    rc, _, err = _cli(capsys, *args, "--overwrite")
    assert rc == 0, err
    run_dir = tmp_path / "naef-2005"
    want = simulator.load_scenario(BASELINE).with_overrides({"naef.coupon_rate": 0.05})
    assert _manifest(run_dir)["input_hash"] == want.content_hash()
    assert simulator.load_scenario(run_dir / "scenario.yaml") == want
    assert sorted(p.name for p in tmp_path.iterdir()) == ["naef-2005"]


def test_a_rerun_of_the_same_inputs_replaces_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("run", str(BASELINE), "--out", str(tmp_path), "--set", "naef.coupon_rate=0.05")
    rc, _, err = _cli(capsys, *args, "--paths", "300")
    assert rc == 0, err
    # Other paths and another seed are the same inputs: no --overwrite needed.
    rc, _, err = _cli(capsys, *args, "--paths", "400", "--seed", "7")
    assert rc == 0, err
    manifest = _manifest(tmp_path / "naef-2005")
    assert (manifest["paths"], manifest["seed"]) == (400, 7)


def test_a_folder_that_is_not_a_run_is_not_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "naef-2005"
    mine.mkdir()
    (mine / "notes.txt").write_text("my own notes", encoding="utf-8")
    rc, _, err = _cli(capsys, "run", str(BASELINE), "--paths", "200", "--out", str(tmp_path))
    assert rc == 2
    assert len(err.splitlines()) == 1 and "--overwrite" in err and "not a complete run" in err
    assert _snapshot(tmp_path) == {"naef-2005/notes.txt": b"my own notes"}


def test_no_write_ignores_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _cli(capsys, "run", str(BASELINE), "--paths", "200", "--out", str(tmp_path))
    assert rc == 0, err
    before = _snapshot(tmp_path)
    args = ("run", str(BASELINE), "--paths", "200", "--out", str(tmp_path), "--no-write")
    rc, _, err = _cli(capsys, *args, "--set", "naef.coupon_rate=0.05")
    assert rc == 0, err
    assert _snapshot(tmp_path) == before


def test_the_same_scenario_hashed_by_another_version_is_the_same_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A folder written by a version whose scenario had fewer fields records another hash; its
    # scenario.yaml, read now, is the same scenario.
    args = ("run", str(BASELINE), "--paths", "200", "--out", str(tmp_path))
    rc, _, err = _cli(capsys, *args)
    assert rc == 0, err
    manifest_file = tmp_path / "naef-2005" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["input_hash"] = "0" * 64
    manifest_file.write_text(json.dumps(manifest))
    rc, _, err = _cli(capsys, *args, "--seed", "5")
    assert rc == 0, err
    assert _manifest(tmp_path / "naef-2005")["seed"] == 5
    # A scenario.yaml of other values is still other inputs.
    manifest["input_hash"] = "0" * 64
    manifest_file.write_text(json.dumps(manifest))
    rc, _, err = _cli(capsys, *args, "--set", "oil_price.volatility=0.2")
    assert rc == 2 and "oil_price.volatility" in err and "--overwrite" in err
