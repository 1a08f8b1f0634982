"""Covers (engine/covers.py) on small hand-analysed specs: which are reached, each
witness a shortest one (lengths worked out by hand below), the verdict and exit code
of a cover never reached, one process against several, constraints, bounds, symmetry,
evaluation errors, and what a temporal violation does to a cover failure."""
from __future__ import annotations

import pytest

from checker.compile.model import compile_model, load, load_spec
from checker.engine.liveness import search
from checker.engine.outcome import EXIT_COVER, EXIT_INCOMPLETE, EXIT_OK
from checker.engine.search import bfs

from _support import COVER_COUNTER

# x counts 0..5 and wraps; Jump sets y = 2 once x == 3. Shortest ways, by hand:
#   ReachFour (x == 4): 4 Incs            -> 5 states
#   YTwo (y == 2 and x == 5): 3 Incs, Jump, 2 Incs -> 7 states
#   Wrap (the step 5 -> 0): 5 Incs, Reset -> 7 states, its last step Reset
#   StartsAtZero: the initial state       -> 1 state
#   Never, NeverStep: no state has y == 5, no step sets y to 1
COUNTER = COVER_COUNTER + """
cover ReachFour = x == 4
cover YTwo = y == 2 and x == 5
cover action Wrap = x == 5 and x' == 0
cover StartsAtZero = x == 0 and y == 0
cover Never = y == 5
cover action NeverStep = y' == 1
"""


def _model(tmp_path, text, name="s", **kw):
    path = tmp_path / f"{name}.gdsl"
    path.write_text(text)
    return compile_model(load_spec(path), **kw)


def _xs(model, trace):
    i = model.var_names.index("x")
    return [s.state[i] for s in trace]


@pytest.mark.parametrize("workers", [1, 2])
def test_covers_reached_with_shortest_witnesses(tmp_path, workers):
    model = _model(tmp_path, COUNTER)
    r = bfs(model, workers=workers)
    assert {n: c["reached"] for n, c in r.covers.items()} == {
        "ReachFour": True, "YTwo": True, "Wrap": True, "StartsAtZero": True, "Never": False, "NeverStep": False}
    w = r.witnesses
    assert _xs(model, w["ReachFour"]) == [0, 1, 2, 3, 4]
    assert [s.action for s in w["YTwo"]] == [None, "Inc", "Inc", "Inc", "Jump", "Inc", "Inc"]
    assert _xs(model, w["Wrap"]) == [0, 1, 2, 3, 4, 5, 0] and w["Wrap"][-1].action == "Reset"
    assert len(w["StartsAtZero"]) == 1 and w["StartsAtZero"][0].action is None
    assert {n: c["depth"] for n, c in r.covers.items() if c["reached"]} == {
        "ReachFour": 5, "YTwo": 7, "Wrap": 7, "StartsAtZero": 1}


def test_a_cover_never_reached_fails_a_complete_search_with_its_own_exit_code(tmp_path):
    r = bfs(_model(tmp_path, COUNTER))
    assert (r.verdict, r.property, r.property_kind, r.exit_code) == ("violation", "Never", "cover", EXIT_COVER)
    assert "2 of 6 covers never reached: Never, NeverStep" in r.message
    assert r.trace is None                   # nothing to show: no state reaches it
    assert EXIT_COVER not in (0, 1, 2, 3, 10, 11, 12, 13, 14, 75, 130)


def test_every_cover_reached_passes(tmp_path):
    model = _model(tmp_path, COUNTER, skip=["Never", "NeverStep"])
    r = bfs(model)
    assert (r.verdict, r.exit_code) == ("ok", EXIT_OK)
    assert len(r.covers) == 4


def test_a_bound_leaves_the_verdict_incomplete_and_reports_what_was_reached(tmp_path):
    r = bfs(_model(tmp_path, COUNTER), max_depth=3)
    assert (r.verdict, r.exit_code) == ("incomplete", EXIT_INCOMPLETE)
    assert r.covers["StartsAtZero"]["reached"] and not r.covers["ReachFour"]["reached"]


def test_covers_are_not_reached_outside_the_constraints(tmp_path):
    # x == 7 is generated (from 6) but lies outside the constraint: not a state of the search
    model = _model(tmp_path, """
spec C
var x: 0..9 = 0
action Inc when x < 9 { x = x + 1 }
action Back when x > 0 { x = x - 1 }
constraint Small = x <= 6
cover Six = x == 6
cover Seven = x == 7
cover action IntoSeven = x' == 7
""")
    r = bfs(model)
    assert {n: c["reached"] for n, c in r.covers.items()} == {"Six": True, "Seven": False, "IntoSeven": False}
    assert r.constrained > 0


def test_a_cover_that_cannot_be_evaluated_is_an_evaluation_error(tmp_path):
    model = _model(tmp_path, """
spec E
var x: 0..3 = 0
var m: pmap[0..3, 0..3] = {:}
action Inc when x < 3 { x = x + 1 }
action Back when x > 0 { x = x - 1 }
cover Looked = x == 2 and m[x] == 1
""")
    r = bfs(model)
    assert r.verdict == "error" and "Looked" in r.message, r.message


def test_a_temporal_violation_comes_before_a_cover_failure(tmp_path):
    model = _model(tmp_path, """
spec T
var x: 0..2 = 0
action Inc when x < 2 { x = x + 1 }
action Stay { x = x }
temporal property Reaches = eventually x == 2
cover Never = x == 0 and x == 1
""")
    r, _ = search(model)
    assert (r.verdict, r.property_kind) == ("violation", "temporal")
    assert not r.covers["Never"]["reached"]


def test_without_temporal_properties_the_liveness_wrapper_agrees_with_bfs(tmp_path):
    model = _model(tmp_path, COUNTER)
    a, _ = search(model)
    b = bfs(model)
    assert (a.verdict, a.property, a.covers) == (b.verdict, b.property, b.covers)


def test_witnesses_under_symmetry_are_concrete_behaviours(tmp_path):
    # three interchangeable clients; a cover on two of them holding at once
    model_text = """
spec Sym
type Client = scalarset(3)
var holding: set[Client] = {}
action Take(c: Client) when c notin holding { holding = holding union {c} }
action Drop(c: Client) when c in holding { holding = holding minus {c} }
cover Two = size(holding) == 2
cover action DropFromThree = size(holding) == 3 and size(holding') == 2
"""
    path = tmp_path / "sym.gdsl"
    path.write_text(model_text)
    model = load(path)
    from checker.compile.symmetry import symmetry_of
    sym = symmetry_of(model)
    assert sym is not None
    r = bfs(model, symmetry=sym)
    assert r.verdict == "ok"
    assert [len(r.witnesses["Two"]), len(r.witnesses["DropFromThree"])] == [3, 5]
    for trace in r.witnesses.values():           # each step is a step of the spec
        for a, b in zip(trace, trace[1:]):
            assert b.state in model.successors(a.state)


def test_a_cover_for_other_configurations_is_not_checked(tmp_path):
    text = """
spec W
const K: int = 1
var x: 0..3 = 0
action Inc when x < 3 { x = x + 1 }
action Reset when x == 3 { x = 0 }
cover Two when K == 1 = x == 2
cover Seven when K == 2 = x == 3 and x == 2
"""
    path = tmp_path / "w.gdsl"
    path.write_text(text)
    r = bfs(compile_model(load_spec(path)))
    assert (r.verdict, list(r.covers)) == ("ok", ["Two"])
    r = bfs(compile_model(load_spec(path, {"K": "2"})))
    assert (r.verdict, r.property, list(r.covers)) == ("violation", "Seven", ["Seven"])
