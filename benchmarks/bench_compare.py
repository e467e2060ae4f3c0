"""``simulate``'s speed at two revisions of this repository, in alternating runs.

The machine's speed drifts by 5-10% from one hour to the next, more than most changes are
worth, so two timings taken apart say little. Here the two revisions run in turn, round after
round, each in a fresh process (the baseline scenario of that revision, 100,000 paths, best of
``--repeat``, with the random-number floor of :mod:`bench_simulate` timed in the same
process): both see the same drift, and the best of all rounds is compared.

Each revision is also set against its own floor: the normals a path its baseline draws, as its
``bench_simulate`` defines the floor. The ratio to the floor moves with the machine (the
normals are arithmetic, the model is mostly memory traffic, and the two do not speed up or slow
down together), so a ratio measured on another day is no yardstick: whether a revision is
slower *relative to its floor* than an older one is answered by the two side by side here.

Each revision is exported with ``git archive`` into a temporary folder (the checkout and its
worktrees are left alone) and imported from there with this environment's packages.

Run::

    .venv/bin/python benchmarks/bench_compare.py HEAD~1 HEAD
    .venv/bin/python benchmarks/bench_compare.py v0.3 main --rounds 5 --repeat 8
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Run in a fresh interpreter with the revision's tree first on the path; prints JSON.
CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import simulator

paths, repeat = int(sys.argv[2]), int(sys.argv[3])
sc = simulator.load_scenario(sys.argv[1] + "/scenarios/naef-2005.yaml")
years = sc.horizon.years
try:  # the normals a path of this revision's baseline (its own floor)
    from simulator.model.chain import Plan

    own = Plan.build(sc).n_draws
except ImportError:  # a revision before the layers
    from simulator.engine import Plan

    own = Plan.build(sc, paths=paths, seed=0).n_draws


def floor(draws):
    z = np.random.default_rng(1).standard_normal((draws, paths))
    np.exp(np.cumsum(z[: years - 1], axis=0))


simulator.simulate(sc, paths=paths)  # imports, caches, the allocator's first heap
best = {"simulate_s": float("inf"), "floor_s": float("inf"), "own_floor_s": float("inf")}
for _ in range(repeat):
    for key, fn in (
        ("floor_s", lambda: floor(71)),  # today's baseline: one floor for both revisions
        ("own_floor_s", lambda: floor(own)),
        ("simulate_s", lambda: simulator.simulate(sc, paths=paths)),
    ):
        t = time.perf_counter()
        fn()
        best[key] = min(best[key], time.perf_counter() - t)
best["draws"] = own
print(json.dumps(best))
"""


def export(rev: str, into: Path) -> Path:
    """The tree of ``rev`` in ``into``/<rev>, by ``git archive``."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    tree = into / sha[:12]
    tree.mkdir()
    archive = into / f"{sha[:12]}.tar"
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), sha], check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    archive.unlink()
    return tree


def time_once(tree: Path, paths: int, repeat: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(paths), str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", help="a revision (commit, tag, branch, HEAD~n)")
    ap.add_argument("after", help="another revision")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=8, help="timings per process (best kept)")
    ap.add_argument("--paths", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        trees = {rev: export(rev, Path(tmp)) for rev in (args.before, args.after)}
        runs: dict[str, list[dict[str, float]]] = {rev: [] for rev in trees}
        for r in range(args.rounds):
            for rev, tree in trees.items():
                runs[rev].append(time_once(tree, args.paths, args.repeat))
            print(
                f"round {r + 1}: "
                + ", ".join(f"{rev} {runs[rev][-1]['simulate_s']:.3f} s" for rev in trees),
                flush=True,
            )
    best = {rev: min(x["simulate_s"] for x in v) for rev, v in runs.items()}
    floor = min(x["floor_s"] for v in runs.values() for x in v)
    print(f"{args.paths:,} paths, best of {args.rounds} x {args.repeat} runs each:")
    for rev in trees:
        # Its own floor: the normals its baseline draws, as its bench_simulate defines it.
        own = min(x["own_floor_s"] for x in runs[rev])
        draws = runs[rev][0]["draws"]
        print(
            f"  {rev:<20} {best[rev]:.3f} s  {best[rev] / floor:.2f}x floor ({floor:.3f} s); "
            f"{best[rev] / own:.2f}x its own floor ({draws:.0f} normals a path, {own:.3f} s)"
        )
    change = best[args.after] / best[args.before] - 1.0
    print(f"  {args.after} against {args.before}: {change:+.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
