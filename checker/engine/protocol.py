"""What an explicit engine may ask of a compiled spec: the narrow interface between the
backends and every engine of this package.

compile/model.py's `Model` has grown to some thirty fields, most of them for one
engine or one writer. An engine written against `ExplicitModel` uses only these
members, so a second backend (a native one, a hand-written model in a test) needs to
provide just them. tests/engine/test_protocol.py reads every `model.<member>` the
engine modules use and checks it is declared here, and that `Model` provides each.
A state is any hashable value the backend chooses (a tuple of variable values for the
Python backend); engines never look inside one, but through `var_names`/`export_state`.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence

State = Any


class ExplicitModel(Protocol):
    # names and shapes, for messages and traces
    name: str
    source: str                         # what failure messages point into
    checked: Any                        # the typed spec: actions' parameter counts
    var_names: Sequence[str]
    var_types: Sequence[Any]
    action_names: Sequence[str]
    action_params: dict                 # action index -> {parameter or choice name: type}
    # the properties checked (lang/selection.py chose them)
    invariants: Sequence[Any]
    action_properties: Sequence[Any]
    temporal: Sequence[Any]
    constraints: Sequence[Any]
    fairness: Sequence[Any]
    invariants_decided: bool            # the types decide every invariant: none is evaluated
    # the transition system
    init_states: Callable[[], list]
    successors: Callable[[State], list]
    labelled_successors: Callable[[State], list]          # [(action index, picks, state)]
    # properties, as the index of the first one broken or -1
    check_invariants: Callable[[State], int]
    check_invariants_after: Callable[[State, State], int]  # the successor of a state satisfying them
    check_steps: Callable[[State, State], int]
    check_steps_moving: Callable[[State, State], int]      # from a state whose stutter satisfies them
    check_constraints: Callable[[State], int]
    covers: Sequence[Any]                                  # the covers checked (covers.py)
    check_covers: Callable[[State, State, int], int]       # the bits of the open covers a step reaches
    export_state: Callable[[State], State]                 # the state as users see it
    hash_apart: bool                    # a state may hold -1 and -2 (fingerprints.py)

    def label(self, state_from: State, state_to: State): ...
    def take(self, state: State, action: str, params: dict, successors=None) -> dict: ...
    def export_trace(self, trace: list) -> list: ...
    def temporal_instances(self, prop) -> Any: ...
    def fairness_condition(self, k: int) -> Any: ...


MEMBERS = frozenset(n for n in ExplicitModel.__annotations__) | {
    "label", "take", "export_trace", "temporal_instances", "fairness_condition"}
