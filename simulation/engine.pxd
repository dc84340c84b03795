# Types for compiling engine.py with Cython (pure-Python mode: engine.py is the source either way).
# Only what is declared here is typed; everything else compiles as the Python it is. Keep every
# declaration exact for Python's semantics: the compiled module must give the same results, byte
# for byte (tests/unit/test_compiled.py runs both).
cimport cython

# the queue's heap, with entries compared in C (the same algorithm as heapq, so the same list)
@cython.locals(ta=double, tb=double, pa=long, pb=long)
cdef bint _before(tuple a, tuple b) except -1
@cython.locals(parent_pos=Py_ssize_t)
cdef int _sift_down(list heap, Py_ssize_t start, Py_ssize_t pos) except -1
@cython.locals(end=Py_ssize_t, start=Py_ssize_t, child=Py_ssize_t, right=Py_ssize_t)
cdef int _sift_up(list heap, Py_ssize_t pos) except -1
cpdef heap_push(list heap, tuple entry)
cpdef tuple heap_pop(list heap)
@cython.locals(i=Py_ssize_t)
cpdef heap_ify(list heap)

cdef class Calendar:
    cdef public double now
    cdef public list queue
    cdef public object eid
    cdef public double window
    cdef public double cutoff
    cdef public dict far
    cdef public list slices
    cpdef schedule(self, event, priority=*, delay=*)
    cpdef defer(self, tuple entry)
    cpdef sync(self)

cdef class Choice:
    cdef public list names
    cdef public list cum
    @cython.locals(i=Py_ssize_t, n=Py_ssize_t, cum=list)
    cpdef pick(self, double u)

cdef class Draws:
    cdef public object rng
    cdef public list u
    cdef public list z
    cdef public Py_ssize_t i
    cpdef tuple take(self, Py_ssize_t k)

cdef class Journey:
    cdef public object gen
    cdef public object env
    cdef public object callbacks
    cdef public Calendar cal
    cpdef _wait(self, nxt)

cdef list _QUEUED

@cython.locals(head=cython.double, cutoff=cython.double, t=cython.double, calendar=cython.bint, cal=Calendar,
               driver=Journey)
cpdef run_until(env, end, feed=*, first=*)
