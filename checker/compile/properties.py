"""Invariants, action properties, constraints, and the conditions of temporal properties.

The problem: every new state is checked against every invariant, every step
against every action property, and a spec's properties often read a few variables
that most actions leave alone. The invariant: `check_*` return the index of the
first property that fails, in the spec's order, or -1; the `_after` / `_moving`
variants, for a state whose predecessor (or stuttering step) satisfied them all,
skip a property whose variables are the same objects as before, which has the
value it had; an invariant the types decide (a TypeOK) is not evaluated at all.
Temporal properties and fairness declarations become functions of a state
(`cond_<k>`), their `forall` binders functions giving their values. The cost: one
identity test per variable read. Covers become one function of a step that returns
the bits of the open covers it reaches. Public entry point: `Properties.invariant_functions`,
`step_functions`, `property_function`, `cover_function` and `condition_functions`.
"""
from __future__ import annotations

import re


class Properties:
    """Properties of the Compiler (checker/compile/compiler.py)."""

    def property_function(self, w, fname, props, primes):
        w(0, f"def {fname}(s{', t' if primes else ''}):")
        env = self.unpack(w, 1)
        if primes:
            env.update({f"{v}'": f"t_{v}" for v in self.var_names})
            self.unpack(w, 1, "t", "t_")
        texts = self.property_texts(props, env)
        for i, (p, text) in enumerate(zip(props, texts)):
            if text is None:
                w(1, f"# {p.name} holds in every state of its variables' types")
            else:
                w(1, f"if not ({text}):")
                w(2, f"return {i}")
        w(1, "return -1")
        w(0, "")
        return texts

    def property_texts(self, props, env) -> list:
        """Each property's expression, or None for an invariant the types decide."""
        texts = []
        for p in props:
            text = self.expr(p.expr, env)
            texts.append(None if text == "True" else text)   # e.g. a TypeOK invariant
        return texts

    def unless_unchanged(self, w, fname, args, texts, same):
        """`fname(args)`: return the index of the first property whose text fails, each
        evaluated only if one of the variables it reads is another object in the two
        states (`same(v, k)`: the test that variable v, the k-th, moved). Every
        state variable reaches compiled code as s_<name> or t_<name> (functions get
        them as arguments), so the text names what it reads."""
        w(0, f"def {fname}({args}):")
        self.unpack(w, 1)
        if "t" in args:
            self.unpack(w, 1, "t", "t_")
        index = {v: k for k, v in enumerate(self.var_names)}
        reads = [sorted({m for m in re.findall(r"\b[st]_(\w+)", text) if m in index}, key=index.get)
                 if text is not None else [] for text in texts]
        for v in sorted({v for vs in reads for v in vs}, key=index.get):   # each tested once
            w(1, f"m_{v} = {same(v, index[v])}")
        for i, (text, vs) in enumerate(zip(texts, reads)):
            if vs:                            # else a constant (or decided): it holds wherever it held
                w(1, f"if ({' or '.join(f'm_{v}' for v in vs)}) and not ({text}):")
                w(2, f"return {i}")
        w(1, "return -1")
        w(0, "")

    def invariant_functions(self, w, props):
        """check_invariants(s), and check_invariants_after(p, s): the same for a
        successor s of a state p that satisfies every invariant. An invariant is a
        function of the variables it reads, so where each of them is the same object
        in s as in p it holds in s too and is not evaluated again: an action changes
        few variables, and the others are shared with the state it started from."""
        texts = self.property_function(w, "check_invariants", props, primes=False)
        self.invariants_decided = all(t is None for t in texts)
        self.unless_unchanged(w, "check_invariants_after", "p, s", texts,
                              lambda v, k: f"s_{v} {self.moved(v)} p[{k}]")

    def step_functions(self, w, props):
        """check_steps(s, t), and check_steps_moving(s, t): the same, for a state s from
        which the stuttering step satisfies every action property (check_steps(s, s) is
        -1). A property whose variables, primed and unprimed, are the same objects in
        s and t has the value it has on that stuttering step, and is not evaluated."""
        texts = self.property_function(w, "check_steps", props, primes=True)
        self.unless_unchanged(w, "check_steps_moving", "s, t", texts,
                              lambda v, k: f"t_{v} {self.moved(v)} s_{v}")

    def cover_function(self, w, covers):
        """check_covers(s, t, open): the bits k, among those set in `open`, of the covers
        that the step from s to its successor t reaches: a `cover` holds in t, a `cover
        action` holds on the step (for an initial state t, pass s = t and only the state
        covers' bits). A cover reached is not evaluated again (the engines clear its bit)."""
        w(0, "def check_covers(s, t, o):")
        env = self.unpack(w, 1)
        after = self.unpack(w, 1, "t", "t_")
        step_env = dict(env, **{f"{v}'": f"t_{v}" for v in self.var_names})
        w(1, "hit = 0")
        for k, p in enumerate(covers):
            text = self.expr(p.expr, step_env if p.kind == "cover_action" else after)
            w(1, f"# cover {p.name}")           # failure_message names the cover by it
            w(1, f"if o & {1 << k} and ({text}):")
            w(2, f"hit |= {1 << k}")
        w(1, "return hit")
        w(0, "")

    def moved(self, v) -> str:
        """The operator telling that variable v changed: a packed one is an int, which
        an action may compute anew with the same value; others are shared objects."""
        return "!=" if v in self.packed else "is not"

    def condition_functions(self, w) -> dict:
        """Functions of a state for the temporal properties and fairness declarations:
        {("temporal", name): [condition functions], ("domains", name): [one function per
        `forall` binder, giving its values], ("fairness", k): condition function}."""
        made = {}
        for p in self.c.properties:
            if p.kind == "temporal":
                what = f"temporal property {p.name} (line {p.pos[0]})"
                names = [b.name for b in p.temporal.binders]
                made[("temporal", p.name)] = [self.condition(w, what, self.expr, e, names)
                                              for e in p.temporal.conditions]
                made[("domains", p.name)] = [
                    self.condition(w, what, lambda e, env: f"tuple({self.iter_domain(e, env, True)})",
                                   b.domain, names[:k], state=False) for k, b in enumerate(p.temporal.binders)]
        for k, f in enumerate(self.c.fairness):
            if f.cond is not None:
                made[("fairness", k)] = self.condition(
                    w, f"fairness condition of {f.action.name} (line {f.pos[0]})", self.expr,
                    f.cond, f.cond_params)
        return made

    def condition(self, w, what, source, expr, params, state=True) -> str:
        """def cond_N(s, p_a, ...): return source(expr, env), with the parameters bound
        (and without the state variables if not `state`: then s may be None)."""
        name = f"cond_{next(self.counter)}"
        w(0, f"# {what}")
        w(0, f"def {name}(s{''.join(f', p_{n}' for n in params)}):")
        env = self.unpack(w, 1) if state else {}
        env.update({n: f"p_{n}" for n in params})
        w(1, f"return {source(expr, env)}")
        w(0, "")
        return name
