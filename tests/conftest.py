"""Shared test fixtures: a small place that runs in about a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.scenario import Scenario
from simulation.scenario.transform import revalidate, with_population, with_run

ROOT = Path(__file__).resolve().parent.parent


def small_scenario(size: int = 20_000, years: int = 1, warmup_years: float = 0.5, replications: int = 2,
                   seed: int = 12345, **services) -> Scenario:
    """The baseline shrunk to `size` people (capacities scaled), with a short horizon.

    Keyword arguments name service sections to update, e.g. ``reablement={"places": 0}``.
    """
    sc = with_population(Scenario(), size)
    run = sc.run.model_copy(update={"warmup_years": warmup_years})
    sc = with_run(sc.model_copy(update={"run": run}), horizon_years=years, replications=replications, seed=seed)
    if services:
        svc = sc.services.model_copy(update={k: getattr(sc.services, k).model_copy(update=v)
                                             for k, v in services.items()})
        sc = sc.model_copy(update={"services": svc})
    return revalidate(sc)


@pytest.fixture
def small():
    return small_scenario
