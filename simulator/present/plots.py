"""Figures shared by the page, the notebooks and the HTML report (plotly).

Every function here is pure: it takes a run (:class:`~simulator.run.results.Results`) or the
frame an analysis returned (a comparison's table, a tornado's or Sobol analysis's ranking, a
per-year sensitivity, the distress drivers' price groups, a batch catalog) and returns a
``plotly.graph_objects.Figure``. Nothing reads or writes files, and nothing depends on
Streamlit, so a figure renders the same on the page, in a notebook and in a self-contained HTML
file (``fig.to_html(include_plotlyjs=True)`` embeds plotly.js; no CDN is needed).

Design choices:

- Figures plot aggregates only (percentile fans, histogram counts computed with numpy, ledger
  sums), never one trace per path, so their size does not grow with the number of paths: a few
  tens of kB whether the run has 2,000 or 200,000 paths.
- One look: :mod:`simulator.present.style`.
- Labels, units and number formats come from the catalogue of outputs
  (:mod:`simulator.outputs`); titles, axes and hover text carry them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..analysis.compare import TEXT_METRICS
from ..outputs import SERIES, display_scale, output, sector_output
from ..run.results import Results
from ..scenario import InputError, field_specs
from .style import EN_DASH, MINUS, PALETTE, TEMPLATE, new_figure, rgba
from .style import title as make_title

__all__ = [
    "FAN_SERIES",
    "PALETTE",
    "TEMPLATE",
    "comparison_bars",
    "cumulative_flows",
    "distress_price_chart",
    "fan_chart",
    "format_parameter_value",
    "money_flow",
    "pv_histogram",
    "sector_chart",
    "sobol_chart",
    "sweep_heatmap",
    "tornado_chart",
    "yearly_sensitivity_heatmap",
]

#: Series the page shows by default.
FAN_SERIES: tuple[str, ...] = (
    "oil_price_usd_per_bbl",
    "dscr",
    "mdf_inflow_usd_bn",
    "mdf_balance_usd_bn",
    "infrastructure_capital_usd_bn",
    "gdp_uplift_usd_bn",
)


def _unit_suffix(unit: str) -> str:
    """``" USD bn"`` for a unit, ``""`` for a dimensionless one (hover text)."""
    return "" if unit == "-" else f" {unit}"


def _axis_title(name: str) -> str:
    """Axis title of an output: its displayed unit, or its label when it has none (a ratio)."""
    entry = output(name)
    return entry.display_unit if entry.display_unit != "-" else entry.label


def _year_span(results: Results) -> str:
    h = results.scenario.horizon
    return f"{h.start_year}{EN_DASH}{h.start_year + h.years - 1}"


# ---------------------------------------------------------------------------- fan chart


def _percentile_of(column: str) -> float | None:
    """``"p5"`` -> 5.0; None for a column that is not a percentile."""
    if not column.startswith("p"):
        return None
    try:
        return float(column[1:])
    except ValueError:
        return None


def _fan_bands(
    columns: Sequence[str],
) -> tuple[str | None, tuple[str, str] | None, tuple[str, str] | None]:
    """Choose the median and the outer and inner bands among the percentile columns.

    The median is ``p50``, else the percentile nearest 50. The outer band is P5-P95 when
    present, else the lowest and highest percentiles on either side of the median; the inner
    band is P25-P75 when present, else the percentiles nearest 25 and 75 strictly inside the
    outer band. A band is None when the columns do not allow one.
    """
    pcts = {c: p for c in columns if (p := _percentile_of(str(c))) is not None}
    if not pcts:
        return None, None, None
    median = "p50" if "p50" in pcts else min(pcts, key=lambda c: abs(pcts[c] - 50.0))
    m = pcts[median]
    lower = sorted((c for c in pcts if pcts[c] < m), key=lambda c: pcts[c])
    upper = sorted((c for c in pcts if pcts[c] > m), key=lambda c: pcts[c])
    if not lower or not upper:
        return median, None, None
    if "p5" in pcts and "p95" in pcts and pcts["p5"] < m < pcts["p95"]:
        outer = ("p5", "p95")
    else:
        outer = (lower[0], upper[-1])
    if "p25" in pcts and "p75" in pcts and outer != ("p25", "p75") and pcts["p25"] < m:
        inner: tuple[str, str] | None = ("p25", "p75")
    else:
        lo = [c for c in lower if c != outer[0]]
        hi = [c for c in upper if c != outer[1]]
        if lo and hi:
            inner = (
                min(lo, key=lambda c: abs(pcts[c] - 25.0)),
                min(hi, key=lambda c: abs(pcts[c] - 75.0)),
            )
        else:
            inner = None
    return median, outer, inner


def _band_name(band: tuple[str, str]) -> str:
    return f"{band[0].upper()}{EN_DASH}{band[1].upper()}"


def _add_band(
    fig: go.Figure,
    fan: pd.DataFrame,
    band: tuple[str, str],
    *,
    scenario: str,
    colour: str,
    alpha: float,
    unit: str,
    fmt: str,
) -> None:
    """Two traces: the band's lower edge (no fill), then its upper edge filled down to it."""
    x = fan.index.to_numpy()
    group = f"{scenario} {_band_name(band)}"
    for i, col in enumerate(band):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=fan[col].to_numpy(dtype=float),
                mode="lines",
                line={"width": 0, "color": colour},
                fill="tonexty" if i == 1 else None,
                fillcolor=rgba(colour, alpha),
                name=f"{scenario}: {_band_name(band)}",
                legendgroup=group,
                showlegend=i == 1,
                meta={"scenario": scenario, "percentile": col, "role": "band"},
                hovertemplate=(
                    f"{scenario} {col.upper()}: %{{y:{fmt}}}{_unit_suffix(unit)}<extra></extra>"
                ),
            )
        )


def _add_median(
    fig: go.Figure,
    fan: pd.DataFrame,
    column: str,
    *,
    scenario: str,
    colour: str,
    unit: str,
    fmt: str,
) -> None:
    fig.add_trace(
        go.Scatter(
            x=fan.index.to_numpy(),
            y=fan[column].to_numpy(dtype=float),
            mode="lines",
            line={"width": 2.5, "color": colour},
            name=f"{scenario}: median" if column == "p50" else f"{scenario}: {column.upper()}",
            meta={"scenario": scenario, "percentile": column, "role": "median"},
            hovertemplate=(
                f"{scenario} {column.upper()}: %{{y:{fmt}}}{_unit_suffix(unit)}<extra></extra>"
            ),
        )
    )


#: Colours of the runs compared with the one shown, in order (up to three).
COMPARE_COLOURS: tuple[str, ...] = (PALETTE["compare"], PALETTE["pemex"], PALETTE["mdf"])


def _scenario_names(results: Results, compare: Sequence[Results]) -> list[str]:
    """Legend names of the runs, the one shown first; those that share a name get a letter
    (``(A)``, ``(B)``...) in the order given."""
    names = [results.scenario.name, *(c.scenario.name for c in compare)]
    shared = {n for n in names if names.count(n) > 1}
    return [f"{n} ({chr(65 + i)})" if n in shared else n for i, n in enumerate(names)]


def fan_chart(
    results: Results,
    name: str,
    *,
    compare: Results | Sequence[Results] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Percentile fan of a per-year series: P5-P95 and P25-P75 bands and the median line.

    Parameters
    ----------
    results
        The run to show (its fans, :meth:`Results.fan`).
    name
        A series of :data:`simulator.outputs.SERIES`; its label, unit and number format come
        from the catalogue of outputs.
    compare
        Another run, or up to three, whose median lines and P25-P75 bands are overlaid, each
        in its colour (:data:`COMPARE_COLOURS`). The legend names every scenario
        (``scenario.name``; runs that share a name are suffixed ``(A)``, ``(B)``... in order).
    title
        Figure title; default the series label with its unit.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces in drawing order: for each band its lower edge then its upper edge (filled to the
        lower), then the median, first for ``results`` (outer band, inner band, median), then for
        each compared run (inner band, median). Every trace's ``meta`` holds ``scenario``,
        ``percentile`` (the fan column it plots, e.g. ``"p25"``) and ``role`` (``"band"`` or
        ``"median"``). Percentile columns that are missing are replaced by the nearest ones
        present (e.g. P10-P90 when the run kept no P5/P95). For ``dscr`` a dashed horizontal
        line marks DSCR = 1 (layout shape named ``"DSCR = 1"``).

    Raises
    ------
    KeyError
        For an unknown series, or a run that kept neither series nor fans.
    ValueError
        For more than three runs to compare.
    """
    if name not in SERIES:
        raise KeyError(f"unknown series {name!r}; known: {', '.join(SERIES)}")
    others = [] if compare is None else [compare] if isinstance(compare, Results) else [*compare]
    if len(others) > len(COMPARE_COLOURS):
        raise ValueError(f"compare: got {len(others)} runs; want at most {len(COMPARE_COLOURS)}")
    entry = output(name)
    unit, fmt = entry.unit, entry.format
    label_a, *labels = _scenario_names(results, others)
    sub = ""
    if title is None:
        runs = [(label_a, results), *zip(labels, others, strict=True)]
        extra = "; ".join(f"{n}, {r.paths:,} paths" for n, r in runs)
        title, sub = entry.title, f"Percentiles over paths by year: {extra}"
    fig = new_figure(title, subtitle=sub)

    fan = results.fan(name)
    median, outer, inner = _fan_bands([str(c) for c in fan.columns])
    for band, alpha in ((outer, 0.15), (inner, 0.30)):
        if band is not None:
            _add_band(
                fig,
                fan,
                band,
                scenario=label_a,
                colour=PALETTE["base"],
                alpha=alpha,
                unit=unit,
                fmt=fmt,
            )
    if median is not None:
        _add_median(fig, fan, median, scenario=label_a, colour=PALETTE["base"], unit=unit, fmt=fmt)

    for other, label_b, colour in zip(others, labels, COMPARE_COLOURS, strict=False):
        fan_b = other.fan(name)
        median_b, outer_b, inner_b = _fan_bands([str(c) for c in fan_b.columns])
        band_b = inner_b if inner_b is not None else outer_b
        if band_b is not None:
            _add_band(
                fig,
                fan_b,
                band_b,
                scenario=label_b,
                colour=colour,
                alpha=0.30 if len(others) == 1 else 0.18,
                unit=unit,
                fmt=fmt,
            )
        if median_b is not None:
            _add_median(fig, fan_b, median_b, scenario=label_b, colour=colour, unit=unit, fmt=fmt)

    if name == "dscr":
        fig.add_hline(
            y=1.0,
            line={"dash": "dash", "color": PALETTE["distress"], "width": 1.5},
            name="DSCR = 1",
            annotation_text="DSCR = 1",
            annotation_position="top left",
        )
    fig.update_layout(
        hovermode="x unified",
        xaxis_title="Year",
        yaxis_title=_axis_title(name),
    )
    return fig


# ---------------------------------------------------------------------------- histogram


def pv_histogram(
    results: Results,
    *,
    metric: str = "mdf_inflow_pv_usd_bn",
    bins: int = 60,
) -> go.Figure:
    """Histogram of a per-path metric, paths in distress stacked in their own colour.

    Bin counts are computed here with :func:`numpy.histogram` over common edges and drawn as
    bars, so the figure holds ``2 x bins`` numbers whatever the number of paths.

    Parameters
    ----------
    results
        The run.
    metric
        A column of ``results.metrics`` (default the MDF inflow present value [USD bn]); a
        percent output (the IRR) is shown in per cent.
    bins
        Number of equal-width bins over the finite values [-].

    Returns
    -------
    plotly.graph_objects.Figure
        Two stacked bar traces named ``"no shortfall"`` and ``"in distress"`` (y = number of
        paths per bin; x = bin centres, width = bin widths; ``customdata`` the bin edges in the
        metric's unit). Paths whose metric is not finite (an IRR that does not exist) are left
        out and counted in the subtitle. Dotted vertical lines (layout shapes named ``"P10"``,
        ``"P50"``, ``"P90"``) mark the percentiles of the finite values, with annotations.

    Raises
    ------
    KeyError
        For a metric that ``results.metrics`` does not have.
    ValueError
        If ``bins`` is less than 1.
    """
    if metric not in results.metrics.columns:
        raise KeyError(f"unknown metric {metric!r}; known: {', '.join(results.metrics.columns)}")
    if bins < 1:
        raise ValueError(f"bins: got {bins!r}; want an integer >= 1")
    entry = output(metric)
    unit, fmt, axis = entry.display_unit, entry.format, entry.title
    x = results.metrics[metric].to_numpy(dtype=float) * display_scale(metric)
    distress = results.metrics["distress"].to_numpy(dtype=bool)
    finite = np.isfinite(x)
    n_finite = int(finite.sum())
    n_left_out = len(x) - n_finite
    p_distress = float(distress.mean()) if len(x) else math.nan
    p_default = float(results.metrics["default"].mean()) if len(x) else math.nan
    sub = (
        f"{results.scenario.name}, {len(x):,} paths; in distress (any shortfall) "
        f"{100 * p_distress:.1f} %, in default {100 * p_default:.1f} %"
    )
    if n_left_out:
        sub += f"; {n_left_out:,} paths without a finite value left out"
    fig = new_figure(f"{axis}: distribution over paths", subtitle=sub)
    fig.update_layout(
        barmode="stack",
        bargap=0.0,
        xaxis_title=axis,
        yaxis_title="Paths [-]",
        hovermode="closest",
    )
    if n_finite == 0:
        fig.add_annotation(
            text="No path has a finite value", showarrow=False, xref="paper", yref="paper"
        )
        return fig
    edges = np.histogram_bin_edges(x[finite], bins=bins)
    centres = 0.5 * (edges[:-1] + edges[1:])
    widths = np.diff(edges)
    bin_edges = np.column_stack([edges[:-1], edges[1:]])
    groups = (
        ("no shortfall", finite & ~distress, PALETTE["base"]),
        ("in distress", finite & distress, PALETTE["distress"]),
    )
    for trace_name, mask, colour in groups:
        counts, _ = np.histogram(x[mask], bins=edges)
        fig.add_trace(
            go.Bar(
                x=centres,
                y=counts,
                width=widths,
                name=trace_name,
                marker={"color": colour, "line": {"width": 0}},
                customdata=bin_edges,
                hovertemplate=(
                    f"%{{customdata[0]:{fmt}}} to %{{customdata[1]:{fmt}}}{_unit_suffix(unit)}"
                    f"<br>{trace_name}: %{{y:,}} paths<extra></extra>"
                ),
            )
        )
    values = np.percentile(x[finite], [10, 50, 90])
    for i, (q, v) in enumerate(zip(("P10", "P50", "P90"), values, strict=True)):
        fig.add_shape(
            type="line",
            x0=float(v),
            x1=float(v),
            y0=0.0,
            y1=1.0,
            xref="x",
            yref="paper",
            name=q,
            line={"dash": "dot", "color": PALETTE["ink"], "width": 1.5},
        )
        fig.add_annotation(
            x=float(v),
            y=1.0 - 0.07 * i,
            xref="x",
            yref="paper",
            text=f"{q} {v:{fmt}}{_unit_suffix(unit)}",
            showarrow=False,
            xanchor="left",
            xshift=3,
            font={"size": 11},
            bgcolor="rgba(255,255,255,0.8)",
        )
    return fig


# ---------------------------------------------------------------------------- money flow


def _node(name: str) -> str:
    """A flow's node in the money-flow chart: its short label in the catalogue."""
    return output(name).short_label


def _ledger_totals(results: Results) -> dict[str, float]:
    """Sum over the years of the ledger (means over paths) [USD bn]."""
    return {str(k): float(v) for k, v in results.ledger().sum(axis=0).items()}


def money_flow(results: Results) -> go.Figure:
    """Sankey diagram of where the money went over the whole horizon.

    Values are the sums over the years of the ledger (:meth:`Results.ledger`, means over paths)
    [USD bn]. Revenue splits into operating cost, government take and CFADS; CFADS, reserve
    income, the interest reserve's payments, draws on the reserve account (DSRA), its
    releases, backstop draws and, when Pemex carried operating losses, the node ``"Pemex covers
    losses"`` flow into ``"Cash available"``, which flows out to debt service paid, DSRA
    top-ups, cash trapped, backstop repaid, principal prepaid, the MDF and Pemex retained.
    Those two sides balance by the waterfall's sources-and-uses identity
    (:mod:`simulator.model.waterfall`), summed over the years::

        cash + ir_paid + dsra_draw + dsra_release + backstop_draw
            = debt_service_paid + dsra_topup + cash_trapped + backstop_repaid + debt_prepaid
              + mdf_inflow + pemex_retained

    with ``cash = CFADS + reserve income``. Each term enters with its ledger value; a term
    whose total is negative moves to the other side with its sign reversed, so every link
    value is >= 0: negative Pemex retained (Pemex covering negative operating cash, e.g.
    oversight before first oil) becomes the source ``"Pemex covers losses"``, and a negative
    CFADS total becomes an ``"Operating loss"`` funded from the cash available, which pays the
    part of the operating cost and government take that revenue did not cover.

    Parameters
    ----------
    results
        The run.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Sankey`` trace. Node ``customdata`` holds each node's plain name (the label
        adds its total, e.g. ``"MDF: 180.4 USD bn"``); links of zero value are left out.
        The subtitle gives scheduled and paid debt service and the arrears at the horizon.
    """
    s = _ledger_totals(results)

    revenue = s["revenue_usd_bn"]
    opex = s["opex_usd_bn"]
    take = s["government_take_usd_bn"]
    cfads = s["cfads_usd_bn"]

    pool = "Cash available"
    links: list[tuple[str, str, float]] = []
    # Sources and uses of the pool (DESIGN.md section 4 identity): ledger column -> the name
    # of its node when its total is negative and it moves to the other side.
    pool_in = {
        "cfads_usd_bn": "Operating loss",
        "reserve_income_usd_bn": "Negative reserve income",
        "interest_reserve_paid_usd_bn": "",
        "dsra_draw_usd_bn": "",
        "dsra_release_usd_bn": "",
        "backstop_draw_usd_bn": "",
    }
    pool_out = {
        "debt_service_paid_usd_bn": "Debt service refunded",
        "dsra_topup_usd_bn": "",
        "cash_trapped_usd_bn": "",
        "backstop_repaid_usd_bn": "",
        "debt_prepaid_usd_bn": "",
        "mdf_inflow_usd_bn": "MDF pays in",
        "pemex_retained_usd_bn": "Pemex covers losses",
    }
    for key, negative_name in pool_in.items():
        name, value = _node(key), s[key]
        if value >= 0:
            links.append((name, pool, value))
        else:
            links.append((pool, negative_name or f"{name} (negative)", -value))
    for key, negative_name in pool_out.items():
        name, value = _node(key), s[key]
        if value >= 0:
            links.append((pool, name, value))
        else:
            links.append((negative_name or f"{name} (negative)", pool, -value))

    # Revenue and what it paid for: opex + take + CFADS = revenue.
    if cfads >= 0:
        links += [
            (_node("revenue_usd_bn"), _node("opex_usd_bn"), opex),
            (_node("revenue_usd_bn"), _node("government_take_usd_bn"), take),
            (_node("revenue_usd_bn"), _node("cfads_usd_bn"), cfads),
        ]
    else:
        # Revenue pays the take first, then the operating cost; the operating loss pays the rest.
        take_from_revenue = min(take, revenue)
        opex_from_revenue = revenue - take_from_revenue
        links += [
            (_node("revenue_usd_bn"), _node("government_take_usd_bn"), take_from_revenue),
            (_node("revenue_usd_bn"), _node("opex_usd_bn"), opex_from_revenue),
            ("Operating loss", _node("government_take_usd_bn"), take - take_from_revenue),
            ("Operating loss", _node("opex_usd_bn"), opex - opex_from_revenue),
        ]
    links = [(a, b, v) for a, b, v in links if v > 0]

    colours = {
        _node("revenue_usd_bn"): PALETTE["base"],
        _node("opex_usd_bn"): PALETTE["neutral"],
        _node("government_take_usd_bn"): PALETTE["neutral"],
        _node("cfads_usd_bn"): PALETTE["base"],
        "Operating loss": PALETTE["distress"],
        _node("reserve_income_usd_bn"): PALETTE["reserve"],
        _node("interest_reserve_paid_usd_bn"): PALETTE["reserve"],
        _node("dsra_draw_usd_bn"): PALETTE["reserve"],
        _node("dsra_release_usd_bn"): PALETTE["reserve"],
        _node("backstop_draw_usd_bn"): PALETTE["pemex"],
        "Pemex covers losses": PALETTE["pemex"],
        pool: PALETTE["ink"],
        # The large uses first: the small ones then sit at the bottom of the last column,
        # away from the label of the cash pool, which is drawn across the flows to its right.
        _node("debt_service_paid_usd_bn"): PALETTE["debt"],
        _node("mdf_inflow_usd_bn"): PALETTE["mdf"],
        _node("pemex_retained_usd_bn"): PALETTE["pemex"],
        _node("dsra_topup_usd_bn"): PALETTE["reserve"],
        _node("cash_trapped_usd_bn"): PALETTE["reserve"],
        _node("backstop_repaid_usd_bn"): PALETTE["pemex"],
        _node("debt_prepaid_usd_bn"): PALETTE["debt"],
    }
    order = list(colours)
    used = {a for a, _, _ in links} | {b for _, b, _ in links}
    nodes = [n for n in order if n in used] + sorted(used - set(order))
    index = {n: i for i, n in enumerate(nodes)}
    inflow = dict.fromkeys(nodes, 0.0)
    outflow = dict.fromkeys(nodes, 0.0)
    for a, b, v in links:
        outflow[a] += v
        inflow[b] += v
    totals = [max(inflow[n], outflow[n]) for n in nodes]
    node_colours = [colours.get(n, PALETTE["neutral"]) for n in nodes]

    ledger = results.ledger()
    arrears = float(ledger["shortfall_usd_bn"].iloc[-1]) if len(ledger) else 0.0
    sub = (
        f"{results.scenario.name}, {_year_span(results)}: sums over years of the mean over "
        f"{results.paths:,} paths. Scheduled debt service {s['scheduled_service_usd_bn']:,.1f}, "
        f"paid {s['debt_service_paid_usd_bn']:,.1f}, arrears at the horizon {arrears:,.1f} USD bn. "
        f"{output('cfads_usd_bn').short}: {output('cfads_usd_bn').label.split(',')[0].lower()}"
    )
    fig = new_figure("Where the money went [USD bn]", subtitle=sub, height=520)
    fig.add_trace(
        go.Sankey(
            arrangement="snap",
            valueformat=",.1f",
            valuesuffix=" USD bn",
            node={
                "label": [f"{n}: {t:,.1f} USD bn" for n, t in zip(nodes, totals, strict=True)],
                "customdata": nodes,
                "color": node_colours,
                "pad": 14,
                "thickness": 16,
                "line": {"width": 0},
                "hovertemplate": "%{customdata}: %{value:,.2f} USD bn<extra></extra>",
            },
            link={
                "source": [index[a] for a, _, _ in links],
                "target": [index[b] for _, b, _ in links],
                "value": [v for _, _, v in links],
                # Coloured by the end that is not the cash pool (into the pool: its source).
                "color": [
                    rgba(colours.get(a if b == pool else b, PALETTE["neutral"]), 0.4)
                    for a, b, _ in links
                ],
                "hovertemplate": (
                    "%{source.customdata} to %{target.customdata}: "
                    "%{value:,.2f} USD bn<extra></extra>"
                ),
            },
        )
    )
    fig.update_layout(font={"size": 12})
    return fig


def cumulative_flows(results: Results, *, cumulative: bool = False) -> go.Figure:
    """Stacked bars by year of where the waterfall's cash went, with CFADS as a line.

    A simpler alternative to :func:`money_flow`. The bars are debt service paid from the cash
    (what the interest reserve paid is left out: it came from the proceeds), principal
    prepaid, MDF inflow, Pemex retained (negative where Pemex carried operating losses) and the
    net of the reserve account and backstop (top-ups, trapped cash and repayments less draws
    and releases), so by the sources-and-uses identity each year's stack sums to the cash of
    the waterfall (CFADS plus reserve income). Values are ledger means over paths [USD bn].

    Parameters
    ----------
    results
        The run.
    cumulative
        Plot running totals from the first year instead of the flows of each year.

    Returns
    -------
    plotly.graph_objects.Figure
        Five bar traces (``barmode="relative"``: negative values stack below zero) and a line
        trace ``"CFADS"``.
    """
    ledger = results.ledger()
    if cumulative:
        ledger = ledger.cumsum()
    years = ledger.index.to_numpy()
    reserve_net = (
        ledger["dsra_topup_usd_bn"]
        + ledger["cash_trapped_usd_bn"]
        + ledger["backstop_repaid_usd_bn"]
        - ledger["dsra_draw_usd_bn"]
        - ledger["dsra_release_usd_bn"]
        - ledger["backstop_draw_usd_bn"]
    )
    from_cash = ledger["debt_service_paid_usd_bn"] - ledger["interest_reserve_paid_usd_bn"]
    bars: tuple[tuple[str, pd.Series, str], ...] = (
        ("Debt service paid from cash", from_cash, PALETTE["debt"]),
        (_node("debt_prepaid_usd_bn"), ledger["debt_prepaid_usd_bn"], PALETTE["debt"]),
        (output("mdf_inflow_usd_bn").label, ledger["mdf_inflow_usd_bn"], PALETTE["mdf"]),
        (_node("pemex_retained_usd_bn"), ledger["pemex_retained_usd_bn"], PALETTE["pemex"]),
        ("DSRA and backstop, net", reserve_net, PALETTE["reserve"]),
    )
    kind = "cumulative since " + str(years[0]) if cumulative and len(years) else "by year"
    sub = f"{results.scenario.name}: mean over {results.paths:,} paths, {kind}"
    fig = new_figure("Uses of the waterfall's cash [USD bn]", subtitle=sub)
    for name, values, colour in bars:
        fig.add_trace(
            go.Bar(
                x=years,
                y=values.to_numpy(dtype=float),
                name=name,
                marker={"color": colour, "line": {"width": 0}},
                hovertemplate=f"{name}: %{{y:,.2f}} USD bn<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=years,
            y=ledger["cfads_usd_bn"].to_numpy(dtype=float),
            name="CFADS",
            mode="lines+markers",
            line={"color": PALETTE["ink"], "width": 2},
            marker={"size": 4},
            hovertemplate="CFADS: %{y:,.2f} USD bn<extra></extra>",
        )
    )
    fig.update_layout(
        barmode="relative",
        bargap=0.15,
        hovermode="x unified",
        xaxis_title="Year",
        yaxis_title="USD bn",
    )
    return fig


# ---------------------------------------------------------------------------- fund by sector

#: Colours of the fund's sectors, in the order of ``mdf.sectors`` (the fund's own colour first).
SECTOR_COLOURS: tuple[str, ...] = tuple(
    PALETTE[k] for k in ("mdf", "base", "compare", "pemex", "debt", "distress", "reserve")
)
#: The flows of :meth:`Results.sector_ledger` the chart draws (their labels, units and formats
#: from the catalogue's :data:`~simulator.outputs.SECTOR_OUTPUTS`).
SECTOR_CHART_FLOWS: tuple[str, ...] = ("sector_gdp_uplift_usd_bn", "sector_investment_usd_bn")


def sector_chart(
    ledger: pd.DataFrame, *, scenario: str = "", paths: int | None = None
) -> go.Figure:
    """The Development Fund by sector and year: the GDP uplift of each sector stacked (areas),
    and below it what the fund invests in each (stacked bars); means over paths [USD bn].

    Parameters
    ----------
    ledger
        :meth:`Results.sector_ledger`: index ``year``, columns ``(flow, sector)`` with the
        flows ``sector_gdp_uplift_usd_bn`` and ``sector_investment_usd_bn`` (others are not
        drawn). A fund without sectors is one sector, ``infrastructure``.
    scenario, paths
        For the subtitle: the scenario's name and the number of paths averaged.

    Returns
    -------
    plotly.graph_objects.Figure
        Two panels sharing the year axis. Per sector, in the ledger's order: a filled area
        trace (``stackgroup="uplift"``, top panel) and a bar trace (``barmode="relative"``,
        bottom panel), both named after the sector, in its colour, with ``meta`` ``{"sector",
        "flow"}``; the legend lists each sector once. Stacked, each panel's top is the
        fund's whole (the sectors' uplifts add up to the fund's GDP uplift). Titles, units and
        number formats come from the catalogue's entries of the two flows by sector.

    Raises
    ------
    KeyError
        For a ledger without one of the two flows.
    """
    flows = set(ledger.columns.get_level_values(0))
    for flow in SECTOR_CHART_FLOWS:
        if flow not in flows:
            raise KeyError(f"sector ledger: no {flow!r} flow; known: {', '.join(sorted(flows))}")
    uplift, invest = (sector_output(f) for f in SECTOR_CHART_FLOWS)
    sectors = list(dict.fromkeys(str(s) for s in ledger["sector_gdp_uplift_usd_bn"].columns))
    years = ledger.index.to_numpy()
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.62, 0.38],
        vertical_spacing=0.06,
    )
    for i, sector in enumerate(sectors):
        colour = SECTOR_COLOURS[i % len(SECTOR_COLOURS)]
        for row, flow, entry in (
            (1, "sector_gdp_uplift_usd_bn", uplift),
            (2, "sector_investment_usd_bn", invest),
        ):
            y = ledger[(flow, sector)].to_numpy(dtype=float)
            common: dict[str, Any] = {
                "x": years,
                "y": y,
                "name": sector,
                "legendgroup": sector,
                "showlegend": row == 1,
                "meta": {"sector": sector, "flow": flow},
                "hovertemplate": (
                    f"{sector}: %{{y:{entry.format}}} {entry.unit}<extra>{entry.label}</extra>"
                ),
            }
            if row == 1:
                trace: Any = go.Scatter(
                    **common,
                    mode="lines",
                    stackgroup="uplift",
                    line={"width": 0.8, "color": colour},
                    fillcolor=rgba(colour, 0.55),
                )
            else:
                trace = go.Bar(**common, marker={"color": colour, "line": {"width": 0}})
            fig.add_trace(trace, row=row, col=1)
    sub = f"Mean over {paths:,} paths by year" if paths else "Mean over paths by year"
    if scenario:
        sub = f"{scenario}: {sub[0].lower()}{sub[1:]}"
    sub += f"; {len(sectors)} {'sector' if len(sectors) == 1 else 'sectors'}, stacked"
    fig.update_layout(
        template=TEMPLATE,
        title=make_title("The Development Fund by sector", sub),
        barmode="relative",
        bargap=0.1,
        height=560,
        hovermode="x unified",
    )
    # Headroom above the tallest stack of bars for the panel's title.
    bars = ledger["sector_investment_usd_bn"].to_numpy(dtype=float).reshape(len(ledger), -1)
    tallest = float(np.clip(bars, 0.0, None).sum(axis=1).max(initial=0.0))
    if np.isfinite(tallest) and tallest > 0:
        fig.update_yaxes(range=[0.0, 1.3 * tallest], row=2, col=1)
    for row, entry in ((1, uplift), (2, invest)):
        fig.update_yaxes(title_text=entry.unit, row=row, col=1)
        # The panel's title inside its top left corner (the early years are near zero), where
        # it cannot meet the figure's title or subtitle.
        domain = fig.layout[f"yaxis{'' if row == 1 else row}"].domain
        fig.add_annotation(
            text=entry.title,
            name=entry.name,
            x=0.01,
            y=domain[1],
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="top",
            showarrow=False,
            font={"size": 13},
            bgcolor="rgba(255,255,255,0.8)",
        )
    fig.update_xaxes(title_text="Year", row=2, col=1)
    return fig


# ---------------------------------------------------------------------------- comparison


def _change_unit(metric: str) -> str:
    """Unit of a metric's difference as plotted: ``pp`` for a percent output, else its unit."""
    return "pp" if output(metric).percent else output(metric).unit


def _panel_title(unit: str) -> str:
    """Title of a panel of :func:`comparison_bars`, naming the unit of its differences."""
    if unit == "pp":
        return f"B {MINUS} A [percentage points]"
    if unit == "-":
        return f"B {MINUS} A [-]"
    return f"B {MINUS} A [{unit}]"


def comparison_bars(table: pd.DataFrame) -> go.Figure:
    """Mean paired differences ``B - A`` of the main metrics, with 95 % error bars.

    Parameters
    ----------
    table
        :meth:`simulator.analysis.compare.Comparison.table`: ``diff_mean`` is drawn with
        error bars of ``1.96 x diff_se`` (common random numbers make these much narrower than
        for independent runs) for the metrics of
        :data:`simulator.analysis.compare.TEXT_METRICS`; its ``attrs`` name the scenarios
        (``a``, ``b``) and the ``paths``. Metrics are grouped into one panel per unit of their
        change (USD bn; percentage points for probabilities and the IRR; ratios; mmbbl), each
        with its own x axis, so no bar is dwarfed by one in another unit.

    Returns
    -------
    plotly.graph_objects.Figure
        One horizontal bar trace per panel (``name`` the panel's unit; ``meta`` the metric
        names in bar order; ``error_x.array`` the half-widths), and a line at zero per panel.
    """
    groups: dict[str, list[str]] = {}
    for metric in TEXT_METRICS:
        if metric in table.index:
            groups.setdefault(_change_unit(metric), []).append(metric)
    a, b = table.attrs.get("a", "A"), table.attrs.get("b", "B")
    paths = table.attrs.get("paths")
    over = f" over {paths:,} paths" if paths else ""
    sub = (
        f"B = {b} minus A = {a}: mean paired difference{over} "
        f"± 1.96 standard errors (common random numbers)"
    )
    title = make_title(f"Change in the main metrics, B {MINUS} A", sub)
    if not groups:
        return new_figure(title["text"], subtitle=sub)
    units = list(groups)
    counts = [len(groups[u]) for u in units]
    fig = make_subplots(
        rows=len(units),
        cols=1,
        row_heights=[c / sum(counts) for c in counts],
        vertical_spacing=min(0.12, 0.45 / len(units)),
        subplot_titles=[_panel_title(u) for u in units],
    )
    for row, unit in enumerate(units, start=1):
        metrics = groups[unit]
        scales = np.array([display_scale(m) for m in metrics])
        sub_table = table.loc[metrics]
        diff = sub_table["diff_mean"].to_numpy(dtype=float) * scales
        half = 1.96 * sub_table["diff_se"].to_numpy(dtype=float) * scales
        labels = [output(m).label for m in metrics]
        suffix = _unit_suffix(unit)
        fig.add_trace(
            go.Bar(
                x=diff,
                y=labels,
                orientation="h",
                name=unit,
                meta=metrics,
                marker={"color": PALETTE["base"], "line": {"width": 0}},
                error_x={
                    "type": "data",
                    "array": half,
                    "visible": True,
                    "color": PALETTE["ink"],
                    "thickness": 1.5,
                    "width": 4,
                },
                customdata=half,
                hovertemplate=(
                    f"%{{y}}: %{{x:+,.3f}}{suffix} ± %{{customdata:,.3f}}{suffix}<extra></extra>"
                ),
                showlegend=False,
            ),
            row=row,
            col=1,
        )
        fig.add_vline(x=0.0, line={"color": PALETTE["ink"], "width": 1}, row=row, col=1)
        fig.update_yaxes(autorange="reversed", showgrid=False, row=row, col=1)
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        height=max(360, 90 + 55 * sum(counts) + 70 * len(units)),
        hovermode="closest",
    )
    return fig


# ---------------------------------------------------------------------------- sensitivity


def _change_label(name: str) -> tuple[str, float, str]:
    """Label, plot scale and unit of the change of an output (percent outputs in pp)."""
    entry = output(name)
    label = f"Standard error of: {entry.label}" if name.endswith("_se") else entry.label
    if entry.percent:
        return label, 100.0, "percentage points"
    return label, 1.0, entry.unit


def format_parameter_value(value: Any) -> str:
    """A parameter value for labels: integers as such, floats to six significant digits."""
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{float(value):,.6g}"


def tornado_chart(rank: pd.DataFrame) -> go.Figure:
    """Tornado chart of one output: change from the base at each parameter's low and high.

    Parameters
    ----------
    rank
        :meth:`simulator.analysis.sensitivity.Tornado.ranking` of one output (its ``attrs``
        name the output, the base value, the parameters' values and the runs).

    Returns
    -------
    plotly.graph_objects.Figure
        Two horizontal bar traces, ``"low value"`` and ``"high value"``, each bar running
        from 0 (the base run) to the output's change with the parameter at that value,
        labelled with the value. Parameters are sorted by swing, the largest at the top.
        Changes of probabilities and of the IRR are shown in percentage points, others in
        the output's unit. Style: :data:`simulator.present.plots.TEMPLATE` and ``PALETTE``.

    """
    attrs = rank.attrs
    ranges: Mapping[str, tuple[Any, Any]] = attrs["ranges"]
    label, scale, unit = _change_label(attrs["output"])
    params = rank["parameter"].tolist()
    base = float(attrs["base"])
    base_text = f"{base * scale:,.2f}" if scale != 1.0 else f"{base:,.2f}"
    base_unit = "%" if scale != 1.0 else ("" if unit == "-" else f" {unit}")
    unit_text = "" if unit == "-" else f" [{unit}]"
    effects = {end: rank[f"effect_{end}"].to_numpy(dtype=float) * scale for end in ("low", "high")}
    # A parameter with no effect at either end gets one note instead of two value labels
    # on top of each other at zero.
    no_effect = (effects["low"] == 0.0) & (effects["high"] == 0.0)
    fig = go.Figure()
    for end, colour in (("low", PALETTE["compare"]), ("high", PALETTE["base"])):
        values = [ranges[p][0 if end == "low" else 1] for p in params]
        at = rank[f"at_{end}"].to_numpy(dtype=float) * scale
        text = [format_parameter_value(v) for v in values]
        fig.add_trace(
            go.Bar(
                x=effects[end],
                y=params,
                orientation="h",
                name=f"{end} value",
                marker={"color": colour, "line": {"width": 0}},
                text=["" if quiet else t for t, quiet in zip(text, no_effect, strict=True)],
                textposition="outside",
                customdata=np.array(list(zip(text, at, strict=True)), dtype=object),
                hovertemplate=(
                    f"%{{y}} = %{{customdata[0]}} ({end})<br>"
                    f"{label}: %{{customdata[1]:,.3f}}"
                    f"{'' if scale == 1.0 else ' %'}"
                    f"<br>change from base: %{{x:+,.3f}}{unit_text}<extra></extra>"
                ),
            )
        )
    for p in np.asarray(params, dtype=object)[no_effect]:
        lo_v, hi_v = ranges[p]
        fig.add_annotation(
            x=0.0,
            y=p,
            text=f"no effect ({format_parameter_value(lo_v)} to {format_parameter_value(hi_v)})",
            showarrow=False,
            xanchor="left",
            xshift=6,
            font={"color": PALETTE["neutral"], "size": 12},
        )
    fig.add_vline(x=0.0, line={"color": PALETTE["ink"], "width": 1})
    # Room for the value labels beside the longest bars, inside the plot area.
    xs = np.concatenate(list(effects.values()))
    xs = xs[np.isfinite(xs)]
    lo_x = min(0.0, float(xs.min())) if xs.size else 0.0
    hi_x = max(0.0, float(xs.max())) if xs.size else 0.0
    pad = 0.16 * (hi_x - lo_x) if hi_x > lo_x else 1.0
    sub = (
        f"{attrs['scenario']}, {attrs['years']}: each "
        f"parameter alone at its low and high value; base {base_text}{base_unit}; "
        f"{attrs['paths']:,} paths, seed {attrs['seed']} (common random numbers)"
    )
    fig.update_layout(
        template=TEMPLATE,
        title=make_title(f"Tornado: {label}", sub),
        barmode="overlay",
        bargap=0.35,
        height=max(360, 170 + 42 * len(params)),
        hovermode="closest",
        xaxis={
            "title": {"text": f"Change from the base run{unit_text}"},
            "range": [lo_x - pad, hi_x + pad],
        },
        yaxis={
            "autorange": "reversed",
            "showgrid": False,
            "type": "category",
            "categoryorder": "array",
            "categoryarray": params,
        },
    )
    return fig


def sobol_chart(rank: pd.DataFrame) -> go.Figure:
    """First-order and total Sobol indices of one output, with their confidence intervals.

    Parameters
    ----------
    rank
        :meth:`simulator.analysis.sensitivity.Sobol.ranking` of one output (its ``attrs``
        name the output and the runs).

    Returns
    -------
    plotly.graph_objects.Figure
        Two horizontal bar traces per parameter, ``"first order (S1)"`` and ``"total (ST)"``,
        with error bars of the confidence half-widths; parameters sorted by total index, the
        largest at the top. An output that did not vary gets a note instead of bars.
    """
    attrs = rank.attrs
    label, _, _ = _change_label(attrs["output"])
    params = rank["parameter"].tolist()
    fig = go.Figure()
    for col, name, colour in (
        ("S1", "first order (S1)", PALETTE["base"]),
        ("ST", "total (ST)", PALETTE["compare"]),
    ):
        fig.add_trace(
            go.Bar(
                x=rank[col].to_numpy(dtype=float),
                y=params,
                orientation="h",
                name=name,
                marker={"color": colour, "line": {"width": 0}},
                error_x={
                    "type": "data",
                    "array": rank[f"{col}_conf"].to_numpy(dtype=float),
                    "color": PALETTE["ink"],
                    "thickness": 1,
                },
                customdata=np.column_stack([rank["low"], rank["high"]]),
                hovertemplate=(
                    f"%{{y}} (%{{customdata[0]:.4g}} to %{{customdata[1]:.4g}})<br>{name}: "
                    "%{x:.3f}<extra></extra>"
                ),
            )
        )
    if rank["ST"].isna().all():
        fig.add_annotation(
            text="the output does not vary over these ranges: no variance to share out",
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            showarrow=False,
            font={"color": PALETTE["neutral"]},
        )
    sub = (
        f"{attrs['scenario']}, {attrs['years']}: share of the "
        f"variance over the ranges; {attrs['evaluations']:,} parameter sets (N = "
        f"{attrs['base_samples']}) x {attrs['paths_per_sample']:,} paths, seed {attrs['seed']}"
    )
    fig.update_layout(
        template=TEMPLATE,
        title=make_title(f"Sobol indices: {label}", sub),
        barmode="group",
        bargap=0.3,
        height=max(360, 170 + 52 * len(params)),
        hovermode="closest",
        xaxis={"title": {"text": "Sobol index [-]"}, "rangemode": "tozero"},
        yaxis={
            "autorange": "reversed",
            "showgrid": False,
            "type": "category",
            "categoryorder": "array",
            "categoryarray": params,
        },
    )
    return fig


def sweep_heatmap(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    value: str,
    subtitle: str = "",
    colour: str | None = None,
) -> go.Figure:
    """Heatmap of a headline figure over a two-parameter sweep (one cell per run).

    Parameters
    ----------
    frame
        One row per run with columns ``x``, ``y`` and ``value``, e.g. the batch catalog
        (:func:`simulator.run.batch.read_catalog`) or a DuckDB query over it.
    x, y
        The swept columns: dotted fields (``"oil_price.long_run_usd_per_bbl"``), labelled with
        their description and unit from :func:`simulator.scenario.field_specs`, or any column.
    value
        A headline key (``"prob_default"``, ``"mdf_inflow_pv_p50"``...). Probabilities and
        the IRR are shown in percent.
    subtitle
        Second line of the title (e.g. the scenario and the paths).
    colour
        Colour of the top of the scale (default: the distress colour for probabilities, the
        scenario colour otherwise); the bottom is white.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Heatmap`` with the value written in each cell; rows ``y``, columns ``x``, in
        increasing order. Numeric swept values give numeric axes, so other traces (a
        break-even curve) can be drawn over the cells in the same units.

    Raises
    ------
    InputError
        A column missing from ``frame``, or two rows for the same cell.
    """
    for col in (x, y, value):
        if col not in frame.columns:
            raise InputError(
                "sweep heatmap", col, f"not a column (want one of: {', '.join(frame.columns)})"
            )
    if frame.duplicated([x, y]).any():
        raise InputError("sweep heatmap", f"{x}, {y}", "got two runs for one cell; want one")
    entry = output(value)
    label, scale, unit = entry.label, display_scale(value), entry.display_unit
    grid = frame.pivot(index=y, columns=x, values=value).sort_index().sort_index(axis=1)
    z = grid.to_numpy(dtype=float) * scale
    specs = {spec.key: spec for spec in field_specs()}

    def axis_title(col: str) -> str:
        spec = specs.get(col)
        return f"{col} [{spec.unit}]" if spec is not None and spec.unit != "-" else col

    fmt = ".1f" if unit == "%" or np.nanmax(np.abs(z), initial=0.0) < 100 else ",.0f"
    top = colour or (PALETTE["distress"] if entry.is_probability else PALETTE["base"])

    def ticks(values: pd.Index) -> list[Any]:
        # Numbers on a numeric axis (cells centred on the swept values, so curves such as a
        # break-even line can be drawn over them); anything else as categories.
        if pd.api.types.is_numeric_dtype(values):
            return [float(v) for v in values]
        return [str(v) for v in values]

    fig = go.Figure(
        go.Heatmap(
            x=ticks(grid.columns),
            y=ticks(grid.index),
            z=z,
            colorscale=[[0.0, "#FFFFFF"], [1.0, top]],
            texttemplate="%{z:" + fmt + "}",
            colorbar={"title": {"text": unit}},
            hovertemplate=f"{y} = %{{y}}<br>{x} = %{{x}}<br>{label}: %{{z:{fmt}}} {unit}"
            "<extra></extra>",
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        title=make_title(f"{label} [{unit}]", subtitle),
        xaxis={"title": {"text": axis_title(x)}},
        yaxis={"title": {"text": axis_title(y)}},
        height=max(360, 200 + 48 * len(grid.index)),
    )
    return fig


def yearly_sensitivity_heatmap(df: pd.DataFrame) -> go.Figure:
    """Heatmap of :func:`yearly_sensitivity`: parameters by year, coloured by the change.

    Parameters
    ----------
    df
        The frame :func:`yearly_sensitivity` returns (index year, one column per parameter).

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Heatmap`` (x year, y parameter, z the change high - low in the series' unit),
        on a diverging scale centred on zero (vermillion below, blue above; white no change);
        years where the change is undefined are left blank. Style:
        :data:`simulator.present.plots.TEMPLATE` and ``PALETTE``.
    """
    attrs = df.attrs or {}
    series = str(attrs.get("series", ""))
    statistic = str(attrs.get("statistic", "median"))
    label = output(series).label if series else "series"
    shown = output(series).unit if series else "-"
    unit = "" if shown == "-" else f" [{shown}]"
    ranges: Mapping[str, Any] = attrs.get("ranges", {})
    params = [str(c) for c in df.columns]
    y_labels = [
        f"{p} ({format_parameter_value(ranges[p][0])} \u2192 "
        f"{format_parameter_value(ranges[p][1])})"
        if p in ranges
        else p
        for p in params
    ]
    z = df.to_numpy(dtype=float).T
    finite = z[np.isfinite(z)]
    zmax = float(np.abs(finite).max()) if finite.size else 1.0
    zmax = zmax if zmax > 0 else 1.0
    scale = [[0.0, PALETTE["distress"]], [0.5, "#FFFFFF"], [1.0, PALETTE["base"]]]
    fig = go.Figure(
        go.Heatmap(
            x=[int(y) for y in df.index],
            y=y_labels,
            z=z,
            zmid=0.0,
            zmin=-zmax,
            zmax=zmax,
            colorscale=scale,
            hoverongaps=False,
            colorbar={"title": {"text": f"high {MINUS} low{unit}"}},
            hovertemplate="%{y}<br>%{x}: %{z:+,.4g}<extra></extra>",
        )
    )
    sub = f"change of the yearly {statistic} over paths, parameter at high {MINUS} at low"
    if "paths" in attrs:
        sub += f"; {attrs['paths']:,} paths, seed {attrs['seed']} (common random numbers)"
    name = attrs.get("scenario")
    title = f"Which parameter matters when: {label}" + (f", {name}" if name else "")
    fig.update_layout(
        template=TEMPLATE,
        title=make_title(title, sub),
        height=max(360, 170 + 38 * len(params)),
        xaxis={"title": {"text": "Year"}},
        yaxis={"autorange": "reversed", "showgrid": False, "type": "category"},
    )
    return fig


def distress_price_chart(df: pd.DataFrame) -> go.Figure:
    """Oil price by year of the distressed paths against the others: P10-P90 bands and medians.

    Parameters
    ----------
    df
        :func:`simulator.analysis.drivers.price_by_group` of a run.
    """
    years = [int(y) for y in df.index]
    fig = go.Figure()
    for group, colour, name in (
        ("other", PALETTE["base"], "no shortfall"),
        ("distressed", PALETTE["distress"], "in distress"),
    ):
        fig.add_trace(
            go.Scatter(
                x=years, y=df[f"{group}_p90"], line={"width": 0}, showlegend=False, hoverinfo="skip"
            )
        )
        fig.add_trace(
            go.Scatter(
                x=years,
                y=df[f"{group}_p10"],
                fill="tonexty",
                line={"width": 0},
                fillcolor=colour,
                opacity=0.25,
                name=f"{name}: P10-P90",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=years,
                y=df[f"{group}_p50"],
                line={"color": colour, "width": 2},
                name=f"{name}: median",
                hovertemplate="%{x}: %{y:,.1f} USD/bbl<extra></extra>",
            )
        )
    fig.update_layout(
        template=TEMPLATE,
        title=make_title("Oil price of the paths in distress and of the others [USD/bbl]"),
        xaxis={"title": {"text": "Year"}},
        yaxis={"title": {"text": "USD/bbl"}},
    )
    return fig
