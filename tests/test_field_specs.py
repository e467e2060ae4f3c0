"""The scenario schema's metadata: what the app builds its editor from, and each field's role."""

from __future__ import annotations

import pandas as pd
import pytest

import simulator
from simulator.model.chain import Plan
from simulator.scenario import ROLES, SECTIONS, FieldSpec, Scenario
from simulator.scenario.sets import PLAN_FIELDS, SET_FIELDS


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
        if s.optional:  # null takes the value of another field, of the same kind
            assert s.derived_from in keys, s.key
            derived = next(d for d in specs if d.key == s.derived_from)
            assert derived.kind == s.kind, s.key
        if s.kind in ("int", "float") and s.default is not None:
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


# ---------------------------------------------------------------------------- roles


def test_every_field_declares_its_role() -> None:
    for s in simulator.field_specs():
        assert s.role in ROLES, s.key
    assert {
        s.key for s in simulator.field_specs() if s.kind == "float" and s.role in ("path", "plan")
    } == SET_FIELDS
    assert PLAN_FIELDS <= SET_FIELDS


def _another_value(spec: FieldSpec) -> object:
    """A valid value of the field other than its default."""
    if spec.kind == "choice":
        return next(c for c in spec.choices if c != spec.default)
    if spec.kind == "list":
        return [40.0, 50.0, 60.0]
    if spec.key == "mdf.sectors":  # all to one capital sector with a 3-year gestation
        return [
            {
                "name": "roads",
                "share": 1.0,
                "gestation_years": 3,
                "output_elasticity": 0.1,
                "baseline_capital_to_gdp": 0.5,
            }
        ]
    if spec.kind == "table":  # fiscal regimes: a 10% royalty from the first year
        return [{"from_year": 2006, "duties": [{"name": "royalty", "rate": 0.1}]}]
    if spec.kind == "bool":
        return not spec.default
    low = spec.ge if spec.ge is not None else spec.gt
    high = spec.le if spec.le is not None else spec.lt
    assert low is not None and high is not None
    default = Scenario().value(spec.key, resolved=True)  # a null's value
    value = default + 0.5 * (high - default)
    return int(value) if spec.kind == "int" and int(value) != default else value


@pytest.mark.parametrize(
    "spec", [s for s in simulator.field_specs() if s.role != "draws"], ids=lambda s: s.key
)
def test_a_field_that_is_not_a_draws_field_keeps_the_draws(spec: FieldSpec) -> None:
    """Common random numbers hold across every field but the draws fields: the number of draws
    a path takes does not move (and each draw keeps its meaning: row 0 overrun, row 1 reservoir,
    row 1 + t the price step t, whatever the value)."""
    # Without reserves funded from the proceeds, so that a high coupon or reserve target
    # still leaves capex (the reserve fields are given other values on the baseline).
    base = Scenario().with_overrides(
        {"naef.grace_years": 4}
        if spec.key in ("naef.capitalized_interest_years", "waterfall.dsra_funded_at_close")
        else {
            "naef.grace_years": 4,
            "naef.capitalized_interest_years": 0,
            "waterfall.dsra_funded_at_close": False,
        }
    )
    if spec.key in ("naef.tenor_years", "horizon.start_year"):
        value: object = spec.default + 3
    elif spec.key == "naef.capitalized_interest_years" or spec.key == "naef.grace_years":
        value = 2
    elif spec.key == "oil_price.deck_usd_per_bbl":
        base = base.with_overrides({"oil_price.model": "deck", spec.key: [30.0]})
        value = [40.0, 50.0]
    elif spec.key == "oil_price.history_usd_per_bbl":
        value = [20.0, 30.0, 25.0, 40.0, 50.0]
    else:
        value = _another_value(spec)
    other = base.with_overrides({spec.key: value})
    assert Plan.build(other).n_draws == Plan.build(base).n_draws


@pytest.mark.parametrize(
    ("base", "key", "value"),
    [
        ({}, "horizon.years", 30),
        ({}, "oil_price.model", "two_factor"),
        ({"oil_price.model": "bootstrap"}, "oil_price.bootstrap_block_years", 5),
    ],
)
def test_each_draws_field_changes_the_draws(
    base: dict[str, object], key: str, value: object
) -> None:
    sc = Scenario().with_overrides(base)
    assert {s.key: s.role for s in simulator.field_specs()}[key] == "draws"
    assert Plan.build(sc.with_overrides({key: value})).n_draws != Plan.build(sc).n_draws


def test_setup_fields_change_no_model_number() -> None:
    """The calendar and the percentiles relabel and summarize; the paths' numbers stay."""
    base = Scenario().with_overrides({"oil_price.long_run_usd_per_bbl": 30.0})
    moved = base.with_overrides(
        {"horizon.start_year": 2010, "reporting.percentiles": [10.0, 50.0, 90.0]}
    )
    a = simulator.simulate(base, paths=300, seed=8).metrics
    b = simulator.simulate(moved, paths=300, seed=8).metrics
    assert a["distress"].any() and a["default"].any()
    years = ["first_shortfall_year", "first_default_year"]
    for name in years:
        pd.testing.assert_series_equal(b[name] - 4, a[name], check_exact=True)
    pd.testing.assert_frame_equal(a.drop(columns=years), b.drop(columns=years), check_exact=True)
