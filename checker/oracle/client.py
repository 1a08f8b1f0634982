"""Kafka's own consumer coordinator as the oracle for the spec's client actions.

Model-based testing: behaviours of spec/group.gdsl are run step by step, the spec's
coordinator actions producing the responses, and every consumer of the spec is
mirrored by one instance of Apache Kafka's classic ConsumerCoordinator (the client
harness, harness/client, on Kafka's MockClient). When the spec's consumer sends a
request, Kafka's consumer must have the same request in flight (API, coordinator,
member id, generation, the JoinGroup's owned partitions and their generation, the
leader's assignment, the committed offsets); when the spec's consumer takes a
response, the same response is delivered to Kafka's consumer and the two clients are
compared through one abstraction (member state, generation, member id, leadership,
whether a new JoinGroup is due, owned partitions, the coordinator known, and the
rebalance listener's revoked / lost calls).

Kafka is coarser than the spec in places, never demanded in lockstep:
 * one poll() may send a request the spec sends in a later step (the leader's
   SyncGroup, chained to its JoinGroup response; the follow-up JoinGroup of an
   incremental rebalance, chained to onJoinComplete). Such a request is held as
   "ahead": the spec's later send step must match it, and the spec's client steps in
   between are allowed (heartbeats while the leader syncs: Kafka's heartbeat thread
   does them) or, when Kafka could not take them (its one join future is pending),
   end the behaviour as *not executable* (counted, with the reason), never as a
   divergence;
 * a step Kafka's client takes in several polls (a poll that only settles a failed
   round, then the one that rejoins) is driven by up to three polls.

Where Kafka chooses: the spec's assignors are functions of the members' subscriptions
in member-id order, and Kafka's member ids are random, so the spec places each new id
anywhere in its idOrder; the driver names member ids so that their strings sort as the
spec's idOrder (ClientDriver.name_ids), so the leader's assignment must equal the
spec's SyncGroup request, whatever order the behaviour drew.

Exhaustive mode runs every transition of the spec's state graph within a depth (each
as a shortest prefix replayed into a reset harness, then the transition); random mode
runs seeded random walks. Coverage counts, per spec client action and client state,
the steps Kafka was driven by; `unreached` lists the cells the spec reaches (within
the depth, or on the walks) that no executed step reached.

Not driven: positions and the fetcher (Consume has no counterpart; FetchOffsets is
driven only when its answer is NOT_COORDINATOR, which Kafka's OffsetFetch handler
turns into markCoordinatorUnknown; the spec's offsets are handed to Kafka's
commitOffsetsAsync), auto-commit (AUTO_COMMIT) and static membership (STATIC): the
driver refuses those configurations.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
import random
import time

from checker.engine.outcome import Step
from checker.traces.itf import write_trace

from .choices import kafka_chooses
from .jvm import Harness

MODULE = "client"
MAIN_CLASS = "io.gdsl.harness.ClientHarness"
JVM_ARGS = ("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
TIMEOUT_MS = (300000, 600000)          # TimeoutConfig 0 and 1 as max.poll.interval.ms
EXIT_OK, EXIT_DIVERGED = 0, 14

# The spec's consumer actions, and those of its coordinator that answer a consumer
# at once (HandleOffsetCommit) or change what Kafka's consumers see (failover, growth).
CLIENT_ACTIONS = ("FindCoordinator", "SendJoinGroup", "ReceiveJoinGroup", "SendSyncGroup",
                  "ReceiveSyncGroup", "SendHeartbeat", "CommitOffsets", "HandleOffsetCommit",
                  "FetchOffsets", "Consume", "LeaderNoticesMetadataChange", "PollTimeout",
                  "CloseConsumer", "Crash", "Restart")
NOT_DRIVEN = ("Consume",)     # no Kafka counterpart in the harness (no fetcher)


@dataclass
class Divergence:
    behaviour: int
    step: int                  # index of the spec step (1 = the first step after the initial state)
    action: str                # e.g. "ReceiveJoinGroup(c=Consumer1)"
    message: str
    kafka: object              # Kafka's request or client abstraction
    spec: object               # the spec's
    trace: str | None = None   # ITF trace of the spec's behaviour up to and including the step
    repeats: int = 1           # behaviours that diverged the same way

    def signature(self):
        return (self.action.split("(")[0], self.message.split(":")[0])


@dataclass
class OracleResult:
    kafka_version: str
    mode: str                  # "exhaustive" or "random"
    behaviours: int
    steps: int                 # spec steps executed against Kafka
    elapsed: float
    divergences: list
    coverage: dict             # "Action @ CLIENT_STATE" -> times executed against Kafka
    unreached: list            # cells the spec reaches (within the depth) that no behaviour reached
    not_executable: dict       # reason -> behaviours cut short where Kafka could not follow
    answers: dict = None       # "API ERROR" -> responses delivered to Kafka's consumers
    transitions: int = 0       # exhaustive: spec transitions within the depth
    transitions_executed: int = 0
    depth: int | None = None
    runs: int | None = None
    seed: int | None = None
    exit_code: int = 0
    harness: str = "client"

    @property
    def steps_per_second(self):
        return self.steps / self.elapsed if self.elapsed else 0.0

    def to_json(self):
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["divergences"] = [dict(x.__dict__) for x in self.divergences]
        d["steps_per_second"] = round(self.steps_per_second, 1)
        return d


class Diverged(Exception):
    def __init__(self, message, kafka, spec):
        super().__init__(message)
        self.message, self.kafka, self.spec = message, kafka, spec


class NotExecutable(Exception):
    """The spec took a step Kafka's client cannot take from where it is (see the module doc)."""


# ---------------------------------------------------------------- plain-value helpers

def _rec(x):
    """A record that became a (field, value) tuple as a map key, back to a dict."""
    return dict(x) if isinstance(x, tuple) else x


def _parts(s):
    return sorted(s)


class ClientDriver:
    """One harness, mirroring the consumers of one spec behaviour."""

    def __init__(self, model, harness):
        self.model, self.h = model, harness
        self.consumers = sorted(model.plain(model.init_states()[0])["client"])
        self.index = {c: i for i, c in enumerate(self.consumers)}
        self.assignor = model.constant_text("ASSIGNOR")
        self.const = model.constants
        if self.const.get("STATIC") or self.const.get("AUTO_COMMIT"):
            raise ValueError("the client oracle drives dynamic members without auto-commit "
                             "(STATIC and AUTO_COMMIT are not driven)")
        self.heartbeat_error = model.function("heartbeatError")
        self.kafka_version = None
        self.events = {}
        self.delivered = []

    def mid(self, c, inc):
        if inc is None:
            return ""
        name = self.names.get((c, inc))
        if name is None:
            raise ValueError(f"member id {c}#{inc} used before the spec issued it")
        return name

    def name_ids(self, states):
        """Name the spec's member ids, for a whole behaviour, so that the names sort as its
        idOrder does in every state: Kafka's assignors sort members by id string
        (MemberInfo.compareTo) and Kafka's ids are random, so the spec gives each id any
        place, when it joins the group (after its MEMBER_ID_REQUIRED), after the consumer already
        holds it. The places, merged over the behaviour, are one order; an id never
        placed goes last. Names are the rank (fixed width) then c<consumer>-m<incarnation>."""
        after = {}                     # id -> the ids placed right before it somewhere
        for st in states:
            order = [(_rec(m)["consumer"], _rec(m)["inc"]) for m in st["idOrder"]]
            for i, key in enumerate(order):
                after.setdefault(key, set()).update(order[i - 1:i])
        issued = [(c, inc) for c, n in states[-1]["idsIssued"].items() for inc in range(n)]
        ranked = list(TopologicalSorter(after).static_order()) + [k for k in issued if k not in after]
        self.names = {(c, inc): f"{r:04d}-c{self.index[c]}-m{inc}" for r, (c, inc) in enumerate(ranked)}

    def key_id(self, k):
        k = _rec(k)
        return self.mid(k["consumer"], k["inc"])

    # ------------------------------------------------------------ harness calls

    def reset(self, s):
        a = self.h.call({"op": "reset", "consumers": len(self.consumers), "partitions": s["partitions"],
                         "assignor": self.assignor, "timeouts": list(TIMEOUT_MS)})
        self.kafka_version = a.get("kafka_version")
        self.answer = a
        self.ahead = {c: [] for c in self.consumers}      # requests Kafka sent before the spec did
        self.matched = {c: set() for c in self.consumers}  # Kafka request ids the spec has sent

    def call(self, op, c=None):
        if c is not None:
            op = {**op, "c": self.index[c]}
        self.answer = self.h.call(op)
        for x, k in zip(self.consumers, self.answer.get("clients", [])):
            self.events.setdefault(x, []).extend(k.get("events", []))
        return self.answer

    def kclient(self, c):
        return self.answer["clients"][self.index[c]]

    def new_requests(self, c):
        k = self.kclient(c)
        known = self.matched[c] | {r["id"] for r in self.ahead[c]}
        return [r for r in k.get("requests", []) if r["id"] not in known]

    def in_flight(self, c, api):
        return [r for r in self.kclient(c).get("requests", []) if r["api"] == api]

    # ------------------------------------------------------------ views

    def spec_view(self, st, c):
        if not st["alive"][c]:
            return {"alive": False}
        return {"alive": True, "state": st["client"][c], "generation": st["clientGen"][c],
                "member_id": self.mid(c, st["memberId"][c]),
                "leader": st["isLeader"][c] is not None, "rejoin": st["rejoinNeeded"][c],
                "owned": _parts(st["owned"][c]), "coordinator": st["coordinator"][c]}

    @staticmethod
    def kafka_view(k, spec):
        if not k.get("alive"):
            return {"alive": False}
        v = {"alive": True, "state": k["state"], "generation": k["generation"], "member_id": k["member_id"],
             "leader": k["leader"], "rejoin": k["rejoin"], "owned": k["owned"], "coordinator": k["coordinator"]}
        return v

    def check_client(self, c, st, k=None, what="client state"):
        spec = self.spec_view(st, c)
        k = k if k is not None else self.kclient(c)
        kafka = self.kafka_view(k, spec)

        if not spec["alive"] or not kafka["alive"]:
            if spec["alive"] != kafka["alive"]:
                raise Diverged(f"{what}: alive differs", kafka, spec)
            return
        fields = ["state", "generation", "member_id", "rejoin", "owned", "coordinator"]
        if spec["state"] in ("COMPLETING_REBALANCE", "STABLE"):
            fields.append("leader")
        diff = [f for f in fields if spec[f] != kafka[f]]
        if diff:
            raise Diverged(f"{what}: {', '.join(diff)} differ",
                           {f: kafka[f] for f in fields}, {f: spec[f] for f in fields})

    def check_all(self, st, skip=()):
        for c in self.consumers:
            if c in skip or any(r["api"] == "JoinGroup" for r in self.ahead[c]):
                continue        # Kafka already ran onJoinPrepare for a JoinGroup the spec has not sent
            self.check_client(c, st)

    # ------------------------------------------------------------ requests

    def spec_request(self, c, r):
        """The spec's request, in the harness's terms."""
        out = {"api": r["api"], "epoch": r["epoch"], "member_id": self.mid(c, r["member"])}
        if r["api"] == "JoinGroup":
            out.update(owned=_parts(r["meta"]["owned"]), sub_generation=r["meta"]["gen"],
                       timeout=TIMEOUT_MS[r["timeout"]])
        elif r["api"] == "SyncGroup":
            out.update(generation=r["gen"],
                       assignments={self.key_id(k): _parts(v) for k, v in r["assignment"].items()})
        elif r["api"] == "OffsetCommit":
            out.update(generation=r["gen"], offsets={str(p): o for p, o in r["offsets"].items()})
        return out

    def kafka_request(self, kr, api):
        keys = {"JoinGroup": ("api", "epoch", "member_id", "owned", "sub_generation", "timeout"),
                "SyncGroup": ("api", "epoch", "member_id", "generation", "assignments"),
                "OffsetCommit": ("api", "epoch", "member_id", "generation", "offsets"),
                "LeaveGroup": ("api", "epoch", "member_id")}[api]
        out = {k: kr.get(k) for k in keys}
        if api == "JoinGroup" and self.assignor == "sticky":
            out["owned"], out["sub_generation"] = kr.get("sticky_owned"), kr.get("sticky_generation")
        if api == "SyncGroup" and not kr.get("assignments"):
            out["assignments"] = {}
        return out

    def expect_sent(self, c, r, op=None):
        """The spec's consumer c sent request r: Kafka must have it in flight, sent now
        (by `op`) or earlier (ahead)."""
        want = self.spec_request(c, r)
        for kr in self.ahead[c]:
            if kr["api"] == r["api"]:
                self.ahead[c].remove(kr)
                return self.match(c, kr, want)
        fresh = []
        for _ in range(3 if op is not None and op["op"] == "poll" else 1 if op is not None else 0):
            # the application's poll loop: a poll that only settles a failed round sends
            # nothing; the next one rejoins (joinGroupIfNeeded returns on a retriable error)
            self.call(op, c)
            fresh = [kr for kr in self.new_requests(c) if kr["api"] == r["api"]]
            if fresh or self.answer.get("exception"):
                break
        if op is None:
            fresh = [kr for kr in self.new_requests(c) if kr["api"] == r["api"]]
        if not fresh:
            if self.ahead[c]:
                raise NotExecutable(f"Kafka's consumer awaits its {self.ahead[c][0]['api']} (sent by an earlier "
                                    f"poll), which the spec never sent; it sends no {r['api']} meanwhile")
            raise Diverged(f"request: the spec sends {r['api']}, Kafka's consumer has none in flight",
                           {"requests": self.kclient(c).get("requests", []), "exception": self.answer.get("exception"),
                            "client": self.kafka_view(self.kclient(c), None)}, want)
        return self.match(c, fresh[-1], want)

    def match(self, c, kr, want):
        got = self.kafka_request(kr, want["api"])
        if got != want:
            diff = [k for k in want if got.get(k) != want[k]]
            raise Diverged(f"request: {want['api']} {', '.join(diff)} differ", got, want)
        self.matched[c].add(kr["id"])
        return kr

    def note_ahead(self, c, expected=None):
        """Requests Kafka sent in this step beyond the one the spec sent: ahead of the spec."""
        for kr in self.new_requests(c):
            if kr["api"] in ("JoinGroup", "SyncGroup", "OffsetCommit"):
                self.ahead[c].append(kr)

    def forget_answered(self, c):
        live = {r["id"] for r in self.kclient(c).get("requests", [])}
        self.matched[c] &= live
        self.ahead[c] = [r for r in self.ahead[c] if r["id"] in live]

    # ------------------------------------------------------------ responses

    def response_op(self, c, resp):
        op = {"op": "respond", "api": resp["api"], "error": resp["error"]}
        if resp["api"] == "JoinGroup":
            me = self.mid(c, resp["member"])
            op.update(member_id=me, generation=resp["gen"], leader_id=me if resp["leader"] else "not-me",
                      members=[{"id": self.key_id(k), "owned": _parts(v["owned"]), "gen": v["gen"]}
                               for k, v in sorted(resp["members"].items(), key=lambda kv: self.key_id(kv[0]))])
        elif resp["api"] == "SyncGroup":
            op.update(assignment=_parts(resp["assignment"]))
        return op

    def deliver(self, c, resp, then="poll"):
        flight = self.in_flight(c, resp["api"])
        mine = [r for r in flight if r["id"] in self.matched[c]] or flight
        if not mine:
            raise Diverged(f"response: the spec's consumer awaits {resp['api']}, Kafka's has none in flight",
                           self.kclient(c).get("requests", []), resp)
        op = self.response_op(c, resp)
        op.update(id=mine[0]["id"], then=then)
        self.delivered.append(f"{resp['api']} {resp['error']}")
        a = self.call(op, c)
        self.forget_answered(c)
        return a

    def commit_error(self, s, c):
        r = s["toCoordinator"][c]
        k = (("consumer", c), ("inc", r["member"]))
        if r["epoch"] != s["epoch"]:
            return "NOT_COORDINATOR"
        if s["loading"]:
            return "COORDINATOR_LOAD_IN_PROGRESS"
        if not self.const["FIX_KAFKA_2555"]:
            return "NONE"
        if r["member"] is None or k not in s["members"]:
            return "UNKNOWN_MEMBER_ID"
        if r["gen"] != s["generation"]:
            return "ILLEGAL_GENERATION"
        if s["groupState"] == "CompletingRebalance":
            return "REBALANCE_IN_PROGRESS"
        return "NONE"

    # ------------------------------------------------------------ one spec step

    def apply(self, act, p, s, t):
        c = p.get("c")
        self.events = {}         # the rebalance listener's calls during this step, per consumer
        self.delivered = []      # "API ERROR" of each answer delivered to Kafka in this step
        if act == "LateHeartbeatAnswer":
            # Kafka's heartbeat thread does not beat in PREPARING_REBALANCE: the answer of a
            # heartbeat sent before the rejoin would have to be held back across it, which the
            # harness cannot do. The step is checked against real brokers instead (the
            # failover-shutdown recordings, docs/kafka-findings.md K6).
            raise NotExecutable("a heartbeat answer held across a rejoin (LateHeartbeatAnswer) is not driven")
        if (c is not None and act in CLIENT_ACTIONS and act not in ("Crash", "Restart", "HandleOffsetCommit")
                and act not in NOT_DRIVEN and self.ahead[c]
                and act != "FetchOffsets"):     # an OffsetFetch flies beside a join (KafkaConsumer.poll's
                                                # updateFetchPositions), whatever the join future
            apis = {r["api"] for r in self.ahead[c]}
            # The leader's SyncGroup flies while its heartbeat thread heartbeats, expires the
            # poll timer, or the application closes; a pending JoinGroup admits nothing else.
            allowed = {"JoinGroup": {"SendJoinGroup"},
                       "SyncGroup": {"SendSyncGroup", "SendHeartbeat", "PollTimeout", "CloseConsumer",
                                     "FindCoordinator"},
                       "OffsetCommit": set()}
            if not all(act in allowed[a] for a in apis):
                raise NotExecutable(f"{act} while Kafka's consumer already sent {'/'.join(sorted(apis))} "
                                    f"that the spec has not")
        if act == "FindCoordinator":
            self.call({"op": "find", "node": t["coordinator"][c]}, c)
            self.check_client(c, t)
        elif act == "SendJoinGroup":
            r = t["toCoordinator"][c]
            if r["api"] != "JoinGroup":
                raise NotExecutable("onJoinPrepare's auto-commit is not driven")
            self.expect_sent(c, r, {"op": "poll"})
            self.check_revocation(c, s, t)
            self.check_client(c, t)
        elif act == "SendSyncGroup":
            self.expect_sent(c, t["toCoordinator"][c], {"op": "poll"})
            self.check_client(c, t)
        elif act in ("ReceiveJoinGroup", "ReceiveSyncGroup"):
            resp = s["toClient"][c]
            a = self.deliver(c, resp, then="poll")
            if a.get("exception"):
                raise Diverged(f"Kafka's poll threw {a['exception']}", a["exception"], resp)
            snap = [e["state"] for e in self.events.get(c, []) if e["kind"] == "assigned"]
            self.check_revocation(c, s, t)
            if snap:
                self.check_client(c, t, {**snap[-1], "alive": True}, "client state after onJoinComplete")
            r = t["toCoordinator"][c]
            if r is not None:
                self.expect_sent(c, r)
            self.note_ahead(c)
            if not snap and not any(kr["api"] == "JoinGroup" for kr in self.ahead[c]):
                self.check_client(c, t)
        elif act == "SendHeartbeat":
            err = self.heartbeat_error(c, **s)
            a = self.call({"op": "heartbeat", "error": err}, c)
            self.delivered.append(f"Heartbeat {err}")
            hb = a.get("request") or {}
            want = {"member_id": self.mid(c, s["memberId"][c]), "generation": s["clientGen"][c],
                    "epoch": s["coordinator"][c]}
            got = {k: hb.get(k) for k in want}
            if got != want:
                raise Diverged("request: Heartbeat fields differ", got, want)
            self.forget_answered(c)
            self.check_client(c, t)
        elif act == "CommitOffsets":
            r = t["toCoordinator"][c]
            self.expect_sent(c, r, {"op": "commit", "offsets": {str(k): v for k, v in r["offsets"].items()}})
        elif act == "HandleOffsetCommit":
            if not (s["alive"][c] and s["waiting"][c] == "OffsetCommit"):
                return False               # the committer is gone: nobody to answer
            self.deliver(c, {"api": "OffsetCommit", "error": self.commit_error(s, c)}, then="network")
            self.check_client(c, t)
        elif act == "CoordinatorFailover":
            for x in self.consumers:
                if s["alive"][x] and s["waiting"][x] == "OffsetCommit":
                    self.deliver(x, {"api": "OffsetCommit", "error": "NOT_COORDINATOR"}, then="network")
            self.check_all(t)
        elif act == "GrowPartitions":
            self.call({"op": "grow", "partitions": t["partitions"]})
        elif act == "FetchOffsets":
            if not (s["coordinator"][c] != s["epoch"]):
                return False     # answered (or retried while loading): positions are not modelled
            # NOT_COORDINATOR: Kafka's OffsetFetch answer marks the coordinator unknown
            a = self.call({"op": "fetch_offsets", "error": "NOT_COORDINATOR"}, c)
            self.delivered.append("OffsetFetch NOT_COORDINATOR")
            if a.get("no_request"):
                raise Diverged("request: the spec fetches offsets, Kafka's consumer sends no OffsetFetch",
                               self.kafka_view(self.kclient(c), None), {"api": "OffsetFetch"})
            self.check_all(t)
        elif act == "LeaderNoticesMetadataChange":
            self.call({"op": "notice"}, c)
            self.check_client(c, t)
        elif act == "PollTimeout":
            self.call({"op": "poll_timeout"}, c)
            r = t["toCoordinator"][c]
            if r is not None:
                self.expect_leave(c, r, self.kclient(c))
            self.check_client(c, t)
        elif act == "CloseConsumer":
            a = self.call({"op": "close"}, c)
            closing = a["closing"]
            r = t["toCoordinator"][c]
            if r is not None:
                self.expect_leave(c, r, closing)
            self.check_revocation(c, s, t, closing=True)
        elif act == "Crash":
            self.call({"op": "crash"}, c)
            self.ahead[c], self.matched[c] = [], set()
        elif act == "Restart":
            self.call({"op": "start", "timeout": p.get("t", 0)}, c)
            self.check_client(c, t)
        else:
            return False      # the spec coordinator's, or no Kafka counterpart (NOT_DRIVEN)
        for x in self.consumers:
            if self.kclient(x).get("alive"):
                self.forget_answered(x)
        return True

    def expect_leave(self, c, r, k):
        want = {"api": "LeaveGroup", "epoch": r["epoch"], "member_id": self.mid(c, r["member"])}
        leaves = [kr for kr in k.get("requests", []) if kr["api"] == "LeaveGroup"]
        if not leaves:
            raise Diverged("request: the spec sends LeaveGroup, Kafka's consumer none",
                           k.get("requests", []), want)
        got = self.kafka_request(leaves[-1], "LeaveGroup")
        if got != want:
            raise Diverged("request: LeaveGroup fields differ", got, want)

    def check_revocation(self, c, s, t, events=None, closing=False):
        """Partitions the spec's consumer gives up in this step: Kafka's rebalance listener
        must have been told, `lost` when the generation or member id was reset, else `revoked`."""
        gone = set(s["owned"][c]) - set(t["owned"][c]) if t["alive"][c] else set(s["owned"][c])
        if not gone:
            return
        events = events if events is not None else self.events.get(c, [])
        told = {}
        for e in events:
            if e["kind"] in ("revoked", "lost"):
                for q in e["partitions"]:
                    told[q] = e["kind"]
        # onJoinPrepare runs after any reset the same step made (a JoinGroup or SyncGroup
        # error resets, then rejoins at once): judge the generation the step ends with
        if closing or not t["alive"][c]:
            reset = s["clientGen"][c] == -1 or s["memberId"][c] is None
            reset = reset or s["client"][c] != "STABLE"        # onLeavePrepare: rebalanceInProgress -> lost
        else:
            reset = t["clientGen"][c] == -1 or t["memberId"][c] is None
        want = {q: "lost" if reset else "revoked" for q in gone}
        got = {q: told.get(q) for q in gone}
        if got != want:
            raise Diverged("rebalance listener: revoked/lost calls differ", got, want)


# ---------------------------------------------------------------- exploration

def _load(model_or_path, consts):
    from checker.compile.model import Model, load
    from checker.compile.modelfile import compile_model_file, is_model_file, load_model_file
    if isinstance(model_or_path, Model):
        return model_or_path, None
    consts = dict(consts or {})
    if is_model_file(model_or_path):
        mf = load_model_file(model_or_path)
        return kafka_chooses(lambda cs: compile_model_file(mf, cs)[0], consts), mf
    return kafka_chooses(lambda cs: load(model_or_path, cs), consts), None


def _label(act, params):
    return f"{act}({', '.join(f'{k}={v}' for k, v in params.items())})" if params else act


class _Runner:
    def __init__(self, model, mf, harness, out_dir, progress):
        self.model, self.mf = model, mf
        self.driver = ClientDriver(model, harness)
        self.out_dir = Path(out_dir)
        self.progress = progress
        self.coverage = Counter()
        self.answers = Counter()         # "API ERROR" -> answers delivered to Kafka's consumers
        self.reachable = set()
        self.divergences = {}
        self.not_executable = Counter()
        self.behaviours = self.steps = 0
        self.plain_cache = {}
        self.types = model.action_params

    def plain(self, s):
        v = self.plain_cache.get(s)
        if v is None:
            if len(self.plain_cache) > 100_000:
                self.plain_cache.clear()
            v = self.plain_cache[s] = self.model.plain(s)
        return v

    def params(self, act, picks):
        from checker.lang.values import to_plain
        types = self.types.get(act, {})
        return {n: to_plain(v, types[n]) for n, v in picks}

    def drivable(self, name, p, s):
        """Is this spec step one the harness drives (so its cell belongs in the table)?"""
        if name not in CLIENT_ACTIONS or name in NOT_DRIVEN:
            return False
        if name == "HandleOffsetCommit":
            v = self.plain(s)
            return v["alive"][p["c"]] and v["waiting"][p["c"]] == "OffsetCommit"
        if name == "FetchOffsets":          # driven when it tells the consumer NOT_COORDINATOR
            v = self.plain(s)
            return v["coordinator"][p["c"]] != v["epoch"]
        return True

    def cell(self, name, p, s):
        c = p.get("c")
        return f"{name} @ {self.plain(s)['client'][c] if c is not None else '-'}"

    def run(self, path):
        """One behaviour: path = [(action index, picks, state)] from an initial state
        (path[0] is (None, (), init)). Returns how many steps Kafka followed."""
        self.behaviours += 1
        d = self.driver
        init = path[0][2]
        d.reset(self.plain(init))
        try:
            d.name_ids([self.plain(st) for _, _, st in path])
        except CycleError as e:
            self.record(path, len(path) - 1, "(the behaviour's member-id order)",
                        Diverged("the spec orders some member ids both ways in one behaviour; Kafka's ids "
                                 "have one order", None, [f"{c}#{inc}" for c, inc in e.args[1]]))
            return 0
        for i in range(1, len(path)):
            act, picks, t = path[i]
            s = path[i - 1][2]
            name = self.model.action_names[act]
            p = self.params(act, picks)
            ps, pt = self.plain(s), self.plain(t)
            try:
                driven = d.apply(name, p, ps, pt)
            except NotExecutable as e:
                self.not_executable[str(e)] += 1
                return i - 1
            except Diverged as e:
                self.record(path[:i + 1], i, _label(name, p), e)
                return i - 1
            self.steps += 1
            if driven and name in CLIENT_ACTIONS:
                self.coverage[self.cell(name, p, s)] += 1
            for answer in d.delivered:
                self.answers[answer] += 1
        return len(path) - 1

    def record(self, path, i, label, e):
        div = Divergence(self.behaviours, i, label, e.message, e.kafka, e.spec)
        sig = div.signature()
        if sig in self.divergences:
            self.divergences[sig].repeats += 1
            return
        n = len(self.divergences) + 1
        trace = [Step(None if a is None else self.model.action_names[a], tuple(picks), st) for a, picks, st in path]
        name = self.mf.name if self.mf else self.model.name
        target = self.out_dir / name / f"kafka-client-{n}.itf.json"
        try:
            write_trace(target, self.model, self.model.export_trace(trace),
                        description=f"diverges from Kafka's ConsumerCoordinator at step {i}: {label}: {e.message}")
            div.trace = str(target)
        except OSError:
            div.trace = None
        self.divergences[sig] = div


def _bfs(model, depth, limit=2_000_000):
    """The spec's state graph to `depth`: parents (shortest prefixes) and every transition
    from a state at depth < `depth`."""
    inits = model.init_states()
    parent = {}
    level = {}
    for s in inits:
        parent.setdefault(s, None)
        level.setdefault(s, 0)
    edges = []
    frontier = list(dict.fromkeys(inits))
    for d in range(depth):
        nxt = []
        for s in frontier:
            if model.check_constraints and model.check_constraints(s) >= 0:
                continue                  # outside the exploration bounds: not expanded
            for act, picks, t in model.labelled_successors(s):
                edges.append((s, act, picks, t))
                if t not in parent:
                    parent[t] = (s, act, picks)
                    level[t] = d + 1
                    nxt.append(t)
                    if len(parent) > limit:
                        raise MemoryError("the spec's state graph to this depth is too large for the client oracle")
        frontier = nxt
    return parent, level, edges


def _prefix(parent, s):
    out = []
    while parent[s] is not None:
        prev, act, picks = parent[s]
        out.append((act, picks, s))
        s = prev
    out.append((None, (), s))
    return out[::-1]


def against_kafka_client(model_or_path, consts=None, *, depth=None, runs=None, steps=None, seed=0,
                         progress=None, out_dir="counterexamples", harness=None) -> OracleResult:
    """Run behaviours of the spec against Kafka's ConsumerCoordinator.

    Exhaustive (`depth`): every transition of the spec's state graph from a state
    reachable in fewer than `depth` steps is executed at least once, each behaviour a
    shortest prefix to the transition's source replayed into a reset harness, then the
    transition. Random (`runs`, `steps`, `seed`): seeded random walks from the initial
    state. MissingTool (no java/mvn/network for Maven) and HarnessCrashed propagate."""
    model, mf = _load(model_or_path, consts)
    if depth is None and runs is None:
        depth = 8
    own = harness is None
    harness = harness or Harness(MODULE, MAIN_CLASS, JVM_ARGS)
    start = time.monotonic()
    try:
        r = _Runner(model, mf, harness, out_dir, progress)
        transitions = executed = 0
        if depth is not None:
            parent, level, edges = _bfs(model, depth)
            transitions = len(edges)
            for s, act, picks, t in edges:
                name = model.action_names[act]
                if r.drivable(name, r.params(act, picks), s):
                    r.reachable.add(r.cell(name, r.params(act, picks), s))
            covered, tried = set(), set()
            order = sorted(range(len(edges)), key=lambda k: -level[edges[k][0]])
            for k in order:
                s, act, picks, t = edges[k]
                key = (s, act, picks, t)
                if key in covered or key in tried:
                    continue
                path = _prefix(parent, s) + [(act, picks, t)]
                done = r.run(path)
                for j in range(1, done + 1):
                    covered.add((path[j - 1][2], path[j][0], path[j][1], path[j][2]))
                if done < len(path) - 1:
                    tried.add(key)        # not executable or diverged: do not try it again
                if progress and r.behaviours % 200 == 0:
                    progress(r.behaviours, r.steps)
            executed = sum(1 for e in edges if (e[0], e[1], e[2], e[3]) in covered)
        else:
            rng = random.Random(seed)
            for _ in range(runs):
                s = rng.choice(model.init_states())
                path = [(None, (), s)]
                for _ in range(steps or 50):
                    if model.check_constraints and model.check_constraints(s) >= 0:
                        break
                    succ = model.labelled_successors(s)
                    if not succ:
                        break
                    act, picks, s = succ[rng.randrange(len(succ))]
                    path.append((act, picks, s))
                    name = model.action_names[act]
                    if r.drivable(name, r.params(act, picks), path[-2][2]):
                        r.reachable.add(r.cell(name, r.params(act, picks), path[-2][2]))
                r.run(path)
                if progress and r.behaviours % 50 == 0:
                    progress(r.behaviours, r.steps)
        divs = list(r.divergences.values())
        return OracleResult(
            kafka_version=r.driver.kafka_version or "?", mode="exhaustive" if depth is not None else "random",
            behaviours=r.behaviours, steps=r.steps, elapsed=time.monotonic() - start, divergences=divs,
            coverage=dict(sorted(r.coverage.items())), unreached=sorted(r.reachable - set(r.coverage)),
            not_executable=dict(r.not_executable.most_common()), answers=dict(sorted(r.answers.items())),
            transitions=transitions,
            transitions_executed=executed, depth=depth, runs=runs, seed=seed if runs else None,
            exit_code=EXIT_DIVERGED if divs else EXIT_OK)
    finally:
        if own:
            harness.close()
