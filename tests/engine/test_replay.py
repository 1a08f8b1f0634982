"""Replaying traces from disk (checker/engine/replay.py, `modelcheck --replay TRACE`): every
committed counterexample is still a behaviour of the spec and still shows its
violation; an edited trace is caught at the edited step; files that are not ITF, or
belong to another spec, are refused with exit 2."""
from __future__ import annotations

import json
import subprocess

import pytest

from checker.engine.replay import replay_file

from _support import DIEHARD, EXIT_BAD_INPUT, EXIT_VIOLATION, ROOT, run_cli



def _committed_traces() -> list:
    """The traces git tracks under counterexamples/ (not those a local run left there);
    outside a git checkout, every trace there."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", "counterexamples"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        return sorted((ROOT / "counterexamples").rglob("*.itf.json"))
    return sorted(ROOT / p for p in listed if p.endswith(".itf.json"))


TRACES = _committed_traces()
KAFKA_12983 = ROOT / "counterexamples" / "KAFKA-12983.itf.json"
KAFKA_12890 = ROOT / "counterexamples" / "KAFKA-12890.itf.json"


def test_the_committed_traces_are_there():
    assert len(TRACES) >= 14
    assert KAFKA_12890 in TRACES and json.loads(KAFKA_12890.read_text())["loop"] is not None


@pytest.mark.slow
@pytest.mark.parametrize("trace", TRACES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_committed_trace_replays_and_reproduces(trace):
    rep = replay_file(trace)
    assert rep.mismatch is None, rep.mismatch.message
    assert rep.reproduced, rep.message
    meta = json.loads(trace.read_text())["#meta"]
    assert rep.property == meta["property"]
    assert rep.exit_code == (13 if rep.property_kind == "temporal" else 12)


def _edited(tmp_path, source, edit):
    data = json.loads(source.read_text())
    edit(data)
    path = tmp_path / source.name
    path.write_text(json.dumps(data))
    return path


@pytest.mark.slow
def test_an_edited_state_is_named_with_the_difference(tmp_path):
    def edit(data):
        data["states"][9]["generation"] = {"#bigint": "3"}
    path = _edited(tmp_path, KAFKA_12983, edit)
    rep = replay_file(path, str(ROOT / "models" / "bugs" / "KAFKA-12983.toml"))
    assert rep.mismatch is not None and rep.mismatch.index == 9
    assert "state 10" in rep.mismatch.message
    assert "generation: the spec gives" in rep.mismatch.message and "the trace records 3" in rep.mismatch.message
    proc = run_cli("--replay", path, ROOT / "spec" / "group.gdsl")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "state 10" in proc.stderr and "generation" in proc.stderr


def test_an_edited_action_is_named(tmp_path):
    def edit(data):
        data["states"][5]["#meta"]["params"]["c"] = "Consumer2"
    rep = replay_file(_edited(tmp_path, KAFKA_12983, edit), str(ROOT / "spec" / "group.gdsl"))
    assert rep.mismatch is not None and rep.mismatch.index == 5
    assert "state 6" in rep.mismatch.message and "c=Consumer2" in rep.mismatch.message


def test_an_edited_initial_state_is_named(tmp_path):
    def edit(data):
        data["states"][0]["groupState"] = "Stable"
    rep = replay_file(_edited(tmp_path, KAFKA_12983, edit), str(ROOT / "spec" / "group.gdsl"))
    assert rep.mismatch.index == 0
    assert "not an initial state" in rep.mismatch.message and "groupState" in rep.mismatch.message


def test_a_stale_trace_no_longer_reproduces(tmp_path):
    """The bug's fix back on: the lasso still replays, but under the pending-sync
    timeout's fairness the cycle is no behaviour the spec allows to go on forever."""
    def edit(data):
        data["#meta"]["constants"]["FIX_KAFKA_12890"] = "true"
        del data["#meta"]["model"]
    path = _edited(tmp_path, KAFKA_12890, edit)
    rep = replay_file(path, str(ROOT / "spec" / "group.gdsl"))
    assert rep.mismatch is None and not rep.reproduced
    assert rep.exit_code == 0 and "does NOT reproduce" in rep.message


def test_a_lasso_whose_cycle_does_not_close_is_not_a_violation(tmp_path):
    def edit(data):
        data["#meta"]["loop-step"] = {"action": "SendJoinGroup", "params": {"c": "Consumer1"}}
    rep = replay_file(_edited(tmp_path, KAFKA_12890, edit))
    assert rep.mismatch is None and not rep.reproduced
    assert "does not close" in rep.message


@pytest.mark.slow
def test_replay_on_the_command_line_reports_the_verdict():
    proc = run_cli("--replay", KAFKA_12983)
    assert proc.returncode == EXIT_VIOLATION, proc.stderr
    assert "NoDoubleOwnership that the trace records reproduces" in proc.stdout
    assert "✗ invariant NoDoubleOwnership violated" in proc.stdout      # the diagram, in the terminal
    proc = run_cli("--replay", KAFKA_12890, "--json")
    data = json.loads(proc.stdout)
    assert (proc.returncode, data["verdict"], data["property"]) == (13, "reproduced", "EventuallyStable")


@pytest.mark.slow
def test_not_itf_and_other_specs_are_refused(tmp_path):
    bad_json = tmp_path / "bad.itf.json"
    bad_json.write_text('{"states": [\n  {"x": 1,}\n]}')
    proc = run_cli("--replay", bad_json)
    assert proc.returncode == EXIT_BAD_INPUT
    assert "bad.itf.json:2:" in proc.stderr and "not an ITF trace: not valid JSON" in proc.stderr

    not_itf = tmp_path / "other.json"
    not_itf.write_text('{"vars": ["x"]}')
    proc = run_cli("--replay", not_itf)
    assert proc.returncode == EXIT_BAD_INPUT and "not an ITF trace" in proc.stderr

    proc = run_cli("--replay", KAFKA_12983, DIEHARD)
    assert proc.returncode == EXIT_BAD_INPUT
    assert "belongs to spec ConsumerGroup, not to DieHard" in proc.stderr

    proc = run_cli("--replay", tmp_path / "missing.itf.json")
    assert proc.returncode == EXIT_BAD_INPUT and "no such file" in proc.stderr


def test_a_trace_of_another_spec_with_the_same_constants_is_refused(tmp_path):
    def edit(data):
        data["#meta"]["spec"] = "TwoPhase"
    proc = run_cli("--replay", _edited(tmp_path, KAFKA_12983, edit), ROOT / "spec" / "group.gdsl")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "belongs to spec TwoPhase, not to ConsumerGroup" in proc.stderr


def test_a_bug_trace_replayed_with_its_fix_says_where_the_fixed_spec_leaves_it():
    proc = run_cli("--replay", KAFKA_12983, "--const", "FIX_KAFKA_12983=true", "--diagram", "/dev/null")
    assert proc.returncode == 0, proc.stdout + proc.stderr          # the fix removes this behaviour
    assert "With FIX_KAFKA_12983 = true, the spec leaves the trace " in proc.stdout
    assert "at state 19 of 26: states 1 to 18 replay, then state 19 (ReceiveJoinGroup(c=Consumer1)" in proc.stdout
    assert "owned[Consumer1]: the spec gives {}, the trace records {0, 1}" in proc.stdout
    data = json.loads(run_cli("--replay", KAFKA_12983, "--const", "FIX_KAFKA_12983=true", "--json").stdout)
    assert (data["verdict"], data["step"], data["constants_changed"], data["exit_code"]) == \
        ("left by the changed spec", 18, {"FIX_KAFKA_12983": "true"}, 0)
    # the same constant at the value the trace records changes nothing: it reproduces
    same = run_cli("--replay", KAFKA_12983, "--const", "FIX_KAFKA_12983=false", "--diagram", "/dev/null")
    assert same.returncode == EXIT_VIOLATION and "reproduces" in same.stdout
    # a constant the spec does not have is bad input, named
    bad = run_cli("--replay", KAFKA_12983, "--const", "FIX_KAFKA_1=true")
    assert bad.returncode == EXIT_BAD_INPUT and "FIX_KAFKA_1" in bad.stderr


def test_a_fix_that_keeps_the_steps_but_not_the_violation_says_the_property_now_holds(tmp_path):
    spec = tmp_path / "jug.gdsl"
    spec.write_text(DIEHARD.read_text().replace("invariant NotSolved = big != 4",
                                                "const FIXED: bool = false\n"
                                                "invariant NotSolved = FIXED or big != 4"))
    run = run_cli(spec, "--out", tmp_path, "--quiet")
    assert run.returncode == EXIT_VIOLATION
    trace = tmp_path / "DieHard" / "NotSolved.itf.json"
    proc = run_cli("--replay", trace, "--const", "FIXED=true", "--diagram", "/dev/null")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "every step of" in proc.stdout and "NotSolved now holds where the trace ends" in proc.stdout
