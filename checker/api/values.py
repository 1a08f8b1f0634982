"""Runtime values as plain Python, for the API (checker/api).

The problem: the compiled spec holds an enum as an int, a record as a tuple, a map
as a tuple over its key domain; a user wants `"Stable"`, `Member(meta=..., ...)` and
`{"Consumer1": {0, 1}}`. The invariant: `python_value(v, t)` is lang/values.py's
`to_plain` (enums and scalarsets by name, options as None or the value, sets as
frozensets, sequences and tuples as tuples, maps as dicts without a partial map's
absent keys) with records as named tuples, one class per record type, hashable, so
they can be set elements and map keys as they are. The cost: one pass over the
value. Public entry point: `python_value`.
"""
from __future__ import annotations

from collections import namedtuple
from functools import lru_cache

from checker.lang.values import to_plain


@lru_cache(maxsize=None)
def _record_class(name: str, fields: tuple):
    return namedtuple(name, fields, rename=True)


def _record(t, fields: dict):
    return _record_class(t.name, tuple(fields))(*fields.values())


def python_value(v, t):
    """A runtime value of type t as plain Python (see the module docstring)."""
    return to_plain(v, t, _record)
