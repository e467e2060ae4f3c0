"""Average cumulative default rates by rating and horizon, for the implied rating of the notes.

Sources (each table as published, in per cent):

- ``moodys_1970_2013``: Moody's, average cumulative default rates (%), 1970-2013, horizons 1-20
  years, as reproduced in J. Hull, *Risk Management and Financial Institutions*, 4th ed. (Wiley,
  2015), table 19.1 ("Source: Moody's").
- ``sp_1981_2019``: S&P Global Ratings, global corporate average cumulative default rates (%),
  1981-2019, horizons 1-15 years, as reproduced in J. Hull, *Options, Futures, and Other
  Derivatives*, 11th ed. (Pearson, 2021), table 24.1 ("Source: S&P Global Ratings Research
  and S&P Global Market Intelligence's CreditPro").

A leaf module: it imports nothing from the simulator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["RATING_TABLES", "RatingTable", "cumulative_default_rate", "implied_rating"]


class RatingTable:
    """One published table: horizons [years] and, by rating from best to worst, the average
    cumulative default rate at each horizon [fraction]."""

    def __init__(
        self, title: str, horizons: tuple[int, ...], rates_pct: Mapping[str, tuple[float, ...]]
    ) -> None:
        self.title = title
        self.horizons = horizons
        self.ratings = tuple(rates_pct)
        self.rates = MappingProxyType(
            {r: tuple(v / 100.0 for v in rates_pct[r]) for r in rates_pct}
        )


RATING_TABLES: Mapping[str, RatingTable] = MappingProxyType(
    {
        "moodys_1970_2013": RatingTable(
            "Moody's average cumulative default rates, 1970-2013 (Hull 2015, table 19.1)",
            (1, 2, 3, 4, 5, 7, 10, 15, 20),
            {
                "Aaa": (0.000, 0.013, 0.013, 0.037, 0.104, 0.241, 0.489, 0.910, 1.073),
                "Aa": (0.022, 0.068, 0.136, 0.260, 0.410, 0.682, 1.017, 1.871, 3.167),
                "A": (0.062, 0.199, 0.434, 0.679, 0.958, 1.615, 2.759, 4.583, 7.044),
                "Baa": (0.174, 0.504, 0.906, 1.373, 1.862, 2.872, 4.623, 8.306, 11.969),
                "Ba": (1.110, 3.071, 5.371, 7.839, 10.065, 13.911, 19.323, 28.500, 35.410),
                "B": (3.904, 9.274, 14.723, 19.509, 23.869, 31.774, 40.560, 50.275, 55.892),
                "Caa-C": (15.894, 27.003, 35.800, 42.796, 48.828, 56.878, 66.212, 73.152, 74.946),
            },
        ),
        "sp_1981_2019": RatingTable(
            "S&P global corporate average cumulative default rates, 1981-2019 "
            "(Hull 2021, table 24.1)",
            (1, 2, 3, 4, 5, 7, 10, 15),
            {
                "AAA": (0.00, 0.03, 0.13, 0.24, 0.35, 0.51, 0.70, 0.91),
                "AA": (0.02, 0.06, 0.12, 0.21, 0.31, 0.50, 0.72, 1.02),
                "A": (0.05, 0.14, 0.23, 0.35, 0.47, 0.79, 1.24, 1.89),
                "BBB": (0.16, 0.45, 0.78, 1.17, 1.58, 2.33, 3.32, 4.69),
                "BB": (0.61, 1.92, 3.48, 5.05, 6.52, 9.01, 11.78, 14.67),
                "B": (3.33, 7.71, 11.55, 14.58, 16.93, 20.36, 23.74, 27.12),
                "CCC/C": (27.08, 36.64, 41.41, 44.10, 46.19, 48.26, 50.38, 52.59),
            },
        ),
    }
)


def cumulative_default_rate(table: RatingTable, rating: str, years: float) -> float:
    """The table's cumulative default rate of a rating at a horizon [fraction]: linear between
    the published horizons, the last one held beyond them, 0 at 0 years."""
    rates = table.rates[rating]
    points = (0, *table.horizons)
    values = (0.0, *rates)
    if years >= points[-1]:
        return values[-1]
    for (x0, y0), (x1, y1) in zip(
        zip(points, values, strict=True), zip(points[1:], values[1:], strict=True), strict=False
    ):
        if x0 <= years <= x1:
            return y0 + (y1 - y0) * (years - x0) / (x1 - x0)
    return 0.0  # pragma: no cover - years < 0 is not asked


def implied_rating(table: RatingTable, probability: float, years: float) -> str:
    """The best rating whose cumulative default rate at ``years`` is at least ``probability``
    (the worst rating when none is); NaN probabilities give the worst rating."""
    if math.isnan(probability):
        return table.ratings[-1]
    for rating in table.ratings:
        if cumulative_default_rate(table, rating, years) >= probability:
            return rating
    return table.ratings[-1]
