"""The liveness check's graph algorithms in C (native_search.c: mc_scc, mc_reachable)
against stategraph.py's, on random graphs: the same components, in the same order,
the same single states set apart, the same states reachable."""
from __future__ import annotations

from array import array
import random

import pytest

from _support import DIEHARD, ROOT
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


def _native_graph(path, consts, monkeypatch):
    """The state graph a native search of `path` records, as the liveness check gets it."""
    import checker.engine.liveness as liveness
    model = load(path, consts)
    got = []
    monkeypatch.setattr(liveness, "judge", lambda model, graph, result, **_: got.append(graph))
    assert NativeSearch(model).prepare().run(workers=2).verdict == "ok"
    return model, got[0]


@pytest.mark.slow
def test_components_judged_in_c_agree_with_each_states_groups(monkeypatch):
    """mc_components_groups (the fair groups enabled in each state of a component and
    taken inside it, one pass in C) against enabled()/taken() state by state, on the
    group spec's components (KAFKA-12890 unfixed: `when` conditions, strong and weak
    fairness); and the cyclic states (StateGraph.cyclic) are those components' states."""
    import numpy as np
    from checker.engine.liveness import Fairness, _groups_in
    model, graph = _native_graph(ROOT / "spec" / "group.gdsl", {"CONSUMERS": "2", "FIX_KAFKA_12890": "false"}, monkeypatch)
    fairness = Fairness(model, graph)
    assert 0 < len(fairness.strong) <= 64 and any(c for _, c in fairness.by_label)
    comps = []
    graph.components(graph.starts, graph.targets, b"\x01" * len(graph), comps.append)
    big = [c for c in comps if len(c) > 1]
    assert big
    assert set(np.flatnonzero(graph.cyclic()).tolist()) == {v for c in big for v in c}
    enabled, taken = fairness.components_groups(big)
    offsets = np.cumsum([0] + [len(c) for c in big])
    for i, comp in enumerate(big[:300]):
        by_state, taken_set = _groups_in(graph, fairness, comp)
        rows = enabled[offsets[i]:offsets[i + 1]]
        assert [set(np.flatnonzero(row).tolist()) for row in rows] == [by_state[v] for v in comp]
        assert set(np.flatnonzero(taken[i]).tolist()) == taken_set


def test_the_graph_recorded_in_c_is_the_python_backends(tmp_path, monkeypatch):
    """The arrays the liveness check reads, filled from C (the steps to states outside
    the constraints kept as their sources during the search, their starts made after
    it; each C array freed as it is copied), against the Python backend's graph."""
    from checker.engine.search import bfs
    from checker.engine.stategraph import StateGraph
    from test_agreement import CONSTRUCTS       # its liveness spec: fairness, `when`, a constraint
    path = tmp_path / "constrained.gdsl"
    path.write_text(CONSTRUCTS["liveness"])
    model, native = _native_graph(path, None, monkeypatch)
    python = StateGraph(model, keep_states=False)
    assert bfs(model, graph=python).verdict == "ok"
    assert len(native.outside_labels) > 0
    for name in ("starts", "targets", "step_marks", "outside_starts", "outside_marks", "parent", "state_marks"):
        assert list(getattr(native, name)) == list(getattr(python, name)), name
    for name in ("labels", "outside_labels"):
        assert [native.label_keys[k] for k in getattr(native, name)] == \
            [python.label_keys[k] for k in getattr(python, name)], name
