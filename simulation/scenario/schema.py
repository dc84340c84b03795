"""The scenario schema: every setting of a run, with units, limits, defaults and sources.

The defaults here are the baseline place; ``scenarios/baseline.yaml`` states them
again, commented, and a test keeps the two equal. Sources name entries of
``docs/evidence.md`` with a basis tag: R read in a published source, D derived
from R figures, M recollection not yet checked, A modelling assumption.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Union

from pydantic import Field, Strict, field_validator, model_validator

from .interventions import Intervention
from .money import MoneySettings
from .fields import (
    ACUITIES,
    AGE_BANDS,
    ByAgeBand,
    BySegment,
    Distribution,
    GrowthByAgeBand,
    Model,
    Probability,
    ProbabilityByAgeBand,
    ProbabilityTable,
    Share,
    bands,
    exponential,
    lognormal,
    sourced,
)

Capacity = Union[Annotated[int, Field(ge=0, le=10_000_000)], Literal["unlimited"]]
Date = Annotated[dt.date, Strict(False)]


# --- run --------------------------------------------------------------------------


class RunSettings(Model):
    """When the simulated period starts, how long it lasts and how it is replicated."""

    start_date: Date = sourced(
        dt.date(2025, 4, 1), "First day of reporting year 1 (after the warm-up); the start of a financial year.", unit="date"
    )
    horizon_years: Annotated[int, Field(ge=1, le=10)] = sourced(
        5, "Reported years after the warm-up.", unit="years", source="A: product brief (3-10 years)"
    )
    warmup_years: Annotated[float, Field(ge=0.0, le=5.0)] = sourced(
        1.0,
        "Simulated time before year 1 that fills beds, caseloads and packages; excluded from every output.",
        unit="years",
        source="A: checked by the MSER-5 warm-up test",
    )
    replications: Annotated[int, Field(ge=1, le=1000)] = sourced(
        5, "Independent replications; replication k uses the same random numbers in every scenario.", unit="runs"
    )
    seed: Annotated[int, Field(ge=0, le=10**15)] = sourced(
        20250401, "Root seed of every random stream.", unit="integer"
    )


# --- population -------------------------------------------------------------------


class SegmentPrevalence(Model):
    """Share of each age band in the long-term condition, complex and frailty segments at the start."""

    ltc: ProbabilityByAgeBand
    complex: ProbabilityByAgeBand
    frailty: ProbabilityByAgeBand

    @model_validator(mode="after")
    def _fits_in_band(self) -> "SegmentPrevalence":
        for band in AGE_BANDS:
            total = getattr(self.ltc, band) + getattr(self.complex, band) + getattr(self.frailty, band)
            if total > 1.0 + 1e-9:
                raise ValueError(f"{band}: ltc + complex + frailty = {total:.4g}, more than 1 (healthy is the rest)")
        return self


class SegmentProgression(Model):
    """Annual probability of moving one segment up (healthy -> LTC -> complex -> frailty)."""

    healthy_to_ltc: ProbabilityByAgeBand
    ltc_to_complex: ProbabilityByAgeBand
    complex_to_frailty: ProbabilityByAgeBand


class PopulationSettings(Model):
    """The synthetic population of the place and how it changes."""

    size: Annotated[int, Field(ge=1000, le=5_000_000)] = sourced(
        250_000, "People in the place at the start of the warm-up.", unit="people", source="A: product brief"
    )
    age_band_shares: ByAgeBand = sourced(
        bands(0.21, 0.605, 0.10, 0.06, 0.025),
        "Share of the population in each age band at the start; must sum to 1.",
        unit="share",
        source="M: ONS mid-2021 bands (evidence: population-age-bands); 65+ = 18.5% vs 18.4% R (Census 2021)",
    )
    latent_risk_variance: Annotated[float, Field(gt=0.0, le=10.0)] = sourced(
        1.0,
        "Variance of each person's gamma-distributed crisis-risk multiplier (mean 1). Higher = more concentrated use.",
        unit="dimensionless",
        source="A: chosen so the top 5% carry roughly half of emergency use (evidence: cost-concentration)",
    )
    segment_prevalence: SegmentPrevalence = sourced(
        SegmentPrevalence(
            ltc=bands(0.10, 0.30, 0.38, 0.30, 0.20, ProbabilityByAgeBand),
            complex=bands(0.01, 0.08, 0.30, 0.40, 0.40, ProbabilityByAgeBand),
            frailty=bands(0.0, 0.01, 0.06, 0.15, 0.35, ProbabilityByAgeBand),
        ),
        "Initial segment shares by age; healthy is the rest.",
        unit="share",
        source="D: multimorbidity 8% (25-34) to 76% (75+), McLean 2014; 93% at 85 (Collerton 2016) (evidence: multimorbidity)",
    )
    progression_per_year: SegmentProgression = sourced(
        SegmentProgression(
            healthy_to_ltc=bands(0.005, 0.02, 0.05, 0.07, 0.08, ProbabilityByAgeBand),
            ltc_to_complex=bands(0.005, 0.02, 0.06, 0.09, 0.12, ProbabilityByAgeBand),
            complex_to_frailty=bands(0.0, 0.005, 0.03, 0.07, 0.12, ProbabilityByAgeBand),
        ),
        "Annual probability of moving up a segment.",
        unit="probability per year",
        source="A: set so segment shares by age stay near their initial values over 10 years",
    )
    mortality_per_1000: ByAgeBand = sourced(
        bands(0.3, 2.0, 15.0, 45.0, 150.0),
        "Annual deaths per 1,000 people in each age band (about 0.9% of all people a year).",
        unit="deaths per 1,000 person-years",
        source="M: ONS death rates by age (evidence: mortality); total ~0.9%/yr matches evidence: end-of-life",
    )
    segment_mortality_multiplier: BySegment = sourced(
        BySegment(healthy=0.3, ltc=1.0, complex=2.5, frailty=8.0, end_of_life=1.0),
        "Relative death hazard by segment within an age band (rescaled so each band keeps its rate; end_of_life is "
        "not used: that segment is defined by dying within a year).",
        unit="ratio",
        source="A",
    )
    risk_score_c_statistic: Annotated[float, Field(gt=0.5, lt=1.0)] = sourced(
        0.75,
        "Accuracy of the predicted-risk score used to select people for case management: its c-statistic "
        "for an emergency admission in the next year (0.5 = chance).",
        unit="c-statistic",
        source="A: emergency-admission risk tools typically report c of about 0.7-0.8 (to verify; docs/evidence.md gaps)",
    )
    growth_pct_per_year: GrowthByAgeBand = sourced(
        GrowthByAgeBand(age_0_17=0.0, age_18_64=0.3, age_65_74=1.5, age_75_84=2.7, age_85_plus=3.0),
        "Projected growth of each band; births and net migration fill the gap left by ageing and deaths.",
        unit="% per year",
        source="D: 65+ +2.1%/yr and 85+ +3.0%/yr, ONS 2008-based SNPP (evidence: demography)",
    )

    @model_validator(mode="after")
    def _shares_sum(self) -> "PopulationSettings":
        total = sum(self.age_band_shares.as_list())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"age_band_shares sum to {total:.6g}; they must sum to 1")
        return self


# --- demand -----------------------------------------------------------------------


class AcuityMix(ProbabilityTable):
    """Share of crises that are minor, urgent (manageable at home) or need acute care."""

    minor: Share
    urgent: Share
    acute: Share


class AcuityMixByAgeBand(Model):
    """Acuity mix for each age band."""

    age_0_17: AcuityMix
    age_18_64: AcuityMix
    age_65_74: AcuityMix
    age_75_84: AcuityMix
    age_85_plus: AcuityMix


def _mix(minor: float, urgent: float) -> AcuityMix:
    return AcuityMix(minor=minor, urgent=urgent, acute="remainder")


class DemandSettings(Model):
    """Crises: acute health or care needs that would normally lead to an urgent contact."""

    crisis_rate_per_person_year: ByAgeBand = sourced(
        bands(0.9576, 0.5229, 0.8473, 1.214, 1.983),
        "Mean crises per person a year in each age band (before segment, latent risk and season).",
        unit="crises per person-year",
        source="D: calibrated to the England profile at 250,000 people, every target within 3% (docs/calibration.md)",
    )
    segment_rate_multiplier: BySegment = sourced(
        BySegment(healthy=0.5, ltc=1.0, complex=2.0, frailty=3.0, end_of_life=5.0),
        "Relative crisis rate by segment within an age band (rescaled so each band keeps its mean rate).",
        unit="ratio",
        source="R/A: people with LTCs use >70% of bed days (evidence: ltc-resource-use); EoL ~15% of EA (evidence: end-of-life)",
    )
    care_home_rate_multiplier: Annotated[float, Field(ge=0.0, le=2.0)] = sourced(
        1.5, "Crisis rate of care-home residents relative to others of the same age and segment.", unit="ratio", source="A"
    )
    winter_amplitude: Annotated[float, Field(ge=0.0, le=0.5)] = sourced(
        0.10,
        "Seasonal swing in crisis rates: rate x (1 + amplitude x cos(2 pi (day - peak) / 365)).",
        unit="share",
        source="A: winter pressure in NHS sitreps",
    )
    winter_peak_day_of_year: Annotated[int, Field(ge=1, le=366)] = sourced(
        15, "Day of the calendar year when crisis rates peak.", unit="day of year", source="A: mid-January"
    )
    acuity_mix: AcuityMixByAgeBand = sourced(
        AcuityMixByAgeBand(
            age_0_17=_mix(0.65, 0.31),
            age_18_64=_mix(0.55, 0.35),
            age_65_74=_mix(0.42, 0.40),
            age_75_84=_mix(0.35, 0.42),
            age_85_plus=_mix(0.28, 0.44),
        ),
        "Acuity of crises by age band.",
        unit="share",
        source="A: conversion rising with age (evidence: ae-conversion-by-age)",
    )
    readmission_extra_probability: Probability = sourced(
        0.18,
        "Chance that an overnight discharge is followed by an extra, acute crisis within the readmission window "
        "(on top of the person's usual rate).",
        unit="probability",
        source="A: with usual rates gives ~12-15% 30-day readmission (evidence: readmission)",
    )
    readmission_window_days: Annotated[float, Field(gt=0.0, le=365.0)] = sourced(
        30.0, "Window after discharge in which the extra crisis falls.", unit="days", source="R: NHS 30-day measure"
    )


# --- routing ----------------------------------------------------------------------


class FirstContact(ProbabilityTable):
    """Where a crisis first goes."""

    gp: Share
    nhs111: Share
    ambulance: Share
    ae_self: Share


class GpOutcome(ProbabilityTable):
    """What the GP does with an urgent same-day contact."""

    managed: Share
    ucr: Share
    ae: Share
    direct_admission: Share


class GpNoSlot(ProbabilityTable):
    """What happens when no same-day GP slot is left."""

    nhs111: Share
    ae_self: Share
    next_day: Share


class Nhs111Outcome(ProbabilityTable):
    """NHS 111 / single point of access triage outcome."""

    self_care: Share
    gp: Share
    ucr: Share
    ambulance: Share
    ae: Share


class AmbulanceOutcome(ProbabilityTable):
    """Ambulance incident outcome."""

    hear_and_treat: Share
    see_and_treat: Share
    refer_ucr: Share
    convey: Share


class UcrOutcome(ProbabilityTable):
    """Urgent community response (2-hour) outcome."""

    managed: Share
    ae: Share


class ByAcuity(Model):
    """Per-acuity wrapper: subclasses set the value type."""


def _by_acuity(name: str, table: type) -> type:
    return type(name, (ByAcuity,), {"__annotations__": {a: table for a in ACUITIES}, "__module__": __name__,
                                    "__qualname__": name, "__doc__": f"{table.__doc__} By acuity."})


FirstContactByAcuity = _by_acuity("FirstContactByAcuity", FirstContact)
GpOutcomeByAcuity = _by_acuity("GpOutcomeByAcuity", GpOutcome)
Nhs111OutcomeByAcuity = _by_acuity("Nhs111OutcomeByAcuity", Nhs111Outcome)
AmbulanceOutcomeByAcuity = _by_acuity("AmbulanceOutcomeByAcuity", AmbulanceOutcome)
UcrOutcomeByAcuity = _by_acuity("UcrOutcomeByAcuity", UcrOutcome)


class AdmissionProbabilityByAcuity(Model):
    """Probability of admission after A&E assessment, by acuity."""

    minor: Probability
    urgent: Probability
    acute: Probability


R = "remainder"


class RoutingSettings(Model):
    """Every routing probability of the patient journey (the pathway reads them; services never do)."""

    first_contact: FirstContactByAcuity = sourced(
        FirstContactByAcuity(
            minor=FirstContact(gp=0.5311, nhs111=0.3186, ambulance=0.03479, ae_self=R),
            urgent=FirstContact(gp=0.3672, nhs111=0.2869, ambulance=0.2088, ae_self=R),
            acute=FirstContact(gp=0.157, nhs111=0.1884, ambulance=0.5393, ae_self=R),
        ),
        "First point of contact by acuity.",
        unit="probability",
        source="D: calibrated to ambulance 150/1,000 and type 1 A&E 270/1,000 (evidence: ambulance-incidents, "
        "ae-attendances; docs/calibration.md)",
    )
    gp_outcome: GpOutcomeByAcuity = sourced(
        GpOutcomeByAcuity(
            minor=GpOutcome(managed=R, ucr=0.01, ae=0.04, direct_admission=0.0),
            urgent=GpOutcome(managed=R, ucr=0.08, ae=0.13, direct_admission=0.12),
            acute=GpOutcome(managed=R, ucr=0.05, ae=0.25, direct_admission=0.60),
        ),
        "GP decision after a same-day urgent contact.",
        unit="probability",
        source="A: direct admissions (GP, same-day emergency care) set so ~70% of admissions come via A&E and "
        "conversion is 20-29% (evidence: ae-conversion)",
    )
    gp_no_slot: GpNoSlot = sourced(
        GpNoSlot(nhs111=0.5, ae_self=0.2, next_day=R),
        "What people do when no same-day GP slot is left (next_day retries the next open day).",
        unit="probability",
        source="A",
    )
    nhs111_outcome: Nhs111OutcomeByAcuity = sourced(
        Nhs111OutcomeByAcuity(
            minor=Nhs111Outcome(self_care=0.55, gp=0.30, ucr=0.02, ambulance=0.03, ae=R),
            urgent=Nhs111Outcome(self_care=0.20, gp=0.35, ucr=0.10, ambulance=0.13, ae=R),
            acute=Nhs111Outcome(self_care=0.0, gp=0.10, ucr=0.05, ambulance=0.55, ae=R),
        ),
        "NHS 111 triage outcome; ~18-22% of calls end in 999 or A&E (evidence: nhs111-disposition).",
        unit="probability",
        source="R/A: evidence: nhs111-disposition",
    )
    ambulance_outcome: AmbulanceOutcomeByAcuity = sourced(
        AmbulanceOutcomeByAcuity(
            minor=AmbulanceOutcome(hear_and_treat=0.30, see_and_treat=0.45, refer_ucr=0.05, convey=R),
            urgent=AmbulanceOutcome(hear_and_treat=0.15, see_and_treat=0.30, refer_ucr=0.05, convey=R),
            acute=AmbulanceOutcome(hear_and_treat=0.03, see_and_treat=0.07, refer_ucr=0.0, convey=R),
        ),
        "Ambulance outcome; nationally ~15% hear-and-treat, ~30% see-and-treat, ~55% conveyed.",
        unit="probability",
        source="M: AQI 2023/24 mix (evidence: ambulance-outcomes); R: 72% of face-to-face conveyed (2012/13)",
    )
    ucr_outcome: UcrOutcomeByAcuity = sourced(
        UcrOutcomeByAcuity(
            minor=UcrOutcome(managed=0.97, ae=R),
            urgent=UcrOutcome(managed=0.85, ae=R),
            acute=UcrOutcome(managed=0.45, ae=R),
        ),
        "Urgent community response outcome.",
        unit="probability",
        source="A",
    )
    ae_admission_probability: AdmissionProbabilityByAcuity = sourced(
        AdmissionProbabilityByAcuity(minor=0.02, urgent=0.18, acute=0.67),
        "Probability of admission after A&E by acuity; overall conversion 20-29% (evidence: ae-conversion).",
        unit="probability",
        source="D: calibrated to 20-29% conversion (evidence: ae-conversion)",
    )
    ucr_to_ae_by_ambulance: Probability = sourced(
        0.6, "Share of UCR escalations to A&E that travel by ambulance.", unit="probability", source="A"
    )


# --- services ---------------------------------------------------------------------


class GpSettings(Model):
    """GP practices' same-day urgent capacity (slots per day, not servers)."""

    same_day_slots_per_weekday: Capacity = sourced(
        444, "Same-day slots for urgent crises on each weekday across the place's practices.", unit="slots per day",
        source="D: sized in calibration to meet requests on 95% of open days, so slots run out on busy days "
        "(docs/calibration.md)",
    )
    open_weekends: bool = sourced(
        False, "Whether practices offer same-day slots on Saturday and Sunday.", unit="flag",
        source="A: core GP contract hours are weekdays; weekend urgent care goes through 111",
    )


class Nhs111Settings(Model):
    """NHS 111 call handling."""

    call_handlers: Capacity = sourced(3, "Call handlers on duty at any time.", unit="handlers", source="A")
    call_minutes: Distribution = sourced(
        lognormal(12.0, 6.0), "Call handling time.", unit="minutes", source="A"
    )


class AmbulanceSettings(Model):
    """Ambulance crews: job cycle, and handover at A&E when A&E is full."""

    crews: Capacity = sourced(12, "Crews on duty at any time.", unit="crews", source="A: ~100 incidents/day at ~1.5 h/job")
    job_hours: Distribution = sourced(
        lognormal(1.4, 0.6), "Time from dispatch to clear, excluding handover waits.", unit="hours", source="A"
    )
    max_handover_minutes: Annotated[float, Field(gt=0.0, le=1440.0)] = sourced(
        45.0, "Longest a crew waits to hand a patient over at a full A&E before it is released (the patient "
        "keeps waiting for a cubicle).", unit="minutes",
        source="A: NHS 'release to respond' 45-minute handover practice (to verify; docs/evidence.md gaps)",
    )


class UcrSettings(Model):
    """Urgent community (2-hour) response: visits per day."""

    visits_per_day: Capacity = sourced(
        29, "2-hour response visits available each day.", unit="visits per day",
        source="D: sized in calibration to meet requests on 95% of days (docs/calibration.md)",
    )


class AeSettings(Model):
    """Type 1 A&E department."""

    cubicles: Capacity = sourced(
        50, "Assessment and treatment spaces (a patient waiting for a bed keeps one, up to max_boarding_hours).",
        unit="cubicles", source="A"
    )
    max_boarding_hours: Annotated[float, Field(gt=0.0, le=1000.0)] = sourced(
        4.0, "Hours an admitted patient waiting for a bed keeps a cubicle before moving to a corridor or "
        "escalation space (still waiting for the bed, still counted in the department).", unit="hours",
        source="A: without it a full hospital stops A&E seeing anyone; corridor care is routine when beds are "
        "full (evidence: ae-4h)",
    )
    time_in_department_hours: Distribution = sourced(
        lognormal(3.0, 2.0),
        "Time from arrival to discharge or decision to admit, when a cubicle is free.",
        unit="hours",
        source="A: median ~2.5 h, consistent with 4-hour performance in the 70s%",
    )


class AcuteSettings(Model):
    """Acute (general and acute) beds for emergency admissions."""

    beds: Capacity = sourced(
        445,
        "Beds available for emergency admissions.",
        unit="beds",
        source="D: unconstrained emergency demand ~380 occupied beds at 250k plus ~25 beds of patients whose "
        "supported discharge is being arranged, sized to ~90% mean occupancy (docs/calibration.md); cf. 1.8 G&A "
        "beds per 1,000 = 450 (evidence: beds-per-1000)",
    )
    zero_day_share: ProbabilityByAgeBand = sourced(
        bands(0.50, 0.40, 0.30, 0.25, 0.20, ProbabilityByAgeBand),
        "Share of admissions discharged the same day (zero-night stays); ~1/3 overall.",
        unit="probability",
        source="R: ~1/3 of emergency admissions are zero-day (evidence: zero-day); A: the gradient by age",
    )
    zero_day_stay_hours: Distribution = sourced(
        lognormal(8.0, 4.0), "Length of a zero-night stay.", unit="hours", source="A"
    )
    overnight_los_mean_days: ByAgeBand = sourced(
        bands(2.5, 6.0, 8.5, 10.5, 12.5),
        "Mean time to medically fit for overnight stays, by age band.",
        unit="days",
        source="R: mean EA LOS 7.9-9.1 d; 85+ 10.8-12.5 d (evidence: los), read as overnight stays (A)",
    )
    overnight_los_cv: Annotated[float, Field(gt=0.0, le=5.0)] = sourced(
        1.3, "Coefficient of variation of overnight length of stay (lognormal).", unit="ratio",
        source="D/M: CV 1.2-1.5 (evidence: los-shape)",
    )


class ReablementSettings(Model):
    """Reablement (short-term support to maximise independence)."""

    places: Capacity = sourced(
        70, "People who can be in reablement at once.", unit="places",
        source="D: ~1,100 ST-Max episodes a year for 250k (evidence: st-max) x ~3 weeks, with ~20% headroom so "
        "that growing demand does not make the queue (and the acute beds it blocks) grow without bound",
    )
    duration_days: Distribution = sourced(
        lognormal(21.0, 10.0), "Length of a reablement episode (capped at 42 days).", unit="days",
        source="R: up to 6 weeks, often 1-2 (evidence: reablement-duration)",
    )
    outcome: "ReablementOutcome" = sourced(
        lambda: ReablementOutcome(no_further_support=0.71, home_care=0.08, care_home=0.11, hospital="remainder"),
        "Outcome at the end of reablement.", unit="probability",
        source="R/A: 75-80% need no further support nationally (evidence: ascof-2d); here a little lower, with more "
        "care-home and hospital endings, so ~82% are at home 91 days after discharge (evidence: ascof-2b1)",
    )
    community_referrals_per_year: Annotated[float, Field(ge=0.0, le=1e6)] = sourced(
        350.0, "Referrals to reablement from the community (not from hospital) a year.", unit="per year",
        source="D: ST-Max total minus hospital discharges (evidence: st-max)",
    )


class ReablementOutcome(ProbabilityTable):
    """Where people go at the end of reablement."""

    no_further_support: Share
    home_care: Share
    care_home: Share
    hospital: Share


class IntermediateCareSettings(Model):
    """Bed-based intermediate care (discharge pathway 2)."""

    beds: Capacity = sourced(
        32, "Rehabilitation beds.", unit="beds",
        source="D: unconstrained demand ~26 beds (docs/calibration.md) with ~20% headroom"
    )
    stay_days: Distribution = sourced(lognormal(24.0, 12.0), "Length of stay.", unit="days", source="A")
    outcome: "IntermediateCareOutcome" = sourced(
        lambda: IntermediateCareOutcome(home=0.55, home_care=0.30, care_home=R),
        "Destination after intermediate care.", unit="probability", source="A",
    )


class IntermediateCareOutcome(ProbabilityTable):
    """Where people go after an intermediate-care bed."""

    home: Share
    home_care: Share
    care_home: Share


class HomeCareSettings(Model):
    """Long-term home-care packages."""

    packages: Capacity = sourced(
        2240, "Packages that can run at once.", unit="packages",
        source="D: unconstrained demand ~2,150 packages (docs/calibration.md); ~0.9% of people receive home care"
    )
    package_days: Distribution = sourced(
        exponential(600.0), "Time a package lasts (ends by recovery, death or a care-home move).", unit="days", source="A"
    )
    community_starts_per_year: Annotated[float, Field(ge=0.0, le=1e6)] = sourced(
        600.0, "New packages requested from the community (not from hospital) a year.", unit="per year", source="A"
    )


class CareHomeSettings(Model):
    """Care-home beds (permanent placements); a placement lasts until the resident dies."""

    beds: Capacity = sourced(
        1900, "Care-home beds for older people in the place.", unit="beds",
        source="D: above the ~1,700 residents the place settles at (admissions ~450 a year x ~3.6-year stays; "
        "docs/calibration.md); ~0.76% of the population"
    )
    initial_occupancy: Probability = sourced(
        0.9, "Share of beds filled at the start of the warm-up.", unit="share", source="A"
    )
    end_of_life_placement_weight: Annotated[float, Field(ge=0.0, le=100.0)] = sourced(
        12.0,
        "How much more likely a person in their last year is to be placed than another frail person aged 75+ "
        "(sets how long placements last; residents at the start are drawn without it).",
        unit="ratio",
        source="A: median survival in care homes of about 2 years; raised from 4 so that the stock stays within "
        "its beds over 5 years (care-home deaths were ~10% of deaths, England 21%: evidence: place-of-death)",
    )
    community_admissions_per_year: Annotated[float, Field(ge=0.0, le=1e6)] = sourced(
        150.0, "Permanent admissions from the community (not via hospital) a year.", unit="per year",
        source="D: ASCOF 2A 584 per 100k 65+ council-funded, ~x1.5 with self-funders (evidence: ascof-2a)",
    )


class CommunityNursingSettings(Model):
    """Community nursing caseload (P1 'community support' discharges)."""

    caseload: Capacity = sourced(
        "unlimited", "People the community nursing teams can hold on their caseload at once (a full caseload "
        "delays P1 community-support discharges).", unit="people", source="A: not a binding limit by default",
    )
    episode_days: Distribution = sourced(
        lognormal(28.0, 21.0), "Time a person stays on the caseload after discharge.", unit="days", source="A"
    )
    visits_per_week: Annotated[float, Field(ge=0.0, le=50.0)] = sourced(
        2.0, "Visits a week to a person on the caseload (counted for costs).", unit="visits per week", source="A"
    )


class ServiceSettings(Model):
    """Capacity and service times of every setting; routing lives in `routing`."""

    gp: GpSettings = sourced(GpSettings, "GP practices.")
    nhs111: Nhs111Settings = sourced(Nhs111Settings, "NHS 111 / single point of access.")
    ambulance: AmbulanceSettings = sourced(AmbulanceSettings, "Ambulance service.")
    ucr: UcrSettings = sourced(UcrSettings, "Urgent community response.")
    ae: AeSettings = sourced(AeSettings, "A&E.")
    acute: AcuteSettings = sourced(AcuteSettings, "Acute beds.")
    reablement: ReablementSettings = sourced(ReablementSettings, "Reablement.")
    intermediate_care: IntermediateCareSettings = sourced(IntermediateCareSettings, "Intermediate-care beds.")
    home_care: HomeCareSettings = sourced(HomeCareSettings, "Home care.")
    care_homes: CareHomeSettings = sourced(CareHomeSettings, "Care homes.")
    community_nursing: CommunityNursingSettings = sourced(CommunityNursingSettings, "Community nursing.")


class EndOfLifeSettings(Model):
    """Where people die: a share of deaths follow a terminal admission."""

    terminal_admission_probability_home: Probability = sourced(
        0.45, "Chance that a person dying at home is first admitted and dies in hospital.", unit="probability",
        source="D: calibrated to 43% of deaths in hospital (evidence: place-of-death)",
    )
    terminal_admission_probability_care_home: Probability = sourced(
        0.20, "Chance that a care-home resident who is dying is first admitted and dies in hospital.",
        unit="probability", source="D: calibrated to 43% hospital / 21% care-home deaths (evidence: place-of-death)",
    )
    terminal_stay_days: Distribution = sourced(
        lognormal(8.0, 8.0), "Length of a terminal admission.", unit="days", source="A"
    )
    hospice_share_of_home_deaths: Probability = sourced(
        0.20, "Share of deaths of people living at home, outside hospital, that happen in a hospice or elsewhere.",
        unit="share", source="R: 2022 home 28.7%, hospice 4.7%, other 2.6% (evidence: place-of-death)",
    )


# --- discharge --------------------------------------------------------------------


class PathwayMix(ProbabilityTable):
    """Discharge-to-assess pathways: P0 home, P1 home with support, P2 rehab bed, P3 care home."""

    p0: Share
    p1: Share
    p2: Share
    p3: Share


class PathwayMixByAgeBand(Model):
    """Discharge pathway mix for each age band (overnight stays of people living at home)."""

    age_0_17: PathwayMix
    age_18_64: PathwayMix
    age_65_74: PathwayMix
    age_75_84: PathwayMix
    age_85_plus: PathwayMix


class P1Split(ProbabilityTable):
    """What 'home with support' means for a P1 discharge."""

    reablement: Share
    home_care: Share
    community_support: Share


class DischargeSettings(Model):
    """Discharge from acute beds."""

    pathway_mix: PathwayMixByAgeBand = sourced(
        PathwayMixByAgeBand(
            age_0_17=PathwayMix(p0=R, p1=0.0, p2=0.0, p3=0.0),
            age_18_64=PathwayMix(p0=R, p1=0.06, p2=0.008, p3=0.002),
            age_65_74=PathwayMix(p0=R, p1=0.20, p2=0.025, p3=0.005),
            age_75_84=PathwayMix(p0=R, p1=0.32, p2=0.045, p3=0.012),
            age_85_plus=PathwayMix(p0=R, p1=0.42, p2=0.07, p3=0.025),
        ),
        "Pathway mix by age; planning norm for adults ~P0 50%, P1 45%, P2 4%, P3 1% (older people weigh more).",
        unit="probability",
        source="R: DHSC discharge guidance 2022 planning norm (evidence: discharge-pathways)",
    )
    p1_split: P1Split = sourced(
        P1Split(reablement=0.25, home_care=0.25, community_support=R),
        "What support a P1 discharge needs.",
        unit="probability",
        source="A",
    )
    arrangement_days: Distribution = sourced(
        lognormal(2.0, 2.0),
        "Time to arrange a supported discharge (pathways 1-3: assessment, package or placement set-up) once "
        "medically fit, before the place is asked for; spent in the acute bed and counted as delayed.",
        unit="days",
        source="A: tuned so that delayed discharges hold ~5-10% of beds with downstream capacity not short "
        "(evidence: delayed-discharge, fit-to-discharge-wait)",
    )
    weekend_discharge_factor: Probability = sourced(
        0.5,
        "Share of P0 patients who become fit at a weekend and are discharged that day (the rest wait to Monday). "
        "1 = seven-day services.",
        unit="probability",
        source="A",
    )


# --- the scenario -----------------------------------------------------------------


class Scenario(Model):
    """One scenario: a complete, resolved description of the place and what it changes."""

    name: Annotated[str, Field(min_length=1, max_length=80)] = sourced(
        "baseline", "Short name shown in tables, plots and the report.", unit="text"
    )
    description: Annotated[str, Field(max_length=4000)] = sourced("", "What the scenario tests, in plain words.", unit="text")
    run: RunSettings = sourced(RunSettings, "Time and replications.")
    population: PopulationSettings = sourced(PopulationSettings, "The synthetic population.")
    demand: DemandSettings = sourced(DemandSettings, "Crises.")
    routing: RoutingSettings = sourced(RoutingSettings, "Routing probabilities.")
    services: ServiceSettings = sourced(ServiceSettings, "Service capacities and times.")
    discharge: DischargeSettings = sourced(DischargeSettings, "Discharge from hospital.")
    end_of_life: EndOfLifeSettings = sourced(EndOfLifeSettings, "Deaths and their place.")
    interventions: list[Intervention] = sourced(
        list, "Changes to the place that start on a date and ramp up (see docs/scenario-reference.md).")
    money: MoneySettings = sourced(
        MoneySettings, "Unit costs, who bears them, payment models and discounting (see docs/money.md).")

    @field_validator("name")
    @classmethod
    def _name_printable(cls, name: str) -> str:
        if any(ord(c) < 32 for c in name):
            raise ValueError("must not contain control characters")
        return name

    @field_validator("interventions")
    @classmethod
    def _unique_interventions(cls, items: list) -> list:
        names = [i.name for i in items]
        if len(set(names)) != len(names):
            raise ValueError(f"intervention names must be unique (got {names})")
        return items


ReablementSettings.model_rebuild()
IntermediateCareSettings.model_rebuild()


def default_scenario(**update: Any) -> Scenario:
    """The baseline scenario from schema defaults, optionally with top-level fields replaced."""
    return Scenario(**update)
