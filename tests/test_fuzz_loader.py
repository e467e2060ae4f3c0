"""Fuzzing the scenario loader: whatever the YAML, a Scenario or a one-line ScenarioError.

Hypothesis writes random YAML documents, random text and random mutations of every shipped
scenario, and feeds them to the two entry points: :func:`simulator.load_scenario` (a file, with
``extends:`` beside it) and :func:`simulator.scenario.scenario_from_text` (an upload, with
``extends:`` confined to the shipped scenarios). Either a valid :class:`Scenario` comes back
(and survives its own YAML round trip, as a run folder's ``scenario.yaml`` must), or a
:class:`ScenarioError` whose message is one line that starts with the file it names. Any other
exception is a failure.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from simulator.scenario import (
    SECTIONS,
    TOP_FIELDS,
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_from_text,
)

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
SHIPPED = sorted(p.name for p in SCENARIOS.glob("*.yaml"))
UPLOAD = "upload.yaml"
#: Longest message accepted: a message is a line for a terminal, not a dump of the input.
MAX_MESSAGE = 1000

FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------------- the contract


def check_outcome(
    call: Callable[[], Scenario], sources: Callable[[str], bool]
) -> Scenario | ScenarioError:
    """Run one load: a valid Scenario, or a ScenarioError with a one-line message.

    ``sources`` tells whether the error's ``source`` is a file the input could blame (the file
    itself or one of its ``extends:`` chain).
    """
    try:
        sc = call()
    except ScenarioError as err:
        msg = str(err)
        assert msg, "empty message"
        assert len(msg.splitlines()) == 1, f"message is not one line: {msg!r}"
        assert len(msg) <= MAX_MESSAGE, f"message of {len(msg)} characters: {msg[:200]!r}..."
        assert err.problem, msg
        assert sources(err.source), f"message names {err.source!r}: {msg!r}"
        assert msg.startswith(err.source), msg
        return err
    # Anything else propagates and fails the test. A returned scenario is valid and survives
    # its own YAML (what a run folder stores and reads back).
    assert isinstance(sc, Scenario)
    assert Scenario.model_validate(sc.to_dict()) == sc
    assert scenario_from_text(sc.to_yaml(), source="round-trip.yaml") == sc
    return sc


def _is_upload_or_shipped(source: str) -> bool:
    return source == UPLOAD or Path(source).parent == SCENARIOS.resolve()


def from_upload(text: str) -> Scenario | ScenarioError:
    return check_outcome(
        lambda: scenario_from_text(text, source=UPLOAD, extends_root=SCENARIOS),
        _is_upload_or_shipped,
    )


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """A copy of the shipped scenarios, beside which fuzzed files are written."""
    root = Path(tempfile.mkdtemp(prefix="naef-fuzz-"))
    for name in SHIPPED:
        shutil.copy(SCENARIOS / name, root / name)
    yield root
    shutil.rmtree(root, ignore_errors=True)


#: Absolute paths the mutations put in ``extends:``; ``load_scenario`` reads a user's own
#: files wherever they are, so an error may name them.
ABSOLUTE_EXTENDS = ("/etc/passwd",)


def from_file(folder: Path, content: str | bytes) -> Scenario | ScenarioError:
    path = folder / "fuzzed.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    return check_outcome(
        lambda: load_scenario(path),
        lambda s: Path(s).parent in (folder, folder.resolve()) or s in ABSOLUTE_EXTENDS,
    )


# ---------------------------------------------------------------------- strategies

#: Numbers at the edges: huge and tiny magnitudes, signed zero, NaN and infinities.
edge_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.sampled_from(
        [0.0, -0.0, 5e-324, -5e-324, 1e-300, 1e308, -1e308, math.nan, math.inf, -math.inf]
    ),
)
edge_ints = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**300), max_value=10**300),
    st.sampled_from([0, -1, 1, 2**31, 2**53, 2**63, 2**64, -(2**63)]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    edge_ints,
    edge_floats,
    st.text(max_size=20),
    st.sampled_from(["gbm", "deck", "level", "bullet", "naef-2005.yaml", "", " ", "~", "yes"]),
)
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), children, max_size=4),
    ),
    max_leaves=8,
)

FIELDS: dict[str, list[str]] = {s: list(m.model_fields) for s, m in SECTIONS.items()}


@st.composite
def scenario_shaped(draw: st.DrawFn) -> dict[Any, Any]:
    """A mapping that looks like a scenario: known sections and fields, random values."""
    doc: dict[Any, Any] = {}
    for key in draw(st.lists(st.sampled_from([*TOP_FIELDS, *SECTIONS, "extends"]), max_size=4)):
        if key in SECTIONS and draw(st.booleans()):
            names = draw(st.lists(st.sampled_from(FIELDS[key]), max_size=3))
            doc[key] = {name: draw(trees) for name in names}
        else:
            doc[key] = draw(trees)
    if draw(st.booleans()):
        doc[draw(st.one_of(st.text(max_size=10), st.integers()))] = draw(trees)
    return doc


def dump(data: Any, allow_unicode: bool, flow: bool | None) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # the same YAML, faster
    return yaml.dump(data, Dumper=dumper, allow_unicode=allow_unicode, default_flow_style=flow)


#: Pieces of YAML syntax that tend to reach odd corners of the parser and the constructors.
FRAGMENTS = [
    "naef:",
    "oil_price:",
    "horizon:\n  years: ",
    "name: ",
    "extends: ",
    "\n",
    "  ",
    "\t",
    "- ",
    ": ",
    "? ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "'",
    '"',
    "#",
    "|",
    ">",
    "&a ",
    "*a",
    "&b [*a, *a, *a]",
    "<<: *a",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:example.com,2000:\n",
    "!!python/object/apply:os.system ['true']",
    "!!python/name:os.system",
    "!!binary aGVsbG8=",
    "!!binary ***",
    "!!timestamp 2001-02-30",
    "2001-02-30",
    "2001-12-14t21:59:43.10+99:00",
    "!!int abc",
    "!!float abc",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!str",
    "!!map",
    "!custom x",
    "1e400",
    "-1e400",
    ".nan",
    ".inf",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "1:30:00",
    "~",
    "null",
    "yes",
    "1" * 5000,
    "\x00",
    "\ufeff",
    "\x85",
    "\u2028",
    "é日本🙂",
    "\\u0000",
    "x" * 2000,
]
raw_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=30).map(
    "".join
)


# ---------------------------------------------------------------------- random documents


@settings(FUZZ, max_examples=400)
@given(
    data=st.one_of(trees, scenario_shaped()),
    allow_unicode=st.booleans(),
    flow=st.sampled_from([None, True, False]),
)
def test_random_yaml_documents_upload(data: Any, allow_unicode: bool, flow: bool | None) -> None:
    """Tried: random YAML trees (None, booleans, huge integers, NaN, infinities, subnormal and
    huge floats, unicode text, lists, mappings with text or integer keys) and scenario-shaped
    mappings (known sections and fields with random values, an unknown key), dumped with
    ``yaml.safe_dump`` in block and flow style and uploaded with ``scenario_from_text``.
    Holds: a valid Scenario that survives its own YAML round trip, or a ScenarioError whose
    message is one line, at most 1000 characters, starting with the upload's name (or the
    shipped scenario it extends); no other exception.
    Found: an unknown key holding a line break (a newline, U+001E, U+2028) was put in the
    message as written, which then spanned two lines; such keys are now quoted and escaped.
    """
    from_upload(dump(data, allow_unicode, flow))


@settings(FUZZ, max_examples=200)
@given(data=st.one_of(trees, scenario_shaped()), allow_unicode=st.booleans())
def test_random_yaml_documents_file(folder: Path, data: Any, allow_unicode: bool) -> None:
    """Tried: the same random YAML trees and scenario-shaped mappings written to a file beside
    copies of the shipped scenarios and read with ``load_scenario``.
    Holds: a valid Scenario or a one-line ScenarioError naming the file (or the file its
    ``extends:`` names); no other exception.
    """
    from_file(folder, dump(data, allow_unicode, None))


@settings(FUZZ, max_examples=1000)
@given(text=raw_text)
@example(text="!!str" + "x" * 2000)  # an unknown tag of 2,000 characters
def test_random_text_upload(text: str) -> None:
    """Tried: random text stitched from YAML syntax (tabs, flow and block collections, anchors
    and aliases, merge keys, directives, document markers, ``!!python/object/apply:os.system``
    and other tags, bad ``!!int``/``!!float``/``!!binary`` values, impossible dates and time
    zones, 1e400, a 5000-digit integer, NUL, BOM, NEL and line-separator characters, lines of
    thousands of characters) mixed with random unicode, uploaded with ``scenario_from_text``.
    Holds: a valid Scenario or a one-line ScenarioError naming the upload; no other exception.
    Found: impossible dates, bad ``!!int``/``!!float`` values, out-of-range time zones and
    integers over 4300 digits escaped from the YAML constructors as a bare ValueError;
    ``parse_yaml_text`` now turns them into a ScenarioError. An unknown tag thousands of
    characters long was quoted whole in the parser's message (2,118 characters); the parser's
    text is now cut to 80 characters.
    """
    from_upload(text)


@settings(FUZZ, max_examples=300)
@given(
    content=st.one_of(
        raw_text,
        st.binary(max_size=200),
        raw_text.map(lambda t: t.encode("utf-16")),
    )
)
def test_random_text_and_bytes_file(folder: Path, content: str | bytes) -> None:
    """Tried: the same random text, random bytes and UTF-16 text (not UTF-8) written to a
    file and read with ``load_scenario``.
    Holds: a valid Scenario or a one-line ScenarioError naming the file; no other exception.
    """
    from_file(folder, content)


# ---------------------------------------------------------------------- shipped scenarios


def _shipped_raw(name: str) -> dict[str, Any]:
    data = yaml.safe_load((SCENARIOS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


SHIPPED_RAW = {name: _shipped_raw(name) for name in SHIPPED}


def _nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated_shipped(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    """A shipped scenario with one or more random mutations, and what was done to it."""
    name = draw(st.sampled_from(SHIPPED))
    doc: dict[str, Any] = {
        k: dict(v) if isinstance(v, dict) else v for k, v in SHIPPED_RAW[name].items()
    }
    done = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                [
                    "replace-field",
                    "replace-section",
                    "delete-section",
                    "delete-field",
                    "unknown-key",
                    "deep-nesting",
                    "long-list",
                    "edge-number",
                    "extends",
                ]
            )
        )
        done.append(kind)
        section = draw(st.sampled_from(list(SECTIONS)))
        field = draw(st.sampled_from(FIELDS[section]))
        sub = doc.get(section)
        if not isinstance(sub, dict):
            sub = doc[section] = {}
        if kind == "replace-field":
            sub[field] = draw(trees)
        elif kind == "replace-section":
            doc[section] = draw(trees)
        elif kind == "delete-section":
            doc.pop(draw(st.sampled_from(list(doc))), None)
        elif kind == "delete-field":
            if sub:
                sub.pop(draw(st.sampled_from(list(sub))))
        elif kind == "unknown-key":
            key = draw(st.text(min_size=1, max_size=30))
            if draw(st.booleans()):
                sub[key] = draw(trees)
            else:
                doc[key] = draw(trees)
        elif kind == "deep-nesting":
            sub[field] = _nest(sub.get(field, 1.0), draw(st.integers(1, 60)))
        elif kind == "long-list":
            item = draw(st.one_of(st.just(50.0), edge_floats, scalars))
            sub[field] = [item] * draw(st.sampled_from([10, 100, 1000]))
        elif kind == "edge-number":
            sub[field] = draw(st.one_of(edge_floats, edge_ints))
        else:
            doc["extends"] = draw(
                st.one_of(
                    st.sampled_from(
                        [
                            *SHIPPED,
                            "../naef-2005.yaml",
                            *ABSOLUTE_EXTENDS,
                            "naef-2005.yaml/../naef-2005.yaml",
                            "",
                            ".",
                            "x" * 5000,
                            "a\x00b",
                        ]
                    ),
                    trees,
                )
            )
    return name, doc, "+".join(done)


@settings(FUZZ, max_examples=400)
@given(case=mutated_shipped(), allow_unicode=st.booleans())
def test_mutated_shipped_scenarios_upload(
    case: tuple[str, dict[str, Any], str], allow_unicode: bool
) -> None:
    """Tried: every shipped scenario with one to three random mutations (a field replaced by
    a value of another type, a section replaced or deleted, a field deleted, an unknown key,
    a value nested up to 60 lists deep, a list of up to 1000 items, a huge, tiny, NaN or
    infinite number, ``extends:`` set to another shipped file, a relative or absolute path, a
    5000-character name, a NUL byte or a random value), uploaded with ``scenario_from_text``.
    Holds: a valid Scenario or a one-line ScenarioError naming the upload or the shipped file
    it extends; no other exception.
    """
    _name, doc, _what = case
    from_upload(dump(doc, allow_unicode, None))


@settings(FUZZ, max_examples=200)
@given(case=mutated_shipped())
def test_mutated_shipped_scenarios_file(
    folder: Path, case: tuple[str, dict[str, Any], str]
) -> None:
    """Tried: the same mutations of the shipped scenarios written beside copies of them and
    read with ``load_scenario`` (so ``extends:`` follows real files).
    Holds: a valid Scenario or a one-line ScenarioError naming the file or a file of its
    ``extends:`` chain; no other exception.
    Found: an ``extends:`` value holding a NUL byte or a name too long for the file system
    escaped as ValueError / OSError; it is now a ScenarioError on ``extends``.
    """
    _name, doc, _what = case
    from_file(folder, dump(doc, True, None))


def test_unmutated_shipped_scenarios_pass_the_contract(folder: Path) -> None:
    """Tried: every shipped scenario as it is, as a file and as an upload.
    Holds: each loads to a valid Scenario that survives its YAML round trip (the fuzzers'
    starting points are valid, so a mutation is what breaks them).
    """
    for name in SHIPPED:
        text = (SCENARIOS / name).read_text(encoding="utf-8")
        assert isinstance(from_upload(text), Scenario), name
        assert isinstance(from_file(folder, text), Scenario), name
