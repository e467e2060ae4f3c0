"""Development Fund by sector (simulator.model.sectors).

References: the rules of the module docstring written again as plain Python loops over paths,
years and loan vintages (each vintage's schedule in closed form, not a ring buffer), closed
forms of small cases worked out in the comments, and, for the one-sector case, the first
stage's single-stock model (simulator.model.fund).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest
import yaml

from simulator.model.fund import run_fund
from simulator.model.sectors import (
    CapitalSector,
    LendingSector,
    Param,
    SchoolingSector,
    Sector,
    SectorFlows,
    run_sectors,
)
from simulator.scenario import Mdf
from simulator.scenario.sets import PerPath

#: Inflows [USD bn], one list per path: a lump, a steady stream, a late lump.
INFLOWS = [
    [10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
    [0.0, 8.0, 0.0, 1.0, 0.0, 0.0, 3.0, 0.0],
]
YEARS = len(INFLOWS[0])
#: Baseline GDP [USD bn]: 100 growing 5% a year.
GDP = [100.0 * 1.05**t for t in range(YEARS)]
#: A fund whose cap (3 USD bn/year) binds in some years only.
FUND = {"fund_return": 0.1, "spend_rate": 0.5, "max_investment_usd_bn_per_year": 3.0}


def _capital(
    name: str = "transport", share: Param = 1.0, gestation_years: int = 0, **kw: Param
) -> CapitalSector:
    values: dict[str, Param] = {
        "efficiency": 0.8,
        "depreciation_rate": 0.1,
        "output_elasticity": 0.2,
        "baseline_capital_to_gdp": 0.5,
        **kw,
    }
    return CapitalSector(name=name, share=share, gestation_years=gestation_years, **values)


def _lending(
    name: str = "sme",
    share: Param = 1.0,
    gestation_years: int = 0,
    tenor_years: int = 4,
    **kw: Param,
) -> LendingSector:
    values: dict[str, Param] = {
        "efficiency": 0.9,
        "additionality": 0.5,
        "depreciation_rate": 0.097,
        "output_elasticity": 0.4,
        "baseline_capital_to_gdp": 2.0,
        "loan_rate": 0.12,
        "default_rate": 0.0,
        **kw,
    }
    return LendingSector(
        name=name,
        share=share,
        gestation_years=gestation_years,
        tenor_years=tenor_years,
        **values,
    )


def _schooling(
    name: str = "education", share: Param = 1.0, gestation_years: int = 0, **kw: Param
) -> SchoolingSector:
    values: dict[str, Param] = {
        "efficiency": 0.5,
        "depreciation_rate": 0.025,
        "returns_to_schooling": 0.09,
        "labour_share": 0.6,
        "school_year_cost_to_gdp": 0.5,
        **kw,
    }
    return SchoolingSector(name=name, share=share, gestation_years=gestation_years, **values)


def _hand(
    inflows: list[float],
    gdp: list[float],
    sectors: list[Sector],
    *,
    fund_return: float,
    spend_rate: float,
    max_investment_usd_bn_per_year: float,
) -> dict[str, list[float]]:
    """One path by plain loops. A loan vintage of D lent in year v, at age a = t - v in
    1..T, had the balance D (1-d)^(a-1) (1 - (a-1)/T) at the start of year t: d of it is written
    off, interest is r (1-d) of it, principal is D (1-d)^a / T. Keys ending in ``/k`` hold
    sector k's values."""
    out: dict[str, list[float]] = {
        key: []
        for key in (
            "balance",
            "invest",
            "principal",
            "interest",
            "written_off",
            "outstanding",
            "uplift",
            "schooling",
        )
    }
    for k in range(len(sectors)):
        for key in ("spent", "capital", "years", "log_factor"):
            out[f"{key}/{k}"] = []
    bal = 0.0
    for t, inflow in enumerate(inflows):
        principal = interest = written = 0.0
        for k, s in enumerate(sectors):
            if isinstance(s, LendingSector):
                T, d, r = s.tenor_years, float(s.default_rate), float(s.loan_rate)
                for v in range(t):
                    a = t - v
                    if 1 <= a <= T:
                        lent = out[f"spent/{k}"][v]
                        opening = lent * (1 - d) ** (a - 1) * (1 - (a - 1) / T)
                        written += d * opening
                        interest += r * (1 - d) * opening
                        principal += lent * (1 - d) ** a / T
        bal = bal * (1 + fund_return) + inflow + principal + interest
        inv = min(spend_rate * bal, max_investment_usd_bn_per_year)
        bal -= inv
        owed = 0.0
        log_total = 0.0
        school_total = 0.0
        for k, s in enumerate(sectors):
            spent = out[f"spent/{k}"]
            spent.append(float(s.share) * inv)
            lag = t - s.gestation_years
            entering = spent[lag] if lag >= 0 else 0.0
            per_usd = float(s.efficiency)
            if isinstance(s, LendingSector):
                per_usd *= float(s.additionality)
            prev = out[f"capital/{k}"][-1] if t else 0.0
            capital = prev * (1 - float(s.depreciation_rate)) + per_usd * entering
            out[f"capital/{k}"].append(capital)
            if isinstance(s, SchoolingSector):
                bought = 0.0
                if lag >= 0:
                    bought = float(s.efficiency) * entering / (s.school_year_cost_to_gdp * gdp[lag])
                prev_years = out[f"years/{k}"][-1] if t else 0.0
                years = prev_years * (1 - float(s.depreciation_rate)) + bought
                log_factor = float(s.labour_share) * float(s.returns_to_schooling) * years
                school_total += years
            else:
                years = 0.0
                base = float(s.baseline_capital_to_gdp) * gdp[t]
                log_factor = math.log((1 + capital / base) ** float(s.output_elasticity))
            out[f"years/{k}"].append(years)
            out[f"log_factor/{k}"].append(log_factor)
            log_total += log_factor
            if isinstance(s, LendingSector):
                T, d = s.tenor_years, float(s.default_rate)
                for v in range(t + 1):
                    a = t - v
                    if a < T:
                        owed += spent[v] * (1 - d) ** a * (1 - a / T)
        out["balance"].append(bal)
        out["invest"].append(inv)
        out["principal"].append(principal)
        out["interest"].append(interest)
        out["written_off"].append(written)
        out["outstanding"].append(owed)
        out["schooling"].append(school_total)
        out["uplift"].append(gdp[t] * (math.exp(log_total) - 1))
    return out


def _run(
    sectors: list[Sector],
    inflows: list[list[float]] = INFLOWS,
    gdp: list[float] = GDP,
    **fund: float,
) -> SectorFlows:
    params = {**FUND, **fund}
    return run_sectors(np.array(inflows).T, sectors, np.array(gdp), **params)


def _check_against_hand(
    flows: SectorFlows,
    sectors: list[Sector],
    inflows: list[list[float]] = INFLOWS,
    gdp: list[float] = GDP,
    rtol: float = 1e-12,
    **fund: float,
) -> list[dict[str, list[float]]]:
    """Every output of every path against :func:`_hand`; returns the hand results."""
    params = {**FUND, **fund}
    refs = [_hand(path, gdp, sectors, **params) for path in inflows]

    def col(key: str) -> np.ndarray:
        return np.array([ref[key] for ref in refs]).T

    pairs = {
        "balance": flows.mdf_balance_usd_bn,
        "invest": flows.investment_usd_bn,
        "principal": flows.loan_principal_repaid_usd_bn,
        "interest": flows.loan_interest_usd_bn,
        "written_off": flows.loans_written_off_usd_bn,
        "outstanding": flows.loans_outstanding_usd_bn,
        "schooling": flows.schooling_years_added,
        "uplift": flows.gdp_uplift_usd_bn,
    }
    for k in range(len(sectors)):
        pairs[f"spent/{k}"] = flows.sector_investment_usd_bn[k]
        pairs[f"capital/{k}"] = flows.sector_capital_usd_bn[k]
    for key, got in pairs.items():
        np.testing.assert_allclose(got, col(key), rtol=rtol, atol=1e-13, err_msg=key)
    return refs


# --- The first stage's model is the one-sector case -------------------------------------------


@pytest.mark.parametrize("per_path", [False, True])
def test_one_capital_sector_is_the_single_stock_model(per_path: bool, small_fund: Mdf) -> None:
    """Share 1, gestation 0, no lending: balance, investment, capital and uplift are those of
    run_fund for the same inputs, with one value or one value per path."""
    mdf = small_fund
    section: Mdf | PerPath[Mdf] = mdf
    if per_path:
        section = PerPath(
            mdf,
            {
                "efficiency": np.array([0.6, 0.8, 1.0]),
                "depreciation_rate": np.array([0.0, 0.04, 0.2]),
                "output_elasticity": np.array([0.083, 0.122, 0.24]),
                "public_capital_to_gdp": np.array([0.4, 0.6, 1.0]),
                "spend_rate": np.array([0.3, 0.8, 1.0]),
                "fund_return": np.array([0.0, 0.03, 0.1]),
            },
        )
    inflows = np.array(INFLOWS).T
    single = run_fund(inflows, section)
    sector = CapitalSector(
        name="infrastructure",
        share=1.0,
        efficiency=section.efficiency,
        gestation_years=0,
        depreciation_rate=section.depreciation_rate,
        output_elasticity=section.output_elasticity,
        baseline_capital_to_gdp=section.public_capital_to_gdp,
    )
    flows = run_sectors(
        inflows,
        [sector],
        single.gdp_usd_bn,
        fund_return=section.fund_return,
        spend_rate=section.spend_rate,
        max_investment_usd_bn_per_year=section.max_investment_usd_bn_per_year,
    )
    pairs = [
        (flows.mdf_balance_usd_bn, single.mdf_balance_usd_bn),
        (flows.investment_usd_bn, single.infrastructure_investment_usd_bn),
        (flows.sector_investment_usd_bn[0], single.infrastructure_investment_usd_bn),
        (flows.sector_capital_usd_bn[0], single.infrastructure_capital_usd_bn),
        (flows.gdp_uplift_usd_bn, single.gdp_uplift_usd_bn),
        (flows.sector_gdp_uplift_usd_bn[0], single.gdp_uplift_usd_bn),
    ]
    for got, want in pairs:
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=0.0)
    assert np.all(single.gdp_uplift_usd_bn[1:] > 0)  # the comparison is not of zeros
    for name in (
        "loans_outstanding_usd_bn",
        "loan_principal_repaid_usd_bn",
        "loan_interest_usd_bn",
        "loans_written_off_usd_bn",
        "schooling_years_added",
    ):
        np.testing.assert_array_equal(getattr(flows, name), 0.0, err_msg=name)


def test_one_capital_sector_against_a_hand_loop() -> None:
    """The same case against the plain loop; path 0 by hand: 10 -> invest 3 (cap), K = 2.4;
    7.7 -> 3, K = 0.9 x 2.4 + 2.4 = 4.56; uplift_1 = 105 ((1 + 4.56 / 52.5)^0.2 - 1)."""
    sectors: list[Sector] = [_capital()]
    flows = _run(sectors)
    _check_against_hand(flows, sectors)
    assert flows.sector_capital_usd_bn[0, :2, 0] == pytest.approx([2.4, 4.56], rel=1e-14)
    assert flows.gdp_uplift_usd_bn[1, 0] == pytest.approx(
        105.0 * ((1 + 4.56 / 52.5) ** 0.2 - 1), rel=1e-13
    )


# --- Gestation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("g", [1, 3])
def test_gestation_delays_capital_and_gdp_effect_by_g_years(g: int) -> None:
    """With GDP flat, capital and uplift of gestation g are those of gestation 0 moved g years
    later, zero before; the fund itself does not change. A lump spent in year 0 enters whole
    (efficiency x spending, not depreciated) in year g."""
    flat = [100.0] * YEARS
    now = _run([_capital(depreciation_rate=0.1)], gdp=flat)
    later = _run([_capital(depreciation_rate=0.1, gestation_years=g)], gdp=flat)
    np.testing.assert_array_equal(later.investment_usd_bn, now.investment_usd_bn)
    np.testing.assert_array_equal(later.mdf_balance_usd_bn, now.mdf_balance_usd_bn)
    np.testing.assert_array_equal(later.sector_capital_usd_bn[0, :g], 0.0)
    np.testing.assert_array_equal(later.gdp_uplift_usd_bn[:g], 0.0)
    np.testing.assert_allclose(
        later.sector_capital_usd_bn[0, g:], now.sector_capital_usd_bn[0, :-g], rtol=1e-14
    )
    np.testing.assert_allclose(later.gdp_uplift_usd_bn[g:], now.gdp_uplift_usd_bn[:-g], rtol=1e-13)
    # Path 0 invests 3 (the cap) in years 0 and 1: 0.8 x 3 = 2.4 enters whole in year g, and
    # 0.9 x 2.4 + 2.4 = 4.56 is in use in year g + 1.
    assert later.sector_capital_usd_bn[0, g : g + 2, 0] == pytest.approx([2.4, 4.56], rel=1e-14)
    _check_against_hand(later, [_capital(depreciation_rate=0.1, gestation_years=g)], gdp=flat)


def test_gestation_with_growing_gdp_against_a_hand_loop() -> None:
    """Capital entering g years after it was spent is set against the GDP of the year it is in
    use, not of the year spent."""
    sectors: list[Sector] = [_capital(gestation_years=2)]
    _check_against_hand(_run(sectors), sectors)


# --- The revolving loan fund --------------------------------------------------------------------


@pytest.mark.parametrize("d", [0.0, 0.06])
def test_one_year_loans_revolve_at_the_loan_rate(d: float) -> None:
    """Tenor 1, everything lent each year, no other inflow after year 0: a loan of D returns
    (1 - d)(1 + r) D the next year and d D is written off, so the fund lends
    10 ((1 - d)(1 + r))^t in year t and holds nothing."""
    r = 0.1
    flows = _run(
        [_lending(loan_rate=r, default_rate=d, tenor_years=1)],
        inflows=[[10.0] + [0.0] * 5],
        gdp=[100.0] * 6,
        fund_return=0.0,
        spend_rate=1.0,
        max_investment_usd_bn_per_year=1e9,
    )
    growth = (1 - d) * (1 + r)
    lent = [10.0 * growth**t for t in range(6)]
    np.testing.assert_allclose(flows.investment_usd_bn[:, 0], lent, rtol=1e-14)
    np.testing.assert_allclose(flows.loans_outstanding_usd_bn[:, 0], lent, rtol=1e-14)
    np.testing.assert_allclose(flows.mdf_balance_usd_bn[:, 0], 0.0, atol=1e-14)
    before = [0.0, *lent[:-1]]
    np.testing.assert_allclose(
        flows.loan_principal_repaid_usd_bn[:, 0], [(1 - d) * x for x in before], rtol=1e-14
    )
    np.testing.assert_allclose(
        flows.loan_interest_usd_bn[:, 0], [r * (1 - d) * x for x in before], rtol=1e-14
    )
    np.testing.assert_allclose(
        flows.loans_written_off_usd_bn[:, 0], [d * x for x in before], rtol=1e-14
    )


@pytest.mark.parametrize("d", [0.0, 0.055])
def test_revolving_fund_repays_on_schedule(d: float) -> None:
    """Tenor 4 next to a capital sector, against the plain loop over vintages. Year 1 by hand:
    only year 0's loans D0 are repaying: principal (1-d) D0 / 4, interest 0.12 (1-d) D0,
    written off d D0; nothing is received in year 0."""
    sectors: list[Sector] = [
        _capital(share=0.7),
        _lending(share=0.3, loan_rate=0.12, default_rate=d, tenor_years=4),
    ]
    inflows = [[*path, 0.0, 0.0, 0.0, 0.0] for path in INFLOWS]
    gdp = [100.0 * 1.05**t for t in range(len(inflows[0]))]
    flows = _run(sectors, inflows=inflows, gdp=gdp, fund_return=0.03, spend_rate=0.6)
    _check_against_hand(flows, sectors, inflows=inflows, gdp=gdp, fund_return=0.03, spend_rate=0.6)
    lent0 = flows.sector_investment_usd_bn[1, 0]
    np.testing.assert_allclose(
        flows.loan_principal_repaid_usd_bn[1], (1 - d) * lent0 / 4, rtol=1e-14
    )
    np.testing.assert_allclose(flows.loan_interest_usd_bn[1], 0.12 * (1 - d) * lent0, rtol=1e-14)
    np.testing.assert_allclose(flows.loans_written_off_usd_bn[1], d * lent0, rtol=1e-14, atol=0)
    for name in ("loan_principal_repaid_usd_bn", "loan_interest_usd_bn"):
        np.testing.assert_array_equal(getattr(flows, name)[0], 0.0, err_msg=name)
    # Year 2: year 0's loans at age 2 and year 1's at age 1.
    lent1 = flows.sector_investment_usd_bn[1, 1]
    np.testing.assert_allclose(
        flows.loan_principal_repaid_usd_bn[2],
        (1 - d) ** 2 * lent0 / 4 + (1 - d) * lent1 / 4,
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        flows.loan_interest_usd_bn[2],
        0.12 * (1 - d) * ((1 - d) * lent0 * 3 / 4 + lent1),
        rtol=1e-14,
    )
    # The receipts are in the balance: year 1's balance before investing, by hand, for path 0.
    b0 = flows.mdf_balance_usd_bn[0, 0]
    receipts = (1 - d) * lent0[0] * (1 / 4 + 0.12)
    before = b0 * 1.03 + inflows[0][1] + receipts
    assert flows.investment_usd_bn[1, 0] == pytest.approx(min(0.6 * before, 3.0), rel=1e-14)


def test_written_off_plus_repaid_is_what_was_lent() -> None:
    """Every year, on every path: loans lent so far = principal repaid so far + written off so
    far + performing loans outstanding. Nothing is counted twice, nothing lost; and the
    write-offs are d x last year's performing loans."""
    rng = np.random.default_rng(11)
    inflows = rng.exponential(3.0, size=(25, 40)) * (rng.uniform(size=(25, 40)) < 0.5)
    d = 0.064
    sectors: list[Sector] = [
        _capital(share=0.5),
        _lending(share=0.5, default_rate=d, loan_rate=0.177, tenor_years=5),
    ]
    flows = run_sectors(
        inflows,
        sectors,
        np.full(25, 966.0),
        fund_return=0.03,
        spend_rate=0.8,
        max_investment_usd_bn_per_year=6.0,
    )
    lent = np.cumsum(flows.sector_investment_usd_bn[1], axis=0)
    accounted = np.cumsum(flows.loan_principal_repaid_usd_bn, axis=0)
    accounted += np.cumsum(flows.loans_written_off_usd_bn, axis=0)
    accounted += flows.loans_outstanding_usd_bn
    np.testing.assert_allclose(accounted, lent, rtol=1e-12, atol=1e-12)
    assert flows.loans_written_off_usd_bn.sum() > 1.0  # defaults did happen
    np.testing.assert_allclose(
        flows.loans_written_off_usd_bn[1:], d * flows.loans_outstanding_usd_bn[:-1], rtol=1e-13
    )
    assert np.all(flows.loans_outstanding_usd_bn >= 0.0)
    assert np.all(flows.mdf_balance_usd_bn >= 0.0)


def test_loan_receipts_are_not_gdp() -> None:
    """A lending sector whose firms' capital has no output elasticity adds nothing to GDP,
    though it earns interest; with an elasticity, the uplift is that of the firms' capital
    (efficiency x additionality x loans) alone."""
    idle = _run([_lending(output_elasticity=0.0, default_rate=0.05)])
    assert idle.loan_interest_usd_bn.sum() > 1.0
    np.testing.assert_array_equal(idle.gdp_uplift_usd_bn, 0.0)
    sectors: list[Sector] = [_lending(default_rate=0.05, gestation_years=1)]
    flows = _run(sectors)
    _check_against_hand(flows, sectors)
    # Firms' capital by hand: K = 0.903 K_prev + 0.9 x 0.5 x loans of the year before.
    loans = flows.sector_investment_usd_bn[0, :, 0]
    k = 0.0
    for t in range(YEARS):
        k = k * (1 - 0.097) + (0.45 * loans[t - 1] if t >= 1 else 0.0)
        assert flows.sector_capital_usd_bn[0, t, 0] == pytest.approx(k, rel=1e-13, abs=1e-15)
        assert flows.gdp_uplift_usd_bn[t, 0] == pytest.approx(
            GDP[t] * ((1 + k / (2 * GDP[t])) ** 0.4 - 1), rel=1e-12, abs=1e-15
        )


# --- Several sectors ----------------------------------------------------------------------------


def test_two_sectors_multiply_their_factors() -> None:
    """uplift = GDP ((1 + K1/Kb1)^e1 (1 + K2/Kb2)^e2 - 1), from the capital of the plain loop;
    not the sum of the two stand-alone uplifts. Each sector's contribution is its share of the
    log of the product, and they add up to the uplift."""
    sectors: list[Sector] = [
        _capital("transport", share=0.6, output_elasticity=0.24, baseline_capital_to_gdp=0.3),
        _capital(
            "water",
            share=0.4,
            efficiency=0.7,
            depreciation_rate=0.04,
            output_elasticity=0.122,
            baseline_capital_to_gdp=0.2,
            gestation_years=1,
        ),
    ]
    flows = _run(sectors)
    refs = _check_against_hand(flows, sectors)
    product = np.empty((YEARS, len(INFLOWS)))
    additive = np.empty_like(product)
    for n, ref in enumerate(refs):
        for t in range(YEARS):
            f1 = (1 + ref["capital/0"][t] / (0.3 * GDP[t])) ** 0.24
            f2 = (1 + ref["capital/1"][t] / (0.2 * GDP[t])) ** 0.122
            product[t, n] = GDP[t] * (f1 * f2 - 1)
            additive[t, n] = GDP[t] * (f1 - 1) + GDP[t] * (f2 - 1)
            share1 = math.log(f1) / (math.log(f1) + math.log(f2)) if f1 * f2 > 1 else 0.0
            assert flows.sector_gdp_uplift_usd_bn[0, t, n] == pytest.approx(
                share1 * product[t, n], rel=1e-12, abs=1e-15
            )
    np.testing.assert_allclose(flows.gdp_uplift_usd_bn, product, rtol=1e-13)
    # The test tells the two forms apart: they differ by far more than its tolerance.
    assert np.max(np.abs(product - additive)) > 1e-6
    np.testing.assert_allclose(
        flows.sector_gdp_uplift_usd_bn.sum(axis=0), flows.gdp_uplift_usd_bn, rtol=1e-13
    )


def test_schooling_buys_years_of_schooling() -> None:
    """All to education, spending 10 once with GDP 100: efficiency 0.5 buys 5 / (0.5 x 100)
    = 0.1 years of schooling for the labour force; it leaves at 2.5% a year; the uplift is
    GDP (exp(0.6 x 0.09 x S) - 1)."""
    flows = _run(
        [_schooling()],
        inflows=[[10.0, 0.0, 0.0]],
        gdp=[100.0, 110.0, 121.0],
        fund_return=0.0,
        spend_rate=1.0,
        max_investment_usd_bn_per_year=1e9,
    )
    school = [0.1, 0.1 * 0.975, 0.1 * 0.975**2]
    np.testing.assert_allclose(flows.schooling_years_added[:, 0], school, rtol=1e-14)
    np.testing.assert_allclose(
        flows.gdp_uplift_usd_bn[:, 0],
        [g * (math.exp(0.054 * s) - 1) for g, s in zip([100.0, 110.0, 121.0], school, strict=True)],
        rtol=1e-13,
    )
    np.testing.assert_allclose(flows.sector_capital_usd_bn[0, :, 0], [5.0, 4.875, 4.753125])


def test_four_sectors_against_a_hand_loop() -> None:
    """Transport, water and energy, education and SME credit together, with lags and defaults:
    every output against the plain loop. School years are priced at the GDP of the year spent."""
    sectors: list[Sector] = [
        _capital("transport", share=0.35, gestation_years=3, output_elasticity=0.122),
        _capital("water", share=0.25, gestation_years=2, depreciation_rate=0.04),
        _schooling("education", share=0.25, gestation_years=2, school_year_cost_to_gdp=0.064),
        _lending("sme", share=0.15, default_rate=0.0534, loan_rate=0.177, tenor_years=3),
    ]
    inflows = [[*path, *path] for path in INFLOWS]
    gdp = [966.0 * 1.04**t for t in range(2 * YEARS)]
    flows = _run(sectors, inflows=inflows, gdp=gdp, max_investment_usd_bn_per_year=4.0)
    _check_against_hand(
        flows, sectors, inflows=inflows, gdp=gdp, max_investment_usd_bn_per_year=4.0
    )
    assert flows.sectors == ("transport", "water", "education", "sme")
    np.testing.assert_allclose(
        flows.sector_investment_usd_bn.sum(axis=0), flows.investment_usd_bn, rtol=1e-14
    )


def test_parameters_per_path_match_one_path_at_a_time() -> None:
    """Shares, rates and GDP that differ between paths give, on each path, what a run of that
    path alone with its own values gives."""
    paths = len(INFLOWS)
    share = np.array([0.2, 0.5, 0.8])
    gdp = np.array([[g * (1 + 0.1 * n) for n in range(paths)] for g in GDP])

    def sectors_of(pick: slice | int) -> list[Sector]:
        def at(values: np.ndarray) -> np.ndarray | float:
            return values[pick] if isinstance(pick, slice) else float(values[pick])

        return [
            _capital("transport", share=at(1.0 - share), efficiency=at(np.array([0.6, 0.7, 0.9]))),
            _lending(
                "sme",
                share=at(share),
                default_rate=at(np.array([0.0, 0.05, 0.1])),
                loan_rate=at(np.array([0.08, 0.12, 0.18])),
            ),
        ]

    together = run_sectors(
        np.array(INFLOWS).T,
        sectors_of(slice(None)),
        gdp,
        fund_return=np.array([0.0, 0.03, 0.06]),
        spend_rate=0.7,
        max_investment_usd_bn_per_year=np.array([2.0, 3.0, 100.0]),
    )
    for n in range(paths):
        alone = run_sectors(
            np.array(INFLOWS[n]).reshape(-1, 1),
            sectors_of(n),
            gdp[:, n],
            fund_return=[0.0, 0.03, 0.06][n],
            spend_rate=0.7,
            max_investment_usd_bn_per_year=[2.0, 3.0, 100.0][n],
        )
        for name, got in together.as_dict().items():
            want = alone.as_dict()[name]
            np.testing.assert_allclose(got[..., n], want[..., 0], rtol=1e-13, err_msg=name)


# --- Shapes and refused inputs -----------------------------------------------------------------


def test_shapes() -> None:
    sectors: list[Sector] = [_capital(share=0.5), _schooling(share=0.3), _lending(share=0.2)]
    flows = _run(sectors)
    by_sector = {"sector_investment_usd_bn", "sector_capital_usd_bn", "sector_gdp_uplift_usd_bn"}
    for name, arr in flows.as_dict().items():
        if name in by_sector:
            assert arr.shape == (3, YEARS, len(INFLOWS)), name
        elif name == "gdp_usd_bn":
            assert arr.shape == (YEARS, 1)
        else:
            assert arr.shape == (YEARS, len(INFLOWS)), name
    assert "sectors" not in flows.as_dict()


@pytest.mark.parametrize(
    "sectors",
    [
        [],
        [_capital(share=0.6), _capital("water", share=0.3)],
        [_capital(share=0.5), _lending("transport", share=0.5)],
        [_capital(share=np.array([1.0, 1.0, 0.9]))],
    ],
    ids=["none", "shares-below-1", "same-name", "one-path-below-1"],
)
def test_refuses_sectors_that_do_not_add_up(sectors: list[Sector]) -> None:
    with pytest.raises(ValueError, match="sector"):
        _run(sectors)


def test_refuses_lags_and_tenors_that_are_not_whole_years() -> None:
    base = _capital()
    with pytest.raises(ValueError, match="gestation_years"):
        replace(base, gestation_years=-1)
    with pytest.raises(ValueError, match="gestation_years"):
        replace(base, gestation_years=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tenor_years"):
        replace(_lending(), tenor_years=0)


def test_refuses_gdp_of_another_horizon() -> None:
    with pytest.raises(ValueError, match="gdp_usd_bn"):
        _run([_capital()], gdp=GDP[:-1])


def test_shipped_schooling_cost_earns_the_sourced_social_return() -> None:
    """scenarios/mdf-sectors.yaml derives the cost of a school year so that a dollar spent on
    schooling earns 10% real (12.75% nominal at 2.5% inflation): a small one-off spend in the
    model, its GDP uplift year by year, and numpy-financial's IRR of that stream."""
    path = Path(__file__).resolve().parents[1] / "scenarios" / "mdf-sectors.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    school = next(s for s in raw["mdf"]["sectors"] if s["kind"] == "schooling")
    sector = SchoolingSector(
        name="education",
        share=1.0,
        efficiency=school["efficiency"],
        gestation_years=school["gestation_years"],
        depreciation_rate=school["depreciation_rate"],
        returns_to_schooling=school["returns_to_schooling"],
        labour_share=school["labour_share"],
        school_year_cost_to_gdp=school["school_year_cost_to_gdp"],
    )
    years, growth, spend = 400, 0.04, 1e-6
    gdp = 1000.0 * (1.0 + growth) ** np.arange(years)
    inflow = np.zeros((years, 1))
    inflow[0] = spend  # spent at once: spend rate 1, no cap, no return on the balance
    flows = run_sectors(
        inflow,
        [sector],
        gdp,
        fund_return=0.0,
        spend_rate=1.0,
        max_investment_usd_bn_per_year=1e9,
    )
    stream = flows.gdp_uplift_usd_bn[:, 0].copy()
    stream[0] -= spend
    nominal = (1.0 + 0.10) * (1.0 + 0.025) - 1.0
    assert npf.irr(stream) == pytest.approx(nominal, abs=2e-3)
