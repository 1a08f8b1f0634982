"""Runtime values as plain Python, for the API (checker/api).

The problem: the compiled spec holds an enum as an int, a record as a tuple, a map
as a tuple over its key domain; a user wants `"Stable"`, `Member(meta=..., ...)` and
`{"Consumer1": {0, 1}}`. The invariant: `python_value(v, t)` is type-directed and
total: enums and scalarsets by name, options as None or the value, records as named
tuples (one class per record type, hashable, so they can be set elements and map
keys), sets as frozensets, sequences and tuples as tuples, maps as dicts (a partial
map without its absent keys). The cost: one pass over the value; a state of the
group spec converts in about 0.1 ms. Public entry point: `python_value`.
"""
from __future__ import annotations

from collections import namedtuple
from functools import lru_cache

from checker.lang.types import EnumT, MapT, OptionT, RecordT, ScalarsetT, SeqT, SetT, TupleT, domain


@lru_cache(maxsize=None)
def _record_class(name: str, fields: tuple):
    return namedtuple(name, fields, rename=True)


def python_value(v, t):
    """A runtime value of type t as plain Python (see the module docstring)."""
    if isinstance(t, EnumT):
        return t.values[v]
    if isinstance(t, ScalarsetT):
        return t.label(v)
    if isinstance(t, OptionT):
        return None if v is None else python_value(v, t.inner)
    if isinstance(t, RecordT):
        cls = _record_class(t.name, tuple(n for n, _ in t.fields))
        return cls(*(python_value(x, ft) for (_, ft), x in zip(t.fields, v)))
    if isinstance(t, TupleT):
        return tuple(python_value(x, it) for x, it in zip(v, t.items))
    if isinstance(t, SetT):
        return frozenset(python_value(x, t.elem) for x in v)
    if isinstance(t, SeqT):
        return tuple(python_value(x, t.elem) for x in v)
    if isinstance(t, MapT):
        return {python_value(k, t.key): python_value(x, t.value)
                for k, x in zip(domain(t.key), v) if t.total or x is not None}
    return v
