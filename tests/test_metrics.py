"""Present values and the statistics over paths (simulator.model.metrics).

References: small arrays whose sums, means, percentiles (numpy's linear
interpolation written out here) and standard errors are worked out by hand or by plain Python
loops in each test. ``irr`` and ``npv`` are covered by tests/test_irr_npv.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.model.metrics import (
    block_sums,
    cvar_lower,
    first_flagged,
    is_idle,
    present_value,
    row_statistic,
    standard_error,
    sum_over_years,
)

NAN = math.nan


def _percentile(values: list[float], pct: float) -> float:
    """Linear-interpolation percentile of the finite values, by hand."""
    x = sorted(v for v in values if math.isfinite(v))
    pos = pct / 100.0 * (len(x) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(x) - 1)
    return x[lo] + (pos - lo) * (x[hi] - x[lo])


def _assert_same(got: np.ndarray, expected: list[float]) -> None:
    """Equal to 1e-14 relative, with NaN where the expected value is NaN."""
    np.testing.assert_allclose(got, np.array(expected, dtype=float), rtol=1e-14, equal_nan=True)


# --- present values ---------------------------------------------------------------------------


def _loop_pv(discount: np.ndarray, values: np.ndarray) -> list[float]:
    """sum_t discount[t] values[t] per path, summed year after year in plain Python."""
    d = discount.reshape(values.shape[0], -1)
    out = []
    for n in range(values.shape[1]):
        total = 0.0
        for t in range(values.shape[0]):
            total += float(d[t, 0 if d.shape[1] == 1 else n]) * float(values[t, n])
        out.append(total)
    return out


def test_present_value_small_case_by_hand() -> None:
    """Discount [1, 0.5, 0.25]: 4 + 0.5 x 2 + 0.25 x 8 = 7 and 1 + 1 + 1 = 3."""
    values = np.array([[4.0, 1.0], [2.0, 2.0], [8.0, 4.0]])
    got = present_value(np.array([1.0, 0.5, 0.25]), values)
    np.testing.assert_array_equal(got, [7.0, 3.0])


def _pv_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    years = 25
    values = rng.normal(0.0, 3.0, size=(years, 1000))
    discount = 1.06 ** -np.arange(years, dtype=float)
    per_path_discount = rng.uniform(0.2, 1.0, size=(years, 1000))
    return values, discount, per_path_discount


#: Three paths of the 1000 of ``_pv_case``.
COLS = [5, 500, 999]


def test_present_value_equals_a_plain_loop_exactly() -> None:
    """Over 25 years and 3 paths, the present value equals a year-after-year Python loop
    exactly (==), with one discount vector and with one per path."""
    values, discount, per_path = _pv_case()
    v3 = np.ascontiguousarray(values[:, COLS])
    assert present_value(discount, v3).tolist() == _loop_pv(discount, v3)
    d3 = np.ascontiguousarray(per_path[:, COLS])
    assert present_value(d3, v3).tolist() == _loop_pv(d3, v3)


def test_present_value_does_not_depend_on_the_number_of_paths() -> None:
    """Three paths computed alone and inside 1000 paths give identical values (==), and the
    1000-path result equals the plain loop on every path."""
    values, discount, per_path = _pv_case()
    pv_all = present_value(discount, values)
    pv_three = present_value(discount, np.ascontiguousarray(values[:, COLS]))
    assert pv_three.tolist() == pv_all[COLS].tolist()
    assert pv_all.tolist() == _loop_pv(discount, values)
    pv_all_pp = present_value(per_path, values)
    pv_three_pp = present_value(
        np.ascontiguousarray(per_path[:, COLS]), np.ascontiguousarray(values[:, COLS])
    )
    assert pv_three_pp.tolist() == pv_all_pp[COLS].tolist()


def test_present_value_of_a_single_path_matches_the_same_path_among_many() -> None:
    """A chunk of one path (as the last chunk of a run can be) gives the same value (==) as the
    same path inside 1000 paths and as the plain loop, over 25 years."""
    values, discount, _ = _pv_case()
    pv_all = present_value(discount, values)
    for col in COLS:
        one = np.ascontiguousarray(values[:, [col]])
        assert present_value(discount, one).tolist() == _loop_pv(discount, one)
        assert present_value(discount, one).tolist() == [pv_all[col]]


def test_present_value_does_not_depend_on_memory_layout() -> None:
    """The same 3 paths in Fortran order (as ``values[:, cols]`` returns them) give the same
    values (==) as in C order and as the plain loop: the sum is year after year either way."""
    values, discount, _ = _pv_case()
    v3_f = np.asfortranarray(values[:, COLS])
    v3_c = np.ascontiguousarray(values[:, COLS])
    assert present_value(discount, v3_f).tolist() == present_value(discount, v3_c).tolist()
    assert present_value(discount, v3_f).tolist() == _loop_pv(discount, v3_c)


def test_present_value_of_an_idle_flow_is_zero() -> None:
    """A flow nobody pays (a read-only view of one zero) has a present value of 0 on every path,
    and a view of another constant is not taken for one."""
    _, discount, per_path = _pv_case()
    idle = np.broadcast_to(0.0, (25, 1000))
    assert is_idle(idle)
    assert present_value(discount, idle).tolist() == [0.0] * 1000
    assert present_value(per_path, idle).tolist() == [0.0] * 1000
    ones = np.broadcast_to(1.0, (25, 1000))
    assert not is_idle(ones)
    assert not is_idle(np.zeros((25, 1000)))  # a zero array may be written to: not idle
    assert present_value(discount, ones).tolist() == _loop_pv(discount, np.ones((25, 1000)))


# --- sums over the years and over blocks of paths ------------------------------------------


def _loop_sum(values: np.ndarray) -> list[float]:
    """values[0] + values[1] + ... per path, in plain Python."""
    out = []
    for n in range(values.shape[1]):
        total = 0.0
        for t in range(values.shape[0]):
            total += float(values[t, n])
        out.append(total)
    return out


@pytest.mark.parametrize("paths", [1, 2, 3, 7, 16, 17, 1000])
def test_sum_over_years_equals_a_plain_loop_exactly(paths: int) -> None:
    """Year after year for every path (==), however many paths and in either memory order."""
    values, _, _ = _pv_case()
    v = np.ascontiguousarray(values[:, :paths])
    assert sum_over_years(v).tolist() == _loop_sum(v)
    assert sum_over_years(np.asfortranarray(v)).tolist() == _loop_sum(v)
    assert sum_over_years(np.broadcast_to(0.0, v.shape)).tolist() == [0.0] * paths


def test_block_sums_by_hand() -> None:
    """Blocks of 2 paths over 5 paths: [1+2, 3+4, 5] and [10+20, 30+40, 50]."""
    values = np.array([[1.0, 2.0, 3.0, 4.0, 5.0], [10.0, 20.0, 30.0, 40.0, 50.0]])
    np.testing.assert_array_equal(block_sums(values, 2), [[3.0, 7.0, 5.0], [30.0, 70.0, 50.0]])
    np.testing.assert_array_equal(block_sums(np.broadcast_to(0.0, (2, 5)), 2), np.zeros((2, 3)))


def test_block_sums_are_the_sums_of_each_block_and_do_not_depend_on_the_others() -> None:
    """Blocks of 64 paths of 1000 (the last of 40): each within rounding of math.fsum of its
    paths, and identical (==) to the same block summed alone or among fewer blocks, in C or
    Fortran order, as a chunk of a run would hold it."""
    values, _, _ = _pv_case()
    got = block_sums(values, 64)
    assert got.shape == (25, 16)
    for b in range(16):
        block = values[:, 64 * b : 64 * (b + 1)]
        exact = [math.fsum(row) for row in block]
        np.testing.assert_allclose(got[:, b], exact, rtol=1e-12, atol=1e-12)
    first = block_sums(np.ascontiguousarray(values[:, :192]), 64)
    assert first.tolist() == got[:, :3].tolist()
    last = block_sums(np.ascontiguousarray(values[:, 960:]), 64)
    assert last.tolist() == got[:, 15:].tolist()
    assert block_sums(np.asfortranarray(values[:, :192]), 64).shape == (25, 3)
    np.testing.assert_allclose(block_sums(np.asfortranarray(values[:, :192]), 64), first)


def test_first_flagged_by_hand() -> None:
    """Paths flagged first in years 2, 0 and 1 (twice), and one never flagged (0)."""
    flags = np.array(
        [
            [False, True, False, False],
            [False, True, True, False],
            [True, False, True, False],
        ]
    )
    got = first_flagged(flags, flags.any(axis=0))
    assert got.tolist() == [2, 0, 1, 0]
    assert got.dtype == np.intp


def test_first_flagged_equals_numpy_argmax() -> None:
    """On sparse random flags over many paths, and with no path flagged at all."""
    rng = np.random.default_rng(3)
    flags = rng.random((35, 5000)) < 0.004
    np.testing.assert_array_equal(first_flagged(flags, flags.any(axis=0)), flags.argmax(axis=0))
    none = np.zeros((35, 10), dtype=bool)
    assert first_flagged(none, none.any(axis=0)).tolist() == [0] * 10
    many = rng.random((35, 500)) < 0.1  # most paths flagged
    np.testing.assert_array_equal(first_flagged(many, many.any(axis=0)), many.argmax(axis=0))


# --- row_statistic --------------------------------------------------------------------------

ROWS = [[1.0, NAN, 2.0, 3.0, 10.0, 4.0], [-1.0, 0.0, 2.0, NAN, NAN, 5.0]]


def test_row_statistic_mean_skips_nan() -> None:
    """The mean of the finite values: (1+2+3+10+4)/5 = 4 and (-1+0+2+5)/4 = 1.5."""
    _assert_same(row_statistic(np.array(ROWS), "mean"), [4.0, 1.5])


def test_row_statistic_share_positive_counts_nan_as_not_positive() -> None:
    """Share above 0 over every path, NaN included in the count: 5/6 and 2/6 (0 is not > 0)."""
    _assert_same(row_statistic(np.array(ROWS), "share_positive"), [5.0 / 6.0, 2.0 / 6.0])


def test_row_statistic_probability_of_flags() -> None:
    """The mean of boolean flags over every path: 2/4, 0/4 and 3/4."""
    flags = np.array([[True, False, False, True], [False] * 4, [True, True, False, True]])
    _assert_same(row_statistic(flags, "probability"), [0.5, 0.0, 0.75])


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [("p10", [1.4, -0.7]), ("p50", [3.0, 1.0]), ("p90", [7.6, 4.1])],
)
def test_row_statistic_percentiles_skip_nan(statistic: str, expected: list[float]) -> None:
    """Linear-interpolation percentiles of the finite values: sorted [1, 2, 3, 4, 10] at
    positions 0.4, 2, 3.6 and [-1, 0, 2, 5] at 0.3, 1.5, 2.7 (hand values and a hand loop)."""
    pct = float(statistic[1:])
    hand = [_percentile(row, pct) for row in ROWS]
    np.testing.assert_allclose(hand, expected, rtol=1e-14)
    np.testing.assert_allclose(row_statistic(np.array(ROWS), statistic), expected, rtol=1e-14)


def test_row_statistic_cvar5() -> None:
    """Mean of the lowest ceil(0.05 k) finite values: k = 5 -> the minimum (1 and -1); with
    30 values 0..29 shuffled plus NaN, ceil(1.5) = 2 -> (0 + 1)/2."""
    _assert_same(row_statistic(np.array(ROWS), "cvar5"), [1.0, -1.0])
    rng = np.random.default_rng(3)
    row = np.append(rng.permutation(30).astype(float), [NAN, NAN])
    _assert_same(row_statistic(row[None], "cvar5"), [0.5])


@pytest.mark.parametrize("statistic", ["mean", "p50", "p90", "cvar5"])
def test_row_statistic_row_without_finite_values_is_nan(statistic: str) -> None:
    """A row of NaN gives NaN; the other row keeps its value (2, 2, 2.8, 1 by hand)."""
    values = np.array([[NAN, NAN, NAN], [1.0, 2.0, 3.0]])
    got = row_statistic(values, statistic)
    assert math.isnan(got[0])
    expected = {"mean": 2.0, "p50": 2.0, "p90": 2.8, "cvar5": 1.0}[statistic]
    assert got[1] == pytest.approx(expected, rel=1e-14)


def test_row_statistic_unknown_statistic_raises() -> None:
    """An unknown statistic is an error, not a silent NaN."""
    with pytest.raises(ValueError, match="unknown statistic"):
        row_statistic(np.array([[1.0, 2.0]]), "median")


# --- standard_error -------------------------------------------------------------------------


def test_standard_error_of_a_probability() -> None:
    """Binomial: p = 1/4 over 4 paths -> sqrt(0.25 x 0.75 / 4)."""
    got = standard_error(np.array([True, False, False, False]), "probability")
    assert got == pytest.approx(math.sqrt(0.25 * 0.75 / 4.0), rel=1e-14)


def test_standard_error_of_a_share_positive_counts_nan_paths() -> None:
    """[1, NaN, -1, 2]: p = 2/4 over n = 4 paths (NaN counted) -> sqrt(0.25 / 4) = 0.25."""
    got = standard_error(np.array([1.0, NAN, -1.0, 2.0]), "share_positive")
    assert got == pytest.approx(0.25, rel=1e-14)


def test_standard_error_of_a_mean() -> None:
    """Finite [1, 2, 3, 10, 4]: deviations from 4 square to 50, sd^2 = 50/4, se = sqrt(12.5/5);
    one finite value -> 0, none -> NaN."""
    got = standard_error(np.array([1.0, 2.0, NAN, 3.0, 10.0, 4.0]), "mean")
    assert got == pytest.approx(math.sqrt(2.5), rel=1e-14)
    assert standard_error(np.array([NAN, 7.0]), "mean") == 0.0
    assert math.isnan(standard_error(np.array([NAN, NAN]), "mean"))


SQUARES = [81.0, 4.0, NAN, 0.0, 49.0, 16.0, 1.0, 64.0, 36.0, 9.0, 25.0]  # k = 10 finite


def _hand_percentile_se(values: list[float], q: float) -> float:
    """Half the gap between the sorted finite values at floor(kq - h), ceil(kq + h), clipped."""
    x = sorted(v for v in values if math.isfinite(v))
    k = len(x)
    h = math.sqrt(k * q * (1.0 - q))
    lo = max(0, math.floor(k * q - h))
    hi = min(k - 1, math.ceil(k * q + h))
    return (x[hi] - x[lo]) / 2.0


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [
        ("p10", 2.0),  # 1 -+ 0.949: order statistics 0 and 2 -> (4 - 0)/2
        ("p20", 8.0),  # 2 -+ 1.265: floor(0.74) = 0 and ceil(3.26) = 4 -> (16 - 0)/2
        ("p25", 7.5),  # 2.5 -+ 1.369: 1 and 4 -> (16 - 1)/2
        ("p50", 20.0),  # 5 -+ 1.581: 3 and 7 -> (49 - 9)/2
        ("p90", 8.5),  # 9 -+ 0.949: 8 and 10, clipped to 9 -> (81 - 64)/2
    ],
)
def test_standard_error_of_a_percentile(statistic: str, expected: float) -> None:
    """Sorted squares 0..81 (k = 10, one NaN left out): half the distance between the order
    statistics at floor(kq - sqrt(kq(1-q))) and ceil(kq + sqrt(kq(1-q)))."""
    q = float(statistic[1:]) / 100.0
    assert _hand_percentile_se(SQUARES, q) == expected
    assert standard_error(np.array(SQUARES), statistic) == pytest.approx(expected, rel=1e-15)


def test_standard_error_of_a_percentile_clips_the_low_end() -> None:
    """Two values [3, 10] at q = 0.1: floor(0.2 - 0.42) = -1 is clipped to 0, ceil(0.62) = 1,
    so (10 - 3)/2; fewer than two finite values -> NaN."""
    assert _hand_percentile_se([10.0, 3.0], 0.1) == 3.5
    assert standard_error(np.array([10.0, NAN, 3.0]), "p10") == 3.5
    assert math.isnan(standard_error(np.array([5.0, NAN]), "p50"))


def test_standard_error_of_cvar5_is_nan() -> None:
    """No standard error is estimated for cvar5."""
    assert math.isnan(standard_error(np.arange(100.0), "cvar5"))


# --- cvar_lower -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alpha", "expected"),
    [
        (0.05, 1.0),  # ceil(0.25) = 1: the minimum
        (0.3, 1.5),  # ceil(1.5) = 2: (1 + 2)/2
        (0.5, 2.0),  # ceil(2.5) = 3: (1 + 2 + 3)/3
        (1.0, 3.0),  # all five: 15/5
    ],
)
def test_cvar_lower(alpha: float, expected: float) -> None:
    """Mean of the lowest ceil(alpha n) finite values of [5, 1, 3, 2, 4] (NaN and inf left
    out, so n = 5), by hand."""
    x = np.array([5.0, 1.0, NAN, 3.0, math.inf, 2.0, -math.inf, 4.0])
    got = cvar_lower(x, alpha)
    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=1e-15)


def test_cvar_lower_without_finite_values_is_nan() -> None:
    """Nothing finite to average: NaN."""
    assert math.isnan(cvar_lower(np.array([])))
    assert math.isnan(cvar_lower(np.array([NAN, math.inf])))
