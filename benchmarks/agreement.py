"""Statistical agreement of two engines on HCE-ref v1 over many seeds.

Usage::

    python -m benchmarks.agreement [--seeds 20] [--first-seed 1] [--years 5]
        [--scale 1] [--engines careshift,heapq] [--jobs 1] [--no-history]

Each engine runs once per seed (``--first-seed`` and the N-1 after it, by
default 1..N) in a fresh ``python -m
benchmarks.hce_ref`` subprocess. For every output metric (the keys of
:data:`benchmarks.workload.METRIC_KEYS`, plus logical events per simulated
year) the table gives each engine's mean and standard deviation over seeds
and a two-sample z,

    z = (mean_a - mean_b) / sqrt(sd_a**2 / n_a + sd_b**2 / n_b),

which is about standard normal when both engines simulate the same system.
The careshift engine draws from its own numpy streams, so it cannot match
the heapq engine bit for bit; agreement is |z| < 3 on every metric (exit
status 1 otherwise; with fewer than 10 seeds a side the table is printed
without a verdict). A record is appended to ``benchmarks/history.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.workload import METRIC_KEYS, SPEC, WARMUP_D, YEAR_D

#: The |z| every metric must stay under.
Z_LIMIT = 3.0
#: Fewer seeds a side than this give a table but no verdict (smoke runs).
MIN_SEEDS = 10
#: Rows of the table: the output metrics, then logical events per simulated year.
KEYS = METRIC_KEYS + ("events_per_year",)
ROOT = Path(__file__).resolve().parent.parent


def metrics_of(record: dict) -> dict[str, float]:
    """The compared quantities of one ``hce_ref`` record (metrics and events a year)."""
    return {**record["metrics"], "events_per_year": record["events"] / record["years"]}


def compare(a: list[dict], b: list[dict], keys: tuple[str, ...] = KEYS) -> list[dict]:
    """Two-sample z of each key between the runs of two engines.

    Parameters
    ----------
    a, b : list of dict
        One dict of metric values per run (seed) of engine a and engine b;
        at least two runs each.
    keys : tuple of str
        The metrics to compare.

    Returns
    -------
    list of dict
        Per key: ``metric``, ``mean_a``, ``sd_a``, ``mean_b``, ``sd_b``,
        ``diff_pct`` (a against b, % of b's mean) and ``z`` (0 when both
        standard deviations are 0 and the means are equal, +-inf when only
        the means differ).
    """
    if len(a) < 2 or len(b) < 2:
        raise ValueError("need at least two runs of each engine")
    rows = []
    for key in keys:
        xa, xb = [r[key] for r in a], [r[key] for r in b]
        ma, mb = statistics.fmean(xa), statistics.fmean(xb)
        sa, sb = statistics.stdev(xa), statistics.stdev(xb)
        se = math.sqrt(sa * sa / len(xa) + sb * sb / len(xb))
        diff = ma - mb
        z = diff / se if se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
        rows.append({"metric": key, "mean_a": ma, "sd_a": sa, "mean_b": mb, "sd_b": sb,
                     "diff_pct": 100.0 * diff / mb if mb else math.nan, "z": z})
    return rows


def print_table(rows: list[dict], names: tuple[str, str], n: tuple[int, int]) -> None:
    """Print the agreement table and its verdict to stdout."""
    a, b = names
    print(f"{'metric':<22} {a + ' mean':>15} {'sd':>10} {b + ' mean':>15} {'sd':>10} "
          f"{'diff %':>7} {'z':>6}")
    for r in rows:
        print(f"{r['metric']:<22} {r['mean_a']:>15.5g} {r['sd_a']:>10.3g} {r['mean_b']:>15.5g} "
              f"{r['sd_b']:>10.3g} {r['diff_pct']:>7.2f} {r['z']:>6.2f}")
    worst = max(rows, key=lambda r: abs(r["z"]))
    if min(n) < MIN_SEEDS:
        verdict = f"no verdict on fewer than {MIN_SEEDS} seeds a side"
    else:
        verdict = "agree" if abs(worst["z"]) < Z_LIMIT else "DISAGREE"
    print(f"{a} vs {b} over {n[0]} and {n[1]} seeds: max |z| = {abs(worst['z']):.2f} "
          f"({worst['metric']}); {verdict} (|z| < {Z_LIMIT:g} required)")


def summary(rows: list[dict]) -> dict:
    """The record kept in the history: max |z|, its metric, and z per metric."""
    worst = max(rows, key=lambda r: abs(r["z"]))
    return {"max_abs_z": abs(worst["z"]), "worst_metric": worst["metric"],
            "z": {r["metric"]: r["z"] for r in rows},
            "diff_pct": {r["metric"]: r["diff_pct"] for r in rows},
            "agree": abs(worst["z"]) < Z_LIMIT}


def collect(engines: tuple[str, str], seeds: list[int], years: float, scale: float,
            jobs: int = 1, have: dict[str, dict[int, dict]] | None = None
            ) -> dict[str, dict[int, dict]]:
    """Run both engines on every seed (fresh subprocesses), reusing runs in `have`.

    Returns the ``hce_ref`` records by engine and seed; a failed run is
    reported on stderr and left out.
    """
    from benchmarks.runner import run_once  # the runner imports this module

    out = {e: dict((have or {}).get(e, {})) for e in engines}
    todo = [(e, s) for s in seeds for e in engines if s not in out[e]]

    def one(job: tuple[str, int]) -> tuple[str, int, dict]:
        engine, seed = job
        return engine, seed, run_once(engine, years, seed, scale)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for engine, seed, record in pool.map(one, todo):
            if "error" in record:
                print(f"  {engine:<10} seed {seed}: FAILED ({record['error']})", file=sys.stderr)
                continue
            print(f"  {engine:<10} seed {seed}: {record['events']:,} events", file=sys.stderr)
            out[engine][seed] = record
    return out


def run_agreement(engines: tuple[str, str], seeds: list[int], years: float, scale: float,
                  jobs: int = 1, have: dict[str, dict[int, dict]] | None = None) -> dict | None:
    """Collect the runs, print the table and return the history summary (None if too few runs)."""
    records = collect(engines, seeds, years, scale, jobs, have)
    a, b = ([metrics_of(r) for r in records[e].values()] for e in engines)
    if len(a) < 2 or len(b) < 2:
        print("agreement: fewer than two successful runs of an engine", file=sys.stderr)
        return None
    rows = compare(a, b)
    print(f"\n{SPEC} agreement, {years:g} simulated years, scale {scale:g}, "
          f"seeds {seeds[0]}..{seeds[-1]} (two-sample z per metric)")
    print_table(rows, engines, (len(a), len(b)))
    result = {"engines": list(engines), "seeds": len(seeds), "years": years, "scale": scale,
              "runs": [len(a), len(b)], **summary(rows)}
    if min(len(a), len(b)) < MIN_SEEDS:
        result["agree"] = None  # a smoke run: no verdict
    return result


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: 0 if every |z| < 3 (or on fewer than 10 seeds,
    where there is no verdict), 1 otherwise or if runs failed."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.agreement",
                                description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=20, help="number of seeds (default 20)")
    p.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    p.add_argument("--years", type=float, default=5.0, help="simulated years (default 5)")
    p.add_argument("--scale", type=float, default=1.0, help="population multiplier (default 1)")
    p.add_argument("--engines", default="careshift,heapq", help="two engines (default careshift,heapq)")
    p.add_argument("--jobs", type=int, default=1,
                   help="runs at once (default 1; at most the number of idle cores)")
    p.add_argument("--history", type=Path, default=ROOT / "benchmarks" / "history.jsonl")
    p.add_argument("--no-history", action="store_true")
    args = p.parse_args(argv)
    engines = tuple(e.strip() for e in args.engines.split(","))
    if len(engines) != 2 or args.seeds < 2 or not args.years * YEAR_D > WARMUP_D:
        p.error("need two engines, at least two seeds and more than the warm-up")
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    result = run_agreement(engines, seeds, args.years, args.scale, args.jobs)
    if result is None:
        return 1
    if not args.no_history:
        from benchmarks.history import append
        from benchmarks.runner import git_state

        record = {"benchmark": "agreement", "spec": SPEC,
                  "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                  **git_state(), **result}
        append(record, args.history)
    return 1 if result["agree"] is False else 0


if __name__ == "__main__":
    raise SystemExit(main())
