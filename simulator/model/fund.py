"""Mexican Development Fund: balance, infrastructure investment, capital stock and GDP effect.

Each year::

    balance = balance_prev * (1 + fund_return) + mdf_inflow
    invest  = min(spend_rate * balance, max_investment_usd_bn_per_year);  balance -= invest
    K       = K_prev * (1 - depreciation_rate) + efficiency * invest
    GDP     = gdp_base_usd_bn * (1 + gdp_growth)^t;  Kb = public_capital_to_gdp * GDP
    uplift  = GDP * ((1 + K / Kb)^output_elasticity - 1)

The uplift compares GDP with the added capital to GDP with the baseline stock only (an
elasticity of output to public capital, as in Bom and Ligthart 2014).

With ``mdf.sectors`` the same rule feeds sectors of their own (transport, water and energy,
education, a revolving loan fund for small firms): :func:`simulator.model.sectors.run_sectors`,
to which this single stock is the one capital sector with gestation 0.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ..scenario.schema import Mdf
from ..scenario.schema import Sector as SectorInput
from ..scenario.sets import FloatArray, PerPath
from .sectors import CapitalSector, LendingSector, SchoolingSector, Sector, run_sectors

__all__ = ["FundFlows", "model_sectors", "run_fund"]


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
    sector_investment_usd_bn, sector_capital_usd_bn, sector_gdp_uplift_usd_bn
        Investment, productive capital and contribution to the uplift of each sector
        (``mdf.sector_names``) [USD bn], shape (sectors, years, paths); the single stock is one
        sector. Capital and investment of all sectors are the two totals above.
    schooling_years_added
        Years of schooling added to the average member of the labour force [year].
    loans_outstanding_usd_bn, loan_principal_repaid_usd_bn, loan_interest_usd_bn,
    loans_written_off_usd_bn
        The lending sectors' performing loans at the end of each year, and the principal
        repaid, interest paid and loans written off in each year [USD bn].
    """

    mdf_balance_usd_bn: FloatArray
    infrastructure_investment_usd_bn: FloatArray
    infrastructure_capital_usd_bn: FloatArray
    gdp_uplift_usd_bn: FloatArray
    gdp_usd_bn: FloatArray
    sector_investment_usd_bn: FloatArray
    sector_capital_usd_bn: FloatArray
    sector_gdp_uplift_usd_bn: FloatArray
    schooling_years_added: FloatArray
    loans_outstanding_usd_bn: FloatArray
    loan_principal_repaid_usd_bn: FloatArray
    loan_interest_usd_bn: FloatArray
    loans_written_off_usd_bn: FloatArray

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
    gdp = mdf.gdp_base_usd_bn * (1.0 + mdf.gdp_growth) ** np.arange(years, dtype=float).reshape(
        years, 1
    )
    if mdf.sectors:
        return _by_sector(mdf_inflow_usd_bn, mdf, gdp)
    balance = np.empty((years, n))
    invest = np.empty((years, n))
    capital = np.empty((years, n))
    growth = 1.0 + mdf.fund_return
    keep = 1.0 - mdf.depreciation_rate
    bal_prev = np.zeros(n)
    k_prev = np.zeros(n)
    built = np.empty(n)  # scratch row: capital built this year
    first = years  # the first year with capital on some path
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
        if first == years and k.any():
            first = t
    # No capital, no uplift: the years before the first capital are 0, not worked out.
    base_k = mdf.public_capital_to_gdp * gdp
    uplift = np.empty((years, n))
    uplift[:first] = 0.0
    rest = np.divide(capital[first:], base_k[first:], out=uplift[first:])
    np.log1p(rest, out=rest)
    rest *= mdf.output_elasticity
    np.expm1(rest, out=rest)
    rest *= gdp[first:]
    zero = np.broadcast_to(0.0, (years, n))  # read-only: no schooling, no loans
    return FundFlows(
        mdf_balance_usd_bn=balance,
        infrastructure_investment_usd_bn=invest,
        infrastructure_capital_usd_bn=capital,
        gdp_uplift_usd_bn=uplift,
        gdp_usd_bn=gdp,
        sector_investment_usd_bn=invest[None],
        sector_capital_usd_bn=capital[None],
        sector_gdp_uplift_usd_bn=uplift[None],
        schooling_years_added=zero,
        loans_outstanding_usd_bn=zero,
        loan_principal_repaid_usd_bn=zero,
        loan_interest_usd_bn=zero,
        loans_written_off_usd_bn=zero,
    )


def model_sectors(mdf: Mdf | PerPath[Mdf]) -> list[Sector]:
    """The sectors of ``mdf.sectors`` as the model's, with any value varied per path.

    A run over parameter sets varies a sector's field under the key
    ``sectors.<name>.<field>`` of the section (:class:`~simulator.scenario.sets.PerPath`).
    """
    out: list[Sector] = []
    for sector in mdf.sectors:

        def value(field: str, sector: SectorInput = sector) -> Any:
            default = getattr(sector, field)
            if isinstance(mdf, PerPath):
                return mdf.varied(f"sectors.{sector.name}.{field}", default)
            return default

        common = {
            "name": sector.name,
            "share": value("share"),
            "efficiency": value("efficiency"),
            "gestation_years": sector.gestation_years,
            "depreciation_rate": value("depreciation_rate"),
        }
        if sector.kind == "capital":
            out.append(
                CapitalSector(
                    **common,
                    output_elasticity=value("output_elasticity"),
                    baseline_capital_to_gdp=value("baseline_capital_to_gdp"),
                )
            )
        elif sector.kind == "schooling":
            out.append(
                SchoolingSector(
                    **common,
                    returns_to_schooling=value("returns_to_schooling"),
                    labour_share=value("labour_share"),
                    school_year_cost_to_gdp=value("school_year_cost_to_gdp"),
                )
            )
        else:
            out.append(
                LendingSector(
                    **common,
                    additionality=value("additionality"),
                    output_elasticity=value("output_elasticity"),
                    baseline_capital_to_gdp=value("baseline_capital_to_gdp"),
                    loan_rate=value("loan_rate"),
                    default_rate=value("default_rate"),
                    tenor_years=int(sector.tenor_years or 1),
                )
            )
    return out


def _by_sector(
    mdf_inflow_usd_bn: FloatArray, mdf: Mdf | PerPath[Mdf], gdp: FloatArray
) -> FundFlows:
    """:func:`run_fund` with ``mdf.sectors``."""
    flows = run_sectors(
        mdf_inflow_usd_bn,
        model_sectors(mdf),
        gdp,
        fund_return=mdf.fund_return,
        spend_rate=mdf.spend_rate,
        max_investment_usd_bn_per_year=mdf.max_investment_usd_bn_per_year,
    )
    return FundFlows(
        mdf_balance_usd_bn=flows.mdf_balance_usd_bn,
        infrastructure_investment_usd_bn=flows.investment_usd_bn,
        infrastructure_capital_usd_bn=_total(flows.sector_capital_usd_bn),
        gdp_uplift_usd_bn=flows.gdp_uplift_usd_bn,
        gdp_usd_bn=flows.gdp_usd_bn,
        sector_investment_usd_bn=flows.sector_investment_usd_bn,
        sector_capital_usd_bn=flows.sector_capital_usd_bn,
        sector_gdp_uplift_usd_bn=flows.sector_gdp_uplift_usd_bn,
        schooling_years_added=flows.schooling_years_added,
        loans_outstanding_usd_bn=flows.loans_outstanding_usd_bn,
        loan_principal_repaid_usd_bn=flows.loan_principal_repaid_usd_bn,
        loan_interest_usd_bn=flows.loan_interest_usd_bn,
        loans_written_off_usd_bn=flows.loans_written_off_usd_bn,
    )


def _total(by_sector: FloatArray) -> FloatArray:
    """The sum over the sectors, sector after sector (the same order on every path)."""
    out = by_sector[0].copy()
    for part in by_sector[1:]:
        out += part
    return out
