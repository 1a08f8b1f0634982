"""Scenario tests for spec/group.gdsl: the canonical traces of Appendix A (A.1-A.5) of
shared/reference/kafka-classic-protocol.md, driven step by step through the model.

Each step must be an enabled action of the spec, and at the points the reference
describes, the coordinator state, the client states and the messages in flight must
be what the reference says. Along the way every checked invariant and action property
of the spec must hold, and every state a scenario continues from must lie inside the
spec's exploration constraints (otherwise `modelcheck` could not reach the scenario).

How the reference's steps map to the model (see the spec header):
  * time is nondeterministic timer events: the end of the initial rebalance delay and
    the join (rebalance) timeout are CompleteJoin; a session timeout is SessionExpires;
    the pending-sync timeout (DelayedSync / expirePendingSync) is PendingSyncExpires;
  * a Heartbeat and its answer are one step (SendHeartbeat); its answer is not a
    message, so we read the coordinator's answer from the spec's heartbeatError and
    check the client's reaction on the step;
  * an OffsetCommit is answered and handled by the client in HandleOffsetCommit;
  * a leader's SyncGroup is its own step (SendSyncGroup), a follower's is sent with
    its JoinGroup response (ReceiveJoinGroup);
  * consumers start with the coordinator found; a process death is Crash(c);
    the log append of the leader's assignment always succeeds (it is part of
    HandleSyncGroup).
"""
from __future__ import annotations

import functools
from pathlib import Path

import pytest

from checker.compile.model import load

SPEC = Path(__file__).resolve().parents[2] / "spec" / "group.gdsl"

C1, C2, C3 = "Consumer1", "Consumer2", "Consumer3"

COORDINATOR_ACTIONS = {"HandleJoinGroup", "CompleteJoin", "HandleSyncGroup", "HandleLeaveGroup",
                       "HandleOffsetCommit", "SessionExpires", "PendingMemberExpires",
                       "PendingSyncExpires", "CoordinatorFailover", "LoadCompletes"}



def persisted_without_subscriptions(v):
    """The persisted GroupMetadata record minus its subscriptions and timeouts (checked
    separately)."""
    return {k: x for k, x in v["persisted"].items() if k not in ("subscriptions", "timeouts")}


def assert_subscriptions_persisted(v):
    """§7.2: the record written at the leader's SyncGroup holds every member's subscription,
    the metadata the coordinator has for it."""
    assert v["persisted"]["subscriptions"] == {m: info["meta"] for m, info in v["members"].items()}
    assert v["persisted"]["timeouts"] == {m: info["timeout"] for m, info in v["members"].items()}

def key(c, inc=0):
    """A MemberId as m.plain shows it as a map key or set element."""
    return (("consumer", c), ("inc", inc))


def ref(c, inc=0):
    """A MemberId as m.plain shows it as a value (leader, persisted.leader) and as
    an action parameter (SessionExpires(m), CompleteJoin's choice m)."""
    return {"consumer": c, "inc": inc}


def sub(owned=(), gen=-1):
    """A Subscription (the JoinGroup protocol metadata)."""
    return {"owned": frozenset(owned), "gen": gen}


# ---------------------------------------------------------------- the helper


@functools.lru_cache(maxsize=None)
def _load(consts: tuple):
    return load(str(SPEC), dict(consts))


def model(**consts):
    return _load(tuple(sorted((k, str(v)) for k, v in consts.items())))


def _show(action, params):
    return f"{action}({', '.join(f'{k}={v!r}' for k, v in params.items())})"


def enabled(m, state):
    """Every enabled action instance, as readable strings."""
    return sorted({_show(a, p) for a, p, _ in m.steps(state)})


def run_steps(m, state, steps, *, done=()):
    """Run [(action, params)] from `state`; returns [state, s1, ..., sn]. Fails with the
    number of the step, the steps before it, and what was enabled instead, if a step is
    not enabled (or is ambiguous); also if a checked invariant or action property
    breaks, or if a state the scenario continues from is outside a constraint."""
    __tracebackhide__ = True
    states = [state]
    for i, (action, params) in enumerate(steps):
        here = states[-1]
        label = f"step {len(done) + i + 1} {_show(action, params)}"
        history = "".join(f"\n    {_show(a, p)}" for a, p in list(done) + list(steps[:i])) or " (none)"
        con = m.check_constraints(here) if m.constraints else -1
        if con >= 0:
            pytest.fail(f"{label}: the state it starts from is outside the constraint "
                        f"{m.constraints[con].name}, so the checker would never expand it.\n"
                        f"  steps before:{history}")
        try:
            nxt, why = m.step(here, action, **params), None
        except ValueError as e:
            nxt, why = None, str(e).split("; enabled:")[0]
        if why is not None:
            listing = "".join(f"\n    {x}" for x in enabled(m, here))
            pytest.fail(f"{label}: {why}\n  steps before:{history}\n  enabled instead:{listing}")
        bad = m.check_invariants(nxt) if m.invariants else -1
        if bad >= 0:
            pytest.fail(f"{label} breaks the invariant {m.invariants[bad].name}\n  steps before:{history}")
        bad = m.check_steps(here, nxt) if m.action_properties else -1
        if bad >= 0:
            pytest.fail(f"{label} breaks the action property {m.action_properties[bad].name}\n"
                        f"  steps before:{history}")
        states.append(nxt)
    return states


def S(action, **params):
    """One scenario step."""
    return (action, params)


class Scenario:
    """A scenario in progress: the model, the current state and the steps so far."""

    def __init__(self, m, state=None, done=()):
        self.m = m
        self.state = m.init_states()[0] if state is None else state
        self.done = list(done)

    def run(self, steps):
        """Run several steps; returns the plain view of the last state."""
        __tracebackhide__ = True
        states = run_steps(self.m, self.state, steps, done=self.done)
        self.state = states[-1]
        self.done += list(steps)
        return self.v

    def do(self, action, **params):
        __tracebackhide__ = True
        return self.run([S(action, **params)])

    @property
    def v(self):
        return self.m.plain(self.state)

    def can(self, action, **params):
        return any(a == action and all(p.get(k) == x for k, x in params.items())
                   for a, p, _ in self.m.steps(self.state))

    def choices(self, action):
        """The parameters of every enabled instance of `action`."""
        return [p for a, p, _ in self.m.steps(self.state) if a == action]

    def coordinator_steps(self):
        return {a for a, _, _ in self.m.steps(self.state) if a in COORDINATOR_ACTIONS}

    def heartbeat_answer(self, c):
        """The coordinator's answer to a heartbeat of consumer c now (spec: heartbeatError)."""
        return self.m.function("heartbeatError")(c, **_positional_record_keys(self.v))


def _positional_record_keys(v):
    # m.function reads state variables back through values.from_plain, which does not
    # accept the (("consumer", c), ("inc", i)) form that m.plain gives record map keys
    # and set elements; it accepts them as tuples of field values, ("Consumer1", 0).
    def is_record_key(k):
        return isinstance(k, tuple) and k and all(
            isinstance(e, tuple) and len(e) == 2 and isinstance(e[0], str) for e in k)

    def conv(x):
        if is_record_key(x):
            return tuple(conv(e[1]) for e in x)
        if isinstance(x, dict):
            return {conv(k): conv(y) for k, y in x.items()}
        if isinstance(x, frozenset):
            return frozenset(conv(e) for e in x)
        return x
    return {name: conv(x) for name, x in v.items()}


def join_request(member, meta, epoch=0):
    """A JoinGroup request's fields that matter: to which coordinator, with which member
    id (None: "", unknown), and the protocol metadata (owned partitions, generation)."""
    return {"api": "JoinGroup", "epoch": epoch, "member": member, "meta": meta}


def join_of(req):
    return None if req is None else {k: req[k] for k in ("api", "epoch", "member", "meta")}


# A.1 as steps, for the scenarios that start from a formed group.
A1_STEPS = [
    S("SendJoinGroup", c=C1), S("HandleJoinGroup", c=C1),       # round 1: MEMBER_ID_REQUIRED
    S("ReceiveJoinGroup", c=C1), S("HandleJoinGroup", c=C1),    # round 2: added, PreparingRebalance
    S("SendJoinGroup", c=C2), S("HandleJoinGroup", c=C2),
    S("ReceiveJoinGroup", c=C2), S("HandleJoinGroup", c=C2),
    S("CompleteJoin"),                                          # the initial delay ends
    S("ReceiveJoinGroup", c=C2), S("HandleSyncGroup", c=C2),    # follower syncs, parked
    S("ReceiveJoinGroup", c=C1), S("SendSyncGroup", c=C1), S("HandleSyncGroup", c=C1),
    S("ReceiveSyncGroup", c=C1), S("ReceiveSyncGroup", c=C2),
]


def formed_group(**consts):
    """Two consumers after A.1: Stable generation 1, C1 leads and owns {0}, C2 owns {1}."""
    sc = Scenario(model(CONSUMERS=2, **consts))
    v = sc.run(A1_STEPS)
    assert (v["groupState"], v["generation"], v["owned"]) == ("Stable", 1, {C1: {0}, C2: {1}})
    return sc


# ---------------------------------------------------------------- A.1


def test_a1_two_fresh_consumers_form_the_group():
    """A.1: two fresh dynamic consumers (JoinGroup v>=4) join an empty group: KIP-394's
    two-round join, the initial delay, generation 1, leader assigns, both Stable."""
    sc = Scenario(model(CONSUMERS=2))
    v = sc.v
    assert (v["groupState"], v["generation"], v["leader"], v["members"]) == ("Empty", 0, None, {})
    assert v["client"] == {C1: "UNJOINED", C2: "UNJOINED"}
    assert v["clientGen"] == {C1: -1, C2: -1}

    # 1. C1 JoinGroup(mid="") -> pending += m1; MEMBER_ID_REQUIRED(m1); no state change.
    v = sc.do("SendJoinGroup", c=C1)
    assert v["client"][C1] == "PREPARING_REBALANCE"
    assert join_of(v["toCoordinator"][C1]) == join_request(None, sub())
    v = sc.do("HandleJoinGroup", c=C1)
    assert v["groupState"] == "Empty" and v["members"] == {}
    assert v["pending"] == {key(C1)}
    assert v["toClient"][C1]["api"] == "JoinGroup"
    assert v["toClient"][C1]["error"] == "MEMBER_ID_REQUIRED"
    assert v["toClient"][C1]["member"] == 0                    # the response carries m1
    # the client takes the id and rejoins at once (§3.2)
    v = sc.do("ReceiveJoinGroup", c=C1)
    assert v["memberId"][C1] == 0 and v["clientGen"][C1] == -1
    assert v["client"][C1] == "PREPARING_REBALANCE"
    assert join_of(v["toCoordinator"][C1]) == join_request(0, sub())

    # 2. C1 JoinGroup(m1) -> add m1 (isNew, awaiting join, leader); Empty -> PreparingRebalance;
    #    the initial delay is armed.
    v = sc.do("HandleJoinGroup", c=C1)
    assert v["groupState"] == "PreparingRebalance"
    assert v["pending"] == frozenset()
    assert v["leader"] == ref(C1)
    assert v["members"] == {key(C1): {"meta": sub(), "awaitingJoin": True, "awaitingSync": False,
                                      "isNew": True, "assignment": frozenset(), "timeout": 0}}
    assert v["initialDelay"] is True
    assert v["generation"] == 0

    # 3. C2: round 1 (pending += m2, MEMBER_ID_REQUIRED(m2)), round 2 (m2 added).
    v = sc.run([S("SendJoinGroup", c=C2), S("HandleJoinGroup", c=C2)])
    assert v["pending"] == {key(C2)}
    assert (v["toClient"][C2]["error"], v["toClient"][C2]["member"]) == ("MEMBER_ID_REQUIRED", 0)
    assert v["groupState"] == "PreparingRebalance"
    v = sc.run([S("ReceiveJoinGroup", c=C2), S("HandleJoinGroup", c=C2)])
    assert v["pending"] == frozenset()
    assert set(v["members"]) == {key(C1), key(C2)}
    assert v["members"][key(C2)]["isNew"] and v["members"][key(C2)]["awaitingJoin"]
    assert v["leader"] == ref(C1)                  # the first member added stays leader (§3.4)
    # Everyone has joined, but during the initial delay the join is not completed early
    # (§3.3): nobody has an answer yet, and the group waits for the timer.
    assert v["groupState"] == "PreparingRebalance" and v["initialDelay"]
    assert v["toClient"] == {C1: None, C2: None}

    # 4. The initial-delay timer fires (model: one CompleteJoin for Kafka's re-armed
    #    delay chain) -> gen 1, CompletingRebalance; C1 (leader) gets [m1, m2] with their
    #    metadata, C2 gets []; both in pendingSync (the sync timer is armed).
    v = sc.do("CompleteJoin")
    assert (v["groupState"], v["generation"], v["leader"]) == ("CompletingRebalance", 1, ref(C1))
    assert v["pendingSync"] == {key(C1), key(C2)}
    assert v["initialDelay"] is False
    for c in (C1, C2):
        assert v["members"][key(c)]["awaitingJoin"] is False
        assert v["members"][key(c)]["isNew"] is False
    r1, r2 = v["toClient"][C1], v["toClient"][C2]
    assert (r1["api"], r1["error"], r1["gen"], r1["member"], r1["leader"]) == ("JoinGroup", "NONE", 1, 0, True)
    assert r1["members"] == {key(C1): sub(), key(C2): sub()}
    assert (r2["api"], r2["error"], r2["gen"], r2["member"], r2["leader"]) == ("JoinGroup", "NONE", 1, 0, False)
    assert r2["members"] == {}
    assert v["persisted"]["gen"] == 0              # nothing is written at join completion (§7.2)

    # 5. C2 SyncGroup(gen 1, []) -> parked. (A follower's SyncGroup goes with its JoinGroup
    #    response; the heartbeat thread is on: COMPLETING_REBALANCE.)
    v = sc.do("ReceiveJoinGroup", c=C2)
    assert (v["client"][C2], v["clientGen"][C2], v["isLeader"][C2]) == ("COMPLETING_REBALANCE", 1, None)
    req = v["toCoordinator"][C2]
    assert (req["api"], req["gen"], req["member"], req["assignment"]) == ("SyncGroup", 1, 0, {})
    v = sc.do("HandleSyncGroup", c=C2)
    assert v["members"][key(C2)]["awaitingSync"] is True
    assert v["pendingSync"] == {key(C1)}
    assert v["groupState"] == "CompletingRebalance"
    assert v["toClient"][C2] is None

    #    C1 (leader) runs the assignor (range, 2 partitions) and sends SyncGroup(gen 1, {m1:a1, m2:a2}).
    v = sc.do("ReceiveJoinGroup", c=C1)
    assert (v["client"][C1], v["clientGen"][C1], v["isLeader"][C1]) == ("COMPLETING_REBALANCE", 1, 0)
    assert v["toSync"][C1] == {key(C1): {0}, key(C2): {1}}
    v = sc.do("SendSyncGroup", c=C1)
    req = v["toCoordinator"][C1]
    assert (req["api"], req["gen"], req["member"]) == ("SyncGroup", 1, 0)
    assert req["assignment"] == {key(C1): {0}, key(C2): {1}}

    # 5-6. The leader's SyncGroup is parked and GroupMetadata(gen 1) is written; the append
    #    succeeds (same model step) -> assignments set, both SyncGroups answered, Stable.
    v = sc.do("HandleSyncGroup", c=C1)
    assert v["groupState"] == "Stable"
    assert persisted_without_subscriptions(v) == {"gen": 1, "leader": ref(C1), "members": {key(C1): {0}, key(C2): {1}}}
    assert_subscriptions_persisted(v)
    assert v["members"][key(C1)]["assignment"] == {0}
    assert v["members"][key(C2)]["assignment"] == {1}
    assert not any(mm["awaitingSync"] or mm["awaitingJoin"] for mm in v["members"].values())
    assert v["pendingSync"] == frozenset()
    for c, a in ((C1, {0}), (C2, {1})):
        assert (v["toClient"][c]["api"], v["toClient"][c]["error"]) == ("SyncGroup", "NONE")
        assert v["toClient"][c]["assignment"] == a

    # 6. Clients: STABLE, onJoinComplete takes the assignment.
    v = sc.run([S("ReceiveSyncGroup", c=C1), S("ReceiveSyncGroup", c=C2)])
    assert v["client"] == {C1: "STABLE", C2: "STABLE"}
    assert v["clientGen"] == {C1: 1, C2: 1}
    assert v["memberId"] == {C1: 0, C2: 0}
    assert v["owned"] == {C1: {0}, C2: {1}}
    assert v["toClient"] == {C1: None, C2: None} and v["toCoordinator"] == {C1: None, C2: None}
    assert sc.heartbeat_answer(C1) == "NONE" and sc.heartbeat_answer(C2) == "NONE"


# ---------------------------------------------------------------- A.2


def test_a2_follower_crash_in_stable():
    """A.2: follower C2 crashes in Stable gen g; its session expires; C1's heartbeat gets
    REBALANCE_IN_PROGRESS; C1 revokes (and commits), rejoins alone, leads gen g+1 and
    assigns every partition to itself."""
    sc = formed_group(OFFSET_RESET="earliest")
    g = 1
    # C1 is processing its partition before the crash (so onJoinPrepare has a commit to make).
    v = sc.run([S("FetchOffsets", c=C1), S("Consume", c=C1, p=0)])
    assert v["position"][C1] == {0: 1}

    # C2 crashes (Crash(c)); the coordinator does not know yet.
    v = sc.do("Crash", c=C2)
    assert v["alive"][C2] is False
    assert (v["groupState"], v["generation"]) == ("Stable", g)
    assert set(v["members"]) == {key(C1), key(C2)}

    # C2's session timer fires (no heartbeat) -> remove m2 -> Stable -> PreparingRebalance.
    v = sc.do("SessionExpires", m=ref(C2))
    assert v["groupState"] == "PreparingRebalance"
    assert v["generation"] == g                       # incremented only at join completion
    assert set(v["members"]) == {key(C1)}
    assert v["leader"] == ref(C1)
    assert v["members"][key(C1)]["awaitingJoin"] is False
    assert v["persisted"]["gen"] == g                 # nothing written at rebalance start (§7.2)
    assert v["timeouts"] == 0                         # model: the expiry of a dead consumer's member is no fault

    # C1's next heartbeat -> REBALANCE_IN_PROGRESS -> requestRejoin (client still STABLE).
    assert sc.heartbeat_answer(C1) == "REBALANCE_IN_PROGRESS"
    v = sc.do("SendHeartbeat", c=C1)
    assert v["rejoinNeeded"][C1] is True
    assert (v["client"][C1], v["clientGen"][C1], v["owned"][C1]) == ("STABLE", g, {0})

    # C1 poll -> onJoinPrepare, EAGER: commit (accepted in PreparingRebalance from gen g, §7.1)...
    v = sc.do("CommitOffsets", c=C1)
    req = v["toCoordinator"][C1]
    assert (req["api"], req["gen"], req["member"], req["offsets"]) == ("OffsetCommit", g, 0, {0: 1})
    v = sc.do("HandleOffsetCommit", c=C1)
    assert v["committed"] == {0: 1}
    assert v["memberId"][C1] == 0 and v["clientGen"][C1] == g
    # ... revoke all, JoinGroup(m1).
    v = sc.do("SendJoinGroup", c=C1)
    assert v["owned"][C1] == frozenset()
    assert v["client"][C1] == "PREPARING_REBALANCE"
    assert join_of(v["toCoordinator"][C1]) == join_request(0, sub((), g))

    # JoinGroup(m1) -> all (1) joined -> the join completes at once: nothing else may
    # happen at the coordinator in between.
    v = sc.do("HandleJoinGroup", c=C1)
    assert v["members"][key(C1)]["awaitingJoin"] is True
    assert sc.coordinator_steps() == {"CompleteJoin"}
    v = sc.do("CompleteJoin")
    assert (v["groupState"], v["generation"], v["leader"]) == ("CompletingRebalance", g + 1, ref(C1))
    assert set(v["members"]) == {key(C1)}
    assert v["pendingSync"] == {key(C1)}
    r = v["toClient"][C1]
    assert (r["api"], r["error"], r["gen"], r["leader"]) == ("JoinGroup", "NONE", g + 1, True)
    assert r["members"] == {key(C1): sub((), g)}

    # C1 is leader and assigns all partitions to itself -> Stable.
    v = sc.do("ReceiveJoinGroup", c=C1)
    assert v["toSync"][C1] == {key(C1): {0, 1}}
    v = sc.run([S("SendSyncGroup", c=C1), S("HandleSyncGroup", c=C1)])
    assert v["groupState"] == "Stable"
    assert persisted_without_subscriptions(v) == {"gen": g + 1, "leader": ref(C1), "members": {key(C1): {0, 1}}}
    assert_subscriptions_persisted(v)
    v = sc.do("ReceiveSyncGroup", c=C1)
    assert (v["client"][C1], v["clientGen"][C1], v["owned"][C1]) == ("STABLE", g + 1, {0, 1})
    # Newly assigned partitions start from the committed offset, else auto.offset.reset (§7.4).
    v = sc.do("FetchOffsets", c=C1)
    assert v["position"][C1] == {0: 1, 1: 0}


# ---------------------------------------------------------------- A.3


def _a3_slow_member_removed(faults=2):
    """A.3 up to gen g+1: C1 triggered a rebalance, C2 (stuck processing) never rejoined
    and was removed at the join timeout; C1 leads g+1 and owns C2's partition too."""
    # MAX_OFFSET 2: room to show the zombie still consuming after its reset.
    # Faults: the partition growth that makes C1 rejoin, and the join timeout cutting C2 out.
    sc = formed_group(OFFSET_RESET="earliest", MAX_OFFSET=2, FAULTS=faults)
    g = 1
    v = sc.do("FetchOffsets", c=C2)                  # C2 is processing partition 1
    assert v["position"][C2] == {1: 0}

    # C1 triggers a rebalance. (The reference does not say why; in the model the leader
    # rejoins when it notices a metadata change, §11; the spec counts the growth as a fault.)
    v = sc.run([S("GrowPartitions"), S("LeaderNoticesMetadataChange", c=C1),
                S("SendJoinGroup", c=C1), S("HandleJoinGroup", c=C1)])
    assert v["groupState"] == "PreparingRebalance"
    assert v["members"][key(C1)]["awaitingJoin"] and not v["members"][key(C2)]["awaitingJoin"]

    # C2's heartbeat thread learns of the rebalance, but C2 is stuck in processing and
    # does not poll, so it never sends its JoinGroup.
    assert sc.heartbeat_answer(C2) == "REBALANCE_IN_PROGRESS"
    v = sc.do("SendHeartbeat", c=C2)
    assert v["rejoinNeeded"][C2] is True and v["client"][C2] == "STABLE"

    # The join timeout (rebalance timeout) fires: CompleteJoin without C2 -> m2 removed.
    v = sc.do("CompleteJoin")
    assert (v["groupState"], v["generation"], v["leader"]) == ("CompletingRebalance", g + 1, ref(C1))
    assert set(v["members"]) == {key(C1)}
    assert v["timeouts"] == 1                         # model: the timer cut a live member out

    # gen g+1 hands C2's partition to C1.
    v = sc.run([S("ReceiveJoinGroup", c=C1), S("SendSyncGroup", c=C1), S("HandleSyncGroup", c=C1),
                S("ReceiveSyncGroup", c=C1)])
    assert v["groupState"] == "Stable" and v["persisted"]["gen"] == g + 1
    assert (v["client"][C1], v["clientGen"][C1]) == ("STABLE", g + 1)
    assert 1 in v["owned"][C1]
    # C2 does not know: it still owns partition 1 in gen g.
    assert (v["client"][C2], v["clientGen"][C2], v["memberId"][C2], v["owned"][C2]) == ("STABLE", g, 0, {1})
    # Two processors of partition 1 (S1 not guaranteed).
    v = sc.run([S("FetchOffsets", c=C1), S("Consume", c=C1, p=1), S("Consume", c=C2, p=1)])
    assert v["position"][C1][1] == 1 and v["position"][C2][1] == 1
    return sc, g


def test_a3_slow_member_zombie_commit_is_fenced():
    """A.3: the removed slow member keeps owning and processing its partition; its commit
    (gen g) is fenced with UNKNOWN_MEMBER_ID (CommitFailedException, reset); on its next
    poll it loses its partitions and rejoins as a new member."""
    sc, g = _a3_slow_member_removed()

    # C2's next commit (gen g) -> UNKNOWN_MEMBER_ID -> CommitFailedException: generation
    # and member id reset, UNJOINED, rejoin needed; nothing committed.
    v = sc.do("CommitOffsets", c=C2)
    req = v["toCoordinator"][C2]
    assert (req["api"], req["gen"], req["member"], req["offsets"]) == ("OffsetCommit", g, 0, {1: 1})
    v = sc.do("HandleOffsetCommit", c=C2)
    assert v["committed"] == {}
    assert (v["memberId"][C2], v["clientGen"][C2], v["client"][C2]) == (None, -1, "UNJOINED")
    assert v["rejoinNeeded"][C2] is True and v["waiting"][C2] is None
    # Partitions stay until the next poll: the zombie still processes them (§5.2).
    assert v["owned"][C2] == {1}
    assert sc.can("Consume", c=C2, p=1)
    v = sc.do("Consume", c=C2, p=1)
    assert v["position"][C2][1] == 2

    # C2's next poll -> onPartitionsLost -> rejoin as a new member (a fresh member id).
    v = sc.do("SendJoinGroup", c=C2)
    assert v["owned"][C2] == frozenset() and v["position"][C2] == {}
    assert join_of(v["toCoordinator"][C2]) == join_request(None, sub())
    v = sc.do("HandleJoinGroup", c=C2)
    assert (v["toClient"][C2]["error"], v["toClient"][C2]["member"]) == ("MEMBER_ID_REQUIRED", 1)
    assert v["pending"] == {key(C2, 1)}
    # the new id takes a place after C1's (Kafka's random ids: the other place is the same
    # scenario with the partitions dealt the other way)
    v = sc.run([S("ReceiveJoinGroup", c=C2), S("HandleJoinGroup", c=C2, **{"addMember.placeId.i": 1})])
    assert v["memberId"][C2] == 1
    assert v["groupState"] == "PreparingRebalance"
    assert set(v["members"]) == {key(C1), key(C2, 1)}
    assert v["members"][key(C2, 1)]["isNew"] is True


def test_a3_slow_member_heartbeat_reset_first():
    """A.3, the other order: C2's heartbeat thread gets UNKNOWN_MEMBER_ID first and resets;
    C2 still owns and processes its partition until its next poll, and cannot commit
    (the commit fails locally: not STABLE, §5.2)."""
    sc, g = _a3_slow_member_removed()
    assert sc.heartbeat_answer(C2) == "UNKNOWN_MEMBER_ID"
    v = sc.do("SendHeartbeat", c=C2)
    assert (v["memberId"][C2], v["clientGen"][C2], v["client"][C2]) == (None, -1, "UNJOINED")
    assert v["rejoinNeeded"][C2] is True
    assert v["owned"][C2] == {1}
    assert sc.can("Consume", c=C2, p=1)
    assert not sc.can("CommitOffsets", c=C2)
    v = sc.do("SendJoinGroup", c=C2)                  # next poll: partitions lost, new member
    assert v["owned"][C2] == frozenset()
    assert join_of(v["toCoordinator"][C2]) == join_request(None, sub())


def test_a3_slow_member_poll_timeout_leaves():
    """A.3: "in practice C2's own poll timer (max.poll.interval.ms = rebalance timeout)
    makes it send LeaveGroup at about the same time": PollTimeout (one fault more) sends
    LeaveGroup for m2, which the coordinator no
    longer knows, and resets C2; the partitions are lost on its next poll (§5.2)."""
    sc, g = _a3_slow_member_removed(faults=3)
    v = sc.do("PollTimeout", c=C2)
    req = v["toCoordinator"][C2]
    assert (req["api"], req["member"], req["gen"]) == ("LeaveGroup", 0, g)
    assert (v["memberId"][C2], v["clientGen"][C2], v["client"][C2]) == (None, -1, "UNJOINED")
    assert v["owned"][C2] == {1}
    before = sc.v
    v = sc.do("HandleLeaveGroup", c=C2)               # m2 is already gone: nothing to remove
    assert v["toCoordinator"][C2] is None
    for var in ("groupState", "generation", "leader", "members", "pending", "pendingSync", "persisted"):
        assert v[var] == before[var], var
    assert not sc.can("CommitOffsets", c=C2)
    v = sc.do("SendJoinGroup", c=C2)
    assert v["owned"][C2] == frozenset()
    assert join_of(v["toCoordinator"][C2]) == join_request(None, sub())


# ---------------------------------------------------------------- A.4


def _a4_leader_never_syncs(unsynced_follower=False):
    """Three consumers, CompletingRebalance gen 1: C1 leads, C2 (and C3 unless
    `unsynced_follower`) have their SyncGroups parked; C1 never sends SyncGroup."""
    sc = Scenario(model(CONSUMERS=3))
    for c in (C1, C2, C3):
        sc.run([S("SendJoinGroup", c=c), S("HandleJoinGroup", c=c),
                S("ReceiveJoinGroup", c=c), S("HandleJoinGroup", c=c)])
    sc.do("CompleteJoin")
    sc.run([S("ReceiveJoinGroup", c=C2), S("HandleSyncGroup", c=C2)])
    if not unsynced_follower:
        sc.run([S("ReceiveJoinGroup", c=C3), S("HandleSyncGroup", c=C3)])
    v = sc.do("ReceiveJoinGroup", c=C1)
    assert (v["groupState"], v["generation"], v["leader"]) == ("CompletingRebalance", 1, ref(C1))
    assert (v["client"][C1], v["isLeader"][C1]) == ("COMPLETING_REBALANCE", 0)
    return sc


def test_a4_leader_never_syncs():
    """A.4: the leader heartbeats (NONE) but never syncs; the pending-sync timeout removes
    it; the parked followers get REBALANCE_IN_PROGRESS and rejoin; a new leader is
    elected (an arbitrary rejoined member) at join completion."""
    sc = _a4_leader_never_syncs()
    v = sc.v
    assert v["members"][key(C2)]["awaitingSync"] and v["members"][key(C3)]["awaitingSync"]
    assert v["pendingSync"] == {key(C1)}

    # The leader heartbeats: NONE in CompletingRebalance (KAFKA-10134), nothing changes.
    assert sc.heartbeat_answer(C1) == "NONE"
    before = sc.state
    sc.do("SendHeartbeat", c=C1)
    assert sc.state == before
    # (the session timer cannot remove the parked followers, §2)
    assert sc.choices("SessionExpires") == [{"m": ref(C1)}]

    # Rebalance timeout: DelayedSync / expirePendingSync (model: PendingSyncExpires)
    # removes the leader -> PreparingRebalance; the parked SyncGroups get REBALANCE_IN_PROGRESS.
    v = sc.do("PendingSyncExpires")
    assert v["groupState"] == "PreparingRebalance"
    assert v["generation"] == 1
    assert set(v["members"]) == {key(C2), key(C3)}
    assert v["leader"] is None                        # re-elected at join completion (§3.4)
    assert v["pendingSync"] == frozenset()
    for c in (C2, C3):
        assert v["members"][key(c)]["awaitingSync"] is False
        assert v["members"][key(c)]["assignment"] == frozenset()
        assert (v["toClient"][c]["api"], v["toClient"][c]["error"]) == ("SyncGroup", "REBALANCE_IN_PROGRESS")
    assert v["persisted"]["gen"] == 0                 # generation 1 was never written

    # The removed leader learns it from its next heartbeat (UNKNOWN_MEMBER_ID, §5.2).
    assert sc.heartbeat_answer(C1) == "UNKNOWN_MEMBER_ID"
    v = sc.do("SendHeartbeat", c=C1)
    assert (v["memberId"][C1], v["clientGen"][C1], v["client"][C1]) == (None, -1, "UNJOINED")

    # The followers rejoin at once; the generation is NOT reset (§4.3).
    for c in (C2, C3):
        v = sc.do("ReceiveSyncGroup", c=c)
        assert (v["client"][c], v["clientGen"][c], v["memberId"][c]) == ("PREPARING_REBALANCE", 1, 0)
        assert join_of(v["toCoordinator"][c]) == join_request(0, sub((), 1))
    v = sc.run([S("HandleJoinGroup", c=C2), S("HandleJoinGroup", c=C3)])
    assert all(v["members"][key(c)]["awaitingJoin"] for c in (C2, C3))
    assert sc.coordinator_steps() == {"CompleteJoin"}

    # Join completion elects an arbitrary rejoined member: both choices are possible.
    assert sorted((p["m"]["consumer"] for p in sc.choices("CompleteJoin")), key=str) == [C2, C3]
    v = sc.do("CompleteJoin", m=ref(C3))
    assert (v["groupState"], v["generation"], v["leader"]) == ("CompletingRebalance", 2, ref(C3))
    assert v["pendingSync"] == {key(C2), key(C3)}
    assert v["toClient"][C3]["leader"] is True and v["toClient"][C2]["leader"] is False
    assert v["toClient"][C3]["members"] == {key(C2): sub((), 1), key(C3): sub((), 1)}
    v = sc.run([S("ReceiveJoinGroup", c=C2), S("HandleSyncGroup", c=C2),
                S("ReceiveJoinGroup", c=C3), S("SendSyncGroup", c=C3), S("HandleSyncGroup", c=C3),
                S("ReceiveSyncGroup", c=C2), S("ReceiveSyncGroup", c=C3)])
    assert v["groupState"] == "Stable"
    assert persisted_without_subscriptions(v) == {"gen": 2, "leader": ref(C3), "members": {key(C2): {0}, key(C3): {1}}}
    assert_subscriptions_persisted(v)
    assert v["client"][C2] == v["client"][C3] == "STABLE"
    assert v["owned"] == {C1: frozenset(), C2: {0}, C3: {1}}


def test_a4_pending_sync_expiry_also_removes_unsynced_followers():
    """A.4: "removes the leader (and any other non-synced member)": C3's JoinGroup
    response is still in flight when the timer fires, so C3 is removed too; its
    SyncGroup then gets UNKNOWN_MEMBER_ID and it rejoins as a new member (§4.3)."""
    sc = _a4_leader_never_syncs(unsynced_follower=True)
    assert sc.v["pendingSync"] == {key(C1), key(C3)}
    v = sc.do("PendingSyncExpires")
    assert set(v["members"]) == {key(C2)}
    assert v["groupState"] == "PreparingRebalance"
    assert v["toClient"][C2]["error"] == "REBALANCE_IN_PROGRESS"
    v = sc.run([S("ReceiveJoinGroup", c=C3), S("HandleSyncGroup", c=C3)])
    assert (v["toClient"][C3]["api"], v["toClient"][C3]["error"]) == ("SyncGroup", "UNKNOWN_MEMBER_ID")
    v = sc.do("ReceiveSyncGroup", c=C3)
    assert (v["memberId"][C3], v["clientGen"][C3]) == (None, -1)
    assert join_of(v["toCoordinator"][C3]) == join_request(None, sub())


# ---------------------------------------------------------------- A.5


def _a5_failover_in_completing_rebalance():
    """Stable gen g=1 (A.1); a rebalance to g+1 reaches CompletingRebalance (C2's SyncGroup
    parked, C1 has its leader JoinGroup response); then the coordinator fails over."""
    # Faults: the partition growth that makes the leader rejoin (§11), and the failover.
    sc = formed_group(FAULTS=2)
    g = 1
    sc.run([S("GrowPartitions"), S("LeaderNoticesMetadataChange", c=C1),
            S("SendJoinGroup", c=C1), S("HandleJoinGroup", c=C1),
            S("SendHeartbeat", c=C2),                  # REBALANCE_IN_PROGRESS -> rejoin
            S("SendJoinGroup", c=C2), S("HandleJoinGroup", c=C2),
            S("CompleteJoin"),
            S("ReceiveJoinGroup", c=C2), S("HandleSyncGroup", c=C2),
            S("ReceiveJoinGroup", c=C1)])
    v = sc.v
    assert (v["groupState"], v["generation"], v["persisted"]["gen"]) == ("CompletingRebalance", g + 1, g)
    assert v["clientGen"] == {C1: g + 1, C2: g + 1}
    assert v["members"][key(C2)]["awaitingSync"] is True

    # CoordinatorFailover: the new coordinator loads gen g Stable with the gen-g assignments;
    # the in-flight rebalance is lost; the old coordinator's parked SyncGroup is answered
    # NOT_COORDINATOR (§8.2).
    v = sc.do("CoordinatorFailover")
    assert (v["groupState"], v["generation"], v["leader"]) == ("Stable", g, ref(C1))
    assert (v["loading"], v["epoch"]) == (True, 1)
    assert {k: mm["assignment"] for k, mm in v["members"].items()} == {key(C1): {0}, key(C2): {1}}
    assert not any(mm["awaitingJoin"] or mm["awaitingSync"] for mm in v["members"].values())
    assert v["pending"] == frozenset() and v["pendingSync"] == frozenset()
    assert v["persisted"]["gen"] == g
    assert (v["toClient"][C2]["api"], v["toClient"][C2]["error"]) == ("SyncGroup", "NOT_COORDINATOR")
    assert v["toCoordinator"] == {C1: None, C2: None}
    v = sc.do("ReceiveSyncGroup", c=C2)               # C2: find the coordinator, rejoin
    assert (v["coordinator"][C2], v["rejoinNeeded"][C2], v["memberId"][C2]) == (None, True, 0)

    # C1 (still COMPLETING_REBALANCE in g+1, its assignment computed) learns the coordinator
    # moved (model: a heartbeat to the old one -> NOT_COORDINATOR) and finds the new one.
    assert sc.heartbeat_answer(C1) == "NOT_COORDINATOR"
    v = sc.run([S("SendHeartbeat", c=C1), S("FindCoordinator", c=C1)])
    assert v["coordinator"][C1] == 1
    assert (v["client"][C1], v["clientGen"][C1], v["memberId"][C1]) == ("COMPLETING_REBALANCE", g + 1, 0)
    # While loading, the heartbeat is answered NONE "blindly" (§5.1).
    assert sc.heartbeat_answer(C1) == "NONE"
    before = sc.state
    sc.do("SendHeartbeat", c=C1)
    assert sc.state == before
    return sc, g


def test_a5_leader_told_not_coordinator_rejoins_instead_of_syncing():
    """A.5 as Kafka's Java client does it: the leader's SyncGroup(g+1) went to the old
    coordinator with its JoinGroup response (AbstractCoordinator.JoinGroupResponseHandler
    sends it under the coordinator lock), so once a heartbeat says NOT_COORDINATOR the
    leader never syncs g+1 anywhere: it rejoins (the client oracle, checker/oracle/client.py,
    found the spec sending that SyncGroup to the new coordinator, which Kafka 4.3.1 never does;
    docs/kafka-findings.md)."""
    sc, g = _a5_failover_in_completing_rebalance()
    v = sc.v
    assert v["rejoinNeeded"][C1] is True
    assert not sc.can("SendSyncGroup", c=C1)
    v = sc.do("SendJoinGroup", c=C1)
    assert (v["client"][C1], v["clientGen"][C1], v["memberId"][C1]) == ("PREPARING_REBALANCE", g + 1, 0)
    assert join_of(v["toCoordinator"][C1]) == join_request(0, sub((), g + 1), epoch=1)
    # While the new coordinator loads, a JoinGroup is answered COORDINATOR_LOAD_IN_PROGRESS,
    # or NOT_COORDINATOR before the broker has taken the partition on (K1, K3: Kafka 4.3.1
    # on a 3-node cluster, docs/kafka-findings.md); here the JoinGroup waits for the load.
    assert v["loading"] is True
    answers = {sc.m.plain(t)["toClient"][C1]["error"] for a, p, t in sc.m.steps(sc.state)
               if a == "HandleJoinGroup" and p.get("c") == C1}
    assert answers == {"COORDINATOR_LOAD_IN_PROGRESS", "NOT_COORDINATOR"}
    # Once loaded, the leader's JoinGroup moves the group Stable -> PreparingRebalance.
    v = sc.run([S("LoadCompletes"), S("HandleJoinGroup", c=C1)])
    assert (v["groupState"], v["generation"]) == ("PreparingRebalance", g)


def test_a5_heartbeat_after_load_illegal_generation_and_generation_reuse():
    """A.5: Heartbeat(g+1) after the load -> ILLEGAL_GENERATION -> generation reset to -1,
    member id kept; the leader's rejoin moves the group Stable -> PreparingRebalance and
    a new generation g+1 is formed: the number g+1 is reused."""
    sc, g = _a5_failover_in_completing_rebalance()
    sc.do("LoadCompletes")
    assert sc.heartbeat_answer(C1) == "ILLEGAL_GENERATION"
    v = sc.do("SendHeartbeat", c=C1)
    assert (v["clientGen"][C1], v["memberId"][C1], v["client"][C1]) == (-1, 0, "UNJOINED")
    assert v["rejoinNeeded"][C1] is True

    # The leader rejoins with its kept member id: Stable -> PreparingRebalance.
    v = sc.do("SendJoinGroup", c=C1)
    assert join_of(v["toCoordinator"][C1]) == join_request(0, sub(), epoch=1)
    v = sc.do("HandleJoinGroup", c=C1)
    assert (v["groupState"], v["generation"]) == ("PreparingRebalance", g)
    assert v["members"][key(C1)]["awaitingJoin"] is True
    # C2 (told NOT_COORDINATOR) finds the new coordinator and rejoins with its member id;
    # its metadata differs from the stored one, which makes no difference in PreparingRebalance.
    v = sc.run([S("FindCoordinator", c=C2), S("SendJoinGroup", c=C2)])
    assert join_of(v["toCoordinator"][C2]) == join_request(0, sub((), g + 1), epoch=1)
    v = sc.run([S("HandleJoinGroup", c=C2), S("CompleteJoin")])
    # Generation g+1 again, on the new coordinator.
    assert (v["groupState"], v["generation"], v["leader"]) == ("CompletingRebalance", g + 1, ref(C1))
    assert set(v["members"]) == {key(C1), key(C2)}
    assert v["toClient"][C1]["gen"] == v["toClient"][C2]["gen"] == g + 1
    v = sc.run([S("ReceiveJoinGroup", c=C2), S("HandleSyncGroup", c=C2),
                S("ReceiveJoinGroup", c=C1), S("SendSyncGroup", c=C1), S("HandleSyncGroup", c=C1),
                S("ReceiveSyncGroup", c=C1), S("ReceiveSyncGroup", c=C2)])
    assert v["groupState"] == "Stable"
    assert persisted_without_subscriptions(v) == {"gen": g + 1, "leader": ref(C1), "members": {key(C1): {0, 1}, key(C2): {2}}}
    assert_subscriptions_persisted(v)
    assert v["clientGen"] == {C1: g + 1, C2: g + 1}
    assert v["owned"] == {C1: {0, 1}, C2: {2}}
