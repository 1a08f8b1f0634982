"""Typed gdsl expressions and statements to z3: the symbolic twin of
checker/compile/expressions.py and statements.py.

Statements are executed symbolically once, with guarded updates: an assignment under
the path condition `pc` stores `ite(pc, new, old)`, so both branches of an `if` run
one after the other on the same environment, `for` loops unroll over the (finite)
domain of what they range over, and a function's `return` updates its `Returned`: the
result, and a "done" condition that guards the statements after it. `require c` adds `pc => c` to the action's
enabling condition; `choose x in S` makes x a fresh z3 value with `pc => x in S`.
Functions and procs are inlined (a function called again with the same arguments in
the same state reuses its first result).

What the explicit engine reports as an evaluation error (a value out of its range, an
absent key, `get(none)`, ...) is recorded as a condition under which it happens, so
the symbolic engines can look for it too.
"""
from __future__ import annotations

from dataclasses import dataclass
import itertools

import z3

from checker.lang import ast as A
from checker.lang.errors import SpecError
from checker.lang.types import AnyT, IntT, MapT, SeqT, SetT, domain, has_domain, sort_key

from .encode import (FALSE, TRUE, Bag, EncodingError, Fresh, Map, Mask, Opt, Seq, compact, conj, count,
                     default, disj, elements, eq, ite, lift, member, neg, select, set_op, set_size, subset,
                     to_mask)


@dataclass(frozen=True)
class Returned:
    """How far the `return`s of an inlined block-bodied function have run: `done` holds
    where one has (the statements after it do not run there), `value` is the result
    where one has (None before the first). Kept in the function's environment under
    RETURN, so that it flows through `if` and `for` as the variables do."""
    done: object          # Bool
    value: object = None


RETURN = "$return"        # the environment key of a Returned: no spec name starts with $

MAX_RANGE = 4096          # the widest integer range a loop or `lo..hi` set may unroll
SPLIT_DIVISORS = 64       # a divisor with at most this many values is split into cases


class Unit:
    """What translating one action instance (or init) produced."""

    def __init__(self):
        self.requires = []        # Bool: the instance is enabled when all hold
        self.facts = []           # Bool: the bounds of its choices' types (always asserted)
        self.errors = []          # (Bool, message): the evaluation fails when one holds
        self.picks = []           # (label, symbolic value, Type) of each `choose`
        self.leaves = []          # z3 constants of its choices


class Translator:
    def __init__(self, checked):
        self.c = checked
        self.ranges = {}
        self.fresh = Fresh(self.ranges)
        self.memo = {}
        self.bounds_memo = {}
        self.counter = itertools.count()
        self.unit = Unit()
        self.ctx = TRUE           # what must hold for the expression being translated to run
        self.base_ctx = TRUE      # the part of it that comes from outside a function body
        self.pos = (0, 0)

    # ------------------------------------------------------------------ errors
    def fail_when(self, cond, message):
        """Record that evaluation fails when cond holds here."""
        cond = conj([self.ctx, cond])
        if not z3.is_false(cond):
            self.unit.errors.append((conj([cond] + self.unit.requires), f"{message} (line {self.pos[0]})"))

    def refuse(self, what, pos=None):
        raise SpecError(f"--bmc/--prove cannot encode this: {what}", pos or self.pos)

    # ------------------------------------------------------------------ integers
    def bounds(self, t):
        """A static interval (lo, hi) of an Int term, or None where it is unbounded."""
        key = t.get_id()
        if key in self.bounds_memo:
            return self.bounds_memo[key][1]
        out = self._bounds(t)
        self.bounds_memo[key] = (t, out)      # holding t keeps its id from being reused
        return out

    def _bounds(self, t):
        if z3.is_int_value(t):
            return (t.as_long(), t.as_long())
        if z3.is_const(t):
            return self.ranges.get(str(t))
        kids = [self.bounds(k) if z3.is_int(k) else None for k in t.children()]
        k = t.decl().kind()
        if k == z3.Z3_OP_ITE:
            a, b = kids[1], kids[2]
            return None if a is None or b is None else (min(a[0], b[0]), max(a[1], b[1]))
        if any(x is None for x in kids):
            return None
        if k == z3.Z3_OP_ADD:
            return (sum(x[0] for x in kids), sum(x[1] for x in kids))
        if k == z3.Z3_OP_SUB:
            lo, hi = kids[0]
            for x in kids[1:]:
                lo, hi = lo - x[1], hi - x[0]
            return (lo, hi)
        if k == z3.Z3_OP_UMINUS:
            return (-kids[0][1], -kids[0][0])
        if k == z3.Z3_OP_MUL:
            lo, hi = kids[0]
            for x in kids[1:]:
                c = [lo * x[0], lo * x[1], hi * x[0], hi * x[1]]
                lo, hi = min(c), max(c)
            return (lo, hi)
        if k == z3.Z3_OP_IDIV:
            if kids[1][0] > 0:
                c = [a // b for a in kids[0] for b in kids[1]]
                return (min(c), max(c))
            m = max(abs(kids[0][0]), abs(kids[0][1]))      # |a div b| <= |a| (b = 0 is an error)
            return (-m, m)
        if k == z3.Z3_OP_MOD:
            if kids[1][0] > 0:
                return (0, kids[1][1] - 1)
            m = max(abs(kids[1][0]), abs(kids[1][1]))
            return (-m, m)
        return None

    def static_range(self, t, pos):
        b = self.bounds(t)
        if b is None:
            self.refuse("the bounds of this integer are not known statically "
                        "(give the values it comes from a range type)", pos)
        return b

    # ------------------------------------------------------------------ expressions
    def expr(self, e, env):
        self.pos = e.pos
        try:
            return self._expr(e, env)
        except EncodingError as err:
            self.refuse(str(err), e.pos)

    def guarded(self, cond, fn):
        """Evaluate fn() where cond holds (the right side of `and`, a branch, ...)."""
        saved = self.ctx
        self.ctx = conj([saved, cond])
        try:
            return fn()
        finally:
            self.ctx = saved

    def _expr(self, e, env):
        if isinstance(e, A.IntLit):
            return z3.IntVal(e.value)
        if isinstance(e, A.BoolLit):
            return z3.BoolVal(e.value)
        if isinstance(e, A.NoneLit):
            return Opt(FALSE, None)
        if isinstance(e, A.Name):
            if e.kind in ("local", "var"):
                if e.name not in env:
                    self.refuse(f"{e.name!r} is read before it is given a value", e.pos)
                return env[e.name]
            if e.kind == "const":
                ci = self.c.consts[e.name]
                return lift(ci.value, ci.type)
            if e.kind == "enum":
                return z3.IntVal(e.ref[1])
            if e.kind == "type":
                if not has_domain(e.ref):
                    self.refuse(f"the set of functions {e.ref} (enumerated by the explicit engines only) "
                                f"is not supported by --bmc/--prove", e.pos)
                return Mask({d: TRUE for d in domain(e.ref)}, e.ref)
            self.refuse(f"the name {e.name!r}", e.pos)
        if isinstance(e, A.Primed):
            return env[f"{e.name}'"]
        if isinstance(e, A.Unary):
            x = self.expr(e.operand, env)
            return neg(x) if e.op == "not" else -x
        if isinstance(e, A.Binary):
            return self.binary(e, env)
        if isinstance(e, A.IfExpr):
            c = self.expr(e.cond, env)
            a = self.guarded(c, lambda: self.expr(e.then, env))
            b = self.guarded(neg(c), lambda: self.expr(e.orelse, env))
            return ite(c, a, b)
        if isinstance(e, A.Quant):
            names = [(n, b.domain) for b in e.binders for n in b.names]
            return self.quant(e.kind, names, e.body, env)
        if isinstance(e, A.Refines):
            self.refuse("a `refines` declaration is not supported by --bmc/--prove; check it with "
                        "the explicit engines", e.pos)
        if isinstance(e, A.The):
            return self.the(e, env)
        if isinstance(e, A.Index):
            return self.index(e, env)
        if isinstance(e, A.Field):
            if e.kind == "enum":
                return z3.IntVal(e.ref[1])
            return self.expr(e.base, env)[e.slot]
        if isinstance(e, A.TupleGet):
            return self.expr(e.base, env)[e.index]
        if isinstance(e, A.Call):
            return self.call(e, env)
        if isinstance(e, A.TupleLit):
            return tuple(self.expr(x, env) for x in e.items)
        if isinstance(e, A.SetLit):
            return self.as_set(Bag([(TRUE, self.expr(x, env)) for x in e.items]), e.ty)
        if isinstance(e, A.SeqLit):
            return Seq(z3.IntVal(len(e.items)), tuple(self.expr(x, env) for x in e.items))
        if isinstance(e, A.MapLit):
            t = e.ty
            if isinstance(t.key, AnyT):
                self.refuse("an empty map whose type is not known", e.pos)
            pairs = [(TRUE, self.expr(k, env), self.expr(v, env)) for k, v in e.entries]
            return self.partial_map(t, pairs)
        if isinstance(e, A.Comprehension):
            return self.comprehension(e, env)
        self.refuse(type(e).__name__, e.pos)

    def as_set(self, s, t):
        """Sets of a type with a small domain are kept as membership bits."""
        if isinstance(s, Bag) and isinstance(t, SetT) and has_domain(t.elem) and len(domain(t.elem)) <= 256:
            return to_mask(s, t.elem)
        return s

    def partial_map(self, t, pairs):
        """A pmap from (guard, key, value) triples, a later pair winning over an earlier one."""
        keys = domain(t.key)
        values = []
        for k in keys:
            lk = lift(k, t.key)
            cases = [(conj([g, eq(key, lk)]), v) for g, key, v in reversed(pairs)]
            cases = [(c, v) for c, v in cases if not z3.is_false(c)]
            present = disj([c for c, _ in cases])
            values.append(Opt(present, select(cases)))
        return Map(keys, t.key, tuple(values), False)

    def binary(self, e, env):
        op = e.op
        if op in ("and", "or", "=>"):
            l = self.expr(e.left, env)
            r = self.guarded(neg(l) if op == "or" else l, lambda: self.expr(e.right, env))
            return conj([l, r]) if op == "and" else disj([l, r]) if op == "or" else disj([neg(l), r])
        if op == "..":
            return self.range_set(self.expr(e.left, env), self.expr(e.right, env), e.pos)
        l, r = self.expr(e.left, env), self.expr(e.right, env)
        if op == "==":
            return eq(l, r)
        if op == "!=":
            return neg(eq(l, r))
        if op in ("<", "<=", ">", ">="):
            return l < r if op == "<" else l <= r if op == "<=" else l > r if op == ">" else l >= r
        if op == "+":
            return l + r
        if op == "-":
            return l - r
        if op == "*":
            return l * r
        if op in ("/", "%"):
            return self.divide(op, l, r)
        if op in ("in", "notin"):
            m = self.contains(r, l)
            return m if op == "in" else neg(m)
        if op == "subseteq":
            return subset(l, r)
        if op in ("union", "intersect", "minus"):
            return set_op(op, l, r)
        self.refuse(f"the operator {op}", e.pos)

    def divide(self, op, a, b):
        """Python's floor division and modulo (z3's are Euclidean: equal for b > 0)."""
        bb = self.bounds(b)
        if bb is None or bb[0] <= 0 <= bb[1]:
            self.fail_when(b == 0, "division by zero")
        if bb is not None and not z3.is_int_value(b) and 0 < bb[1] - bb[0] <= SPLIT_DIVISORS:
            # a divisor with few values: a case per value keeps the arithmetic linear
            # (z3's nonlinear division is what made round-robin's `p % c` slow)
            cases = [(b == v, self._divide(op, a, z3.IntVal(v), (v, v)))
                     for v in range(bb[0], bb[1] + 1) if v != 0]
            return select(cases)
        return self._divide(op, a, b, bb)

    def _divide(self, op, a, b, bb):
        if bb is not None and bb[0] > 0:
            q = a / b
        else:
            q = z3.If(b > 0, a / b, (-a) / (-b))
        if z3.is_int_value(a) and z3.is_int_value(b) and b.as_long() != 0:
            q = z3.IntVal(a.as_long() // b.as_long())
        if op == "/":
            return q
        if bb is not None and bb[0] > 0:
            return a % b
        return a - b * q

    def contains(self, s, x):
        if isinstance(s, Seq):
            return disj([conj([s.length > i, eq(x, y)]) for i, y in enumerate(s.items)])
        if isinstance(s, Map):
            return self.has_key(s, x)
        return member(x, s)

    def range_set(self, lo, hi, pos):
        a, b = self.static_range(lo, pos)[0], self.static_range(hi, pos)[1]
        if b - a + 1 > MAX_RANGE:
            self.refuse(f"a range of {b - a + 1} integers (more than {MAX_RANGE})", pos)
        t = IntT(a, max(a, b))
        return Mask({v: conj([lo <= v, hi >= v]) for v in range(a, b + 1)}, t)

    def domain_elements(self, d, env, ordered=False):
        """[(guard, value)] of what a quantifier, loop or comprehension ranges over."""
        if isinstance(d, A.Name) and d.kind == "type":
            return [(TRUE, lift(v, d.ref)) for v in domain(d.ref)]
        s = self.expr(d, env)
        if isinstance(s, Seq):
            return [(s.length > i, x) for i, x in enumerate(s.items)]
        if isinstance(s, Map):
            return [(TRUE if s.total else v.present, lift(k, s.key_type)) for k, v in zip(s.keys, s.values)]
        if ordered and isinstance(s, Bag):
            elem = d.ty.elem if isinstance(d.ty, SetT) else None
            if elem is None or not has_domain(elem):
                self.refuse("walking a set in order whose element type has no finite domain", d.pos)
            s = to_mask(s, elem)
        if isinstance(s, Mask) and sort_key(s.elem) is not None and ordered:
            key = sort_key(s.elem)
            return [(b, lift(k, s.elem)) for k, b in sorted(s.bits.items(), key=lambda kv: key(kv[0]))
                    if not z3.is_false(b)]
        return elements(s)

    def quant(self, kind, names, body, env):
        if not names:
            return self.expr(body, env)
        (n, dom), rest = names[0], names[1:]
        parts = []
        for c, v in self.domain_elements(dom, env):
            inner = self.guarded(c, lambda: self.quant(kind, rest, body, {**env, n: v}))
            parts.append(disj([neg(c), inner]) if kind == "forall" else conj([c, inner]))
        return conj(parts) if kind == "forall" else disj(parts)

    MAX_THE = 64     # candidates of `the x in S: P` (its "several" condition is quadratic)

    def the(self, e, env):
        """`the x in S: P`: the candidate for which P holds, and the two evaluation
        errors of the explicit engines (none, or several distinct ones) as conditions."""
        if isinstance(e.domain.ty, SeqT):
            self.refuse("`the x in S: P` over a sequence (use a set)", e.pos)
        cases = []
        for c, v in self.domain_elements(e.domain, env):
            body = self.guarded(c, lambda: self.expr(e.body, {**env, e.var: v}))
            cases.append((conj([c, body]), v))
        if len(cases) > self.MAX_THE:
            self.refuse(f"`the x in S: P` over {len(cases)} candidates (at most {self.MAX_THE})", e.pos)
        what = f"`the {e.var} in ...`:"                   # fail_when adds the line
        self.fail_when(neg(disj([g for g, _ in cases])), f"{what} no element satisfies its condition (exactly one must)")
        self.fail_when(disj([conj([a, b, neg(eq(x, y))]) for (a, x), (b, y) in itertools.combinations(cases, 2)]),
                       f"{what} several elements satisfy its condition (exactly one must)")
        return select(cases, lift(default(e.ty), e.ty) if not cases else None)

    def comprehension(self, e, env):
        pairs = []
        for c, v in self.domain_elements(e.domain, env, ordered=e.kind == "seq"):
            inner = {**env, e.var: v}
            g = c
            if e.cond is not None:
                g = conj([c, self.guarded(c, lambda: self.expr(e.cond, inner))])
            if z3.is_false(g):
                continue
            if e.kind == "map":
                pairs.append((g, v, inner))
            else:
                pairs.append((g, self.guarded(g, lambda: self.expr(e.elem, inner))))
        if e.kind == "set":
            return self.as_set(Bag(pairs), e.ty)
        if e.kind == "seq":
            return compact(pairs)
        t = e.ty
        if t.total:
            values = [self.expr(e.elem, {**env, e.var: lift(k, t.key)}) for k in domain(t.key)]
            return Map(domain(t.key), t.key, tuple(values), True)
        triples = [(g, self.guarded(g, lambda: self.expr(e.key, inner)),
                    self.guarded(g, lambda: self.expr(e.elem, inner))) for g, v, inner in pairs]
        return self.partial_map(t, triples)

    def index(self, e, env):
        base, key = self.expr(e.base, env), self.expr(e.index, env)
        if isinstance(base, Map):
            cases = self.key_cases(base, key)
            self.fail_when(neg(disj([c for c, _ in cases])), "a map key outside the key type")
            v = select(cases)
            if base.total:
                return v
            self.fail_when(neg(v.present), "the partial map has no entry for this key")
            return v.value if v.value is not None else lift(default(e.ty), e.ty)
        return self.seq_at(base, key)

    def key_cases(self, m: Map, key):
        cases = [(eq(key, lift(k, m.key_type)), v) for k, v in zip(m.keys, m.values)]
        hit = [(c, v) for c, v in cases if z3.is_true(c)]
        return hit[:1] if hit else [(c, v) for c, v in cases if not z3.is_false(c)]

    def has_key(self, m: Map, key):
        cases = self.key_cases(m, key)
        return disj([c for c, _ in cases]) if m.total else disj([conj([c, v.present]) for c, v in cases])

    def seq_at(self, s: Seq, i):
        self.fail_when(disj([i < 0, i >= s.length]), "a sequence index out of range")
        cases = [(eq(i, z3.IntVal(k)), x) for k, x in enumerate(s.items)]
        cases = [(c, x) for c, x in cases if not z3.is_false(c)]
        return select(cases) if cases else (s.items[0] if s.items else z3.IntVal(0))

    # ------------------------------------------------------------------ calls
    def call(self, e, env):
        if e.kind == "record":
            return tuple(self.expr(a, env) for a in e.args)
        if e.kind == "def":
            return self.call_def(e, env)
        return self.builtin(e, [self.expr(a, env) for a in e.args], [a.ty for a in e.args])

    def call_def(self, e, env):
        info = e.ref
        args = [self.expr(a, env) for a in e.args]
        for (n, t), a, v in zip(info.params, e.args, args):
            self.check_range(v, t, a, f"argument {n} of {info.name}")
        reads = sorted(info.reads)
        key = (info.name, tuple(_ident(a) for a in args), tuple(_ident(env[v]) for v in reads))
        if key in self.memo:
            return self.memo[key]
        fenv = {n: v for (n, _), v in zip(info.params, args)}
        fenv.update({v: env[v] for v in reads})
        body = info.decl.body
        if isinstance(body, list):
            fenv[RETURN] = Returned(FALSE)
            saved, saved_base = self.ctx, self.base_ctx
            self.base_ctx = saved
            try:
                fenv = self.block(body, fenv, TRUE, result=info.result)
            finally:
                self.ctx, self.base_ctx = saved, saved_base
            out = fenv[RETURN].value
        else:
            out = self.expr(body, fenv)
            self.check_range(out, info.result, body, f"the result of {info.name}")
        self.memo[key] = out
        return out

    def builtin(self, e, args, ts):
        f = e.func
        a = args[0] if args else None
        if f in ("size", "len"):
            if isinstance(a, Seq):
                return a.length
            if isinstance(a, Map):
                return z3.IntVal(len(a.keys)) if a.total else count([v.present for v in a.values])
            return set_size(a)
        if f == "keys":
            return Mask({k: (TRUE if a.total else v.present) for k, v in zip(a.keys, a.values)}, a.key_type)
        if f == "values":
            return self.as_set(Bag([(TRUE, v) if a.total else (v.present, v.value) for v in a.values
                                    if a.total or v.value is not None]), e.ty)
        if f == "has":
            return self.has_key(a, args[1])
        if f == "get":
            self.fail_when(neg(a.present), "get(none): the option is empty")
            return a.value if a.value is not None else lift(default(e.ty), e.ty)
        if f == "some":
            return Opt(TRUE, a)
        if f == "is_some":
            return a.present
        if f == "is_none":
            return neg(a.present)
        if f in ("min", "max") and len(args) == 2:
            b = args[1]
            return ite(a <= b if f == "min" else a >= b, a, b)
        if f in ("min", "max"):
            items = self.domain_elements_of(a, ts[0])
            self.fail_when(neg(disj([c for c, _ in items])), f"{f} of an empty collection")
            out, seen = None, FALSE
            for c, x in items:
                if out is None:
                    out = x
                else:
                    better = x < out if f == "min" else x > out
                    out = ite(conj([c, disj([neg(seen), better])]), x, out)
                seen = disj([seen, c])
            return out if out is not None else z3.IntVal(0)
        if f == "abs":
            return z3.If(a >= 0, a, -a)
        if f == "sum":
            items = self.domain_elements_of(a, ts[0])
            return z3.Sum([z3.If(c, x, 0) for c, x in items]) if items else z3.IntVal(0)
        if f == "sorted":
            s = a
            if isinstance(s, Seq):          # would need a sorting network over symbolic items
                self.refuse("sorted() of a sequence", e.pos)
            if isinstance(s, Bag):
                if not has_domain(ts[0].elem):
                    self.refuse("sorted() of a set whose element type has no finite domain", e.pos)
                s = to_mask(s, ts[0].elem)
            key = sort_key(s.elem)
            items = sorted(s.bits.items(), key=(lambda kv: key(kv[0])) if key else (lambda kv: kv[0]))
            return compact([(b, lift(k, s.elem)) for k, b in items])
        if f == "append":
            x = args[1]
            n = len(a.items)
            items = tuple(ite(eq(a.length, z3.IntVal(i)), x, a.items[i]) for i in range(n)) + (x,)
            return Seq(a.length + 1, items)
        if f == "concat":
            b = args[1]
            items = []
            for j in range(len(a.items) + len(b.items)):
                cases = [(a.length > j, a.items[j])] if j < len(a.items) else []
                cases += [(eq(a.length, z3.IntVal(j - i)), b.items[i]) for i in range(len(b.items))
                          if 0 <= j - i <= len(a.items)]
                items.append(select(cases))
            return Seq(a.length + b.length, tuple(items))
        if f == "head":
            return self.seq_at(a, z3.IntVal(0))
        if f == "last":
            self.fail_when(a.length <= 0, "last of an empty sequence")
            return select([(eq(a.length, z3.IntVal(i + 1)), x) for i, x in enumerate(a.items)]) \
                if a.items else z3.IntVal(0)
        if f == "tail":
            self.fail_when(a.length <= 0, "tail of an empty sequence")
            return Seq(z3.If(a.length > 0, a.length - 1, 0), a.items[1:])
        if f == "index_of":
            x = args[1]
            hits = [(conj([a.length > i, eq(y, x)]), z3.IntVal(i)) for i, y in enumerate(a.items)]
            self.fail_when(neg(disj([c for c, _ in hits])), "index_of: the value is not in the sequence")
            return select(hits, z3.IntVal(0)) if hits else z3.IntVal(0)
        if f == "to_set":
            return self.as_set(Bag([(a.length > i, x) for i, x in enumerate(a.items)]), e.ty)
        if f == "union_all":
            parts = self.domain_elements_of(a, ts[0])
            out = Bag([])
            for c, s in parts:
                out = set_op("union", out, Bag([(conj([c, p]), x) for p, x in elements(s)]))
            return self.as_set(out, e.ty)
        if f in ("put", "remove"):
            key = args[1]
            new = [ite(eq(key, lift(k, a.key_type)),
                       Opt(TRUE, args[2]) if f == "put" and not a.total else args[2] if f == "put"
                       else Opt(FALSE, None), v) for k, v in zip(a.keys, a.values)]
            self.fail_when(neg(disj([eq(key, lift(k, a.key_type)) for k in a.keys])),
                           "a map key outside the key type")
            return Map(a.keys, a.key_type, tuple(new), a.total)
        self.refuse(f"the builtin {f}", e.pos)

    def domain_elements_of(self, v, t):
        if isinstance(v, Seq):
            return [(v.length > i, x) for i, x in enumerate(v.items)]
        if isinstance(v, Map):
            return [(TRUE, lift(k, v.key_type)) for k in v.keys]
        return elements(v)

    # ------------------------------------------------------------------ ranges
    def check_range(self, v, t, value_expr, what):
        """The run-time range check of an assignment, argument or result."""
        if isinstance(t, IntT) and t.finite:
            b = self.bounds(v)
            if b is not None and t.lo <= b[0] and b[1] <= t.hi:
                return
            self.fail_when(disj([v < t.lo, v > t.hi]), f"{what} would leave its type {t}")
        elif isinstance(t, SeqT) and t.bound is not None and len(v.items) > t.bound:
            self.fail_when(v.length > t.bound, f"{what} would hold more than {t.bound} elements")

    # ------------------------------------------------------------------ statements
    def block(self, stmts, env, pc, result=None, scope=""):
        for s in stmts:
            env = self.stmt(s, env, pc, result, scope)
        return env

    def effective(self, env, pc):
        """`pc`, where no `return` of the function being inlined has run yet."""
        returned = env.get(RETURN)
        return conj([pc, neg(returned.done)]) if returned is not None else pc

    def stmt(self, s, env, pc, result, scope):
        pc = self.effective(env, pc)
        if z3.is_false(pc):
            return env
        self.ctx = conj([self.base_ctx, pc])
        self.pos = s.pos
        try:
            return self._stmt(s, env, pc, result, scope)
        except EncodingError as err:
            self.refuse(str(err), s.pos)

    def _stmt(self, s, env, pc, result, scope):
        if isinstance(s, A.Assign):
            value = self.expr(s.value, env)
            return self.assign(s, value, env, pc)
        if isinstance(s, A.Let):
            value = self.expr(s.value, env)
            if s.declared is not None:
                self.check_range(value, s.declared, s.value, s.name)
                value = _fit(value, s.declared)
            return {**env, s.name: value}
        if isinstance(s, A.If):
            c = self.expr(s.cond, env)
            env = self.block(s.then, env, conj([pc, c]), result, scope)
            return self.block(s.orelse, env, conj([pc, neg(c)]), result, scope)
        if isinstance(s, A.For):
            for c, v in self.domain_elements(s.domain, env, ordered=True):
                inner = self.block(s.body, {**env, s.var: v}, conj([pc, c]), result, scope)
                env = {k: v for k, v in inner.items() if k in env}     # RETURN is, in a function
            return env
        if isinstance(s, A.Require):
            c = self.expr(s.cond, env)
            self.unit.requires.append(disj([neg(pc), c]))
            return env
        if isinstance(s, A.Choose):
            t = s.domain.ty.elem
            label = scope + s.var
            x = self.fresh.value(t, f"choose.{label}.{next(self.counter)}", self.unit.facts, self.unit.leaves)
            dom = self.domain_elements(s.domain, env)
            # where the choice is made, x is one of the domain's elements (and so one exists)
            self.unit.requires.append(disj([neg(pc)] + [conj([c, eq(x, v)]) for c, v in dom]))
            self.unit.picks.append((label, x, t, pc))
            return {**env, s.var: x}
        if isinstance(s, A.Return):
            v = self.expr(s.value, env)
            if result is not None:
                self.check_range(v, result, s.value, "the result")
            returned = env[RETURN]
            value = ite(pc, v, returned.value)
            return {**env, RETURN: Returned(disj([returned.done, pc]), value)}
        if isinstance(s, A.CallStmt):
            info = s.ref
            inner = {v.name: env[v.name] for v in self.c.vars if v.name in env}
            for (n, t), a in zip(info.params, s.args):
                v = self.expr(a, env)
                self.check_range(v, t, a, f"argument {n} of {s.name}")
                inner[n] = v
            inner = self.block(info.decl.body, inner, pc, None, f"{scope}{s.name}.")
            return {**env, **{v.name: inner[v.name] for v in self.c.vars if v.name in inner}}
        self.refuse("this statement", s.pos)

    def assign(self, s, value, env, pc):
        lv = s.target
        if not lv.selectors:
            self.check_range(value, lv.root_type, s.value, lv.name)
            old = env.get(lv.name)
            new = _fit(value, lv.root_type)
            return {**env, lv.name: new if old is None else ite(pc, new, _fit(old, lv.root_type))}
        if lv.name not in env:
            self.refuse(f"{lv.name!r} is updated before it has a value", lv.pos)
        sels = [(k, self.expr(x, env) if k == "index" else x) for k, x in lv.selectors]
        return {**env, lv.name: self.update(env[lv.name], lv.root_type, sels, value, pc, s, lv.name)}

    def update(self, cur, t, sels, value, cond, s, name):
        if not sels:
            self.check_range(value, t, s.value, name)
            return ite(cond, _fit(value, t), cur)
        (kind, sel), rest = sels[0], sels[1:]
        if kind == "field":
            slot = t.slot(sel)
            ft = t.fields[slot][1]
            return tuple(self.update(x, ft, rest, value, cond, s, name) if i == slot else x
                         for i, x in enumerate(cur))
        if isinstance(t, MapT):
            hits = [(eq(sel, lift(k, t.key)), v) for k, v in zip(cur.keys, cur.values)]
            self.fail_when(neg(disj([c for c, _ in hits])), "a map key outside the key type")
            new = []
            for c, v in hits:
                g = conj([cond, c])
                if z3.is_false(g):
                    new.append(v)
                elif t.total:
                    new.append(self.update(v, t.value, rest, value, g, s, name))
                elif not rest:
                    self.check_range(value, t.value, s.value, name)
                    new.append(ite(g, Opt(TRUE, _fit(value, t.value)), v))
                else:
                    self.guarded(g, lambda: self.fail_when(neg(v.present), "the partial map has no entry for this key"))
                    new.append(Opt(v.present, self.update(v.value, t.value, rest, value, g, s, name)))
            return Map(cur.keys, cur.key_type, tuple(new), cur.total)
        self.fail_when(disj([sel < 0, sel >= cur.length]), "a sequence index out of range")
        items = tuple(self.update(x, t.elem, rest, value, conj([cond, eq(sel, z3.IntVal(i))]), s, name)
                      for i, x in enumerate(cur.items))
        return Seq(cur.length, items)


def _fit(v, t):
    """A value stored as type t: a sequence cut to t's bound (overflow is an error
    recorded by check_range), a set kept as bits when t's elements have a domain."""
    if isinstance(t, SeqT) and t.bound is not None and isinstance(v, Seq) and len(v.items) > t.bound:
        return Seq(v.length, v.items[:t.bound])
    if isinstance(t, SetT) and isinstance(v, Bag) and has_domain(t.elem) and len(domain(t.elem)) <= 256:
        return to_mask(v, t.elem)
    return v


def _ident(v):
    """A hashable identity of a symbolic value (for memoising function calls)."""
    if isinstance(v, z3.ExprRef):
        return v.get_id()
    if isinstance(v, tuple):
        return tuple(_ident(x) for x in v)
    if isinstance(v, Opt):
        return ("o", _ident(v.present), None if v.value is None else _ident(v.value))
    if isinstance(v, Mask):
        return ("m",) + tuple((k, b.get_id()) for k, b in v.bits.items())
    if isinstance(v, Bag):
        return ("b",) + tuple((p.get_id(), _ident(x)) for p, x in v.entries)
    if isinstance(v, Seq):
        return ("s", v.length.get_id()) + tuple(_ident(x) for x in v.items)
    if isinstance(v, Map):
        return ("p",) + tuple(_ident(x) for x in v.values)
    return repr(v)
