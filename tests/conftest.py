"""Shared test fixtures: a small place that runs in about a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.scenario import Scenario
from simulation.verification import small_place

ROOT = Path(__file__).resolve().parent.parent


def small_scenario(size: int = 20_000, years: int = 1, warmup_years: float = 0.5, replications: int = 2,
                   seed: int = 12345, **services) -> Scenario:
    """The baseline shrunk to `size` people (capacities scaled), with a short horizon.

    Keyword arguments name service sections to update, e.g. ``reablement={"places": 0}``.
    (``simulation.verification.small_place``, which the named validation cases use.)
    """
    return small_place(size, years, warmup_years, replications, seed, **services)


@pytest.fixture
def small():
    return small_scenario
