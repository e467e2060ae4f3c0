"""The structure of a revenue-backed financing (DESIGN B): each mechanism by hand.

Every case is deterministic: a price deck, no capex overrun or reservoir spread, so one path is
every path. The expected numbers are written here from DESIGN B's rules with plain Python floats;
nothing is imported from the model but the scenario (to build the input), ``simulate`` (the code
under test) and the command line (for the refusals).

Production in these cases starts with the capex (lag 0, no ramp, a plateau over the horizon, no
decline, no cost inflation, no oversight, no take), so each year's CFADS is the closed form
``K(P) = mmbbl x (P u - opex) / 1000`` with ``mmbbl = 365 x kbd / 1000``,
``kbd = capex x 1e6 / capex_per_bpd`` and the realized value per boe
``u = (1 - g) x realized_factor + g x gas_ratio``; where a case needs years without production
it sets a lag and says so.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import simulator
from simulator.cli import main
from simulator.scenario import Scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "naef-2005.yaml"
YEARS = 12
START = 2030
CAPEX_PER_BPD = 40_000.0
GAS, RPF, GAS_RATIO, OPEX = 0.15, 0.85, 0.35, 5.0
U = (1.0 - GAS) * RPF + GAS * GAS_RATIO


def cfads_by_hand(capex_usd_bn: float, price: float) -> float:
    """CFADS of a year at plateau [USD bn]: the closed form of the module docstring."""
    kbd = capex_usd_bn * 1e6 / CAPEX_PER_BPD
    return 365.0 * kbd / 1000.0 * (price * U - OPEX) / 1000.0


def annuity(face: float, c: float, n: int) -> float:
    """Level payment repaying ``face`` over ``n`` years at coupon ``c``."""
    return face * c / (1.0 - (1.0 + c) ** -n)


def case(deck: list[float], **over: Any) -> Scenario:
    """One tranche of 10 issued at the end of 2030, no fees, no reserves, no lock-up, no
    backstop, fields producing from the capex; ``over`` changes any of it."""
    fields: dict[str, Any] = {
        "horizon.start_year": START,
        "horizon.years": YEARS,
        "oil_price.model": "deck",
        "oil_price.initial_usd_per_bbl": deck[0],
        "oil_price.deck_usd_per_bbl": deck,
        "oil_price.basis": "nominal",  # the deck's prices are the year's (the real basis:
        # tests/test_deterministic_case.py)
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


def ledger(res: simulator.Results, name: str) -> list[float]:
    """A ledger column, or a kept series of path 0 (every path is the same path)."""
    if name in res.ledger().columns:
        return [float(x) for x in res.ledger()[name]]
    return [float(x) for x in res.series(name)[0]]


def close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=1e-11, abs_tol=1e-12)


def assert_rows(got: list[float], want: list[float], name: str) -> None:
    bad = [
        (START + t, g, w) for t, (g, w) in enumerate(zip(got, want, strict=True)) if not close(g, w)
    ]
    assert not bad, f"{name}: (year, got, want) {bad}"


# ---------------------------------------------------------------------- the interest reserve


def test_interest_reserve_pays_its_years_and_hands_the_rest_to_the_reserve_account() -> None:
    """One tranche of 10 at 5%, two grace years and an interest reserve of two years earning
    2%; no production before 2033 (lag 3). The reserve is funded at issue with 2 x 0.5; it
    pays 0.5 in 2031 and 2032, so nothing falls on the cash, the reserve account or the
    backstop in those years; what it has earned is handed to the reserve account in 2032 and,
    above the account's target of 0, released to the MDF."""
    y = 0.02
    sc = case(
        [60.0] * YEARS,
        **{
            "naef.grace_years": 2,
            "naef.capitalized_interest_years": 2,
            "pemex.lag_years": 3,
            "waterfall.reserve_yield": y,
            "waterfall.backstop_usd_bn_per_year": 5.0,
        },
    )
    res = run(sc)
    funded = 2 * 0.05 * 10.0
    assert close(ledger(res, "interest_reserve_funding_usd_bn")[0], funded)
    assert close(ledger(res, "capex_usd_bn")[0], 10.0 - funded)
    b1 = funded * (1 + y) - 0.5
    b2 = b1 * (1 + y) - 0.5
    assert_rows(ledger(res, "interest_reserve_paid_usd_bn")[:4], [0.0, 0.5, 0.5, 0.0], "paid")
    assert_rows(
        ledger(res, "interest_reserve_balance_usd_bn")[:3], [funded, b1, 0.0], "reserve balance"
    )
    assert_rows(ledger(res, "interest_reserve_to_dsra_usd_bn")[:4], [0.0, 0.0, b2, 0.0], "moved")
    for name in ("debt_service_due_usd_bn", "dsra_draw_usd_bn", "backstop_draw_usd_bn"):
        assert_rows(ledger(res, name)[1:3], [0.0, 0.0], name)
    assert_rows(ledger(res, "debt_service_paid_usd_bn")[1:3], [0.5, 0.5], "service paid")
    assert_rows(ledger(res, "mdf_inflow_usd_bn")[1:3], [0.0, b2], "MDF")
    # DSCR: nothing on the cash in the reserve's years; from 2033 CFADS over the annuity.
    dscr = res.series("dscr")[0].to_numpy()
    assert np.isnan(dscr[:3]).all()
    a = annuity(10.0, 0.05, 4)
    assert close(float(dscr[3]), cfads_by_hand(10.0 - funded, 60.0) / a)


def test_reserve_account_funded_at_close_is_next_years_service_net_of_the_interest_reserve() -> (
    None
):
    """Two tranches (10 in 2030, 6 in 2031), level over 6 years, an interest reserve of one
    year and a reserve account of one year funded at close. At the end of 2030 the account is
    funded with 2031's service of tranche 0 less the interest its reserve pays; at the end of
    2031 with the rise of the target from 2031 to 2032 (no year funded twice)."""
    c = 0.05
    sc = case(
        [60.0] * YEARS,
        **{
            "naef.issuance_usd_bn": [10.0, 6.0],
            "naef.capitalized_interest_years": 1,
            "waterfall.dsra_coverage_years": 1.0,
            "waterfall.dsra_funded_at_close": True,
        },
    )
    res = run(sc)
    a0, a1 = annuity(10.0, c, 6), annuity(6.0, c, 6)
    # Tranche 0's service in 2031 is a0, of which its reserve pays the interest 0.5.
    net_2031 = a0 - c * 10.0
    # In 2032: tranche 0 pays a0 on the cash; tranche 1 pays a1 less its reserve's 0.3.
    net_2032 = a0 + a1 - c * 6.0
    funding = ledger(res, "dsra_close_funding_usd_bn")
    assert close(funding[0], net_2031)
    assert close(funding[1], net_2032 - net_2031)
    assert_rows(funding[2:], [0.0] * (YEARS - 2), "no later funding")
    assert_rows(ledger(res, "interest_reserve_funding_usd_bn")[:2], [c * 10.0, c * 6.0], "IR")
    capex = ledger(res, "capex_usd_bn")
    assert close(capex[0], 10.0 - c * 10.0 - net_2031)
    assert close(capex[1], 6.0 - c * 6.0 - (net_2032 - net_2031))


# ---------------------------------------------------------------------- the backstop


def backstop_case(**over: Any) -> Scenario:
    """A tranche of 100 at 5%, interest only for five years, no production before 2036 (lag
    6), so each year from 2031 owes 5 of interest and has no cash to pay it."""
    return case(
        [60.0, 30.0, 30.0] + [60.0] * (YEARS - 3),
        **{
            "naef.issuance_usd_bn": [100.0],
            "naef.grace_years": 5,
            "pemex.lag_years": 6,
            "waterfall.backstop_usd_bn_per_year": 5.0,
            **over,
        },
    )


def test_price_linked_cap_at_half_the_price_is_half_the_cap() -> None:
    """Oil at 30 in 2031 against 60 when the backstop was pledged: a price-linked cap of 5 is
    2.5, and the other 2.5 of the interest goes unpaid (a default); a fixed cap pays all 5."""
    linked = run(backstop_case(**{"waterfall.backstop_basis": "price_linked"}))
    fixed = run(backstop_case())
    assert close(ledger(linked, "backstop_draw_usd_bn")[1], 5.0 * 30.0 / 60.0)
    assert close(ledger(linked, "shortfall_usd_bn")[1], 5.0 - 2.5)
    assert close(ledger(fixed, "backstop_draw_usd_bn")[1], 5.0)
    assert close(ledger(fixed, "shortfall_usd_bn")[1], 0.0)
    assert linked.metrics["first_default_year"].eq(2031).all()
    assert not fixed.metrics["first_default_year"].eq(2031).any()


@pytest.mark.parametrize("rate", [0.1, None])
def test_backstop_interest_accrues_at_its_rate(rate: float | None) -> None:
    """Draws of 5 in 2031 and 2032 (the interest, the cap 10): the second year owes interest
    on the first draw at the backstop's rate (null: the coupon, 5%), and the outstanding
    grows by it."""
    r = 0.05 if rate is None else rate
    res = run(
        backstop_case(
            **{"waterfall.backstop_usd_bn_per_year": 10.0, "waterfall.backstop_rate": rate}
        )
    )
    assert_rows(ledger(res, "backstop_draw_usd_bn")[1:3], [5.0, 5.0], "draws")
    assert_rows(
        ledger(res, "backstop_interest_usd_bn")[1:4],
        [0.0, 5.0 * r, 10.0 * r + 5.0 * r * r],
        "interest",
    )
    assert_rows(ledger(res, "backstop_outstanding_usd_bn")[1:3], [5.0, 5.0 * (1 + r) + 5.0], "owed")


# ---------------------------------------------------------------------- the lock-up


def test_lockup_traps_the_surplus_of_a_year_below_the_threshold() -> None:
    """A lock-up at 1.2 and a reserve target of 0. Oil at 37 from 2033 to 2035 leaves the
    coverage of those years between 1 and 1.2: their surplus stays in the reserve account and
    nothing reaches the MDF; when oil is back at 60 in 2036 the account releases what it
    holds and the surplus flows again."""
    deck = [60.0, 60.0, 60.0, 37.0, 37.0, 37.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0]
    res = run(case(deck, **{"waterfall.lockup_dscr": 1.2}))
    a = annuity(10.0, 0.05, 6)
    trapped = 0.0
    for t in range(1, 7):
        k = cfads_by_hand(10.0, deck[t])
        dscr = k / a
        row = {n: ledger(res, n)[t] for n in ("cash_trapped_usd_bn", "mdf_inflow_usd_bn")}
        if dscr < 1.2:
            assert dscr > 1.0, "precondition: the service is paid from cash"
            assert close(row["cash_trapped_usd_bn"], k - a), START + t
            assert close(row["mdf_inflow_usd_bn"], 0.0), START + t
            trapped += k - a
        else:
            assert close(row["cash_trapped_usd_bn"], 0.0), START + t
            released = trapped if t == 6 else 0.0
            assert close(ledger(res, "dsra_release_usd_bn")[t], released), START + t
            assert close(row["mdf_inflow_usd_bn"], k - a + released), START + t
    assert trapped > 0.0
    assert close(res.metrics["cash_trapped_total_usd_bn"].iloc[0], trapped)


# ---------------------------------------------------------------------- coverage


def test_llcr_of_a_level_annuity_with_constant_cfads_is_cfads_over_the_annuity() -> None:
    """With constant CFADS K and a level annuity A at the coupon, the balance at the start of
    each year is the annuity's remaining payments discounted at the coupon, so
    LLCR_t = K a(n_t) / (A a(n_t)) = K / A in every year of service; the DSCR is K / A too."""
    res = run(case([60.0] * YEARS))
    k_over_a = cfads_by_hand(10.0, 60.0) / annuity(10.0, 0.05, 6)
    m = res.metrics.iloc[0]
    for name in ("min_llcr", "min_dscr", "avg_dscr"):
        assert close(float(m[name]), k_over_a), name


def test_sculpted_service_covers_every_amortizing_year_at_the_target() -> None:
    """Sculpting at 1.5 against a constant CFADS K with ample cash: after the grace year the
    service is K / 1.5, interest first, until the balance is repaid; the last payment is the
    balance left, so its year is covered more than 1.5 times; principal sums to the face."""
    c, face, grace = 0.05, 10.0, 1
    res = run(case([60.0] * YEARS, **{"naef.amortization": "sculpted", "naef.grace_years": grace}))
    k = cfads_by_hand(face, 60.0)
    service, balance = [0.0], face
    for i in range(1, 7):
        interest = c * balance
        principal = 0.0 if i <= grace else min(k / 1.5 - interest, balance)
        service.append(interest + principal)
        balance -= principal
    assert balance == 0.0 or close(balance, 0.0)
    service += [0.0] * (YEARS - len(service))
    assert_rows(ledger(res, "scheduled_service_usd_bn"), service, "sculpted service")
    dscr = res.series("dscr")[0].to_numpy()
    full = [t for t in range(grace + 1, YEARS) if close(service[t], k / 1.5)]
    assert len(full) >= 2
    for t in full:
        assert close(float(dscr[t]), 1.5), START + t
    last = max(t for t in range(YEARS) if service[t] > 0)
    assert last not in full and dscr[last] > 1.5
    assert np.isnan(dscr[last + 1 :]).all()
    assert res.manifest["sculpted_dscr"] == [1.5]


# ---------------------------------------------------------------------- the cash sweep


def test_cash_sweep_prepays_its_share_and_shrinks_the_schedule() -> None:
    """Half of each year's surplus prepays principal; the tranche's remaining schedule shrinks
    in proportion to what is left (a scale on each year's interest and principal)."""
    share, c = 0.5, 0.05
    res = run(case([60.0] * YEARS, **{"waterfall.cash_sweep_share": share}))
    k = cfads_by_hand(10.0, 60.0)
    a = annuity(10.0, c, 6)
    balance, scale = 10.0, 1.0
    due, prepaid = [0.0], [0.0]
    for _ in range(1, 7):
        interest = c * balance
        principal = a - interest
        balance -= principal  # the original schedule's balance after the year
        due.append(scale * a)
        outstanding = scale * balance
        pay = min(share * (k - scale * a), outstanding)
        prepaid.append(pay)
        scale *= 1.0 - pay / outstanding if outstanding > 0 else 1.0
    pad = [0.0] * (YEARS - 7)
    assert_rows(ledger(res, "debt_service_due_usd_bn"), due + pad, "due")
    assert_rows(ledger(res, "debt_prepaid_usd_bn"), prepaid + pad, "prepaid")
    paid = sum(ledger(res, "debt_service_paid_usd_bn")) + sum(ledger(res, "debt_prepaid_usd_bn"))
    interest_paid = paid - 10.0
    assert 0.0 < interest_paid < 6 * a - 10.0  # less interest than the schedule's


# ---------------------------------------------------------------------- default


def test_a_principal_shortfall_before_maturity_is_not_a_default() -> None:
    """A 3-year level tranche and oil at 30 in 2031: CFADS covers the interest (0.5) but not
    the annuity, so principal goes unpaid, to be paid in 2032 (oil at 100) with interest:
    distress, not a default. With oil at 30 in the final year 2033 instead, principal is
    unpaid at final maturity: a default in 2033."""
    kw = {"naef.tenor_years": 3}
    a = annuity(10.0, 0.05, 3)
    assert 0.5 < cfads_by_hand(10.0, 30.0) < a
    owed_2032 = a + (a - cfads_by_hand(10.0, 30.0)) * 1.05
    assert cfads_by_hand(10.0, 100.0) > owed_2032
    early = run(case([60.0, 30.0] + [100.0] * (YEARS - 2), **kw)).metrics
    assert early["distress"].all() and not early["default"].any()
    late = run(case([60.0, 60.0, 60.0, 30.0] + [60.0] * (YEARS - 4), **kw)).metrics
    assert late["default"].all() and late["first_default_year"].eq(2033).all()
    assert late["standalone_default"].all() and not late["pemex_support"].any()


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ("naef.capitalized_interest_years=30", "naef.capitalized_interest_years"),
        ("waterfall.backstop_rate=-0.1", "waterfall.backstop_rate"),
        ("waterfall.lockup_dscr=-0.5", "waterfall.lockup_dscr"),
        ("naef.target_dscr=0", "naef.target_dscr"),
        ("naef.coupon_rate=0.5", "naef.issuance_usd_bn[0]"),
    ],
)
def test_bad_structure_is_one_line_and_exit_2(
    setting: str, field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An interest reserve longer than the tenor, a negative backstop rate, a lock-up below 0,
    a sculpting target of 0, and a coupon whose three years of interest reserve (3 x 50% of
    the face) exceed the face: one line naming the file and the field, exit 2, nothing
    written."""
    out = tmp_path / "out"
    rc = main(["run", str(BASELINE), "--paths", "16", "--out", str(out), "--set", setting])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1, err
    assert str(BASELINE) in err and field in err
    assert not out.exists() or not any(out.iterdir())


# ---------------------------------------------------------------------- sizing and the tail


def test_net_capex_sizing_grosses_the_face_up_to_pay_for_its_reserves() -> None:
    """Net-capex sizing with an interest reserve of two grace years and a 1% fee: the face F
    leaves the tranche's 10 for capex once its fee and reserve are paid,
    F (1 - fee) - 2 c F = 10, so F = 10 / (1 - fee - 2 c)."""
    fee, c = 0.01, 0.05
    res = run(
        case(
            [60.0] * YEARS,
            **{
                "naef.sizing": "net_capex",
                "naef.issuance_cost_rate": fee,
                "naef.grace_years": 2,
                "naef.capitalized_interest_years": 2,
            },
        )
    )
    face = 10.0 / (1.0 - fee - 2 * c)
    assert close(ledger(res, "capex_usd_bn")[0], 10.0)
    assert close(ledger(res, "fees_usd_bn")[0], fee * face)
    assert close(ledger(res, "interest_reserve_funding_usd_bn")[0], 2 * c * face)


def test_production_tail_is_what_comes_after_the_last_final_maturity() -> None:
    """Constant production over the twelve years, a tranche issued in 2030 with a six-year
    tenor (final maturity 2036): the tail is the five years 2037-2041 of twelve."""
    res = run(case([60.0] * YEARS))
    assert close(float(res.metrics["tail_share"].iloc[0]), 5.0 / 12.0)


def test_naef_compare_prints_what_the_structure_alone_changes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The literal structure against the built one, on the same draws: the stand-alone
    default and Pemex's support fall, each difference with its standard error."""
    literal = BASELINE.parent / "proposal-as-written.yaml"
    assert main(["compare", str(literal), str(BASELINE), "--paths", "400"]) == 0
    out = capsys.readouterr().out
    assert "A = proposal-as-written, B = naef-2005" in out
    for label in ("Stand-alone default", "Pemex support [%"):
        (row,) = [ln for ln in out.splitlines() if ln.strip().startswith(label)]
        diff = float(row.split()[-3])
        assert diff < -10.0, row  # percentage points
