"""The ``naef`` command: thin argument handling over the library.

Exit codes: 0 success, 2 bad input (one line naming the file and the field), 1 a failure of the
program itself.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .scenario import Scenario, ScenarioError, load_scenario, parse_override

__all__ = ["main", "run_folder_name"]


def run_folder_name(name: str) -> str:
    """A safe folder name for a scenario name: letters, digits, ``.``, ``_``, ``-`` only."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-_")
    return clean[:100] or "scenario"


def _overrides(items: Sequence[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or ():
        key, value = parse_override(item)
        out[key] = value
    return out


def _load(path: str, sets: Sequence[str] | None) -> Scenario:
    return load_scenario(path, overrides=_overrides(sets))


def _progress_bar(total: int, label: str) -> tuple[Any, Any]:
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        unit="path",
        unit_scale=True,
        desc=label,
        delay=1.0,
        file=sys.stderr,
        dynamic_ncols=True,
        leave=False,
    )
    state = {"done": 0}

    def update(done: int, _total: int) -> None:
        bar.update(done - state["done"])
        state["done"] = done

    return bar, update


def cmd_run(args: argparse.Namespace) -> int:
    from .engine import simulate

    scenario = _load(args.scenario, args.set)
    paths = args.paths if args.paths is not None else scenario.simulation.paths
    for w in scenario.warnings():
        print(f"warning: {args.scenario}: {w}", file=sys.stderr)
    bar, update = _progress_bar(paths, scenario.name)
    try:
        results = simulate(scenario, paths=args.paths, seed=args.seed, progress=update)
    finally:
        bar.close()
    print(results.summary_text())
    if not args.no_write:
        target = Path(args.out) / run_folder_name(scenario.name)
        try:
            results.to_dir(target)
        except OSError as exc:
            raise ScenarioError(
                str(args.out), "--out", f"cannot write the run folder: {exc.strerror or exc}"
            ) from None
        print(f"Results written to {target}")
    resid = results.manifest["identity_max_residual"]
    if resid > 1e-9:
        print(f"warning: waterfall identity residual {resid:.2e}", file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            sc = _load(path, args.set)
        except ScenarioError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"ok: {path} ({sc.name}, {sc.horizon.years} years, {sc.oil_price.model})")
        for w in sc.warnings():
            print(f"  warning: {w}")
    return 2 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="naef",
        description="Monte Carlo simulator of the NAEF energy-for-infrastructure "
        "swap (2005 U.S.-Mexico proposal).",
    )
    parser.add_argument("--version", action="version", version=f"naef {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_set(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--set",
            action="append",
            metavar="KEY=VALUE",
            help="override a field, e.g. --set naef.coupon_rate=0.05 (repeatable)",
        )

    p = sub.add_parser("run", help="run one scenario, print its summary, write a run folder")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--paths", type=int, help="number of Monte Carlo paths")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument(
        "--out", default="results", help="parent folder of the run folder (default: results)"
    )
    p.add_argument("--no-write", action="store_true", help="print the summary only")
    add_set(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check scenario files without running them")
    p.add_argument("files", nargs="+", help="scenario YAML files")
    add_set(p)
    p.set_defaults(func=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``naef`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a failure of the program itself
        print(f"naef: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("NAEF_DEBUG"):
            traceback.print_exc()
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
