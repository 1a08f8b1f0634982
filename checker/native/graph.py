"""The state graph the native search records, as the liveness check reads it.

The problem: the liveness check (checker/engine/liveness.py) runs on a
stategraph.StateGraph: steps as arrays (starts, targets, labels and their marks,
the steps to states outside the constraints), the marks of every state, parent
links, and states rebuilt on request. The native search records the same arrays in
C (native_search.c, `mc_record`), its labels as emitting sites and C values. The
invariant: `fill` copies them into a `NativeStateGraph` whose label keys are the
Python backend's (action index, ((name, value), ...)), so the check is the very
one the Python backend runs; states are rebuilt by replaying the C search's trace
to them on the Python backend (NativeSearch.trace), not from Python fingerprints.
The cost: none for the arrays: the graph takes the C arrays over (mc_graph_take) and
reads them in place, freed when the last view of them goes (copying them cost 0.6 s
of one thread and, before the copies freed each C array at once, 1.3 GB of peak
memory on the group spec); the parents are converted (32 -> 64 bits, 8 bytes a
state); a state of a lasso costs one replay. The
liveness check's heavy passes run in C on these arrays without Python (ctypes lets
other threads run): the strongly connected components (`mc_scc`, flat arrays, no
callbacks), each state's enabled fair groups (`mc_fair_enabled`) and the groups of
many components (`mc_components_groups`), so `concurrent` graphs judge several
temporal properties at once (liveness.check).
Public entry point: `NativeStateGraph(model, native).fill(lib, generated, max_labels)`.
"""
from __future__ import annotations

from array import array
import ctypes
import threading
import weakref

import numpy as np

from checker.engine.stategraph import StateGraph

from .encoding import python_value


class McGraph(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int64), ("n_init", ctypes.c_int64), ("steps", ctypes.c_int64),
                ("outside", ctypes.c_int64), ("labels", ctypes.c_int64), ("mark_width", ctypes.c_int64),
                ("starts", ctypes.POINTER(ctypes.c_int64)), ("ostarts", ctypes.POINTER(ctypes.c_int64)),
                ("labtab", ctypes.POINTER(ctypes.c_int64)),
                ("targets", ctypes.POINTER(ctypes.c_int32)), ("labels_of", ctypes.POINTER(ctypes.c_int32)),
                ("olabels", ctypes.POINTER(ctypes.c_int32)),
                ("smarks", ctypes.POINTER(ctypes.c_uint32)), ("omarks", ctypes.POINTER(ctypes.c_uint32)),
                ("parent", ctypes.POINTER(ctypes.c_uint32)), ("marks", ctypes.POINTER(ctypes.c_uint8))]


def _taken(lib, code, ptr, n):
    """The n C values at ptr, a graph array the search recorded, as a memoryview of
    typecode `code`, uncopied: the array is the caller's now (mc_graph_take), freed
    when the last view of it is gone."""
    if not n:
        return memoryview(array(code))
    if not ptr:
        return None                     # out of memory in the search
    at = ctypes.cast(ptr, ctypes.c_void_p).value
    lib.mc_graph_take(at)
    c_array = (ptr._type_ * n).from_address(at)
    weakref.finalize(c_array, lib.mc_graph_release, at)
    return memoryview(c_array).cast("B").cast(code)


def _np(ptr, n, dtype):
    if n == 0:
        return np.zeros(0, dtype)
    return np.ctypeslib.as_array(ptr, shape=(n,)).astype(dtype, copy=True)


def _buffer(data, ctype):
    """A C pointer to an array, bytearray or bytes (copied when read-only)."""
    n = len(memoryview(data).cast("B")) // ctypes.sizeof(ctype)
    if n == 0:
        return None
    try:
        return (ctype * n).from_buffer(data)
    except TypeError:
        return (ctype * n).from_buffer_copy(data)


class _States:
    """graph.states for the liveness check's lasso: each state rebuilt on request."""

    def __init__(self, graph):
        self.graph, self.cache = graph, {}

    def __getitem__(self, i):
        if i not in self.cache:
            self.cache[i] = self.graph.state(i)
        return self.cache[i]


class NativeStateGraph(StateGraph):
    """A StateGraph filled from the native search (see the module docstring)."""

    def __init__(self, model, native):
        super().__init__(model, keep_states=False)
        self.native = native
        self._replaying = threading.Lock()
        self._deciding = threading.Lock()

    def fill(self, lib, generated, max_labels) -> "NativeStateGraph":
        g = McGraph()
        lib.mc_graph(ctypes.byref(g))
        n, width = g.n, g.mark_width
        if width != self.conditions.width:
            raise RuntimeError("the native backend numbers the temporal conditions differently")  # a bug
        parent = _np(g.parent, n, np.int64)
        parent[parent == 0xFFFFFFFF] = -1
        self.parent = memoryview(parent)
        self.n_init = int(g.n_init)

        arrays = [("starts", "q", g.starts, n + 1), ("targets", "i", g.targets, g.steps),
                  ("labels", "i", g.labels_of, g.steps), ("step_marks", "I", g.smarks, g.steps),
                  ("outside_starts", "q", g.ostarts, n + 1), ("outside_labels", "i", g.olabels, g.outside),
                  ("outside_marks", "I", g.omarks, g.outside), ("state_marks", "B", g.marks, n * width)]
        for name, code, ptr, count in arrays:
            view = _taken(lib, code, ptr, count)
            if view is None:
                raise MemoryError("the state graph needs more memory than there is")
            setattr(self, name, view)
        self.expanded = bytearray(b"\x01" * n)
        rows = _np(g.labtab, g.labels * (max_labels + 1), np.int64).reshape(g.labels, -1) \
            if g.labels else []
        self.label_keys = []
        for row in rows:
            action, labels = generated.sites[int(row[0])]
            picks = tuple((name, python_value(t, int(row[1 + j]))) for j, (name, t) in enumerate(labels))
            self.label_keys.append((action, picks))
        self._label_ids = {key: k for k, key in enumerate(self.label_keys)}
        self.states = _States(self)
        return self

    # ---- the liveness check's graph algorithms, in C (native_search.c)

    concurrent = True       # the graph algorithms run in C, other threads running meanwhile

    def components(self, starts, targets, inside, on_component, singles=None) -> int:
        n = len(starts) - 1
        batch, out = singles if singles is not None else (bytes(n), None)
        found = np.empty(max(1, n), np.int32)
        members, ends = np.empty(max(1, n), np.int32), np.empty(max(1, n), np.int64)
        nfound, ncomps = ctypes.c_int64(), ctypes.c_int64()
        count = self.native.lib.mc_scc(
            n, _buffer(starts, ctypes.c_int64), _buffer(targets, ctypes.c_int32), _buffer(inside, ctypes.c_uint8),
            _buffer(batch, ctypes.c_uint8), found.ctypes.data, ctypes.byref(nfound),
            members.ctypes.data, ends.ctypes.data, ctypes.byref(ncomps))
        if count < 0:
            raise MemoryError("the strongly connected components need more memory than there is")
        if out is not None:
            out.frombytes(found[:nfound.value].tobytes())
        del found
        ends = ends[:ncomps.value].tolist()
        flat = members[:ends[-1] if ends else 0].tolist()
        del members
        lo = 0
        for hi in ends:
            on_component(flat[lo:hi])
            lo = hi
        return count

    def cyclic(self):
        with self._deciding:                    # threads judging properties wait for the first
            return self._find_cyclic()

    def _find_cyclic(self):
        if self._cyclic is None:                # one decomposition in C; single states not listed
            n = len(self)
            members, ends = np.empty(max(1, n), np.int32), np.empty(max(1, n), np.int64)
            nsingles, ncomps = ctypes.c_int64(), ctypes.c_int64()
            every = np.ones(max(1, n), np.uint8)
            count = self.native.lib.mc_scc(n, _buffer(self.starts, ctypes.c_int64), _buffer(self.targets, ctypes.c_int32),
                                           every.ctypes.data, None, None, ctypes.byref(nsingles),
                                           members.ctypes.data, ends.ctypes.data, ctypes.byref(ncomps))
            if count < 0:
                raise MemoryError("the strongly connected components need more memory than there is")
            cyclic = np.zeros(n, bool)
            cyclic[members[:ends[ncomps.value - 1] if ncomps.value else 0]] = True
            self._cyclic = cyclic
        return self._cyclic

    def components_group_bits(self, fixed_bits, cstart, cgroup, cmask, failing, vs, ends):
        """liveness.Fairness.components_groups' one pass over the components' steps, in
        C (mc_components_groups): (each state's enabled groups, each component's taken
        groups) as uint64 bits, or None if a `when` failed on a changing step."""
        vs, ends = np.ascontiguousarray(vs, np.int32), np.ascontiguousarray(ends, np.int64)
        enabled, taken = np.zeros(max(1, len(vs)), np.uint64), np.zeros(max(1, len(ends)), np.uint64)
        arrays = [np.ascontiguousarray(a) for a in (fixed_bits, cstart, cgroup, cmask, failing)]
        got = self.native.lib.mc_components_groups(
            len(self), _buffer(self.starts, ctypes.c_int64), _buffer(self.targets, ctypes.c_int32),
            _buffer(self.labels, ctypes.c_int32), _buffer(self.step_marks, ctypes.c_uint32),
            _buffer(self.outside_starts, ctypes.c_int64), _buffer(self.outside_labels, ctypes.c_int32),
            _buffer(self.outside_marks, ctypes.c_uint32), *(a.ctypes.data for a in arrays),
            len(ends), vs.ctypes.data, ends.ctypes.data, enabled.ctypes.data, taken.ctypes.data)
        if got < 0:
            raise MemoryError("judging the components needs more memory than there is")
        return None if got else (enabled[:len(vs)], taken[:len(ends)])

    def enabled_steps(self, fixed, holds):
        n = len(self)
        enabled, failed = np.zeros(n, np.uint8), np.zeros(n, np.uint8)
        fixed, holds = np.ascontiguousarray(fixed, np.uint8), np.ascontiguousarray(holds, np.uint32)
        self.native.lib.mc_fair_enabled(
            n, _buffer(self.starts, ctypes.c_int64), _buffer(self.targets, ctypes.c_int32),
            _buffer(self.labels, ctypes.c_int32), _buffer(self.step_marks, ctypes.c_uint32),
            _buffer(self.outside_starts, ctypes.c_int64), _buffer(self.outside_labels, ctypes.c_int32),
            _buffer(self.outside_marks, ctypes.c_uint32), fixed.ctypes.data, holds.ctypes.data,
            enabled.ctypes.data, failed.ctypes.data)
        return enabled.view(bool), failed.view(bool)

    def reach(self, starts, targets, sources, inside) -> bytearray:
        n = len(starts) - 1
        src = np.ascontiguousarray(sources if isinstance(sources, np.ndarray) else list(sources), np.int32)
        seen = bytearray(n)
        self.native.lib.mc_reachable(n, _buffer(starts, ctypes.c_int64), _buffer(targets, ctypes.c_int32),
                                     src.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), len(src),
                                     _buffer(inside, ctypes.c_uint8), (ctypes.c_uint8 * max(1, n)).from_buffer(seen)
                                     if n else None)
        return seen

    def keep_states(self, lib, n, decode) -> None:
        """Every state, decoded from the words the C search kept (--graph writes them)."""
        words = self.native.generated.layout.words
        buf = (ctypes.c_uint64 * max(1, n * words))()
        if lib.mc_states(buf, n) != n:
            raise RuntimeError("the native backend kept no states")   # a backend bug
        self.states = [decode(buf[k * words:(k + 1) * words]) for k in range(n)]

    def state(self, i) -> tuple:
        if isinstance(self.states, list):
            return self.states[i]
        return self.trace_to(i)[-1].state

    def trace_to(self, i) -> list:
        with self._replaying:                   # the C replay's buffers are one thread's
            return self.native.trace(int(i), -1, -1)
