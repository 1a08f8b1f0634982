"""Facts for BMC: the spec's other invariants and lemmas that are inductive for the
model being checked, asserted in every state of the unrolling.

BMC's cost on the deep bug models is refuting the depths below the trace's length, and
a SAT solver refutes paths one family at a time; states that no behaviour reaches are
part of what it must refute. A candidate that holds initially and is inductive
(Houdini over the model's own constants and variation) holds in every reachable state,
so assuming it in each state of a path removes only unreachable states: the behaviours,
hence the shortest violation, are the same, and the solver has less to refute.

The candidates are every invariant and lemma of the spec that the model does not
check (those it checks are what BMC looks for, and a violated one cannot be proved),
but the refuted ones. Those false in an initial state are dropped first (the base
case), then those that are not inductive with the rest (induction.houdini).
"""
from __future__ import annotations

from dataclasses import dataclass, field
import time

import z3

from .bmc import Unrolling
from .encode import neg
from .induction import Undecided, houdini


def candidates_for(model) -> list:
    """The spec's invariants and lemmas, not refuted, that `model` does not check."""
    checked = {p.name for p in model.invariants} | {p.name for p in model.action_properties}
    return [p for p in model.checked.properties
            if p.kind == "invariant" and not p.refuted and p.name not in checked]


@dataclass
class Facts:
    facts: list = field(default_factory=list)       # Property: proved, asserted in every state
    dropped: list = field(default_factory=list)     # names: false initially or not inductive
    elapsed: float = 0.0
    reason: str = ""                                # why none are used, if z3 could not tell


def inductive_facts(sys, model, timeout: float | None = None) -> Facts:
    """The candidates of `sys` (System(..., candidates=...)) that hold in every
    reachable state: true in every initial state, and inductive together."""
    start = time.perf_counter()
    alive = list(sys.candidates)
    dropped = []
    u = Unrolling(sys, errors=False)
    u.add_state()
    if timeout:
        u.solver.set("timeout", max(1, int(timeout * 1000)))
    for p in list(alive):
        r, _ = u.ask(neg(u.at(p.formula, 0)))
        if r != z3.unsat:
            alive.remove(p)
            dropped.append(p.name)
    try:
        alive, ctis, _ = houdini(sys, model, alive, 1, timeout)
    except Undecided as e:
        return Facts([], [p.name for p in sys.candidates], time.perf_counter() - start, str(e))
    dropped += [c.prop for c in ctis]
    return Facts(alive, dropped, time.perf_counter() - start)
