"""The pytest plugin (checker/api/pytest_plugin.py) in a separate temporary project
(pytester): model files and scenarios collected as items, verdicts compared with
`[expect]`, failures shown as the checker's trace, nothing collected without opting in."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path
import shutil
import textwrap

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "checker.api.pytest_plugin"


def plugin_args() -> list:
    """`-p` when the package's entry point is not installed (an editable install of
    another checkout); nothing when it is (pytest loads it then)."""
    installed = any(ep.name == PLUGIN for ep in metadata.entry_points(group="pytest11"))
    return [] if installed else ["-p", PLUGIN]


SPEC = """\
spec Counter
const LIMIT: int = 3
var x: 0..9
init { x = 0 }
action Inc when x < LIMIT { x = x + 1 }
action Reset when x == LIMIT { x = 0 }
invariant Small = x <= 2
"""


def write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(textwrap.dedent(text))


@pytest.fixture(autouse=True)
def this_checkout(monkeypatch):
    """The project's pytest imports this checkout's checker (it may not be the one installed)."""
    import os
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))


@pytest.fixture
def project(pytester):
    root = pytester.path
    write(root, "spec/counter.gdsl", SPEC)
    write(root, "models/holds.toml", 'spec = "../spec/counter.gdsl"\n[constants]\nLIMIT = 2\n')
    write(root, "models/found.toml",
          'spec = "../spec/counter.gdsl"\n[expect]\nverdict = "violation"\nproperty = "Small"\n')
    write(root, "models/wrong.toml", 'spec = "../spec/counter.gdsl"\ndescription = "says it holds, but does not"\n')
    write(root, "models/broken.toml", 'spec = "../spec/counter.gdsl"\n[constants]\nLIMT = 2\n')
    write(root, "models/scenarios/up.scenario.toml", """\
        spec = "../../spec/counter.gdsl"
        [[step]]
        expect = { x = 0 }
        [[step]]
        action = "Inc"
        expect = { x = 1 }
        """)
    write(root, "models/scenarios/wrong.scenario.toml", """\
        spec = "../../spec/counter.gdsl"
        [[step]]
        action = "Inc"
        expect = { x = 2 }
        """)
    write(root, "models/pyproject.toml", '[project]\nname = "mine"\n')      # not a model file
    return pytester


def test_the_plugin_collects_model_files_and_scenarios(project):
    project.makeini("[pytest]\ngdsl_models = models\n")
    result = project.runpytest_subprocess(*plugin_args(), "--gdsl-backend", "python", "-v")
    result.assert_outcomes(passed=3, failed=3)
    text = result.stdout.str()
    for item in ("holds.toml::holds.toml", "found.toml::found.toml", "up.scenario.toml::up.scenario.toml"):
        assert f"models/{'scenarios/' if 'scenario' in item else ''}{item} PASSED" in text
    # a wrong verdict: the checker's verdict and its readable trace
    assert "wrong.toml: expected ok, found violation of Small" in text
    assert "Error: Invariant Small is violated." in text and "State 4: Inc" in text and "x = 3    (was 2)" in text
    # a bad model file and a failed expectation: the located error, no Python traceback
    assert "broken.toml:3:1: error:" in text and "did you mean 'LIMIT'?" in text
    assert "wrong.scenario.toml:4:1: error: after step 1 (Inc): expected x = 2, but it is 1" in text
    assert "Traceback" not in text and "pytest_plugin.py" not in text


def test_nothing_is_collected_without_opting_in(project):
    result = project.runpytest_subprocess(*plugin_args())
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_command_line_option_opts_in(project):
    result = project.runpytest_subprocess(*plugin_args(), "--gdsl-models", "models/scenarios")
    result.assert_outcomes(passed=1, failed=1)


def this_repository(pytester) -> list:
    """spec/ and models/ copied into a separate project that opts in; the model and
    scenario files there, found without the plugin."""
    for folder in ("spec", "models", "counterexamples"):
        shutil.copytree(ROOT / folder, pytester.path / folder)
    pytester.makeini("[pytest]\ngdsl_models = models\n")
    return sorted(str(p.relative_to(pytester.path)) for p in (pytester.path / "models").rglob("*.toml"))


def test_the_plugin_collects_this_repositorys_models(pytester):
    files = this_repository(pytester)
    result = pytester.runpytest_subprocess(*plugin_args(), "--collect-only", "-q", "-p", "no:cacheprovider")
    collected = sorted(line.split("::")[0] for line in result.stdout.lines if "::" in line)
    assert collected == files and len(files) >= 26
    assert any("bugs/KAFKA-2555.toml" in f for f in collected)
    assert any(f.endswith(".scenario.toml") for f in collected)


@pytest.mark.slow
def test_the_plugin_checks_this_repositorys_models(pytester):
    """models/ (the configurations, the bug catalogue, the scenarios), in a separate
    project: each verdict is the one its [expect] records. The two whole-spec
    configurations (default.toml: 14.6 million states, 3.1 GB; larger-group.toml) are
    the main job's, run by tests/specs and bench/; here they are deselected."""
    files = this_repository(pytester)
    result = pytester.runpytest_subprocess(*plugin_args(), "-q", "-p", "no:cacheprovider",
                                           "--deselect", "models/default.toml::default.toml",
                                           "--deselect", "models/larger-group.toml::larger-group.toml")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()[-3000:]
    assert outcomes["passed"] == len(files) - 2
