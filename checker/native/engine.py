"""The native search as an engine: generate, compile, explore in C, answer in Python.

The problem: the C search (native_search.c) knows states as packed words and steps
as positions among a state's successors, while everything after a search (the text
trace, ITF, diagrams, --expected) speaks `Result` and `Step`. The invariant: the
counts, verdict and property come from C as explore.py would report them; a
trace comes back as each step's emitting site and labels (the action and its
parameters and choices, as C values), the first state as packed words; Python
decodes the initial state, then takes each step with `Model.take`, the way
scenarios and replay take steps, so a trace is the Python backend's own states
(and a disagreement between the backends is an error, never a wrong trace). The
cost: the Python side works per trace step only. Public entry point:
`NativeSearch(model).run(**options) -> Result` (`prepare` compiles and may raise
Unsupported, NoCompiler or CompileFailed first).
"""
from __future__ import annotations

import ctypes
import time

from checker.engine.covers import fail_unreached
from checker.engine.fingerprints import collision_probability
from checker.engine.outcome import Result, Step

from .abi import _Options, _Result
from .build import load
from .codegen import generate
from .encoding import python_value
from .graph import NativeStateGraph

MC_MAX_LABELS = 32
VERDICTS = ("ok", "violation", "deadlock", "incomplete", "error")
STOPPED_BY = (None, "max-states", "max-depth", "timeout", "memory", "interrupted")


class NativeSearch:
    """One model's native backend: its C file, its library, its searches."""

    def __init__(self, model, symmetry=None):
        self.model = model
        self.symmetry = symmetry         # a compile.symmetry.Symmetry: C keeps one state per orbit
        self.generated = None
        self.lib = None
        self.cached = False
        self.prepare_seconds = 0.0

    def prepare(self) -> "NativeSearch":
        """Generate and compile (or find in the cache); raises what stops the backend."""
        t0 = time.perf_counter()
        self.generated = generate(self.model, symmetry=self.symmetry is not None)
        crowded = [a for a, labels in self.generated.sites if len(labels) > MC_MAX_LABELS]
        if crowded:
            from .encoding import Unsupported
            c = self.model.checked
            pos = c.actions[crowded[0]].decl.pos if crowded[0] >= 0 else (0, 0)     # -1: init
            raise Unsupported(f"an action with more than {MC_MAX_LABELS} parameters and choices",
                              pos).located(c.spec.path, c.spec.source)
        self.lib, self.cached = load(self.generated.source)
        self.lib.mc_run.argtypes = [ctypes.POINTER(_Options), ctypes.POINTER(_Result)]
        self.lib.mc_graph.argtypes = [ctypes.c_void_p]
        self.lib.mc_scc.restype = ctypes.c_int64
        self.lib.mc_scc.argtypes = [ctypes.c_int64] + [ctypes.c_void_p] * 9
        self.lib.mc_fair_enabled.argtypes = [ctypes.c_int64] + [ctypes.c_void_p] * 11
        self.lib.mc_graph_take.argtypes = [ctypes.c_void_p]
        self.lib.mc_graph_release.argtypes = [ctypes.c_void_p]
        self.lib.mc_components_groups.restype = ctypes.c_int64
        self.lib.mc_components_groups.argtypes = [ctypes.c_int64] + [ctypes.c_void_p] * 12 + \
            [ctypes.c_int64] + [ctypes.c_void_p] * 4
        self.lib.mc_reachable.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                          ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.mc_keep_states.argtypes = [ctypes.c_int]
        self.lib.mc_states.restype = ctypes.c_int64
        self.lib.mc_states.argtypes = [ctypes.POINTER(ctypes.c_uint64), ctypes.c_int64]
        self.lib.mc_trace.restype = ctypes.c_int64
        self.lib.mc_trace.argtypes = [ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                                      ctypes.POINTER(ctypes.c_int64), ctypes.c_int64,
                                      ctypes.POINTER(ctypes.c_uint64)]
        if self.symmetry is not None:
            self.lib.mc_trace_states.restype = ctypes.c_int64
            self.lib.mc_trace_states.argtypes = [ctypes.POINTER(ctypes.c_uint64), ctypes.c_int64]
        self.prepare_seconds = time.perf_counter() - t0
        return self

    def run(self, max_states=None, max_depth=None, timeout=None, check_deadlock=True, workers=1,
            progress=None, progress_every=2.0, memory_limit=None, graph=None, **_ignored) -> Result:
        """The search; `workers`: threads expanding states (the results do not depend on
        it); `progress`: print progress lines (on stderr, from C) every `progress_every` s.
        `graph`: a StateGraph asked for (--graph keeps states, --coverage not): the C search
        records the graph, and after a complete search `self.graph` is it, as a
        NativeStateGraph (with the states decoded if `graph` keeps them)."""
        if (_ignored.get("symmetry") is None) != (self.symmetry is None):
            raise ValueError("NativeSearch(model, symmetry) compiles with or without symmetry reduction: "
                             "give run() the same")
        if self.lib is None:
            self.prepare()
        record = bool(self.model.temporal) or graph is not None    # the liveness check reads it too
        keep_states = graph is not None and graph.states is not None
        self.lib.mc_keep_states(int(keep_states))
        self.graph = None
        opts = _Options(max_states or 0, max_depth or 0, float(timeout or 0), int(bool(check_deadlock)), int(record),
                        int(workers or 1), float(progress_every) if progress else 0.0,
                        int(memory_limit or 0))
        r = _Result()
        start = time.perf_counter()
        self.lib.mc_run(ctypes.byref(opts), ctypes.byref(r))
        elapsed = time.perf_counter() - start
        verdict = VERDICTS[r.verdict]
        res = Result(verdict, r.distinct, r.generated, r.depth, r.queue_left, elapsed,
                     stopped_by=STOPPED_BY[r.stopped_by], constrained=r.constrained,
                     message=r.message.decode(errors="replace") or None)
        res.visited_bytes = r.visited_bytes
        res.collision_probability = collision_probability(r.distinct, r.generated)
        if verdict == "violation":
            props = self.model.invariants if r.kind == 0 else self.model.action_properties
            res.property, res.property_kind = props[r.prop].name, ("invariant", "action")[r.kind]
        elif verdict == "deadlock":
            res.property, res.property_kind = "Deadlock", "deadlock"
        elif verdict == "error":
            res.property, res.property_kind = "EvaluationError", "error"
        if verdict in ("violation", "deadlock", "error") and (r.index >= 0 or r.init_pos >= 0):
            kind = ("invariant", "action")[r.kind] if verdict == "violation" else None
            res.trace = self.model.export_trace(self.trace(r.index, r.step_to, r.init_pos, kind))
        if self.model.covers and verdict != "error":
            self.judge_covers(res)
        if record and verdict == "ok":
            self.graph = NativeStateGraph(self.model, self).fill(self.lib, self.generated, MC_MAX_LABELS)
            if keep_states:
                self.graph.keep_states(self.lib, r.distinct, self._state)
            if self.model.temporal:
                from checker.engine.liveness import judge
                judge(self.model, self.graph, res, threads=workers or 1)
        fail_unreached(res)
        # the C store stays until the next run: a lasso's states are replayed from it
        return res

    def judge_covers(self, res) -> None:
        """Where the C search first reached each cover, judged as the Python search
        judges it (engine/covers.py), the witnesses replayed on the Python backend."""
        from checker.engine.covers import judge
        parent, init = (ctypes.c_int64 * 64)(), (ctypes.c_int64 * 64)()
        self.lib.mc_covers(parent, init)
        firsts = {k: (parent[k], init[k]) for k in range(len(self.model.covers))
                  if parent[k] >= 0 or init[k] >= 0}
        judge(self.model, res, firsts, lambda n: self.trace(n, -1, -1))

    def expand(self, state=None) -> list:
        """The initial states (state None), or the successors of a state (the Python
        backend's runtime form, packed variables unpacked), as the C code computes them:
        plain tuples, in the C order. SpecFailure-like errors raise RuntimeError."""
        words = self.generated.layout.words
        start = None
        if state is not None:
            start = (ctypes.c_uint64 * words)(*self.generated.layout.encode(
                state, list(zip(self.model.var_names, self.model.var_types))))
        cap = 1 << 14
        out = (ctypes.c_uint64 * (cap * words))()
        message = ctypes.create_string_buffer(512)
        self.lib.mc_expand.restype = ctypes.c_int64
        n = self.lib.mc_expand(start, out, cap, message)
        if n < 0:
            raise RuntimeError(message.value.decode() if n == -1 else "too many successors")
        types = list(zip(self.model.var_names, self.model.var_types))
        return [self.generated.layout.decode(out[k * words:(k + 1) * words], types) for k in range(n)]

    def trace(self, index, step_to, init_pos, kind=None) -> list:
        """The trace the C search recorded, replayed on the Python backend (`kind`: what
        the step to `step_to` breaks, "invariant" or "action", if it breaks one)."""
        cap = 1 << 16
        out = (ctypes.c_int64 * (cap * (MC_MAX_LABELS + 1)))()
        first = (ctypes.c_uint64 * self.generated.layout.words)()
        n = self.lib.mc_trace(index, step_to, init_pos, out, cap, first)
        if n < 0:
            raise RuntimeError("the native backend could not rebuild its trace")   # a backend bug
        model = self.model
        state = self._state(list(first))
        if self.symmetry is not None:
            return self._orbit_trace(n, step_to >= 0, kind)
        trace = [Step(None, (), state)]
        row = MC_MAX_LABELS + 1
        for k in range(1, n):
            site = out[k * row]
            action, labels = self.generated.sites[site]
            params = {name: python_value(t, out[k * row + 1 + j]) for j, (name, t) in enumerate(labels)}
            name = model.action_names[action]
            found = model.take(state, name, params)
            if not found:
                raise RuntimeError(f"the native and Python backends disagree: {name}{params} "
                                   f"is not a step of the Python backend here")   # a backend bug
            state, picks = next(iter(found.items()))
            trace.append(Step(name, picks, state))
        return trace

    def _state(self, words) -> tuple:
        """The Python backend's state held in packed words."""
        model = self.model
        plain = self.generated.layout.decode(words, list(zip(model.var_names, model.var_types)))
        return model.import_state(plain) if model.packed else plain

    def _orbit_trace(self, n, violating_step, kind) -> list:
        """Under symmetry the C search stored representatives and its labels name steps
        from them: the trace is replayed from the initial state by orbits instead, each
        step to a successor of the state reached whose orbit is that of the state C
        reached (as the Python backend replays its own, explore.replay_states), the
        violating step one that breaks the property (explore.representative_step)."""
        from checker.engine.explore import representative_step
        from checker.engine.outcome import label_trace
        words = self.generated.layout.words
        buf = (ctypes.c_uint64 * (n * words))()
        if self.lib.mc_trace_states(buf, n) != n:
            raise RuntimeError("the native backend could not rebuild its trace")   # a backend bug
        reached = [self._state(buf[k * words:(k + 1) * words]) for k in range(n)]
        canonical, model = self.symmetry.canonical, self.model
        states = [reached[0]]
        chain = reached[1:-1] if violating_step else reached[1:]
        for target in chain:
            want = canonical(target)
            found = next((t for t in model.successors(states[-1]) if canonical(t) == want), None)
            if found is None:
                raise RuntimeError("the native and Python backends disagree: a step under symmetry "
                                   "could not be replayed")   # a backend bug
            states.append(found)
        trace = label_trace(model, states)
        if violating_step:
            trace.append(representative_step(model, canonical, states[-1], reached[-1], kind))
        return trace
