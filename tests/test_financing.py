"""NAEF tranches and the scheduled debt service (simulator.model.financing).

References: the annuity formula, a plain year-by-year amortization loop written here,
numpy_financial's pmt/ppmt/ipmt, and schedules computed by hand.
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest

from simulator.model.financing import debt_schedule, tranche_schedule
from simulator.scenario import Naef, Scenario

# (face F, coupon c, tenor M, grace G)
LEVEL_CASES = [
    (15.0, 0.06, 20, 5),  # the proposal's tranche
    (1.0, 0.12, 7, 0),
    (100.0, 0.01, 30, 29),  # a single amortizing year
    (3.5, 0.25, 10, 2),
]


def _annuity(face: float, c: float, n: int) -> float:
    return face / n if c == 0.0 else face * c / (1.0 - (1.0 + c) ** -n)


def _amortize(face: float, c: float, m: int, g: int, payment: float) -> tuple[list, list, list]:
    """Plain loop: (balance at start, interest, principal) of each service year of a level loan."""
    bal, start, interest, principal = face, [], [], []
    for year in range(1, m + 1):
        start.append(bal)
        i = c * bal
        p = 0.0 if year <= g else payment - i
        interest.append(i)
        principal.append(p)
        bal -= p
    return start, interest, principal


def _level(face: float, c: float, m: int, g: int) -> tuple[np.ndarray, np.ndarray]:
    return tranche_schedule(face, coupon_rate=c, tenor_years=m, grace_years=g, amortization="level")


@pytest.mark.parametrize(("face", "c", "m", "g"), LEVEL_CASES)
def test_level_payments_are_the_annuity(face: float, c: float, m: int, g: int) -> None:
    interest, principal = _level(face, c, m, g)
    assert interest.shape == principal.shape == (m,)
    annuity = face * c / (1.0 - (1.0 + c) ** -(m - g))
    np.testing.assert_allclose(interest[g:] + principal[g:], annuity, rtol=1e-12)
    # Grace years: interest only, on the full face.
    np.testing.assert_array_equal(principal[:g], 0.0)
    np.testing.assert_allclose(interest[:g], c * face, rtol=1e-15)
    np.testing.assert_allclose(principal.sum(), face, rtol=1e-12)


@pytest.mark.parametrize(("face", "c", "m", "g"), LEVEL_CASES)
def test_level_interest_is_coupon_on_the_starting_balance(
    face: float, c: float, m: int, g: int
) -> None:
    interest, principal = _level(face, c, m, g)
    start, interest_ref, principal_ref = _amortize(face, c, m, g, _annuity(face, c, m - g))
    np.testing.assert_allclose(interest, interest_ref, rtol=1e-12, atol=1e-12 * face)
    np.testing.assert_allclose(principal, principal_ref, rtol=1e-12, atol=1e-12 * face)
    # Interest = c x the balance left by this schedule's own principal payments.
    balance_start = face - np.concatenate(([0.0], np.cumsum(principal)[:-1]))
    np.testing.assert_allclose(interest, c * np.array(start), rtol=1e-12, atol=1e-12 * face)
    np.testing.assert_allclose(interest, c * balance_start, rtol=1e-12, atol=1e-12 * face)
    assert abs(face - principal.sum()) <= 1e-12 * face  # fully repaid at maturity


@pytest.mark.parametrize(("face", "c", "m", "g"), LEVEL_CASES)
def test_level_matches_numpy_financial(face: float, c: float, m: int, g: int) -> None:
    n = m - g
    interest, principal = _level(face, c, m, g)
    pmt = npf.pmt(c, n, -face)
    np.testing.assert_allclose(interest[g:] + principal[g:], pmt, rtol=1e-12)
    per = np.arange(1, n + 1)
    np.testing.assert_allclose(principal[g:], npf.ppmt(c, per, n, -face), rtol=1e-10)
    np.testing.assert_allclose(interest[g:], npf.ipmt(c, per, n, -face), rtol=1e-10, atol=1e-13)


def test_level_without_coupon_repays_equal_slices() -> None:
    face, m, g = 12.0, 10, 4
    interest, principal = _level(face, 0.0, m, g)
    np.testing.assert_array_equal(interest, 0.0)
    np.testing.assert_array_equal(principal[:g], 0.0)
    np.testing.assert_allclose(principal[g:], face / (m - g), rtol=1e-15)


def test_linear_by_hand() -> None:
    interest, principal = tranche_schedule(
        12.0, coupon_rate=0.05, tenor_years=6, grace_years=2, amortization="linear"
    )
    # Principal 12 / (6 - 2) = 3 a year after two grace years; balance 12, 12, 12, 9, 6, 3.
    np.testing.assert_allclose(principal, [0, 0, 3, 3, 3, 3], rtol=1e-15)
    np.testing.assert_allclose(interest, [0.6, 0.6, 0.6, 0.45, 0.3, 0.15], rtol=1e-14)


def test_bullet_by_hand() -> None:
    interest, principal = tranche_schedule(
        10.0, coupon_rate=0.07, tenor_years=5, grace_years=2, amortization="bullet"
    )
    np.testing.assert_array_equal(principal, [0, 0, 0, 0, 10.0])
    np.testing.assert_allclose(interest, [0.7] * 5, rtol=1e-15)


# --- debt_schedule ------------------------------------------------------------------------------


def _tranche_by_hand(naef: Naef) -> tuple[np.ndarray, np.ndarray]:
    """Interest and principal by service year of one tranche of face 1 (plain loop)."""
    m, g, c = naef.tenor_years, naef.grace_years, naef.coupon_rate
    _, interest, principal = _amortize(1.0, c, m, g, _annuity(1.0, c, m - g))
    return np.array(interest), np.array(principal)


def test_default_debt_schedule(literal: Scenario) -> None:
    naef = literal.naef
    assert naef.issuance_usd_bn == (15.0,) * 5
    assert naef.amortization == "level"
    years = literal.horizon.years
    ds = debt_schedule(naef, years=years)
    for arr in (ds.issuance_usd_bn, ds.capex_usd_bn, ds.interest_usd_bn, ds.principal_usd_bn):
        assert arr.shape == (years,)

    np.testing.assert_array_equal(ds.issuance_usd_bn[:5], 15.0)
    np.testing.assert_array_equal(ds.issuance_usd_bn[5:], 0.0)
    np.testing.assert_allclose(ds.capex_usd_bn, ds.issuance_usd_bn * (1 - 0.01), rtol=1e-15)
    assert ds.capex_usd_bn.sum() == pytest.approx(75 * 0.99, rel=1e-14)

    # Tranche j (issued at the end of year j) is serviced in years j+1 .. j+20.
    unit_i, unit_p = _tranche_by_hand(naef)
    interest, principal = np.zeros(years), np.zeros(years)
    for j in range(5):
        interest[j + 1 : j + 21] += 15.0 * unit_i
        principal[j + 1 : j + 21] += 15.0 * unit_p
    np.testing.assert_allclose(ds.interest_usd_bn, interest, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ds.principal_usd_bn, principal, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ds.service_usd_bn, interest + principal, rtol=1e-12, atol=1e-12)
    assert ds.service_usd_bn[0] == 0.0  # nothing is owed in the year of the first issue
    assert ds.interest_usd_bn[1] == pytest.approx(0.06 * 15.0, rel=1e-14)
    assert ds.principal_usd_bn[5] == 0.0  # tranche 0 is still in grace in year 5
    assert ds.principal_usd_bn[6] > 0.0  # its first amortizing year is 0 + 1 + 5
    np.testing.assert_array_equal(ds.service_usd_bn[25:], 0.0)  # the last tranche ends in 24
    assert abs(ds.outstanding_at_horizon_usd_bn) <= 1e-9
    assert abs(ds.balance_end_usd_bn[-1]) <= 1e-9


def _remaining_level(face: float, c: float, m: int, g: int, served: int) -> float:
    """Balance of a level loan after ``served`` years of service (closed form)."""
    paid = max(served - g, 0)
    n = m - g
    if paid >= n:
        return 0.0
    if c == 0.0:
        return face * (1.0 - paid / n)
    q = 1.0 + c
    return face * (q**n - q**paid) / (q**n - 1.0)


@pytest.mark.parametrize("years", [5, 8, 15, 21, 24, 25])
def test_debt_schedule_clipped_at_the_horizon(literal: Scenario, years: int) -> None:
    naef = literal.naef
    ds = debt_schedule(naef, years=years)
    m, g, c = naef.tenor_years, naef.grace_years, naef.coupon_rate
    expected_out = 0.0
    expected_bal = np.zeros(years)
    for j, face in enumerate(naef.issuance_usd_bn):
        served = years - 1 - j  # service years j+1 .. years-1 fall inside the horizon
        expected_out += _remaining_level(face, c, m, g, served)
        for t in range(j, years):
            expected_bal[t] += _remaining_level(face, c, m, g, t - j)
    assert ds.outstanding_at_horizon_usd_bn == pytest.approx(expected_out, rel=1e-12, abs=1e-9)
    np.testing.assert_allclose(ds.balance_end_usd_bn, expected_bal, rtol=1e-12, atol=1e-9)
    # What is outstanding plus what was repaid is what was issued.
    assert ds.outstanding_at_horizon_usd_bn + ds.principal_usd_bn.sum() == pytest.approx(75.0)


def test_debt_schedule_bullet_clipped_and_zero_tranche() -> None:
    naef = Naef(
        issuance_usd_bn=(10.0, 0.0, 20.0),
        issuance_cost_rate=0.02,
        coupon_rate=0.05,
        tenor_years=4,
        grace_years=0,
        amortization="bullet",
    )
    ds = debt_schedule(naef, years=6)
    # Tranche 0: interest 0.5 in years 1..4, principal 10 in year 4.
    # Tranche 2: interest 1.0 in years 3..6 (clipped after year 5), principal 20 in year 6 (cut).
    np.testing.assert_allclose(ds.interest_usd_bn, [0, 0.5, 0.5, 1.5, 1.5, 1.0], rtol=1e-14)
    np.testing.assert_array_equal(ds.principal_usd_bn, [0, 0, 0, 0, 10.0, 0])
    np.testing.assert_allclose(ds.capex_usd_bn, [9.8, 0, 19.6, 0, 0, 0], rtol=1e-14)
    np.testing.assert_allclose(ds.balance_end_usd_bn, [10, 10, 30, 30, 20, 20], rtol=1e-14)
    assert ds.outstanding_at_horizon_usd_bn == pytest.approx(20.0, rel=1e-14)


def test_debt_schedule_linear_by_hand() -> None:
    naef = Naef(
        issuance_usd_bn=(8.0, 4.0),
        issuance_cost_rate=0.0,
        coupon_rate=0.1,
        tenor_years=4,
        grace_years=2,
        amortization="linear",
    )
    ds = debt_schedule(naef, years=5)
    # Tranche 0 (F=8): balance 8, 8, 8, 4 in years 1..4 -> interest .8 .8 .8 .4;
    # principal 4 in years 3 and 4.
    # Tranche 1 (F=4): service years 2..5, balance 4, 4, 4, 2 -> interest .4 .4 .4 (.2);
    # principal 2 in years 4 and 5; year 5 is beyond the horizon, so 2 stays outstanding.
    np.testing.assert_allclose(ds.interest_usd_bn, [0, 0.8, 1.2, 1.2, 0.8], rtol=1e-14)
    np.testing.assert_allclose(ds.principal_usd_bn, [0, 0, 0, 4.0, 6.0], rtol=1e-14)
    assert ds.outstanding_at_horizon_usd_bn == pytest.approx(2.0, rel=1e-14)
