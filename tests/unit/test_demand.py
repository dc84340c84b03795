"""Crisis generation: counts match hazards, thinning keeps common random numbers, acuity mix, risk score."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.demand import BATCH_DAYS, MODIFIER_BOUND, U_ACCEPT, U_ACUITY, Calendar, Demand
from simulation.population import YEAR_DAYS, Population, age_band_of
from simulation.risk import c_statistic, top_fraction
from simulation.scenario import Scenario

SC = Scenario()


@pytest.fixture(scope="module")
def demand():
    pop = Population(SC.population, SC.run.seed, 0, 3)
    return Demand(SC, pop, Calendar(SC.run.start_date, 365))


def test_crisis_count_matches_the_hazards(demand):
    batch = demand.candidates(2)
    keep = batch.uniforms[:, U_ACCEPT] < demand.season_acceptance(batch.time)
    mid = 2.5 * BATCH_DAYS
    # expected accepted crises: sum of rates x days x mean season over the batch
    days = np.linspace(2 * BATCH_DAYS, 3 * BATCH_DAYS, 2001)
    expected = demand.rates(mid).sum() * BATCH_DAYS * demand.season(days).mean()
    got = keep.sum()
    assert abs(got - expected) < 4 * np.sqrt(expected), (got, expected)  # Poisson: 4 sd


def test_band_mean_rate_is_its_base_rate(demand):
    pop = demand.population
    rate = demand.rates(0.0) * YEAR_DAYS
    band = age_band_of(pop.age(0.0))
    mean = np.bincount(band, weights=rate, minlength=5) / np.bincount(band, minlength=5)
    base = np.array(SC.demand.crisis_rate_per_person_year.as_list())
    assert np.allclose(mean, base, rtol=1e-6)


def test_candidates_do_not_depend_on_the_scenario(demand):
    other = Scenario(services=SC.services.model_copy(update={"acute": SC.services.acute.model_copy(
        update={"beds": 999})}))
    d2 = Demand(other, Population(other.population, other.run.seed, 0, 3), Calendar(other.run.start_date, 365))
    a, b = demand.candidates(4), d2.candidates(4)
    assert np.array_equal(a.person, b.person) and np.array_equal(a.uniforms, b.uniforms)


def test_a_lower_hazard_thins_to_a_subset(demand):
    batch = demand.candidates(1)
    base = batch.uniforms[:, U_ACCEPT] < demand.season_acceptance(batch.time) * 1.0
    lower = batch.uniforms[:, U_ACCEPT] < demand.season_acceptance(batch.time) * 0.8
    assert lower.sum() < base.sum()
    assert np.all(base[lower])  # every crisis the lower hazard keeps, the baseline has too
    ratio = lower.sum() / base.sum()
    assert abs(ratio - 0.8) < 4 * np.sqrt(0.8 * 0.2 / base.sum())


def test_acceptance_never_exceeds_one(demand):
    t = np.linspace(0, 2 * YEAR_DAYS, 1000)
    assert demand.season_acceptance(t).max() * MODIFIER_BOUND <= 1.0 + 1e-12


def test_acuity_mix_by_band(demand):
    rng = np.random.default_rng(0)
    u = rng.random(200_000)
    band = np.full(u.size, 4)
    acuity = demand.acuity(band, u)
    mix = SC.demand.acuity_mix.age_85_plus.probabilities()
    got = np.bincount(acuity, minlength=3) / u.size
    assert np.allclose(got, [mix["minor"], mix["urgent"], mix["acute"]], atol=0.005)


def test_winter_peak(demand):
    cal = demand.calendar
    days = np.arange(0, 365)
    s = demand.season(days)
    peak_doy = cal.day_of_year(days[np.argmax(s)])
    assert abs(peak_doy - SC.demand.winter_peak_day_of_year) <= 1


def test_predicted_risk_reaches_its_c_statistic(demand):
    score, info = demand.predicted_risk(0.0)
    rate = demand.rates(0.0) * YEAR_DAYS
    present = rate > 0
    rng = np.random.default_rng(99)
    admitted = rng.random(present.sum()) < -np.expm1(-rate[present] * 0.15)
    c = c_statistic(score[present], admitted)
    target = SC.population.risk_score_c_statistic
    # outcome drawn afresh: sampling sd of the AUC at n=250k with ~8% cases is ~0.002
    assert abs(c - target) < 0.01, (c, target, info)
    assert info["c_max"] > target


_RNG = np.random.default_rng(3)


@pytest.mark.parametrize("score", [
    np.array([0.5, -1.0, 0.5, 7.0, -1.0, 0.5, np.inf, -np.inf]),
    np.array([2.0, 2.0, 2.0, 2.0]),  # all tied: 0.5
    np.round(_RNG.gamma(0.5, 1.0, 50_000), 2),  # many ties, as log expected rates have
    _RNG.standard_normal(50_000),
    _RNG.integers(0, 3, 20_000),  # whole-number scores
    _RNG.standard_normal(20_000).astype(np.float32),
])
def test_c_statistic_is_the_rank_formula_exactly(score):
    # the risk score's noise is searched on this value: it must be the rank-sum formula to the last bit
    from scipy.stats import rankdata

    outcome = np.arange(score.size) % 3 == 0
    n1, n0 = int(outcome.sum()), int((~outcome).sum())
    expected = (rankdata(score)[outcome].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0)
    assert c_statistic(score, outcome) == expected
    assert c_statistic(score, outcome.astype(np.int64)) == expected  # outcomes as 0/1 counts


def test_c_statistic_of_a_perfect_and_a_reversed_score_and_of_nothing_to_compare():
    outcome = np.array([False, False, True, True])
    assert c_statistic(np.array([1.0, 2.0, 3.0, 4.0]), outcome) == 1.0
    assert c_statistic(np.array([4.0, 3.0, 2.0, 1.0]), outcome) == 0.0
    assert np.isnan(c_statistic(np.array([1.0, 2.0]), np.array([True, True])))
    assert np.isnan(c_statistic(np.array([1.0, np.nan, 3.0, 4.0]), outcome))


def test_top_fraction_selects_the_highest_scores():
    score = np.array([0.1, 0.9, 0.5, 0.7, np.nan])
    eligible = np.array([True, True, True, True, False])
    assert top_fraction(score, eligible, 0.5).tolist() == [1, 3]
    assert top_fraction(score, eligible, 0.0).size == 0
