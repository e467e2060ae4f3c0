"""Production profile, capacity, volumes and field cash flows (simulator.model.production).

References: the unit profile, the convolution of capex with it, and the revenue, opex,
government take and CFADS of a small case, each computed here by hand with plain Python floats
and loops over years (the formulas of the module docstring and of ``field_cash_flows``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.model.chain import tranche_cfads
from simulator.model.production import (
    capacity_kbd,
    field_cash_flows,
    lognormal_factor,
    mmbbl_per_year,
    oil_mmbbl_total,
    priced_kbd,
    production_kbd,
    unit_profile,
)
from simulator.scenario import Fiscal, OilPrice, Pemex, Scenario


def test_hyperbolic_decline_b_half_year_by_year() -> None:
    """Lag 1, ramp 2, plateau 1, then Arps with b = 0.5, D = 0.2, against 1/(1 + 0.1 tau)^2."""
    pemex = Pemex(lag_years=1, ramp_years=2, plateau_years=1, decline_rate=0.2, decline_b=0.5)
    prof = unit_profile(pemex, years=10)
    # Age 0: lag; ages 1, 2: ramp (1/3, 2/3); age 3: plateau; age 4 on: tau = 1, 2, ...
    # 1/(1 + b D tau)^(1/b) = 1/(1 + 0.1 tau)^2.
    expected = [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]
    expected += [1.0 / (1.0 + 0.1 * tau) ** 2 for tau in range(1, 7)]
    assert expected[4] == pytest.approx(1.0 / 1.21, rel=1e-15)
    assert expected[9] == pytest.approx(1.0 / 2.56, rel=1e-15)
    assert prof.shape == (10,)
    np.testing.assert_allclose(prof, expected, rtol=1e-14, atol=0.0)


def test_harmonic_decline_b_one_without_lag_or_ramp() -> None:
    """Lag 0, ramp 0, plateau 2, b = 1, D = 0.25: plateau from age 0, then 1/(1 + 0.25 tau)."""
    pemex = Pemex(lag_years=0, ramp_years=0, plateau_years=2, decline_rate=0.25, decline_b=1.0)
    prof = unit_profile(pemex, years=7)
    expected = [1.0, 1.0, 1.0 / 1.25, 1.0 / 1.5, 1.0 / 1.75, 1.0 / 2.0, 1.0 / 2.25]
    np.testing.assert_allclose(prof, expected, rtol=1e-15, atol=0.0)


def test_exponential_decline_b_zero() -> None:
    """b = 0 gives exp(-D tau) after the plateau (lag 2, ramp 1, plateau 1, D = 0.3)."""
    pemex = Pemex(lag_years=2, ramp_years=1, plateau_years=1, decline_rate=0.3, decline_b=0.0)
    prof = unit_profile(pemex, years=8)
    # Ramp of one year: (a - lag + 1)/(ramp + 1) = 1/2 at age 2.
    expected = [0.0, 0.0, 0.5, 1.0] + [math.exp(-0.3 * tau) for tau in range(1, 5)]
    np.testing.assert_allclose(prof, expected, rtol=1e-14, atol=0.0)


def test_small_b_tends_to_exponential() -> None:
    """Arps with b = 1e-7 is within 1e-6 of exp(-D tau) (the b -> 0 limit), D = 0.5."""
    hyper = Pemex(lag_years=0, ramp_years=0, plateau_years=0, decline_rate=0.5, decline_b=1e-7)
    prof = unit_profile(hyper, years=6)
    expected = [math.exp(-0.5 * tau) for tau in range(1, 7)]
    np.testing.assert_allclose(prof, expected, rtol=1e-6, atol=0.0)


def test_ramp_and_plateau() -> None:
    """Lag 2, ramp 3, plateau 2: zeros, then 1/4, 2/4, 3/4, then 1 for two years, then decline."""
    pemex = Pemex(lag_years=2, ramp_years=3, plateau_years=2, decline_rate=0.1, decline_b=0.0)
    prof = unit_profile(pemex, years=9)
    expected = [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0, math.exp(-0.1), math.exp(-0.2)]
    np.testing.assert_allclose(prof, expected, rtol=1e-15, atol=0.0)
    # Ramp values are strictly below the plateau: the ramp never reaches 1 before it ends.
    assert prof[4] < 1.0


def test_no_lag_no_ramp_no_plateau_declines_from_age_zero() -> None:
    """With lag, ramp and plateau all 0, age 0 is already tau = 1 of the decline: exp(-D)."""
    pemex = Pemex(lag_years=0, ramp_years=0, plateau_years=0, decline_rate=0.4, decline_b=0.0)
    prof = unit_profile(pemex, years=3)
    np.testing.assert_allclose(
        prof, [math.exp(-0.4), math.exp(-0.8), math.exp(-1.2)], rtol=1e-15, atol=0.0
    )


def test_ramp_without_lag() -> None:
    """Lag 0, ramp 1, plateau 0, b = 0.5, D = 1: 1/2 at age 0, then 1/(1 + 0.5 tau)^2."""
    pemex = Pemex(lag_years=0, ramp_years=1, plateau_years=0, decline_rate=1.0, decline_b=0.5)
    prof = unit_profile(pemex, years=4)
    np.testing.assert_allclose(
        prof, [0.5, 1.0 / 1.5**2, 1.0 / 2.0**2, 1.0 / 2.5**2], rtol=1e-15, atol=0.0
    )


def test_horizon_shorter_than_lag_is_all_zero() -> None:
    """A horizon that ends before the lag produces nothing."""
    pemex = Pemex(lag_years=5, ramp_years=2, plateau_years=3)
    np.testing.assert_array_equal(unit_profile(pemex, years=5), np.zeros(5))


def test_capacity_of_two_overlapping_capex_years() -> None:
    """Capex of 2 and 1 USD bn in years 0 and 1 at 40,000 USD/(bbl/d), against a hand
    convolution with the profile (lag 1, ramp 1, plateau 1, harmonic D = 0.5)."""
    pemex = Pemex(
        capex_usd_per_flowing_bpd=40_000.0,
        lag_years=1,
        ramp_years=1,
        plateau_years=1,
        decline_rate=0.5,
        decline_b=1.0,
    )
    capex = np.array([2.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    # 1e6 / 40,000 = 25 kb/d per USD bn: 50 kb/d of plateau from year 0, 25 from year 1.
    prof = [0.0, 0.5, 1.0, 1.0 / 1.5, 1.0 / 2.0, 1.0 / 2.5]
    expected = []
    for t in range(6):
        total = 0.0
        for s, spend in enumerate([2.0, 1.0, 0.0, 0.0, 0.0, 0.0]):
            if t - s >= 0:
                total += spend * 25.0 * prof[t - s]
        expected.append(total)
    assert expected[:3] == [0.0, 25.0, 62.5]
    cap = capacity_kbd(capex, pemex)
    assert cap.shape == (6,)  # truncated to the horizon, not len(capex) + len(prof) - 1
    np.testing.assert_allclose(cap, expected, rtol=1e-14, atol=0.0)
    np.testing.assert_allclose(cap[3:], [50 / 1.5 + 25.0, 25.0 + 25 / 1.5, 20.0 + 12.5], rtol=1e-14)


def test_capacity_is_linear_in_capex_per_flowing_barrel() -> None:
    """Halving the capital cost per flowing barrel doubles the capacity (1e6 / cost per bn)."""
    kw = {"lag_years": 0, "ramp_years": 1, "plateau_years": 2, "decline_rate": 0.2}
    capex = np.array([1.0, 0.0, 3.0, 0.0])
    dear = capacity_kbd(capex, Pemex(capex_usd_per_flowing_bpd=50_000.0, **kw))
    cheap = capacity_kbd(capex, Pemex(capex_usd_per_flowing_bpd=25_000.0, **kw))
    # 20 kb/d per USD bn; profile by age [0.5, 1, 1, exp(-0.2)].
    np.testing.assert_allclose(dear, [10.0, 20.0, 20.0 + 30.0, 20.0 * math.exp(-0.2) + 60.0])
    np.testing.assert_allclose(cheap, 2.0 * dear, rtol=1e-15)


def test_priced_capacity_is_each_capex_year_over_its_cost_index() -> None:
    """``sum_s by_year[t, s] / index[s, n]``, added capex year after capex year (==, a plain
    Python loop), for one path alone and for the same path among 50; a programme per path (a
    run over parameter sets) the same."""
    rng = np.random.default_rng(3)
    years, capex_years, paths = 12, 4, 50
    by_year = np.tril(rng.uniform(1.0, 90.0, size=(years, capex_years)))
    index = rng.lognormal(0.0, 0.3, size=(capex_years, paths))

    def by_hand(b: np.ndarray, col: int) -> list[float]:
        out = []
        for t in range(years):
            total = 0.0
            for s in range(capex_years):
                weight = 1.0 / float(index[s, col])
                term = float(b[t, s] if b.ndim == 2 else b[t, s, col]) * weight
                total = term if s == 0 else total + term
            out.append(total)
        return out

    many = priced_kbd(by_year, index)
    assert many.shape == (years, paths)
    for col in (0, 17, 49):
        assert many[:, col].tolist() == by_hand(by_year, col)
        alone = priced_kbd(by_year, np.ascontiguousarray(index[:, [col]]))
        assert alone[:, 0].tolist() == by_hand(by_year, col)
    per_path = by_year[:, :, None] * rng.uniform(0.5, 1.5, size=(1, 1, paths))
    got = priced_kbd(per_path, index)
    other_layout = priced_kbd(np.asfortranarray(per_path), index)
    for col in (0, 49):
        assert got[:, col].tolist() == by_hand(per_path, col)
        assert other_layout[:, col].tolist() == by_hand(per_path, col)
        alone = priced_kbd(per_path[:, :, [col]], np.ascontiguousarray(index[:, [col]]))
        assert alone[:, 0].tolist() == by_hand(per_path, col)


def test_lognormal_factor() -> None:
    """exp(sd z) elementwise; z = 0 is the median 1 whatever the sd."""
    z = np.array([-1.0, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(
        lognormal_factor(z, 0.3),
        [math.exp(-0.3), 1.0, math.exp(0.15), math.exp(0.6)],
        rtol=1e-15,
    )
    sd = np.array([0.1, 0.9, 0.2, 0.0])
    np.testing.assert_allclose(
        lognormal_factor(z, sd), [math.exp(-0.1), 1.0, math.exp(0.1), 1.0], rtol=1e-15
    )


def test_production_kbd_scales_by_reservoir_over_overrun() -> None:
    """base[t] x reservoir[n] / overrun[n], shape (years, paths), for 1-D and 2-D base."""
    base = np.array([100.0, 40.0, 0.0])
    reservoir = np.array([1.0, 1.2, 0.5])
    overrun = np.array([1.0, 1.5, 2.0])
    out = production_kbd(base, reservoir=reservoir, overrun=overrun)
    expected = [[100.0, 80.0, 25.0], [40.0, 32.0, 10.0], [0.0, 0.0, 0.0]]
    assert out.shape == (3, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    base2 = np.array([[100.0, 10.0, 8.0], [40.0, 20.0, 4.0], [0.0, 30.0, 2.0]])
    out2 = production_kbd(base2, reservoir=reservoir, overrun=overrun)
    np.testing.assert_allclose(
        out2, [[100.0, 8.0, 2.0], [40.0, 16.0, 1.0], [0.0, 24.0, 0.5]], rtol=1e-15
    )


def test_mmbbl_per_year() -> None:
    """A rate of 100 kb/d over a year of 365 days is 36.5 mmbbl."""
    np.testing.assert_allclose(mmbbl_per_year(np.array([100.0, 1.0, 0.0])), [36.5, 0.365, 0.0])


def _field_case() -> tuple[np.ndarray, np.ndarray, np.ndarray, OilPrice, Pemex]:
    base = np.array([100.0, 200.0, 50.0])
    factor = np.array([1.0, 1.5])
    # Year 1 is far below lifting cost on both paths.
    price = np.array([[50.0, 60.0], [8.0, 10.0], [100.0, 20.0]])
    oil = OilPrice(realized_price_factor=0.8, gas_price_ratio=0.5)
    pemex = Pemex(
        gas_share_boe=0.2,
        opex_usd_per_boe=10.0,
        cost_inflation=0.1,
        oversight_cost_usd_bn_per_year=0.05,
    )
    return base, factor, price, oil, pemex


def _hand_field(
    royalty: float, duty: float
) -> tuple[list[list[float]], list[list[float]], list[list[float]], list[list[float]]]:
    """Revenue, opex, take and CFADS of ``_field_case`` by plain loops [USD bn]."""
    base = [100.0, 200.0, 50.0]
    factor = [1.0, 1.5]
    price = [[50.0, 60.0], [8.0, 10.0], [100.0, 20.0]]
    unit_value = (1.0 - 0.2) * 0.8 + 0.2 * 0.5  # 0.74 of the benchmark per boe
    rev, opex, take, cfads = [], [], [], []
    for t in range(3):
        boe = base[t] * 365.0 / 1000.0  # mmbbl
        r_row, o_row, g_row, c_row = [], [], [], []
        for n in range(2):
            r = boe * price[t][n] * unit_value / 1000.0 * factor[n]
            o = boe * 10.0 * 1.1**t / 1000.0 * factor[n] + 0.05
            g = royalty * r + duty * max(r - o, 0.0)
            r_row.append(r)
            o_row.append(o)
            g_row.append(g)
            c_row.append(r - o - g)
        rev.append(r_row)
        opex.append(o_row)
        take.append(g_row)
        cfads.append(c_row)
    return rev, opex, take, cfads


def test_field_cash_flows_against_hand_case() -> None:
    """Revenue, opex, take (royalty 0.1, duty 0.5) and CFADS of a 3-year, 2-path case with a
    per-path factor, against plain loops; in year 1 opex exceeds revenue so take is royalty only."""
    base, factor, price, oil, pemex = _field_case()
    fiscal = Fiscal(royalty_rate=0.1, profit_duty_rate=0.5)
    cf = field_cash_flows(base, factor, price, oil_price=oil, pemex=pemex, fiscal=fiscal)
    rev, opex, take, cfads = _hand_field(0.1, 0.5)
    # The case has the loss year it is meant to have, on both paths.
    assert opex[1][0] > rev[1][0] and opex[1][1] > rev[1][1]
    assert rev[0][0] > opex[0][0]
    # Two cells by hand: 36.5 mmbbl x $50 x 0.74 / 1000 and 36.5 x $10 / 1000 + 0.05.
    assert rev[0][0] == pytest.approx(1.3505, rel=1e-14)
    assert opex[0][0] == pytest.approx(0.415, rel=1e-14)
    for name, got, ref in [
        ("revenue", cf.revenue_usd_bn, rev),
        ("opex", cf.opex_usd_bn, opex),
        ("take", cf.government_take_usd_bn, take),
        ("cfads", cf.cfads_usd_bn, cfads),
    ]:
        assert got.shape == (3, 2), name
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-15, err_msg=name)
    # The loss year: no duty on a negative margin, only the royalty.
    np.testing.assert_allclose(cf.government_take_usd_bn[1], 0.1 * np.array(rev[1]), rtol=1e-14)
    np.testing.assert_allclose(
        cf.cfads_usd_bn[1], 0.9 * np.array(rev[1]) - np.array(opex[1]), rtol=1e-13
    )


def test_field_cash_flows_without_fiscal_take() -> None:
    """With no royalty and no duty the take is 0 and CFADS = revenue - opex (hand loops)."""
    base, factor, price, oil, pemex = _field_case()
    cf = field_cash_flows(base, factor, price, oil_price=oil, pemex=pemex, fiscal=Fiscal())
    rev, opex, take, cfads = _hand_field(0.0, 0.0)
    assert take == [[0.0, 0.0]] * 3
    np.testing.assert_array_equal(cf.government_take_usd_bn, take)
    np.testing.assert_allclose(cf.cfads_usd_bn, cfads, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(cf.revenue_usd_bn, rev, rtol=1e-13)
    np.testing.assert_allclose(cf.opex_usd_bn, opex, rtol=1e-13)


def test_field_cash_flows_duty_only() -> None:
    """A duty without royalty (0.6) takes 0.6 x max(revenue - opex, 0) (hand loops)."""
    base, factor, price, oil, pemex = _field_case()
    fiscal = Fiscal(royalty_rate=0.0, profit_duty_rate=0.6)
    cf = field_cash_flows(base, factor, price, oil_price=oil, pemex=pemex, fiscal=fiscal)
    _, _, take, cfads = _hand_field(0.0, 0.6)
    assert take[1] == [0.0, 0.0]
    np.testing.assert_allclose(cf.government_take_usd_bn, take, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(cf.cfads_usd_bn, cfads, rtol=1e-13, atol=1e-15)


def test_oil_mmbbl_total() -> None:
    """Oil over the horizon: (1 - gas share) x sum of kb/d x 365/1000 x factor per path."""
    pemex = Pemex(gas_share_boe=0.2)
    base = np.array([100.0, 200.0, 50.0])
    factor = np.array([1.0, 1.5])
    total_mmbbl = (100.0 + 200.0 + 50.0) * 365.0 / 1000.0  # 127.75
    expected = [0.8 * total_mmbbl * 1.0, 0.8 * total_mmbbl * 1.5]  # 102.2, 153.3
    got = oil_mmbbl_total(base, factor, pemex)
    assert got.shape == (2,)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    np.testing.assert_allclose(got, [102.2, 153.3], rtol=1e-14)
    # A (years, paths) base: each path sums its own column.
    base2 = np.array([[100.0, 0.0], [200.0, 100.0], [50.0, 100.0]])
    np.testing.assert_allclose(
        oil_mmbbl_total(base2, factor, pemex),
        [0.8 * 350.0 * 0.365, 0.8 * 200.0 * 0.365 * 1.5],
        rtol=1e-14,
    )


def test_each_tranche_gets_the_cfads_of_the_capacity_its_own_capex_bought() -> None:
    """The base case a sculpted schedule is sized on (``tranche_cfads``): the programme's CFADS
    shared between the tranches by the capacity each one's capex bought, by hand on the case
    above: tranche 0 spends 2 in year 0 and buys 2 x 25 x profile(t), tranche 1 spends 1 in
    year 1 and buys 1 x 25 x profile(t - 1)."""
    sc = Scenario().with_overrides(
        {
            "horizon.years": 6,
            "naef.issuance_usd_bn": [2.0, 1.0],
            "pemex.lag_years": 1,
            "pemex.ramp_years": 1,
            "pemex.plateau_years": 1,
            "pemex.decline_rate": 0.5,
            "pemex.decline_b": 1.0,
            "pemex.capex_usd_per_flowing_bpd": 40_000.0,
        }
    )
    capex = np.array([2.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    price = np.full(6, 60.0)
    prof = [0.0, 0.5, 1.0, 1.0 / 1.5, 1.0 / 2.0, 1.0 / 2.5]
    own = [
        [2.0 * 25.0 * prof[t] for t in range(6)],
        [0.0] + [25.0 * prof[t - 1] for t in range(1, 6)],
    ]
    got = tranche_cfads(sc, capex, price)
    assert got.shape == (2, 6)
    whole = field_cash_flows(
        capacity_kbd(capex, sc.pemex),
        np.ones(1),
        price[:, None],
        oil_price=sc.oil_price,
        pemex=sc.pemex,
        fiscal=sc.fiscal,
        start_year=sc.horizon.start_year,
        capex_usd_bn=capex,
    ).cfads_usd_bn[:, 0]
    for t in range(6):
        total = own[0][t] + own[1][t]
        for j in range(2):
            share = own[j][t] / total if total > 0 else 0.0
            assert got[j, t] == pytest.approx(share * whole[t], rel=1e-14, abs=1e-15), (j, t)
    assert got[1, 0] == 0.0 and got[0, 0] == 0.0  # nothing produced in year 0 (lag 1)
