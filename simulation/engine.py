"""careshift's event loop: SimPy's environment with a far calendar, the loop that runs it, the crisis feed,
the journey driver, the journey's branch tables and the blocks of service-time draws.

The hot core of a replication, kept apart from the model (:mod:`simulation.economy`) so that it
can be compiled. This is plain Python and runs as such; the install also compiles it with Cython
(typed through ``engine.pxd`` beside it) when a C compiler is there, which makes a replication
faster and changes nothing else: the compiled module is this source (see
:mod:`simulation._compiled`, which also falls back to the source when it has changed since).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from heapq import heapify, heappop, heappush
from types import MethodType
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np
import simpy
from simpy.core import NORMAL, BoundClass
from simpy.events import Event

from .demand import normal_scores

if TYPE_CHECKING:  # pragma: no cover
    from .scenario.fields import ProbabilityTable

try:  # Cython's pure-Python mode: the declarations type the compiled module and do nothing in Python
    import cython
except ImportError:  # Cython is a build requirement only
    from types import SimpleNamespace

    _same = lambda *_, **__: (lambda f: f)  # noqa: E731 - a decorator that changes nothing
    cython = SimpleNamespace(compiled=False, locals=_same, boundscheck=_same, wraparound=_same, double=float,
                             Py_ssize_t=int)

#: Uniforms drawn at a time for the service-duration and dynamic-crisis streams (``Draws``).
DRAW_BLOCK = 4096


#: Width in days of the far calendar's time slices (``Environment``; a power of two, so slices are exact):
#: events in a later slice than the current one wait there, unsorted, until their slice comes.
FAR_WINDOW = 0.25


@cython.boundscheck(False)  # every index is in range (entries have 4 items; heap positions < len)
@cython.wraparound(False)
def _before(a: tuple, b: tuple) -> bool:
    """``a < b`` for two queue entries (time, priority, insertion id, event), as tuples compare them.

    Compiled, the time and priority are compared as C numbers: a heap of entries then costs a few
    instructions a comparison instead of a tuple comparison (about 5 % of a replication's
    instructions went to comparing tuples in ``heapq``). Insertion ids are unique, so no two
    entries are equal and the event is never compared.
    """
    ta = a[0]
    tb = b[0]
    if ta != tb:
        return ta < tb
    pa = a[1]
    pb = b[1]
    if pa != pb:
        return pa < pb
    return a[2] < b[2]


@cython.boundscheck(False)  # every index is in range (entries have 4 items; heap positions < len)
@cython.wraparound(False)
def _sift_down(heap: list, start: int, pos: int) -> None:
    """``heapq._siftdown`` with :func:`_before`: move ``heap[pos]`` up towards `start` to its place."""
    item = heap[pos]
    while pos > start:
        parent_pos = (pos - 1) >> 1
        parent = heap[parent_pos]
        if _before(item, parent):
            heap[pos] = parent
            pos = parent_pos
            continue
        break
    heap[pos] = item


@cython.boundscheck(False)  # every index is in range (entries have 4 items; heap positions < len)
@cython.wraparound(False)
def _sift_up(heap: list, pos: int) -> None:
    """``heapq._siftup`` with :func:`_before`: the smaller child moves up to a leaf, then the item sifts down."""
    end = len(heap)
    start = pos
    item = heap[pos]
    child = 2 * pos + 1
    while child < end:
        right = child + 1
        if right < end and not _before(heap[child], heap[right]):
            child = right
        heap[pos] = heap[child]
        pos = child
        child = 2 * pos + 1
    heap[pos] = item
    _sift_down(heap, start, pos)


def heap_push(heap: list, entry: tuple) -> None:
    """``heapq.heappush`` for queue entries, the same algorithm: the list comes out the same, element for element."""
    heap.append(entry)
    _sift_down(heap, 0, len(heap) - 1)


def heap_pop(heap: list) -> tuple:
    """``heapq.heappop`` for queue entries (the same algorithm and result)."""
    last = heap.pop()
    if not heap:
        return last
    first = heap[0]
    heap[0] = last
    _sift_up(heap, 0)
    return first


def heap_ify(heap: list) -> None:
    """``heapq.heapify`` for queue entries (the same algorithm and result)."""
    for i in reversed(range(len(heap) // 2)):
        _sift_up(heap, i)


class Calendar:
    """An environment's clock and pending events: SimPy's heap for the next hours, time-slice buckets beyond.

    Most pending events of a replication are weeks or years ahead (care-home residents and
    home-care packages held until death, a year of scheduled deaths, long stays), so SimPy's one
    heap would hold thousands of entries and every push and pop would pay for its depth. Here only
    entries before ``cutoff`` go on SimPy's heap (``queue``, the environment's ``_queue``); a later
    entry is appended, unsorted, to the bucket of its `window`-day slice of time (``far``: slice
    index -> entries). When the heap has run dry, the earliest non-empty bucket becomes the heap
    (``heapify``) and the cutoff moves to that slice's end. Entries keep their (time, priority,
    insertion id) keys, so the order of events is SimPy's exactly; the heap holds a few hours'
    events, and an entry far ahead costs an append instead of a push and a pop on a deep heap.

    ``now`` is the environment's clock (SimPy's ``_now``): whatever moves the one moves the other
    (``Environment.step``, :func:`run_until`, :func:`crisis_feed`), so that compiled code reads the
    time without looking up an attribute of the environment.
    """

    __slots__ = ("now", "queue", "eid", "window", "cutoff", "far", "slices")

    def __init__(self, now: float, queue: list, eid: Iterator[int], window: float) -> None:
        if not (window > 0 and math.frexp(window)[0] == 0.5):
            # so that t // window and (k + 1) * window are exact: no entry lands on the wrong side of a cutoff
            raise ValueError(f"the far calendar's window must be a power of two days, not {window!r}")
        self.now = now
        self.queue = queue
        self.eid = eid
        self.window = window
        #: slice index -> entries at or after the cutoff (unsorted); ``slices`` is a heap of the indices
        self.far: dict = {}
        self.slices: list = []
        # every entry on the heap is before the cutoff, every entry in ``far`` at or after it
        self.cutoff = (math.floor(now / window) + 1) * window

    def schedule(self, event, priority=NORMAL, delay=0) -> None:
        """SimPy's ``Environment.schedule`` (an :class:`Environment`'s ``schedule`` is this method)."""
        t = self.now + delay
        if t < self.cutoff:
            if cython.compiled:  # (the branch not taken is left out of the compiled module)
                heap_push(self.queue, (t, priority, next(self.eid), event))
            else:
                heappush(self.queue, (t, priority, next(self.eid), event))
        else:
            self.defer((t, priority, next(self.eid), event))

    def defer(self, entry: tuple) -> None:
        """Put an entry at or after the cutoff in its slice's bucket."""
        t = entry[0]
        k = t // self.window if t < math.inf else math.inf  # exact: the window is a power of two
        bucket = self.far.get(k)
        if bucket is None:
            self.far[k] = [entry]
            heappush(self.slices, k)
        else:
            bucket.append(entry)

    def sync(self) -> None:
        """Make the heap's first entry the earliest of all (when the heap is empty, load the next bucket)."""
        queue = self.queue
        if queue or not self.slices:  # entries on the heap are all before the cutoff: they come first
            return
        k = heappop(self.slices)
        queue.extend(self.far.pop(k))
        if cython.compiled:
            heap_ify(queue)
        else:
            heapify(queue)
        self.cutoff = (k + 1.0) * self.window


class Environment(simpy.Environment):
    """SimPy's environment with a far-future calendar (:class:`Calendar`): the same events in the same order, cheaper.

    ``run``, ``step`` and ``peek`` work as in SimPy (and :func:`run_until` is faster still);
    ``schedule`` is the calendar's. The clock is a float.
    """

    def __init__(self, initial_time: float = 0, window: float = FAR_WINDOW) -> None:
        super().__init__(float(initial_time))
        # SimPy binds ``timeout``, ``event``, ``any_of``, ... to the instance, but only those in the
        # instance's own class dictionary: bind the inherited ones too, or every ``env.timeout``
        # makes a bound method (as fast as SimPy's own environment; nothing else changes)
        for name, obj in simpy.Environment.__dict__.items():
            if type(obj) is BoundClass:
                setattr(self, name, MethodType(obj.cls, self))
        self._cal = Calendar(self._now, self._queue, self._eid, window)
        if cython.compiled:  # what SimPy's events call: straight to the compiled calendar
            self.schedule = self._cal.schedule

    def schedule(self, event, priority=NORMAL, delay=0) -> None:
        """SimPy's ``schedule``: ``Calendar.schedule`` written out (as Python, a call less; compiled, the
        environment's ``schedule`` is the calendar's own)."""
        cal = self._cal
        t = cal.now + delay
        if t < cal.cutoff:
            heappush(cal.queue, (t, priority, next(cal.eid), event))
        else:
            cal.defer((t, priority, next(cal.eid), event))

    @property
    def _cutoff(self) -> float:
        """Entries before this time are on the heap, the rest in the far buckets."""
        return self._cal.cutoff

    def _defer(self, entry: tuple) -> None:
        self._cal.defer(entry)

    def _sync(self) -> None:
        self._cal.sync()

    def far_entries(self) -> list:
        """Every pending entry beyond the cutoff (for tests and diagnostics)."""
        return [entry for bucket in self._cal.far.values() for entry in bucket]

    def peek(self) -> float:
        self._cal.sync()
        return super().peek()

    def step(self) -> None:
        """SimPy's ``Environment.step``, with the calendar's clock moved to the time of the event it processes."""
        self._cal.sync()
        if self._queue:
            self._cal.now = self._queue[0][0]
        super().step()


def run_until(env: simpy.Environment, end: float, feed: Callable[[float], float] | None = None,
              first: float = math.inf) -> None:
    """Process every event before day `end`, then set the clock to `end`: ``env.run(until=end)``.

    The same events in the same order as SimPy's own loop (``run`` stops at an urgent event
    scheduled for `end`, so nothing at `end` itself is processed), without a method call and a
    ``try`` block per event: SimPy's loop costs a few per cent of a replication. Failed events
    that nobody defused are raised as ``Environment.step`` raises them. `env` is an
    :class:`Environment` or SimPy's own.

    `feed`, if given, is a stream of arrivals merged into the loop without an event each:
    ``feed(now)`` handles everything due at `now` and returns the time of its next item (``inf``
    when it has none); `first` is the time of its first item. An item runs when it is strictly
    earlier than every queued event, so at equal times queued events go first. This is the order a
    feeder that schedules a ``Timeout`` for its next item would give, except against an event
    scheduled later for exactly the same time (arrival times are continuous, so never in practice).
    """
    if end <= env.now:
        raise ValueError(f"end ({end}) must be after the current time ({env.now})")
    queue = env._queue
    pop, push = heappop, heappush
    inf = math.inf
    journey = Journey
    due = first if feed is not None else inf
    calendar = isinstance(env, Environment)
    cal = env._cal if calendar else None
    cutoff = cal.cutoff if calendar else inf
    eid = env._eid
    while True:
        head = queue[0][0] if queue else inf
        if head >= cutoff and calendar:  # the far calendar's next entries are due (``Calendar.sync``)
            cal.sync()
            cutoff = cal.cutoff
            head = queue[0][0] if queue else inf
        if due < head:
            if due >= end:
                break
            env._now = due
            if calendar:
                cal.now = due
            due = feed(due)
            continue
        if head >= end:
            break
        if cython.compiled:  # the same entry, compared in C
            now, _, _, event = heap_pop(queue)
        else:
            now, _, _, event = pop(queue)
        env._now = now
        if calendar:
            cal.now = now
        if type(event) is journey:  # a journey's own wait ended: ``Journey.resume``, inline
            driver = event  # typed as a Journey when compiled (engine.pxd), so its fields are read directly
            nxt = next(driver.gen, None)
            if type(nxt) is float and nxt >= 0.0:  # waits again: back on the queue as itself
                t = now + nxt
                if t < cutoff:
                    if cython.compiled:
                        heap_push(queue, (t, NORMAL, next(eid), event))
                    else:
                        push(queue, (t, NORMAL, next(eid), event))
                else:
                    cal.defer((t, NORMAL, next(eid), event))
            elif nxt is not None:
                driver._wait(nxt)
            continue
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc
    env._now = end
    if calendar:
        cal.now = end


class Choice:
    """A branch table of the journey (``pathway.Routing``), compiled for fast picking with one uniform."""

    __slots__ = ("names", "cum")

    def __init__(self, table: ProbabilityTable):
        probs = table.probabilities()
        self.names = list(probs)
        cum, acc = [], 0.0
        for v in probs.values():
            acc += v
            cum.append(acc)
        cum[-1] = 1.0 + 1e-12  # guard against rounding: the last branch takes everything left
        self.cum = cum

    def pick(self, u: float) -> str:
        """The branch of uniform `u`: the first whose cumulative probability exceeds it."""
        if cython.compiled:  # the same index as bisect_right, by a scan in C (a table has a handful of branches)
            cum = self.cum
            i = 0
            n = len(cum)
            while i < n and cum[i] <= u:
                i += 1
            return self.names[i]
        return self.names[bisect_right(self.cum, u)]

    def pick_many(self, u: np.ndarray) -> np.ndarray:
        """``pick`` for each of `u` at once (the same branches), as an object array of names."""
        return np.asarray(self.names, dtype=object)[np.searchsorted(np.asarray(self.cum), u, side="right")]


class Draws:
    """A random stream drawn in blocks of :data:`DRAW_BLOCK` uniforms and handed out in order.

    ``take(k)`` gives the next `k` uniforms and their normal scores as lists: the numbers of drawing
    `k` at a time from the stream (numpy's generators draw doubles one after another), without the
    cost of a numpy call per draw.
    """

    __slots__ = ("rng", "u", "z", "i")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.u: list[float] = []
        self.z: list[float] = []
        self.i = 0

    def take(self, k: int) -> tuple[list[float], list[float]]:
        i = self.i
        if i + k > len(self.u):
            block = self.rng.random(DRAW_BLOCK)
            self.u = self.u[i:] + block.tolist()
            self.z = self.z[i:] + normal_scores(block).tolist()
            i = 0
        self.i = i + k
        return self.u[i:i + k], self.z[i:i + k]


class Journey:
    """Drives a journey generator on SimPy's event queue without a ``simpy.Process``.

    A journey yields a delay in days (a float) or a fresh event (a pool's hand-over, an
    ``any_of``), and never uses an event's value, so resuming it is a plain ``next``: no
    Initialize event, no value passing, no interrupt machinery. A delay puts the driver itself
    on the queue, as SimPy schedules a ``Timeout`` (same time, priority and insertion order), so
    a wait costs no new object: the driver looks like an event to SimPy's loop (``callbacks``,
    whose one callback is ``resume`` called with the driver itself, and ``_ok``), and
    ``run_until`` resumes a driver it pops directly. Errors propagate out of the loop as they
    would from a process.
    """

    __slots__ = ("gen", "env", "callbacks", "cal")
    _ok = True
    _value = None

    def __init__(self, env: simpy.Environment, gen: Iterator, first, cal: Calendar | None = None) -> None:
        self.gen = gen
        self.env = env
        #: the environment's calendar (None under SimPy's own environment)
        self.cal = cal if cal is not None else getattr(env, "_cal", None)
        self._wait(first)

    def _wait(self, nxt) -> None:
        if type(nxt) is float and nxt >= 0.0:
            self.callbacks = _QUEUED
            if self.cal is not None:
                self.cal.schedule(self, NORMAL, nxt)
            else:
                self.env.schedule(self, NORMAL, nxt)
        elif isinstance(nxt, Event):
            nxt.callbacks.append(self.resume)
        elif isinstance(nxt, (int, float)) and nxt >= 0:
            self._wait(float(nxt))
        else:
            raise ValueError(f"a journey must yield a delay of at least 0 days or an event, not {nxt!r}")

    def resume(self, _event=None) -> None:
        """Run the journey to its next wait (called by the event it waited for, or as its own callback).

        ``run_until`` does the same inline when it pops a driver (the float case written out there).
        """
        nxt = next(self.gen, None)  # a journey never yields None: None means it has ended
        if nxt is not None:
            self._wait(nxt)


#: The callbacks of a driver on the queue (shared: nobody else adds to a driver's callbacks).
_QUEUED = [Journey.resume]


@cython.locals(now=cython.double, ti=cython.double, i=cython.Py_ssize_t, n=cython.Py_ssize_t,
               n_uniforms=cython.Py_ssize_t, n_normal=cython.Py_ssize_t, t=list, persons=list, acuity=list,
               band=list, first_contact=list, in_journey=bytearray, dead=bytearray, cal=Calendar)
def crisis_feed(eco, crisis: Callable, batch_days: float, n_uniforms: int, n_normal: int) -> Iterator[float]:
    """The crisis stream of an economy, merged into :func:`run_until` (its `feed` is this generator's ``send``).

    Sent the current time, it starts every crisis due by then (loading the month's batch, ``eco._batch``,
    when its first day comes) and yields when the next is due (``inf`` when none is left). A generator
    keeps the batch's columns in its locals between crises, so starting one costs no call set-up. It
    starts the following crises itself while they are earlier than everything queued (every kept crisis
    is before the end of the run, so ``run_until`` would start them just the same).

    `crisis` starts a crisis and returns its journey (``pathway.crisis``); a batch holds `n_uniforms`
    uniforms and `n_normal` normal scores per crisis, and covers `batch_days` days.
    """
    in_journey, dead = eco.in_journey, eco.dead
    env = eco.env
    cal = env._cal
    queue = env._queue
    inf = math.inf
    b = eco._batch_index
    now = -inf  # primed by ``next``: yields when the first crisis is due
    while True:
        t, persons, acuity, band, u, z, first_contact = eco._batch
        death_day = eco._death  # read again with every batch: the population's columns are remade when it grows
        n = len(t)
        i = 0
        while i < n:
            ti = t[i]
            if ti > now:
                # earlier than everything queued (the heap's first entry, or the cutoff when the heap is
                # empty: the far calendar's entries are all after it): start it now without going back
                # to the loop, as the loop would
                if now > -inf and ti < (queue[0][0] if queue else cal.cutoff):
                    now = ti
                    env._now = ti
                    cal.now = ti
                else:
                    now = yield ti
                    continue
            p = persons[i]
            if in_journey[p] or dead[p] or death_day[p] <= now:
                eco.row["crises_during_a_journey" if in_journey[p] else "crises_after_death"] += 1
            else:
                gen = crisis(eco, p, acuity[i], band[i], u[i * n_uniforms:(i + 1) * n_uniforms],
                             z[i * n_normal:(i + 1) * n_normal], first_contact[i])
                first = next(gen, None)  # inline until the first wait (as ``Economy.start_process``)
                if first is not None:
                    Journey(env, gen, first, cal)
            i += 1
        b += 1
        start = b * batch_days
        if start >= eco.end_day:
            while True:
                yield inf
        while now < start:
            now = yield start
        eco._load_batch(b)
