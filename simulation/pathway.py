"""The patient journey: the one place where routing decisions live.

A journey is a generator run by SimPy. Services own capacity (pools, daily
slots) and the economy owns state; every *decision* (where a crisis goes
next, whether A&E admits, which discharge pathway) is taken here, from the
scenario's routing tables and the crisis's own pre-drawn uniforms, one
uniform column per decision (see :mod:`simulation.demand`).

A journey waits by yielding either a delay in days (a float: "hold on for
this long") or an event (a pool's hand-over of a place, or an ``any_of``
race). It never uses an event's value, and yields only when it must wait: a
request that can be met at once returns ``None``. That lets the economy run
each journey inline until its first real wait, and put a delay straight on
SimPy's event queue without making a ``Timeout`` (``engine.Journey``).

Hot-path habits (each worth about 1 % of a replication): the clock is read as
``env._now`` (the attribute behind SimPy's ``now`` property), the reporting
period as ``eco._k``, counters are added to the current period's row
(``eco.row[name] += 1.0``, what ``eco.count(name)`` does, without the call), and
the few events a journey makes are built with their classes
(``Timeout(env, d)``, ``AnyOf(env, [...])``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np
from simpy.events import AnyOf, Timeout

from .engine import Choice
from .demand import (
    U_111,
    U_111_TIME,
    U_ADMIT,
    U_AE_TIME,
    U_AMB,
    U_AMB_TIME,
    U_FIRST,
    U_GP,
    U_GP_NO_SLOT,
    U_LOS,
    U_P1,
    U_PATHWAY,
    U_READMIT,
    U_READMIT_TIME,
    U_UCR,
    U_UCR_AMB,
    U_WEEKEND,
    U_ZERO_DAY,
    Z_111_TIME,
    Z_AE_TIME,
    Z_AMB_TIME,
    Z_LOS,
    normal_scores,
)
from .scenario.fields import ACUITIES, AGE_BANDS, Exponential, Fixed, Lognormal, Uniform

if TYPE_CHECKING:  # pragma: no cover
    from .economy import Economy

MINOR, URGENT, ACUTE = range(3)
#: The journey of a crisis that has already ended (an exhausted iterator: ``next`` gives its default).
ENDED: Iterator = iter(())
HOME, CARE_HOME = 0, 1
#: Reablement episodes end by this many days at the latest (the 6-week service limit).
REABLEMENT_MAX_DAYS = 42.0
#: Hour of the day (as a fraction) when a delayed weekend discharge happens on Monday.
MONDAY_DISCHARGE_TIME = 10.0 / 24.0
#: A person refused a GP slot retries on at most this many following days before going to A&E.
GP_RETRY_DAYS = 2


def sampler(dist, scale: float = 1.0) -> Callable[[float, float], float]:
    """Inverse-CDF sampler of a distribution leaf: f(u, z) -> value x scale.

    ``u`` is a uniform and ``z`` its standard normal score (used by the lognormal).
    """
    if isinstance(dist, Fixed):
        v = dist.value * scale
        return lambda u, z: v
    if isinstance(dist, Exponential):
        m = dist.mean * scale
        return lambda u, z: -m * math.log1p(-u)
    if isinstance(dist, Lognormal):
        mu, sigma = dist.log_params()
        mu += math.log(scale)
        return lambda u, z: math.exp(mu + sigma * z)
    if isinstance(dist, Uniform):
        lo, hi = dist.low * scale, dist.high * scale
        return lambda u, z: lo + u * (hi - lo)
    raise TypeError(f"unknown distribution {dist!r}")


def draw_one(sample: Callable[[float, float], float], u: float) -> float:
    """One value from a compiled sampler and a single uniform (its normal score computed here)."""
    return sample(u, float(normal_scores(np.array([u]))[0]))


class Routing:
    """The scenario's routing tables and service-time samplers, compiled once per run."""

    def __init__(self, scenario):
        r = scenario.routing
        svc = scenario.services
        self.first = [Choice(getattr(r.first_contact, a)) for a in ACUITIES]
        self.gp = [Choice(getattr(r.gp_outcome, a)) for a in ACUITIES]
        self.gp_no_slot = Choice(r.gp_no_slot)
        self.nhs111 = [Choice(getattr(r.nhs111_outcome, a)) for a in ACUITIES]
        self.ambulance = [Choice(getattr(r.ambulance_outcome, a)) for a in ACUITIES]
        self.ucr = [Choice(getattr(r.ucr_outcome, a)) for a in ACUITIES]
        self.admit = [getattr(r.ae_admission_probability, a) for a in ACUITIES]
        self.ucr_by_ambulance = r.ucr_to_ae_by_ambulance
        self.pathway = [Choice(getattr(scenario.discharge.pathway_mix, b)) for b in AGE_BANDS]
        self.p1 = Choice(scenario.discharge.p1_split)
        self.weekend_factor = scenario.discharge.weekend_discharge_factor
        self.arrangement_time = sampler(scenario.discharge.arrangement_days)
        self.zero_day = svc.acute.zero_day_share.as_list()
        self.zero_day_stay = sampler(svc.acute.zero_day_stay_hours, 1.0 / 24.0)
        cv = svc.acute.overnight_los_cv
        sigma = math.sqrt(math.log(1.0 + cv * cv))
        self.los_mu = [math.log(m) - sigma * sigma / 2.0 for m in svc.acute.overnight_los_mean_days.as_list()]
        self.los_sigma = sigma
        self.ae_time = sampler(svc.ae.time_in_department_hours, 1.0 / 24.0)
        self.amb_time = sampler(svc.ambulance.job_hours, 1.0 / 24.0)
        self.max_handover = svc.ambulance.max_handover_minutes / 1440.0
        self.max_boarding = svc.ae.max_boarding_hours / 24.0
        self.call_time = sampler(svc.nhs111.call_minutes, 1.0 / 1440.0)
        self.reablement_time = sampler(svc.reablement.duration_days)
        self.reablement_outcome = Choice(svc.reablement.outcome)
        self.ic_time = sampler(svc.intermediate_care.stay_days)
        self.ic_outcome = Choice(svc.intermediate_care.outcome)
        self.nursing_time = sampler(svc.community_nursing.episode_days)
        self.nursing_visits_per_week = svc.community_nursing.visits_per_week
        self.readmit_p = scenario.demand.readmission_extra_probability
        self.readmit_window = scenario.demand.readmission_window_days

    def first_contacts(self, acuity: np.ndarray, u_first: np.ndarray) -> list[str]:
        """The first contact of each crisis of a batch (what ``crisis`` would pick from its own uniform)."""
        out = np.empty(acuity.shape[0], dtype=object)
        for a, choice in enumerate(self.first):
            at = acuity == a
            if at.any():
                out[at] = choice.pick_many(u_first[at])
        return out.tolist()


# --- the journey ------------------------------------------------------------------


def crisis(eco: "Economy", p: int, acuity: int, band: int, u, z, via: str = "") -> Iterator:
    """A crisis from first contact to its end: starts it now and returns the journey to run.

    Not a generator itself: it takes the decisions of the moment the crisis starts (counting it,
    an early telehealth alert, the first contact) and hands back the generator of the first
    service's path (an empty iterator when the crisis already ended), so a journey is one
    generator level shallower (this runs for every one of the million crises of a replication).

    Parameters
    ----------
    eco
        The economy (state, services, counters).
    p
        Person id.
    acuity, band
        Acuity (0 minor, 1 urgent, 2 acute) and age band index.
    u, z
        The crisis's uniforms (indexed by the ``U_*`` columns) and the normal scores of four of them
        (indexed by ``Z_*``), as lists.
    via
        The first contact if already known (``"ambulance"`` for terminal admissions; the feed
        picks a whole batch's at once with ``Routing.first_contacts``), else picked here.
    """
    first = via or eco.routing.first[acuity].pick(u[U_FIRST])
    eco.begin(p)
    lv = eco.levers
    if lv is not None and lv.alert is not None and lv.alert[p] > 0.0 and lv.u() < lv.alert[p]:
        lv.tally(_owner(lv.alert_owner, p), "early_alerts")
        eco.end(p, "managed_telehealth")
        return ENDED
    if first == "gp":
        return gp_contact(eco, p, acuity, band, u, z, from_111=False)
    if first == "nhs111":
        return call_111(eco, p, acuity, band, u, z)
    if first == "ambulance":
        return ambulance(eco, p, acuity, band, u, z)
    return attend_ae(eco, p, acuity, band, u, z, by_ambulance=False)


def gp_contact(eco, p, acuity, band, u, z, from_111: bool) -> Iterator:
    """Urgent same-day GP contact; without a slot people call 111, go to A&E or wait a day.

    A plain function that hands back the journey from here: a person who gets a slot now is seen
    now (:func:`gp_seen`, so a crisis the GP manages, a third of all crises, ends without a
    generator); a refused slot starts the retry journey (:func:`_gp_no_slot`).
    """
    if eco.gp_slots.take(eco.env._now, eco._k):
        return gp_seen(eco, p, acuity, band, u, z)
    return _gp_no_slot(eco, p, acuity, band, u, z, from_111)


def _gp_no_slot(eco, p, acuity, band, u, z, from_111: bool) -> Iterator:
    """No GP slot today: call 111, go to A&E, or retry at 9am on the next open day (at most twice)."""
    route = eco.routing
    retries = 0
    while True:
        choice = "next_day" if from_111 else route.gp_no_slot.pick(u[U_GP_NO_SLOT])
        if choice == "nhs111":
            yield from call_111(eco, p, acuity, band, u, z, allow_gp=False)
            return
        if choice == "ae_self" or retries >= GP_RETRY_DAYS:
            yield from attend_ae(eco, p, acuity, band, u, z, by_ambulance=False)
            return
        retries += 1
        now = eco.env._now
        yield eco.gp_slots.next_open_day(now) + 9.0 / 24.0 - now  # 9am the next open day
        if eco.gp_slots.take(eco.env._now, eco._k):
            break
    yield from gp_seen(eco, p, acuity, band, u, z)


def gp_seen(eco, p, acuity, band, u, z) -> Iterator:
    """Seen by the GP now (a slot taken): managed (the crisis ends here), or sent on (the journey from here)."""
    eco.row["gp_urgent_contacts"] += 1.0
    outcome = eco.routing.gp[acuity].pick(u[U_GP])
    if outcome == "managed":
        eco.end(p, "managed_gp")
        return ENDED
    return _gp_onward(eco, p, acuity, band, u, z, outcome)


def _gp_onward(eco, p, acuity, band, u, z, outcome: str) -> Iterator:
    """After the GP: urgent community response, A&E, a virtual ward, or a direct admission."""
    if outcome == "ucr":
        yield from urgent_community_response(eco, p, acuity, band, u, z)
    elif outcome == "ae":
        yield from attend_ae(eco, p, acuity, band, u, z, by_ambulance=False)
    else:
        ward = step_up(eco, p, acuity, "gp")
        if ward is not None:
            yield from virtual_ward_step_up(eco, p, ward, acuity, band, u, z)
            return
        eco.row["gp_direct_admissions"] += 1.0
        yield from admit(eco, p, acuity, band, u, z)


def call_111(eco, p, acuity, band, u, z, allow_gp: bool = True) -> Iterator:
    """NHS 111 call: wait for a handler, triage, and send on."""
    eco.row["calls_111"] += 1.0
    req = eco.nhs111.request()
    if req is not None:
        yield req
    yield eco.routing.call_time(u[U_111_TIME], z[Z_111_TIME])
    eco.nhs111.release()
    outcome = eco.routing.nhs111[acuity].pick(u[U_111])
    if outcome == "self_care":
        eco.end(p, "self_care_111")
    elif outcome == "gp" and allow_gp:
        yield from gp_contact(eco, p, acuity, band, u, z, from_111=True)
    elif outcome == "gp":
        eco.end(p, "self_care_111")
    elif outcome == "ucr":
        yield from urgent_community_response(eco, p, acuity, band, u, z)
    else:
        lv = eco.levers
        if lv is not None:
            ward = step_up(eco, p, acuity, "nhs111") if would_be_admitted(eco, acuity, u) else None
            if ward is not None:
                yield from virtual_ward_step_up(eco, p, ward, acuity, band, u, z)
                return
            if acuity != ACUTE and lv.spa_share > 0.0 and not would_be_admitted(eco, acuity, u) \
                    and lv.u() < lv.spa_share:
                lv.tally(lv.owners["spa"], "episodes")
                lv.tally(lv.owners["spa"], "uses")
                yield from urgent_community_response(eco, p, acuity, band, u, z)
                return
        if outcome == "ambulance":
            yield from ambulance(eco, p, acuity, band, u, z)
        else:
            yield from attend_ae(eco, p, acuity, band, u, z, by_ambulance=False)


def ambulance(eco, p, acuity, band, u, z) -> Iterator:
    """Ambulance incident: hear-and-treat, see-and-treat, refer to community, or convey to A&E."""
    eco.row["ambulance_incidents"] += 1.0
    outcome = eco.routing.ambulance[acuity].pick(u[U_AMB])
    if outcome == "hear_and_treat":
        eco.row["ambulance_hear_and_treat"] += 1.0
        eco.end(p, "managed_ambulance")
        return
    ward = None
    lv = eco.levers
    if outcome == "convey" and lv is not None:
        if would_be_admitted(eco, acuity, u):
            ward = step_up(eco, p, acuity, "ambulance")
        elif acuity != ACUTE:
            outcome = _instead_of_conveyance(lv, p)
    req = eco.crews.request()
    if req is not None:
        yield req
    yield eco.routing.amb_time(u[U_AMB_TIME], z[Z_AMB_TIME])
    if ward is not None:
        eco.crews.release()
        eco.row["ambulance_see_and_treat"] += 1.0
        yield from virtual_ward_step_up(eco, p, ward, acuity, band, u, z)
        return
    if outcome == "convey":
        eco.row["ambulance_conveyances"] += 1.0
        yield from attend_ae(eco, p, acuity, band, u, z, by_ambulance=True)
        return
    eco.crews.release()
    eco.row["ambulance_see_and_treat"] += 1.0
    if outcome == "refer_ucr":
        yield from urgent_community_response(eco, p, acuity, band, u, z)
    else:
        eco.end(p, "managed_ambulance")


def urgent_community_response(eco, p, acuity, band, u, z) -> Iterator:
    """2-hour urgent community response; without a visit the person goes to A&E."""
    if eco.ucr_slots.take(eco.env._now, eco._k):
        eco.row["ucr_visits"] += 1.0
        if eco.routing.ucr[acuity].pick(u[U_UCR]) == "managed":
            eco.end(p, "managed_ucr")
            return
    else:
        eco.row["ucr_refused"] += 1.0
    if u[U_UCR_AMB] < eco.routing.ucr_by_ambulance:
        eco.row["ambulance_incidents"] += 1.0
        eco.row["ambulance_conveyances"] += 1.0
        req = eco.crews.request()
        if req is not None:
            yield req
        yield eco.routing.amb_time(u[U_AMB_TIME], z[Z_AMB_TIME])
        yield from attend_ae(eco, p, acuity, band, u, z, by_ambulance=True)
    else:
        yield from attend_ae(eco, p, acuity, band, u, z, by_ambulance=False)


def attend_ae(eco, p, acuity, band, u, z, by_ambulance: bool, terminal: bool = False) -> Iterator:
    """Type 1 A&E: wait for a cubicle, assessment, then admission (boarding until a bed) or discharge.

    A conveying crew is held until the patient has a cubicle (handover delay).
    A terminal admission is always admitted.
    """
    env = eco.env
    arrived = env._now
    eco.row["ae_attendances"] += 1.0
    eco.enter_hospital(p)
    if by_ambulance:
        eco.row["ae_arrivals_by_ambulance"] += 1.0
    req = eco.cubicles.request()
    if req is not None and by_ambulance:
        # the crew waits at most max_handover_minutes, then is released; the patient keeps waiting
        yield AnyOf(env, [req, Timeout(env, eco.routing.max_handover)])
        eco.add("ambulance_handover_delay_days", env._now - arrived)
        eco.crews.release()
        if not req.triggered:
            yield req
    elif req is not None:
        yield req
    elif by_ambulance:
        eco.crews.release()
    yield eco.routing.ae_time(u[U_AE_TIME], z[Z_AE_TIME])
    ward = None
    if not terminal and eco.levers is not None and u[U_ADMIT] < eco.routing.admit[acuity]:
        ward = step_up(eco, p, acuity, "ae")
    if ward is not None:
        eco.cubicles.release()
        eco.ae_left(arrived, env._now)
        eco.leave_hospital(p)
        yield from virtual_ward_step_up(eco, p, ward, acuity, band, u, z)
    elif terminal or u[U_ADMIT] < eco.routing.admit[acuity]:
        eco.row["ae_admitted"] += 1.0
        bed = eco.beds.request()
        if bed is not None:
            # boarding: the cubicle is held for at most max_boarding hours, then the wait goes on in a corridor
            yield AnyOf(env, [bed, Timeout(env, eco.routing.max_boarding)])
            eco.cubicles.release()
            if not bed.triggered:
                eco.row["ae_corridor_waits"] += 1.0
                yield bed
        else:
            eco.cubicles.release()
        eco.ae_left(arrived, env._now)
        yield from stay(eco, p, band, u, z, terminal=terminal)
    else:
        eco.cubicles.release()
        eco.ae_left(arrived, env._now)
        eco.leave_hospital(p)
        ward = step_up(eco, p, acuity, "ae", admitted=False) if eco.levers is not None else None
        if ward is not None:
            yield from virtual_ward_step_up(eco, p, ward, acuity, band, u, z, avoids_admission=False)
            return
        eco.end(p, "discharged_ae")


def admit(eco, p, acuity, band, u, z) -> Iterator:
    """Direct admission (GP or same-day emergency care), bypassing A&E."""
    eco.enter_hospital(p)
    bed = eco.beds.request()
    if bed is not None:
        yield bed
    yield from stay(eco, p, band, u, z)


def terminal_admission(eco, p, band, u, z) -> Iterator:
    """The last admission of a person who dies in hospital: conveyed, admitted, stays until death."""
    eco.begin(p)
    eco.row["ambulance_incidents"] += 1.0
    eco.row["ambulance_conveyances"] += 1.0
    req = eco.crews.request()
    if req is not None:
        yield req
    yield eco.routing.amb_time(u[U_AMB_TIME], z[Z_AMB_TIME])
    yield from attend_ae(eco, p, ACUTE, band, u, z, by_ambulance=True, terminal=True)


def stay(eco, p, band, u, z, terminal: bool = False) -> Iterator:
    """An emergency admission from bed to discharge (or death), including delayed discharge."""
    env = eco.env
    route = eco.routing
    start = env._now
    eco.admitted(p, start)
    death = eco.death_day(p)
    zero_day = (not terminal) and u[U_ZERO_DAY] < route.zero_day[band]
    los = math.inf if terminal else planned_los(route, band, u, z)
    if start + los >= death:
        yield max(0.0, death - start)
        eco.discharged(p, start, env._now, zero_day, "died")
        return
    if zero_day or eco.residence[p] == CARE_HOME:
        destination = "p0"
    else:
        destination = route.pathway[band].pick(u[U_PATHWAY])
    lv = eco.levers
    if lv is not None and lv.wards and destination == "p0" and not zero_day and not terminal:
        ward = step_down(eco, p, los)
        if ward is not None:
            yield los - ward.days_saved
            if ward.pool.take_if_free():
                eco.discharged(p, start, env._now, zero_day, "virtual_ward")
                lv.tally(ward.name, "bed_days_released", ward.days_saved)
                eco.start_process(virtual_ward_step_down(eco, p, ward))
                _maybe_readmit(eco, p, u, zero_day)
                return
            yield ward.days_saved
        else:
            yield los
    else:
        yield los
    fit = env._now
    if destination == "p0" and not zero_day:
        wd = eco.calendar.weekday(fit)
        if wd >= 5 and u[U_WEEKEND] >= route.weekend_factor:
            eco.delay(fit, "weekend", 1)
            monday = math.floor(fit) + (7 - wd) + MONDAY_DISCHARGE_TIME
            yield min(monday, death) - fit
            eco.delay(env._now, "weekend", -1)
            if death <= env._now:
                eco.discharged(p, start, fit, zero_day, "died")
                return
    if destination != "p0":
        # assessment and set-up before the supporting service is asked for a place
        du, dz = eco.service_draws(1)
        eco.delay(fit, "arranging", 1)
        yield min(route.arrangement_time(du[0], dz[0]), max(0.0, death - env._now))
        eco.delay(env._now, "arranging", -1)
        if death <= env._now:
            eco.discharged(p, start, fit, zero_day, "died")
            return
    place = None
    if destination == "p1":
        support = route.p1.pick(u[U_P1])
        if support == "home_care" and lv is not None and lv.home_care_to_reablement > 0.0 \
                and lv.u() < lv.home_care_to_reablement:
            support = "reablement"
            lv.tally(lv.owners["reablement"], "episodes")
        destination = f"p1_{support}"
        place = {"p1_reablement": eco.reablement, "p1_home_care": eco.home_care,
                 "p1_community_support": eco.community_nursing}[destination]
    elif destination == "p2":
        place = eco.intermediate
    elif destination == "p3":
        place = eco.care_homes
    if place is not None:
        req = place.request()
        if req is not None:
            eco.delay(env._now, place.name, 1)  # after any arranging time (counted as its own reason)
            if death < math.inf:  # may die waiting: wait for whichever comes first
                yield AnyOf(env, [req, Timeout(env, max(0.0, death - env._now))])
            else:
                yield req
            eco.delay(env._now, place.name, -1)
            if not req.triggered:
                place.cancel(req)
                eco.discharged(p, start, fit, zero_day, "died")
                return
    eco.discharged(p, start, fit, zero_day, destination)
    if destination == "p1_reablement":
        eco.start_process(reablement(eco, p, from_hospital=True))
    elif destination == "p1_home_care":
        eco.start_process(home_care_package(eco, p))
    elif destination == "p1_community_support":
        eco.start_process(community_nursing_episode(eco, p))
    elif destination == "p2":
        eco.start_process(intermediate_care(eco, p))
    elif destination == "p3":
        eco.start_process(care_home_placement(eco, p, already_held=True))
    _maybe_readmit(eco, p, u, zero_day)


def _maybe_readmit(eco, p, u, zero_day: bool) -> None:
    """An extra crisis soon after an overnight stay, for some people discharged home."""
    route = eco.routing
    if not zero_day and eco.residence[p] == HOME and u[U_READMIT] < route.readmit_p:
        eco.schedule_crisis(p, eco.env._now + u[U_READMIT_TIME] * route.readmit_window, acuity=ACUTE,
                            outcome="post_discharge")


def planned_los(route: Routing, band: int, u, z) -> float:
    """Length of a (non-terminal) emergency stay from the crisis's own draws: zero-day or overnight."""
    if u[U_ZERO_DAY] < route.zero_day[band]:
        return route.zero_day_stay(u[U_LOS], z[Z_LOS])
    return math.exp(route.los_mu[band] + route.los_sigma * z[Z_LOS])


# --- interventions' diversions (only when a scenario has them: ``eco.levers`` is None otherwise) ------------

def would_be_admitted(eco, acuity: int, u) -> bool:
    """Whether this crisis would be admitted if it reached A&E (its own admission draw)."""
    return u[U_ADMIT] < eco.routing.admit[acuity]


def _owner(owners: dict, p: int) -> str:
    """The first intervention (in scenario order) whose sorted cohort holds person `p`."""
    for name, ids in owners.items():
        i = int(np.searchsorted(ids, p))
        if i < ids.shape[0] and ids[i] == p:
            return name
    return next(iter(owners))


def _instead_of_conveyance(lv, p: int) -> str:
    """A minor or urgent crisis not needing admission: kept at home by telecare or care-home support,
    sent to the 2-hour response by a single point of access or UCR expansion, or conveyed."""
    if lv.convey_avoid is not None and lv.convey_avoid[p] > 0.0 and lv.u() < lv.convey_avoid[p]:
        owners = {name: ids for name, ids, _share in lv.convey_owner}
        name = _owner(owners, p)
        lv.tally(name, "episodes")
        return "see_and_treat"
    for share, key in ((lv.spa_share, "spa"), (lv.ucr_referral_share, "ucr")):
        if share > 0.0 and lv.u() < share:
            lv.tally(lv.owners[key], "episodes")
            if key == "spa":
                lv.tally(lv.owners[key], "uses")
            return "refer_ucr"
    return "convey"


def step_up(eco, p: int, acuity: int, source: str, admitted: bool = True):
    """A virtual ward that takes this patient (a place is held), or None.

    `admitted`: the patient would otherwise be admitted (else: would have gone home from A&E).
    """
    lv = eco.levers
    if lv is None:
        return None
    for ward in lv.wards:
        share = ward.step_up_share if admitted else ward.step_up_share_not_admitted
        if share > 0.0 and source in ward.sources and acuity in ward.acuities \
                and lv.u() < share and ward.eligible(eco, p) and ward.pool.take_if_free():
            return ward
    return None


def step_down(eco, p: int, los: float):
    """A virtual ward chosen to take the last days of this stay (checked for a free place later), or None."""
    lv = eco.levers
    for ward in lv.wards:
        if ward.step_down_share > 0.0 and ward.pool.capacity and los > ward.days_saved + 1.0 \
                and lv.u() < ward.step_down_share \
                and ward.eligible(eco, p):
            return ward
    return None


def virtual_ward_step_up(eco, p, ward, acuity, band, u, z, avoids_admission: bool = True) -> Iterator:
    """A step-up stay (the place is held); some patients are escalated to an acute bed part-way."""
    env = eco.env
    lv = eco.levers
    lv.tally(ward.name, "episodes")
    lv.tally(ward.name, "uses")
    length = draw_one(ward.step_up_time, lv.u())
    escalate = lv.u() < ward.escalation
    end = length * lv.u() if escalate else length
    yield max(0.0, min(end, eco.death_day(p) - env._now))
    ward.pool.release()
    if eco.death_day(p) <= env._now:
        eco.end(p, "died_on_virtual_ward")
        return
    if escalate:
        lv.tally(ward.name, "escalations")
        yield from admit(eco, p, acuity, band, u, z)
        return
    if avoids_admission:
        lv.tally(ward.name, "admissions_avoided")
        lv.tally(ward.name, "bed_days_released", planned_los(eco.routing, band, u, z))
    eco.end(p, "virtual_ward")


def virtual_ward_step_down(eco, p, ward) -> Iterator:
    """A step-down stay after an early discharge (the place is already held)."""
    env = eco.env
    lv = eco.levers
    lv.tally(ward.name, "episodes")
    lv.tally(ward.name, "uses")
    length = draw_one(ward.step_down_time, lv.u())
    yield max(0.0, min(length, eco.death_day(p) - env._now))
    ward.pool.release()


# --- after hospital -----------------------------------------------------------------


def reablement(eco, p, from_hospital: bool) -> Iterator:
    """A reablement episode (the place is already held when coming from hospital)."""
    env = eco.env
    if not from_hospital:
        req = eco.reablement.request()
        if req is not None:
            yield req
    eco.row["reablement_episodes"] += 1.0
    if from_hospital:
        eco.check_at_home_later(p, 91.0)
    u, z = eco.service_draws(2)
    length = min(eco.routing.reablement_time(u[0], z[0]), REABLEMENT_MAX_DAYS)
    yield max(0.0, min(length, eco.death_day(p) - env._now))
    eco.reablement.release()
    if eco.death_day(p) <= env._now:
        return
    outcome = eco.routing.reablement_outcome.pick(u[1])
    eco.count(f"reablement_outcome_{outcome}")
    if outcome == "home_care":
        eco.start_process(home_care_package(eco, p, request=True))
    elif outcome == "care_home":
        eco.start_process(care_home_placement(eco, p, already_held=False))
    elif outcome == "hospital":
        eco.schedule_crisis(p, env._now, acuity=ACUTE, via="ambulance", outcome="reablement_to_hospital")


def intermediate_care(eco, p) -> Iterator:
    """A bed-based intermediate-care stay (the bed is already held), then home, home care or a care home."""
    env = eco.env
    eco.row["intermediate_care_admissions"] += 1.0
    u, z = eco.service_draws(2)
    length = eco.routing.ic_time(u[0], z[0])
    yield max(0.0, min(length, eco.death_day(p) - env._now))
    if eco.death_day(p) <= env._now:
        eco.intermediate.release()
        return
    outcome = eco.routing.ic_outcome.pick(u[1])
    if outcome == "home_care":
        req = eco.home_care.request()
        if req is not None:
            yield req
        eco.intermediate.release()
        eco.start_process(home_care_package(eco, p, request=False))
    elif outcome == "care_home":
        req = eco.care_homes.request()
        if req is not None:
            yield req
        eco.intermediate.release()
        eco.start_process(care_home_placement(eco, p, already_held=True))
    else:
        eco.intermediate.release()


def community_nursing_episode(eco, p) -> Iterator:
    """A spell on the community nursing caseload (the place is already held); visits are counted."""
    eco.row["community_nursing_referrals"] += 1.0
    u, z = eco.service_draws(1)
    start = eco.env._now
    yield from eco.hold_until(p, start + eco.routing.nursing_time(u[0], z[0]))
    eco.add("community_nursing_visits", (eco.env._now - start) / 7.0 * eco.routing.nursing_visits_per_week)
    eco.community_nursing.release()


def home_care_package(eco, p, request: bool = False) -> Iterator:
    """A long-term home-care package, held until it ends or the person dies."""
    env = eco.env
    if request:
        req = eco.home_care.request()
        if req is not None:
            yield req
    eco.row["home_care_starts"] += 1.0
    eco.on_home_care[p] = True
    u, z = eco.service_draws(1)
    end = env._now + eco.package_time(u[0], z[0])
    yield from eco.hold_until(p, end)
    eco.on_home_care[p] = False
    eco.home_care.release()


def care_home_from_community(eco, p) -> Iterator:
    """A permanent placement from home: made only when a bed is free (councils place elsewhere or wait at
    home otherwise; they do not queue against hospital discharges)."""
    if eco.care_homes.take_if_free():
        yield from care_home_placement(eco, p, already_held=True)
    else:
        eco.row["care_home_community_unplaced"] += 1.0


def care_home_placement(eco, p, already_held: bool) -> Iterator:
    """A permanent care-home placement, held until the resident dies."""
    if not already_held:
        req = eco.care_homes.request()
        if req is not None:
            yield req
    eco.row["care_home_admissions_permanent"] += 1.0
    eco.residence[p] = CARE_HOME
    yield from eco.hold_until(p, math.inf)
    eco.care_homes.release()
