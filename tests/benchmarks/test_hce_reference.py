"""Tests of the HCE-ref v1 benchmark reference engines (benchmarks/).

The heapq and SimPy engines share the workload's sampling order, so with the
same seed they must follow the same trajectory to the last bit; counts pinned
below were produced by the shared reference engines of the spec.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest` without `python -m` does not add it
    sys.path.insert(0, str(ROOT))

from benchmarks import engine_heapq, engine_simpy  # noqa: E402
from benchmarks.workload import (ACUTE, AE, COMM, GP, METRIC_KEYS, REAB,  # noqa: E402
                                 Stats, config)

YEARS, SEED, SCALE = 1.0, 1, 0.2


@pytest.fixture(scope="module")
def heapq_run():
    return engine_heapq.run(YEARS, SEED, SCALE)


def test_heapq_and_simpy_give_identical_summaries(heapq_run):
    h_stats, _ = heapq_run
    s_stats, _ = engine_simpy.run(YEARS, SEED, SCALE)
    assert s_stats.summary() == h_stats.summary()
    assert s_stats.logical_events() == h_stats.logical_events()
    assert s_stats.completions == h_stats.completions
    # a different seed gives a different trajectory, so equality is not vacuous
    other, _ = engine_heapq.run(YEARS, SEED + 1, SCALE)
    assert other.summary() != h_stats.summary()


def test_heapq_matches_reference_engine_counts(heapq_run):
    # the shared reference engines give 85854 events for seed 1, scale 0.2, 1 year
    stats, _ = heapq_run
    assert stats.logical_events() == 85854
    assert stats.summary()["arrivals_per_year"] == 39895.0


def test_logical_events_are_arrivals_plus_completions(heapq_run):
    stats, extra = heapq_run
    assert stats.logical_events() == stats.arrivals + sum(stats.completions)
    # counted independently: every event the heapq loop handles is logical
    assert extra["native_events"] == stats.logical_events()
    # every node completed something, and flows are conserved along the path
    assert all(n > 0 for n in stats.completions)
    done = stats.completions
    assert done[GP] + done[COMM] + done[AE] <= stats.arrivals
    assert done[ACUTE] <= done[AE]
    assert done[REAB] <= done[ACUTE]


def test_logical_events_by_hand():
    stats = Stats(horizon_d=365.0)
    stats.arrivals = 10
    stats.completions[GP], stats.completions[ACUTE], stats.completions[REAB] = 4, 2, 1
    assert stats.logical_events() == 17


def test_summary_keys_are_the_reference_keys(heapq_run):
    stats, _ = heapq_run
    assert tuple(stats.summary()) == METRIC_KEYS == (
        "arrivals_per_year", "admissions_per_year", "acute_mean_occupancy",
        "reab_mean_occupancy", "gp_mean_wait_h", "ae_mean_wait_h",
        "comm_mean_wait_h", "acute_mean_wait_h", "reab_blocked_mean_d",
        "reab_starts_per_year")


@pytest.mark.parametrize("scale, expected", [
    (0.2, (1, 4, 9, 120, 19)),
    (0.4, (2, 8, 18, 240, 38)),
    (1.0, (5, 20, 45, 600, 95)),
    (4.0, (20, 80, 180, 2400, 380)),
    (0.05, (1, 1, 2, 30, 5)),  # 0.25 -> at least 1; 2.25 -> 2; 4.75 -> 5
])
def test_capacities_are_rounded_as_specified(scale, expected):
    cfg = config(scale)
    assert cfg.capacities == expected
    assert cfg.arrival_rate_per_d == pytest.approx(200_000 * scale / 365.0, rel=1e-12)


def test_hce_ref_prints_one_json_line():
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.hce_ref", "--engine", "heapq",
         "--years", "0.3", "--seed", "3", "--scale", "0.2"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    for key in ("engine", "years", "seed", "scale", "wall_s", "events",
                "events_per_s", "peak_rss_mb"):
        assert key in record
    assert tuple(record["metrics"]) == METRIC_KEYS
    assert record["events"] == record["native_events"] > 0


def test_hce_ref_unavailable_engine_exits_2_with_one_line(monkeypatch, capsys):
    from benchmarks import hce_ref
    monkeypatch.setitem(hce_ref.ENGINES, "careshift", "benchmarks.no_such_engine")
    status = hce_ref.main(["--engine", "careshift", "--years", "1", "--seed", "1"])
    out, err = capsys.readouterr()
    assert status == hce_ref.EXIT_UNAVAILABLE == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "careshift" in err
