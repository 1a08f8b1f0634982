"""A trace as a sequence diagram: who sent what to whom, step by step, with what
changed beside each arrow and the step that breaks a property marked.

How a step is drawn comes from a small table beside the spec, `<spec>.diagram.toml`
(spec/group.diagram.toml for the group spec), keyed by action name:

    participants = ["Coordinator"]       # drawn first; the others come from `$param`s
    [actions]
    SendJoinGroup = { from = "$c", to = "Coordinator", message = "JoinGroup" }
    ReceiveJoinGroup = { from = "Coordinator", to = "$c", reply = true,
                         message = "JoinGroup response {before.toClient[$c].error}" }
    Crash = { over = "$c", note = "crashes" }

    timers = ["SessionExpires"]          # actions that are timers firing
    [faults]                             # counter variable = the constant that bounds it
    crashes = "CRASHES"

A step that increases a `[faults]` counter is a fault, and traces say so in its title
("fault: crashes 1 of CRASHES = 1"); a `timers` action is titled as a timer. The
`$`-parameters of arrows and notes say which scalarset the per-participant lanes are:
the text trace groups `map[Consumer, _]` variables by consumer (report.py).

`$p` is the value of the step's parameter p (`$m.consumer`: a field of it);
`{before.PATH}` and `{after.PATH}` are a part of the state before or after the step
(paths as scenario files write them: `toClient[Consumer1].error`). An action the
table does not list, or a spec with no table, is drawn as a note on its actor (the
value of its first parameter, or the spec itself): "actor: Action(params)".

The same rows are rendered three ways: for the terminal (`terminal`), as Mermaid
text in Markdown (`markdown`, `--diagram FILE`), and by checker/traces/html.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import re

from checker.compile.modelfile import Located, read_toml
from checker.engine.outcome import step_title
from checker.engine.statediff import change_text, changes
from checker.lang.errors import UsageError
from checker.lang.types import RecordT, ScalarsetT
from checker.lang.values import show

SIDECAR_SUFFIX = ".diagram.toml"
_ARROW_KEYS = {"from", "to", "message", "reply"}
_NOTE_KEYS = {"over", "note"}


@dataclass
class Row:
    """One step of the trace as the diagram draws it."""
    state: int                 # the state it leads to (1-based, as traces print them)
    title: str                 # Action(params), or <Initial state>
    src: str | None = None     # an arrow from src to dst ...
    dst: str | None = None
    reply: bool = False
    over: str | None = None    # ... or a note over one participant
    label: str = ""
    note: str = ""             # a scenario's note on the step
    changes: list = field(default_factory=list)   # statediff.changes
    mark: str = ""             # the property this step breaks, if it does


@dataclass
class Diagram:
    title: str
    participants: list
    rows: list
    loop: int | None = None    # a lasso: rows[loop:] repeat ...
    closing: str = ""          # ... and this says how the last state leads back


@dataclass
class Table(Located):
    """A spec's diagram table (see the module docstring)."""
    path: Path
    source: str
    participants: list
    actions: dict
    faults: dict = field(default_factory=dict)     # counter variable -> bounding constant
    timers: list = field(default_factory=list)     # action names


def table_path(spec_path) -> Path:
    p = Path(spec_path)
    return p.with_name(p.name[:-len(p.suffix)] + SIDECAR_SUFFIX if p.suffix else p.name + SIDECAR_SUFFIX)


def load_table(model) -> Table | None:
    """The diagram table beside the model's spec, checked against the spec; None if
    there is none."""
    path = table_path(model.path)
    if not path.exists():
        return None
    source, data = read_toml(path, "diagram table")
    t = Table(path, source, [], {})
    for key in data:
        if key not in ("participants", "actions", "timers", "faults"):
            raise t.error(f"unknown key {key!r}; a diagram table has participants, timers, [actions] "
                          f"and [faults]", key)
    parts = data.get("participants", [])
    if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
        raise t.error("participants is a list of names, e.g. participants = [\"Coordinator\"]",
                      "participants")
    t.participants = parts
    actions = data.get("actions", {})
    if not isinstance(actions, dict):
        raise t.error("actions is a table: [actions]", "actions")
    for name, entry in actions.items():
        if name not in model.action_names:
            raise t.error(f"the spec has no action {name} (its actions: {', '.join(model.action_names)})",
                          name, "actions")
        keys = set(entry) if isinstance(entry, dict) else set()
        if not isinstance(entry, dict) or not (keys <= _ARROW_KEYS and {"from", "to"} <= keys
                                               or keys <= _NOTE_KEYS and "over" in keys):
            raise t.error(f"{name}: an action is drawn as an arrow {{ from = ..., to = ..., message = "
                          f"..., reply = true|false }} or a note {{ over = ..., note = ... }}", name, "actions")
        params = model.action_params.get(model.action_names.index(name), {})
        for text in entry.values():
            for ref in re.findall(r"\$(\w+)", text) if isinstance(text, str) else ():
                if ref not in params:
                    raise t.error(f"{name}: ${ref}: the action has no parameter {ref} "
                                  f"(it has: {', '.join(params) or 'none'})", name, "actions")
        t.actions[name] = entry
    _load_faults(model, t, data)
    return t


def _load_faults(model, t: Table, data) -> None:
    """The table's timers and fault counters, each checked against the spec."""
    timers = data.get("timers", [])
    if not isinstance(timers, list) or not all(isinstance(a, str) for a in timers):
        raise t.error("timers is a list of action names, e.g. timers = [\"SessionExpires\"]", "timers")
    for name in timers:
        if name not in model.action_names:
            raise t.error(f"timers: the spec has no action {name} (its actions: "
                          f"{', '.join(model.action_names)})", "timers")
    faults = data.get("faults", {})
    if not isinstance(faults, dict):
        raise t.error("faults is a table: [faults] with counter = \"CONSTANT\"", "faults")
    for var, const in faults.items():
        if var not in model.var_names:
            raise t.error(f"faults: the spec has no variable {var}", var, "faults")
        if not isinstance(const, str) or const not in model.checked.consts:
            raise t.error(f"faults: {var} = {const!r}: name the constant that bounds it "
                          f"(the spec's constants: {', '.join(model.checked.consts)})", var, "faults")
    t.timers, t.faults = list(timers), dict(faults)


def build(model, trace, *, table: Table | None = None, property_name: str | None = None,
          property_kind: str | None = None, loop: int | None = None, closing=None,
          notes: list | None = None, title: str | None = None) -> Diagram:
    """The diagram of a trace ([Step]); the last step is marked as breaking
    `property_name` (unless it is temporal: then the lasso shows it)."""
    rows = []
    prev = None
    for i, step in enumerate(trace):
        if prev is None:
            row = Row(1, "<Initial state>", over=None, label="initial state")
        else:
            row = step_row(model, table, i + 1, step, prev.state)
            row.changes = changes(model, prev.state, step.state)
        row.note = (notes[i] if notes and i < len(notes) else "") or ""
        rows.append(row)
        prev = step
    if property_name and property_kind != "temporal" and rows:
        what = {"invariant": "invariant", "action": "action property", "deadlock": "",
                "error": ""}.get(property_kind, "property")
        rows[-1].mark = ("deadlock: no action is enabled" if property_kind == "deadlock" else
                         f"evaluation error" if property_kind == "error" else
                         f"{what} {property_name} violated")
    closing_text = ""
    if loop is not None:
        how = step_title(model, closing) if closing is not None and closing.action else "stuttering"
        repeats = (f"state {loop + 1} repeats" if loop + 1 == len(trace) else
                   f"states {loop + 1} to {len(trace)} repeat")
        closing_text = f"then {how} leads back to state {loop + 1}, and {repeats} forever: " \
                       f"{property_name} violated"
    fixed = list(table.participants) if table else []
    others = sorted({p for r in rows for p in (r.src, r.dst, r.over) if p and p not in fixed},
                    key=_natural)
    return Diagram(title or model.name, fixed + others, rows, loop, closing_text)


def _natural(name: str):
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name)]


def participant_types(model, table: Table) -> list:
    """The scalarsets whose values are participants: the types of the parameters the
    table's arrows and notes name (`$c`: Consumer), in the order the table first names them."""
    found = []
    for name, entry in table.actions.items():
        params = model.action_params.get(model.action_names.index(name), {})
        for key in ("from", "to", "over"):
            m = re.fullmatch(r"\$(\w+)", entry.get(key, ""))
            t = params.get(m.group(1)) if m else None
            if isinstance(t, ScalarsetT) and all(t is not x for x in found):
                found.append(t)
    return found


def step_row(model, table, number, step, before) -> Row:
    """One step as the table draws it (an arrow or a note), `before` the state it leaves."""
    title = step_title(model, step)
    act = model.action_names.index(step.action) if step.action in model.action_names else -1
    types = model.action_params.get(act, {})
    params = dict(step.params)
    entry = table.actions.get(step.action) if table else None
    if entry is None:
        actor = _generic_actor(model, act, params, types)
        return Row(number, title, over=actor, label=title)

    def fill(text):
        text = re.sub(r"\$(\w+)((?:\.\w+)*)", lambda m: _param_text(params, types, m.group(1), m.group(2)), text)
        return re.sub(r"\{(before|after)\.([^}]*)\}",
                      lambda m: _state_text(model, before if m.group(1) == "before" else step.state,
                                            m.group(2)), text).strip()
    if "over" in entry:
        return Row(number, title, over=fill(entry["over"]), label=fill(entry.get("note", title)))
    return Row(number, title, src=fill(entry["from"]), dst=fill(entry["to"]),
               reply=bool(entry.get("reply")), label=fill(entry.get("message", title)))


def _generic_actor(model, act, params, types) -> str:
    """Who takes a step the table does not describe: its first parameter's value, or
    the spec."""
    if act >= 0 and model.checked.actions[act].params:
        name = model.checked.actions[act].params[0][0]
        if name in params:
            return show(params[name], types[name])
    return model.name


def _param_text(params, types, name, fields) -> str:
    v, t = params.get(name), types.get(name)
    for f in fields.split(".")[1:]:
        if not isinstance(t, RecordT) or v is None:
            return "?"
        names = [n for n, _ in t.fields]
        if f not in names:
            return "?"
        v, t = v[names.index(f)], t.fields[names.index(f)][1]
    return show(v, t) if t is not None else "?"


def _state_text(model, state, path) -> str:
    from checker.engine.scenario import read_path
    try:
        return read_path(model, state, path)
    except LookupError:
        return ""


# ---------------------------------------------------------------- Markdown (Mermaid)

def _mm(text: str) -> str:
    """Text as Mermaid shows it literally (its entity codes for the characters it parses)."""
    codes = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;", "\n": " "}
    return re.sub(r"[#;<>\n]", lambda m: codes[m.group(0)], text)


def mermaid(d: Diagram, max_changes: int = 8) -> str:
    """The diagram as a Mermaid sequenceDiagram."""
    out = ["sequenceDiagram"]
    for p in d.participants:
        out.append(f"    participant {p}")
    first, last = (d.participants[0], d.participants[-1]) if d.participants else (d.title, d.title)
    span = f"{first},{last}" if first != last else first
    for i, r in enumerate(d.rows):
        if r.mark:
            out.append("    rect rgb(255, 215, 215)")
        label = _mm(f"{r.state}. {r.label}" + (f" — {r.note}" if r.note else ""))
        if r.src:
            out.append(f"    {r.src}{'-->>' if r.reply else '->>'}{r.dst}: {label}")
            side = r.dst
        else:
            out.append(f"    Note over {r.over or span}: {label}")
            side = r.over or last
        if r.changes:
            lines = [_mm(change_text(c, 60)) for c in r.changes[:max_changes]]
            if len(r.changes) > max_changes:
                lines.append(f"… and {len(r.changes) - max_changes} more changes")
            out.append(f"    Note right of {side}: " + "<br/>".join(lines))
        if r.mark:
            out.append(f"    Note over {span}: ✗ {_mm(r.mark)}")
            out.append("    end")
        if d.loop is not None and i == d.loop:
            out.append(f"    Note over {span}: ↻ the cycle starts at state {r.state}")
    if d.closing:
        out.append(f"    Note over {span}: ↻ {_mm(d.closing)}")
    return "\n".join(out)


def markdown(d: Diagram, summary: str = "") -> str:
    """A Markdown page holding the Mermaid diagram (GitHub and most viewers draw it)."""
    head = f"# {d.title}\n\n" + (summary + "\n\n" if summary else "")
    return head + "```mermaid\n" + mermaid(d) + "\n```\n"


def write_markdown(path, d: Diagram, summary: str = "") -> None:
    from checker.traces.files import write_atomic
    try:
        write_atomic(Path(path), markdown(d, summary))
    except OSError as e:
        raise UsageError(f"--diagram {path}: cannot write it ({e.strerror or e})") from None


# ---------------------------------------------------------------- the terminal

def terminal(d: Diagram, max_changes: int = 6) -> str:
    """The diagram drawn with box characters: a lifeline per participant, an arrow
    (or a mark ■ for a note) per step, the label and the changes on the right."""
    parts = d.participants or [d.title]
    width = max(12, max(len(p) for p in parts) + 3)
    col = {p: i * width + width // 2 for i, p in enumerate(parts)}
    total = len(parts) * width
    numw = max(3, len(str(len(d.rows))))

    def lifelines():
        line = [" "] * total
        for x in col.values():
            line[x] = "│"
        return line

    def text(line, number="", right=""):
        return f"{number:>{numw}} " + "".join(line) + ("  " + right if right else "")

    head = [" "] * total
    for p, x in col.items():
        start = max(0, x - len(p) // 2)
        head[start:start + len(p)] = list(p)
    out = [" " * (numw + 1) + "".join(head).rstrip()]
    for i, r in enumerate(d.rows):
        line = lifelines()
        if r.src and r.src in col and r.dst in col and r.src != r.dst:
            a, b = col[r.src], col[r.dst]
            lo, hi = min(a, b), max(a, b)
            for x in range(lo + 1, hi):
                line[x] = "╌" if r.reply else "─"
            line[a] = "├" if b > a else "┤"
            line[b] = "▶" if b > a else "◀"
        elif (r.over or r.src) in col:
            line[col[r.over or r.src]] = "■"
        mark = "✗ " if r.mark else ""
        out.append(text(line, str(r.state), f"{mark}{r.title}" + (f": {r.label}" if r.label != r.title else "")
                        + (f"  — {r.note}" if r.note else "")))
        for c in r.changes[:max_changes]:
            out.append(text(lifelines(), "", "    " + change_text(c, 60)))
        if len(r.changes) > max_changes:
            out.append(text(lifelines(), "", f"    … and {len(r.changes) - max_changes} more changes"))
        if r.mark:
            out.append(text(lifelines(), "", f"✗ {r.mark}"))
        if d.loop is not None and i == d.loop:
            out.append(text(lifelines(), "", f"↻ the cycle starts at state {r.state}"))
    if d.closing:
        out.append(text(lifelines(), "", f"↻ {d.closing}"))
    return "\n".join(line.rstrip() for line in out)
