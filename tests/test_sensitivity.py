"""One-at-a-time (tornado) sensitivity analysis (simulator.analysis.sensitivity).

References are computed here from separate ``simulate`` calls and from the model's own
definitions (DSCR = CFADS / the scheduled service the interest reserve does not pay), never
taken from the code under test. Effects that must vanish are checked for exact zeros: common
random numbers make a parameter that does not enter an output leave it bit-identical.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import simulator
from simulator.analysis.sensitivity import (
    DEFAULT_PARAMETERS,
    TABLE_COLUMNS,
    Tornado,
    default_range,
    tornado,
    yearly_sensitivity,
)
from simulator.present import plots
from simulator.run.engine import simulate
from simulator.scenario import InputError, Scenario, ScenarioError, field_specs

ROOT = Path(__file__).parents[1]
PATHS = 2000
SEED = 7
SPECS = {s.key: s for s in field_specs()}

#: Fields that act only after the MDF inflow (the fund rule's efficiency, GDP growth and the
#: output elasticity shape capital and GDP, not the waterfall).
AFTER_INFLOW = ("mdf.efficiency", "mdf.gdp_growth", "mdf.output_elasticity")
#: Headline outputs decided by the waterfall and before it.
UPSTREAM_OUTPUTS = ("mdf_inflow_pv_p50", "mdf_inflow_pv_p10", "prob_default", "min_dscr_p50")


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return simulator.load_scenario(ROOT / "scenarios" / "naef-2005.yaml")


@pytest.fixture(scope="module")
def small(baseline: Scenario) -> Tornado:
    """Post-inflow fields, the coupon and the long-run price on the baseline."""
    return tornado(
        baseline,
        parameters=[*AFTER_INFLOW, "naef.coupon_rate", "oil_price.long_run_usd_per_bbl"],
        outputs=UPSTREAM_OUTPUTS,
        paths=PATHS,
        seed=SEED,
    )


# ---------------------------------------------------------------------------- tornado


def test_fields_after_the_mdf_inflow_have_exactly_zero_effect(small: Tornado) -> None:
    t = small.table()
    for key in AFTER_INFLOW:
        rows = t[t["parameter"] == key]
        assert len(rows) == len(UPSTREAM_OUTPUTS)
        assert (rows["low_value"] < rows["high_value"]).all()  # the field really moved
        for _, row in rows.iterrows():
            assert row["at_low"] == row["base"], (key, row["output"])
            assert row["at_high"] == row["base"], (key, row["output"])
            assert row["effect_low"] == 0.0
            assert row["effect_high"] == 0.0
            assert row["swing"] == 0.0
    # Control: the same runs do respond to a field upstream of the inflow.
    coupon = t[(t["parameter"] == "naef.coupon_rate") & (t["output"] == "mdf_inflow_pv_p50")]
    assert float(coupon["swing"].iloc[0]) > 1.0


def test_coupon_lowers_the_mdf_pv_and_does_not_lower_default(small: Tornado) -> None:
    low, high = small.ranges["naef.coupon_rate"]
    assert low < small.base_values["naef.coupon_rate"] < high
    pv_low = small.at_low["naef.coupon_rate"]["mdf_inflow_pv_p50"]
    pv_high = small.at_high["naef.coupon_rate"]["mdf_inflow_pv_p50"]
    pv_base = small.base["mdf_inflow_pv_p50"]
    # More debt service (and, with the interest reserve funded from the proceeds, less capex):
    # less surplus for the MDF.
    assert pv_high < pv_base < pv_low
    d_low = small.at_low["naef.coupon_rate"]["prob_default"]
    d_high = small.at_high["naef.coupon_rate"]["prob_default"]
    d_base = small.base["prob_default"]
    assert d_low <= d_base <= d_high
    assert d_high > d_low  # and at 2000 paths the effect is visible, not only non-negative


def test_ranking_is_stable_across_seeds(baseline: Scenario) -> None:
    params = ["mdf.efficiency", "naef.coupon_rate", "oil_price.long_run_usd_per_bbl"]
    expected = ["oil_price.long_run_usd_per_bbl", "naef.coupon_rate", "mdf.efficiency"]
    # In a low-price world, where defaults happen at this many paths (the baseline has
    # almost none, and a swing of nothing ties).
    low = baseline.with_overrides({"oil_price.long_run_usd_per_bbl": 35.0})
    for seed in (1, 2, 3):
        t = tornado(low, parameters=params, paths=PATHS, seed=seed)
        for output in ("mdf_inflow_pv_p50", "prob_default"):
            rank = t.ranking(output)
            assert list(rank.index) == [1, 2, 3]
            assert rank.index.name == "rank"
            assert rank["parameter"].tolist() == expected, (seed, output)
            assert list(rank["swing"]) == sorted(rank["swing"], reverse=True)
            assert rank["swing"].iloc[-1] == 0.0  # efficiency: exactly nothing


def test_table_matches_two_direct_simulate_calls(baseline: Scenario) -> None:
    key, low, high = "pemex.opex_usd_per_boe", 4.0, 7.0
    outputs = ("mdf_inflow_pv_p50", "prob_default")
    t = tornado(
        baseline, parameters=[key], ranges={key: (low, high)}, outputs=outputs, paths=PATHS, seed=3
    )
    ref_low = simulate(baseline.with_overrides({key: low}), paths=PATHS, seed=3).headline()
    ref_high = simulate(baseline.with_overrides({key: high}), paths=PATHS, seed=3).headline()
    ref_base = simulate(baseline, paths=PATHS, seed=3).headline()
    table = t.table()
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert len(table) == len(outputs)
    for output in outputs:
        row = table[table["output"] == output].iloc[0]
        assert row["parameter"] == key
        assert (row["low_value"], row["high_value"]) == (low, high)
        assert row["base"] == ref_base[output]
        assert row["at_low"] == ref_low[output]
        assert row["at_high"] == ref_high[output]
        assert row["effect_low"] == ref_low[output] - ref_base[output]
        assert row["effect_high"] == ref_high[output] - ref_base[output]
        assert row["swing"] == abs(ref_high[output] - ref_low[output])
    assert table.loc[table["output"] == "mdf_inflow_pv_p50", "swing"].iloc[0] > 0.0


def test_a_per_path_metric_is_taken_at_its_median(baseline: Scenario) -> None:
    """An output that is a per-path metric: its median over the paths (a flag: the share of
    paths), from the same runs; the GDP uplift moves with the fund's efficiency."""
    key, low, high = "mdf.efficiency", 0.5, 0.9
    outputs = ("gdp_uplift_pv_usd_bn", "min_dscr", "default")
    t = tornado(
        baseline, parameters=[key], ranges={key: (low, high)}, outputs=outputs, paths=500, seed=3
    )
    for end, value in (("at_low", low), ("at_high", high)):
        metrics = simulate(baseline.with_overrides({key: value}), paths=500, seed=3).metrics
        for output in outputs:
            x = metrics[output].to_numpy(dtype=float)
            want = x.mean() if output == "default" else np.median(x[np.isfinite(x)])
            got = getattr(t, end)[key][output]
            assert got == pytest.approx(want, rel=1e-12, abs=1e-15), (end, output)
    assert t.table().set_index("output").loc["gdp_uplift_pv_usd_bn", "swing"] > 0
    with pytest.raises(InputError, match=r"did you mean 'gdp_uplift_pv_usd_bn'") as exc:
        tornado(baseline, parameters=[key], outputs=["gdp_uplift_pv"], paths=PATHS)
    assert exc.value.field == "gdp_uplift_pv"


def test_default_parameters_are_numeric_fields() -> None:
    for key in DEFAULT_PARAMETERS:
        assert key in SPECS, key
        assert SPECS[key].kind in ("int", "float"), key
    assert len(set(DEFAULT_PARAMETERS)) == len(DEFAULT_PARAMETERS)


def _inside(x: float, key: str) -> bool:
    s = SPECS[key]
    return (
        (s.ge is None or x >= s.ge)
        and (s.gt is None or x > s.gt)
        and (s.le is None or x <= s.le)
        and (s.lt is None or x < s.lt)
    )


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_default_ranges_stay_inside_bounds(path: Path) -> None:
    sc = simulator.load_scenario(path)
    for key in DEFAULT_PARAMETERS:
        low, high = default_range(sc, key)
        section, name = key.split(".")
        value = getattr(getattr(sc, section), name)
        assert _inside(low, key) and _inside(high, key), (key, low, high)
        assert low <= value <= high and low < high, (key, low, value, high)
        if SPECS[key].kind == "int":
            assert type(low) is int and type(high) is int, key
        else:
            assert type(low) is float and type(high) is float, key
        # Each end is a valid scenario on its own (but for the flat fiscal rates of a scenario
        # with regimes, which it refuses and the default analyses leave out).
        if sc.fiscal.regimes and key.startswith("fiscal."):
            with pytest.raises(ScenarioError, match="regimes"):
                sc.with_overrides({key: high})
            continue
        sc.with_overrides({key: low})
        sc.with_overrides({key: high})


def test_default_range_rules(scenario: Scenario) -> None:
    # +-25 % of a float; of an int, +-max(1, round(25 %)).
    assert default_range(scenario, "naef.coupon_rate") == pytest.approx((0.045, 0.075))
    assert default_range(scenario, "pemex.lag_years") == (2, 4)
    assert default_range(scenario, "naef.tenor_years") == (15, 25)
    # An int at its lower bound is clipped there.
    at_zero = scenario.with_overrides({"pemex.lag_years": 0, "naef.grace_years": 0})
    assert default_range(at_zero, "pemex.lag_years") == (0, 1)
    assert default_range(at_zero, "naef.grace_years") == (0, 1)
    # A value of 0: 10 % of the bounds' span (profit duty: 0..1; drift: -1..1).
    assert default_range(scenario, "fiscal.profit_duty_rate") == pytest.approx((0.0, 0.1))
    assert default_range(scenario, "oil_price.drift_per_year") == pytest.approx((-0.2, 0.2))
    # An inclusive upper bound is reached; a strict one (issuance cost < 1) is not.
    assert default_range(scenario, "waterfall.mdf_share") == pytest.approx((0.75, 1.0))
    near = scenario.with_overrides({"naef.issuance_cost_rate": 0.9})
    low, high = default_range(near, "naef.issuance_cost_rate")
    assert low == pytest.approx(0.675)
    assert 0.9 < high < 1.0
    near.with_overrides({"naef.issuance_cost_rate": high})


def test_bad_parameter_name_names_it_and_suggests(baseline: Scenario) -> None:
    with pytest.raises(InputError, match=r"did you mean 'naef\.coupon_rate'") as exc:
        tornado(baseline, parameters=["naef.coupon"], paths=PATHS)
    assert exc.value.field == "naef.coupon"
    with pytest.raises(InputError, match=r"did you mean 'mdf\.efficiency'"):
        tornado(baseline, ranges={"mdf.eficiency": (0.5, 0.9)}, paths=PATHS)
    with pytest.raises(InputError, match=r"did you mean 'pemex\.decline_rate'"):
        yearly_sensitivity(baseline, parameters=["pemex.decline_rat"], paths=PATHS)
    with pytest.raises(InputError, match=r"did you mean 'oil_price\.volatility'"):
        default_range(baseline, "oil_price.volatilty")


def test_invalid_variants_raise_naming_the_parameter(baseline: Scenario) -> None:
    # Low tenor below the 5 grace years: the cross-field check fails for the low end.
    with pytest.raises(InputError, match="low value 4") as exc:
        tornado(baseline, ranges={"naef.tenor_years": (4, 25)}, paths=PATHS)
    assert exc.value.field == "naef.tenor_years"
    with pytest.raises(InputError, match=r"high value 1\.5") as exc:
        tornado(baseline, parameters=["naef.coupon_rate"], ranges={"naef.coupon_rate": (0.05, 1.5)})
    assert exc.value.field == "naef.coupon_rate"
    bad_ranges: list[Any] = [(0.07, 0.05), (0.05,), ("a", "b"), (0.05, math.inf)]
    for bad in bad_ranges:
        with pytest.raises(InputError) as exc:
            tornado(baseline, parameters=["naef.coupon_rate"], ranges={"naef.coupon_rate": bad})
        assert exc.value.field == "naef.coupon_rate"
    with pytest.raises(InputError, match="integers") as exc:
        tornado(baseline, parameters=["pemex.lag_years"], ranges={"pemex.lag_years": (1.5, 4)})
    # Fields that are not numeric model parameters, or that change the draws, are refused.
    for key in ("horizon.years", "simulation.seed", "reporting.percentiles", "naef.amortization"):
        with pytest.raises(InputError, match="cannot be varied") as exc:
            tornado(baseline, parameters=[key], paths=PATHS)
        assert exc.value.field == key
    boot = baseline.with_overrides({"oil_price.model": "bootstrap"})
    with pytest.raises(InputError, match="common random numbers") as exc:
        tornado(boot, parameters=["oil_price.bootstrap_block_years"], paths=PATHS)
    assert exc.value.field == "oil_price.bootstrap_block_years"
    # A range for a parameter that is not in the list, and an unknown output.
    with pytest.raises(InputError, match="not in parameters"):
        tornado(baseline, parameters=["naef.coupon_rate"], ranges={"mdf.efficiency": (0.5, 0.9)})
    with pytest.raises(InputError, match=r"did you mean 'prob_default'"):
        tornado(baseline, parameters=["naef.coupon_rate"], outputs=["prob_defaul"], paths=PATHS)


def test_tornado_figure(small: Tornado) -> None:
    fig = plots.tornado_chart(small.ranking("mdf_inflow_pv_p50"))
    assert isinstance(fig, go.Figure)
    bars = [tr for tr in fig.data if tr.type == "bar"]
    assert [b.name for b in bars] == ["low value", "high value"]
    rank = small.ranking("mdf_inflow_pv_p50")
    order = rank["parameter"].tolist()
    assert order[0] == "oil_price.long_run_usd_per_bbl"
    for bar, end in zip(bars, ("low", "high"), strict=True):
        assert list(bar.y) == order
        assert bar.orientation == "h"
        np.testing.assert_array_equal(np.asarray(bar.x), rank[f"effect_{end}"].to_numpy())
        for p, text, label in zip(order, bar.text, bar.customdata[:, 0], strict=True):
            value = small.ranges[p][0 if end == "low" else 1]
            assert float(label.replace(",", "")) == pytest.approx(value, rel=1e-5)
            # Bars are labelled with the value, but for a parameter with no effect at all,
            # which gets one "no effect" note instead.
            assert text == ("" if p in AFTER_INFLOW else label)
    notes = [a.text for a in fig.layout.annotations if a.text.startswith("no effect")]
    assert len(notes) == len(AFTER_INFLOW)
    assert fig.layout.yaxis.autorange == "reversed"  # largest swing at the top
    # Probabilities are drawn in percentage points.
    pfig = plots.tornado_chart(small.ranking("prob_default"))
    prank = small.ranking("prob_default")
    np.testing.assert_allclose(
        np.asarray(pfig.data[1].x), 100.0 * prank["effect_high"].to_numpy(), rtol=1e-12
    )
    assert "percentage points" in pfig.layout.xaxis.title.text
    with pytest.raises(InputError, match="did you mean"):
        small.ranking("prob_defaul")


# ---------------------------------------------------------------------------- by year


def test_yearly_coupon_effect_on_dscr_follows_the_model(literal: Scenario) -> None:
    """On the proposal's literal structure the coupon moves the service only, not CFADS.

    (On the built structure the interest reserve and the reserve account are funded from the
    proceeds, so a higher coupon also leaves less capex, less production and less CFADS.)
    """
    low, high = 0.05, 0.07
    key = "naef.coupon_rate"
    df = yearly_sensitivity(
        literal, series="dscr", parameters=[key], ranges={key: (low, high)}, paths=PATHS, seed=5
    )
    assert df.index.name == "year"
    assert list(df.index) == list(literal.years)
    assert list(df.columns) == [key]
    change = df[key].to_numpy()

    # The model: DSCR = CFADS / scheduled service (no interest reserve pays any of it here);
    # the coupon changes the (deterministic) service only, so the yearly median moves by
    # median(CFADS) x (1/S_high - 1/S_low).
    run_low = simulate(literal.with_overrides({key: low}), paths=PATHS, seed=5)
    run_high = simulate(literal.with_overrides({key: high}), paths=PATHS, seed=5)
    assert not run_low.ledger()["interest_reserve_paid_usd_bn"].any()
    cfads = run_low.series("cfads_usd_bn").to_numpy()
    np.testing.assert_array_equal(cfads, run_high.series("cfads_usd_bn").to_numpy())
    s_low = run_low.ledger()["scheduled_service_usd_bn"].to_numpy()
    s_high = run_high.ledger()["scheduled_service_usd_bn"].to_numpy()
    med = np.median(cfads, axis=1)

    no_service = s_low <= 1e-9
    assert no_service.any() and (~no_service).sum() >= 10
    np.testing.assert_array_equal(no_service, s_high <= 1e-9)
    # Before any debt service (and after the last), no DSCR: NaN or no change.
    assert all(math.isnan(c) or c == 0.0 for c in change[no_service])
    assert no_service[0]  # the first tranche is only issued at the end of year 0

    serviced = ~no_service
    assert (s_high[serviced] > s_low[serviced]).all()  # a higher coupon, more service
    expected = med[serviced] * (1.0 / s_high[serviced] - 1.0 / s_low[serviced])
    np.testing.assert_allclose(change[serviced], expected, rtol=1e-9, atol=1e-12)
    # Hence the sign: negative where the median year has positive CFADS (once oil flows),
    # positive where it has a loss (oversight cost before first oil: a smaller negative DSCR).
    producing = serviced & (med > 0)
    assert producing.sum() >= 10
    assert (change[producing] < 0).all()
    assert (np.sign(change[serviced]) == -np.sign(med[serviced])).all()


def test_yearly_mean_and_figure(baseline: Scenario) -> None:
    params = ["naef.coupon_rate", "oil_price.long_run_usd_per_bbl", "mdf.efficiency"]
    df = yearly_sensitivity(
        baseline, series="mdf_inflow_usd_bn", parameters=params, statistic="mean", paths=PATHS
    )
    assert list(df.columns) == params
    # Reference: the yearly mean of two direct runs of the long-run price.
    key = "oil_price.long_run_usd_per_bbl"
    low, high = default_range(baseline, key)
    seed = baseline.simulation.seed
    ref = [
        simulate(baseline.with_overrides({key: v}), paths=PATHS, seed=seed)
        .series("mdf_inflow_usd_bn")
        .mean(axis=1)
        .to_numpy()
        for v in (low, high)
    ]
    np.testing.assert_allclose(df[key].to_numpy(), ref[1] - ref[0], rtol=1e-12, atol=1e-12)
    assert (df["mdf.efficiency"] == 0.0).all()  # the MDF inflow comes before the efficiency
    assert (df["naef.coupon_rate"] <= 0.0).all()
    fig = plots.yearly_sensitivity_heatmap(df)
    (heat,) = fig.data
    assert heat.type == "heatmap"
    assert list(heat.x) == list(baseline.years)
    assert len(heat.y) == len(params) and heat.y[0].startswith("naef.coupon_rate")
    np.testing.assert_array_equal(np.asarray(heat.z, dtype=float), df.to_numpy().T)
    assert heat.zmid == 0.0
    with pytest.raises(InputError, match="did you mean 'dscr'"):
        yearly_sensitivity(baseline, series="dscrr", parameters=params, paths=PATHS)
    with pytest.raises(InputError, match="statistic"):
        yearly_sensitivity(baseline, statistic="mode", parameters=params, paths=PATHS)


# ---------------------------------------------------------------------------- scenario block


BLOCK = """
name: with-block
sensitivity:
  parameters: [naef.coupon_rate, mdf.efficiency]
  ranges:
    naef.coupon_rate: [0.03, 0.09]
"""


def test_sensitivity_block_sets_parameters_and_ranges() -> None:
    """The scenario's own block decides what the tornado and Sobol vary, and over which range."""
    from simulator.analysis.sensitivity import sobol
    from simulator.scenario import scenario_from_text

    sc = scenario_from_text(BLOCK, source="block.yaml")
    t = tornado(sc, outputs=("prob_default",), paths=300, seed=1)
    assert dict(t.ranges) == {
        "naef.coupon_rate": (0.03, 0.09),
        "mdf.efficiency": default_range(sc, "mdf.efficiency"),
    }
    s = sobol(sc, outputs=("prob_default",), base_samples=8, paths_per_sample=8, seed=1)
    assert dict(s.ranges) == dict(t.ranges)
    # The caller's choice wins: its parameters (the block's range still applies to those
    # listed), and its ranges over the block's.
    t2 = tornado(
        sc,
        parameters=["naef.coupon_rate", "pemex.decline_rate"],
        outputs=("prob_default",),
        paths=300,
        seed=1,
    )
    assert dict(t2.ranges)["naef.coupon_rate"] == (0.03, 0.09)
    assert "mdf.efficiency" not in t2.ranges
    t3 = tornado(
        sc,
        ranges={"naef.coupon_rate": (0.05, 0.07)},
        outputs=("prob_default",),
        paths=300,
        seed=1,
    )
    assert dict(t3.ranges)["naef.coupon_rate"] == (0.05, 0.07)


def test_sensitivity_block_changes_no_result() -> None:
    from simulator.scenario import scenario_from_text

    sc = scenario_from_text(BLOCK, source="block.yaml")
    a = simulate(sc, paths=500, seed=3).metrics
    b = simulate(Scenario(name="with-block"), paths=500, seed=3).metrics
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("sensitivity: {parameters: [naef.coupn_rate]}", "sensitivity.parameters", "did you mean"),
        ("sensitivity: {parameters: [horizon.years]}", "sensitivity.parameters", "model section"),
        (
            "sensitivity: {parameters: [naef.coupon_rate, naef.coupon_rate]}",
            "sensitivity.parameters",
            "each field once",
        ),
        (
            "sensitivity: {ranges: {naef.coupon_rate: [0.09, 0.05]}}",
            "sensitivity.ranges.naef.coupon_rate",
            "low < high",
        ),
        (
            "sensitivity: {parameters: [mdf.efficiency], ranges: {naef.coupon_rate: [0.01, 0.1]}}",
            "sensitivity.ranges.naef.coupon_rate",
            "listed in sensitivity.parameters",
        ),
        ("sensitivity: {paramters: []}", "sensitivity.paramters", "did you mean 'parameters'"),
        ("sensitivity: 3", "sensitivity", "want a mapping"),
    ],
)
def test_bad_sensitivity_block(text: str, field: str, message: str) -> None:
    from simulator.scenario import scenario_from_text

    with pytest.raises(InputError) as err:
        scenario_from_text(text, source="block.yaml")
    assert err.value.field == field
    assert message in str(err.value)
    assert str(err.value).startswith("block.yaml: ")
