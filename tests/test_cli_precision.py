"""`naef run --precision` grows the run until the headline errors meet the target."""

from __future__ import annotations

from pathlib import Path

import pytest

import simulator
from simulator.cli import main
from simulator.run.convergence import relative_errors

#: Rare defaults (about 0.5%), whose precision sets the paths a run needs.
LOW_PRICE = Path(__file__).parents[1] / "scenarios" / "low-price.yaml"


def test_run_to_precision_writes_a_run_that_meets_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(
        ["run", str(LOW_PRICE), "--precision", "0.05", "--paths", "2000", "--out", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "reached" in out and "NOT" not in out
    res = simulator.Results.from_dir(tmp_path / "low-price")
    assert res.paths > 2000
    assert max(relative_errors(res).values()) <= 0.05
    again = simulator.simulate(res.scenario, paths=res.paths, seed=res.seed)
    assert again.metrics.equals(res.metrics)


def test_precision_cap_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(
        [
            "run",
            str(LOW_PRICE),
            "--precision",
            "0.001",
            "--paths",
            "1024",
            "--max-paths",
            "2048",
            "--no-write",
        ]
    )
    assert rc == 0
    assert "NOT reached" in capsys.readouterr().out
