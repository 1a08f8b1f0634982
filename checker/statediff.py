"""What changed between two states, entry by entry, as people read it.

A variable of the group spec is often a map over the consumers; when one consumer's
entry changes, printing the whole map (ten consumers' worth) hides the change. So a
map is compared key by key (`client[Consumer2]`), and everything else as a whole.
Used by replay (to say how a recorded state differs), the sequence diagram and the
HTML page (to put the changes beside each step).
"""
from __future__ import annotations

from .types import MapT, domain
from .values import show


def changes(model, before, after) -> list:
    """[(what, old text or None, new text or None)] for each variable or map entry that
    differs; None stands for an absent entry of a partial map."""
    out = []
    for name, t, old, new in zip(model.var_names, model.var_types, before, after):
        if old == new:
            continue
        if isinstance(t, MapT):
            for k, x, y in zip(domain(t.key), old, new):
                if x != y:
                    out.append((f"{name}[{show(k, t.key)}]", _entry(x, t), _entry(y, t)))
        else:
            out.append((name, show(old, t), show(new, t)))
    return out


def _entry(v, t: MapT):
    if v is None and not t.total:
        return None
    return show(v, t.value)


def change_text(what, old, new, width: int | None = None) -> str:
    """`what = new (was old)`, each value shortened to `width` characters if given."""
    def cut(text):
        if text is None:
            return "(absent)"
        return text if width is None or len(text) <= width else text[:width - 1] + "…"
    return f"{what} = {cut(new)}    (was {cut(old)})"
