"""Temporal properties under fairness (checker/engine/liveness.py) on small models whose
fair cycles are worked out by hand in the comments; each expected lasso below was
derived from the model, not copied from the checker's output.

A lasso is given as the states it visits (each a dict of variables) and the index
the cycle starts at; `closing` is the action that takes the last state back to that
index (None: the behaviour stutters there).
"""
from __future__ import annotations

import json
import random
from array import array

import networkx as nx
import numpy as np
import pytest

from _support import ROOT, run_cli
from checker.compile.model import load
from checker.engine.liveness import judge
from checker.engine.outcome import step_title
from checker.engine.search import bfs
from checker.engine.stategraph import StateGraph, graph_facts, reachable, strongly_connected

EXIT_LIVENESS = 13


def check(tmp_path, text, **bfs_options):
    """Load a spec, search it recording the graph (no deadlock check: a state with no
    successor stutters for ever, which is what these tests are about), judge it."""
    bfs_options.setdefault("check_deadlock", False)
    path = tmp_path / "spec.gdsl"
    path.write_text(text)
    model = load(path)
    judged = []
    # once with the states kept in the graph, once with only their marks (as
    # `modelcheck` records it: conditions.py): the verdicts and lassos must agree
    for keep_states in (True, False):
        graph = StateGraph(model, keep_states=keep_states)
        result = bfs(model, graph=graph, **bfs_options)
        assert result.verdict == "ok", result
        judged.append(judge(model, graph, result))
    kept, marked = judged
    assert (marked.verdict, marked.message, marked.loop) == (kept.verdict, kept.message, kept.loop)
    assert [(s.action, s.params, s.state) for s in marked.trace or ()] == \
        [(s.action, s.params, s.state) for s in kept.trace or ()]
    return model, kept


def lasso(model, result):
    """(visited states as dicts, loop index, closing action name or None)."""
    states = [model.plain(step.state) for step in result.trace]
    return states, result.loop, result.loop_step.action


# ---------------------------------------------------------------- eventually, weak fairness

COUNTER = """
spec Counter
var x: 0..2 = 0
action Inc when x < 2 { x = x + 1 }
temporal property ReachesTwo = eventually x == 2
"""


def test_eventually_fails_without_fairness_by_stuttering_at_the_start(tmp_path):
    model, result = check(tmp_path, COUNTER)
    assert result.verdict == "violation" and result.exit_code == EXIT_LIVENESS
    assert result.property == "ReachesTwo" and result.property_kind == "temporal"
    # nothing forces Inc: the behaviour may stay in x = 0 for ever
    assert lasso(model, result) == ([{"x": 0}], 0, None)


def test_eventually_holds_with_weak_fairness(tmp_path):
    _, result = check(tmp_path, COUNTER + "fairness weak Inc\n")
    assert result.verdict == "ok" and result.exit_code == 0


# ---------------------------------------------------------------- weak versus strong fairness

# Toggle flips x for ever; Finish is enabled only when x == 1, so Toggle keeps disabling it.
BLINK = """
spec Blink
var x: 0..1 = 0
var done: bool = false
action Toggle when not done { x = 1 - x }
action Finish when x == 1 and not done { done = true }
temporal property Done = eventually done
fairness weak Toggle
"""


def test_weak_fairness_is_not_enough_for_an_intermittently_enabled_action(tmp_path):
    model, result = check(tmp_path, BLINK + "fairness weak Finish\n")
    assert result.verdict == "violation"
    # The fair cycle x=0 -> x=1 -> x=0: Toggle is taken, Finish is not continuously enabled.
    states, loop, closing = lasso(model, result)
    assert states == [{"x": 0, "done": False}, {"x": 1, "done": False}]
    assert (loop, closing) == (0, "Toggle")
    assert [s.action for s in result.trace[1:]] == ["Toggle"]


def test_strong_fairness_rules_out_that_cycle(tmp_path):
    _, result = check(tmp_path, BLINK + "fairness strong Finish\n")
    assert result.verdict == "ok"


def test_without_fairness_the_first_state_stutters(tmp_path):
    model, result = check(tmp_path, BLINK.replace("fairness weak Toggle", ""))
    assert lasso(model, result) == ([{"x": 0, "done": False}], 0, None)


# ---------------------------------------------------------------- leads_to

SERVER = """
spec Server
var req: bool = false
var granted: bool = false
action Request when not req { req = true }
action Grant when req and not granted { granted = true }
action Reset when granted { req = false  granted = false }
temporal property Served = req ~> granted
"""


def test_leads_to_fails_when_the_answer_is_not_fair(tmp_path):
    model, result = check(tmp_path, SERVER)
    # Request, then nothing forces Grant: stutter with req and not granted.
    states, loop, closing = lasso(model, result)
    assert states == [{"req": False, "granted": False}, {"req": True, "granted": False}]
    assert (loop, closing) == (1, None)


def test_leads_to_holds_when_the_answer_is_fair(tmp_path):
    _, result = check(tmp_path, SERVER.replace("req ~> granted", "req leads_to granted")
                      + "fairness weak Grant\n")
    assert result.verdict == "ok"


# ---------------------------------------------------------------- always eventually

# From 1 the behaviour may go up to 2 and back down to 1 for ever without going Home.
BOUNCE = """
spec Bounce
var x: 0..2 = 0
action Up when x < 2 { x = x + 1 }
action Down when x == 2 { x = 1 }
action Home when x == 1 { x = 0 }
fairness weak Up, Down
temporal property BackHome = always eventually x == 0
"""


def test_always_eventually_fails_with_a_two_state_cycle(tmp_path):
    model, result = check(tmp_path, BOUNCE + "fairness weak Home\n")
    # Region x != 0 = {1, 2}, one component; no group is enabled in both states (Up
    # only at 1, Down at 2, Home at 1), so the cycle 1 -> 2 -> 1 is weakly fair.
    states, loop, closing = lasso(model, result)
    assert states == [{"x": 0}, {"x": 1}, {"x": 2}]
    assert (loop, closing) == (1, "Down")
    assert [s.action for s in result.trace[1:]] == ["Up", "Up"]


def test_always_eventually_holds_with_strong_fairness_on_the_way_home(tmp_path):
    _, result = check(tmp_path, BOUNCE + "fairness strong Home\n")
    assert result.verdict == "ok"


# ---------------------------------------------------------------- eventually always

FLIP = """
spec Flip
var x: 0..1 = 0
action Flip { x = 1 - x }
fairness weak Flip
temporal property Settles = eventually always x == 1
"""


def test_eventually_always_fails_when_the_bad_state_comes_back(tmp_path):
    model, result = check(tmp_path, FLIP)
    states, loop, closing = lasso(model, result)
    assert states == [{"x": 0}, {"x": 1}] and (loop, closing) == (0, "Flip")


def test_eventually_always_holds_when_the_system_settles(tmp_path):
    _, result = check(tmp_path, FLIP.replace("action Flip { x = 1 - x }",
                                             "action Flip when x == 0 { x = 1 }"))
    # x = 1 then stutters for ever: fine, it is a good state.
    assert result.verdict == "ok"


# ---------------------------------------------------------------- per-instance fairness, conditions

# Each worker may work again and again; `fairness weak Work` is satisfied by either.
WORKERS = """
spec Workers
type Id = scalarset(2)
var seen: map[Id, bool] = {i: false for i in Id}
var phase: map[Id, 0..1] = {i: 0 for i in Id}
action Work(i: Id) { phase[i] = 1 - phase[i]  seen[i] = true }
temporal property AllSeen = eventually (forall i in Id: seen[i])
"""


def test_fairness_of_the_whole_action_lets_one_instance_starve(tmp_path):
    model, result = check(tmp_path, WORKERS + "fairness weak Work\n")
    # Id1 works for ever: Work as a whole is taken, Work(Id2) never is.
    states, loop, closing = lasso(model, result)
    assert states == [{"seen": {"Id1": False, "Id2": False}, "phase": {"Id1": 0, "Id2": 0}},
                      {"seen": {"Id1": True, "Id2": False}, "phase": {"Id1": 1, "Id2": 0}},
                      {"seen": {"Id1": True, "Id2": False}, "phase": {"Id1": 0, "Id2": 0}}]
    assert (loop, closing) == (1, "Work")
    assert all(dict(s.params) == {"i": 0} for s in result.trace[1:] + [result.loop_step])


def test_fairness_per_instance_serves_every_worker(tmp_path):
    _, result = check(tmp_path, WORKERS + "fairness weak Work(i)\n")
    assert result.verdict == "ok"


# Pass is possible all the time, but its fairness may be restricted to open gates.
GATE = """
spec Gate
var open: bool = false
var passed: bool = false
action Toggle when not passed { open = not open }
action Pass when not passed { passed = true }
fairness weak Toggle
temporal property Passes = eventually passed
"""


def test_a_fairness_condition_restricts_the_action(tmp_path):
    _, result = check(tmp_path, GATE + "fairness weak Pass\n")
    assert result.verdict == "ok"                  # enabled throughout: it happens
    model, result = check(tmp_path, GATE + "fairness weak Pass when open\n")
    # the gate closes again before Pass must happen: cycle closed -> open -> closed
    states, loop, closing = lasso(model, result)
    assert states == [{"open": False, "passed": False}, {"open": True, "passed": False}]
    assert (loop, closing) == (0, "Toggle")
    _, result = check(tmp_path, GATE + "fairness strong Pass when open\n")
    assert result.verdict == "ok"                  # open infinitely often: it happens


def test_states_outside_the_constraints_are_not_judged(tmp_path):
    never = COUNTER.replace("eventually x == 2", "eventually x == 5") + "fairness weak Inc\n"
    # x == 5 never holds: the behaviour 0, 1, 2 then stutters in 2, where nothing is enabled
    model, result = check(tmp_path, never)
    assert lasso(model, result) == ([{"x": 0}, {"x": 1}, {"x": 2}], 2, None)
    # with x = 2 outside the constraints, it is not stored and not judged; Inc is
    # still enabled in x = 1 (its step leaves the constrained space), so stuttering
    # there is unfair: nothing is reported (as TLC, whose ENABLED ignores constraints)
    _, result = check(tmp_path, never + "constraint Small = x < 2\n")
    assert result.verdict == "ok"


def test_the_edge_of_the_constraints_as_tlc_judges_it(tmp_path):
    # TLC's liveness graph holds no state outside the constraints (Worker.isSeenState
    # is never called for them), but ENABLED is evaluated on the spec: in x = 1, Inc
    # is enabled (its step goes to x = 2, outside), so stuttering there for ever is
    # unfair under `fairness weak Inc`, and not a counterexample ...
    never = COUNTER.replace("eventually x == 2", "eventually x == 5") + "constraint Small = x < 2\n"
    model, result = check(tmp_path, never + "fairness weak Inc\n")
    assert result.verdict == "ok"
    graph = StateGraph(model)
    bfs(model, graph=graph, check_deadlock=False)
    assert len(graph) == 2 and list(graph.targets) == [1]            # 0 -> 1 only
    assert [graph.label_keys[k][0] for k in graph.outside_labels] == [0]   # 1 -> 2, kept apart
    assert list(graph.outside_starts) == [0, 0, 1]
    # ... nor with the fairness condition true there; false there, Inc counts as
    # disabled in 1 and the behaviour that stutters in 1 violates the property
    _, result = check(tmp_path, never + "fairness weak Inc when x < 5\n")
    assert result.verdict == "ok"
    model, result = check(tmp_path, never + "fairness weak Inc when x < 1\n")
    assert lasso(model, result) == ([{"x": 0}, {"x": 1}], 1, None)
    # without fairness, the behaviour may stutter in 0 at once
    model, result = check(tmp_path, never)
    assert lasso(model, result) == ([{"x": 0}], 0, None)


def test_workers_record_the_steps_outside_the_constraints_alike(tmp_path):
    text = COUNTER.replace("0..2", "0..6").replace("x < 2", "x < 6").replace("x == 2", "x == 6") + """
var y: 0..6 = 0
action IncY when y < 6 { y = y + 1 }
fairness weak Inc
fairness weak IncY when x > 0
constraint Small = x + y < 5
"""
    path = tmp_path / "spec.gdsl"
    path.write_text(text)
    model = load(path)
    graphs = []
    for workers in (1, 2, 3):
        graph = StateGraph(model, keep_states=False)
        result = bfs(model, graph=graph, check_deadlock=False, workers=workers)
        # stored: the 15 states with x + y < 5; generated outside: two steps from each
        # of the 5 with x + y == 4
        assert (result.distinct, result.constrained) == (15, 10)
        graphs.append((list(graph.starts), list(graph.targets), list(graph.outside_starts),
                       [graph.label_keys[k] for k in graph.outside_labels], list(graph.outside_marks),
                       [graph.label_keys[k] for k in graph.labels], list(graph.step_marks)))
    assert graphs[0] == graphs[1] == graphs[2]
    # coverage counts every step an action generated, outside the constraints too
    facts = graph_facts(graph)["coverage"]
    assert facts["Inc"]["steps"] == facts["IncY"]["steps"] == 15      # one from each stored state
    assert facts["Inc"]["distinct"] + facts["IncY"]["distinct"] == 14   # every stored state but (0, 0)


def test_a_failing_condition_is_an_evaluation_error(tmp_path):
    _, result = check(tmp_path, COUNTER.replace("eventually x == 2", "eventually 4 / x == 2"))
    assert result.verdict == "error" and result.exit_code == 75
    assert "division by zero" in result.message and "temporal property ReachesTwo" in result.message


def test_a_failing_fairness_condition_is_an_evaluation_error_where_it_is_read(tmp_path):
    never = COUNTER.replace("eventually x == 2", "eventually x == 5")
    # Inc's condition fails on the step from x = 0; the check reads it there (is a
    # fair group enabled in 0?) and reports it with the state it failed in
    model, result = check(tmp_path, never + "fairness weak Inc when 4 / x > 0\n")
    assert result.verdict == "error" and "division by zero" in result.message
    assert "fairness condition of Inc" in result.message
    assert model.plain(result.trace[-1].state) == {"x": 0}


# ---------------------------------------------------------------- the CLI: exit code, ITF, text

def test_cli_exit_13_readable_lasso_and_itf_loop(tmp_path):
    spec = tmp_path / "bounce.gdsl"
    spec.write_text(BOUNCE + "fairness weak Home\n")
    proc = run_cli(spec, "--out", tmp_path / "cx")
    assert proc.returncode == EXIT_LIVENESS, proc.stdout + proc.stderr
    assert "Error: Temporal property BackHome is violated." in proc.stdout
    assert "Then Down leads back to state 2: states 2 to 3 repeat forever." in proc.stdout
    trace = json.loads((tmp_path / "cx" / "Bounce" / "BackHome.itf.json").read_text())
    assert trace["loop"] == 1
    assert [s["x"]["#bigint"] for s in trace["states"]] == ["0", "1", "2"]
    assert [s["mbt::actionTaken"] for s in trace["states"]] == ["init", "Up", "Up"]
    assert trace["#meta"]["loop-step"]["action"] == "Down"


def test_cli_json_has_the_loop(tmp_path):
    spec = tmp_path / "counter.gdsl"
    spec.write_text(COUNTER)
    proc = run_cli(spec, "--json", "--no-deadlock", "--out", tmp_path / "cx")
    data = json.loads(proc.stdout)
    assert data["exit_code"] == EXIT_LIVENESS and data["verdict"] == "violation"
    assert data["property_kind"] == "temporal" and data["loop"] == 0 and data["trace_length"] == 1


def test_stutter_text(tmp_path):
    spec = tmp_path / "counter.gdsl"
    spec.write_text(COUNTER)
    proc = run_cli(spec, "--no-deadlock", "--out", tmp_path / "cx")
    assert "Then nothing changes any more (stuttering): the behaviour stays in state 1 forever." \
        in proc.stdout


def test_incomplete_search_does_not_judge_temporal_properties(tmp_path):
    spec = tmp_path / "counter.gdsl"
    spec.write_text(COUNTER)
    proc = run_cli(spec, "--max-states", "2", "--no-deadlock")
    assert proc.returncode == 3
    assert "temporal properties were not checked" in proc.stdout


def test_skip_leaves_a_temporal_property_out(tmp_path):
    spec = tmp_path / "counter.gdsl"
    spec.write_text(COUNTER)
    assert run_cli(spec, "--skip", "ReachesTwo", "--no-deadlock").returncode == 0


# ---------------------------------------------------------------- the array algorithms vs networkx

def _arrays(n, edges):
    adj = [[] for _ in range(n)]
    for a, b in edges:
        adj[a].append(b)
    starts, targets = array("q", [0]), array("i")
    for v in range(n):
        targets.extend(adj[v])
        starts.append(len(targets))
    return starts, targets


@pytest.mark.parametrize("seed", range(5))
def test_strongly_connected_agrees_with_networkx(seed):
    rng = random.Random(seed)
    for _ in range(60):
        n = rng.randint(1, 40)
        edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, 3 * n))]
        inside = bytearray(rng.random() < 0.8 for _ in range(n))
        starts, targets = _arrays(n, edges)
        got = []
        count = strongly_connected(starts, targets, inside, lambda c: got.append(frozenset(c)))
        g = nx.DiGraph()
        g.add_nodes_from(v for v in range(n) if inside[v])
        g.add_edges_from((a, b) for a, b in edges if inside[a] and inside[b])
        want = {frozenset(c) for c in nx.strongly_connected_components(g)}
        assert set(got) == want and count == len(got) == len(want)
        src = [v for v in range(n) if rng.random() < 0.2]
        seen = reachable(starts, targets, src, inside)
        expect = set().union(*(nx.descendants(g, s) | {s} for s in src if inside[s]))
        assert {v for v in range(n) if seen[v]} == expect


# ---------------------------------------------------------------- the group spec (CONSUMERS=2, ~4 s each)

GROUP = ROOT / "spec" / "group.gdsl"


@pytest.mark.slow
def test_group_eventually_stable_holds_with_two_consumers():
    model = load(GROUP, {"CONSUMERS": "2"})
    graph = StateGraph(model)
    result = judge(model, graph, bfs(model, graph=graph))
    assert result.verdict == "ok" and result.distinct == 100606   # 61,506 before Kafka's random member ids (issue 20), 97,724 before K6 (issue 21)


@pytest.mark.slow
def test_group_without_the_pending_sync_timeout_stalls_as_kafka_12890():
    """KAFKA-12890 (reference §4.2, §14 #1): the leader heartbeats, never syncs, and
    the follower waits for ever in CompletingRebalance."""
    model = load(GROUP, {"CONSUMERS": "2", "FIX_KAFKA_12890": "false"})
    graph = StateGraph(model)
    result = judge(model, graph, bfs(model, graph=graph))
    assert result.verdict == "violation" and result.property == "EventuallyStable"
    last = model.plain(result.trace[-1].state)
    leader = next(c for c, lead in last["isLeader"].items() if lead is not None)
    follower = next(c for c in last["client"] if c != leader)
    assert last["groupState"] == "CompletingRebalance"
    assert last["client"][leader] == "COMPLETING_REBALANCE" and last["waiting"][leader] is None
    assert last["waiting"][follower] == "SyncGroup"
    assert any(m["awaitingSync"] for m in last["members"].values())
    # the cycle is that one state: the leader's heartbeat, which changes nothing
    assert result.loop == len(result.trace) - 1
    assert result.loop_step.action == "SendHeartbeat"
    assert model.plain(result.trace[-1].state) == last
    assert step_title(model, result.loop_step) == f"SendHeartbeat(c={leader})"
    sent_sync = [s for s in result.trace if s.action == "SendSyncGroup"]
    assert not sent_sync                   # the leader never sends its SyncGroup


@pytest.mark.slow
def test_enabled_groups_read_from_arrays_agree_with_walking_each_states_steps():
    """Fairness.any_enabled reads arrays computed for the whole graph at once; here
    against the definition, enabled(v) != set(), on a graph with `when` conditions."""
    from checker.engine.liveness import Fairness
    model = load(GROUP, {"CONSUMERS": "2", "FIX_KAFKA_12890": "false"})
    graph = StateGraph(model, keep_states=False)
    assert bfs(model, graph=graph).verdict == "ok"
    fairness = Fairness(model, graph)
    assert any(conditional for _, conditional in fairness.by_label)
    answers = [fairness.any_enabled(v) for v in range(len(graph))]
    assert answers == [fairness.enabled(v) != set() for v in range(len(graph))]
    assert 0 < sum(answers) < len(graph)


# ---------------------------------------------------------------- large components, judged from arrays

@pytest.mark.parametrize("case", [test_weak_fairness_is_not_enough_for_an_intermittently_enabled_action,
                                  test_strong_fairness_rules_out_that_cycle,
                                  test_always_eventually_holds_with_strong_fairness_on_the_way_home,
                                  test_fairness_per_instance_serves_every_worker,
                                  test_a_fairness_condition_restricts_the_action],
                         ids=lambda f: f.__name__[5:])
@pytest.mark.parametrize("arrays", [True, False], ids=["from arrays", "state by state"])
def test_components_judged_from_arrays_or_state_by_state_give_the_same_answers(case, arrays, tmp_path, monkeypatch):
    """Components of several states are judged from arrays, all at once
    (Fairness.components_groups, and component_groups from LARGE_COMPONENT states in
    fair_parts); the state-by-state code (enabled()/taken()) is the definition. Each
    case's assertions (lassos, holding) hold either way."""
    import checker.engine.liveness as liveness
    calls = []
    real = liveness.Fairness.components_groups
    if arrays:
        monkeypatch.setattr(liveness, "LARGE_COMPONENT", 1)
        monkeypatch.setattr(liveness.Fairness, "components_groups",
                            lambda self, comps: calls.append(len(comps)) or real(self, comps))
    else:
        monkeypatch.setattr(liveness, "LARGE_COMPONENT", 10 ** 9)
        monkeypatch.setattr(liveness.Fairness, "components_groups", lambda self, comps: calls.append(0))
    case(tmp_path)
    assert calls                           # components of several states were judged


@pytest.mark.slow
def test_component_groups_agree_with_each_states_groups():
    """component_groups against enabled()/taken() state by state, on the group spec's
    components (CONSUMERS=2, KAFKA-12890 unfixed: `when` conditions, strong and weak)."""
    from checker.engine.liveness import Fairness, _groups_in
    model = load(GROUP, {"CONSUMERS": "2", "FIX_KAFKA_12890": "false"})
    graph = StateGraph(model, keep_states=False)
    assert bfs(model, graph=graph).verdict == "ok"
    fairness = Fairness(model, graph)
    comps = []
    graph.components(graph.starts, graph.targets, b"\x01" * len(graph), comps.append)
    big = [c for c in comps if len(c) > 1]
    assert big
    for comp in big[:200]:
        enabled, taken = fairness.component_groups(comp)
        by_state, taken_set = _groups_in(graph, fairness, comp)
        assert [set(np.flatnonzero(row).tolist()) for row in enabled] == [by_state[v] for v in comp]
        assert set(np.flatnonzero(taken).tolist()) == taken_set
