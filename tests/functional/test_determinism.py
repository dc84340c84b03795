"""Same seed, same files: whatever the number of workers, the hash seed, or the batch a run is in."""

from __future__ import annotations

import os
import subprocess
import sys

from simulation.cli import main
from tests.conftest import ROOT

SMALL = ["--population", "15000", "--years", "1", "--seed", "4242"]
FILES = [str(ROOT / "scenarios" / "baseline.yaml"), str(ROOT / "scenarios" / "library" / "seven_day_discharge.yaml")]


def run_files(batch):
    return {p.relative_to(batch).as_posix(): p.read_bytes()
            for p in sorted(batch.rglob("*.parquet"))}


def test_one_and_two_workers_write_identical_runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["run", *FILES, *SMALL, "--replications", "2", "--jobs", "1", "--out", str(a)]) == 0
    assert main(["run", *FILES, *SMALL, "--replications", "2", "--jobs", "2", "--out", str(b)]) == 0
    fa, fb = run_files(a), run_files(b)
    assert len(fa) == 8 and fa == fb
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()
    assert (a / "comparison.csv").read_bytes() == (b / "comparison.csv").read_bytes()


def test_a_replication_is_the_same_alone_or_in_a_batch(tmp_path):
    one, three = tmp_path / "one", tmp_path / "three"
    assert main(["run", FILES[0], *SMALL, "--replications", "1", "--jobs", "1", "--out", str(one)]) == 0
    assert main(["run", FILES[0], *SMALL, "--replications", "3", "--jobs", "2", "--out", str(three)]) == 0
    for name in ("metrics.parquet", "daily.parquet"):
        assert (one / "baseline" / "rep=0" / name).read_bytes() == (three / "baseline" / "rep=0" / name).read_bytes()


def test_hash_seed_does_not_change_results(tmp_path):
    outs = []
    for hashseed in ("0", "12345"):
        out = tmp_path / f"h{hashseed}"
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        proc = subprocess.run([sys.executable, str(ROOT / "run_scenarios.py"), "run", FILES[0], *SMALL,
                               "--replications", "1", "--jobs", "1", "--out", str(out)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outs.append(run_files(out))
    assert outs[0] == outs[1]
