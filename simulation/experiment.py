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


def run_id(scenario_sha256: str, replication: int) -> str:
    """Deterministic id of a run: the same scenario and replication always get the same id."""
    import hashlib

    return hashlib.sha256(f"{scenario_sha256}:{replication}".encode()).hexdigest()[:16]


def run_replication(scenario: Scenario, replication: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Run one replication and return its metrics table, daily census and run facts.

    The run facts include the run's invariants (conservation, Little's law:
    ``simulation.verification.run_invariants``), written to ``run.json``.
    """
    from .scenario.loader import scenario_hash
    from .verification import run_invariants

    eco = Economy(scenario, replication).run()
    metrics = run_metrics(eco)
    info = {
        "run_id": run_id(scenario_hash(scenario), replication),
        "replication": replication,
        "seed": scenario.run.seed,
        "wall_seconds": round(eco.wall_seconds, 3),
        "logical_events": eco.logical_events(),
        "people_ever": int(eco.population.n),
        "bytes_per_person": eco.population.nbytes_per_person(),
        "invariants": [c.to_dict() for c in run_invariants(eco)],
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


class ExecutorError(RuntimeError):
    """The execution backend could not start (reported as one line, exit code 1)."""


def shard(tasks: list[Task], index: int, count: int) -> list[Task]:
    """The deterministic slice `index` (1-based) of `count`: every count-th task, starting at index-1."""
    if not 1 <= index <= count:
        raise ValueError(f"shard {index}/{count}: the index must be between 1 and {count}")
    return tasks[index - 1 :: count]


def execute(
    scenarios: list[Scenario],
    tasks: Iterable[Task],
    jobs: int,
    on_result: Callable[[RunOutput], None],
    executor: str = "local",
    scheduler: str | None = None,
) -> None:
    """Run tasks and call `on_result` as each ends.

    ``executor="local"``: in this process (``jobs == 1``) or a pool of `jobs`
    worker processes. ``executor="dask"``: on the Dask cluster at `scheduler`,
    or on a local cluster of `jobs` single-threaded worker processes bound to
    127.0.0.1 when no scheduler is given. Results are the same either way.
    """
    tasks = list(tasks)
    data = [sc.model_dump() for sc in scenarios]
    if executor == "dask":
        _execute_dask(data, tasks, jobs, on_result, scheduler)
    elif jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            on_result(_execute(task, data[task.scenario_index]))
    else:
        _execute_pool(data, tasks, jobs, on_result)


def _execute_pool(data, tasks, jobs, on_result) -> None:
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)))
    try:
        pending = {pool.submit(_execute, t, data[t.scenario_index]) for t in tasks}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                on_result(fut.result())
    except BaseException:
        # Ctrl-C or a termination signal: stop the workers now, leave no orphan processes
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


#: Dask settings for the workers of a local cluster (also suggested for an analyst's own cluster in the README).
DASK_WORKER_CONFIG = {
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which makes glibc hand memory back to
    # the system at every chance: a replication's allocation pattern then runs ~8% slower. Keep the rest.
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def local_dask_cluster(workers: int, worker_config: bool = True):
    """A Dask ``LocalCluster`` of single-threaded worker processes bound to 127.0.0.1.

    With `worker_config` (the default) its workers run with :data:`DASK_WORKER_CONFIG`: each runs one
    long CPU-bound task at a time and their housekeeping shares the interpreter with it, so the
    statistical profiler (every thread's stack sampled every 10 ms) is off and the monitors are slower.
    The nanny hands this configuration (and the environment in it) to each worker it starts.
    """
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set(DASK_WORKER_CONFIG if worker_config else {}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address=None)


def _execute_dask(data, tasks, jobs, on_result, scheduler) -> None:
    try:
        from dask.distributed import Client, as_completed
    except ImportError as err:  # pragma: no cover - depends on the optional extra
        raise RuntimeError("the dask executor needs the optional dependency: pip install -e '.[dask]'") from err
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="30s")
        else:
            cluster = local_dask_cluster(jobs)
            client = Client(cluster)
    except Exception as err:  # noqa: BLE001 - reported to the user as one line
        where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
        raise ExecutorError(f"could not start {where}: {type(err).__name__}: {err}") from err
    try:
        scattered = client.scatter(data, broadcast=True)
        # Keep one task in flight per worker thread: Dask's scheduler does not know a replication takes
        # tens of seconds and would otherwise queue several on one worker while another sits idle.
        slots = max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
        queue = list(tasks)
        running = as_completed([client.submit(_execute, t, scattered[t.scenario_index], pure=False)
                                for t in queue[:slots]])
        queue = queue[slots:]
        for fut in running:
            on_result(fut.result())
            if queue:
                t = queue.pop(0)
                running.add(client.submit(_execute, t, scattered[t.scenario_index], pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
