"""Values as people and other tools see them: gdsl-style text and ITF JSON.

Both are type-directed, since at run time an enum is an int and a record a tuple.
"""
from __future__ import annotations

from .types import (AnyT, BoolT, EnumT, IntT, MapT, OptionT, RecordT, ScalarsetT, SeqT, SetT, TupleT, domain,
                    sort_key)


def _keys(t: MapT):
    return domain(t.key)


def _sorted(values, t):
    key = sort_key(t)
    return sorted(values, key=key) if key else sorted(values)


def show(v, t) -> str:
    """gdsl-style text for a value of type t."""
    if isinstance(t, BoolT):
        return "true" if v else "false"
    if isinstance(t, IntT):
        return str(v)
    if isinstance(t, EnumT):
        return t.values[v]
    if isinstance(t, ScalarsetT):
        return t.label(v)
    if isinstance(t, OptionT):
        return "none" if v is None else show(v, t.inner)
    if isinstance(t, RecordT):
        return f"{t.name}(" + ", ".join(f"{n}: {show(x, ft)}" for (n, ft), x in zip(t.fields, v)) + ")"
    if isinstance(t, TupleT):
        return "(" + ", ".join(show(x, it) for x, it in zip(v, t.items)) + ")"
    if isinstance(t, SetT):
        return "{" + ", ".join(show(x, t.elem) for x in _sorted(v, t.elem)) + "}"
    if isinstance(t, SeqT):
        return "[" + ", ".join(show(x, t.elem) for x in v) + "]"
    if isinstance(t, MapT):
        items = [(k, x) for k, x in zip(_keys(t), v) if t.total or x is not None]
        if not items:
            return "{:}"
        return "{" + ", ".join(f"{show(k, t.key)}: {show(x, t.value)}" for k, x in items) + "}"
    if isinstance(t, AnyT):
        return repr(v)
    return repr(v)


def to_itf(v, t):
    """The ITF JSON expression for a value of type t (Apalache ADR-015)."""
    if isinstance(t, BoolT):
        return bool(v)
    if isinstance(t, IntT):
        return {"#bigint": str(v)}
    if isinstance(t, EnumT):
        return t.values[v]
    if isinstance(t, ScalarsetT):
        return t.label(v)
    if isinstance(t, OptionT):
        if v is None:
            return {"tag": "None", "value": {"#tup": []}}
        return {"tag": "Some", "value": to_itf(v, t.inner)}
    if isinstance(t, RecordT):
        return {n: to_itf(x, ft) for (n, ft), x in zip(t.fields, v)}
    if isinstance(t, TupleT):
        return {"#tup": [to_itf(x, it) for x, it in zip(v, t.items)]}
    if isinstance(t, SetT):
        return {"#set": [to_itf(x, t.elem) for x in _sorted(v, t.elem)]}
    if isinstance(t, SeqT):
        return [to_itf(x, t.elem) for x in v]
    if isinstance(t, MapT):
        return {"#map": [[to_itf(k, t.key), to_itf(x, t.value)]
                         for k, x in zip(_keys(t), v) if t.total or x is not None]}
    return {"#unserializable": repr(v)}


def from_itf(j, t):
    """Parse an ITF expression back into a runtime value of type t (for replay)."""
    if isinstance(t, BoolT):
        if not isinstance(j, bool):
            raise ValueError(f"expected a boolean, found {j!r}")
        return j
    if isinstance(t, IntT):
        if not (isinstance(j, dict) and "#bigint" in j):
            raise ValueError(f"expected {{\"#bigint\": ...}}, found {j!r}")
        return int(j["#bigint"])
    if isinstance(t, EnumT):
        if j not in t.values:
            raise ValueError(f"{j!r} is not a value of {t.name}")
        return t.values.index(j)
    if isinstance(t, ScalarsetT):
        labels = [t.label(i) for i in range(t.size)]
        if j not in labels:
            raise ValueError(f"{j!r} is not a value of {t.name}")
        return labels.index(j)
    if isinstance(t, OptionT):
        if not isinstance(j, dict) or j.get("tag") not in ("None", "Some"):
            raise ValueError(f"expected an option variant, found {j!r}")
        return None if j["tag"] == "None" else from_itf(j["value"], t.inner)
    if isinstance(t, RecordT):
        return tuple(from_itf(j[n], ft) for n, ft in t.fields)
    if isinstance(t, TupleT):
        return tuple(from_itf(x, it) for x, it in zip(j["#tup"], t.items))
    if isinstance(t, SetT):
        return frozenset(from_itf(x, t.elem) for x in j["#set"])
    if isinstance(t, SeqT):
        return tuple(from_itf(x, t.elem) for x in j)
    if isinstance(t, MapT):
        keys = _keys(t)
        out = [None] * len(keys)
        for k, x in j["#map"]:
            out[keys.index(from_itf(k, t.key))] = from_itf(x, t.value)
        return tuple(out)
    raise ValueError(f"cannot read a value of type {t}")


def from_plain(v, t):
    """A runtime value of type t from plain Python: names for enums and scalarsets
    ("Consumer1") or indexes, dicts for records and maps, iterables for sets,
    lists or strings for sequences, None for none."""
    if isinstance(t, BoolT):
        return bool(v)
    if isinstance(t, IntT):
        return int(v)
    if isinstance(t, EnumT):
        return t.values.index(v) if isinstance(v, str) else int(v)
    if isinstance(t, ScalarsetT):
        if isinstance(v, str):
            return [t.label(i) for i in range(t.size)].index(v)
        return int(v)
    if isinstance(t, OptionT):
        return None if v is None else from_plain(v, t.inner)
    if isinstance(t, RecordT):
        if isinstance(v, tuple) and v and all(isinstance(x, tuple) and len(x) == 2 and x[0] in dict(t.fields)
                                              for x in v):
            v = dict(v)          # the (field, value) pairs to_plain makes for keys and set elements
        if isinstance(v, dict):
            return tuple(from_plain(v[n], ft) for n, ft in t.fields)
        return tuple(from_plain(x, ft) for x, (_, ft) in zip(v, t.fields))
    if isinstance(t, TupleT):
        return tuple(from_plain(x, it) for x, it in zip(v, t.items))
    if isinstance(t, SetT):
        return frozenset(from_plain(x, t.elem) for x in v)
    if isinstance(t, SeqT):
        if isinstance(v, str):
            units = v.encode("utf-16-le")
            return tuple(int.from_bytes(units[i:i + 2], "little") for i in range(0, len(units), 2))
        return tuple(from_plain(x, t.elem) for x in v)
    if isinstance(t, MapT):
        keys = _keys(t)
        out = [None] * len(keys)
        for k, x in dict(v).items():
            out[keys.index(from_plain(k, t.key))] = from_plain(x, t.value)
        if t.total and any(x is None for x in out) and not isinstance(t.value, OptionT):
            raise ValueError(f"a total map needs every key of {t.key}")
        return tuple(out)
    raise ValueError(f"cannot build a value of type {t}")


def to_plain(v, t, record=None):
    """Plain Python for a runtime value: the inverse of from_plain (names for enums
    and scalarsets, dicts for records and maps, frozensets, tuples for sequences).
    `record(t, {field: value})`, if given, makes each record instead of a dict (the
    API's named tuples: checker/api/values.py)."""
    if isinstance(t, (BoolT, IntT)):
        return v
    if isinstance(t, EnumT):
        return t.values[v]
    if isinstance(t, ScalarsetT):
        return t.label(v)
    if isinstance(t, OptionT):
        return None if v is None else to_plain(v, t.inner, record)
    if isinstance(t, RecordT):
        fields = {n: to_plain(x, ft, record) for (n, ft), x in zip(t.fields, v)}
        return fields if record is None else record(t, fields)
    if isinstance(t, TupleT):
        return tuple(to_plain(x, it, record) for x, it in zip(v, t.items))
    if isinstance(t, SetT):
        return frozenset(_hashable(to_plain(x, t.elem, record)) for x in v)
    if isinstance(t, SeqT):
        return tuple(to_plain(x, t.elem, record) for x in v)
    if isinstance(t, MapT):
        return {_hashable(to_plain(k, t.key, record)): to_plain(x, t.value, record)
                for k, x in zip(_keys(t), v) if t.total or x is not None}
    return v


def _hashable(x):
    """Records become (field, value) tuples when they must be set elements or keys."""
    if isinstance(x, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in x.items()))
    return x
