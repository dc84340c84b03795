"""One replication of one scenario: the SimPy environment, the place's services and its people.

:class:`Economy` wires the latent population, the crisis stream, the services
and the pathway together, runs them, and hands the counters to
:mod:`simulation.metrics`. It writes nothing to disk.
"""

from __future__ import annotations

import gc
import math
import time as _time
from collections import defaultdict
from typing import Iterator

import numpy as np

from . import pathway
from . import rng as rngmod
from .engine import Draws, Environment, Journey, crisis_feed, run_until
from .demand import (BATCH_DAYS, MODIFIER_BOUND, NORMAL_COLUMNS, Calendar, Demand, N_UNIFORMS, U_ACCEPT, U_ACUITY,
                     U_FIRST, crisis_normal_scores, normal_scores)
from .pathway import CARE_HOME, HOME, Routing
from .population import END_OF_LIFE, FRAILTY, COMPLEX, LTC, YEAR_DAYS, Population, age_band, age_band_of
from .scenario.schema import Scenario
from .services.pools import DailySlots, LevelMonitor, Periods, Pool

FOUR_HOURS, TWELVE_HOURS = 4.0 / 24.0, 12.0 / 24.0
DEATH_PLACES = ("hospital", "home", "care_home", "hospice_other")
#: What a medically fit patient can be waiting for in an acute bed.
DELAY_REASONS = ("arranging", "reablement", "home_care", "community_nursing", "intermediate_care", "care_homes",
                 "weekend")


#: Allocations between collections of the youngest generation during a run (Python's default is 700).
GC_THRESHOLD = 100_000


N_NORMAL = len(NORMAL_COLUMNS)
#: outcome -> its counter's name (built once per outcome, not per crisis)
_OUTCOME_KEYS: dict[str, str] = {}


def _capacity(value) -> int | None:
    return None if value == "unlimited" else int(value)


class Economy:
    """A local health and care economy for one (scenario, replication).

    Parameters
    ----------
    scenario
        The resolved scenario.
    replication
        Replication index (0-based); picks the random streams.
    trace
        Keep an event log of every journey step (slow; for tests and debugging).
    """

    def __init__(self, scenario: Scenario, replication: int = 0, trace: bool = False):
        self.scenario = scenario
        self.replication = replication
        run = scenario.run
        self.warmup_days = round(run.warmup_years * YEAR_DAYS)
        self.periods = Periods(self.warmup_days, run.horizon_years)
        self.end_day = self.periods.end
        self.calendar = Calendar(run.start_date, self.warmup_days)
        self.env = Environment()
        years = int(math.ceil(self.end_day / YEAR_DAYS)) + 2
        self.population = Population(scenario.population, run.seed, replication, years)
        self.demand = Demand(scenario, self.population, self.calendar)
        self.routing = Routing(scenario)
        from .interventions import Runtime
        self.trace: list | None = [] if trace else None
        n_periods = self.periods.years + 1
        #: counters by reporting period (name -> count); ``row`` is the current period's (``count``)
        self._rows: list[defaultdict[str, float]] = [defaultdict(float) for _ in range(n_periods)]
        self.row = self._rows[0]
        self._build_services()
        self._build_state()
        self.interventions = Runtime(self)
        #: diversion levers the pathway reads (None unless an intervention needs them: keeps the baseline lean)
        self.levers = self.interventions.levers
        self._dynamic = Draws(rngmod.generator(run.seed, replication, "demand.dynamic"))
        self._service = Draws(rngmod.generator(run.seed, replication, "services.durations"))
        self._community_rng = rngmod.generator(run.seed, replication, "services.community")
        self.package_time = pathway.sampler(scenario.services.home_care.package_days)
        self.admissions: list[tuple] = []
        self.deaths: list[tuple] = []
        #: per period: [left, within 4 h, over 12 h] (plain lists: updated once per visit)
        self.ae_visits = [[0.0, 0.0, 0.0] for _ in range(self.periods.years + 1)]
        self.at_home_checks = [[0.0, 0.0] for _ in range(self.periods.years + 1)]  # checked, at home
        self.wall_seconds = 0.0
        self._k = 0
        #: journeys started and not yet ended (conservation: crises = outcomes + open journeys)
        self.open_journeys = 0
        #: person -> admission day of everyone in an acute bed now
        self.open_stays: dict[int, float] = {}

    # -- construction --------------------------------------------------------------

    def _build_services(self) -> None:
        s = self.scenario.services
        env, per = self.env, self.periods
        cal = self.calendar
        gp_weekend = s.gp.open_weekends
        self.gp_slots = DailySlots(_capacity(s.gp.same_day_slots_per_weekday),
                                   (lambda d: True) if gp_weekend else cal.is_weekday, per)
        self.ucr_slots = DailySlots(_capacity(s.ucr.visits_per_day), lambda d: True, per)
        self.slot_services = {"gp": self.gp_slots, "ucr": self.ucr_slots}
        self.nhs111 = Pool(env, "nhs111", _capacity(s.nhs111.call_handlers), per)
        self.crews = Pool(env, "ambulance", _capacity(s.ambulance.crews), per)
        self.cubicles = Pool(env, "ae", _capacity(s.ae.cubicles), per)
        self.beds = Pool(env, "acute", _capacity(s.acute.beds), per)
        self.reablement = Pool(env, "reablement", _capacity(s.reablement.places), per)
        self.intermediate = Pool(env, "intermediate_care", _capacity(s.intermediate_care.beds), per)
        self.home_care = Pool(env, "home_care", _capacity(s.home_care.packages), per)
        self.care_homes = Pool(env, "care_homes", _capacity(s.care_homes.beds), per)
        self.community_nursing = Pool(env, "community_nursing", _capacity(s.community_nursing.caseload), per)
        self.pools = [self.nhs111, self.crews, self.cubicles, self.beds, self.reablement, self.intermediate,
                      self.home_care, self.care_homes, self.community_nursing]
        self.delayed = LevelMonitor(per)
        #: medically fit patients in a bed, by what they wait for (reablement, home_care, ..., weekend)
        self.delayed_by: dict[str, LevelMonitor] = {
            name: LevelMonitor(per) for name in DELAY_REASONS}
        self.in_hospital_65 = LevelMonitor(per)
        days = int(math.ceil(self.end_day))  # midnights 0 .. end-1 (the run ends at end_day)
        self.census = {name: np.zeros(days, dtype=np.float32) for name in
                       ("beds_occupied", "beds_capacity", "delayed", "ae_occupied", "reablement", "home_care",
                        "care_homes")}

    #: per-person flags kept as bytearrays: fast to read one at a time on the hot path, and
    #: viewed as numpy arrays (``flags(name)``) without copying for vectorised selection
    FLAGS = ("in_hospital", "in_journey", "dead", "on_home_care", "residence")

    def _build_state(self) -> None:
        cap = self.population.cols.birth_day.shape[0]
        for name in self.FLAGS:
            setattr(self, name, bytearray(cap))
        self.last_discharge = np.full(cap, -np.inf)
        self._view_columns()

    def _view_columns(self) -> None:
        """Memoryviews of the birth and death columns: one person's value read as a Python float
        (a numpy scalar costs more to make and to compare). Remade when the population grows."""
        c = self.population.cols
        self._birth = memoryview(c.birth_day)
        self._death = memoryview(c.death_day)
        self._last_discharge = memoryview(self.last_discharge)

    def _grow_state(self) -> None:
        cap = self.population.cols.birth_day.shape[0]
        if cap > len(self.in_hospital):
            for name in self.FLAGS:
                getattr(self, name).extend(bytearray(cap - len(getattr(self, name))))
            old = self.last_discharge
            self.last_discharge = np.full(cap, -np.inf)
            self.last_discharge[: old.shape[0]] = old
        self._view_columns()  # the population's columns are new arrays when it has grown

    def flags(self, name: str) -> np.ndarray:
        """A zero-copy uint8 numpy view of a per-person flag."""
        return np.frombuffer(getattr(self, name), dtype=np.uint8)

    # -- small services for the pathway --------------------------------------------------

    def period(self) -> int:
        """Reporting period of now (kept current by an event at each boundary)."""
        return self._k

    def count(self, name: str, n: float = 1.0) -> None:
        """Add `n` to the counter `name` in the current period."""
        self.row[name] += n

    def _next_period(self, _event=None) -> None:
        self._k = self.periods.of(self.env.now)
        self.row = self._rows[self._k]
        if self._k < self.periods.years:
            ev = self.env.timeout(self.periods.boundaries[self._k] - self.env.now)
            ev.callbacks.append(self._next_period)

    add = count

    def log(self, person: int, event: str, service: str = "") -> None:
        if self.trace is not None:
            self.trace.append((self.env._now, person, event, service))

    def begin(self, p: int) -> None:
        """A crisis journey starts (a person has at most one at a time)."""
        self.row["crises"] += 1
        self.in_journey[p] = True
        self.open_journeys += 1
        if self.trace is not None:
            self.log(p, "crisis")

    def end(self, p: int, outcome: str) -> None:
        """A crisis ended without admission."""
        key = _OUTCOME_KEYS.get(outcome)
        if key is None:
            key = _OUTCOME_KEYS[outcome] = f"crisis_outcome_{outcome}"
        self.row[key] += 1
        self.in_journey[p] = False
        self.open_journeys -= 1
        if self.trace is not None:
            self.log(p, outcome)

    def age(self, p: int, day: float) -> float:
        """Age in years of person `p` on `day`."""
        return (day - self._birth[p]) / YEAR_DAYS

    def death_day(self, p: int) -> float:
        return self._death[p]

    def enter_hospital(self, p: int) -> None:
        self.in_hospital[p] = True

    def leave_hospital(self, p: int) -> None:
        """Leave A&E or a ward; a person whose death day has passed dies in hospital here."""
        self.in_hospital[p] = False
        if not self.dead[p] and self.death_day(p) <= self.env._now:
            self._record_death(p, "hospital")

    def delay(self, t: float, reason: str, delta: int) -> None:
        """A medically fit patient starts (+1) or stops (-1) waiting in a bed for `reason`."""
        self.delayed.change(t, delta)
        self.delayed_by[reason].change(t, delta)

    def ae_left(self, arrived: float, now: float) -> None:
        waited = now - arrived
        row = self.ae_visits[self._k]
        row[0] += 1
        if waited <= FOUR_HOURS:
            row[1] += 1
        if waited > TWELVE_HOURS:
            row[2] += 1

    def admitted(self, p: int, start: float) -> None:
        self.row["emergency_admissions"] += 1.0
        self.open_stays[p] = start
        if start - self._last_discharge[p] <= 30.0:
            self.row["readmissions_30d"] += 1.0
        if self.age(p, start) >= 65.0:
            self.in_hospital_65.change(start, 1)
        if self.trace is not None:
            self.log(p, "admitted", "acute")

    def discharged(self, p: int, start: float, fit: float, zero_day: bool, destination: str) -> None:
        """Leave the acute bed (alive to `destination`, or dead)."""
        now = self.env._now
        self.beds.release()
        if self.age(p, start) >= 65.0:
            self.in_hospital_65.change(now, -1)
        if zero_day:
            self.row["zero_day_admissions"] += 1.0
        self.row["delayed_discharge_patients" if now - fit > 1e-9 else "discharged_without_delay"] += 1.0
        self.leave_hospital(p)
        if destination != "died":
            self._last_discharge[p] = now
            self.row[f"discharge_{destination}"] += 1.0
        self.row["crisis_outcome_admitted"] += 1.0
        self.in_journey[p] = False
        self.open_journeys -= 1
        del self.open_stays[p]
        self.admissions.append((p, start, fit, now, zero_day, destination))
        if self.trace is not None:
            self.log(p, f"discharged_{destination}", "acute")

    def _record_death(self, p: int, place: str) -> None:
        self.dead[p] = True
        self.row["deaths"] += 1.0
        self.row[f"deaths_{place}"] += 1.0
        self.deaths.append((self.env._now, p, place))

    def service_draws(self, k: int) -> tuple[list[float], list[float]]:
        """The next `k` uniforms of the service-duration stream and their normal scores."""
        return self._service.take(k)

    def check_at_home_later(self, p: int, days: float) -> None:
        """Count whether `p` is alive and at home `days` from now (ASCOF 2B(1))."""
        ev = self.env.timeout(days)
        ev.callbacks.append(lambda _e, p=p: self._check_at_home(p))

    def _check_at_home(self, p: int) -> None:
        row = self.at_home_checks[self._k]
        row[0] += 1
        if not self.dead[p] and self.death_day(p) > self.env._now and self.residence[p] == HOME and not self.in_hospital[p]:
            row[1] += 1

    def known_deaths_until(self) -> float:
        """Latest day up to which every death is already scheduled."""
        return (math.floor(self.env._now / YEAR_DAYS) + 2) * YEAR_DAYS

    def hold_until(self, p: int, end: float) -> Iterator:
        """Wait until `end` or the person's death, whichever is first."""
        env = self.env
        while True:
            stop = min(end, self.death_day(p))
            if stop <= env._now:
                return
            horizon = self.known_deaths_until()
            if stop <= horizon:
                yield stop - env._now
                if stop >= min(end, self.death_day(p)):
                    return
                continue  # the death was postponed while waiting (telehealth mortality effect)
            if horizon >= self.end_day + YEAR_DAYS:
                yield self.end_day + YEAR_DAYS - env._now
                return
            yield horizon - env._now

    def start_process(self, gen: Iterator) -> None:
        """Run a journey inline until its first wait; only then make it a SimPy process."""
        first = next(gen, None)
        if first is not None:
            Journey(self.env, gen, first)

    def schedule_crisis(self, p: int, when: float, acuity: int | None = None, via: str = "",
                        outcome: str = "", terminal: bool = False, death_at: float | None = None) -> None:
        """A crisis made during the run (after a discharge, at the end of reablement, a terminal admission)."""
        u, scores = self._dynamic.take(N_UNIFORMS)
        z = [scores[c] for c in NORMAL_COLUMNS]  # as crisis_normal_scores (indexed by Z_*)
        delay = max(0.0, when - self.env._now)
        ev = self.env.timeout(delay)
        ev.callbacks.append(lambda _e: self._start_dynamic(p, u, z, acuity, via, outcome, terminal, death_at))

    def _start_dynamic(self, p, u, z, acuity, via, outcome, terminal, death_at=None) -> None:
        now = self.env._now
        if death_at is not None and self.death_day(p) != death_at:  # the death was postponed (telehealth mortality effect)
            self.count("dynamic_crises_suppressed")
            return
        if self.dead[p] or self.death_day(p) <= now or self.in_journey[p]:
            self.count("dynamic_crises_suppressed")
            return
        band = age_band(self.age(p, now))
        if not terminal and self.interventions.items:
            # an intervention's hazard ratio thins these crises too (deaths, and so terminal admissions, are fixed)
            hazard = float(self.interventions.hazard[p]) if p < self.interventions.hazard.shape[0] else 1.0
            if u[U_ACCEPT] >= min(1.0, hazard):
                self.count("crises_avoided")
                self.interventions.attribute_avoided(np.array([p]))
                return
        if outcome:
            self.count(f"dynamic_crises_{outcome}")
        if terminal:
            self.start_process(pathway.terminal_admission(self, p, band, u, z))
            return
        if acuity is None:
            acuity = self.demand.acuity_of(band, u[U_ACUITY])
        self.start_process(pathway.crisis(self, p, acuity, band, u, z, via=via))

    # -- processes -----------------------------------------------------------------

    def _load_batch(self, b: int) -> None:
        """Make batch `b`'s candidate crises and keep those the scenario accepts (state as of now)."""
        pop = self.population
        batch = self.demand.candidates(b)
        self.interventions.update(b * BATCH_DAYS)
        t, persons, accept = batch.time, batch.person, batch.accept()
        modifier = np.where(np.take(self.flags("residence"), persons) == CARE_HOME,
                            self.scenario.demand.care_home_rate_multiplier, 1.0)
        season = self.demand.season_acceptance(t)
        if self.interventions.items:
            without = (accept < season * modifier) & (t < self.end_day)
            modifier = np.minimum(modifier * np.take(self.interventions.hazard, persons), MODIFIER_BOUND)
        keep = (accept < season * modifier) & (t < self.end_day)
        if self.interventions.items:
            avoided = without & ~keep
            self.row["crises_avoided"] += float(avoided.sum())
            self.interventions.attribute_avoided(persons[avoided])
            self.row["crises_added"] += float((keep & ~without).sum())
        t, persons, u = t[keep], persons[keep], batch.uniform_rows(keep)
        band = age_band_of((t - np.take(pop.cols.birth_day, persons)) / YEAR_DAYS)
        acuity = self.demand.acuity(band, u[:, U_ACUITY])
        # A journey reads a handful of its 22 uniforms: each crisis gets a memoryview of its row, whose
        # items are Python floats made on reading (converting whole rows to floats cost ~5 us a crisis,
        # and numpy scalars are slow in arithmetic)
        z = crisis_normal_scores(u)
        first = self.routing.first_contacts(acuity, u[:, U_FIRST])
        self._batch = (t.tolist(), persons.tolist(), acuity.tolist(), band.tolist(),
                       memoryview(u.reshape(-1)), memoryview(z.reshape(-1)), first)
        self._batch_index = b

    def _crisis_feed(self) -> Iterator[float]:
        """The crisis feed: ``run_until``'s `feed` is this generator's ``send`` (:func:`engine.crisis_feed`)."""
        return crisis_feed(self, pathway.crisis, BATCH_DAYS, N_UNIFORMS, N_NORMAL)

    def _years(self) -> Iterator:
        """Yearly population change, and each year's deaths (with terminal admissions) scheduled ahead."""
        env = self.env
        pop = self.population
        eol = self.scenario.end_of_life
        terminal_stay = pathway.sampler(eol.terminal_stay_days)
        year = 0
        while year * YEAR_DAYS < self.end_day:
            if year > 0:
                pop.advance_year(year - 1)
                self._grow_state()
            rng = rngmod.generator(self.scenario.run.seed, self.replication, "end_of_life", year)
            ids = pop.deaths_between(year * YEAR_DAYS, (year + 1) * YEAR_DAYS)
            draws = rng.random((ids.shape[0], 3))
            zs = normal_scores(draws[:, 1])
            for j, p in enumerate(ids):
                p = int(p)
                d = float(pop.cols.death_day[p])
                ev = env.timeout(d - env.now)
                ev.callbacks.append(lambda _e, p=p, h=draws[j, 2], d=d: self._die(p, h, d))
                chance = (eol.terminal_admission_probability_care_home if self.residence[p] == CARE_HOME
                          else eol.terminal_admission_probability_home)
                if draws[j, 0] < chance:
                    self.schedule_crisis(p, d - terminal_stay(draws[j, 1], zs[j]), terminal=True, death_at=d)
            year += 1
            yield env.timeout(year * YEAR_DAYS - env.now)

    def _die(self, p: int, u_place: float, day: float) -> None:
        """A scheduled death outside hospital (deaths in hospital are recorded when the stay ends)."""
        if self.dead[p] or self.in_hospital[p] or self.death_day(p) != day:
            return
        if self.residence[p] == CARE_HOME:
            place = "care_home"
        else:
            place = "hospice_other" if u_place < self.scenario.end_of_life.hospice_share_of_home_deaths else "home"
        self._record_death(p, place)

    def _census(self) -> Iterator:
        """Midnight counts for occupancy distributions and the warm-up check."""
        env = self.env
        c = self.census
        for day in range(c["beds_occupied"].shape[0]):
            c["beds_occupied"][day] = self.beds.in_use
            c["beds_capacity"][day] = np.inf if self.beds.capacity is None else self.beds.capacity
            c["delayed"][day] = self.delayed.level
            c["ae_occupied"][day] = self.cubicles.in_use
            c["reablement"][day] = self.reablement.in_use
            c["home_care"][day] = self.home_care.in_use
            c["care_homes"][day] = self.care_homes.in_use
            yield env.timeout(1.0)

    def _pick(self, rng: np.random.Generator, min_age: float, weights: dict[int, float] | None = None,
              not_on_home_care: bool = False) -> int | None:
        """A random person at home, alive, not in hospital, aged at least `min_age`.

        Rejection sampling in rounds of 512 candidates drawn at once (and, with `weights`, 512
        uniforms: segment -> relative chance, a candidate kept with chance weight / max weight);
        the first candidate of a round that qualifies is taken. Candidates are checked one at a
        time through memoryviews (Python numbers without converting the round), stopping at the
        first that qualifies: a vectorised test of all 512 (a gather from the population's columns at
        random places) cost more (the picks of a baseline replication took 1.1 s that way, 0.6 s so).
        """
        pop = self.population
        c = pop.cols
        now = self.env._now
        table = None
        if weights:
            top = max(weights.values())
            table = [0.0] * 5
            for seg, w in weights.items():
                table[seg] = w / top
        in_hospital, residence, dead, on_home_care = self.in_hospital, self.residence, self.dead, self.on_home_care
        birth, death = self._birth, self._death
        entry, exit_, segment = memoryview(c.entry_day), memoryview(c.exit_day), memoryview(c.segment)
        for _ in range(200):
            p = memoryview(rng.integers(pop.n, size=512))
            keep = memoryview(rng.random(512)) if table is not None else None
            for j in range(512):
                q = p[j]
                if (now - birth[q]) / YEAR_DAYS < min_age:
                    continue
                if keep is not None and not keep[j] < table[END_OF_LIFE if death[q] - YEAR_DAYS <= now
                                                             else segment[q]]:
                    continue
                if in_hospital[q] or residence[q] != HOME or dead[q] or (not_on_home_care and on_home_care[q]):
                    continue
                if entry[q] <= now and exit_[q] > now and death[q] > now:
                    return q
        return None

    def _community(self, per_year: float, start: callable, min_age: float, weights=None,
                   not_on_home_care=False) -> Iterator:
        """Poisson referrals from the community into a service."""
        if per_year <= 0:
            return
        env = self.env
        rng = self._community_rng
        while True:
            yield env.timeout(rng.exponential(YEAR_DAYS / per_year))
            p = self._pick(rng, min_age, weights, not_on_home_care)
            if p is not None:
                self.start_process(start(p))

    def _initial_stocks(self) -> None:
        """Fill care homes and home-care packages at the start of the warm-up."""
        s = self.scenario.services
        rng = rngmod.generator(self.scenario.run.seed, self.replication, "services.initial")
        ch_beds = _capacity(s.care_homes.beds)
        if ch_beds:
            for _ in range(int(ch_beds * s.care_homes.initial_occupancy)):
                # the residents already there: survivors of earlier placements, so no extra weight on the last
                # year of life (new placements carry it); this keeps the stock from dipping in the first year
                p = self._pick(rng, 75.0, {FRAILTY: 1.0, END_OF_LIFE: 1.0})
                if p is None:
                    break
                self.residence[p] = CARE_HOME
                self.start_process(pathway.care_home_placement(self, p, already_held=False))
        packages = _capacity(s.home_care.packages)
        if packages:
            for _ in range(int(packages * 0.9)):
                p = self._pick(rng, 65.0, {LTC: 0.3, COMPLEX: 1.0, FRAILTY: 1.0, END_OF_LIFE: 1.0},
                               not_on_home_care=True)
                if p is None:
                    break
                self.on_home_care[p] = True
                self.start_process(pathway.home_care_package(self, p, request=True))

    # -- run -----------------------------------------------------------------------

    def run(self) -> "Economy":
        """Run the replication to the end of the horizon."""
        t0 = _time.perf_counter()
        env = self.env
        s = self.scenario.services
        self._next_period()
        env.process(self._years())
        self._initial_stocks()
        self._load_batch(0)
        env.process(self._census())
        env.process(self._community(s.reablement.community_referrals_per_year,
                                    lambda p: pathway.reablement(self, p, from_hospital=False), 65.0))
        env.process(self._community(s.home_care.community_starts_per_year,
                                    lambda p: pathway.home_care_package(self, p, request=True), 65.0,
                                    {LTC: 0.3, COMPLEX: 1.0, FRAILTY: 1.0, END_OF_LIFE: 1.0}, True))
        env.process(self._community(s.care_homes.community_admissions_per_year,
                                    lambda p: pathway.care_home_from_community(self, p), 75.0,
                                    {FRAILTY: 1.0, END_OF_LIFE: s.care_homes.end_of_life_placement_weight}))
        # Journeys allocate many short-lived objects (events, generators) and few cycles: collect the
        # youngest generation less often and leave the long-lived population out of collections
        # (about a tenth of the run time otherwise; results are unaffected).
        threshold = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, *threshold[1:])
        try:
            feed = self._crisis_feed()
            run_until(env, self.end_day, feed.send, next(feed))
        finally:
            gc.set_threshold(*threshold)
            gc.unfreeze()
        for pool in self.pools:
            pool.close(self.end_day)
        self.delayed.close(self.end_day)
        for monitor in self.delayed_by.values():
            monitor.close(self.end_day)
        self.in_hospital_65.close(self.end_day)
        self.interventions.close(self.end_day)
        self.wall_seconds = _time.perf_counter() - t0
        return self

    def tally(self, name: str) -> np.ndarray:
        """Counts per period (index 0 = warm-up) of a named counter (zeros if never counted)."""
        return np.array([row.get(name, 0.0) for row in self._rows])

    def counter_names(self) -> list[str]:
        """Every counter counted at least once, in the order first counted."""
        return list(dict.fromkeys(name for row in self._rows for name in row))

    def logical_events(self) -> int:
        """Engine-independent work count: crises plus every service start, slot use and death."""
        total = sum(self.tally("crises")) + sum(self.tally("deaths"))
        total += sum(sum(p.starts) for p in self.pools)
        total += sum(self.gp_slots.used) + sum(self.ucr_slots.used)
        return int(total)
