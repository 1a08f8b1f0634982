"""Helpers the generated code calls: the few operations too long to inline.

Each raises EvalError with a message a spec author understands when the spec
asks for something impossible (an absent key, `get(none)`, a value out of range).
"""
from __future__ import annotations

from itertools import compress as _compress  # noqa: F401 (used by generated code via HELPERS)

from checker.lang.errors import EvalError

_EMPTY = frozenset()


def _upd(t, i, v):
    """t with position i replaced by v (a map entry or sequence element)."""
    if not 0 <= i < len(t):
        raise EvalError(f"index {i} is outside 0..{len(t) - 1}")
    return t[:i] + (v,) + t[i + 1:]


def _iget(t, i):
    if not 0 <= i < len(t):
        raise EvalError(f"index {i} is outside 0..{len(t) - 1}")
    return t[i]


def _pget(t, i):
    """m[k] of a partial map, k known to be a key of its type."""
    v = t[i]
    if v is None:
        raise EvalError("the partial map has no entry for this key (test it with has(m, k) first)")
    return v


def _pget_checked(t, i):
    return _pget(t, _checked_index(t, i))


def _checked_index(t, i):
    if not 0 <= i < len(t):
        raise EvalError(f"index {i} is outside 0..{len(t) - 1}")
    return i


def _get(o):
    if o is None:
        raise EvalError("get(none): the option is empty")
    return o


def _mkmap(n, pairs):
    out = [None] * n
    for i, v in pairs:
        if not 0 <= i < n:
            raise EvalError(f"map key index {i} is outside the key type")
        out[i] = v
    return tuple(out)


def _map_keys(t, keys):
    return [k for k, v in zip(keys, t) if v is not None]


def _psize(t):
    return sum(1 for v in t if v is not None)


def _min(s):
    if not s:
        raise EvalError("min of an empty collection")
    return min(s)


def _max(s):
    if not s:
        raise EvalError("max of an empty collection")
    return max(s)


def _last(s):
    if not s:
        raise EvalError("last of an empty sequence")
    return s[-1]


def _tail(s):
    if not s:
        raise EvalError("tail of an empty sequence")
    return s[1:]


def _index_of(s, x):
    try:
        return s.index(x)
    except ValueError:
        raise EvalError("index_of: the value is not in the sequence") from None


def _the(found, var, line):
    """The value of `the var in S: P` (line `line`), given the elements of S satisfying P."""
    if len(found) == 1:
        return next(iter(found))
    what = "no element satisfies" if not found else f"{len(found)} elements satisfy"
    raise EvalError(f"`the {var} in ...` at line {line}: {what} its condition (exactly one must)")


def _div(a, b):
    if b == 0:
        raise EvalError("division by zero")
    return a // b


def _out_of_range(what, value, lo, hi):
    raise EvalError(f"{what} would become {value}, outside its type {lo}..{hi}")


def _set_out_of_range(what, value, lo, hi):
    outside = min(x for x in value if not lo <= x <= hi)
    raise EvalError(f"{what} would hold {outside}, outside its element type {lo}..{hi}")


def _seq_overflow(what, value, bound):
    raise EvalError(f"{what} would hold {len(value)} elements, more than its bound {bound}")


def _element_bit(bits, value):
    """The bit of a packed set's element (checker/compile/packing.py), which must be in its type."""
    bit = bits.get(value)
    if bit is None:
        raise EvalError(f"a set would hold {value!r}, outside its element type")
    return bit


class _Selection(dict):
    """The values of an action parameter for which a guard holds, by the value of
    the one state variable the guard reads (see actions.Actions.selected_domain): computed
    the first time that value is met, kept for up to _SELECTION_LIMIT values."""
    __slots__ = ("select",)

    def __init__(self, select):
        super().__init__()
        self.select = select

    def __missing__(self, value):
        chosen = self.select(value)
        if len(self) < _SELECTION_LIMIT:
            self[value] = chosen
        return chosen


_SELECTION_LIMIT = 1 << 18


HELPERS = {k: v for k, v in globals().items() if k.startswith("_") and not k.startswith("__")}


def describe(exc: BaseException) -> str:
    """One line for an exception raised while evaluating a spec."""
    if isinstance(exc, EvalError):
        return str(exc)
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, IndexError):
        return "index out of range"
    if isinstance(exc, KeyError):
        return f"the key {exc.args[0]!r} is outside the map's key type"
    return f"{type(exc).__name__}: {exc}"
