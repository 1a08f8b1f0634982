"""docs/ci.md's recipes work on this repository (issue 24, item 6): the GitHub Actions
workflow's `run:` steps are executed as written (in a folder holding this repository's
models and specs), the gate passes, and its SARIF report holds no alert for a model that
fails as it records (every result a note). A directory walk skips diagram tables."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from _support import ROOT, run_cli

DOC = (ROOT / "docs" / "ci.md").read_text()


def _workflow_runs() -> list:
    """The `run:` steps of the workflow in docs/ci.md that call modelcheck, as shell text."""
    workflow = re.search(r"```yaml\nname: modelcheck\n(.*?)```", DOC, re.S).group(1)
    steps = re.findall(r"run: \|\n((?:          .*\n)+)", workflow)
    return [re.sub(r"^ {10}", "", s, flags=re.M) for s in steps if "modelcheck" in s]


@pytest.fixture
def checkout(tmp_path):
    """A folder laid out as this repository (its models, specs and references linked)."""
    for name in ("models", "spec", "counterexamples"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


@pytest.mark.slow
def test_the_github_workflow_gate_passes_on_this_repository(checkout):
    runs = _workflow_runs()
    assert runs, "docs/ci.md has a workflow step running modelcheck"
    for script in runs:
        script = script.replace("modelcheck ", f"{sys.executable} -m checker.cli ")
        script = script.replace("--out counterexamples", "--out traces")   # not into the references
        proc = subprocess.run(["bash", "-e", "-c", script], cwd=checkout, capture_output=True, text=True,
                              timeout=600, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    sarif = json.loads((checkout / "reports" / "modelcheck.sarif").read_text())
    results = [r for run in sarif["runs"] for r in run["results"]]
    assert len(results) == 13                                   # 12 bug models and static.toml
    assert {r["level"] for r in results} == {"note"}
    assert all(r["message"]["text"].startswith("as expected (violation of ") for r in results)
    junit = (checkout / "reports" / "modelcheck.xml").read_text()
    assert "<failure" not in junit and "<error" not in junit


def test_an_unexpected_violation_is_an_error_level_result(tmp_path):
    report = tmp_path / "r.sarif"
    proc = run_cli(ROOT / "models" / "bugs" / "KAFKA-2555.toml", "--sarif", report, "--out", tmp_path)
    assert proc.returncode == 12
    levels = [r["level"] for run in json.loads(report.read_text())["runs"] for r in run["results"]]
    assert levels == ["error"], "without --expected a violation is an alert"


def test_a_directory_walk_skips_diagram_tables(tmp_path):
    proc = run_cli(ROOT / "spec", "--max-states", "50", "--quiet", "--out", tmp_path)
    assert "group.diagram.toml" not in proc.stdout + proc.stderr
    assert "spec/examples/twophase.gdsl" in proc.stdout
