"""The economy's own event loop (``economy.run_until``) against SimPy's ``Environment.run``."""

from __future__ import annotations

import math

import pytest
import simpy

import simulation.economy as economy
from simulation.economy import Economy, Environment, Journey, run_until
from tests.conftest import small_scenario


def test_same_events_in_the_same_order_as_simpy():
    """Callbacks at equal times keep SimPy's order (time, priority, insertion); nothing at `end` itself runs."""
    seen: dict[str, list] = {}
    for name, runner in (("simpy", lambda env, end: env.run(until=end)), ("own", run_until)):
        env = simpy.Environment()
        log = seen[name] = []
        for i, delay in enumerate([3.0, 1.0, 3.0, 2.0, 5.0, 3.0]):
            env.timeout(delay).callbacks.append(lambda _e, i=i: log.append((env.now, i)))

        def proc(env=env, log=log):
            yield env.timeout(3.0)
            log.append((env.now, "process"))
            yield env.timeout(2.0)
            log.append((env.now, "never: at end"))

        env.process(proc())
        runner(env, 5.0)
        assert env.now == 5.0
    assert seen["own"] == seen["simpy"]
    assert (5.0, 4) not in seen["own"] and (5.0, "never: at end") not in seen["own"]


def test_the_far_calendar_keeps_simpys_order_exactly():
    """Random near and far delays, ties included, events scheduling more events: the economy's
    ``Environment`` (under SimPy's ``run`` and under ``run_until``) processes them in SimPy's order."""
    import random

    def scenario(env, log):
        rnd = random.Random(7)

        def chain(k, depth):
            log.append((env.now, k, depth))
            if depth < 3:
                for j in range(2):
                    delay = rnd.choice([0.0, 0.5, 1.0, 2.0, 3.7, 30.0, 400.0, rnd.random() * 50])
                    env.timeout(delay).callbacks.append(lambda _e, k=k, j=j, d=depth: chain(f"{k}.{j}", d + 1))

        for k in range(200):
            env.timeout(rnd.choice([0.0, 1.0, 5.0, rnd.random() * 900])).callbacks.append(
                lambda _e, k=k: chain(str(k), 0))

    logs = []
    for make, runner in ((simpy.Environment, lambda env, end: env.run(until=end)),
                         (Environment, lambda env, end: env.run(until=end)),
                         (Environment, run_until)):
        env, log = make(), []
        scenario(env, log)
        runner(env, 1000.0)
        logs.append(log)
    assert len(logs[0]) > 1000
    assert logs[1] == logs[0] and logs[2] == logs[0]
    env = Environment()
    scenario(env, [])
    with pytest.raises(ValueError, match="power of two"):
        Environment(window=0.3)  # slices must be exact in binary arithmetic
    far = env.far_entries()
    assert len(far) > 50 and all(entry[0] >= env._cutoff for entry in far)  # in use, and all ahead
    assert all(entry[0] < env._cutoff for entry in env._queue)


def test_a_failed_event_nobody_defused_is_raised():
    env = simpy.Environment()
    ev = env.event()
    ev.fail(ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        run_until(env, 1.0)
    with pytest.raises(ValueError):
        run_until(simpy.Environment(), 0.0)  # the end must lie ahead


def simpy_run(env, end, feed=None, first=math.inf):
    """SimPy's own loop, with the feed driven by one ``Timeout`` per item (a feeder as SimPy would write it)."""
    def fire(_event):
        nxt = feed(env.now)
        if nxt < end:
            env.timeout(nxt - env.now).callbacks.append(fire)

    if feed is not None and first < end:
        env.timeout(first - env.now).callbacks.append(fire)
    env.run(until=end)


def test_a_feed_is_merged_in_time_order_and_loses_ties_to_queued_events():
    """Feed items run between queued events by time; at equal times queued events go first; none at `end`."""
    for runner in (simpy_run, run_until):
        env = simpy.Environment()
        log = []
        for delay in (1.0, 2.5, 4.0):
            env.timeout(delay).callbacks.append(lambda _e: log.append(("event", env.now)))
        items = iter([0.5, 2.5, 3.0, 3.0, 5.0, 6.0])
        pending = [next(items)]

        def feed(now):
            while pending and pending[0] <= now:
                log.append(("feed", now))
                pending[0] = next(items)
            return pending[0]

        runner(env, 5.0, feed, pending[0])
        assert log == [("feed", 0.5), ("event", 1.0), ("event", 2.5), ("feed", 2.5), ("feed", 3.0), ("feed", 3.0),
                       ("event", 4.0)], runner
        assert env.now == 5.0


def test_a_journey_waits_for_delays_and_events_without_a_process():
    env = Environment()
    log = []
    gate = env.event()

    def journey():
        yield 1.5              # a delay in days
        log.append(env.now)
        yield 2                # an int is a delay too
        log.append(env.now)
        yield gate             # an event
        log.append(env.now)

    gen = journey()
    Journey(env, gen, next(gen))
    env.timeout(10.0).callbacks.append(lambda _e: gate.succeed())
    run_until(env, 20.0)
    assert log == [1.5, 3.5, 10.0]
    with pytest.raises(ValueError, match="delay of at least 0"):
        Journey(env, iter(()), -1.0)
    with pytest.raises(ValueError, match="delay of at least 0"):
        Journey(env, iter(()), "soon")


def test_a_replication_is_identical_under_simpys_own_loop(monkeypatch):
    """Every counter and monitor of a small run is the same whichever loop drives it (SimPy's, with a
    ``Timeout`` per crisis, or the economy's own with the crises merged in)."""
    sc = small_scenario(size=8_000, years=1, warmup_years=0.25)

    def state(eco):
        return ({k: eco.tally(k).tolist() for k in eco.counter_names()},
                [(p.busy.area, p.queued.area, p.waits, p.starts) for p in eco.pools], eco.admissions, eco.deaths)

    own = state(Economy(sc, 0).run())
    assert len(own[2]) > 100 and own[3]  # admissions and deaths happened
    monkeypatch.setattr(economy, "run_until", simpy_run)
    assert state(Economy(sc, 0).run()) == own


def test_the_queue_heap_is_heapqs_element_for_element():
    """The engine's heap (compiled: entries compared in C) leaves the list exactly as ``heapq`` would,
    ties in time and priority included, and pops in (time, priority, insertion) order."""
    import heapq
    import random

    from simulation.engine import heap_ify, heap_pop, heap_push

    rng = random.Random(7)
    ids = iter(range(10**6))

    def entry():
        return (rng.choice([0.0, 0.25, 1.5, 2.0]) if rng.random() < 0.3 else rng.uniform(0, 5), rng.choice([0, 1]),
                next(ids), object())

    mine, theirs = [], []
    for _ in range(3000):
        if rng.random() < 0.6 or not mine:
            e = entry()
            heap_push(mine, e)
            heapq.heappush(theirs, e)
        else:
            assert heap_pop(mine) is heapq.heappop(theirs)
        assert mine == theirs
    for size in (0, 1, 2, 3, 500, 3000):  # CPython heapifies lists of more than 2,500 in another order
        bulk = [entry() for _ in range(size)]
        mine, theirs = list(bulk), list(bulk)
        heap_ify(mine)
        heapq.heapify(theirs)
        assert mine == theirs
        popped = [heap_pop(mine) for _ in range(len(mine))]
        assert [e[:3] for e in popped] == sorted(e[:3] for e in bulk)
    with pytest.raises(IndexError):
        heap_pop([])
