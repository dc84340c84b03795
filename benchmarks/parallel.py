"""Parallel throughput of careshift batches: one worker, two local workers, a two-worker Dask cluster.

    python -m benchmarks.parallel [--replications 4] [--population 250000] [--years 1] [--mode api|cli]

``--mode api`` (default) times the execution layer, ``experiment.execute``, on
the same tasks for each configuration (process-pool start-up included; the Dask
cluster is started first, as an analyst's ``--scheduler`` cluster would be,
and its start-up time is reported apart;
writing files, summaries, plots and the report excluded): runs per second,
relative to one worker. ``--mode cli`` times the whole command from outside
instead, which adds the serial start and finish of a batch. Results are
printed as one JSON line and appended to the history file. Run it on an
otherwise idle machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.history import append

ROOT = Path(__file__).resolve().parent.parent


def timed_batch(args: argparse.Namespace, extra: list[str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, str(ROOT / "run_scenarios.py"), "run", str(ROOT / "scenarios" / "baseline.yaml"),
               "--replications", str(args.replications), "--population", str(args.population),
               "--years", str(args.years), "--out", str(Path(tmp) / "b"), *extra]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"batch failed ({' '.join(extra)}):\n{proc.stderr[-2000:]}")
        return wall


STARTUP: dict[str, float] = {}


def timed_execute(args: argparse.Namespace, jobs: int, executor: str) -> float:
    sys.path.insert(0, str(ROOT))
    from simulation.experiment import execute, tasks_for
    from simulation.scenario import Scenario
    from simulation.scenario.transform import with_population, with_run

    sc = with_run(with_population(Scenario(), args.population), replications=args.replications,
                  horizon_years=args.years)
    results = []
    cluster = None
    scheduler = None
    if executor == "dask":  # a running cluster, as with --scheduler; its start-up is timed apart
        from simulation.experiment import local_dask_cluster

        t_start = time.perf_counter()
        # the worker settings careshift uses for its own local cluster and suggests for an analyst's cluster
        cluster = local_dask_cluster(jobs, worker_config=not args.plain_dask)
        STARTUP["dask_cluster_start_s"] = round(time.perf_counter() - t_start, 2)
        scheduler = cluster.scheduler_address
    try:
        t0 = time.perf_counter()
        execute([sc], tasks_for([sc]), jobs, results.append, executor, scheduler)
        wall = time.perf_counter() - t0
    finally:
        if cluster is not None:
            cluster.close()
    if not all(r.ok for r in results):
        raise SystemExit("a run failed: " + next(r.error for r in results if not r.ok))
    return wall


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--replications", type=int, default=4)
    p.add_argument("--population", type=int, default=250_000)
    p.add_argument("--years", type=int, default=1)
    p.add_argument("--mode", choices=("api", "cli"), default="api")
    p.add_argument("--repeats", type=int, default=1, help="time each configuration this many times (median)")
    p.add_argument("--plain-dask", action="store_true",
                   help="start the Dask cluster with Dask's default worker settings (profiler on) instead of "
                        "simulation.experiment.DASK_WORKER_CONFIG")
    p.add_argument("--history", default=str(ROOT / "benchmarks" / "history.jsonl"))
    args = p.parse_args(argv)
    configs = {"local_1": ["--jobs", "1"], "local_2": ["--jobs", "2"],
               "dask_2": ["--jobs", "2", "--executor", "dask"]}
    walls: dict[str, list[float]] = {k: [] for k in configs}
    api = {"local_1": (1, "local"), "local_2": (2, "local"), "dask_2": (2, "dask")}
    for _ in range(args.repeats):
        for name, extra in configs.items():  # interleaved so drift hits every configuration alike
            walls[name].append(timed_batch(args, extra) if args.mode == "cli" else timed_execute(args, *api[name]))
    med = {k: sorted(v)[len(v) // 2] for k, v in walls.items()}
    record = {
        "benchmark": "parallel",
        "mode": args.mode,
        "date": dt.date.today().isoformat(),
        "cpu_count": os.cpu_count(),
        "replications": args.replications,
        "population": args.population,
        "years": args.years,
        "wall_s": {k: round(v, 2) for k, v in med.items()},
        "speedup_local_2": round(med["local_1"] / med["local_2"], 3),
        "speedup_dask_2": round(med["local_1"] / med["dask_2"], 3),
        "dask_worker_config": "dask defaults" if args.plain_dask else "simulation.experiment.DASK_WORKER_CONFIG",
        "walls_s": {k: [round(x, 2) for x in v] for k, v in walls.items()},
        **STARTUP,
    }
    append(record, args.history)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
