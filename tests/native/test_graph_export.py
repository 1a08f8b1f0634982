"""--graph and --coverage on the native backend: the graph the C search records (states,
steps, labels, steps to states outside the constraints) gives the same graph file, byte
for byte, and the same coverage (components, states with no way back, per action steps
and new states) as the Python backend's, on every example spec and on a model file
with liveness; both refuse the same way after an incomplete search."""
from __future__ import annotations

import json

import pytest

from _support import EXAMPLES, ROOT, run_cli
from checker.compile.model import compile_model, load_spec
from checker.native.codegen import generate
from checker.native.encoding import Unsupported

from test_agreement import CONSTRUCTS



def _compiles(path) -> bool:
    """Does the native backend compile the spec (not: a refinement, a choice among sets,
    which tests/native/test_agreement.py checks are refused with their location)?"""
    try:
        generate(compile_model(load_spec(path)))
    except Unsupported:
        return False
    return True


SPECS = sorted(p for p in EXAMPLES.glob("*.gdsl") if _compiles(p))
DROP = ("backend", "elapsed_s", "liveness_s", "visited_bytes", "trace")      # trace: the file's path


def outputs(tmp_path, target, *args, graph="g.dot"):
    """(JSON result, graph file text, exit code) of each backend."""
    got = {}
    for backend in ("python", "native"):
        where = tmp_path / backend
        path = where / graph
        proc = run_cli(target, *args, "--graph", path, "--coverage", "--backend", backend, "--json",
                       "--out", where, timeout=300)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result["backend"] == backend
        got[backend] = ({k: v for k, v in result.items() if k not in DROP},
                        path.read_text() if path.exists() else None, proc.returncode)
    return got["python"], got["native"]


@pytest.mark.parametrize("spec", [p if p.stem == "diehard" else pytest.param(p, marks=pytest.mark.slow)
                                  for p in SPECS], ids=[p.stem for p in SPECS])
def test_examples_export_the_same_graph_and_coverage(tmp_path, spec):
    python, native = outputs(tmp_path, spec, "--no-deadlock", graph="g.graphml")
    assert native == python
    if python[0]["verdict"] == "ok":
        assert python[1] and python[0]["coverage"]["coverage"]


def test_constraints_liveness_and_an_action_never_taken_agree(tmp_path):
    spec = tmp_path / "c.gdsl"
    spec.write_text(CONSTRUCTS["constraint"] + """
action Never when x > 20 { x = 0 }
fairness weak Turn
temporal property Turns = always eventually y == 0
""")
    python, native = outputs(tmp_path, spec)
    assert native == python
    assert python[0]["coverage"]["coverage"]["Inc"]["steps"] == 24        # 4 of them to x = 6, outside
    assert python[0]["coverage"]["coverage"]["Never"] == {"steps": 0, "distinct": 0}


@pytest.mark.slow
def test_two_consumers_coverage_agrees(tmp_path):
    got = {}
    for backend in ("python", "native"):
        proc = run_cli(ROOT / "models" / "two-consumers.toml", "--coverage", "--backend", backend, "--json",
                       "--out", tmp_path, timeout=300)
        got[backend] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["native"]["coverage"] == got["python"]["coverage"]
    assert got["native"]["distinct_states"] == got["python"]["distinct_states"]
    assert got["native"]["coverage"]["coverage"]["HandleJoinGroup"]["steps"] > 0


def test_an_incomplete_search_writes_no_graph_on_either(tmp_path):
    python, native = outputs(tmp_path, EXAMPLES / "diehard.gdsl")     # stops at NotSolved
    assert python[2] == native[2] == 12
    assert python[1] is None and native[1] is None
