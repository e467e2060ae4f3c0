"""Maximum-likelihood fits of the oil price models to annual average prices (``naef calibrate``).

The price models step once a year on **annual average** prices, so they are fitted to annual
averages: a monthly series is first averaged to calendar years (complete years of twelve months
only), never fitted month by month and converted. With ``x = ln P``:

- ``mean_reverting`` (one-factor Schwartz 1997, exact annual step) is the Gaussian AR(1)
  ``x[t+1] = a + b x[t] + s e``. Its conditional maximum-likelihood estimate is least squares for
  ``a`` and ``b`` and ``s^2 = RSS / n``; then ``k = -ln b`` [1/year], the long-run median
  ``exp(a / (1 - b))`` [USD/bbl] and the continuous-time volatility
  ``vol = s sqrt(2k / (1 - e^-2k))`` [1/sqrt(year)], which exceeds the one-step spread ``s``.
  Standard errors: least squares for ``a`` and ``b``, ``s / sqrt(2n)`` for ``s``, the delta method
  for the rest. The AR coefficient is biased down in short samples (Kendall 1954, Marriott and
  Pope 1954: ``E[b_hat] - b ~ -(1 + 3b) / n``); the bias-corrected ``k`` and a 95% interval
  (the interval on the corrected ``b`` mapped through ``-ln``) are reported beside the estimate.
- ``gbm``: the annual log returns are normal with mean ``drift - vol^2 / 2`` and spread ``vol``.

Both fits condition on the first price and use the same ``n`` one-year steps, so their
log-likelihoods and AICs compare. Every function here is pure; bad data raise
:class:`~simulator.scenario.errors.InputError` with one line naming the file, the line or field,
what it got and what it wants.

The shipped data (``simulator/data/``, see its README) are EIA spot prices: WTI (RWTC) from 1986
and Brent (RBRTE) from 1987, annual and monthly averages [USD/bbl], public domain.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..history import US_CPI_U_ANNUAL
from ..scenario.errors import InputError, describe

__all__ = [
    "MIN_YEARS",
    "Calibration",
    "Estimate",
    "annual_averages",
    "calibrate",
    "deflate",
    "fit_gbm",
    "fit_mean_reverting",
    "load_prices",
    "read_price_csv",
]

Series = Literal["wti", "brent"]
Frequency = Literal["annual", "monthly"]
Basis = Literal["nominal", "real"]
Model = Literal["mean_reverting", "gbm"]

#: Fewest annual prices a fit accepts (the window's years; one fewer one-year steps).
MIN_YEARS = 8

#: The bias-corrected AR coefficient is capped here (mean reversion at least 0.001 per year).
_B_CAP = 0.999

#: Two-sided 95% point of the standard normal.
_Z95 = 1.959963984540054

#: Largest price file read [bytes]; the daily EIA series since 1986 is under 200 kB.
_MAX_FILE_BYTES = 10_000_000

#: Labels of the shipped series.
_SERIES_LABELS = {"wti": "EIA WTI spot (RWTC)", "brent": "EIA Brent spot (RBRTE)"}
_SHORT_LABELS = {"wti": "WTI", "brent": "Brent"}

_HEADER = ("Date", "Price")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class Estimate:
    """A maximum-likelihood estimate and its (asymptotic) standard error, in the field's unit."""

    value: float
    se: float

    def interval(self, z: float = _Z95) -> tuple[float, float]:
        """``value -/+ z se`` (by default the 95% normal interval)."""
        return (self.value - z * self.se, self.value + z * self.se)


@dataclass(frozen=True)
class Calibration:
    """A fitted price model: the estimates, their standard errors and where they came from.

    Attributes
    ----------
    model
        ``"mean_reverting"`` or ``"gbm"``.
    series
        The data: ``"EIA WTI spot (RWTC)"``, ``"EIA Brent spot (RBRTE)"`` or a file path.
    frequency
        Frequency of the source data (``"annual"``, or ``"monthly"`` averaged to years).
    start, end
        The window, calendar years inclusive.
    basis
        ``"nominal"`` or ``"real"`` (constant dollars of ``base_year``, by U.S. CPI-U).
    base_year
        Year of the constant dollars when ``basis`` is real, else None.
    n
        One-year steps fitted (annual prices in the window less one; the first is conditioned on).
    initial_usd_per_bbl
        Last annual price of the window, in the basis's dollars [USD/bbl].
    volatility
        Continuous-time volatility of ln P [1/sqrt(year)] (gbm: the spread of the log returns).
    s
        Maximum-likelihood spread of the one-step residuals [-] (``sqrt(RSS / n)``).
    s_unbiased
        The same with the degrees of freedom taken out (``n - 2`` mean reverting, ``n - 1`` gbm).
    loglik
        Conditional Gaussian log-likelihood at the estimates (with ``s``) [-].
    aic
        ``2 n_params - 2 loglik`` (3 parameters mean reverting: a, b, s; 2 gbm).
    residuals
        One-step residuals of ln P, one per step [-].
    mean_reversion_per_year
        ``k = -ln b`` [1/year] (mean reverting; None for gbm).
    long_run_usd_per_bbl
        Long-run median ``exp(a / (1 - b))`` [USD/bbl] (mean reverting).
    ar_intercept, ar_coefficient
        ``a`` and ``b`` of the AR(1) in ln P (mean reverting).
    ar_coefficient_bias_corrected
        ``b + (1 + 3b) / n`` capped at 0.999 (Kendall 1954) (mean reverting).
    mean_reversion_bias_corrected
        ``-ln`` of the bias-corrected ``b`` [1/year] (mean reverting).
    mean_reversion_interval
        95% interval of ``k``: the interval ``b_corrected -/+ 1.96 se(b)`` through ``-ln``;
        its lower end is 0 when the interval on ``b`` reaches 1, its upper end infinite when it
        reaches 0 [1/year] (mean reverting).
    mean_log_return
        Mean annual log return ``drift - vol^2 / 2`` [1/year] (gbm).
    drift_per_year
        ``mean_log_return + vol^2 / 2``, the expected growth of P [1/year] (gbm).
    months_dropped
        Monthly prices left out because their calendar year is incomplete.
    """

    model: Model
    series: str
    frequency: Frequency
    start: int
    end: int
    basis: Basis
    base_year: int | None
    n: int
    initial_usd_per_bbl: float
    volatility: Estimate
    s: float
    s_unbiased: float
    loglik: float
    aic: float
    residuals: np.ndarray = field(repr=False, compare=False)
    mean_reversion_per_year: Estimate | None = None
    long_run_usd_per_bbl: Estimate | None = None
    ar_intercept: Estimate | None = None
    ar_coefficient: Estimate | None = None
    ar_coefficient_bias_corrected: float | None = None
    mean_reversion_bias_corrected: float | None = None
    mean_reversion_interval: tuple[float, float] | None = None
    mean_log_return: Estimate | None = None
    drift_per_year: Estimate | None = None
    months_dropped: int = 0

    @property
    def n_params(self) -> int:
        """Parameters of the likelihood: 3 (a, b, s) mean reverting, 2 (mean, spread) gbm."""
        return 3 if self.model == "mean_reverting" else 2

    def oil_price_block(self) -> dict[str, str | float]:
        """The scenario's ``oil_price`` fields this fit sets.

        Prices are rounded to cents, rates and volatilities to 4 decimals (far below their
        standard errors). ``basis: real`` is added when the prices were deflated.
        """
        block: dict[str, str | float] = {
            "model": self.model,
            "initial_usd_per_bbl": round(self.initial_usd_per_bbl, 2),
        }
        if self.model == "mean_reverting":
            assert self.long_run_usd_per_bbl is not None
            assert self.mean_reversion_per_year is not None
            block["long_run_usd_per_bbl"] = round(self.long_run_usd_per_bbl.value, 2)
            block["mean_reversion_per_year"] = round(self.mean_reversion_per_year.value, 4)
            block["volatility"] = round(self.volatility.value, 4)
        else:
            assert self.drift_per_year is not None
            block["volatility"] = round(self.volatility.value, 4)
            block["drift_per_year"] = round(self.drift_per_year.value, 4)
        if self.basis == "real":
            block["basis"] = "real"
        return block

    def to_yaml(self) -> str:
        """An ``oil_price:`` YAML block, each field under a comment saying where it came from."""
        src = f"naef calibrate: {self._short_label()} {self.start}-{self.end}, {self._basis_text()}"
        notes: dict[str, str] = {
            "model": f"{src}: {self._model_text()}, {self.n} one-year steps, "
            f"log-likelihood {self.loglik:.2f}, AIC {self.aic:.2f}",
            "initial_usd_per_bbl": f"{src}: the {self.end} annual average",
            "volatility": f"{src}: {_pm(self.volatility)} (MLE ± SE)",
        }
        if self.model == "mean_reverting":
            assert self.long_run_usd_per_bbl is not None
            assert self.mean_reversion_per_year is not None
            assert self.mean_reversion_interval is not None
            lo, hi = self.mean_reversion_interval
            notes["long_run_usd_per_bbl"] = f"{src}: {_pm(self.long_run_usd_per_bbl)} (MLE ± SE)"
            notes["mean_reversion_per_year"] = (
                f"{src}: {_pm(self.mean_reversion_per_year)} (MLE ± SE); bias-corrected "
                f"{self.mean_reversion_bias_corrected:.3g}, 95% interval {_num(lo)} to {_num(hi)}"
            )
            notes["volatility"] += f"; continuous time (one-step spread s {self.s:.3g})"
        else:
            assert self.drift_per_year is not None
            notes["drift_per_year"] = f"{src}: {_pm(self.drift_per_year)} (MLE ± SE)"
        if self.basis == "real":
            notes["basis"] = (
                f"{src}: price levels in constant {self.base_year} dollars (U.S. CPI-U), "
                f"for a scenario whose start_year is {(self.base_year or 0) + 1}"
            )
        lines = [
            f"# Oil price model fitted by naef calibrate (maximum likelihood) to "
            f"{self._one_line_series()}, {self._frequency_text()}.",
            "oil_price:",
        ]
        for key, value in self.oil_price_block().items():
            lines.append(f"  # {notes[key]}")
            lines.append(f"  {key}: {value}")
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        """A table of the fit for the terminal."""
        rows: list[tuple[str, str, str]] = []
        if self.model == "mean_reverting":
            k, lr = self.mean_reversion_per_year, self.long_run_usd_per_bbl
            a, b = self.ar_intercept, self.ar_coefficient
            assert k is not None and lr is not None and a is not None and b is not None
            assert self.mean_reversion_interval is not None
            lo, hi = self.mean_reversion_interval
            rows += [
                ("Mean reversion k [1/year]", f"{k.value:.4f}", f"{k.se:.4f}"),
                (
                    "  bias-corrected (Kendall) k [1/year]",
                    f"{self.mean_reversion_bias_corrected:.4f}",
                    f"95% interval {_num(lo)} to {_num(hi)}",
                ),
                ("Long-run median [USD/bbl]", f"{lr.value:.2f}", f"{lr.se:.2f}"),
                ("Volatility, continuous time [1/sqrt(year)]", *_cells(self.volatility)),
                ("One-step residual spread s [-]", f"{self.s:.4f}", ""),
                ("  with n - 2 degrees of freedom", f"{self.s_unbiased:.4f}", ""),
                ("AR(1) intercept a [-]", *_cells(a)),
                ("AR(1) coefficient b [-]", *_cells(b)),
                (
                    "  bias-corrected b [-]",
                    f"{self.ar_coefficient_bias_corrected:.4f}",
                    "",
                ),
            ]
        else:
            d, m = self.drift_per_year, self.mean_log_return
            assert d is not None and m is not None
            rows += [
                ("Drift [1/year]", *_cells(d)),
                ("Volatility [1/sqrt(year)]", *_cells(self.volatility)),
                ("  with n - 1 degrees of freedom", f"{self.s_unbiased:.4f}", ""),
                ("Mean log return [1/year]", *_cells(m)),
            ]
        rows += [
            (f"Initial price, {self.end} [USD/bbl]", f"{self.initial_usd_per_bbl:.2f}", ""),
            ("Log-likelihood", f"{self.loglik:.3f}", ""),
            (f"AIC ({self.n_params} parameters)", f"{self.aic:.3f}", ""),
        ]
        lines = [
            f"Calibration: {self._model_text()}",
            f"  {self._one_line_series()}, {self._frequency_text()}",
            f"  {self.start}-{self.end}: {self.n + 1} annual prices, {self.n} one-year steps "
            f"(the first price conditioned on); {self._basis_text()}",
            f"  {'':<44}{'estimate':>10}  {'std. error':<10}",
        ]
        lines += [f"  {label:<44}{value:>10}  {se}".rstrip() for label, value, se in rows]
        return "\n".join(lines)

    def _model_text(self) -> str:
        if self.model == "mean_reverting":
            return "one-factor mean reverting (exact annual AR(1) of ln P)"
        return "geometric Brownian motion (annual log returns)"

    def _short_label(self) -> str:
        for key, label in _SERIES_LABELS.items():
            if self.series == label:
                return _SHORT_LABELS[key]
        return self._one_line_series()

    def _one_line_series(self) -> str:
        return "".join(c if c.isprintable() else "?" for c in self.series)

    def _basis_text(self) -> str:
        if self.basis == "real":
            return f"real {self.base_year} USD/bbl"
        return "nominal USD/bbl"

    def _frequency_text(self) -> str:
        if self.frequency == "annual":
            return "annual averages"
        text = "monthly averages, averaged to calendar years"
        if self.months_dropped:
            text += f" ({self.months_dropped} months of incomplete years left out)"
        return text


def _num(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.3g}"


def _pm(e: Estimate) -> str:
    """``value ± se``, the error to two significant figures and the value to the same place."""
    if not (math.isfinite(e.se) and e.se > 0):
        return f"{e.value:.4g} ± {e.se:.2g}"
    places = max(0, 1 - math.floor(math.log10(e.se)))
    return f"{e.value:.{places}f} ± {e.se:.{places}f}"


def _cells(e: Estimate) -> tuple[str, str]:
    return f"{e.value:.4f}", f"{e.se:.4f}"


# --------------------------------------------------------------------------------------------
# Reading prices


def _parse_prices(text: str, source: str, frequency: Frequency | None) -> pd.Series:
    """Prices of a ``Date,Price`` CSV text, indexed by year or by month."""
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    rows: list[tuple[int, int | None, float, int]] = []  # year, month, price, line
    try:
        for cells in reader:
            line = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                if tuple(header) != _HEADER:
                    raise InputError(
                        source,
                        f"line {line}",
                        f"got header {describe(','.join(cells))}; want Date,Price",
                    )
                continue
            if len(cells) != 2:
                raise InputError(
                    source, f"line {line}", f"got {len(cells)} fields; want 2 (Date,Price)"
                )
            year, month = _parse_date(cells[0].strip(), source, line)
            rows.append((year, month, _parse_price(cells[1].strip(), source, line), line))
    except csv.Error as exc:
        raise InputError(
            source, f"line {reader.line_num}", f"got bad CSV ({exc}); want Date,Price"
        ) from None
    if header is None:
        raise InputError(source, "", "got an empty file; want a header Date,Price and prices")
    if not rows:
        raise InputError(source, "", "got no prices; want one line per year or month")
    if frequency is None:
        frequency = _detect_frequency(rows)
    if frequency == "monthly":
        return _monthly(rows, source)
    return _annual(rows, source)


def _parse_date(text: str, source: str, line: int) -> tuple[int, int | None]:
    m = _DATE.fullmatch(text)
    want = "want a date YYYY, YYYY-MM or YYYY-MM-DD"
    if m is None:
        raise InputError(source, f"line {line}: Date", f"got {describe(text)}; {want}")
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else 1
    try:
        datetime.date(year, month or 1, day)
    except ValueError:
        raise InputError(source, f"line {line}: Date", f"got {describe(text)}; {want}") from None
    return year, month


def _parse_price(text: str, source: str, line: int) -> float:
    try:
        price = float(text)
    except ValueError:
        price = math.nan
    if not (math.isfinite(price) and price > 0):
        raise InputError(
            source, f"line {line}: Price", f"got {describe(text)}; want a price > 0 [USD/bbl]"
        )
    return price


def _detect_frequency(rows: list[tuple[int, int | None, float, int]]) -> Frequency:
    """Monthly when every date has a month and some calendar year holds more than one."""
    if any(month is None for _, month, _, _ in rows):
        return "annual"
    years = [year for year, _, _, _ in rows]
    return "monthly" if len(set(years)) < len(years) else "annual"


def _annual(rows: list[tuple[int, int | None, float, int]], source: str) -> pd.Series:
    seen: dict[int, int] = {}
    for year, _, _, line in rows:
        if year in seen:
            raise InputError(
                source,
                f"line {line}: Date",
                f"got a second price for {year} (first on line {seen[year]}); "
                "want one price per year (or --frequency monthly)",
            )
        seen[year] = line
    out = pd.Series(
        [p for _, _, p, _ in rows],
        index=pd.Index([y for y, _, _, _ in rows], name="year", dtype="int64"),
        name="Price",
        dtype="float64",
    )
    return out.sort_index()


def _monthly(rows: list[tuple[int, int | None, float, int]], source: str) -> pd.Series:
    seen: dict[tuple[int, int], int] = {}
    for year, month, _, line in rows:
        if month is None:
            raise InputError(
                source,
                f"line {line}: Date",
                f"got {year} without a month; want YYYY-MM or YYYY-MM-DD in monthly data",
            )
        if (year, month) in seen:
            raise InputError(
                source,
                f"line {line}: Date",
                f"got a second price for {year}-{month:02d} (first on line "
                f"{seen[year, month]}); want one price per month",
            )
        seen[year, month] = line
    index = pd.PeriodIndex(
        [pd.Period(year=y, month=m, freq="M") for y, m, _, _ in rows if m is not None],
        name="month",
    )
    out = pd.Series([p for _, _, p, _ in rows], index=index, name="Price", dtype="float64")
    return out.sort_index()


def read_price_csv(path: str | Path, frequency: Frequency | None = None) -> pd.Series:
    """Prices of a user's CSV file with the header ``Date,Price`` [USD/bbl].

    Parameters
    ----------
    path
        The file. Dates are ``2005``, ``2005-01`` or ``2005-01-15``; prices are numbers > 0.
    frequency
        ``"annual"`` or ``"monthly"``; by default monthly when every date has a month and
        some calendar year holds more than one date, annual otherwise.

    Returns
    -------
    pandas.Series
        Prices sorted by date, indexed by calendar year (``int``, annual) or by month
        (``pandas.Period``, monthly).

    Raises
    ------
    InputError
        A missing or unreadable file, a wrong header, a date or price that does not parse on
        some line, a price <= 0, or two prices for one year or month.
    """
    source = str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(
            source, "", f"cannot read ({exc.strerror or exc}); want a CSV file Date,Price"
        ) from None
    if len(data) > _MAX_FILE_BYTES:
        raise InputError(
            source,
            "",
            f"got more than {_MAX_FILE_BYTES:,} bytes; want a CSV of annual or monthly prices",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            source, "", f"got bytes that are not UTF-8 text at offset {exc.start}; want a CSV file"
        ) from None
    return _parse_prices(text, source, frequency)


def load_prices(series: Series = "wti", frequency: Frequency = "annual") -> pd.Series:
    """EIA spot prices shipped with the package [USD/bbl, nominal].

    Parameters
    ----------
    series
        ``"wti"`` (Cushing, OK WTI spot FOB, RWTC; from 1986) or ``"brent"`` (Europe Brent
        spot FOB, RBRTE; from May 1987).
    frequency
        ``"annual"`` (EIA's annual averages, indexed by year) or ``"monthly"`` (monthly
        averages, indexed by month).
    """
    if series not in _SERIES_LABELS:
        raise InputError("--series", "", f"got {describe(series)}; want wti or brent")
    if frequency not in ("annual", "monthly"):
        raise InputError("--frequency", "", f"got {describe(frequency)}; want annual or monthly")
    name = f"{series}-{frequency}.csv"
    text = resources.files("simulator").joinpath("data", name).read_text(encoding="utf-8")
    return _parse_prices(text, f"simulator/data/{name}", frequency)


def annual_averages(monthly: pd.Series) -> pd.Series:
    """Calendar-year means of monthly prices, complete years (twelve months) only.

    Parameters
    ----------
    monthly
        Prices indexed by month (``pandas.Period`` or timestamps) [USD/bbl].

    Returns
    -------
    pandas.Series
        Means indexed by calendar year (``int``); a year with fewer than twelve months is
        left out.
    """
    months = pd.PeriodIndex(monthly.index, freq="M")
    if months.has_duplicates:
        month = months[months.duplicated()][0]
        raise InputError(
            "annual_averages", "", f"got two prices for {month}; want one price per month"
        )
    years = np.asarray(months.year, dtype="int64")
    grouped = pd.Series(np.asarray(monthly, dtype=float)).groupby(years)
    means = grouped.mean()[grouped.count() == 12]
    means.index = pd.Index(means.index.astype("int64"), name="year")
    means.name = "Price"
    return means


def deflate(prices: pd.Series, base_year: int, *, source: str = "--basis real") -> pd.Series:
    """Annual prices in constant dollars of ``base_year``: ``P cpi[base_year] / cpi[year]``.

    Uses the U.S. CPI-U annual averages of :data:`simulator.history.US_CPI_U_ANNUAL`.

    Raises
    ------
    InputError
        When the base year or a year of ``prices`` has no CPI-U figure.
    """
    known = f"{min(US_CPI_U_ANNUAL)}-{max(US_CPI_U_ANNUAL)}"
    if base_year not in US_CPI_U_ANNUAL:
        raise InputError(
            source, "--base-year", f"got {base_year}; want a year with U.S. CPI-U ({known})"
        )
    missing = [int(y) for y in prices.index if int(y) not in US_CPI_U_ANNUAL]
    if missing:
        raise InputError(
            source,
            "window",
            f"got {_years_text(missing)}, without a U.S. CPI-U figure; want a window within "
            f"{known}",
        )
    cpi = np.array([US_CPI_U_ANNUAL[int(y)] for y in prices.index])
    return prices * (US_CPI_U_ANNUAL[base_year] / cpi)


def _years_text(years: list[int]) -> str:
    shown = ", ".join(str(y) for y in years[:5])
    return shown + (f" and {len(years) - 5} more" if len(years) > 5 else "")


# --------------------------------------------------------------------------------------------
# Fits


def _log_prices(prices: pd.Series, source: str) -> tuple[np.ndarray, int, int]:
    """ln P of consecutive annual prices, and the first and last year; refused if unusable."""
    years = np.asarray(prices.index, dtype="int64")
    values = np.asarray(prices, dtype=float)
    if len(values) < MIN_YEARS:
        window = f" in {years[0]}-{years[-1]}" if len(years) else ""
        raise InputError(
            source,
            "window",
            f"got {len(values)} annual prices{window}; want at least {MIN_YEARS}",
        )
    if np.any(np.diff(years) != 1):
        gap = int(years[:-1][np.diff(years) != 1][0]) + 1
        raise InputError(
            source,
            "window",
            f"got no annual price for {gap}; want consecutive calendar years (of "
            "monthly prices, only years with all twelve months count)",
        )
    if not np.all(np.isfinite(values) & (values > 0)):
        raise InputError(source, "Price", "got a price that is not > 0; want prices > 0")
    return np.log(values), int(years[0]), int(years[-1])


def _no_spread(source: str, what: str) -> InputError:
    return InputError(source, "window", f"got {what} with no spread; want prices that vary")


def fit_mean_reverting(
    prices: pd.Series,
    *,
    series: str = "prices",
    frequency: Frequency = "annual",
    basis: Basis = "nominal",
    base_year: int | None = None,
    months_dropped: int = 0,
) -> Calibration:
    """Conditional maximum-likelihood fit of the one-factor mean-reverting model.

    Parameters
    ----------
    prices
        Annual average prices indexed by consecutive calendar years [USD/bbl], at least
        :data:`MIN_YEARS` of them.
    series, frequency, basis, base_year, months_dropped
        Where the prices came from, carried into the result (``series`` names the data in
        error messages).

    Returns
    -------
    Calibration
        ``k``, the long-run median and the continuous-time volatility with delta-method
        standard errors, the bias-corrected ``k`` and its 95% interval.

    Raises
    ------
    InputError
        Too few or non-consecutive years, or an AR coefficient outside (0, 1) (no positive
        finite mean reversion).
    """
    x, start, end = _log_prices(prices, series)
    y, z = x[1:], x[:-1]
    n = len(y)
    zbar, ybar = z.mean(), y.mean()
    szz = float(np.sum((z - zbar) ** 2))
    if szz == 0.0:
        raise _no_spread(series, "prices")
    b = float(np.sum((z - zbar) * (y - ybar)) / szz)
    a = float(ybar - b * zbar)
    if not 0.0 < b < 1.0:
        raise InputError(
            series,
            "mean_reverting",
            f"got AR coefficient {b:.4g} on {start}-{end}; want 0 < b < 1: "
            "use --model gbm or a longer window",
        )
    resid = y - (a + b * z)
    rss = float(np.sum(resid**2))
    if rss == 0.0:
        raise _no_spread(series, "an exact AR(1) fit")
    s = math.sqrt(rss / n)
    s2u = rss / (n - 2)
    var_b = s2u / szz
    var_a = s2u * (1.0 / n + zbar**2 / szz)
    cov_ab = -zbar * s2u / szz
    se_b = math.sqrt(var_b)

    k = -math.log(b)
    m = a / (1.0 - b)
    long_run = math.exp(m)
    grad = np.array([1.0 / (1.0 - b), a / (1.0 - b) ** 2])
    cov = np.array([[var_a, cov_ab], [cov_ab, var_b]])
    se_long_run = long_run * math.sqrt(float(grad @ cov @ grad))

    # vol = s sqrt(h(b)), h(b) = -2 ln b / (1 - b^2) = 2k / (1 - e^-2k); s independent of (a, b).
    h = -2.0 * math.log(b) / (1.0 - b * b)
    dh = (-2.0 * (1.0 - b * b) / b - 4.0 * b * math.log(b)) / (1.0 - b * b) ** 2
    vol = s * math.sqrt(h)
    se_s = s / math.sqrt(2.0 * n)
    dvol_db = s * dh / (2.0 * math.sqrt(h))
    se_vol = math.sqrt((vol / s * se_s) ** 2 + (dvol_db * se_b) ** 2)

    b_corr = min(b + (1.0 + 3.0 * b) / n, _B_CAP)
    b_lo, b_hi = b_corr - _Z95 * se_b, b_corr + _Z95 * se_b
    k_interval = (
        0.0 if b_hi >= 1.0 else -math.log(b_hi),
        math.inf if b_lo <= 0.0 else -math.log(b_lo),
    )
    return _calibration(
        "mean_reverting",
        prices,
        (series, frequency, start, end, basis, base_year, months_dropped),
        resid=resid,
        spread=s,
        n_params=3,
        volatility=Estimate(vol, se_vol),
        s_unbiased=math.sqrt(s2u),
        mean_reversion_per_year=Estimate(k, se_b / b),
        long_run_usd_per_bbl=Estimate(long_run, se_long_run),
        ar_intercept=Estimate(a, math.sqrt(var_a)),
        ar_coefficient=Estimate(b, se_b),
        ar_coefficient_bias_corrected=b_corr,
        mean_reversion_bias_corrected=-math.log(b_corr),
        mean_reversion_interval=k_interval,
    )


def fit_gbm(
    prices: pd.Series,
    *,
    series: str = "prices",
    frequency: Frequency = "annual",
    basis: Basis = "nominal",
    base_year: int | None = None,
    months_dropped: int = 0,
) -> Calibration:
    """Maximum-likelihood fit of geometric Brownian motion to annual log returns.

    The returns ``r = ln P[t+1] - ln P[t]`` are ``N(drift - vol^2 / 2, vol^2)``: the estimates
    are their mean and their spread (divided by n); ``drift = mean + vol^2 / 2``.

    Parameters
    ----------
    prices
        Annual average prices indexed by consecutive calendar years [USD/bbl], at least
        :data:`MIN_YEARS` of them.
    series, frequency, basis, base_year, months_dropped
        As :func:`fit_mean_reverting`.
    """
    x, start, end = _log_prices(prices, series)
    r = np.diff(x)
    n = len(r)
    mean = float(r.mean())
    resid = r - mean
    vol = math.sqrt(float(np.mean(resid**2)))
    if vol == 0.0:
        raise _no_spread(series, "log returns")
    se_mean = vol / math.sqrt(n)
    se_vol = vol / math.sqrt(2.0 * n)
    drift = mean + 0.5 * vol * vol
    return _calibration(
        "gbm",
        prices,
        (series, frequency, start, end, basis, base_year, months_dropped),
        resid=resid,
        spread=vol,
        n_params=2,
        volatility=Estimate(vol, se_vol),
        s_unbiased=vol * math.sqrt(n / (n - 1)),
        mean_log_return=Estimate(mean, se_mean),
        drift_per_year=Estimate(drift, math.sqrt(se_mean**2 + (vol * se_vol) ** 2)),
    )


def _calibration(
    model: Model,
    prices: pd.Series,
    origin: tuple[str, Frequency, int, int, Basis, int | None, int],
    *,
    resid: np.ndarray,
    spread: float,
    n_params: int,
    **estimates: Any,
) -> Calibration:
    """A fit's result: where its data came from, its Gaussian log-likelihood at the
    maximum-likelihood spread of its ``n`` residuals and its AIC, and its estimates."""
    series, frequency, start, end, basis, base_year, months_dropped = origin
    n = len(resid)
    loglik = -0.5 * n * (math.log(2.0 * math.pi * spread * spread) + 1.0)
    return Calibration(
        model=model,
        series=series,
        frequency=frequency,
        start=start,
        end=end,
        basis=basis,
        base_year=base_year if basis == "real" else None,
        n=n,
        initial_usd_per_bbl=float(prices.iloc[-1]),
        s=spread,
        loglik=loglik,
        aic=2 * n_params - 2.0 * loglik,
        residuals=resid,
        months_dropped=months_dropped,
        **estimates,
    )


# --------------------------------------------------------------------------------------------
# Entry point


def calibrate(
    series: Series = "wti",
    data: str | Path | None = None,
    frequency: Frequency | None = None,
    start: int | None = None,
    end: int | None = None,
    basis: Basis = "nominal",
    base_year: int = 2005,
    model: Model = "mean_reverting",
) -> Calibration:
    """Fit a price model to the shipped EIA series or to a user's CSV file.

    Parameters
    ----------
    series
        ``"wti"`` or ``"brent"`` (the shipped EIA data); ignored when ``data`` is given.
    data
        A CSV file with the header ``Date,Price`` [USD/bbl].
    frequency
        Frequency of the data: ``"annual"`` or ``"monthly"`` (monthly prices are averaged to
        complete calendar years before the fit). Default: annual for the shipped series,
        detected from the dates for a file.
    start, end
        First and last calendar year of the window (inclusive); default the whole series
        (with ``basis="real"``, the part of it the CPI-U table covers).
    basis
        ``"nominal"``, or ``"real"``: deflated to constant dollars of ``base_year`` by the
        U.S. CPI-U annual averages.
    base_year
        Year of the constant dollars when ``basis`` is real.
    model
        ``"mean_reverting"`` or ``"gbm"``.

    Raises
    ------
    InputError
        Bad data, a window outside the data or with fewer than :data:`MIN_YEARS` years, a year
        without CPI-U (real basis), or a mean-reverting fit with no positive finite k.
    """
    if model not in ("mean_reverting", "gbm"):
        raise InputError("--model", "", f"got {describe(model)}; want mean_reverting or gbm")
    if basis not in ("nominal", "real"):
        raise InputError("--basis", "", f"got {describe(basis)}; want nominal or real")
    if data is not None:
        label = str(data)
        raw = read_price_csv(data, frequency)
    else:
        label = _SERIES_LABELS.get(series, str(series))
        raw = load_prices(series, frequency or "annual")
    if isinstance(raw.index, pd.PeriodIndex):
        source_frequency: Frequency = "monthly"
        annual = annual_averages(raw)
        months_dropped = len(raw) - 12 * len(annual)
        if annual.empty:
            raise InputError(
                label,
                "",
                f"got {len(raw)} monthly prices and no complete calendar year; "
                f"want at least {MIN_YEARS} years of twelve months",
            )
    else:
        source_frequency, annual, months_dropped = "annual", raw, 0

    first, last = int(annual.index[0]), int(annual.index[-1])
    if basis == "real":  # by default, the years the CPI-U table covers
        first_cpi, last_cpi = min(US_CPI_U_ANNUAL), max(US_CPI_U_ANNUAL)
        lo = max(first, first_cpi) if start is None else start
        hi = min(last, last_cpi) if end is None else end
    else:
        lo = first if start is None else start
        hi = last if end is None else end
    kind = "complete years" if source_frequency == "monthly" else "years"
    for option, year in (("--from", lo), ("--to", hi)):
        if not first <= year <= last:
            raise InputError(
                label, option, f"got {year}; want a year within the data's {kind} {first}-{last}"
            )
    if lo > hi:
        raise InputError(label, "--to", f"got {hi}; want a year at or after --from {lo}")
    window = annual.loc[lo:hi]
    if basis == "real":
        window = deflate(window, base_year, source=label)
    fit = fit_mean_reverting if model == "mean_reverting" else fit_gbm
    return fit(
        window,
        series=label,
        frequency=source_frequency,
        basis=basis,
        base_year=base_year,
        months_dropped=months_dropped,
    )
