"""Risks that move together: the per-path factors correlated with the price, and the export mix.

Gaussian copula on the same standard normals. With ``a`` the correlation of the capex overrun
with the price shock, ``b`` of the reservoir with the price shock and ``c`` of the overrun with
the reservoir, the lower Cholesky factor of the matrix of (price, overrun, reservoir) is::

    L = [[1, 0,               0  ],
         [a, sqrt(1 - a^2),   0  ],
         [b, (c - a b) / L11, sqrt(1 - b^2 - L21^2)]]

and the factors' normals are ``w_overrun = a Z + L11 z_1``, ``w_reservoir = b Z + L21 z_1 +
L22 z_2``, where ``Z`` is the standardized price shock of the spending years
(:func:`simulator.model.prices.window_shock`) and ``z_1``, ``z_2`` the path's own draws. With
every correlation 0 they are ``z_1`` and ``z_2`` themselves, so a run without correlation draws
exactly what it drew before. Each factor stays lognormal with median 1; only their joint law
changes. A window without a stochastic price year has no price shock to follow: the factors are
then correlated with each other only.

The export mix. The Mexican export mix sells at ``realized_price_factor * m[t]`` times the
benchmark, ``m[t] = exp(s u[t] - s^2 / 2)`` (mean 1), ``u`` a stationary AR(1) with unit
variance: ``u[0] = e[0]``, ``u[t] = phi u[t-1] + sqrt(1 - phi^2) e[t]``.
"""

from __future__ import annotations

import numpy as np

from ..scenario.schema import Risks
from ..scenario.sets import FloatArray, PerPath

__all__ = ["correlated_normals", "export_mix_factor"]


def correlated_normals(
    price_shock: FloatArray | None,
    overrun: FloatArray,
    reservoir: FloatArray,
    risks: Risks | PerPath[Risks],
) -> tuple[FloatArray, FloatArray]:
    """The normals of the capex overrun and the reservoir factor under the copula [-].

    Parameters
    ----------
    price_shock
        Standardized price shock of the spending years, shape (paths,); None: none.
    overrun, reservoir
        The path's own standard normals of the two factors, shape (paths,).
    risks
        The ``risks`` section (its correlations floats or one value per path).

    Returns
    -------
    tuple of numpy.ndarray
        ``(w_overrun, w_reservoir)``, each shape (paths,) and standard normal.
    """
    a = np.asarray(risks.price_overrun_correlation, dtype=float)
    b = np.asarray(risks.price_reservoir_correlation, dtype=float)
    c = np.asarray(risks.overrun_reservoir_correlation, dtype=float)
    if price_shock is None:
        a = b = np.zeros_like(a)
        price_shock = np.zeros_like(overrun)
    if not (a.any() or b.any() or c.any()):
        return overrun, reservoir
    l11 = np.sqrt(1.0 - a * a)
    with np.errstate(divide="ignore", invalid="ignore"):
        l21 = np.where(l11 > 0.0, (c - a * b) / l11, 0.0)
    l22 = np.sqrt(np.maximum(1.0 - b * b - l21 * l21, 0.0))
    w_overrun = a * price_shock + l11 * overrun
    w_reservoir = b * price_shock + l21 * overrun + l22 * reservoir
    return w_overrun, w_reservoir


def export_mix_factor(shocks: FloatArray, risks: Risks | PerPath[Risks]) -> FloatArray:
    """Export-mix factor around its mean by year and path [-], shape (years, paths).

    Parameters
    ----------
    shocks
        Standard normals, one row per year, shape (years, paths).
    risks
        The ``risks`` section (``export_mix_sd`` s, ``export_mix_persistence`` phi).
    """
    phi = np.asarray(risks.export_mix_persistence, dtype=float)
    sd = np.asarray(risks.export_mix_sd, dtype=float)
    innovation = np.sqrt(1.0 - phi * phi)
    u = np.empty_like(shocks)
    u[0] = shocks[0]
    for t in range(1, shocks.shape[0]):
        np.multiply(u[t - 1], phi, out=u[t])
        u[t] += innovation * shocks[t]
    u *= sd
    u -= 0.5 * sd * sd
    return np.exp(u, out=u)
