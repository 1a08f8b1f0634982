"""A spec as a symbolic transition system: Init(s), one step relation T(s, s'), and the
properties as z3 formulas over template states, built once and copied per step with
z3.substitute.

Every action is instantiated once per value of its parameters (as the explicit engine
loops over them), so a parameter is a constant and map lookups by it fold away; an
integer `act` says which instance takes a step. The next state is tied to the
current one leaf by leaf: each z3 constant of s' equals an if-then-else over the
instances that change it, and is the unchanged leaf of s otherwise (the frame
condition costs nothing for the many leaves an action leaves alone).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import z3

from checker.lang import ast as A
from checker.lang.errors import SpecError
from checker.lang.types import (BoolT, EnumT, IntT, MapT, OptionT, RecordT, ScalarsetT, SeqT, SetT, TupleT,
                                component_types, domain)

from .encode import FALSE, TRUE, Bag, EncodingError, Opt, concrete, conj, default, disj, lift, to_mask
from .translate import Translator, Unit


@dataclass
class Instance:
    """One action with its parameters fixed."""
    action: int
    name: str
    params: tuple             # ((name, runtime value), ...)
    enabled: object           # Bool over the current state and the choices
    post: list                # leaves of the next state
    errors: object            # Bool: evaluating this instance fails
    picks: list = field(default_factory=list)   # (label, symbolic value, Type, taken when)
    failures: list = field(default_factory=list)   # (Bool, message), what `errors` is made of


@dataclass
class Property:
    name: str
    kind: str                 # invariant | action
    formula: object           # Bool over the template state(s)
    info: object              # typecheck.PropertyInfo


class System:
    def __init__(self, checked, invariants, action_properties, candidates=()):
        """`candidates`: other invariants and lemmas of the spec, not checked but kept as
        formulas, so that those proved inductive can strengthen BMC (strengthen.py)."""
        self.checked = checked
        self.tr = Translator(checked)
        self.var_types = [v.type for v in checked.vars]
        self.var_names = [v.name for v in checked.vars]
        try:
            self.pre, self.pre_leaves, self.type_facts = self.state("s")
            self.post, self.post_leaves, self.post_facts = self.state("n")
        except EncodingError as e:
            raise SpecError(f"--bmc/--prove cannot encode this spec: {e}", (0, 0)) from None
        self.act = z3.Int("act")
        self.init, self.init_errors, self.init_picks = self.build_init()
        self.instances = self.build_instances()
        self.tr.ranges[str(self.act)] = (0, max(len(self.instances) - 1, 0))
        self.choice_leaves = list(self.tr.unit.leaves)
        self.step_facts = conj(self.tr.unit.facts)
        self.enabled_range = conj([self.act >= 0, self.act < len(self.instances)])
        self.enabled = conj([self.enabled_range]
                            + [disj([self.act != i, x.enabled]) for i, x in enumerate(self.instances)
                               if not z3.is_true(x.enabled)])
        self.frame = self.build_frame()
        self.errors = disj([conj([self.act == i, x.errors]) for i, x in enumerate(self.instances)])
        self.properties = [Property(p.name, "invariant", self.prop(p, False), p) for p in invariants] + \
            [Property(p.name, "action", self.prop(p, True), p) for p in action_properties]
        self.candidates = [Property(p.name, "invariant", self.prop(p, False), p) for p in candidates]
        self.constraint = conj([self.prop(p, False) for p in checked.constraints])

    # ------------------------------------------------------------------ states
    def state(self, prefix):
        facts, leaves, env = [], [], {}
        for v in self.checked.vars:
            env[v.name] = self.tr.fresh.value(v.type, f"{prefix}.{v.name}", facts, leaves)
        return env, leaves, conj(facts)

    def leaves_of(self, env) -> list:
        out = []
        for name, t in zip(self.var_names, self.var_types):
            flatten(env[name], t, out)
        return out

    def concrete_state(self, ev, env=None) -> tuple:
        env = env or self.pre
        return tuple(concrete(env[n], t, ev) for n, t in zip(self.var_names, self.var_types))

    # ------------------------------------------------------------------ init and actions
    def run(self, stmts, env):
        """Execute statements in a fresh unit; the choices' constants join the step's."""
        outer = self.tr.unit
        unit = Unit()
        self.tr.unit = unit
        self.tr.ctx = TRUE
        env = self.tr.block(stmts, env, TRUE)
        self.tr.unit = outer
        outer.leaves.extend(unit.leaves)
        outer.facts.extend(unit.facts)
        return env, unit

    def build_init(self):
        env, unit = self.run(self.checked.init, {})
        missing = [v for v in self.checked.vars if v.name not in env]
        if missing:
            raise SpecError(f"variable {missing[0].name!r} is not given an initial value on every "
                            f"path of init", missing[0].decl.pos)
        post = self.leaves_of(env)
        init = conj(unit.requires + [a == b for a, b in zip(self.pre_leaves, post)])
        return init, disj([c for c, _ in unit.errors]), unit.picks

    def build_instances(self) -> list:
        out = []
        for act in self.checked.actions:
            d = act.decl
            guard = [A.Require(c, pos=c.pos) for c in A.conjuncts(d.guard)] if d.guard is not None else []
            for params, conds, env in self.param_values(act.params, 0, dict(self.pre), [], ()):
                self.tr.memo = {}
                env2, unit = self.run(guard + list(d.body), env)
                enabled = conj(conds + unit.requires)
                errors = disj([c for c, _ in unit.errors])
                if z3.is_false(enabled) and z3.is_false(errors):
                    continue
                out.append(Instance(act.index, act.name, params, enabled, self.leaves_of(env2),
                                    conj(conds + [errors]), unit.picks,
                                    [(conj(conds + [c]), msg) for c, msg in unit.errors]))
        return out

    def param_values(self, params, k, env, conds, picked):
        """Each combination of parameter values: (((name, value), ...), guards, env)."""
        if k == len(params):
            yield picked, conds, env
            return
        name, t, dom = params[k]
        if dom is None:
            values = [(TRUE, v) for v in domain(t)]
        else:
            s = self.tr.expr(dom, env)
            if isinstance(s, Bag):
                s = to_mask(s, t)
            if isinstance(s, Opt) or not hasattr(s, "bits"):
                raise SpecError("--bmc/--prove cannot encode a parameter ranging over this", dom.pos)
            values = list(s.bits.items())
            values = [(b, v) for v, b in values]
        for c, v in values:
            if z3.is_false(c):
                continue
            yield from self.param_values(params, k + 1, {**env, name: lift(v, t)},
                                         conds + ([] if z3.is_true(c) else [c]), picked + ((name, v),))

    def build_frame(self):
        eqs = []
        for j, (s, n) in enumerate(zip(self.pre_leaves, self.post_leaves)):
            value = s
            for i, x in enumerate(self.instances):
                if not x.post[j].eq(s):
                    value = z3.If(self.act == i, x.post[j], value)
            eqs.append(n == value)
        return conj(eqs)

    def prop(self, p, primes):
        env = dict(self.pre)
        if primes:
            env.update({f"{n}'": v for n, v in self.post.items()})
        self.tr.ctx = TRUE
        self.tr.unit = Unit()
        return self.tr.expr(p.expr, env)


def flatten(v, t, out: list):
    """Append the leaves of v, shaped as Fresh makes a value of type t (a Bag becomes
    bits, a short sequence is padded, `none` gets a placeholder value)."""
    if isinstance(t, (BoolT, IntT, EnumT, ScalarsetT)):
        out.append(v)
    elif isinstance(t, OptionT):
        out.append(v.present)
        flatten(v.value if v.value is not None else lift(default(t.inner), t.inner), t.inner, out)
    elif isinstance(t, (TupleT, RecordT)):
        items = component_types(t)
        for x, it in zip(v, items):
            flatten(x, it, out)
    elif isinstance(t, SetT):
        m = to_mask(v, t.elem)
        for d in domain(t.elem):
            out.append(m.bits.get(d, FALSE))
    elif isinstance(t, SeqT):
        out.append(v.length)
        pad = lift(default(t.elem), t.elem)
        for i in range(t.bound):
            flatten(v.items[i] if i < len(v.items) else pad, t.elem, out)
    elif isinstance(t, MapT):
        vt = t.value if t.total else OptionT(t.value)
        for x in v.values:
            flatten(x, vt, out)
    else:
        raise EncodingError(f"no symbolic encoding for values of type {t}")
