"""The explicit-state engine: breadth-first search over every interleaving.

Counts as TLC does (see shared/known-answers/README.md):
  distinct  - unique reachable states found;
  generated - initial states, plus one per successor of every explored state
              (duplicates and self-loops included);
  depth     - BFS levels, the initial states being level 1.
Breadth-first order makes the first counterexample a shortest one. The visited set
maps each state to its index; parent indices rebuild traces, and the step labels
(action and parameters) are recomputed only for the states on a trace. Given a
stategraph.StateGraph, the search also records every step in it, for the analyses
that need the whole graph after the search (liveness, export, coverage).
"""
from __future__ import annotations

import builtins
import gc
import sys
import time
import traceback
from array import array
from dataclasses import dataclass, field

from .errors import EvalError
from .runtime import describe

# Errors a spec can raise while being evaluated (the compiled code is plain Python);
# anything else escaping compiled code is a checker bug and surfaces as exit 1.
SPEC_FAILURES = (EvalError, ArithmeticError, LookupError, ValueError, RecursionError)


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
    property_kind: str | None = None  # invariant | action | temporal | deadlock | error
    trace: list | None = None         # [Step]
    loop: int | None = None           # a lasso (temporal): trace[loop:] repeats forever ...
    loop_step: Step | None = None     # ... and this step goes from the last state back to trace[loop]
    liveness_elapsed: float = 0.0     # of `elapsed`, the time the temporal properties took
    message: str | None = None
    stopped_by: str | None = None     # max-states | max-depth | timeout | interrupted
    constrained: int = 0              # distinct states outside the constraints (not expanded)
    coverage: dict = field(default_factory=dict)

    @builtins.property          # `property` is a field name above
    def exit_code(self) -> int:
        if self.stopped_by == "interrupted":
            return 130
        if self.verdict == "violation" and self.property_kind == "temporal":
            return 13                 # TLC's code for a liveness violation
        # 75 is TLC's code for an error while evaluating the spec
        return {"ok": 0, "violation": 12, "deadlock": 11, "incomplete": 3, "error": 75}[self.verdict]


class _Stop(Exception):
    def __init__(self, verdict, index, **info):
        self.verdict, self.index, self.info = verdict, index, info


def bfs(model, **options) -> Result:
    """Explore `model` breadth-first; stop at the first violation, or at a bound
    (max_states, max_depth, timeout in seconds) with the verdict "incomplete".
    Options: max_states, max_depth, timeout, check_deadlock, progress, progress_every,
    graph (a StateGraph to record every state and step in)."""
    # States are immutable tuples without cycles: the cyclic garbage collector has
    # nothing to free during a search, and traversing millions of tuples costs time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _bfs(model, **options)
    finally:
        if collecting:
            gc.enable()


def _bfs(model, *, max_states: int | None = None, max_depth: int | None = None,
         timeout: float | None = None, check_deadlock: bool = True, progress=None,
         progress_every: float = 2.0, graph=None) -> Result:
    start = time.perf_counter()
    deadline = start + timeout if timeout is not None else float("inf")
    record = graph is not None       # keep every step: the labelled successors are needed
    successors = model.labelled_successors if record else model.successors
    check_inv = model.check_invariants if model.invariants else None
    check_step = model.check_steps if model.action_properties else None
    check_con = model.check_constraints if model.constraints else None
    constrained = 0
    limit = max_states if max_states is not None else float("inf")
    seen: dict = {}
    states: list = []
    parent = array("q")
    if record:
        graph.states, graph.parent = states, parent
        add_target = graph.targets.append
    generated = 0
    depth = 0
    level_start = level_end = 0
    i = -1

    def check_new(n, t):
        """Invariants of a newly found state (index n)."""
        try:
            bad = check_inv(t)
        except SPEC_FAILURES as e:
            raise _Stop("error", n, message=_failure(e, model))
        if bad >= 0:
            raise _Stop("violation", n, prop=model.invariants[bad], kind="invariant")

    try:
        try:
            inits = model.init_states()
        except SPEC_FAILURES as e:
            raise _Stop("error", -1, message=f"in init: {_failure(e, model)}")
        for s in inits:
            generated += 1
            n = len(states)
            if seen.setdefault(s, n) == n:
                if n >= limit:                    # --max-states: a state beyond the bound
                    del seen[s]
                    raise _Stop("incomplete", -1, stopped_by="max-states")
                states.append(s)
                parent.append(-1)
                if check_inv is not None:
                    check_new(n, s)
        level_end = len(states)
        if record:
            graph.n_init = level_end
        depth = 1 if states else 0
        add_state, add_parent, setdefault = states.append, parent.append, seen.setdefault
        pools = [{}.setdefault for _ in model.var_names]      # one value pool per variable
        next_report = time.perf_counter() + progress_every
        while level_start < level_end:
            frozen = max_depth is not None and depth >= max_depth
            for i in range(level_start, level_end):
                s = states[i]
                if check_con is not None:
                    try:
                        outside = check_con(s) >= 0
                    except SPEC_FAILURES as e:
                        raise _Stop("error", i, message=_failure(e, model))
                    if outside:
                        constrained += 1      # TLC's CONSTRAINT: kept and checked, not expanded
                        if record:
                            graph.skip_state()
                        continue
                try:
                    succ = successors(s)
                except SPEC_FAILURES as e:
                    raise _Stop("error", i, message=_failure(e, model))
                if record:
                    labelled, succ = succ, [step[2] for step in succ]
                generated += len(succ)
                if not succ and check_deadlock:
                    raise _Stop("deadlock", i)
                for t in succ:
                    if check_step is not None:
                        try:
                            bad = check_step(s, t)
                        except SPEC_FAILURES as e:
                            raise _Stop("error", i, message=_failure(e, model), step_to=t)
                        if bad >= 0:
                            raise _Stop("violation", i, prop=model.action_properties[bad],
                                        kind="action", step_to=t)
                    n = len(states)
                    k = setdefault(t, n)
                    if k == n:
                        if frozen or n >= limit:      # a state beyond --max-depth / --max-states
                            del seen[t]
                            raise _Stop("incomplete", -1, stopped_by="max-depth" if frozen else "max-states")
                        # store the state with each variable's value shared with every equal
                        # value already stored: states differ in few variables
                        del seen[t]
                        t = tuple([p(v, v) for p, v in zip(pools, t)])
                        seen[t] = n
                        add_state(t)
                        add_parent(i)
                        if check_inv is not None:
                            check_new(n, t)
                    if record:
                        add_target(k)
                if record:
                    graph.close_state(labelled)
                if (i & 255) == 0:
                    now = time.perf_counter()
                    if now >= deadline:
                        raise _Stop("incomplete", -1, stopped_by="timeout")
                    if progress is not None and now >= next_report:
                        progress(len(states), generated, depth, len(states) - i - 1,
                                 time.perf_counter() - start)
                        next_report = time.perf_counter() + progress_every
            level_start, level_end = level_end, len(states)
            if level_start < level_end:
                depth += 1
    except _Stop as stop:
        elapsed = time.perf_counter() - start
        if len(states) > level_end:      # the search had reached into the next level
            depth += 1
        queue_left = max(0, len(states) - (i + 1)) if i >= 0 else len(states)
        res = Result(stop.verdict, len(states), generated, depth, queue_left, elapsed,
                     stopped_by=stop.info.get("stopped_by"), message=stop.info.get("message"),
                     constrained=constrained)
        if stop.verdict in ("violation", "deadlock", "error"):
            if stop.verdict == "violation":
                prop = stop.info["prop"]
                res.property, res.property_kind = prop.name, stop.info["kind"]
            elif stop.verdict == "deadlock":
                res.property, res.property_kind = "Deadlock", "deadlock"
            else:
                res.property, res.property_kind = "EvaluationError", "error"
            if stop.index >= 0:
                res.trace = build_trace(model, states, parent, stop.index)
                if "step_to" in stop.info:         # the violating step itself
                    res.trace.append(_step(model, states[stop.index], stop.info["step_to"]))
        return res
    except KeyboardInterrupt:
        elapsed = time.perf_counter() - start
        return Result("incomplete", len(states), generated, depth, max(0, len(states) - i - 1),
                      elapsed, stopped_by="interrupted")
    elapsed = time.perf_counter() - start
    return Result("ok", len(states), generated, depth, 0, elapsed, constrained=constrained)


def build_trace(model, states, parent, index) -> list:
    """Follow parent links back to an initial state; label each step with its action."""
    chain = []
    while index >= 0:
        chain.append(states[index])
        index = parent[index]
    chain.reverse()
    return [Step(None, (), chain[0])] + [_step(model, a, b) for a, b in zip(chain, chain[1:])]


def _step(model, a, b) -> Step:
    """The step from state a to state b, labelled with the action that takes it."""
    lab = model.label(a, b)
    return Step(lab[0], lab[1], b) if lab else Step("?", (), b)


def _failure(exc, model) -> str:
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
            if line.startswith(("# action ", "# temporal property ", "# fairness condition ")):
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


def print_progress(distinct, generated, depth, queue, elapsed, stream=sys.stderr):
    rate = distinct / elapsed if elapsed > 0 else 0.0
    print(f"Progress: {generated:,} states generated, {distinct:,} distinct states found, "
          f"{queue:,} states left on queue, depth {depth} ({rate:,.0f} states/s, {elapsed:.0f}s)",
          file=stream, flush=True)
