"""The Excel workbook of a run (``simulator.present.workbook``, ``naef report RUN_DIR --xlsx``):
its sheets hold the run's own numbers, as numbers, with the catalogue's labels and units."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import simulator
from simulator.cli import main
from simulator.outputs import HEADLINE, LEDGER, SERIES, output
from simulator.present.workbook import SHEETS, WORKBOOK_FILE, workbook_bytes, write_workbook
from simulator.run.results import Results
from simulator.scenario import field_specs, iter_fields

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "naef-2005.yaml"
REPLAY = ROOT / "scenarios" / "historical-replay-fiscal.yaml"


def _sheets(path: Path | bytes) -> dict[str, pd.DataFrame]:
    source = io.BytesIO(path) if isinstance(path, bytes) else path
    return pd.read_excel(source, sheet_name=None)


#: The file keeps 16 significant digits of a float (openpyxl writes ``%.16g``; Excel itself
#: keeps 15), so a figure read back is the run's to a relative 5e-16.
RTOL = 1e-15


def _check_numbers(book: dict[str, pd.DataFrame], res: Results) -> None:
    """Every figure of the workbook is the run's, stored as a number."""
    assert list(book) == list(SHEETS)

    head = book["Headline"].set_index("name")
    assert list(head.index) == list(HEADLINE)
    assert head["value"].dtype == np.float64
    want = res.headline()
    np.testing.assert_allclose(
        head["value"].to_numpy(), [want[k] for k in HEADLINE], rtol=RTOL, atol=0
    )
    for key in HEADLINE:
        se = head.loc[key, "standard error"]
        if f"{key}_se" in want:
            assert se == pytest.approx(want[f"{key}_se"], rel=RTOL, abs=0), key
        else:
            assert np.isnan(se), key
        assert head.loc[key, "label"] == output(key).label
        assert head.loc[key, "unit"] == output(key).unit

    summary = res.summary()
    got = book["Summary"].set_index("metric")
    assert list(got.index) == list(summary.index)
    stats = [str(c) for c in summary.columns]
    assert all(got[c].dtype.kind in "fi" for c in stats)
    pd.testing.assert_frame_equal(
        got[stats], summary, check_dtype=False, check_names=False, rtol=RTOL, atol=0
    )
    assert list(got["label"]) == [output(m).label for m in summary.index]

    ledger = book["Ledger"].set_index("name")
    years = [int(y) for y in res.years]
    assert list(ledger.index) == list(LEDGER)
    assert [c for c in ledger.columns if isinstance(c, int)] == years
    by_year = ledger[years].T
    by_year.index = by_year.index.astype(np.int64)
    pd.testing.assert_frame_equal(by_year, res.ledger(), check_names=False, rtol=RTOL, atol=0)
    assert list(ledger["unit"]) == [output(n).unit for n in LEDGER]

    fans = book["Fans"]
    assert list(fans["series"].unique()) == list(SERIES)
    for name in ("dscr", "mdf_balance_usd_bn"):
        rows = fans[fans["series"] == name].set_index("percentile")[years]
        want_fan = res.fan(name)
        assert list(rows.index) == [float(c[1:]) for c in want_fan.columns]
        np.testing.assert_allclose(rows.to_numpy(), want_fan.to_numpy().T, rtol=RTOL, atol=0)

    manifest = book["Manifest"].set_index("entry")["value"]
    assert manifest["input_hash"] == res.scenario.content_hash()
    assert int(manifest["paths"]) == res.paths and int(manifest["seed"]) == res.seed


def test_workbook_holds_the_runs_numbers(baseline_run: Results, tmp_path: Path) -> None:
    target = write_workbook(baseline_run, tmp_path / "run.xlsx")
    assert target == tmp_path / "run.xlsx"
    _check_numbers(_sheets(target), baseline_run)
    # The bytes a page would offer for download are the same workbook.
    _check_numbers(_sheets(workbook_bytes(baseline_run)), baseline_run)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.xlsx"]  # no temporary left


def test_inputs_list_every_field_with_its_unit_and_numbers_as_numbers(tmp_path: Path) -> None:
    # The fiscal replay has lists (fixed prices), records (regimes) and nulls.
    sc = simulator.load_scenario(REPLAY)
    res = simulator.simulate(sc, paths=200, seed=1)
    inputs = _sheets(workbook_bytes(res))["Inputs"].set_index("field")
    specs = {s.key: s for s in field_specs()}
    scalars = {key: value for key, value in iter_fields(sc) if not isinstance(value, tuple)}
    for key, value in scalars.items():
        got = inputs.loc[key, "value"]
        assert inputs.loc[key, "unit"] == specs[key].unit or specs[key].unit == "", key
        if value is None:
            assert pd.isna(got), key
            assert inputs.loc[key, "note"] == f"null: takes {specs[key].derived_from}", key
        elif isinstance(value, str):
            assert got == value, key
        else:  # numbers and flags read back as numbers, not text
            assert not isinstance(got, str) and got == value, key
    assert inputs.loc["name", "value"] == sc.name
    prices = sc.oil_price.fixed_path_usd_per_bbl
    assert prices, "the replay fixes its history"
    got_prices = [inputs.loc[f"oil_price.fixed_path_usd_per_bbl[{i}]", "value"] for i in range(9)]
    assert got_prices == list(prices[:9])
    assert inputs.loc["oil_price.fixed_path_usd_per_bbl[0]", "unit"] == "USD/bbl"
    regime = sc.fiscal.regimes[1]
    assert inputs.loc["fiscal.regimes[1].from_year", "value"] == regime.from_year
    duty = regime.duties[0]
    assert inputs.loc["fiscal.regimes[1].duties[0].rate", "value"] == duty.rate
    assert inputs.loc["fiscal.regimes[1].duties[0].name", "value"] == duty.name


def test_cells_carry_the_catalogues_number_formats(baseline_run: Results) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(baseline_run)))
    head = wb["Headline"]
    rows = {head.cell(row=r, column=1).value: r for r in range(2, head.max_row + 1)}
    # A probability is stored as a fraction and shown in per cent; money with separators.
    prob = head.cell(row=rows["prob_default"], column=4)
    assert prob.value == pytest.approx(baseline_run.headline()["prob_default"], rel=1e-15)
    assert prob.number_format == "0.00%"
    assert head.cell(row=rows["mdf_inflow_pv_p50"], column=4).number_format == "#,##0.00"
    assert head.cell(row=rows["project_irr_p50"], column=4).number_format == "0.0%"


def test_scenario_text_is_written_as_text_never_a_formula() -> None:
    sc = simulator.load_scenario(BASELINE).with_overrides(
        {"name": '=HYPERLINK("http://x","y")', "description": "#N/A and a bell \x07"}
    )
    res = simulator.simulate(sc, paths=100, seed=1)
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(res)))
    inputs = wb["Inputs"]
    name, description = inputs["B2"], inputs["B3"]
    assert (name.data_type, name.value) == ("s", '=HYPERLINK("http://x","y")')
    assert (description.data_type, description.value) == ("s", "#N/A and a bell \\x07")


def test_a_run_without_series_has_a_fans_sheet_without_rows() -> None:
    res = simulator.simulate(simulator.load_scenario(BASELINE), paths=100, seed=1, keep_series=0)
    book = _sheets(workbook_bytes(res))
    assert list(book) == list(SHEETS)
    assert book["Fans"].empty and list(book["Fans"].columns[:4]) == [
        "series",
        "label",
        "unit",
        "percentile",
    ]
    assert book["Ledger"].shape[0] == len(LEDGER)


# ---------------------------------------------------------------------- naef report --xlsx


def test_report_xlsx_writes_the_workbook_beside_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(BASELINE), "--paths", "1000", "--out", str(tmp_path)]) == 0
    run_dir = tmp_path / "naef-2005"
    assert main(["report", str(run_dir)]) == 0
    assert not (run_dir / WORKBOOK_FILE).exists()  # only when asked
    capsys.readouterr()
    assert main(["report", str(run_dir), "--xlsx"]) == 0
    out = capsys.readouterr().out
    book_path = run_dir / WORKBOOK_FILE
    assert str(book_path) in out and str(run_dir / "report.html") in out
    assert (run_dir / "report.html").is_file()
    _check_numbers(_sheets(book_path), Results.from_dir(run_dir))


def test_report_xlsx_that_cannot_be_written_exits_2_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(BASELINE), "--paths", "300", "--out", str(tmp_path)]) == 0
    run_dir = tmp_path / "naef-2005"
    (run_dir / WORKBOOK_FILE).mkdir()  # a folder where the file goes: cannot be replaced
    before = sorted(p.name for p in run_dir.iterdir())
    capsys.readouterr()
    assert main(["report", str(run_dir), "--xlsx"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert WORKBOOK_FILE in err and str(run_dir) in err
    assert sorted(p.name for p in run_dir.iterdir()) == sorted([*before, "report.html"])
    assert (run_dir / WORKBOOK_FILE).is_dir()
