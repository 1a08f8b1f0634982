"""TLA+ idioms of issue 26: deterministic choice (`the x in S: P`), richer constants,
enumerable function sets, refinement, and the friction a TLA+ translator meets.

Expected numbers are derived by hand in the comments, never by running the checker.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker.compile.model import load
from checker.engine.search import bfs
from checker.lang.errors import SpecError
from checker.lang.parser import parse
from checker.lang import ast as A

from _support import FUNCTION_SETS

EXIT_BAD_INPUT, EXIT_EVAL_ERROR = 2, 75


def _spec(tmp_path, text, name="S") -> Path:
    path = tmp_path / f"{name}.gdsl"
    path.write_text(text, encoding="utf-8")
    return path


def _cli(tmp_path, *args):
    proc = subprocess.run([sys.executable, "-m", "checker.cli", *map(str, args), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=str(tmp_path), timeout=120)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


# --------------------------------------------------------------------------- the x in S: P

LEADER = """spec Leader
var up: set[0..2] = {0, 1, 2}
var leader: 0..2 = 0
action Crash when size(up) > 1 {
  up = up minus {leader}
  leader = the x in up': forall y in up': x <= y
}
invariant LeaderUp = leader in up
"""


def test_the_parses_to_its_node():
    spec = parse(LEADER)
    crash = next(d for d in spec.decls if isinstance(d, A.ActionDecl))
    value = crash.body[1].value
    assert isinstance(value, A.The) and value.var == "x"
    assert isinstance(value.body, A.Quant)


def test_the_picks_the_one_element(tmp_path):
    # up: {0,1,2}, leader 0 -> crash: {1,2}, leader 1 -> crash: {2}, leader 2; then no action
    m = load(_spec(tmp_path, LEADER), {}, None)
    r = bfs(m, check_deadlock=False)
    assert (r.verdict, r.distinct, r.depth) == ("ok", 3, 3)


@pytest.mark.parametrize("cond, what", [("x >= 0", "2 elements satisfy"), ("x > 5", "no element satisfies")])
def test_the_fails_when_not_exactly_one(tmp_path, cond, what):
    path = _spec(tmp_path, LEADER.replace("forall y in up': x <= y", cond))
    proc = _cli(tmp_path, path, "--backend", "python")
    assert proc.returncode == EXIT_EVAL_ERROR, proc.stdout
    assert f"`the x in ...` at line 6: {what} its condition" in proc.stdout
    assert "(in action Crash (line 4))" in proc.stdout


def test_the_in_a_constant_domain_and_a_function(tmp_path):
    # the largest of {1, 3, 2} that is odd and > 1 is 3
    text = """spec F
def pick(s: set[0..3]): 0..3 = the v in s: v % 2 == 1 and v > 1
var x: 0..3 = 0
action A when x == 0 { x = pick({1, 3, 2}) }
invariant NotTwo = x != 2
"""
    r = bfs(load(_spec(tmp_path, text), {}, None), check_deadlock=False)
    assert (r.verdict, r.distinct) == ("ok", 2)


def test_the_type_errors_are_located(tmp_path):
    bad = LEADER.replace("forall y in up': x <= y", "x + 1")
    with pytest.raises(SpecError) as e:
        load(_spec(tmp_path, bad), {}, None)
    assert e.value.line == 6 and "the condition of `the`" in e.value.message
    with pytest.raises(SpecError) as e:
        load(_spec(tmp_path, LEADER.replace("the x in up'", "the x in leader")), {}, None)
    assert e.value.line == 6 and "to range over" in e.value.message


@pytest.mark.parametrize("cond, says", [
    (None, "Invariant NotTwo is violated"),        # leader 0, 1, 2: the third state
    ("x >= 0", "`the x in ...`: several elements satisfy its condition (exactly one must) (line 6)"),
    ("x > 5", "`the x in ...`: no element satisfies its condition (exactly one must) (line 6)"),
])
def test_the_in_bmc_finds_its_value_and_its_two_errors(tmp_path, cond, says):
    text = LEADER + "invariant NotTwo = leader != 2\n"
    if cond:
        text = text.replace("forall y in up': x <= y", cond)
    proc = _cli(tmp_path, _spec(tmp_path, text), "--bmc", "4")
    assert proc.returncode == (12 if cond is None else EXIT_EVAL_ERROR), proc.stdout + proc.stderr
    assert says in proc.stdout


@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler")
def test_the_native_agrees(tmp_path):
    ok = _cli(tmp_path, _spec(tmp_path, LEADER), "--backend", "native", "--no-deadlock")
    assert ok.returncode == 0 and "Backend: native" in ok.stdout and "3 distinct states" in ok.stdout
    bad = _cli(tmp_path, _spec(tmp_path, LEADER.replace("forall y in up': x <= y", "x > 5"), "B"),
               "--backend", "native")
    assert bad.returncode == EXIT_EVAL_ERROR and "Backend: native" in bad.stdout
    assert "`the x in ...` at line 6: no element satisfies its condition" in bad.stdout


# --------------------------------------------------------------------------- set, record constants

CONSTS = """spec Consts
enum Proc { p1, p2, p3 }
record Cfg { n: 0..3, fast: bool }
const Procs: set[Proc] = {p1, p2}
const C: Cfg = Cfg(n: 2, fast: true)
const Vals: set[0..3] = 1..2
var x: 0..C.n = 0
var who: set[Proc] = {}
action Step(p in Procs) when p notin who and x < C.n { who = who union {p}; x = x + 1 }
invariant Bound = x <= size(Procs) and x <= C.n
invariant Small = forall v in Vals: v < 3
"""


def test_set_and_record_constants_and_their_overrides(tmp_path):
    path = _spec(tmp_path, CONSTS)
    # who ranges over the subsets of Procs with at most C.n elements, x = size(who):
    # {p1, p2}, n = 2: 4 subsets; all of {p1, p2, p3}, n = 3: 8; {p1, p2, p3}, n = 1: 1 + 3
    for consts, distinct in [({}, 4), ({"Procs": "{p1, p2, p3}", "C": "Cfg(n: 3, fast: false)"}, 8),
                             ({"Procs": "Proc", "C": "Cfg(1, true)"}, 4)]:
        m = load(path, consts, None)
        r = bfs(m, check_deadlock=False)
        assert (r.verdict, r.distinct) == ("ok", distinct), consts


@pytest.mark.parametrize("name, text, says", [
    ("Procs", "{p1, p9}", "Procs is a constant of type set[Proc]; give a constant expression of that type"),
    ("Procs", "3", "Procs is a constant of type set[Proc]"),
    ("C", "Cfg(n: 2)", "C is a constant of type Cfg"),
    ("Vals", "{7}", "{7} is outside Vals's type set[0..3]"),
])
def test_a_bad_structured_override_names_the_constant_and_its_type(tmp_path, name, text, says):
    with pytest.raises(SpecError) as e:
        load(_spec(tmp_path, CONSTS), {name: text}, None)
    assert f"--const {name}={text}: " in e.value.message and says in e.value.message


def test_structured_constants_from_a_model_file(tmp_path):
    _spec(tmp_path, CONSTS)
    (tmp_path / "m.toml").write_text('spec = "S.gdsl"\n[constants]\nProcs = ["p1", "p2", "p3"]\n'
                                     'C = "Cfg(n: 3, fast: false)"\n')
    proc = _cli(tmp_path, tmp_path / "m.toml", "--no-deadlock")
    assert proc.returncode == 0 and "8 distinct states" in proc.stdout, proc.stdout
    (tmp_path / "m.toml").write_text('spec = "S.gdsl"\n[constants]\nProcs = ["p1", "p7"]\n')
    proc = _cli(tmp_path, tmp_path / "m.toml")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "m.toml:3:1: error: Procs = {p1, p7}: Procs is a constant of type set[Proc]" in proc.stderr


def test_a_constant_of_a_map_type_is_refused_where_declared(tmp_path):
    with pytest.raises(SpecError) as e:
        load(_spec(tmp_path, CONSTS.replace("const Vals: set[0..3] = 1..2",
                                            "const Vals: map[0..1, bool] = {0: true, 1: false}")), {}, None)
    assert e.value.line == 6 and "must be an int, bool, enum, set, record, tuple or option" in e.value.message


def test_structured_constants_in_bmc(tmp_path):
    # with three processes and C.n = 3, x reaches 3 after three steps (the 4th state)
    spec = _spec(tmp_path, CONSTS.replace("invariant Small", "invariant BelowThree = x < 3\ninvariant Small"))
    proc = _cli(tmp_path, spec, "--bmc", "4", "--const", "Procs={p1, p2, p3}", "--const", "C=Cfg(3, false)")
    assert proc.returncode == 12 and "BelowThree" in proc.stdout, proc.stdout + proc.stderr
    proc = _cli(tmp_path, spec, "--bmc", "4", "--const", "Procs={p1, p2}", "--const", "C=Cfg(3, false)")
    assert proc.returncode == 3 and "No violation" in proc.stdout, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- sets of functions

FUNSETS = FUNCTION_SETS


def test_choose_over_a_set_of_functions(tmp_path):
    # m: the 3 maps with m[a] < m[b] ((0,1), (0,2), (1,2)); h: 3 choices a key (absent,
    # false, true) so 9; 3 * 9 successors + the initial state
    r = bfs(load(_spec(tmp_path, FUNSETS), {}, None), check_deadlock=False)
    assert (r.verdict, r.distinct, r.generated) == ("ok", 28, 28)


def test_a_type_name_of_a_map_type_is_its_set_of_functions(tmp_path):
    text = FUNSETS.replace("enum P { a, b }", "enum P { a, b }\ntype F = map[P, 1..3]").replace(
        "choose m in map[P, 1..3]", "choose m in F")
    r = bfs(load(_spec(tmp_path, text), {}, None), check_deadlock=False)
    assert r.distinct == 28


def test_a_set_of_functions_too_large_says_its_size(tmp_path):
    with pytest.raises(SpecError) as e:
        load(_spec(tmp_path, FUNSETS.replace("size({m for m in map[P, 1..3]",
                                             "size({m for m in map[0..5, 0..9]")), {}, None)
    assert (e.value.line, e.value.col) == (14, 36)
    assert "map[0..5, 0..9] has 1,000,000 values, too many to enumerate (at most 100,000)" in e.value.message


def test_bmc_ranges_over_a_set_of_functions(tmp_path):
    # f[b] == 2 after Pick with m = (0, 2) or (1, 2): a violation at depth 2
    spec = _spec(tmp_path, FUNSETS + "invariant NoTwo = f[b] != 2\n")
    proc = _cli(tmp_path, spec, "--bmc", "2")
    assert proc.returncode == 12 and "NoTwo" in proc.stdout and "f[b] = 2" in proc.stdout, proc.stdout


# --------------------------------------------------------------------------- friction

def test_enum_values_actions_and_variables_may_share_names(tmp_path):
    # `req` is a variable, an enum value and an action; `ack` an enum value and an action.
    # The bare `req` is the variable; Msg.req the value. req toggles, last follows it:
    # (false, ack), (true, req): 2 states
    text = """spec Names
enum Msg { req, ack }
var req: bool = false
var seen: Msg = Msg.ack
action req { req = not req; seen = if req' then Msg.req else ack }
action ack when req { req = false; seen = ack }
invariant Follows = req == (seen == Msg.req)
"""
    r = bfs(load(_spec(tmp_path, text), {}, None), check_deadlock=False)
    assert (r.verdict, r.distinct) == ("ok", 2)


def test_a_type_and_an_enum_value_still_clash(tmp_path):
    with pytest.raises(SpecError) as e:
        load(_spec(tmp_path, "spec T\nenum E { Small, Big }\ntype Small = 0..1\nvar x: Small = 0\n"
                             "action A { x = 1 - x }\n"), {}, None)
    assert e.value.line == 3 and "the type 'Small' clashes with the enum value 'Small' of E" in e.value.message


def test_reserved_words_name_variables_where_unambiguous(tmp_path):
    text = "spec 2PC\nvar in: 0..1 = 0\nvar init: bool = false\naction type { in = 1 - in; init = true }\n"
    m = load(_spec(tmp_path, text), {}, None)
    assert m.name == "2PC" and bfs(m, check_deadlock=False).distinct == 3


def test_a_reserved_word_read_as_a_keyword_is_named(tmp_path):
    path = _spec(tmp_path, "spec R\nvar x: bool = false\nvar in: bool = false\naction A { x = x\n in = true }\n")
    proc = _cli(tmp_path, path)
    assert proc.returncode == EXIT_BAD_INPUT
    assert ":5:5: error: unexpected '='; 'in' is a reserved word, read here as the keyword" in proc.stderr
    assert "(rename it, e.g. in_)" in proc.stderr


SEQ = """spec Seq
var x: 0..3 = 0
var y: 0..3 = 0
action Step when x < 3 {
  x = x + 1
  y = x
}
"""


def test_reading_a_variable_after_assigning_it_warns_at_the_read(tmp_path):
    proc = _cli(tmp_path, _spec(tmp_path, SEQ))
    assert proc.returncode in (0, 11)
    assert "S.gdsl:6:7: warning: this reads x after line 5 assigned it, so it is the new value " \
           "(TLA+ would read the old one); write x' to read the new value on purpose" in proc.stderr
    assert "      y = x\n          ^" in proc.stderr


def test_a_primed_read_marks_it_intentional_and_means_the_new_value(tmp_path):
    m = load(_spec(tmp_path, SEQ.replace("y = x\n", "y = x'\n")), {}, None)
    assert m.checked.warnings == []
    # x and y move together: (0,0) (1,1) (2,2) (3,3)
    r = bfs(m, check_deadlock=False)
    assert r.distinct == 4


@pytest.mark.parametrize("body, line", [
    ("  if x > 1 { x = 0 }\n  y = x\n", 6),                 # maybe assigned, in a branch
    ("  for i in 0..1 { x = i }\n  y = x\n", 6),           # in a loop before
    ("  reset()\n  y = x\n", 6),                            # through a proc
])
def test_maybe_assigned_reads_warn_too(tmp_path, body, line):
    text = SEQ.replace("  x = x + 1\n  y = x\n", body).replace("action Step", "proc reset() { x = 0 }\naction Step")
    w = load(_spec(tmp_path, text), {}, None).checked.warnings
    assert [x.line for x in w] == [line + 1]


def test_no_warning_inside_the_assigning_statement_or_in_init(tmp_path):
    text = SEQ.replace("  y = x\n", "  y = y\n").replace("var y: 0..3 = 0", "var y: 0..3\ninit { x = 0; y = x }")
    assert load(_spec(tmp_path, text), {}, None).checked.warnings == []


def test_a_primed_read_with_nothing_assigned_before_is_an_error(tmp_path):
    with pytest.raises(SpecError) as e:
        load(_spec(tmp_path, SEQ.replace("  x = x + 1\n  y = x\n", "  y = x'\n  x = 1\n")), {}, None)
    assert (e.value.line, e.value.col) == (5, 7)
    assert "x' reads the value x is given earlier in this action, but no statement before" in e.value.message


def test_the_group_spec_and_the_examples_have_no_warnings():
    root = Path(__file__).resolve().parents[2]
    from checker.compile.model import load_spec
    for path in [root / "spec" / "group.gdsl", *sorted((root / "spec" / "examples").rglob("*.gdsl"))]:
        assert load_spec(path).warnings == [], path


def test_option_tuple_and_empty_set_constants(tmp_path):
    text = """spec Opt
enum P { a, b }
const O: option[0..3] = some(2)
const E: set[P] = {}
const T: tuple[bool, 0..2] = (true, 1)
var x: 0..3 = 0
action A when x < 3 and O != none { x = x + 1 }
invariant I = size(E) == 0 and T.0
"""
    path = _spec(tmp_path, text)
    r = bfs(load(path, {}, None), check_deadlock=False)
    assert (r.verdict, r.distinct) == ("ok", 4)            # x = 0..3
    r = bfs(load(path, {"O": "none"}, None), check_deadlock=False)
    assert (r.verdict, r.distinct) == ("ok", 1)            # A never enabled
    r = bfs(load(path, {"E": "{a}"}, None), check_deadlock=False)
    assert (r.verdict, r.property) == ("violation", "I")


def test_the_binds_its_name_for_the_editor_and_binds_one_name(tmp_path):
    from checker.lang.navigation import index_spec
    index = index_spec(LEADER)
    # line 6: `  leader = the x in up': forall y in up': x <= y`; the last x (col 44) is the bound x
    occ = index.at(6, 44)
    assert occ is not None and occ.symbol.kind == "local" and (occ.symbol.line, occ.symbol.col) == (6, 16)
    with pytest.raises(SpecError) as e:
        load(_spec(tmp_path, LEADER.replace("the x in up'", "the x, z in up'")), {}, None)
    assert e.value.line == 6 and "`the` binds one name (the x in S: P), not x, z" in e.value.message
