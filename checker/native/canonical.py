"""Symmetry reduction in C: the canonical representative of a state's orbit.

The problem: under symmetry reduction (checker/compile/symmetry.py) the search keeps
one state per orbit of the permutations of the spec's scalarset types; the native
search must map every successor to a representative that is a function of its
orbit alone (an exact canonical form), or its counts would differ from the Python
backend's. The invariant: `mc_canon(w)` replaces the packed words w by the least
image of the state among the permutations that sort each type's values by their
*signature*, and signatures are equivariant (the signature of value v in state s is
that of pi(v) in pi(s)), so the set of images tried is the same for every state of
an orbit. A signature is exact, not hashed: for every datum that mentions exactly
one scalarset value (rmState[rm], rm in tmPrepared, Prepared(rm) in msgs, an
option or a record holding one value, ...) a fixed digit of the value's row holds
what the datum says besides the value's identity. When every datum of the state is
such (a *unary* spec: TwoPhase, TCommit), the rows determine the state, values with
equal rows are interchangeable, and one sort and one permutation give the
representative; otherwise (data mentioning two values) the rows come from the unary
data only and every arrangement of equal rows is tried, the least packed image
kept (Murphi's scheme, as the Python backend's). The representative need not be the
one the Python backend picks; both are exact, so counts, depth and traces agree.
The cost: per successor an unpack, the rows (a few digits a value), an insertion
sort of each type's values, one permutation and a pack (TwoPhase RM=9: about a
quarter of a microsecond); ties in non-unary specs multiply the last two by the
number of arrangements. Public entry point: `canonical_source(model) -> [C lines]`
(empty when the model has no scalarset type to permute).
"""
from __future__ import annotations

import itertools

from checker.compile.symmetry import mentions, occurrences
from checker.lang.types import MapT, OptionT, RecordT, ScalarsetT, SeqT, TupleT, component_types

from .encoding import card, is_bitset, is_keyed, is_scalar, seq_capacity, strides

MAX_LEAVES = 256        # a map entry's digits (a value keyed by a scalarset): more, and it counts as not unary

# Tie arrangements (non-unary specs): next_permutation over a run of values.
_HELPERS = r"""
static int mc_sym_next(int64_t *a, int n) {
    int i = n - 2;
    while (i >= 0 && a[i] >= a[i + 1]) i--;
    if (i < 0) {                                  /* the last arrangement: back to the first */
        for (int l = 0, r = n - 1; l < r; l++, r--) { int64_t x = a[l]; a[l] = a[r]; a[r] = x; }
        return 0;
    }
    int j = n - 1;
    while (a[j] <= a[i]) j--;
    int64_t x = a[i]; a[i] = a[j]; a[j] = x;
    for (int l = i + 1, r = n - 1; l < r; l++, r--) { x = a[l]; a[l] = a[r]; a[r] = x; }
    return 1;
}

static int mc_sym_less(const uint64_t *a, const uint64_t *b) {
    for (int i = 0; i < MC_WORDS; i++) if (a[i] != b[i]) return a[i] < b[i];
    return 0;
}

/* order[0..n): the values 0..n-1 sorted by their rows (d digits each), stably. */
static void mc_sym_sort(const uint64_t *rows, int d, int64_t *order, int n) {
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; i < n; i++) {
        int64_t v = order[i];
        int j = i;
        while (j > 0 && memcmp(rows + order[j - 1] * d, rows + v * d, d * sizeof(uint64_t)) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}
"""


def relevant_types(model) -> dict:
    """The scalarset types permuted (as symmetry_of finds them): type -> index."""
    relevant = {}
    for t in model.checked.types.values():
        if isinstance(t, ScalarsetT) and t.size > 1 and t not in relevant \
                and any(mentions(v, {t: 0}) for v in model.var_types):
            relevant[t] = len(relevant)
    return relevant


def canonical_source(model) -> list:
    """C lines defining MC_SYMMETRY and `static void mc_canon(uint64_t *w)`."""
    relevant = relevant_types(model)
    if not relevant:
        return []
    return _Generator(model, relevant).build()


def card_rest(t) -> int:
    """The number of values of what a one-value type holds besides its value."""
    if isinstance(t, ScalarsetT):
        return 1
    if isinstance(t, OptionT):
        return card_rest(t.inner)
    n = 1
    for x in component_types(t):
        n *= card_rest(x) if _one(x) else card(x)
    return n


def _one(t) -> bool:
    """Does t hold a scalarset value at all (for a type known to hold at most one)?"""
    return isinstance(t, ScalarsetT) or (isinstance(t, OptionT) and _one(t.inner)) or \
        (isinstance(t, (RecordT, TupleT)) and any(_one(x) for x in component_types(t)))


class _Generator:
    def __init__(self, model, relevant):
        self.model, self.relevant = model, relevant
        self.k = len(relevant)
        self.n = max(t.size for t in relevant)
        self.funcs, self.done, self.names = [], set(), {}
        self.counter = itertools.count()

    def name(self, prefix, t) -> str:
        """One C function per type and purpose (named by a counter: the file must not
        depend on Python's string hashing, it is cached by content)."""
        return self.names.setdefault((prefix, str(t)), f"{prefix}_{len(self.names)}")

    def fresh(self, prefix):
        return f"{prefix}{next(self.counter)}"

    def rel(self, t) -> dict:
        return {s: i for s, i in self.relevant.items() if mentions(t, {s: 0})}

    def occ(self, t) -> int:
        return occurrences(t, self.relevant)

    # ---- scalars (ordinals): their image, and the one value they hold

    def po(self, t, x: str) -> str:
        """The image under P of scalar ordinal x of type t."""
        if not mentions(t, self.relevant):
            return x
        if isinstance(t, ScalarsetT):
            return f"P[{self.relevant[t]}][{x}]"
        name = self.name("mc_po", t)
        if name not in self.done:
            self.done.add(name)
            body = [f"static int64_t {name}(int64_t x, const int64_t (*P)[MC_SYM_N]) {{"]
            if isinstance(t, OptionT):
                body.append(f"    return x == 0 ? 0 : 1 + {self.po(t.inner, 'x - 1')};")
            else:
                body.append("    int64_t r = 0;")
                for c, s in zip(component_types(t), strides(t)):
                    body.append(f"    r += {s}LL * {self.po(c, f'((x / {s}LL) % {card(c)}LL)')};")
                body.append("    return r;")
            self.funcs += body + ["}"]
        return f"{name}({x}, P)"

    def split(self, t, x: str, rest: str) -> tuple:
        """(C expression: the one value of the one-value scalar ordinal x, or -1 if none;
        also sets `rest` to the ordinal of the other parts; the value's type index)."""
        k = next(i for s, i in self.relevant.items() if mentions(t, {s: 0}))
        name = self.name("mc_sp", t)
        if name not in self.done:
            self.done.add(name)
            body = [f"static int64_t {name}(int64_t x, int64_t *rest) {{"]
            if isinstance(t, ScalarsetT):
                body.append("    *rest = 0; return x;")
            elif isinstance(t, OptionT):
                inner, _k = self.split(t.inner, "x - 1", "rest")
                body.append(f"    if (x == 0) return -1;\n    return {inner};")
            else:
                comps = component_types(t)
                body.append("    int64_t o = 0, ir = 0, who = -1;")
                for c, s in zip(comps, strides(t)):
                    digit = f"((x / {s}LL) % {card(c)}LL)"
                    if self.occ(c):
                        inner, _k = self.split(c, digit, "&ir")
                        body.append(f"    who = {inner}; (void)ir;")
                        one = c
                    else:
                        body.append(f"    o = o * {card(c)}LL + {digit};")
                body.append(f"    *rest = o * {card_rest(one)}LL + ir;")
                body.append("    return who;")
            self.funcs += body + ["}"]
        return f"{name}({x}, {rest})", k

    # ---- the permutation of a whole value

    def permute(self, t, src, dst, copied, out) -> None:
        """Statements setting dst to the image of src (dst already equal to src if copied)."""
        if not mentions(t, self.relevant):
            if not copied:
                out.append(f"{dst} = {src};")
            return
        if is_scalar(t):
            out.append(f"{dst} = {self.po(t, src)};")
        elif is_bitset(t):
            b, r = self.fresh("b"), self.fresh("r")
            out.append(f"{{ uint64_t {r} = 0; for (uint64_t {b} = {src}; {b}; {b} &= {b} - 1) "
                       f"{r} |= 1ULL << {self.po(t.elem, f'__builtin_ctzll({b})')}; {dst} = {r}; }}")
        elif isinstance(t, (RecordT, TupleT)):
            if not copied:
                out.append(f"{dst} = {src};")
            for i, c in enumerate(component_types(t)):
                self.permute(c, f"{src}.f{i}", f"{dst}.f{i}", True, out)
        elif isinstance(t, OptionT):
            if not copied:
                out.append(f"{dst} = {src};")
            out.append(f"if ({src}.some) {{")
            self.permute(t.inner, f"{src}.v", f"{dst}.v", True, out)
            out.append("}")
        elif isinstance(t, SeqT):
            if not copied:
                out.append(f"{dst} = {src};")
            i = self.fresh("i")
            out.append(f"for (int64_t {i} = 0; {i} < {src}.len; {i}++) {{")
            self.permute(t.elem, f"{src}.a[{i}]", f"{dst}.a[{i}]", True, out)
            out.append("}")
        else:
            assert isinstance(t, MapT) and is_keyed(t)
            i = self.fresh("i")
            present = "" if t.total else f"if (!({src}.has >> {i} & 1)) continue; "
            if not mentions(t.key, self.relevant):
                if not copied:
                    out.append(f"{dst} = {src};")
                out.append(f"for (int64_t {i} = 0; {i} < {card(t.key)}; {i}++) {{ {present}")
                self.permute(t.value, f"{src}.a[{i}]", f"{dst}.a[{i}]", True, out)
                out.append("}")
                return
            j = self.fresh("j")
            out.append(f"memset(&{dst}, 0, sizeof {dst});")
            out.append(f"for (int64_t {i} = 0; {i} < {card(t.key)}; {i}++) {{ {present}"
                       f"int64_t {j} = {self.po(t.key, i)};")
            if not t.total:
                out.append(f"{dst}.has |= 1ULL << {j};")
            self.permute(t.value, f"{src}.a[{i}]", f"{dst}.a[{j}]", False, out)
            out.append("}")

    # ---- signatures: each value's row of digits

    def leaves(self, t, x) -> list:
        """C expressions (uint64) of every leaf of x, a value holding no permuted value;
        absent parts are zero, so equal values give equal leaves."""
        if is_scalar(t) or is_bitset(t):
            return [f"(uint64_t)({x})"]
        if isinstance(t, (RecordT, TupleT)):
            return [e for i, c in enumerate(component_types(t)) for e in self.leaves(c, f"{x}.f{i}")]
        if isinstance(t, OptionT):
            return [f"(uint64_t)({x}.some)"] + self.leaves(t.inner, f"{x}.v")
        if isinstance(t, SeqT):
            return [f"(uint64_t)({x}.len)"] + [e for i in range(seq_capacity(t))
                                               for e in self.leaves(t.elem, f"{x}.a[{i}]")]
        assert isinstance(t, MapT) and is_keyed(t)
        head = [] if t.total else [f"{x}.has"]
        return head + [e for i in range(card(t.key)) for e in self.leaves(t.value, f"{x}.a[{i}]")]

    def rows(self, t, x, off: dict, out) -> tuple:
        """Statements writing the digits the data of x give the values they mention, at
        digit offsets `off` (type index -> C expression). Returns (every datum of x
        mentioning permuted values was written: x is unary, {type index: digits used})."""
        n = self.occ(t)
        if n == 0:
            return True, {}
        if is_scalar(t):
            if n != 1:
                return False, {}
            r, v = self.fresh("r"), self.fresh("v")
            who, k = self.split(t, x, f"&{r}")
            out.append(f"{{ int64_t {r} = 0, {v} = {who}; if ({v} >= 0) g{k}[{v}][{off[k]}] = 1 + {r}; }}")
            return True, {k: 1}
        if is_bitset(t):
            if self.occ(t.elem) != 1:
                return False, {}
            b, r, v = self.fresh("b"), self.fresh("r"), self.fresh("v")
            who, k = self.split(t.elem, f"__builtin_ctzll({b})", f"&{r}")
            out.append(f"for (uint64_t {b} = {x}; {b}; {b} &= {b} - 1) {{ int64_t {r} = 0, {v} = {who}; "
                       f"if ({v} >= 0) g{k}[{v}][{off[k]}] |= 1ULL << {r}; }}")
            return True, {k: 1}
        if isinstance(t, (RecordT, TupleT)):
            ok, used = True, {}
            for i, c in enumerate(component_types(t)):
                here = {k: f"{off[k]} + {used.get(k, 0)}" for k in off}
                part, u = self.rows(c, f"{x}.f{i}", here, out)
                ok = ok and part
                for k, m in u.items():
                    used[k] = used.get(k, 0) + m
            return ok, used
        if isinstance(t, OptionT):
            out.append(f"if ({x}.some) {{")
            ok, used = self.rows(t.inner, f"{x}.v", off, out)
            out.append("}")
            return ok, used
        if isinstance(t, SeqT):
            return self.each(seq_capacity(t), f"{x}.len", lambda i: f"{x}.a[{i}]", t.elem, off, out, None)
        if not (isinstance(t, MapT) and is_keyed(t)):
            return False, {}
        present = None if t.total else (lambda i: f"({x}.has >> {i} & 1)")
        if not mentions(t.key, self.relevant):
            return self.each(card(t.key), None, lambda i: f"{x}.a[{i}]", t.value, off, out, present)
        if self.occ(t.key) != 1 or mentions(t.value, self.relevant):
            return False, {}
        leaves = self.leaves(t.value, f"{x}.a[{{i}}]")
        if len(leaves) > MAX_LEAVES:
            return False, {}
        width = len(leaves) + (0 if t.total else 1)
        i, r, v = self.fresh("i"), self.fresh("r"), self.fresh("v")
        who, k = self.split(t.key, i, f"&{r}")
        out.append(f"for (int64_t {i} = 0; {i} < {card(t.key)}; {i}++) {{")
        if present is not None:
            out.append(f"if (!{present(i)}) continue;")
        out.append(f"int64_t {r} = 0, {v} = {who}; if ({v} < 0) continue;")
        out.append(f"uint64_t *d = &g{k}[{v}][{off[k]} + {r} * {width}];")
        digits = ([] if t.total else ["1"]) + [e.replace("{i}", i) for e in leaves]
        out.append(" ".join(f"d[{j}] = {e};" for j, e in enumerate(digits)) + " }")
        return True, {k: card_rest(t.key) * width}

    def each(self, count, length, item, t, off, out, present) -> tuple:
        """rows() of item(i) for i below count (and below `length`, and where present(i))."""
        i = self.fresh("i")
        inner_off = {k: self.fresh("o") for k in range(self.k)}
        inner = []
        ok, used = self.rows(t, item(i), inner_off, inner)
        bound = f"{i} < {count}" + (f" && {i} < {length}" if length else "")
        out.append(f"for (int64_t {i} = 0; {bound}; {i}++) {{")
        if present is not None:
            out.append(f"if (!{present(i)}) continue;")
        for k, m in used.items():
            out.append(f"int64_t {inner_off[k]} = {off[k]} + {i} * {m};")
        out += inner
        out.append("}")
        return ok, {k: m * count for k, m in used.items()}

    # ---- the file's part

    def build(self) -> list:
        names, types = self.model.var_names, self.model.var_types
        perm = []
        for name, t in zip(names, types):
            self.permute(t, f"in->{name}", f"out->{name}", True, perm)
        rows, used, unary = [], {}, True
        for name, t in zip(names, types):
            ok, u = self.rows(t, f"s.{name}", {k: str(used.get(k, 0)) for k in range(self.k)}, rows)
            unary = unary and ok
            for k, m in u.items():
                used[k] = used.get(k, 0) + m
        sizes = {i: s.size for s, i in self.relevant.items()}
        digits = {k: max(1, used.get(k, 0)) for k in range(self.k)}
        lines = ["#define MC_SYMMETRY 1", f"#define MC_SYM_N {self.n}", f"#define MC_SYM_UNARY {int(unary)}",
                 _HELPERS] + self.funcs
        lines += ["static void mc_sym_permute(const S *in, S *out, const int64_t (*P)[MC_SYM_N]) {",
                  "    *out = *in;"] + ["    " + s for s in perm] + ["}"]
        lines += ["/* The canonical representative of the orbit of the packed state w (module docstring). */",
                  "static void mc_canon(uint64_t *w) {",
                  "    S s; mc_unpack(w, &s);"]
        for k in range(self.k):
            lines.append(f"    uint64_t g{k}[{sizes[k]}][{digits[k]}]; memset(g{k}, 0, sizeof g{k});")
        lines += ["    " + s for s in rows]
        lines.append(f"    int64_t order[{self.k}][MC_SYM_N], P[{self.k}][MC_SYM_N];")
        for k in range(self.k):
            lines.append(f"    mc_sym_sort(&g{k}[0][0], {digits[k]}, order[{k}], {sizes[k]});")
        lines.append("    S t;")
        if unary:
            # equal rows: interchangeable values; the sorted order is the permutation
            lines.append("    int identity = 1;")
            for k in range(self.k):
                lines.append(f"    for (int r = 0; r < {sizes[k]}; r++) {{ P[{k}][order[{k}][r]] = r; "
                             f"identity &= order[{k}][r] == r; }}")
            lines += ["    if (identity) return;",
                      "    mc_sym_permute(&s, &t, (const int64_t (*)[MC_SYM_N])P);",
                      "    memset(w, 0, MC_WORDS * sizeof(uint64_t));",
                      "    mc_pack(&t, w);", "}"]
            return lines
        # ties: every arrangement of each run of equal rows, the least packed image kept
        lines.append("    int runs[%d][2], nruns = 0;" % sum(sizes.values()))
        for k in range(self.k):
            lines.append(f"    for (int a = 0, b; a < {sizes[k]}; a = b) {{ for (b = a + 1; b < {sizes[k]} && "
                         f"!memcmp(g{k}[order[{k}][a]], g{k}[order[{k}][b]], sizeof g{k}[0]); b++) ; "
                         f"if (b - a > 1) {{ runs[nruns][0] = {k} * MC_SYM_N + a; runs[nruns][1] = b - a; nruns++; }} }}")
        lines += ["    uint64_t best[MC_WORDS], cur[MC_WORDS];",
                  "    int have = 0;",
                  "    for (;;) {"]
        for k in range(self.k):
            lines.append(f"        for (int r = 0; r < {sizes[k]}; r++) P[{k}][order[{k}][r]] = r;")
        lines += ["        mc_sym_permute(&s, &t, (const int64_t (*)[MC_SYM_N])P);",
                  "        memset(cur, 0, sizeof cur);",
                  "        mc_pack(&t, cur);",
                  "        if (!have || mc_sym_less(cur, best)) { memcpy(best, cur, sizeof cur); have = 1; }",
                  "        int r = nruns - 1;",
                  "        while (r >= 0 && !mc_sym_next(&order[0][0] + runs[r][0], runs[r][1])) r--;",
                  "        if (r < 0) break;",
                  "    }",
                  "    memcpy(w, best, sizeof best);",
                  "}"]
        return lines
