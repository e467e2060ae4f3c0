"""Shared fixtures of the test suite."""

from __future__ import annotations

import pytest

from simulator.scenario import Scenario


@pytest.fixture
def scenario() -> Scenario:
    """The default scenario (the 2005 proposal as written)."""
    return Scenario()
