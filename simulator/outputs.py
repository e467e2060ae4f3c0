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
    "HEADLINE",
    "LEDGER",
    "METRICS",
    "OUTPUTS",
    "SERIES",
    "Better",
    "Kind",
    "Output",
    "display_scale",
    "format_change",
    "format_value",
    "markdown_table",
    "names",
    "output",
]

Kind = Literal["metric", "series", "ledger", "headline", "analysis"]
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
        figure of the run, with its Monte Carlo standard error) or ``analysis`` (a figure an
        analysis computes, e.g. a break-even price).
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
        "min_dscr",
        "-",
        "Minimum DSCR",
        "Lowest yearly ratio of CFADS to scheduled debt service over the years with service.",
        "higher",
    ),
    _metric(
        "min_dscr_operating",
        "-",
        "Minimum DSCR once producing",
        "Lowest yearly ratio of CFADS to scheduled debt service over the years with service "
        "and production.",
        "higher",
    ),
    _metric(
        "distress",
        "-",
        "In distress",
        "Whether the path ever leaves debt service unpaid after the reserve and the backstop "
        "(1 or 0; its mean over paths is the probability of distress).",
        "lower",
        percent=True,
    ),
    _metric(
        "first_shortfall_year",
        "year",
        "First shortfall year",
        "Calendar year of the first unpaid debt service; undefined without distress.",
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
    _flow("capex_usd_bn", L, "Capex", "Issue proceeds net of fees spent by Pemex."),
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
        "cfads_usd_bn",
        SL,
        "Cash flow available for debt service, CFADS",
        "Revenue less operating cost and government take.",
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
        "Scheduled service plus last year's arrears with interest.",
    ),
    _flow(
        "debt_service_paid_usd_bn",
        SL,
        "Debt service paid",
        "What holders received.",
        short="Debt service paid",
    ),
    _flow(
        "dscr",
        S,
        "Debt service coverage ratio, DSCR",
        "CFADS over scheduled debt service; undefined in years with no service.",
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
        "shortfall_usd_bn",
        SL,
        "Debt service shortfall",
        "Due but unpaid after the reserve and the backstop; carried as arrears.",
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
        "backstop_repaid_usd_bn",
        L,
        "Backstop repaid",
        "Earlier backstop draws repaid from the surplus.",
        short="Backstop repaid",
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
        "mdf_balance_usd_bn",
        S,
        "MDF balance",
        "Balance of the Development Fund at the end of the year.",
    ),
    _flow(
        "infrastructure_investment_usd_bn",
        S,
        "Infrastructure investment",
        "What the Development Fund invests in the year.",
        "higher",
    ),
    _flow(
        "infrastructure_capital_usd_bn",
        S,
        "Added infrastructure capital",
        "Capital stock built by the fund's investment, after losses and depreciation.",
        "higher",
    ),
    _flow(
        "gdp_uplift_usd_bn",
        S,
        "GDP uplift",
        "GDP gained from the added capital (an effect on output, not money paid).",
        "higher",
    ),
)

#: Unit of every metric, for the headline figures that summarize them.
_METRIC_UNITS = {o.name: o.unit for o in _METRICS}

_HEADLINE: tuple[Output, ...] = (
    _headline(
        "prob_distress",
        "distress",
        "probability",
        "Probability of distress",
        "Share of paths that ever leave debt service unpaid after the reserve and the backstop.",
        "lower",
        format=".2f",
        percent=True,
    ),
    _headline(
        "prob_backstop_draw",
        "backstop_draw_total_usd_bn",
        "share_positive",
        "Probability of a backstop draw",
        "Share of paths on which the pledged Pemex export revenue pays some debt service.",
        "lower",
        format=".2f",
        percent=True,
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
        "Median over paths of the lowest yearly coverage of scheduled debt service.",
        "higher",
    ),
    _headline(
        "min_dscr_operating_p50",
        "min_dscr_operating",
        "p50",
        "Minimum DSCR once producing, median",
        "Median over paths of the lowest yearly coverage over the years with production.",
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
)

_ANALYSIS: tuple[Output, ...] = (
    Output(
        "breakeven_usd_per_bbl",
        ("analysis",),
        "USD/bbl",
        "Break-even oil price (DSCR 1 once producing)",
        "Flat WTI price, every year, at which the minimum DSCR over producing years is 1 in "
        "the median case (no overrun or reservoir surprise).",
        "lower",
        format=",.1f",
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
    """The outputs as a Markdown table (the README's table of outputs)."""
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
