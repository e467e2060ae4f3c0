"""Break-even oil prices: the price at which a metric of the scheme crosses a given level.

The structure is sized once, on the scenario's own expectations (its sculpted service, its
reserves and so the capex they leave: :func:`simulator.model.chain.build_schedule`); a
break-even price asks which price then breaks it. Every evaluation runs that same debt
schedule (``simulate(..., schedule=...)``): a sculpted schedule re-sized to each trial price
would follow the price down, and the break-even would measure a different deal at each price.

Two questions, two methods.

*Flat-price break-even* (:func:`breakeven_flat_price`). The deterministic median case
(:func:`median_case`: capex overrun and reservoir factor at their median, 1) is run under a flat
benchmark price deck, the same price every year (:func:`flat_price_case`), and the price at
which a per-path metric of that single path crosses a level is found:

- ``min_dscr`` (default level 1; 1.3 is the other level the CLI reports): the flat price at
  which the lowest yearly DSCR, CFADS over the service the interest reserve does not pay, is the
  level. It is the usual project-finance break-even. Revenue is linear in the price, so each
  year's ratio rises with it and the minimum over years is continuous and increasing;
  ``scipy.optimize.brentq`` finds the crossing. Where interest falls due before first oil and no
  interest reserve pays it (the proposal as written), CFADS in that year is minus the oversight
  cost whatever the price, the ratio never reaches a positive level, and the function says so.
- ``default`` (level: the flag, 0 or 1): the lowest flat price at which the median case does not
  default. A flag has no root to interpolate; the predicate ``default`` is bisected to ``xtol``.
- ``mdf_inflow_pv_usd_bn`` (default level 0): the lowest flat price at which anything reaches
  the Mexican Development Fund. The PV of the MDF inflows is exactly 0 on a whole interval of
  low prices (all cash goes to debt service, the reserve and backstop repayment), so a root
  finder on ``pv - 0`` has nothing to work with: the function is flat, and brentq would return
  any point of that interval. Instead the predicate ``pv > 0`` is bisected to ``xtol``, which
  gives the left end of the interval of prices where the PV is positive. For a level above 0 the
  PV is continuous and increasing there, and brentq is used as for the ratio.

*Long-run break-even* (:func:`breakeven_long_run`). Under the scenario's own stochastic price
model (and its capex and reservoir spreads), the long-run price level
``oil_price.long_run_usd_per_bbl`` at which the probability of an event on a path (``default``
by default; ``standalone_default``, ``pemex_support`` or ``distress``) crosses a threshold.
Every evaluation runs the same paths with the same seed (common random numbers), so a higher
long-run level raises the prices of every path along the same shocks; the estimated
probability is then a step function of the level, non-increasing up to the rare path on which
more cash changes the waterfall's order of events. A root finder that interpolates (brentq,
secant) is not suited to a step function; plain bisection on the predicate ``probability >
threshold`` is, and it stops after ``log2((hi - lo) / tol_usd)`` evaluations, each one
``simulate`` call. The result carries the binomial standard error of the probability at the
price found; the Monte Carlo error of the *price* itself is that standard error divided by the
slope of the probability curve (rerun with another seed to see it).

Every other field (issuance, coupon, costs, fiscal take, waterfall) is kept as given.

Everything here is pure: no file I/O, no printing. Bad arguments raise
:class:`~simulator.scenario.InputError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ..model.chain import build_schedule
from ..model.financing import DebtSchedule
from ..run.engine import simulate
from ..scenario import InputError, Scenario

__all__ = [
    "FLAT_PRICE_TARGETS",
    "LONG_RUN_MODELS",
    "LONG_RUN_TARGETS",
    "BreakEven",
    "breakeven_flat_price",
    "breakeven_long_run",
    "flat_price_case",
    "median_case",
]

#: Metrics :func:`breakeven_flat_price` can solve for, with their default level [-, or USD bn];
#: ``default`` is a flag, solved for the lowest price at which it is off.
FLAT_PRICE_TARGETS: dict[str, float] = {
    "min_dscr": 1.0,
    "default": 0.0,
    "mdf_inflow_pv_usd_bn": 0.0,
}

#: Flags :func:`breakeven_long_run` can take the probability of.
LONG_RUN_TARGETS: tuple[str, ...] = ("default", "standalone_default", "pemex_support", "distress")

#: Price models with a long-run level that :func:`breakeven_long_run` can move.
LONG_RUN_MODELS: tuple[str, ...] = ("mean_reverting", "two_factor")

#: Highest price a scenario admits [USD/bbl] (the bound of the price fields).
_MAX_PRICE_USD_PER_BBL = 10_000.0

#: Source named in the messages about bad arguments.
_SOURCE = "breakeven"

#: How each flag reads in a message.
_EVENT = {
    "default": "default",
    "standalone_default": "stand-alone default",
    "pemex_support": "Pemex support",
    "distress": "a shortfall",
}


@dataclass(frozen=True)
class BreakEven:
    """A break-even price and what was found there.

    Attributes
    ----------
    price_usd_per_bbl
        The break-even benchmark (WTI) price [USD/bbl]: a flat price every year for
        :func:`breakeven_flat_price`, the long-run level of the price model for
        :func:`breakeven_long_run`.
    target
        The metric solved for: a per-path metric name; for :func:`breakeven_long_run`, the
        flag whose probability crosses the level.
    level
        The level the metric crosses at the price [the metric's unit: - for ratios, flags and
        probabilities, USD bn for the MDF PV].
    metric_at_price
        The metric evaluated at ``price_usd_per_bbl`` [same unit as ``level``]. For the MDF PV
        at level 0 it is the (small, positive) PV at the left end of the positive interval;
        for ``default``, 0 (the median case does not default there).
    iterations
        Root-finder iterations (brentq's count, or the number of bisection steps).
    standard_error
        Monte Carlo standard error of ``metric_at_price`` [same unit]; 0 for the deterministic
        flat-price break-evens.
    """

    price_usd_per_bbl: float
    target: str
    level: float
    metric_at_price: float
    iterations: int
    standard_error: float = 0.0


# ---------------------------------------------------------------------- the deterministic case


def median_case(scenario: Scenario) -> Scenario:
    """The deterministic median case of a scenario.

    Parameters
    ----------
    scenario
        Any scenario.

    Returns
    -------
    Scenario
        The same scenario with ``pemex.capex_overrun_sd``, ``pemex.reservoir_factor_sd`` and
        ``risks.export_mix_sd`` set to 0 [-], so the factors are 1 on every path. The price
        model is left as it is (use :func:`flat_price_case` for a fixed price).
    """
    return scenario.with_overrides(
        {
            "pemex.capex_overrun_sd": 0.0,
            "pemex.reservoir_factor_sd": 0.0,
            "risks.export_mix_sd": 0.0,
        },
        source=f"{scenario.name} (median case)",
    )


def flat_price_case(scenario: Scenario, price_usd_per_bbl: float) -> Scenario:
    """The median case under a flat benchmark price, the same every year.

    Parameters
    ----------
    scenario
        Any scenario.
    price_usd_per_bbl
        Benchmark (WTI) price in every year [USD/bbl], in (0, 10,000], in the dollars of
        ``oil_price.basis``: under the real basis a flat price in constant dollars of the year
        before ``start_year``, which rises in nominal terms with ``oil_price.inflation_rate``.

    Returns
    -------
    Scenario
        :func:`median_case` with ``oil_price.model`` ``"deck"``, ``deck_usd_per_bbl`` the price
        repeated ``horizon.years`` times and ``fixed_path_usd_per_bbl`` cleared: every path is
        the same deterministic path. Run it with the schedule of ``scenario``
        (``simulate(..., schedule=build_schedule(scenario))``) to keep the structure as sized:
        a sculpted scenario of its own sizes its debt on the flat price.

    Raises
    ------
    InputError
        For a price that is not a finite number in (0, 10,000].
    """
    price = _check_price("price_usd_per_bbl", price_usd_per_bbl)
    return _with_flat_price(median_case(scenario), price)


def _with_flat_price(median: Scenario, price: float) -> Scenario:
    """``median`` (already a median case) under a flat deck of ``price``."""
    return median.with_overrides(
        {
            "oil_price.model": "deck",
            "oil_price.deck_usd_per_bbl": [price] * median.horizon.years,
            "oil_price.fixed_path_usd_per_bbl": [],
        },
        source=f"{median.name} (flat price {price:g} USD/bbl)",
    )


def _check_price(name: str, value: float) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(_SOURCE, name, f"got {value!r}; want a price in USD/bbl") from None
    if not (math.isfinite(x) and 0.0 < x <= _MAX_PRICE_USD_PER_BBL):
        raise InputError(
            _SOURCE, name, f"got {value!r}; want a price in (0, {_MAX_PRICE_USD_PER_BBL:g}] USD/bbl"
        )
    return x


def _check_bracket(lo: float, hi: float) -> tuple[float, float]:
    lo_f, hi_f = _check_price("lo", lo), _check_price("hi", hi)
    if not lo_f < hi_f:
        raise InputError(_SOURCE, "hi", f"got {hi!r}; want hi > lo ({lo!r})")
    return lo_f, hi_f


def _check_positive(name: str, value: float) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(_SOURCE, name, f"got {value!r}; want a positive number") from None
    if not (math.isfinite(x) and x > 0.0):
        raise InputError(_SOURCE, name, f"got {value!r}; want a positive number")
    return x


def _bisect(
    holds: Callable[[float], tuple[bool, float]], a: float, b: float, f_b: float, xtol: float
) -> tuple[float, float, float, int]:
    """Bisect a predicate false at ``a`` and true at ``b`` (``holds(x)``: the predicate and the
    metric at ``x``) to ``xtol``: the final bracket ``a, b``, the metric at ``b`` and the
    steps."""
    steps = 0
    while b - a > xtol:
        mid = 0.5 * (a + b)
        if mid <= a or mid >= b:  # the bracket is down to adjacent floats
            break
        ok, f_mid = holds(mid)
        if ok:
            b, f_b = mid, f_mid
        else:
            a = mid
        steps += 1
    return a, b, f_b, steps


# ---------------------------------------------------------------------- flat-price break-even


def breakeven_flat_price(
    scenario: Scenario,
    *,
    target: str = "min_dscr",
    level: float | None = None,
    lo: float = 1.0,
    hi: float = 500.0,
    xtol: float = 1e-9,
) -> BreakEven:
    """The flat oil price at which a metric of the deterministic median case crosses a level.

    Parameters
    ----------
    scenario
        The scenario; its median case under a flat price deck is what is solved
        (:func:`flat_price_case`), each evaluation one ``simulate(paths=1)`` with the
        scenario's own debt schedule.
    target
        The per-path metric: ``"min_dscr"``, ``"default"`` or ``"mdf_inflow_pv_usd_bn"`` (see
        :data:`FLAT_PRICE_TARGETS`).
    level
        The level to reach [-, for the ratio; USD bn, for the MDF PV]. Default: the target's
        own (1 for the ratio, 0 for the MDF PV). For the MDF PV at level 0 the result is the
        smallest price at which the PV becomes positive (bisection on ``pv > 0``, since the PV
        is identically 0 below it); a negative level is refused, as the PV is never negative.
        ``default`` takes no level: the result is the smallest price at which the median case
        does not default.
    lo, hi
        The bracket searched [USD/bbl], ``0 < lo < hi <= 10,000``.
    xtol
        Absolute tolerance on the price [USD/bbl].

    Returns
    -------
    BreakEven
        ``price_usd_per_bbl`` the flat benchmark price [USD/bbl]; ``metric_at_price`` the metric
        recomputed there.

    Raises
    ------
    InputError
        For an unknown target, a bad bracket, tolerance or level; when the metric does not
        cross the level in ``[lo, hi]`` (the message gives its value at both ends and says on
        which side it stays); or when it is undefined (no year with debt service on the cash).

    Notes
    -----
    The ratio is increasing in the price as long as CFADS is (revenue minus costs minus a take
    that grows more slowly than revenue). A fiscal take with ``royalty_rate +
    profit_duty_rate > 1`` makes CFADS fall as the price rises, and the root returned is then
    one crossing in the bracket, not necessarily the only one.
    """
    if target not in FLAT_PRICE_TARGETS:
        raise InputError(
            _SOURCE,
            "target",
            f"got {target!r}; want one of {', '.join(FLAT_PRICE_TARGETS)}",
        )
    if target == "default" and level is not None:
        raise InputError(
            _SOURCE, "level", f"got {level!r}; want none for default (a flag, solved for off)"
        )
    lvl = FLAT_PRICE_TARGETS[target] if level is None else float(level)
    if not math.isfinite(lvl):
        raise InputError(_SOURCE, "level", f"got {level!r}; want a finite number")
    if target == "mdf_inflow_pv_usd_bn" and lvl < 0.0:
        raise InputError(
            _SOURCE, "level", f"got {level!r}; want >= 0 (the MDF PV is never negative)"
        )
    lo, hi = _check_bracket(lo, hi)
    xtol = _check_positive("xtol", xtol)
    median = median_case(scenario)
    schedule = build_schedule(scenario)

    def metric(price: float) -> float:
        res = simulate(
            _with_flat_price(median, price), paths=1, keep_series=False, schedule=schedule
        )
        return float(res.metrics[target].iloc[0])

    f_lo, f_hi = metric(lo), metric(hi)
    for price, value in ((lo, f_lo), (hi, f_hi)):
        if not math.isfinite(value):
            raise InputError(
                scenario.name,
                target,
                f"undefined at {price:g} USD/bbl (no year with debt service on the cash)",
            )

    if target == "default":  # the lowest price at which the median case does not default
        if not f_lo or f_hi:
            raise _no_crossing(median, schedule, target, lvl, lo, hi, f_lo, f_hi)

        def solvent(p: float) -> tuple[bool, float]:
            value = metric(p)
            return value == 0.0, value

        _, price, value, steps = _bisect(solvent, lo, hi, f_hi, xtol)
        return BreakEven(price, target, lvl, value, steps)

    if target == "mdf_inflow_pv_usd_bn" and lvl == 0.0:
        # The PV is 0 on a whole interval of low prices: bisect the predicate pv > 0.
        if f_lo > 0.0 or f_hi <= 0.0:
            raise _no_crossing(median, schedule, target, lvl, lo, hi, f_lo, f_hi)

        def positive(p: float) -> tuple[bool, float]:
            value = metric(p)
            return value > 0.0, value

        _, price, value, steps = _bisect(positive, lo, hi, f_hi, xtol)
        return BreakEven(price, target, lvl, value, steps)

    g_lo, g_hi = f_lo - lvl, f_hi - lvl
    if g_lo == 0.0 or g_hi == 0.0:
        price = lo if g_lo == 0.0 else hi
        return BreakEven(price, target, lvl, f_lo if g_lo == 0.0 else f_hi, 0)
    if (g_lo > 0.0) == (g_hi > 0.0):
        raise _no_crossing(median, schedule, target, lvl, lo, hi, f_lo, f_hi)
    root, info = brentq(lambda p: metric(p) - lvl, lo, hi, xtol=xtol, full_output=True)
    price = float(root)
    return BreakEven(price, target, lvl, metric(price), int(info.iterations))


def _no_crossing(
    median: Scenario,
    schedule: DebtSchedule,
    target: str,
    level: float,
    lo: float,
    hi: float,
    f_lo: float,
    f_hi: float,
) -> InputError:
    """The error for a metric that stays on one side of the level over the whole bracket."""
    got = (
        f"got {f_lo:.4g} at {lo:g} and at {hi:g} USD/bbl"
        if f_lo == f_hi
        else f"got {f_lo:.4g} at {lo:g} and {f_hi:.4g} at {hi:g} USD/bbl"
    )
    if target == "default":
        side = (
            f"the median case does not default even at {lo:g} USD/bbl; lower lo"
            if not f_lo
            else f"the median case defaults even at {hi:g} USD/bbl"
        )
        return InputError(median.name, target, f"{got}; {side}")
    if target == "mdf_inflow_pv_usd_bn" and level == 0.0:
        side = (
            f"something already reaches the MDF at {lo:g} USD/bbl; lower lo"
            if f_lo > 0.0
            else f"nothing reaches the MDF up to {hi:g} USD/bbl"
        )
        return InputError(median.name, target, f"{got}; {side}")
    if max(f_lo, f_hi) < level:
        side = f"it never reaches {level:g} up to {hi:g} USD/bbl"
        why = _why_below(median, schedule, target, hi)
    else:
        side = f"it is already above {level:g} at {lo:g} USD/bbl; lower lo"
        why = ""
    return InputError(median.name, target, f"{got}; {side}{why}")


def _why_below(median: Scenario, schedule: DebtSchedule, target: str, price: float) -> str:
    """Why the coverage ratio stays below the level even at a high price (or ``""``).

    A ratio whose binding year has debt service on the cash but no production does not depend
    on the price at all: CFADS there is minus the oversight cost.
    """
    if target != "min_dscr":
        return ""
    res = simulate(_with_flat_price(median, price), paths=1, keep_series=True, schedule=schedule)
    dscr = res.series("dscr").iloc[:, 0].to_numpy()
    kbd = res.series("production_kbd").iloc[:, 0].to_numpy()
    if np.isnan(dscr).all():
        return ""
    t = int(np.nanargmin(dscr))
    year = median.horizon.start_year + t
    if kbd[t] <= 0.0:
        return (
            f" (in {year} debt service is due before first oil and no interest reserve pays "
            "it: CFADS is minus the oversight cost whatever the price; "
            "naef.capitalized_interest_years covers such years)"
        )
    return f" (the lowest coverage, {dscr[t]:.4g}, is in {year})"


# ---------------------------------------------------------------------- long-run break-even


def breakeven_long_run(
    scenario: Scenario,
    *,
    target: str = "default",
    threshold: float = 0.10,
    paths: int = 4000,
    seed: int | None = None,
    lo: float = 5.0,
    hi: float = 300.0,
    tol_usd: float = 0.25,
) -> BreakEven:
    """The long-run price level at which the probability of an event crosses a threshold.

    Parameters
    ----------
    scenario
        The scenario, with its own stochastic price model (``mean_reverting`` or
        ``two_factor``; see :data:`LONG_RUN_MODELS`) and its capex and reservoir spreads.
        Only ``oil_price.long_run_usd_per_bbl`` is varied; the debt schedule stays the one
        sized on the scenario as given.
    target
        The flag whose probability is taken: ``default``, ``standalone_default``,
        ``pemex_support`` or ``distress`` (:data:`LONG_RUN_TARGETS`).
    threshold
        Probability to cross [-], in (0, 1).
    paths
        Monte Carlo paths of every evaluation [paths].
    seed
        Seed of every evaluation (the same one each time: common random numbers); default
        ``scenario.simulation.seed``.
    lo, hi
        Bracket of the long-run level [USD/bbl], ``0 < lo < hi <= 10,000``. The probability
        must be above the threshold at ``lo`` and at most the threshold at ``hi``.
    tol_usd
        Width of the final bracket [USD/bbl].

    Returns
    -------
    BreakEven
        ``price_usd_per_bbl`` the middle of the final bracket ``[a, b]``, where the estimated
        probability is above ``threshold`` at ``a`` and at most ``threshold`` at ``b``, with
        ``b - a <= tol_usd`` [USD/bbl]; ``target`` the flag; ``level`` the threshold;
        ``metric_at_price`` the probability at that price and ``standard_error`` its binomial
        standard error ``sqrt(p (1 - p) / paths)`` [-]; ``iterations`` the bisection steps.
        Each evaluation, including the final one, is one ``simulate`` call of ``paths`` paths.

    Raises
    ------
    InputError
        For a price model without a long-run level (``gbm``, ``bootstrap``, ``deck``), an
        unknown target, a bad threshold, bracket, tolerance, number of paths or seed, or when
        the probability does not cross the threshold in ``[lo, hi]``.
    """
    model = scenario.oil_price.model
    if model not in LONG_RUN_MODELS:
        why = {
            "gbm": "gbm has no long-run level (it drifts at drift_per_year)",
            "bootstrap": "the bootstrap resamples historical returns and has no long-run level",
            "deck": "a deck is a fixed price path with no long-run level; use breakeven_flat_price",
        }.get(model, "it has no long-run level")
        raise InputError(
            scenario.name,
            "oil_price.model",
            f"got {model!r}; want one of {', '.join(LONG_RUN_MODELS)} ({why})",
        )
    if target not in LONG_RUN_TARGETS:
        raise InputError(
            _SOURCE, "target", f"got {target!r}; want one of {', '.join(LONG_RUN_TARGETS)}"
        )
    try:
        thr = float(threshold)
    except (TypeError, ValueError):
        thr = math.nan
    if not 0.0 < thr < 1.0:
        raise InputError(_SOURCE, "threshold", f"got {threshold!r}; want a probability in (0, 1)")
    if isinstance(paths, bool) or not isinstance(paths, int | np.integer) or paths < 1:
        raise InputError(_SOURCE, "paths", f"got {paths!r}; want a whole number >= 1")
    lo, hi = _check_bracket(lo, hi)
    tol = _check_positive("tol_usd", tol_usd)
    n = int(paths)
    run_seed = scenario.simulation.seed if seed is None else seed
    schedule = build_schedule(scenario)

    def probability(price: float) -> float:
        sc = scenario.with_overrides(
            {"oil_price.long_run_usd_per_bbl": price},
            source=f"{scenario.name} (long run {price:g} USD/bbl)",
        )
        res = simulate(sc, paths=n, seed=run_seed, keep_series=False, schedule=schedule)
        return float(res.metrics[target].to_numpy(dtype=float).mean())

    return _bisect_step(
        probability,
        target=target,
        threshold=thr,
        lo=lo,
        hi=hi,
        tol=tol,
        paths=n,
        name=scenario.name,
    )


def _bisect_step(
    probability: Callable[[float], float],
    *,
    target: str,
    threshold: float,
    lo: float,
    hi: float,
    tol: float,
    paths: int,
    name: str,
) -> BreakEven:
    """Bisect ``probability(x) > threshold`` (true at ``lo``, false at ``hi``) to ``tol``."""
    p_lo, p_hi = probability(lo), probability(hi)
    if not p_lo > threshold or p_hi > threshold:
        got = (
            f"got a probability of {_EVENT[target]} of {p_lo:.4g} at {lo:g} and {p_hi:.4g} at "
            f"{hi:g}"
        )
        if p_hi > threshold:
            side = (
                f"it stays above {threshold:g} up to a long-run price of {hi:g} USD/bbl; raise hi"
            )
        else:
            side = (
                f"it is already at most {threshold:g} at a long-run price of {lo:g} USD/bbl; "
                "lower lo"
            )
        raise InputError(name, target, f"{got} USD/bbl; {side}")

    def at_most(x: float) -> tuple[bool, float]:
        p = probability(x)
        return p <= threshold, p

    a, b, _, steps = _bisect(at_most, lo, hi, p_hi, tol)
    price = 0.5 * (a + b)
    p = probability(price)
    return BreakEven(
        price_usd_per_bbl=price,
        target=target,
        level=threshold,
        metric_at_price=p,
        iterations=steps,
        standard_error=math.sqrt(p * (1.0 - p) / paths),
    )
