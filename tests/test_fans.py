"""Fan percentiles against numpy's own (nan)percentile, including rows with missing values."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model.metrics import percentiles_by_row
from simulator.run.results import Results

PCT = [5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0]


@pytest.mark.parametrize("paths", [1, 2, 7, 1000, 20_001])
def test_percentiles_by_row_equal_numpy_percentile(paths: int) -> None:
    rng = np.random.default_rng(paths)
    arr = rng.lognormal(size=(12, paths))
    np.testing.assert_array_equal(percentiles_by_row(arr, PCT), np.percentile(arr, PCT, axis=1))


def test_percentiles_by_row_skip_nan_like_nanpercentile() -> None:
    rng = np.random.default_rng(7)
    arr = rng.normal(size=(6, 501))
    arr[1, :250] = np.nan  # half missing
    arr[2] = np.nan  # all missing: NaN percentiles
    arr[3, 1:] = np.nan  # one value left
    got = percentiles_by_row(arr, PCT)
    for i, row in enumerate(arr):
        if np.isnan(row).all():
            assert np.isnan(got[:, i]).all()
        else:
            np.testing.assert_array_equal(got[:, i], np.nanpercentile(row, PCT))


def test_percentiles_by_row_of_a_flow_nobody_pays_are_zero() -> None:
    """A read-only view of one zero (a flow the structure never moves) gives numpy's
    percentiles of zeros without being sorted."""
    idle = np.broadcast_to(0.0, (4, 9))
    np.testing.assert_array_equal(
        percentiles_by_row(idle, PCT), np.percentile(np.zeros((4, 9)), PCT, axis=1)
    )


def test_series_of_a_flow_nobody_pays(baseline_run: Results) -> None:
    """The baseline buys no hedge: the premium's series is zeros on every kept path and year,
    the frame is the caller's own (writing to it changes nothing kept), and its fan is 0."""
    frame = baseline_run.series("hedge_premium_usd_bn")
    assert frame.shape == (baseline_run.scenario.horizon.years, baseline_run.paths)
    assert (frame.to_numpy() == 0.0).all()
    frame.iloc[0, 0] = 1.0
    assert (baseline_run.series("hedge_premium_usd_bn").to_numpy() == 0.0).all()
    assert (baseline_run.fan("hedge_premium_usd_bn").to_numpy() == 0.0).all()
