"""Issue 8's engine: the fingerprint visited set, several worker processes giving the
one-process answers, symmetry reduction in the search, and the memory limit."""
from __future__ import annotations

import random
from collections import deque
import tempfile
from pathlib import Path

import numpy as np
import pytest

from checker.lang.errors import EvalError
from checker.engine.search import bfs
from checker.engine.fingerprints import FingerprintTable, collision_probability
from checker.compile.model import compile_model, load, load_spec
from checker.compile.modelfile import compile_model_file, load_model_file
from checker.compile.symmetry import symmetry_of

from _support import (DIEHARD, EXIT_BAD_INPUT, EXIT_BOUND, ROOT, TCOMMIT, TWOPHASE, one_json_object,
                      reachable, run_cli)


# ---- the visited set

class _OneHome(FingerprintTable):
    """Every key's probe starts at slot 0: the longest chains, every key competing."""

    def _home(self, keys):
        return np.zeros(len(keys), np.int64)


@pytest.mark.slow
@pytest.mark.parametrize("table_type, numbered", [(FingerprintTable, True), (_OneHome, True),
                                                  (FingerprintTable, False)])
def test_fingerprint_table_numbers_keys_like_a_dict(table_type, numbered):
    """Random batches with repeats, within a batch and across batches, against a dict;
    small initial capacity so that the table grows many times. Unnumbered: a shard of
    a visited set split between processes, which keeps no fingerprints in order and
    grows from its slots."""
    rng = random.Random(7)
    table, oracle = table_type(16, numbered=numbered, ordered=numbered), {}
    pool = [rng.randrange(-2**63, 2**63) for _ in range(5000)] + [1, -1, -2**63, 2**63 - 1]
    for _ in range(60):
        keys = [rng.choice(pool) for _ in range(rng.randrange(0, 700))]
        new = table.add(np.array(keys, np.int64))
        expected = []
        for pos, k in enumerate(keys):
            if k not in oracle:
                oracle[k] = len(oracle)
                expected.append(pos)
        assert new.tolist() == expected
    assert len(table) == len(oracle)
    keys = np.array(list(oracle), np.int64)
    if numbered:
        assert table.numbers_of(keys).tolist() == list(oracle.values())
        assert table.fps[:len(table)].tolist() == list(oracle)
    else:
        assert table.fps is None and table.numbers is None
    assert table.contains(np.array([12345678901, 42] + list(oracle)[:3], np.int64)).tolist() == \
        [12345678901 in oracle, 42 in oracle, True, True, True]


def test_collision_probability_is_tlcs_estimate():
    assert collision_probability(10, 10) == 0.0
    assert collision_probability(2**20, 2**20 + 2**12) == pytest.approx(2.0**32 / 2.0**64)


def test_visited_set_stays_under_64_bytes_a_state():
    r = bfs(load(TWOPHASE, {"RM": "5"}, ["TPTypeOK"]))
    assert r.distinct == 8832
    assert 0 < r.visited_bytes / r.distinct <= 64


# ---- workers: the same answers as one process

def _outcome(r):
    return (r.verdict, r.property, r.distinct, r.generated, r.depth, r.queue_left, r.stopped_by,
            [(s.action, s.params, s.state) for s in r.trace or []])


def _model_file(name):
    return compile_model_file(load_model_file(ROOT / "models" / "bugs" / f"{name}.toml"), {}, [], [])


def _deadlocking():
    """Counters that may each go up to 3 (and from 2 to 0); stuck when both are at 3."""
    path = Path(tempfile.mkdtemp()) / "stuck.gdsl"
    path.write_text("""spec Stuck
var a: 0..3
var b: 0..3
init { a = 0  b = 0 }
action A when a < 3 { a = a + 1 }
action B when b < 3 { b = b + 1 }
action Back when a == 2 and b == 2 { a = 0 }
""")
    return load(path, {}, None)


CASES = {
    "diehard": lambda: (load(DIEHARD, {}, None), {}),
    "tcommit": lambda: (load(TCOMMIT, {}, None), {"check_deadlock": False}),
    "twophase-5": lambda: (load(TWOPHASE, {"RM": "5"}, None), {}),
    "twophase-max-states": lambda: (load(TWOPHASE, {"RM": "4"}, None), {"max_states": 777}),
    "twophase-max-depth": lambda: (load(TWOPHASE, {"RM": "4"}, None), {"max_depth": 6}),
    "deadlock": lambda: (_deadlocking(), {"check_deadlock": True}),
    "group-two-consumers": lambda: (compile_model(load_spec(ROOT / "spec" / "group.gdsl", {"CONSUMERS": "2"}),
                                                  None, skip=["EventuallyStable"]), {}),
    "KAFKA-8500": lambda: _model_file("KAFKA-8500"),
    "KAFKA-10614 (action property)": lambda: _model_file("KAFKA-10614"),
    "KAFKA-2555": lambda: _model_file("KAFKA-2555"),
}


def _case(name):
    """A model and its search options (a model file's, without its symmetry switch)."""
    model, opts = CASES[name]()
    return model, {k: v for k, v in opts.items() if k in ("max_states", "max_depth", "check_deadlock")}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_two_workers_give_the_counts_and_trace_of_one(case):
    model, opts = _case(case)
    one = bfs(model, workers=1, **opts)
    two = bfs(model, workers=2, **opts)
    three = bfs(model, workers=3, **opts)
    assert _outcome(two) == _outcome(one)
    assert _outcome(three) == _outcome(one)


def test_the_cases_cover_every_kind_of_stop():
    outcomes = set()
    for case in ("diehard", "twophase-max-states", "twophase-max-depth", "deadlock",
                 "KAFKA-10614 (action property)"):
        model, opts = _case(case)
        r = bfs(model, **opts)
        outcomes.add((r.verdict, r.property_kind or r.stopped_by))
    assert outcomes == {("violation", "invariant"), ("incomplete", "max-states"),
                        ("incomplete", "max-depth"), ("deadlock", "deadlock"), ("violation", "action")}


def test_a_spec_error_is_reported_the_same_by_workers(tmp_path):
    path = tmp_path / "overflow.gdsl"
    path.write_text("""spec Overflow
var x: 0..3
init { x = 0 }
action Up { x = x + 1 }
""")
    model = load(path, {}, None)
    one, two = bfs(model, workers=1), bfs(model, workers=2)
    assert one.verdict == "error"
    assert _outcome(two) == _outcome(one) and two.message == one.message


# ---- symmetry reduction in the search

def _orbits(model, sym):
    """The number of orbits of the reachable states, by brute force (no canonical())."""
    states = reachable(model)
    orbits, seen = 0, set()
    for s in states:
        if s not in seen:
            orbits += 1
            seen.update(sym.permute(s, p) for p in sym.permutations())
    return orbits


@pytest.mark.parametrize("rm", ["3", "4"])
def test_symmetric_search_finds_one_state_per_orbit(rm):
    model = load(TWOPHASE, {"RM": rm}, None)
    sym = symmetry_of(model)
    r = bfs(model, symmetry=sym)
    assert r.verdict == "ok"
    assert r.distinct == _orbits(model, sym)
    assert r.distinct < bfs(model).distinct


MUTEX = """spec Mutex
const N: int = 3
type Proc = scalarset(N)
enum Pc { idle, waiting, critical }
var pc: map[Proc, Pc]
var turn: option[Proc]
init {
  pc = {p: idle for p in Proc}
  turn = none
}
action Ask(p: Proc) when pc[p] == idle { pc[p] = waiting }
action Enter(p: Proc) when pc[p] == waiting and turn == none { pc[p] = critical  turn = some(p) }
action Sneak(p: Proc) when pc[p] == waiting and turn != none and turn != some(p) { pc[p] = critical }
action Exit(p: Proc) when pc[p] == critical { pc[p] = idle  turn = none }
invariant OneInCritical = forall p, q in Proc: (pc[p] == critical and pc[q] == critical) => p == q
"""


def test_symmetric_search_gives_a_shortest_concrete_trace(tmp_path):
    path = tmp_path / "mutex.gdsl"
    path.write_text(MUTEX)
    model = load(path, {}, None)
    sym = symmetry_of(model)
    assert sym is not None and sym.unsound_reason is None
    full, reduced = bfs(model), bfs(model, symmetry=sym)
    assert reduced.verdict == full.verdict == "violation"
    assert len(reduced.trace) == len(full.trace)
    assert reduced.distinct < full.distinct
    for a, b in zip(reduced.trace, reduced.trace[1:]):      # every step a real step of the spec
        assert b.state in model.successors(a.state)
    assert model.check_invariants(reduced.trace[-1].state) == 0
    two = bfs(model, symmetry=sym, workers=2)
    assert _outcome(two) == _outcome(reduced)


def test_cli_symmetry_on_by_default_and_off_on_request():
    on = one_json_object(run_cli(TWOPHASE, "--const", "RM=4", "--json", "--out", "/dev/null").stdout)
    off = one_json_object(run_cli(TWOPHASE, "--const", "RM=4", "--json", "--no-symmetry").stdout)
    assert off["distinct_states"] == 1568          # TLC's count for RM=4, no symmetry
    assert on["distinct_states"] == 166             # the orbits (test_symmetry counts them by brute force)
    text = run_cli(TWOPHASE, "--const", "RM=4").stdout
    assert "Symmetry: on, one state per orbit of ResourceManager (4! permutations)" in text


def test_cli_says_why_symmetry_is_off_for_the_group_spec():
    text = run_cli(ROOT / "spec" / "group.gdsl", "--const", "CONSUMERS=2", "--max-states", "10").stdout
    assert "Symmetry: off, because " in text and "spec/group.gdsl:" in text and "the scalarset Consumer" in text


# ---- limits

def test_memory_limit_stops_with_a_partial_summary():
    p = run_cli(TWOPHASE, "--const", "RM=6", "--memory-limit", "0.0001", "--no-symmetry")
    assert p.returncode == EXIT_BOUND
    assert "out of memory" in p.stdout
    assert "states generated" in p.stdout


@pytest.mark.parametrize("bad", ["0", "-1", "two"])
def test_bad_workers_value_names_the_option(bad):
    p = run_cli(DIEHARD, "--workers", bad)
    assert p.returncode == EXIT_BAD_INPUT
    assert "--workers" in p.stderr


def test_workers_do_not_change_what_the_cli_reports():
    outs = [one_json_object(run_cli(TWOPHASE, "--const", "RM=5", "--json", "--no-symmetry",
                                    "--workers", w).stdout) for w in ("1", "2")]
    keep = ("verdict", "distinct_states", "states_generated", "depth")
    assert {k: outs[1][k] for k in keep} == {k: outs[0][k] for k in keep}
    assert outs[0]["distinct_states"] == 8832


@pytest.mark.slow
def test_workers_record_the_same_state_graph_and_liveness_verdict():
    from checker.engine.liveness import search
    from checker.engine.stategraph import StateGraph
    model, _ = _model_file("KAFKA-12890")
    graphs = []
    for workers in (1, 2):
        graph = StateGraph(model)
        r, graph = search(model, graph, workers=workers)
        graphs.append((r, graph))
    (one, g1), (two, g2) = graphs
    assert one.verdict == two.verdict == "violation" and one.property_kind == "temporal"
    assert _outcome(two) == _outcome(one) and two.loop == one.loop
    assert list(g1.parent) == list(g2.parent) and g1.states == g2.states
    assert list(g1.starts) == list(g2.starts) and list(g1.targets) == list(g2.targets)
    assert [g1.label_keys[i] for i in g1.labels] == [g2.label_keys[i] for i in g2.labels]
    assert bytes(g1.expanded) == bytes(g2.expanded)
    assert bytes(g1.state_marks) == bytes(g2.state_marks) and g1.step_marks == g2.step_marks


@pytest.mark.slow
def test_a_graph_without_states_gives_the_same_marks_and_lasso_with_any_workers():
    """What `modelcheck` records for its liveness check: marks, not states (conditions.py)."""
    from checker.engine.liveness import search
    from checker.engine.stategraph import StateGraph
    model, _ = _model_file("KAFKA-12890")
    kept = StateGraph(model)
    with_states, kept = search(model, kept, workers=1)
    assert kept.states is not None and len(kept.states) == len(kept)
    for workers in (1, 2):
        r, g = search(model, workers=workers)
        assert g.states is None and len(g) == len(kept)
        assert bytes(g.state_marks) == bytes(kept.state_marks) and g.step_marks == kept.step_marks
        assert r.loop == with_states.loop and r.message == with_states.message
        assert [s.state for s in r.trace] == [s.state for s in with_states.trace]
        assert r.loop_step.action == with_states.loop_step.action
        assert [g.state(v) for v in (0, len(g) // 2, len(g) - 1)] == \
            [kept.states[v] for v in (0, len(g) // 2, len(g) - 1)]


# ---- invariants checked after a step

@pytest.mark.slow
@pytest.mark.parametrize("name", ["KAFKA-8500", "KAFKA-10284", "KAFKA-9801"])
def test_invariants_after_a_step_agree_with_checking_them_all(name):
    """check_invariants_after(p, t) evaluates only the invariants whose variables the
    step p -> t changed: for every step from a state that satisfies all of them (up to
    the first violations) it gives what check_invariants(t) gives, violations included."""
    model, _ = _model_file(name)
    model = compile_model(model.checked)          # every invariant and lemma of the spec
    _agree_on_a_walk(model, lambda p, t: model.check_invariants(t), model.check_invariants_after)


def _agree_on_a_walk(model, whole, partial, from_state=lambda p: None):
    """Walk the model breadth-first from its initial states through states where
    `whole(p, t)` is -1, for up to 40,000 steps p -> t, asserting that `partial`
    gives the same answer on each; the walk must meet violations."""
    seen, todo, steps, violations = set(), deque(model.init_states()), 0, 0
    while todo and steps < 40_000:
        p = todo.popleft()
        from_state(p)
        for t in model.successors(p):
            steps += 1
            answer = whole(p, t)
            assert partial(p, t) == answer
            violations += answer >= 0
            if answer == -1 and t not in seen:
                seen.add(t)
                todo.append(t)
    assert violations > 0 and steps >= 10_000


def test_an_invariant_over_unchanged_variables_is_not_evaluated_again(tmp_path):
    """An invariant that would fail (here: divide by zero) when evaluated is not
    evaluated after a step that keeps its variables, and is after one that changes them."""
    path = tmp_path / "skip.gdsl"
    path.write_text("""spec Skip
var a: 0..3
var b: 0..3
init { a = 1  b = 0 }
action A when a < 3 { a = a + 1 }
invariant Divides = 6 / a > 0 or b > 0
""")
    model = load(path, {}, None)
    p = (1, 0)
    assert model.check_invariants_after(p, (1, 0)) == -1
    with pytest.raises(EvalError, match="division by zero"):
        model.check_invariants_after(p, (0, 0))


@pytest.mark.parametrize("workers", [1, 2])
def test_invariants_the_types_decide_are_not_evaluated(workers):
    """TwoPhase's TPTypeOK holds in every state of its types: the search evaluates no
    invariant at all (a check_invariants that raises is never called), and says it
    checked TPTypeOK; with TCConsistent beside it, invariants are evaluated again."""
    decided = load(TWOPHASE, {"RM": "3"}, ["TPTypeOK"])
    assert decided.invariants_decided and [p.name for p in decided.invariants] == ["TPTypeOK"]

    def never(*states):
        raise AssertionError("an invariant was evaluated")
    decided.check_invariants = decided.check_invariants_after = never
    r = bfs(decided, workers=workers)
    assert (r.verdict, r.distinct) == ("ok", 288)
    both = load(TWOPHASE, {"RM": "3"}, ["TPTypeOK", "TCConsistent"])
    assert not both.invariants_decided
    both.check_invariants_after = never
    with pytest.raises(AssertionError, match="evaluated"):
        bfs(both, workers=1)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["KAFKA-2555", "KAFKA-10614", "KAFKA-14196"])
def test_action_properties_of_a_moving_step_agree_with_checking_them_all(name):
    """check_steps_moving(s, t), for a state s whose stuttering step satisfies every
    action property, evaluates only the properties whose variables the step changes:
    it gives what check_steps(s, t) gives, violations included."""
    model, _ = _model_file(name)
    model = compile_model(model.checked)

    def stutters(p):
        assert model.check_steps(p, p) == -1
    _agree_on_a_walk(model, model.check_steps, model.check_steps_moving, stutters)


def test_a_stuttering_step_that_breaks_an_action_property_is_still_checked(tmp_path):
    """`x' > x` fails on the stuttering step: the steps from such a state are checked
    in full, so a step that leaves x alone is still reported."""
    path = tmp_path / "grow.gdsl"
    path.write_text("""spec Grow
var x: 0..3
var y: 0..3
init { x = 0  y = 0 }
action X when x < 3 { x = x + 1 }
action Y when y < 3 { y = y + 1 }
action property Grows = x' > x
""")
    r = bfs(load(path, {}, None))
    assert (r.verdict, r.property, len(r.trace)) == ("violation", "Grows", 2)
    assert r.trace[-1].action == "Y"
