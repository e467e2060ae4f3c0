"""The Streamlit page in a real browser: ``streamlit run`` in a subprocess, Chromium via Playwright.

Skipped (with the reason) when Chromium or the playwright package is missing, except under
``CI=true``, where a missing browser is a failure: CI must run this test.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from page_driver import (  # tests/ is on sys.path when pytest collects this file
    CHROMIUM_ARGS,
    IDLE,
    RUN_DONE,
    WATCH_RUN,
    free_port,
    healthy,
    stop,
)

import simulator
from simulator.analysis.calibrate import calibrate
from simulator.analysis.verdict import verdict
from simulator.cli import app_command
from simulator.present import cards as cards_module

ROOT = Path(__file__).parents[1]
BASELINE = ROOT / "scenarios" / "naef-2005.yaml"
CHROMIUM = "/usr/bin/chromium"
PATHS = 2000
START_TIMEOUT_S = 60.0
RUN_TIMEOUT_MS = 60_000
#: A card the coupon moves at PATHS paths (the probability of default shows 0.00 % at 6% and 9%).
CARD = "MDF inflow PV, P50"


def _require(ok: bool, reason: str) -> None:
    """Skip for want of ``reason`` locally; under CI=true, fail instead."""
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser test must run, not skip)")
    pytest.skip(reason)


@pytest.fixture
def browser_available() -> None:
    """Chromium and the playwright package are there (else skip, or fail under CI=true)."""
    _require(shutil.which("chromium") is not None, "chromium is not on PATH")
    _require(Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing")
    _require(
        importlib.util.find_spec("playwright") is not None, "the playwright package is missing"
    )


@pytest.fixture
def server(browser_available: None, tmp_path: Path) -> Iterator[str]:
    """The page served as ``naef app`` serves it, on a free port of 127.0.0.1; yields its URL
    once healthy."""
    port = free_port()
    log_path = tmp_path / "streamlit.log"
    # The command `naef app` runs, without the file watcher (nothing is edited here).
    cmd = [*app_command("127.0.0.1", port), "--server.fileWatcherType", "none"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text()}")
                if healthy(url):
                    break
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"streamlit not healthy after {START_TIMEOUT_S:.0f} s:\n"
                        f"{log_path.read_text()}"
                    )
                time.sleep(0.25)
            yield url
        finally:
            stop(proc)


def _opened(page: Any, url: str) -> None:
    """Load ``url`` and wait until the page has drawn its Run button and finished its script
    (it opens with its scenario run), so no rerun of the opening races the test's clicks."""
    page.goto(url, timeout=RUN_TIMEOUT_MS)
    page.get_by_role("button", name="Run", exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=RUN_TIMEOUT_MS)


def _open_with_paths(browser: Any, server: str, *, width: int) -> Any:
    """A new page of the server at ``width`` px, loaded (:func:`_opened`), with PATHS paths
    typed into the collapsed "Simulation" section."""
    page = browser.new_page(viewport={"width": width, "height": 1000})
    _opened(page, server)
    section = page.get_by_test_id("stExpander").filter(
        has=page.get_by_text("Simulation", exact=True)
    )
    section.locator("summary").click()
    paths = page.get_by_role("spinbutton", name="Monte Carlo paths [paths]", exact=True)
    paths.fill(str(PATHS))
    paths.press("Tab")  # commit the value without submitting the form (Enter would)
    return page


def _run(coupon: float) -> simulator.Results:
    """The library's run of what the page shows: the baseline at PATHS paths and a coupon."""
    sc = simulator.load_scenario(BASELINE).with_overrides(
        {"simulation.paths": PATHS, "naef.coupon_rate": coupon}
    )
    return simulator.simulate(sc, paths=PATHS, seed=sc.simulation.seed)


def _card_text(coupon: float) -> str:
    """The card the page must show: the library's headline at PATHS paths."""
    results = _run(coupon)
    (card,) = [c for c in cards_module.headline_cards(results) if c["label"] == CARD]
    return card["text"]


def test_the_page_runs_edits_and_reruns_in_chromium(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    want_low, want_high = _card_text(0.06), _card_text(0.09)
    assert want_low != want_high, "the check below needs the coupon to move the card"

    def press_run(page: Page) -> None:
        page.get_by_role("tab", name="Inputs").click()
        page.evaluate(WATCH_RUN)
        page.get_by_role("button", name="Run", exact=True).click()
        page.wait_for_function(RUN_DONE, timeout=RUN_TIMEOUT_MS)
        errors = page.get_by_test_id("stException")
        if errors.count():
            pytest.fail(f"the page shows an exception: {errors.first.inner_text()[:600]}")
        page.get_by_role("tab", name="Results").click()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = _open_with_paths(browser, server, width=1400)

            press_run(page)
            cards = page.get_by_test_id("stMetric")
            # (exact: "MDF inflow PV, P10" and "P90" are other cards)
            card = cards.filter(has=page.get_by_text(CARD, exact=True))
            expect(card).to_contain_text(want_low, timeout=RUN_TIMEOUT_MS)
            expect(cards).to_have_count(len(cards_module.CARD_KEYS) + 1)  # + the break-even card
            page.locator(".js-plotly-plot").first.wait_for(timeout=RUN_TIMEOUT_MS)
            before = card.inner_text()

            page.get_by_role("tab", name="Inputs").click()
            coupon = page.get_by_role("spinbutton", name="Coupon [% a year]", exact=True)
            coupon.fill("9")  # per cent
            coupon.press("Tab")
            press_run(page)
            expect(card).to_contain_text(want_high, timeout=RUN_TIMEOUT_MS)
            assert card.inner_text() != before

            # The verdict comes first, above the cards, in the library's words.
            high = _run(0.09)
            told = verdict(high)
            panel = page.locator(".st-key-verdict")
            expect(panel).to_contain_text(told.headline(), timeout=RUN_TIMEOUT_MS)
            for claim in told.claims:
                expect(panel).to_contain_text(claim.claim)
            assert panel.bounding_box()["y"] < cards.first.bounding_box()["y"]

            # The Excel download: the run's headline figures, as numbers.
            with page.expect_download(timeout=RUN_TIMEOUT_MS) as got:
                page.get_by_role("button", name="Workbook (Excel)").click()
            book_path = tmp_path / "run.xlsx"
            got.value.save_as(book_path)
            head = pd.read_excel(book_path, sheet_name="Headline").set_index("name")
            want = high.headline()
            assert head["value"].dtype.kind == "f"
            np.testing.assert_allclose(
                head["value"].to_numpy(), [want[k] for k in head.index], rtol=1e-15
            )

            shot = tmp_path / "app.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.is_file()
            assert shot.stat().st_size > 10_000

            # Pressing Run again with identical inputs: same cards, from the cache.
            press_run(page)
            expect(card).to_contain_text(want_high, timeout=RUN_TIMEOUT_MS)
            expect(cards).to_have_count(len(cards_module.CARD_KEYS) + 1)  # + the break-even card

            # A chart picked stays picked through a refused input, which draws no results.
            gdp = page.locator(".st-key-charts_shown button", has_text="GDP uplift")
            page.evaluate(WATCH_RUN)
            gdp.click()
            page.wait_for_function(RUN_DONE, timeout=RUN_TIMEOUT_MS)
            expect(gdp).to_have_attribute("aria-pressed", "true")
            for percent, results_drawn in (("50", False), ("9", True)):  # 50%: reserves > face
                page.get_by_role("tab", name="Inputs").click()
                coupon.fill(percent)
                coupon.press("Tab")
                press_run(page)
                expect(cards).to_have_count(len(cards_module.CARD_KEYS) + 1 if results_drawn else 0)
            expect(gdp).to_have_attribute("aria-pressed", "true", timeout=RUN_TIMEOUT_MS)
            expect(page.locator(".st-key-fan-gdp_uplift_usd_bn .js-plotly-plot")).to_have_count(1)
        finally:
            browser.close()


def test_fit_fills_the_form_and_an_error_opens_its_collapsed_section(server: str) -> None:
    """What only a browser shows: the values a Fit sets reach the form's widgets, and a
    section whose inputs are refused opens itself even when the user had collapsed it."""
    from playwright.sync_api import Page, expect, sync_playwright
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    gbm = calibrate(series="wti", start=2000, end=2024, basis="real", base_year=2005, model="gbm")
    drift = gbm.oil_price_block()["drift_per_year"]
    assert drift != simulator.load_scenario(BASELINE).oil_price.drift_per_year

    def submit(page: Page, name: str) -> None:
        page.evaluate(WATCH_RUN)
        page.get_by_role("button", name=name, exact=True).click()
        page.wait_for_function(RUN_DONE, timeout=RUN_TIMEOUT_MS)
        errors = page.get_by_test_id("stException")
        if errors.count():
            pytest.fail(f"the page shows an exception: {errors.first.inner_text()[:600]}")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            _opened(page, server)

            def section(title: str) -> Any:
                return page.get_by_test_id("stExpander").filter(
                    has=page.get_by_text(title, exact=True)
                )

            section("Oil price").locator("summary").first.click()
            # The drop-down may close again while the page settles after the expander opens:
            # open it until its option can be clicked.
            for attempt in range(4):
                page.get_by_label("Model", exact=True).click()
                try:
                    page.get_by_role("option", name="gbm", exact=True).click(timeout=5000)
                    break
                except PlaywrightTimeout:
                    page.keyboard.press("Escape")
                    if attempt == 3:
                        raise
            submit(page, "Fit")
            # In per cent on the page.
            field = page.get_by_role("spinbutton", name="Drift [% a year]", exact=True)
            expect(field).to_have_value(f"{100 * drift:.6g}", timeout=RUN_TIMEOUT_MS)
            expect(page.get_by_label("Price model", exact=True)).to_have_value("gbm")
            section("Oil price").locator("summary").first.click()

            risks = section("Correlated risks")
            risks.locator("summary").first.click()
            for name, value in (
                ("Correlation: price and capex overrun", "0.9"),
                ("Correlation: price and reservoir", "0.9"),
                ("Correlation: overrun and reservoir", "-0.9"),
            ):
                box = page.get_by_label(name, exact=True)
                box.fill(value)
                box.press("Tab")
            risks.locator("summary").first.click()
            details = risks.locator("details").first
            expect(details).not_to_have_attribute("open", re.compile(".*"))  # collapsed by hand
            submit(page, "Run")
            expect(details).to_have_attribute("open", "")
            expect(risks.get_by_test_id("stAlert")).to_contain_text("positive semidefinite")
            expect(page.get_by_test_id("stMetric")).to_have_count(0)
            # And at the Run button, in view where the user pressed it: not only an icon.
            at_run = page.get_by_test_id("stAlert").filter(has_text="Not run")
            expect(at_run).to_be_visible()
            expect(at_run).to_contain_text("Correlated risks")
            expect(at_run).to_contain_text("positive semidefinite")
            run_box = page.get_by_role("button", name="Run", exact=True).bounding_box()
            alert_box = at_run.bounding_box()
            assert run_box is not None and alert_box is not None
            assert 0 <= alert_box["y"] - (run_box["y"] + run_box["height"]) < 80, (
                run_box,
                alert_box,
            )
        finally:
            browser.close()


# ---------------------------------------------------------------------- layout at common widths

#: Window widths of common screens [CSS px]; screenshots are kept at the first and the last.
WIDTHS = (1024, 1280, 1400, 1536, 1920)
SHOT_WIDTHS = (1024, 1920)

#: For every plotly chart on the page: the boxes of its svg, legend, title and subtitle.
CHART_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => {
  const box = (sel) => {
    const e = g.querySelector(sel);
    if (!e) return null;
    const b = e.getBoundingClientRect();
    return b.width > 0 && b.height > 0 ? [b.left, b.top, b.right, b.bottom] : null;
  };
  return {
    title: (g.querySelector('.gtitle') || {}).textContent || '',
    svg: box('.main-svg'), legend: box('.legend'),
    gtitle: box('.gtitle'), subtitle: box('.gtitle-subtitle'),
  };
})"""
#: Card texts (labels, values, changes) cut off: wider than their box (an ellipsis), or
#: running past the right edge of their card.
CUT_CARD_TEXTS = """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
  .flatMap(card => [...card.querySelectorAll('[data-testid="stMarkdownContainer"]')].filter(e => {
    const range = document.createRange();
    range.selectNodeContents(e);
    const text = range.getBoundingClientRect(), edge = card.getBoundingClientRect().right;
    return e.scrollWidth > e.clientWidth + 1 || text.right > edge + 1;
  }).map(e => e.innerText))"""


def _artifacts(tmp_path: Path) -> Path:
    """Where screenshots go: $NAEF_TEST_ARTIFACTS when set (CI keeps them), else tmp_path."""
    root = os.environ.get("NAEF_TEST_ARTIFACTS")
    out = Path(root) if root else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    return out


def _overlap(a: list[float] | None, b: list[float] | None) -> bool:
    """Whether two boxes [left, top, right, bottom] share any area."""
    if a is None or b is None:
        return False
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_overlap_finds_boxes_that_share_area() -> None:
    assert _overlap([0, 0, 10, 10], [5, 5, 15, 15])
    assert not _overlap([0, 0, 10, 10], [10, 0, 20, 10])  # touching edges only
    assert not _overlap([0, 0, 10, 10], [0, 11, 10, 20])
    assert not _overlap(None, [0, 0, 1, 1])


def test_legends_never_cover_titles_and_cards_wrap_at_common_widths(
    server: str, tmp_path: Path
) -> None:
    """Four scenarios compared (the longest legends: every scenario's bands and medians) at
    each common window width: in every chart with a legend, the legend's box shares no area with the
    title's or the subtitle's, and the title and subtitle end inside the chart; no card's
    label or value is cut off. Screenshots at two widths go to $NAEF_TEST_ARTIFACTS or
    tmp_path."""
    from playwright.sync_api import sync_playwright

    shots = _artifacts(tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = _open_with_paths(browser, server, width=WIDTHS[0])
            coupon = page.get_by_role("spinbutton", name="Coupon [% a year]", exact=True)
            coupon.fill("5")  # per cent
            coupon.press("Tab")
            page.evaluate(WATCH_RUN)
            page.get_by_role("button", name="Run", exact=True).click()
            page.wait_for_function(RUN_DONE, timeout=RUN_TIMEOUT_MS)

            # Three scenarios compared with the one shown: four in every fan and its legend.
            for option in ("its unedited version", "high-price", "low-price"):
                page.evaluate(WATCH_RUN)
                page.get_by_role("combobox", name="Compare with").click()
                page.get_by_role("option", name=option, exact=True).click()
                page.wait_for_function(RUN_DONE, timeout=RUN_TIMEOUT_MS)
                page.keyboard.press("Escape")
            errors = page.get_by_test_id("stException")
            if errors.count():
                pytest.fail(f"the page shows an exception: {errors.first.inner_text()[:600]}")
            page.get_by_role("tab", name="Results").click()
            # Every chart, not only the four drawn until others are picked.
            pills = page.locator(".st-key-charts_shown button[aria-pressed]")
            pills.first.wait_for(timeout=RUN_TIMEOUT_MS)  # drawn once its tab is shown
            unpicked = page.locator(".st-key-charts_shown button[aria-pressed='false']")
            while unpicked.count():
                page.evaluate(WATCH_RUN)
                unpicked.first.click()
                page.wait_for_function(RUN_DONE, timeout=RUN_TIMEOUT_MS)
            page.locator(".js-plotly-plot .legend").first.wait_for(timeout=RUN_TIMEOUT_MS)
            legend = page.evaluate(
                "() => document.querySelector('.js-plotly-plot .legend').textContent"
            )
            for name in ("naef-2005 (coupon 5%)", "naef-2005:", "high-price", "low-price"):
                assert name in legend, (name, legend)

            for width in WIDTHS:
                # Tall enough that every chart is laid out at once; plotly redraws on resize.
                page.set_viewport_size({"width": width, "height": 4000})
                boxes = _settled(page)
                with_legend = [b for b in boxes if b["legend"] is not None]
                assert len(with_legend) >= 7, (width, [b["title"] for b in boxes])
                for b in with_legend:
                    where = f"{b['title']!r} at {width} px"
                    assert b["gtitle"] is not None and b["subtitle"] is not None, where
                    assert not _overlap(b["legend"], b["gtitle"]), (where, b)
                    assert not _overlap(b["legend"], b["subtitle"]), (where, b)
                for b in boxes:
                    where = f"{b['title']!r} at {width} px"
                    for part in ("gtitle", "subtitle"):
                        if b[part] is not None:
                            assert b[part][2] <= b["svg"][2] + 0.5, (where, part, b)
                assert page.evaluate(CUT_CARD_TEXTS) == [], width
                if width in SHOT_WIDTHS:
                    shot = shots / f"results-{width}px.png"
                    page.screenshot(path=str(shot))
                    assert shot.stat().st_size > 10_000
        finally:
            browser.close()


def _settled(page: Any, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    """The charts' boxes once two readings half a second apart agree (plotly has redrawn)."""
    deadline = time.monotonic() + timeout_s
    last = page.evaluate(CHART_BOXES)
    while True:
        page.wait_for_timeout(500)
        now = page.evaluate(CHART_BOXES)
        if now == last or time.monotonic() > deadline:
            return list(now)
        last = now


def test_a_link_opens_its_what_if_in_chromium(server: str) -> None:
    """The address carries the what-if: opened in a fresh browser, the page runs the shipped
    scenario with the linked fields and shows the library's cards for it; pressing Run after
    an edit puts the edit into the address."""
    from urllib.parse import parse_qs, urlencode, urlparse

    from playwright.sync_api import expect, sync_playwright

    want = _card_text(0.09)
    query = urlencode(
        {"scenario": "naef-2005", "simulation.paths": PATHS, "naef.coupon_rate": "0.09"}
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            _opened(page, f"{server}/?{query}")
            card = page.get_by_test_id("stMetric").filter(has=page.get_by_text(CARD, exact=True))
            expect(card).to_contain_text(want, timeout=RUN_TIMEOUT_MS)
            expect(page.get_by_text("naef-2005 (coupon 9%)", exact=False).first).to_be_visible()
            coupon = page.get_by_role("spinbutton", name="Coupon [% a year]", exact=True)
            expect(coupon).to_have_value("9")

            coupon.fill("7")
            coupon.press("Tab")
            page.evaluate(WATCH_RUN)
            page.get_by_role("button", name="Run", exact=True).click()
            page.wait_for_function(RUN_DONE, timeout=RUN_TIMEOUT_MS)
            page.wait_for_function(
                "() => new URLSearchParams(location.search).get('naef.coupon_rate') === '0.07'",
                timeout=RUN_TIMEOUT_MS,
            )
            params = parse_qs(urlparse(page.url).query)
            assert params["scenario"] == ["naef-2005"]
            assert params["simulation.paths"] == [str(PATHS)]
        finally:
            browser.close()
