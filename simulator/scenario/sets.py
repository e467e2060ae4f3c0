"""Parameter sets: many values of a scenario's float fields, for one vectorized run.

A Sobol analysis evaluates the model at thousands of parameter sets. Rather than one run per
set, :func:`simulator.run.engine.simulate_sets` runs them all at once: every float field that
the model reads path by path may hold one value per path, and the model's formulas broadcast
over it. This module is where such values are checked and typed:

- :class:`ParameterSets`: dotted field -> one value per set, each field one the schema lets
  vary (role ``path`` or ``plan``, kind float; :data:`SET_FIELDS`), each value finite and inside
  the field's bounds. Anything else is an :class:`~simulator.scenario.errors.InputError`.
- :class:`PerPath`: a scenario section seen with some of its float fields holding one value
  per path. Model functions declare ``pemex: Pemex | PerPath[Pemex]``: the type says that a
  field may be an array, rather than a pydantic ``float`` field holding one unvalidated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from .errors import InputError
from .schema import FieldSpec, field_specs, keys_with

__all__ = ["PLAN_FIELDS", "SET_FIELDS", "FloatArray", "ParameterSets", "PerPath"]

FloatArray = npt.NDArray[np.float64]

#: Fields that may differ between the parameter sets of one run: the float fields the model
#: reads (role ``path``, or ``plan``: those are computed once per set).
SET_FIELDS: frozenset[str] = frozenset(keys_with(roles=("path", "plan"), kinds=("float",)))
#: The set fields that shape the deterministic part of a run (debt schedule, capacity bought,
#: discount factors), computed once per parameter set.
PLAN_FIELDS: frozenset[str] = frozenset(keys_with(roles=("plan",), kinds=("float",)))

_SOURCE = "parameter sets"

SectionT = TypeVar("SectionT", bound=BaseModel)


def _bounds_text(spec: FieldSpec) -> str:
    parts = [
        f"{op} {bound:g}"
        for op, bound in ((">=", spec.ge), (">", spec.gt), ("<=", spec.le), ("<", spec.lt))
        if bound is not None
    ]
    return " and ".join(parts) if parts else "(no bounds)"


def _outside(arr: FloatArray, spec: FieldSpec) -> npt.NDArray[np.bool_]:
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
    def check(cls, values: Mapping[str, Sequence[float] | FloatArray]) -> ParameterSets:
        """Parameter values as float arrays of one length, each inside its field's bounds.

        Raises
        ------
        InputError
            For a field that cannot vary between sets (with the reason), values that are not
            numbers, not one-dimensional or of unequal length, or a value that is not finite or
            breaks a bound of its field (naming the set).
        """
        specs = {s.key: s for s in field_specs()}
        out: dict[str, FloatArray] = {}
        size = -1
        for key, raw in values.items():
            if key not in SET_FIELDS:
                spec = specs.get(str(key))
                why = (
                    f"it is a {spec.kind} field with role {spec.role}"
                    if spec is not None
                    else "it is not a field"
                )
                raise InputError(
                    _SOURCE,
                    str(key),
                    f"cannot differ between sets ({why}); want a float field of the model "
                    "(role path or plan)",
                )
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
            spec = specs[key]
            bad = _outside(arr, spec)
            if bad.any():
                i = int(np.argmax(bad))
                raise InputError(
                    _SOURCE,
                    key,
                    f"got {float(arr[i])!r} in set {i}; want a finite value {_bounds_text(spec)}",
                )
            arr.flags.writeable = False
            out[key] = arr
        if not out:
            raise InputError(_SOURCE, "", "got no parameters; want at least one")
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
