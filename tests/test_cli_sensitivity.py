"""`naef sensitivity --method tornado|sobol` prints the library's rankings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import simulator
from simulator.analysis.sensitivity import tornado
from simulator.cli import main

BASELINE = Path(__file__).parents[1] / "scenarios" / "naef-2005.yaml"
PARAMS = ["naef.coupon_rate", "oil_price.long_run_usd_per_bbl", "mdf.efficiency"]


def _library_tornado(output: str) -> Any:
    """The library's ranking of ``output`` over PARAMS, as the commands below ask for it."""
    return tornado(
        simulator.load_scenario(BASELINE),
        parameters=PARAMS,
        outputs=(output,),
        paths=1500,
        seed=5,
    ).ranking(output)


def test_tornado_command_ranks_as_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = tmp_path / "tornado.html"
    argv = ["sensitivity", str(BASELINE), "--paths", "1500", "--seed", "5", "--html", str(html)]
    for p in PARAMS:
        argv += ["--parameter", p]
    assert main([*argv, "--output", "mdf_inflow_pv_p50"]) == 0
    out = capsys.readouterr().out
    ranking = _library_tornado("mdf_inflow_pv_p50")
    printed = [
        line.split()[0] for line in out.splitlines() if line.strip().startswith(tuple(PARAMS))
    ]
    assert printed == list(ranking["parameter"])
    text = html.read_text(encoding="utf-8")
    assert "plotly" in text and '<script src="http' not in text


def test_tornado_command_ranks_the_default_with_and_without_the_backstop(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without --output the tornado ranks the MDF's median PV and the probability of default
    with and without Pemex's backstop: the baseline's default with it is near zero on every
    run, so the stand-alone one is what shows an assumption moving its credit."""
    argv = ["sensitivity", str(BASELINE), "--paths", "1500", "--seed", "5"]
    for p in PARAMS:
        argv += ["--parameter", p]
    assert main(argv) == 0
    out = capsys.readouterr().out
    headings = [line.split(" (base")[0] for line in out.splitlines() if " (base " in line]
    assert headings == ["mdf_inflow_pv_p50", "prob_default", "prob_standalone_default"]
    swing = _library_tornado("prob_standalone_default")["swing"]
    assert swing.iloc[0] > 0, "the stand-alone default moves with some assumption"


def test_tornado_command_names_an_unknown_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["sensitivity", str(BASELINE), "--parameter", "naef.coupn_rate", "--paths", "100"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.splitlines()) == 1 and "coupon_rate" in err


def test_sobol_command_ranks_as_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from simulator.analysis.sensitivity import sobol

    html = tmp_path / "sobol.html"
    argv = ["sensitivity", str(BASELINE), "--method", "sobol", "--seed", "5", "--html", str(html)]
    argv += ["--base-samples", "32", "--paths-per-sample", "64", "--output", "prob_default"]
    for p in PARAMS:
        argv += ["--parameter", p]
    assert main(argv) == 0
    out = capsys.readouterr().out
    ranking = sobol(
        simulator.load_scenario(BASELINE),
        parameters=PARAMS,
        outputs=("prob_default",),
        base_samples=32,
        paths_per_sample=64,
        seed=5,
    ).ranking("prob_default")
    printed = [
        line.split()[0] for line in out.splitlines() if line.strip().startswith(tuple(PARAMS))
    ]
    assert printed == list(ranking["parameter"])
    assert f"{32 * (len(PARAMS) + 2):,} parameter sets" in out
    text = html.read_text(encoding="utf-8")
    assert "Sobol indices" in text and '<script src="http' not in text
    assert [p.name for p in tmp_path.iterdir()] == ["sobol.html"]  # no temporary file left


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--base-samples", "100"], "base_samples: got 100; want a power of two"),
        (["--parameter", "naef.tenor_years"], "naef.tenor_years: is an integer field"),
    ],
)
def test_sobol_command_refuses_bad_requests(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sensitivity", str(BASELINE), "--method", "sobol", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_yearly_command_lists_the_librarys_largest_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from simulator.analysis.sensitivity import yearly_sensitivity

    html = tmp_path / "yearly.html"
    argv = ["sensitivity", str(BASELINE), "--method", "yearly", "--paths", "800", "--seed", "3"]
    for p in PARAMS:
        argv += ["--parameter", p]
    assert main([*argv, "--html", str(html)]) == 0
    out = capsys.readouterr().out
    table = yearly_sensitivity(
        simulator.load_scenario(BASELINE), parameters=PARAMS, paths=800, seed=3
    )
    rows = {
        line.split()[0]: line.split()[1:]
        for line in out.splitlines()
        if line.strip().startswith(tuple(PARAMS))
    }
    want = table.abs().max().sort_values(ascending=False, kind="stable")
    assert list(rows) == list(want.index)
    coupon = table["naef.coupon_rate"]
    year = int(coupon.abs().idxmax())
    assert rows["naef.coupon_rate"][1] == str(year)
    assert float(rows["naef.coupon_rate"][0]) == pytest.approx(coupon.loc[year], rel=1e-3)
    assert rows["mdf.efficiency"] == ["0", "-"]  # acts after the waterfall: no DSCR effect
    assert "plotly" in html.read_text(encoding="utf-8")


def test_tornado_table_keeps_its_columns_for_a_long_sector_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A sector's key is longer than the name column's usual width: the column widens, so
    every row of the table (and its header) has the same width and the numbers line up."""
    sectors = Path(__file__).parents[1] / "scenarios" / "mdf-sectors.yaml"
    key = "mdf.sectors.education.returns_to_schooling"
    argv = ["sensitivity", str(sectors), "--paths", "64", "--parameter", key]
    argv += ["--parameter", "naef.coupon_rate", "--output", "gdp_uplift_pv_usd_bn"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    lines = out[out.index("gdp_uplift_pv_usd_bn (base") :].splitlines()[1:4]
    assert lines[0].split() == ["parameter", "low", "high", "at", "low", "at", "high", "swing"]
    assert any(line.split()[0] == key for line in lines[1:])
    assert len({len(line) for line in lines}) == 1, lines
