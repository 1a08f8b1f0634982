"""Expressions to Python expressions, specialised by their types.

The problem: an expression is evaluated in every state the search meets, so its
compiled form must do no work its types make unnecessary: a total map is a tuple
indexed by key position, quantifiers over small types are unrolled and folded,
a value built from one action parameter and constants is a table lookup, and a
builtin is the Python expression of its arguments. The invariant: the compiled
expression has the value the spec's semantics gives (checker/lang/values.py's
representation), raises runtime.EvalError exactly where evaluating the spec
fails, and evaluates its operands in the spec's order (`and`, `or`, `=>` and
`if` short-circuit as written). The cost: compile time only; the generated code
allocates no more than the value it builds. Public entry point:
`Expressions.expr(e, env)`, env mapping spec names to Python locals.
"""
from __future__ import annotations

import dataclasses
import itertools
import re

from checker.lang import ast as A
from checker.lang.errors import SpecError
from checker.lang.types import AnyT, MapT, RecordT, SetT, TupleT, domain, is_simple_key, key_count, key_offset

from .facts import always_in, is_constant, key_in_range
from .quantifiers import miniscoped
from .refinement import AbstractSpec


class Expressions:
    """Expressions of the Compiler (checker/compile/compiler.py)."""

    def expr(self, e, env) -> str:
        """Python source of `e`'s value, `env` mapping the spec's names to Python
        source: a table lookup, a module constant, or code evaluated in place."""
        table = self.parameter_table(e, env)
        if table is not None:
            return table
        src = self._expr(e, env)
        if is_constant(e) and not isinstance(e, (A.IntLit, A.BoolLit, A.NoneLit, A.Name)) \
                and not src.lstrip("-").isdigit() and src not in ("True", "False", "None"):
            return self.module_const(src, pos=e.pos)
        return src

    def _expr(self, e, env) -> str:
        if isinstance(e, A.IntLit):
            return str(e.value)
        if isinstance(e, A.BoolLit):
            return "True" if e.value else "False"
        if isinstance(e, A.NoneLit):
            return "None"
        if isinstance(e, A.Name):
            if e.kind in ("local", "var"):
                read = self.packed_read(e, env)
                if read is not None:           # a packed variable read whole: unpacked
                    return self.unpacked(e.name, read[1])
                return self.var_src(e, env)
            if e.kind == "const":
                return repr(self.c.consts[e.name].value)
            if e.kind == "enum":
                return str(e.ref[1])
            if e.kind == "type":
                return self.type_set(e.ref)
            raise SpecError(f"cannot use {e.name!r} here", e.pos)  # pragma: no cover
        if isinstance(e, A.Primed):
            read = self.packed_read(e, env)
            if read is not None:
                return self.unpacked(e.name, read[1])
            return env[f"{e.name}'"]
        if isinstance(e, A.Unary):
            if e.op == "not" and isinstance(e.operand, A.Binary) and e.operand.op in ("==", "!="):
                flipped = "!=" if e.operand.op == "==" else "=="
                return self.expr(dataclasses.replace(e.operand, op=flipped), env)
            x = self.expr(e.operand, env)
            if e.op == "not":
                return {"True": "False", "False": "True"}.get(x, f"(not {x})")
            return f"(-{x})"
        if isinstance(e, A.Binary):
            return self.binary(e, env)
        if isinstance(e, A.IfExpr):
            return f"({self.expr(e.then, env)} if {self.expr(e.cond, env)} else {self.expr(e.orelse, env)})"
        if isinstance(e, A.Quant):
            split = miniscoped(e)
            if split is not None:
                return self.expr(split, env)
            unrolled = self.unrolled_quant(e, env)
            if unrolled is not None:
                return unrolled
            gens, inner = self.generators(e.binders, env)
            fn = "all" if e.kind == "forall" else "any"
            return f"{fn}({self.expr(e.body, inner)} {gens})"
        if isinstance(e, A.The):
            py = self.fresh(f"b_{e.var}")
            dom = self.iter_domain(e.domain, env)
            found = f"{{{py} for {py} in {dom} if {self.expr(e.body, {**env, e.var: py})}}}"
            return f"_the({found}, {e.var!r}, {e.pos[0]})"
        if isinstance(e, A.Refines):
            return self.refinement(e, env)
        if isinstance(e, A.Index):
            bt = e.base.ty
            read = self.packed_read(e.base, env)
            if read is not None and key_in_range(e.index.ty, bt.key):
                return self.field_read(read[0], read[1], self.key_index(bt, self.expr(e.index, env)))
            base, key = self.expr(e.base, env), self.expr(e.index, env)
            if isinstance(bt, MapT):
                idx = self.key_index(bt, key)
                if not bt.total:
                    return f"_pget({base}, {idx})" if key_in_range(e.index.ty, bt.key) \
                        else f"_pget_checked({base}, {idx})"
                if key_in_range(e.index.ty, bt.key):
                    return f"{base}[{idx}]"
                return f"_iget({base}, {idx})"
            return f"_iget({base}, {key})"
        if isinstance(e, A.Field):
            if e.kind == "enum":
                return str(e.ref[1])
            return f"{self.expr(e.base, env)}[{e.slot}]"
        if isinstance(e, A.TupleGet):
            return f"{self.expr(e.base, env)}[{e.index}]"
        if isinstance(e, A.Call):
            return self.call(e, env)
        if isinstance(e, A.TupleLit):
            return "(" + ", ".join(self.expr(x, env) for x in e.items) + ")"
        if isinstance(e, A.SetLit):
            if not e.items:
                return "_EMPTY"
            return "frozenset((" + "".join(self.expr(x, env) + ", " for x in e.items) + "))"
        if isinstance(e, A.SeqLit):
            return "(" + "".join(self.expr(x, env) + ", " for x in e.items) + ")"
        if isinstance(e, A.MapLit):
            t = e.ty
            if not e.entries:
                if isinstance(t.key, AnyT):
                    raise SpecError("cannot tell which map `{:}` is; use it where its type is known", e.pos)
                return self.module_const(f"(None,) * {key_count(t.key)}")
            pairs = "(" + "".join(f"({self.key_index(t, self.expr(k, env))}, {self.expr(v, env)}), "
                                  for k, v in e.entries) + ")"
            return f"_mkmap({key_count(t.key)}, {pairs})"
        if isinstance(e, A.Comprehension):
            return self.comprehension(e, env)
        raise SpecError("cannot compile this expression", e.pos)  # pragma: no cover

    def refinement(self, e: A.Refines, env) -> str:
        """A `refines` declaration's check (compile/refinement.py): the abstract
        variables' values as a tuple, passed to the abstract spec's object."""
        key = id(e.abstract)
        if key not in self.refinements:
            self.refinements[key] = AbstractSpec(e.abstract, self.namespace)
        obj = self.python_value(self.refinements[key], "REF")
        now = "(" + "".join(self.expr(x, env) + ", " for x in e.exprs) + ")"
        if e.mode == "init":
            return f"{obj}.initial(s, {now})"
        after = {**env, **{v: env[f"{v}'"] for v in self.var_names}}     # the step's next state,
        nxt = "(" + "".join(self.expr(x, after) + ", " for x in e.exprs) + ")"   # functions' reads too
        return f"{obj}.step({now}, {nxt})"

    def parameter_table(self, e, env, wrap=None, names=False) -> str | None:
        """A value built from one action parameter and constants only (the message
        `Prepared(rm)`, the set `{Prepared(rm)}`): computed for every value of the
        parameter when the module loads, and looked up; None if `e` is not one.
        `wrap(source)`: a table of a function of that value instead (with `names`,
        of the parameter itself too)."""
        kinds = (A.Call, A.TupleLit, A.SetLit, A.SeqLit) + ((A.Name,) if names else ())
        if not self.params or not isinstance(e, kinds):
            return None
        used = A.local_names(e)
        if len(used) != 1:
            return None
        (name,) = used
        if name not in self.params or env.get(name) != f"p_{name}" or not is_constant(e, used):
            return None
        try:
            values = domain(self.params[name])
        except ValueError:                     # a parameter of an unbounded type
            return None
        wrap = wrap or (lambda src: src)
        entries = ", ".join(f"{v!r}: {wrap(self._expr(e, {name: repr(v)}))}" for v in values)
        return f"{self.module_const('{' + entries + '}', 'PT')}[p_{name}]"

    def key_index(self, map_or_seq_t, key_src: str) -> str:
        """Source of the position of a key in a map's tuple (a sequence index as is)."""
        if isinstance(map_or_seq_t, MapT):
            kt = map_or_seq_t.key
            if not is_simple_key(kt):   # records/tuples of keys: a precomputed position table
                table = self.module_const(f"{{k: i for i, k in enumerate({domain(kt)!r})}}", "KIX")
                return f"{table}[{key_src}]"
            off = key_offset(kt)
            return f"({key_src}) - {off}" if off else key_src
        return key_src

    def pmap_keys(self, t, src) -> str:
        """Source listing the present keys of a partial map, in key order."""
        if _always_truthy(t.value):
            return f"_compress({self.type_tuple(t.key)}, {src})"
        return f"_map_keys({src}, {self.type_tuple(t.key)})"

    def iter_domain(self, e, env, ordered=False) -> str:
        """Source iterating a set, sequence or map-keys expression."""
        if isinstance(e, A.Binary) and e.op == "..":
            return f"range({self.expr(e.left, env)}, ({self.expr(e.right, env)}) + 1)"
        if isinstance(e, A.Name) and e.kind == "type":
            return self.type_tuple(e.ref)
        if isinstance(e, A.Call) and e.kind == "builtin" and e.func == "keys" and not e.args[0].ty.total:
            # a partial map's keys, walked: the present keys in key order, without
            # building (and hashing) the set keys() makes
            present = self.pmap_keys(e.args[0].ty, self.expr(e.args[0], env))
            if not ordered:
                return present
            key = self.sorter(e.ty.elem)
            return f"sorted({present}{', key=' + key if key else ''})"
        src = self.expr(e, env)
        t = e.ty
        if isinstance(t, MapT):
            return self.type_tuple(t.key) if t.total else self.pmap_keys(t, src)
        if ordered and isinstance(t, SetT):
            key = self.sorter(t.elem)
            return f"sorted({src}{', key=' + key if key else ''})"
        return src

    UNROLL_LIMIT = 16

    def unrolled_quant(self, e, env):
        """forall/exists over types with few values become a chain of and/or."""
        names, domains = [], []
        for b in e.binders:
            if not (isinstance(b.domain, A.Name) and b.domain.kind == "type"):
                return None
            for n in b.names:
                names.append(n)
                domains.append(domain(b.domain.ref))
        combos = 1
        for d in domains:
            combos *= len(d)
        if combos > self.UNROLL_LIMIT or combos == 0:
            return None
        op = " and " if e.kind == "forall" else " or "
        neutral = "True" if e.kind == "forall" else "False"     # a part that can be left out
        parts = []
        for values in itertools.product(*domains):
            inner = {**env, **{n: repr(v) for n, v in zip(names, values)}}
            part = self.expr(e.body, inner)
            if part != neutral:
                parts.append(part)
        return "(" + op.join(parts) + ")" if parts else neutral

    def generators(self, binders, env):
        parts = []
        inner = dict(env)
        for b in binders:
            dom = self.iter_domain(b.domain, inner)
            if len(b.names) > 1 and not dom.isidentifier():   # computed once for all its names
                held = self.fresh("d")
                parts.append(f"for {held} in (tuple({dom}),)")
                dom = held
            for n in b.names:
                py = self.fresh(f"b_{n}")
                parts.append(f"for {py} in {dom}")
                inner[n] = py
        return " ".join(parts), inner

    def comprehension(self, e: A.Comprehension, env) -> str:
        py = self.fresh(f"b_{e.var}")
        ordered = e.kind == "seq"
        dom = self.iter_domain(e.domain, env, ordered=ordered)
        inner = {**env, e.var: py}
        cond = f" if {self.expr(e.cond, inner)}" if e.cond is not None else ""
        val = self.expr(e.elem, inner)
        if e.kind == "set":
            return f"frozenset({val} for {py} in {dom}{cond})"
        if e.kind == "seq":
            return f"tuple({val} for {py} in {dom}{cond})"
        t = e.ty
        if t.total:
            return f"tuple({val} for {py} in {self.type_tuple(t.key)})"
        key = self.key_index(t, self.expr(e.key, inner))
        return f"_mkmap({key_count(t.key)}, (({key}, {val}) for {py} in {dom}{cond}))"

    def binary(self, e: A.Binary, env) -> str:
        op = e.op
        if op == "..":
            return f"frozenset(range({self.expr(e.left, env)}, ({self.expr(e.right, env)}) + 1))"
        if op in ("in", "subseteq") and always_in(e, self.c.defs):
            return "True"
        packed = self.packed_binary(e, env)
        if packed is not None:
            return packed
        l, r = self.expr(e.left, env), self.expr(e.right, env)
        if op in ("union", "intersect", "minus", "in", "notin", "subseteq") \
                and isinstance(e.right, A.SetLit) and e.right.items and r.startswith("frozenset(("):
            # a set display is built faster than a frozenset; with a frozenset on the
            # left (every set value is one) the result is still a frozenset
            r = "{" + r[len("frozenset(("):-2] + "}"
        py = {"and": "and", "or": "or", "+": "+", "-": "-", "*": "*", "/": "//", "%": "%",
              "==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
              "in": "in", "notin": "not in", "union": "|", "intersect": "&", "minus": "-",
              "subseteq": "<="}.get(op)
        folded = _folded(op, l, r)
        if folded is not None:
            return folded
        if op == "=>":
            return f"((not {l}) or {r})"
        if op == "/":
            return f"_div({l}, {r})"
        return f"({l} {py} {r})"

    def call(self, e: A.Call, env) -> str:
        if e.kind == "builtin" and e.func in ("size", "len") and isinstance(e.args[0].ty, SetT):
            read = self.packed_read(e.args[0], env)
            if read is not None:
                return f"{read[1]}.bit_count()"
        args = [self.expr(a, env) for a in e.args]
        if e.kind == "record":
            return "(" + "".join(a + ", " for a in args) + ")"
        if e.kind == "def":
            return self.def_call(e, args, env)
        f = e.func
        ts = [a.ty for a in e.args]
        if f in ("size", "len"):
            t = ts[0]
            if isinstance(t, MapT):
                return str(key_count(t.key)) if t.total else f"_psize({args[0]})"
            return f"len({args[0]})"
        if f == "keys":
            t = ts[0]
            return self.type_set(t.key) if t.total else f"frozenset({self.pmap_keys(t, args[0])})"
        if f == "values":
            return f"frozenset({args[0]})" if ts[0].total else f"frozenset(v for v in {args[0]} if v is not None)"
        if f == "has":
            t = ts[0]
            if t.total:
                return "True"
            get = "" if key_in_range(ts[1], t.key) else "_iget"
            idx = self.key_index(t, args[1])
            return f"({args[0]}[{idx}] is not None)" if not get else f"(_iget({args[0]}, {idx}) is not None)"
        if f in ("min", "max") and len(args) == 1:
            return f"_{f}({args[0]})"
        if f == "sorted":
            key = self.sorter(ts[0].elem)
            return f"tuple(sorted({args[0]}{', key=' + key if key else ''}))"
        if f in _BUILTIN_TEMPLATES:
            return _BUILTIN_TEMPLATES[f].format(*args)
        if f == "put":
            t = ts[0]
            return f"_upd({args[0]}, {self.key_index(t, args[1])}, {args[2]})"
        if f == "remove":
            t = ts[0]
            return f"_upd({args[0]}, {self.key_index(t, args[1])}, None)"
        raise SpecError(f"cannot compile builtin {f}", e.pos)  # pragma: no cover


def _always_truthy(t) -> bool:
    """Values that are never falsy in Python: non-empty tuples (records, tuples)."""
    if isinstance(t, RecordT):
        return len(t.fields) > 0
    return isinstance(t, TupleT) and len(t.items) > 0


_LITERAL = re.compile(r"-?\d+|True|False|None")


def _folded(op, l, r) -> str | None:
    """`op` on compiled operands l and r, decided at compile time where an operand is
    a literal (quantifiers over small types are unrolled with their values, so their
    bodies are full of `0 == 1`); None if it is not. An operand that is evaluated is
    never dropped (it could fail), only one that short-circuiting skips."""
    if op in ("==", "!=") and _LITERAL.fullmatch(l) and _LITERAL.fullmatch(r):
        return str((l == r) == (op == "=="))
    if op == "and":
        return {"False": "False", "True": r}.get(l, l if r == "True" else None)
    if op == "or":
        return {"True": "True", "False": r}.get(l, l if r == "False" else None)
    if op == "=>":
        return {"False": "True", "True": r}.get(l)
    return None


# Builtins that compile to a fixed Python expression of their arguments.
_BUILTIN_TEMPLATES = {
    "get": "_get({0})", "some": "{0}", "is_some": "({0} is not None)", "is_none": "({0} is None)",
    "min": "min({0}, {1})", "max": "max({0}, {1})", "abs": "abs({0})", "sum": "sum({0})",
    "append": "({0} + ({1},))", "concat": "({0} + {1})", "head": "_iget({0}, 0)",
    "last": "_last({0})", "tail": "_tail({0})", "index_of": "_index_of({0}, {1})",
    "to_set": "frozenset({0})", "union_all": "_EMPTY.union(*{0})",
}
