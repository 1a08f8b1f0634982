"""Model-based testing of spec/group.gdsl's coordinator against Apache Kafka's own code.

Behaviours of the spec are executed on harness/coordinator (Kafka's GroupCoordinatorShard
in-process, see CoordinatorHarness.java). The spec's client steps only put a request in
`toCoordinator` (or take an answer out of `toClient`): they run on the spec alone. Each
step of the spec that the coordinator takes is done on Kafka too:

  HandleJoinGroup(c) / HandleSyncGroup(c) / HandleLeaveGroup(c) / HandleOffsetCommit(c):
      the request in toCoordinator[c], translated (member ids through the identity map)
  SendHeartbeat(c), FetchOffsets(c): the heartbeat / OffsetFetch those one-step actions stand for
  SessionExpires(m), PendingMemberExpires(m): fire Kafka's timer heartbeat-<group>-<id of m>
  PendingSyncExpires: fire sync-<group>;  CompleteJoin (not due): fire join-<group>
  CoordinatorFailover: unload + the requests still on their way answered by the old broker;
  LoadCompletes: a fresh shard replays the committed records;  GrowPartitions: a new image

After each such step Kafka's responses and state abstraction are compared with the spec's
successors by that action (toClient, groupState, generation, leader, members, pending,
pendingSync, persisted, committed, epoch, loading). Kafka completes a join phase inside
the request that makes it due; the spec takes that as a separate CompleteJoin, which no
other coordinator step may precede (`joinDue`): so a successor in which the join is due
is closed under CompleteJoin before it is compared. Where the spec chooses (the leader at
join completion) and Kafka chose one, the spec successor that agrees with Kafka is kept:
Kafka is the oracle, the spec must allow what it did. Member ids are mapped as they first
appear (the id in the response to consumer c's JoinGroup is the spec's next id of c).

A step where no successor agrees is a divergence. A harness crash raises HarnessCrashed.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
import random
import time

from checker.compile.model import Model, compile_model, load_spec
from checker.engine.outcome import Step
from checker.traces.itf import write_trace

from .choices import kafka_chooses
from .jvm import Harness, HarnessCrashed, MissingTool  # noqa: F401  (re-exported)

__all__ = ["against_kafka", "OracleResult", "Divergence", "EXIT_DIVERGENCE", "HarnessCrashed", "MissingTool"]

MAIN_CLASS = "io.gdsl.harness.CoordinatorHarness"
GROUP = "group"
CLIENT_ID = "consumer"       # one client.id for every consumer: Kafka's member ids sort at random
EXIT_DIVERGENCE = 14
# rebalanceTimeoutMs for the spec's TimeoutConfig 0 and 1; one session timeout.
REBALANCE_TIMEOUT_MS = {0: 300_000, 1: 240_000}
SESSION_TIMEOUT_MS = 45_000
# Exhaustive: tries of a transition that Kafka's own choices (the leader; the order of its random
# member ids, each order of two ids drawn with probability 1/2) steer away from: after 24 tries
# a 1-in-2 choice is missed with probability 6e-8, a 1-in-3 with 6e-5.
MAX_ATTEMPTS = 24
JOIN_VERSION = 9            # the JoinGroup version Kafka 4.x's Java consumer sends

NEW_CELL_WEIGHT = 20.0       # random walks: how much likelier a step into a cell not reached yet is
KAFKA_STEPS = {"HandleJoinGroup", "HandleSyncGroup", "HandleLeaveGroup", "HandleOffsetCommit",
               "SendHeartbeat", "FetchOffsets", "SessionExpires", "PendingMemberExpires",
               "PendingSyncExpires", "CompleteJoin", "CoordinatorFailover", "LoadCompletes",
               "GrowPartitions"}
UNSUPPORTED = {"QueuedUnloadRuns"}
# Random walks hold the steps that spend a fault back until a step drawn at random for each walk, so
# that the one-fault budget is not always spent in the first steps, when no consumer has
# joined yet (when nothing else is enabled a fault is taken all the same).
def _faults(v) -> int:
    """The faults spent so far (the spec's faultsLeft counts these)."""
    return v["crashes"] + v["leaves"] + v["pollTimeouts"] + v["timeouts"] + v["epoch"] + v["partitions"]   # KAFKA-10614's variation only: no such step in Kafka 4.3.1


@dataclass
class Divergence:
    behaviour: int
    step: int                      # index in the behaviour of the spec step that diverged
    action: str                    # e.g. "HandleSyncGroup(c=Consumer1)"
    differences: list              # what Kafka did that no successor of the spec allows
    kafka_responses: list
    kafka_state: dict
    spec_before: dict              # the spec's state before the step
    spec_after: list               # its successors by that action (closed under a due CompleteJoin)
    trace: str | None = None       # ITF trace of the spec prefix (up to the state before the step)

    def summary(self) -> str:
        return (f"behaviour {self.behaviour}, step {self.step}: {self.action}: "
                + "; ".join(self.differences[:4]))


@dataclass
class OracleResult:
    kafka_version: str
    mode: str
    behaviours: int = 0
    steps: int = 0                 # spec steps executed (client steps included)
    kafka_steps: int = 0           # of which done on Kafka
    elapsed: float = 0.0
    divergences: list = field(default_factory=list)
    coverage: Counter = field(default_factory=Counter)      # (action, groupState before) -> count
    reachable_cells: set = field(default_factory=set)       # the cells the spec can reach
    transitions: int = 0           # exhaustive: transitions of the graph within the depth
    transitions_covered: int = 0
    transitions_kafka_chose_otherwise: int = 0
    transitions_from_due_states: int = 0   # client steps out of a state whose join is due: Kafka
                                           # completes the join inside the step that made it due,
                                           # so these run after the CompleteJoin instead
    depth: int | None = None
    full_walks: int = 0            # random walks that took all their steps (the others reached a
                                   # state the spec's constraints do not expand, or a deadlock)
    probes: int = 0                # random walks ended by firing one of Kafka's own timers
    # steps after which Kafka's member ids sorted in an order that no renaming of the consumers
    # makes consumer-major: the orders a spec sorting by (consumer, incarnation) never explored
    orders_beyond_consumer_major: int = 0
    aimed: int = 0                 # random mode: behaviours aimed at cells the walks missed
    steered: Counter = field(default_factory=Counter)   # exhaustive: why transitions were not taken

    @property
    def exit_code(self) -> int:
        return EXIT_DIVERGENCE if self.divergences else 0

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.elapsed if self.elapsed else 0.0

    @property
    def missed_cells(self) -> list:
        return sorted(c for c in self.reachable_cells if c not in self.coverage)

    def to_json(self) -> dict:
        return {"kafka_version": self.kafka_version, "mode": self.mode, "behaviours": self.behaviours,
                "steps": self.steps, "kafka_steps": self.kafka_steps, "elapsed": round(self.elapsed, 3),
                "steps_per_second": round(self.steps_per_second, 1), "depth": self.depth,
                "transitions": self.transitions, "transitions_covered": self.transitions_covered,
                "transitions_kafka_chose_otherwise": self.transitions_kafka_chose_otherwise,
                "transitions_from_due_states": self.transitions_from_due_states,
                "full_walks": self.full_walks, "probes": self.probes,
                "orders_beyond_consumer_major": self.orders_beyond_consumer_major, "aimed": self.aimed,
                "steered": dict(self.steered),
                "divergences": [{"behaviour": d.behaviour, "step": d.step, "action": d.action,
                                 "differences": d.differences, "kafka_responses": d.kafka_responses,
                                 "trace": d.trace} for d in self.divergences],
                "coverage": [{"action": a, "groupState": g, "count": n}
                             for (a, g), n in sorted(self.coverage.items())],
                "missed_cells": [{"action": a, "groupState": g} for a, g in self.missed_cells]}


class Diverged(Exception):
    def __init__(self, divergence: Divergence):
        super().__init__(divergence.summary())
        self.divergence = divergence


# ---------------------------------------------------------------------------- helpers

def _mid(c, inc):
    return (("consumer", c), ("inc", inc))


def _cnum(c: str) -> int:
    return int(c.replace("Consumer", ""))


def _text(action, params) -> str:
    return f"{action}({', '.join(f'{k}={v}' for k, v in params.items())})" if params else action


def load_model(model_or_path, consts=None) -> tuple[Model, str]:
    """A compiled Model and a name for it, from a Model, a spec file or a model file."""
    if isinstance(model_or_path, Model):
        return model_or_path, model_or_path.name
    path = Path(model_or_path)
    consts = {k: str(v) for k, v in (consts or {}).items()}
    if path.suffix == ".toml":
        from checker.compile.modelfile import load_model_file
        mf = load_model_file(path)
        return kafka_chooses(lambda cs: compile_model(load_spec(mf.spec, {**mf.all_constants(), **cs}),
                                                      mf.invariants, skip=mf.skip), consts), mf.name
    return kafka_chooses(lambda cs: compile_model(load_spec(path, cs)), consts), path.stem


# ---------------------------------------------------------------------------- one run on Kafka

class Runner:
    """Executes spec steps on one harness and keeps the spec state that agrees with Kafka."""

    def __init__(self, model: Model, harness: Harness, result: OracleResult, out_dir: Path,
                 name: str, expect=None):
        self.model, self.h, self.result = model, harness, result
        self.out_dir, self.name = out_dir, name
        self.static = bool(model.constants.get("STATIC"))
        self.join_due = model.function("joinDue")
        self.heartbeat_error = model.function("heartbeatError")
        self.faults_left = model.function("faultsLeft")
        self.declared = {a.name: [n for n, *_ in a.params] for a in model.checked.actions}
        self.expect = expect            # tests: a function (plain state) -> plain state, to falsify
        self.views = {}
        self._tentative = {}
        self._listening = {}
        self._sent, self._pre = {}, None

    def view(self, s):
        v = self.views.get(s)
        if v is None:
            if len(self.views) > 500_000:
                self.views.clear()
            v = self.views[s] = self.model.plain(s)
        return v

    # ---- a behaviour

    def reset(self, behaviour: int):
        init = self.h.call({"op": "init", "partitions": self.model.constants["INITIAL_PARTITIONS"]})
        self.kafka = init["state"]
        self.behaviour = behaviour
        self.ids = {}              # spec MemberId -> Kafka member id
        self.rids = {}             # the other way
        self.outstanding = {}      # consumer -> request id its process awaits an answer to
        self.next_id = 0
        # Static members sort by group.instance.id: names in an order drawn for the behaviour
        consumers = sorted(self.view(self.model.init_states()[0])["alive"])
        ranks = random.Random(behaviour).sample(range(len(consumers)), len(consumers))
        self.instances = {c: f"instance-{chr(ord('a') + r)}" for c, r in zip(consumers, ranks)}
        self.trace = [Step(None, (), self.model.init_states()[0])]
        self.cur = self.trace[0].state
        return init

    def steps(self, s):
        return self.model.steps(s)

    def do(self, action, params, planned=None):
        """Take spec step (action, params) from the current state, on Kafka too if it is a
        coordinator step. Returns the successor kept (the planned one if Kafka allows it),
        and the CompleteJoin state the closure went through, if any."""
        pre = self.view(self.cur)
        self.result.steps += 1
        self.result.coverage[(action, pre["groupState"])] += 1
        # the action's own parameters; its choices (`choose`: a leader, a static member's
        # old id) are Kafka's to make, so every successor by any choice is a candidate
        declared = self.declared[action]
        succ = [t for a, p, t in self.steps(self.cur)
                if a == action and all(p.get(k) == params.get(k) for k in declared)]
        if not succ:
            raise ValueError(f"{_text(action, params)} is not enabled")
        if action in UNSUPPORTED:
            raise NotImplementedError(f"{action}: no such step in Kafka (a bug variation's step)")
        if action not in KAFKA_STEPS:
            t = planned if planned in succ else succ[0]
            self._client_effects(pre, self.view(t))
            return self._advance(action, params, t), None
        self.result.kafka_steps += 1
        self._sent, self._pre = {}, pre
        answer = self._kafka(action, params, pre)
        responses = answer["responses"]
        self.kafka = answer["state"]
        candidates = []            # (t, via, t_before_closure)
        for t in dict.fromkeys(succ):
            tv = self.view(t)
            if not tv["loading"] and self.join_due(**tv):
                for a2, p2, t2 in self.steps(t):
                    if a2 == "CompleteJoin":
                        candidates.append((t2, t))
            else:
                candidates.append((t, None))
        best, diffs = None, []
        for t, via in candidates:
            d = self._compare(pre, self.view(t), responses, action, params)
            if not d:
                if best is None or t == planned or via == planned:
                    best = (t, via)
                    if t == planned or via == planned:
                        break
            else:
                diffs.append(d)
        if best is None:
            self._diverge(_text(action, params), None, pre, responses, min(diffs, key=len),
                          [self.view(t) for t, _ in candidates])
        t, via = best
        self._bind(pre, self.view(via if via is not None else t), responses)
        self._settle(responses)
        self._note_order()
        if via is not None:
            self._advance(action, params, via)
            self.result.coverage[("CompleteJoin", self.view(via)["groupState"])] += 1
            return self._advance("CompleteJoin", {}, t), via
        return self._advance(action, params, t), None

    def probe_timer(self, key):
        """Fire one of Kafka's own timers that the behaviour did not ask for: whatever it
        does must be a step the spec allows (a timer action, or nothing). Only with the
        fault budget unspent, so that the spec's budget does not forbid what Kafka does; and
        only as a behaviour's last step (a fired timer is gone from Kafka)."""
        pre = self.view(self.cur)
        self.result.steps += 1
        self.result.kafka_steps += 1
        kind = key.split("-")[0]
        self.result.coverage[(f"(Kafka timer {kind})", pre["groupState"])] += 1
        self._sent, self._pre = {}, pre
        answer = self.h.call({"op": "fire", "key": key})
        responses, self.kafka = answer["responses"], answer["state"]
        candidates = [(self.cur, None, None, {})]
        for a, p, t in self.steps(self.cur):
            if a not in ("SessionExpires", "PendingMemberExpires", "PendingSyncExpires", "CompleteJoin"):
                continue
            tv = self.view(t)
            if not tv["loading"] and self.join_due(**tv):
                candidates += [(t2, t, a, p) for a2, p2, t2 in self.steps(t) if a2 == "CompleteJoin"]
            else:
                candidates.append((t, None, a, p))
        diffs = []
        for t, via, a, p in candidates:
            d = self._compare(pre, self.view(t), responses, a or "(nothing)", p)
            if not d:
                if a is not None:
                    self._bind(pre, self.view(via if via is not None else t), responses)
                    self._settle(responses)
                    if via is not None:
                        self._advance(a, p, via)
                        t = self._advance("CompleteJoin", {}, t)
                    else:
                        self._advance(a, p, t)
                return a or "(nothing)"
            diffs.append(d)
        self._diverge(f"(Kafka's timer {key})", {}, pre, responses, min(diffs, key=len),
                      [self.view(t) for t, *_ in candidates])

    def _advance(self, action, params, t):
        types = self.model.action_params.get(self.model.action_names.index(action), {})
        from checker.lang.values import from_plain
        self.trace.append(Step(action, tuple((k, from_plain(v, types[k])) for k, v in params.items()), t))
        self.cur = t
        return t

    def _client_effects(self, pre, post):
        for c, alive in post["alive"].items():
            if not alive and pre["alive"][c]:
                self.outstanding.pop(c, None)      # its connection died with it

    # ---- translation to harness operations

    def _rid(self, c):
        self.next_id += 1
        self._sent[self.next_id] = c
        if self._listening.get(c, True):
            self.outstanding[c] = self.next_id
        return self.next_id

    def _kid(self, m):
        return self.ids.get(m, "")

    def _request(self, c, r, op):
        out = {"op": op, "client": CLIENT_ID, "epoch": r["epoch"],
               "member": "" if r["member"] is None else self._kid(_mid(c, r["member"])),
               "generation": r["gen"]}
        if self.static:
            out["instance"] = self.instances[c]
        return out

    def _kafka(self, action, params, pre):
        c = params.get("c")
        self._listening = pre["alive"]     # a dead process's request still arrives; nobody reads its answer
        if action in ("HandleJoinGroup", "HandleSyncGroup", "HandleLeaveGroup", "HandleOffsetCommit"):
            r = pre["toCoordinator"][c]
            if action == "HandleJoinGroup":
                op = self._request(c, r, "join")
                op.update(id=self._rid(c), version=JOIN_VERSION,
                          meta={"owned": sorted(r["meta"]["owned"]), "gen": r["meta"]["gen"]},
                          rebalanceTimeoutMs=REBALANCE_TIMEOUT_MS[r["timeout"]],
                          sessionTimeoutMs=SESSION_TIMEOUT_MS)
            elif action == "HandleSyncGroup":
                op = self._request(c, r, "sync")
                op.update(id=self._rid(c), assignment={self.ids.get(m) or f"unknown-{_idtext(m)}":
                                                       sorted(ps) for m, ps in r["assignment"].items()})
            elif action == "HandleLeaveGroup":
                op = self._request(c, r, "leave")
                self.next_id += 1
                op["id"] = self.next_id    # nobody waits for it (§6): its answer is not compared
            else:
                op = self._request(c, r, "commit")
                op.update(id=self._rid(c), offsets={str(p): o for p, o in r["offsets"].items()})
            return self.h.call(op)
        if action == "SendHeartbeat":
            inc = pre["memberId"][c]
            op = {"op": "heartbeat", "client": CLIENT_ID, "epoch": pre["coordinator"][c],
                  "member": "" if inc is None else self._kid(_mid(c, inc)),
                  "generation": pre["clientGen"][c], "id": self._rid(c)}
            if self.static:
                op["instance"] = self.instances[c]
            return self.h.call(op)
        if action == "FetchOffsets":
            parts = sorted(p for p in pre["owned"][c] if p not in pre["position"][c])
            return self.h.call({"op": "fetch", "epoch": pre["coordinator"][c], "partitions": parts,
                                "id": self._rid(c)})
        if action in ("SessionExpires", "PendingMemberExpires"):
            m = params["m"]
            key = f"heartbeat-{GROUP}-{self._kid(_hashable_member(m))}"
            return self.h.call({"op": "fire", "key": key})
        if action == "PendingSyncExpires":
            return self.h.call({"op": "fire", "key": f"sync-{GROUP}"})
        if action == "CompleteJoin":
            return self.h.call({"op": "fire_join"})
        if action == "GrowPartitions":
            return self.h.call({"op": "grow"})
        if action == "LoadCompletes":
            return self.h.call({"op": "load"})
        if action == "CoordinatorFailover":
            answer = self.h.call({"op": "failover"})
            # The requests still on their way reach the old broker, which answers NOT_COORDINATOR.
            for c2, r in pre["toCoordinator"].items():
                if r is None:
                    continue
                kind = {"JoinGroup": "join", "SyncGroup": "sync", "LeaveGroup": "leave",
                        "OffsetCommit": "commit"}[r["api"]]
                op = self._request(c2, r, kind)
                op["id"] = self._rid(c2) if kind != "leave" else -1
                more = self.h.call(op)
                answer["responses"] += more["responses"]
                answer["state"] = more["state"]
            return answer
        raise NotImplementedError(action)

    # ---- comparison

    def _member(self, kid):
        m = self.rids.get(kid) or self._tentative.get(kid)
        return m if m is not None else ("unmapped", kid)

    def _compare(self, pre, post, responses, action, params) -> list:
        if self.expect is not None:
            post = self.expect(post)
        self._tentative = self._bindings(post, responses)
        diffs = []
        diffs += self._compare_responses(pre, post, responses, action, params)
        diffs += self._compare_state(post)
        return diffs

    def _compare_responses(self, pre, post, responses, action, params):
        diffs = []
        by_id = {r["id"]: r for r in responses}
        consumers = sorted(post["alive"])
        for c in consumers:
            rid = self.outstanding.get(c)
            kr = by_id.get(rid) if rid is not None else None
            if kr is not None and kr["api"] == "LeaveGroup":
                kr = None
            new = post["toClient"][c] if post["toClient"][c] != pre["toClient"][c] else None
            if action == "HandleOffsetCommit" and params.get("c") == c or \
                    action == "CoordinatorFailover" and kr is not None and kr["api"] == "OffsetCommit":
                diffs += self._compare_commit(c, pre, post, kr)
                continue
            if action == "SendHeartbeat" and params.get("c") == c:
                want = self.heartbeat_error(c, **pre)
                if kr is None or kr["error"] != want:
                    diffs.append(f"Heartbeat of {c}: Kafka answers {kr and kr['error']}, the spec {want}")
                continue
            if action == "FetchOffsets" and params.get("c") == c:
                diffs += self._compare_fetch(c, pre, post, kr)
                continue
            if new is None and kr is None:
                continue
            if new is None:
                diffs.append(f"Kafka answers {c}'s {kr['api']} ({kr['error']}), the spec does not")
                continue
            if kr is None:
                diffs.append(f"the spec answers {c}'s {new['api']} ({new['error']}), Kafka does not")
                continue
            diffs += self._compare_response(c, new, kr)
        return diffs

    def _compare_response(self, c, sr, kr):
        d = []
        if sr["api"] != kr["api"] or sr["error"] != kr["error"]:
            return [f"{c}'s {kr['api']}: Kafka answers {kr['error']}, the spec {sr['api']} {sr['error']}"]
        if sr["api"] == "JoinGroup" and sr["error"] in ("NONE", "MEMBER_ID_REQUIRED"):
            m = _mid(c, sr["member"])
            if kr["member"] in self.rids and self.rids[kr["member"]] != m:
                d.append(f"{c}'s JoinGroup: Kafka gives member id {kr['member']} (spec {self.rids[kr['member']]}), "
                         f"the spec {m}")
            elif m in self.ids and self.ids[m] != kr["member"]:
                d.append(f"{c}'s JoinGroup: Kafka gives member id {kr['member']}, the spec {m} = {self.ids[m]}")
        if sr["api"] == "JoinGroup" and sr["error"] == "NONE":
            if kr["generation"] != sr["gen"]:
                d.append(f"{c}'s JoinGroup: Kafka generation {kr['generation']}, the spec {sr['gen']}")
            k_leader = kr["leader"] == kr["member"]
            k_members = {self._member(x["member"]): _meta(x["meta"]) for x in kr["members"]}
            s_members = {m: _meta(s) for m, s in sr["members"].items()}
            if bool(kr.get("skipAssignment")) != bool(sr.get("skip")):
                d.append(f"{c}'s JoinGroup: Kafka skipAssignment={kr.get('skipAssignment')}, the spec {sr.get('skip')}")
            if k_leader != sr["leader"]:
                d.append(f"{c}'s JoinGroup: Kafka says leader={k_leader} (skipAssignment="
                         f"{kr.get('skipAssignment')}, {len(kr['members'])} members), the spec leader={sr['leader']}")
            elif k_members != s_members and not (kr["member"] not in self.rids):
                d.append(f"{c}'s JoinGroup: Kafka lists members {_show(k_members)}, the spec {_show(s_members)}")
            elif kr["member"] not in self.rids and len(k_members) != len(s_members):
                d.append(f"{c}'s JoinGroup: Kafka lists {len(k_members)} members, the spec {len(s_members)}")
        if sr["api"] == "SyncGroup" and sr["error"] == "NONE":
            if set(kr.get("assignment", [])) != set(sr["assignment"]):
                d.append(f"{c}'s SyncGroup: Kafka assigns {sorted(kr.get('assignment', []))}, "
                         f"the spec {sorted(sr['assignment'])}")
        return d

    def _compare_commit(self, c, pre, post, kr):
        """The spec takes OffsetCommit's answer in the handling step: its error shows in what
        the consumer does (HandleOffsetCommit), which is compared with Kafka's error."""
        if not pre["alive"][c] or pre["waiting"][c] != "OffsetCommit":
            return []
        if kr is None:
            return [f"the spec answers {c}'s OffsetCommit, Kafka does not"]
        e = kr["error"]
        effect = {
            "rejoin": post["rejoinNeeded"][c] and not pre["rejoinNeeded"][c],
            "reset_member": post["memberId"][c] is None and pre["memberId"][c] is not None,
            "reset_gen": post["clientGen"][c] == -1 and pre["clientGen"][c] != -1,
            "coordinator": post["coordinator"][c] is None and pre["coordinator"][c] is not None,
        }
        want = {"NONE": set(), "COORDINATOR_LOAD_IN_PROGRESS": set(),
                "REBALANCE_IN_PROGRESS": {"rejoin"} if not pre["rejoinNeeded"][c] else set(),
                "UNKNOWN_MEMBER_ID": {"reset_member", "reset_gen", "rejoin"} - _already(pre, c),
                "ILLEGAL_GENERATION": {"reset_gen", "rejoin"} - _already(pre, c),
                "NOT_COORDINATOR": {"coordinator"}}.get(e)
        got = {k for k, v in effect.items() if v}
        if want is None or got != want:
            return [f"{c}'s OffsetCommit: Kafka answers {e}; the spec's consumer reacts with "
                    f"{sorted(got) or 'nothing'}, which is not what {e} does ({sorted(want or [])})"]
        return []

    def _compare_fetch(self, c, pre, post, kr):
        if kr is None:
            return [f"{c}'s OffsetFetch: Kafka does not answer"]
        e = kr["error"]
        if post["coordinator"][c] is None and pre["coordinator"][c] is not None:
            return [] if e == "NOT_COORDINATOR" else [f"{c}'s OffsetFetch: Kafka {e}, the spec NOT_COORDINATOR"]
        if pre["loading"]:
            return [] if e == "COORDINATOR_LOAD_IN_PROGRESS" else \
                [f"{c}'s OffsetFetch: Kafka {e}, the spec COORDINATOR_LOAD_IN_PROGRESS"]
        if e != "NONE":
            return [f"{c}'s OffsetFetch: Kafka {e}, the spec NONE"]
        d = []
        for p in sorted(p for p in pre["owned"][c] if p not in pre["position"][c]):
            k = kr["offsets"].get(str(p))
            s = pre["committed"].get(p)
            if k != s:
                d.append(f"{c}'s OffsetFetch of partition {p}: Kafka {k}, the spec's committed {s}")
        return d

    def _compare_state(self, post):
        k = self.kafka
        d = []
        if k["epoch"] != post["epoch"] or k["loading"] != post["loading"]:
            d.append(f"epoch/loading: Kafka {k['epoch']}/{k['loading']}, the spec {post['epoch']}/{post['loading']}")
            return d
        if post["loading"]:
            return d
        g = k["group"] or {"state": "Empty", "generation": 0, "leader": None, "members": [], "pending": [],
                           "pendingSync": []}
        if g["state"] != post["groupState"]:
            d.append(f"group state: Kafka {g['state']}, the spec {post['groupState']}")
        if g["generation"] != post["generation"]:
            d.append(f"generation: Kafka {g['generation']}, the spec {post['generation']}")
        kmembers = {self._member(m["member"]): m for m in g["members"]}
        smembers = post["members"]
        if set(kmembers) != set(smembers):
            d.append(f"members: Kafka {_ids(kmembers)}, the spec {_ids(smembers)}")
        else:
            for m, km in kmembers.items():
                sm = smembers[m]
                for field_, kv, sv in (("awaitingJoin", km["awaitingJoin"], sm["awaitingJoin"]),
                                       ("awaitingSync", km["awaitingSync"], sm["awaitingSync"]),
                                       ("isNew", km["isNew"], sm["isNew"]),
                                       ("subscription", _meta(km["meta"]), _meta(sm["meta"])),
                                       ("assignment", frozenset(km["assignment"]), frozenset(sm["assignment"])),
                                       ("rebalance timeout", km["rebalanceTimeoutMs"],
                                        REBALANCE_TIMEOUT_MS[sm["timeout"]])):
                    if kv != sv:
                        d.append(f"member {_idtext(m)} {field_}: Kafka {_v(kv)}, the spec {_v(sv)}")
        kleader = None if g["leader"] is None else self._member(g["leader"])
        sleader = _hashable_member(post["leader"])
        if sleader is not None and kleader != sleader:
            d.append(f"leader: Kafka {_idtext(kleader)}, the spec {_idtext(sleader)}")
        elif post["leader"] is None and kleader is not None and not smembers:
            d.append(f"leader: Kafka {_idtext(kleader)}, the spec none (no members)")
        kp = {self._member(x) for x in g["pending"]}
        if kp != set(post["pending"]):
            d.append(f"pending: Kafka {_ids(kp)}, the spec {_ids(post['pending'])}")
        ks = {self._member(x) for x in g["pendingSync"]}
        if ks != set(post["pendingSync"]):
            d.append(f"pendingSync: Kafka {_ids(ks)}, the spec {_ids(post['pendingSync'])}")
        d += self._compare_persisted(k["persisted"], post["persisted"])
        d += self._compare_order(g, k["persisted"], post)
        kc = {int(p): o for p, o in k["committed"].items()}
        if kc != dict(post["committed"]):
            d.append(f"committed offsets: Kafka {kc}, the spec {dict(post['committed'])}")
        return d

    def _compare_persisted(self, kp, sp):
        if kp is None:
            kp = {"generation": 0, "leader": None, "members": []}
        d = []
        if kp["generation"] != sp["gen"]:
            d.append(f"persisted generation: Kafka {kp['generation']}, the spec {sp['gen']}")
        kl = None if not kp["leader"] else self._member(kp["leader"])
        if kl != _hashable_member(sp["leader"]):
            d.append(f"persisted leader: Kafka {_idtext(kl)}, the spec {_idtext(_hashable_member(sp['leader']))}")
        km = {self._member(m["member"]): m for m in kp["members"]}
        if set(km) != set(sp["members"]):
            d.append(f"persisted members: Kafka {_ids(km)}, the spec {_ids(sp['members'])}")
            return d
        for m, x in km.items():
            if frozenset(x["assignment"]) != frozenset(sp["members"][m]):
                d.append(f"persisted assignment of {_idtext(m)}: Kafka {sorted(x['assignment'])}, "
                         f"the spec {sorted(sp['members'][m])}")
            if _meta(x["meta"]) != _meta(sp["subscriptions"][m]):
                d.append(f"persisted subscription of {_idtext(m)}: Kafka {_v(_meta(x['meta']))}, "
                         f"the spec {_v(_meta(sp['subscriptions'][m]))}")
            if x["rebalanceTimeoutMs"] != REBALANCE_TIMEOUT_MS[sp["timeouts"][m]]:
                d.append(f"persisted rebalance timeout of {_idtext(m)}: Kafka {x['rebalanceTimeoutMs']}, "
                         f"the spec {REBALANCE_TIMEOUT_MS[sp['timeouts'][m]]}")
        return d

    def _kafka_ids(self, g, kp):
        """Kafka's member ids whose order can still matter: members and the persisted ones."""
        kids = [m["member"] for m in g["members"]] + [m["member"] for m in (kp or {}).get("members", [])]
        return list(dict.fromkeys(kids))

    def _note_order(self):
        """Count the steps after which Kafka's ids sort beyond consumer-major (item 6)."""
        g = self.kafka.get("group")
        if g and not self.static and not self.kafka.get("loading"):
            order = [self.rids.get(x) for x in sorted(self._kafka_ids(g, self.kafka.get("persisted")))]
            if None not in order and not _consumer_major(order):
                self.result.orders_beyond_consumer_major += 1

    def _compare_order(self, g, kp, post):
        """The ids the spec has placed in idOrder sort as Kafka's id strings do (static
        members: as their instance ids), the order Kafka's assignors sort by; and the
        spec keeps no id Kafka has dropped (a dynamic id is placed at join completion,
        so Kafka may hold ids the spec has not placed yet)."""
        kids = self._kafka_ids(g, kp)
        if self.static:
            inst = {self.ids[m]: self.instances[dict(m)["consumer"]] for m in self.ids}
            korder = list(dict.fromkeys(dict(self._member(x)).get("consumer")
                                        for x in sorted(kids, key=lambda x: inst.get(x, x))))
            sorder = list(dict.fromkeys(dict(_hashable_member(m))["consumer"] for m in post["idOrder"]))
            sorder = [c for c in sorder if c in korder]
            korder = [c for c in korder if c in sorder]
        else:
            sorder = [_hashable_member(m) for m in post["idOrder"]]
            korder = [m for m in (self._member(x) for x in sorted(kids)) if m in set(sorder)]
        if korder != sorder:
            show = (lambda xs: ", ".join(map(str, xs))) if self.static else \
                (lambda xs: ", ".join(_idtext(m) for m in xs))
            return [f"member-id order: Kafka's ids sort as [{show(korder)}], the spec's idOrder [{show(sorder)}]"]
        return []

    def _bindings(self, post, responses) -> dict:
        """The member ids Kafka issued in this step, mapped to the spec's: Kafka id -> MemberId
        (the id in the answer to consumer c's JoinGroup is the spec's id in c's answer)."""
        out = {}
        # Kafka's ids are clientId-UUID, one client.id for all consumers: the consumer is the
        # one whose JoinGroup the response answers; a static member's id is
        # groupInstanceId-UUID, and it may be added with its JoinGroup still parked.
        seen = [(kr["member"], self._sent.get(kr["id"])) for kr in responses
                if kr["api"] == "JoinGroup" and kr.get("member")]
        g = self.kafka.get("group") or {}
        by_instance = {v: c for c, v in self.instances.items()}
        seen += [(kid, by_instance.get(kid[:-37]))           # "-" and a 36-character java.util.UUID
                 for kid in [m["member"] for m in g.get("members", [])] + list(g.get("pending", []))]
        for kid, c in dict.fromkeys(seen):
            if kid in self.rids or c is None:
                continue
            # A new id is the spec's next id of that consumer, if the spec issued one in this step.
            if c in post["idsIssued"] and post["idsIssued"][c] == self._pre["idsIssued"][c] + 1:
                m = _mid(c, self._pre["idsIssued"][c])
                if m not in self.ids:
                    out[kid] = m
        return out

    def _bind(self, pre, post, responses):
        for kid, m in self._bindings(post, responses).items():
            self.ids[m] = kid
            self.rids[kid] = m

    def _settle(self, responses):
        answered = {r["id"] for r in responses}
        for c in [c for c, rid in self.outstanding.items() if rid in answered]:
            del self.outstanding[c]

    def _diverge(self, action, params, pre, responses, diffs, after):
        res = self.result
        k = len(res.divergences) + 1
        path = None
        if self.out_dir is not None:
            try:
                path = str(write_trace(self.out_dir / self.name / f"against-kafka-{k}.itf.json", self.model,
                                       self.model.export_trace(self.trace),
                                       description=f"the spec's prefix before {action}, "
                                                   f"where Kafka diverged: {'; '.join(diffs[:3])}"))
            except OSError:
                path = None
        raise Diverged(Divergence(self.behaviour, len(self.trace) - 1, action, diffs,
                                  responses, self.kafka, pre, after, path))


def _already(pre, c):
    out = set()
    if pre["rejoinNeeded"][c]:
        out.add("rejoin")
    if pre["clientGen"][c] == -1:
        out.add("reset_gen")
    if pre["memberId"][c] is None:
        out.add("reset_member")
    return out


def _consumer_major(order) -> bool:
    """Could a sort by (consumer, incarnation) give this order, the consumers renamed?
    Yes iff each consumer's ids are together and in incarnation order."""
    seen, last = [], {}
    for m in order:
        if not isinstance(m, tuple) or m[:1] == ("unmapped",):
            return True
        d = dict(m)
        c, inc = d["consumer"], d["inc"]
        if c in last and (seen[-1] != c or inc < last[c]):
            return False
        if not seen or seen[-1] != c:
            seen.append(c)
        last[c] = inc
    return True


def _hashable_member(m):
    if isinstance(m, dict):
        return tuple(sorted(m.items()))
    return m



def _meta(s):
    if isinstance(s, dict) and "owned" in s:
        return (frozenset(s["owned"]), s["gen"])
    return s


def _v(x):
    if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], frozenset):
        return f"owned {sorted(x[0])} gen {x[1]}"
    if isinstance(x, frozenset):
        return sorted(x)
    return x


def _idtext(m):
    if m is None:
        return "none"
    if isinstance(m, tuple) and m and m[0] == "unmapped":
        return f"<Kafka id {m[1]} never issued to the spec>"
    d = dict(m)
    return f"{d['consumer']}#{d['inc']}"


def _ids(ms):
    return "{" + ", ".join(sorted(_idtext(m) for m in ms)) + "}"


def _show(members):
    return "{" + ", ".join(f"{_idtext(m)}: {_v(s)}" for m, s in sorted(members.items(), key=lambda x: _idtext(x[0]))) + "}"


# ---------------------------------------------------------------------------- exploration

def _graph(model, depth=None, cap=2_000_000):
    """The spec's state graph to `depth` (None: all of it), breadth-first until it holds more
    than `cap` states: parents for shortest paths, distances, and the transitions out of
    states at depth < `depth` in the order found (constrained states are not expanded)."""
    init = model.init_states()[0]
    parent = {init: None}
    dist = {init: 0}
    transitions = []
    layer = [init]
    d = 0
    while layer and (depth is None or d < depth):
        nxt = []
        for s in layer:
            if model.check_constraints is not None and model.check_constraints(s) >= 0:
                continue
            for a, p, t in model.labelled_successors(s):
                transitions.append((s, a, p, t))
                if t not in dist:
                    dist[t] = d + 1
                    parent[t] = (s, a, p)
                    nxt.append(t)
        layer = nxt
        d += 1
        if len(dist) > cap:
            break
    return parent, dist, transitions


def _path(parent, s):
    out = []
    while parent[s] is not None:
        ps, a, p = parent[s]
        out.append((ps, a, p, s))
        s = ps
    return out[::-1]


def reachable_cells(model, depth=None, cap=300_000) -> set:
    """(action, groupState) of every transition of the spec within `depth` (or until `cap` states)."""
    return set(_first_transitions(model, depth, cap)[0])


def _first_transitions(model, depth=None, cap=300_000):
    """({cell: the first transition found into it}, parents), breadth-first: the transitions
    end shortest paths from the initial state."""
    gs = model.var_names.index("groupState")
    from checker.lang.values import to_plain
    gt = model.var_types[gs]
    parent, _, transitions = _graph(model, depth, cap)
    cells, last, g = {}, None, None
    for s, a, p, t in transitions:
        if s is not last:              # a state's transitions come together
            last, g = s, to_plain(model.export_state(s)[gs] if model.packed else s[gs], gt)
        cells.setdefault((model.action_names[a], g), (s, a, p, t))
    return cells, parent


def _reach_missed(model, runner, result, progress):
    """After random walks: each cell the spec reaches that no walk executed gets behaviours
    of its own, a shortest path to it and the transition (the exhaustive mode's plans)."""
    cells, parent = _first_transitions(model)
    result.reachable_cells = set(cells)
    targets = [cells[c] for c in result.missed_cells if c[0] not in UNSUPPORTED]
    before = result.behaviours
    _cover(model, runner, result, targets, range(len(targets)), parent, set(), Counter(),
           lambda s, a, p, t: (s, a, p, t), progress)
    result.aimed = result.behaviours - before


def against_kafka(model_or_path, consts=None, *, depth=None, runs=None, steps=None, seed=0,
                  progress=None, out_dir="counterexamples", expect=None, probe=True,
                  walk_faults=True, harness=None) -> OracleResult:
    """Run the spec's behaviours on Apache Kafka's group coordinator and compare each step.

    depth: exhaustive mode: every transition (s, action, t) of the spec's state graph with
      s at distance < depth from the initial state is taken by at least one behaviour that
      reaches s by a shortest path (unless Kafka's own choice, e.g. of the leader, made the
      behaviour leave that path, `transitions_kafka_chose_otherwise`).
    runs/steps/seed: random walks: `runs` behaviours of up to `steps` spec steps, each
      picking uniformly among the enabled steps (Kafka decides among a step's outcomes).
      After its steps each walk fires one of Kafka's own timers (heartbeat, join, sync)
      if the spec's fault budget is unspent (`probe`): the spec must allow what it does.
      walk_faults=False: the walks themselves spend no fault (only steps that spend none
      are drawn, unless nothing else is enabled), so that the probe always may.
    expect: for tests, a function applied to each spec successor's plain state before it
      is compared (a deliberately wrong expectation must be reported).
    harness: a running Harness to reuse (it is reset for each behaviour).
    Stops at the first divergence (result.divergences has it, exit_code 14); a harness
    that crashes raises HarnessCrashed.
    """
    model, name = load_model(model_or_path, consts)
    own = harness is None
    h = harness or Harness("coordinator", MAIN_CLASS, jvm_args=("-Xmx512m", "-XX:+UseSerialGC",
                                                                  "-XX:TieredStopAtLevel=1"))
    start = time.monotonic()
    try:
        version = h.call({"op": "init"})["kafka_version"]
        mode = "exhaustive" if depth is not None else "random"
        result = OracleResult(kafka_version=version, mode=mode, depth=depth)
        runner = Runner(model, h, result, Path(out_dir) if out_dir else None, name, expect)
        try:
            if depth is not None:
                _exhaustive(model, runner, result, depth, progress)
            if runs:
                result.mode = "exhaustive+random" if depth is not None else "random"
                _random(model, runner, result, runs, steps or 50, seed, progress, probe, walk_faults)
                if depth is None:
                    _reach_missed(model, runner, result, progress)
        except Diverged as e:
            result.divergences.append(e.divergence)
        if depth is not None:
            result.reachable_cells = {(model.action_names[a], runner.view(s)["groupState"])
                                      for s, a, p, t in runner._transitions}
        elif not result.reachable_cells:
            result.reachable_cells = reachable_cells(model)
        result.elapsed = time.monotonic() - start
        return result
    finally:
        if own:
            h.close()


def _steered_why(runner, plan) -> str:
    """Why a transition (the last of `plan`, a shortest path to it) was never taken: it
    follows the broker's NOT_COORDINATOR while the partition loads (K3: before the load is
    scheduled, outside the shard the harness runs), or a choice of Kafka's own (the
    leader, the order of its random ids) that it did not make."""
    for s, a, p, t in plan:
        pre, post = runner.view(s), runner.view(t)
        if runner.model.action_names[a] == "HandleJoinGroup" and pre["loading"] and any(
                post["toClient"][c] != pre["toClient"][c] and post["toClient"][c]["error"] == "NOT_COORDINATOR"
                for c in post["toClient"]):
            return "after NOT_COORDINATOR while loading (K3: the broker's answer, not the shard's)"
    return "a choice Kafka did not make (its leader, its ids' order)"


def _due(runner, s):
    v = runner.view(s)
    return not v["loading"] and runner.join_due(**v)


def model_params(model, a, p):
    from checker.lang.values import to_plain
    types = model.action_params.get(a, {})
    return {n: to_plain(v, types[n]) for n, v in p}


def _exhaustive(model, runner, result, depth, progress):
    parent, dist, transitions = _graph(model, depth)
    runner._transitions = transitions
    result.transitions = len(transitions)
    covered = set()
    attempts = Counter()
    order = sorted(range(len(transitions)), key=lambda i: -dist[transitions[i][0]])
    key = lambda s, a, p, t: (s, a, p, t)   # noqa: E731
    try:
        _cover(model, runner, result, transitions, order, parent, covered, attempts, key, progress)
    finally:                           # a divergence stops the run: say how far it got
        runner._uncovered = [tr for tr in transitions if key(*tr) not in covered]
        result.transitions_covered = len(transitions) - len(runner._uncovered)
        due = [tr for tr in runner._uncovered if _due(runner, tr[0])]
        result.transitions_from_due_states = len(due)
        result.transitions_kafka_chose_otherwise = len(runner._uncovered) - len(due)
        result.steered = Counter(_steered_why(runner, _path(parent, s) + [(s, a, p, t)])
                                 for s, a, p, t in runner._uncovered if not _due(runner, s))


def _cover(model, runner, result, transitions, order, parent, covered, attempts, key, progress):
    for i in order:
        s, a, p, t = transitions[i]
        if key(s, a, p, t) in covered:
            continue
        while key(s, a, p, t) not in covered and attempts[key(s, a, p, t)] < MAX_ATTEMPTS:
            attempts[key(s, a, p, t)] += 1
            plan = _path(parent, s) + [(s, a, p, t)]
            result.behaviours += 1
            runner.reset(result.behaviours)
            closure = None             # (state before, state after) of a CompleteJoin taken eagerly
            for (ps, pa, pp, pt) in plan:
                name = model.action_names[pa]
                if name == "CompleteJoin" and closure is not None and closure[0] == ps:
                    if closure[1] != pt:
                        break                  # Kafka completed the join otherwise (another leader)
                    covered.add(key(ps, pa, pp, pt))
                    closure = None
                    continue
                if runner.cur != ps:
                    break                      # Kafka chose otherwise earlier on
                closure = None
                got, via = runner.do(name, model_params(model, pa, pp), planned=pt)
                if via is not None:
                    closure = (via, got)
                    if via == pt:
                        covered.add(key(ps, pa, pp, pt))
                    else:
                        break
                elif got == pt:
                    covered.add(key(ps, pa, pp, pt))
                else:
                    break
            if progress:
                progress(result)


def _probe(model, runner, rng):
    pre = runner.view(runner.cur)
    if pre["loading"] or not runner.faults_left(**pre) or pre["timeouts"] >= model.constants["TIMEOUTS"] \
            or runner.join_due(**pre):
        return False
    keys = [t["key"] for t in runner.kafka["timers"] if t["key"].split("-")[0] in ("heartbeat", "join", "sync")]
    if not keys:
        return False
    runner.probe_timer(rng.choice(keys))
    return True


def _random(model, runner, result, runs, steps, seed, progress, probe=True, walk_faults=True):
    rng = random.Random(seed)
    for _ in range(runs):
        result.behaviours += 1
        runner.reset(result.behaviours)
        faults_from = rng.randrange(steps) if walk_faults else steps
        taken = 0
        for i in range(steps):
            s = runner.cur
            if model.check_constraints is not None and model.check_constraints(s) >= 0:
                break
            options = [(a, p, t) for a, p, t in model.steps(s) if a not in UNSUPPORTED]
            if not options:
                break
            if i < faults_from:
                f0 = _faults(runner.view(s))
                weights = [0.0 if _faults(runner.view(t)) > f0 else 1.0 for _, _, t in options]
            else:
                weights = [1.0] * len(options)
            # coverage-guided: a step into a cell (action x group state) no walk has reached yet
            # is drawn NEW_CELL_WEIGHT times as often, so rare cells are reached too
            g = runner.view(s)["groupState"]
            weights = [w * (NEW_CELL_WEIGHT if (a, g) not in result.coverage else 1.0)
                       for w, (a, _, _) in zip(weights, options)]
            if not any(weights):
                weights = None
            a, p, t = rng.choices(options, weights)[0]
            runner.do(a, p, planned=t)
            taken += 1
        result.full_walks += taken == steps
        # one more step: one of Kafka's own timers (a fired timer is gone from Kafka, so
        # this ends the behaviour)
        if probe:
            result.probes += bool(_probe(model, runner, rng))
        if progress:
            progress(result)
