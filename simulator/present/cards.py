"""The headline cards of the page and the report: values, changes and definitions, formatted.

Every card is one output of the catalogue (:mod:`simulator.outputs`): its label, its number
format, its definition (the tooltip) and whether a rise is good news (``better``, which colours
a change) are read from there, so the page and the report hold no formulas and no labels.
"""

from __future__ import annotations

import math
from typing import TypedDict

from ..outputs import Better, format_change, format_value, output
from ..run.results import Results

__all__ = ["CARD_KEYS", "Card", "breakeven_card", "headline_cards"]


class Card(TypedDict):
    """One headline card.

    ``value`` and ``delta`` are in the output's stored unit (probabilities as fractions, money in
    USD bn); the ``*_text`` entries are ready to display.
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


def _card(key: str, value: float, se: float | None, delta: float | None) -> Card:
    entry = output(key)
    se_text = None
    if se is not None:
        se_text = "± " + format_value(key, se)
    return Card(
        key=key,
        label=entry.label,
        value=value,
        text=format_value(key, value),
        delta=delta,
        delta_text=None if delta is None else format_change(key, delta),
        se_text=se_text,
        definition=entry.description,
        better=entry.better,
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
        One dict per key of :data:`CARD_KEYS`, with ``key``, ``label``, ``definition`` and
        ``better`` (from the catalogue), ``value`` (from :meth:`Results.headline`), ``text``
        (``"5.44 %"``, ``"74.1 USD bn"``, ``"0.49"``, ``"6,796 mmbbl"``), ``delta`` and
        ``delta_text`` (``"+1.20 pp"``, ``"-3.4 USD bn"``...; None without ``compare``) and
        ``se_text``, the Monte Carlo standard error (``"± 0.23 %"``; None if the headline has
        none). ``"n/a"`` stands for a value that is not finite.
    """
    head = results.headline()
    base = compare.headline() if compare is not None else None
    cards: list[Card] = []
    for key in CARD_KEYS:
        value = float(head[key])
        se = head.get(f"{key}_se")
        delta = None if base is None else value - float(base[key])
        cards.append(_card(key, value, se, delta))
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
        The base scenario's break-even price [USD/bbl], for the delta.
    """
    key = "breakeven_usd_per_bbl"
    value = math.nan if price is None else float(price)
    delta = None
    if compare is not None and math.isfinite(value):
        delta = value - compare
    card = _card(key, value, None, delta)
    if not math.isfinite(value):
        card["text"] = "not reached"
    return card
