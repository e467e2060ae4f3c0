"""The oil-price hedge (simulator.model.hedge and its place in the chain).

Checked against: the Black-76 formula written here with ``math.erf`` (to 1e-10), put-call
parity with a call written here, the intrinsic value at zero volatility, the one-factor model's
conditional mean written here, each year's premium and payoff of a run recomputed by hand from
its own price and production series, and the scale of Mexico's 2009 and 2015 hedges (volumes,
strikes, payouts and premiums from the finance ministry's reported programme).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.cli import main
from simulator.model.hedge import black76_put, forward_and_spread
from simulator.model.prices import expected_price_path, price_level
from simulator.scenario import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _n(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _black76(f: float, k: float, sigma: float, t: float, r: float, put: bool) -> float:
    if sigma == 0.0:
        value = max(k - f, 0.0) if put else max(f - k, 0.0)
        return math.exp(-r * t) * value
    d1 = (math.log(f / k) + 0.5 * sigma * sigma * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    if put:
        return math.exp(-r * t) * (k * _n(-d2) - f * _n(-d1))
    return math.exp(-r * t) * (f * _n(d1) - k * _n(d2))


CASES = [
    (60.0, 70.0, 0.25, 1.0, 0.0465),
    (80.0, 70.0, 0.40, 0.5, 0.02),
    (45.0, 45.0, 0.10, 2.0, 0.0),
    (100.0, 50.0, 0.80, 1.0, 0.05),
    (30.0, 90.0, 0.30, 1.0, -0.01),
]


@pytest.mark.parametrize(("f", "k", "sigma", "t", "r"), CASES)
def test_black76_put_against_the_closed_form_and_parity(
    f: float, k: float, sigma: float, t: float, r: float
) -> None:
    put = float(black76_put(f, k, sigma, t, r))
    assert put == pytest.approx(_black76(f, k, sigma, t, r, put=True), abs=1e-10)
    call = _black76(f, k, sigma, t, r, put=False)
    assert call - put == pytest.approx(math.exp(-r * t) * (f - k), abs=1e-10)


def test_zero_volatility_gives_the_intrinsic_value() -> None:
    f = np.array([50.0, 70.0, 90.0])
    put = black76_put(f, 70.0, 0.0, 1.0, 0.04)
    np.testing.assert_allclose(put, math.exp(-0.04) * np.maximum(70.0 - f, 0.0), atol=1e-12)


def test_the_forward_is_the_one_factor_models_conditional_mean() -> None:
    """F[t] = exp(e^-k x + (1 - e^-k) ln L + s^2 / 2) in the basis's dollars, times the level."""
    op = Scenario().oil_price  # real basis, k 0.3485, long run 53.15, vol 0.2847
    years = 4
    level = price_level(op, start_year=2006, years=years)
    price = np.array([[58.0, 40.0], [70.0, 90.0], [60.0, 30.0], [55.0, 65.0]])
    expected = expected_price_path(op, years=years, level=level)
    forward, spread = forward_and_spread(op, price, level, expected)
    k, vol, lr, i = (
        op.mean_reversion_per_year,
        op.volatility,
        op.long_run_usd_per_bbl,
        op.inflation_rate,
    )
    s = vol * math.sqrt((1.0 - math.exp(-2.0 * k)) / (2.0 * k))
    assert float(spread) == pytest.approx(s, rel=1e-12)
    for t in range(1, years):
        for n in range(2):
            real = price[t - 1, n] / (1.0 + i) ** t
            mean = math.exp(-k) * math.log(real) + (1.0 - math.exp(-k)) * math.log(lr)
            want = math.exp(mean + 0.5 * s * s) * (1.0 + i) ** (t + 1)
            assert forward[t, n] == pytest.approx(want, rel=1e-12)


def _hedged(share: float, **over: object) -> Scenario:
    return simulator.load_scenario(SCENARIOS / "naef-2005.yaml").with_overrides(
        {
            "hedge.share_of_added_oil": share,
            "horizon.years": 20,
            "oil_price.basis": "nominal",
            "risks.export_mix_sd": 0.0,
            **over,
        }
    )


def test_premium_and_payoff_by_hand_and_cfads_moves_by_their_difference() -> None:
    """Each year's premium (Black-76 on the forward, accrued a year) and payoff (the strike's
    excess over the export price) on half the path's oil; CFADS is the unhedged CFADS of the
    same draws less the premium plus the payoff."""
    strike = 45.0
    sc = _hedged(0.5, **{"hedge.strike_usd_per_bbl": strike})
    bare = sc.with_overrides({"hedge.share_of_added_oil": 0.0})
    res = simulator.simulate(sc, paths=40, seed=3, keep_series=True)
    ref = simulator.simulate(bare, paths=40, seed=3, keep_series=True)
    op, pemex, hedge = sc.oil_price, sc.pemex, sc.hedge
    price = res.series("oil_price_usd_per_bbl").to_numpy()
    oil = res.series("production_kbd").to_numpy() * 365.0 / 1000.0 * (1.0 - pemex.gas_share_boe)
    k, vol, lr, rf = (
        op.mean_reversion_per_year,
        op.volatility,
        op.long_run_usd_per_bbl,
        hedge.risk_free_rate,
    )
    s = vol * math.sqrt((1.0 - math.exp(-2.0 * k)) / (2.0 * k))
    rpf = op.realized_price_factor
    premium = np.zeros_like(price)
    payoff = np.zeros_like(price)
    for t in range(1, price.shape[0]):
        for n in range(price.shape[1]):
            mean = math.exp(-k) * math.log(price[t - 1, n]) + (1.0 - math.exp(-k)) * math.log(lr)
            forward = math.exp(mean + 0.5 * s * s) * rpf
            volume = 0.5 * oil[t, n]
            per_bbl = _black76(forward, strike, s, 1.0, rf, put=True) * math.exp(rf)
            premium[t, n] = per_bbl * volume / 1000.0
            payoff[t, n] = max(strike - price[t, n] * rpf, 0.0) * volume / 1000.0
    np.testing.assert_allclose(res.series("hedge_premium_usd_bn").to_numpy(), premium, rtol=1e-10)
    np.testing.assert_allclose(res.series("hedge_payoff_usd_bn").to_numpy(), payoff, rtol=1e-10)
    assert payoff.max() > 0 and premium.max() > 0
    np.testing.assert_allclose(
        res.series("cfads_usd_bn").to_numpy(),
        ref.series("cfads_usd_bn").to_numpy() - premium + payoff,
        rtol=1e-10,
        atol=1e-12,
    )


def test_a_market_volatility_is_turned_into_an_average_price_one() -> None:
    """volatility_from market: each year's put is priced at implied_volatility / sqrt(3), at
    the money on the forward, whatever the price model's own volatility."""
    t = 5
    for model_vol in (0.2847, 0.1):
        sc = _hedged(
            1.0,
            **{
                "oil_price.volatility": model_vol,
                "hedge.volatility_from": "market",
                "hedge.implied_volatility": 0.6,
            },
        )
        res = simulator.simulate(sc, paths=8, seed=1, keep_series=True)
        op = sc.oil_price
        price = res.series("oil_price_usd_per_bbl").to_numpy()
        oil = res.series("production_kbd").to_numpy() * 365.0 / 1000.0
        oil *= 1.0 - sc.pemex.gas_share_boe
        per_bbl = res.series("hedge_premium_usd_bn").to_numpy()[t] * 1000.0 / oil[t]
        k = op.mean_reversion_per_year
        s = model_vol * math.sqrt((1.0 - math.exp(-2.0 * k)) / (2.0 * k))  # the forward's
        lr = op.long_run_usd_per_bbl
        mean = math.exp(-k) * np.log(price[t - 1]) + (1.0 - math.exp(-k)) * math.log(lr)
        forward = np.exp(mean + 0.5 * s * s) * op.realized_price_factor
        rf = sc.hedge.risk_free_rate
        want = [
            _black76(f, f, 0.6 / math.sqrt(3.0), 1.0, rf, put=True) * math.exp(rf) for f in forward
        ]
        np.testing.assert_allclose(per_bbl, want, rtol=1e-9)


def test_the_2009_and_2015_hedges_in_scale() -> None:
    """Mexico's 2009 puts (330 mmbbl at $70) and 2015 puts (228 mmbbl at $76.40) paid $5.09bn
    and about $6.4bn, for premiums of about $1.5bn and $0.77bn. Against the year's average
    export price (2009: the mix's $57.40; 2015: WTI's $48.66 at the model's 0.85) the payoffs
    are within 30% of what was received; the model's premium, on its own forward from the
    year before, is within a factor of three of what was paid."""
    replay = simulator.load_scenario(SCENARIOS / "historical-replay-2006.yaml")
    op = replay.oil_price
    years = replay.horizon.years
    history = np.array(op.fixed_path_usd_per_bbl)[:, None]
    price = np.vstack([history, np.full((years - len(history), 1), 60.0)])
    level = price_level(op, start_year=2006, years=years)
    forward, spread = forward_and_spread(
        op, price, level, expected_price_path(op, years=years, level=level)
    )
    for year, volume, strike, mix, received, paid in (
        (2009, 330.0, 70.0, 57.40, 5.089, 1.5),
        (2015, 228.0, 76.40, 48.66 * op.realized_price_factor, 6.4, 0.773),
    ):
        payoff = max(strike - mix, 0.0) * volume / 1000.0
        assert 0.7 <= payoff / received <= 1.3, (year, payoff)
        t = year - 2006
        f = float(forward[t, 0]) * op.realized_price_factor
        premium = float(black76_put(f, strike, spread, 1.0, 0.0465)) * volume / 1000.0
        assert 1.0 / 3.0 <= premium / paid <= 3.0, (year, premium)


def test_a_hedge_lowers_pemexs_support_in_the_low_price_world() -> None:
    """On common random numbers, puts on half the added oil make Pemex's support rarer."""
    low = simulator.load_scenario(SCENARIOS / "low-price.yaml")
    bare = simulator.simulate(low, paths=4000, seed=2)
    hedged = simulator.simulate(
        low.with_overrides({"hedge.share_of_added_oil": 0.5}), paths=4000, seed=2
    )
    assert hedged.headline()["prob_pemex_support"] < bare.headline()["prob_pemex_support"]
    assert hedged.metrics["hedge_premium_pv_usd_bn"].mean() > 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("share_of_added_oil", 1.5), ("implied_volatility", -0.2), ("strike_usd_per_bbl", -1.0)],
)
def test_bad_hedge_input_is_one_line_and_exit_2(
    field: str, value: float, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"name: bad\nhedge:\n  {field}: {value}\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert str(path) in err[0] and f"hedge.{field}" in err[0], err[0]


def test_the_tornado_and_parameter_sets_vary_the_hedge() -> None:
    """The hedge's fields are inputs a sensitivity analysis can move: each set of a vectorized
    run equals its own run, and the tornado moves Pemex's support with the share hedged."""
    from simulator.analysis.sensitivity import tornado
    from simulator.run.engine import simulate_sets

    low = simulator.load_scenario(SCENARIOS / "low-price.yaml")
    values = {"hedge.share_of_added_oil": [0.0, 0.5], "hedge.strike_moneyness": [1.0, 0.9]}
    sets = simulate_sets(low, values=values, paths_per_set=64, seed=4)
    for j in range(2):
        one = low.with_overrides({k: v[j] for k, v in values.items()})
        alone = simulator.simulate(one, paths=64, seed=4)
        np.testing.assert_allclose(
            sets["hedge_premium_pv_usd_bn"][j],
            alone.metrics["hedge_premium_pv_usd_bn"].to_numpy(dtype=float),
            rtol=1e-9,
        )
    t = tornado(
        low,
        parameters=["hedge.share_of_added_oil"],
        ranges={"hedge.share_of_added_oil": [0.0, 0.5]},
        outputs=["prob_pemex_support"],
        paths=1000,
        seed=1,
    )
    rank = t.ranking("prob_pemex_support")
    assert rank["swing"].iloc[0] > 0
