"""Numbers: what the chunk size may change (only bookkeeping in the manifest), and no float32.

Every shipped scenario is run with chunks of 1,024, 4,096 and the default 32,768 paths, on a
path count that is not a multiple of any of them, and every output is compared to the bit. The
simulator's sources are searched for single- and half-precision types, and the dtypes of every
output, in memory and read back from a run folder, are checked to be float64 (or bool).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.outputs import FLAGS, SERIES
from simulator.run.engine import DEFAULT_CHUNK_PATHS
from simulator.run.results import Results

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
PATHS = 5_000  # not a multiple of 1024 or 4096: every chunking ends with a partial chunk
SEED = 424_242
CHUNKS = (1024, 4096, DEFAULT_CHUNK_PATHS)

#: Manifest entries that may differ with the chunk size, and why.
CHUNK_DEPENDENT = {
    "chunks": "the number of chunks the run was cut into",
    "chunk_paths_max": "the size of the largest chunk",
}
#: Manifest entries that differ between any two runs (clock and speed).
RUN_DEPENDENT = {"timings", "created_utc", "paths_per_second"}

RELIABILITY_NOTES = [
    (
        "Chunk size",
        "Chunk size changes no result: the per-path metrics, every kept per-year series, the "
        "fans, the ledger, the summary and the headline figures are identical to the bit with "
        f"chunks of {', '.join(f'{c:,}' for c in CHUNKS[:-1])} and {CHUNKS[-1]:,} paths, for "
        "every shipped scenario. Only the "
        "manifest's bookkeeping depends on it: "
        + "; ".join(f"`{k}`, {v}" for k, v in CHUNK_DEPENDENT.items())
        + ". Timings, the creation time and paths per second differ between any two runs.",
    ),
]


def _bits(a: Any, b: Any, what: str) -> None:
    x = np.ascontiguousarray(np.asarray(a))
    y = np.ascontiguousarray(np.asarray(b))
    assert x.dtype == y.dtype and x.shape == y.shape, what
    assert x.tobytes() == y.tobytes(), f"{what} differs"


def _same(a: Results, b: Results) -> None:
    pd.testing.assert_frame_equal(a.metrics, b.metrics, check_exact=True)
    _bits(a.metrics.to_numpy(dtype=float), b.metrics.to_numpy(dtype=float), "metrics")
    for name in SERIES:
        _bits(a.series(name).to_numpy(), b.series(name).to_numpy(), name)
    pd.testing.assert_frame_equal(a.fans(), b.fans(), check_exact=True)
    _bits(a.fans()["value"].to_numpy(), b.fans()["value"].to_numpy(), "fans")
    pd.testing.assert_frame_equal(a.ledger(), b.ledger(), check_exact=True)
    _bits(a.ledger().to_numpy(), b.ledger().to_numpy(), "ledger")
    pd.testing.assert_frame_equal(a.summary(), b.summary(), check_exact=True)
    _bits(a.summary().to_numpy(dtype=float), b.summary().to_numpy(dtype=float), "summary")
    ha, hb = a.headline(), b.headline()
    assert ha.keys() == hb.keys()
    for key in ha:
        same = ha[key] == hb[key] or (math.isnan(ha[key]) and math.isnan(hb[key]))
        assert same, f"headline {key}: {ha[key]!r} != {hb[key]!r}"
    assert a.summary_text() == b.summary_text()


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_chunk_size_changes_no_output(path: Path) -> None:
    """Tried: every shipped scenario, 5,000 paths, with chunks of 1,024, 4,096 and the
    default 32,768 paths (5, 2 and 1 chunks), every per-year series kept.
    Holds: metrics, every series, the fans, the ledger, the summary, the headline figures and
    the printed summary are identical to the bit (NaN where NaN); the manifest differs only
    in the entries listed under "Chunk size" and in timings.
    Found: the manifest's ``identity_max_residual`` divided each chunk's largest residual by
    that chunk's largest cash, so it changed with the chunking; the engine now divides the
    run's largest residual by the run's largest cash.
    """
    sc = simulator.load_scenario(path)
    runs = [
        simulator.simulate(sc, paths=PATHS, seed=SEED, chunk_paths=c, keep_series=True)
        for c in CHUNKS
    ]
    assert [r.manifest["chunks"] for r in runs] == [5, 2, 1]
    for other in runs[1:]:
        _same(runs[0], other)
        differ = {
            k
            for k in runs[0].manifest.keys() | other.manifest.keys()
            if runs[0].manifest.get(k) != other.manifest.get(k)
        }
        unexpected = differ - set(CHUNK_DEPENDENT) - RUN_DEPENDENT
        assert not unexpected, f"manifest entries that changed with the chunk size: {unexpected}"
        for r in (runs[0], other):
            assert r.manifest["identity_max_residual"] < 1e-12


def test_chunk_size_changes_no_written_file(tmp_path: Path) -> None:
    """Tried: the baseline (5,000 paths) written to run folders with chunks of 1,024 and
    32,768 paths.
    Holds: ``metrics.parquet``, ``fan.parquet``, ``ledger.parquet`` and ``summary.json`` read
    back equal, value for value; ``scenario.yaml`` is byte for byte the same.
    """
    sc = simulator.load_scenario(SCENARIOS[0].parent / "naef-2005.yaml")
    dirs = []
    for c in (1024, DEFAULT_CHUNK_PATHS):
        res = simulator.simulate(sc, paths=PATHS, seed=SEED, chunk_paths=c)
        dirs.append(res.to_dir(tmp_path / f"chunk-{c}"))
    a, b = dirs
    for name in ("metrics.parquet", "fan.parquet", "ledger.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(a / name), pd.read_parquet(b / name), check_exact=True
        )
    assert (a / "summary.json").read_text() == (b / "summary.json").read_text()
    assert (a / "scenario.yaml").read_bytes() == (b / "scenario.yaml").read_bytes()


# ---------------------------------------------------------------------- float64 everywhere

#: Lines of simulator/ and app/ allowed to name a reduced-precision type, with the reason.
FLOAT32_ALLOWED: dict[str, str] = {}
REDUCED = re.compile(r"float32|float16|\b(np|numpy)\.(single|half|csingle)\b|['\"][<>=]?f[24]['\"]")


def test_no_reduced_precision_types_in_the_sources() -> None:
    """Tried: every line of ``simulator/*.py`` and ``app/*.py`` searched for ``float32``,
    ``float16``, ``np.single``, ``np.half``, ``np.csingle`` and the ``'f4'``/``'f2'`` codes.
    Holds: none appears (an allowlist, now empty, would name any line with its reason).
    """
    found = []
    for path in sorted([*(REPO / "simulator").glob("*.py"), *(REPO / "app").glob("*.py")]):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(REPO).as_posix()}:{number}"
            if REDUCED.search(line) and where not in FLOAT32_ALLOWED:
                found.append(f"{where}: {line.strip()}")
    assert not found, "reduced precision in the sources:\n" + "\n".join(found)


def test_every_output_is_float64(tmp_path: Path) -> None:
    """Tried: the baseline (2,000 paths) and the historical replay; every output in memory
    and read back from a run folder.
    Holds: metrics are float64 (the flags ``default``, ``standalone_default``,
    ``pemex_support`` and ``distress`` bool), every series, the fans, the ledger and the
    summary are float64, the headline figures are Python floats, and the Parquet files keep
    float64 (nothing is narrowed on the way to disk).
    """
    for name in ("naef-2005.yaml", "historical-replay-2006.yaml"):
        sc = simulator.load_scenario(REPO / "scenarios" / name)
        res = simulator.simulate(sc, paths=2000, seed=SEED, keep_series=True)
        back = Results.from_dir(res.to_dir(tmp_path / name))
        for r in (res, back):
            for col, dtype in r.metrics.dtypes.items():
                want = np.dtype(bool) if col in FLAGS else np.dtype(np.float64)
                assert dtype == want, f"{name}: metric {col} is {dtype}"
            assert (r.ledger().dtypes == np.float64).all(), r.ledger().dtypes
            assert r.fans()["value"].dtype == np.float64
            summary = r.summary()
            assert (summary.drop(columns="n").dtypes == np.float64).all()
            assert all(type(v) is float for v in r.headline().values())
        for series in SERIES:
            assert res.series(series).to_numpy().dtype == np.float64, series
