"""What the API returns: results and traces as plain Python values, shown in Jupyter.

The problem: the engines answer with `Result`s whose traces hold the compiled spec's
encoded states (enums as ints, packed variables as ints), read only with the model
that made them. Here a `Trace` is a sequence of `State`s (the action and parameters
that led to it, and every variable's value as plain Python: checker/api/values.py),
and a `Result` the verdict, its counts and that trace. The invariant: nothing here
needs the caller to know the encoding; `str()` of either is the text the command
line prints, `_repr_html_` the step-through page (checker/traces/html.py) in an
iframe, so a notebook shows a trace as the CLI's `--html` page does. The cost: a
trace is converted when it is read (`Trace.states`), once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
import html
from typing import Any, NamedTuple

from checker.engine.outcome import step_title
from checker.traces.report import describe_verdict, format_trace

from .values import python_value


class State(NamedTuple):
    """One state of a trace: `action` (None for an initial state) and `params` led to it."""
    index: int
    action: str | None
    params: dict
    values: dict

    def __getitem__(self, key):          # state["groupState"] as well as state.values[...]
        return self.values[key] if isinstance(key, str) else tuple.__getitem__(self, key)


class Trace:
    """A behaviour of the spec: a sequence of States (`loop`: for a lasso, the index
    the last state returns to)."""

    def __init__(self, model, steps, loop=None, closing=None, property_name=None, property_kind=None):
        self._model, self._steps = model, list(model.export_trace(steps))
        self.loop, self._closing = loop, closing
        self._property, self._kind = property_name, property_kind

    @cached_property
    def states(self) -> list:
        m = self._model
        out = []
        for i, step in enumerate(self._steps):
            act = m.action_names.index(step.action) if step.action in m.action_names else -1
            types = m.action_params.get(act, {})
            params = {n: python_value(v, types[n]) if n in types else v for n, v in step.params}
            out.append(State(i, step.action, params, {n: python_value(v, t) for n, t, v in
                                                      zip(m.var_names, m.var_types, step.state)}))
        return out

    @property
    def titles(self) -> list:
        """Each step as the CLI heads it: `Action(p=v, ...)`, `<Initial state>` first."""
        return [step_title(self._model, s) for s in self._steps]

    def __len__(self):
        return len(self._steps)

    def __iter__(self):
        return iter(self.states)

    def __getitem__(self, i):
        return self.states[i]

    def __str__(self) -> str:
        return format_trace(self._model, self._steps, self.loop, self._closing)

    def __repr__(self) -> str:
        return f"<Trace of {len(self)} states: {' -> '.join(self.titles[1:4])}{' ...' if len(self) > 4 else ''}>"

    def html_page(self, summary: str = "") -> str:
        """The step-through page of `modelcheck --html`, as text."""
        from checker.traces import diagram
        from checker.traces.html import page
        d = diagram.build(self._model, self._steps, table=diagram.load_table(self._model),
                          property_name=self._property, property_kind=self._kind, loop=self.loop,
                          closing=self._closing)
        shown = self._property if self._kind in ("invariant", "action", "temporal") else None
        return page(self._model, self._steps, d, summary, shown)

    def _repr_html_(self) -> str:
        return _iframe(self.html_page())


def _iframe(page: str, height: int = 560) -> str:
    """A whole HTML page inside a notebook cell: its script and style kept to itself."""
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width: 100%; height: {height}px; '
            f'border: 1px solid #ccc" sandbox="allow-scripts"></iframe>')


@dataclass
class Result:
    """What a check, simulation, proof or bounded check found."""
    verdict: str                    # ok | violation | deadlock | incomplete | error
    property: str | None            # the property violated, if any
    property_kind: str | None       # invariant | action | temporal | deadlock | error
    exit_code: int                  # modelcheck's exit code for the same run
    distinct: int = 0
    generated: int = 0
    depth: int = 0
    elapsed: float = 0.0
    message: str | None = None      # an evaluation error, or why a proof is incomplete
    stopped_by: str | None = None   # max-states | max-depth | timeout | memory | interrupted
    backend: str = "python"         # python | native | z3
    trace: Trace | None = None
    _engine: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    @property
    def summary(self) -> str:
        """The CLI's verdict sentence."""
        if self._engine is None:          # a proof (prove): z3 says proved, or why not
            return ("Proved: every invariant checked is inductive (with the lemmas)." if self.ok
                    else f"Not proved: {self.message}")
        return describe_verdict(self._engine)

    def __str__(self) -> str:
        text = self.summary
        if self.trace is not None:
            text += "\n" + str(self.trace)
        return text

    def _repr_html_(self) -> str:
        colour = "#2a7d2a" if self.ok else "#b00020"
        rows = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in (("verdict", self.verdict), ("property", self.property),
                                    ("distinct states", f"{self.distinct:,}"), ("generated", f"{self.generated:,}"),
                                    ("depth", self.depth), ("backend", self.backend),
                                    ("elapsed", f"{self.elapsed:.2f} s")) if v is not None)
        head = (f"<div style='font-weight:bold;color:{colour}'>{html.escape(self.summary)}</div>"
                f"<table>{rows}</table>")
        if self.trace is not None:
            head += _iframe(self.trace.html_page(self.summary))
        return head


@dataclass
class Replayed:
    """A trace file replayed on a spec: `reproduced` if the violation it records happens
    again; `mismatch_at` the first state (0-based) the spec does not reach as recorded."""
    reproduced: bool
    property: str | None
    exit_code: int
    message: str
    mismatch_at: int | None
    trace: Trace | None

    def __str__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        text = f"<pre>{html.escape(self.message)}</pre>"
        return text + (self.trace._repr_html_() if self.trace is not None and len(self.trace) else "")
