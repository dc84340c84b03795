"""Run one HCE-ref v1 replication on one engine and print one JSON line.

Usage::

    python -m benchmarks.hce_ref --engine careshift|heapq|simpy \
        --years Y --seed S [--scale X]

The line holds ``engine, years, seed, scale, wall_s, events, events_per_s,
cpu_s, events_per_cpu_s, peak_rss_mb``, the engine's ``native_events`` (its
own event count, or null) and ``metrics`` (the output metrics, keys of
:data:`benchmarks.workload.METRIC_KEYS`). ``wall_s`` times only the engine's
``run()`` call; an optional module-level ``warm()`` (e.g. a JIT compile) runs
before the clock starts.

Engine contract: a module with ``run(years: float, seed: int, scale: float =
1.0) -> (stats, extra)``, where ``stats`` has ``logical_events() -> int`` and
``summary() -> dict`` (normally a :class:`benchmarks.workload.Stats`) and
``extra`` is a dict, optionally with ``"native_events"``.

Exit status: 0 on success; 2 if the engine cannot be imported (one line on
stderr, no traceback) or the arguments are wrong; 3 if the engine breaks the
contract.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import sys
import time
from types import ModuleType

from benchmarks.workload import METRIC_KEYS, WARMUP_D, YEAR_D

ENGINES = {
    "careshift": "benchmarks.engine_careshift",
    "heapq": "benchmarks.engine_heapq",
    "simpy": "benchmarks.engine_simpy",
}

EXIT_UNAVAILABLE = 2
EXIT_CONTRACT = 3


class EngineUnavailable(Exception):
    """The engine's module could not be imported or has no ``run``."""


class ContractError(Exception):
    """The engine's result does not follow the engine contract."""


def load_engine(name: str) -> ModuleType:
    """Import the module of engine `name`.

    Parameters
    ----------
    name : str
        A key of :data:`ENGINES`.

    Returns
    -------
    module
        The engine module, which has a callable ``run``.

    Raises
    ------
    EngineUnavailable
        If the import fails for any reason, or the module has no ``run``.
    """
    module_name = ENGINES[name]
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any failure means "cannot run this engine"
        raise EngineUnavailable(
            f"engine {name!r} unavailable: importing {module_name} failed "
            f"({type(exc).__name__}: {exc})") from None
    if not callable(getattr(module, "run", None)):
        raise EngineUnavailable(
            f"engine {name!r} unavailable: {module_name} has no run(years, seed, scale)")
    return module


def peak_rss_mb() -> float | None:
    """Peak resident set size of this process, MiB (None where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def measure(name: str, years: float, seed: int, scale: float) -> dict:
    """Run engine `name` once and build the result record.

    Parameters
    ----------
    name : str
        A key of :data:`ENGINES`.
    years : float
        Simulated horizon, years of 365 days.
    seed : int
        Random seed.
    scale : float
        Population multiplier.

    Returns
    -------
    dict
        The record printed by :func:`main` (see the module docstring);
        ``wall_s`` in seconds, ``events_per_s`` in logical events per
        wall-clock second, ``cpu_s`` and ``events_per_cpu_s`` the same in
        process CPU time (less sensitive to other jobs on the machine),
        ``peak_rss_mb`` in MiB.

    Raises
    ------
    EngineUnavailable
        If the engine cannot be imported.
    ContractError
        If the engine's result breaks the contract.
    """
    engine = load_engine(name)
    warm = getattr(engine, "warm", None)
    if callable(warm):
        warm()
    gc.collect()
    c0 = time.process_time()
    t0 = time.perf_counter()
    stats, extra = engine.run(years, seed, scale)
    wall_s = time.perf_counter() - t0
    cpu_s = time.process_time() - c0
    events = stats.logical_events()
    metrics = stats.summary()
    if not isinstance(events, int) or set(metrics) != set(METRIC_KEYS):
        raise ContractError(
            f"engine {name!r} broke the contract: logical_events() must be an int "
            f"and summary() must have exactly the keys {list(METRIC_KEYS)}")
    return {
        "engine": name,
        "years": years,
        "seed": seed,
        "scale": scale,
        "wall_s": wall_s,
        "events": events,
        "events_per_s": events / wall_s,
        "cpu_s": cpu_s,
        "events_per_cpu_s": events / cpu_s if cpu_s > 0 else None,
        "peak_rss_mb": peak_rss_mb(),
        "native_events": (extra or {}).get("native_events"),
        "metrics": {key: metrics[key] for key in METRIC_KEYS},
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.hce_ref",
        description="Run one HCE-ref v1 replication on one engine; print one JSON line.")
    parser.add_argument("--engine", required=True, choices=sorted(ENGINES))
    parser.add_argument("--years", type=float, required=True,
                        help="simulated years of 365 days (more than the 90-day warm-up)")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="population multiplier (default 1)")
    args = parser.parse_args(argv)
    if not args.years * YEAR_D > WARMUP_D:
        parser.error(f"--years must exceed the warm-up ({WARMUP_D:g} days)")
    if not args.scale > 0.0:
        parser.error("--scale must be above 0")
    return args


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    try:
        record = measure(args.engine, args.years, args.seed, args.scale)
    except EngineUnavailable as exc:
        print(f"hce_ref: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except ContractError as exc:
        print(f"hce_ref: {exc}", file=sys.stderr)
        return EXIT_CONTRACT
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
