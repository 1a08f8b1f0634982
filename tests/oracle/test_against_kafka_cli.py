"""`modelcheck --against-kafka` on the command line: figures and JSON, a divergence as
exit 14 with a trace, and the clear refusals (bad options, no JVM or Maven)."""
from __future__ import annotations

import json
import os

import pytest

from _support import EXIT_BAD_INPUT, EXIT_OK, ROOT, assert_no_traceback, run_cli

EXIT_DIVERGES = 14
TWO = str(ROOT / "models" / "two-consumers.toml")


@pytest.mark.slow
def test_two_consumers_agree_with_kafkas_coordinator_to_a_depth(tmp_path):
    p = run_cli(TWO, "--against-kafka", "coordinator", "--depth", "5", "--json", "--out", str(tmp_path), timeout=900)
    assert p.returncode == EXIT_OK, p.stdout[-2000:] + p.stderr[-2000:]
    out = json.loads(p.stdout)
    assert out["kafka_version"] == "4.3.1" and out["verdict"] == "agrees"
    assert out["behaviours"] > 50 and out["steps"] > out["behaviours"] and out["divergences"] == []
    cells = {(c["action"], c["groupState"]) for c in out["coverage"]["coordinator"]}
    assert ("HandleJoinGroup", "Empty") in cells and ("CompleteJoin", "PreparingRebalance") in cells


@pytest.mark.slow
def test_a_spec_that_fails_while_explored_is_exit_75_not_a_divergence(tmp_path):
    spec = (ROOT / "spec" / "group.gdsl").read_text()
    broken = spec.replace("    out[m] = mine\n", "", 1)          # validClaims forgets a member
    assert broken != spec
    path = tmp_path / "group.gdsl"
    path.write_text(broken)
    p = run_cli(str(path), "--const", "CONSUMERS=2", "--const", "ASSIGNOR=cooperative_sticky",
                "--against-kafka", "coordinator", "--depth", "6", timeout=900)
    assert p.returncode == 75, p.stdout[-2000:] + p.stderr[-2000:]
    assert "the spec failed while being evaluated (not a divergence)" in p.stderr
    assert_no_traceback(p)


@pytest.mark.slow
def test_a_spec_that_is_not_kafka_diverges_with_a_trace(tmp_path):
    spec = (ROOT / "spec" / "group.gdsl").read_text()
    wrong = "let response = reply(JoinGroup, UNKNOWN_MEMBER_ID)"       # Kafka says MEMBER_ID_REQUIRED
    spec = spec.replace("let response = reply(JoinGroup, MEMBER_ID_REQUIRED)", wrong)
    assert wrong in spec
    path = tmp_path / "group.gdsl"
    path.write_text(spec)
    p = run_cli(str(path), "--const", "CONSUMERS=2", "--against-kafka", "coordinator", "--depth", "3",
                "--out", str(tmp_path / "out"), timeout=900)
    assert p.returncode == EXIT_DIVERGES, p.stdout[-2000:] + p.stderr[-2000:]
    assert "DIVERGES" in p.stdout and "HandleJoinGroup" in p.stdout
    assert list((tmp_path / "out").rglob("*.itf.json")), "the divergence's trace is written"


def test_depth_without_against_kafka_is_refused():
    p = run_cli(TWO, "--depth", "3")
    assert p.returncode == EXIT_BAD_INPUT and "--depth is an option of --against-kafka" in p.stderr
    assert_no_traceback(p)


def test_against_kafka_refuses_other_modes():
    p = run_cli(TWO, "--against-kafka", "--bmc", "3")
    assert p.returncode == EXIT_BAD_INPUT and "--bmc cannot be combined with --against-kafka" in p.stderr


def test_no_java_names_what_is_missing_and_how_to_get_it(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = dict(os.environ, PATH=str(bin_dir))        # no java, no mvn
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-m", "checker.cli", TWO, "--against-kafka", "--depth", "2"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert p.returncode == EXIT_BAD_INPUT
    assert "`java`" in p.stderr and "apt-get install openjdk-17-jdk-headless" in p.stderr
    assert_no_traceback(p)
