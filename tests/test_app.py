"""The Streamlit page (app/app.py), driven headless through ``streamlit.testing.v1.AppTest``.

Every run uses 2,000 paths (set in the ``field:simulation.paths`` widget) so the whole file stays
fast. Card texts are checked against the library itself: ``simulator.simulate`` on the same
scenario, paths and seed, formatted by ``simulator.present.cards.headline_cards``.

Streamlit's caches are process-wide, so each test starts with empty caches (``fresh_caches``);
the cached path is exercised on purpose by the tests that rerun identical inputs.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
import streamlit.testing.v1.app_test as app_test_module
import yaml
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

import simulator
from simulator.analysis import credit as credit_module
from simulator.analysis.breakeven import breakeven_flat_price
from simulator.analysis.calibrate import calibrate
from simulator.analysis.verdict import verdict
from simulator.cli import main as cli_main
from simulator.outputs import output
from simulator.present import cards as cards_module
from simulator.scenario import InputError, Scenario, ScenarioError, scenario_from_text

ROOT = Path(__file__).parents[1]
APP = ROOT / "app" / "app.py"
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "naef-2005.yaml"
PATHS = 2000
UPLOAD = "(uploaded file)"
DEFAULT = "Probability of default"
MDF_P50 = "MDF inflow PV, P50"


# ---------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def keep_main_module() -> Iterator[None]:
    """AppTest leaves the app script as ``sys.modules["__main__"]``; put pytest's back, or a
    process started later by spawn or forkserver (a batch on Dask) would re-run the app."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Empty Streamlit's process-wide caches, so no test sees another test's runs."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> list[MemoryMediaFileStorage]:
    """The in-memory media stores AppTest creates (one per script run), to read downloads."""
    stores: list[MemoryMediaFileStorage] = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, media_endpoint: str) -> None:
            super().__init__(media_endpoint)
            stores.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    return stores


@pytest.fixture
def media_managers(
    monkeypatch: pytest.MonkeyPatch, media: list[MemoryMediaFileStorage]
) -> list[MediaFileManager]:
    """The media file managers AppTest creates, to run a download built when clicked."""
    managers: list[MediaFileManager] = []

    class Recording(MediaFileManager):
        def __init__(self, storage: Any) -> None:
            super().__init__(storage)
            managers.append(self)

    monkeypatch.setattr(app_test_module, "MediaFileManager", Recording)
    return managers


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def press_run(at: AppTest, paths: int = PATHS, **edits: Any) -> AppTest:
    """Set the paths and the given fields as the page shows them (``naef__coupon_rate=9``, a
    percentage), then press Run."""
    at.number_input(key="field:simulation.paths").set_value(paths)
    for name, value in edits.items():
        field(at, name.replace("__", ".")).set_value(value)
    runs = [b for b in at.button if b.label == "Run"]
    assert len(runs) == 1, "want exactly one Run button"
    runs[0].click().run()
    return at


KINDS = {spec.key: spec.kind for spec in simulator.field_specs()}


def field(at: AppTest, dotted: str) -> Any:
    """The editor widget of a field (``"naef.coupon_rate"``)."""
    key = f"field:{dotted}"
    kind = KINDS[dotted]
    if kind == "list":
        return at.text_input(key=key)
    if kind == "table":
        return at.text_area(key=key)
    if kind == "choice":
        return at.selectbox(key=key)
    return at.number_input(key=key)


def exceptions(at: AppTest) -> list[str]:
    return [e.value for e in at.exception]


def cards(at: AppTest) -> dict[str, str]:
    """Label -> displayed value of the metric cards."""
    return {m.label: m.value for m in at.metric}


def deltas(at: AppTest) -> dict[str, str]:
    return {m.label: m.delta for m in at.metric}


#: Streamlit's metric colours and arrows -> the card's tone and arrow.
TONES = {"GREEN": "good", "RED": "bad", "GRAY": "neutral"}
ARROWS = {"UP": "up", "DOWN": "down", "NONE": None}


def pill_colours(at: AppTest) -> dict[str, tuple[str, str | None]]:
    """Label -> (tone, arrow) of each card's change as the page draws it."""
    proto = type(at.metric[0].proto)
    out = {}
    for m in at.metric:
        colour = proto.MetricColor.Name(m.proto.color)
        direction = proto.MetricDirection.Name(m.proto.direction)
        out[m.label] = (TONES[colour], ARROWS[direction])
    return out


def library_cards(scenario: Scenario, compare: Scenario | None = None) -> list[cards_module.Card]:
    """The cards the page must show for ``scenario`` (paths and seed taken from it)."""

    def sim(sc: Scenario) -> simulator.Results:
        return simulator.simulate(sc, paths=sc.simulation.paths, seed=sc.simulation.seed)

    def breakeven(sc: Scenario) -> float | None:
        try:
            return breakeven_flat_price(sc).price_usd_per_bbl
        except InputError:
            return None

    cards = cards_module.headline_cards(sim(scenario), compare=sim(compare) if compare else None)
    cards.append(
        cards_module.breakeven_card(
            breakeven(scenario), compare=breakeven(compare) if compare else None
        )
    )
    return cards


def card_number(text: str) -> float:
    """``"5.3 %"`` -> 5.3, ``"-1,234.5 bn"`` -> -1234.5."""
    match = re.match(r"^\s*([+-]?[\d,]*\.?\d+)", text)
    assert match, f"not a number: {text!r}"
    return float(match.group(1).replace(",", ""))


def inputs_of(scenario: Scenario) -> dict[str, Any]:
    """A scenario's fields without its name and description (which an edit on the page sets
    to say what changed)."""
    return {k: v for k, v in scenario.to_dict().items() if k not in ("name", "description")}


def baseline(**overrides: Any) -> Scenario:
    return simulator.load_scenario(BASELINE).with_overrides(
        {"simulation.paths": PATHS, **overrides}
    )


def cli_message(capsys: pytest.CaptureFixture[str], field: str, *sets: str) -> str:
    """The CLI's one-line error for ``--set`` values, from the field name on."""
    argv = ["run", str(BASELINE), "--paths", "10", "--no-write"]
    for s in sets:
        argv += ["--set", s]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert field in err, err
    return err[err.index(field) :]


# ---------------------------------------------------------------------- every shipped scenario


def test_every_shipped_scenario_runs_and_shows_the_librarys_cards() -> None:
    at = start()
    names = [o for o in at.selectbox(key="choice").options if o != UPLOAD]
    shipped = {simulator.load_scenario(p).name: p for p in sorted(SCENARIOS.glob("*.yaml"))}
    assert sorted(names) == sorted(shipped)
    for name in names:
        at.selectbox(key="choice").set_value(name).run()
        assert not at.exception, (name, exceptions(at))
        press_run(at)
        assert not at.exception, (name, exceptions(at))
        # The unedited inputs give back the shipped scenario (only the paths changed).
        want = simulator.load_scenario(shipped[name]).with_overrides({"simulation.paths": PATHS})
        assert at.session_state["scenario"].to_dict() == want.to_dict(), name
        assert cards(at) == {c["label"]: c["text"] for c in library_cards(want)}, name
        assert len(at.get("plotly_chart")) >= 4, name
        assert {d.key for d in at.download_button} == {
            "dl_yaml",
            "dl_summary",
            "dl_metrics",
            "dl_xlsx",
        }


def test_the_page_opens_with_the_scenario_run_as_it_stands_and_draws_charts_on_demand() -> None:
    at = start()
    want = simulator.load_scenario(BASELINE)
    assert at.session_state["scenario"] is at.session_state["base_scenario"]
    assert at.session_state["scenario"].to_dict() == want.to_dict()
    assert cards(at) == {c["label"]: c["text"] for c in library_cards(want)}
    # A rerun takes the run from the store: every element keeps its place (a moved one is drawn
    # afresh by the browser, and the editor's sections the user opened would collapse).
    placed = [type(c).__name__ for c in at.main.children.values()]
    at.run()
    assert [type(c).__name__ for c in at.main.children.values()] == placed
    picker = at.button_group(key="charts_shown")
    drawn = [c.proto.id for c in at.get("plotly_chart")]
    assert len(drawn) == len(picker.value) == 4, (drawn, picker.value)
    # Each chart picked is drawn, in the order the picker offers them; one unpicked goes.
    picker.select("hist").unselect("fan:dscr")
    at.run()
    assert not at.exception, exceptions(at)
    ids = [c.proto.id for c in at.get("plotly_chart")]
    assert len(ids) == 4
    assert any("hist" in i for i in ids) and not any("fan:dscr" in i for i in ids), ids
    order = ["oil_price", "mdf_inflow", "hist", "sankey"]
    assert [next(k for k in order if k in i) for i in ids] == order, ids


# ---------------------------------------------------------------------- a parameter change


def test_raising_the_coupon_moves_the_headline_as_the_library_does() -> None:
    at = press_run(start(), naef__coupon_rate=6)
    assert not at.exception, exceptions(at)
    low = cards(at)
    at = press_run(at, naef__coupon_rate=9)
    assert not at.exception, exceptions(at)
    high = cards(at)

    assert low == {c["label"]: c["text"] for c in library_cards(baseline())}
    assert high == {
        c["label"]: c["text"] for c in library_cards(baseline(**{"naef.coupon_rate": 0.09}))
    }
    # A dearer debt: default no less likely, less money for the Development Fund.
    assert card_number(high[DEFAULT]) >= card_number(low[DEFAULT])
    assert card_number(high[MDF_P50]) < card_number(low[MDF_P50])


# ---------------------------------------------------------------------- bad input


def test_a_cross_field_error_shows_the_clis_message_and_the_page_recovers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    want = cli_message(capsys, "naef.grace_years", "naef.grace_years=20", "naef.tenor_years=20")
    at = press_run(start(), naef__grace_years=20, naef__tenor_years=20)
    assert not at.exception, exceptions(at)
    errors = [e.value for e in at.error]
    assert any(want in e for e in errors), (want, errors)
    assert not at.metric, "no results for invalid inputs"

    at = press_run(at, naef__grace_years=5)
    assert not at.exception, exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert cards(at) == {
        c["label"]: c["text"]
        for c in library_cards(baseline(**{"naef.tenor_years": 20, "naef.grace_years": 5}))
    }


def test_reserves_above_the_face_show_the_clis_message_under_the_tranches(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A coupon of 50% needs an interest reserve of 1.5 times each tranche: refused with the
    command line's message (from the field on), no traceback, no results."""
    want = cli_message(capsys, "naef.issuance_usd_bn[0]", "naef.coupon_rate=0.5")
    assert "exceed its face" in want
    at = press_run(start(), naef__coupon_rate=50)
    assert not at.exception, exceptions(at)
    errors = [e.value for e in at.error]
    assert any(want in e for e in errors), (want, errors)
    assert not at.metric, "no results for invalid inputs"


def test_an_optional_field_is_left_null_or_set_by_hand() -> None:
    """The interest reserve's years follow the lag while their box is ticked; unticked, the
    number is used: 0 is the proposal's literal timing, and the cards are the library's."""
    at = start()
    box = at.checkbox(key="derived:naef.capitalized_interest_years")
    assert box.value is True
    assert field(at, "naef.capitalized_interest_years").value == 3  # the lag, shown
    box.set_value(False)
    at = press_run(at, naef__capitalized_interest_years=0)
    assert not at.exception, exceptions(at)
    assert at.session_state["scenario"].naef.capitalized_interest_years == 0
    assert cards(at) == {
        c["label"]: c["text"]
        for c in library_cards(baseline(**{"naef.capitalized_interest_years": 0}))
    }


def test_a_list_field_that_is_not_numbers_shows_the_clis_message_and_the_page_recovers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The app reads the text box as a YAML list, so "abc" is the CLI's [abc].
    want = cli_message(capsys, "naef.issuance_usd_bn", "naef.issuance_usd_bn=[abc]")
    at = press_run(start(), naef__issuance_usd_bn="abc")
    assert not at.exception, exceptions(at)
    errors = [e.value for e in at.error]
    assert any(want in e for e in errors), (want, errors)
    assert not at.metric

    at = press_run(at, naef__issuance_usd_bn="20, 20, 20, 15")
    assert not at.exception, exceptions(at)
    assert not at.error, [e.value for e in at.error]
    sc = at.session_state["scenario"]
    assert sc.naef.issuance_usd_bn == (20.0, 20.0, 20.0, 15.0)
    assert cards(at) == {
        c["label"]: c["text"]
        for c in library_cards(baseline(**{"naef.issuance_usd_bn": [20, 20, 20, 15]}))
    }


def test_fiscal_regimes_are_edited_as_yaml_and_a_bad_entry_is_shown_under_the_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The records of fiscal-2025.yaml, typed into the text box as YAML, run as the library runs
    # them.
    regimes = simulator.load_scenario(SCENARIOS / "fiscal-2025.yaml").fiscal.regimes
    records = [r.model_dump() for r in regimes]
    at = press_run(start(), fiscal__regimes=yaml.safe_dump(records, sort_keys=False))
    assert not at.exception, exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["scenario"].fiscal.regimes == regimes
    assert cards(at) == {
        c["label"]: c["text"] for c in library_cards(baseline(**{"fiscal.regimes": records}))
    }
    # A rate above 1: the CLI's message, under the field, and nothing runs.
    bad = "[{from_year: 2006, duties: [{name: x, rate: 1.5}]}]"
    want = cli_message(capsys, "fiscal.regimes[0].duties[0].rate", f"fiscal.regimes={bad}")
    at = press_run(at, fiscal__regimes=bad)
    assert not at.exception, exceptions(at)
    errors = [e.value for e in at.error]
    assert any(want in e for e in errors), (want, errors)
    assert at.session_state["scenario"] is None
    # Text that is not YAML is named after the field too.
    at = press_run(at, fiscal__regimes="- {from_year: [")
    assert any("fiscal.regimes" in e.value for e in at.error), [e.value for e in at.error]


# ---------------------------------------------------------------------- downloads


def test_the_downloaded_yaml_round_trips_through_the_library_and_the_cli(
    tmp_path: Path, media: list[MemoryMediaFileStorage]
) -> None:
    at = press_run(start(), naef__coupon_rate=9, naef__tenor_years=25)
    assert not at.exception, exceptions(at)

    def download(key: str) -> bytes:
        file_id = at.download_button(key=key).proto.url.rsplit("/", 1)[1]
        return media[-1].get_file(file_id).content

    path = tmp_path / "edited.yaml"
    path.write_bytes(download("dl_yaml"))
    # Named and described for what changed, in the file too.
    name = "naef-2005 (coupon 9%, tenor 25 years)"
    file_id = at.download_button(key="dl_yaml").proto.url.rsplit("/", 1)[1]
    assert media[-1].get_file(file_id).filename == "naef-2005-coupon-9-tenor-25-years.yaml"
    edited = baseline(**{"naef.coupon_rate": 0.09, "naef.tenor_years": 25, "name": name})
    ran = at.session_state["scenario"]
    assert ran.description.startswith("naef-2005, edited on the page (2 fields):\n")
    assert "- naef.coupon_rate: 6% -> 9%\n- naef.tenor_years: 20 years -> 25 years" in (
        ran.description
    )
    assert baseline().description.strip() in ran.description
    edited = edited.with_overrides({"description": ran.description})
    assert ran.to_dict() == edited.to_dict()
    assert simulator.load_scenario(path).to_dict() == edited.to_dict()
    assert cli_main(["run", str(path), "--paths", "500", "--no-write"]) == 0

    results = simulator.simulate(edited, paths=PATHS, seed=edited.simulation.seed)
    assert download("dl_summary").decode() == results.summary().to_csv()


def test_the_excel_download_is_the_librarys_workbook_of_the_run(
    media: list[MemoryMediaFileStorage], media_managers: list[MediaFileManager]
) -> None:
    """Built when clicked (not on every rerun): the workbook of simulator.present.workbook for
    the run shown, sheet for sheet (the manifest's times and timings aside)."""
    import io

    import openpyxl

    from simulator.present.workbook import SHEETS, workbook_bytes

    at = press_run(start(), naef__coupon_rate=5)
    assert not at.exception, exceptions(at)
    button = at.download_button(key="dl_xlsx")
    assert button.label == "Workbook (Excel)"
    deferred = button.proto.deferred_file_id
    assert deferred and not button.proto.url, "built on click, not on every rerun"
    url = media_managers[-1].execute_deferred(deferred)
    got = media[-1].get_file(url.rsplit("/", 1)[1].split(".")[0])
    assert got.filename == "naef-2005-coupon-5.xlsx"
    assert got.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    sc = at.session_state["scenario"]
    results = simulator.simulate(sc, paths=sc.simulation.paths, seed=sc.simulation.seed)
    shown = openpyxl.load_workbook(io.BytesIO(got.content))
    want = openpyxl.load_workbook(io.BytesIO(workbook_bytes(results)))
    assert shown.sheetnames == want.sheetnames == list(SHEETS)
    for sheet in SHEETS:
        if sheet == "Manifest":
            continue
        rows = [list(r) for r in shown[sheet].iter_rows(values_only=True)]
        assert rows == [list(r) for r in want[sheet].iter_rows(values_only=True)], sheet
        assert len(rows) > 1, sheet
    inputs = {r[0]: r[1] for r in shown["Inputs"].iter_rows(values_only=True) if r[0]}
    assert 0.05 in inputs.values(), "the workbook holds the fraction the run used"


# ---------------------------------------------------------------------- comparison


def test_compare_with_the_unedited_version_shows_signed_deltas() -> None:
    at = press_run(start(), naef__coupon_rate=9)
    assert not at.exception, exceptions(at)
    assert all(not d for d in deltas(at).values()), "no deltas without a comparison"

    at.multiselect(key="compare_with").set_value(["its unedited version"]).run()
    assert not at.exception, exceptions(at)
    want = library_cards(baseline(**{"naef.coupon_rate": 0.09}), compare=baseline())
    assert deltas(at) == {c["label"]: c["delta_text"] for c in want}
    got = deltas(at)
    assert got[MDF_P50].startswith("-"), got[MDF_P50]
    assert not got[DEFAULT].startswith("-"), got[DEFAULT]
    assert cards(at) == {c["label"]: c["text"] for c in want}, "values are still the edited run"
    # Coloured by meaning: a dearer coupon cuts the fund's money (red, down) and raises the
    # stand-alone default (red, up); a change that rounds to zero is grey without an arrow.
    pills = pill_colours(at)
    assert pills == {c["label"]: (c["tone"], c["arrow"]) for c in want}
    assert pills[MDF_P50] == ("bad", "down")
    assert pills["Stand-alone probability of default"] == ("bad", "up")
    for card in want:
        if card["tone"] == "neutral" and card["arrow"] is None:
            assert not card["delta_text"].startswith(("+", "-")), card["delta_text"]
    # The tooltips: the catalogue's definition and unit, and the error.
    helps = {m.label: m.proto.help for m in at.metric}
    assert helps == {c["label"]: c["tooltip"] for c in want}
    for card in want:
        assert helps[card["label"]].startswith(output(card["key"]).description)
        assert "Unit: " in helps[card["label"]]
    # A figure the same on every path says so under its card (at 2,000 paths no path of the
    # baseline at 9% defaults: its probability is shown with its 95% bound, not "± 0").
    notes = [c["note"] for c in want if c["note"]]
    assert notes, "the check needs a card that is the same on every path"
    captions = [c.value for c in at.caption]
    for note in notes:
        assert note in captions, (note, captions)


# ---------------------------------------------------------------------- uploads


def _upload(at: AppTest, name: str, text: str) -> AppTest:
    if at.selectbox(key="choice").value != UPLOAD:
        at.selectbox(key="choice").set_value(UPLOAD).run()
    at.file_uploader(key="upload").set_value((name, text.encode(), "application/x-yaml"))
    return at.run()


def test_an_upload_that_extends_a_path_outside_the_scenarios_is_refused() -> None:
    text = "name: evil\nextends: ../../etc/passwd\n"
    with pytest.raises(ScenarioError) as lib_error:
        scenario_from_text(text, source="evil.yaml", extends_root=SCENARIOS)
    assert lib_error.value.field == "extends"

    at = _upload(start(), "evil.yaml", text)
    assert not at.exception, exceptions(at)
    errors = [e.value for e in at.error]
    assert str(lib_error.value) in errors, errors
    assert any("extends" in e for e in errors)
    assert at.session_state["base_scenario"].name == "naef-2005", "nothing was loaded"


def test_an_upload_whose_reserves_exceed_its_face_loads_and_shows_the_message_not_a_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The page runs what it loads; a scenario the structure refuses (a 50% coupon needs an
    interest reserve of 1.5 times each tranche) loads into the editor and shows the command
    line's message under its field instead of a run, and an edit then runs."""
    want = cli_message(capsys, "naef.issuance_usd_bn[0]", "naef.coupon_rate=0.5")
    text = "name: dear\nextends: naef-2005.yaml\nnaef:\n  coupon_rate: 0.5\n"
    at = _upload(start(), "dear.yaml", text)
    assert not at.exception, exceptions(at)
    assert at.session_state["base_scenario"].name == "dear", "loaded into the editor"
    assert field(at, "naef.coupon_rate").value == 50
    errors = [e.value for e in at.error]
    assert any(want in e for e in errors), (want, errors)
    assert not at.metric, "nothing run"

    at = press_run(at, naef__coupon_rate=6)
    assert not at.exception, exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert at.metric


def test_an_upload_asking_for_more_paths_than_the_page_runs_unasked_waits_for_run() -> None:
    """A batch file of 5,000,000 paths loads into the editor without being simulated (that
    would hold the page for a minute): the page says so, and a press of Run with fewer paths
    runs it."""
    big = 5_000_000
    text = f"name: batch-size\nextends: naef-2005.yaml\nsimulation:\n  paths: {big}\n"
    at = _upload(start(), "batch-size.yaml", text)
    assert not at.exception, exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["base_scenario"].name == "batch-size", "loaded into the editor"
    assert at.number_input(key="field:simulation.paths").value == big
    assert not at.metric, "nothing run"
    notes = [i.value for i in at.info]
    assert any(f"{big:,} Monte Carlo paths" in n and "press Run" in n for n in notes), notes

    at = press_run(at)
    assert not at.exception, exceptions(at)
    assert at.metric
    assert not any("press Run" in i.value for i in at.info if "Monte Carlo" in i.value)


def test_an_upload_that_extends_a_shipped_scenario_loads_into_the_editor() -> None:
    text = "name: my-case\nextends: naef-2005.yaml\nnaef:\n  coupon_rate: 0.075\n"
    at = _upload(start(), "my-case.yaml", text)
    assert not at.exception, exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert field(at, "naef.coupon_rate").value == 7.5

    at = press_run(at)
    assert not at.exception, exceptions(at)
    want = scenario_from_text(text, source="my-case.yaml", extends_root=SCENARIOS)
    want = want.with_overrides({"simulation.paths": PATHS})
    assert at.session_state["scenario"].to_dict() == want.to_dict()
    assert dict(at.query_params) == {}, "a link cannot carry an uploaded file"
    assert cards(at) == {c["label"]: c["text"] for c in library_cards(want)}


def _run_upload(text: str) -> tuple[AppTest, Scenario]:
    """Upload ``text``, press Run without edits; the page's run and the library's reading."""
    uploaded = scenario_from_text(text, source="up.yaml", extends_root=SCENARIOS)
    at = press_run(_upload(start(), "up.yaml", text))
    assert not at.exception, exceptions(at)
    assert not at.error, [e.value for e in at.error]
    return at, uploaded


def test_an_uploaded_list_runs_with_its_values_to_full_precision() -> None:
    text = (
        "name: precise\nextends: naef-2005.yaml\noil_price:\n  model: deck\n"
        "  deck_usd_per_bbl: [56.6412345, 61.2345678, 48.0000001]\n"
    )
    at, uploaded = _run_upload(text)
    assert uploaded.oil_price.deck_usd_per_bbl == (56.6412345, 61.2345678, 48.0000001)
    ran = at.session_state["scenario"]
    assert ran.oil_price.deck_usd_per_bbl == uploaded.oil_price.deck_usd_per_bbl


def test_an_uploaded_list_with_a_small_value_can_be_run() -> None:
    text = (
        "name: small\nextends: naef-2005.yaml\noil_price:\n  model: deck\n"
        "  deck_usd_per_bbl: [50.0, 0.00005, 60.0]\n"
    )
    at, uploaded = _run_upload(text)
    ran = at.session_state["scenario"]
    assert ran.oil_price.deck_usd_per_bbl == uploaded.oil_price.deck_usd_per_bbl == (50, 5e-05, 60)


def test_a_changed_file_with_the_same_name_and_size_is_loaded_again() -> None:
    first = "name: mine\nextends: naef-2005.yaml\nnaef:\n  coupon_rate: 0.07\n"
    second = first.replace("0.07", "0.08")
    assert len(first) == len(second)
    at = _upload(start(), "mine.yaml", first)
    assert field(at, "naef.coupon_rate").value == 7
    at = _upload(at, "mine.yaml", second)
    assert not at.exception, exceptions(at)
    assert field(at, "naef.coupon_rate").value == 8


# ---------------------------------------------------------------------- state and cache


def test_a_rerun_without_changes_keeps_the_edited_inputs_and_the_results() -> None:
    at = press_run(start(), naef__coupon_rate=9)
    assert not at.exception, exceptions(at)
    before = cards(at)
    assert before
    scenario = at.session_state["scenario"]

    at.run()  # what any widget interaction outside the form does
    assert not at.exception, exceptions(at)
    assert field(at, "naef.coupon_rate").value == 9
    assert at.number_input(key="field:simulation.paths").value == PATHS
    assert at.session_state["scenario"].to_dict() == scenario.to_dict()
    assert cards(at) == before


def test_pressing_run_again_with_identical_inputs_does_not_simulate_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = simulator.simulate

    def counting(*args: Any, **kwargs: Any) -> simulator.Results:
        calls.append(kwargs.get("paths", 0))
        return real(*args, **kwargs)

    # The page calls ``simulator.simulate`` through the module, in this process.
    monkeypatch.setattr(simulator, "simulate", counting)
    at = start()
    opened = simulator.load_scenario(BASELINE).simulation.paths
    assert calls == [opened], "the page opens with the loaded scenario run as it stands"
    at = press_run(at, naef__coupon_rate=8)
    assert not at.exception, exceptions(at)
    assert calls == [opened, PATHS]
    first = cards(at)

    at = press_run(at, naef__coupon_rate=8)
    assert not at.exception, exceptions(at)
    assert calls == [opened, PATHS], "identical inputs must come from the cache"
    assert cards(at) == first


# ---------------------------------------------------------------------- sensitivity


def press_sensitivity(
    at: AppTest, method: str, paths: int | None = None, base_samples: int = 32
) -> AppTest:
    """Choose the method (which redraws the controls), set the paths (default: as the page
    proposes) and, for Sobol, the base samples; press Run sensitivity."""
    at.radio(key="sens_method").set_value(method).run()
    key = "tornado" if method.startswith("Tornado") else "sobol"
    if paths is not None:
        at.number_input(key=f"sens_paths:{key}").set_value(paths)
    if key == "sobol":
        at.selectbox(key="sens_base_samples").set_value(base_samples)
    (button,) = [b for b in at.button if b.label == "Run sensitivity"]
    button.click().run()
    return at


def ranking_shown(at: AppTest) -> Any:
    (frame,) = [d.value for d in at.dataframe if "parameter" in d.value.columns]
    return frame


#: What the Sensitivity tab ranks: the library's default outputs and the median GDP uplift.
SENSITIVITY_OUTPUTS = (
    "mdf_inflow_pv_p50",
    "prob_default",
    "prob_standalone_default",
    "gdp_uplift_pv_usd_bn",
)


def test_sensitivity_tab_shows_the_librarys_tornado_and_sobol() -> None:
    from simulator.analysis.sensitivity import sobol, tornado

    at = start()  # the page opens with the baseline run, so its sensitivity can be asked for
    assert [b.label for b in at.button if b.label == "Run sensitivity"] == ["Run sensitivity"]
    press_run(at)
    press_sensitivity(at, "Tornado (one at a time)", 300)
    assert not exceptions(at)
    sc = baseline()
    want = tornado(sc, outputs=SENSITIVITY_OUTPUTS, paths=300, seed=sc.simulation.seed)
    shown = ranking_shown(at)
    output = at.selectbox(key="sens_output").value
    assert list(shown["parameter"]) == list(want.ranking(output)["parameter"])
    assert list(shown["swing"]) == list(want.ranking(output)["swing"])

    press_sensitivity(at, "Sobol indices (global)", 64, base_samples=32)
    assert not exceptions(at)
    want_s = sobol(
        sc,
        outputs=SENSITIVITY_OUTPUTS,
        base_samples=32,
        paths_per_sample=64,
        seed=sc.simulation.seed,
    )
    at.selectbox(key="sens_output").set_value("prob_default").run()
    shown = ranking_shown(at)
    ranking = want_s.ranking("prob_default")
    assert list(shown["parameter"]) == list(ranking["parameter"])
    assert list(shown["ST"]) == list(ranking["ST"])


def test_sensitivity_uses_the_main_runs_paths_or_says_it_uses_fewer() -> None:
    at = press_run(start(), paths=600)
    at.radio(key="sens_method").set_value("Tornado (one at a time)").run()
    assert at.number_input(key="sens_paths:tornado").value == 600
    n = len(at.multiselect[0].value)
    assert f"Will run {1 + 2 * n} runs of 600 paths, as many as the main run." in [
        c.value for c in at.caption
    ]
    # Sobol's controls only with Sobol.
    assert [s for s in at.selectbox if s.key == "sens_base_samples"] == []

    at.radio(key="sens_method").set_value("Sobol indices (global)").run()
    assert at.selectbox(key="sens_base_samples").value == 64
    assert at.number_input(key="sens_paths:sobol").value == 256
    n = len(at.multiselect[0].value)
    captions = [c.value for c in at.caption]
    assert (
        f"Will run {64 * (n + 2):,} parameter sets of 256 paths: fewer paths than the main "
        "run's 600, so each figure is noisier than the cards." in captions
    ), captions

    # A new main run proposes its own paths again.
    at = press_run(at, paths=900)
    at.radio(key="sens_method").set_value("Tornado (one at a time)").run()
    assert at.number_input(key="sens_paths:tornado").value == 900
    at = press_sensitivity(at, "Tornado (one at a time)")
    assert ranking_shown(at) is not None
    assert at.session_state["sens_request"][1][1] == 900


def test_sensitivity_offers_only_parameters_that_move_what_it_ranks() -> None:
    """Every parameter offered moves at least one of the outputs ranked (the GDP uplift is
    ranked, so the fund's efficiency moves something); the oil price fields a price model does
    not read are not offered: with gbm, the long-run price and the mean reversion."""
    at = press_run(start(), paths=400)
    at = press_sensitivity(at, "Tornado (one at a time)")
    assert not exceptions(at)
    offered = at.multiselect[0].value  # every parameter offered is chosen at first
    assert "oil_price.long_run_usd_per_bbl" in offered and "mdf.efficiency" in offered
    assert at.session_state["sens_request"][1][3] == tuple(offered)
    assert at.selectbox(key="sens_output").options == [
        output("mdf_inflow_pv_p50").label,
        output("prob_default").label,
        output("prob_standalone_default").label,
        f"{output('gdp_uplift_pv_usd_bn').label}, median over paths",
    ]
    swings: dict[str, float] = {}
    from simulator.analysis.sensitivity import tornado as library_tornado

    result = library_tornado(
        baseline(**{"simulation.paths": 400}),
        parameters=list(offered),
        outputs=SENSITIVITY_OUTPUTS,
        paths=400,
    )
    for name in SENSITIVITY_OUTPUTS:
        rank = result.ranking(name)
        for p, swing in zip(rank["parameter"], rank["swing"], strict=True):
            swings[p] = max(swings.get(p, 0.0), abs(float(swing)))
    assert all(swings[p] > 0 for p in offered), swings

    at.selectbox(key="field:oil_price.model").set_value("gbm").run()
    at = press_run(at, paths=400)
    at.radio(key="sens_method").set_value("Tornado (one at a time)").run()
    offered = at.multiselect[0].value
    assert "oil_price.long_run_usd_per_bbl" not in offered
    assert "oil_price.volatility" in offered
    gbm = baseline(**{"simulation.paths": 400, "oil_price.model": "gbm"})
    moved = gbm.with_overrides({"oil_price.long_run_usd_per_bbl": 80.0})
    a = simulator.simulate(gbm, paths=200, seed=1).headline()
    b = simulator.simulate(moved, paths=200, seed=1).headline()
    assert a == b, "the long-run price has no effect under gbm: nothing to rank"


# ---------------------------------------------------------------------- fit to history

#: The oil price fields a fit fills (the initial price only when asked to).
FITTED = ("model", "basis", "long_run_usd_per_bbl", "mean_reversion_per_year", "volatility")


def editor_values(at: AppTest) -> dict[str, Any]:
    """Every editor widget's value, by dotted field."""
    return {key: at.session_state[f"field:{key}"] for key in KINDS}


def section(at: AppTest, title: str) -> Any:
    (block,) = [e for e in at.expander if e.label == title]
    return block


def press_fit(at: AppTest, **inputs: Any) -> AppTest:
    """Set the fit control (``series="brent"``, ``start=1990``...), then press Fit."""
    for name, value in inputs.items():
        if name in ("start", "end"):
            at.number_input(key=f"fit:{name}").set_value(value)
        elif name == "initial":
            at.checkbox(key="fit:initial").set_value(value)
        else:
            at.selectbox(key=f"fit:{name}").set_value(value)
    (button,) = [b for b in at.button if b.label == "Fit"]
    button.click().run()
    return at


def test_fit_to_history_fills_the_oil_price_fields_and_a_run_uses_them() -> None:
    """A real fit in the dollars of the year before the edited start year; the initial price is
    kept unless ticked, and the run after it has the fitted values."""
    at = start()
    before = editor_values(at)
    at.number_input(key="field:horizon.start_year").set_value(2011)
    window: dict[str, Any] = {"series": "brent", "frequency": "monthly", "start": 1990, "end": 2019}
    at = press_fit(at, **window, basis="real", model="mean_reverting")
    assert not at.exception, exceptions(at)
    fit = calibrate(**window, basis="real", base_year=2010, model="mean_reverting")
    want = fit.oil_price_block()
    shown = editor_values(at)
    assert {name: shown[f"oil_price.{name}"] for name in FITTED} == {
        name: want[name] for name in FITTED
    }
    assert shown["oil_price.long_run_usd_per_bbl"] != before["oil_price.long_run_usd_per_bbl"]
    assert want["initial_usd_per_bbl"] != before["oil_price.initial_usd_per_bbl"]
    assert shown["oil_price.initial_usd_per_bbl"] == before["oil_price.initial_usd_per_bbl"]
    assert fit.summary() in [c.value for c in section(at, "Oil price").code]

    at = press_run(at)
    assert not at.exception, exceptions(at)
    ran = at.session_state["scenario"]
    assert ran.horizon.start_year == 2011
    assert {name: ran.value(f"oil_price.{name}") for name in FITTED} == {
        name: want[name] for name in FITTED
    }
    assert ran.oil_price.initial_usd_per_bbl == before["oil_price.initial_usd_per_bbl"]

    # A nominal gbm fit with the initial price: the mean-reversion fields are left as they were.
    at = press_fit(at, basis="nominal", model="gbm", initial=True)
    assert not at.exception, exceptions(at)
    gbm = calibrate(**window, basis="nominal", model="gbm").oil_price_block()
    at = press_run(at)
    assert not at.exception, exceptions(at)
    ran = at.session_state["scenario"].oil_price
    assert (ran.model, ran.basis) == ("gbm", "nominal")
    assert (ran.volatility, ran.drift_per_year, ran.initial_usd_per_bbl) == (
        gbm["volatility"],
        gbm["drift_per_year"],
        gbm["initial_usd_per_bbl"],
    )
    assert (ran.long_run_usd_per_bbl, ran.mean_reversion_per_year) == (
        want["long_run_usd_per_bbl"],
        want["mean_reversion_per_year"],
    )


def test_a_fit_on_too_short_a_window_shows_the_one_line_error_and_changes_nothing() -> None:
    with pytest.raises(InputError) as lib_error:
        calibrate(series="wti", start=2020, end=2021, basis="real", base_year=2005)
    want = str(lib_error.value)
    assert "\n" not in want

    at = start()
    before = editor_values(at)
    at = press_fit(at, start=2020, end=2021)
    assert not at.exception, exceptions(at)
    assert [e.value for e in section(at, "Oil price").error] == [want]
    assert editor_values(at) == before
    assert not at.code, "no summary without a fit"


# ---------------------------------------------------------------------- section-level errors


def test_a_correlation_matrix_that_is_not_psd_is_shown_in_its_section_and_not_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sets: dict[str, Any] = {
        "price_overrun_correlation": 0.9,
        "price_reservoir_correlation": 0.9,
        "overrun_reservoir_correlation": -0.9,
    }
    want = cli_message(capsys, "risks", *(f"risks.{k}={v}" for k, v in sets.items()))
    at = start()
    assert not section(at, "Correlated risks").proto.expanded, "collapsed at first"
    at = press_run(at, **{f"risks__{k}": v for k, v in sets.items()})
    assert not at.exception, exceptions(at)
    risks = section(at, "Correlated risks")
    assert risks.proto.expanded, "the section with the error is opened"
    assert any(want in e.value for e in risks.error), (want, [e.value for e in risks.error])
    assert at.session_state["scenario"] is None
    assert not at.metric, "no results for invalid inputs"

    at = press_run(at, risks__overrun_reservoir_correlation=0.9)  # positive semidefinite
    assert not at.exception, exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["scenario"].risks.overrun_reservoir_correlation == 0.9
    assert at.metric
    assert section(at, "Correlated risks").proto.expanded, "fixed, it stays open"


# ---------------------------------------------------------------------- price basis


def test_the_results_say_the_price_basis_and_the_dollars_of_the_break_even() -> None:
    label = output("breakeven_usd_per_bbl").label

    def breakeven_caption(at: AppTest) -> list[str]:
        (col,) = [c for c in at.columns if any(m.label == label for m in c.metric)]
        return [c.value for c in col.caption]

    at = press_run(start())
    assert not at.exception, exceptions(at)
    real = baseline()
    captions = [c.value for c in at.caption]
    assert real.basis_note in captions, captions
    assert breakeven_caption(at) == [f"USD/bbl, {real.price_dollars}"]

    at = press_run(at, oil_price__basis="nominal")
    assert not at.exception, exceptions(at)
    nominal = baseline(**{"oil_price.basis": "nominal"})
    captions = [c.value for c in at.caption]
    assert nominal.basis_note in captions and real.basis_note not in captions, captions
    assert breakeven_caption(at) == [f"USD/bbl, {nominal.price_dollars}"]

    # Against a scenario in other dollars, the break-even price has no change; the others do.
    at.multiselect(key="compare_with").set_value(["naef-2005"]).run()
    assert not at.exception, exceptions(at)
    got = deltas(at)
    assert got[label] is None or got[label] == "", got[label]
    assert got[MDF_P50], "the other cards still compare"
    assert any("No change of the break-even price" in c.value for c in at.caption)


# ---------------------------------------------------------------------- credit of the notes

FAIR = "Find the fair coupon"


def credit_table(report: credit_module.CreditReport) -> dict[str, str]:
    """Measure -> text the page must show for a library report."""
    rating = report.rating
    if report.rating != report.rating_uncapped:
        rating += f" (capped from {report.rating_uncapped})"
    lgd = report.loss_given_default
    return {
        "Probability of default": f"{report.probability_of_default:.3%} "
        f"(upper 95%: {report.probability_of_default_upper:.3%})",
        "Expected loss": f"{report.expected_loss:.3%} "
        f"(upper 95%: {report.expected_loss_upper:.3%})",
        "Loss given default": f"{lgd:.1%}" if math.isfinite(lgd) else "n/a",
        "Weighted average life": f"{report.weighted_average_life_years:.1f} years",
        "Implied rating": rating,
    }


def credit_shown(at: AppTest) -> dict[str, str]:
    (table,) = at.table
    return {str(k): str(v) for k, v in table.value["Value"].items()}


def library_credit(sc: Scenario) -> credit_module.CreditReport:
    return credit_module.credit_report(
        simulator.simulate(sc, paths=sc.simulation.paths, seed=sc.simulation.seed)
    )


def fair_coupon_shown(at: AppTest) -> list[str]:
    return [
        m.value for m in at.markdown if m.value.startswith(("**Fair coupon", "No clearing coupon"))
    ]


#: The library's search, kept from before any test replaces it.
LIBRARY_FAIR_COUPON = credit_module.fair_coupon


def library_fair_coupon_text(sc: Scenario) -> str:
    """The text the page must show for the scenario's fair coupon (min(paths, 4000), its seed)."""
    fair = LIBRARY_FAIR_COUPON(sc, paths=min(sc.simulation.paths, 4000), seed=sc.simulation.seed)
    runs = f"{fair.paths:,} paths per run, seed {fair.seed}"
    if fair.coupon is None:
        r = fair.discount_rate
        return (
            f"No clearing coupon between {r:.2%} and {r + 0.15:.2%}: holders expect less than "
            f"they lend at every coupon of the range ({runs})."
        )
    assert fair.spread is not None and fair.standard_error is not None
    return (
        f"**Fair coupon {fair.coupon:.3%}**: {1e4 * fair.spread:.0f} bp over the risk-free "
        f"rate {sc.credit.risk_free_rate:.2%}, ± {1e4 * fair.standard_error:.1f} bp ({runs})."
    )


def press_fair_coupon(at: AppTest) -> AppTest:
    (button,) = [b for b in at.button if b.label == FAIR]
    button.click().run()
    return at


def test_the_results_show_the_librarys_credit_report_and_a_binding_cap() -> None:
    at = press_run(start())
    assert not at.exception, exceptions(at)
    want = library_credit(baseline())
    assert credit_shown(at) == credit_table(want)
    assert "capped" not in credit_shown(at)["Implied rating"]
    captions = [c.value for c in at.caption]
    source = f"{want.table}; losses crystallize in {want.loss_year}"
    assert any(c.startswith(source) for c in captions), captions
    assert any(s.value == "Credit of the notes" for s in at.subheader)

    # A cap of rank 4 (Baa) below the uncapped rating: the capped rating, and what it was.
    at = press_run(at, credit__rating_cap="4")
    assert not at.exception, exceptions(at)
    capped = library_credit(baseline(**{"credit.rating_cap": "4"}))
    assert capped.rating != capped.rating_uncapped, "the cap must bind for this test"
    assert credit_shown(at) == credit_table(capped)
    assert credit_shown(at)["Implied rating"] == (
        f"{capped.rating} (capped from {capped.rating_uncapped})"
    )


def test_the_fair_coupon_is_the_librarys_and_is_not_searched_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[int, int | None]] = []

    def counting(sc: Scenario, *, paths: int = 4000, seed: int | None = None) -> Any:
        calls.append((paths, seed))
        return LIBRARY_FAIR_COUPON(sc, paths=paths, seed=seed)

    # The page imports ``fair_coupon`` from the module on every script run, in this process.
    monkeypatch.setattr(credit_module, "fair_coupon", counting)
    at = press_run(start(), paths=500)
    assert not at.exception, exceptions(at)
    assert fair_coupon_shown(at) == [], "searched only on request"
    assert calls == []

    at = press_fair_coupon(at)
    assert not at.exception, exceptions(at)
    sc = baseline(**{"simulation.paths": 500})
    assert calls == [(500, sc.simulation.seed)], "min(500, 4000) paths, the scenario's seed"
    want = library_fair_coupon_text(sc)
    assert fair_coupon_shown(at) == [want]

    at.run()  # any other interaction: still shown, not searched again
    assert fair_coupon_shown(at) == [want]
    at = press_fair_coupon(at)
    assert fair_coupon_shown(at) == [want]
    assert len(calls) == 1, "the same scenario's coupon comes from the cache"

    # A scenario that defaults often clears above the discount rate: its own coupon.
    at.selectbox(key="choice").set_value("ordinary-fiscal-take").run()
    at = press_fair_coupon(press_run(at, paths=500))
    assert not at.exception, exceptions(at)
    assert len(calls) == 2
    other = simulator.load_scenario(SCENARIOS / "ordinary-fiscal-take.yaml").with_overrides(
        {"simulation.paths": 500}
    )
    shown = fair_coupon_shown(at)
    assert shown == [library_fair_coupon_text(other)]
    assert shown != [want]


def test_a_horizon_that_ends_before_losses_crystallize_shows_the_librarys_message() -> None:
    """The baseline's last tranche (2010) matures in 2030, losses crystallize in 2031; a
    20-year horizon ends in 2025: the library's one-line refusal, no table, no search."""
    # Named, on the page, for what changed: the library's message names the scenario.
    short = baseline(**{"horizon.years": 20, "name": "naef-2005 (horizon 20 years)"})
    with pytest.raises(InputError) as lib_error:
        library_credit(short)
    want = str(lib_error.value)
    assert "\n" not in want and "horizon.years" in want

    at = press_run(start(), horizon__years=20)
    assert not at.exception, exceptions(at)
    assert inputs_of(at.session_state["scenario"]) == inputs_of(short)
    assert want in [w.value for w in at.warning]
    assert not at.table, "no credit table"
    assert [b for b in at.button if b.label == FAIR] == []
    assert at.metric, "the rest of the results are still shown"


# ---------------------------------------------------------------------- the editor's fields


def test_fields_have_human_labels_and_their_names_in_the_tooltip() -> None:
    at = start()
    widgets = {
        w.key: w
        for kind in ("number_input", "text_input", "text_area", "selectbox", "checkbox")
        for w in getattr(at, kind)
        if w.key and w.key.startswith("field:")
    }
    specs = {spec.key: spec for spec in simulator.field_specs()}
    shown = {key.removeprefix("field:") for key in widgets}
    assert "naef.coupon_rate" in shown and "oil_price.model" in shown
    for key in shown:
        spec, widget = specs[key], widgets[f"field:{key}"]
        label = widget.label
        assert key not in label and not label.startswith(spec.name), (key, label)
        assert label[:1].isupper(), label
        assert widget.help.startswith(spec.description), key
        assert f"`{key}`" in widget.help, (key, widget.help)
    assert widgets["field:naef.coupon_rate"].label == "Coupon [% a year]"
    assert widgets["field:simulation.paths"].label == "Monte Carlo paths [paths]"
    assert widgets["field:fiscal.royalty_rate"].label == "Royalty [%]"


def test_rates_are_entered_in_percent_and_run_as_fractions() -> None:
    at = start()
    # Shares and rates bounded in [-1, 1] are in per cent; correlations, elasticities,
    # speeds and spreads are not.
    for key, want in {
        "naef.coupon_rate": 6.0,
        "oil_price.inflation_rate": 2.5,
        "fiscal.royalty_rate": 0.0,
        "waterfall.mdf_share": 100.0,
        "mdf.efficiency": 70.0,
        "naef.recovery_rate": 40.0,
        "reporting.discount_rate": 6.0,
    }.items():
        assert field(at, key).value == want, key
        assert "%" in field(at, key).label, key
    for key in (
        "risks.price_overrun_correlation",
        "mdf.output_elasticity",
        "oil_price.mean_reversion_per_year",
        "pemex.capex_overrun_sd",
    ):
        assert "%" not in field(at, key).label, key
    assert field(at, "naef.coupon_rate").proto.max == 100.0  # 1 as a fraction

    # Typing 5 for a 5% coupon and 30 for a 30% royalty runs 0.05 and 0.3, to the bit; the
    # unedited percentages give back the file's fractions exactly.
    at = press_run(at, naef__coupon_rate=5, fiscal__royalty_rate=30, mdf__efficiency=72.5)
    assert not at.exception, exceptions(at)
    want = baseline(
        **{"naef.coupon_rate": 0.05, "fiscal.royalty_rate": 0.3, "mdf.efficiency": 0.725}
    )
    ran = at.session_state["scenario"]
    assert inputs_of(ran) == inputs_of(want)
    assert ran.name == "naef-2005 (coupon 5%, royalty 30%, efficiency of investment 72.5%)"
    assert cards(at) == {c["label"]: c["text"] for c in library_cards(want)}


def oil_price_fields(at: AppTest) -> set[str]:
    """The oil price fields drawn in their section."""
    block = section(at, "Oil price")
    keys = set()
    for kind in ("number_input", "text_input", "selectbox", "checkbox"):
        for w in getattr(block, kind):
            if w.key and w.key.startswith("field:oil_price."):
                keys.add(w.key.removeprefix("field:oil_price."))
    return keys


def test_the_oil_price_section_shows_only_the_chosen_models_fields() -> None:
    """For each price model the section draws the fields the model reads and none of the
    fields it does not: checked against the library, where moving a drawn field changes the
    run and moving a hidden one leaves it the same to the bit. The hidden fields keep their
    values: switching models and back, then running, gives the edited scenario."""
    import numpy as np

    moved: dict[str, Any] = {
        "initial_usd_per_bbl": 70.0,
        "long_run_usd_per_bbl": 70.0,
        "mean_reversion_per_year": 0.6,
        "volatility": 0.4,
        "drift_per_year": 0.03,
        "short_term_volatility": 0.4,
        "long_term_volatility": 0.25,
        "long_term_drift_per_year": 0.02,
        "correlation": -0.3,
        "bootstrap_block_years": 5,
        "history_usd_per_bbl": [20, 30, 25, 40, 35, 50, 45, 60, 55, 70],
        "deck_usd_per_bbl": [70.0, 80.0],
    }

    def metrics(sc: Scenario) -> Any:
        return simulator.simulate(sc, paths=64, seed=5).metrics.to_numpy(dtype=float)

    at = start()
    every = {s.name for s in simulator.field_specs() if s.section == "oil_price"}
    common = every - set(moved) - {"model"}
    for model in ("gbm", "mean_reverting", "two_factor", "bootstrap", "deck"):
        at.selectbox(key="field:oil_price.model").set_value(model).run()
        assert not at.exception, exceptions(at)
        drawn = oil_price_fields(at)
        assert common <= drawn, (model, common - drawn)
        # A deck at $30 draws on the price-linked backstop, whose cap the initial price sets.
        sc = baseline(
            **{"oil_price.model": model, "oil_price.deck_usd_per_bbl": [30.0]},
        )
        ref = metrics(sc)
        for name, value in moved.items():
            same = np.array_equal(
                ref, metrics(sc.with_overrides({f"oil_price.{name}": value})), equal_nan=True
            )
            assert same == (name not in drawn), (model, name, "drawn" if name in drawn else "")

    # Run gbm with a drift of 2%, then a deck: the hidden drift keeps its value (the scenario
    # holds it, with no effect), and back on gbm the field shows it again.
    at.selectbox(key="field:oil_price.model").set_value("gbm").run()
    at = press_run(at, oil_price__drift_per_year=2)
    ran = at.session_state["scenario"].oil_price
    assert (ran.model, ran.drift_per_year) == ("gbm", 0.02)
    assert ran.long_run_usd_per_bbl == baseline().oil_price.long_run_usd_per_bbl  # hidden, kept
    at.selectbox(key="field:oil_price.model").set_value("deck").run()
    assert "drift_per_year" not in oil_price_fields(at)
    at = press_run(at, oil_price__deck_usd_per_bbl="60")
    assert not at.exception, exceptions(at)
    ran = at.session_state["scenario"].oil_price
    assert (ran.model, ran.drift_per_year, ran.deck_usd_per_bbl) == ("deck", 0.02, (60.0,))
    at.selectbox(key="field:oil_price.model").set_value("gbm").run()
    assert field(at, "oil_price.drift_per_year").value == 2.0


def test_a_bad_value_is_shown_under_its_field_and_at_the_run_button() -> None:
    """Not only an icon: the one-line message under the field, its section open, and a
    visible message right after the Run button naming the field and the section."""
    text = "- {from_year: ["
    at = start()
    assert not section(at, "Fiscal take").proto.expanded
    at = press_run(at, fiscal__regimes=text)
    assert not at.exception, exceptions(at)
    fiscal = section(at, "Fiscal take")
    assert fiscal.proto.expanded
    (under,) = [e.value for e in fiscal.error]
    assert "fiscal.regimes" in under and "\n" not in under
    (form,) = at.get("form")
    kids = list(form.children.values())
    button, message = kids[-2], kids[-1]
    assert getattr(button, "label", None) == "Run"
    assert type(message).__name__ == "Error", type(message).__name__
    assert message.value.startswith("Not run: a value needs fixing at Fiscal regimes by year")
    assert "Fiscal take" in message.value and under in message.value
    assert not at.metric

    at = press_run(at, fiscal__regimes="")  # fixed: no message anywhere
    assert not at.exception, exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert at.metric


def test_sensitivity_of_a_fund_with_sectors_offers_the_sectors() -> None:
    at = start()
    at.selectbox(key="choice").set_value("mdf-sectors").run()
    at = press_run(at, paths=300)
    at.radio(key="sens_method").set_value("Tornado (one at a time)").run()
    assert not at.exception, exceptions(at)
    box = at.multiselect[0]
    sectors = [k for k in box.value if k.startswith("mdf.sectors.")]
    assert sectors, box.value
    assert "mdf.efficiency" not in box.value  # the single stock's field: no effect here
    labels = dict(zip(box.value, box.options, strict=False))
    assert all(": " in labels[k] for k in sectors), labels


# ---------------------------------------------------------------------- names of edited runs


def legend_names(at: AppTest) -> set[str]:
    """The scenario names in the fan charts' legends (trace names before the colon)."""
    import json

    names = set()
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for trace in spec["data"]:
            meta = trace.get("meta")
            if isinstance(meta, dict) and "scenario" in meta:
                names.add(meta["scenario"])
                assert trace["name"].startswith(meta["scenario"] + ": ")
    return names


def test_an_edited_scenario_is_named_for_what_changed() -> None:
    at = press_run(start(), naef__coupon_rate=5)
    assert not at.exception, exceptions(at)
    name = "naef-2005 (coupon 5%)"
    assert at.session_state["scenario"].name == name
    assert at.subheader[0].value == f"{name}: {PATHS:,} paths, seed 20050401"
    assert legend_names(at) == {name}

    # The run's own settings are not the scenario's: the paths alone leave the name.
    at = press_run(at, paths=PATHS + 100, naef__coupon_rate=6)
    assert at.session_state["scenario"].name == "naef-2005"
    assert at.session_state["scenario"].description == baseline().description

    # Many changes: the name stays within the schema's 120 characters and says how many more.
    edits = {
        "naef__coupon_rate": 7.25,
        "naef__tenor_years": 25,
        "naef__grace_years": 4,
        "pemex__lag_years": 4,
        "pemex__ramp_years": 3,
        "pemex__plateau_years": 6,
        "mdf__efficiency": 65,
        "waterfall__mdf_share": 90,
        "reporting__discount_rate": 5,
    }
    at = press_run(at, **edits)
    assert not at.exception, exceptions(at)
    ran = at.session_state["scenario"]
    assert len(ran.name) <= 120
    assert ran.name.startswith("naef-2005 (coupon 7.25%, tenor 25 years, ")
    assert re.search(r", \+\d+ more\)$", ran.name), ran.name
    for key in ("naef.coupon_rate", "pemex.plateau_years", "reporting.discount_rate"):
        assert f"- {key}: " in ran.description


def test_compare_with_the_unedited_version_labels_the_sides_apart() -> None:
    at = press_run(start(), naef__coupon_rate=5)
    at.multiselect(key="compare_with").set_value(["its unedited version"]).run()
    assert not at.exception, exceptions(at)
    assert legend_names(at) == {"naef-2005 (coupon 5%)", "naef-2005"}
    assert "Deltas against naef-2005: same seed, same draws." in [c.value for c in at.caption]

    # Nothing edited: the same name on both sides, so the unedited side says so.
    at = press_run(at, naef__coupon_rate=6)
    assert at.session_state["scenario"].name == "naef-2005"
    assert legend_names(at) == {"naef-2005", "naef-2005 (unedited)"}
    captions = [c.value for c in at.caption]
    assert "Deltas against naef-2005 (unedited): same seed, same draws." in captions


def test_the_results_show_the_fund_by_sector() -> None:
    import json

    at = start()
    at.selectbox(key="choice").set_value("mdf-sectors").run()
    at = press_run(at)
    assert not at.exception, exceptions(at)
    assert not [c for c in at.get("plotly_chart") if "sectors" in c.proto.id], "on demand"
    at.button_group(key="charts_shown").select("sectors").run()
    sc = at.session_state["scenario"]
    results = simulator.simulate(sc, paths=sc.simulation.paths, seed=sc.simulation.seed)
    assert "The Development Fund by sector" in [s.value for s in at.subheader]
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id and "sectors" in c.proto.id]
    traces = json.loads(chart.proto.spec)["data"]
    sectors = [s.name for s in sc.mdf.sectors]
    assert [t["name"] for t in traces if t.get("showlegend", True)] == sectors
    (table,) = [d.value for d in at.dataframe if d.value.index.name == "Sector"]
    want = results.by_sector()
    assert list(table.index) == sectors
    assert list(table.iloc[:, 0]) == list(want["investment_total_usd_bn"].round(2))
    assert list(table.iloc[:, -1]) == list((100 * want["gdp_uplift_share"]).round(2))


# ---------------------------------------------------------------------- a what-if as a link


def open_with(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_a_what_if_is_a_link_that_opens_the_same_scenario_and_figures() -> None:
    at = press_run(start(), naef__coupon_rate=5, naef__issuance_usd_bn="20, 20, 20, 15")
    assert not at.exception, exceptions(at)
    params = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert params == {
        "scenario": "naef-2005",
        "simulation.paths": str(PATHS),
        "naef.issuance_usd_bn": "[20.0,20.0,20.0,15.0]",
        "naef.coupon_rate": "0.05",
    }
    assert any("address holds this what-if" in c.value for c in at.caption)

    colleague = open_with(params)  # a new session, as a colleague opening the link
    assert not colleague.exception, exceptions(colleague)
    assert not colleague.error, [e.value for e in colleague.error]
    ran = colleague.session_state["scenario"]
    assert ran.to_dict() == at.session_state["scenario"].to_dict()
    assert ran.name == "naef-2005 (tranches issued, by year [20, 20, 20, 15], coupon 5%)"
    assert cards(colleague) == cards(at) == {c["label"]: c["text"] for c in library_cards(ran)}
    assert field(colleague, "naef.coupon_rate").value == 5.0  # the editor holds the edits
    # Its unedited version is the shipped scenario.
    colleague.multiselect(key="compare_with").set_value(["its unedited version"]).run()
    assert legend_names(colleague) == {ran.name, "naef-2005"}

    # Another starting scenario: the address no longer names what is shown.
    at.selectbox(key="choice").set_value("ordinary-fiscal-take").run()
    assert dict(at.query_params) == {}


def test_a_link_that_is_not_a_valid_scenario_is_refused_on_one_line() -> None:
    for params, want in (
        ({"scenario": "no-such"}, "want a shipped scenario"),
        ({"scenario": "naef-2005", "naef.no_such": "1"}, "naef.no_such: not a field"),
        ({"scenario": "naef-2005", "naef.coupon_rate": "5"}, "naef.coupon_rate"),
        ({"scenario": "naef-2005", "naef.issuance_usd_bn": "[1, "}, "naef.issuance_usd_bn"),
    ):
        at = open_with(params)
        assert not at.exception, (params, exceptions(at))
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and want in errors[0], (params, errors)
        assert errors[0].startswith("The address's what-if was not opened: ")
        assert "\n" not in errors[0]
        assert at.session_state["base_scenario"].name == "naef-2005"
        # The scenario the page opens with, run as it stands: not the link's what-if.
        assert at.session_state["scenario"] is at.session_state["base_scenario"]
    # A link to a shipped scenario unedited opens it as it is.
    at = open_with({"scenario": "ordinary-fiscal-take", "simulation.paths": "300"})
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="choice").value == "ordinary-fiscal-take"
    assert at.session_state["scenario"].name == "ordinary-fiscal-take"
    assert at.metric


def test_a_link_asking_for_millions_of_paths_waits_for_run() -> None:
    """A shared address cannot make the server simulate millions of paths unasked: the
    what-if opens in the editor, and the page waits for Run, saying so."""
    at = open_with({"scenario": "naef-2005", "simulation.paths": "20000000"})
    assert not at.exception, exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert at.number_input(key="field:simulation.paths").value == 20_000_000
    assert at.session_state["scenario"] is None
    assert not at.metric, "nothing run"
    assert any("20,000,000 Monte Carlo paths" in i.value for i in at.info)


def test_up_to_four_scenarios_side_by_side_on_common_random_numbers() -> None:
    at = press_run(start(), naef__coupon_rate=5)
    picks = ["its unedited version", "high-price", "low-price"]
    box = at.multiselect(key="compare_with")
    assert box.proto.max_selections == 3
    box.set_value(picks).run()
    assert not at.exception, exceptions(at)
    shown = at.session_state["scenario"]
    others = [
        baseline(**{"name": "naef-2005"}),
        simulator.load_scenario(SCENARIOS / "high-price.yaml").with_overrides(
            {"simulation.paths": PATHS}
        ),
        simulator.load_scenario(SCENARIOS / "low-price.yaml").with_overrides(
            {"simulation.paths": PATHS}
        ),
    ]
    # Every side on the shown run's paths and seed.
    assert {o.simulation.seed for o in others} == {shown.simulation.seed}
    assert legend_names(at) == {shown.name, *(o.name for o in others)}
    # The cards' changes are against the first; the table holds every scenario's cards.
    want = library_cards(shown, compare=others[0])
    assert deltas(at) == {c["label"]: c["delta_text"] for c in want}
    (table,) = [d.value for d in at.dataframe if d.value.index.name == "Figure"]
    assert list(table.columns) == [shown.name, *(o.name for o in others)]
    for sc in (shown, *others):
        assert table[sc.name].to_dict() == {c["label"]: c["text"] for c in library_cards(sc)}
    assert (
        table.loc["MDF inflow PV, P50", "high-price"]
        != table.loc["MDF inflow PV, P50", "low-price"]
    )


def test_the_verdict_comes_first_and_is_the_librarys() -> None:
    """Above the cards, the verdict of the run in plain words (the library's, as naef run ends
    and the report opens): its headline in the colour of its tone, its figures, the claims."""
    at = press_run(start())
    assert not at.exception, exceptions(at)
    sc = baseline()
    v = verdict(simulator.simulate(sc, paths=sc.simulation.paths, seed=sc.simulation.seed))
    assert v.tone == "holds"
    assert any(m.value == f":green-background[**{v.headline()}**]" for m in at.markdown)
    assert any(all(line in m.value for line in v.details()) for m in at.markdown)
    claims = [d.value for d in at.dataframe if "claimed" in d.value.columns]
    assert len(claims) == 1
    assert list(claims[0].index) == [c.claim for c in v.claims]
    assert claims[0]["median"].tolist() == [c.p50 for c in v.claims]
