"""Time one replication of the default careshift baseline in this process.

Usage::

    python -m benchmarks.baseline [--population 250000] [--years 5]
        [--warmup-years 1] [--profile FILE]

Loads ``scenarios/baseline.yaml`` (250,000 people, 1 warm-up year + 5
reported years by default), sets one replication, and times
``simulation.experiment.run_replication`` (building the economy, running it,
and computing its metrics table), as one replication of ``python
run_scenarios.py`` does in a worker. Prints one JSON line: ``wall_s`` (the
whole replication), ``cpu_s`` (its CPU time), ``run_s`` (``Economy.run`` alone, its own clock),
``logical_events`` (careshift's count, ``Economy.logical_events``: crises,
service starts, slot uses and deaths), the population, years and peak RSS.

``--profile FILE`` writes a cProfile of the replication to FILE (slower; for
finding where the time goes, not for timing). ``python -m benchmarks.runner
--baseline`` runs this in a fresh process between two heapq runs of HCE-ref
and reports the ratio of the walls.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def baseline_scenario(population: int | None, years: int | None, warmup_years: float | None):
    """The default baseline with one replication, optionally resized or shortened."""
    from simulation.scenario.loader import load_scenario
    from simulation.scenario.transform import revalidate, with_population, with_run

    scenario = load_scenario(BASELINE)
    if population is not None and population != scenario.population.size:
        scenario = with_population(scenario, population)
    if warmup_years is not None:
        run = scenario.run.model_copy(update={"warmup_years": warmup_years})
        scenario = scenario.model_copy(update={"run": run})
    return revalidate(with_run(scenario, replications=1, horizon_years=years))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: time one replication and print one JSON line."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.baseline",
                                description=__doc__.splitlines()[0])
    p.add_argument("--population", type=int, default=None, help="people (default: the baseline's)")
    p.add_argument("--years", type=int, default=None, help="reported years (default: the baseline's)")
    p.add_argument("--warmup-years", type=float, default=None,
                   help="warm-up years (default: the baseline's)")
    p.add_argument("--profile", type=Path, default=None, help="write a cProfile of the run here")
    args = p.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from simulation.experiment import run_replication

    scenario = baseline_scenario(args.population, args.years, args.warmup_years)
    profiler = None
    if args.profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0, c0 = time.perf_counter(), time.process_time()
    _metrics, _daily, info = run_replication(scenario, 0)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(args.profile))
    from benchmarks.hce_ref import peak_rss_mb

    print(json.dumps({
        "benchmark": "baseline_replication",
        "population": scenario.population.size,
        "warmup_years": scenario.run.warmup_years,
        "years": scenario.run.horizon_years,
        "wall_s": wall,
        "cpu_s": cpu,
        "run_s": info["wall_seconds"],
        "logical_events": info["logical_events"],
        "peak_rss_mb": peak_rss_mb(),
        "profiled": profiler is not None,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
