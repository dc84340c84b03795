"""Calibration: the profile loader, the analytic surrogate against the simulation, the solver, the fragment file."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from simulation import calibration as cal
from simulation.economy import Economy
from simulation.population import YEAR_DAYS, age_band_of
from simulation.scenario import Scenario
from simulation.scenario.errors import ScenarioError
from simulation.scenario.fields import ACUITIES
from simulation.scenario.loader import load_scenario
from tests.conftest import ROOT, small_scenario

ENGLAND = ROOT / "scenarios" / "profiles" / "england.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"


# --- the profile ------------------------------------------------------------------


def test_england_profile_loads():
    profile = cal.load_profile(ENGLAND)
    assert profile.tolerance_pct == 3
    assert profile.target_vector().tolist() == [70, 65, 150, 280, 500, 270, 150]


def test_every_england_target_cites_evidence():
    lines = ENGLAND.read_text(encoding="utf-8").splitlines()
    for key in ("age_0_17", "age_18_64", "age_65_74", "age_75_84", "age_85_plus"):
        line = next(x for x in lines if x.strip().startswith(key + ":"))
        assert "evidence: ea-by-age" in line
    text = "\n".join(lines)
    assert "evidence: ae-attendances" in text and "evidence: ambulance-incidents" in text


def test_bad_profile_gives_located_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: Somewhere\n"
        "targets:\n"
        "  emergency_admissions_per_1000:\n"
        "    age_0_17: 70\n"
        "    age_18_64: -65\n"
        "    age_65_74: 150\n"
        "    age_75_84: 280\n"
        "    age_85_plus: 500\n"
        "  ae_attendances_per_100: 270\n"
        "  ambulance_incidents_per_1000: 150\n"
        "tolerance_pct: '3'\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as exc:
        cal.load_profile(bad)
    text = str(exc.value)
    lines = {p.path: p for p in exc.value.problems}
    assert lines["targets.emergency_admissions_per_1000.age_18_64"].line == 5
    assert lines["targets.ae_attendances_per_100"].line == 9
    assert "did you mean 'ae_attendances_per_1000'" in text
    assert lines["tolerance_pct"].line == 11
    assert f"{bad}:5:" in text  # FILE:LINE:COL
    assert "Traceback" not in text


# --- the free parameters ----------------------------------------------------------


def test_scaled_first_contact_tables_sum_to_one_and_keep_the_gp_111_ratio():
    sc = Scenario()
    fc = cal._FirstContactBase(sc)
    for s_amb, s_ae in ((1.0, 1.0), (0.7, 0.3), (1.2, 1.5), (0.0, 0.0)):
        for i, t in enumerate(fc.shares(s_amb, s_ae)):
            assert sum(t.values()) == pytest.approx(1.0)
            assert t["ambulance"] == pytest.approx(s_amb * fc.amb[i])
            assert t["ae_self"] == pytest.approx(s_ae * fc.ae[i])
            assert t["gp"] / t["nhs111"] == pytest.approx(fc.gp[i] / fc.nhs111[i])
    base = [getattr(sc.routing.first_contact, a).probabilities() for a in ACUITIES]
    assert fc.shares(1.0, 1.0) == [pytest.approx(b) for b in base]


def test_apply_parameters_changes_only_the_calibrated_fields():
    sc = Scenario()
    params = cal.Parameters((1.1, 0.6, 0.9, 1.4, 2.1), 0.8, 0.5)
    new = cal.apply_parameters(sc, params, cal.Slots(600, 40))
    assert new.demand.crisis_rate_per_person_year.as_list() == [1.1, 0.6, 0.9, 1.4, 2.1]
    assert new.services.gp.same_day_slots_per_weekday == 600
    a, b = sc.model_dump(), new.model_dump()
    for key in ("demand", "routing", "services"):
        a[key].pop({"demand": "crisis_rate_per_person_year", "routing": "first_contact", "services": "gp"}[key])
        b[key].pop({"demand": "crisis_rate_per_person_year", "routing": "first_contact", "services": "gp"}[key])
    a["services"].pop("ucr")
    b["services"].pop("ucr")
    assert a == b


# --- the surrogate ----------------------------------------------------------------


@pytest.mark.parametrize("access", [None, cal.Access((0.1, 0.05, 0.0, 0.0, 0.02, 1.0, 1.0),
                                                     (0.2, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0), 0.05)])
def test_surrogate_solver_reaches_its_targets(access):
    sc = Scenario()
    targets = cal.load_profile(ENGLAND).target_vector()
    params = cal.solve_surrogate(sc, targets, access=access)
    assert np.max(np.abs(cal.surrogate(sc, params, access=access) / targets - 1)) < 1e-3
    # and once rounded to 4 significant figures, as written to the fragment
    rounded = cal.apply_parameters(sc, params)
    assert np.max(np.abs(cal.surrogate(rounded, access=access) / targets - 1)) < 1e-3
    assert all(r > 0 for r in params.rates) and params.ambulance_scale > 0 and params.ae_self_scale > 0


def test_gp_access_with_nothing_refused_is_a_slot():
    first, from_111 = cal._gp_access(cal.Access(), {"nhs111": 0.5, "ae_self": 0.2, "next_day": 0.3})
    assert first.tolist() == [1.0, 0.0, 0.0] and from_111.tolist() == [1.0, 0.0, 0.0]


def test_gp_access_weekends_closed():
    no_slot = {"nhs111": 0.5, "ae_self": 0.2, "next_day": 0.3}
    first, from_111 = cal._gp_access(cal.Access.open_hours(Scenario()), no_slot)
    # a weekend request is refused (closed); those who choose to wait retry at 9am on Monday
    assert first.sum() == pytest.approx(1.0) and from_111.sum() == pytest.approx(1.0)
    assert first[0] == pytest.approx(5 / 7 + 2 / 7 * 0.3)  # weekend requests: only next_day ones get a slot
    assert from_111[0] == pytest.approx(1.0)  # from 111 every request retries until Monday
    assert first[1] == pytest.approx(2 / 7 * 0.5) and first[2] == pytest.approx(2 / 7 * 0.2)


def _quiet(sc: Scenario, **services) -> Scenario:
    """No readmissions, terminal admissions or reablement failures: only crisis journeys make activity."""
    demand = sc.demand.model_copy(update={"readmission_extra_probability": 0.0})
    eol = sc.end_of_life.model_copy(update={"terminal_admission_probability_home": 0.0,
                                            "terminal_admission_probability_care_home": 0.0})
    reab = sc.services.reablement.model_copy(update={"outcome": sc.services.reablement.outcome.model_copy(
        update={"no_further_support": "remainder", "hospital": 0.0})})
    svc = sc.services.model_copy(update={"reablement": reab, **{
        k: getattr(sc.services, k).model_copy(update=v) for k, v in services.items()}})
    return Scenario.model_validate(
        sc.model_copy(update={"demand": demand, "end_of_life": eol, "services": svc}).model_dump())


def _per_crisis_check(sc: Scenario) -> tuple[np.ndarray, np.ndarray, cal.Access]:
    """Simulated and surrogate (EA, A&E, ambulance) per crisis, the surrogate given the measured access."""
    eco = Economy(sc, 0, trace=True)
    warm, end = eco.periods.warmup, eco.periods.end
    gp, ucr = cal._count_slots(eco, 0.0, end)
    eco.run()
    starts = [(t, p) for t, p, event, _ in eco.trace if event == "crisis"]
    t = np.array([s[0] for s in starts])
    p = np.array([s[1] for s in starts])
    band = age_band_of((t - eco.population.cols.birth_day[p]) / YEAR_DAYS)
    crises = np.bincount(band, minlength=5)
    assert crises.sum() == eco.tally("crises").sum()
    asked, refused = gp.asked, gp.refused_by_day
    default = cal.Access.open_hours(sc)
    first = cal._share(refused[0], asked[0], np.asarray(default.gp_refused))
    access = cal.Access(tuple(first), tuple(cal._share(refused[1], asked[1], first)),
                        float(ucr.refused_by_day.sum() / max(ucr.asked.sum(), 1)), default.gp_open)
    expected = crises @ cal.per_crisis(sc, None, access).to_numpy()
    simulated = np.array([eco.tally(k).sum() for k in ("emergency_admissions", "ae_attendances",
                                                        "ambulance_incidents")])
    return simulated, expected, access


#: Binomial noise on ~30,000 crises is about 1% for A&E and ambulance and 2% for admissions.
SURROGATE_TOLERANCE = {"EA": 0.04, "A&E": 0.03, "ambulance": 0.03}


def test_surrogate_agrees_with_a_simulation_with_unlimited_capacity():
    unlimited = {k: {f: "unlimited"} for k, f in (
        ("nhs111", "call_handlers"), ("ambulance", "crews"), ("ae", "cubicles"), ("acute", "beds"),
        ("reablement", "places"), ("intermediate_care", "beds"), ("home_care", "packages"),
        ("gp", "same_day_slots_per_weekday"), ("ucr", "visits_per_day"))}
    sc = _quiet(small_scenario(size=20_000, years=1), **unlimited)
    simulated, expected, access = _per_crisis_check(sc)
    assert access.gp_refused[:5] == (0.0,) * 5  # open weekdays never refuse; weekends are closed
    for (name, tol), s, e in zip(SURROGATE_TOLERANCE.items(), simulated, expected):
        assert s == pytest.approx(e, rel=tol), name


def test_surrogate_with_measured_refusals_agrees_when_gp_slots_run_out():
    sc = _quiet(small_scenario(size=20_000, years=1))  # the baseline's GP slots: they run out on weekdays
    simulated, expected, access = _per_crisis_check(sc)
    assert max(access.gp_refused[:5]) > 0.05
    for (name, tol), s, e in zip(SURROGATE_TOLERANCE.items(), simulated, expected):
        assert s == pytest.approx(e, rel=tol), name


# --- measuring the simulation -----------------------------------------------------


def test_counting_slots_do_not_change_the_run():
    sc = small_scenario(size=10_000, years=1)
    plain = Economy(sc, 0).run()
    counted = Economy(sc, 0)
    cal._count_slots(counted, 0.0, counted.end_day)
    counted.run()
    assert plain.admissions == counted.admissions
    assert plain.gp_slots.refused == counted.gp_slots.refused


def test_band_admissions_add_up_to_the_metric():
    sc = small_scenario(size=10_000, years=1)
    run = cal._measure_one(sc.model_dump(), 0)
    assert sum(run["ea"]) == run["emergency_admissions"]
    assert len(run["gp_daily"]) in (260, 261)  # weekdays of the reported year (weekends are closed)
    assert len(run["ucr_daily"]) == 365


def test_size_allowance_poisson():
    rng = np.random.default_rng(1)
    daily = rng.poisson(100.0, 5000).astype(float)
    assert cal.size_allowance(daily, 1.0, 0.95) == pytest.approx(100 + 1.645 * 10, abs=2)
    # ten times the place: Poisson spread grows with the square root only
    assert cal.size_allowance(daily, 10.0, 0.95) == pytest.approx(1000 + 1.645 * np.sqrt(1000), abs=8)


# --- the fragment -----------------------------------------------------------------


def _fake_result(base_path=None) -> cal.CalibrationResult:
    base = load_scenario(BASELINE) if base_path else Scenario()
    params = cal.Parameters((1.2171, 0.63043, 0.92318, 1.41095, 2.10985), 0.6557, 0.3176)
    slots = cal.Slots(614, 39)
    profile = cal.load_profile(ENGLAND)
    final = pd.DataFrame({"iteration": 3, "target": cal.TARGET_NAMES, "target_value": profile.target_vector(),
                          "achieved": profile.target_vector() * 1.01, "error_pct": 1.0, "surrogate": 1.0,
                          "ratio": 1.0})
    return cal.CalibrationResult(
        profile=profile, profile_path=str(ENGLAND), scenario=cal.apply_parameters(base, params, slots),
        fragment=cal.fragment_data(base, params, slots), residuals=final, parameters=pd.DataFrame(),
        converged=True, iterations=3,
        settings={"population": 100_000, "years": 2, "replications": 2, "warmup_years": 1.0, "seed": 20250401,
                  "max_iterations": 6, "size_slots": True, "slot_quantile": 0.95},
        base_path=base_path, final=final)


def test_fragment_round_trips_through_extends(tmp_path):
    shutil.copy(BASELINE, tmp_path / "baseline.yaml")
    result = _fake_result(base_path=str(tmp_path / "baseline.yaml"))
    out = cal.write_fragment(result, tmp_path / "calibrated.yaml")
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../schemas/scenario.schema.json"
    assert "\nextends: baseline.yaml\nname: \"calibrated to England\"\n" in text
    loaded = load_scenario(out)
    assert loaded.name == "calibrated to England"
    assert loaded.model_copy(update={"name": "baseline"}).model_dump() == result.scenario.model_dump()
    child = tmp_path / "child.yaml"
    child.write_text("extends: calibrated.yaml\nname: child\nservices:\n  acute:\n    beds: 500\n", encoding="utf-8")
    sc = load_scenario(child)
    assert sc.name == "child" and sc.services.acute.beds == 500
    assert sc.demand.crisis_rate_per_person_year == result.scenario.demand.crisis_rate_per_person_year
    assert sc.routing.first_contact == result.scenario.routing.first_contact
    assert sc.services.gp.same_day_slots_per_weekday == 614


def test_fragment_holds_only_calibrated_fields_and_is_deterministic(tmp_path):
    result = _fake_result()
    a = cal.write_fragment(result, tmp_path / "a" / "frag.yaml", base=BASELINE).read_bytes()
    b = cal.write_fragment(result, tmp_path / "a" / "frag.yaml", base=BASELINE).read_bytes()
    assert a == b
    from simulation.scenario.yamlio import read_yaml

    data, _ = read_yaml(tmp_path / "a" / "frag.yaml")
    assert set(data) == {"extends", "name", "demand", "routing", "services"}
    assert set(data["demand"]) == {"crisis_rate_per_person_year"}
    assert set(data["routing"]) == {"first_contact"}
    assert data["demand"]["crisis_rate_per_person_year"]["age_0_17"] == 1.217  # 4 significant figures
    for a_ in ACUITIES:
        assert data["routing"]["first_contact"][a_]["ae_self"] == "remainder"
    text = (tmp_path / "a" / "frag.yaml").read_text(encoding="utf-8")
    assert "seed 20250401" in text and "emergency_admissions_per_1000.age_85_plus" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)  # no date


def test_fragment_without_base_has_no_extends():
    assert "extends:" not in cal.fragment_yaml(_fake_result())


# --- capacity sizing --------------------------------------------------------------


def test_unconstrained_demand_table():
    table = cal.unconstrained_demand(Scenario(), population=10_000, years=1, replications=1)
    pools = set(table["pool"])
    assert {"acute", "reablement", "intermediate_care", "home_care", "gp_slots", "ucr_visits"} <= pools
    assert (table["p99"] >= table["p90"]).all() and (table["max"] >= table["p99"]).all()
    assert table.set_index("pool").loc["acute", "mean"] > 0


# --- the whole calibration --------------------------------------------------------


@pytest.mark.parametrize("setting", [{"population": 500}, {"years": 11}, {"replications": 0},
                                     {"slot_quantile": 1.0}])
def test_calibrate_refuses_bad_settings_in_plain_words(setting):
    with pytest.raises(ValueError, match=next(iter(setting))):
        cal.calibrate(ENGLAND, **setting)


def test_calibrate_reports_a_bad_profile_located(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("targets: {}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="p.yaml:1"):
        cal.calibrate(bad)


@pytest.mark.slow
def test_calibration_reaches_the_england_targets_on_a_small_place():
    # at the calibrate command's default size: at 50,000 people the per-band noise of two short
    # replications (~3%) is as large as the tolerance itself
    result = cal.calibrate(ENGLAND, population=100_000, years=2, replications=2, max_iterations=8, jobs=2)
    assert result.converged, result.summary()
    assert (result.final["error_pct"].abs() <= 3.0).all()
    assert set(result.fragment) == {"demand", "routing", "services"}
