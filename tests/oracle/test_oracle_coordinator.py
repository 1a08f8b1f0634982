"""Apache Kafka's group coordinator as the oracle: the harness protocol and the MBT driver.

These run Kafka 4.3.1's own GroupCoordinatorShard (harness/coordinator), built by Maven on
first use: they are `slow` (`python3 -m pytest -q -m slow`, and .ci/run). Without a JDK or
Maven they fail with MissingTool's message, never skip (MissingTool is tested on its own).
"""
from __future__ import annotations

import shutil

import pytest

from checker.oracle import jvm
from checker.oracle.coordinator import EXIT_DIVERGENCE, MAIN_CLASS, against_kafka
from checker.oracle.jvm import Harness, MissingTool

needs_jvm = pytest.mark.slow       # a JDK, Maven, and Maven Central once (for the jars)
GROUP = "group"


@pytest.fixture(scope="module")
def harness():
    h = Harness("coordinator", MAIN_CLASS, jvm_args=("-Xmx512m", "-XX:+UseSerialGC"))
    yield h
    h.close()


def join(h, rid, client, member="", epoch=0, owned=(), gen=-1, instance=None):
    op = {"op": "join", "id": rid, "client": client, "member": member, "epoch": epoch,
          "meta": {"owned": list(owned), "gen": gen}, "version": 9,
          "rebalanceTimeoutMs": 300000, "sessionTimeoutMs": 45000}
    if instance:
        op["instance"] = instance
    return h.call(op)


def stable_group_of_one(h):
    """A consumer joins (MEMBER_ID_REQUIRED, then with its id), the initial delay ends,
    it syncs: Stable, generation 1. Returns its member id."""
    h.call({"op": "init", "partitions": 2})
    a = join(h, 1, "consumer-1")
    assert a["responses"][0]["error"] == "MEMBER_ID_REQUIRED"
    mid = a["responses"][0]["member"]
    assert a["state"]["group"]["pending"] == [mid]
    a = join(h, 2, "consumer-1", member=mid)
    assert a["responses"] == []                       # parked: the initial delay runs
    assert a["state"]["group"]["state"] == "PreparingRebalance"
    assert any(t["key"] == f"join-{GROUP}" for t in a["state"]["timers"])
    a = h.call({"op": "fire_join"})
    (r,) = a["responses"]
    assert (r["id"], r["error"], r["generation"], r["leader"]) == (2, "NONE", 1, mid)
    assert a["state"]["group"]["state"] == "CompletingRebalance"
    a = h.call({"op": "sync", "id": 3, "client": "consumer-1", "member": mid, "generation": 1, "epoch": 0,
                "assignment": {mid: [0, 1]}})
    (r,) = a["responses"]
    assert (r["api"], r["error"], r["assignment"]) == ("SyncGroup", "NONE", [0, 1])
    return mid, a


# ---------------------------------------------------------------------------- missing tools

def test_missing_java_is_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingTool, match=r"needs `java`.*install a JDK"):
        Harness("coordinator", MAIN_CLASS)


def test_missing_maven_is_a_clear_message(monkeypatch, tmp_path):
    if shutil.which("java") is None:
        pytest.skip("needs java to get as far as Maven")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(shutil.which("java"))
    monkeypatch.setenv("PATH", str(bin_dir))
    # a harness tree with no build yet, so that Maven is needed
    fake = tmp_path / "harness"
    (fake / "coordinator").mkdir(parents=True)
    (fake / "pom.xml").write_text("<project/>")
    (fake / "coordinator" / "pom.xml").write_text("<project/>")
    monkeypatch.setattr(jvm, "HARNESS_DIR", fake)
    with pytest.raises(MissingTool, match=r"needs `mvn`.*install Maven"):
        jvm.build("coordinator")


# ---------------------------------------------------------------------------- harness protocol

@needs_jvm
def test_init_names_the_kafka_version(harness):
    a = harness.call({"op": "init"})
    assert a["kafka_version"] == "4.3.1"


@needs_jvm
def test_join_sync_round_gives_a_stable_group(harness):
    mid, a = stable_group_of_one(harness)
    g = a["state"]["group"]
    assert (g["state"], g["generation"], g["leader"]) == ("Stable", 1, mid)
    assert g["members"][0]["assignment"] == [0, 1]
    p = a["state"]["persisted"]                         # the leader's SyncGroup stored the group
    assert (p["generation"], p["leader"], p["members"][0]["assignment"]) == (1, mid, [0, 1])


@needs_jvm
def test_a_fired_session_timer_removes_the_member(harness):
    mid, _ = stable_group_of_one(harness)
    a = harness.call({"op": "fire", "key": f"heartbeat-{GROUP}-{mid}"})
    assert a["fired"]
    g = a["state"]["group"]
    # the last member gone: the join phase completes at once, Empty one generation on
    assert (g["state"], g["generation"], g["members"]) == ("Empty", 2, [])
    assert a["state"]["persisted"]["generation"] == 2


@needs_jvm
def test_heartbeat_answers(harness):
    mid, _ = stable_group_of_one(harness)
    hb = {"op": "heartbeat", "id": 9, "client": "consumer-1", "member": mid, "epoch": 0}
    assert harness.call({**hb, "generation": 1})["responses"][0]["error"] == "NONE"
    assert harness.call({**hb, "generation": 0})["responses"][0]["error"] == "ILLEGAL_GENERATION"
    assert harness.call({**hb, "generation": 1, "member": "nobody"})["responses"][0]["error"] == "UNKNOWN_MEMBER_ID"


@needs_jvm
def test_failover_with_a_request_in_flight(harness):
    mid, _ = stable_group_of_one(harness)
    # a second consumer joins: consumer-1's next JoinGroup would be parked; here consumer-2's is
    a = join(harness, 4, "consumer-2")
    mid2 = a["responses"][0]["member"]
    a = join(harness, 5, "consumer-2", member=mid2)
    assert a["responses"] == [] and a["state"]["group"]["state"] == "PreparingRebalance"
    a = harness.call({"op": "failover"})
    # the parked JoinGroup is answered by the unloaded coordinator
    assert [(r["id"], r["error"]) for r in a["responses"]] == [(5, "NOT_COORDINATOR")]
    assert a["state"]["loading"] and a["state"]["epoch"] == 1
    # the new coordinator while it loads; a request to the old one
    assert join(harness, 6, "consumer-2", member=mid2, epoch=1)["responses"][0]["error"] == \
        "COORDINATOR_LOAD_IN_PROGRESS"
    hb = harness.call({"op": "heartbeat", "id": 7, "member": mid, "generation": 1, "epoch": 1})
    assert hb["responses"][0]["error"] == "NONE"        # GroupCoordinatorService: "blindly"
    sync = harness.call({"op": "sync", "id": 8, "member": mid, "generation": 1, "epoch": 1, "assignment": {}})
    assert sync["responses"][0]["error"] == "COORDINATOR_LOAD_IN_PROGRESS"
    assert join(harness, 9, "consumer-1", member=mid, epoch=0)["responses"][0]["error"] == "NOT_COORDINATOR"
    a = harness.call({"op": "load"})
    g = a["state"]["group"]
    # the last committed GroupMetadata record: generation 1, consumer-1 alone, Stable
    assert (g["state"], g["generation"], [m["member"] for m in g["members"]]) == ("Stable", 1, [mid])


@needs_jvm
def test_held_appends_hold_the_answer_and_failover_fails_them(harness):
    mid, _ = stable_group_of_one(harness)
    harness.call({"op": "appends", "mode": "hold"})
    commit = {"op": "commit", "id": 10, "member": mid, "generation": 1, "epoch": 0, "offsets": {"0": 1}}
    a = harness.call(commit)
    assert a["responses"] == [] and a["state"]["appends"]["waiting"] == 1
    assert a["state"]["committed"] == {}
    a = harness.call({"op": "commit_appends"})
    assert [(r["id"], r["error"]) for r in a["responses"]] == [(10, "NONE")]
    assert a["state"]["committed"] == {"0": 1}
    a = harness.call({**commit, "id": 11, "offsets": {"0": 0}})
    assert a["responses"] == []
    a = harness.call({"op": "failover"})
    assert [(r["id"], r["error"]) for r in a["responses"]] == [(11, "NOT_COORDINATOR")]
    a = harness.call({"op": "load"})
    assert a["state"]["committed"] == {"0": 1}          # the uncommitted write is lost
    harness.call({"op": "appends", "mode": "auto"})
    fetch = harness.call({"op": "fetch", "id": 12, "epoch": 1, "partitions": [0, 1]})
    assert fetch["responses"][0]["offsets"] == {"0": 1}


@needs_jvm
def test_a_failed_append_is_answered_as_the_service_layer_does(harness):
    mid, _ = stable_group_of_one(harness)
    harness.call({"op": "appends", "mode": "hold"})
    a = harness.call({"op": "commit", "id": 30, "member": mid, "generation": 1, "epoch": 0, "offsets": {"0": 1}})
    assert a["responses"] == []
    a = harness.call({"op": "fail_appends", "error": "NOT_ENOUGH_REPLICAS"})
    # CoordinatorOperationExceptionHelper: NOT_ENOUGH_REPLICAS -> COORDINATOR_NOT_AVAILABLE
    assert [(r["id"], r["error"]) for r in a["responses"]] == [(30, "COORDINATOR_NOT_AVAILABLE")]
    assert a["state"]["committed"] == {} and a["state"]["appends"]["written"] == a["state"]["appends"]["committed"]
    harness.call({"op": "appends", "mode": "auto"})


@needs_jvm
def test_commit_fencing(harness):
    mid, _ = stable_group_of_one(harness)
    commit = {"op": "commit", "id": 13, "member": mid, "epoch": 0, "offsets": {"1": 1}}
    assert harness.call({**commit, "generation": 0})["responses"][0]["error"] == "ILLEGAL_GENERATION"
    assert harness.call({**commit, "generation": 1, "member": "x"})["responses"][0]["error"] == "UNKNOWN_MEMBER_ID"
    a = harness.call({**commit, "generation": 1})
    assert a["responses"][0]["error"] == "NONE" and a["state"]["committed"] == {"1": 1}


@needs_jvm
def test_static_member_joins_without_member_id_required(harness):
    harness.call({"op": "init"})
    a = join(harness, 1, "consumer-1", instance="instance-1")
    assert a["responses"] == []                          # parked at once: no MEMBER_ID_REQUIRED round
    (m,) = a["state"]["group"]["members"]
    assert m["instance"] == "instance-1" and m["member"].startswith("instance-1-")


@needs_jvm
def test_a_harness_failure_is_a_crash_not_a_divergence(harness):
    with pytest.raises(jvm.HarnessCrashed, match="unknown op"):
        harness.call({"op": "no-such-op"})
    assert harness.call({"op": "init"})["kafka_version"] == "4.3.1"     # still answering


# ---------------------------------------------------------------------------- the MBT driver

@needs_jvm
def test_bounded_exhaustive_run_agrees_with_kafka(harness, tmp_path):
    r = against_kafka("models/two-consumers.toml", depth=8, harness=harness, out_dir=tmp_path)
    assert r.kafka_version == "4.3.1"
    assert r.exit_code == 0, [d.summary() for d in r.divergences]
    assert r.behaviours > 50 and r.kafka_steps > 100
    # every transition not taken is the broker's NOT_COORDINATOR while loading (K3), which
    # the shard the harness runs cannot give, or follows it; Kafka's own choices were all met
    # within 24 tries
    assert set(r.steered) <= {"after NOT_COORDINATOR while loading (K3: the broker's answer, not the shard's)"}
    assert sum(r.steered.values()) == r.transitions_kafka_chose_otherwise
    assert r.transitions_covered + r.transitions_from_due_states + r.transitions_kafka_chose_otherwise == r.transitions
    assert ("HandleJoinGroup", "Empty") in r.coverage and ("HandleSyncGroup", "CompletingRebalance") in r.coverage


@needs_jvm
def test_random_walks_agree_with_kafka(harness, tmp_path):
    r = against_kafka("models/two-consumers.toml", runs=5, steps=40, seed=3, harness=harness, out_dir=tmp_path)
    assert r.exit_code == 0, [d.summary() for d in r.divergences]
    assert r.behaviours == 5 + r.aimed and r.steps > 20
    assert r.missed_cells == [], "every cell the spec reaches is reached: by a walk, or by a behaviour aimed at it"


@needs_jvm
def test_a_wrong_expectation_is_a_divergence(harness, tmp_path):
    """The comparison can fail: expecting one generation more than the spec says is caught,
    reported with the step, Kafka's answer and a replayable trace of the spec's prefix."""
    def wrong(post):
        return {**post, "generation": post["generation"] + 1}
    r = against_kafka("models/two-consumers.toml", depth=4, harness=harness, out_dir=tmp_path, expect=wrong)
    assert r.exit_code == EXIT_DIVERGENCE
    (d,) = r.divergences
    assert any("generation" in x for x in d.differences)
    assert d.trace and (tmp_path / "two-consumers").is_dir()
    assert "group" in d.kafka_state and d.spec_before["generation"] + 1 != d.kafka_state.get("generation", -99)


@needs_jvm
def test_a_wrong_response_is_a_divergence(harness, tmp_path):
    def wrong(post):
        tc = dict(post["toClient"])
        for c, r in tc.items():
            if r is not None and r["error"] == "MEMBER_ID_REQUIRED":
                tc[c] = {**r, "error": "UNKNOWN_MEMBER_ID"}
        return {**post, "toClient": tc}
    r = against_kafka("models/two-consumers.toml", depth=3, harness=harness, out_dir=tmp_path, expect=wrong)
    assert r.exit_code == EXIT_DIVERGENCE
    assert "MEMBER_ID_REQUIRED" in r.divergences[0].summary()


# ---------------------------------------------------------------------------- findings (docs/kafka-findings.md)

@needs_jvm
def test_finding_static_member_that_misses_the_join_deadline_stays_a_member(harness):
    """Kafka 4.3.1: a static member (here the leader, owning partitions 0 and 1) that does
    not rejoin before the rebalance timeout stays in the group, keeps no JoinGroup answer,
    and the next generation is led by a member that did rejoin, which assigns its
    partitions away: two members of the group own partition 1 until it hears of it."""
    harness.call({"op": "init", "partitions": 2})
    join(harness, 1, "consumer-1", instance="instance-1")
    a = harness.call({"op": "fire_join"})
    (r1,) = a["responses"]
    s1 = r1["member"]
    harness.call({"op": "sync", "id": 2, "member": s1, "generation": 1, "epoch": 0,
                  "instance": "instance-1", "assignment": {s1: [0, 1]}})
    a = join(harness, 3, "consumer-2", instance="instance-2")
    assert a["state"]["group"]["state"] == "PreparingRebalance"
    a = harness.call({"op": "fire_join"})                      # the rebalance timeout: instance-1 did not rejoin
    (r2,) = a["responses"]                                      # only instance-2 is answered
    s2 = r2["member"]
    g = a["state"]["group"]
    assert (g["state"], g["generation"], g["leader"]) == ("CompletingRebalance", 2, s2)
    assert r2["leader"] == s2 and {m["member"] for m in r2["members"]} == {s1, s2}
    assert {m["member"] for m in g["members"]} == {s1, s2}      # instance-1 is still a member


@needs_jvm
def test_finding_syncgroup_to_a_loading_coordinator(harness):
    """Kafka 4.3.1 answers a SyncGroup sent to the new coordinator while it loads with
    COORDINATOR_LOAD_IN_PROGRESS (the Scala coordinator said REBALANCE_IN_PROGRESS);
    the Java client's SyncGroupResponseHandler has no case for it."""
    mid, _ = stable_group_of_one(harness)
    harness.call({"op": "failover"})
    a = harness.call({"op": "sync", "id": 20, "member": mid, "generation": 1, "epoch": 1, "assignment": {}})
    assert a["responses"][0]["error"] == "COORDINATOR_LOAD_IN_PROGRESS"


@needs_jvm
def test_finding_replaced_static_member_leaves_a_stale_pending_sync(harness):
    """Kafka 4.3.1: a static member restarted between its JoinGroup answer and its
    SyncGroup is replaced by a new member id, but the old id stays among the pending
    syncs: when everyone has synced, the pending-sync timer still fires and rebalances
    the Stable group."""
    harness.call({"op": "init", "partitions": 2})
    join(harness, 1, "consumer-1", instance="instance-1")
    join(harness, 2, "consumer-2", instance="instance-2")
    a = harness.call({"op": "fire_join"})                     # the initial delay ends: generation 1
    ids = {r["id"]: r for r in a["responses"]}
    s1, s2 = ids[1]["member"], ids[2]["member"]
    leader = ids[1]["leader"]
    (first, fi), (second, si) = sorted([(s1, "instance-1"), (s2, "instance-2")], key=lambda x: x[0] != leader)
    a = harness.call({"op": "sync", "id": 3, "member": first, "generation": 1, "epoch": 0, "instance": fi,
                      "assignment": {s1: [0], s2: [1]}})
    assert a["state"]["group"]["state"] == "Stable" and a["state"]["group"]["pendingSync"] == [second]
    # the other consumer restarts: same instance id, no member id -> replaced, no rebalance
    a = join(harness, 4, f"consumer-{si[-1]}", instance=si)
    new = a["responses"][0]["member"]
    assert new != second and a["state"]["group"]["state"] == "Stable"
    assert a["state"]["group"]["pendingSync"] == [second]      # the old id, no longer a member
    a = harness.call({"op": "sync", "id": 5, "member": new, "generation": 1, "epoch": 0, "instance": si,
                      "assignment": {}})
    assert a["responses"][0]["error"] == "NONE"
    assert a["state"]["group"]["pendingSync"] == [second]      # everyone synced, yet one is pending
    a = harness.call({"op": "fire", "key": f"sync-{GROUP}"})
    assert a["state"]["group"]["state"] == "PreparingRebalance"   # a rebalance nobody needed
