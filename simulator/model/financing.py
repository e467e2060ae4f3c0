"""NAEF securities: tranches -> issuance, Pemex capex and the scheduled debt service.

Deterministic: every path owes the same schedule. Tranche ``j`` of face ``F`` is issued at the
end of year ``j``; its proceeds net of the issuance cost are Pemex capex in year ``j``; its
service runs in years ``j+1 .. j+M`` (M = tenor), with ``G`` grace years of interest only, then

- ``level``: annuity ``A = F c / (1 - (1+c)^-(M-G))`` (``F / (M-G)`` when ``c = 0``);
- ``linear``: ``F / (M-G)`` of principal a year plus interest;
- ``bullet``: interest every year, all principal in year ``M``.

Interest is the coupon times the balance at the start of the year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario.schema import Naef

__all__ = ["DebtSchedule", "debt_schedule", "tranche_schedule"]


def tranche_schedule(
    face_usd_bn: float,
    *,
    coupon_rate: float,
    tenor_years: int,
    grace_years: int,
    amortization: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Interest and principal of one tranche by year of service.

    Parameters
    ----------
    face_usd_bn
        Face value F [USD bn].
    coupon_rate
        Coupon c [1/year].
    tenor_years
        Years of service M [years].
    grace_years
        Interest-only years G < M [years] (ignored by ``bullet``).
    amortization
        ``"level"``, ``"linear"`` or ``"bullet"``.

    Returns
    -------
    interest, principal
        Arrays of length M [USD bn]; element ``i`` is service year ``i + 1`` after issue.
    """
    m, c, f = tenor_years, coupon_rate, face_usd_bn
    principal = np.zeros(m)
    if amortization == "bullet":
        principal[-1] = f
    else:
        g = grace_years
        n = m - g
        if amortization == "linear" or c == 0.0:
            principal[g:] = f / n
        elif amortization == "level":
            # With L = ln(1 + c): 1 - (1+c)^-n = -expm1(-n L), (1+c)^x - 1 = expm1(x L); these
            # keep full precision for coupons near zero, where the textbook forms cancel.
            log_growth = np.log1p(c)
            annuity = f * c / -np.expm1(-n * log_growth)
            i = np.arange(n)
            grown = np.expm1(n * log_growth)
            bal_start = f * (grown - np.expm1(i * log_growth)) / grown
            principal[g:] = annuity - c * bal_start
        else:
            raise ValueError(f"unknown amortization {amortization!r}")
    balance_start = f - np.concatenate(([0.0], np.cumsum(principal)[:-1]))
    interest = c * balance_start
    return interest, principal


@dataclass(frozen=True)
class DebtSchedule:
    """The scheduled (not the realized) flows of the NAEF securities, by year [USD bn].

    Attributes
    ----------
    issuance_usd_bn
        Face value issued at the end of each year, shape (years,).
    capex_usd_bn
        Proceeds net of issuance cost spent by Pemex in each year, shape (years,).
    interest_usd_bn, principal_usd_bn, service_usd_bn
        Scheduled interest, principal and their sum in each year, shape (years,).
    balance_end_usd_bn
        Scheduled balance at the end of each year, shape (years,).
    outstanding_at_horizon_usd_bn
        Principal still scheduled after the last simulated year.

    A run over many parameter sets (:func:`simulator.run.engine.simulate_sets`) stacks one
    schedule per path: the arrays are then (years, paths) and the outstanding principal
    (paths,).
    """

    issuance_usd_bn: np.ndarray
    capex_usd_bn: np.ndarray
    interest_usd_bn: np.ndarray
    principal_usd_bn: np.ndarray
    service_usd_bn: np.ndarray
    balance_end_usd_bn: np.ndarray
    outstanding_at_horizon_usd_bn: float | np.ndarray


def debt_schedule(naef: Naef, *, years: int) -> DebtSchedule:
    """Scheduled issuance, capex and debt service over the horizon.

    Parameters
    ----------
    naef
        The ``naef`` section.
    years
        Horizon length T [years]; service falling after year T-1 is left out of the arrays and
        its principal counted in ``outstanding_at_horizon_usd_bn``.
    """
    issuance = np.zeros(years)
    interest = np.zeros(years)
    principal = np.zeros(years)
    for j, face in enumerate(naef.issuance_usd_bn):
        issuance[j] += face
        if face == 0.0:
            continue
        i_j, p_j = tranche_schedule(
            face,
            coupon_rate=naef.coupon_rate,
            tenor_years=naef.tenor_years,
            grace_years=naef.grace_years,
            amortization=naef.amortization,
        )
        stop = min(years, j + 1 + naef.tenor_years)
        span = stop - (j + 1)
        if span > 0:
            interest[j + 1 : stop] += i_j[:span]
            principal[j + 1 : stop] += p_j[:span]
    capex = issuance * (1.0 - naef.issuance_cost_rate)
    balance_end = np.cumsum(issuance - principal)
    outstanding = float(balance_end[-1]) if years else 0.0
    return DebtSchedule(
        issuance_usd_bn=issuance,
        capex_usd_bn=capex,
        interest_usd_bn=interest,
        principal_usd_bn=principal,
        service_usd_bn=interest + principal,
        balance_end_usd_bn=balance_end,
        outstanding_at_horizon_usd_bn=max(outstanding, 0.0),
    )
