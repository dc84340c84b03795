"""Memory per person: resident memory of the population and per-person state, measured in a fresh process.

    python -m benchmarks.memory [--sizes 250000,1000000]

For each size, a child process records its resident memory (current, and the
peak with construction temporaries) before and after building the latent population (and the economy's per-person state
arrays) and reports the difference per person. Column layout alone is printed
for comparison. Results go to stdout as JSON lines and to the history file.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

from benchmarks.history import append

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import gc, json, resource, sys
sys.path.insert(0, {root!r})
def rss():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
from simulation.scenario import Scenario
from simulation.scenario.transform import with_population
from simulation.economy import Economy
size = {size}
sc = with_population(Scenario(), size)
gc.collect()
before, peak0 = rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
eco = Economy(sc, 0)          # latent population (years of capacity) + per-person state, no run
gc.collect()
after, peak1 = rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cap = eco.population.cols.birth_day.shape[0]
state = sum(len(getattr(eco, n)) for n in eco.FLAGS) + eco.last_discharge.nbytes
print(json.dumps({{"size": size, "slots": cap, "rss_bytes_per_person": (after - before) * 1024 / size,
                  "peak_rss_bytes_per_person": (peak1 - peak0) * 1024 / size,
                  "column_bytes_per_slot": eco.population.nbytes_per_person(),
                  "state_bytes_per_slot": state / cap}}))
"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="250000,1000000")
    p.add_argument("--history", default=str(ROOT / "benchmarks" / "history.jsonl"))
    args = p.parse_args(argv)
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), size=size)], capture_output=True,
                             text=True, check=True).stdout.strip()
        append({"benchmark": "memory", **json.loads(out)}, args.history)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
