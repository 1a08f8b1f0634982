"""The spec against Apache Kafka's own code, both sides: the full run of issue 20.

    python bench/against_kafka.py [--depth 24] [--runs 1000] [--steps 50] [--seed 0] [--json FILE]

(1) exhaustive on models/two-consumers.toml: every transition of the spec's state graph
    out of a state at distance < DEPTH, taken by a behaviour that reaches it by a shortest
    path; coordinator steps executed on Kafka 4.3.1's GroupCoordinatorShard, client steps
    on its ConsumerCoordinator, and compared;
(2) RUNS seeded random walks of up to STEPS steps on the default configuration
    (spec/group.gdsl: three consumers), both sides;
(3) PROBE_RUNS walks of 20 steps on two consumers, each ended by firing one of Kafka's own
    coordinator timers, which the spec must allow.
Prints, for each, behaviours, steps, steps/s, divergences and the coverage tables (as
`modelcheck --against-kafka` prints them). Exit 0 when nothing diverged, 14 on a
divergence, 2 without a JVM or Maven, 1 if a harness crashed.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checker.cli.oracle import report  # noqa: E402
from checker.oracle.client import JVM_ARGS, MODULE, against_kafka_client  # noqa: E402
from checker.oracle.client import MAIN_CLASS as CLIENT_MAIN  # noqa: E402
from checker.oracle.coordinator import MAIN_CLASS, against_kafka  # noqa: E402
from checker.oracle.jvm import Harness, HarnessCrashed, MissingTool  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--depth", type=int, default=24)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--probe-runs", type=int, default=2000)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    two, default = str(ROOT / "models" / "two-consumers.toml"), str(ROOT / "spec" / "group.gdsl")
    try:
        coord = Harness("coordinator", MAIN_CLASS, jvm_args=("-Xmx512m", "-XX:+UseSerialGC"))
        client = Harness(MODULE, CLIENT_MAIN, JVM_ARGS)
    except MissingTool as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    runs, started = {}, time.monotonic()
    plan = [
        ("coordinator", f"exhaustive, two-consumers, depth {args.depth}",
         lambda: against_kafka(two, depth=args.depth, harness=coord)),
        ("client", f"exhaustive, two-consumers, depth {args.depth}",
         lambda: against_kafka_client(two, depth=args.depth, harness=client)),
        ("coordinator", f"random walks, default configuration, {args.runs} x {args.steps}, seed {args.seed}",
         lambda: against_kafka(default, runs=args.runs, steps=args.steps, seed=args.seed, harness=coord)),
        ("client", f"random walks, default configuration, {args.runs} x {args.steps}, seed {args.seed}",
         lambda: against_kafka_client(default, runs=args.runs, steps=args.steps, seed=args.seed, harness=client)),
        ("coordinator", f"Kafka's own timers: {args.probe_runs} fault-free walks of 20 steps on two consumers, "
                        f"each ended by one of Kafka's timers",
         lambda: against_kafka(two, runs=args.probe_runs, steps=20, seed=args.seed, walk_faults=False,
                               harness=coord)),
    ]
    try:
        for side, title, run in plan:
            print(f"\n== {side}: {title}", flush=True)
            r = run()
            runs[f"{side}: {title}"] = r
            print(report(side, r), flush=True)
    except HarnessCrashed as e:
        print(f"error: the Kafka harness crashed: {e}", file=sys.stderr)
        return 1
    finally:
        coord.close()
        client.close()
    print(f"\ntotal {time.monotonic() - started:.1f} s; divergences: "
          f"{sum(len(r.divergences) for r in runs.values())}")
    if args.json:
        Path(args.json).write_text(json.dumps({k: r.to_json() for k, r in runs.items()}, indent=1) + "\n")
    return 14 if any(r.divergences for r in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
