"""The atoms' values in every reachable state of small configurations, from the
explicit engine: what `--prove --infer` keeps a candidate by.

The problem: a template over a few hundred atoms makes millions of candidates, nearly
all false; z3 should see only those that hold in every reachable state of some
configuration (data-driven invariant inference, as DistAI and endive do).

The invariant: the atoms are evaluated by the compiled spec itself (candidates.py
adds functions returning them as the bits of an int), on the states the breadth-first
search stores, for every consumer, every member key present, and every ordered pair of
distinct consumers. What is kept is the set of distinct rows: a candidate holds in
every reachable state iff it holds on every row of its scope.

The cost: CONSUMERS=2 of the group spec is 61,506 states, explored in 2 s and
evaluated in about 10 s (the rows collapse to a few thousand distinct ones).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
import random
import time

import numpy as np

from checker.compile.model import compile_model
from checker.engine.search import bfs
from checker.engine.stategraph import StateGraph
from checker.lang import modules, typecheck
from checker.lang.selection import Selection
from checker.lang.types import domain

from .candidates import CHUNK, PREFIX, bits, evaluation_source


@dataclass
class Observations:
    consumer: set = field(default_factory=set)    # distinct int masks (bit i: atom i holds)
    member: set = field(default_factory=set)
    pair: set = field(default_factory=set)        # (mask of c1, mask of c2, mask of the pair atoms)
    states: int = 0
    configs: list = field(default_factory=list)   # (constants, states, seconds)

    def matrix(self, scope: str, width: int) -> np.ndarray:
        """The distinct rows of a scope as a Boolean matrix (rows x atoms)."""
        rows = sorted(getattr(self, scope))
        return bits(rows, width)


class Observer:
    """The spec with the atoms' functions, compiled for one configuration: explores it
    (from its initial states, or from given ones) and adds the rows of what it saw."""

    def __init__(self, source: str, path: str, atoms, consts: dict):
        self.atoms, self.consts = atoms, dict(consts)
        self.checked = typecheck.check(modules.with_text(source, path, evaluation_source(atoms)), consts)
        self.model = compile_model(self.checked, selection=Selection((), (), (), ()))

    def explore(self, obs: Observations, start=None, max_states: int | None = None,
                max_depth: int | None = None) -> int:
        """Breadth-first from the initial states (or the states `start`, level 1); the
        rows of every state stored go into `obs`. Returns how many states."""
        model = self.model if start is None else replace(self.model, init_states=lambda: list(start))
        graph = StateGraph(model)
        options = {"graph": graph, "check_deadlock": False}
        if max_states:
            options["max_states"] = max_states
        if max_depth:
            options["max_depth"] = max_depth
        bfs(model, **options)
        self.rows(graph.states, obs)
        return len(graph.states)

    def walk(self, obs: Observations, runs: int, steps: int, seed: int = 0) -> int:
        """`runs` random walks of up to `steps` steps from the initial states (a walk
        ends at a state outside the constraints, which it keeps: such a state is
        reachable, just not expanded); their states' rows go into `obs`. Deep states of
        a configuration too large to explore, cheaply. Returns how many states."""
        model, rng = self.model, random.Random(seed)
        inits, seen = model.init_states(), []
        for _ in range(runs):
            s = inits[rng.randrange(len(inits))]
            seen.append(s)
            for _ in range(steps):
                if model.check_constraints is not None and model.check_constraints(s) >= 0:
                    break
                succ = model.labelled_successors(s)
                if not succ:
                    break
                s = succ[rng.randrange(len(succ))][2]
                seen.append(s)
        self.rows(seen, obs)
        return len(seen)

    def rows(self, states, obs):
        _rows(self.model, self.checked, states, self.atoms, obs)


def observe(source: str, path: str, atoms, configs: list, obs: Observations | None = None,
            max_states: int | None = None) -> Observations:
    """Explore each configuration (a dict of constants, with "max_states" to stop the
    breadth-first search there, or "walks": "RUNSxSTEPS" for random walks instead) of the spec `source` with the atoms' functions added,
    and collect the atoms' rows."""
    obs = obs or Observations()
    for consts in configs:
        start = time.perf_counter()
        consts = dict(consts)
        limit = consts.pop("max_states", max_states)
        walks = consts.pop("walks", None)
        observer = Observer(source, path, atoms, consts)
        if walks:                                  # "RUNSxSTEPS": random walks, no search
            runs, _, steps = str(walks).partition("x")
            n = observer.walk(obs, int(runs), int(steps or 200))
        else:
            n = observer.explore(obs, max_states=int(limit) if limit else None)
        obs.states += n
        bound = {"walks": walks} if walks else {"max_states": limit} if limit else {}
        obs.configs.append(({**consts, **bound}, n, time.perf_counter() - start))
    return obs
def _caller(model, checked, name, count):
    """The compiled functions of scope `name` as one f(state, *args) -> mask."""
    parts = []
    for k in range(0, count, CHUNK):
        fname = f"{PREFIX}{name}_{k // CHUNK}"
        info = checked.defs[fname]
        parts.append((k, model.namespace[f"d_{fname}"], [model.var_names.index(v) for v in sorted(info.reads)]))

    def call(s, *args):
        mask = 0
        for k, fn, where in parts:
            mask |= fn(*args, *[s[i] for i in where]) << k
        return mask
    return call


def _rows(model, checked, states, atoms, obs):
    agents = list(range(next(t.size for t in checked.types.values()
                             if getattr(t, "name", None) == atoms.agent and hasattr(t, "size"))))
    cons = _caller(model, checked, "consumer", len(atoms.consumer)) if atoms.consumer else None
    mem = _caller(model, checked, "member", len(atoms.member)) if atoms.member else None
    pair = _caller(model, checked, "pair", len(atoms.pair_eq) + len(atoms.pair)) if atoms.pair else None
    if mem:
        k = model.var_names.index(atoms.member_map)
        keys = domain(model.var_types[k].key)
    for s in states:
        masks = [cons(s, c) for c in agents]
        obs.consumer.update(masks)
        if mem:
            for key, v in zip(keys, s[k]):
                if v is not None:
                    obs.member.add(mem(s, key))
        if pair:
            for c1 in agents:
                for c2 in agents:
                    if c1 != c2:
                        obs.pair.add((masks[c1], masks[c2], pair(s, c1, c2)))


def refuted(cands: list, obs: Observations, atoms) -> list:
    """The indices of the candidates (candidates.Candidate) false on some row of `obs`."""
    return [int(i) for i in np.nonzero(refuting(cands, [obs], atoms))[0]]


def refuting(cands: list, history: list, atoms) -> np.ndarray:
    """For each candidate, in how many of the `history` observations (one state each:
    the counterexamples met so far) it is false: a lemma that excludes many of them is
    likelier a real one than one that excludes only the last (endive's ranking)."""
    widths = {"consumer": len(atoms.consumer), "member": len(atoms.member),
              "pair": len(atoms.pair_eq) + len(atoms.pair)}
    mats, ids = {}, {}
    for scope in ("consumer", "member"):
        rows = [(i, r) for i, o in enumerate(history) for r in sorted(getattr(o, scope))]
        mats[scope] = bits([r for _, r in rows], widths[scope])
        ids[scope] = np.array([i for i, _ in rows], dtype=np.int64)
    rows = [(i, r) for i, o in enumerate(history) for r in sorted(o.pair)]
    for k, scope in enumerate(("c1", "c2", "pair")):
        mats[scope] = bits([r[k] for _, r in rows], widths["pair" if scope == "pair" else "consumer"])
    ids["pair"] = np.array([i for i, _ in rows], dtype=np.int64)
    out = np.zeros(len(cands), dtype=np.int64)
    for n, c in enumerate(cands):
        scope, j, pos = c.cons
        col = mats[scope][:, j]
        if len(col) == 0:
            continue
        bad = ~col if pos else col.copy()
        for s, g in c.ante:
            bad &= mats[s][:, g]
        for s, g in c.ante_false:
            bad &= ~mats[s][:, g]
        out[n] = bad.any() if len(history) == 1 else len(np.unique(ids[scope][bad]))
    return out
