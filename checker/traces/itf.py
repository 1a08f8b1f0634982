"""Counterexample traces on disk in ITF (the Informal Trace Format of Apalache/Quint).

Each state's `#meta` names the action that led to it and its parameters; the
Quint fields `mbt::actionTaken` and `mbt::nondetPicks` say the same for tools that
read those. Files are written atomically: a reader never sees half a trace.
"""
from __future__ import annotations

import json
from pathlib import Path

from checker.lang.values import to_itf

from .files import write_atomic


def _step_fields(model, step, index=None) -> dict:
    """The ITF fields that say which action (and parameters) took a step."""
    picks = {}
    types = model.action_params.get(model.action_names.index(step.action), {}) \
        if step.action in model.action_names else {}
    for name, value in step.params:
        t = types.get(name)
        picks[name] = to_itf(value, t) if t is not None else {"#unserializable": repr(value)}
    meta = {"action": step.action or ("init" if index == 0 else "stutter"), "params": picks}
    if index is not None:
        meta = {"index": index, **meta}
    return {"#meta": meta, "mbt::actionTaken": meta["action"],
            "mbt::nondetPicks": {k: {"tag": "Some", "value": v} for k, v in picks.items()}}


def trace_to_itf(model, trace, *, property_name=None, description=None, loop=None,
                 loop_step=None, extra_meta=None) -> dict:
    """An ITF trace; for a lasso, `loop` is the index of the state the last one leads
    back to (ITF's "loop"), by `loop_step` (recorded in #meta as "loop-step")."""
    states = []
    for i, step in enumerate(trace):
        st = _step_fields(model, step, i)
        for name, t, value in zip(model.var_names, model.var_types, step.state):
            st[name] = to_itf(value, t)
        states.append(st)
    meta = {"format": "ITF", "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
            "source": model.path, "spec": model.name,
            "constants": {n: model.constant_text(n) for n in model.checked.consts},
            "generated-by": "modelcheck"}
    if property_name:
        meta["property"] = property_name
    if description:
        meta["description"] = description
    if loop_step is not None:
        meta["loop-step"] = _step_fields(model, loop_step)["#meta"]
    meta.update(extra_meta or {})
    out = {"#meta": meta, "vars": list(model.var_names) + ["mbt::actionTaken", "mbt::nondetPicks"],
           "states": states}
    if loop is not None:
        out["loop"] = loop
    return out


def write_trace(path, model, trace, **kw) -> Path:
    data = trace_to_itf(model, trace, **kw)
    write_atomic(Path(path), json.dumps(data, indent=1) + "\n")
    return Path(path)


def trace_dir_name(name: str, config: dict | None = None) -> str:
    """The folder of a run's traces: the model or spec name, and the constants the command
    line set (`ConsumerGroup-CONSUMERS=2`), so that runs of different configurations, and
    the committed reference traces, never overwrite each other."""
    return "-".join([name, *(f"{n}={v}" for n, v in (config or {}).items())])


def write_counterexample(out_dir, model, result, mf=None, config=None, witness=None) -> Path:
    """Write a result's trace where the CLI files it: OUT/<model or spec>[-NAME=VALUE...]/
    <property>.itf.json (`config`: the constants the command line set, NAME -> text), the model file
    and its variation in `#meta`; `witness`: instead, the witness of that cover (engine/covers.py),
    as <cover>.witness.itf.json. An unwritable place is a usage error."""
    from checker.lang.errors import UsageError

    from .report import describe_verdict
    config = {n: config[n] for n in model.checked.consts if n in (config or {})}   # the spec's order
    name = f"{witness}.witness" if witness else result.property
    path = Path(out_dir) / trace_dir_name(mf.name if mf else model.name, config) / f"{name}.itf.json"
    extra = {"model": str(mf.path), "variation": mf.variation} if mf else None
    try:
        if witness:
            return write_trace(path, model, result.witnesses[witness], property_name=witness,
                               description=f"a shortest witness of cover {witness}", extra_meta=extra)
        return write_trace(path, model, result.trace, property_name=result.property,
                           description=describe_verdict(result), loop=result.loop,
                           loop_step=result.loop_step, extra_meta=extra)
    except OSError as e:
        raise UsageError(f"--out {out_dir}: cannot write the trace to {path} "
                         f"({e.strerror or e})") from None
