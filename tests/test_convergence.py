"""Precision-targeted runs (simulator.run.convergence) and the standard errors they rely on.

Reference values are computed here with numpy from the runs' per-path metrics, or from
separate ``simulate`` calls, not taken from the code under test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.run.convergence import (
    MAX_GROWTH,
    MIN_GROWTH,
    PRECISION_METRICS,
    PROBABILITY_FLOOR,
    PrecisionRun,
    next_paths,
    relative_errors,
    simulate_to_precision,
)
from simulator.run.engine import RNG_BLOCK_PATHS
from simulator.scenario import InputError, Scenario

ROOT = Path(__file__).parents[1]
#: Independent runs (seeds 0 .. SEEDS-1, not chosen) for the calibration of standard errors.
SEEDS = 30
SEED_PATHS = 3000
#: The sample sd of 30 estimates scatters by about 1/sqrt(2 * 29) = 13% around the true sd, so
#: a factor of 1.3 is about two of those standard deviations.
SE_FACTOR = 1.3


@pytest.fixture(scope="module")
def risky() -> Scenario:
    """The low-price world, where defaults are rare but observed (about 0.5%): the baseline
    has almost none, and a probability of nothing has no spread to check."""
    return simulator.load_scenario(ROOT / "scenarios" / "low-price.yaml")


@pytest.fixture(scope="module")
def seed_runs(risky: Scenario) -> list[dict[str, float]]:
    """Headlines of SEEDS independent runs of SEED_PATHS paths."""
    return [
        simulator.simulate(risky, paths=SEED_PATHS, seed=s, keep_series=False).headline()
        for s in range(SEEDS)
    ]


def _own_relative_errors(metrics: pd.DataFrame) -> dict[str, float]:
    """Relative errors of the mean and probability figures, computed here from the paths."""
    n = len(metrics)
    out = {}
    for key, col in (
        ("mdf_inflow_total_mean", "mdf_inflow_total_usd_bn"),
        ("us_supply_total_mean", "us_supply_total_mmbbl"),
    ):
        x = metrics[col].to_numpy(dtype=float)
        out[key] = x.std(ddof=1) / math.sqrt(n) / abs(x.mean())
    p = float(metrics["default"].to_numpy(dtype=float).mean())
    p = p if p > 0 else 1 / n  # never observed: the error of one event in n paths
    out["prob_default"] = math.sqrt(p * (1 - p) / n) / max(p, PROBABILITY_FLOOR)
    return out


# --- the standard errors themselves --------------------------------------------------------


@pytest.mark.parametrize("key", ["mdf_inflow_total_mean", "prob_default", "mdf_inflow_pv_p50"])
def test_reported_standard_error_matches_spread_over_seeds(
    seed_runs: list[dict[str, float]], key: str
) -> None:
    """The reported se (root mean square over the runs) vs. the sd of the 30 estimates.

    ``mdf_inflow_pv_p50`` has an order-statistic standard error, the others the usual ones
    (sample sd over sqrt(n); binomial).
    """
    estimates = np.array([h[key] for h in seed_runs])
    reported = math.sqrt(float(np.mean([h[f"{key}_se"] ** 2 for h in seed_runs])))
    spread = float(estimates.std(ddof=1))
    assert spread > 0
    assert 1 / SE_FACTOR <= reported / spread <= SE_FACTOR, (reported, spread)


# --- relative_errors -----------------------------------------------------------------------


def test_relative_errors_follow_their_definition(baseline: Scenario) -> None:
    res = simulator.simulate(baseline, paths=4000, seed=11, keep_series=False)
    rel = relative_errors(res)
    assert list(rel) == list(PRECISION_METRICS)
    own = _own_relative_errors(res.metrics)
    for key, value in own.items():
        assert rel[key] == pytest.approx(value, rel=1e-12)
    pv = np.sort(res.metrics["mdf_inflow_pv_usd_bn"].to_numpy(dtype=float))
    h = res.headline()
    assert h["mdf_inflow_pv_p50"] == pytest.approx(np.median(pv), rel=1e-12)
    assert rel["mdf_inflow_pv_p50"] == pytest.approx(
        h["mdf_inflow_pv_p50_se"] / h["mdf_inflow_pv_p50"], rel=1e-12
    )
    only = relative_errors(res, metrics=["prob_pemex_support", "min_dscr_p50"])
    assert list(only) == ["prob_pemex_support", "min_dscr_p50"]


def test_rare_probability_is_measured_against_the_floor(baseline: Scenario) -> None:
    sc = baseline.with_overrides({"oil_price.long_run_usd_per_bbl": 40.0})
    res = simulator.simulate(sc, paths=4000, seed=5, keep_series=False)
    n = len(res.metrics)
    p = float(res.metrics["default"].mean())
    assert 0 < p < PROBABILITY_FLOOR  # the floor applies
    rel = relative_errors(res, metrics=["prob_default"])["prob_default"]
    assert rel == pytest.approx(math.sqrt(p * (1 - p) / n) / PROBABILITY_FLOOR, rel=1e-12)


def test_probability_never_observed_still_has_an_error(baseline: Scenario) -> None:
    """No default on any path: the error is that of one event in n paths, not zero."""
    sc = baseline.with_overrides(
        {"oil_price.initial_usd_per_bbl": 120.0, "oil_price.long_run_usd_per_bbl": 120.0}
    )
    res = simulator.simulate(sc, paths=2000, seed=5, keep_series=False)
    assert not res.metrics["default"].any()
    n = 2000
    rel = relative_errors(res, metrics=["prob_default"])["prob_default"]
    assert rel == pytest.approx(math.sqrt((1 / n) * (1 - 1 / n) / n) / PROBABILITY_FLOOR)
    assert rel > 0.01


def test_relative_errors_refuse_bad_metrics(baseline: Scenario) -> None:
    res = simulator.simulate(baseline, paths=500, seed=1, keep_series=False)
    for bad in (["nope"], [], "prob_default", ["mdf_inflow_pv_cvar5"]):
        with pytest.raises(InputError):
            relative_errors(res, metrics=bad)


# --- simulate_to_precision -----------------------------------------------------------------


@pytest.fixture(scope="module")
def precise_run(risky: Scenario) -> PrecisionRun:
    return simulate_to_precision(risky, precision=0.01)


def test_low_price_reaches_one_percent(risky: Scenario, precise_run: PrecisionRun) -> None:
    run = precise_run
    assert run.reached
    assert run.precision == 0.01
    assert run.paths == run.results.paths == len(run.results.metrics) == run.rounds[-1][0]
    assert run.results.seed == risky.simulation.seed
    assert run.rounds[0][0] == risky.simulation.paths
    # The final errors, recomputed here, are within the target; no earlier round was.
    own = _own_relative_errors(run.results.metrics)
    assert max(own.values()) <= 0.01
    assert max(run.relative_errors.values()) <= 0.01
    for key, value in own.items():
        assert run.relative_errors[key] == pytest.approx(value, rel=1e-12)
    for _, rel in run.rounds[:-1]:
        assert max(rel.values()) > 0.01
    sizes = [n for n, _ in run.rounds]
    assert sizes == sorted(set(sizes))
    assert all(n % RNG_BLOCK_PATHS == 0 for n in sizes[1:])
    # prob_default is the binding figure: its binomial error sqrt(p (1 - p) / n), taken
    # relative to max(p, PROBABILITY_FLOOR) (the floor, as p is under 1% here),
    # alone needs n >= p (1 - p) / (0.01 max(p, floor))^2 paths, and the run took no more
    # than 1.5 times that.
    assert max(run.relative_errors, key=run.relative_errors.__getitem__) == "prob_default"
    p = float(run.results.metrics["default"].mean())
    needed = p * (1 - p) / (0.01 * max(p, PROBABILITY_FLOOR)) ** 2
    assert needed <= run.paths <= 1.5 * needed


def test_result_equals_a_plain_run_of_the_final_paths(
    risky: Scenario, precise_run: PrecisionRun
) -> None:
    run = precise_run
    plain = simulator.simulate(risky, paths=run.paths, seed=risky.simulation.seed)
    pd.testing.assert_frame_equal(run.results.metrics, plain.metrics, check_exact=True)
    pd.testing.assert_frame_equal(run.results.ledger(), plain.ledger(), check_exact=True)
    assert run.results.headline() == plain.headline()
    # The first round's paths are an exact prefix of the final run.
    first = simulator.simulate(risky, paths=run.rounds[0][0], keep_series=False)
    pd.testing.assert_frame_equal(
        first.metrics, run.results.metrics.iloc[: run.rounds[0][0]], check_exact=True
    )


def test_seed_start_and_metrics_are_used(baseline: Scenario) -> None:
    calls: list[tuple[int, int]] = []
    run = simulate_to_precision(
        baseline,
        precision=0.02,
        start_paths=1500,
        seed=7,
        metrics=["mdf_inflow_total_mean"],
        progress=lambda done, total: calls.append((done, total)),
    )
    assert run.reached
    assert run.rounds[0][0] == 1500
    assert all(list(rel) == ["mdf_inflow_total_mean"] for _, rel in run.rounds)
    assert run.rounds[-1][1]["mdf_inflow_total_mean"] <= 0.02
    assert run.results.seed == 7
    plain = simulator.simulate(baseline, paths=run.paths, seed=7)
    pd.testing.assert_frame_equal(run.results.metrics, plain.metrics, check_exact=True)
    # progress is the engine's, once per chunk of every round.
    totals = sorted({total for _, total in calls})
    assert totals == [n for n, _ in run.rounds]
    for n, _ in run.rounds:
        assert (n, n) in calls


def test_stops_at_max_paths_when_the_target_is_out_of_reach(baseline: Scenario) -> None:
    run = simulate_to_precision(baseline, precision=0.001, start_paths=1000, max_paths=6000)
    assert not run.reached
    assert run.paths == run.results.paths == run.rounds[-1][0] == 6000
    assert len(run.rounds) >= 2
    assert max(run.relative_errors.values()) > 0.001
    pd.testing.assert_frame_equal(
        run.results.metrics,
        simulator.simulate(baseline, paths=6000, keep_series=False).metrics,
        check_exact=True,
    )


def test_start_at_max_paths_runs_once(baseline: Scenario) -> None:
    run = simulate_to_precision(baseline, precision=0.001, start_paths=3000, max_paths=3000)
    assert not run.reached
    assert [n for n, _ in run.rounds] == [3000]


def test_a_first_run_precise_enough_is_kept(baseline: Scenario) -> None:
    run = simulate_to_precision(baseline, precision=0.5, start_paths=2000)
    assert run.reached
    assert [n for n, _ in run.rounds] == [2000]
    assert run.paths == 2000


@pytest.mark.parametrize("precision", [0.0, -0.01, math.nan, math.inf, -math.inf, True, "0.01"])
def test_bad_precision_is_refused(baseline: Scenario, precision: object) -> None:
    with pytest.raises(InputError, match="precision"):
        simulate_to_precision(baseline, precision=precision)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start_paths": 0},
        {"max_paths": 0},
        {"start_paths": 5000, "max_paths": 4000},
        {"start_paths": 2.5},
        {"metrics": ["nope"]},
        {"metrics": []},
        {"seed": -1, "start_paths": 100},
        {"metrics": ["mdf_inflow_pv_cvar5"], "start_paths": 100},
    ],
)
def test_bad_arguments_are_refused(baseline: Scenario, kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        simulate_to_precision(baseline, **kwargs)  # type: ignore[arg-type]


# --- the growth rule -----------------------------------------------------------------------


def test_next_paths_projects_from_one_over_sqrt_n() -> None:
    # rel 0.02 at 10,000 paths, target 0.01: 4 x 1.1 x 10,000 = 44,000, up to 44,032 (43 blocks).
    assert next_paths(10_000, 0.02, precision=0.01, max_paths=10**6) == 43 * RNG_BLOCK_PATHS
    # Barely short: at least MIN_GROWTH.
    n = next_paths(10_000, 0.0101, precision=0.01, max_paths=10**6)
    assert n == math.ceil(MIN_GROWTH * 10_000 / RNG_BLOCK_PATHS) * RNG_BLOCK_PATHS
    # Far short: at most MAX_GROWTH; undefined errors take the largest step.
    capped = math.ceil(MAX_GROWTH * 1000 / RNG_BLOCK_PATHS) * RNG_BLOCK_PATHS
    assert next_paths(1000, 10.0, precision=0.01, max_paths=10**7) == capped
    assert next_paths(1000, math.nan, precision=0.01, max_paths=10**7) == capped
    assert next_paths(1000, math.inf, precision=0.01, max_paths=10**7) == capped
    # Never past the budget, which need not be a multiple of a block.
    assert next_paths(10_000, 0.02, precision=0.01, max_paths=12_345) == 12_345
