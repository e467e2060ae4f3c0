"""The model chain: a scenario's plan, every path's flows, and the metrics of each path.

::

    draws (standard normals: one row per draw, one column per path)
      row 0    -> capex overrun factor  (lognormal, median 1)       production.lognormal_factor
      row 1    -> reservoir factor      (lognormal, median 1)
      rows 2.. -> benchmark price paths                               prices.price_paths
    -> revenue, operating cost, government take, CFADS               production.field_cash_flows
    -> the waterfall: debt service, reserve, backstop, MDF, Pemex    waterfall.run_waterfall
    -> the Development Fund, its capital and the GDP effect          fund.run_fund

:class:`Plan` is what is deterministic (the debt schedule, production at median factors,
discount factors, the number of draws a path takes), computed once per scenario or parameter
set. :func:`run_paths` returns every flow of every path as :class:`PathFlows`, each named with
its unit as the catalogue of outputs names it (:mod:`simulator.outputs`), and keeps the factors
it drew. :func:`path_metrics` holds the formula of every per-path metric of the catalogue.

Pure functions: the random numbers come in as an argument; seeds, chunks and reductions are the
engine's (:mod:`simulator.run.engine`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from ..scenario.schema import Fiscal, Mdf, Naef, OilPrice, Pemex, Scenario, Waterfall
from ..scenario.sets import FloatArray, ParameterSets, PerPath
from .financing import DebtSchedule, debt_schedule
from .fund import FundFlows, run_fund
from .metrics import (
    SHORTFALL_EPS_USD_BN,
    discount_factors,
    dscr_series,
    irr,
    min_dscr,
    present_value,
    sum_over_years,
)
from .prices import n_price_shocks, price_paths
from .production import (
    FieldCashFlows,
    capacity_kbd,
    field_cash_flows,
    lognormal_factor,
    oil_mmbbl_total,
    production_kbd,
)
from .waterfall import WaterfallFlows, run_waterfall

__all__ = ["FACTOR_DRAWS", "PathFlows", "Plan", "path_metrics", "run_paths"]

#: Draws of a path before its price shocks: the capex overrun and the reservoir factor.
FACTOR_DRAWS = 2

SectionT = TypeVar("SectionT", bound=BaseModel)

_SCHEDULE_ARRAYS = (
    "issuance_usd_bn",
    "capex_usd_bn",
    "interest_usd_bn",
    "principal_usd_bn",
    "service_usd_bn",
    "balance_end_usd_bn",
)


@dataclass(frozen=True)
class Plan:
    """Everything deterministic of a run, computed once and shared by its paths.

    Attributes
    ----------
    scenario
        The scenario.
    schedule
        Scheduled issuance, capex and debt service [USD bn]; arrays (years,), or (years,
        paths) when paths belong to parameter sets with their own schedules.
    base_kbd
        Added production at median factors [kb/d], (years,) or (years, paths).
    discount
        Discount factors of the reporting rate [-], (years,) or (years, paths).
    n_draws
        Standard normals a path takes: :data:`FACTOR_DRAWS` plus the price model's shocks.
    values
        For paths of parameter sets (:meth:`for_sets`): dotted field -> its value on each path,
        shape (paths,); the sections read through :class:`~simulator.scenario.sets.PerPath`.
    """

    scenario: Scenario
    schedule: DebtSchedule
    base_kbd: FloatArray
    discount: FloatArray
    n_draws: int
    values: Mapping[str, FloatArray] = field(default_factory=dict)

    @classmethod
    def build(cls, scenario: Scenario) -> Plan:
        """Debt schedule, production at median factors, discount factors, draw count."""
        years = scenario.horizon.years
        sched = debt_schedule(scenario.naef, years=years)
        return cls(
            scenario=scenario,
            schedule=sched,
            base_kbd=capacity_kbd(sched.capex_usd_bn, scenario.pemex),
            discount=discount_factors(scenario.reporting.discount_rate, years),
            n_draws=FACTOR_DRAWS + n_price_shocks(scenario.oil_price, years),
        )

    def for_sets(self, sets: ParameterSets, set_of_path: npt.NDArray[np.int64]) -> Plan:
        """The plan of paths that belong to parameter sets.

        Parameters
        ----------
        sets
            The parameter sets, each a variant of :attr:`scenario`.
        set_of_path
            The set of each path, shape (paths,), non-decreasing.

        Returns
        -------
        Plan
            Every varied field as one value per path (:attr:`values`). Where a varied field
            shapes the plan (:data:`~simulator.scenario.sets.PLAN_FIELDS`: coupon, capex per
            barrel, decline, discount rate...), the schedule, production and discount factors
            are computed once for each set present and spread to its paths, as (years, paths)
            arrays.
        """
        first = int(set_of_path[0])
        local = set_of_path - first
        n_sets = int(set_of_path[-1]) - first + 1
        per_set = {key: v[first : first + n_sets] for key, v in sets.values.items()}
        values = {key: v[local] for key, v in per_set.items()}
        if not sets.plan_keys:
            return replace(self, values=values)
        parts: dict[str, list[Any]] = {name: [] for name in _SCHEDULE_ARRAYS}
        parts.update(base_kbd=[], discount=[], outstanding=[])
        for j in range(n_sets):
            one = Plan.build(
                _with_scalars(self.scenario, {k: float(per_set[k][j]) for k in sets.plan_keys})
            )
            for name in _SCHEDULE_ARRAYS:
                parts[name].append(getattr(one.schedule, name))
            parts["outstanding"].append(one.schedule.outstanding_at_horizon_usd_bn)
            parts["base_kbd"].append(one.base_kbd)
            parts["discount"].append(one.discount)

        counts = np.bincount(local, minlength=n_sets)  # paths of each set, in a row

        def spread(name: str) -> FloatArray:
            return np.repeat(np.stack(parts[name], axis=-1), counts, axis=-1)

        schedule = DebtSchedule(
            **{name: spread(name) for name in _SCHEDULE_ARRAYS},
            outstanding_at_horizon_usd_bn=spread("outstanding"),
        )
        return replace(
            self,
            schedule=schedule,
            base_kbd=spread("base_kbd"),
            discount=spread("discount"),
            values=values,
        )

    def flows(self) -> dict[str, FloatArray]:
        """The deterministic flows of the ledger: capex and scheduled debt service [USD bn]."""
        return {
            "capex_usd_bn": self.schedule.capex_usd_bn,
            "scheduled_service_usd_bn": self.schedule.service_usd_bn,
        }

    def _section(self, section: SectionT, name: str) -> SectionT | PerPath[SectionT]:
        prefix = name + "."
        varied = {k[len(prefix) :]: v for k, v in self.values.items() if k.startswith(prefix)}
        return PerPath(section, varied) if varied else section

    @property
    def oil_price(self) -> OilPrice | PerPath[OilPrice]:
        """The ``oil_price`` section as the paths see it."""
        return self._section(self.scenario.oil_price, "oil_price")

    @property
    def naef(self) -> Naef | PerPath[Naef]:
        """The ``naef`` section as the paths see it."""
        return self._section(self.scenario.naef, "naef")

    @property
    def pemex(self) -> Pemex | PerPath[Pemex]:
        """The ``pemex`` section as the paths see it."""
        return self._section(self.scenario.pemex, "pemex")

    @property
    def fiscal(self) -> Fiscal | PerPath[Fiscal]:
        """The ``fiscal`` section as the paths see it."""
        return self._section(self.scenario.fiscal, "fiscal")

    @property
    def waterfall(self) -> Waterfall | PerPath[Waterfall]:
        """The ``waterfall`` section as the paths see it."""
        return self._section(self.scenario.waterfall, "waterfall")

    @property
    def mdf(self) -> Mdf | PerPath[Mdf]:
        """The ``mdf`` section as the paths see it."""
        return self._section(self.scenario.mdf, "mdf")


def _with_scalars(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    """``scenario`` with float fields set to values already checked against the schema
    (:class:`~simulator.scenario.sets.ParameterSets`), without validating it again."""
    by_section: dict[str, dict[str, float]] = {}
    for key, value in values.items():
        section, name = key.split(".")
        by_section.setdefault(section, {})[name] = value
    update = {
        section: getattr(scenario, section).model_copy(update=fields_)
        for section, fields_ in by_section.items()
    }
    return scenario.model_copy(update=update)


@dataclass(frozen=True)
class PathFlows:
    """Every flow of every path, each named with its unit as the catalogue names it.

    Arrays are (years, paths) unless stated. ``flows[name]`` finds any of them by name, in
    this object or in its parts (:attr:`field`, :attr:`waterfall`, :attr:`fund`).

    Attributes
    ----------
    oil_price_usd_per_bbl
        Benchmark price [USD/bbl].
    capex_overrun_factor, reservoir_factor
        The factors drawn for each path [-], shape (paths,).
    base_kbd
        Added production at median factors [kb/d], (years,) or (years, paths).
    scheduled_service_usd_bn
        Scheduled debt service [USD bn], (years,) or (years, paths).
    field
        Revenue, operating cost, government take and CFADS [USD bn].
    waterfall
        The waterfall's flows and balances [USD bn].
    fund
        The Development Fund's balance, investment, capital and GDP effect [USD bn].

    ``production_kbd`` and ``dscr`` are worked out when asked for (only the paths whose
    series are kept need them).
    """

    oil_price_usd_per_bbl: FloatArray
    capex_overrun_factor: FloatArray
    reservoir_factor: FloatArray
    base_kbd: FloatArray
    scheduled_service_usd_bn: FloatArray
    field: FieldCashFlows
    waterfall: WaterfallFlows
    fund: FundFlows

    @functools.cached_property
    def production_kbd(self) -> FloatArray:
        """Added production [kb/d of oil equivalent]."""
        return production_kbd(
            self.base_kbd, reservoir=self.reservoir_factor, overrun=self.capex_overrun_factor
        )

    @functools.cached_property
    def dscr(self) -> FloatArray:
        """CFADS over scheduled debt service [-]; NaN in years with no service."""
        return dscr_series(self.field.cfads_usd_bn, self.scheduled_service_usd_bn)

    def __getitem__(self, name: str) -> FloatArray:
        for part in (self, self.field, self.waterfall, self.fund):
            if name in _FLOW_NAMES[type(part)]:
                value: FloatArray = getattr(part, name)
                return value
        raise KeyError(f"no flow named {name!r}")


_FLOW_NAMES: dict[type, frozenset[str]] = {
    cls: frozenset(f.name for f in fields(cls))
    for cls in (PathFlows, FieldCashFlows, WaterfallFlows, FundFlows)
}
_FLOW_NAMES[PathFlows] = frozenset(
    {"oil_price_usd_per_bbl", "capex_overrun_factor", "reservoir_factor", "production_kbd", "dscr"}
)


def run_paths(plan: Plan, draws: FloatArray) -> PathFlows:
    """Run the model chain on every path.

    Parameters
    ----------
    plan
        The deterministic part of the run.
    draws
        Standard normals, shape (``plan.n_draws``, paths): row 0 the capex overrun, row 1
        the reservoir factor, the rest the price shocks.

    Returns
    -------
    PathFlows
    """
    years = plan.scenario.horizon.years
    pemex = plan.pemex
    overrun = lognormal_factor(draws[0], pemex.capex_overrun_sd)
    reservoir = lognormal_factor(draws[1], pemex.reservoir_factor_sd)
    price = price_paths(plan.oil_price, years=years, shocks=draws[FACTOR_DRAWS:])
    cash = field_cash_flows(
        plan.base_kbd,
        reservoir / overrun,
        price,
        oil_price=plan.oil_price,
        pemex=pemex,
        fiscal=plan.fiscal,
    )
    scheduled = plan.schedule.service_usd_bn
    wf = run_waterfall(
        cash.cfads_usd_bn, scheduled, coupon_rate=plan.naef.coupon_rate, waterfall=plan.waterfall
    )
    return PathFlows(
        oil_price_usd_per_bbl=price,
        capex_overrun_factor=overrun,
        reservoir_factor=reservoir,
        base_kbd=plan.base_kbd,
        scheduled_service_usd_bn=scheduled,
        field=cash,
        waterfall=wf,
        fund=run_fund(wf.mdf_inflow_usd_bn, plan.mdf),
    )


def path_metrics(plan: Plan, flows: PathFlows) -> dict[str, FloatArray]:
    """The per-path metrics of the catalogue (:data:`simulator.outputs.METRICS`).

    Parameters
    ----------
    plan
        The plan the flows were run with.
    flows
        :func:`run_paths` of the plan.

    Returns
    -------
    dict
        Metric name -> array of shape (paths,), in the unit the catalogue gives it; ``distress``
        is boolean.
    """
    sc = plan.scenario
    years = sc.horizon.years
    wf, fund = flows.waterfall, flows.fund
    cfads = flows.field.cfads_usd_bn
    scheduled = plan.schedule.service_usd_bn
    short = wf.shortfall_usd_bn
    in_short = short > SHORTFALL_EPS_USD_BN
    distress = in_short.any(axis=0)
    factor = flows.reservoir_factor / flows.capex_overrun_factor
    pemex = plan.pemex
    return {
        "mdf_inflow_total_usd_bn": sum_over_years(wf.mdf_inflow_usd_bn),
        "mdf_inflow_pv_usd_bn": present_value(plan.discount, wf.mdf_inflow_usd_bn),
        "infrastructure_investment_total_usd_bn": sum_over_years(
            fund.infrastructure_investment_usd_bn
        ),
        "infrastructure_capital_final_usd_bn": fund.infrastructure_capital_usd_bn[-1].copy(),
        "gdp_uplift_final_pct": 100.0 * fund.gdp_uplift_usd_bn[-1] / fund.gdp_usd_bn[-1],
        "gdp_uplift_pv_usd_bn": present_value(plan.discount, fund.gdp_uplift_usd_bn),
        "min_dscr": min_dscr(cfads, scheduled),
        "min_dscr_operating": min_dscr(cfads, scheduled, plan.base_kbd > 0),
        "distress": distress,
        "first_shortfall_year": np.where(
            distress, sc.horizon.start_year + in_short.argmax(axis=0), np.nan
        ),
        "shortfall_total_usd_bn": sum_over_years(wf.new_shortfall_usd_bn),
        "backstop_draw_total_usd_bn": sum_over_years(wf.backstop_draw_usd_bn),
        "project_irr": irr(cfads - plan.schedule.capex_usd_bn.reshape(years, -1)),
        "us_supply_total_mmbbl": pemex.us_export_share
        * oil_mmbbl_total(plan.base_kbd, factor, pemex),
        "debt_outstanding_at_horizon_usd_bn": plan.schedule.outstanding_at_horizon_usd_bn
        + short[-1],
        "capex_overrun_factor": flows.capex_overrun_factor,
        "reservoir_factor": flows.reservoir_factor,
    }
