"""Break-even prices (:mod:`simulator.analysis.breakeven`), each checked against an independent
evaluation.

The flat-price break-evens are recomputed with ``simulate`` on :func:`flat_price_case` and the
scenario's own debt schedule (not read back from the returned ``metric_at_price``), and one of
them against a closed form written by hand from DESIGN.md's formulas. The long-run default
break-even is checked by running the scenario a few dollars either side of the price found,
with the same seed, paths and debt.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import simulator
from simulator.analysis.breakeven import (
    BreakEven,
    breakeven_flat_price,
    breakeven_long_run,
    flat_price_case,
    median_case,
)
from simulator.model.chain import build_schedule
from simulator.run.engine import simulate
from simulator.scenario import InputError, Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _flat(scenario: Scenario, price: float, *, series: bool = False) -> simulator.Results:
    """One deterministic path of the median case at a flat price, the debt as sized on the
    scenario's own expectations."""
    return simulate(
        flat_price_case(scenario, price),
        paths=1,
        keep_series=series,
        schedule=build_schedule(scenario),
    )


def _metric(scenario: Scenario, price: float, name: str) -> float:
    return float(_flat(scenario, price).metrics[name].iloc[0])


# ---------------------------------------------------------------------- the cases themselves


def test_median_and_flat_price_case() -> None:
    replay = simulator.load_scenario(SCENARIOS / "historical-replay-2006.yaml")
    med = median_case(replay)
    assert med.pemex.capex_overrun_sd == 0.0
    assert med.pemex.reservoir_factor_sd == 0.0
    assert med.oil_price == replay.oil_price  # the price model is left alone

    flat = flat_price_case(replay, 42.5)
    assert flat.oil_price.model == "deck"
    assert flat.oil_price.deck_usd_per_bbl == (42.5,) * flat.horizon.years
    assert flat.oil_price.fixed_path_usd_per_bbl == ()
    res = simulate(flat, paths=3, keep_series=True)
    prices = res.series("oil_price_usd_per_bbl").to_numpy()
    # Flat in the basis's dollars: in the real basis, 42.5 of the year before year 0, made
    # nominal by the inflation rate.
    assert flat.oil_price.basis == "real"
    t = np.arange(flat.horizon.years)
    inflation = flat.oil_price.inflation_rate
    want = 42.5 * (1.0 + inflation) ** (t + 1)
    np.testing.assert_allclose(prices, np.repeat(want[:, None], 3, axis=1), rtol=1e-14)
    # Every path is the same deterministic path.
    undefined = ["first_shortfall_year", "first_default_year", "project_irr"]
    m = res.metrics.drop(columns=undefined).to_numpy(dtype=float)
    assert np.all(m == m[0])

    with pytest.raises(InputError, match="price_usd_per_bbl"):
        flat_price_case(replay, 0.0)


# ---------------------------------------------------------------------- min_dscr = 1


def test_dscr_breakeven_separates_shortfall_from_none(baseline: Scenario) -> None:
    # With no reserve account (nor a lock-up that would fill one with trapped cash) and no
    # backstop, a year whose CFADS falls short of its scheduled service IS a shortfall, and
    # one that covers it is not. lag_years 0 makes every year with
    # scheduled service (from year 1) a year with production (from year 0, the year of the
    # first capex; an exponential decline never reaches 0), and leaves no interest reserve.
    # CFADS of each year is a_t * price - b_t with a_t > 0, so above the break-even price every
    # year covers its service strictly (no arrears ever start, and the reserve yields
    # nothing): no shortfall anywhere. Below it, the binding year does not: a shortfall.
    sc = baseline.with_overrides(
        {
            "waterfall.dsra_coverage_years": 0.0,
            "waterfall.backstop_usd_bn_per_year": 0.0,
            "waterfall.lockup_dscr": 0.0,
            "pemex.lag_years": 0,
        }
    )
    be = breakeven_flat_price(sc)
    assert isinstance(be, BreakEven)
    assert be.target == "min_dscr"
    assert be.level == 1.0
    p = be.price_usd_per_bbl
    assert 1.0 < p < 500.0

    at = _flat(sc, p).metrics.iloc[0]
    assert at["min_dscr"] == pytest.approx(1.0, abs=1e-6)

    above = _flat(sc, 1.05 * p, series=True)
    assert not above.metrics["distress"].iloc[0]
    assert np.all(above.series("shortfall_usd_bn").to_numpy() == 0.0)
    assert above.metrics["min_dscr"].iloc[0] > 1.0

    below = _flat(sc, 0.95 * p, series=True)
    assert below.metrics["distress"].iloc[0]
    shortfall = below.series("shortfall_usd_bn").iloc[:, 0].to_numpy()
    producing = below.series("production_kbd").iloc[:, 0].to_numpy() > 0.0
    assert shortfall[producing].max() > 1e-3


def test_breakeven_matches_hand_computation() -> None:
    # One tranche of face F issued at the end of year 0, with its proceeds net of fees spent
    # as capex C = F (1 - fee) in year 0; production from year 0 at plateau (lag 0, ramp 0,
    # plateau the whole horizon), no decline, no cost inflation, no oversight, no take. Then
    # every year's volume is mmbbl = kbd * 365 / 1000 with kbd = C * 1e6 / capex_per_bpd, and
    # CFADS = mmbbl * (price * u - opex) / 1000 with the realized value per boe
    # u = (1 - g) * realized_factor + g * gas_ratio. Service is interest F c in the G grace
    # years, then the annuity A = F c / (1 - (1 + c)^-(M - G)) > F c: the annuity years bind,
    # and CFADS = A gives price = (1000 A / mmbbl + opex) / u.
    face, fee, c, tenor, grace = 10.0, 0.01, 0.06, 20, 2
    capex_per_bpd, g, rpf, gas_ratio, opex = 40_000.0, 0.15, 0.85, 0.35, 5.0
    years = 25
    sc = Scenario().with_overrides(
        {
            "horizon.years": years,
            "naef.issuance_usd_bn": [face],
            "naef.issuance_cost_rate": fee,
            "naef.coupon_rate": c,
            "naef.tenor_years": tenor,
            "naef.grace_years": grace,
            "naef.amortization": "level",
            "pemex.capex_usd_per_flowing_bpd": capex_per_bpd,
            "pemex.lag_years": 0,
            "pemex.ramp_years": 0,
            "pemex.plateau_years": years,
            "pemex.decline_rate": 0.0,
            "pemex.gas_share_boe": g,
            "pemex.opex_usd_per_boe": opex,
            "pemex.cost_inflation": 0.0,
            "pemex.oversight_cost_usd_bn_per_year": 0.0,
            "oil_price.realized_price_factor": rpf,
            "oil_price.gas_price_ratio": gas_ratio,
            "fiscal.royalty_rate": 0.0,
            "fiscal.profit_duty_rate": 0.0,
            # Capex is the face net of fees: no reserve account funded from the proceeds (and
            # with lag 0, no interest reserve).
            "waterfall.dsra_funded_at_close": False,
        }
    )
    kbd = face * (1.0 - fee) * 1e6 / capex_per_bpd
    mmbbl = kbd * 365.0 / 1000.0
    u = (1.0 - g) * rpf + g * gas_ratio
    annuity = face * c / (1.0 - (1.0 + c) ** -(tenor - grace))
    assert annuity > face * c
    # The flat price is real (constant dollars of the year before year 0): year t sells at
    # price (1 + i)^(t+1), so the first annuity year, t = grace + 1, binds.
    level = (1.0 + sc.oil_price.inflation_rate) ** (grace + 2)
    expected = (1000.0 * annuity / mmbbl + opex) / u / level

    be = breakeven_flat_price(sc)
    assert be.price_usd_per_bbl == pytest.approx(expected, abs=1e-6)
    # A coverage of 1.25 is CFADS = 1.25 A.
    be125 = breakeven_flat_price(sc, level=1.25)
    assert be125.price_usd_per_bbl == pytest.approx(
        (1000.0 * 1.25 * annuity / mmbbl + opex) / u / level, abs=1e-6
    )
    # In the nominal basis the flat price is the year's own price.
    nominal = breakeven_flat_price(sc.with_overrides({"oil_price.basis": "nominal"}))
    assert nominal.price_usd_per_bbl == pytest.approx(expected * level, abs=1e-6)


# ---------------------------------------------------------------------- MDF PV


def test_mdf_pv_breakeven_is_where_the_pv_becomes_positive(baseline: Scenario) -> None:
    be = breakeven_flat_price(baseline, target="mdf_inflow_pv_usd_bn")
    assert be.level == 0.0  # the target's own default level
    p = be.price_usd_per_bbl
    assert be.metric_at_price > 0.0
    assert _metric(baseline, 1.01 * p, "mdf_inflow_pv_usd_bn") > 0.0
    assert _metric(baseline, 0.99 * p, "mdf_inflow_pv_usd_bn") == 0.0
    # Within xtol of the edge, on both sides.
    assert _metric(baseline, p - 1e-6, "mdf_inflow_pv_usd_bn") == 0.0


def test_mdf_pv_positive_level_uses_the_continuous_part(baseline: Scenario) -> None:
    be = breakeven_flat_price(baseline, target="mdf_inflow_pv_usd_bn", level=10.0)
    assert _metric(baseline, be.price_usd_per_bbl, "mdf_inflow_pv_usd_bn") == pytest.approx(
        10.0, abs=1e-6
    )
    with pytest.raises(InputError, match="never negative"):
        breakeven_flat_price(baseline, target="mdf_inflow_pv_usd_bn", level=-1.0)


# ---------------------------------------------------------------------- default


def test_default_breakeven_is_where_the_median_case_stops_defaulting(baseline: Scenario) -> None:
    be = breakeven_flat_price(baseline, target="default")
    p = be.price_usd_per_bbl
    assert be.metric_at_price == 0.0
    assert _metric(baseline, p, "default") == 0.0
    assert _metric(baseline, p - 1e-6, "default") == 1.0  # within xtol of the edge
    assert _metric(baseline, 0.9 * p, "default") == 1.0
    with pytest.raises(InputError, match="want none for default"):
        breakeven_flat_price(baseline, target="default", level=1.0)


def test_breakeven_keeps_the_debt_as_sized(baseline: Scenario) -> None:
    """Sculpted service sized on the flat price itself would follow that price: the
    break-even runs the debt sized on the scenario's expectations. At the price found, the
    debt as sized is covered exactly once; debt re-sized to that price is not at its
    break-even (it is sized to cover it)."""
    p = breakeven_flat_price(baseline).price_usd_per_bbl
    assert _metric(baseline, p, "min_dscr") == pytest.approx(1.0, abs=1e-6)
    resized = simulate(flat_price_case(baseline, p), paths=1).metrics["min_dscr"].iloc[0]
    assert resized > 1.01


# ---------------------------------------------------------------------- long-run default


def test_default_long_run_breakeven(baseline: Scenario) -> None:
    paths, seed = 2000, 777
    be = breakeven_long_run(baseline, paths=paths, seed=seed)
    assert be.target == "default"
    assert be.level == 0.10
    p = be.price_usd_per_bbl
    assert 5.0 < p < 300.0
    assert be.standard_error == pytest.approx(
        math.sqrt(be.metric_at_price * (1 - be.metric_at_price) / paths)
    )

    debt = build_schedule(baseline)

    def prob(long_run: float) -> float:
        sc = baseline.with_overrides({"oil_price.long_run_usd_per_bbl": long_run})
        res = simulate(sc, paths=paths, seed=seed, keep_series=False, schedule=debt)
        return float(res.metrics["default"].mean())

    # Same seed and paths as the search (common random numbers): a higher long-run level
    # raises every path's prices along the same shocks, so the probability falls
    # (monotone up to a path or two whose waterfall reorders; the tolerance allows two).
    tol = 2.0 / paths
    assert prob(p - 3.0) >= be.level - tol
    assert prob(p + 3.0) <= be.level + tol
    assert prob(p) == pytest.approx(be.metric_at_price)


@pytest.mark.parametrize("model", ["gbm", "deck", "bootstrap"])
def test_long_run_needs_a_long_run_level(baseline: Scenario, model: str) -> None:
    sc = baseline.with_overrides({"oil_price.model": model, "oil_price.deck_usd_per_bbl": [50.0]})
    with pytest.raises(InputError, match=rf"oil_price\.model: got '{model}'"):
        breakeven_long_run(sc, paths=100)


def test_long_run_no_crossing(baseline: Scenario) -> None:
    with pytest.raises(
        InputError,
        match=r"probability of default of .* stays above 0\.1 up to a long-run price of 6",
    ):
        breakeven_long_run(baseline, paths=500, lo=5.0, hi=6.0)
    with pytest.raises(InputError, match="target: got 'shortfall'"):
        breakeven_long_run(baseline, target="shortfall", paths=100)


# ---------------------------------------------------------------------- errors


def test_min_dscr_with_interest_before_first_oil_never_reaches_one(literal: Scenario) -> None:
    """The proposal as written: interest falls due from 2007, first oil comes in 2009, and no
    interest reserve pays it."""
    with pytest.raises(InputError) as info:
        breakeven_flat_price(literal, target="min_dscr")
    msg = str(info.value)
    assert info.value.field == "min_dscr"
    assert "at 1 and" in msg and "at 500 USD/bbl" in msg
    assert "never reaches 1 up to 500 USD/bbl" in msg
    assert "debt service is due before first oil" in msg
    assert "2007" in msg  # first year of interest, before first oil in 2009


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target": "irr"}, "target"),
        ({"lo": 50.0, "hi": 50.0}, "hi"),
        ({"lo": -1.0}, "lo"),
        ({"xtol": 0.0}, "xtol"),
        ({"level": math.nan}, "level"),
        ({"target": "default", "level": 0.5}, "level"),
    ],
)
def test_bad_arguments(baseline: Scenario, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        breakeven_flat_price(baseline, **kwargs)
    assert info.value.field == field


def test_already_above_at_lo(baseline: Scenario) -> None:
    with pytest.raises(InputError, match="already above 1 at 200 USD/bbl"):
        breakeven_flat_price(baseline, lo=200.0, hi=300.0)
    with pytest.raises(InputError, match="already reaches the MDF at 100 USD/bbl"):
        breakeven_flat_price(baseline, target="mdf_inflow_pv_usd_bn", lo=100.0, hi=300.0)
