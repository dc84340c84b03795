"""Validation of the FIFO capacity pool (``simulation.services.pools``) against queueing theory.

The statistical experiments live in :mod:`simulation.verification` (so that ``python run_scenarios.py
validation`` writes their results to ``docs/validation.md``); each test here runs the same experiment at the
same size and asserts that its check is met. Each experiment drives a :class:`Pool` from a tiny SimPy model of
its own (a Poisson source and one generator process per customer) and compares what the pool records with a
closed-form result from :mod:`simulation.queueing_theory`. Seeds are fixed, so each test is deterministic.
Every tolerance is stated with the standard error (SE) of the estimate at the run length used (in the
docstrings and comments of ``simulation.verification``, repeated here) and is at least three SEs wide. The
M/M/c SEs are computed from the exact asymptotic variance of the birth-death process and asserted, so
shortening a run below what its tolerance needs fails loudly instead of making the test flaky. The mechanics
tests at the end are exact, on hand-computed examples.

Time unit: days. ``Periods(warmup, years)``: period 0 is the warm-up, 1..H are 365-day years; statistics are
taken over periods 1..H.
"""

from __future__ import annotations

import pytest
import simpy

from simulation import queueing_theory as qt
from simulation import verification as v
from simulation.services.pools import LevelMonitor, Periods, Pool


def _assert_met(checks):
    for check in checks:
        assert check.met, str(check)


# -- 1. M/M/c: mean wait in queue and probability of waiting against Erlang C ----------------

# (c, rho, reporting years per seed, relative tolerance on Wq): v.MMC_CASES.
# Standard error: the time average of the queue length of M/M/c has the exact asymptotic
# variance sigma^2 / T of queueing_theory.birth_death_time_average_variance; for M/M/2 the
# relative SE of Wq is 3.06 % (rho 0.7) and 5.08 % (rho 0.85) per 100 000 customers. The
# customer average of waits asserted here has a 5 % smaller SE than that (measured over 200
# independent runs of 50 000 customers, c = 1 and 2), so the formula is conservative.
# 4 seeds x 23 years at lam = 28/day is 940 000 customers: SE 1.00 %, tolerance 3 % = 3.0 SE.
# 4 seeds x 19 years at lam = 34/day is 943 000 customers: SE 1.65 %, tolerance 5 % = 3.0 SE.
MMC_CASES = [pytest.param(*case, id=f"c{case[0]}-rho{case[1]:.2f}", marks=pytest.mark.slow)
             for case in v.MMC_CASES]


@pytest.mark.parametrize("c, rho, years, tol", MMC_CASES)
def test_mmc_mean_wait_matches_erlang_c(c, rho, years, tol):
    se = v.mmc_wait_se(c, rho, years)
    assert tol >= 3.0 * se, f"run too short for the tolerance: relative SE {se:.4f}"
    check = v.check_mmc_wait(c, rho, years, tol)
    assert check.met, str(check)


# P(wait > 0) against Erlang C. The fraction of time with all c places busy has relative SE
# 0.72 % (rho 0.7) and 0.69 % (rho 0.85) per 100 000 customers (birth-death formula with
# f = 1{n >= c}; by PASTA it is the arrivals' probability of waiting), i.e. about 0.24 % at
# ~940 000 customers; the Bernoulli noise of which arrivals wait adds under 0.1 %. A 1 %
# relative tolerance is over 3.5 SE. (The runs are those of the test above: cached.)
@pytest.mark.parametrize("c, rho, years, tol", MMC_CASES)
def test_mmc_probability_of_waiting_matches_erlang_c(c, rho, years, tol):
    assert v.MMC_P_WAIT_TOLERANCE == 0.01
    check = v.check_mmc_p_wait(c, rho, years)
    assert check.met, str(check)


# -- 2. Loss pool against Erlang B -------------------------------------------------------------

def test_loss_pool_blocking_matches_erlang_b():
    """Callers who find every place taken leave; the blocked fraction is Erlang B.

    M/M/10/10 with offered load 7 erlangs (lam 28/day, mean hold 0.25 day): B = 0.07874.
    SE of the blocked fraction: the time congestion alone has SE 0.0015 per 100 000 arrivals
    (birth-death formula, f = 1{n = c}); measured over 20 seeds of 102 000 arrivals the call
    congestion has SD 0.0019 per seed, so over 2 seeds (204 000 arrivals) the SE is 0.0013
    and the 0.005 absolute tolerance is 3.7 SE. The blocking check also requires that nobody
    ever queued (the wrapper really makes a loss system).
    Carried load (time-average number of places in use) is a (1 - B) = 6.449; its seed SD is
    0.30 % so the SE over 2 seeds is 0.21 %, and a 1 % tolerance is over 4 SE.
    """
    checks = v.erlang_b_checks()
    assert len(checks) == 2
    _assert_met(checks)


# -- 3. M/G/infinity ---------------------------------------------------------------------------

def test_unlimited_pool_is_m_g_infinity():
    """Unlimited pool, Poisson arrivals (5/day), lognormal holding (mean 7, sd 8 days).

    The occupancy is Poisson with mean lam E[S] = 35 at every time (M/G/inf, any service law).
    Time-average mean: asymptotic variance lam E[S^2] / T (the autocovariance of N integrates
    to lam E[S^2] / 2), E[S^2] = 113, so over 4 seeds x 20 years the relative SE is
    sqrt(5 * 113 / 29 200) / 35 = 0.40 %; the 2 % tolerance is 5 SE (nobody may wait).
    Dispersion: variance / mean of the occupancy sampled daily is 1 for a Poisson count; the
    daily samples are autocorrelated (correlation time ~ 8 days), and the SE of the 4-seed
    average, measured over 300 replicates of the same design with an independent numpy
    simulation, is 0.023 (mean 0.998); the [0.9, 1.1] band is over 4 SE.
    """
    checks = v.m_g_infinity_checks()
    assert len(checks) == 2
    _assert_met(checks)


# -- 4. Little's law ---------------------------------------------------------------------------

def test_littles_law_on_a_queueing_pool():
    """M/G/3 (lognormal holding, mean 0.2 d, sd 0.3 d; utilisation 0.8), 5 reporting years.

    L (time averages of busy + queued from the pool's monitors) against lam W, with lam and W
    measured from the customers themselves; Lq against lam Wq with the pool's wait tally. Both
    within 1 %: the edge terms are about L * W / T ~ 1e-5 of L and sampling noise does not enter
    (both sides are measured on the same path). Exact forms to rounding (1e-9): the monitors'
    integral over the window equals the customers' clipped time in system (and in the queue), and
    the pool's wait tally equals the customers' own record of their waits.
    """
    checks = v.littles_law_checks()
    assert len(checks) == 4 and sum(c.exact for c in checks) == 2
    _assert_met(checks)


# -- 6. Jackson network (two pools, with feedback) ----------------------------------------------

def test_two_station_jackson_network_with_feedback():
    """External Poisson arrivals (9/day) -> station 1 (2 places, exp. mean 0.125 d) -> station 2
    (1 place, exp. mean 0.05 d), back to station 1 with probability 0.25: Jackson's product form
    gives L = 3.4286 + 1.5 = 4.9286. SE of the 4 seeds x 12 years estimate 1.3 % (seed-to-seed
    SD measured over 56 seeds); the 5 % tolerance is 3.9 SE.
    """
    theory = qt.jackson_l([v.JACK_GAMMA, 0.0], [[0.0, 1.0], [v.JACK_BACK, 0.0]], v.JACK_MU, v.JACK_C)
    assert theory == pytest.approx(24.0 / 7.0 + 1.5)
    check = v.check_jackson()
    assert check.met, str(check)


def test_closed_forms_on_textbook_values():
    """Erlang B and C and the M/M/c means against values computed by hand."""
    assert qt.erlang_b(1, 1.0) == pytest.approx(0.5)
    assert qt.erlang_b(2, 1.0) == pytest.approx(0.2)  # (1/2) / (1 + 1 + 1/2)
    assert qt.erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    assert qt.erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0)
    assert qt.mmc_wq(1.0, 2.0, 1) == pytest.approx(0.5)  # M/M/1: rho / (mu - lam)
    assert qt.mmc_l(1.0, 2.0, 1) == pytest.approx(1.0)  # rho / (1 - rho)


# -- 5. Exact mechanics on tiny deterministic examples -------------------------------------------

def _pool(capacity, warmup=1000.0, years=1):
    env = simpy.Environment()
    return env, Pool(env, "p", capacity, Periods(warmup, years))


def test_request_returns_none_when_free_and_an_event_when_full():
    env, pool = _pool(2)
    assert pool.request() is None
    assert pool.request() is None
    ev = pool.request()
    assert isinstance(ev, simpy.Event) and not ev.triggered
    assert (pool.in_use, len(pool.queue)) == (2, 1)
    env, unlimited = _pool(None)
    assert all(unlimited.request() is None for _ in range(1000))
    assert unlimited.in_use == 1000 and not unlimited.queue


def test_hand_over_is_first_in_first_out():
    """One place held 10 days at a time; b, c, d, e ask at days 1..4 and must start in that order."""
    env, pool = _pool(1)
    started = []

    def user(name, at):
        yield env.timeout(at)
        ev = pool.request()
        if ev is not None:
            yield ev
        started.append((name, env.now))
        yield env.timeout(10.0)
        pool.release()

    for i, name in enumerate("abcde"):
        env.process(user(name, float(i)))
    env.run()
    assert started == [("a", 0.0), ("b", 10.0), ("c", 20.0), ("d", 30.0), ("e", 40.0)]
    # waits 9 + 18 + 27 + 36 = 90 days, all in the warm-up period here
    assert pool.waits[0] == 90.0 and pool.waited[0] == 4 and pool.starts[0] == 5
    assert pool.in_use == 0 and not pool.queue


def test_release_with_a_waiter_hands_the_place_over_without_a_dip():
    env, pool = _pool(2)
    pool.request()
    pool.request()
    ev = pool.request()
    env.run(until=4.0)
    pool.release()
    assert pool.in_use == 2 and pool.busy.level == 2 and pool.queued.level == 0
    assert ev.triggered and not pool.queue
    env.run(until=10.0)
    assert ev.processed
    pool.close(10.0)
    assert pool.busy.area[0] == 20.0  # two places busy throughout: no dip at the hand-over
    assert pool.queued.area[0] == 4.0
    assert (pool.starts[0], pool.waited[0], pool.waits[0]) == (3, 1, 4.0)
    pool.release()
    pool.release()
    assert pool.in_use == 0 and pool.busy.level == 0


def test_a_cancelled_wait_is_recorded_as_abandoned_not_as_a_start():
    env, pool = _pool(1)
    assert pool.request() is None
    env.run(until=2.0)
    ev = pool.request()
    env.run(until=7.0)
    assert pool.cancel(ev) and not pool.queue
    assert (pool.abandoned[0], pool.abandoned_waits[0]) == (1.0, 5.0)
    assert (pool.starts[0], pool.waited[0], pool.waits[0]) == (1.0, 0.0, 0.0)
    assert pool.queued.level == 0 and not pool.cancel(ev)


def test_raising_capacity_starts_waiters_at_once():
    env, pool = _pool(1)
    assert pool.request() is None
    evs = [pool.request() for _ in range(3)]
    env.run(until=2.0)
    pool.set_capacity(3)
    assert [e.triggered for e in evs] == [True, True, False]  # the first two, in order
    assert pool.in_use == 3 and len(pool.queue) == 1 and pool.queued.level == 1
    assert pool.waits[0] == 4.0 and pool.waited[0] == 2
    env.run(until=3.0)
    pool.set_capacity(None)
    assert evs[2].triggered and pool.in_use == 4 and not pool.queue
    assert pool.waits[0] == 7.0


def test_lowering_capacity_lets_users_finish_and_holds_newcomers():
    env, pool = _pool(3)
    for _ in range(3):
        assert pool.request() is None
    pool.set_capacity(1)
    assert pool.in_use == 3  # nobody is evicted
    ev = pool.request()
    assert ev is not None
    env.run(until=1.0)
    pool.release()
    assert pool.in_use == 2 and not ev.triggered
    env.run(until=2.0)
    pool.release()
    assert pool.in_use == 1 and not ev.triggered
    env.run(until=3.0)
    pool.release()  # use falls to 0 < 1: the waiter takes the place now
    assert ev.triggered and pool.in_use == 1 and not pool.queue
    assert pool.waits[0] == 3.0
    pool.close(5.0)
    assert pool.busy.area[0] == 3.0 + 2.0 + 1.0 + 2.0


def test_level_monitor_splits_intervals_at_period_boundaries():
    periods = Periods(10.0, 2)  # boundaries at days 10, 375, 740
    m = LevelMonitor(periods)
    m.change(5.0, 2.0)
    m.change(400.0, 1.0)  # the interval (5, 400) at level 2 crosses two boundaries
    assert m.area == [2.0 * 5.0, 2.0 * 365.0, 2.0 * 25.0]
    assert m.period == 2
    m.change(500.0, -3.0)
    m.close(740.0)
    assert m.area == [10.0, 730.0, 50.0 + 3.0 * 100.0]
    assert [m.area[k] / periods.length(k) for k in (0, 1)] == [1.0, 2.0]

    # a change exactly on a boundary puts no area on the wrong side of it
    m = LevelMonitor(periods)
    m.change(0.0, 1.0)
    m.change(10.0, 1.0)
    m.change(375.0, -2.0)
    m.close(740.0)
    assert m.area == [10.0, 730.0, 0.0]


def test_waits_are_attributed_to_the_period_of_service_start():
    env, pool = _pool(1, warmup=10.0, years=2)  # boundaries at days 10, 375, 740

    def user(at, hold_until):
        yield env.timeout(at)
        ev = pool.request()
        if ev is not None:
            yield ev
        yield env.timeout(hold_until - env.now)
        pool.release()

    env.process(user(0.0, 20.0))    # a: starts day 0 (warm-up), no wait
    env.process(user(5.0, 370.0))   # b: asks in the warm-up, starts day 20 (year 1): waits 15
    env.process(user(360.0, 380.0))  # c: asks day 360, starts day 370 (year 1): waits 10
    env.process(user(371.0, 390.0))  # d: asks day 371 (year 1), starts day 380 (year 2): waits 9
    env.run()
    assert pool.waits == [0.0, 25.0, 9.0]
    assert pool.waited == [0, 2, 1]
    assert pool.starts == [1, 2, 1]


def test_start_exactly_on_a_period_boundary_is_filed_like_periods_of():
    env, pool = _pool(1, warmup=10.0, years=2)
    env.run(until=10.0)
    assert pool.request() is None
    assert pool.busy.periods.of(env.now) == 1
    assert pool.starts == [0, 1, 0]
