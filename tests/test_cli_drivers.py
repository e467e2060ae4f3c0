"""`naef sensitivity --method drivers` and the distress price chart use the library's tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.analysis.drivers import distress_drivers, price_by_group
from simulator.cli import main
from simulator.present import plots

LOW = Path(__file__).parents[1] / "scenarios" / "low-price.yaml"


def test_drivers_command_lists_the_library_ranking(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "sensitivity",
                str(LOW),
                "--method",
                "drivers",
                "--paths",
                "2000",
                "--seed",
                "4",
                "--top",
                "5",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    res = simulator.simulate(simulator.load_scenario(LOW), paths=2000, seed=4)
    top = list(distress_drivers(res).index[:5])
    listed = [line.split()[0] for line in out.splitlines()[2:]]
    assert listed == top


def test_distress_price_chart_draws_the_group_medians() -> None:
    res = simulator.simulate(simulator.load_scenario(LOW), paths=2000, seed=4)
    groups = price_by_group(res)
    fig = plots.distress_price_chart(groups)
    medians = {t.name: np.asarray(t.y, dtype=float) for t in fig.data if "median" in (t.name or "")}
    np.testing.assert_array_equal(medians["in distress: median"], groups["distressed_p50"])
    np.testing.assert_array_equal(medians["no shortfall: median"], groups["other_p50"])
