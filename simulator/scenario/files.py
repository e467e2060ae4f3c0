"""Scenario files: YAML read safely, ``extends:`` chains resolved, overrides applied.

YAML is read with a ``yaml.SafeLoader`` that also refuses duplicate keys and documents of more
than :data:`MAX_YAML_NODES` nodes; files over :data:`MAX_FILE_BYTES` are refused unread. Every
failure (a missing file, bytes that are not text, malformed YAML, an ``extends:`` cycle or a
chain that leaves the folder an upload may use) is a :class:`ScenarioError` naming the file and
the field. The data is then validated by :func:`simulator.scenario.schema.validate_scenario`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import ScenarioError, describe, describe_text
from .schema import SECTIONS, Scenario, check_keys, set_dotted, validate_scenario

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_YAML_NODES",
    "load_scenario",
    "parse_override",
    "parse_yaml_text",
    "read_yaml",
    "scenario_from_text",
]

#: Largest scenario file accepted [bytes]; a scenario is a few kilobytes.
MAX_FILE_BYTES = 1_000_000
#: Most YAML nodes (values, lists, mappings, aliases) in one document; a scenario has a few
#: hundred. Parsing costs some 60 microseconds a node, so this bounds the time spent on a
#: document of any size (a megabyte of ``[1, 1, ...]`` is refused in well under a second).
MAX_YAML_NODES = 10_000


def read_yaml(path: str | Path, *, label: str | None = None) -> Any:
    """Read one YAML document with ``safe_load``, turning every failure into a ScenarioError."""
    p = Path(path)
    name = label or str(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise ScenarioError(name, "", "file not found") from None
    except OSError as exc:
        raise ScenarioError(name, "", f"cannot read: {exc.strerror}") from None
    except ValueError:  # a NUL character in the path
        raise ScenarioError(name, "", "got a path with a NUL character; want a file") from None
    if p.is_dir():
        raise ScenarioError(name, "", "got a folder; want a scenario file")
    if size > MAX_FILE_BYTES:
        raise ScenarioError(name, "", f"got {size} bytes; want a file under {MAX_FILE_BYTES}")
    try:
        with open(p, "rb") as fh:  # at most one byte past the limit, whatever stat said
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES
            raise ScenarioError(name, "", f"got more than {limit} bytes; want a file under {limit}")
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(
            name, "", "got bytes that are not UTF-8 text; want a YAML file"
        ) from None
    except OSError as exc:
        raise ScenarioError(name, "", f"cannot read: {exc.strerror}") from None
    return parse_yaml_text(text, source=name)


class _TooManyNodes(yaml.YAMLError):
    """A document with more than :data:`MAX_YAML_NODES` nodes."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping, and stops at
    :data:`MAX_YAML_NODES` nodes."""

    _nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise _TooManyNodes()
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key; the base class reports it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {describe(key)}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml_text(text: str, *, source: str) -> Any:
    """Parse YAML text with a safe loader; errors become a ScenarioError naming ``source``.

    The loader is ``yaml.SafeLoader`` (no arbitrary objects) that also refuses duplicate keys
    and documents of more than :data:`MAX_YAML_NODES` nodes (alias bombs, huge lists).
    """
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(source, "", f"got {len(text)} characters; want under {MAX_FILE_BYTES}")
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except _TooManyNodes:
        raise ScenarioError(
            source, "", f"got more than {MAX_YAML_NODES} YAML values; want a scenario document"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        # The parser's text may quote the document (a tag thousands of characters long).
        problem = describe_text(str(getattr(exc, "problem", None) or "malformed"))
        raise ScenarioError(source, "", f"not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise ScenarioError(source, "", "YAML nested too deeply") from None
    except Exception as exc:
        # A scalar its constructor cannot build: 2001-02-30, !!int abc, !!timestamp x, an
        # integer of more than 4300 digits, a time zone beyond 24 hours.
        detail = f" ({describe(str(exc))})" if isinstance(exc, ValueError | OverflowError) else ""
        raise ScenarioError(source, "", f"not valid YAML: a value cannot be read{detail}") from None
    if data is None:
        raise ScenarioError(source, "", "got an empty document; want a mapping of sections")
    return data


def _merge(base: dict[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _document(raw: Any, source: str) -> tuple[dict[str, Any], Any, dict[str, str]]:
    """One scenario document checked on its own: its data without ``extends``, the
    ``extends`` value (or None), and ``source`` as the origin of every field it sets."""
    if not isinstance(raw, Mapping):
        raise ScenarioError(source, "", f"got {type(raw).__name__}; want a mapping of sections")
    data = dict(raw)
    if "sweep" in data or "base" in data:
        raise ScenarioError(
            source,
            "sweep" if "sweep" in data else "base",
            "this is a sweep file; want a scenario file",
        )
    parent = data.pop("extends", None)
    check_keys(data, source)
    here = {key: source for key in data}
    for key, value in data.items():
        if key in SECTIONS and isinstance(value, Mapping):
            here.update({f"{key}.{sub}": source for sub in value})
    return data, parent, here


def _resolve(
    path: Path, chain: tuple[Path, ...], within: Path | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Data of a file with its ``extends:`` chain merged in, and the file each field came from.

    ``within``: a folder every file of the chain must resolve into (uploads).
    """
    data, parent, here = _document(read_yaml(path), str(path))
    if parent is None:
        return data, here
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(
            str(path), "extends", f"got {describe(parent)}; want the path of another scenario file"
        )
    try:
        me = path.resolve()
        target = (path.parent / parent).resolve()
        is_file = target.is_file()
    except (OSError, ValueError):  # a NUL character, a name too long for the file system
        raise ScenarioError(
            str(path), "extends", f"got {describe(parent)}; want the path of a scenario file"
        ) from None
    if target in chain or target == me:
        cycle = " -> ".join(p.name for p in (*chain, me, target))
        raise ScenarioError(str(path), "extends", f"got a cycle ({cycle}); want a chain that ends")
    if within is not None and target.parent != within:
        raise ScenarioError(
            str(path), "extends", f"got {describe(parent)}; want a file of {within.name}/"
        )
    if not is_file:
        raise ScenarioError(
            str(path),
            "extends",
            f"got {describe(parent)}; want an existing file "
            f"(no file at {describe_text(target.name)} beside this one)",
        )
    base, origins = _resolve(target, (*chain, me), within)
    return _merge(base, data), {**origins, **here}


def load_scenario(path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load a scenario file, following ``extends:`` and applying dotted overrides.

    Parameters
    ----------
    path
        A YAML scenario file.
    overrides
        Dotted keys to values, applied after ``extends:`` is resolved.

    Raises
    ------
    ScenarioError
        For any bad input: unreadable file, invalid YAML, unknown or out-of-bounds field, a
        failed cross-field check, a missing or cyclic ``extends``.
    """
    data, origins = _resolve(Path(path), ())
    via = f"{path} (--set)"
    for key, value in (overrides or {}).items():
        set_dotted(data, key, value, via)
        origins[key] = via
    return validate_scenario(data, source=str(path), origins=origins)


def scenario_from_text(
    text: str, *, source: str, extends_root: str | Path | None = None
) -> Scenario:
    """A scenario from YAML text (an upload), with ``extends:`` confined to one folder.

    Parameters
    ----------
    text
        The YAML document.
    source
        Its name in error messages (the uploaded file's name).
    extends_root
        The only folder ``extends:`` may name a file of (by bare file name, e.g.
        ``naef-2005.yaml``); None refuses ``extends:`` altogether. An upload can therefore
        never make the server read any other file.

    Raises
    ------
    ScenarioError
        For any bad input, as :func:`load_scenario`.
    """
    data, parent, here = _document(parse_yaml_text(text, source=source), source)
    if parent is None:
        return validate_scenario(data, source=source)
    if extends_root is None:
        raise ScenarioError(
            source, "extends", "got a file to extend; want a self-contained scenario here"
        )
    root = Path(extends_root).resolve()
    # Regular files of the folder itself: a symbolic link that leads elsewhere is not offered.
    allowed = sorted(
        p.name for p in root.glob("*.yaml") if p.is_file() and p.resolve().parent == root
    )
    if not isinstance(parent, str) or parent not in allowed:
        raise ScenarioError(
            source,
            "extends",
            f"got {describe(parent)}; want one of the shipped scenarios ({', '.join(allowed)})",
        )
    base, origins = _resolve(root / parent, (), within=root)
    return validate_scenario(_merge(base, data), source=source, origins={**origins, **here})


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``key=value`` from the command line; the value is read as YAML (``0.05``, ``[1, 2]``).

    Raises
    ------
    ScenarioError
        When there is no ``=`` or the value is not valid YAML.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        what = "no '='" if not sep else "no field name before '='"
        raise ScenarioError("--set", text, f"got {what}; want dotted.key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise ScenarioError(
            "--set", key, f"got {raw!r}; want a number, a word or a [list]"
        ) from None
    return key, value
