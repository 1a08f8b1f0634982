"""The hand-written Python BFS of TwoPhase that modelcheck is measured against.

Shared by bench/explore.py (same process) and bench/performance.py, which runs it as
a child process to measure its peak memory:

    python bench/twophase_hand.py 7      # prints {"distinct": 296448, "elapsed_s": ...}
"""
from __future__ import annotations

import json
import sys
import time


def hand_written_twophase(n: int) -> int:
    """TwoPhase.tla by hand: a dict of tuples, one function per action, TPTypeOK checked."""
    RM = range(n)
    RMSTATES = {"working", "prepared", "committed", "aborted"}
    init = (("working",) * n, "init", frozenset(), frozenset())

    def type_ok(s):
        rm, tm, prepared, msgs = s
        return all(x in RMSTATES for x in rm) and tm in ("init", "committed", "aborted") \
            and all(0 <= r < n for r in prepared)

    def successors(s):
        rm, tm, prepared, msgs = s
        out = []
        if tm == "init":
            for r in RM:
                if ("Prepared", r) in msgs:
                    out.append((rm, tm, prepared | {r}, msgs))
            if len(prepared) == n:
                out.append((rm, "committed", prepared, msgs | {("Commit",)}))
            out.append((rm, "aborted", prepared, msgs | {("Abort",)}))
        for r in RM:
            if rm[r] == "working":
                out.append((rm[:r] + ("prepared",) + rm[r + 1:], tm, prepared, msgs | {("Prepared", r)}))
                out.append((rm[:r] + ("aborted",) + rm[r + 1:], tm, prepared, msgs))
        if ("Commit",) in msgs:
            for r in RM:
                out.append((rm[:r] + ("committed",) + rm[r + 1:], tm, prepared, msgs))
        if ("Abort",) in msgs:
            for r in RM:
                out.append((rm[:r] + ("aborted",) + rm[r + 1:], tm, prepared, msgs))
        return out

    seen = {init: None}
    queue = [init]
    assert type_ok(init)
    i = 0
    while i < len(queue):
        s = queue[i]
        i += 1
        for t in successors(s):
            if t not in seen:
                seen[t] = s
                queue.append(t)
                if not type_ok(t):
                    raise AssertionError("TPTypeOK violated")
    return len(seen)


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: python bench/twophase_hand.py RM   (RM: the number of resource managers)")
    start = time.perf_counter()
    distinct = hand_written_twophase(int(sys.argv[1]))
    print(json.dumps({"distinct": distinct, "elapsed_s": round(time.perf_counter() - start, 4)}))


if __name__ == "__main__":
    main()
