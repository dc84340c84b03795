"""Instructions per logical event under valgrind: a load-independent cross-check.

Usage::

    python -m benchmarks.instructions [--engines careshift,heapq]
        [--years 0.5,1] [--scale 1] [--seed 1]

Wall-clock ratios need a quiet machine; instruction counts do not. Each
engine runs HCE-ref under ``valgrind --tool=callgrind`` for two horizons
(import, set-up and the warm-up are common to both), and the difference in
instructions over the difference in logical events gives the instructions
per logical event of the engine's steady state. The ratio of two engines'
counts approximates their ratio of events/s, ignoring cache and branch
effects (which the wall-clock runner sees). Each run is 50-100 times slower
than native: about 5 minutes for the defaults. Needs ``valgrind``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = ("from benchmarks.hce_ref import load_engine\n"
         "stats, _ = load_engine({engine!r}).run({years!r}, {seed!r}, {scale!r})\n"
         "print(stats.logical_events())\n")


def count(engine: str, years: float, seed: int, scale: float) -> tuple[int, int]:
    """(instructions, logical events) of one run under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        code = CHILD.format(engine=engine, years=years, seed=seed, scale=scale)
        proc = subprocess.run(["valgrind", "--tool=callgrind",
                               f"--callgrind-out-file={Path(tmp) / 'cg.out'}",
                               sys.executable, "-c", code],
                              cwd=ROOT, capture_output=True, text=True, check=False)
    found = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    if proc.returncode != 0 or found is None:
        raise RuntimeError(f"{engine} {years} y failed: {proc.stderr.strip()[-300:]}")
    return int(found.group(1)), int(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.instructions",
                                description=__doc__.splitlines()[0])
    p.add_argument("--engines", default="careshift,heapq")
    p.add_argument("--years", default="0.5,1", help="two horizons, years (default 0.5,1)")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("instructions: valgrind not found", file=sys.stderr)
        return 2
    short, long_ = (float(y) for y in args.years.split(","))
    per_event = {}
    for engine in (e.strip() for e in args.engines.split(",")):
        ir0, ev0 = count(engine, short, args.seed, args.scale)
        ir1, ev1 = count(engine, long_, args.seed, args.scale)
        per_event[engine] = (ir1 - ir0) / (ev1 - ev0)
        print(f"{engine:<10} {per_event[engine]:>9,.0f} instructions per logical event "
              f"(scale {args.scale:g}; {ev1 - ev0:,} events between {short:g} and {long_:g} years)")
    if "heapq" in per_event:
        for engine, value in per_event.items():
            if engine != "heapq":
                print(f"{engine}/heapq, as heapq's instructions over {engine}'s: "
                      f"{per_event['heapq'] / value:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
