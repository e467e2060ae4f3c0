"""Shared figures (simulator.present.plots).

Every expected value is computed here from the run itself (``fan``, ``metrics``, ``ledger``,
``headline``, ``Comparison.table``) with numpy, never taken from the plotting code.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import simulator
from simulator.analysis.compare import TEXT_METRICS, Comparison
from simulator.outputs import SERIES, display_scale
from simulator.present import plots
from simulator.run.results import Results
from simulator.scenario import Scenario

ROOT = Path(__file__).parents[1]
PATHS = 2000
SEED = 1
MAX_JSON_BYTES = 1_500_000


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def res(baseline_run: Results) -> Results:
    return baseline_run


@pytest.fixture(scope="module")
def res_low(low20_run: Results) -> Results:
    return low20_run


@pytest.fixture(scope="module")
def comparison(res: Results, res_low: Results) -> Comparison:
    return Comparison(a=res, b=res_low)


# ---------------------------------------------------------------------------- helpers


def _traces(fig: Any, *, scenario: str) -> dict[tuple[str, str], Any]:
    """Fan traces of one scenario by (role, percentile column), from their ``meta``."""
    out = {}
    for tr in fig.data:
        meta = tr.meta
        if isinstance(meta, dict) and meta.get("scenario") == scenario:
            key = (meta["role"], meta["percentile"])
            assert key not in out, f"two traces for {key}"
            out[key] = tr
    return out


def _sankey(fig: Any) -> tuple[list[str], list[tuple[int, int, float]]]:
    """Node names and links (source, target, value) of the figure's one Sankey trace."""
    sankeys = [tr for tr in fig.data if tr.type == "sankey"]
    assert len(sankeys) == 1
    s = sankeys[0]
    names = [str(n) for n in s.node.customdata]
    links = [
        (int(a), int(b), float(v))
        for a, b, v in zip(s.link.source, s.link.target, s.link.value, strict=True)
    ]
    return names, links


def _node_flows(
    names: list[str], links: list[tuple[int, int, float]]
) -> tuple[dict[str, float], dict[str, float]]:
    inflow: dict[str, float] = defaultdict(float)
    outflow: dict[str, float] = defaultdict(float)
    for a, b, v in links:
        outflow[names[a]] += v
        inflow[names[b]] += v
    return inflow, outflow


def _shape(fig: Any, name: str) -> Any:
    found = [s for s in fig.layout.shapes if s.name == name]
    assert len(found) == 1, f"want one shape named {name!r}, got {len(found)}"
    return found[0]


# ---------------------------------------------------------------------------- labels


def test_fan_series_are_series() -> None:
    assert set(plots.FAN_SERIES) <= set(SERIES)
    assert plots.FAN_SERIES == (
        "oil_price_usd_per_bbl",
        "dscr",
        "mdf_inflow_usd_bn",
        "mdf_balance_usd_bn",
        "infrastructure_capital_usd_bn",
        "gdp_uplift_usd_bn",
    )


# ---------------------------------------------------------------------------- fan chart


@pytest.mark.parametrize("name", ["mdf_inflow_usd_bn", "dscr", "oil_price_usd_per_bbl"])
def test_fan_chart_traces_equal_fan(res: Results, name: str) -> None:
    fig = plots.fan_chart(res, name)
    fan = res.fan(name)
    traces = _traces(fig, scenario=res.scenario.name)
    assert set(traces) == {
        ("band", "p5"),
        ("band", "p95"),
        ("band", "p25"),
        ("band", "p75"),
        ("median", "p50"),
    }
    for (_, col), tr in traces.items():
        np.testing.assert_array_equal(np.asarray(tr.x), fan.index.to_numpy())
        np.testing.assert_array_equal(np.asarray(tr.y, dtype=float), fan[col].to_numpy())
    # Every trace of the figure is accounted for.
    assert len(fig.data) == len(traces)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("mdf_inflow_usd_bn", "USD bn"),
        ("oil_price_usd_per_bbl", "USD/bbl"),
        ("production_kbd", "kb/d"),
        ("dscr", "Debt service coverage ratio, DSCR"),
    ],
)
def test_fan_chart_axis_unit(res: Results, name: str, title: str) -> None:
    fig = plots.fan_chart(res, name)
    assert fig.layout.yaxis.title.text == title
    assert title in fig.layout.title.text or (name == "dscr" and "[-]" in fig.layout.title.text)


def test_fan_chart_compare_names_both_scenarios(res: Results, res_low: Results) -> None:
    name = "mdf_inflow_usd_bn"
    fig = plots.fan_chart(res, name, compare=res_low)
    a, b = res.scenario.name, res_low.scenario.name
    assert a != b
    legend_names = [tr.name for tr in fig.data if tr.showlegend is not False]
    assert any(a in n for n in legend_names)
    assert any(b in n for n in legend_names)
    # The comparison's median and P25-P75 band are its own fan, exactly.
    traces_b = _traces(fig, scenario=b)
    assert set(traces_b) == {("band", "p25"), ("band", "p75"), ("median", "p50")}
    fan_b = res_low.fan(name)
    for (_, col), tr in traces_b.items():
        np.testing.assert_array_equal(np.asarray(tr.y, dtype=float), fan_b[col].to_numpy())
    # The two runs differ, so the overlay is not a copy of the base.
    fan_a = res.fan(name)
    assert not np.allclose(fan_a["p50"].to_numpy(), fan_b["p50"].to_numpy())
    # Different colours for the two medians.
    med_a = _traces(fig, scenario=a)[("median", "p50")]
    assert med_a.line.color != traces_b[("median", "p50")].line.color


def test_fan_chart_compare_same_name_is_disambiguated(res: Results, baseline: Scenario) -> None:
    other = simulator.simulate(
        baseline.with_overrides({"naef.coupon_rate": 0.08}), paths=500, seed=SEED
    )
    assert other.scenario.name == res.scenario.name
    fig = plots.fan_chart(res, "dscr", compare=other)
    scenarios = {tr.meta["scenario"] for tr in fig.data}
    assert len(scenarios) == 2


def test_fan_chart_dscr_has_line_at_one(res: Results) -> None:
    fig = plots.fan_chart(res, "dscr")
    lines = [
        s
        for s in fig.layout.shapes
        if s.type == "line" and s.y0 == 1.0 and s.y1 == 1.0 and s.line.dash == "dash"
    ]
    assert len(lines) == 1
    other = plots.fan_chart(res, "mdf_inflow_usd_bn")
    assert not [s for s in other.layout.shapes if s.y0 == 1.0 and s.y1 == 1.0]


def test_fan_chart_falls_back_to_available_percentiles(baseline: Scenario) -> None:
    run = simulator.simulate(
        baseline.with_overrides({"reporting.percentiles": [10, 50, 90]}), paths=500, seed=SEED
    )
    fan = run.fan("mdf_balance_usd_bn")
    assert list(fan.columns) == ["p10", "p50", "p90"]
    fig = plots.fan_chart(run, "mdf_balance_usd_bn")
    traces = _traces(fig, scenario=run.scenario.name)
    assert set(traces) == {("band", "p10"), ("band", "p90"), ("median", "p50")}
    for (_, col), tr in traces.items():
        np.testing.assert_array_equal(np.asarray(tr.y, dtype=float), fan[col].to_numpy())


def test_fan_chart_unknown_series(res: Results) -> None:
    with pytest.raises(KeyError, match="unknown series"):
        plots.fan_chart(res, "no_such_series")


# ---------------------------------------------------------------------------- histogram


@pytest.mark.parametrize("metric", ["mdf_inflow_pv_usd_bn", "project_irr", "min_dscr"])
def test_pv_histogram_counts(res_low: Results, metric: str) -> None:
    bins = 37
    fig = plots.pv_histogram(res_low, metric=metric, bins=bins)
    bars = {tr.name: tr for tr in fig.data if tr.type == "bar"}
    assert set(bars) == {"in distress", "no shortfall"}
    x = res_low.metrics[metric].to_numpy(dtype=float)
    finite = np.isfinite(x)
    distress = res_low.metrics["distress"].to_numpy(dtype=bool)
    counts = {k: np.asarray(tr.y) for k, tr in bars.items()}
    assert all(len(c) == bins for c in counts.values())
    assert all((c >= 0).all() for c in counts.values())
    assert counts["in distress"].sum() + counts["no shortfall"].sum() == finite.sum()
    assert counts["in distress"].sum() == (distress & finite).sum()
    # Both groups share the same bins.
    np.testing.assert_array_equal(
        np.asarray(bars["in distress"].x), np.asarray(bars["no shortfall"].x)
    )


def test_pv_histogram_distress_and_percentiles(res: Results) -> None:
    fig = plots.pv_histogram(res)
    bars = {tr.name: tr for tr in fig.data if tr.type == "bar"}
    x = res.metrics["mdf_inflow_pv_usd_bn"].to_numpy(dtype=float)
    assert np.isfinite(x).all()
    n_distress = int(res.metrics["distress"].sum())
    assert n_distress > 0, "precondition: some paths in distress"
    assert int(np.asarray(bars["in distress"].y).sum()) == n_distress
    assert int(np.asarray(bars["no shortfall"].y).sum()) == len(x) - n_distress
    assert _shape(fig, "P50").x0 == pytest.approx(np.median(x), rel=1e-12)
    assert _shape(fig, "P50").x1 == _shape(fig, "P50").x0
    assert _shape(fig, "P10").x0 == pytest.approx(np.percentile(x, 10), rel=1e-12)
    assert _shape(fig, "P90").x0 == pytest.approx(np.percentile(x, 90), rel=1e-12)
    # Each line has its annotation.
    texts = [a.text for a in fig.layout.annotations]
    for q in ("P10", "P50", "P90"):
        assert any(t.startswith(q) for t in texts)
    # The subtitle gives the share in distress (the bars' split) and, apart, the share in
    # default (the stricter event), each as computed here from the paths.
    p_distress = 100 * float(res.metrics["distress"].mean())
    p_default = 100 * float(res.metrics["default"].mean())
    assert p_default < p_distress - 1.0, "precondition: the two shares differ"
    title = fig.layout.title.subtitle.text.replace("<br>", " ")
    shown = re.search(r"in distress \(any shortfall\) ([0-9.]+) %, in default ([0-9.]+) %", title)
    assert shown is not None, title
    assert float(shown[1]) == pytest.approx(p_distress, abs=0.051)
    assert float(shown[2]) == pytest.approx(p_default, abs=0.051)


def test_pv_histogram_bad_input(res: Results) -> None:
    with pytest.raises(KeyError):
        plots.pv_histogram(res, metric="no_such_metric")
    with pytest.raises(ValueError, match="bins"):
        plots.pv_histogram(res, bins=0)


# ---------------------------------------------------------------------------- money flow


def _check_money_flow(run: Results) -> tuple[dict[str, float], dict[str, float]]:
    fig = plots.money_flow(run)
    names, links = _sankey(fig)
    assert len(set(names)) == len(names)
    assert all(v >= 0 for _, _, v in links)
    inflow, outflow = _node_flows(names, links)
    intermediate = [n for n in names if inflow[n] > 0 and outflow[n] > 0]
    assert "Cash available" in intermediate
    assert "CFADS" in intermediate
    for n in intermediate:
        assert inflow[n] == pytest.approx(outflow[n], rel=1e-9), n
    ledger = run.ledger().sum(axis=0)
    assert inflow["MDF"] == pytest.approx(ledger["mdf_inflow_usd_bn"], rel=1e-12)
    assert inflow["Debt service paid"] == pytest.approx(
        ledger["debt_service_paid_usd_bn"], rel=1e-12
    )
    assert outflow["Revenue"] == pytest.approx(ledger["revenue_usd_bn"], rel=1e-9)
    assert inflow["CFADS"] == pytest.approx(ledger["cfads_usd_bn"], rel=1e-9)
    # Node labels carry the node's total.
    labels = list(fig.data[0].node.label)
    for name, label in zip(names, labels, strict=True):
        assert label.startswith(name)
        assert "USD bn" in label
    return inflow, outflow


def test_money_flow_balances(res: Results) -> None:
    _check_money_flow(res)


def test_money_flow_negative_pemex_retained(res_low: Results) -> None:
    ledger = res_low.ledger().sum(axis=0)
    assert ledger["pemex_retained_usd_bn"] < 0, "precondition: Pemex covers losses"
    assert ledger["backstop_draw_usd_bn"] > 0
    inflow, outflow = _check_money_flow(res_low)
    assert outflow["Pemex covers losses"] == pytest.approx(
        -ledger["pemex_retained_usd_bn"], rel=1e-12
    )
    assert inflow.get("Pemex retained", 0.0) == 0.0
    assert outflow["Backstop draws"] == pytest.approx(ledger["backstop_draw_usd_bn"], rel=1e-12)


def test_money_flow_positive_pemex_retained(baseline: Scenario) -> None:
    run = simulator.simulate(
        baseline.with_overrides({"waterfall.mdf_share": 0.5}), paths=PATHS, seed=SEED
    )
    ledger = run.ledger().sum(axis=0)
    assert ledger["pemex_retained_usd_bn"] > 0, "precondition: Pemex keeps half the surplus"
    inflow, _ = _check_money_flow(run)
    assert inflow["Pemex retained"] == pytest.approx(ledger["pemex_retained_usd_bn"], rel=1e-12)


# ---------------------------------------------------------------------------- yearly flows


@pytest.mark.parametrize("cumulative", [False, True])
def test_cumulative_flows_stack_to_cash(res_low: Results, cumulative: bool) -> None:
    fig = plots.cumulative_flows(res_low, cumulative=cumulative)
    ledger = res_low.ledger()
    if cumulative:
        ledger = ledger.cumsum()
    stack = sum(np.asarray(tr.y, dtype=float) for tr in fig.data if tr.type == "bar")
    # Sources-and-uses identity: the uses stack up to the waterfall's cash.
    np.testing.assert_allclose(stack, ledger["cash_usd_bn"].to_numpy(), rtol=1e-9, atol=1e-9)
    line = [tr for tr in fig.data if tr.type == "scatter"]
    assert len(line) == 1
    np.testing.assert_array_equal(np.asarray(line[0].y), ledger["cfads_usd_bn"].to_numpy())


# ---------------------------------------------------------------------------- comparison


def test_comparison_bars_match_table(comparison: Comparison) -> None:
    fig = plots.comparison_bars(comparison.table())
    table = comparison.table()
    scale = {m: display_scale(m) for m in TEXT_METRICS}
    seen = set()
    for tr in fig.data:
        if tr.type != "bar":
            continue
        assert tr.orientation == "h"
        for metric, x, half in zip(tr.meta, tr.x, tr.error_x.array, strict=True):
            seen.add(metric)
            want = table.loc[metric, "diff_mean"] * scale[metric]
            want_half = 1.96 * table.loc[metric, "diff_se"] * scale[metric]
            if math.isfinite(want):
                assert x == pytest.approx(want, rel=1e-12, abs=1e-15)
            if math.isfinite(want_half):
                assert half == pytest.approx(want_half, rel=1e-12, abs=1e-15)
    assert seen == set(scale)


# ---------------------------------------------------------------------------- size, offline


@pytest.fixture(scope="module")
def big(baseline: Scenario, low20: Scenario) -> Comparison:
    return simulator.compare(baseline, low20, paths=20_000, seed=SEED)


_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc\s*=\s*[\"']?https?://", re.IGNORECASE)


def test_figures_small_and_offline(big: Comparison) -> None:
    a, b = big.a, big.b
    assert a.paths == 20_000
    figures = {f"fan {name}": plots.fan_chart(a, name, compare=b) for name in plots.FAN_SERIES}
    figures |= {
        "histogram": plots.pv_histogram(a),
        "histogram irr": plots.pv_histogram(b, metric="project_irr"),
        "money flow": plots.money_flow(b),
        "yearly flows": plots.cumulative_flows(a),
        "comparison": plots.comparison_bars(big.table()),
    }
    for label, fig in figures.items():
        size = len(fig.to_json().encode())
        assert size < MAX_JSON_BYTES, f"{label}: {size:,} bytes"
    html = figures["money flow"].to_html(include_plotlyjs=True, full_html=True)
    assert not _EXTERNAL_SCRIPT.search(html)
    assert len(html) > 1_000_000  # plotly.js itself is embedded
    for label, fig in figures.items():
        html = fig.to_html(include_plotlyjs=True, full_html=True)
        assert not _EXTERNAL_SCRIPT.search(html), label


def test_sweep_heatmap_cells_are_the_frame() -> None:
    """Each cell is the frame's value of its (x, y) run, in percent for a probability."""
    import pandas as pd

    from simulator.scenario import InputError

    rng = np.random.default_rng(3)
    xs, ys = [35.0, 50.0, 70.0], [0.08, 0.04]
    rows = [
        {"oil_price.long_run_usd_per_bbl": x, "naef.coupon_rate": y, "prob_default": rng.random()}
        for x in xs
        for y in ys
    ]
    frame = pd.DataFrame(rows).sample(frac=1.0, random_state=1)  # any row order
    fig = plots.sweep_heatmap(
        frame, x="oil_price.long_run_usd_per_bbl", y="naef.coupon_rate", value="prob_default"
    )
    (heat,) = fig.data
    assert list(heat.x) == xs and list(heat.y) == sorted(ys)
    for row in rows:
        i = sorted(ys).index(row["naef.coupon_rate"])
        j = xs.index(row["oil_price.long_run_usd_per_bbl"])
        assert heat.z[i][j] == pytest.approx(100 * row["prob_default"])
    assert "USD/bbl" in fig.layout.xaxis.title.text
    with pytest.raises(InputError, match="two runs for one cell"):
        plots.sweep_heatmap(
            pd.concat([frame, frame]),
            x="oil_price.long_run_usd_per_bbl",
            y="naef.coupon_rate",
            value="prob_default",
        )
    with pytest.raises(InputError, match="not a column"):
        plots.sweep_heatmap(frame, x="naef.tenor_years", y="naef.coupon_rate", value="x")


def test_sobol_chart_bars_are_the_indices() -> None:
    from simulator.analysis.sensitivity import sobol

    s = sobol(
        Scenario(),
        parameters=["naef.coupon_rate", "oil_price.long_run_usd_per_bbl", "mdf.efficiency"],
        outputs=("mdf_inflow_pv_p50",),
        base_samples=16,
        paths_per_sample=32,
        seed=2,
    )
    fig = plots.sobol_chart(s.ranking("mdf_inflow_pv_p50"))
    rank = s.ranking("mdf_inflow_pv_p50")
    s1, st = fig.data
    assert list(s1.y) == list(rank["parameter"]) == list(st.y)
    np.testing.assert_array_equal(s1.x, rank["S1"])
    np.testing.assert_array_equal(st.error_x.array, rank["ST_conf"])
    assert list(rank["ST"]) == sorted(rank["ST"], reverse=True)


# ---------------------------------------------------------------------------- layout


def _full_layout(fig: Any) -> dict[str, Any]:
    """The figure's layout with its template's defaults filled in (what plotly.js draws)."""
    template = fig.layout.template.layout.to_plotly_json() if fig.layout.template else {}
    layout = fig.layout.to_plotly_json()
    merged: dict[str, Any] = {}
    for part in ("legend", "title"):
        merged[part] = {**template.get(part, {}), **layout.get(part, {})}
    return merged


def test_every_figure_keeps_its_legend_below_and_its_title_above(
    res: Results, res_low: Results, comparison: Comparison
) -> None:
    """The legend sits at the bottom of the figure, in a band the plot area leaves free
    (``yref="container"``), the title at the top pushing the plot area down (``automargin``):
    however many rows a legend wraps to, it cannot reach the title. Subtitles are wrapped to
    lines of at most SUBTITLE_WIDTH characters, so a narrow figure does not cut them."""
    from simulator.present.style import SUBTITLE_WIDTH

    figures = {
        **{f"fan {n}": plots.fan_chart(res, n, compare=res_low) for n in plots.FAN_SERIES},
        "histogram": plots.pv_histogram(res_low),
        "money flow": plots.money_flow(res),
        "cumulative flows": plots.cumulative_flows(res),
        "comparison": plots.comparison_bars(comparison.table()),
    }
    for name, fig in figures.items():
        layout = _full_layout(fig)
        legend, title = layout["legend"], layout["title"]
        below = (legend["yref"], legend["y"], legend["yanchor"])
        assert below == ("container", 0.0, "bottom"), name
        assert legend["orientation"] == "h", name
        assert title["automargin"] is True and title["yref"] == "container", name
        assert (title["y"], title["yanchor"]) == (1.0, "top"), name
        sub = title.get("subtitle", {}).get("text", "")
        assert sub, f"{name}: the subtitle is a title.subtitle, not a second line of the title"
        assert "<sup>" not in title["text"] and "<br>" not in title["text"], name
        lines = sub.split("<br>")
        assert all(len(line) <= SUBTITLE_WIDTH for line in lines), (name, lines)
        assert " ".join(lines).count("  ") == 0
    fan = figures["fan oil_price_usd_per_bbl"].layout.title.subtitle.text
    assert fan.replace("<br>", " ") == (
        f"Percentiles over paths by year: {res.scenario.name}, {res.paths:,} paths; "
        f"{res_low.scenario.name}, {res_low.paths:,} paths"
    )


# ---------------------------------------------------------------------------- fund by sector


def test_sector_chart_stacks_the_ledger_it_is_given(sector_run: Results) -> None:
    ledger = sector_run.sector_ledger()
    fig = plots.sector_chart(ledger, scenario=sector_run.scenario.name, paths=sector_run.paths)
    sectors = [s.name for s in sector_run.scenario.mdf.sectors]
    assert len(sectors) > 1
    for flow, kind in (
        ("sector_gdp_uplift_usd_bn", "scatter"),
        ("sector_investment_usd_bn", "bar"),
    ):
        traces = [t for t in fig.data if t.meta["flow"] == flow]
        assert [t.name for t in traces] == sectors
        assert {t.type for t in traces} == {kind}
        for t in traces:
            assert np.array_equal(np.asarray(t.x), ledger.index.to_numpy())
            np.testing.assert_array_equal(
                np.asarray(t.y, dtype=float), ledger[(flow, t.meta["sector"])].to_numpy()
            )
    uplift = [t for t in fig.data if t.meta["flow"] == "sector_gdp_uplift_usd_bn"]
    assert {t.stackgroup for t in uplift} == {"uplift"}
    assert fig.layout.barmode == "relative"
    # Stacked, the sectors make the fund's whole: its mean GDP uplift and investment by year.
    top = np.sum([np.asarray(t.y, dtype=float) for t in uplift], axis=0)
    whole = sector_run.series("gdp_uplift_usd_bn").to_numpy(dtype=float).mean(axis=1)
    np.testing.assert_allclose(top, whole, rtol=1e-9, atol=1e-9)
    bars = [t for t in fig.data if t.meta["flow"] == "sector_investment_usd_bn"]
    spent = sector_run.series("infrastructure_investment_usd_bn").to_numpy(dtype=float)
    np.testing.assert_allclose(
        np.sum([np.asarray(t.y, dtype=float) for t in bars], axis=0),
        spent.mean(axis=1),
        rtol=1e-9,
        atol=1e-9,
    )
    # Each sector once in the legend, in one colour in both panels.
    assert [t.name for t in fig.data if t.showlegend] == sectors
    for sector in sectors:
        area, bar = (t for t in fig.data if t.meta["sector"] == sector)
        assert area.line.color == bar.marker.color
    # Titles from the catalogue; the subtitle names the run.
    assert [a.text for a in fig.layout.annotations] == [
        "GDP uplift [USD bn]",
        "Fund investment [USD bn]",
    ]
    assert fig.layout.title.subtitle.text.startswith(
        f"{sector_run.scenario.name}: mean over 400 paths"
    )


def test_sector_chart_of_the_single_stock_and_a_bad_frame(res: Results) -> None:
    fig = plots.sector_chart(res.sector_ledger())
    assert [t.name for t in fig.data] == ["infrastructure", "infrastructure"]
    assert "1 sector," in fig.layout.title.subtitle.text
    with pytest.raises(KeyError, match="sector_investment_usd_bn"):
        plots.sector_chart(res.sector_ledger().drop(columns="sector_investment_usd_bn", level=0))


def test_fan_chart_compares_up_to_three_runs(
    res: Results, res_low: Results, baseline: Scenario
) -> None:
    dear = simulator.simulate(
        baseline.with_overrides({"name": "dear", "naef.coupon_rate": 0.09}), paths=300, seed=SEED
    )
    same = simulator.simulate(baseline, paths=300, seed=SEED)  # the shown run's name again
    fig = plots.fan_chart(res, "mdf_inflow_usd_bn", compare=[res_low, dear, same])
    a = res.scenario.name
    names = [f"{a} (A)", res_low.scenario.name, "dear", f"{a} (D)"]
    medians = {t.meta["scenario"]: t for t in fig.data if t.meta["role"] == "median"}
    assert list(medians) == names
    colours = [medians[n].line.color for n in names]
    assert colours == [plots.PALETTE["base"], *plots.COMPARE_COLOURS]
    for run, label in zip([res, res_low, dear, same], names, strict=True):
        np.testing.assert_array_equal(
            np.asarray(medians[label].y, dtype=float),
            run.fan("mdf_inflow_usd_bn")["p50"].to_numpy(),
        )
    sub = fig.layout.title.subtitle.text.replace("<br>", " ")
    assert sub.endswith(f"dear, 300 paths; {a} (D), 300 paths")
    with pytest.raises(ValueError, match="at most 3"):
        plots.fan_chart(res, "dscr", compare=[res_low, dear, same, res])
