"""The explicit-state engine: breadth-first search over every interleaving.

Counts as TLC does (see shared/known-answers/README.md):
  distinct  - unique reachable states found;
  generated - initial states, plus one per successor of every explored state
              (duplicates and self-loops included);
  depth     - BFS levels, the initial states being level 1.
A state outside the state constraints counts as generated and is checked, but is not
stored: it is no distinct state and no level (TLC's CONSTRAINT; see expand).
Breadth-first order makes the first counterexample a shortest one. The visited set
maps each state to its index; parent indices rebuild traces, and the step labels
(action and parameters) are recomputed only for the states on a trace. Given a
stategraph.StateGraph, the search also records every step in it, for the analyses
that need the whole graph after the search (liveness, export, coverage).
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field
import sys
import time

import numpy as np

from .covers import CoverWatch, fail_unreached, judge
from .fingerprints import FingerprintTable, collision_probability, fingerprint, fingerprints
from .memory import rss
from .outcome import SPEC_FAILURES, Result, Step, failure_message, label_trace, labelled_step


class Stop(Exception):
    def __init__(self, verdict, index, **info):
        self.verdict, self.index, self.info = verdict, index, info


# Parents expanded per batch: their successors are looked up in the visited set together.
CHUNK = 2048


class Search:
    """One breadth-first search. States are numbered in the order found; the visited
    set keeps their fingerprints and `parent` their parents' numbers; full states are
    kept for the current and the next level only (and for every state when a graph
    is recorded). Successors are generated a chunk of parents at a time, in order, so
    numbering, counts and the first violation found are those of a one-state-at-a-time
    search."""

    def __init__(self, model, *, max_states=None, max_depth=None, timeout=None,
                 check_deadlock=True, progress=None, progress_every=2.0, graph=None,
                 symmetry=None, workers=1, memory_limit=None):
        self.model, self.graph = model, graph
        self.max_states = max_states if max_states is not None else float("inf")
        self.max_depth, self.check_deadlock = max_depth, check_deadlock
        self.timeout, self.progress, self.progress_every = timeout, progress, progress_every
        self.canonical = symmetry.canonical if symmetry is not None else None
        self.workers, self.memory_limit = workers, memory_limit
        self.visited = FingerprintTable(numbered=graph is not None)   # the graph needs numbers
        self.conditions = graph.conditions if graph is not None else None
        self.parent = array("q")
        self.generated = self.constrained = self.depth = 0
        self.expanding = -1             # the number of the state being expanded
        self.level_start = self.level_end = 0
        self.covers = CoverWatch(model) if model.covers else None   # see covers.py
        if graph is not None:
            graph.parent, graph.visited = self.parent, self.visited
            if graph.states is not None:
                graph.states = []
            self.pools = [{}.setdefault for _ in model.var_names]   # see keep()

    # ---- the search

    def run(self) -> Result:
        start = self.start = time.perf_counter()
        self.deadline = start + self.timeout if self.timeout is not None else float("inf")
        self.next_report = start + self.progress_every
        try:
            level = self.initial_level()
            while level:
                level = self.expand_level(level)
            res = self.result("ok")
        except Stop as stop:
            res = self.stopped(stop)
        except KeyboardInterrupt:
            return self.result("incomplete", stopped_by="interrupted")
        except MemoryError:
            return self.result("incomplete", stopped_by="memory")
        if self.covers is not None and res.verdict != "error":
            judge(self.model, res, self.covers.first, self.trace_to)
            if not self.model.temporal:      # else after them (liveness.search)
                fail_unreached(res)
        return res

    def initial_level(self) -> list:
        model = self.model
        try:
            inits = model.init_states()
            if self.canonical is not None and not model.constraints:
                inits = [self.canonical(s) for s in inits]
        except SPEC_FAILURES as e:
            raise Stop("error", -1, message=f"in init: {failure_message(e, model)}")
        self.generated = len(inits)
        if model.constraints:
            inits = self.constrain_initial(inits)
        new = self.visited.add(fingerprints(inits, model.hash_apart))
        level = self.admit([inits[p] for p in new], [-1] * len(new), lambda k: self.generated)
        if self.covers is not None:
            try:
                self.covers.initial(level, 0)
            except SPEC_FAILURES as e:
                raise Stop("error", -1, message=failure_message(e, model))
        if self.graph is not None:
            self.graph.n_init = len(level)
        # TLC reports depth 1 once a state was generated, even if none was stored
        self.depth = 1 if self.generated else 0
        return level

    def constrain_initial(self, inits) -> list:
        """The initial states inside the constraints, those outside having their
        invariants checked (TLC's DoInitFunctor: an initial state outside them is
        generated and checked, but not stored). A violation or an error in one stops
        the search after the states before it are stored."""
        model = self.model
        inside = []
        for k, s in enumerate(inits):
            try:
                out = model.check_constraints(s) >= 0
            except SPEC_FAILURES as e:
                failure = (-2, failure_message(e, model))
            else:
                if not out:
                    inside.append(s if self.canonical is None else self.canonical(s))
                    continue
                self.constrained += 1
                failure = _outside_failure(model, None, s)
                if failure is None:
                    continue
            # store (and check) the states before it, then report it
            new = self.visited.add(fingerprints(inside, model.hash_apart))
            self.admit([inside[p] for p in new], [-1] * len(new), lambda k: self.generated)
            if self.graph is not None:
                self.graph.n_init = len(new)
            self.depth, self.level_end = 1, len(self.parent)    # level 1 is all there is
            if failure[0] == -2:
                raise Stop("error", -1, message=failure[1], state=s)
            raise Stop("violation", -1, prop=model.invariants[failure[0]], kind="invariant", state=s)
        return inside

    def admit(self, states, parents, generated_by, before=None) -> list:
        """Number newly found states (already in the visited set) and check their
        invariants, in order; `generated_by(k)` is the count of states generated when
        the k-th of them was found, had the search gone one state at a time; `before`:
        their parent states, if known (see first_failure)."""
        first = len(self.parent)
        if first + len(states) > self.max_states:
            keep = max(0, int(self.max_states) - first)
            self.admit(states[:keep], parents[:keep], generated_by, before and before[:keep])
            self.generated, self.expanding = generated_by(keep), parents[keep]
            raise Stop("incomplete", -1, stopped_by="max-states")
        failure = self.first_failure(states, before)
        if failure is not None:
            k, bad, message = failure
            self.parent.extend(parents[:k + 1])
            self.keep(states[:k + 1])
            self.generated, self.expanding = generated_by(k), parents[k]
            if bad == -2:
                raise Stop("error", first + k, message=message)
            raise Stop("violation", first + k, prop=self.model.invariants[bad], kind="invariant")
        self.parent.extend(parents)
        return self.keep(states)

    def first_failure(self, states, before=None):
        return first_failure(self.model, states, before)

    def keep(self, states) -> list:
        """States to keep in the graph (sharing equal variable values between states:
        states differ in few variables); returns them."""
        if self.graph is not None and self.graph.states is not None:
            pools = self.pools
            states = [tuple([p(v, v) for p, v in zip(pools, t)]) for t in states]
            self.graph.states.extend(states)
        return states

    def expand_level(self, level) -> list:
        """Expand every state of a level; return the next level's states."""
        frozen = self.max_depth is not None and self.depth >= self.max_depth
        self.level_end = self.level_start + len(level)
        following = []
        for c in range(0, len(level), CHUNK):
            following += self.expand_chunk(level[c:c + CHUNK], self.level_start + c, frozen)
            self.check_limits()
        self.level_start += len(level)
        if following:
            self.depth += 1
        return following

    def check_limits(self) -> None:
        """Between batches: the time limit, the memory limit, progress."""
        now = time.perf_counter()
        if now >= self.deadline:
            raise Stop("incomplete", -1, stopped_by="timeout")
        if self.memory_limit is not None and self.memory() > self.memory_limit:
            raise Stop("incomplete", -1, stopped_by="memory")
        if self.progress is not None and now >= self.next_report:
            self.progress(len(self.parent), self.generated, self.depth,
                          len(self.parent) - self.expanding - 1, now - self.start)
            self.next_report = time.perf_counter() + self.progress_every

    def memory(self) -> int:
        """The search's resident memory in bytes."""
        return rss()

    def expand_chunk(self, chunk, base, frozen) -> list:
        """Expand the states numbered base, base+1, ... (chunk); return the new ones."""
        x = expand(self.model, chunk, base, self.canonical, self.check_deadlock, self.conditions, self.covers)
        self.expanding = base + len(x.counts) - 1
        keys = fingerprints(x.found, self.model.hash_apart)
        fresh = self.admit_found(x, self.visited.add(keys), base, frozen, expanded=chunk)
        if self.graph is not None:
            self.record(x, keys)
        if x.event is not None:
            self.expanding = x.event.index
            raise x.event
        return fresh

    def admit_found(self, x, new, base, frozen, picked=None, expanded=None) -> list:
        """Admit the successors at positions `new` of an expansion of the states
        numbered from `base` (see admit; `picked`: those successors, if `x` does not
        hold them; `expanded`: the states expanded, if at hand); count what it generated
        and what it generated outside the constraints (at a stop while admitting, up to
        the state being expanded, as TLC would have counted going one state at a time)."""
        generated, constrained = self.generated, self.constrained
        try:
            fresh = self._admit_found(x, new, base, frozen, picked, expanded, generated)
        except Stop:
            self.constrained = constrained + sum(x.outs[:self.expanding - base + 1])
            raise
        self.constrained = constrained + x.constrained
        return fresh

    def _admit_found(self, x, new, base, frozen, picked, expanded, generated) -> list:
        if len(new):
            which = np.searchsorted(np.cumsum(x.counts), new, side="right")   # each one's parent
            totals = np.cumsum(x.made)

            def generated_by(k):
                return generated + int(totals[which[k]])
            if frozen:               # a state beyond --max-depth
                self.generated, self.expanding = generated_by(0), base + int(which[0])
                raise Stop("incomplete", -1, stopped_by="max-depth")
            if picked is None:
                picked = [x.found[p] for p in new.tolist()]
            before = [expanded[w] for w in which.tolist()] \
                if expanded is not None and not self.model.invariants_decided else None
            fresh = self.admit(picked, (which + base).tolist(), generated_by, before)
        else:
            fresh = []
        self.generated = generated + sum(x.made)
        return fresh

    def record(self, x, keys) -> None:
        """Add the chunk's steps (an Expansion's) to the graph."""
        graph, width = self.graph, self.conditions.width
        targets = self.visited.numbers_of(keys)
        at = out = 0
        for k, labelled in enumerate(x.steps):
            if labelled is None:
                graph.skip_state()
                continue
            n, m = len(labelled), len(x.outside[k])
            graph.targets.frombytes(targets[at:at + n].tobytes())
            graph.close_state(labelled, x.marks[k * width:(k + 1) * width], x.step_marks[at:at + n],
                              x.outside[k], x.outside_marks[out:out + m])
            at += n
            out += m

    # ---- the outcome

    def result(self, verdict, **info) -> Result:
        elapsed = time.perf_counter() - self.start
        distinct = len(self.parent)
        queue = 0 if verdict == "ok" else max(0, distinct - self.expanding - 1)
        res = Result(verdict, distinct, self.generated, self.depth, queue, elapsed,
                     constrained=self.constrained, **info)
        res.visited_bytes = self.visited.nbytes + self.parent.buffer_info()[1] * self.parent.itemsize
        res.collision_probability = collision_probability(distinct, self.generated)
        return res

    def stopped(self, stop) -> Result:
        if len(self.parent) > self.level_end:
            self.depth += 1      # the search had reached into the next level
        res = self.result(stop.verdict, stopped_by=stop.info.get("stopped_by"),
                          message=stop.info.get("message"))
        if stop.verdict in ("violation", "deadlock", "error"):
            if stop.verdict == "violation":
                prop = stop.info["prop"]
                if isinstance(prop, int):          # an index, from an expansion
                    props = self.model.invariants if stop.info["kind"] == "invariant" \
                        else self.model.action_properties
                    prop = props[prop]
                res.property, res.property_kind = prop.name, stop.info["kind"]
            elif stop.verdict == "deadlock":
                res.property, res.property_kind = "Deadlock", "deadlock"
            else:
                res.property, res.property_kind = "EvaluationError", "error"
            if stop.index >= 0:
                res.trace = self.trace_to(stop.index)
                if "step_to" in stop.info:         # the violating step itself
                    res.trace.append(self.violating_step(res.trace[-1].state, stop.info["step_to"],
                                                         stop.info.get("kind")))
                res.trace = self.model.export_trace(res.trace)
            elif "state" in stop.info:             # an initial state outside the constraints
                res.trace = self.model.export_trace([Step(None, (), stop.info["state"])])
        return res

    def violating_step(self, state, step_to, kind=None) -> Step:
        """The step from `state` (concrete, replayed) that breaks an action property
        (`kind` "action"), or to a state outside the constraints that breaks an
        invariant or could not be evaluated; `step_to` was found from its orbit's
        representative."""
        if self.canonical is not None:
            return representative_step(self.model, self.canonical, state, step_to, kind)
        return labelled_step(self.model, state, step_to)

    def trace_to(self, index) -> list:
        if self.graph is not None:
            return self.graph.trace_to(index)
        return replay_trace(self.model, self.visited.fps, self.parent, index, self.canonical)


def representative_step(model, canonical, state, step_to, kind=None) -> Step:
    """Under symmetry reduction: the step from `state` (concrete, replayed) to a
    successor in the orbit of `step_to` (found from the orbit's representative) that
    breaks what it broke there: an action property (`kind` "action"), an invariant of a
    state outside the constraints ("invariant"), or an evaluation."""
    wanted = canonical(step_to)
    same = [t for t in model.successors(state) if canonical(t) == wanted]
    if kind == "action":
        step_to = next(t for t in same if model.check_steps(state, t) >= 0)
    elif kind == "invariant":
        step_to = next((t for t in same if model.check_invariants(t) >= 0), same[0])
    else:
        step_to = same[0]
    return labelled_step(model, state, step_to)


@dataclass
class Expansion:
    """The successors of a run of states, as the search needs them."""
    found: list            # every successor (representatives under symmetry), in order
    counts: list           # how many of them each state contributed ...
    made: list             # ... and how many it generated (more, for the state with the event)
    steps: list            # with a graph: each state's labelled steps, or None if not expanded
    event: "Stop | None"  # a stop met while expanding; `found` ends where it was met
    constrained: int       # successors generated outside the constraints (not stored)
    outs: list = field(default_factory=list)             # ... of them, how many each state made
    marks: bytearray = field(default_factory=bytearray)  # with a graph: each state's marks
    step_marks: list = field(default_factory=list)       # ... and each recorded step's
    outside: list = field(default_factory=list)          # with a graph: each state's labelled
                                                         # steps to states outside the constraints
    outside_marks: list = field(default_factory=list)    # ... and their marks


def expand(model, states, base, canonical=None, check_deadlock=True, record=None, covers=None) -> Expansion:
    """Expand states numbered base, base+1, ... in order, checking action properties
    and deadlock, up to the first stop. `record`: the graph's conditions.Conditions,
    when the state graph is recorded: each state's labelled steps and its and their
    marks are kept too. `covers`: a covers.CoverWatch, which the steps to states
    inside the constraints are shown to while it has covers open.

    State constraints are TLC's CONSTRAINT, applied where TLC applies them (tlc2
    Worker.addElement, ModelChecker.doNext): to each successor as it is generated.
    A successor outside them counts as generated, its invariants are checked (every
    time it is generated: it is never stored, so never known to be seen) and the
    step to it against the action properties, but it is left out of `found`: not
    stored, not counted as distinct, not expanded, and no part of the depth. With a
    graph, the steps to such successors are kept apart (`outside`): they are not
    steps of the graph (TLC's liveness graph has no states outside the
    constraints), but they enable fairness groups, as ENABLED is evaluated on the
    spec, not on the constrained graph."""
    successors = model.labelled_successors if record is not None else model.successors
    check_step = model.check_steps if model.action_properties else None
    check_con = model.check_constraints if model.constraints else None
    x = Expansion([], [], [], [], None, 0)
    found, counts, made, steps = x.found, x.counts, x.made, x.steps
    event = None
    for j, s in enumerate(states):
        i = base + j
        constrained_before = x.constrained
        try:
            succ = successors(s)
        except SPEC_FAILURES as e:
            event = Stop("error", i, message=failure_message(e, model))
            break
        if record is not None:
            labelled, succ = succ, [step[2] for step in succ]
        made.append(len(succ))
        if not succ and check_deadlock:
            event = Stop("deadlock", i)
            counts.append(0)
            x.outs.append(0)
            break
        outside = None                 # positions of the successors outside the constraints
        if check_step is not None or check_con is not None:
            check = _step_check(model, s) if check_step is not None else None
            for k, t in enumerate(succ):
                if check_con is not None:
                    event, out = _outside(model, i, s, t, check_con)
                    if out:
                        x.constrained += 1
                        if outside is None:
                            outside = []
                        outside.append(k)
                if event is None and check is not None:
                    try:
                        bad = check(s, t)
                    except SPEC_FAILURES as e:
                        event = Stop("error", i, message=failure_message(e, model), step_to=t)
                    else:
                        if bad >= 0:
                            event = Stop("violation", i, prop=bad, kind="action", step_to=t)
                if event is not None:
                    succ = succ[:k]
                    if outside and outside[-1] == k:
                        outside.pop()
                    break
        if record is not None:
            kept = labelled[:len(succ)]
        if outside:
            gone = set(outside)
            if record is not None:
                out_steps = [kept[k] for k in outside]
                kept = [step for k, step in enumerate(kept) if k not in gone]
            succ = [t for k, t in enumerate(succ) if k not in gone]
        elif record is not None:
            out_steps = ()
        if covers is not None and covers.open:
            try:
                covers.steps(i, s, succ)
            except SPEC_FAILURES as e:       # as a failing action property: the steps before it count
                event = Stop("error", i, message=failure_message(e, model), step_to=succ[covers.at])
                succ = succ[:covers.at]
                if record is not None:
                    kept = kept[:covers.at]
        if canonical is not None:
            succ = [canonical(t) for t in succ]
        found += succ
        counts.append(len(succ))
        x.outs.append(x.constrained - constrained_before)
        if record is not None:
            steps.append(kept)
            x.marks += record.state_marks(s)
            x.step_marks += [record.step_marks(s, act, picks) for act, picks, _ in kept]
            x.outside.append(out_steps)
            x.outside_marks += [record.step_marks(s, act, picks) for act, picks, _ in out_steps]
        if event is not None:
            break
    x.event = event
    return x


def _outside(model, i, s, t, check_con):
    """(a stop or None, is t outside the constraints) for the successor t of state
    number i (s): a successor outside them has its invariants checked here, as TLC
    checks them (the search never stores it, so never checks it later)."""
    try:
        if check_con(t) < 0:
            return None, False
    except SPEC_FAILURES as e:
        return Stop("error", i, message=failure_message(e, model), step_to=t), False
    bad = _outside_failure(model, s, t)
    if bad is None:
        return None, True
    if bad[0] == -2:
        return Stop("error", i, message=bad[1], step_to=t), True
    return Stop("violation", i, prop=bad[0], kind="invariant", step_to=t), True


def _outside_failure(model, s, t):
    """The invariant a state outside the constraints breaks: (invariant index, None),
    (-2, message) if one could not be evaluated, None if it breaks none. `s`: a state
    that satisfies them all (its parent, or None for an initial state)."""
    if not model.invariants or model.invariants_decided:
        return None
    try:
        bad = model.check_invariants(t) if s is None else model.check_invariants_after(s, t)
    except SPEC_FAILURES as e:
        return -2, failure_message(e, model)
    return None if bad == -1 else (bad, None)


def _step_check(model, s):
    """The action-property check for the steps from s: check_steps_moving when the
    stuttering step from s satisfies every action property (it is then enough to
    evaluate the properties whose variables a step changes), else check_steps."""
    try:
        if model.check_steps(s, s) == -1:
            return model.check_steps_moving
    except SPEC_FAILURES:
        pass
    return model.check_steps


def first_failure(model, states, before=None):
    """The first of `states` to break an invariant: (position, invariant index, None),
    or (position, -2, message) if one could not be evaluated; None if none does.
    `before`: each state's parent, which satisfies every invariant (then only the
    invariants whose variables changed are evaluated)."""
    if not model.invariants or model.invariants_decided:
        return None
    k = 0
    try:
        if before is None:
            check = model.check_invariants
            for k, t in enumerate(states):
                bad = check(t)
                if bad != -1:
                    return k, bad, None
        else:
            check = model.check_invariants_after
            for k, (p, t) in enumerate(zip(before, states)):
                bad = check(p, t)
                if bad != -1:
                    return k, bad, None
    except SPEC_FAILURES as e:
        return k, -2, failure_message(e, model)
    return None


def build_trace(model, states, parent, index) -> list:
    """Follow parent links back to an initial state; label each step with its action."""
    chain = []
    while index >= 0:
        chain.append(states[index])
        index = parent[index]
    chain.reverse()
    return label_trace(model, chain)


def replay_states(model, fps, parent, index, canonical=None) -> list:
    """The states of a shortest path to state `index` when only fingerprints were
    kept: follow parent links back to an initial state, then run the spec forward, at
    each step taking a successor with the recorded fingerprint. Under symmetry
    reduction the recorded states are orbit representatives; the states replayed are
    concrete ones."""
    chain = []
    while index >= 0:
        chain.append(int(fps[index]))
        index = parent[index]
    chain.reverse()
    same = canonical or (lambda s: s)

    def pick(candidates, fp):
        for t in candidates:
            if fingerprint(same(t), model.hash_apart) == fp:
                return t
        raise AssertionError("a recorded state could not be replayed")   # a checker bug
    states = [pick(model.init_states(), chain[0])]
    for fp in chain[1:]:
        states.append(pick(model.successors(states[-1]), fp))
    return states


def replay_trace(model, fps, parent, index, canonical=None) -> list:
    """The trace to state `index` when only fingerprints were kept (replay_states),
    each step labelled with its action."""
    states = replay_states(model, fps, parent, index, canonical)
    return label_trace(model, states)


def print_progress(distinct, generated, depth, queue, elapsed, stream=sys.stderr):
    rate = distinct / elapsed if elapsed > 0 else 0.0
    print(f"Progress: {generated:,} states generated, {distinct:,} distinct states found, "
          f"{queue:,} states left on queue, depth {depth} ({rate:,.0f} states/s, {elapsed:.0f}s)",
          file=stream, flush=True)
