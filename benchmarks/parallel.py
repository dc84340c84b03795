"""Parallel throughput of careshift batches: one worker, two local workers, a two-worker Dask cluster.

    python -m benchmarks.parallel [--replications 4] [--population 100000] [--years 2] [--history FILE]

Each configuration runs the same batch (the baseline, R replications) in a
fresh process through the real command line, timed from outside; the
speed-up is runs per second relative to one worker. Results are printed as one
JSON line and appended to the history file. Run it on an otherwise idle
machine: the figure measures how well the work spreads over the cores.
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--replications", type=int, default=4)
    p.add_argument("--population", type=int, default=100_000)
    p.add_argument("--years", type=int, default=2)
    p.add_argument("--repeats", type=int, default=1, help="time each configuration this many times (median)")
    p.add_argument("--history", default=str(ROOT / "benchmarks" / "history.jsonl"))
    args = p.parse_args(argv)
    configs = {"local_1": ["--jobs", "1"], "local_2": ["--jobs", "2"],
               "dask_2": ["--jobs", "2", "--executor", "dask"]}
    walls: dict[str, list[float]] = {k: [] for k in configs}
    for _ in range(args.repeats):
        for name, extra in configs.items():  # interleaved so drift hits every configuration alike
            walls[name].append(timed_batch(args, extra))
    med = {k: sorted(v)[len(v) // 2] for k, v in walls.items()}
    record = {
        "benchmark": "parallel",
        "date": dt.date.today().isoformat(),
        "cpu_count": os.cpu_count(),
        "replications": args.replications,
        "population": args.population,
        "years": args.years,
        "wall_s": {k: round(v, 2) for k, v in med.items()},
        "speedup_local_2": round(med["local_1"] / med["local_2"], 3),
        "speedup_dask_2": round(med["local_1"] / med["dask_2"], 3),
    }
    append(record, args.history)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
