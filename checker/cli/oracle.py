"""`modelcheck SPEC|MODEL --against-kafka [coordinator|client|both]`: the spec's behaviours
run on Apache Kafka's own code (checker/oracle/), reported like a check.

The coordinator side executes the spec's coordinator steps on Kafka's
GroupCoordinatorShard; the client side its consumer steps on Kafka's classic
ConsumerCoordinator. `--depth D` runs every transition of the spec's state graph within
D steps (exhaustive, for small configurations); `--runs N --steps K --seed S` seeded
random walks (any configuration); neither: 100 walks of 50 steps, seed 0. Exit 0 when
nothing diverges, 14 at the first divergence (the behaviour, the step, Kafka's answer
and state against the spec's, and an ITF trace to replay); 2 when a JVM or Maven is
missing; 1 if a harness crashes (its stderr tail, never a divergence).
"""
from __future__ import annotations

import json
import sys

from checker.engine.outcome import EXIT_DIVERGES, EXIT_EVAL_ERROR, EXIT_INTERNAL, EXIT_OK
from checker.lang.errors import EvalError, UsageError

SIDES = ("coordinator", "client", "both")
DEFAULT_RUNS, DEFAULT_STEPS = 100, 50
CLIENT_NOT_DRIVEN = ("STATIC", "AUTO_COMMIT")     # configurations the client oracle refuses
GROUP_STATES = ["Empty", "PreparingRebalance", "CompletingRebalance", "Stable"]


def check_options(args) -> str | None:
    """What is wrong with --against-kafka's options on this command line, or None."""
    if not args.against_kafka:
        return "--depth is an option of --against-kafka" if args.depth is not None else None
    for name in ("simulate", "bmc", "prove", "prove_assignors", "graph", "coverage", "replay", "describe"):
        if getattr(args, name):
            return f"--{name.replace('_', '-')} cannot be combined with --against-kafka"
    return None


def run_against_kafka(mf, model, args, out=print):
    """Run the sides asked for; (exit code, None)."""
    from checker.oracle.jvm import HarnessCrashed, MissingTool
    side = args.against_kafka
    depth, runs = args.depth, args.runs
    if depth is None and runs is None:
        runs = DEFAULT_RUNS
    steps, seed = args.steps or DEFAULT_STEPS, args.seed if args.seed is not None else 0
    how = (f"exhaustive to depth {depth}" if depth is not None else "") + \
          (" and " if depth is not None and runs else "") + \
          (f"{runs} random walks of up to {steps} steps (seed {seed})" if runs else "")
    if not args.json:
        out(f"Against Kafka's own code ({side}): {model.name} ({model.path}), {how}")
    results, names = {}, (("coordinator", "client") if side == "both" else (side,))
    if side == "both" and any(model.constants.get(c) for c in CLIENT_NOT_DRIVEN):
        names = ("coordinator",)
        if not args.json:
            out(f"The client side is not run: its driver does not drive {' or '.join(CLIENT_NOT_DRIVEN)}.")
    try:
        for name in names:
            results[name] = _run_side(name, model, depth, runs, steps, seed, args)
            if results[name].exit_code != EXIT_OK:
                break
    except MissingTool as e:
        raise UsageError(str(e)) from None
    except HarnessCrashed as e:
        print(f"modelcheck: the Kafka harness crashed (not a divergence): {e}", file=sys.stderr)
        return EXIT_INTERNAL, None
    except EvalError as e:            # the spec itself, while the driver explored it
        print(f"modelcheck: the spec failed while being evaluated (not a divergence): {e}", file=sys.stderr)
        return EXIT_EVAL_ERROR, None
    except ValueError as e:           # a configuration a driver does not support
        raise UsageError(f"--against-kafka: {e}") from None
    code = EXIT_DIVERGES if any(r.exit_code for r in results.values()) else EXIT_OK
    if args.json:
        print(json.dumps(json_result(results, code)))
    else:
        for name, r in results.items():
            out(report(name, r))
        out("Kafka's code agrees with the spec on every step." if code == EXIT_OK else
            "Kafka's code and the spec diverge (exit 14): the divergence above; its trace replays with "
            "modelcheck --replay TRACE.")
    return code, None


def _run_side(name, model, depth, runs, steps, seed, args):
    out_dir = args.out
    if name == "coordinator":
        from checker.oracle.coordinator import against_kafka
        return against_kafka(model, depth=depth, runs=runs, steps=steps, seed=seed, out_dir=out_dir)
    from checker.oracle.client import against_kafka_client
    return against_kafka_client(model, depth=depth, runs=runs, steps=steps, seed=seed, out_dir=out_dir)


def json_result(results: dict, code: int) -> dict:
    """One JSON object for the run: the figures summed over the sides, each side's own."""
    sides = {name: r.to_json() for name, r in results.items()}
    versions = {r.kafka_version for r in results.values()}
    return {"verdict": "agrees" if code == EXIT_OK else "diverges", "exit_code": code,
            "kafka_version": versions.pop() if len(versions) == 1 else sorted(versions),
            "behaviours": sum(r.behaviours for r in results.values()),
            "steps": sum(r.steps for r in results.values()),
            "divergences": [dict(d, side=name) for name, j in sides.items() for d in j["divergences"]],
            "coverage": {name: j["coverage"] for name, j in sides.items()},
            "sides": sides}


def report(name, r) -> str:
    """A side's figures, coverage table and divergences, for the terminal."""
    lines = [f"\n{name}: Kafka {r.kafka_version}, {r.mode}: {r.behaviours:,} behaviours, {r.steps:,} steps, "
             f"{r.elapsed:.1f} s ({r.steps_per_second:,.0f} steps/s)"]
    if name == "coordinator":
        if r.depth is not None:
            lines.append(f"  transitions within depth {r.depth}: {r.transitions:,}, taken {r.transitions_covered:,}"
                         f" (out of states whose join is due, taken after Kafka's eager CompleteJoin: "
                         f"{r.transitions_from_due_states:,}; steered away by Kafka's choices: "
                         f"{r.transitions_kafka_chose_otherwise:,})")
        if r.steered:
            lines.append("  transitions not taken: " + ", ".join(f"{why}: {n:,}" for why, n in sorted(r.steered.items())))
        if r.aimed:
            lines.append(f"  behaviours aimed at cells the random walks missed (a shortest path to each): {r.aimed:,}")
        lines.append(f"  steps after which Kafka's random member ids sorted beyond consumer-major (orders a "
                     f"spec sorting by consumer would miss): {r.orders_beyond_consumer_major:,}")
        lines.append(coverage_table(r.coverage, r.reachable_cells, GROUP_STATES, "group state"))
        missed = r.missed_cells
    else:
        if r.depth is not None:
            lines.append(f"  transitions within depth {r.depth}: {r.transitions:,}, executed {r.transitions_executed:,}")
        if r.not_executable:
            lines.append("  behaviours cut short where Kafka's client could not follow (not divergences): "
                         + ", ".join(f"{why}: {n}" for why, n in sorted(r.not_executable.items())))
        if r.answers:
            lines.append("  responses delivered to Kafka's consumers: "
                         + ", ".join(f"{a}: {n:,}" for a, n in sorted(r.answers.items())))
        cells = {tuple(k.split(" @ ")): n for k, n in r.coverage.items()}
        unreached = {tuple(k.split(" @ ")) for k in r.unreached}
        states = sorted({s for _, s in cells} | {s for _, s in unreached})
        lines.append(coverage_table(cells, set(cells) | unreached, states, "client state"))
        missed = sorted(unreached)
    lines.append(f"  cells the spec reaches that no behaviour executed on Kafka: {len(missed)}"
                 + (f": {', '.join(f'{a} @ {s}' for a, s in missed)}" if missed else ""))
    for d in r.divergences:
        if name == "coordinator":
            lines.append(f"  DIVERGES: {d.summary()}")
        else:
            lines.append(f"  DIVERGES: behaviour {d.behaviour}, step {d.step} (x{d.repeats}): {d.action}: {d.message}\n"
                         f"    Kafka: {json.dumps(d.kafka, default=list)}\n    spec:  {json.dumps(d.spec, default=list)}")
        if d.trace:
            lines.append(f"    trace: {d.trace}")
    return "\n".join(lines)


def coverage_table(counts: dict, reachable: set, states: list, what: str) -> str:
    """Spec action x state: steps executed on Kafka; MISSED where the spec reaches the
    cell and no behaviour executed it, - where the spec cannot reach it."""
    actions = sorted({a for a, _ in reachable} | {a for a, _ in counts})
    width = max([len(a) for a in actions] + [len(what)]) + 2
    head = f"  {'action / ' + what:{width + 9}}" + "".join(f"{s[:20]:>22}" for s in states)
    rows = [head]
    for a in actions:
        cells = []
        for s in states:
            n = counts.get((a, s), 0)
            cells.append(f"{n:,}" if n else ("MISSED" if (a, s) in reachable else "-"))
        rows.append(f"  {a:{width + 9}}" + "".join(f"{c:>22}" for c in cells))
    return "\n".join(rows)
