"""What the temporal check reads of each state and step, computed during the search.

The liveness check (checker/engine/liveness.py) runs after the search, on the state graph,
and needs of the states only a few conditions: each temporal property's P (and Q)
for each value of its `forall` binders, and the `when` condition of each fairness
declaration for the steps of its action. So the engine evaluates them on each state
as it expands it, in whichever process holds the state, and the graph keeps their
bits instead of the states (a few bytes a state instead of hundreds, and no state
sent back from the workers). A condition that cannot be evaluated is marked failed;
the check reports it, with its message, only where it reads it, as it did when it
evaluated the conditions itself.

State marks: per state, two bits per condition (holds, failed), `width` bytes.
Step marks: per step, two bits per `when` condition of its action's fairness
declarations (holds, failed), in the order of `Conditions.when[action]`.
"""
from __future__ import annotations

import numpy as np

from .outcome import SPEC_FAILURES

HOLDS, FAILED = 1, 2
MAX_WHEN = 16          # `when` conditions one action's fairness declarations may have


class Conditions:
    """The conditions of one model, numbered; evaluates them on states and steps."""

    def __init__(self, model):
        self.model = model
        self.state_conds = []             # condition number -> function of a state
        self.number = {}                  # (property name, instance, part) -> condition number
        for prop in model.temporal:
            for k, (_, conds) in enumerate(model.temporal_instances(prop)):
                for j, cond in enumerate(conds):
                    self.number[(prop.name, k, j)] = len(self.state_conds)
                    self.state_conds.append(cond)
        self.width = (2 * len(self.state_conds) + 7) // 8
        self.blank = bytes(self.width)
        self.when: dict = {}              # action index -> [(fairness index, its params, condition)]
        for k, f in enumerate(model.fairness):
            cond = model.fairness_condition(k)
            if cond is not None:
                self.when.setdefault(f.action.index, []).append((k, f.cond_params, cond))
        if any(len(entries) > MAX_WHEN for entries in self.when.values()):
            raise ValueError(f"more than {MAX_WHEN} fairness declarations with `when` on one action")

    def state_marks(self, s) -> bytes:
        """The bits of every state condition on state s."""
        if not self.width:
            return self.blank
        bits = 0
        for i, cond in enumerate(self.state_conds):
            try:
                if cond(s):
                    bits |= HOLDS << 2 * i
            except SPEC_FAILURES:
                bits |= FAILED << 2 * i
        return bits.to_bytes(self.width, "little")

    def step_marks(self, s, act, picks) -> int:
        """The bits of the `when` conditions of action `act`'s fairness declarations,
        for its step with `picks` from state s."""
        entries = self.when.get(act)
        if entries is None:
            return 0
        values = dict(picks)
        bits = 0
        for j, (_, params, cond) in enumerate(entries):
            try:
                if cond(s, *(values[p] for p in params)):
                    bits |= HOLDS << 2 * j
            except SPEC_FAILURES:
                bits |= FAILED << 2 * j
        return bits

    def column(self, marks, i) -> np.ndarray:
        """HOLDS, FAILED or 0 for condition i of every state, from a graph's state marks."""
        byte, shift = divmod(2 * i, 8)
        return (np.frombuffer(marks, np.uint8).reshape(-1, self.width)[:, byte] >> shift) & 3

    def failure(self, s, i, key=None, act=None) -> Exception:
        """The exception condition i (a state condition, or with `act` the i-th `when`
        of that action, for `key`) raises on s: to report it as it would have been."""
        cond = self.state_conds[i] if act is None else self.when[act][i][2]
        try:
            cond(s) if act is None else cond(s, *key)
        except SPEC_FAILURES as e:
            return e
        raise AssertionError("a condition marked failed evaluated on replay")   # a checker bug
