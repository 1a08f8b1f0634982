"""Recorded events -> observations of spec/group.gdsl: steps it must take, states it must be in.

Each observation is a list of patterns, matched in order by the search, with
unobserved internal steps allowed before each. A pattern names the action that
explains the event and checks the step (pre- and post-state, as plain values);
identities are matched through a mapping the search extends as it goes: client id
to spec consumer (by order of joining), Kafka member id to incarnation and Kafka
generation to spec generation (by first appearance; one-to-one, generations in order).

What is observed: JoinGroup and SyncGroup responses (with error, generation,
leadership and assignment), heartbeat errors, commits (request and result),
committed offsets read back (a state check), close (LeaveGroup), the poll timeout
and the topic's growth. Everything else is internal: the coordinator's steps,
requests being sent, successful heartbeats, records being consumed. docs/conformance.md
explains each choice.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Spec actions a recording never shows: they may happen between observations.
INTERNAL = {"HandleJoinGroup", "CompleteJoin", "HandleSyncGroup", "HandleLeaveGroup", "SessionExpires",
            "PendingMemberExpires", "PendingSyncExpires", "LoadCompletes", "FindCoordinator",
            "SendJoinGroup", "SendSyncGroup", "LeaderNoticesMetadataChange", "Consume", "FetchOffsets",
            # when the new leader of __consumer_offsets takes the group over is not observed; the
            # recording's FAILOVERS (the failovers its script injected) bounds how often
            "CoordinatorFailover"}
# JoinGroup responses the recording cannot show: librdkafka's mock coordinator gives a member id
# in the first JoinGroup response (no KIP-394 MEMBER_ID_REQUIRED round; docs/conformance.md).
UNSEEN_JOIN_ERRORS = {"MEMBER_ID_REQUIRED"}
# What a consumer meets when its coordinator's broker dies: the spec answers a request sent to
# or parked at the old coordinator NOT_COORDINATOR (CoordinatorFailover); the real client sees
# its connection break (a DisconnectException, which the Java client handles as
# NOT_COORDINATOR: markCoordinatorUnknown), and no broker logs an answer it never sent. So on
# Apache Kafka these steps are unobserved; they exist only after a failover the script injected.
UNSEEN_WITH_THE_COORDINATOR = {"ReceiveJoinGroup", "ReceiveSyncGroup", "SendHeartbeat"}
# Events that are evidence only: their protocol effect is observed through another event.
EVIDENCE = {"request", "maxpoll_log", "leave_log", "assign", "revoke", "lost", "broker_down", "broker_up",
            "failover", "assignor"}


@dataclass
class Maps:
    """Kafka identities -> spec ones, extended as they first appear (immutable, hashable)."""
    gens: frozenset = frozenset()          # (kafka generation, spec generation)
    members: frozenset = frozenset()       # (spec consumer, kafka member id, spec incarnation)

    def __hash__(self):
        return hash((self.gens, self.members))

    def with_gen(self, real: int, spec: int):
        for g, s in self.gens:
            if (g == real) != (s == spec) or (g < real) != (s < spec):
                return None
        return self if (real, spec) in self.gens else Maps(self.gens | {(real, spec)}, self.members)

    def with_member(self, consumer: str, real: str, inc: int):
        for c, m, i in self.members:
            if c == consumer and (m == real) != (i == inc):
                return None
        entry = (consumer, real, inc)
        return self if entry in self.members else Maps(self.gens, self.members | {entry})


@dataclass
class Pattern:
    """One spec step (or, with action None, a check of the state) that explains an event."""
    action: str | None
    consumer: str | None
    check: object                       # (pre, post, maps) -> Maps or None; post is None for a state check
    stutter: object = None              # (pre, maps) -> bool: the event needs no spec step here
    text: str = ""
    also: tuple = ()                    # other actions the same check explains


@dataclass
class Observation:
    event: dict
    patterns: list = field(default_factory=list)
    text: str = ""
    starts: str | None = None           # the consumer this event starts (it may join from now on)


def observations(meta: dict, events: list, heartbeat_error, label: dict) -> list:
    """The observations of a recording, in order. `heartbeat_error(consumer, state)` is the
    spec's own heartbeatError function; `label` maps client ids to spec consumers."""
    partitions = meta["partitions"]
    out = []
    for e in events:
        kind = e["kind"]
        c = label.get(e.get("consumer"))
        if kind in EVIDENCE:
            continue
        if kind == "join":
            out.append(Observation(e, [], f"{e['consumer']} subscribes", starts=c))
        elif kind == "join_response":
            out.append(Observation(e, [_join_response(c, e)], _describe(e)))
        elif kind == "sync_response":
            out.append(Observation(e, [_sync_response(c, e)], _describe(e)))
        elif kind == "heartbeat_error":
            def hb(pre, post, maps, c=c, err=e["error"]):
                return maps if heartbeat_error(c, pre) == err else None
            # LateHeartbeatAnswer: the same answer, read after the client sent a JoinGroup
            out.append(Observation(e, [Pattern("SendHeartbeat", c, hb, _ignored_heartbeat(c, e),
                                               text=f"a heartbeat answered {e['error']}",
                                               also=("LateHeartbeatAnswer",))], _describe(e)))
        elif kind == "commit":
            if e["error"] == "NO_OFFSET":           # nothing to commit: no request was sent
                continue
            out.append(Observation(e, _commit(c, e), _describe(e)))
        elif kind == "fetch":
            want = {int(p): o for p, o in e["offsets"].items()}
            out.append(Observation(e, [Pattern(None, c, lambda pre, post, maps, w=want:
                                               maps if pre["committed"] == w else None,
                                               text=f"committed offsets {want}")], _describe(e)))
        elif kind == "close":
            out.append(Observation(e, [Pattern("CloseConsumer", c, _any, text="close")], _describe(e)))
        elif kind == "crash":
            out.append(Observation(e, [Pattern("Crash", c, _any, text="the process is killed")], _describe(e)))
        elif kind == "restart":
            out.append(Observation(e, [Pattern("Restart", c, _any, text="a new process starts")], _describe(e)))
        elif kind == "poll_timeout":
            out.append(Observation(e, [Pattern("PollTimeout", c, _any, text="poll timeout")], _describe(e)))
        elif kind == "grow":
            grow = [Pattern("GrowPartitions", None, _any, text="the topic grows by a partition")
                    for _ in range(e["partitions"] - partitions)]
            partitions = e["partitions"]
            out.append(Observation(e, grow, _describe(e)))
    return out


def _ignored_heartbeat(c, e):
    """A heartbeat answer the broker's request log shows but the client ignored: the Java
    heartbeat thread also beats while a JoinGroup or SyncGroup is in flight (the spec's
    consumer has one request at a time), and AbstractCoordinator.HeartbeatResponseHandler
    ignores REBALANCE_IN_PROGRESS unless the member is STABLE ("Ignoring heartbeat response
    with error ... during ... state"). A client's own log (librdkafka on the mock) shows only
    what it acted on, so only broker-side events (they name their broker) may be ignored."""
    if "broker" not in e or e["error"] != "REBALANCE_IN_PROGRESS":
        return None
    return lambda pre, maps: pre["waiting"][c] in ("JoinGroup", "SyncGroup")


def _any(pre, post, maps):
    return maps


def _join_response(c, e):
    def check(pre, post, maps):
        r = pre["toClient"][c]
        if r["error"] != e["error"]:
            return None
        if e["error"] != "NONE":
            return maps
        if r["leader"] != e["leader"]:
            return None
        maps = maps.with_gen(e["generation"], r["gen"])
        return maps and maps.with_member(c, e["member"], r["member"])
    return Pattern("ReceiveJoinGroup", c, check, text=f"a JoinGroup response {e['error']}"
                   + (f", generation {e['generation']}, {'leader' if e['leader'] else 'follower'}"
                      if e["error"] == "NONE" else ""))


def _sync_response(c, e):
    def check(pre, post, maps):
        r = pre["toClient"][c]
        if r["error"] != e["error"]:
            return None
        return maps if e["error"] != "NONE" or r["assignment"] == frozenset(e["assignment"]) else None
    return Pattern("ReceiveSyncGroup", c, check, text=f"a SyncGroup response {e['error']}"
                   + (f" assigning {sorted(e['assignment'])}" if e["error"] == "NONE" else ""))


def _commit(c, e):
    """A commit is its request and its result. A commit that changes no committed offset
    is a no-op the spec does not model (CommitOffsets): it stutters."""
    offsets = {int(p): o for p, o in e["offsets"].items()}

    def unchanged(pre, maps):
        return e["error"] == "NONE" and all(pre["committed"].get(p) == o for p, o in offsets.items()) \
            and pre["waiting"][c] != "OffsetCommit"

    def request(pre, post, maps):
        # The spec commits every position it has; librdkafka only those it knows from
        # consuming: the others must be re-commits of the committed offset (no change).
        r = post["toCoordinator"][c]
        if r is None or any(r["offsets"].get(p) != o for p, o in offsets.items()):
            return None
        extra = {p: o for p, o in r["offsets"].items() if p not in offsets}
        return maps if all(pre["committed"].get(p) == o for p, o in extra.items()) else None

    def result(pre, post, maps):
        if e["error"] == "NONE":
            return maps if all(post["committed"].get(p) == o for p, o in offsets.items()) else None
        if post["committed"] != pre["committed"]:
            return None
        reaction = {"REBALANCE_IN_PROGRESS": post["rejoinNeeded"][c],
                    "ILLEGAL_GENERATION": post["clientGen"][c] == -1,
                    "UNKNOWN_MEMBER_ID": post["memberId"][c] is None}
        return maps if reaction.get(e["error"], False) else None
    return [Pattern("CommitOffsets", c, request, unchanged, text=f"an OffsetCommit of {offsets}"),
            Pattern("HandleOffsetCommit", c, result, unchanged, text=f"the OffsetCommit answered {e['error']}")]


def _describe(e) -> str:
    fields = {k: v for k, v in e.items() if k not in ("t", "kind", "consumer", "line", "log", "leader_id")}
    who = f"{e['consumer']}: " if "consumer" in e else ""
    return f"{who}{e['kind']} " + ", ".join(f"{k}={v}" for k, v in fields.items())


# Discrepancies whose cause is known: librdkafka's mock coordinator departs from Apache
# Kafka there (docs/conformance.md has the evidence and the reference's sections).
KNOWN_MOCK_DIFFERENCES = {
    ("sync_response", "INVALID_REQUEST"):
        "the mock completes the sync phase on the leader's SyncGroup and answers a follower's "
        "SyncGroup that arrives after it INVALID_REQUEST; Kafka answers it with the stored "
        "assignment in Stable (reference §4.1)",
}


def known_difference(event: dict) -> str | None:
    """Why a discrepancy at this event is the mock's, if it is one we know."""
    return KNOWN_MOCK_DIFFERENCES.get((event["kind"], event.get("error")))
