"""Language features added after the first release: procs, constraints, refuted
properties, string literals, record map keys, empty maps in context, declared lets,
comprehensions over ranges, errors inside properties, --max-states, action-property
traces, and constant sub-expressions that must not fail at load time.

Every expected number is derived by hand (see the comments) or by an independent
enumeration written in plain Python inside the test, never by running the checker.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

from pathlib import Path

import pytest

from checker.lang.errors import SpecError
from checker.engine.search import bfs
from checker.compile.model import load

ROOT = Path(__file__).resolve().parents[2]
TWOPHASE = ROOT / "spec" / "examples" / "twophase.gdsl"

EXIT_OK, EXIT_BOUND, EXIT_BAD_INPUT, EXIT_VIOLATION, EXIT_EVAL_ERROR = 0, 3, 2, 12, 75


# --------------------------------------------------------------------------- helpers

def _spec(tmp_path, name, text) -> Path:
    path = tmp_path / f"{name}.gdsl"
    path.write_text(text, encoding="utf-8")
    return path


def _cli(*args, tmp_path) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "checker.cli", *map(str, args), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=str(tmp_path), timeout=60)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def _json(proc) -> dict:
    data = json.loads(proc.stdout)
    assert isinstance(data, dict)
    return data


def _freeze(x):
    """Plain values (dicts, sets, tuples) as something hashable and comparable."""
    if isinstance(x, dict):
        return tuple(sorted((_freeze(k), _freeze(v)) for k, v in x.items()))
    if isinstance(x, (set, frozenset)):
        return frozenset(_freeze(v) for v in x)
    if isinstance(x, (list, tuple)):
        return tuple(_freeze(v) for v in x)
    return x


def _model_reachable(model) -> set:
    """Every reachable state of a compiled model, as frozen plain values."""
    frontier = list(model.init_states())
    seen = set(frontier)
    while frontier:
        nxt = []
        for s in frontier:
            for t in model.successors(s):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return {_freeze(model.plain(s)) for s in seen}


def _enumerate(inits, successors):
    """Independent BFS counting as TLC does: (distinct states, generated, depth)."""
    seen = {}
    level = []
    generated = 0
    for s in inits:
        generated += 1
        if s not in seen:
            seen[s] = 1
            level.append(s)
    depth = 1 if level else 0
    while level:
        nxt = []
        for s in level:
            succ = successors(s)
            generated += len(succ)
            for t in succ:
                if t not in seen:
                    seen[t] = seen[s] + 1
                    nxt.append(t)
        level = nxt
        if level:
            depth += 1
    return seen, generated, depth


def _var(model, trace, name):
    i = model.var_names.index(name)
    return [step.state[i] for step in trace]


def _line_of(text: str, marker: str) -> int:
    """1-based line number of the first line of text containing marker."""
    for n, line in enumerate(text.splitlines(), 1):
        if marker in line:
            return n
    raise AssertionError(marker)


# =========================================================================== 1. proc

PROC_SPEC = """
spec ProcVersion
var x: 0..3 = 0
var y: 0..3 = 0
var z: bool = false

proc bump(d: int) {
  let n = (x + d) % 4
  x = n
  if z { y = (y + 1) % 4 } else { y = x }
  z = not z
}

action A { bump(1) }
action B when x < 2 { bump(2) }
"""

INLINE_SPEC = """
spec InlineVersion
var x: 0..3 = 0
var y: 0..3 = 0
var z: bool = false

action A {
  let n = (x + 1) % 4
  x = n
  if z { y = (y + 1) % 4 } else { y = x }
  z = not z
}
action B when x < 2 {
  let n = (x + 2) % 4
  x = n
  if z { y = (y + 1) % 4 } else { y = x }
  z = not z
}
"""


def _bump_reference():
    def bump(s, d):
        x, y, z = s
        x = (x + d) % 4
        y = (y + 1) % 4 if z else x
        return (x, y, not z)

    def succ(s):
        out = [bump(s, 1)]
        if s[0] < 2:
            out.append(bump(s, 2))
        return out
    return _enumerate([(0, 0, False)], succ)


def test_proc_gives_the_same_states_as_inline_statements(tmp_path):
    with_proc = load(_spec(tmp_path, "proc", PROC_SPEC), {}, None)
    inline = load(_spec(tmp_path, "inline", INLINE_SPEC), {}, None)
    seen, generated, depth = _bump_reference()
    expected = {_freeze({"x": x, "y": y, "z": z}) for x, y, z in seen}
    assert _model_reachable(with_proc) == expected
    assert _model_reachable(inline) == expected
    for m in (with_proc, inline):
        r = bfs(m, check_deadlock=True)
        assert r.verdict == "ok"
        assert (r.distinct, r.generated, r.depth) == (len(seen), generated, depth)


def test_proc_require_disables_the_calling_instance(tmp_path):
    # Inc(k) calls step(2 + k), which requires x < 2 + k:
    # x=0: k=0,1 enabled (2 successors); x=1: 2; x=2: only k=1; x=3: none.
    # distinct 4, generated 1 + 2 + 2 + 1 = 6; x = 3 is a deadlock.
    path = _spec(tmp_path, "preq", """
spec ProcRequire
var x: 0..5 = 0
proc step(lim: int) {
  require x < lim
  x = x + 1
}
action Inc(k: 0..1) { step(2 + k) }
""")
    m = load(path, {}, None)
    r = bfs(m, check_deadlock=False)
    assert (r.verdict, r.distinct, r.generated, r.depth) == ("ok", 4, 6, 4)
    s2 = m.step(m.step(m.init_states()[0], "Inc", k=0), "Inc", k=0)
    assert m.plain(s2) == {"x": 2}
    assert [(a, p) for a, p, _ in m.steps(s2)] == [("Inc", {"k": 1})]
    r = bfs(m, check_deadlock=True)
    assert r.verdict == "deadlock"
    assert _var(m, r.trace, "x") == [0, 1, 2, 3]


def test_proc_choose_makes_one_successor_per_choice(tmp_path):
    # From (x, y): Go picks v in {1, 2, 3}; y = 3 * v, x + 1; enabled while x < 2.
    # (0,0) -> (1,3),(1,6),(1,9) -> each to (2,3),(2,6),(2,9).
    # distinct 1 + 3 + 3 = 7, generated 1 + 3 + 3 * 3 = 13, depth 3.
    path = _spec(tmp_path, "pchoose", """
spec ProcChoose
var x: 0..3 = 0
var y: 0..9 = 0
proc pick() {
  choose v in {1, 2, 3}
  y = v
}
action Go when x < 2 {
  x = x + 1
  pick()
  y = y * 3
}
""")
    m = load(path, {}, None)
    r = bfs(m, check_deadlock=False)
    assert (r.verdict, r.distinct, r.generated, r.depth) == ("ok", 7, 13, 3)
    assert _model_reachable(m) == {_freeze({"x": x, "y": y})
                                   for x, y in [(0, 0)] + [(a, 3 * v) for a in (1, 2) for v in (1, 2, 3)]}


def test_proc_arguments_are_evaluated_before_the_body(tmp_path):
    # p(x) binds v to the old x; the body then increments x and sets y = v.
    # (0,0) -> (1,0) -> (2,1) -> (3,2); evaluating v lazily would give y == x.
    path = _spec(tmp_path, "pargs", """
spec ProcArgs
var x: 0..3 = 0
var y: 0..3 = 0
proc p(v: int) {
  x = x + 1
  y = v
}
action A when x < 3 { p(x) }
""")
    m = load(path, {}, None)
    assert _model_reachable(m) == {_freeze({"x": x, "y": y}) for x, y in [(0, 0), (1, 0), (2, 1), (3, 2)]}
    r = bfs(m, check_deadlock=False)
    assert (r.verdict, r.distinct, r.generated, r.depth) == ("ok", 4, 4, 4)


def test_proc_locals_and_parameters_do_not_leak(tmp_path):
    # The caller's t and v keep their values (4 and 3) after the call, although the
    # proc has a parameter v and a local t of its own.
    path = _spec(tmp_path, "pleak", """
spec ProcLeak
var x: 0..5 = 0
var y: 0..9 = 0
var w: 0..9 = 0
proc p(v: int) {
  let t = v + 1
  x = t
}
action A when x < 2 {
  let t = 4
  let v = 3
  p(x)
  y = t
  w = v
}
""")
    m = load(path, {}, None)
    assert _model_reachable(m) == {_freeze(s) for s in (
        {"x": 0, "y": 0, "w": 0}, {"x": 1, "y": 4, "w": 3}, {"x": 2, "y": 4, "w": 3})}


def test_procs_nested_in_init_in_if_and_in_for(tmp_path):
    # outer() reaches a require through inner(); pick() chooses in init and inside an
    # if branch; add() is deterministic and may be called inside a for loop.
    path = _spec(tmp_path, "pnest", """
spec ProcNest
var x: 0..9 = 0
var y: 0..9 = 0
proc inner(lim: int) { require x < lim; x = x + 1 }
proc outer(lim: int) { inner(lim) }
proc add(v: int) { x = x + v }
proc pick() { choose v in {5, 6}; y = v }
init { pick() }
action O { outer(2) }
action L when x == 2 { for i in 0..2 { add(i) } }
action G(u: 0..1) when x == 5 { let w = u; let v = 1; pick(); x = 6 + w * v }
action H when x < 2 and y < 7 { if x == 1 { pick() } else { y = y + 2 } }
""")

    def succ(s):
        x, y = s
        out = []
        if x < 2:                                   # O
            out.append((x + 1, y))
        if x == 2:                                  # L: x + 0 + 1 + 2
            out.append((5, y))
        if x == 5:                                  # G
            out += [(6 + u, v) for u in (0, 1) for v in (5, 6)]
        if x < 2 and y < 7:                         # H
            out += [(x, v) for v in (5, 6)] if x == 1 else [(x, y + 2)]
        return out

    seen, generated, depth = _enumerate([(0, 5), (0, 6)], succ)
    m = load(path, {}, None)
    assert sorted((d["x"], d["y"]) for d in map(m.plain, m.init_states())) == [(0, 5), (0, 6)]
    assert _model_reachable(m) == {_freeze({"x": x, "y": y}) for x, y in seen}
    r = bfs(m, check_deadlock=False)
    assert (r.verdict, r.distinct, r.generated, r.depth) == ("ok", len(seen), generated, depth)


def test_proc_choice_does_not_hide_the_action_parameter_of_the_same_name(tmp_path):
    # G(v) calls pick(), whose own `choose v` is local to the proc: the step labels
    # must still report the action's parameter v (here x' == 6 + v).
    path = _spec(tmp_path, "plabel", """
spec ProcLabel
var x: 0..9 = 5
var y: 0..9 = 0
proc pick() { choose v in {5, 6}; y = v }
action G(v: 0..1) when x == 5 { pick(); x = 6 + v }
""")
    m = load(path, {}, None)
    steps = m.steps(m.init_states()[0])
    assert len(steps) == 4
    for action, params, t in steps:
        assert action == "G"
        assert m.plain(t)["x"] == 6 + params["v"], (params, m.plain(t))


PROC_ERRORS = {
    "arity": ("""
spec E
var x: 0..3 = 0
proc p(v: int) { x = v }
action A {
  p(1, 2)   // HERE
}
""", "argument"),
    "argtype": ("""
spec E
var x: 0..3 = 0
proc p(v: int) { x = v }
action A {
  p(true)   // HERE
}
""", "type mismatch"),
    "recursion": ("""
spec E
var x: 0..3 = 0
proc a() { b() }   // HERE
proc b() { a() }
action A { a() }
""", "recursive"),
    "self_recursion": ("""
spec E
var x: 0..3 = 0
proc a() {   // HERE
  x = 0
  a()
}
action A { a() }
""", "recursive"),
    "choose_in_for": ("""
spec E
var x: 0..3 = 0
proc pick() {
  choose v in {1, 2}
  x = v
}
action A {
  for i in {1, 2} {
    pick()   // HERE
  }
}
""", "for"),
    "def_calls_proc": ("""
spec E
var x: 0..3 = 0
proc p(v: int) { x = v }
def f(): int {
  p(1)   // HERE
  return 0
}
action A { x = f() }
""", "proc"),
}


@pytest.mark.parametrize("case", sorted(PROC_ERRORS))
def test_proc_errors_are_located_bad_input(tmp_path, case):
    text, word = PROC_ERRORS[case]
    path = _spec(tmp_path, case, text)
    line = _line_of(text, "// HERE")
    with pytest.raises(SpecError) as info:
        load(path, {}, None)
    assert word in info.value.message
    assert info.value.line == line, info.value.format()
    proc = _cli(path, tmp_path=tmp_path)
    assert proc.returncode == EXIT_BAD_INPUT, proc.stdout + proc.stderr
    assert re.search(rf"{re.escape(path.name)}:{line}:\d+: error:", proc.stderr), proc.stderr


# =========================================================================== 2. constraint

CONSTRAINT_SPEC = """
spec Bounded
var x: 0..10
init { x = 0 }
action Inc when x < 10 { x = x + 1 }
constraint Small = x < 3
"""


def test_constraint_bounds_exploration(tmp_path):
    # TLC applies the constraint to each successor as it is generated (tlc2
    # Worker.addElement): x = 0, 1, 2 are stored and expanded; x = 3 is generated
    # (and checked) but lies outside, so it is not stored, not a distinct state and
    # not part of the depth: distinct 3, generated 1 + 3, depth 3, and no deadlock
    # at x = 2 (it has a successor, outside or not).
    m = load(_spec(tmp_path, "bounded", CONSTRAINT_SPEC), {}, None)
    for deadlock in (True, False):
        for workers in (1, 2):
            r = bfs(m, check_deadlock=deadlock, workers=workers)
            assert r.verdict == "ok", r.message
            assert (r.distinct, r.generated, r.constrained, r.depth) == (3, 4, 1, 3)


def test_invariant_checked_on_the_first_state_outside_the_constraint(tmp_path):
    # x = 3 is never stored, but TLC checks the invariants of every successor it
    # generates: the violation is reported, with the trace to it. Its parent x = 2
    # is the deepest state stored: distinct 3, depth 3, generated 4.
    m = load(_spec(tmp_path, "bounded_inv", CONSTRAINT_SPEC + "invariant Below3 = x < 3\n"), {}, None)
    for workers in (1, 2):
        r = bfs(m, check_deadlock=True, workers=workers)
        assert (r.verdict, r.property, r.property_kind) == ("violation", "Below3", "invariant")
        assert _var(m, r.trace, "x") == [0, 1, 2, 3]
        assert [s.action for s in r.trace] == [None, "Inc", "Inc", "Inc"]
        assert (r.distinct, r.generated, r.depth, r.constrained) == (3, 4, 3, 1)


def test_constraint_json(tmp_path):
    proc = _cli(_spec(tmp_path, "bounded", CONSTRAINT_SPEC), "--json", tmp_path=tmp_path)
    assert proc.returncode == EXIT_OK, proc.stdout + proc.stderr
    data = _json(proc)
    assert data["verdict"] == "ok"
    assert data["states_outside_constraints"] == data["generated_outside_constraints"] == 1
    assert (data["distinct_states"], data["states_generated"], data["depth"]) == (3, 4, 3)


# The bounded Send/Ack spec of docs/language.md (section "State constraints").
SEND_ACK = """
spec Bounded
var sent: 0..9 = 0
var acked: 0..9 = 0
action Send { sent = sent + 1 }
action Ack when acked < sent { acked = acked + 1 }
constraint FewSends = sent < 3
invariant AckedOnlySent = acked <= sent
"""


def test_send_ack_counts_as_tlc(tmp_path):
    # TLC's algorithm by hand (ModelChecker.doInit/DoInitFunctor, Worker.addElement):
    # the constraint is evaluated on each generated state; one inside is stored and
    # queued if new, one outside is counted as generated, checked, and dropped.
    # States are (sent, acked), levels as TLC numbers them (initial states: 1).
    #   level 1: (0,0)                      generated 1 (the initial state)
    #   (0,0) -> Send (1,0)                 generated 1; level 2: (1,0)
    #   (1,0) -> Send (2,0), Ack (1,1)      generated 2; level 3: (2,0) (1,1)
    #   (2,0) -> Send (3,0) outside, Ack (2,1)   generated 2; level 4: (2,1)
    #   (1,1) -> Send (2,1) seen                 generated 1
    #   (2,1) -> Send (3,1) outside, Ack (2,2)   generated 2; level 5: (2,2)
    #   (2,2) -> Send (3,2) outside              generated 1; nothing new
    # distinct 6 (the states with sent < 3 and acked <= sent), generated
    # 1+1+2+2+1+2+1 = 10 (3 of them outside), depth 5. (Evaluating the constraint
    # on dequeued states instead, as modelcheck once did, stores (3,0), (3,1), (3,2)
    # too: 9 distinct, depth 6.)
    path = _spec(tmp_path, "Bounded", SEND_ACK)
    m = load(path, {}, None)
    for workers in (1, 2, 3):
        r = bfs(m, workers=workers)
        assert r.verdict == "ok", r.message
        assert (r.distinct, r.generated, r.depth, r.constrained) == (6, 10, 5, 3)
    proc = _cli(path, "--json", tmp_path=tmp_path)
    data = _json(proc)
    assert (data["distinct_states"], data["states_generated"], data["depth"]) == (6, 10, 5)
    proc = _cli(path, tmp_path=tmp_path)
    assert "3 of the states generated lay outside the state constraints" in proc.stdout
    assert "10 states generated, 6 distinct states found" in proc.stdout


def test_an_invariant_broken_only_outside_the_constraint_is_reported(tmp_path):
    # acked == 2 only once sent == 3: (3,2) is outside FewSends, never stored, yet
    # TLC checks its invariants when it generates it. The shortest way there is
    # (0,0) (1,0) (1,1) (2,1) (2,2) (3,2) or one of its interleavings of the same
    # length: the trace ends in the state outside. At the stop, the level being
    # expanded is the last (level 5, (2,2)): distinct 6 and depth 5 as above;
    # generated 10 (all of (2,2)'s successors are counted, as for any stop).
    spec = SEND_ACK.replace("invariant AckedOnlySent = acked <= sent",
                            "invariant FewAcked = acked < 2 or sent < 3")
    path = _spec(tmp_path, "Bounded", spec)
    m = load(path, {}, None)
    outcomes = []
    for workers in (1, 2, 3):
        r = bfs(m, workers=workers)
        assert (r.verdict, r.property, r.property_kind) == ("violation", "FewAcked", "invariant")
        assert list(zip(_var(m, r.trace, "sent"), _var(m, r.trace, "acked")))[-1] == (3, 2)
        assert len(r.trace) == 6 and r.trace[-1].action == "Send"
        assert (r.distinct, r.generated, r.depth) == (6, 10, 5)
        outcomes.append([(s.action, s.state) for s in r.trace])
    assert outcomes[0] == outcomes[1] == outcomes[2]
    proc = _cli(path, tmp_path=tmp_path)
    assert proc.returncode == EXIT_VIOLATION, proc.stdout + proc.stderr
    assert "Invariant FewAcked is violated" in proc.stdout


def test_an_initial_state_outside_the_constraint_is_checked_not_stored(tmp_path):
    # TLC's DoInitFunctor: an initial state outside the constraints counts as
    # generated and has its invariants checked, but is not stored or expanded.
    # x starts at 0 or 5; 5 is outside Small: distinct 3 (0, 1, 2), generated
    # 2 + 3, depth 3.
    spec = CONSTRAINT_SPEC.replace("init { x = 0 }", "init { choose v in {0, 5} x = v }")
    m = load(_spec(tmp_path, "bounded_init", spec), {}, None)
    r = bfs(m)
    assert r.verdict == "ok", r.message
    assert (r.distinct, r.generated, r.depth, r.constrained) == (3, 5, 3, 2)
    m = load(_spec(tmp_path, "bounded_init_inv", spec + "invariant Below4 = x < 4\n"), {}, None)
    for workers in (1, 2):
        r = bfs(m, workers=workers)
        assert (r.verdict, r.property) == ("violation", "Below4")
        assert _var(m, r.trace, "x") == [5]
        assert (r.distinct, r.generated, r.depth) == (1, 2, 1)   # x = 0 was stored before it


SYMMETRIC_CONSTRAINED = """
spec Marks
type P = scalarset(3)
var done: set[P] = {}
action Mark(p: P) when not (p in done) { done = done union {p} }
constraint Few = size(done) < 2
"""


@pytest.mark.parametrize("options", [(), ("--no-symmetry",), ("--no-packing",),
                                     ("--no-symmetry", "--no-packing")])
def test_constraints_with_symmetry_and_packing(tmp_path, options):
    # By hand: without symmetry, {} and the 3 singletons are stored; generated
    # 1 + 3 (from {}) + 3 * 2 (two-element sets, all outside); depth 2. With
    # symmetry, one singleton stands for its orbit: distinct 2, generated 1 + 3 + 2.
    path = _spec(tmp_path, "Marks", SYMMETRIC_CONSTRAINED)
    symmetric = "--no-symmetry" not in options
    want = (2, 6, 2, 2) if symmetric else (4, 10, 2, 6)
    for workers in ("1", "2"):
        data = _json(_cli(path, "--json", "--no-deadlock", "--workers", workers, *options, tmp_path=tmp_path))
        assert data["verdict"] == "ok"
        assert (data["distinct_states"], data["states_generated"], data["depth"],
                data["states_outside_constraints"]) == want
    bad = SYMMETRIC_CONSTRAINED + "invariant Single = size(done) < 2\n"
    data = _json(_cli(_spec(tmp_path, "Marks", bad), "--json", *options, tmp_path=tmp_path))
    assert (data["verdict"], data["property"], data["trace_length"]) == ("violation", "Single", 3)


# =========================================================================== 3. refuted

REFUTED_SPEC = """
spec Refuted
var x: 0..2 = 0
action Inc when x < 2 { x = x + 1 }
action Reset when x == 2 { x = 0 }
invariant Fine = x <= 2
refuted invariant Small = x < 2
refuted action property Up = x' >= x
"""


def test_refuted_properties_are_not_checked_by_default(tmp_path):
    path = _spec(tmp_path, "refuted", REFUTED_SPEC)
    m = load(path, {}, None)
    assert [p.name for p in m.invariants] == ["Fine"]
    assert m.action_properties == []
    r = bfs(m, check_deadlock=True)
    assert (r.verdict, r.distinct, r.generated) == ("ok", 3, 4)   # 0 -> 1 -> 2 -> 0
    proc = _cli(path, "--json", tmp_path=tmp_path)
    assert proc.returncode == EXIT_OK, proc.stdout + proc.stderr
    assert _json(proc)["verdict"] == "ok"


def test_refuted_invariant_checked_when_named(tmp_path):
    path = _spec(tmp_path, "refuted", REFUTED_SPEC)
    m = load(path, {}, ["Small"])
    r = bfs(m, check_deadlock=True)
    assert (r.verdict, r.property) == ("violation", "Small")
    assert _var(m, r.trace, "x") == [0, 1, 2]
    proc = _cli(path, "--json", "--invariant", "Small", tmp_path=tmp_path)
    assert proc.returncode == EXIT_VIOLATION, proc.stdout + proc.stderr
    data = _json(proc)
    assert (data["verdict"], data["property"], data["property_kind"]) == ("violation", "Small", "invariant")


def test_refuted_action_property_checked_when_named(tmp_path):
    path = _spec(tmp_path, "refuted", REFUTED_SPEC)
    m = load(path, {}, ["Up"])
    r = bfs(m, check_deadlock=True)
    assert (r.verdict, r.property, r.property_kind) == ("violation", "Up", "action")
    assert _var(m, r.trace, "x") == [0, 1, 2, 0]
    assert r.trace[-1].action == "Reset"
    proc = _cli(path, "--json", "--invariant", "Up", tmp_path=tmp_path)
    assert proc.returncode == EXIT_VIOLATION, proc.stdout + proc.stderr
    data = _json(proc)
    assert (data["verdict"], data["property"], data["property_kind"]) == ("violation", "Up", "action")
    assert data["trace_length"] == 4


def test_describe_marks_refuted_properties(tmp_path):
    proc = _cli(_spec(tmp_path, "refuted", REFUTED_SPEC), "--describe", "--json", tmp_path=tmp_path)
    assert proc.returncode == EXIT_OK, proc.stdout + proc.stderr
    props = {p["name"]: p for p in _json(proc)["properties"]}
    assert props["Small"]["refuted"] is True and props["Small"]["checked"] is False
    assert props["Up"]["refuted"] is True and props["Up"]["checked"] is False
    assert props["Up"]["kind"] == "action" and props["Small"]["kind"] == "invariant"
    assert props["Fine"]["refuted"] is False and props["Fine"]["checked"] is True


# =========================================================================== 4. strings

def _utf16(text):
    units = text.encode("utf-16-le")
    return [int.from_bytes(units[i:i + 2], "little") for i in range(0, len(units), 2)]


def test_string_literals_are_utf16_code_units(tmp_path):
    assert _utf16("😀") == [0xD83D, 0xDE00]       # the reference itself: a surrogate pair
    path = _spec(tmp_path, "strings", f"""
spec Strings
var name: seq[0..65535, 4] = "hé"
action T {{ name = name }}
invariant Ascii = "ab" == [97, 98] and len("ab") == 2
invariant Latin = "é" == [233] and len("é") == 1
invariant Bmp = "中" == [{0x4E2D}] and len("中") == 1
invariant Astral = "😀" == [{0xD83D}, {0xDE00}] and len("😀") == 2
invariant Mixed = len("a😀é") == 4 and "a😀é"[3] == 233
invariant Empty = len("") == 0
refuted invariant Wrong = "ab" == [98, 97]
""")
    m = load(path, {}, None)
    assert m.plain(m.init_states()[0]) == {"name": (104, 233)}
    r = bfs(m, check_deadlock=True)
    assert (r.verdict, r.distinct) == ("ok", 1), r.message or r.property
    r = bfs(load(path, {}, ["Wrong"]), check_deadlock=True)
    assert (r.verdict, r.property) == ("violation", "Wrong")


# =========================================================================== 5. record map keys

RECORD_KEYS_SPEC = """
spec RecordKeys
record K { a: 0..1, b: bool }
var m: pmap[K, 0..3] = {:}
var t: map[K, bool] = {k: false for k in K}

action Put(k: K, v: 0..3) when not has(m, k) and size(m) < 2 {
  m[k] = v
  t[k] = true
}
action Bump(k in keys(m)) when m[k] < 3 {
  m = put(m, k, m[k] + 1)
}
action Del(k: K) when has(m, k) {
  m = remove(m, k)
  t[k] = false
}

invariant KeysMatch = keys(m) == {k for k in K if t[k]}
invariant SizeMatch = size(m) == size(keys(m)) and size(m) <= 2
invariant Indexing = forall k in keys(m): has(m, k) and m[k] >= 0 and m[k] <= 3
invariant TotalSize = size(t) == 4 and keys(t) == K
refuted invariant NotBoth = not ({K(0, false), K(1, true)} subseteq keys(m))
"""

RECORD_KEYS = [(a, b) for a in (0, 1) for b in (False, True)]


def _record_keys_reference():
    # state: frozenset of ((a, b), value) pairs; t mirrors the key set
    def succ(s):
        m = dict(s)
        out = []
        for k in RECORD_KEYS:                        # Put
            if k not in m and len(m) < 2:
                out += [frozenset({**m, k: v}.items()) for v in range(4)]
        for k in m:                                  # Bump
            if m[k] < 3:
                out.append(frozenset({**m, k: m[k] + 1}.items()))
        for k in m:                                  # Del
            out.append(frozenset((kk, vv) for kk, vv in m.items() if kk != k))
        return out
    return _enumerate([frozenset()], succ)


def _plain_record_key(k):
    return (("a", k[0]), ("b", k[1]))


def test_record_map_keys(tmp_path):
    m = load(_spec(tmp_path, "reckeys", RECORD_KEYS_SPEC), {}, None)
    seen, generated, depth = _record_keys_reference()
    # maps with at most 2 of the 4 keys, any values: 1 + 4 * 4 + 6 * 16
    assert len(seen) == 1 + 16 + 96
    r = bfs(m, check_deadlock=True)
    assert r.verdict == "ok", (r.property, r.message)
    assert (r.distinct, r.generated, r.depth) == (len(seen), generated, depth)
    expected = set()
    for s in seen:
        pm = dict(s)
        expected.add(_freeze({
            "m": {_plain_record_key(k): v for k, v in pm.items()},
            "t": {_plain_record_key(k): (k in pm) for k in RECORD_KEYS},
        }))
    assert _model_reachable(m) == expected


def test_invariant_over_record_keys_is_violated(tmp_path):
    m = load(_spec(tmp_path, "reckeys", RECORD_KEYS_SPEC), {}, ["NotBoth"])
    r = bfs(m, check_deadlock=True)
    assert (r.verdict, r.property) == ("violation", "NotBoth")
    assert len(r.trace) == 3                          # two Puts from the empty map
    assert [s.action for s in r.trace[1:]] == ["Put", "Put"]
    last = m.plain(r.trace[-1].state)["m"]
    assert set(last) == {_plain_record_key((0, False)), _plain_record_key((1, True))}


# =========================================================================== 6. empty maps in context

def test_empty_inner_maps_in_a_comprehension(tmp_path):
    # t[a] is a partial map per a; each of the 4 (a, b) entries is absent or 1:
    # 16 states; generated = 1 + sum over states of the absent entries = 1 + 4 * 2^3 = 33.
    path = _spec(tmp_path, "nested", """
spec Nested
type C = scalarset(2)
var t: map[C, pmap[C, 0..1]]
init { t = {c: {:} for c in C} }
action Set(a: C, b: C) when not has(t[a], b) { t[a][b] = 1 }
invariant Small = forall c in C: size(t[c]) <= 2
""")
    m = load(path, {}, None)
    init = m.init_states()
    assert len(init) == 1
    assert list(m.plain(init[0])["t"].values()) == [{}, {}]
    r = bfs(m, check_deadlock=False)
    assert (r.verdict, r.distinct, r.generated, r.depth) == ("ok", 16, 33, 5)


# =========================================================================== 7. declared let out of range

def test_declared_let_out_of_range_is_an_evaluation_error(tmp_path):
    path = _spec(tmp_path, "letrange", """
spec LetRange
var x: 0..3 = 0
action A {
  let y: 0..3 = 7
  x = y - 7
}
""")
    r = bfs(load(path, {}, None), check_deadlock=True)
    assert r.verdict == "error"
    assert r.exit_code == EXIT_EVAL_ERROR
    assert re.search(r"\by\b", r.message), r.message
    assert "7" in r.message
    proc = _cli(path, "--json", tmp_path=tmp_path)
    assert proc.returncode == EXIT_EVAL_ERROR, proc.stdout + proc.stderr
    data = _json(proc)
    assert data["verdict"] == "error" and re.search(r"\by\b", data["message"])


# =========================================================================== 8. map over a constant range

def test_map_comprehension_over_a_constant_range(tmp_path):
    # f: every subset of 0..K flipped on: 2^(K+1) states, K+1 Flip instances each.
    path = _spec(tmp_path, "rangemap", """
spec RangeMap
const K: int = 2
var f: map[0..K, bool] = {i: false for i in 0..K}
action Flip(i: 0..K) { f[i] = not f[i] }
invariant Total = size(f) == K + 1
""")
    for k in (2, 3):
        m = load(path, {"K": str(k)}, None)
        assert m.plain(m.init_states()[0]) == {"f": {i: False for i in range(k + 1)}}
        r = bfs(m, check_deadlock=True)
        n = 2 ** (k + 1)
        assert (r.verdict, r.distinct, r.generated, r.depth) == ("ok", n, 1 + n * (k + 1), k + 2)


# =========================================================================== 9. errors inside properties

ERROR_PROPS_SPEC = """
spec PropErrors
var x: 0..2 = 0
var o: option[0..1] = none
action A when x < 2 { x = x + 1 }
refuted invariant BadInv = x < 1 or get(o) == 0
refuted action property BadStep = x' == 0 or get(o) == 0
"""


@pytest.mark.slow
@pytest.mark.parametrize("prop", ["BadInv", "BadStep"])
def test_error_inside_a_property_is_an_evaluation_error(tmp_path, prop):
    # Both fail first on the step 0 -> 1 (x' == 1, get(none)).
    path = _spec(tmp_path, "properr", ERROR_PROPS_SPEC)
    m = load(path, {}, [prop])
    r = bfs(m, check_deadlock=False)
    assert r.verdict == "error"
    assert r.exit_code == EXIT_EVAL_ERROR
    assert "get" in r.message
    assert r.trace is not None
    assert _var(m, r.trace, "x") == [0, 1]
    assert r.trace[-1].action == "A"
    proc = _cli(path, "--json", "--invariant", prop, tmp_path=tmp_path)
    assert proc.returncode == EXIT_EVAL_ERROR, proc.stdout + proc.stderr
    data = _json(proc)
    assert data["verdict"] == "error"
    assert data["trace"] and Path(data["trace"]).is_file()
    assert data["trace_length"] == 2
    text = _cli(path, "--invariant", prop, tmp_path=tmp_path)
    assert text.returncode == EXIT_EVAL_ERROR
    assert "get" in text.stdout


# =========================================================================== 10. --max-states

def test_max_states_on_twophase(tmp_path):
    proc = _cli(TWOPHASE, "--json", "--max-states", "5", tmp_path=tmp_path)
    assert proc.returncode == EXIT_BOUND, proc.stdout + proc.stderr
    data = _json(proc)
    assert data["verdict"] == "incomplete"
    assert data["stopped_by"] == "max-states"
    assert data["distinct_states"] == 5


# =========================================================================== 11. action property, revisited target

def test_action_property_violation_on_a_visited_state(tmp_path):
    path = _spec(tmp_path, "monotone", """
spec Monotone
var x: 0..3 = 0
action Inc when x < 3 { x = x + 1 }
action Reset when x == 3 { x = 0 }
action property Up = x' >= x
""")
    m = load(path, {}, None)
    r = bfs(m, check_deadlock=True)
    assert (r.verdict, r.property, r.property_kind) == ("violation", "Up", "action")
    assert _var(m, r.trace, "x") == [0, 1, 2, 3, 0]
    assert [s.action for s in r.trace] == [None, "Inc", "Inc", "Inc", "Reset"]
    proc = _cli(path, "--json", tmp_path=tmp_path)
    assert proc.returncode == EXIT_VIOLATION
    assert _json(proc)["trace_length"] == 5


# =========================================================================== 12. constants that fail in untaken branches

def test_failing_constant_subexpression_in_an_untaken_branch(tmp_path):
    # With D = 0 every `6 / D`, `6 % D` and `0..(6 / D)` sits where it is never evaluated.
    path = _spec(tmp_path, "untaken", """
spec Untaken
const D: int = 0
const E: int = if D > 0 then 6 / D else 1
var x: 0..6 = 0
def ratio(): int = if D > 0 then 6 / D else 0
action A when x < 2 {
  if D > 0 {
    x = 6 / D
  } else {
    x = x + E
  }
}
action B when D > 0 and x in 0..(6 / D) and x > 5 { x = 6 % D }
invariant I = D == 0 or 6 / D >= 0
invariant J = ratio() == 0 and (D > 0 => x < 6 % D + 7)
""")
    m = load(path, {}, None)
    r = bfs(m, check_deadlock=False)
    assert (r.verdict, r.distinct, r.generated) == ("ok", 3, 3), r.message   # x = 0, 1, 2
    proc = _cli(path, "--json", "--no-deadlock", tmp_path=tmp_path)
    assert proc.returncode == EXIT_OK, proc.stdout + proc.stderr
    assert _json(proc)["verdict"] == "ok"
