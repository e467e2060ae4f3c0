"""NPV and the vectorized IRR (simulator.model.metrics) against numpy_financial and closed forms.

``numpy_financial.irr`` (polynomial roots, the root nearest zero) is the reference; flows with a
known IRR by construction (the first flow set so that the NPV at r is zero) give a second,
independent one.
"""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulator.model.metrics import irr, npv


def _conventional(rng: np.random.Generator, years: int, paths: int) -> np.ndarray:
    """Negative flows in the first 1-5 years, non-negative after (one sign change)."""
    n_neg = rng.integers(1, 6, size=paths)
    neg = -rng.uniform(5.0, 100.0, size=(years, paths))
    pos = rng.uniform(0.0, 50.0, size=(years, paths))
    pos[-1] += 1.0  # at least one positive flow
    t = np.arange(years)[:, None]
    return np.where(t < n_neg, neg, pos)


def _npv_ref(rate: float, values: np.ndarray) -> float:
    return float(sum(v / (1.0 + rate) ** t for t, v in enumerate(values)))


# --- NPV ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [-0.5, 0.0, 0.06, 0.35, 3.0])
def test_npv_matches_numpy_financial(rate: float) -> None:
    rng = np.random.default_rng(11)
    flows = rng.normal(0.0, 10.0, size=(30, 50))
    got = npv(rate, flows)
    assert got.shape == (50,)
    for n in range(flows.shape[1]):
        assert got[n] == pytest.approx(npf.npv(rate, flows[:, n]), rel=1e-12, abs=1e-10)
    one = npv(rate, flows[:, 0])
    assert np.ndim(one) == 0
    assert float(one) == pytest.approx(npf.npv(rate, flows[:, 0]), rel=1e-12, abs=1e-10)


def test_npv_by_hand() -> None:
    # numpy_financial docs: -40,000, 5,000, 8,000, 12,000, 30,000 at 8% -> 3065.22267
    flows = np.array([-40_000.0, 5_000.0, 8_000.0, 12_000.0, 30_000.0])
    assert round(float(npv(0.08, flows)), 5) == 3065.22267
    assert float(npv(0.1, np.array([-100.0, 110.0]))) == pytest.approx(0.0, abs=1e-12)


# --- IRR: references ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        # numpy_financial.irr docstring examples, 5 decimals
        ([-100, 39, 59, 55, 20], 0.28095),
        ([-100, 0, 0, 74], -0.0955),
        # not conventional: more than one sign change, the root nearest zero
        ([-100, 100, 0, -7], -0.0833),
        ([-100, 100, 0, 7], 0.06206),
        ([-5, 10.5, 1, -8, 1], 0.0886),
    ],
)
def test_irr_numpy_financial_doc_examples(flows: list[float], expected: float) -> None:
    got = irr(np.array(flows, dtype=float))
    assert np.ndim(got) == 0
    assert round(float(got), 5) == expected


@settings(max_examples=60, deadline=None)
@given(
    neg=st.lists(st.floats(1.0, 100.0), min_size=1, max_size=5),
    pos=st.lists(st.floats(0.0, 50.0), min_size=1, max_size=30),
)
def test_irr_matches_numpy_financial_on_conventional_flows(
    neg: list[float], pos: list[float]
) -> None:
    pos[-1] += 0.5  # the flows must end positive: exactly one sign change
    flows = np.array([-v for v in neg] + pos)
    # One sign change: the NPV is positive below the IRR and negative above it. Keep the root
    # well inside the documented search range (-99%, 10,000%].
    assume(_npv_ref(-0.95, flows) > 0.0 > _npv_ref(50.0, flows))
    ref = npf.irr(flows)
    assert math.isfinite(ref)
    got = float(irr(flows))
    assert got == pytest.approx(ref, abs=1e-6)
    assert abs(_npv_ref(got, flows)) <= 1e-9 * np.abs(flows).sum()


def test_irr_batch_matches_numpy_financial_column_by_column() -> None:
    rng = np.random.default_rng(12)
    flows = _conventional(rng, years=25, paths=3000)
    got = irr(flows)
    assert got.shape == (3000,)
    ref = np.array([npf.irr(flows[:, n]) for n in range(flows.shape[1])])
    assert np.isfinite(ref).all()
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)


def test_irr_batch_recovers_the_rate_it_was_built_with() -> None:
    """Positive flows after year 0, the first flow chosen so that NPV(r) = 0."""
    rng = np.random.default_rng(13)
    years, paths = 35, 4000
    r = rng.uniform(-0.6, 3.0, size=paths)
    flows = rng.uniform(0.0, 10.0, size=(years, paths))
    flows[1] += 0.1
    disc = (1.0 + r)[None, :] ** -np.arange(years)[:, None]
    flows[0] = -(flows[1:] * disc[1:]).sum(axis=0)
    got = irr(flows)
    np.testing.assert_allclose(got, r, rtol=1e-8, atol=1e-9)


def test_npv_at_the_irr_is_zero() -> None:
    rng = np.random.default_rng(14)
    flows = _conventional(rng, years=35, paths=2000)
    rates = irr(flows)
    assert np.isfinite(rates).all()
    for n in range(0, flows.shape[1], 7):
        col = flows[:, n]
        assert abs(npf.npv(rates[n], col)) <= 1e-9 * np.abs(col).sum()


# --- IRR: special cases -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flows",
    [
        [10.0, 20.0, 5.0],  # all positive
        [-10.0, -20.0, -5.0],  # all negative
        [0.0, 0.0, 0.0, 0.0],  # all zero: every rate is a "root", no IRR
        [0.0, 5.0, 0.0],  # non-negative
        [-3.0, 0.0, 0.0],  # non-positive
        [-7.0],  # a single year
    ],
)
def test_irr_nan_where_no_root(flows: list[float]) -> None:
    v = np.array(flows)
    assert np.isnan(irr(v))
    got = irr(np.column_stack([v, v]))
    assert got.shape == (2,)
    assert np.isnan(got).all()


def test_irr_nan_columns_do_not_disturb_the_others() -> None:
    flows = np.array(
        [
            [-100.0, 5.0, 0.0, -100.0, -100.0],
            [39.0, 5.0, 0.0, 0.0, 110.0],
            [59.0, 5.0, 0.0, 0.0, 0.0],
            [55.0, 5.0, 0.0, 74.0, 0.0],
            [20.0, 5.0, 0.0, 0.0, 0.0],
        ]
    )
    got = irr(flows)
    assert round(float(got[0]), 5) == 0.28095
    assert np.isnan(got[1])
    assert np.isnan(got[2])
    assert round(float(got[3]), 5) == -0.0955
    assert got[4] == pytest.approx(0.1, abs=1e-12)


@pytest.mark.parametrize(
    "rate", [-0.95, -0.9, -0.5, -0.25, 0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 99.0]
)
def test_irr_exact_roots(rate: float) -> None:
    """Flows whose IRR is exactly ``rate`` (many of these rates sit on a search grid)."""
    for flows in ([-100.0, 100.0 * (1 + rate)], [-8.0, 0.0, 8.0 * (1 + rate) ** 2]):
        got = float(irr(np.array(flows)))
        assert got == pytest.approx(rate, rel=1e-12, abs=1e-12), flows


def test_irr_example_from_the_brief() -> None:
    assert float(irr(np.array([-100.0, 110.0]))) == pytest.approx(0.1, rel=1e-12)


def test_irr_at_the_documented_upper_end_of_the_search() -> None:
    """The docstring searches (-99%, 10,000%]: an IRR of exactly 10,000% is found."""
    assert float(irr(np.array([-1.0, 101.0]))) == pytest.approx(100.0, rel=1e-12)


def test_irr_on_the_longest_horizon() -> None:
    """200 years, the longest horizon a scenario accepts (no overflow, no warning)."""
    rng = np.random.default_rng(15)
    years, paths = 200, 64
    r = rng.uniform(0.0, 0.3, size=paths)
    flows = rng.uniform(0.5, 5.0, size=(years, paths))
    disc = (1.0 + r)[None, :] ** -np.arange(years)[:, None]
    flows[0] = -(flows[1:] * disc[1:]).sum(axis=0)
    got = irr(flows)
    np.testing.assert_allclose(got, r, rtol=1e-8, atol=1e-9)
