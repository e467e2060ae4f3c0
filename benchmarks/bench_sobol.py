"""Cost of a Sobol analysis: many parameter sets in one vectorized run, against plain paths.

``simulate_sets`` runs every parameter set of a Sobol' sample as one run over
``sets x paths_per_set`` paths. Its cost per path is compared with ``simulate`` on the same
number of paths (keep no series in either): the overhead is what varying the parameters costs
(parameters as arrays over the paths, and the deterministic part once per set for the fields
that change the debt schedule or the capacity bought). Target: within 1.5x of ``simulate`` per
path. Then the default ``naef sensitivity --method sobol`` analysis end to end.

Run::

    .venv/bin/python benchmarks/bench_sobol.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_simulate import best_of_each  # noqa: E402  (this folder is first on the path)

import simulator  # noqa: E402
from simulator.analysis.sensitivity import DEFAULT_PARAMETERS, default_range, sobol  # noqa: E402
from simulator.run.engine import simulate_sets  # noqa: E402

BASELINE = ROOT / "scenarios" / "naef-2005.yaml"
TARGET_RATIO = 1.5


def main() -> int:
    sc = simulator.load_scenario(BASELINE)
    params = [k for k in DEFAULT_PARAMETERS if k != "pemex.lag_years"]
    sets, per_set = 400, 256
    rng = np.random.default_rng(0)
    values = {}
    for key in params:
        low, high = default_range(sc, key)
        values[key] = rng.uniform(low, high, sets)
    paths = sets * per_set
    simulator.simulate(sc, paths=2048, keep_series=False)  # warm up
    t = best_of_each(
        {
            "plain": lambda: simulator.simulate(sc, paths=paths, keep_series=False),
            "sets": lambda: simulate_sets(sc, values=values, paths_per_set=per_set),
        },
        3,
    )
    t_plain, t_sets = t["plain"], t["sets"]
    ratio = t_sets / t_plain
    print(f"{paths:,} paths ({sets} sets x {per_set} paths, {len(params)} parameters varied)")
    print(f"  simulate       {t_plain:6.3f} s")
    print(f"  simulate_sets  {t_sets:6.3f} s   {ratio:.2f}x  (target <= {TARGET_RATIO}x)")
    t0 = time.perf_counter()
    s = sobol(sc)
    t_sobol = time.perf_counter() - t0
    print(
        f"sobol defaults: {len(s.parameters)} parameters, {s.evaluations:,} sets x "
        f"{s.paths_per_sample} paths = {s.paths_total:,} paths in {t_sobol:.1f} s"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
