"""One C file per spec and configuration, from the typed spec the Python backend compiles.

The problem: the search in C needs, for one configuration of one spec, its state
layout, its initial states, its successor function and its properties as C, with
the same meaning as the Python backend's (checker/compile). The invariant: the
file is the runtime header, then the unpacked state struct `S` (one C field per
variable, encoding.py), pack/unpack over the `StateLayout`, the spec's functions
as static C functions of the working state, `mc_init` and `mc_successors` (the
actions in declaration order, parameters in their domains' order, each instance
behind its guard, so successors come in the Python backend's order), `mc_inv`,
`mc_steps`, `mc_con`, `mc_cover`, the repackers (`mc_repack_<action>`: a successor
packed from its parent's words, only the variables its action may assign packed
again), then native_search.c. Each place that emits a successor is a
*site*: `sites[k]` is (action index or -1 for init, [(label, type)]), which the
engine uses to name a trace's steps. A construct it cannot compile raises
`Unsupported` with its spec position. The cost: generation is linear in the spec
(the group spec: well under a second); gcc -O2 compiles the file in seconds.
Public entry point: `generate(model) -> Generated`.
"""
from __future__ import annotations

from dataclasses import dataclass

from checker.lang import ast as A
from checker.lang.errors import SpecError
from checker.lang.footprint import state_reads
from checker.lang.sequential import assigned_variables

from checker.lang.types import IntT

from .canonical import canonical_source
from .encoding import CTypes, StateLayout, Unsupported, c_value, is_finite_scalar, label_value, to_ord
from .expressions import CExpressions
from .statements import CStatements


@dataclass
class Generated:
    source: str                 # the C file
    layout: StateLayout
    sites: list                 # site -> (action index or -1, [(label, Type)])


class _Writer:
    def __init__(self):
        self.lines = []

    def __call__(self, line):
        self.lines.append(line)


class Generator(CExpressions, CStatements):
    def __init__(self, model, symmetry=False):
        self.model, self.c = model, model.checked
        self.symmetry = symmetry     # write mc_canon (canonical.py): the search keeps one state per orbit
        self.types = CTypes()
        self.conversions, self.conversion_defs = {}, []      # CExpressions.conversion
        self.whens = {}              # action index -> the `when` conditions of its fairness, in order
        for f in model.fairness:
            if f.cond is not None:
                self.whens.setdefault(f.action.index, []).append(f.cond)
        self.sites = []
        self.result_type = None
        decls = {v.name: v.decl.pos for v in self.c.vars}
        self.layout = StateLayout([(n, t, decls[n]) for n, t in zip(model.var_names, model.var_types)])

    def build(self) -> Generated:
        body = _Writer()
        self.functions(body)
        self.init_function(body)
        self.successor_function(body)
        self.property_function(body, "mc_inv", self.model.invariants, primed=False)
        self.property_function(body, "mc_steps", self.model.action_properties, primed=True)
        self.property_function(body, "mc_con", self.model.constraints, primed=False)
        self.cover_function(body)
        self.marks_function(body)
        state = ["typedef struct __attribute__((packed)) {"]      # narrow members (CTypes.member)
        for n, t in zip(self.model.var_names, self.model.var_types):
            state.append(f"    {self.types.member(t)} {n};")
        state.append("} S;")
        head = ['#include "native_runtime.h"', f"#define MC_WORDS {self.layout.words}"]
        head += self.types.defs + state + self.conversion_defs
        head += [f"#define MC_N_INV {len(self.model.invariants)}",
                 f"#define MC_N_STEP {len(self.model.action_properties)}",
                 f"#define MC_N_CON {len(self.model.constraints)}",
                 f"#define MC_INV_DECIDED {int(bool(self.model.invariants_decided))}",
                 f"#define MC_N_COVER {len(self.model.covers)}",
                 f"#define MC_COVER_STATE {sum(1 << k for k, p in enumerate(self.model.covers) if p.kind == 'cover')}ULL"]
        head += self.pack_functions()
        if self.symmetry:
            head += canonical_source(self.model)
        source = "\n".join(head + self.prototypes + body.lines + self.site_table() + self.repack_functions()
                           + self.invariant_sites()
                           + ['#include "native_search.c"', ""])
        return Generated(source, self.layout, self.sites)

    def site_table(self) -> list:
        """mc_site_labels[site]: how many labels the site sets (a label row's values past
        them are zeroed, so equal labels are equal rows whatever ran before)."""
        counts = ", ".join(str(len(labels)) for _a, labels in self.sites) or "0"
        return [f"static const unsigned char mc_site_labels[] = {{{counts}}};"]

    # ---- the packed state

    def pack_functions(self) -> list:
        unpack, pack = ["static void mc_unpack(const uint64_t *w, S *s) {", "    memset(s, 0, sizeof *s);"], \
            ["static void mc_pack(const S *s, uint64_t *w) {"]
        for f in self.layout.fields:
            where = f"s->{f.path[1:]}"
            mask = "0xFFFFFFFFFFFFFFFFULL" if f.width == 64 else f"0x{(1 << f.width) - 1:X}ULL"
            raw = "0" if f.width == 0 else f"((w[{f.word}] >> {f.shift}) & {mask})"
            # a field inside an absent option or map entry stays zero: equal values, equal bytes
            guard = f"if ({' && '.join(f.guards)}) " if f.guards else ""
            unpack.append(f"    {guard}{where} = {self.from_raw(f.type, raw)};")
            pack += self.pack_field(f)
        return unpack + ["}"] + pack + ["}"]

    def pack_field(self, f) -> list:
        """The line that ORs field f of state `s` into the words `w` (none for a 0-bit field)."""
        if not f.width:
            return []
        guard = f"if ({' && '.join(f.guards)}) " if f.guards else ""
        return [f"    {guard}w[{f.word}] |= ((uint64_t)({self.to_raw(f.type, 's->' + f.path[1:])})) << {f.shift};"]

    def repack_functions(self) -> list:
        """mc_repack_<action>(s, w): with w the packed state the action was taken from,
        clears the bits of the variables the action may assign and packs them again from
        its successor s (mc_repack_var_<name>, one function a variable); the others are
        equal bits already. mc_site_repack[site] is the emitting action's (NULL for init:
        mc_pack whole). A successor packed so has mc_pack's words: packed words are
        canonical (unused bits and the inside of absent parts zero)."""
        by_var = {}
        for f in self.layout.fields:
            by_var.setdefault(f.path[1:].split(".")[0].split("[")[0], []).append(f)
        out, names = [], {}
        for n in self.model.var_names:
            masks = {}
            for f in by_var.get(n, []):
                if f.width:
                    masks[f.word] = masks.get(f.word, 0) | ((1 << f.width) - 1) << f.shift
            out.append(f"static void mc_repack_var_{n}(const S *s, uint64_t *w) {{")
            out += [f"    w[{k}] &= 0x{~m & (1 << 64) - 1:X}ULL;" for k, m in sorted(masks.items())]
            for f in by_var.get(n, []):
                out += self.pack_field(f)
            out += ["    (void)s; (void)w;", "}"]
        for act in self.c.actions:
            assigned = assigned_variables(self.c, act.decl.body)
            names[act.index] = name = f"mc_repack_{act.index}"
            out.append(f"static void {name}(const S *s, uint64_t *w) {{   /* {act.name} */")
            out += [f"    mc_repack_var_{n}(s, w);" for n in self.model.var_names if n in assigned]
            out.append("}")
        table = ", ".join(names.get(a, "NULL") if a >= 0 else "NULL" for a, _labels in self.sites) or "NULL"
        return out + [f"static void (*const mc_site_repack[])(const S *, uint64_t *) = {{{table}}};"]

    def invariant_sites(self) -> list:
        """What a successor's invariants need, by the action that made it: the search
        checks the invariants on each new state, and its parent satisfies them all (or the
        search stopped there), so an invariant reading none of the variables the action
        may assign holds on the successor too. mc_site_inv[site]: a bit a checked
        invariant (mc_inv_of's `only`); mc_site_keep[site](d, s): copies into d the
        variables those invariants read (the successor is kept for them until the
        visited set says whether it is new; the whole 2.7 kB state was copied before).
        NULL at init sites: every invariant, the whole state. The group spec: a step
        changes the inputs of 0 to 52 of its 55 invariants."""
        names = set(self.model.var_names)
        reads = [state_reads(p.expr, names) for p in self.model.invariants]
        words = max(1, (len(reads) + 63) // 64)
        out, masks, keeps = [], {}, {}
        for act in self.c.actions:
            assigned = assigned_variables(self.c, act.decl.body)
            checked = [k for k, r in enumerate(reads) if r & assigned]
            bits = [sum(1 << (k % 64) for k in checked if k // 64 == w) for w in range(words)]
            masks[act.index] = f"mc_inv_mask_{act.index}"
            keeps[act.index] = f"mc_keep_{act.index}"
            out.append(f"static const uint64_t mc_inv_mask_{act.index}[{words}] = "
                       f"{{{', '.join(f'0x{b:X}ULL' for b in bits)}}};   /* {act.name}: {len(checked)} invariants */")
            kept = set().union(*(reads[k] for k in checked)) if checked else set()
            out.append(f"static void mc_keep_{act.index}(S *d, const S *s) {{")
            out += [f"    d->{n} = s->{n};" for n in self.model.var_names if n in kept]
            out += ["    (void)d; (void)s;", "}"]
        inv = ", ".join(masks[a] if a >= 0 else "NULL" for a, _labels in self.sites) or "NULL"
        keep = ", ".join(keeps[a] if a >= 0 else "NULL" for a, _labels in self.sites) or "NULL"
        return out + [f"static const uint64_t *const mc_site_inv[] = {{{inv}}};",
                      f"static void (*const mc_site_keep[])(S *, const S *) = {{{keep}}};"]

    @staticmethod
    def from_raw(t, raw) -> str:
        if t is not None and is_finite_scalar(t):
            lo = t.lo if isinstance(t, IntT) else 0
            return f"((int64_t){raw} + ({lo}LL))" if lo else f"(int64_t){raw}"
        return raw

    @staticmethod
    def to_raw(t, c) -> str:
        return to_ord(t, c) if t is not None and is_finite_scalar(t) else c

    # ---- the spec's functions

    def functions(self, w):
        self.prototypes = []
        for info in self.c.defs.values():
            params = "".join(f", {self.ctype(t, info.decl.pos)} p_{n}" for n, t in info.params)
            rt = self.ctype(info.result, info.decl.pos)
            proto = f"static {rt} d_{info.name}(const S *st{params})"
            body = f"static {rt} b_{info.name}(const S *st{params})"
            self.prototypes += [proto + ";", body + ";"]
            args = "".join(f", p_{n}" for n, _t in info.params)
            # failures inside name the function, as the Python backend's messages do
            w(proto + f' {{ const char *_w = mc_where; mc_where = "function {info.name}"; '
                      f'{rt} _r = b_{info.name}(st{args}); mc_where = _w; return _r; }}')
            env = {"$s": "(*st)", **{n: (f"p_{n}", t) for n, t in info.params}}
            w(body + " {")
            self.result_type = info.result
            if isinstance(info.decl.body, list):
                self.pure(w, info.decl.body, env)
                w(f"    mc_fail(\"function {info.name} ended without a return\"); "
                  f"return {self.zero(info.result, info.decl.pos)};")
            else:
                w(f"    return {self.stored(info.result, info.decl.body, env, 'the result')};")
            w("}")
            self.result_type = None

    # ---- init and successors

    def emitter(self, action_index, pre_env=None):
        """`emit` for an action's body (or init: action_index -1): the successor, its
        site, its labels when a trace or the graph asks for them, and with the graph
        the bits of its action's fairness `when` conditions on the state before
        (`pre_env`: the parameters, and the state before as "$s")."""
        whens = self.whens.get(action_index, [])

        def emit(w, env, picks):
            site = len(self.sites)
            self.sites.append((action_index, [(name, t) for name, _c, t in picks]))
            if picks:
                w("if (mc_labelling) { " + " ".join(f"mc_label[{k}] = {label_value(t, c)};"
                                                    for k, (_n, c, t) in enumerate(picks)) + " }")
            if whens:
                w("if (mc_record) { uint32_t _mk = 0; int _f = mc_failed;")
                for j, cond in enumerate(whens):
                    w(f"  mc_failed = 0; {{ int _h = {self.expr(cond, {**env, **pre_env})}; "
                      f"_mk |= (mc_failed ? {2 << 2 * j}u : (_h ? {1 << 2 * j}u : 0u)); }}")
                w("  mc_failed = _f; mc_stepmark = _mk; }")
            w(f"mc_emit(&{env['$s']}, {site});")
        return emit

    def marks_function(self, w):
        """mc_marks(s, out): the two bits (holds, failed) of every temporal condition,
        numbered as checker/engine/conditions.py numbers them."""
        conds = []
        for prop in self.model.temporal:
            binders = {b.name: b.type for b in prop.temporal.binders}
            for bound, _fns in self.model.temporal_instances(prop):
                env = {"$s": "(*s)"}
                for name, value in bound:
                    env[name] = (f"{c_value(binders[name], value)}LL", binders[name])
                for e in prop.temporal.conditions:
                    conds.append((e, env))
        self.mark_width = (2 * len(conds) + 7) // 8
        w(f"#define MC_MARK_WIDTH {self.mark_width}")
        w("static void mc_marks(const S *s, uint8_t *out) {")
        w("    int _f = mc_failed;")
        for i, (e, env) in enumerate(conds):
            byte, shift = divmod(2 * i, 8)
            w(f"    mc_failed = 0; {{ int _h = {self.expr(e, env)}; "
              f"out[{byte}] |= (uint8_t)((mc_failed ? 2 : (_h ? 1 : 0)) << {shift}); }}")
        w("    mc_failed = _f; (void)s; (void)out;")
        w("}")

    def init_function(self, w):
        w("static void mc_init(void) {")
        w("    S s0; memset(&s0, 0, sizeof s0);")
        self.block(w, self.c.init, 0, {"$s": "s0"}, self.emitter(-1))
        w("}")

    def successor_function(self, w):
        w("static void mc_successors(const S *s) {")
        for act in self.c.actions:
            w(f'    mc_where = "action {act.name} (line {act.decl.pos[0]})";')
            w("    {")
            env, picks, opened = {"$s": "(*s)"}, [], 0
            for name, t, domain in act.params:
                if domain is None:
                    header, env = self.type_param(name, t, env, act.decl.pos)
                else:
                    header, env = self.loop(name, domain, env)
                w(header + " {")
                opened += 1
                c, t2 = env[name][:2]
                picks.append((name, c, t2))
            if act.decl.guard is not None:
                w(f"if ({self.expr(act.decl.guard, env)}) {{")
                opened += 1
            # the body's leading lets and requires read the state before any change:
            # on the state itself, so an instance whose require fails copies nothing
            body, before = act.decl.body, dict(env)
            lead = next((k for k, st in enumerate(body) if not isinstance(st, (A.Let, A.Require))), len(body))
            for st in body[:lead]:
                if isinstance(st, A.Require):
                    w(f"if ({self.expr(st.cond, before)}) {{")
                    opened += 1
                else:
                    before = self.stmt(w, st, before)
            work = self.fresh("w")
            w(f"S {work} = *s;")
            self.block(w, body[lead:], 0, {**before, "$s": work}, self.emitter(act.index, dict(env)), picks)
            w("}" * opened)
            w("    }")
        w("}")

    def type_param(self, name, t, env, pos):
        if not is_finite_scalar(t):
            raise Unsupported(f"a parameter of type {t}", pos)
        c = self.fresh(f"p_{name}")
        return self.type_loop(t, c), {**env, name: (c, t)}

    # ---- properties

    def property_function(self, w, fname, props, primed):
        """`fname(s[, t])`: the index of the first property that fails, or -1. The
        invariants' is `mc_inv_of(s, only)`, `only` the bits of those to check (NULL:
        all; invariant_sites), and mc_inv(s) checks all."""
        some = fname == "mc_inv"
        args = "const S *s, const S *t" if primed else "const S *s, const uint64_t *only" if some else "const S *s"
        w(f"static int {fname + ('_of' if some else '')}({args}) {{")
        if primed:
            w("    (void)t;")
        env = {"$s": "(*s)", "$p": "(*t)"}
        for k, p in enumerate(props):
            kind = {"mc_inv": "invariant", "mc_steps": "action property", "mc_con": "constraint"}[fname]
            check = [f'mc_where = "{kind} {p.name}";', f"if (!{self.expr(p.expr, env)}) return {k};"]
            if some:                    # an invariant not asked for: not even its name stored
                w(f"    if (!only || (only[{k // 64}] >> {k % 64} & 1)) {{ {' '.join(check)} }}")
            else:
                w(f"    {check[0]}")
                w(f"    {check[1]}")
        w("    return -1;")
        w("}")
        if some:
            w("static int mc_inv(const S *s) { return mc_inv_of(s, NULL); }")


    def cover_function(self, w):
        """mc_cover(s, t, open): the bits, among `open`, of the covers the step s -> t
        reaches (a state cover: t satisfies it), as engine/covers.py's check_covers."""
        covers = self.model.covers
        if len(covers) > 64:
            raise Unsupported("more than 64 covers", covers[64].pos)
        w("static uint64_t mc_cover(const S *s, const S *t, uint64_t o) {")
        w("    uint64_t hit = 0;")
        w("    (void)s; (void)t; (void)o;")
        for k, p in enumerate(covers):
            env = {"$s": "(*s)", "$p": "(*t)"} if p.kind == "cover_action" else {"$s": "(*t)", "$p": "(*t)"}
            w(f'    mc_where = "cover {p.name}";')
            w(f"    if ((o & {1 << k}ULL) && ({self.expr(p.expr, env)})) hit |= {1 << k}ULL;")
            w("    if (mc_failed) return hit;")
        w("    return hit;")
        w("}")


def generate(model, symmetry=False) -> Generated:
    """The C file of a compiled Model's spec and configuration (with `symmetry`, the
    search keeps one state per orbit of its scalarset types' permutations); Unsupported
    (a located SpecError) for a construct the native backend cannot compile yet."""
    try:
        return Generator(model, symmetry).build()
    except SpecError as e:
        raise e.located(model.checked.spec.path, model.checked.spec.source)
