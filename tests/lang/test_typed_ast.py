"""What the type checker leaves in the AST for the backends, in named form: a field
read is a record's field or a qualified enum value (`Field.kind`), a temporal
property's parts are a `TemporalParts`, a guard's conjuncts come from `ast.conjuncts`."""
from __future__ import annotations

from checker.lang import ast as A
from checker.lang import parser, typecheck
from checker.lang.types import EnumT

SPEC = """
spec Typed
enum Phase { idle, busy, done }
type Proc = 0..2
record R { a: 0..1, b: bool }
var phase: map[Proc, Phase] = {p: Phase.idle for p in Proc}
var r: R = R(a: 0, b: false)
action Start(p: Proc) when phase[p] == idle and r.b == false and p != 1 { phase[p] = Phase.busy }
action Finish(p: Proc) when phase[p] == busy { phase[p] = done }
temporal property Finishes = forall p in Proc: phase[p] == Phase.busy ~> phase[p] == done
"""


def _checked():
    return typecheck.check(parser.parse(SPEC, "typed.gdsl"))


def _fields(node):
    found = [node] if isinstance(node, A.Field) else []
    for child in A.children(node):
        found += _fields(child)
    return found


def test_a_field_is_a_record_field_or_a_qualified_enum_value():
    checked = _checked()
    start = next(a for a in checked.actions if a.name == "Start")
    (record_field,) = _fields(start.decl.guard)
    assert (record_field.kind, record_field.slot) == ("record", 1)
    (busy,) = _fields(start.decl.body[0])
    assert busy.kind == "enum"
    t, index = busy.ref
    assert isinstance(t, EnumT) and t.values[index] == "busy"


def test_a_temporal_property_is_named_parts():
    (prop,) = [p for p in _checked().properties if p.kind == "temporal"]
    parts = prop.temporal
    assert isinstance(parts, typecheck.TemporalParts)
    assert parts.form == "leads_to" and len(parts.conditions) == 2
    (binder,) = parts.binders
    assert binder.name == "p" and binder.type == _checked().types["Proc"]
    assert isinstance(binder.domain, A.Name) and binder.domain.name == "Proc"


def test_conjuncts_of_a_guard_left_to_right():
    start = next(a for a in _checked().actions if a.name == "Start")
    parts = A.conjuncts(start.decl.guard)
    assert [type(p).__name__ for p in parts] == ["Binary", "Binary", "Binary"]
    assert [p.op for p in parts] == ["==", "==", "!="]
    assert A.conjuncts(parts[0]) == [parts[0]]
