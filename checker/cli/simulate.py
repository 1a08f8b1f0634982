"""`--simulate` on the command line: which options go with it, the run it asks for,
and its verdict and JSON fields. The simulation itself is engine/simulate.py."""
from __future__ import annotations

import os

from checker.engine.simulate import DEFAULT_RUNS, DEFAULT_STEPS, Simulation, simulate
from checker.traces.report import describe_verdict


def check_options(args) -> str | None:
    """What is wrong with a command line's simulation and replay options, or None."""
    if not args.simulate and not args.against_kafka:
        for name in ("runs", "steps", "seed"):
            if getattr(args, name) is not None:
                return f"--{name} is an option of --simulate (and of --against-kafka)"
        if args.swarm:
            return "--swarm is an option of --simulate (modelcheck simulate --swarm)"
    else:
        for name in ("graph", "coverage", "expected", "replay", "max_states", "max_depth"):
            if getattr(args, name):
                return f"--{name.replace('_', '-')} cannot be combined with --simulate (a random " \
                       f"simulation is not a search)"
    if args.replay:
        for name in ("graph", "coverage", "expected", "describe", "invariants", "skips"):
            if getattr(args, name):
                return (f"--{name.rstrip('s') if name in ('invariants', 'skips') else name} "
                        f"cannot be combined with --replay (the trace says what it checks)")
    return None


def run_options(model, args, opts, progress=None) -> Simulation:
    """The simulation a command line asks for (a fresh seed, printed, if none); `progress`
    the callback for its progress (terminal.Status.simulation), or None."""
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    return simulate(model, runs=args.runs or DEFAULT_RUNS, steps=args.steps or DEFAULT_STEPS,
                    seed=seed, check_deadlock=opts["check_deadlock"], timeout=opts.get("timeout"),
                    progress=progress, swarm=args.swarm, budgets=_budgets(model) if args.swarm else ())


def _budgets(model) -> tuple:
    """The variable indices of the spec's fault counters (its diagram table's [faults])."""
    from checker.traces.diagram import load_table
    table = load_table(model)
    return tuple(model.var_names.index(v) for v in table.faults) if table else ()


def describe(sim: Simulation) -> str:
    """The verdict line: a violation as an exhaustive search says it, with the run."""
    res = sim.result
    if res.verdict == "ok":
        kind = "swarm" if sim.swarm else "random"
        return f"Simulation completed: no error found in {sim.runs} {kind} runs (a simulation is not a proof)."
    if res.stopped_by == "interrupted":
        return f"Interrupted after {sim.runs} runs; nothing was found so far."
    text = describe_verdict(res)
    if sim.failing_run is not None:
        again = f"--seed {sim.seed}{' --swarm' if sim.swarm else ''}"
        text += f"\nFound in run {sim.failing_run} of seed {sim.seed} ({again} finds it again)."
    return text


def json_fields(sim: Simulation) -> dict:
    return {"mode": "simulate", "swarm": sim.swarm, "seed": sim.seed, "runs": sim.runs, "steps": sim.steps,
            "failing_run": sim.failing_run, "runs_per_s": round(sim.runs_per_s, 2),
            "steps_per_s": round(sim.steps_per_s, 1), "runs_ended": sim.ended}
