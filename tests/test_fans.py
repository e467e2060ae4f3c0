"""Fan percentiles against numpy's own (nan)percentile, including rows with missing values."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.run.results import _row_percentiles

PCT = [5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0]


@pytest.mark.parametrize("paths", [1, 2, 7, 1000, 20_001])
def test_row_percentiles_equal_numpy_percentile(paths: int) -> None:
    rng = np.random.default_rng(paths)
    arr = rng.lognormal(size=(12, paths))
    np.testing.assert_array_equal(_row_percentiles(arr, PCT), np.percentile(arr, PCT, axis=1))


def test_row_percentiles_skip_nan_like_nanpercentile() -> None:
    rng = np.random.default_rng(7)
    arr = rng.normal(size=(6, 501))
    arr[1, :250] = np.nan  # half missing
    arr[2] = np.nan  # all missing: NaN percentiles
    arr[3, 1:] = np.nan  # one value left
    got = _row_percentiles(arr, PCT)
    for i, row in enumerate(arr):
        if np.isnan(row).all():
            assert np.isnan(got[:, i]).all()
        else:
            np.testing.assert_array_equal(got[:, i], np.nanpercentile(row, PCT))
