"""Scenario comparison with common random numbers (simulator.analysis).

References are computed here with numpy from the runs' own per-path metrics, or from separate
``simulate`` calls, never taken from the code under test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.analysis.compare import TABLE_COLUMNS, Comparison, compare
from simulator.outputs import METRICS
from simulator.scenario import InputError, Scenario

ROOT = Path(__file__).parents[1]
PATHS = 4000


@pytest.fixture(scope="module")
def coupon7(baseline: Scenario) -> Scenario:
    return baseline.with_overrides({"naef.coupon_rate": 0.07, "name": "coupon-7pct"})


@pytest.fixture(scope="module")
def coupon_comparison(baseline: Scenario, coupon7: Scenario) -> Comparison:
    return compare(baseline, coupon7, paths=PATHS, keep_series=False)


def _low_price(baseline: Scenario, usd_per_bbl: float) -> Scenario:
    """A price world low enough that the project IRR does not exist on many paths."""
    return baseline.with_overrides(
        {
            "oil_price.initial_usd_per_bbl": usd_per_bbl,
            "oil_price.long_run_usd_per_bbl": usd_per_bbl,
            # Flat in nominal dollars, with costs that do not fall with it.
            "oil_price.basis": "nominal",
            "pemex.cost_price_elasticity": 0.0,
            "name": f"oil-{usd_per_bbl:g}",
        }
    )


def test_difference_with_itself_is_exactly_zero(baseline: Scenario) -> None:
    sc = _low_price(baseline, 15.0)
    comp = compare(sc, sc, paths=2000, seed=3, keep_series=False)
    irr = comp.a.metrics["project_irr"].to_numpy(dtype=float)
    assert 0 < np.isnan(irr).sum() < irr.size  # the NaN handling is exercised
    diffs = comp.differences()
    assert list(diffs.columns) == list(METRICS)
    assert diffs.index.name == "path"
    assert len(diffs) == 2000
    for name in METRICS:
        xa = comp.a.metrics[name].to_numpy(dtype=float)
        xb = comp.b.metrics[name].to_numpy(dtype=float)
        np.testing.assert_array_equal(np.isnan(xa), np.isnan(xb), err_msg=name)
        d = diffs[name].to_numpy()
        np.testing.assert_array_equal(np.isnan(d), ~np.isfinite(xa), err_msg=name)
        assert (d[np.isfinite(d)] == 0.0).all(), name
    table = comp.table()
    assert list(table.index) == list(METRICS)
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert (table["diff_mean"] == 0.0).all()
    assert (table["diff_se"] == 0.0).all()
    assert table.loc["project_irr", "n"] == int(np.isfinite(irr).sum())
    assert table.loc["mdf_inflow_pv_usd_bn", "n"] == 2000


def test_common_random_numbers_shrink_the_standard_error(
    baseline: Scenario, coupon7: Scenario, coupon_comparison: Comparison
) -> None:
    row = coupon_comparison.table().loc["mdf_inflow_pv_usd_bn"]
    assert row["n"] == PATHS
    assert 0 < 3 * row["diff_se"] < row["independent_se"]

    # The same difference estimated from two independent runs (different seeds), by hand.
    x1 = simulator.simulate(baseline, paths=PATHS, seed=1, keep_series=False)
    x2 = simulator.simulate(coupon7, paths=PATHS, seed=2, keep_series=False)
    a = x1.metrics["mdf_inflow_pv_usd_bn"].to_numpy()
    b = x2.metrics["mdf_inflow_pv_usd_bn"].to_numpy()
    se_independent = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert 3 * row["diff_se"] < se_independent
    # The formula-based independent_se describes the same thing as the two-seed estimate.
    assert row["independent_se"] == pytest.approx(se_independent, rel=0.15)


def test_paired_standard_error_matches_the_spread_over_seeds(
    baseline: Scenario, coupon7: Scenario
) -> None:
    """diff_se is an honest error: replicate comparisons scatter by about that much."""
    means, ses = [], []
    for seed in range(100, 120):
        row = (
            compare(baseline, coupon7, paths=1000, seed=seed, keep_series=False)
            .table()
            .loc["mdf_inflow_pv_usd_bn"]
        )
        means.append(row["diff_mean"])
        ses.append(row["diff_se"])
    ratio = np.std(means, ddof=1) / np.mean(ses)
    assert 0.6 < ratio < 1.6, ratio


def test_higher_coupon_lowers_mdf_and_raises_default(coupon_comparison: Comparison) -> None:
    table = coupon_comparison.table()
    assert table.loc["mdf_inflow_pv_usd_bn", "diff_mean"] < 0
    # Clearly negative, not noise: many standard errors below zero.
    pv = table.loc["mdf_inflow_pv_usd_bn"]
    assert pv["diff_mean"] < -5 * pv["diff_se"]
    for flag in ("default", "distress"):
        assert table.loc[flag, "diff_mean"] >= 0, flag
        # The difference of a flag is a change of probability: the two runs' own frequencies.
        p_a = coupon_comparison.a.metrics[flag].mean()
        p_b = coupon_comparison.b.metrics[flag].mean()
        assert table.loc[flag, "diff_mean"] == pytest.approx(p_b - p_a, abs=1e-12), flag


def test_table_agrees_with_numpy(baseline: Scenario) -> None:
    # Two price worlds where the IRR is undefined on different sets of paths.
    comp = compare(
        _low_price(baseline, 15.0),
        _low_price(baseline, 20.0),
        paths=2000,
        seed=5,
        keep_series=False,
    )
    table = comp.table()
    ma, mb = comp.a.metrics, comp.b.metrics
    for name in METRICS:
        xa = ma[name].to_numpy(dtype=float)
        xb = mb[name].to_numpy(dtype=float)
        fa, fb = xa[np.isfinite(xa)], xb[np.isfinite(xb)]
        both = np.isfinite(xa) & np.isfinite(xb)
        d = xb[both] - xa[both]
        row = table.loc[name]
        assert row["n"] == both.sum(), name
        assert row["a_mean"] == pytest.approx(fa.mean(), rel=1e-12, abs=1e-12), name
        assert row["b_mean"] == pytest.approx(fb.mean(), rel=1e-12, abs=1e-12), name
        assert row["diff_mean"] == pytest.approx(d.mean(), rel=1e-12, abs=1e-12), name
        se = d.std(ddof=1) / math.sqrt(d.size)
        assert row["diff_se"] == pytest.approx(se, rel=1e-9, abs=1e-12), name
        ind = math.sqrt(fa.var(ddof=1) / fa.size + fb.var(ddof=1) / fb.size)
        assert row["independent_se"] == pytest.approx(ind, rel=1e-9, abs=1e-12), name
        for q in (5, 50, 95):
            ref = np.percentile(d, q)
            assert row[f"diff_p{q}"] == pytest.approx(ref, rel=1e-12, abs=1e-12), (name, q)
        np.testing.assert_allclose(
            comp.differences()[name].to_numpy()[both], d, rtol=0, atol=0, err_msg=name
        )
    irr_n = table.loc["project_irr", "n"]
    assert 0 < irr_n < 2000
    # The means of each run are those the run reports itself.
    for name in ("mdf_inflow_pv_usd_bn", "distress", "project_irr"):
        assert table.loc[name, "a_mean"] == pytest.approx(comp.a.summary().loc[name, "mean"])
        assert table.loc[name, "b_mean"] == pytest.approx(comp.b.summary().loc[name, "mean"])


def test_compare_runs_both_on_the_same_draws(baseline: Scenario, coupon7: Scenario) -> None:
    # b's own simulation section is ignored; both use a's seed by default.
    b = coupon7.with_overrides({"simulation.seed": 7})
    comp = compare(baseline, b, paths=1500, keep_series=False)
    assert comp.a.seed == comp.b.seed == baseline.simulation.seed
    assert comp.a.paths == comp.b.paths == 1500
    ref_a = simulator.simulate(baseline, paths=1500, seed=baseline.simulation.seed)
    ref_b = simulator.simulate(b, paths=1500, seed=baseline.simulation.seed)
    for name in METRICS:
        np.testing.assert_array_equal(comp.a.metrics[name], ref_a.metrics[name], err_msg=name)
        np.testing.assert_array_equal(comp.b.metrics[name], ref_b.metrics[name], err_msg=name)


@pytest.mark.parametrize(
    ("override", "field", "got", "want"),
    [
        ({"horizon.years": 30}, "horizon.years", "30", "35"),
        ({"oil_price.model": "gbm"}, "oil_price.model", "gbm", "mean_reverting"),
    ],
)
def test_misaligned_draws_are_refused(
    baseline: Scenario, override: dict[str, object], field: str, got: str, want: str
) -> None:
    other = baseline.with_overrides(override)
    with pytest.raises(InputError) as err:
        compare(baseline, other, paths=1000)
    assert err.value.field == field
    message = str(err.value)
    assert field in message and got in message and want in message
    assert "common random numbers" in message


def test_bootstrap_block_length_must_match(baseline: Scenario) -> None:
    a = baseline.with_overrides({"oil_price.model": "bootstrap"})
    b = a.with_overrides({"oil_price.bootstrap_block_years": 5})
    with pytest.raises(InputError, match=r"oil_price\.bootstrap_block_years"):
        compare(a, b, paths=1000)


def test_runs_with_different_seeds_cannot_be_paired(baseline: Scenario) -> None:
    x1 = simulator.simulate(baseline, paths=1000, seed=1, keep_series=False)
    x2 = simulator.simulate(baseline, paths=1000, seed=2, keep_series=False)
    with pytest.raises(InputError) as err:
        Comparison(a=x1, b=x2)
    assert err.value.field == "seed"


def test_text_names_both_scenarios(coupon_comparison: Comparison) -> None:
    text = coupon_comparison.text()
    assert "naef-2005" in text
    assert "coupon-7pct" in text
    assert "common random numbers" in text
    assert f"{PATHS:,} paths" in text
    assert str(coupon_comparison.a.seed) in text
    row = coupon_comparison.table().loc["mdf_inflow_pv_usd_bn"]
    assert f"{row['independent_se'] / row['diff_se']:.1f}x smaller" in text
    # The default flag is shown in percent: A's frequency x 100 with three decimals.
    p_a = 100 * coupon_comparison.a.metrics["default"].mean()
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("Default ["))
    assert f"{p_a:.3f}" in line
