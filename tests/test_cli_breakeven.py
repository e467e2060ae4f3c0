"""`naef breakeven` prints the library's break-even prices."""

from __future__ import annotations

from pathlib import Path

import pytest

import simulator
from simulator.analysis.breakeven import breakeven_flat_price, breakeven_long_run
from simulator.cli import main

BASELINE = Path(__file__).parents[1] / "scenarios" / "naef-2005.yaml"


def test_breakeven_command_prints_the_library_figures(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["breakeven", str(BASELINE), "--paths", "1000", "--seed", "3"])
    out = capsys.readouterr().out
    assert rc == 0
    sc = simulator.load_scenario(BASELINE)
    figures = [
        breakeven_flat_price(sc).price_usd_per_bbl,
        breakeven_flat_price(sc, level=1.3).price_usd_per_bbl,
        breakeven_flat_price(sc, target="default").price_usd_per_bbl,
        breakeven_flat_price(sc, target="mdf_inflow_pv_usd_bn").price_usd_per_bbl,
        breakeven_long_run(sc, paths=1000, seed=3).price_usd_per_bbl,
    ]
    lines = [ln for ln in out.splitlines() if ln.startswith(("  flat price", "  long-run price"))]
    assert len(lines) == len(figures)
    for line, value in zip(lines, figures, strict=True):
        assert f"{value:9.2f}" in line, line
    assert figures[0] < figures[1]  # a coverage of 1.3 needs a higher price than 1


def test_breakeven_command_rejects_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["breakeven", str(BASELINE), "--set", "naef.coupon_rate=-1"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.splitlines()) == 1 and "naef.coupon_rate" in err
