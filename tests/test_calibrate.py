"""`naef calibrate`: maximum-likelihood fits of the price models (simulator.analysis.calibrate).

References are computed here, not taken from the module: least squares by
``numpy.linalg.lstsq``, Gaussian log-likelihoods by ``scipy.stats.norm``, delta-method standard
errors by finite differences, U.S. CPI-U deflation by hand, the shipped CSV files read with
``pandas.read_csv``. Statistical checks draw series from the exact annual step of the model
(``x[t+1] = ln L (1 - e^-k) + e^-k x[t] + vol sqrt((1 - e^-2k) / 2k) Z``) with a fixed seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import norm

from simulator.analysis.calibrate import (
    Calibration,
    annual_averages,
    calibrate,
    fit_gbm,
    fit_mean_reverting,
    load_prices,
    read_price_csv,
)
from simulator.cli import main
from simulator.history import US_CPI_U_ANNUAL
from simulator.scenario import InputError, OilPrice, Scenario

DATA = Path(__file__).resolve().parents[1] / "simulator" / "data"

#: True parameters of the synthetic series.
K, LONG_RUN, VOL = 0.3, 50.0, 0.3


def _shipped(name: str) -> pd.DataFrame:
    """A shipped CSV read independently of the module: columns year, month, Price."""
    df = pd.read_csv(DATA / name)
    df["year"] = df["Date"].str[:4].astype(int)
    df["month"] = df["Date"].str[5:7].astype(int)
    return df


def _wti_annual(start: int, end: int) -> pd.Series:
    df = _shipped("wti-annual.csv").set_index("year")["Price"]
    return df.loc[start:end]


def _simulate(rng: np.random.Generator, reps: int, length: int) -> np.ndarray:
    """Log prices, shape (reps, length), of the exact annual mean-reverting step, stationary."""
    b = math.exp(-K)
    sd = VOL * math.sqrt((1.0 - b * b) / (2.0 * K))
    mu = math.log(LONG_RUN)
    x = np.empty((reps, length))
    x[:, 0] = mu + rng.standard_normal(reps) * sd / math.sqrt(1.0 - b * b)
    shocks = rng.standard_normal((reps, length - 1))
    for t in range(1, length):
        x[:, t] = mu * (1.0 - b) + b * x[:, t - 1] + sd * shocks[:, t - 1]
    return x


def _as_prices(x: np.ndarray, first_year: int = 1900) -> pd.Series:
    return pd.Series(np.exp(x), index=range(first_year, first_year + len(x)))


def _ols(x: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
    """a, b, residuals and the least-squares covariance of (a, b) of x[t+1] on x[t]."""
    design = np.column_stack([np.ones(len(x) - 1), x[:-1]])
    (a, b), *_ = np.linalg.lstsq(design, x[1:], rcond=None)
    resid = x[1:] - design @ np.array([a, b])
    cov = np.linalg.inv(design.T @ design) * (resid @ resid) / (len(resid) - 2)
    return float(a), float(b), resid, cov


# --------------------------------------------------------------------------------------------
# The estimates against an independent computation


@pytest.mark.parametrize(
    "prices",
    [
        _wti_annual(2000, 2025),
        _wti_annual(1986, 2025),
        _as_prices(_simulate(np.random.default_rng(7), 1, 60)[0]),
    ],
    ids=["wti-2000-2025", "wti-1986-2025", "synthetic"],
)
def test_mean_reverting_fit_is_least_squares_mapped_to_the_model(prices: pd.Series) -> None:
    x = np.log(prices.to_numpy())
    a, b, resid, cov = _ols(x)
    n = len(resid)
    cal = fit_mean_reverting(prices)
    assert cal.ar_intercept is not None and cal.ar_coefficient is not None
    assert cal.ar_intercept.value == pytest.approx(a, abs=1e-12)
    assert cal.ar_coefficient.value == pytest.approx(b, abs=1e-12)
    assert cal.ar_intercept.se == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-9)
    assert cal.ar_coefficient.se == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-9)
    np.testing.assert_allclose(cal.residuals, resid, atol=1e-12)

    s = math.sqrt(resid @ resid / n)
    k = -math.log(b)
    assert cal.n == n == len(prices) - 1
    assert cal.s == pytest.approx(s, rel=1e-12)
    assert cal.s_unbiased == pytest.approx(math.sqrt(resid @ resid / (n - 2)), rel=1e-12)
    assert cal.mean_reversion_per_year is not None and cal.long_run_usd_per_bbl is not None
    assert cal.mean_reversion_per_year.value == pytest.approx(k, rel=1e-10)
    assert cal.long_run_usd_per_bbl.value == pytest.approx(math.exp(a / (1 - b)), rel=1e-10)
    vol = s * math.sqrt(2 * k / (1 - math.exp(-2 * k)))
    assert cal.volatility.value == pytest.approx(vol, rel=1e-10)
    assert cal.s < cal.volatility.value  # the continuous-time vol exceeds the one-step spread

    loglik = float(norm.logpdf(resid, scale=s).sum())
    assert cal.loglik == pytest.approx(loglik, rel=1e-10)
    assert cal.aic == pytest.approx(2 * 3 - 2 * loglik, rel=1e-10)
    assert cal.initial_usd_per_bbl == prices.iloc[-1]


def test_delta_method_errors_match_finite_differences() -> None:
    """se of k, the long-run median and vol: gradients by central differences, the (a, b)
    covariance of least squares and var(s) = s^2 / 2n, independent of (a, b)."""
    prices = _wti_annual(2000, 2025)
    x = np.log(prices.to_numpy())
    a, b, resid, cov_ab = _ols(x)
    n = len(resid)
    s = math.sqrt(resid @ resid / n)
    theta = np.array([a, b, s])
    cov = np.zeros((3, 3))
    cov[:2, :2] = cov_ab
    cov[2, 2] = s * s / (2 * n)

    def k_of(t: np.ndarray) -> float:
        return -math.log(t[1])

    def long_run_of(t: np.ndarray) -> float:
        return math.exp(t[0] / (1 - t[1]))

    def vol_of(t: np.ndarray) -> float:
        k = -math.log(t[1])
        return t[2] * math.sqrt(2 * k / (1 - math.exp(-2 * k)))

    def se(f: Callable[[np.ndarray], float]) -> float:
        grad = np.empty(3)
        for i in range(3):
            h = np.zeros(3)
            h[i] = 1e-6 * max(1.0, abs(theta[i]))
            grad[i] = (f(theta + h) - f(theta - h)) / (2 * h[i])
        return math.sqrt(grad @ cov @ grad)

    cal = fit_mean_reverting(prices)
    assert cal.mean_reversion_per_year is not None and cal.long_run_usd_per_bbl is not None
    assert cal.mean_reversion_per_year.se == pytest.approx(se(k_of), rel=1e-6)
    assert cal.long_run_usd_per_bbl.se == pytest.approx(se(long_run_of), rel=1e-6)
    assert cal.volatility.se == pytest.approx(se(vol_of), rel=1e-6)


def test_gbm_fit_is_the_mean_and_spread_of_log_returns() -> None:
    prices = _wti_annual(2000, 2025)
    r = np.diff(np.log(prices.to_numpy()))
    n = len(r)
    mean, sd = r.mean(), r.std(ddof=0)
    cal = fit_gbm(prices)
    assert cal.mean_log_return is not None and cal.drift_per_year is not None
    assert cal.mean_log_return.value == pytest.approx(mean, abs=1e-12)
    assert cal.volatility.value == pytest.approx(sd, abs=1e-12)
    assert cal.drift_per_year.value == pytest.approx(mean + sd**2 / 2, abs=1e-12)
    assert cal.mean_log_return.se == pytest.approx(sd / math.sqrt(n), rel=1e-12)
    assert cal.volatility.se == pytest.approx(sd / math.sqrt(2 * n), rel=1e-12)
    loglik = float(norm.logpdf(r, loc=mean, scale=sd).sum())
    assert cal.loglik == pytest.approx(loglik, rel=1e-10)
    assert cal.aic == pytest.approx(2 * 2 - 2 * loglik, rel=1e-10)
    # Both models condition on the first price: the same n, so their AICs compare.
    assert cal.n == fit_mean_reverting(prices).n == n


# --------------------------------------------------------------------------------------------
# Statistical properties on synthetic series


def test_reported_95_percent_intervals_cover_the_truth() -> None:
    """400 series of 500 years from the model with known k, long-run median and vol.

    The binomial sd of an observed coverage of 95% over 400 repetitions is
    sqrt(0.95 * 0.05 / 400) = 0.011; the band 0.90-0.99 is about 4 sd either side, room for
    the asymptotic intervals being only approximately 95% at this length.
    """
    reps, length = 400, 500
    x = _simulate(np.random.default_rng(20050401), reps, length)
    hits = {"long_run": 0, "vol": 0, "k": 0}
    for row in x:
        cal = fit_mean_reverting(_as_prices(row))
        assert cal.long_run_usd_per_bbl is not None and cal.mean_reversion_interval is not None
        lr = cal.long_run_usd_per_bbl
        hits["long_run"] += abs(lr.value - LONG_RUN) <= 1.96 * lr.se
        hits["vol"] += abs(cal.volatility.value - VOL) <= 1.96 * cal.volatility.se
        k_lo, k_hi = cal.mean_reversion_interval
        hits["k"] += k_lo <= K <= k_hi
    for name, count in hits.items():
        assert 0.90 <= count / reps <= 0.99, (name, count / reps)


def test_bias_correction_moves_the_ar_coefficient_towards_the_truth() -> None:
    """Short series (26 prices, n = 25 steps): least squares understates b (Kendall 1954:
    by about (1 + 3b) / n = 0.13 here); the corrected mean is closer to the truth."""
    b_true = math.exp(-K)
    reps = 2000
    x = _simulate(np.random.default_rng(1954), reps, 26)
    raw, corrected = [], []
    for row in x:
        try:
            cal = fit_mean_reverting(_as_prices(row))
        except InputError:  # b_hat outside (0, 1): no mean-reverting fit
            continue
        assert cal.ar_coefficient is not None and cal.ar_coefficient_bias_corrected is not None
        assert cal.n == 25
        raw.append(cal.ar_coefficient.value)
        corrected.append(cal.ar_coefficient_bias_corrected)
        assert cal.mean_reversion_bias_corrected == pytest.approx(-math.log(corrected[-1]))
    assert len(raw) > 0.95 * reps
    bias_raw = np.mean(raw) - b_true
    bias_corrected = np.mean(corrected) - b_true
    assert bias_raw < -0.05
    assert abs(bias_corrected) < abs(bias_raw) / 2


def test_k_interval_runs_from_zero_when_b_may_be_one() -> None:
    """1986-2025: the interval on the corrected b reaches 1, so k's interval starts at 0; its
    upper end is -ln of the lower end of that interval."""
    cal = calibrate(start=1986, end=2025)
    assert cal.ar_coefficient is not None and cal.ar_coefficient_bias_corrected is not None
    assert cal.mean_reversion_interval is not None
    b_c, se_b = cal.ar_coefficient_bias_corrected, cal.ar_coefficient.se
    assert b_c + 1.96 * se_b >= 1
    assert cal.mean_reversion_interval[0] == 0.0
    assert cal.mean_reversion_interval[1] == pytest.approx(-math.log(b_c - 1.96 * se_b), rel=1e-3)


# --------------------------------------------------------------------------------------------
# The shipped EIA data


def test_wti_fits_match_the_design_figures() -> None:
    recent = calibrate(series="wti", start=2000, end=2025)
    assert recent.mean_reversion_per_year is not None and recent.long_run_usd_per_bbl is not None
    assert 0.2 <= recent.mean_reversion_per_year.value <= 0.45
    assert 0.22 <= recent.volatility.value <= 0.40
    assert 0.2 <= recent.s <= 0.3
    assert recent.s < recent.volatility.value
    assert 55 <= recent.long_run_usd_per_bbl.value <= 80
    assert recent.initial_usd_per_bbl == _wti_annual(2025, 2025).iloc[0]

    longer = calibrate(series="wti", start=1986, end=2025)
    assert longer.mean_reversion_per_year is not None
    assert longer.mean_reversion_per_year.value < 0.15
    assert longer.mean_reversion_per_year.value < recent.mean_reversion_per_year.value / 2


def test_load_prices_reads_the_shipped_files() -> None:
    for series in ("wti", "brent"):
        annual = load_prices(series, "annual")
        ref = _shipped(f"{series}-annual.csv")
        assert list(annual.index) == list(ref["year"])
        np.testing.assert_array_equal(annual.to_numpy(), ref["Price"].to_numpy())
        monthly = load_prices(series, "monthly")
        ref = _shipped(f"{series}-monthly.csv")
        assert [(p.year, p.month) for p in monthly.index] == list(
            zip(ref["year"], ref["month"], strict=True)
        )
        np.testing.assert_array_equal(monthly.to_numpy(), ref["Price"].to_numpy())


@pytest.mark.parametrize("series", ["wti", "brent"])
def test_monthly_averages_reproduce_eia_annual_averages(series: Literal["wti", "brent"]) -> None:
    """EIA's annual figures average the daily prices, so a month counts by its trading days
    (19-23) rather than 1/12: the two differ by up to about half a percent, never more."""
    from_months = annual_averages(load_prices(series, "monthly"))
    eia = load_prices(series, "annual")
    months = _shipped(f"{series}-monthly.csv")
    sizes = months.groupby("year").size()
    complete = [int(y) for y in sizes.index[sizes == 12]]
    assert list(from_months.index) == complete  # incomplete years (e.g. the last) left out
    common = from_months.index.intersection(eia.index)
    assert list(common) == complete  # EIA publishes every complete year
    rel = (from_months[common] / eia[common] - 1).abs()
    assert rel.max() < 0.006
    assert rel.median() < 0.002


def test_monthly_calibration_fits_the_annual_averages_of_complete_years() -> None:
    cal = calibrate(series="brent", frequency="monthly")
    months = _shipped("brent-monthly.csv")
    sizes = months.groupby("year").size()
    complete = sizes[sizes == 12]
    assert cal.frequency == "monthly"
    assert cal.months_dropped == int(sizes[sizes < 12].sum()) > 0
    assert (cal.start, cal.end) == (complete.index.min(), complete.index.max())
    means = months[months["year"].isin(complete.index)].groupby("year")["Price"].mean()
    _, b, _, _ = _ols(np.log(means.to_numpy()))
    assert cal.ar_coefficient is not None
    assert cal.ar_coefficient.value == pytest.approx(b, abs=1e-12)


def test_real_basis_deflates_by_cpi_to_the_base_year() -> None:
    nominal = _wti_annual(2000, 2024)
    years = [int(y) for y in nominal.index.to_numpy()]
    real = pd.Series(
        [
            p * US_CPI_U_ANNUAL[2005] / US_CPI_U_ANNUAL[y]
            for y, p in zip(years, nominal, strict=True)
        ],
        index=nominal.index,
    )
    cal = calibrate(start=2000, end=2024, basis="real", base_year=2005)
    ref = fit_mean_reverting(real)
    assert cal.ar_coefficient is not None and ref.ar_coefficient is not None
    assert cal.ar_coefficient.value == pytest.approx(ref.ar_coefficient.value, abs=1e-12)
    assert cal.initial_usd_per_bbl == pytest.approx(real.iloc[-1], rel=1e-12)
    block = cal.oil_price_block()
    assert block["basis"] == "real"
    assert "basis" not in calibrate(start=2000, end=2024).oil_price_block()
    # The real long-run median is well below the nominal one (design: ~$50 against ~$66).
    nominal_block = calibrate(start=2000, end=2024).oil_price_block()
    assert float(block["long_run_usd_per_bbl"]) < float(nominal_block["long_run_usd_per_bbl"])


def test_real_basis_refuses_years_without_cpi() -> None:
    last = max(US_CPI_U_ANNUAL)
    with pytest.raises(InputError, match=f"{last + 1}.*CPI-U"):
        calibrate(start=2000, end=last + 1, basis="real")
    with pytest.raises(InputError, match="--base-year"):
        calibrate(start=2000, end=last, basis="real", base_year=1900)


# --------------------------------------------------------------------------------------------
# Refused inputs


def test_ar_coefficient_outside_zero_one_is_refused() -> None:
    rng = np.random.default_rng(3)
    years = range(1950, 1980)
    explosive = np.cumprod(np.full(30, 1.03)) + 0.001 * rng.standard_normal(30)  # b ~ 1.03
    with pytest.raises(InputError, match=r"AR coefficient 1\.0.* on 1950-1979; want 0 < b < 1"):
        fit_mean_reverting(pd.Series(np.exp(explosive), index=years), series="x.csv")
    alternating = np.where(np.arange(30) % 2, 1.0, -1.0) + 0.01 * rng.standard_normal(30)
    with pytest.raises(InputError, match=r"AR coefficient -"):
        fit_mean_reverting(pd.Series(np.exp(alternating), index=years))
    # gbm has no such restriction
    assert fit_gbm(pd.Series(np.exp(explosive), index=years)).model == "gbm"


def test_window_outside_the_data_or_too_short_is_refused() -> None:
    with pytest.raises(InputError, match="--from: got 1970"):
        calibrate(start=1970, end=2000)
    with pytest.raises(InputError, match="--to: got 2030"):
        calibrate(start=2000, end=2030)
    with pytest.raises(InputError, match="--to"):
        calibrate(start=2010, end=2005)
    with pytest.raises(InputError, match=r"got 7 annual prices.*want at least 8"):
        calibrate(start=2000, end=2006)
    assert calibrate(start=2000, end=2007, model="gbm").n == 7


def test_a_gap_in_the_years_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    rows = [f"{y},{20 + y % 7}" for y in range(1990, 2010) if y != 1995]
    path.write_text("Date,Price\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError, match="no annual price for 1995"):
        calibrate(data=path)
    assert calibrate(data=path, start=1996).start == 1996


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("Year,Value\n2000,1\n", "line 1"),
        ("Date,Price\n2000,30\n2001,abc\n", "line 3: Price"),
        ("Date,Price\n2000,30\n2001,-2\n", "line 3: Price"),
        ("Date,Price\n2000,30\n2001,0\n", "line 3: Price"),
        ("Date,Price\n2000,30\n2001,nan\n", "line 3: Price"),
        ("Date,Price\n2000,30\n2001/02/03,31\n", "line 3: Date"),
        ("Date,Price\n2000,30\n2001-13,31\n", "line 3: Date"),
        ("Date,Price\n2000,30\n2001-02-30,31\n", "line 3: Date"),
        ("Date,Price\n2000,30\n2001,31,4\n", "line 3"),
        ("Date,Price\n2000,30\n2000,31\n", "line 3: Date"),
        ("Date,Price\n", "no prices"),
        ("", "empty"),
    ],
)
def test_bad_csv_files_name_the_line(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_price_csv(path)
    message = str(info.value)
    assert message.startswith(str(path)) and where in message and "\n" not in message


def test_dates_decide_the_frequency(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Date,Price\n2001-06-30,10\n2002-06-30,11\n")
    assert list(read_price_csv(path).index) == [2001, 2002]  # one date a year: annual
    path.write_text("Date,Price\n2001-01,10\n2001-02,11\n2002-01-15,12\n")
    monthly = read_price_csv(path)
    assert isinstance(monthly.index, pd.PeriodIndex) and len(monthly) == 3
    with pytest.raises(InputError, match="line 2: Date"):
        path.write_text("Date,Price\n2001,10\n2002,11\n")
        read_price_csv(path, frequency="monthly")


# --------------------------------------------------------------------------------------------
# The command


def _yaml_part(out: str) -> str:
    return out[out.index("# Oil price model") :]


def test_calibrate_command_prints_a_block_the_scenario_accepts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc = main(["calibrate", "--from", "2000", "--to", "2025"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "Mean reversion k" in out and "AIC" in out
    block = yaml.safe_load(_yaml_part(out))["oil_price"]
    assert block == calibrate(start=2000, end=2025).oil_price_block()
    known = set(OilPrice.model_fields)
    sc = Scenario().with_overrides({f"oil_price.{k}": v for k, v in block.items() if k in known})
    assert sc.oil_price.model == "mean_reverting"
    assert sc.oil_price.mean_reversion_per_year == block["mean_reversion_per_year"]
    assert sc.oil_price.volatility == block["volatility"]
    lines = _yaml_part(out).splitlines()
    assert lines[1] == "oil_price:"
    fields = [i for i, ln in enumerate(lines) if ln.startswith("  ") and ln[2] != "#"]
    assert [lines[i].split(":")[0].strip() for i in fields] == list(block)
    for i in fields:  # each field under a comment naming its origin
        note = lines[i - 1]
        assert note.startswith("  # naef calibrate: WTI 2000-2025, nominal"), note
    for key in ("long_run_usd_per_bbl", "mean_reversion_per_year", "volatility"):
        note = lines[fields[list(block).index(key)] - 1]
        assert "±" in note, note


def test_gbm_command(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["calibrate", "--model", "gbm", "--series", "brent", "--from", "2000"])
    out = capsys.readouterr().out
    assert rc == 0
    block = yaml.safe_load(_yaml_part(out))["oil_price"]
    assert block["model"] == "gbm" and "drift_per_year" in block
    Scenario().with_overrides({f"oil_price.{k}": v for k, v in block.items()})


def test_calibrate_command_on_a_user_monthly_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A slice of the shipped monthly WTI (1995-01 to 2011-03) as a user's file: the three
    months of 2011 are left out and the fit is that of the shipped series on 1995-2010."""
    lines = (DATA / "wti-monthly.csv").read_text().splitlines()
    rows = [ln for ln in lines[1:] if "1995-01" <= ln[:7] <= "2011-03"]
    path = tmp_path / "my prices.csv"
    path.write_text("Date,Price\n" + "\n".join(rows) + "\n")
    rc = main(["calibrate", "--data", str(path)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "3 months" in out and str(path) in out
    block = yaml.safe_load(_yaml_part(out))["oil_price"]
    ref = calibrate(series="wti", frequency="monthly", start=1995, end=2010)
    assert block == ref.oil_price_block()


@pytest.mark.parametrize(
    ("name", "text", "extra"),
    [
        ("missing.csv", None, []),
        ("header.csv", "Year,Value\n2000,30\n", []),
        ("price.csv", "Date,Price\n2000,30\n2001,thirty\n", []),
        ("short.csv", "Date,Price\n" + "".join(f"{y},{30 + y % 3}\n" for y in range(2000, 2007)),
         []),
        ("window.csv", "Date,Price\n" + "".join(f"{y},{30 + y % 3}\n" for y in range(2000, 2020)),
         ["--from", "1990"]),
    ],
)  # fmt: skip
def test_calibrate_command_refuses_bad_files_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str | None,
    extra: list[str],
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    rc = main(["calibrate", "--data", str(path), *extra])
    captured = capsys.readouterr()
    assert rc == 2
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and str(path) in captured.err


def test_calibrate_command_refuses_a_real_window_without_cpi(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc = main(["calibrate", "--basis", "real", "--to", str(max(US_CPI_U_ANNUAL) + 1)])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) == 1 and "CPI-U" in err


def test_out_writes_the_block_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "oil.yaml"
    assert main(["calibrate", "--from", "2000", "--out", str(target)]) == 0
    out = capsys.readouterr().out
    written = target.read_text(encoding="utf-8")
    assert written == calibrate(start=2000).to_yaml()
    assert written in out
    assert [p.name for p in tmp_path.iterdir()] == ["oil.yaml"]  # no temporary file left

    rc = main(["calibrate", "--from", "1990", "--out", str(target)])
    captured = capsys.readouterr()
    assert rc == 2 and len(captured.err.splitlines()) == 1 and str(target) in captured.err
    assert target.read_text(encoding="utf-8") == written  # untouched

    assert main(["calibrate", "--from", "1990", "--out", str(target), "--force"]) == 0
    assert target.read_text(encoding="utf-8") == calibrate(start=1990).to_yaml() != written
    assert [p.name for p in tmp_path.iterdir()] == ["oil.yaml"]

    rc = main(["calibrate", "--out", str(tmp_path / "no-such-dir" / "oil.yaml")])
    assert rc == 2 and len(capsys.readouterr().err.splitlines()) == 1


def test_calibration_is_immutable() -> None:
    cal = calibrate(start=2000)
    assert isinstance(cal, Calibration)
    with pytest.raises(AttributeError):
        cal.n = 3  # type: ignore[misc]
