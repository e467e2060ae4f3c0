"""Invariants of the waterfall and the fund on random valid scenarios (property-based).

Hypothesis draws scenarios within the documented bounds; each is run over a few hundred paths.
The flows of every path come from the model chain the engine runs (``Plan.build``,
``draw_normals``, ``run_paths``), are checked against what ``simulate`` reports, and are then
checked on every year and path against the accounting rules of DESIGN.md section 4:

- sources = uses (``cash + ir_paid + dsra_draw + dsra_release + backstop_draw =
  debt_service_paid + dsra_topup + cash_trapped + backstop_repaid + debt_prepaid + mdf_inflow +
  pemex_retained``), computed here, not with the simulator's own ``identity_residual``;
- ``debt_service_paid = due + ir_paid - shortfall`` and ``ir_paid <= paid <= due + ir_paid``;
  without a sweep ``due`` is the scheduled service less what the interest reserve paid, plus
  last year's shortfall carried at the coupon;
- the reserve accounts roll forward: the DSRA by its draws, top-ups, trapped cash, releases,
  funding at close and what interest reserves hand over; each interest reserve by its yield,
  its funding and what it pays; the backstop by its interest, draws and repayments;
- balances (DSRA, interest reserve, backstop outstanding, fund, capital) are never negative;
  the DSRA never ends a year that is not locked up above its target; a backstop draw never
  exceeds the year's cap (moved with the oil price when price-linked);
- a locked-up year (DSCR below the lock-up level, or no coverage test while debt is
  outstanding) pays nothing to the MDF, releases nothing and repays no backstop;
- a default is a shortfall, and a path that defaults with the backstop defaults without it;
- Pemex carries the negative operating cash, and its support is backstop draws less
  repayments plus that loss;
- a path's flows are the same, to the bit, run alone, beside a few others or in the block
  (the waterfall skips the steps that move nothing on any path of a year);
- no metric is NaN except ``project_irr``, ``first_shortfall_year`` and ``first_default_year``
  (NaN exactly when there is no distress or default), ``min_dscr``, ``avg_dscr`` and
  ``min_llcr`` (NaN exactly when no service falls on the cash within the horizon) and
  ``tail_share`` (NaN when nothing is produced).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st

import simulator
from simulator.model.chain import PathFlows, Plan, backstop_index, run_paths
from simulator.model.waterfall import run_waterfall
from simulator.outputs import UNDEFINED_METRICS
from simulator.run.engine import draw_normals
from simulator.scenario import Scenario, ScenarioError

LITERAL_FILE = Path(__file__).resolve().parents[1] / "scenarios" / "proposal-as-written.yaml"

PATHS = 200
#: Largest residual of an accounting identity, relative to the largest flow of the run.
IDENTITY_REL = 1e-9
#: Rounding allowed on an inequality, relative to the largest flow of the run.
ROUND_REL = 1e-12


def _f(lo: float, hi: float) -> st.SearchStrategy[float]:
    # Subnormal magnitudes are left out here (see the edge-case tests at the end).
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    years = draw(st.integers(2, 25))
    tenor = draw(st.integers(1, 15))
    close = draw(st.booleans())
    n_tranches = draw(st.integers(1, min(years, 6)))
    model = draw(st.sampled_from(["gbm", "mean_reverting", "two_factor", "bootstrap"]))
    overrides = {
        "horizon.years": years,
        # Coupons and tranches of realistic size (tiny positive values: see the edge-case
        # tests at the end of this file).
        "naef.coupon_rate": draw(st.one_of(st.just(0.0), _f(1e-4, 0.15))),
        "naef.tenor_years": tenor,
        "naef.grace_years": draw(st.integers(0, tenor - 1)),
        "naef.amortization": draw(st.sampled_from(["level", "linear", "bullet", "sculpted"])),
        "naef.target_dscr": draw(_f(1.0, 3.0)),
        "naef.capitalized_interest_years": draw(st.one_of(st.none(), st.integers(0, tenor))),
        "naef.sizing": draw(st.sampled_from(["face", "net_capex"])),
        "naef.issuance_usd_bn": draw(
            st.lists(
                st.one_of(st.just(0.0), _f(0.01, 20.0)), min_size=n_tranches, max_size=n_tranches
            )
        ),
        "naef.issuance_cost_rate": draw(_f(0.0, 0.05)),
        "oil_price.model": model,
        "oil_price.initial_usd_per_bbl": draw(_f(5.0, 150.0)),
        "oil_price.long_run_usd_per_bbl": draw(_f(5.0, 150.0)),
        "oil_price.volatility": draw(_f(0.0, 0.8)),
        "oil_price.short_term_volatility": draw(_f(0.0, 0.8)),
        "oil_price.long_term_volatility": draw(_f(0.0, 0.5)),
        "oil_price.correlation": draw(_f(-1.0, 1.0)),
        "oil_price.mean_reversion_per_year": draw(_f(0.0, 2.0)),
        "oil_price.drift_per_year": draw(_f(-0.1, 0.1)),
        "oil_price.bootstrap_block_years": draw(st.integers(1, 5)),
        "pemex.capex_usd_per_flowing_bpd": draw(_f(5_000.0, 150_000.0)),
        "pemex.capex_overrun_sd": draw(_f(0.0, 0.6)),
        "pemex.reservoir_factor_sd": draw(_f(0.0, 0.6)),
        "pemex.lag_years": draw(st.integers(0, 5)),
        "pemex.ramp_years": draw(st.integers(0, 4)),
        "pemex.plateau_years": draw(st.integers(0, 8)),
        "pemex.decline_rate": draw(_f(0.0, 0.5)),
        "pemex.decline_b": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "pemex.opex_usd_per_boe": draw(_f(0.0, 40.0)),
        "pemex.oversight_cost_usd_bn_per_year": draw(_f(0.0, 1.0)),
        "fiscal.royalty_rate": draw(_f(0.0, 0.5)),
        "fiscal.profit_duty_rate": draw(_f(0.0, 0.9)),
        # A reserve funded at close of three years of service can exceed the face.
        "waterfall.dsra_coverage_years": draw(_f(0.0, 1.5 if close else 3.0)),
        "waterfall.dsra_funded_at_close": close,
        "waterfall.backstop_rate": draw(st.one_of(st.none(), _f(0.0, 0.15))),
        "waterfall.backstop_basis": draw(st.sampled_from(["fixed", "price_linked"])),
        "waterfall.lockup_dscr": draw(st.one_of(st.just(0.0), _f(0.5, 2.0))),
        "waterfall.cash_sweep_share": draw(st.one_of(st.just(0.0), _f(0.0, 1.0))),
        "waterfall.reserve_yield": draw(_f(0.0, 0.1)),
        "waterfall.backstop_usd_bn_per_year": draw(_f(0.0, 5.0)),
        "waterfall.mdf_share": draw(_f(0.0, 1.0)),
        "mdf.fund_return": draw(_f(-0.2, 0.1)),
        "mdf.spend_rate": draw(_f(0.0, 1.0)),
        "mdf.max_investment_usd_bn_per_year": draw(_f(0.0, 20.0)),
    }
    return Scenario().with_overrides(overrides)


def _flows(sc: Scenario, seed: int) -> tuple[Plan, PathFlows]:
    """The model chain on paths 0 .. PATHS-1, every flow kept."""
    plan = Plan.build(sc)
    return plan, run_paths(plan, draw_normals(seed, 0, PATHS, plan.n_draws))


def _something_on_cash(sc: Scenario) -> bool:
    """Whether any positive debt service falls on the cash within the horizon (DESIGN B).

    Tranche j is serviced in years j+1 .. j+M; its interest reserve pays its interest in the
    first N of them. A year owes something on the cash when the coupon is positive and the
    reserve's years are over, or when principal falls due (after the grace years; the last year
    for a bullet). Sculpted principal follows the tranche's cash flow (nothing in a year whose
    base case does not cover the interest), so it is not decided here.
    """
    n, years = sc.naef, sc.horizon.years
    reserve = sc.value("naef.capitalized_interest_years", resolved=True)
    for j, face in enumerate(n.issuance_usd_bn):
        if face <= 0:
            continue
        for i in range(1, n.tenor_years + 1):
            if j + i >= years:
                break
            amortizes = i == n.tenor_years if n.amortization == "bullet" else i > n.grace_years
            if (n.coupon_rate > 0 and i > reserve) or amortizes:
                return True
    return False


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sc=scenarios(), seed=st.integers(0, 2**53 - 1))
@example(sc=Scenario(), seed=20050401)  # the 2005 proposal, structured
@example(sc=simulator.load_scenario(LITERAL_FILE), seed=20050401)  # the literal structure
@example(  # a cash sweep on the structured baseline
    sc=Scenario().with_overrides({"waterfall.cash_sweep_share": 0.5}), seed=3
)
@example(  # nothing serviced within the horizon: the only tranche is issued in the last year
    sc=Scenario().with_overrides(
        {"horizon.years": 3, "naef.issuance_usd_bn": [0.0, 0.0, 5.0], "oil_price.model": "gbm"}
    ),
    seed=1,
)
@example(  # severe stress: cheap oil, costly barrels, no reserve, no backstop
    sc=Scenario().with_overrides(
        {
            "horizon.years": 12,
            "oil_price.initial_usd_per_bbl": 15.0,
            "oil_price.long_run_usd_per_bbl": 15.0,
            "pemex.capex_usd_per_flowing_bpd": 120_000.0,
            "pemex.opex_usd_per_boe": 20.0,
            "waterfall.dsra_coverage_years": 0.0,
            "waterfall.backstop_usd_bn_per_year": 0.0,
        }
    ),
    seed=7,
)
def test_waterfall_accounting_holds_on_every_year_and_path(sc: Scenario, seed: int) -> None:
    years = sc.horizon.years
    try:
        plan, path_flows = _flows(sc, seed)
    except ScenarioError as exc:  # the documented refusal of a structure the face cannot fund
        assert "exceed its face" in exc.problem or "faster than" in exc.problem, exc
        reject()
    cash, wf, fund = path_flows.field, path_flows.waterfall, path_flows.fund
    res = simulator.simulate(sc, paths=PATHS, seed=seed, keep_series=True)

    # The flows checked below are the ones the engine reports.
    for name, arr in (
        ("cfads_usd_bn", cash.cfads_usd_bn),
        ("debt_service_due_usd_bn", wf.debt_service_due_usd_bn),
        ("debt_service_paid_usd_bn", wf.debt_service_paid_usd_bn),
        ("shortfall_usd_bn", wf.shortfall_usd_bn),
        ("dsra_balance_usd_bn", wf.dsra_balance_usd_bn),
        ("backstop_draw_usd_bn", wf.backstop_draw_usd_bn),
        ("mdf_inflow_usd_bn", wf.mdf_inflow_usd_bn),
        ("mdf_balance_usd_bn", fund.mdf_balance_usd_bn),
        ("infrastructure_capital_usd_bn", fund.infrastructure_capital_usd_bn),
    ):
        np.testing.assert_allclose(
            res.series(name).to_numpy(), arr, rtol=1e-12, atol=0, err_msg=name
        )

    flows = wf.as_dict()
    for name, arr in flows.items():
        assert arr.shape == (years, PATHS), name
        if name != "dscr":
            assert np.isfinite(arr).all(), f"non-finite {name}"
    scale = max(1.0, max(float(np.abs(a[np.isfinite(a)]).max(initial=0.0)) for a in flows.values()))
    tol = ROUND_REL * scale
    sched_plan = plan.schedule

    # Sources and uses, every year and path.
    sources = (
        wf.cash_usd_bn
        + wf.interest_reserve_paid_usd_bn
        + wf.dsra_draw_usd_bn
        + wf.dsra_release_usd_bn
        + wf.backstop_draw_usd_bn
    )
    uses = (
        wf.debt_service_paid_usd_bn
        + wf.dsra_topup_usd_bn
        + wf.cash_trapped_usd_bn
        + wf.backstop_repaid_usd_bn
        + wf.debt_prepaid_usd_bn
        + wf.mdf_inflow_usd_bn
    )
    uses = uses + wf.pemex_retained_usd_bn
    residual = float(np.abs(sources - uses).max())
    assert residual <= IDENTITY_REL * scale, f"identity residual {residual:.3e} (scale {scale:.3e})"
    assert res.manifest["identity_max_residual"] < 1e-9

    # Pemex carries the negative operating cash, and its support adds the backstop's draws
    # less its repayments (elementwise, as written in the property's docstring).
    loss = [[max(-float(c), 0.0) for c in row] for row in wf.cash_usd_bn]
    assert path_flows.operating_loss_carried_usd_bn.tolist() == loss
    np.testing.assert_array_equal(
        path_flows.pemex_support_usd_bn,
        wf.backstop_draw_usd_bn - wf.backstop_repaid_usd_bn + np.array(loss),
    )

    # Cash is CFADS plus the reserve's yield on its opening balance.
    opening_dsra = np.vstack([np.zeros((1, PATHS)), wf.dsra_balance_usd_bn[:-1]])
    np.testing.assert_allclose(
        wf.cash_usd_bn,
        cash.cfads_usd_bn + sc.waterfall.reserve_yield * opening_dsra,
        rtol=0,
        atol=tol,
    )

    # Debt service: paid = due + what the interest reserve paid - shortfall; due carries
    # arrears at the coupon.
    ir_paid = wf.interest_reserve_paid_usd_bn
    np.testing.assert_allclose(
        wf.debt_service_paid_usd_bn,
        wf.debt_service_due_usd_bn + ir_paid - wf.shortfall_usd_bn,
        rtol=0,
        atol=tol,
    )
    assert (wf.debt_service_paid_usd_bn >= ir_paid - tol).all()
    assert (wf.debt_service_paid_usd_bn <= wf.debt_service_due_usd_bn + ir_paid + tol).all()
    sched = sched_plan.service_usd_bn
    carried = np.vstack(
        [np.zeros((1, PATHS)), wf.shortfall_usd_bn[:-1] * (1.0 + sc.naef.coupon_rate)]
    )
    if sc.waterfall.cash_sweep_share == 0.0:
        # The reserve pays the interest it was funded for, and what falls on the cash is the
        # rest of the schedule.
        np.testing.assert_allclose(
            ir_paid,
            np.broadcast_to(sched_plan.reserve_interest_usd_bn[:, None], ir_paid.shape),
            rtol=1e-12,
            atol=tol,
        )
        np.testing.assert_allclose(
            wf.debt_service_due_usd_bn, sched[:, None] - ir_paid + carried, rtol=1e-12, atol=tol
        )
    else:  # a sweep only lowers what is due
        assert (wf.debt_service_due_usd_bn <= sched[:, None] - ir_paid + carried + tol).all()
    # What first goes unpaid in a year: the shortfall beyond the arrears carried with interest;
    # the total shortfall counts each unpaid amount once.
    new_short = np.maximum(wf.shortfall_usd_bn - carried, 0.0)
    np.testing.assert_allclose(wf.new_shortfall_usd_bn, new_short, rtol=0, atol=tol)
    np.testing.assert_allclose(
        res.metrics["shortfall_total_usd_bn"].to_numpy(),
        new_short.sum(axis=0),
        rtol=0,
        atol=tol * years,
    )

    # Draws and payments are non-negative; the backstop respects its cap; no surplus is paid
    # out in a year that needed the reserve or the backstop beyond what the reserve releases.
    for name in (
        "shortfall_usd_bn",
        "unpaid_interest_usd_bn",
        "interest_reserve_paid_usd_bn",
        "dsra_draw_usd_bn",
        "dsra_release_usd_bn",
        "dsra_topup_usd_bn",
        "cash_trapped_usd_bn",
        "backstop_draw_usd_bn",
        "backstop_interest_usd_bn",
        "backstop_repaid_usd_bn",
        "debt_prepaid_usd_bn",
        "mdf_inflow_usd_bn",
    ):
        assert (flows[name] >= 0).all(), f"negative {name}: {float(flows[name].min())}"
    # The cap: fixed, or moved with the oil price from its level at the pledge.
    cap = np.full((years, PATHS), sc.waterfall.backstop_usd_bn_per_year)
    if sc.waterfall.backstop_basis == "price_linked":
        cap = cap * path_flows.oil_price_usd_per_bbl / sc.oil_price.initial_usd_per_bbl
    assert (wf.backstop_draw_usd_bn <= cap + tol).all()
    needed_backstop = wf.backstop_draw_usd_bn > 0
    assert (wf.mdf_inflow_usd_bn[needed_backstop] <= tol).all()
    assert (wf.backstop_repaid_usd_bn[needed_backstop] <= tol).all()
    # A shortfall only once the reserve is empty (what it holds at the year's end was funded
    # at close, after the year's service) and the backstop is at its cap.
    short = wf.shortfall_usd_bn > tol
    close_funded = np.broadcast_to(sched_plan.dsra_close_funding_usd_bn[:, None], short.shape)
    assert (wf.dsra_balance_usd_bn[short] - close_funded[short] <= tol).all()
    np.testing.assert_allclose(wf.backstop_draw_usd_bn[short], cap[short], rtol=1e-12, atol=tol)

    # The reserve accounts roll forward.
    opening = np.vstack([np.zeros((1, PATHS)), wf.dsra_balance_usd_bn[:-1]])
    np.testing.assert_allclose(
        wf.dsra_balance_usd_bn,
        opening
        - wf.dsra_draw_usd_bn
        + wf.dsra_topup_usd_bn
        + wf.cash_trapped_usd_bn
        - wf.dsra_release_usd_bn
        + sched_plan.dsra_close_funding_usd_bn[:, None]
        + wf.interest_reserve_to_dsra_usd_bn,
        rtol=0,
        atol=tol * 10,
    )
    ir_open = np.vstack([np.zeros((1, PATHS)), wf.interest_reserve_balance_usd_bn[:-1]])
    np.testing.assert_allclose(
        wf.interest_reserve_balance_usd_bn,
        ir_open * (1.0 + sc.waterfall.reserve_yield)
        + sched_plan.interest_reserve_funding_usd_bn[:, None]
        - ir_paid
        - wf.interest_reserve_to_dsra_usd_bn,
        rtol=0,
        atol=tol * 10,
    )
    rate = sc.value("waterfall.backstop_rate", resolved=True)
    owed_open = np.vstack([np.zeros((1, PATHS)), wf.backstop_outstanding_usd_bn[:-1]])
    np.testing.assert_allclose(wf.backstop_interest_usd_bn, owed_open * rate, rtol=0, atol=tol)
    np.testing.assert_allclose(
        wf.backstop_outstanding_usd_bn,
        owed_open * (1.0 + rate) + wf.backstop_draw_usd_bn - wf.backstop_repaid_usd_bn,
        rtol=0,
        atol=tol * 10,
    )

    # Locked-up years pay nothing out; the others never end above the reserve's target.
    arrears_open = np.vstack([np.zeros((1, PATHS)), wf.shortfall_usd_bn[:-1]])
    untested = np.isnan(wf.dscr) & ((wf.debt_balance_start_usd_bn > 1e-9) | (arrears_open > 1e-9))
    locked = (sc.waterfall.lockup_dscr > 0) & ((wf.dscr < sc.waterfall.lockup_dscr) | untested)
    for name in ("mdf_inflow_usd_bn", "dsra_release_usd_bn", "backstop_repaid_usd_bn"):
        assert (flows[name][locked] <= tol).all(), name
    net = sched_plan.service_usd_bn - sched_plan.reserve_interest_usd_bn
    target = sc.waterfall.dsra_coverage_years * np.append(net[1:], 0.0)
    assert (wf.dsra_balance_usd_bn >= -tol).all()
    assert (wf.interest_reserve_balance_usd_bn >= -tol).all()
    above = wf.dsra_balance_usd_bn > np.broadcast_to(target[:, None], locked.shape) + tol * 10
    assert not (above & ~locked).any()
    assert (wf.backstop_outstanding_usd_bn >= -tol).all()
    assert (fund.mdf_balance_usd_bn >= 0).all(), float(fund.mdf_balance_usd_bn.min())
    assert (fund.infrastructure_capital_usd_bn >= 0).all(), float(
        fund.infrastructure_capital_usd_bn.min()
    )
    assert (fund.infrastructure_investment_usd_bn >= 0).all()
    assert (
        fund.infrastructure_investment_usd_bn <= sc.mdf.max_investment_usd_bn_per_year + tol
    ).all()

    # Metrics: NaN only where documented.
    m = res.metrics
    assert len(m) == PATHS
    for name in m.columns:
        if name in UNDEFINED_METRICS:
            continue
        col = m[name].to_numpy(dtype=float)
        assert np.isfinite(col).all(), f"{name} has NaN or inf"
    distress = m["distress"].to_numpy(dtype=bool)
    first = m["first_shortfall_year"].to_numpy(dtype=float)
    np.testing.assert_array_equal(np.isnan(first), ~distress)
    if distress.any():
        assert (first[distress] >= sc.horizon.start_year).all()
        assert (first[distress] < sc.horizon.start_year + years).all()
        assert (first[distress] == np.floor(first[distress])).all()
    # Distress is a shortfall in some year (above the documented 1e-6 USD bn rounding floor).
    np.testing.assert_array_equal(distress, (wf.shortfall_usd_bn > 1e-6).any(axis=0))
    # A default is a shortfall; the backstop only adds cash, so a path that defaults with it
    # defaults without it; Pemex supports a path when its backstop pays something.
    defaulted = m["default"].to_numpy(dtype=bool)
    assert not (defaulted & ~distress).any()
    assert not (defaulted & ~m["standalone_default"].to_numpy(dtype=bool)).any()
    np.testing.assert_array_equal(
        m["pemex_support"].to_numpy(dtype=bool), (wf.backstop_draw_usd_bn > 1e-6).any(axis=0)
    )
    np.testing.assert_array_equal(np.isnan(m["first_default_year"].to_numpy()), ~defaulted)
    min_dscr = m["min_dscr"].to_numpy(dtype=float)
    on_cash = (net > 1e-9).any() if sc.naef.amortization == "sculpted" else _something_on_cash(sc)
    if sc.waterfall.cash_sweep_share == 0.0:
        if on_cash:
            assert not np.isnan(min_dscr).any()
        else:
            assert np.isnan(min_dscr).all()
            assert not distress.any()
    np.testing.assert_allclose(
        m["backstop_draw_total_usd_bn"].to_numpy(), wf.backstop_draw_usd_bn.sum(axis=0), rtol=1e-12
    )
    assert (m["debt_outstanding_at_horizon_usd_bn"].to_numpy() >= -tol).all()
    irr = m["project_irr"].to_numpy(dtype=float)
    assert not np.isinf(irr).any()
    assert (irr[~np.isnan(irr)] > -1.0).all()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sc=scenarios(), seed=st.integers(0, 2**53 - 1))
@example(sc=Scenario(), seed=20050401)
@example(sc=simulator.load_scenario(LITERAL_FILE), seed=20050401)
@example(sc=Scenario().with_overrides({"waterfall.cash_sweep_share": 0.5}), seed=3)
@example(sc=Scenario().with_overrides({"oil_price.long_run_usd_per_bbl": 20.0}), seed=5)
def test_a_path_runs_the_same_alone_as_among_others(sc: Scenario, seed: int) -> None:
    """The waterfall skips the steps that move nothing on any path of a year (no draw when
    cash meets what is due everywhere, no lock-up masks when nothing is locked), so a path
    whose neighbours all settle takes other steps than the same path among paths in distress.
    Its flows must not change, to the bit: a path is run alone and beside a few others, and
    compared with the block of 200 it was first run in."""
    try:
        plan, path_flows = _flows(sc, seed)
    except ScenarioError as exc:
        assert "exceed its face" in exc.problem or "faster than" in exc.problem, exc
        reject()
    wf = path_flows.waterfall
    cfads = path_flows.field.cfads_usd_bn
    # The first path and the most stressed ones, picked from the waterfall's input (so that a
    # wrong block cannot hide them): the three with the least CFADS over the horizon and the
    # one with the lowest CFADS of a year.
    picks = {0, int(cfads.min(axis=0).argmin()), *np.argsort(cfads.sum(axis=0))[:3].tolist()}
    index = backstop_index(plan, path_flows.oil_price_usd_per_bbl)
    groups = [[p] for p in sorted(picks)] + [sorted(picks)]
    for group in groups:
        paths = np.array(group)
        part = plan.take(paths)
        alone = run_waterfall(
            np.ascontiguousarray(cfads[:, paths]),
            part.schedule,
            np.ascontiguousarray(index[:, paths]),
            coupon_rate=part.naef.coupon_rate,
            waterfall=part.waterfall,
        )
        for name, values in alone.as_dict().items():
            among = getattr(wf, name)[:, paths]
            assert np.array_equal(np.broadcast_to(values, among.shape), among, equal_nan=True), (
                name,
                group,
            )


def test_min_dscr_nan_exactly_when_nothing_scheduled() -> None:
    """A sanity anchor for the rule used above: with no debt there is no coverage ratio."""
    sc = Scenario().with_overrides({"horizon.years": 4, "naef.issuance_usd_bn": [0.0]})
    res = simulator.simulate(sc, paths=10, seed=3)
    assert res.metrics["min_dscr"].isna().all()
    assert not res.metrics["distress"].any()
    assert math.isclose(res.metrics["debt_outstanding_at_horizon_usd_bn"].abs().max(), 0.0)


# ----------------------------------------------------------------------------- edge cases
# Valid inputs the generator above leaves out (it draws realistic magnitudes) because each one
# stops the property test before it reaches the accounting checks.


@pytest.mark.parametrize("coupon", [1e-17, 1e-12])
def test_tiny_positive_coupon_schedules_like_zero_coupon(coupon: float) -> None:
    """A tiny positive coupon is valid (bounds: ge=0) and must behave like a coupon of zero.

    Reference: the level annuity tends to F / (M - G) as c -> 0 (relative difference about
    (M - G + 1) c / 2, i.e. 2e-12 here), so a 3.0 face over 3 years owes 1.0 a year.
    """
    sc = Scenario().with_overrides(
        {
            "horizon.years": 6,
            "naef.issuance_usd_bn": [3.0],
            "naef.issuance_cost_rate": 0.0,
            "naef.coupon_rate": coupon,
            "naef.tenor_years": 3,
            "naef.grace_years": 0,
            "naef.amortization": "level",
        }
    )
    res = simulator.simulate(sc, paths=4, seed=1)
    sched = res.ledger()["scheduled_service_usd_bn"].to_numpy()
    np.testing.assert_allclose(sched, [0.0, 1.0, 1.0, 1.0, 0.0, 0.0], rtol=1e-9, atol=1e-12)


def test_subnormal_tranche_runs_without_warnings() -> None:
    """A tranche of 2.2e-313 USD bn is valid (ge=0); simulate must not warn (pytest turns
    warnings into errors) and the minimum DSCR must stay finite. Low severity."""
    sc = Scenario().with_overrides(
        {
            "horizon.years": 3,
            "naef.issuance_usd_bn": [1.0, 2.2250738585e-313],
            "naef.coupon_rate": 0.0,
            "naef.tenor_years": 1,
            "naef.grace_years": 0,
            # A reserve funded at close for a 1-year tenor would be the whole face.
            "waterfall.dsra_funded_at_close": False,
        }
    )
    res = simulator.simulate(sc, paths=8, seed=0)
    assert np.isfinite(res.metrics["min_dscr"].to_numpy()).all()
