"""Sobol indices: SALib's estimators on known functions, and the model run through the engine.

References that do not come from the code under test: the closed-form indices of the Ishigami
function (Ishigami and Homma 1990; Saltelli et al. 2008) and of a linear additive function, the
definitions of the indices (total >= first order, first orders summing to at most 1, exactly 0
for a parameter the output does not depend on), and :meth:`Results.headline` for the per-set
statistics.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import simulator.analysis.sensitivity
from simulator import Scenario, simulate
from simulator.analysis.sensitivity import SET_OUTPUTS, set_statistic, sobol, sobol_indices
from simulator.present import plots
from simulator.run.engine import simulate_sets
from simulator.scenario import InputError

A, B = 7.0, 0.1


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_reference() -> tuple[np.ndarray, np.ndarray]:
    """Closed-form first-order and total indices of the Ishigami function."""
    pi = math.pi
    v1 = 0.5 * (1 + B * pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_ishigami_indices_match_closed_form() -> None:
    bounds = {f"x{i}": (-math.pi, math.pi) for i in (1, 2, 3)}
    t = sobol_indices(ishigami, bounds, base_samples=2**13, seed=11)
    s1, st = ishigami_reference()
    assert t.attrs["rows"] == 2**13 * (3 + 2)
    for col, ref in (("S1", s1), ("ST", st)):
        got = t[col].to_numpy()
        conf = t[f"{col}_conf"].to_numpy()
        # Within the estimate's own confidence interval, and close in absolute terms.
        assert np.all(np.abs(got - ref) <= conf), (col, got, ref, conf)
        assert np.all(np.abs(got - ref) < 0.03), (col, got, ref)


def test_linear_additive_function() -> None:
    """y = sum a_i x_i, x_i ~ U(0, 1): S1_i = ST_i = a_i^2 / sum a_j^2."""
    a = np.array([1.0, 2.0, 4.0, 0.0])
    t = sobol_indices(
        lambda x: {"y": x @ a}, {f"p{i}": (0.0, 1.0) for i in range(4)}, base_samples=2**12, seed=5
    )
    ref = a**2 / (a**2).sum()
    np.testing.assert_allclose(t["S1"], ref, atol=0.02)
    np.testing.assert_allclose(t["ST"], ref, atol=0.02)
    # The parameter with no effect: exactly zero, with a zero-width interval.
    assert t.iloc[3][["S1", "S1_conf", "ST", "ST_conf"]].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_the_model_is_called_once_with_every_sample() -> None:
    calls: list[int] = []

    def f(x: np.ndarray) -> np.ndarray:
        calls.append(x.shape[0])
        return x.sum(axis=1)

    sobol_indices(f, {"a": (0.0, 1.0), "b": (0.0, 2.0)}, base_samples=64, seed=0)
    assert calls == [64 * (2 + 2)]


@pytest.mark.parametrize("n", [0, 3, 100, 1.5, True])
def test_base_samples_must_be_a_power_of_two(n: object) -> None:
    with pytest.raises(InputError, match="power of two"):
        sobol_indices(ishigami, {"x1": (0.0, 1.0)}, base_samples=n, seed=0)  # type: ignore[arg-type]


def test_a_constant_output_has_no_indices() -> None:
    t = sobol_indices(
        lambda x: np.ones(x.shape[0]), {"a": (0.0, 1.0), "b": (0.0, 1.0)}, base_samples=32, seed=0
    )
    assert t[["S1", "ST"]].isna().all().all()


def test_an_undefined_output_is_refused() -> None:
    def f(x: np.ndarray) -> np.ndarray:
        y = x[:, 0].copy()
        y[3] = np.nan
        return y

    with pytest.raises(InputError, match="undefined at 1 of"):
        sobol_indices(f, {"a": (0.0, 1.0)}, base_samples=32, seed=0)


# ---------------------------------------------------------------------------- the model

PARAMS = (
    "oil_price.long_run_usd_per_bbl",
    "naef.coupon_rate",
    "pemex.capex_usd_per_flowing_bpd",
    "mdf.efficiency",
)


@pytest.fixture(scope="module")
def model_sobol():
    calls: list[int] = []
    original = simulator.analysis.sensitivity.simulate_sets

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(next(iter(result.values())).shape[0])
        return result

    simulator.analysis.sensitivity.simulate_sets = spy
    try:
        s = sobol(
            Scenario(),
            parameters=PARAMS,
            outputs=("mdf_inflow_pv_p50", "prob_default", "mdf_inflow_total_mean"),
            base_samples=128,
            paths_per_sample=128,
            seed=7,
        )
    finally:
        simulator.analysis.sensitivity.simulate_sets = original
    return s, calls


def test_model_sets_run_in_one_vectorized_call(model_sobol) -> None:
    s, calls = model_sobol
    assert calls == [128 * (len(PARAMS) + 2)]
    assert s.evaluations == 128 * (len(PARAMS) + 2)
    assert s.paths_total == s.evaluations * 128


def test_model_total_at_least_first_order(model_sobol) -> None:
    s, _ = model_sobol
    t = s.table().dropna()
    assert len(t) == len(PARAMS) * len(s.outputs)
    assert np.all(t["ST"] + t["ST_conf"] >= t["S1"] - t["S1_conf"])
    assert np.all(t["ST"] >= -1e-12)


def test_model_first_orders_sum_to_at_most_one(model_sobol) -> None:
    s, _ = model_sobol
    for output, g in s.table().groupby("output"):
        tol = math.sqrt(float((g["S1_conf"] ** 2).sum()))
        assert g["S1"].sum() <= 1.0 + tol, output


def test_model_parameter_without_effect_has_zero_indices(model_sobol) -> None:
    """MDF efficiency acts after the waterfall: it cannot move default or the MDF inflow."""
    s, _ = model_sobol
    t = s.table().set_index(["output", "parameter"])
    for output in ("prob_default", "mdf_inflow_pv_p50", "mdf_inflow_total_mean"):
        row = t.loc[(output, "mdf.efficiency")]
        assert row[["S1", "S1_conf", "ST", "ST_conf"]].tolist() == [0.0, 0.0, 0.0, 0.0], output


def test_model_price_matters_more_than_coupon_for_mdf_pv(model_sobol) -> None:
    """Long-run price +-25% moves the MDF PV far more than coupon +-25% (tornado agrees)."""
    s, _ = model_sobol
    r = s.ranking("mdf_inflow_pv_p50").set_index("parameter")
    assert r.loc["oil_price.long_run_usd_per_bbl", "ST"] > 5 * r.loc["naef.coupon_rate", "ST"]
    assert plots.sobol_chart(s.ranking("prob_default")).data[0].name == "first order (S1)"


@pytest.mark.parametrize("output", sorted(SET_OUTPUTS))
def test_set_statistic_matches_headline(output: str) -> None:
    """The per-set outputs are the headline figures of an ordinary run of that set."""
    values = {"naef.coupon_rate": [0.03, 0.09], "oil_price.long_run_usd_per_bbl": [35.0, 70.0]}
    metrics = simulate_sets(Scenario(), values=values, paths_per_set=600)
    got = set_statistic(metrics, output)
    for s in range(2):
        one = Scenario().with_overrides({k: v[s] for k, v in values.items()})
        want = simulate(one, paths=600, keep_series=False).headline()[output]
        assert got[s] == pytest.approx(want, rel=1e-12, abs=1e-12, nan_ok=True)


@pytest.mark.parametrize("output", ["gdp_uplift_pv_usd_bn", "min_dscr", "default"])
def test_set_statistic_of_a_metric(output: str) -> None:
    """A per-path metric per set: its median over the paths where it is defined (a flag: the
    share of paths where it is set), as in an ordinary run of that set."""
    values = {"naef.coupon_rate": [0.03, 0.09], "mdf.efficiency": [0.5, 0.9]}
    metrics = simulate_sets(Scenario(), values=values, paths_per_set=600)
    got = set_statistic(metrics, output)
    for s in range(2):
        one = Scenario().with_overrides({k: v[s] for k, v in values.items()})
        x = simulate(one, paths=600, keep_series=False).metrics[output].to_numpy(dtype=float)
        want = x.mean() if output == "default" else np.median(x[np.isfinite(x)])
        assert got[s] == pytest.approx(want, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"parameters": ["pemex.lag_years"]}, "pemex.lag_years", "integer field"),
        ({"outputs": ["gdp_uplift_pv"]}, "gdp_uplift_pv", "did you mean 'gdp_uplift_pv_usd_bn'"),
        ({"parameters": ["naef.coupon"]}, "naef.coupon", "unknown parameter"),
        ({"outputs": ["prob_defaul"]}, "prob_defaul", "did you mean 'prob_default'"),
        ({"base_samples": 100}, "base_samples", "power of two"),
        ({"paths_per_sample": 0}, "paths_per_sample", "want an integer >= 1"),
    ],
)
def test_bad_sobol_requests_are_refused(kwargs: dict, field: str, text: str) -> None:
    args = {"parameters": ["naef.coupon_rate"], "base_samples": 8, "paths_per_sample": 8}
    args.update(kwargs)
    with pytest.raises(InputError) as err:
        sobol(Scenario(), **args)
    assert err.value.field == field
    assert text in str(err.value)
