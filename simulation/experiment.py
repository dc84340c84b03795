"""Scenarios x replications: run each (scenario, replication) as an independent task.

A task is fully described by the resolved scenario and the replication index:
the random streams are derived from ``run.seed`` and the index alone, so a run
gives the same numbers alone or in a batch, in any order, on any number of
workers. Workers return small tables (metrics and the daily census) and never
write files; the parent writes each run as it arrives.
"""

from __future__ import annotations

import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, Iterable

import pandas as pd

from .economy import Economy
from .metrics import daily_table, run_metrics
from .scenario.schema import Scenario


@dataclass(frozen=True)
class Task:
    """One replication of one scenario."""

    scenario_index: int
    scenario_name: str
    replication: int


@dataclass
class RunOutput:
    """What one replication returns to the parent."""

    task: Task
    metrics: pd.DataFrame | None = None
    daily: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_replication(scenario: Scenario, replication: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Run one replication and return its metrics table, daily census and run facts."""
    eco = Economy(scenario, replication).run()
    metrics = run_metrics(eco)
    info = {
        "replication": replication,
        "seed": scenario.run.seed,
        "wall_seconds": round(eco.wall_seconds, 3),
        "logical_events": eco.logical_events(),
        "people_ever": int(eco.population.n),
        "bytes_per_person": eco.population.nbytes_per_person(),
    }
    return metrics, daily_table(eco), info


def _execute(task: Task, scenario_data: dict) -> RunOutput:
    """Worker entry point: never raises; a failure comes back with its traceback."""
    try:
        scenario = Scenario.model_validate(scenario_data)
        metrics, daily, info = run_replication(scenario, task.replication)
        return RunOutput(task, metrics, daily, info)
    except Exception:  # noqa: BLE001 - a failing run is recorded and the batch goes on
        return RunOutput(task, error=traceback.format_exc())


def tasks_for(scenarios: list[Scenario], done: set[tuple[str, int]] | None = None) -> list[Task]:
    """Every (scenario, replication) task in a fixed order, minus those already done."""
    done = done or set()
    out = []
    for i, sc in enumerate(scenarios):
        for rep in range(sc.run.replications):
            if (sc.name, rep) not in done:
                out.append(Task(i, sc.name, rep))
    return out


def execute(
    scenarios: list[Scenario],
    tasks: Iterable[Task],
    jobs: int,
    on_result: Callable[[RunOutput], None],
) -> None:
    """Run tasks locally, in this process (``jobs == 1``) or a process pool, calling `on_result` as each ends."""
    tasks = list(tasks)
    data = [sc.model_dump() for sc in scenarios]
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            on_result(_execute(task, data[task.scenario_index]))
        return
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        pending = {pool.submit(_execute, t, data[t.scenario_index]) for t in tasks}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    on_result(fut.result())
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
