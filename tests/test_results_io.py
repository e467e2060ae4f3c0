"""Results on disk and in memory: the run folder round trip, atomic writing, and the views
(series, fans, ledger, summary) checked against numbers computed directly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.outputs import SERIES
from simulator.run.results import Results, is_complete_run

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "naef-2005.yaml"
PATHS = 1000
SEED = 4242
PCT_COLS = ["p5", "p10", "p25", "p50", "p75", "p90", "p95"]
RUN_FILES = {
    "scenario.yaml",
    "manifest.json",
    "metrics.parquet",
    "fan.parquet",
    "summary.json",
    "ledger.parquet",
    "sectors.parquet",
    "sector_ledger.parquet",
}


@pytest.fixture(scope="module")
def scenario() -> simulator.Scenario:
    return simulator.load_scenario(BASELINE)


@pytest.fixture(scope="module")
def results(scenario: simulator.Scenario) -> Results:
    return simulator.simulate(scenario, paths=PATHS, seed=SEED)


def _strict_json(text: str) -> Any:
    """Parse JSON, refusing the non-standard NaN / Infinity tokens other tools choke on."""

    def refuse(token: str) -> None:
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ---------------------------------------------------------------------- round trip


def test_run_folder_holds_exactly_the_contract_files(results: Results, tmp_path: Path) -> None:
    out = results.to_dir(tmp_path / "run")
    assert out == tmp_path / "run"
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert is_complete_run(out)
    fan = pd.read_parquet(out / "fan.parquet")
    assert list(fan.columns) == ["year", "series", "percentile", "value"]
    assert set(fan["series"]) == set(SERIES)
    assert set(fan["percentile"]) == set(PCT_COLS)
    assert set(fan["year"]) == set(results.scenario.years)
    assert len(fan) == len(SERIES) * len(PCT_COLS) * results.scenario.horizon.years
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert len(metrics) == PATHS
    ledger = pd.read_parquet(out / "ledger.parquet")
    assert "year" in ledger.columns
    assert list(ledger["year"]) == list(results.scenario.years)
    summary = _strict_json((out / "summary.json").read_text())
    assert summary["headline"]["prob_default"] == pytest.approx(
        results.headline()["prob_default"], abs=0
    )
    assert set(summary["metrics"]) == set(results.metrics.columns)
    _strict_json((out / "manifest.json").read_text())


def test_round_trip_is_exact(results: Results, tmp_path: Path) -> None:
    back = Results.from_dir(results.to_dir(tmp_path / "run"))
    pd.testing.assert_frame_equal(back.metrics, results.metrics, check_exact=True)
    pd.testing.assert_frame_equal(back.fans(), results.fans(), check_exact=True)
    pd.testing.assert_frame_equal(back.ledger(), results.ledger(), check_exact=True)
    for name in ("dscr", "mdf_inflow_usd_bn", "oil_price_usd_per_bbl"):
        pd.testing.assert_frame_equal(back.fan(name), results.fan(name), check_exact=True)
    pd.testing.assert_frame_equal(back.summary(), results.summary(), check_exact=True)
    assert back.scenario == results.scenario
    assert back.scenario.content_hash() == results.scenario.content_hash()
    assert back.seed == SEED
    assert back.paths == PATHS
    # A folder stores fans, not paths: asking for a path series says so.
    with pytest.raises(KeyError):
        back.series("dscr")


def test_manifest_records_the_run(results: Results, tmp_path: Path) -> None:
    back = Results.from_dir(results.to_dir(tmp_path / "run"))
    man = back.manifest
    assert man["version"] == simulator.__version__
    assert man["seed"] == SEED
    assert man["paths"] == PATHS
    assert man["input_hash"] == results.scenario.content_hash()
    timings = man["timings"]
    assert isinstance(timings, dict)
    assert "simulate_s" in timings and "write_s" in timings
    assert all(isinstance(v, int | float) and v >= 0 for v in timings.values())
    assert man["identity_max_residual"] < 1e-9


def test_scenario_yaml_reloads_and_reproduces_the_run(results: Results, tmp_path: Path) -> None:
    out = results.to_dir(tmp_path / "run")
    again = simulator.load_scenario(out / "scenario.yaml")
    assert again.to_dict() == results.scenario.to_dict()
    assert again.content_hash() == results.manifest["input_hash"]
    rerun = simulator.simulate(again, paths=PATHS, seed=SEED)
    pd.testing.assert_frame_equal(rerun.metrics, results.metrics, check_exact=True)


def test_non_default_scenario_round_trips(scenario: simulator.Scenario, tmp_path: Path) -> None:
    """Every section changed from the defaults survives scenario.yaml."""
    sc = scenario.with_overrides(
        {
            "name": "odd run",
            "description": "unicode: año, Peñasco",
            "horizon.years": 30,
            "oil_price.model": "two_factor",
            "oil_price.fixed_path_usd_per_bbl": [60.5, 61.25],
            "naef.issuance_usd_bn": [10, 20.5],
            "naef.amortization": "linear",
            "pemex.decline_b": 0.5,
            "fiscal.royalty_rate": 0.1,
            "waterfall.mdf_share": 0.75,
            "mdf.spend_rate": 0.5,
            "reporting.percentiles": [1, 50, 99],
        }
    )
    res = simulator.simulate(sc, paths=200, seed=1)
    back = Results.from_dir(res.to_dir(tmp_path / "odd"))
    assert back.scenario == sc
    assert list(back.fan("dscr").columns) == ["p1", "p50", "p99"]
    pd.testing.assert_frame_equal(back.metrics, res.metrics, check_exact=True)


# ---------------------------------------------------------------------- atomic writing


def _failing_to_parquet(monkeypatch: pytest.MonkeyPatch, fail_on_call: int) -> list[int]:
    calls: list[int] = []
    real = pd.DataFrame.to_parquet

    def flaky(self: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == fail_on_call:
            raise OSError(28, "No space left on device (simulated)")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", flaky)
    return calls


@pytest.mark.parametrize("fail_on_call", [1, 2, 3])
def test_failed_write_leaves_no_folder(
    results: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on_call: int
) -> None:
    parent = tmp_path / "runs"
    target = parent / "run"
    calls = _failing_to_parquet(monkeypatch, fail_on_call)
    with pytest.raises(OSError, match="simulated"):
        results.to_dir(target)
    assert len(calls) == fail_on_call
    assert not target.exists()
    leftovers = list(parent.iterdir()) if parent.exists() else []
    assert leftovers == [], f"temporary files left behind: {leftovers}"


def test_failed_overwrite_keeps_the_previous_run(
    results: Results,
    scenario: simulator.Scenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parent = tmp_path / "runs"
    target = results.to_dir(parent / "run")
    before = _snapshot(target)
    other = simulator.simulate(scenario, paths=300, seed=SEED + 1)
    _failing_to_parquet(monkeypatch, 2)
    with pytest.raises(OSError, match="simulated"):
        other.to_dir(target)
    assert [p.name for p in parent.iterdir()] == ["run"], list(parent.iterdir())
    assert _snapshot(target) == before
    monkeypatch.undo()
    back = Results.from_dir(target)
    assert back.seed == SEED and back.paths == PATHS


def test_failure_computing_fans_leaves_no_folder(
    results: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Results) -> pd.DataFrame:
        raise RuntimeError("fans failed (simulated)")

    monkeypatch.setattr(Results, "fans", broken)
    parent = tmp_path / "runs"
    with pytest.raises(RuntimeError, match="simulated"):
        results.to_dir(parent / "run")
    assert list(parent.iterdir()) == []


def test_successful_overwrite_replaces_and_cleans_up(
    results: Results, scenario: simulator.Scenario, tmp_path: Path
) -> None:
    parent = tmp_path / "runs"
    target = results.to_dir(parent / "run")
    other = simulator.simulate(scenario, paths=300, seed=SEED + 1)
    other.to_dir(target)
    assert [p.name for p in parent.iterdir()] == ["run"]
    back = Results.from_dir(target)
    assert back.seed == SEED + 1 and back.paths == 300
    pd.testing.assert_frame_equal(back.metrics, other.metrics, check_exact=True)
    with pytest.raises(FileExistsError):
        results.to_dir(target, overwrite=False)
    assert Results.from_dir(target).seed == SEED + 1


def test_folder_without_manifest_is_not_a_complete_run(results: Results, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not is_complete_run(empty)
    assert not is_complete_run(tmp_path / "does-not-exist")
    out = results.to_dir(tmp_path / "run")
    assert is_complete_run(out)
    (out / "manifest.json").unlink()
    assert not is_complete_run(out)
    with pytest.raises(simulator.InputError):
        Results.from_dir(out)


# ---------------------------------------------------------------------- views


def test_series_is_labelled_by_year_and_path(results: Results) -> None:
    years = list(results.scenario.years)
    assert years[0] == 2006 and len(years) == 35
    for name in SERIES:
        s = results.series(name)
        assert s.index.name == "year"
        assert list(s.index) == years
        assert list(s.columns) == list(range(PATHS))
        assert s.to_numpy().dtype == np.float64


@pytest.mark.parametrize("method", ["series", "fan"])
def test_unknown_series_name_raises_key_error(results: Results, method: str) -> None:
    with pytest.raises(KeyError):
        getattr(results, method)("oil_price")
    with pytest.raises(KeyError):
        getattr(results, method)("no_such_series")


def test_fans_are_monotone_and_match_numpy(results: Results) -> None:
    for name in SERIES:
        fan = results.fan(name)
        assert list(fan.columns) == PCT_COLS, name
        assert list(fan.index) == list(results.scenario.years), name
        values = fan.to_numpy()
        defined = ~np.isnan(values).all(axis=1)
        # A row is either all defined or all undefined (e.g. DSCR before any debt service).
        assert not np.isnan(values[defined]).any(), name
        steps = np.diff(values[defined], axis=1)
        assert (steps >= 0).all(), f"{name}: fan not monotone, worst step {steps.min()}"
        direct = np.nanpercentile(results.series(name).to_numpy()[defined], 50, axis=1)
        np.testing.assert_allclose(fan["p50"].to_numpy()[defined], direct, rtol=1e-12, atol=0)


def test_ledger_balances(results: Results) -> None:
    led = results.ledger()
    assert list(led.index) == list(results.scenario.years)
    sources = (
        led["cash_usd_bn"]
        + led["interest_reserve_paid_usd_bn"]
        + led["dsra_draw_usd_bn"]
        + led["dsra_release_usd_bn"]
        + led["backstop_draw_usd_bn"]
    )
    uses = (
        led["debt_service_paid_usd_bn"]
        + led["dsra_topup_usd_bn"]
        + led["cash_trapped_usd_bn"]
        + led["backstop_repaid_usd_bn"]
        + led["debt_prepaid_usd_bn"]
        + led["mdf_inflow_usd_bn"]
        + led["pemex_retained_usd_bn"]
    )
    np.testing.assert_allclose(sources.to_numpy(), uses.to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        led["debt_service_paid_usd_bn"].to_numpy(),
        (
            led["debt_service_due_usd_bn"]
            + led["interest_reserve_paid_usd_bn"]
            - led["shortfall_usd_bn"]
        ).to_numpy(),
        rtol=0,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        led["cfads_usd_bn"].to_numpy(),
        (led["revenue_usd_bn"] - led["opex_usd_bn"] - led["government_take_usd_bn"]).to_numpy(),
        rtol=0,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        led["cash_usd_bn"].to_numpy(),
        (led["cfads_usd_bn"] + led["reserve_income_usd_bn"]).to_numpy(),
        rtol=0,
        atol=1e-9,
    )
    # Something actually flows: the identity is not trivially 0 = 0.
    assert led["mdf_inflow_usd_bn"].sum() > 1.0
    assert led["debt_service_paid_usd_bn"].sum() > 1.0
    # The proceeds pay fees, the interest reserve, the reserve account at close and capex,
    # once: with face sizing their sum is the issuance, and the fees its share.
    naef = results.scenario.naef
    proceeds = (
        led["capex_usd_bn"]
        + led["fees_usd_bn"]
        + led["interest_reserve_funding_usd_bn"]
        + led["dsra_close_funding_usd_bn"]
    )
    assert proceeds.sum() == pytest.approx(sum(naef.issuance_usd_bn), rel=1e-12)
    assert led["fees_usd_bn"].sum() == pytest.approx(
        sum(naef.issuance_usd_bn) * naef.issuance_cost_rate, rel=1e-12
    )


def test_ledger_means_agree_with_the_path_series(results: Results) -> None:
    """With every path kept, the ledger's means are the means of the per-path series."""
    led = results.ledger()
    for name in (
        "revenue_usd_bn",
        "opex_usd_bn",
        "cfads_usd_bn",
        "debt_service_due_usd_bn",
        "debt_service_paid_usd_bn",
        "shortfall_usd_bn",
        "backstop_draw_usd_bn",
        "mdf_inflow_usd_bn",
    ):
        direct = results.series(name).mean(axis=1).to_numpy()
        np.testing.assert_allclose(led[name].to_numpy(), direct, rtol=1e-10, atol=1e-12)


def test_summary_agrees_with_numpy(results: Results) -> None:
    m = results.metrics
    s = results.summary()
    assert list(s.index) == list(m.columns)
    for name in m.columns:
        x = m[name].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        row = s.loc[name]
        assert int(row["n"]) == x.size, name
        if x.size == 0:
            continue
        np.testing.assert_allclose(row["mean"], x.mean(), rtol=1e-12, err_msg=name)
        for col in PCT_COLS:
            q = float(col[1:])
            np.testing.assert_allclose(
                row[col], np.percentile(x, q), rtol=1e-12, atol=1e-12, err_msg=f"{name} {col}"
            )
        if m[name].dtype != bool and x.size > 1:
            np.testing.assert_allclose(row["sd"], x.std(ddof=1), rtol=1e-10, err_msg=name)
            np.testing.assert_allclose(
                row["se"], x.std(ddof=1) / np.sqrt(x.size), rtol=1e-10, err_msg=name
            )
    assert s.loc["distress", "mean"] == pytest.approx(m["distress"].mean(), abs=0)


def test_atomic_file_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    """New content appears only whole, with the usual permissions; a failure keeps the old."""
    import os
    import stat

    from simulator.run.results import atomic_file

    target = tmp_path / "table.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_file(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.txt"]
    with atomic_file(target) as tmp:
        tmp.write_text("new", encoding="utf-8")
        assert target.read_text(encoding="utf-8") == "old"  # not yet
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["table.txt"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
