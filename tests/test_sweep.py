"""Sweep files: grid and zip expansion, names, the ``set:`` block, safe folder names, and every
way a sweep file can be wrong (``naef validate`` / ``naef batch`` exit 2, one line, nothing run).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import simulator
from simulator.cli import main
from simulator.run.batch import run_batch
from simulator.run.sweep import collect_jobs, expand_sweep, safe_run_name

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
BASELINE = SCENARIOS / "naef-2005.yaml"
COUPON_SWEEP = SCENARIOS / "sweeps" / "coupon-vs-price.yaml"

COUPON = "naef.coupon_rate"
LONG_RUN = "oil_price.long_run_usd_per_bbl"


def _write_sweep(folder: Path, data: dict[str, Any], name: str = "sweep.yaml") -> Path:
    """A sweep file in ``folder``; ``base`` defaults to the shipped baseline (absolute path)."""
    data = {"base": str(BASELINE), **data}
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _flat(sc: simulator.Scenario) -> dict[str, Any]:
    """Every field of a scenario by dotted key (top-level fields by bare name)."""
    out: dict[str, Any] = {}
    for key, value in sc.to_dict().items():
        if isinstance(value, dict):
            out.update({f"{key}.{sub}": v for sub, v in value.items()})
        else:
            out[key] = value
    return out


def _assert_only_changed(sc: simulator.Scenario, base: simulator.Scenario, want: dict) -> None:
    """``sc`` has the values of ``want`` (dotted keys) and everything else of ``base``."""
    got, ref = _flat(sc), _flat(base)
    assert got.keys() == ref.keys()
    for key, value in want.items():
        assert got[key] == value, key
    for key in ref.keys() - want.keys():
        assert got[key] == ref[key], key


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, f"want one line on stderr, got: {err!r}"
    assert lines[0].startswith("error: ")
    return lines[0]


# ---------------------------------------------------------------------- grid


def test_grid_expansion_of_the_shipped_sweep() -> None:
    jobs = expand_sweep(COUPON_SWEEP)
    coupons, prices = [0.04, 0.06, 0.08], [35, 53.15, 75]
    # Cartesian product, first key varying slowest, names from the template.
    want_names = [f"coupon-{c}-lr-{p}" for c in ("0.04", "0.06", "0.08") for p in (35, 53.15, 75)]
    assert len(jobs) == 9
    assert [j.name for j in jobs] == want_names
    assert jobs[0].name == "coupon-0.04-lr-35"
    assert jobs[-1].name == "coupon-0.08-lr-75"
    base = simulator.load_scenario(BASELINE)
    points = [(c, p) for c in coupons for p in prices]
    for job, (c, p) in zip(jobs, points, strict=True):
        assert job.error is None
        assert job.scenario is not None
        assert job.source == str(COUPON_SWEEP)
        assert job.overrides == {COUPON: c, LONG_RUN: p}
        assert job.scenario.naef.coupon_rate == c
        assert job.scenario.oil_price.long_run_usd_per_bbl == p
        # The file's set: keeps the debt sized on the baseline's $53.15 at every point.
        sized = {"naef.sizing_long_run_usd_per_bbl": 53.15}
        _assert_only_changed(
            job.scenario, base, {COUPON: c, LONG_RUN: p, "name": job.name, **sized}
        )
    # All nine points are different scenarios.
    assert len({j.scenario.content_hash() for j in jobs if j.scenario}) == 9


def test_collect_jobs_expands_sweeps_beside_plain_files() -> None:
    jobs = collect_jobs([BASELINE, COUPON_SWEEP, SCENARIOS / "low-price.yaml"])
    assert [j.name for j in jobs][:1] == ["naef-2005"]
    assert [j.name for j in jobs][-1] == "low-price"
    assert len(jobs) == 11
    assert all(j.scenario is not None and j.error is None for j in jobs)


def test_validate_good_sweep_prints_the_count(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["validate", str(COUPON_SWEEP)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert err == ""
    assert "9 scenarios" in out
    assert str(COUPON_SWEEP) in out
    assert "coupon-0.04-lr-35" in out


# ---------------------------------------------------------------------- zip, set, default names


def test_zip_pairs_element_by_element(tmp_path: Path) -> None:
    path = _write_sweep(
        tmp_path,
        {
            "mode": "zip",
            "name": "c{naef.coupon_rate}-t{naef.tenor_years}",
            "sweep": {COUPON: [0.03, 0.05, 0.09], "naef.tenor_years": [15, 20, 25]},
        },
    )
    jobs = expand_sweep(path)
    assert [j.name for j in jobs] == ["c0.03-t15", "c0.05-t20", "c0.09-t25"]
    base = simulator.load_scenario(BASELINE)
    for job, (c, t) in zip(jobs, [(0.03, 15), (0.05, 20), (0.09, 25)], strict=True):
        assert job.scenario is not None
        assert job.overrides == {COUPON: c, "naef.tenor_years": t}
        _assert_only_changed(
            job.scenario, base, {COUPON: c, "naef.tenor_years": t, "name": job.name}
        )


def test_set_block_applies_to_every_point(tmp_path: Path) -> None:
    path = _write_sweep(
        tmp_path,
        {
            "name": "p{oil_price.long_run_usd_per_bbl}",
            "sweep": {LONG_RUN: [40, 60, 80]},
            "set": {"simulation.paths": 777, "waterfall.mdf_share": 0.5},
        },
    )
    jobs = expand_sweep(path)
    base = simulator.load_scenario(BASELINE)
    assert [j.name for j in jobs] == ["p40", "p60", "p80"]
    for job, p in zip(jobs, [40, 60, 80], strict=True):
        assert job.scenario is not None
        assert job.scenario.simulation.paths == 777
        assert job.scenario.waterfall.mdf_share == 0.5
        _assert_only_changed(
            job.scenario,
            base,
            {
                LONG_RUN: p,
                "simulation.paths": 777,
                "waterfall.mdf_share": 0.5,
                "name": job.name,
            },
        )


def test_default_names_are_unique(tmp_path: Path) -> None:
    path = _write_sweep(
        tmp_path, {"sweep": {COUPON: [0.04, 0.05, 0.06], LONG_RUN: [30, 40, 50, 60]}}, "grid.yaml"
    )
    jobs = expand_sweep(path)
    names = [j.name for j in jobs]
    assert len(names) == 12
    assert len(set(names)) == 12
    assert all(n.startswith("grid") for n in names)
    for name in names:
        assert safe_run_name(name) == name


# ---------------------------------------------------------------------- safe names


def _assert_inside(name: str, out: Path) -> None:
    assert name
    assert "/" not in name and "\\" not in name
    assert ".." not in name
    assert not name.startswith(".")
    assert (out / name).resolve().parent == out.resolve()


@pytest.mark.parametrize(
    ("template", "want"),
    [
        ("../{naef.coupon_rate}", ["0.04", "0.06"]),
        ("/abs/{naef.coupon_rate}", ["abs-0.04", "abs-0.06"]),
        ("a b/c{naef.coupon_rate}", ["a-b-c0.04", "a-b-c0.06"]),
        ("../../etc/{naef.coupon_rate}/..", ["etc-0.04", "etc-0.06"]),
    ],
)
def test_unsafe_templates_stay_inside_the_output_folder(
    template: str, want: list[str], tmp_path: Path
) -> None:
    sweep_dir = tmp_path / "in"
    sweep_dir.mkdir()
    path = _write_sweep(sweep_dir, {"name": template, "sweep": {COUPON: [0.04, 0.06]}})
    jobs = expand_sweep(path)
    out = tmp_path / "out"
    for job in jobs:
        _assert_inside(job.name, out)
    assert [j.name for j in jobs] == want
    # Running it writes the run folders inside --out and nowhere else.
    catalog = run_batch(jobs, out=out, paths=200, workers=1)
    assert list(catalog["status"]) == ["ok", "ok"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    assert sorted(p.name for p in sweep_dir.iterdir()) == ["sweep.yaml"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*want, "catalog.parquet"])


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("a b/c", "a-b-c"),
        ("../x", "x"),
        ("/abs/path", "abs-path"),
        ("..", "scenario"),
        (".hidden", "hidden"),
        ("coupon-0.04-lr-35", "coupon-0.04-lr-35"),
        ("a..b", "a.b"),
    ],
)
def test_safe_run_name_examples(raw: str, want: str) -> None:
    assert safe_run_name(raw) == want


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_safe_run_name_never_leaves_the_folder(raw: str) -> None:
    name = safe_run_name(raw)
    _assert_inside(name, Path("/srv/out"))
    assert len(name) <= 100
    assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in name)
    assert safe_run_name(name) == name


# ---------------------------------------------------------------------- errors


def _check_cli_error(
    path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    field: str,
    *needles: str,
) -> None:
    """validate and batch both exit 2 with one line naming the file and field; nothing runs."""
    out_dir = tmp_path / "out"
    for argv in (
        ["validate", str(path)],
        ["batch", str(path), "--out", str(out_dir), "--workers", "1", "--quiet"],
    ):
        rc = main(argv)
        out, err = capsys.readouterr()
        assert rc == 2, (argv, out, err)
        line = _one_error_line(err)
        assert str(path) in line
        assert f": {field}: " in line, line
        for needle in needles:
            assert needle in line, line
        assert out == ""
        # Nothing was written: the batch did not even create its output folder.
        assert not out_dir.exists()


def test_unknown_swept_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_sweep(tmp_path, {"sweep": {"naef.coupon_rat": [0.04, 0.05]}})
    with pytest.raises(simulator.ScenarioError) as info:
        expand_sweep(path)
    assert info.value.field == "sweep.naef.coupon_rat"
    assert "naef.coupon_rate" in info.value.problem  # the suggestion
    _check_cli_error(
        path, tmp_path, capsys, "sweep.naef.coupon_rat", "unknown field", "did you mean"
    )


def test_unknown_section_in_swept_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_sweep(tmp_path, {"sweep": {"nafe.coupon_rate": [0.04]}})
    with pytest.raises(simulator.ScenarioError):
        expand_sweep(path)
    _check_cli_error(path, tmp_path, capsys, "sweep.nafe.coupon_rate", "naef.coupon_rate")


def test_zip_with_unequal_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_sweep(
        tmp_path, {"mode": "zip", "sweep": {COUPON: [0.04, 0.05, 0.06], LONG_RUN: [35, 50]}}
    )
    with pytest.raises(simulator.ScenarioError) as info:
        expand_sweep(path)
    assert info.value.field == "sweep"
    _check_cli_error(path, tmp_path, capsys, "sweep", "unequal", "zip")


def test_bad_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_sweep(tmp_path, {"mode": "product", "sweep": {COUPON: [0.04, 0.05]}})
    with pytest.raises(simulator.ScenarioError) as info:
        expand_sweep(path)
    assert info.value.field == "mode"
    _check_cli_error(path, tmp_path, capsys, "mode", "product", "grid", "zip")


def test_missing_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nobase.yaml"
    path.write_text(yaml.safe_dump({"mode": "grid", "sweep": {COUPON: [0.04, 0.05]}}))
    with pytest.raises(simulator.ScenarioError) as info:
        expand_sweep(path)
    assert info.value.field == "base"
    _check_cli_error(path, tmp_path, capsys, "base")


def test_base_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_sweep(tmp_path, {"base": "no-such-base.yaml", "sweep": {COUPON: [0.04]}})
    with pytest.raises(simulator.ScenarioError) as info:
        expand_sweep(path)
    # The error is about the sweep's base (not about a point of the sweep) and names the file.
    assert info.value.field == "base", str(info.value)
    assert "no-such-base.yaml" in str(info.value)
    rc = main(["batch", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    _, err = capsys.readouterr()
    assert rc == 2
    assert "no-such-base.yaml" in _one_error_line(err)
    assert not (tmp_path / "out").exists()


def test_point_out_of_bounds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The bad value is the last point: the good points before it must not run either.
    path = _write_sweep(tmp_path, {"sweep": {COUPON: [0.04, 0.05, -0.1]}})
    with pytest.raises(simulator.ScenarioError) as info:
        expand_sweep(path)
    assert info.value.field == COUPON
    assert info.value.source == str(path)
    _check_cli_error(path, tmp_path, capsys, COUPON, "-0.1")


def test_name_template_with_a_key_that_is_not_swept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_sweep(
        tmp_path, {"name": "c{naef.coupon_rate}-t{naef.tenor_years}", "sweep": {COUPON: [0.04]}}
    )
    with pytest.raises(simulator.ScenarioError) as info:
        expand_sweep(path)
    assert info.value.field == "name"
    assert "naef.tenor_years" in info.value.problem
    _check_cli_error(path, tmp_path, capsys, "name", "naef.tenor_years")


def test_two_points_with_the_same_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_sweep(
        tmp_path,
        {"name": "coupon-{naef.coupon_rate}", "sweep": {COUPON: [0.04, 0.05], LONG_RUN: [35, 50]}},
    )
    with pytest.raises(simulator.ScenarioError) as info:
        expand_sweep(path)
    assert info.value.field == "name"
    assert "coupon-0.04" in info.value.problem
    _check_cli_error(path, tmp_path, capsys, "name", "coupon-0.04")


def test_index_in_the_name_template(tmp_path: Path) -> None:
    path = _write_sweep(tmp_path, {"name": "x{index}", "sweep": {COUPON: [0.04, 0.05]}})
    assert [j.name for j in expand_sweep(path)] == ["x0", "x1"]


def test_empty_sweep_and_non_list_values(tmp_path: Path) -> None:
    for sweep in ({}, {COUPON: 0.05}, {COUPON: []}):
        path = _write_sweep(tmp_path, {"sweep": sweep})
        with pytest.raises(simulator.ScenarioError) as info:
            expand_sweep(path)
        assert info.value.field.startswith("sweep")


def test_unknown_top_level_key_of_a_sweep(tmp_path: Path) -> None:
    path = _write_sweep(tmp_path, {"sweeps": {}, "sweep": {COUPON: [0.04]}})
    with pytest.raises(simulator.ScenarioError) as info:
        expand_sweep(path)
    assert info.value.field == "sweeps"


def test_sweep_values_keep_their_type_in_names() -> None:
    # 35 (an int in the YAML) prints as 35, not 35.0; 0.04 prints as 0.04.
    names = [j.name for j in expand_sweep(COUPON_SWEEP)]
    assert not any(n.endswith(".0") for n in names)
    assert all(math.isfinite(float(n.split("-")[1])) for n in names)
