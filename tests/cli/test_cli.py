"""The `modelcheck` command line: options, bounds, bad input, --describe, readable traces."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from _support import ROOT
from _support import (DIEHARD, EXIT_BAD_INPUT, EXIT_BOUND, EXIT_DEADLOCK, EXIT_OK, EXIT_VIOLATION, TCOMMIT,
                      TWOPHASE, console_script, one_json_object, run_cli, run_cli_many,
                      twophase_reference_levels)

TWOPHASE_RM3 = (288, 1146, 11)     # TLC: distinct, generated, depth


def _json(proc):
    return one_json_object(proc.stdout)


def test_console_script_runs():
    proc = subprocess.run([console_script(), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "modelcheck" in proc.stdout + proc.stderr


# --------------------------------------------------------------------------- --const

def test_const_changes_the_instance(tmp_path):
    rm3, rm4 = run_cli_many((TWOPHASE, "--no-symmetry", "--json", "--out", tmp_path),
                            (TWOPHASE, "--no-symmetry", "--json", "--const", "RM=4", "--out", tmp_path))
    rm3 = _json(rm3)
    assert rm4.returncode == EXIT_OK, rm4.stderr
    rm4 = _json(rm4)
    assert rm3["distinct_states"] == TWOPHASE_RM3[0]
    assert rm4["constants"] == {"RM": "4"}
    assert rm4["distinct_states"] != rm3["distinct_states"]
    assert rm4["distinct_states"] == len(twophase_reference_levels(4)[0])


def test_const_unknown_name():
    proc = run_cli(TWOPHASE, "--const", "NOPE=1")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "NOPE" in proc.stderr
    assert "RM" in proc.stderr          # the spec's constants are listed


def test_const_unknown_name_json():
    proc = run_cli(TWOPHASE, "--const", "NOPE=1", "--json")
    assert proc.returncode == EXIT_BAD_INPUT
    data = _json(proc)
    assert data["verdict"] == "error"
    assert "NOPE" in data["message"]


def test_const_not_an_integer():
    proc = run_cli(TWOPHASE, "--const", "RM=abc")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "RM" in proc.stderr
    assert "integer" in proc.stderr
    assert "abc" in proc.stderr


def test_const_without_value():
    proc = run_cli(TWOPHASE, "--const", "RM")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "--const" in proc.stderr
    assert "NAME=VALUE" in proc.stderr


def test_const_given_twice():
    proc = run_cli(TWOPHASE, "--const", "RM=4", "--const", "RM=5")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "--const" in proc.stderr


@pytest.mark.parametrize("value", ["0", "-1"])
def test_const_out_of_range_for_a_scalarset(value):
    proc = run_cli(TWOPHASE, "--const", f"RM={value}")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "error" in proc.stderr


# --------------------------------------------------------------------------- --invariant

def test_invariant_unknown_names_the_available_properties():
    proc = run_cli(TWOPHASE, "--invariant", "Nope")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "Nope" in proc.stderr
    assert "TPTypeOK" in proc.stderr and "TCConsistent" in proc.stderr


def test_invariant_selects_what_is_checked(tmp_path):
    # DieHard with only TypeOK holds; NotSolved alone is violated.
    ok, bad = run_cli_many((DIEHARD, "--json", "--invariant", "TypeOK", "--out", tmp_path),
                           (DIEHARD, "--json", "--invariant", "NotSolved", "--out", tmp_path))
    assert ok.returncode == EXIT_OK and _json(ok)["verdict"] == "ok"
    assert bad.returncode == EXIT_VIOLATION and _json(bad)["property"] == "NotSolved"


# --------------------------------------------------------------------------- bounds

def test_max_states_stops_incomplete(tmp_path):
    proc = run_cli(TWOPHASE, "--no-symmetry", "--json", "--max-states", "10", "--out", tmp_path)
    assert proc.returncode == EXIT_BOUND, proc.stderr
    data = _json(proc)
    assert data["verdict"] == "incomplete"
    assert data["exit_code"] == EXIT_BOUND
    assert data["distinct_states"] < TWOPHASE_RM3[0]


def test_max_states_readable_output_says_incomplete(tmp_path):
    proc = run_cli(TWOPHASE, "--max-states", "10", "--out", tmp_path)
    assert proc.returncode == EXIT_BOUND
    assert "Incomplete" in proc.stdout or "incomplete" in proc.stdout
    assert "No error has been found" not in proc.stdout


def test_max_states_not_reached_is_complete(tmp_path):
    proc = run_cli(TWOPHASE, "--no-symmetry", "--json", "--max-states", "100000", "--out", tmp_path)
    assert proc.returncode == EXIT_OK
    assert _json(proc)["distinct_states"] == TWOPHASE_RM3[0]


def test_max_depth_stops_incomplete(tmp_path):
    proc = run_cli(TWOPHASE, "--no-symmetry", "--json", "--max-depth", "3", "--out", tmp_path)
    assert proc.returncode == EXIT_BOUND, proc.stderr
    data = _json(proc)
    assert data["verdict"] == "incomplete"
    # Every state within 3 BFS levels is explored, and none deeper.
    levels, _ = twophase_reference_levels(3)
    assert data["distinct_states"] == sum(1 for d in levels.values() if d <= 3)
    assert data["depth"] == 3


def test_max_depth_at_the_diameter_is_complete(tmp_path):
    # TwoPhase RM=3 has depth 11: bounding at 11 leaves nothing unexplored; at 10 it does.
    at, below = run_cli_many((TWOPHASE, "--no-symmetry", "--json", "--max-depth", "11", "--out", tmp_path),
                             (TWOPHASE, "--no-symmetry", "--json", "--max-depth", "10", "--out", tmp_path))
    assert at.returncode == EXIT_OK and _json(at)["distinct_states"] == TWOPHASE_RM3[0]
    assert below.returncode == EXIT_BOUND and _json(below)["verdict"] == "incomplete"


@pytest.mark.parametrize("option", ["--max-states", "--max-depth"])
@pytest.mark.parametrize("value", ["0", "x", "-3"])
def test_bad_bound_values(option, value):
    proc = run_cli(TWOPHASE, option, value)
    assert proc.returncode == EXIT_BAD_INPUT
    assert option in proc.stderr


def test_bad_option_with_json_still_prints_one_json_object():
    # With --json, stdout is exactly one JSON object, also when an option is bad.
    proc = run_cli(TWOPHASE, "--no-symmetry", "--json", "--max-states", "x")
    assert proc.returncode == EXIT_BAD_INPUT
    data = _json(proc)
    assert data["verdict"] == "error"
    assert "--max-states" in data["message"]


# --------------------------------------------------------------------------- bad spec files

def test_missing_spec_file(tmp_path):
    missing = tmp_path / "nope.gdsl"
    proc = run_cli(missing)
    assert proc.returncode == EXIT_BAD_INPUT
    assert str(missing) in proc.stderr
    assert proc.stdout == ""


def test_directory_as_spec(tmp_path):
    proc = run_cli(tmp_path)
    assert proc.returncode == EXIT_BAD_INPUT
    assert str(tmp_path) in proc.stderr
    assert "directory" in proc.stderr


def test_binary_file_as_spec(tmp_path):
    spec = tmp_path / "binary.gdsl"
    spec.write_bytes(b"spec X\x00\x01\x02var x: 0..3\n")
    proc = run_cli(spec)
    assert proc.returncode == EXIT_BAD_INPUT
    assert str(spec) in proc.stderr
    assert "binary" in proc.stderr


def test_missing_spec_file_json(tmp_path):
    proc = run_cli(tmp_path / "nope.gdsl", "--json")
    assert proc.returncode == EXIT_BAD_INPUT
    assert _json(proc)["verdict"] == "error"


# --------------------------------------------------------------------------- --describe

def test_describe_json():
    proc = run_cli(TWOPHASE, "--describe", "--json")
    assert proc.returncode == EXIT_OK, proc.stderr
    data = _json(proc)
    consts = {c["name"]: c for c in data["constants"]}
    assert set(consts) == {"RM"}
    assert str(consts["RM"]["value"]) == "3"
    assert [v["name"] for v in data["variables"]] == ["rmState", "tmState", "tmPrepared", "msgs"]
    actions = {a["name"]: a for a in data["actions"]}
    assert set(actions) == {"TMRcvPrepared", "TMCommit", "TMAbort", "RMPrepare",
                            "RMChooseToAbort", "RMRcvCommitMsg", "RMRcvAbortMsg"}
    for name in ("TMRcvPrepared", "RMPrepare", "RMChooseToAbort", "RMRcvCommitMsg", "RMRcvAbortMsg"):
        assert [p["name"] for p in actions[name]["params"]] == ["rm"], name
    assert actions["TMCommit"]["params"] == [] and actions["TMAbort"]["params"] == []
    assert {p["name"] for p in data["properties"]} == {"TPTypeOK", "TCConsistent"}


def test_describe_shows_overridden_constant():
    data = _json(run_cli(TWOPHASE, "--describe", "--json", "--const", "RM=5"))
    assert [str(c["value"]) for c in data["constants"] if c["name"] == "RM"] == ["5"]


def test_describe_does_not_explore(tmp_path):
    # TCommit deadlocks when explored; --describe must not explore, so it exits 0.
    proc = run_cli(TCOMMIT, "--describe", "--out", tmp_path)
    assert proc.returncode == EXIT_OK
    assert "DecideCommit" in proc.stdout
    assert not any(tmp_path.iterdir())


# --------------------------------------------------------------------------- readable output

def _state_blocks(stdout):
    """{state number: (title, [variable lines])} from the readable trace."""
    blocks, current = {}, None
    for line in stdout.splitlines():
        m = re.match(r"^State (\d+): (.*)$", line)
        if m:
            current = int(m.group(1))
            blocks[current] = (m.group(2), [])
        elif current is not None and line.startswith("  "):
            blocks[current][1].append(line.strip())
        else:
            current = None
    return blocks


def _var_names(lines):
    return {re.match(r"^(\w+)\s*=", l).group(1) for l in lines if re.match(r"^\w+\s*=", l)}


def test_readable_trace_on_violation(tmp_path):
    proc = run_cli(DIEHARD, "--out", tmp_path)
    assert proc.returncode == EXIT_VIOLATION
    assert "NotSolved" in proc.stdout
    blocks = _state_blocks(proc.stdout)
    assert sorted(blocks) == [1, 2, 3, 4, 5, 6, 7]
    # the first state shows every variable with its value
    assert _var_names(blocks[1][1]) == {"big", "small"}
    assert any(re.match(r"^big = 0\b", l) for l in blocks[1][1])
    assert any(re.match(r"^small = 0\b", l) for l in blocks[1][1])
    # each later state is headed by its action and shows only what changed
    expected = {
        2: ("FillBigJug", {"big": 5}),
        3: ("BigToSmall", {"big": 2, "small": 3}),
        4: ("EmptySmallJug", {"small": 0}),
        5: ("BigToSmall", {"big": 0, "small": 2}),
        6: ("FillBigJug", {"big": 5}),
        7: ("BigToSmall", {"big": 4, "small": 3}),
    }
    for n, (action, changed) in expected.items():
        title, lines = blocks[n]
        assert action in title, (n, title)
        assert _var_names(lines) == set(changed), (n, lines)
        for var, value in changed.items():
            assert any(re.match(rf"^{var} = {value}\b", l) for l in lines), (n, lines)


def test_json_stdout_is_one_object_in_every_outcome(tmp_path):
    codes = [EXIT_OK, EXIT_VIOLATION, EXIT_DEADLOCK, EXIT_BOUND, EXIT_BAD_INPUT]
    procs = run_cli_many(
        (DIEHARD, "--json", "--invariant", "TypeOK", "--out", tmp_path / "ok"),
        (DIEHARD, "--json", "--out", tmp_path / "violation"),
        (TCOMMIT, "--no-symmetry", "--json", "--out", tmp_path / "deadlock"),
        (TWOPHASE, "--no-symmetry", "--json", "--max-depth", "2", "--out", tmp_path / "bound"),
        (TWOPHASE, "--no-symmetry", "--json", "--invariant", "Nope", "--out", tmp_path / "bad"),
    )
    for code, proc in zip(codes, procs):
        assert proc.returncode == code, (code, proc.stderr)
        data = _json(proc)
        assert data["exit_code"] == code


def test_timeout_stops_with_exit_3_and_a_partial_summary():
    """--timeout is a bound like --max-states: incomplete (exit 3), never a pass."""
    import json as _json
    p = subprocess.run([sys.executable, "-m", "checker.cli", str(ROOT / "spec" / "group.gdsl"),
                        "--timeout", "0.5", "--json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 3
    data = _json.loads(p.stdout)
    assert data["verdict"] == "incomplete" and data["stopped_by"] == "timeout"
    assert 0 < data["distinct_states"] and data["states_left_on_queue"] > 0


@pytest.mark.slow
def test_ctrl_c_prints_partial_counts_and_exits_130(tmp_path):
    import signal
    # SIGINT as at a terminal: a job started in the background (`cmd &`, as a CI runner
    # may) inherits it ignored, and then Python installs no KeyboardInterrupt for it
    proc = subprocess.Popen([sys.executable, "-m", "checker.cli", str(ROOT / "spec" / "group.gdsl"),
                             "--out", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # signal once the search is under way (its first progress line), however loaded the machine
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("Progress:"):
            break
    assert seen and seen[-1].startswith("Progress:"), "".join(seen)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Interrupted" in out and "distinct states found" in out
    assert "Traceback" not in out + err
    assert not any(tmp_path.rglob("*.itf.json"))      # nothing half-written
