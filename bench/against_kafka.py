"""The spec against Apache Kafka's own group coordinator: the full run (issue 20).

    PYTHONPATH=. python3 bench/against_kafka.py [--depth 24] [--runs 1000] [--steps 50] [--seed 0]

(1) exhaustive on models/two-consumers.toml: every transition of the spec's state graph
    out of a state at distance < DEPTH, taken by a behaviour that reaches it by a shortest
    path, coordinator steps executed on Kafka 4.3.1 and compared;
(2) RUNS seeded random walks of up to STEPS steps on the default configuration
    (spec/group.gdsl: three consumers);
(3) PROBE_RUNS walks of 20 steps on two consumers, each ended by firing one of Kafka's own
    timers, which the spec must allow.
Prints behaviours, steps, steps/s, divergences and the coverage table (spec action x
the group state before it: reached on Kafka, and the cells the spec reaches but no
behaviour executed). Exit 0 when nothing diverged, 14 on a divergence.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checker.oracle.coordinator import MAIN_CLASS, against_kafka  # noqa: E402
from checker.oracle.jvm import Harness, HarnessCrashed, MissingTool  # noqa: E402

STATES = ["Empty", "PreparingRebalance", "CompletingRebalance", "Stable"]


def table(result) -> str:
    actions = sorted({a for a, _ in result.reachable_cells} | {a for a, _ in result.coverage})
    lines = [f"{'action':28}" + "".join(f"{s[:18]:>20}" for s in STATES)]
    for a in actions:
        row = f"{a:28}"
        for s in STATES:
            n = result.coverage.get((a, s), 0)
            reach = (a, s) in result.reachable_cells
            row += f"{(str(n) if n else ('MISSED' if reach else '-')):>20}"
        lines.append(row)
    return "\n".join(lines)


def report(title, r):
    print(f"\n== {title}")
    print(f"Kafka {r.kafka_version}; mode {r.mode}; behaviours {r.behaviours:,}; steps {r.steps:,} "
          f"({r.kafka_steps:,} on Kafka); {r.elapsed:.1f} s; {r.steps_per_second:,.0f} steps/s")
    if r.mode == "random":
        print(f"walks that took all their steps: {r.full_walks:,}; ended by one of Kafka's own timers: {r.probes:,}")
    if r.depth is not None:
        print(f"transitions within depth {r.depth}: {r.transitions:,}; taken {r.transitions_covered:,}; "
              f"out of due states (taken after Kafka's eager CompleteJoin) {r.transitions_from_due_states:,}; "
              f"steered away by Kafka's choices {r.transitions_kafka_chose_otherwise:,}")
    print(f"coverage: {len(r.coverage)} cells reached on Kafka; the spec reaches {len(r.reachable_cells)}; "
          f"missed {len(r.missed_cells)}: {r.missed_cells}")
    print(table(r))
    print(f"divergences: {len(r.divergences)}")
    for d in r.divergences:
        print(f"  {d.summary()}\n    trace: {d.trace}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--depth", type=int, default=24)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--probe-runs", type=int, default=2000)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    try:
        h = Harness("coordinator", MAIN_CLASS, jvm_args=("-Xmx512m", "-XX:+UseSerialGC"))
    except MissingTool as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = {}
    try:
        t = time.monotonic()
        ex = against_kafka("models/two-consumers.toml", depth=args.depth, harness=h)
        report(f"exhaustive, models/two-consumers.toml, depth {args.depth}", ex)
        rw = against_kafka("spec/group.gdsl", runs=args.runs, steps=args.steps, seed=args.seed, harness=h)
        report(f"random walks, default configuration, {args.runs} x {args.steps}, seed {args.seed}", rw)
        pr = against_kafka("models/two-consumers.toml", runs=args.probe_runs, steps=20, seed=args.seed,
                           walk_faults=False, harness=h)
        report(f"Kafka's own timers: {args.probe_runs} walks of 20 steps on two consumers, each "
               f"ended by one of Kafka's timers (the walks spend no fault)", pr)
        print(f"\ntotal {time.monotonic() - t:.1f} s")
        out = {"exhaustive": ex.to_json(), "random": rw.to_json(), "probes": pr.to_json()}
    except HarnessCrashed as e:
        print(f"error: the Kafka harness crashed: {e}", file=sys.stderr)
        return 1
    finally:
        h.close()
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    return 14 if ex.divergences or rw.divergences or pr.divergences else 0


if __name__ == "__main__":
    sys.exit(main())
