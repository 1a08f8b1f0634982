"""Symmetry reduction in C: the canonical representative of a state's orbit.

The problem: under symmetry reduction (checker/compile/symmetry.py) the search keeps
one state per orbit of the permutations of the spec's scalarset types. The native
search must map every successor to a representative that is a function of its
orbit alone, or its counts would be wrong; and where a search stops early (a
violation, a bound) its counts depend on the order states are found in, which
depends on the representatives, so to agree with the Python backend there too it
must pick the very state the Python backend picks. The invariant: `mc_canon(w)`
replaces the packed words w by the Python backend's representative, computed its
way in C: each value's signature is symmetry.py's columns, in its order (a
scalarset-keyed map's entry, a set's membership, else a bucket per variable of
descriptors, kept as mixed-radix codes whose order is the descriptors' tuple order,
sorted and compared as lists), every comparison the Python key order (`cmp`: none
first, sets as sorted tuples, maps and sequences as tuples); values sorted by
signature, then by value. Unary specs (TwoPhase, TCommit: every datum mentions one
value) take that one permutation; otherwise every arrangement of equal signatures
(from the unary variables only) is tried and the least image by symmetry.py's
`less` kept (Murphi's scheme). A datum these codes cannot express (a descriptor
holding a set, codes past 2^62) is a located Unsupported: auto then runs Python.
The cost: per successor an unpack, the buckets (a few codes a value), an insertion
sort of each type's values, one permutation and a pack: TwoPhase RM=20 (20 values,
1.45 M successors) spends about 370 ns a successor, generation included, against
17 us on the Python backend (docs/performance.md); ties in non-unary specs multiply
the last two by the number of arrangements. Public entry point:
`canonical_source(model) -> [C lines]` (empty when no scalarset type is permuted).
"""
from __future__ import annotations

import itertools

from checker.compile.symmetry import mentions, occurrences, unary_variables
from checker.lang.types import MapT, OptionT, RecordT, ScalarsetT, SeqT, TupleT, component_types

from .encoding import Unsupported, card, is_bitset, is_keyed, is_scalar, seq_capacity, strides, to_ord


MAX_BUCKET_BYTES = 1 << 18      # the descriptors of one state (mc_canon's stack): more is refused

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

/* A bucket's descriptor codes, ascending (symmetry.py sorts each bucket). */
static void mc_sym_sort_codes(int64_t *q, int n) {
    for (int i = 1; i < n; i++) {
        int64_t x = q[i];
        int j = i;
        while (j > 0 && q[j - 1] > x) { q[j] = q[j - 1]; j--; }
        q[j] = x;
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

    # ---- Python's order on values (symmetry.py's key_expr), as a C comparison

    def cmp(self, t, x, y, out) -> None:
        """Statements returning -1 or 1 when values x and y of type t differ, ordered as
        the Python backend orders their keys; falling through when they are equal."""
        if is_scalar(t):                 # an int, or an ordinal: domain order is key order
            out.append(f"if ({x} != {y}) return {x} < {y} ? -1 : 1;")
        elif is_bitset(t):               # a set's key: its sorted elements, compared as tuples
            a, b, d = self.fresh("a"), self.fresh("b"), self.fresh("l")
            out.append(f"{{ uint64_t {a} = {x}, {b} = {y}; if ({a} != {b}) {{ "
                       f"int {d} = __builtin_ctzll({a} ^ {b}); uint64_t up = {d} == 63 ? 0 : ~0ULL << ({d} + 1); "
                       f"if ({a} >> {d} & 1) return ({b} & up) ? -1 : 1; return ({a} & up) ? 1 : -1; }} }}")
        elif isinstance(t, (RecordT, TupleT)):
            for i, c in enumerate(component_types(t)):
                self.cmp(c, f"{x}.f{i}", f"{y}.f{i}", out)
        elif isinstance(t, OptionT):     # none first
            out.append(f"if ({x}.some != {y}.some) return {x}.some < {y}.some ? -1 : 1;")
            out.append(f"if ({x}.some) {{")
            self.cmp(t.inner, f"{x}.v", f"{y}.v", out)
            out.append("}")
        elif isinstance(t, SeqT):        # tuples: a prefix first
            i = self.fresh("i")
            out.append(f"for (int64_t {i} = 0; {i} < {x}.len && {i} < {y}.len; {i}++) {{")
            self.cmp(t.elem, f"{x}.a[{i}]", f"{y}.a[{i}]", out)
            out.append("}")
            out.append(f"if ({x}.len != {y}.len) return {x}.len < {y}.len ? -1 : 1;")
        else:
            assert isinstance(t, MapT) and is_keyed(t)
            i = self.fresh("i")
            out.append(f"for (int64_t {i} = 0; {i} < {card(t.key)}; {i}++) {{")
            if not t.total:              # an absent entry (None) first
                out.append(f"int h{i} = {x}.has >> {i} & 1; if (h{i} != ({y}.has >> {i} & 1)) return h{i} ? 1 : -1;"
                           f" if (!h{i}) continue;")
            self.cmp(t.value, f"{x}.a[{i}]", f"{y}.a[{i}]", out)
            out.append("}")

    # ---- signatures: symmetry.py's columns, in its order

    def slot_leaves(self, t) -> list:
        """The radices of the leaves symmetry.py's `slot` gives a one-value scalar type."""
        if isinstance(t, ScalarsetT):
            return []
        if isinstance(t, OptionT):
            return self.slot_leaves(t.inner)
        out = []
        for c in component_types(t):
            out += self.slot_leaves(c) if self.occ(c) else [card(c)]
        return out

    def slot_function(self, t) -> tuple:
        """(name of `int64_t f(int64_t x, int64_t *leaf)`: the one value of scalar ordinal x
        of one-value type t, or -1; its other parts' ordinals written to leaf[] in
        symmetry.py's order; the value's type index)."""
        k = next(i for s, i in self.relevant.items() if mentions(t, {s: 0}))
        name = self.name("mc_slot", t)
        if name not in self.done:
            self.done.add(name)
            body = [f"static int64_t {name}(int64_t x, int64_t *leaf) {{", "    (void)leaf;"]
            if isinstance(t, ScalarsetT):
                body.append("    return x;")
            elif isinstance(t, OptionT):
                inner, _k = self.slot_function(t.inner)
                body.append(f"    return x == 0 ? -1 : {inner}(x - 1, leaf);")
            else:
                body.append("    int64_t who = -1;")
                at = 0
                for c, st in zip(component_types(t), strides(t)):
                    digit = f"((x / {st}LL) % {card(c)}LL)"
                    if self.occ(c):
                        inner, _k = self.slot_function(c)
                        body.append(f"    who = {inner}({digit}, leaf + {at});")
                        at += len(self.slot_leaves(c))
                    else:
                        body.append(f"    leaf[{at}] = {digit};")
                        at += 1
                body.append("    return who;")
            self.funcs += body + ["}"]
        return name, k

    def atoms(self, t, x, path, out, pos) -> None:
        """symmetry.py's `atoms` for a unary variable: statements appending, for every datum
        of x mentioning one value, its descriptor (path, other parts) to that value's
        bucket, as a code whose order is the descriptors' (sites: weights filled in later).
        `path`: [(C expression, radix)]."""
        n = self.occ(t)
        if n == 0:
            return
        if n == 1 and not isinstance(t, (SeqT, MapT)) and not is_bitset(t):
            if not is_scalar(t):
                raise Unsupported(f"symmetry reduction over a value of type {t}", pos)
            fn, k = self.slot_function(t)
            leaves = self.slot_leaves(t)
            lv, who = self.fresh("L"), self.fresh("v")
            out.append(f"{{ int64_t {lv}[{max(1, len(leaves))}]; int64_t {who} = {fn}({x}, {lv}); "
                       f"if ({who} >= 0) {self.push(k, who, path + [(f'{lv}[{j}]', r) for j, r in enumerate(leaves)])} }}")
            return
        if is_bitset(t):
            fn, k = self.slot_function(t.elem)
            leaves = self.slot_leaves(t.elem)
            b, lv, who = self.fresh("b"), self.fresh("L"), self.fresh("v")
            out.append(f"for (uint64_t {b} = {x}; {b}; {b} &= {b} - 1) {{ int64_t {lv}[{max(1, len(leaves))}]; "
                       f"int64_t {who} = {fn}(__builtin_ctzll({b}), {lv}); "
                       f"if ({who} >= 0) {self.push(k, who, path + [(f'{lv}[{j}]', r) for j, r in enumerate(leaves)], card(t.elem))} }}")
            return
        if isinstance(t, (RecordT, TupleT)):
            comps = component_types(t)
            for i, c in enumerate(comps):
                self.atoms(c, f"{x}.f{i}", path + [(str(i), len(comps))], out, pos)
            return
        if isinstance(t, OptionT):
            out.append(f"if ({x}.some) {{")
            self.atoms(t.inner, f"{x}.v", path, out, pos)
            out.append("}")
            return
        if isinstance(t, SeqT):
            i = self.fresh("i")
            out.append(f"for (int64_t {i} = 0; {i} < {x}.len; {i}++) {{")
            self.loops.append(seq_capacity(t))
            self.atoms(t.elem, f"{x}.a[{i}]", path + [(i, seq_capacity(t))], out, pos)
            self.loops.pop()
            out.append("}")
            return
        if not (isinstance(t, MapT) and is_keyed(t)):
            raise Unsupported(f"symmetry reduction over a value of type {t}", pos)
        i = self.fresh("i")
        out.append(f"for (int64_t {i} = 0; {i} < {card(t.key)}; {i}++) {{")
        if not t.total:
            out.append(f"if (!({x}.has >> {i} & 1)) continue;")
        if not mentions(t.key, self.relevant):
            self.loops.append(card(t.key))
            self.atoms(t.value, f"{x}.a[{i}]", path + [(i, card(t.key))], out, pos)
            self.loops.pop()
            out.append("}")
            return
        if not is_scalar(t.value) or not isinstance(t.key, (ScalarsetT, RecordT, TupleT)):
            raise Unsupported(f"symmetry reduction over a map of type {t}", pos)
        value = (to_ord(t.value, f"{x}.a[{i}]"), card(t.value))
        if isinstance(t.key, ScalarsetT):
            k = self.relevant[t.key]
            out.append(self.push(k, i, path + [value], card(t.key)) + " }")
            return
        comps = component_types(t.key)
        at = next(j for j, c in enumerate(comps) if isinstance(c, ScalarsetT) and c in self.relevant)
        k = self.relevant[comps[at]]
        digits = [(f"(({i} / {st}LL) % {card(c)}LL)", card(c)) for c, st in zip(comps, strides(t.key))]
        who = self.fresh("v")
        out.append(f"int64_t {who} = {digits[at][0]};")
        out.append(self.push(k, who, path + [d for j, d in enumerate(digits) if j != at] + [value],
                             card(t.key)) + " }")

    def push(self, k, who, parts, count=1) -> str:
        """The statement appending a descriptor (parts: [(C expr, radix)]) to value who's
        bucket of the current variable for type k."""
        bucket = self.bucket(k)
        site = len(bucket["sites"])
        bucket["sites"].append([r for _e, r in parts])
        n = 1
        for m in self.loops:
            n *= m
        bucket["cap"] += n * count
        code = " + ".join(f"({e}) * @W{bucket['id']}_{site}_{j}@" for j, (e, _r) in enumerate(parts)) or "0"
        return f"{{ int64_t *q = B->{bucket['name']}[{who}]; q[B->n{bucket['name']}[{who}]++] = {code}; }}"

    def bucket(self, k) -> dict:
        key = (self.var, k)
        if key not in self.buckets:
            self.buckets[key] = {"id": len(self.buckets), "name": f"b{self.var}_{k}", "k": k, "sites": [], "cap": 0}
        return self.buckets[key]

    def weights(self, text: str) -> str:
        """Each bucket's descriptors as mixed-radix codes: positions padded to the longest,
        each position's radix the largest there, so code order is tuple order (two
        descriptors of different shapes differ at a path position before either ends)."""
        for b in self.buckets.values():
            length = max((len(r) for r in b["sites"]), default=0)
            radix = [max((r[j] for r in b["sites"] if j < len(r)), default=1) for j in range(length)]
            total = 1
            for r in radix:
                total *= r
            if total >= 1 << 62:
                raise Unsupported("symmetry reduction over data this large", self.var_pos[b["name"]])
            w = [1] * length
            for j in range(length - 2, -1, -1):
                w[j] = w[j + 1] * radix[j + 1]
            for site, radices in enumerate(b["sites"]):
                for j in range(len(radices)):
                    text = text.replace(f"@W{b['id']}_{site}_{j}@", f"{w[j]}LL")
        return text

    # ---- the file's part

    def signature(self, v, name, t, pos, fill, columns) -> None:
        """Variable v's columns of the signatures (symmetry.signature_columns): a
        scalarset-keyed map's entry, a set of values' membership, or else a bucket of
        descriptors per type it mentions (filled by `fill`, compared as sorted lists)."""
        x = f"s->{name}"
        if isinstance(t, MapT) and isinstance(t.key, ScalarsetT) and t.key in self.relevant \
                and not self.occ(t.value) and is_keyed(t):
            out = columns[self.relevant[t.key]]
            if not t.total:
                out.append(f"{{ int ha = {x}.has >> a & 1, hb = {x}.has >> b & 1; "
                           f"if (ha != hb) return ha ? 1 : -1; if (ha) {{")
            self.cmp(t.value, f"{x}.a[a]", f"{x}.a[b]", out)
            if not t.total:
                out.append("} }")
            return
        if is_bitset(t) and isinstance(t.elem, ScalarsetT) and t.elem in self.relevant:
            columns[self.relevant[t.elem]].append(
                f"if (({x} >> a & 1) != ({x} >> b & 1)) return ({x} >> a & 1) ? 1 : -1;")
            return
        self.var = v
        self.atoms(t, x, [], fill, pos)
        for k in sorted(self.rel(t).values()):
            b = self.bucket(k)
            self.var_pos[b["name"]] = pos
            n = f"B->n{b['name']}"
            columns[k].append(f"{{ int na = {n}[a], nb = {n}[b]; const int64_t *qa = B->{b['name']}[a], "
                              f"*qb = B->{b['name']}[b]; for (int j = 0; j < na && j < nb; j++) "
                              f"if (qa[j] != qb[j]) return qa[j] < qb[j] ? -1 : 1; "
                              f"if (na != nb) return na < nb ? -1 : 1; }}")

    def build(self) -> list:
        names, types = self.model.var_names, self.model.var_types
        decls = {v.name: v.decl.pos for v in self.model.checked.vars}
        perm = []
        for name, t in zip(names, types):
            self.permute(t, f"in->{name}", f"out->{name}", True, perm)
        unary_vars = unary_variables(types, self.relevant)
        unary = len(unary_vars) == len(types)
        self.buckets, self.loops, self.var_pos = {}, [], {}
        fill, columns = [], {k: [] for k in range(self.k)}
        for v, (name, t) in enumerate(zip(names, types)):
            if v in unary_vars:
                self.signature(v, name, t, decls.get(name, (0, 0)), fill, columns)
        sizes = {i: s.size for s, i in self.relevant.items()}
        size = {b["name"]: sizes[b["k"]] * max(1, b["cap"]) * 8 for b in self.buckets.values()}
        if sum(size.values()) > MAX_BUCKET_BYTES:     # the buckets live on each thread's stack
            raise Unsupported("symmetry reduction over this many data mentioning one value",
                              self.var_pos[max(size, key=size.get)])
        state_cmp = []
        for name, t in zip(names, types):
            self.cmp(t, f"x->{name}", f"y->{name}", state_cmp)
        lines = ["#define MC_SYMMETRY 1", f"#define MC_SYM_N {self.n}", _HELPERS] + self.funcs
        lines += ["typedef struct {"] + [f"    int64_t {b['name']}[{sizes[b['k']]}][{max(1, b['cap'])}]; "
                                        f"int n{b['name']}[{sizes[b['k']]}];" for b in self.buckets.values()]
        lines += ["    int unused;", "} McBuckets;"]
        for k in range(self.k):
            lines += [f"static int mc_sig{k}(const S *s, const McBuckets *B, int64_t a, int64_t b) {{",
                      "    (void)s; (void)B;"] + ["    " + c for c in columns[k]] + ["    return 0;", "}"]
        lines += ["/* The Python backend's order on states (symmetry.py's `less`). */",
                  "static int mc_sym_cmp(const S *x, const S *y) {"] + ["    " + c for c in state_cmp] \
            + ["    return 0;", "}"]
        lines += ["static void mc_sym_permute(const S *in, S *out, const int64_t (*P)[MC_SYM_N]) {",
                  "    *out = *in;"] + ["    " + c for c in perm] + ["}"]
        lines += ["/* The canonical representative of the orbit of the packed state w (module docstring). */",
                  "static void mc_canon(uint64_t *w) {",
                  "    S s_; mc_unpack(w, &s_); const S *s = &s_;",
                  "    McBuckets B_, *B = &B_;"]
        lines += [f"    memset(B->n{b['name']}, 0, sizeof B->n{b['name']});" for b in self.buckets.values()]
        lines += ["    " + c for c in fill]
        for b in self.buckets.values():
            lines.append(f"    for (int v = 0; v < {sizes[b['k']]}; v++) mc_sym_sort_codes(B->{b['name']}[v], "
                         f"B->n{b['name']}[v]);")
        lines.append(f"    int64_t order[{self.k}][MC_SYM_N], P[{self.k}][MC_SYM_N];")
        for k in range(self.k):
            lines.append(f"    for (int i = 0; i < {sizes[k]}; i++) {{ int64_t v = order[{k}][i] = i; int j = i; "
                         f"while (j > 0 && mc_sig{k}(s, B, order[{k}][j - 1], v) > 0) {{ order[{k}][j] = order[{k}][j - 1]; j--; }} "
                         f"order[{k}][j] = v; }}")
        lines.append("    S t;")
        if unary:
            # equal signatures: interchangeable values; the sorted order is the permutation
            lines.append("    int identity = 1;")
            for k in range(self.k):
                lines.append(f"    for (int r = 0; r < {sizes[k]}; r++) {{ P[{k}][order[{k}][r]] = r; "
                             f"identity &= order[{k}][r] == r; }}")
            lines += ["    if (identity) return;",
                      "    mc_sym_permute(s, &t, (const int64_t (*)[MC_SYM_N])P);",
                      "    memset(w, 0, MC_WORDS * sizeof(uint64_t));",
                      "    mc_pack(&t, w);", "}"]
            return self.weights("\n".join(lines)).split("\n")
        # ties: every arrangement of each run of equal signatures, the least image kept
        lines.append("    int runs[%d][2], nruns = 0;" % sum(sizes.values()))
        for k in range(self.k):
            lines.append(f"    for (int a = 0, b; a < {sizes[k]}; a = b) {{ for (b = a + 1; b < {sizes[k]} && "
                         f"!mc_sig{k}(s, B, order[{k}][a], order[{k}][b]); b++) ; "
                         f"if (b - a > 1) {{ runs[nruns][0] = {k} * MC_SYM_N + a; runs[nruns][1] = b - a; nruns++; }} }}")
        lines += ["    S best;",
                  "    int have = 0;",
                  "    for (;;) {"]
        for k in range(self.k):
            lines.append(f"        for (int r = 0; r < {sizes[k]}; r++) P[{k}][order[{k}][r]] = r;")
        lines += ["        mc_sym_permute(s, &t, (const int64_t (*)[MC_SYM_N])P);",
                  "        if (!have || mc_sym_cmp(&t, &best) < 0) { best = t; have = 1; }",
                  "        int r = nruns - 1;",
                  "        while (r >= 0 && !mc_sym_next(&order[0][0] + runs[r][0], runs[r][1])) r--;",
                  "        if (r < 0) break;",
                  "    }",
                  "    memset(w, 0, MC_WORDS * sizeof(uint64_t));",
                  "    mc_pack(&best, w);",
                  "}"]
        return self.weights("\n".join(lines)).split("\n")
