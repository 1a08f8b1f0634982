"""Covers on the command line: exit 15 and the summary, --witness (text and ITF), bad
names, --json, model files that select covers, and --bmc naming the covers it leaves."""
from __future__ import annotations

import json

import pytest

from _support import COVER_COUNTER, EXIT_BAD_INPUT, one_json_object, run_cli, run_cli_many

SPEC = COVER_COUNTER + """
cover ReachFour = x == 4
cover action Wrap = x == 5 and x' == 0
cover Never when K == 1 = y == 5
cover OnlyWhenTwo when K == 2 = y == 2
"""


@pytest.fixture()
def spec(tmp_path):
    path = tmp_path / "covers.gdsl"
    path.write_text(SPEC)
    return path


@pytest.mark.parametrize("backend", ["python", "native"])
def test_an_unreached_cover_exits_15_and_the_summary_lists_each(spec, tmp_path, backend):
    p = run_cli(spec, "--backend", backend, "--out", tmp_path / "out")
    assert p.returncode == 15, p.stdout + p.stderr
    assert "Error: Cover Never was never reached, though the search was complete" in p.stdout
    assert "Covers: 2 of 3 reached:" in p.stdout
    lines = {line.split()[0]: line for line in p.stdout.splitlines() if line.startswith("  ")}
    assert "reached, shortest witness 5 states" in lines["ReachFour"]
    assert "cover action" in lines["Wrap"] and "shortest witness 7 states" in lines["Wrap"]
    assert "NEVER REACHED" in lines["Never"]
    assert "OnlyWhenTwo" not in p.stdout       # about K == 2 only


def test_witness_prints_the_trace_and_writes_itf(spec, tmp_path):
    p = run_cli(spec, "--backend", "python", "--skip", "Never", "--witness", "Wrap", "--out", tmp_path / "out")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "A shortest witness of cover Wrap (7 states):" in p.stdout
    assert "State 7: Reset" in p.stdout
    path = tmp_path / "out" / "Counter" / "Wrap.witness.itf.json"
    assert f"Witness (7 states) written to {path}" in p.stdout
    itf = json.loads(path.read_text())
    assert [s["x"]["#bigint"] for s in itf["states"]] == ["0", "1", "2", "3", "4", "5", "0"]
    assert [s["mbt::actionTaken"] for s in itf["states"]][-1] == "Reset"
    assert itf["#meta"]["description"] == "a shortest witness of cover Wrap"


def test_bad_witness_and_selection_names_are_usage_errors(spec):
    bad_name, other_config, with_bmc = run_cli_many(
        [spec, "--witness", "Wrapp"], [spec, "--invariant", "OnlyWhenTwo"], [spec, "--bmc", "3", "--witness", "Wrap"])
    assert bad_name.returncode == EXIT_BAD_INPUT
    assert "--witness Wrapp: not a cover this run checks; did you mean 'Wrap'?" in bad_name.stderr
    assert other_config.returncode == EXIT_BAD_INPUT
    assert "cover OnlyWhenTwo is about other configurations" in other_config.stderr
    assert with_bmc.returncode == EXIT_BAD_INPUT and "--bmc and --prove do not check covers" in with_bmc.stderr


def test_json_reports_each_cover(spec, tmp_path):
    p = run_cli(spec, "--json", "--backend", "python", "--out", tmp_path / "out")
    data = one_json_object(p.stdout)
    assert (data["verdict"], data["property"], data["property_kind"], data["exit_code"]) == \
        ("violation", "Never", "cover", 15)
    assert data["covers"]["ReachFour"] == {"kind": "cover", "line": 11, "reached": True, "depth": 5}
    assert data["covers"]["Never"]["reached"] is False


def test_bmc_names_the_covers_it_does_not_check(spec):
    p = run_cli(spec, "--bmc", "3")
    assert p.returncode == 3, p.stdout + p.stderr          # bounded: not a proof
    assert "Not checked by --bmc/--prove (covers: the explicit search checks that each is reached): " \
           "ReachFour, Wrap, Never" in p.stdout


def test_model_files_select_covers_like_other_properties(spec, tmp_path):
    only = tmp_path / "only.toml"
    only.write_text(f'spec = "{spec}"\n[check]\ninvariants = ["Small", "ReachFour"]\n')
    skip = tmp_path / "skip.toml"
    skip.write_text(f'spec = "{spec}"\n[check]\nskip = ["Never"]\n')
    expect = tmp_path / "expect.toml"
    expect.write_text(f'spec = "{spec}"\n[expect]\nverdict = "violation"\nproperty = "Never"\n')
    a, b, c = run_cli_many([only, "--json"], [skip, "--json"], [expect, "--expected"])
    assert one_json_object(a.stdout)["covers"] == {"ReachFour": {"kind": "cover", "line": 11, "reached": True,
                                                                 "depth": 5}}
    assert (b.returncode, sorted(one_json_object(b.stdout)["covers"])) == (0, ["ReachFour", "Wrap"])
    assert c.returncode == 0, c.stdout + c.stderr


def test_junit_has_a_test_case_per_cover_and_sarif_says_never_reached(spec, tmp_path):
    import xml.etree.ElementTree as ET
    junit, sarif = tmp_path / "j.xml", tmp_path / "s.sarif"
    p = run_cli(spec, "--backend", "python", "--junit", junit, "--sarif", sarif, "--out", tmp_path / "out")
    assert p.returncode == 15
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert {n for n, c in cases.items() if c.find("failure") is not None} == {"Never"}
    assert cases["ReachFour"].find("failure") is None and cases["Wrap"].find("failure") is None
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert [r["message"]["text"] for r in results] == \
        ["cover Never was never reached (1 of 3 covers never reached: Never)"]
