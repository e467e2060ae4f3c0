"""The one look of every figure: colours, the plotly template, and small helpers.

Okabe-Ito colours (:data:`PALETTE`), which stay distinct for the common forms of colour
blindness, by role. The template (:data:`TEMPLATE`) is passed to each figure and not registered
in ``plotly.io.templates``, so importing this module changes no global state. Units, labels and
number formats are not here: they come from the catalogue of outputs (:mod:`simulator.outputs`).
"""

from __future__ import annotations

import textwrap
from typing import Any

import plotly.graph_objects as go

__all__ = [
    "EN_DASH",
    "MINUS",
    "PALETTE",
    "SUBTITLE_WIDTH",
    "TEMPLATE",
    "new_figure",
    "rgba",
    "title",
]

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
    "muted": "#5F5F5F",  # subtitles
    "grid": "#E6E6E6",  # grid lines
}

#: Characters a line of a subtitle holds before it wraps: a figure 440 px wide, the narrowest
#: the page draws side by side (app/app.py), shows about this many at the subtitle's size.
SUBTITLE_WIDTH = 60

#: The one plotly template every figure of this module uses.
#:
#: The title (and its subtitle, ``title.subtitle``) sits at the top of the figure and pushes the
#: plot area down (``automargin``); the legend sits at the bottom of the figure, in a band the
#: plot area leaves free for it (``yref="container"``), under the x axis's title. The two never
#: share space, however narrow the figure and however many rows the legend wraps to.
TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": "Helvetica, Arial, sans-serif", "size": 13, "color": PALETTE["ink"]},
        title={
            "x": 0.0,
            "xanchor": "left",
            "xref": "container",
            "pad": {"l": 12, "t": 10},
            "yref": "container",
            "y": 1.0,
            "yanchor": "top",
            "automargin": True,
            "font": {"size": 16},
            "subtitle": {"font": {"size": 12, "color": PALETTE["muted"]}},
        },
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
        legend={
            "orientation": "h",
            "xref": "container",
            "x": 0.0,
            "xanchor": "left",
            "yref": "container",
            "y": 0.0,
            "yanchor": "bottom",
            "font": {"size": 12},
        },
        hoverlabel={"bgcolor": "white", "font": {"size": 12}},
        margin={"l": 70, "r": 30, "t": 40, "b": 40},
    )
)


def rgba(colour: str, alpha: float) -> str:
    """``rgba(...)`` of a ``#rrggbb`` colour with opacity ``alpha`` [0..1]."""
    h = colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:g})"


def title(text: str, subtitle: str = "") -> dict[str, Any]:
    """A figure's ``layout.title``: ``text`` and, when given, a smaller second part below it
    (``title.subtitle``), wrapped at :data:`SUBTITLE_WIDTH` characters so that it is not cut
    off in a narrow figure."""
    out: dict[str, Any] = {"text": text}
    if subtitle:
        lines = textwrap.wrap(subtitle, SUBTITLE_WIDTH, break_long_words=False)
        out["subtitle"] = {"text": "<br>".join(lines)}
    return out


def new_figure(text: str, *, subtitle: str = "", height: int = 460) -> go.Figure:
    """An empty figure in the module's style, titled ``text`` over ``subtitle``."""
    return go.Figure(
        layout={"template": TEMPLATE, "title": title(text, subtitle), "height": height}
    )
