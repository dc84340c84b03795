"""Interventions at run time: each month, move the model's levers by the intervention's maturity.

An intervention acts only through levers the journey already reads:
capacity (``Pool.set_capacity``, slots a day), routing values
(``Routing.weekend_factor``), each person's crisis-hazard modifier (which the
crisis feeder multiplies into the thinning acceptance), and a few diversion
levers read at the pathway's decision points (:class:`Levers`: virtual-ward
step-up and step-down, conveyances replaced by a falls or community response,
crises caught early by telehealth alerts, discharges sent to reablement).
Decisions taken on those levers draw from the interventions' own stream,
never from one the baseline uses, so an intervention that starts after the
horizon, or has no effect, leaves every result exactly as the baseline's.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np

from . import rng as rngmod
from .population import END_OF_LIFE, YEAR_DAYS, age_band_of
from .scenario.fields import SEGMENTS
from .scenario.interventions import (CAPACITY_TYPES, COHORT_TYPES, CaseManagement, Eligibility,
                                     EnhancedHealthCareHomes, ReablementExpansion, SelfManagement,
                                     SevenDayDischarge, SinglePointOfAccess, Telecare, Telehealth, UcrExpansion,
                                     VirtualWard)
from .services.pools import Pool
from .risk import top_fraction

if TYPE_CHECKING:  # pragma: no cover
    from .economy import Economy

MONTH_DAYS = YEAR_DAYS / 12.0
BATCH_YEARS = 1.0 / 12.0

#: Outputs of every intervention: metric suffix -> (unit, kind, meaning); ``docs/outputs.md`` lists them.
INTERVENTION_OUTPUTS = {
    "capacity": ("places, patients or share", "level",
                 "Capacity in place (places for a capacity change or a virtual ward, people who can be enrolled "
                 "for cohort types, the weekend discharge factor for seven-day discharge), mean of monthly values."),
    "maturity": ("share", "level", "Maturity of capacity (0 before the start, 1 when mature), mean of monthly "
                 "values."),
    "effect_level": ("share", "level", "Maturity x fade x the replication's effect multiplier, mean of monthly "
                     "values."),
    "in_use": ("places or people", "level", "Places occupied (virtual ward) or people enrolled (cohort types), "
               "mean of monthly values."),
    "occupancy": ("share", "share", "Virtual ward: occupied place-days / place-days in place."),
    "episodes": ("episodes", "count", "Virtual-ward stays started (step-up and step-down), new enrolments "
                 "(cohort types), conveyances replaced (telecare, care homes) or crises redirected (single point "
                 "of access, 2-hour response expansion), discharges redirected (reablement expansion)."),
    "uses": ("episodes, person-years or place-years", "count", "What a per-use cost is charged on: virtual-ward "
             "stays, person-years enrolled (cohort types, care-home residents covered), place-years added "
             "(capacity types), redirected crises (single point of access)."),
    "crises_avoided": ("crises", "count", "Crises removed by its hazard ratio (shared between interventions in "
                       "proportion to the log of each one's ratio when several apply to a person)."),
    "admissions_avoided": ("admissions", "count", "Virtual ward: step-up stays of patients who would have been "
                           "admitted, less escalations back to an acute bed. Other types: see the paired "
                           "difference in `emergency_admissions` in comparison.csv (not attributable per crisis)."),
    "bed_days_released": ("bed days", "count", "Virtual ward: acute days not used (step-down days replaced, and "
                          "the stays step-up patients would have had), less escalated stays' days."),
    "escalations": ("patients", "count", "Virtual ward: step-up patients escalated back to an acute bed."),
    "early_alerts": ("crises", "count", "Telehealth: crises caught early by an alert and managed at home."),
    "deaths_postponed": ("deaths", "count", "Telehealth: deaths of enrolled patients postponed by the mortality "
                         "hazard ratio (each by a year, re-examined then)."),
    "wte": ("WTE", "level", "Staff needed: capacity in place x WTE per unit, all staff groups."),
    "wte_<group>": ("WTE", "level", "Staff needed in one staff group (as named in `staffing.wte_per_unit`)."),
}
#: outputs not every type has (NaN for the others)
_TALLIES = ("episodes", "uses", "crises_avoided", "admissions_avoided", "bed_days_released", "escalations",
            "early_alerts", "deaths_postponed")


def intervention_key(name: str) -> str:
    """Metric prefix of an intervention: ``intervention_`` + its name in lowercase letters, digits and _."""
    import re

    return "intervention_" + (re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "unnamed")


def months_since(start: dt.date, day: dt.date) -> float:
    return (day - start).days / MONTH_DAYS


class _Buffered:
    """Uniforms from a named stream, drawn in blocks (cheap one at a time on the hot path)."""

    __slots__ = ("rng", "buf", "i")

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.buf: list[float] = []
        self.i = 0

    def __call__(self) -> float:
        if self.i >= len(self.buf):
            self.buf = self.rng.random(4096).tolist()
            self.i = 0
        self.i += 1
        return self.buf[self.i - 1]


class VirtualWardState:
    """One virtual ward at run time: its pool of places and this month's diversion shares."""

    def __init__(self, runtime: "Runtime", it: VirtualWard, index: int, base_population: float):
        eco = runtime.eco
        self.it = it
        self.index = index
        self.name = it.name
        self.places_at_maturity = it.beds_per_100k * base_population / 100_000.0
        self.pool = Pool(eco.env, intervention_key(it.name), 0, eco.periods)
        self.step_up_share = 0.0
        self.step_up_share_not_admitted = 0.0
        self.step_down_share = 0.0
        self.sources = frozenset(it.step_up.sources)
        self.acuities = frozenset(ACUITY_INDEX[a] for a in it.step_up.acuities)
        from .pathway import sampler
        self.step_up_time = sampler(it.step_up.stay_days)
        self.step_down_time = sampler(it.step_down.stay_days)
        self.escalation = it.step_up.escalation_probability
        self.days_saved = it.step_down.days_saved
        self.eligibility = it.eligibility

    def eligible(self, eco: "Economy", p: int) -> bool:
        el = self.eligibility
        age = eco.age(p, eco.env.now)
        if age < el.min_age or age > el.max_age + 1:
            return False
        if el.residence != "any" and eco.residence[p] != (1 if el.residence == "care_home" else 0):
            return False
        if len(el.segments) < 5 and SEGMENTS[int(eco.population.cols.segment[p])] not in el.segments:
            return "end_of_life" in el.segments and eco.death_day(p) - YEAR_DAYS <= eco.env.now
        return True


ACUITY_INDEX = {"minor": 0, "urgent": 1, "acute": 2}


class Levers:
    """What the pathway reads at its decision points (present only when a scenario has such interventions)."""

    def __init__(self, runtime: "Runtime"):
        self.runtime = runtime
        self.u = runtime.uniform
        self.wards: list[VirtualWardState] = []
        #: per person: chance a telehealth alert catches a crisis early (0 = none) and whose it is
        self.alert: np.ndarray | None = None
        #: per person: chance a conveyance of a minor/urgent crisis is replaced by a response at home
        self.convey_avoid: np.ndarray | None = None
        self.alert_owner: dict[str, np.ndarray] = {}
        self.convey_owner: list[tuple[str, np.ndarray, float]] = []
        #: shares of minor/urgent crises 111 or a crew would send to A&E that go to the 2-hour response instead
        self.spa_share = 0.0
        self.ucr_referral_share = 0.0
        self.home_care_to_reablement = 0.0
        self.owners: dict[str, str] = {}

    def tally(self, name: str, what: str, n: float = 1.0) -> None:
        self.runtime.tally(name, what, n)


class Runtime:
    """All interventions of one run, updated at the start of every crisis batch (monthly)."""

    def __init__(self, eco: "Economy"):
        self.eco = eco
        self.items = list(eco.scenario.interventions)
        n = eco.population.cols.birth_day.shape[0]
        run = eco.scenario.run
        #: each person's crisis-hazard multiplier from interventions (1 = none)
        self.hazard = np.ones(n)
        self.enrolled: dict[str, np.ndarray] = {it.name: np.zeros(0, dtype=np.int64) for it in self.items}
        self._last_selection: dict[str, float] = {}
        self._score: tuple[float, np.ndarray] | None = None
        self._base_capacity = {}
        self._base_weekend = eco.routing.weekend_factor
        self._hazard_parts: list[tuple[str, np.ndarray, float]] = []
        self.uniform = _Buffered(rngmod.generator(run.seed, eco.replication, "interventions.decisions"))
        self._mortality_rng = rngmod.generator(run.seed, eco.replication, "interventions.mortality")
        #: per intervention: (maturity curve for this replication, effect multiplier)
        self._draws: dict[str, tuple] = {}
        for it in self.items:
            rng = rngmod.generator(run.seed, eco.replication, f"intervention.{it.name}.draws")
            u = rng.random(2)
            mult = 1.0 if it.draws.effect_multiplier is None else _draw(it.draws.effect_multiplier, u[0])
            maturity = it.maturity
            if it.draws.midpoint_months is not None:
                mid = min(240.0, max(0.0, _draw(it.draws.midpoint_months, u[1])))
                maturity = maturity.model_copy(update={"midpoint_months": mid})
            self._draws[it.name] = (maturity, max(0.0, mult))
        self._tallies: dict[str, dict[str, list[float]]] = {
            it.name: {t: [0.0] * (eco.periods.years + 1) for t in _TALLIES} for it in self.items}
        #: per intervention and month: (day, capacity in place, maturity, effect level, in use)
        self.capacity_log: dict[str, list[tuple[float, float, float, float, float]]] = {it.name: [] for it in self.items}
        needs_levers = any(isinstance(it, (VirtualWard, Telecare, SinglePointOfAccess, EnhancedHealthCareHomes,
                                           ReablementExpansion, UcrExpansion))
                           or (isinstance(it, Telehealth) and (it.early_alert_share > 0 or it.mortality_hazard_ratio != 1.0))
                           for it in self.items)
        self.levers: Levers | None = Levers(self) if needs_levers else None
        if self.levers is not None:
            base = float(eco.population.present(0.0).sum())
            self.levers.wards = [VirtualWardState(self, it, i, base) for i, it in enumerate(self.items)
                                 if isinstance(it, VirtualWard)]
        self._ward = {w.name: w for w in (self.levers.wards if self.levers else [])}

    def tally(self, name: str, what: str, n: float = 1.0) -> None:
        self._tallies[name][what][self.eco.period()] += n

    def _grow(self) -> None:
        n = self.eco.population.cols.birth_day.shape[0]
        if n > self.hazard.shape[0]:
            h = np.ones(n)
            h[: self.hazard.shape[0]] = self.hazard
            self.hazard = h
        lv = self.levers
        if lv is not None:
            for attr in ("alert", "convey_avoid"):
                arr = getattr(lv, attr)
                if arr is not None and arr.shape[0] < n:
                    new = np.zeros(n)
                    new[: arr.shape[0]] = arr
                    setattr(lv, attr, new)

    def level(self, it, day: float) -> tuple[float, float]:
        """(capacity maturity, effect level) of intervention `it` on simulation `day`."""
        date = self.eco.calendar.date(day)
        months = months_since(it.start, date)
        maturity, mult = self._draws[it.name]
        m = maturity.level(months)
        return m, m * maturity.fade(date) * mult

    def update(self, day: float) -> None:
        """Apply every intervention as of `day` (called before each batch of crises is drawn)."""
        if not self.items:
            return
        self._grow()
        self.hazard[:] = 1.0
        self._hazard_parts = []
        lv = self.levers
        if lv is not None:
            for attr in ("alert", "convey_avoid"):
                if getattr(lv, attr) is not None:
                    getattr(lv, attr)[:] = 0.0
            lv.alert_owner, lv.convey_owner = {}, []
            lv.spa_share = lv.ucr_referral_share = lv.home_care_to_reablement = 0.0
        weekend = self._base_weekend
        month_years = BATCH_YEARS
        for it in self.items:
            cap, eff = self.level(it, day)
            in_use = float("nan")
            if it.type in CAPACITY_TYPES:
                self._capacity(it, cap)
                service, change = it.capacity_target
                capacity = self._current_capacity(service)
                self.tally(it.name, "uses", abs(change) * cap * month_years)
                if isinstance(it, ReablementExpansion):
                    lv.owners.setdefault("reablement", it.name)
                    lv.home_care_to_reablement = _combine(lv.home_care_to_reablement,
                                                          it.home_care_to_reablement_share * eff)
                elif isinstance(it, UcrExpansion):
                    lv.owners.setdefault("ucr", it.name)
                    lv.ucr_referral_share = _combine(lv.ucr_referral_share, it.ambulance_referral_share * eff)
            elif isinstance(it, SevenDayDischarge):
                weekend = weekend + (it.weekend_discharge_factor - weekend) * min(1.0, eff)
                capacity = weekend
            elif it.type in COHORT_TYPES:
                before = self.enrolled[it.name]
                ids = self._cohort(it, day, cap)
                self.tally(it.name, "episodes", float(np.setdiff1d(ids, before, assume_unique=True).size))
                self.tally(it.name, "uses", ids.size * month_years)
                capacity = float(round(self._size(it) * cap))
                in_use = float(ids.size)
                if isinstance(it, Telecare):
                    self._convey(it, ids, it.conveyance_reduction * eff)
                else:
                    self._hazard(it, ids, it.crisis_hazard_ratio, eff)
                if isinstance(it, Telehealth):
                    if it.early_alert_share > 0:
                        if lv.alert is None:
                            lv.alert = np.zeros(self.hazard.shape[0])
                        share = min(1.0, it.early_alert_share * eff)
                        lv.alert[ids] = 1.0 - (1.0 - lv.alert[ids]) * (1.0 - share)
                        lv.alert_owner[it.name] = ids
                    if it.mortality_hazard_ratio != 1.0 and ids.size:
                        self._mortality(it, ids, day, eff)
            elif isinstance(it, EnhancedHealthCareHomes):
                ids = np.flatnonzero(self.eligible(it.eligibility, day, residence="care_home"))
                self.enrolled[it.name] = ids
                self._hazard(it, ids, it.crisis_hazard_ratio, eff)
                self._convey(it, ids, it.conveyance_reduction * eff)
                capacity = in_use = float(ids.size)
                self.tally(it.name, "uses", ids.size * cap * month_years)
            elif isinstance(it, SinglePointOfAccess):
                lv.owners.setdefault("spa", it.name)
                lv.spa_share = _combine(lv.spa_share, it.share * eff)
                capacity = cap
            elif isinstance(it, VirtualWard):
                ward = self._ward[it.name]
                places = int(round(ward.places_at_maturity * cap))
                ward.pool.set_capacity(places)
                ward.step_up_share = min(1.0, it.step_up.share * eff)
                ward.step_up_share_not_admitted = min(1.0, it.step_up.share_not_admitted * eff)
                ward.step_down_share = min(1.0, it.step_down.share * eff)
                capacity = float(places)
                in_use = float(ward.pool.in_use)
            else:  # pragma: no cover - every type is handled above
                raise TypeError(f"unknown intervention type {it.type}")
            self.capacity_log[it.name].append((day, capacity, cap, eff, in_use))
        self.eco.routing.weekend_factor = weekend

    def _hazard(self, it, ids: np.ndarray, ratio: float, eff: float) -> None:
        hr = max(0.0, 1.0 - (1.0 - ratio) * eff)
        if ids.size and hr != 1.0:
            self.hazard[ids] *= hr
            self._hazard_parts.append((it.name, ids, hr))

    def _convey(self, it, ids: np.ndarray, share: float) -> None:
        lv = self.levers
        share = min(1.0, max(0.0, share))
        if share <= 0.0 or not ids.size:
            return
        if lv.convey_avoid is None:
            lv.convey_avoid = np.zeros(self.hazard.shape[0])
        lv.convey_avoid[ids] = 1.0 - (1.0 - lv.convey_avoid[ids]) * (1.0 - share)
        lv.convey_owner.append((it.name, ids, share))

    def _mortality(self, it: Telehealth, ids: np.ndarray, day: float, eff: float) -> None:
        """Postpone by a year, with chance 1 - HR, deaths of enrolled people due 1-2 months from now.

        The decision is taken a month ahead, before a terminal admission could have started; people in
        hospital or in a crisis are left alone. A postponed death is re-examined when it comes round again.
        """
        eco = self.eco
        hr = max(0.0, 1.0 - (1.0 - it.mortality_hazard_ratio) * eff)
        if hr >= 1.0:
            return
        death = eco.population.cols.death_day
        due = ids[(death[ids] >= day + MONTH_DAYS) & (death[ids] < day + 2 * MONTH_DAYS)]
        due = due[(eco.flags("in_hospital")[due] == 0) & (eco.flags("in_journey")[due] == 0)]
        if not due.size:
            return
        u = self._mortality_rng.random(due.size)
        saved = due[u >= hr]
        death[saved] += YEAR_DAYS
        self.tally(it.name, "deaths_postponed", float(saved.size))

    def attribute_avoided(self, persons: np.ndarray) -> None:
        """Share crises removed by hazards between the interventions that lowered them."""
        if not self._hazard_parts or not persons.size:
            return
        with np.errstate(divide="ignore"):
            total = np.log(self.hazard[persons])
        for name, ids, hr in self._hazard_parts:
            if hr >= 1.0:
                continue
            mask = np.isin(persons, ids, assume_unique=False)
            if mask.any():
                self.tally(name, "crises_avoided", float(np.sum(math.log(hr) / total[mask])))

    def close(self, t: float) -> None:
        for ward in (self.levers.wards if self.levers else []):
            ward.pool.close(t)

    def emit_metrics(self, count, level) -> None:
        """Emit every intervention's outputs through the metrics table's `count` and `level` helpers."""
        eco = self.eco
        n = eco.periods.years + 1
        for it in self.items:
            name = it.name
            key = intervention_key(name)
            log = self.capacity_log[name]
            cols = np.full((4, n), np.nan)
            if log:
                arr = np.array(log)
                k = np.array([eco.periods.of(d) for d in arr[:, 0]])
                for period in range(n):
                    sel = k == period
                    if sel.any():
                        cols[:, period] = arr[sel, 1:].mean(axis=0)
            cap, mat, eff, in_use = cols[0], cols[1], cols[2], cols[3]
            level(f"{key}_capacity", cap)
            level(f"{key}_maturity", mat)
            level(f"{key}_effect_level", eff)
            ward = self._ward.get(name)
            if ward is None and "in_use" in _TYPE_OUTPUTS[it.type]:
                level(f"{key}_in_use", in_use)
            if ward is not None:
                days = np.array([eco.periods.length(k) for k in range(n)])
                busy = np.asarray(ward.pool.busy.area)
                offered = np.asarray(ward.pool.offered.area)
                level(f"{key}_in_use", busy / days)
                with np.errstate(invalid="ignore", divide="ignore"):
                    occ = np.where(offered > 0, busy / np.where(offered > 0, offered, 1.0), np.nan)
                level(f"{key}_occupancy", occ)
            for what in (w for w in _TYPE_OUTPUTS[it.type] if w in _TALLIES):
                count(f"{key}_{what}", np.asarray(self._tallies[name][what]))
            wte = np.zeros(n)
            cap0 = np.nan_to_num(cap)
            units = cap0 if it.type != "seven_day_discharge" else np.nan_to_num(mat)
            for group, per_unit in it.staffing.wte_per_unit.items():
                level(f"{key}_wte_{_slug(group)}", units * per_unit)
                wte += units * per_unit
            level(f"{key}_wte", wte)
    # -- levers -------------------------------------------------------------------

    def _target(self, service: str):
        eco = self.eco
        if service in ("gp", "ucr"):
            return eco.slot_services[service]
        return {"acute": eco.beds, "ae": eco.cubicles, "ambulance": eco.crews, "nhs111": eco.nhs111,
                "reablement": eco.reablement, "intermediate_care": eco.intermediate, "home_care": eco.home_care,
                "care_homes": eco.care_homes, "community_nursing": eco.community_nursing}[service]

    def _current_capacity(self, service: str) -> float:
        t = self._target(service)
        value = t.per_day if service in ("gp", "ucr") else t.capacity
        return float("inf") if value is None else float(value)

    def _capacity(self, it, maturity: float) -> None:
        key, _change = it.capacity_target
        target = self._target(key)
        if key not in self._base_capacity:
            self._base_capacity[key] = target.per_day if key in ("gp", "ucr") else target.capacity
        base = self._base_capacity[key]
        if base is None:
            return  # unlimited stays unlimited
        # every capacity change on the same service adds up
        total = base + sum(round(o.capacity_target[1] * self.level(o, self.eco.env.now)[0]) for o in self.items
                           if o.type in CAPACITY_TYPES and o.capacity_target[0] == key)
        total = max(0, int(total))
        if key in ("gp", "ucr"):
            if target.per_day != total:
                target.set_per_day(self.eco.env.now, total)
        else:
            target.set_capacity(total)

    def eligible(self, el: Eligibility, day: float, residence: str | None = None) -> np.ndarray:
        """Boolean mask of people eligible on `day` (present, alive, age, segment, residence)."""
        eco = self.eco
        pop = eco.population
        present = pop.present(day) & (eco.flags("dead")[: pop.n] == 0)
        age = pop.age(day)
        ok = present & (age >= el.min_age) & (age <= el.max_age + 1)
        # the latent segment: being in the last year of life is not knowable in advance, so it only adds people
        # (when end_of_life is listed), it never removes anyone from their long-term segment
        latent = pop.cols.segment[: pop.n]
        listed = np.zeros(len(SEGMENTS), dtype=bool)  # segment code -> listed (a lookup: np.isin costs ~6x more)
        listed[[SEGMENTS.index(s) for s in el.segments if s != "end_of_life"]] = True
        wanted = listed[latent]
        if "end_of_life" in el.segments:
            wanted |= pop.segment_on(day) == END_OF_LIFE
        ok &= wanted
        residence = residence or el.residence
        if residence != "any":
            code = 1 if residence == "care_home" else 0
            ok &= eco.flags("residence")[: pop.n] == code
        return ok

    def _risk_score(self, day: float) -> np.ndarray:
        """The predicted-risk score, refreshed at most once a year (risk tools are rerun periodically)."""
        if self._score is None or day - self._score[0] >= YEAR_DAYS - 1e-9:
            self._score = (day, self.eco.demand.predicted_risk(day)[0])
        score = self._score[1]
        n = self.eco.population.n
        if score.shape[0] < n:  # people who joined since: no score yet
            score = np.concatenate([score, np.full(n - score.shape[0], np.nan)])
        return score

    @staticmethod
    def _size(it) -> int:
        return it.caseload if isinstance(it, CaseManagement) else it.capacity_patients

    def _cohort(self, it, day: float, maturity: float) -> np.ndarray:
        """Enrolled people now: the cohort grows to capacity x maturity; case management is reselected."""
        eco = self.eco
        size = self._size(it)
        wanted = int(round(size * maturity))
        current = self.enrolled[it.name]
        if wanted == 0:
            self.enrolled[it.name] = current[:0]
            return self.enrolled[it.name]
        alive = current[(eco.population.cols.death_day[current] > day) & (eco.flags("dead")[current] == 0)]
        reselect = isinstance(it, CaseManagement) and (
            it.name not in self._last_selection or day - self._last_selection[it.name] >= it.reselect_months * MONTH_DAYS)
        if reselect:
            self._last_selection[it.name] = day
            alive = alive[:0]
        if alive.size >= wanted:
            self.enrolled[it.name] = alive[:wanted]
            return self.enrolled[it.name]
        eligible = self.eligible(it.eligibility, day)
        eligible[alive] = False
        if it.eligibility.top_risk_percent < 100.0:
            score = self._risk_score(day)
            top = top_fraction(np.nan_to_num(score, nan=-np.inf), eligible, it.eligibility.top_risk_percent / 100.0)
            pool_ids = top
        else:
            pool_ids = np.flatnonzero(eligible)
        need = wanted - alive.size
        rng = rngmod.generator(eco.scenario.run.seed, eco.replication, f"intervention.{it.name}", int(day))
        if pool_ids.size > need:
            pool_ids = np.sort(rng.choice(pool_ids, size=need, replace=False))
        self.enrolled[it.name] = np.concatenate([alive, pool_ids])
        return self.enrolled[it.name]


#: the tallied outputs each type has (besides capacity, maturity, effect level and staff)
_TYPE_OUTPUTS = {
    "virtual_ward": ("episodes", "uses", "admissions_avoided", "bed_days_released", "escalations"),
    "telehealth": ("in_use", "episodes", "uses", "crises_avoided", "early_alerts", "deaths_postponed"),
    "case_management": ("in_use", "episodes", "uses", "crises_avoided"),
    "self_management": ("in_use", "episodes", "uses", "crises_avoided"),
    "telecare": ("in_use", "episodes", "uses"),
    "enhanced_health_care_homes": ("in_use", "episodes", "uses", "crises_avoided"),
    "single_point_of_access": ("episodes", "uses"),
    "reablement_expansion": ("episodes", "uses"),
    "ucr_expansion": ("episodes", "uses"),
    "capacity_change": ("uses",),
    "home_care_capacity": ("uses",),
    "seven_day_discharge": (),
}


def _draw(dist, u: float) -> float:
    """One value of a distribution leaf from a uniform (inverse CDF)."""
    from .pathway import draw_one, sampler

    return draw_one(sampler(dist), u)


def _combine(a: float, b: float) -> float:
    """Two independent diversion chances combined."""
    return 1.0 - (1.0 - a) * (1.0 - min(1.0, max(0.0, b)))


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "staff"
