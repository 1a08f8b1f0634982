"""gdsl values as z3 terms: the symbolic counterpart of checker/lang/types.py's runtime values.

A symbolic value has the shape of its type, unrolled in Python, with z3 terms at the
leaves (types are finite, so every structure has a known, small size):

  bool                      -> z3 Bool
  int, range, enum, scalarset -> z3 Int (an enum or scalarset is its index, as at run time)
  option[T]                 -> Opt(present: Bool, value: T or None for `none`)
  record, tuple             -> Python tuple of field values
  set[T], T with a domain   -> Mask: {runtime value of T: Bool}, one membership bit per value
  set[T], other T           -> Bag: [(Bool, T)], the candidate elements each with its guard
  seq[T, N]                 -> Seq(length: Int, items: tuple of T), items past the length unused
  map[K, V]                 -> Map(keys: list of K's runtime values, values: tuple of V)
  pmap[K, V]                -> the same with Opt values (absent = not present)

Integers are mathematical (z3 Int), exactly as Python's: no widths to get wrong, and the
ranges of state variables are asserted as bounds. `Encoder.bounds` finds a static
interval for an integer term where a loop or a range needs one.
"""
from __future__ import annotations

from dataclasses import dataclass
import itertools

import z3

from checker.lang.types import (AnyT, BoolT, EnumT, IntT, MapT, OptionT, RecordT, ScalarsetT, SeqT, SetT,
                                TupleT, component_types, domain, has_domain, key_count, sort_key)

TRUE, FALSE = z3.BoolVal(True), z3.BoolVal(False)


class EncodingError(Exception):
    """This construct (or type) has no z3 encoding; raised as a located SpecError."""


@dataclass
class Opt:
    present: object
    value: object          # None for a literal `none`


@dataclass
class Mask:
    bits: dict             # runtime value -> Bool
    elem: object           # the element Type


@dataclass
class Bag:
    entries: list          # [(Bool, value)]


@dataclass
class Seq:
    length: object         # Int
    items: tuple


@dataclass
class Map:
    keys: list             # runtime values of the key type, in domain order
    key_type: object
    values: tuple          # V, or Opt for a partial map
    total: bool


# ------------------------------------------------------------------ construction

def lift(v, t):
    """The symbolic constant for a runtime value v of type t."""
    if isinstance(t, BoolT):
        return z3.BoolVal(bool(v))
    if isinstance(t, (IntT, EnumT, ScalarsetT)):
        return z3.IntVal(v)
    if isinstance(t, OptionT):
        return Opt(FALSE, None) if v is None else Opt(TRUE, lift(v, t.inner))
    if isinstance(t, (TupleT, RecordT)):
        return tuple(lift(x, it) for x, it in zip(v, component_types(t)))
    if isinstance(t, SetT):
        if has_domain(t.elem):
            return Mask({d: (TRUE if d in v else FALSE) for d in domain(t.elem)}, t.elem)
        return Bag([(TRUE, lift(x, t.elem)) for x in v])
    if isinstance(t, SeqT):
        return Seq(z3.IntVal(len(v)), tuple(lift(x, t.elem) for x in v))
    if isinstance(t, MapT):
        keys = domain(t.key)
        if t.total:
            return Map(keys, t.key, tuple(lift(x, t.value) for x in v), True)
        return Map(keys, t.key, tuple(Opt(FALSE, None) if x is None else Opt(TRUE, lift(x, t.value))
                                      for x in v), False)
    raise EncodingError(f"no symbolic encoding for values of type {t}")


class Fresh:
    """Makes fresh symbolic values of a type: z3 constants with their type's bounds."""

    def __init__(self, ranges: dict):
        self.ranges = ranges          # Int constant name -> (lo, hi), for Encoder.bounds
        self.counter = itertools.count()

    def value(self, t, name: str, facts: list, leaves: list | None = None):
        """A fresh value of type t; its bounds go to `facts`, its z3 constants to `leaves`."""
        leaves = [] if leaves is None else leaves
        return self._value(t, name, facts, leaves)

    def _int(self, name, lo, hi, facts, leaves):
        x = z3.Int(name)
        leaves.append(x)
        if lo is not None:
            facts.append(x >= lo)
            facts.append(x <= hi)
            self.ranges[name] = (lo, hi)
        return x

    def _value(self, t, name, facts, leaves):
        if isinstance(t, BoolT):
            x = z3.Bool(name)
            leaves.append(x)
            return x
        if isinstance(t, IntT):
            return self._int(name, t.lo, t.hi, facts, leaves) if t.finite else \
                self._int(name, None, None, facts, leaves)
        if isinstance(t, (EnumT, ScalarsetT)):
            return self._int(name, 0, key_count(t) - 1, facts, leaves)
        if isinstance(t, OptionT):
            p = z3.Bool(f"{name}?")
            leaves.append(p)
            return Opt(p, self._value(t.inner, f"{name}!", facts, leaves))
        if isinstance(t, (TupleT, RecordT)):
            names = [f[0] for f in t.fields] if isinstance(t, RecordT) else range(len(t.items))
            return tuple(self._value(it, f"{name}.{n}", facts, leaves) for n, it in zip(names, component_types(t)))
        if isinstance(t, SetT):
            if not has_domain(t.elem):
                raise EncodingError(f"a variable of type {t} has no symbolic encoding "
                                    f"(the element type needs a finite domain)")
            bits = {}
            for i, d in enumerate(domain(t.elem)):
                b = z3.Bool(f"{name}#{i}")
                leaves.append(b)
                bits[d] = b
            return Mask(bits, t.elem)
        if isinstance(t, SeqT):
            if t.bound is None:
                raise EncodingError(f"a variable of type {t} needs a bound")
            n = self._int(f"{name}.len", 0, t.bound, facts, leaves)
            return Seq(n, tuple(self._value(t.elem, f"{name}[{i}]", facts, leaves) for i in range(t.bound)))
        if isinstance(t, MapT):
            keys = domain(t.key)
            vt = t.value if t.total else OptionT(t.value)
            return Map(keys, t.key, tuple(self._value(vt, f"{name}[{i}]", facts, leaves)
                                          for i in range(len(keys))), t.total)
        raise EncodingError(f"no symbolic encoding for values of type {t}")


def default(t):
    """Some runtime value of type t (a placeholder where the value does not matter)."""
    if isinstance(t, BoolT):
        return False
    if isinstance(t, IntT):
        return t.lo if t.finite else 0
    if isinstance(t, (EnumT, ScalarsetT)):
        return 0
    if isinstance(t, OptionT):
        return None
    if isinstance(t, (TupleT, RecordT)):
        items = component_types(t)
        return tuple(default(x) for x in items)
    if isinstance(t, SetT):
        return frozenset()
    if isinstance(t, SeqT):
        return ()
    if isinstance(t, MapT):
        n = len(domain(t.key))
        return tuple(default(t.value) for _ in range(n)) if t.total else (None,) * n
    raise EncodingError(f"no symbolic encoding for values of type {t}")


# ------------------------------------------------------------------ structural operations

def _fold(bs, absorbing, make):
    """And/Or of bs, folding literal true and false (most guards of unrolled code are
    literals): `absorbing` decides the result, the other literal is dropped."""
    out = []
    for b in bs:
        if (z3.is_true if absorbing else z3.is_false)(b):
            return z3.BoolVal(absorbing)
        if not (z3.is_false if absorbing else z3.is_true)(b):
            out.append(b)
    return out[0] if len(out) == 1 else make(out) if out else z3.BoolVal(not absorbing)


def conj(bs):
    return _fold(bs, False, z3.And)


def disj(bs):
    return _fold(bs, True, z3.Or)


def neg(b):
    return FALSE if z3.is_true(b) else TRUE if z3.is_false(b) else z3.Not(b)


def ite(c, a, b):
    """if c then a else b, for symbolic values of the same type."""
    if z3.is_true(c):
        return a
    if z3.is_false(c):
        return b
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, z3.ExprRef):
        if isinstance(b, z3.ExprRef) and a.eq(b):
            return a
        if z3.is_bool(a):
            if z3.is_true(a) and z3.is_false(b):
                return c
            if z3.is_false(a) and z3.is_true(b):
                return neg(c)
        return z3.If(c, a, b)
    if isinstance(a, tuple):
        return tuple(ite(c, x, y) for x, y in zip(a, b))
    if isinstance(a, Opt):
        return Opt(ite(c, a.present, b.present), ite(c, a.value, b.value))
    if isinstance(a, (Mask, Bag)) or isinstance(b, (Mask, Bag)):
        if isinstance(a, Mask) and isinstance(b, Mask):
            keys = _merged_keys(a, b)
            return Mask({k: ite(c, a.bits.get(k, FALSE), b.bits.get(k, FALSE)) for k in keys}, a.elem)
        if isinstance(a, Mask) or isinstance(b, Mask):
            m = a if isinstance(a, Mask) else b
            return ite(c, to_mask(a, m.elem), to_mask(b, m.elem))
        return Bag([(conj([c, p]), x) for p, x in a.entries] + [(conj([neg(c), p]), x) for p, x in b.entries])
    if isinstance(a, Seq):
        n = max(len(a.items), len(b.items))
        items = []
        for i in range(n):
            x = a.items[i] if i < len(a.items) else None
            y = b.items[i] if i < len(b.items) else None
            items.append(ite(c, x, y))
        return Seq(ite(c, a.length, b.length), tuple(items))
    if isinstance(a, Map):
        return Map(a.keys, a.key_type, tuple(ite(c, x, y) for x, y in zip(a.values, b.values)),
                   a.total and b.total)
    raise EncodingError(f"cannot merge {type(a).__name__}")  # pragma: no cover


def _merged_keys(a: Mask, b: Mask):
    if a.bits.keys() == b.bits.keys():
        return list(a.bits)
    keys = list(dict.fromkeys(list(a.bits) + list(b.bits)))
    key = sort_key(a.elem)
    return sorted(keys, key=key) if key else sorted(keys)


def to_mask(s, elem_t):
    """A set as a Mask over elem_t's domain (a Bag's elements outside it are dropped)."""
    if isinstance(s, Mask):
        return s
    bits = {}
    for d in domain(elem_t):
        sd = lift(d, elem_t)
        bits[d] = disj([conj([p, eq(x, sd)]) for p, x in s.entries])
    return Mask(bits, elem_t)


def eq(a, b):
    """a == b, for symbolic values of one type."""
    if isinstance(a, z3.ExprRef):
        if z3.is_int_value(a) and z3.is_int_value(b):
            return z3.BoolVal(a.as_long() == b.as_long())
        if a.eq(b):
            return TRUE
        return a == b
    if isinstance(a, tuple):
        return conj([eq(x, y) for x, y in zip(a, b)])
    if isinstance(a, Opt):
        if a.value is None or b.value is None:
            return conj([neg(a.present), neg(b.present)])
        return conj([_beq(a.present, b.present), disj([neg(a.present), eq(a.value, b.value)])])
    if isinstance(a, (Mask, Bag)):
        if isinstance(a, Mask) or isinstance(b, Mask):
            m = a if isinstance(a, Mask) else b
            a, b = to_mask(a, m.elem), to_mask(b, m.elem)
            keys = _merged_keys(a, b)
            return conj([_beq(a.bits.get(k, FALSE), b.bits.get(k, FALSE)) for k in keys])
        return conj([subset(a, b), subset(b, a)])
    if isinstance(a, Seq):
        n = min(len(a.items), len(b.items))
        return conj([eq(a.length, b.length), a.length <= n]
                    + [z3.Implies(a.length > i, eq(a.items[i], b.items[i])) for i in range(n)])
    if isinstance(a, Map):
        return conj([eq(x, y) for x, y in zip(a.values, b.values)])
    raise EncodingError(f"cannot compare {type(a).__name__}")  # pragma: no cover


def elements(s) -> list:
    """[(guard, element)] of a set, the elements of a Mask in ascending order."""
    if isinstance(s, Mask):
        return [(b, lift(k, s.elem)) for k, b in s.bits.items() if not z3.is_false(b)]
    return list(s.entries)


def member(x, s):
    if isinstance(s, Mask):
        return disj([conj([b, eq(x, lift(k, s.elem))]) for k, b in s.bits.items() if not z3.is_false(b)])
    return disj([conj([p, eq(x, y)]) for p, y in s.entries])


def subset(a, b):
    return conj([z3.Implies(p, member(x, b)) if not z3.is_true(p) else member(x, b) for p, x in elements(a)])


def count(bools) -> object:
    bools = [b for b in bools if not z3.is_false(b)]
    return z3.Sum([z3.If(b, 1, 0) for b in bools]) if bools else z3.IntVal(0)


def set_size(s):
    if isinstance(s, Mask):
        return count(s.bits.values())
    firsts = []
    for i, (p, x) in enumerate(s.entries):         # an element counts where it first occurs
        firsts.append(conj([p] + [neg(conj([q, eq(x, y)])) for q, y in s.entries[:i]]))
    return count(firsts)


def set_op(op, a, b):
    if isinstance(a, Mask) or isinstance(b, Mask):
        m = a if isinstance(a, Mask) else b
        a, b = to_mask(a, m.elem), to_mask(b, m.elem)
        keys = _merged_keys(a, b)
        f = {"union": lambda x, y: disj([x, y]), "intersect": lambda x, y: conj([x, y]),
             "minus": lambda x, y: conj([x, neg(y)])}[op]
        return Mask({k: f(a.bits.get(k, FALSE), b.bits.get(k, FALSE)) for k in keys}, m.elem)
    if op == "union":
        return Bag(a.entries + b.entries)
    if op == "intersect":
        return Bag([(conj([p, member(x, b)]), x) for p, x in a.entries])
    return Bag([(conj([p, neg(member(x, b))]), x) for p, x in a.entries])


def _beq(a, b):
    if z3.is_true(a):
        return b
    if z3.is_true(b):
        return a
    if z3.is_false(a):
        return neg(b)
    if z3.is_false(b):
        return neg(a)
    return TRUE if a.eq(b) else a == b


def select(cases: list, default=None):
    """The value of the first (guard, value) whose guard holds; the last one otherwise."""
    if not cases:
        return default
    out = cases[-1][1] if default is None else ite(cases[-1][0], cases[-1][1], default)
    for c, v in reversed(cases[:-1]):
        out = ite(c, v, out)
    return out


def compact(pairs: list) -> Seq:
    """The sequence of the elements whose guard holds, in order (a symbolic filter)."""
    items = []
    before = z3.IntVal(0)
    prefix = []
    for c, v in pairs:
        prefix.append(before)
        if z3.is_false(c):
            continue
        if z3.is_true(c) and z3.is_int_value(before):
            before = z3.IntVal(before.as_long() + 1)
        else:
            before = before + z3.If(c, 1, 0)
    for j in range(len(pairs)):
        cases = [(conj([c, eq(n, z3.IntVal(j))]), v) for (c, v), n in zip(pairs[j:], prefix[j:])]
        cases = [(c, v) for c, v in cases if not z3.is_false(c)]
        if not cases:
            break                      # no element can reach this position
        items.append(select(cases))
    return Seq(before, tuple(items))


def map_get(m: Map, key, lifted_keys):
    """[(key matches, entry)] for a symbolic key."""
    return [(eq(key, lk), v) for lk, v in zip(lifted_keys, m.values)]


# ------------------------------------------------------------------ back to runtime values

def concrete(v, t, ev):
    """The runtime value (checker/lang/types.py) of a symbolic value; `ev` evaluates a z3 term
    to a constant (a model's eval, or simplify for ground terms)."""
    if isinstance(t, BoolT):
        return z3.is_true(ev(v))
    if isinstance(t, (IntT, EnumT, ScalarsetT)):
        return ev(v).as_long()
    if isinstance(t, OptionT):
        if v.value is None or not z3.is_true(ev(v.present)):
            return None
        return concrete(v.value, t.inner, ev)
    if isinstance(t, (TupleT, RecordT)):
        return tuple(concrete(x, it, ev) for x, it in zip(v, component_types(t)))
    if isinstance(t, SetT):
        if isinstance(v, Mask):
            return frozenset(k for k, b in v.bits.items() if z3.is_true(ev(b)))
        return frozenset(concrete(x, t.elem, ev) for p, x in v.entries if z3.is_true(ev(p)))
    if isinstance(t, SeqT):
        n = ev(v.length).as_long()
        return tuple(concrete(x, t.elem, ev) for x in v.items[:n])
    if isinstance(t, MapT):
        if t.total:
            return tuple(concrete(x, t.value, ev) for x in v.values)
        return tuple(concrete(x, OptionT(t.value), ev) for x in v.values)
    if isinstance(t, AnyT):
        return None
    raise EncodingError(f"no runtime value for {t}")  # pragma: no cover
