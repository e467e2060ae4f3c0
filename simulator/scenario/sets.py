"""Parameter sets: many values of a scenario's float fields, for one vectorized run.

A Sobol analysis evaluates the model at thousands of parameter sets. Rather than one run per
set, :func:`simulator.run.engine.simulate_sets` runs them all at once: every float field that
the model reads path by path may hold one value per path, and the model's formulas broadcast
over it. This module is where such values are checked and typed:

- :class:`ParameterSets`: dotted field -> one value per set, each field one the schema lets
  vary (role ``path`` or ``plan``, kind float; :data:`SET_FIELDS`) or a float field of one of
  the fund's sectors (``mdf.sectors.<name>.<field>``, :data:`SECTOR_SET_FIELDS`), each value
  finite and inside the field's bounds. Anything else is an
  :class:`~simulator.scenario.errors.InputError`.
- :func:`sector_spec`, :func:`sector_value` and :func:`rescaled_shares`: what a field of a
  sector is (its bounds, from the pydantic metadata of :class:`~simulator.scenario.schema.Sector`),
  its value in a scenario, and the shares of every sector when some are varied (the others are
  rescaled so that all still sum to 1). The tornado and the Sobol analysis use them too.
- :class:`PerPath`: a scenario section seen with some of its float fields holding one value
  per path. Model functions declare ``pemex: Pemex | PerPath[Pemex]``: the type says that a
  field may be an array, rather than a pydantic ``float`` field holding one unvalidated.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .errors import InputError, suggest
from .schema import (
    SECTOR_FIELDS,
    SECTOR_SHARE_TOLERANCE,
    FieldSpec,
    Scenario,
    Sector,
    field_specs,
    keys_with,
)

__all__ = [
    "PLAN_FIELDS",
    "SECTOR_PREFIX",
    "SECTOR_SET_FIELDS",
    "SET_FIELDS",
    "FloatArray",
    "ParameterSets",
    "PerPath",
    "bounds_text",
    "outside_bounds",
    "rescaled_shares",
    "sector_spec",
    "sector_value",
]

FloatArray = npt.NDArray[np.float64]

#: Fields that may differ between the parameter sets of one run: the float fields the model
#: reads (role ``path``, or ``plan``: those are computed once per set).
SET_FIELDS: frozenset[str] = frozenset(keys_with(roles=("path", "plan"), kinds=("float",)))
#: The set fields that shape the deterministic part of a run (debt schedule, capacity bought,
#: discount factors), computed once per parameter set.
PLAN_FIELDS: frozenset[str] = frozenset(keys_with(roles=("plan",), kinds=("float",)))

_SOURCE = "parameter sets"

#: Keys of the fields of the fund's sectors begin so: ``mdf.sectors.<name>.<field>``.
SECTOR_PREFIX = "mdf.sectors."
#: The fields every kind of sector reads (each kind reads those of :data:`SECTOR_FIELDS` too).
_COMMON_SECTOR_FIELDS = ("share", "efficiency", "gestation_years", "depreciation_rate")
_UNIT = re.compile(r"\[([^\]]+)\]")


def _bounds_of(annotation: Any, metadata: Sequence[Any]) -> dict[str, float]:
    """``ge``/``gt``/``le``/``lt`` of a field, from its metadata and, for ``X | None``, from
    the metadata of ``X`` (an ``Annotated`` type)."""
    found: list[Any] = list(metadata)
    todo = [annotation]
    while todo:
        ann = todo.pop()
        if typing.get_origin(ann) is Annotated:
            todo.append(typing.get_args(ann)[0])
            found.extend(typing.get_args(ann)[1:])
        else:
            todo.extend(a for a in typing.get_args(ann) if a is not type(None))
    bounds: dict[str, float] = {}
    while found:
        m = found.pop()
        if isinstance(m, FieldInfo):
            found.extend(m.metadata)
        for attr, cls in (("ge", Ge), ("gt", Gt), ("le", Le), ("lt", Lt)):
            if isinstance(m, cls):
                bounds[attr] = float(getattr(m, attr))
    return bounds


def _base_type(annotation: Any) -> Any:
    """``float`` of ``Annotated[float, ...] | None`` (the type under the metadata)."""
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if typing.get_origin(annotation) is not None and len(args) == 1:
            annotation = args[0]
            continue
        return annotation


@functools.cache
def _sector_specs() -> dict[str, FieldSpec]:
    """Field name -> spec of every numeric field of a sector (key ``mdf.sectors.*.<field>``),
    with the bounds its pydantic metadata declares."""
    out: dict[str, FieldSpec] = {}
    for name, info in Sector.model_fields.items():
        base = _base_type(info.annotation)
        if base not in (int, float):
            continue
        unit = _UNIT.search(info.description or "")
        bounds = _bounds_of(info.annotation, info.metadata)
        out[name] = FieldSpec(
            key=f"{SECTOR_PREFIX}*.{name}",
            section="mdf",
            name=name,
            default=info.default,
            description=info.description or "",
            unit=unit.group(1) if unit else "-",
            kind="int" if base is int else "float",
            role="path",
            ge=bounds.get("ge"),
            gt=bounds.get("gt"),
            le=bounds.get("le"),
            lt=bounds.get("lt"),
        )
    return out


#: The float fields of a sector that may differ between parameter sets (and vary in Sobol):
#: ``mdf.sectors.<name>.<field>`` for these names (those its kind reads). The integer fields
#: (``gestation_years``, ``tenor_years``) change the shape of the loops and may not.
SECTOR_SET_FIELDS: tuple[str, ...] = tuple(
    name for name, spec in _sector_specs().items() if spec.kind == "float"
)


def sector_spec(scenario: Scenario, key: str, *, source: str = _SOURCE) -> FieldSpec:
    """The spec of a sector's field, ``mdf.sectors.<name>.<field>``, in ``scenario``.

    Returns
    -------
    FieldSpec
        Key ``key``, section ``mdf``, kind ``float`` or ``int``, role ``path``, unit (from
        the field's description) and the bounds of :class:`~simulator.scenario.schema.Sector`'s
        field (its pydantic metadata).

    Raises
    ------
    InputError
        One line naming ``key``: a key not of that form, a scenario without sectors or no
        sector of that name (with the names), a field a sector does not have (with a
        suggestion), a field that is not a number, or one the sector's kind does not read
        (``loan_rate`` of a capital sector).
    """
    parts = str(key).split(".")
    if len(parts) != 4 or ".".join(parts[:2]) + "." != SECTOR_PREFIX:
        raise InputError(source, str(key), "got a malformed key; want mdf.sectors.<name>.<field>")
    _, _, name, field = parts
    names = [s.name for s in scenario.mdf.sectors]
    if not names:
        raise InputError(
            source, key, "the scenario has no mdf.sectors; want a scenario with sectors"
        )
    if name not in names:
        raise InputError(
            source,
            key,
            f"no sector named {name!r}"
            + suggest(name, names)
            + f" (want one of: {', '.join(names)})",
        )
    specs = _sector_specs()
    if field not in specs:
        if field in Sector.model_fields:
            raise InputError(source, key, f"{field} is not a number; want a numeric field")
        raise InputError(
            source, key, "unknown field of a sector" + suggest(field, list(Sector.model_fields))
        )
    sector = scenario.mdf.sectors[names.index(name)]
    reads = (*_COMMON_SECTOR_FIELDS, *SECTOR_FIELDS[sector.kind])
    if field not in reads:
        raise InputError(
            source,
            key,
            f"a {sector.kind} sector does not read {field}; want one of: {', '.join(reads)}",
        )
    return dataclasses.replace(specs[field], key=key)


def sector_value(scenario: Scenario, key: str) -> Any:
    """The value of ``mdf.sectors.<name>.<field>`` in ``scenario`` (a checked key:
    :func:`sector_spec`)."""
    _, _, name, field = key.split(".")
    sector = next(s for s in scenario.mdf.sectors if s.name == name)
    return getattr(sector, field)


def _share_key(name: str) -> str:
    return f"{SECTOR_PREFIX}{name}.share"


def rescaled_shares(
    scenario: Scenario, varied: Mapping[str, Any], *, source: str = _SOURCE
) -> dict[str, Any]:
    """The share of every sector when the shares of some are set: the others are rescaled so
    that all still sum to 1.

    The rule: the sectors whose share is set keep the value set; the others share the rest,
    ``1 - sum of the shares set``, in proportion to their shares in the scenario. With one
    share ``s_k`` set to ``s_k'``, every other sector's is

        ``s_j' = s_j (1 - s_k') / sum_{i != k} s_i``,

    that is ``s_j (1 - s_k') / (1 - s_k)`` as the scenario's shares sum to 1 (the sum of the
    others is used, so the new shares sum to 1 to rounding). If the others all had share 0,
    they split the rest equally. When every sector's share is set, the shares set must
    themselves sum to 1.

    Parameters
    ----------
    scenario
        The scenario, with ``mdf.sectors``.
    varied
        Key ``mdf.sectors.<name>.share`` -> its value, a number or an array (one value per
        parameter set or path; arrays of one shape). Keys already checked
        (:func:`sector_spec`) and values inside [0, 1].
    source
        Where the values come from, for error messages.

    Returns
    -------
    dict
        ``mdf.sectors.<name>.share`` of every sector, in the order of the sectors -> its value
        (a float for numbers, else a float64 array of the values' shape).

    Raises
    ------
    InputError
        Shares set that sum to more than 1 (or, when all are set, to other than 1), naming the
        first set (index of the arrays) where they do.
    """
    sectors = scenario.mdf.sectors
    arrays = {k: np.asarray(v, dtype=float) for k, v in varied.items()}
    scalar = all(a.ndim == 0 for a in arrays.values())
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    total_set = np.zeros(shape)
    for sector in sectors:  # the order of the sectors, whatever the order of ``varied``
        key = _share_key(sector.name)
        if key in arrays:
            total_set = total_set + arrays[key]
    rest = 1.0 - total_set
    others = [s for s in sectors if _share_key(s.name) not in arrays]
    keys = ", ".join(k for k in (_share_key(s.name) for s in sectors) if k in arrays)
    tol = SECTOR_SHARE_TOLERANCE
    bad = np.abs(rest) > tol if not others else rest < -tol
    if np.any(bad):
        i = int(np.argmax(np.ravel(bad)))
        where = "" if scalar else f" in set {i}"
        got = float(np.ravel(total_set)[i])
        want = (
            "shares summing to 1 (every sector's share is set, so none takes the rest)"
            if not others
            else "at most 1 (the other sectors share the rest)"
        )
        raise InputError(source, keys, f"got shares summing to {got:.6g}{where}; want {want}")
    rest = np.maximum(rest, 0.0)
    out: dict[str, Any] = {}
    base_total = math.fsum(s.share for s in others)
    for sector in sectors:
        key = _share_key(sector.name)
        if key in arrays:
            value = arrays[key]
        elif base_total > 0.0:
            value = sector.share * rest / base_total
        else:
            value = rest / len(others)
        out[key] = float(value) if scalar else np.broadcast_to(value, shape).astype(float)
    return out


SectionT = TypeVar("SectionT", bound=BaseModel)


def bounds_text(spec: FieldSpec) -> str:
    """The bounds of a field as text: ``>= 0 and <= 1``."""
    parts = [
        f"{op} {bound:g}"
        for op, bound in ((">=", spec.ge), (">", spec.gt), ("<=", spec.le), ("<", spec.lt))
        if bound is not None
    ]
    return " and ".join(parts) if parts else "(no bounds)"


def outside_bounds(arr: FloatArray, spec: FieldSpec) -> npt.NDArray[np.bool_]:
    """Where ``arr`` is not finite or breaks a bound of ``spec``."""
    bad = ~np.isfinite(arr)
    for bound, outside in (
        (spec.ge, np.less),
        (spec.gt, np.less_equal),
        (spec.le, np.greater),
        (spec.lt, np.greater_equal),
    ):
        if bound is not None:
            bad |= outside(arr, bound)
    return bad


@dataclass(frozen=True)
class ParameterSets:
    """Values of float model fields, one per parameter set, checked against the schema.

    Build it with :meth:`check`.

    Attributes
    ----------
    values
        Dotted field -> its value in each set, float64 arrays of shape (size,), read-only, in
        the field's own unit.
    size
        Number of parameter sets.
    """

    values: Mapping[str, FloatArray]
    size: int

    @classmethod
    def check(
        cls,
        values: Mapping[str, Sequence[float] | FloatArray],
        scenario: Scenario | None = None,
    ) -> ParameterSets:
        """Parameter values as float arrays of one length, each inside its field's bounds.

        Parameters
        ----------
        values
            Dotted field -> one value per set: a field of :data:`SET_FIELDS`, or a float field
            of one of ``scenario``'s sectors, ``mdf.sectors.<name>.<field>`` (a field its kind
            reads; :data:`SECTOR_SET_FIELDS`).
        scenario
            The scenario the sets vary; needed for the fields of sectors.

        Returns
        -------
        ParameterSets
            When the ``share`` of a sector varies, :attr:`values` holds the share of **every**
            sector of the scenario, the others rescaled so that the shares of each set sum to
            1 (:func:`rescaled_shares`).

        Raises
        ------
        InputError
            For a field that cannot vary between sets (with the reason), values that are not
            numbers, not one-dimensional or of unequal length, a value that is not finite or
            breaks a bound of its field (naming the set), or shares of sectors that leave the
            others less than nothing (naming the set).
        """
        specs = {s.key: s for s in field_specs()}
        out: dict[str, FloatArray] = {}
        size = -1
        for key, raw in values.items():
            if isinstance(key, str) and key.startswith(SECTOR_PREFIX):
                if scenario is None:
                    raise InputError(
                        _SOURCE, key, "is a field of a sector; want the scenario to check it"
                    )
                spec = sector_spec(scenario, key)
                if spec.kind != "float":
                    raise InputError(
                        _SOURCE,
                        key,
                        f"cannot differ between sets (it is an {spec.kind} field of the sector); "
                        "want a float field",
                    )
            elif key not in SET_FIELDS:
                known = specs.get(str(key))
                why = (
                    f"it is a {known.kind} field with role {known.role}"
                    if known is not None
                    else "it is not a field"
                )
                raise InputError(
                    _SOURCE,
                    str(key),
                    f"cannot differ between sets ({why}); want a float field of the model "
                    "(role path or plan)",
                )
            else:
                spec = specs[key]
            try:
                arr = np.array(raw, dtype=float)
            except (TypeError, ValueError):
                raise InputError(_SOURCE, key, f"got {raw!r}; want numbers, one per set") from None
            if arr.ndim != 1 or arr.size == 0:
                raise InputError(_SOURCE, key, f"got shape {arr.shape}; want one value per set")
            if size >= 0 and arr.size != size:
                raise InputError(
                    _SOURCE, key, f"got {arr.size} values; want {size} like the others"
                )
            size = arr.size
            bad = outside_bounds(arr, spec)
            if bad.any():
                i = int(np.argmax(bad))
                raise InputError(
                    _SOURCE,
                    key,
                    f"got {float(arr[i])!r} in set {i}; want a finite value {bounds_text(spec)}",
                )
            arr.flags.writeable = False
            out[key] = arr
        if not out:
            raise InputError(_SOURCE, "", "got no parameters; want at least one")
        shares = {
            k: v for k, v in out.items() if k.startswith(SECTOR_PREFIX) and k.endswith(".share")
        }
        if shares:
            assert scenario is not None
            for key, arr in rescaled_shares(scenario, shares).items():
                arr.flags.writeable = False
                out[key] = arr
        return cls(values=out, size=size)

    @property
    def plan_keys(self) -> tuple[str, ...]:
        """The fields varied that shape the plan (:data:`PLAN_FIELDS`)."""
        return tuple(k for k in self.values if k in PLAN_FIELDS)


class PerPath(Generic[SectionT]):
    """A scenario section whose varied float fields hold one value per path.

    ``PerPath(pemex, {"opex_usd_per_boe": arr})`` reads like the section, except that
    ``opex_usd_per_boe`` is ``arr`` (shape (paths,)). The values were checked against the
    schema by :class:`ParameterSets`.
    """

    __slots__ = ("_section", "_values")

    def __init__(self, section: SectionT, values: Mapping[str, FloatArray]) -> None:
        self._section = section
        self._values = dict(values)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        return getattr(object.__getattribute__(self, "_section"), name)

    def varied(self, key: str, default: Any) -> Any:
        """The per-path values of ``key`` (a nested field such as ``sectors.<name>.<field>``),
        or ``default`` when it is not varied."""
        return object.__getattribute__(self, "_values").get(key, default)

    def __repr__(self) -> str:
        return f"PerPath({self._section!r}, varied={sorted(self._values)})"
