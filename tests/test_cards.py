"""The headline cards (simulator.present.cards): values, texts, changes and definitions.

Expected values come from the run's own headline (``Results.headline``) and from the catalogue
of outputs; the texts are read back as numbers and compared with the values.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from simulator import simulate
from simulator.analysis.breakeven import breakeven_flat_price
from simulator.outputs import output
from simulator.present.cards import CARD_KEYS, breakeven_card, change_tone, headline_cards
from simulator.run.results import Results
from simulator.scenario import Scenario


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.+-]", "", text.replace(",", "")))


def test_headline_cards_values(baseline_run: Results) -> None:
    res = baseline_run
    cards = headline_cards(res)
    head = res.headline()
    assert [c["key"] for c in cards] == list(CARD_KEYS)
    assert list(CARD_KEYS) == [
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
    ]
    for card in cards:
        assert set(card) == {
            "key",
            "label",
            "value",
            "text",
            "delta",
            "delta_text",
            "se_text",
            "definition",
            "better",
            "unit",
            "tone",
            "arrow",
            "note",
            "tooltip",
        }
        entry = output(card["key"])
        assert card["value"] == head[card["key"]]
        assert card["label"] == entry.label
        assert card["definition"] == entry.description and card["definition"]
        assert card["better"] == entry.better
        assert card["delta"] is None and card["delta_text"] is None
        assert card["tone"] is None and card["arrow"] is None
        assert card["unit"] == entry.display_unit
        # A standard error, or (a figure the same on every path) a note saying so.
        if card["note"] is None:
            assert card["se_text"] is not None and card["se_text"].startswith("±")
        else:
            assert card["se_text"] is None
    by_key = {c["key"]: c for c in cards}
    for key in ("prob_default", "prob_standalone_default", "prob_pemex_support"):
        p = by_key[key]
        assert p["text"].endswith(" %"), key
        if p["note"] is not None:
            continue
        value, se = 100 * head[key], 100 * head[f"{key}_se"]
        assert _number(p["text"]) == pytest.approx(value, abs=0.005 + 1e-9), key
        assert _number(p["se_text"]) == pytest.approx(se, abs=0.005 + 1e-9), key
    support = by_key["pemex_support_pv_mean"]
    assert support["text"].endswith(" USD bn")
    want = head["pemex_support_pv_mean"]
    assert _number(support["text"]) == pytest.approx(want, abs=0.005 + 1e-9)
    m = by_key["mdf_inflow_pv_p50"]
    assert m["text"].endswith(" USD bn")
    assert _number(m["text"]) == pytest.approx(head["mdf_inflow_pv_p50"], abs=0.05 + 1e-9)
    for key in ("min_dscr_p50", "avg_dscr_p50", "min_llcr_p50"):
        d = by_key[key]
        assert _number(d["text"]) == pytest.approx(head[key], abs=0.005 + 1e-9), key
    s = by_key["us_supply_total_mean"]
    assert s["text"].endswith(" mmbbl")
    assert _number(s["text"]) == pytest.approx(head["us_supply_total_mean"], abs=0.5 + 1e-9)
    if head["us_supply_total_mean"] >= 1000:
        assert "," in s["text"]


def test_headline_cards_delta(baseline_run: Results, low20_run: Results) -> None:
    cards = headline_cards(low20_run, compare=baseline_run)
    head, base = low20_run.headline(), baseline_run.headline()
    for card in cards:
        key = card["key"]
        assert card["value"] == head[key]
        assert card["delta"] == pytest.approx(head[key] - base[key], rel=1e-12, abs=1e-12)
        assert card["delta_text"] is not None
        if card["delta"] is not None and math.isfinite(card["delta"]) and card["delta"] > 0:
            assert card["delta_text"].startswith("+")
    p = next(c for c in cards if c["key"] == "prob_default")
    assert p["delta_text"] is not None and p["delta_text"].endswith("pp")
    assert _number(p["delta_text"]) == pytest.approx(
        100 * (head["prob_default"] - base["prob_default"]), abs=0.005 + 1e-9
    )
    # Oil at $20 raises the probability of default: a change whose "better" is "lower".
    assert p["delta"] is not None and p["delta"] > 0 and p["better"] == "lower"


def test_breakeven_card_formats_the_library_price_and_its_delta(baseline: Scenario) -> None:
    dear = baseline.with_overrides({"naef.coupon_rate": 0.08})
    p0 = breakeven_flat_price(baseline).price_usd_per_bbl
    p1 = breakeven_flat_price(dear).price_usd_per_bbl
    card = breakeven_card(p1, compare=p0)
    assert card["value"] == p1
    assert card["text"] == f"{p1:,.1f} USD/bbl"
    assert card["delta"] == pytest.approx(p1 - p0)
    assert card["delta"] > 0  # a dearer coupon needs a higher oil price to cover the service
    shown = f"{p1 - p0:+,.1f}"
    if shown.strip("+-") == "0.0":  # a change that rounds to zero has no sign and no colour
        assert card["delta_text"] == "0.0 USD/bbl"
        assert (card["tone"], card["arrow"]) == ("neutral", None)
    else:
        assert card["delta_text"] == f"{shown} USD/bbl"
        assert (card["tone"], card["arrow"]) == ("bad", "up")
    assert card["better"] == "lower" and card["definition"]
    assert breakeven_card(None)["text"] == "not reached"


# ---------------------------------------------------------------------- meaning of a change


@pytest.mark.parametrize(
    ("better", "delta", "text", "want"),
    [
        ("lower", 0.02, "+2.00 pp", ("bad", "up")),  # more default: bad news
        ("lower", -0.02, "-2.00 pp", ("good", "down")),
        ("higher", 3.0, "+3.00 USD bn", ("good", "up")),
        ("higher", -3.0, "-3.00 USD bn", ("bad", "down")),
        ("none", 3.0, "+3.00 USD bn", ("neutral", "up")),
        ("none", -3.0, "-3.00 USD bn", ("neutral", "down")),
        ("lower", 0.0, "+0.00 pp", ("neutral", None)),
        ("higher", 1e-6, "+0.00 USD bn", ("neutral", None)),  # rounds to zero as shown
        ("higher", -1e-6, "0.00 USD bn", ("neutral", None)),
        ("higher", math.nan, "n/a", ("neutral", None)),
    ],
)
def test_change_tone_follows_better(better: Any, delta: float, text: str, want: Any) -> None:
    assert change_tone(better, delta, text) == want


def test_changes_are_coloured_by_the_catalogues_better(
    baseline_run: Results, low20_run: Results
) -> None:
    """Oil at $20 against the baseline: more default and support (lower is better) is bad news,
    less money for the fund (higher is better) too; the reverse comparison is good news."""
    for shown, base, news in ((low20_run, baseline_run, "bad"), (baseline_run, low20_run, "good")):
        by_key = {c["key"]: c for c in headline_cards(shown, compare=base)}
        for key in ("prob_standalone_default", "prob_pemex_support", "mdf_inflow_pv_p50"):
            card = by_key[key]
            assert card["tone"] == news, (key, card["delta_text"])
            assert card["arrow"] == ("up" if card["delta"] > 0 else "down")
            assert card["delta_text"] is not None
            assert card["delta_text"].startswith("+" if card["arrow"] == "up" else "-")
        assert by_key["prob_pemex_support"]["arrow"] == ("up" if news == "bad" else "down")
        assert by_key["mdf_inflow_pv_p50"]["arrow"] == ("down" if news == "bad" else "up")
    for card in headline_cards(low20_run, compare=baseline_run):
        if card["better"] == "none":
            assert card["tone"] == "neutral"


def test_no_change_is_neutral_without_an_arrow_or_a_sign(baseline_run: Results) -> None:
    for card in headline_cards(baseline_run, compare=baseline_run):
        assert card["delta"] == 0.0 or math.isnan(card["delta"])
        assert card["tone"] == "neutral" and card["arrow"] is None, card
        text = card["delta_text"]
        assert text is not None and not text.startswith(("+", "-")), text


def test_breakeven_rise_is_bad_news() -> None:
    card = breakeven_card(45.0, compare=40.0)
    assert (card["tone"], card["arrow"]) == ("bad", "up")
    assert card["delta_text"] == "+5.0 USD/bbl"
    assert (breakeven_card(40.0, compare=45.0)["tone"]) == "good"
    same = breakeven_card(40.0, compare=40.0)
    assert (same["tone"], same["arrow"], same["delta_text"]) == ("neutral", None, "0.0 USD/bbl")
    assert "no Monte Carlo error" in card["tooltip"]
    assert card["tooltip"].startswith(output("breakeven_usd_per_bbl").description)


def test_tooltips_give_the_definition_the_unit_and_the_error(baseline_run: Results) -> None:
    for card in headline_cards(baseline_run):
        entry = output(card["key"])
        first, unit, error = card["tooltip"].split("\n\n")
        assert first == entry.description
        if entry.percent:
            assert unit.startswith("Unit: % ")
        elif entry.display_unit == "-":
            assert unit == "Unit: none (a ratio)."
        else:
            assert unit == f"Unit: {entry.display_unit}."
        if card["se_text"] is not None:
            assert error == f"Monte Carlo standard error: {card['se_text']}."
        else:
            assert (card["note"] is not None and "standard error is 0" in error) or (
                "no Monte Carlo error" in error
            )


def test_a_figure_the_same_on_every_path_says_so(baseline: Scenario) -> None:
    """A price deck with every risk switched off: every path is the same path. No card shows
    a standard error of zero as if it were a precise estimate: each says it is a constant, and
    a probability never observed gives its one-sided 95% bound instead."""
    flat = baseline.with_overrides(
        {
            "oil_price.model": "deck",
            "oil_price.deck_usd_per_bbl": [60.0],
            "pemex.capex_overrun_sd": 0.0,
            "pemex.reservoir_factor_sd": 0.0,
            "risks.export_mix_sd": 0.0,
        }
    )
    n = 300
    res = simulate(flat, paths=n, seed=3)
    assert (res.metrics["mdf_inflow_pv_usd_bn"].nunique()) == 1, "the paths must be identical"
    cards = {c["key"]: c for c in headline_cards(res)}
    for key, card in cards.items():
        assert card["note"] is not None, key
        assert card["se_text"] is None, key
        assert "± " not in card["tooltip"], key
    mdf = cards["mdf_inflow_pv_p50"]
    assert mdf["note"] == f"the same on all {n:,} paths"
    # Never observed: under 1 - 0.05^(1/n) at 95% (about 3/n).
    bound = 1.0 - 0.05 ** (1.0 / n)
    never = [c for c in cards.values() if output(c["key"]).is_probability and c["value"] == 0]
    assert never, "the flat deck at $60 must leave some probability at zero"
    for card in never:
        assert card["note"] == f"none of {n:,} paths (under {100 * bound:.2f} % at 95%)"
        assert "95% confidence it is under" in card["tooltip"]
    # A run whose paths differ has no such notes on the figures that vary.
    varied = {c["key"]: c for c in headline_cards(simulate(baseline, paths=n, seed=3))}
    assert varied["mdf_inflow_pv_p50"]["note"] is None
    assert varied["mdf_inflow_pv_p50"]["se_text"] is not None
