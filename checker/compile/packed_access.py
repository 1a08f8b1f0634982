"""Reads and writes of state variables held as ints (packed: checker/compile/packing.py).

The problem: a set of a small type, or a map to small values, packed into an int
is cheap to store and hash only if compiled code works on the int: membership is
a bit test, a map entry a shift and a mask, a set union an `|`. The invariant: a
packed variable reaches compiled code only as its int, except where an expression
reads it whole: then it is decoded, and `unpacked_vars` records it, so that
model.compile_model compiles again without packing it (a packed variable read whole
costs more than packing saves); a value is encoded only when it is in the
variable's type (checked first, as for a plain variable). The cost: for each
layout, a few tables computed when the module loads. Public entry point: the
`PackedAccess` methods `packed_read`, `packed_expr`, `packed_binary`,
`packed_assign` and `boundary_functions`.
"""
from __future__ import annotations

from checker.lang import ast as A
from checker.lang.errors import SpecError
from checker.lang.types import SetT

from .facts import always_in_type, is_constant, key_in_range
from .packing import PackedMap, PackedSet


class PackedAccess:
    """Packed variables in the Compiler (checker/compile/compiler.py)."""

    def packed_read(self, e, env):
        """(layout, int source) when `e` is a packed state variable, primed or not."""
        if isinstance(e, A.Name) and e.kind == "var" and e.name in self.packed:
            return self.packed[e.name], self.var_src(e, env)
        if isinstance(e, A.Primed) and e.name in self.packed:
            return self.packed[e.name], env[f"{e.name}'"]
        return None

    def packed_expr(self, e, lay, env) -> str:
        """Source of the packed form (under `lay`) of a set or map expression: integer
        operations on packed variables and on the bits of displayed elements, else the
        plain value encoded."""
        read = self.packed_read(e, env)
        if read is not None and read[0] == lay:
            return read[1]
        if is_constant(e):
            return self.module_const(f"{self.pack_helper(lay, 'encode')}({self.expr(e, env)})", pos=e.pos)
        if isinstance(lay, PackedSet):
            if isinstance(e, A.SetLit) and e.items:
                return "(" + " | ".join(self.element_bit(lay, x, env, strict=True) for x in e.items) + ")"
            if isinstance(e, A.Binary) and e.op in ("union", "intersect", "minus"):
                l, r = self.packed_expr(e.left, lay, env), self.packed_expr(e.right, lay, env)
                return {"union": f"({l} | {r})", "intersect": f"({l} & {r})", "minus": f"({l} & ~{r})"}[e.op]
        if isinstance(e, A.IfExpr):
            return (f"({self.packed_expr(e.then, lay, env)} if {self.expr(e.cond, env)} "
                    f"else {self.packed_expr(e.orelse, lay, env)})")
        return f"{self.pack_helper(lay, 'encode')}({self.expr(e, env)})"

    def packed_binary(self, e: A.Binary, env) -> str | None:
        """Membership, equality and inclusion with a packed variable on one side, as
        integer operations; None for any other binary expression."""
        op = e.op
        if op in ("in", "notin"):
            read = self.packed_read(e.right, env)
            if read is None:
                return None
            bit = self.element_bit(read[0], e.left, env, strict=False)
            return f"({read[1]} & {bit} {'!=' if op == 'in' else '=='} 0)"
        if op not in ("==", "!=", "subseteq"):
            return None
        mine, other = (e.left, e.right) if self.packed_read(e.left, env) else (e.right, e.left)
        read = self.packed_read(mine, env)
        if read is None:
            return None
        t = mine.ty
        exact = always_in_type(t.elem if isinstance(t, SetT) else t.value) \
            or self.packed_read(other, env) is not None or isinstance(other, A.SetLit) and not other.items
        if not exact:
            return None                # the other side may hold a value no field can
        l, r = self.packed_expr(e.left, read[0], env), self.packed_expr(e.right, read[0], env)
        return f"({l} & ~{r} == 0)" if op == "subseteq" else f"({l} {op} {r})"

    def packed_assign(self, w, depth, s: A.Assign, env, lay) -> dict:
        """An assignment to a packed variable: the packed value computed directly, a map
        entry by integer operations, deeper updates on the unpacked value."""
        lv = s.target
        py = self.fresh(self.ssa_base(lv.name))
        if not lv.selectors:
            w(depth, f"{py} = {self.packed_expr(s.value, lay, env)}")
            return {**env, lv.name: py}
        if lv.name not in env:
            raise SpecError(f"{lv.name!r} is updated before it has a value", lv.pos)
        kind, sel = lv.selectors[0]
        t = lv.root_type
        if len(lv.selectors) == 1 and isinstance(lay, PackedMap) and key_in_range(sel.ty, t.key):
            pos = self.key_index(t, self.expr(sel, env))
            new = self.named(w, depth, self.expr(s.value, env), "_new")
            self.bounds_check(w, depth, new, t.value, s.value, lv.name)
            w(depth, f"{py} = {self.packed_update(w, depth, lay, env[lv.name], pos, new)}")
            return {**env, lv.name: py}
        value = self.expr(s.value, env)
        plain = self.fresh("_plain")
        root = self.named(w, depth, self.unpacked(lv.name, env[lv.name]), "_unpacked")
        self.updated(w, depth, lv, root, value, s.value, env, plain)
        w(depth, f"{py} = {self.pack_helper(lay, 'encode')}({plain})")
        return {**env, lv.name: py}

    def element_bit(self, lay, x, env, strict) -> str:
        """Source of the bit of element `x` in a packed set: looked up once when the
        module loads if x is a constant or depends on one action parameter only.
        Not `strict` (a membership test): a value outside the set's type has no bit."""
        bits = self.pack_helper(lay, "bits")
        if is_constant(x):
            return self.module_const(f"{bits}[{self.expr(x, env)}]" if strict
                                     else f"{bits}.get({self.expr(x, env)}, 0)", pos=x.pos)
        exact = always_in_type(x.ty)
        if exact or not strict:
            table = self.parameter_table(x, env, lambda src: f"{bits}.get({src}, 0)", names=True)
            if table is not None:
                return table
        src = self.expr(x, env)
        if exact:
            return f"{bits}[{src}]"
        return f"_element_bit({bits}, {src})" if strict else f"{bits}.get({src}, 0)"

    def field_read(self, lay, src, pos) -> str:
        """The value at key position `pos` of a packed map."""
        field = f"{src} >> {self.field_shift(lay, pos)} & {lay.mask}"
        if lay.boolean:
            return f"({field} != 0)"
        return f"(({field}) + {lay.lo})" if lay.lo else f"({field})"

    @staticmethod
    def field_shift(lay, pos) -> str:
        if pos.isdigit():
            return str(int(pos) * lay.width)
        return pos if lay.width == 1 else f"({pos}) * {lay.width}"

    def packed_update(self, w, depth, lay, src, pos, new) -> str:
        """Source of a packed map with the value at key position `pos` replaced by `new`
        (checked to be in the value type already): the field cleared, the value or'ed in."""
        literal = {"True": "1", "False": "0"}.get(new, new)
        known = literal.lstrip("-").isdigit()
        offset = f"({new}) - {lay.lo}" if lay.lo else new
        if pos.isdigit():
            k = int(pos) * lay.width
            value = str((int(literal) - lay.lo) << k) if known else f"({offset}) << {k}"
            return f"({src} & {~(lay.mask << k)} | {value})"
        pos = self.named(w, depth, pos, "_i")
        value = (f"{self.pack_helper(lay, f'field_{literal}')}[{pos}]" if known
                 else f"({offset}) << {self.field_shift(lay, pos)}")
        return f"({src} & {self.pack_helper(lay, 'clear')}[{pos}] | {value})"

    def pack_helper(self, lay, what) -> str:
        """The module name of one helper of a packing layout: its `decode` and `encode`
        functions, a set's `bits` ({value: bit}), a map's `clear` masks (one per key
        position, with the field's bits off) and `field_<v>` (value v in each field)."""
        key = (lay, what)
        if key not in self.pack_names:
            if what in ("decode", "encode", "bits"):
                value = getattr(lay, what)
            elif what == "clear":
                value = tuple(~(lay.mask << k * lay.width) for k in range(lay.keys))
            else:
                v = int(what[len("field_"):]) - lay.lo
                value = tuple(v << k * lay.width for k in range(lay.keys))
            self.pack_names[key] = self.python_value(value, what.split("_")[0].upper())
        return self.pack_names[key]

    def unpacked(self, var, src) -> str:
        """Source of a packed variable's plain value (noted in `unpacked_vars`: the
        cost that packing it was to save)."""
        self.unpacked_vars.add(var)
        return f"{self.pack_helper(self.packed[var], 'decode')}({src})"

    def boundary_functions(self, w):
        """export_state(s): the state with its packed variables unpacked, as users see
        states (traces, state graphs); import_state(s): the other way."""
        for fname, what in (("export_state", "decode"), ("import_state", "encode")):
            w(0, f"def {fname}(s):")
            if not self.packed:
                w(1, "return s")
            else:
                parts = [f"{self.pack_helper(self.packed[v], what)}(s[{k}])" if v in self.packed
                         else f"s[{k}]" for k, v in enumerate(self.var_names)]
                w(1, f"return ({', '.join(parts)}{',' if len(parts) == 1 else ''})")
            w(0, "")
