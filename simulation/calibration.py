"""Calibration: solve the baseline's base rates so that it reproduces a local profile of targets.

A *profile* (``scenarios/profiles/england.yaml``) states seven rates per 1,000 residents
a year: emergency admissions in each of the five age bands, type 1 A&E
attendances and ambulance incidents. :func:`calibrate` finds seven free
parameters that reproduce them:

* ``demand.crisis_rate_per_person_year``, one value per age band (5);
* a scale on the ambulance share and a scale on the A&E self-presentation
  share of ``routing.first_contact`` (2), the same scale for the three acuity
  tables. GP and NHS 111 take up the difference in their fixed ratio, so each
  table still sums to 1 (they cannot both stay fixed: with GP and 111 fixed,
  ambulance + A&E is fixed and only one scale would be free).

By default the GP same-day slots and the 2-hour response visits are sized
with the calibration (to the requests of 95% of open days): with the base's
allowances the calibrated demand is refused so often that A&E cannot come down
to its target (``docs/calibration.md``, "Why GP slots are sized").

Method (see ``docs/calibration.md``):

1. An analytic **surrogate** gives the expected emergency admissions, A&E
   attendances and ambulance incidents *per crisis* in each band, by
   enumerating the journey of :mod:`simulation.pathway` (first contact -> GP /
   111 / ambulance / UCR / A&E -> admission) from the routing tables. Pools
   only delay, so they are left out; GP slots and UCR visits reroute, so a
   refusal chance by weekday is part of the surrogate (:class:`Access`:
   closed days only at first, then as measured in the last simulation).
   Rates per 1,000 are crisis rate x those expectations (segment and
   latent-risk multipliers have mean 1 by construction).
2. A **simulation correction**: the real model is run on a scaled place; the
   ratio simulated / surrogate of each target captures what the surrogate
   leaves out (readmissions, terminal admissions, crises lost while a person
   is already in a journey, care-home residents' higher rates, the ageing of
   the place). The surrogate is solved again against target / ratio with
   :func:`scipy.optimize.least_squares`, and so on until every target is
   within the profile's tolerance.

Every iteration runs the same seeds and replication indices (common random
numbers). The crisis candidates are drawn at the scenario's band rates,
though, so a change of crisis rate redraws them: the noise between iterations
is only partly common, and the ratio is pooled over iterations.

:func:`unconstrained_demand` measures the places each pool would use if it
had no limit (the method behind the baseline's service capacities).
"""

from __future__ import annotations

import json
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Callable, Sequence

import numpy as np
import pandas as pd
from pydantic import Field
from scipy.optimize import least_squares
from scipy.special import ndtri

from .economy import Economy
from .metrics import run_metrics
from .pathway import GP_RETRY_DAYS
from .population import YEAR_DAYS, age_band_of
from .scenario.fields import ACUITIES, AGE_BANDS, Model
from .scenario.loader import load_scenario
from .scenario.schema import Scenario
from .scenario.transform import revalidate, with_population, with_run
from .scenario.yamlio import load_model

__all__ = [
    "CalibrationResult",
    "Parameters",
    "Profile",
    "TARGET_NAMES",
    "apply_parameters",
    "calibrate",
    "fragment_data",
    "fragment_yaml",
    "load_profile",
    "measure",
    "per_crisis",
    "solve_surrogate",
    "surrogate",
    "unconstrained_demand",
    "write_fragment",
]

MODELINE = "# yaml-language-server: $schema=../schemas/scenario.schema.json"
#: Significant figures of the calibrated values written to the fragment (and simulated).
SIGNIFICANT_FIGURES = 4
#: The seven targets, in the order of every vector in this module.
TARGET_NAMES = tuple(f"emergency_admissions_per_1000.{b}" for b in AGE_BANDS) + (
    "ae_attendances_per_1000",
    "ambulance_incidents_per_1000",
)
PARAMETER_NAMES = tuple(f"demand.crisis_rate_per_person_year.{b}" for b in AGE_BANDS) + (
    "routing.first_contact: ambulance scale",
    "routing.first_contact: ae_self scale",
)
EA, AE, AMB = range(3)


# --- the profile --------------------------------------------------------------------

Rate = Annotated[float, Field(gt=0.0, le=100_000.0)]


class EmergencyAdmissionTargets(Model):
    """Emergency admissions per 1,000 residents a year in each age band."""

    age_0_17: Rate
    age_18_64: Rate
    age_65_74: Rate
    age_75_84: Rate
    age_85_plus: Rate


class ProfileTargets(Model):
    """The rates the calibrated baseline must reproduce (per 1,000 residents a year)."""

    emergency_admissions_per_1000: EmergencyAdmissionTargets
    ae_attendances_per_1000: Rate
    ambulance_incidents_per_1000: Rate


class Profile(Model):
    """A local profile: the targets of a calibration and how close it must come."""

    name: Annotated[str, Field(min_length=1, max_length=80)] = "profile"
    description: Annotated[str, Field(max_length=4000)] = ""
    targets: ProfileTargets
    tolerance_pct: Annotated[float, Field(gt=0.0, le=50.0)] = 3.0

    def target_vector(self) -> np.ndarray:
        """Targets in :data:`TARGET_NAMES` order."""
        t = self.targets
        ea = [getattr(t.emergency_admissions_per_1000, b) for b in AGE_BANDS]
        return np.array(ea + [t.ae_attendances_per_1000, t.ambulance_incidents_per_1000], dtype=float)


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and check a profile file; every problem comes back located (:class:`ScenarioError`)."""
    return load_model(Profile, path)


# --- the free parameters ------------------------------------------------------------


def _round(value: float, sig: int = SIGNIFICANT_FIGURES) -> float:
    """`value` rounded to `sig` significant figures, as a plain float."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{sig}g}")


@dataclass(frozen=True)
class Parameters:
    """The seven free parameters: crisis rate by band, and the two first-contact scales."""

    rates: tuple[float, float, float, float, float]
    ambulance_scale: float = 1.0
    ae_self_scale: float = 1.0

    def vector(self) -> np.ndarray:
        return np.array([*self.rates, self.ambulance_scale, self.ae_self_scale], dtype=float)

    @classmethod
    def from_vector(cls, x: Sequence[float]) -> "Parameters":
        return cls(tuple(float(v) for v in x[:5]), float(x[5]), float(x[6]))

    @classmethod
    def of(cls, scenario: Scenario) -> "Parameters":
        """The scenario's own crisis rates, with both scales at 1."""
        return cls(tuple(scenario.demand.crisis_rate_per_person_year.as_list()))


class _FirstContactBase:
    """The base scenario's first-contact shares, from which the scales are applied."""

    def __init__(self, scenario: Scenario):
        tables = [getattr(scenario.routing.first_contact, a).probabilities() for a in ACUITIES]
        self.gp = np.array([t["gp"] for t in tables])
        self.nhs111 = np.array([t["nhs111"] for t in tables])
        self.amb = np.array([t["ambulance"] for t in tables])
        self.ae = np.array([t["ae_self"] for t in tables])

    def shares(self, s_amb: float, s_ae: float, sig: int | None = None) -> list[dict[str, float]]:
        """First-contact tables (gp, nhs111, ambulance, ae_self) of each acuity for the given scales.

        With ``sig`` the three written shares are rounded and ``ae_self`` is what is left
        (exactly what a fragment with ``ae_self: remainder`` gives).
        """
        out = []
        for i in range(len(ACUITIES)):
            amb = s_amb * self.amb[i]
            ae = s_ae * self.ae[i]
            rest = self.gp[i] + self.nhs111[i]
            free = max(0.0, 1.0 - amb - ae)
            if rest > 0:
                gp, nhs = self.gp[i] * free / rest, self.nhs111[i] * free / rest
            else:  # no GP or 111 share to absorb the change: A&E takes what the ambulance leaves
                gp = nhs = 0.0
                ae = max(0.0, 1.0 - amb)
            if sig is not None:
                gp, nhs, amb = _round(gp, sig), _round(nhs, sig), _round(amb, sig)
                excess = gp + nhs + amb - 1.0
                if excess > 0:  # rounding pushed the written shares over 1: take it off the largest
                    if gp >= nhs and gp >= amb:
                        gp = _round(gp - excess, sig + 2)
                    elif nhs >= amb:
                        nhs = _round(nhs - excess, sig + 2)
                    else:
                        amb = _round(amb - excess, sig + 2)
                ae = max(0.0, 1.0 - gp - nhs - amb)
            out.append({"gp": gp, "nhs111": nhs, "ambulance": amb, "ae_self": ae})
        return out

    def overflow(self, s_amb: float, s_ae: float) -> float:
        """How far ambulance + A&E shares exceed 1 in the worst acuity (0 when feasible)."""
        return float(max(0.0, np.max(s_amb * self.amb + s_ae * self.ae) - 1.0))


@dataclass(frozen=True)
class Slots:
    """Daily allowances sized with the calibration (at the base scenario's size), or ``"unlimited"``."""

    gp_same_day_slots_per_weekday: int | str
    ucr_visits_per_day: int | str

    @classmethod
    def unlimited(cls) -> "Slots":
        return cls("unlimited", "unlimited")


def fragment_data(base: Scenario, params: Parameters, slots: Slots | None = None) -> dict:
    """The calibrated fields as a nested dict (values rounded to 4 significant figures)."""
    fc = _FirstContactBase(base)
    tables = fc.shares(params.ambulance_scale, params.ae_self_scale, sig=SIGNIFICANT_FIGURES)
    out: dict[str, Any] = {
        "demand": {"crisis_rate_per_person_year": {b: _round(r) for b, r in zip(AGE_BANDS, params.rates)}},
        "routing": {"first_contact": {
            a: {"gp": t["gp"], "nhs111": t["nhs111"], "ambulance": t["ambulance"], "ae_self": "remainder"}
            for a, t in zip(ACUITIES, tables)
        }},
    }
    if slots is not None:
        out["services"] = {"gp": {"same_day_slots_per_weekday": slots.gp_same_day_slots_per_weekday},
                           "ucr": {"visits_per_day": slots.ucr_visits_per_day}}
    return out


def _deep_merge(base: dict, update: dict) -> dict:
    out = dict(base)
    for k, v in update.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def apply_parameters(base: Scenario, params: Parameters, slots: Slots | None = None) -> Scenario:
    """`base` with the calibrated fields (rounded exactly as in the fragment) put in.

    The two scales apply to `base`'s own first-contact shares.
    """
    return Scenario.model_validate(_deep_merge(base.model_dump(), fragment_data(base, params, slots)))


# --- the surrogate ------------------------------------------------------------------

WEEK = 7
#: Time of day (fraction) of a retry for a GP slot: pathway.gp_contact waits until 9am the next day.
RETRY_TIME = 9.0 / 24.0


@dataclass(frozen=True)
class Access:
    """Chances that a request for a GP same-day slot or a 2-hour response visit is refused.

    ``gp_refused[w]`` is for requests at a random time of weekday ``w`` (0 =
    Monday), ``gp_refused_9am[w]`` for the 9am retries of
    :func:`simulation.pathway.gp_contact`, ``ucr_refused`` for any UCR request;
    ``gp_open[w]`` says whether practices open on weekday ``w`` (retries go to
    the next open day). :meth:`open_hours` gives the surrogate's default:
    capacity ignored, only closed days refuse. :func:`measure` reads the
    chances from a simulation.
    """

    gp_refused: tuple[float, ...] = (0.0,) * WEEK
    gp_refused_9am: tuple[float, ...] = (0.0,) * WEEK
    ucr_refused: float = 0.0
    gp_open: tuple[bool, ...] = (True,) * WEEK

    @classmethod
    def open_hours(cls, scenario: Scenario) -> "Access":
        weekends = scenario.services.gp.open_weekends
        is_open = (True,) * 5 + (weekends, weekends)
        week = tuple(0.0 if o else 1.0 for o in is_open)
        return cls(week, week, 0.0, is_open)


def _gp_access(access: Access, no_slot: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes of a request for a GP slot, averaged over the day of the week.

    Returns two vectors (slot, NHS 111 without GP, A&E): for a first contact
    (the no-slot table applies) and for a referral from NHS 111 (always retries).
    Retries happen at 9am on the next open days; after :data:`GP_RETRY_DAYS`
    refused retries the person goes to A&E (as in :func:`simulation.pathway.gp_contact`).
    """
    rho = np.asarray(access.gp_refused, dtype=float)
    rho9 = np.asarray(access.gp_refused_9am, dtype=float)
    is_open = list(access.gp_open)

    def next_open(day: int) -> int:
        for k in range(1, WEEK + 1):
            if is_open[(day + k) % WEEK]:
                return (day + k) % WEEK
        return (day + 1) % WEEK  # never open: every retry is refused anyway

    def retry_chain(day: int) -> np.ndarray:
        """A refused request on `day` that waits for the next open days."""
        slot, left, v = 0.0, 1.0, day
        for _ in range(GP_RETRY_DAYS + 1):
            v = next_open(v)
            slot += left * (1.0 - rho9[v])
            left *= rho9[v]
        return np.array([slot, 0.0, left])

    first = np.zeros(3)
    from_111 = np.zeros(3)
    for w in range(WEEK):
        chain = retry_chain(w)
        refused = np.array([0.0, no_slot["nhs111"], no_slot["ae_self"]]) + no_slot["next_day"] * chain
        first += (1.0 - rho[w]) * np.array([1.0, 0.0, 0.0]) + rho[w] * refused
        from_111 += (1.0 - rho[w]) * np.array([1.0, 0.0, 0.0]) + rho[w] * chain
    return first / WEEK, from_111 / WEEK


def _per_crisis_by_acuity(scenario: Scenario, first_contact: list[dict[str, float]] | None = None,
                          access: Access | None = None) -> np.ndarray:
    """Expected (EA, A&E attendances, ambulance incidents) per crisis of each acuity.

    Follows :mod:`simulation.pathway` step by step: every decision uses its own
    uniform and each decision point is met at most once per journey, so the
    expectations are sums of products of branch probabilities. Pools (111
    handlers, crews, cubicles, beds) only delay and never reroute, so they are
    left out; GP slots and UCR visits do reroute, with the refusal chances of
    `access` (default: :meth:`Access.open_hours`). Returns shape (3, 3).
    """
    r = scenario.routing
    access = access or Access.open_hours(scenario)
    gp_first, gp_111 = _gp_access(access, r.gp_no_slot.probabilities())
    q = r.ucr_to_ae_by_ambulance
    rho_u = access.ucr_refused
    one_ea, one_amb = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    out = np.zeros((len(ACUITIES), 3))
    for i, a in enumerate(ACUITIES):
        admit = getattr(r.ae_admission_probability, a)
        ae = np.array([admit, 1.0, 0.0])  # attend_ae: one attendance, admitted with `admit`
        escalate = ae + q * one_amb  # UCR to A&E: by ambulance with chance q
        ucr_t = getattr(r.ucr_outcome, a).probabilities()
        ucr = ((1.0 - rho_u) * (1.0 - ucr_t["managed"]) + rho_u) * escalate
        amb_t = getattr(r.ambulance_outcome, a).probabilities()
        amb = one_amb + amb_t["refer_ucr"] * ucr + amb_t["convey"] * ae
        gp_t = getattr(r.gp_outcome, a).probabilities()
        seen = gp_t["ucr"] * ucr + gp_t["ae"] * ae + gp_t["direct_admission"] * one_ea
        t111 = getattr(r.nhs111_outcome, a).probabilities()
        no_gp_111 = t111["ucr"] * ucr + t111["ambulance"] * amb + t111["ae"] * ae  # gp -> self care
        gp = gp_first[0] * seen + gp_first[1] * no_gp_111 + gp_first[2] * ae
        gp_from_111 = gp_111[0] * seen + gp_111[2] * ae
        nhs111 = t111["gp"] * gp_from_111 + no_gp_111
        fc = first_contact[i] if first_contact is not None else getattr(r.first_contact, a).probabilities()
        out[i] = fc["gp"] * gp + fc["nhs111"] * nhs111 + fc["ambulance"] * amb + fc["ae_self"] * ae
    return out


def per_crisis(scenario: Scenario, first_contact: list[dict[str, float]] | None = None,
               access: Access | None = None) -> pd.DataFrame:
    """Expected emergency admissions, A&E attendances and ambulance incidents per crisis, by age band.

    The acuity mix of each band weights :func:`_per_crisis_by_acuity`.
    Readmissions, terminal admissions and waits are left out.
    """
    by_acuity = _per_crisis_by_acuity(scenario, first_contact, access)
    rows = []
    for b in AGE_BANDS:
        mix = getattr(scenario.demand.acuity_mix, b).probabilities()
        w = np.array([mix[a] for a in ACUITIES])
        rows.append(w @ by_acuity)
    return pd.DataFrame(rows, index=list(AGE_BANDS), columns=["emergency_admissions", "ae_attendances",
                                                               "ambulance_incidents"])


def _band_weights(scenario: Scenario, weights: Sequence[float] | None) -> np.ndarray:
    w = np.asarray(scenario.population.age_band_shares.as_list() if weights is None else weights, dtype=float)
    return w / w.sum()


def surrogate(scenario: Scenario, params: Parameters | None = None, band_weights: Sequence[float] | None = None,
              access: Access | None = None) -> np.ndarray:
    """The seven targets (per 1,000 a year) the surrogate predicts for `params` applied to `scenario`.

    ``band_weights`` are the population shares of the bands (default: the
    scenario's starting shares) used for the all-ages A&E and ambulance rates.
    """
    params = params or Parameters.of(scenario)
    fc = _FirstContactBase(scenario)
    tables = fc.shares(params.ambulance_scale, params.ae_self_scale)
    p = per_crisis(scenario, tables, access).to_numpy()
    per_person = np.asarray(params.rates)[:, None] * p * 1000.0  # (band, EA/AE/AMB) per 1,000 a year
    w = _band_weights(scenario, band_weights)
    return np.concatenate([per_person[:, EA], [w @ per_person[:, AE], w @ per_person[:, AMB]]])


def solve_surrogate(scenario: Scenario, targets: Sequence[float], band_weights: Sequence[float] | None = None,
                    start: Parameters | None = None, access: Access | None = None) -> Parameters:
    """Parameters whose surrogate values meet `targets`, by bounded least squares on relative errors.

    Bounds: rates > 0; each scale keeps its shares within [0, 1]; a penalty
    keeps ambulance + A&E <= 1 in every acuity (GP and 111 shares >= 0).
    """
    targets = np.asarray(targets, dtype=float)
    fc = _FirstContactBase(scenario)
    top_amb, top_ae = float(fc.amb.max()), float(fc.ae.max())
    ub_amb = 1.0 / top_amb if top_amb > 0 else 1.0
    ub_ae = 1.0 / top_ae if top_ae > 0 else 1.0
    lb = np.array([1e-6] * 5 + [0.0, 0.0])
    ub = np.array([1000.0] * 5 + [ub_amb, ub_ae])

    def fun(x: np.ndarray) -> np.ndarray:
        pr = Parameters.from_vector(x)
        val = surrogate(scenario, pr, band_weights, access=access)
        return np.append(val / targets - 1.0, 10.0 * fc.overflow(pr.ambulance_scale, pr.ae_self_scale))

    if start is None:
        p = per_crisis(scenario, fc.shares(1.0, 1.0), access).to_numpy()[:, EA]
        start = Parameters(tuple(targets[:5] / (1000.0 * np.maximum(p, 1e-9))), 1.0, 1.0)
    x0 = np.clip(start.vector(), lb + 1e-9, ub - 1e-9)
    sol = least_squares(fun, x0, bounds=(lb, ub), method="trf", x_scale="jac", xtol=1e-14, ftol=1e-14,
                        gtol=1e-14, max_nfev=2000)
    return Parameters.from_vector(sol.x)


# --- simulation ---------------------------------------------------------------------


class _CountingSlots:
    """Wraps a :class:`~simulation.services.pools.DailySlots` and counts its requests (never changes them).

    Counts requests and refusals by weekday after the warm-up, separately for the
    9am retries of :func:`simulation.pathway.gp_contact` (crisis times are
    continuous, so nothing else falls exactly at 9am), and requests per day.
    """

    def __init__(self, inner, calendar, warmup: float, end: float):
        self._inner = inner
        self._calendar = calendar
        self._warmup = warmup
        self.asked = np.zeros((2, WEEK))  # row 0: at a random time, row 1: 9am retries
        self.refused_by_day = np.zeros((2, WEEK))
        self.daily = np.zeros(int(math.ceil(end)) + 2)

    def take(self, day: float, period: int) -> bool:
        ok = self._inner.take(day, period)
        if day >= self._warmup:
            row = 1 if abs(day - math.floor(day) - RETRY_TIME) < 1e-9 else 0
            w = self._calendar.weekday(day)
            self.asked[row, w] += 1
            self.daily[int(day)] += 1
            if not ok:
                self.refused_by_day[row, w] += 1
        return ok

    def open_days(self, warmup: float, end: float) -> np.ndarray:
        """Requests on each open day of the reported years."""
        days = range(int(math.ceil(warmup)), int(math.floor(end)))
        return np.array([self.daily[d] for d in days if self._inner.open_on(d)], dtype=float)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def _count_slots(eco: Economy, warmup: float, end: float) -> tuple[_CountingSlots, _CountingSlots]:
    """Put counting wrappers around the economy's GP slots and UCR visits (before it runs)."""
    gp = _CountingSlots(eco.gp_slots, eco.calendar, warmup, end)
    ucr = _CountingSlots(eco.ucr_slots, eco.calendar, warmup, end)
    eco.gp_slots, eco.ucr_slots = gp, ucr
    services = getattr(eco, "slot_services", None)
    if isinstance(services, dict):
        services.update({k: w for k, w in (("gp", gp), ("ucr", ucr)) if k in services})
    return gp, ucr


def _measure_one(scenario_data: dict, replication: int) -> dict:
    """One replication's counts behind the seven targets and the slot requests (worker entry point)."""
    scenario = Scenario.model_validate(scenario_data)
    eco = Economy(scenario, replication)
    per = eco.periods
    warm, end = per.warmup, per.end
    gp, ucr = _count_slots(eco, warm, end)
    eco.run()
    rows = [(p, a) for p, a, *_ in eco.admissions] + list(eco.open_stays.items())
    person = np.array([r[0] for r in rows], dtype=np.int64)
    admitted = np.array([r[1] for r in rows], dtype=float)
    keep = (admitted >= warm) & (admitted < end)  # by admission time, as the emergency_admissions metric
    age = (admitted[keep] - eco.population.cols.birth_day[person[keep]]) / YEAR_DAYS
    ea = np.bincount(age_band_of(age), minlength=5).astype(float)
    mids = [warm + YEAR_DAYS * (k - 1) + YEAR_DAYS / 2 for k in range(1, per.years + 1)]
    pop = np.zeros(5)
    for d in mids:
        c = eco.population.counts(d)
        pop += np.array([c[f"population_{b}"] for b in AGE_BANDS])
    table = run_metrics(eco)
    allv = table[table["year"] == "all"].set_index("metric")["value"]
    return {
        "ea": ea.tolist(),
        "band_population": pop.tolist(),
        "population": float(allv["population"]) * per.years,
        "ae": float(allv["ae_attendances"]),
        "ambulance": float(allv["ambulance_incidents"]),
        "emergency_admissions": float(allv["emergency_admissions"]),
        "crises": float(allv["crises"]),
        "gp_asked": gp.asked.tolist(),
        "gp_refused": gp.refused_by_day.tolist(),
        "gp_daily": gp.open_days(warm, end).tolist(),
        "ucr_asked": float(ucr.asked.sum()),
        "ucr_refused": float(ucr.refused_by_day.sum()),
        "ucr_daily": ucr.open_days(warm, end).tolist(),
        "wall_seconds": eco.wall_seconds,
    }


@dataclass
class Measurement:
    """One iteration's simulation: the seven targets (pooled over replications) and the slot requests.

    ``gp_daily`` and ``ucr_daily`` are requests on each open day of the
    reported years of every replication (retries included).
    """

    values: np.ndarray
    band_population: np.ndarray
    access: Access
    gp_daily: np.ndarray
    ucr_daily: np.ndarray
    crises: float
    wall_seconds: float


def _share(num: np.ndarray, den: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), fallback)


def _map(fn: Callable, args: list[tuple], jobs: int) -> list:
    if jobs > 1 and len(args) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(args))) as pool:
            return list(pool.map(fn, *zip(*args)))
    return [fn(*a) for a in args]


def measure(scenario: Scenario, replications: int, jobs: int = 1) -> Measurement:
    """Run replications 0..R-1 of `scenario`: the seven targets (sums of counts over sums of
    mid-year residents, x 1,000 a year) and the GP / UCR refusal chances."""
    data = scenario.model_dump()
    runs = _map(_measure_one, [(data, r) for r in range(replications)], jobs)
    ea = np.sum([r["ea"] for r in runs], axis=0)
    band_pop = np.sum([r["band_population"] for r in runs], axis=0)
    pop = sum(r["population"] for r in runs)
    values = np.concatenate([ea / band_pop * 1000.0,
                             [sum(r["ae"] for r in runs) / pop * 1000.0,
                              sum(r["ambulance"] for r in runs) / pop * 1000.0]])
    asked = np.sum([r["gp_asked"] for r in runs], axis=0)
    refused = np.sum([r["gp_refused"] for r in runs], axis=0)
    default = Access.open_hours(scenario)
    first = _share(refused[0], asked[0], np.asarray(default.gp_refused))
    at9 = _share(refused[1], asked[1], first)
    u_asked = sum(r["ucr_asked"] for r in runs)
    u_ref = sum(r["ucr_refused"] for r in runs) / u_asked if u_asked else 0.0
    access = Access(tuple(float(v) for v in first), tuple(float(v) for v in at9), float(u_ref), default.gp_open)
    return Measurement(values, band_pop, access,
                       np.concatenate([r["gp_daily"] for r in runs]), np.concatenate([r["ucr_daily"] for r in runs]),
                       sum(r["crises"] for r in runs), sum(r["wall_seconds"] for r in runs))


def size_allowance(daily: np.ndarray, factor: float, quantile: float) -> int:
    """A daily allowance that meets the requests of a `quantile` share of days, at `factor` x the size.

    `daily` are requests per open day in the simulated place. Requests are taken
    as normal with the variance split into a Poisson part (which scales with
    the size) and a systematic part (season, weekday; scales with its square):
    ``var = factor^2 (v - m) + factor m``.
    """
    daily = np.asarray(daily, dtype=float)
    if daily.size < 2:
        return 1
    m, v = float(daily.mean()), float(daily.var(ddof=1))
    var = factor * factor * max(v - m, 0.0) + factor * m
    return max(1, int(math.ceil(factor * m + float(ndtri(quantile)) * math.sqrt(var))))


# --- the calibration ----------------------------------------------------------------


@dataclass
class CalibrationResult:
    """What :func:`calibrate` found.

    Attributes
    ----------
    scenario
        The base scenario (at its own size) with the calibrated fields.
    fragment
        Only the calibrated fields, as a nested dict (values to 4 significant figures).
    residuals
        One row per target and iteration: ``iteration, target, target_value, achieved,
        error_pct, surrogate, ratio`` (ratio = simulated / surrogate).
    parameters
        One row per parameter and iteration: ``iteration, parameter, value`` (the
        slot allowances, when sized, are at the base scenario's size).
    converged
        Whether every target of the last iteration is within the tolerance.
    final
        The residual rows of the last iteration.
    access
        Refusal chances of GP slots and UCR visits measured in the last iteration.
    """

    profile: Profile
    profile_path: str
    scenario: Scenario
    fragment: dict
    residuals: pd.DataFrame
    parameters: pd.DataFrame
    converged: bool
    iterations: int
    settings: dict
    base_path: str | None = None
    wall_seconds: float = 0.0
    final: pd.DataFrame = field(default_factory=pd.DataFrame)
    access: Access | None = None

    def summary(self) -> str:
        """A short text table of the last iteration."""
        lines = [f"{'target':<44}{'target':>10}{'achieved':>11}{'error':>9}"]
        for _, row in self.final.iterrows():
            lines.append(f"{row['target']:<44}{row['target_value']:>10.1f}{row['achieved']:>11.1f}"
                         f"{row['error_pct']:>+8.1f}%")
        state = "converged" if self.converged else "NOT converged"
        lines.append(f"{state} after {self.iterations} iteration(s) "
                     f"(tolerance {self.profile.tolerance_pct:g}%)")
        return "\n".join(lines)


def calibrate(
    profile_path: str | os.PathLike[str],
    base_scenario: Scenario | str | os.PathLike[str] | None = None,
    *,
    population: int = 100_000,
    years: int = 2,
    replications: int = 2,
    max_iterations: int = 6,
    size_slots: bool = True,
    slot_quantile: float = 0.95,
    jobs: int = 1,
    seed: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Solve crisis rates and first-contact shares so the baseline reproduces a profile.

    Parameters
    ----------
    profile_path
        The profile YAML (targets and tolerance).
    base_scenario
        The scenario to calibrate: a :class:`Scenario`, a scenario file, or
        ``None`` for the schema defaults. Its other settings stay as they are.
    population, years, replications
        The place simulated at each iteration: size (capacities scale with it),
        reported years after the scenario's warm-up, and replications 0..R-1.
    max_iterations
        Simulation runs of the outer loop at most.
    size_slots
        Also size GP same-day slots and 2-hour response visits to the calibrated
        demand (see :func:`size_allowance`): the first iteration runs them
        unlimited, each later one uses the allowance that meets the previous
        iteration's requests on a `slot_quantile` share of open days. With
        ``False`` they stay as in the base (and can make the targets unreachable:
        refused GP requests end in A&E).
    jobs
        Worker processes for the replications of an iteration (results do not depend on it).
    seed
        Root seed (default: the scenario's ``run.seed``).
    progress
        Called with one line of text per step.

    Raises
    ------
    ScenarioError
        The profile or the base scenario file has problems (located).
    ValueError
        A setting is out of range (message in plain words).
    """
    for label, value, low, high in (("population", population, 1000, 5_000_000), ("years", years, 1, 10),
                                    ("replications", replications, 1, 1000),
                                    ("max_iterations", max_iterations, 1, 100)):
        if not low <= value <= high:
            raise ValueError(f"{label} must be between {low:,} and {high:,} (got {value})")
    if not 0.5 < slot_quantile < 1.0:
        raise ValueError(f"slot_quantile must be between 0.5 and 1 (got {slot_quantile})")
    t0 = time.perf_counter()
    say = progress or (lambda _msg: None)
    profile = load_profile(profile_path)
    base_path = None
    if base_scenario is None:
        base = Scenario()
    elif isinstance(base_scenario, Scenario):
        base = base_scenario
    else:
        base_path = os.fspath(base_scenario)
        base = load_scenario(base_path)
    factor = base.population.size / population

    def at_run_size(sc: Scenario) -> Scenario:
        return revalidate(with_run(with_population(sc, population), horizon_years=years,
                                   replications=replications, seed=seed))

    targets = profile.target_vector()
    tol = profile.tolerance_pct / 100.0
    weights = None
    access: Access | None = None  # first solve: capacity ignored (only closed days refuse)
    slots: Slots | None = Slots.unlimited() if size_slots else None
    params: Parameters | None = None
    sim_sum = np.zeros(7)
    sur_sum = np.zeros(7)
    ratio = np.ones(7)
    res_rows, par_rows = [], []
    converged = False
    iteration = 0
    used_slots = slots
    for iteration in range(1, max_iterations + 1):
        params = solve_surrogate(base, targets / ratio, weights, start=params, access=access)
        used_slots = slots
        sc = apply_parameters(base, params, slots)
        run_sc = at_run_size(sc)
        say(f"iteration {iteration}: simulating {replications} replication(s) of {population:,} people "
            f"x {years} year(s)")
        m = measure(run_sc, replications, jobs)
        weights = m.band_population / m.band_population.sum()
        access = m.access
        sur = surrogate(run_sc, band_weights=weights, access=access)  # the simulated (rounded) values exactly
        err = m.values / targets - 1.0
        sim_sum += m.values
        sur_sum += sur
        for name, tv, ach, e, sv in zip(TARGET_NAMES, targets, m.values, err, sur):
            res_rows.append((iteration, name, float(tv), float(ach), float(100.0 * e), float(sv), float(ach / sv)))
        for name, v in zip(PARAMETER_NAMES, params.vector()):
            par_rows.append((iteration, name, float(v)))
        if used_slots is not None:
            par_rows.append((iteration, "services.gp.same_day_slots_per_weekday",
                             used_slots.gp_same_day_slots_per_weekday))
            par_rows.append((iteration, "services.ucr.visits_per_day", used_slots.ucr_visits_per_day))
        worst = int(np.argmax(np.abs(err)))
        refused = float(np.mean(access.gp_refused[:5]))
        say(f"iteration {iteration}: worst {TARGET_NAMES[worst]} {100 * err[worst]:+.2f}%; "
            f"weekday GP requests refused {100 * refused:.1f}% ({m.wall_seconds:.0f} s simulated)")
        sized_final = used_slots is None or used_slots != Slots.unlimited()
        if np.all(np.abs(err) <= tol) and sized_final:
            converged = True
            break
        ratio = sim_sum / sur_sum  # pooled over iterations: damps the noise of any one run
        if size_slots:
            slots = Slots(size_allowance(m.gp_daily, factor, slot_quantile),
                          size_allowance(m.ucr_daily, factor, slot_quantile))
    residuals = pd.DataFrame(res_rows, columns=["iteration", "target", "target_value", "achieved", "error_pct",
                                                "surrogate", "ratio"])
    parameters = pd.DataFrame(par_rows, columns=["iteration", "parameter", "value"])
    assert params is not None
    settings = {"population": population, "years": years, "replications": replications,
                "warmup_years": base.run.warmup_years, "seed": seed if seed is not None else base.run.seed,
                "max_iterations": max_iterations, "size_slots": size_slots, "slot_quantile": slot_quantile}
    return CalibrationResult(
        profile=profile,
        profile_path=os.fspath(profile_path),
        scenario=apply_parameters(base, params, used_slots),
        fragment=fragment_data(base, params, used_slots),
        residuals=residuals,
        parameters=parameters,
        converged=converged,
        iterations=iteration,
        settings=settings,
        base_path=base_path,
        wall_seconds=time.perf_counter() - t0,
        final=residuals[residuals["iteration"] == iteration].reset_index(drop=True),
        access=access,
    )


# --- the fragment file --------------------------------------------------------------


def _yaml_scalar(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    text = repr(float(v))
    return text


def _flow(d: dict) -> str:
    return "{" + ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in d.items()) + "}"


def _posix_rel(target: str | os.PathLike[str], folder: str | os.PathLike[str]) -> str:
    return Path(os.path.relpath(os.path.abspath(target), os.path.abspath(folder))).as_posix()


def fragment_yaml(result: CalibrationResult, path: str | os.PathLike[str] | None = None,
                  base: str | os.PathLike[str] | None = None, name: str | None = None) -> str:
    """The text of the fragment file (see :func:`write_fragment`)."""
    folder = os.path.dirname(os.path.abspath(path)) if path is not None else os.getcwd()
    base = base if base is not None else result.base_path
    if name is None and base is not None:
        name = f"calibrated to {result.profile.name}"[:80]
    s = result.settings
    profile_ref = _posix_rel(result.profile_path, folder) if path is not None else Path(result.profile_path).name
    state = "yes" if result.converged else "NO"
    lines = [
        MODELINE,
        "# careshift calibration fragment: only the calibrated fields; every other setting comes from the",
        "# file it extends. Generated by simulation.calibration (python run_scenarios.py calibrate); do not edit",
        "# by hand: calibrate again. Method and sources: docs/calibration.md.",
        f"# profile: {profile_ref} ({result.profile.name}); tolerance {result.profile.tolerance_pct:g}%",
        f"# simulated place: {s['population']:,} people, {s['years']} reported year(s) after a "
        f"{s['warmup_years']:g}-year warm-up, {s['replications']} replication(s), seed {s['seed']}",
        f"# converged: {state}, after {result.iterations} iteration(s) (at most {s['max_iterations']})",
        "# residuals of the last iteration (per 1,000 residents a year):",
        f"#   {'target':<42}{'target':>9}{'achieved':>10}{'error':>9}",
    ]
    for _, row in result.final.iterrows():
        lines.append(f"#   {row['target']:<42}{row['target_value']:>9.1f}{row['achieved']:>10.1f}"
                     f"{row['error_pct']:>+8.2f}%")
    lines.append("")
    if base is not None:
        lines.append(f"extends: {_posix_rel(base, folder)}")
    if name:
        lines.append(f"name: {json.dumps(name, ensure_ascii=False)}")
    if base is not None or name:
        lines.append("")
    frag = result.fragment
    lines += [
        "demand:",
        "  # Mean crises per person a year in each age band. [crises per person-year]",
        "  # source: D: calibrated to the profile above (docs/calibration.md)",
        f"  crisis_rate_per_person_year: {_flow(frag['demand']['crisis_rate_per_person_year'])}",
        "",
        "routing:",
        "  # First point of contact by acuity; the ambulance and A&E shares are scaled, GP and 111 keep",
        "  # their ratio and take up the difference. [probability]",
        "  # source: D: calibrated to the profile above (docs/calibration.md)",
        "  first_contact:",
    ]
    for a in ACUITIES:
        lines.append(f"    {a}: {_flow(frag['routing']['first_contact'][a])}")
    if "services" in frag:
        q = s.get("slot_quantile", 0.95)
        lines += [
            "",
            "services:",
            f"  # Daily allowances sized to the calibrated demand: enough for the requests of {q:.0%} of open days",
            "  # (they run out on some winter Mondays). [per day, at this place's size]",
            "  # source: D: sized with the calibration (docs/calibration.md)",
            "  gp:",
            f"    same_day_slots_per_weekday: {frag['services']['gp']['same_day_slots_per_weekday']}",
            "  ucr:",
            f"    visits_per_day: {frag['services']['ucr']['visits_per_day']}",
        ]
    return "\n".join(lines) + "\n"


def write_fragment(result: CalibrationResult, path: str | os.PathLike[str],
                   base: str | os.PathLike[str] | None = None, name: str | None = None) -> Path:
    """Write the calibrated fields as a scenario fragment YAML; returns the path.

    With ``base`` (default: the scenario file given to :func:`calibrate`, if
    any) the fragment starts with ``extends:`` naming it relative to `path`, so
    the fragment is itself a runnable scenario that other files can extend;
    it then also gets a ``name`` (default ``calibrated to <profile name>``), so
    that it can sit beside the baseline in ``scenarios/`` (names must be
    unique). ``name=""`` leaves the name out. The output holds no date or
    time: the same calibration writes the same bytes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = fragment_yaml(result, path, base, name)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


# --- capacity sizing ----------------------------------------------------------------


def _sample_pools(eco: Economy, out: list, step_days: float):
    env = eco.env
    yield env.timeout(eco.periods.warmup)
    while env.now < eco.end_day - 1e-9:
        out.append([p.in_use for p in eco.pools])
        yield env.timeout(step_days)


def _unconstrained_one(scenario_data: dict, replication: int, step_hours: float) -> dict:
    scenario = Scenario.model_validate(scenario_data)
    eco = Economy(scenario, replication)
    capacities = [p.capacity for p in eco.pools]
    for pool in eco.pools:  # the initial stocks still fill to the scenario's capacities; then no limit
        pool.set_capacity(None)
    warm, end = eco.periods.warmup, eco.periods.end
    gp, ucr = _count_slots(eco, warm, end)
    samples: list = []
    eco.env.process(_sample_pools(eco, samples, step_hours / 24.0))
    eco.run()
    days = sum(eco.periods.length(k) for k in range(1, eco.periods.years + 1))
    means = [sum(p.busy.area[1:]) / days for p in eco.pools]
    return {"names": [p.name for p in eco.pools], "capacities": capacities, "means": means,
            "samples": np.asarray(samples, dtype=float),
            "gp_daily": gp.open_days(warm, end), "ucr_daily": ucr.open_days(warm, end)}


def unconstrained_demand(scenario: Scenario | None = None, population: int = 250_000, years: int = 2,
                         replications: int = 2, *, unlimited_slots: bool = False, jobs: int = 1,
                         step_hours: float = 1.0) -> pd.DataFrame:
    """Places each pool would use with no capacity limit: mean, p90, p99 and max in use.

    Every pool of :attr:`Economy.pools` (NHS 111, ambulance, A&E, acute,
    reablement, intermediate care, home care, care homes) is made unlimited
    after the place is built, so the care-home and home-care stocks still start
    filled to 90% of the scenario's capacities. GP same-day slots and 2-hour
    response visits keep their daily allowances unless `unlimited_slots`.
    In-use counts are sampled every `step_hours` over the reported years (the
    time-weighted mean comes from the pool's own monitor), pooled over
    replications 0..R-1.

    Returns one row per pool, ``pool, unit, capacity`` (the scenario's, at this
    size), ``mean, p90, p99, max, mean_over_capacity``, and two more rows,
    ``gp_slots`` and ``ucr_visits``, for requests per open day (GP retries
    included).
    """
    base = scenario or Scenario()
    sc = with_run(with_population(base, population), horizon_years=years, replications=replications)
    if unlimited_slots:
        svc = sc.services
        sc = sc.model_copy(update={"services": svc.model_copy(update={
            "gp": svc.gp.model_copy(update={"same_day_slots_per_weekday": "unlimited"}),
            "ucr": svc.ucr.model_copy(update={"visits_per_day": "unlimited"})})})
    sc = revalidate(sc)
    data = sc.model_dump()
    runs = _map(_unconstrained_one, [(data, r, step_hours) for r in range(replications)], jobs)
    samples = np.concatenate([r["samples"] for r in runs], axis=0)
    means = np.mean([r["means"] for r in runs], axis=0)
    svc = sc.services
    capacity = {name: ("unlimited" if cap is None else int(cap))
                for name, cap in zip(runs[0]["names"], runs[0]["capacities"])}
    capacity.update(gp_slots=svc.gp.same_day_slots_per_weekday, ucr_visits=svc.ucr.visits_per_day)

    def row(name: str, unit: str, mean: float, values: np.ndarray) -> dict:
        cap = capacity.get(name)
        cap_num = cap if isinstance(cap, int) and not isinstance(cap, bool) else None
        return {"pool": name, "unit": unit, "capacity": cap, "mean": float(mean),
                "p90": float(np.percentile(values, 90)), "p99": float(np.percentile(values, 99)),
                "max": float(values.max()),
                "mean_over_capacity": float(mean / cap_num) if cap_num else float("nan")}

    rows = [row(name, "in use", means[j], samples[:, j]) for j, name in enumerate(runs[0]["names"])]
    for name in ("gp", "ucr"):
        daily = np.concatenate([r[f"{name}_daily"] for r in runs])
        label = "gp_slots" if name == "gp" else "ucr_visits"
        rows.append(row(label, "requests per open day", float(daily.mean()), daily))
    return pd.DataFrame(rows)
