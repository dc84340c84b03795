"""Batches: resume after a kill, shards and merge, Dask on loopback, common random numbers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.economy import Economy
from simulation.metrics import run_metrics
from tests.conftest import ROOT, small_scenario

BASE = str(ROOT / "scenarios" / "baseline.yaml")
OTHER = str(ROOT / "scenarios" / "library" / "reablement_expansion.yaml")
SMALL = ["--population", "15000", "--years", "1", "--seed", "777"]


def runs_of(batch):
    return {p.relative_to(batch).as_posix(): p.read_bytes() for p in sorted(batch.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "batch"
    assert main(["run", BASE, OTHER, *SMALL, "--replications", "3", "--jobs", "2", "--out", str(out)]) == 0
    return out


def test_killed_batch_resumes_to_the_uninterrupted_result(reference, tmp_path):
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_scenarios.py"), "run", BASE, OTHER, *SMALL,
                             "--replications", "3", "--jobs", "1", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and len(list(out.glob("*/rep=*/DONE"))) < 2:
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    finished = len(list(out.glob("*/rep=*/DONE")))
    assert 2 <= finished < 6, "the batch should have been killed part-way"
    assert main(["resume", str(out), "--jobs", "2"]) == 0
    assert runs_of(out) == runs_of(reference)
    assert len(list(out.glob("*/rep=*/DONE"))) == 6
    assert (out / "summary.csv").read_bytes() == (reference / "summary.csv").read_bytes()
    assert not list(out.rglob("*.tmp"))


def test_resume_refuses_when_a_scenario_file_changed(tmp_path, capsys):
    scen = tmp_path / "scen"
    scen.mkdir()
    (scen / "baseline.yaml").write_text((ROOT / "scenarios" / "baseline.yaml").read_text())
    child = scen / "child.yaml"
    child.write_text("extends: baseline.yaml\nname: child\nservices:\n  acute:\n    beds: 50\n")
    out = tmp_path / "b"
    assert main(["run", str(child), *SMALL, "--replications", "1", "--jobs", "1", "--out", str(out)]) == 0
    child.write_text("extends: baseline.yaml\nname: child\nservices:\n  acute:\n    beds: 60\n")
    assert main(["resume", str(out)]) == 2
    assert "scenario files changed" in capsys.readouterr().err


def test_shards_merge_to_one_batch(reference, tmp_path):
    shards = []
    for i in (1, 2, 3):
        d = tmp_path / f"s{i}"
        assert main(["run", BASE, OTHER, *SMALL, "--replications", "3", "--jobs", "1", "--shard", f"{i}/3",
                     "--out", str(d)]) == 0
        shards.append(str(d))
    sizes = [len(list((tmp_path / f"s{i}").glob("*/rep=*/DONE"))) for i in (1, 2, 3)]
    assert sizes == [2, 2, 2]
    merged = tmp_path / "merged"
    assert main(["merge", *shards, "--out", str(merged)]) == 0
    assert runs_of(merged) == runs_of(reference)
    assert (merged / "summary.csv").read_bytes() == (reference / "summary.csv").read_bytes()
    assert main(["merge", *shards[:2], "--out", str(tmp_path / "partial")]) == 2


def test_dask_cluster_on_loopback_gives_the_same_files(reference, tmp_path):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "dask"
    assert main(["run", BASE, OTHER, *SMALL, "--replications", "3", "--jobs", "2", "--executor", "dask",
                 "--out", str(out)]) == 0
    assert runs_of(out) == runs_of(reference)


def _worker_settings():
    import dask

    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), dask.config.get("distributed.worker.profile.enabled")


def test_local_dask_workers_run_with_careshifts_settings():
    """The local cluster's workers: no malloc trimming forced by the nanny, no statistical profiler
    (together ~15% of a replication's time, docs/performance.md); Dask's defaults would give ('65536', True)."""
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client

    from simulation.experiment import local_dask_cluster

    for worker_config, expected in ((True, (None, False)), (False, ("65536", True))):
        with local_dask_cluster(1, worker_config=worker_config) as cluster, Client(cluster) as client:
            assert list(client.run(_worker_settings).values()) == [expected]


def test_common_random_numbers_cut_the_variance_of_a_paired_difference():
    """Same streams in both arms vs independent streams: the paired difference varies far less."""
    reps = 8
    base = [small_scenario(seed=100, replications=1)]
    more = small_scenario(seed=100, replications=1, reablement={"places": 30})

    def value(sc, rep):
        m = run_metrics(Economy(sc, rep).run())
        return float(m[(m["metric"] == "bed_days") & (m["year"] == "all")]["value"].iloc[0])

    b = np.array([value(base[0], r) for r in range(reps)])
    crn = np.array([value(more, r) for r in range(reps)]) - b
    indep = np.array([value(more, r + 1000) for r in range(reps)]) - b
    assert np.var(crn, ddof=1) <= 0.5 * np.var(indep, ddof=1), (np.var(crn, ddof=1), np.var(indep, ddof=1))


def test_dask_from_the_command_line_script(tmp_path):
    """Worker processes import run_scenarios.py; it must not run the CLI again when imported."""
    pytest.importorskip("dask.distributed")
    out = tmp_path / "d"
    proc = subprocess.run([sys.executable, str(ROOT / "run_scenarios.py"), "run", BASE, *SMALL, "--replications", "2",
                           "--jobs", "2", "--executor", "dask", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(list(out.glob("*/rep=*/DONE"))) == 2


def test_unreachable_scheduler_is_one_line_and_exit_1(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    code = main(["run", BASE, *SMALL, "--replications", "1", "--executor", "dask", "--scheduler",
                 "tcp://127.0.0.1:9", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 1 and "could not start the Dask scheduler" in err and "Traceback" not in err
