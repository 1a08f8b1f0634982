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

The cost: the group spec gives about 270 consumer atoms (60 of them through the member
key a consumer's id names), 350 member atoms and 25 pair relations; combined and
filtered by the reachable states of CONSUMERS=2 (observe.py), about 90,000 candidates
in a few seconds, of which a counterexample calls about 1% into Houdini's set.
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
    role: str = ""           # "anchor": pairs with any guard; "link": pairs with a guard (implications);
    #                          "negated": another atom's negation, a guard only


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


class Negated(str):
    """An atom that is another's negation: a guard (`not alive[c] => ...`), never a
    consequent (that is the other atom, negated)."""


def _negated(term: Term, body: str) -> Negated:
    return Negated(_guarded(term, body))


def _unary(term: Term) -> list:
    """Atoms about one term alone."""
    t, x = term.type, term.text
    if isinstance(t, BoolT):
        return [_guarded(term, x), _negated(term, f"not {x}")]
    if isinstance(t, EnumT):
        return [_guarded(term, f"{x} == {v}") for v in t.values]
    if isinstance(t, OptionT):
        out = [_guarded(term, f"is_some({x})"), _negated(term, f"is_none({x})")]
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
        if isinstance(v, SetT):                  # no element under two keys: an assignment
            out.append(_guarded(term, f"(forall k1, k2 in keys({x}): k1 == k2 or size({x}[k1] intersect {x}[k2]) == 0)"))
        if isinstance(v, IntT) and v.finite:     # every value at an end of its range
            out += [_guarded(term, f"(forall q in keys({x}): {x}[q] == {b})") for b in (v.lo, v.hi)]
        return out
    return []


class Equality(str):
    """A relation saying two integers (or options of them) are equal: a `link` when it
    ties a consumer's term to the coordinator's."""


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
        return [Equality(_both(a, b, f"{a.text} == {b.text}")), _both(a, b, f"{a.text} <= {b.text}"),
                _both(a, b, f"{b.text} <= {a.text}")]
    if isinstance(ta, OptionT) and isinstance(tb, IntT) and _comparable(a, b):
        return [Equality(_both(a, b, f"{a.text} == some({b.text})"))]
    if isinstance(ta, OptionT) and isinstance(tb, OptionT) and _comparable(a, b):
        return [Equality(_both(a, b, f"{a.text} == {b.text}"))]
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
    records = _records(checked)
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

    def add(lst, text, guard=True, role=""):
        if (id(lst), text) not in seen:
            seen.add((id(lst), text))
            lst.append(Atom(str(text), guard, "negated" if isinstance(text, Negated) else role))

    for term in glob:
        for a in _unary(term):
            add(out.consumer, a)
    for a in _def_atoms(checked, agent, local + glob, "{c}"):
        add(out.consumer, a)
    for term in local:
        for a in _unary(term):
            add(out.consumer, a)
    for i, a in enumerate(glob):        # the coordinator's own: persisted.gen <= generation
        for b in glob[i + 1:]:
            for r in _relations(a, b):
                add(out.consumer, r, guard=False)
    for a in local:
        for b in glob:
            for r in _relations(a, b):
                add(out.consumer, r, guard=False, role="link" if isinstance(r, Equality) else "")
        for b in local:
            if a.text < b.text:
                for r in _relations(a, b):
                    add(out.consumer, r, guard=False)
    _keyed_atoms(checked, agent, local, out, add)
    _member_atoms(checked, agent, local, glob, out, add)
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


@dataclass(frozen=True)
class MemberKey:
    """The spec's member keys: `map` the pmap keyed by them (members), `key` their record
    type (MemberId), `owner` its consumer field, `other` its one other field (inc)."""
    map: object
    key: object
    owner: str
    other: tuple | None
    kind: str | None = None  # the other field's declared type (Incarnation): the ids naming a key


def _member_key(checked, agent) -> MemberKey | None:
    keyed = [v for v in checked.vars if isinstance(v.type, MapT) and not v.type.total
             and isinstance(v.type.key, RecordT) and any(ft == agent for _, ft in v.type.key.fields)]
    if not keyed:
        return None
    key = keyed[0].type.key
    others = [(f, ft) for f, ft in key.fields if ft != agent]
    other = others[0] if len(others) == 1 else None
    kind = _kind(_records(checked).get(key.name, {}).get(other[0])) if other else None
    return MemberKey(keyed[0], key, next(f for f, ft in key.fields if ft == agent), other, kind)


def _records(checked) -> dict:
    return {d.name: {f: te for f, te, *_ in d.fields} for d in checked.spec.decls if isinstance(d, A.RecordDecl)}


def _holders(checked, mk: MemberKey, k: str, guard, own: bool = True) -> tuple:
    """(atoms, terms) about the member key `k` (gdsl text, defined under `guard`): whether
    the global containers of member keys hold it (`k in pending`, `has(persisted.members,
    k)`, `leader == some(k)`, `has(members, k)`), and the values they keep for it
    (`persisted.members[k]`, and `members[k].assignment` if `own`), each under its `has`."""
    atoms, terms = [], []
    records = _records(checked)

    def g(body):
        return body if guard is None else f"({guard} and {body})"

    def value(text, t, texpr, has):
        both = has if guard is None else f"{guard} and {has}"
        _fields(text, t, texpr, records, both, True, 1, terms)

    for v in checked.vars:
        t = v.type
        if isinstance(t, SetT) and t.elem == mk.key:
            atoms.append(g(f"{k} in {v.name}"))
        elif isinstance(t, OptionT) and t.inner == mk.key:
            atoms.append(g(f"{v.name} == some({k})"))
        elif isinstance(t, MapT) and not t.total and t.key == mk.key:
            atoms.append(g(f"has({v.name}, {k})"))
            if own or v is not mk.map:
                value(f"{v.name}[{k}]", t.value, v.decl.type.value, f"has({v.name}, {k})")
        elif isinstance(t, RecordT):
            decl = records.get(t.name, {})
            for f, ft in t.fields:
                if isinstance(ft, MapT) and not ft.total and ft.key == mk.key:
                    atoms.append(g(f"has({v.name}.{f}, {k})"))
                    value(f"{v.name}.{f}[{k}]", ft.value, getattr(decl.get(f), "value", None),
                          f"has({v.name}.{f}, {k})")
                elif isinstance(ft, OptionT) and ft.inner == mk.key:
                    atoms.append(g(f"{v.name}.{f} == some({k})"))
    return atoms, terms


def _keyed_atoms(checked, agent, local, out, add):
    """Consumer atoms about the member key a consumer's id names (`MemberId(consumer: c,
    inc: get(memberId[c]))`, the same for the ids in its requests and answers): whether
    the coordinator holds it (a member, pending, stored), what the coordinator keeps for
    it against the consumer's own terms (`claimed(c) == persisted.members[...]`), and
    the spec's predicates of a member key (`issued(...)`). What relates a consumer to
    the coordinator's record of it."""
    mk = _member_key(checked, agent)
    if mk is None or mk.other is None:
        return
    ids = [x for x in local if isinstance(x.type, OptionT) and x.type.inner == mk.other[1] and x.kind == mk.kind]
    for n, term in enumerate(ids):
        guard = f"is_some({term.text})" if term.guard is None else f"{term.guard} and is_some({term.text})"
        k = f"{mk.key.name}({mk.owner}: {{c}}, {mk.other[0]}: get({term.text}))"
        atoms, terms = _holders(checked, mk, k, guard, own=True)
        for a in atoms:
            add(out.consumer, a)
        for a in _def_atoms(checked, mk.key, [], k):
            add(out.consumer, f"({guard} and {a})")
        for x in terms:
            for a in _unary(x):
                add(out.consumer, a)
            if n == 0:          # the consumer's own id (the first): its record against its terms
                for b in local:
                    if isinstance(b.type, SetT):
                        for r in _relations(x, b):
                            add(out.consumer, r, guard=False)


def _member_atoms(checked, agent, local, glob, out, add):
    """Atoms of a member m: its record's fields against its consumer's variables, and
    whether the consumer's ids (option of the member key's other field) name m."""
    mk = _member_key(checked, agent)
    if mk is None:
        return
    mm, key, owner = mk.map, mk.key, mk.owner
    others = [mk.other] if mk.other else []
    out.member_type, out.member_map = key.name, mm.name
    mine = []
    records = _records(checked)
    _fields(f"{mm.name}[{{m}}]", mm.type.value, mm.decl.type.value, records, None, True, 1, mine)
    for term in mine:
        for a in _unary(term):
            add(out.member, a)
    for a in _def_atoms(checked, key, local + glob, "{m}"):
        add(out.member, a)
    # global containers of member keys: is m in them, what do they keep for it?
    held, theirs = _holders(checked, mk, "{m}", None, own=False)
    for a in held:
        if a != f"has({mm.name}, {{m}})":
            add(out.member, a)
    for term in theirs:
        for a in _unary(term):
            add(out.member, a)
    for a in mine:
        for b in theirs:
            for r in _relations(a, b):
                add(out.member, r, guard=False)
    mine = mine + theirs
    # the consumer's view of m: its ids name m (ids of the key's declared type, not epochs)
    for term in local:
        if (isinstance(term.type, OptionT) and len(others) == 1 and term.type.inner == others[0][1]
                and term.kind == mk.kind):
            add(out.member, _guarded(term, f"{term.text} == some({{m}}.{others[0][0]})"), role="anchor")
    for a in mine:
        for b in local + glob:
            for r in _relations(a, b):
                add(out.member, r, guard=False)
    out.own = len(out.member)
    # the consumer's atoms, about m's consumer
    for a in out.consumer:
        add(out.member, a.text, a.guard, a.role)
    out.member = [Atom(a.text.replace("{c}", f"{{m}}.{owner}"), a.guard, a.role) for a in out.member]


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
    support: int = 0         # distinct sampled rows where its antecedent holds: the evidence for it
    ante_false: tuple = ()   # (scope, atom index) pairs that must all be false too (a generalised clause)


SCOPES = {"consumer": ("c", "forall c in {agent}: "), "member": ("m", "forall m in keys({mm}): "),
          "pair": (None, "forall c1, c2 in {agent}: c1 == c2 or ")}


def _lit(atom: Atom, positive: bool, subst: dict) -> str:
    t = atom.text.format(**subst)
    return t if positive else f"not {t}" if t.startswith("(") or " " not in t else f"not ({t})"


def implications(matrix, guards: list, conclusions: list, relations: set, anchors=(), links=(), wide=None):
    """(antecedent atom indices, consequent index, positive, support) of `g1 [and g2] =>
    l` true on every row of `matrix`, support the rows where the antecedent holds: l
    alone if it holds on every row, then every single guard, then pairs of guards for
    the consequents neither gives alone: any consequent if one guard is an `anchor`
    (what ties a member to its consumer), a relation otherwise; a `link` (an equality
    of a consumer's term with the coordinator's) pairs with a guard for a relation.
    `wide`: the consequents an anchor's pairs may have (default: every column)."""
    if len(matrix) == 0:
        return []
    out = []
    every_pos, every_neg = matrix.all(0), (~matrix).all(0)
    for j in range(matrix.shape[1]):          # alone, any atom of the scope: `forall m: not Empty`
        if every_pos[j] or every_neg[j]:
            out.append(((), j, bool(every_pos[j]), len(matrix)))
    single = {}
    for g in list(guards) + [x for x in links if x not in guards]:
        sel = matrix[matrix[:, g]]
        if len(sel) == 0:
            continue
        pos, neg = sel.all(0) & ~every_pos, (~sel).all(0) & ~every_neg
        single[g] = (pos, neg)
        if g in guards:
            out += [((g,), j, bool(pos[j]), len(sel)) for j in conclusions if j != g and (pos[j] or neg[j])]
    gs = [g for g in single if g in guards]
    anchors, links = set(anchors), [x for x in links if x in single]
    pairs = [(g1, g2) for i, g1 in enumerate(gs) for g2 in gs[i + 1:]] + \
        [(g, x) for g in gs for x in links if x != g]
    for g1, g2 in pairs:
        sel = matrix[matrix[:, g1] & matrix[:, g2]]
        if len(sel) == 0:
            continue
        pos = sel.all(0) & ~(single[g1][0] | single[g2][0] | every_pos)
        neg = (~sel).all(0) & ~(single[g1][1] | single[g2][1] | every_neg)
        if g1 in anchors or g2 in anchors:     # about the member's own consumer: any atom
            out += [((g1, g2), int(j), bool(pos[j]), len(sel)) for j in np.nonzero(pos | neg)[0]
                    if j not in (g1, g2) and (wide is None or j in wide)]
        else:
            out += [((g1, g2), j, bool(pos[j]), len(sel)) for j in conclusions
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
        conclusions = [i for i in range(atoms.own if scope == "member" else len(lst)) if lst[i].role != "negated"]
        relations = {i for i in conclusions if not lst[i].guard}
        prefix = SCOPES[scope][1].format(agent=atoms.agent, mm=atoms.member_map)
        anchors = [i for i, a in enumerate(lst) if a.role == "anchor"]
        links = [i for i, a in enumerate(lst) if a.role == "link"]
        wide = {i for i, a in enumerate(lst) if a.role != "negated"}
        for ante, j, pos, n in implications(matrix, guards, conclusions, relations, anchors, links, wide):
            text = _text([_lit(lst[g], True, {var: var}) for g in ante], _lit(lst[j], pos, {var: var}), prefix)
            out.append(Candidate(scope, tuple((scope, g) for g in ante), (scope, j, pos), text, n))
    if atoms.pair:
        out += _pair_candidates(atoms, obs)
    seen = set()          # one text once (`not x` as an atom and `x` negated read alike)
    return [c for c in out if not (c.text in seen or seen.add(c.text))]


def from_cube(atoms: Atoms, scope: str, cube: tuple, support: int = 0) -> Candidate:
    """The clause excluding `cube` ((atom index, value) literals of a consumer or member
    scope, generalise.cubes), as a candidate: `forall c: (l1 and l2 => l3)`, the
    consequent a literal whose atom is false in the cube if any (read positively)."""
    lst = atoms.consumer if scope == "consumer" else atoms.member
    var = SCOPES[scope][0]
    order = sorted(cube, key=lambda lv: (not lv[1], lst[lv[0]].role != "negated"))
    *ante, (j, v) = order
    text = _text([_lit(lst[g], val, {var: var}) for g, val in ante], _lit(lst[j], not v, {var: var}),
                 SCOPES[scope][1].format(agent=atoms.agent, mm=atoms.member_map))
    return Candidate(scope, tuple((scope, g) for g, val in ante if val), (scope, j, not v), text, support,
                     tuple((scope, g) for g, val in ante if not val))


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
                                         ("pair", j, True), text, int(sel.sum())))
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
