"""The notes as investors see them (simulator.analysis.credit, simulator.ratings).

Checked against: a deterministic deal that defaults in a known year, whose payments, arrears,
loss, expected loss and loss given default are computed here year by year from its own CFADS
(the input the waterfall is given, not what is tested); the Clopper-Pearson bound written in
closed form for no default; the published table read by hand for the implied rating; the
average life of level and bullet schedules by hand; the fair coupon of a riskless deal, which
must be the discount rate.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import simulator
from simulator.analysis.credit import (
    credit_report,
    fair_coupon,
    tranche_credit,
    weighted_average_life,
)
from simulator.cli import main
from simulator.ratings import RATING_TABLES, cumulative_default_rate, implied_rating
from simulator.scenario import Scenario

START, YEARS = 2030, 12
FACE, COUPON, TENOR = 10.0, 0.05, 6


def case(deck: list[float], **over: Any) -> Scenario:
    """One tranche of 10 issued at the end of 2030, level repayment over 6 years, no fees, no
    reserves, no lock-up, no backstop, no randomness; ``over`` changes any of it."""
    fields: dict[str, Any] = {
        "horizon.start_year": START,
        "horizon.years": YEARS,
        "oil_price.model": "deck",
        "oil_price.deck_usd_per_bbl": deck,
        "oil_price.basis": "nominal",
        "risks.export_mix_sd": 0.0,
        "naef.issuance_usd_bn": [FACE],
        "naef.issuance_cost_rate": 0.0,
        "naef.coupon_rate": COUPON,
        "naef.tenor_years": TENOR,
        "naef.grace_years": 0,
        "naef.amortization": "level",
        "naef.capitalized_interest_years": 0,
        "naef.recovery_rate": 0.4,
        "pemex.capex_usd_per_flowing_bpd": 20_000.0,
        "pemex.capex_overrun_sd": 0.0,
        "pemex.reservoir_factor_sd": 0.0,
        "pemex.lag_years": 0,
        "pemex.ramp_years": 0,
        "pemex.plateau_years": YEARS,
        "pemex.decline_rate": 0.0,
        "pemex.oversight_cost_usd_bn_per_year": 0.0,
        "waterfall.dsra_coverage_years": 0.0,
        "waterfall.dsra_funded_at_close": False,
        "waterfall.reserve_yield": 0.0,
        "waterfall.backstop_usd_bn_per_year": 0.0,
        "waterfall.lockup_dscr": 0.0,
        "credit.tail_years": 1,
    }
    return Scenario().with_overrides({**fields, **over})


def test_loss_of_a_deal_that_defaults_by_hand() -> None:
    """Oil collapses in 2034: service goes unpaid, arrears grow at the coupon, and what is
    unpaid a year after the final maturity (2036 + 1) is lost but for 40%."""
    deck = [60.0] * 4 + [4.0] * (YEARS - 4)
    sc = case(deck)
    res = simulator.simulate(sc, paths=1, seed=1, keep_series=True)
    cfads = res.series("cfads_usd_bn").to_numpy()[:, 0]
    annuity = FACE * COUPON / (1.0 - (1.0 + COUPON) ** -TENOR)
    scheduled = np.zeros(YEARS)
    scheduled[1 : TENOR + 1] = annuity
    paid = np.zeros(YEARS)
    arrears = 0.0
    for t in range(YEARS):
        due = scheduled[t] + arrears * (1.0 + COUPON)
        paid[t] = min(max(cfads[t], 0.0), due)
        arrears = due - paid[t]
        if t == TENOR + 1:  # the last final maturity (year 6) plus the tail
            unpaid_at_loss = arrears
    end = TENOR + 1
    assert unpaid_at_loss > 1.0, "the case must leave something unpaid"
    v = (1.0 + COUPON) ** -np.arange(YEARS)
    got = (paid[: end + 1] * v[: end + 1]).sum() + 0.4 * unpaid_at_loss * v[end]
    want_loss = 1.0 - got / (scheduled * v).sum()
    m = res.metrics.iloc[0]
    assert bool(m["default"])
    assert m["holder_loss"] == pytest.approx(want_loss, rel=1e-10)
    rate = sc.credit.risk_free_rate + sc.credit.risk_premium
    w = (1.0 + rate) ** -np.arange(end + 1)
    assert m["holder_pv_usd_bn"] == pytest.approx(
        (paid[: end + 1] * w).sum() + 0.4 * unpaid_at_loss * w[end], rel=1e-10
    )
    report = credit_report(res)
    assert report.probability_of_default == 1.0
    assert report.expected_loss == pytest.approx(want_loss, rel=1e-10)
    assert report.loss_given_default == pytest.approx(want_loss, rel=1e-10)  # PD is 1
    assert report.loss_year == START + end


def test_a_deal_paid_in_full_loses_nothing_and_its_fair_coupon_is_the_discount_rate() -> None:
    """With ample cash and no randomness holders get every payment: no loss, and the coupon at
    which what they get is worth what they lend is the risk-free rate plus the premium."""
    sc = case([80.0] * YEARS, **{"credit.risk_premium": 0.01})
    res = simulator.simulate(sc, paths=4, seed=1)
    assert not res.metrics["default"].any()
    np.testing.assert_allclose(res.metrics["holder_loss"].to_numpy(dtype=float), 0.0, atol=1e-12)
    fair = fair_coupon(sc, paths=4, seed=1)
    rate = sc.credit.risk_free_rate + 0.01
    assert fair.coupon is not None
    assert fair.coupon == pytest.approx(rate, abs=1e-4)
    assert fair.spread == pytest.approx(0.01, abs=1e-4)


def test_a_risky_deal_pays_a_spread_that_clears_on_common_random_numbers() -> None:
    """Low oil with a thin backstop: the fair coupon lies above the discount rate, and at it
    what holders expect to get (same paths) is worth what they lend."""
    low = simulator.load_scenario(
        Path(__file__).resolve().parents[1] / "scenarios" / "ordinary-fiscal-take.yaml"
    ).with_overrides({"waterfall.backstop_usd_bn_per_year": 0.0})
    fair = fair_coupon(low, paths=400, seed=3)
    if fair.coupon is None:  # nothing clears: the search says so, with no root
        assert fair.spread is None and fair.standard_error is None
        return
    rate = low.credit.risk_free_rate
    assert fair.coupon > rate + 1e-3
    assert fair.standard_error is not None and fair.standard_error >= 0.0


def test_clopper_pearson_bound_without_defaults() -> None:
    """With no default in n paths the one-sided 95% upper bound is 1 - 0.05^(1/n)."""
    res = simulator.simulate(case([80.0] * YEARS), paths=50, seed=2)
    report = credit_report(res)
    assert report.probability_of_default == 0.0
    assert report.probability_of_default_upper == pytest.approx(1.0 - 0.05 ** (1 / 50))
    assert math.isnan(report.loss_given_default)


def test_implied_rating_reads_the_table_by_hand() -> None:
    moodys = RATING_TABLES["moodys_1970_2013"]
    # Baa at 5 years is 1.862%, at 7 years 2.872%: 6 years halfway.
    assert cumulative_default_rate(moodys, "Baa", 6) == pytest.approx(
        (1.862 + 2.872) / 2 / 100, rel=1e-12
    )
    # 0.5% at 5 years: Aaa 0.104%, Aa 0.410% fall short; A's 0.958% covers it.
    assert implied_rating(moodys, 0.005, 5) == "A"
    assert implied_rating(moodys, 0.0, 5) == "Aaa"
    assert implied_rating(moodys, 0.9, 20) == "Caa-C"
    sp = RATING_TABLES["sp_1981_2019"]
    assert implied_rating(sp, 0.02, 10) == "BBB"  # A 1.24% falls short, BBB's 3.32% covers it
    assert cumulative_default_rate(sp, "BB", 30) == pytest.approx(0.1467)


def test_rating_cap() -> None:
    # No default in 20,000 paths bounds the PD at 0.015%, under Aaa's rate at the WAL; the
    # cap (rank 4, Baa) holds the rating there.
    sc = case([80.0] * YEARS, **{"credit.rating_cap": "4"})
    report = credit_report(simulator.simulate(sc, paths=20_000, seed=2))
    assert report.rating_uncapped == "Aaa"
    assert report.rating == "Baa"


def test_weighted_average_life_by_hand() -> None:
    """A bullet's principal comes at the final maturity; a level annuity's by its schedule."""
    bullet = case([80.0] * YEARS, **{"naef.amortization": "bullet"})
    assert weighted_average_life(bullet) == pytest.approx(TENOR)
    level = case([80.0] * YEARS)
    annuity = FACE * COUPON / (1.0 - (1.0 + COUPON) ** -TENOR)
    balance, num = FACE, 0.0
    for t in range(1, TENOR + 1):
        principal = annuity - COUPON * balance
        num += t * principal
        balance -= principal
    assert weighted_average_life(level) == pytest.approx(num / FACE, rel=1e-10)


def test_credit_refuses_a_horizon_that_ends_before_losses_crystallize(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "short.yaml"
    path.write_text(case([80.0] * 7, **{"horizon.years": 7}).to_yaml(), encoding="utf-8")
    assert main(["credit", str(path), "--paths", "10", "--no-coupon"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "horizon.years" in err[0] and "credit.tail_years" in err[0], err


def test_a_recovery_above_one_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nnaef:\n  recovery_rate: 1.5\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "naef.recovery_rate" in err[0], err


def test_naef_credit_prints_the_report_and_the_fair_coupon(
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = Path(__file__).resolve().parents[1] / "scenarios" / "naef-2005.yaml"
    assert main(["credit", str(base), "--paths", "500", "--coupon-paths", "200"]) == 0
    out = capsys.readouterr().out
    for words in ("Probability of default", "Expected loss", "Implied rating", "Fair coupon"):
        assert words in out, out


def test_one_tranche_is_the_whole_issue() -> None:
    """With one tranche its figures are the issue's, on the same paths."""
    sc = simulator.load_scenario(
        Path(__file__).resolve().parents[1] / "scenarios" / "low-price.yaml"
    ).with_overrides({"naef.issuance_usd_bn": [40.0], "waterfall.backstop_usd_bn_per_year": 0.5})
    res = simulator.simulate(sc, paths=3000, seed=5, keep_series=True)
    whole = credit_report(res)
    by = tranche_credit(res)
    assert len(by) == 1 and by["paths"].iloc[0] == 3000
    assert whole.probability_of_default > 0.01  # the case has defaults
    assert by["probability_of_default"].iloc[0] == pytest.approx(whole.probability_of_default)
    assert by["expected_loss"].iloc[0] == pytest.approx(whole.expected_loss, rel=1e-9, abs=1e-12)


def test_two_tranches_share_each_payment_interest_first_by_hand() -> None:
    """Two tranches of 10 and 5 (issued in 2030 and 2031), oil collapsing in 2034: each year's
    payment goes first to the interest each is owed (its own, and on its arrears), pro rata,
    then to principal and arrears, pro rata; each loses a year after its own final maturity."""
    deck = [60.0] * 4 + [6.0] * (YEARS - 4)
    sc = case(deck, **{"naef.issuance_usd_bn": [10.0, 5.0]})
    res = simulator.simulate(sc, paths=1, seed=1, keep_series=True)
    paid = res.series("debt_service_paid_usd_bn").to_numpy()[:, 0]
    faces = [10.0, 5.0]
    sched_i = np.zeros((2, YEARS))
    sched_p = np.zeros((2, YEARS))
    for j, face in enumerate(faces):
        annuity = face * COUPON / (1.0 - (1.0 + COUPON) ** -TENOR)
        balance = face
        for t in range(j + 1, j + TENOR + 1):
            sched_i[j, t] = COUPON * balance
            sched_p[j, t] = annuity - COUPON * balance
            balance -= sched_p[j, t]
    arrears = [0.0, 0.0]
    got = np.zeros((2, YEARS))
    left = np.zeros((2, YEARS))
    for t in range(YEARS):
        owed_i = [sched_i[j, t] + arrears[j] * COUPON for j in range(2)]
        owed_p = [sched_p[j, t] + arrears[j] for j in range(2)]
        to_i = min(paid[t], sum(owed_i))
        to_p = paid[t] - to_i
        for j in range(2):
            share_i = owed_i[j] / sum(owed_i) if sum(owed_i) > 0 else 0.0
            share_p = owed_p[j] / sum(owed_p) if sum(owed_p) > 0 else 0.0
            got[j, t] = share_i * to_i + share_p * to_p
            arrears[j] = owed_i[j] + owed_p[j] - got[j, t]
            left[j, t] = arrears[j]
    by = tranche_credit(res)
    v = (1.0 + COUPON) ** -np.arange(YEARS)
    for j in range(2):
        end = j + TENOR + 1
        scheduled = ((sched_i[j] + sched_p[j])[: end + 1] * v[: end + 1]).sum()
        value = (got[j, : end + 1] * v[: end + 1]).sum() + 0.4 * left[j, end] * v[end]
        assert left[j, end] > 0.1, "each tranche must be left something"
        assert by["expected_loss"].iloc[j] == pytest.approx(1.0 - value / scheduled, rel=1e-9)
        assert by["probability_of_default"].iloc[j] == 1.0
    assert by["final_maturity"].tolist() == [START + TENOR, START + 1 + TENOR]
