"""naef-simulator: Monte Carlo simulator of the NAEF energy-for-infrastructure swap.

The library API::

    import simulator
    sc = simulator.load_scenario("scenarios/naef-2005.yaml")
    res = simulator.simulate(sc.with_overrides({"naef.coupon_rate": 0.05}), paths=10_000)
    res.summary(); res.fan("dscr"); res.to_dir("results/my-run")

The layers, each importing only those below it: :mod:`simulator.present` (figures, report) ->
:mod:`simulator.analysis` (comparison, sensitivity, break-even, drivers) -> :mod:`simulator.run`
(engine, results, batches) -> :mod:`simulator.model` (the vectorized model) ->
:mod:`simulator.scenario` (schema, files, errors). :mod:`simulator.outputs`, the catalogue of
outputs, :mod:`simulator.history`, the built-in price history, and :mod:`simulator.version`
are leaves every layer may read.
"""

from __future__ import annotations

from .analysis.compare import Comparison, compare
from .analysis.sensitivity import sobol, tornado
from .run.batch import read_catalog, run_batch
from .run.engine import simulate, simulate_sets
from .run.results import Results
from .run.sweep import collect_jobs, expand_sweep
from .scenario import InputError, Scenario, ScenarioError, field_specs, load_scenario
from .version import __version__

__all__ = [
    "Comparison",
    "InputError",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "collect_jobs",
    "compare",
    "expand_sweep",
    "field_specs",
    "load_scenario",
    "read_catalog",
    "run_batch",
    "simulate",
    "simulate_sets",
    "sobol",
    "tornado",
]
