"""Batch throughput: 16 scenarios x 20,000 paths on 1 worker, 2 workers and a Dask LocalCluster.

Targets (on a 2-core machine): 2 workers at least 1.7x faster than 1; Dask within 15% of the
process pool. Each figure is the wall time of a whole ``run_batch`` call, pool or cluster
start-up and writing the run folders included.

Run::

    .venv/bin/python benchmarks/bench_batch.py
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dask.distributed import LocalCluster  # noqa: E402

from simulator.run.batch import run_batch  # noqa: E402
from simulator.run.sweep import Job  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402


def jobs(n: int) -> list[Job]:
    """``n`` variants of the baseline (coupon 4% to 8%)."""
    base = load_scenario(ROOT / "scenarios" / "naef-2005.yaml")
    out = []
    for i in range(n):
        coupon = round(0.04 + 0.04 * i / max(n - 1, 1), 6)
        sc = base.with_overrides({"naef.coupon_rate": coupon, "name": f"coupon-{i:02d}"})
        out.append(
            Job(name=sc.name, source="bench", scenario=sc, overrides={"naef.coupon_rate": coupon})
        )
    return out


def timed(label: str, scenarios: int, paths: int, **kwargs: object) -> float:
    """Wall time of one batch [s]."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        catalog = run_batch(jobs(scenarios), out=tmp, paths=paths, **kwargs)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - t0
    assert (catalog["status"] == "ok").all()
    print(f"  {label:<28} {elapsed:7.2f} s")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", type=int, default=16)
    ap.add_argument("--paths", type=int, default=20_000)
    args = ap.parse_args()
    size = (args.scenarios, args.paths)
    print(f"{args.scenarios} scenarios x {args.paths:,} paths:")
    one = timed("1 worker (in process)", *size, workers=1)
    two = timed("2 workers (process pool)", *size, workers=2)
    dask = timed("Dask LocalCluster, 2 workers", *size, dask_local=True, workers=2)
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        running = timed("Dask, cluster already up", *size, scheduler=cluster.scheduler_address)
    print(f"  speed-up of 2 workers over 1: {one / two:.2f}x (target >= 1.7x)")
    print(
        f"  Dask over the process pool:   {100 * (dask / two - 1):+.1f}% with cluster start-up, "
        f"{100 * (running / two - 1):+.1f}% on a running cluster (target <= +15%)"
    )


if __name__ == "__main__":
    main()
