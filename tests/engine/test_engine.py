"""The BFS engine on tiny hand-analysed specs: counting, violations in initial states,
action properties, evaluation errors, and where traces are written."""
from __future__ import annotations

import json
from pathlib import Path

from checker.engine.search import bfs
from checker.compile.model import load

from _support import DIEHARD, EXIT_BAD_INPUT, EXIT_VIOLATION, one_json_object, run_cli

EXIT_EVAL_ERROR = 75


def _spec(tmp_path, name, text):
    path = tmp_path / f"{name}.gdsl"
    path.write_text(text, encoding="utf-8")
    return path


def _xs(model, trace):
    i = model.var_names.index("x")
    return [step.state[i] for step in trace]


def test_counting_with_several_initial_states(tmp_path):
    # 4 initial states (x = 0..3); from each, Step(n) is enabled for the 3 other values:
    # distinct 4, generated 4 + 4*3 = 16, depth 1 (every state is initial).
    path = _spec(tmp_path, "choose", """
spec Choose
var x: 0..3
init {
  choose v in 0..3
  x = v
}
action Step(n: 0..3) when n != x { x = n }
""")
    r = bfs(load(path, {}, None), check_deadlock=True)
    assert r.verdict == "ok"
    assert (r.distinct, r.generated, r.depth) == (4, 16, 1)


def test_self_loops_count_as_generated(tmp_path):
    # One state; Stay is a self-loop: generated = 1 initial + 1 successor.
    path = _spec(tmp_path, "loop", """
spec Loop
var x: 0..1
init { x = 0 }
action Stay { x = x }
""")
    r = bfs(load(path, {}, None), check_deadlock=True)
    assert (r.verdict, r.distinct, r.generated, r.depth) == ("ok", 1, 2, 1)


def test_invariant_violated_in_the_initial_state(tmp_path):
    path = _spec(tmp_path, "initbad", """
spec InitBad
var x: 0..3
init { x = 2 }
action Inc when x < 3 { x = x + 1 }
action Dec when x > 0 { x = x - 1 }
invariant Low = x < 2
""")
    model = load(path, {}, None)
    r = bfs(model, check_deadlock=True)
    assert (r.verdict, r.property, r.exit_code) == ("violation", "Low", EXIT_VIOLATION)
    assert _xs(model, r.trace) == [2]


def test_action_property_trace_ends_with_the_violating_step(tmp_path):
    # Monotone fails only on Reset, from x = 3 back to x = 0. The shortest behaviour that
    # shows it is 0 -> 1 -> 2 -> 3 -> 0: the trace must end with the offending step,
    # even though its target state (x = 0) was seen before.
    path = _spec(tmp_path, "actprop", """
spec ActProp
var x: 0..3
init { x = 0 }
action Inc when x < 3 { x = x + 1 }
action Reset when x == 3 { x = 0 }
action property Monotone = x' >= x
""")
    model = load(path, {}, None)
    r = bfs(model, check_deadlock=True)
    assert (r.verdict, r.property, r.property_kind) == ("violation", "Monotone", "action")
    assert _xs(model, r.trace) == [0, 1, 2, 3, 0]
    assert [s.action for s in r.trace[1:]] == ["Inc", "Inc", "Inc", "Reset"]


def test_evaluation_error_exit_75(tmp_path):
    # x: 0..3 and Inc is unguarded: from x = 3 it would make x = 4.
    path = _spec(tmp_path, "overflow", """
spec Overflow
var x: 0..3
init { x = 0 }
action Inc { x = x + 1 }
""")
    model = load(path, {}, None)
    r = bfs(model, check_deadlock=True)
    assert r.verdict == "error" and r.exit_code == EXIT_EVAL_ERROR
    assert _xs(model, r.trace) == [0, 1, 2, 3]
    proc = run_cli(path, "--json", "--out", tmp_path / "cex")
    assert proc.returncode == EXIT_EVAL_ERROR
    data = one_json_object(proc.stdout)
    assert data["verdict"] == "error"
    assert "x" in data["message"] and "4" in data["message"]


def test_out_directory_is_where_traces_go(tmp_path):
    proc = run_cli(DIEHARD, "--json", "--out", tmp_path / "a" / "b")
    data = one_json_object(proc.stdout)
    assert Path(data["trace"]) == tmp_path / "a" / "b" / "DieHard" / "NotSolved.itf.json"
    assert json.loads(Path(data["trace"]).read_text())["#meta"]["property"] == "NotSolved"


def test_out_that_is_a_file_is_reported_not_a_crash(tmp_path):
    # A trace cannot be written under a regular file: a clear message, no traceback
    # (run_cli asserts that), and not the "internal error" exit code 1.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    proc = run_cli(DIEHARD, "--out", blocker)
    assert proc.returncode in (EXIT_BAD_INPUT, EXIT_VIOLATION), proc.stderr
    assert str(blocker) in proc.stderr
    assert "internal error" not in proc.stderr


def test_membership_the_types_decide_is_not_evaluated_but_the_rest_is(tmp_path):
    """`x in S` with S holding every value of x's type is true in every state (the
    compiler drops it); with S missing a reachable value it is checked and fails."""
    text = """
spec Light
enum Colour { red, amber, green }
type Slot = scalarset(2)
var x: Colour = red
var lit: set[Slot] = {}
action Next when x != green { x = if x == red then amber else green }
action Light(s: Slot) { lit = lit union {s} }
invariant TypeOK = x in {red, amber, Colour.green} and lit subseteq Slot
invariant NeverGreen = x in {red, amber}
"""
    model = load(_spec(tmp_path, "light", text), {}, ["TypeOK"])
    assert "# TypeOK holds in every state of its variables' types" in model.source
    assert bfs(model, check_deadlock=False).verdict == "ok"
    model = load(_spec(tmp_path, "light", text), {}, ["NeverGreen"])
    r = bfs(model, check_deadlock=False)
    assert (r.verdict, r.property) == ("violation", "NeverGreen")
    assert _xs(model, r.trace)[-1] == 2          # green, the value the set leaves out


def test_a_value_built_from_a_parameter_of_an_unbounded_type_is_computed_per_state(tmp_path):
    """Values built from one action parameter are tabled over its type's values when
    the type has them; `n in {1, 5}` is an int, which has none."""
    path = _spec(tmp_path, "steps", """
spec Steps
var x: 0..10 = 0
var seen: set[0..10] = {}
action Add(n in {1, 5}) when x + n <= 10 {
  x = x + n
  seen = seen union {n}
}
""")
    r = bfs(load(path, {}, None), check_deadlock=False)
    # x takes every value 0..10 (sums of 1s and 5s), seen every subset reachable with it
    assert r.verdict == "ok" and r.distinct == 18
