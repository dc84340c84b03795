"""HCE-ref v1 on a hand-written heapq event loop: the pure-Python ceiling.

Every popped event is one logical event (an arrival or the end of a service),
so the loop does no work a faster pure-Python engine could skip. It shares
the sampling order of :mod:`benchmarks.workload`, so for the same seed it
follows the same trajectory as :mod:`benchmarks.engine_simpy`.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque

from benchmarks.workload import (ACUTE, AE, COMM, GP, NODES, REAB, YEAR_D,
                                 Stats, config, make_patient_sampler)

#: Event code of an arrival; codes 0-4 are "end of service at that node".
ARRIVAL = len(NODES)


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
        ``{"native_events": int}``: events popped from the heap and handled.
    """
    cfg = config(scale)
    stats = Stats(years * YEAR_D)
    horizon, warmup = stats.horizon_d, stats.warmup_d
    starts, wait_sum = stats.starts, stats.wait_sum_d
    completions, area = stats.completions, stats.held_area

    rng = random.Random(seed)
    next_patient = make_patient_sampler(rng)
    expovariate = rng.expovariate
    arrival_rate = cfg.arrival_rate_per_d

    free = list(cfg.capacities)
    # Waiting lines: (joined_d, duration_d, a, b) for GP, COMM, AE and ACUTE;
    # (blocked_since_d, reab_los_d) for the patients blocked in acute beds.
    waiting = [deque() for _ in NODES]
    blocked = waiting[REAB]

    # Heap entries: (time_d, tie-breaker, code, a, b). For the end of A&E,
    # a and b are the acute and reablement stays; for the end of an acute
    # stay, a is the reablement stay.
    agenda: list[tuple[float, int, int, float, float]] = []
    push, pop = heapq.heappush, heapq.heappop
    tick = itertools.count().__next__

    def begin(node, now, joined, duration, a, b):
        """Start a service at GP, COMM, AE or ACUTE and schedule its end."""
        if now >= warmup:
            starts[node] += 1
            wait_sum[node] += now - joined
        push(agenda, (now + duration, tick(), node, a, b))

    def join(node, now, duration, a, b):
        """A patient arrives at GP, COMM or AE (first contact)."""
        if free[node]:
            free[node] -= 1
            begin(node, now, now, duration, a, b)
        else:
            waiting[node].append((now, duration, a, b))

    def admit(now, los, reab_los):
        """A patient admitted from A&E asks for an acute bed."""
        if free[ACUTE]:
            free[ACUTE] -= 1
            area[ACUTE] += horizon - (now if now > warmup else warmup)
            begin(ACUTE, now, now, los, reab_los, 0.0)
        else:
            waiting[ACUTE].append((now, los, reab_los, 0.0))

    def release(node, now):
        """A GP, COMM or AE server falls free: serve the next in line."""
        line = waiting[node]
        if line:
            joined, duration, a, b = line.popleft()
            begin(node, now, joined, duration, a, b)
        else:
            free[node] += 1

    def release_bed(now):
        """An acute bed falls free: give it to the next in line."""
        area[ACUTE] -= horizon - (now if now > warmup else warmup)
        line = waiting[ACUTE]
        if line:
            joined, los, reab_los, _ = line.popleft()
            area[ACUTE] += horizon - (now if now > warmup else warmup)
            begin(ACUTE, now, joined, los, reab_los, 0.0)
        else:
            free[ACUTE] += 1

    def start_reablement(now, blocked_since, reab_los):
        """Move a patient from their acute bed into a reablement place."""
        if now >= warmup:
            starts[REAB] += 1
            wait_sum[REAB] += now - blocked_since
        area[REAB] += horizon - (now if now > warmup else warmup)
        push(agenda, (now + reab_los, tick(), REAB, 0.0, 0.0))
        release_bed(now)

    push(agenda, (expovariate(arrival_rate), tick(), ARRIVAL, 0.0, 0.0))
    arrivals = handled = 0
    while agenda:
        now, _, code, a, b = pop(agenda)
        if now > horizon:
            break
        handled += 1
        if code == ARRIVAL:
            arrivals += 1
            node, service, los, reab_los = next_patient()
            push(agenda, (now + expovariate(arrival_rate), tick(), ARRIVAL, 0.0, 0.0))
            join(node, now, service, los, reab_los)
        elif code == GP or code == COMM:
            completions[code] += 1
            release(code, now)
        elif code == AE:
            completions[AE] += 1
            if a >= 0.0:  # admitted: a = acute stay, b = reablement stay
                admit(now, a, b)
            release(AE, now)
        elif code == ACUTE:
            completions[ACUTE] += 1
            if a < 0.0:  # no reablement needed
                release_bed(now)
            elif free[REAB]:
                free[REAB] -= 1
                start_reablement(now, now, a)
            else:  # blocked: keeps the bed until a place falls free
                blocked.append((now, a))
        else:  # end of reablement
            completions[REAB] += 1
            area[REAB] -= horizon - (now if now > warmup else warmup)
            if blocked:
                blocked_since, reab_los = blocked.popleft()
                start_reablement(now, blocked_since, reab_los)
            else:
                free[REAB] += 1

    stats.arrivals = arrivals
    return stats, {"native_events": handled}
