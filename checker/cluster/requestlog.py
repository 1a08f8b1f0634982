"""A broker's request log -> what the group coordinator answered, as recording events.

The problem: a conformance recording must show every JoinGroup, SyncGroup and heartbeat
response a consumer got, for the Java client and librdkafka alike, and a client logs
them each in its own words. Kafka's request logger (`kafka.request.logger` at DEBUG, set
up by broker.py) logs every completed request with its response as one JSON object,
after `%nano` (System.nanoTime(), the clock of Python's time.monotonic()). `RequestLog`
tails the logs of every node of a cluster and turns the group's lines into events:
join_response, sync_response (the assignment decoded from ConsumerProtocol's bytes),
heartbeat_error, and `request` evidence (api, client, error, broker) for the others.

The invariant: one event per completed group request of the group, stamped with the
time the broker completed it; a line cut short by a node being killed is skipped. Cost:
one json.loads per line of the group's APIs (others are skipped by a substring test);
a scenario's log is a few thousand lines.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path
import struct

# Kafka's error codes (org.apache.kafka.common.protocol.Errors) the classic group protocol uses.
ERRORS = {0: "NONE", 3: "UNKNOWN_TOPIC_OR_PARTITION", 7: "REQUEST_TIMED_OUT", 14: "COORDINATOR_LOAD_IN_PROGRESS",
          15: "COORDINATOR_NOT_AVAILABLE", 16: "NOT_COORDINATOR", 22: "ILLEGAL_GENERATION",
          23: "INCONSISTENT_GROUP_PROTOCOL", 25: "UNKNOWN_MEMBER_ID", 26: "INVALID_SESSION_TIMEOUT",
          27: "REBALANCE_IN_PROGRESS", 42: "INVALID_REQUEST", 69: "GROUP_ID_NOT_FOUND",
          79: "MEMBER_ID_REQUIRED", 82: "FENCED_INSTANCE_ID", 81: "GROUP_MAX_SIZE_REACHED",
          87: "UNSTABLE_OFFSET_COMMIT"}
GROUP_APIS = ("JOIN_GROUP", "SYNC_GROUP", "HEARTBEAT", "LEAVE_GROUP", "OFFSET_COMMIT", "OFFSET_FETCH",
              "FIND_COORDINATOR")
MARK = "Completed request:"


def error_name(code: int) -> str:
    return ERRORS.get(code, f"ERROR_{code}")


def assignment_partitions(data: str | None, topic: str) -> list:
    """The partitions of `topic` in a ConsumerProtocol Assignment (base64, as the request log shows it)."""
    raw = base64.b64decode(data or "")
    if len(raw) < 6:
        return []
    pos, out = 2, []                                  # int16 version
    (topics,) = struct.unpack_from(">i", raw, pos)
    pos += 4
    for _ in range(max(topics, 0)):
        (n,) = struct.unpack_from(">h", raw, pos)
        name = raw[pos + 2:pos + 2 + n].decode()
        pos += 2 + n
        (count,) = struct.unpack_from(">i", raw, pos)
        pos += 4
        parts = list(struct.unpack_from(f">{count}i", raw, pos)) if count > 0 else []
        pos += 4 * max(count, 0)
        if name == topic:
            out += parts
    return sorted(out)


def _first_error(response: dict, api: str) -> str:
    if api == "OFFSET_COMMIT":
        codes = [p["errorCode"] for t in response.get("topics", []) for p in t.get("partitions", [])]
        return error_name(next((c for c in codes if c), 0))
    if api == "OFFSET_FETCH":
        return error_name(next((g.get("errorCode", 0) for g in response.get("groups", [])), 0))
    if api == "FIND_COORDINATOR":
        return error_name(next((c.get("errorCode", 0) for c in response.get("coordinators", [])), 0))
    return error_name(response.get("errorCode", 0))


def parse(line: str, broker: int, group: str, topic: str, clients) -> dict | None:
    """The event of one request-log line, or None if it is not this group's."""
    nano, _, rest = line.partition(" ")
    if not rest.startswith(MARK) or not any(f'"{api}"' in rest for api in GROUP_APIS):
        return None
    try:
        entry = json.loads(rest[len(MARK):])
        t = int(nano) / 1e9
    except ValueError:                              # a line cut short by a kill -9
        return None
    header, request, response = entry["requestHeader"], entry.get("request", {}), entry.get("response", {})
    api, client = header.get("requestApiKeyName"), header.get("clientId")
    if api not in GROUP_APIS or client not in clients:
        return None
    groups = ([request.get("groupId")] if "groupId" in request else request.get("coordinatorKeys")
              or [g.get("groupId") for g in request.get("groups", [])])
    if group not in groups:
        return None
    error = _first_error(response, api)
    base = {"t": t, "consumer": client, "error": error}
    if api == "JOIN_GROUP":
        member = response.get("memberId", "")
        return {**base, "kind": "join_response", "generation": response.get("generationId", -1),
                "leader": error == "NONE" and response.get("leader") == member, "member": member,
                "leader_id": response.get("leader", ""), "broker": broker}
    if api == "SYNC_GROUP":
        return {**base, "kind": "sync_response", "broker": broker,
                "assignment": assignment_partitions(response.get("assignment"), topic) if error == "NONE" else [],
                "generation": request.get("generationId")}
    if api == "HEARTBEAT":                           # a successful heartbeat changes nothing
        return {**base, "kind": "heartbeat_error", "broker": broker,
                "generation": request.get("generationId")} if error != "NONE" else None
    event = {**base, "kind": "request", "broker": broker, "api": api}
    if api == "FIND_COORDINATOR":
        event["coordinator"] = next((c.get("nodeId") for c in response.get("coordinators", [])), -1)
    return event


class RequestLog:
    """Tails requests.log of every node of a cluster; `poll()` returns the new events of one group."""

    def __init__(self, cluster, group: str, topic: str, clients):
        self.cluster, self.group, self.topic, self.clients = cluster, group, topic, set(clients)
        self.offsets = {n.id: 0 for n in cluster.nodes}
        self.lines = []                               # (node, raw line) of the group, kept beside the recording

    def poll(self) -> list:
        events = []
        for n in self.cluster.nodes:
            path = Path(n.dir) / "requests.log"
            try:
                with open(path, "rb") as f:
                    f.seek(self.offsets[n.id])
                    data = f.read()
            except OSError:
                continue
            end = data.rfind(b"\n") + 1                 # only whole lines; the rest next time
            self.offsets[n.id] += end
            for raw in data[:end].decode(errors="replace").splitlines():
                e = parse(raw, n.id, self.group, self.topic, self.clients)
                if e is not None:
                    self.lines.append((n.id, raw))
                    events.append(e)
        return sorted(events, key=lambda e: e["t"])
