"""Random expressions, compiled to C and to Python: the same successors, or both fail.

Hypothesis writes an integer expression and a set expression over an action's
parameters (a: -3..3, b: 0..4) and a state variable, with gdsl's arithmetic (floor
division and modulo of negatives), min/max/abs, conditionals, comparisons and set
operations; a spec assigns them to ranged variables. The native backend's successors of
the initial state and of its successors (decoded from the C packed state) must equal
the Python backend's, in the same order, or both must fail (a value out of its range,
division by zero)."""
from __future__ import annotations

from hypothesis import HealthCheck, example, given, reject, settings, strategies as st

from checker.compile.model import compile_model, load_spec
from checker.compile.packing import packed_variables
from checker.engine.outcome import SPEC_FAILURES
from checker.lang.errors import SpecError
from checker.native.engine import NativeSearch

LEAVES = st.sampled_from(["a", "b", "x"]) | st.integers(-4, 6).map(lambda n: f"({n})" if n < 0 else str(n))


def small_sets(e, var="p"):
    base = st.one_of(
        st.just("{}"), st.just("s"),
        st.lists(e, min_size=1, max_size=3).map(lambda xs: "{" + ", ".join(xs) + "}"),
        e.map(lambda bound: f"{{{var} for {var} in 0..7 if {var} < {bound}}}"),
    )
    return st.one_of(base, st.tuples(base, st.sampled_from(["union", "intersect", "minus"]), base)
                     .map(lambda t: f"({t[0]} {t[1]} {t[2]})"))


SETS = small_sets(LEAVES)            # over leaves only: comprehensions never nest


def conds(e):
    return st.one_of(
        st.tuples(e, st.sampled_from(["<", "<=", "==", "!="]), e).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(e, SETS).map(lambda t: f"({t[0]} in {t[1]})"),
    )


def ints(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        # a divisor is rarely zero (one zero fails the whole expansion, on both sides)
        st.tuples(children, st.sampled_from(["/", "%"]), children, st.booleans()).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})" if t[3] else f"({t[0]} {t[1]} (if {t[2]} == 0 then -3 else {t[2]}))"),
        st.tuples(st.sampled_from(["min", "max"]), children, children).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        children.map(lambda e: f"abs({e})"),
        st.tuples(conds(children), children, children).map(lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"),
        SETS.map(lambda s: f"size({s})"),
    )


INT_EXPR = st.recursive(LEAVES, ints, max_leaves=8)
SET_EXPR = small_sets(INT_EXPR, "q")     # its bound may hold a comprehension over p

SPEC = """
spec R
var x: 0..5
var r: -60..60
var s: set[0..7]
init {{ x = 0; r = 0; s = {{}} }}
action Go(a: -3..3, b: 0..4) {{
  r = {r}
  s = {s}
  x = (x + 1) % 6
}}
"""


def successors_or_failure(fn):
    try:
        return fn()
    except SPEC_FAILURES:
        return "fails"
    except RuntimeError:             # the native backend's failure
        return "fails"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(INT_EXPR, SET_EXPR)
@example("((a / 2) + (a % (b - 5)))", "({p for p in 0..7 if p < (a * b)} minus {x, b})")   # floor division, modulo
@example("min(abs(a - x), max(b, (if (a in s) then (x - b) else 3)))", "(s union {x})")
@example("abs((if ((a / a) in {}) then a else size({})))", "{}")    # membership in {} still divides by zero
def test_random_expressions_agree(tmp_path_factory, r, s):
    path = tmp_path_factory.mktemp("random") / "r.gdsl"
    path.write_text(SPEC.format(r=r, s=s))
    checked = load_spec(path)
    try:
        model = compile_model(checked, packed=packed_variables(checked, keep_scalarsets=False))
    except SpecError:           # a constant part fails already when compiled (`{a, -1}` in a set[0..7])
        reject()
    native = NativeSearch(model).prepare()
    init = [model.export_state(t) for t in model.init_states()]
    assert native.expand() == init
    frontier = init
    for _ in range(2):
        following = []
        for state in frontier[:3]:
            py = successors_or_failure(lambda: [model.export_state(t)
                                                for t in model.successors(model.import_state(state))])
            c = successors_or_failure(lambda: native.expand(state))
            assert c == py, (r, s, state)
            if py != "fails":
                following += py
        frontier = following
