"""The catalogue of outputs: every figure the simulator reports, described once.

Each entry says what an output is (``kinds``: a per-path ``metric``, a per-year ``series``, a
``ledger`` column, a ``headline`` figure, or the result of an ``analysis``), its unit, a label
without the unit, a description, whether more of it is ``better`` (``higher``, ``lower`` or
``none``) and how it is shown (``format``, a Python/d3 number format of the displayed value;
``percent`` for fractions shown in per cent, whose changes are percentage points). A headline
figure also says which metric it summarizes (``of``) and how (``statistic``).

Everything else is derived from here: the columns of ``Results.metrics``, the series and fans,
the ledger's columns, the headline figures and their standard errors, labels and units of the
CLI, the page, the figures and the report, the colour of a change, and the table of outputs in
the README. Adding an output is one entry here plus its formula (a per-path metric in
:func:`simulator.model.chain.path_metrics`, a flow in :class:`simulator.model.chain.PathFlows`).

This module is a leaf: it imports nothing from the simulator, so every layer may read it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "CATALOGUE",
    "FLAGS",
    "HEADLINE",
    "LEDGER",
    "METRICS",
    "OUTPUTS",
    "SECTOR_FLOWS",
    "SECTOR_METRICS",
    "SECTOR_OUTPUTS",
    "SERIES",
    "UNDEFINED_METRICS",
    "Better",
    "Kind",
    "Output",
    "display_scale",
    "format_change",
    "format_value",
    "markdown_table",
    "names",
    "output",
    "sector_output",
]

Kind = Literal["metric", "series", "ledger", "headline", "analysis", "by_sector", "sector_ledger"]
Better = Literal["higher", "lower", "none"]

#: Statistics a headline figure can take of its metric over the paths: the mean of a flag
#: (``probability``), the share of paths where the metric is above zero (``share_positive``),
#: the ``mean``, a percentile ``pNN``, or the mean of the lowest 5% (``cvar5``).
STATISTICS = ("probability", "share_positive", "mean", "cvar5")


@dataclass(frozen=True)
class Output:
    """One output of the simulator.

    Attributes
    ----------
    name
        The name used everywhere (a column, a series, a headline key).
    kinds
        What it is: ``metric`` (one value per path, a column of ``Results.metrics``),
        ``series`` (one value per year and path, ``Results.series`` and fans), ``ledger``
        (a column of ``Results.ledger``, the mean over paths by year), ``headline`` (one
        figure of the run, with its Monte Carlo standard error), ``analysis`` (a figure an
        analysis computes, e.g. a break-even price); for each sector of the Development
        Fund, ``by_sector`` (one value per path and sector, ``Results.sector_metrics``) or
        ``sector_ledger`` (by year and sector, the mean over paths,
        ``Results.sector_ledger``).
    unit
        Unit of the stored value: ``USD bn``, ``USD/bbl``, ``kb/d``, ``mmbbl``, ``-``
        (a ratio, a factor, a flag or a probability), ``1/year``, ``%``, ``year``.
    label
        A human label, without the unit.
    description
        What it is, in a sentence or two (tooltips, the README's table).
    better
        Whether a higher or a lower value is the better outcome, or ``none``.
    format
        Number format of the displayed value (a Python format spec that d3 also reads).
    percent
        The value is a fraction shown in per cent (changes in percentage points).
    of, statistic
        For a headline figure: the metric it summarizes and how (:data:`STATISTICS` or
        ``pNN``, a percentile).
    short
        A short name where space is scarce (the nodes of the money-flow chart); default the
        label.
    """

    name: str
    kinds: tuple[Kind, ...]
    unit: str
    label: str
    description: str
    better: Better = "none"
    format: str = ",.2f"
    percent: bool = False
    of: str | None = None
    statistic: str | None = None
    short: str = ""

    @property
    def short_label(self) -> str:
        """:attr:`short`, or the label when there is none."""
        return self.short or self.label

    @property
    def is_probability(self) -> bool:
        """A probability over the paths (the mean of a flag, or a share of paths)."""
        return self.statistic in ("probability", "share_positive")

    @property
    def percentile(self) -> float | None:
        """The percentile of a ``pNN`` statistic [%], else None."""
        if self.statistic and self.statistic.startswith("p") and self.statistic[1:].isdigit():
            return float(self.statistic[1:])
        return None

    @property
    def has_standard_error(self) -> bool:
        """Whether the figure comes with a Monte Carlo standard error (not ``cvar5``)."""
        return self.statistic != "cvar5"

    @property
    def display_unit(self) -> str:
        """Unit of the displayed value: ``%`` for a percent output, else :attr:`unit`."""
        return "%" if self.percent else self.unit

    @property
    def title(self) -> str:
        """The label with its displayed unit: ``"MDF inflow PV [USD bn]"``."""
        unit = self.display_unit
        return self.label if unit == "-" else f"{self.label} [{unit}]"


def _metric(
    name: str,
    unit: str,
    label: str,
    description: str,
    better: Better = "none",
    *,
    format: str = ",.2f",
    percent: bool = False,
) -> Output:
    return Output(name, ("metric",), unit, label, description, better, format, percent)


def _flow(
    name: str,
    kinds: tuple[Kind, ...],
    label: str,
    description: str,
    better: Better = "none",
    *,
    unit: str = "USD bn",
    format: str = ",.2f",
    short: str = "",
) -> Output:
    return Output(name, kinds, unit, label, description, better, format, short=short)


def _headline(
    name: str,
    of: str,
    statistic: str,
    label: str,
    description: str,
    better: Better,
    *,
    format: str = ",.2f",
    percent: bool = False,
) -> Output:
    # A probability is a fraction whatever the unit of the metric it counts.
    unit = "-" if statistic in ("probability", "share_positive") else _METRIC_UNITS[of]
    return Output(
        name, ("headline",), unit, label, description, better, format, percent, of, statistic
    )


S: tuple[Kind, ...] = ("series",)
L: tuple[Kind, ...] = ("ledger",)
SL: tuple[Kind, ...] = ("series", "ledger")

_METRICS: tuple[Output, ...] = (
    _metric(
        "mdf_inflow_total_usd_bn",
        "USD bn",
        "MDF inflow total",
        "Sum over the years of what reaches the Mexican Development Fund (nominal).",
        "higher",
    ),
    _metric(
        "mdf_inflow_pv_usd_bn",
        "USD bn",
        "MDF inflow PV",
        "Present value of the inflows to the Development Fund at the reporting discount rate.",
        "higher",
    ),
    _metric(
        "infrastructure_investment_total_usd_bn",
        "USD bn",
        "Infrastructure investment total",
        "Sum over the years of what the Development Fund invests.",
        "higher",
    ),
    _metric(
        "infrastructure_capital_final_usd_bn",
        "USD bn",
        "Added infrastructure capital at the horizon",
        "Capital stock the fund's investment built, after losses and depreciation, in the last "
        "year.",
        "higher",
    ),
    _metric(
        "gdp_uplift_final_pct",
        "%",
        "GDP uplift at the horizon",
        "GDP gained from the added capital in the last year, as a share of that year's GDP.",
        "higher",
        format=".3f",
    ),
    _metric(
        "gdp_uplift_pv_usd_bn",
        "USD bn",
        "GDP uplift PV",
        "Present value of the GDP gained from the added capital (not money paid to anyone).",
        "higher",
    ),
    _metric(
        "loan_receipts_total_usd_bn",
        "USD bn",
        "Loan repayments and interest total",
        "Principal and interest the fund's lending sectors received back over the horizon "
        "(returned to the fund's balance, not counted as GDP).",
        "higher",
    ),
    _metric(
        "loans_written_off_total_usd_bn",
        "USD bn",
        "Loans written off total",
        "Balance of the fund's loans to small firms that defaulted, over the horizon.",
        "lower",
    ),
    _metric(
        "default",
        "-",
        "Default",
        "Whether the securities default on the path: interest unpaid in some year, or principal "
        "unpaid at a tranche's final maturity, after the interest reserve, the reserve account "
        "and the backstop (1 or 0; its mean over paths is the probability of default).",
        "lower",
        percent=True,
    ),
    _metric(
        "first_default_year",
        "year",
        "First default year",
        "Calendar year of the path's first default; undefined without one.",
        format=".0f",
    ),
    _metric(
        "standalone_default",
        "-",
        "Stand-alone default",
        "Whether the securities would default on the path without the backstop: the "
        "structure's own credit, before Pemex's support.",
        "lower",
        percent=True,
    ),
    _metric(
        "pemex_support",
        "-",
        "Pemex support",
        "Whether Pemex's backstop pays some debt service on the path.",
        "lower",
        percent=True,
    ),
    _metric(
        "pemex_support_pv_usd_bn",
        "USD bn",
        "Pemex support PV",
        "Present value of what Pemex puts in: backstop draws less repayments with interest, "
        "plus operating losses it carries.",
        "lower",
    ),
    _metric(
        "min_dscr",
        "-",
        "Minimum DSCR",
        "Lowest yearly ratio of CFADS to the debt service the interest reserve does not pay, "
        "over the years with such service.",
        "higher",
    ),
    _metric(
        "avg_dscr",
        "-",
        "Average DSCR",
        "Mean of the yearly ratios of CFADS to the debt service the interest reserve does not "
        "pay, over the years with such service.",
        "higher",
    ),
    _metric(
        "min_llcr",
        "-",
        "Minimum LLCR",
        "Lowest loan life coverage ratio: CFADS to the last final maturity discounted at the "
        "coupon, plus the reserve account, over the principal and arrears outstanding.",
        "higher",
    ),
    _metric(
        "tail_share",
        "-",
        "Production tail",
        "Share of the added production within the horizon that comes after the last final "
        "maturity (a cushion lenders look for; the horizon cuts it short).",
        "higher",
        format=".1f",
        percent=True,
    ),
    _metric(
        "distress",
        "-",
        "Any shortfall",
        "Whether some debt service goes unpaid in some year, even principal paid later "
        "(1 or 0; a default is the stricter event).",
        "lower",
        percent=True,
    ),
    _metric(
        "first_shortfall_year",
        "year",
        "First shortfall year",
        "Calendar year of the first unpaid debt service; undefined without one.",
        format=".0f",
    ),
    _metric(
        "shortfall_total_usd_bn",
        "USD bn",
        "Shortfall total",
        "Debt service left unpaid, each amount counted once, when it first goes unpaid.",
        "lower",
    ),
    _metric(
        "backstop_draw_total_usd_bn",
        "USD bn",
        "Backstop draws total",
        "Sum of what the pledged Pemex export revenue paid towards debt service.",
        "lower",
    ),
    _metric(
        "cash_trapped_total_usd_bn",
        "USD bn",
        "Cash trapped total",
        "Sum of the surplus kept in the reserve account in locked-up years.",
        "none",
    ),
    _metric(
        "project_irr",
        "1/year",
        "Project IRR",
        "Internal rate of return of capex against CFADS; undefined where none exists.",
        "higher",
        format=".1f",
        percent=True,
    ),
    _metric(
        "us_supply_total_mmbbl",
        "mmbbl",
        "US supply added",
        "Added oil shipped to the United States over the horizon.",
        "higher",
        format=",.0f",
    ),
    _metric(
        "added_oil_fifth_year_kbd",
        "kb/d",
        "Added oil in the fifth year",
        "Added oil (not gas) produced in the fifth year of the horizon (2010 from a 2006 "
        "start), all of it for export: the year by which the proposal's advocates said Mexico's "
        "exports would double.",
        "higher",
        format=",.0f",
    ),
    _metric(
        "us_supply_gulf_share_max",
        "-",
        "US supply peak / 2005 Gulf imports",
        "The largest yearly added oil shipped to the United States, as a share of U.S. crude "
        "imports from the Persian Gulf in 2005 (reporting.us_gulf_crude_imports_kbd): the "
        "proposal's 'less dependence on Middle East oil'.",
        "higher",
        format=".1f",
        percent=True,
    ),
    _metric(
        "government_take_pv_usd_bn",
        "USD bn",
        "Government take PV",
        "Present value of the royalties and duties the added production pays.",
    ),
    _metric(
        "take_value_pv_usd_bn",
        "USD bn",
        "Take on value PV",
        "Present value of the duties on the value of the added production.",
    ),
    _metric(
        "take_profit_pv_usd_bn",
        "USD bn",
        "Take on profit PV",
        "Present value of the duties on value less capped deductions.",
    ),
    _metric(
        "take_export_pv_usd_bn",
        "USD bn",
        "Take on the export price PV",
        "Present value of the duties on the export price's excess over the budget price.",
    ),
    _metric(
        "holder_loss",
        "-",
        "Holders' loss",
        "Share of the scheduled debt service's PV (at the coupon) that holders do not get: "
        "unpaid at the last final maturity plus credit.tail_years, after naef.recovery_rate; "
        "undefined when the horizon ends before then.",
        "lower",
        format=".2f",
        percent=True,
    ),
    _metric(
        "holder_pv_usd_bn",
        "USD bn",
        "Holders' PV",
        "Present value, at the credit's risk-free rate plus premium, of what holders get (debt "
        "service paid, principal prepaid, recovery).",
        "higher",
    ),
    _metric(
        "hedge_premium_pv_usd_bn",
        "USD bn",
        "Hedge premium PV",
        "Present value of the premiums of the puts on the added oil (a senior operating cost).",
        "lower",
    ),
    _metric(
        "hedge_payoff_pv_usd_bn",
        "USD bn",
        "Hedge payoff PV",
        "Present value of what the puts paid (added to CFADS).",
        "higher",
    ),
    _metric(
        "mexico_benefit_pv_usd_bn",
        "USD bn",
        "Mexico's public benefit PV",
        "Present value of what Mexico's public sector gets: the government take, the MDF's "
        "inflows, Pemex's retained cash and backstop repayments less its draws, and the "
        "reserves left at the horizon, read from the waterfall so nothing counts twice (money "
        "that moves within the public sector once; the GDP uplift never).",
        "higher",
    ),
    _metric(
        "debt_outstanding_at_horizon_usd_bn",
        "USD bn",
        "Debt outstanding at the horizon",
        "Principal still scheduled after the last year plus arrears left unpaid.",
        "lower",
    ),
    _metric(
        "capex_overrun_factor",
        "-",
        "Capex overrun factor (drawn)",
        "The path's drawn capex overrun: the same money buys capacity divided by it.",
        format=".3f",
    ),
    _metric(
        "reservoir_factor",
        "-",
        "Reservoir factor (drawn)",
        "The path's drawn reservoir surprise: production is multiplied by it.",
        format=".3f",
    ),
)

_FLOWS: tuple[Output, ...] = (
    _flow("capex_usd_bn", L, "Capex", "Issue proceeds left for Pemex's investment."),
    _flow("fees_usd_bn", L, "Issuance cost", "Fees paid from the proceeds of each issue."),
    _flow(
        "interest_reserve_funding_usd_bn",
        L,
        "Interest reserve funded",
        "Proceeds set aside at each issue for the tranche's first years of interest.",
    ),
    _flow(
        "dsra_close_funding_usd_bn",
        L,
        "Reserve account funded at close",
        "Proceeds put into the debt service reserve at each issue.",
    ),
    _flow(
        "scheduled_service_usd_bn",
        L,
        "Scheduled debt service",
        "Interest and principal the securities' schedule calls for.",
    ),
    _flow(
        "oil_price_usd_per_bbl",
        S,
        "Oil price, WTI benchmark",
        "Annual average benchmark price of the path.",
        unit="USD/bbl",
        format=",.1f",
    ),
    _flow(
        "production_kbd",
        S,
        "Added production",
        "Oil and gas added by the programme, in barrels of oil equivalent.",
        "higher",
        unit="kb/d",
        format=",.0f",
    ),
    _flow(
        "revenue_usd_bn",
        SL,
        "Revenue of the added production",
        "Oil and gas sales.",
        "higher",
        short="Revenue",
    ),
    _flow(
        "opex_usd_bn",
        SL,
        "Operating cost",
        "Lifting cost and the oversight system.",
        "lower",
        short="Operating cost",
    ),
    _flow(
        "government_take_usd_bn",
        SL,
        "Government take",
        "Royalty and duties on the added production.",
        short="Government take",
    ),
    _flow(
        "take_value_usd_bn",
        SL,
        "Take on value",
        "Duties on the value of the added production: royalties, the stabilization-fund, "
        "research and audit duties, the 2025 duty on value.",
    ),
    _flow(
        "take_profit_usd_bn",
        SL,
        "Take on profit",
        "Duties on value less capped deductions: the ordinary hydrocarbons duty, the "
        "profit-sharing duty.",
    ),
    _flow(
        "take_export_usd_bn",
        SL,
        "Take on the export price",
        "Duties on the export price's excess over the budget price, times the oil exported "
        "(the extraordinary export duty).",
    ),
    _flow(
        "hedge_premium_usd_bn",
        SL,
        "Hedge premium",
        "Premium of the year's puts, accrued to the year's end; a senior operating cost.",
        "lower",
    ),
    _flow(
        "hedge_payoff_usd_bn",
        SL,
        "Hedge payoff",
        "What the year's puts paid: the strike's excess over the year's average export price, "
        "times the volume hedged.",
        "higher",
    ),
    _flow(
        "us_supply_kbd",
        S,
        "US supply added",
        "Added oil shipped to the United States.",
        "higher",
        unit="kb/d",
        format=",.0f",
    ),
    _flow(
        "cfads_usd_bn",
        SL,
        "Cash flow available for debt service, CFADS",
        "Revenue less operating cost, government take and the hedge's premium, plus the "
        "hedge's payoff.",
        "higher",
        short="CFADS",
    ),
    _flow(
        "reserve_income_usd_bn",
        L,
        "Reserve income",
        "Yield on the debt service reserve's opening balance.",
        short="Reserve income",
    ),
    _flow("cash_usd_bn", L, "Cash of the waterfall", "CFADS plus reserve income."),
    _flow(
        "interest_reserve_paid_usd_bn",
        L,
        "Interest paid by the interest reserve",
        "Interest the reserves funded at issue paid when due.",
        short="Interest reserve",
    ),
    _flow(
        "dsra_draw_usd_bn",
        L,
        "Debt service reserve draws",
        "Paid from the reserve towards debt service.",
        short="DSRA draws",
    ),
    _flow(
        "dsra_release_usd_bn",
        L,
        "Debt service reserve releases",
        "Reserve above its target, released into the surplus.",
        short="DSRA releases",
    ),
    _flow(
        "backstop_draw_usd_bn",
        SL,
        "Backstop draws",
        "Paid by the pledged Pemex export revenue towards debt service.",
        "lower",
        short="Backstop draws",
    ),
    _flow(
        "debt_service_due_usd_bn",
        SL,
        "Debt service due",
        "Scheduled service the interest reserve does not pay, plus last year's arrears with "
        "interest.",
    ),
    _flow(
        "debt_service_paid_usd_bn",
        SL,
        "Debt service paid",
        "What holders received, the interest reserve's payments included.",
        short="Debt service paid",
    ),
    _flow(
        "dscr",
        S,
        "Debt service coverage ratio, DSCR",
        "CFADS over the scheduled service the interest reserve does not pay; undefined in "
        "years with none.",
        "higher",
        unit="-",
    ),
    _flow(
        "dsra_balance_usd_bn",
        S,
        "Debt service reserve balance",
        "Balance of the reserve account at the end of the year.",
    ),
    _flow(
        "interest_reserve_balance_usd_bn",
        S,
        "Interest reserve balance",
        "What the interest reserves hold at the end of the year.",
    ),
    _flow(
        "shortfall_usd_bn",
        SL,
        "Debt service shortfall",
        "Due but unpaid after the reserves and the backstop; carried as arrears.",
        "lower",
    ),
    _flow(
        "dsra_topup_usd_bn",
        L,
        "Debt service reserve top-ups",
        "Paid from the surplus into the reserve up to its target.",
        short="DSRA top-ups",
    ),
    _flow(
        "cash_trapped_usd_bn",
        SL,
        "Cash trapped",
        "Surplus of a locked-up year (DSCR below the lock-up level, or not yet tested while "
        "debt is outstanding) kept in the reserve account.",
        short="Cash trapped",
    ),
    _flow(
        "backstop_interest_usd_bn",
        L,
        "Backstop interest",
        "Interest accrued on the backstop draws outstanding (Pemex's support is a loan).",
    ),
    _flow(
        "backstop_outstanding_usd_bn",
        S,
        "Backstop outstanding",
        "Backstop draws and their interest not yet repaid, at the end of the year.",
        "lower",
    ),
    _flow(
        "backstop_repaid_usd_bn",
        L,
        "Backstop repaid",
        "Backstop draws and their interest repaid from the surplus.",
        short="Backstop repaid",
    ),
    _flow(
        "debt_prepaid_usd_bn",
        L,
        "Principal prepaid",
        "Principal prepaid by the cash sweep.",
        short="Prepaid",
    ),
    _flow(
        "mdf_inflow_usd_bn",
        SL,
        "MDF inflow",
        "What reaches the Mexican Development Fund.",
        "higher",
        short="MDF",
    ),
    _flow(
        "pemex_retained_usd_bn",
        L,
        "Pemex retained",
        "Surplus kept by Pemex; negative where Pemex carried operating losses.",
        short="Pemex retained",
    ),
    _flow(
        "interest_reserve_to_dsra_usd_bn",
        L,
        "Interest reserve to reserve account",
        "What an interest reserve still holds when its window ends, moved to the reserve account.",
    ),
    _flow(
        "operating_loss_carried_usd_bn",
        SL,
        "Operating losses carried",
        "Negative operating cash (costs above revenue), carried by Pemex.",
        "lower",
    ),
    _flow(
        "pemex_support_usd_bn",
        S,
        "Pemex support",
        "Backstop draws less repayments with interest, plus operating losses carried.",
        "lower",
    ),
    _flow(
        "mdf_balance_usd_bn",
        S,
        "MDF balance",
        "Balance of the Development Fund at the end of the year.",
    ),
    _flow(
        "infrastructure_investment_usd_bn",
        S,
        "Infrastructure investment",
        "What the Development Fund invests in the year (all its sectors, loans included).",
        "higher",
    ),
    _flow(
        "infrastructure_capital_usd_bn",
        S,
        "Added infrastructure capital",
        "Capital stock built by the fund's investment, after losses and depreciation (all its "
        "sectors: public capital, the firms' capital its loans financed, and the schooling "
        "bought, at its cost).",
        "higher",
    ),
    _flow(
        "gdp_uplift_usd_bn",
        S,
        "GDP uplift",
        "GDP gained from the added capital (an effect on output, not money paid).",
        "higher",
    ),
    _flow(
        "schooling_years_added",
        S,
        "Schooling added",
        "Years of schooling the fund added to the average member of the labour force.",
        "higher",
        unit="year",
        format=",.4f",
    ),
    _flow(
        "loans_outstanding_usd_bn",
        S,
        "Loans outstanding",
        "Performing loans of the fund's lending sectors at the end of the year.",
    ),
    _flow(
        "loan_principal_repaid_usd_bn",
        S,
        "Loan principal repaid",
        "Principal the fund's borrowers repaid in the year.",
        "higher",
    ),
    _flow(
        "loan_interest_usd_bn",
        S,
        "Loan interest received",
        "Interest the fund's borrowers paid in the year.",
        "higher",
    ),
    _flow(
        "loans_written_off_usd_bn",
        S,
        "Loans written off",
        "Balance of the fund's loans that defaulted in the year.",
        "lower",
    ),
)

#: Unit of every metric, for the headline figures that summarize them.
_METRIC_UNITS = {o.name: o.unit for o in _METRICS}

_HEADLINE: tuple[Output, ...] = (
    _headline(
        "prob_default",
        "default",
        "probability",
        "Probability of default",
        "Share of paths on which the securities default: interest unpaid, or principal unpaid "
        "at final maturity, after the interest reserve, the reserve account and the backstop.",
        "lower",
        format=".2f",
        percent=True,
    ),
    _headline(
        "prob_standalone_default",
        "standalone_default",
        "probability",
        "Stand-alone probability of default",
        "Share of paths on which the securities would default without Pemex's backstop.",
        "lower",
        format=".2f",
        percent=True,
    ),
    _headline(
        "prob_pemex_support",
        "pemex_support",
        "probability",
        "Probability of Pemex support",
        "Share of paths on which Pemex's backstop pays some debt service.",
        "lower",
        format=".2f",
        percent=True,
    ),
    _headline(
        "pemex_support_pv_mean",
        "pemex_support_pv_usd_bn",
        "mean",
        "Pemex support PV, mean",
        "Mean over paths of the present value of what Pemex puts in.",
        "lower",
    ),
    _headline(
        "mdf_inflow_pv_p10",
        "mdf_inflow_pv_usd_bn",
        "p10",
        "MDF inflow PV, P10",
        "Present value reaching the Development Fund on a bad path: 10% of paths get less.",
        "higher",
    ),
    _headline(
        "mdf_inflow_pv_p50",
        "mdf_inflow_pv_usd_bn",
        "p50",
        "MDF inflow PV, P50",
        "Median present value reaching the Development Fund.",
        "higher",
    ),
    _headline(
        "mdf_inflow_pv_p90",
        "mdf_inflow_pv_usd_bn",
        "p90",
        "MDF inflow PV, P90",
        "Present value reaching the Development Fund on a good path: 10% of paths get more.",
        "higher",
    ),
    _headline(
        "expected_loss",
        "holder_loss",
        "mean",
        "Expected loss of the notes",
        "Mean over paths of the holders' loss: 1 - E[PV paid] / PV scheduled, at the coupon.",
        "lower",
        format=".2f",
        percent=True,
    ),
    _headline(
        "mexico_benefit_pv_p50",
        "mexico_benefit_pv_usd_bn",
        "p50",
        "Mexico's public benefit PV, P50",
        "Median present value of what Mexico's public sector gets (government take, MDF, "
        "Pemex's net cash), next to the MDF's share of it.",
        "higher",
    ),
    _headline(
        "government_take_pv_mean",
        "government_take_pv_usd_bn",
        "mean",
        "Government take PV, mean",
        "Mean present value of the royalties and duties on the added production.",
        "none",
    ),
    _headline(
        "mdf_inflow_pv_cvar5",
        "mdf_inflow_pv_usd_bn",
        "cvar5",
        "MDF inflow PV, mean of worst 5%",
        "Mean present value reaching the Development Fund over the worst 5% of paths.",
        "higher",
    ),
    _headline(
        "mdf_inflow_total_mean",
        "mdf_inflow_total_usd_bn",
        "mean",
        "MDF inflow total, mean",
        "Mean over paths of the nominal sum reaching the Development Fund.",
        "higher",
    ),
    _headline(
        "min_dscr_p50",
        "min_dscr",
        "p50",
        "Minimum DSCR, median",
        "Median over paths of the lowest yearly coverage of the service on cash.",
        "higher",
    ),
    _headline(
        "avg_dscr_p50",
        "avg_dscr",
        "p50",
        "Average DSCR, median",
        "Median over paths of the average yearly coverage of the service on cash.",
        "higher",
    ),
    _headline(
        "min_llcr_p50",
        "min_llcr",
        "p50",
        "Minimum LLCR, median",
        "Median over paths of the lowest loan life coverage ratio.",
        "higher",
    ),
    _headline(
        "project_irr_p50",
        "project_irr",
        "p50",
        "Project IRR, median",
        "Median over paths of the internal rate of return of capex against CFADS.",
        "higher",
        format=".1f",
        percent=True,
    ),
    _headline(
        "us_supply_total_mean",
        "us_supply_total_mmbbl",
        "mean",
        "US supply added, mean",
        "Mean over paths of the added oil shipped to the United States.",
        "higher",
        format=",.0f",
    ),
    _headline(
        "us_supply_gulf_share_max_p50",
        "us_supply_gulf_share_max",
        "p50",
        "US supply peak / 2005 Gulf imports, P50",
        "Median over paths of the largest yearly added supply to the United States as a share "
        "of its 2005 crude imports from the Persian Gulf.",
        "higher",
        format=".1f",
        percent=True,
    ),
)

_ANALYSIS: tuple[Output, ...] = (
    Output(
        "breakeven_usd_per_bbl",
        ("analysis",),
        "USD/bbl",
        "Break-even oil price (minimum DSCR 1)",
        "Flat WTI price, every year, at which the minimum DSCR is 1 in the median case (no "
        "overrun or reservoir surprise, the export mix at its mean), in the dollars of the "
        "scenario's price basis (real basis: constant dollars of the year before the start, "
        "rising with inflation in nominal terms).",
        "lower",
        format=",.1f",
    ),
)

#: Outputs of each sector of the Development Fund (:func:`simulator.model.chain.sector_metrics`
#: and the fund's flows by sector); a fund without sectors is one, ``infrastructure``.
_BY_SECTOR: tuple[Output, ...] = (
    Output(
        "investment_total_usd_bn",
        ("by_sector",),
        "USD bn",
        "Investment total",
        "Sum over the years of what the Development Fund invests in the sector (a lending "
        "sector's loans).",
        "higher",
        short="Invested",
    ),
    Output(
        "capital_final_usd_bn",
        ("by_sector",),
        "USD bn",
        "Productive capital at the horizon",
        "The sector's capital in the last year, after losses and depreciation: public capital, "
        "the firms' capital a lending sector's loans financed, or the schooling bought, at its "
        "cost.",
        "higher",
    ),
    Output(
        "gdp_uplift_pv_usd_bn",
        ("by_sector",),
        "USD bn",
        "GDP uplift PV",
        "Present value of the sector's part of the GDP uplift: its share of the log of the "
        "sectors' combined output factor, so the sectors' parts add up to the fund's.",
        "higher",
    ),
    Output(
        "sector_investment_usd_bn",
        ("sector_ledger",),
        "USD bn",
        "Fund investment",
        "What the Development Fund invests in the sector in the year (a lending sector's loans).",
        "higher",
    ),
    Output(
        "sector_capital_usd_bn",
        ("sector_ledger",),
        "USD bn",
        "Productive capital",
        "The sector's capital at the end of the year, after losses and depreciation.",
        "higher",
    ),
    Output(
        "sector_gdp_uplift_usd_bn",
        ("sector_ledger",),
        "USD bn",
        "GDP uplift",
        "The sector's part of the year's GDP uplift (an effect on output, not money paid).",
        "higher",
    ),
)

#: Every output, in the order tables list them.
CATALOGUE: tuple[Output, ...] = (*_HEADLINE, *_METRICS, *_FLOWS, *_ANALYSIS)

#: Every output by name.
OUTPUTS = MappingProxyType({o.name: o for o in CATALOGUE})


def names(kind: Kind) -> tuple[str, ...]:
    """The names of the outputs of one kind, in catalogue order."""
    return tuple(o.name for o in CATALOGUE if kind in o.kinds)


#: Per-path metrics: the columns of ``Results.metrics``, in order.
METRICS = names("metric")
#: Per-year series: ``Results.series`` and the fans, in order.
SERIES = names("series")
#: Columns of ``Results.ledger``, in order.
LEDGER = names("ledger")
#: Headline figures: ``Results.headline``, the CLI summary and the cards, in order.
HEADLINE = names("headline")
#: The outputs of each sector of the fund by name. Kept apart from :data:`OUTPUTS`: a sector's
#: part of an output may have the name of the whole (``gdp_uplift_pv_usd_bn``).
SECTOR_OUTPUTS = MappingProxyType({o.name: o for o in _BY_SECTOR})
#: Per-path outputs of each sector: the first level of ``Results.sector_metrics``'s columns.
SECTOR_METRICS: tuple[str, ...] = tuple(o.name for o in _BY_SECTOR if "by_sector" in o.kinds)
#: Flows of each sector by year: the first level of ``Results.sector_ledger``'s columns.
SECTOR_FLOWS: tuple[str, ...] = tuple(o.name for o in _BY_SECTOR if "sector_ledger" in o.kinds)
#: Per-path metrics that are flags (booleans; a probability is their mean over paths).
FLAGS: tuple[str, ...] = ("default", "standalone_default", "pemex_support", "distress")
#: Per-path metrics undefined (NaN) on some paths, and where: the IRR without a root in
#: (-99%, 10,000%); the first shortfall or default year without one; the coverage ratios
#: without debt service on the cash within the horizon; the production tail without production;
#: the holders' value when the horizon ends before the notes; the fifth year's oil in a horizon
#: of fewer years.
UNDEFINED_METRICS: frozenset[str] = frozenset(
    {
        "project_irr",
        "first_shortfall_year",
        "first_default_year",
        "min_dscr",
        "avg_dscr",
        "min_llcr",
        "tail_share",
        "holder_loss",
        "holder_pv_usd_bn",
        "added_oil_fifth_year_kbd",
    }
)


def output(name: str) -> Output:
    """The entry of an output; a headline key's ``_se`` names its standard error's entry.

    Raises
    ------
    KeyError
        For a name that is not in the catalogue, naming the known ones.
    """
    try:
        return OUTPUTS[name.removesuffix("_se")]
    except KeyError:
        raise KeyError(f"unknown output {name!r}; known: {', '.join(OUTPUTS)}") from None


def sector_output(name: str) -> Output:
    """The entry of an output by sector (:data:`SECTOR_OUTPUTS`).

    Raises
    ------
    KeyError
        For a name that is not one, naming the known ones.
    """
    try:
        return SECTOR_OUTPUTS[name]
    except KeyError:
        known = ", ".join(SECTOR_OUTPUTS)
        raise KeyError(f"unknown output by sector {name!r}; known: {known}") from None


def display_scale(name: str) -> float:
    """Factor from the stored value to the displayed one: 100 for a percent output, else 1."""
    return 100.0 if output(name).percent else 1.0


def _plain(text: str) -> str:
    """``"-0.0"`` -> ``"0.0"``: a value that rounds to zero shows no sign."""
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return text[1:]
    return text


def format_value(name: str, value: float, *, unit: bool = True) -> str:
    """A value as displayed: ``"5.44 %"``, ``"74.13 USD bn"``, ``"0.49"``; ``"n/a"`` if NaN.

    Parameters
    ----------
    name
        The output (a ``_se`` suffix formats a standard error in the output's units).
    value
        The stored value (a fraction for a percent output).
    unit
        Append the displayed unit (none for ``-`` and ``year``).
    """
    entry = output(name)
    if not math.isfinite(value):
        return "n/a"
    text = _plain(format(value * display_scale(name), entry.format))
    shown = entry.display_unit
    if unit and shown not in ("-", "year"):
        text += " %" if shown == "%" else f" {shown}"
    return text


def format_change(name: str, delta: float) -> str:
    """A change of an output, signed, in its displayed unit; percentage points for percents."""
    entry = output(name)
    if not math.isfinite(delta):
        return "n/a"
    text = _plain(format(delta * display_scale(name), "+" + entry.format.lstrip("+")))
    if entry.percent:
        return f"{text} pp"
    shown = entry.display_unit
    return text if shown in ("-", "year") else f"{text} {shown}"


def markdown_table(entries: Iterable[Output] = CATALOGUE) -> str:
    """The outputs as a Markdown table (the README's tables of outputs: the catalogue, and
    ``SECTOR_OUTPUTS.values()`` by sector)."""
    rows = [
        "| name | kind | unit | better | description |",
        "|---|---|---|---|---|",
    ]
    for o in entries:
        kinds = ", ".join(o.kinds)
        what = o.label + ". " + o.description
        if o.of is not None:
            what += f" ({o.statistic} of `{o.of}`)"
        rows.append(f"| `{o.name}` | {kinds} | {o.display_unit} | {o.better} | {what} |")
    return "\n".join(rows) + "\n"
