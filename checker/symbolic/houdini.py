"""Houdini over thousands of candidates, driven by counterexamples: an inductive set
holding the spec's properties, one z3 query per round (`grow`, the one entry point;
`initially` and `failing_part` serve it and the report).

The problem: induction.houdini asks one query per candidate and round, fine for the
spec's twenty lemmas, not for the thousands `--infer` makes; and plain Houdini over
all of them, one query per round, drops one or two per query (500 candidates of the
group spec: 233 queries of 1-4 s).

The invariant: each round asks for a state satisfying every member of the set, a step
of the spec (from a state inside the constraints), and a next state breaking a
member. A member dropped is one some such step breaks; a candidate added holds in
every sampled reachable state. It stops only at an unsat answer: what is left is
inductive together, and if it also holds initially, in every reachable state.

The cost: on the group spec one round is one SAT query over a single step, 1-10 s
with several hundred members; the rounds are counted in the report (bench/infer.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
import time

import z3

from .bmc import Unrolling
from .encode import neg
from .induction import Cti, Undecided, _cti


@dataclass
class Fixpoint:
    kept: list = field(default_factory=list)       # Property: inductive together
    dropped: dict = field(default_factory=dict)     # name -> "initially false" | round it was dropped in
    rounds: int = 0
    seconds: float = 0.0
    unused: int = 0                                 # grow: candidates of the pool never added


def initially(sys, props, timeout=None) -> tuple:
    """(those true in every initial state, those false in one)."""
    u = Unrolling(sys, errors=False)
    u.add_state()
    if timeout:
        u.solver.set("timeout", max(1, int(timeout * 1000)))
    alive, false = list(props), []
    at = dict(zip([p.name for p in alive], u.at_many([p.formula for p in alive], 0)))
    while alive:
        a = z3.Bool(f"init|{len(false)}")
        post = [at[p.name] for p in alive]
        u.solver.add(z3.Implies(a, z3.Or([neg(f) for f in post])))
        r = u.solver.check(a)
        if r == z3.unknown:
            raise Undecided(f"z3 could not decide the initial states: {u.solver.reason_unknown()}")
        if r == z3.unsat:
            break
        m = u.solver.model()
        bad = [p for p, f in zip(alive, post) if z3.is_false(m.eval(f, model_completion=True))]
        false += bad
        alive = [p for p in alive if p not in bad]
    return alive, false


class Step:
    """One step s0 -> s1 of the spec, with every candidate assumable in s0."""

    def __init__(self, sys, props, timeout=None):
        self.u = Unrolling(sys, errors=False)
        self.u.add_state(initial=False)
        self.u.add_step()
        if timeout:
            self.u.solver.set("timeout", max(1, int(timeout * 1000)))
        self.lits, self.post, self.count = {}, {}, 0
        self.pre, self.asserted = {}, set()
        self.add(props)

    def add(self, props):
        """Make `props` assumable and breakable (a candidate encoded when first needed)."""
        invs = [p for p in props if p.kind == "invariant"]
        steps = [p for p in props if p.kind != "invariant"]
        pre = self.u.at_many([p.formula for p in invs], 0)
        post = self.u.at_many([p.formula for p in invs], 1) + self.u.at_many([p.formula for p in steps], 0)
        for p, f in zip(invs, pre):
            self.lits[p.name] = z3.Bool(f"assume|{p.name}")
            self.pre[p.name] = f
        for p, f in zip(invs + steps, post):     # an action property: the step itself
            self.post[p.name] = f
        for p in steps:
            self.lits[p.name] = z3.Bool(f"assume|{p.name}")

    def breaking(self, assumed, goals):
        """A z3 model of a step from a state satisfying `assumed` to one where some of
        `goals` is false, or None."""
        self.count += 1
        for p in assumed:          # a candidate's meaning enters the solver when first assumed:
            if p.name in self.pre and p.name not in self.asserted:    # thousands idle slow z3
                self.asserted.add(p.name)
                self.u.solver.add(z3.Implies(self.lits[p.name], self.pre[p.name]))
        a = z3.Bool(f"round|{self.count}")
        self.u.solver.add(z3.Implies(a, z3.Or([neg(self.post[p.name]) for p in goals])))
        r = self.u.solver.check(*[self.lits[p.name] for p in assumed], a)
        if r == z3.unknown:
            raise Undecided(f"z3 could not decide an induction step: {self.u.solver.reason_unknown()}")
        return self.u.solver.model() if r == z3.sat else None

    def false(self, m, props):
        return [p for p in props if z3.is_false(m.eval(self.post[p.name], model_completion=True))]

    def cti(self, model, m, p, assumed) -> Cti:
        out = _cti(self.u, model, m, p, assumed, 1)
        out.failed = failing_part(self.u, m, p)
        return out


def grow(step: Step, props, pool, blocking, progress=None, refute=None, deadline=None,
         depth: int = 1, encode=None, generating: bool = False, cap: int | None = None,
         settle: int | None = None) -> Fixpoint:
    """Houdini driven by counterexamples, from `props` (the spec's properties) and a
    `pool` of candidates: while some step from a state satisfying the set breaks one of
    it, add the candidates of the pool false in that step's first state
    (`blocking(z3 model, pool)`: they exclude it, and hold in every sampled reachable
    state); when none does, drop what the step breaks, as Houdini does. The set only
    ever holds candidates some counterexample called for (endive's lemma selection),
    so each query is over a few hundred candidates, not thousands. With an empty pool
    this is Houdini.

    Who may call for candidates: the spec's properties (depth 0), and the candidates
    they called for up to `depth` (a lemma often needs a helper, as MonotonicCommits
    needs "every OffsetCommit in flight carries the log end", which needs "every
    position is at the log end"); a step that breaks only deeper ones drops them at
    once, so the set grows only for what the spec needs.
    `encode(entries)`: the pool's entries as properties the step knows (what
    `blocking` picked), those false initially left out; without it the pool holds
    properties already.
    `generating`: `blocking` makes candidates of its own (generalised clauses), so it
    is asked even once the pool is empty; `cap`: while the set holds that many, only a
    step breaking one of the spec's properties adds candidates (what else a step
    breaks is dropped), so a deep `depth` cannot grow the set without bound; `settle`:
    after that many rounds only the spec's properties call for candidates (depth 1), so
    the set stops churning and Houdini ends: it either keeps the properties or shows
    which need what the set lacks.
    Sound whatever is added or dropped: it stops only when no step breaks the set."""
    start = time.perf_counter()
    level = {p.name: 0 for p in props}
    alive, pool = list(props), list(pool)
    out = Fixpoint()
    while alive:
        if deadline is not None and time.perf_counter() > deadline:
            raise Undecided(f"the timeout stopped Houdini after {out.rounds} rounds, with "
                            f"{len(alive)} in the set and {len(pool)} candidates not tried")
        # first a step that breaks one of the spec's properties: that one is excluded by
        # candidates if any can; then a step that breaks any member of the set
        mine = [p for p in alive if level[p.name] == 0]
        m = step.breaking(alive, mine) if mine else None
        out.rounds += 1
        if m is None:
            m = step.breaking(alive, alive)
            if m is None:
                break
        bad = step.false(m, alive)
        if settle is not None and out.rounds > settle:
            depth = 1
        low = min((level[p.name] for p in bad), default=depth)
        room = cap is None or len(alive) < cap or low == 0     # the spec's properties always call
        add = blocking(m, pool, [p for p in bad if level[p.name] == low]) \
            if (pool or generating) and low < depth and room else []
        if add:
            names = {p.name for p in add}
            pool = [p for p in pool if p.name not in names]
            if encode is not None:
                add = encode(add)
        if add:
            alive += add
            level.update((p.name, low + 1) for p in add)
            if progress:
                progress(out.rounds, len(alive), -len(add))
            continue
        if refute is not None:
            names = {p.name for p in bad}
            bad += [p for p in refute(m, alive) if p.name not in names]
        if not bad:
            raise Undecided("z3's model breaks none of the candidates it was asked to")
        for p in bad:
            out.dropped[p.name] = out.rounds
        names = {p.name for p in bad}
        alive = [p for p in alive if p.name not in names]
        if progress:
            progress(out.rounds, len(alive), len(bad))
    out.kept = alive
    out.unused = len(pool)
    out.seconds = time.perf_counter() - start
    return out


def failing_part(u, m, p) -> str:
    """Which conjunct of property p is false in z3 model m (at the step's end), and for
    which values of its leading `forall` over a type: `line 12 (for c1 = Consumer1, ...)`."""
    from checker.lang import ast as A
    from checker.lang.types import domain
    from checker.lang.values import show
    sys = u.sys
    env = dict(sys.pre)
    if p.kind == "action":
        env.update({f"{n}'": v for n, v in sys.post.items()})
    at = 0 if p.kind == "action" else 1
    for part in A.conjuncts(p.info.expr):
        cases = [((), part, env)]
        if isinstance(part, A.Quant) and part.kind == "forall" and all(
                isinstance(b.domain, A.Name) and b.domain.kind == "type" for b in part.binders):
            cases = [((), None, env)]
            for b in part.binders:
                for n in b.names:
                    cases = [(bound + ((n, v, b.domain.ref),), None, {**e, n: _lift(v, b.domain.ref)})
                             for bound, _, e in cases for v in domain(b.domain.ref)]
            cases = [(bound, part.body, e) for bound, _, e in cases]
        for bound, expr, e in cases:
            sys.tr.ctx = z3.BoolVal(True)
            f = sys.tr.expr(expr, e)
            if z3.is_false(m.eval(u.at(f, at), model_completion=True)):
                where = f"line {part.pos[0]}"
                if bound:
                    where += " (for " + ", ".join(f"{n} = {show(v, t)}" for n, v, t in bound) + ")"
                return where
    return ""


def _lift(v, t):
    from .encode import lift
    return lift(v, t)
