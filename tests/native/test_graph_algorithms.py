"""The liveness check's graph algorithms in C (native_search.c: mc_scc, mc_reachable)
against stategraph.py's, on random graphs: the same components, in the same order,
the same single states set apart, the same states reachable."""
from __future__ import annotations

from array import array
import random

import pytest

from _support import DIEHARD
from checker.compile.model import load
from checker.engine.stategraph import reachable, strongly_connected
from checker.native.engine import NativeSearch
from checker.native.graph import NativeStateGraph


@pytest.fixture(scope="module")
def graph():
    model = load(DIEHARD)
    return NativeStateGraph(model, NativeSearch(model).prepare())


@pytest.mark.parametrize("seed", range(12))
def test_components_and_reach_agree(graph, seed):
    rng = random.Random(seed)
    n = rng.randint(1, 60)
    starts, targets = array("q", [0]), array("i")
    for _ in range(n):
        for _ in range(rng.randint(0, 4)):
            targets.append(rng.randrange(n))
        starts.append(len(targets))
    inside = bytearray(rng.random() < 0.85 for _ in range(n))
    batch = bytearray(rng.random() < 0.5 for _ in range(n))
    want, want_singles = [], array("i")
    count = strongly_connected(starts, targets, inside, want.append, (batch, want_singles))
    got, got_singles = [], array("i")
    assert graph.components(starts, targets, inside, got.append, (batch, got_singles)) == count
    assert got == want and got_singles == want_singles
    plain = []
    assert graph.components(starts, targets, bytes(inside), plain.append) == \
        strongly_connected(starts, targets, bytes(inside), lambda c: None)
    sources = [rng.randrange(n) for _ in range(3)]
    assert graph.reach(starts, targets, sources, inside) == reachable(starts, targets, sources, inside)
