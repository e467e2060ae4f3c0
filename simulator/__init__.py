"""naef-simulator: Monte Carlo simulator of the NAEF energy-for-infrastructure swap.

The library API::

    import simulator
    sc = simulator.load_scenario("scenarios/naef-2005.yaml")
    res = simulator.simulate(sc.with_overrides({"naef.coupon_rate": 0.05}), paths=10_000)
    res.summary(); res.fan("dscr"); res.to_dir("results/my-run")
"""

from __future__ import annotations

__version__ = "0.1.0"

from .analysis import Comparison, compare
from .batch import read_catalog, run_batch
from .engine import simulate
from .results import Results
from .scenario import Scenario, ScenarioError, field_specs, load_scenario

__all__ = [
    "Comparison",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "field_specs",
    "load_scenario",
    "read_catalog",
    "run_batch",
    "simulate",
]
