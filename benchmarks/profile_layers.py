"""Where the time goes, by layer: sample a run with py-spy and group the samples.

Usage::

    python -m benchmarks.profile_layers hce [--engine careshift] [--years 3]
        [--seed 1] [--scale 1]
    python -m benchmarks.profile_layers baseline [--population 100000]
        [--years 1] [--warmup-years 1]

``hce`` samples ``python -m benchmarks.hce_ref`` (one HCE-ref engine);
``baseline`` samples ``python -m benchmarks.baseline`` (one replication of
the default careshift baseline, resized). Each sample is charged to the
innermost Python frame (its own time: C code such as ``heapq`` or numpy
kernels counts to the Python function that called it), and frames are
grouped into layers by file and function (:data:`LAYERS`). Only samples
inside the simulation are counted (under the engine's ``run`` for ``hce``,
under ``Economy.run`` for ``baseline``; imports, loading and building the
population are left out; ``--whole`` counts everything). Prints the share
of samples per layer and the 20 functions with the most samples.

Needs ``py-spy`` (``pip install py-spy``; sampling a child process may need
``ptrace`` permission). ``--rate`` sets samples per second (default 250).

The sampled process runs careshift as Python (``CARESHIFT_PURE_PYTHON=1``): py-spy sees no frames
inside the compiled engine and pools, whose time would be charged to their Python callers. The
shares are those of the Python source; the compiled modules make their layers cheaper.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (layer, file suffix or None, function names or None), first match wins.
LAYERS: tuple[tuple[str, str | None, tuple[str, ...] | None], ...] = (
    ("SimPy event loop (step, schedule, Timeout, Event)", "simpy/core.py", None),
    ("SimPy event loop (step, schedule, Timeout, Event)", "simpy/events.py", None),
    ("SimPy Resource / Process machinery", "simpy/resources/base.py", None),
    ("SimPy Resource / Process machinery", "simpy/resources/resource.py", None),
    ("pools, level monitors, daily slots", "simulation/services/pools.py", None),
    ("SimPy event loop (step, schedule, Timeout, Event)", "simulation/engine.py",
     ("run_until", "_sync", "_defer", "sync", "defer", "schedule", "step", "peek")),
    ("community referrals and starting stocks (economy)", "simulation/economy.py",
     ("_pick", "_community", "_initial_stocks")),
    ("feeder (arrival / crisis callback chain)", "benchmarks/engine_careshift.py", ("feed",)),
    ("feeder (arrival / crisis callback chain)", "simulation/engine.py", ("crisis_feed",)),
    ("feeder (arrival / crisis callback chain)", "simulation/economy.py",
     ("_crisis_feed", "schedule_crisis", "_start_dynamic")),
    ("journeys and their driver", "benchmarks/engine_careshift.py",
     ("contact", "emergency", "resume", "__init__")),
    ("journeys and their driver", "simulation/engine.py", ("resume", "_wait", "__init__")),
    ("journeys and their driver", "simulation/economy.py",
     ("start_process", "hold_until", "begin", "end")),
    ("journeys and their driver", "simulation/pathway.py", None),
    ("batches of random numbers (numpy)", "benchmarks/engine_careshift.py", ("next_batch",)),
    ("batches of random numbers (numpy)", "simulation/economy.py", ("_load_batch",)),
    ("batches of random numbers (numpy)", "simulation/demand.py", None),
    ("batches of random numbers (numpy)", "simulation/rng.py", None),
    ("state, counters and yearly steps (economy)", "simulation/economy.py", None),
    ("state, counters and yearly steps (economy)", "simulation/engine.py", ("take",)),
    ("population (numpy columns)", "simulation/population.py", None),
    ("interventions", "simulation/interventions.py", None),
    ("metrics and tables", "simulation/metrics.py", None),
    ("reference engine loop", "benchmarks/engine_heapq.py", None),
    ("reference engine loop", "benchmarks/engine_simpy.py", None),
    ("stdlib random", "/random.py", None),
    ("numpy / pandas internals", "numpy/", None),
    ("numpy / pandas internals", "pandas/", None),
    ("imports and start-up", "<frozen", None),
)


def layer_of(function: str, path: str) -> str:
    """The layer of a frame (function name, file path); ``other`` if none matches."""
    for layer, suffix, names in LAYERS:
        if suffix is not None and suffix not in path:
            continue
        if names is not None and function.split(".")[-1] not in names:
            continue
        return layer
    if function == "<module>":
        return "imports and start-up"
    return "other"


def parse_frame(frame: str) -> tuple[str, str]:
    """``"func (path:line)"`` -> (func, path)."""
    if frame.endswith(")") and " (" in frame:
        func, rest = frame.rsplit(" (", 1)
        return func, rest[:-1].rsplit(":", 1)[0]
    return frame, ""


def aggregate(raw: str, within: tuple[str, str] | None = None) -> tuple[Counter, Counter, int]:
    """Samples by layer and by function from py-spy's raw (collapsed) output.

    `within` = (function, file part): count only stacks with such a frame.
    """
    layers: Counter = Counter()
    functions: Counter = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [parse_frame(f) for f in stack.split(";")]
        if within is not None and not any(f == within[0] and within[1] in p for f, p in frames):
            continue
        n = int(count)
        func, path = frames[-1]
        layers[layer_of(func, path)] += n
        short = "/".join(Path(path).parts[-2:]) if path else ""
        functions[f"{func} ({short})"] += n
        total += n
    return layers, functions, total


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_layers",
                                description=__doc__.splitlines()[0])
    p.add_argument("target", choices=("hce", "baseline"))
    p.add_argument("--engine", default="careshift")
    p.add_argument("--years", type=float, default=None,
                   help="hce: simulated years (default 3); baseline: reported years (default 1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--population", type=int, default=100_000)
    p.add_argument("--warmup-years", type=float, default=1.0)
    p.add_argument("--rate", type=int, default=250, help="samples per second")
    p.add_argument("--whole", action="store_true",
                   help="count every sample (imports and set-up included)")
    args = p.parse_args(argv)
    spy = shutil.which("py-spy")
    if spy is None:
        print("profile_layers: py-spy not found (pip install py-spy)", file=sys.stderr)
        return 2
    if args.target == "hce":
        within = ("run", f"engine_{args.engine}.py")
        cmd = ["-m", "benchmarks.hce_ref", "--engine", args.engine, "--years",
               repr(args.years or 3.0), "--seed", str(args.seed), "--scale", repr(args.scale)]
    else:
        within = ("Economy.run", "simulation/economy.py")
        cmd = ["-m", "benchmarks.baseline", "--population", str(args.population),
               "--years", str(int(args.years or 1)), "--warmup-years", repr(args.warmup_years)]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profile.txt"
        proc = subprocess.run([spy, "record", "-r", str(args.rate), "-f", "raw", "-o", str(out),
                               "--", sys.executable, *cmd], cwd=ROOT, capture_output=True,
                              text=True, check=False, env={**os.environ, "CARESHIFT_PURE_PYTHON": "1"})
        if proc.returncode != 0 or not out.exists():
            print(f"profile_layers: py-spy failed: {proc.stderr.strip()[-500:]}", file=sys.stderr)
            return 1
        raw = out.read_text(encoding="utf-8")
    layers, functions, total = aggregate(raw, None if args.whole else within)
    if not total:
        print("profile_layers: no samples inside the run", file=sys.stderr)
        return 1
    records = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if records:
        print(records[-1])
    where = "" if args.whole else f" inside {within[0]}"
    print(f"\n{total} samples{where} of `python {' '.join(cmd)}`, by layer (own time):")
    for layer, n in layers.most_common():
        print(f"  {100 * n / total:5.1f} %  {layer}")
    print("\ntop functions (own time):")
    for func, n in functions.most_common(20):
        print(f"  {100 * n / total:5.1f} %  {func}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
