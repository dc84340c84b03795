"""The HCE-ref v1 benchmark workload: specification, sampling and statistics.

HCE-ref v1 is a fixed open queueing network that stands in for a local health
and care economy. Every engine in this folder runs exactly this workload, so
that their speeds can be compared as ratios of logical events per second.

Time is in days; a year is 365 days. The system starts empty; statistics
exclude a 90-day warm-up, event counts include it.

==========  =======================================================  ==========
node        service                                                  servers
==========  =======================================================  ==========
GP          exponential, mean 20 min; then exit                      5
community   exponential, mean 4 h; then exit                         20
A&E         lognormal, mean 4 h, sd 2 h; admitted with p = 0.375     45
acute       lognormal length of stay, mean 7 d, sd 8 d; FIFO,         600 beds
            unbounded queue; at the end 5 % need reablement
reablement  exponential, mean 21 d; no queue space: the patient      95 places
            keeps the acute bed until a place is free (blocking
            after service, FIFO among the blocked)
==========  =======================================================  ==========

Arrivals are Poisson: 250,000 people x 0.8 crises per person-year, routed on
arrival to GP (45 %), community (15 %) or A&E (40 %). A scale ``s``
multiplies the population, hence the arrival rate, and every capacity
(``max(1, round(c * s))``, Python's ``round``).

Sampling order (fixed, so engines sharing it give identical trajectories
for the same seed): one ``random.Random(seed)``; for each arrival, first the
interarrival time, then the patient (see :func:`make_patient_sampler`).
``random`` from the standard library is deliberate here: it is what the
reference engines use. The simulation package itself uses named numpy
streams.

Logical events are arrivals plus service completions at the five nodes (for
acute, the end of the stay whether or not the patient then blocks). The count
is engine-independent and is the numerator of every events/s figure.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable

SPEC = "HCE-ref v1"

YEAR_D = 365.0
WARMUP_D = 90.0

POPULATION = 250_000
CRISES_PER_PERSON_YEAR = 0.8

# Routing on arrival; the remainder (0.40) goes to A&E.
P_GP = 0.45
P_COMM = 0.15
P_ADMIT = 0.375  # A&E -> acute
P_REABLEMENT = 0.05  # end of acute stay -> reablement

# Capacities at scale 1 (servers, beds, places).
GP_SERVERS = 5
COMM_SERVERS = 20
AE_SERVERS = 45
ACUTE_BEDS = 600
REAB_PLACES = 95

GP_SERVICE_MEAN_D = 20.0 / 1440.0
COMM_SERVICE_MEAN_D = 4.0 / 24.0
AE_SERVICE_MEAN_D = 4.0 / 24.0
AE_SERVICE_SD_D = 2.0 / 24.0
ACUTE_LOS_MEAN_D = 7.0
ACUTE_LOS_SD_D = 8.0
REAB_LOS_MEAN_D = 21.0

# Node indices, used to index every per-node list.
GP, COMM, AE, ACUTE, REAB = range(5)
NODES = ("gp", "comm", "ae", "acute", "reab")

#: Marks a stay the patient does not need (no admission, no reablement).
NOT_NEEDED = -1.0

#: Output metrics, in the order :meth:`Stats.summary` returns them.
METRIC_KEYS = (
    "arrivals_per_year",
    "admissions_per_year",
    "acute_mean_occupancy",
    "reab_mean_occupancy",
    "gp_mean_wait_h",
    "ae_mean_wait_h",
    "comm_mean_wait_h",
    "acute_mean_wait_h",
    "reab_blocked_mean_d",
    "reab_starts_per_year",
)


def lognormal_params(mean: float, sd: float) -> tuple[float, float]:
    """Convert a lognormal's mean and sd to the parameters of its log.

    Parameters
    ----------
    mean : float
        Mean of the lognormal variable (any unit, e.g. days); must be > 0.
    sd : float
        Standard deviation of the variable, same unit as `mean`; >= 0.

    Returns
    -------
    mu : float
        Mean of the underlying normal (log of the unit of `mean`).
    sigma : float
        Standard deviation of the underlying normal (dimensionless).
    """
    if mean <= 0.0 or sd < 0.0:
        raise ValueError(f"need mean > 0 and sd >= 0, got mean={mean}, sd={sd}")
    sigma2 = math.log(1.0 + (sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


AE_MU, AE_SIGMA = lognormal_params(AE_SERVICE_MEAN_D, AE_SERVICE_SD_D)
LOS_MU, LOS_SIGMA = lognormal_params(ACUTE_LOS_MEAN_D, ACUTE_LOS_SD_D)


def scaled_capacity(capacity: int, scale: float) -> int:
    """Capacity at a given scale: ``max(1, round(capacity * scale))``.

    Parameters
    ----------
    capacity : int
        Servers, beds or places at scale 1.
    scale : float
        Population multiplier (> 0).

    Returns
    -------
    int
        Scaled capacity, at least 1 (Python's ``round``: halves go to even).
    """
    return max(1, round(capacity * scale))


@dataclass(frozen=True)
class Config:
    """Rates and capacities of the workload at one scale.

    Attributes
    ----------
    scale : float
        Population multiplier.
    arrival_rate_per_d : float
        Poisson arrival rate, crises per day.
    gp_servers, comm_servers, ae_servers : int
        Servers at the GP, community-team and A&E nodes.
    acute_beds : int
        Acute beds.
    reab_places : int
        Reablement places.
    """

    scale: float
    arrival_rate_per_d: float
    gp_servers: int
    comm_servers: int
    ae_servers: int
    acute_beds: int
    reab_places: int

    @property
    def capacities(self) -> tuple[int, int, int, int, int]:
        """Capacities indexed by node (GP, COMM, AE, ACUTE, REAB)."""
        return (self.gp_servers, self.comm_servers, self.ae_servers,
                self.acute_beds, self.reab_places)


def config(scale: float = 1.0) -> Config:
    """Build the workload configuration for a population of ``POPULATION * scale``.

    Parameters
    ----------
    scale : float, default 1.0
        Population multiplier; the spec's series is 0.2, 0.4, 1, 2, 4.

    Returns
    -------
    Config
        Arrival rate (per day) and scaled capacities.
    """
    if not scale > 0.0:
        raise ValueError(f"scale must be > 0, got {scale}")
    return Config(
        scale=scale,
        arrival_rate_per_d=POPULATION * scale * CRISES_PER_PERSON_YEAR / YEAR_D,
        gp_servers=scaled_capacity(GP_SERVERS, scale),
        comm_servers=scaled_capacity(COMM_SERVERS, scale),
        ae_servers=scaled_capacity(AE_SERVERS, scale),
        acute_beds=scaled_capacity(ACUTE_BEDS, scale),
        reab_places=scaled_capacity(REAB_PLACES, scale),
    )


Patient = tuple[int, float, float, float]


def make_patient_sampler(rng: random.Random) -> Callable[[], Patient]:
    """Return a function drawing the next patient from `rng`.

    Draws, in this order: a uniform for the route; the first-contact service
    time; for A&E only, a uniform for admission, then if admitted the acute
    length of stay and a uniform for reablement, then if needed the
    reablement length of stay.

    Parameters
    ----------
    rng : random.Random
        The run's single generator (the same one that draws interarrivals).

    Returns
    -------
    callable
        ``sample() -> (node, service_d, acute_los_d, reab_los_d)``: the node of
        first contact (GP, COMM or AE), its service time in days, the acute
        length of stay in days and the reablement length of stay in days;
        a stay that is not needed is ``NOT_NEEDED`` (-1.0).
    """
    uniform = rng.random
    expovariate = rng.expovariate
    lognormvariate = rng.lognormvariate
    gp_rate = 1.0 / GP_SERVICE_MEAN_D
    comm_rate = 1.0 / COMM_SERVICE_MEAN_D
    reab_rate = 1.0 / REAB_LOS_MEAN_D
    p_gp_or_comm = P_GP + P_COMM

    def sample() -> Patient:
        u = uniform()
        if u < P_GP:
            return GP, expovariate(gp_rate), NOT_NEEDED, NOT_NEEDED
        if u < p_gp_or_comm:
            return COMM, expovariate(comm_rate), NOT_NEEDED, NOT_NEEDED
        service = lognormvariate(AE_MU, AE_SIGMA)
        if uniform() >= P_ADMIT:
            return AE, service, NOT_NEEDED, NOT_NEEDED
        los = lognormvariate(LOS_MU, LOS_SIGMA)
        reab_los = expovariate(reab_rate) if uniform() < P_REABLEMENT else NOT_NEEDED
        return AE, service, los, reab_los

    return sample


class Stats:
    """Accumulators shared by every engine, with one definition of each metric.

    Engines update the public lists directly in their hot loops (method calls
    are offered for readability where speed matters less). Node-indexed lists
    use GP, COMM, AE, ACUTE, REAB.

    Parameters
    ----------
    horizon_d : float
        Simulated time T, days; must exceed `warmup_d`.
    warmup_d : float, default WARMUP_D
        Warm-up W, days, excluded from the statistics (not from event counts).

    Attributes
    ----------
    arrivals : int
        Arrivals in [0, T].
    starts : list of int
        Service starts at time >= W, per node. For reablement, a start is the
        move from the acute bed to a reablement place.
    wait_sum_d : list of float
        Summed waits (start minus arrival at the node), days, of those starts.
        For reablement the wait is the time blocked in the acute bed.
    completions : list of int
        Service completions in [0, T], per node; for acute, the end of the
        stay whether or not the patient then blocks.
    held_area : list of float
        Integral over [W, T] of the number of units held (servers, beds
        including those of blocked patients, places), unit-days; built by
        :meth:`occupy` / :meth:`vacate`.
    """

    __slots__ = ("horizon_d", "warmup_d", "arrivals", "starts", "wait_sum_d",
                 "completions", "held_area")

    def __init__(self, horizon_d: float, warmup_d: float = WARMUP_D) -> None:
        if not horizon_d > warmup_d:
            raise ValueError(
                f"horizon ({horizon_d} d) must exceed the warm-up ({warmup_d} d)")
        self.horizon_d = horizon_d
        self.warmup_d = warmup_d
        self.arrivals = 0
        self.starts = [0] * len(NODES)
        self.wait_sum_d = [0.0] * len(NODES)
        self.completions = [0] * len(NODES)
        self.held_area = [0.0] * len(NODES)

    def begin(self, node: int, now_d: float, joined_d: float) -> None:
        """Record a service start at `node` at time `now_d` (days) of a
        patient who joined the node at `joined_d` (days)."""
        if now_d >= self.warmup_d:
            self.starts[node] += 1
            self.wait_sum_d[node] += now_d - joined_d

    def occupy(self, node: int, now_d: float) -> None:
        """Record that one unit of `node` becomes held at `now_d` (days).

        Adds the unit's contribution as if held until T; :meth:`vacate`
        removes the part after the release, so the integral over [W, T]
        needs no final sweep.
        """
        self.held_area[node] += self.horizon_d - max(now_d, self.warmup_d)

    def vacate(self, node: int, now_d: float) -> None:
        """Record that one unit of `node` is released at `now_d` (days)."""
        self.held_area[node] -= self.horizon_d - max(now_d, self.warmup_d)

    def logical_events(self) -> int:
        """Arrivals plus service completions at the five nodes.

        Returns
        -------
        int
            The engine-independent event count (numerator of events/s).
        """
        return self.arrivals + sum(self.completions)

    def summary(self) -> dict[str, float]:
        """The output metrics, keyed by :data:`METRIC_KEYS`.

        Returns
        -------
        dict of str to float
            ``arrivals_per_year`` (over [0, T]), ``admissions_per_year`` and
            ``reab_starts_per_year`` (over [W, T]), mean acute occupancy
            (beds, including blocked patients) and reablement occupancy
            (places), mean waits at GP, A&E, community and acute (hours) and
            mean blocked time per reablement patient (days).
        """
        span_d = self.horizon_d - self.warmup_d
        span_years = span_d / YEAR_D
        starts, waits = self.starts, self.wait_sum_d

        def mean_wait_h(node: int) -> float:
            return 24 * waits[node] / max(1, starts[node])

        return {
            "arrivals_per_year": self.arrivals / (self.horizon_d / YEAR_D),
            "admissions_per_year": starts[ACUTE] / span_years,
            "acute_mean_occupancy": self.held_area[ACUTE] / span_d,
            "reab_mean_occupancy": self.held_area[REAB] / span_d,
            "gp_mean_wait_h": mean_wait_h(GP),
            "ae_mean_wait_h": mean_wait_h(AE),
            "comm_mean_wait_h": mean_wait_h(COMM),
            "acute_mean_wait_h": mean_wait_h(ACUTE),
            "reab_blocked_mean_d": waits[REAB] / max(1, starts[REAB]),
            "reab_starts_per_year": starts[REAB] / span_years,
        }
