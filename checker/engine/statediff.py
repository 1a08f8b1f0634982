"""What changed between two states, entry by entry, as people read it.

A variable of the group spec is often a map over the consumers; when one consumer's
entry changes, printing the whole map (ten consumers' worth) hides the change. So a
map is compared key by key (`client[Consumer2]`), and everything else as a whole.
Used by replay (to say how a recorded state differs), the sequence diagram and the
HTML page (to put the changes beside each step).
"""
from __future__ import annotations

from checker.lang.types import MapT, OptionT, RecordT, domain
from checker.lang.values import show


def changes(model, before, after) -> list:
    """[(what, old text or None, new text or None)] for each part of the state that
    differs, as finely as the types allow: map entries (`client[Consumer2]`), record
    fields (`persisted.gen`), through options that are some on both sides. `what` is
    a path as scenario files write expectations; None is an absent entry of a
    partial map."""
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
                out.append((where, None if x is None else show(x, t.value),
                            None if y is None else show(y, t.value)))
            else:
                _diff(where, t.value, x, y, out)
    elif isinstance(t, RecordT):
        for (name, ft), x, y in zip(t.fields, old, new):
            if x != y:
                _diff(f"{path}.{name}", ft, x, y, out)
    else:
        out.append((path, show(old, t), show(new, t)))


def change_text(change, width: int | None = None) -> str:
    """`what = new (was old)`, each value shortened to `width` characters if given."""
    what, old, new = change

    def cut(text):
        text = "absent" if text is None else text
        return text if width is None or len(text) <= width else text[:width - 1] + "…"
    return f"{what} = {cut(new)} (was {cut(old)})"
