"""Symmetry reduction: the cost of one canonical() call, and a symmetric BFS.

canonical() runs on every generated successor, so its cost bounds what symmetry
can save. States are sampled by random walks on model.successors; each figure is
the median of RUNS timed passes over the sample. The symmetric BFS keeps a dict of
canonical states (no invariants checked): its count is the number of orbits.

    python bench/symmetry.py                   # TwoPhase RM=8, 9; group CONSUMERS=3; BFS RM=7, 8, 9
    python bench/symmetry.py --runs 3 --bfs 7 8
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.compile.model import load  # noqa: E402
from checker.compile.symmetry import symmetry_of  # noqa: E402

TWOPHASE = ROOT / "spec" / "examples" / "twophase.gdsl"
GROUP = ROOT / "spec" / "group.gdsl"


def random_walk_states(model, count: int, seed: int = 1) -> list:
    """`count` states met on random walks from the initial states (restarting at a
    deadlock, and now and then anyway so that shallow states are sampled too)."""
    rng = random.Random(seed)
    inits = model.init_states()
    state, out = rng.choice(inits), []
    while len(out) < count:
        succ = model.successors(state)
        if not succ or rng.random() < 0.02:
            state = rng.choice(inits)
            continue
        state = rng.choice(succ)
        out.append(state)
    return out


def per_call_us(function, states, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for s in states:
            function(s)
        times.append((time.perf_counter() - start) / len(states) * 1e6)
    return statistics.median(times)


def symmetric_bfs(model, canonical) -> int:
    """The number of canonical states reachable (one per orbit)."""
    seen = {canonical(s) for s in model.init_states()}
    queue = deque(seen)
    successors = model.successors
    while queue:
        for t in successors(queue.popleft()):
            c = canonical(t)
            if c not in seen:
                seen.add(c)
                queue.append(c)
    return len(seen)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sample", type=int, default=5000)
    ap.add_argument("--rm", type=int, nargs="*", default=[8, 9], help="TwoPhase sizes for the per-call cost")
    ap.add_argument("--consumers", type=int, nargs="*", default=[3], help="group.gdsl sizes for the per-call cost")
    ap.add_argument("--bfs", type=int, nargs="*", default=[7, 8, 9], help="TwoPhase sizes for the symmetric BFS")
    args = ap.parse_args()

    cases = [(f"TwoPhase RM={n}", TWOPHASE, {"RM": str(n)}) for n in args.rm]
    cases += [(f"group CONSUMERS={n}", GROUP, {"CONSUMERS": str(n)}) for n in args.consumers]
    for label, path, consts in cases:
        model = load(path, consts)
        sym = symmetry_of(model)
        states = random_walk_states(model, args.sample)
        print(f"{label}: canonical {per_call_us(sym.canonical, states, args.runs):.1f} us/call, "
              f"successors {per_call_us(model.successors, states, args.runs):.1f} us/state "
              f"({'unary' if sym.unary else 'ties enumerated'}; medians of {args.runs} passes "
              f"over {len(states)} sampled states)")
    for n in args.bfs:
        model = load(TWOPHASE, {"RM": str(n)})
        sym = symmetry_of(model)
        times, count = [], 0
        for _ in range(args.runs):
            start = time.perf_counter()
            count = symmetric_bfs(model, sym.canonical)
            times.append(time.perf_counter() - start)
        print(f"TwoPhase RM={n}: {count} canonical states, symmetric BFS "
              f"{statistics.median(times):.2f} s (median of {args.runs})")


if __name__ == "__main__":
    main()
