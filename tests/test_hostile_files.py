"""Hostile files: uploads that try to read the server's files, run code or exhaust it, names
that try to write outside the output folder, and the address the page is served on.

An upload (``scenario_from_text`` with ``extends_root``, what the page calls) may read only the
shipped scenarios and itself. Every YAML document is read with a safe loader, within a size
limit and a node limit, so tags that build Python objects are refused and an alias bomb is
refused at once. Run folder names are made safe by ``safe_run_name`` whatever the scenario name
or sweep template. ``naef app`` binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import simulator.scenario.files as scenario_module
from simulator.cli import app_command, build_parser, main
from simulator.run.batch import run_batch
from simulator.run.results import is_complete_run
from simulator.run.sweep import collect_jobs, expand_sweep, safe_run_name
from simulator.scenario import ScenarioError, load_scenario, scenario_from_text
from simulator.scenario.files import MAX_FILE_BYTES, MAX_YAML_NODES

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
BASELINE = SCENARIOS / "naef-2005.yaml"
#: Wall time within which an alias bomb must be refused [s].
QUICK_S = 1.0
#: Wall time within which a document at the size limit must be refused [s]. Some 0.6 s go to
#: reading up to the node limit; 100,000 nested brackets cost PyYAML's scanner about 1.3 s of
#: look-ahead (1024 characters, quadratic in the open brackets) whatever the length after that.
LARGE_S = 3.0


@dataclass(frozen=True)
class Case:
    """One hostile input: an id, the input, and what it is (for docs/reliability.md)."""

    id: str
    value: Any
    doc: str


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, f"want one line, got {err!r}"
    return lines[0]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the scenario module opens or reads as YAML, resolved."""
    seen: list[Path] = []
    real_read_yaml = scenario_module.read_yaml

    def spy_read_yaml(path: Any, **kw: Any) -> Any:
        seen.append(Path(path).resolve())
        return real_read_yaml(path, **kw)

    def spy_open(file: Any, *args: Any, **kw: Any) -> Any:
        seen.append(Path(file).resolve())
        return open(file, *args, **kw)

    monkeypatch.setattr(scenario_module, "read_yaml", spy_read_yaml)
    monkeypatch.setattr(scenario_module, "open", spy_open, raising=False)
    return seen


def upload(text: str, root: Path = SCENARIOS) -> Any:
    return scenario_from_text(text, source="upload.yaml", extends_root=root)


def naef(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real command line, in a process of its own."""
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    env.pop("NAEF_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=env,
    )


# ---------------------------------------------------------------------- extends and paths

EXTENDS_CASES = [
    Case("parent-dirs", "../../etc/passwd", "a relative path up to /etc/passwd"),
    Case("absolute", "/etc/passwd", "an absolute path"),
    Case("through-a-shipped-name", "naef-2005.yaml/../../../etc/passwd", "a shipped name, then .."),
    Case("dot-slash", "./naef-2005.yaml", "a shipped scenario with a path component"),
    Case("folder-and-name", "scenarios/naef-2005.yaml", "a shipped scenario with its folder"),
    Case("up-and-back", "../scenarios/naef-2005.yaml", "a shipped scenario through .."),
    Case("absolute-shipped", str(BASELINE), "a shipped scenario by absolute path"),
    Case("home", "~/.ssh/id_rsa", "a home-relative path"),
    Case("url", "file:///etc/passwd", "a file URL"),
    Case("backslashes", "..\\..\\etc\\passwd", "a Windows-style path"),
    Case("percent-encoded", "%2e%2e/%2e%2e/etc/passwd", "a percent-encoded path"),
    Case("nul", "naef-2005.yaml\x00.txt", "a shipped name with a NUL byte"),
    Case("no-suffix", "naef-2005", "a shipped name without .yaml"),
    Case("other-case", "NAEF-2005.YAML", "a shipped name in capitals"),
    Case("trailing-space", "naef-2005.yaml ", "a shipped name with a trailing space"),
    Case("proc", "/proc/self/environ", "the server's environment"),
    Case("list", ["naef-2005.yaml"], "a list holding a shipped name"),
    Case("mapping", {"path": "/etc/passwd"}, "a mapping"),
    Case("number", 5, "a number"),
]


@pytest.mark.parametrize("case", EXTENDS_CASES, ids=[c.id for c in EXTENDS_CASES])
def test_upload_extends_cannot_name_any_other_file(case: Case, reads: list[Path]) -> None:
    """Tried: uploads whose ``extends:`` is a path out of the scenarios folder, a shipped
    scenario with path components, an absolute path, a URL, a NUL byte, another case, a list,
    a mapping or a number (cases below).
    Holds: ScenarioError on ``extends`` naming the upload and listing the shipped scenarios;
    not one file is opened, not even the shipped one the path ends in.
    """
    text = yaml.safe_dump({"name": "evil", "extends": case.value})
    with pytest.raises(ScenarioError) as info:
        upload(text)
    assert info.value.field == "extends"
    assert info.value.source == "upload.yaml"
    assert "naef-2005.yaml" in info.value.problem
    assert reads == [], f"files read: {reads}"


def test_upload_extends_a_shipped_scenario_reads_only_shipped_files(reads: list[Path]) -> None:
    """Tried: an upload that extends every shipped scenario by bare file name in turn.
    Holds: each loads, and every file opened is a shipped scenario (the chain of
    ``historical-replay-2006.yaml`` included).
    """
    for path in sorted(SCENARIOS.glob("*.yaml")):
        sc = upload(f"name: mine\nextends: {path.name}\nnaef:\n  coupon_rate: 0.05\n")
        assert sc.name == "mine" and sc.naef.coupon_rate == 0.05
    assert reads, "nothing was read"
    assert {p.parent for p in reads} == {SCENARIOS.resolve()}, reads


@pytest.fixture
def fake_shipped(tmp_path: Path) -> dict[str, Path]:
    """A scenarios folder with symbolic links and a chain that try to lead out of it."""
    root = tmp_path / "shipped"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.yaml"
    secret.write_text("name: secret-from-outside\n")
    (root / "base.yaml").write_text("name: base\n")
    (root / "out-link.yaml").symlink_to(secret)
    (root / "in-link.yaml").symlink_to(root / "base.yaml")
    (root / "dir-link.yaml").symlink_to(outside, target_is_directory=True)
    (root / "chain-out.yaml").write_text("name: chain\nextends: ../outside/secret.yaml\n")
    (root / "chain-link.yaml").write_text("name: chain\nextends: out-link.yaml\n")
    return {"root": root, "secret": secret}


@pytest.mark.parametrize(
    ("target", "offered"),
    [
        ("out-link.yaml", False),
        ("dir-link.yaml", False),
        ("chain-out.yaml", True),
        ("chain-link.yaml", True),
        ("in-link.yaml", True),
    ],
    ids=["symlink-out", "symlink-to-folder", "chain-out", "chain-through-symlink", "symlink-in"],
)
def test_symlinks_and_chains_cannot_leave_the_scenarios_folder(
    target: str, offered: bool, fake_shipped: dict[str, Path], reads: list[Path]
) -> None:
    """Tried: an upload extending, in a scenarios folder, a symbolic link to a file outside, a
    link to a folder outside, a file whose own ``extends:`` leaves the folder, a file that
    extends a link leading out, and a link to a file of the folder itself.
    Holds: the link leading out is not offered; the chains leading out stop with a
    ScenarioError on ``extends`` naming the shipped file; the file outside is never opened;
    the link inside the folder loads.
    Found: a link in the scenarios folder to a file elsewhere was offered to uploads and read,
    and a scenario of the folder could lead out of it through its own ``extends:``; uploads now
    reach only regular files of the folder, along the whole chain (hardening: the folder's
    content is the server's own).
    """
    root, secret = fake_shipped["root"], fake_shipped["secret"]
    text = f"name: mine\nextends: {target}\n"
    if target == "in-link.yaml":
        assert upload(text, root).name == "mine"
    else:
        with pytest.raises(ScenarioError) as info:
            upload(text, root)
        assert info.value.field == "extends"
        if offered:
            assert Path(info.value.source).name == target
        else:
            assert info.value.source == "upload.yaml"
            assert target not in info.value.problem.split("; want ", 1)[1]
    assert secret.resolve() not in reads, reads
    assert all(p.parent == root.resolve() for p in reads), reads


# ---------------------------------------------------------------------- code and tags

TAG_CASES = [
    Case("os-system", "!!python/object/apply:os.system ['touch {marker}']", "os.system"),
    Case(
        "subprocess",
        "!!python/object/apply:subprocess.check_call [['touch', '{marker}']]",
        "subprocess.check_call",
    ),
    Case("object-new", "!!python/object/new:os.system ['touch {marker}']", "python/object/new"),
    Case("name", "!!python/name:os.system", "python/name"),
    Case("module", "!!python/module:os", "python/module"),
    Case("object", "!!python/object:pathlib.Path {{}}", "python/object"),
    Case("tuple", "!!python/tuple [1, 2]", "python/tuple"),
    Case("local-tag", "!shell 'touch {marker}'", "an application tag"),
]


@pytest.mark.parametrize("case", TAG_CASES, ids=[c.id for c in TAG_CASES])
def test_python_tags_are_refused_and_nothing_runs(case: Case, tmp_path: Path) -> None:
    """Tried: ``!!python/object/apply:os.system``, ``subprocess.check_call``,
    ``!!python/object/new``, ``!!python/name``, ``!!python/module``, ``!!python/object``,
    ``!!python/tuple`` and an application tag, as a value of ``name:``, uploaded, loaded from
    a file, and through ``naef validate`` in a process of its own; the commands would create
    a marker file.
    Holds: a ScenarioError saying the YAML is not valid; the marker file is never created.
    """
    marker = tmp_path / "pwned"
    text = "name: " + str(case.value).format(marker=marker) + "\n"
    with pytest.raises(ScenarioError) as info:
        upload(text)
    assert "not valid YAML" in str(info.value)
    path = tmp_path / "tagged.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError):
        load_scenario(path)
    assert not marker.exists()


# ---------------------------------------------------------------------- alias bombs and size


def alias_bomb(depth: int = 9, width: int = 10) -> str:
    """A billion laughs: ``width ** depth`` leaves from a document of a few hundred bytes."""
    lines = ["lol0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, depth + 1):
        lines.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines)


def bomb_in(where: str) -> str:
    """An alias bomb whose top (``*l9``) is put where a scenario field would be."""
    anchors = alias_bomb().replace("lol", "x").splitlines()
    # Anchors must be defined in the document: define them in a list under the field, then
    # refer to the top one.
    chain = "[" + ", ".join(a.split(": ", 1)[1] for a in anchors) + "]"
    return where.format(chain=chain)


BOMB_CASES = [
    Case("section", "naef: {chain}\n", "as a section"),
    Case("float-field", "pemex:\n  decline_b: {chain}\n", "as a number field"),
    Case("list-field", "naef:\n  issuance_usd_bn: {chain}\n", "as a list field"),
    Case("name", "name: {chain}\n", "as the name"),
    Case("description", "description: {chain}\n", "as the description"),
    Case("extends", "extends: {chain}\n", "as extends"),
    Case("unknown-key", "naef:\n  anything: {chain}\n", "under an unknown key"),
    Case("top-level", "{chain}\n", "as the whole document"),
    Case("key", "? {chain}\n: 1\n", "as a key"),
    Case("self-reference", "naef: &a\n  issuance_usd_bn: [*a, *a]\n", "a value that holds itself"),
]


@pytest.mark.parametrize("case", BOMB_CASES, ids=[c.id for c in BOMB_CASES])
def test_alias_bombs_are_refused_quickly(case: Case) -> None:
    """Tried: a billion-laughs document (10 lists of 10 aliases, nine levels: 10^9 leaves in
    about 600 bytes) placed as a section, a number field, a list field, the name, the
    description, ``extends``, an unknown key, the whole document, a mapping key, and a
    value that refers to itself; uploaded.
    Holds: ScenarioError within 1 s of wall time, with a one-line message of at most 500
    characters.
    Found: a bomb in a field made the error message build the full text of the value
    (``repr`` of a billion items, which never ends); values in messages are now shortened
    before they are written out.
    """
    text = bomb_in(case.value)
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        upload(text)
    elapsed = time.perf_counter() - t0
    assert elapsed < QUICK_S, f"refused after {elapsed:.2f} s"
    msg = str(info.value)
    assert len(msg.splitlines()) == 1 and len(msg) <= 500, msg


def test_alias_bomb_in_a_sweep_file_is_refused_quickly(tmp_path: Path) -> None:
    """Tried: a sweep file whose ``base``, ``mode``, swept list, ``set`` block and name
    template are alias bombs, and a swept list whose one value is a bomb used in the name
    template, through ``expand_sweep``.
    Holds: ScenarioError within 1 s each, with a one-line message.
    """
    (tmp_path / "base.yaml").write_text("name: base\n")
    chain = bomb_in("{chain}")
    variants = {
        "base": f"base: {chain}\nsweep:\n  naef.coupon_rate: [0.05]\n",
        "mode": f"base: base.yaml\nmode: {chain}\nsweep:\n  naef.coupon_rate: [0.05]\n",
        "values": f"base: base.yaml\nsweep:\n  naef.coupon_rate: {chain}\n",
        "set": f"base: base.yaml\nsweep:\n  naef.coupon_rate: [0.05]\nset: {chain}\n",
        "name": f"base: base.yaml\nname: {chain}\nsweep:\n  naef.coupon_rate: [0.05]\n",
        "point": (
            f"base: base.yaml\nname: '{{naef.coupon_rate}}'\nsweep:\n  naef.coupon_rate:"
            f" [{chain}]\n"
        ),
    }
    for what, text in variants.items():
        path = tmp_path / f"sweep-{what}.yaml"
        path.write_text(text)
        t0 = time.perf_counter()
        with pytest.raises(ScenarioError) as info:
            expand_sweep(path)
        elapsed = time.perf_counter() - t0
        assert elapsed < QUICK_S, f"{what}: refused after {elapsed:.2f} s"
        assert len(str(info.value).splitlines()) == 1, str(info.value)


SIZE_CASES = [
    Case("over-the-limit", "description: '" + "x" * MAX_FILE_BYTES + "'\n", "a 1 MB description"),
    Case(
        "many-values",
        "naef:\n  issuance_usd_bn: [" + ", ".join(["1"] * 300_000) + "]\n",
        "300,000 list items in 900 kB",
    ),
    Case("many-lines", "description:\n" + "  - 1\n" * 150_000, "150,000 block list items"),
    Case("deep-nesting", "name: " + "[" * 100_000 + "]" * 100_000 + "\n", "100,000 nested lists"),
    Case("deep-mappings", "name: " + "{a: " * 20_000 + "1" + "}" * 20_000, "20,000 nested maps"),
    Case("long-key", "x" * 900_000 + ": 1\n", "a key of 900,000 characters"),
]


@pytest.mark.parametrize("case", SIZE_CASES, ids=[c.id for c in SIZE_CASES])
def test_large_documents_are_refused_quickly(case: Case, tmp_path: Path) -> None:
    """Tried: documents at or over the size limit (1,000,000 characters): a description over
    the limit, 300,000 list items, 150,000 block list lines, 100,000 nested lists, 20,000
    nested mappings, a key of 900,000 characters; uploaded and loaded from a file.
    Holds: ScenarioError within 3 s each way, with a one-line message of at most 500
    characters.
    Found: a document of 300,000 list items (900 kB, under the size limit) took some 20 s to
    parse; documents are now limited to 10,000 YAML nodes (a scenario has a few hundred), so
    it is refused in well under a second.
    """
    path = tmp_path / "big.yaml"
    path.write_text(case.value)
    for load in (lambda: upload(case.value), lambda: load_scenario(path)):
        t0 = time.perf_counter()
        with pytest.raises(ScenarioError) as info:
            load()
        elapsed = time.perf_counter() - t0
        assert elapsed < LARGE_S, f"refused after {elapsed:.2f} s"
        msg = str(info.value)
        assert len(msg.splitlines()) == 1 and len(msg) <= 500, msg[:500]


def test_hostile_files_through_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tried: ``naef validate`` (a process of its own) on five files at once: a
    ``!!python/object/apply:os.system`` tag that would create a marker file, an alias bomb as
    the ``naef`` section, a file one byte over the size limit, a file with more YAML nodes than
    the limit, and a sweep whose swept list is an alias bomb; then ``naef run`` (in process) on
    the bomb.
    Holds: exit code 2; exactly one line on stderr per file, each naming its file, no
    traceback; the marker file is never created; ``naef run`` exits 2 with the same line.
    """
    marker = tmp_path / "pwned"
    files = {
        "tag.yaml": f"name: !!python/object/apply:os.system ['touch {marker}']\n",
        "bomb.yaml": bomb_in("naef: {chain}\n"),
        "big.yaml": "#" * MAX_FILE_BYTES + "\n",
        "many.yaml": "description: [" + ", ".join(["1"] * (MAX_YAML_NODES + 1)) + "]\n",
        "sweep.yaml": "base: base.yaml\nsweep:\n  naef.coupon_rate: " + bomb_in("{chain}") + "\n",
        "base.yaml": "name: base\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    bad = [tmp_path / n for n in files if n != "base.yaml"]
    proc = naef("validate", *map(str, bad))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == len(bad), proc.stderr
    for path, line in zip(bad, lines, strict=True):
        assert line.startswith(f"error: {path}: "), line
    assert "not valid YAML" in lines[0]
    assert lines[1].startswith(f"error: {bad[1]}: naef: got ")
    assert str(MAX_FILE_BYTES) in lines[2] and str(MAX_YAML_NODES) in lines[3]
    assert not marker.exists()
    assert main(["run", str(bad[1]), "--paths", "10", "--no-write"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and one_line(err) == lines[1]


def test_a_scenario_within_the_limits_still_loads() -> None:
    """Tried: the baseline with every list at its longest useful length (a 200-year horizon,
    200 fixed prices, a 200-price deck, 200 tranches, 2,000 history prices, 98 percentiles).
    Holds: it loads: the node limit leaves room for any real scenario.
    """
    doc = yaml.safe_load(BASELINE.read_text())
    doc.pop("extends", None)
    doc["horizon"] = {"years": 200}
    doc["oil_price"] = {
        "fixed_path_usd_per_bbl": [60.0] * 200,
        "deck_usd_per_bbl": [60.0] * 200,
        "history_usd_per_bbl": [60.0 + i % 7 for i in range(2000)],
    }
    doc["naef"] = {"issuance_usd_bn": [1.0] * 200}
    doc["reporting"] = {"percentiles": [float(p) for p in range(1, 99)]}
    sc = upload(yaml.safe_dump(doc))
    assert len(sc.oil_price.history_usd_per_bbl) == 2000


# ---------------------------------------------------------------------- run folder names

NAME_CASES = [
    Case("parent", "../x", "a parent-folder path"),
    Case("deep-parent", "../../../../etc/cron.d/x", "a deep parent-folder path"),
    Case("absolute", "/abs/path", "an absolute path"),
    Case("dots", "..", "two dots"),
    Case("dot", ".", "one dot"),
    Case("hidden", ".bashrc", "a hidden name"),
    Case("nul", "a\x00b", "a NUL byte"),
    Case("newline", "line1\nline2\r\n", "newlines"),
    Case("backslash", "..\\..\\windows", "backslashes"),
    Case("rtl-override", "evil\u202egpj.exe", "a right-to-left override"),
    Case("zero-width", "a\u200bb\ufeff", "zero-width characters"),
    Case("unicode", "ñandú-日本-🙂", "accented, CJK and emoji"),
    Case("fullwidth-dots", "\uff0e\uff0e\uff0fx", "full-width dots and slash"),
    Case("long", "x" * 120, "120 characters"),
    Case("catalog", "catalog.parquet", "the batch catalog's own name"),
    Case("catalog-caps", "CATALOG.parquet", "the catalog's name in capitals"),
    Case("spaces", "   ", "spaces only"),
]


def _inside(name: str, out: Path) -> None:
    target = (out / name).resolve()
    assert target.parent == out.resolve(), f"{name!r} -> {target}"
    assert name not in ("", ".", "..") and not name.startswith(".")
    assert "/" not in name and "\\" not in name and "\x00" not in name


@pytest.mark.parametrize("case", NAME_CASES, ids=[c.id for c in NAME_CASES])
def test_scenario_names_stay_inside_the_output_folder(case: Case, tmp_path: Path) -> None:
    """Tried: scenario names that are paths up and out, absolute paths, dots, hidden names,
    NUL bytes, newlines, backslashes, a right-to-left override, zero-width and full-width
    characters, emoji, 120 characters, the name of the batch's own catalog; run through
    ``naef batch`` (``collect_jobs`` and ``run_batch``, 16 paths).
    Holds: every run folder is a complete run directly inside the output folder, with a
    plain name (no separator, NUL, leading dot); nothing is written anywhere else; the
    catalog is written.
    Found: a scenario named ``catalog.parquet`` took the catalog's name, so the batch could
    not write its catalog; ``safe_run_name`` now appends ``-run`` to that name.
    """
    src = tmp_path / "in"
    src.mkdir()
    out = tmp_path / "out"
    small = {"issuance_usd_bn": [1.0], "tenor_years": 3, "grace_years": 1}
    (src / "s.yaml").write_text(
        yaml.safe_dump({"name": case.value, "horizon": {"years": 5}, "naef": small})
    )
    jobs = collect_jobs([src])
    assert [j.error for j in jobs] == [None]
    _inside(jobs[0].name, out)
    catalog = run_batch(jobs, out=out, paths=16, workers=1)
    assert list(catalog["status"]) == ["ok"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    assert sorted(p.name for p in src.iterdir()) == ["s.yaml"]
    assert sorted(p.name for p in out.iterdir()) == sorted(["catalog.parquet", jobs[0].name])
    assert is_complete_run(out / jobs[0].name)


TEMPLATE_CASES = [
    Case("parent", "../{index}", "a parent-folder path"),
    Case("absolute", "/etc/{index}", "an absolute path"),
    Case("nul-newline", "a\x00\n{index}", "a NUL byte and a newline"),
    Case("dots", "..{index}..", "dots around the index"),
    Case("unicode", "ñ/日本/{index}", "unicode and separators"),
    Case("catalog", "catalog.parquet{naef.coupon_rate}", "the catalog's name with a value"),
    Case("value-path", "{naef.amortization}", "a swept text value used as the name"),
]


@pytest.mark.parametrize("case", TEMPLATE_CASES, ids=[c.id for c in TEMPLATE_CASES])
def test_sweep_name_templates_stay_inside_the_output_folder(case: Case, tmp_path: Path) -> None:
    """Tried: sweep name templates that render to paths up and out, absolute paths, NUL bytes
    and newlines, dots, unicode with separators, the catalog's name, and a swept value as the
    whole name; expanded with ``expand_sweep`` and run with ``run_batch`` (16 paths each).
    Holds: every run folder is a complete run directly inside the output folder; nothing is
    written anywhere else.
    """
    src = tmp_path / "in"
    src.mkdir()
    (src / "base.yaml").write_text(
        "name: base\nhorizon:\n  years: 5\n"
        "naef:\n  issuance_usd_bn: [1]\n  tenor_years: 3\n  grace_years: 1\n"
    )
    sweep: dict[str, Any] = {"base": "base.yaml", "name": case.value, "mode": "zip"}
    if "amortization" in case.value:
        sweep["sweep"] = {"naef.amortization": ["level", "bullet"]}
    else:
        sweep["sweep"] = {"naef.coupon_rate": [0.0, 0.05]}
    path = src / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep))
    jobs = expand_sweep(path)
    out = tmp_path / "out"
    for job in jobs:
        _inside(job.name, out)
    catalog = run_batch(jobs, out=out, paths=16, workers=1)
    assert list(catalog["status"]) == ["ok", "ok"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    assert sorted(p.name for p in src.iterdir()) == ["base.yaml", "sweep.yaml"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["catalog.parquet", *(j.name for j in jobs)]
    )
    assert all(is_complete_run(out / j.name) for j in jobs)


def test_naef_run_out_with_a_hostile_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tried: ``naef run --out DIR --set name=...`` with a parent-folder path, an absolute
    path, a NUL byte and a newline in the name.
    Holds: each run folder lands directly inside DIR under ``safe_run_name`` of the name;
    nothing is written beside DIR.
    """
    out = tmp_path / "box" / "out"
    names = ["../../escaped", "/tmp/abs", "nul\x00name", "new\nline"]
    for name in names:
        setting = f"name={json.dumps(name)}"  # JSON is YAML: the value reads back exactly
        rc = main(["run", str(BASELINE), "--paths", "16", "--out", str(out), "--set", setting])
        assert rc == 0, capsys.readouterr().err
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == sorted(safe_run_name(n) for n in names)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["box"]
    assert sorted(p.name for p in (tmp_path / "box").iterdir()) == ["out"]


# ---------------------------------------------------------------------- the page


def test_app_binds_localhost_by_default() -> None:
    """Tried: ``naef app`` with no options and with ``--address 0.0.0.0 --port 9000``; the
    command line it would start.
    Holds: by default Streamlit is started with ``--server.address 127.0.0.1`` (and headless,
    no usage statistics, uploads capped at 1 MB by the server); an explicit address is passed
    on unchanged.
    """
    args = build_parser().parse_args(["app"])
    cmd = app_command(args.address, args.port)
    assert args.address == "127.0.0.1"
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.port") + 1] == "8501"
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"
    assert cmd[cmd.index("--server.maxUploadSize") + 1] == "1"
    assert _app_upload_limit() < 1_000_000
    args = build_parser().parse_args(["app", "--address", "0.0.0.0", "--port", "9000"])
    cmd = app_command(args.address, args.port)
    assert cmd[cmd.index("--server.address") + 1] == "0.0.0.0"
    assert cmd[cmd.index("--server.port") + 1] == "9000"
    assert "run" in cmd and cmd[cmd.index("run") + 1].endswith(str(Path("app") / "app.py"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health(host: str, port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/_stcore/health", timeout=1) as r:
            return str(r.read().decode())
    except (urllib.error.URLError, OSError):
        return None


def _wait_for(check: Callable[[], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``naef app`` on a free port, in a session of its own; its process group is killed at
    the end whatever happens, so no server outlives the test."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli", "app", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield proc, port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_the_served_page_answers_on_localhost_only(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    """Tried: ``naef app --port P`` started for real, then stopped with SIGTERM.
    Holds: the health endpoint answers ``ok`` on 127.0.0.1 and nothing listens on another
    local address (127.0.0.2, or the machine's own address); after SIGTERM to ``naef app``
    the server stops too.
    Found: SIGTERM stopped ``naef app`` but left the Streamlit server it started running, and
    serving; ``naef app`` now passes the signal on to it.
    """
    proc, port = served
    assert _wait_for(lambda: _health("127.0.0.1", port) == "ok", 30), "the page never answered"
    assert _health("127.0.0.2", port) is None
    try:
        own = socket.gethostbyname(socket.gethostname())
    except OSError:
        own = None
    if own and not own.startswith("127."):
        assert _health(own, port) is None
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)
    assert _wait_for(lambda: _health("127.0.0.1", port) is None, 15), "the server outlived naef"


def test_app_upload_over_the_size_limit_is_refused() -> None:
    """Tried: uploading to the page (Streamlit's AppTest) a file one byte over the page's
    upload limit, and a file whose ``naef`` section is an alias bomb.
    Holds: the page shows the one-line error, raises nothing, and keeps the scenario it had.
    """
    from streamlit.testing.v1 import AppTest

    main_module = sys.modules["__main__"]  # AppTest replaces it; see tests/test_app.py
    try:
        _upload_hostile_files(AppTest.from_file(str(REPO / "app" / "app.py"), default_timeout=60))
    finally:
        sys.modules["__main__"] = main_module


def _upload_hostile_files(at: Any) -> None:
    at.run()
    limit = _app_upload_limit()
    for name, text in (
        ("big.yaml", "#" * (limit + 1)),
        ("bomb.yaml", bomb_in("naef: {chain}\n")),
    ):
        if at.selectbox(key="choice").value != "(uploaded file)":
            at.selectbox(key="choice").set_value("(uploaded file)").run()
        at.file_uploader(key="upload").set_value((name, text.encode(), "application/x-yaml"))
        t0 = time.perf_counter()
        at.run()
        assert time.perf_counter() - t0 < 10
        assert not at.exception, [e.value for e in at.exception]
        errors = [e.value for e in at.error]
        assert any(e.startswith(f"{name}: ") for e in errors), errors
        assert all(len(e.splitlines()) == 1 for e in errors), errors
        assert at.session_state["base_scenario"].name == "naef-2005"


def _app_upload_limit() -> int:
    """The page's own upload limit, read from app/app.py without running it."""
    import ast

    tree = ast.parse((REPO / "app" / "app.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "MAX_UPLOAD_BYTES" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, int)
            return value
    raise AssertionError("app/app.py has no MAX_UPLOAD_BYTES")
