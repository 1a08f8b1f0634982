"""Bounded model checking: is there a behaviour of at most K states that violates a
property? One incremental solver holds Init(s0) and T(s_i, s_i+1) for the steps so
far; each depth adds one step and asks about the new last state (under an
assumption literal, see Unrolling.ask).

Depth counts states, as the explicit engine's depth does (the initial state is depth
1), so the first depth at which a query is satisfiable gives a shortest trace, the
length breadth-first search finds. A trace is read back from the model, replayed on
the compiled spec (each step must be one of its steps, labelled with its action) and
returned as the explicit engine's Result.
"""
from __future__ import annotations

import itertools
import time

import z3

from checker.engine.outcome import Result, Step

from .bitvec import lowering, number
from .encode import conj, neg


class Unrolling:
    """The states s0, s1, ... of one solver, each a copy of the system's template.

    The system's formulas are over z3 Ints; where every integer has static bounds they
    are lowered to bit-vectors (bitvec.py) and solved by z3's incremental SAT solver,
    otherwise solved as they are by its SMT solver. Either way, what goes into the
    solver goes through `at`, and what comes out through `concrete`. `facts`: state
    formulas true in every reachable state (strengthen.py), asserted in each state."""

    def __init__(self, system, solver=None, errors=True, facts=()):
        self.sys = system
        self.facts = conj([p.formula for p in facts])
        cache = system.__dict__.setdefault("_lowerings", {})   # one lowering per system
        if errors not in cache:
            cache[errors] = lowering(system, errors)
        low = cache[errors]
        self.lowered = low is not None
        self.lower = low or (lambda term: term)
        self.solver = solver or (z3.SolverFor("QF_FD") if self.lowered else z3.Solver())
        self.pre = [self.lower(x) for x in system.pre_leaves]
        self.post = [self.lower(x) for x in system.post_leaves]
        self.choice = [self.lower(x) for x in system.choice_leaves + [system.act]]
        self.states = []          # per depth: the leaves of s_k
        self.choices = []         # per step k: the choice constants and act_k
        self.goals = itertools.count()

    def state_map(self, k):
        return list(zip(self.pre, self.states[k]))

    def at(self, formula, k, choices=True):
        """A template formula over (s, s', choices) instantiated for step k (s_k, s_k+1)."""
        pairs = self.state_map(k)
        if k + 1 < len(self.states):
            pairs += list(zip(self.post, self.states[k + 1]))
        if choices and k < len(self.choices):
            pairs += list(zip(self.choice, self.choices[k]))
        formula = self.lower(formula)
        return z3.substitute(formula, *pairs) if pairs else formula

    def at_many(self, formulas, k, choices=True) -> list:
        """`at` of each formula, with one substitution for all of them (z3.substitute
        checks its pairs on every call: for thousands of formulas that is most of
        the time)."""
        if len(formulas) < 2:
            return [self.at(f, k, choices) for f in formulas]
        formulas = [self.lower(f) for f in formulas]
        pairs = self.state_map(k)
        if k + 1 < len(self.states):
            pairs += list(zip(self.post, self.states[k + 1]))
        if choices and k < len(self.choices):
            pairs += list(zip(self.choice, self.choices[k]))
        pack = z3.Function("at|pack", *[f.sort() for f in formulas], z3.BoolSort())
        return list(z3.substitute(pack(*formulas), *pairs).children())

    def add_state(self, initial=True):
        """Add s_k (the first one satisfying Init, unless not `initial`)."""
        k = len(self.states)
        self.states.append([z3.Const(f"{k}|{x}", x.sort()) for x in self.pre])
        self.solver.add(self.at(self.sys.type_facts, k))
        if not z3.is_true(self.facts):
            self.solver.add(self.at(self.facts, k))
        if k == 0 and initial:
            self.solver.add(self.at(self.sys.init, 0))

    def add_choices(self):
        k = len(self.choices)
        self.choices.append([z3.Const(f"{k}|{x}", x.sort()) for x in self.choice])
        self.solver.add(self.at(self.sys.step_facts, k))

    def add_step(self, assume_constraint=True):
        """Extend s0..s_k by one step of T (the last state satisfies the constraints: a
        state outside them is not expanded, as TLC's CONSTRAINT)."""
        k = len(self.states) - 1
        if len(self.choices) <= k:
            self.add_choices()
        self.add_state()
        if assume_constraint:
            self.solver.add(self.at(self.sys.constraint, k))
        self.solver.add(self.at(self.sys.enabled, k))
        self.solver.add(self.at(self.sys.frame, k))

    def ask(self, goal):
        """(sat/unsat/unknown, model): can the path so far end in goal? Asked under an
        assumption literal rather than push/pop, so what z3 learns stays for the next
        queries (2-3x faster on the bug models than push/pop, which forgets it). An
        unsat goal is false on every path: its negation is kept as a fact, which only
        helps later depths."""
        a = z3.Bool(f"goal|{next(self.goals)}")
        self.solver.add(z3.Implies(a, goal))
        r = self.solver.check(a)
        m = self.solver.model() if r == z3.sat else None
        self.solver.add(z3.Not(a))
        if r == z3.unsat:
            self.solver.add(neg(goal))
        return r, m

    # ------------------------------------------------------------------ reading a model
    def concrete(self, model, k) -> tuple:
        pairs = self.state_map(k)
        copies = {a.get_id(): b for a, b in pairs}     # a state's terms are its leaves: no substitute

        def ev(term):
            low = self.lower(term)
            copy = copies.get(low.get_id())
            v = model.eval(copy if copy is not None else z3.substitute(low, *pairs), model_completion=True)
            return z3.IntVal(number(v)) if z3.is_bv_value(v) else v
        return self.sys.concrete_state(ev)

    def instance(self, model, k):
        return self.sys.instances[number(model.eval(self.choices[k][-1], model_completion=True))]


def replay(model, states) -> list:
    """The explicit engine's trace for a sequence of states: each step labelled by the
    compiled spec, which also confirms it is one of the spec's steps."""
    trace = [Step(None, (), states[0])]
    for a, b in zip(states, states[1:]):
        lab = model.label(a, b)
        if lab is None:
            raise AssertionError(f"the symbolic engine took a step the compiled spec does not have: "
                                 f"{model.plain(a)} -> {model.plain(b)}")
        trace.append(Step(lab[0], lab[1], b))
    return trace


def check_depth(u: Unrolling, k: int, props, errors=True):
    """At depth k+1 (state s_k): (kind, property, z3 model) for the first violated
    invariant, action property (step k-1 -> k) or, with `errors`, an evaluation error
    while expanding s_k; (None, None, None) if there is none, ("unknown", reason, None)
    if z3 cannot tell."""
    sys = u.sys
    queries = []
    invs = [p for p in props if p.kind == "invariant"]
    steps = [p for p in props if p.kind == "action"]
    if invs:
        queries.append(("invariant", invs, lambda: neg(conj([u.at(p.formula, k) for p in invs]))))
    if steps and k > 0:
        queries.append(("action", steps, lambda: neg(conj([u.at(p.formula, k - 1) for p in steps]))))
    if errors:
        if len(u.choices) <= k:
            u.add_choices()
        queries.append(("error", None, lambda: u.at(conj([sys.constraint, sys.enabled_range, sys.errors]), k)))
    for kind, group, goal in queries:
        r, m = u.ask(goal())
        if r == z3.unknown:
            return "unknown", u.solver.reason_unknown(), None
        if m is None:
            continue
        if kind == "error":
            return "error", None, m
        at = k if kind == "invariant" else k - 1
        bad = next(p for p in group if z3.is_false(m.eval(u.at(p.formula, at), model_completion=True)))
        return kind, bad, m
    return None, None, None


def bmc(sys, model, max_depth: int, timeout: float | None = None, progress=None, errors=True,
        facts=()) -> Result:
    """Look for a violation in behaviours of up to max_depth states; without `errors`,
    of the properties only (evaluation errors are most of the solving time on the bug
    models: each failure condition is a reachability question of its own). `facts`:
    properties proved to hold in every reachable state, assumed in each state."""
    start = time.perf_counter()
    deadline = start + timeout if timeout else None
    u = Unrolling(sys, errors=errors, facts=facts)
    if init_fails(sys):
        return Result("error", 0, 0, 0, 0, time.perf_counter() - start, property="EvaluationError",
                      property_kind="error", message="in init: the spec fails while evaluating init")
    u.add_state()
    props = sys.properties
    for k in range(max_depth):
        if k > 0:
            u.add_step()
        if deadline is not None:
            left = deadline - time.perf_counter()
            if left <= 0:
                return _incomplete(start, k, "timeout")
            u.solver.set("timeout", max(1, int(left * 1000)))
        kind, what, m = check_depth(u, k, props, errors)
        if progress is not None:
            progress(k + 1, time.perf_counter() - start)
        if kind == "unknown":
            stopped = "timeout" if deadline is not None and time.perf_counter() >= deadline else None
            res = _incomplete(start, k, stopped)
            res.message = f"z3 could not decide depth {k + 1}: {what}"
            return res
        if kind is None:
            continue
        states = [u.concrete(m, i) for i in range(k + 1)]
        if kind == "error":
            return Result("error", 0, 0, k + 1, 0, time.perf_counter() - start, property="EvaluationError",
                          property_kind="error", trace=replay(model, states),
                          message=failure_message(u, m, k))
        trace = replay(model, states)
        return Result("violation", 0, 0, k + 1, 0, time.perf_counter() - start, property=what.name,
                      property_kind=kind, trace=trace)
    res = _incomplete(start, max_depth, None)
    res.stopped_by = "max-depth"
    return res


def failure_message(u, m, k) -> str:
    inst = u.instance(m, k)
    msgs = [msg for c, msg in inst.failures if z3.is_true(m.eval(u.at(c, k), model_completion=True))]
    params = ", ".join(f"{n}={v}" for n, v in inst.params)
    return f"{msgs[0] if msgs else 'evaluation fails'} (in action {inst.name}({params}), found by z3)"


def init_fails(sys) -> bool:
    s = z3.Solver()
    s.add(sys.step_facts, sys.init_errors)
    return s.check() == z3.sat


def _incomplete(start, depth, stopped_by) -> Result:
    return Result("incomplete", 0, 0, depth, 0, time.perf_counter() - start, stopped_by=stopped_by)
