"""Validation of the FIFO capacity pool (``simulation.services.pools``) against queueing theory.

Each statistical test drives a :class:`Pool` from a tiny SimPy model of its own (a Poisson
source and one generator process per customer) and compares what the pool records with a
closed-form result from :mod:`tests.validation.queueing_theory`. Random numbers come only from
``numpy.random.default_rng(seed)``, drawn in blocks; seeds are fixed, so each test is
deterministic. Every tolerance is stated next to its test with the standard error (SE) of the
estimate at the run length used, and is at least three SEs wide. The M/M/c SEs are computed
from the exact asymptotic variance of the birth-death process (see ``queueing_theory``) and
asserted, so shortening a run below what its tolerance needs fails loudly instead of making
the test flaky. The mechanics tests at the end are exact, on hand-computed examples.

Time unit: days. ``Periods(warmup, years)``: period 0 is the warm-up, 1..H are 365-day years;
statistics are taken over periods 1..H.
"""

from __future__ import annotations

import functools
import math
from typing import Callable, Iterator

import numpy as np
import pytest
import simpy

from simulation.services.pools import LevelMonitor, Periods, Pool

from . import queueing_theory as qt

YEAR = 365.0


# -- a tiny SimPy model ----------------------------------------------------------------------


def _stream(draw: Callable[[int], np.ndarray], block: int = 1 << 14) -> Iterator[float]:
    """Endless iterator over random draws made `block` at a time (one numpy call per block)."""
    while True:
        yield from draw(block).tolist()


def _visit(env: simpy.Environment, pool: Pool, service: float):
    """Take a place in `pool` (waiting in its queue if need be), hold it `service` days, give it back."""
    ev = pool.request()
    if ev is not None:
        yield ev
    yield env.timeout(service)
    pool.release()


def _hold(env: simpy.Environment, pool: Pool, service: float):
    """Keep a place already taken for `service` days, then give it back."""
    yield env.timeout(service)
    pool.release()


def _poisson_source(env: simpy.Environment, rate: float, rng: np.random.Generator,
                    arrive: Callable[[], None], until: float = math.inf):
    """Call `arrive()` at the epochs of a Poisson process of `rate` per day, up to day `until`."""
    gaps = _stream(lambda n: rng.exponential(1.0 / rate, n))
    while True:
        yield env.timeout(next(gaps))
        if env.now >= until:
            return
        arrive()


def _lognormal_params(mean: float, sd: float) -> tuple[float, float]:
    """(mu, sigma) of the underlying normal for a lognormal with this mean and sd."""
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


# -- 1. M/M/c: mean wait in queue and probability of waiting against Erlang C ----------------

MMC_SERVICE = 0.05  # mean service time, days (72 minutes); 1 / mu
MMC_WARMUP = 30.0   # days = 600 mean services; the M/M/2 relaxation time at rho = 0.85,
                    # 1 / (c mu (1 - sqrt(rho))^2), is about 4 days, so the empty start is forgotten
MMC_SEEDS = (11, 12, 13, 14)

# (c, rho, reporting years per seed, relative tolerance on Wq).
# Standard error: the time average of the queue length of M/M/c has the exact asymptotic
# variance sigma^2 / T of queueing_theory.birth_death_time_average_variance; for M/M/2 the
# relative SE of Wq is 3.06 % (rho 0.7) and 5.08 % (rho 0.85) per 100 000 customers. The
# customer average of waits asserted here has a 5 % smaller SE than that (measured over 200
# independent runs of 50 000 customers, c = 1 and 2), so the formula is conservative.
# 4 seeds x 23 years at lam = 28/day is 940 000 customers: SE 1.00 %, tolerance 3 % = 3.0 SE.
# 4 seeds x 19 years at lam = 34/day is 943 000 customers: SE 1.65 %, tolerance 5 % = 3.0 SE.
MMC_CASES = [
    pytest.param(2, 0.70, 23, 0.03, id="c2-rho0.70", marks=pytest.mark.slow),
    pytest.param(2, 0.85, 19, 0.05, id="c2-rho0.85", marks=pytest.mark.slow),
]


@functools.lru_cache(maxsize=None)
def _mmc_run(c: int, rho: float, years: int, seed: int) -> dict[str, float]:
    """One M/M/c run through a Pool; statistics over reporting years 1..H."""
    rng = np.random.default_rng(seed)
    lam = rho * c / MMC_SERVICE
    env = simpy.Environment()
    periods = Periods(MMC_WARMUP, years)
    pool = Pool(env, "mmc", c, periods)
    service = _stream(lambda n: rng.exponential(MMC_SERVICE, n))
    env.process(_poisson_source(env, lam, rng, lambda: env.process(_visit(env, pool, next(service)))))
    env.run(until=periods.end)
    pool.close(periods.end)
    starts = sum(pool.starts[1:])
    return {
        "wq": sum(pool.waits[1:]) / starts,
        "p_wait": sum(pool.waited[1:]) / starts,
        "starts": starts,
    }


def _mmc(c: int, rho: float, years: int) -> dict[str, float]:
    """Per-seed results averaged over MMC_SEEDS (equal run lengths, so a plain mean)."""
    runs = [_mmc_run(c, rho, years, s) for s in MMC_SEEDS]
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


@pytest.mark.parametrize("c, rho, years, tol", MMC_CASES)
def test_mmc_mean_wait_matches_erlang_c(c, rho, years, tol):
    mu = 1.0 / MMC_SERVICE
    lam = rho * c * mu
    se = qt.mmc_wq_relative_se(lam, mu, c, horizon=len(MMC_SEEDS) * years * YEAR)
    assert tol >= 3.0 * se, f"run too short for the tolerance: relative SE {se:.4f}"
    theory = qt.mmc_wq(lam, mu, c)
    got = _mmc(c, rho, years)["wq"]
    assert abs(got / theory - 1.0) <= tol, (
        f"M/M/{c} rho={rho}: mean wait {got:.5f} d vs Erlang C {theory:.5f} d "
        f"({got / theory - 1.0:+.2%}, tolerance {tol:.0%}, SE {se:.2%})")


# P(wait > 0) against Erlang C. The fraction of time with all c places busy has relative SE
# 0.72 % (rho 0.7) and 0.69 % (rho 0.85) per 100 000 customers (birth-death formula with
# f = 1{n >= c}; by PASTA it is the arrivals' probability of waiting), i.e. about 0.24 % at
# ~940 000 customers; the Bernoulli noise of which arrivals wait adds under 0.1 %. A 1 %
# relative tolerance is over 3.5 SE.
@pytest.mark.parametrize("c, rho, years, tol", MMC_CASES)
def test_mmc_probability_of_waiting_matches_erlang_c(c, rho, years, tol):
    theory = qt.erlang_c(c, rho * c)
    got = _mmc(c, rho, years)["p_wait"]
    assert abs(got / theory - 1.0) <= 0.01, (
        f"M/M/{c} rho={rho}: P(wait > 0) {got:.4f} vs Erlang C {theory:.4f}")


# -- 2. Loss pool against Erlang B -------------------------------------------------------------

LOSS_C, LOSS_A, LOSS_HOLD = 10, 7.0, 0.25  # 10 places, 7 erlangs offered, mean hold 0.25 day
LOSS_WARMUP, LOSS_YEARS, LOSS_SEEDS = 5.0, 10, (21, 22)


def _loss_run(seed: int) -> dict[str, float]:
    """M/M/c/c: a caller who finds every place taken leaves (checked before requesting)."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    periods = Periods(LOSS_WARMUP, LOSS_YEARS)
    pool = Pool(env, "loss", LOSS_C, periods)
    service = _stream(lambda n: rng.exponential(LOSS_HOLD, n))
    tally = {"offered": 0, "blocked": 0}

    def arrive():
        counted = env.now >= LOSS_WARMUP
        tally["offered"] += counted
        if pool.in_use < pool.capacity:
            assert pool.request() is None
            env.process(_hold(env, pool, next(service)))
        else:
            tally["blocked"] += counted

    env.process(_poisson_source(env, LOSS_A / LOSS_HOLD, rng, arrive))
    env.run(until=periods.end)
    pool.close(periods.end)
    # the wrapper really makes a loss system: nobody ever queued
    assert sum(pool.waited) == 0 and sum(pool.queued.area) == 0.0
    return {**tally, "carried": sum(pool.busy.area[1:]) / (LOSS_YEARS * YEAR)}


def test_loss_pool_blocking_matches_erlang_b():
    """Callers who find every place taken leave; the blocked fraction is Erlang B.

    M/M/10/10 with offered load 7 erlangs (lam 28/day, mean hold 0.25 day): B = 0.07874.
    SE of the blocked fraction: the time congestion alone has SE 0.0015 per 100 000 arrivals
    (birth-death formula, f = 1{n = c}); measured over 20 seeds of 102 000 arrivals the call
    congestion has SD 0.0019 per seed, so over 2 seeds (204 000 arrivals) the SE is 0.0013
    and the 0.005 absolute tolerance is 3.7 SE.
    Carried load (time-average number of places in use) is a (1 - B) = 6.449; its seed SD is
    0.30 % so the SE over 2 seeds is 0.21 %, and a 1 % tolerance is over 4 SE.
    """
    runs = [_loss_run(s) for s in LOSS_SEEDS]
    offered = sum(r["offered"] for r in runs)
    got = sum(r["blocked"] for r in runs) / offered
    theory = qt.erlang_b(LOSS_C, LOSS_A)
    assert abs(got - theory) <= 0.005, f"blocking {got:.4f} vs Erlang B {theory:.4f} over {offered} calls"
    carried = float(np.mean([r["carried"] for r in runs]))
    carried_theory = LOSS_A * (1.0 - theory)
    assert abs(carried / carried_theory - 1.0) <= 0.01, (
        f"carried load {carried:.4f} vs a (1 - B) = {carried_theory:.4f}")


# -- 3. M/G/infinity ---------------------------------------------------------------------------

MGI_LAM, MGI_MEAN, MGI_SD = 5.0, 7.0, 8.0  # arrivals per day; lognormal holding mean, sd (days)
MGI_WARMUP, MGI_YEARS, MGI_SEEDS = 200.0, 20, (31, 32, 33, 34)


def _mginf_run(seed: int) -> dict[str, float]:
    """Unlimited pool with lognormal holding; time-average and daily-census occupancy."""
    mu_ln, sigma_ln = _lognormal_params(MGI_MEAN, MGI_SD)
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    periods = Periods(MGI_WARMUP, MGI_YEARS)
    pool = Pool(env, "unlimited", None, periods)
    service = _stream(lambda n: rng.lognormal(mu_ln, sigma_ln, n))
    samples: list[int] = []

    def census():
        yield env.timeout(MGI_WARMUP)
        while env.now < periods.end:
            samples.append(pool.in_use)
            yield env.timeout(1.0)

    env.process(_poisson_source(env, MGI_LAM, rng, lambda: env.process(_visit(env, pool, next(service)))))
    env.process(census())
    env.run(until=periods.end)
    pool.close(periods.end)
    assert sum(pool.waited) == 0 and not pool.queue
    occ = np.asarray(samples, dtype=float)
    return {"mean": sum(pool.busy.area[1:]) / (MGI_YEARS * YEAR), "dispersion": occ.var(ddof=1) / occ.mean()}


def test_unlimited_pool_is_m_g_infinity():
    """Unlimited pool, Poisson arrivals (5/day), lognormal holding (mean 7, sd 8 days).

    The occupancy is Poisson with mean lam E[S] = 35 at every time (M/G/inf, any service law).
    Time-average mean: asymptotic variance lam E[S^2] / T (the autocovariance of N integrates
    to lam E[S^2] / 2), E[S^2] = 113, so over 4 seeds x 20 years the relative SE is
    sqrt(5 * 113 / 29 200) / 35 = 0.40 %; the 2 % tolerance is 5 SE.
    Dispersion: variance / mean of the occupancy sampled daily is 1 for a Poisson count; the
    daily samples are autocorrelated (correlation time ~ 8 days), and the SE of the 4-seed
    average, measured over 300 replicates of the same design with an independent numpy
    simulation, is 0.023 (mean 0.998); the [0.9, 1.1] band is over 4 SE.
    The 200-day warm-up leaves the empty start's deficit lam * int_200^inf P(S > u) du, under
    0.001 % of the mean.
    """
    runs = [_mginf_run(s) for s in MGI_SEEDS]
    theory = MGI_LAM * MGI_MEAN
    mean = float(np.mean([r["mean"] for r in runs]))
    dispersion = float(np.mean([r["dispersion"] for r in runs]))
    assert abs(mean / theory - 1.0) <= 0.02, f"mean occupancy {mean:.3f} vs lam E[S] = {theory}"
    assert 0.9 <= dispersion <= 1.1, f"variance / mean of daily occupancy {dispersion:.3f}"


# -- 4. Little's law ---------------------------------------------------------------------------

def test_littles_law_on_a_queueing_pool():
    """M/G/3 (lognormal holding, mean 0.2 d, sd 0.3 d; utilisation 0.8), 5 reporting years.

    L (time averages of busy + queued from the pool's monitors) against lam W, with lam and W
    measured from the customers themselves (arrival and departure times they record). Little's
    law holds on every sample path up to edge terms (customers present at the window's ends),
    which here are about L * W / T ~ 1e-5 of L, so 1 % is wide; sampling noise does not enter
    because both sides are measured on the same path. A stronger exact form is checked too:
    the monitors' integral over the window equals the sum of the customers' time in system
    clipped to the window, to rounding error.
    """
    c, hold_mean, hold_sd, rho = 3, 0.2, 0.3, 0.8
    lam = rho * c / hold_mean
    mu_ln, sigma_ln = _lognormal_params(hold_mean, hold_sd)
    warmup, years = 10.0, 5
    rng = np.random.default_rng(41)
    env = simpy.Environment()
    periods = Periods(warmup, years)
    pool = Pool(env, "little", c, periods)
    service = _stream(lambda n: rng.lognormal(mu_ln, sigma_ln, n))
    arrived: list[float] = []
    started: list[float] = []
    left: list[float] = []

    def customer(i: int):
        ev = pool.request()
        if ev is not None:
            yield ev
        started[i] = env.now
        yield env.timeout(next(service))
        pool.release()
        left[i] = env.now

    def arrive():
        arrived.append(env.now)
        started.append(math.nan)
        left.append(math.nan)
        env.process(customer(len(arrived) - 1))

    env.process(_poisson_source(env, lam, rng, arrive, until=periods.end))
    env.run(until=periods.end)
    pool.close(periods.end)
    t0, t1 = warmup, periods.end
    area_n = sum(pool.busy.area[1:]) + sum(pool.queued.area[1:])
    area_q = sum(pool.queued.area[1:])
    waits_pool = sum(pool.waits[1:]) / sum(pool.starts[1:])
    env.run()  # let the customers still inside finish, so every sojourn is known
    a, s, d = (np.asarray(x) for x in (arrived, started, left))
    assert not np.isnan(d).any()

    # exact sample-path identity: integral of N over [t0, t1] = sum of clipped sojourns
    clipped = np.clip(np.minimum(d, t1) - np.maximum(a, t0), 0.0, None).sum()
    assert area_n == pytest.approx(clipped, rel=1e-9)
    clipped_q = np.clip(np.minimum(s, t1) - np.maximum(a, t0), 0.0, None).sum()
    assert area_q == pytest.approx(clipped_q, rel=1e-9)

    T = t1 - t0
    inside = (a >= t0) & (a < t1)
    lam_hat = inside.sum() / T
    L = area_n / T
    W = float((d - a)[inside].mean())
    assert abs(L / (lam_hat * W) - 1.0) <= 0.01, f"L = {L:.4f}, lam W = {lam_hat * W:.4f}"
    # the queue alone, with the pool's own wait tally: Lq = lam Wq
    Lq = area_q / T
    assert abs(Lq / (lam_hat * waits_pool) - 1.0) <= 0.01, f"Lq = {Lq:.4f}, lam Wq = {lam_hat * waits_pool:.4f}"
    # and the pool's tally agrees with the customers' own record of their waits
    started_inside = (s >= t0) & (s < t1)
    assert waits_pool == pytest.approx(float((s - a)[started_inside].mean()), rel=1e-9)


# -- 6. Jackson network (two pools, with feedback) ----------------------------------------------

JACK_GAMMA, JACK_BACK = 9.0, 0.25  # external arrivals per day; P(back to station 1 after 2)
JACK_MU, JACK_C = (8.0, 20.0), (2, 1)  # service rate per place (per day) and places, by station
JACK_WARMUP, JACK_YEARS, JACK_SEEDS = 20.0, 12, (51, 52, 53, 54)


def _jackson_run(seed: int) -> float:
    """Time-average number in the two-station network over the reporting years."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    periods = Periods(JACK_WARMUP, JACK_YEARS)
    one = Pool(env, "station 1", JACK_C[0], periods)
    two = Pool(env, "station 2", JACK_C[1], periods)
    s1 = _stream(lambda n: rng.exponential(1.0 / JACK_MU[0], n))
    s2 = _stream(lambda n: rng.exponential(1.0 / JACK_MU[1], n))
    u = _stream(rng.random)

    def customer():
        while True:
            yield from _visit(env, one, next(s1))
            yield from _visit(env, two, next(s2))
            if next(u) >= JACK_BACK:
                return

    env.process(_poisson_source(env, JACK_GAMMA, rng, lambda: env.process(customer())))
    env.run(until=periods.end)
    one.close(periods.end)
    two.close(periods.end)
    area = sum(sum(m.area[1:]) for m in (one.busy, one.queued, two.busy, two.queued))
    return area / (JACK_YEARS * YEAR)


def test_two_station_jackson_network_with_feedback():
    """External Poisson arrivals (9/day) -> station 1 (2 places, exp. mean 0.125 d) -> station 2
    (1 place, exp. mean 0.05 d); after station 2 a customer goes back to station 1 with
    probability 0.25, else leaves. Traffic equations: lam1 = lam2 = 9 / 0.75 = 12/day, so
    rho1 = 0.75 and rho2 = 0.6. Jackson's theorem: the stationary law is the product of the
    M/M/2 and M/M/1 marginals although the internal flows are not Poisson, so
    L = L_M/M/2(12, 8) + L_M/M/1(12, 20) = 3.4286 + 1.5 = 4.9286.
    SE of the time-average number in system, measured over 56 independent seeds of 8 years
    (mean within 0.1 % of the product form): seed-to-seed SD 3.1 % per 8 years, so with
    4 seeds x 12 years the SE is 3.1 % * sqrt(8 / 12) / 2 = 1.3 %; the 5 % tolerance is 3.9 SE.
    The 20-day warm-up is 160 mean services at station 1 (relaxation time well under a day).
    """
    got = float(np.mean([_jackson_run(s) for s in JACK_SEEDS]))
    theory = qt.jackson_l([JACK_GAMMA, 0.0], [[0.0, 1.0], [JACK_BACK, 0.0]], JACK_MU, JACK_C)
    assert abs(got / theory - 1.0) <= 0.05, f"L = {got:.4f} vs product form {theory:.4f}"


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
