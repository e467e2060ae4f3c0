"""Mexican Development Fund by sector: capital, schooling and a revolving loan fund.

The fund's rule is the single-stock rule of :mod:`simulator.model.fund`, with the repayments
and interest of the loan book added to the balance. Each year ``t``, on every path::

    received = principal + interest paid this year on the loans made before t
    balance  = balance_prev * (1 + fund_return) + mdf_inflow + received
    invest   = min(spend_rate * balance, max_investment_usd_bn_per_year);  balance -= invest
    I_k      = share_k * invest                                (shares sum to 1)

Spending made in year ``t`` becomes productive at ``t + g_k`` (``gestation_years``), whole:
nothing depreciates before it is in use. Then, by kind of sector:

- :class:`CapitalSector` (transport, water and energy)::

      K_k[t]   = K_k[t-1] (1 - depreciation_rate) + efficiency * I_k[t - g]
      factor_k = (1 + K_k / (baseline_capital_to_gdp * GDP))^output_elasticity

- :class:`LendingSector` (credit to micro and small firms): the firms' capital is built like a
  capital sector's from ``efficiency * additionality * I_k[t - g]``, the loans being the
  disbursements ``I_k``. The loan book is a revolving fund (below); its repayments and interest
  return to the balance and are not also counted as GDP: GDP sees only the firms' capital.

- :class:`SchoolingSector` (education)::

      S_k[t]   = S_k[t-1] (1 - depreciation_rate)
                 + efficiency * I_k[t - g] / (school_year_cost_to_gdp * GDP[t - g])
      factor_k = exp(labour_share * returns_to_schooling * S_k)

  ``S_k`` is years of schooling added to the average member of the labour force. Spending buys
  school years at their cost when bought (``school_year_cost_to_gdp`` x GDP buys one more year
  for the whole labour force); the years reach workers after the lag and leave with them at
  ``depreciation_rate``. With human capital per worker ``h = exp(phi S)`` (a Mincer return
  ``phi`` per year of schooling) and ``Y = A K^a (h L)^(1-a)``, output rises by the factor
  ``(h_new / h)^(1-a) = exp((1-a) phi S)``, ``1 - a`` the labour share. Education is modelled
  this way rather than with an output elasticity of education spending because that is what
  the sources support: ``../shared/sources/defaults-2.md`` section 4.4 gives the Mincer return
  for Mexico (about 9% a year of schooling, Villarreal Peralta 2018) and no output elasticity of
  education spending was found.

GDP uplift multiplies across sectors::

    uplift = GDP (prod_k factor_k - 1)

and a sector's contribution is its share of the log of the product,
``uplift * ln(factor_k) / sum_j ln(factor_j)``: the contributions add up to the uplift. With one
capital sector of share 1 and gestation 0 and no lending, this is :func:`~.fund.run_fund`.

The loan book of a lending sector, by vintage (the loans disbursed in one year):

- Disbursed at the end of year ``v``, with the year's investment; the first instalment is due a
  year later, so what a vintage pays returns to the balance in the years ``v + 1 ..
  v + tenor_years``, before those years' investment (never the year it is lent).
- Equal principal: every loan repays ``1 / tenor_years`` of its amount a year, with interest at
  ``loan_rate`` on its balance at the start of the year. The principal schedule then does not
  depend on the rate, so principal and interest are kept apart simply and each vintage's book
  is its surviving face value; a level annuity would differ only in timing (less principal
  early). The equal-principal book also returns cash sooner and leaves less exposed to default.
- Each year, before payment, a fraction ``default_rate`` of the performing loans defaults: its
  balance at the start of the year is written off, and it pays neither interest nor principal
  then or later (no recovery). The performing face of vintage ``v`` at age ``a`` is
  ``D_v (1 - d)^a``; in year ``v + a`` it pays principal ``D_v (1 - d)^a / T`` and interest
  ``r D_v (1 - d)^a (1 - (a - 1) / T)``, and ``d D_v (1 - d)^(a-1) (1 - (a - 1) / T)`` is
  written off. What is written off plus the principal repaid is what was lent, once.

The vintages are held in a ``(tenor_years, paths)`` ring buffer; the only Python loop is over
years (and, inside it, over the few sectors).

Arrays are ``(years, paths)``; by-sector arrays ``(sectors, years, paths)``. Every float
parameter may be one value or one value per path, shape ``(paths,)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

__all__ = [
    "CapitalSector",
    "LendingSector",
    "Param",
    "SchoolingSector",
    "Sector",
    "SectorFlows",
    "run_sectors",
]

FloatArray = npt.NDArray[np.float64]

#: A parameter: one value, or one value per path, shape (paths,).
Param = float | FloatArray

#: Largest gap allowed between the sum of the sectors' shares and 1 [-].
SHARE_TOLERANCE = 1e-9
#: Largest log of the combined GDP factor of the sectors [-] (see :func:`run_sectors`).
MAX_LOG_FACTOR = 230.0


def _check_whole(owner: str, name: str, value: int, least: int) -> None:
    """Refuse a count that is not a whole number >= ``least``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ValueError(
            f"sector {owner!r}: {name} must be a whole number >= {least}, got {value!r}"
        )


@dataclass(frozen=True)
class CapitalSector:
    """A sector whose spending becomes public capital (transport and logistics, water and
    energy)."""

    name: str
    """Label of the sector in the outputs."""
    share: Param
    """Share of the fund's yearly investment spent on the sector [-]."""
    efficiency: Param
    """Share of the spending that becomes productive capital [-]."""
    gestation_years: int
    """Years from spending to productive capital [year]; 0: productive in the year spent."""
    depreciation_rate: Param
    """Depreciation of the capital once productive [1/year]."""
    output_elasticity: Param
    """Elasticity of output to the sector's capital [-]."""
    baseline_capital_to_gdp: Param
    """The sector's capital stock without the fund, as a multiple of GDP [-]."""

    def __post_init__(self) -> None:
        _check_whole(self.name, "gestation_years", self.gestation_years, 0)


@dataclass(frozen=True)
class SchoolingSector:
    """Education: spending buys years of schooling that raise the labour force's human capital
    ``h = exp(returns_to_schooling * S)``."""

    name: str
    """Label of the sector in the outputs."""
    share: Param
    """Share of the fund's yearly investment spent on the sector [-]."""
    efficiency: Param
    """Share of the spending that buys school years actually completed [-]."""
    gestation_years: int
    """Years from spending to the schooled joining the labour force [year]."""
    depreciation_rate: Param
    """Share of the added schooling that leaves the labour force each year [1/year]."""
    returns_to_schooling: Param
    """Mincer return: rise of log earnings per year of schooling [1/year of schooling]."""
    labour_share: Param
    """Labour share of income: elasticity of output to human capital per worker [-]."""
    school_year_cost_to_gdp: Param
    """Cost of one more year of schooling for every member of the labour force, as a multiple
    of GDP [-]: cost of a student-year over GDP per member of the labour force."""

    def __post_init__(self) -> None:
        _check_whole(self.name, "gestation_years", self.gestation_years, 0)


@dataclass(frozen=True)
class LendingSector:
    """A revolving loan fund for micro and small enterprises: disbursements become the firms'
    capital; repayments and interest return to the fund."""

    name: str
    """Label of the sector in the outputs."""
    share: Param
    """Share of the fund's yearly investment lent [-]."""
    efficiency: Param
    """Share of the loans spent on productive capital [-]."""
    additionality: Param
    """Share of that capital the firms would not have had without the loans [-]."""
    gestation_years: int
    """Years from disbursement to productive capital [year]; 0: productive in the year lent."""
    depreciation_rate: Param
    """Depreciation of the firms' capital [1/year]."""
    output_elasticity: Param
    """Elasticity of output to the firms' capital [-]."""
    baseline_capital_to_gdp: Param
    """The firms' capital stock without the fund, as a multiple of GDP [-]."""
    loan_rate: Param
    """Interest on the performing balance at the start of each year [1/year]."""
    default_rate: Param
    """Share of the performing loans that default each year, written off at their balance
    [1/year]."""
    tenor_years: int
    """Years over which each loan repays its principal in equal parts [year]."""

    def __post_init__(self) -> None:
        _check_whole(self.name, "gestation_years", self.gestation_years, 0)
        _check_whole(self.name, "tenor_years", self.tenor_years, 1)


#: A sector of the fund.
Sector = CapitalSector | SchoolingSector | LendingSector


@dataclass(frozen=True)
class SectorFlows:
    """Development Fund paths by sector, each shape (years, paths) unless stated.

    Attributes
    ----------
    sectors
        The sectors' names, in the order of the by-sector arrays.
    mdf_balance_usd_bn
        Fund balance at the end of each year [USD bn].
    investment_usd_bn
        Investment of each year, all sectors [USD bn].
    sector_investment_usd_bn
        Investment of each year by sector [USD bn], shape (sectors, years, paths); a lending
        sector's is its disbursements.
    sector_capital_usd_bn
        Productive capital added by each sector at the end of each year [USD bn], shape
        (sectors, years, paths): the public capital of a capital sector, the firms' capital of a
        lending sector, and for a schooling sector the spending embodied in the labour force
        (at its cost when spent, leaving at the sector's depreciation rate).
    schooling_years_added
        Years of schooling added to the average member of the labour force, all schooling
        sectors [year].
    gdp_uplift_usd_bn
        GDP gained from all sectors [USD bn].
    sector_gdp_uplift_usd_bn
        Each sector's contribution to the uplift [USD bn], shape (sectors, years, paths): its
        share of the log of the combined factor; the contributions add up to the uplift.
    loans_outstanding_usd_bn
        Performing loans at the end of each year, after that year's disbursements [USD bn].
    loan_principal_repaid_usd_bn
        Principal repaid to the fund in each year [USD bn].
    loan_interest_usd_bn
        Interest paid to the fund in each year [USD bn].
    loans_written_off_usd_bn
        Balance of the loans that defaulted in each year [USD bn].
    gdp_usd_bn
        Baseline GDP by year [USD bn], shape (years, 1) or (years, paths), as given.
    """

    sectors: tuple[str, ...]
    mdf_balance_usd_bn: FloatArray
    investment_usd_bn: FloatArray
    sector_investment_usd_bn: FloatArray
    sector_capital_usd_bn: FloatArray
    schooling_years_added: FloatArray
    gdp_uplift_usd_bn: FloatArray
    sector_gdp_uplift_usd_bn: FloatArray
    loans_outstanding_usd_bn: FloatArray
    loan_principal_repaid_usd_bn: FloatArray
    loan_interest_usd_bn: FloatArray
    loans_written_off_usd_bn: FloatArray
    gdp_usd_bn: FloatArray

    def as_dict(self) -> dict[str, FloatArray]:
        """The arrays by name (the sectors' names left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "sectors"}


class _LoanBook:
    """The performing loans of one lending sector, by vintage.

    ``face[v % tenor]`` is the surviving face value ``D_v (1 - d)^age`` of the vintage lent in
    year ``v``, for the ``tenor`` vintages still repaying; ``balance`` is the performing balance
    at the end of the last year.
    """

    def __init__(self, sector: LendingSector, paths: int) -> None:
        self.tenor = sector.tenor_years
        self.rate = sector.loan_rate
        self.default_rate = sector.default_rate
        self.survival = 1.0 - sector.default_rate
        self.face = np.zeros((self.tenor, paths))
        self.balance = np.zeros(paths)
        self.slots = np.arange(self.tenor)
        self.weights = np.empty(self.tenor)
        self.scratch = np.empty(paths)

    def collect(
        self, *, principal: FloatArray, interest: FloatArray, written_off: FloatArray
    ) -> None:
        """This year's defaults, interest and principal on the loans made before it, added to
        the rows given."""
        tmp = self.scratch
        written_off += np.multiply(self.balance, self.default_rate, out=tmp)
        self.balance *= self.survival
        interest += np.multiply(self.balance, self.rate, out=tmp)
        self.face *= self.survival
        np.sum(self.face, axis=0, out=tmp)
        tmp /= self.tenor
        principal += tmp

    def lend(self, t: int, amount: FloatArray, *, outstanding: FloatArray) -> None:
        """Disburse ``amount`` at the end of year ``t`` (in the slot of the vintage that has just
        repaid its last instalment) and add the performing balance to ``outstanding``."""
        self.face[t % self.tenor] = amount
        # A vintage of age a has repaid a / tenor of its surviving face.
        np.subtract(t, self.slots, out=self.weights)
        np.mod(self.weights, self.tenor, out=self.weights)
        self.weights /= -self.tenor
        self.weights += 1.0
        # Vintage after vintage, element by element: a matrix product would leave the order of
        # the sum to BLAS, and a path's balance would then depend on the paths run with it.
        np.multiply(self.face[0], self.weights[0], out=self.balance)
        for v in range(1, self.tenor):
            np.multiply(self.face[v], self.weights[v], out=self.scratch)
            self.balance += self.scratch
        outstanding += self.balance


def _gdp_rows(gdp_usd_bn: FloatArray, years: int) -> FloatArray:
    """Baseline GDP as (years, 1) or (years, paths)."""
    gdp = np.asarray(gdp_usd_bn, dtype=float)
    if gdp.ndim == 1:
        gdp = gdp.reshape(-1, 1)
    if gdp.ndim != 2 or gdp.shape[0] != years:
        raise ValueError(f"gdp_usd_bn has shape {np.shape(gdp_usd_bn)}; expected {years} years")
    return gdp


def _check_sectors(sectors: Sequence[Sector]) -> None:
    """At least one sector, distinct names, shares that sum to 1 on every path."""
    if not sectors:
        raise ValueError("the fund needs at least one sector")
    names = [s.name for s in sectors]
    if len(set(names)) != len(names):
        raise ValueError(f"sector names repeat: {names}")
    total = np.zeros(())
    for s in sectors:
        total = total + np.asarray(s.share, dtype=float)
    if not np.all(np.abs(total - 1.0) <= SHARE_TOLERANCE):
        raise ValueError(f"sector shares sum to {total}, not 1")


def run_sectors(
    mdf_inflow_usd_bn: FloatArray,
    sectors: Sequence[Sector],
    gdp_usd_bn: FloatArray,
    *,
    fund_return: Param,
    spend_rate: Param,
    max_investment_usd_bn_per_year: Param,
) -> SectorFlows:
    """Run the fund rule, the sectors' capital, schooling and loans, and the GDP effect.

    Parameters
    ----------
    mdf_inflow_usd_bn
        Inflow from the waterfall [USD bn], shape (years, paths); >= 0.
    sectors
        Where the fund invests; shares sum to 1.
    gdp_usd_bn
        Baseline GDP [USD bn], shape (years,), (years, 1) or (years, paths).
    fund_return
        Return on the fund balance [1/year], > -1.
    spend_rate
        Share of the balance invested each year [1/year], in [0, 1].
    max_investment_usd_bn_per_year
        Absorptive capacity: most invested in a year, all sectors [USD bn/year].

    Returns
    -------
    SectorFlows
        The flows of every year and path.
    """
    years, n = mdf_inflow_usd_bn.shape
    gdp = _gdp_rows(gdp_usd_bn, years)
    _check_sectors(sectors)
    m = len(sectors)
    balance = np.empty((years, n))
    invest = np.empty((years, n))
    spent = np.empty((m, years, n))
    capital = np.empty((m, years, n))
    outstanding, principal, interest, written_off = (np.zeros((years, n)) for _ in range(4))
    schooling = {
        k: np.empty((years, n)) for k, s in enumerate(sectors) if isinstance(s, SchoolingSector)
    }
    books = {k: _LoanBook(s, n) for k, s in enumerate(sectors) if isinstance(s, LendingSector)}
    keep = [1.0 - s.depreciation_rate for s in sectors]
    # Capital per USD spent, once productive.
    to_capital = [
        s.efficiency * s.additionality if isinstance(s, LendingSector) else s.efficiency
        for s in sectors
    ]
    growth = 1.0 + fund_return
    bal_prev = np.zeros(n)
    built = np.empty(n)  # scratch row: what becomes productive this year
    for t in range(years):
        for book in books.values():
            book.collect(principal=principal[t], interest=interest[t], written_off=written_off[t])
        bal = np.multiply(bal_prev, growth, out=balance[t])
        bal += mdf_inflow_usd_bn[t]
        bal += principal[t]
        bal += interest[t]
        # Inflows and receipts are >= 0, the return > -1 and spend_rate <= 1: invest <= balance.
        inv = np.multiply(bal, spend_rate, out=invest[t])
        np.minimum(inv, max_investment_usd_bn_per_year, out=inv)
        bal -= inv
        for k, sector in enumerate(sectors):
            np.multiply(inv, sector.share, out=spent[k, t])
            stock = capital[k, t]
            if t:
                np.multiply(capital[k, t - 1], keep[k], out=stock)
            else:
                stock.fill(0.0)
            lag = t - sector.gestation_years
            if lag >= 0:
                np.multiply(spent[k, lag], to_capital[k], out=built)
                stock += built
            if isinstance(sector, SchoolingSector):
                added = schooling[k][t]
                if t:
                    np.multiply(schooling[k][t - 1], keep[k], out=added)
                else:
                    added.fill(0.0)
                if lag >= 0:
                    # School years bought at their cost in the year spent.
                    np.divide(built, gdp[lag], out=built)
                    built /= sector.school_year_cost_to_gdp
                    added += built
            elif isinstance(sector, LendingSector):
                books[k].lend(t, spent[k, t], outstanding=outstanding[t])
        bal_prev = bal
    log_factor = np.empty((m, years, n))
    for k, sector in enumerate(sectors):
        out = log_factor[k]
        if isinstance(sector, SchoolingSector):
            np.multiply(schooling[k], sector.labour_share * sector.returns_to_schooling, out=out)
        else:
            np.divide(capital[k], sector.baseline_capital_to_gdp * gdp, out=out)
            np.log1p(out, out=out)
            out *= sector.output_elasticity
    total = log_factor.sum(axis=0)
    # The combined factor held below e^230 (1e100 times GDP), so that the uplift and its share
    # of GDP stay finite for inputs at the bounds of the schema (schooling bought at a
    # thousandth of GDP a year while GDP halves yearly for two centuries); no real case is near.
    uplift = np.expm1(np.minimum(total, MAX_LOG_FACTOR))
    uplift *= gdp
    contribution = np.divide(log_factor, total, out=np.zeros((m, years, n)), where=total != 0)
    contribution *= uplift
    added_years = np.zeros((years, n))
    for school in schooling.values():
        added_years += school
    return SectorFlows(
        sectors=tuple(s.name for s in sectors),
        mdf_balance_usd_bn=balance,
        investment_usd_bn=invest,
        sector_investment_usd_bn=spent,
        sector_capital_usd_bn=capital,
        schooling_years_added=added_years,
        gdp_uplift_usd_bn=uplift,
        sector_gdp_uplift_usd_bn=contribution,
        loans_outstanding_usd_bn=outstanding,
        loan_principal_repaid_usd_bn=principal,
        loan_interest_usd_bn=interest,
        loans_written_off_usd_bn=written_off,
        gdp_usd_bn=gdp,
    )
