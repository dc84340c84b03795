"""The economy's own event loop (``economy.run_until``) against SimPy's ``Environment.run``."""

from __future__ import annotations

import pytest
import simpy

import simulation.economy as economy
from simulation.economy import Economy, run_until
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


def test_a_failed_event_nobody_defused_is_raised():
    env = simpy.Environment()
    ev = env.event()
    ev.fail(ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        run_until(env, 1.0)
    with pytest.raises(ValueError):
        run_until(simpy.Environment(), 0.0)  # the end must lie ahead


def test_a_replication_is_identical_under_simpys_own_loop(monkeypatch):
    """Every counter and monitor of a small run is the same whichever loop drives it."""
    sc = small_scenario(size=8_000, years=1, warmup_years=0.25)

    def state(eco):
        return ({k: list(v) for k, v in eco._tally.items()},
                [(p.busy.area, p.queued.area, p.waits, p.starts) for p in eco.pools], eco.admissions, eco.deaths)

    own = state(Economy(sc, 0).run())
    assert len(own[2]) > 100 and own[3]  # admissions and deaths happened
    monkeypatch.setattr(economy, "run_until", lambda env, end: env.run(until=end))
    assert state(Economy(sc, 0).run()) == own
