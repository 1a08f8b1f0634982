"""What a person reads: the TLC-style summary, and traces showing only what changed.

A state of the group spec is 30 variables, most of them maps over the consumers whose
values are records; printing a changed variable whole (with its whole old value) gave
lines of 700 characters. So a trace shows, after the first state, each changed map
entry, record field and set element (statediff.deltas), grouped by participant when
the spec has a diagram table (the coordinator's variables, then each consumer's
entries of the `map[Consumer, _]` variables, then the fault budgets), old values cut
to OLD_WIDTH (the state before shows them whole) and every line folded to WIDTH.
A step is titled with its action, what it is as the diagram table says ("Consumer1 →
Coordinator: JoinGroup"), and whether it is a timer or a fault ("fault: timeouts 1 of
TIMEOUTS = 1"). `full_states` prints every state whole, as TLC does. Cost: a diff of
two states a step, linear in what changed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from checker.engine.outcome import step_title
from checker.engine.statediff import deltas
from checker.lang.types import MapT, ScalarsetT, domain
from checker.lang.values import show

from .fold import fold

WIDTH = 160          # no line of a trace is wider
OLD_WIDTH = 60       # an old value is cut to this (the state before shows it whole)


@dataclass
class _Layout:
    """How a spec's states are grouped and its steps named (from its diagram table); also
    the lanes of the HTML page (html.py)."""
    table: object = None
    lanes: ScalarsetT | None = None       # the participants' scalarset: Consumer
    per_lane: set = field(default_factory=set)     # variables map[lanes, _]
    rest: str = ""                        # the group of the other variables: Coordinator


def participant_layout(model) -> _Layout:
    from .diagram import load_table, participant_types
    table = load_table(model)
    if table is None:
        return _Layout()
    lanes = next(iter(participant_types(model, table)), None)
    per_lane = {n for n, t in zip(model.var_names, model.var_types)
                if lanes is not None and isinstance(t, MapT) and t.key is lanes}
    return _Layout(table, lanes, per_lane, table.participants[0] if table.participants else model.name)


def format_trace(model, trace, loop=None, closing=None, *, full_states=False, width=WIDTH) -> str:
    """Numbered states, each headed by its action; after the first, only what changed
    (every variable with `full_states`). A lasso (`loop` set) ends by saying how the
    last state leads back to state loop+1: by the step `closing`, or by stuttering
    (closing.action None)."""
    lay = participant_layout(model)
    out = []
    prev = None
    for i, step in enumerate(trace, 1):
        out.extend(fold(f"State {i}: ", step_heading(model, lay, step, prev), width))
        for sentence in _sentence(model, lay, i, step, prev) if prev is not None else ():
            out.extend(fold("  » ", sentence, width))
        if prev is None or full_states:
            out.extend(_state_lines(model, lay, step.state, width))
        elif step.state == prev.state:
            out.append("  (nothing changed)")
        else:
            out.extend(_change_lines(model, lay, prev.state, step.state, width))
        prev = step
    if loop is not None:
        out.extend(fold("", _loop_text(model, len(trace), loop + 1, closing), width))
    return "\n".join(out)


def step_heading(model, lay, step, prev) -> str:
    """`Action(params)`, then `[timer]` or `[fault: counter n of CONST = m]`."""
    title = step_title(model, step)
    if prev is None or lay.table is None:
        return title
    tags = ["timer"] if step.action in lay.table.timers else []
    for var, const in lay.table.faults.items():
        k = model.var_names.index(var)
        if step.state[k] > prev.state[k]:
            tags.append(f"fault: {var} {step.state[k]} of {const} = {model.constant_text(const)}")
    return title + (f"  [{', '.join(tags)}]" if tags else "")


def _sentence(model, lay, number, step, prev) -> list:
    """What the step is, as the diagram table draws it: `Consumer1 → Coordinator: JoinGroup`."""
    if lay.table is None or step.action not in lay.table.actions:
        return []
    from .diagram import step_row
    r = step_row(model, lay.table, number, step, prev.state)
    return [f"{r.src} → {r.dst}: {r.label}" if r.src else f"{r.over}: {r.label}"]


def _groups(model, lay, paths) -> list:
    """[(group name or None, [(path in the group, item)])] in the order a reader wants:
    the coordinator's, each participant's, the fault budgets."""
    if lay.lanes is None:
        return [(None, list(paths))]
    labels = [show(k, lay.lanes) for k in domain(lay.lanes)]
    budgets = set(lay.table.faults)
    groups = {name: [] for name in [lay.rest, *labels, "fault budgets"]}
    for path, item in paths:
        var = path.split("[", 1)[0].split(".", 1)[0]
        if var in lay.per_lane:
            label = next((x for x in labels if path.startswith(f"{var}[{x}]")), None)
            if label is not None:
                groups[label].append((var + path[len(var) + len(label) + 2:], item))
                continue
        groups["fault budgets" if var in budgets else lay.rest].append((path, item))
    return [(name, items) for name, items in groups.items() if items]


def _state_lines(model, lay, state, width) -> list:
    """Every variable of a state (each participant's map entries under it)."""
    paths = []
    for name, t, value in zip(model.var_names, model.var_types, state):
        if name in lay.per_lane:
            paths += [(f"{name}[{show(k, t.key)}]", show(x, t.value)) for k, x in zip(domain(t.key), value)]
        else:
            paths.append((name, show(value, t)))
    out = []
    for name, items in _groups(model, lay, paths):
        if name is None:                       # no groups: a variable a line, as TLC
            for what, text in items:
                out.extend(fold("  ", f"{what} = {text}", width))
        else:                                  # a group a paragraph
            out.extend(fold(f"  {name}: ", "; ".join(f"{what} = {text}" for what, text in items), width))
    return out


def _change_lines(model, lay, before, after, width) -> list:
    return _grouped(model, lay, [(d.what, d) for d in deltas(model, before, after)], width, _delta_text)


def _grouped(model, lay, paths, width, text) -> list:
    """Each item a line (folded), under its group's name."""
    out = []
    for name, items in _groups(model, lay, paths):
        pad = "  " if name is None else "    "
        if name is not None:
            out.append(f"  {name}:")
        for what, item in items:
            out.extend(fold(pad, text(what, item), width))
    return out


def _cut(text: str) -> str:
    return text if len(text) <= OLD_WIDTH else text[:OLD_WIDTH - 1] + "…"


def _delta_text(what, d) -> str:
    if d.added is not None:
        parts = ([f"added {', '.join(d.added)}"] if d.added else []) + \
                ([f"removed {', '.join(d.removed)}"] if d.removed else [])
        return f"{what}: {'; '.join(parts)}"
    if d.old is None:
        return f"{what} = {d.new}    (new entry)"
    if d.new is None:
        return f"{what} removed    (was {_cut(d.old)})"
    return f"{what} = {d.new}    (was {_cut(d.old)})"


def budget_text(model, state) -> str | None:
    """The fault budgets a state has spent, from the spec's diagram table; None if it
    names none."""
    lay = participant_layout(model)
    if lay.table is None or not lay.table.faults:
        return None
    spent = [f"{var} {state[model.var_names.index(var)]} of {const} = {model.constant_text(const)}"
             for var, const in lay.table.faults.items()]
    return "Fault budgets spent in the last state: " + ", ".join(spent) + "."


def _loop_text(model, last, first, closing) -> str:
    if closing is None:
        return f"Then repeats from state {first} forever."
    if closing.action is None:
        return (f"Then nothing changes any more (stuttering): the behaviour stays in state {first} "
                f"forever.")
    how = step_title(model, closing)
    if first == last:
        return f"Then {how} again and again, which changes nothing: state {first} repeats forever."
    return f"Then {how} leads back to state {first}: states {first} to {last} repeat forever."


def describe_verdict(result) -> str:
    v = result.verdict
    if v == "ok":
        return "Model checking completed. No error has been found."
    if v == "violation" and result.property_kind == "cover":
        return (f"Error: Cover {result.property} was never reached, though the search was complete"
                f" ({result.message}).")
    if v == "violation":
        kind = {"invariant": "Invariant", "temporal": "Temporal property"}.get(result.property_kind,
                                                                            "Action property")
        which = f" ({result.message})" if result.property_kind == "temporal" and result.message else ""
        return f"Error: {kind} {result.property} is violated{which}."
    if v == "deadlock":
        return "Error: Deadlock reached."
    if v == "error":
        return f"Error: the spec failed while being evaluated: {result.message}"
    if result.stopped_by == "interrupted":
        return "Interrupted: the search was stopped before it was complete; nothing was found so far."
    if result.stopped_by == "memory":
        return (f"Incomplete: out of memory (the limit is --memory-limit); no error was found in "
                f"the {result.distinct} states explored, which is not a pass.")
    return (f"Incomplete: the search stopped at --{result.stopped_by} before it was complete; "
            f"no error was found in the {result.distinct} states explored, which is not a pass.")


def summary_lines(result) -> list:
    extra = []
    if result.liveness_elapsed:
        extra.append(f"Temporal properties checked on the state graph in {result.liveness_elapsed:.2f}s.")
    if result.coverage:
        extra.extend(coverage_lines(result.coverage))
    extra.extend(cover_lines(result))
    if result.constrained:
        extra.append(f"{result.constrained} of the states generated lay outside the state constraints: "
                     f"checked, but not stored or expanded (as TLC's CONSTRAINT).")
    return extra + [
        f"{result.generated} states generated, {result.distinct} distinct states found, "
        f"{result.queue_left} states left on queue.",
        f"The depth of the {'complete ' if result.verdict == 'ok' else ''}state graph search is {result.depth}.",
        *_fingerprint_lines(result),
        f"Finished in {result.elapsed:.2f}s"
        + (f" ({result.distinct / result.elapsed:,.0f} distinct states/s)." if result.elapsed > 0 else "."),
    ]


def cover_lines(result) -> list:
    """Each cover of the run (engine/covers.py): reached, with its shortest witness's
    length, or not."""
    covers = getattr(result, "covers", None)
    if not covers:
        return []
    reached = sum(c["reached"] for c in covers.values())
    complete = result.verdict == "ok" or result.property_kind == "cover"
    out = [f"Covers: {reached} of {len(covers)} reached"
           + ("" if complete else " so far (the search stopped before it was complete)") + ":"]
    width = max(len(n) for n in covers)
    for name, c in covers.items():
        how = f"reached, shortest witness {c['depth']} state{'s' if c['depth'] != 1 else ''}" if c["reached"] else "NEVER REACHED"
        out.append(f"  {name:<{width}}  {c['kind']:<12} line {c['line']:<5} {how}")
    return out


def _fingerprint_lines(result) -> list:
    """TLC's line on fingerprint collisions, and what the visited set took."""
    if not result.visited_bytes or not result.distinct:
        return []
    return [f"The probability of a fingerprint collision is {result.collision_probability:.1E} "
            f"(calculated, optimistic); the visited set took {result.visited_bytes / result.distinct:.0f} "
            f"bytes a state."]


def coverage_lines(facts) -> list:
    """The graph facts of stategraph.graph_facts, as TLC prints coverage, each explained;
    `facts["hints"]` (if there) says per never-enabled action what its guard reads."""
    out = fold("", f"The state graph has {facts['sccs']:,} strongly connected components (sets of states "
                   f"that can all reach each other; about one per state means nearly every step is "
                   f"one-way); {facts['no_way_back']:,} states have no way back to an initial state (no "
                   f"behaviour from them returns to the start: expected when the spec counts up, as "
                   f"generations and fault budgets do).", WIDTH)
    out.append("Coverage (steps taken, new states found, per action):")
    width = max((len(name) for name in facts["coverage"]), default=0)
    hints = facts.get("hints") or {}
    for name, c in facts["coverage"].items():
        note = ("    never enabled" + (f": {hints[name]}" if name in hints else "")) if c["steps"] == 0 else ""
        out.extend(fold(f"  {name:<{width}}  {c['steps']:>10}  {c['distinct']:>10}", note, WIDTH,
                        indent=width + 30))
    return out
