"""Kafka's own ConsumerCoordinator (classic protocol) as the oracle of the spec's client
actions: the harness (harness/client) on its own, a bounded model-based run, and a
deliberately wrong spec that the oracle must report. They need a JDK and Maven (and
Maven Central once): `slow`; without them they fail with MissingTool's message."""
from __future__ import annotations

from pathlib import Path

import pytest

from checker.oracle import jvm
from checker.oracle.client import JVM_ARGS, MAIN_CLASS, MODULE, against_kafka_client

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TWO = ROOT / "models" / "two-consumers.toml"


@pytest.fixture(scope="module")
def harness():
    h = jvm.Harness(MODULE, MAIN_CLASS, JVM_ARGS)
    yield h
    h.close()


def client(answer, i=0):
    return answer["clients"][i]


def requests(answer, api, i=0):
    return [r for r in client(answer, i)["requests"] if r["api"] == api]


def stable_alone(h, assignor="range"):
    """Consumer 0 joins an otherwise empty group and syncs {0, 1} in generation 1."""
    h.call({"op": "reset", "consumers": 2, "partitions": 2, "assignor": assignor})
    a = h.call({"op": "poll", "c": 0})
    assert requests(a, "JoinGroup")[0]["member_id"] == ""
    a = h.call({"op": "respond", "c": 0, "api": "JoinGroup", "error": "MEMBER_ID_REQUIRED", "member_id": "c0-m0"})
    assert requests(a, "JoinGroup")[0]["member_id"] == "c0-m0"
    a = h.call({"op": "respond", "c": 0, "api": "JoinGroup", "error": "NONE", "member_id": "c0-m0",
                "generation": 1, "leader_id": "c0-m0", "members": [{"id": "c0-m0", "owned": [], "gen": -1}]})
    assert client(a)["state"] == "COMPLETING_REBALANCE" and client(a)["leader"]
    sync = requests(a, "SyncGroup")[0]        # the leader's SyncGroup goes out with the JoinGroup response
    assert sync["assignments"] == {"c0-m0": [0, 1]} and sync["generation"] == 1
    a = h.call({"op": "respond", "c": 0, "api": "SyncGroup", "error": "NONE", "assignment": [0, 1]})
    return a


def test_a_join_and_sync_round_makes_the_client_stable_with_its_assignment(harness):
    a = stable_alone(harness)
    c = client(a)
    assert (c["state"], c["generation"], c["member_id"], c["owned"], c["rejoin"]) == \
        ("STABLE", 1, "c0-m0", [0, 1], False)
    assert [e["kind"] for e in c["events"]] == ["assigned"] and c["events"][0]["partitions"] == [0, 1]


def test_an_illegal_generation_heartbeat_resets_the_generation_and_rejoins(harness):
    stable_alone(harness)
    a = harness.call({"op": "heartbeat", "c": 0, "error": "ILLEGAL_GENERATION"})
    assert a["request"]["generation"] == 1 and a["request"]["member_id"] == "c0-m0"
    c = client(a)
    # ILLEGAL_GENERATION keeps the member id (UNKNOWN_MEMBER_ID would reset it too)
    assert (c["state"], c["generation"], c["member_id"], c["rejoin"]) == ("UNJOINED", -1, "c0-m0", True)
    assert c["owned"] == [0, 1]               # lost only at the next poll (onJoinPrepare)
    a = harness.call({"op": "poll", "c": 0})
    join = requests(a, "JoinGroup")[0]
    assert (join["member_id"], join["owned"], join["sub_generation"]) == ("c0-m0", [], -1)
    assert [(e["kind"], e["partitions"]) for e in client(a)["events"]] == [("lost", [0, 1])]


@pytest.mark.parametrize("assignor, kept, told", [("range", [], [("revoked", [0, 1])]),
                                                  ("cooperative_sticky", [0, 1], [])])
def test_eager_revokes_everything_on_rejoin_and_cooperative_keeps_it(harness, assignor, kept, told):
    stable_alone(harness, assignor)
    a = harness.call({"op": "heartbeat", "c": 0, "error": "REBALANCE_IN_PROGRESS"})
    assert client(a)["rejoin"] and client(a)["state"] == "STABLE"
    a = harness.call({"op": "poll", "c": 0})
    join = requests(a, "JoinGroup")[0]
    assert client(a)["owned"] == kept and join["owned"] == kept
    assert join["sub_generation"] == 1
    assert [(e["kind"], e["partitions"]) for e in client(a)["events"]] == told


def test_a_commit_in_a_stale_generation_is_fenced(harness):
    stable_alone(harness)
    a = harness.call({"op": "commit", "c": 0, "offsets": {"0": 1}})
    commit = requests(a, "OffsetCommit")[0]
    assert (commit["member_id"], commit["generation"], commit["offsets"]) == ("c0-m0", 1, {"0": 1})
    a = harness.call({"op": "respond", "c": 0, "api": "OffsetCommit", "error": "ILLEGAL_GENERATION",
                      "id": commit["id"], "then": "network"})
    c = client(a)
    assert (c["state"], c["generation"], c["rejoin"]) == ("UNJOINED", -1, True)
    assert [e for e in c["events"] if e["kind"] == "commit"] == [{"kind": "commit", "error": "CommitFailedException"}]


def test_a_bounded_run_of_the_two_consumer_model_conforms(harness):
    res = against_kafka_client(TWO, depth=10, harness=harness)
    assert res.kafka_version == "4.3.1"
    assert res.exit_code == 0 and res.divergences == []
    assert res.behaviours > 500 and res.transitions_executed > 0.9 * res.transitions
    for cell in ("SendJoinGroup @ UNJOINED", "ReceiveJoinGroup @ PREPARING_REBALANCE",
                 "SendSyncGroup @ COMPLETING_REBALANCE", "ReceiveSyncGroup @ COMPLETING_REBALANCE",
                 "SendHeartbeat @ COMPLETING_REBALANCE", "Crash @ PREPARING_REBALANCE"):
        assert res.coverage.get(cell, 0) > 0, cell
    walk = against_kafka_client(ROOT / "models" / "default.toml", runs=20, steps=40, seed=3, harness=harness)
    assert walk.exit_code == 0 and walk.behaviours == 20 and walk.steps > 300


def test_a_deliberately_wrong_spec_is_reported_as_a_divergence(harness, tmp_path):
    # The wrong expectation: a SyncGroup answer leaves the consumer owning nothing.
    spec = (ROOT / "spec" / "group.gdsl").read_text()
    wrong = spec.replace("      owned[c] = r.assignment\n", "      owned[c] = {}\n", 1)
    assert wrong != spec
    path = tmp_path / "group.gdsl"
    path.write_text(wrong)
    res = against_kafka_client(path, {"CONSUMERS": "2"}, depth=10, harness=harness, out_dir=tmp_path / "cx")
    assert res.exit_code == 14
    d = res.divergences[0]
    assert d.action.startswith("ReceiveSyncGroup") and "owned" in d.message
    assert d.kafka["owned"] != d.spec["owned"] == []
    assert Path(d.trace).exists()


def test_finding_a_retried_leader_keeps_believing_it_leads_as_a_follower(harness):
    """docs/kafka-findings.md, "Consumer coordinator (client)", finding 1: in Kafka 4.3.1 a
    leader whose SyncGroup is answered REBALANCE_IN_PROGRESS rejoins without onJoinPrepare,
    so `isLeader` and the leader's assignment snapshot survive into a generation it only
    follows; the follower then rejoins when the topic grows (a leader-only duty). If this
    test fails, Kafka changed: re-check the finding."""
    h = harness
    h.call({"op": "reset", "consumers": 1, "partitions": 2, "assignor": "range"})
    h.call({"op": "poll", "c": 0})
    h.call({"op": "respond", "c": 0, "api": "JoinGroup", "error": "MEMBER_ID_REQUIRED", "member_id": "c0-m0"})
    h.call({"op": "respond", "c": 0, "api": "JoinGroup", "error": "NONE", "member_id": "c0-m0", "generation": 1,
            "leader_id": "c0-m0", "members": [{"id": "c0-m0", "owned": [], "gen": -1}]})
    a = h.call({"op": "respond", "c": 0, "api": "SyncGroup", "error": "REBALANCE_IN_PROGRESS"})
    assert requests(a, "JoinGroup")           # rejoined at once, without onJoinPrepare
    a = h.call({"op": "respond", "c": 0, "api": "JoinGroup", "error": "NONE", "member_id": "c0-m0",
                "generation": 2, "leader_id": "c1-m0", "members": []})
    assert client(a)["state"] == "COMPLETING_REBALANCE" and client(a)["leader"]      # a follower, told so
    a = h.call({"op": "respond", "c": 0, "api": "SyncGroup", "error": "NONE", "assignment": [1]})
    assert client(a)["state"] == "STABLE" and client(a)["assignment_snapshot"]
    h.call({"op": "grow", "partitions": 3})
    a = h.call({"op": "poll", "c": 0})
    assert requests(a, "JoinGroup") and [e["kind"] for e in client(a)["events"]] == ["revoked"]
