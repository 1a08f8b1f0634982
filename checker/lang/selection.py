"""What to check: the one selection of a spec's properties every backend starts from.

A run checks some of a spec's properties (covers included): all but the `refuted` ones by default, only
those named with `--invariant` (a model file's `properties`), less those named with
`--skip`. The choice used to be made inside the Python backend's compile_model, so the
z3 backend compiled Python only to learn it. Here it is made once, from the checked
spec alone, with the messages a user sees for a name the spec does not have; the
Python backend compiles a `Selection` and the z3 backend encodes the same one. No cost
that matters: a pass over the spec's properties.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import UsageError, did_you_mean


@dataclass(frozen=True)
class Selection:
    invariants: tuple           # PropertyInfo of the invariants (lemmas included) checked
    action_properties: tuple    # ... of the action properties
    temporal: tuple             # ... of the temporal properties
    lemmas: tuple               # every lemma of the spec: what strengthens --prove
    covers: tuple = ()          # ... of the covers (kinds cover and cover_action), in spec order

    @property
    def names(self) -> list:
        return [p.name for p in self.invariants + self.action_properties + self.temporal + self.covers]


def select(checked, invariants=None, skip=None) -> Selection:
    """The properties of `checked` (a typecheck.CheckedSpec) to check: those named in
    `invariants` if given (refuted ones too), else all but the refuted; less `skip`."""
    everything = checked.properties
    known = {p.name for p in everything}
    for option, names in (("--invariant", invariants or ()), ("--skip", skip or ())):
        for name in names:
            if name not in known:
                listing = ", ".join(sorted(known)) or "none"
                raise UsageError(f"{option} {name}: the spec has no property named {name!r}"
                                 f"{did_you_mean(name, known)} (its properties: {listing})")
    props = [p for p in everything if p.name in set(invariants)] if invariants else \
        [p for p in everything if not p.refuted]
    props = [p for p in props if p.name not in set(skip or ())]
    for name in invariants or ():
        p = next(p for p in everything if p.name == name)
        if not p.applies:
            raise UsageError(f"--invariant {name}: cover {name} is about other configurations: its `when` "
                             f"(line {p.pos[0]}) is false for these constants")
    props = [p for p in props if p.applies]      # a cover for other configurations
    return Selection(invariants=tuple(p for p in props if p.kind == "invariant"),
                     action_properties=tuple(p for p in props if p.kind == "action"),
                     temporal=tuple(p for p in props if p.kind == "temporal"),
                     lemmas=tuple(p for p in everything if p.lemma),
                     covers=tuple(p for p in props if p.kind in ("cover", "cover_action")))
