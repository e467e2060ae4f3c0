"""Shared fixtures of the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

import simulator
from simulator.run.results import Results
from simulator.scenario import Mdf, Scenario

ROOT = Path(__file__).resolve().parents[1]

#: Paths and seed of the shared runs below.
SHARED_PATHS = 2000
SHARED_SEED = 1


@pytest.fixture
def scenario() -> Scenario:
    """The default scenario (the 2005 proposal, structured as a revenue-backed financing)."""
    return Scenario()


@pytest.fixture
def literal() -> Scenario:
    """The default scenario with the proposal's literal structure
    (scenarios/proposal-as-written.yaml): level repayment, no interest reserve, no reserve
    funded at close, a free fixed backstop, no lock-up."""
    return simulator.load_scenario(ROOT / "scenarios" / "proposal-as-written.yaml")


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    """The shipped baseline, scenarios/naef-2005.yaml (the default scenario)."""
    return simulator.load_scenario(ROOT / "scenarios" / "naef-2005.yaml")


@pytest.fixture(scope="session")
def low20(baseline: Scenario) -> Scenario:
    """The baseline with oil at $20: many shortfalls, and Pemex covers operating losses."""
    return baseline.with_overrides(
        {
            "name": "low-20",
            "oil_price.long_run_usd_per_bbl": 20,
            "oil_price.initial_usd_per_bbl": 20,
        }
    )


@pytest.fixture(scope="session")
def baseline_run(baseline: Scenario) -> Results:
    """The baseline over 2,000 paths, seed 1 (read-only: shared by many tests)."""
    return simulator.simulate(baseline, paths=SHARED_PATHS, seed=SHARED_SEED)


@pytest.fixture(scope="session")
def low20_run(low20: Scenario) -> Results:
    """The $20 world on the same draws as :func:`baseline_run`."""
    return simulator.simulate(low20, paths=SHARED_PATHS, seed=SHARED_SEED)


@pytest.fixture(scope="session")
def sector_run() -> Results:
    """scenarios/mdf-sectors.yaml (five sectors of three kinds) over 400 paths, seed 1
    (read-only: shared by many tests)."""
    sc = simulator.load_scenario(ROOT / "scenarios" / "mdf-sectors.yaml")
    return simulator.simulate(sc, paths=400, seed=SHARED_SEED)


@pytest.fixture
def small_fund() -> Mdf:
    """A fund whose absorptive-capacity cap (3 USD bn/year) binds in some years only; the hand
    computations of the fund and of a single capital sector run it."""
    return Mdf(
        fund_return=0.1,
        spend_rate=0.5,
        max_investment_usd_bn_per_year=3.0,
        efficiency=0.8,
        depreciation_rate=0.1,
        output_elasticity=0.2,
        gdp_base_usd_bn=100.0,
        gdp_growth=0.05,
        public_capital_to_gdp=0.5,
    )
