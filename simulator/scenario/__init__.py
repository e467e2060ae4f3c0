"""The scenario layer: what a user can set, how it is checked, and how files are read.

- :mod:`.schema`: one frozen pydantic model per section; every field with its default, unit,
  bounds, description and role; :func:`~.schema.field_specs` lists them for editors.
- :mod:`.files`: YAML files and uploads, ``extends:`` chains, ``--set`` overrides.
- :mod:`.errors`: :class:`InputError`, the base of every refused input, and
  :class:`ScenarioError`, a scenario that is not valid.

Nothing here imports the model or anything above it.
"""

from __future__ import annotations

from .errors import InputError, ScenarioError
from .files import load_scenario, parse_override, parse_yaml_text, read_yaml, scenario_from_text
from .schema import (
    MAX_SEED,
    ROLES,
    SECTION_TITLES,
    SECTIONS,
    TOP_FIELDS,
    FieldSpec,
    Fiscal,
    Horizon,
    Mdf,
    Naef,
    OilPrice,
    Pemex,
    Reporting,
    Role,
    Scenario,
    Sensitivity,
    Simulation,
    Waterfall,
    field_specs,
    iter_fields,
    keys_with,
    validate_scenario,
)

__all__ = [
    "MAX_SEED",
    "ROLES",
    "SECTIONS",
    "SECTION_TITLES",
    "TOP_FIELDS",
    "FieldSpec",
    "Fiscal",
    "Horizon",
    "InputError",
    "Mdf",
    "Naef",
    "OilPrice",
    "Pemex",
    "Reporting",
    "Role",
    "Scenario",
    "ScenarioError",
    "Sensitivity",
    "Simulation",
    "Waterfall",
    "field_specs",
    "iter_fields",
    "keys_with",
    "load_scenario",
    "parse_override",
    "parse_yaml_text",
    "read_yaml",
    "scenario_from_text",
    "validate_scenario",
]
