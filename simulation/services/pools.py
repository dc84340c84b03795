"""Capacity primitives: time-weighted level monitors, FIFO pools and daily slot allowances.

These replace ``simpy.Resource`` on the hot path: acquiring and releasing a
place is O(1) whatever the capacity (``simpy.Resource.release`` is O(capacity)),
a request that can be met at once returns ``None`` instead of an event (so the
caller does not yield at all), and occupancy is integrated over time per
reporting year as it changes.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

import numpy as np
import simpy
from simpy.events import Event


class Periods:
    """Maps simulation days to reporting periods: 0 = warm-up, 1..H = years after it.

    Parameters
    ----------
    warmup_days
        Length of the warm-up in days.
    years
        Reporting years after the warm-up.
    """

    def __init__(self, warmup_days: float, years: int):
        self.warmup = float(warmup_days)
        self.years = int(years)
        self.end = self.warmup + 365.0 * self.years
        #: boundaries[k] is the day period k ends (period 0 is the warm-up)
        self.boundaries = [self.warmup + 365.0 * k for k in range(self.years + 1)]

    def of(self, day: float) -> int:
        """Period index of `day` (days after the end fall in the last year)."""
        if day < self.warmup:
            return 0
        k = int((day - self.warmup) // 365.0) + 1
        return k if k <= self.years else self.years

    def length(self, k: int) -> float:
        """Length of period k in days."""
        return self.warmup if k == 0 else 365.0


class LevelMonitor:
    """Integral over time of a piecewise-constant level, split by reporting period.

    ``area[k]`` is the level integrated over period k (level-days); ``area[k] /
    length of k`` is the time-weighted mean level. ``change(t, delta)`` must be
    called with non-decreasing times.
    """

    __slots__ = ("periods", "level", "last", "area", "_k", "_next")

    def __init__(self, periods: Periods, level: float = 0.0):
        self.periods = periods
        self.level = level
        self.last = 0.0
        self.area = [0.0] * (periods.years + 1)
        self._k = 0
        self._next = periods.boundaries[0]

    def _advance(self, t: float) -> None:
        # a change exactly on a boundary belongs to the new period (as ``Periods.of`` says)
        while t >= self._next and self._k < self.periods.years:
            self.area[self._k] += self.level * (self._next - self.last)
            self.last = self._next
            self._k += 1
            self._next = self.periods.boundaries[self._k]
        self.area[self._k] += self.level * (t - self.last)
        self.last = t

    def change(self, t: float, delta: float) -> int:
        """Add `delta` to the level at day `t`; returns the period of `t` (as ``Periods.of``)."""
        if t < self._next:  # the common case: no boundary crossed (same arithmetic as ``_advance``)
            self.area[self._k] += self.level * (t - self.last)
            self.last = t
        else:
            self._advance(t)
        self.level += delta
        return self._k

    def close(self, t: float) -> None:
        """Integrate up to the end of the run."""
        self._advance(t)

    @property
    def period(self) -> int:
        """Period of the last change."""
        return self._k


class Pool:
    """A FIFO pool of identical places (beds, cubicles, crews, packages).

    Parameters
    ----------
    env
        The SimPy environment.
    name
        Service name used in outputs.
    capacity
        Number of places, or ``None`` for unlimited.
    periods
        Reporting periods for the monitors.

    Notes
    -----
    ``request()`` returns ``None`` when a place was free and is now held, or an
    event to yield that fires when a place is handed over. ``release()`` hands
    the place straight to the first waiter, so the number in use does not dip.
    Starts, waits (days) and starts that had to wait are counted per period of
    the start of service.
    """

    __slots__ = ("env", "cal", "name", "capacity", "in_use", "queue", "busy", "queued", "waits", "starts",
                 "waited", "abandoned", "abandoned_waits", "_free", "offered", "ever_unlimited")

    def __init__(self, env: simpy.Environment, name: str, capacity: int | None, periods: Periods):
        self.env = env
        #: careshift's environment's calendar, whose clock is the environment's (None under SimPy's own)
        self.cal = getattr(env, "_cal", None)
        self.name = name
        self.capacity = capacity
        self.in_use = 0
        self.queue: deque = deque()
        self.busy = LevelMonitor(periods)
        self.queued = LevelMonitor(periods)
        self.waits = [0.0] * (periods.years + 1)
        self.starts = [0.0] * (periods.years + 1)
        self.waited = [0.0] * (periods.years + 1)
        #: waiters who left the queue without a place (``cancel``), and their waits, by period of leaving
        self.abandoned = [0.0] * (periods.years + 1)
        self.abandoned_waits = [0.0] * (periods.years + 1)
        self._free = np.inf if capacity is None else capacity
        #: capacity integrated over time (place-days offered), for occupancy when capacity changes
        self.offered = LevelMonitor(periods, 0.0 if capacity is None else float(capacity))
        self.ever_unlimited = capacity is None

    def request(self):
        """Take a place now (returns ``None``) or join the queue (returns an event to yield)."""
        now = self.cal.now if self.cal is not None else self.env._now  # the clock (hot path)
        if self.in_use < self._free:
            self.in_use += 1
            self.starts[self.busy.change(now, 1)] += 1
            return None
        ev = Event(self.env)
        self.queue.append((ev, now))
        self.queued.change(now, 1)
        return ev

    def take_if_free(self) -> bool:
        """Take a place if one is free now (True); never queue (False)."""
        if self.in_use < self._free:
            self.in_use += 1
            self.starts[self.busy.change(self.cal.now if self.cal is not None else self.env._now, 1)] += 1
            return True
        return False

    def release(self) -> None:
        """Give a place back; the first waiter (if any) takes it at once."""
        now = self.cal.now if self.cal is not None else self.env._now
        if self.queue and self.in_use <= self._free:
            self._hand_over(now)
            return
        self.in_use -= 1
        self.busy.change(now, -1)
        if self.queue:  # waiters held back by a lowered capacity
            self._fill(now)

    def _hand_over(self, now: float) -> None:
        """Give a held place to the first waiter (the number in use is unchanged)."""
        ev, joined = self.queue.popleft()
        k = self.queued.change(now, -1)
        self.starts[k] += 1
        self.waited[k] += 1
        self.waits[k] += now - joined
        ev._ok = True
        ev._value = None
        if self.cal is not None:
            self.cal.schedule(ev)
        else:
            self.env.schedule(ev)

    def _fill(self, now: float) -> None:
        """Start waiters while there are free places (after a capacity rise)."""
        while self.queue and self.in_use < self._free:
            self.in_use += 1
            self.busy.change(now, 1)
            self._hand_over(now)

    def set_capacity(self, capacity: int | None) -> None:
        """Change the number of places now (waiters are served if places open up).

        Lowering capacity below the number in use lets current users finish;
        no new user starts until use falls below the new capacity.
        """
        if capacity == self.capacity:
            return  # nothing changes (and the monitors are not split, so sums stay bit-identical)
        now = self.env.now
        old = 0.0 if self.capacity is None else float(self.capacity)
        self.offered.change(now, (0.0 if capacity is None else float(capacity)) - old)
        self.ever_unlimited = self.ever_unlimited or capacity is None
        self.capacity = capacity
        self._free = np.inf if capacity is None else capacity
        self._fill(now)

    def cancel(self, event) -> bool:
        """Withdraw a waiting request (the requester left, e.g. died); True if it was waiting."""
        for i, (ev, joined) in enumerate(self.queue):
            if ev is event:
                del self.queue[i]
                now = self.env.now
                k = self.queued.change(now, -1)
                self.abandoned[k] += 1
                self.abandoned_waits[k] += now - joined
                return True
        return False

    def close(self, t: float) -> None:
        """Integrate the monitors up to the end of the run."""
        self.busy.close(t)
        self.queued.close(t)
        self.offered.close(t)


class DailySlots:
    """A per-day allowance (GP same-day slots, 2-hour response visits); unused slots do not carry over.

    Parameters
    ----------
    per_day
        Slots on an open day, or ``None`` for unlimited.
    open_on
        Callable day-index -> bool (closed days have no slots).
    periods
        Reporting periods for the counters.
    """

    __slots__ = ("per_day", "open_on", "_day", "_open", "_used", "used", "refused", "periods", "changes")

    def __init__(self, per_day: int | None, open_on: Callable[[int], bool], periods: Periods):
        self.per_day = per_day
        self.open_on = open_on
        self._day = -1
        self._open = False
        self._used = 0
        self.used = [0.0] * (periods.years + 1)
        self.refused = [0.0] * (periods.years + 1)
        self.periods = periods
        #: (first day, slots a day) each time the allowance changes
        self.changes: list[tuple[int, int | None]] = [(0, per_day)]

    def set_per_day(self, day: float, per_day: int | None) -> None:
        """Change the allowance from day `day` on (the current day keeps what it had)."""
        self.per_day = per_day
        self.changes.append((int(day), per_day))

    def next_open_day(self, day: float) -> int:
        """The first open day after `day` (at most 14 days on)."""
        d = int(day) + 1
        for _ in range(14):
            if self.open_on(d):
                return d
            d += 1
        return d

    def available(self) -> list[float]:
        """Slots offered per period (open days x slots a day); infinite when unlimited."""
        out = []
        for k in range(self.periods.years + 1):
            start = 0 if k == 0 else int(self.periods.boundaries[k - 1])
            end = int(self.periods.boundaries[k])
            total = 0.0
            for d in range(start, end):
                allowance = next(v for first, v in reversed(self.changes) if first <= d)
                if allowance is None:
                    total = float("inf")
                    break
                if self.open_on(d):
                    total += allowance
            out.append(total)
        return out

    def take(self, day: float, period: int) -> bool:
        """Use one of today's slots if any is left."""
        d = int(day)
        if d != self._day:
            self._day = d
            self._open = self.open_on(d)
            self._used = 0
        if not self._open or (self.per_day is not None and self._used >= self.per_day):
            self.refused[period] += 1
            return False
        self._used += 1
        self.used[period] += 1
        return True
