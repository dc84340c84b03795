"""The evaluation mode and the one-way sensitivity analysis: pure functions, the command line, and draws."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.analysis import mean_ci
from simulation.cli import main
from simulation.evaluate import exposure_years, matched_change, strata, window_counts
from simulation.experiment import run_replication
from simulation.scenario.schema import Scenario
from simulation.sensitivity import Param, get_path, parse_param, tornado_table, variants, with_value
from tests.conftest import small_scenario
from tests.functional.test_interventions import with_interventions


def test_window_counts_and_exposure():
    persons = np.array([0, 0, 1, 2, 2, 2])
    days = np.array([10.0, 400.0, 364.9, 365.0, 500.0, 800.0])
    assert window_counts(persons, days, 4, 0.0, 365.0).tolist() == [1, 1, 0, 0]
    assert window_counts(persons, days, 4, 365.0, 730.0).tolist() == [1, 0, 2, 0]
    assert exposure_years(np.array([np.inf, 547.5, 100.0]), 365.0, 730.0).tolist() == [1.0, 0.5, 0.0]


def test_matched_change_weights_by_the_cases_strata():
    # stratum 1: controls fall 2 -> 1; stratum 2: controls flat at 0.5; cases: 3 in stratum 1, 1 in 2, 1 unmatched
    st_case = np.array([1, 1, 1, 2, 9])
    st_ctrl = np.array([1, 1, 2, 2])
    before = np.array([2, 2, 1, 0]); after = np.array([1, 1, 0, 1]); years = np.ones(4)
    b, a, change, matched = matched_change(st_case, st_ctrl, before, years, after, years)
    assert matched == 4
    assert b == pytest.approx((3 * 2 + 0.5) / 4) and a == pytest.approx((3 * 1 + 0.5) / 4)
    assert change == pytest.approx(-0.75)
    assert strata(np.array([3]), np.array([2]), np.array([7])).tolist() == [324]


def test_paths_and_params():
    sc = with_interventions(small_scenario(5_000), {"type": "telehealth", "name": "th", "start": "2025-04-01",
                                                    "capacity_patients": 100, "crisis_hazard_ratio": 0.8})
    assert parse_param("services.acute.beds=10, 20") == Param("services.acute.beds", 10, 20)
    assert get_path(sc, "interventions.th.crisis_hazard_ratio") == 0.8
    assert with_value(sc, "interventions[0].crisis_hazard_ratio", 0.5).interventions[0].crisis_hazard_ratio == 0.5
    assert len(variants(sc, [Param("services.acute.beds", 5, 9)])) == 3
    for bad in ("services.acute.beds", "x=1", "services.acute.beds=1,2,3"):
        with pytest.raises(ValueError):
            parse_param(bad)
    with pytest.raises(ValueError, match="no setting"):
        with_value(sc, "services.acute.bedz", 3)
    with pytest.raises(ValueError, match="does not fit"):
        with_value(sc, "interventions.th.crisis_hazard_ratio", -1)


def test_cli_bad_input_exits_2(tmp_path, capsys):
    f = tmp_path / "th.yaml"
    f.write_text("name: th\ninterventions:\n  - type: capacity_change\n    name: beds\n    start: 2025-04-01\n"
                 "    service: acute\n    change: 5\n", encoding="utf-8")
    assert main(["evaluate", str(f), "--intervention", "nope"]) == 2
    assert "no intervention named 'nope'" in capsys.readouterr().err
    assert main(["evaluate", str(f), "--intervention", "beds"]) == 2
    assert "enrols no cohort" in capsys.readouterr().err
    assert main(["sensitivity", str(f), "--param", "services.acute.bedz=1,2"]) == 2
    assert "no setting" in capsys.readouterr().err
    assert main(["sensitivity", str(f), "--metric", "nonsense", "--param", "services.acute.beds=1,2"]) == 2
    assert main(["sensitivity", str(f)]) == 2  # --param is required


def test_cli_evaluate_runs(tmp_path, capsys):
    f = tmp_path / "cm.yaml"
    f.write_text("name: cm\nrun: {warmup_years: 1.0}\ninterventions:\n  - type: case_management\n    name: cm\n"
                 "    start: 2025-04-01\n    caseload: 1000\n    crisis_hazard_ratio: 0.7\n"
                 "    eligibility: {min_age: 65, top_risk_percent: 100}\n    maturity: {curve: step}\n",
                 encoding="utf-8")
    code = main(["evaluate", str(f), "--intervention", "cm", "--population", "10000", "--years", "1",
                 "--replications", "1", "--cohort-months", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "true counterfactual effect" in out and "difference-in-differences" in out


def test_cli_sensitivity_writes_tornado(tmp_path, capsys):
    f = tmp_path / "base.yaml"
    f.write_text("name: base\nrun: {warmup_years: 0.5}\n", encoding="utf-8")
    code = main(["sensitivity", str(f), "--population", "5000", "--years", "1", "--replications", "2",
                 "--param", "services.acute.beds=7,14", "--param", "discharge.weekend_discharge_factor=0.3,1.0",
                 "--metric", "delayed_discharge_bed_days", "--out", str(tmp_path / "sens")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "services.acute.beds" in out
    for name in ("tornado.csv", "tornado.png", "tornado.svg"):
        assert (tmp_path / "sens" / name).stat().st_size > 0


def test_tornado_table_is_paired():
    import pandas as pd

    rows = []
    for rep, noise in enumerate([0.0, 10.0, -10.0]):
        for variant, shift in (("base", 0.0), ("p=low", -5.0), ("p=high", 5.0)):
            rows.append({"variant": variant, "replication": rep, "metric": "m", "year": "all",
                         "value": 100.0 + noise + shift})
    t = tornado_table(pd.DataFrame(rows), [Param("p", 1, 2)], "m")
    assert t.loc[0, "low_diff"] == -5.0 and t.loc[0, "high_diff"] == 5.0
    assert t.loc[0, "low_ci_low"] == pytest.approx(-5.0) and t.loc[0, "swing"] == 10.0


def test_wider_effect_draw_widens_the_paired_interval():
    """draws.effect_multiplier: a per-replication draw of the effect widens the CI of the paired difference."""
    reps = 5
    base = small_scenario(8_000, replications=reps)
    item = {"type": "telehealth", "name": "th", "start": "2024-10-01", "capacity_patients": 3000,
            "crisis_hazard_ratio": 0.5, "maturity": {"curve": "step"},
            "eligibility": {"min_age": 18, "segments": ["ltc", "complex", "frailty"]}}

    def admissions(sc: Scenario) -> np.ndarray:
        return np.array([run_replication(sc, r)[0].set_index(["metric", "year"]).loc[
            ("emergency_admissions", "all"), "value"] for r in range(reps)], dtype=float)

    b = admissions(base)
    widths = []
    for draw in (None, {"dist": "uniform", "low": 0.0, "high": 2.0}):
        it = dict(item, draws={"effect_multiplier": draw} if draw else {})
        d = admissions(with_interventions(base, it)) - b
        _, lo, hi = mean_ci(d)
        widths.append(hi - lo)
    print(f"paired CI width of emergency admissions: fixed effect {widths[0]:.1f}, drawn effect {widths[1]:.1f}")
    assert widths[1] > 1.5 * widths[0]
