"""The liveness check alone, on the state graph the native backend records.

`modelcheck` prints the check's wall time after a long search, and on a shared
machine one wall time says little. This runs one native search (the check
intercepted), then liveness.check on its graph `--runs` times with 1 thread and with
`--threads` threads, and prints each run's wall and CPU seconds (process CPU: every
thread), the load average, the medians, the ratio of the medians (the threads
against one), and the peak memory (VmHWM) after the search and at the end. The
first run of a process also finds the whole graph's components (StateGraph.cyclic):
it is shown, and the medians are of the runs after it.

    python bench/liveness_native.py                       # spec/group.gdsl, 3 runs
    python bench/liveness_native.py --const CONSUMERS=2 --runs 5
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import checker.engine.liveness as liveness  # noqa: E402
from checker.compile.model import load  # noqa: E402
from checker.native.engine import NativeSearch  # noqa: E402


def memory() -> str:
    fields = dict(line.split(":", 1) for line in open("/proc/self/status") if line.startswith(("VmHWM", "VmRSS")))
    return ", ".join(f"{k} {int(v.split()[0]) / 1e6:.2f} GB" for k, v in fields.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("spec", nargs="?", default=str(ROOT / "spec" / "group.gdsl"))
    ap.add_argument("--const", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    model = load(args.spec, dict(c.split("=", 1) for c in args.const))
    if not model.temporal:
        sys.exit("the spec has no temporal properties: nothing to check")
    graphs = []
    liveness.judge = lambda _model, graph, _result, **_: graphs.append(graph)
    t = time.perf_counter()
    result = NativeSearch(model).prepare().run(workers=args.threads)
    print(f"search: {time.perf_counter() - t:.2f} s wall, {result.distinct:,} distinct, verdict {result.verdict}")
    if not graphs:
        sys.exit("the search did not complete: no graph to check")
    graph = graphs[0]
    print(f"after the search and the copy of the graph: {memory()}")
    medians = {}
    for threads in (1, args.threads):
        walls, cpus = [], []
        for k in range(args.runs + (1 if not medians else 0)):
            load_avg = open("/proc/loadavg").read().split()[0]
            t, c = time.perf_counter(), time.process_time()
            lasso = liveness.check(model, graph, model.temporal, threads)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            first = not medians and k == 0
            print(f"  {threads} thread(s), load {load_avg}: {wall:.2f} s wall, {cpu:.2f} s CPU"
                  f"{' (first: whole-graph components found)' if first else ''}; "
                  f"{'holds' if lasso is None else 'violated: ' + lasso.prop.name}")
            if not first:
                walls.append(wall)
                cpus.append(cpu)
        medians[threads] = statistics.median(walls)
        print(f"{threads} thread(s): median {medians[threads]:.2f} s wall, {statistics.median(cpus):.2f} s CPU")
    if args.threads != 1:
        print(f"{args.threads} threads against 1: {medians[1] / medians[args.threads]:.2f}x (wall medians)")
    print(f"end: {memory()}")


if __name__ == "__main__":
    main()
