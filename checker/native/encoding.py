"""How gdsl values live in C: in expressions, and packed into a state's bit vector.

The problem: the generated C must hold every value of a finite type in a machine
word or a fixed-size struct, and pack a whole state into a few 64-bit words that
are hashed and stored, and Python must read those words back (an initial state of
a trace). The invariant: a *scalar* type (bool, range, enum, scalarset, option or
record/tuple of scalars) is an int64 in C: an int is itself, anything else its
ordinal in `types.domain` order (options: 0 is none, 1 + ordinal; records: mixed
radix, first field most significant); a `set[T]` of at most 64 values is a uint64
bitset over T's ordinals (as a struct member, each is the narrowest C type of
its range: `CTypes.member`); everything else is a struct (`CTypes`): a record or
tuple with a non-scalar part (one member per field), an option of one ({some,
v}), a total map (an array over the key's ordinals), a partial map (a `has`
bitset and the array), a bounded sequence ({len, array}; packed as its length and
the slots below it). Absent entries, unused
sequence slots and the inside of `none` are zero, so equal values are equal
bytes (memcmp). In the packed state each scalar is a field of ceil(log2 |T|)
bits holding its ordinal, a set its bitset, a struct its parts in order (an
option's flag, a partial map's `has` bits); no field straddles a word. The cost:
TwoPhase RM=9 packs into one word, the group spec's default configuration into a
few dozen; pack/unpack are a shift and a mask per field. Public entry points:
`CTypes` (types -> C types) and `StateLayout` (the packed state).
"""
from __future__ import annotations

from dataclasses import dataclass

from checker.lang.errors import SpecError
from checker.lang.types import (BoolT, EnumT, IntT, MapT, OptionT, RecordT, ScalarsetT, SeqT, SetT, TupleT,
                                component_types, domain, domain_size)

MAX_SET_BITS = 64          # a set is one uint64 bitset
MAX_MAP_KEYS = 4096        # a total map is an array of fields
MAX_ORDINAL = 1 << 62      # a scalar's ordinals fit an int64
SEQ_CAPACITY = 64          # a sequence without a bound holds up to this many elements


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
        return is_finite_scalar(t.inner) and card(t.inner) < MAX_ORDINAL
    if isinstance(t, (RecordT, TupleT)):
        return all(is_finite_scalar(x) for x in component_types(t)) and _card_below(t)
    return False


def _card_below(t) -> bool:
    n = 1
    for x in component_types(t):
        n *= card(x)
        if n >= MAX_ORDINAL:
            return False
    return True


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
    if isinstance(t, (OptionT, RecordT, TupleT)):
        for part in [t.inner] if isinstance(t, OptionT) else component_types(t):
            card(part)                 # a part that is not a finite scalar: TypeError
        return domain_size(t)
    raise TypeError(t)


def is_bitset(t) -> bool:
    return isinstance(t, SetT) and is_finite_scalar(t.elem) and card(t.elem) <= MAX_SET_BITS


def is_keyed(t) -> bool:
    """A map the native backend lays out as an array over its keys' ordinals."""
    return (isinstance(t, MapT) and is_finite_scalar(t.key)
            and card(t.key) <= (MAX_MAP_KEYS if t.total else MAX_SET_BITS))


def seq_capacity(t) -> int:
    return t.bound if t.bound is not None else SEQ_CAPACITY


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


def int_ctype(lo: int, hi: int) -> str:
    """The narrowest signed C integer type holding lo..hi and zero (the inside of an
    absent part is zero bytes)."""
    lo, hi = min(lo, 0), max(hi, 0)
    for bits in (8, 16, 32):
        if -(1 << bits - 1) <= lo and hi < 1 << bits - 1:
            return f"int{bits}_t"
    return "int64_t"


def bits_ctype(n: int) -> str:
    """The narrowest unsigned C integer type holding a bitset of n bits."""
    return next(f"uint{b}_t" for b in (8, 16, 32, 64) if n <= b)


def value_range(t) -> tuple:
    """The least and greatest C value of finite scalar type t (its ints, or its ordinals)."""
    return (t.lo, t.hi) if isinstance(t, IntT) else (0, card(t) - 1)


class CTypes:
    """The C type of each gdsl type, struct typedefs written once each (`defs`).

    In expressions a scalar is an int64_t and a bitset a uint64_t (`ctype`); as a
    struct member (`member`) each is the narrowest type holding its values: an int of
    a declared range or an ordinal in int8/16/32_t, a bitset in uint8/16/32_t, an
    option's flag in int8_t, a partial map's presence bits by its keys, a sequence's
    length by its capacity (an int of no finite range stays an int64_t). Structs are
    packed (no padding bytes: equal values are equal bytes, memcmp) and keyed by the
    whole type, int ranges included, so a value of one range is never copied as is
    into a member of another (CExpressions.convert checks it). The group spec's
    working state: 2.7 kB of int64_t fields before, about a fifth of that narrowed."""

    def __init__(self):
        self.names, self.defs = {}, []

    def ctype(self, t, pos=(0, 0)) -> str:
        if is_scalar(t):
            return "int64_t"
        if is_bitset(t):
            return "uint64_t"
        key = _type_key(t)
        name = self.names.get(key)
        if name is not None:
            return name
        if isinstance(t, (RecordT, TupleT)):
            members = [f"{self.member(x, pos)} f{i};" for i, x in enumerate(component_types(t))]
        elif isinstance(t, OptionT):
            members = ["int8_t some;", f"{self.member(t.inner, pos)} v;"]
        elif isinstance(t, MapT) and is_keyed(t):
            members = ([] if t.total else [f"{bits_ctype(card(t.key))} has;"]) + \
                [f"{self.member(t.value, pos)} a[{card(t.key)}];"]
        elif isinstance(t, SeqT):
            members = [f"{int_ctype(0, seq_capacity(t))} len;", f"{self.member(t.elem, pos)} a[{seq_capacity(t)}];"]
        else:
            raise Unsupported(f"a value of type {t}", pos)
        name = self.names[key] = f"T{len(self.names) + 1}"
        self.defs.append(f"typedef struct __attribute__((packed)) {{ {' '.join(members)} }} {name};   /* {t} */")
        return name

    def member(self, t, pos=(0, 0)) -> str:
        """The C type of a struct member (or state variable) holding a value of type t."""
        if is_finite_scalar(t):
            return int_ctype(*value_range(t))
        if is_bitset(t):
            return bits_ctype(card(t.elem))
        return self.ctype(t, pos)


def _type_key(t) -> str:
    """Equal for two types exactly when their values have one C layout and one range."""
    if isinstance(t, SeqT):
        return f"seq[{_type_key(t.elem)}, {seq_capacity(t)}]"
    if isinstance(t, IntT):
        return str(t)
    if isinstance(t, SetT):
        return f"set[{_type_key(t.elem)}]"
    if isinstance(t, MapT):
        return f"{'map' if t.total else 'pmap'}[{_type_key(t.key)}, {_type_key(t.value)}]"
    if isinstance(t, OptionT):
        return f"option[{_type_key(t.inner)}]"
    if isinstance(t, TupleT):
        return "tuple[" + ", ".join(_type_key(x) for x in t.items) + "]"
    return str(t)


def python_value(t, v: int):
    """The Python runtime value (checker/lang/types.py) of the C scalar or bitset v of type t."""
    if isinstance(t, BoolT):
        return bool(v)
    if isinstance(t, (IntT, EnumT, ScalarsetT)):
        return v
    if isinstance(t, SetT):
        elems = domain(t.elem)
        return frozenset(elems[i] for i in range(len(elems)) if v >> i & 1)
    if isinstance(t, (OptionT, RecordT, TupleT)):
        return domain(t)[v]
    if isinstance(t, MapT):                 # a label_value: the map's index among all maps
        values = domain(t.value) if t.total else [None] + domain(t.value)
        digits = []
        for _ in range(card(t.key)):
            v, d = divmod(v, len(values))
            digits.append(values[d])
        return tuple(reversed(digits))
    raise TypeError(t)


def label_value(t, c: str) -> str:
    """The int64 a choice of type t is labelled with in a trace (python_value
    decodes it): the C value itself, or for a map (a choice among `map[K, V]`) its
    index in the Python backend's order of all such maps."""
    if not isinstance(t, MapT):
        return c
    m = card(t.value) + (0 if t.total else 1)
    digit = (lambda k: to_ord(t.value, f"({c}).a[{k}]")) if t.total else \
        (lambda k: f"((({c}).has >> {k} & 1) ? {to_ord(t.value, f'({c}).a[{k}]')} + 1 : 0)")
    index = "0LL"
    for k in range(card(t.key)):
        index = f"({index} * {m}LL + {digit(k)})"
    return index


@dataclass(frozen=True)
class Field:
    """One field of the packed state: the C lvalue `path` (under the state struct)
    of type `type` (a scalar, a bitset set, or a flag: type None), `width` bits at bit
    `shift` of word `word`."""
    path: str
    type: object
    word: int
    shift: int
    width: int
    guards: tuple = ()    # C conditions (over the state struct) under which it holds a value:
                          # inside an option or a partial map's entry, it is zero otherwise


class StateLayout:
    """The packed state: every variable's leaves in declaration order, none straddling a word."""

    def __init__(self, variables):
        """variables: [(name, Type, pos)]."""
        self.fields, self.vars = [], variables
        self._word = self._shift = 0
        self._guards = ()
        for name, t, pos in variables:
            self._leaves(f".{name}", t, pos)
        self.words = self._word + 1

    def _add(self, path, t, width):
        if self._shift + width > 64:
            self._word, self._shift = self._word + 1, 0
        self.fields.append(Field(path, t, self._word, self._shift, width, self._guards))
        self._shift += width

    def _leaves(self, path, t, pos):
        if is_finite_scalar(t):
            self._add(path, t, bits_for(card(t)))
        elif is_bitset(t):
            self._add(path, t, card(t.elem))
        elif isinstance(t, (RecordT, TupleT)):
            for i, x in enumerate(component_types(t)):
                self._leaves(f"{path}.f{i}", x, pos)
        elif isinstance(t, OptionT):
            self._add(f"{path}.some", None, 1)
            self._guarded(f"s->{path[1:]}.some", lambda: self._leaves(f"{path}.v", t.inner, pos))
        elif isinstance(t, SeqT) and t.bound is not None:
            cap = seq_capacity(t)
            self._add(f"{path}.len", IntT(0, cap), bits_for(cap + 1))
            for i in range(cap):          # slot i holds a value while the length is above i
                self._guarded(f"(s->{path[1:]}.len > {i})",
                              lambda i=i: self._leaves(f"{path}.a[{i}]", t.elem, pos))
        elif isinstance(t, MapT) and is_keyed(t):
            if not t.total:
                self._add(f"{path}.has", None, card(t.key))
            for k in range(card(t.key)):
                if t.total:
                    self._leaves(f"{path}.a[{k}]", t.value, pos)
                else:
                    self._guarded(f"(s->{path[1:]}.has >> {k} & 1)",
                                  lambda k=k: self._leaves(f"{path}.a[{k}]", t.value, pos))
        else:
            raise Unsupported(f"a state variable of type {t}", pos)

    def _guarded(self, cond, leaves):
        outer = self._guards
        self._guards = outer + (cond,)
        leaves()
        self._guards = outer

    def encode(self, state, var_types) -> list:
        """The packed words of a Python runtime state (the inverse of decode)."""
        raw = {}
        for (n, t), v in zip(var_types, state):
            _raw(f".{n}", t, v, raw)
        words = [0] * self.words
        for f in self.fields:
            v = raw.get(f.path, 0)
            if f.type is not None and isinstance(f.type, IntT) and f.path in raw:
                v -= f.type.lo
            words[f.word] |= v << f.shift
        return words

    def decode(self, words, var_types) -> tuple:
        """The Python runtime state (unpacked variables) held in the packed words."""
        raw = {}
        for f in self.fields:
            mask = (1 << f.width) - 1
            v = (words[f.word] >> f.shift) & mask
            if f.type is not None and is_finite_scalar(f.type) and isinstance(f.type, IntT):
                v += f.type.lo
            raw[f.path] = v
        return tuple(_value(f".{n}", t, raw) for n, t in var_types)


def _value(path, t, raw):
    if is_finite_scalar(t) or is_bitset(t):
        return python_value(t, raw[path])
    if isinstance(t, (RecordT, TupleT)):
        return tuple(_value(f"{path}.f{i}", x, raw) for i, x in enumerate(component_types(t)))
    if isinstance(t, OptionT):
        return _value(f"{path}.v", t.inner, raw) if raw[f"{path}.some"] else None
    if isinstance(t, SeqT):
        return tuple(_value(f"{path}.a[{i}]", t.elem, raw) for i in range(raw[f"{path}.len"]))
    n = card(t.key)
    has = (1 << n) - 1 if t.total else raw[f"{path}.has"]
    return tuple(_value(f"{path}.a[{k}]", t.value, raw) if has >> k & 1 else None for k in range(n))


def c_value(t, v) -> int:
    """The C value of the Python runtime value v of scalar or bitset type t (the
    inverse of python_value)."""
    if isinstance(t, BoolT):
        return int(bool(v))
    if isinstance(t, (IntT, EnumT, ScalarsetT)):
        return int(v)
    if isinstance(t, SetT):
        elems = domain(t.elem)
        return sum(1 << elems.index(x) for x in v)
    if isinstance(t, (OptionT, RecordT, TupleT)):
        return domain(t).index(v)
    raise TypeError(t)


def _raw(path, t, v, raw):
    """The C values of the leaves of Python runtime value v, by path (absent parts: none)."""
    if is_finite_scalar(t) or is_bitset(t):
        raw[path] = c_value(t, v) if not isinstance(t, IntT) else v
    elif isinstance(t, (RecordT, TupleT)):
        for i, (x, y) in enumerate(zip(component_types(t), v)):
            _raw(f"{path}.f{i}", x, y, raw)
    elif isinstance(t, OptionT):
        raw[f"{path}.some"] = int(v is not None)
        if v is not None:
            _raw(f"{path}.v", t.inner, v, raw)
    elif isinstance(t, SeqT):
        raw[f"{path}.len"] = len(v)
        for i, y in enumerate(v):
            _raw(f"{path}.a[{i}]", t.elem, y, raw)
    else:
        has = 0
        for k, y in enumerate(v):
            if y is not None or t.total:
                has |= 1 << k
                _raw(f"{path}.a[{k}]", t.value, y, raw)
        if not t.total:
            raw[f"{path}.has"] = has
