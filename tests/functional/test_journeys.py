"""Tiny deterministic journeys: hand-set uniforms, fixed durations, exact event logs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import pathway
from simulation.demand import (N_UNIFORMS, U_ADMIT, U_FIRST, U_GP, U_LOS, U_P1, U_PATHWAY, U_WEEKEND,
                               U_ZERO_DAY)
from simulation.economy import Economy
from simulation.scenario.fields import fixed
from tests.conftest import small_scenario

AE_HOURS = 2.0


def quiet_economy(**services):
    """An economy whose clock runs but nothing happens unless a test starts it."""
    svc = {"ae": {"time_in_department_hours": fixed(AE_HOURS)}, **services}
    eco = Economy(small_scenario(**svc), 0, trace=True)
    eco._next_period()
    return eco


def someone(eco, min_age=70.0):
    """A person present all run, not scheduled to die, aged at least `min_age`."""
    c = eco.population.cols
    ok = np.isinf(c.death_day[: eco.population.n]) & (eco.population.age(0.0) >= min_age)
    return int(np.flatnonzero(ok)[0])


def draws(**cols):
    u = [0.5] * N_UNIFORMS
    z = [0.0] * N_UNIFORMS
    for name, value in cols.items():
        u[globals()[name]] = value
    return u, z


def overnight_los(eco, band):
    r = eco.routing
    return math.exp(r.los_mu[band])  # z = 0: the lognormal median


def test_self_presenting_admission_then_home(monkeypatch):
    eco = quiet_economy()
    p = someone(eco)
    band = 3
    # acute acuity: ae_self is the last branch of first contact; admit; overnight; pathway P0
    u, z = draws(U_FIRST=0.999, U_ADMIT=0.0, U_ZERO_DAY=0.999, U_PATHWAY=0.0, U_WEEKEND=0.0)
    start = 2.0 + 0.25  # a Wednesday morning? the test pins weekend handling below instead
    monkeypatch.setattr(eco.calendar, "weekday", lambda day: 2)  # never a weekend here
    eco.env.run(until=start)
    eco.start_process(pathway.crisis(eco, p, 2, band, u, z))
    eco.env.run(until=60.0)
    t_admit = start + AE_HOURS / 24
    t_leave = t_admit + overnight_los(eco, band)
    assert eco.trace == [
        (start, p, "crisis", ""),
        (pytest.approx(t_admit), p, "admitted", "acute"),
        (pytest.approx(t_leave), p, "discharged_p0", "acute"),
    ]
    assert eco.open_journeys == 0 and eco.beds.in_use == 0 and not eco.in_hospital[p]
    assert eco.tally("emergency_admissions").sum() == 1 and eco.tally("ae_attendances").sum() == 1


def test_gp_managed_crisis_never_becomes_a_process():
    eco = quiet_economy()
    p = someone(eco)
    u, z = draws(U_FIRST=0.0, U_GP=0.99)  # GP first; 'managed' is the remainder branch... pick 0.0
    u[U_GP] = 0.0
    eco.env.run(until=3.5)  # a weekday: GP slots open
    day = int(eco.env.now)
    assert eco.calendar.is_weekday(day)
    before = len(eco.env._queue)
    eco.start_process(pathway.crisis(eco, p, 0, 3, u, z))
    assert len(eco.env._queue) == before  # nothing scheduled: it ended inline
    assert eco.trace == [(3.5, p, "crisis", ""), (3.5, p, "managed_gp", "")]


def test_blocked_discharge_waits_for_reablement_and_counts_delay(monkeypatch):
    eco = quiet_economy(reablement={"places": 1})
    monkeypatch.setattr(eco.calendar, "weekday", lambda day: 2)
    monkeypatch.setattr(eco.routing, "arrangement_time", lambda u, z: 0.0)  # the place is asked for at once
    a, b = someone(eco), someone(eco, 75.0)
    if a == b:
        b = int(np.flatnonzero(np.isinf(eco.population.cols.death_day[: eco.population.n])
                               & (eco.population.age(0.0) >= 70))[1])
    band = 3
    # both: ae_self, admitted, overnight, P1 -> reablement
    u, z = draws(U_FIRST=0.999, U_ADMIT=0.0, U_ZERO_DAY=0.999, U_PATHWAY=0.5, U_P1=0.0)
    mix = eco.scenario.discharge.pathway_mix.age_75_84.probabilities()
    u[U_PATHWAY] = mix["p0"] + 0.5 * mix["p1"]  # inside the P1 branch
    eco.env.run(until=1.0)
    eco.start_process(pathway.crisis(eco, a, 2, band, u, z))
    eco.start_process(pathway.crisis(eco, b, 2, band, list(u), list(z)))
    eco.env.run(until=1.0 + AE_HOURS / 24 + overnight_los(eco, band) + 0.001)
    # the single place went to the first patient; the second is medically fit and waits in a bed
    assert eco.reablement.in_use == 1
    assert eco.delayed.level == 1 and eco.beds.in_use == 1
    events = [e for e in eco.trace if e[2].startswith("discharged")]
    assert [e[1] for e in events] == [a]
    assert events[0][2] == "discharged_p1_reablement"


def test_death_day_inside_a_stay_ends_it_in_hospital(monkeypatch):
    eco = quiet_economy()
    monkeypatch.setattr(eco.calendar, "weekday", lambda day: 2)
    p = someone(eco)
    eco.population.cols.death_day[p] = 5.0
    u, z = draws(U_FIRST=0.999, U_ADMIT=0.0, U_ZERO_DAY=0.999)
    eco.env.run(until=2.0)
    eco.start_process(pathway.crisis(eco, p, 2, 3, u, z))
    eco.env.run(until=10.0)
    assert eco.trace[-1] == (5.0, p, "discharged_died", "acute")
    assert eco.deaths == [(5.0, p, "hospital")]
    assert eco.beds.in_use == 0 and eco.open_journeys == 0


def test_death_while_waiting_for_a_place_ends_in_hospital_and_withdraws_the_request(monkeypatch):
    eco = quiet_economy(reablement={"places": 0})
    monkeypatch.setattr(eco.calendar, "weekday", lambda day: 2)
    p = someone(eco, 75.0)
    band = 3
    fit = 1.0 + AE_HOURS / 24 + overnight_los(eco, band)
    eco.population.cols.death_day[p] = fit + 3.0
    u, z = draws(U_FIRST=0.999, U_ADMIT=0.0, U_ZERO_DAY=0.999, U_P1=0.0)
    mix = eco.scenario.discharge.pathway_mix.age_75_84.probabilities()
    u[U_PATHWAY] = mix["p0"] + 0.5 * mix["p1"]
    eco.env.run(until=1.0)
    eco.start_process(pathway.crisis(eco, p, 2, band, u, z))
    eco.env.run(until=fit + 10.0)
    assert eco.trace[-1] == (pytest.approx(fit + 3.0), p, "discharged_died", "acute")
    assert eco.deaths == [(pytest.approx(fit + 3.0), p, "hospital")]
    assert len(eco.reablement.queue) == 0 and eco.delayed.level == 0 and eco.beds.in_use == 0


def test_supported_discharge_is_arranged_first_and_counted_as_delay(monkeypatch):
    """A P1 discharge waits `arrangement_days` in its bed (delay reason `arranging`) before asking for a place."""
    eco = quiet_economy(reablement={"places": 5})
    monkeypatch.setattr(eco.calendar, "weekday", lambda day: 2)
    monkeypatch.setattr(eco.routing, "arrangement_time", lambda u, z: 2.0)
    a = someone(eco)
    band = 3
    u, z = draws(U_FIRST=0.999, U_ADMIT=0.0, U_ZERO_DAY=0.999, U_P1=0.0)
    mix = eco.scenario.discharge.pathway_mix.age_75_84.probabilities()
    u[U_PATHWAY] = mix["p0"] + 0.5 * mix["p1"]  # inside the P1 branch, reablement
    eco.env.run(until=1.0)
    eco.start_process(pathway.crisis(eco, a, 2, band, u, z))
    fit = 1.0 + AE_HOURS / 24 + overnight_los(eco, band)
    eco.env.run(until=fit + 1.0)
    assert eco.delayed_by["arranging"].level == 1 and eco.reablement.in_use == 0 and eco.beds.in_use == 1
    eco.env.run(until=fit + 2.001)
    assert eco.delayed.level == 0 and eco.reablement.in_use == 1 and eco.beds.in_use == 0
