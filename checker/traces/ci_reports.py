"""Reports for CI systems: JUnit XML (test viewers) and SARIF 2.1.0 (code scanning).

One `Run` is one spec checked: the compiled model, the engine's result and where its
trace went. A property becomes a JUnit test case and a SARIF rule; a violation
becomes a failure and a SARIF result pointing at the property's line in the spec.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import json
from pathlib import Path
import socket
import xml.etree.ElementTree as ET

from checker import __version__
from checker.traces.files import write_atomic


@dataclass
class Run:
    model: object          # checker.compile.model.Model
    result: object         # checker.engine.explore.Result
    trace_path: Path | None
    json: dict | None = None
    label: str | None = None                # the model file's name, when one was run
    deadlock_checked: bool | None = None    # None: as the command line says
    expected: object = None                 # with --expected: the modelfile.Expectation to meet

    @property
    def title(self) -> str:
        return self.label or self.model.name


@dataclass
class LoadFailure:
    """A spec that could not be checked at all (syntax, types, unreadable)."""
    path: str
    message: str
    line: int = 0
    col: int = 0

    @property
    def json(self):
        return {"verdict": "error", "path": self.path, "message": self.message, "exit_code": 2}


def _checked_properties(model):
    """(name, kind, line, column, file) of every property this run checked (deadlock is
    not one); the file is the spec's, or the one it extends that declares the property."""
    from checker.lang.errors import place
    kinds = {"invariant": "invariant", "action": "action property", "temporal": "temporal property"}
    out = []
    for p in model.invariants + model.action_properties + model.temporal:
        file, line = place(model.checked.spec.source, model.path, p.pos)
        out.append((p.name, kinds[p.kind], line, p.pos[1], file))
    return out


def _outcome(run, name):
    """failure | error | skipped | passed, with a message, for one property of a run."""
    r = run.result
    if run.expected is not None and r.verdict in ("ok", "violation", "deadlock"):
        if run.expected.matches(r.verdict, r.property):
            return "passed", ""                      # the gate's rule: as recorded
        if r.verdict == "ok" and name == run.expected.property:
            return "failure", f"expected {run.expected}, but {name} holds"
    if r.verdict == "ok":
        return "passed", ""
    if r.property == name and r.verdict in ("violation", "deadlock"):
        where = f"; trace: {run.trace_path}" if run.trace_path else ""
        what = "deadlock reached" if r.verdict == "deadlock" else f"{name} is violated"
        return "failure", f"{what} after {len(r.trace or []) - 1} steps{where}"
    if r.verdict == "error":
        return "error", f"the spec failed while being evaluated: {r.message}"
    if r.verdict == "incomplete":
        return "error", (f"undetermined: the search stopped ({r.stopped_by}) after {r.distinct} states "
                         f"before it was complete")
    return "skipped", f"not determined: the search stopped at the first violation ({r.property})"


def junit_xml(runs, deadlock_checked: bool) -> str:
    suites = ET.Element("testsuites", name="modelcheck")
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for run in runs:
        if isinstance(run, LoadFailure):
            suite = ET.SubElement(suites, "testsuite", name=run.path, tests="1", failures="0",
                                  errors="1", skipped="0", time="0")
            case = ET.SubElement(suite, "testcase", classname=Path(run.path).stem, name="spec", time="0")
            ET.SubElement(case, "error", message=run.message.splitlines()[0], type="bad input").text = run.message
            total["tests"] += 1
            total["errors"] += 1
            continue
        m, r = run.model, run.result
        cases = [(n, k) for n, k, *_ in _checked_properties(m)]
        if deadlock_checked if run.deadlock_checked is None else run.deadlock_checked:
            cases.append(("Deadlock", "deadlock"))
        suite = ET.SubElement(suites, "testsuite", name=f"{run.title} ({m.path})",
                              timestamp=datetime.now().isoformat(timespec="seconds"),
                              hostname=socket.gethostname(), time=f"{r.elapsed:.3f}")
        props = ET.SubElement(suite, "properties")
        for key, value in (("verdict", r.verdict), ("distinct_states", r.distinct),
                           ("states_generated", r.generated), ("depth", r.depth),
                           ("states_left_on_queue", r.queue_left),
                           ("trace", run.trace_path or ""),
                           *((f"const.{n}", m.constant_text(n)) for n in m.checked.consts)):
            ET.SubElement(props, "property", name=key, value=str(value))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for name, kind in cases:
            case = ET.SubElement(suite, "testcase", classname=run.title, name=name, time=f"{r.elapsed:.3f}")
            outcome, message = _outcome(run, name)
            counts["tests"] += 1
            if outcome == "failure":
                counts["failures"] += 1
                el = ET.SubElement(case, "failure", message=message, type=kind)
                el.text = _trace_text(run)
            elif outcome == "error":
                counts["errors"] += 1
                ET.SubElement(case, "error", message=message, type=r.verdict)
            elif outcome == "skipped":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=message)
        for key, value in counts.items():
            suite.set(key, str(value))
            total[key] += value
    for key, value in total.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _trace_text(run) -> str:
    if not run.result.trace:
        return ""
    from .report import format_trace
    return format_trace(run.model, run.result.trace, loop=run.result.loop, closing=run.result.loop_step)


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path) -> str:
    """A SARIF artifact URI: relative paths as they are, absolute ones as file: URIs."""
    p = Path(path)
    return p.as_uri() if p.is_absolute() else p.as_posix()


def sarif(runs, deadlock_checked: bool) -> str:
    rules, results, seen = [], [], set()
    for run in runs:
        if isinstance(run, LoadFailure):
            if "SpecError" not in seen:
                seen.add("SpecError")
                rules.append({"id": "SpecError", "name": "SpecError",
                              "shortDescription": {"text": "the spec cannot be checked (syntax, names, types)"}})
            results.append({"ruleId": "SpecError", "level": "error",
                            "message": {"text": run.message.splitlines()[0]},
                            "locations": [{"physicalLocation": {
                                "artifactLocation": {"uri": _uri(run.path)},
                                "region": {"startLine": max(1, run.line), "startColumn": max(1, run.col)}}}]})
            continue
        m, r = run.model, run.result
        for name, kind, *_ in _checked_properties(m):
            if name not in seen:
                seen.add(name)
                rules.append({"id": name, "name": name,
                              "shortDescription": {"text": f"{kind} {name} of {m.name}"}})
        if r.verdict not in ("violation", "deadlock", "error"):
            continue
        prop = next(((ln, c, f) for n, _, ln, c, f in _checked_properties(m) if n == r.property), None)
        rule = r.property or "EvaluationError"
        if rule not in seen:
            seen.add(rule)
            rules.append({"id": rule, "name": rule, "shortDescription": {"text": rule}})
        line, col, file = prop if prop else (1, 1, m.path)
        text = {"violation": f"{r.property} is violated", "deadlock": "deadlock reached",
                "error": f"the spec failed while being evaluated: {r.message}"}[r.verdict]
        if r.trace:
            text += f" by a {len(r.trace)}-state trace"
        if run.trace_path:
            text += f" ({run.trace_path})"
        # the level follows the verdict expected (--expected): a model recorded to fail that
        # fails as recorded is a note, not a code-scanning alert on a green build
        as_expected = run.expected is not None and run.expected.matches(r.verdict, r.property)
        if as_expected:
            text = f"as expected ({run.expected}): {text}"
        result = {"ruleId": rule, "level": "note" if as_expected else "error", "message": {"text": text},
                  "locations": [{"physicalLocation": {
                      "artifactLocation": {"uri": _uri(file)},
                      "region": {"startLine": max(1, line), "startColumn": max(1, col)}}}]}
        if run.trace_path:
            result["relatedLocations"] = [{"id": 1, "message": {"text": "counterexample trace (ITF)"},
                                           "physicalLocation": {"artifactLocation": {
                                               "uri": _uri(run.trace_path)}}}]
        results.append(result)
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "modelcheck", "version": __version__,
                                         "rules": rules}},
                     "results": results}]}
    return json.dumps(doc, indent=1) + "\n"


def write_reports(runs, junit: str | None, sarif_path: str | None, deadlock_checked: bool):
    if junit:
        write_atomic(Path(junit), junit_xml(runs, deadlock_checked))
    if sarif_path:
        write_atomic(Path(sarif_path), sarif(runs, deadlock_checked))
