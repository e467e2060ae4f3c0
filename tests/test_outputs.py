"""The catalogue of outputs (simulator.outputs) against what a run really produces.

Every name the catalogue lists must be produced by the model and the engine, and everything
they produce must be in the catalogue; units must follow the project's naming convention
(DESIGN.md, units and conventions), written out here; display texts are checked against
strings written by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from simulator import outputs
from simulator.model.chain import Plan, path_metrics, run_paths
from simulator.outputs import CATALOGUE, HEADLINE, LEDGER, METRICS, OUTPUTS, SERIES, output
from simulator.run.engine import draw_normals
from simulator.run.results import Results
from simulator.scenario import Scenario

README = Path(__file__).resolve().parents[1] / "README.md"

#: DESIGN.md's units and conventions: a name's suffix gives its unit.
SUFFIX_UNITS = {
    "_usd_bn": "USD bn",
    "_usd_per_bbl": "USD/bbl",
    "_kbd": "kb/d",
    "_mmbbl": "mmbbl",
    "_pct": "%",
}


def test_names_are_unique_and_every_entry_is_complete() -> None:
    names = [o.name for o in CATALOGUE]
    assert len(names) == len(set(names))
    for o in CATALOGUE:
        assert o.label.strip() and o.description.strip(), o.name
        assert "[" not in o.label, f"{o.name}: the unit belongs in unit, not in the label"
        assert o.better in ("higher", "lower", "none"), o.name
        assert o.kinds and set(o.kinds) <= {"metric", "series", "ledger", "headline", "analysis"}
        format(1234.5678, o.format)  # a valid format spec


@pytest.mark.parametrize("entry", [o for o in CATALOGUE if "headline" not in o.kinds])
def test_units_follow_the_naming_convention(entry: outputs.Output) -> None:
    for suffix, unit in SUFFIX_UNITS.items():
        if entry.name.endswith(suffix):
            assert entry.unit == unit, entry.name
            return
    # Names without a unit suffix: ratios, flags and factors, the IRR and calendar years.
    assert entry.unit in ("-", "1/year", "year"), entry.name


@pytest.mark.parametrize("key", HEADLINE)
def test_headline_figures_summarize_a_metric(key: str) -> None:
    entry = output(key)
    assert entry.of in METRICS
    metric = output(entry.of)
    assert entry.better == metric.better, "a statistic of a metric is better the same way"
    if entry.statistic in ("probability", "share_positive"):
        assert entry.is_probability and entry.percent and entry.unit == "-"
    else:
        assert not entry.is_probability
        assert entry.unit == metric.unit and entry.percent == metric.percent
        assert entry.statistic in ("mean", "cvar5") or entry.percentile is not None


def test_a_run_produces_exactly_the_catalogue(baseline_run: Results) -> None:
    res = baseline_run
    assert list(res.metrics.columns) == list(METRICS)
    assert list(res.ledger().columns) == list(LEDGER)
    assert sorted(res.fans()["series"].unique()) == sorted(SERIES)
    for name in SERIES:
        assert res.series(name).shape == (res.scenario.horizon.years, res.paths)
    head = res.headline()
    want = [
        k
        for key in HEADLINE
        for k in (key, f"{key}_se")
        if k == key or OUTPUTS[key].has_standard_error
    ]
    assert list(head) == want


def test_the_chain_names_every_flow_the_catalogue_lists() -> None:
    sc = Scenario().with_overrides({"horizon.years": 12})
    plan = Plan.build(sc)
    flows = run_paths(plan, draw_normals(5, 0, 64, plan.n_draws))
    metrics = path_metrics(plan, flows)
    assert list(metrics) == list(METRICS)
    for name in METRICS:
        assert metrics[name].shape == (64,), name
    fixed = plan.flows()
    for name in (*SERIES, *LEDGER):
        arr = fixed[name] if name in fixed else flows[name]
        assert arr.shape[0] == 12, name
    with pytest.raises(KeyError):
        flows["no_such_flow"]


@pytest.mark.parametrize(
    ("name", "value", "text", "change"),
    [
        ("prob_default", 0.0544, "5.44 %", "+5.44 pp"),
        ("mdf_inflow_pv_p50", 74.1349, "74.13 USD bn", "+74.13 USD bn"),
        ("min_dscr_p50", -0.0004, "0.00", "0.00"),  # no "-0.00"
        ("us_supply_total_mean", 6795.6, "6,796 mmbbl", "+6,796 mmbbl"),
        ("project_irr_p50", 0.1914, "19.1 %", "+19.1 pp"),
        ("first_shortfall_year", 2031.0, "2031", "+2031"),
        ("prob_default", float("nan"), "n/a", "n/a"),
        ("tail_share", 0.087, "8.7 %", "+8.7 pp"),
    ],
)
def test_display_texts(name: str, value: float, text: str, change: str) -> None:
    assert outputs.format_value(name, value) == text
    assert outputs.format_change(name, value) == change


def test_unknown_output_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="prob_default"):
        output("prob_defaul")
    assert output("prob_default_se") is output("prob_default")


def test_readme_table_is_the_catalogue() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- outputs:start -->\n(.*?)<!-- outputs:end -->", text, re.S)
    assert match, "README.md has no table of outputs between its markers"
    assert match.group(1) == outputs.markdown_table(), (
        "the README's table of outputs is stale: paste simulator.outputs.markdown_table()"
    )


def test_readme_table_by_sector_is_the_catalogue() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- sector-outputs:start -->\n(.*?)<!-- sector-outputs:end -->", text, re.S
    )
    assert match, "README.md has no table of outputs by sector between its markers"
    assert match.group(1) == outputs.markdown_table(outputs.SECTOR_OUTPUTS.values()), (
        "the README's table by sector is stale: paste "
        "simulator.outputs.markdown_table(simulator.outputs.SECTOR_OUTPUTS.values())"
    )


def test_outputs_by_sector_are_what_the_run_reports(sector_run: Results) -> None:
    """The catalogue's outputs by sector are the first level of the columns of
    ``Results.sector_metrics`` and ``Results.sector_ledger``, in order; an unknown name is
    refused naming the known ones."""
    by_path = sector_run.sector_metrics().columns.get_level_values(0)
    assert tuple(dict.fromkeys(by_path)) == outputs.SECTOR_METRICS
    by_year = sector_run.sector_ledger().columns.get_level_values(0)
    assert tuple(dict.fromkeys(by_year)) == outputs.SECTOR_FLOWS
    assert set(outputs.SECTOR_OUTPUTS) == {*outputs.SECTOR_METRICS, *outputs.SECTOR_FLOWS}
    with pytest.raises(KeyError, match="investment_total_usd_bn"):
        outputs.sector_output("investment_totl_usd_bn")


def test_headline_statistics_are_the_documented_ones(baseline_run: Results) -> None:
    """Each headline figure recomputed here from the per-path metrics with numpy."""
    m, head = baseline_run.metrics, baseline_run.headline()
    pv = m["mdf_inflow_pv_usd_bn"].to_numpy()
    for key, flag in (
        ("prob_default", "default"),
        ("prob_standalone_default", "standalone_default"),
        ("prob_pemex_support", "pemex_support"),
    ):
        assert head[key] == pytest.approx(m[flag].mean(), rel=1e-15)
    assert head["pemex_support_pv_mean"] == pytest.approx(
        m["pemex_support_pv_usd_bn"].mean(), rel=1e-12
    )
    for key, metric in (
        ("min_dscr_p50", "min_dscr"),
        ("avg_dscr_p50", "avg_dscr"),
        ("min_llcr_p50", "min_llcr"),
    ):
        x = m[metric].to_numpy()
        assert head[key] == pytest.approx(np.median(x[np.isfinite(x)]), rel=1e-15)
    for q in (10, 50, 90):
        assert head[f"mdf_inflow_pv_p{q}"] == pytest.approx(np.percentile(pv, q), rel=1e-15)
    worst = np.sort(pv)[: int(np.ceil(0.05 * pv.size))]
    assert head["mdf_inflow_pv_cvar5"] == pytest.approx(worst.mean(), rel=1e-12)
    irr = m["project_irr"].to_numpy()
    assert head["project_irr_p50"] == pytest.approx(np.median(irr[np.isfinite(irr)]), rel=1e-15)
    supply = m["us_supply_total_mmbbl"].to_numpy()
    assert head["us_supply_total_mean"] == pytest.approx(supply.mean(), rel=1e-12)
    assert head["us_supply_total_mean_se"] == pytest.approx(
        supply.std(ddof=1) / np.sqrt(supply.size), rel=1e-12
    )
    p = head["prob_default"]
    assert head["prob_default_se"] == pytest.approx(np.sqrt(p * (1 - p) / pv.size), rel=1e-12)
