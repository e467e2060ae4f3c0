"""The verdict (DESIGN F): its figures recomputed here from the run's per-path metrics and
series with numpy and closed forms, its rules on hand-made cases, and its place at the end of
``naef run``'s summary."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.analysis.verdict import Claim, Verdict, verdict
from simulator.cli import main
from simulator.run.results import Results

ROOT = Path(__file__).resolve().parents[1]
PATHS = 1500
SEED = 2005


@pytest.fixture(scope="module")
def baseline() -> Results:
    sc = simulator.load_scenario(ROOT / "scenarios" / "naef-2005.yaml")
    return simulator.simulate(sc, paths=PATHS, seed=SEED, keep_series=True)


def test_figures_are_the_runs(baseline: Results) -> None:
    v = verdict(baseline)
    m = baseline.metrics
    k = int(m["default"].sum())
    assert v.probability_of_default == k / PATHS
    if k == 0:  # Clopper-Pearson's one-sided bound with no default: 1 - 0.05^(1/n)
        assert v.probability_of_default_upper == pytest.approx(1 - 0.05 ** (1 / PATHS))
    assert v.probability_pemex_support == pytest.approx(m["pemex_support"].mean())
    mdf = np.sort(m["mdf_inflow_pv_usd_bn"].to_numpy())
    assert v.mdf_pv[1] == pytest.approx(np.median(mdf))
    # The yearly amount to Mexico: the PV as a level annuity over the horizon.
    sc = baseline.scenario
    r, n = sc.reporting.discount_rate, sc.horizon.years
    yearly = m["mexico_benefit_pv_usd_bn"].to_numpy() * r / (1 - (1 + r) ** -n)
    revenue = v.claims[1]
    assert revenue.p50 == pytest.approx(np.median(yearly))
    assert revenue.share_met == pytest.approx(np.mean(yearly >= 12.0))
    # Exports: the added oil of 2010 (row 4 from 2006), all exported, against 1,870 kb/d.
    kbd = baseline.series("production_kbd").loc[2010].to_numpy() * (1 - sc.pemex.gas_share_boe)
    assert m["added_oil_fifth_year_kbd"].to_numpy().tolist() == kbd.tolist()
    exports = v.claims[0]
    assert exports.target == 1870.0
    assert exports.p50 == pytest.approx(np.median(kbd))
    assert exports.share_met == pytest.approx(np.mean(kbd >= 1870.0))
    irr = m["project_irr"].to_numpy()
    assert v.claims[2].p50 == pytest.approx(100 * np.nanmedian(irr))


def test_a_run_read_back_gives_the_same_verdict(baseline: Results, tmp_path: Path) -> None:
    back = verdict(Results.from_dir(baseline.to_dir(tmp_path / "run")))
    now = verdict(baseline)
    assert back.probability_of_default == now.probability_of_default
    assert back.claims == now.claims


def test_the_export_claim_counts_every_path_not_the_kept_series(baseline: Results) -> None:
    """With the series of 100 paths of 1,500 kept, the export claim is still over all 1,500."""
    few = simulator.simulate(baseline.scenario, paths=PATHS, seed=SEED, keep_series=100)
    assert verdict(few).claims[0] == verdict(baseline).claims[0]


def test_a_folder_without_the_fifth_years_oil_falls_back_to_its_fans(
    baseline: Results, tmp_path: Path
) -> None:
    """A run folder written before the metric existed: the export claim's percentiles come
    from the fans of production (within their interpolation), its share of paths is unknown."""
    folder = baseline.to_dir(tmp_path / "run")
    metrics = pd.read_parquet(folder / "metrics.parquet")
    metrics.drop(columns="added_oil_fifth_year_kbd").to_parquet(folder / "metrics.parquet")
    back = verdict(Results.from_dir(folder))
    now = verdict(baseline)
    assert math.isnan(back.claims[0].share_met)
    assert back.claims[0].p50 == pytest.approx(now.claims[0].p50, rel=1e-12)
    assert back.claims[1:] == now.claims[1:]


def _case(**over: object) -> Verdict:
    claim = Claim("c", "s", 1.0, "-", 0.5, 1.5, 2.0, 0.7)
    base = Verdict(
        scenario="x",
        paths=1000,
        probability_of_default=0.0,
        probability_of_default_upper=0.003,
        probability_standalone_default=0.0,
        probability_pemex_support=0.01,
        pemex_support_pv_mean=0.1,
        rating="Aaa",
        investment_grade=True,
        mdf_pv=(1.0, 2.0, 3.0),
        mexico_pv=(1.0, 2.0, 3.0),
        claims=(claim,),
    )
    return replace(base, **over)  # type: ignore[arg-type]


def test_rules() -> None:
    assert _case().headline().startswith("The structure holds")
    leaning = _case(probability_pemex_support=0.25)
    assert leaning.holds and leaning.leans_on_pemex
    assert "Pemex stands behind them" in leaning.headline() and "25%" in leaning.headline()
    failing = _case(investment_grade=False, rating="Ba")
    assert failing.headline().startswith("The structure does not")
    # Without a rating (the horizon ends too early): the 95% bound against 1%.
    early = _case(rating=None, investment_grade=None, probability_of_default_upper=0.02)
    assert early.holds is False
    assert _case(rating=None, investment_grade=None).holds is True
    met = Claim("c", "s", 1.0, "-", 0.5, 1.5, 2.0, 0.7).text()
    assert "met on the median path" in met and "not met" not in met and "70%" in met


def test_naef_run_ends_with_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["run", str(ROOT / "scenarios" / "naef-2005.yaml"), "--paths", "400", "--no-write"])
    out = capsys.readouterr().out
    assert rc == 0
    tail = out[out.index("Verdict") :]
    for text in ("Default:", "Exports doubled by 2010", "US$12bn a year", "35% IRR"):
        assert text in tail


def test_a_horizon_of_four_years_has_no_fifth_years_oil() -> None:
    """Four simulated years (two tranches): the metric is NaN on every path, and the export
    claim, whose year is outside the horizon, has no figures."""
    sc = simulator.load_scenario(ROOT / "scenarios" / "naef-2005.yaml").with_overrides(
        {"horizon.years": 4, "naef.issuance_usd_bn": [40.0, 35.0]}
    )
    res = simulator.simulate(sc, paths=50, seed=SEED)
    assert res.metrics["added_oil_fifth_year_kbd"].isna().all()
    exports = verdict(res).claims[0]
    assert math.isnan(exports.p50) and math.isnan(exports.share_met)
