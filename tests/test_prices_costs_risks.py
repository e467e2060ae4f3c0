"""Real prices, costs that follow oil and risks that move together, against hand computations.

What is checked, and against what:

- the price level of the real basis: nominal prices of zero-volatility paths and of decks
  against ``P (1 + i)^(t+1)`` written here, and a historical prefix against U.S. CPI-U ratios
  read from the data table :data:`simulator.history.US_CPI_U_ANNUAL` and the closed form of the
  zero-shock mean-reverting path;
- the Gaussian copula of (price shock, capex overrun, reservoir): the factors against the
  Cholesky factor of the correlation matrix (``numpy.linalg.cholesky``) applied to the draws,
  the price shock of the spending years summed here from the draws' rows; their sample Pearson
  correlations against the matrix and their Spearman rank correlations
  (``scipy.stats.spearmanr``) against the Gaussian-copula value ``(6 / pi) asin(rho / 2)``;
- refusals of a correlation matrix that is not positive semidefinite (smallest eigenvalue from
  ``numpy.linalg.eigvalsh``) by the scenario, the command line and ``simulate_sets``;
- the cost index ``(P / P_expected)^beta``: production, lifting cost and revenue of every path
  computed here from the path's own price series and the closed-form expected path;
- the export-mix factor: recomputed here from the draws as the AR(1) of the module docs, and
  its mean, log spread and autocorrelation against the values of a stationary lognormal AR(1);
- ``simulate_sets`` against separate ``simulate`` runs, the tornado's ranges against the
  +-25 % / +-10 %-of-span rules written here, and bit-identical results whatever the chunking.

Draws are the engine's (``draw_normals(seed, 0, paths, n_draws)``), with ``n_draws`` counted
here: 2 factor draws, ``years - 1`` price shocks (gbm and mean_reverting; none for a deck), then
one export-mix draw a year.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simulator
from simulator.analysis.sensitivity import tornado
from simulator.cli import main
from simulator.history import US_CPI_U_ANNUAL
from simulator.outputs import SERIES
from simulator.present.report import render_report
from simulator.run.engine import draw_normals, simulate_sets
from simulator.scenario import InputError, Scenario, ScenarioError

YEARS = 12
START = 2030
CAPEX_PER_BPD = 40_000.0
FEE = 0.01
CORR = {
    "risks.price_overrun_correlation": 0.5,
    "risks.price_reservoir_correlation": -0.3,
    "risks.overrun_reservoir_correlation": 0.2,
}
N_SE = 4.0


def short(**over: Any) -> Scenario:
    """A 12-year scenario of three tranches issued 2030-2032 with the literal structure (no
    interest reserve, no reserve funded at close, level repayment), so capex is the face net of
    fees; a mean-reverting price in nominal dollars, no export-mix risk, no correlations.
    ``over`` (dotted keys with ``__`` for ``.``) changes any of it."""
    fields: dict[str, Any] = {
        "horizon.start_year": START,
        "horizon.years": YEARS,
        "oil_price.model": "mean_reverting",
        "oil_price.basis": "nominal",
        "oil_price.initial_usd_per_bbl": 50.0,
        "oil_price.long_run_usd_per_bbl": 60.0,
        "oil_price.mean_reversion_per_year": 0.5,
        "oil_price.volatility": 0.3,
        "naef.issuance_usd_bn": [2.0, 1.0, 1.5],
        "naef.issuance_cost_rate": FEE,
        "naef.amortization": "level",
        "naef.tenor_years": 6,
        "naef.grace_years": 1,
        "naef.capitalized_interest_years": 0,
        "waterfall.dsra_funded_at_close": False,
        "pemex.capex_usd_per_flowing_bpd": CAPEX_PER_BPD,
        "pemex.cost_price_elasticity": 0.0,
        "risks.export_mix_sd": 0.0,
    }
    fields.update({k.replace("__", "."): v for k, v in over.items()})
    return Scenario().with_overrides(fields)


def prices(sc: Scenario, paths: int = 2) -> np.ndarray:
    """Nominal price paths of a run, shape (years, paths)."""
    res = simulator.simulate(sc, paths=paths, seed=3, keep_series=True)
    return res.series("oil_price_usd_per_bbl").to_numpy()


def n_draws(model: str, years: int) -> int:
    """Standard normals a path takes: 2 factors, the price shocks, one mix draw a year."""
    price = years - 1 if model in ("gbm", "mean_reverting") else 0
    return 2 + price + years


def level_by_hand(basis: str, i: float, start: int, fixed: int, years: int) -> list[float]:
    """Price level L[t] of the module docs: (1 + i)^(t+1); over the fixed years CPI ratios
    where the table has them (then the assumed inflation), continuing from L[k-1]."""
    if basis == "nominal":
        return [1.0] * years
    out = [(1.0 + i) ** (t + 1) for t in range(years)]
    base = US_CPI_U_ANNUAL.get(start - 1)
    if fixed and base is not None:
        for j in range(fixed):
            cpi = US_CPI_U_ANNUAL.get(start + j)
            if cpi is not None:
                out[j] = cpi / base
            elif j:
                out[j] = out[j - 1] * (1.0 + i)
        for t in range(fixed, years):
            out[t] = out[fixed - 1] * (1.0 + i) ** (t - fixed + 1)
    return out


def zero_shock_mr(p0: float, long_run: float, k: float, t: float) -> float:
    """Zero-shock mean-reverting price after t years: exp(ln p0 e^-kt + ln LR (1 - e^-kt))."""
    decay = math.exp(-k * t)
    return math.exp(math.log(p0) * decay + math.log(long_run) * (1.0 - decay))


# ------------------------------------------------------------------------- the real basis


@pytest.mark.parametrize("inflation", [0.025, 0.06])
def test_real_basis_turns_a_flat_path_nominal(inflation: float) -> None:
    """Volatility 0 and initial = long run = 40: the real price is 40 every year, so the nominal
    price is 40 (1 + i)^(t+1) (constant dollars of the year before year 0); the nominal basis
    leaves it at 40."""
    over = {
        "oil_price__initial_usd_per_bbl": 40.0,
        "oil_price__long_run_usd_per_bbl": 40.0,
        "oil_price__volatility": 0.0,
        "oil_price__inflation_rate": inflation,
    }
    real = prices(short(oil_price__basis="real", **over))
    nominal = prices(short(oil_price__basis="nominal", **over))
    want = np.array([40.0 * (1.0 + inflation) ** (t + 1) for t in range(YEARS)])
    for n in range(real.shape[1]):
        np.testing.assert_allclose(real[:, n], want, rtol=1e-13, atol=0)
        np.testing.assert_allclose(nominal[:, n], 40.0, rtol=1e-13, atol=0)


def test_real_basis_deck() -> None:
    """A deck in the real basis is deck[t] (1 + i)^(t+1); a short deck holds its last real
    price, which keeps growing with inflation in nominal dollars."""
    deck = [50.0, 70.0, 30.0, 45.0]
    i = 0.03
    sc = short(
        oil_price__model="deck",
        oil_price__deck_usd_per_bbl=deck,
        oil_price__initial_usd_per_bbl=deck[0],
        oil_price__basis="real",
        oil_price__inflation_rate=i,
    )
    got = prices(sc)[:, 0]
    want = [deck[min(t, len(deck) - 1)] * (1.0 + i) ** (t + 1) for t in range(YEARS)]
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
    nominal = prices(sc.with_overrides({"oil_price.basis": "nominal"}))[:, 0]
    np.testing.assert_allclose(nominal, [deck[min(t, 3)] for t in range(YEARS)], rtol=1e-15)


def test_real_basis_after_a_historical_prefix_follows_cpi() -> None:
    """Prices 2006-2008 fixed at the WTI averages, volatility 0, real basis: the first three
    years are the fixed nominal prices; from 2009 the mean-reverting path continues from the
    2008 price deflated to 2005 dollars by CPI-U (L2 = CPI[2008] / CPI[2005]) and is made
    nominal again by L2 (1 + i)^(t-2):
    ``exp(ln(99.67 / L2) e^{-k(t-2)} + ln LR (1 - e^{-k(t-2)})) L2 (1 + i)^(t-2)``."""
    fixed = [66.05, 72.34, 99.67]
    k, lr, i = 0.4, 55.0, 0.025
    sc = short(
        horizon__start_year=2006,
        oil_price__fixed_path_usd_per_bbl=fixed,
        oil_price__volatility=0.0,
        oil_price__mean_reversion_per_year=k,
        oil_price__long_run_usd_per_bbl=lr,
        oil_price__basis="real",
        oil_price__inflation_rate=i,
    )
    got = prices(sc)
    l2 = US_CPI_U_ANNUAL[2008] / US_CPI_U_ANNUAL[2005]
    want = list(fixed)
    for t in range(3, YEARS):
        d = math.exp(-k * (t - 2))
        x = math.log(99.67 / l2) * d + math.log(lr) * (1.0 - d)
        want.append(math.exp(x) * l2 * (1.0 + i) ** (t - 2))
    for n in range(got.shape[1]):
        np.testing.assert_allclose(got[:, n], want, rtol=1e-12, atol=0)
    # The CPI ratio matters: 2005-2008 inflation (~11 %) is not 2.5 % a year (~7.7 %).
    assert abs(l2 / (1.0 + i) ** 3 - 1.0) > 0.02


def test_real_basis_prefix_past_the_cpi_table_uses_the_assumed_inflation() -> None:
    """Start 2024 with three fixed prices: CPI is known for 2023 and 2024 only, so L[0] =
    CPI[2024] / CPI[2023] and the later fixed years grow at the assumed inflation; the model
    continues from the last fixed price deflated by L[2] = L[0] (1 + i)^2."""
    fixed = [75.0, 65.0, 60.0]
    k, lr, i = 0.3, 70.0, 0.02
    sc = short(
        horizon__start_year=2024,
        oil_price__fixed_path_usd_per_bbl=fixed,
        oil_price__volatility=0.0,
        oil_price__mean_reversion_per_year=k,
        oil_price__long_run_usd_per_bbl=lr,
        oil_price__basis="real",
        oil_price__inflation_rate=i,
    )
    got = prices(sc)[:, 0]
    assert 2025 not in US_CPI_U_ANNUAL
    l2 = US_CPI_U_ANNUAL[2024] / US_CPI_U_ANNUAL[2023] * (1.0 + i) ** 2
    want = list(fixed) + [
        zero_shock_mr(60.0 / l2, lr, k, t - 2) * l2 * (1.0 + i) ** (t - 2) for t in range(3, YEARS)
    ]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


# ------------------------------------------------------------------------------ the copula


def copula_scenario(**over: Any) -> Scenario:
    """The short scenario with overrun sd 0.25, reservoir sd 0.15 and the correlations of CORR."""
    return short(
        pemex__capex_overrun_sd=0.25,
        pemex__reservoir_factor_sd=0.15,
        **{k.replace(".", "__"): v for k, v in CORR.items()},
        **over,
    )


def price_shock_by_hand(
    draws: np.ndarray, *, model: str, fixed: int, tranches: int
) -> np.ndarray | None:
    """Z = sum over the stochastic years t of the tranche years of draws[2 + t - 1] / sqrt(|S|);
    None without such a year (a deck, or tranche years all fixed)."""
    steps = [t for t in range(tranches) if t >= max(1, fixed)]
    if model == "deck" or not steps:
        return None
    return sum(draws[2 + t - 1] for t in steps) / math.sqrt(len(steps))


@pytest.mark.parametrize(
    ("model", "fixed"),
    [
        ("mean_reverting", []),  # spending years 1, 2 are stochastic: Z of two shocks
        ("mean_reverting", [60.0, 70.0]),  # year 1 is fixed: Z is year 2's shock alone
        ("mean_reverting", [60.0, 70.0, 80.0]),  # every spending year fixed: no price shock
        ("deck", []),  # no price shock
    ],
    ids=["stochastic", "one-fixed-spending-year", "all-spending-years-fixed", "deck"],
)
def test_copula_factors_are_the_cholesky_factor_applied_to_the_draws(
    model: str, fixed: list[float]
) -> None:
    """(w_overrun, w_reservoir) = the last two rows of L (Z, z0, z1), with L the Cholesky factor
    of the matrix of (price, overrun, reservoir) (numpy.linalg.cholesky); with no stochastic
    price year among the spending years, Z = 0 (the factors correlate with each other only)."""
    paths, seed = 1500, 11
    over: dict[str, Any] = {"oil_price__model": model, "oil_price__fixed_path_usd_per_bbl": fixed}
    if model == "deck":
        over["oil_price__deck_usd_per_bbl"] = [55.0, 60.0]
    sc = copula_scenario(**over)
    res = simulator.simulate(sc, paths=paths, seed=seed, keep_series=False)
    draws = draw_normals(seed, 0, paths, n_draws(model, YEARS))
    z = price_shock_by_hand(draws, model=model, fixed=len(fixed), tranches=3)
    if z is None:
        z = np.zeros(paths)
    a, b, c = CORR.values()
    chol = np.linalg.cholesky(np.array([[1.0, a, b], [a, 1.0, c], [b, c, 1.0]]))
    if model == "deck" or len(fixed) >= 3:
        chol[1:, 0] = 0.0  # no price shock: the factors' own block of the matrix
        chol[1:, 1:] = np.linalg.cholesky(np.array([[1.0, c], [c, 1.0]]))
    w = chol @ np.vstack([z, draws[0], draws[1]])
    m = res.metrics
    np.testing.assert_allclose(m["capex_overrun_factor"], np.exp(0.25 * w[1]), rtol=1e-13)
    np.testing.assert_allclose(m["reservoir_factor"], np.exp(0.15 * w[2]), rtol=1e-13)


def test_copula_correlations_match_the_matrix() -> None:
    """20,000 paths: the sample Pearson correlations of (Z, ln overrun / 0.25, ln reservoir /
    0.15) are within 4 standard errors (1 - rho^2) / sqrt(n) of (a, b, c), and their Spearman
    rank correlations within 4 standard errors of the Gaussian copula's (6 / pi) asin(rho / 2).
    Each normal has mean 0 and variance 1."""
    paths, seed = 20_000, 5
    res = simulator.simulate(copula_scenario(), paths=paths, seed=seed, keep_series=False)
    draws = draw_normals(seed, 0, paths, n_draws("mean_reverting", YEARS))
    z = price_shock_by_hand(draws, model="mean_reverting", fixed=0, tranches=3)
    assert z is not None
    w_o = np.log(res.metrics["capex_overrun_factor"].to_numpy()) / 0.25
    w_r = np.log(res.metrics["reservoir_factor"].to_numpy()) / 0.15
    se0 = 1.0 / math.sqrt(paths)
    for w in (z, w_o, w_r):
        assert abs(w.mean()) <= N_SE * se0
        assert abs(w.var(ddof=1) - 1.0) <= N_SE * math.sqrt(2.0 / (paths - 1))
    a, b, c = CORR.values()
    for x, y, rho in ((z, w_o, a), (z, w_r, b), (w_o, w_r, c)):
        se = (1.0 - rho * rho) / math.sqrt(paths)
        pearson = float(np.corrcoef(x, y)[0, 1])
        assert abs(pearson - rho) <= N_SE * se, (rho, pearson)
        rank = float(stats.spearmanr(x, y).statistic)
        want = 6.0 / math.pi * math.asin(rho / 2.0)
        assert abs(rank - want) <= N_SE * se, (rho, rank, want)


def test_zero_correlations_leave_the_own_draws() -> None:
    """With every correlation 0 the factors are exactly exp(sd z0) and exp(sd z1) of the
    path's own draws (a run without correlation draws what it drew before)."""
    paths, seed = 2000, 9
    sc = short(pemex__capex_overrun_sd=0.25, pemex__reservoir_factor_sd=0.15)
    res = simulator.simulate(sc, paths=paths, seed=seed, keep_series=False)
    draws = draw_normals(seed, 0, paths, n_draws("mean_reverting", YEARS))
    np.testing.assert_array_equal(res.metrics["capex_overrun_factor"], np.exp(0.25 * draws[0]))
    np.testing.assert_array_equal(res.metrics["reservoir_factor"], np.exp(0.15 * draws[1]))


# ----------------------------------------------------------------------------- refusals

BAD = {
    "risks.price_overrun_correlation": 0.9,
    "risks.price_reservoir_correlation": 0.9,
    "risks.overrun_reservoir_correlation": -0.9,
}
NAMES = [key.split(".")[1] for key in BAD]


def smallest_eigenvalue(a: float, b: float, c: float) -> float:
    return float(np.linalg.eigvalsh(np.array([[1.0, a, b], [a, 1.0, c], [b, c, 1.0]]))[0])


def test_scenario_refuses_a_matrix_that_is_not_psd() -> None:
    """(0.9, 0.9, -0.9) has a negative eigenvalue: the scenario refuses it in field "risks",
    naming the three fields and that eigenvalue; a singular but PSD matrix (0.5, 0.5, -0.5),
    determinant 0, is accepted."""
    eig = smallest_eigenvalue(*BAD.values())
    assert eig < 0
    with pytest.raises(ScenarioError) as info:
        Scenario().with_overrides(BAD)
    assert info.value.field == "risks"
    text = str(info.value)
    assert all(name in text for name in NAMES), text
    assert f"{eig:.3g}" in text, text
    edge = dict(zip(BAD, (0.5, 0.5, -0.5), strict=True))
    assert abs(smallest_eigenvalue(*edge.values())) < 1e-12
    assert Scenario().with_overrides(edge).risks.overrun_reservoir_correlation == -0.5


def test_cli_refuses_a_matrix_that_is_not_psd(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``naef validate`` and ``naef run`` of a file whose risks block is not PSD: exit 2, one
    line on stderr naming the file and "risks"."""
    path = tmp_path / "bad-risks.yaml"
    path.write_text(
        "name: bad-risks\n"
        "risks:\n"
        "  price_overrun_correlation: 0.9\n"
        "  price_reservoir_correlation: 0.9\n"
        "  overrun_reservoir_correlation: -0.9\n"
    )
    for argv in (
        ["validate", str(path)],
        ["run", str(path), "--paths", "8", "--out", str(tmp_path / "out")],
    ):
        rc = main(argv)
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert rc == 2, (argv, captured)
        assert len(lines) == 1, lines
        assert str(path) in lines[0] and "risks" in lines[0], lines[0]
        assert not (tmp_path / "out").exists()


def test_simulate_sets_refuses_a_set_that_is_not_psd() -> None:
    """Set 0 of zeros is fine, set 1 (0.95, 0.95, -0.95) is not PSD: InputError naming set 1."""
    values = {
        "risks.price_overrun_correlation": [0.0, 0.95],
        "risks.price_reservoir_correlation": [0.0, 0.95],
        "risks.overrun_reservoir_correlation": [0.0, -0.95],
    }
    assert smallest_eigenvalue(0.95, 0.95, -0.95) < 0
    with pytest.raises(InputError, match="set 1") as info:
        simulate_sets(short(), values=values, paths_per_set=4, seed=1)
    assert info.value.field == "risks"


# ----------------------------------------------------------------- costs that follow oil


def capex_by_hand(sc: Scenario) -> list[float]:
    """Capex of each tranche year: the face net of fees (no reserves in the short scenario)."""
    return [f * (1.0 - FEE) for f in sc.naef.issuance_usd_bn]


@pytest.mark.parametrize(
    ("basis", "start", "fixed"),
    [
        ("nominal", START, []),
        ("real", START, []),  # the expected path grows with (1 + i)^(t+1)
        ("real", 2006, [66.05, 72.34]),  # prices fixed: the cost index of year 0 is not 1
    ],
    ids=["nominal", "real", "real-with-history"],
)
def test_costs_follow_oil_by_hand(basis: str, start: int, fixed: list[float]) -> None:
    """Elasticity beta = 0.5: from each path's own prices, the cost index c[t] = (P[t] /
    P_exp[t])^beta, P_exp the closed-form zero-shock path from the initial price times the
    price level; production = sum over tranche years s of capex_s 1e6 / capex_per_bpd x
    profile(t - s) / c[s]; opex = boe x opex_per_boe (1 + g)^t c[t] / 1000 + oversight and
    revenue = P boe / 1000 ((1 - gas) rpf + gas ratio), boe = kb/d x 365 / 1000."""
    beta, p0, lr, k, i = 0.5, 50.0, 60.0, 0.5, 0.025
    lag, opex0, g, oversight = 1, 5.0, 0.03, 0.05
    gas, rpf, ratio = 0.15, 0.85, 0.35
    sc = short(
        horizon__start_year=start,
        oil_price__basis=basis,
        oil_price__inflation_rate=i,
        oil_price__fixed_path_usd_per_bbl=fixed,
        oil_price__realized_price_factor=rpf,
        oil_price__gas_price_ratio=ratio,
        pemex__lag_years=lag,
        pemex__ramp_years=0,
        pemex__plateau_years=20,
        pemex__decline_rate=0.0,
        pemex__capex_overrun_sd=0.0,
        pemex__reservoir_factor_sd=0.0,
        pemex__opex_usd_per_boe=opex0,
        pemex__cost_inflation=g,
        pemex__oversight_cost_usd_bn_per_year=oversight,
        pemex__gas_share_boe=gas,
        pemex__cost_price_elasticity=beta,
    )
    res = simulator.simulate(sc, paths=16, seed=2, keep_series=True)
    capex = capex_by_hand(sc)
    np.testing.assert_allclose(res.ledger()["capex_usd_bn"].iloc[:3], capex, rtol=1e-14)
    level = level_by_hand(basis, i, start, len(fixed), YEARS)
    p_exp = [zero_shock_mr(p0, lr, k, t) * level[t] for t in range(YEARS)]
    price = res.series("oil_price_usd_per_bbl").to_numpy()
    kbd = res.series("production_kbd").to_numpy()
    opex = res.series("opex_usd_bn").to_numpy()
    revenue = res.series("revenue_usd_bn").to_numpy()
    for n in range(price.shape[1]):
        c = [(price[t, n] / p_exp[t]) ** beta for t in range(YEARS)]
        want_kbd = [
            sum(
                capex[s] * 1e6 / CAPEX_PER_BPD / c[s]
                for s in range(len(capex))
                if t - s >= lag  # plateau over the horizon, no ramp, no decline
            )
            for t in range(YEARS)
        ]
        boe = [q * 365.0 / 1000.0 for q in want_kbd]
        want_opex = [
            boe[t] * opex0 * (1.0 + g) ** t * c[t] / 1000.0 + oversight for t in range(YEARS)
        ]
        unit = (1.0 - gas) * rpf + gas * ratio
        want_revenue = [price[t, n] * boe[t] / 1000.0 * unit for t in range(YEARS)]
        np.testing.assert_allclose(kbd[:, n], want_kbd, rtol=1e-12, atol=0)
        np.testing.assert_allclose(opex[:, n], want_opex, rtol=1e-12, atol=0)
        np.testing.assert_allclose(revenue[:, n], want_revenue, rtol=1e-12, atol=0)
    # The index is not trivially 1: what a tranche buys differs between paths.
    assert np.ptp(kbd[-1]) > 0.01 * kbd[-1].mean()
    if fixed:
        assert abs(price[0, 0] / p_exp[0] - 1.0) > 0.01


def test_without_elasticity_production_is_the_same_on_every_path() -> None:
    """Elasticity 0, no factor spread: production is the plan's on every path, whatever the
    price (capex / capex_per_bpd x profile, here lag 1 then a plateau)."""
    sc = short(
        pemex__lag_years=1,
        pemex__ramp_years=0,
        pemex__plateau_years=20,
        pemex__decline_rate=0.0,
        pemex__capex_overrun_sd=0.0,
        pemex__reservoir_factor_sd=0.0,
    )
    res = simulator.simulate(sc, paths=16, seed=2, keep_series=True)
    kbd = res.series("production_kbd").to_numpy()
    capex = capex_by_hand(sc)
    want = [
        sum(capex[s] * 1e6 / CAPEX_PER_BPD for s in range(3) if t - s >= 1) for t in range(YEARS)
    ]
    for n in range(kbd.shape[1]):
        np.testing.assert_allclose(kbd[:, n], want, rtol=1e-13, atol=0)
    assert np.ptp(res.series("oil_price_usd_per_bbl").to_numpy()[-1]) > 1.0


# --------------------------------------------------------------------------- the export mix


def test_export_mix_factor_by_hand_and_its_statistics() -> None:
    """Export-mix sd s = 0.1, persistence phi = 0.8, no gas, no factor spread: revenue /
    (P boe / 1000 rpf) is the mix factor m[t] = exp(s u[t] - s^2 / 2) with u[0] = e[0], u[t] =
    phi u[t-1] + sqrt(1 - phi^2) e[t], e the last 12 rows of the draws (recomputed here). Over
    20,000 paths, each year: mean of m within 4 SE of 1 (sd sqrt(e^{s^2} - 1)), sd of ln m within
    4 SE of s, and the correlation of ln m in consecutive years (two years apart) within 4 SE
    (1 - rho^2) / sqrt(n) of phi (phi^2)."""
    s, phi, rpf = 0.1, 0.8, 0.85
    paths, seed = 20_000, 4
    sc = short(
        naef__issuance_usd_bn=[2.0],
        pemex__lag_years=0,
        pemex__ramp_years=0,
        pemex__plateau_years=20,
        pemex__decline_rate=0.0,
        pemex__capex_overrun_sd=0.0,
        pemex__reservoir_factor_sd=0.0,
        pemex__gas_share_boe=0.0,
        pemex__cost_price_elasticity=0.0,
        oil_price__realized_price_factor=rpf,
        risks__export_mix_sd=s,
        risks__export_mix_persistence=phi,
    )
    res = simulator.simulate(sc, paths=paths, seed=seed, keep_series=True)
    price = res.series("oil_price_usd_per_bbl").to_numpy()
    boe = res.series("production_kbd").to_numpy() * 365.0 / 1000.0
    mix = res.series("revenue_usd_bn").to_numpy() / (price * boe / 1000.0 * rpf)

    draws = draw_normals(seed, 0, paths, n_draws("mean_reverting", YEARS))
    e = draws[-YEARS:]
    u = np.empty_like(e)
    u[0] = e[0]
    for t in range(1, YEARS):
        u[t] = phi * u[t - 1] + math.sqrt(1.0 - phi * phi) * e[t]
    np.testing.assert_allclose(mix, np.exp(s * u - s * s / 2.0), rtol=1e-12)

    log_mix = np.log(mix)
    sd_m = math.sqrt(math.expm1(s * s))
    for t in range(YEARS):
        assert abs(mix[t].mean() - 1.0) <= N_SE * sd_m / math.sqrt(paths), t
        assert abs(log_mix[t].std(ddof=1) - s) <= N_SE * s / math.sqrt(2.0 * (paths - 1)), t
    for lag, rho in ((1, phi), (2, phi * phi)):
        se = (1.0 - rho * rho) / math.sqrt(paths)
        for t in range(YEARS - lag):
            r = float(np.corrcoef(log_mix[t], log_mix[t + lag])[0, 1])
            assert abs(r - rho) <= N_SE * se, (lag, t, r)


# ------------------------------------------------------------------ sets, tornado, chunks


def test_simulate_sets_equals_separate_runs(baseline: Scenario) -> None:
    """Two parameter sets of the new fields (correlation, elasticity, export-mix sd) run
    together give, set by set, the metrics of ``simulate`` of the scenario with the set's
    values (64 paths, seed 7), to 1e-9 relative."""
    values = {
        "risks.price_overrun_correlation": [0.0, 0.5],
        "pemex.cost_price_elasticity": [0.0, 0.6],
        "risks.export_mix_sd": [0.0, 0.2],
    }
    got = simulate_sets(baseline, values=values, paths_per_set=64, seed=7)
    for j in range(2):
        sc = baseline.with_overrides({k: v[j] for k, v in values.items()})
        want = simulator.simulate(sc, paths=64, seed=7, keep_series=False).metrics
        for name in want.columns:
            np.testing.assert_allclose(
                np.asarray(got[name][j], dtype=float),
                want[name].to_numpy(dtype=float),
                rtol=1e-9,
                atol=1e-12,
                equal_nan=True,
                err_msg=f"set {j}: {name}",
            )
    pv = got["mdf_inflow_pv_usd_bn"]
    assert not np.allclose(pv[0], pv[1], rtol=1e-6)  # the two sets differ


def test_tornado_over_the_new_fields(baseline: Scenario) -> None:
    """The tornado's default ranges of the new fields follow the rules written here (value
    -+ 25 %; a value of 0 moves by 10 % of the span of its bounds, clipped to them), and
    inflation and cost elasticity move the median PV of the MDF inflow; higher inflation raises
    nominal revenue and so the MDF's nominal inflow."""
    params = [
        "risks.price_overrun_correlation",
        "pemex.cost_price_elasticity",
        "oil_price.inflation_rate",
        "risks.export_mix_sd",
    ]
    tor = tornado(baseline, parameters=params, paths=500, seed=1)
    assert tor.parameters == tuple(params)
    want = {
        "risks.price_overrun_correlation": (-0.1 * 2.0, 0.1 * 2.0),  # bounds [-1, 1]
        "pemex.cost_price_elasticity": (0.3 * 0.75, 0.3 * 1.25),
        "oil_price.inflation_rate": (0.025 * 0.75, 0.025 * 1.25),
        "risks.export_mix_sd": (0.1 * 0.75, 0.1 * 1.25),
    }
    for key, (low, high) in want.items():
        got_low, got_high = tor.ranges[key]
        assert math.isclose(got_low, low, rel_tol=1e-12) and math.isclose(
            got_high, high, rel_tol=1e-12
        ), (key, tor.ranges[key])
        assert tor.base_values[key] == baseline.value(key)
    out = "mdf_inflow_pv_p50"
    swing = {key: tor.at_high[key][out] - tor.at_low[key][out] for key in params}
    assert swing["pemex.cost_price_elasticity"] != 0.0, swing
    assert swing["oil_price.inflation_rate"] > 0.0, swing


def test_copula_results_do_not_depend_on_the_chunking(baseline: Scenario) -> None:
    """With the copula on, 2,049 paths in chunks of 1,024 or in one chunk of 4,096 give
    bit-identical metrics, series and ledger."""
    sc = baseline.with_overrides(CORR)
    runs = [
        simulator.simulate(sc, paths=2049, seed=13, chunk_paths=chunk, keep_series=True)
        for chunk in (1024, 4096)
    ]
    a, b = runs
    pd.testing.assert_frame_equal(a.metrics, b.metrics, check_exact=True)
    pd.testing.assert_frame_equal(a.ledger(), b.ledger(), check_exact=True)
    for name in SERIES:
        pd.testing.assert_frame_equal(a.series(name), b.series(name), check_exact=True)


# --- which dollars the inputs are in ---------------------------------------------------------


@pytest.mark.parametrize(
    ("basis", "dollars"), [("real", "constant 2005 dollars"), ("nominal", "nominal dollars")]
)
def test_summary_breakeven_and_report_say_the_basis(
    basis: str, dollars: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The printed summary, the break-even command and the report name the dollars the price
    inputs were set in; every output stays nominal."""
    sc = Scenario().with_overrides({"oil_price.basis": basis, "horizon.years": 12})
    res = simulator.simulate(sc, paths=64, seed=3)
    assert dollars in res.summary_text().splitlines()[-1]
    assert dollars in render_report(res)
    path = tmp_path / "s.yaml"
    path.write_text(sc.to_yaml(), encoding="utf-8")
    assert main(["breakeven", str(path), "--paths", "64"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert ("2005 dollars" if basis == "real" else "nominal dollars") in first
    assert dollars in out
