"""docs/validation.md from check records, without running the model or the experiments."""

from __future__ import annotations

import json
import math

import pandas as pd

from simulation import output
from simulation.scenario import Scenario
from simulation.validation import (checks_markdown, combine_runs, invariants_markdown, read_invariants,
                                   validation_markdown)
from simulation.verification import INVARIANTS, NAMED, QUEUEING, Check

SETTINGS = {"replications": 2, "years": 1, "population": 20_000, "seed": 7}


def _summary() -> pd.DataFrame:
    rows = [("baseline", "population", "all", 20_000.0, 19_900.0, 20_100.0, 2),
            ("baseline", "bed_occupancy_mean", "all", 0.90, 0.89, 0.91, 2),
            ("baseline", "bed_occupancy_mean", 1, 0.90, 0.89, 0.91, 2),
            ("baseline", "zero_day_share", "all", 0.50, 0.49, 0.51, 2)]
    return pd.DataFrame(rows, columns=["scenario", "metric", "year", "mean", "ci_low", "ci_high", "replications"])


def _inv(name: str, met: bool, deviation: float, exact: bool = False) -> Check:
    return Check(INVARIANTS, name, "t", f"a{deviation}", "1% relative", met, "", deviation, f"{deviation:+.2%}",
                 exact)


def test_check_records_round_trip_through_json():
    c = Check(QUEUEING, "x", "1", "2", "3", True, "d", math.inf, "inf", exact=True)
    data = json.loads(json.dumps(c.to_dict()))
    assert data["deviation"] is None and data["met"] is True
    assert Check.from_dict(data) == c
    assert isinstance(Check(QUEUEING, "x", "", "", "", met=1 == 1, deviation=1).deviation, float)


def test_checks_table_escapes_pipes_and_marks_misses():
    lines = checks_markdown([Check(NAMED, "a", "0.79", "0.80", "|DiD| < 0.35", True, "note"),
                             Check(NAMED, "b", "1", "2", "1%", False)])
    assert lines[0] == "| check | target | achieved | tolerance | met | notes |"
    assert lines[2] == "| a | 0.79 | 0.80 | \\|DiD\\| < 0.35 | yes | note |"
    assert "| **no** |" in lines[3]


def test_invariants_across_runs_report_the_worst_and_the_count():
    runs = [[_inv("L", True, 0.001), _inv("crises", True, 0.0, True)],
            [_inv("L", False, -0.02), _inv("crises", True, 0.0, True)]]
    combined = {r["first"].name: r for r in combine_runs(runs)}
    assert combined["L"]["met"] == 1 and combined["L"]["runs"] == 2
    assert combined["L"]["worst"].deviation == -0.02
    lines = invariants_markdown(runs)
    assert len(lines) == 4
    assert lines[2] == "| L | t | a0.001 | -2.00% | 1% relative | **no** (1 of 2 runs) |"
    assert lines[3].endswith("| yes (2 of 2 runs) |")


def test_document_has_every_section_and_counts(tmp_path):
    checks = [Check(QUEUEING, "M/M/2 wait", "69 min", "68 min", "3% relative", True, "SE 1%"),
              Check(NAMED, "Bagust", "curve", "points", "bands", False)]
    runs = [[_inv("L", True, 0.001)], [_inv("L", True, 0.002)]]
    doc = validation_markdown(_summary(), Scenario(), SETTINGS, "baseline", runs, checks)
    for heading in ("## Calibration bands", "## Context (no band)", "## Year by year",
                    "## Invariants of the baseline runs", "## Queueing theory", "## Named validation cases"):
        assert f"\n{heading}\n" in doc
    assert "| [Queueing theory](#queueing-theory) | 1 of 1 |" in doc
    assert "| [Named validation cases](#named-validation-cases) | 0 of 1 |" in doc
    assert "| [Invariants of the baseline runs](#invariants-of-the-baseline-runs) | 1 of 1 hold in all 2 runs |" in doc
    assert "| M/M/2 wait | 69 min | 68 min | 3% relative | yes | SE 1% |" in doc
    # without records: said so, not left out
    bare = validation_markdown(_summary(), Scenario(), SETTINGS, "baseline")
    assert "Not recorded in this batch" in bare and bare.count("Not run.") == 2


def test_invariants_are_read_from_run_json_and_failures_warned(tmp_path):
    good = [_inv("crises", True, 0.0, True).to_dict()]
    bad = [_inv("crises", False, 1.0, True).to_dict(), _inv("L", False, 0.5).to_dict()]
    for rep, invariants in ((0, good), (1, bad), (2, None)):
        d = output.run_dir(tmp_path, "baseline", rep)
        d.mkdir(parents=True)
        info = {"scenario": "baseline", "replication": rep}
        if invariants is not None:
            info["invariants"] = invariants
        (d / "run.json").write_text(json.dumps(info), encoding="utf-8")
        (d / output.DONE).write_text("", encoding="utf-8")
    per_run = read_invariants(tmp_path, "baseline")
    assert [len(r) for r in per_run] == [1, 2]  # the run without invariants is left out
    assert per_run[1][0].met is False
    warnings = output.invariant_warnings(tmp_path)
    assert len(warnings) == 1  # exact invariants only; Little's law has edge terms on short runs
    assert warnings[0].startswith("baseline replication 1: invariant failed: crises")
