"""The explored state graph, stored compactly by the engine, and its networkx view.

The engine numbers states in the order it finds them: breadth-first, so a state
never has a smaller number than a shallower one, and `parent` gives a shortest
path back to an initial state. When asked to record the graph (`bfs(model,
graph=StateGraph(model))`), it also keeps every step it generated, in arrays:
state i's steps are `targets[starts[i]:starts[i+1]]` (successor numbers) with
`labels` beside them (an index into `label_keys`: the action and its parameters
and choices). Self-loops are kept. A state the search did not expand (it stopped
first, or the graph of a replayed lasso) has `expanded[i] == 0` and no steps.

States outside the state constraints are not in the graph, as in TLC's liveness
graph: the search never stores them, and a step to one is not a step of the graph.
Such steps are kept apart, only for fairness (`outside_labels`, `outside_marks`,
state i's being `outside_starts[i]:outside_starts[i+1]`): a fairness group whose
action has a step from state i to a state outside the constraints is enabled in i,
as TLC evaluates ENABLED on the spec, not on the constrained graph (so a behaviour
that would stutter at the edge of the constraints while a fair action can still
leave is unfair, not a counterexample). --coverage counts them as steps too (TLC
counts every successor an action generates).

The graph keeps each state's and step's *marks* too: the conditions the liveness
check reads, evaluated by the engine where the state was (checker/engine/conditions.py).
So it need not keep the states: `StateGraph(model, keep_states=False)`, as the
liveness check records it, holds none, and `state(i)` rebuilds one from the parent
links when asked; `--graph FILE` keeps them, to write them.

That costs 12 bytes a step and 9 a state, plus the marks and (if kept) the states. A
networkx DiGraph costs over 1 KB a state (10x the engine's whole store, see
shared/reference/checker-conventions.md §4), so the DiGraph is built only on
request (`to_networkx`, `--graph`), for the whole graph or a chosen set of states;
the algorithms that must run on millions of states (strongly connected components,
reachability) run here on the arrays instead, and the tests check them against
networkx's.

States are whatever the engine stored. If a canonicalisation function (symmetry
reduction) is added to the engine later, states here will be representatives and
the steps between them exist only up to a permutation; whoever turns a path of this
graph into a trace (liveness.lasso, explore.build_trace) must then map it back.
"""
from __future__ import annotations

from array import array

import numpy as np

# --graph refuses graphs larger than this unless --graph-limit says otherwise
DEFAULT_GRAPH_LIMIT = 100_000


class StateGraph:
    """Every explored state and step of one search (see the module docstring)."""

    def __init__(self, model, keep_states=True):
        self.model = model
        # set by the engine: its own list (not a copy); None if the states are not
        # kept, when only the liveness check needs the graph (see conditions.py)
        self.states: list | None = [] if keep_states else None
        self.parent = array("q")        # set by the engine
        self.visited = None             # set by the engine: its fingerprints, to rebuild states
        self.n_init = 0                 # initial states are numbers 0 .. n_init-1
        self.starts = array("q", [0])
        self.targets = array("i")
        self.labels = array("i")
        self.label_keys: list = []      # label id -> (action index, ((name, value), ...))
        self._label_ids: dict = {}
        self.expanded = bytearray()
        self._conditions = None
        self.state_marks = bytearray()  # conditions.Conditions.state_marks of each state
        self.step_marks = array("I")    # conditions.Conditions.step_marks of each step
        # the steps to states outside the constraints (see the module docstring)
        self.outside_starts = array("q", [0])
        self.outside_labels = array("i")
        self.outside_marks = array("I")
        self._cyclic = None

    @property
    def conditions(self):
        """The conditions the liveness check reads, evaluated on every expanded state."""
        if self._conditions is None:
            from .conditions import Conditions
            self._conditions = Conditions(self.model)
        return self._conditions

    # ---- filled by the engine, one call per state in number order

    def close_state(self, steps, state_marks, step_marks, outside=(), outside_marks=()) -> None:
        """The state's steps (action, picks, successor) are done; their successor
        numbers were appended to `targets` in the same order. `outside`: its steps
        to states outside the constraints (action, picks, successor), with their
        marks."""
        label_id, add = self.label_id, self.labels.append
        for act, picks, _ in steps:
            add(label_id((act, picks)))
        self.starts.append(len(self.targets))
        self.expanded.append(1)
        self.state_marks += state_marks
        self.step_marks.extend(step_marks)
        for act, picks, _ in outside:
            self.outside_labels.append(label_id((act, picks)))
        self.outside_marks.extend(outside_marks)
        self.outside_starts.append(len(self.outside_labels))

    def close_states(self, targets, labels, counts, expanded, state_marks, step_marks,
                     outside=None) -> None:
        """Several states' steps at once: `targets` and `labels` (label ids) of all their
        steps in order, `counts` steps per state, `expanded` 1 or 0 per state, and the
        states' and steps' marks (bytes and an int32 array); `outside`: (label ids,
        counts per state, marks) of their steps to states outside the constraints."""
        self.targets.frombytes(targets.astype("int32").tobytes())
        self.labels.frombytes(labels.astype("int32").tobytes())
        ends = np.cumsum(np.asarray(counts, np.int64)) + self.starts[-1]
        self.starts.frombytes(ends.tobytes())
        self.expanded.extend(expanded)
        self.state_marks += state_marks
        self.step_marks.frombytes(step_marks.astype("uint32").tobytes())
        if outside is None:
            ends = np.full(len(counts), self.outside_starts[-1], np.int64)
        else:
            labels, counts, marks = outside
            self.outside_labels.frombytes(labels.astype("int32").tobytes())
            self.outside_marks.frombytes(marks.astype("uint32").tobytes())
            ends = np.cumsum(np.asarray(counts, np.int64)) + self.outside_starts[-1]
        self.outside_starts.frombytes(ends.astype(np.int64).tobytes())

    def label_id(self, key) -> int:
        """The id of a label (action index, picks), made on first use."""
        lid = self._label_ids.get(key)
        if lid is None:
            lid = self._label_ids[key] = len(self.label_keys)
            self.label_keys.append(key)
        return lid

    def skip_state(self) -> None:
        """The state is not expanded: it has no steps."""
        self.starts.append(len(self.targets))
        self.outside_starts.append(len(self.outside_labels))
        self.expanded.append(0)
        self.state_marks += self.conditions.blank

    # ---- the graph algorithms the liveness check runs on it (a subclass may run them
    # elsewhere: the native backend's, in C)

    def components(self, starts, targets, inside, on_component, singles=None) -> int:
        """strongly_connected(...) on these arrays (this graph's, or a part renumbered)."""
        return strongly_connected(starts, targets, inside, on_component, singles)

    def reach(self, starts, targets, sources, inside) -> bytearray:
        """reachable(...) on these arrays."""
        return reachable(starts, targets, sources, inside)

    def cyclic(self):
        """For each state: does it lie in a strongly connected component of several
        states (numpy bool array; made once). A component of a part of the graph lies
        inside one of the whole graph, so the liveness check decomposes only these."""
        if self._cyclic is None:
            n = len(self)
            cyclic = np.zeros(n, bool)

            def mark(comp):
                cyclic[comp] = True
            every = b"\x01" * n
            self.components(self.starts, self.targets, every, mark, (every, array("i")))
            self._cyclic = cyclic
        return self._cyclic

    def enabled_steps(self, fixed, holds):
        """(for each state: has it a step that changes the state with fixed[label] or
        marks & holds[label], has it a changing step with marks & holds[label] << 1), as
        numpy bool arrays; steps to states outside the constraints count as changing.
        liveness.Fairness reads the fair groups enabled in each state from it."""
        n = len(self)
        targets = np.frombuffer(self.targets, np.int32)
        labels = np.frombuffer(self.labels, np.int32)
        marks = np.frombuffer(self.step_marks, np.uint32)
        sources = np.repeat(np.arange(n, dtype=np.int32), np.diff(np.frombuffer(self.starts, np.int64)))
        moving = targets != sources
        enabled = moving & (fixed[labels] | ((marks & holds[labels]) != 0))
        failed = moving & ((marks & (holds[labels] << 1)) != 0)
        enabled, failed = sources[enabled], sources[failed]
        if len(self.outside_labels):    # steps to states outside the constraints: all moving
            labels = np.frombuffer(self.outside_labels, np.int32)
            marks = np.frombuffer(self.outside_marks, np.uint32)
            sources = np.repeat(np.arange(n, dtype=np.int32),
                                np.diff(np.frombuffer(self.outside_starts, np.int64)))
            enabled = np.concatenate([enabled, sources[fixed[labels] | ((marks & holds[labels]) != 0)]])
            failed = np.concatenate([failed, sources[(marks & (holds[labels] << 1)) != 0]])
        return (np.bincount(enabled, minlength=n) > 0,
                np.bincount(failed, minlength=n) > 0)

    # ---- reading it

    def __len__(self) -> int:
        return len(self.expanded)

    def state(self, i) -> tuple:
        """State i: kept, or rebuilt by running the spec along the parent links."""
        if self.states is not None:
            return self.states[i]
        from .explore import replay_states
        return replay_states(self.model, self.visited.fps, self.parent, i)[-1]

    def trace_to(self, i) -> list:
        """A shortest trace from an initial state to state i ([explore.Step])."""
        from .explore import build_trace, replay_trace
        if self.states is not None:
            return build_trace(self.model, self.states, self.parent, i)
        return replay_trace(self.model, self.visited.fps, self.parent, i)

    @property
    def edge_count(self) -> int:
        return len(self.targets)

    def steps(self, i) -> range:
        """Indices into targets/labels of state i's steps."""
        return range(self.starts[i], self.starts[i + 1])

    def outside_steps(self, i) -> range:
        """Indices into outside_labels/outside_marks of state i's steps to states
        outside the constraints."""
        return range(self.outside_starts[i], self.outside_starts[i + 1])

    def action_of(self, label_id) -> int:
        return self.label_keys[label_id][0]

    def label_text(self, label_id) -> str:
        """`Action(p=v, ...)`, as traces print it."""
        from .outcome import Step, step_title
        act, picks = self.label_keys[label_id]
        return step_title(self.model, Step(self.model.action_names[act], picks, ()))

    def depths(self) -> array:
        """BFS depth of every state (initial states: 1)."""
        depth = array("i", bytes(4 * len(self)))
        parent = self.parent
        for i in range(len(self)):
            p = parent[i]
            depth[i] = 1 if p < 0 else depth[p] + 1
        return depth

    def path_from_init(self, i) -> list:
        """State numbers of a shortest path from an initial state to i."""
        path = []
        while i >= 0:
            path.append(i)
            i = self.parent[i]
        path.reverse()
        return path

    # ---- networkx

    def to_networkx(self, nodes=None):
        """A networkx DiGraph of the states (all, or the numbers in `nodes`) and the
        steps between them. Node attributes: `label` (the state, one variable a line),
        `initial`, `expanded`, and each variable's value as text; edge attributes:
        `label` (the action instances that take the step, one a line) and `action`
        (their action names, comma-separated)."""
        import networkx as nx

        from checker.lang.values import show
        model = self.model
        chosen = range(len(self)) if nodes is None else sorted(set(nodes))
        keep = None if nodes is None else set(chosen)
        g = nx.DiGraph(name=model.name)
        for i in chosen:
            values = {name: show(v, t) for name, t, v in
                      zip(model.var_names, model.var_types, model.export_state(self.state(i)))}
            g.add_node(i, label="\n".join(f"{k} = {v}" for k, v in values.items()),
                       initial=i < self.n_init, expanded=bool(self.expanded[i]),
                       **{f"var_{k}": v for k, v in values.items()})
        for i in chosen:
            for e in self.steps(i):
                j = self.targets[e]
                if keep is not None and j not in keep:
                    continue
                text = self.label_text(self.labels[e])
                name = model.action_names[self.action_of(self.labels[e])]
                if g.has_edge(i, j):
                    data = g.edges[i, j]
                    if text not in data["label"].split("\n"):
                        data["label"] += "\n" + text
                    if name not in data["action"].split(","):
                        data["action"] += "," + name
                else:
                    g.add_edge(i, j, label=text, action=name)
        return g


def strongly_connected(starts, targets, inside, on_component, singles=None) -> int:
    """Tarjan's algorithm, iterative, on a graph in arrays (state v's successors are
    targets[starts[v]:starts[v+1]]) restricted to the vertices v with inside[v] true.
    Calls on_component(list of vertices) for each strongly connected component, in
    reverse topological order; returns how many there were. Every stack is an array
    of machine integers: the depth-first path can hold millions of states.
    `singles`: (mask, out): a component of one vertex v with mask[v] is appended to
    the array `out` instead (most components of a state graph are single states,
    which the caller then judges all at once)."""
    batch, out = singles if singles is not None else (bytes(len(starts) - 1), None)
    n = len(starts) - 1
    index = array("i", [-1]) * n
    low = array("i", bytes(4 * n))
    on_stack = bytearray(n)
    stack = array("i")                   # Tarjan's stack of visited, unassigned vertices
    path_v, path_e = array("i"), array("q")   # the DFS path: vertex, next step to look at
    counter = components = 0
    for root in range(n):
        if not inside[root] or index[root] >= 0:
            continue
        w = root
        while True:
            if w >= 0:                               # enter w (inline: millions of calls)
                index[w] = low[w] = counter
                counter += 1
                stack.append(w)
                on_stack[w] = 1
                path_v.append(w)
                path_e.append(starts[w])
                w = -1
            if not path_v:
                break
            v, e = path_v[-1], path_e[-1]
            end = starts[v + 1]
            while e < end:
                t = targets[e]
                e += 1
                if not inside[t]:
                    continue
                if index[t] < 0:                     # descend into t
                    path_e[-1] = e
                    w = t
                    break
                if on_stack[t] and index[t] < low[v]:
                    low[v] = index[t]
            else:                                    # every successor of v is done
                path_v.pop()
                path_e.pop()
                if low[v] == index[v]:
                    components += 1
                    if stack[-1] == v and batch[v]:
                        stack.pop()
                        on_stack[v] = 0
                        out.append(v)
                    else:
                        comp = []
                        while True:
                            t = stack.pop()
                            on_stack[t] = 0
                            comp.append(t)
                            if t == v:
                                break
                        on_component(comp)
                if path_v:
                    u = path_v[-1]
                    if low[v] < low[u]:
                        low[u] = low[v]
    return components


def reachable(starts, targets, sources, inside) -> bytearray:
    """The vertices reachable from `sources` (inside ones only) through inside vertices."""
    seen = bytearray(len(starts) - 1)
    todo = [v for v in sources if inside[v]]
    for v in todo:
        seen[v] = 1
    while todo:
        v = todo.pop()
        for e in range(starts[v], starts[v + 1]):
            w = targets[e]
            if inside[w] and not seen[w]:
                seen[w] = 1
                todo.append(w)
    return seen


def reversed_arrays(starts, targets):
    """The same graph with every step reversed, in the same array form."""
    n = len(starts) - 1
    count = array("q", bytes(8 * (n + 1)))
    for w in targets:
        count[w + 1] += 1
    for v in range(n):
        count[v + 1] += count[v]
    rstarts = array("q", count)
    rtargets = array("i", bytes(4 * len(targets)))
    fill = count
    for v in range(n):
        for e in range(starts[v], starts[v + 1]):
            w = targets[e]
            rtargets[fill[w]] = v
            fill[w] += 1
    return rstarts, rtargets


def graph_facts(graph: StateGraph) -> dict:
    """What a spec author wants to know about the whole graph: how many strongly
    connected components it has, how many states have no way back to an initial state,
    and TLC's coverage: per action, the steps it took and the new states it found."""
    n = len(graph)
    everything = b"\x01" * n
    sccs = strongly_connected(graph.starts, graph.targets, everything, lambda comp: None)
    rstarts, rtargets = reversed_arrays(graph.starts, graph.targets)
    back = reachable(rstarts, rtargets, range(graph.n_init), everything)
    steps = [0] * len(graph.model.action_names)
    found = [0] * len(graph.model.action_names)
    first = bytearray(n)
    first[:graph.n_init] = b"\x01" * graph.n_init
    for e, (w, lid) in enumerate(zip(graph.targets, graph.labels)):
        act = graph.label_keys[lid][0]
        steps[act] += 1
        if not first[w]:          # the first step to reach w is the one that found it
            first[w] = 1
            found[act] += 1
    for lid in graph.outside_labels:     # steps to states outside the constraints
        steps[graph.label_keys[lid][0]] += 1
    return {"sccs": sccs, "no_way_back": n - sum(back),
            "coverage": {name: {"steps": steps[k], "distinct": found[k]}
                         for k, name in enumerate(graph.model.action_names)}}
