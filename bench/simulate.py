"""Simulation speed: random walks on spec/group.gdsl with 10 consumers and 24 partitions.

The configuration of issue 7: CONSUMERS=10, INITIAL_PARTITIONS=MAX_PARTITIONS=24, the
default properties (every invariant and action property checked at every step), 1,000
runs of up to 200 steps, as `modelcheck spec/group.gdsl --simulate --runs 1000
--steps 200 --const CONSUMERS=10 --const INITIAL_PARTITIONS=24 --const
MAX_PARTITIONS=24` runs it. Each repetition uses its own seed; the medians of
runs/s and steps/s over the repetitions are printed.

    python bench/simulate.py                     # 1000 runs x 200 steps, 3 repetitions
    python bench/simulate.py --runs 100 --repeat 5
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.compile.model import load  # noqa: E402
from checker.engine.simulate import simulate  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--consumers", type=int, default=10)
    ap.add_argument("--partitions", type=int, default=24)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    t0 = time.perf_counter()
    model = load(ROOT / "spec" / "group.gdsl", {"CONSUMERS": str(args.consumers),
                                                "INITIAL_PARTITIONS": str(args.partitions),
                                                "MAX_PARTITIONS": str(args.partitions)})
    print(f"spec/group.gdsl, {args.consumers} consumers, {args.partitions} partitions: compiled in "
          f"{time.perf_counter() - t0:.2f}s; {len(model.invariants)} invariants and "
          f"{len(model.action_properties)} action properties checked at every step")
    rates, step_rates, elapsed = [], [], []
    for seed in range(1, args.repeat + 1):
        sim = simulate(model, runs=args.runs, steps=args.steps, seed=seed)
        if sim.result.verdict != "ok":
            sys.exit(f"seed {seed}: {sim.result.verdict} of {sim.result.property} in run {sim.failing_run}")
        rates.append(sim.runs_per_s)
        step_rates.append(sim.steps_per_s)
        elapsed.append(sim.elapsed)
        print(f"  seed {seed}: {sim.runs} runs, {sim.steps:,} steps in {sim.elapsed:.1f}s "
              f"({sim.runs_per_s:.1f} runs/s, {sim.steps_per_s:,.0f} steps/s); runs ended: {sim.ended}")
    print(f"median over {args.repeat}: {statistics.median(elapsed):.1f}s for {args.runs} runs of up to "
          f"{args.steps} steps, {statistics.median(rates):.1f} runs/s, "
          f"{statistics.median(step_rates):,.0f} steps/s")


if __name__ == "__main__":
    main()
