"""The self-contained HTML report of a run folder (simulator.present.report).

Expected values come from the run itself (``Results.headline``, ``Results.summary``, the
manifest) and from :mod:`simulator.present.plots`'s own formatting of the cards, never from the
report code. The page is read with :class:`html.parser.HTMLParser`, which treats the content of a
``<script>`` as opaque text: plotly.js contains URLs in its code, so only tags, attributes and
CSS are checked for external resources.
"""

from __future__ import annotations

import html
import math
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from plotly.offline import get_plotlyjs

import simulator
from simulator.analysis.breakeven import breakeven_flat_price
from simulator.analysis.sensitivity import DEFAULT_OUTPUTS
from simulator.analysis.verdict import verdict
from simulator.present import cards as cards_module
from simulator.present import plots
from simulator.present import report as report_module
from simulator.present.report import render_report, write_report
from simulator.run.results import Results
from simulator.scenario import InputError, Scenario, iter_fields

ROOT = Path(__file__).parents[1]
PATHS = 2000
TORNADO_PATHS = 1000

#: The sections the report must have: id of the <h2> -> heading.
REQUIRED_SECTIONS: dict[str, str] = {
    "verdict": "Verdict",
    "inputs": "Inputs",
    "headline": "Headline figures",
    "fan-charts": "Fan charts",
    "pv-distribution": "Distribution of the MDF present value",
    "money-flow": "Where the money went",
    "fund-by-sector": "The Development Fund by sector",
    "sensitivity": "Sensitivity",
    "summary-table": "Summary table",
    "manifest": "Manifest",
}

#: Attributes whose value the browser fetches or navigates to.
URL_ATTRIBUTES = {
    "src",
    "href",
    "srcset",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "xlink:href",
    "manifest",
    "ping",
}
#: A URL that leaves the page: a scheme (http:, https:, ftp:...) or a protocol-relative //.
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
#: url(...) or @import in CSS pointing outside the page.
CSS_EXTERNAL = re.compile(
    r"url\(\s*['\"]?\s*(?:[a-z][a-z0-9+.-]*:)?//|@import\s+['\"]?\s*(?:url\()?\s*['\"]?"
    r"\s*(?:[a-z][a-z0-9+.-]*:)?//",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------- parsing


class Page(HTMLParser):
    """What the tests need from the page: tags, headings, CSS, cards and tables."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.h2: list[tuple[str, str]] = []  # (id, text)
        self.css: list[str] = []
        self.cards: dict[str, dict[str, str]] = {}
        self.tables: list[tuple[str, list[list[str]]]] = []  # (class, rows of cell texts)
        self.title = ""
        self._in: str | None = None  # "style", "h2" or "title"
        self._h2_id = ""
        self._text: list[str] = []
        self._card: str | None = None
        self._card_depth = 0
        self._card_field: str | None = None
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag in ("style", "h2", "title"):
            self._in, self._text = tag, []
            self._h2_id = a.get("id", "")
        if tag == "div":
            classes = a.get("class", "").split()
            if self._card is not None:
                self._card_depth += 1
                for field in ("label", "value", "se", "constant"):
                    if field in classes:
                        self._card_field = field
            elif "card" in classes and "data-key" in a:
                self._card, self._card_depth = a["data-key"], 1
                self.cards[self._card] = {
                    "data-value": a.get("data-value", ""),
                    "title": a.get("title", ""),
                }
        if tag == "table":
            self._table = []
            self.tables.append((a.get("class", ""), self._table))
        if tag == "tr" and self._table is not None:
            self._table.append([])
        if tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        text = "".join(self._text)
        if tag == "style" and self._in == "style":
            self.css.append(text)
            self._in = None
        elif tag == "h2" and self._in == "h2":
            self.h2.append((self._h2_id, text.strip()))
            self._in = None
        elif tag == "title" and self._in == "title":
            self.title = text
            self._in = None
        if tag == "div" and self._card is not None:
            self._card_depth -= 1
            self._card_field = None
            if self._card_depth == 0:
                self._card = None
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._text.append(data)
        if self._card is not None and self._card_field is not None:
            card = self.cards[self._card]
            card[self._card_field] = card.get(self._card_field, "") + data
        if self._cell is not None:
            self._cell.append(data)

    def table(self, cls: str) -> list[list[str]]:
        found = [rows for c, rows in self.tables if cls in c.split()]
        assert len(found) == 1, f"want one table of class {cls!r}, got {len(found)}"
        return found[0]


def external_resources(page: Page) -> list[str]:
    """Every reference to something outside the page, in tags, attributes and CSS."""
    bad = []
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in URL_ATTRIBUTES and EXTERNAL.match(value):
                bad.append(f"<{tag} {name}={value!r}>")
            if name == "srcset" and any(EXTERNAL.match(p) for p in value.split(",")):
                bad.append(f"<{tag} srcset={value!r}>")
            if name == "style" and CSS_EXTERNAL.search(value):
                bad.append(f"<{tag} style={value!r}>")
        if tag == "script" and "src" in attrs:
            bad.append(f"<script src={attrs['src']!r}>")  # the page inlines its scripts
        if tag == "link" and attrs.get("rel", "").lower() in (
            "stylesheet",
            "preconnect",
            "preload",
            "dns-prefetch",
            "import",
        ):
            bad.append(f"<link {attrs}>")
    for css in page.css:
        bad += [f"CSS {m.group(0)!r}" for m in CSS_EXTERNAL.finditer(css)]
        if "@import" in css:
            bad.append("CSS @import")
    return bad


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return simulator.load_scenario(ROOT / "scenarios" / "naef-2005.yaml")


@pytest.fixture(scope="module")
def results(baseline: Scenario) -> Results:
    return simulator.simulate(baseline, paths=PATHS)


@pytest.fixture(scope="module")
def run_dir(results: Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return results.to_dir(tmp_path_factory.mktemp("report") / "naef-2005")


@pytest.fixture(scope="module")
def report_path(run_dir: Path) -> Path:
    return write_report(run_dir, tornado_paths=TORNADO_PATHS)


@pytest.fixture(scope="module")
def text(report_path: Path) -> str:
    return report_path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(text: str) -> Page:
    return Page(text)


@pytest.fixture
def fresh_run(run_dir: Path, tmp_path: Path) -> Path:
    """A copy of the run folder without any report."""
    target = tmp_path / "run"
    shutil.copytree(run_dir, target, ignore=shutil.ignore_patterns("report.html"))
    return target


# ---------------------------------------------------------------------------- the file


def test_report_is_written_into_the_run_folder(run_dir: Path, report_path: Path, text: str):
    assert report_path == run_dir / "report.html"
    assert report_path.is_file()
    assert text.startswith("<!DOCTYPE html>")
    assert text.rstrip().endswith("</html>")
    # Nothing but the run's own files and the report: no temporary file left behind.
    listed = set(os.listdir(run_dir))
    assert listed == {*Results.from_dir(run_dir).manifest["files"], "report.html"}


def test_every_section_has_its_heading_in_order(page: Page):
    ids = [i for i, _ in page.h2]
    assert [i for i in ids if i in REQUIRED_SECTIONS] == list(REQUIRED_SECTIONS)
    assert len(ids) == len(set(ids)), "duplicate section ids"
    headings = dict(page.h2)
    for sid, heading in REQUIRED_SECTIONS.items():
        assert headings[sid] == heading
    # The table of contents links to every section.
    hrefs = {a.get("href") for tag, a in page.tags if tag == "a"}
    assert {f"#{sid}" for sid in REQUIRED_SECTIONS} <= hrefs


def test_no_external_resource(page: Page):
    assert external_resources(page) == []
    assert not any(tag == "link" for tag, _ in page.tags)
    assert not any(tag == "img" for tag, _ in page.tags)


def test_the_external_resource_check_finds_them():
    """The checker itself: each kind of external reference is caught."""
    samples = [
        '<script src="https://cdn.plot.ly/plotly-2.min.js"></script>',
        '<script src="//cdn.example.org/x.js"></script>',
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">',
        "<style>@import url(https://fonts.googleapis.com/css2?family=Inter);</style>",
        "<style>@import 'http://example.org/a.css';</style>",
        "<style>body { background: url('https://example.org/bg.png'); }</style>",
        '<div style="background-image: url(//example.org/a.png)"></div>',
        '<img src="http://example.org/a.png">',
        '<a href="https://example.org/">x</a>',
    ]
    for sample in samples:
        assert external_resources(Page(sample)), sample
    # Internal links and URLs inside script code are fine.
    ok = '<a href="#inputs">x</a><script>var u = "https://plot.ly";</script>'
    assert external_resources(Page(ok)) == []


def test_plotlyjs_is_embedded_exactly_once(text: str, page: Page):
    js = get_plotlyjs()
    assert text.count(js) == 1
    assert len(text) < 2 * len(js)  # not embedded a second time in another form
    assert text.count("plotly.js v") == js.count("plotly.js v")
    # Every figure is drawn by the one embedded plotly.js: 6 fans, histogram, money flow, the
    # fund by sector and one tornado per output.
    divs = [a for tag, a in page.tags if tag == "div" and "plotly-graph-div" in a.get("class", "")]
    assert len(divs) == len(plots.FAN_SERIES) + 3 + len(DEFAULT_OUTPUTS)
    assert text.count("Plotly.newPlot(") == len(divs)


def test_fan_charts_cover_every_series(page: Page):
    ids = {a.get("id") for tag, a in page.tags if tag == "div"}
    for name in plots.FAN_SERIES:
        assert f"fan-{name}" in ids
    assert {"pv-histogram", "money-flow-sankey", "fund-by-sector-chart"} <= ids
    for output in DEFAULT_OUTPUTS:
        assert f"tornado-{output}" in ids


# ---------------------------------------------------------------------------- content


def test_headline_cards_equal_the_run(
    page: Page, results: Results, run_dir: Path, baseline: Scenario
):
    head = results.headline()
    cards = cards_module.headline_cards(Results.from_dir(run_dir))
    assert [c["key"] for c in cards] == list(cards_module.CARD_KEYS)
    for card in cards:
        shown = page.cards[card["key"]]
        assert shown["value"] == card["text"]
        # A standard error, or the note of a figure that is the same on every path.
        assert shown.get("se") == card["se_text"]
        assert shown.get("constant") == card["note"]
        assert (card["se_text"] is None) != (card["note"] is None), card
        assert shown["label"] == card["label"]
        # The tooltip: the catalogue's definition and unit, then the error.
        assert shown["title"] == card["tooltip"]
        assert shown["title"].startswith(card["definition"])
        assert f"Unit: {card['unit']}" in shown["title"] or card["unit"] == "-"
        assert math.isclose(float(shown["data-value"]), head[card["key"]], rel_tol=1e-12)
        # and the card text is the run's headline as plots formats it
        assert card["value"] == pytest.approx(head[card["key"]], rel=1e-12)
    price = breakeven_flat_price(baseline).price_usd_per_bbl
    be = page.cards["breakeven_usd_per_bbl"]
    assert be["value"] == cards_module.breakeven_card(price)["text"]
    assert float(be["data-value"]) == pytest.approx(price, rel=1e-9)


def test_sensitivity_section_with_and_without_tornado(text: str, results: Results):
    hint = "naef report RUN_DIR --tornado"
    assert hint not in text
    plain = render_report(results)
    assert hint in html.unescape(re.sub(r"<[^>]+>", "", plain))
    plain_page = Page(plain)
    assert "breakeven_usd_per_bbl" not in plain_page.cards  # no break-even given
    assert not any(
        tag == "div" and a.get("id", "").startswith("tornado-") for tag, a in plain_page.tags
    )
    assert [i for i, _ in plain_page.h2] == list(REQUIRED_SECTIONS)


def test_summary_table_lists_every_metric(page: Page, results: Results):
    summary = results.summary()
    rows = page.table("summary")
    header, body = rows[0], rows[1:]
    assert header[:2] == ["Metric", "Unit"]
    assert header[2:] == [str(c) for c in summary.columns]
    assert len(body) == len(summary)
    for row, (metric, values) in zip(body, summary.iterrows(), strict=True):
        assert row[0].endswith(str(metric))
        assert row[2] == f"{int(values['n']):,}"
    pv = body[list(summary.index).index("mdf_inflow_pv_usd_bn")]
    means = summary.loc["mdf_inflow_pv_usd_bn"]
    assert pv[1] == "USD bn"
    assert pv[3] == f"{means['mean']:,.2f}"
    assert pv[header.index("p50")] == f"{means['p50']:,.2f}"


def test_manifest_section(page: Page, results: Results):
    entries = {row[0]: row[1] for row in page.table("manifest")[1:]}
    m = results.manifest
    assert entries["Simulator version"] == m["version"] == simulator.__version__
    assert entries["Seed"] == str(m["seed"])
    assert entries["Paths"] == f"{PATHS:,}"
    assert entries["Input hash (SHA-256)"].startswith(results.scenario.content_hash())
    assert "matches the scenario" in entries["Input hash (SHA-256)"]
    assert "simulate" in entries["Timings"] and "write" in entries["Timings"]
    assert entries["Created (UTC)"]
    assert entries["Identity residual"].startswith(f"{m['identity_max_residual']:.3g} USD bn")


def test_inputs_list_every_field_with_its_unit(page: Page, results: Results):
    rows = [r for c, t in page.tables if "inputs" in c.split() for r in t[1:]]
    fields = list(iter_fields(results.scenario))
    assert len(rows) == len(fields)
    for row, (key, _) in zip(rows, fields, strict=True):
        assert row[0] == key.split(".", 1)[1]  # no "changed" badge in the baseline
    units = {r[0]: r[2] for r in rows}
    assert units["coupon_rate"] == "1/year"
    assert units["long_run_usd_per_bbl"] == "USD/bbl"


def test_scenario_text_is_escaped(tmp_path: Path, baseline: Scenario):
    evil = "<script>alert(1)</script> & more"
    name = 'evil <img src=x onerror="alert(2)">'
    sc = baseline.with_overrides(
        {"name": name, "description": evil, "naef.coupon_rate": 0.05, "simulation.paths": 200}
    )
    run = simulator.simulate(sc).to_dir(tmp_path / "evil")
    out = write_report(run).read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in out
    assert html.escape(evil) in out
    assert "<img" not in out
    assert 'onerror="alert(2)"' not in out
    parsed = Page(out)
    assert parsed.title.startswith(name)  # the text survives, as text
    assert not any(tag == "img" for tag, _ in parsed.tags)
    # Only the page's own inline scripts: plotly.js, its config, the print hook and one per
    # figure (6 fans, histogram, money flow, the fund by sector; no tornado here).
    scripts = [a for tag, a in parsed.tags if tag == "script"]
    assert len(scripts) == 3 + len(plots.FAN_SERIES) + 3
    assert not any("src" in a for a in scripts)
    # The changed fields are marked, and only they.
    changed = re.findall(r'<tr class="changed"><td class="key">([a-z_]+)', out)
    assert changed == ["paths", "coupon_rate"]


# ---------------------------------------------------------------------------- failures


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_writing_is_atomic(fresh_run: Path, monkeypatch: pytest.MonkeyPatch, failing: str):
    before = set(os.listdir(fresh_run))
    seen: list[set[str]] = []

    def boom(*args: Any, **kwargs: Any) -> None:
        seen.append(set(os.listdir(fresh_run)))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_module.os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        write_report(fresh_run)
    monkeypatch.undo()
    # The failure came midway: a temporary file held the page, and it is gone now.
    assert seen and any(n.endswith(".tmp") for n in seen[0] - before)
    assert not (fresh_run / "report.html").exists()
    assert set(os.listdir(fresh_run)) == before


def test_failed_write_keeps_the_previous_report(fresh_run: Path, monkeypatch: pytest.MonkeyPatch):
    target = fresh_run / "report.html"
    target.write_text("previous report", encoding="utf-8")
    before = set(os.listdir(fresh_run))

    def boom(*args: Any, **kwargs: Any) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(report_module.os, "replace", boom)
    with pytest.raises(OSError):
        write_report(fresh_run)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "previous report"
    assert set(os.listdir(fresh_run)) == before
    # and a write that works replaces it
    assert write_report(fresh_run) == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_folder_without_manifest_is_refused(fresh_run: Path, tmp_path: Path):
    (fresh_run / "manifest.json").unlink()
    with pytest.raises(InputError, match="not a complete run"):
        write_report(fresh_run)
    assert not (fresh_run / "report.html").exists()
    with pytest.raises(InputError, match="not a complete run"):
        write_report(tmp_path / "no-such-folder")


@pytest.mark.parametrize("bad", [0, -5, 2.5, True])
def test_bad_tornado_paths_are_refused(fresh_run: Path, bad: Any):
    with pytest.raises(InputError, match="tornado_paths"):
        write_report(fresh_run, tornado_paths=bad)
    assert not (fresh_run / "report.html").exists()


def test_the_fund_by_sector_is_the_runs_ledger_and_table(page: Page, results: Results):
    """The chart draws the run's sector ledger (here one sector, the single stock) and the
    table gives Results.by_sector, one row per sector."""
    ids = {a.get("id") for tag, a in page.tags if tag == "div"}
    assert "fund-by-sector-chart" in ids
    rows = page.table("sectors")
    by_sector = results.by_sector()
    assert [r[0] for r in rows[1:]] == list(by_sector.index) == ["infrastructure"]
    assert rows[0][1] == "Investment total, mean [USD bn]"
    assert rows[1][1] == f"{by_sector['investment_total_usd_bn'].iloc[0]:,.2f}"
    assert rows[1][-1] == "100.0"  # one sector: the whole uplift


def test_a_run_folder_without_outputs_by_sector_says_so(fresh_run: Path):
    for name in ("sectors.parquet", "sector_ledger.parquet"):
        (fresh_run / name).unlink()
    text = write_report(fresh_run).read_text(encoding="utf-8")
    page = Page(text)
    assert [sid for sid, _ in page.h2] == list(REQUIRED_SECTIONS)
    assert "has no outputs by sector" in text
    assert "fund-by-sector-chart" not in text


def test_a_fund_with_sectors_lists_each_sector(sector_run: Results):
    page = Page(render_report(sector_run))
    rows = page.table("sectors")
    assert [r[0] for r in rows[1:]] == [s.name for s in sector_run.scenario.mdf.sectors]
    shares = [float(r[-1]) for r in rows[1:]]
    assert sum(shares) == pytest.approx(100.0, abs=0.05 * len(shares))


def test_the_verdict_comes_first_and_is_the_librarys(page: Page, text: str, run_dir: Path):
    """The report opens with the verdict naef run ends with (of the run folder it reports):
    its headline, its figures and a row per claim of the proposal."""
    assert page.h2[0] == ("verdict", "Verdict")
    v = verdict(Results.from_dir(run_dir))
    section = text[text.index('id="verdict"') : text.index('id="inputs"')]
    assert html.escape(v.headline()) in section
    for line in v.details():
        assert html.escape(line) in section
    for claim in v.claims:
        assert html.escape(claim.claim) in section
    assert "verdict-holds" in section  # the baseline's notes hold and Pemex is rarely needed
