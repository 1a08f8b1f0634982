"""Proving invariants by (k-)induction, strengthened by the spec's lemmas.

Base case: no behaviour of up to k states violates a candidate (bounded model
checking; a violation is a real trace). Step: for states s0..sk linked by steps, each
satisfying every candidate (and, but the last, the constraints), every candidate holds
in sk. Candidates (the invariants asked for and every `lemma`) that fail the step are
dropped and the step is checked again with the rest (Houdini): what is left is
inductive as a whole, so each of its members is proved. For each dropped candidate the
failed step is a counterexample to induction (CTI): states that satisfy what is
assumed, a step of the spec, and a state that breaks the candidate. Either the CTI's
first state is unreachable (write a lemma that excludes it) or the invariant is false
(BMC deeper finds the trace).
"""
from __future__ import annotations

from dataclasses import dataclass, field
import time

import z3

from checker.lang.errors import EvalError

from .bmc import Unrolling
from .encode import conj


@dataclass
class Cti:
    prop: str
    states: list              # k+1 concrete states, the last one breaking prop
    steps: list               # (action name, params) for each step
    assumed: list             # the candidates assumed in the states before the last
    failed: str = ""          # which conjunct of prop is false, where known (houdini.failing_part)


@dataclass
class Proof:
    verdict: str              # proved | violated | not inductive | unknown
    proved: list = field(default_factory=list)      # names
    ctis: list = field(default_factory=list)        # Cti for each candidate that is not inductive
    violation: object = None  # explore.Result of a base-case violation
    reason: str = ""
    elapsed: float = 0.0
    times: dict = field(default_factory=dict)       # name -> seconds of its last step check


class Undecided(Exception):
    """z3 returned unknown (or timed out) on an induction step."""


def houdini(sys, model, candidates, k: int = 1, timeout: float | None = None):
    """The largest subset of `candidates` that is inductive as a whole (k-induction:
    each holds in sk if all hold in s0..s(k-1)): (kept, CTIs of the dropped, seconds of
    each one's last step check). Raises Undecided if z3 cannot tell (`timeout`: seconds
    per check)."""
    u = Unrolling(sys, errors=False)
    u.add_state(initial=False)
    for _ in range(k):
        u.add_step()
    if timeout:
        u.solver.set("timeout", max(1, int(timeout * 1000)))
    lits = {p.name: z3.Bool(f"assume|{p.name}") for p in candidates}
    for p in candidates:
        u.solver.add(z3.Implies(lits[p.name], conj([u.at(p.formula, i) for i in range(k)])))
    alive = list(candidates)
    ctis, times = [], {}
    changed = True
    while changed:
        changed = False
        for p in list(alive):
            t0 = time.perf_counter()
            u.solver.push()
            u.solver.add(z3.Not(u.at(p.formula, k)))
            r = u.solver.check(*[lits[q.name] for q in alive])
            times[p.name] = time.perf_counter() - t0
            if r == z3.unknown:
                reason = u.solver.reason_unknown()
                u.solver.pop()
                raise Undecided(f"z3 could not decide the induction step of {p.name}: {reason}")
            if r == z3.sat:
                ctis.append(_cti(u, model, u.solver.model(), p, alive, k))
                alive.remove(p)
                changed = True
            u.solver.pop()
    return alive, ctis, times


def _cti(u, model, m, p, alive, k) -> Cti:
    states = [u.concrete(m, i) for i in range(k + 1)]
    steps = []
    for i in range(k):
        inst = u.instance(m, i)
        try:
            lab = model.label(states[i], states[i + 1])
        except EvalError:     # a CTI state need not be reachable: the compiled
            lab = None        # code may fail on it where the spec never goes
        steps.append((lab[0], lab[1]) if lab else (inst.name, inst.params))
    return Cti(p.name, states, steps, [q.name for q in alive])


def prove(sys, model, k: int = 1, timeout: float | None = None) -> Proof:
    start = time.perf_counter()
    candidates = [p for p in sys.properties if p.kind == "invariant"]
    # base case: bounded model checking to depth k
    from .bmc import bmc
    base = bmc(sys, model, k, timeout=timeout)
    if base.verdict in ("violation", "error"):
        return Proof("violated", violation=base, elapsed=time.perf_counter() - start)
    if base.message:
        return Proof("unknown", reason=base.message, elapsed=time.perf_counter() - start)
    left = timeout - (time.perf_counter() - start) if timeout else None
    try:
        alive, ctis, times = houdini(sys, model, candidates, k, left)
    except Undecided as e:
        return Proof("unknown", reason=str(e), elapsed=time.perf_counter() - start)
    proved = [p.name for p in alive]
    actions = [p for p in sys.properties if p.kind == "action"]
    try:
        steps_proved, step_ctis = action_properties(sys, model, alive, actions, left)
    except Undecided as e:
        return Proof("unknown", reason=str(e), elapsed=time.perf_counter() - start)
    proved += steps_proved
    ctis += step_ctis
    asked = [p.name for p in candidates if not p.info.lemma] + [p.name for p in actions]
    verdict = "proved" if all(n in proved for n in asked) else "not inductive"
    return Proof(verdict, proved, ctis, elapsed=time.perf_counter() - start, times=times)


def action_properties(sys, model, invariant, props, timeout: float | None = None):
    """Action properties proved on every step from a state satisfying `invariant` (the
    candidates Houdini kept: inductive, so every reachable state satisfies them):
    (names proved, a Cti for each of the others)."""
    if not props:
        return [], []
    u = Unrolling(sys, errors=False)
    u.add_state(initial=False)
    u.add_step()
    if timeout:
        u.solver.set("timeout", max(1, int(timeout * 1000)))
    u.solver.add(conj([u.at(p.formula, 0) for p in invariant]))
    proved, ctis = [], []
    for p in props:
        r, m = u.ask(z3.Not(u.at(p.formula, 0)))
        if r == z3.unknown:
            raise Undecided(f"z3 could not decide the step of {p.name}: {u.solver.reason_unknown()}")
        if r == z3.sat:
            ctis.append(_cti(u, model, m, p, invariant, 1))
        else:
            proved.append(p.name)
    return proved, ctis
