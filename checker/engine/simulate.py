"""Random simulation: many seeded random walks through a compiled spec.

Exhaustive search stops at small configurations; a random walk needs only the
successors of the state it is in, so it runs at any size (10 consumers, 24
partitions, hundreds of steps). Like TLC's -simulate and Quint's `run`: each step
picks one enabled action instance uniformly (an action with its parameter values;
when the instance has several `choose` outcomes, one of them uniformly), and every
invariant is checked on every state, every action property on every step. A state
outside the spec's constraints ends its run (TLC's simulator does the same), and a
state with no successor is a deadlock unless deadlocks are not checked.

Runs are reproducible: run i of seed S draws from random.Random(f"{S}:{i}"), so a
violation found in run 812 of 1,000 is found again with the same seed, and the
report names the run. A violation comes back as an explore.Result with its trace,
so it is reported and written exactly as an exhaustive search's is. Finding
nothing is no proof: the verdict is then "ok" with the numbers of runs and steps.

`swarm=True` gives each run its own configuration (fault budgets, when faults may
start, action weights; checker/engine/swarm.py), which finds the bugs uniform walks
miss. Swarm runs also judge temporal properties where a run can stay forever: at a
state with a step that changes nothing, the run up to there with that step repeating
is a lasso, judged as the exhaustive search judges one (liveness.lasso_violation,
fairness included); each state is judged once a simulation. (Uniform walks do not:
on the 10-consumer configuration it cost 2.8 times their throughput.)
"""
from __future__ import annotations

from dataclasses import dataclass
import random
import time

from .outcome import SPEC_FAILURES, Result, Step, failure_message
from .swarm import SwarmRun

DEFAULT_RUNS = 1000
DEFAULT_STEPS = 100


@dataclass
class Simulation:
    """What a simulation did: `result` is the verdict (with the trace of the run that
    found a violation); the counts say how much was simulated."""
    result: Result
    seed: int
    runs: int                 # runs started (the last may have stopped at a violation)
    steps: int                # steps taken in all runs
    elapsed: float
    failing_run: int | None = None   # the run (1-based) that found the violation
    ended: dict = None               # how runs ended: {"steps": n, "deadlock": n, "constraint": n}
    last_trace: list = None          # [Step] of the failing run, else of the last run
    swarm: bool = False              # swarm runs (engine/swarm.py)

    @property
    def runs_per_s(self) -> float:
        return self.runs / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def steps_per_s(self) -> float:
        return self.steps / self.elapsed if self.elapsed > 0 else 0.0


def pick(rng: random.Random, succ: list, n_params: list):
    """One successor, uniform over enabled action instances, then over the choices of
    the instance picked. `succ` is labelled_successors' list; n_params[a] is how many
    of action a's picks are its parameters (the rest are choices)."""
    if len(succ) == 1:
        return succ[0]
    instances: dict = {}
    for entry in succ:
        act, picks, _ = entry
        instances.setdefault((act, picks[:n_params[act]]), []).append(entry)
    if len(instances) == len(succ):            # no instance has several choices
        return succ[rng.randrange(len(succ))]
    group = list(instances.values())[rng.randrange(len(instances))]
    return group[rng.randrange(len(group))]


def simulate(model, *, runs: int = DEFAULT_RUNS, steps: int = DEFAULT_STEPS, seed: int = 0,
             check_deadlock: bool = True, timeout: float | None = None, progress=None,
             progress_every: float = 2.0, swarm: bool = False, budgets=()) -> Simulation:
    """`runs` random walks of up to `steps` steps each from a random initial state
    (`swarm`: each with its own configuration, `budgets` the variable indices of the
    fault counters); stops at the first violation, deadlock or evaluation error."""
    start = time.perf_counter()
    deadline = start + timeout if timeout is not None else float("inf")
    check_inv = model.check_invariants if model.invariants else None
    check_step = model.check_steps if model.action_properties else None
    check_con = model.check_constraints if model.constraints else None
    successors = model.labelled_successors
    n_params = [len(a.params) for a in model.checked.actions]
    ended = {"steps": 0, "deadlock": 0, "constraint": 0, "quiescent": 0}
    judged: set = set()           # states whose stuttering lasso was judged
    judge_lassos = swarm and bool(model.temporal)   # 2.8x the cost of a uniform 10-consumer walk
    total_steps = 0
    generated = 0
    next_report = start + progress_every
    trace: list = []
    run = 0

    def stop(verdict, **info) -> Simulation:
        elapsed = time.perf_counter() - start
        res = Result(verdict, 0, generated, len(trace), 0, elapsed,
                     message=info.get("message"), stopped_by=info.get("stopped_by"))
        if verdict in ("violation", "deadlock", "error"):
            res.property, res.property_kind = info["property"], info["kind"]
            res.trace = list(trace)
            if "closing" in info:
                res.loop, res.loop_step = len(trace) - 1, info["closing"]
        return Simulation(res, seed, run, total_steps, elapsed,
                          failing_run=run if res.trace is not None else None, ended=ended,
                          last_trace=list(trace), swarm=swarm)

    try:
        try:
            inits = model.init_states()
        except SPEC_FAILURES as e:
            return stop("error", property="EvaluationError", kind="error",
                        message=f"in init: {failure_message(e, model)}")
        for run in range(1, runs + 1):
            rng = random.Random(f"{seed}:{run}")
            config = SwarmRun.draw(rng, len(model.action_names), budgets, steps) if swarm else None
            s = inits[rng.randrange(len(inits))]
            generated += 1
            trace = [Step(None, (), s)]
            try:
                if check_inv is not None and (bad := check_inv(s)) >= 0:
                    p = model.invariants[bad]
                    return stop("violation", property=p.name, kind="invariant")
                for k in range(steps):
                    if check_con is not None and check_con(s) >= 0:
                        ended["constraint"] += 1
                        break
                    succ = successors(s)
                    generated += len(succ)
                    if not succ:
                        if check_deadlock:
                            return stop("deadlock", property="Deadlock", kind="deadlock")
                        ended["deadlock"] += 1
                        break
                    if judge_lassos and hash(s) not in judged:
                        judged.add(hash(s))
                        lasso = _stuttering_lasso(model, trace, succ, s)
                        if lasso is not None:
                            return stop("violation", property=lasso[0], kind="temporal", closing=lasso[1])
                    if config is None:
                        act, picks, t = pick(rng, succ, n_params)
                    elif (chosen := config.choose(rng, s, succ, k)) is not None:
                        act, picks, t = chosen
                    else:
                        ended["quiescent"] += 1
                        break
                    trace.append(Step(model.action_names[act], picks, t))
                    total_steps += 1
                    if check_step is not None and (bad := check_step(s, t)) >= 0:
                        p = model.action_properties[bad]
                        return stop("violation", property=p.name, kind="action")
                    if check_inv is not None and (bad := check_inv(t)) >= 0:
                        p = model.invariants[bad]
                        return stop("violation", property=p.name, kind="invariant")
                    s = t
                else:
                    ended["steps"] += 1
            except SPEC_FAILURES as e:
                return stop("error", property="EvaluationError", kind="error",
                            message=failure_message(e, model))
            now = time.perf_counter()
            if now >= deadline:
                return stop("ok", stopped_by="timeout")
            if progress is not None and now >= next_report:
                progress(run, runs, total_steps, now - start)
                next_report = now + progress_every
    except KeyboardInterrupt:
        return stop("incomplete", stopped_by="interrupted")
    return stop("ok")


def _stuttering_lasso(model, trace, succ, s):
    """(property name, closing Step) if the run so far, then a step of `succ` that
    leaves `s` unchanged repeated forever, is a fair behaviour violating a temporal
    property; else None."""
    from .liveness import lasso_violation
    loops = [(a, p) for a, p, t in succ if t == s]
    if not loops:
        return None
    whole = [step.state for step in trace]
    labels = [None] + [(model.action_names.index(st.action), st.params) for st in trace[1:]]
    for prop in model.temporal:
        # `always eventually` and `eventually always` depend on the cycle only: judge the
        # one-state lasso (cheap); the others on the whole run
        cycle_only = all(form in _CYCLE_ONLY for form, _, _ in prop.temporal.conjuncts)
        states, marks = ([s], [None]) if cycle_only else (whole, labels)
        for a, p in loops:
            if lasso_violation(model, prop, states, len(states) - 1, marks, (a, p)) is not None:
                return prop.name, Step(model.action_names[a], p, s)
    return None


_CYCLE_ONLY = ("always_eventually", "eventually_always")


def summary_lines(sim: Simulation) -> list:
    """What a simulation did, with its throughput, for the terminal."""
    ended = sim.ended or {}
    how = [f"{n} at the step bound" if k == "steps" else
           f"{n} in a deadlock" if k == "deadlock" else
           f"{n} quiescent (nothing but steps that change nothing, or faults the run may not spend)"
           if k == "quiescent" else f"{n} outside a constraint"
           for k, n in ended.items() if n]
    stopped = " (stopped by --timeout)" if sim.result.stopped_by == "timeout" else ""
    return [
        f"{sim.runs} runs{stopped}, {sim.steps} steps" + (f"; runs ended {', '.join(how)}" if how else "")
        + f" (seed {sim.seed}).",
        f"Finished in {sim.elapsed:.2f}s ({sim.runs_per_s:,.1f} runs/s, {sim.steps_per_s:,.0f} steps/s).",
    ]


def print_progress(run, runs, steps, elapsed, stream=None):
    import sys
    rate = steps / elapsed if elapsed > 0 else 0.0
    print(f"Progress: run {run:,} of {runs:,}, {steps:,} steps ({rate:,.0f} steps/s, {elapsed:.0f}s)",
          file=stream or sys.stderr, flush=True)
