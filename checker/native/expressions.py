"""gdsl expressions to C expressions, over the encodings of encoding.py.

The problem: every typed expression of the spec must become one C expression, with
the same value as the Python backend computes and the same failures (a value out
of its range, an absent key, `get(none)`, division by zero). The invariant:
`expr(e, env)` returns C source of e's C type (encoding.py: int64 for scalars,
uint64 bitsets, structs); a set's bits are positions in the element type
`set_elem` picks (`{-1} union gens` lays out over gens' range); loops
(quantifiers, comprehensions, aggregates) are GCC statement expressions
`({ ... })`; `env` maps each gdsl local to (C expression, type), and "$s" / "$p"
to the state structs read for unprimed and primed variables. The cost: one C
expression per spec expression, no allocation; a quantifier over a scalarset of 9
values is a 9-iteration loop. Public entry point: `CExpressions.expr`.
"""
from __future__ import annotations

import itertools

from checker.lang import ast as A
from checker.lang.types import (AnyT, BoolT, EnumT, IntT, MapT, OptionT, RecordT, ScalarsetT, SeqT, SetT, TupleT,
                                component_types)

from .encoding import (Unsupported, _type_key, c_value, card, from_ord, is_bitset, is_finite_scalar, is_keyed,
                       is_scalar, seq_capacity, strides, to_ord)


class CExpressions:
    """Expressions of the C generator (checker/native/codegen.py)."""

    counter = itertools.count(1)

    def fresh(self, base="t") -> str:
        return f"{base}_{next(self.counter)}"

    def ctype(self, t, pos=(0, 0)) -> str:
        return self.types.ctype(t, pos)

    def zero(self, t, pos=(0, 0)) -> str:
        if is_scalar(t):
            return "0LL"
        if is_bitset(t):
            return "0ULL"
        return f"(({self.ctype(t, pos)}){{0}})"

    # ---- values

    def expr(self, e, env) -> str:
        t = e.ty
        if isinstance(t, SetT):
            return self.set_expr(e, env, self.set_elem(env, e))
        method = getattr(self, "x_" + type(e).__name__, None)
        if method is None:
            raise Unsupported(f"the expression {type(e).__name__}", e.pos)
        return method(e, env)

    def x_IntLit(self, e, env):
        return f"{e.value}LL"

    def x_BoolLit(self, e, env):
        return "1" if e.value else "0"

    def x_NoneLit(self, e, env):
        if isinstance(e.ty, OptionT) and not _is_any(e.ty) and not is_scalar(e.ty):
            return self.zero(e.ty, e.pos)
        return "0"

    def read(self, t, c) -> str:
        """Struct member c of type t as an expression: a scalar widened to int64_t, a
        bitset to uint64_t (members are narrow: CTypes.member), a struct as it is."""
        if is_scalar(t):
            return f"((int64_t){c})"
        if is_bitset(t):
            return f"((uint64_t){c})"
        return c

    def x_Name(self, e, env):
        if e.kind == "local":
            return env[e.name][0]
        if e.kind == "var":
            return self.read(e.ty, f"{env['$s']}.{e.name}")
        if e.kind == "const":
            c = self.c.consts[e.name]
            if isinstance(c.type, (IntT, BoolT, EnumT)):
                return str(int(c.value)) + "LL"
            if is_bitset(c.type):
                return f"{c_value(c.type, c.value)}ULL"
            if is_scalar(c.type):
                return f"{c_value(c.type, c.value)}LL"
            raise Unsupported(f"the constant {e.name} of type {c.type}", e.pos)
        if e.kind == "enum":
            return f"{e.ref[1]}LL"
        raise Unsupported(f"the name {e.name!r} here", e.pos)

    def x_Primed(self, e, env):
        return self.read(e.ty, f"{env['$p']}.{e.name}")

    def x_Field(self, e, env):
        if e.kind == "enum":
            return f"{e.ref[1]}LL"
        return self.component(self.ty(e.base, env), self.expr(e.base, env), e.slot)

    def x_TupleGet(self, e, env):
        return self.component(self.ty(e.base, env), self.expr(e.base, env), e.index)

    def component(self, t, src, slot) -> str:
        ft = component_types(t)[slot]
        if not is_scalar(t):
            return self.read(ft, f"({src}).f{slot}")
        raw = f"(({src} / {strides(t)[slot]}LL) % {card(ft)}LL)"
        return from_ord(ft, raw)

    def compose(self, t, exprs, env, pos) -> str:
        """A record or tuple of the given component expressions."""
        comps = component_types(t)
        if not is_scalar(t):
            parts = [f".f{i} = {self.stored(ft, x, env, f'a field of {t}')}" for i, (ft, x) in enumerate(zip(comps, exprs))]
            return f"(({self.ctype(t, pos)}){{ {', '.join(parts)} }})"
        parts = []
        for ft, stride, x in zip(comps, strides(t), exprs):
            parts.append(f"{self.ordinal(ft, self.expr(x, env), x, f'a field of {t}')} * {stride}LL")
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
        return self.compose(e.ty, e.items, env, e.pos)

    def x_Unary(self, e, env):
        v = self.expr(e.operand, env)
        return f"(!{v})" if e.op == "not" else f"(-{v})"

    def x_IfExpr(self, e, env):
        if isinstance(e.ty, SetT):
            elem = self.set_elem(env, e)
            return (f"({self.expr(e.cond, env)} ? {self.set_expr(e.then, env, elem)} : "
                    f"{self.set_expr(e.orelse, env, elem)})")
        return (f"({self.expr(e.cond, env)} ? {self.stored(e.ty, e.then, env)} : "
                f"{self.stored(e.ty, e.orelse, env)})")

    def x_Binary(self, e, env):
        op, l, r = e.op, e.left, e.right
        if op in ("union", "intersect", "minus"):
            return self.set_expr(e, env, self.set_elem(env, e))
        if op in ("in", "notin"):
            test = self.member(l, r, env)
            return test if op == "in" else f"(!{test})"
        if op == "subseteq":
            elem = self.set_elem(env, l, r)
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
        lt, rt = self.ty(l, env), self.ty(r, env)
        t = lt if not _is_any(lt) else rt
        if not (_is_any(lt) or _is_any(rt)) and _type_key(lt) != _type_key(rt):
            common = _common(lt, rt)         # both sides converted to it: comparing checks no range
            if is_scalar(common) == is_scalar(lt) == is_scalar(rt):
                t = common
        if isinstance(t, SetT):
            elem = self.set_elem(env, l, r)
            a, b = self.set_expr(l, env, elem), self.set_expr(r, env, elem)
            test = f"({a} == {b})"
        elif not is_scalar(t):
            ct = self.ctype(t, l.pos)
            a, b = self.stored(t, l, env), self.stored(t, r, env)
            test = f"({{ {ct} _a = {a}, _b = {b}; memcmp(&_a, &_b, sizeof _a) == 0; }})"
        else:          # ordinals of one layout (an option's, a tuple's)
            test = f"({self.stored(t, l, env)} == {self.stored(t, r, env)})"
        return f"(!{test})" if negate else test

    def member(self, x, s, env) -> str:
        """x in s."""
        v = self.expr(x, env)
        if isinstance(s, A.SetLit) and all(is_scalar(i.ty) for i in s.items):
            if not s.items:
                return f"((void)({v}), 0)"          # v is evaluated: it may fail, as in Python
            tmp = self.fresh("_x")
            return (f"({{ int64_t {tmp} = {v}; " + " || ".join(f"({tmp} == {self.expr(i, env)})" for i in s.items)
                    + "; })")
        if isinstance(s, A.Binary) and s.op == "..":
            return f"({{ int64_t _v = {v}; _v >= {self.expr(s.left, env)} && _v <= {self.expr(s.right, env)}; }})"
        if isinstance(s, A.Name) and s.kind == "type":
            return self.in_type(s.ref, v)
        st = self.ty(s, env)
        if isinstance(st, MapT) and st.total:
            return self.in_type(st.key, v)
        if isinstance(st, SeqT) and is_scalar(st.elem):
            acc, (loop, inner) = self.fresh("_in"), self.loop("$x", s, env)
            return (f"({{ __label__ {acc}_end; int {acc} = 0; int64_t {acc}_w = {v}; {loop} {{ "
                    f"if ({inner['$x'][0]} == {acc}_w) {{ {acc} = 1; goto {acc}_end; }} }} {acc}_end: ; {acc}; }})")
        if not isinstance(st, SetT):
            raise Unsupported(f"membership in a value of type {st}", s.pos)
        elem = self.set_elem(env, s)
        if elem is None:
            return f"((void)({v}), 0)"
        bits = self.set_expr(s, env, elem)
        return self.bit_test(elem, bits, v)

    def bit_test(self, elem, bits, v) -> str:
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

    def set_elem(self, env, *exprs):
        """The element type whose ordinals lay out the bits of these set expressions:
        their own, or for ints the smallest range holding every part's range and
        literal (a set of ints of no finite range cannot be a bitset)."""
        found, ints, unbounded = [], [], None
        for e in exprs:
            self.elements(e, env, found, ints)
        for t in found:
            if isinstance(t, IntT):
                if t.finite:
                    ints += [t.lo, t.hi]
                elif unbounded is None:
                    unbounded = t
            elif not _is_any(t):
                if not (is_finite_scalar(t) and card(t) <= 64):
                    raise Unsupported(f"a set of {t} (the native backend holds sets of at most 64 values "
                                      f"of a finite type)", exprs[0].pos)
                return t
        if unbounded is not None and not ints:
            raise Unsupported("a set of integers of no finite range", exprs[0].pos)
        if ints:
            lo, hi = min(ints), max(ints)
            if hi - lo >= 64:
                raise Unsupported(f"a set of the integers {lo}..{hi} (at most 64 values)", exprs[0].pos)
            for t in found:        # the declared range, when it holds everything
                if isinstance(t, IntT) and t.finite and t.lo <= lo and hi <= t.hi:
                    return t
            return IntT(lo, hi)
        return None          # only empty sets: no bits at all

    def elements(self, e, env, found, ints):
        """Collect the element types (and integer literals) of a set expression's parts."""
        if isinstance(e, A.Binary) and e.op in ("union", "intersect", "minus"):
            self.elements(e.left, env, found, ints)
            self.elements(e.right, env, found, ints)
            return
        if isinstance(e, A.IfExpr):
            self.elements(e.then, env, found, ints)
            self.elements(e.orelse, env, found, ints)
            return
        if isinstance(e, A.SetLit):
            for x in e.items:
                v = _literal(x)
                if v is not None:
                    ints.append(v)
                else:
                    found.append(self.ty(x, env))
            return
        t = self.ty(e, env)
        if isinstance(t, SetT):
            found.append(t.elem)

    def ty(self, e, env):
        """e's type as the C code holds it: a local's own (the type checker widens a
        local's ints, `set[Partition]` to `set[int]`, where C keeps the layout of the
        value that defined it), and what follows from it."""
        if isinstance(e, A.Name) and e.kind == "local" and e.name in env:
            return env[e.name][1]
        if isinstance(e, A.Index):
            bt = self.ty(e.base, env)
            if isinstance(bt, MapT):
                return bt.value
            if isinstance(bt, SeqT):
                return bt.elem
        if isinstance(e, A.Field) and e.kind == "record":
            return component_types(self.ty(e.base, env))[e.slot]
        if isinstance(e, A.TupleGet):
            return component_types(self.ty(e.base, env))[e.index]
        if isinstance(e, A.Call) and e.kind == "builtin" and e.args:
            t0 = self.ty(e.args[0], env)
            if e.func == "get" and isinstance(t0, OptionT):
                return t0.inner
            if e.func == "append" and isinstance(t0, SeqT) and isinstance(e.ty, SeqT) \
                    and seq_capacity(t0) != seq_capacity(e.ty):
                return e.ty                 # converted to the result's capacity (own_builtin)
            if e.func in ("remove", "put", "tail", "append") and type(t0) is type(e.ty):
                return t0
            if e.func in ("head", "last") and isinstance(t0, SeqT):
                return t0.elem
            if e.func == "keys" and isinstance(t0, MapT):
                return SetT(t0.key)
        return e.ty

    def set_expr(self, e, env, elem) -> str:
        """C bitset of set expression e, bits laid out over `elem`."""
        if elem is None:
            return "0ULL"
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
            return (f"({{ uint64_t _b = 0; for (int64_t _v = {lo}, _h = {hi}; _v <= _h; _v++) "
                    f"_b |= mc_bit({to_ord(elem, '_v')}, {card(elem)}); _b; }})")
        if isinstance(e, A.Call) and e.kind == "builtin":
            return self.set_builtin(e, env, elem)
        et = self.ty(e, env)
        own = et.elem if isinstance(et, SetT) else None
        if own is None or _is_any(own) or _same_layout(own, elem):
            return self.own_set(e, env)
        return self.relayout(self.own_set(e, env), own, elem, e.pos)

    def own_set(self, e, env) -> str:
        method = getattr(self, "x_" + type(e).__name__, None)
        if method is None:
            raise Unsupported(f"the set expression {type(e).__name__}", e.pos)
        return method(e, env)

    def relayout(self, bits, own, elem, pos) -> str:
        """A bitset over ints `own` as one over ints `elem` (a shift, checked)."""
        if not (isinstance(own, IntT) and isinstance(elem, IntT)):
            raise Unsupported(f"a set of {own} used as a set of {elem}", pos)
        d = own.lo - elem.lo
        if d >= 0 and own.hi <= elem.hi:
            return f"(({bits}) << {d})"
        return (f"({{ uint64_t _s = {bits}, _b = 0; while (_s) {{ int64_t _v = __builtin_ctzll(_s) + ({own.lo}LL); "
                f"_b |= mc_bit({to_ord(elem, '_v')}, {card(elem)}); _s &= _s - 1; }} _b; }})")

    def bit(self, elem, x, env) -> str:
        v = self.expr(x, env)
        return f"mc_bit({to_ord(elem, v)}, {card(elem)})"

    def full_set(self, t, elem, pos) -> str:
        if _same_layout(t, elem):
            return _mask(card(t))
        return self.relayout(_mask(card(t)), t, elem, pos)

    def set_builtin(self, e, env, elem):
        f, args = e.func, e.args
        a0 = self.ty(args[0], env) if args else None
        if f == "keys" and is_keyed(a0):
            mt = a0
            bits = _mask(card(mt.key)) if mt.total else f"({self.expr(args[0], env)}).has"
            return bits if _same_layout(mt.key, elem) else self.relayout(bits, mt.key, elem, e.pos)
        if f == "values" and is_keyed(a0) and is_finite_scalar(a0.value):
            mt = a0
            m = self.expr(args[0], env)
            has = _mask(card(mt.key)) if mt.total else "_m.has"
            return (f"({{ {self.ctype(mt)} _m = {m}; uint64_t _b = 0; for (int _k = 0; _k < {card(mt.key)}; _k++) "
                    f"if ({has} >> _k & 1) _b |= mc_bit({to_ord(elem, '_m.a[_k]')}, {card(elem)}); _b; }})")
        if f == "union_all" and isinstance(args[0], A.Comprehension) and args[0].kind == "set":
            return self.set_comprehension(args[0], env, elem, union=True)
        if f == "to_set" and isinstance(a0, SeqT):
            acc = self.fresh("_b")
            loop, inner = self.loop("$x", args[0], env)
            return (f"({{ uint64_t {acc} = 0; {loop} {{ {acc} |= mc_bit({to_ord(elem, inner['$x'][0])}, "
                    f"{card(elem)}); }} {acc}; }})")
        return self.own_builtin(e, env)

    def set_comprehension(self, e, env, elem, union=False) -> str:
        """{x for v in D if c}, or with `union` the union of the sets x (union_all)."""
        acc = self.fresh("_b")
        loop, inner = self.loop(e.var, e.domain, env)
        part = self.set_expr(e.elem, inner, elem) if union else self.bit(elem, e.elem, inner)
        body = f"{acc} |= {part};"
        if e.cond is not None:
            body = f"if ({self.expr(e.cond, inner)}) {body}"
        return f"({{ uint64_t {acc} = 0; {loop} {{ {body} }} {acc}; }})"

    # ---- loops over domains (quantifiers, comprehensions, for, choose, parameters)

    def loop(self, var, domain, env):
        """(C loop header binding `var`, env with it bound) over the values of domain,
        in the Python backend's order (ascending: a set's elements, a map's keys)."""
        c = self.fresh(f"v_{var.strip('$')}")
        if isinstance(domain, A.Name) and domain.kind == "type":
            t = domain.ref
            if isinstance(t, MapT):
                return self.map_type_loop(t, c, domain.pos), {**env, var: (c, t)}
            return self.type_loop(t, c, domain.pos), {**env, var: (c, t)}
        if isinstance(domain, A.Binary) and domain.op == "..":
            lo, hi = self.expr(domain.left, env), self.expr(domain.right, env)
            h = self.fresh("_hi")
            return (f"for (int64_t {c} = {lo}, {h} = {hi}; {c} <= {h}; {c}++)",
                    {**env, var: (c, self.ty(domain, env).elem)})
        dt = self.ty(domain, env)
        if isinstance(domain, A.Call) and domain.kind == "builtin" and domain.func == "keys" \
                and is_keyed(self.ty(domain.args[0], env)):
            dt = self.ty(domain.args[0], env)
            domain = domain.args[0]
        if isinstance(dt, MapT) and is_keyed(dt):
            if dt.total:
                return self.type_loop(dt.key, c, domain.pos), {**env, var: (c, dt.key)}
            return self.bits_loop(f"({self.expr(domain, env)}).has", dt.key, c), {**env, var: (c, dt.key)}
        if isinstance(dt, SetT):
            elem = self.set_elem(env, domain)
            if elem is None:
                return f"for (int64_t {c} = 0; 0; )", {**env, var: (c, dt.elem)}
            return self.bits_loop(self.set_expr(domain, env, elem), elem, c), {**env, var: (c, elem)}
        if isinstance(dt, SeqT):
            q, i = self.fresh("_q"), self.fresh("_i")
            ct = self.ctype(dt.elem, domain.pos)
            return (f"for ({self.ctype(dt, domain.pos)} {q} = {self.expr(domain, env)}, *_p_{q} = &{q}; _p_{q}; "
                    f"_p_{q} = 0) for (int64_t {i} = 0; {i} < {q}.len; {i}++) "
                    f"for ({ct} {c} = {q}.a[{i}], *_once_{c} = &{c}; _once_{c}; _once_{c} = 0)",
                    {**env, var: (c, dt.elem)})
        raise Unsupported(f"ranging over a value of type {dt}", domain.pos)

    def bits_loop(self, bits, elem, c) -> str:
        b, o = self.fresh("_bits"), self.fresh("_o")
        return (f"for (uint64_t {b} = {bits}; {b}; {b} &= {b} - 1) "
                f"for (int64_t {o} = __builtin_ctzll({b}), {c} = {from_ord(elem, o)}, _once_{c} = 1; "
                f"_once_{c}; _once_{c} = 0)")

    def type_loop(self, t, c, pos=(0, 0)) -> str:
        if not is_finite_scalar(t):
            raise Unsupported(f"ranging over the type {t}", pos)
        if isinstance(t, IntT):
            return f"for (int64_t {c} = {t.lo}LL; {c} <= {t.hi}LL; {c}++)"
        return f"for (int64_t {c} = 0; {c} < {card(t)}LL; {c}++)"

    def map_type_loop(self, t, c, pos) -> str:
        """A loop over every map of type t (`map[K, V]` as a set), in the Python
        backend's order (itertools.product: the last key changes fastest; a partial
        map's key absent before each of its values)."""
        if not (is_keyed(t) and is_finite_scalar(t.value)):
            raise Unsupported(f"ranging over the set of maps {t}", pos)
        n, m = card(t.key), card(t.value) + (0 if t.total else 1)
        p, go, k, o = f"_p_{c}", self.fresh("_go"), self.fresh("_k"), self.fresh("_o")
        if t.total:
            get = to_ord(t.value, f"{c}.a[{k}]")
            put = f"{c}.a[{k}] = {from_ord(t.value, o)};"
        else:
            get = f"(({c}.has >> {k} & 1) ? {to_ord(t.value, f'{c}.a[{k}]')} + 1 : 0)"
            put = (f"if ({o} == 0) {{ {c}.has &= ~(1ULL << {k}); {c}.a[{k}] = 0; }} else {{ "
                   f"{c}.has |= 1ULL << {k}; {c}.a[{k}] = {from_ord(t.value, f'({o} - 1)')}; }}")
        first = f"for (int {k} = 0; {k} < {n}; {k}++) {{ int64_t {o} = 0; {put} }}"
        step = (f"({{ int {go} = 0; for (int {k} = {n - 1}; {k} >= 0 && !{go}; {k}--) {{ "
                f"int64_t {o} = {get} + 1; if ({o} < {m}) {go} = 1; else {o} = 0; {put} }} {go}; }})")
        return (f"for ({self.ctype(t, pos)} {c} = {self.zero(t, pos)}, *{p} = ({{ {first} &{c}; }}); {p}; "
                f"{p} = {step} ? &{c} : 0)")

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

    def x_Refines(self, e, env):
        raise Unsupported("a `refines` declaration (its abstract spec runs on the Python backend)", e.pos)

    def x_The(self, e, env):
        """`the x in S: P` over a scalar domain without repeats (a set, type, range or
        map's keys): the one value found, mc_fail when none or several are."""
        if isinstance(self.ty(e.domain, env), SeqT) or not is_finite_scalar(e.ty):
            raise Unsupported(f"`the` over {self.ty(e.domain, env)}", e.pos)
        r, n = self.fresh("_the"), self.fresh("_n")
        header, inner = self.loop(e.var, e.domain, env)
        found = inner[e.var][0]
        return (f"({{ int64_t {r} = 0; int {n} = 0; {header} {{ if ({self.expr(e.body, inner)}) "
                f"{{ {r} = {found}; {n}++; }} }} if ({n} != 1) mc_fail({n} ? \"`the {e.var} in ...` at line "
                f"{e.pos[0]}: several elements satisfy its condition (exactly one must)\" : \"`the {e.var} in "
                f"...` at line {e.pos[0]}: no element satisfies its condition (exactly one must)\"); {r}; }})")

    def x_Comprehension(self, e, env, want=None):
        if e.kind == "map" and is_keyed(want or e.ty):
            mt = want or e.ty
            m = self.fresh("_m")
            loop, inner = self.loop(e.var, e.domain, env)
            key = self.fresh("_k")
            val = self.stored(mt.value, e.elem, inner)
            has = "" if mt.total else f" {m}.has |= 1ULL << {key};"
            body = (f"int64_t {key} = {self.ordinal(mt.key, self.expr(e.key, inner), e.key, 'a map key')}; "
                    f"{m}.a[{key}] = {val};{has}")
            if e.cond is not None:
                body = f"if ({self.expr(e.cond, inner)}) {{ {body} }}"
            return f"({{ {self.ctype(mt)} {m} = {self.zero(mt)}; {loop} {{ {body} }} {m}; }})"
        if e.kind == "seq":
            st = want or e.ty
            q = self.fresh("_s")
            loop, inner = self.loop(e.var, e.domain, env)
            body = f"{self.seq_push(q, st, self.stored(st.elem, e.elem, inner))}"
            if e.cond is not None:
                body = f"if ({self.expr(e.cond, inner)}) {{ {body} }}"
            return f"({{ {self.ctype(st, e.pos)} {q} = {self.zero(st)}; {loop} {{ {body} }} {q}; }})"
        raise Unsupported(f"a {e.kind} comprehension of type {e.ty}", e.pos)

    def seq_push(self, q, st, v) -> str:
        return (f"if ({q}.len >= {seq_capacity(st)}) mc_fail(\"a sequence would hold more than "
                f"{seq_capacity(st)} elements\"); else {q}.a[{q}.len++] = {v};")

    def stored(self, t, e, env, what="a value") -> str:
        """C value of e, to be held where type t is: ranges checked, sets laid out as
        t's, structs of t's C type."""
        if isinstance(t, SetT) and is_bitset(t):
            return self.set_expr(e, env, t.elem)
        if isinstance(t, OptionT) and isinstance(e, A.NoneLit):
            return "0" if is_scalar(t) else self.zero(t, e.pos)
        if isinstance(t, MapT) and isinstance(e, A.MapLit) and not e.entries:
            return self.zero(t, e.pos)
        if isinstance(t, SeqT) and isinstance(e, A.SeqLit):
            return self.seq_literal(t, e, env)
        if isinstance(e, A.Comprehension) and isinstance(t, (MapT, SeqT)):
            return self.x_Comprehension(e, env, t)
        if isinstance(e, A.MapLit) and isinstance(t, MapT):
            return self.x_MapLit(e, env, t)
        if isinstance(e, A.IfExpr) and not is_scalar(t) and not isinstance(t, SetT):
            return f"({self.expr(e.cond, env)} ? {self.stored(t, e.then, env)} : {self.stored(t, e.orelse, env)})"
        if isinstance(t, OptionT) and is_scalar(t) and isinstance(e, A.Call) and e.func == "some" \
                and not is_scalar(e.ty):
            # some(x) of a wider type (x a plain int) held as t's packed option
            return f"(1 + {self.ordinal(t.inner, self.expr(e.args[0], env), e.args[0], what)})"
        return self.convert(self.expr(e, env), self.ty(e, env), t, what, e.pos)

    # ---- a value of one type held where another is (ranges, capacities)

    def convert(self, v, src, dst, what="a value", pos=(0, 0)) -> str:
        """C value v of type src as a value of type dst, the same type but for its int
        ranges and sequence capacities (the type checker lets `map[K, 0..9]` be stored
        in a `map[K, 0..3]`): each int checked to be in dst's range where src's does not
        guarantee it (a narrow member must never wrap, nor a packed field spill into its
        neighbour), as the Python backend checks a stored value and a packed map's."""
        if _is_any(src) or _type_key(src) == _type_key(dst):
            return v
        if isinstance(dst, IntT):
            if not dst.finite or (isinstance(src, IntT) and src.finite and dst.lo <= src.lo and src.hi <= dst.hi):
                return v
            return f"mc_check({v}, {dst.lo}LL, {dst.hi}LL, \"{what}\")"
        if is_scalar(dst) and is_scalar(src) and isinstance(dst, (OptionT, TupleT)) and type(src) is type(dst):
            o = self.fresh("_o")
            if isinstance(dst, OptionT):
                inner = self.convert(from_ord(src.inner, f"({o} - 1)"), src.inner, dst.inner, what, pos)
                return f"({{ int64_t {o} = {v}; {o} ? 1 + {to_ord(dst.inner, inner)} : 0; }})"
            parts = [f"{to_ord(d, self.convert(self.component(src, o, i), s_, d, f'a field of {dst}', pos))} * {k}LL"
                     for i, (s_, d, k) in enumerate(zip(component_types(src), component_types(dst), strides(dst)))]
            return f"({{ int64_t {o} = {v}; {' + '.join(parts) or '0'}; }})"
        if is_bitset(dst) and is_bitset(src):
            return v if _same_layout(src.elem, dst.elem) else self.relayout(v, src.elem, dst.elem, pos)
        if is_scalar(dst) or is_bitset(dst) or is_scalar(src) or is_bitset(src) or type(src) is not type(dst):
            return v
        name = self.conversion(src, dst, pos)
        return f"{name}({v})"

    def conversion(self, src, dst, pos) -> str:
        """The name of `static Tdst f(Tsrc x)`: convert() member by member (absent
        entries, unused slots and the inside of `none` stay zero), written once a pair."""
        key = (_type_key(src), _type_key(dst))
        name = self.conversions.get(key)
        if name is not None:
            return name
        ts, td = self.ctype(src, pos), self.ctype(dst, pos)
        body = []

        def put(s_t, d_t, x, r, what):
            body.append(f"{r} = {self.convert(self.read(s_t, x), s_t, d_t, what, pos)};")

        if isinstance(dst, (RecordT, TupleT)):
            for i, (s_t, d_t) in enumerate(zip(component_types(src), component_types(dst))):
                put(s_t, d_t, f"x.f{i}", f"r.f{i}", f"a field of {dst}")
        elif isinstance(dst, OptionT):
            body.append("r.some = x.some; if (x.some) {")
            put(src.inner, dst.inner, "x.v", "r.v", "an option")
            body.append("}")
        elif isinstance(dst, MapT) and is_keyed(dst) and is_keyed(src) and card(src.key) == card(dst.key):
            n = card(dst.key)
            has = _mask(n) if src.total else "x.has"
            if not dst.total:
                body.append(f"r.has = {has};")
            body.append(f"for (int k = 0; k < {n}; k++) if ({has} >> k & 1) {{")
            put(src.value, dst.value, "x.a[k]", "r.a[k]", "a map value")
            body.append("}")
        elif isinstance(dst, SeqT):
            cap = seq_capacity(dst)
            body.append(f"if (x.len > {cap}) mc_fail(\"a sequence would hold more than {cap} elements\");")
            body.append(f"r.len = x.len > {cap} ? {cap} : x.len;")
            body.append("for (int i = 0; i < r.len; i++) {")
            put(src.elem, dst.elem, "x.a[i]", "r.a[i]", "a sequence element")
            body.append("}")
        else:
            raise Unsupported(f"a value of type {src} held as one of type {dst}", pos)
        name = self.conversions[key] = f"mc_conv_{len(self.conversions) + 1}"
        self.conversion_defs.append(f"static {td} {name}({ts} x) {{ {td} r; memset(&r, 0, sizeof r); "
                                    + " ".join(body) + " return r; }")
        return name

    def seq_literal(self, t, e, env) -> str:
        if len(e.items) > seq_capacity(t):
            raise Unsupported(f"a sequence literal longer than {seq_capacity(t)}", e.pos)
        q = self.fresh("_s")
        sets = " ".join(f"{q}.a[{k}] = {self.stored(t.elem, x, env)};" for k, x in enumerate(e.items))
        return f"({{ {self.ctype(t, e.pos)} {q} = {self.zero(t, e.pos)}; {q}.len = {len(e.items)}; {sets} {q}; }})"

    def x_SeqLit(self, e, env):
        return self.seq_literal(e.ty, e, env)

    def x_MapLit(self, e, env, want=None):
        mt = want or e.ty
        if not is_keyed(mt):
            raise Unsupported(f"a map literal of type {mt}", e.pos)
        m = self.fresh("_m")
        sets = []
        for k, v in e.entries:
            key = self.ordinal(mt.key, self.expr(k, env), k, "a map key")
            sets.append(f"{{ int64_t _k = {key}; {m}.a[_k] = {self.stored(mt.value, v, env)};"
                        + ("" if mt.total else f" {m}.has |= 1ULL << _k;") + " }")
        return f"({{ {self.ctype(mt)} {m} = {self.zero(mt)}; {' '.join(sets)} {m}; }})"

    def x_Index(self, e, env):
        bt = self.ty(e.base, env)
        base = self.expr(e.base, env)
        if isinstance(bt, SeqT):
            return (f"({{ {self.ctype(bt)} _s = {base}; int64_t _i = {self.expr(e.index, env)}; "
                    f"if (_i < 0 || _i >= _s.len) {{ mc_fail(\"sequence index out of range\"); _i = 0; }} "
                    f"{self.read(bt.elem, '_s.a[_i]')}; }})")
        if not is_keyed(bt):
            raise Unsupported(f"indexing a value of type {bt}", e.pos)
        key = self.ordinal(bt.key, self.expr(e.index, env), e.index, "a map key")
        if bt.total:
            return self.read(bt.value, f"({base}).a[{key}]")
        if _is_lvalue(e.base):
            return (f"({{ int64_t _k = {key}; if (!(({base}).has >> _k & 1)) mc_fail(\"the key is not in the map\"); "
                    f"{self.read(bt.value, f'({base}).a[_k]')}; }})")
        return (f"({{ {self.ctype(bt)} _m = {base}; int64_t _k = {key}; "
                f"if (!(_m.has >> _k & 1)) mc_fail(\"the key is not in the map\"); {self.read(bt.value, '_m.a[_k]')}; }})")

    # ---- calls

    def x_Call(self, e, env):
        if e.kind == "record":
            return self.compose(e.ty, e.args, env, e.pos)
        if e.kind == "def":
            info = e.ref
            args = [self.stored(t, a, env, f"argument {n} of {info.name}") for (n, t), a in zip(info.params, e.args)]
            return f"d_{info.name}(&{env['$s']}" + "".join(", " + a for a in args) + ")"
        return self.builtin(e, env)

    def builtin(self, e, env):
        if isinstance(e.ty, SetT):
            return self.set_expr(e, env, self.set_elem(env, e))
        return self.own_builtin(e, env)

    def own_builtin(self, e, env):
        f, args = e.func, e.args
        ts = [self.ty(a, env) for a in args]
        t0 = ts[0] if ts else None
        if f in ("size", "len"):
            if isinstance(t0, SetT):
                return f"((int64_t)__builtin_popcountll({self.set_expr(args[0], env, self.set_elem(env, args[0]))}))"
            if isinstance(t0, MapT) and t0.total:
                return f"{card(t0.key)}LL"
            if isinstance(t0, MapT) and is_keyed(t0):
                return f"((int64_t)__builtin_popcountll(({self.expr(args[0], env)}).has))"
            if isinstance(t0, SeqT):
                return f"((int64_t)({self.expr(args[0], env)}).len)"
        if f in ("min", "max") and len(args) == 2:
            return f"mc_{f}({self.expr(args[0], env)}, {self.expr(args[1], env)})"
        if f in ("min", "max", "sum") and isinstance(t0, SetT):
            elem = self.set_elem(env, args[0])
            if isinstance(elem, IntT):
                return f"mc_bits_{f}({self.set_expr(args[0], env, elem)}, {elem.lo}LL)"
        if f == "abs":
            return f"mc_abs({self.expr(args[0], env)})"
        if f == "some":
            inner = e.ty.inner
            if is_scalar(e.ty):
                return f"(1 + {self.ordinal(inner, self.expr(args[0], env), args[0], 'an option')})"
            return f"(({self.ctype(e.ty, e.pos)}){{ 1, {self.stored(inner, args[0], env)} }})"
        if f == "get":
            if is_scalar(t0):
                return from_ord(t0.inner, f"(mc_get({self.expr(args[0], env)}) - 1)")
            return (f"({{ {self.ctype(t0)} _o = {self.expr(args[0], env)}; "
                    f"if (!_o.some) mc_fail(\"get(none): the option is empty\"); {self.read(t0.inner, '_o.v')}; }})")
        if f in ("is_some", "is_none"):
            v = self.expr(args[0], env)
            some = f"({v} != 0)" if is_scalar(t0) else f"(({v}).some != 0)"
            return some if f == "is_some" else f"(!{some})"
        if f == "has" and isinstance(t0, MapT):
            if t0.total:
                return self.in_type(t0.key, self.expr(args[1], env))
            if is_keyed(t0):
                return self.bit_test(t0.key, f"({self.expr(args[0], env)}).has", self.expr(args[1], env))
        if f in ("put", "remove") and is_keyed(t0):
            m = self.fresh("_m")
            key = self.ordinal(t0.key, self.expr(args[1], env), args[1], "a map key")
            if f == "put":
                val = self.stored(t0.value, args[2], env)
                has = "" if t0.total else f" {m}.has |= 1ULL << _k;"
                body = f"{m}.a[_k] = {val};{has}"
            else:
                body = f"{m}.has &= ~(1ULL << _k); memset(&{m}.a[_k], 0, sizeof {m}.a[_k]);"
            return f"({{ {self.ctype(t0)} {m} = {self.expr(args[0], env)}; int64_t _k = {key}; {body} {m}; }})"
        if f == "sorted" and isinstance(t0, SetT):
            elem = self.set_elem(env, args[0])
            q, c = self.fresh("_s"), self.fresh("v_x")
            if elem is None:
                return self.zero(e.ty, e.pos)
            loop = self.bits_loop(self.set_expr(args[0], env, elem), elem, c)
            return (f"({{ {self.ctype(e.ty, e.pos)} {q} = {self.zero(e.ty)}; {loop} {{ {self.seq_push(q, e.ty, c)} }} "
                    f"{q}; }})")
        if f in ("head", "last") and isinstance(t0, SeqT):
            idx = "0" if f == "head" else "_s.len - 1"
            return (f"({{ {self.ctype(t0)} _s = {self.expr(args[0], env)}; if (_s.len == 0) "
                    f"mc_fail(\"{f} of an empty sequence\"); {self.read(t0.elem, f'_s.a[_s.len ? {idx} : 0]')}; }})")
        if f == "tail" and isinstance(t0, SeqT):
            return (f"({{ {self.ctype(t0)} _s = {self.expr(args[0], env)}; if (_s.len == 0) "
                    f"mc_fail(\"tail of an empty sequence\"); else {{ memmove(&_s.a[0], &_s.a[1], "
                    f"(_s.len - 1) * sizeof _s.a[0]); _s.len--; memset(&_s.a[_s.len], 0, sizeof _s.a[0]); }} _s; }})")
        if f == "append" and isinstance(t0, SeqT):
            q = self.fresh("_s")
            v = (f"({{ {self.ctype(t0)} {q} = {self.expr(args[0], env)}; "
                 f"{self.seq_push(q, t0, self.stored(t0.elem, args[1], env))} {q}; }})")
            st = e.ty if isinstance(e.ty, SeqT) else t0
            return v if seq_capacity(st) == seq_capacity(t0) else self.convert(v, t0, st, "a sequence", e.pos)
        raise Unsupported(f"the builtin {f}() on {', '.join(map(str, ts))}", e.pos)


def _literal(x):
    if isinstance(x, A.IntLit):
        return x.value
    if isinstance(x, A.Unary) and x.op == "-" and isinstance(x.operand, A.IntLit):
        return -x.operand.value
    return None


def _is_lvalue(e) -> bool:
    if isinstance(e, A.Name):
        return e.kind in ("var", "local")
    if isinstance(e, A.Primed):
        return True
    if isinstance(e, A.Field):
        return e.kind == "record" and not is_scalar(e.base.ty) and _is_lvalue(e.base)
    if isinstance(e, A.Index):
        return isinstance(e.base.ty, MapT) and e.base.ty.total and _is_lvalue(e.base)
    return False


def _is_any(t) -> bool:
    """Does t hold an unknown part (the type of `{}`, `none`, `{:}` before context)?"""
    if isinstance(t, AnyT):
        return True
    if isinstance(t, (SetT, SeqT)):
        return _is_any(t.elem)
    if isinstance(t, OptionT):
        return _is_any(t.inner)
    if isinstance(t, MapT):
        return _is_any(t.key) or _is_any(t.value)
    return False


def _common(a, b):
    """A type holding the values of both a and b, alike but for int ranges and
    sequence capacities: the range holding both ranges, the larger capacity."""
    if isinstance(a, IntT) and isinstance(b, IntT):
        return IntT(min(a.lo, b.lo), max(a.hi, b.hi)) if a.finite and b.finite else IntT()
    if isinstance(a, SeqT) and isinstance(b, SeqT):
        return SeqT(_common(a.elem, b.elem), max(seq_capacity(a), seq_capacity(b)))
    if isinstance(a, OptionT) and isinstance(b, OptionT):
        return OptionT(_common(a.inner, b.inner))
    if isinstance(a, SetT) and isinstance(b, SetT) and isinstance(a.elem, IntT) and isinstance(b.elem, IntT) \
            and a.elem.finite and b.elem.finite:
        return SetT(IntT(min(a.elem.lo, b.elem.lo), max(a.elem.hi, b.elem.hi)))
    if isinstance(a, MapT) and isinstance(b, MapT):
        return MapT(a.key, _common(a.value, b.value), a.total and b.total)
    if isinstance(a, TupleT) and isinstance(b, TupleT):
        return TupleT(tuple(_common(x, y) for x, y in zip(a.items, b.items)))
    return a


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
