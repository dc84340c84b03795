"""Interventions at run time: each month, move the model's levers by the intervention's maturity.

An intervention never adds logic to the journey. It changes capacity
(``Pool.set_capacity``, slots a day), routing values the pathway reads
(``Routing.weekend_factor``), or each person's crisis-hazard modifier, which
the crisis feeder multiplies into the thinning acceptance. Nothing here draws
from a stream the baseline uses, so an intervention that starts after the
horizon, or has no effect, leaves every result exactly as the baseline's.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from . import rng as rngmod
from .population import END_OF_LIFE, YEAR_DAYS, age_band_of
from .scenario.fields import SEGMENTS
from .scenario.interventions import (CAPACITY_SERVICES, CapacityChange, CaseManagement, Eligibility,
                                     SevenDayDischarge, Telehealth)
from .risk import top_fraction

if TYPE_CHECKING:  # pragma: no cover
    from .economy import Economy

MONTH_DAYS = YEAR_DAYS / 12.0

#: Outputs of every intervention: metric suffix -> (unit, kind, meaning); ``docs/outputs.md`` lists them.
INTERVENTION_OUTPUTS = {
    "capacity": ("places, patients or share", "level",
                 "Capacity in place (places for a capacity change or a virtual ward, people who can be enrolled "
                 "for cohort types, the weekend discharge factor for seven-day discharge), mean of monthly values."),
    "maturity": ("share", "level", "Maturity of capacity (0 before the start, 1 when mature), mean of monthly "
                 "values."),
    "effect_level": ("share", "level", "Maturity x fade x the replication's effect multiplier, mean of monthly "
                     "values."),
}


def intervention_key(name: str) -> str:
    """Metric prefix of an intervention: ``intervention_`` + its name in lowercase letters, digits and _."""
    import re

    return "intervention_" + (re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "unnamed")


def months_since(start: dt.date, day: dt.date) -> float:
    return (day - start).days / MONTH_DAYS


class Runtime:
    """All interventions of one run, updated at the start of every crisis batch (monthly)."""

    def __init__(self, eco: "Economy"):
        self.eco = eco
        self.items = list(eco.scenario.interventions)
        n = eco.population.cols.birth_day.shape[0]
        #: each person's crisis-hazard multiplier from interventions (1 = none)
        self.hazard = np.ones(n)
        self.enrolled: dict[str, np.ndarray] = {it.name: np.zeros(0, dtype=np.int64) for it in self.items}
        self._last_selection: dict[str, float] = {}
        self._score: tuple[float, np.ndarray] | None = None
        self._base_capacity = {}
        self._base_weekend = eco.routing.weekend_factor
        #: per intervention and reporting period: mean capacity (places or enrolled), effect level
        self.capacity_log: dict[str, list[tuple[float, float, float]]] = {it.name: [] for it in self.items}

    def _grow(self) -> None:
        n = self.eco.population.cols.birth_day.shape[0]
        if n > self.hazard.shape[0]:
            h = np.ones(n)
            h[: self.hazard.shape[0]] = self.hazard
            self.hazard = h

    def level(self, it, day: float) -> tuple[float, float]:
        """(capacity maturity, effect level) of intervention `it` on simulation `day`."""
        date = self.eco.calendar.date(day)
        months = months_since(it.start, date)
        m = it.maturity.level(months)
        return m, m * it.maturity.fade(date)

    def update(self, day: float) -> None:
        """Apply every intervention as of `day` (called before each batch of crises is drawn)."""
        if not self.items:
            return
        self._grow()
        self.hazard[:] = 1.0
        weekend = self._base_weekend
        for it in self.items:
            cap, eff = self.level(it, day)
            if isinstance(it, CapacityChange):
                self._capacity(it, cap)
                self.capacity_log[it.name].append((day, self._current_capacity(it), cap, cap))
            elif isinstance(it, SevenDayDischarge):
                weekend = weekend + (it.weekend_discharge_factor - weekend) * eff
                self.capacity_log[it.name].append((day, weekend, cap, eff))
            elif isinstance(it, (Telehealth, CaseManagement)):
                ids = self._cohort(it, day, cap)
                hr = 1.0 - (1.0 - it.crisis_hazard_ratio) * eff
                self.hazard[ids] *= hr
                self.capacity_log[it.name].append((day, float(ids.size), cap, eff))
        self.eco.routing.weekend_factor = weekend

    def emit_metrics(self, count, level) -> None:
        """Emit every intervention's outputs through the metrics table's `count` and `level` helpers."""
        eco = self.eco
        n = eco.periods.years + 1
        for name, log in self.capacity_log.items():
            key = intervention_key(name)
            cap = np.full(n, np.nan)
            mat = np.full(n, np.nan)
            eff = np.full(n, np.nan)
            if log:
                arr = np.array(log)
                k = np.array([eco.periods.of(d) for d in arr[:, 0]])
                for period in range(n):
                    sel = k == period
                    if sel.any():
                        cap[period] = arr[sel, 1].mean()
                        mat[period] = arr[sel, 2].mean()
                        eff[period] = arr[sel, 3].mean()
            level(f"{key}_capacity", cap)
            level(f"{key}_maturity", mat)
            level(f"{key}_effect_level", eff)

    # -- levers -------------------------------------------------------------------

    def _target(self, it: CapacityChange):
        eco = self.eco
        if it.service in ("gp", "ucr"):
            return eco.slot_services[it.service]
        return {"acute": eco.beds, "ae": eco.cubicles, "ambulance": eco.crews, "nhs111": eco.nhs111,
                "reablement": eco.reablement, "intermediate_care": eco.intermediate, "home_care": eco.home_care,
                "care_homes": eco.care_homes, "community_nursing": eco.community_nursing}[it.service]

    def _current_capacity(self, it: CapacityChange) -> float:
        t = self._target(it)
        value = t.per_day if it.service in ("gp", "ucr") else t.capacity
        return float("inf") if value is None else float(value)

    def _capacity(self, it: CapacityChange, maturity: float) -> None:
        target = self._target(it)
        key = it.service
        if key not in self._base_capacity:
            self._base_capacity[key] = target.per_day if key in ("gp", "ucr") else target.capacity
        base = self._base_capacity[key]
        if base is None:
            return  # unlimited stays unlimited
        # every capacity change on the same service adds up
        total = base + sum(round(o.change * self.level(o, self.eco.env.now)[0]) for o in self.items
                           if isinstance(o, CapacityChange) and o.service == key)
        total = max(0, int(total))
        if key in ("gp", "ucr"):
            if target.per_day != total:
                target.set_per_day(self.eco.env.now, total)
        else:
            target.set_capacity(total)

    def eligible(self, el: Eligibility, day: float) -> np.ndarray:
        """Boolean mask of people eligible on `day` (present, alive, age, segment, residence)."""
        eco = self.eco
        pop = eco.population
        present = pop.present(day) & (eco.flags("dead")[: pop.n] == 0)
        age = pop.age(day)
        ok = present & (age >= el.min_age) & (age <= el.max_age + 1)
        seg = pop.segment_on(day)
        wanted = np.isin(seg, [SEGMENTS.index(s) for s in el.segments])
        ok &= wanted
        if el.residence != "any":
            code = 1 if el.residence == "care_home" else 0
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

    def _cohort(self, it, day: float, maturity: float) -> np.ndarray:
        """Enrolled people now: the cohort grows to capacity x maturity; case management is reselected."""
        eco = self.eco
        size = it.capacity_patients if isinstance(it, Telehealth) else it.caseload
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
