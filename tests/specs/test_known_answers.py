"""Known answers: TLC's figures for the three tlaplus/Examples models
(/work/shared/known-answers/README.md), checked through the Python API and the CLI,
plus a larger TwoPhase instance whose figures come from an independent BFS written here.

Expected values are never taken from the checker's own output.
"""
from __future__ import annotations

import json
import re
from pathlib import Path


from checker.engine.search import bfs
from checker.compile.model import load

from _support import (DIEHARD, EXIT_DEADLOCK, EXIT_OK, EXIT_VIOLATION, TCOMMIT, TWOPHASE,
                      one_json_object, run_cli, twophase_reference)

# (big, small) along the shortest solution of DieHard, from the known-answers README.
DIEHARD_SOLUTION = [(0, 0), (5, 0), (2, 3), (2, 0), (0, 2), (5, 2), (4, 3)]
# The only action that leads from each state of that solution to the next (by hand:
# the jugs' contents determine which of the six actions was taken).
DIEHARD_SOLUTION_ACTIONS = ["FillBigJug", "BigToSmall", "EmptySmallJug", "BigToSmall",
                            "FillBigJug", "BigToSmall"]


def _big_small(model, state):
    values = dict(zip(model.var_names, state))
    return values["big"], values["small"]


# --------------------------------------------------------------------------- Python API

def test_api_diehard_typeok_holds():
    model = load(DIEHARD, {}, ["TypeOK"])
    r = bfs(model, check_deadlock=True)
    assert r.verdict == "ok"
    assert (r.distinct, r.generated, r.depth) == (16, 97, 8)
    assert r.trace is None
    assert r.exit_code == EXIT_OK


def test_api_diehard_notsolved_violated_with_shortest_trace():
    model = load(DIEHARD, {}, ["TypeOK", "NotSolved"])
    r = bfs(model, check_deadlock=True)
    assert r.verdict == "violation"
    assert r.property == "NotSolved"
    assert r.exit_code == EXIT_VIOLATION
    assert r.trace is not None and len(r.trace) == 7
    assert [_big_small(model, step.state) for step in r.trace] == DIEHARD_SOLUTION
    assert r.trace[0].action is None
    assert [step.action for step in r.trace[1:]] == DIEHARD_SOLUTION_ACTIONS


def test_api_diehard_all_properties_by_default_finds_notsolved():
    # No invariant list: every property is checked, so NotSolved is found.
    r = bfs(load(DIEHARD, {}, None), check_deadlock=True)
    assert r.verdict == "violation" and r.property == "NotSolved"


def test_api_tcommit_no_deadlock_holds():
    model = load(TCOMMIT, {"RM": "3"}, ["TCTypeOK", "TCConsistent"])
    r = bfs(model, check_deadlock=False)
    assert r.verdict == "ok"
    assert (r.distinct, r.generated, r.depth) == (34, 94, 7)


def test_api_tcommit_with_deadlock_check_reports_deadlock():
    model = load(TCOMMIT, {"RM": "3"}, None)
    r = bfs(model, check_deadlock=True)
    assert r.verdict == "deadlock"
    assert r.exit_code == EXIT_DEADLOCK
    # Every manager must decide before nothing is enabled; the shortest way is three
    # DecideAbort steps, so the shortest deadlock trace has 4 states.
    assert len(r.trace) == 4
    assert [s.action for s in r.trace[1:]] == ["DecideAbort"] * 3


def test_api_twophase_rm3_typeok_holds():
    model = load(TWOPHASE, {"RM": "3"}, ["TPTypeOK"])
    r = bfs(model, check_deadlock=True)
    assert r.verdict == "ok"
    assert (r.distinct, r.generated, r.depth) == (288, 1146, 11)


def test_api_twophase_default_constant_is_rm3():
    r = bfs(load(TWOPHASE, {}, ["TPTypeOK"]), check_deadlock=True)
    assert (r.distinct, r.generated, r.depth) == (288, 1146, 11)


# --------------------------------------------------------------------------- CLI

def _json_run(tmp_path, spec, *args):
    proc = run_cli(spec, "--json", "--no-symmetry", "--out", tmp_path / "cex", *args)   # TLC's counts
    return proc, one_json_object(proc.stdout)


def _assert_result_fields(data):
    for key in ("verdict", "property", "distinct_states", "states_generated", "depth",
                "elapsed_s", "trace", "trace_length"):
        assert key in data, key
    assert isinstance(data["elapsed_s"], (int, float)) and data["elapsed_s"] >= 0


def test_cli_diehard_typeok_holds(tmp_path):
    proc, data = _json_run(tmp_path, DIEHARD, "--invariant", "TypeOK")
    assert proc.returncode == EXIT_OK, proc.stderr
    _assert_result_fields(data)
    assert data["verdict"] == "ok"
    assert data["property"] is None
    assert (data["distinct_states"], data["states_generated"], data["depth"]) == (16, 97, 8)
    assert data["trace"] is None and data["trace_length"] is None
    assert not (tmp_path / "cex").exists()     # nothing to write when nothing is found


def test_cli_diehard_notsolved_violated(tmp_path):
    proc, data = _json_run(tmp_path, DIEHARD, "--invariant", "TypeOK", "--invariant", "NotSolved")
    assert proc.returncode == EXIT_VIOLATION, proc.stderr
    _assert_result_fields(data)
    assert data["verdict"] == "violation"
    assert data["property"] == "NotSolved"
    assert data["trace_length"] == 7
    # Found before the search completed: at most the 16 reachable states.
    assert 7 <= data["distinct_states"] <= 16
    trace = Path(data["trace"])
    assert trace.is_file()
    assert tmp_path / "cex" in trace.parents


def _walk(value, path="$"):
    """Yield (json path, leaf) for every leaf of a JSON value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, value


def _bigints(value):
    """Yield every {"#bigint": ...} object inside a JSON value."""
    if isinstance(value, dict):
        if "#bigint" in value:
            yield value
        for v in value.values():
            yield from _bigints(v)
    elif isinstance(value, list):
        for v in value:
            yield from _bigints(v)


def test_cli_diehard_itf_trace(tmp_path):
    proc, data = _json_run(tmp_path, DIEHARD)
    assert proc.returncode == EXIT_VIOLATION, proc.stderr
    itf = json.loads(Path(data["trace"]).read_text(encoding="utf-8"))

    assert "big" in itf["vars"] and "small" in itf["vars"]
    states = itf["states"]
    assert len(states) == 7

    for i, st in enumerate(states):
        meta = st["#meta"]
        assert "action" in meta and "params" in meta
        assert isinstance(meta["params"], dict)
        # Integers are {"#bigint": "<digits>"}: no plain JSON number in any state value.
        # (#meta is ITF's free-form metadata, where e.g. Apalache writes "index": 0.)
        for key, value in st.items():
            if key == "#meta":
                continue
            for where, leaf in _walk(value, f"states[{i}].{key}"):
                assert not (isinstance(leaf, (int, float)) and not isinstance(leaf, bool)), \
                    f"plain JSON number at {where}: {leaf!r}"
            for big in _bigints(value):
                assert set(big) == {"#bigint"} and re.fullmatch(r"-?\d+", big["#bigint"]), big
        assert st["big"] == {"#bigint": str(DIEHARD_SOLUTION[i][0])}
        assert st["small"] == {"#bigint": str(DIEHARD_SOLUTION[i][1])}

    assert states[0]["#meta"]["action"] == "init"
    assert [st["#meta"]["action"] for st in states[1:]] == DIEHARD_SOLUTION_ACTIONS


def test_cli_tcommit_no_deadlock_holds(tmp_path):
    proc, data = _json_run(tmp_path, TCOMMIT, "--no-deadlock", "--const", "RM=3")
    assert proc.returncode == EXIT_OK, proc.stderr
    _assert_result_fields(data)
    assert data["verdict"] == "ok"
    assert (data["distinct_states"], data["states_generated"], data["depth"]) == (34, 94, 7)


def test_cli_tcommit_deadlock(tmp_path):
    proc, data = _json_run(tmp_path, TCOMMIT)
    assert proc.returncode == EXIT_DEADLOCK, proc.stderr
    assert data["verdict"] == "deadlock"
    assert data["trace_length"] == 4
    itf = json.loads(Path(data["trace"]).read_text(encoding="utf-8"))
    final = itf["states"][-1]["rmState"]["#map"]
    assert len(final) == 3
    assert all(value == "aborted" for _key, value in final)


def test_cli_twophase_rm3_typeok_holds(tmp_path):
    proc, data = _json_run(tmp_path, TWOPHASE, "--invariant", "TPTypeOK")
    assert proc.returncode == EXIT_OK, proc.stderr
    _assert_result_fields(data)
    assert data["verdict"] == "ok"
    assert (data["distinct_states"], data["states_generated"], data["depth"]) == (288, 1146, 11)


# --------------------------------------------------------------------------- independent BFS
# twophase_reference (tests/_support.py) is a hand-written BFS of TwoPhase.tla.

def test_reference_bfs_reproduces_tlc_figures_for_rm3():
    # The reference BFS must agree with TLC before it may judge a larger instance.
    assert twophase_reference(3) == (288, 1146, 11)


def test_api_twophase_rm4_matches_reference_bfs():
    distinct, generated, depth = twophase_reference(4)
    r = bfs(load(TWOPHASE, {"RM": "4"}, ["TPTypeOK"]), check_deadlock=True)
    assert r.verdict == "ok"
    assert (r.distinct, r.generated, r.depth) == (distinct, generated, depth)


def test_cli_twophase_rm4_matches_reference_bfs(tmp_path):
    distinct, generated, depth = twophase_reference(4)
    proc, data = _json_run(tmp_path, TWOPHASE, "--const", "RM=4", "--invariant", "TPTypeOK")
    assert proc.returncode == EXIT_OK, proc.stderr
    assert (data["distinct_states"], data["states_generated"], data["depth"]) == \
        (distinct, generated, depth)
