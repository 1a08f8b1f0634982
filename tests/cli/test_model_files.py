"""Model files (checker/compile/modelfile.py): `modelcheck MODEL.toml`, precedence of the command
line, --expected, and a located error for every mistake in a model file."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from _support import (DIEHARD, EXIT_BAD_INPUT, EXIT_OK, EXIT_VIOLATION, ROOT, TCOMMIT,
                      one_json_object, run_cli, run_cli_many)

EXIT_UNEXPECTED = 10


def write_model(tmp_path, text, name="m.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def diehard_model(tmp_path, extra="", name="m.toml"):
    return write_model(tmp_path, f'spec = "{DIEHARD.as_posix()}"\n' + extra, name)


def test_a_model_file_runs_its_spec_with_its_constants_and_properties(tmp_path):
    path = write_model(tmp_path, f'''spec = "{TCOMMIT.as_posix()}"
[constants]
RM = 2
[check]
invariants = ["TCConsistent"]
deadlock = false
''')
    data = one_json_object(run_cli(path, "--json", "--no-symmetry").stdout)
    assert data["verdict"] == "ok"
    assert data["constants"]["RM"] == "2"
    assert data["distinct_states"] == 12    # TCommit, 2 managers: {w,p,a}^2 + (p,c), (c,p), (c,c)
    assert data["property"] is None and "TCTypeOK" not in run_cli(path).stdout
    assert data["model"] == str(path)


def test_paths_in_a_model_file_are_relative_to_it(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "d.gdsl").write_text(DIEHARD.read_text())
    (tmp_path / "models").mkdir()
    path = write_model(tmp_path / "models", 'spec = "../specs/d.gdsl"\n[check]\ndeadlock = false\n')
    proc = run_cli(path, "--json", "--out", tmp_path / "out", cwd=ROOT)
    data = one_json_object(proc.stdout)
    assert data["verdict"] == "violation" and data["property"] == "NotSolved"
    assert (tmp_path / "out" / "m" / "NotSolved.itf.json").exists(), "traces are filed under the model's name"


def test_the_command_line_wins_over_the_model_file(tmp_path):
    path = write_model(tmp_path, f'''spec = "{TCOMMIT.as_posix()}"
[constants]
RM = 2
[check]
deadlock = false
''')
    data = one_json_object(run_cli(path, "--json", "--const", "RM=3", "--no-symmetry").stdout)
    assert data["constants"]["RM"] == "3" and data["distinct_states"] == 34


@pytest.mark.slow
def test_variation_constants_reach_the_spec_and_the_trace(tmp_path):
    model = ROOT / "models" / "bugs" / "KAFKA-2555.toml"
    proc = run_cli(model, "--json", "--out", tmp_path)
    data = one_json_object(proc.stdout)
    assert proc.returncode == EXIT_VIOLATION
    assert data["variation"] == {"FIX_KAFKA_2555": "false"} and data["constants"]["FIX_KAFKA_2555"] == "false"
    trace = json.loads((tmp_path / "KAFKA-2555" / "CommitFencing.itf.json").read_text())
    assert trace["#meta"]["variation"] == {"FIX_KAFKA_2555": "false"}
    text = run_cli(model, "--out", tmp_path).stdout
    assert "Variation: FIX_KAFKA_2555 = false (KAFKA-2555)" in text
    assert "As expected: violation of CommitFencing." in text


def test_expected_turns_recorded_verdicts_into_a_gate(tmp_path):
    violated = diehard_model(tmp_path, '[check]\ndeadlock = false\n[expect]\nverdict = "violation"\n'
                                       'property = "NotSolved"\n', "recorded.toml")
    wrong = diehard_model(tmp_path, '[check]\ndeadlock = false\n[expect]\nverdict = "ok"\n', "wrong.toml")
    ok_spec = TCOMMIT
    both, one, gate = run_cli_many(["--expected", "--json", "--no-deadlock", "--out", tmp_path, violated, ok_spec],
                                   ["--json", "--out", tmp_path, violated],
                                   ["--expected", "--json", "--out", tmp_path, tmp_path])
    assert both.returncode == EXIT_OK, both.stdout
    assert one.returncode == EXIT_VIOLATION, "without --expected the exit code is TLC's"
    assert one_json_object(one.stdout)["as_expected"] is True
    data = one_json_object(gate.stdout)
    assert gate.returncode == EXIT_UNEXPECTED
    verdicts = {r["model"].rsplit("/", 1)[-1]: r["as_expected"] for r in data["runs"]}
    assert verdicts == {"recorded.toml": True, "wrong.toml": False}
    assert wrong.exists()


def test_a_property_mismatch_is_not_as_expected(tmp_path):
    path = diehard_model(tmp_path, '[check]\ndeadlock = false\n[expect]\nverdict = "violation"\n'
                                   'property = "TypeOK"\n')
    proc = run_cli("--expected", path, "--out", tmp_path)
    assert proc.returncode == EXIT_UNEXPECTED
    assert "NOT AS EXPECTED: the model records violation of TypeOK." in proc.stdout
    assert "State 1:" in proc.stdout, "an unexpected violation shows its trace"


def test_the_gate_does_not_print_the_traces_of_expected_violations(tmp_path):
    path = diehard_model(tmp_path, '[check]\ndeadlock = false\n[expect]\nverdict = "violation"\n'
                                   'property = "NotSolved"\n')
    gate, plain = run_cli_many(["--expected", path, "--out", tmp_path], [path, "--out", tmp_path])
    assert gate.returncode == EXIT_OK and "As expected: violation of NotSolved." in gate.stdout
    assert "State 1:" not in gate.stdout and "Trace (7 states) written to" in gate.stdout
    assert "State 1:" in plain.stdout, "without --expected the trace is printed as always"


def test_junit_names_each_model(tmp_path):
    a = diehard_model(tmp_path, "[check]\ndeadlock = false\n", "alpha.toml")
    b = diehard_model(tmp_path, "[check]\ndeadlock = false\n", "beta.toml")
    run_cli(a, b, "--junit", tmp_path / "r.xml", "--out", tmp_path)
    suites = ET.parse(tmp_path / "r.xml").getroot().findall("testsuite")
    assert [s.get("name").split(" ")[0] for s in suites] == ["alpha", "beta"]
    assert all(c.get("classname") in ("alpha", "beta") for s in suites for c in s.findall("testcase"))
    assert not any(c.get("name") == "Deadlock" for s in suites for c in s.findall("testcase")), \
        "deadlock = false in the model file means no deadlock test case"


def test_a_directory_holds_specs_and_models(tmp_path):
    diehard_model(tmp_path, "[check]\ndeadlock = false\n", "a.toml")
    (tmp_path / "t.gdsl").write_text(TCOMMIT.read_text())
    data = one_json_object(run_cli(tmp_path, "--json", "--out", tmp_path).stdout)
    assert sorted(r["path"].rsplit("/", 1)[-1] for r in data["runs"]) == ["diehard.gdsl", "t.gdsl"]


# Every mistake in a model file: exit 2, `file:line:col: error:` at the key, no traceback.
BAD_MODELS = [
    ("toml syntax", 'spec = "x.gdsl"\n[constants\n', 2, "not a valid TOML model file"),
    ("unknown key", 'spec = "{spec}"\nspecs = "y"\n', 2, "unknown key 'specs'"),
    ("unknown table key", 'spec = "{spec}"\n[check]\ninvariant = ["X"]\n', 3, "[check] has no key 'invariant'"),
    ("missing spec", '[constants]\nBIG = 4\n', 0, "a model file names its spec"),
    ("spec not found", 'spec = "nowhere.gdsl"\n', 1, "no such file"),
    ("bad constant value", 'spec = "{tcommit}"\n[constants]\nRM = "five"\n', 3, "RM = five: RM is an integer constant"),
    ("bad enum value", 'spec = "{group}"\n[constants]\nCONSUMERS = 2\nASSIGNOR = "fastest"\n', 4,
     "ASSIGNOR = fastest: ASSIGNOR is a Assignor; give one of range, roundrobin"),
    ("list as constant", 'spec = "{group}"\n[constants]\nCONSUMERS = [2]\n', 3,
     "CONSUMERS = {2}: CONSUMERS is an integer constant; give an integer"),   # an array is a set
    ("table as constant", 'spec = "{group}"\n[constants]\nCONSUMERS = {{ n = 2 }}\n', 3,
     "a constant is an integer, true/false, an enum value name, an array"),
    ("unknown constant", 'spec = "{spec}"\n\n[variation]\nFIX_NOTHING = false\n', 4, "the spec has no constant named 'FIX_NOTHING'"),
    ("constant set twice", 'spec = "{tcommit}"\n[constants]\nRM = 5\n[variation]\nRM = 4\n', 5, "set both in [constants] and in [variation]"),
    ("unknown property", 'spec = "{spec}"\n[check]\ninvariants = ["Solved"]\n', 3, "no property named 'Solved'"),
    ("wrong type", 'spec = "{spec}"\n[check]\nmax_states = "lots"\n', 3, "max_states takes a whole number"),
    ("not positive", 'spec = "{spec}"\n[check]\ntimeout = 0\n', 3, "timeout must be above 0"),
    ("bad verdict", 'spec = "{spec}"\n[expect]\nverdict = "fine"\n', 3, "verdict 'fine' is not one of"),
    ("table as value", 'spec = "{spec}"\ncheck = 3\n', 2, "check is a table"),
]


@pytest.mark.parametrize("text,line,message", [b[1:] for b in BAD_MODELS], ids=[b[0] for b in BAD_MODELS])
def test_every_model_file_mistake_is_located(tmp_path, text, line, message):
    path = write_model(tmp_path, text.format(spec=DIEHARD.as_posix(), tcommit=TCOMMIT.as_posix(),
                                             group=(ROOT / "spec" / "group.gdsl").as_posix()))
    proc = run_cli(path, "--out", tmp_path)
    assert proc.returncode == EXIT_BAD_INPUT, proc.stdout + proc.stderr
    assert message in proc.stderr, proc.stderr
    first = proc.stderr.splitlines()[0]
    if line:
        assert re.match(rf"{re.escape(str(path))}:{line}:\d+: error: ", first), first
        assert "^" in proc.stderr, "the source line and a caret follow"
    else:
        assert first.startswith(f"{path}: error: "), first


def test_a_bad_const_on_the_command_line_still_names_the_option(tmp_path):
    path = write_model(tmp_path, f'spec = "{TCOMMIT.as_posix()}"\n[constants]\nRM = 2\n')
    proc = run_cli(path, "--const", "RM=x")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "--const RM=x: RM is an integer constant" in proc.stderr


@pytest.mark.slow
def test_the_named_models_are_valid_and_describe_themselves():
    models = sorted((ROOT / "models").glob("*.toml"))
    assert {m.stem for m in models} >= {"default", "cooperative", "roundrobin", "static", "failover",
                                        "larger-group"}
    runs = run_cli_many(*[[m, "--describe", "--json"] for m in models])
    for m, proc in zip(models, runs):
        assert proc.returncode == EXIT_OK, (m, proc.stderr)
        assert one_json_object(proc.stdout)["spec"] == "ConsumerGroup"


def test_junit_under_expected_passes_a_recorded_violation_and_fails_a_missing_one(tmp_path):
    recorded = diehard_model(tmp_path, '[check]\ndeadlock = false\n[expect]\nverdict = "violation"\n'
                                       'property = "NotSolved"\n', "recorded.toml")
    missing = write_model(tmp_path, f'spec = "{TCOMMIT.as_posix()}"\n[check]\ndeadlock = false\n'
                                    '[expect]\nverdict = "violation"\nproperty = "TCConsistent"\n',
                          "missing.toml")
    proc = run_cli("--expected", recorded, missing, "--junit", tmp_path / "r.xml", "--out", tmp_path)
    assert proc.returncode == EXIT_UNEXPECTED
    suites = {s.get("name").split(" ")[0]: s for s in ET.parse(tmp_path / "r.xml").getroot()}
    assert suites["recorded"].get("failures") == "0" and suites["recorded"].get("tests") != "0"
    failures = suites["missing"].findall("testcase/failure")
    assert len(failures) == 1 and "expected violation of TCConsistent" in failures[0].get("message")


def test_a_model_file_can_turn_symmetry_off(tmp_path):
    text = f'''spec = "{TCOMMIT.as_posix()}"
[constants]
RM = 3
[check]
deadlock = false
'''
    on = one_json_object(run_cli(write_model(tmp_path, text), "--json").stdout)
    off = one_json_object(run_cli(write_model(tmp_path, text + "symmetry = false\n"), "--json").stdout)
    assert off["distinct_states"] == 34          # TLC's count (shared/known-answers)
    assert on["distinct_states"] < 34
