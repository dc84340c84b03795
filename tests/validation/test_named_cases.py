"""Named validation cases: the model reproduces what published evaluations found, for the reasons they found it.

The experiments live in :mod:`simulation.verification` (``python run_scenarios.py validation`` writes their
results to ``docs/validation.md``); each test runs the same experiment and asserts that its check is met. Each
case runs a small place (20,000-50,000 people, one reported year after a one-year or half-year warm-up, one
replication) with fixed seeds, so each is deterministic; tolerances are stated with the noise they allow for.
"""

from __future__ import annotations

from simulation import verification as v


def test_telehealth_whole_system_demonstrator():
    """Whole System Demonstrator telehealth trial (Steventon et al., BMJ 2012;344:e3874): 3,230 people with
    diabetes, COPD or heart failure; 0.54 vs 0.68 emergency admissions per head in the 12 months (ratio 0.79;
    adjusted OR for any admission 0.82, 95% CI 0.65-1.00).

    Inputs as in the trial: crisis hazard ratio 0.8 on an enrolled long-term-condition cohort (4,000 of 20,000
    adults in the ltc, complex and frailty segments, enrolled at once at the start). Output: the cohort's
    admissions after enrolment against the same people in the paired baseline (common random numbers). Capacity
    is unconstrained so congestion does not dilute the ratio (with finite capacity it is ~0.87 here: a system
    effect, reported by the model, not the trial's). Tolerance: ~700 baseline admissions in the cohort give a
    paired ratio sd of ~0.017 and terminal admissions (unaffected by the crisis hazard) pull it ~0.02 towards 1,
    so |ratio - 0.79| < 0.06, well inside the trial's own interval. The check also requires a cohort of 4,000
    (+-2%) with over 600 baseline admissions after enrolment.
    """
    check = v.check_telehealth()
    print(check)
    assert check.met, str(check)


def test_regression_to_the_mean_case_management():
    """Case management with no true effect (crisis hazard ratio 1.0; Gravelle et al., BMJ 2007;334:31 found no
    fall in admissions against matched controls; Roland et al. 2005 the same), evaluated the way such schemes
    often were: people with >= 2 emergency admissions in the year before enrolment, before against after.

    Enrolment is random among over-65s (caseload 3,000 of ~7,000), so within a matching stratum (age band,
    segment, prior admissions) cohort and controls are exchangeable and matching on those suffices. Expected:
    a large naive "reduction" (here ~ -1.5 admissions per person-year, over half the prior level), a matched
    control group with a similar fall, a difference-in-differences near zero and a true effect of exactly zero
    (the paired baseline is the same run). Tolerance: ~150 cases and their controls, after-year rates ~1 per
    person-year overdispersed, give a DiD sd of ~0.12; |DiD| < 0.35 (about 3 sd) and under a quarter of the
    naive change. The check also requires over 80 cases, 90% of them matched, at least 2 prior admissions, and
    naive and control falls both below -0.8.
    """
    check = v.check_regression_to_the_mean()
    print(check)
    assert check.met, str(check)


def test_bagust_occupancy_and_bed_crises():
    """Bagust, Place & Posnett (BMJ 1999;319:155): in a stochastic model of emergency admissions, days with no
    bed free are rare below ~80-85% mean occupancy, regular above 85% and frequent at 90% or more.

    A sweep of acute beds on a place of 50,000 (~89 beds in the baseline), one reported year each; a day has no
    free bed when the midnight census equals capacity. Tolerances are wide (one year is 365 correlated days;
    these are bands on a curve, not point estimates) and the curve must fall as beds are added.
    """
    check = v.check_bagust()
    print(check)
    assert check.met, str(check)


def test_bagust_bands_reject_points_off_the_curve():
    """The band rule itself (no simulation): points off Bagust's curve fail."""
    assert v.bagust_band_ok(0.72, 0.003) and v.bagust_band_ok(0.91, 0.41) and v.bagust_band_ok(0.83, 0.5)
    assert not v.bagust_band_ok(0.72, 0.05)   # crises at low occupancy
    assert not v.bagust_band_ok(0.80, 0.15)
    assert not v.bagust_band_ok(0.87, 0.01)   # too few at 85%+
    assert not v.bagust_band_ok(0.93, 0.20)   # too few at 90%+
