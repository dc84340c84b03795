"""The synthetic population: starting shares, growth, deaths, end of life, reproducibility, layout."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.population import END_OF_LIFE, YEAR_DAYS, Population, age_band_of
from simulation.scenario import Scenario
from simulation.scenario.fields import AGE_BANDS

SETTINGS = Scenario().population
N = SETTINGS.size


@pytest.fixture(scope="module")
def pop():
    p = Population(SETTINGS, root_seed=7, replication=0, years=8)
    return p


def test_age_band_shares_at_start_match_inputs(pop):
    band = age_band_of(pop.age(0.0))
    shares = np.bincount(band, minlength=5) / N
    expected = np.array(SETTINGS.age_band_shares.as_list())
    se = np.sqrt(expected * (1 - expected) / N)
    assert np.all(np.abs(shares - expected) < 4 * se), (shares, expected)  # 4 SE: multinomial sampling


def test_segment_prevalence_by_band_matches_inputs(pop):
    band = age_band_of(pop.age(0.0))
    seg = pop.cols.segment[: pop.n]
    prev = SETTINGS.segment_prevalence
    for b, name in enumerate(AGE_BANDS):
        in_band = band == b
        m = in_band.sum()
        for code, table in ((1, prev.ltc), (2, prev.complex), (3, prev.frailty)):
            p = getattr(table, name)
            got = (seg[in_band] == code).mean()
            assert abs(got - p) <= 4 * np.sqrt(max(p * (1 - p), 1e-9) / m) + 1e-12, (name, code, got, p)


def test_latent_risk_has_mean_one_and_configured_variance(pop):
    r = pop.cols.risk[: pop.n].astype(float)
    var = SETTINGS.latent_risk_variance
    assert abs(r.mean() - 1.0) < 4 * np.sqrt(var / N)
    assert abs(r.var() - var) < 0.05 * var  # sd of a gamma sample variance at n=250k is ~1% of var


def test_bands_follow_their_projection_over_five_years():
    p = Population(SETTINGS, root_seed=3, replication=0, years=7)
    start = np.bincount(age_band_of(p.age(0.0)), minlength=5).astype(float)
    for year in range(5):
        p.advance_year(year)
    day = 5 * YEAR_DAYS
    present = p.present(day)
    end = np.bincount(age_band_of(p.age(day))[present], minlength=5).astype(float)
    growth = (end / start) ** (1 / 5) - 1
    expected = np.array(SETTINGS.growth_pct_per_year.as_list()) / 100
    # entrants fill each band's gap at every year end, so growth matches to rounding (one person a band a year)
    assert np.all(np.abs(growth - expected) < 1e-4), (growth, expected)
    age = p.age(day)[present]
    start65 = (p.age(0.0)[p.present(0.0)] >= 65).sum()
    g65 = ((age >= 65).sum() / start65) ** 0.2 - 1
    assert 0.019 < g65 < 0.023  # the evidence: ~2.1%/yr for 65+


def test_first_year_deaths_match_the_hazards(pop):
    c = pop.cols
    band = age_band_of(pop.age(YEAR_DAYS / 2))
    hazard = pop._band_mortality[band] * pop._mortality_norm[band] * pop._seg_mortality[c.segment[: pop.n]]
    q = -np.expm1(-hazard)
    expected, sd = q.sum(), np.sqrt((q * (1 - q)).sum())
    deaths = len(pop.deaths_between(0.0, YEAR_DAYS))
    assert abs(deaths - expected) < 4 * sd, (deaths, expected, sd)
    assert 0.008 < deaths / N < 0.011  # ~0.9% of people a year (evidence: mortality, end-of-life)


def test_band_mortality_is_kept_whatever_the_segment_mix(pop):
    band = age_band_of(pop.age(YEAR_DAYS / 2))
    deaths = pop.deaths_between(0.0, YEAR_DAYS)
    rate = np.bincount(band[deaths], minlength=5) / np.bincount(band, minlength=5) * 1000
    target = np.array(SETTINGS.mortality_per_1000.as_list())
    for b in (2, 3, 4):  # bands with enough deaths for a 20% check
        assert abs(rate[b] - target[b]) < 0.2 * target[b], (b, rate[b], target[b])


def test_end_of_life_is_exactly_the_last_365_days(pop):
    day = 200.0
    seg = pop.segment_on(day)
    d = pop.cols.death_day[: pop.n]
    eol = (d > day) & (d - YEAR_DAYS <= day)
    assert np.array_equal(seg == END_OF_LIFE, eol)
    assert eol.sum() > 1000


def test_same_seed_same_population_other_replication_differs():
    a = Population(SETTINGS, 11, 0, 3)
    b = Population(SETTINGS, 11, 0, 3)
    c = Population(SETTINGS, 11, 1, 3)
    for name in ("birth_day", "segment", "risk", "death_day"):
        assert np.array_equal(getattr(a.cols, name)[: a.n], getattr(b.cols, name)[: b.n])
    assert not np.array_equal(a.cols.risk[: a.n], c.cols.risk[: c.n])


def test_advance_year_must_go_in_order():
    p = Population(SETTINGS.model_copy(update={"size": 5000}), 1, 0, 3)
    with pytest.raises(ValueError):
        p.advance_year(1)


def test_columns_stay_small_per_person(pop):
    # the layout, not a timing: benchmarks measure resident memory (docs/performance.md)
    assert pop.nbytes_per_person() <= 40
