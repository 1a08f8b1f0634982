"""Exploration speed: modelcheck against a hand-written Python BFS of the same model.

TwoPhase (tlaplus/Examples) with RM managers, checking TPTypeOK as TwoPhase.cfg does.
Both run in this process, alternately, RUNS times each; the medians are printed with
their ratio. The bar of issue 2 is a ratio of at least 0.5 (half the hand-written rate).

    python bench/explore.py            # RM=7 (296,448 states), 3 runs each
    python bench/explore.py --rm 6 --runs 5
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.engine.search import bfs  # noqa: E402
from checker.compile.model import load  # noqa: E402
from twophase_hand import hand_written_twophase  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rm", type=int, default=7)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    t0 = time.perf_counter()
    model = load(ROOT / "spec/examples/twophase.gdsl", {"RM": str(args.rm)}, ["TPTypeOK"])
    compile_s = time.perf_counter() - t0

    ours, hand = [], []
    distinct = None
    for _ in range(args.runs):
        r = bfs(model, check_deadlock=True)
        assert r.verdict == "ok", r.verdict
        distinct = r.distinct
        ours.append(r.elapsed)
        t = time.perf_counter()
        n = hand_written_twophase(args.rm)
        hand.append(time.perf_counter() - t)
        assert n == distinct, (n, distinct)

    mo, mh = statistics.median(ours), statistics.median(hand)
    print(f"TwoPhase RM={args.rm}: {distinct:,} distinct states, median of {args.runs} runs")
    print(f"  modelcheck (compiled gdsl)  {mo:7.2f} s  {distinct / mo:10,.0f} states/s   (compile {compile_s:.2f} s)")
    print(f"  hand-written Python BFS     {mh:7.2f} s  {distinct / mh:10,.0f} states/s")
    print(f"  rate ratio modelcheck / hand-written: {mh / mo:.2f}  (issue 2 bar: >= 0.50)")
    print(f"  runs: modelcheck {', '.join(f'{x:.2f}' for x in ours)}; hand {', '.join(f'{x:.2f}' for x in hand)}")


if __name__ == "__main__":
    main()
