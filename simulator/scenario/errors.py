"""Bad input: the error every refused input raises, and how a message quotes what it got.

Messages are one line that names the source, the field, what it got and what it wants
(``bad.yaml: naef.grace_years: got 20; want fewer than tenor_years (20)``). Values are quoted
with a bounded ``repr``: a YAML document of a few hundred bytes can hold a billion items through
aliases, or a key with a line break, and neither may make a message slow or span lines.
"""

from __future__ import annotations

import difflib
import math
import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "InputError",
    "ScenarioError",
    "bounded_repr",
    "describe",
    "describe_text",
    "field_name",
    "is_small",
    "suggest",
]


class InputError(ValueError):
    """Bad input: one message naming where it came from, the field, what it got and what it wants.

    Every bad input the library refuses is an ``InputError`` (the command line exits with
    status 2 and prints the message on one line; the page shows it under the field). A failure
    of the program itself is never one.

    Parameters
    ----------
    source
        Where the input came from: a file path, ``"overrides"``, ``"<upload>"``, a command-line
        option (``"--paths"``) or the function it was given to (``"sensitivity"``).
    field
        Dotted field name (``"naef.tenor_years"``) or argument, or ``""`` for the input as a
        whole.
    problem
        What is wrong: ``"got X; want Y"``.
    """

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {problem}")


class ScenarioError(InputError):
    """A scenario that is not valid: a file, an upload, an override or one of its fields."""


def suggest(name: str, options: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the option nearest ``name``, or ``""``."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""


#: Containers with more items than this are described with a shortened repr.
_SMALL_ITEMS = 1000

_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel = 3
for _attr in ("maxlist", "maxtuple", "maxset", "maxfrozenset", "maxdict"):
    setattr(_SHORT_REPR, _attr, 8)
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 80


def is_small(value: Any) -> bool:
    """Whether ``repr(value)`` is cheap: few items, shallow, no huge integer, no cycle.

    YAML aliases can make a document of a few hundred bytes hold a billion items (or refer to
    itself), whose full ``repr`` would never finish.
    """
    stack, seen = [(value, 0)], 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > _SMALL_ITEMS or depth > 20:
            return False
        if isinstance(item, Mapping):
            stack.extend((x, depth + 1) for pair in item.items() for x in pair)
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend((x, depth + 1) for x in item)
        elif isinstance(item, int) and item.bit_length() > 10_000:
            return False
    return True


def bounded_repr(value: Any) -> str:
    """``repr(value)``, or a shortened one when the full text would be huge or slow to build."""
    if is_small(value):
        return repr(value)
    try:
        return _SHORT_REPR.repr(value)
    except (ValueError, RecursionError):  # an integer too long to print
        return f"a {type(value).__name__}"


def describe(value: Any) -> str:
    """A value as a message quotes it: its repr, at most 80 characters."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = bounded_repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def describe_text(text: str) -> str:
    """A message of the YAML parser, on one line and at most 80 characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= 80 else flat[:77] + "..."


def field_name(key: Any) -> str:
    """A key as a field name in a message: as written, or quoted when it is long or not
    printable (a newline in a key must not break the one-line message)."""
    text = str(key) if isinstance(key, str) or is_small(key) else bounded_repr(key)
    return text if text.isprintable() and len(text) <= 80 else describe(text)
