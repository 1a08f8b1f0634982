"""Real Kafka brokers and real consumers (checker/cluster): the request log read as the
coordinator's answers, clusters that fail to start, the committed recordings' verdicts,
and (slow) a scenario recorded end to end on a broker started here, with each client."""
from __future__ import annotations

import json
from pathlib import Path
import socket
import subprocess
import sys
import time

import pytest

from checker.cli.conform import check
from checker.cluster.broker import Cluster, ClusterFailed
from checker.cluster.requestlog import assignment_partitions, parse
from checker.conformance import scenario
from checker.lang.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
KAFKA = ROOT / "conformance" / "recordings" / "kafka"


def _line(nano, api, client, request, response):
    entry = {"isForwarded": False, "requestHeader": {"requestApiKey": 0, "requestApiVersion": 9, "correlationId": 1,
                                                      "clientId": client, "requestApiKeyName": api},
             "request": request, "response": response, "connection": "x", "totalTimeMs": 1.0}
    return f"{nano} Completed request:{json.dumps(entry)}"


# A ConsumerProtocol Assignment (version 3) of partitions 0 and 1 of "orders", as Kafka 4.3.1's
# request log printed it for a SyncGroup response.
ORDERS_0_1 = "AAMAAAABAAZvcmRlcnMAAAACAAAAAAAAAAH/////"


def test_a_join_response_is_read_with_leadership_and_generation():
    line = _line(9522611462863, "JOIN_GROUP", "c1", {"groupId": "g", "memberId": "c1-a"},
                 {"errorCode": 0, "generationId": 4, "leader": "c1-a", "memberId": "c1-a", "members": []})
    assert parse(line, 2, "g", "orders", {"c1"}) == {
        "t": 9522.611462863, "consumer": "c1", "error": "NONE", "kind": "join_response", "generation": 4,
        "leader": True, "member": "c1-a", "leader_id": "c1-a", "broker": 2}


def test_a_sync_response_carries_the_decoded_assignment():
    line = _line(5, "SYNC_GROUP", "c2", {"groupId": "g", "generationId": 3},
                 {"errorCode": 0, "assignment": ORDERS_0_1})
    e = parse(line, 1, "g", "orders", {"c2"})
    assert (e["kind"], e["assignment"], e["generation"]) == ("sync_response", [0, 1], 3)
    assert assignment_partitions(ORDERS_0_1, "other") == []
    assert assignment_partitions("", "orders") == []


def test_errors_are_named_and_other_groups_and_clients_skipped():
    hb = _line(7, "HEARTBEAT", "c1", {"groupId": "g", "generationId": 1}, {"errorCode": 27})
    assert parse(hb, 1, "g", "t", {"c1"})["kind"] == "heartbeat_error"
    assert parse(hb, 1, "g", "t", {"c1"})["error"] == "REBALANCE_IN_PROGRESS"
    assert parse(_line(7, "HEARTBEAT", "c1", {"groupId": "g"}, {"errorCode": 0}), 1, "g", "t", {"c1"}) is None
    assert parse(hb, 1, "other-group", "t", {"c1"}) is None
    assert parse(hb, 1, "g", "t", {"c9"}) is None
    join = _line(8, "JOIN_GROUP", "c1", {"groupId": "g"}, {"errorCode": 14, "memberId": "", "leader": ""})
    assert parse(join, 3, "g", "t", {"c1"})["error"] == "COORDINATOR_LOAD_IN_PROGRESS"
    commit = _line(9, "OFFSET_COMMIT", "c1", {"groupId": "g"},
                   {"topics": [{"name": "t", "partitions": [{"partitionIndex": 0, "errorCode": 22}]}]})
    assert parse(commit, 1, "g", "t", {"c1"})["error"] == "ILLEGAL_GENERATION"


def test_a_line_cut_short_by_a_kill_is_skipped():
    line = _line(7, "HEARTBEAT", "c1", {"groupId": "g"}, {"errorCode": 27})
    assert parse(line[:len(line) // 2], 1, "g", "t", {"c1"}) is None


def test_a_taken_port_is_named_before_any_jvm_starts(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        taken = s.getsockname()[1]
        with pytest.raises(ClusterFailed, match=f"port {taken} on 127.0.0.1 is taken"):
            Cluster(1, root=tmp_path, ports=[taken, taken + 1]).start()


@pytest.mark.parametrize("text, message", [
    ('assignor = "range"\npartitions = 2\n[[step]]\njoin = "c1"\n[[step]]\nfailover = "move"\n',
     "failover takes 'kill' or 'shutdown'"),
    ('assignor = "range"\npartitions = 2\n[[step]]\njoin = "c1"\n[[step]]\nrestart = "c1"\n',
     "that consumer was not killed"),
    ('assignor = "range"\npartitions = 2\nbrokers = 2\n[[step]]\njoin = "c1"\n', "brokers is 1 or 3"),
    ('assignor = "range"\npartitions = 2\nclients = ["go"]\n[[step]]\njoin = "c1"\n', "clients lists some of"),
])
def test_bad_kafka_scenarios_are_located(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message) as e:
        scenario.load(path)
    assert e.value.line > 0


def _modelcheck(*args):
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_bad_recordings_exit_2_located_without_a_traceback(tmp_path):
    text = tmp_path / "notes.jsonl"
    text.write_text('{"recording": {"scenario": "x"}}\nthis is not JSON\n')
    done = _modelcheck("--conform", str(text), "--client", "java", "--cluster", "kafka")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{text}:2: error: not a JSON line" in done.stderr
    good = sorted(KAFKA.glob("java-1node/range-join-leave-*.jsonl"))[0]
    done = _modelcheck("--conform", str(good), str(ROOT / "spec" / "examples" / "diehard.gdsl"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{good}:1: error: the recording sets" in done.stderr and "another spec" in done.stderr


def test_a_broker_that_never_starts_exits_2_with_a_message(tmp_path):
    done = subprocess.run([sys.executable, "-m", "checker.cluster", "start", "--dir", str(tmp_path), "--timeout",
                           "0.2"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "python -m checker.cluster: error: node 1: formatting its storage did not finish" in done.stderr


# The committed recordings on Kafka (bench/record_kafka.py): what docs/conformance.md reports.
def _recordings(folder, name):
    return sorted((KAFKA / folder).glob(f"{name}-[0-9].jsonl"))


@pytest.mark.slow
@pytest.mark.parametrize("folder, name", [("java-1node", "range-join-leave"), ("java-1node", "static-restart"),
                                          ("java-1node", "kill-consumer"), ("java-3node", "range-three-broker-down"),
                                          ("librdkafka-1node", "range-join-leave")])
def test_committed_kafka_recordings_conform(folder, name):
    paths = _recordings(folder, name)
    assert len(paths) == 5
    for path in paths:
        meta, var, _, v = check(path)
        assert (meta["cluster"], meta["kafka"], var.client) == ("kafka", "4.3.1", folder.split("-")[0])
        assert v.conforms, f"{path.name}:{v.failed.event['line']}: {v.failed.text}"


@pytest.mark.slow
def test_the_failover_recordings_conform_through_the_new_coordinators_answers():
    """After the coordinator's broker is killed or shut down, the broker named as the new
    coordinator answers NOT_COORDINATOR (not yet taken the partition on) and then
    COORDINATOR_LOAD_IN_PROGRESS (loading) to JoinGroups; the spec answers so since K1 and
    K3 (docs/kafka-findings.md). Every run of both failover scenarios conforms."""
    for name in ("failover-in-assignor", "failover-shutdown"):
        paths = _recordings("java-3node", name)
        assert len(paths) == 5
        for path in paths:
            meta, _, _, v = check(path)
            assert meta["constants"]["FAILOVERS"] == 1 and meta["brokers"] == 3
            assert v.conforms, f"{path.name}:{v.failed.event['line']}: {v.failed.text}"


def _steps(v) -> str:
    return "\n".join(step for step, _ in v.witness)


def test_a_late_heartbeat_answer_makes_the_java_leader_refuse_its_join_answer():
    """K6: after the failover the leader's heartbeat, sent before its rejoin, is answered
    ILLEGAL_GENERATION by the new coordinator while its JoinGroup is in flight; Java resets
    the generation and refuses the JoinGroup answer (UnjoinedGroupException), and its next
    JoinGroup, with the reset generation in its subscription, makes the coordinator
    rebalance again: c2's SyncGroup is answered REBALANCE_IN_PROGRESS (line 26)."""
    path = KAFKA / "java-3node" / "failover-shutdown-1.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert (events[21]["kind"], events[21]["error"]) == ("heartbeat_error", "ILLEGAL_GENERATION")     # line 23
    assert (events[24]["kind"], events[24]["error"]) == ("sync_response", "REBALANCE_IN_PROGRESS")    # line 26
    log = (path.with_suffix(".logs") / "coordinator.log").read_text()
    assert "during CompletingRebalance; client reason: rebalance failed due to UnjoinedGroupException" in log
    _, _, _, v = check(path)
    assert v.conforms and "LateHeartbeatAnswer(c=Consumer1)   <= line 23" in _steps(v)


def _without(monkeypatch, table: str, side: str, constant: str):
    from checker.conformance import variation
    rows = getattr(variation, table)
    monkeypatch.setitem(rows, side, {k: v for k, v in rows[side].items() if k != constant})


def test_librdkafkas_eager_subscription_without_generation_is_needed(monkeypatch):
    """K2: librdkafka's follower rejoins with unchanged metadata (generation -1) and Kafka
    answers the current generation at once; without the constant the spec rebalances."""
    path = KAFKA / "librdkafka-1node" / "range-grow-1.jsonl"
    assert check(path)[3].conforms
    _without(monkeypatch, "CLIENTS", "librdkafka", "EAGER_SUBSCRIPTION_NO_GENERATION")
    v = check(path)[3]
    assert not v.conforms and (v.failed.event["line"], v.failed.event["kind"]) == (27, "join_response")


def test_the_mock_rebalances_on_every_join(monkeypatch):
    """librdkafka's mock coordinator rebalances at any JoinGroup outside the join phase,
    which the mock recording roundrobin-grow shows once K2 is on."""
    path = ROOT / "conformance" / "recordings" / "roundrobin-grow.jsonl"
    _without(monkeypatch, "CLUSTERS", "librdkafka-mock", "MOCK_JOIN_ALWAYS_REBALANCES")
    v = check(path)[3]
    assert not v.conforms and (v.failed.event["line"], v.failed.event["kind"]) == (89, "heartbeat_error")


def test_a_librdkafka_follower_rejoins_when_its_own_metadata_catches_up():
    """K7: on 3 nodes a librdkafka follower rejoins a Stable generation that already has
    every partition (its metadata cache saw the growth late); Kafka answers the current
    generation, and the spec's follower may take its snapshot from its stale cache."""
    path = KAFKA / "librdkafka-3node" / "range-grow-1.jsonl"
    meta, _, _, v = check(path)
    assert v.conforms
    assert "LeaderNoticesMetadataChange(c=Consumer1)" in _steps(v)


@pytest.mark.slow
@pytest.mark.parametrize("client", ["java", "librdkafka"])
def test_a_scenario_recorded_on_a_real_broker_conforms(kafka_cluster, client, tmp_path):
    from checker.cluster import run
    sc = scenario.load(ROOT / "conformance" / "scenarios" / "range-join-leave.toml")
    target = tmp_path / "run.jsonl"
    started = time.monotonic()
    meta = run.record(sc, kafka_cluster, client, target, f"test-{client}")
    assert time.monotonic() - started < 60
    assert (meta["client"], meta["cluster"], meta["brokers"]) == (client, "kafka", 1)
    events = [json.loads(line) for line in target.read_text().splitlines()[1:]]
    kinds = {e["kind"] for e in events}
    assert {"join_response", "sync_response", "commit", "fetch", "close"} <= kinds
    assert (target.with_suffix(".logs") / "requests.log").stat().st_size > 0
    for c in ("c1", "c2"):           # each client's whole log (librdkafka's `cgrp` debug lines too)
        assert (target.with_suffix(".logs") / f"{c}.client.log").stat().st_size > 0
    _, _, _, v = check(target)
    assert v.conforms, f"line {v.failed.event['line']}: {v.failed.text}"


@pytest.mark.slow
def test_a_killed_java_consumer_leaves_no_process(kafka_cluster, tmp_path):
    from checker.cluster import run
    sc = scenario.load(ROOT / "conformance" / "scenarios" / "kafka" / "kill-consumer.toml")
    target = tmp_path / "kill.jsonl"
    run.record(sc, kafka_cluster, "java", target, "test-kill")
    events = [json.loads(line) for line in target.read_text().splitlines()[1:]]
    assert [e["consumer"] for e in events if e["kind"] == "crash"] == ["c2"]
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "conformance-test-kill" not in ps and str(tmp_path) not in ps


def test_a_heartbeat_answer_the_client_ignored_needs_no_step():
    """K4: the request log shows a REBALANCE_IN_PROGRESS heartbeat answer that reached a
    member with a JoinGroup or SyncGroup in flight; the Java client ignores it, so it may
    stutter. A client's own log (no broker named) shows only what the client acted on."""
    from checker.conformance.mapping import observations
    meta = {"partitions": 2}
    broker_side = {"kind": "heartbeat_error", "consumer": "c1", "error": "REBALANCE_IN_PROGRESS", "broker": 1,
                   "t": 1.0, "line": 9}
    client_side = {k: v for k, v in broker_side.items() if k != "broker"}
    label = {"c1": "Consumer1"}
    (ob,) = observations(meta, [broker_side], lambda c, st: "NONE", label)
    (pat,) = ob.patterns
    assert pat.stutter({"waiting": {"Consumer1": "SyncGroup"}}, None)
    assert not pat.stutter({"waiting": {"Consumer1": None}}, None)
    (ob,) = observations(meta, [client_side], lambda c, st: "NONE", label)
    assert ob.patterns[0].stutter is None
