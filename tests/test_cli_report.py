"""`naef report RUN_DIR` writes the report of a run folder; a non-run folder is bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli import main

BASELINE = Path(__file__).parents[1] / "scenarios" / "naef-2005.yaml"


def test_report_command_writes_report_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(BASELINE), "--paths", "1000", "--out", str(tmp_path)]) == 0
    run_dir = tmp_path / "naef-2005"
    assert main(["report", str(run_dir)]) == 0
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert 'id="headline"' in page and 'id="manifest"' in page
    assert str(run_dir / "report.html") in capsys.readouterr().out


def test_report_command_refuses_a_folder_that_is_not_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "manifest" in err
    assert not (tmp_path / "report.html").exists()
