"""The Python API (checker/api, docs/api.md): constants as Python values validated with
the CLI's messages, results and traces as plain values, the backend the CLI picks,
progress callbacks, errors as GdslError."""
from __future__ import annotations

import json
import re
from pathlib import Path
import subprocess
import sys

import pytest

from checker import api

ROOT = Path(__file__).resolve().parents[2]
DIEHARD = ROOT / "spec" / "examples" / "diehard.gdsl"
GROUP = ROOT / "spec" / "group.gdsl"


def cli_json(tmp_path, *argv):
    p = subprocess.run([sys.executable, "-m", "checker.cli", *map(str, argv), "--json", "--out", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT)
    return json.loads(p.stdout.splitlines()[-1])


def test_the_public_surface_is_what_docs_api_md_lists():
    assert sorted(api.__all__) == sorted(["load", "replay", "Spec", "Result", "Trace", "State", "Replayed",
                                          "Progress", "SimulationProgress", "GdslError", "BACKENDS"])
    doc = (ROOT / "docs" / "api.md").read_text()
    assert all(f"`{name}" in doc for name in api.__all__)


def test_constants_are_python_values_and_come_back_as_them():
    spec = api.load(GROUP, CONSUMERS=2, ASSIGNOR="sticky", STATIC=True)
    assert (spec.constants["CONSUMERS"], spec.constants["ASSIGNOR"], spec.constants["STATIC"]) == (2, "sticky", True)
    assert api.load(GROUP, {"CONSUMERS": 2}).constants["CONSUMERS"] == 2
    assert "groupState" in spec.variables and "JoinGroup" not in spec.actions
    assert "NoDoubleOwnership" in spec.invariants


@pytest.mark.parametrize("consts, words", [
    ({"CONSUMER": 2}, "constant CONSUMER: the spec has no constant named 'CONSUMER'; did you mean 'CONSUMERS'?"),
    ({"ASSIGNOR": "rr"}, "constant ASSIGNOR='rr': ASSIGNOR is a Assignor; give one of range, roundrobin"),
    ({"STATIC": 1}, "constant STATIC=1: STATIC is a bool constant; give true or false"),
    ({"CONSUMERS": "two"}, "constant CONSUMERS='two': CONSUMERS is an integer constant; give an integer"),
    ({"CONSUMERS": 2.5}, "constant CONSUMERS=2.5: a constant is an int, a bool or an enum value's name"),
])
def test_a_bad_constant_is_a_gdsl_error_with_the_clis_message(consts, words):
    with pytest.raises(api.GdslError) as e:
        api.load(GROUP, consts)
    assert words in str(e.value)
    if "named" not in words and "float" not in str(e.value) and "2.5" not in words:
        assert e.value.path == str(GROUP) and e.value.line > 0          # at the constant's declaration


def test_spec_and_option_errors_are_gdsl_errors(tmp_path):
    bad = tmp_path / "bad.gdsl"
    bad.write_text("spec Bad\nvar x: bool\ninit { x = 1 }\naction A { x = true }\n")
    with pytest.raises(api.GdslError) as e:
        api.load(bad)
    assert (e.value.path, e.value.line) == (str(bad), 3) and "^" in str(e.value)
    with pytest.raises(api.GdslError, match="no such file"):
        api.load(tmp_path / "nowhere.gdsl")
    spec = api.load(DIEHARD)
    with pytest.raises(api.GdslError, match="backend='c': give one of python, native, auto"):
        spec.check(backend="c")
    with pytest.raises(api.GdslError, match="no property named 'NotSolvd'; did you mean 'NotSolved'"):
        spec.check(invariants=["NotSolvd"])
    for question, words in ((lambda: spec.check(max_states=0), "max_states=0: give a whole number of 1 or more"),
                            (lambda: spec.simulate(runs=-1), "runs=-1: give a whole number of 1 or more"),
                            (lambda: spec.simulate(steps=2.5), "steps=2.5: give a whole number"),
                            (lambda: spec.bmc(0), "depth=0: give a whole number"),
                            (lambda: spec.prove(timeout=0), "timeout=0: give a number of seconds above 0")):
        with pytest.raises(api.GdslError, match=re.escape(words)):
            question()


def test_check_gives_the_clis_verdict_counts_and_trace_as_plain_values(tmp_path):
    result = api.load(DIEHARD).check(backend="python")
    cli = cli_json(tmp_path, DIEHARD, "--backend", "python")
    assert (result.verdict, result.property, result.exit_code) == ("violation", "NotSolved", 12)
    assert (result.distinct, result.generated) == (cli["distinct_states"], cli["states_generated"])
    assert [s.values for s in result.trace] == [{"big": b, "small": s} for b, s in
                                                [(0, 0), (5, 0), (2, 3), (2, 0), (0, 2), (5, 2), (4, 3)]]
    assert result.trace[1].action == "FillBigJug" and result.trace[0].action is None
    assert result.trace[-1]["big"] == 4
    assert "State 7: BigToSmall" in str(result) and str(result).startswith("Error: Invariant NotSolved")


def test_records_enums_sets_and_maps_are_python_values():
    spec = api.load(GROUP, CONSUMERS=2)
    s = spec.initial_state()
    assert s["groupState"] == "Empty" and s["leader"] is None and s["members"] == {}
    assert s["owned"] == {"Consumer1": frozenset(), "Consumer2": frozenset()}
    result = spec.check(backend="python", max_depth=3)
    assert result.verdict == "incomplete" and result.stopped_by == "max-depth" and result.exit_code == 3
    bug = api.load(ROOT / "models" / "bugs" / "KAFKA-2555.toml").check()
    last = bug.trace[-1]
    assert bug.property == "CommitFencing" and last.action == "HandleOffsetCommit"
    assert last.params == {"c": "Consumer1"} and last["committed"] == {0: 1, 1: 1}
    member = next(iter(bug.trace[5]["members"].values()))
    assert type(member).__name__ == "Member" and member.meta.gen == -1 and isinstance(member.meta.owned, frozenset)
    assert {type(k).__name__ for k in bug.trace[5]["members"]} == {"MemberId"}


def test_check_picks_the_backend_as_the_cli_does(monkeypatch):
    from checker.native import build
    if build.find_compiler() is None:
        pytest.skip("no C compiler: auto runs the Python backend (tests/cli/test_backend.py covers that)")
    spec = api.load(DIEHARD)
    assert spec.check().backend == "native"
    assert spec.check(backend="python").backend == "python"
    assert spec.check(invariants=["TypeOK"]).distinct == spec.check(invariants=["TypeOK"], backend="python").distinct


def test_progress_is_called_with_the_counts():
    seen = []
    result = api.load(GROUP, CONSUMERS=2).check(backend="python", max_states=3000, progress=seen.append,
                                                progress_every=0.0)
    assert seen and isinstance(seen[-1], api.Progress)
    assert all(p.distinct <= result.distinct for p in seen) and seen[-1].generated > 0
    sims = []
    api.load(DIEHARD).simulate(runs=5, steps=5, seed=1, progress=sims.append)
    native = []
    api.load(DIEHARD).check(backend="auto", progress=native.append)
    assert len(native) == 1 and native[0].distinct > 0


def test_simulate_prove_and_bmc():
    sim = api.load(DIEHARD).simulate(runs=200, steps=30, seed=3)
    assert sim.verdict == "violation" and sim.trace[-1]["big"] == 4
    assert api.load(DIEHARD).simulate(runs=3, steps=3, seed=3).verdict == "ok"
    tcommit = api.load(ROOT / "spec" / "examples" / "tcommit.gdsl")
    proof = tcommit.prove()
    assert (proof.verdict, proof.exit_code, proof.backend) == ("ok", 0, "z3") and proof.summary.startswith("Proved")
    grants = api.load(ROOT / "tests" / "symbolic" / "specs" / "grants.gdsl").prove()
    assert (grants.verdict, grants.exit_code, grants.message) == ("incomplete", 3, "not inductive: NotAhead")
    found = api.load(DIEHARD).bmc(8)
    assert (found.verdict, found.property, len(found.trace)) == ("violation", "NotSolved", 7)


def test_replay_a_trace_file_and_with_a_constant_changed(tmp_path):
    trace = ROOT / "counterexamples" / "KAFKA-2555.itf.json"        # the README's, recorded by the CLI
    rep = api.replay(trace)
    assert rep.reproduced and rep.property == "CommitFencing" and rep.exit_code == 12
    assert rep.trace[-1].action == "HandleOffsetCommit"
    fixed = api.replay(trace, constants={"FIX_KAFKA_2555": True})
    assert not fixed.reproduced and fixed.exit_code == 0 and "state 15 of 15" in fixed.message
    with pytest.raises(api.GdslError, match="no such file"):
        api.replay(tmp_path / "none.itf.json")


def test_an_extension_loads_like_any_spec():
    spec = api.load(ROOT / "spec" / "questions" / "cooperative-double-ownership.gdsl")
    assert spec.constants["ASSIGNOR"] == "cooperative_sticky" and "NoPartitionOwnedTwice" in spec.invariants


def test_html_for_notebooks_and_the_state_graph_picture():
    result = api.load(DIEHARD).check(backend="python")
    page = result._repr_html_()
    assert "Invariant NotSolved is violated" in page and page.count("<iframe") == 1
    assert "srcdoc=" in result.trace._repr_html_() and "FillBigJug" in result.trace.html_page()
    picture = api.load(DIEHARD, ).state_graph()
    assert (picture.graph.number_of_nodes(), picture.graph.number_of_edges()) == (16, 74)
    svg = picture._repr_svg_()
    assert svg.startswith("<svg") and svg.count("<line") + svg.count('r="5"') == 74
    with pytest.raises(api.GdslError, match="more than 5 states"):
        api.load(DIEHARD).state_graph(max_states=5)


def test_ipython_displays_a_result_as_html_and_the_graph_as_svg():
    """What Jupyter does with a cell's value: IPython's display formatter picks the
    representations (IPython is a test dependency, not one of the package's)."""
    from IPython.core import formatters
    display = formatters.DisplayFormatter()
    diehard = api.load(DIEHARD)
    shown, _ = display.format(diehard.check(backend="python"))
    assert "Invariant NotSolved is violated" in shown["text/html"] and "<iframe" in shown["text/html"]
    shown, _ = display.format(diehard.state_graph())
    assert shown["image/svg+xml"].startswith("<svg") and shown["text/plain"] == "<StateGraph: 16 states, 74 steps>"
