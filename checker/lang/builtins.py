"""The builtin functions of gdsl, declared once for every stage that handles them.

A builtin used to be spread over the type checker (its name and typing rule), the
Python backend (its code, and whether it can fail) and the z3 backend (its
translation), with nothing to say they agree. Here each is declared once: its name,
the numbers of arguments it takes, its signature and meaning as docs/language.md §6
shows them, whether it can fail at run time (`partial`: the Python backend must not
evaluate it ahead of its guard, z3 adds the failure condition), and an example that
is true. tests/lang/test_builtins.py holds every stage to the registry: the type
checker accepts each example, the compiled Python evaluates it to true, z3 proves it
(or, where the registry says so, refuses it with the message it names),
and the docs' table lists exactly these builtins with these signatures.

The typing rules stay in the type checker, the code in each backend: they need their
stage's own machinery. What they share is here.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Builtin:
    name: str
    arities: tuple            # numbers of arguments accepted
    signature: str            # as docs/language.md §6 writes it: argument types -> result
    meaning: str
    example: str              # a gdsl expression that is true (over EXAMPLE_CONTEXT)
    partial: bool = False     # can fail at run time (an empty option, sequence or collection)
    z3_refuses: tuple = ()    # ((a true example --bmc/--prove cannot encode, what they say), ...)


# The declarations the examples read (docs/language.md §6 uses the same).
EXAMPLE_CONTEXT = """\
enum K { a, b, c }
var m: map[K, 0..9] = {k: 0 for k in K}
var pm: pmap[K, 0..9] = {a: 1, c: 3}
var q: seq[0..9, 4] = [3, 1, 2]
var o: option[0..9] = some(4)
action Stay { m = m }
"""

_ALL = (
    Builtin("size", (1,), "set, seq or map → `int`",
            "number of elements; for a `pmap`, keys present; for a `map`, keys in `K`",
            "size({1, 2}) == 2 and size(q) == 3 and size(m) == 3 and size(pm) == 2"),
    Builtin("len", (1,), "set, seq or map → `int`", "the same as `size`", "len(q) == 3 and len({5}) == 1"),
    Builtin("keys", (1,), "map → `set[K]`", "keys present (all of `K` for a total map)",
            "keys(m) == K and keys(pm) == {a, c}"),
    Builtin("values", (1,), "map → `set[V]`", "the values stored", "values(pm) == {1, 3} and values(m) == {0}"),
    Builtin("has", (2,), "map, `K` → `bool`", "is key `k` present (always true for a total map)",
            "has(pm, a) and not has(pm, b) and has(m, b)"),
    Builtin("get", (1,), "`option[T]` → `T`", "the value in `some(v)`; runtime error on `none`",
            "get(o) == 4", partial=True),
    Builtin("some", (1,), "`T` → `option[T]`", "wrap a value", "o == some(4)"),
    Builtin("is_some", (1,), "`option[T]` → `bool`", "", "is_some(o)"),
    Builtin("is_none", (1,), "`option[T]` → `bool`", "", "not is_none(o)"),
    Builtin("min", (1, 2), "set or seq of `int` → `int`; `int`, `int` → `int`", "runtime error if empty",
            "min({3, 1, 2}) == 1 and min(4, 2) == 2", partial=True),
    Builtin("max", (1, 2), "set or seq of `int` → `int`; `int`, `int` → `int`", "runtime error if empty",
            "max(q) == 3 and max(4, 2) == 4", partial=True),
    Builtin("abs", (1,), "`int` → `int`", "", "abs(-3) == 3"),
    Builtin("sum", (1,), "set or seq of `int` → `int`", "(a set counts each value once)",
            "sum({1, 2, 3}) == 6 and sum(q) == 6"),
    Builtin("sorted", (1,), "set or seq → seq",
            "ascending; enums in declaration order, records and tuples field by field",
            "sorted({c, a}) == [a, c] and sorted({a}) == [a]",
            z3_refuses=(("sorted({3, 1, 2}) == [1, 2, 3]", "sorted() of a set whose element type has no finite domain"),
                        ("sorted(q) == [1, 2, 3]", "sorted() of a sequence"))),
    Builtin("append", (2,), "seq, `T` → seq", "`s` with `x` added at the end", "append(q, 7) == [3, 1, 2, 7]"),
    Builtin("concat", (2,), "seq, seq → seq", "", "concat(q, [5]) == [3, 1, 2, 5]"),
    Builtin("head", (1,), "seq → `T`", "first element; runtime error if empty", "head(q) == 3", partial=True),
    Builtin("last", (1,), "seq → `T`", "last element; runtime error if empty", "last(q) == 2", partial=True),
    Builtin("tail", (1,), "seq → seq", "all but the first; runtime error if empty", "tail(q) == [1, 2]",
            partial=True),
    Builtin("index_of", (2,), "seq, `T` → `int`", "position of the first `x` (from 0); runtime error if absent",
            "index_of(q, 2) == 2 and index_of([7, 8, 7], 7) == 0", partial=True),
    Builtin("to_set", (1,), "seq → set", "", "to_set(q) == {1, 2, 3}"),
    Builtin("put", (3,), "map, `K`, `V` → map", "a copy of `m` with `m[k] = v`",
            "put(pm, b, 2)[b] == 2 and put(m, a, 5)[a] == 5 and m[a] == 0", partial=True),
    Builtin("remove", (2,), "`pmap`, `K` → `pmap`", "a copy of `m` without key `k`", "remove(pm, a) == {c: 3}",
            partial=True),
    Builtin("union_all", (1,), "`set[set[T]]` → `set[T]`", "union of all the sets",
            "union_all({{1}, {2, 3}}) == {1, 2, 3}"),
)

BUILTINS: dict[str, Builtin] = {b.name: b for b in _ALL}
PARTIAL = frozenset(b.name for b in _ALL if b.partial)


def arity_error(name: str, given: int) -> str | None:
    """Why a call of builtin `name` with `given` arguments is refused, or None."""
    ok = BUILTINS[name].arities
    if given in ok:
        return None
    return f"{name} takes {' or '.join(map(str, ok))} argument(s), given {given}"
