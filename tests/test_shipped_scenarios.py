"""The scenario files that ship in scenarios/: they load, run, say where they come from, and
point the right way against the baseline (common random numbers: same seed, same draws)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import simulator
from simulator.cli import main
from simulator.history import WTI_ANNUAL_USD_PER_BBL
from simulator.outputs import FLAGS, UNDEFINED_METRICS
from simulator.run.results import Results
from simulator.scenario import SECTIONS, Scenario, iter_fields

REPO = Path(__file__).resolve().parents[1]
SCENARIO_DIR = REPO / "scenarios"
FILES = sorted(SCENARIO_DIR.glob("*.yaml"))

#: Per-path outputs of DESIGN.md section 6, section B (coverage, outcomes) and section D (what
#: each country gets), in order.
METRIC_NAMES = [
    "mdf_inflow_total_usd_bn",
    "mdf_inflow_pv_usd_bn",
    "infrastructure_investment_total_usd_bn",
    "infrastructure_capital_final_usd_bn",
    "gdp_uplift_final_pct",
    "gdp_uplift_pv_usd_bn",
    "loan_receipts_total_usd_bn",
    "loans_written_off_total_usd_bn",
    "default",
    "first_default_year",
    "standalone_default",
    "pemex_support",
    "pemex_support_pv_usd_bn",
    "min_dscr",
    "avg_dscr",
    "min_llcr",
    "tail_share",
    "distress",
    "first_shortfall_year",
    "shortfall_total_usd_bn",
    "backstop_draw_total_usd_bn",
    "cash_trapped_total_usd_bn",
    "project_irr",
    "us_supply_total_mmbbl",
    "added_oil_fifth_year_kbd",
    "us_supply_gulf_share_max",
    "government_take_pv_usd_bn",
    "take_value_pv_usd_bn",
    "take_profit_pv_usd_bn",
    "take_export_pv_usd_bn",
    "holder_loss",
    "holder_pv_usd_bn",
    "hedge_premium_pv_usd_bn",
    "hedge_payoff_pv_usd_bn",
    "mexico_benefit_pv_usd_bn",
    "debt_outstanding_at_horizon_usd_bn",
    "capex_overrun_factor",
    "reservoir_factor",
]
#: Flags (booleans) among them.
FLAG_NAMES = set(FLAGS)
#: Metrics that may legitimately be NaN (no IRR, no shortfall or default, no service on cash);
#: every shipped scenario produces, so its production tail is defined, and runs five years
#: or more, so its fifth year's oil is.
MAY_BE_NAN = UNDEFINED_METRICS - {"tail_share", "added_oil_fifth_year_kbd"}

PATHS = 1000
SEED = 20240607
CRN_PATHS = 2000
CRN_SEED = 77


def test_the_shipped_set_is_there() -> None:
    names = {p.stem for p in FILES}
    want = {
        "naef-2005",
        "historical-replay-2006",
        "low-price",
        "high-price",
        "ordinary-fiscal-take",
        "delayed-weaker-production",
        "rerun-2026",
        "proposal-as-written",
    }
    assert want <= names, f"missing: {sorted(want - names)}"


@pytest.fixture(scope="module")
def run_of() -> Callable[[str], Results]:
    """Cache: file stem -> results of a PATHS-path run with SEED."""
    cache: dict[str, Results] = {}

    def get(stem: str) -> Results:
        if stem not in cache:
            sc = simulator.load_scenario(SCENARIO_DIR / f"{stem}.yaml")
            cache[stem] = simulator.simulate(sc, paths=PATHS, seed=SEED)
        return cache[stem]

    return get


@pytest.fixture(scope="module")
def crn_run_of() -> Callable[[str], Results]:
    """Cache: file stem -> results of a CRN_PATHS-path run with CRN_SEED (common draws)."""
    cache: dict[str, Results] = {}

    def get(stem: str) -> Results:
        if stem not in cache:
            sc = simulator.load_scenario(SCENARIO_DIR / f"{stem}.yaml")
            cache[stem] = simulator.simulate(sc, paths=CRN_PATHS, seed=CRN_SEED)
        return cache[stem]

    return get


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_starts_with_a_comment_block(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, f"{path.name} is empty"
    assert lines[0].startswith("#"), f"{path.name}: first line is not a comment: {lines[0]!r}"
    # A block, not a lone line: the comment says where the numbers come from.
    head = [ln for ln in lines[:3] if ln.strip()]
    assert all(ln.startswith("#") for ln in head), head


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_name_equals_file_stem(path: Path) -> None:
    sc = simulator.load_scenario(path)
    assert sc.name == path.stem
    assert sc.description.strip(), f"{path.name} has no description"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_runs_and_outputs_are_well_formed(
    path: Path, run_of: Callable[[str], Results]
) -> None:
    res = run_of(path.stem)
    m = res.metrics
    assert list(m.columns) == METRIC_NAMES
    assert len(m) == PATHS
    assert list(res.summary().index) == METRIC_NAMES
    for name in FLAG_NAMES:
        assert m[name].dtype == bool, name
    for name in METRIC_NAMES:
        if name in MAY_BE_NAN or name in FLAG_NAMES:
            continue
        col = m[name].to_numpy(dtype=float)
        assert np.isfinite(col).all(), (
            f"{path.stem}: {name} has {(~np.isfinite(col)).sum()} NaN/inf"
        )
    for name in MAY_BE_NAN:
        assert not np.isinf(m[name].to_numpy(dtype=float)).any(), f"{path.stem}: {name} is inf"
    # first_shortfall_year: NaN exactly where there is no distress, a horizon year elsewhere.
    fsy = m["first_shortfall_year"]
    np.testing.assert_array_equal(fsy.isna().to_numpy(), ~m["distress"].to_numpy())
    years = set(res.scenario.years)
    assert set(fsy.dropna().astype(int)) <= years
    # Distress means an actual shortfall, and vice versa; a default is a distress, and its
    # year is a horizon year exactly where there is one.
    np.testing.assert_array_equal(
        m["distress"].to_numpy(), m["shortfall_total_usd_bn"].to_numpy() > 0
    )
    assert not (m["default"] & ~m["distress"]).any()
    fdy = m["first_default_year"]
    np.testing.assert_array_equal(fdy.isna().to_numpy(), ~m["default"].to_numpy())
    assert set(fdy.dropna().astype(int)) <= years
    assert res.manifest["identity_max_residual"] < 1e-9
    assert res.manifest["paths"] == PATHS
    assert res.manifest["seed"] == SEED


def test_baseline_is_the_model_defaults() -> None:
    """naef-2005.yaml writes out the 2005 proposal; the model's defaults are that proposal."""
    base = simulator.load_scenario(SCENARIO_DIR / "naef-2005.yaml")
    defaults = Scenario()
    got = dict(iter_fields(base))
    want = dict(iter_fields(defaults))
    assert got.keys() == want.keys()
    differ = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert not differ, f"naef-2005.yaml differs from Scenario() defaults: {differ}"
    for section in SECTIONS:
        assert getattr(base, section) == getattr(defaults, section), section
    assert base.name == defaults.name == "naef-2005"


def test_baseline_file_writes_out_every_field() -> None:
    """The baseline is readable on its own: every section and field is written in the file."""
    raw = yaml.safe_load((SCENARIO_DIR / "naef-2005.yaml").read_text(encoding="utf-8"))
    assert "extends" not in raw
    for section, model in SECTIONS.items():
        assert section in raw, section
        missing = set(model.model_fields) - set(raw[section])
        assert not missing, f"{section}: not written out: {sorted(missing)}"


def _replay_prices() -> np.ndarray:
    return np.array([WTI_ANNUAL_USD_PER_BBL[y] for y in range(2006, 2026)])


def test_historical_replay_fixes_20_years_of_history() -> None:
    sc = simulator.load_scenario(SCENARIO_DIR / "historical-replay-2006.yaml")
    assert sc.horizon.start_year == 2006
    fixed = sc.oil_price.fixed_path_usd_per_bbl
    assert len(fixed) == 20
    assert list(fixed) == list(_replay_prices())


def test_historical_replay_series_carries_history_exactly(
    run_of: Callable[[str], Results],
) -> None:
    """P[0..k-1] *are* the fixed prices (DESIGN.md section 1): 2008 is 99.67 on every path."""
    res = run_of("historical-replay-2006")
    price = res.series("oil_price_usd_per_bbl")
    assert price.shape == (res.scenario.horizon.years, PATHS)
    got = price.loc[2006:2025].to_numpy()
    want = np.repeat(_replay_prices()[:, None], PATHS, axis=1)
    off = got != want
    assert not off.any(), (
        f"{int(off.sum())} of {off.size} fixed prices differ from the table, "
        f"largest by {np.abs(got - want).max():.3g} USD/bbl"
    )


def test_historical_replay_matches_history_and_is_stochastic_after(
    run_of: Callable[[str], Results],
) -> None:
    res = run_of("historical-replay-2006")
    price = res.series("oil_price_usd_per_bbl")
    want = np.repeat(_replay_prices()[:, None], PATHS, axis=1)
    np.testing.assert_allclose(price.loc[2006:2025].to_numpy(), want, rtol=1e-12, atol=0)
    # Monte Carlo from 2026: the paths spread out.
    assert price.loc[2026].std() > 1.0
    assert price.loc[2040].std() > price.loc[2026].std()


def test_naef_validate_all_shipped_files(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["validate", *map(str, FILES)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert err == ""
    ok_lines = [ln for ln in out.splitlines() if ln.startswith("ok: ")]
    assert len(ok_lines) == len(FILES)
    for path in FILES:
        assert any(str(path) in ln for ln in ok_lines), path.name


# ---------------------------------------------------------------------- directions (CRN)


def _p_distress(res: Results) -> float:
    """The stand-alone probability of default: the structure's own credit, before the
    backstop (on more paths than the default itself, so a direction shows on 2,000)."""
    return float(res.metrics["standalone_default"].mean())


def _median_pv(res: Results) -> float:
    return float(res.metrics["mdf_inflow_pv_usd_bn"].median())


def test_low_price_is_worse_than_baseline(crn_run_of: Callable[[str], Results]) -> None:
    base, low = crn_run_of("naef-2005"), crn_run_of("low-price")
    assert _p_distress(low) > _p_distress(base)
    assert _median_pv(low) < _median_pv(base)
    # Same draws, lower long-run level: the price is below the baseline's on every path and year
    # after the first (and equal in the first).
    p_base = base.series("oil_price_usd_per_bbl").to_numpy()
    p_low = low.series("oil_price_usd_per_bbl").to_numpy()
    np.testing.assert_array_equal(p_low[0], p_base[0])
    assert (p_low[1:] < p_base[1:]).all()


def test_high_price_is_better_than_baseline(crn_run_of: Callable[[str], Results]) -> None:
    base, high = crn_run_of("naef-2005"), crn_run_of("high-price")
    assert _p_distress(high) < _p_distress(base)
    assert _median_pv(high) > _median_pv(base)
    p_base = base.series("oil_price_usd_per_bbl").to_numpy()
    p_high = high.series("oil_price_usd_per_bbl").to_numpy()
    assert (p_high[1:] > p_base[1:]).all()


def test_ordinary_fiscal_take_leaves_less_for_the_mdf(
    crn_run_of: Callable[[str], Results],
) -> None:
    base, taxed = crn_run_of("naef-2005"), crn_run_of("ordinary-fiscal-take")
    mb, mt = base.metrics, taxed.metrics
    assert mt["mdf_inflow_total_usd_bn"].mean() < mb["mdf_inflow_total_usd_bn"].mean()
    assert _median_pv(taxed) < _median_pv(base)
    # The take is paid: government take is positive in the taxed run and zero in the baseline.
    assert (base.ledger()["government_take_usd_bn"] == 0).all()
    assert taxed.ledger()["government_take_usd_bn"].sum() > 0
    # Same draws, same prices: the tax changes nothing upstream of the take.
    pd.testing.assert_frame_equal(
        base.series("oil_price_usd_per_bbl"), taxed.series("oil_price_usd_per_bbl")
    )
    pd.testing.assert_frame_equal(base.series("production_kbd"), taxed.series("production_kbd"))


def test_the_structure_alone_changes_the_headlines(crn_run_of: Callable[[str], Results]) -> None:
    """The proposal read literally against the baseline built as revenue-backed financings
    are, on the same draws: interest falls due before first oil in the literal structure, so
    the backstop pays on every path and the minimum coverage is the construction years'
    negative constant; with the interest reserve the backstop pays on a minority of paths and
    the minimum coverage is an operating year's."""
    literal, built = crn_run_of("proposal-as-written"), crn_run_of("naef-2005")
    lm, bm = literal.metrics, built.metrics
    assert lm["pemex_support"].all()
    assert lm["standalone_default"].all()
    assert bm["pemex_support"].mean() < 0.5
    assert bm["standalone_default"].mean() < 0.5
    # The literal minimum DSCR is, on (nearly) every path, the first service year's: CFADS is
    # minus the oversight cost whatever the price, over the first tranche's interest. The
    # built one varies with the path.
    sc = literal.scenario
    first_year = -sc.pemex.oversight_cost_usd_bn_per_year / (
        sc.naef.coupon_rate * sc.naef.issuance_usd_bn[0]
    )
    assert (np.isclose(lm["min_dscr"], first_year, rtol=1e-12)).mean() > 0.99
    assert bm["min_dscr"].nunique() > 100 and bm["min_dscr"].median() > 0
    # Same draws: the prices and the factors are the same paths.
    pd.testing.assert_frame_equal(
        literal.series("oil_price_usd_per_bbl"), built.series("oil_price_usd_per_bbl")
    )
