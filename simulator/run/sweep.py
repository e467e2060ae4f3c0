"""Sweep files and batch inputs: expand files, folders and sweeps into named scenarios.

A sweep file varies dotted fields of a base scenario::

    name: "coupon-{naef.coupon_rate}-lr-{oil_price.long_run_usd_per_bbl}"   # optional
    base: ../naef-2005.yaml          # relative to the sweep file
    mode: grid                       # grid (cartesian product) or zip (element by element)
    sweep:
      naef.coupon_rate: [0.04, 0.06, 0.08]
      oil_price.long_run_usd_per_bbl: [35, 50, 70]
    set:                             # optional: fixed overrides for every point
      simulation.paths: 5000

Every point is validated before anything runs; a sweep that is wrong as a whole (unknown key,
unequal lists under ``zip``, a point out of bounds, two points with the same name) raises
:class:`~simulator.scenario.errors.ScenarioError`. A plain scenario file that fails to load
becomes a :class:`Job` with its error, so a batch can report it and run the others.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..scenario import SECTIONS, Scenario, ScenarioError, load_scenario, read_yaml
from ..scenario.errors import bounded_repr, describe, field_name, is_small
from ..scenario.schema import is_sector_key

__all__ = ["Job", "collect_jobs", "expand_sweep", "is_sweep_file", "safe_run_name"]

SWEEP_KEYS = ("name", "description", "base", "mode", "sweep", "set")
MAX_SWEEP_POINTS = 100_000
#: Names a batch writes into its output folder itself; no run folder may take them.
RESERVED_NAMES = ("catalog.parquet",)


def safe_run_name(name: str) -> str:
    """A folder name for a scenario name: letters, digits, ``.``, ``_``, ``-`` only.

    Path separators, ``..`` and other characters become ``-``, so a name can never point
    outside the output folder; a name the batch uses for its own files (``catalog.parquet``)
    gets ``-run`` appended.
    """
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-_")
    clean = re.sub(r"\.{2,}", ".", clean)
    clean = clean[:100] or "scenario"
    return f"{clean}-run" if clean.lower() in RESERVED_NAMES else clean


@dataclass(frozen=True)
class Job:
    """One scenario of a batch: what to run, where it came from, or why it cannot run.

    Attributes
    ----------
    name
        Run folder name (unique in a batch, safe for the file system).
    source
        The file it came from.
    scenario
        The validated scenario, or None when loading it failed.
    overrides
        The dotted values a sweep point (or ``--set``) changed.
    error
        The load error (one line) when ``scenario`` is None.
    """

    name: str
    source: str
    scenario: Scenario | None
    overrides: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def is_sweep_file(data: Any) -> bool:
    """True for the data of a sweep file (a mapping with a ``sweep`` key)."""
    return isinstance(data, Mapping) and "sweep" in data


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if is_small(value) else bounded_repr(value)


def _render_name(template: str, point: Mapping[str, Any], index: int, source: str) -> str:
    def repl(match: re.Match[str]) -> str:
        key = match.group(1).strip()
        if key == "index":
            return str(index)
        if key not in point:
            raise ScenarioError(
                source,
                "name",
                f"got {{{field_name(key)}}} in the name template; want one of the swept keys "
                f"({', '.join(point)}) or {{index}}",
            )
        return _format_value(point[key])

    return re.sub(r"\{([^{}]+)\}", repl, template)


def _check_key(key: Any, source: str) -> str:
    if isinstance(key, str) and is_sector_key(key):
        return key  # mdf.sectors.<name>.<field>: the sector's name is checked when applied
    if not isinstance(key, str) or key.count(".") != 1:
        raise ScenarioError(
            source, f"sweep.{field_name(key)}", "got a key that is not section.field"
        )
    section, name = key.split(".")
    if section not in SECTIONS or name not in SECTIONS[section].model_fields:
        import difflib

        options = [f"{s}.{f}" for s in SECTIONS for f in SECTIONS[s].model_fields]
        close = difflib.get_close_matches(key, options, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ScenarioError(source, f"sweep.{field_name(key)}", "unknown field" + hint)
    return key


def expand_sweep(path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> list[Job]:
    """Expand a sweep file into validated jobs.

    Parameters
    ----------
    path
        The sweep file.
    overrides
        Extra dotted values applied to every point (after the sweep's own ``set``).

    Raises
    ------
    ScenarioError
        When the sweep is wrong as a whole, or any point fails validation.
    """
    src = str(path)
    data = read_yaml(path)
    if not is_sweep_file(data):
        raise ScenarioError(src, "sweep", "missing; want a mapping of dotted keys to lists")
    for key in data:
        if key not in SWEEP_KEYS:
            raise ScenarioError(
                src,
                field_name(key),
                f"unknown field of a sweep file (want one of: {', '.join(SWEEP_KEYS)})",
            )
    base = data.get("base")
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(
            src, "base", f"got {describe(base)}; want the path of the base scenario"
        )
    base_path = Path(path).parent / base
    if not base_path.is_file():
        raise ScenarioError(
            src,
            "base",
            f"got {describe(base)}; want an existing scenario file (relative to the sweep file)",
        )
    mode = data.get("mode", "grid")
    if mode not in ("grid", "zip"):
        raise ScenarioError(src, "mode", f"got {describe(mode)}; want grid or zip")
    sweep = data["sweep"]
    if not isinstance(sweep, Mapping) or not sweep:
        raise ScenarioError(src, "sweep", "got no keys; want dotted keys mapped to lists of values")
    keys = [_check_key(k, src) for k in sweep]
    lists: list[list[Any]] = []
    for key in keys:
        values = sweep[key]
        if not isinstance(values, list) or not values:
            raise ScenarioError(
                src, f"sweep.{key}", f"got {describe(values)}; want a non-empty list"
            )
        lists.append(values)
    if mode == "zip":
        lengths = {len(v) for v in lists}
        if len(lengths) > 1:
            sizes = ", ".join(f"{k}: {len(v)}" for k, v in zip(keys, lists, strict=True))
            raise ScenarioError(
                src, "sweep", f"got lists of unequal length under zip ({sizes}); want equal lengths"
            )
        points = [dict(zip(keys, vals, strict=True)) for vals in zip(*lists, strict=True)]
    else:
        size = math.prod(len(v) for v in lists)
        if size > MAX_SWEEP_POINTS:
            raise ScenarioError(src, "sweep", f"got {size} points; want at most {MAX_SWEEP_POINTS}")
        points = [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*lists)]
    fixed = data.get("set") or {}
    if not isinstance(fixed, Mapping):
        raise ScenarioError(
            src, "set", f"got {describe(fixed)}; want a mapping of dotted keys to values"
        )
    for key in fixed:
        _check_key(key, src)
    template = data.get("name")
    if template is not None and not isinstance(template, str):
        raise ScenarioError(src, "name", f"got {describe(template)}; want a text template")
    stem = Path(path).stem
    jobs: list[Job] = []
    seen: dict[str, int] = {}
    for i, point in enumerate(points):
        raw = _render_name(template, point, i, src) if template else f"{stem}-{i:04d}"
        name = safe_run_name(raw)
        if name in seen:
            raise ScenarioError(
                src,
                "name",
                f"got the same run name {name!r} for points "
                f"{seen[name]} and {i}; want a template that tells them apart",
            )
        seen[name] = i
        changes = {**fixed, **point, **(overrides or {})}
        try:
            scenario = load_scenario(base_path, overrides={**changes, "name": raw})
        except ScenarioError as exc:
            where = ", ".join(f"{k}={_format_value(v)}" for k, v in point.items())
            raise ScenarioError(src, exc.field, f"at the point {where}: {exc.problem}") from None
        jobs.append(Job(name=name, source=src, scenario=scenario, overrides=dict(point)))
    return jobs


def _files(inputs: Sequence[str | Path]) -> list[Path]:
    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted([*p.glob("*.yaml"), *p.glob("*.yml")])
            if not found:
                raise ScenarioError(str(p), "", "got a folder with no .yaml files")
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise ScenarioError(str(p), "", "file not found")
    return out


def collect_jobs(
    inputs: Iterable[str | Path], *, overrides: Mapping[str, Any] | None = None
) -> list[Job]:
    """Turn files, folders (their ``*.yaml``) and sweep files into the jobs of a batch.

    A scenario file that fails to load becomes a job with its error (the batch reports it and
    runs the others); a broken sweep file, a missing input or two jobs with one name raise.

    Raises
    ------
    ScenarioError
        For a sweep file that is wrong as a whole, a missing input, or duplicate run names.
    """
    jobs: list[Job] = []
    for path in _files(list(inputs)):
        data: Any
        try:
            data = read_yaml(path)
        except ScenarioError as exc:
            jobs.append(
                Job(name=safe_run_name(path.stem), source=str(path), scenario=None, error=str(exc))
            )
            continue
        if is_sweep_file(data):
            jobs.extend(expand_sweep(path, overrides=overrides))
            continue
        try:
            sc = load_scenario(path, overrides=overrides)
        except ScenarioError as exc:
            jobs.append(
                Job(name=safe_run_name(path.stem), source=str(path), scenario=None, error=str(exc))
            )
            continue
        jobs.append(
            Job(
                name=safe_run_name(sc.name),
                source=str(path),
                scenario=sc,
                overrides=dict(overrides or {}),
            )
        )
    names: dict[str, str] = {}
    for job in jobs:
        if job.name in names:
            raise ScenarioError(
                job.source,
                "name",
                f"got the run name {job.name!r} again "
                f"(also from {names[job.name]}); want one name per scenario",
            )
        names[job.name] = job.source
    return jobs
