"""The model chain: a scenario's plan, every path's flows, and the metrics of each path.

::

    draws (standard normals: one row per draw, one column per path)
      row 0    -> capex overrun factor  (lognormal, median 1)       production.lognormal_factor
      row 1    -> reservoir factor      (lognormal, median 1)        (both through the copula
      rows 2.. -> benchmark price paths (nominal)                     of risks.correlated_normals)
      last T   -> export-mix factor     (AR(1), mean 1)              risks.export_mix_factor
    -> costs that follow oil: the cost index of each year              production.cost_index
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

from ..scenario.errors import ScenarioError
from ..scenario.schema import (
    Fiscal,
    Hedge,
    Mdf,
    Naef,
    OilPrice,
    Pemex,
    Reporting,
    Risks,
    Scenario,
    Waterfall,
)
from ..scenario.sets import SET_FIELDS, FloatArray, ParameterSets, PerPath
from .financing import DebtSchedule, debt_schedule
from .fund import FundFlows, run_fund
from .hedge import forward_and_spread, hedge_flows
from .metrics import (
    MIN_SERVICE_USD_BN,
    SHORTFALL_EPS_USD_BN,
    discount_factors,
    first_flagged,
    irr,
    is_idle,
    present_value,
    sum_over_years,
)
from .prices import (
    expected_price_path,
    median_price_path,
    n_price_shocks,
    price_level,
    price_paths,
    window_shock,
)
from .production import (
    FieldCashFlows,
    capacity_kbd,
    capex_year_kbd,
    cost_index,
    field_cash_flows,
    lognormal_factor,
    mmbbl_per_year,
    oil_mmbbl_total,
    priced_kbd,
    production_kbd,
    unit_profile,
)
from .risks import correlated_normals, export_mix_factor
from .waterfall import WaterfallFlows, run_waterfall

__all__ = [
    "FACTOR_DRAWS",
    "SIZING_FIELDS",
    "PathFlows",
    "Plan",
    "backstop_index",
    "build_schedule",
    "path_metrics",
    "run_paths",
    "sector_metrics",
    "standalone_default",
]

#: Draws of a path before its price shocks: the capex overrun and the reservoir factor.
FACTOR_DRAWS = 2

SectionT = TypeVar("SectionT", bound=BaseModel)

#: Fields a sculpted schedule depends on beyond the plan's own
#: (:data:`~simulator.scenario.sets.PLAN_FIELDS`): what
#: the base-case CFADS it is sized on reads (prices, production, costs, fiscal terms; the
#: per-path spreads stay out, as the base case is at median factors).
SIZING_FIELDS: frozenset[str] = frozenset(
    k
    for k in SET_FIELDS
    if k.split(".")[0] in ("oil_price", "pemex", "fiscal")
    and k not in ("pemex.capex_overrun_sd", "pemex.reservoir_factor_sd")
)

#: Most rounds of the fixed point between sculpted service and the capex it leaves.
_SCULPT_ROUNDS = 100


def build_schedule(scenario: Scenario) -> DebtSchedule:
    """The debt schedule of a scenario, with its interest reserves and reserve funded at close.

    Sculpted service follows each tranche's own base-case CFADS: production bought by the
    tranche's capex at median factors (reservoir and overrun 1), at the pointwise median price
    path, the year's CFADS shared between the tranches by their production. The capex a face
    leaves depends on the reserves funded from it, and those on the service; the two are
    solved together by fixed-point iteration (a round or two: the reserves are small).

    The median price path is the price model's from its initial price, without
    ``oil_price.fixed_path_usd_per_bbl``: prices fixed on every path are what happened (a
    historical replay), not what the issuer expected when the debt was sized, and sizing on
    them would be hindsight. Its long-run level is ``naef.sizing_long_run_usd_per_bbl`` (by
    default the model's own), so a scenario can size the debt on one expectation and run it
    in another price world.

    Raises
    ------
    ScenarioError
        Named after the scenario, when a tranche's fees and reserves exceed its face (or, with
        ``net_capex`` sizing, grow faster than the face that pays for them).
    """
    try:
        return _build_schedule(scenario)
    except ScenarioError as exc:  # named after the scenario, not the section
        raise ScenarioError(scenario.name, exc.field, exc.problem) from None


def _build_schedule(scenario: Scenario) -> DebtSchedule:
    years = scenario.horizon.years
    naef = scenario.naef
    kwargs: dict[str, Any] = {
        "years": years,
        "reserve_years": scenario.value("naef.capitalized_interest_years", resolved=True),
        "dsra_coverage_years": scenario.waterfall.dsra_coverage_years,
        "fund_dsra_at_close": scenario.waterfall.dsra_funded_at_close,
    }
    if naef.amortization != "sculpted":
        return debt_schedule(naef, **kwargs)
    expected = scenario.oil_price.model_copy(
        update={
            "fixed_path_usd_per_bbl": (),
            "long_run_usd_per_bbl": scenario.value(
                "naef.sizing_long_run_usd_per_bbl", resolved=True
            ),
        }
    )
    level = price_level(expected, start_year=scenario.horizon.start_year, years=years)
    price = median_price_path(expected, years=years, level=level)
    amounts = np.asarray(naef.issuance_usd_bn, dtype=float)
    capex = np.zeros(years)
    capex[: len(amounts)] = amounts * (
        1.0 if naef.sizing == "net_capex" else 1.0 - naef.issuance_cost_rate
    )
    for _ in range(_SCULPT_ROUNDS):
        cf = tranche_cfads(scenario, capex, price)
        sched = debt_schedule(naef, tranche_cfads_usd_bn=cf, **kwargs)
        if np.allclose(sched.capex_usd_bn, capex, rtol=1e-13, atol=1e-13):
            return sched
        capex = sched.capex_usd_bn
    raise RuntimeError("sculpted service and capex did not settle")  # pragma: no cover


def tranche_cfads(scenario: Scenario, capex_usd_bn: FloatArray, price: FloatArray) -> FloatArray:
    """Each tranche's base-case CFADS by year [USD bn], shape (tranches, years).

    The CFADS of the whole programme at median factors and the given price path, shared
    between the tranches by the production each one's capex bought (tranche ``j``'s capex is
    spent in year ``j``).
    """
    years = scenario.horizon.years
    n_tr = len(scenario.naef.issuance_usd_bn)
    kbd_per_bn = 1e6 / scenario.pemex.capex_usd_per_flowing_bpd
    prof = unit_profile(scenario.pemex, years=years)
    own = np.zeros((n_tr, years))
    for j in range(min(n_tr, years)):
        # capacity_kbd of tranche j's capex alone: the unit profile from year j on
        own[j, j:] = (capex_usd_bn[j] * kbd_per_bn) * prof[: years - j]
    total = own.sum(axis=0)
    cash = field_cash_flows(
        total,
        np.ones(1),
        price[:, None],
        oil_price=scenario.oil_price,
        pemex=scenario.pemex,
        fiscal=scenario.fiscal,
        start_year=scenario.horizon.start_year,
        capex_usd_bn=capex_usd_bn,
    )
    cfads = cash.cfads_usd_bn[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(total > 0, own / total, 0.0)
    result: FloatArray = shares * cfads
    return result


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
    capex_kbd
        Of it, what the capex of each tranche's year bought [kb/d], (years, tranches) or
        (years, tranches, paths) (:func:`~simulator.model.production.capex_year_kbd`).
    discount
        Discount factors of the reporting rate [-], (years,) or (years, paths).
    n_draws
        Standard normals a path takes: :data:`FACTOR_DRAWS`, the price model's shocks and one
        a year for the export mix.
    values
        For paths of parameter sets (:meth:`for_sets`): dotted field -> its value on each path,
        shape (paths,); the sections read through :class:`~simulator.scenario.sets.PerPath`.
    set_plans
        For paths of parameter sets with plans of their own: those plans, and each path's
        index into them, shape (paths,) (:meth:`take` spreads the plans of some paths from
        them instead of gathering them from the arrays over every path).
    """

    scenario: Scenario
    schedule: DebtSchedule
    base_kbd: FloatArray
    capex_kbd: FloatArray
    discount: FloatArray
    n_draws: int
    values: Mapping[str, FloatArray] = field(default_factory=dict)
    set_plans: tuple[tuple[Plan, ...], npt.NDArray[np.int64]] | None = field(
        default=None, compare=False, repr=False
    )

    @classmethod
    def build(cls, scenario: Scenario, *, schedule: DebtSchedule | None = None) -> Plan:
        """Debt schedule, production at median factors, discount factors, draw count.

        ``schedule``: the debt schedule to run instead of the scenario's own
        (:func:`build_schedule` of another scenario: a structure sized on other expectations,
        as a break-even price needs); the capex it leaves sets the production capacity.
        """
        years = scenario.horizon.years
        sched = build_schedule(scenario) if schedule is None else schedule
        if sched.capex_usd_bn.shape != (years,):
            raise ValueError(
                f"a schedule of {sched.capex_usd_bn.shape} years for a horizon of {years}"
            )
        tranches = min(len(scenario.naef.issuance_usd_bn), years)
        return cls(
            scenario=scenario,
            schedule=sched,
            base_kbd=capacity_kbd(sched.capex_usd_bn, scenario.pemex),
            capex_kbd=capex_year_kbd(sched.capex_usd_bn, scenario.pemex, tranches=tranches),
            discount=discount_factors(scenario.reporting.discount_rate, years),
            n_draws=FACTOR_DRAWS + n_price_shocks(scenario.oil_price, years) + years,
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
            barrel, decline, discount rate...; under sculpted amortization also the fields of
            :data:`SIZING_FIELDS`, which its base case reads), the schedule, production and
            discount factors are computed once for each set present and spread to its paths,
            as (years, paths) arrays.
        """
        first = int(set_of_path[0])
        local = set_of_path - first
        n_sets = int(set_of_path[-1]) - first + 1
        per_set = {key: v[first : first + n_sets] for key, v in sets.values.items()}
        values = {key: v[local] for key, v in per_set.items()}
        keys = sets.plan_keys
        if self.scenario.naef.amortization == "sculpted":
            keys += tuple(k for k in sets.values if k in SIZING_FIELDS and k not in keys)
        if not keys:
            return replace(self, values=values)
        plans = tuple(
            Plan.build(_with_scalars(self.scenario, {k: float(per_set[k][j]) for k in keys}))
            for j in range(n_sets)
        )
        return replace(self, values=values, **_spread(plans, local))

    def flows(self) -> dict[str, FloatArray]:
        """The deterministic flows of the ledger: what the proceeds paid for and the scheduled
        debt service [USD bn]."""
        sched = self.schedule
        return {
            "capex_usd_bn": sched.capex_usd_bn,
            "fees_usd_bn": sched.fees_usd_bn,
            "interest_reserve_funding_usd_bn": sched.interest_reserve_funding_usd_bn,
            "dsra_close_funding_usd_bn": sched.dsra_close_funding_usd_bn,
            "scheduled_service_usd_bn": sched.service_usd_bn,
        }

    def take(self, paths: npt.NDArray[np.int64]) -> Plan:
        """The plan of some of the paths, in that order (the plan itself when every path
        shares it)."""
        if not self.values:
            return self
        values = {k: v[paths] for k, v in self.values.items()}
        if self.set_plans is not None:
            plans, index = self.set_plans
            of_paths = index[paths]
            if np.all(of_paths[1:] >= of_paths[:-1]):  # (spread in a row, as built)
                return replace(self, values=values, **_spread(plans, of_paths))

        def part(values: FloatArray) -> FloatArray:
            return values[..., paths] if values.ndim == 2 else values

        sched = self.schedule
        return replace(
            self,
            schedule=sched.take(paths) if sched.capex_usd_bn.ndim == 2 else sched,
            base_kbd=part(self.base_kbd),
            capex_kbd=self.capex_kbd[..., paths] if self.capex_kbd.ndim == 3 else self.capex_kbd,
            discount=part(self.discount),
            values=values,
            set_plans=None,
        )

    def warnings(self) -> list[str]:
        """Noteworthy facts of the plan: sculpted tranches whose base-case CFADS cannot carry
        the target coverage over their tenor, and the coverage they are sized at instead."""
        naef = self.scenario.naef
        sched = self.schedule
        if naef.amortization != "sculpted" or sched.sculpted_dscr.ndim != 1:
            return []
        start = self.scenario.horizon.start_year
        issued = sched.face_usd_bn > 0
        short = [
            f"tranche {j} ({start + j}) at {d:.2f}"
            for j, d in enumerate(sched.sculpted_dscr)
            if np.isfinite(d) and d < naef.target_dscr
        ]
        level = [
            f"tranche {j} ({start + j})"
            for j, d in enumerate(sched.sculpted_dscr)
            if issued[j] and not np.isfinite(d)
        ]
        out = []
        if short:
            out.append(
                f"naef.target_dscr: the base-case CFADS cannot repay every tranche within its "
                f"tenor at a coverage of {naef.target_dscr:g}; sized at the coverage that "
                f"repays it by its final maturity instead: {', '.join(short)}"
            )
        if level:
            out.append(
                "naef.amortization: sculpted, but the base-case CFADS over the amortization "
                f"years has no positive value; repaid as a level annuity: {', '.join(level)}"
            )
        return out

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
    def hedge(self) -> Hedge | PerPath[Hedge]:
        """The ``hedge`` section as the paths see it."""
        return self._section(self.scenario.hedge, "hedge")

    @property
    def reporting(self) -> Reporting | PerPath[Reporting]:
        """The ``reporting`` section as the paths see it."""
        return self._section(self.scenario.reporting, "reporting")

    @property
    def risks(self) -> Risks | PerPath[Risks]:
        """The ``risks`` section as the paths see it."""
        return self._section(self.scenario.risks, "risks")

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
    field
        Revenue, operating cost, government take and CFADS [USD bn].
    waterfall
        The waterfall's flows and balances [USD bn].
    fund
        The Development Fund's balance, investment, capital and GDP effect [USD bn].
    first_default
        Index of the year of the path's first default, -1 without one, shape (paths,)
        (:func:`default_year`).
    pemex_support
        Whether the backstop paid something on the path, shape (paths,).
    standalone_default
        Whether the path defaults without the backstop, shape (paths,).
    us_oil_share
        Share of the added boe that is oil shipped to the United States [-], a float or one
        value per path.

    ``production_kbd``, ``us_supply_kbd``, ``operating_loss_carried_usd_bn`` and
    ``pemex_support_usd_bn`` are worked out when asked for (only the paths whose series are
    kept need them).
    """

    oil_price_usd_per_bbl: FloatArray
    capex_overrun_factor: FloatArray
    reservoir_factor: FloatArray
    base_kbd: FloatArray
    field: FieldCashFlows
    waterfall: WaterfallFlows
    fund: FundFlows
    first_default: npt.NDArray[np.int64]
    pemex_support: npt.NDArray[np.bool_]
    standalone_default: npt.NDArray[np.bool_]
    us_oil_share: float | FloatArray

    @functools.cached_property
    def production_kbd(self) -> FloatArray:
        """Added production [kb/d of oil equivalent]."""
        return production_kbd(
            self.base_kbd, reservoir=self.reservoir_factor, overrun=self.capex_overrun_factor
        )

    @functools.cached_property
    def us_supply_kbd(self) -> FloatArray:
        """Added oil shipped to the United States [kb/d]."""
        return self.production_kbd * self.us_oil_share

    @functools.cached_property
    def operating_loss_carried_usd_bn(self) -> FloatArray:
        """Negative operating cash, carried by Pemex [USD bn]: ``max(-cash, 0)``, worked out
        in the years with a loss on some path only (before first oil, as a rule)."""
        cash = self.waterfall.cash_usd_bn
        loss = np.zeros(cash.shape)
        years = np.flatnonzero(~(np.minimum.reduce(cash, axis=1) >= 0.0))
        if years.size:
            loss[years] = np.maximum(-cash[years], 0.0)
        return loss

    @functools.cached_property
    def pemex_support_usd_bn(self) -> FloatArray:
        """What Pemex puts in: backstop draws less repayments (with interest) plus operating
        losses carried [USD bn]."""
        wf = self.waterfall
        support = wf.backstop_draw_usd_bn - wf.backstop_repaid_usd_bn
        support += self.operating_loss_carried_usd_bn
        return support

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
    {
        "oil_price_usd_per_bbl",
        "capex_overrun_factor",
        "reservoir_factor",
        "production_kbd",
        "us_supply_kbd",
        "operating_loss_carried_usd_bn",
        "pemex_support_usd_bn",
    }
)


def run_paths(plan: Plan, draws: FloatArray, *, standalone: bool = True) -> PathFlows:
    """Run the model chain on every path.

    Parameters
    ----------
    plan
        The deterministic part of the run.
    draws
        Standard normals, shape (``plan.n_draws``, paths): row 0 the capex overrun, row 1
        the reservoir factor, then the price shocks, then one row a year for the export mix.
    standalone
        False: leave ``standalone_default`` as ``default`` on the paths that drew the backstop
        too, for the caller to settle with :func:`standalone_default` (the engine gathers the
        few such paths of many blocks into one run).

    Returns
    -------
    PathFlows
        With the default of each path without the backstop: the waterfall run again, on the
        paths that drew it (the others would follow the same course).
    """
    years = plan.scenario.horizon.years
    pemex, op, risks = plan.pemex, plan.oil_price, plan.risks
    shocks = draws[FACTOR_DRAWS : plan.n_draws - years]
    tranches = plan.capex_kbd.shape[1]
    z_price = window_shock(op, years=years, shocks=shocks, window=range(tranches))
    z_overrun, z_reservoir = correlated_normals(z_price, draws[0], draws[1], risks)
    overrun = lognormal_factor(z_overrun, pemex.capex_overrun_sd)
    reservoir = lognormal_factor(z_reservoir, pemex.reservoir_factor_sd)
    level = price_level(op, start_year=plan.scenario.horizon.start_year, years=years)
    price = price_paths(op, years=years, shocks=shocks, level=level)
    base_kbd, cost = plan.base_kbd, None
    hedge = plan.hedge
    hedged = bool(np.any(hedge.share_of_added_oil))
    if np.any(pemex.cost_price_elasticity) or hedged:
        expected = expected_price_path(op, years=years, level=level)
    if np.any(pemex.cost_price_elasticity):
        cost = cost_index(price, expected, pemex.cost_price_elasticity)
        base_kbd = priced_kbd(plan.capex_kbd, cost[:tranches])
    mix = None
    if np.any(risks.export_mix_sd):
        mix = export_mix_factor(draws[plan.n_draws - years :], risks)
    cash = field_cash_flows(
        base_kbd,
        reservoir / overrun,
        price,
        oil_price=op,
        pemex=pemex,
        fiscal=plan.fiscal,
        cost=cost,
        mix=mix,
        start_year=plan.scenario.horizon.start_year,
        capex_usd_bn=plan.schedule.capex_usd_bn,
    )
    if hedged:
        forward, spread = forward_and_spread(op, price, level, expected)
        export = price * op.realized_price_factor
        if mix is not None:
            export = export * mix
        oil = mmbbl_per_year(base_kbd.reshape(years, -1)) * (
            (1.0 - pemex.gas_share_boe) * (reservoir / overrun)
        )
        flows = hedge_flows(
            hedge,
            export_forward=forward * op.realized_price_factor,
            export_price=export,
            spread=spread,
            oil_mmbbl=oil,
        )
        cfads = cash.cfads_usd_bn - flows.premium_usd_bn
        cfads += flows.payoff_usd_bn
        cash = replace(
            cash,
            cfads_usd_bn=cfads,
            hedge_premium_usd_bn=flows.premium_usd_bn,
            hedge_payoff_usd_bn=flows.payoff_usd_bn,
        )
    coupon = plan.naef.coupon_rate
    index = backstop_index(plan, price)
    wf = run_waterfall(
        cash.cfads_usd_bn, plan.schedule, index, coupon_rate=coupon, waterfall=plan.waterfall
    )
    defaulted, first = default_year(wf, plan.schedule)
    alone = defaulted.copy()
    drew: npt.NDArray[np.bool_] = np.asarray(
        (wf.backstop_draw_usd_bn > SHORTFALL_EPS_USD_BN).any(axis=0)
    )
    if standalone and drew.any():  # without the backstop, only a path that drew on it can
        paths = np.flatnonzero(drew)  # fare otherwise
        alone[drew] = standalone_default(
            plan.take(paths), cash.cfads_usd_bn[:, drew], index[:, drew]
        )
    return PathFlows(
        oil_price_usd_per_bbl=price,
        capex_overrun_factor=overrun,
        reservoir_factor=reservoir,
        base_kbd=base_kbd,
        field=cash,
        waterfall=wf,
        fund=run_fund(wf.mdf_inflow_usd_bn, plan.mdf),
        first_default=first,
        pemex_support=drew,
        standalone_default=alone,
        us_oil_share=(1.0 - pemex.gas_share_boe) * pemex.us_export_share,
    )


def _spread(plans: tuple[Plan, ...], index: npt.NDArray[np.int64]) -> dict[str, Any]:
    """The fields of :class:`Plan` that differ between parameter sets, one per path: path ``p``
    takes those of ``plans[index[p]]`` (``index`` non-decreasing: the paths of a set in a
    row)."""
    counts = np.bincount(index, minlength=len(plans))

    def spread(name: str) -> FloatArray:
        return np.repeat(np.stack([getattr(p, name) for p in plans], axis=-1), counts, -1)

    return {
        "schedule": DebtSchedule.stack([p.schedule for p in plans], index),
        "base_kbd": spread("base_kbd"),
        "capex_kbd": spread("capex_kbd"),
        "discount": spread("discount"),
        "set_plans": (plans, index),
    }


def backstop_index(plan: Plan, price: FloatArray) -> FloatArray:
    """The benchmark price over its level when the backstop was pledged [-], (years, paths).

    The backstop pledges a volume of export revenue, worth its cap at the price of the pledge
    (an index past 1e300, from a pledge at a subnormal price, is as good as unlimited).
    """
    with np.errstate(over="ignore"):
        index = price / np.asarray(plan.oil_price.initial_usd_per_bbl, dtype=float)
    np.minimum(index, 1e300, out=index)
    return index


def standalone_default(
    plan: Plan, cfads_usd_bn: FloatArray, index: FloatArray
) -> npt.NDArray[np.bool_]:
    """Whether each path defaults without the backstop, shape (paths,).

    Parameters
    ----------
    plan
        The plan of these paths (:meth:`Plan.take`).
    cfads_usd_bn
        Their CFADS [USD bn], shape (years, paths).
    index
        Their :func:`backstop_index` [-], shape (years, paths).
    """
    alone = run_waterfall(
        cfads_usd_bn,
        plan.schedule,
        index,
        coupon_rate=plan.naef.coupon_rate,
        waterfall=plan.waterfall,
        backstop=False,
    )
    return default_year(alone, plan.schedule)[0]


def default_year(
    flows: WaterfallFlows, schedule: DebtSchedule
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Whether each path defaults, and the index of the year it first does (-1: never).

    A default is interest left unpaid in a year, or principal still unpaid at the end of a
    year in which a tranche reaches its final maturity (amounts above
    :data:`~simulator.model.metrics.SHORTFALL_EPS_USD_BN`, which is rounding).
    """
    bad = flows.unpaid_interest_usd_bn > SHORTFALL_EPS_USD_BN
    final = schedule.legal_final
    if final.any():
        bad[final] |= flows.shortfall_usd_bn[final] > SHORTFALL_EPS_USD_BN
    defaulted: npt.NDArray[np.bool_] = np.asarray(bad.any(axis=0))
    first: npt.NDArray[np.int64] = np.where(defaulted, first_flagged(bad, defaulted), -1)
    return defaulted, first


def _nan_min_mean(values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Minimum and mean over the years of the finite values of each path (NaN: none)."""
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    some = count > 0
    low = np.where(finite, values, np.inf).min(axis=0)
    total = sum_over_years(np.where(finite, values, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(some, total / count, np.nan)
    return np.where(some, low, np.nan), mean


def sector_metrics(plan: Plan, flows: PathFlows) -> dict[str, FloatArray]:
    """The per-path outputs of each sector of the fund
    (:data:`simulator.outputs.SECTOR_METRICS`), each shape
    (sectors, paths), sectors in the order of ``mdf.sector_names``. The uplift of a sector is
    its share of the log of the combined factor, so the sectors' uplifts add up to the whole."""
    fund = flows.fund
    return {
        "investment_total_usd_bn": np.stack(
            [sum_over_years(part) for part in fund.sector_investment_usd_bn]
        ),
        "capital_final_usd_bn": fund.sector_capital_usd_bn[:, -1].copy(),
        "gdp_uplift_pv_usd_bn": np.stack(
            [present_value(plan.discount, part) for part in fund.sector_gdp_uplift_usd_bn]
        ),
    }


def _loan_receipts(fund: FundFlows) -> FloatArray:
    """Principal and interest the lending sectors received over the horizon [USD bn]."""
    total: FloatArray = sum_over_years(fund.loan_principal_repaid_usd_bn)
    total += sum_over_years(fund.loan_interest_usd_bn)
    return total


#: The year of the horizon the verdict sets against the claim that exports double by 2010 (a
#: 2006 start) [index].
FIFTH_YEAR = 4


def _fifth_year_oil(
    base: FloatArray, factor: FloatArray, pemex: Pemex | PerPath[Pemex]
) -> FloatArray:
    """Added oil (not gas) produced in the fifth year of the horizon [kb/d], shape (paths,);
    NaN on a horizon of fewer years. As :attr:`PathFlows.production_kbd` of that year (the
    base profile, (years, 1 or paths), times the path's factor) times the oil's share of the
    boe."""
    if base.shape[0] <= FIFTH_YEAR:
        return np.full(factor.shape[0], np.nan)
    oil: FloatArray = base[FIFTH_YEAR] * factor * (1.0 - pemex.gas_share_boe)
    return oil


def _us_supply_peak(base: FloatArray, factor: FloatArray, us_oil_share: Any) -> FloatArray:
    """The largest yearly added oil shipped to the United States [kb/d], shape (paths,).

    The production of a year is the base profile, (years, 1 or paths), times the path's
    factor, so its largest is found on the base profile before the factor.
    """
    peak: FloatArray = base.max(axis=0) * factor * us_oil_share
    return peak


def holder_value(plan: Plan, flows: PathFlows) -> dict[str, FloatArray]:
    """What the holders of the notes get, per path: ``holder_loss`` [-] and ``holder_pv_usd_bn``.

    Holders receive the debt service paid (by the cash, the reserves or the backstop) and any
    principal a sweep prepays, pari passu across tranches, until ``T``, the last final maturity
    plus ``credit.tail_years``; what is then still unpaid is lost but for
    ``naef.recovery_rate`` of it, recovered in ``T``. ``holder_loss = 1 - (PV of what they
    get) / (PV of the scheduled service)``, both at the coupon (its mean over paths is the
    expected loss); ``holder_pv_usd_bn`` is what they get, at the credit's discount rate
    (``credit.risk_free_rate + credit.risk_premium``), for the fair coupon. NaN on every path
    when the horizon ends before ``T`` or nothing is issued.
    """
    sc = plan.scenario
    wf = flows.waterfall
    years, n = wf.cash_usd_bn.shape
    last = plan.schedule.last_maturity
    end = last + sc.credit.tail_years
    if last < 0 or end > years - 1:
        undefined = np.full(n, np.nan)
        return {"holder_loss": undefined, "holder_pv_usd_bn": undefined.copy()}
    rows = slice(0, end + 1)
    paid = wf.debt_service_paid_usd_bn[rows] + wf.debt_prepaid_usd_bn[rows]
    recovered = plan.naef.recovery_rate * wf.shortfall_usd_bn[end]
    t = np.arange(end + 1, dtype=float).reshape(end + 1, 1)
    at_coupon = (1.0 + np.asarray(plan.naef.coupon_rate, dtype=float)) ** -t
    service = plan.schedule.service_usd_bn[rows]
    if at_coupon.shape[1] == 1 and service.ndim == 1:  # the same on every path: one column
        scheduled = np.broadcast_to(present_value(at_coupon, service.reshape(-1, 1)), (n,))
    else:
        scheduled = present_value(at_coupon, _rows_of(plan.schedule.service_usd_bn, rows, n))
    got = present_value(at_coupon, paid) + recovered * at_coupon[-1]
    rate = sc.credit.risk_free_rate + sc.credit.risk_premium
    at_rate = (1.0 + rate) ** -t
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = np.where(scheduled > 0.0, 1.0 - got / scheduled, np.nan)
    return {
        "holder_loss": loss,
        "holder_pv_usd_bn": present_value(at_rate, paid) + recovered * at_rate[-1],
    }


def _rows_of(values: FloatArray, rows: slice, paths: int) -> FloatArray:
    """Some years of a schedule array, (years,) or (years, paths), as (rows, paths)."""
    part = values[rows]
    out: FloatArray = np.broadcast_to(part.reshape(part.shape[0], -1), (part.shape[0], paths))
    return out


def mexico_benefit_pv(plan: Plan, flows: PathFlows) -> FloatArray:
    """What Mexico's public sector gets, as a present value [USD bn], shape (paths,).

    Read from the waterfall's sources: the government take, plus the project's cash (CFADS
    and reserve income) less the debt service it paid itself (the service paid less what the
    interest reserve paid), plus what the reserve account paid out (draws and releases) less
    what went into it (top-ups and trapped cash), less principal prepaid by a sweep; plus the
    reserves still held at the horizon (reserve account and interest reserve), discounted
    from the last year. By the waterfall's identity this is the take, the MDF's inflows,
    Pemex's retained cash and its backstop repayments less its draws: money that moves within
    Mexico's public sector counts once, the GDP uplift not at all.
    """
    wf = flows.waterfall
    own = flows.field.government_take_usd_bn + wf.cash_usd_bn
    own -= wf.debt_service_paid_usd_bn
    # (a flow the structure never moves is left out: it adds nothing)
    for values in (wf.interest_reserve_paid_usd_bn, wf.dsra_draw_usd_bn, wf.dsra_release_usd_bn):
        if not is_idle(values):
            own += values
    for values in (wf.dsra_topup_usd_bn, wf.cash_trapped_usd_bn, wf.debt_prepaid_usd_bn):
        if not is_idle(values):
            own -= values
    left = wf.dsra_balance_usd_bn[-1] + wf.interest_reserve_balance_usd_bn[-1]
    last = plan.discount.reshape(plan.discount.shape[0], -1)[-1]
    result: FloatArray = present_value(plan.discount, own) + left * last
    return result


def coverage_years(schedule: DebtSchedule) -> int:
    """The years that can have a coverage ratio: up to the last with scheduled service on any
    path (later ones have none to cover, whatever happens on the path) [-]."""
    service = schedule.service_usd_bn.reshape(schedule.service_usd_bn.shape[0], -1)
    busy = np.flatnonzero((service > MIN_SERVICE_USD_BN).any(axis=1))
    return int(busy[-1]) + 1 if busy.size else 0


def llcr(plan: Plan, flows: PathFlows, *, rows: int | None = None) -> FloatArray:
    """Loan life coverage ratio by year and path [-]; NaN outside the years with net service.

    ``LLCR_t = [sum_{s=t..T_m} CFADS_s (1+c)^-(s-t+1) + DSRA at the start of t] / (principal
    + arrears outstanding at the start of t)``, ``T_m`` the last final maturity (or the last
    year of the horizon, whose CFADS is all there is).

    ``rows``: the first years only (:func:`coverage_years`: the others are NaN); default all.
    """
    wf = flows.waterfall
    cfads = flows.field.cfads_usd_bn
    years = cfads.shape[0]
    rows = years if rows is None else min(rows, years)
    last = min(plan.schedule.last_maturity, years - 1)
    discount = 1.0 / (1.0 + np.asarray(plan.naef.coupon_rate, dtype=float))
    value = np.zeros((rows, cfads.shape[1]))
    ahead = np.zeros(cfads.shape[1])
    for t in range(last, -1, -1):
        ahead = (cfads[t] + ahead) * discount
        if t < rows:
            value[t] = ahead
    value[1:] += wf.dsra_balance_usd_bn[: rows - 1]
    owed = np.array(wf.debt_balance_start_usd_bn[:rows])
    owed[1:] += wf.shortfall_usd_bn[: rows - 1]
    window = np.isfinite(wf.dscr[:rows]) & (owed > SHORTFALL_EPS_USD_BN)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # outside the window
        return np.where(window, value / owed, np.nan)


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
        Metric name -> array of shape (paths,), in the unit the catalogue gives it; flags
        (``default``, ``standalone_default``, ``pemex_support``, ``distress``) are boolean.
    """
    sc = plan.scenario
    years = sc.horizon.years
    wf, fund = flows.waterfall, flows.fund
    cfads = flows.field.cfads_usd_bn
    take = flows.field.government_take_usd_bn
    short = wf.shortfall_usd_bn
    in_short = short > SHORTFALL_EPS_USD_BN
    distress = np.asarray(in_short.any(axis=0))
    first_default = flows.first_default
    defaulted = first_default >= 0
    factor = flows.reservoir_factor / flows.capex_overrun_factor
    pemex = plan.pemex
    rows = max(coverage_years(plan.schedule), 1)  # (one NaN row: nothing issued)
    min_dscr, avg_dscr = _nan_min_mean(wf.dscr[:rows])
    min_llcr, _ = _nan_min_mean(llcr(plan, flows, rows=rows))
    base = flows.base_kbd.reshape(years, -1)
    after = base[plan.schedule.last_maturity + 1 :] if plan.schedule.last_maturity >= 0 else base
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = sum_over_years(after) / sum_over_years(base) if len(after) else 0.0 * base[0]
    n = cfads.shape[1]
    return {
        "mdf_inflow_total_usd_bn": sum_over_years(wf.mdf_inflow_usd_bn),
        "mdf_inflow_pv_usd_bn": present_value(plan.discount, wf.mdf_inflow_usd_bn),
        "infrastructure_investment_total_usd_bn": sum_over_years(
            fund.infrastructure_investment_usd_bn
        ),
        "infrastructure_capital_final_usd_bn": fund.infrastructure_capital_usd_bn[-1].copy(),
        "gdp_uplift_final_pct": 100.0 * fund.gdp_uplift_usd_bn[-1] / fund.gdp_usd_bn[-1],
        "gdp_uplift_pv_usd_bn": present_value(plan.discount, fund.gdp_uplift_usd_bn),
        "loan_receipts_total_usd_bn": _loan_receipts(fund),
        "loans_written_off_total_usd_bn": sum_over_years(fund.loans_written_off_usd_bn),
        "default": defaulted,
        "first_default_year": np.where(defaulted, sc.horizon.start_year + first_default, np.nan),
        "standalone_default": flows.standalone_default,
        "pemex_support": flows.pemex_support,
        "pemex_support_pv_usd_bn": present_value(plan.discount, flows.pemex_support_usd_bn),
        "min_dscr": min_dscr,
        "avg_dscr": avg_dscr,
        "min_llcr": min_llcr,
        "tail_share": np.broadcast_to(tail, (n,)).copy(),
        "distress": distress,
        "first_shortfall_year": np.where(
            distress, sc.horizon.start_year + first_flagged(in_short, distress), np.nan
        ),
        "shortfall_total_usd_bn": sum_over_years(wf.new_shortfall_usd_bn),
        "backstop_draw_total_usd_bn": sum_over_years(wf.backstop_draw_usd_bn),
        "cash_trapped_total_usd_bn": sum_over_years(wf.cash_trapped_usd_bn),
        "project_irr": irr(cfads - plan.schedule.capex_usd_bn.reshape(years, -1)),
        "us_supply_total_mmbbl": pemex.us_export_share
        * oil_mmbbl_total(flows.base_kbd, factor, pemex),
        "added_oil_fifth_year_kbd": _fifth_year_oil(base, factor, pemex),
        "us_supply_gulf_share_max": _us_supply_peak(base, factor, flows.us_oil_share)
        / np.asarray(plan.reporting.us_gulf_crude_imports_kbd, dtype=float),
        "government_take_pv_usd_bn": present_value(plan.discount, take),
        "take_value_pv_usd_bn": present_value(plan.discount, flows.field.take_value_usd_bn),
        "take_profit_pv_usd_bn": present_value(plan.discount, flows.field.take_profit_usd_bn),
        "take_export_pv_usd_bn": present_value(plan.discount, flows.field.take_export_usd_bn),
        **holder_value(plan, flows),
        "hedge_premium_pv_usd_bn": present_value(plan.discount, flows.field.hedge_premium_usd_bn),
        "hedge_payoff_pv_usd_bn": present_value(plan.discount, flows.field.hedge_payoff_usd_bn),
        "mexico_benefit_pv_usd_bn": mexico_benefit_pv(plan, flows),
        "debt_outstanding_at_horizon_usd_bn": plan.schedule.outstanding_at_horizon_usd_bn
        + short[-1],
        "capex_overrun_factor": flows.capex_overrun_factor,
        "reservoir_factor": flows.reservoir_factor,
    }
