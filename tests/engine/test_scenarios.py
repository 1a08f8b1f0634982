"""Scenario files (checker/engine/scenario.py, `modelcheck --replay FILE.scenario.toml`): the
canonical traces of the reference's Appendix A (A.1-A.5) as files that pass, and
scenarios that go wrong reported at their line."""
from __future__ import annotations

import json

import pytest

from checker.lang.errors import SpecError
from checker.engine.scenario import load_scenario, run_scenario

from _support import EXIT_BAD_INPUT, EXIT_VIOLATION, ROOT, run_cli

SCENARIOS = ROOT / "models" / "scenarios"
FILES = sorted(SCENARIOS.glob("*.scenario.toml"))
A1 = SCENARIOS / "A1-two-consumers-form-a-group.scenario.toml"


def test_appendix_a_has_a_scenario_each():
    assert [f.name[:2] for f in FILES] == ["A1", "A2", "A3", "A4", "A5"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_scenario_passes(path):
    sc = load_scenario(path)
    run = run_scenario(sc)
    assert run.result is None
    assert len(run.trace) > 10
    assert sum(len(s.expect) for s in sc.steps) >= 5          # it checks states along the way


def test_a_scenario_on_the_command_line_prints_the_diagram():
    proc = run_cli("--replay", A1)
    assert proc.returncode == 0, proc.stderr
    assert "Scenario A1-two-consumers-form-a-group passed: 16 steps" in proc.stdout
    assert "Coordinator" in proc.stdout and "JoinGroup response MEMBER_ID_REQUIRED" in proc.stdout


def _variant(tmp_path, text, name="x.scenario.toml"):
    path = tmp_path / name
    path.write_text(text.replace('spec = "../../spec/group.gdsl"', f'spec = "{ROOT / "spec" / "group.gdsl"}"')
                    .replace('after = "A1', f'after = "{SCENARIOS}/A1'))
    return path


@pytest.mark.slow
def test_a_wrong_expectation_is_reported_at_its_line(tmp_path):
    text = A1.read_text().replace('"toClient[Consumer1].member" = 0', '"toClient[Consumer1].member" = 1')
    path = _variant(tmp_path, text)
    line = text.splitlines().index('"toClient[Consumer1].member" = 1') + 1
    with pytest.raises(SpecError) as e:
        run_scenario(load_scenario(path))
    assert e.value.line == line
    assert "expected toClient[Consumer1].member = 1, but it is 0" in e.value.message
    proc = run_cli("--replay", path)
    assert proc.returncode == EXIT_BAD_INPUT
    assert f"x.scenario.toml:{line}:" in proc.stderr


def test_a_step_that_is_not_enabled_is_reported_with_what_is(tmp_path):
    text = A1.read_text().replace('action = "CompleteJoin"', 'action = "PendingSyncExpires"')
    with pytest.raises(SpecError) as e:
        run_scenario(load_scenario(_variant(tmp_path, text)))
    assert "step 10 (PendingSyncExpires) is not enabled; enabled: " in e.value.message
    assert "CompleteJoin" in e.value.message
    assert e.value.line == text.splitlines().index('action = "PendingSyncExpires"') + 1


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("[[step]]\nnote", "[[step]]\nnotes", 1), "[[step]] has no key 'notes'"),
    (lambda t: t.replace('params = { c = "Consumer1" }', 'params = { d = "Consumer1" }', 1),
     "SendJoinGroup has no parameter or choice d"),
    (lambda t: t.replace('action = "SendJoinGroup"', 'action = "SendJoin"', 1), "the spec has no action SendJoin"),
    (lambda t: t.replace('groupState = "Empty"', 'groupstate = "Empty"', 1), "the spec has no variable 'groupstate'"),
    (lambda t: t.replace('"client[Consumer1]" =', '"client[Consumer9]" =', 1), "client has no key Consumer9"),
    (lambda t: t.replace("CONSUMERS = 2", "CONSUMER = 2"), "CONSUMER = 2: "),
    (lambda t: t.replace('description =', 'descr =', 1), "unknown key 'descr'"),
])
@pytest.mark.slow
def test_mistakes_in_a_scenario_file_are_located(tmp_path, edit, message):
    path = _variant(tmp_path, edit(A1.read_text()))
    proc = run_cli("--replay", path)
    assert proc.returncode == EXIT_BAD_INPUT, proc.stdout
    assert message in proc.stderr
    assert "x.scenario.toml:" in proc.stderr


def test_a_broken_property_is_a_violation(tmp_path):
    """KAFKA-8500 put back (reference §14): a static member rejoining with a new member
    id while the old one is still in the group; OneMemberPerInstance breaks."""
    trace = json.loads((ROOT / "counterexamples" / "KAFKA-8500.itf.json").read_text())
    steps = "".join(
        f'\n[[step]]\naction = "{s["#meta"]["action"]}"\n'
        + (f'params = {{ c = "{s["#meta"]["params"]["c"]}" }}\n' if "c" in s["#meta"]["params"] else "")
        for s in trace["states"][1:])
    path = _variant(tmp_path, 'spec = "../../spec/group.gdsl"\n[constants]\nCONSUMERS = 2\nSTATIC = true\n'
                    '[variation]\nFIX_KAFKA_8500 = false\n' + steps)
    proc = run_cli("--replay", path)
    assert proc.returncode == EXIT_VIOLATION, proc.stdout + proc.stderr
    assert "Invariant OneMemberPerInstance is violated" in proc.stdout


def test_scenario_files_are_not_model_files():
    proc = run_cli(A1)
    assert proc.returncode == EXIT_BAD_INPUT and "run it with  modelcheck --replay" in proc.stderr


def test_the_ci_gate_does_not_take_scenarios_for_model_files():
    from checker.cli.main import _spec_paths
    found = _spec_paths([str(ROOT / "models")])
    assert any(p.endswith("two-consumers.toml") for p in found)
    assert not any(p.endswith(".scenario.toml") for p in found)
