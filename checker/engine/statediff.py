"""What changed between two states, entry by entry, as people read it.

A variable of the group spec is often a map over the consumers; when one consumer's
entry changes, printing the whole map (ten consumers' worth) hides the change. So a
map is compared key by key (`client[Consumer2]`), a record field by field, and
everything else as a whole; `deltas` also says which elements a set gained and lost.
Used by replay (to say how a recorded state differs), the sequence diagram, the HTML
page (to put the changes beside each step) and the text trace (checker/traces/report.py).
Cost: one pass over the variables that differ, O(size of the changed values).
"""
from __future__ import annotations

from typing import NamedTuple

from checker.lang.types import MapT, OptionT, RecordT, SetT, domain, sort_key
from checker.lang.values import show


class Delta(NamedTuple):
    """One changed part of a state: its path, its old and new text (None: absent), and for
    a set the texts of the elements it gained and lost (else None)."""
    what: str
    old: str | None
    new: str | None
    added: list | None = None
    removed: list | None = None


def changes(model, before, after) -> list:
    """[(what, old text or None, new text or None)] for each part of the state that
    differs, as finely as the types allow: map entries (`client[Consumer2]`), record
    fields (`persisted.gen`), through options that are some on both sides. `what` is
    a path as scenario files write expectations; None is an absent entry of a
    partial map."""
    return [d[:3] for d in deltas(model, before, after)]


def deltas(model, before, after) -> list:
    """[Delta] for each part of the state that differs, as `changes` finds them, with
    the elements each changed set gained and lost."""
    out = []
    for name, t, old, new in zip(model.var_names, model.var_types, before, after):
        if old != new:
            _diff(name, t, old, new, out)
    return out


def _diff(path, t, old, new, out) -> None:
    if isinstance(t, OptionT) and old is not None and new is not None:
        _diff(path, t.inner, old, new, out)
    elif isinstance(t, MapT):
        for k, x, y in zip(domain(t.key), old, new):
            if x == y:
                continue
            where = f"{path}[{show(k, t.key)}]"
            if not t.total and (x is None or y is None):
                out.append(Delta(where, None if x is None else show(x, t.value),
                                 None if y is None else show(y, t.value)))
            else:
                _diff(where, t.value, x, y, out)
    elif isinstance(t, RecordT):
        for (name, ft), x, y in zip(t.fields, old, new):
            if x != y:
                _diff(f"{path}.{name}", ft, x, y, out)
    elif isinstance(t, SetT):
        out.append(Delta(path, show(old, t), show(new, t),
                         added=[show(x, t.elem) for x in _ordered(new - old, t)],
                         removed=[show(x, t.elem) for x in _ordered(old - new, t)]))
    else:
        out.append(Delta(path, show(old, t), show(new, t)))


def _ordered(values, t: SetT) -> list:
    """The elements of a set in the order `show` prints them."""
    key = sort_key(t.elem)
    return sorted(values, key=key) if key else sorted(values)


def change_text(change, width: int | None = None) -> str:
    """`what = new (was old)`, each value shortened to `width` characters if given."""
    what, old, new = change

    def cut(text):
        text = "absent" if text is None else text
        return text if width is None or len(text) <= width else text[:width - 1] + "…"
    return f"{what} = {cut(new)} (was {cut(old)})"
