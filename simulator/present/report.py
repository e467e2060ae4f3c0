"""One self-contained HTML report of a run folder: inputs, headline figures, charts, tables.

:func:`render_report` turns :class:`~simulator.run.results.Results` (and, optionally, a tornado and
a break-even price) into one HTML page; :func:`write_report` reads a run folder, computes the
optional parts and writes ``report.html`` into it atomically.

The page works offline and from a file: plotly.js is inlined once in the ``<head>`` and every
figure is drawn by a small script that calls it; there is no external script, stylesheet, font
or image, and the CSS is inline. Every text that comes from the scenario or the manifest (names,
descriptions, warnings) is HTML-escaped, since scenarios come from users. The figures are those
of :mod:`simulator.present.plots` and the cards of :mod:`simulator.present.cards`, so the
report looks like the page.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from ..analysis.breakeven import BreakEven, breakeven_flat_price
from ..analysis.sensitivity import Tornado
from ..analysis.sensitivity import tornado as run_tornado
from ..analysis.verdict import Verdict, verdict
from ..outputs import HEADLINE, display_scale, format_value, output
from ..run.results import Results, atomic_file
from ..scenario import SECTION_TITLES, SECTIONS, InputError, field_specs, iter_fields
from . import plots
from .cards import CARD_KEYS, Card, breakeven_card, headline_cards, sector_columns

__all__ = ["REPORT_FILE", "REPORT_SECTIONS", "render_report", "write_report"]

#: Name of the report inside a run folder.
REPORT_FILE = "report.html"

#: The sections of the page, in order: (id of the ``<h2>``, heading).
REPORT_SECTIONS: tuple[tuple[str, str], ...] = (
    ("verdict", "Verdict"),
    ("inputs", "Inputs"),
    ("headline", "Headline figures"),
    ("fan-charts", "Fan charts"),
    ("pv-distribution", "Distribution of the MDF present value"),
    ("money-flow", "Where the money went"),
    ("fund-by-sector", "The Development Fund by sector"),
    ("sensitivity", "Sensitivity"),
    ("summary-table", "Summary table"),
    ("manifest", "Manifest"),
)

#: Plotly options of every figure: no plotly logo link, resize with the page.
_PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}


_CSS = """
:root { --ink: #333333; --muted: #6b6b6b; --rule: #d9d9d9; --tint: #f5f7fa;
        --changed: #fff4d6; --accent: #0072B2; }
* { box-sizing: border-box; }
.verdict { padding: 0.6em 0.9em; border-left: 5px solid var(--muted); background: var(--tint); }
.verdict-holds { border-left-color: #009E73; }
.verdict-leans { border-left-color: #E69F00; }
.verdict-fails { border-left-color: #D55E00; }
body { margin: 0; color: var(--ink); background: #ffffff;
       font: 15px/1.5 Helvetica, Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 40px 0 12px; padding-top: 8px; border-top: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 24px 0 6px; }
p { margin: 6px 0 10px; }
code { font-family: Menlo, Consolas, monospace; font-size: 0.92em; background: var(--tint);
       padding: 0 3px; border-radius: 3px; }
.subtitle { color: var(--muted); margin: 0 0 12px; }
.description { white-space: pre-wrap; background: var(--tint); border-left: 3px solid
               var(--accent); padding: 8px 12px; margin: 8px 0 14px; }
.note { color: var(--muted); font-size: 13px; }
.warning { background: var(--changed); border-left: 3px solid #E69F00; padding: 6px 12px; }
nav { margin: 16px 0 8px; padding: 8px 12px; background: var(--tint); font-size: 14px; }
nav ol { margin: 0; padding-left: 0; list-style: none; display: flex; flex-wrap: wrap;
         gap: 4px 18px; }
nav a, a { color: var(--accent); text-decoration: none; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 4px 0 12px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: left;
         vertical-align: top; }
th { background: var(--tint); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.value { font-family: Menlo, Consolas, monospace; font-size: 12px;
           overflow-wrap: break-word; }
table.inputs { table-layout: fixed; }
table.inputs th:nth-child(1) { width: 26%; }
table.inputs th:nth-child(2), table.inputs th:nth-child(4) { width: 14%; }
table.inputs th:nth-child(3) { width: 9%; }
table.inputs td.key { white-space: normal; overflow-wrap: anywhere; }
td.unit { white-space: nowrap; }
td.key { font-family: Menlo, Consolas, monospace; font-size: 12px; white-space: nowrap; }
tr.changed td { background: var(--changed); }
.badge { display: inline-block; font-size: 11px; padding: 0 5px; border-radius: 3px;
         background: #E69F00; color: #ffffff; white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
         gap: 12px; margin: 10px 0 14px; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: 10px 12px;
        background: #ffffff; }
.card .label { font-size: 13px; color: var(--muted); min-height: 2.6em; }
.card .value { font-size: 24px; font-weight: 600; margin: 2px 0; }
.card .se { font-size: 13px; color: var(--muted); }
.card.breakeven { border-color: var(--accent); }
.figure { margin: 8px 0 20px; border: 1px solid var(--rule); border-radius: 6px;
          padding: 4px; }
.table-wrap { overflow-x: auto; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  .figure, .card, tr { break-inside: avoid; page-break-inside: avoid; }
  .figure { border: none; }
  .table-wrap { overflow: visible; }
  table { font-size: 8pt; }
  td.value, td.key, table code { font-size: 7pt; }
  table.inputs th:nth-child(1) { width: 28%; }
  table.inputs th:nth-child(2), table.inputs th:nth-child(4) { width: 15%; }
  table.summary { font-size: 7pt; }
  table.summary th, table.summary td { padding: 2px 3px; }
  .figure > div { zoom: 0.75; }
  a { color: var(--ink); }
}
"""

#: Width of the figures when the page is printed [CSS px]. Plotly sizes a figure to its box
#: when it is drawn, not when the page is laid out for paper, so the figures are redrawn at this
#: width before printing and back at the window's width afterwards. The print CSS zooms them by
#: 0.75, to 675 px, which fits A4 and US Letter with the browser's default margins; drawn at
#: 900 px the figures keep their titles and wrapped subtitles whole.
_PRINT_WIDTH_PX = 900

_PRINT_SCRIPT = f"""
(function () {{
  function graphs() {{
    return Array.prototype.slice.call(document.querySelectorAll('.plotly-graph-div'));
  }}
  window.addEventListener('beforeprint', function () {{
    graphs().forEach(function (g) {{ Plotly.relayout(g, {{width: {_PRINT_WIDTH_PX}}}); }});
  }});
  window.addEventListener('afterprint', function () {{
    graphs().forEach(function (g) {{
      Plotly.relayout(g, {{width: null}}).then(function () {{ Plotly.Plots.resize(g); }});
    }});
  }});
}})();
"""


# ---------------------------------------------------------------------------- helpers


def _e(text: Any) -> str:
    """HTML-escaped text of any value (quotes too, so it is safe in attributes)."""
    return html.escape(str(text), quote=True)


def _no_negative_zero(text: str) -> str:
    """``"-0.00"`` -> ``"0.00"``: a value that rounds to zero shows no sign."""
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return text[1:]
    return text


def _input_value(value: Any) -> str:
    """Display text of a scenario value: lists in brackets, floats without float noise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, list | tuple):
        if not value:
            return "[] (none)"
        return "[" + ", ".join(_input_value(v) for v in value) + "]"
    return str(value)


def _same(a: Any, b: Any) -> bool:
    """Whether a scenario value equals a default (lists and tuples compare by items)."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _num(value: Any, fmt: str) -> str:
    """A number formatted for a table; ``"n/a"`` for NaN or infinity."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return _e(value)
    if not math.isfinite(x):
        return "n/a"
    return _no_negative_zero(format(x, fmt))


def _figure_html(fig: go.Figure, div_id: str) -> str:
    """A figure as a ``<div>`` and the script that draws it, plotly.js not included."""
    body = pio.to_html(
        fig,
        config=_PLOTLY_CONFIG,
        include_plotlyjs=False,
        include_mathjax=False,
        full_html=False,
        div_id=div_id,
        default_width="100%",
    )
    return f'<div class="figure">{body}</div>'


def _table(
    header: Sequence[tuple[str, str]], rows: Iterable[Sequence[tuple[str, str]]], *, cls: str = ""
) -> str:
    """An HTML table from (class, already escaped cell HTML) pairs."""
    head = "".join(f'<th class="{c}">{h}</th>' if c else f"<th>{h}</th>" for c, h in header)
    body = []
    for row in rows:
        cells = "".join(f'<td class="{c}">{h}</td>' if c else f"<td>{h}</td>" for c, h in row)
        body.append(f"<tr>{cells}</tr>")
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<div class="table-wrap"><table{klass}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


# ---------------------------------------------------------------------------- sections


#: The colour of the verdict's headline, by its tone (the palette's green, orange, red).
_VERDICT_CLASS = {
    "holds": "verdict-holds",
    "leans_on_pemex": "verdict-leans",
    "fails": "verdict-fails",
}


def _verdict(v: Verdict) -> str:
    """The verdict in plain words, then the proposal's claims against the run."""
    details = "".join(f"<li>{_e(line)}</li>" for line in v.details())
    rows = []
    for c in v.claims:
        if not math.isfinite(c.p50):
            rows.append(
                [
                    ("", _e(c.claim)),
                    ("", "not applicable"),
                    ("num", ""),
                    ("num", ""),
                    ("", ""),
                    ("", _e(c.source)),
                ]
            )
            continue
        share = f"{c.share_met:.0%}" if math.isfinite(c.share_met) else "n/a (fans only)"
        rows.append(
            [
                ("", _e(c.claim)),
                ("num", _e(f"{c.target:,.4g} {c.unit}")),
                ("num", _e(f"{c.p50:,.1f} ({c.p10:,.1f} to {c.p90:,.1f})")),
                ("", "met" if c.met_on_median else "not met"),
                ("num", _e(share)),
                ("", _e(c.source)),
            ]
        )
    table = _table(
        [
            ("", "Claim"),
            ("num", "Claimed"),
            ("num", "Run: median (P10 to P90)"),
            ("", "On the median path"),
            ("num", "Paths reaching it"),
            ("", "Source"),
        ],
        rows,
    )
    rule = _e(v.rule)
    return (
        f'<p class="verdict {_VERDICT_CLASS[v.tone]}"><strong>{_e(v.headline())}</strong></p>'
        f'<ul>{details}</ul><h3>The proposal\'s claims</h3>{table}<p class="note">{rule}</p>'
    )


def _inputs(results: Results) -> str:
    sc = results.scenario
    specs = {s.key: s for s in field_specs()}
    values = dict(iter_fields(sc))
    changed = [k for k, v in values.items() if k in specs and not _same(v, specs[k].default)]
    parts = [
        f"<p><strong>Scenario:</strong> {_e(sc.name)}</p>",
        (
            f'<div class="description">{_e(sc.description)}</div>'
            if sc.description.strip()
            else '<p class="note">The scenario has no description.</p>'
        ),
        f"<p>{len(changed)} of {len(values)} fields differ from the project default "
        '(highlighted, marked <span class="badge">changed</span>). Units are those of the '
        "scenario file: rates are fractions per year, money is in billions of US dollars.</p>",
        f"<p><strong>Prices:</strong> {_e(sc.basis_note)}</p>",
    ]
    sim = sc.simulation
    if results.paths != sim.paths or results.seed != sim.seed:
        parts.append(
            f'<p class="note">This run used {results.paths:,} paths and seed {results.seed} '
            f"(from its manifest); the scenario's own simulation settings are listed below "
            f"({sim.paths:,} paths, seed {sim.seed}).</p>"
        )
    warnings = sc.warnings()
    if warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in warnings)
        parts.append(f'<div class="warning"><strong>Warnings</strong><ul>{items}</ul></div>')
    header = ("Field", "Value", "Unit", "Default", "Description")
    for section in SECTIONS:
        rows: list[tuple[list[tuple[str, str]], bool]] = []
        for key, value in values.items():
            if not key.startswith(section + "."):
                continue
            spec = specs.get(key)
            differs = spec is not None and not _same(value, spec.default)
            badge = ' <span class="badge">changed</span>' if differs else ""
            cells = [
                ("key", _e(key.split(".", 1)[1]) + badge),
                ("value", _e(_input_value(value))),
                ("unit", _e(spec.unit) if spec is not None else ""),
                ("value", _e(_input_value(spec.default)) if spec is not None else ""),
                ("", _e(spec.description) if spec is not None else ""),
            ]
            rows.append((cells, differs))
        title = SECTION_TITLES.get(section, section)
        parts.append(f'<h3 id="inputs-{_e(section)}">{_e(title)} <code>{_e(section)}</code></h3>')
        parts.append(_input_table(header, rows))
    return "\n".join(parts)


def _input_table(
    header: Sequence[str], rows: Sequence[tuple[Sequence[tuple[str, str]], bool]]
) -> str:
    """The table of one input section; rows whose value differs from the default are marked."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for cells, differs in rows:
        tds = "".join(f'<td class="{c}">{h}</td>' if c else f"<td>{h}</td>" for c, h in cells)
        attr = ' class="changed"' if differs else ""
        body.append(f"<tr{attr}>{tds}</tr>")
    return (
        f'<div class="table-wrap"><table class="inputs"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _card_html(card: Card, *, extra_class: str = "") -> str:
    """A card: its label, value and standard error, or the note of a figure that is the same
    on every path; the tooltip (``title``) is the card's definition, unit and error."""
    extra = ""
    if card["se_text"]:
        extra = f'<div class="se">{_e(card["se_text"])}</div>'
    elif card["note"]:
        extra = f'<div class="constant note">{_e(card["note"])}</div>'
    cls = f"card {extra_class}".strip()
    return (
        f'<div class="{cls}" data-key="{_e(card["key"])}" data-value="{card["value"]!r}" '
        f'title="{_e(card["tooltip"])}">'
        f'<div class="label">{_e(card["label"])}</div>'
        f'<div class="value">{_e(card["text"])}</div>{extra}</div>'
    )


def _other_headline(results: Results) -> str:
    """The headline figures that have no card, in a small table with their standard errors."""
    head = results.headline()
    rows = []
    for key in HEADLINE:
        if key in CARD_KEYS:
            continue
        se = head.get(f"{key}_se")
        text = format_value(key, float(head[key]))
        se_text = format_value(key, float(se)) if se is not None else ""
        rows.append(
            (
                ("", f'<span title="{_e(output(key).description)}">{_e(output(key).label)}</span>'),
                ("num", _e(text)),
                ("num", ("± " + _e(se_text)) if se_text else ""),
            )
        )
    return _table([("", "Figure"), ("num", "Value"), ("num", "Standard error")], rows)


def _headline(results: Results, breakeven: BreakEven | float | None) -> str:
    cards = [_card_html(c) for c in headline_cards(results)]
    if breakeven is not None:
        price = breakeven.price_usd_per_bbl if isinstance(breakeven, BreakEven) else breakeven
        cards.append(_card_html(breakeven_card(float(price)), extra_class="breakeven"))
    return "\n".join(
        [
            f"<p>{results.paths:,} paths, seed {results.seed}. Values are Monte Carlo estimates; "
            "± gives one standard error of the estimate. "
            f"{_e(results.scenario.basis_note)}"
            + (
                f" The break-even price is in USD/bbl of {_e(results.scenario.price_dollars)}."
                if breakeven is not None
                else ""
            )
            + "</p>",
            f'<div class="cards">{"".join(cards)}</div>',
            "<h3>Other headline figures</h3>",
            _other_headline(results),
        ]
    )


def _fans(results: Results) -> str:
    parts = [
        "<p>Each chart shows, by year, the median over paths (line) and the P25–P75 and "
        "P5–P95 bands of a per-year output.</p>"
    ]
    for name in plots.FAN_SERIES:
        parts.append(_figure_html(plots.fan_chart(results, name), f"fan-{name}"))
    return "\n".join(parts)


def _sectors(results: Results) -> str:
    """The fund's GDP uplift and investment by sector and year, and what each sector gets
    and gives over the paths (``Results.by_sector``)."""
    try:
        ledger = results.sector_ledger()
        table = results.by_sector()
    except KeyError:
        return (
            '<p class="note">This run folder has no outputs by sector (it was written by an '
            "older version); run the scenario again to add them.</p>"
        )
    figure = plots.sector_chart(ledger, scenario=results.scenario.name, paths=results.paths)
    columns = sector_columns()
    header = [("", "Sector")] + [("num", _e(title)) for _, title, _, _ in columns]
    rows = [
        [("key", _e(sector))]
        + [("num", _num(scale * row[name], fmt)) for name, _, fmt, scale in columns]
        for sector, row in table.iterrows()
    ]
    n = len(table)
    what = (
        "one sector, the single stock of infrastructure"
        if n == 1
        else f"{n} sectors (<code>mdf.sectors</code>)"
    )
    return "\n".join(
        [
            f"<p>Where the fund invests: {what}. The GDP uplift of each sector is its share of "
            "the fund's (they add up to the whole); means over the paths by year.</p>",
            _figure_html(figure, "fund-by-sector-chart"),
            _table(header, rows, cls="sectors"),
        ]
    )


def _sensitivity(tornado_result: Tornado | None) -> str:
    if tornado_result is None:
        return (
            "<p>No sensitivity analysis was computed for this report. To add the tornado "
            "charts (each main assumption moved alone to a low and a high value), run "
            "<code>naef report RUN_DIR --tornado</code>.</p>"
        )
    t = tornado_result
    parts = [
        f"<p>One parameter at a time, each at its low and high value with every other field "
        f"unchanged; {t.paths:,} paths per run, seed {t.seed}, the same random numbers in every "
        "run (common random numbers), so the bars are the parameters' effects, not Monte Carlo "
        "noise. Parameters are sorted by their swing, the largest at the top.</p>"
    ]
    for name in t.outputs:
        parts.append(_figure_html(plots.tornado_chart(t.ranking(name)), f"tornado-{name}"))
    return "\n".join(parts)


def _summary_table(results: Results) -> str:
    summary: pd.DataFrame = results.summary()
    cols = [str(c) for c in summary.columns]
    header = [("", "Metric"), ("", "Unit")] + [("num", _e(c)) for c in cols]
    rows = []
    for metric, row in summary.iterrows():
        name = str(metric)
        entry = output(name)
        unit, fmt, scale = entry.display_unit, entry.format, display_scale(name)
        cells: list[tuple[str, str]] = [
            (
                "",
                f'<span title="{_e(entry.description)}">{_e(entry.label)}</span><br>'
                f'<span class="note"><code>{_e(name)}</code></span>',
            ),
            ("unit", _e(unit)),
        ]
        for col in cols:
            if col == "n":
                cells.append(("num", _num(row[col], ",.0f")))
            elif col in ("sd", "se") and unit == "year":
                cells.append(("num", _num(row[col], ".2f")))  # a spread of years, not a year
            else:
                cells.append(("num", _num(scale * row[col], fmt)))
        rows.append(cells)
    return "\n".join(
        [
            "<p>Every per-path metric over the paths: number of paths with a defined value "
            "(<code>n</code>), mean, standard deviation (<code>sd</code>), standard error of the "
            "mean (<code>se</code>) and percentiles. Undefined values (no shortfall year, an IRR "
            "that does not exist) are left out.</p>",
            _table(header, rows, cls="summary"),
        ]
    )


def _manifest(results: Results) -> str:
    m: Mapping[str, Any] = results.manifest
    rows: list[tuple[tuple[str, str], tuple[str, str]]] = []

    def add(label: str, value_html: str) -> None:
        rows.append((("", _e(label)), ("", value_html)))

    add("Simulator version", _e(m.get("version", "unknown")))
    add("Scenario", _e(m.get("scenario", results.scenario.name)))
    add("Seed", _e(m.get("seed", results.seed)))
    add("Paths", _e(f"{int(m.get('paths', results.paths)):,}"))
    if "series_paths" in m:
        add("Paths kept for the fan charts", _e(f"{int(m['series_paths']):,}"))
    input_hash = str(m.get("input_hash", ""))
    check = (
        "matches the scenario above"
        if input_hash == results.scenario.content_hash()
        else "does not match the scenario above"
    )
    add("Input hash (SHA-256)", f'<code>{_e(input_hash)}</code> <span class="note">{check}</span>')
    timings = m.get("timings") or {}
    if isinstance(timings, Mapping) and timings:
        items = ", ".join(
            f"{_e(k.removesuffix('_s'))} {_num(v, '.3f')} s" for k, v in timings.items()
        )
        add("Timings", items)
    add("Created (UTC)", _e(m.get("created_utc", "unknown")))
    residual = m.get("identity_max_residual")
    residual_text = (
        f"{float(residual):.3g} USD bn" if isinstance(residual, int | float) else "unknown"
    )
    add(
        "Identity residual",
        _e(residual_text) + ' <span class="note">(largest gap of the sources-and-uses '
        "identity of the waterfall over paths and years)</span>",
    )
    shown = {
        "version",
        "scenario",
        "seed",
        "paths",
        "series_paths",
        "input_hash",
        "timings",
        "created_utc",
        "identity_max_residual",
    }
    for key, value in m.items():
        if key in shown:
            continue
        if isinstance(value, list | tuple):
            text = ", ".join(str(v) for v in value) if value else "none"
        elif isinstance(value, float):
            text = f"{value:,.6g}"
        else:
            text = str(value)
        add(str(key).replace("_", " ").capitalize(), _e(text))
    return _table([("", "Entry"), ("", "Value")], rows, cls="manifest")


# ---------------------------------------------------------------------------- the page


def render_report(
    results: Results,
    *,
    tornado: Tornado | None = None,
    breakeven: BreakEven | float | None = None,
    title: str | None = None,
) -> str:
    """One self-contained HTML page reporting a run.

    Parameters
    ----------
    results
        The run (from :func:`simulator.simulate` or :meth:`Results.from_dir`).
    tornado
        A one-at-a-time sensitivity analysis of the run's scenario
        (:func:`simulator.analysis.sensitivity.tornado`); one chart per output. Without it the
        Sensitivity section says how to add it.
    breakeven
        The flat break-even price [USD/bbl], as :class:`simulator.analysis.breakeven.BreakEven` or a
        number, shown as an extra headline card; omitted when None.
    title
        Page title; default ``"<scenario name>: NAEF simulation report"``.

    Returns
    -------
    str
        The page. plotly.js is inlined once; it loads nothing from the network. The sections
        are :data:`REPORT_SECTIONS`, each an ``<h2>`` with its id.
    """
    sc = results.scenario
    page_title = title if title is not None else f"{sc.name}: NAEF simulation report"
    h = sc.horizon
    bodies = {
        "verdict": _verdict(verdict(results)),
        "inputs": _inputs(results),
        "headline": _headline(results, breakeven),
        "fan-charts": _fans(results),
        "pv-distribution": (
            "<p>The present value of the inflows to the Mexican Development Fund on each path, "
            "paths in distress (any debt-service shortfall) in their own colour.</p>"
            + _figure_html(plots.pv_histogram(results), "pv-histogram")
        ),
        "money-flow": (
            "<p>Sources and uses of the waterfall's cash over the whole horizon (sums over the "
            "years of the mean over paths).</p>"
            + _figure_html(plots.money_flow(results), "money-flow-sankey")
        ),
        "fund-by-sector": _sectors(results),
        "sensitivity": _sensitivity(tornado),
        "summary-table": _summary_table(results),
        "manifest": _manifest(results),
    }
    nav = "".join(f'<li><a href="#{sid}">{_e(text)}</a></li>' for sid, text in REPORT_SECTIONS)
    sections = "\n".join(
        f'<section>\n<h2 id="{sid}">{_e(text)}</h2>\n{bodies[sid]}\n</section>'
        for sid, text in REPORT_SECTIONS
    )
    version = results.manifest.get("version", "unknown")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(page_title)}</title>
<style>{_CSS}</style>
<script type="text/javascript">window.PlotlyConfig = {{MathJaxConfig: 'local'}};</script>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<main>
<header>
<h1>{_e(page_title)}</h1>
<p class="subtitle">Scenario {_e(sc.name)}, {h.start_year}–{h.start_year + h.years - 1}:
{results.paths:,} paths, seed {results.seed}. Monte Carlo simulation of the 2005 NAEF
energy-for-infrastructure swap.</p>
</header>
<nav><ol>{nav}</ol></nav>
{sections}
<footer>Written by naef-simulator {_e(version)}. Self-contained page: it needs no network
connection.</footer>
</main>
<script type="text/javascript">{_PRINT_SCRIPT}</script>
</body>
</html>
"""


# ---------------------------------------------------------------------------- the file


def _write_atomic(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file in the same folder.

    The temporary file is synced and then renamed over ``target`` (``os.replace``), so a reader
    sees the previous file or the complete new one, never a part; on any failure the temporary
    file is removed and ``target`` is left as it was.
    """
    with atomic_file(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_report(run_dir: str | os.PathLike[str], *, tornado_paths: int | None = None) -> Path:
    """Write ``report.html`` into a run folder and return its path.

    Parameters
    ----------
    run_dir
        A complete run folder (written by :meth:`Results.to_dir`).
    tornado_paths
        When given, a tornado of the run's scenario (default parameters and outputs of
        :func:`simulator.analysis.sensitivity.tornado`) is computed with this many paths per run and
        the run's seed, and shown in the Sensitivity section. It takes ``1 + 2 x 10`` runs.

    Returns
    -------
    pathlib.Path
        ``run_dir/report.html``. The flat break-even price (:func:`breakeven_flat_price`) is
        shown when it exists; a scenario whose minimum DSCR never crosses 1 goes without it.

    Raises
    ------
    InputError
        If ``run_dir`` is not a complete run folder, or the tornado cannot be computed (a bad
        ``tornado_paths``, a parameter range that gives an invalid scenario).
    OSError
        If the file cannot be written (no partial or temporary file is left).
    """
    root = Path(run_dir)
    results = Results.from_dir(root)
    if tornado_paths is not None and (
        isinstance(tornado_paths, bool) or not isinstance(tornado_paths, int) or tornado_paths < 1
    ):
        raise InputError("report", "tornado_paths", f"got {tornado_paths!r}; want an integer >= 1")
    sensitivity = (
        run_tornado(results.scenario, paths=tornado_paths, seed=results.seed)
        if tornado_paths is not None
        else None
    )
    try:
        breakeven: BreakEven | None = breakeven_flat_price(results.scenario)
    except InputError:
        breakeven = None
    page = render_report(results, tornado=sensitivity, breakeven=breakeven)
    target = root / REPORT_FILE
    _write_atomic(target, page)
    return target
