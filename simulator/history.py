"""Annual average WTI spot prices, 1986-2025, for the historical replay and the bootstrap.

Source: U.S. Energy Information Administration (EIA), "Cushing, OK WTI Spot Price FOB",
annual average [USD/bbl], series RWTC; public domain. The figures are carried here as a small
table (rounded as published) rather than as a data file.

Also holds the U.S. CPI-U annual averages, 1986-2024 (BLS), for deflating nominal dollars;
its source is in the comment block just above that table.
"""

from __future__ import annotations

import numpy as np

__all__ = ["US_CPI_U_ANNUAL", "WTI_ANNUAL_USD_PER_BBL", "wti_annual", "wti_log_returns"]

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


# U.S. consumer prices, for converting nominal dollars to real dollars.
#
# Source: U.S. Bureau of Labor Statistics (BLS), Consumer Price Index for All Urban Consumers
# (CPI-U), U.S. city average, all items, not seasonally adjusted, 1982-84=100; series id
# CUUR0000SA0. Monthly values as fetched from the BLS public API into the GitHub repository
# Economic/realtalk, file data-raw/raw/cpi_u_nsa.csv
# (commit fc7dc7d61021e63776256e7aced17d890abe51b2). The monthly values for 1986-2025 are
# identical to those in the GitHub repository datasets/cpi-us, file data/cpiai.csv
# (commit a1f785a423e22924ef9a438f8996130b1d00374f).
# Each entry is the annual average of the monthly values (mean of the 12 months), rounded to
# 3 decimals. Years covered: 1986-2024. 2025 is left out: both files lack an October 2025
# value (BLS published no October 2025 index), so that year has only 11 monthly values.

#: Calendar year -> CPI-U annual average (BLS series CUUR0000SA0; index, 1982-84=100).
US_CPI_U_ANNUAL: dict[int, float] = {
    1986: 109.608,
    1987: 113.625,
    1988: 118.258,
    1989: 123.967,
    1990: 130.658,
    1991: 136.192,
    1992: 140.317,
    1993: 144.458,
    1994: 148.225,
    1995: 152.383,
    1996: 156.85,
    1997: 160.517,
    1998: 163.008,
    1999: 166.575,
    2000: 172.2,
    2001: 177.067,
    2002: 179.875,
    2003: 183.958,
    2004: 188.883,
    2005: 195.292,
    2006: 201.592,
    2007: 207.342,
    2008: 215.303,
    2009: 214.537,
    2010: 218.056,
    2011: 224.939,
    2012: 229.594,
    2013: 232.957,
    2014: 236.736,
    2015: 237.017,
    2016: 240.007,
    2017: 245.12,
    2018: 251.107,
    2019: 255.657,
    2020: 258.811,
    2021: 270.97,
    2022: 292.655,
    2023: 304.702,
    2024: 313.689,
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
