"""Candidate invariants for `--prove --infer`: atoms read off the spec's variable
types, and the templates that combine them into gdsl `lemma` declarations.

The problem: the lemmas an induction proof of a protocol needs relate one party's
variables to another's (a consumer's generation to the coordinator's, a consumer's
state to the message in flight to it). Writing them by hand, CTI after CTI, is a
specialist's job; Houdini only needs a superset of them to start from.

The invariant: every atom is a total gdsl Boolean expression (a field behind an
`option` is read only under its `is_some`), built from the spec's own variables, so
what the explicit engine evaluates, what z3 proves and what is printed as a lemma
are one text. Atoms come in three scopes, one free variable each: a consumer `c`
(a variable `map[K, ...]` over the spec's one scalarset K, and the global variables),
a member `m` (a key of a global `pmap` keyed by a record holding a K field, with
`c = m.consumer`), a pair of distinct consumers `c1, c2`. Templates: in each scope
`g1 and g2 => l` (g guards, l any atom or its negation); for pairs `g(c1) and g(c2)
and e(c1, c2) => r(c1, c2)`.

The cost: the group spec gives about 150 consumer atoms, 200 member atoms and 60 pair
relations; combined and filtered by reachable states (observe.py), a few thousand
candidates, of which Houdini keeps a few hundred.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from checker.lang import ast as A
from checker.lang.footprint import state_reads as reads

from checker.lang.types import BoolT, EnumT, IntT, MapT, OptionT, RecordT, ScalarsetT, SetT

PREFIX = "infer_"          # names of the functions added to the spec to evaluate atoms


@dataclass(frozen=True)
class Atom:
    text: str                # gdsl, with {c} (consumer scope), {m} (member), {c1}/{c2} (pair)
    guard: bool = True       # may stand left of an implication


@dataclass
class Atoms:
    consumer: list = field(default_factory=list)     # Atom over {c} and the globals
    member: list = field(default_factory=list)       # Atom over {m}, {c} = {m}.consumer
    pair: list = field(default_factory=list)         # Atom over {c1}, {c2}: relations only
    pair_eq: list = field(default_factory=list)      # ... equalities, the pair templates' `e`
    agent: str = ""                                  # the scalarset's type name (Consumer)
    member_type: str = ""                            # the member key type's name (MemberId)
    member_map: str = ""                             # the pmap whose keys are members (members)
    own: int = 0                                     # member atoms about m itself come first


@dataclass(frozen=True)
class Term:
    text: str
    type: object
    guard: str | None        # what must hold for text to be defined
    local: bool              # mentions {c}
    kind: str | None = None  # the type's declared name (Generation), through options


def _kind(texpr):
    while isinstance(texpr, A.OptionTypeExpr):
        texpr = texpr.inner
    return texpr.name if isinstance(texpr, A.NamedTypeExpr) else None


def _fields(text, t, texpr, records, guard, local, depth, out):
    """The term and, through records and options, its fields (up to `depth` levels).
    `texpr`: its declared type (the names say which integers are comparable)."""
    out.append(Term(text, t, guard, local, _kind(texpr)))
    if depth == 0:
        return
    inner = t.inner if isinstance(t, OptionT) else t
    if not isinstance(inner, RecordT):
        return
    decl = records.get(inner.name, {})
    if isinstance(t, OptionT):
        g = f"is_some({text})"
        guard = g if guard is None else f"{guard} and {g}"
        text = f"get({text})"
    for f, ft in inner.fields:
        _fields(f"{text}.{f}", ft, decl.get(f), records, guard, local, depth - 1, out)


def _guarded(term: Term, body: str) -> str:
    return body if term.guard is None else f"({term.guard} and {body})"


def _unary(term: Term) -> list:
    """Atoms about one term alone."""
    t, x = term.type, term.text
    if isinstance(t, BoolT):
        return [_guarded(term, x)]
    if isinstance(t, EnumT):
        return [_guarded(term, f"{x} == {v}") for v in t.values]
    if isinstance(t, OptionT):
        out = [_guarded(term, f"is_some({x})")]
        if isinstance(t.inner, EnumT):
            out += [_guarded(term, f"{x} == some({v})") for v in t.inner.values]
        return out
    if isinstance(t, IntT) and t.lo is not None and t.lo < 0:
        return [_guarded(term, f"{x} == {t.lo}")]
    if isinstance(t, SetT):
        return [_guarded(term, f"size({x}) == 0")]
    if isinstance(t, MapT) and not t.total:
        out = [_guarded(term, f"size(keys({x})) == 0")]
        v = t.value
        if isinstance(v, IntT) and v.finite:     # every value at an end of its range
            out += [_guarded(term, f"(forall q in keys({x}): {x}[q] == {b})") for b in (v.lo, v.hi)]
        return out
    return []


def _comparable(a: Term, b: Term) -> bool:
    """Integers of one declared type, or of two whose ranges end alike (Generation and
    ClientGeneration, -1 meaning none): not a fault budget against an epoch."""
    if a.kind is None or b.kind is None:
        return False
    ta, tb = _int(a.type), _int(b.type)
    if ta is None or tb is None:
        return False
    return a.kind == b.kind or (ta.hi == tb.hi and ta.hi is not None and ta.hi > 1)


def _int(t):
    t = t.inner if isinstance(t, OptionT) else t
    return t if isinstance(t, IntT) else None


def _both(a: Term, b: Term, body: str) -> str:
    guards = [g for g in (a.guard, b.guard) if g is not None]
    return f"({' and '.join(guards + [body])})" if guards else body


def _relations(a: Term, b: Term) -> list:
    """Atoms relating two terms of matching types: equal, ordered, some(b), subset."""
    ta, tb = a.type, b.type
    if isinstance(ta, IntT) and isinstance(tb, IntT) and _comparable(a, b):
        return [_both(a, b, f"{a.text} == {b.text}"), _both(a, b, f"{a.text} <= {b.text}"),
                _both(a, b, f"{b.text} <= {a.text}")]
    if isinstance(ta, OptionT) and isinstance(tb, IntT) and _comparable(a, b):
        return [_both(a, b, f"{a.text} == some({b.text})")]
    if isinstance(ta, OptionT) and isinstance(tb, OptionT) and _comparable(a, b):
        return [_both(a, b, f"{a.text} == {b.text}")]
    if isinstance(ta, SetT) and isinstance(tb, SetT) and ta.elem == tb.elem:
        return [_both(a, b, f"{a.text} == {b.text}"), _both(a, b, f"{a.text} subseteq {b.text}")]
    if (isinstance(ta, MapT) and isinstance(tb, MapT) and ta == tb and not ta.total
            and isinstance(ta.value, IntT)):        # pointwise order where both have the key
        return [_both(a, b, f"(forall q in keys({x}): has({y}, q) => {x}[q] >= {y}[q])")
                for x, y in ((a.text, b.text), (b.text, a.text))]
    return []


def cone(checked) -> set:
    """The variables the spec's invariants and lemmas read, and those the consumers'
    actions' guards name (whether a message is awaited, the coordinator known): what
    candidates talk about (on the group spec, 24 variables of 37)."""
    names = {v.name for v in checked.vars}
    out = set()
    for p in checked.properties:
        if p.kind == "invariant" and not p.refuted:
            out |= reads(p.expr, names)
    for a in checked.actions:
        if a.decl.guard is not None:
            out |= reads(a.decl.guard, names, calls=False)
    return out


def atoms_of(checked) -> Atoms:
    """The atoms of a checked spec (see the module docstring); empty scopes if the spec
    has no scalarset indexing its variables."""
    within = cone(checked)
    agents = {v.type.key for v in checked.vars if isinstance(v.type, MapT) and isinstance(v.type.key, ScalarsetT)}
    if len(agents) != 1:
        return Atoms()
    agent = agents.pop()
    local, glob = [], []
    records = {d.name: {f: te for f, te, *_ in d.fields} for d in checked.spec.decls
               if isinstance(d, A.RecordDecl)}
    for v in checked.vars:
        t = v.type
        if v.name not in within:
            continue
        if isinstance(t, MapT) and t.key == agent and t.total:
            _fields(f"{v.name}[{{c}}]", t.value, v.decl.type.value, records, None, True, 1, local)
        elif not (isinstance(t, MapT) and isinstance(t.key, ScalarsetT)):
            _fields(v.name, t, v.decl.type, records, None, False, 1, glob)
    for info in checked.defs.values():      # the spec's sets of one consumer: claimed(c)
        if (len(info.params) == 1 and info.params[0][1] == agent and info.reads
                and isinstance(info.result, SetT) and not info.name.startswith(PREFIX)):
            local.append(Term(f"{info.name}({{c}})", info.result, None, True, _kind(info.decl.result)))
    out = Atoms(agent=agent.name)
    seen = set()

    def add(lst, text, guard=True):
        if (id(lst), text) not in seen:
            seen.add((id(lst), text))
            lst.append(Atom(text, guard))

    for term in glob:
        for a in _unary(term):
            add(out.consumer, a)
    for a in _def_atoms(checked, agent, local + glob, "{c}"):
        add(out.consumer, a)
    for term in local:
        for a in _unary(term):
            add(out.consumer, a)
    for a in local:
        for b in glob:
            for r in _relations(a, b):
                add(out.consumer, r, guard=False)
        for b in local:
            if a.text < b.text:
                for r in _relations(a, b):
                    add(out.consumer, r, guard=False)
    _member_atoms(checked, agent, local, glob, out, add, within)
    _pair_atoms(local, out, add)
    return out


FILLERS = 3              # values tried for each parameter of a spec predicate


def _def_atoms(checked, subject, terms, var) -> list:
    """The spec's own Boolean `def`s as atoms (`syncAnswer(c)`, `memberOf(c,
    memberId[c])`, `live(m)`, `allJoined()`): one parameter of type `subject` gets
    `var`, each other parameter a term of its declared type (the consumer's or a
    global one, at most FILLERS each); defs with no parameter, once (consumer scope).
    A predicate the protocol's author named is what an invariant is usually made of."""
    out = []
    for info in checked.defs.values():
        if not isinstance(info.result, BoolT) or info.name.startswith(PREFIX) or not info.reads:
            continue
        kinds = [_kind(p.type) if p.type is not None else None for p in info.decl.params]
        if not info.params:
            if var == "{c}":
                out.append(f"{info.name}()")
            continue
        if sum(t == subject for _, t in info.params) != 1:
            continue
        choices = []
        for (n, t), k in zip(info.params, kinds):
            if t == subject:
                choices.append([(var, None)])
                continue
            fit = [x for x in terms if x.type == t and (k is None or x.kind == k)][:FILLERS]
            choices.append([(x.text, x.guard) for x in fit])
        combos = [[]]
        for ch in choices:
            combos = [c + [x] for c in combos for x in ch]
        for combo in combos:
            guards = [g for _, g in combo if g is not None]
            body = f"{info.name}({', '.join(t for t, _ in combo)})"
            out.append(f"({' and '.join(guards + [body])})" if guards else body)
    return out


def _member_atoms(checked, agent, local, glob, out, add, within):
    """Atoms of a member m: its record's fields against its consumer's variables, and
    whether the consumer's ids (option of the member key's other field) name m."""
    keyed = [v for v in checked.vars if isinstance(v.type, MapT) and not v.type.total
             and isinstance(v.type.key, RecordT) and any(ft == agent for _, ft in v.type.key.fields)]
    if not keyed:
        return
    mm = keyed[0]
    key = mm.type.key
    owner = next(f for f, ft in key.fields if ft == agent)
    others = [(f, ft) for f, ft in key.fields if ft != agent]
    out.member_type, out.member_map = key.name, mm.name
    mine = []
    records = {d.name: {f: te for f, te, *_ in d.fields} for d in checked.spec.decls
               if isinstance(d, A.RecordDecl)}
    _fields(f"{mm.name}[{{m}}]", mm.type.value, mm.decl.type.value, records, None, True, 1, mine)
    for term in mine:
        for a in _unary(term):
            add(out.member, a)
    for a in _def_atoms(checked, key, local + glob, "{m}"):
        add(out.member, a)
    # global containers of member keys: is m in them?
    for v in checked.vars:
        t = v.type
        if v is mm or v.name not in within:
            continue
        if isinstance(t, SetT) and t.elem == key:
            add(out.member, f"{{m}} in {v.name}")
        elif isinstance(t, OptionT) and t.inner == key:
            add(out.member, f"{v.name} == some({{m}})")
        elif isinstance(t, RecordT):
            for f, ft in t.fields:
                if isinstance(ft, MapT) and ft.key == key:
                    add(out.member, f"has({v.name}.{f}, {{m}})")
                elif isinstance(ft, OptionT) and ft.inner == key:
                    add(out.member, f"{v.name}.{f} == some({{m}})")
    # the consumer's view of m: its ids name m
    for term in local:
        if isinstance(term.type, OptionT) and len(others) == 1 and term.type.inner == others[0][1]:
            add(out.member, _guarded(term, f"{term.text} == some({{m}}.{others[0][0]})"))
    for a in mine:
        for b in local + glob:
            for r in _relations(a, b):
                add(out.member, r, guard=False)
    out.own = len(out.member)
    # the consumer's atoms, about m's consumer
    for a in out.consumer:
        add(out.member, a.text, a.guard)
    out.member = [Atom(a.text.replace("{c}", f"{{m}}.{owner}"), a.guard) for a in out.member]


def _pair_atoms(local, out, add):
    """Relations between two consumers' terms of the same kind: equal, disjoint."""
    for term in local:
        t = term.type
        two = Term(term.text.replace("{c}", "{c2}"), t,
                   term.guard.replace("{c}", "{c2}") if term.guard else None, True)
        one = Term(term.text.replace("{c}", "{c1}"), t,
                   term.guard.replace("{c}", "{c1}") if term.guard else None, True)
        if isinstance(t, IntT) or isinstance(t, OptionT) and not isinstance(t.inner, (RecordT, MapT)):
            add(out.pair_eq, _both(one, two, f"{one.text} == {two.text}"))
        if isinstance(t, SetT):
            add(out.pair, _both(one, two, f"size({one.text} intersect {two.text}) == 0"), guard=False)
    # set-valued terms of different kinds are disjoint too (owned vs an answer's assignment)
    sets = [x for x in local if isinstance(x.type, SetT)]
    for a in sets:
        for b in sets:
            if a.text != b.text:
                one = Term(a.text.replace("{c}", "{c1}"), a.type,
                           a.guard.replace("{c}", "{c1}") if a.guard else None, True)
                two = Term(b.text.replace("{c}", "{c2}"), b.type,
                           b.guard.replace("{c}", "{c2}") if b.guard else None, True)
                add(out.pair, _both(one, two, f"size({one.text} intersect {two.text}) == 0"), guard=False)


CHUNK = 32               # atoms per evaluation function (a longer sum nests too deeply)


def mask_functions(name: str, params: str, atoms: list, subst: dict) -> str:
    """gdsl functions `infer_<name>_<k>` returning atoms 32k..32k+31 as the bits of an int."""
    out = []
    for k in range(0, max(len(atoms), 1), CHUNK):
        terms = [f"(if {a.text.format(**subst)} then {1 << i} else 0)" for i, a in enumerate(atoms[k:k + CHUNK])]
        body = "\n  + ".join(terms) if terms else "0"
        out.append(f"def {PREFIX}{name}_{k // CHUNK}({params}): int =\n  {body}\n")
    return "\n".join(out)


def evaluation_source(atoms: Atoms) -> str:
    """The functions observe.py calls on reachable states, to append to the spec."""
    out = []
    if atoms.consumer:
        out.append(mask_functions("consumer", f"c: {atoms.agent}", atoms.consumer, {"c": "c"}))
    if atoms.member:
        out.append(mask_functions("member", f"m: {atoms.member_type}", atoms.member, {"m": "m"}))
    if atoms.pair:
        out.append(mask_functions("pair", f"c1: {atoms.agent}, c2: {atoms.agent}",
                                  atoms.pair_eq + atoms.pair, {"c1": "c1", "c2": "c2"}))
    return "\n".join(out)


@dataclass(frozen=True)
class Candidate:
    scope: str               # consumer | member | pair
    ante: tuple              # (scope, atom index) pairs that must all hold ...
    cons: tuple              # ... for this one to hold: (scope, atom index, positive)
    text: str                # the lemma's expression, gdsl


SCOPES = {"consumer": ("c", "forall c in {agent}: "), "member": ("m", "forall m in keys({mm}): "),
          "pair": (None, "forall c1, c2 in {agent}: c1 == c2 or ")}


def _lit(atom: Atom, positive: bool, subst: dict) -> str:
    t = atom.text.format(**subst)
    return t if positive else f"not {t}" if t.startswith("(") or " " not in t else f"not ({t})"


def implications(matrix, guards: list, conclusions: list, relations: set):
    """(antecedent atom indices, consequent index, positive) of `g1 [and g2] => l` true
    on every row of `matrix`: l alone if it holds on every row, then every single
    guard, then pairs of guards for the consequents neither gives alone."""
    if len(matrix) == 0:
        return []
    out = []
    every_pos, every_neg = matrix.all(0), (~matrix).all(0)
    for j in range(matrix.shape[1]):          # alone, any atom of the scope: `forall m: not Empty`
        if every_pos[j] or every_neg[j]:
            out.append(((), j, bool(every_pos[j])))
    single = {}
    for g in guards:
        sel = matrix[matrix[:, g]]
        if len(sel) == 0:
            continue
        pos, neg = sel.all(0) & ~every_pos, (~sel).all(0) & ~every_neg
        single[g] = (pos, neg)
        out += [((g,), j, bool(pos[j])) for j in conclusions if j != g and (pos[j] or neg[j])]
    gs = list(single)
    for i, g1 in enumerate(gs):
        for g2 in gs[i + 1:]:
            sel = matrix[matrix[:, g1] & matrix[:, g2]]
            if len(sel) == 0:
                continue
            pos = sel.all(0) & ~(single[g1][0] | single[g2][0] | every_pos)
            neg = (~sel).all(0) & ~(single[g1][1] | single[g2][1] | every_neg)
            out += [((g1, g2), j, bool(pos[j])) for j in conclusions
                    if j in relations and j not in (g1, g2) and (pos[j] or neg[j])]
    return out


def _text(ante_texts, cons_text, prefix):
    if not ante_texts:
        return prefix + cons_text
    return prefix + "(" + " and ".join(ante_texts) + " => " + cons_text + ")"


def candidates(atoms: Atoms, obs) -> list:
    """Every template instance that holds on every observed row (see the module docstring)."""
    out = []
    for scope, lst, var in (("consumer", atoms.consumer, "c"), ("member", atoms.member, "m")):
        if not lst:
            continue
        matrix = obs.matrix(scope, len(lst))
        guards = [i for i, a in enumerate(lst) if a.guard]
        conclusions = list(range(atoms.own if scope == "member" else len(lst)))
        relations = {i for i in conclusions if not lst[i].guard}
        prefix = SCOPES[scope][1].format(agent=atoms.agent, mm=atoms.member_map)
        for ante, j, pos in implications(matrix, guards, conclusions, relations):
            text = _text([_lit(lst[g], True, {var: var}) for g in ante], _lit(lst[j], pos, {var: var}), prefix)
            out.append(Candidate(scope, tuple((scope, g) for g in ante), (scope, j, pos), text))
    if atoms.pair:
        out += _pair_candidates(atoms, obs)
    return out


def _pair_candidates(atoms: Atoms, obs) -> list:
    """g1(c1) and g2(c2) and e(c1, c2) => r(c1, c2), for r a pair relation."""
    n = len(atoms.consumer)
    rows = sorted(obs.pair)
    if not rows:
        return []
    left = bits([r[0] for r in rows], n)
    right = bits([r[1] for r in rows], n)
    rel = bits([r[2] for r in rows], len(atoms.pair_eq) + len(atoms.pair))
    guards = [i for i, a in enumerate(atoms.consumer) if a.guard]
    ne = len(atoms.pair_eq)
    prefix = SCOPES["pair"][1].format(agent=atoms.agent)
    out = []
    allp = atoms.pair_eq + atoms.pair
    for g1 in guards:
        s1 = left[:, g1]
        if not s1.any():
            continue
        for g2 in [g1]:
            s12 = s1 & right[:, g2]
            if not s12.any():
                continue
            for e in [None] + list(range(ne)):
                sel = s12 if e is None else s12 & rel[:, e]
                if not sel.any():
                    continue
                ok = rel[sel][:, ne:].all(0)
                if e is not None:
                    ok &= ~rel[s12][:, ne:].all(0)       # not already without e
                for k in np.nonzero(ok)[0]:
                    j = ne + int(k)
                    ante = [_lit(atoms.consumer[g1], True, {"c": "c1"}), _lit(atoms.consumer[g2], True, {"c": "c2"})]
                    if e is not None:
                        ante.append(allp[e].text.format(c1="c1", c2="c2"))
                    text = _text(ante, allp[j].text.format(c1="c1", c2="c2"), prefix)
                    out.append(Candidate("pair", (("c1", g1), ("c2", g2)) + ((("pair", e),) if e is not None else ()),
                                         ("pair", j, True), text))
    return out


def bits(masks, width: int) -> np.ndarray:
    out = np.zeros((len(masks), width), dtype=bool)
    for i, x in enumerate(masks):
        j = 0
        while x:
            if x & 1:
                out[i, j] = True
            x >>= 1
            j += 1
    return out
