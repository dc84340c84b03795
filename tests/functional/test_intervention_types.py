"""The intervention library: each type leaves the baseline alone until it acts, then moves its own outputs.

All comparisons are paired: the same place, seed and replication, so the crises, the people and every
baseline draw are the same (common random numbers). Effects in the direction tests are set large and the
interventions start at the beginning of the warm-up at full maturity, so the expected change is many
times the run-to-run noise of a 20,000-person place; the comments give the sizes seen.
"""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.economy import Economy
from simulation.interventions import intervention_key
from simulation.metrics import run_metrics
from tests.conftest import small_scenario
from tests.functional.test_interventions import UNCONSTRAINED, WARMUP_START, core, with_interventions

START = WARMUP_START.isoformat()
STEP = {"curve": "step"}

#: one strong example of every type added by the library (the four original types are tested elsewhere)
EXAMPLES = {
    "virtual_ward": {"type": "virtual_ward", "name": "vw", "beds_per_100k": 60.0,
                     "step_up": {"share": 0.5}, "step_down": {"share": 0.3},
                     "staffing": {"wte_per_unit": {"nurse": 0.5, "doctor": 0.1}}},
    "telehealth": {"type": "telehealth", "name": "th", "capacity_patients": 3000, "crisis_hazard_ratio": 1.0,
                   "early_alert_share": 0.5, "mortality_hazard_ratio": 0.3,
                   "eligibility": {"min_age": 18, "segments": ["ltc", "complex", "frailty"]}},
    "telecare": {"type": "telecare", "name": "tc", "capacity_patients": 3000, "conveyance_reduction": 0.8,
                 "eligibility": {"min_age": 65, "residence": "home"}},
    "self_management": {"type": "self_management", "name": "sm", "capacity_patients": 5000,
                        "crisis_hazard_ratio": 0.5, "eligibility": {"segments": ["ltc", "complex"]}},
    "single_point_of_access": {"type": "single_point_of_access", "name": "spa", "share": 0.6},
    "enhanced_health_care_homes": {"type": "enhanced_health_care_homes", "name": "ehch",
                                   "crisis_hazard_ratio": 0.5, "conveyance_reduction": 0.5},
    "reablement_expansion": {"type": "reablement_expansion", "name": "reab", "places": 30,
                             "home_care_to_reablement_share": 0.8},
    "ucr_expansion": {"type": "ucr_expansion", "name": "ucr", "visits_per_day": 20,
                      "ambulance_referral_share": 0.5},
    "home_care_capacity": {"type": "home_care_capacity", "name": "hc", "packages": 100},
}

#: the same types with no effect: zero shares, ratios of 1, no places
NO_EFFECT = {
    "virtual_ward": {"beds_per_100k": 0.0},
    "telehealth": {"early_alert_share": 0.0, "mortality_hazard_ratio": 1.0},
    "telecare": {"conveyance_reduction": 0.0},
    "self_management": {"crisis_hazard_ratio": 1.0},
    "single_point_of_access": {"share": 0.0},
    "enhanced_health_care_homes": {"crisis_hazard_ratio": 1.0, "conveyance_reduction": 0.0},
    "reablement_expansion": {"places": 0, "home_care_to_reablement_share": 0.0},
    "ucr_expansion": {"visits_per_day": 0, "ambulance_referral_share": 0.0},
    "home_care_capacity": {"packages": 0},
}


def item(kind: str, **update) -> dict:
    return {**EXAMPLES[kind], "start": START, "maturity": STEP, **update}


def run(*items: dict, replication: int = 0, **services) -> Economy:
    return Economy(with_interventions(small_scenario(**services), *items), replication).run()


def values(eco: Economy) -> pd.Series:
    table = run_metrics(eco)
    return table[table["year"] == "all"].set_index("metric")["value"]


@pytest.fixture(scope="module")
def base() -> pd.Series:
    return values(Economy(small_scenario(), 0).run())


@pytest.fixture(scope="module")
def base_core() -> pd.DataFrame:
    return core(run_metrics(Economy(small_scenario(), 0).run()))


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_a_start_after_the_horizon_changes_nothing(kind, base_core):
    eco = run(item(kind, start="2040-01-01"))
    pd.testing.assert_frame_equal(core(run_metrics(eco)), base_core, check_exact=True)


@pytest.mark.parametrize("kind", sorted(NO_EFFECT))
def test_no_effect_changes_nothing(kind, base_core):
    eco = run(item(kind, **NO_EFFECT[kind]))
    pd.testing.assert_frame_equal(core(run_metrics(eco)), base_core, check_exact=True)


def test_virtual_ward_avoids_admissions_and_frees_beds(base):
    v = values(run(item("virtual_ward")))
    key = intervention_key("vw")
    # 60 per 100,000 at 20,000 people: 12 places
    assert v[f"{key}_capacity"] == 12
    assert v[f"{key}_episodes"] > 500 and 0 < v[f"{key}_escalations"] < 0.25 * v[f"{key}_episodes"]
    assert 0.3 < v[f"{key}_occupancy"] <= 1.0
    # step-ups that would have been admitted; seen: ~10% fewer admissions, ~8% fewer occupied beds
    assert v["emergency_admissions"] < 0.97 * base["emergency_admissions"]
    assert v["acute_in_use_mean"] < base["acute_in_use_mean"]
    assert v[f"{key}_admissions_avoided"] <= v[f"{key}_episodes"] - v[f"{key}_escalations"]
    assert v[f"{key}_bed_days_released"] > v[f"{key}_admissions_avoided"]
    assert v[f"{key}_wte_nurse"] == pytest.approx(6.0) and v[f"{key}_wte"] == pytest.approx(7.2)


def test_telehealth_alerts_and_mortality(base):
    v = values(run(item("telehealth")))
    key = intervention_key("th")
    assert v[f"{key}_early_alerts"] > 100
    assert v[f"{key}_deaths_postponed"] > 10
    assert v["deaths"] < base["deaths"]
    assert v["emergency_admissions"] < base["emergency_admissions"]


def test_telecare_replaces_conveyances(base):
    v = values(run(item("telecare")))
    assert v[f"{intervention_key('tc')}_episodes"] > 50
    assert v["ambulance_conveyances"] < base["ambulance_conveyances"] - 50
    assert v["ae_attendances"] < base["ae_attendances"]


def test_self_management_lowers_crises(base):
    v = values(run(item("self_management")))
    assert v[f"{intervention_key('sm')}_crises_avoided"] > 100
    assert v["crises"] < base["crises"] - 100


def test_single_point_of_access_moves_crises_from_ae_to_community(base):
    v = values(run(item("single_point_of_access"), ucr={"visits_per_day": 200}))
    b = values(Economy(small_scenario(ucr={"visits_per_day": 200}), 0).run())
    assert v[f"{intervention_key('spa')}_episodes"] > 200
    assert v["ucr_visits"] > b["ucr_visits"] + 100
    assert v["ae_attendances"] < b["ae_attendances"] - 100


def test_enhanced_health_in_care_homes_lowers_residents_crises():
    """Without capacity limits, so that fewer crises are not offset by fewer crises lost to congestion
    (people still waiting in a queue cannot start another crisis)."""
    open_doors = {k: v for k, v in UNCONSTRAINED.items() if k != "care_homes"}  # care homes start full
    v = values(run(item("enhanced_health_care_homes"), **open_doors))
    b = values(Economy(small_scenario(**open_doors), 0).run())
    key = intervention_key("ehch")
    assert v[f"{key}_crises_avoided"] > 50
    assert v[f"{key}_in_use"] > 50  # residents covered
    assert v["crises"] < b["crises"] - 0.5 * v[f"{key}_crises_avoided"]


def test_reablement_expansion_adds_places_and_referrals(base):
    v = values(run(item("reablement_expansion")))
    assert v[f"{intervention_key('reab')}_capacity"] == small_scenario().services.reablement.places + 30
    assert v["reablement_episodes"] > base["reablement_episodes"]
    assert v[f"{intervention_key('reab')}_episodes"] > 0  # discharges redirected from home care


def test_ucr_expansion_adds_visits(base):
    v = values(run(item("ucr_expansion")))
    assert v["ucr_visits"] > base["ucr_visits"]
    assert v["ambulance_conveyances"] < base["ambulance_conveyances"]


def test_home_care_capacity_adds_packages():
    """With too few packages (100 for 20,000 people, all in use), the extra ones are taken up.

    They fill only as fast as people are referred (hospital discharges and community starts, a few a
    week here), so over one year the mean in use rises by ~8, not by 100."""
    v = values(run(item("home_care_capacity"), home_care={"packages": 100}))
    b = values(Economy(small_scenario(home_care={"packages": 100}), 0).run())
    assert v[f"{intervention_key('hc')}_capacity"] == 200
    assert b["home_care_in_use_mean"] > 95
    assert v["home_care_in_use_mean"] > b["home_care_in_use_mean"] + 5


def test_effect_multiplier_is_drawn_per_replication_and_shared_across_scenarios():
    draws = {"effect_multiplier": {"dist": "uniform", "low": 0.5, "high": 1.5},
             "midpoint_months": {"dist": "uniform", "low": 6, "high": 30}}
    sm = item("self_management", draws=draws, maturity={"curve": "logistic"})
    e0 = Economy(with_interventions(small_scenario(), sm), 0)
    e1 = Economy(with_interventions(small_scenario(), sm), 1)
    other = Economy(with_interventions(small_scenario(), item("telecare"), sm), 0)
    d0, d1, dother = (e.interventions._draws["sm"] for e in (e0, e1, other))
    assert d0[1] != d1[1] and 0.5 <= d0[1] <= 1.5 and 0.5 <= d1[1] <= 1.5
    assert d0[0].midpoint_months != d1[0].midpoint_months
    assert d0[1] == dother[1] and d0[0].midpoint_months == dother[0].midpoint_months
    it = e0.interventions.items[0]
    assert e0.interventions.level(it, 400.0)[1] == pytest.approx(
        d0[0].level((e0.calendar.date(400.0) - WARMUP_START).days / (365.0 / 12.0)) * d0[1])
