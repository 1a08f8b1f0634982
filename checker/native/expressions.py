"""gdsl expressions to C expressions, over the encodings of encoding.py.

The problem: every typed expression of the spec must become one C expression, with
the same value as the Python backend computes and the same failures (a value out
of its range, `get(none)`, division by zero). The invariant: `expr(e, env)` returns
C source of e's C type (encoding.py: int64 for scalars, uint64 bitsets, map
structs); a set's bits are positions in the element type `set_elem` picks (a literal
`{5}` joined to a `set[0..3]` lays out as the variable does); loops (quantifiers,
comprehensions, aggregates) are GCC statement expressions `({ ... })`; `env` maps
each gdsl local to (C expression, type), and "$s" / "$p" to the state structs read
for unprimed and primed variables. The cost: one C expression per spec expression,
no allocation; a quantifier over a scalarset of 9 values is a 9-iteration loop.
Public entry point: `CExpressions.expr`.
"""
from __future__ import annotations

import itertools

from checker.lang import ast as A
from checker.lang.types import (AnyT, BoolT, EnumT, IntT, MapT, OptionT, RecordT, ScalarsetT, SetT, TupleT,
                                component_types)

from .encoding import (Unsupported, card, from_ord, is_array_map, is_bitset, is_finite_scalar, is_scalar,
                       strides, to_ord)


class CExpressions:
    """Expressions of the C generator (checker/native/codegen.py)."""

    counter = itertools.count(1)

    def fresh(self, base="t") -> str:
        return f"{base}_{next(self.counter)}"

    # ---- C types

    def ctype(self, t, pos=(0, 0)) -> str:
        if is_scalar(t):
            return "int64_t"
        if is_bitset(t):
            return "uint64_t"
        if is_array_map(t):
            return self.map_struct(t)
        raise Unsupported(f"a value of type {t}", pos)

    def map_struct(self, t) -> str:
        key = (str(t.key), str(t.value), card(t.key))
        name = self.structs.get(key)
        if name is None:
            name = self.structs[key] = f"M{len(self.structs) + 1}"
            self.struct_defs.append(f"typedef struct {{ {self.ctype(t.value)} a[{card(t.key)}]; }} {name};")
        return name

    # ---- values

    def expr(self, e, env) -> str:
        t = e.ty
        if isinstance(t, SetT) and not isinstance(e, A.Binary):
            return self.set_expr(e, env, self.set_elem(e))
        method = getattr(self, "x_" + type(e).__name__, None)
        if method is None:
            raise Unsupported(f"the expression {type(e).__name__}", e.pos)
        return method(e, env)

    def x_IntLit(self, e, env):
        return f"{e.value}LL"

    def x_BoolLit(self, e, env):
        return "1" if e.value else "0"

    def x_NoneLit(self, e, env):
        return "0"

    def x_Name(self, e, env):
        if e.kind == "local":
            return env[e.name][0]
        if e.kind == "var":
            return f"{env['$s']}.{e.name}"
        if e.kind == "const":
            v = self.c.consts[e.name].value
            return str(int(v)) + "LL"
        if e.kind == "enum":
            return f"{e.ref[1]}LL"
        raise Unsupported(f"the name {e.name!r} here", e.pos)

    def x_Primed(self, e, env):
        return f"{env['$p']}.{e.name}"

    def x_Field(self, e, env):
        if e.kind == "enum":
            return f"{e.ref[1]}LL"
        return self.component(e.base.ty, self.expr(e.base, env), e.slot)

    def x_TupleGet(self, e, env):
        return self.component(e.base.ty, self.expr(e.base, env), e.index)

    def component(self, t, src, slot) -> str:
        ft = component_types(t)[slot]
        raw = f"(({src} / {strides(t)[slot]}LL) % {card(ft)}LL)"
        return from_ord(ft, raw)

    def compose(self, t, values, exprs) -> str:
        """The ordinal of a record or tuple of the given component C values."""
        parts = []
        for (ft, stride), v, e in zip(zip(component_types(t), strides(t)), values, exprs):
            parts.append(f"{self.ordinal(ft, v, e)} * {stride}LL")
        return "(" + " + ".join(parts) + ")" if parts else "0"

    def ordinal(self, t, v, e=None, what="a value") -> str:
        """The ordinal of C value v of finite scalar type t, checked to be one of t's
        values when the expression's own type does not guarantee it."""
        if isinstance(t, IntT):
            src_t = e.ty if e is not None else None
            if not (isinstance(src_t, IntT) and src_t.finite and t.lo <= src_t.lo and src_t.hi <= t.hi):
                v = f"mc_check({v}, {t.lo}LL, {t.hi}LL, \"{what}\")"
            return to_ord(t, v)
        return v

    def x_TupleLit(self, e, env):
        return self.compose(e.ty, [self.expr(x, env) for x in e.items], e.items)

    def x_Unary(self, e, env):
        v = self.expr(e.operand, env)
        return f"(!{v})" if e.op == "not" else f"(-{v})"

    def x_IfExpr(self, e, env):
        if isinstance(e.ty, SetT):
            elem = self.set_elem(e)
            return (f"({self.expr(e.cond, env)} ? {self.set_expr(e.then, env, elem)} : "
                    f"{self.set_expr(e.orelse, env, elem)})")
        return f"({self.expr(e.cond, env)} ? {self.expr(e.then, env)} : {self.expr(e.orelse, env)})"

    def x_Binary(self, e, env):
        op, l, r = e.op, e.left, e.right
        if op in ("union", "intersect", "minus"):
            return self.set_expr(e, env, self.set_elem(e))
        if op in ("in", "notin"):
            test = self.member(l, r, env)
            return test if op == "in" else f"(!{test})"
        if op == "subseteq":
            elem = self.set_elem(l, r)
            return f"(({self.set_expr(l, env, elem)} & ~{self.set_expr(r, env, elem)}) == 0)"
        if op in ("==", "!="):
            return self.equal(l, r, env, op == "!=")
        a, b = self.expr(l, env), self.expr(r, env)
        if op == "and":
            return f"({a} && {b})"
        if op == "or":
            return f"({a} || {b})"
        if op == "=>":
            return f"(!{a} || {b})"
        if op == "/":
            return f"mc_div({a}, {b})"
        if op == "%":
            return f"mc_mod({a}, {b})"
        if op in ("+", "-", "*", "<", "<=", ">", ">="):
            return f"({a} {op} {b})"
        raise Unsupported(f"the operator {op!r}", e.pos)

    def equal(self, l, r, env, negate=False) -> str:
        t = l.ty if not _is_any(l.ty) else r.ty
        if isinstance(t, SetT):
            elem = self.set_elem(l, r)
            a, b = self.set_expr(l, env, elem), self.set_expr(r, env, elem)
            test = f"({a} == {b})"
        elif isinstance(t, MapT):
            ct = self.ctype(t, l.pos)
            a, b = self.expr(l, env), self.expr(r, env)
            test = f"({{ {ct} _a = {a}, _b = {b}; memcmp(&_a, &_b, sizeof _a) == 0; }})"
        else:
            test = f"({self.expr(l, env)} == {self.expr(r, env)})"
        return f"(!{test})" if negate else test

    def member(self, x, s, env) -> str:
        """x in s."""
        v = self.expr(x, env)
        if isinstance(s, A.SetLit):
            if not s.items:
                return "0"
            return "(" + " || ".join(f"({v} == {self.expr(i, env)})" for i in s.items) + ")"
        if isinstance(s, A.Binary) and s.op == "..":
            return f"({{ int64_t _v = {v}; _v >= {self.expr(s.left, env)} && _v <= {self.expr(s.right, env)}; }})"
        if isinstance(s, A.Name) and s.kind == "type":
            return self.in_type(s.ref, v)
        st = s.ty
        if isinstance(st, MapT) and st.total:
            return self.in_type(st.key, v)
        if not isinstance(st, SetT):
            raise Unsupported(f"membership in a value of type {st}", s.pos)
        elem = self.set_elem(s)
        bits = self.set_expr(s, env, elem)
        if isinstance(elem, IntT):
            return (f"({{ int64_t _o = {v} - ({elem.lo}LL); _o >= 0 && _o < {card(elem)} "
                    f"&& (({bits} >> _o) & 1); }})")
        return f"((({bits}) >> ({v})) & 1)"

    @staticmethod
    def in_type(t, v) -> str:
        if isinstance(t, IntT):
            return f"({{ int64_t _v = {v}; _v >= {t.lo}LL && _v <= {t.hi}LL; }})"
        return "1"

    # ---- sets

    def set_elem(self, *exprs):
        """The element type whose ordinals lay out the bits of these set expressions."""
        for e in exprs:
            t = e.ty.elem if isinstance(e.ty, SetT) else None
            if t is not None and not _is_any(t) and is_finite_scalar(t) and card(t) <= 64:
                return t
        for e in exprs:
            t = e.ty.elem if isinstance(e.ty, SetT) else None
            if t is not None and not _is_any(t):
                raise Unsupported(f"a set of {t} (the native backend holds sets of at most 64 values "
                                  f"of a finite type)", e.pos)
        return None          # only empty sets: no bits at all

    def set_expr(self, e, env, elem) -> str:
        """C bitset of set expression e, bits laid out over `elem`."""
        if isinstance(e, A.SetLit):
            if not e.items:
                return "0ULL"
            return "(" + " | ".join(self.bit(elem, x, env) for x in e.items) + ")"
        if isinstance(e, A.Binary) and e.op in ("union", "intersect", "minus"):
            a, b = self.set_expr(e.left, env, elem), self.set_expr(e.right, env, elem)
            return {"union": f"({a} | {b})", "intersect": f"({a} & {b})", "minus": f"({a} & ~{b})"}[e.op]
        if isinstance(e, A.Name) and e.kind == "type":
            return self.full_set(e.ref, elem, e.pos)
        if isinstance(e, A.Comprehension) and e.kind == "set":
            return self.set_comprehension(e, env, elem)
        if isinstance(e, A.IfExpr):
            return f"({self.expr(e.cond, env)} ? {self.set_expr(e.then, env, elem)} : " \
                   f"{self.set_expr(e.orelse, env, elem)})"
        if isinstance(e, A.Binary) and e.op == "..":
            lo, hi = self.expr(e.left, env), self.expr(e.right, env)
            return (f"({{ uint64_t _b = 0; for (int64_t _v = {lo}; _v <= {hi}; _v++) "
                    f"_b |= mc_bit(_v - ({elem.lo}LL), {card(elem)}); _b; }})")
        if isinstance(e, A.Call) and e.kind == "builtin":
            return self.set_builtin(e, env, elem)
        # a variable, field, map entry, function call ...: laid out by its own type
        own = e.ty.elem if isinstance(e.ty, SetT) else None
        if own is not None and not _is_any(own) and elem is not None and not _same_layout(own, elem):
            raise Unsupported(f"a set of {own} used as a set of {elem}", e.pos)
        method = getattr(self, "x_" + type(e).__name__, None)
        if method is None:
            raise Unsupported(f"the set expression {type(e).__name__}", e.pos)
        return method(e, env)

    def bit(self, elem, x, env) -> str:
        v = self.expr(x, env)
        o = to_ord(elem, v)
        return f"mc_bit({o}, {card(elem)})"

    def full_set(self, t, elem, pos) -> str:
        if elem is None or not _same_layout(t, elem):
            if isinstance(t, IntT) and isinstance(elem, IntT):
                lo, hi = t.lo - elem.lo, t.hi - elem.lo
                if lo < 0 or hi >= card(elem):
                    raise Unsupported(f"the type {t} as a set of {elem}", pos)
                return f"({_mask(hi - lo + 1)} << {lo})"
            raise Unsupported(f"the type {t} as a set of {elem}", pos)
        return _mask(card(t))

    def set_builtin(self, e, env, elem):
        f, args = e.func, e.args
        if f == "keys" and isinstance(args[0].ty, MapT) and args[0].ty.total:
            return self.full_set(args[0].ty.key, elem, e.pos)
        if f == "values" and is_array_map(args[0].ty):
            mt = args[0].ty
            m = self.expr(args[0], env)
            return (f"({{ {self.ctype(mt)} _m = {m}; uint64_t _b = 0; for (int _k = 0; _k < {card(mt.key)}; _k++) "
                    f"_b |= mc_bit({to_ord(elem, '_m.a[_k]')}, {card(elem)}); _b; }})")
        raise Unsupported(f"{f}() returning a set", e.pos)

    def set_comprehension(self, e, env, elem) -> str:
        acc = self.fresh("_b")
        loop, inner = self.loop(e.var, e.domain, env)
        body = f"{acc} |= {self.bit(elem, e.elem, inner)};"
        if e.cond is not None:
            body = f"if ({self.expr(e.cond, inner)}) {body}"
        return f"({{ uint64_t {acc} = 0; {loop} {{ {body} }} {acc}; }})"

    # ---- loops over domains (quantifiers, comprehensions, for, choose, parameters)

    def loop(self, var, domain, env):
        """(C loop header binding `var`, env with it bound) over the values of domain."""
        c = self.fresh(f"v_{var}")
        if isinstance(domain, A.Name) and domain.kind == "type":
            t = domain.ref
            return self.type_loop(t, c), {**env, var: (c, t)}
        if isinstance(domain, A.Binary) and domain.op == "..":
            lo, hi = self.expr(domain.left, env), self.expr(domain.right, env)
            h = self.fresh("_hi")
            return (f"for (int64_t {c} = {lo}, {h} = {hi}; {c} <= {h}; {c}++)",
                    {**env, var: (c, domain.ty.elem)})
        dt = domain.ty
        if isinstance(dt, MapT) and dt.total:
            return self.type_loop(dt.key, c), {**env, var: (c, dt.key)}
        if isinstance(domain, A.Call) and domain.kind == "builtin" and domain.func == "keys" \
                and domain.args[0].ty.total:
            t = domain.args[0].ty.key
            return self.type_loop(t, c), {**env, var: (c, t)}
        if isinstance(dt, SetT):
            elem = self.set_elem(domain)
            if elem is None:
                return f"for (int64_t {c} = 0; 0; )", {**env, var: (c, dt.elem)}
            b = self.fresh("_bits")
            o = self.fresh("_o")
            bits = self.set_expr(domain, env, elem)
            return (f"for (uint64_t {b} = {bits}; {b}; {b} &= {b} - 1) "
                    f"for (int64_t {o} = __builtin_ctzll({b}), {c} = {from_ord(elem, o)}, _once_{c} = 1; "
                    f"_once_{c}; _once_{c} = 0)",
                    {**env, var: (c, elem)})
        raise Unsupported(f"ranging over a value of type {dt}", domain.pos)

    def type_loop(self, t, c) -> str:
        if not is_finite_scalar(t):
            raise Unsupported(f"ranging over the type {t}", (0, 0))
        if isinstance(t, IntT):
            return f"for (int64_t {c} = {t.lo}LL; {c} <= {t.hi}LL; {c}++)"
        return f"for (int64_t {c} = 0; {c} < {card(t)}LL; {c}++)"

    def x_Quant(self, e, env):
        r = self.fresh("_q")
        forall = e.kind == "forall"
        loops, inner = [], env
        for b in e.binders:
            for name in b.names:
                header, inner = self.loop(name, b.domain, inner)
                loops.append(header)
        body = self.expr(e.body, inner)
        test = f"if (!{body}) {{ {r} = 0; goto {r}_end; }}" if forall else \
            f"if ({body}) {{ {r} = 1; goto {r}_end; }}"
        return (f"({{ __label__ {r}_end; int {r} = {1 if forall else 0}; " + " ".join(loops) + f" {{ {test} }} "
                f"{r}_end: ; {r}; }})")

    def x_Comprehension(self, e, env):
        if e.kind == "map" and is_array_map(e.ty):
            mt = e.ty
            m = self.fresh("_m")
            loop, inner = self.loop(e.var, e.domain, env)
            key = self.ordinal(mt.key, self.expr(e.key, inner), e.key, "a map key")
            val = self.stored(mt.value, e.elem, inner)
            body = f"{m}.a[{key}] = {val};"
            if e.cond is not None:
                body = f"if ({self.expr(e.cond, inner)}) {body}"
            return f"({{ {self.ctype(mt)} {m}; memset(&{m}, 0, sizeof {m}); {loop} {{ {body} }} {m}; }})"
        raise Unsupported(f"a {e.kind} comprehension of type {e.ty}", e.pos)

    def stored(self, t, e, env, what="a value") -> str:
        """C value of e, to be held where type t is: ranges checked, sets laid out as t's."""
        if isinstance(t, SetT):
            return self.set_expr(e, env, t.elem)
        v = self.expr(e, env)
        if isinstance(t, IntT) and t.finite:
            src = e.ty
            if not (isinstance(src, IntT) and src.finite and t.lo <= src.lo and src.hi <= t.hi):
                return f"mc_check({v}, {t.lo}LL, {t.hi}LL, \"{what}\")"
        return v

    def x_MapLit(self, e, env):
        mt = e.ty
        if not is_array_map(mt) or len(e.entries) != card(mt.key):
            raise Unsupported("a map literal that is not a total map", e.pos)
        m = self.fresh("_m")
        sets = " ".join(f"{m}.a[{self.ordinal(mt.key, self.expr(k, env), k, 'a map key')}] = "
                        f"{self.stored(mt.value, v, env)};" for k, v in e.entries)
        return f"({{ {self.ctype(mt)} {m}; memset(&{m}, 0, sizeof {m}); {sets} {m}; }})"

    def x_Index(self, e, env):
        bt = e.base.ty
        if not is_array_map(bt):
            raise Unsupported(f"indexing a value of type {bt}", e.pos)
        key = self.ordinal(bt.key, self.expr(e.index, env), e.index, "a map key")
        return f"({self.expr(e.base, env)}).a[{key}]"

    # ---- calls

    def x_Call(self, e, env):
        if e.kind == "record":
            return self.compose(e.ty, [self.expr(a, env) for a in e.args], e.args)
        if e.kind == "def":
            info = e.ref
            args = [self.stored(t, a, env, f"argument {n} of {info.name}") for (n, t), a in zip(info.params, e.args)]
            return f"d_{info.name}(&{env['$s']}" + "".join(", " + a for a in args) + ")"
        return self.builtin(e, env)

    def builtin(self, e, env):
        f, args = e.func, e.args
        ts = [a.ty for a in args]
        if f in ("size", "len"):
            if isinstance(ts[0], SetT):
                return f"((int64_t)__builtin_popcountll({self.set_expr(args[0], env, self.set_elem(args[0]))}))"
            if isinstance(ts[0], MapT) and ts[0].total:
                return f"{card(ts[0].key)}LL"
        if f in ("min", "max") and len(args) == 2:
            return f"mc_{f}({self.expr(args[0], env)}, {self.expr(args[1], env)})"
        if f in ("min", "max", "sum") and isinstance(ts[0], SetT):
            elem = self.set_elem(args[0])
            if isinstance(elem, IntT):
                return f"mc_bits_{f}({self.set_expr(args[0], env, elem)}, {elem.lo}LL)"
        if f == "abs":
            return f"mc_abs({self.expr(args[0], env)})"
        if f == "some":
            inner = e.ty.inner
            return f"(1 + {self.ordinal(inner, self.expr(args[0], env), args[0], 'an option')})"
        if f == "get":
            return from_ord(e.ty, f"(mc_get({self.expr(args[0], env)}) - 1)")
        if f == "is_some":
            return f"({self.expr(args[0], env)} != 0)"
        if f == "is_none":
            return f"({self.expr(args[0], env)} == 0)"
        if f == "has" and isinstance(ts[0], MapT) and ts[0].total:
            return self.in_type(ts[0].key, self.expr(args[1], env))
        if f == "put" and is_array_map(ts[0]):
            mt = ts[0]
            m = self.fresh("_m")
            key = self.ordinal(mt.key, self.expr(args[1], env), args[1], "a map key")
            return (f"({{ {self.ctype(mt)} {m} = {self.expr(args[0], env)}; "
                    f"{m}.a[{key}] = {self.stored(mt.value, args[2], env)}; {m}; }})")
        raise Unsupported(f"the builtin {f}() on {', '.join(map(str, ts))}", e.pos)


def _is_any(t) -> bool:
    return isinstance(t, AnyT) or (isinstance(t, SetT) and isinstance(t.elem, AnyT))


def _same_layout(a, b) -> bool:
    if isinstance(a, IntT) and isinstance(b, IntT):
        return (a.lo, a.hi) == (b.lo, b.hi)
    if isinstance(a, (EnumT, ScalarsetT, RecordT)):
        return a is b
    if isinstance(a, (BoolT, OptionT, TupleT)):
        return a == b
    return False


def _mask(n: int) -> str:
    return "0xFFFFFFFFFFFFFFFFULL" if n >= 64 else f"0x{(1 << n) - 1:X}ULL"
