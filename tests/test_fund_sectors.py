"""The Development Fund's sectors in a whole run (DESIGN E): the scenario field, the outputs by
sector, the refusals. The sectors' formulas themselves are checked by hand in
``tests/test_sectors.py``; here a run with sectors is checked against a run of the first
stage's single stock, against its own totals, and against sums written out below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import simulator
from simulator.cli import main
from simulator.run.results import Results

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "naef-2005.yaml"
SECTORS = ROOT / "scenarios" / "mdf-sectors.yaml"
PATHS = 2000
SEED = 515


def one_stock(sc: simulator.Scenario) -> dict[str, Any]:
    """The baseline's single stock, written as one capital sector."""
    m = sc.mdf
    return {
        "name": "infrastructure",
        "kind": "capital",
        "share": 1.0,
        "efficiency": m.efficiency,
        "gestation_years": 0,
        "depreciation_rate": m.depreciation_rate,
        "output_elasticity": m.output_elasticity,
        "baseline_capital_to_gdp": m.public_capital_to_gdp,
    }


@pytest.fixture(scope="module")
def base() -> simulator.Scenario:
    return simulator.load_scenario(BASELINE)


@pytest.fixture(scope="module")
def run_sectors() -> Results:
    return simulator.simulate(simulator.load_scenario(SECTORS), paths=PATHS, seed=SEED)


def test_one_capital_sector_is_the_first_stages_single_stock(base: simulator.Scenario) -> None:
    """One capital sector of share 1, gestation 0, no lending: the first stage's run."""
    single = simulator.simulate(base, paths=PATHS, seed=SEED)
    sector = simulator.simulate(
        base.with_overrides({"mdf.sectors": [one_stock(base)]}), paths=PATHS, seed=SEED
    )
    for name in (
        "infrastructure_investment_total_usd_bn",
        "infrastructure_capital_final_usd_bn",
        "gdp_uplift_final_pct",
        "gdp_uplift_pv_usd_bn",
    ):
        a = single.metrics[name].to_numpy()
        b = sector.metrics[name].to_numpy()
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12, err_msg=name)
    assert single.metrics["gdp_uplift_pv_usd_bn"].mean() > 1.0  # not a run of zeros
    assert single.by_sector().index.tolist() == ["infrastructure"]
    assert sector.by_sector().index.tolist() == ["infrastructure"]


def test_sectors_add_up_to_the_fund(run_sectors: Results) -> None:
    """Per path, the sectors' investment is the fund's and their uplifts add up to the whole;
    the sector ledger's means are the means of the per-path totals."""
    m = run_sectors.metrics
    by = run_sectors.sector_metrics()
    names = list(run_sectors.scenario.mdf.sector_names)
    assert names == ["transport", "water_energy", "education", "sme_credit"]
    np.testing.assert_allclose(
        by["investment_total_usd_bn"][names].sum(axis=1).to_numpy(),
        m["infrastructure_investment_total_usd_bn"].to_numpy(),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        by["gdp_uplift_pv_usd_bn"][names].sum(axis=1).to_numpy(),
        m["gdp_uplift_pv_usd_bn"].to_numpy(),
        rtol=1e-9,
    )
    shares = {s.name: s.share for s in run_sectors.scenario.mdf.sectors}
    for name in names:  # each sector gets its share of every year's investment
        np.testing.assert_allclose(
            by[("investment_total_usd_bn", name)].to_numpy(),
            shares[name] * m["infrastructure_investment_total_usd_bn"].to_numpy(),
            rtol=1e-12,
        )
    ledger = run_sectors.sector_ledger()
    total = sum(ledger[("sector_investment_usd_bn", n)].sum() for n in names)
    assert total == pytest.approx(m["infrastructure_investment_total_usd_bn"].mean(), rel=1e-9)
    table = run_sectors.by_sector()
    assert table["gdp_uplift_share"].sum() == pytest.approx(1.0, rel=1e-9)
    assert (table["gdp_uplift_pv_usd_bn"] > 0).all()


def test_lending_sector_returns_money_not_gdp(run_sectors: Results) -> None:
    """The loans come back to the fund and some are written off; what comes back is not GDP:
    with no additionality the lending sector adds no uplift, however much it lends."""
    m = run_sectors.metrics
    assert m["loan_receipts_total_usd_bn"].mean() > 0
    assert m["loans_written_off_total_usd_bn"].mean() > 0
    lent = run_sectors.sector_metrics()[("investment_total_usd_bn", "sme_credit")].to_numpy()
    # Nothing comes back beyond what was lent with its interest at the loan rate.
    rate = next(s.loan_rate for s in run_sectors.scenario.mdf.sectors if s.kind == "lending")
    assert rate is not None
    years = run_sectors.scenario.horizon.years
    assert np.all(m["loan_receipts_total_usd_bn"].to_numpy() <= lent * (1 + rate) ** years)
    idle = simulator.simulate(
        run_sectors.scenario.with_overrides({"mdf.sectors.sme_credit.additionality": 0.0}),
        paths=200,
        seed=SEED,
    )
    uplift = idle.sector_metrics()[("gdp_uplift_pv_usd_bn", "sme_credit")].to_numpy()
    assert np.all(uplift == 0.0)
    assert idle.metrics["loan_receipts_total_usd_bn"].mean() > 0  # still lending


def test_gestation_delays_a_sectors_capital(base: simulator.Scenario) -> None:
    """Gestation g: the sector's capital is 0 until g years after the first investment and
    then what it would have been g years earlier, undepreciated meanwhile (inflows are the
    same on common random numbers)."""
    sector = one_stock(base)
    g = 3
    now = simulator.simulate(
        base.with_overrides({"mdf.sectors": [sector]}), paths=100, seed=SEED, keep_series=True
    )
    later = simulator.simulate(
        base.with_overrides({"mdf.sectors": [{**sector, "gestation_years": g}]}),
        paths=100,
        seed=SEED,
        keep_series=True,
    )
    k0 = now.series("infrastructure_capital_usd_bn").to_numpy()
    kg = later.series("infrastructure_capital_usd_bn").to_numpy()
    np.testing.assert_array_equal(kg[:g], 0.0)
    np.testing.assert_allclose(kg[g:], k0[:-g], rtol=1e-12, atol=1e-12)
    assert k0[:-g].max() > 0


def test_run_folder_keeps_the_sectors(run_sectors: Results, tmp_path: Path) -> None:
    back = Results.from_dir(run_sectors.to_dir(tmp_path / "run"))
    assert back.by_sector().equals(run_sectors.by_sector())
    assert back.sector_ledger().equals(run_sectors.sector_ledger())


def test_set_a_sectors_field_by_its_name(base: simulator.Scenario) -> None:
    sc = simulator.load_scenario(
        SECTORS,
        overrides={
            "mdf.sectors.transport.share": 0.5,
            "mdf.sectors.water_energy.share": 0.1,
        },
    )
    shares = {s.name: s.share for s in sc.mdf.sectors}
    assert shares == {"transport": 0.5, "water_energy": 0.1, "education": 0.25, "sme_credit": 0.15}


def _write(tmp_path: Path, sectors: list[dict[str, Any]]) -> Path:
    path = tmp_path / "bad.yaml"
    text = yaml.safe_dump({"extends": str(BASELINE), "name": "bad", "mdf": {"sectors": sectors}})
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("sectors", "field", "want"),
    [
        (
            [
                {"name": "a", "share": 0.5, "output_elasticity": 0.1, "baseline_capital_to_gdp": 1},
                {"name": "b", "share": 0.4, "output_elasticity": 0.1, "baseline_capital_to_gdp": 1},
            ],
            "mdf.sectors",
            "sum to 1",
        ),
        (
            [
                {
                    "name": "a",
                    "share": 1.0,
                    "output_elasticity": 0.1,
                    "baseline_capital_to_gdp": 1,
                    "loan_rate": 0.1,
                }
            ],
            "loan_rate",
            "null for a capital sector",
        ),
        ([{"name": "a", "kind": "lending", "share": 1.0}], "output_elasticity", "a value"),
        (
            [
                {"name": "a", "share": 0.5, "output_elasticity": 0.1, "baseline_capital_to_gdp": 1},
                {"name": "a", "share": 0.5, "output_elasticity": 0.1, "baseline_capital_to_gdp": 1},
            ],
            "name",
            "no other sector",
        ),
    ],
    ids=["shares", "other-kind", "missing", "same-name"],
)
def test_bad_sectors_are_one_line_and_exit_2(
    sectors: list[dict[str, Any]],
    field: str,
    want: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _write(tmp_path, sectors)
    out = tmp_path / "out"
    rc = main(["run", str(path), "--paths", "16", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1, err
    assert str(path) in err and field in err and want in err
    assert not out.exists()


def test_unknown_sector_name_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["run", str(SECTORS), "--no-write", "--set", "mdf.sectors.roads.share=1"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "mdf.sectors.roads.share" in err and "transport" in err


def test_sectors_at_the_bounds_of_the_schema_run_clean() -> None:
    """Every sector at its most extreme (schooling bought at a thousandth of GDP with the
    largest return, a public stock of a hundredth of GDP at elasticity 1, loans that all
    default, a 30-year tenor) while GDP halves each year for two centuries: the run warns of
    nothing (warnings are errors here) and every output is finite."""
    extreme = {
        "horizon.years": 200,
        "mdf.gdp_base_usd_bn": 1,
        "mdf.gdp_growth": -0.5,
        "mdf.spend_rate": 1.0,
        "mdf.max_investment_usd_bn_per_year": 10_000,
        "oil_price.initial_usd_per_bbl": 10_000,
        "mdf.sectors.education.school_year_cost_to_gdp": 0.001,
        "mdf.sectors.education.returns_to_schooling": 0.5,
        "mdf.sectors.education.labour_share": 1.0,
        "mdf.sectors.education.efficiency": 1.0,
        "mdf.sectors.education.gestation_years": 0,
        "mdf.sectors.transport.baseline_capital_to_gdp": 0.01,
        "mdf.sectors.transport.output_elasticity": 1.0,
        "mdf.sectors.sme_credit.default_rate": 1.0,
        "mdf.sectors.sme_credit.loan_rate": 1.0,
        "mdf.sectors.sme_credit.tenor_years": 30,
    }
    res = simulator.simulate(simulator.load_scenario(SECTORS, overrides=extreme), paths=64)
    for name in (
        "gdp_uplift_pv_usd_bn",
        "gdp_uplift_final_pct",
        "loan_receipts_total_usd_bn",
        "loans_written_off_total_usd_bn",
    ):
        assert np.isfinite(res.metrics[name].to_numpy()).all(), name
    assert np.isfinite(res.sector_metrics().to_numpy()).all()
    assert res.by_sector()["gdp_uplift_share"].sum() == pytest.approx(1.0)
    # Every loan defaults in its first year: nothing comes back, all is written off.
    assert (res.metrics["loan_receipts_total_usd_bn"] == 0.0).all()
    assert (res.metrics["loans_written_off_total_usd_bn"] > 0.0).all()
