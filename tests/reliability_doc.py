"""Render docs/reliability.md from the reliability tests themselves.

Every test function of the files in :data:`FILES` has a docstring of the form::

    Tried: <the inputs or faults>.
    Holds: <what is asserted>.
    Found: <a bug this test exposed, and the fix>.      (optional)

The document lists, file by file, each test with what it tried and what holds, how many
cases or examples it runs, its parametrized cases (with their ``doc`` where the case object has
one), known failures (``xfail``) with their reasons, and the notes a test module declares in
``RELIABILITY_NOTES`` (a list of ``(title, text)``, the same constants its assertions use).
A file that does not exist is left out.

``python tests/reliability_doc.py`` rewrites docs/reliability.md;
tests/test_reliability_doc.py fails when the committed file differs from what this renders.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
DOC = ROOT / "docs" / "reliability.md"
#: The reliability test files, in the order of the document.
FILES = (
    "test_fuzz_loader.py",
    "test_extreme_scenarios.py",
    "test_hostile_files.py",
    "test_numbers.py",
    "test_faults.py",
)
LABELS = ("Tried", "Holds", "Found")
#: The note rendered as its own section near the top.
CHUNK_NOTE = "Chunk size"


class DocstringError(ValueError):
    """A reliability test without a usable Tried/Holds docstring."""


@dataclass
class TestDoc:
    """What the document says of one test function."""

    name: str
    tried: str
    holds: str
    found: str = ""
    runs: str = "1"
    cases: list[tuple[str, str, str]] = field(default_factory=list)  # (id, doc, known failure)
    xfail: str = ""
    skip: str = ""


@dataclass
class FileDoc:
    """What the document says of one test file."""

    path: str
    title: str
    intro: str
    tests: list[TestDoc]
    notes: list[tuple[str, str]]


def _squash(text: str) -> str:
    """One line of Markdown from docstring text: whitespace collapsed, reST roles and double
    backticks turned into plain code spans."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text)
    text = re.sub(r"``(.+?)``", r"`\1`", text)
    return re.sub(r"\s+", " ", text).strip()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def parse_docstring(doc: str | None, where: str) -> dict[str, str]:
    """The Tried, Holds and (optional) Found parts of a test docstring.

    Raises
    ------
    DocstringError
        When the docstring is missing, does not start with ``Tried:`` or lacks ``Holds:``.
    """
    if not doc or not doc.strip():
        raise DocstringError(f"{where}: no docstring; want 'Tried: ... Holds: ...'")
    text = doc.strip()
    if not text.startswith("Tried:"):
        raise DocstringError(f"{where}: the docstring does not start with 'Tried:'")
    parts = re.split(r"(?m)^\s*(Tried|Holds|Found):\s*", "\n" + text)
    out: dict[str, str] = {}
    for label, body in zip(parts[1::2], parts[2::2], strict=True):
        if label in out:
            raise DocstringError(f"{where}: '{label}:' appears twice")
        out[label] = _squash(body)
    if not out.get("Holds"):
        raise DocstringError(f"{where}: no 'Holds:' paragraph")
    if not out.get("Tried"):
        raise DocstringError(f"{where}: an empty 'Tried:' paragraph")
    return out


def _import(path: Path) -> ModuleType:
    name = f"_reliability_doc_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _case_id(value: Any, argnames: list[str], index: int) -> str:
    """A case's name when the test gives none: its ``id``, the value itself, or pytest's
    ``<argname><index>``."""
    ident = getattr(value, "id", None)
    if isinstance(ident, str):
        return ident
    if isinstance(value, Path):
        return value.stem
    if isinstance(value, str | int | float | bool):
        return str(value)
    return f"{argnames[0]}{index}"


def _cases(func: Any) -> tuple[list[tuple[str, str, str]], int]:
    """The parametrized cases of a test (id, doc, known failure) and their count."""
    total = 1
    cases: list[tuple[str, str, str]] = []
    for mark in reversed(getattr(func, "pytestmark", [])):
        if mark.name != "parametrize":
            continue
        argnames = mark.args[0]
        if isinstance(argnames, str):
            argnames = [a.strip() for a in argnames.split(",")]
        values = list(mark.args[1])
        ids = mark.kwargs.get("ids")
        total *= len(values)
        for i, value in enumerate(values):
            marks = getattr(value, "marks", ())
            inner = value.values[0] if hasattr(value, "values") and value.values else value
            if isinstance(ids, list | tuple):
                ident = str(ids[i])
            elif getattr(value, "id", None):
                ident = str(value.id)
            else:
                ident = _case_id(inner, argnames, i)
            doc = getattr(inner, "doc", "")
            known = ""
            for m in marks:
                if m.name == "xfail":
                    known = str(m.kwargs.get("reason", ""))
            cases.append((ident, doc if isinstance(doc, str) else "", known))
    return cases, total


def _runs(func: Any, count: int) -> str:
    if getattr(func, "is_hypothesis_test", False):
        from hypothesis import settings as default

        chosen = getattr(func, "_hypothesis_internal_use_settings", None) or default.default
        return f"{chosen.max_examples * count:,} examples"
    return f"{count} cases" if count > 1 else "1"


def _marks(func: Any, name: str) -> str:
    for mark in getattr(func, "pytestmark", []):
        if mark.name == name:
            reason = mark.kwargs.get("reason", "")
            return str(reason) or name
    return ""


def collect(files: tuple[str, ...] = FILES, tests_dir: Path = TESTS) -> list[FileDoc]:
    """The documentation of every reliability test file that exists.

    Raises
    ------
    DocstringError
        For a test function whose docstring does not follow the convention.
    """
    out: list[FileDoc] = []
    for name in files:
        path = tests_dir / name
        if not path.is_file():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = _import(path)
        module_doc = ast.get_docstring(tree) or ""
        paragraphs = [p for p in module_doc.split("\n\n") if p.strip()]
        title = _squash(paragraphs[0]).rstrip(".") if paragraphs else name
        intro = " ".join(_squash(p) for p in paragraphs[1:])
        tests = []
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if not node.name.startswith("test_"):
                continue
            where = f"tests/{name}::{node.name}"
            parts = parse_docstring(ast.get_docstring(node), where)
            func = getattr(module, node.name)
            cases, count = _cases(func)
            tests.append(
                TestDoc(
                    name=node.name,
                    tried=parts["Tried"],
                    holds=parts["Holds"],
                    found=parts.get("Found", ""),
                    runs=_runs(func, count),
                    cases=cases,
                    xfail=_marks(func, "xfail"),
                    skip=_marks(func, "skipif") or _marks(func, "skip"),
                )
            )
        notes = [(str(t), str(x)) for t, x in getattr(module, "RELIABILITY_NOTES", [])]
        out.append(FileDoc(f"tests/{name}", title, intro, tests, notes))
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _count(runs: str) -> tuple[int, int]:
    """(cases, examples) of a Runs cell."""
    number = int(runs.split()[0].replace(",", ""))
    return (0, number) if runs.endswith("examples") else (number, 0)


def render(files: list[FileDoc] | None = None) -> str:
    """The text of docs/reliability.md."""
    files = collect() if files is None else files
    tests = [t for f in files for t in f.tests]
    cases = sum(_count(t.runs)[0] for t in tests)
    examples = sum(_count(t.runs)[1] for t in tests)
    known: list[tuple[str, str]] = []  # (test[case], reason)
    for f in files:
        for t in f.tests:
            if t.xfail:
                known.append((f"{f.path}::{t.name}", t.xfail))
            known += [(f"{f.path}::{t.name}[{i}]", reason) for i, _d, reason in t.cases if reason]
    lines = [
        "# Reliability",
        "",
        "What is tried against the simulator (malformed, extreme and hostile inputs, chunking,",
        "faults) and what holds. This file is generated from the tests' own docstrings by",
        "`python tests/reliability_doc.py`; `tests/test_reliability_doc.py` fails when it",
        "differs from them, so it says what the suite checks on every run.",
        "",
        f"{len(tests)} tests in {len(files)} files: {cases:,} parametrized cases (tests without",
        f"parameters count as one) and {examples:,} Hypothesis examples per run;",
        f"{len(known)} known failures, marked `xfail(strict=True)`.",
        "",
    ]
    found = [(f, t) for f in files for t in f.tests if t.found]
    if found:
        lines += ["## Found and fixed", ""]
        for f, t in found:
            lines.append(f"- {_sentence(t.found)} (`{f.path}::{t.name}`)")
        lines.append("")
    if known:
        lines += ["## Known failures", ""]
        for where, reason in known:
            lines.append(f"- `{where}`: {reason}")
        lines.append("")
    for f in files:
        for title, text in f.notes:
            if title == CHUNK_NOTE:
                lines += [f"## {title}", "", text, "", f"(From `{f.path}`.)", ""]
    for f in files:
        lines += [f"## {f.title}", "", f"`{f.path}`" + (f": {f.intro}" if f.intro else ""), ""]
        lines += ["| Test | Tried | Holds | Runs |", "| --- | --- | --- | --- |"]
        for t in f.tests:
            holds = t.holds
            if t.xfail:
                holds += f" **Known failure:** {t.xfail}"
            if t.skip:
                holds += f" (Skipped when: {t.skip})"
            lines.append(f"| `{t.name}` | {_cell(t.tried)} | {_cell(holds)} | {_cell(t.runs)} |")
        lines.append("")
        for t in f.tests:
            if len(t.cases) < 2:
                continue
            lines += [f"Cases of `{t.name}`:", ""]
            if any(doc for _i, doc, _k in t.cases):
                for ident, doc, known in t.cases:
                    text = f"- `{ident}`" + (f": {doc}" if doc else "")
                    lines.append(text + (" (known failure)" if known else ""))
            else:
                names = [f"`{i}`" + (" (known failure)" if k else "") for i, _d, k in t.cases]
                lines.append(", ".join(names) + ".")
            lines.append("")
        for title, text in f.notes:
            if title != CHUNK_NOTE:
                lines += [f"### {title}", "", text, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> int:
    DOC.parent.mkdir(parents=True, exist_ok=True)
    text = render()
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
