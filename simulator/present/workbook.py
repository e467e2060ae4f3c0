"""An Excel workbook of a run: its inputs, headline figures, summary, ledger and fans.

:func:`workbook_bytes` turns :class:`~simulator.run.results.Results` into the bytes of an
``.xlsx`` file (what a page offers for download); :func:`write_workbook` writes them to a path
atomically (``naef report RUN_DIR --xlsx`` writes ``RUN_DIR/report.xlsx``).

The sheets are :data:`SHEETS`, each a plain table with one header row, so
``pandas.read_excel(path, sheet_name=None)`` reads every sheet back as a frame:

- **Inputs**: one row per scenario field (``field``, ``value``, ``unit``, ``note``,
  ``description``); a list gives one row per item (``reporting.percentiles[0]``) and a record
  its fields (``fiscal.regimes[0].duties[1].rate``), so every number is a number. A null
  (a value derived from another field) is an empty cell, its note naming the field it takes.
- **Headline**: the headline figures with their Monte Carlo standard errors.
- **Summary**: every per-path metric over the paths (``n``, mean, sd, se, percentiles).
- **Ledger**: sources and uses of the waterfall by year (mean over paths), years across.
- **Fans**: the percentiles of every per-year series by year, years across.
- **Manifest**: version, seed, paths, input hash, timings, warnings.

Values are stored as the run holds them, in the catalogue's units (a probability is a
fraction); each cell carries the Excel number format of the catalogue's display format, so a
probability shows as ``0.35%`` and a sum as ``1,234.56``. Labels, units and descriptions come
from the catalogue of outputs (:mod:`simulator.outputs`) and from the scenario's field specs.
Text from the scenario is written as text, never as a formula.
"""

from __future__ import annotations

import io
import math
import numbers
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel

from ..outputs import HEADLINE, LEDGER, SERIES, output
from ..run.results import Results, atomic_file
from ..scenario import Scenario, field_specs, iter_fields

__all__ = ["SHEETS", "WORKBOOK_FILE", "workbook_bytes", "write_workbook"]

#: Name of the workbook inside a run folder (beside ``report.html``).
WORKBOOK_FILE = "report.xlsx"

#: The sheets, in order.
SHEETS: tuple[str, ...] = ("Inputs", "Headline", "Summary", "Ledger", "Fans", "Manifest")

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="F5F7FA")
_SPEC = re.compile(r"(,?)\.(\d+)f")


# ---------------------------------------------------------------------------- cells


def _excel_format(spec: str, *, percent: bool = False) -> str:
    """The Excel number format of a catalogue format: ``",.2f"`` -> ``"#,##0.00"``.

    A percent output is stored as a fraction, which Excel's ``%`` shows times 100, as the
    catalogue displays it (``".2f"``, percent -> ``"0.00%"``). A format of another shape
    gives ``"General"``.
    """
    match = _SPEC.fullmatch(spec)
    if match is None:
        return "General"
    comma, digits = match.group(1), int(match.group(2))
    text = ("#,##0" if comma else "0") + ("." + "0" * digits if digits else "")
    return text + "%" if percent else text


def _number_format(name: str) -> str:
    entry = output(name)
    return _excel_format(entry.format, percent=entry.percent)


def _text(value: str) -> str:
    """Text Excel accepts: control characters (which it cannot hold) written as escapes."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: repr(m.group())[1:-1], value)


def _cell_value(value: Any) -> Any:
    """A value as a cell holds it: numbers as Python numbers, NaN and infinities empty."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        return x if math.isfinite(x) else None
    return str(value)


def _put(ws: Worksheet, row: int, column: int, value: Any, number_format: str = "") -> None:
    """Write one cell; text stays text (a leading ``=`` is no formula, ``#N/A`` no error)."""
    value = _cell_value(value)
    if value is None or value == "":
        return  # an empty cell
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = _text(value)
        cell.data_type = "s"
        return
    cell.value = value
    if number_format and isinstance(value, int | float) and not isinstance(value, bool):
        cell.number_format = number_format


def _header(ws: Worksheet, names: Sequence[Any], widths: Mapping[int, float]) -> None:
    for column, name in enumerate(names, 1):
        _put(ws, 1, column, name)
        cell = ws.cell(row=1, column=column)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        ws.column_dimensions[get_column_letter(column)].width = widths.get(column, 12)


def _describe(ws: Worksheet, row: int, column: int, text: str) -> None:
    """The description of a row as a note on its label cell (sheets with years across)."""
    if text:
        ws.cell(row=row, column=column).comment = Comment(
            _text(text), "naef-simulator", width=320, height=120
        )


# ---------------------------------------------------------------------------- sheets


def _flatten(key: str, value: Any, description: str) -> Iterator[tuple[str, Any, str, str]]:
    """(field, scalar value, description, note) of a value: lists by item, records by field."""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        for name, item in value:
            info = fields.get(name)
            yield from _flatten(f"{key}.{name}", item, (info.description or "") if info else "")
    elif isinstance(value, list | tuple):
        if not value:
            yield key, None, description, "empty list"
        for i, item in enumerate(value):
            yield from _flatten(f"{key}[{i}]", item, description if i == 0 else "")
    else:
        yield key, value, description, "" if value is not None else "null"


def _inputs(ws: Worksheet, scenario: Scenario) -> None:
    _header(ws, ("field", "value", "unit", "note", "description"), {1: 44, 2: 16, 4: 30, 5: 80})
    specs = {s.key: s for s in field_specs()}
    top = type(scenario).model_fields
    rows: list[tuple[str, Any, str, str, str]] = [
        (name, getattr(scenario, name), "", "", top[name].description or "")
        for name in ("name", "description")
    ]
    for key, value in iter_fields(scenario):
        spec = specs.get(key)
        unit = spec.unit if spec is not None else ""
        description = spec.description if spec is not None else ""
        table = spec is not None and spec.kind == "table"
        for field, item, text, note in _flatten(key, value, description):
            if note == "null" and field == key and spec is not None and spec.derived_from:
                note = f"null: takes {spec.derived_from}"
            # A record's fields have their own units, in their descriptions.
            rows.append((field, item, "" if table and field != key else unit, note, text))
    for i, row in enumerate(rows, 2):
        for column, value in enumerate(row, 1):
            _put(ws, i, column, value)
    ws.freeze_panes = "B2"


def _headline(ws: Worksheet, results: Results) -> None:
    _header(
        ws,
        ("name", "label", "unit", "value", "standard error", "statistic", "of", "description"),
        {1: 30, 2: 42, 3: 9, 4: 14, 5: 14, 6: 12, 7: 28, 8: 80},
    )
    head = results.headline()
    for row, key in enumerate(HEADLINE, 2):
        entry = output(key)
        fmt = _number_format(key)
        cells = (
            (key, ""),
            (entry.label, ""),
            (entry.unit, ""),
            (head[key], fmt),
            (head.get(f"{key}_se"), fmt),
            (entry.statistic, ""),
            (entry.of, ""),
            (entry.description, ""),
        )
        for column, (value, number_format) in enumerate(cells, 1):
            _put(ws, row, column, value, number_format)
    ws.freeze_panes = "B2"


def _summary(ws: Worksheet, results: Results) -> None:
    summary = results.summary()
    stats = [str(c) for c in summary.columns]
    names = ["metric", "label", "unit", *stats, "description"]
    _header(ws, names, {1: 36, 2: 42, 3: 9, len(names): 80})
    for row, (metric, values) in enumerate(summary.iterrows(), 2):
        name = str(metric)
        entry = output(name)
        fmt = _number_format(name)
        _put(ws, row, 1, name)
        _put(ws, row, 2, entry.label)
        _put(ws, row, 3, entry.unit)
        for column, stat in enumerate(stats, 4):
            if stat == "n":
                number_format = "#,##0"
            elif stat in ("sd", "se") and entry.unit == "year":
                number_format = "0.00"  # a spread of years, not a year
            else:
                number_format = fmt
            _put(ws, row, column, values[stat], number_format)
        _put(ws, row, len(names), entry.description)
    ws.freeze_panes = "D2"


def _years_across(
    ws: Worksheet, first: Sequence[str], years: Sequence[int], rows: Sequence[tuple[Any, ...]]
) -> None:
    """A table with the years across: ``first`` columns, then one column per year.

    Each row is (name, *first values after the name, values by year); the name's entry in the
    catalogue gives the number format, and its description a note on the label.
    """
    _header(ws, [*first, *years], {1: 34, 2: 40, 3: 9})
    for row, (name, *rest) in enumerate(rows, 2):
        leading, values = rest[: len(first) - 1], rest[len(first) - 1]
        _put(ws, row, 1, name)
        for column, value in enumerate(leading, 2):
            _put(ws, row, column, value)
        _describe(ws, row, 2, output(name).description)
        fmt = _number_format(name)
        for column, value in enumerate(values, len(first) + 1):
            _put(ws, row, column, value, fmt)
    ws.freeze_panes = ws.cell(row=2, column=len(first) + 1).coordinate


def _ledger(ws: Worksheet, results: Results) -> None:
    ledger = results.ledger()
    years = [int(y) for y in ledger.index]
    rows = [
        (name, output(name).label, output(name).unit, ledger[name].to_numpy().tolist())
        for name in LEDGER
    ]
    _years_across(ws, ("name", "label", "unit"), years, rows)


def _fans(ws: Worksheet, results: Results) -> None:
    years = [int(y) for y in results.years]
    rows: list[tuple[Any, ...]] = []
    try:
        results.fans()
    except KeyError:  # a run that kept no series has no fans: the header only
        pass
    else:
        for name in SERIES:
            fan = results.fan(name).reindex(years)
            entry = output(name)
            for column in fan.columns:
                percentile = float(str(column).removeprefix("p"))
                rows.append(
                    (name, entry.label, entry.unit, percentile, fan[column].to_numpy().tolist())
                )
    _years_across(ws, ("series", "label", "unit", "percentile"), years, rows)


def _manifest(ws: Worksheet, results: Results) -> None:
    _header(ws, ("entry", "value"), {1: 30, 2: 80})
    rows: list[tuple[str, Any]] = []
    for key, value in results.manifest.items():
        if isinstance(value, Mapping):
            rows.extend((f"{key}.{k}", v) for k, v in value.items())
        elif isinstance(value, list | tuple):
            rows.extend((f"{key}[{i}]", v) for i, v in enumerate(value))
        else:
            rows.append((str(key), value))
    for row, (entry, value) in enumerate(rows, 2):
        _put(ws, row, 1, entry)
        _put(ws, row, 2, value)
    ws.freeze_panes = "B2"


# ---------------------------------------------------------------------------- the file


def _workbook(results: Results) -> Workbook:
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    build = {
        "Inputs": lambda ws: _inputs(ws, results.scenario),
        "Headline": lambda ws: _headline(ws, results),
        "Summary": lambda ws: _summary(ws, results),
        "Ledger": lambda ws: _ledger(ws, results),
        "Fans": lambda ws: _fans(ws, results),
        "Manifest": lambda ws: _manifest(ws, results),
    }
    for title in SHEETS:
        build[title](wb.create_sheet(title))
    wb.properties.title = _text(f"{results.scenario.name}: NAEF simulation")
    wb.properties.creator = f"naef-simulator {results.manifest.get('version', '')}".strip()
    return wb


def workbook_bytes(results: Results) -> bytes:
    """The ``.xlsx`` file of a run, as bytes (the sheets :data:`SHEETS`).

    Parameters
    ----------
    results
        The run (from :func:`simulator.simulate` or :meth:`Results.from_dir`). A run that kept
        no series (``keep_series=False``) gets a Fans sheet with its header only.
    """
    buffer = io.BytesIO()
    _workbook(results).save(buffer)
    return buffer.getvalue()


def write_workbook(results: Results, path: str | os.PathLike[str]) -> Path:
    """Write the workbook of a run to ``path`` atomically and return the path.

    The file is written beside ``path`` and renamed over it once complete, so a reader sees
    the previous file or the new one, never a part.

    Raises
    ------
    OSError
        If the file cannot be written (no partial or temporary file is left).
    """
    target = Path(path)
    data = workbook_bytes(results)
    with atomic_file(target) as tmp:
        tmp.write_bytes(data)
    return target
