"""Packed state variables: a set or a map of a few small values held as one int.

A state is a tuple of variable values (checker/lang/types.py). For a variable such as
TwoPhase's `rmState: map[RM, RMState]` that tuple representation costs, at every step
that changes one manager, a list copy, a store and a new tuple, and a new hash of the
whole tuple. Held as bit fields, the same step is two integer operations and the hash
is the int itself. So a variable of one of these types is packed when the search
asks for it (model.compile_model(packed=...), which keeps only the variables the
compiled spec never has to unpack):

- `set[T]`, T with at most MAX_BITS values: bit i says whether T's i-th value (in
  types.domain order) is in the set;
- `map[K, V]`, total, K a simple key type (bool, enum, scalarset, range) and V a bool,
  enum, scalarset or range: the value at K's k-th key, minus V's lowest value, is
  the field of `width` bits starting at bit k * width.

The packed form is internal to the explicit-state search: the compiled spec reads
and writes it (checker/compile/packed_access.py), and every state a user sees, in traces and
state graphs, is unpacked first (Model.export_state). Two states are equal exactly
when their packed forms are, so the counts and traces are unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from checker.lang.errors import EvalError
from checker.lang.types import (BoolT, EnumT, IntT, MapT, OptionT, RecordT, ScalarsetT, SetT, TupleT,
                                component_types, domain, has_domain, is_simple_key, key_count)

from .runtime import _element_bit

MAX_BITS = 64          # a packed variable's ints stay a few machine words


@dataclass(frozen=True)
class PackedSet:
    """set[T] as a bit mask over T's values."""
    elems: tuple

    @cached_property
    def bits(self) -> dict:
        """value -> its bit (the module constant compiled code looks elements up in)."""
        return {v: 1 << i for i, v in enumerate(self.elems)}

    def encode(self, value) -> int:
        bits = self.bits
        return sum(_element_bit(bits, v) for v in value)

    def decode(self, n: int) -> frozenset:
        return frozenset(v for i, v in enumerate(self.elems) if n >> i & 1)


@dataclass(frozen=True)
class PackedMap:
    """A total map[K, V] as `keys` fields of `width` bits, each V's value minus `lo`."""
    keys: int
    width: int
    lo: int
    hi: int
    boolean: bool

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1

    def encode(self, value) -> int:
        n = 0
        for k, v in enumerate(value):
            if not self.lo <= v <= self.hi:
                raise EvalError(f"a map value would become {v!r}, outside its type {self.lo}..{self.hi}")
            n |= (v - self.lo) << (k * self.width)
        return n

    def decode(self, n: int) -> tuple:
        w, mask, lo = self.width, self.mask, self.lo
        if self.boolean:
            return tuple(n >> (k * w) & mask != 0 for k in range(self.keys))
        return tuple((n >> (k * w) & mask) + lo for k in range(self.keys))


def packed_variables(checked, keep_scalarsets: bool) -> dict:
    """{variable name: layout} of the variables of a checked spec that can be packed.
    `keep_scalarsets`: leave unpacked every variable whose values hold scalarset
    values, for symmetry reduction to permute (checker/compile/symmetry.py reads tuples)."""
    from .symmetry import mentions
    scalarsets = {t: 0 for t in checked.types.values() if isinstance(t, ScalarsetT)}
    out = {}
    for v in checked.vars:
        if keep_scalarsets and mentions(v.type, scalarsets):
            continue
        found = layout(v.type)
        if found is not None:
            out[v.name] = found
    return out


def layout(t):
    """The packed layout of a variable of type `t`, or None if it stays a tuple or a
    frozenset (or is an int already)."""
    if isinstance(t, SetT) and has_domain(t.elem) and _count(t.elem) <= MAX_BITS:
        return PackedSet(tuple(domain(t.elem)))
    if isinstance(t, MapT) and t.total and is_simple_key(t.key):
        v = t.value
        if isinstance(v, BoolT):
            lo, hi = 0, 1
        elif isinstance(v, (EnumT, ScalarsetT)):
            lo, hi = 0, key_count(v) - 1
        elif isinstance(v, IntT) and v.finite:
            lo, hi = v.lo, v.hi
        else:
            return None
        width = max(1, (hi - lo).bit_length())
        keys = key_count(t.key)
        if 0 < keys * width <= MAX_BITS:
            return PackedMap(keys, width, lo, hi, isinstance(v, BoolT))
    return None


def _count(t) -> int:
    """How many values a finite type has (MAX_BITS + 1 for anything larger)."""
    big = MAX_BITS + 1
    if isinstance(t, OptionT):
        return min(big, 1 + _count(t.inner))
    if isinstance(t, (TupleT, RecordT)):
        n = 1
        for x in component_types(t):
            n = min(big, n * _count(x))
        return n
    if isinstance(t, SetT):
        k = _count(t.elem)
        return big if k > 6 else min(big, 2 ** k)
    return min(big, key_count(t))
