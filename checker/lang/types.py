"""gdsl's types, and how values of each type are represented at run time.

Runtime representation (chosen for cheap hashing and compact states):
  bool -> bool; int and ranges -> int; enum -> its index (int);
  scalarset -> 0..n-1; option -> None or the value; record and tuple -> tuple;
  set -> frozenset; seq -> tuple; map over a finite key type -> tuple indexed by
  the key's position in its domain (a partial map holds None where a key is absent).
"""
from __future__ import annotations

from dataclasses import dataclass
import itertools


class Type:
    finite = True

    def __str__(self) -> str:  # pragma: no cover - overridden
        return self.__class__.__name__


@dataclass(frozen=True)
class AnyT(Type):
    """Unknown element type, e.g. of `{}` before its context tells."""

    def __str__(self):
        return "?"


@dataclass(frozen=True)
class BoolT(Type):
    def __str__(self):
        return "bool"


@dataclass(frozen=True)
class IntT(Type):
    lo: int | None = None
    hi: int | None = None

    @property
    def finite(self):
        return self.lo is not None and self.hi is not None

    def __str__(self):
        return "int" if not self.finite else f"{self.lo}..{self.hi}"

    def __eq__(self, other):  # all ints are one type; bounds are checked at run time
        return isinstance(other, IntT)

    def __hash__(self):
        return hash("int")


@dataclass(frozen=True, eq=False)
class EnumT(Type):
    name: str
    values: tuple

    def __str__(self):
        return self.name


@dataclass(frozen=True, eq=False)
class ScalarsetT(Type):
    """A symmetric identity type: `size` interchangeable values (Murphi's scalarset)."""
    name: str
    size: int

    def label(self, i: int) -> str:
        return f"{self.name}{i + 1}"

    def __str__(self):
        return self.name


@dataclass(frozen=True, eq=False)
class RecordT(Type):
    name: str
    fields: tuple  # ((name, Type), ...)

    def slot(self, field: str) -> int:
        for i, (n, _) in enumerate(self.fields):
            if n == field:
                return i
        return -1

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class TupleT(Type):
    items: tuple

    def __str__(self):
        return "tuple[" + ", ".join(map(str, self.items)) + "]"


@dataclass(frozen=True)
class SetT(Type):
    elem: Type

    def __str__(self):
        return f"set[{self.elem}]"


@dataclass(frozen=True)
class MapT(Type):
    key: Type
    value: Type
    total: bool = True

    def __str__(self):
        return f"{'map' if self.total else 'pmap'}[{self.key}, {self.value}]"


@dataclass(frozen=True)
class SeqT(Type):
    elem: Type
    bound: int | None = None

    def __str__(self):
        return f"seq[{self.elem}, {self.bound}]" if self.bound is not None else f"seq[{self.elem}]"

    def __eq__(self, other):
        return isinstance(other, SeqT) and self.elem == other.elem

    def __hash__(self):
        return hash(("seq", self.elem))


@dataclass(frozen=True)
class OptionT(Type):
    inner: Type

    def __str__(self):
        return f"option[{self.inner}]"


BOOL = BoolT()
INT = IntT()
ANY = AnyT()


def unify(a: Type, b: Type):
    """The common type of two values that must agree (==, assignment, branches), or None."""
    if isinstance(a, AnyT):
        return b
    if isinstance(b, AnyT):
        return a
    if isinstance(a, IntT) and isinstance(b, IntT):
        return INT if (a.lo, a.hi) != (b.lo, b.hi) else a
    if type(a) is not type(b):
        return None
    if isinstance(a, (EnumT, ScalarsetT, RecordT)):
        return a if a is b else None
    if isinstance(a, SetT):
        e = unify(a.elem, b.elem)
        return None if e is None else SetT(e)
    if isinstance(a, OptionT):
        e = unify(a.inner, b.inner)
        return None if e is None else OptionT(e)
    if isinstance(a, SeqT):
        e = unify(a.elem, b.elem)
        return None if e is None else SeqT(e, a.bound if a.bound == b.bound else None)
    if isinstance(a, TupleT):
        if len(a.items) != len(b.items):
            return None
        items = [unify(x, y) for x, y in zip(a.items, b.items)]
        return None if any(i is None for i in items) else TupleT(tuple(items))
    if isinstance(a, MapT):
        if isinstance(a.key, IntT) and isinstance(b.key, IntT) and (a.key.lo, a.key.hi) != (b.key.lo, b.key.hi):
            return None   # different key ranges lay maps out differently
        k, v = unify(a.key, b.key), unify(a.value, b.value)
        if k is None or v is None:
            return None
        return MapT(k, v, a.total and b.total)
    return a if a == b else None


def assignable(target: Type, value: Type) -> bool:
    """Can a value of type `value` be stored where `target` is expected?"""
    u = unify(target, value)
    if u is None:
        return False
    if isinstance(target, MapT) and target.total and isinstance(value, MapT) and not value.total:
        return False
    if isinstance(target, MapT):
        return assignable(target.value, value.value) if not isinstance(value.value, AnyT) else True
    if isinstance(target, TupleT) and isinstance(value, TupleT):
        return all(assignable(t, v) for t, v in zip(target.items, value.items))
    return True


# ------------------------------------------------------------ domains of finite types

MAX_COMPOSITE_KEYS = 4096


def is_simple_key(t: Type) -> bool:
    """Keys whose position in the map is the value itself (minus an offset)."""
    return isinstance(t, (BoolT, EnumT, ScalarsetT)) or (isinstance(t, IntT) and t.finite)


def component_types(t: TupleT | RecordT) -> list:
    """The types of a tuple's items or of a record's fields, in order."""
    return list(t.items) if isinstance(t, TupleT) else [f[1] for f in t.fields]


def is_key_type(t: Type) -> bool:
    """Types that can key a map (a map is a tuple indexed by the key's position).

    Simple keys (bool, enum, scalarset, range) and records or tuples of them, such as
    a member id made of a consumer and an incarnation.
    """
    if is_simple_key(t):
        return True
    if isinstance(t, (TupleT, RecordT)):
        items = component_types(t)
        if all(is_simple_key(x) for x in items):
            n = 1
            for x in items:
                n *= key_count(x)
            return n <= MAX_COMPOSITE_KEYS
    return False


def key_count(t: Type) -> int:
    if isinstance(t, BoolT):
        return 2
    if isinstance(t, EnumT):
        return len(t.values)
    if isinstance(t, ScalarsetT):
        return t.size
    if isinstance(t, IntT):
        return max(0, t.hi - t.lo + 1)
    if isinstance(t, (TupleT, RecordT)):
        return len(domain(t))
    raise TypeError(t)


def key_offset(t: Type) -> int:
    return t.lo if isinstance(t, IntT) else 0


def domain(t: Type) -> list:
    """Every runtime value of a finite type, in canonical order."""
    if isinstance(t, BoolT):
        return [False, True]
    if isinstance(t, IntT):
        if not t.finite:
            raise ValueError("int has no finite domain")
        return list(range(t.lo, t.hi + 1))
    if isinstance(t, EnumT):
        return list(range(len(t.values)))
    if isinstance(t, ScalarsetT):
        return list(range(t.size))
    if isinstance(t, OptionT):
        return [None] + domain(t.inner)
    if isinstance(t, (TupleT, RecordT)):
        parts = [domain(x) for x in component_types(t)]
        return [tuple(p) for p in itertools.product(*parts)]
    if isinstance(t, SetT):
        elems = domain(t.elem)
        return [frozenset(c) for r in range(len(elems) + 1) for c in itertools.combinations(elems, r)]
    if isinstance(t, MapT):     # a total map: a value per key; a partial one: a value or none
        values = domain(t.value) if t.total else [None] + domain(t.value)
        return list(itertools.product(values, repeat=key_count(t.key)))
    raise ValueError(f"{t} has no finite domain")


def domain_size(t: Type) -> int:
    """len(domain(t)), computed without building it."""
    if isinstance(t, OptionT):
        return 1 + domain_size(t.inner)
    if isinstance(t, (TupleT, RecordT)):
        n = 1
        for x in component_types(t):
            n *= domain_size(x)
        return n
    if isinstance(t, SetT):
        return 2 ** domain_size(t.elem)
    if isinstance(t, MapT):
        return (domain_size(t.value) + (0 if t.total else 1)) ** key_count(t.key)
    return key_count(t)


def has_domain(t: Type, maps: bool = False) -> bool:
    """Can domain(t) list t's values? With `maps`, total and partial maps count
    too (the sets of functions `map[K, V]`, which only the explicit engines enumerate)."""
    if isinstance(t, IntT):
        return t.finite
    if isinstance(t, (BoolT, EnumT, ScalarsetT)):
        return True
    if isinstance(t, OptionT):
        return has_domain(t.inner, maps)
    if isinstance(t, TupleT):
        return all(has_domain(x, maps) for x in t.items)
    if isinstance(t, RecordT):
        return all(has_domain(f[1], maps) for f in t.fields)
    if isinstance(t, SetT):
        return has_domain(t.elem, maps)
    if isinstance(t, MapT):
        return maps and is_key_type(t.key) and has_domain(t.value, maps)
    return False


def naturally_ordered(t: Type) -> bool:
    """Do Python's `<` and `sorted` work on this type's values (no None inside)?"""
    if isinstance(t, (BoolT, IntT, EnumT, ScalarsetT)):
        return True
    if isinstance(t, TupleT):
        return all(naturally_ordered(x) for x in t.items)
    if isinstance(t, RecordT):
        return all(naturally_ordered(f[1]) for f in t.fields)
    if isinstance(t, SeqT):
        return naturally_ordered(t.elem)
    return False


def sort_key(t: Type):
    """A key function giving a total, deterministic order on values of `t`."""
    if naturally_ordered(t):
        return None
    return lambda v: _key(t, v)


def _key(t: Type, v):
    if isinstance(t, OptionT):
        return (0,) if v is None else (1, _key(t.inner, v))
    if isinstance(t, (TupleT, RecordT)):
        items = component_types(t)
        return tuple(_key(x, y) for x, y in zip(items, v))
    if isinstance(t, SeqT):
        return tuple(_key(t.elem, y) for y in v)
    if isinstance(t, SetT):
        return tuple(sorted(_key(t.elem, y) for y in v))
    if isinstance(t, MapT):
        return tuple((0,) if y is None else (1, _key(t.value, y)) for y in v)
    return v
