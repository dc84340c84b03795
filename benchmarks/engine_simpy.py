"""HCE-ref v1 in idiomatic SimPy: a process per patient, a Resource per service.

Written the way a SimPy modeller would write it, without speed tricks: each
patient is a generator process; GP, community team, A&E, acute beds and
reablement places are :class:`simpy.Resource` objects. Blocking after service
is the patient requesting a reablement place while still holding the bed
request, and releasing the bed only once the place is granted.

It shares the sampling order of :mod:`benchmarks.workload`, so for the same
seed it follows the same trajectory as :mod:`benchmarks.engine_heapq`.
"""

from __future__ import annotations

import random

import simpy

from benchmarks.workload import (ACUTE, AE, NOT_NEEDED, REAB, YEAR_D, Config,
                                 Stats, config, make_patient_sampler)


class HealthSystem:
    """The network of services and the patient processes that use it.

    Parameters
    ----------
    env : simpy.Environment
        Environment whose clock is in days.
    cfg : Config
        Arrival rate and capacities.
    stats : Stats
        Accumulators to fill.
    rng : random.Random
        The run's generator (interarrivals and patients, in the spec's order).
    """

    def __init__(self, env: simpy.Environment, cfg: Config, stats: Stats,
                 rng: random.Random) -> None:
        self.env = env
        self.stats = stats
        self.arrival_rate_per_d = cfg.arrival_rate_per_d
        self.interarrival = rng.expovariate
        self.next_patient = make_patient_sampler(rng)
        # indexed by node: GP, COMM, AE
        self.first_contact = [
            simpy.Resource(env, capacity=cfg.gp_servers),
            simpy.Resource(env, capacity=cfg.comm_servers),
            simpy.Resource(env, capacity=cfg.ae_servers),
        ]
        self.beds = simpy.Resource(env, capacity=cfg.acute_beds)
        self.reablement = simpy.Resource(env, capacity=cfg.reab_places)

    def arrivals(self):
        """Generate crises (Poisson) and start one process per patient."""
        env, stats = self.env, self.stats
        interarrival, rate = self.interarrival, self.arrival_rate_per_d
        next_patient = self.next_patient
        while True:
            yield env.timeout(interarrival(rate))
            stats.arrivals += 1
            node, service_d, los_d, reab_los_d = next_patient()
            if node == AE:
                env.process(self.emergency(service_d, los_d, reab_los_d))
            else:
                env.process(self.contact(node, service_d))

    def contact(self, node: int, service_d: float):
        """A GP or community-team contact (service time in days), then exit."""
        env, stats = self.env, self.stats
        joined = env.now
        with self.first_contact[node].request() as request:
            yield request
            stats.begin(node, env.now, joined)
            yield env.timeout(service_d)
        stats.completions[node] += 1

    def emergency(self, service_d: float, los_d: float, reab_los_d: float):
        """An A&E attendance, then an acute stay if admitted (times in days)."""
        env, stats = self.env, self.stats
        joined = env.now
        with self.first_contact[AE].request() as request:
            yield request
            stats.begin(AE, env.now, joined)
            yield env.timeout(service_d)
        stats.completions[AE] += 1
        if los_d != NOT_NEEDED:
            yield from self.acute_stay(los_d, reab_los_d)

    def acute_stay(self, los_d: float, reab_los_d: float):
        """An acute stay, then reablement if needed (blocking after service).

        The bed is requested without ``with`` because it is released in the
        middle of the reablement step, not at the end of a block.
        """
        env, stats, beds = self.env, self.stats, self.beds
        joined = env.now
        bed = beds.request()
        yield bed
        now = env.now
        stats.begin(ACUTE, now, joined)
        stats.occupy(ACUTE, now)
        yield env.timeout(los_d)
        stats.completions[ACUTE] += 1
        if reab_los_d == NOT_NEEDED:
            beds.release(bed)
            stats.vacate(ACUTE, env.now)
            return
        blocked_since = env.now
        with self.reablement.request() as place:
            yield place  # still in the acute bed until a place is free
            now = env.now
            stats.begin(REAB, now, blocked_since)
            stats.vacate(ACUTE, now)
            beds.release(bed)
            stats.occupy(REAB, now)
            yield env.timeout(reab_los_d)
            stats.completions[REAB] += 1
            stats.vacate(REAB, env.now)


def run(years: float, seed: int, scale: float = 1.0) -> tuple[Stats, dict]:
    """Simulate HCE-ref v1 once.

    Parameters
    ----------
    years : float
        Simulated horizon, years of 365 days (must exceed the 90-day warm-up).
    seed : int
        Seed of the run's ``random.Random``.
    scale : float, default 1.0
        Population multiplier (arrival rate and every capacity).

    Returns
    -------
    stats : Stats
        Filled accumulators; ``stats.summary()`` gives the output metrics.
    extra : dict
        ``{"native_events": int}`` when the environment exposes its event-id
        counter (SimPy events scheduled, a private detail), else ``{}``.
    """
    cfg = config(scale)
    stats = Stats(years * YEAR_D)
    env = simpy.Environment()
    system = HealthSystem(env, cfg, stats, random.Random(seed))
    env.process(system.arrivals())
    env.run(until=stats.horizon_d)
    event_ids = getattr(env, "_eid", None)  # itertools.count in SimPy 4
    return stats, ({"native_events": next(event_ids)} if event_ids is not None else {})
