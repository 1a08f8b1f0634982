"""Symmetry reduction: map each state to one canonical representative of its orbit
under the permutations of the spec's scalarset types (each type independently).

An engine that keeps only canonical states explores one state per orbit: counts
are exact and reproducible because the representative is a function of the orbit,
not of the state that happened to be reached first.

The canonicaliser is generated once per model as specialised Python (like
the spec itself: checker/compile/compiler.py), in two flavours chosen from the variables' types:

* *Unary* specs, where every datum of the state mentions at most one scalarset
  value (TwoPhase: rmState[rm], rm in tmPrepared, Prepared(rm) in msgs): each
  value gets a signature gathering every datum that mentions it, with its own
  identity left out. Sorting the values by signature gives the permutation, and
  values with equal signatures are interchangeable (swapping them leaves the state
  unchanged), so one sort and one rebuild suffice.
* Otherwise (a value of one consumer stored under another, maps keyed by pairs,
  ...) the signatures come from the unary variables only; the permutations that
  reorder values with equal signatures are all tried, and the least image (by
  hash, then by a total order on values) is the representative (Murphi's scheme).

Whether exploring representatives only is *sound* depends on the spec treating
the values alike; checker/compile/symmetry_audit.py finds the constructs that do not.
"""
from __future__ import annotations

from dataclasses import dataclass
import itertools

from checker.lang.types import (MapT, OptionT, RecordT, ScalarsetT, SeqT, SetT, TupleT, Type, domain,
                                naturally_ordered)

from .symmetry_audit import order_dependence

MANY = 2          # "two or more scalarset values" (collections count as many)
SRC_CACHE_LIMIT = 50_000


def _items(t: Type) -> list:
    return list(t.items) if isinstance(t, TupleT) else [f[1] for f in t.fields]


def mentions(t: Type, relevant: dict) -> bool:
    """Does a value of type t contain values of a permuted scalarset type?"""
    if isinstance(t, ScalarsetT):
        return t in relevant
    if isinstance(t, OptionT):
        return mentions(t.inner, relevant)
    if isinstance(t, (TupleT, RecordT)):
        return any(mentions(x, relevant) for x in _items(t))
    if isinstance(t, (SetT, SeqT)):
        return mentions(t.elem, relevant)
    if isinstance(t, MapT):
        return mentions(t.key, relevant) or mentions(t.value, relevant)
    return False


def occurrences(t: Type, relevant: dict) -> int:
    """How many scalarset values a value of type t holds: 0, 1 or MANY."""
    if not mentions(t, relevant):
        return 0
    if isinstance(t, ScalarsetT):
        return 1
    if isinstance(t, OptionT):
        return occurrences(t.inner, relevant)
    if isinstance(t, (TupleT, RecordT)):
        return min(MANY, sum(occurrences(x, relevant) for x in _items(t)))
    return MANY


@dataclass(frozen=True)
class ScalarsetInfo:
    name: str
    size: int


class Symmetry:
    """The symmetry group of one model: permutations of its scalarset types.

    A permutation is a tuple with one entry per type in `types`, each a tuple
    mapping an old value (0..n-1) to its new value.
      canonical(s)           -> the representative of s's orbit
      canonical_with_perm(s) -> (representative, the permutation taking s to it)
      permute(s, perm)       -> the image of s
    """

    def __init__(self, types, unary, namespace, source, findings=()):
        self.types = types                    # [ScalarsetInfo], the permuted types
        self.unary = unary                    # ties need no enumeration
        self.findings = list(findings)        # SpecErrors: constructs that see an order
        self.source = source                  # the generated Python, for reading
        self.canonical = namespace["canonical"]
        self.canonical_with_perm = namespace["canonical_with_perm"]
        self._permute = namespace["permute"]

    @property
    def unsound_reason(self) -> str | None:
        """Why exploring representatives only would be unsound, as
        `file:line:col: reason` (the first finding), or None."""
        if not self.findings:
            return None
        e = self.findings[0]
        return f"{e.path or '<spec>'}:{e.line}:{e.col}: {e.message}"

    def permute(self, state, perm):
        """The image of a state under perm (one old -> new tuple per type)."""
        return self._permute(state, *[tuple(p) for p in perm], *[_inverse(p) for p in perm])

    def permutations(self):
        """Every element of the group (for tests on small instances)."""
        return itertools.product(*[itertools.permutations(range(t.size)) for t in self.types])

    def describe(self) -> str:
        return ", ".join(f"{t.name} ({t.size}! permutations)" for t in self.types)


def symmetry_of(model) -> Symmetry | None:
    """The model's symmetry, or None when no scalarset type of size 2 or more
    appears in its state."""
    candidates = [t for t in model.checked.types.values() if isinstance(t, ScalarsetT) and t.size > 1]
    relevant = {}
    for t in candidates:
        if any(mentions(v, {t: 0}) for v in model.var_types) and t not in relevant:
            relevant[t] = len(relevant)
    if not relevant:
        return None
    spec = model.checked.spec
    findings = [e.located(spec.path, spec.source) for e in order_dependence(model.checked, set(relevant))]
    gen = _Generator(model.var_types, relevant)
    namespace, source = gen.build()
    types = [ScalarsetInfo(t.name, t.size) for t in relevant]
    return Symmetry(types, gen.unary, namespace, source, findings)


def unary_variables(var_types, relevant) -> set:
    """The variables every datum of which mentions at most one scalarset value: all of
    them for the unary flavour; the ones Murphi's scheme takes signatures from otherwise
    (the native backend's canonical form, checker/native/canonical.py, follows this)."""
    gen = _Generator(var_types, relevant)
    return {v for v, t in enumerate(var_types) if gen.is_unary(t)}


class _Generator:
    """Writes the source of permute, canonical and canonical_with_perm for one model."""

    def __init__(self, var_types, relevant):
        self.var_types = var_types
        self.relevant = relevant          # ScalarsetT -> index
        self.k = len(relevant)
        self.ns = {"_best": _best, "compress": itertools.compress}
        self.counter = itertools.count()
        self.names = {}                   # id of a helper object -> its name in the namespace
        self.key_defs = []                # source of the generated key functions

    def fresh(self, prefix="t"):
        return f"{prefix}{next(self.counter)}"

    def helper(self, obj, prefix):
        key = (prefix, id(obj))
        if key not in self.names:
            self.names[key] = self.fresh(prefix)
            self.ns[self.names[key]] = obj
        return self.names[key]

    # ------------------------------------------------------------ permuting values
    def perm_expr(self, t: Type, x: str) -> str | None:
        """A Python expression for the image of value x (a simple name or a cheap
        expression evaluated once) of type t, or None if t holds no permuted values."""
        if not mentions(t, self.relevant):
            return None
        if isinstance(t, ScalarsetT):
            return f"p{self.relevant[t]}[{x}]"
        if isinstance(t, OptionT):
            y = self.fresh()
            return f"(None if ({y} := {x}) is None else {self.perm_expr(t.inner, y)})"
        if isinstance(t, (TupleT, RecordT)):
            y, bind = _bound(x, self.fresh())
            parts = [self.perm_expr(item, f"{y}[{i}]") or f"{y}[{i}]" for i, item in enumerate(_items(t))]
            return bind(_tuple_src(parts))
        if isinstance(t, (SetT, SeqT)):
            y = self.fresh()
            wrap = "frozenset" if isinstance(t, SetT) else "tuple"
            return f"{wrap}([{self.perm_expr(t.elem, y)} for {y} in {x}])"
        assert isinstance(t, MapT)
        value = OptionT(t.value) if not t.total else t.value
        y = self.fresh()
        ve = self.perm_expr(value, y)
        if not mentions(t.key, self.relevant):
            return f"tuple([{ve} for {y} in {x}])"
        if isinstance(t.key, ScalarsetT):
            order = f"q{self.relevant[t.key]}"
        else:
            src = self.helper(_key_sources(t.key, self.relevant), "SRC")
            order = f"{src}({', '.join(f'p{i}' for i in range(self.k))})"
        moved = f"map(({x}).__getitem__, {order})"
        return f"tuple({moved})" if ve is None else f"tuple([{ve} for {y} in {moved}])"

    # ------------------------------------------------------------ signatures
    def key_expr(self, t: Type, x: str) -> str:
        """x (evaluated once) made comparable with `<`, as None and frozensets are not;
        equal keys for equal values only."""
        if naturally_ordered(t):
            return x
        y = self.fresh()
        if isinstance(t, OptionT):
            if naturally_ordered(t.inner):
                return f"(({y} := {x}) is not None, {y})"
            return f"((False,) if ({y} := {x}) is None else (True, {self.key_expr(t.inner, y)}))"
        if isinstance(t, (TupleT, RecordT)):
            y, bind = _bound(x, y)
            return bind(_tuple_src([self.key_expr(item, f"{y}[{i}]") for i, item in enumerate(_items(t))]))
        if isinstance(t, SetT):
            return f"tuple(sorted([{self.key_expr(t.elem, y)} for {y} in {x}]))"
        if isinstance(t, SeqT):
            return f"tuple([{self.key_expr(t.elem, y)} for {y} in {x}])"
        assert isinstance(t, MapT)
        return f"tuple([{self.key_expr(t.value if t.total else OptionT(t.value), y)} for {y} in {x}])"

    def key_function(self, t: Type) -> str:
        """The name of a generated function computing key_expr."""
        name = self.fresh("key")
        self.key_defs.append(f"def {name}(x):\n    return {self.key_expr(t, 'x')}\n")
        return name

    def slot(self, t: Type, x: str):
        """For a value holding exactly one scalarset value: (conditions for it to be
        there, its expression, its type, [(expr, type)] of the other parts)."""
        if isinstance(t, ScalarsetT):
            return [], x, t, []
        if isinstance(t, OptionT):
            conds, e, st, leaves = self.slot(t.inner, x)
            return [f"{x} is not None"] + conds, e, st, leaves
        conds, e, st, leaves = None, None, None, []
        for i, item in enumerate(_items(t)):
            if occurrences(item, self.relevant):
                conds, e, st, inner = self.slot(item, f"{x}[{i}]")
                leaves += inner
            else:
                leaves.append((f"{x}[{i}]", item))
        return conds, e, st, leaves

    def atoms(self, t: Type, x: str, path: list, out, depth: int) -> bool:
        """Write statements appending, for every datum of x mentioning one scalarset
        value v, its description (position, other parts) to the bucket of v.
        False if some datum of x mentions two values (x is not unary)."""
        n = occurrences(t, self.relevant)
        if n == 0:
            return True
        if n == 1 and not isinstance(t, (SetT, SeqT, MapT)):
            conds, e, st, leaves = self.slot(t, x)
            d = depth
            if conds:
                out(d, f"if {' and '.join(conds)}:")
                d += 1
            desc = _tuple_src(path + [self.key_expr(lt, le) for le, lt in leaves])
            out(d, f"B{self.relevant[st]}_{self.var}[{e}].append({desc})")
            return True
        if isinstance(t, (TupleT, RecordT)):
            y = self.fresh()
            out(depth, f"{y} = {x}")
            return all(self.atoms(item, f"{y}[{i}]", path + [str(i)], out, depth)
                       for i, item in enumerate(_items(t)))
        if isinstance(t, OptionT):
            y = self.fresh()
            out(depth, f"{y} = {x}")
            out(depth, f"if {y} is not None:")
            return self.atoms(t.inner, y, path, out, depth + 1)
        if isinstance(t, SetT):
            y = self.fresh()
            out(depth, f"for {y} in {x}:")
            return occurrences(t.elem, self.relevant) == 1 and self.atoms(t.elem, y, path, out, depth + 1)
        if isinstance(t, SeqT):
            i, y = self.fresh("i"), self.fresh()
            out(depth, f"for {i}, {y} in enumerate({x}):")
            return self.atoms(t.elem, y, path + [i], out, depth + 1)
        assert isinstance(t, MapT)
        i, y = self.fresh("i"), self.fresh()
        out(depth, f"for {i}, {y} in enumerate({x}):")
        d = depth + 1
        if not t.total:
            out(d, f"if {y} is not None:")
            d += 1
        if not mentions(t.key, self.relevant):
            return self.atoms(t.value, y, path + [i], out, d)
        if occurrences(t.key, self.relevant) != 1 or occurrences(t.value, self.relevant):
            return False
        value = self.key_expr(t.value if t.total else OptionT(t.value), y)
        if isinstance(t.key, ScalarsetT):
            out(d, f"B{self.relevant[t.key]}_{self.var}[{i}].append({_tuple_src(path + [value])})")
            return True
        at, k = _key_slot(t.key, self.relevant)
        parts = self.helper(_key_parts(t.key, at), "KP")     # position -> (value, other fields)
        desc = _tuple_src(path + [f"*{parts}[{i}][1]", value])
        out(d, f"B{k}_{self.var}[{parts}[{i}][0]].append({desc})")
        return True

    def signature_columns(self, w, unary_vars, depth=1):
        """Write the statements gathering signatures; return, per type, the
        expressions of its signature columns (one entry per value), and the
        variables that are one of those columns ({var: (type, column, "map"|"set")})."""
        columns = [[] for _ in range(self.k)]
        direct = {}
        for v, t in enumerate(self.var_types):
            if v not in unary_vars:
                continue
            if isinstance(t, MapT) and isinstance(t.key, ScalarsetT) and t.key in self.relevant \
                    and not occurrences(t.value, self.relevant):
                k = self.relevant[t.key]
                value = t.value if t.total else OptionT(t.value)
                if naturally_ordered(value):
                    direct[v] = (k, len(columns[k]), "map")
                    columns[k].append(f"v{v}")
                else:
                    y = self.fresh()
                    columns[k].append(f"[{self.key_expr(value, y)} for {y} in v{v}]")
                continue
            if isinstance(t, SetT) and isinstance(t.elem, ScalarsetT) and t.elem in self.relevant:
                k = self.relevant[t.elem]
                direct[v] = (k, len(columns[k]), "set")
                columns[k].append(f"map(v{v}.__contains__, R{k})")
                continue
            used = self.types_in(t)
            for k in used:
                w(depth, f"B{k}_{v} = [[] for _ in R{k}]")
            self.var = v
            self.atoms(t, f"v{v}", [], w, depth)
            for k in used:
                w(depth, f"for b in B{k}_{v}: b.sort()")
                columns[k].append(f"B{k}_{v}")
        return columns, direct

    def unary_canonical(self, w, name, with_perm):
        """canonical for unary specs: sort the values by signature; the sorted
        columns of map and set variables are already their canonical values, the
        other variables are permuted."""
        k = self.k
        w(0, f"def {name}(s):")
        w(1, f"{', '.join(f'v{i}' for i in range(len(self.var_types)))}, = s")
        columns, direct = self.signature_columns(w, set(range(len(self.var_types))))
        for i in range(k):
            w(1, f"c{i} = tuple(zip(*sorted(zip({', '.join(columns[i] + [f'R{i}'])}))))")
            w(1, f"q{i} = c{i}[-1]")
        identity = f"({', '.join(f'R{i}' for i in range(k))},)"
        w(1, f"if {' and '.join(f'q{i} == R{i}' for i in range(k))}:")
        w(2, f"return (s, {identity})" if with_perm else "return s")
        for i in range(k):
            w(1, f"p{i} = tuple(sorted(R{i}, key=q{i}.__getitem__))")
        parts = []
        for v, t in enumerate(self.var_types):
            if v in direct:
                ti, col, kind = direct[v]
                parts.append(f"c{ti}[{col}]" if kind == "map" else f"frozenset(compress(R{ti}, c{ti}[{col}]))")
            else:
                parts.append(self.perm_expr(t, f"v{v}") or f"v{v}")
        state = _tuple_src(parts)
        w(1, f"return ({state}, ({', '.join(f'p{i}' for i in range(k))},))" if with_perm else f"return {state}")
        w(0, "")

    def types_in(self, t: Type) -> list:
        return [k for s, k in self.relevant.items() if mentions(t, {s: k})]

    def is_unary(self, t: Type) -> bool:
        self.var = -1
        scratch = []
        return self.atoms(t, "x", [], lambda d, s: scratch.append(s), 0)

    def less_function(self, w):
        """less(a, b): a total order on states, deciding on the first variable that
        differs (cheap: images of one state mostly differ early, and == is fast)."""
        w(0, "def less(a, b):")
        for i, t in enumerate(self.var_types):
            w(1, f"if a[{i}] != b[{i}]:")
            if naturally_ordered(t):
                w(2, f"return a[{i}] < b[{i}]")
            else:
                key = self.key_function(t)
                w(2, f"return {key}(a[{i}]) < {key}(b[{i}])")
        w(1, "return False")

    # ------------------------------------------------------------ the module
    def build(self):
        w_lines = []

        def w(depth, text):
            w_lines.append("    " * depth + text)

        k = self.k
        for s, i in self.relevant.items():
            self.ns[f"R{i}"] = tuple(range(s.size))
        unary_vars = {v for v, t in enumerate(self.var_types) if self.is_unary(t)}
        self.unary = len(unary_vars) == len(self.var_types)
        vs = [f"v{i}" for i in range(len(self.var_types))]
        unpack = f"    {', '.join(vs)}, = s"
        ps = ", ".join(f"p{i}" for i in range(k))
        qs = ", ".join(f"q{i}" for i in range(k))

        # permute(s, p..., q...): p old -> new, q new -> old
        w(0, f"def permute(s, {ps}, {qs}):")
        w_lines.append(unpack)
        parts = [self.perm_expr(t, f"v{i}") or f"v{i}" for i, t in enumerate(self.var_types)]
        w(1, f"return ({', '.join(parts)},)")
        w(0, "")

        if self.unary:
            self.unary_canonical(w, "canonical", with_perm=False)
            self.unary_canonical(w, "canonical_with_perm", with_perm=True)
        else:
            # signatures(s) -> per type, the values sorted by signature: [(sig..., value)]
            w(0, "def signatures(s):")
            w_lines.append(unpack)
            columns, _ = self.signature_columns(w, unary_vars)
            for i in range(k):
                w(1, f"g{i} = sorted(zip({', '.join(columns[i] + [f'R{i}'])}))")
            w(1, f"return {', '.join(f'g{i}' for i in range(k))},")
            w(0, "")
            w(0, "def canonical_with_perm(s):")
            w(1, "return _best(s, permute, signatures(s), less)")
            w(0, "")
            w(0, "def canonical(s):")
            w(1, "return canonical_with_perm(s)[0]")
            w(0, "")
        self.less_function(w)
        source = "\n".join(w_lines + self.key_defs) + "\n"
        exec(compile(source, "<gdsl:symmetry>", "exec"), self.ns)
        return self.ns, source


# ------------------------------------------------------------ helpers of the generated code

def _inverse(q) -> tuple:
    p = [0] * len(q)
    for new, old in enumerate(q):
        p[old] = new
    return tuple(p)


def _tie_orders(g) -> list:
    """The orders (new -> old) of a type's values that keep the signature order:
    every arrangement of each run of equal signatures."""
    runs, start = [], 0
    for i in range(1, len(g) + 1):
        if i == len(g) or g[i][:-1] != g[start][:-1]:
            runs.append([t[-1] for t in g[start:i]])
            start = i
    if all(len(r) == 1 for r in runs):
        return [[t[-1] for t in g]]
    return [list(itertools.chain.from_iterable(c))
            for c in itertools.product(*[itertools.permutations(r) for r in runs])]


def _best(s, permute, sigs, less):
    """The least image of s (by `less`) over the permutations allowed by the
    signatures, with the permutation giving it."""
    orders = [_tie_orders(g) for g in sigs]
    if all(len(o) == 1 and o[0] == list(range(len(o[0]))) for o in orders):
        return s, tuple(tuple(o[0]) for o in orders)      # already sorted: s is its own image
    best = best_perm = None
    for qs in itertools.product(*orders):
        perm = tuple(_inverse(q) for q in qs)
        image = permute(s, *perm, *qs)
        if best is None or less(image, best):
            best, best_perm = image, perm
    return best, best_perm


def _bound(x: str, y: str):
    """(a name for x, a wrapper binding it): expressions of tuples use their value
    several times, and a walrus cannot sit in a comprehension's iterable, so it goes
    in a condition, which Python evaluates first."""
    if x.isidentifier():
        return x, lambda e: e
    return y, lambda e: f"({e} if ({y} := {x}) is not None else None)"


def _tuple_src(parts: list) -> str:
    return "(" + ", ".join(parts) + ",)" if parts else "()"


def _key_fields(key: Type, relevant: dict) -> list:
    """For a record or tuple key type: the index of each field's permuted type, or None."""
    return [relevant.get(f) if isinstance(f, ScalarsetT) else None for f in _items(key)]


def _key_slot(key: Type, relevant: dict):
    """(field, type index) of the one permuted field of a record or tuple key type."""
    return next((i, k) for i, k in enumerate(_key_fields(key, relevant)) if k is not None)


def _key_sources(key: Type, relevant: dict):
    """f(p0, p1, ...) -> for each position of a map keyed by `key` (a record or
    tuple holding scalarset fields), the position its entry comes from."""
    values = domain(key)
    position = {v: i for i, v in enumerate(values)}
    which = _key_fields(key, relevant)
    cache = {}

    def sources(*perm):
        found = cache.get(perm)
        if found is None:
            src = [0] * len(values)
            for i, v in enumerate(values):
                moved = tuple(x if k is None else perm[k][x] for x, k in zip(v, which))
                src[position[moved]] = i
            if len(cache) > SRC_CACHE_LIMIT:
                cache.clear()
            found = cache[perm] = tuple(src)
        return found
    return sources


def _key_parts(key: Type, at: int) -> list:
    """For a key type whose field `at` is its one scalarset field: for each position,
    (that field's value, the other fields)."""
    return [(v[at], tuple(x for i, x in enumerate(v) if i != at)) for v in domain(key)]
