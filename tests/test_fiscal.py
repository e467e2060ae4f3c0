"""Fiscal regimes by year: each duty, the regime switch, the 2006 replay, Mexico's benefit.

The deterministic cases run a price deck (nominal, no export-mix spread, no reservoir or overrun
spread), so every path is the same path, and each year's duties are written here by hand from
the laws' formulas with plain Python floats: the export price ``P_x = WTI x 0.85``, the oil
value ``V_o = (1 - g) x boe x P_x / 1000`` and the gas value ``V_g = g x boe x 0.35 x WTI /
1000`` [USD bn] with ``boe = production_kbd x 365 / 1000`` [mmbbl]. The production and
operating cost of a year are read from the run's own series (they are not what is tested
here); the band rates are written as literals, or in the form the law states them (e.g. the
2025 duty's ``30% + (0.1410 P - 8.1433)%``), not in the model's band parameterization.

The stochastic checks compare the model with itself under another input that must give the
same numbers (a single regime against the two flat rates), or with an identity written here
(Mexico's benefit as the take, the MDF's inflows, Pemex's retained cash and its backstop
flows, discounted by hand). Nothing is imported from ``simulator.model.fiscal``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import simulator
from simulator.analysis.sensitivity import tornado
from simulator.cli import main
from simulator.model.chain import Plan, path_metrics, run_paths
from simulator.run.engine import draw_normals, simulate_sets
from simulator.scenario import InputError, Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
START = 2030
YEARS = 8
CAPEX_PER_BPD = 40_000.0
GAS, RPF, GAS_RATIO, OPEX = 0.15, 0.85, 0.35, 5.0
# WTI [USD/bbl, nominal] and the export price P_x = 0.85 WTI it gives:
#   2030 60 -> 51.00   2031 27 -> 22.95   2032  6 ->  5.10   2033  30 -> 25.50
#   2034 33 -> 28.05   2035 36 -> 30.60   2036 100 -> 85.00  2037  25 -> 21.25
DECK = [60.0, 27.0, 6.0, 30.0, 33.0, 36.0, 100.0, 25.0]
#: The stabilization-fund duty's bands (art. 256 LFD): 1% above $22, a point more per dollar,
#: 10% above $31.
FEIP_BANDS = [[22.0 + i, 0.01 * (i + 1)] for i in range(10)]
#: Its rate at each year's export price, read off the table by hand.
FEIP_RATE = [0.10, 0.01, 0.0, 0.04, 0.07, 0.09, 0.10, 0.0]


def case(regimes: list[dict[str, Any]], deck: list[float] = DECK, **over: Any) -> Scenario:
    """One tranche of 10 issued at the start, producing from the capex year (lag 0) at 250 kb/d
    to the horizon, no fees, reserves or backstop, the deck and the given fiscal regimes."""
    fields: dict[str, Any] = {
        "horizon.start_year": START,
        "horizon.years": YEARS,
        "oil_price.model": "deck",
        "oil_price.initial_usd_per_bbl": deck[0],
        "oil_price.deck_usd_per_bbl": deck,
        "oil_price.basis": "nominal",
        "risks.export_mix_sd": 0.0,
        "oil_price.realized_price_factor": RPF,
        "oil_price.gas_price_ratio": GAS_RATIO,
        "naef.issuance_usd_bn": [10.0],
        "naef.issuance_cost_rate": 0.0,
        "naef.coupon_rate": 0.05,
        "naef.tenor_years": 6,
        "naef.grace_years": 0,
        "naef.amortization": "level",
        "naef.capitalized_interest_years": 0,
        "pemex.capex_usd_per_flowing_bpd": CAPEX_PER_BPD,
        "pemex.capex_overrun_sd": 0.0,
        "pemex.reservoir_factor_sd": 0.0,
        "pemex.lag_years": 0,
        "pemex.ramp_years": 0,
        "pemex.plateau_years": YEARS,
        "pemex.decline_rate": 0.0,
        "pemex.gas_share_boe": GAS,
        "pemex.opex_usd_per_boe": OPEX,
        "pemex.cost_inflation": 0.0,
        "pemex.oversight_cost_usd_bn_per_year": 0.0,
        "fiscal.royalty_rate": 0.0,
        "fiscal.profit_duty_rate": 0.0,
        "fiscal.regimes": regimes,
        "waterfall.dsra_coverage_years": 0.0,
        "waterfall.dsra_funded_at_close": False,
        "waterfall.reserve_yield": 0.0,
        "waterfall.backstop_usd_bn_per_year": 0.0,
        "waterfall.backstop_rate": 0.0,
        "waterfall.backstop_basis": "fixed",
        "waterfall.lockup_dscr": 0.0,
        "waterfall.mdf_share": 1.0,
    }
    return Scenario().with_overrides({**fields, **over})


def run(sc: Scenario) -> simulator.Results:
    return simulator.simulate(sc, paths=2, seed=1, keep_series=True)


def series(res: simulator.Results, name: str, path: int = 0) -> list[float]:
    """A kept series of one path, as plain floats."""
    return [float(x) for x in res.series(name)[path]]


def assert_rows(got: list[float], want: list[float], name: str, start: int = START) -> None:
    bad = [
        (start + t, g, w)
        for t, (g, w) in enumerate(zip(got, want, strict=True))
        if not math.isclose(g, w, rel_tol=1e-12, abs_tol=1e-13)
    ]
    assert not bad, f"{name}: (year, got, want) {bad}"


def values_by_hand(
    res: simulator.Results, deck: list[float] = DECK
) -> tuple[list[float], list[float], list[float]]:
    """Each year's boe [mmbbl], oil value and gas value [USD bn] at the export price, from the
    run's production and the deck; checks that they add up to the run's revenue."""
    boe = [kbd * 365.0 / 1000.0 for kbd in series(res, "production_kbd")]
    v_oil = [(1.0 - GAS) * q * w * RPF / 1000.0 for q, w in zip(boe, deck, strict=True)]
    v_gas = [GAS * q * w * GAS_RATIO / 1000.0 for q, w in zip(boe, deck, strict=True)]
    assert_rows(
        series(res, "revenue_usd_bn"),
        [a + b for a, b in zip(v_oil, v_gas, strict=True)],
        "revenue = V_o + V_g",
    )
    return boe, v_oil, v_gas


def assert_take(
    res: simulator.Results,
    *,
    value: list[float],
    profit: list[float],
    export: list[float],
) -> None:
    """The take by kind, its total, and CFADS = revenue - opex - take, year by year."""
    assert_rows(series(res, "take_value_usd_bn"), value, "take on value")
    assert_rows(series(res, "take_profit_usd_bn"), profit, "take on profit")
    assert_rows(series(res, "take_export_usd_bn"), export, "take on export excess")
    total = [a + b + c for a, b, c in zip(value, profit, export, strict=True)]
    assert_rows(series(res, "government_take_usd_bn"), total, "government take")
    cfads = [
        r - o - t
        for r, o, t in zip(
            series(res, "revenue_usd_bn"), series(res, "opex_usd_bn"), total, strict=True
        )
    ]
    assert_rows(series(res, "cfads_usd_bn"), cfads, "CFADS")


# ---------------------------------------------------------------------- each duty by hand


def test_value_duties_follow_the_price_bands_year_by_year() -> None:
    """Three duties on value: the stabilization-fund duty (steps of a point a dollar from $22
    to $31, no gas), the 2015 extraction duty (7.5% below $48 and (0.125 P + 1.5)% above, gas
    at 4%) and the 2025 duty (30%, and 30% + (0.1410 P - 8.1433)% below $57.80, gas at the
    oil's rate). The deck crosses the bands of the first from year to year and both sides of
    $48 and $57.80."""
    regimes = [
        {
            "from_year": START,
            "duties": [
                {"name": "feip", "base": "value", "gas_rate": 0.0, "bands": FEIP_BANDS},
                {
                    "name": "extraction",
                    "base": "value",
                    "rate": 0.075,
                    "gas_rate": 0.04,
                    "bands": [[48.0, 0.075, 0.00125]],
                },
                {"name": "dpb", "base": "value", "bands": [[0.0, 0.218567, 0.00141], [57.8, 0.30]]},
            ],
        }
    ]
    res = run(case(regimes))
    _, v_oil, v_gas = values_by_hand(res)
    want = []
    for t, wti in enumerate(DECK):
        px = RPF * wti
        feip = FEIP_RATE[t] * v_oil[t]
        extraction = (0.075 if px <= 48.0 else 0.00125 * px + 0.015) * v_oil[t]
        extraction += 0.04 * v_gas[t]
        dpb_rate = 0.30 if px > 57.8 else 0.30 + (0.1410 * px - 8.1433) / 100.0
        dpb = dpb_rate * (v_oil[t] + v_gas[t])
        want.append(feip + extraction + dpb)
    # The case crosses the thresholds: both sides of $48 and $57.80, and several feip bands.
    assert {RPF * w > 57.8 for w in DECK} == {True, False}
    assert len(set(FEIP_RATE)) == 6
    zero = [0.0] * YEARS
    assert_take(res, value=want, profit=zero, export=zero)


def test_profit_duties_cap_their_deductions_and_deduct_capex_and_earlier_duties() -> None:
    """Duties on profit, capex of 10 and 4 in the first two years, each deducted in two equal
    parts from the year it is spent, a lifting cost rising 5% a year:

    - ``v``: 5% of the oil's value and 2% of the gas's, deducted by ``share`` and ``plain``;
    - ``perboe``: 50% (gas 20%) of value less deductions capped at $6.50 a boe: the cap binds
      in the years of capex deductions (2030-32) and once the lifting cost passes $6.50
      (2036-37), not between;
    - ``share``: 30% of value less deductions capped at 40% of value, less ``v``: the cap
      binds in the years of capex deductions and in 2033 as the price falls to $6, not after;
    - ``plain``: 20% of value less the lifting cost (no capex, no cap), less ``v`` and
      ``perboe``.

    The deck is 60, 27, 40, 6, 33, 36, 100, 25; a base below zero pays nothing (2033, WTI $6,
    for ``perboe`` and ``plain``)."""
    regimes = [
        {
            "from_year": START,
            "duties": [
                {"name": "v", "base": "value", "rate": 0.05, "gas_rate": 0.02},
                {
                    "name": "perboe",
                    "base": "profit",
                    "rate": 0.5,
                    "gas_rate": 0.2,
                    "cap_usd_per_boe": 6.5,
                    "capex_deduction_years": 2,
                },
                {
                    "name": "share",
                    "base": "profit",
                    "rate": 0.3,
                    "cap_share_of_value": 0.4,
                    "capex_deduction_years": 2,
                    "deducts": ["v"],
                },
                {"name": "plain", "base": "profit", "rate": 0.2, "deducts": ["v", "perboe"]},
            ],
        }
    ]
    deck = [60.0, 27.0, 40.0, 6.0, 33.0, 36.0, 100.0, 25.0]
    over = {"naef.issuance_usd_bn": [10.0, 4.0], "pemex.cost_inflation": 0.05}
    res = run(case(regimes, deck, **over))
    capex = [10.0, 4.0] + [0.0] * (YEARS - 2)
    assert_rows([float(x) for x in res.ledger()["capex_usd_bn"]], capex, "capex")
    capex_deducted = [5.0, 7.0, 2.0] + [0.0] * (YEARS - 3)  # halves of 10 and of 4
    boe, v_oil, v_gas = values_by_hand(res, deck)
    opex = series(res, "opex_usd_bn")
    value, profit = [], []
    binds_boe, binds_share, pays = [], [], []
    for t in range(YEARS):
        val = v_oil[t] + v_gas[t]
        v = 0.05 * v_oil[t] + 0.02 * v_gas[t]
        costs = opex[t] + capex_deducted[t]
        cap_boe = 6.5 * boe[t] / 1000.0
        binds_boe.append(costs > cap_boe)
        base = max(val - min(costs, cap_boe), 0.0)
        perboe = base * (0.5 * v_oil[t] + 0.2 * v_gas[t]) / val
        cap_share = 0.4 * val
        binds_share.append(costs > cap_share)
        share = 0.3 * max(val - min(costs, cap_share) - v, 0.0)
        plain = 0.2 * max(val - opex[t] - v - perboe, 0.0)
        pays.append((perboe > 0.0, share > 0.0, plain > 0.0))
        value.append(v)
        profit.append(perboe + share + plain)
    # The case is not trivial: each cap binds in some years and not in others.
    assert binds_boe == [True, True, True, False, False, False, True, True]
    assert binds_share == [True, True, True, True, False, False, False, False]
    assert pays[3] == (False, True, False)
    assert all(all(p) for i, p in enumerate(pays) if i != 3)
    assert_take(res, value=value, profit=profit, export=[0.0] * YEARS)


def test_export_duty_taxes_the_excess_over_each_years_reference_price() -> None:
    """The extraordinary export duty, 13.1% of the export price's excess over the budget price
    of the year times the oil: a regime in force from 2028, two years before the horizon, so
    its reference list starts in 2028 (two prices of $1 that must not be used); from 2035 a
    second regime at 20% whose list starts again in 2035. Some years the export price is below
    the reference (nothing due), others above."""
    refs_a = [1.0, 1.0, 49.0, 42.8, 30.0, 20.0, 36.5]  # 2028 .. 2034
    refs_b = [30.0, 70.0, 20.0]  # 2035 .. 2037

    def deep(rate: float, refs: list[float]) -> dict[str, Any]:
        return {
            "name": "deep",
            "base": "export_excess",
            "rate": rate,
            "reference_usd_per_bbl": refs,
        }

    regimes = [
        {"from_year": START - 2, "duties": [deep(0.131, refs_a)]},
        {"from_year": START + 5, "duties": [deep(0.2, refs_b)]},
    ]
    res = run(case(regimes))
    boe, _, _ = values_by_hand(res)
    refs = refs_a[2:] + refs_b  # 2030 .. 2037
    rates = [0.131] * 5 + [0.2] * 3
    excess = [max(RPF * w - r, 0.0) for w, r in zip(DECK, refs, strict=True)]
    # 51 - 49, 22.95 < 42.8, 5.1 < 30, 25.5 - 20, 28.05 < 36.5, 30.6 - 30, 85 - 70, 21.25 - 20
    assert [e > 0 for e in excess] == [True, False, False, True, False, True, True, True]
    want = [r * e * (1.0 - GAS) * q / 1000.0 for r, e, q in zip(rates, excess, boe, strict=True)]
    zero = [0.0] * YEARS
    assert_take(res, value=zero, profit=zero, export=want)


# ---------------------------------------------------------------------- regimes in time


def test_one_regime_from_the_start_is_the_two_flat_rates() -> None:
    """A regime of a 10% duty on value and a 30% duty on value less costs, from the first year,
    is the first-stage fiscal block (royalty_rate 0.1, profit_duty_rate 0.3): the same take,
    CFADS and MDF inflows on every path of the stochastic baseline (sculpted debt sized on the
    CFADS after take, export-mix spread, costs following oil), 2,000 paths."""
    baseline = simulator.load_scenario(SCENARIOS / "naef-2005.yaml")
    start = baseline.horizon.start_year
    flat = baseline.with_overrides({"fiscal.royalty_rate": 0.1, "fiscal.profit_duty_rate": 0.3})
    regime = baseline.with_overrides(
        {
            "fiscal.regimes": [
                {
                    "from_year": start,
                    "duties": [
                        {"name": "roy", "base": "value", "rate": 0.1},
                        {"name": "duty", "base": "profit", "rate": 0.3},
                    ],
                }
            ]
        }
    )
    got = []
    for sc in (flat, regime):
        plan = Plan.build(sc)
        flows = run_paths(plan, draw_normals(7, 0, 2000, plan.n_draws))
        got.append((flows, path_metrics(plan, flows)))
    (fa, ma), (fb, mb) = got
    assert float(fa.field.government_take_usd_bn.sum()) > 0.0
    for name in (
        "government_take_usd_bn",
        "take_value_usd_bn",
        "take_profit_usd_bn",
        "cfads_usd_bn",
    ):
        a, b = getattr(fa.field, name), getattr(fb.field, name)
        scale = float(np.abs(a).max())
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-13 * scale, err_msg=name)
    for key in ("mdf_inflow_pv_usd_bn", "government_take_pv_usd_bn", "mexico_benefit_pv_usd_bn"):
        scale = float(np.abs(ma[key]).max())
        np.testing.assert_allclose(mb[key], ma[key], rtol=1e-12, atol=1e-13 * scale, err_msg=key)


def test_the_regime_in_force_sets_each_years_take() -> None:
    """A 10% value duty from 2030 and a 30% one from 2033: each year pays the rate of the
    regime in force. With the first regime from 2032 (and a third from 2080, past the
    horizon), 2030-31 pay nothing, and the 2080 regime never applies."""
    duty = {"name": "royalty", "base": "value", "gas_rate": 0.0}
    early = case(
        [
            {"from_year": START, "duties": [{**duty, "rate": 0.1}]},
            {"from_year": START + 3, "duties": [{**duty, "rate": 0.3}]},
        ]
    )
    late = case(
        [
            {"from_year": START + 2, "duties": [{**duty, "rate": 0.1}]},
            {"from_year": START + 3, "duties": [{**duty, "rate": 0.3}]},
            {"from_year": START + 50, "duties": [{**duty, "rate": 0.9}]},
        ]
    )
    zero = [0.0] * YEARS
    for sc, rates in (
        (early, [0.1, 0.1, 0.1] + [0.3] * (YEARS - 3)),
        (late, [0.0, 0.0, 0.1] + [0.3] * (YEARS - 3)),
    ):
        res = run(sc)
        _, v_oil, _ = values_by_hand(res)
        want = [r * v for r, v in zip(rates, v_oil, strict=True)]
        assert_take(res, value=want, profit=zero, export=zero)


# ---------------------------------------------------------------------- the 2006 regime


def _duty(sc: Scenario, year: int, name: str) -> Any:
    """The duty named ``name`` of the regime that starts in ``year`` (the scenario's input)."""
    (regime,) = [r for r in sc.fiscal.regimes if r.from_year == year]
    (duty,) = [d for d in regime.duties if d.name == name]
    return duty


def test_replay_pays_the_2008_and_2009_duties_by_hand() -> None:
    """The fiscal replay in 2008 (WTI $99.67) and 2009 ($61.95), the export mix held at its
    mean (P_x = 0.85 WTI: $84.72 and $52.66): the stabilization-fund duty at its top rate (P_x
    above $31), the ordinary duty on value less the lifting cost and the year's capex, capped
    at $6.50 a boe, the export duty over the budget price ($49 in 2008: it pays; $70 in 2009:
    it does not), and the research and audit duties on value. The rates are read from the
    scenario file's regimes of 2008 and 2009. The file's fields produce from 2009 (a 3-year
    lag): before, nothing is due; with a 1-year lag, 2008 produces and is checked too."""
    shipped = simulator.load_scenario(SCENARIOS / "historical-replay-fiscal.yaml")
    shipped = shipped.with_overrides({"risks.export_mix_sd": 0.0})
    assert shipped.pemex.lag_years == 3
    first = simulator.simulate(shipped, paths=4, seed=3, keep_series=True)
    for name in ("production_kbd", "government_take_usd_bn"):
        assert not first.series(name).loc[2006:2008].to_numpy().any(), name
    assert (first.series("government_take_usd_bn").loc[2009] > 0.0).all()
    sc = shipped.with_overrides({"pemex.lag_years": 1})
    paths = 4
    res = simulator.simulate(sc, paths=paths, seed=3, keep_series=True)
    rpf = sc.oil_price.realized_price_factor
    g, gas_ratio = sc.pemex.gas_share_boe, sc.oil_price.gas_price_ratio
    capex = res.ledger()["capex_usd_bn"]
    takes: dict[int, list[float]] = {}  # take per boe [USD/boe]
    for year, wti in ((2008, 99.67), (2009, 61.95)):
        feip, doh = _duty(sc, year, "feip"), _duty(sc, year, "doh")
        deep = _duty(sc, year, "deep")
        research, audit = _duty(sc, year, "research"), _duty(sc, year, "audit")
        assert doh.capex_deduction_years == 1 and doh.cap_share_of_value is None
        px = rpf * wti
        assert px > feip.bands[-1][0]  # the top band
        takes[year] = []
        for p in range(paths):
            row = res.series("oil_price_usd_per_bbl")[p]
            assert math.isclose(float(row[year]), wti, rel_tol=1e-12)
            boe = float(res.series("production_kbd")[p][year]) * 365.0 / 1000.0
            assert boe > 0.0
            v_oil = (1.0 - g) * boe * px / 1000.0
            v_gas = g * boe * gas_ratio * wti / 1000.0
            revenue = float(res.series("revenue_usd_bn")[p][year])
            assert math.isclose(revenue, v_oil + v_gas, rel_tol=1e-12)
            opex = float(res.series("opex_usd_bn")[p][year])
            value = feip.bands[-1][1] * v_oil  # gas_rate 0
            value += (research.rate + audit.rate) * (v_oil + v_gas)
            costs = min(opex + float(capex[year]), doh.cap_usd_per_boe * boe / 1000.0)
            profit = doh.rate * max(v_oil + v_gas - costs, 0.0)
            export = deep.rate * max(px - deep.reference_usd_per_bbl[0], 0.0)
            export *= (1.0 - g) * boe / 1000.0
            got = {
                k: float(res.series(f"take_{k}_usd_bn")[p][year])
                for k in ("value", "profit", "export")
            }
            want = {"value": value, "profit": profit, "export": export}
            for k in want:
                assert math.isclose(got[k], want[k], rel_tol=1e-12, abs_tol=1e-13), (year, p, k)
            total = float(res.series("government_take_usd_bn")[p][year])
            assert math.isclose(total, value + profit + export, rel_tol=1e-12), (year, p)
            # The capex of the year pushes the deductions over the cap: $6.50 a boe is deducted.
            assert opex + float(capex[year]) > doh.cap_usd_per_boe * boe / 1000.0
            takes[year].append(1000.0 * total / boe)
            if year == 2008:
                assert export > 0.0  # 84.72 above the $49 budget price
            else:
                assert got["export"] == 0.0  # 52.66 below the $70 budget price
    # Per boe, with the deduction at the cap both years: the ordinary duty's rate fell (74% ->
    # 73.5%), the value fell with P_x and the DEEP stopped, so the take per boe fell.
    assert _duty(sc, 2009, "doh").rate < _duty(sc, 2008, "doh").rate
    assert all(b < a for a, b in zip(takes[2008], takes[2009], strict=True))


# ---------------------------------------------------------------------- Mexico's benefit


def _flows(sc: Scenario, paths: int = 2000, seed: int = 1) -> tuple[Plan, Any, dict[str, Any]]:
    plan = Plan.build(sc)
    flows = run_paths(plan, draw_normals(seed, 0, paths, plan.n_draws))
    return plan, flows, path_metrics(plan, flows)


def _replay_regimes() -> Any:
    return simulator.load_scenario(SCENARIOS / "historical-replay-fiscal.yaml").fiscal.regimes


@pytest.mark.parametrize(
    "which",
    ["baseline-with-replay-regimes", "same-to-2025-with-reserves-held", "low-price-with-royalty"],
)
def test_mexico_benefit_is_take_plus_mdf_plus_pemex_on_every_path(which: str) -> None:
    """Mexico's benefit on each of 2,000 paths is the present value, at the reporting rate from
    t = 0, of the take + MDF inflow + Pemex's retained cash + backstop repaid - backstop drawn,
    plus the reserves left at the horizon discounted from the last year; on runs where the take
    is large and the backstop is drawn on some paths but not all. Cut at 2025, the baseline
    still holds reserves at the horizon on some paths."""
    if which != "low-price-with-royalty":
        sc = simulator.load_scenario(SCENARIOS / "naef-2005.yaml")
        sc = sc.with_overrides({"fiscal.regimes": _replay_regimes()})
        if which == "same-to-2025-with-reserves-held":
            sc = sc.with_overrides({"horizon.years": 20})
    else:
        sc = simulator.load_scenario(SCENARIOS / "low-price.yaml")
        sc = sc.with_overrides({"fiscal.royalty_rate": 0.2})
    _, flows, metrics = _flows(sc)
    wf = flows.waterfall
    drew = (wf.backstop_draw_usd_bn > 1e-9).any(axis=0)
    assert 0 < int(drew.sum()) < drew.size
    assert float(flows.field.government_take_usd_bn.min()) >= 0.0
    assert float(flows.field.government_take_usd_bn.sum()) > 0.0
    held = wf.dsra_balance_usd_bn[-1] + wf.interest_reserve_balance_usd_bn[-1] > 1e-9
    assert held.any() == (which == "same-to-2025-with-reserves-held")
    r = sc.reporting.discount_rate
    years = sc.horizon.years
    got = metrics["mexico_benefit_pv_usd_bn"]
    take = flows.field.government_take_usd_bn
    for p in range(got.size):
        pv = 0.0
        for t in range(years):
            flow = take[t, p] + wf.mdf_inflow_usd_bn[t, p] + wf.pemex_retained_usd_bn[t, p]
            flow += wf.backstop_repaid_usd_bn[t, p] - wf.backstop_draw_usd_bn[t, p]
            pv += flow / (1.0 + r) ** t
        left = wf.dsra_balance_usd_bn[-1, p] + wf.interest_reserve_balance_usd_bn[-1, p]
        pv += left / (1.0 + r) ** (years - 1)
        assert math.isclose(got[p], pv, rel_tol=1e-9, abs_tol=1e-9), (p, got[p], pv)


def test_the_take_moves_money_within_mexico_not_out_of_it() -> None:
    """The baseline without take and with the fiscal replay's regimes (the 2006 regime, its
    79% ordinary duty and the duties after it), same draws: the MDF's mean PV falls by more than
    half, the take's PV is of the same order as what the MDF lost, and Mexico's mean benefit
    moves by less than 3%."""
    base = simulator.load_scenario(SCENARIOS / "naef-2005.yaml")
    _, _, none = _flows(base)
    _, _, taxed = _flows(base.with_overrides({"fiscal.regimes": _replay_regimes()}))
    assert float(none["government_take_pv_usd_bn"].max()) == 0.0
    mdf0, mdf1 = none["mdf_inflow_pv_usd_bn"].mean(), taxed["mdf_inflow_pv_usd_bn"].mean()
    ben0, ben1 = none["mexico_benefit_pv_usd_bn"].mean(), taxed["mexico_benefit_pv_usd_bn"].mean()
    take = taxed["government_take_pv_usd_bn"].mean()
    assert mdf1 < 0.5 * mdf0
    assert take > 0.5 * (mdf0 - mdf1)
    assert abs(ben1 - ben0) < 0.03 * abs(ben0), (ben0, ben1)


# ---------------------------------------------------------------------- US supply


def test_us_supply_is_the_exported_oil_and_its_peak_share_of_gulf_imports() -> None:
    """On every kept path of a stochastic run: US supply = production x (1 - gas share) x the
    share exported to the US, each year; its peak over the years over the Gulf Coast's crude
    imports is ``us_supply_gulf_share_max``."""
    sc = simulator.load_scenario(SCENARIOS / "historical-replay-fiscal.yaml")
    paths = 50
    res = simulator.simulate(sc, paths=paths, seed=5, keep_series=True)
    g, share = sc.pemex.gas_share_boe, sc.pemex.us_export_share
    imports = sc.reporting.us_gulf_crude_imports_kbd
    assert 0.0 < g < 1.0 and 0.0 < share < 1.0
    for p in range(paths):
        prod = series(res, "production_kbd", p)
        want = [q * (1.0 - g) * share for q in prod]
        assert_rows(series(res, "us_supply_kbd", p), want, f"US supply, path {p}", 2006)
        peak = max(want) / imports
        got = float(res.metrics["us_supply_gulf_share_max"].iloc[p])
        assert math.isclose(got, peak, rel_tol=1e-12), (p, got, peak)


# ---------------------------------------------------------------------- bad input

REGIME = "{from_year: %d, duties: [{name: v, base: value, rate: 0.1}]}"

BAD: list[tuple[str, str, str]] = [
    (
        "regimes-out-of-order",
        f"  regimes:\n    - {REGIME % 2010}\n    - {REGIME % 2008}\n",
        "fiscal.regimes[1].from_year",
    ),
    (
        "two-regimes-one-year",
        f"  regimes:\n    - {REGIME % 2010}\n    - {REGIME % 2010}\n",
        "fiscal.regimes[1].from_year",
    ),
    (
        "rate-above-one",
        "  regimes:\n    - {from_year: 2010, duties: [{name: v, base: value, rate: 1.5}]}\n",
        "fiscal.regimes[0].duties[0].rate",
    ),
    (
        "band-rate-above-one",
        "  regimes:\n    - {from_year: 2010, duties: [{name: v, bands: [[30, 1.2]]}]}\n",
        "fiscal.regimes[0].duties[0].bands[0]",
    ),
    (
        "negative-cap",
        "  regimes:\n    - {from_year: 2010, duties: "
        "[{name: p, base: profit, rate: 0.5, cap_usd_per_boe: -1}]}\n",
        "fiscal.regimes[0].duties[0].cap_usd_per_boe",
    ),
    (
        "reference-list-short",
        f"  regimes:\n    - {REGIME % 2006}\n"
        "    - {from_year: 2010, duties: [{name: x, base: export_excess, rate: 0.1, "
        "reference_usd_per_bbl: [40, 50]}]}\n"
        f"    - {REGIME % 2015}\n",
        "fiscal.regimes[1].duties[0].reference_usd_per_bbl",
    ),
    (
        "deducts-a-later-duty",
        "  regimes:\n    - {from_year: 2010, duties: [{name: p, base: profit, rate: 0.5, "
        "deducts: [v]}, {name: v, base: value, rate: 0.1}]}\n",
        "fiscal.regimes[0].duties[0].deducts",
    ),
    (
        "royalty-with-regimes",
        f"  royalty_rate: 0.1\n  regimes:\n    - {REGIME % 2010}\n",
        "fiscal.regimes",
    ),
]


@pytest.mark.parametrize(("text", "field"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_fiscal_input_is_one_line_and_exit_2(
    text: str, field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each malformed fiscal block: ``naef validate`` exits 2 with one line on stderr naming
    the file and the field, and no traceback. The horizon is 2006-2040."""
    path = tmp_path / "bad-fiscal.yaml"
    path.write_text("name: x\nhorizon: {start_year: 2006, years: 35}\nfiscal:\n" + text)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert path.name in lines[0] and f"{field}:" in lines[0], lines[0]
    assert "Traceback" not in err + out


# ---------------------------------------------------------------------- shipped scenarios


def test_shipped_fiscal_scenarios_run_and_rank_by_take() -> None:
    """The shipped fiscal scenarios load and run with a finite take, the kinds of take add up
    to it on the kept paths, and over the same draws the mean take is highest under the 2006
    regime held (ordinary-fiscal-take), lower under the 2025 duty on value (fiscal-2025), nil
    without regimes (naef-2005); the replay pays more under its regimes than without."""
    mean = {}
    for name in (
        "naef-2005",
        "ordinary-fiscal-take",
        "fiscal-2025",
        "historical-replay-2006",
        "historical-replay-fiscal",
    ):
        res = simulator.simulate(
            simulator.load_scenario(SCENARIOS / f"{name}.yaml"),
            paths=1000,
            seed=2,
            keep_series=20,
        )
        take = res.metrics["government_take_pv_usd_bn"].to_numpy()
        assert np.isfinite(take).all(), name
        assert np.isfinite(res.metrics["mexico_benefit_pv_usd_bn"].to_numpy()).all(), name
        kinds = sum(
            res.series(f"take_{k}_usd_bn").to_numpy() for k in ("value", "profit", "export")
        )
        np.testing.assert_allclose(
            kinds, res.series("government_take_usd_bn").to_numpy(), rtol=1e-12, atol=1e-12
        )
        mean[name] = float(take.mean())
    assert mean["naef-2005"] == 0.0 and mean["historical-replay-2006"] == 0.0
    assert mean["ordinary-fiscal-take"] > mean["fiscal-2025"] > 0.0
    assert mean["historical-replay-fiscal"] > 0.0


def test_parameter_sets_refuse_the_flat_rates_on_a_scenario_with_regimes() -> None:
    """A scenario with regimes refuses the two flat rates; so does a run over parameter sets,
    and the default tornado and Sobol leave them out (they would change nothing)."""
    sc = simulator.load_scenario(SCENARIOS / "fiscal-2025.yaml")
    with pytest.raises(InputError, match=r"fiscal\.regimes"):
        simulate_sets(sc, values={"fiscal.profit_duty_rate": [0.0, 0.1]}, paths_per_set=16, seed=1)
    t = tornado(sc, paths=64, seed=1)
    assert "fiscal.profit_duty_rate" not in t.parameters
    assert "oil_price.long_run_usd_per_bbl" in t.parameters
