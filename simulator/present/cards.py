"""The headline cards of the page and the report: values, changes and definitions, formatted.

Every card is one output of the catalogue (:mod:`simulator.outputs`): its label, its unit, its
number format, its definition (the tooltip) and whether a rise is good news (``better``, which
colours a change) are read from there, so the page and the report hold no formulas and no labels.

A change is coloured by what it means, not by its sign: a rise of an output whose ``better`` is
``lower`` (the probability of default, the break-even price) is bad news, a fall good news; an
output whose ``better`` is ``none`` and a change that rounds to zero in the displayed format are
neutral, and a zero change has no arrow. A card whose figure is the same on every path says so
(``note``) instead of showing a standard error of zero.
"""

from __future__ import annotations

import math
from typing import Literal, TypedDict

import numpy as np

from ..outputs import SECTOR_METRICS, Better, format_change, format_value, output, sector_output
from ..run.results import Results

__all__ = [
    "CARD_KEYS",
    "Arrow",
    "Card",
    "Tone",
    "breakeven_card",
    "change_tone",
    "headline_cards",
    "sector_columns",
]

#: What a change means: ``good``, ``bad`` or ``neutral`` (no change, or no better direction).
Tone = Literal["good", "bad", "neutral"]
#: Which way a change points; None for a change that rounds to zero.
Arrow = Literal["up", "down"]


class Card(TypedDict):
    """One headline card.

    ``value`` and ``delta`` are in the output's stored unit (probabilities as fractions, money in
    USD bn); the ``*_text`` entries are ready to display. ``tone`` and ``arrow`` say how to draw
    the change (None without one); ``note`` is a visible remark under the value (a figure that
    is the same on every path), ``tooltip`` the whole hover text: the definition, the unit and
    the Monte Carlo error.
    """

    key: str
    label: str
    value: float
    text: str
    delta: float | None
    delta_text: str | None
    se_text: str | None
    definition: str
    better: Better
    unit: str
    tone: Tone | None
    arrow: Arrow | None
    note: str | None
    tooltip: str


#: Headline keys shown as cards, in order (keys of :data:`simulator.outputs.HEADLINE`), in
#: rows of four: the securities' credit and Pemex's support; what reaches Mexico's fund and
#: the United States; coverage (the break-even price card follows).
CARD_KEYS: tuple[str, ...] = (
    "prob_default",
    "prob_standalone_default",
    "prob_pemex_support",
    "pemex_support_pv_mean",
    "mdf_inflow_pv_p10",
    "mdf_inflow_pv_p50",
    "mdf_inflow_pv_p90",
    "mexico_benefit_pv_p50",
    "us_supply_total_mean",
    "min_dscr_p50",
    "avg_dscr_p50",
    "min_llcr_p50",
)


def _shows_zero(text: str) -> bool:
    """Whether a formatted number shows no non-zero digit (``"+0.00 pp"``, ``"-0.0"``)."""
    return not any(c in "123456789" for c in text)


def change_tone(better: Better, delta: float, delta_text: str) -> tuple[Tone, Arrow | None]:
    """The meaning and the direction of a change as displayed.

    Parameters
    ----------
    better
        The output's ``better`` in the catalogue.
    delta
        The change (new minus base), in any unit: only its sign is read.
    delta_text
        The change as displayed; one that shows no non-zero digit is no change.

    Returns
    -------
    tuple
        ``("neutral", None)`` for no change (or a change that is not finite); else ``"good"``
        when the change goes the way ``better`` says, ``"bad"`` when it goes the other way,
        ``"neutral"`` for ``better: none``; and the arrow, ``"up"`` or ``"down"``.
    """
    if not math.isfinite(delta) or delta == 0.0 or _shows_zero(delta_text):
        return "neutral", None
    arrow: Arrow = "up" if delta > 0 else "down"
    if better == "none":
        return "neutral", arrow
    good = (delta > 0) == (better == "higher")
    return ("good" if good else "bad"), arrow


def _unit_text(key: str) -> str:
    """The unit of a card for its tooltip, from the catalogue."""
    entry = output(key)
    if entry.percent:
        return "% (a change is in percentage points)"
    if entry.display_unit == "-":
        return "none (a ratio)"
    return entry.display_unit


def _constant_note(key: str, results: Results) -> tuple[str, str] | None:
    """For a headline figure whose metric is the same on every path: a short visible note and
    the sentence of the tooltip; else None.

    A probability never (or always) observed gives the number of paths and its one-sided 95%
    bound; any other figure says that it is the same on every path with a value.
    """
    entry = output(key)
    if entry.of is None or results.paths == 0:
        return None
    x = results.metrics[entry.of].to_numpy(dtype=float)
    finite = x[np.isfinite(x)]
    n = results.paths
    if entry.is_probability:
        flags = finite > 0.0 if entry.statistic == "share_positive" else finite != 0.0
        bound = 0.05 ** (1.0 / n)  # P(all n paths alike | p) = 0.05
        if not flags.any():
            under = format_value(key, 1.0 - bound)
            return (
                f"none of {n:,} paths (under {under} at 95%)",
                f"Seen on none of the {n:,} paths: its standard error is 0, and with 95% "
                f"confidence it is under {under}.",
            )
        if flags.all() and flags.size == n:
            over = format_value(key, bound)
            return (
                f"all {n:,} paths (over {over} at 95%)",
                f"Seen on all {n:,} paths: its standard error is 0, and with 95% confidence "
                f"it is over {over}.",
            )
        return None
    if finite.size == 0 or finite.min() != finite.max():
        return None
    where = f"all {n:,} paths"
    if finite.size < x.size:
        where = f"all {finite.size:,} paths with a value (of {n:,})"
    return (
        f"the same on {where}",
        f"The same on {where}: nothing drawn moves it, so it has no Monte Carlo error.",
    )


def _tooltip(key: str, se_text: str | None, error: str | None) -> str:
    parts = [output(key).description, f"Unit: {_unit_text(key)}."]
    if se_text is not None:
        parts.append(f"Monte Carlo standard error: {se_text}.")
    if error is not None:
        parts.append(error)
    return "\n\n".join(parts)


def _card(
    key: str,
    value: float,
    se: float | None,
    delta: float | None,
    *,
    constant: tuple[str, str] | None = None,
    error: str | None = None,
) -> Card:
    entry = output(key)
    se_text = note = None
    if constant is not None:
        note, error = constant
    elif se is not None:
        se_text = "± " + format_value(key, se)
    delta_text = tone = arrow = None
    if delta is not None:
        delta_text = format_change(key, delta)
        tone, arrow = change_tone(entry.better, delta, delta_text)
        if arrow is None and delta_text != "n/a":
            delta_text = delta_text.lstrip("+-")  # no change: no sign
    return Card(
        key=key,
        label=entry.label,
        value=value,
        text=format_value(key, value),
        delta=delta,
        delta_text=delta_text,
        se_text=se_text,
        definition=entry.description,
        better=entry.better,
        unit=entry.display_unit,
        tone=tone,
        arrow=arrow,
        note=note,
        tooltip=_tooltip(key, se_text, error),
    )


def headline_cards(results: Results, *, compare: Results | None = None) -> list[Card]:
    """The data of the headline cards, formatted.

    Parameters
    ----------
    results
        The run shown.
    compare
        The base run; when given each card's ``delta`` is ``results`` minus ``compare``.

    Returns
    -------
    list of Card
        One dict per key of :data:`CARD_KEYS`, with ``key``, ``label``, ``definition``,
        ``unit`` and ``better`` (from the catalogue), ``value`` (from
        :meth:`Results.headline`), ``text`` (``"5.44 %"``, ``"74.1 USD bn"``, ``"0.49"``,
        ``"6,796 mmbbl"``), ``delta`` and ``delta_text`` (``"+1.20 pp"``, ``"-3.4 USD bn"``,
        ``"0.00 pp"`` for no change; None without ``compare``), ``tone`` and ``arrow``
        (:func:`change_tone`), ``se_text``, the Monte Carlo standard error (``"± 0.23 %"``;
        None if the headline has none or the figure is the same on every path), ``note``
        (``"the same on all 2,000 paths"``, ``"none of 2,000 paths (under 0.15 % at 95%)"``;
        else None) and ``tooltip``. ``"n/a"`` stands for a value that is not finite.
    """
    head = results.headline()
    base = compare.headline() if compare is not None else None
    cards: list[Card] = []
    for key in CARD_KEYS:
        value = float(head[key])
        se = head.get(f"{key}_se")
        delta = None if base is None else value - float(base[key])
        cards.append(_card(key, value, se, delta, constant=_constant_note(key, results)))
    return cards


def breakeven_card(price: float | None, *, compare: float | None = None) -> Card:
    """The card of the break-even oil price (flat benchmark at which the minimum DSCR is 1, in
    the deterministic median case); ``price`` None: never reached.

    Parameters
    ----------
    price
        Break-even price [USD/bbl], from
        :func:`simulator.analysis.breakeven.breakeven_flat_price`.
    compare
        The base scenario's break-even price [USD/bbl], for the delta (a rise is bad news).
    """
    key = "breakeven_usd_per_bbl"
    value = math.nan if price is None else float(price)
    delta = None
    if compare is not None and math.isfinite(value):
        delta = value - compare
    card = _card(
        key,
        value,
        None,
        delta,
        error="One deterministic run of the median case, not an average over paths: it has "
        "no Monte Carlo error.",
    )
    if not math.isfinite(value):
        card["text"] = "not reached"
    return card


def sector_columns() -> list[tuple[str, str, str, float]]:
    """The columns of ``Results.by_sector`` as the page and the report show them: (column,
    title with its unit, number format, scale); the uplift's share in per cent."""
    columns = [
        (name, f"{o.label}, mean [{o.unit}]", o.format, 1.0)
        for name in SECTOR_METRICS
        for o in (sector_output(name),)
    ]
    uplift = sector_output("gdp_uplift_pv_usd_bn")
    columns += [
        (f"gdp_uplift_pv_p{p}", f"{uplift.label}, P{p} [{uplift.unit}]", uplift.format, 1.0)
        for p in (10, 50, 90)
    ]
    columns.append(("gdp_uplift_share", f"Share of the {uplift.label} [%]", ".1f", 100.0))
    return columns
