"""Scenario files: a behaviour written down by hand, step by step, with what the
states along the way must look like (`modelcheck --replay FILE.scenario.toml`).

A scenario is "consumer 2 pauses, the leader crashes mid-sync": a list of actions
with their parameters, run on the spec from its initial state, and expectations
about the state after any step. It is TOML, like a model file, and starts like one
(spec, description, [constants], [variation]; checker/compile/modelfile.py reads that part
and reports every mistake at its line), followed by the steps:

    [[step]]                      # no action: expectations on the initial state
    expect = { groupState = "Empty", generation = 0 }

    [[step]]
    action = "SendJoinGroup"
    params = { c = "Consumer1" }
    note = "C1 JoinGroup with no member id"   # shown in the diagram
    [step.expect]
    "client[Consumer1]" = "PREPARING_REBALANCE"
    "toClient[Consumer1].error" = "MEMBER_ID_REQUIRED"

An expectation names a variable, optionally followed by map keys `[key]` and record
fields `.field` (an option's value is looked into when it is some); its value is
compared with what `modelcheck` prints for that part of the state (gdsl text:
`none`, `{0, 1}`, `MemberId(consumer: Consumer1, inc: 0)`; an absent entry of a
partial map is `absent`); integers and true/false may be written as TOML values.

Each step must be enabled (a choice the parameters leave open must have one
outcome), every checked property must hold along the way, and no step may start
from a state outside the spec's constraints (the checker would never get there).
A step or expectation that fails is reported at its line in the file, exit 2; a
broken property is a violation (exit 12) with the trace.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import os
from pathlib import Path
import re

from checker.compile.modelfile import ModelFile, compile_model_file, const_text, read_toml
from checker.lang.errors import UsageError
from checker.lang.types import MapT, OptionT, RecordT, domain
from checker.lang.values import from_plain, show

from .outcome import SPEC_FAILURES, Result, Step, failure_message, step_title

SUFFIX = ".scenario.toml"
_TOP = {"spec": str, "description": str, "after": str, "constants": dict, "variation": dict,
        "step": list}
_STEP = {"action": str, "params": dict, "expect": dict, "note": str}


@dataclass
class ScenarioStep:
    index: int                       # 0-based, among the file's [[step]] tables
    action: str | None
    params: dict
    expect: dict                     # path -> expected text
    note: str = ""


@dataclass
class Scenario:
    file: ModelFile                  # the spec, constants and variation, read as a model file's
    steps: list = field(default_factory=list)
    after: "Scenario | None" = None  # a scenario whose steps come first (`after = FILE`)

    @property
    def path(self) -> Path:
        return self.file.path


@dataclass
class ScenarioRun:
    """A scenario run on its model: `trace` holds the steps that ran; `result` is a
    violation found on the way (else None)."""
    scenario: Scenario
    model: object
    trace: list
    notes: list                      # the note of each state of the trace ("" for none)
    result: Result | None = None


def is_scenario_file(path) -> bool:
    return str(path).endswith(SUFFIX)


def load_scenario(path) -> Scenario:
    """Read and check a scenario file's shape (not yet against its spec)."""
    path = Path(path)
    source, data = read_toml(path, "scenario file")
    mf = ModelFile(path=path, name=path.name[:-len(SUFFIX)] if is_scenario_file(path) else path.stem,
                   spec=Path(), source=source)
    for key, value in data.items():
        if key not in _TOP:
            raise mf.error(f"unknown key {key!r}; a scenario file has the keys spec, description, "
                           f"after, the tables [constants] and [variation], and the steps [[step]]", key)
        if not isinstance(value, _TOP[key]):
            raise mf.error(f"{key} takes {_KIND[_TOP[key]]}, not {value!r}", key)
    if "spec" not in data:
        raise mf.error('a scenario file names its spec: add  spec = "path/to/spec.gdsl"  '
                       "(relative to this file)")
    if not data.get("step"):
        raise mf.error("a scenario file has steps: add [[step]] tables, each with an action "
                       "(and params) or expectations")
    mf.spec = Path(os.path.normpath(path.parent / data["spec"]))
    mf.description = data.get("description", "")
    for table in ("constants", "variation"):
        setattr(mf, table, {k: const_text(mf, table, k, v) for k, v in data.get(table, {}).items()})
    sc = Scenario(mf)
    for i, raw in enumerate(data["step"]):
        sc.steps.append(_read_step(mf, i, raw))
    if "after" in data:
        first = Path(os.path.normpath(path.parent / data["after"]))
        if first.resolve() in _chain:
            raise mf.error(f"after = {data['after']}: that scenario comes after this one (a cycle)",
                           "after")
        _chain.add(path.resolve())
        try:
            sc.after = load_scenario(first)
        except UsageError as e:
            raise mf.error(f"after = {data['after']}: {e}", "after") from None
        finally:
            _chain.discard(path.resolve())
    return sc


_chain: set = set()      # the scenarios being loaded, to refuse `after` cycles


_KIND = {str: "a string", dict: "a table", list: "a list of tables ([[step]])"}


def _read_step(mf, i, raw) -> ScenarioStep:
    if not isinstance(raw, dict):
        raise mf.error(f"step {i + 1} is not a table: write steps as [[step]]")
    for key, value in raw.items():
        if key not in _STEP:
            raise mf.error(f"step {i + 1}: [[step]] has no key {key!r}; its keys: "
                           f"{', '.join(_STEP)}", key, "step", i)
        if not isinstance(value, _STEP[key]):
            raise mf.error(f"step {i + 1}: {key} takes {_KIND[_STEP[key]]}, not {value!r}", key, "step", i)
    if "params" in raw and "action" not in raw:
        raise mf.error(f"step {i + 1}: params without an action", "params", "step", i)
    if "action" not in raw and "expect" not in raw:
        raise mf.error(f"step {i + 1} has neither an action nor expectations", None)
    expect = {}
    for key, value in raw.get("expect", {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int):
            value = str(value)
        elif not isinstance(value, str):
            raise mf.error(f"step {i + 1}: the expectation {key} takes the value as gdsl text "
                           f"(a string), an integer or true/false, not {value!r}",
                           *_expect_at(mf, i, key))
        expect[key] = value
    return ScenarioStep(i, raw.get("action"), dict(raw.get("params", {})), expect, raw.get("note", ""))


def _expect_at(mf, i, key) -> tuple:
    """Where an expectation is written: its key in [step.expect], else `expect = {...}`."""
    if mf.locate(key, "step.expect", i) != (0, 0):
        return key, "step.expect", i
    return "expect", "step", i


# ---------------------------------------------------------------- running it

def run_scenario(sc: Scenario, consts: dict | None = None) -> ScenarioRun:
    """Run a scenario on its spec (after the scenario it follows, if any); a step or
    expectation that fails raises a located SpecError; a broken property ends the run
    with `result` set."""
    model, _ = compile_model_file(sc.file, consts)
    states = model.init_states()
    if len(states) != 1:
        raise sc.file.error(f"the spec has {len(states)} initial states; a scenario starts from one")
    run = ScenarioRun(sc, model, [Step(None, (), states[0])], [""])
    bad = _violation(model, None, states[0])
    if bad:
        run.result = _violated(run, *bad)
        return run
    chain = [sc]
    while chain[0].after is not None:
        chain.insert(0, chain[0].after)
    for part in chain:
        if not _run_steps(model, part, run):
            break
    return run


def _run_steps(model, sc: Scenario, run: ScenarioRun) -> bool:
    """Run one file's steps on `run`; False if a property broke."""
    mf = sc.file
    for st in sc.steps:
        here = run.trace[-1].state
        if st.action is not None:
            where = f"step {st.index + 1} ({_title(st)})"
            if model.constraints and (con := model.check_constraints(here)) >= 0:
                raise mf.error(f"{where} starts from a state outside the constraint "
                               f"{model.constraints[con].name}: the checker never expands it",
                               "action", "step", st.index)
            step = _take(model, mf, st, here, where)
            run.trace.append(step)
            run.notes.append(st.note)
            bad = _violation(model, here, step.state)
            if bad:
                run.result = _violated(run, *bad)
                return False
        elif st.note:
            run.notes[-1] = (run.notes[-1] + "; " if run.notes[-1] else "") + st.note
        _check_expectations(model, mf, st, run.trace[-1].state)
    return True


def _title(st: ScenarioStep) -> str:
    return st.action + ("(" + ", ".join(f"{k}={v}" for k, v in st.params.items()) + ")" if st.params else "")


def _take(model, mf, st, here, where) -> Step:
    if st.action not in model.action_names:
        raise mf.error(f"{where}: the spec has no action {st.action} (its actions: "
                       f"{', '.join(model.action_names)})", "action", "step", st.index)
    act = model.action_names.index(st.action)
    types = model.action_params.get(act, {})
    params = {}
    for name, value in st.params.items():
        if name not in types:
            raise mf.error(f"{where}: {st.action} has no parameter or choice {name} (it has: "
                           f"{', '.join(types) or 'none'})", "params", "step", st.index)
        try:
            params[name] = from_plain(value, types[name])
        except (ValueError, TypeError, KeyError, IndexError) as e:
            raise mf.error(f"{where}: {name} = {value!r} is not a value of {types[name]} ({e})",
                           "params", "step", st.index) from None
    try:
        succ = model.labelled_successors(here)
    except SPEC_FAILURES as e:
        raise mf.error(f"{where}: evaluating the steps failed: {failure_message(e, model)}",
                       "action", "step", st.index) from None
    found = model.take(here, st.action, params, succ)
    if len(found) == 1:
        (t, picks), = found.items()
        return Step(st.action, picks, t)
    if not found:
        enabled = sorted({step_title(model, Step(model.action_names[a], p, ())) for a, p, _ in succ})
        raise mf.error(f"{where} is not enabled; enabled: {', '.join(enabled) or 'nothing'}",
                       "action", "step", st.index)
    options = sorted(step_title(model, Step(st.action, p, ())) for p in found.values())
    raise mf.error(f"{where} leads to {len(found)} different states; say which with params: "
                   f"{', '.join(options)}", "action", "step", st.index)


def _violation(model, before, after):
    """(property, kind) broken by reaching `after` (from `before`), or None."""
    try:
        if before is not None and model.action_properties and (k := model.check_steps(before, after)) >= 0:
            return model.action_properties[k].name, "action"
        if model.invariants and (k := model.check_invariants(after)) >= 0:
            return model.invariants[k].name, "invariant"
    except SPEC_FAILURES as e:
        return "EvaluationError", "error", failure_message(e, model)
    return None


def _violated(run, prop, kind, message=None) -> Result:
    res = Result("violation" if kind != "error" else "error", 0, 0, len(run.trace), 0, 0.0,
                 property=prop, property_kind=kind, trace=run.trace, message=message)
    return res


def _check_expectations(model, mf, st, state) -> None:
    for path, want in st.expect.items():
        at = _expect_at(mf, st.index, path)
        try:
            got = read_path(model, state, path)
        except LookupError as e:
            raise mf.error(f"step {st.index + 1}: expect {path}: {e}", *at) from None
        if got != want:
            after = f"after step {st.index + 1} ({_title(st)})" if st.action else \
                f"at step {st.index + 1}"
            raise mf.error(f"{after}: expected {path} = {want}, but it is {got}", *at)


_SEGMENT = re.compile(r"\[([^\]]*)\]|\.([A-Za-z_][A-Za-z0-9_]*)")


def read_path(model, state, path: str) -> str:
    """The gdsl text of part of a state: `var`, `var[key]`, `var.field`, chained.
    LookupError says what does not exist."""
    m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", path)
    if not m or m.group(0) not in model.var_names:
        raise LookupError(f"the spec has no variable {m.group(0) if m else path!r} "
                          f"(its variables: {', '.join(model.var_names)})")
    k = model.var_names.index(m.group(0))
    v, t = state[k], model.var_types[k]
    pos, seen = m.end(), m.group(0)
    while pos < len(path):
        seg = _SEGMENT.match(path, pos)
        if seg is None:
            raise LookupError(f"cannot read {path[pos:]!r}: after a variable come [key] and .field")
        if isinstance(t, OptionT) and seg.group(2) is not None:
            if v is None:
                raise LookupError(f"{seen} is none, it has no field {seg.group(2)}")
            t = t.inner
        if seg.group(1) is not None:
            if not isinstance(t, MapT):
                raise LookupError(f"{seen} is a {t}, not a map: it has no [{seg.group(1)}]")
            keys = [show(x, t.key) for x in domain(t.key)]
            if seg.group(1).strip() not in keys:
                raise LookupError(f"{seen} has no key {seg.group(1)} (its keys: {', '.join(keys)})")
            v = v[keys.index(seg.group(1).strip())]
            if v is None and not t.total:
                if seg.end() < len(path):
                    raise LookupError(f"{seen}[{seg.group(1)}] is absent")
                return "absent"
            t = t.value
        else:
            if not isinstance(t, RecordT):
                raise LookupError(f"{seen} is a {t}, not a record: it has no field {seg.group(2)}")
            names = [n for n, _ in t.fields]
            if seg.group(2) not in names:
                raise LookupError(f"{seen} has no field {seg.group(2)} (its fields: {', '.join(names)})")
            i = names.index(seg.group(2))
            v, t = v[i], t.fields[i][1]
        seen = path[:seg.end()]
        pos = seg.end()
    return show(v, t)


def check_message(sc: Scenario, run: ScenarioRun) -> str:
    """One line: the scenario passed."""
    n = len(run.trace) - 1
    e, part = 0, sc
    while part is not None:
        e += sum(len(s.expect) for s in part.steps)
        part = part.after
    after = f", after {sc.after.file.name}" if sc.after else ""
    return f"Scenario {sc.file.name} passed: {n} steps{after}, {e} expectations ({sc.path})."

