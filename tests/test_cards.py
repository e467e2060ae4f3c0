"""The headline cards (simulator.present.cards): values, texts, changes and definitions.

Expected values come from the run's own headline (``Results.headline``) and from the catalogue
of outputs; the texts are read back as numbers and compared with the values.
"""

from __future__ import annotations

import math
import re

import pytest

from simulator.analysis.breakeven import breakeven_flat_price
from simulator.outputs import output
from simulator.present.cards import CARD_KEYS, breakeven_card, headline_cards
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
        }
        entry = output(card["key"])
        assert card["value"] == head[card["key"]]
        assert card["label"] == entry.label
        assert card["definition"] == entry.description and card["definition"]
        assert card["better"] == entry.better
        assert card["delta"] is None and card["delta_text"] is None
        assert card["se_text"] is not None and card["se_text"].startswith("±")
    by_key = {c["key"]: c for c in cards}
    for key in ("prob_default", "prob_standalone_default", "prob_pemex_support"):
        p = by_key[key]
        assert p["text"].endswith(" %"), key
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
    assert card["delta_text"] == f"{p1 - p0:+,.1f} USD/bbl"
    assert card["better"] == "lower" and card["definition"]
    assert breakeven_card(None)["text"] == "not reached"
