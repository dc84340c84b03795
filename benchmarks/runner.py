"""Compare engines on HCE-ref v1: interleaved runs, medians, ratios, history.

Usage::

    python -m benchmarks.runner [--engines careshift,heapq,simpy] [--years 5]
        [--seeds 3] [--scales [0.2,0.4,1,2,4]] [--agreement [20]] [--baseline]
        [--history benchmarks/history.jsonl] [--no-history] [--quick] [--all]

Each run is a fresh ``python -m benchmarks.hce_ref`` subprocess, so engines
never share a heap, caches or import state. Runs are interleaved (for each
seed, every engine, the engine order rotating from seed to seed) so that a
drift in machine speed hits every engine alike. The table gives per-engine
medians; the headline figures are the ratios of median logical events/s,
careshift/heapq and careshift/simpy, because wall seconds drift by about
+-15 % on shared machines while ratios of engines run side by side hold.

``--scales`` (alone: the spec's 0.2,0.4,1,2,4) adds the scaling series:
events/s of careshift and heapq at each scale, over the same seeds, and each
engine's events/s at the largest scale relative to scale 1 (target for
careshift: 0.9 or more at 4x). ``--agreement`` (alone: 20 seeds) compares
careshift and heapq metric by metric over that many seeds with a two-sample
z (:mod:`benchmarks.agreement`; |z| < 3 required), reusing the seeds already
run. ``--baseline`` times one replication of the default careshift baseline
(250,000 people, 1 warm-up + 5 years; :mod:`benchmarks.baseline`) in a fresh
process between two 5-year heapq runs of HCE-ref and reports the ratio of
the walls (target: 3 or less); ``--baseline-repeats N`` alternates N
baseline replications with heapq runs and reports the median ratio. ``--all`` is everything at the spec's
settings: 5 years x 3 seeds, the scaling series, agreement over 20 seeds and
the baseline (about 15 minutes on 2 cores).

Every invocation appends one JSON record to the history file
(``--no-history`` to skip). ``--quick`` is a smoke check: 1 year, 1 seed
(scales become 1, agreement 2 seeds, the baseline is not run). An engine
that fails is reported and skipped, never fatal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from benchmarks.hce_ref import ENGINES
from benchmarks.workload import SPEC

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HISTORY = Path("benchmarks") / "history.jsonl"
SPEC_SCALES = (0.2, 0.4, 1.0, 2.0, 4.0)
SCALING_ENGINES = ("careshift", "heapq")
RATIOS = (("careshift", "heapq"), ("careshift", "simpy"))
PACKAGES = ("careshift", "simpy", "numpy")


def run_once(engine: str, years: float, seed: int, scale: float) -> dict:
    """Run one replication in a fresh interpreter.

    Parameters
    ----------
    engine : str
        Engine name understood by :mod:`benchmarks.hce_ref`.
    years : float
        Simulated years.
    seed : int
        Random seed.
    scale : float
        Population multiplier.

    Returns
    -------
    dict
        The JSON record of :mod:`benchmarks.hce_ref`, or ``{"error": str}``
        with the last line of the subprocess's stderr when it failed.
    """
    cmd = [sys.executable, "-m", "benchmarks.hce_ref", "--engine", engine,
           "--years", repr(years), "--seed", str(seed), "--scale", repr(scale)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return {"error": f"exit {proc.returncode}: {lines[-1] if lines else 'no message'}"}
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": "no JSON line on stdout"}


def interleaved(engines: list[str], seeds: list[int], years: float, scale: float,
                failed: dict[str, str]) -> dict[str, list[dict]]:
    """Run every engine on every seed, interleaved; skip engines once they fail.

    Parameters
    ----------
    engines : list of str
        Engine names.
    seeds : list of int
        Seeds; for the i-th seed the engine order is rotated by i.
    years : float
        Simulated years.
    scale : float
        Population multiplier.
    failed : dict of str to str
        Engines already known to fail, with the reason; updated in place.

    Returns
    -------
    dict of str to list of dict
        Successful run records per engine (engines that never ran are absent).
    """
    runs: dict[str, list[dict]] = {}
    for i, seed in enumerate(seeds):
        k = i % len(engines)
        for engine in engines[k:] + engines[:k]:
            if engine in failed:
                continue
            record = run_once(engine, years, seed, scale)
            if "error" in record:
                failed[engine] = record["error"]
                print(f"  {engine:<10} seed {seed}: FAILED, skipping it ({record['error']})",
                      file=sys.stderr)
                continue
            print(f"  {engine:<10} seed {seed} scale {scale:g}: "
                  f"{record['events_per_s']:,.0f} events/s", file=sys.stderr)
            runs.setdefault(engine, []).append(record)
    return runs


def medians(runs: dict[str, list[dict]]) -> dict[str, dict]:
    """Median wall seconds, events, events/s and peak RSS (MiB) per engine.

    A key whose values are all missing (peak RSS where unknown) is left out.
    """
    out = {}
    for engine, records in runs.items():
        out[engine] = {"runs": len(records)}
        for key in ("wall_s", "events", "events_per_s", "cpu_s", "events_per_cpu_s",
                    "peak_rss_mb"):
            values = [r[key] for r in records if r.get(key) is not None]
            if values:
                out[engine][key] = statistics.median(values)
    return out


def ratios(med: dict[str, dict], key: str = "events_per_s") -> dict[str, float | None]:
    """Ratios of median events/s (or of another median `key`, e.g.
    ``events_per_cpu_s``), keyed ``"careshift/heapq"``; None if one is missing."""
    return {f"{num}/{den}": (med[num][key] / med[den][key]
                             if key in med.get(num, {}) and key in med.get(den, {}) else None)
            for num, den in RATIOS}


def scaling_ratios(scaling: dict[str, dict[str, float]]) -> dict[str, float]:
    """Per engine: events/s at the largest scale run relative to scale 1
    (``{"careshift": 0.95}``); engines without both are left out."""
    out = {}
    for engine, by_scale in scaling.items():
        largest = max(by_scale, key=float)
        if "1" in by_scale and largest != "1":
            out[engine] = by_scale[largest] / by_scale["1"]
    return out


def baseline_timing(heapq_years: float = 5.0, repeats: int = 1) -> dict:
    """Time replications of the default baseline, each bracketed by heapq runs.

    Runs ``python -m benchmarks.baseline`` (250,000 people, 1 warm-up + 5
    years, one replication) `repeats` times in fresh processes, alternating
    with HCE-ref heapq runs of `heapq_years` at scale 1 (heapq, baseline,
    heapq, baseline, ..., heapq; seeds 1, 2, ...), so that a drift in machine
    speed hits both sides. Each baseline is compared with the mean of the two
    heapq runs beside it; the ratio reported is the median over repeats.

    Returns
    -------
    dict
        ``baseline`` (the JSON record of the baseline run with the median
        ratio), ``baselines`` (every record), ``heapq_walls_s``,
        ``heapq_wall_s`` (the mean of the pair beside the median run),
        ``ratios`` (baseline wall over heapq wall, per repeat), ``ratio``
        (their median), ``ratios_cpu`` and ``ratio_cpu`` (the same for CPU
        time), or ``{"error": str}``.
    """
    walls, cpus, records = [], [], []

    def heapq_run() -> str | None:
        run = run_once("heapq", heapq_years, len(walls) + 1, 1.0)
        if "error" in run:
            return f"heapq: {run['error']}"
        walls.append(run["wall_s"])
        cpus.append(run.get("cpu_s", run["wall_s"]))
        print(f"  heapq      {heapq_years:g} years: {run['wall_s']:.2f} s", file=sys.stderr)
        return None

    error = heapq_run()
    for _ in range(max(1, repeats)):
        if error:
            return {"error": error}
        proc = subprocess.run([sys.executable, "-m", "benchmarks.baseline"], cwd=ROOT,
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            lines = proc.stderr.strip().splitlines()
            return {"error": f"baseline exit {proc.returncode}: "
                             f"{lines[-1] if lines else 'no message'}"}
        records.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"  baseline   one replication: {records[-1]['wall_s']:.2f} s", file=sys.stderr)
        error = heapq_run()
    if error:
        return {"error": error}
    beside = [statistics.fmean(walls[i:i + 2]) for i in range(len(records))]
    ratios = [r["wall_s"] / h for r, h in zip(records, beside)]
    ratios_cpu = [r["cpu_s"] / statistics.fmean(cpus[i:i + 2]) for i, r in enumerate(records) if "cpu_s" in r]
    middle = sorted(range(len(ratios)), key=ratios.__getitem__)[(len(ratios) - 1) // 2]
    return {"baseline": records[middle], "baselines": records, "heapq_years": heapq_years,
            "heapq_wall_s": beside[middle], "heapq_walls_s": walls, "ratios": ratios,
            "ratio": statistics.median(ratios), "ratios_cpu": ratios_cpu,
            "ratio_cpu": statistics.median(ratios_cpu) if ratios_cpu else None}


def check_same_trajectory(runs: dict[str, list[dict]]) -> list[str]:
    """Seeds on which heapq and simpy disagree (they must be identical)."""
    by_seed = {e: {r["seed"]: r for r in runs.get(e, [])} for e in ("heapq", "simpy")}
    return [f"seed {s}: heapq and simpy differ"
            for s in sorted(by_seed["heapq"].keys() & by_seed["simpy"].keys())
            if by_seed["heapq"][s]["metrics"] != by_seed["simpy"][s]["metrics"]
            or by_seed["heapq"][s]["events"] != by_seed["simpy"][s]["events"]]


def print_table(med: dict[str, dict], rat: dict[str, float | None],
                failed: dict[str, str], engines: list[str],
                rat_cpu: dict[str, float | None] | None = None) -> None:
    """Print the medians table and the headline ratios to stdout."""
    heapq_rate = med.get("heapq", {}).get("events_per_s")
    print(f"{'engine':<10} {'runs':>4} {'wall s':>9} {'events':>11} "
          f"{'events/s':>11} {'ev/CPU-s':>11} {'peak MiB':>9} {'x heapq':>8}")
    for engine in engines:
        if engine not in med:
            print(f"{engine:<10} skipped: {failed.get(engine, 'no run')}")
            continue
        m = med[engine]
        vs = f"{m['events_per_s'] / heapq_rate:8.3f}" if heapq_rate else f"{'-':>8}"
        rss = f"{m['peak_rss_mb']:9.1f}" if "peak_rss_mb" in m else f"{'-':>9}"
        cpu = f"{m['events_per_cpu_s']:>11,.0f}" if "events_per_cpu_s" in m else f"{'-':>11}"
        print(f"{engine:<10} {m['runs']:>4} {m['wall_s']:9.2f} {m['events']:>11,.0f} "
              f"{m['events_per_s']:>11,.0f} {cpu} {rss} {vs}")
    for name, value in rat.items():
        shown = f"{value:.3f}" if value is not None else "n/a (an engine is missing)"
        cpu = (rat_cpu or {}).get(name)
        also = f" (of events per CPU-second: {cpu:.3f})" if cpu is not None else ""
        print(f"ratio {name} of events/s: {shown}{also}")


def git_state() -> dict[str, object]:
    """Commit of the checkout and whether it has uncommitted changes (read-only)."""
    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True,
                                  text=True, check=False)
        except OSError:
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("--no-optional-locks", "status", "--porcelain")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def versions() -> dict[str, str | None]:
    """Versions of Python and of the packages that matter to the timings."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def compiled_modules() -> dict[str, str]:
    """Whether careshift's engine and pools ran compiled (the child processes decide as this one does)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from simulation import _compiled

    return dict(_compiled.STATUS)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.runner",
        description="Compare engines on HCE-ref v1 (ratios of logical events/s).")
    parser.add_argument("--engines", default="careshift,heapq,simpy",
                        help="comma-separated engines (default careshift,heapq,simpy)")
    parser.add_argument("--years", type=float, default=5.0,
                        help="simulated years per run (default 5)")
    parser.add_argument("--seeds", type=int, default=3,
                        help="number of seeds, 1..N (default 3)")
    parser.add_argument("--scales", nargs="?", const=",".join(f"{s:g}" for s in SPEC_SCALES),
                        default=None,
                        help="run the scaling series at these scales "
                             "(alone: the spec's 0.2,0.4,1,2,4)")
    parser.add_argument("--agreement", nargs="?", type=int, const=20, default=None,
                        metavar="N",
                        help="compare careshift and heapq over N seeds (alone: 20) with a "
                             "two-sample z per metric")
    parser.add_argument("--baseline-repeats", type=int, default=1, metavar="N",
                        help="with --baseline: N baseline replications, each between heapq runs; "
                             "the ratio is their median (default 1)")
    parser.add_argument("--baseline", action="store_true",
                        help="time one replication of the default baseline (250,000 people, "
                             "1 warm-up + 5 years) against 5-year heapq runs")
    parser.add_argument("--all", action="store_true",
                        help="everything at the spec's settings: 5 years x 3 seeds, "
                             "--scales, --agreement 20, --baseline")
    parser.add_argument("--history", type=Path, default=None,
                        help="JSON-lines file to append to (default benchmarks/history.jsonl)")
    parser.add_argument("--no-history", action="store_true",
                        help="do not append to the history file")
    parser.add_argument("--quick", action="store_true",
                        help="smoke check: 1 year, 1 seed, scale 1")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    try:
        args.scales = ([float(s) for s in args.scales.split(",") if s.strip()]
                       if args.scales is not None else [])
    except ValueError:
        parser.error(f"--scales: not a list of numbers: {args.scales!r}")
    if args.all:
        args.years, args.seeds = 5.0, 3
        args.scales = list(SPEC_SCALES)
        args.agreement, args.baseline = 20, True
    if args.quick:
        args.years, args.seeds = 1.0, 1
        args.scales = [1.0] if args.scales else []
        args.agreement = 2 if args.agreement is not None else None
        args.baseline = False
    if args.agreement is not None and args.agreement < 2:
        parser.error("--agreement needs at least 2 seeds")
    unknown = [e for e in args.engines if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(ENGINES)}")
    if args.seeds < 1 or not args.engines:
        parser.error("need at least one seed and one engine")
    return args


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (1 if no engine ran)."""
    args = parse_args(argv)
    seeds = list(range(1, args.seeds + 1))
    failed: dict[str, str] = {}

    print(f"{SPEC}: {', '.join(args.engines)}; {args.years:g} years, seeds "
          f"{seeds}, scale 1", file=sys.stderr)
    runs = interleaved(args.engines, seeds, args.years, 1.0, failed)
    med = medians(runs)
    rat = ratios(med)
    rat_cpu = ratios(med, "events_per_cpu_s")
    print(f"\n{SPEC}, {args.years:g} simulated years, medians over seeds {seeds}, scale 1")
    print_table(med, rat, failed, args.engines, rat_cpu)
    mismatches = check_same_trajectory(runs)
    for line in mismatches:
        print(f"WARNING: {line} (same seed must give the same trajectory)")

    scaling: dict[str, dict[str, float]] = {}
    scaling_cpu: dict[str, dict[str, float]] = {}
    if args.scales:
        engines = [e for e in SCALING_ENGINES if e in args.engines and e not in failed]
        print(f"\nscaling series: median events/s of {', '.join(engines) or 'no engine'} by scale")
        for scale in args.scales:
            series = interleaved(engines, seeds, args.years, scale, failed)
            for engine, med_s in medians(series).items():
                scaling.setdefault(engine, {})[f"{scale:g}"] = med_s["events_per_s"]
                if "events_per_cpu_s" in med_s:
                    scaling_cpu.setdefault(engine, {})[f"{scale:g}"] = med_s["events_per_cpu_s"]
        for engine, by_scale in scaling.items():
            cells = "  ".join(f"{s}: {v:,.0f}" for s, v in by_scale.items())
            print(f"{engine:<10} {cells}")
        by_cpu = scaling_ratios(scaling_cpu)
        for engine, value in scaling_ratios(scaling).items():
            largest = max(scaling[engine], key=float)
            also = (f" (per CPU-second: {by_cpu[engine]:.3f})" if engine in by_cpu else "")
            print(f"{engine:<10} events/s at {largest}x relative to 1x: {value:.3f}{also}"
                  + (" (target >= 0.9)" if engine == "careshift" else ""))

    agreement = None
    if args.agreement is not None:
        from benchmarks.agreement import run_agreement

        pair = ("careshift", "heapq")
        have = {e: {r["seed"]: r for r in runs.get(e, [])} for e in pair}
        print(f"\nagreement: careshift and heapq over {args.agreement} seeds", file=sys.stderr)
        agreement = run_agreement(pair, list(range(1, args.agreement + 1)), args.years, 1.0,
                                  have=have)

    baseline = None
    if args.baseline:
        print("\nbaseline: one replication of the default place, bracketed by heapq runs",
              file=sys.stderr)
        baseline = baseline_timing(5.0, args.baseline_repeats)
        if "error" in baseline:
            print(f"\nbaseline: FAILED ({baseline['error']})")
        else:
            b = baseline["baseline"]
            print(f"\nbaseline replication ({b['population']:,} people, "
                  f"{b['warmup_years']:g} warm-up + {b['years']} years): {b['wall_s']:.1f} s "
                  f"({b['logical_events']:,} careshift logical events)")
            print(f"heapq HCE-ref 5 years: {baseline['heapq_wall_s']:.2f} s; "
                  f"baseline 5-year wall / heapq 5-year wall: {baseline['ratio']:.2f} "
                  f"(target <= 3)")
            if len(baseline["ratios"]) > 1:
                print("  per repeat: " + ", ".join(f"{r:.2f}" for r in baseline["ratios"])
                      + f" (median {baseline['ratio']:.2f})")
            if baseline["ratio_cpu"] is not None:
                print(f"  the same in CPU time: {baseline['ratio_cpu']:.2f} "
                      f"({', '.join(f'{r:.2f}' for r in baseline['ratios_cpu'])})")

    if not args.no_history:
        history = args.history if args.history is not None else ROOT / DEFAULT_HISTORY
        record = {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "spec": SPEC,
            **git_state(),
            "versions": versions(),
            "compiled_modules": compiled_modules(),
            "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                        "processor": platform.processor() or platform.machine()},
            "quick": args.quick,
            "years": args.years,
            "seeds": seeds,
            "medians": med,
            "ratios": rat,
            "ratios_cpu": rat_cpu,
            "scaling_events_per_s": scaling,
            "scaling_largest_vs_1x": scaling_ratios(scaling),
            "scaling_events_per_cpu_s": scaling_cpu,
            "scaling_largest_vs_1x_cpu": scaling_ratios(scaling_cpu),
            "agreement": agreement,
            "baseline": baseline,
            "failed": failed,
            "trajectory_mismatches": mismatches,
        }
        history.parent.mkdir(parents=True, exist_ok=True)
        with history.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
        print(f"\nappended to {history}", file=sys.stderr)
    return 0 if med else 1


if __name__ == "__main__":
    raise SystemExit(main())
