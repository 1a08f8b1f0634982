"""Search for a behaviour of the spec that explains a recording (trace validation).

The search keeps the set of (spec state, identity maps) that explain the events so
far. For each observed step it first closes the set under internal steps (those the
recording cannot show, mapping.INTERNAL), breadth-first and bounded, then keeps the
successors by the observed action that the pattern accepts. The recording conforms
if the set never becomes empty; otherwise the first event that empties it is the
discrepancy, reported with the spec states that were reachable just before it.
Client ids are mapped to spec consumers by every permutation in turn (the spec
orders members by consumer, Kafka by member id), the first that conforms wins.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import itertools
import time

from checker.lang.values import to_plain

from .mapping import INTERNAL, UNSEEN_JOIN_ERRORS, UNSEEN_WITH_THE_COORDINATOR, Maps, observations

MAX_INTERNAL_STEPS = 40        # unobserved steps between two observed ones
MAX_NODES = 200_000            # states one closure may hold


@dataclass
class Verdict:
    conforms: bool
    observations: int                 # how many observations the recording has
    explained: int                    # how many the best mapping explained
    label: dict                       # client id -> spec consumer, of the best mapping
    failed: object = None             # the Observation not explained
    pattern: object = None            # ... and the pattern of it that failed
    before: list = field(default_factory=list)     # plain states the spec could be in just before it
    witness: list = field(default_factory=list)    # [(step text, plain state)] from an initial state
    incomplete: str | None = None     # a bound stopped the search before a verdict
    states: int = 0                   # (state, maps) pairs visited
    elapsed: float = 0.0


class Search:
    """One search, for one mapping of client ids to spec consumers."""

    def __init__(self, model, meta, events, label, max_internal, max_nodes):
        self.model, self.label = model, label
        self.max_internal, self.max_nodes = max_internal, max_nodes
        heartbeat = model.function("heartbeatError")
        self.heartbeat = lambda c, st: heartbeat(c, **st)
        self.obs = observations(meta, events, self.heartbeat, label)
        self.views = {}
        self.parents = {}
        self.types = model.action_params

    def view(self, s):
        v = self.views.get(s)
        if v is None:
            v = self.views[s] = self.model.plain(s)
        return v

    def steps(self, s):
        for act, picks, t in self.model.labelled_successors(s):
            types = self.types.get(act, {})
            yield self.model.action_names[act], {n: to_plain(v, types[n]) for n, v in picks}, t

    def internal(self, name, params, s, started):
        if name in INTERNAL:
            return name != "SendJoinGroup" or params["c"] in started
        if name in UNSEEN_WITH_THE_COORDINATOR:
            view, c = self.view(s), params["c"]
            error = self.heartbeat(c, view) if name == "SendHeartbeat" else view["toClient"][c]["error"]
            if error == "NOT_COORDINATOR":
                return True
        return name == "ReceiveJoinGroup" and self.view(s)["toClient"][params["c"]]["error"] in UNSEEN_JOIN_ERRORS

    def closure(self, frontier, started):
        seen = dict.fromkeys(frontier)
        layer = list(frontier)
        for _ in range(self.max_internal):
            nxt = []
            for node in layer:
                s, maps = node
                if self.model.check_constraints is not None and self.model.check_constraints(s) >= 0:
                    continue
                for name, params, t in self.steps(s):
                    if self.internal(name, params, s, started):
                        n2 = (t, maps)
                        if n2 not in seen:
                            seen[n2] = None
                            if n2 not in self.parents:      # a state met again keeps its first parent:
                                self.parents[n2] = (node, _step_text(name, params))   # no cycle
                            nxt.append(n2)
            if len(seen) > self.max_nodes:
                return list(seen), f"more than {self.max_nodes:,} spec states between two observations"
            if not nxt:
                return list(seen), None
            layer = nxt
        return list(seen), None if not layer else None

    def run(self) -> Verdict:
        frontier = []
        for s in self.model.init_states():
            node = (s, Maps())
            self.parents[node] = None
            frontier.append(node)
        started = set()
        for k, ob in enumerate(self.obs):
            if ob.starts:
                started.add(ob.starts)
            for pat in ob.patterns:
                nodes, bound = self.closure(frontier, started)
                new = {}
                for node in nodes:
                    s, maps = node
                    pre = self.view(s)
                    if pat.stutter and pat.stutter(pre, maps):
                        new[node] = None
                    if pat.action is None:
                        m2 = pat.check(pre, None, maps)
                        if m2 is not None:
                            n2 = (s, m2)
                            if n2 not in self.parents:
                                self.parents[n2] = (node, f"(state check: {pat.text})")
                            new[n2] = None
                        continue
                    for name, params, t in self.steps(s):
                        if (name != pat.action and name not in pat.also) \
                                or (pat.consumer and params.get("c") != pat.consumer):
                            continue
                        m2 = pat.check(pre, self.view(t), maps)
                        if m2 is not None:
                            n2 = (t, m2)
                            if n2 not in self.parents:
                                self.parents[n2] = (node, f"{_step_text(name, params)}   <= line {ob.event['line']}")
                            new[n2] = None
                if not new:
                    v = Verdict(False, len(self.obs), k, self.label, ob, pat,
                                before=[self.view(s) for s, _ in frontier], incomplete=bound)
                    v.witness = self.path(frontier[0])
                    return v
                frontier = list(new)
        v = Verdict(True, len(self.obs), len(self.obs), self.label)
        v.witness = self.path(frontier[0])
        return v

    def path(self, node):
        out = []
        while node is not None:
            parent = self.parents.get(node)
            out.append((parent[1] if parent else "<initial state>", self.view(node[0])))
            node = parent[0] if parent else None
        return out[::-1]


def match(model, meta, events, max_internal=MAX_INTERNAL_STEPS, max_nodes=MAX_NODES) -> Verdict:
    """Does the recording conform? Tries each mapping of clients to spec consumers."""
    start = time.monotonic()
    best, visited = None, 0
    for perm in itertools.permutations(range(len(meta["consumers"]))):
        label = {client: f"Consumer{perm[i] + 1}" for i, client in enumerate(meta["consumers"])}
        search = Search(model, meta, events, label, max_internal, max_nodes)
        v = search.run()
        visited += len(search.parents)
        if best is None or v.explained > best.explained or v.conforms:
            best = v
        if v.conforms:
            break
    best.states, best.elapsed = visited, time.monotonic() - start
    return best


def _step_text(name, params) -> str:
    return f"{name}({', '.join(f'{k}={v}' for k, v in params.items())})" if params else name
