"""Tests of the careshift HCE-ref engine (benchmarks/engine_careshift.py) and
its specification file (benchmarks/hce_ref.yaml).

The engine draws from careshift's named numpy streams, not from the reference
engines' ``random.Random``, so its outputs are checked against the spec
(Poisson counts, Little's law, conservation of flow), not bit for bit against
the heapq engine; the 20-seed statistical comparison is
``python -m benchmarks.agreement`` (recorded in docs/performance.md).
"""

import dataclasses
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest` without `python -m` does not add it
    sys.path.insert(0, str(ROOT))

from benchmarks import engine_careshift, workload  # noqa: E402
from benchmarks.agreement import compare  # noqa: E402
from benchmarks.workload import (ACUTE, AE, COMM, GP, METRIC_KEYS, REAB,  # noqa: E402
                                 config)

YEARS, SEED, SCALE = 2.0, 7, 0.2


@pytest.fixture(scope="module")
def run():
    return engine_careshift.run(YEARS, SEED, SCALE)


# -- the specification file -------------------------------------------------------


def test_yaml_agrees_with_workload_constants():
    wl = engine_careshift.load_workload()
    assert wl.year_d == workload.YEAR_D and wl.warmup_d == workload.WARMUP_D
    assert wl.population == workload.POPULATION
    assert wl.crises_per_person_year == workload.CRISES_PER_PERSON_YEAR
    assert (wl.p_gp, wl.p_comm) == (workload.P_GP, workload.P_COMM)
    assert wl.p_ae == pytest.approx(1.0 - workload.P_GP - workload.P_COMM, abs=1e-15)
    assert (wl.p_admit, wl.p_reablement) == (workload.P_ADMIT, workload.P_REABLEMENT)
    assert wl.capacities == (workload.GP_SERVERS, workload.COMM_SERVERS, workload.AE_SERVERS,
                             workload.ACUTE_BEDS, workload.REAB_PLACES)
    gp, comm, ae, acute, reab = wl.service
    assert [d.dist for d in wl.service] == ["exponential", "exponential", "lognormal",
                                            "lognormal", "exponential"]
    assert gp.mean_d == pytest.approx(workload.GP_SERVICE_MEAN_D, rel=1e-15)
    assert comm.mean_d == pytest.approx(workload.COMM_SERVICE_MEAN_D, rel=1e-15)
    assert (ae.mean_d, ae.sd_d) == pytest.approx((workload.AE_SERVICE_MEAN_D,
                                                  workload.AE_SERVICE_SD_D), rel=1e-15)
    assert ae.log_params() == pytest.approx((workload.AE_MU, workload.AE_SIGMA), rel=1e-12)
    assert (acute.mean_d, acute.sd_d) == (workload.ACUTE_LOS_MEAN_D, workload.ACUTE_LOS_SD_D)
    assert acute.log_params() == pytest.approx((workload.LOS_MU, workload.LOS_SIGMA), rel=1e-12)
    assert reab.mean_d == workload.REAB_LOS_MEAN_D
    for scale in (0.2, 0.4, 1.0, 2.0, 4.0):
        assert wl.arrival_rate_per_d(scale) == pytest.approx(
            config(scale).arrival_rate_per_d, rel=1e-15)


def test_yaml_distributions_are_careshift_scenario_vocabulary():
    # the leaves validate as the distribution classes of careshift's scenario schema
    from ruamel.yaml import YAML

    from simulation.scenario.fields import Exponential, Lognormal

    doc = YAML(typ="safe").load(engine_careshift.SPEC_FILE.read_text(encoding="utf-8"))
    leaves = [value for section in doc["services"].values()
              for value in section.values() if isinstance(value, dict)]
    assert len(leaves) == 5
    for leaf in leaves:
        model = {"exponential": Exponential, "lognormal": Lognormal}[leaf["dist"]]
        model.model_validate(leaf)
    # the engine's lognormal parameters are careshift's own (per unit of the key)
    ae = Lognormal.model_validate(doc["services"]["ae"]["service_hours"])
    mu_h, sigma = ae.log_params()
    assert engine_careshift.WORKLOAD.service[AE].log_params() == pytest.approx(
        (mu_h - math.log(24.0), sigma), rel=1e-12)


def test_yaml_with_a_bad_leaf_is_refused(tmp_path):
    text = engine_careshift.SPEC_FILE.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("{dist: exponential, mean: 20.0}",
                                "{dist: exponential, mean: 20.0, sd: 1.0}"), encoding="utf-8")
    with pytest.raises(ValueError, match="exponential takes only 'mean'"):
        engine_careshift.load_workload(bad)
    bad.write_text(text.replace("{gp: 0.45, community: 0.15, ae: remainder}",
                                "{gp: 0.45, community: 0.15, ae: 0.5}"), encoding="utf-8")
    with pytest.raises(ValueError, match="sum to 1"):
        engine_careshift.load_workload(bad)


# -- the engine -------------------------------------------------------------------


def test_pre_drawn_batches_follow_the_spec():
    # 4 standard errors on 2**18 arrivals (Draws' own streams; no simulation)
    draws = engine_careshift.Draws(engine_careshift.WORKLOAD, 11, config(1.0).arrival_rate_per_d,
                                   batch=1 << 18)
    gaps, nodes, first, los, reab = draws.next_batch()
    n = len(gaps)

    def close(values, mean, sd):
        m = sum(values) / len(values)
        assert abs(m - mean) < 4.0 * sd / math.sqrt(len(values)), (m, mean)

    close(gaps, 1.0 / config(1.0).arrival_rate_per_d, 1.0 / config(1.0).arrival_rate_per_d)
    for node, p in ((GP, workload.P_GP), (COMM, workload.P_COMM)):
        close([k == node for k in nodes], p, math.sqrt(p * (1 - p)))
    by_node = {k: [s for s, j in zip(first, nodes) if j == k] for k in (GP, COMM, AE)}
    close(by_node[GP], workload.GP_SERVICE_MEAN_D, workload.GP_SERVICE_MEAN_D)
    close(by_node[COMM], workload.COMM_SERVICE_MEAN_D, workload.COMM_SERVICE_MEAN_D)
    close(by_node[AE], workload.AE_SERVICE_MEAN_D, workload.AE_SERVICE_SD_D)
    ae = [j == AE for j in nodes]
    admitted = [x for x, a in zip(los, ae) if a and x >= 0.0]
    assert all(x == engine_careshift.NOT_NEEDED for x, a in zip(los, ae) if not a)
    close([x >= 0.0 for x, a in zip(los, ae) if a], workload.P_ADMIT,
          math.sqrt(workload.P_ADMIT * (1 - workload.P_ADMIT)))
    close(admitted, workload.ACUTE_LOS_MEAN_D, workload.ACUTE_LOS_SD_D)
    needs = [r for r, x in zip(reab, los) if x >= 0.0]
    assert all(r == engine_careshift.NOT_NEEDED for r, x in zip(reab, los) if x < 0.0)
    close([r >= 0.0 for r in needs], workload.P_REABLEMENT,
          math.sqrt(workload.P_REABLEMENT * (1 - workload.P_REABLEMENT)))
    close([r for r in needs if r >= 0.0], workload.REAB_LOS_MEAN_D, workload.REAB_LOS_MEAN_D)
    assert n == 1 << 18


def test_contract_and_exact_event_count(run):
    stats, extra = run
    assert tuple(stats.summary()) == METRIC_KEYS
    assert stats.logical_events() == stats.arrivals + sum(stats.completions)
    # counted independently by SimPy's event ids: every queue entry is the end of a service
    # (a completion), a hand-over of a pool place to a waiter, or still pending; arrivals are
    # merged into the loop and make none
    assert extra["native_events"] == sum(stats.completions) + extra["handovers"] + extra["pending"]
    assert 0 < extra["pending"] < 300
    done = stats.completions
    assert all(n > 0 for n in done)
    assert done[GP] + done[COMM] + done[AE] <= stats.arrivals
    assert done[ACUTE] <= done[AE] and done[REAB] <= done[ACUTE]


def test_arrivals_are_poisson_within_4_sigma(run):
    stats, _ = run
    mean = config(SCALE).arrival_rate_per_d * YEARS * 365.0
    assert abs(stats.arrivals - mean) < 4.0 * math.sqrt(mean)
    # routing shares, binomial, 4 sigma
    n = stats.completions[GP] + stats.completions[COMM] + stats.completions[AE]
    for node, p in ((GP, workload.P_GP), (COMM, workload.P_COMM)):
        assert abs(stats.completions[node] - p * n) < 4.0 * math.sqrt(n * p * (1 - p)) + 10


def test_littles_law_on_beds_and_places(run):
    # beds held = admissions a day x (stay + share blocked x mean blocked time);
    # over 640 days at scale 0.2 ten seeds stay within 1.5 %, so 5 % is a wide margin
    m = run[0].summary()
    per_day = m["admissions_per_year"] / 365.0
    held = workload.ACUTE_LOS_MEAN_D + workload.P_REABLEMENT * m["reab_blocked_mean_d"]
    assert m["acute_mean_occupancy"] == pytest.approx(per_day * held, rel=0.05)
    # about 600 reablement stays of mean 21 days: 20 % is about 4 standard errors
    assert m["reab_mean_occupancy"] == pytest.approx(
        m["reab_starts_per_year"] / 365.0 * workload.REAB_LOS_MEAN_D, rel=0.20)
    # the acute beds are well used but not over capacity
    assert 0.8 * config(SCALE).acute_beds < m["acute_mean_occupancy"] <= config(SCALE).acute_beds
    # admissions: arrivals x 0.4 x 0.375 a year, within 10 %
    assert m["admissions_per_year"] == pytest.approx(
        config(SCALE).arrival_rate_per_d * 365 * 0.4 * 0.375, rel=0.10)


def test_blocked_patients_keep_their_beds():
    # one reablement place for ~300 needs a year: the blocked fill the acute beds
    wl = dataclasses.replace(engine_careshift.WORKLOAD,
                             capacities=engine_careshift.WORKLOAD.capacities[:REAB] + (1,))
    stats, _ = engine_careshift.run(1.0, SEED, SCALE, workload=wl)
    m = stats.summary()
    beds = config(SCALE).acute_beds
    assert m["acute_mean_occupancy"] > 0.95 * beds
    assert m["reab_mean_occupancy"] > 0.95
    assert m["reab_blocked_mean_d"] > 30.0
    assert m["admissions_per_year"] < 0.6 * config(SCALE).arrival_rate_per_d * 365 * 0.15


def test_same_seed_same_output_and_other_seed_differs(run):
    stats, extra = run
    again, extra_again = engine_careshift.run(YEARS, SEED, SCALE)
    assert again.summary() == stats.summary()
    assert again.completions == stats.completions and extra_again == extra
    other, _ = engine_careshift.run(YEARS, SEED + 1, SCALE)
    assert other.summary() != stats.summary()


def test_runs_through_hce_ref_contract():
    from benchmarks import hce_ref

    record = hce_ref.measure("careshift", 0.5, 3, 0.2)
    assert 0 < record["native_events"] < record["events"]  # arrivals are logical events, not queue entries
    assert tuple(record["metrics"]) == METRIC_KEYS


def test_agreement_z_detects_a_shift_and_accepts_noise():
    base = [{"x": 10.0 + 0.1 * (i % 5)} for i in range(20)]
    same = [{"x": 10.0 + 0.1 * ((i + 2) % 5)} for i in range(20)]
    shifted = [{"x": r["x"] + 0.5} for r in base]
    (row,) = compare(base, same, keys=("x",))
    assert abs(row["z"]) < 1e-9
    (row,) = compare(base, shifted, keys=("x",))
    assert row["z"] < -3.0


def test_runner_scaling_ratio_is_largest_scale_over_scale_1():
    from benchmarks.runner import scaling_ratios

    series = {"careshift": {"0.2": 50.0, "1": 100.0, "4": 90.0}, "heapq": {"1": 80.0}}
    assert scaling_ratios(series) == {"careshift": pytest.approx(0.9)}


def test_runner_baseline_ratio_pairs_each_replication_with_the_heapq_runs_beside_it(monkeypatch):
    """heapq, baseline, heapq, baseline, ...: each baseline over the mean of its two neighbours; median reported."""
    import json
    import types

    from benchmarks import runner

    heapq_walls = iter([4.0, 6.0, 5.0, 3.0])
    baseline_walls = iter([10.0, 12.0, 8.0])
    monkeypatch.setattr(runner, "run_once", lambda engine, years, seed, scale: {
        "wall_s": (w := next(heapq_walls)), "cpu_s": w})
    monkeypatch.setattr(runner.subprocess, "run", lambda *a, **k: types.SimpleNamespace(
        returncode=0, stdout=json.dumps({"wall_s": (w := next(baseline_walls)), "cpu_s": w / 2}), stderr=""))
    out = runner.baseline_timing(5.0, repeats=3)
    assert out["heapq_walls_s"] == [4.0, 6.0, 5.0, 3.0]
    assert out["ratios"] == pytest.approx([10 / 5.0, 12 / 5.5, 8 / 4.0])
    assert out["ratio"] == pytest.approx(2.0)  # median of 2.0, 2.18, 2.0
    assert out["ratio_cpu"] == pytest.approx(1.0)
    assert out["baseline"]["wall_s"] in (10.0, 8.0) and out["heapq_wall_s"] in (5.0, 4.0)
