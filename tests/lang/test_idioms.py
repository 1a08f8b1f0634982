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
  leader = the x in up: forall y in up: x <= y
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
    path = _spec(tmp_path, LEADER.replace("forall y in up: x <= y", cond))
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
    bad = LEADER.replace("forall y in up: x <= y", "x + 1")
    with pytest.raises(SpecError) as e:
        load(_spec(tmp_path, bad), {}, None)
    assert e.value.line == 6 and "the condition of `the`" in e.value.message
    with pytest.raises(SpecError) as e:
        load(_spec(tmp_path, LEADER.replace("the x in up", "the x in leader")), {}, None)
    assert e.value.line == 6 and "to range over" in e.value.message


def test_the_is_refused_by_bmc_with_its_line(tmp_path):
    proc = _cli(tmp_path, _spec(tmp_path, LEADER), "--bmc", "3")
    assert proc.returncode == EXIT_BAD_INPUT
    assert ":6:12: error:" in proc.stderr + proc.stdout
    assert "`the x in S: P` (deterministic choice) is not supported by --bmc/--prove" in proc.stderr + proc.stdout


@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler")
def test_the_native_agrees(tmp_path):
    ok = _cli(tmp_path, _spec(tmp_path, LEADER), "--backend", "native", "--no-deadlock")
    assert ok.returncode == 0 and "Backend: native" in ok.stdout and "3 distinct states" in ok.stdout
    bad = _cli(tmp_path, _spec(tmp_path, LEADER.replace("forall y in up: x <= y", "x > 5"), "B"),
               "--backend", "native")
    assert bad.returncode == EXIT_EVAL_ERROR and "Backend: native" in bad.stdout
    assert "`the x in ...` at line 6: no element satisfies its condition" in bad.stdout
