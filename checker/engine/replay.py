"""Replaying a trace from disk on the spec: is it still a behaviour of the spec, and
does the violation it records still happen?

A trace is an ITF file as checker/traces/itf.py writes it. Its "#meta" names the spec
(`source`), every constant's value and, for a model file's trace, the model file and
its variation; replay rebuilds that configuration, reads each state back
(values.from_itf), and re-executes the trace step by step: state 1 must be an
initial state, and each later state must be what the recorded action, with the
recorded parameters, gives from the state before. The first state that is not is
reported with the difference, exit 2. After the last step, the recorded violation
is checked again: an invariant on the last state, an action property on the last
step, a deadlock, or, for a lasso (ITF "loop"), that the recorded step closes the
cycle and that the temporal property is violated by it under the spec's fairness
(liveness.lasso_violation). Exit 12, 11, 13 or 75 when it reproduces, 0 when it no
longer does: a stale trace is caught when the spec changes.

With constants changed (`--replay TRACE --const FIX_KAFKA_12983=true`: the trace of a
bug replayed with its fix on), a trace that leaves the changed spec is the answer, not
bad input: the replay says at which state the changed spec leaves it (the step no longer
enabled, or leading elsewhere) or that the property now holds in its last state, and
exits 0; it exits with the violation's code if the changed spec still reproduces it.
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass, field
import json
from pathlib import Path

from checker.lang.errors import BadConstant, SpecError, UsageError
from checker.lang.values import from_itf

from .outcome import (EXIT_BAD_INPUT, EXIT_OK, SPEC_FAILURES, Step, exit_code_of, failure_message, step_title,
                      verdict_of)
from .statediff import changes


class Mismatch(Exception):
    """The trace is not a behaviour of the spec: `index` is the state (0-based) that
    the spec does not reach as recorded."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index, self.message = index, message


@dataclass
class Replay:
    """A replayed trace: `trace` holds the steps that replayed (all of them unless a
    mismatch stopped it at `mismatch.index`)."""
    path: Path
    model: object
    meta: dict
    trace: list = field(default_factory=list)   # [Step]
    loop: int | None = None
    closing: Step | None = None
    property: str | None = None                 # the violation the trace records
    property_kind: str | None = None
    reproduced: bool = False
    message: str = ""                           # how the recorded violation reproduces (or not)
    mismatch: Mismatch | None = None
    changed: dict = field(default_factory=dict)  # constants set unlike the recording: NAME -> text
    length: int = 0                             # the states the file records

    @builtins.property          # `property` is a field name above
    def exit_code(self) -> int:
        if self.mismatch is not None:
            return EXIT_OK if self.changed else EXIT_BAD_INPUT
        if not self.reproduced:
            return EXIT_OK
        return exit_code_of(verdict_of(self.property_kind), self.property_kind)


# ---------------------------------------------------------------- reading the file

def read_itf(path) -> dict:
    """The ITF trace in a file; anything else is a located error (exit 2)."""
    from checker.compile.modelfile import read_text
    path = Path(path)
    text = read_text(path, "trace (ITF) or scenario file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SpecError(f"not an ITF trace: not valid JSON ({e.msg})", (e.lineno, e.colno),
                        str(path), text) from None
    states = data.get("states") if isinstance(data, dict) else None
    if not isinstance(states, list) or not states or not all(isinstance(s, dict) for s in states):
        raise SpecError('not an ITF trace: an ITF trace is a JSON object with a non-empty "states" '
                        "list of objects (https://apalache-mc.org/docs/adr/015adr-trace.html)",
                        (1, 1), str(path), text)
    if not isinstance(data.get("#meta", {}), dict):
        raise SpecError('not an ITF trace: "#meta" is not an object', (1, 1), str(path), text)
    return data


def _find(name: str, trace_path: Path) -> Path | None:
    """A path recorded in a trace: as given (from the current directory), else from
    the folders that hold the trace, nearest first."""
    p = Path(name)
    if p.is_absolute() or p.exists():
        return p if p.exists() else None
    for folder in trace_path.resolve().parents:
        if (folder / p).exists():
            return folder / p
    return None


def configure(itf: dict, trace_path: Path, spec: str | None = None, overrides: dict | None = None):
    """The compiled model the trace was recorded on: `spec` (a .gdsl or model file) if
    given, else the model file or spec its #meta names, with the constants it records
    (`overrides` changing some); compiled to check the property it records."""
    from checker.compile.model import compile_model, load_spec
    from checker.compile.modelfile import is_model_file, load_model_file
    meta = itf.get("#meta", {})
    if spec is None:
        recorded = [meta[k] for k in ("model", "source") if isinstance(meta.get(k), str)]
        if not recorded:
            raise UsageError(f"--replay {trace_path}: the trace does not say which spec it belongs "
                             f"to (no \"source\" in its #meta); name it: modelcheck --replay "
                             f"{trace_path} SPEC")
        found = [p for p in (_find(r, trace_path) for r in recorded) if p is not None]
        if not found:
            raise UsageError(f"--replay {trace_path}: cannot find {' or '.join(recorded)}, which the "
                             f"trace names; name the spec: modelcheck --replay {trace_path} SPEC")
        spec = str(found[0])
    spec_path = load_model_file(spec).spec if is_model_file(spec) else Path(spec)
    consts = meta.get("constants") or {}
    if not isinstance(consts, dict) or not all(isinstance(v, str) for v in consts.values()):
        raise UsageError(f"--replay {trace_path}: its #meta \"constants\" is not an object of "
                         f"texts such as \"CONSUMERS\": \"2\"")
    consts = {**consts, **(overrides or {})}
    try:
        checked = load_spec(spec_path, consts)
    except BadConstant as e:
        _same_spec(meta, load_spec(spec_path), trace_path, spec_path)
        raise UsageError(f"--replay {trace_path}: the trace was recorded with the constant "
                         f"{e.name} = {e.text}, which {spec_path} refuses: {e.detail}") from None
    _same_spec(meta, checked, trace_path, spec_path)
    prop = meta.get("property")
    names = {p.name: p for p in checked.properties}
    if prop in ("Deadlock", "EvaluationError") or prop is None:
        return compile_model(checked, skip=list(names))
    if prop not in names:
        raise UsageError(f"--replay {trace_path}: the trace records a violation of {prop}, a "
                         f"property {checked.name} ({spec_path}) does not have (its properties: "
                         f"{', '.join(sorted(names)) or 'none'})")
    return compile_model(checked, [prop])


def _same_spec(meta, checked, trace_path, spec_path) -> None:
    if meta.get("spec") and meta["spec"] != checked.name:
        raise UsageError(f"--replay {trace_path}: this trace belongs to spec {meta['spec']}, "
                         f"not to {checked.name} ({spec_path})")


# ---------------------------------------------------------------- replaying it

def replay_file(path, spec: str | None = None, overrides: dict | None = None) -> Replay:
    """Read, configure and replay a trace file (see the module docstring); `overrides`
    change constants from the recorded ones."""
    path = Path(path)
    itf = read_itf(path)
    model = configure(itf, path, spec, overrides)
    recorded = itf.get("#meta", {}).get("constants") or {}
    changed = {n: v for n, v in (overrides or {}).items() if recorded.get(n) != v}
    return replay(model, itf, path, changed)


def replay(model, itf: dict, path: Path, changed: dict | None = None) -> Replay:
    meta = itf.get("#meta", {})
    rep = Replay(path, model, meta, property=meta.get("property"), changed=dict(changed or {}),
                 length=len(itf.get("states", [])))
    loop = itf.get("loop")
    if loop is not None and not (isinstance(loop, int) and 0 <= loop < len(itf["states"])):
        raise UsageError(f"--replay {path}: \"loop\" is {loop!r}, not the index of one of its "
                         f"{len(itf['states'])} states")
    rep.loop = loop
    try:
        _replay_steps(model, itf, rep)
    except Mismatch as m:
        rep.mismatch = m
        return rep
    _judge(model, rep, meta)
    return rep


def _replay_steps(model, itf, rep):
    states = itf["states"]
    init = _decode_state(model, states[0], 0)
    inits = _evaluate(model, model.init_states, 0, "the initial states")
    if init not in inits:
        nearest = min(inits, key=lambda s: len(changes(model, s, init)))
        raise Mismatch(0, "state 1 is not an initial state of the spec:\n"
                       + _difference(model, nearest, init, "an initial state has"))
    rep.trace = [Step(None, (), init)]
    for k in range(1, len(states)):
        action, params = _decode_label(model, states[k].get("#meta"), k)
        rep.trace.append(_replay_step(model, rep.trace[-1].state, action, params,
                                      _decode_state(model, states[k], k), k))


def _replay_step(model, before, action, params, recorded, k) -> Step:
    """The step into state k (0-based), checked against the spec."""
    title = step_title(model, Step(action, params, ()))
    if action is None:                                  # a recorded stutter
        if recorded != before:
            raise Mismatch(k, f"state {k + 1} is recorded as a stutter (no action), but it differs "
                              f"from state {k}:\n" + _difference(model, before, recorded, "state " + str(k) + " has"))
        return Step(None, (), recorded)
    succ = _evaluate(model, lambda: model.labelled_successors(before), k - 1, f"the steps out of state {k}")
    same = [t for t, picks in model.take(before, action, dict(params), succ).items() if picks == params]
    if recorded in same:
        return Step(action, params, recorded)
    where = f"state {k + 1} ({title}, the trace's state #{k})"
    if not same:
        enabled = sorted({step_title(model, Step(model.action_names[a], p, ())) for a, p, _ in succ})
        others = [model.action_names[a] for a, p, t in succ if t == recorded]
        hint = (f"\n  (the recorded state is reached by {others[0]} instead)" if others else "")
        raise Mismatch(k, f"{where}: {title} is not enabled in state {k}; enabled: "
                          f"{', '.join(enabled) or 'nothing (a deadlock)'}{hint}")
    raise Mismatch(k, f"{where}: {title} does not lead to the recorded state:\n"
                   + _difference(model, same[0], recorded, "the spec gives"))


def _difference(model, spec_state, recorded, what) -> str:
    return "\n".join(f"  {name}: {what} {old if old is not None else '(absent)'}, the trace records "
                     f"{new if new is not None else '(absent)'}"
                     for name, old, new in changes(model, spec_state, recorded))


def _evaluate(model, fn, index, what):
    try:
        return fn()
    except SPEC_FAILURES as e:
        raise Mismatch(index, f"evaluating {what} failed: {failure_message(e, model)}") from None


def _decode_state(model, st: dict, k: int) -> tuple:
    own = {n for n in st if n.startswith("#") or n.startswith("mbt::")}
    extra = sorted(set(st) - own - set(model.var_names))
    if extra:
        raise Mismatch(k, f"state {k + 1} has variables the spec does not have: {', '.join(extra)} "
                          f"(the spec's variables changed since the trace was recorded)")
    values = []
    for name, t in zip(model.var_names, model.var_types):
        if name not in st:
            raise Mismatch(k, f"state {k + 1} has no value for the variable {name} (the spec's "
                              f"variables changed since the trace was recorded)")
        try:
            values.append(from_itf(st[name], t))
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
            raise Mismatch(k, f"state {k + 1}: {name} = {json.dumps(st[name])[:200]} is not a value "
                              f"of its type {t} ({e})") from None
    return tuple(values)


def _decode_label(model, meta, k: int):
    """(action name or None for a stutter, ((param, value), ...)) of the step into state k."""
    if not isinstance(meta, dict) or not isinstance(meta.get("action"), str):
        raise Mismatch(k, f"state {k + 1} does not record the action that led to it "
                          f"(its \"#meta\" has no \"action\")")
    action = meta["action"]
    if action == "stutter":
        return None, ()
    if action not in model.action_names:
        raise Mismatch(k, f"state {k + 1} was reached by {action}, an action the spec does not have "
                          f"(its actions: {', '.join(model.action_names)})")
    types = model.action_params.get(model.action_names.index(action), {})
    params = meta.get("params") or {}
    unknown = sorted(set(params) - set(types))
    if unknown or not isinstance(params, dict):
        raise Mismatch(k, f"state {k + 1}: {action} has no parameter or choice {', '.join(unknown)}")
    try:
        return action, tuple((n, from_itf(v, types[n])) for n, v in params.items())
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
        raise Mismatch(k, f"state {k + 1}: a parameter of {action} is not a value of its type ({e})") from None


# ---------------------------------------------------------------- the recorded violation

def _judge(model, rep: Replay, meta: dict) -> None:
    prop = rep.property
    trace = rep.trace
    last = trace[-1].state
    if prop is None:
        rep.message = f"The trace records no violation; its {len(trace)} states replay."
        return
    if prop == "Deadlock":
        rep.property_kind = "deadlock"
        rep.reproduced = not _evaluate(model, lambda: model.labelled_successors(last),
                                       len(trace) - 1, "the last state's steps")
    elif prop == "EvaluationError":
        rep.property_kind = "error"
        try:
            model.labelled_successors(last)
            model.check_invariants(last)
        except SPEC_FAILURES as e:
            rep.reproduced, rep.message = True, f"Evaluating the last state fails again: {failure_message(e, model)}."
    elif model.invariants:
        rep.property_kind = "invariant"
        rep.reproduced = _evaluate(model, lambda: model.check_invariants(last), len(trace) - 1,
                                   f"the invariant {prop}") >= 0
    elif model.action_properties:
        rep.property_kind = "action"
        if len(trace) >= 2:
            before = trace[-2].state
            rep.reproduced = _evaluate(model, lambda: model.check_steps(before, last), len(trace) - 1,
                                       f"the action property {prop}") >= 0
    else:
        rep.property_kind = "temporal"
        _judge_lasso(model, rep, meta)
    if not rep.message:
        what = {"deadlock": "The deadlock", "invariant": f"The violation of the invariant {prop}",
                "action": f"The violation of the action property {prop}",
                "temporal": f"The violation of the temporal property {prop}",
                "error": "The evaluation error"}[rep.property_kind]
        rep.message = (f"{what} that the trace records reproduces."
                       if rep.reproduced else
                       f"{what} that the trace records does NOT reproduce: the {len(trace)} states "
                       f"replay, but the spec no longer fails there (a stale trace?).")


def _judge_lasso(model, rep: Replay, meta: dict) -> None:
    """A temporal violation: the recorded closing step must lead from the last state
    back to state loop+1, and the cycle must violate the property fairly."""
    from .liveness import lasso_violation
    if rep.loop is None:
        rep.message = (f"The trace records a violation of the temporal property {rep.property} but "
                       f"no \"loop\": it is not a lasso, so the violation cannot be judged.")
        return
    k = len(rep.trace)
    closing_meta = meta.get("loop-step") or {"action": "stutter"}
    action, params = _decode_label(model, closing_meta, k)
    try:
        rep.closing = _replay_step(model, rep.trace[-1].state, action, params,
                                   rep.trace[rep.loop].state, k)
    except Mismatch as m:
        rep.message = (f"The recorded cycle does not close (so {rep.property} is not shown violated): "
                       f"{m.message.replace(f'state {k + 1}', f'the step back to state {rep.loop + 1}')}")
        return
    labels = [None] + [(model.action_names.index(s.action), s.params) if s.action else None
                       for s in rep.trace[1:]]
    closing = ((model.action_names.index(action), params) if action else None)
    prop = model.temporal[0]
    try:
        bound = lasso_violation(model, prop, [s.state for s in rep.trace], rep.loop, labels, closing)
    except SPEC_FAILURES as e:
        rep.message = f"Judging the lasso failed: {failure_message(e, model)}."
        return
    rep.reproduced = bound is not None


def replay_lines(rep: Replay) -> list:
    """The verdict of a replay, for the terminal."""
    if rep.changed:
        return _changed_lines(rep)
    if rep.mismatch is not None:
        return [f"{rep.path}: the trace is not a behaviour of the spec at {rep.mismatch.message}"
                if rep.mismatch.message.startswith("state") else f"{rep.path}: {rep.mismatch.message}"]
    head = (f"Replayed {rep.path}: {len(rep.trace)} states"
            + (f", looping back to state {rep.loop + 1}" if rep.loop is not None else "")
            + f", every step an enabled action of {rep.model.name} leading to the recorded state.")
    return [head, rep.message]


def _changed_lines(rep: Replay) -> list:
    """The verdict of a replay on a changed configuration: where the changed spec leaves
    the trace, or whether the recorded violation still happens."""
    what = ", ".join(f"{n} = {v}" for n, v in rep.changed.items())
    if rep.mismatch is not None:
        k = rep.mismatch.index
        return [f"With {what}, the spec leaves the trace {rep.path} at state {k + 1} of {rep.length}: "
                f"states 1 to {k} replay, then {rep.mismatch.message}",
                f"So the recorded violation of {rep.property} is not reached this way with {what}."]
    if rep.reproduced:
        return [f"With {what}, every step of {rep.path} still replays and the violation of {rep.property} "
                f"still happens: {what} does not prevent it."]
    return [f"With {what}, every step of {rep.path} still replays ({len(rep.trace)} states), but "
            f"{rep.property} now holds where the trace ends: {what} prevents the violation there."]
