"""naef-simulator: the what-if page for policy staff (Streamlit).

Thin on purpose: widgets, library calls and the shared figures of ``simulator.present.plots``. The
editor is generated from the scenario model's own field metadata (``simulator.field_specs``), so
a new field shows up here without touching this file. Run it with ``make app`` or ``naef app``.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pandas as pd
import streamlit as st
import yaml

import simulator
from simulator.analysis.breakeven import breakeven_flat_price
from simulator.analysis.calibrate import calibrate
from simulator.analysis.compare import check_aligned
from simulator.analysis.credit import (
    COUPON_SPAN,
    CreditReport,
    FairCoupon,
    credit_report,
    fair_coupon,
)
from simulator.analysis.sensitivity import (
    DEFAULT_OUTPUTS,
    Tornado,
    default_parameters,
    sobol,
    tornado,
)
from simulator.analysis.verdict import Verdict, verdict
from simulator.model.chain import build_schedule
from simulator.outputs import output as catalogue_entry
from simulator.present import plots
from simulator.present.cards import breakeven_card, headline_cards, sector_columns
from simulator.present.workbook import workbook_bytes
from simulator.scenario import (
    SECTION_TITLES,
    SECTIONS,
    FieldSpec,
    InputError,
    Scenario,
    ScenarioError,
    iter_fields,
    load_scenario,
    parse_yaml_text,
    scenario_from_text,
)

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
MAX_UPLOAD_BYTES = 200_000
UPLOAD = "(uploaded file)"
BASELINE = "naef-2005"
#: Sensitivity methods offered on the page: label -> method.
SENSITIVITY_METHODS = {"Tornado (one at a time)": "tornado", "Sobol indices (global)": "sobol"}
SOBOL_BASE_SAMPLES = (32, 64, 128, 256, 512)
#: Outputs the Sensitivity tab ranks: the library's defaults and the GDP uplift (its median over
#: paths), which the fund's own fields (its efficiency, its sectors) move.
SENSITIVITY_OUTPUTS = (*DEFAULT_OUTPUTS, "gdp_uplift_pv_usd_bn")
#: Most paths of each Sobol parameter set by default: N x (parameters + 2) sets are run.
SOBOL_PATHS = 256
#: Colour of a card's change by what it means (``Card["tone"]``; Streamlit's colour names).
DELTA_COLOURS: dict[str | None, Any] = {
    "good": "green",
    "bad": "red",
    "neutral": "gray",
    None: "gray",
}
#: The "Fit to history" control of the oil price section: its options and default window.
FIT_SERIES = {"wti": "WTI", "brent": "Brent"}
FIT_FREQUENCIES = ("annual", "monthly")
FIT_BASES = ("real", "nominal")
FIT_MODELS = ("mean_reverting", "gbm")
FIT_WINDOW = (2000, 2024)
#: Output key of the break-even price card.
BREAKEVEN = "breakeven_usd_per_bbl"
#: Most paths of each run of the fair-coupon search (the command line's default).
FAIR_COUPON_PATHS = 4000
#: Most paths of a scenario the page runs as soon as it is loaded (about a second here,
#: benchmarks/bench_simulate.py); one asking for more, such as a batch file, waits for Run
#: instead of holding the page for minutes (an assumption of what a page should do unasked).
OPEN_RUN_MAX_PATHS = 200_000

#: The page's own CSS: cards wrap their label and value onto more lines instead of cutting
#: them with an ellipsis, and the value's size follows the window, so that four cards a row
#: fit from a 1024 px window up; charts side by side stack one a row when a column would be
#: narrower than 440 px (their subtitles wrap at about that width).
PAGE_CSS = """
<style>
[data-testid="stMetric"] .stMarkdownEllipsis,
[data-testid="stMetric"] .stMarkdownEllipsis p {
  white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: break-word;
}
[data-testid="stMetricLabel"] { height: auto; min-height: 1.5rem; }
[data-testid="stMetricValue"] { font-size: clamp(1.3rem, 2.1vw, 2.25rem); line-height: 1.2; }
[data-testid="stMainBlockContainer"] { padding-left: 2.5rem; padding-right: 2.5rem; }
.st-key-charts [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
.st-key-charts [data-testid="stColumn"] { min-width: min(100%, 440px); }
</style>
"""

st.set_page_config(page_title="NAEF swap simulator", layout="wide")
st.html(PAGE_CSS)
state = st.session_state


# ---------------------------------------------------------------------- cached library calls


@st.cache_data(show_spinner=False)
def shipped() -> dict[str, str]:
    """Shipped scenario names -> file paths."""
    out = {}
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        out[load_scenario(path).name] = str(path)
    return out


class ResultsStore:
    """Results by (scenario content hash, paths, seed), shared by every session of the server.

    A plain store rather than ``st.cache_resource`` on the simulation itself: the run reports
    progress to a widget of the session that asked, which a cached call must not do (its replay
    would draw into a page that no longer exists). Figures are kept with their results.
    """

    def __init__(self, size: int = 24) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


@st.cache_resource(show_spinner=False)
def store() -> ResultsStore:
    return ResultsStore()


def run_key(scenario: Scenario) -> tuple[Any, ...]:
    return ("run", scenario.content_hash(), scenario.simulation.paths, scenario.simulation.seed)


def run_with_progress(scenario: Scenario) -> Any:
    """Results of a scenario: from the store, or simulated with a progress bar.

    The bar's place is taken whether or not the run is stored, so the elements after it keep
    their places on the page: a stored run would otherwise move them up by one, and the
    browser would draw them afresh (collapsing the sections the user had opened).
    """
    slot = st.empty()
    key = run_key(scenario)
    cached = store().get(key)
    if cached is not None:
        return cached
    paths, seed = scenario.simulation.paths, scenario.simulation.seed
    bar = slot.progress(0.0, text=f"Simulating {scenario.name}: {paths:,} paths")

    def update(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Simulating {scenario.name}: {done:,} of {total:,} paths")

    try:
        results = simulator.simulate(scenario, paths=paths, seed=seed, progress=update)
    finally:
        bar.empty()
    store().put(key, results)
    return results


def breakeven(scenario: Scenario) -> float | None:
    """Break-even flat oil price [USD/bbl] of a scenario; None when never reached."""
    key = ("breakeven", scenario.content_hash())
    cached = store().get(key)
    if cached is None:
        try:
            cached = (breakeven_flat_price(scenario).price_usd_per_bbl,)
        except InputError:
            cached = (None,)
        store().put(key, cached)
    return cast(float | None, cached[0])


def credit(scenario: Scenario, results: Any) -> CreditReport | str:
    """The credit report of a run, or the one-line message of its refusal (a horizon that ends
    before losses crystallize)."""
    key = ("credit", run_key(scenario))
    cached = store().get(key)
    if cached is None:
        try:
            cached = (credit_report(results),)
        except InputError as exc:
            cached = (str(exc),)
        store().put(key, cached)
    return cast(CreditReport | str, cached[0])


def verdict_of(scenario: Scenario, results: Any) -> Verdict:
    """The verdict of a run, from the store (a rerun without Run does not read it again)."""
    key = ("verdict", run_key(scenario))
    cached = store().get(key)
    if cached is None:
        cached = (verdict(results),)
        store().put(key, cached)
    return cast(Verdict, cached[0])


def credit_rows(report: CreditReport) -> pd.DataFrame:
    """The credit report as a small table, one measure a row."""
    lgd = report.loss_given_default
    rating = report.rating
    if report.rating != report.rating_uncapped:
        rating += f" (capped from {report.rating_uncapped})"
    rows = {
        "Probability of default": f"{report.probability_of_default:.3%} "
        f"(upper 95%: {report.probability_of_default_upper:.3%})",
        "Expected loss": f"{report.expected_loss:.3%} "
        f"(upper 95%: {report.expected_loss_upper:.3%})",
        "Loss given default": f"{lgd:.1%}" if math.isfinite(lgd) else "n/a",
        "Weighted average life": f"{report.weighted_average_life_years:.1f} years",
        "Implied rating": rating,
    }
    frame = pd.DataFrame({"Value": list(rows.values())}, index=list(rows))
    frame.index.name = "Measure"
    return frame


def fair_coupon_key(scenario: Scenario) -> tuple[Any, ...]:
    paths = min(scenario.simulation.paths, FAIR_COUPON_PATHS)
    return ("fair_coupon", scenario.content_hash(), paths, scenario.simulation.seed)


def fair_coupon_of(scenario: Scenario, search: bool) -> FairCoupon | None:
    """The fair coupon of a scenario: from the store, else searched when asked (None when not)."""
    key = fair_coupon_key(scenario)
    cached = store().get(key)
    if cached is not None or not search:
        return cast(FairCoupon | None, cached)
    _, _, paths, seed = key
    with st.spinner(f"Searching the fair coupon of {scenario.name}: runs of {paths:,} paths"):
        fair = fair_coupon(scenario, paths=paths, seed=seed)
    store().put(key, fair)
    return fair


def fair_coupon_text(scenario: Scenario, fair: FairCoupon) -> str:
    """The fair coupon, its spread over the risk-free rate and its error; or that none clears."""
    runs = f"{fair.paths:,} paths per run, seed {fair.seed}"
    if fair.coupon is None or fair.spread is None:
        rate = fair.discount_rate
        return (
            f"No clearing coupon between {rate:.2%} and {rate + COUPON_SPAN:.2%}: holders "
            f"expect less than they lend at every coupon of the range ({runs})."
        )
    se = fair.standard_error
    error = f"± {1e4 * se:.1f} bp" if se is not None and math.isfinite(se) else "error unknown"
    return (
        f"**Fair coupon {fair.coupon:.3%}**: {1e4 * fair.spread:.0f} bp over the risk-free "
        f"rate {scenario.credit.risk_free_rate:.2%}, {error} ({runs})."
    )


#: The result charts a user can draw, key -> name on the page; the keys of :func:`figures`.
CHARTS: dict[str, str] = {
    **{f"fan:{name}": catalogue_entry(name).label for name in plots.FAN_SERIES},
    "hist": f"{catalogue_entry('mdf_inflow_pv_usd_bn').label} over paths",
    "sankey": "Where the money went",
    "sectors": "The Development Fund by sector",
}
#: Drawn until the user picks others: the driver, the debt's coverage, what reaches the fund
#: and where the money went. Every chart drawn costs the browser a tenth of a second or more,
#: so the page draws these four and the others on demand.
DEFAULT_CHARTS = ("fan:oil_price_usd_per_bbl", "fan:dscr", "fan:mdf_inflow_usd_bn", "sankey")


def keep_chart_picks() -> None:
    """Remember the charts picked, beyond the runs that do not draw the picker."""
    state["charts_picked"] = tuple(state.get("charts_shown") or ())


def figures(
    scenario: Scenario,
    results: Any,
    others: list[Scenario],
    compared: list[Any],
    shown: list[str],
) -> dict[str, Any]:
    """The result figures named in ``shown`` (keys of :data:`CHARTS`), each built once per set
    of runs (the one shown and those compared) and kept with them in one entry of the store."""
    key = ("figures", run_key(scenario), *(run_key(o) for o in others))
    figs: dict[str, Any] = store().get(key) or {}
    for name in shown:
        if name in figs:
            continue
        if name.startswith("fan:"):
            figs[name] = plots.fan_chart(results, name.removeprefix("fan:"), compare=compared)
        elif name == "hist":
            figs[name] = plots.pv_histogram(results)
        elif name == "sankey":
            figs[name] = plots.money_flow(results)
        else:
            figs[name] = plots.sector_chart(
                results.sector_ledger(), scenario=scenario.name, paths=results.paths
            )
    store().put(key, figs)
    return figs


#: "Compare with": the scenario as loaded, before the editor's changes.
UNEDITED = "its unedited version"
#: Most scenarios compared with the one shown (four side by side).
MAX_COMPARED = 3


def compared_scenarios(scenario: Scenario, picked: list[str]) -> list[Scenario]:
    """The scenarios to compare with, run with the shown one's paths and seed; each named
    apart from the others (``(unedited)``, ``(as shipped)``) when names would repeat."""
    out: list[Scenario] = []
    taken = {scenario.name}
    for pick in picked[:MAX_COMPARED]:
        if pick == UNEDITED:
            other = state["base_scenario"]
        elif pick in shipped():
            other = load_scenario(shipped()[pick])
        else:
            continue
        settings: dict[str, Any] = {
            "simulation.paths": scenario.simulation.paths,
            "simulation.seed": scenario.simulation.seed,
        }
        if other.name in taken:  # every legend, caption and column names each side apart
            settings["name"] = f"{other.name} ({'unedited' if pick == UNEDITED else 'as shipped'})"
        other = other.with_overrides(settings)
        taken.add(other.name)
        out.append(other)
    return out


def side_by_side(
    scenario: Scenario, results: Any, others: list[Scenario], compared: list[Any]
) -> pd.DataFrame:
    """The headline cards of every scenario, one column each (the shown one first), with the
    break-even price; the rows labelled and formatted as the cards are."""
    columns = {}
    for sc, res in ((scenario, results), *zip(others, compared, strict=True)):
        cards = headline_cards(res)
        cards.append(breakeven_card(breakeven(sc)))
        columns[sc.name] = {c["label"]: c["text"] for c in cards}
    frame = pd.DataFrame(columns)
    frame.index.name = "Figure"
    return frame


#: The colour of the verdict's headline, by its tone (a verdict is not an error message: it is
#: coloured text, not Streamlit's alert boxes, which the page keeps for bad input).
VERDICT_COLOURS = {"holds": "green", "leans_on_pemex": "orange", "fails": "red"}


def show_verdict(v: Verdict) -> None:
    """The verdict first: its headline, its figures, and the proposal's claims against the run
    (as ``naef run`` ends and the report opens)."""
    with st.container(border=True, key="verdict"):
        colour = VERDICT_COLOURS[v.tone]
        st.markdown(f":{colour}-background[**{v.headline()}**]")
        st.markdown("\n".join(f"- {line}" for line in v.details()))
        table = v.claims_table()
        st.dataframe(
            table[["claimed", "median", "P10", "P90", "share of paths reaching it", "unit"]],
            width="stretch",
            column_config={
                "share of paths reaching it": st.column_config.NumberColumn(format="percent"),
                "claimed": st.column_config.NumberColumn(format="%.4g"),
                "median": st.column_config.NumberColumn(format="%.1f"),
                "P10": st.column_config.NumberColumn(format="%.1f"),
                "P90": st.column_config.NumberColumn(format="%.1f"),
            },
        )
        st.caption(
            "Sources: " + "; ".join(f"{c.claim}: {c.source}" for c in v.claims) + ". " + v.rule
        )


def sector_table(results: Any) -> pd.DataFrame:
    """What each sector of the fund gets and gives (``Results.by_sector``), its columns
    titled and scaled as the report's (``cards.sector_columns``; the share in per cent)."""
    frame = results.by_sector()
    out = pd.DataFrame(
        {title: scale * frame[name] for name, title, _, scale in sector_columns()},
        index=frame.index,
    )
    out.index.name = "Sector"
    return out.round(2)


def sensitivity_parameters(scenario: Scenario, method: str) -> list[str]:
    """The parameters the Sensitivity tab offers: the scenario's ``sensitivity`` block, else
    the library's defaults (:func:`default_parameters`; float fields only for Sobol), without
    the oil price fields its price model does not read (moving them changes nothing)."""
    if scenario.sensitivity.parameters:
        keys = list(scenario.sensitivity.parameters)
    else:
        keys = list(default_parameters(scenario, continuous=method == "sobol"))
    own = PRICE_MODEL_FIELDS[scenario.oil_price.model]
    return [
        k
        for k in keys
        if not (k.startswith("oil_price.") and k.split(".", 1)[1] in MODEL_ONLY_FIELDS - own)
    ]


def parameter_label(key: str) -> str:
    """A parameter of the Sensitivity tab: a field's label, or a sector's field with its
    sector (``mdf.sectors.roads.share`` -> ``roads: share``)."""
    specs = {s.key: s for s in simulator.field_specs()}
    if key in specs:
        return field_label(specs[key])
    if key.startswith("mdf.sectors."):
        sector, name = key.removeprefix("mdf.sectors.").rsplit(".", 1)
        return f"{sector}: {name.replace('_', ' ')}"
    return key


def sensitivity_output_label(key: str) -> str:
    """An output the Sensitivity tab ranks: its catalogue label; a per-path metric is ranked by
    its median over the paths."""
    entry = catalogue_entry(key)
    return entry.label if "headline" in entry.kinds else f"{entry.label}, median over paths"


def sensitivity(
    scenario: Scenario, method: str, paths: int, base_samples: int, parameters: tuple[str, ...]
) -> Any:
    """A tornado or Sobol analysis of the scenario's :data:`SENSITIVITY_OUTPUTS` over the given
    parameters (ranges from the scenario's ``sensitivity`` block, else the defaults), from the
    store or computed with a progress bar."""
    seed = scenario.simulation.seed
    key = ("sensitivity", method, scenario.content_hash(), paths, base_samples, seed, parameters)
    cached = store().get(key)
    if cached is not None:
        return cached
    if method == "tornado":
        runs = 1 + 2 * len(parameters)
        with st.spinner(f"Tornado of {scenario.name}: {runs} runs of {paths:,} paths"):
            result = tornado(
                scenario,
                parameters=list(parameters),
                outputs=SENSITIVITY_OUTPUTS,
                paths=paths,
                seed=seed,
            )
    else:
        bar = st.progress(0.0, text=f"Sobol indices of {scenario.name}")

        def update(done: int, total: int) -> None:
            bar.progress(done / total, text=f"Sobol indices: {done:,} of {total:,} paths")

        try:
            result = sobol(
                scenario,
                parameters=list(parameters),
                outputs=SENSITIVITY_OUTPUTS,
                base_samples=base_samples,
                paths_per_sample=paths,
                seed=seed,
                progress=update,
            )
        finally:
            bar.empty()
    store().put(key, result)
    return result


# ---------------------------------------------------------------------- the editor

#: Short human labels of the fields (the dotted name is in each field's tooltip). A field not
#: listed gets its name in words (:func:`field_label`), so a new field still shows up.
LABELS: dict[str, str] = {
    "horizon.start_year": "First year",
    "horizon.years": "Horizon",
    "simulation.paths": "Monte Carlo paths",
    "simulation.seed": "Random seed",
    "oil_price.model": "Price model",
    "oil_price.basis": "Dollars of the price levels",
    "oil_price.inflation_rate": "U.S. inflation",
    "oil_price.initial_usd_per_bbl": "Initial price",
    "oil_price.long_run_usd_per_bbl": "Long-run price",
    "oil_price.mean_reversion_per_year": "Speed of mean reversion",
    "oil_price.volatility": "Volatility",
    "oil_price.drift_per_year": "Drift",
    "oil_price.short_term_volatility": "Short-term volatility",
    "oil_price.long_term_volatility": "Long-term volatility",
    "oil_price.long_term_drift_per_year": "Long-term drift",
    "oil_price.correlation": "Correlation of the two factors",
    "oil_price.bootstrap_block_years": "Bootstrap block length",
    "oil_price.deck_usd_per_bbl": "Price deck by year",
    "oil_price.fixed_path_usd_per_bbl": "Prices fixed for the first years",
    "oil_price.history_usd_per_bbl": "Price history to resample",
    "oil_price.realized_price_factor": "Export mix price / benchmark",
    "oil_price.gas_price_ratio": "Gas price / oil price",
    "naef.issuance_usd_bn": "Tranches issued, by year",
    "naef.issuance_cost_rate": "Issuance cost",
    "naef.coupon_rate": "Coupon",
    "naef.tenor_years": "Tenor",
    "naef.grace_years": "Grace period",
    "naef.amortization": "Repayment profile",
    "naef.target_dscr": "Target DSCR of sculpting",
    "naef.sizing_long_run_usd_per_bbl": "Long-run price the debt is sized on",
    "naef.capitalized_interest_years": "Interest reserve",
    "naef.recovery_rate": "Recovery in default",
    "naef.sizing": "Sizing",
    "pemex.capex_usd_per_flowing_bpd": "Capex per barrel a day",
    "pemex.capex_overrun_sd": "Capex overrun spread (log SD)",
    "pemex.lag_years": "Years to first oil",
    "pemex.ramp_years": "Ramp-up",
    "pemex.plateau_years": "Plateau",
    "pemex.decline_rate": "Initial decline rate",
    "pemex.decline_b": "Arps b exponent",
    "pemex.reservoir_factor_sd": "Reservoir factor spread (log SD)",
    "pemex.gas_share_boe": "Gas share of the added boe",
    "pemex.opex_usd_per_boe": "Lifting cost",
    "pemex.cost_inflation": "Growth of the lifting cost",
    "pemex.cost_price_elasticity": "Cost elasticity to the oil price",
    "pemex.oversight_cost_usd_bn_per_year": "Oversight cost",
    "pemex.us_export_share": "Share shipped to the U.S.",
    "risks.price_overrun_correlation": "Correlation: price and capex overrun",
    "risks.price_reservoir_correlation": "Correlation: price and reservoir",
    "risks.overrun_reservoir_correlation": "Correlation: overrun and reservoir",
    "risks.export_mix_sd": "Export mix spread (log SD)",
    "risks.export_mix_persistence": "Export mix persistence (AR(1))",
    "hedge.share_of_added_oil": "Share of the added oil hedged",
    "hedge.strike_moneyness": "Strike / forward price",
    "hedge.strike_usd_per_bbl": "Fixed strike",
    "hedge.volatility_from": "Volatility the puts are priced at",
    "hedge.implied_volatility": "Implied volatility",
    "hedge.risk_free_rate": "Risk-free rate",
    "credit.tail_years": "Years from last maturity to loss",
    "credit.rating_table": "Default-rate table",
    "credit.rating_cap": "Rating cap (rank)",
    "credit.risk_free_rate": "Risk-free rate",
    "credit.risk_premium": "Risk premium",
    "fiscal.royalty_rate": "Royalty",
    "fiscal.profit_duty_rate": "Profit duty",
    "fiscal.regimes": "Fiscal regimes by year (YAML)",
    "waterfall.dsra_coverage_years": "Reserve account target",
    "waterfall.reserve_yield": "Reserve account yield",
    "waterfall.backstop_usd_bn_per_year": "Pemex backstop a year",
    "waterfall.mdf_share": "Share of the surplus to the MDF",
    "waterfall.dsra_funded_at_close": "Fund the reserve account at close",
    "waterfall.backstop_rate": "Interest on backstop draws",
    "waterfall.backstop_basis": "Backstop cap",
    "waterfall.lockup_dscr": "Lock-up DSCR",
    "waterfall.cash_sweep_share": "Cash sweep",
    "mdf.fund_return": "Return on the fund",
    "mdf.spend_rate": "Share of the balance invested a year",
    "mdf.max_investment_usd_bn_per_year": "Most invested in a year",
    "mdf.efficiency": "Efficiency of investment",
    "mdf.depreciation_rate": "Depreciation",
    "mdf.output_elasticity": "Output elasticity of capital",
    "mdf.gdp_base_usd_bn": "GDP in the first year",
    "mdf.gdp_growth": "GDP growth",
    "mdf.public_capital_to_gdp": "Public capital / GDP",
    "mdf.sectors": "Sectors (YAML)",
    "reporting.discount_rate": "Discount rate",
    "reporting.percentiles": "Percentiles reported",
    "reporting.us_gulf_crude_imports_kbd": "U.S. crude imports from the Gulf, 2005",
}

#: The oil price fields each price model reads (simulator.model.prices; the initial price also
#: sets the price-linked backstop's cap, so a deck reads it too). The section shows these and
#: the fields no model owns (basis, inflation, fixed prices, export mix and gas price factors).
PRICE_MODEL_FIELDS: dict[str, frozenset[str]] = {
    "gbm": frozenset({"initial_usd_per_bbl", "volatility", "drift_per_year"}),
    "mean_reverting": frozenset(
        {"initial_usd_per_bbl", "long_run_usd_per_bbl", "mean_reversion_per_year", "volatility"}
    ),
    "two_factor": frozenset(
        {
            "initial_usd_per_bbl",
            "long_run_usd_per_bbl",
            "mean_reversion_per_year",
            "short_term_volatility",
            "long_term_volatility",
            "long_term_drift_per_year",
            "correlation",
        }
    ),
    "bootstrap": frozenset(
        {
            "initial_usd_per_bbl",
            "long_run_usd_per_bbl",
            "mean_reversion_per_year",
            "volatility",
            "bootstrap_block_years",
            "history_usd_per_bbl",
        }
    ),
    "deck": frozenset({"initial_usd_per_bbl", "deck_usd_per_bbl"}),
}
#: Oil price fields that belong to some model(s) only.
MODEL_ONLY_FIELDS = frozenset().union(*PRICE_MODEL_FIELDS.values())
PRICE_MODEL = "oil_price.model"


def widget_key(spec: FieldSpec) -> str:
    return f"field:{spec.key}"


def derived_key(spec: FieldSpec) -> str:
    """The key of the box that leaves an optional field null (derived from another field)."""
    return f"derived:{spec.key}"


def field_label(spec: FieldSpec) -> str:
    """A field's label on the page: its human label and the unit it is entered in."""
    words = LABELS.get(spec.key) or spec.name.replace("_", " ").capitalize()
    if is_percent(spec):
        return f"{words} [% a year]" if spec.unit == "1/year" else f"{words} [%]"
    return words if spec.unit == "-" else f"{words} [{spec.unit}]"


def is_percent(spec: FieldSpec) -> bool:
    """Whether the page shows a field in per cent: a rate or a share (unit ``-`` or
    ``1/year``) whose bounds lie within [-1, 1]. A ``-`` field must also be named a rate or a
    share (a correlation or an elasticity is neither)."""
    if spec.kind != "float" or spec.unit not in ("-", "1/year"):
        return False
    low = spec.ge if spec.ge is not None else spec.gt
    high = spec.le if spec.le is not None else spec.lt
    if low is None or high is None or low < -1.0 or high > 1.0:
        return False
    if spec.unit == "1/year":
        return True
    words = spec.name.split("_")
    return "rate" in words or "share" in words or spec.description.startswith("Share of")


def to_percent(value: float) -> float:
    """A fraction in per cent, decimal digit for digit (0.06 -> 6.0, not 6.000000000000001)."""
    return float(Decimal(repr(float(value))) * 100)


def from_percent(value: float) -> float:
    """A percentage as a fraction, decimal digit for digit (6 -> 0.06)."""
    return float(Decimal(repr(float(value))) / 100)


def set_field(spec: FieldSpec, value: Any) -> None:
    """Put a scenario value into a field's widget, in the unit the page shows it in.

    A percent field keeps the exact fraction beside the percentage it shows, so an unedited
    field gives back its value to the last bit (``exact:``).
    """
    if spec.kind == "list":
        value = ", ".join(repr(float(v)) for v in value)  # repr: every digit, round-trips
    elif spec.kind == "table":  # records (fiscal regimes) as YAML, as in a scenario file
        records = [item if isinstance(item, dict) else item.model_dump() for item in value]
        value = yaml.safe_dump(records, sort_keys=False) if records else ""
    elif is_percent(spec) and value is not None:
        state[f"exact:{spec.key}"] = (to_percent(value), float(value))
        value = to_percent(value)
    state[widget_key(spec)] = value
    state.setdefault("kept", {})[spec.key] = value


def field_value(spec: FieldSpec) -> Any:
    """A field's widget value, in the scenario's unit (a percentage back to a fraction).

    A field not drawn on the last run (of a price model not chosen) has no widget; its last
    value is kept (``kept``), so it goes into the scenario unchanged.
    """
    if spec.key in state.get("drawn", ()):
        value = state.get(widget_key(spec))
    else:
        value = state.get("kept", {}).get(spec.key)
    if is_percent(spec) and value is not None:
        shown, exact = state.get(f"exact:{spec.key}", (None, None))
        value = exact if value == shown else from_percent(value)
    return value


def keep_hidden_fields() -> None:
    """Remember the value of every field drawn on the last run, and give a field not drawn
    then its remembered value back (Streamlit drops, or leaves stale, the state of a widget it
    did not draw). Call before the editor is drawn; :func:`render_field` notes what it draws."""
    kept = state.setdefault("kept", {})
    drawn = state.get("drawn", set())
    for spec in simulator.field_specs():
        key = widget_key(spec)
        if spec.key in drawn and key in state:
            kept[spec.key] = state[key]
        elif spec.key in kept:
            state[key] = kept[spec.key]
    state["drawn"] = set()


def shown_fields(section: str) -> list[FieldSpec]:
    """The fields of a section the editor draws: in the oil price section, the chosen price
    model's own fields and the fields no model owns (the model itself is drawn above)."""
    specs = [s for s in simulator.field_specs() if s.section == section]
    if section != "oil_price":
        return specs
    model = state.get(widget_key(spec_of(PRICE_MODEL)))
    own = PRICE_MODEL_FIELDS.get(str(model), MODEL_ONLY_FIELDS)
    return [
        s
        for s in specs
        if s.key != PRICE_MODEL and (s.name not in MODEL_ONLY_FIELDS or s.name in own)
    ]


def load_into_widgets(scenario: Scenario) -> None:
    """Set every editor widget to the scenario's values."""
    values = dict(iter_fields(scenario))
    for spec in simulator.field_specs():
        value = values[spec.key]
        if spec.optional:
            state[derived_key(spec)] = value is None
            value = scenario.value(spec.key, resolved=True)
        set_field(spec, value)
    state["base_scenario"] = scenario
    state["field_error"] = None
    state["fit_error"] = state["fit_summary"] = None


def field_help(spec: FieldSpec) -> str:
    """A field's tooltip: its description, bounds, unit and dotted name in scenario files."""
    scale = 100.0 if is_percent(spec) else 1.0
    unit = "%" if is_percent(spec) else ""
    bounds = []
    for bound, op in ((spec.ge, ">="), (spec.gt, ">"), (spec.le, "<="), (spec.lt, "<")):
        if bound is not None:
            bounds.append(f"{op} {bound * scale:g}{unit}")
    text = spec.description + (f" Allowed: {', '.join(bounds)}." if bounds else "")
    if is_percent(spec):
        text += (
            f" Entered in per cent here (6 for 6%); the scenario file holds the fraction "
            f"[{spec.unit}]."
        )
    return f"{text}\n\nIn scenario files: `{spec.key}`."


def render_field(spec: FieldSpec) -> None:
    state["drawn"].add(spec.key)
    label = field_label(spec)
    help_text = field_help(spec)
    key = widget_key(spec)
    if spec.optional:
        source = LABELS.get(str(spec.derived_from), str(spec.derived_from))
        st.checkbox(
            f"{LABELS.get(spec.key, spec.name)}: as {source}",
            key=derived_key(spec),
            help=f"Ticked: the field is left null and takes the value of {spec.derived_from}; "
            "the number below is then not used.",
        )
    if spec.kind == "bool":
        st.checkbox(label, key=key, help=help_text)
    elif spec.kind == "choice":
        st.selectbox(label, spec.choices, key=key, help=help_text)
    elif spec.kind == "list":
        st.text_input(label, key=key, help=help_text + " Comma-separated numbers.")
    elif spec.kind == "table":
        st.text_area(
            label,
            key=key,
            height=160,
            help=help_text + " A YAML list, as in a scenario file; empty: none.",
        )
    elif spec.kind == "int":
        st.number_input(
            label,
            key=key,
            step=1,
            help=help_text,
            min_value=int(spec.ge) if spec.ge is not None else None,
            max_value=int(spec.le) if spec.le is not None else None,
        )
    else:
        scale = to_percent if is_percent(spec) else float
        default = abs(scale(spec.default)) if spec.default else 1.0
        step = 10 ** math.floor(math.log10(default)) / 10 if default > 0 else 0.01
        st.number_input(
            label,
            key=key,
            step=step,
            format="%g",
            help=help_text,
            min_value=scale(spec.ge) if spec.ge is not None else None,
            max_value=scale(spec.le) if spec.le is not None else None,
        )
    error = state.get("field_error")
    if error and error_key(error[0]) == spec.key:
        st.error(error[1])


def error_key(field: str) -> str:
    """The field an error names, without an item index (``naef.issuance_usd_bn[0]``)."""
    return field.split("[")[0]


def error_section() -> str | None:
    """The section of the editor the current error belongs to (a field of it, or the section
    as a whole, like ``risks`` for a correlation matrix), or None."""
    error = state.get("field_error")
    if not error or not error[0]:
        return None
    section = error_key(error[0]).split(".")[0]
    return section if section in SECTIONS else None


def section_level_error(section: str) -> str | None:
    """The message of an error that names the section but none of the widgets drawn in it."""
    if error_section() != section:
        return None
    field, message = state["field_error"]
    keys = {spec.key for spec in shown_fields(section)} | {PRICE_MODEL}
    return None if error_key(field) in keys else cast(str, message)


def error_summary() -> str | None:
    """The message beside the Run button: what is wrong and where, in one line."""
    error = state.get("field_error")
    if not error:
        return None
    field, message = error
    section = error_section()
    where = f" in {SECTION_TITLES.get(section, section)} (opened above)" if section else ""
    specs = {s.key: s for s in simulator.field_specs()}
    spec = specs.get(error_key(field))
    if spec is not None:
        where = f" at {field_label(spec)}{where}"
    return f"Not run: a value needs fixing{where}. {message}"


def edited_values() -> dict[str, Any]:
    """The editor's values as dotted overrides (lists parsed from their text)."""
    out: dict[str, Any] = {}
    for spec in simulator.field_specs():
        value = field_value(spec)
        if spec.optional and state.get(derived_key(spec)):
            value = None
        elif spec.kind == "list":
            value = [_number(item) for item in str(value or "").split(",") if item.strip()]
        elif spec.kind == "table":
            text = str(value or "").strip()
            try:
                value = parse_yaml_text(text, source="inputs") if text else []
            except ScenarioError as exc:  # named after the field, shown under it
                raise ScenarioError("inputs", spec.key, exc.problem) from None
        out[spec.key] = value
    return out


def _number(text: str) -> float | str:
    """A list item as a number; left as text when it is none (validation then names it)."""
    try:
        return float(text)
    except ValueError:
        return text.strip()


#: Longest name of a scenario (the schema's limit).
MAX_NAME = 120


def short_label(spec: FieldSpec) -> str:
    """A field's label inside a sentence: ``"coupon"``, ``"U.S. inflation"``."""
    words = LABELS.get(spec.key) or spec.name.replace("_", " ")
    return words[:1].lower() + words[1:] if words[1:2].islower() else words


def value_text(spec: FieldSpec, value: Any) -> str:
    """A value as the page shows it, with its unit: ``"5%"``, ``"25 years"``, ``"gbm"``."""
    if value is None:
        return f"as {spec.derived_from}"
    if isinstance(value, bool):
        return "on" if value else "off"
    if spec.kind == "table":
        return "edited"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(f"{float(v):g}" for v in value) + "]"
    if isinstance(value, int | float):
        if is_percent(spec):
            return f"{to_percent(value):g}%"
        return f"{value:g}" if spec.unit in ("-", "") else f"{value:g} {spec.unit}"
    return str(value)


def changed_fields(base: Scenario, edited: Scenario) -> list[FieldSpec]:
    """The fields whose value differs between two scenarios, in the editor's order; the run's
    own settings (paths, seed) are not what a scenario says, and are left out."""
    return [
        spec
        for spec in simulator.field_specs()
        if spec.section != "simulation" and base.value(spec.key) != edited.value(spec.key)
    ]


def named_for_changes(base: Scenario, edited: Scenario) -> Scenario:
    """The edited scenario named for what changed (``naef-2005 (coupon 5%)``), its description
    saying from what and how; the scenario itself when nothing changed."""
    changes = changed_fields(base, edited)
    if not changes:
        return edited
    texts = [f"{short_label(spec)} {value_text(spec, edited.value(spec.key))}" for spec in changes]
    name = f"{base.name} ({', '.join(texts)})"
    for keep in range(len(texts) - 1, 0, -1):
        if len(name) <= MAX_NAME:
            break
        name = f"{base.name} ({', '.join(texts[:keep])}, +{len(texts) - keep} more)"
    if len(name) > MAX_NAME:
        name = f"{base.name[: MAX_NAME - 20]} ({len(texts)} changes)"
    lines = [
        f"- {spec.key}: {value_text(spec, base.value(spec.key))} -> "
        f"{value_text(spec, edited.value(spec.key))}"
        for spec in changes
    ]
    description = (
        f"{base.name}, edited on the page ({len(changes)} "
        f"{'field' if len(changes) == 1 else 'fields'}):\n" + "\n".join(lines)
    )
    if base.description.strip():
        description += f"\n\nThe description of {base.name}:\n{base.description.strip()}"
    return edited.with_overrides({"name": name, "description": description[:20_000]})


def file_name(scenario: Scenario, suffix: str) -> str:
    """A download's file name from the scenario's name (letters, digits, ``.``, ``-``, ``_``)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", scenario.name).strip("-.") or "scenario"
    return f"{stem}{suffix}"


def refuse(exc: ScenarioError) -> None:
    """Show no run, and the message of a refused scenario under its field (its section open)."""
    message = str(exc)
    specs = {s.key: s for s in simulator.field_specs()}
    spec = specs.get(error_key(exc.field))
    if spec is not None and is_percent(spec):
        shown = state.get(widget_key(spec))
        if isinstance(shown, int | float):
            message += f" (this page shows the field in %: {shown:g} % is {from_percent(shown):g})"
    state["field_error"] = (exc.field, message)
    state["scenario"] = None
    section = error_section()
    if section is not None:  # open it: a collapsed section must not hide the message
        state["opened_sections"] = {*state.get("opened_sections", ()), section}


def show_as_loaded() -> None:
    """Run the scenario just loaded into the editor as it stands; one whose structure the model
    refuses (fees and reserves above a tranche's face) is not run, and its message shows under
    its field as after a press of Run."""
    base: Scenario = state["base_scenario"]
    try:
        build_schedule(base)
    except ScenarioError as exc:
        refuse(exc)
        return
    show_unless_large(base)


def show_unless_large(scenario: Scenario) -> None:
    """Show ``scenario``'s run, unless it asks for more than :data:`OPEN_RUN_MAX_PATHS`: then
    nothing runs until Run is pressed, and the page says so."""
    paths = scenario.simulation.paths
    if paths > OPEN_RUN_MAX_PATHS:
        state["scenario"] = None
        state["waits_for_run"] = (
            f"{scenario.name} asks for {paths:,} Monte Carlo paths, more than the "
            f"{OPEN_RUN_MAX_PATHS:,} this page runs as soon as a scenario is loaded: press Run "
            "to simulate them, or lower the paths first (Simulation section)."
        )
        return
    state["waits_for_run"] = None
    state["scenario"] = scenario


def on_run() -> None:
    """Validate the edited inputs (before the rerun draws the page)."""
    base: Scenario = state["base_scenario"]
    try:
        scenario = base.with_overrides(edited_values(), source="inputs")
        build_schedule(scenario)  # fees and reserves above a tranche's face are refused here
    except ScenarioError as exc:
        refuse(exc)
        return
    state["field_error"] = None
    state["waits_for_run"] = None
    state["scenario"] = named_for_changes(base, scenario)
    st.query_params.from_dict(link_params(base, scenario))


def link_text(spec: FieldSpec, value: Any) -> str:
    """A field's value as a query parameter: a number's every digit, a list or records as
    JSON, a choice as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def link_value(spec: FieldSpec, text: str) -> Any:
    """A query parameter back to a field's value (validation is the scenario's)."""
    if spec.kind == "choice":
        return text
    if text == "null" and spec.optional:
        return None
    return yaml.safe_load(text)  # numbers, true/false, JSON lists and records


def link_params(base: Scenario, edited: Scenario) -> dict[str, str]:
    """The query parameters of a what-if: the shipped scenario it starts from and each field
    that differs from it (the run's paths and seed too); none for an upload (a link cannot
    carry the file)."""
    if base.name not in shipped() or load_scenario(shipped()[base.name]) != base:
        return {}
    plain = edited.to_dict()
    out = {"scenario": base.name}
    for spec in simulator.field_specs():
        if base.value(spec.key) != edited.value(spec.key):
            section, name = spec.key.split(".")
            value = plain[section][name]
            out[spec.key] = "null" if value is None else link_text(spec, value)
    return out


#: Longest query string a link may carry [characters]: a what-if, not a file.
MAX_LINK = 20_000


def open_link() -> None:
    """Open the what-if the page's address carries (``?scenario=naef-2005&naef.coupon_rate=
    0.05``): the shipped scenario with those fields, in the editor and run, so a colleague with
    the link sees the same scenario and, with its seed, the same figures. A link that does not
    make a valid scenario is refused with the scenario's own message."""
    params = st.query_params.to_dict()
    if "scenario" not in params:
        return
    try:
        if sum(len(k) + len(v) for k, v in params.items()) > MAX_LINK:
            raise ScenarioError("link", "", f"got a query of over {MAX_LINK} characters")
        name = params.pop("scenario")
        if name not in shipped():
            raise ScenarioError(
                "link", "scenario", f"got {name!r}; want a shipped scenario: {', '.join(shipped())}"
            )
        specs = {spec.key: spec for spec in simulator.field_specs()}
        unknown = sorted(set(params) - set(specs))
        if unknown:
            raise ScenarioError("link", unknown[0], "not a field of a scenario")
        overrides = {}
        for key, text in params.items():
            try:
                overrides[key] = link_value(specs[key], text)
            except yaml.YAMLError:
                raise ScenarioError("link", key, f"got {text[:80]!r}; want a value") from None
        base = load_scenario(shipped()[name])
        edited = base.with_overrides(overrides, source="link")
        build_schedule(edited)
    except (ScenarioError, InputError) as exc:
        state["link_error"] = f"The address's what-if was not opened: {exc}"
        return
    state["choice"] = state["loaded"] = name
    load_into_widgets(edited)
    state["base_scenario"] = base
    show_unless_large(named_for_changes(base, edited))
    state["link_error"] = None


def on_fit() -> None:
    """Fit the price model to history and fill the oil price fields (before they are drawn).

    The base year of a real fit is the year before the edited ``horizon.start_year``. The
    initial price is kept unless asked for: a scenario starts from its own year's price, not
    from the window's last.
    """
    try:
        fit = calibrate(
            series=state["fit:series"],
            frequency=state["fit:frequency"],
            start=int(state["fit:start"]),
            end=int(state["fit:end"]),
            basis=state["fit:basis"],
            base_year=int(state[widget_key(spec_of("horizon.start_year"))]) - 1,
            model=state["fit:model"],
        )
        values = fit.oil_price_block()
        values["basis"] = fit.basis
        if not state["fit:initial"]:
            del values["initial_usd_per_bbl"]
        for name, value in values.items():
            check_bounds(spec_of(f"oil_price.{name}"), value, f"{fit.start}-{fit.end}")
    except InputError as exc:
        state["fit_error"], state["fit_summary"] = str(exc), None
        return
    for name, value in values.items():
        spec = spec_of(f"oil_price.{name}")
        if spec.optional:
            state[derived_key(spec)] = False
        set_field(spec, value)
    state["fit_error"] = None
    state["fit_summary"] = (fit.summary(), list(values))


def spec_of(key: str) -> FieldSpec:
    """The metadata of a dotted field."""
    (spec,) = [s for s in simulator.field_specs() if s.key == key]
    return spec


def check_bounds(spec: FieldSpec, value: Any, window: str) -> None:
    """Refuse a fitted value its widget would not take (a window too short to pin it down)."""
    if spec.kind != "float":
        return
    wants = [
        (spec.ge, lambda b: value >= b, ">="),
        (spec.gt, lambda b: value > b, ">"),
        (spec.le, lambda b: value <= b, "<="),
        (spec.lt, lambda b: value < b, "<"),
    ]
    bad = [f"{op} {bound:g}" for bound, ok, op in wants if bound is not None and not ok(bound)]
    if bad:
        raise InputError(
            "fit",
            spec.key,
            f"got {value:g} from {window}; want {' and '.join(bad)}: try a longer window "
            "or the other model (nothing was changed)",
        )


def render_fit_control() -> None:
    """The "Fit to history" box at the top of the oil price section."""
    with st.container(border=True):
        st.markdown("**Fit to history**")
        st.caption(
            "Maximum-likelihood fit of the price model to annual average spot prices, as "
            "naef calibrate does. Fit fills the model, the basis, the volatility and the "
            "long-run price and mean reversion (mean_reverting) or the drift (gbm); the initial "
            "price only if ticked."
        )
        c = st.columns(3)
        c[0].selectbox(
            "Series",
            tuple(FIT_SERIES),
            format_func=lambda key: FIT_SERIES[key],
            key="fit:series",
            help="EIA spot prices: WTI Cushing (RWTC) from 1986, Brent (RBRTE) from 1987.",
        )
        c[1].selectbox(
            "Data",
            FIT_FREQUENCIES,
            key="fit:frequency",
            help="annual: EIA's annual averages; monthly: monthly averages, averaged to "
            "complete calendar years.",
        )
        c[2].selectbox(
            "Basis",
            FIT_BASES,
            key="fit:basis",
            help="real: deflated by U.S. CPI-U to constant dollars of the year before "
            "horizon.start_year; nominal: as quoted.",
        )
        c[0].number_input("From [year]", value=FIT_WINDOW[0], step=1, key="fit:start")
        c[1].number_input("To [year]", value=FIT_WINDOW[1], step=1, key="fit:end")
        c[2].selectbox("Model", FIT_MODELS, key="fit:model")
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.checkbox(
            "Also set the initial price to the window's last price",
            key="fit:initial",
            help="Unticked, initial_usd_per_bbl is kept: the baseline starts from the 2005 "
            "average, not from the last year of the window.",
        )
        with right:
            st.form_submit_button("Fit", on_click=on_fit, width="stretch")
        if state.get("fit_error"):
            st.error(state["fit_error"])
        elif state.get("fit_summary"):
            summary, filled = state["fit_summary"]
            st.caption(f"Filled: {', '.join(f'oil_price.{name}' for name in filled)}.")
            st.code(summary, language=None)


# ---------------------------------------------------------------------- page


st.title("NAEF energy-for-infrastructure swap")
st.caption(
    "Monte Carlo simulator of the 2005 U.S.-Mexico proposal: US$75bn of oil-revenue-backed "
    "securities finance Pemex; the net revenue after debt service goes to the Mexican "
    "Development Fund."
)

with st.sidebar:
    st.header("Scenario")
    names = list(shipped())
    if "choice" not in state:
        state["choice"] = BASELINE if BASELINE in names else names[0]
    if "link_opened" not in state:  # once a session: the what-if the address carries
        state["link_opened"] = True
        open_link()
    if state.get("link_error"):
        st.error(state["link_error"])
    choice = st.selectbox("Start from", [*names, UPLOAD], key="choice")
    if choice == UPLOAD:
        upload = st.file_uploader("Scenario YAML", type=["yaml", "yml"], key="upload")
        if upload is not None:
            marker = (upload.name, upload.size, upload.file_id)
            if state.get("loaded") != marker:
                try:
                    if upload.size > MAX_UPLOAD_BYTES:
                        raise ScenarioError(
                            upload.name,
                            "",
                            f"got {upload.size} bytes; want a scenario under {MAX_UPLOAD_BYTES}",
                        )
                    text = upload.getvalue().decode("utf-8", errors="strict")
                    load_into_widgets(
                        scenario_from_text(text, source=upload.name, extends_root=SCENARIO_DIR)
                    )
                    state["loaded"] = marker
                    state["upload_error"] = None
                    show_as_loaded()
                except (ScenarioError, UnicodeDecodeError) as exc:
                    state["upload_error"] = (
                        str(exc)
                        if isinstance(exc, ScenarioError)
                        else (f"{upload.name}: got bytes that are not UTF-8 text; want a YAML file")
                    )
        if state.get("upload_error"):
            st.error(state["upload_error"])
    elif state.get("loaded") != choice:
        load_into_widgets(load_scenario(shipped()[choice]))
        state["loaded"] = choice
        show_as_loaded()  # until edited and run
        st.query_params.clear()  # the address no longer names what is shown
    st.multiselect(
        "Compare with",
        [UNEDITED, *names],
        key="compare_with",
        max_selections=MAX_COMPARED,
        placeholder="(none)",
        help=f"Up to {MAX_COMPARED} scenarios, run with the same paths and seed as this one, "
        "so the differences are not drowned in noise (common random numbers). The cards' "
        "changes are against the first; the fans and a table show them all side by side.",
    )

if "base_scenario" not in state:
    st.info("Upload a scenario file or pick a shipped one.")
    st.stop()
keep_hidden_fields()

scenario: Scenario | None = state.get("scenario")
results = base_results = other = None
others: list[Scenario] = []
other_results: list[Any] = []
if state.get("field_error"):
    st.error(state["field_error"][1])
elif scenario is None and state.get("waits_for_run"):
    st.info(state["waits_for_run"])
elif scenario is not None:
    results = run_with_progress(scenario)
    others = compared_scenarios(scenario, list(state.get("compare_with") or []))
    for compared in others:
        try:
            check_aligned(scenario, compared)
        except InputError as exc:
            st.warning(f"No common random numbers with {compared.name}: {exc.problem}")
        other_results.append(run_with_progress(compared))
    if others:  # the cards' changes are against the first
        other, base_results = others[0], other_results[0]
    st.subheader(
        f"{scenario.name}: {scenario.simulation.paths:,} paths, seed {scenario.simulation.seed}"
    )
    st.caption(scenario.basis_note)
    if "scenario" in st.query_params:
        st.caption(
            "This page's address holds this what-if (the scenario it starts from and the "
            "fields changed): copy it from the address bar to share it."
        )
    if base_results is not None and other is not None:
        st.caption(f"Deltas against {other.name}: same seed, same draws.")
        if len(others) > 1:
            st.caption(
                f"Also compared: {', '.join(o.name for o in others[1:])} (side by side in "
                "the Results tab and the fans)."
            )
    show_verdict(verdict_of(scenario, results))
    cards = headline_cards(results, compare=base_results)
    same_dollars = other is not None and other.price_dollars == scenario.price_dollars
    base_price = breakeven(other) if other is not None and same_dollars else None
    cards.append(breakeven_card(breakeven(scenario), compare=base_price))
    if other is not None and not same_dollars:
        st.caption(
            f"No change of the break-even price: {other.name} sets prices in "
            f"{other.price_dollars}, this scenario in {scenario.price_dollars}."
        )
    for row in range(0, len(cards), 4):
        cols = st.columns(4)
        for col, card in zip(cols, cards[row : row + 4], strict=False):
            col.metric(
                card["label"],
                card["text"],
                delta=card["delta_text"],
                delta_color=DELTA_COLOURS[card["tone"]],
                delta_arrow=card["arrow"] or "off",
                help=card["tooltip"],
            )
            if card["note"]:
                col.caption(card["note"])
            if card["key"] == BREAKEVEN and math.isfinite(card["value"]):
                # The card has no room for it: the dollars of the price, under the card.
                col.caption(f"USD/bbl, {scenario.price_dollars}")
    for w in results.manifest["warnings"]:
        st.caption(f"Note: {w}")

inputs_tab, results_tab, sensitivity_tab = st.tabs(["Inputs", "Results", "Sensitivity"])

with inputs_tab:
    # Outside the form: choosing a model redraws the oil price section with its own fields.
    model_col, note_col = st.columns([1, 2], vertical_alignment="bottom")
    with model_col:
        render_field(spec_of(PRICE_MODEL))
    note_col.caption(
        "The oil price section below shows the fields of this model only; the others keep "
        "their values and have no effect."
    )

# Enter does not submit: the form has two buttons (Run, and Fit in the oil price section), and
# Enter would press whichever the browser registered first.
with inputs_tab, st.form("inputs", enter_to_submit=False):
    failed = error_section()
    opened = state.get("opened_sections", ())
    for section in SECTIONS:
        with st.expander(
            SECTION_TITLES.get(section, section),
            expanded=section == "naef" or section in opened,
            icon=":material/error:" if section == failed else None,
        ):
            message = section_level_error(section)
            if message:
                st.error(message)
            if section == "oil_price":
                render_fit_control()
            cols = st.columns(3)
            for i, spec in enumerate(shown_fields(section)):
                with cols[i % 3]:
                    render_field(spec)
    st.form_submit_button("Run", type="primary", on_click=on_run)
    summary_error = error_summary()
    if summary_error:
        st.error(summary_error, icon=":material/error:")

with sensitivity_tab:
    if scenario is None:
        st.info("Run a scenario first; its sensitivity is computed on request.")
    else:
        st.caption(
            "Which assumption matters most. The tornado moves each parameter alone to its "
            "low and high value; Sobol indices move them all together and split the "
            "variance of the output between them. Ranges come from the scenario's "
            "sensitivity block, else the assumption's value +-25%. Every run uses the same "
            "draws (common random numbers)."
        )
        main_paths = scenario.simulation.paths
        if state.get("sens_main_paths") != main_paths:  # a new main run: its paths again
            state["sens_main_paths"] = main_paths
            state["sens_paths:tornado"] = main_paths
            state["sens_paths:sobol"] = min(main_paths, SOBOL_PATHS)
        # Outside the form: choosing the method redraws the controls it needs.
        method_label = st.radio(
            "Method", list(SENSITIVITY_METHODS), key="sens_method", horizontal=True
        )
        method = SENSITIVITY_METHODS[method_label]
        offered = sensitivity_parameters(scenario, method)
        with st.form("sensitivity"):
            chosen = st.multiselect(
                "Parameters",
                offered,
                default=offered,
                key=f"sens_params:{method}:{scenario.content_hash()}",
                format_func=parameter_label,
                help="The scenario's sensitivity block, else the main assumptions; oil price "
                "fields the price model does not read are left out (they move nothing).",
            )
            c1, c2 = st.columns(2)
            per = "run" if method == "tornado" else "parameter set"
            sens_paths = c1.number_input(
                f"Paths per {per}",
                min_value=16,
                max_value=max(100_000, main_paths),
                step=100,
                key=f"sens_paths:{method}",
            )
            base_samples = 0
            if method == "sobol":
                base_samples = c2.selectbox(
                    "Base samples N (N x (parameters + 2) parameter sets)",
                    SOBOL_BASE_SAMPLES,
                    index=1,
                    key="sens_base_samples",
                )
            if method == "tornado":
                plan = f"{1 + 2 * len(chosen)} runs of {int(sens_paths):,} paths"
            else:
                sets = int(base_samples) * (len(chosen) + 2)
                plan = f"{sets:,} parameter sets of {int(sens_paths):,} paths"
            if sens_paths < main_paths:
                plan += (
                    f": fewer paths than the main run's {main_paths:,}, so each figure is "
                    "noisier than the cards"
                )
            else:
                plan += ", as many as the main run"
            st.caption(f"Will run {plan}.")
            if st.form_submit_button("Run sensitivity"):
                state["sens_request"] = (
                    run_key(scenario),
                    (method, int(sens_paths), int(base_samples), tuple(chosen)),
                )
        # A request of an earlier main run is not computed again for this one by itself.
        asked = state.get("sens_request")
        request = asked[1] if asked is not None and asked[0] == run_key(scenario) else None
        if request is not None and not request[3]:
            st.warning("Choose at least one parameter.")
        elif request is not None:
            try:
                analysis = sensitivity(scenario, *request)
            except InputError as exc:
                st.error(str(exc))
            else:
                output = st.selectbox(
                    "Output",
                    list(analysis.outputs),
                    key="sens_output",
                    format_func=sensitivity_output_label,
                )
                ranking = analysis.ranking(output)
                chart = plots.tornado_chart if isinstance(analysis, Tornado) else plots.sobol_chart
                st.plotly_chart(chart(ranking), width="stretch", key="sens_chart")
                st.dataframe(ranking, width="stretch")

with results_tab:
    if results is None or scenario is None:
        st.info("Edit the inputs and press Run.")
        st.stop()
    st.subheader("Credit of the notes")
    report = credit(scenario, results)
    credit_left, credit_right = st.columns([3, 2])
    if isinstance(report, str):
        credit_left.warning(report)
    else:
        with credit_left:
            st.table(credit_rows(report))
            st.caption(
                f"{report.table}; losses crystallize in {report.loss_year}; {report.paths:,} "
                "paths. The rating is the best whose default rate at the average life covers "
                "the upper bound of the probability of default."
            )
        with credit_right:
            st.caption(
                "The fair coupon: the lowest coupon at which what holders expect to get, "
                "discounted at the risk-free rate plus credit.risk_premium, pays for what they "
                f"lend. Each trial coupon re-sizes the deal and runs up to "
                f"{FAIR_COUPON_PATHS:,} paths with the scenario's seed."
            )
            search = st.button("Find the fair coupon", key="fair_coupon")
            fair = fair_coupon_of(scenario, search)
            if fair is not None:
                st.markdown(fair_coupon_text(scenario, fair))
    if others:
        st.subheader("Side by side")
        st.caption(
            "Every scenario on the same paths and seed (common random numbers). The cards "
            "above show the change of the first column against the second."
        )
        st.dataframe(side_by_side(scenario, results, others, other_results), width="stretch")
    shown = st.pills(
        "Charts",
        list(CHARTS),
        selection_mode="multi",
        # Streamlit drops a widget's state on a run that does not draw it (a refused input
        # draws no results): the picks are kept beside it and given back as its default.
        default=list(state.get("charts_picked", DEFAULT_CHARTS)),
        format_func=CHARTS.__getitem__,
        key="charts_shown",
        on_change=keep_chart_picks,
        help="The charts drawn below; pick more to draw them (the fans of the series by year, "
        "the distribution of the MDF's inflow over paths, the money's flow and the fund by "
        "sector).",
    )
    picked = [name for name in CHARTS if name in (shown or [])]  # in the order offered
    figs = figures(scenario, results, others, other_results, picked)
    with st.container(key="charts"):
        for row in range(0, len(picked), 2):  # a row at a time: they stack in order when narrow
            for col, name in zip(st.columns(2), picked[row : row + 2], strict=False):
                with col:
                    st.plotly_chart(figs[name], width="stretch", key=name)
    st.subheader("The Development Fund by sector")
    st.dataframe(sector_table(results), width="stretch")
    st.subheader("Summary over paths")
    summary = results.summary()
    st.dataframe(summary, width="stretch")

    d1, d2, d3, d4 = st.columns(4)
    d1.download_button(
        "Scenario (YAML)",
        scenario.to_yaml(),
        file_name=file_name(scenario, ".yaml"),
        mime="application/x-yaml",
        key="dl_yaml",
    )
    d2.download_button(
        "Summary (CSV)",
        summary.to_csv(),
        file_name=file_name(scenario, "-summary.csv"),
        mime="text/csv",
        key="dl_summary",
    )
    d3.download_button(
        "Per-path metrics (CSV)",
        results.metrics.to_csv,  # built when clicked: a few MB, too slow for every rerun
        file_name=file_name(scenario, "-metrics.csv"),
        mime="text/csv",
        key="dl_metrics",
    )
    d4.download_button(
        "Workbook (Excel)",
        lambda: workbook_bytes(results),  # built when clicked: a few tenths of a second
        file_name=file_name(scenario, ".xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="dl_xlsx",
        help="Inputs, headline figures, summary, ledger, fans by year and the manifest, with "
        "units and number formats, as naef report --xlsx writes.",
    )
