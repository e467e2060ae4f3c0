"""One-at-a-time (tornado) sensitivity analysis on common random numbers.

Each parameter is moved, alone, to a low and a high value while every other field keeps the
scenario's value; the scenario is run at each of the two values and once at its own values, all
with the same number of paths and the same seed. Because the engine gives path ``i`` the same
capex overrun, reservoir factor and price shocks in every run (DESIGN.md section 7), the change of
an output between two runs is the effect of the parameter, not Monte Carlo noise: a parameter
that does not enter an output moves it by exactly zero, and a small effect is not drowned by the
sampling error of the two runs.

Which parameters may be varied. Only numeric fields (``int`` or ``float`` in
:func:`simulator.scenario.field_specs`) of the model sections, and the numeric fields of the
Development Fund's sectors, ``mdf.sectors.<name>.<field>`` (a field the sector's kind reads,
with the bounds :class:`~simulator.scenario.schema.Sector` declares; see
:func:`simulator.scenario.sets.sector_spec`). The ``horizon`` and
``simulation`` sections are refused: the horizon length changes the number of draws of every
path, the start year relabels the years, and paths and seed are the Monte Carlo set-up, not an
assumption. A parameter whose change would reinterpret the draws (the bootstrap block length, see
:func:`simulator.analysis.check_aligned`) is refused too, since its "effect" would mix the
parameter with a fresh sample.

Shares of sectors. Moving the ``share`` of one sector rescales the shares of the others in
proportion, so that all still sum to 1: ``s_j' = s_j (1 - s_k') / (1 - s_k)`` (if the others all
had share 0, they split the rest equally; :func:`simulator.scenario.sets.rescaled_shares`). The
tornado runs the scenario with every rescaled share; the Sobol analysis does the same per
parameter set. Several shares varied together (Sobol) keep their values and the other sectors
share the rest in proportion; their ranges must leave the others something (highs summing to at
most 1), and at least one sector's share must be left to take the rest.

Ranges. By default each parameter spans +-25 % of the scenario's value (see
:func:`default_range`), a field of a sector as any other field (clipped to the bounds of the
sector's field: a share stays in [0, 1]); ``ranges`` overrides that per parameter. Each variant is
validated as a whole scenario before anything is simulated, and a variant that breaks a bound or
a cross-field check raises :class:`~simulator.scenario.InputError` naming the parameter and the
end.

Outputs. A headline figure (:meth:`Results.headline`), or a per-path metric by name
(:data:`simulator.outputs.METRICS`), taken as its median over the paths (for a flag: the share
of paths where it is set; :func:`output_statistic`). The fund's sectors act after the waterfall
and move no headline figure; their effect shows in metrics such as ``gdp_uplift_pv_usd_bn``.

Everything here is pure: no file I/O, no printing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..model.metrics import row_statistic
from ..outputs import FLAGS, HEADLINE, METRICS, OUTPUTS, SERIES
from ..run.engine import simulate, simulate_sets
from ..run.results import Results
from ..scenario import SECTIONS, FieldSpec, InputError, Scenario, field_specs
from ..scenario.errors import suggest
from ..scenario.schema import Sector
from ..scenario.sets import (
    SECTOR_PREFIX,
    SET_FIELDS,
    bounds_text,
    outside_bounds,
    rescaled_shares,
    sector_spec,
    sector_value,
)
from .compare import check_aligned

__all__ = [
    "DEFAULT_BASE_SAMPLES",
    "DEFAULT_OUTPUTS",
    "DEFAULT_PARAMETERS",
    "DEFAULT_PATHS_PER_SAMPLE",
    "RELATIVE_STEP",
    "SECTOR_KEY_FIELDS",
    "SET_OUTPUTS",
    "SOBOL_COLUMNS",
    "TABLE_COLUMNS",
    "ZERO_STEP_OF_SPAN",
    "Sobol",
    "Tornado",
    "default_parameters",
    "default_range",
    "output_statistic",
    "set_statistic",
    "sobol",
    "sobol_indices",
    "tornado",
    "yearly_sensitivity",
]

#: Dotted fields varied by default: the price level, its volatility and the export discount,
#: the cost of the debt, what the capex buys and how long it lasts, the lifting cost, the
#: government's take and how much of the MDF's money becomes capital (a scenario with
#: ``mdf.sectors`` varies its sectors instead: :func:`default_parameters`).
DEFAULT_PARAMETERS: tuple[str, ...] = (
    "oil_price.long_run_usd_per_bbl",
    "oil_price.volatility",
    "oil_price.realized_price_factor",
    "naef.coupon_rate",
    "pemex.capex_usd_per_flowing_bpd",
    "pemex.decline_rate",
    "pemex.lag_years",
    "pemex.opex_usd_per_boe",
    "fiscal.profit_duty_rate",
    "mdf.efficiency",
)

#: The flat fiscal rates, left out of the default parameters of a scenario with regimes.
_FLAT_FISCAL_RATES = ("fiscal.royalty_rate", "fiscal.profit_duty_rate")

#: Fields of the single stock of the fund, which a list of sectors replaces (they have no
#: effect then): left out of the default parameters of a scenario with ``mdf.sectors``.
_SINGLE_STOCK = (
    "mdf.efficiency",
    "mdf.depreciation_rate",
    "mdf.output_elasticity",
    "mdf.public_capital_to_gdp",
)

#: The field of each kind of sector varied by default besides its share: what turns its
#: capital into output (the output elasticity of a capital or lending sector, the Mincer
#: return of a schooling sector).
SECTOR_KEY_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "capital": "output_elasticity",
        "schooling": "returns_to_schooling",
        "lending": "output_elasticity",
    }
)


def _settable(scenario: Scenario, keys: list[str]) -> list[str]:
    """Default parameters the scenario can take: a scenario with fiscal regimes refuses the
    flat rates its duties replace."""
    if scenario.fiscal.regimes:
        return [k for k in keys if k not in _FLAT_FISCAL_RATES]
    return keys


def default_parameters(scenario: Scenario, *, continuous: bool = False) -> tuple[str, ...]:
    """The parameters varied when none are given (nor a ``sensitivity`` block).

    Parameters
    ----------
    scenario
        The scenario analysed.
    continuous
        Only parameters a Sobol analysis can take (float fields).

    Returns
    -------
    tuple of str
        :data:`DEFAULT_PARAMETERS` without what the scenario cannot take or does not read:
        a scenario with fiscal regimes leaves out the flat rates. A scenario with
        ``mdf.sectors`` leaves out the fields of the single stock (``mdf.efficiency``,
        ``mdf.depreciation_rate``, ``mdf.output_elasticity``, ``mdf.public_capital_to_gdp``)
        and varies its sectors instead, in their order: the key field of each sector
        (:data:`SECTOR_KEY_FIELDS`) and shares. The tornado (one parameter at a time) varies the
        share of every sector; a Sobol analysis (``continuous``), which moves all parameters
        together, varies the share of the largest sector only (the first of the largest), the
        others rescaled in proportion, so that every parameter set is a valid split. A fund of
        one sector has no share to vary (it must be 1).
    """
    keys = list(DEFAULT_PARAMETERS)
    sectors = scenario.mdf.sectors
    if sectors:
        keys = [k for k in keys if k not in _SINGLE_STOCK]
        largest = max(sectors, key=lambda sector: sector.share).name
        for sector in sectors:
            prefix = f"{SECTOR_PREFIX}{sector.name}."
            if len(sectors) > 1 and (not continuous or sector.name == largest):
                keys.append(prefix + "share")
            keys.append(prefix + SECTOR_KEY_FIELDS[sector.kind])
    if continuous:
        keys = [k for k in keys if _is_sector(k) or k in SET_FIELDS]
    return tuple(_settable(scenario, keys))


#: Outputs of :func:`tornado` by default (keys of :meth:`Results.headline`).
DEFAULT_OUTPUTS: tuple[str, ...] = ("mdf_inflow_pv_p50", "prob_default", "prob_standalone_default")

#: Half-width of a default range as a fraction of the scenario's value [-].
RELATIVE_STEP = 0.25
#: Half-width of a default range of a float field whose value is 0, as a fraction of the span
#: of the field's bounds [-].
ZERO_STEP_OF_SPAN = 0.10
#: A value clipped to a strict bound (``gt``/``lt``) is put this fraction of the way from the
#: bound back to the scenario's value [-], so it lies strictly inside.
_STRICT_NUDGE = 1e-3

#: Columns of :meth:`Tornado.table`.
TABLE_COLUMNS: tuple[str, ...] = (
    "parameter",
    "low_value",
    "high_value",
    "output",
    "base",
    "at_low",
    "at_high",
    "effect_low",
    "effect_high",
    "swing",
)

_STATISTICS = ("median", "mean")


# ---------------------------------------------------------------------------- parameters


def _numeric_specs() -> dict[str, FieldSpec]:
    """Specs of the fields that may be varied, by dotted key: the numeric model inputs (role
    ``path`` or ``plan``, :data:`simulator.scenario.ROLES`)."""
    return {
        s.key: s for s in field_specs() if s.kind in ("int", "float") and s.role in ("path", "plan")
    }


def _is_sector(key: Any) -> bool:
    """Whether ``key`` is meant as a field of a sector, ``mdf.sectors.<name>.<field>``."""
    return isinstance(key, str) and key.startswith(SECTOR_PREFIX)


def _value(scenario: Scenario, key: str) -> Any:
    """The scenario's value of a checked parameter (a null field: the value it takes)."""
    if _is_sector(key):
        return sector_value(scenario, key)
    return scenario.value(key, resolved=True)


def _spec(key: Any, scenario: Scenario) -> FieldSpec:
    """The spec of a variable parameter, or a InputError naming it (with a suggestion)."""
    specs = _numeric_specs()
    if not isinstance(key, str):
        raise InputError("sensitivity", str(key), "got a non-text parameter; want a dotted key")
    if _is_sector(key):
        return sector_spec(scenario, key, source="sensitivity")
    if key in specs:
        return specs[key]
    every = {s.key: s for s in field_specs()}
    if key in every:
        spec = every[key]
        if spec.role in ("draws", "setup"):
            why = (
                "it sets up the Monte Carlo run (or the draws of every path), so it cannot be "
                "varied on common random numbers"
            )
        else:
            why = f"it is a {spec.kind} field"
        raise InputError(
            "sensitivity", key, f"cannot be varied: {why}; want a numeric model parameter"
        )
    raise InputError("sensitivity", key, "unknown parameter" + suggest(key, list(specs)))


def _declared_range(spec: FieldSpec) -> tuple[Any, Any] | None:
    """A ``sensitivity`` range declared with the field (``json_schema_extra``), if any."""
    declared = getattr(spec, "sensitivity", None)
    if declared is None:
        model = Sector if _is_sector(spec.key) else SECTIONS[spec.section]
        info = model.model_fields[spec.name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        declared = extra.get("sensitivity")
    if declared is None:
        return None
    if (
        isinstance(declared, str | bytes)
        or not isinstance(declared, Sequence)
        or len(declared) != 2
    ):
        raise InputError("sensitivity", spec.key, f"declares range {declared!r}; want (low, high)")
    return declared[0], declared[1]


def _lower(spec: FieldSpec) -> float | None:
    return spec.ge if spec.ge is not None else spec.gt


def _upper(spec: FieldSpec) -> float | None:
    return spec.le if spec.le is not None else spec.lt


def _clip_float(x: float, value: float, spec: FieldSpec) -> float:
    """``x`` inside the bounds of ``spec``; a strict bound is not reached (``value`` is inside)."""
    if spec.ge is not None and x < spec.ge:
        x = spec.ge
    if spec.le is not None and x > spec.le:
        x = spec.le
    for bound, below in ((spec.gt, True), (spec.lt, False)):
        if bound is None:
            continue
        outside = x <= bound if below else x >= bound
        if outside:
            x = bound + (value - bound) * _STRICT_NUDGE
            inside = x > bound if below else x < bound
            if not inside:
                x = math.nextafter(bound, value)
    return float(x)


def _clip_int(x: int, spec: FieldSpec) -> int:
    """``x`` inside the bounds of ``spec``, as an integer."""
    if spec.ge is not None:
        x = max(x, math.ceil(spec.ge))
    if spec.gt is not None:
        x = max(x, math.floor(spec.gt) + 1)
    if spec.le is not None:
        x = min(x, math.floor(spec.le))
    if spec.lt is not None:
        x = min(x, math.ceil(spec.lt) - 1)
    return int(x)


def default_range(scenario: Scenario, key: str) -> tuple[float, float]:
    """The default low and high value of a parameter around the scenario's value.

    Parameters
    ----------
    scenario
        The scenario whose value is the centre.
    key
        Dotted field name (``"naef.coupon_rate"``); a numeric field of a model section, or of
        one of the scenario's sectors (``"mdf.sectors.transport.share"``).

    Returns
    -------
    low, high
        In the field's own unit (its ``unit`` in :func:`simulator.scenario.field_specs`):
        ``int`` for integer fields, ``float`` otherwise, with ``low <= value <= high``.

        - A range declared with the field (a ``sensitivity`` pair in the field's
          ``json_schema_extra``, next to its ``unit``) is returned as declared. No field of
          :mod:`simulator.scenario` declares one yet; the hook lets a field carry a range
          from the literature without changing this module.
        - Float fields: ``value * (1 -+ 0.25)`` (for a negative value, ``value -+ 0.25 |value|``).
        - Float fields whose value is 0 (where +-25 % would be no range at all):
          ``0 -+ 0.10 x`` the span of the field's bounds (``upper - lower``; 0.10 if a bound
          is missing). Clipped to the bounds, a field bounded below by 0 therefore gets
          ``(0, 0.1 x span)``: e.g. ``fiscal.profit_duty_rate`` 0 -> ``(0.0, 0.1)``; a field
          that may be negative is moved both ways (``oil_price.drift_per_year`` 0, bounds
          -1..1 -> ``(-0.2, 0.2)``), since its low side is as plausible as its high side.
        - Integer fields: ``value -+ max(1, round(0.25 |value|))`` (``pemex.lag_years`` 3 ->
          ``(2, 4)``; ``naef.tenor_years`` 20 -> ``(15, 25)``).

        A field of a sector follows the same rules, with the bounds of
        :class:`~simulator.scenario.schema.Sector`'s field: ``mdf.sectors.transport.share``
        0.35 -> ``(0.2625, 0.4375)``; a share of 1 -> ``(0.75, 1.0)``;
        ``mdf.sectors.transport.gestation_years`` 3 -> ``(2, 4)``. (Moving a share rescales
        the other sectors' shares: :func:`simulator.scenario.sets.rescaled_shares`.)

        Every range is clipped to the field's bounds. A strict bound (``gt``/``lt``) is never
        reached: a value clipped to it is moved 0.1 % of the way back towards the scenario's
        value, so the variant is valid. The range is not checked against the other fields
        (:func:`tornado` validates each variant as a whole).

    Raises
    ------
    InputError
        For an unknown field (with the nearest valid name), a non-numeric field, a field of
        the ``horizon`` or ``simulation`` sections, or a field of a sector the scenario does
        not have or whose kind does not read it.
    """
    spec = _spec(key, scenario)
    declared = _declared_range(spec)
    if declared is not None:
        return declared
    value = _value(scenario, key)
    if spec.kind == "int":
        half = max(1, math.floor(RELATIVE_STEP * abs(value) + 0.5))
        return _clip_int(value - half, spec), _clip_int(value + half, spec)
    value = float(value)
    if value == 0.0:
        lo, hi = _lower(spec), _upper(spec)
        span = hi - lo if lo is not None and hi is not None else 1.0
        step = ZERO_STEP_OF_SPAN * span
    else:
        step = RELATIVE_STEP * abs(value)
    return _clip_float(value - step, value, spec), _clip_float(value + step, value, spec)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(
        x, bool | np.bool_
    )


def _resolve(
    scenario: Scenario,
    parameters: Sequence[str] | None,
    ranges: Mapping[str, Sequence[float]] | None,
) -> dict[str, tuple[Any, Any]]:
    """Parameters in order with their (low, high), checked; InputError naming the culprit.

    The scenario's ``sensitivity`` block fills in what the caller leaves out: its parameters
    when ``parameters`` is None, and its ranges of the parameters analysed, under the
    caller's ``ranges``.
    """
    if isinstance(parameters, str):
        raise InputError(
            "sensitivity", "parameters", f"got the text {parameters!r}; want a list of dotted keys"
        )
    block = scenario.sensitivity
    if parameters is None and block.parameters:
        parameters = list(block.parameters)
    declared = {
        k: v for k, v in block.ranges.items() if parameters is None or k in list(parameters)
    }
    ranges = {**declared, **dict(ranges or {})}
    if parameters is None:
        defaults = default_parameters(scenario)
        keys = _settable(scenario, [*defaults, *(k for k in ranges if k not in defaults)])
    else:
        keys = list(parameters)
        for k in ranges:
            if k not in keys:
                raise InputError(
                    "sensitivity",
                    str(k),
                    "got a range for a parameter that is not in parameters"
                    + suggest(str(k), [str(p) for p in keys]),
                )
    if not keys:
        raise InputError("sensitivity", "parameters", "got none; want at least one parameter")
    seen: set[str] = set()
    out: dict[str, tuple[Any, Any]] = {}
    for key in keys:
        spec = _spec(key, scenario)
        if key in seen:
            raise InputError("sensitivity", key, "given twice; want each parameter once")
        seen.add(key)
        if key in ranges:
            pair = ranges[key]
            if (
                isinstance(pair, str | bytes)
                or not isinstance(pair, Sequence)
                or len(pair) != 2
                or not all(_is_number(v) and math.isfinite(v) for v in pair)
            ):
                raise InputError(
                    "sensitivity", key, f"got range {pair!r}; want (low, high), two finite numbers"
                )
            low, high = pair
            if spec.kind == "int":
                if not all(float(v).is_integer() for v in pair):
                    raise InputError("sensitivity", key, f"got range {pair!r}; want two integers")
                low, high = int(low), int(high)
            else:
                low, high = float(low), float(high)
            if not low < high:
                raise InputError(
                    "sensitivity", key, f"got range ({low!r}, {high!r}); want low < high"
                )
            if _is_sector(key) and outside_bounds(np.array([low, high], dtype=float), spec).any():
                raise InputError(
                    "sensitivity",
                    key,
                    f"got range ({low!r}, {high!r}); want values {bounds_text(spec)}",
                )
        else:
            low, high = default_range(scenario, key)
        out[key] = (low, high)
    return out


def _overrides(scenario: Scenario, key: str, value: Any) -> dict[str, Any]:
    """The fields a parameter at ``value`` sets: itself, and for the share of a sector the
    rescaled shares of every other sector (:func:`simulator.scenario.sets.rescaled_shares`)."""
    if _is_sector(key) and key.endswith(".share"):
        return rescaled_shares(scenario, {key: value}, source="sensitivity")
    return {key: value}


def _variants(
    scenario: Scenario, ranges: Mapping[str, tuple[Any, Any]]
) -> dict[str, tuple[Scenario, Scenario]]:
    """The low and high scenario of every parameter, each validated as a whole."""
    out: dict[str, tuple[Scenario, Scenario]] = {}
    for key, (low, high) in ranges.items():
        pair: list[Scenario] = []
        for end, value in (("low", low), ("high", high)):
            try:
                overrides = _overrides(scenario, key, value)
                variant = scenario.with_overrides(overrides, source="sensitivity")
                check_aligned(scenario, variant)
            except InputError as exc:
                raise InputError(
                    "sensitivity",
                    key,
                    f"{end} value {value!r} gives an invalid scenario ({exc})",
                ) from None
            pair.append(variant)
        out[key] = (pair[0], pair[1])
    return out


def _run_attrs(scenario: Scenario, paths: int, seed: int) -> dict[str, Any]:
    """What a chart's subtitle says of the runs behind an analysis."""
    h = scenario.horizon
    return {
        "scenario": scenario.name,
        "years": f"{h.start_year}\u2013{h.start_year + h.years - 1}",
        "paths": paths,
        "seed": seed,
    }


def _run_settings(scenario: Scenario, paths: int | None, seed: int | None) -> tuple[int, int]:
    for name, value in (("paths", paths), ("seed", seed)):
        if value is not None and not (isinstance(value, int | np.integer) and _is_number(value)):
            raise InputError("sensitivity", name, f"got {value!r}; want an integer")
    p = scenario.simulation.paths if paths is None else int(paths)
    s = scenario.simulation.seed if seed is None else int(seed)
    return p, s


# ---------------------------------------------------------------------------- tornado


@dataclass(frozen=True)
class Tornado:
    """Outputs of a scenario with each parameter moved alone to a low and a high value.

    Build it with :func:`tornado`. All runs share the number of paths and the seed (common
    random numbers), so ``at_high - at_low`` is the parameter's effect without Monte Carlo noise
    between the runs (the outputs themselves still carry their sampling error; see
    ``base`` for the standard errors of the base run).

    Attributes
    ----------
    scenario
        The base scenario.
    paths, seed
        Number of paths and seed of every run.
    outputs
        The outputs recorded (keys of :meth:`Results.headline`, or per-path metrics:
        :func:`output_statistic`).
    ranges
        Parameter (dotted key) -> (low value, high value), in the field's unit, in the order of
        the analysis.
    base_values
        Parameter -> its value in the base scenario.
    base
        The full :meth:`Results.headline` of the base run (outputs and their standard errors),
        with the per-path metrics among :attr:`outputs` (:func:`output_statistic`).
    at_low, at_high
        Parameter -> output -> value of the output with the parameter at its low (high) value.
    """

    scenario: Scenario
    paths: int
    seed: int
    outputs: tuple[str, ...]
    ranges: Mapping[str, tuple[Any, Any]]
    base_values: Mapping[str, Any]
    base: Mapping[str, float]
    at_low: Mapping[str, Mapping[str, float]]
    at_high: Mapping[str, Mapping[str, float]]

    @property
    def parameters(self) -> tuple[str, ...]:
        """The parameters varied, in the order of the analysis."""
        return tuple(self.ranges)

    def _check_output(self, output: str) -> None:
        if output not in self.outputs:
            raise InputError(
                "sensitivity",
                str(output),
                "not an output of this analysis"
                + suggest(str(output), self.outputs)
                + f" (want one of: {', '.join(self.outputs)})",
            )

    def table(self) -> pd.DataFrame:
        """Every parameter and output, one row each (tidy).

        Returns
        -------
        pandas.DataFrame
            Columns :data:`TABLE_COLUMNS`, rows by parameter (analysis order) then output:

            ``parameter``
                Dotted key.
            ``low_value``, ``high_value``
                The parameter's two values, in the field's unit (float; :attr:`ranges` keeps
                integers of integer fields).
            ``output``
                Headline key.
            ``base``
                The output in the base run, in the output's unit (USD bn for the MDF PV
                percentiles, a probability [-] for ``prob_*``, DSCR [-], IRR [1/year]).
            ``at_low``, ``at_high``
                The output with the parameter at its low and high value [output unit].
            ``effect_low``, ``effect_high``
                ``at_low - base`` and ``at_high - base`` [output unit].
            ``swing``
                ``|at_high - at_low|`` [output unit]; NaN when an output is NaN.
        """
        rows: list[dict[str, Any]] = []
        for key, (low, high) in self.ranges.items():
            for output in self.outputs:
                base = float(self.base[output])
                lo = float(self.at_low[key][output])
                hi = float(self.at_high[key][output])
                rows.append(
                    {
                        "parameter": key,
                        "low_value": low,
                        "high_value": high,
                        "output": output,
                        "base": base,
                        "at_low": lo,
                        "at_high": hi,
                        "effect_low": lo - base,
                        "effect_high": hi - base,
                        "swing": abs(hi - lo),
                    }
                )
        df = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
        # One float column for integer and float fields alike (integer fields show whole
        # numbers); :attr:`ranges` keeps each value's own type.
        return df.astype({"low_value": float, "high_value": float})

    def ranking(self, output: str) -> pd.DataFrame:
        """The parameters by their swing on one output, largest first.

        Parameters
        ----------
        output
            One of :attr:`outputs`.

        Returns
        -------
        pandas.DataFrame
            Index ``rank`` (1 = largest swing); the columns of :meth:`table` but ``output``.
            Ties keep the analysis order; NaN swings come last. ``attrs`` holds what a chart
            of it needs (:func:`simulator.present.plots.tornado_chart`): ``output``, ``base``,
            ``ranges`` (each parameter's values in its own type), ``scenario``, ``years``,
            ``paths`` and ``seed``.

        Raises
        ------
        InputError
            For an output that was not recorded.
        """
        self._check_output(output)
        t = self.table()
        t = t[t["output"] == output].drop(columns="output")
        t = t.sort_values("swing", ascending=False, kind="stable", na_position="last")
        t.index = pd.RangeIndex(1, len(t) + 1, name="rank")
        t.attrs.update(_run_attrs(self.scenario, self.paths, self.seed))
        t.attrs.update(output=output, base=float(self.base[output]), ranges=dict(self.ranges))
        return t


def tornado(
    scenario: Scenario,
    *,
    parameters: Sequence[str] | None = None,
    ranges: Mapping[str, Sequence[float]] | None = None,
    outputs: Sequence[str] = DEFAULT_OUTPUTS,
    paths: int | None = None,
    seed: int | None = None,
) -> Tornado:
    """One-at-a-time sensitivity of headline outputs to each parameter (common random numbers).

    Runs the scenario once as it is and twice per parameter (at its low and at its high value,
    every other field unchanged), all with the same ``paths`` and ``seed``: ``1 + 2 x
    len(parameters)`` runs. Every variant is validated before the first run.

    Parameters
    ----------
    scenario
        The base scenario.
    parameters
        Dotted keys of numeric model fields, or of numeric fields of the scenario's sectors
        (``mdf.sectors.<name>.<field>``; a share moved rescales the other sectors' shares, see
        the module's docstring); default the ``parameters`` of the scenario's ``sensitivity``
        block, or else :func:`default_parameters` (:data:`DEFAULT_PARAMETERS`, with the
        sectors' shares and key fields in place of the single stock's fields for a scenario
        with sectors) followed by any other key of ``ranges``.
    ranges
        Dotted key -> ``(low, high)`` in the field's unit, overriding the ranges of the
        scenario's ``sensitivity`` block, which override :func:`default_range` (integers for
        integer fields; ``low < high``). With explicit ``parameters``, every key must be one
        of them.
    outputs
        Keys of :meth:`Results.headline` to record (e.g. ``"mdf_inflow_pv_p50"`` [USD bn],
        ``"prob_default"`` [-]), or per-path metrics taken at their median
        (``"gdp_uplift_pv_usd_bn"``; :func:`output_statistic`).
    paths
        Paths of every run [paths]; default ``scenario.simulation.paths``.
    seed
        Seed of every run [-]; default ``scenario.simulation.seed``.

    Returns
    -------
    Tornado

    Raises
    ------
    InputError
        Naming the parameter: an unknown (with a suggestion), non-numeric or refused field, a
        malformed range, or a low or high value that gives an invalid scenario (out of bounds,
        or a failed cross-field check such as ``naef.grace_years`` < ``naef.tenor_years``).
        Naming the output: an unknown output (with a suggestion).
    """
    resolved = _resolve(scenario, parameters, ranges)
    if isinstance(outputs, str) or not outputs:
        raise InputError(
            "sensitivity", "outputs", f"got {outputs!r}; want a non-empty list of headline keys"
        )
    outs = tuple(outputs)
    for output in outs:  # before anything is run
        output_statistic(output)
    variants = _variants(scenario, resolved)
    n, s = _run_settings(scenario, paths, seed)

    def headline(sc: Scenario) -> dict[str, float]:
        results = simulate(sc, paths=n, seed=s, keep_series=False)
        out = results.headline()
        for output in outs:
            if output not in out:  # a metric's statistic
                of, statistic = output_statistic(output)
                x = results.metrics[of].to_numpy(dtype=float)
                out[output] = float(row_statistic(x[None], statistic)[0])
        return out

    base = headline(scenario)
    at_low: dict[str, Mapping[str, float]] = {}
    at_high: dict[str, Mapping[str, float]] = {}
    for key, (low_sc, high_sc) in variants.items():
        lo, hi = headline(low_sc), headline(high_sc)
        at_low[key] = MappingProxyType({o: lo[o] for o in outs})
        at_high[key] = MappingProxyType({o: hi[o] for o in outs})
    return Tornado(
        scenario=scenario,
        paths=n,
        seed=s,
        outputs=outs,
        ranges=MappingProxyType(resolved),
        base_values=MappingProxyType({k: _value(scenario, k) for k in resolved}),
        base=MappingProxyType(base),
        at_low=MappingProxyType(at_low),
        at_high=MappingProxyType(at_high),
    )


# ---------------------------------------------------------------------------- by year


def _yearly_statistic(results: Results, series: str, statistic: str) -> pd.Series:
    """Median or mean over the kept paths of a series, by year; NaN where no path has a value."""
    values = results.series(series).to_numpy(dtype=float)
    finite = np.isfinite(values)
    count = finite.sum(axis=1)
    out = np.full(values.shape[0], np.nan)
    rows = count > 0
    if statistic == "mean":
        total = np.where(finite, values, 0.0).sum(axis=1)
        out[rows] = total[rows] / count[rows]
    else:
        for t in np.flatnonzero(rows):
            out[t] = float(np.median(values[t, finite[t]]))
    return pd.Series(out, index=results.years)


def yearly_sensitivity(
    scenario: Scenario,
    *,
    series: str = "dscr",
    parameters: Sequence[str] | None = None,
    ranges: Mapping[str, Sequence[float]] | None = None,
    statistic: str = "median",
    paths: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Which parameter matters in which year: the change of a yearly statistic, high - low.

    For each parameter, the scenario is run at its low and at its high value (all else equal,
    same paths and seed: common random numbers), and the yearly median (or mean) of ``series``
    over the paths is differenced: ``statistic(high) - statistic(low)``.

    Parameters
    ----------
    scenario
        The base scenario.
    series
        A per-year series of :data:`simulator.outputs.SERIES` (``"dscr"`` [-],
        ``"mdf_inflow_usd_bn"`` [USD bn], ...).
    parameters, ranges
        As for :func:`tornado`.
    statistic
        ``"median"`` or ``"mean"`` over paths, each year. Paths where the series is not defined
        (the DSCR in a year with no scheduled service) are left out; a year where no path has a
        value gives NaN.
    paths
        Paths of every run [paths]; default ``scenario.simulation.paths``. The statistic is
        taken over the paths whose series the engine keeps (the first
        :data:`simulator.run.engine.DEFAULT_KEEP_SERIES`, as for the fans).
    seed
        Seed of every run [-]; default ``scenario.simulation.seed``.

    Returns
    -------
    pandas.DataFrame
        Index ``year`` (calendar); one column per parameter (dotted key, analysis order); values
        in the unit of the series (DSCR [-], USD bn, kb/d, USD/bbl). ``attrs`` holds
        ``series``, ``statistic``, ``scenario`` (name), ``paths``, ``seed`` and ``ranges``
        (parameter -> (low, high)), which
        :func:`simulator.present.plots.yearly_sensitivity_heatmap` uses for its titles.

    Raises
    ------
    InputError
        As :func:`tornado`; also for an unknown series (with a suggestion) or statistic.
    """
    if series not in SERIES:
        raise InputError(
            "sensitivity", str(series), "unknown series" + suggest(str(series), SERIES)
        )
    if statistic not in _STATISTICS:
        raise InputError(
            "sensitivity",
            "statistic",
            f"got {statistic!r}; want one of: {', '.join(_STATISTICS)}",
        )
    resolved = _resolve(scenario, parameters, ranges)
    variants = _variants(scenario, resolved)
    n, s = _run_settings(scenario, paths, seed)
    columns: dict[str, pd.Series] = {}
    for key, pair in variants.items():
        low, high = (
            _yearly_statistic(simulate(sc, paths=n, seed=s), series, statistic) for sc in pair
        )
        columns[key] = high - low
    out = pd.DataFrame(columns)
    out.index = pd.Index(list(scenario.years), name="year")
    out.columns.name = "parameter"
    out.attrs = {
        "series": series,
        "statistic": statistic,
        "scenario": scenario.name,
        "paths": n,
        "seed": s,
        "ranges": {k: tuple(v) for k, v in resolved.items()},
    }
    return out


# ---------------------------------------------------------------------------- Sobol

#: Outputs :func:`sobol` can take of a parameter set: every headline figure of the catalogue,
#: each the same statistic of the same per-path metric as :meth:`Results.headline` takes.
SET_OUTPUTS: tuple[str, ...] = HEADLINE

#: Columns of :meth:`Sobol.table` and of :func:`sobol_indices`.
SOBOL_COLUMNS: tuple[str, ...] = ("output", "parameter", "S1", "S1_conf", "ST", "ST_conf")

#: Base samples N of :func:`sobol` by default (a power of two); the model is evaluated at
#: ``N (D + 2)`` parameter sets for D parameters.
DEFAULT_BASE_SAMPLES = 256
#: Monte Carlo paths of each parameter set of :func:`sobol` by default.
DEFAULT_PATHS_PER_SAMPLE = 256


def output_statistic(output: Any) -> tuple[str, str]:
    """The per-path metric an output of the tornado or the Sobol analysis summarizes, and how.

    Parameters
    ----------
    output
        A headline key (:data:`SET_OUTPUTS`: its metric and statistic from the catalogue,
        :mod:`simulator.outputs`), or the name of a per-path metric
        (:data:`simulator.outputs.METRICS`, e.g. ``"gdp_uplift_pv_usd_bn"``): its median over
        the paths (``"p50"``: of the paths where it is defined), or for a flag
        (:data:`simulator.outputs.FLAGS`) the share of paths where it is set
        (``"probability"``). In the metric's unit.

    Returns
    -------
    metric, statistic
        A statistic of :func:`simulator.model.metrics.row_statistic`.

    Raises
    ------
    InputError
        For anything else, with the nearest name.
    """
    if output in SET_OUTPUTS:
        entry = OUTPUTS[output]
        assert entry.of is not None and entry.statistic is not None
        return entry.of, entry.statistic
    if output in METRICS:
        return str(output), "probability" if output in FLAGS else "p50"
    raise InputError(
        "sensitivity",
        str(output),
        "unknown output"
        + suggest(str(output), [*SET_OUTPUTS, *METRICS])
        + "; want a headline key or a per-path metric",
    )


def _check_shares(scenario: Scenario, ranges: Mapping[str, tuple[Any, Any]]) -> None:
    """Shares of sectors varied together leave the other sectors something in every set of
    the ranges: one sector's share at least is not varied, and the highs sum to at most 1."""
    shares = [k for k in ranges if _is_sector(k) and k.endswith(".share")]
    if not shares:
        return
    if len(shares) == len(scenario.mdf.sectors):
        raise InputError(
            "sensitivity",
            ", ".join(shares),
            "varies the share of every sector; want one sector's share left out to take the "
            "rest (the shares must sum to 1)",
        )
    # The sets lie in the box of the ranges, whose corner of the highs leaves the least.
    rescaled_shares(scenario, {k: float(ranges[k][1]) for k in shares}, source="sensitivity")


def _check_set_output(output: Any) -> None:
    output_statistic(output)


def set_statistic(metrics: Mapping[str, np.ndarray], output: str) -> np.ndarray:
    """One headline output per parameter set from per-path metrics.

    Parameters
    ----------
    metrics
        Metric -> array of shape (sets, paths), as :func:`simulator.run.engine.simulate_sets`
        returns.
    output
        A headline key (:data:`SET_OUTPUTS`), whose metric and statistic come from the
        catalogue (:mod:`simulator.outputs`), or a per-path metric (its median;
        :func:`output_statistic`).

    Returns
    -------
    numpy.ndarray
        Shape (sets,), in the output's unit; NaN for a set where the metric is nowhere defined.
    """
    of, statistic = output_statistic(output)
    return row_statistic(np.asarray(metrics[of], dtype=float), statistic)


def _is_power_of_two(n: Any) -> bool:
    if not isinstance(n, int | np.integer) or isinstance(n, bool):
        return False
    k = int(n)
    return k > 0 and k & (k - 1) == 0


def sobol_indices(
    evaluate: Any,
    bounds: Mapping[str, tuple[float, float]],
    *,
    base_samples: int,
    seed: int,
    conf_level: float = 0.95,
    num_resamples: int = 500,
) -> pd.DataFrame:
    """First-order and total Sobol indices of a vectorized model (SALib).

    The parameters are sampled with SALib's Sobol' sequence (``SALib.sample.sobol``, Saltelli's
    scheme without second-order terms: ``N (D + 2)`` rows), the model is called **once** with
    the whole sample, and the indices and their bootstrap confidence intervals come from
    ``SALib.analyze.sobol``.

    Parameters
    ----------
    evaluate
        ``evaluate(X) -> outputs``: ``X`` of shape (rows, D), columns in the order of
        ``bounds``; returns a mapping output name -> array of shape (rows,), or one array
        (output name ``"y"``).
    bounds
        Parameter name -> (low, high); each parameter uniform on its range.
    base_samples
        N, a power of two.
    seed
        Seed of the scrambled Sobol' sequence and of the bootstrap.
    conf_level
        Confidence level of the intervals [-].
    num_resamples
        Bootstrap resamples of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SOBOL_COLUMNS`, one row per output and parameter: ``S1`` and ``ST``
        with the half-widths ``S1_conf`` and ``ST_conf`` of their intervals. An output that is
        the same at every sample has no variance to share out: its indices are NaN.
        ``attrs["rows"]`` is the number of model evaluations.

    Raises
    ------
    InputError
        ``base_samples`` not a power of two, an empty or inverted range, or an output that is
        NaN at some samples.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    if not _is_power_of_two(base_samples):
        raise InputError(
            "sensitivity",
            "base_samples",
            f"got {base_samples!r}; want a power of two (256, 512...)",
        )
    if not bounds:
        raise InputError("sensitivity", "parameters", "got none; want at least one parameter")
    for name, (low, high) in bounds.items():
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise InputError(
                "sensitivity", name, f"got range ({low!r}, {high!r}); want finite low < high"
            )
    names = list(bounds)
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[float(lo), float(hi)] for lo, hi in bounds.values()],
    }
    x = sobol_sample.sample(problem, int(base_samples), calc_second_order=False, seed=seed)
    raw = evaluate(x)
    outputs = raw if isinstance(raw, Mapping) else {"y": raw}
    rows: list[dict[str, Any]] = []
    for output, values in outputs.items():
        y = np.asarray(values, dtype=float)
        if y.shape != (x.shape[0],):
            raise ValueError(f"evaluate gave shape {y.shape} for {output}; want ({x.shape[0]},)")
        bad = ~np.isfinite(y)
        if bad.any():
            raise InputError(
                "sensitivity",
                str(output),
                f"is undefined at {int(bad.sum())} of {y.size} parameter sets; want an output "
                "defined everywhere in the ranges",
            )
        if np.ptp(y) == 0.0:
            si = {k: np.full(len(names), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            si = sobol_analyze.analyze(
                problem,
                y,
                calc_second_order=False,
                num_resamples=num_resamples,
                conf_level=conf_level,
                seed=seed,
            )
        for i, name in enumerate(names):
            rows.append(
                {
                    "output": output,
                    "parameter": name,
                    **{k: float(si[k][i]) for k in ("S1", "S1_conf", "ST", "ST_conf")},
                }
            )
    table = pd.DataFrame(rows, columns=list(SOBOL_COLUMNS))
    table.attrs["rows"] = int(x.shape[0])
    return table


@dataclass(frozen=True)
class Sobol:
    """Global (variance-based) sensitivity of headline outputs: Sobol indices.

    Build it with :func:`sobol`. ``S1`` of a parameter is the share of the output's variance
    over the ranges that the parameter explains alone; ``ST`` adds its interactions with the
    others. ``ST - S1`` large means the parameter matters through interactions; ``ST`` near 0
    means it can be fixed anywhere in its range.

    Attributes
    ----------
    scenario
        The base scenario.
    ranges
        Parameter (dotted key) -> (low, high), each sampled uniformly.
    outputs
        The outputs analysed (keys of :data:`SET_OUTPUTS`).
    base_samples, paths_per_sample, seed
        N (a power of two), the paths of each parameter set, and the seed (of the paths and of
        the Sobol' sequence).
    indices
        The tidy table of :func:`sobol_indices`.
    samples
        The parameter sets evaluated, shape (N (D + 2), D), columns in the order of ``ranges``.
    values
        Output -> its value at each parameter set.
    """

    scenario: Scenario
    ranges: Mapping[str, tuple[float, float]]
    outputs: tuple[str, ...]
    base_samples: int
    paths_per_sample: int
    seed: int
    indices: pd.DataFrame
    samples: np.ndarray
    values: Mapping[str, np.ndarray]

    @property
    def parameters(self) -> tuple[str, ...]:
        """The parameters, in the order of the analysis."""
        return tuple(self.ranges)

    @property
    def evaluations(self) -> int:
        """Parameter sets evaluated: ``N (D + 2)``."""
        return int(self.samples.shape[0])

    @property
    def paths_total(self) -> int:
        """Paths simulated in all: ``N (D + 2) x paths_per_sample``."""
        return self.evaluations * self.paths_per_sample

    def table(self) -> pd.DataFrame:
        """One row per output and parameter: :data:`SOBOL_COLUMNS` plus ``low`` and ``high``."""
        t = self.indices.copy()
        t["low"] = [self.ranges[p][0] for p in t["parameter"]]
        t["high"] = [self.ranges[p][1] for p in t["parameter"]]
        return t

    def ranking(self, output: str) -> pd.DataFrame:
        """The parameters of one output by total index, largest first (index ``rank``).

        ``attrs`` holds what a chart of it needs (:func:`simulator.present.plots.sobol_chart`):
        ``output``, ``evaluations``, ``base_samples``, ``paths_per_sample``, ``scenario``,
        ``years``, ``paths`` and ``seed``.
        """
        if output not in self.outputs:
            raise InputError(
                "sensitivity",
                str(output),
                "not an output of this analysis" + suggest(str(output), self.outputs),
            )
        t = self.table()
        t = t[t["output"] == output].drop(columns="output")
        t = t.sort_values("ST", ascending=False, kind="stable", na_position="last")
        t.index = pd.RangeIndex(1, len(t) + 1, name="rank")
        t.attrs.update(_run_attrs(self.scenario, self.paths_per_sample, self.seed))
        t.attrs.update(
            output=output,
            evaluations=self.evaluations,
            base_samples=self.base_samples,
            paths_per_sample=self.paths_per_sample,
        )
        return t


def sobol(
    scenario: Scenario,
    *,
    parameters: Sequence[str] | None = None,
    ranges: Mapping[str, Sequence[float]] | None = None,
    outputs: Sequence[str] = DEFAULT_OUTPUTS,
    base_samples: int = DEFAULT_BASE_SAMPLES,
    paths_per_sample: int = DEFAULT_PATHS_PER_SAMPLE,
    seed: int | None = None,
    progress: Any = None,
    map_fn: Any = None,
) -> Sobol:
    """Sobol indices of headline outputs, every parameter set simulated in one vectorized run.

    The ``N (D + 2)`` parameter sets of the Sobol' sample are run together by
    :func:`simulator.run.engine.simulate_sets`, ``paths_per_sample`` paths each, on common random
    numbers: path ``i`` of every set has the same draws, so the output of a set is a
    deterministic function of its parameters and the indices measure the parameters, not
    Monte Carlo noise. Each output is the headline statistic over the set's paths (see
    :data:`SET_OUTPUTS`), or a per-path metric's median (:func:`output_statistic`).

    The share of a sector, varied, rescales the other sectors' shares in every set so that they
    still sum to 1 (the module's docstring gives the rule); shares varied together must leave
    the others something: their highs may sum to at most 1, and one sector's share at least
    must not be varied.

    Parameters
    ----------
    scenario
        The base scenario (every field not varied keeps its value).
    parameters
        Dotted keys of float model fields (:data:`simulator.scenario.sets.SET_FIELDS`) or
        float fields of the scenario's sectors (``mdf.sectors.<name>.<field>``,
        :data:`simulator.scenario.sets.SECTOR_SET_FIELDS`); default the ``parameters`` of the
        scenario's ``sensitivity`` block, or else ``default_parameters(scenario,
        continuous=True)`` (:func:`default_parameters`: the float fields of
        :data:`DEFAULT_PARAMETERS`, and for a scenario with sectors their key fields and the
        largest sector's share; integer fields such as ``pemex.lag_years`` or
        ``mdf.sectors.<name>.gestation_years`` need a tornado).
    ranges
        Dotted key -> (low, high), as for :func:`tornado` (over the ranges of the scenario's
        ``sensitivity`` block); default :func:`default_range`.
    outputs
        Keys of :data:`SET_OUTPUTS`, or per-path metrics (:func:`output_statistic`).
    base_samples
        N, a power of two [-].
    paths_per_sample
        Paths of each parameter set [paths].
    seed
        Seed of the paths and of the Sobol' sequence; default ``scenario.simulation.seed``.
    progress, map_fn
        As in :func:`simulator.simulate`.

    Returns
    -------
    Sobol

    Raises
    ------
    InputError
        For a parameter that cannot be varied continuously (with the reason), a bad range or
        sample size, shares of sectors whose ranges may leave the others less than nothing,
        or an unknown output.
    """
    if parameters is None and scenario.sensitivity.parameters:
        parameters = list(scenario.sensitivity.parameters)
    if parameters is None:
        extra = {**scenario.sensitivity.ranges, **(ranges or {})}
        defaults = default_parameters(scenario, continuous=True)
        # A range of a default the tornado varies and Sobol cannot adds nothing here.
        offered = default_parameters(scenario)
        parameters = _settable(
            scenario, [*defaults, *(k for k in extra if k not in defaults and k not in offered)]
        )
    resolved = _resolve(scenario, parameters, ranges)
    for key in resolved:
        continuous = _spec(key, scenario).kind == "float" if _is_sector(key) else key in SET_FIELDS
        if not continuous:
            raise InputError(
                "sensitivity",
                key,
                "is an integer field; Sobol indices need continuous parameters (want a float "
                "field, or use --method tornado)",
            )
    _check_shares(scenario, resolved)
    if isinstance(outputs, str) or not outputs:
        raise InputError(
            "sensitivity", "outputs", f"got {outputs!r}; want a non-empty list of headline keys"
        )
    outs = tuple(outputs)
    for output in outs:
        _check_set_output(output)
    if not (isinstance(paths_per_sample, int | np.integer) and paths_per_sample >= 1):
        raise InputError(
            "sensitivity", "paths_per_sample", f"got {paths_per_sample!r}; want an integer >= 1"
        )
    _, s = _run_settings(scenario, None, seed)
    keys = list(resolved)
    bounds = {k: (float(lo), float(hi)) for k, (lo, hi) in resolved.items()}
    captured: dict[str, Any] = {}

    def evaluate(x: np.ndarray) -> dict[str, np.ndarray]:
        metrics = simulate_sets(
            scenario,
            values={k: x[:, i] for i, k in enumerate(keys)},
            paths_per_set=int(paths_per_sample),
            seed=s,
            progress=progress,
            map_fn=map_fn,
        )
        captured["x"] = x
        captured["y"] = {o: set_statistic(metrics, o) for o in outs}
        return captured["y"]

    table = sobol_indices(evaluate, bounds, base_samples=base_samples, seed=s % 2**32)
    return Sobol(
        scenario=scenario,
        ranges=MappingProxyType(bounds),
        outputs=outs,
        base_samples=int(base_samples),
        paths_per_sample=int(paths_per_sample),
        seed=s,
        indices=table,
        samples=captured["x"],
        values=MappingProxyType(captured["y"]),
    )
