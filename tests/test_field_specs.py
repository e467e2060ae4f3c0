"""The scenario model's metadata, from which the app builds its editor."""

from __future__ import annotations

import simulator
from simulator.scenario import SECTIONS, Scenario


def test_every_field_has_unit_description_default_and_bounds() -> None:
    specs = simulator.field_specs()
    keys = {s.key for s in specs}
    expected = {f"{sec}.{name}" for sec, model in SECTIONS.items() for name in model.model_fields}
    assert keys == expected
    defaults = Scenario()
    for s in specs:
        assert s.description.strip(), s.key
        assert s.unit.strip(), s.key
        section = getattr(defaults, s.section)
        assert getattr(section, s.name) == s.default, s.key
        if s.kind in ("int", "float"):
            assert s.ge is not None or s.gt is not None, f"{s.key} has no lower bound"
            assert s.le is not None or s.lt is not None, f"{s.key} has no upper bound"
            low = s.ge if s.ge is not None else s.gt
            high = s.le if s.le is not None else s.lt
            assert low is not None and high is not None and low <= s.default <= high, s.key
        if s.kind == "choice":
            assert s.default in s.choices, s.key


def test_money_fields_carry_their_unit_in_the_name() -> None:
    for s in simulator.field_specs():
        if s.unit.startswith("USD bn"):
            assert "_usd_bn" in s.name, s.key
        if s.unit == "USD/bbl":
            assert s.name.endswith("_usd_per_bbl"), s.key
