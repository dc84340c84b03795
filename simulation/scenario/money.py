"""The money section of a scenario: unit costs, who bears them, price base, payment models, discounting.

Every activity the model counts has a unit cost (value, price year, the share that
varies with activity in the short run, the organisation that bears it and the share
people pay themselves). Costs are uprated to one price base with :class:`PriceIndex`.
Payment models (tariff, block, pooled budget with a risk and gain share) decide how
money flows from the commissioner to the providers; see ``docs/money.md`` and
:mod:`simulation.money` for the arithmetic.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .fields import Model, Probability, sourced
from .interventions import Organisation

Money = Annotated[float, Field(ge=0.0, le=1e7)]
PriceYear = Annotated[int, Field(ge=2000, le=2100)]
PaymentModel = Literal["tariff", "block", "pooled"]
ShareWeight = Annotated[float, Field(ge=0.0, le=100.0)]


class UnitCost(Model):
    """One unit cost: value in pounds of ``price_year`` (the financial year starting in April of that year),
    the share of it that varies with activity in the short run, who bears it, and the share people pay
    themselves (self-funders)."""

    value: Money
    price_year: PriceYear
    marginal_share: Probability
    borne_by: Organisation
    self_funded_share: Probability = 0.0


def _cost(value: float, price_year: int, marginal: float, borne_by: str, self_funded: float = 0.0) -> UnitCost:
    return UnitCost(value=value, price_year=price_year, marginal_share=marginal, borne_by=borne_by,
                    self_funded_share=self_funded)


class UnitCosts(Model):
    """A unit cost for every activity the model counts (what each is counted from: docs/money.md)."""

    gp_urgent_contact: UnitCost = sourced(
        _cost(49.0, 2022, 0.1, "primary_care"),
        "A same-day urgent GP contact (counted: gp_urgent_contacts).", unit="GBP per contact",
        source="R: GP surgery consultation £49 including qualifications, 2022/23 (evidence: unit-costs-gp); "
        "A: 10% marginal (practices are paid for capacity, not contacts)")
    nhs111_call: UnitCost = sourced(
        _cost(12.0, 2014, 0.3, "ambulance_trust"),
        "An NHS 111 call (counted: calls_111).", unit="GBP per call",
        source="M: about £12 a triaged call, recalled, not in docs/evidence.md (a gap); A: the ambulance trust "
        "runs 111")
    ambulance_incident: UnitCost = sourced(
        _cost(270.0, 2020, 0.2, "ambulance_trust"),
        "An ambulance incident, whatever its outcome (counted: ambulance_incidents).", unit="GBP per incident",
        source="D: £2.7bn over more than 10m incidents, 2020/21 (evidence: unit-costs-ambulance); "
        "A: 20% marginal (fuel, consumables)")
    ucr_visit: UnitCost = sourced(
        _cost(96.0, 2013, 0.2, "community_provider"),
        "A 2-hour urgent community response visit (counted: ucr_visits).", unit="GBP per visit",
        source="D/A: £64 per hour of patient-related community nurse work, 2013/14 "
        "(evidence: unit-costs-community-nurse), x 1.5 hours a visit with travel (A)")
    community_nursing_visit: UnitCost = sourced(
        _cost(48.0, 2013, 0.2, "community_provider"),
        "A community nursing visit (counted: community_nursing_visits).", unit="GBP per visit",
        source="D/A: £64 per hour of patient-related community nurse work, 2013/14 "
        "(evidence: unit-costs-community-nurse), x 45 minutes a visit (A)")
    ae_attendance_not_admitted: UnitCost = sourced(
        _cost(114.0, 2013, 0.2, "acute_trust"),
        "An A&E attendance not admitted (counted: ae_attendances x (1 - ae_admission_conversion)).",
        unit="GBP per attendance",
        source="R: NHS Reference Costs 2013/14 (evidence: unit-costs-ae); A: 20% marginal")
    ae_attendance_admitted: UnitCost = sourced(
        _cost(138.0, 2013, 0.2, "acute_trust"),
        "An A&E attendance that leads to admission (counted: ae_attendances x ae_admission_conversion).",
        unit="GBP per attendance",
        source="R: NHS Reference Costs 2013/14 (evidence: unit-costs-ae); A: 20% marginal")
    emergency_admission: UnitCost = sourced(
        _cost(700.0, 2020, 0.5, "acute_trust"),
        "The treatment part of an emergency admission (tests, drugs, procedures), bed days apart "
        "(counted: emergency_admissions).", unit="GBP per admission",
        source="D/A: ≈£2,400 per emergency admission, 2015/16 (evidence: unit-costs-emergency-admission), "
        "less about 5.5 bed days at the standard bed-day cost (evidence: unit-costs-bed-day); the split and the "
        "50% marginal share are assumptions")
    acute_bed_day: UnitCost = sourced(
        _cost(345.0, 2020, 0.2, "acute_trust"),
        "An occupied acute bed day, delayed days included (counted: bed_days).", unit="GBP per bed day",
        source="R: standard non-elective bed day £345, 2020/21 (evidence: unit-costs-bed-day); A: 20% marginal "
        "(consumables, drugs, catering); the rest is the staffed bed, saved in cash only if beds close")
    reablement_episode: UnitCost = sourced(
        _cost(1900.0, 2022, 0.2, "local_authority"),
        "A reablement episode (counted: reablement_episodes).", unit="GBP per episode",
        source="R/D: ≈£1,900 per short-term (ST-Max) episode, 2022/23 (evidence: unit-costs-reablement); "
        "A: 20% marginal (in-house teams)")
    intermediate_care_bed_day: UnitCost = sourced(
        _cost(250.0, 2015, 0.2, "community_provider"),
        "An occupied intermediate-care bed day (counted: intermediate_care_in_use_mean x 365).",
        unit="GBP per bed day",
        source="M: ~£200-300 per bed day, recalled, price year unknown (evidence: unit-costs-intermediate-care); "
        "A: price year 2015/16, 20% marginal")
    home_care_hour: UnitCost = sourced(
        _cost(20.60, 2022, 1.0, "local_authority", 0.25),
        "An hour of home care (counted: home_care_in_use_mean x 52.14 weeks x money.home_care_hours_per_week).",
        unit="GBP per hour",
        source="R: council-paid home care £20.60 an hour, 2022/23 (evidence: unit-costs-home-care); A: bought by "
        "the hour (all marginal); M: about a quarter self-funded (recalled, to verify)")
    care_home_week: UnitCost = sourced(
        _cost(840.0, 2022, 1.0, "local_authority", 0.35),
        "A week in a care home (counted: care_homes_in_use_mean x 52.14 weeks).", unit="GBP per resident week",
        source="R: council-paid fee £840 a week for older people, 2022/23 (evidence: unit-costs-care-home); "
        "A: bought per resident (all marginal); M: about 35% of residents self-fund (recalled from the CMA care "
        "homes market study 2017, to verify), charged the council fee here")


class PriceIndex(Model):
    """A price index by financial year (``fy2013`` is 2013/14); only ratios matter."""

    fy2005: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2006: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2007: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2008: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2009: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2010: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2011: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2012: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2013: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2014: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2015: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2016: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2017: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2018: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2019: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2020: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2021: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2022: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2023: Annotated[float, Field(gt=0.0, le=1e4)]
    fy2024: Annotated[float, Field(gt=0.0, le=1e4)]

    def years(self) -> dict[int, float]:
        """Financial year (2013 = 2013/14) -> index value."""
        return {int(name[2:]): getattr(self, name) for name in type(self).model_fields}


#: Default index: roughly the HM Treasury GDP deflator, 2024/25 = 100 (recalled; see docs/money.md).
DEFAULT_INDEX = {2005: 62.5, 2006: 64.3, 2007: 65.8, 2008: 67.7, 2009: 68.7, 2010: 69.9, 2011: 71.2, 2012: 72.3,
                 2013: 73.7, 2014: 74.7, 2015: 75.2, 2016: 76.8, 2017: 78.1, 2018: 79.7, 2019: 81.4, 2020: 83.3,
                 2021: 86.0, 2022: 90.3, 2023: 96.6, 2024: 100.0}


class Contracts(Model):
    """How the commissioner (the ICB) pays each NHS provider: ``tariff`` (a price per unit of activity),
    ``block`` (a fixed sum agreed on the baseline's expected activity) or ``pooled`` (a shared budget with a
    risk and gain share). Every batch also reports all-tariff, all-block and all-pooled views."""

    acute_trust: PaymentModel = sourced(
        "tariff", "Payment model of the acute trust's contract.", unit="choice",
        source="A: payment by results for emergency activity")
    community_provider: PaymentModel = sourced(
        "block", "Payment model of the community provider's contract.", unit="choice",
        source="A: community services are usually paid by block")
    primary_care: PaymentModel = sourced(
        "block", "Payment model of primary care (capitation behaves as a block here).", unit="choice",
        source="A: the GP contract pays by capitation")
    ambulance_trust: PaymentModel = sourced(
        "block", "Payment model of the ambulance trust's contract (999 and 111).", unit="choice",
        source="A: ambulance and 111 contracts are usually blocks")


class PoolShares(Model):
    """Share of a pooled budget's gain or loss taken by each member, in per cent (normalised over the members
    of the pool, so they need not add up to 100)."""

    icb: ShareWeight
    acute_trust: ShareWeight
    community_provider: ShareWeight
    primary_care: ShareWeight
    ambulance_trust: ShareWeight
    local_authority: ShareWeight


class PoolSettings(Model):
    """A pooled (capitated) budget: set at the baseline's expected cost of its members; each member is paid its
    costs, and the gain (underspend) or loss (overspend) is shared by agreed percentages."""

    includes_social_care: bool = sourced(
        True, "Whether the local authority's adult social care budget is in the pool (a section 75 "
        "agreement); self-funders never are.", unit="flag", source="A: a whole-system pooled budget")
    shares: PoolShares = sourced(
        PoolShares(icb=40.0, acute_trust=20.0, community_provider=10.0, primary_care=5.0, ambulance_trust=5.0,
                   local_authority=20.0),
        "Risk and gain share of each member, in per cent.", unit="%",
        source="A: an illustrative alliance agreement; set the local one")


class MoneySettings(Model):
    """Unit costs, price base, payment models and discounting (see docs/money.md)."""

    unit_costs: UnitCosts = sourced(UnitCosts, "Unit cost of every counted activity and who bears it.")
    price_base_year: PriceYear = sourced(
        2024, "Prices are uprated to this financial year (2024 = 2024/25) with the price index.", unit="year",
        source="A: the last year of the price index")
    price_index: PriceIndex = sourced(
        lambda: PriceIndex(**{f"fy{y}": v for y, v in DEFAULT_INDEX.items()}),
        "Price index by financial year used for uprating (only ratios matter).", unit="index",
        source="M: about the HM Treasury GDP deflator, 2024/25 = 100, recalled and smoothed over the 2020/21 "
        "pandemic swing; to verify, or replace with the PSSRU NHS Cost Inflation Index (docs/money.md)")
    index_growth_beyond_pct: Annotated[float, Field(ge=-10.0, le=50.0)] = sourced(
        2.0, "Yearly growth of the index used before its first and after its last year.", unit="% per year",
        source="A: the Bank of England's 2% inflation target")
    discount_rate_pct: Annotated[float, Field(ge=0.0, le=20.0)] = sourced(
        3.5, "Real discount rate for net present values (year 1 is not discounted).", unit="% per year",
        source="R: HM Treasury Green Book, 3.5% (evidence: discounting)")
    home_care_hours_per_week: Annotated[float, Field(ge=0.0, le=168.0)] = sourced(
        12.0, "Hours of care a home-care package provides in a week.", unit="hours per week",
        source="A: a typical package for an older person (to verify)")
    acute_ward_beds: Annotated[int, Field(ge=1, le=1000)] = sourced(
        28, "Beds in an acute ward: a reduction of acute beds releases cash only in whole wards (a step cost).",
        unit="beds", source="A: a general ward of 24-32 beds")
    tariff_price_ratio: Annotated[float, Field(ge=0.0, le=10.0)] = sourced(
        1.0, "Tariff prices as a multiple of the unit costs (1: prices equal average costs).", unit="ratio",
        source="A: national prices are set from average reference costs")
    contracts: Contracts = sourced(Contracts, "Payment model of each NHS provider's contract.")
    pool: PoolSettings = sourced(PoolSettings, "The pooled budget used by pooled contracts.")
