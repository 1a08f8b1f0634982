"""The pure assignor and coordinator-lookup functions of spec/group.gdsl against the
reference (/work/shared/reference/kafka-classic-protocol.md §10.1-§10.3, §8.1).

Expected values come from the reference text (its worked examples) or from the
independent Python implementations below, written from the reference's description
(and, where the reference names it, Kafka's ConstrainedAssignmentBuilder). They are
never taken from the spec's own output.

Members are MemberId records (consumer, incarnation). The assignors take the members
in member-id order, an argument (Kafka's ids are random; the spec's idOrder): here it is
(consumer index, incarnation), the order the references sort by, except where a test
draws another order and checks that the assignor follows it.
"""
from __future__ import annotations

import functools
import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from checker.compile.model import load

from _support import ROOT

SPEC = ROOT / "spec" / "group.gdsl"
MAXP = 6                    # partitions 0..5 are enough for every example below
INT_MIN, INT_MAX = -2**31, 2**31 - 1

# Deterministic runs, no example database, and Hypothesis's caches kept out of the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "gdsl-test-hypothesis")
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=None)
def _model(assignor: str = "range", max_partitions: int = MAXP):
    return load(SPEC, {"CONSUMERS": "3", "INITIAL_PARTITIONS": "2",
                       "MAX_PARTITIONS": str(max_partitions), "ASSIGNOR": assignor})


def fn(name: str, assignor: str = "range"):
    return _model(assignor).function(name)


# --------------------------------------------------------------------------- plumbing
# A member is (consumer index, incarnation), e.g. (1, 0) = ("Consumer1", 0).

def to_spec(subs: dict) -> dict:
    return {(f"Consumer{c}", inc): {"owned": set(s["owned"]), "gen": s["gen"]}
            for (c, inc), s in subs.items()}


def from_spec(result: dict) -> dict:
    out = {}
    for key, parts in result.items():
        rec = dict(key)
        label = rec["consumer"]
        assert label.startswith("Consumer"), key
        out[(int(label[len("Consumer"):]), rec["inc"])] = set(parts)
    return out


ORDERED = {"assign", "rangeAssign", "roundRobinAssign", "stickyAssign", "cooperativeAssign"}


def call(name: str, subs: dict, n: int, assignor: str = "range", order=None) -> dict:
    """The spec's function `name` on subs; an assignor gets the members in `order`
    (default: sorted)."""
    if name not in ORDERED:
        return from_spec(fn(name, assignor)(to_spec(subs), n))
    order = sorted(subs) if order is None else order
    return from_spec(fn(name, assignor)(to_spec(subs), tuple((f"Consumer{c}", inc) for c, inc in order), n))


def fresh(*members) -> dict:
    """Subscriptions of members that own nothing (NO_GENERATION)."""
    return {m: {"owned": set(), "gen": -1} for m in members}


def assert_partition_of(result: dict, members, n: int) -> None:
    """Every member has an entry; assignments are disjoint and cover 0..n-1."""
    assert set(result) == set(members)
    seen = [p for parts in result.values() for p in parts]
    assert len(seen) == len(set(seen)), f"a partition is assigned twice: {result}"
    assert set(seen) == set(range(n)), f"not exactly partitions 0..{n - 1}: {result}"


# ============================================================ independent oracles

def ref_range(members, n: int) -> dict:
    """§10.1: member at sorted index i gets [i*q + min(i, r), (i+1)*q + min(i+1, r))."""
    order = sorted(members)
    c = len(order)
    q, r = divmod(n, c)
    return {m: set(range(i * q + min(i, r), (i + 1) * q + min(i + 1, r))) for i, m in enumerate(order)}


def ref_range_walk(members, n: int) -> dict:
    """§10.1 implementation view (TopicAssignmentState/assignRanges): walk the sorted
    members, each takes up to maxAssignable = q + (extra left ? 1 : 0) of the unassigned
    partitions in partition order."""
    order = sorted(members)
    q, extra = divmod(n, len(order))
    free = list(range(n))
    out = {}
    for m in order:
        take = q + (1 if extra > 0 else 0)
        if extra > 0:
            extra -= 1
        out[m], free = set(free[:take]), free[take:]
    return out


def ref_round_robin(members, partitions) -> dict:
    """§10.2 with identical subscriptions: one circular iterator over the sorted members,
    the globally sorted partition list dealt in turn."""
    order = sorted(members)
    out = {m: [] for m in order}
    cycle = itertools.cycle(order)
    for p in sorted(partitions):
        out[next(cycle)].append(p)
    return out


def ref_valid_claims(subs: dict, n: int) -> dict:
    """§10.3 conflict resolution (AbstractStickyAssignor.allSubscriptionsEqual), for
    partitions claimed by at most two members: no other claimant -> keep; the other has
    a lower generation -> this one wins; higher -> the other keeps it; the same ->
    revoked from both (partitionsWithMultiplePreviousOwners)."""
    claims = {m: [] for m in subs}
    owner = {}
    multiple = set()
    for m in sorted(subs):
        gen = subs[m]["gen"]
        for p in sorted(subs[m]["owned"]):
            if p >= n:
                continue
            other = owner.get(p)
            if other is None:
                claims[m].append(p)
                owner[p] = m
            elif subs[other]["gen"] == gen:
                multiple.add(p)
                if p in claims[other]:
                    claims[other].remove(p)
                owner[p] = m
            elif gen > subs[other]["gen"]:
                claims[m].append(p)
                if p in claims[other]:
                    claims[other].remove(p)
                owner[p] = m
    return {m: {p for p in ps if p not in multiple} for m, ps in claims.items()}


def ref_sticky(subs: dict, n: int) -> dict:
    """§10.3 all-subscriptions-equal sticky assignment (ConstrainedAssignmentBuilder):
    (1) assignOwnedPartitions: each member, in member order, keeps its valid claims
    sorted by partition up to minQuota, or up to maxQuota while fewer than
    P mod C members are at max; (2) assignRoundRobin: the remaining partitions, in
    order, go round-robin to the members under minQuota; once none is left under
    minQuota, to the members at exactly minQuota (a FIFO queue: those at min after
    step 1 in member order, then each member as it reaches minQuota in step 2)."""
    order = sorted(subs)
    claims = ref_valid_claims(subs, n)
    c = len(order)
    min_q, max_q, expected_at_max = n // c, -(-n // c), n % c
    at_max = 0
    out = {m: [] for m in order}
    under, exactly = [], []
    for m in order:
        owned = sorted(claims[m])
        if len(owned) < min_q:
            out[m] += owned
            under.append(m)
        elif len(owned) >= max_q and at_max < expected_at_max:
            at_max += 1
            if at_max == expected_at_max:
                exactly.clear()
            out[m] += owned[:max_q]
        else:
            out[m] += owned[:min_q]
            if at_max < expected_at_max:
                exactly.append(m)
    taken = {p for ps in out.values() for p in ps}
    free = [p for p in range(n) if p not in taken]
    under.sort()
    exactly.sort()
    i = 0                                   # a Java iterator over `under`
    for p in free:
        if i < len(under):
            m = under[i]
            i += 1
        elif not under and not exactly:
            raise AssertionError("oracle: no more unfilled consumers")
        elif not under:
            m = exactly.pop(0)
        else:
            i = 0
            m = under[i]
            i += 1
        out[m].append(p)
        if len(out[m]) == min_q:
            i -= 1
            under.remove(m)
            exactly.append(m)
        elif len(out[m]) == max_q:
            at_max += 1
    return {m: set(ps) for m, ps in out.items()}


def withhold_transfers(subs: dict, target: dict) -> dict:
    """§10.3 CooperativeStickyAssignor.adjustAssignment: a partition assigned to a member
    that did not own it while some other member claims it in its ownedPartitions is
    removed from the new owner's assignment."""
    out = {}
    for m, parts in target.items():
        out[m] = {p for p in parts
                  if p in subs[m]["owned"]
                  or not any(p in subs[o]["owned"] for o in subs if o != m)}
    return out


def java_hash(s) -> int:
    """Java String.hashCode: h = 31*h + c over UTF-16 code units, 32-bit two's complement."""
    if isinstance(s, str):
        raw = s.encode("utf-16-le")
        units = [raw[i] | raw[i + 1] << 8 for i in range(0, len(raw), 2)]
    else:
        units = list(s)
    h = 0
    for c in units:
        h = (31 * h + c) & 0xFFFFFFFF
    return h - 2**32 if h & 0x80000000 else h


def utils_abs(n: int) -> int:
    """Kafka Utils.abs: Integer.MIN_VALUE -> 0, else Math.abs."""
    return 0 if n == INT_MIN else abs(n)


def string_with_hash(target: int, prefix: str = "group-", k: int = 7) -> str:
    """A string prefix + k printable ASCII characters (33..126) whose Java hashCode is
    `target`: the k characters are digits of a base-31 number with digit range 94 > 31,
    so every value in [33*S, 126*S] (S = sum of the weights) is reachable greedily;
    with k = 7 that interval is wider than 2**32, so every target is reachable."""
    lo, hi = 33, 126
    weights = [31 ** e for e in range(k - 1, -1, -1)]
    base = (java_hash(prefix) * 31 ** k) & 0xFFFFFFFF
    need = (target - base) & 0xFFFFFFFF
    total = sum(weights)
    while need < lo * total:
        need += 2**32
    assert need <= hi * total, "no such suffix of this length"
    chars = []
    for i, w in enumerate(weights):
        rest = sum(weights[i + 1:])
        c = max(lo, -(-(need - hi * rest) // w))
        assert c <= hi and need - c * w >= lo * rest
        chars.append(c)
        need -= c * w
    assert need == 0
    s = prefix + "".join(map(chr, chars))
    assert java_hash(s) == target
    return s


# --------------------------------------------------------------------------- strategies

ALL_MEMBERS = [(c, inc) for c in (1, 2, 3) for inc in (0, 1)]


@st.composite
def group_subs(draw, max_members=4, min_n=1, max_n=MAXP):
    """(n, subscriptions): 1..max_members members (incarnations 0..1 of Consumer1..3),
    n partitions, each partition claimed by at most two members (the reference states
    the conflict rule pairwise), generations from a small set so that ties happen."""
    n = draw(st.integers(min_n, max_n))
    members = draw(st.lists(st.sampled_from(ALL_MEMBERS), min_size=1, max_size=max_members,
                            unique=True))
    owned = {m: set() for m in members}
    for p in range(n):
        for m in draw(st.lists(st.sampled_from(members), max_size=min(2, len(members)),
                               unique=True)):
            owned[m].add(p)
    gens = {m: draw(st.sampled_from([-1, 1, 2, 3])) for m in members}
    return n, {m: {"owned": owned[m], "gen": gens[m]} for m in members}


# ============================================================ oracle self-checks
# The oracles must reproduce the reference's own worked examples (two topics there).

def test_oracle_range_reproduces_javadoc_example():
    # §10.1: C0, C1; t0, t1 with 3 partitions each -> C0:[t0p0,t0p1,t1p0,t1p1], C1:[t0p2,t1p2]
    per_topic = {t: ref_range(["C0", "C1"], 3) for t in ("t0", "t1")}
    got = {m: sorted((t, p) for t in per_topic for p in per_topic[t][m]) for m in ("C0", "C1")}
    assert got == {"C0": [("t0", 0), ("t0", 1), ("t1", 0), ("t1", 1)], "C1": [("t0", 2), ("t1", 2)]}


def test_oracle_round_robin_reproduces_javadoc_example():
    # §10.2: C0:[t0p0,t0p2,t1p1], C1:[t0p1,t1p0,t1p2]
    got = ref_round_robin(["C0", "C1"], [(t, p) for t in ("t0", "t1") for p in range(3)])
    assert got == {"C0": [("t0", 0), ("t0", 2), ("t1", 1)], "C1": [("t0", 1), ("t1", 0), ("t1", 2)]}


@pytest.mark.parametrize("c", range(1, 7))
@pytest.mark.parametrize("n", range(1, 7))
def test_oracle_range_formula_matches_the_walk(c, n):
    members = list(range(c))
    assert ref_range(members, n) == ref_range_walk(members, n)


def test_oracle_java_hash_listed_values():
    assert java_hash("my-group") == -1906497762
    assert java_hash("test-group") == 627841412
    assert java_hash("group1") == -1237460590
    assert java_hash("") == 0


# ============================================================ §10.1 range

def test_range_javadoc_example_one_topic():
    out = call("rangeAssign", fresh((1, 0), (2, 0)), 3)
    assert out == {(1, 0): {0, 1}, (2, 0): {2}}


@pytest.mark.parametrize("c", [1, 2, 3])
@pytest.mark.parametrize("n", range(1, 7))
def test_range_formula(c, n):
    members = [(i, 0) for i in range(1, c + 1)]
    out = call("rangeAssign", fresh(*members), n)
    assert out == ref_range(members, n)
    assert_partition_of(out, members, n)
    # the first n % c members get one more, and each range is contiguous
    order = sorted(members)
    sizes = [len(out[m]) for m in order]
    assert sizes == [n // c + 1] * (n % c) + [n // c] * (c - n % c)
    for m in order:
        if out[m]:
            assert out[m] == set(range(min(out[m]), max(out[m]) + 1))


@pytest.mark.parametrize("members", [
    [(2, 0), (1, 1), (1, 0)],                       # two incarnations of Consumer1
    [(3, 1), (3, 0), (2, 1), (1, 1)],
    [(1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 1)],  # more members than partitions
], ids=str)
@pytest.mark.parametrize("n", [1, 4, 6])
def test_range_member_order_and_incarnations(members, n):
    out = call("rangeAssign", fresh(*members), n)
    assert out == ref_range(members, n)
    assert_partition_of(out, members, n)


def test_range_ignores_ownership():
    subs = {(1, 0): {"owned": set(), "gen": 1}, (2, 0): {"owned": {0, 1, 2}, "gen": 1}}
    assert call("rangeAssign", subs, 3) == {(1, 0): {0, 1}, (2, 0): {2}}


# ============================================================ §10.2 round-robin

def test_round_robin_javadoc_example_one_topic():
    out = call("roundRobinAssign", fresh((1, 0), (2, 0)), 3)
    assert out == {(1, 0): {0, 2}, (2, 0): {1}}


@pytest.mark.parametrize("c", [1, 2, 3])
@pytest.mark.parametrize("n", range(1, 7))
def test_round_robin_positions(c, n):
    members = [(i, 0) for i in range(1, c + 1)]
    out = call("roundRobinAssign", fresh(*members), n)
    expected = {m: set(ps) for m, ps in ref_round_robin(members, range(n)).items()}
    assert out == expected
    assert_partition_of(out, members, n)
    for i, m in enumerate(sorted(members)):        # positions i, i+C, i+2C, ...
        assert out[m] == set(range(i, n, c))


@pytest.mark.parametrize("members", [
    [(2, 0), (1, 1), (1, 0)],
    [(1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 1)],
], ids=str)
@pytest.mark.parametrize("n", [1, 5, 6])
def test_round_robin_member_order_and_incarnations(members, n):
    out = call("roundRobinAssign", fresh(*members), n)
    assert out == {m: set(ps) for m, ps in ref_round_robin(members, range(n)).items()}
    assert_partition_of(out, members, n)


# ============================================================ §10.3 validClaims

@pytest.mark.parametrize("subs,n,expected", [
    # no conflict: every claim survives
    ({(1, 0): {"owned": {0, 1}, "gen": 2}, (2, 0): {"owned": {2}, "gen": 2}}, 3,
     {(1, 0): {0, 1}, (2, 0): {2}}),
    # same generation: revoked from both
    ({(1, 0): {"owned": {0, 1}, "gen": 2}, (2, 0): {"owned": {1, 2}, "gen": 2}}, 3,
     {(1, 0): {0}, (2, 0): {2}}),
    # higher generation wins, whichever member comes first
    ({(1, 0): {"owned": {0, 1}, "gen": 3}, (2, 0): {"owned": {1, 2}, "gen": 2}}, 3,
     {(1, 0): {0, 1}, (2, 0): {2}}),
    ({(1, 0): {"owned": {0, 1}, "gen": 2}, (2, 0): {"owned": {1, 2}, "gen": 3}}, 3,
     {(1, 0): {0}, (2, 0): {1, 2}}),
    # NO_GENERATION (-1) loses to any generation, ties with another -1
    ({(1, 0): {"owned": {0}, "gen": -1}, (2, 0): {"owned": {0}, "gen": 1}}, 2,
     {(1, 0): set(), (2, 0): {0}}),
    ({(1, 0): {"owned": {0}, "gen": -1}, (2, 1): {"owned": {0, 1}, "gen": -1}}, 2,
     {(1, 0): set(), (2, 1): {1}}),
    # a stale incarnation of the same consumer is just another member
    ({(1, 0): {"owned": {0, 1}, "gen": 1}, (1, 1): {"owned": {1}, "gen": 2},
      (2, 0): {"owned": set(), "gen": -1}}, 3,
     {(1, 0): {0}, (1, 1): {1}, (2, 0): set()}),
])
def test_valid_claims_cases(subs, n, expected):
    assert call("validClaims", subs, n) == expected
    assert ref_valid_claims(subs, n) == expected


@SETTINGS
@given(group_subs())
def test_valid_claims_matches_reference_rule(case):
    n, subs = case
    assert call("validClaims", subs, n) == ref_valid_claims(subs, n)


# ============================================================ §10.3 sticky

def _check_sticky_properties(subs: dict, n: int, out: dict) -> None:
    members = sorted(subs)
    c = len(members)
    min_q, max_q, r = n // c, -(-n // c), n % c
    assert_partition_of(out, members, n)
    # balance: sizes differ by at most one, exactly n mod C members at maxQuota
    sizes = sorted(len(out[m]) for m in members)
    assert sizes[-1] - sizes[0] <= 1, out
    assert sizes == [min_q] * (c - r) + [max_q] * r, out
    # stickiness (assignOwnedPartitions): each member keeps its lowest valid claims up
    # to minQuota, and min(r, #members with >= maxQuota claims) members keep maxQuota
    claims = ref_valid_claims(subs, n)
    for m in members:
        keep = sorted(claims[m])[:min(len(claims[m]), min_q)]
        assert set(keep) <= out[m], (m, keep, out)
    # an owned partition of no valid claim is never preferred over a valid claim:
    # total retention at least what step (1) keeps
    retained = sum(len(out[m] & claims[m]) for m in members)
    at_max = min(r, sum(1 for m in members if len(claims[m]) >= max_q)) if r else 0
    assert retained >= sum(min(len(claims[m]), min_q) for m in members) + at_max, out


@pytest.mark.parametrize("subs,n,expected", [
    # brief's case: member 1 owns 2 = maxQuota of 3 partitions / 2 members and P mod C = 1
    # member may be at max -> it keeps both; the newcomer gets the rest.
    ({(1, 0): {"owned": {0, 1}, "gen": 1}, (2, 0): {"owned": set(), "gen": -1}}, 3,
     {(1, 0): {0, 1}, (2, 0): {2}}),
    # owner of everything keeps maxQuota (its lowest partitions), the rest moves
    ({(1, 0): {"owned": {0, 1, 2}, "gen": 1}, (2, 0): {"owned": set(), "gen": -1}}, 3,
     {(1, 0): {0, 1}, (2, 0): {2}}),
    # the newcomer is member 1 in member order: the owner is member 2 and still keeps 2
    ({(1, 0): {"owned": set(), "gen": -1}, (2, 0): {"owned": {0, 1, 2}, "gen": 1}}, 3,
     {(1, 0): {2}, (2, 0): {0, 1}}),
    # P mod C = 0: minQuota = maxQuota = 2; owners keep 2 each (lowest first),
    # the freed and unowned partitions go to the under-quota member
    ({(1, 0): {"owned": {0, 1, 2}, "gen": 2}, (2, 0): {"owned": {3, 4, 5}, "gen": 2},
      (3, 0): {"owned": set(), "gen": -1}}, 6,
     {(1, 0): {0, 1}, (2, 0): {3, 4}, (3, 0): {2, 5}}),
    # under-quota owners keep what they own, the free partitions go round-robin:
    # under = [B, C]; 2 -> B (B reaches minQuota 2), 3 -> C, 5 -> C
    ({(1, 0): {"owned": {0, 1, 2, 3}, "gen": 2}, (2, 0): {"owned": {4}, "gen": 2},
      (3, 0): {"owned": set(), "gen": -1}}, 6,
     {(1, 0): {0, 1}, (2, 0): {2, 4}, (3, 0): {3, 5}}),
    # generation conflict: member 2 (gen 2) wins partition 0 over member 1 (gen 1)
    ({(1, 0): {"owned": {0}, "gen": 1}, (2, 0): {"owned": {0}, "gen": 2},
      (3, 0): {"owned": set(), "gen": 2}}, 3,
     {(1, 0): {1}, (2, 0): {0}, (3, 0): {2}}),
    # same-generation conflict on 2: dropped from both, dealt afresh
    ({(1, 0): {"owned": {0, 2}, "gen": 2}, (2, 0): {"owned": {1, 2}, "gen": 2},
      (3, 0): {"owned": set(), "gen": -1}}, 3,
     {(1, 0): {0}, (2, 0): {1}, (3, 0): {2}}),
    # only one of two maxQuota-capable owners may stay at max (P mod C = 1), member order
    ({(1, 0): {"owned": {0, 1}, "gen": 1}, (2, 0): {"owned": {2, 3}, "gen": 1},
      (3, 0): {"owned": set(), "gen": -1}}, 4,
     {(1, 0): {0, 1}, (2, 0): {2}, (3, 0): {3}}),
], ids=lambda v: None)
def test_sticky_hand_cases(subs, n, expected):
    assert ref_sticky(subs, n) == expected           # the oracle agrees with the hand trace
    out = call("stickyAssign", subs, n)
    _check_sticky_properties(subs, n, out)
    assert out == expected


@pytest.mark.parametrize("members,n,expected", [
    # §10.3 step (2): remaining partitions go ROUND-ROBIN to the members under minQuota.
    # Nothing owned, minQuota 2: the deal alternates, as the round-robin assignor does.
    ([(1, 0), (2, 0)], 4, {(1, 0): {0, 2}, (2, 0): {1, 3}}),
    ([(1, 0), (2, 0), (3, 0)], 6, {(1, 0): {0, 3}, (2, 0): {1, 4}, (3, 0): {2, 5}}),
    ([(1, 0), (2, 0)], 5, {(1, 0): {0, 2, 4}, (2, 0): {1, 3}}),
])
def test_sticky_fresh_group_deals_round_robin(members, n, expected):
    subs = fresh(*members)
    assert ref_sticky(subs, n) == expected
    assert call("stickyAssign", subs, n) == expected


def test_sticky_members_reaching_min_queue_behind_members_already_at_min():
    # ConstrainedAssignmentBuilder: after step (1) B is at exactly minQuota (queue [B]);
    # A and C are dealt 1 and 2 round-robin and join the queue behind B as they reach
    # minQuota; the last partition (3) goes to the head of that queue, B.
    subs = {(1, 0): {"owned": set(), "gen": -1}, (2, 0): {"owned": {0}, "gen": 1},
            (3, 0): {"owned": set(), "gen": -1}}
    expected = {(1, 0): {1}, (2, 0): {0, 3}, (3, 0): {2}}
    assert ref_sticky(subs, 4) == expected
    out = call("stickyAssign", subs, 4)
    _check_sticky_properties(subs, 4, out)
    assert out == expected


@SETTINGS
@given(group_subs())
def test_sticky_balance_completeness_stickiness(case):
    n, subs = case
    _check_sticky_properties(subs, n, call("stickyAssign", subs, n))


@SETTINGS
@given(group_subs())
def test_sticky_matches_constrained_assignment_builder(case):
    n, subs = case
    assert call("stickyAssign", subs, n) == ref_sticky(subs, n)


# ============================================================ §10.3 cooperative-sticky

def test_cooperative_withholds_partition_still_owned_elsewhere():
    # A owns {0,1,2}, B joins: sticky target A:{0,1}, B:{2}; 2 is still A's -> withheld
    subs = {(1, 0): {"owned": {0, 1, 2}, "gen": 1}, (2, 0): {"owned": set(), "gen": -1}}
    assert ref_sticky(subs, 3) == {(1, 0): {0, 1}, (2, 0): {2}}
    assert call("cooperativeAssign", subs, 3) == {(1, 0): {0, 1}, (2, 0): set()}


def test_cooperative_follow_up_rebalance_hands_it_out():
    # after A revoked 2, nobody owns it: B gets it
    subs = {(1, 0): {"owned": {0, 1}, "gen": 2}, (2, 0): {"owned": set(), "gen": 2}}
    assert call("cooperativeAssign", subs, 3) == {(1, 0): {0, 1}, (2, 0): {2}}


@pytest.mark.parametrize("subs,n,expected", [
    # unowned partitions are never withheld (A at minQuota gets the P mod C extra one)
    ({(1, 0): {"owned": {0}, "gen": 1}, (2, 0): {"owned": set(), "gen": -1}}, 3,
     {(1, 0): {0, 2}, (2, 0): {1}}),
    # B (gen 2) wins 2 over A (gen 1) and keeps only minQuota = 1 of {0,1,2}; 1 and 2
    # go to A and C but B still owns them: both withheld
    ({(1, 0): {"owned": {2}, "gen": 1}, (2, 0): {"owned": {0, 1, 2}, "gen": 2},
      (3, 0): {"owned": set(), "gen": -1}}, 3,
     {(1, 0): set(), (2, 0): {0}, (3, 0): set()}),
    # only one of the two maxQuota-capable owners stays at max; B's 3 moves to the
    # newcomer C and is withheld
    ({(1, 0): {"owned": {0, 1}, "gen": 1}, (2, 0): {"owned": {2, 3}, "gen": 1},
      (3, 0): {"owned": set(), "gen": -1}}, 4,
     {(1, 0): {0, 1}, (2, 0): {2}, (3, 0): set()}),
])
def test_cooperative_cases(subs, n, expected):
    assert withhold_transfers(subs, ref_sticky(subs, n)) == expected
    assert call("cooperativeAssign", subs, n) == expected


@SETTINGS
@given(group_subs())
def test_cooperative_is_sticky_minus_transfers(case):
    # the withholding step alone, applied to the spec's own sticky target
    n, subs = case
    target = call("stickyAssign", subs, n)
    out = call("cooperativeAssign", subs, n)
    assert out == withhold_transfers(subs, target)
    # no partition is ever handed to a member while another member still claims it
    for m, parts in out.items():
        for p in parts - subs[m]["owned"]:
            assert not any(p in subs[o]["owned"] for o in subs if o != m), (m, p, out)


@SETTINGS
@given(group_subs())
def test_cooperative_matches_reference(case):
    n, subs = case
    assert call("cooperativeAssign", subs, n) == withhold_transfers(subs, ref_sticky(subs, n))


# ============================================================ assign() dispatch

DISPATCH = {"range": "rangeAssign", "roundrobin": "roundRobinAssign",
            "sticky": "stickyAssign", "cooperative_sticky": "cooperativeAssign"}


@pytest.mark.parametrize("assignor", sorted(DISPATCH))
def test_assign_dispatches_on_assignor(assignor):
    subs = {(1, 0): {"owned": {0, 1, 2}, "gen": 1}, (2, 0): {"owned": set(), "gen": -1}}
    out = call("assign", subs, 3, assignor)
    assert out == call(DISPATCH[assignor], subs, 3, assignor)
    expected = {"range": {(1, 0): {0, 1}, (2, 0): {2}},
                "roundrobin": {(1, 0): {0, 2}, (2, 0): {1}},
                "sticky": {(1, 0): {0, 1}, (2, 0): {2}},
                "cooperative_sticky": {(1, 0): {0, 1}, (2, 0): set()}}[assignor]
    assert out == expected


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(sorted(DISPATCH)), group_subs(), st.randoms(use_true_random=False))
def test_every_assignor_follows_the_member_order_it_is_given(assignor, case, rnd):
    """Kafka's member ids sort at random: an assignor given the members in another order
    assigns as the reference does to the members renamed by their place in that order."""
    n, subs = case
    order = sorted(subs)
    rnd.shuffle(order)
    slots = sorted(ALL_MEMBERS)[:len(order)]                      # members that sort as `order`
    expected = call(DISPATCH[assignor], {slot: subs[m] for slot, m in zip(slots, order)}, n, assignor)
    got = call(DISPATCH[assignor], subs, n, assignor, order=order)
    assert got == {order[slots.index(slot)]: parts for slot, parts in expected.items()}


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(sorted(DISPATCH)), group_subs())
def test_assign_equals_the_selected_assignor(assignor, case):
    n, subs = case
    assert call("assign", subs, n, assignor) == call(DISPATCH[assignor], subs, n, assignor)


# ============================================================ §8.1 coordinator lookup

@pytest.mark.parametrize("group,h,partition", [
    ("my-group", -1906497762, 12),
    ("test-group", 627841412, 12),
    ("group1", -1237460590, 40),
    ("", 0, 0),
])
def test_listed_hashes_and_partitions(group, h, partition):
    assert fn("javaHash")(group) == h
    assert fn("coordinatorPartition")(group, 50) == partition


BMP_TEXT = st.text(st.one_of(st.characters(min_codepoint=32, max_codepoint=126),
                             st.characters(min_codepoint=0x80, max_codepoint=0xFFFF,
                                           blacklist_categories=("Cs",))),
                   max_size=40)


@SETTINGS
@given(BMP_TEXT)
def test_java_hash_matches_string_hashcode(s):
    assert fn("javaHash")(s) == java_hash(s)


@SETTINGS
@given(BMP_TEXT, st.integers(1, 100))
def test_coordinator_partition_formula(s, partitions):
    got = fn("coordinatorPartition")(s, partitions)
    assert got == utils_abs(java_hash(s)) % partitions
    assert 0 <= got < partitions


@pytest.mark.parametrize("s", [
    "\U0001F600",                   # outside the BMP: two UTF-16 code units (surrogates)
    "group-\U0001F600-\u00e9",
    "\uffff" * 40,
])
def test_java_hash_utf16_code_units(s):
    assert fn("javaHash")(s) == java_hash(s)
    assert fn("coordinatorPartition")(s, 50) == utils_abs(java_hash(s)) % 50


@pytest.mark.parametrize("s", ["z" * 40, "consumer-group-" * 17, "\u4e2d" * 255,
                               "a" * 255, "ab" * 100], ids=lambda s: f"len{len(s)}")
def test_java_hash_wraps_around_on_long_strings(s):
    h = fn("javaHash")(s)
    assert h == java_hash(s)
    assert INT_MIN <= h <= INT_MAX


@pytest.mark.parametrize("target", [INT_MIN, INT_MIN + 1, INT_MAX, -1, 1])
def test_coordinator_partition_at_the_int_extremes(target):
    s = string_with_hash(target)
    assert fn("javaHash")(s) == target
    for partitions in (50, 7, 1):
        assert fn("coordinatorPartition")(s, partitions) == utils_abs(target) % partitions


def test_utils_abs_of_min_value_is_zero():
    # Utils.abs(Integer.MIN_VALUE) = 0, so the partition is 0 (Math.abs would give
    # MIN_VALUE itself, and a mathematical abs 2^31 % 50 = 48)
    s = string_with_hash(INT_MIN)
    assert fn("coordinatorPartition")(s, 50) == 0
    assert fn("javaHash")(s) == INT_MIN


def test_java_hash_accepts_code_unit_sequences():
    # a seq[int] of UTF-16 code units, as the spec's type says
    units = [0xD83D, 0xDE00, 0x61]
    assert fn("javaHash")(units) == java_hash(units) == java_hash("\U0001F600a")
