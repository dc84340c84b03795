"""HCE-ref v1 on careshift's own engine primitives.

Built the way the careshift model is built (``simulation/economy.py``), from
the same pieces:

- the model's :class:`simulation.engine.Environment` (SimPy's, with the
  far-future calendar), clock in days, driven by the model's event loop
  :func:`simulation.engine.run_until`;
- one :class:`simulation.services.pools.Pool` per node (GP, community team,
  A&E, acute beds, reablement places): O(1) FIFO acquire and release, a
  request that can be met at once returns ``None`` so the journey does not
  yield, occupancy and waits integrated per reporting period by the pool's
  own monitors over :class:`~simulation.services.pools.Periods` (period 0 is
  the warm-up);
- a patient's journey is a generator, run inline from the arrival until its
  first wait and then driven by the model's :class:`simulation.engine.Journey`
  (a delay is yielded as a float and puts the driver itself on the queue;
  a pool hand-over is an event), never a ``simpy.Process``;
- arrivals are the loop's merged feed (``run_until``'s `feed`): no event per
  arrival (as ``simulation.engine.crisis_feed``);
- random numbers are pre-drawn in numpy batches from careshift's named
  streams (:func:`simulation.rng.generator`): per batch of arrivals, the
  interarrival gaps, the routes and every service time.

The workload's numbers come from ``benchmarks/hce_ref.yaml`` alone (loaded
once, at import). Blocking after service at acute: a patient who needs
reablement asks the reablement pool for a place while still holding the bed
and gives the bed back only when the place is granted (the pool's FIFO queue
is the line of blocked patients, and its wait is the blocked time).

Outputs are filled into :class:`benchmarks.workload.Stats` at the end: starts,
waits and held unit-days over [W, T] from the pools' period counters and
monitors (periods 1 and later), completions counted by the journeys,
arrivals by the feeder. The random streams differ from the reference engines'
single ``random.Random``, so the metrics agree with theirs statistically
(``python -m benchmarks.agreement``), not bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import simpy
from ruamel.yaml import YAML

from benchmarks.workload import (ACUTE, AE, COMM, GP, NODES, REAB, Stats,
                                 lognormal_params, scaled_capacity)
from simulation import rng as rngmod
from simulation.engine import Environment, Journey, run_until
from simulation.services.pools import Periods, Pool

#: The careshift-style specification this engine reads.
SPEC_FILE = Path(__file__).with_name("hce_ref.yaml")

#: Arrivals pre-drawn per numpy batch.
BATCH = 1 << 14

#: Marks a stay the patient does not need (same convention as workload.py).
NOT_NEEDED = -1.0

_UNIT_DAYS = {"minutes": 1.0 / 1440.0, "hours": 1.0 / 24.0, "days": 1.0}


@dataclass(frozen=True)
class Dist:
    """A service-time distribution leaf, in days.

    Attributes
    ----------
    dist : str
        ``"exponential"`` or ``"lognormal"``.
    mean_d, sd_d : float
        Mean and standard deviation of the variable, days (sd is the mean's
        for an exponential).
    """

    dist: str
    mean_d: float
    sd_d: float

    def log_params(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal of a lognormal (log-days)."""
        return lognormal_params(self.mean_d, self.sd_d)


@dataclass(frozen=True)
class Workload:
    """HCE-ref v1 as read from ``hce_ref.yaml`` (scale 1).

    Attributes
    ----------
    year_d, warmup_d : float
        Days in a year; warm-up, days.
    population : int
        People at scale 1.
    crises_per_person_year : float
        Poisson crisis rate per person-year.
    p_gp, p_comm, p_ae : float
        Shares of first contacts (sum to 1).
    p_admit, p_reablement : float
        A&E -> acute and acute -> reablement probabilities.
    capacities : tuple of int
        Servers, beds and places indexed by node (GP, COMM, AE, ACUTE, REAB).
    service : tuple of Dist
        Service times (days) indexed by node.
    """

    year_d: float
    warmup_d: float
    population: int
    crises_per_person_year: float
    p_gp: float
    p_comm: float
    p_ae: float
    p_admit: float
    p_reablement: float
    capacities: tuple[int, int, int, int, int]
    service: tuple[Dist, Dist, Dist, Dist, Dist]

    def arrival_rate_per_d(self, scale: float) -> float:
        """Poisson arrival rate at `scale`, crises per day."""
        return self.population * scale * self.crises_per_person_year / self.year_d


def _dist(leaf: dict, unit: str) -> Dist:
    """Read a ``{dist: .., mean: .., sd: ..}`` leaf whose key names `unit`."""
    kind = leaf["dist"]
    factor = _UNIT_DAYS[unit]
    if kind == "exponential":
        if set(leaf) != {"dist", "mean"}:
            raise ValueError(f"exponential takes only 'mean', got {sorted(leaf)}")
        return Dist("exponential", leaf["mean"] * factor, leaf["mean"] * factor)
    if kind == "lognormal":
        if set(leaf) != {"dist", "mean", "sd"}:
            raise ValueError(f"lognormal takes 'mean' and 'sd', got {sorted(leaf)}")
        return Dist("lognormal", leaf["mean"] * factor, leaf["sd"] * factor)
    raise ValueError(f"unsupported distribution {kind!r} (exponential or lognormal)")


def _timed(section: dict, stem: str) -> Dist:
    """The one ``<stem>_<unit>`` distribution of a service section."""
    keys = [k for k in section if k.startswith(stem + "_")]
    if len(keys) != 1:
        raise ValueError(f"expected one {stem}_<unit> key, got {keys}")
    return _dist(section[keys[0]], keys[0][len(stem) + 1:])


def load_workload(path: str | Path = SPEC_FILE) -> Workload:
    """Read the HCE-ref specification from a careshift-style YAML file.

    Parameters
    ----------
    path : str or Path, default ``benchmarks/hce_ref.yaml``
        The specification file.

    Returns
    -------
    Workload
        The workload at scale 1, times in days.
    """
    with open(path, encoding="utf-8") as fh:
        doc = YAML(typ="safe").load(fh)
    first = doc["routing"]["first_contact"]
    p_gp, p_comm = float(first["gp"]), float(first["community"])
    p_ae = 1.0 - p_gp - p_comm if first["ae"] == "remainder" else float(first["ae"])
    if not (min(p_gp, p_comm, p_ae) >= 0.0 and math.isclose(p_gp + p_comm + p_ae, 1.0)):
        raise ValueError(f"first_contact shares must be >= 0 and sum to 1, got {first}")
    svc = doc["services"]
    return Workload(
        year_d=float(doc["run"]["year_days"]),
        warmup_d=float(doc["run"]["warmup_days"]),
        population=int(doc["population"]["size"]),
        crises_per_person_year=float(doc["demand"]["crisis_rate_per_person_year"]),
        p_gp=p_gp, p_comm=p_comm, p_ae=p_ae,
        p_admit=float(doc["routing"]["ae_admission_probability"]),
        p_reablement=float(doc["routing"]["reablement_probability"]),
        capacities=(int(svc["gp"]["servers"]), int(svc["community"]["servers"]),
                    int(svc["ae"]["servers"]), int(svc["acute"]["beds"]),
                    int(svc["reablement"]["places"])),
        service=(_timed(svc["gp"], "service"), _timed(svc["community"], "service"),
                 _timed(svc["ae"], "service"), _timed(svc["acute"], "stay"),
                 _timed(svc["reablement"], "duration")),
    )


WORKLOAD = load_workload()


class Draws:
    """Pre-drawn batches of arrivals: times, routes and every service time.

    Two named careshift streams of the run's seed: ``hce_ref.arrivals``
    (interarrival gaps and routing uniforms) and ``hce_ref.services``
    (service times and the admission and reablement uniforms). Each batch is
    drawn vectorised and handed to the feeder as Python lists (reading every
    element, lists are faster than numpy scalars).

    Parameters
    ----------
    wl : Workload
        The workload.
    seed : int
        Root seed (``simulation.rng.generator``'s ``root_seed``).
    rate_per_d : float
        Arrival rate, per day.
    batch : int
        Arrivals per batch.
    """

    def __init__(self, wl: Workload, seed: int, rate_per_d: float, batch: int = BATCH) -> None:
        self.wl = wl
        self.batch = batch
        self.mean_gap_d = 1.0 / rate_per_d
        self.arrivals = rngmod.generator(seed, 0, "hce_ref.arrivals")
        self.services = rngmod.generator(seed, 0, "hce_ref.services")

    def next_batch(self) -> tuple[list, list, list, list, list]:
        """The next batch: interarrival gaps (days), nodes, first-contact service days,
        acute stay days and reablement days (``NOT_NEEDED`` where none)."""
        wl, n = self.wl, self.batch
        arr, svc = self.arrivals, self.services
        gaps = arr.exponential(self.mean_gap_d, n)
        u = arr.random(n)
        node = np.where(u < wl.p_gp, GP, np.where(u < wl.p_gp + wl.p_comm, COMM, AE))
        gp_d, comm_d, ae_d, los_d, reab_d = wl.service
        ae_mu, ae_sigma = ae_d.log_params()
        los_mu, los_sigma = los_d.log_params()
        e = svc.standard_exponential(n)
        first = np.where(node == GP, e * gp_d.mean_d,
                         np.where(node == COMM, e * comm_d.mean_d,
                                  np.exp(ae_mu + ae_sigma * svc.standard_normal(n))))
        admitted = (node == AE) & (svc.random(n) < wl.p_admit)
        los = np.where(admitted, np.exp(los_mu + los_sigma * svc.standard_normal(n)), NOT_NEEDED)
        reab = np.where(admitted & (svc.random(n) < wl.p_reablement),
                        svc.exponential(reab_d.mean_d, n), NOT_NEEDED)
        return gaps.tolist(), node.tolist(), first.tolist(), los.tolist(), reab.tolist()


def run(years: float, seed: int, scale: float = 1.0, *,
        workload: Workload | None = None) -> tuple[Stats, dict]:
    """Simulate HCE-ref v1 once on careshift's engine primitives.

    Parameters
    ----------
    years : float
        Simulated horizon, years of 365 days (must exceed the warm-up).
    seed : int
        Root seed of the run's named numpy streams.
    scale : float, default 1.0
        Population multiplier (arrival rate and every capacity).
    workload : Workload, optional
        A variant of the workload (tests use one to force blocking); by
        default the one read from ``hce_ref.yaml``.

    Returns
    -------
    stats : Stats
        Filled accumulators; ``stats.summary()`` gives the output metrics.
    extra : dict
        ``"native_events"``: entries put on SimPy's event queue (its event-id
        counter, a private detail: one per service, plus one per hand-over of
        a pool place to a waiter, including those still pending at the end;
        arrivals are merged into the loop and make none); ``"handovers"``:
        places handed to a waiter; ``"pending"``: entries scheduled after the
        horizon (services under way); ``"batches"``: numpy batches of
        arrivals drawn.
    """
    wl = WORKLOAD if workload is None else workload
    if not scale > 0.0:
        raise ValueError(f"scale must be > 0, got {scale}")
    horizon = years * wl.year_d
    stats = Stats(horizon, wl.warmup_d)
    env = Environment()
    periods = Periods(wl.warmup_d, max(1, math.ceil((horizon - wl.warmup_d) / wl.year_d)))
    pools = [Pool(env, name, scaled_capacity(c, scale), periods)
             for name, c in zip(NODES, wl.capacities)]
    gp, comm, ae, beds, places = pools
    completions = stats.completions

    def contact(pool: Pool, node: int, service_d: float) -> Iterator:
        """A GP or community-team contact, then exit."""
        wait = pool.request()
        if wait is not None:
            yield wait
        yield service_d
        completions[node] += 1
        pool.release()

    def emergency(service_d: float, los_d: float, reab_d: float) -> Iterator:
        """A&E; if admitted an acute stay; if needed reablement, blocking the bed."""
        wait = ae.request()
        if wait is not None:
            yield wait
        yield service_d
        completions[AE] += 1
        ae.release()
        if los_d < 0.0:
            return
        wait = beds.request()
        if wait is not None:
            yield wait
        yield los_d
        completions[ACUTE] += 1
        if reab_d < 0.0:
            beds.release()
            return
        wait = places.request()  # still in the bed until a place is handed over
        if wait is not None:
            yield wait
        beds.release()
        yield reab_d
        completions[REAB] += 1
        places.release()

    draws = Draws(wl, seed, wl.arrival_rate_per_d(scale))
    gaps, nodes, first, los, reab = draws.next_batch()
    size = len(gaps)
    n_batches = 1
    i = 0  # index in the batch of the arrival due next

    def feed(now: float) -> float:
        """Start the due arrival's journey inline; return when the next arrives."""
        nonlocal gaps, nodes, first, los, reab, i, n_batches
        k = nodes[i]
        if k == AE:
            journey = emergency(first[i], los[i], reab[i])
        else:
            journey = contact(gp if k == GP else comm, k, first[i])
        # run inline to the first wait (``Economy.start_process``); every journey
        # has one, its first service, so the generator cannot end here
        Journey(env, journey, next(journey))
        i += 1
        if i == size:
            gaps, nodes, first, los, reab = draws.next_batch()
            n_batches += 1
            i = 0
        return now + gaps[i]

    run_until(env, horizon, feed, gaps[0])

    stats.arrivals = (n_batches - 1) * size + i  # one feed() per arrival processed
    for node, pool in enumerate(pools):
        pool.close(horizon)
        stats.starts[node] = int(sum(pool.starts[1:]))
        stats.wait_sum_d[node] = sum(pool.waits[1:])
        stats.held_area[node] = sum(pool.busy.area[1:])
    handovers = int(sum(sum(pool.waited) for pool in pools))
    return stats, {"native_events": next(env._eid), "handovers": handovers,
                   "pending": len(env._queue) + len(env.far_entries()), "batches": n_batches}
