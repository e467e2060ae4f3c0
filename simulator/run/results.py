"""``Results``: labelled outputs of a run, their summaries, and the run folder on disk.

A run folder holds ``scenario.yaml`` (fully resolved), ``metrics.parquet`` (one row per path),
``fan.parquet`` (year, series, percentile, value), ``ledger.parquet`` (sources and uses by year,
mean over paths), ``summary.json`` and ``manifest.json``. It is written into a temporary folder
beside the target and renamed into place only when complete; ``manifest.json`` is written last,
so a folder with a manifest is a complete run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model.metrics import (
    aggregate,
    is_idle,
    percentiles_by_row,
    row_statistic,
    standard_error,
)
from ..outputs import FLAGS, HEADLINE, LEDGER, METRICS, OUTPUTS, SERIES, format_value, output
from ..scenario import InputError, Scenario, parse_yaml_text, validate_scenario

__all__ = [
    "Results",
    "atomic_file",
    "is_complete_run",
    "os_error_text",
    "prepare_output_folder",
    "remove_leftovers",
]

FILES = (
    "scenario.yaml",
    "metrics.parquet",
    "fan.parquet",
    "ledger.parquet",
    "sectors.parquet",
    "sector_ledger.parquet",
    "summary.json",
    "manifest.json",
)


def _sector_column(name: str, sector: str) -> str:
    """The column of a sector's output: ``"gdp_uplift_pv_usd_bn|transport"``."""
    return f"{name}|{sector}"


def _by_sector_columns(frame: pd.DataFrame | None, what: str) -> pd.DataFrame:
    """A copy of a frame of :func:`_sector_column` columns, as columns ``(what, sector)``."""
    if frame is None:
        raise KeyError("this run has no outputs by sector (a run folder of an older version)")
    out = frame.copy()
    out.columns = pd.MultiIndex.from_tuples(
        [tuple(c.split("|", 1)) for c in out.columns], names=[what, "sector"]
    )
    return out


def _json_safe(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


class Results:
    """Outputs of one run, labelled by year and path.

    Build it with :func:`simulator.simulate` or :meth:`from_dir`; do not call the constructor.

    Attributes
    ----------
    scenario
        The scenario that was run.
    seed, paths
        The seed and number of paths.
    metrics
        One row per path (index ``path``), the per-path outputs of DESIGN.md section 6.
    manifest
        Version, seed, paths, input hash, timings and method details.
    """

    def __init__(
        self,
        *,
        scenario: Scenario,
        seed: int,
        paths: int,
        metrics: pd.DataFrame,
        series: Mapping[str, np.ndarray],
        fans: pd.DataFrame | None,
        ledger: pd.DataFrame,
        manifest: dict[str, Any],
        sector_metrics: pd.DataFrame | None = None,
        sector_ledger: pd.DataFrame | None = None,
    ) -> None:
        self.scenario = scenario
        self._sector_metrics = sector_metrics
        self._sector_ledger = sector_ledger
        self.seed = seed
        self.paths = paths
        self.metrics = metrics
        self._series = dict(series)
        self._fans = fans
        self._ledger = ledger
        self.manifest = manifest
        self._summary: pd.DataFrame | None = None
        self._headline: dict[str, float] | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        *,
        scenario: Scenario,
        seed: int,
        paths: int,
        metrics: Mapping[str, np.ndarray],
        series: Mapping[str, np.ndarray],
        ledger: Mapping[str, np.ndarray],
        identity_residual: float,
        timings: dict[str, float],
        extra_manifest: dict[str, Any],
        warnings: Sequence[str] = (),
        sector_metrics: Mapping[str, np.ndarray] | None = None,
        sector_ledger: Mapping[str, np.ndarray] | None = None,
    ) -> Results:
        """Label raw engine arrays (used by the engine): metrics by name, shape (paths,);
        series by name, shape (years, kept paths); the ledger by column, shape (years,);
        ``warnings`` of the model's plan, after the scenario's own; the fund's sectors'
        per-path outputs by name, shape (sectors, paths), and per-year means by flow, shape
        (sectors, years)."""
        # One block per column, holding the engine's arrays (no copy into one 2-D block: that
        # copy of every metric, page faults included, cost as much as the fund's model).
        df = pd.DataFrame(
            {
                name: np.asarray(metrics[name], dtype=bool if name in FLAGS else None)
                for name in METRICS
            },
            index=pd.RangeIndex(paths, name="path"),
            copy=False,
        )
        years = pd.Index(list(scenario.years), name="year")
        table = pd.DataFrame({name: ledger[name] for name in LEDGER}, index=years)
        manifest = {
            **extra_manifest,
            "scenario": scenario.name,
            "seed": seed,
            "paths": paths,
            "input_hash": scenario.content_hash(),
            "identity_max_residual": identity_residual,
            "timings": timings,
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "warnings": [*scenario.warnings(), *warnings],
        }
        sectors = scenario.mdf.sector_names

        def by_sector(arrays: Mapping[str, np.ndarray] | None, index: pd.Index) -> Any:
            """A frame of :func:`_sector_column` columns from arrays (sectors, rows)."""
            if arrays is None:
                return None
            return pd.DataFrame(
                {
                    _sector_column(name, sector): values[k]
                    for name, values in arrays.items()
                    for k, sector in enumerate(sectors)
                },
                index=index,
            )

        by_path = by_sector(sector_metrics, df.index)
        by_year = by_sector(sector_ledger, years)
        return cls(
            scenario=scenario,
            seed=seed,
            paths=paths,
            metrics=df,
            series=series,
            fans=None,
            ledger=table,
            manifest=manifest,
            sector_metrics=by_path,
            sector_ledger=by_year,
        )

    # ------------------------------------------------------------------ views
    @property
    def years(self) -> pd.Index:
        """Calendar years of the horizon."""
        return pd.Index(list(self.scenario.years), name="year")

    def _check_series_name(self, name: str) -> None:
        if name not in SERIES:
            raise KeyError(f"unknown series {name!r}; known: {', '.join(SERIES)}")

    def series(self, name: str) -> pd.DataFrame:
        """One per-year output: index ``year``, one column per kept path.

        Raises
        ------
        KeyError
            For an unknown name, or when the series were not kept (``keep_series=False`` or a
            run read back from a folder, which stores fans, not paths).
        """
        self._check_series_name(name)
        if name not in self._series:
            raise KeyError(
                f"series {name!r} was not kept in this run (run with keep_series, or use fan())"
            )
        arr = self._series[name]
        if is_idle(arr):  # a flow the structure never moves: zeros, of the caller's own
            arr = np.zeros(arr.shape)
        return pd.DataFrame(arr, index=self.years, columns=pd.RangeIndex(arr.shape[1], name="path"))

    def fan(self, name: str) -> pd.DataFrame:
        """Percentiles of a per-year output: index ``year``, columns ``p5 .. p95``."""
        self._check_series_name(name)
        fans = self.fans()
        sub = fans[fans["series"] == name]
        out = sub.pivot(index="year", columns="percentile", values="value")
        out = out[[c for c in self._pct_cols() if c in out.columns]]
        out.columns.name = None
        return out

    def _pct_cols(self) -> list[str]:
        return [f"p{p:g}" for p in self.scenario.reporting.percentiles]

    def fans(self) -> pd.DataFrame:
        """All fans in long form: columns ``year, series, percentile, value``."""
        if self._fans is None:
            if not self._series:
                raise KeyError("no series were kept in this run, so there are no fans")
            pct = list(self.scenario.reporting.percentiles)
            cols = self._pct_cols()
            years = np.asarray(self.years)
            values = np.empty((len(SERIES), len(pct), len(years)))
            for i, name in enumerate(SERIES):
                values[i] = percentiles_by_row(self._series[name], pct)
            n_s, n_p, n_y = values.shape
            self._fans = pd.DataFrame(
                {
                    "year": np.tile(years, n_s * n_p),
                    "series": np.repeat(np.array(SERIES, dtype=object), n_p * n_y),
                    "percentile": np.tile(np.repeat(np.array(cols, dtype=object), n_y), n_s),
                    "value": values.ravel(),
                }
            )
        return self._fans

    def ledger(self) -> pd.DataFrame:
        """Sources and uses of the waterfall by year, mean over paths [USD bn]."""
        return self._ledger.copy()

    def sector_metrics(self) -> pd.DataFrame:
        """Per-path outputs of each sector of the fund: index ``path``, columns
        ``(output, sector)`` (:data:`simulator.outputs.SECTOR_METRICS`; the single stock of
        infrastructure is one sector)."""
        return _by_sector_columns(self._sector_metrics, "output")

    def sector_ledger(self) -> pd.DataFrame:
        """Each sector's investment, productive capital and GDP uplift by year, mean over the
        paths [USD bn]: index ``year``, columns ``(flow, sector)``
        (:data:`simulator.outputs.SECTOR_FLOWS`)."""
        return _by_sector_columns(self._sector_ledger, "flow")

    def by_sector(self) -> pd.DataFrame:
        """What each sector of the fund gets and gives, over the paths: index ``sector``; the
        mean investment, productive capital at the horizon and GDP uplift PV [USD bn], the
        uplift's 10th, 50th and 90th percentiles, and its share of the whole uplift [-]."""
        m = self.sector_metrics()
        pct = (10.0, 50.0, 90.0)
        rows = {}
        total = float(np.mean(m["gdp_uplift_pv_usd_bn"].to_numpy(dtype=float).sum(axis=1)))
        for sector in self.scenario.mdf.sector_names:
            uplift = m[("gdp_uplift_pv_usd_bn", sector)].to_numpy(dtype=float)
            q = np.nanpercentile(uplift, pct) if uplift.size else [math.nan] * 3
            rows[sector] = {
                "investment_total_usd_bn": float(m[("investment_total_usd_bn", sector)].mean()),
                "capital_final_usd_bn": float(m[("capital_final_usd_bn", sector)].mean()),
                "gdp_uplift_pv_usd_bn": float(np.mean(uplift)),
                **{f"gdp_uplift_pv_p{p:g}": float(v) for p, v in zip(pct, q, strict=True)},
                "gdp_uplift_share": float(np.mean(uplift) / total) if total else math.nan,
            }
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "sector"
        return out

    def summary(self) -> pd.DataFrame:
        """Aggregates of every per-path metric: n, mean, sd, se and the percentiles."""
        if self._summary is None:
            self._summary = aggregate(self.metrics, self.scenario.reporting.percentiles)
        return self._summary.copy()

    def headline(self) -> dict[str, float]:
        """The headline figures of the catalogue (:data:`simulator.outputs.HEADLINE`).

        Each is a statistic over the paths of a per-path metric (its ``of`` and ``statistic``
        in :mod:`simulator.outputs`); keys are the headline names plus ``<key>_se``, the Monte
        Carlo standard error, where one is estimated.
        """
        if self._headline is None:
            out: dict[str, float] = {}
            for key in HEADLINE:
                entry = OUTPUTS[key]
                assert entry.of is not None and entry.statistic is not None
                x = self.metrics[entry.of].to_numpy(dtype=float)
                out[key] = float(row_statistic(x[None], entry.statistic)[0])
                if entry.has_standard_error:
                    out[f"{key}_se"] = standard_error(x, entry.statistic)
            self._headline = out
        return dict(self._headline)

    def summary_text(self) -> str:
        """A readable table of the headline figures (what ``naef run`` prints)."""
        h = self.headline()
        sc = self.scenario
        lines = [
            f"Scenario {sc.name}: {self.paths:,} paths, seed {self.seed}, "
            f"{sc.horizon.start_year}-{sc.horizon.start_year + sc.horizon.years - 1}"
        ]
        width = max(len(output(key).title) for key in HEADLINE)
        for key in HEADLINE:
            value = format_value(key, h[key], unit=False)
            se = h.get(f"{key}_se")
            err = f"± {format_value(key, se, unit=False)}" if se is not None else ""
            if output(key).is_probability and h[key] == 0.0 and self.paths > 0:
                # Never observed: its standard error is 0, its one-sided 95% bound is not.
                bound = 1.0 - 0.05 ** (1.0 / self.paths)
                err = f"(none of {self.paths:,} paths; under {format_value(key, bound)} at 95%)"
            lines.append(f"  {output(key).title:<{width}}  {value:>10}  {err}".rstrip())
        lines.append("  (± one standard error of the Monte Carlo estimate)")
        lines.append(f"  {sc.basis_note}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ files
    def to_dir(self, path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
        """Write the run folder atomically and return its path.

        The files are written into a temporary folder beside ``path``, which replaces ``path``
        only once every file is complete. A crash leaves either the previous folder or none.

        Raises
        ------
        FileExistsError
            If ``path`` exists and ``overwrite`` is False.
        OSError
            If the folder cannot be written (the temporary folder is removed).
        """
        target = Path(path)
        if target.exists() and not overwrite:
            raise FileExistsError(f"{target} exists")
        target.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        # mkdtemp makes a private (0700) folder; a run folder gets the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        try:
            (tmp / "scenario.yaml").write_text(self.scenario.to_yaml(), encoding="utf-8")
            self.metrics.to_parquet(tmp / "metrics.parquet", index=True)
            self.fans().to_parquet(tmp / "fan.parquet", index=False)
            self._ledger.reset_index().to_parquet(tmp / "ledger.parquet", index=False)
            if self._sector_metrics is not None and self._sector_ledger is not None:
                self._sector_metrics.to_parquet(tmp / "sectors.parquet", index=True)
                self._sector_ledger.reset_index().to_parquet(
                    tmp / "sector_ledger.parquet", index=False
                )
            summary = {
                "headline": self.headline(),
                "metrics": self.summary().to_dict(orient="index"),
            }
            (tmp / "summary.json").write_text(json.dumps(_json_safe(summary), indent=2))
            manifest = dict(self.manifest)
            manifest["timings"] = {
                **manifest.get("timings", {}),
                "write_s": time.perf_counter() - t0,
            }
            manifest["files"] = list(FILES)
            _write_json_synced(tmp / "manifest.json", _json_safe(manifest))
            _fsync_dir(tmp)
            if target.exists():
                trash = Path(
                    tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent)
                )
                os.replace(target, trash / "run")
                try:
                    os.replace(tmp, target)
                except BaseException:
                    os.replace(trash / "run", target)  # put the previous run back
                    shutil.rmtree(trash, ignore_errors=True)
                    raise
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.replace(tmp, target)
            _fsync_dir(target.parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    @classmethod
    def from_dir(cls, path: str | os.PathLike[str]) -> Results:
        """Read a run folder written by :meth:`to_dir`.

        Raises
        ------
        InputError
            If the folder is not a complete run (no manifest) or its scenario is invalid.
        """
        root = Path(path)
        if not is_complete_run(root):
            raise InputError(str(root), "", "not a complete run folder (no manifest.json)")
        manifest = json.loads((root / "manifest.json").read_text())
        scenario = validate_scenario(
            parse_yaml_text(
                (root / "scenario.yaml").read_text(encoding="utf-8"),
                source=str(root / "scenario.yaml"),
            ),
            source=str(root / "scenario.yaml"),
        )
        metrics = pd.read_parquet(root / "metrics.parquet")
        fans = pd.read_parquet(root / "fan.parquet")
        ledger = pd.read_parquet(root / "ledger.parquet").set_index("year")
        sector_metrics = sector_ledger = None
        if (root / "sectors.parquet").is_file() and (root / "sector_ledger.parquet").is_file():
            sector_metrics = pd.read_parquet(root / "sectors.parquet")
            sector_ledger = pd.read_parquet(root / "sector_ledger.parquet").set_index("year")
        return cls(
            scenario=scenario,
            seed=int(manifest["seed"]),
            paths=int(manifest["paths"]),
            metrics=metrics,
            series={},
            fans=fans,
            ledger=ledger,
            manifest=manifest,
            sector_metrics=sector_metrics,
            sector_ledger=sector_ledger,
        )


def is_complete_run(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a run folder whose writing finished (it has its manifest)."""
    return (Path(path) / "manifest.json").is_file()


def os_error_text(exc: OSError) -> str:
    """The cause of a failed file operation in a few words, on one line.

    ``No space left on device``, ``Permission denied``, ``Read-only file system``: the system's
    text for the error number where there is one (pyarrow's own messages wrap it in details),
    else the message itself.
    """
    if exc.errno:
        return os.strerror(exc.errno)
    return " ".join(str(exc).split()) or type(exc).__name__


#: A temporary a run folder or a file is written in: ``.<name>.<8 random>.tmp`` (``.old`` for
#: the run folder it replaces), as :mod:`tempfile` names them.
_TEMPORARY = re.compile(r"\.(.+)\.[a-z0-9_]{8}\.(?:tmp|old)")


def remove_leftovers(folder: str | os.PathLike[str], names: Iterable[str]) -> None:
    """Remove the temporaries that writes of these names left in ``folder``.

    A run killed while its folder was written leaves a hidden ``.<name>.<random>.tmp`` folder
    (and ``.old`` when it replaced an earlier run) behind. Nothing here takes it for a run,
    but a glob that matches hidden folders would: DuckDB's ``'out/*/metrics.parquet'`` reads
    it and counts its paths twice. Call it only when nothing else is writing these names.

    Parameters
    ----------
    folder
        The output folder.
    names
        Run folder (or file stem) names whose temporaries go; others are left alone.
    """
    wanted = set(names)
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return
    for entry in entries:
        match = _TEMPORARY.fullmatch(entry.name)
        if match is None or match.group(1) not in wanted:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()


def prepare_output_folder(folder: str | os.PathLike[str]) -> None:
    """Create an output folder and check that files can be made in it, before anything runs.

    Raises
    ------
    InputError
        Naming the folder and ``--out``, with the cause (``Permission denied``, ``Not a
        directory``...), so a long run is not wasted on a folder it cannot write.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "--out", "got a file; want a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            str(out), "--out", f"cannot create the folder: {os_error_text(exc)}"
        ) from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".catalog.", suffix=".tmp", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(
            str(out), "--out", f"cannot write in the folder: {os_error_text(exc)}"
        ) from None


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``target`` that becomes ``target`` when the block succeeds.

    Write the file at the path this yields. When the block ends without an error the file is
    synced, given the usual permissions (``0666`` less the umask; a temporary file starts
    private) and renamed over ``target`` (``os.replace``), so a reader sees the previous file
    or the complete new one, never a part. On any error the temporary file is removed and
    ``target`` is left as it was. The temporary name is ``.<stem>.<random>.tmp``.
    """
    target = Path(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _write_json_synced(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
