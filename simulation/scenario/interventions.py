"""The intervention schema: one outer form for every type, and the types themselves.

Every intervention has a type, a name, a start date, a maturity curve (capacity
and effect grow from 0 to 1), eligibility, effect parameters, staffing, costs
and the organisation that funds it. It acts only through the model's levers:
capacity, routing probabilities, crisis hazards (see
:mod:`simulation.interventions`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, ClassVar, Literal, Optional, Union

from pydantic import Field, Strict, model_validator

from .fields import ACUITIES, SEGMENTS, Distribution, Model, Probability, lognormal, sourced

Date = Annotated[dt.date, Strict(False)]
ORGANISATIONS = ("acute_trust", "community_provider", "primary_care", "ambulance_trust", "icb",
                 "local_authority", "self_funders")
Organisation = Literal["acute_trust", "community_provider", "primary_care", "ambulance_trust", "icb",
                       "local_authority", "self_funders"]
Segment = Literal["healthy", "ltc", "complex", "frailty", "end_of_life"]
#: Services whose capacity an intervention can change, and the field that holds it.
CAPACITY_SERVICES = {
    "acute": "beds", "ae": "cubicles", "ambulance": "crews", "nhs111": "call_handlers",
    "reablement": "places", "intermediate_care": "beds", "home_care": "packages", "care_homes": "beds",
    "community_nursing": "caseload", "gp": "same_day_slots_per_weekday", "ucr": "visits_per_day",
}
CapacityService = Literal["acute", "ae", "ambulance", "nhs111", "reablement", "intermediate_care", "home_care",
                          "care_homes", "community_nursing", "gp", "ucr"]


def _shifted_logistic(months: float, k: float, centre: float) -> float:
    """A logistic with slope k and centre c, shifted and rescaled to be 0 at month 0 and 1 at infinity."""
    s0 = 1.0 / (1.0 + math.exp(k * centre))
    s = 1.0 / (1.0 + math.exp(-k * (months - centre)))
    return max(0.0, min(1.0, (s - s0) / (1.0 - s0)))


class Maturity(Model):
    """How capacity and effect grow after the start: 0 at the start, 1 when mature.

    ``logistic``: an S-curve, 0 at the start, exactly 50% at ``midpoint_months``,
    its slope set by ``steepness_per_month`` (the curve is a logistic shifted and
    rescaled to start at 0, with its centre solved so the midpoint holds);
    ``linear``: a straight line to 1 at ``full_months``; ``step``: 1 at once.
    An optional fade lowers the *effect* (not the capacity) linearly to 0 over
    ``fade_months`` from ``fade_start``.
    """

    curve: Literal["step", "linear", "logistic"] = sourced(
        "logistic", "Shape of the ramp-up.", unit="choice",
        source="D/M: 50% at 12-18 months, 90% at ~36 months (evidence: implementation-ramp)")
    midpoint_months: Annotated[float, Field(ge=0.0, le=240.0)] = sourced(
        15.0, "Logistic: months from the start to 50% maturity.", unit="months",
        source="D/M: evidence: implementation-ramp")
    steepness_per_month: Annotated[float, Field(gt=0.0, le=10.0)] = sourced(
        0.09, "Logistic: slope; with the default midpoint, 0.09 a month gives 90% maturity at about 36 months.",
        unit="per month", source="D/M: 90% at ~36 months (evidence: implementation-ramp)")
    full_months: Annotated[float, Field(gt=0.0, le=240.0)] = sourced(
        24.0, "Linear: months from the start to full maturity.", unit="months", source="A")
    fade_start: Optional[Date] = sourced(None, "Date from which the effect fades (none: it does not).", unit="date")
    fade_months: Annotated[float, Field(gt=0.0, le=240.0)] = sourced(
        12.0, "Months over which a fading effect falls to 0.", unit="months", source="A")

    def level(self, months: float) -> float:
        """Maturity (0-1) `months` after the start (0 before it)."""
        if months < 0:
            return 0.0
        if self.curve == "step":
            return 1.0
        if self.curve == "linear":
            return min(1.0, months / self.full_months)
        k, c = self.steepness_per_month, self._centre()
        return _shifted_logistic(months, k, c)

    def _centre(self) -> float:
        """Centre of the underlying logistic such that the shifted curve is 50% at midpoint_months."""
        k, m = self.steepness_per_month, self.midpoint_months
        lo, hi = -240.0, m  # at centre m the shifted level at m is below 0.5; far earlier it is above
        for _ in range(80):  # the shifted level at m falls as the centre moves later
            mid = (lo + hi) / 2.0
            if _shifted_logistic(m, k, mid) > 0.5:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2.0

    def fade(self, day: dt.date) -> float:
        """Share of the effect left on `day` (1 without a fade)."""
        if self.fade_start is None or day < self.fade_start:
            return 1.0
        months = (day - self.fade_start).days / (365.0 / 12.0)
        return max(0.0, 1.0 - months / self.fade_months)


class Eligibility(Model):
    """Who an intervention can reach."""

    min_age: Annotated[int, Field(ge=0, le=120)] = sourced(0, "Youngest age eligible.", unit="years")
    max_age: Annotated[int, Field(ge=0, le=120)] = sourced(120, "Oldest age eligible.", unit="years")
    segments: list[Segment] = sourced(lambda: list(SEGMENTS), "Segments eligible.", unit="list")
    residence: Literal["any", "home", "care_home"] = sourced("any", "Where eligible people live.", unit="choice")
    top_risk_percent: Annotated[float, Field(gt=0.0, le=100.0)] = sourced(
        100.0, "Only the top x% of the eligible by predicted risk (100: everyone eligible).", unit="%")

    @model_validator(mode="after")
    def _ages(self) -> "Eligibility":
        if self.max_age < self.min_age:
            raise ValueError(f"max_age ({self.max_age}) is below min_age ({self.min_age})")
        if not self.segments:
            raise ValueError("segments must name at least one segment")
        return self


class Costs(Model):
    """What the intervention costs its funder (prices in pounds of `price_year`)."""

    setup: Annotated[float, Field(ge=0.0, le=1e9)] = sourced(0.0, "One-off set-up cost at the start.", unit="GBP")
    fixed_per_year: Annotated[float, Field(ge=0.0, le=1e9)] = sourced(
        0.0, "Running cost a year at full maturity (scales with maturity).", unit="GBP per year")
    per_use: Annotated[float, Field(ge=0.0, le=1e7)] = sourced(
        0.0, "Cost per episode or enrolled person-year.", unit="GBP")
    double_running_months: Annotated[float, Field(ge=0.0, le=120.0)] = sourced(
        0.0, "Months after the start during which the old service's cost continues as well.", unit="months")
    price_year: Annotated[int, Field(ge=2000, le=2100)] = sourced(2023, "Price year of the figures.", unit="year")


class Staffing(Model):
    """Staff needed per unit of capacity, by staff group (whole-time equivalents)."""

    wte_per_unit: dict[str, Annotated[float, Field(ge=0.0, le=1000.0)]] = sourced(
        dict, "WTE per unit of capacity by staff group, e.g. {nurse: 0.5, therapist: 0.2}.", unit="WTE per unit")


class Draws(Model):
    """Uncertainty drawn once per replication (the same draw for every scenario: common random numbers).

    ``effect_multiplier`` scales the intervention's effect (1 - hazard ratio, diverted shares, ...);
    ``midpoint_months`` replaces the maturity midpoint. Leave either out to keep the stated value.
    """

    effect_multiplier: Optional[Distribution] = sourced(
        None, "Per-replication multiplier of the effect, e.g. {dist: uniform, low: 0.5, high: 1.5}.",
        unit="distribution")
    midpoint_months: Optional[Distribution] = sourced(
        None, "Per-replication maturity midpoint (months), e.g. {dist: uniform, low: 12, high: 24}.",
        unit="distribution")


class InterventionBase(Model):
    """The outer form shared by every intervention."""

    name: Annotated[str, Field(min_length=1, max_length=80)] = sourced(..., "Short name used in outputs.", unit="text")
    description: Annotated[str, Field(max_length=4000)] = sourced("", "What it is, in plain words.", unit="text")
    start: Date = sourced(..., "Date the intervention starts.", unit="date")
    maturity: Maturity = sourced(Maturity, "Ramp-up of capacity and effect.")
    eligibility: Eligibility = sourced(Eligibility, "Who it can reach.")
    staffing: Staffing = sourced(Staffing, "Staff per unit of capacity.")
    costs: Costs = sourced(Costs, "Investment and running costs.")
    funded_by: Organisation = sourced("icb", "Organisation that pays.", unit="choice")
    evidence: Annotated[str, Field(max_length=2000)] = sourced(
        "", "The study or claim the effect sizes come from.", unit="text")
    draws: Draws = sourced(Draws, "Effect size and ramp-up drawn per replication.")

    #: capacity-like types name the service they add places to (None for the others)
    service_changed: ClassVar[Optional[str]] = None


class CapacityChange(InterventionBase):
    """More (or fewer) places in a service: more beds, a closed ward, reablement or home-care expansion."""

    type: Literal["capacity_change"]
    service: CapacityService = sourced(..., "Service whose capacity changes.", unit="choice")
    change: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] = sourced(
        ..., "Places added at full maturity (negative: removed).", unit="places")

    @property
    def capacity_target(self) -> tuple[str, int]:
        """(service, places added at maturity)."""
        return self.service, self.change


class ReablementExpansion(InterventionBase):
    """More reablement places, optionally with more hospital discharges sent to reablement."""

    type: Literal["reablement_expansion"]
    places: Annotated[int, Field(ge=0, le=1_000_000)] = sourced(
        ..., "Reablement places added at full maturity.", unit="places")
    home_care_to_reablement_share: Probability = sourced(
        0.0, "Share of discharges that would have gone to a home-care package sent to reablement instead "
        "(at full effect).", unit="probability", source="A")

    @property
    def capacity_target(self) -> tuple[str, int]:
        return "reablement", self.places


class HomeCareCapacity(InterventionBase):
    """More (or fewer) home-care packages commissioned."""

    type: Literal["home_care_capacity"]
    packages: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] = sourced(
        ..., "Packages added at full maturity (negative: removed).", unit="packages")

    @property
    def capacity_target(self) -> tuple[str, int]:
        return "home_care", self.packages


class UcrExpansion(InterventionBase):
    """More 2-hour urgent community response visits, and ambulance crews referring more patients to them."""

    type: Literal["ucr_expansion"]
    visits_per_day: Annotated[int, Field(ge=0, le=100_000)] = sourced(
        ..., "2-hour response visits a day added at full maturity.", unit="visits per day")
    ambulance_referral_share: Probability = sourced(
        0.0, "Share of eligible ambulance conveyances (minor and urgent crises) referred to the 2-hour "
        "response instead (at full effect).", unit="probability", source="A")

    @property
    def capacity_target(self) -> tuple[str, int]:
        return "ucr", self.visits_per_day


class SevenDayDischarge(InterventionBase):
    """Weekend discharges as on weekdays: the weekend discharge factor moves to a target."""

    type: Literal["seven_day_discharge"]
    weekend_discharge_factor: Probability = sourced(
        1.0, "Share of weekend-fit P0 patients discharged that day at full maturity.", unit="probability")


class Telehealth(InterventionBase):
    """Remote monitoring of an eligible cohort up to a capacity; lowers their crisis hazard."""

    type: Literal["telehealth"]
    capacity_patients: Annotated[int, Field(ge=0, le=1_000_000)] = sourced(
        ..., "Patients who can be monitored at once at full maturity.", unit="patients")
    crisis_hazard_ratio: Annotated[float, Field(gt=0.0, le=2.0)] = sourced(
        0.8, "Crisis hazard of enrolled patients relative to no telehealth (at full effect).", unit="ratio",
        source="R: WSD 0.54 vs 0.68 admissions per person (evidence: telehealth-wsd)")
    early_alert_share: Probability = sourced(
        0.0, "Share of enrolled patients' remaining crises caught early by an alert and managed by the "
        "monitoring team at home (at full effect).", unit="probability", source="A")
    mortality_hazard_ratio: Annotated[float, Field(gt=0.0, le=2.0)] = sourced(
        1.0, "Death hazard of enrolled patients relative to no telehealth (1 = no effect; WSD found 12-month "
        "mortality 4.6% vs 8.3%, OR 0.54).", unit="ratio", source="R: evidence: telehealth-wsd")


class CaseManagement(InterventionBase):
    """Case management of the top x% by predicted risk, reselected regularly."""

    type: Literal["case_management"]
    caseload: Annotated[int, Field(ge=0, le=1_000_000)] = sourced(
        ..., "People on the caseload at full maturity.", unit="people")
    crisis_hazard_ratio: Annotated[float, Field(gt=0.0, le=2.0)] = sourced(
        1.0, "Crisis hazard of case-managed people relative to usual care (1 = no effect).", unit="ratio",
        source="R: Evercare, ICPs, Lewis VW and a 36-study meta-analysis found no significant effect "
        "(evidence: evercare, case-management-meta-analysis)")
    reselect_months: Annotated[float, Field(gt=0.0, le=120.0)] = sourced(
        12.0, "Months between re-selections of the caseload.", unit="months", source="A")


class Telecare(InterventionBase):
    """Alarms and a falls response for an eligible cohort: fewer of their ambulance calls end in conveyance."""

    type: Literal["telecare"]
    capacity_patients: Annotated[int, Field(ge=0, le=1_000_000)] = sourced(
        ..., "People with a telecare package at full maturity.", unit="people")
    conveyance_reduction: Probability = sourced(
        0.2, "Share of enrolled people's ambulance conveyances (minor and urgent crises) replaced by the falls "
        "response at home (at full effect).", unit="probability", source="M: assumption, no controlled UK figure")


class SelfManagement(InterventionBase):
    """A self-management programme for people with long-term conditions: a lower crisis hazard."""

    type: Literal["self_management"]
    capacity_patients: Annotated[int, Field(ge=0, le=1_000_000)] = sourced(
        ..., "People on the programme at full maturity.", unit="people")
    crisis_hazard_ratio: Annotated[float, Field(gt=0.0, le=2.0)] = sourced(
        0.95, "Crisis hazard of participants relative to usual care.", unit="ratio",
        source="M: assumption (small effects in trials; not in the evidence file)")


class SinglePointOfAccess(InterventionBase):
    """One clinical hub for 111 and ambulance: some crises sent to A&E go to community services instead."""

    type: Literal["single_point_of_access"]
    share: Probability = sourced(
        0.15, "Share of eligible crises that 111 or an ambulance crew would send to A&E (minor and urgent, and "
        "not needing admission) routed to the 2-hour response instead (at full effect).", unit="probability",
        source="M: assumption")


class EnhancedHealthCareHomes(InterventionBase):
    """Enhanced health in care homes: residents' crises and conveyances fall."""

    type: Literal["enhanced_health_care_homes"]
    crisis_hazard_ratio: Annotated[float, Field(gt=0.0, le=2.0)] = sourced(
        0.9, "Crisis hazard of care-home residents relative to usual care (at full effect).", unit="ratio",
        source="M: assumption (vanguard evaluations reported slower growth of admissions)")
    conveyance_reduction: Probability = sourced(
        0.1, "Share of residents' ambulance conveyances (minor and urgent crises) avoided (at full effect).",
        unit="probability", source="M: assumption")


class StepUp(Model):
    """Admission avoidance: a patient about to be admitted (or conveyed for admission) goes to the virtual ward."""

    share: Probability = sourced(
        0.1, "Share of eligible admissions (urgent and acute crises) diverted when a virtual-ward place is free "
        "(at full effect).", unit="probability", source="A: calibrated to occupancy ~70-78% at 40-50 beds per "
        "100,000 (evidence: virtual-wards-occupancy)")
    share_not_admitted: Probability = sourced(
        0.0, "Share of eligible A&E attendances that would have gone home (urgent and acute crises) sent to the "
        "virtual ward instead (at full effect): referrals that use places without avoiding an admission.",
        unit="probability", source="R: one admission avoided per 2.5 virtual-ward admissions "
        "(evidence: virtual-wards-admissions-avoided)")
    sources: list[Literal["gp", "nhs111", "ambulance", "ae"]] = sourced(
        lambda: ["gp", "nhs111", "ambulance", "ae"], "Where step-up referrals come from.", unit="list")
    acuities: list[Literal["minor", "urgent", "acute"]] = sourced(
        lambda: ["urgent", "acute"], "Acuities that can be managed on the ward.", unit="list")
    stay_days: Distribution = sourced(
        lognormal(5.0, 3.0), "Length of a step-up stay.", unit="days", source="A")
    escalation_probability: Probability = sourced(
        0.1, "Share of step-up patients escalated back to an acute bed.", unit="probability", source="A")


class StepDown(Model):
    """Early supported discharge: the last days of an acute stay are spent on the virtual ward."""

    share: Probability = sourced(
        0.05, "Share of eligible overnight stays (discharged home without support) that step down "
        "(at full effect).", unit="probability", source="A")
    days_saved: Annotated[float, Field(ge=0.0, le=60.0)] = sourced(
        3.0, "Acute days replaced by the virtual ward.", unit="days",
        source="R: hospital LOS -2.1 to -3.9 days (evidence: virtual-wards-cost)")
    stay_days: Distribution = sourced(
        lognormal(5.0, 3.0), "Length of a step-down stay on the ward.", unit="days", source="A")


class VirtualWard(InterventionBase):
    """Hospital-level care at home: step-up instead of admission, step-down from acute beds."""

    type: Literal["virtual_ward"]
    beds_per_100k: Annotated[float, Field(ge=0.0, le=1000.0)] = sourced(
        45.0, "Virtual-ward places per 100,000 residents at full maturity (of the starting population).",
        unit="places per 100,000", source="R: national target 40-50 (evidence: virtual-wards-capacity)")
    step_up: StepUp = sourced(StepUp, "Admission avoidance.")
    step_down: StepDown = sourced(StepDown, "Early supported discharge.")
    eligibility: Eligibility = sourced(lambda: Eligibility(min_age=18), "Who it can reach.")


#: types that lower crisis hazards of an enrolled cohort
COHORT_TYPES = ("telehealth", "case_management", "telecare", "self_management")
#: types that change a service's capacity
CAPACITY_TYPES = ("capacity_change", "reablement_expansion", "home_care_capacity", "ucr_expansion")

Intervention = Annotated[Union[CapacityChange, ReablementExpansion, HomeCareCapacity, UcrExpansion,
                               SevenDayDischarge, Telehealth, CaseManagement, Telecare, SelfManagement,
                               SinglePointOfAccess, EnhancedHealthCareHomes, VirtualWard],
                         Field(discriminator="type")]
