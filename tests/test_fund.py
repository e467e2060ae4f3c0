"""Mexican Development Fund rule, capital stock and GDP effect (simulator.model.fund).

References: the yearly rule of the module docstring written here as a plain Python loop over
years and paths, and a few values worked out by hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model.fund import run_fund
from simulator.scenario import Mdf

#: Inflows [USD bn], one list per path: a lump, a steady stream, a late lump.
INFLOWS = [[10.0, 0.0, 0.0, 0.0], [2.0, 2.0, 2.0, 2.0], [0.0, 8.0, 0.0, 1.0]]


def _hand_fund(
    inflows: list[list[float]],
    *,
    fund_return: float,
    spend_rate: float,
    cap: float,
    efficiency: float,
    depreciation: float,
) -> dict[str, list[list[float]]]:
    """The fund rule by plain loops; lists indexed [path][year]."""
    out: dict[str, list[list[float]]] = {"balance": [], "before": [], "invest": [], "capital": []}
    for flows in inflows:
        bal, k = 0.0, 0.0
        rows: dict[str, list[float]] = {key: [] for key in out}
        for inflow in flows:
            bal = bal * (1.0 + fund_return) + inflow
            rows["before"].append(bal)
            inv = min(spend_rate * bal, cap)
            bal -= inv
            k = k * (1.0 - depreciation) + efficiency * inv
            rows["balance"].append(bal)
            rows["invest"].append(inv)
            rows["capital"].append(k)
        for key in out:
            out[key].append(rows[key])
    return out


def _run(inflows: list[list[float]], mdf: Mdf) -> tuple[np.ndarray, ...]:
    flows = run_fund(np.array(inflows).T, mdf)
    return (
        flows.mdf_balance_usd_bn,
        flows.infrastructure_investment_usd_bn,
        flows.infrastructure_capital_usd_bn,
        flows.gdp_uplift_usd_bn,
        flows.gdp_usd_bn,
    )


def test_fund_rule_with_a_cap_that_binds_in_some_years(small_fund: Mdf) -> None:
    """Balance, investment and capital of three paths over four years against a plain loop;
    the cap of 3 binds exactly where 0.5 x balance exceeds it, and the rest is carried."""
    balance, invest, capital, _, _ = _run(INFLOWS, small_fund)
    ref = _hand_fund(
        INFLOWS, fund_return=0.1, spend_rate=0.5, cap=3.0, efficiency=0.8, depreciation=0.1
    )
    assert balance.shape == invest.shape == capital.shape == (4, 3)
    np.testing.assert_allclose(balance, np.array(ref["balance"]).T, rtol=1e-14)
    np.testing.assert_allclose(invest, np.array(ref["invest"]).T, rtol=1e-14)
    np.testing.assert_allclose(capital, np.array(ref["capital"]).T, rtol=1e-14)

    binds = [[0.5 * b > 3.0 for b in path] for path in ref["before"]]
    # Path 0: 10 -> 5 > 3 and 7.7 -> 3.85 > 3 bind; 5.17 and 2.8435 do not. Path 1 never binds.
    # Path 2: 8 -> 4 > 3 binds in year 1 only.
    assert binds == [
        [True, True, False, False],
        [False, False, False, False],
        [False, True, False, False],
    ]
    for n, path in enumerate(binds):
        for t, bound in enumerate(path):
            if bound:
                assert invest[t, n] == 3.0
                assert balance[t, n] == pytest.approx(ref["before"][n][t] - 3.0, rel=1e-14)
            else:
                assert invest[t, n] < 3.0
                assert invest[t, n] == pytest.approx(0.5 * ref["before"][n][t], rel=1e-14)

    # Path 0 by hand: 10 - 3 = 7; 7 x 1.1 = 7.7 - 3 = 4.7; 4.7 x 1.1 = 5.17, half invested;
    # 2.585 x 1.1 = 2.8435, half invested.
    np.testing.assert_allclose(balance[:, 0], [7.0, 4.7, 2.585, 1.42175], rtol=1e-14)
    np.testing.assert_allclose(invest[:, 0], [3.0, 3.0, 2.585, 1.42175], rtol=1e-14)
    # K = 0.9 K_prev + 0.8 invest: 2.4, 4.56, 6.172, 6.6922.
    np.testing.assert_allclose(capital[:, 0], [2.4, 4.56, 6.172, 6.6922], rtol=1e-14)
    # Path 2: nothing in year 0; 8 -> invest 3, keep 5; 5.5 -> 2.75; 3.025 + 1 -> 2.0125.
    np.testing.assert_allclose(balance[:, 2], [0.0, 5.0, 2.75, 2.0125], rtol=1e-14)
    np.testing.assert_allclose(invest[:, 2], [0.0, 3.0, 2.75, 2.0125], rtol=1e-14)


def test_gdp_and_uplift_of_the_capped_case(small_fund: Mdf) -> None:
    """GDP = 100 x 1.05^t and uplift = GDP ((1 + K / (0.5 GDP))^0.2 - 1) from the hand loop's K."""
    _, _, _, uplift, gdp = _run(INFLOWS, small_fund)
    ref = _hand_fund(
        INFLOWS, fund_return=0.1, spend_rate=0.5, cap=3.0, efficiency=0.8, depreciation=0.1
    )
    gdp_ref = [100.0 * 1.05**t for t in range(4)]
    assert gdp.shape in ((4, 1), (4, 3))
    np.testing.assert_allclose(np.broadcast_to(gdp, (4, 3))[:, 0], gdp_ref, rtol=1e-15)
    expected = [
        [g * ((1.0 + k / (0.5 * g)) ** 0.2 - 1.0) for g, k in zip(gdp_ref, path, strict=True)]
        for path in ref["capital"]
    ]
    np.testing.assert_allclose(uplift, np.array(expected).T, rtol=1e-12, atol=0.0)


def test_gdp_uplift_formula_by_hand() -> None:
    """One lump of 10 all invested at efficiency 1: K = 10 against Kb = 0.5 GDP, so the uplift
    is 100 (1.2^0.2 - 1) in year 0 and 105 ((1 + 10/52.5)^0.2 - 1) in year 1."""
    mdf = Mdf(
        fund_return=0.0,
        spend_rate=1.0,
        max_investment_usd_bn_per_year=1000.0,
        efficiency=1.0,
        depreciation_rate=0.0,
        output_elasticity=0.2,
        gdp_base_usd_bn=100.0,
        gdp_growth=0.05,
        public_capital_to_gdp=0.5,
    )
    balance, invest, capital, uplift, gdp = _run([[10.0, 0.0]], mdf)
    np.testing.assert_array_equal(invest[:, 0], [10.0, 0.0])
    np.testing.assert_array_equal(balance[:, 0], [0.0, 0.0])
    np.testing.assert_array_equal(capital[:, 0], [10.0, 10.0])
    np.testing.assert_allclose(gdp[:, 0], [100.0, 105.0], rtol=1e-15)
    year0 = 100.0 * (1.2**0.2 - 1.0)
    year1 = 105.0 * ((1.0 + 10.0 / 52.5) ** 0.2 - 1.0)
    assert year0 == pytest.approx(3.7137289, rel=1e-7)
    np.testing.assert_allclose(uplift[:, 0], [year0, year1], rtol=1e-13)


def test_zero_inflow_gives_zero_everywhere() -> None:
    """No inflow: balance, investment, capital and uplift are exactly 0; GDP is the baseline."""
    mdf = Mdf()
    flows = run_fund(np.zeros((5, 3)), mdf)
    for name in (
        "mdf_balance_usd_bn",
        "infrastructure_investment_usd_bn",
        "infrastructure_capital_usd_bn",
        "gdp_uplift_usd_bn",
    ):
        np.testing.assert_array_equal(getattr(flows, name), np.zeros((5, 3)), err_msg=name)
    gdp = np.broadcast_to(flows.gdp_usd_bn, (5, 3))
    expected = [966.0 * 1.04**t for t in range(5)]
    for n in range(3):
        np.testing.assert_allclose(gdp[:, n], expected, rtol=1e-14)


def test_zero_cap_accumulates_the_fund(small_fund: Mdf) -> None:
    """A cap of 0 invests nothing: the balance compounds, B_t = B_{t-1} x 1.1 + inflow."""
    mdf = small_fund.model_copy(update={"max_investment_usd_bn_per_year": 0.0})
    balance, invest, capital, uplift, _ = _run([[1.0, 1.0, 1.0]], mdf)
    np.testing.assert_array_equal(invest, np.zeros((3, 1)))
    np.testing.assert_array_equal(capital, np.zeros((3, 1)))
    np.testing.assert_array_equal(uplift, np.zeros((3, 1)))
    np.testing.assert_allclose(balance[:, 0], [1.0, 2.1, 3.31], rtol=1e-15)


@pytest.mark.parametrize(
    ("fund_return", "spend_rate", "cap"),
    [(0.03, 0.8, 15.0), (-0.5, 1.0, 10_000.0), (0.5, 1.0, 0.7), (0.0, 0.3, 2.0)],
)
def test_investment_never_exceeds_the_balance(
    small_fund: Mdf, fund_return: float, spend_rate: float, cap: float
) -> None:
    """On random non-negative inflows, investment <= the balance before investing (a plain
    loop's value) and the balance left is never negative."""
    rng = np.random.default_rng(7)
    inflows = rng.exponential(3.0, size=(12, 50)) * (rng.uniform(size=(12, 50)) < 0.6)
    mdf = small_fund.model_copy(
        update={
            "fund_return": fund_return,
            "spend_rate": spend_rate,
            "max_investment_usd_bn_per_year": cap,
        }
    )
    flows = run_fund(inflows, mdf)
    invest = flows.infrastructure_investment_usd_bn
    balance = flows.mdf_balance_usd_bn
    ref = _hand_fund(
        inflows.T.tolist(),
        fund_return=fund_return,
        spend_rate=spend_rate,
        cap=cap,
        efficiency=0.8,
        depreciation=0.1,
    )
    before = np.array(ref["before"]).T
    assert np.all(invest <= before)
    assert np.all(invest <= cap)
    assert np.all(balance >= 0.0)
    np.testing.assert_allclose(invest, np.array(ref["invest"]).T, rtol=1e-12, atol=1e-14)
    if spend_rate == 1.0 and cap == 10_000.0:
        # Everything is invested every year: nothing is left.
        np.testing.assert_array_equal(balance, 0.0)
        np.testing.assert_array_equal(invest, inflows)
