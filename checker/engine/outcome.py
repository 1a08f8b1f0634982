"""The vocabulary every engine answers in: steps, results, verdicts and exit codes.

Before, each engine spoke its own: the breadth-first search defined `Step` and
`Result` and everyone imported them from it, with its private failure formatter;
replay, the CLI and the conformance check each had their own exit-code table; five
places labelled states into a trace. Here each is written once:

- `Step` (an action, its parameters, the state it leads to) and `step_title`;
- `label_trace(model, states)`: a list of states -> a trace of labelled steps;
- `Result`: what an explicit or symbolic search found, with its `exit_code`;
- `EXIT_*` and `exit_code_of(verdict, kind)`: TLC's exit codes and ours, in one table;
- `SPEC_FAILURES` and `failure_message(exc, model)`: an error raised by compiled spec
  code, named by the action, function or property it was evaluating.

No cost on the search's hot path: nothing here runs per state, only per trace.
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass, field
import traceback

from checker.compile.runtime import describe
from checker.lang.errors import EvalError
from checker.lang.values import show

# Exit codes: TLC's where TLC has one, ours beside them (README, "What you get").
EXIT_OK = 0
EXIT_INTERNAL = 1               # a checker bug, never a verdict
EXIT_BAD_INPUT = 2              # a spec, model file, trace or option the checker refuses
EXIT_INCOMPLETE = 3             # a bound stopped the search with nothing found
EXIT_UNEXPECTED = 10            # --expected: a verdict other than the model file records
EXIT_DEADLOCK = 11              # TLC
EXIT_VIOLATION = 12             # TLC: an invariant or action property
EXIT_TEMPORAL = 13              # TLC: a temporal property
EXIT_DIVERGES = 14              # a recording or Kafka itself does what the spec cannot
EXIT_COVER = 15                 # a complete search never reached a cover (engine/covers.py)
EXIT_EVAL_ERROR = 75            # TLC: the spec failed while being evaluated
EXIT_INTERRUPTED = 130          # Ctrl-C, with the partial counts

# Errors a spec can raise while being evaluated (the compiled code is plain Python);
# anything else escaping compiled code is a checker bug and surfaces as exit 1.
SPEC_FAILURES = (EvalError, ArithmeticError, LookupError, ValueError, RecursionError)


def verdict_of(kind: str) -> str:
    """The verdict a recorded property kind stands for (a trace on disk records the kind)."""
    return {"deadlock": "deadlock", "error": "error"}.get(kind, "violation")


def exit_code_of(verdict: str, kind: str | None = None, stopped_by: str | None = None) -> int:
    """The exit code of a verdict (ok | violation | deadlock | incomplete | error) and
    the kind of property it concerns (invariant | action | temporal | deadlock | error)."""
    if stopped_by == "interrupted":
        return EXIT_INTERRUPTED
    if verdict == "violation":
        return {"temporal": EXIT_TEMPORAL, "cover": EXIT_COVER}.get(kind, EXIT_VIOLATION)
    return {"ok": EXIT_OK, "deadlock": EXIT_DEADLOCK, "incomplete": EXIT_INCOMPLETE,
            "error": EXIT_EVAL_ERROR}[verdict]


@dataclass
class Step:
    action: str | None        # None for an initial state
    params: tuple             # ((name, value), ...)
    state: tuple


@dataclass
class Result:
    verdict: str                      # ok | violation | deadlock | incomplete | error
    distinct: int
    generated: int
    depth: int
    queue_left: int
    elapsed: float
    property: str | None = None
    property_kind: str | None = None  # invariant | action | temporal | cover | deadlock | error
    trace: list | None = None         # [Step]
    loop: int | None = None           # a lasso (temporal): trace[loop:] repeats forever ...
    loop_step: Step | None = None     # ... and this step goes from the last state back to trace[loop]
    liveness_elapsed: float = 0.0     # of `elapsed`, the time the temporal properties took
    message: str | None = None
    stopped_by: str | None = None     # max-states | max-depth | timeout | memory | interrupted
    constrained: int = 0              # states generated outside the constraints (not stored)
    coverage: dict = field(default_factory=dict)
    visited_bytes: int = 0            # memory of the visited set (fingerprints, parent links)
    collision_probability: float = 0.0  # that a fingerprint collision hid a state (TLC's estimate)
    covers: dict = field(default_factory=dict)      # cover name -> {kind, line, reached, depth}
    witnesses: dict = field(default_factory=dict)   # cover name -> its shortest witness [Step]

    @builtins.property          # `property` is a field name above
    def exit_code(self) -> int:
        return exit_code_of(self.verdict, self.property_kind, self.stopped_by)


def step_title(model, step) -> str:
    """`Action(p=v, ...)` with each parameter shown as its type shows it."""
    if step.action is None:
        return "<Initial state>"
    if not step.params:
        return step.action
    act = model.action_names.index(step.action) if step.action in model.action_names else -1
    types = model.action_params.get(act, {})
    args = ", ".join(f"{n}={show(v, types[n]) if n in types else v}" for n, v in step.params)
    return f"{step.action}({args})"


def labelled_step(model, a, b, unlabelled="?") -> Step:
    """The step from state a to state b, labelled with the action that takes it (a
    stutter, which no action takes, is labelled `unlabelled`)."""
    lab = model.label(a, b)
    return Step(lab[0], lab[1], b) if lab else Step(unlabelled, (), b)


def label_trace(model, states) -> list:
    """The states of a behaviour, from an initial state, as a trace of labelled steps."""
    return [Step(None, (), states[0])] + [labelled_step(model, a, b) for a, b in zip(states, states[1:])]


def failure_message(exc, model) -> str:
    """Describe an exception raised by compiled spec code, naming the action if we can."""
    text = describe(exc)
    where = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename.startswith("<gdsl:"):
            where = lineno
    if where is not None:
        lines = model.source.splitlines()
        # the generated module starts with its constants; find the enclosing action comment
        for k in range(min(where, len(lines)) - 1, -1, -1):
            line = lines[k].strip()
            if line.startswith(("# action ", "# temporal property ", "# fairness condition ", "# cover ")):
                return f"{text} (in {line[2:]})"
            if line.startswith("def d_"):
                return f"{text} (in function {line[6:line.index('(')]})"
            for fname, props, kind in (("check_invariants", model.invariants, "invariant"),
                                       ("check_steps", model.action_properties, "action property"),
                                       ("check_constraints", model.constraints, "constraint")):
                if line.startswith(f"def {fname}"):
                    after = lines[where].strip() if where < len(lines) else ""
                    if after.startswith("return ") and after[7:].isdigit() and int(after[7:]) < len(props):
                        return f"{text} (in {kind} {props[int(after[7:])].name})"
                    return f"{text} (while evaluating a {kind})"
    return text
