"""``simulate_sets``: many parameter sets in one vectorized run equal separate ordinary runs.

The reference for every set is :func:`simulator.simulate` of the scenario with that set's values,
run on its own: an independent path through the model (scalar parameters, one schedule), so a
field that the vectorized run broadcast wrongly, or a set that drew other numbers, shows up as
a difference.
"""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from simulator import Scenario, load_scenario, simulate
from simulator.analysis.sensitivity import default_range
from simulator.model.chain import Plan
from simulator.run.engine import simulate_sets
from simulator.scenario import InputError
from simulator.scenario.sets import PLAN_FIELDS, SECTOR_SET_FIELDS, SET_FIELDS, ParameterSets

PATHS = 300

TWO_FACTOR = {
    "oil_price.short_term_volatility",
    "oil_price.long_term_volatility",
    "oil_price.long_term_drift_per_year",
    "oil_price.correlation",
}


def _base_for(key: str) -> Scenario:
    """A scenario whose price model uses ``key`` (each price field matters to some model)."""
    sc = Scenario()
    if key in TWO_FACTOR:
        return sc.with_overrides({"oil_price.model": "two_factor"})
    if key == "oil_price.drift_per_year":
        return sc.with_overrides({"oil_price.model": "gbm"})
    return sc


def _assert_sets_equal_runs(base: Scenario, values: dict[str, list[float]]) -> None:
    out = simulate_sets(base, values=values, paths_per_set=PATHS, chunk_paths=1024)
    n_sets = len(next(iter(values.values())))
    for s in range(n_sets):
        one = base.with_overrides({k: v[s] for k, v in values.items()})
        ref = simulate(one, paths=PATHS, keep_series=False).metrics
        for name, arr in out.items():
            assert arr.shape == (n_sets, PATHS)
            want = ref[name].to_numpy()
            got = arr[s]
            if want.dtype == bool:
                assert np.array_equal(got, want), (s, name)
            else:
                np.testing.assert_allclose(
                    got, want, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=f"set {s}: {name}"
                )


def test_every_float_model_field_may_vary() -> None:
    """SET_FIELDS holds the float fields of the model sections and nothing else."""
    assert "naef.coupon_rate" in SET_FIELDS
    assert "oil_price.long_run_usd_per_bbl" in SET_FIELDS
    assert "naef.tenor_years" not in SET_FIELDS  # an int: changes array shapes
    assert not any(k.startswith(("horizon.", "simulation.")) for k in SET_FIELDS)
    assert PLAN_FIELDS <= SET_FIELDS


@pytest.mark.parametrize("key", sorted(SET_FIELDS))
def test_one_field_varied_equals_separate_runs(key: str) -> None:
    base = _base_for(key)
    low, high = default_range(base, key)
    mid = 0.5 * (low + high)
    _assert_sets_equal_runs(base, {key: [low, mid, high]})


@pytest.mark.parametrize("model", ["mean_reverting", "two_factor", "gbm", "bootstrap"])
def test_many_fields_varied_together(model: str) -> None:
    base = Scenario().with_overrides({"oil_price.model": model})
    values = {
        "naef.coupon_rate": [0.05, 0.0, 0.12],
        "oil_price.long_run_usd_per_bbl": [40.0, 60.0, 90.0],
        "oil_price.mean_reversion_per_year": [0.0, 0.3, 1.2],
        "oil_price.volatility": [0.0, 0.2, 0.5],
        "pemex.decline_rate": [0.05, 0.1, 0.2],
        "pemex.capex_usd_per_flowing_bpd": [30_000.0, 40_000.0, 50_000.0],
        "fiscal.royalty_rate": [0.0, 0.1, 0.3],
        "fiscal.profit_duty_rate": [0.0, 0.3, 0.0],
        "waterfall.dsra_coverage_years": [0.5, 1.0, 2.0],
        "mdf.gdp_growth": [0.01, 0.03, 0.05],
        "reporting.discount_rate": [0.03, 0.07, 0.1],
    }
    _assert_sets_equal_runs(base, values)


def test_sets_share_their_draws() -> None:
    """Two identical sets give identical paths (common random numbers), path by path."""
    out = simulate_sets(Scenario(), values={"naef.coupon_rate": [0.07, 0.07]}, paths_per_set=1500)
    for name, arr in out.items():
        np.testing.assert_array_equal(arr[0], arr[1], err_msg=name)


def test_chunking_does_not_change_sets() -> None:
    values = {"oil_price.volatility": [0.1, 0.3, 0.5], "naef.coupon_rate": [0.05, 0.07, 0.09]}
    a = simulate_sets(Scenario(), values=values, paths_per_set=700, chunk_paths=1024)
    b = simulate_sets(Scenario(), values=values, paths_per_set=700, chunk_paths=4096)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"naef.tenor_years": [10, 20]}, "naef.tenor_years", "cannot differ between sets"),
        ({"simulation.seed": [1, 2]}, "simulation.seed", "cannot differ between sets"),
        ({"naef.coupon": [0.1]}, "naef.coupon", "cannot differ between sets"),
        ({"naef.coupon_rate": [0.05, 1.5]}, "naef.coupon_rate", "got 1.5 in set 1"),
        ({"naef.coupon_rate": [0.05, float("nan")]}, "naef.coupon_rate", "finite"),
        (
            {"naef.coupon_rate": [0.05, 0.06], "mdf.efficiency": [0.5]},
            "mdf.efficiency",
            "got 1 values; want 2",
        ),
        ({"naef.coupon_rate": []}, "naef.coupon_rate", "one value per set"),
        ({}, "", "want at least one"),
    ],
)
def test_bad_sets_are_refused(values: dict, field: str, text: str) -> None:
    with pytest.raises(InputError) as err:
        simulate_sets(Scenario(), values=values, paths_per_set=10)
    assert err.value.field == field
    assert text in str(err.value)


# ---------------------------------------------------------------------------- sectors

SECTORS = load_scenario(Path(__file__).parents[1] / "scenarios" / "mdf-sectors.yaml")
#: A sector of scenarios/mdf-sectors.yaml that reads each float field of a sector.
SECTOR_OF_FIELD = {
    "share": "transport",
    "efficiency": "water_energy",
    "depreciation_rate": "transport",
    "output_elasticity": "transport",
    "baseline_capital_to_gdp": "water_energy",
    "returns_to_schooling": "education",
    "labour_share": "education",
    "school_year_cost_to_gdp": "education",
    "additionality": "sme_credit",
    "loan_rate": "sme_credit",
    "default_rate": "sme_credit",
}


def _sector_overrides(base: Scenario, values: dict[str, float]) -> dict[str, float]:
    """``values`` as overrides: the shares set keep their values and the other sectors share
    the rest in proportion to their shares in ``base``."""
    out = dict(values)
    set_ = {k.split(".")[2]: v for k, v in values.items() if k.endswith(".share")}
    if set_:
        others = [s for s in base.mdf.sectors if s.name not in set_]
        total = sum(s.share for s in others)
        rest = 1.0 - sum(set_.values())
        for s in others:
            out[f"mdf.sectors.{s.name}.share"] = s.share * rest / total
    return out


def _assert_sector_sets_equal_runs(base: Scenario, values: dict[str, list[float]]) -> None:
    out = simulate_sets(base, values=values, paths_per_set=PATHS, chunk_paths=1024)
    n_sets = len(next(iter(values.values())))
    moved = False
    for s in range(n_sets):
        one = base.with_overrides(_sector_overrides(base, {k: v[s] for k, v in values.items()}))
        ref = simulate(one, paths=PATHS, keep_series=False).metrics
        for name, arr in out.items():
            want = ref[name].to_numpy()
            if want.dtype == bool:
                assert np.array_equal(arr[s], want), (s, name)
            else:
                np.testing.assert_allclose(
                    arr[s], want, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=f"{s}: {name}"
                )
        moved |= not np.array_equal(out["gdp_uplift_pv_usd_bn"][s], out["gdp_uplift_pv_usd_bn"][0])
    assert moved  # the sets differ where the fund's sectors act


def test_every_float_field_of_a_sector_may_vary() -> None:
    assert set(SECTOR_SET_FIELDS) == set(SECTOR_OF_FIELD)
    assert "gestation_years" not in SECTOR_SET_FIELDS and "tenor_years" not in SECTOR_SET_FIELDS


@pytest.mark.parametrize("field", sorted(SECTOR_OF_FIELD))
def test_one_sector_field_varied_equals_separate_runs(field: str) -> None:
    key = f"mdf.sectors.{SECTOR_OF_FIELD[field]}.{field}"
    low, high = default_range(SECTORS, key)
    _assert_sector_sets_equal_runs(SECTORS, {key: [low, 0.5 * (low + high), high]})


def test_sector_fields_and_others_varied_together() -> None:
    values = {
        "mdf.sectors.transport.share": [0.2, 0.5, 0.35],
        "mdf.sectors.education.share": [0.4, 0.1, 0.25],
        "mdf.sectors.education.returns_to_schooling": [0.05, 0.09, 0.12],
        "mdf.sectors.sme_credit.loan_rate": [0.05, 0.2, 0.118],
        "mdf.gdp_growth": [0.02, 0.04, 0.06],
        "naef.coupon_rate": [0.05, 0.07, 0.09],
    }
    _assert_sector_sets_equal_runs(SECTORS, values)


def test_a_varied_share_gives_every_sector_a_share_per_set() -> None:
    sets = ParameterSets.check({"mdf.sectors.transport.share": [0.0, 1.0]}, SECTORS)
    shares = {k: v for k, v in sets.values.items() if k.endswith(".share")}
    assert len(shares) == 4
    np.testing.assert_allclose(sum(shares.values()), [1.0, 1.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(shares["mdf.sectors.sme_credit.share"], [0.15 / 0.65, 0.0])


def test_the_plan_of_some_paths_is_the_same_spread_afresh_or_gathered() -> None:
    """``Plan.take`` of paths of parameter sets with their own schedules spreads the sets'
    plans to the paths taken; gathering them from the arrays over every path gives the same
    arrays, to the bit (paths of five sets, some sets not taken; and paths out of order, which
    are gathered)."""
    sc = Scenario()
    sets = ParameterSets.check(
        {
            "naef.coupon_rate": [0.05, 0.06, 0.07, 0.08, 0.09],
            "pemex.capex_usd_per_flowing_bpd": [30e3, 40e3, 50e3, 60e3, 70e3],
        },
        sc,
    )
    plan = Plan.build(sc).for_sets(sets, np.repeat(np.arange(5), 7))
    assert plan.set_plans is not None
    gathered = replace(plan, set_plans=None)
    for paths in (np.array([0, 3, 4, 20, 21, 34]), np.array([30, 2, 9])):
        spread, want = plan.take(paths), gathered.take(paths)
        for name in ("base_kbd", "capex_kbd", "discount"):
            np.testing.assert_array_equal(getattr(spread, name), getattr(want, name), name)
        for f in fields(want.schedule):
            np.testing.assert_array_equal(
                getattr(spread.schedule, f.name), getattr(want.schedule, f.name), f.name
            )
        for key, v in want.values.items():
            np.testing.assert_array_equal(spread.values[key], v, key)
    # The sets differ: the test compares something.
    assert not np.array_equal(
        plan.schedule.service_usd_bn[:, 0], plan.schedule.service_usd_bn[:, 34]
    )
