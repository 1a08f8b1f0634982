"""The CI gate: JUnit and SARIF reports, and several specs checked in one run."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "spec" / "examples"
DIEHARD = EXAMPLES / "diehard.gdsl"


def run(*args, cwd=ROOT):
    p = subprocess.run([sys.executable, "-m", "checker.cli", *map(str, args)],
                       capture_output=True, text=True, cwd=cwd, timeout=300)
    assert "Traceback" not in p.stdout + p.stderr
    return p


def line_of(path: Path, text: str) -> int:
    return next(i for i, l in enumerate(path.read_text().splitlines(), 1) if text in l)


def test_junit_report_of_a_failing_model(tmp_path):
    junit = tmp_path / "report.xml"
    p = run(DIEHARD, "--out", tmp_path / "cx", "--junit", junit)
    assert p.returncode == 12
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    for attr in ("name", "tests", "failures", "errors", "skipped", "time", "timestamp"):
        assert attr in suite.attrib, attr
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"TypeOK", "NotSolved", "Deadlock"}
    assert all(c.get("classname") == "DieHard" for c in cases.values())
    failure = cases["NotSolved"].find("failure")
    assert failure is not None
    assert "NotSolved" in failure.get("message")
    assert str(tmp_path / "cx" / "DieHard" / "NotSolved.itf.json") in failure.get("message")
    assert "State 7" in failure.text               # the readable trace
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    props = {pr.get("name"): pr.get("value") for pr in suite.find("properties")}
    assert props["distinct_states"] == "14" and props["states_generated"] == "73"
    assert props["verdict"] == "violation"
    # a property the search did not finish checking is not reported as passing
    assert cases["TypeOK"].find("skipped") is not None


def test_junit_report_of_a_passing_model(tmp_path):
    junit = tmp_path / "ok.xml"
    p = run(EXAMPLES / "twophase.gdsl", "--junit", junit)
    assert p.returncode == 0
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("failures") == "0" and suite.get("errors") == "0" and suite.get("skipped") == "0"
    assert {c.get("name") for c in suite.findall("testcase")} == {"TPTypeOK", "TCConsistent", "Deadlock"}
    assert all(len(list(c)) == 0 for c in suite.findall("testcase"))   # passed: no child element


def test_sarif_report_points_at_the_property(tmp_path):
    sarif = tmp_path / "report.sarif"
    p = run(DIEHARD, "--out", tmp_path / "cx", "--sarif", sarif)
    assert p.returncode == 12
    doc = json.loads(sarif.read_text())
    assert doc["version"] == "2.1.0" and "$schema" in doc
    (sarif_run,) = doc["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "modelcheck"
    assert {r["id"] for r in driver["rules"]} >= {"TypeOK", "NotSolved"}
    (result,) = sarif_run["results"]
    assert result["ruleId"] == "NotSolved" and result["level"] == "error"
    assert result["message"]["text"]
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("spec/examples/diehard.gdsl")
    assert loc["region"]["startLine"] == line_of(DIEHARD, "invariant NotSolved")
    assert result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file://")


def test_a_directory_of_specs_gives_one_combined_verdict(tmp_path):
    p = run(EXAMPLES, "--no-deadlock", "--out", tmp_path, "--json")
    assert p.returncode == 12                       # DieHard's NotSolved
    doc = json.loads(p.stdout)
    assert doc["verdict"] == "violation" and doc["exit_code"] == 12
    # spec/examples and its refinement/ folder: DieHard and the broken clock fail
    assert {Path(r["path"]).name: r["verdict"] for r in doc["runs"]} == {
        "diehard.gdsl": "violation", "tcommit.gdsl": "ok", "twophase.gdsl": "ok", "ewd840.gdsl": "ok",
        "simpleallocator.gdsl": "ok", "synctermination.gdsl": "ok", "hourclock.gdsl": "ok",
        "hourminuteclock.gdsl": "ok", "hourminuteclock_broken.gdsl": "violation"}


def test_several_specs_all_passing_exit_0(tmp_path):
    p = run(EXAMPLES / "tcommit.gdsl", EXAMPLES / "twophase.gdsl", "--no-deadlock")
    assert p.returncode == 0
    assert "2 specs checked" in p.stdout


def test_a_bad_spec_among_good_ones_is_an_error_in_every_report(tmp_path):
    bad = tmp_path / "specs" / "broken.gdsl"
    bad.parent.mkdir()
    bad.write_text("spec Broken\nvar x: 0..3\ninit { x = 0 }\naction A { x = y }\n")
    shutil.copy(EXAMPLES / "twophase.gdsl", bad.parent / "twophase.gdsl")
    junit, sarif = tmp_path / "r.xml", tmp_path / "r.sarif"
    p = run(bad.parent, "--junit", junit, "--sarif", sarif, "--out", tmp_path / "cx")
    assert p.returncode == 2
    assert "broken.gdsl:4:16: error: unknown name 'y'" in p.stderr
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert len(suites) == 2
    errors = [s for s in suites if s.get("errors") == "1"]
    assert len(errors) == 1 and "broken.gdsl" in errors[0].get("name")
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] \
        == [("SpecError", 4)]


def test_an_empty_directory_is_bad_input(tmp_path):
    p = run(tmp_path)
    assert p.returncode == 2 and "no .gdsl spec" in p.stderr
