"""The pytest plugin: model files and scenario files as test items.

The problem: a Kafka team's CI runs pytest; checking the models took a separate
`modelcheck --expected models/` step. With the plugin (entry point `pytest11`:
`gdsl`, installed with this package), pytest collects the model files (`*.toml` with
a `spec = ...` key) and scenario files (`*.scenario.toml`) under the paths named by
the `gdsl_models` ini option or `--gdsl-models PATH`: each model is checked as
`modelcheck check` would (checker/api) and passes when its verdict is the one its
`[expect]` records (ok, if it records none); each scenario passes when it runs to its
end with every expectation met. A failure is reported as the checker's own text:
the verdict and the readable trace, or the located error, never a Python traceback.
The invariant: nothing is collected unless a project opts in (so a project that
merely installs this package, this repository's own test run included, collects no
model). The cost: each item is a whole check of its model (seconds for the models/
configurations with the native backend). Public entry points: the pytest hooks.
"""
from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("gdsl", "gdsl model files and scenarios as tests")
    group.addoption("--gdsl-models", action="append", default=[], metavar="PATH",
                    help="check the model files (*.toml) and scenarios (*.scenario.toml) under PATH")
    group.addoption("--gdsl-backend", default="auto", choices=("python", "native", "auto"),
                    help="the backend model checks run on (as modelcheck --backend)")
    parser.addini("gdsl_models", type="paths", default=[],
                  help="model files and directories of them to collect as tests (gdsl)")


def _roots(config) -> list:
    given = [Path(p).resolve() for p in config.getoption("gdsl_models")]
    return given + [Path(p).resolve() for p in config.getini("gdsl_models")]


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix != ".toml" or file_path.name.endswith(".diagram.toml"):
        return None
    here = file_path.resolve()
    if not any(here == r or r in here.parents for r in _roots(parent.config)):
        return None
    if file_path.name.endswith(".scenario.toml"):
        return GdslFile.from_parent(parent, path=file_path, kind="scenario")
    if _is_model_file(file_path):
        return GdslFile.from_parent(parent, path=file_path, kind="model")
    return None


def _is_model_file(path: Path) -> bool:
    """A TOML file that names a spec (a pyproject.toml does not)."""
    import tomllib
    try:
        return "spec" in tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True          # a broken one is collected, so that its error is reported


class GdslFile(pytest.File):
    def __init__(self, *, kind: str, **kw):
        super().__init__(**kw)
        self.kind = kind

    def collect(self):
        yield GdslItem.from_parent(self, name=self.path.name, kind=self.kind)


class GdslFailure(Exception):
    """A model or scenario that did not do what it records: the checker's text."""


class GdslItem(pytest.Item):
    def __init__(self, *, kind: str, **kw):
        super().__init__(**kw)
        self.kind = kind

    def runtest(self):
        from checker.api import GdslError
        try:
            (self._model if self.kind == "model" else self._scenario)()
        except GdslError as e:
            raise GdslFailure(str(e)) from None

    def _model(self):
        from checker import api
        spec = api.load(self.path)
        result = spec.check(backend=self.config.getoption("gdsl_backend"))
        expect = spec.expect
        if not expect.matches(result.verdict, result.property):
            raise GdslFailure(f"{self.path}: expected {expect}, found {result.verdict}"
                              + (f" of {result.property}" if result.property else "") + f"\n{result}")

    def _scenario(self):
        from checker.api import GdslError, Trace
        from checker.engine.scenario import load_scenario, run_scenario
        from checker.lang.errors import SpecError, UsageError
        try:
            run = run_scenario(load_scenario(self.path))
        except (SpecError, UsageError) as e:
            raise GdslError(e.format() if isinstance(e, SpecError) else str(e)) from None
        if run.result is not None:
            r = run.result
            raise GdslFailure(f"{self.path}: {r.property_kind} {r.property} broken along the scenario\n"
                              + str(Trace(run.model, run.trace)))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, GdslFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"gdsl {self.kind}: {self.path.name}"
