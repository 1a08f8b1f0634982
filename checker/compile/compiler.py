"""Compile a type-checked spec once into Python source: no AST walking per state.

The generated module has, for the whole spec:
  init_states()            -> list of initial states
  successors(s)            -> list of successor states (the hot path of every engine)
  labelled_successors(s)   -> list of (action index, ((param, value), ...), state)
  check_invariants(s)      -> index of the first violated invariant, or -1
  check_steps(s, t)        -> index of the first violated action property, or -1
  cond_<k>(s, params...)   -> the value of one state condition of a temporal property
                              or a fairness declaration (see Compiler.conditions)

A state is a flat tuple of variable values (see checker/lang/types.py for values); the
variables the search asks to pack are ints (checker/compile/packing.py), and
export_state(s) / import_state(s) convert a state to and from the plain form.
Inside an action, variables are renamed in SSA style (x, x_1, x_2 ...) so a body
reads as imperative code without copying the state; `require` and `choose` are
compiled in continuation style (the rest of the body nests under them), so a
failed guard or a nondeterministic choice costs nothing extra.
"""
from __future__ import annotations

import dataclasses
import itertools
import re

from checker.lang import ast as A
from checker.lang.builtins import PARTIAL  # builtins that may raise: never computed ahead of use
from checker.lang.errors import SpecError, too_deep
from checker.lang.types import (
    AnyT,
    BoolT,
    EnumT,
    IntT,
    MapT,
    OptionT,
    RecordT,
    ScalarsetT,
    SeqT,
    SetT,
    TupleT,
    component_types,
    domain,
    is_simple_key,
    key_count,
    key_offset,
    sort_key,
)

from . import runtime
from .packing import PackedMap, PackedSet
from .quantifiers import miniscoped


class _Writer:
    def __init__(self):
        self.lines = []

    def __call__(self, depth, text):
        self.lines.append("    " * depth + text)


class Compiler:
    """Turns a CheckedSpec into the source of one Python module, then loads it."""

    def __init__(self, checked, packed=None):
        self.c = checked
        self.packed = packed or {}  # variable name -> packing layout (PackedSet, PackedMap)
        self.pack_names = {}        # (layout, what) -> the module name of a packing helper
        self.unpacked_vars = set()  # packed variables the compiled code unpacks somewhere
        self.consts = {}          # python source of a constant value -> module name
        self.const_defs = []      # module-level "NAME = expr" lines
        self.late_defs = []       # the same, for values that call the spec's functions
        self.const_pos = {}       # module constant -> source position it came from
        self.current_pos = None   # the declaration being compiled
        self.namespace = dict(runtime.HELPERS)
        self.counter = itertools.count(1)
        self.var_names = [v.name for v in checked.vars]
        self.var_types = {v.name: v.type for v in checked.vars}
        self.labels = {}          # action index -> {param name: Type}
        self.cache = None         # def name -> local holding its value for this state (in successors)
        self.cache_used = None    # the names of `cache` the action being compiled uses
        self.params = {}          # the parameters of the action being compiled: name -> Type
        self.result_type = None   # the declared result of the block-bodied function being compiled
        self.base_env = {}
        self.conditions = {}      # see condition_functions
        self.invariants_decided = False   # see invariant_functions

    # ------------------------------------------------------------------ entry
    def build(self, invariants, action_properties):
        """Generate and load the module; properties are lists of PropertyInfo."""
        w = _Writer()
        for info in self.c.defs.values():
            self.def_function(w, info)
        late_at = len(w.lines)
        self.init_function(w)
        self.successor_function(w, "successors", labelled=False)
        self.successor_function(w, "labelled_successors", labelled=True)
        self.invariant_functions(w, invariants)
        self.step_functions(w, action_properties)
        self.property_function(w, "check_constraints", self.c.constraints, primes=False)
        self.conditions = self.condition_functions(w)
        self.boundary_functions(w)
        w.lines[late_at:late_at] = self.late_defs + [""]
        source = "\n".join(self.const_defs) + "\n\n" + "\n".join(w.lines) + "\n"
        ns = self.namespace
        try:
            code = compile(source, f"<gdsl:{self.c.name}>", "exec")
        except (SyntaxError, RecursionError, MemoryError):   # nested beyond CPython's parser limits
            raise too_deep(self.c.spec.path, self.c.spec.source) from None
        try:
            exec(code, ns)
        except (ArithmeticError, LookupError, ValueError, TypeError, MemoryError, runtime.EvalError) as e:
            raise SpecError(f"a constant expression of the spec fails: {runtime.describe(e)}",
                            self.failing_constant(ns)) from None
        return ns, source

    # ------------------------------------------------------------------ module constants
    def module_const(self, value_src: str, prefix="K", late=False, pos=None) -> str:
        """A name for a value computed once when the module loads (`late`: after the
        spec's functions are defined, because it calls them)."""
        if value_src not in self.consts:
            name = f"{prefix}{next(self.counter)}"
            self.consts[value_src] = name
            (self.late_defs if late else self.const_defs).append(f"{name} = {value_src}")
            self.const_pos[name] = pos or self.current_pos
        return self.consts[value_src]

    def failing_constant(self, ns) -> tuple:
        """The source position of the first module constant that was not computed."""
        for line in self.const_defs + self.late_defs:
            name = line.split(" = ", 1)[0]
            if name not in ns:
                return self.const_pos.get(name) or (0, 0)
        return (0, 0)

    def python_value(self, value, hint="V") -> str:
        """A module constant holding an arbitrary Python value."""
        name = f"{hint}{next(self.counter)}"
        self.namespace[name] = value
        return name

    def type_set(self, t) -> str:
        return self.module_const(f"frozenset({domain(t)!r})", "T")

    def type_tuple(self, t) -> str:
        return self.module_const(f"tuple({domain(t)!r})", "TL")

    def sorter(self, t):
        key = sort_key(t)
        return None if key is None else self.python_value(key, "SK")

    # ------------------------------------------------------------------ functions
    def def_function(self, w, info):
        d = info.decl
        reads = sorted(info.reads)
        env = {n: f"p_{n}" for n, _ in info.params}
        env.update({v: f"s_{v}" for v in reads})
        args = [f"p_{n}" for n, _ in info.params] + [f"s_{v}" for v in reads]
        w(0, f"def d_{d.name}({', '.join(args)}):")
        for (n, t), p in zip(info.params, d.params):
            self.bounds_check(w, 1, f"p_{n}", t, None, f"argument {n} of {d.name}")
        if isinstance(d.body, list):
            self.result_type = info.result
            self.pure_block(w, 1, d.body, env)
            self.result_type = None
        else:
            result = self.expr(d.body, env)
            if _needs_check(info.result):
                w(1, f"_r = {result}")
                self.bounds_check(w, 1, "_r", info.result, d.body, f"the result of {d.name}")
                result = "_r"
            w(1, f"return {result}")
        w(0, "")

    def init_function(self, w):
        w(0, "def init_states():")
        w(1, "_out = []")
        self.cps_block(w, 1, self.c.init, 0, {}, lambda depth, env, _picks: w(depth, f"_out.append({self.state_tuple(env)})"))
        w(1, "return _out")
        w(0, "")

    def state_tuple(self, env) -> str:
        parts = []
        for v in self.var_names:
            if v not in env:
                decl = self.c.var(v).decl
                raise SpecError(f"variable {v!r} is not given an initial value on every path of init", decl.pos)
            parts.append(env[v])
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"

    def unpack(self, w, depth, source="s", prefix="s_"):
        names = [f"{prefix}{v}" for v in self.var_names]
        w(depth, f"{', '.join(names)}{',' if len(names) == 1 else ''} = {source}")
        return {v: f"{prefix}{v}" for v in self.var_names}

    def successor_function(self, w, fname, labelled):
        """`fname(s)`: unpack the state, compute once the zero-argument functions of the
        state that many guards call (joinDue(), ...), then each action in order, behind
        its parameter-free guard. A large action is a function of its own: CPython
        clears every local slot of a frame on entry and exit, and a spec's actions
        together can have thousands of locals (the group spec's 2,500 cost 18 us a
        state, as much as its actions' work), while a call costs 0.1 us."""
        base = {v: f"s_{v}" for v in self.var_names}
        self.cache, self.base_env = {}, base
        functions, calls, inline_locals = _Writer(), _Writer(), len(base) + 1
        for act in self.c.actions:
            self.cache_used = set()
            body = _Writer()
            guard = self.action_code(body, act, base, labelled)
            comment, code = body.lines[0], body.lines[1:]
            calls.lines.append(comment)
            n = len(_assigned_names(code))
            if n <= _INLINE_LOCALS and inline_locals + n <= _DRIVER_LOCALS:
                inline_locals += n
            else:
                args = "s, _out" + "".join(", " + self.cache[name] for name in sorted(self.cache_used))
                func = f"{fname}_{act.index}_{act.name}"
                functions(0, f"def {func}({args}):")
                self.unpack(functions, 1)
                functions.lines.extend(body.lines)
                functions(0, "")
                code = [f"    {func}({args})"]
            if guard is not None:
                calls(1, f"if {guard}:")
                code = ["    " + line for line in code]
            calls.lines.extend(code)
        self.cache_used = None
        w.lines.extend(functions.lines)
        w(0, f"def {fname}(s):")
        w(1, "_out = []")
        self.unpack(w, 1)
        done = set()
        for name in list(self.cache):
            self.cached_value(w, name, base, done)
        self.cache = self.cache_used = None
        w.lines.extend(calls.lines)
        w(1, "return _out")
        w(0, "")

    def cached_value(self, w, name, base, done) -> None:
        """`_q_name = <the body of zero-argument function name>`, after the cached
        values it uses (joinDue() inside coordinatorFree() is computed once)."""
        if name in done:
            return
        done.add(name)
        self.cache_used = set()
        value = self.expr(self.c.defs[name].decl.body, base)
        for dep in sorted(self.cache_used):
            self.cached_value(w, dep, base, done)
        w(1, f"{self.cache[name]} = {value}")

    def action_code(self, w, act, base, labelled) -> str | None:
        """The action's body, as the body of a function of the state; returns the
        conjunction of its guard's parameter-free conjuncts, which the caller tests
        (None if there are none)."""
        d = act.decl
        w(1, f"# action {act.name} (line {d.pos[0]})")
        env = dict(base)
        depth = 1
        picks = []
        self.labels[act.index] = {}
        # Each conjunct of the guard is tested as soon as the parameters it uses are
        # bound, never before a conjunct that precedes it (so `has(m, k) and m[k] ...`
        # keeps its protection).
        conjuncts = _conjuncts(d.guard) if d.guard is not None else []
        params = [p[0] for p in act.params]
        self.params = {name: t for name, t, _ in act.params}

        def place(level):
            nonlocal depth
            while conjuncts and _level(conjuncts[0], params) <= level:
                w(depth, f"if {self.expr(conjuncts.pop(0), env)}:")
                depth += 1

        outer = []
        while conjuncts and _level(conjuncts[0], params) == 0:
            outer.append(self.expr(conjuncts.pop(0), env))
        for k, (name, t, dom) in enumerate(act.params):
            py = f"p_{name}"
            src = self.iter_domain(dom, env) if dom is not None else self.type_tuple(t)
            if dom is None:
                src = self.selected_domain(conjuncts, name, src, env)
            w(depth, f"for {py} in {src}:")
            env[name] = py
            picks.append((name, py))
            self.labels[act.index][name] = t
            depth += 1
            place(k + 1)
        body = [A.Require(c, pos=c.pos) for c in conjuncts] + list(d.body)

        def emit(dep, env2, picks2):
            state = self.state_tuple(env2)
            if labelled:
                lab = "(" + "".join(f"({n!r}, {p}), " for n, p in picks2) + ")"
                w(dep, f"_out.append(({act.index}, {lab}, {state}))")
            else:
                w(dep, f"_out.append({state})")

        self.cps_block(w, depth, body, 0, env, emit, picks, act.index)
        self.params = {}
        return " and ".join(outer) if outer else None

    def selected_domain(self, conjuncts, name, src, env) -> str:
        """The parameter `name`'s loop over its type's values `src`, or, when the
        guard's next conjuncts read that parameter and one int-valued state variable
        only (TwoPhase's `rmState[rm] == working`), a lookup of the values for which
        they hold, by that variable's value (runtime._Selection); those conjuncts
        are then taken off `conjuncts`. The conjuncts are then evaluated for every
        value before the body runs for any: a spec whose guard and body both fail
        reports the guard's failure."""
        taken, var = [], None
        for c in conjuncts:
            reads = _state_reads(c)
            if A.local_names(c) != {name} or reads is None or len(reads) != 1 or (var and reads != {var}):
                break
            var = next(iter(reads))
            if not (var in self.packed or isinstance(self.c.var(var).type, (IntT, EnumT, BoolT))):
                break
            taken.append(c)
        if not taken:
            return src
        del conjuncts[:len(taken)]
        inner = {**env, var: "_v", name: f"p_{name}"}
        cond = " and ".join(self.expr(c, inner) for c in taken)
        table = self.module_const(f"_Selection(lambda _v: tuple(p_{name} for p_{name} in {src} if {cond}))",
                                  "SEL", late=True)
        return f"{table}[{env[var]}]"

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
                _, parts, binders = p.temporal
                names = [n for n, _, _ in binders]
                made[("temporal", p.name)] = [self.condition(w, what, self.expr, e, names)
                                              for e in parts]
                made[("domains", p.name)] = [
                    self.condition(w, what, lambda e, env: f"tuple({self.iter_domain(e, env, True)})",
                                   dom, names[:k], state=False) for k, (_, _, dom) in enumerate(binders)]
        for k, f in enumerate(self.c.fairness):
            if f.cond is not None:
                made[("fairness", k)] = self.condition(
                    w, f"fairness condition of {f.action.name} (line {f.pos[0]})", self.expr,
                    f.cond, f.params)
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

    # ------------------------------------------------------------------ packed variables
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

    def packed_read(self, e, env):
        """(layout, int source) when `e` is a packed state variable, primed or not."""
        if isinstance(e, A.Name) and e.kind == "var" and e.name in self.packed:
            return self.packed[e.name], self.var_src(e, env)
        if isinstance(e, A.Primed) and e.name in self.packed:
            return self.packed[e.name], env[f"{e.name}'"]
        return None

    def var_src(self, e: A.Name, env) -> str:
        if e.name not in env:
            raise SpecError(f"{e.name!r} is read before it is given a value", e.pos)
        return env[e.name]

    def packed_expr(self, e, lay, env) -> str:
        """Source of the packed form (under `lay`) of a set or map expression: integer
        operations on packed variables and on the bits of displayed elements, else the
        plain value encoded."""
        read = self.packed_read(e, env)
        if read is not None and read[0] == lay:
            return read[1]
        if _is_constant(e):
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

    def element_bit(self, lay, x, env, strict) -> str:
        """Source of the bit of element `x` in a packed set: looked up once when the
        module loads if x is a constant or depends on one action parameter only.
        Not `strict` (a membership test): a value outside the set's type has no bit."""
        bits = self.pack_helper(lay, "bits")
        if _is_constant(x):
            return self.module_const(f"{bits}[{self.expr(x, env)}]" if strict
                                     else f"{bits}.get({self.expr(x, env)}, 0)", pos=x.pos)
        exact = _always_in_type(x.ty)
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

    # ------------------------------------------------------------------ statements
    def fresh(self, base: str) -> str:
        return f"{base}_{next(self.counter)}"

    def cps_block(self, w, depth, stmts, i, env, emit, picks=(), action=None, scope=""):
        """Compile stmts[i:] then `emit`; require/choose nest the rest below them.
        `scope` prefixes the labels of choices made inside an inlined proc ("pick.v")."""
        picks = list(picks)
        while i < len(stmts):
            s = stmts[i]
            if isinstance(s, A.Require):
                w(depth, f"if {self.expr(s.cond, env)}:")
                depth += 1
            elif isinstance(s, A.Choose):
                py = self.fresh(f"c_{s.var}")
                w(depth, f"for {py} in {self.iter_domain(s.domain, env)}:")
                env = {**env, s.var: py}
                picks.append((scope + s.var, py))
                if action is not None:
                    self.labels[action].setdefault(scope + s.var, s.domain.ty.elem)
                depth += 1
            elif isinstance(s, A.CallStmt) and s.ref.nondet:
                caller_env = env

                def resume(dep, env2, picks2, i=i, caller_env=caller_env):
                    back = {**caller_env, **{v: env2[v] for v in self.var_names if v in env2}}
                    self.cps_block(w, dep, stmts, i + 1, back, emit, picks2, action, scope)

                self.cps_block(w, depth, s.ref.decl.body, 0, self.proc_env(w, depth, s, env),
                               resume, picks, action, f"{scope}{s.name}.")
                return
            elif isinstance(s, A.If) and _nondeterministic(s):
                rest = stmts[i + 1:]
                w(depth, f"if {self.expr(s.cond, env)}:")
                self.cps_block(w, depth + 1, s.then + rest, 0, dict(env), emit, picks, action, scope)
                w(depth, "else:")
                self.cps_block(w, depth + 1, s.orelse + rest, 0, dict(env), emit, picks, action, scope)
                return
            else:
                env = self.stmt(w, depth, s, env)
            i += 1
        emit(depth, env, picks)

    def pure_block(self, w, depth, stmts, env):
        start = len(w.lines)
        for s in stmts:
            env = self.stmt(w, depth, s, env)
        if len(w.lines) == start:
            w(depth, "pass")
        return env

    def stmt(self, w, depth, s, env) -> dict:
        """Compile one deterministic statement; return the environment after it."""
        if isinstance(s, A.Assign):
            return self.assign(w, depth, s, env)
        if isinstance(s, A.Let):
            py = self.fresh(f"l_{s.name}")
            w(depth, f"{py} = {self.expr(s.value, env)}")
            if s.declared is not None:
                self.bounds_check(w, depth, py, s.declared, s.value, s.name)
            return {**env, s.name: py}
        if isinstance(s, A.Return):
            result = self.expr(s.value, env)
            if self.result_type is not None and _needs_check(self.result_type):
                w(depth, f"_r = {result}")
                self.bounds_check(w, depth, "_r", self.result_type, s.value, "the result")
                result = "_r"
            w(depth, f"return {result}")
            return env
        if isinstance(s, A.If):
            return self.if_stmt(w, depth, s, env)
        if isinstance(s, A.For):
            return self.for_stmt(w, depth, s, env)
        if isinstance(s, A.CallStmt):
            inner = self.proc_env(w, depth, s, env)
            for st in s.ref.decl.body:
                inner = self.stmt(w, depth, st, inner)
            return {**env, **{v: inner[v] for v in self.var_names if v in inner}}
        raise SpecError("this statement is not allowed here", s.pos)  # pragma: no cover

    def proc_env(self, w, depth, s: A.CallStmt, env) -> dict:
        """The environment a proc body runs in: the caller's state, and its arguments."""
        inner = {v: env[v] for v in self.var_names if v in env}
        for (name, t), arg in zip(s.ref.params, s.args):
            py = self.fresh(f"a_{name}")
            w(depth, f"{py} = {self.expr(arg, env)}")
            self.bounds_check(w, depth, py, t, arg, f"argument {name} of {s.name}")
            inner[name] = py
        return inner

    def if_stmt(self, w, depth, s, env):
        w(depth, f"if {self.expr(s.cond, env)}:")
        then_w, else_w = _Writer(), _Writer()
        env_t = self.pure_block(then_w, depth + 1, s.then, dict(env))
        env_e = self.pure_block(else_w, depth + 1, s.orelse, dict(env))
        merged = dict(env)
        tail_t, tail_e = [], []
        for name in sorted(set(env_t) | set(env_e)):
            a, b = env_t.get(name), env_e.get(name)
            if a == b:
                if a is not None and name in env:
                    merged[name] = a
                continue
            if a is None or b is None:      # assigned on one path only
                merged.pop(name, None)
                continue
            if name not in env and not self.is_var(name):
                continue                    # a let local of one branch
            py = self.fresh(self.ssa_base(name))
            tail_t.append(f"{py} = {a}")
            tail_e.append(f"{py} = {b}")
            merged[name] = py
        w.lines.extend(then_w.lines)
        for line in tail_t:
            w(depth + 1, line)
        if tail_e or [l for l in else_w.lines if l.strip() != "pass"]:
            w(depth, "else:")
            w.lines.extend(else_w.lines)
            for line in tail_e:
                w(depth + 1, line)
        return merged

    def for_stmt(self, w, depth, s, env):
        carried = {}
        for name in sorted(_assigned(s.body)):
            if name in env:
                py = self.fresh(self.ssa_base(name))
                w(depth, f"{py} = {env[name]}")
                carried[name] = py
        loop_var = self.fresh(f"f_{s.var}")
        dom = self.iter_domain(s.domain, env, ordered=True)
        w(depth, f"for {loop_var} in {dom}:")
        inner = {**env, **carried, s.var: loop_var}
        start = len(w.lines)
        after = inner
        for st in s.body:
            after = self.stmt(w, depth + 1, st, after)
        for name, py in carried.items():
            if after.get(name) != py:
                if name not in after:
                    raise SpecError(f"{name!r} may be left unassigned by this loop", s.pos)
                w(depth + 1, f"{py} = {after[name]}")
        if len(w.lines) == start:
            w(depth + 1, "pass")
        return {**env, **carried}

    def is_var(self, name):
        return name in self.var_types

    @staticmethod
    def ssa_base(name):
        return f"v_{name}"

    def assign(self, w, depth, s: A.Assign, env) -> dict:
        lv = s.target
        lay = self.packed.get(lv.name) if lv.kind == "var" else None
        if lay is not None:
            return self.packed_assign(w, depth, s, env, lay)
        value = self.expr(s.value, env)
        if not lv.selectors:
            py = self.fresh(self.ssa_base(lv.name) if lv.kind == "var" else f"l_{lv.name}")
            w(depth, f"{py} = {value}")
            self.bounds_check(w, depth, py, lv.root_type, s.value, lv.name)
            return {**env, lv.name: py}
        if lv.name not in env:
            raise SpecError(f"{lv.name!r} is updated before it has a value", lv.pos)
        py = self.fresh(self.ssa_base(lv.name) if lv.kind == "var" else f"l_{lv.name}")
        self.updated(w, depth, lv, env[lv.name], value, s.value, env, py)
        return {**env, lv.name: py}

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
        if len(lv.selectors) == 1 and isinstance(lay, PackedMap) and _key_in_range(sel.ty, t.key):
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

    def updated(self, w, depth, lv, root, value, value_expr, env, py) -> None:
        """`py = root` with the element lv's selectors name replaced by `value`."""
        # walk down the selectors, remembering each container and index (in locals,
        # unless they are already a name or a literal)
        containers = []
        cur = root
        path_t = self._lvalue_types(lv, env)
        for (kind, sel), ct in zip(lv.selectors, path_t):
            box = self.named(w, depth, cur, "_box")
            if kind == "index":
                idx = self.named(w, depth, self.key_index(ct, self.expr(sel, env)), "_i")
                containers.append((box, idx, ct))
                cur = f"{box}[{idx}]"
            else:
                slot = ct.slot(sel)
                containers.append((box, str(slot), ct))
                cur = f"{box}[{slot}]"
        new = self.named(w, depth, value, "_new")
        leaf_t = path_t[-1]
        last_kind, last_sel = lv.selectors[-1]
        leaf_type = self._leaf_type(leaf_t, last_kind, last_sel)
        self.bounds_check(w, depth, new, leaf_type, value_expr, lv.name)
        for k, (box, idx, ct) in reversed(list(enumerate(containers))):
            nxt = py if k == 0 else self.fresh("_new")
            if isinstance(ct, SeqT) or (isinstance(ct, MapT) and isinstance(ct.key, IntT)):
                w(depth, f"{nxt} = _upd({box}, {idx}, {new})")
            else:
                # a list copy and one store: cheaper than slicing and concatenating
                w(depth, f"{nxt} = list({box})")
                w(depth, f"{nxt}[{idx}] = {new}")
                w(depth, f"{nxt} = tuple({nxt})")
            new = nxt

    def named(self, w, depth, src, base) -> str:
        """`src` itself if it is a name or a literal, else a fresh local holding it."""
        if _SIMPLE.fullmatch(src):
            return src
        py = self.fresh(base)
        w(depth, f"{py} = {src}")
        return py

    def _lvalue_types(self, lv, env):
        """The type of each container along an lvalue's selector path."""
        t = lv.root_type
        out = []
        for kind, sel in lv.selectors:
            out.append(t)
            if kind == "index":
                t = t.value if isinstance(t, MapT) else t.elem
            else:
                t = t.fields[t.slot(sel)][1]
        return out

    @staticmethod
    def _leaf_type(ct, kind, sel):
        if kind == "index":
            return ct.value if isinstance(ct, MapT) else ct.elem
        return ct.fields[ct.slot(sel)][1]

    def bounds_check(self, w, depth, py, t, value_expr, what):
        """A run-time check that py holds a value of t's range (skipped when the value's
        own type already guarantees it)."""
        if isinstance(t, IntT) and t.finite:
            vt = value_expr.ty if value_expr is not None else None
            if isinstance(vt, IntT) and vt.finite and t.lo <= vt.lo and vt.hi <= t.hi:
                return
            w(depth, f"if not ({t.lo} <= {py} <= {t.hi}): _out_of_range({what!r}, {py}, {t.lo}, {t.hi})")
        elif isinstance(t, SeqT) and t.bound is not None:
            w(depth, f"if len({py}) > {t.bound}: _seq_overflow({what!r}, {py}, {t.bound})")
        elif isinstance(t, SetT) and isinstance(t.elem, IntT) and t.elem.finite:
            vt = value_expr.ty if value_expr is not None else None
            e = vt.elem if isinstance(vt, SetT) else None
            if isinstance(e, AnyT) or isinstance(e, IntT) and e.finite and t.elem.lo <= e.lo and e.hi <= t.elem.hi:
                return                                      # `{}`, or elements of a narrower range
            w(depth, f"if {py} and not ({t.elem.lo} <= min({py}) and max({py}) <= {t.elem.hi}): "
                     f"_set_out_of_range({what!r}, {py}, {t.elem.lo}, {t.elem.hi})")

    # ------------------------------------------------------------------ expressions
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

    def expr(self, e, env) -> str:
        table = self.parameter_table(e, env)
        if table is not None:
            return table
        src = self._expr(e, env)
        if _is_constant(e) and not isinstance(e, (A.IntLit, A.BoolLit, A.NoneLit, A.Name)) \
                and not src.lstrip("-").isdigit() and src not in ("True", "False", "None"):
            return self.module_const(src, pos=e.pos)
        return src

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
        if name not in self.params or env.get(name) != f"p_{name}" or not _is_constant(e, used):
            return None
        try:
            values = domain(self.params[name])
        except ValueError:                     # a parameter of an unbounded type
            return None
        wrap = wrap or (lambda src: src)
        entries = ", ".join(f"{v!r}: {wrap(self._expr(e, {name: repr(v)}))}" for v in values)
        return f"{self.module_const('{' + entries + '}', 'PT')}[p_{name}]"

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
        if isinstance(e, A.Index):
            bt = e.base.ty
            read = self.packed_read(e.base, env)
            if read is not None and _key_in_range(e.index.ty, bt.key):
                return self.field_read(read[0], read[1], self.key_index(bt, self.expr(e.index, env)))
            base, key = self.expr(e.base, env), self.expr(e.index, env)
            if isinstance(bt, MapT):
                idx = self.key_index(bt, key)
                if not bt.total:
                    return f"_pget({base}, {idx})" if _key_in_range(e.index.ty, bt.key) \
                        else f"_pget_checked({base}, {idx})"
                if _key_in_range(e.index.ty, bt.key):
                    return f"{base}[{idx}]"
                return f"_iget({base}, {idx})"
            return f"_iget({base}, {key})"
        if isinstance(e, A.Field):
            if e.slot == -2:
                return str(e.base.ref[1])
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
        if op in ("in", "subseteq") and _always_in(e, self.c.defs):
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
        exact = _always_in_type(t.elem if isinstance(t, SetT) else t.value) \
            or self.packed_read(other, env) is not None or isinstance(other, A.SetLit) and not other.items
        if not exact:
            return None                # the other side may hold a value no field can
        l, r = self.packed_expr(e.left, read[0], env), self.packed_expr(e.right, read[0], env)
        return f"({l} & ~{r} == 0)" if op == "subseteq" else f"({l} {op} {r})"

    def call(self, e: A.Call, env) -> str:
        if e.kind == "builtin" and e.func in ("size", "len") and isinstance(e.args[0].ty, SetT):
            read = self.packed_read(e.args[0], env)
            if read is not None:
                return f"{read[1]}.bit_count()"
        args = [self.expr(a, env) for a in e.args]
        if e.kind == "record":
            return "(" + "".join(a + ", " for a in args) + ")"
        if e.kind == "def":
            info = e.ref
            reads = sorted(info.reads)
            if not args and _safe_def(info, self.c.defs):
                if not reads:                                   # a function of constants only
                    return self.module_const(f"d_{e.func}()", late=True, pos=e.pos)
                if self.cache is not None and all(env.get(v) == self.base_env.get(v) for v in reads):
                    self.cache_used.add(e.func)
                    return self.cache.setdefault(e.func, f"_q_{e.func}")
            extra = [env[v] for v in reads]
            return f"d_{e.func}({', '.join(args + extra)})"
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
            get = "" if _key_in_range(ts[1], t.key) else "_iget"
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


def _safe_def(info, defs, seen=None) -> bool:
    """An expression-bodied function that cannot raise: safe to evaluate ahead of use."""
    body = info.decl.body
    if isinstance(body, list) or _needs_check(info.result) or any(_needs_check(t) for _, t in info.params):
        return False
    seen = seen or set()
    if info.name in seen:
        return False
    seen.add(info.name)
    return _cannot_fail(body, defs, seen)


def _cannot_fail(e, defs, seen=None) -> bool:
    """Whether evaluating `e` can raise no evaluation error."""
    if isinstance(e, A.Index):
        bt = e.base.ty
        if not (isinstance(bt, MapT) and _key_in_range(e.index.ty, bt.key)):
            return False
    if isinstance(e, A.Binary) and e.op in ("/", "%"):
        return False
    if isinstance(e, A.Call):
        if e.kind == "builtin" and e.func in PARTIAL:
            return False
        if e.kind == "def" and not _safe_def(e.ref, defs, seen):
            return False
    for name in getattr(e, "__dataclass_fields__", {}):
        if name in ("ty", "pos", "ref", "kind"):
            continue
        v = getattr(e, name)
        items = v if isinstance(v, list) else [v]
        for x in items:
            if isinstance(x, A.Binder):
                x = x.domain
            if isinstance(x, A.Expr) and not _cannot_fail(x, defs, seen):
                return False
    return True


def _enum_value(e):
    """The value of an enum literal (`done` or `TMState.done`), None for anything else."""
    if isinstance(e, A.Name) and e.kind == "enum":
        return e.ref[1]
    if isinstance(e, A.Field) and e.slot == -2:
        return e.base.ref[1]
    return None


def _always_in(e: A.Binary, defs) -> bool:
    """`x in S` or `X subseteq S` that its types decide: S is a constant holding every
    value of x's type (`rmState[rm] in {working, prepared, committed, aborted}`, a
    TypeOK invariant), and x cannot fail."""
    t = e.left.ty if e.op == "in" else getattr(e.left.ty, "elem", None)
    if not isinstance(t, (EnumT, ScalarsetT)) and not (isinstance(t, IntT) and t.finite):
        return False
    if isinstance(e.right, A.Name) and e.right.kind == "type":
        held = e.right.ref
        if not isinstance(held, (EnumT, ScalarsetT, IntT)) or isinstance(held, IntT) and not held.finite:
            return False
        covered = type(held) is type(t) and (held == t if not isinstance(t, IntT) else held.lo <= t.lo and t.hi <= held.hi)
    elif isinstance(e.right, A.SetLit) and isinstance(t, EnumT):
        values = {_enum_value(x) for x in e.right.items if x.ty == t}
        covered = values >= set(domain(t))
    else:
        return False
    return covered and _cannot_fail(e.left, defs)


def _needs_check(t) -> bool:
    return isinstance(t, IntT) and t.finite or isinstance(t, SeqT) and t.bound is not None


def _always_in_type(t) -> bool:
    """Is every value of a type in its domain (no int inside outside a declared range:
    the type checker lets any int through, and the range is checked on assignment)?"""
    if isinstance(t, OptionT):
        return _always_in_type(t.inner)
    if isinstance(t, (TupleT, RecordT)):
        return all(_always_in_type(x) for x in component_types(t))
    return isinstance(t, (BoolT, EnumT, ScalarsetT))


def _key_in_range(key_t, map_key_t) -> bool:
    """Is every value of key_t a valid key of the map (so no bounds check is needed)?"""
    if isinstance(map_key_t, IntT):
        return isinstance(key_t, IntT) and key_t.finite and map_key_t.lo <= key_t.lo and key_t.hi <= map_key_t.hi
    return True    # enums, scalarsets, bools and records of them are in range by typing


def _always_truthy(t) -> bool:
    """Values that are never falsy in Python: non-empty tuples (records, tuples)."""
    if isinstance(t, RecordT):
        return len(t.fields) > 0
    return isinstance(t, TupleT) and len(t.items) > 0


def _conjuncts(e) -> list:
    if isinstance(e, A.Binary) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


# An action's code stays in the successor function if it has at most this many
# locals and the function stays within the second bound (see successor_function).
_INLINE_LOCALS, _DRIVER_LOCALS = 32, 160
_ASSIGNED = re.compile(r"^\s*(?:for\s+)?([A-Za-z_]\w*)\s*(?:=|in\b)")


def _assigned_names(lines) -> set:
    """The local names that generated code lines assign (by `=` or `for`)."""
    return {m.group(1) for m in map(_ASSIGNED.match, lines) if m is not None}


_LITERAL = re.compile(r"-?\d+|True|False|None")
_SIMPLE = re.compile(r"-?\d+|[A-Za-z_]\w*")           # a literal or a name: no need of a local


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


def _state_reads(e) -> set | None:
    """The state variables an expression reads, or None if it reads them in a way
    not seen here (a primed variable, a function of the state)."""
    out = set()

    def walk(x):
        if isinstance(x, A.Name) and x.kind == "var":
            out.add(x.name)
        elif isinstance(x, A.Primed) or (isinstance(x, A.Call) and x.kind == "def"):
            raise LookupError
        for child in A.children(x):
            walk(child)
    try:
        walk(e)
    except LookupError:
        return None
    return out


def _level(e, params) -> int:
    """How many leading parameters must be bound before e can be evaluated."""
    used = A.local_names(e)
    level = 0
    for k, p in enumerate(params):
        if p in used:
            level = k + 1
    return level


# Builtins that compile to a fixed Python expression of their arguments.
_BUILTIN_TEMPLATES = {
    "get": "_get({0})", "some": "{0}", "is_some": "({0} is not None)", "is_none": "({0} is None)",
    "min": "min({0}, {1})", "max": "max({0}, {1})", "abs": "abs({0})", "sum": "sum({0})",
    "append": "({0} + ({1},))", "concat": "({0} + {1})", "head": "_iget({0}, 0)",
    "last": "_last({0})", "tail": "_tail({0})", "index_of": "_index_of({0}, {1})",
    "to_set": "frozenset({0})", "union_all": "_EMPTY.union(*{0})",
}


def _nondeterministic(s) -> bool:
    """Does this statement (or one inside it, or a proc it calls) contain require or choose?"""
    if isinstance(s, (A.Require, A.Choose)):
        return True
    if isinstance(s, A.CallStmt):
        return s.ref.nondet
    if isinstance(s, A.If):
        return any(_nondeterministic(x) for x in s.then + s.orelse)
    return False


def _assigned(stmts) -> set:
    """Names a block may assign, including state variables assigned by procs it calls."""
    out = set()
    for s in stmts:
        if isinstance(s, A.Assign):
            out.add(s.target.name)
        elif isinstance(s, A.If):
            out |= _assigned(s.then) | _assigned(s.orelse)
        elif isinstance(s, A.For):
            out |= _assigned(s.body)
        elif isinstance(s, A.CallStmt):
            out |= {n for n in _assigned(s.ref.decl.body) if n not in {p[0] for p in s.ref.params}}
    return out




def _is_constant(e, given=frozenset()) -> bool:
    """No state, locals (but those named in `given`) or primes inside, and nothing
    that can fail: safe to compute once when the module loads (a failing one must
    fail only where it is used)."""
    if isinstance(e, (A.Index,)):
        return False
    if isinstance(e, A.Binary) and e.op in ("/", "%"):
        return False
    if isinstance(e, A.Call) and e.kind == "builtin" and e.func in PARTIAL:
        return False
    if isinstance(e, A.Name):
        return e.kind in ("const", "enum", "type") or e.kind == "local" and e.name in given
    if isinstance(e, (A.IntLit, A.BoolLit, A.NoneLit)):
        return True
    if isinstance(e, A.Primed):
        return False
    if isinstance(e, A.Call):
        if e.kind == "def":
            return False
        return all(_is_constant(a, given) for a in e.args)
    if isinstance(e, (A.Quant, A.Comprehension)):
        return False
    if isinstance(e, A.MapLit):
        return False
    children = []
    for name in getattr(e, "__dataclass_fields__", {}):
        if name in ("ty", "pos", "ref", "kind"):
            continue
        v = getattr(e, name)
        if isinstance(v, A.Expr):
            children.append(v)
        elif isinstance(v, list):
            children.extend(x for x in v if isinstance(x, A.Expr))
    return all(_is_constant(c, given) for c in children)
