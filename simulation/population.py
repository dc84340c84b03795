"""The synthetic population as numpy columns: ages, segments, latent risk, deaths and entrants.

This is the slow stock-and-flow layer under the discrete-event model. It is
*latent*: it depends only on the seed and the population settings, so every
scenario of a replication sees the same people, the same ageing, the same
segment changes and the same scheduled deaths (common random numbers). What a
scenario can change about a person (residence, hospital stays, enrolments)
lives in the economy's own state arrays, indexed by the same person id.

Time is in days from the start of the warm-up; ages are in years.
"""

from __future__ import annotations

from bisect import bisect_right

from dataclasses import dataclass

import numpy as np

from . import rng as rngmod
from .scenario.fields import AGE_BAND_LOWER, AGE_BANDS, SEGMENTS
from .scenario.schema import PopulationSettings

YEAR_DAYS = 365.0
HEALTHY, LTC, COMPLEX, FRAILTY, END_OF_LIFE = range(5)
NO_DEATH = np.inf
_BAND_EDGES = np.array(AGE_BAND_LOWER[1:], dtype=np.float64)
#: Oldest age a person reaches in the synthetic population.
MAX_AGE = 105.0
#: Mean years above 85 in the 85+ band at the start (exponential tail).
_MEAN_YEARS_OVER_85 = 5.0


def age_band_of(age: np.ndarray) -> np.ndarray:
    """Age band index (0..4) of ages in years: the number of band edges at or below the age.

    Ages are never NaN. (``np.searchsorted(edges, age, side="right")`` gives the same, about ten
    times slower on a whole population.)
    """
    age = np.asarray(age)
    band = (age >= _BAND_EDGES[0]).astype(np.int8)
    for edge in _BAND_EDGES[1:]:
        band += age >= edge
    return band


_BAND_EDGE_LIST = _BAND_EDGES.tolist()


def age_band(age: float) -> int:
    """Age band index (0..4) of one age in years (as :func:`age_band_of`)."""
    return bisect_right(_BAND_EDGE_LIST, age)


@dataclass
class Columns:
    """The per-person columns; one row per person who ever lived in the place during the run."""

    birth_day: np.ndarray  # float64 day of birth (negative: before the run); age = (t - birth) / 365
    female: np.ndarray  # bool
    segment: np.ndarray  # int8 latent segment 0..3 (end of life is derived from death_day)
    risk: np.ndarray  # float32 latent risk multiplier, gamma with mean 1
    entry_day: np.ndarray  # float32 day the person joined the place (0 for the starting population)
    exit_day: np.ndarray  # float32 day the person left by emigration (inf if never)
    death_day: np.ndarray  # float64 latent day of death (inf if not within the scheduled years)


class Population:
    """Latent population of one replication, grown year by year.

    Parameters
    ----------
    settings
        The scenario's population section.
    root_seed, replication
        Seed of the named streams.
    years
        Simulated years to schedule (warm-up plus horizon, rounded up).

    Notes
    -----
    Deaths are drawn one year ahead so that a person is in the end-of-life
    segment for exactly the 365 days before death. Entrants (births and net
    migration) are added at each year's end so that each age band follows its
    projected growth; a band above its projection loses emigrants at random.
    """

    def __init__(self, settings: PopulationSettings, root_seed: int, replication: int, years: int):
        self.settings = settings
        self.seed = root_seed
        self.replication = replication
        self.years = years
        self.n = 0
        mortality = np.array(settings.mortality_per_1000.as_list()) / 1000.0
        self._band_mortality = mortality
        self._seg_mortality = np.array(settings.segment_mortality_multiplier.as_list()[:4])
        self._initial_band_counts = np.zeros(5)
        self._year_done = -1
        rng = rngmod.generator(root_seed, replication, "population.initial")
        self._create_initial(rng)
        self._mortality_norm = self._normaliser(self._seg_mortality)
        self._schedule_deaths(0)
        self._schedule_deaths(1)

    # -- construction ----------------------------------------------------------------

    def _allocate(self, capacity: int) -> None:
        self.cols = Columns(
            birth_day=np.zeros(capacity, dtype=np.float64),
            female=np.zeros(capacity, dtype=bool),
            segment=np.zeros(capacity, dtype=np.int8),
            risk=np.ones(capacity, dtype=np.float32),
            entry_day=np.zeros(capacity, dtype=np.float32),
            exit_day=np.full(capacity, np.inf, dtype=np.float32),
            death_day=np.full(capacity, NO_DEATH, dtype=np.float64),
        )

    def _grow(self, extra: int) -> None:
        need = self.n + extra
        cap = self.cols.birth_day.shape[0]
        if need <= cap:
            return
        new_cap = max(need, int(cap * 1.25))
        for name, arr in vars(self.cols).items():
            fill = {"exit_day": np.inf, "death_day": NO_DEATH, "risk": 1.0}.get(name, 0)
            grown = np.full(new_cap, fill, dtype=arr.dtype)
            grown[: self.n] = arr[: self.n]
            setattr(self.cols, name, grown)

    def _draw_people(self, rng: np.random.Generator, band: np.ndarray, day: float, newborn: bool) -> dict:
        """Attributes of new people in the given bands joining on `day`."""
        m = band.shape[0]
        lower = np.array(AGE_BAND_LOWER, dtype=np.float64)[band]
        upper = np.append(np.array(AGE_BAND_LOWER[1:], dtype=np.float64), 0.0)[band]
        u = rng.random(m)
        if newborn:
            age = u * 1.0  # births during the year: aged 0-1
        else:
            age = lower + u * (upper - lower)
            top = band == 4
            age[top] = np.minimum(85.0 + rng.exponential(_MEAN_YEARS_OVER_85, int(top.sum())), MAX_AGE - 0.01)
        prev = self.settings.segment_prevalence
        f = np.array(prev.frailty.as_list())[band]
        c = np.array(prev.complex.as_list())[band]
        l_ = np.array(prev.ltc.as_list())[band]
        v = rng.random(m)
        segment = np.where(v < f, FRAILTY, np.where(v < f + c, COMPLEX, np.where(v < f + c + l_, LTC, HEALTHY)))
        var = self.settings.latent_risk_variance
        risk = rng.gamma(1.0 / var, var, m)
        female = rng.random(m) < 0.51
        return dict(birth_day=day - age * YEAR_DAYS, female=female, segment=segment.astype(np.int8),
                    risk=risk.astype(np.float32), entry_day=np.full(m, day, dtype=np.float32))

    def _append(self, attrs: dict) -> None:
        m = attrs["birth_day"].shape[0]
        self._grow(m)
        for name, values in attrs.items():
            getattr(self.cols, name)[self.n : self.n + m] = values
        self.n += m

    def _create_initial(self, rng: np.random.Generator) -> None:
        size = self.settings.size
        growth = max(0.0, max(self.settings.growth_pct_per_year.as_list())) / 100.0
        self._allocate(int(size * (1.0 + (0.02 + growth) * self.years)) + 1024)
        shares = np.array(self.settings.age_band_shares.as_list())
        band = rng.choice(5, size=size, p=shares / shares.sum()).astype(np.int8)
        self._append(self._draw_people(rng, band, 0.0, newborn=False))
        self._initial_band_counts = np.bincount(band, minlength=5).astype(np.float64)

    def _normaliser(self, seg_mult: np.ndarray) -> np.ndarray:
        """Per band, the factor that keeps the band's mean multiplier at 1 over the initial mix."""
        c = self.cols
        band = age_band_of(self.age(0.0))
        mult = seg_mult[c.segment[: self.n]]
        total = np.bincount(band, weights=mult, minlength=5)
        count = np.bincount(band, minlength=5)
        mean = np.divide(total, count, out=np.ones(5), where=count > 0)
        return 1.0 / np.where(mean > 0, mean, 1.0)

    # -- queries ---------------------------------------------------------------------

    def age(self, day: float, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Ages in years on `day` of everyone (or of `idx`)."""
        return (day - self.cols.birth_day[: self.n][idx]) / YEAR_DAYS

    def present(self, day: float) -> np.ndarray:
        """Boolean mask: joined, not emigrated and not (latently) dead on `day`."""
        c = self.cols
        n = self.n
        return (c.entry_day[:n] <= day) & (c.exit_day[:n] > day) & (c.death_day[:n] > day)

    def segment_on(self, day: float) -> np.ndarray:
        """Segment on `day`, with end of life for the 365 days before a scheduled death."""
        c = self.cols
        seg = c.segment[: self.n].copy()
        seg[(c.death_day[: self.n] - YEAR_DAYS <= day) & (c.death_day[: self.n] > day)] = END_OF_LIFE
        return seg

    def counts(self, day: float) -> dict[str, float]:
        """Headcounts on `day`: total, 65+, 85+, by band and by segment."""
        mask = self.present(day)
        age = self.age(day)[mask]
        band = age_band_of(age)
        seg = self.segment_on(day)[mask]
        out = {"population": float(mask.sum()), "population_65plus": float((age >= 65).sum()),
               "population_85plus": float((age >= 85).sum())}
        for i, b in enumerate(np.bincount(band, minlength=5)):
            out[f"population_{AGE_BANDS[i]}"] = float(b)
        for i, s in enumerate(np.bincount(seg, minlength=5)):
            out[f"population_segment_{SEGMENTS[i]}"] = float(s)
        return out

    # -- yearly change ---------------------------------------------------------------

    def _schedule_deaths(self, year: int, first: int = 0) -> None:
        """Draw who dies during `year` (days [365*year, 365*(year+1))) among those alive at its start.

        Only people with id >= `first` are considered (entrants get their own draw).
        """
        rng = rngmod.generator(self.seed, self.replication, "population.year", year, 0 if first == 0 else 2)
        start = year * YEAR_DAYS
        n = self.n
        c = self.cols
        alive = (c.death_day[:n] == NO_DEATH) & (c.exit_day[:n] > start)
        alive[:first] = False
        band = age_band_of(self.age(start + YEAR_DAYS / 2))
        hazard = self._band_mortality[band] * self._mortality_norm[band] * self._seg_mortality[c.segment[:n]]
        u = rng.random(n)
        when = rng.random(n)
        dies = alive & (u < -np.expm1(-hazard))
        c.death_day[:n][dies] = start + when[dies] * YEAR_DAYS

    def advance_year(self, year: int) -> None:
        """Apply the changes at the end of `year`: segment progression, entrants, and next-year deaths.

        Must be called once for each year in order (0, 1, ...).
        """
        if year != self._year_done + 1:
            raise ValueError(f"advance_year({year}) called after year {self._year_done}")
        end = (year + 1) * YEAR_DAYS
        rng = rngmod.generator(self.seed, self.replication, "population.year", year, 1)
        c = self.cols
        n = self.n
        # segment progression among people present at the year's end
        present = self.present(end)
        band = age_band_of(self.age(end))
        prog = self.settings.progression_per_year
        p = np.zeros(n)
        seg = c.segment[:n]
        p[seg == HEALTHY] = np.array(prog.healthy_to_ltc.as_list())[band[seg == HEALTHY]]
        p[seg == LTC] = np.array(prog.ltc_to_complex.as_list())[band[seg == LTC]]
        p[seg == COMPLEX] = np.array(prog.complex_to_frailty.as_list())[band[seg == COMPLEX]]
        move = present & (rng.random(n) < p)
        seg[move] += 1
        # entrants and emigrants so that each band follows its projection
        target = self._initial_band_counts * (1.0 + np.array(self.settings.growth_pct_per_year.as_list()) / 100.0) ** (
            year + 1
        )
        current = np.bincount(band[present], minlength=5).astype(np.float64)
        gap = np.round(target - current).astype(np.int64)
        for b in range(5):
            if gap[b] < 0:
                members = np.flatnonzero(present & (band == b))
                leave = rng.choice(members, size=min(-gap[b], members.size), replace=False)
                c.exit_day[leave] = end
                # a death already drawn for after they leave happens elsewhere
                c.death_day[leave] = np.where(c.death_day[leave] >= end, NO_DEATH, c.death_day[leave])
        add = np.repeat(np.arange(5, dtype=np.int8), np.maximum(gap, 0))
        first_new = self.n
        if add.size:
            newborn_mask = add == 0
            for mask, newborn in ((newborn_mask, True), (~newborn_mask, False)):
                if mask.any():
                    self._append(self._draw_people(rng, add[mask], end, newborn=newborn))
        self._year_done = year
        if self.n > first_new:
            self._schedule_deaths(year + 1, first=first_new)
        self._schedule_deaths(year + 2)

    def deaths_between(self, start: float, end: float) -> np.ndarray:
        """Ids of people whose latent death falls in [start, end)."""
        d = self.cols.death_day[: self.n]
        return np.flatnonzero((d >= start) & (d < end))

    def nbytes_per_person(self) -> float:
        """Bytes of column storage per person slot."""
        return sum(a.itemsize for a in vars(self.cols).values())
