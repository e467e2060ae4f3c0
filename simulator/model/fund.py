"""Mexican Development Fund: balance, infrastructure investment, capital stock and GDP effect.

Each year::

    balance = balance_prev * (1 + fund_return) + mdf_inflow
    invest  = min(spend_rate * balance, max_investment_usd_bn_per_year);  balance -= invest
    K       = K_prev * (1 - depreciation_rate) + efficiency * invest
    GDP     = gdp_base_usd_bn * (1 + gdp_growth)^t;  Kb = public_capital_to_gdp * GDP
    uplift  = GDP * ((1 + K / Kb)^output_elasticity - 1)

The uplift compares GDP with the added capital to GDP with the baseline stock only (an
elasticity of output to public capital, as in Bom and Ligthart 2014).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..scenario.schema import Mdf
from ..scenario.sets import FloatArray, PerPath

__all__ = ["FundFlows", "run_fund"]


@dataclass(frozen=True)
class FundFlows:
    """Development Fund paths, each shape (years, paths) unless stated.

    Attributes
    ----------
    mdf_balance_usd_bn
        Fund balance at the end of each year [USD bn].
    infrastructure_investment_usd_bn
        Infrastructure investment in each year [USD bn].
    infrastructure_capital_usd_bn
        Added infrastructure capital at the end of each year [USD bn].
    gdp_uplift_usd_bn
        GDP gained from the added capital [USD bn].
    gdp_usd_bn
        Baseline GDP by year [USD bn], shape (years, 1), or (years, paths) when the GDP
        assumptions differ between paths.
    """

    mdf_balance_usd_bn: FloatArray
    infrastructure_investment_usd_bn: FloatArray
    infrastructure_capital_usd_bn: FloatArray
    gdp_uplift_usd_bn: FloatArray
    gdp_usd_bn: FloatArray

    def as_dict(self) -> dict[str, FloatArray]:
        """The flows by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def run_fund(mdf_inflow_usd_bn: FloatArray, mdf: Mdf | PerPath[Mdf]) -> FundFlows:
    """Run the fund rule, the capital accumulation and the GDP effect for every path.

    Parameters
    ----------
    mdf_inflow_usd_bn
        Inflow from the waterfall [USD bn], shape (years, paths).
    mdf
        The ``mdf`` section, or one whose float fields hold one value per path.
    """
    years, n = mdf_inflow_usd_bn.shape
    balance = np.empty((years, n))
    invest = np.empty((years, n))
    capital = np.empty((years, n))
    growth = 1.0 + mdf.fund_return
    keep = 1.0 - mdf.depreciation_rate
    bal_prev = np.zeros(n)
    k_prev = np.zeros(n)
    built = np.empty(n)  # scratch row: capital built this year
    for t in range(years):
        bal = np.multiply(bal_prev, growth, out=balance[t])
        bal += mdf_inflow_usd_bn[t]
        # Inflows are >= 0, the return > -1 and spend_rate <= 1, so invest <= balance.
        inv = np.multiply(bal, mdf.spend_rate, out=invest[t])
        np.minimum(inv, mdf.max_investment_usd_bn_per_year, out=inv)
        bal -= inv
        k = np.multiply(k_prev, keep, out=capital[t])
        k += np.multiply(inv, mdf.efficiency, out=built)
        bal_prev, k_prev = bal, k
    gdp = mdf.gdp_base_usd_bn * (1.0 + mdf.gdp_growth) ** np.arange(years, dtype=float).reshape(
        years, 1
    )
    base_k = mdf.public_capital_to_gdp * gdp
    uplift = np.log1p(capital / base_k)
    uplift *= mdf.output_elasticity
    np.expm1(uplift, out=uplift)
    uplift *= gdp
    return FundFlows(
        mdf_balance_usd_bn=balance,
        infrastructure_investment_usd_bn=invest,
        infrastructure_capital_usd_bn=capital,
        gdp_uplift_usd_bn=uplift,
        gdp_usd_bn=gdp,
    )
