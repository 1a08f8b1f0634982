"""Sequence diagrams of traces (checker/traces/diagram.py): the group spec's table turns steps
into arrows between the coordinator and each consumer, other specs get a note per step,
state changes go beside the steps and the breaking step is marked."""
from __future__ import annotations

import pytest

from checker.traces import diagram
from checker.lang.errors import SpecError
from checker.engine.outcome import Step
from checker.compile.model import load
from checker.engine.replay import replay_file
from checker.engine.scenario import load_scenario, run_scenario

from _support import ROOT, TWOPHASE, run_cli

A1 = ROOT / "models" / "scenarios" / "A1-two-consumers-form-a-group.scenario.toml"


@pytest.fixture(scope="module")
def a1():
    run = run_scenario(load_scenario(A1))
    return run, diagram.build(run.model, run.trace, table=diagram.load_table(run.model), notes=run.notes)


def test_group_steps_become_messages_between_coordinator_and_consumers(a1):
    _, d = a1
    assert d.participants == ["Coordinator", "Consumer1", "Consumer2"]
    send, handle, receive = d.rows[1], d.rows[2], d.rows[3]
    assert (send.src, send.dst, send.reply, send.label) == \
        ("Consumer1", "Coordinator", False, "JoinGroup (member id none)")
    assert (handle.over, handle.label) == ("Coordinator", "handles JoinGroup of Consumer1")
    assert (receive.src, receive.dst, receive.reply, receive.label) == \
        ("Coordinator", "Consumer1", True, "JoinGroup response MEMBER_ID_REQUIRED")
    assert ("client[Consumer1]", "UNJOINED", "PREPARING_REBALANCE") in send.changes
    assert d.rows[9].label == "join phase completes: generation 1"
    assert ("generation", "0", "1") in d.rows[9].changes


def test_mermaid_text(a1):
    _, d = a1
    text = diagram.mermaid(d)
    lines = text.splitlines()
    assert lines[:4] == ["sequenceDiagram", "    participant Coordinator", "    participant Consumer1",
                         "    participant Consumer2"]
    assert "    Consumer1->>Coordinator: 2. JoinGroup (member id none) — JoinGroup, no member id" in lines
    assert "    Coordinator-->>Consumer1: 4. JoinGroup response MEMBER_ID_REQUIRED — takes m1 and rejoins at once" in lines
    assert "    Note right of Coordinator: client[Consumer1] = PREPARING_REBALANCE (was UNJOINED)<br/>" \
           "rejoinNeeded[Consumer1] = false (was true)" in text
    assert "toCoordinator[Consumer1] = Request(api: JoinGroup" in text


def test_the_breaking_step_is_marked(tmp_path):
    rep = replay_file(ROOT / "counterexamples" / "KAFKA-12983.itf.json")
    d = diagram.build(rep.model, rep.trace, table=diagram.load_table(rep.model),
                      property_name=rep.property, property_kind=rep.property_kind)
    assert [r.mark for r in d.rows[:-1]] == [""] * (len(d.rows) - 1)
    assert d.rows[-1].mark == "invariant NoDoubleOwnership violated"
    text = diagram.mermaid(d)
    assert "rect rgb(255, 215, 215)" in text and "✗ invariant NoDoubleOwnership violated" in text
    assert "✗ invariant NoDoubleOwnership violated" in diagram.terminal(d).splitlines()[-1]


def test_a_lasso_shows_where_its_cycle_starts_and_how_it_closes():
    rep = replay_file(ROOT / "counterexamples" / "KAFKA-12890.itf.json")
    d = diagram.build(rep.model, rep.trace, table=diagram.load_table(rep.model), property_name=rep.property,
                      property_kind=rep.property_kind, loop=rep.loop, closing=rep.closing)
    assert d.closing == ("then SendHeartbeat(c=Consumer1) leads back to state 13, and state 13 repeats "
                         "forever: EventuallyStable violated")
    assert "↻ the cycle starts at state 13" in diagram.terminal(d)


def test_terminal_arrows_run_between_lifelines(a1):
    _, d = a1
    lines = diagram.terminal(d).splitlines()
    assert lines[0].split() == ["Coordinator", "Consumer1", "Consumer2"]
    send = next(line for line in lines if "SendJoinGroup(c=Consumer2)" in line)
    assert "◀" in send and "┤" in send and send.index("◀") < send.index("┤")
    receive = next(line for line in lines if "ReceiveJoinGroup(c=Consumer1)" in line)
    assert "├╌" in receive and "╌▶" in receive


def test_specs_without_a_table_get_a_note_per_step():
    """The generic form: a note on the step's actor, its first parameter's value (or
    the spec, for an action without parameters): "actor: Action(params)"."""
    m = load(TWOPHASE)
    assert diagram.load_table(m) is None
    steps = [Step(None, (), m.init_states()[0])]
    for name in ("RMPrepare", "TMAbort"):
        _, picks, t = next(x for x in m.labelled_successors(steps[-1].state) if m.action_names[x[0]] == name)
        steps.append(Step(name, picks, t))
    d = diagram.build(m, steps)
    assert [(r.over, r.label) for r in d.rows[1:]] == [("ResourceManager1", "RMPrepare(rm=ResourceManager1)"),
                                                       ("TwoPhase", "TMAbort")]
    assert d.participants == ["ResourceManager1", "TwoPhase"]
    assert "    Note over ResourceManager1: 2. RMPrepare(rm=ResourceManager1)" in diagram.mermaid(d)


def test_a_bad_table_is_reported_at_its_line(tmp_path):
    spec = tmp_path / "group.gdsl"
    spec.write_text((ROOT / "spec" / "group.gdsl").read_text())
    table = (ROOT / "spec" / "group.diagram.toml").read_text()
    (tmp_path / "group.diagram.toml").write_text(table.replace('Crash = { over = "$c"', 'Crash = { over = "$x"'))
    m = load(spec, {"CONSUMERS": "2"})
    with pytest.raises(SpecError) as e:
        diagram.load_table(m)
    assert "Crash: $x: the action has no parameter x" in e.value.message
    assert e.value.line == table.splitlines().index(next(l for l in table.splitlines() if l.startswith("Crash ="))) + 1


def test_diagram_file_on_the_command_line(tmp_path):
    out = tmp_path / "trace.md"
    proc = run_cli("--replay", ROOT / "counterexamples" / "KAFKA-8500.itf.json", "--diagram", out)
    assert proc.returncode == 12, proc.stderr
    text = out.read_text()
    assert text.startswith("# ConsumerGroup\n") and "```mermaid\nsequenceDiagram\n" in text
    assert "✗ invariant OneMemberPerInstance violated" in text


def test_mermaid_entities_for_what_mermaid_would_parse():
    assert diagram._mm("a;b#c<d>e\nf") == "a#59;b#35;c#lt;d#gt;e f"


def test_a_checked_counterexample_prints_as_a_diagram(tmp_path):
    proc = run_cli(ROOT / "spec" / "examples" / "diehard.gdsl", "--diagram", "-", "--out", tmp_path)
    assert proc.returncode == 12
    lines = [line.split() for line in proc.stdout.splitlines()]
    assert ["7", "■", "✗", "BigToSmall"] in lines             # DieHard has no table: one actor
    assert ["│", "big", "=", "4", "(was", "5)"] in lines
    assert ["│", "✗", "invariant", "NotSolved", "violated"] in lines
