"""Temporal properties under weak and strong fairness, checked on the state graph
the engine recorded (stategraph.StateGraph), after a complete search.

Semantics are TLA+'s: a behaviour is an infinite sequence of states in which every
step is a step of some action or a stutter (nothing changes), and the fairness
declarations rule some behaviours out. For fairness, an action instance is *enabled*
in a state if it has a step there that changes the state, and *taken* by such a step
(TLA+'s ENABLED <<A>>_vars and <<A>>_vars). `fairness weak A(p)` rules out behaviours
in which, from some point on, an instance group A(p=v) is enabled in every state and
never taken; `fairness strong` rules out those in which it is enabled infinitely often
and never taken. A `when COND` restricts the action to the states where COND holds.

Each form asks for a fair behaviour of one shape; a violation is such a behaviour:

| property                | violated by a fair behaviour that ...                         |
|-------------------------|---------------------------------------------------------------|
| eventually P            | starts in a not-P state and stays in not-P states forever      |
| always eventually P     | from some reachable state on, stays in not-P states forever    |
| P leads_to Q            | reaches a P-and-not-Q state and then stays in not-Q forever    |
| eventually always P     | visits not-P states infinitely often                          |
| P => eventually Q       | starts in a P-and-not-Q state and stays in not-Q forever       |
| always (P => always Q)  | reaches a P state, later (or there) a not-Q state, then goes on fairly |

A conjunction `A and B` of these holds when each conjunct does; the first conjunct
violated is reported (its lasso), the message naming it. `always (P => always Q)` is
a safety property: its violation is a finite path (through a P state to a not-Q one)
continued by any fair behaviour (it exists where fairness is machine closed, as WF and
SF of the spec's own actions are); the path is a shortest one (a breadth-first search
over (state, a P state seen yet)), the continuation a shortest way to a fair cycle.

So each check is: the *region* (the states the behaviour must stay in), the *sources*
(where it may enter the region; reachable region states are found from them), and
for eventually-always an *accepting* set it must visit infinitely often. A behaviour
that stays in a finite region ends in a cycle: the check looks for a strongly
connected component of the region, reachable from a source, that contains a fair
cycle (Emerson-Lei, as TLC does): a component in which a weak group is enabled
everywhere but never taken has none; one in which a strong group is enabled somewhere
but never taken may have one among the states where the group is disabled, so those
are removed and the rest decomposed again. A single state with no fair group enabled
is a fair cycle by itself: the behaviour stutters there forever. States outside the
state constraints are not in the graph (as in TLC's liveness graph): behaviours
through them are not judged. A step to one still makes its fairness groups enabled
in the state it leaves (TLC evaluates ENABLED on the spec, not on the constrained
graph): see stategraph.py.

The counterexample is a lasso: a shortest way into the cycle, then a cycle through
the component that satisfies every fairness constraint (it takes each group that is
always enabled there, and visits a state where each other group is disabled).
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from checker.lang.values import show

from .conditions import FAILED, HOLDS
from .covers import fail_unreached
from .fingerprints import fingerprint
from .outcome import failure_message, label_trace, labelled_step
from .search import bfs
from .stategraph import StateGraph


@dataclass
class Lasso:
    """A behaviour violating `prop`: states[loop:] repeat forever; the step from the
    last state back to states[loop] closes the cycle (a stutter if they are equal)."""
    prop: object
    states: list          # state numbers in the graph
    loop: int
    bound: tuple = ()     # the values of the property's `forall` binders: ((name, value), ...)
    conjunct: int = -1    # a conjunction's: which conjunct it violates


class SpecFailure(Exception):
    """A temporal or fairness condition failed while being evaluated on a state."""

    def __init__(self, index, message):
        super().__init__(message)
        self.index, self.message = index, message


def search(model, graph: StateGraph | None = None, **options):
    """The whole check `modelcheck` runs: the breadth-first search (explore.bfs, with
    `options`), recording the state graph when the model has temporal properties (or
    into `graph`, if given), then the temporal properties judged on it. Returns
    (result, graph); graph is None when nothing needed one."""
    if graph is None and model.temporal:
        graph = StateGraph(model, keep_states=False)
    result = bfs(model, graph=graph, **options)
    if graph is not None and model.temporal and result.verdict == "ok":
        judge(model, graph, result)
    fail_unreached(result)
    return result, graph


def judge(model, graph: StateGraph, result, threads=1):
    """The result of a complete search that found nothing, with the temporal
    properties of `model` checked on its graph: unchanged if they hold, else the
    verdict `violation` (exit 13) and the lasso, or `error` if a condition failed.
    `threads`: how many properties are judged at once (see check)."""
    import time
    began = time.perf_counter()
    try:
        lasso = check(model, graph, model.temporal, threads)
    except SpecFailure as e:
        result.verdict, result.message = "error", e.message
        result.property, result.property_kind = "EvaluationError", "error"
        result.trace = model.export_trace(graph.trace_to(e.index))
    else:
        if lasso is not None:
            result.verdict = "violation"
            result.property, result.property_kind = lasso.prop.name, "temporal"
            trace, closing = lasso_trace(model, graph, lasso)
            result.trace, (result.loop_step,) = model.export_trace(trace), model.export_trace([closing])
            result.loop = lasso.loop
            notes = []
            if lasso.bound:
                types = {b.name: b.type for b in lasso.prop.temporal.binders}
                notes.append("for " + ", ".join(f"{n} = {show(v, types[n])}" for n, v in lasso.bound))
            if lasso.conjunct >= 0:
                notes.append(conjunct_text(lasso.prop, lasso.conjunct))
            result.message = "; ".join(notes) or None
    result.liveness_elapsed = time.perf_counter() - began
    result.elapsed += result.liveness_elapsed
    return result


def check(model, graph: StateGraph, props, threads=1) -> Lasso | None:
    """The first of `props` (temporal PropertyInfos) that fails, as a lasso; None if
    all hold. Raises SpecFailure if a condition cannot be evaluated. Each instance
    and conjunct is one search (find_violation); on a graph whose algorithms run
    outside Python (graph.concurrent) `threads` of them run at once, their answers
    taken in order, so the lasso or failure reported is the one a single thread finds."""
    fairness = Fairness(model, graph)
    jobs = []
    for prop in props:
        for k, (bound, conds) in enumerate(model.temporal_instances(prop)):
            numbers = [graph.conditions.number[(prop.name, k, j)] for j in range(len(conds))]
            for c, (form, parts, _pos) in enumerate(prop.temporal.conjuncts):
                conjunct = c if len(prop.temporal.conjuncts) > 1 else -1
                jobs.append((prop, bound, conjunct, [numbers[j] for j in parts], form))

    def found(job, lasso):
        if lasso is not None:
            lasso.bound, lasso.conjunct = job[1], job[2]
        return lasso
    if threads <= 1 or len(jobs) <= 1 or not getattr(graph, "concurrent", False):
        for job in jobs:
            lasso = found(job, find_violation(graph, job[0], job[3], fairness, job[4]))
            if lasso is not None:
                return lasso
        return None
    from concurrent.futures import ThreadPoolExecutor
    pool = ThreadPoolExecutor(min(threads, len(jobs)))
    try:
        # the whole graph's cyclic states (fair_lasso reads them) found beside the
        # fairness tables, which are made once before the threads share them
        pool.submit(graph.cyclic)
        fairness.prepare()
        # submitted those that begin with a reachability pass first (they have work
        # before they need the cyclic states); their answers are taken in order
        first = sorted(range(len(jobs)), key=lambda k: (_job_form(jobs[k]) in ("always_eventually", "stable"), k))
        submitted = {k: pool.submit(find_violation, graph, jobs[k][0], jobs[k][3], fairness, jobs[k][4])
                     for k in first}
        answers = [submitted[k] for k in range(len(jobs))]
        for job, answer in zip(jobs, answers):
            lasso = found(job, answer.result())
            if lasso is not None:
                return lasso
        return None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _job_form(job) -> str:
    """The form of one job of check (a property, or its conjunct of that form)."""
    return job[4] or job[0].temporal.form


def find_violation(graph: StateGraph, prop, conds, fairness: "Fairness", form=None) -> Lasso | None:
    """A lasso violating one instance of prop (or of its conjunct of this `form`) whose
    conditions are `conds` ([P] or [P, Q], condition numbers: see conditions.py), or None."""
    form = form or prop.temporal.form
    expanded = graph.expanded
    inits = range(graph.n_init)
    accept = None
    if form == "stable":
        return _unstable(graph, prop, conds, fairness)
    if form == "implies_eventually":
        region = _mask(graph, conds[1], expanded, negate=True)
        trigger = _mask(graph, conds[0], region)
        return fair_lasso(graph, fairness, prop, region, [v for v in inits if trigger[v]])
    if form == "eventually_always":
        region = expanded
        sources = [v for v in inits if expanded[v]]
        accept = _mask(graph, conds[0], expanded, negate=True)
    else:
        goal = conds[1] if form == "leads_to" else conds[0]
        region = _mask(graph, goal, expanded, negate=True)
        if form == "eventually":
            sources = [v for v in inits if region[v]]
        elif form == "always_eventually":
            sources = None                       # any reachable not-P state will do
        else:
            trigger = _mask(graph, conds[0], region)
            sources = np.flatnonzero(np.frombuffer(trigger, np.uint8)).astype(np.int32)
    return fair_lasso(graph, fairness, prop, region, sources, accept)


def _unstable(graph, prop, conds, fairness) -> Lasso | None:
    """A violation of `always (P => always Q)`: a shortest path through a P state to a
    not-Q state, then a fair behaviour from there; None if no such path goes on fairly.
    The paths come from one breadth-first search over (state, a P state seen yet), the
    not-Q states it ends at tried in the order found (the first usually goes on)."""
    n = len(graph)
    every = bytearray(b"\x01") * n
    p = _mask(graph, conds[0], every)
    bad = _mask(graph, conds[1], every, negate=True)
    if not any(p) or not any(bad):
        return None
    starts, targets = graph.starts, graph.targets
    seen, pred, order = [bytearray(n), bytearray(n)], {}, []
    frontier = []
    for v in range(graph.n_init):
        if not seen[p[v]][v]:
            seen[p[v]][v] = 1
            pred[(v, p[v])] = None
            frontier.append((v, p[v]))
    while frontier:
        order += [v for v, f in frontier if f and bad[v]]
        nxt = []
        for v, f in frontier:
            for e in range(starts[v], starts[v + 1]):
                w = targets[e]
                g = f or p[w]
                if not seen[g][w]:
                    seen[g][w] = 1
                    pred[(w, g)] = (v, f)
                    nxt.append((w, g))
        frontier = nxt
    for end in order:
        tail = fair_lasso(graph, fairness, prop, graph.expanded, [end])
        if tail is None:
            continue
        path, node = [], (end, 1)
        while node is not None:
            path.append(node[0])
            node = pred[node]
        path.reverse()
        skip = len(graph.path_from_init(end))     # fair_lasso's own way to `end`, replaced
        return Lasso(prop, path + tail.states[skip:], tail.loop - skip + len(path))
    return None


def _mask(graph, cond, among, negate=False) -> bytearray:
    """1 for the states v with among[v] where condition number `cond` holds (or fails,
    with negate), read from the marks the search left in the graph."""
    bits = graph.conditions.column(graph.state_marks, cond)
    among = np.frombuffer(among, np.uint8) != 0
    failed = among & ((bits & FAILED) != 0)
    if failed.any():
        raise _failed(graph, int(np.argmax(failed)), cond)
    return bytearray((among & (((bits & HOLDS) != 0) != negate)).view(np.uint8))


def _failed(graph, v, i, key=None, act=None) -> SpecFailure:
    """The SpecFailure of a condition marked failed in state v (conditions.failure),
    with the message its evaluation gives on the state rebuilt."""
    exc = graph.conditions.failure(graph.state(v), i, key, act)
    return SpecFailure(v, failure_message(exc, graph.model))


# ------------------------------------------------------------------ fairness

class Fairness:
    """The fairness groups of a spec on one graph: one group per declaration and value
    of its listed parameters. Knows which groups a step takes and which are enabled
    in a state."""

    def __init__(self, model, graph: StateGraph):
        self.graph = graph
        self.strong: list = []          # group id -> is it strong fairness
        ids: dict = {}
        when = graph.conditions.when
        # label id -> ([groups taken whatever the state], [(group, bit of its `when` in the step's marks)])
        self.by_label: list = []
        for act, picks in graph.label_keys:
            values = dict(picks[:len(model.checked.actions[act].params)])
            fixed, conditional = [], []
            for k, f in enumerate(model.fairness):
                if f.action.index != act:
                    continue
                key = tuple(values[p] for p in f.params)
                group = (f.group if f.group >= 0 else k, key)    # a `( A | B )` group: one for all
                g = ids.get(group)
                if g is None:
                    g = ids[group] = len(self.strong)
                    self.strong.append(f.kind == "strong")
                if model.fairness_condition(k) is None:
                    if g not in fixed:
                        fixed.append(g)
                else:
                    j = [entry[0] for entry in when[act]].index(k)
                    conditional.append((g, j, tuple(values[p] for p in f.cond_params)))
            self.by_label.append((fixed, conditional))
        self._enabled = self._unsure = None
        self._arrays = self._bits = None        # component_groups' tables, made on first use

    def _enabled_states(self):
        """(for each state: has it a step that changes the state and takes a fair group,
        has it a changing step whose `when` failed), over the whole graph at once."""
        fixed = np.array([bool(f) for f, _ in self.by_label] or [False])
        holds = np.array([sum(HOLDS << 2 * j for _, j, _ in c) for _, c in self.by_label] or [0], np.uint32)
        return self.graph.enabled_steps(fixed, holds)

    def taken(self, v, e) -> list:
        """The groups step e (from state v) belongs to."""
        return self._groups(v, self.graph.labels[e], self.graph.step_marks[e])

    def _groups(self, v, label, marks) -> list:
        """The groups a step from state v with this label id and these marks belongs to."""
        fixed, conditional = self.by_label[label]
        if not conditional:
            return fixed
        out = list(fixed)
        for g, j, key in conditional:
            bits = marks >> 2 * j
            if bits & FAILED:
                raise _failed(self.graph, v, j, key, self.graph.action_of(label))
            if bits & HOLDS:
                out.append(g)
        return out

    def outside(self, v):
        """The groups of each step from v to a state outside the constraints."""
        g = self.graph
        for e in g.outside_steps(v):
            yield self._groups(v, g.outside_labels[e], g.outside_marks[e])

    def enabled(self, v) -> set:
        """The groups with a step out of v that changes the state (to a state of the
        graph or outside the constraints)."""
        g = self.graph
        out = set()
        for e in g.steps(v):
            if g.targets[e] != v:
                out.update(self.taken(v, e))
        for groups in self.outside(v):
            out.update(groups)
        return out

    def component_groups(self, comp):
        """(enabled[k, g]: group g enabled in comp[k], taken[g]: g taken by a changing step
        inside comp) as numpy arrays; what enabled() and taken() give state by state, for
        a large component at once. None if a `when` failed on one of its changing steps
        (then the state-by-state code raises where it fails)."""
        found = self.components_groups([comp])
        return None if found is None else (found[0], found[1][0])

    def components_groups(self, comps):
        """component_groups for many components at once: (enabled for the states of all
        of them, one after the other; taken[i, g] for component i), or None."""
        g, n_groups = self.graph, len(self.strong)
        fixed, conds, failing, starts, targets, labels, marks, ostarts, olabels, omarks = self._tables()
        sizes = np.fromiter((len(c) for c in comps), np.int64, len(comps))
        vs = np.fromiter((v for c in comps for v in c), np.int64, int(sizes.sum()))
        if 0 < n_groups <= 64 and hasattr(g, "components_group_bits"):    # one pass, in C
            fixed_bits, cstart, cgroup, cmask = self._label_bits()
            found = g.components_group_bits(fixed_bits, cstart, cgroup, cmask, failing, vs, np.cumsum(sizes))
            if found is None:
                return None
            bit = np.uint64(1) << np.arange(n_groups, dtype=np.uint64)
            return (found[0][:, None] & bit) != 0, (found[1][:, None] & bit) != 0
        cid = np.repeat(np.arange(len(comps)), sizes)             # each state's component
        enabled = np.zeros((len(vs), max(n_groups, 1)), bool)
        taken = np.zeros((len(comps), max(n_groups, 1)), bool)
        comp_of = np.full(len(g), -1, np.int64)
        comp_of[vs] = cid
        for lo_of, lab_of, mk_of, tg_of in ((starts, labels, marks, targets), (ostarts, olabels, omarks, None)):
            lo, hi = lo_of[vs], lo_of[vs + 1]
            counts = hi - lo
            rows = np.repeat(np.arange(len(vs)), counts)
            edges = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
            lab, mk = lab_of[edges], mk_of[edges]
            if tg_of is None:                   # steps to states outside the constraints: all change it
                moving, inner = np.ones(len(edges), bool), np.zeros(len(edges), bool)
            else:
                tg = tg_of[edges]
                moving = tg != vs[rows]
                inner = moving & (comp_of[tg] == cid[rows])
            if (moving & ((mk & failing[lab]) != 0)).any():
                return None
            member = fixed[lab]
            for (grp, j), labs in conds.items():
                member[:, grp] |= labs[lab] & (((mk >> np.uint32(2 * j)) & np.uint32(HOLDS)) != 0)
            for grp in range(n_groups):
                on = moving & member[:, grp]
                if on.any():
                    enabled[rows[on], grp] = True
                    taken[cid[rows[on & inner]], grp] = True
        return enabled[:, :n_groups], taken[:, :n_groups]

    def _tables(self):
        """components_groups' tables, made on first use: per label, the groups its steps
        take whatever the marks, those they take when a `when` bit holds, the FAILED
        bits that raise; and the graph's arrays as numpy views."""
        if self._arrays is None:
            g, n_groups, labels = self.graph, len(self.strong), len(self.by_label)
            fixed = np.zeros((max(labels, 1), max(n_groups, 1)), bool)
            conds = {}                          # (group, j) -> labels whose steps take it when bit j holds
            for lab, (fx, conditional) in enumerate(self.by_label):
                fixed[lab, fx] = True
                for grp, j, _key in conditional:
                    conds.setdefault((grp, j), np.zeros(max(labels, 1), bool))[lab] = True
            failing = np.zeros(max(labels, 1), np.uint32)   # the FAILED bits that raise, per label
            for (grp, j), labs in conds.items():
                failing[labs] |= np.uint32(FAILED << 2 * j)
            self._arrays = (fixed, conds, failing,
                            np.frombuffer(g.starts, np.int64), np.frombuffer(g.targets, np.int32),
                            np.frombuffer(g.labels, np.int32), np.frombuffer(g.step_marks, np.uint32),
                            np.frombuffer(g.outside_starts, np.int64), np.frombuffer(g.outside_labels, np.int32),
                            np.frombuffer(g.outside_marks, np.uint32))
        return self._arrays

    def _label_bits(self):
        """The tables of _tables as bits, for a graph that judges components in C
        (at most 64 groups): per label, the groups its steps take whatever the marks
        (a uint64), and its conditional groups: cgroup[i] when marks & cmask[i], for i
        in cstart[label]..cstart[label + 1]."""
        if self._bits is None:
            fixed_bits = np.array([sum(1 << grp for grp in set(fx)) for fx, _ in self.by_label] or [0], np.uint64)
            cstart, cgroup, cmask = [0], [], []
            for _fx, conditional in self.by_label:
                for grp, j, _key in conditional:
                    cgroup.append(grp)
                    cmask.append(HOLDS << 2 * j)
                cstart.append(len(cgroup))
            self._bits = (fixed_bits, np.array(cstart, np.int64), np.array(cgroup or [0], np.int32),
                          np.array(cmask or [0], np.uint32))
        return self._bits

    def prepare(self) -> None:
        """Makes the tables the methods below make on first use (before threads share them)."""
        self.enabled_arrays()
        self._tables()
        self._label_bits()

    def enabled_arrays(self):
        """(for each state: has it a step that changes the state and takes a fair group,
        has it a changing step whose `when` failed), as numpy arrays."""
        if self._enabled is None:
            self._enabled, self._unsure = self._enabled_states()
        return self._enabled, self._unsure

    def any_enabled(self, v) -> bool:
        """enabled(v) != set(), stopping at the first group found. Read from arrays
        computed for every state at once, but where a `when` failed on a step of v:
        there it is evaluated step by step, to fail where it did."""
        self.enabled_arrays()
        if not self._unsure[v]:
            return bool(self._enabled[v])
        g = self.graph
        for e in g.steps(v):
            if g.targets[e] != v:
                fixed, conditional = self.by_label[g.labels[e]]
                if fixed or (conditional and self.taken(v, e)):
                    return True
        return any(self.outside(v))


# ------------------------------------------------------------------ fair cycles

def fair_lasso(graph, fairness, prop, region, sources, accept=None) -> Lasso | None:
    """A lasso entering `region` at one of `sources` (None: anywhere) and then cycling
    fairly inside it (through `accept` if given); None if there is none."""
    starts, targets = graph.starts, graph.targets
    inside = region if sources is None else graph.reach(starts, targets, sources, region)
    fair_nodes: dict = {}                      # state -> its fair component (a list)

    def on_component(comp):
        for part in fair_parts(graph, fairness, comp, accept):
            for v in part:
                fair_nodes[v] = part

    # a single state is a fair part when no fair group is enabled there (fair_parts);
    # judged together from arrays, but where a `when` failed (judged in order, to fail there)
    enabled, unsure = fairness.enabled_arrays()
    singles, acyclic = array("i"), np.empty(0, np.int64)     # single states: Tarjan's, then the acyclic
    judged = bytearray(np.logical_not(unsure).view(np.uint8))
    comps: list = []
    if unsure.any() or not getattr(graph, "concurrent", False):
        # in Tarjan's order (to fail where state by state fails), or on a graph whose
        # decompositions are Python's, where the whole graph's one would cost more
        graph.components(starts, targets, inside, comps.append, (judged, singles))
    else:
        # a component of the region lies inside one of the whole graph: only the states
        # of the whole graph's cyclic components (found once, in C) are decomposed again;
        # the others are single states (the fair parts found do not depend on the order
        # components come in)
        within = np.frombuffer(inside, np.uint8) != 0
        cyclic = graph.cyclic()
        graph.components(starts, targets, bytearray((within & cyclic).view(np.uint8)), comps.append,
                         (judged, singles))
        acyclic = np.flatnonzero(within & ~cyclic)
    for comp in _judge_components(graph, fairness, comps, accept):
        on_component(comp)
    for single in (np.frombuffer(singles, np.int32), acyclic):
        fair = ~enabled[single]
        if accept is not None:
            fair &= np.frombuffer(accept, np.uint8)[single] != 0
        for v in single[fair].tolist():
            fair_nodes[v] = [v]
    if not fair_nodes:
        return None
    path = _way_in(graph, inside, sources, fair_nodes)
    entry = path[-1]
    cycle = fair_cycle(graph, fairness, entry, fair_nodes[entry], accept)
    states = path + cycle[1:]
    return Lasso(prop, states, len(path) - 1)


def _judge_components(graph, fairness, comps, accept):
    """The components (in order) whose fair parts fair_parts must still find: those of
    several states are first judged all at once from arrays (components_groups), and a
    component with no fair cycle (a weak group enabled throughout and never taken) is
    dropped, one whose every enabled strong group is taken is its own fair part (given
    whole, so fair_parts keeps it at once); only the rest (strong groups enabled and
    never taken: states to remove) go through fair_parts' decomposition. If a `when`
    failed anywhere among them, every component goes through fair_parts in order, to
    fail where the state-by-state check fails."""
    multi = [c for c in comps if len(c) > 1]
    found = fairness.components_groups(multi) if multi else None
    if found is None:
        yield from comps
        return
    enabled, taken = found
    sizes = np.fromiter((len(c) for c in multi), np.int64, len(multi))
    offsets = np.cumsum(sizes) - sizes
    strong = np.array(fairness.strong, bool)
    always = np.logical_and.reduceat(enabled, offsets, axis=0) if enabled.shape[1] else np.zeros((len(multi), 0), bool)
    anywhere = np.logical_or.reduceat(enabled, offsets, axis=0) if enabled.shape[1] else always
    starved = (always & ~strong & ~taken).any(axis=1)
    untaken = (anywhere & strong & ~taken).any(axis=1)
    if accept is not None:
        acc = np.frombuffer(accept, np.uint8)
        vs = np.fromiter((v for c in multi for v in c), np.int64, int(sizes.sum()))
        starved |= np.logical_or.reduceat(acc[vs] != 0, offsets) == 0
    verdict = iter(zip(starved.tolist(), untaken.tolist()))
    for comp in comps:
        if len(comp) == 1:
            yield comp
            continue
        no_cycle, split = next(verdict)
        if no_cycle:
            continue
        yield comp if split else _Whole(comp)


class _Whole(list):
    """A component already judged to be its own fair part (see _judge_components)."""


def fair_parts(graph, fairness, comp, accept) -> list:
    """The parts of one strongly connected component that hold a fair cycle: the
    component itself, nothing, or (strong fairness) components of what is left after
    removing the states where an untaken strong group is enabled."""
    if isinstance(comp, _Whole):
        return [list(comp)]
    if len(comp) == 1:                          # the common case: stutter, or nothing
        v = comp[0]
        ok = (accept is None or accept[v]) and not fairness.any_enabled(v)
        return [comp] if ok else []
    out, work = [], [comp]
    while work:
        c = work.pop()
        if accept is not None and not any(accept[v] for v in c):
            continue
        if len(c) >= LARGE_COMPONENT:
            found = fairness.component_groups(c)
            if found is not None:               # None: a `when` failed in c, judged below to fail there
                _judge_large(fairness, c, *found, out, work, graph)
                continue
        enabled, taken = _groups_in(graph, fairness, c)
        always = set.intersection(*enabled.values())
        if any(not fairness.strong[g] and g not in taken for g in always):
            continue                            # a weak group enabled throughout, never taken
        untaken = {g for v in c for g in enabled[v] if fairness.strong[g] and g not in taken}
        if not untaken:
            out.append(c)
            continue
        rest = [v for v in c if not enabled[v] & untaken]
        work.extend(_components(graph, rest))
    return out


LARGE_COMPONENT = 512        # components from this size on are judged with arrays (component_groups)


def _judge_large(fairness, c, enabled, taken, out, work, graph):
    """fair_parts' step for one large component from its arrays: enabled[k, g] (group g
    enabled in c[k]) and taken[g]; the same decision as the set-based code below."""
    strong = np.array(fairness.strong or [False], bool)[:enabled.shape[1]]
    always = enabled.all(axis=0)
    if (always & ~strong & ~taken).any():
        return                                  # a weak group enabled throughout, never taken
    untaken = enabled.any(axis=0) & strong & ~taken
    if not untaken.any():
        out.append(c)
        return
    keep = ~enabled[:, untaken].any(axis=1)
    rest = [v for v, k in zip(c, keep.tolist()) if k]
    work.extend(_components(graph, rest))


def _groups_in(graph, fairness, comp):
    """({state: groups enabled there}, groups taken by steps inside comp)."""
    members = set(comp)
    enabled = {v: fairness.enabled(v) for v in comp}
    taken = set()
    for v in comp:
        for e in graph.steps(v):
            w = graph.targets[e]
            if w != v and w in members:
                taken.update(fairness.taken(v, e))
    return enabled, taken


def _components(graph, nodes) -> list:
    """Strongly connected components of the subgraph on `nodes` (renumbered locally)."""
    local = {v: k for k, v in enumerate(nodes)}
    starts, targets = array("q", [0]), array("i")
    for v in nodes:
        for e in graph.steps(v):
            k = local.get(graph.targets[e])
            if k is not None:
                targets.append(k)
        starts.append(len(targets))
    out = []
    graph.components(starts, targets, b"\x01" * len(nodes), lambda comp: out.append([nodes[k] for k in comp]))
    return out


def _way_in(graph, inside, sources, fair_nodes) -> list:
    """State numbers of a shortest behaviour prefix that reaches a source and goes on
    inside the region to a state of a fair component (which it ends with)."""
    if sources is None:                         # numbers grow with depth: the first is nearest
        return graph.path_from_init(min(fair_nodes))
    depth = graph.depths()
    pred: dict = {}
    frontier: list = []
    k = 0
    level = depth[sources[0]]
    while True:
        # sources join the search at their own depth: the prefix to a source is its
        # shortest path from an initial state
        while k < len(sources) and depth[sources[k]] <= level:
            s = int(sources[k])
            k += 1
            if s not in pred:
                pred[s] = -1
                frontier.append(s)
        hits = [v for v in frontier if v in fair_nodes]
        if hits:
            break
        nxt = []
        for v in frontier:
            for e in graph.steps(v):
                w = graph.targets[e]
                if inside[w] and w not in pred:
                    pred[w] = v
                    nxt.append(w)
        frontier = nxt
        level += 1
    path = [min(hits)]
    while pred[path[-1]] >= 0:
        path.append(pred[path[-1]])
    path.reverse()
    return graph.path_from_init(path[0]) + path[1:]


def fair_cycle(graph, fairness, entry, comp, accept=None) -> list:
    """A closed walk [entry, ..., entry] inside comp that satisfies every fairness
    group: it takes each group enabled in every state of comp (and each strong group
    enabled anywhere in it), visits a state where each other enabled group is
    disabled, and an accepting state if `accept` is given. [entry] alone means the
    behaviour stutters in entry forever (nothing fair is enabled there)."""
    members = set(comp)
    enabled = {v: fairness.enabled(v) for v in comp}
    always = set.intersection(*enabled.values())
    somewhere = set().union(*enabled.values())
    take = {g for g in somewhere if g in always or fairness.strong[g]}
    avoid = somewhere - take                    # satisfied by a state where g is disabled
    need_accept = accept is not None

    def arrive(v):
        nonlocal need_accept
        avoid.intersection_update(enabled[v])
        if need_accept and accept[v]:
            need_accept = False

    def step(v, e):
        done = set(fairness.taken(v, e))
        take.difference_update(done)
        avoid.difference_update(done)

    def useful(v):
        """An internal step out of v that meets a pending obligation, True if v itself
        does, or None."""
        if avoid - enabled[v] or need_accept and accept[v]:
            return True
        for e in graph.steps(v):
            w = graph.targets[e]
            if w != v and w in members and set(fairness.taken(v, e)) & (take | avoid):
                return e
        return None

    walk = [entry]
    arrive(entry)
    while take or avoid or need_accept:
        path, how = _bfs_inside(graph, members, walk[-1], useful)
        for b, e in path:
            step(walk[-1], e)
            arrive(b)
            walk.append(b)
        if how is not True:                     # take the step that meets an obligation
            a, b = walk[-1], graph.targets[how]
            step(a, how)
            arrive(b)
            walk.append(b)
    if len(walk) > 1:
        if walk[-1] != entry:
            path, _ = _bfs_inside(graph, members, walk[-1], lambda v: True if v == entry else None)
            walk.extend(b for b, _ in path)
        walk.pop()                              # the last step goes back to entry
    return walk


def _bfs_inside(graph, members, start, goal):
    """Shortest path inside `members` from start to the first state v for which
    goal(v) is not None: ([(state, step index that reaches it), ...], goal(v))."""
    found = goal(start)
    if found is not None:
        return [], found
    pred = {start: None}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for e in graph.steps(v):
                w = graph.targets[e]
                if w in members and w not in pred:
                    pred[w] = (v, e)
                    found = goal(w)
                    if found is not None:
                        path = []
                        while pred[w] is not None:
                            path.append((w, pred[w][1]))
                            w = pred[w][0]
                        path.reverse()
                        return path, found
                    nxt.append(w)
        frontier = nxt
    raise AssertionError("a strongly connected component must be connected")  # pragma: no cover


# ------------------------------------------------------------------ the lasso as a trace

def lasso_trace(model, graph, lasso: Lasso):
    """(trace [Step], the Step closing the cycle) for a lasso: each step labelled with
    an action that takes it; the closing step is a stutter or an action that changes
    nothing when the cycle is one state."""
    states = _path_states(model, graph, lasso.states)
    trace = label_trace(model, states)          # every step of a path is some action's
    closing = labelled_step(model, states[-1], states[lasso.loop], unlabelled=None)
    return trace, closing


def _path_states(model, graph, path) -> list:
    """The states of a path of the graph (state numbers, each a step from the one
    before): kept ones, or rebuilt, the first along its parent links, each next one as
    the successor with its fingerprint."""
    if graph.states is not None:
        return [graph.states[v] for v in path]
    states = [graph.state(path[0])]
    fps = graph.visited.fps
    for v in path[1:]:
        states.append(next(t for t in model.successors(states[-1]) if fingerprint(t, model.hash_apart) == fps[v]))
    return states


def conjunct_text(prop, c) -> str:
    """`its conjunct 2 (P => eventually Q, line 7)`: which conjunct a lasso violates."""
    from checker.lang.typecheck import TEMPORAL_FORMS
    form, _parts, pos = prop.temporal.conjuncts[c]
    return f"its conjunct {c + 1} of {len(prop.temporal.conjuncts)} ({TEMPORAL_FORMS[form]}" \
           + (f", line {pos[0]})" if pos else ")")


def lasso_breaks(form, holds, loop) -> bool:
    """Does the lasso whose states' conditions are `holds` ([[P, Q...]] per state;
    holds[loop:] repeat) violate a property of this form?"""
    cycle = range(loop, len(holds))
    if form == "eventually":
        return not any(h[0] for h in holds)
    if form == "always_eventually":
        return not any(holds[i][0] for i in cycle)
    if form == "eventually_always":
        return not all(holds[i][0] for i in cycle)
    if form == "implies_eventually":
        return holds[0][0] and not any(h[1] for h in holds)
    if form == "stable":                        # after a P state, every state is Q
        return any(h[0] and not all(x[1] for x in holds[min(i, loop):]) for i, h in enumerate(holds))
    return any(h[0] and not h[1] and not any(x[1] for x in holds[min(i, loop):])    # P leads_to Q
               for i, h in enumerate(holds))


# ------------------------------------------------------------------ judging a given lasso

def lasso_violation(model, prop, states, loop, labels, closing):
    """Whether one given lasso is a fair behaviour that violates temporal property
    `prop` (a replayed trace: replay.py). `states` are the lasso's states, states[loop:]
    repeating; labels[i] is the (action index, picks) of the step into states[i]
    (labels[0] unused); `closing` that of the step from the last state back to
    states[loop], None for a stutter. The fairness judging is the search's own
    (Fairness, on a graph of the lasso's states and all their steps). Returns the
    `forall` binding of a violated instance (() without binders), or None."""
    graph, number = _lasso_graph(model, states)
    fairness = Fairness(model, graph)
    cycle = list(range(loop, len(states)))
    taken = set()
    for i in cycle:
        j, label = (i + 1, labels[i + 1]) if i + 1 < len(states) else (loop, closing)
        a, b = number[states[i]], number[states[j]]
        if label is None or a == b:
            continue                            # a stutter or a step that changes nothing
        for e in graph.steps(a):
            if graph.targets[e] == b and graph.label_keys[graph.labels[e]] == label:
                taken.update(fairness.taken(a, e))
                break
    enabled = [fairness.enabled(number[states[i]]) for i in cycle]
    unfair = any(g not in taken for g in set.intersection(*enabled)) or \
        any(fairness.strong[g] and g not in taken for g in set().union(*enabled))
    if unfair:
        return None
    for bound, conds in model.temporal_instances(prop):
        holds = [[bool(c(s)) for c in conds] for s in states]
        if any(lasso_breaks(form, [[h[j] for j in parts] for h in holds], loop)
               for form, parts, _pos in prop.temporal.conjuncts):
            return bound
    return None


def _lasso_graph(model, states):
    """A StateGraph holding the lasso's states (expanded, numbered first) and every
    step out of them (their other successors are numbered after, not expanded)."""
    graph = StateGraph(model)
    number: dict = {}
    for s in states:
        number.setdefault(s, len(number))
    graph.states = list(number)
    graph.parent = array("q", [-1] * len(graph.states))
    graph.n_init = 1
    conditions = graph.conditions
    for v in range(len(graph.states)):          # the lasso's own states, fixed before the loop
        s = graph.states[v]
        succ = model.labelled_successors(s)
        for _, _, t in succ:
            k = number.setdefault(t, len(number))
            if k == len(graph.states):
                graph.states.append(t)
                graph.parent.append(v)
            graph.targets.append(k)
        graph.close_state(succ, conditions.state_marks(s),
                          [conditions.step_marks(s, act, picks) for act, picks, _ in succ])
    for _ in range(len(graph.expanded), len(graph.states)):
        graph.skip_state()
    return graph, number
