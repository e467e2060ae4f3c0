"""Annual average WTI spot prices, 1986-2025, for the historical replay and the bootstrap.

Source: U.S. Energy Information Administration (EIA), "Cushing, OK WTI Spot Price FOB",
annual average [USD/bbl], series RWTC; public domain. The figures are carried here as a small
table (rounded as published) rather than as a data file.
"""

from __future__ import annotations

import numpy as np

__all__ = ["WTI_ANNUAL_USD_PER_BBL", "wti_annual", "wti_log_returns"]

#: Calendar year -> annual average WTI spot price [USD/bbl] (EIA).
WTI_ANNUAL_USD_PER_BBL: dict[int, float] = {
    1986: 15.05,
    1987: 19.2,
    1988: 15.97,
    1989: 19.64,
    1990: 24.53,
    1991: 21.54,
    1992: 20.58,
    1993: 18.43,
    1994: 17.2,
    1995: 18.43,
    1996: 22.12,
    1997: 20.61,
    1998: 14.42,
    1999: 19.34,
    2000: 30.38,
    2001: 25.98,
    2002: 26.18,
    2003: 31.08,
    2004: 41.51,
    2005: 56.64,
    2006: 66.05,
    2007: 72.34,
    2008: 99.67,
    2009: 61.95,
    2010: 79.48,
    2011: 94.88,
    2012: 94.05,
    2013: 97.98,
    2014: 93.17,
    2015: 48.66,
    2016: 43.29,
    2017: 50.8,
    2018: 65.23,
    2019: 56.99,
    2020: 39.16,
    2021: 68.13,
    2022: 94.9,
    2023: 77.58,
    2024: 76.63,
    2025: 65.39,
}


def wti_annual(first_year: int, last_year: int) -> list[float]:
    """Annual average WTI prices [USD/bbl] for ``first_year..last_year`` inclusive.

    Raises
    ------
    KeyError
        When a year is outside 1986-2025.
    """
    return [WTI_ANNUAL_USD_PER_BBL[y] for y in range(first_year, last_year + 1)]


def wti_log_returns() -> np.ndarray:
    """Annual log returns of the built-in WTI table [1/year], 1987-2025 (39 values)."""
    prices = np.array(list(WTI_ANNUAL_USD_PER_BBL.values()))
    return np.diff(np.log(prices))
