"""Refinement: is every behaviour of a spec, seen through a mapping of its
variables, a behaviour of an abstract spec (TLA+'s `INSTANCE Abstract WITH ...`
and `Spec => Abstract!Spec`, safety part)?

The problem: a step of the concrete spec is allowed when the abstract values it
maps to before and after are an abstract step, or equal (a stuttering step); the
initial states must map to abstract initial states. Each check is a property the
explicit engines already check (an action property, and an invariant that only
initial states can break), so a failure comes with the usual shortest trace. The
invariant: `step(a, b)` is true exactly when b == a or b is among the abstract
spec's successors of a; `initial(s, a)` is false exactly when s is an initial
state of the concrete spec and a is not an abstract initial state. The cost: the
abstract successors of each mapped state are computed once and kept (a dict
entry of a frozenset per distinct abstract state met), and a set lookup a step.
Public entry point: `AbstractSpec` (its model is given by compile_model, in
model.py, once the concrete module exists).
"""
from __future__ import annotations


class AbstractSpec:
    """The abstract side of one `refines` declaration, called by compiled code."""

    def __init__(self, checked, concrete_namespace):
        self.checked = checked            # the abstract spec, type-checked
        self.concrete = concrete_namespace
        self.model = None                 # its compiled Model, set by compile_model
        self._succ = {}
        self._inits = None
        self._concrete_inits = None

    def _state(self, values):
        return self.model.import_state(values) if self.model.packed else values

    def step(self, before, after) -> bool:
        if before == after:
            return True
        succ = self._succ.get(before)
        if succ is None:
            succ = frozenset(self.model.successors(self._state(before)))
            if self.model.packed:
                succ = frozenset(self.model.export_state(t) for t in succ)
            self._succ[before] = succ
        return after in succ

    def initial(self, state, mapped) -> bool:
        if self._concrete_inits is None:
            self._concrete_inits = frozenset(self.concrete["init_states"]())
            self._inits = frozenset(self.model.init_states())
            if self.model.packed:
                self._inits = frozenset(self.model.export_state(t) for t in self._inits)
        return state not in self._concrete_inits or mapped in self._inits
