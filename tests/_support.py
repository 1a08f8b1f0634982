"""Shared helpers for the test suite: paths, and running the CLI as a subprocess."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
MALFORMED = TESTS / "lang" / "malformed"
EXAMPLES = ROOT / "spec" / "examples"
DIEHARD = EXAMPLES / "diehard.gdsl"
TCOMMIT = EXAMPLES / "tcommit.gdsl"
TWOPHASE = EXAMPLES / "twophase.gdsl"

# Exit codes documented in checker/cli/main.py (TLC's, plus bad input and bounds).
EXIT_OK, EXIT_BOUND, EXIT_BAD_INPUT, EXIT_DEADLOCK, EXIT_VIOLATION = 0, 3, 2, 11, 12

CLI = [sys.executable, "-m", "checker.cli"]


def console_script() -> str:
    """The installed `modelcheck` console script (next to this interpreter if possible)."""
    here = Path(sys.executable).parent / "modelcheck"
    if here.exists():
        return str(here)
    found = shutil.which("modelcheck")
    assert found, "the `modelcheck` console script is not installed (pip install -e .)"
    return found


def run_cli(*args, cwd=None, timeout=60) -> subprocess.CompletedProcess:
    """Run `python -m checker.cli ARGS`; never lets a Python traceback go unnoticed."""
    proc = subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True,
                          cwd=str(cwd or ROOT), timeout=timeout)
    assert_no_traceback(proc)
    return proc


def run_cli_many(*arglists, cwd=None) -> list:
    """run_cli for several argument lists at once (each run starts its own Python)."""
    with ThreadPoolExecutor(max_workers=len(arglists) or 1) as pool:
        return list(pool.map(lambda args: run_cli(*args, cwd=cwd), arglists))


def assert_no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr


def one_json_object(stdout: str) -> dict:
    """stdout must be exactly one JSON object (json.loads rejects trailing text)."""
    data = json.loads(stdout)
    assert isinstance(data, dict), stdout
    return data


def twophase_reference(n_rm: int):
    """A hand-written BFS of TwoPhase.tla with n_rm managers, counting as TLC does.

    Returns (distinct, generated, depth). Messages: ("Prepared", rm), ("Commit",), ("Abort",).
    """
    seen, generated = twophase_reference_levels(n_rm)
    return len(seen), generated, max(seen.values())


def twophase_reference_levels(n_rm: int):
    """({state: BFS level, initial state = 1}, states generated) for TwoPhase with n_rm managers."""
    rms = range(n_rm)
    all_rms = frozenset(rms)
    commit, abort = ("Commit",), ("Abort",)

    def successors(s):
        rm_state, tm_state, tm_prepared, msgs = s
        out = []
        # TMCommit, TMAbort
        if tm_state == "init" and tm_prepared == all_rms:
            out.append((rm_state, "committed", tm_prepared, msgs | {commit}))
        if tm_state == "init":
            out.append((rm_state, "aborted", tm_prepared, msgs | {abort}))

        def with_rm(rm, value):
            return rm_state[:rm] + (value,) + rm_state[rm + 1:]

        for rm in rms:
            # TMRcvPrepared(rm)
            if tm_state == "init" and ("Prepared", rm) in msgs:
                out.append((rm_state, tm_state, tm_prepared | {rm}, msgs))
            # RMPrepare(rm)
            if rm_state[rm] == "working":
                out.append((with_rm(rm, "prepared"), tm_state, tm_prepared,
                            msgs | {("Prepared", rm)}))
            # RMChooseToAbort(rm)
            if rm_state[rm] == "working":
                out.append((with_rm(rm, "aborted"), tm_state, tm_prepared, msgs))
            # RMRcvCommitMsg(rm)
            if commit in msgs:
                out.append((with_rm(rm, "committed"), tm_state, tm_prepared, msgs))
            # RMRcvAbortMsg(rm)
            if abort in msgs:
                out.append((with_rm(rm, "aborted"), tm_state, tm_prepared, msgs))
        return out

    return reference_levels([(("working",) * n_rm, "init", frozenset(), frozenset())], successors)


def reference_levels(inits, successors):
    """A breadth-first search counting as TLC does, for hand-written references of
    TLA+ specs: ({state: BFS level, initial states = 1}, states generated, initial
    states and every successor computed, duplicates included)."""
    seen, queue, generated = {}, deque(), 0
    for s in inits:
        generated += 1
        if s not in seen:
            seen[s] = 1
            queue.append(s)
    while queue:
        s = queue.popleft()
        for t in successors(s):
            generated += 1
            if t not in seen:
                seen[t] = seen[s] + 1
                queue.append(t)
    return seen, generated


def reachable(model) -> set:
    """Every reachable state of a compiled model, by a plain search of its own."""
    seen = set(model.init_states())
    todo = deque(seen)
    while todo:
        for t in model.successors(todo.popleft()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


# A counter with covers (tests/engine/test_covers.py, tests/cli/test_covers_cli.py): x
# counts 0..5 and wraps; Jump sets y = 2 once x == 3. The covers follow these lines.
COVER_COUNTER = """
spec Counter
const K: int = 1
var x: 0..5 = 0
var y: 0..5 = 0
action Inc when x < 5 { x = x + 1 }
action Jump when x == 3 and y == 0 { y = 2 }
action Reset when x == 5 { x = 0 }
invariant Small = x <= 5
"""

# A spec choosing from sets of functions (issue 26): `map[P, 1..3]` and `pmap[P, bool]`
# as sets. Pick's successors: the 3 maps with m[a] < m[b], times the 9 partial maps.
FUNCTION_SETS = """spec FunSets
enum P { a, b }
var f: map[P, 1..3] = {k: 1 for k in P}
var g: pmap[P, bool] = {:}
var n: 0..1 = 0
action Pick when n == 0 {
  choose m in map[P, 1..3]
  require m[a] < m[b]
  f = m
  choose h in pmap[P, bool]
  g = h
  n = 1
}
invariant Count = size({m for m in map[P, 1..3] if m[a] == m[b]}) == 3
invariant Some = exists h in pmap[P, bool]: size(keys(h)) == 0
"""
