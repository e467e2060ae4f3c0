"""The tornado and the Sobol analysis vary the fields of the Development Fund's sectors.

References come from ordinary ``simulate`` runs of the scenario with the field set (and, for a
share, with every other sector's share rescaled by the rule written out here:
``s_j' = s_j (1 - s_k') / (1 - s_k)``), and from the definitions of the statistics (the median
over the paths), never from the code under test. Every check uses an output the sectors move
(the GDP uplift): the headline figures are decided before the fund and would not notice a wrong
share.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.analysis.sensitivity import (
    DEFAULT_PARAMETERS,
    default_parameters,
    sobol,
    tornado,
)
from simulator.cli import main
from simulator.run.engine import simulate, simulate_sets
from simulator.scenario import InputError, Scenario
from simulator.scenario.sets import ParameterSets, rescaled_shares

ROOT = Path(__file__).parents[1]
SECTORS_FILE = ROOT / "scenarios" / "mdf-sectors.yaml"
PATHS = 300
SEED = 3
SHARE = "mdf.sectors.transport.share"
ELASTICITY = "mdf.sectors.transport.output_elasticity"
SCHOOLING = "mdf.sectors.education.returns_to_schooling"
SINGLE_STOCK = (
    "mdf.efficiency",
    "mdf.depreciation_rate",
    "mdf.output_elasticity",
    "mdf.public_capital_to_gdp",
)


@pytest.fixture(scope="module")
def sectors() -> Scenario:
    """scenarios/mdf-sectors.yaml: transport 0.35, water_energy 0.25, education 0.25,
    sme_credit 0.15."""
    return simulator.load_scenario(SECTORS_FILE)


def with_share(sc: Scenario, name: str, value: float) -> dict[str, float]:
    """The overrides that set one sector's share, the others rescaled in proportion."""
    old = next(s.share for s in sc.mdf.sectors if s.name == name)
    out = {f"mdf.sectors.{name}.share": value}
    for s in sc.mdf.sectors:
        if s.name != name:
            out[f"mdf.sectors.{s.name}.share"] = s.share * (1.0 - value) / (1.0 - old)
    return out


def overrides(sc: Scenario, values: dict[str, float]) -> dict[str, float]:
    """``values`` as overrides of ``sc``: a share with the others rescaled."""
    out = dict(values)
    for key, value in values.items():
        if key.endswith(".share"):
            out.update(with_share(sc, key.split(".")[2], value))
    return out


def median_of(sc: Scenario, metric: str, *, paths: int, seed: int) -> float:
    x = simulate(sc, paths=paths, seed=seed, keep_series=False).metrics[metric].to_numpy()
    return float(np.median(x[np.isfinite(x)]))


# ---------------------------------------------------------------------------- the rule


def test_one_share_rescales_the_others_in_proportion(sectors: Scenario) -> None:
    got = rescaled_shares(sectors, {SHARE: 0.5})
    assert got[SHARE] == 0.5
    assert got["mdf.sectors.water_energy.share"] == pytest.approx(0.25 * 0.5 / 0.65, rel=1e-14)
    assert got["mdf.sectors.education.share"] == pytest.approx(0.25 * 0.5 / 0.65, rel=1e-14)
    assert got["mdf.sectors.sme_credit.share"] == pytest.approx(0.15 * 0.5 / 0.65, rel=1e-14)
    assert sum(got.values()) == pytest.approx(1.0, abs=1e-15)
    # The scenario with those shares is valid.
    sectors.with_overrides(got)


def test_others_at_zero_split_the_rest_equally(sectors: Scenario) -> None:
    all_in = sectors.with_overrides(
        {
            SHARE: 1.0,
            "mdf.sectors.water_energy.share": 0.0,
            "mdf.sectors.education.share": 0.0,
            "mdf.sectors.sme_credit.share": 0.0,
        }
    )
    got = rescaled_shares(all_in, {SHARE: 0.7})
    for name in ("water_energy", "education", "sme_credit"):
        assert got[f"mdf.sectors.{name}.share"] == pytest.approx(0.1, rel=1e-14)


def test_shares_set_together_leave_the_rest_to_the_others(sectors: Scenario) -> None:
    got = rescaled_shares(
        sectors,
        {SHARE: np.array([0.5, 0.2]), "mdf.sectors.education.share": np.array([0.3, 0.2])},
    )
    # 1 - 0.8 = 0.2 shared 0.25 : 0.15, then 1 - 0.4 = 0.6 so.
    np.testing.assert_allclose(got["mdf.sectors.water_energy.share"], [0.125, 0.375], rtol=1e-14)
    np.testing.assert_allclose(got["mdf.sectors.sme_credit.share"], [0.075, 0.225], rtol=1e-14)
    with pytest.raises(InputError, match=r"summing to 1\.1 in set 1; want at most 1"):
        rescaled_shares(
            sectors, {SHARE: np.array([0.5, 0.6]), "mdf.sectors.education.share": [0.3, 0.5]}
        )


# ---------------------------------------------------------------------------- tornado


@pytest.fixture(scope="module")
def sector_tornado(sectors: Scenario):
    params = [SHARE, SCHOOLING, "mdf.sectors.sme_credit.tenor_years"]
    outputs = ("gdp_uplift_pv_usd_bn", "gdp_uplift_final_pct", "mdf_inflow_pv_p50")
    return tornado(sectors, parameters=params, outputs=outputs, paths=PATHS, seed=SEED)


def test_tornado_ranges_of_sector_fields(sector_tornado) -> None:
    """+-25 % of the scenario's value, as for every other field."""
    r = sector_tornado.ranges
    assert r[SHARE] == pytest.approx((0.35 * 0.75, 0.35 * 1.25))
    assert r[SCHOOLING] == pytest.approx((0.09 * 0.75, 0.09 * 1.25))
    assert r["mdf.sectors.sme_credit.tenor_years"] == (2, 4)
    assert sector_tornado.base_values[SHARE] == 0.35
    assert sector_tornado.base_values[SCHOOLING] == 0.09


def test_tornado_rows_equal_ordinary_runs_with_rescaled_shares(
    sectors: Scenario, sector_tornado
) -> None:
    table = sector_tornado.table()
    base = simulate(sectors, paths=PATHS, seed=SEED, keep_series=False)
    for key in sector_tornado.parameters:
        low, high = sector_tornado.ranges[key]
        for end, value in (("at_low", low), ("at_high", high)):
            sc = sectors.with_overrides(overrides(sectors, {key: value}))
            results = simulate(sc, paths=PATHS, seed=SEED, keep_series=False)
            for metric in ("gdp_uplift_pv_usd_bn", "gdp_uplift_final_pct"):
                row = table[(table["parameter"] == key) & (table["output"] == metric)].iloc[0]
                want = float(np.median(results.metrics[metric].to_numpy()))
                assert row[end] == pytest.approx(want, rel=1e-12), (key, end, metric)
                assert row["base"] == pytest.approx(
                    float(np.median(base.metrics[metric].to_numpy())), rel=1e-12
                )
            row = table[(table["parameter"] == key) & (table["output"] == "mdf_inflow_pv_p50")]
            assert row[end].iloc[0] == results.headline()["mdf_inflow_pv_p50"]
    # The sectors move the GDP uplift, and nothing before the fund.
    pv = table[table["output"] == "gdp_uplift_pv_usd_bn"].set_index("parameter")
    assert (pv["swing"] > 0).all()
    assert (table[table["output"] == "mdf_inflow_pv_p50"]["swing"] == 0.0).all()


def test_default_parameters_with_and_without_sectors(sectors: Scenario) -> None:
    assert default_parameters(Scenario()) == DEFAULT_PARAMETERS
    keys = default_parameters(sectors)
    assert not set(SINGLE_STOCK) & set(keys)
    for name, field in (
        ("transport", "output_elasticity"),
        ("water_energy", "output_elasticity"),
        ("education", "returns_to_schooling"),
        ("sme_credit", "output_elasticity"),
    ):
        assert f"mdf.sectors.{name}.share" in keys
        assert f"mdf.sectors.{name}.{field}" in keys
    # Sobol moves every parameter at once: the largest sector's share only.
    continuous = default_parameters(sectors, continuous=True)
    assert [k for k in continuous if k.endswith(".share")] == [SHARE]
    assert "pemex.lag_years" in keys and "pemex.lag_years" not in continuous
    # One sector: its share must stay 1.
    one = Scenario().with_overrides(
        {
            "mdf.sectors": [
                {
                    "name": "roads",
                    "share": 1.0,
                    "output_elasticity": 0.1,
                    "baseline_capital_to_gdp": 0.5,
                }
            ]
        }
    )
    assert "mdf.sectors.roads.output_elasticity" in default_parameters(one)
    assert "mdf.sectors.roads.share" not in default_parameters(one)


def test_default_tornado_of_a_scenario_with_sectors_runs(sectors: Scenario) -> None:
    t = tornado(sectors, outputs=("gdp_uplift_pv_usd_bn",), paths=40, seed=SEED)
    assert t.parameters == default_parameters(sectors)
    ranking = t.ranking("gdp_uplift_pv_usd_bn").set_index("parameter")
    assert ranking.loc["mdf.sectors.education.share", "swing"] > 0


# ---------------------------------------------------------------------------- Sobol


def test_sobol_over_two_sector_fields_agrees_with_simulate(sectors: Scenario) -> None:
    paths, seed = 40, 5
    s = sobol(
        sectors,
        parameters=[SHARE, ELASTICITY],
        outputs=("gdp_uplift_pv_usd_bn", "mdf_inflow_pv_p50"),
        base_samples=8,
        paths_per_sample=paths,
        seed=seed,
    )
    assert s.evaluations == 8 * (2 + 2)
    assert s.ranges[SHARE] == pytest.approx((0.2625, 0.4375))
    pv = s.values["gdp_uplift_pv_usd_bn"]
    assert np.ptp(pv) > 0
    for i in (0, 7, s.evaluations - 1):
        share, elasticity = (float(v) for v in s.samples[i])
        sc = sectors.with_overrides(
            {**with_share(sectors, "transport", share), ELASTICITY: elasticity}
        )
        want = median_of(sc, "gdp_uplift_pv_usd_bn", paths=paths, seed=seed)
        assert pv[i] == pytest.approx(want, rel=1e-12), i
    t = s.table().set_index(["output", "parameter"])
    assert np.isfinite(t.loc[("gdp_uplift_pv_usd_bn", SHARE), "ST"])
    assert np.isnan(t.loc[("mdf_inflow_pv_p50", SHARE), "ST"])  # the same in every set


def test_default_sobol_of_a_scenario_with_sectors_runs(sectors: Scenario) -> None:
    s = sobol(sectors, outputs=("gdp_uplift_pv_usd_bn",), base_samples=8, paths_per_sample=4)
    assert s.parameters == default_parameters(sectors, continuous=True)


# ---------------------------------------------------------------------------- refusals


REFUSED = [
    ("mdf.sectors.roads.share", "no sector named 'roads'"),
    ("mdf.sectors.transport.loan_rate", "a capital sector does not read loan_rate"),
    ("mdf.sectors.education.output_elasticity", "a schooling sector does not read"),
    ("mdf.sectors.transport.elasticity", "unknown field of a sector"),
    ("mdf.sectors.transport.kind", "kind is not a number"),
]


def _one_line(err: pytest.ExceptionInfo[InputError], key: str, text: str) -> None:
    assert err.value.field == key
    assert text in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("key", "text"), REFUSED)
def test_tornado_refuses_bad_sector_keys(sectors: Scenario, key: str, text: str) -> None:
    with pytest.raises(InputError) as err:
        tornado(sectors, parameters=[key], paths=10)
    _one_line(err, key, text)


@pytest.mark.parametrize(("key", "text"), REFUSED)
def test_sobol_refuses_bad_sector_keys(sectors: Scenario, key: str, text: str) -> None:
    with pytest.raises(InputError) as err:
        sobol(sectors, parameters=[key], base_samples=8, paths_per_sample=4)
    _one_line(err, key, text)


@pytest.mark.parametrize(("key", "text"), REFUSED)
def test_simulate_sets_refuses_bad_sector_keys(sectors: Scenario, key: str, text: str) -> None:
    with pytest.raises(InputError) as err:
        simulate_sets(sectors, values={key: [0.1, 0.2]}, paths_per_set=4)
    _one_line(err, key, text)


def test_out_of_bounds_values_are_refused(sectors: Scenario) -> None:
    with pytest.raises(InputError) as err:
        tornado(sectors, parameters=[SHARE], ranges={SHARE: (0.1, 1.2)}, paths=10)
    _one_line(err, SHARE, "want values >= 0 and <= 1")
    with pytest.raises(InputError) as err:
        sobol(sectors, parameters=[SCHOOLING], ranges={SCHOOLING: (0.05, 0.6)}, base_samples=8)
    _one_line(err, SCHOOLING, "want values >= 0 and <= 0.5")
    with pytest.raises(InputError) as err:
        simulate_sets(sectors, values={SCHOOLING: [0.1, 0.51]}, paths_per_set=4)
    _one_line(err, SCHOOLING, "got 0.51 in set 1; want a finite value >= 0 and <= 0.5")
    key = "mdf.sectors.transport.baseline_capital_to_gdp"
    with pytest.raises(InputError) as err:
        simulate_sets(sectors, values={key: [0.3, 0.0]}, paths_per_set=4)
    _one_line(err, key, "want a finite value >= 0.01 and <= 10")


def test_integer_sector_fields_are_refused_by_sobol(sectors: Scenario) -> None:
    key = "mdf.sectors.transport.gestation_years"
    with pytest.raises(InputError) as err:
        sobol(sectors, parameters=[key], base_samples=8, paths_per_sample=4)
    _one_line(err, key, "is an integer field")
    with pytest.raises(InputError) as err:
        simulate_sets(sectors, values={key: [1.0, 2.0]}, paths_per_set=4)
    _one_line(err, key, "cannot differ between sets")


def test_shares_that_cannot_sum_to_one_are_refused(sectors: Scenario) -> None:
    keys = [f"mdf.sectors.{n}.share" for n in sectors.mdf.sector_names]
    with pytest.raises(InputError) as err:
        sobol(sectors, parameters=keys, base_samples=8, paths_per_sample=4)
    _one_line(err, ", ".join(keys), "varies the share of every sector")
    two = {SHARE: (0.3, 0.6), "mdf.sectors.education.share": (0.2, 0.5)}
    with pytest.raises(InputError) as err:
        sobol(sectors, parameters=list(two), ranges=two, base_samples=8, paths_per_sample=4)
    _one_line(err, ", ".join(two), "summing to 1.1; want at most 1")
    with pytest.raises(InputError) as err:
        simulate_sets(
            sectors,
            values={SHARE: [0.3, 0.6], "mdf.sectors.education.share": [0.2, 0.5]},
            paths_per_set=4,
        )
    _one_line(err, ", ".join(two), "in set 1")


def test_a_scenario_without_sectors_refuses_sector_keys() -> None:
    with pytest.raises(InputError) as err:
        tornado(Scenario(), parameters=[SHARE], paths=10)
    _one_line(err, SHARE, "the scenario has no mdf.sectors")
    with pytest.raises(InputError) as err:
        ParameterSets.check({SHARE: [0.3]})
    _one_line(err, SHARE, "want the scenario")


def test_command_line_refuses_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for method in ("tornado", "sobol"):
        argv = ["sensitivity", str(SECTORS_FILE), "--method", method, "--paths", "10"]
        rc = main([*argv, "--parameter", "mdf.sectors.transport.loan_rate"])
        err = capsys.readouterr().err
        assert rc == 2, method
        assert len(err.splitlines()) == 1 and "does not read loan_rate" in err, err


def test_command_line_tornado_of_a_share(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["sensitivity", str(SECTORS_FILE), "--paths", "60", "--parameter", SHARE]
    assert main([*argv, "--output", "gdp_uplift_pv_usd_bn"]) == 0
    out = capsys.readouterr().out
    assert any(line.split()[:1] == [SHARE] for line in out.splitlines())
