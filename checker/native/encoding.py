"""How gdsl values live in C: in expressions, and packed into a state's bit vector.

The problem: the generated C must hold every value of a finite type in a machine
word or a fixed-size struct, and pack a whole state into a few 64-bit words that
are hashed and stored, and Python must read those words back (an initial state of
a trace). The invariant: a *scalar* type (bool, range, enum, scalarset, option or
record/tuple of scalars) is an int64 in C: an int is itself, anything else its
ordinal in `types.domain` order (options: 0 is none, 1 + ordinal; records: mixed
radix, first field most significant); a `set[T]` of at most 64 values is a uint64
bitset over T's ordinals; a total `map[K, V]` is a struct holding one C value per
key ordinal. In the packed state each scalar is a field of ceil(log2 |T|) bits
holding its ordinal, a set its bitset, a map its keys' fields in order; no field
straddles a word. The cost: TwoPhase RM=9 packs into one word, the group spec's
default configuration into a few; pack/unpack are a shift and a mask per field.
Public entry point: `Encoding` (types -> C types, ordinals, the `StateLayout`).
"""
from __future__ import annotations

from dataclasses import dataclass

from checker.lang.errors import SpecError
from checker.lang.types import (BoolT, EnumT, IntT, MapT, OptionT, RecordT, ScalarsetT, SetT, TupleT,
                                component_types, domain)

MAX_SET_BITS = 64          # a set is one uint64 bitset
MAX_MAP_KEYS = 4096        # a map is an array of fields
MAX_ORDINAL = 1 << 62      # a scalar's ordinals fit an int64


class Unsupported(SpecError):
    """A construct the native backend cannot compile yet (the Python backend can)."""

    def __init__(self, what: str, pos):
        super().__init__(f"the native backend cannot compile {what} yet", pos)
        self.what = what


def bits_for(card: int) -> int:
    return max(0, (card - 1).bit_length())


def is_scalar(t) -> bool:
    if isinstance(t, (BoolT, EnumT, ScalarsetT)):
        return True
    if isinstance(t, IntT):
        return True                       # an unbounded int is an int64 in expressions
    if isinstance(t, OptionT):
        return is_finite_scalar(t.inner)
    if isinstance(t, (RecordT, TupleT)):
        return all(is_finite_scalar(x) for x in component_types(t)) and card(t) < MAX_ORDINAL
    return False


def is_finite_scalar(t) -> bool:
    return is_scalar(t) and not (isinstance(t, IntT) and not t.finite)


def card(t) -> int:
    """The number of values of a finite scalar type."""
    if isinstance(t, BoolT):
        return 2
    if isinstance(t, IntT):
        return t.hi - t.lo + 1
    if isinstance(t, EnumT):
        return len(t.values)
    if isinstance(t, ScalarsetT):
        return t.size
    if isinstance(t, OptionT):
        return 1 + card(t.inner)
    if isinstance(t, (RecordT, TupleT)):
        n = 1
        for x in component_types(t):
            n *= card(x)
        return n
    raise TypeError(t)


def is_bitset(t) -> bool:
    return isinstance(t, SetT) and is_finite_scalar(t.elem) and card(t.elem) <= MAX_SET_BITS


def is_array_map(t) -> bool:
    return (isinstance(t, MapT) and t.total and is_finite_scalar(t.key) and card(t.key) <= MAX_MAP_KEYS
            and (is_finite_scalar(t.value) or is_bitset(t.value)))


def to_ord(t, c: str) -> str:
    """The ordinal of C value `c` of finite scalar type t."""
    return f"({c} - ({t.lo}LL))" if isinstance(t, IntT) and t.lo != 0 else c


def from_ord(t, c: str) -> str:
    return f"({c} + ({t.lo}LL))" if isinstance(t, IntT) and t.lo != 0 else c


def strides(t) -> list:
    """The multiplier of each component's ordinal in a record's or tuple's ordinal."""
    comps = component_types(t)
    out, s = [], 1
    for x in reversed(comps):
        out.append(s)
        s *= card(x)
    return out[::-1]


def python_value(t, v: int):
    """The Python runtime value (checker/lang/types.py) of the C value v of type t."""
    if isinstance(t, BoolT):
        return bool(v)
    if isinstance(t, IntT):
        return v
    if isinstance(t, (EnumT, ScalarsetT)):
        return v
    if isinstance(t, SetT):
        elems = domain(t.elem)
        return frozenset(elems[i] for i in range(len(elems)) if v >> i & 1)
    if isinstance(t, (OptionT, RecordT, TupleT)):
        return domain(t)[v]
    raise TypeError(t)


@dataclass(frozen=True)
class Field:
    """One field of the packed state: `var`'s value (or, for a map, the value at key
    ordinal `key`), `width` bits at bit `shift` of word `word`."""
    var: str
    key: int | None
    type: object        # the field's gdsl type (a scalar or a bitset set)
    word: int
    shift: int
    width: int


class StateLayout:
    """The packed state: fields in declaration order, none straddling a word."""

    def __init__(self, variables):
        """variables: [(name, Type, pos)]."""
        self.fields, self.vars = [], variables
        word = shift = 0
        for name, t, pos in variables:
            if is_finite_scalar(t) or is_bitset(t):
                parts = [(None, t)]
            elif is_array_map(t):
                parts = [(k, t.value) for k in range(card(t.key))]
            else:
                raise Unsupported(f"a state variable of type {t}", pos)
            for key, ft in parts:
                width = card(ft.elem) if isinstance(ft, SetT) else bits_for(card(ft))
                if shift + width > 64:
                    word, shift = word + 1, 0
                self.fields.append(Field(name, key, ft, word, shift, width))
                shift += width
        self.words = word + 1

    def decode(self, words, var_types) -> tuple:
        """The Python runtime state (unpacked variables) held in the packed words."""
        values = {}
        for f in self.fields:
            raw = (words[f.word] >> f.shift) & ((1 << f.width) - 1)
            if isinstance(f.type, SetT):
                v = python_value(f.type, raw)
            else:
                v = python_value(f.type, raw + (f.type.lo if isinstance(f.type, IntT) else 0))
            if f.key is None:
                values[f.var] = v
            else:
                values.setdefault(f.var, []).append(v)
        return tuple(tuple(values[n]) if isinstance(values[n], list) else values[n]
                     for n, _t in var_types)
