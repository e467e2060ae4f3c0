"""Speed and memory of ``simulate`` against the random-number floor.

The floor is what any Monte Carlo of this size must pay at the least: drawing the same number of
standard normals as the run (paths x draws per path), cumulating them over the years and
exponentiating them, in the same process. Targets: ``simulate`` within 3x the floor (and never
beyond 4.8x); ``simulate`` plus ``summary`` and the fans within 6x; 1,000,000 paths under 2 GB
peak memory; the copula of correlated risks on within 1.3x of it off.

The ratio depends on the machine as much as on the code: the floor is arithmetic, ``simulate``
mostly memory traffic. The 4.8x ceiling is what revision ``274b244`` measured against its own
floor; whether this revision keeps it is answered side by side, on the same machine at the same
time: ``benchmarks/bench_compare.py 274b244 HEAD`` (each revision against its own floor).

Run::

    .venv/bin/python benchmarks/bench_simulate.py            # 100,000 paths, then 1,000,000
    .venv/bin/python benchmarks/bench_simulate.py --skip-big
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simulator  # noqa: E402
from simulator.model.chain import Plan  # noqa: E402

BASELINE = ROOT / "scenarios" / "naef-2005.yaml"
#: The baseline with every correlation of its risks on.
CORRELATED = {
    "risks.price_overrun_correlation": 0.5,
    "risks.price_reservoir_correlation": -0.3,
    "risks.overrun_reservoir_correlation": 0.2,
}


def best_of_each(fns: dict, repeat: int) -> dict[str, float]:
    """Smallest wall time of ``repeat`` calls of each function [s], called in turn round after
    round: the machine's speed drifts by 5-10% within minutes, and the ratios between the
    figures should not depend on which was timed first."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: min(t) for name, t in times.items()}


def floor(paths: int, draws: int, years: int, seed: int) -> None:
    """Draw paths x draws normals, cumulate over the years, exponentiate."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((draws, paths))
    np.exp(np.cumsum(z[: years - 1], axis=0))


def speed(paths: int, repeat: int) -> dict[str, float]:
    sc = simulator.load_scenario(BASELINE)
    plan = Plan.build(sc)
    years = sc.horizon.years
    simulator.simulate(sc, paths=2048)  # warm up imports and caches

    def full() -> None:
        res = simulator.simulate(sc, paths=paths)
        res.summary()
        res.headline()
        res.fans()

    correlated = sc.with_overrides(CORRELATED)
    t = best_of_each(
        {
            "floor": lambda: floor(paths, plan.n_draws, years, 1),
            "simulate": lambda: simulator.simulate(sc, paths=paths),
            "full": full,
            "correlated": lambda: simulator.simulate(correlated, paths=paths),
        },
        repeat,
    )
    t_floor, t_sim, t_full, t_corr = t["floor"], t["simulate"], t["full"], t["correlated"]
    return {
        "paths": paths,
        "years": years,
        "draws_per_path": plan.n_draws,
        "floor_s": t_floor,
        "simulate_s": t_sim,
        "simulate_summary_fans_s": t_full,
        "simulate_over_floor": t_sim / t_floor,
        "full_over_floor": t_full / t_floor,
        "correlated_s": t_corr,
        "correlated_over_simulate": t_corr / t_sim,
    }


def big_child(paths: int) -> None:
    """Run in a fresh process: one big simulate, print time and peak RSS as JSON."""
    sc = simulator.load_scenario(BASELINE)
    t0 = time.perf_counter()
    res = simulator.simulate(sc, paths=paths)
    t_sim = time.perf_counter() - t0
    res.summary()
    res.fans()
    t_all = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "paths": paths,
                "simulate_s": t_sim,
                "with_summary_s": t_all,
                "peak_rss_mb": peak_kb / 1024,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--big-paths", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        big_child(args.child)
        return
    s = speed(args.paths, args.repeat)
    print(
        f"{s['paths']:,} paths x {s['years']} years ({s['draws_per_path']} normals a path), "
        f"best of {args.repeat}:"
    )
    print(f"  random-number floor        {s['floor_s']:7.3f} s")
    print(
        f"  simulate                   {s['simulate_s']:7.3f} s  "
        f"{s['simulate_over_floor']:.2f}x floor (target 3x)"
    )
    print(
        f"  simulate + summary + fans  {s['simulate_summary_fans_s']:7.3f} s  "
        f"{s['full_over_floor']:.2f}x floor (target 6x)"
    )
    print(
        f"  simulate, risks correlated {s['correlated_s']:7.3f} s  "
        f"{s['correlated_over_simulate']:.2f}x uncorrelated (target 1.3x)"
    )
    if not args.skip_big:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(args.big_paths)],
            capture_output=True,
            text=True,
            check=True,
        )
        b = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{b['paths']:,} paths: simulate {b['simulate_s']:.2f} s, with summary and fans "
            f"{b['with_summary_s']:.2f} s, peak memory {b['peak_rss_mb']:.0f} MB "
            "(target < 2048 MB)"
        )


if __name__ == "__main__":
    main()
