"""Reproducibility (DESIGN.md section 7): the same seed gives the same results to the bit, however
the paths are chunked, in whatever order or on whatever worker the chunks run; a path's numbers
depend on the seed and its index only; scenarios compared with one seed share their draws.

Every comparison here is exact (``check_exact=True``, ``np.array_equal`` with NaN positions).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.model.chain import Plan, run_paths
from simulator.outputs import SERIES
from simulator.run.engine import RNG_BLOCK_PATHS, chunk_bounds, draw_normals
from simulator.scenario import Scenario

SEED = 987_654_321
PATHS = 4500  # not a multiple of 1024 or 2048: every chunking ends with a partial chunk
YEARS = 20

#: The first stage's literal structure (scenarios/proposal-as-written.yaml): level repayment,
#: no interest reserve, no reserve account funded at close, a free fixed backstop, no lock-up.
LITERAL: dict[str, Any] = {
    "naef.amortization": "level",
    "naef.capitalized_interest_years": 0,
    "waterfall.dsra_funded_at_close": False,
    "waterfall.backstop_rate": 0.0,
    "waterfall.backstop_basis": "fixed",
    "waterfall.lockup_dscr": 0.0,
}

MODELS: dict[str, dict[str, Any]] = {
    "mean_reverting": {},
    "gbm": {"oil_price.model": "gbm", "oil_price.drift_per_year": 0.01},
    "two_factor": {"oil_price.model": "two_factor"},
    "bootstrap": {"oil_price.model": "bootstrap", "oil_price.bootstrap_block_years": 2},
    "fixed_prefix": {"oil_price.fixed_path_usd_per_bbl": [60.0, 65.0, 70.0]},
}


def scenario(model: str = "mean_reverting", **extra: Any) -> Scenario:
    # Default scenario (overrun and reservoir factors random), a shorter horizon, a tight
    # backstop so that some paths fall into distress (NaN first-shortfall years on the others).
    over = {
        "horizon.years": YEARS,
        "waterfall.backstop_usd_bn_per_year": 2.0,
        **MODELS[model],
        **extra,
    }
    return Scenario().with_overrides(over)


def run(sc: Scenario, **kw: Any) -> simulator.Results:
    kw.setdefault("paths", PATHS)
    kw.setdefault("seed", SEED)
    kw.setdefault("keep_series", True)
    return simulator.simulate(sc, **kw)


def assert_bits(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    """Same labels and the same float64 bits (so NaN positions, and -0.0 vs 0.0, count)."""
    assert a.index.equals(b.index) and a.columns.equals(b.columns), what
    x = np.ascontiguousarray(a.to_numpy())
    y = np.ascontiguousarray(b.to_numpy())
    assert x.dtype == y.dtype and x.shape == y.shape, what
    if x.tobytes() != y.tobytes():
        differ = ~((x == y) | (np.isnan(x) & np.isnan(y)))
        raise AssertionError(
            f"{what}: {int(differ.sum())} of {x.size} values differ; first at "
            f"{np.argwhere(differ)[:3].tolist()}; largest difference "
            f"{np.nanmax(np.abs(x - y)):.3e}"
        )


def assert_same(a: simulator.Results, b: simulator.Results, *, fans: bool = False) -> None:
    """Metrics, every kept series and the ledger identical to the bit (NaN where NaN)."""
    pd.testing.assert_frame_equal(a.metrics, b.metrics, check_exact=True)
    assert_bits(a.metrics.astype(float), b.metrics.astype(float), "metrics")
    for name in SERIES:
        assert_bits(a.series(name), b.series(name), name)
    assert_bits(a.ledger(), b.ledger(), "ledger")
    if fans:
        pd.testing.assert_frame_equal(a.fans(), b.fans(), check_exact=True)


@pytest.fixture(scope="module")
def reference() -> simulator.Results:
    """The default-chunked run every variant is compared with."""
    return run(scenario())


def test_case_is_not_degenerate(reference: simulator.Results) -> None:
    """The comparisons below cover NaNs, distress and varied paths (not a constant)."""
    m = reference.metrics
    assert 0.02 < m["distress"].mean() < 0.98
    assert m["first_shortfall_year"].isna().any() and m["first_shortfall_year"].notna().any()
    assert m["mdf_inflow_pv_usd_bn"].nunique() > PATHS // 2
    assert reference.series("oil_price_usd_per_bbl").iloc[-1].nunique() == PATHS
    assert len(chunk_bounds(PATHS, 1024)) == 5


@pytest.mark.parametrize("model", list(MODELS))
def test_same_seed_same_results_to_the_bit(model: str) -> None:
    sc = scenario(model)
    a, b = run(sc, paths=1500), run(sc, paths=1500)
    assert_same(a, b, fans=True)
    for name in ("dscr", "mdf_inflow_usd_bn"):
        pd.testing.assert_frame_equal(a.fan(name), b.fan(name), check_exact=True)
    assert a.manifest["input_hash"] == b.manifest["input_hash"]


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("chunk_paths", [1024, 2048, 32768])
def test_chunk_size_does_not_change_results(
    model: str, chunk_paths: int, reference: simulator.Results
) -> None:
    base = reference if model == "mean_reverting" else run(scenario(model))
    res = run(scenario(model), chunk_paths=chunk_paths)
    assert res.manifest["chunks"] == len(chunk_bounds(PATHS, chunk_paths))
    assert_same(res, base, fans=True)


@pytest.mark.parametrize("model", list(MODELS))
def test_a_chunk_of_one_path_gives_the_same_results(model: str) -> None:
    """2,049 paths in chunks of 1,024 end with a chunk of one path, whose years lie next to
    each other in memory; its sums over the years (present values, totals) must still be
    those of the same path in a chunk of many."""
    sc = scenario(model)
    one = simulator.simulate(sc, paths=2049, seed=SEED, chunk_paths=1024, keep_series=True)
    whole = simulator.simulate(sc, paths=2049, seed=SEED, chunk_paths=4096, keep_series=True)
    assert one.manifest["chunks"] == 3 and whole.manifest["chunks"] == 1
    assert_same(one, whole)


def _reversed_map(fn: Callable[[Any], Any], jobs: Iterable[Any]) -> list[Any]:
    """Run the chunks last-first, then hand the outputs back in input order."""
    todo = list(jobs)
    outs = [fn(job) for job in reversed(todo)]
    return outs[::-1]


def test_chunks_run_in_reverse_order(reference: simulator.Results) -> None:
    ran: list[int] = []

    def spy_map(fn: Callable[[Any], Any], jobs: Iterable[Any]) -> list[Any]:
        def spy(job: Any) -> Any:
            out = fn(job)
            ran.append(out.start)
            return out

        return _reversed_map(spy, jobs)

    res = run(scenario(), chunk_paths=RNG_BLOCK_PATHS, map_fn=spy_map)
    assert ran == sorted(ran, reverse=True) and len(ran) == 5  # really ran last-first
    assert_same(res, reference)


def test_chunks_on_two_threads(reference: simulator.Results) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        res = run(scenario(), chunk_paths=RNG_BLOCK_PATHS, map_fn=pool.map)
    assert_same(res, reference)


def test_chunks_in_two_worker_processes(reference: simulator.Results) -> None:
    """Chunks pickled to other processes (spawned: fresh interpreters) give the same bits."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        res = run(scenario(), chunk_paths=2 * RNG_BLOCK_PATHS, map_fn=pool.map)
    assert_same(res, reference)


@pytest.mark.parametrize("model", ["mean_reverting", "two_factor", "bootstrap"])
def test_paths_are_a_prefix_of_a_longer_run(model: str) -> None:
    """Path i depends on the seed and i only: 2500 paths are the first 2500 of 4096."""
    sc = scenario(model)
    short = run(sc, paths=2500)
    long = run(sc, paths=4096)
    pd.testing.assert_frame_equal(short.metrics, long.metrics.iloc[:2500], check_exact=True)
    for name in SERIES:
        assert_bits(short.series(name), long.series(name).iloc[:, :2500], name)
    # Also with other chunkings of the long run.
    other = run(sc, paths=4096, chunk_paths=3 * RNG_BLOCK_PATHS)
    pd.testing.assert_frame_equal(short.metrics, other.metrics.iloc[:2500], check_exact=True)
    assert_bits(short.metrics.astype(float), long.metrics.iloc[:2500].astype(float), "metrics")


def test_keep_series_subset_is_a_prefix(reference: simulator.Results) -> None:
    """Keeping fewer series does not change them nor any metric."""
    res = run(scenario(), keep_series=1500)
    pd.testing.assert_frame_equal(res.metrics, reference.metrics, check_exact=True)
    pd.testing.assert_frame_equal(res.ledger(), reference.ledger(), check_exact=True)
    for name in SERIES:
        assert_bits(res.series(name), reference.series(name).iloc[:, :1500], name)


def test_different_seeds_give_different_results(reference: simulator.Results) -> None:
    other = run(scenario(), seed=SEED + 1)
    a = reference.metrics["mdf_inflow_pv_usd_bn"].to_numpy()
    b = other.metrics["mdf_inflow_pv_usd_bn"].to_numpy()
    assert (a != b).mean() > 0.99
    pa = reference.series("oil_price_usd_per_bbl").to_numpy()[1:]
    pb = other.series("oil_price_usd_per_bbl").to_numpy()[1:]
    assert (pa != pb).all()
    assert not reference.ledger().equals(other.ledger())
    # Seeds next to each other, and seeds differing only above 32 bits, are distinct streams.
    far = run(scenario(), seed=SEED + 2**40, paths=1024)
    near = run(scenario(), seed=SEED, paths=1024)
    assert (
        far.series("oil_price_usd_per_bbl").to_numpy()[1:]
        != near.series("oil_price_usd_per_bbl").to_numpy()[1:]
    ).all()


def test_common_random_numbers_across_a_coupon_change(reference: simulator.Results) -> None:
    """Two scenarios differing only in the coupon share their draws (DESIGN.md section 7)."""
    # On the built structure the coupon sizes the interest reserve and the reserve account
    # funded from the proceeds, so it changes the capex (and the production it buys); the
    # prices are the same draws.
    other = run(scenario(**{"naef.coupon_rate": 0.09}))
    name = "oil_price_usd_per_bbl"
    assert_bits(other.series(name), reference.series(name), name)
    assert (other.ledger()["capex_usd_bn"] < reference.ledger()["capex_usd_bn"]).any()
    # On the proposal's literal structure only the fees come out of the proceeds: the coupon
    # enters the debt service alone, and everything before it is the same to the bit.
    low = run(scenario(**LITERAL))
    high = run(scenario(**LITERAL, **{"naef.coupon_rate": 0.09}))
    for name in ("oil_price_usd_per_bbl", "production_kbd", "revenue_usd_bn", "cfads_usd_bn"):
        assert_bits(high.series(name), low.series(name), name)
    pd.testing.assert_series_equal(
        high.metrics["us_supply_total_mmbbl"],
        low.metrics["us_supply_total_mmbbl"],
        check_exact=True,
    )
    # ... and the coupon does matter: more is scheduled, less reaches the MDF on most paths.
    s_hi = high.ledger()["scheduled_service_usd_bn"].to_numpy()
    s_lo = low.ledger()["scheduled_service_usd_bn"].to_numpy()
    assert ((s_hi > s_lo) | (s_lo == 0)).all() and (s_hi > s_lo).any()
    diff = (
        high.metrics["mdf_inflow_total_usd_bn"].to_numpy()
        - low.metrics["mdf_inflow_total_usd_bn"].to_numpy()
    )
    assert (diff < 0).mean() > 0.5


def test_common_random_numbers_across_a_price_model_parameter() -> None:
    """Changing a price parameter leaves the production draws (overrun, reservoir) alone;
    with costs that do not follow oil, production itself too."""
    a = run(scenario(), paths=1024)
    b = run(scenario(**{"oil_price.volatility": 0.4}), paths=1024)
    for name in ("capex_overrun_factor", "reservoir_factor"):
        assert_bits(a.metrics[[name]], b.metrics[[name]], name)
    assert not a.series("oil_price_usd_per_bbl").equals(b.series("oil_price_usd_per_bbl"))
    # What a year's capex buys follows the price (pemex.cost_price_elasticity)...
    assert not a.series("production_kbd").equals(b.series("production_kbd"))
    # ... and without that link the production of every path is the same to the bit.
    fixed = {"pemex.cost_price_elasticity": 0.0}
    a = run(scenario(**fixed), paths=1024)
    b = run(scenario(**fixed, **{"oil_price.volatility": 0.4}), paths=1024)
    assert_bits(a.series("production_kbd"), b.series("production_kbd"), "production_kbd")


def test_standalone_default_settled_per_chunk_is_each_paths_own() -> None:
    """The engine settles the stand-alone default of the paths that drew the backstop once per
    chunk, gathered from its blocks; each path's flag is what the chain gives it alone."""
    sc = simulator.load_scenario("scenarios/low-price.yaml")
    paths = 3000
    res = simulator.simulate(sc, paths=paths, seed=SEED, chunk_paths=2048)
    plan = Plan.build(sc)
    flows = run_paths(plan, draw_normals(SEED, 0, paths, plan.n_draws))
    got = res.metrics["standalone_default"].to_numpy(dtype=bool)
    assert np.array_equal(got, flows.standalone_default)
    drew = flows.pemex_support
    # Not degenerate: many paths drew, and without the backstop some of them default and
    # some do not.
    assert drew.sum() > 100
    assert 0 < flows.standalone_default[drew].sum() < drew.sum()
