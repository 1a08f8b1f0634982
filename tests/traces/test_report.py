"""Traces a person reads (checker/traces/report.py): per-entry diffs of maps, sets and
records, long values folded, faults and timers named, the group spec's states grouped
by coordinator and consumer, whole states on request, no line wider than 160."""
from __future__ import annotations

import pytest

from checker.compile.model import load
from checker.traces.fold import fold
from checker.traces.report import WIDTH, budget_text

from _support import ROOT, run_cli

SMALL = """spec Small
enum Node { A, B }
record Box { size: 0..3, open: bool }
var m: map[Node, 0..3]
var s: set[0..3]
var b: Box
init { m = {n: 0 for n in Node}
       s = {}
       b = Box(size: 0, open: false) }
action Grow(n: Node) when m[n] < 3 { m[n] = m[n] + 1
                                      s = s union {m[n]}
                                      b.size = m[n] }
"""


@pytest.fixture(scope="module")
def bug_models_output(tmp_path_factory):
    """The default output of every bug model (one run over the directory)."""
    proc = run_cli(ROOT / "models" / "bugs", "--quiet", "--out", tmp_path_factory.mktemp("traces"), timeout=300)
    assert proc.returncode == 12 or proc.returncode == 13, proc.stderr
    return proc.stdout


@pytest.mark.slow            # one CLI run over the twelve bug models: ~26 s
def test_no_line_of_any_bug_models_default_output_is_wider_than_160(bug_models_output):
    assert bug_models_output.count("The behavior up to this point is:") + \
        bug_models_output.count("ending in a cycle") == 12, "every bug model printed its trace"
    wide = [line for line in bug_models_output.splitlines() if len(line) > WIDTH]
    assert not wide, f"{len(wide)} lines over {WIDTH}: {wide[0][:200]}"


@pytest.mark.slow            # one CLI run over the twelve bug models: ~26 s
def test_faults_and_timers_are_named_in_step_titles(bug_models_output):
    # KAFKA-12983's trace: the join timer removes a live consumer, spending TIMEOUTS
    assert "CompleteJoin(m=MemberId(consumer: Consumer2, inc: 0))  [timer, fault: timeouts 1 of TIMEOUTS = 1]" \
        in bug_models_output
    assert "  » Consumer1 → Coordinator: JoinGroup (member id none)" in bug_models_output


@pytest.mark.slow            # one CLI run over the twelve bug models: ~26 s
def test_group_spec_states_are_grouped_by_coordinator_and_consumer(bug_models_output):
    lines = bug_models_output.splitlines()
    first = lines.index("State 2: SendJoinGroup(c=Consumer1)")
    assert lines[first + 2] == "  Consumer1:"
    assert lines[first + 3] == "    client = PREPARING_REBALANCE    (was UNJOINED)"
    assert any(line.startswith("  Coordinator: groupState = Empty; generation = 0;") for line in lines)
    assert any(line.startswith("  fault budgets: epoch = 0; partitions = 2;") for line in lines)


def test_entries_fields_and_set_elements_are_diffed(tmp_path):
    spec = tmp_path / "small.gdsl"
    spec.write_text(SMALL)
    spec.write_text(SMALL + "invariant SmallSum = not (m[A] == 2 and m[B] == 1)\n")
    proc = run_cli(spec, "--out", tmp_path, "--quiet")
    assert proc.returncode == 12, proc.stdout + proc.stderr
    out = proc.stdout
    # the initial state whole, one variable a line (no diagram table: no groups)
    assert "State 1: <Initial state>\n  m = {A: 0, B: 0}\n  s = {}\n  b = Box(size: 0, open: false)\n" in out
    # afterwards the entry of the map, the set's new element and the record's field
    assert "State 2: Grow(n=A)\n  m[A] = 1    (was 0)\n  s: added 1\n  b.size = 1    (was 0)\n" in out
    assert "  s: added 2\n" in out and "s = {1, 2}" not in out, "a set: only the elements it gained"
    assert "{A: 1, B: 0}    (was" not in out, "never the whole map again"


def test_full_states_prints_every_state_whole(tmp_path):
    spec = tmp_path / "small.gdsl"
    spec.write_text(SMALL + "invariant SmallSum = not (m[A] == 2 and m[B] == 1)\n")
    proc = run_cli(spec, "--out", tmp_path, "--quiet", "--full-states")
    states = proc.stdout.split("State ")[1:]
    assert len(states) == 4
    for text in states:
        assert "  m = {" in text and "  s = {" in text and "  b = Box(" in text


def test_deadlock_says_what_the_fault_budgets_spent():
    model = load(ROOT / "spec" / "group.gdsl", {"CONSUMERS": "2"})
    text = budget_text(model, model.init_states()[0])
    assert text.startswith("Fault budgets spent in the last state: ")
    assert "timeouts 0 of TIMEOUTS = 1" in text and "crashes 0 of CRASHES = 1" in text


def test_fold_keeps_every_line_within_the_width_and_the_text_whole():
    text = ", ".join(f"field{i}: {'x' * (i % 7)}" for i in range(80)) + ", " + "y" * 300
    lines = fold("  value = ", text, 100)
    assert all(len(line) <= 100 for line in lines)
    joined = "".join(line.strip() for line in lines)
    assert joined.replace(" ", "") == ("value=" + text).replace(" ", "")
    assert fold("  a = ", "short", 100) == ["  a = short"]
