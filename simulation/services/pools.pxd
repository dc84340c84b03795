from simulation.engine cimport Calendar

cdef class LevelMonitor:
    cdef public object periods
    cdef public double level
    cdef public double last
    cdef public list area
    cdef public Py_ssize_t _k
    cdef public double _next
    cpdef _advance(self, double t)
    cpdef Py_ssize_t change(self, double t, double delta)

cdef class Pool:
    cdef public object env
    cdef public Calendar cal
    cdef public str name
    cdef public object capacity
    cdef public Py_ssize_t in_use
    cdef public object queue
    cdef public LevelMonitor busy
    cdef public LevelMonitor queued
    cdef public list waits, starts, waited, abandoned, abandoned_waits
    cdef public double _free
    cdef public LevelMonitor offered
    cdef public bint ever_unlimited
    cpdef request(self)
    cpdef bint take_if_free(self)
    cpdef release(self)
    cpdef _hand_over(self, double now)

cdef class DailySlots:
    cdef public object per_day
    cdef public object open_on
    cdef public long _day
    cdef public bint _open
    cdef public long _used
    cdef public list used, refused
    cdef public object periods
    cdef public list changes
    cpdef bint take(self, double day, Py_ssize_t period)
