"""Kafka's random member ids in spec/group.gdsl (issue 20, item 6).

Kafka's assignors sort members by member id, and Kafka's ids are clientId-UUID: their
order is random. The spec keeps it in idOrder, a new member taking any place among the
others when it joins the group; CANONICAL_FIRST_IDS then explores only the behaviours whose
consumers' first ids sort in consumer order, a symmetry reduction the spec claims is
sound. These tests hold the spec to both: later ids really take any place (what a spec
sorting by consumer missed), and the reduction loses no state up to renaming.
"""
from __future__ import annotations

from collections import deque
from functools import lru_cache
from pathlib import Path

import pytest

from checker.compile.model import compile_model, load_spec
from checker.compile.symmetry import symmetry_of

SPEC = Path(__file__).resolve().parents[2] / "spec" / "group.gdsl"
# Two consumers, two partitions, range; the only fault a crash (and the restart it allows).
CRASH_ONLY = {"CONSUMERS": "2", "MAX_PARTITIONS": "2", "LEAVES": "0", "POLL_TIMEOUTS": "0",
              "TIMEOUTS": "0", "FAILOVERS": "0", "MAX_GENERATION": "3"}


@lru_cache(maxsize=None)
def _model(consts: tuple):
    return compile_model(load_spec(SPEC, dict(consts)))


def model(**consts):
    return _model(tuple(sorted(consts.items())))


def _leader_orders(m, wanted=None):
    """Every (leader's JoinGroup response order, the assignment it computed) the spec
    reaches, as ((consumer, inc), ...) -> {(consumer, inc): partitions}; the search stops
    once it has every order in `wanted`."""
    seen = {}
    todo = deque(m.init_states())
    visited = set(todo)
    while todo:
        s = todo.popleft()
        v = m.plain(s)
        for c, sync in v["toSync"].items():
            if sync and v["isLeader"][c] is not None:
                order = tuple((dict(x)["consumer"], dict(x)["inc"]) for x in v["idOrder"]
                              if any(dict(x) == dict(k) for k in sync))
                seen.setdefault(order, {(dict(k)["consumer"], dict(k)["inc"]): sorted(p) for k, p in sync.items()})
        if wanted and wanted <= set(seen):
            return seen
        for t in m.successors(s):
            if t not in visited and m.check_constraints(t) < 0:
                visited.add(t)
                todo.append(t)
    return seen


def _reachable(m) -> set:
    """The states the model checker stores: reachable through states inside the constraints."""
    seen = set(m.init_states())
    todo = deque(seen)
    while todo:
        for t in m.successors(todo.popleft()):
            if t not in seen and m.check_constraints(t) < 0:
                seen.add(t)
                todo.append(t)
    return seen


def test_a_restarted_consumers_new_id_sorts_before_or_after_the_others():
    """Consumer1 crashes and restarts with id #1 while Consumer2 keeps #0: Kafka's random
    UUIDs sort #1 before or after Consumer2's id, and range gives partition 0 to whichever
    comes first. A spec sorting by (consumer, incarnation) had only Consumer1#1 first."""
    first, second = ("Consumer1", 1), ("Consumer2", 0)
    orders = _leader_orders(model(**CRASH_ONLY), {(first, second), (second, first)})
    assert (first, second) in orders and (second, first) in orders
    assert orders[(second, first)] == {second: [0], first: [1]}
    assert orders[(first, second)] == {first: [0], second: [1]}


@pytest.mark.slow
def test_first_ids_meet_in_consumer_order_only_with_the_reduction():
    on = _leader_orders(model(**CRASH_ONLY))
    off = _leader_orders(model(**CRASH_ONLY, CANONICAL_FIRST_IDS="false"))
    first_ids = (("Consumer1", 0), ("Consumer2", 0))
    assert first_ids in on and tuple(reversed(first_ids)) not in on
    assert first_ids in off and tuple(reversed(first_ids)) in off


@pytest.mark.slow
def test_the_reduction_loses_no_state_up_to_renaming_the_consumers():
    """Every state reachable with every order of the ids is, with the consumers renamed,
    reachable with first ids in consumer order (and the reduction does reduce)."""
    full = model(CONSUMERS="2", CANONICAL_FIRST_IDS="false")
    reduced = model(CONSUMERS="2")
    sym = symmetry_of(full)
    every, kept = _reachable(full), _reachable(reduced)
    assert len(kept) < len(every)
    assert {sym.canonical(s) for s in every} == {sym.canonical(s) for s in kept}
