"""Narrow members against the Python backend, on random ranges and values.

The native backend holds a state's ints in the narrowest C type of their declared
range (checker/native/encoding.py, CTypes.member); a value must never wrap in one.
Hypothesis picks a range LO..HI and a value V around the edges of int8, int16, int32
and int64, and a spec stores V through a map of unbounded ints (converted and checked
where it is stored), a record and a plain variable of that range, then reads them back
in an invariant. The native search must give the Python backend's (packed) verdict,
counts and message: `ok` when V is in the range, else the same "a map value would
become V, outside its type LO..HI" error."""
from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings, strategies as st

from checker.compile.model import compile_model, load_spec
from checker.compile.packing import packed_variables
from checker.engine.liveness import search
from checker.native.engine import NativeSearch

EDGES = sorted({s * (e + d) for e in (0, 1 << 7, 1 << 8, 1 << 15, 1 << 16, 1 << 31, 1 << 32, 1 << 40)
                for d in (-1, 0, 1) for s in (1, -1)})

SPEC = """
spec H
record Box {{ v: {lo}..{hi}, tags: set[0..1] }}
var m: map[0..0, {lo}..{hi}]
var b: Box
var x: {lo}..{hi}
var done: bool
init {{ m = {{k: {lo} for k in 0..0}}; b = Box({lo}, {{}}); x = {lo}; done = false }}
action Go when not done {{
  let wide: map[0..0, int] = {{k: {v} for k in 0..0}}
  m = wide
  b = Box(wide[0], {{1}})
  x = {v}
  done = true
}}
invariant Kept = not done or (m[0] == {v} and b.v == {v} and x == {v} and b.tags == {{1}})
"""


def summary(r) -> tuple:
    return r.verdict, r.property, r.distinct, r.generated, r.depth, r.message


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(EDGES), min_size=2, max_size=2, unique=True).map(sorted),
       st.sampled_from(EDGES))
@example([-128, 128], 128)                       # one past int8's top: int16
@example([-32769, 32767], -32769)                # one past int16's bottom: int32
@example([0, 1 << 31], 1 << 31)                  # one past int32's top: int64
@example([-(1 << 40), -(1 << 31) - 1], -(1 << 40))
@example([0, 255], 256)                          # out of range: the map's check
def test_narrow_members_hold_their_range_or_fail_as_python_does(tmp_path_factory, bounds, v):
    lo, hi = bounds
    path = tmp_path_factory.mktemp("narrow") / "h.gdsl"
    path.write_text(SPEC.format(lo=lo, hi=hi, v=f"({v})" if v < 0 else v))
    checked = load_spec(path)
    model = compile_model(checked, packed=packed_variables(checked, keep_scalarsets=False))
    native = NativeSearch(model).run(check_deadlock=False)
    python, _graph = search(model, check_deadlock=False)
    assert summary(native) == summary(python)
    if lo <= v <= hi:
        assert (native.verdict, native.distinct) == ("ok", 2)
    else:
        assert native.verdict == "error"
        assert native.message.startswith(f"a map value would become {v}, outside its type {lo}..{hi}")
