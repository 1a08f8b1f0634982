"""`bfs`: the breadth-first search, in this process or spread over worker processes.

explore.py is the search in one process, workers.py the same search with each level
expanded by several; both number states, count and stop alike (tests compare them).
This module chooses between them, so that neither imports the other's caller: the
arrows go search -> workers -> explore, with no cycle.
"""
from __future__ import annotations

import gc

from .explore import Search
from .outcome import Result
from .protocol import ExplicitModel
from .workers import ParallelSearch


def bfs(model: ExplicitModel, **options) -> Result:
    """Explore `model` breadth-first; stop at the first violation, or at a bound
    (max_states, max_depth, timeout in seconds) with the verdict "incomplete".
    Options: max_states, max_depth, timeout, check_deadlock, progress, progress_every,
    graph (a StateGraph to record every state and step in), symmetry (a
    symmetry.Symmetry: explore one state per orbit), workers (processes expanding
    states; see checker/engine/workers.py), memory_limit (bytes of RSS at which to stop)."""
    # States are immutable tuples without cycles: the cyclic garbage collector has
    # nothing to free during a search, and traversing millions of tuples costs time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if options.get("workers", 1) > 1:
            return ParallelSearch(model, **options).run()
        return Search(model, **options).run()
    finally:
        if collecting:
            gc.enable()
