"""The one look of every figure: colours, the plotly template, and small helpers.

Okabe-Ito colours (:data:`PALETTE`), which stay distinct for the common forms of colour
blindness, by role. The template (:data:`TEMPLATE`) is passed to each figure and not registered
in ``plotly.io.templates``, so importing this module changes no global state. Units, labels and
number formats are not here: they come from the catalogue of outputs (:mod:`simulator.outputs`).
"""

from __future__ import annotations

import plotly.graph_objects as go

__all__ = ["EN_DASH", "MINUS", "PALETTE", "TEMPLATE", "new_figure", "rgba", "subtitle"]

EN_DASH = "\u2013"
MINUS = "\u2212"

#: Colours by role (Okabe-Ito palette; hex RGB).
PALETTE: dict[str, str] = {
    "base": "#0072B2",  # blue: the scenario shown
    "compare": "#E69F00",  # orange: the scenario compared against
    "distress": "#D55E00",  # vermillion: paths in distress, shortfalls
    "mdf": "#009E73",  # bluish green: the Mexican Development Fund
    "pemex": "#CC79A7",  # reddish purple: Pemex
    "debt": "#56B4E9",  # sky blue: debt service
    "reserve": "#F0E442",  # yellow: reserve account and backstop
    "neutral": "#8C8C8C",  # grey: costs, government take
    "ink": "#333333",  # text and reference lines
    "grid": "#E6E6E6",  # grid lines
}

#: The one plotly template every figure of this module uses.
TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": "Helvetica, Arial, sans-serif", "size": 13, "color": PALETTE["ink"]},
        title={"x": 0.0, "xanchor": "left", "font": {"size": 16}},
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=[
            PALETTE[k] for k in ("base", "compare", "mdf", "distress", "pemex", "debt", "neutral")
        ],
        xaxis={
            "showgrid": False,
            "showline": True,
            "linecolor": PALETTE["ink"],
            "ticks": "outside",
            "zeroline": False,
            "automargin": True,
        },
        yaxis={
            "showgrid": True,
            "gridcolor": PALETTE["grid"],
            "showline": False,
            "zeroline": True,
            "zerolinecolor": PALETTE["neutral"],
            "automargin": True,
        },
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0.0, "xanchor": "left"},
        hoverlabel={"bgcolor": "white", "font": {"size": 12}},
        margin={"l": 70, "r": 30, "t": 110, "b": 60},
    )
)


def rgba(colour: str, alpha: float) -> str:
    """``rgba(...)`` of a ``#rrggbb`` colour with opacity ``alpha`` [0..1]."""
    h = colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:g})"


def new_figure(title: str, *, height: int = 460) -> go.Figure:
    """An empty figure in the module's style."""
    return go.Figure(layout={"template": TEMPLATE, "title": {"text": title}, "height": height})


def subtitle(text: str) -> str:
    """A second, smaller line of a figure's title."""
    return f"<br><sup>{text}</sup>"
