"""What drives distress (simulator.analysis.drivers).

References are computed here with numpy from ``Results.series`` and ``Results.metrics`` and from
separate ``simulate`` calls, never taken from the code under test. The run is the baseline with a
low long-run price ($40/bbl), so a good share of its 4000 paths are distressed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.drivers import DRIVER_COLUMNS, distress_drivers, price_by_group
from simulator.model.chain import Plan
from simulator.run.engine import draw_normals, simulate
from simulator.run.results import Results
from simulator.scenario import InputError, Scenario

ROOT = Path(__file__).parents[1]
PATHS = 4000
LOW_PRICE = {"oil_price.long_run_usd_per_bbl": 40.0}


@pytest.fixture(scope="module")
def low(baseline: Scenario) -> Results:
    return simulate(baseline.with_overrides(LOW_PRICE), paths=PATHS)


@pytest.fixture(scope="module")
def table(low: Results) -> pd.DataFrame:
    return distress_drivers(low)


def _groups(res: Results) -> tuple[np.ndarray, np.ndarray]:
    price = res.series("oil_price_usd_per_bbl").to_numpy()
    flags = res.metrics["distress"].to_numpy(dtype=bool)[: price.shape[1]]
    return price, flags


def _pooled_sd(x: np.ndarray, flags: np.ndarray) -> float:
    a, b = x[flags], x[~flags]
    ss = ((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum()
    return float(np.sqrt(ss / (a.size + b.size - 2)))


def test_shape_and_order(low: Results, table: pd.DataFrame) -> None:
    years = [int(y) for y in low.years]
    want = {"production_factor", "oil_price_mean_usd_per_bbl", "oil_price_min_usd_per_bbl"}
    want |= {f"oil_price_{y}" for y in years}
    assert table.index.name == "driver"
    assert set(table.index) == want and len(table) == len(want)
    assert tuple(table.columns) == DRIVER_COLUMNS
    assert list(table["rank"]) == list(range(1, len(table) + 1))
    size = table["standardized_difference"].abs().to_numpy()
    assert np.all(np.diff(size) <= 0)


def test_both_groups_present(low: Results) -> None:
    _, flags = _groups(low)
    assert 100 < flags.sum() < flags.size - 100


def test_production_factor_is_one_without_spread(baseline: Scenario) -> None:
    """With no capex-overrun and no reservoir spread, and capex whose cost does not follow
    oil, every path produces the base profile."""
    sc = baseline.with_overrides(
        {
            **LOW_PRICE,
            "pemex.capex_overrun_sd": 0.0,
            "pemex.reservoir_factor_sd": 0.0,
            "pemex.cost_price_elasticity": 0.0,
        }
    )
    res = simulate(sc, paths=PATHS)
    table = distress_drivers(res)
    row = table.loc["production_factor"]
    assert row["mean_distressed"] == pytest.approx(1.0, abs=1e-12)
    assert row["mean_other"] == pytest.approx(1.0, abs=1e-12)
    assert row["difference"] == pytest.approx(0.0, abs=1e-12)
    assert row["standardized_difference"] == 0.0
    # Every path's own factor, from the series and an independently built base profile.
    prod = res.series("production_kbd").to_numpy()
    base = prod[:, 0]  # all paths equal: each column is the base profile
    assert np.allclose(prod, base[:, None], rtol=1e-12, atol=0.0)
    on = base > 0
    factor = (prod[on] / base[on, None]).mean(axis=0)
    assert np.all(np.abs(factor - 1.0) <= 1e-12)


def test_production_factor_is_reservoir_over_overrun(low: Results, table: pd.DataFrame) -> None:
    """Group means of the factor equal those of exp(sd_res z1) / exp(sd_over z0) of the draws."""
    _, flags = _groups(low)
    pemex = low.scenario.pemex
    # Each path's stream holds all its draws (2 factors, then the price shocks); rows 0 and 1
    # of the result are the capex overrun and the reservoir normals.
    n_draws = Plan.build(low.scenario).n_draws
    z = draw_normals(low.seed, 0, flags.size, n_draws)
    ref = np.exp(pemex.reservoir_factor_sd * z[1]) / np.exp(pemex.capex_overrun_sd * z[0])
    row = table.loc["production_factor"]
    assert row["mean_distressed"] == pytest.approx(ref[flags].mean(), rel=1e-12)
    assert row["mean_other"] == pytest.approx(ref[~flags].mean(), rel=1e-12)


def test_directions(table: pd.DataFrame) -> None:
    """Distressed paths see lower prices, and produce no more than the others."""
    assert table.loc["oil_price_mean_usd_per_bbl", "difference"] < 0
    assert table.loc["oil_price_min_usd_per_bbl", "difference"] < 0
    assert table.loc["production_factor", "difference"] <= 0


def test_values_match_numpy(low: Results, table: pd.DataFrame) -> None:
    price, flags = _groups(low)
    mean_price = price.mean(axis=0)
    row = table.loc["oil_price_mean_usd_per_bbl"]
    assert row["mean_distressed"] == pytest.approx(mean_price[flags].mean(), rel=1e-12)
    assert row["mean_other"] == pytest.approx(mean_price[~flags].mean(), rel=1e-12)
    diff = mean_price[flags].mean() - mean_price[~flags].mean()
    assert row["difference"] == pytest.approx(diff, rel=1e-9)
    assert row["standardized_difference"] == pytest.approx(
        diff / _pooled_sd(mean_price, flags), rel=1e-9
    )

    year = int(low.years[10])
    p = price[10]
    row = table.loc[f"oil_price_{year}"]
    diff = p[flags].mean() - p[~flags].mean()
    assert row["mean_distressed"] == pytest.approx(p[flags].mean(), rel=1e-12)
    assert row["mean_other"] == pytest.approx(p[~flags].mean(), rel=1e-12)
    assert row["difference"] == pytest.approx(diff, rel=1e-9)
    assert row["standardized_difference"] == pytest.approx(diff / _pooled_sd(p, flags), rel=1e-9)


def test_constant_quantity_has_zero_standardized_difference(
    low: Results, table: pd.DataFrame
) -> None:
    price, _ = _groups(low)
    constant = [i for i in range(price.shape[0]) if np.ptp(price[i]) == 0.0]
    for i in constant:
        row = table.loc[f"oil_price_{int(low.years[i])}"]
        assert row["difference"] == 0.0
        assert row["standardized_difference"] == 0.0


def test_price_by_group(low: Results) -> None:
    price, flags = _groups(low)
    out = price_by_group(low)
    assert out.index.equals(low.years)
    assert list(out.columns) == [f"{g}_p{q}" for g in ("distressed", "other") for q in (10, 50, 90)]
    assert np.allclose(out["distressed_p50"], np.median(price[:, flags], axis=1), rtol=1e-12)
    assert np.allclose(out["other_p90"], np.percentile(price[:, ~flags], 90, axis=1), rtol=1e-12)


def test_no_series_raises(baseline: Scenario) -> None:
    res = simulate(baseline.with_overrides(LOW_PRICE), paths=200, keep_series=False)
    with pytest.raises(InputError, match="kept no per-path series"):
        distress_drivers(res)
    with pytest.raises(InputError, match="kept no per-path series"):
        price_by_group(res)


def test_no_distressed_path_raises(baseline: Scenario) -> None:
    sc = baseline.with_overrides({"oil_price.long_run_usd_per_bbl": 200.0})
    res = simulate(sc, paths=500)
    assert not res.metrics["distress"].any()
    with pytest.raises(InputError, match="no path is distressed"):
        distress_drivers(res)
    with pytest.raises(InputError, match="no path is distressed"):
        price_by_group(res)
