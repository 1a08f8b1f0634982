"""Covers: the states and steps a search must reach (TLC's _POSSIBLE, Quint's witnesses).

The problem: a green run proves nothing about the situations it never reached (a
bound, a guard or a constant that cuts the search short makes every property hold
vacuously). A `cover` names a situation that some reachable state must show, a
`cover action` one that some step must take; a cover never reached fails the check
(exit EXIT_COVER) and each one reached has a shortest witness trace.

The invariant: each cover's witness is the first one a breadth-first search meets,
so a shortest one. Covers are evaluated on the initial states and on every step of
the search to a state inside the constraints (a state cover on the step's
successor), only while they are open: `CoverWatch` records, per cover newly reached,
the number of the state the step leaves; an engine keeps the smallest (with several
processes each keeps its own first and the main process the least; the native
backend does the same in C). After the search, `judge` fills Result.covers and the
witnesses (`witness`: the path to that state, then a step from it that reaches the
cover); `fail_unreached`, once the temporal properties are judged, turns an `ok`
verdict with a cover unreached into a cover failure. The cost: one call a step while
a cover is open, none once all are reached; on the group spec's default
configuration 2% more CPU (bench/covers.py), its last cover being reached at depth 34
of 83.
"""
from __future__ import annotations

from .outcome import SPEC_FAILURES, failure_message, labelled_step


class CoverWatch:
    """The covers still open in one process, and where each was first reached:
    `first[k]` is (number of the state a step leaves, or -1 with the initial state's
    number for a cover an initial state reaches)."""

    def __init__(self, model):
        self.model, self.check = model, model.check_covers
        self.open = (1 << len(model.covers)) - 1 if model.covers else 0
        self.state_bits = sum(1 << k for k, p in enumerate(model.covers) if p.kind == "cover")
        self.first = {}
        self.at = 0

    def initial(self, states, first_number) -> None:
        """Evaluate the state covers on newly numbered initial states."""
        for j, s in enumerate(states):
            if not self.open & self.state_bits:
                return
            self.note(self.check(s, s, self.open & self.state_bits), (-1, first_number + j))

    def steps(self, i, s, succ) -> None:
        """Evaluate the open covers on the steps from state number i (s) to `succ`;
        `at`: the position of the last successor shown (the failing one, on an error)."""
        check = self.check
        for self.at, t in enumerate(succ):
            if not self.open:
                return
            self.note(check(s, t, self.open), (i, -1))

    def note(self, hit, where) -> None:
        while hit:
            k = (hit & -hit).bit_length() - 1
            hit &= hit - 1
            self.first[k] = where
            self.open &= ~(1 << k)

    def merge(self, firsts) -> None:
        """Add another process's (or expansion's) firsts: the least number wins."""
        for k, where in firsts.items():
            if k not in self.first or where < self.first[k]:
                self.first[k] = where
            self.open &= ~(1 << k)

    def take(self) -> dict:
        """The firsts found since the last call (and forget them: they were handed on)."""
        out, self.first = self.first, {}
        return out


def judge(model, result, firsts, trace_to) -> None:
    """Fill result.covers ({name: {"kind", "line", "reached", "depth"}}) and
    result.witnesses ({name: [Step]}), from `firsts` (cover index -> where, as
    CoverWatch records it) and `trace_to(number)` (the trace to a numbered state).
    The verdict is left alone: see fail_unreached."""
    if not model.covers:
        return
    result.covers, result.witnesses = {}, {}
    for k, p in enumerate(model.covers):
        entry = {"kind": "cover action" if p.kind == "cover_action" else "cover", "line": p.pos[0],
                 "reached": k in firsts}
        if k in firsts:
            try:
                trace = witness(model, p, k, firsts[k], trace_to)
            except SPEC_FAILURES as e:       # the same spec code ran in the search: a checker bug
                raise RuntimeError(f"the witness of cover {p.name} could not be rebuilt: "
                                   f"{failure_message(e, model)}") from None
            result.witnesses[p.name] = model.export_trace(trace)
            entry["depth"] = len(trace)
        result.covers[p.name] = entry


def fail_unreached(result) -> None:
    """A complete search that found nothing (`ok`, after the temporal properties were
    judged too: a violation says more) but left a cover unreached fails with it."""
    missed = [name for name, c in result.covers.items() if not c["reached"]]
    if missed and result.verdict == "ok":
        result.verdict, result.property, result.property_kind = "violation", missed[0], "cover"
        result.message = f"{len(missed)} of {len(result.covers)} covers never reached: {', '.join(missed)}"


def witness(model, prop, k, where, trace_to) -> list:
    """A shortest trace reaching cover k: to the state numbered where[0] (or the initial
    state where[1]), then the first step from it that reaches the cover."""
    parent, initial = where
    if parent < 0:
        return trace_to(initial)
    trace = trace_to(parent)
    s = trace[-1].state
    for t in model.successors(s):
        if model.check_covers(s, t, 1 << k):
            return trace + [labelled_step(model, s, t)]
    # under symmetry the trace's last state is a permutation of the one the search held:
    # a cover that is not symmetric may need another member of its orbit (not rebuilt)
    raise RuntimeError(f"the witness of cover {prop.name} could not be rebuilt")

