"""What a scenario run leaves behind: its events, as JSON lines.

Each consumer's `cgrp` debug log reaches Python through a logger; `LogEvents` turns
the lines that carry a protocol event (a JoinGroup or SyncGroup response, a heartbeat
error, the poll timeout, a LeaveGroup) into events. The driver adds what the
application saw (rebalance callbacks, commits, committed offsets) and did (join,
close, stop polling, grow the topic), and the broker-side request log.

A recording is a file of JSON lines: first {"recording": metadata}, then one event a
line, {"t": seconds since the start, "kind": ..., "consumer": client id, ...}.
`read` checks a file and reports a bad one as `file:line: error: ...`.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
import re
import threading

from checker.lang.errors import UsageError

# Kafka's error names for the texts librdkafka logs (rd_kafka_err2str).
ERRORS = {
    "Success": "NONE", "(no error)": "NONE",
    "Broker: Group rebalance in progress": "REBALANCE_IN_PROGRESS",
    "Broker: Specified group generation id is not valid": "ILLEGAL_GENERATION",
    "Broker: Unknown member": "UNKNOWN_MEMBER_ID",
    "Broker: Not coordinator": "NOT_COORDINATOR",
    "Broker: Coordinator not available": "COORDINATOR_NOT_AVAILABLE",
    "Broker: Coordinator load in progress": "COORDINATOR_LOAD_IN_PROGRESS",
    "Broker: The group member needs to have a valid member id before actually entering a "
    "consumer group": "MEMBER_ID_REQUIRED",
    "Broker: Invalid request": "INVALID_REQUEST",
}

# Every kind of event a recording may hold, with the fields each must have.
KINDS = {
    "join": ("consumer",),                       # the application subscribed (a consumer starts)
    "join_response": ("consumer", "error", "generation", "leader", "member"),
    "sync_response": ("consumer", "error", "assignment"),
    "heartbeat_error": ("consumer", "error"),
    "assign": ("consumer", "partitions"), "revoke": ("consumer", "partitions"),
    "lost": ("consumer", "partitions"),
    "commit": ("consumer", "offsets", "error"),
    "fetch": ("consumer", "offsets"),
    "close": ("consumer",),
    "poll_timeout": ("consumer",),
    "maxpoll_log": ("consumer",), "leave_log": ("consumer",),
    "grow": ("partitions",),
    "broker_down": ("broker",), "broker_up": ("broker",),
    "request": ("broker", "api"),
    # On Apache Kafka (checker/cluster): a consumer's process killed (-9) and started again,
    # the group's coordinator broker killed or shut down, the leader entering its assignor.
    "crash": ("consumer",), "restart": ("consumer",), "failover": ("broker",), "assignor": ("consumer",),
}

_LINE = re.compile(r"^(\w+) \[[^\]]*\] \[thrd:[^\]]*\]: (.*)$")
_JOIN = re.compile(r"JoinGroup response: GenerationId (-?\d+), Protocol [^,]*, LeaderId ([^ ,]*)( \(me\))?, "
                   r"my MemberId ([^ ,]*), member metadata count \d+: (.*)$")
_SYNC = re.compile(r"SyncGroup response: (.*) \(\d+ bytes of MemberState data\)$")
_HEARTBEAT = re.compile(r"heartbeat error response in state .*\): (.*)$")
_PARTITION = re.compile(r"^ \S+ \[(\d+)\]")


def error_name(text: str) -> str:
    return ERRORS.get(text.strip(), text.strip())


class Recorder:
    """The events of one run, in the order they happened (thread-safe)."""

    def __init__(self, clock):
        self.clock = clock
        self.start = clock()
        self.events = []
        self.last_protocol_event = self.start
        self.closed = False
        self._lock = threading.Lock()

    def add(self, kind: str, t: float | None = None, **fields):
        with self._lock:
            if self.closed:
                return
            t = self.clock() if t is None else t
            self.events.append({"t": round(t - self.start, 4), "kind": kind, **fields})
            if kind in ("join_response", "sync_response", "heartbeat_error", "revoke", "lost"):
                self.last_protocol_event = t

    def write(self, path: Path, meta: dict):
        events = sorted(self.events, key=lambda e: e["t"])      # stable: same-time order kept
        lines = [json.dumps({"recording": meta})] + [json.dumps(e) for e in events]
        Path(path).write_text("\n".join(lines) + "\n")


class LogEvents(logging.Handler):
    """A consumer's `cgrp` debug log -> protocol events in the recorder. A SyncGroup
    response's assignment follows it as ASSIGNMENT lines, collected before the event
    is added (at the response's time)."""

    def __init__(self, recorder: Recorder, consumer: str):
        super().__init__(logging.DEBUG)
        self.recorder, self.consumer = recorder, consumer
        self.sync = None            # (time, expected partition count or None, partitions)
        self.latest = {}            # what the driver waits on: last response kinds and generation

    def emit(self, record):
        m = _LINE.match(record.getMessage())
        if not m:
            return
        tag, text = m.groups()
        now = self.recorder.clock()
        if self.sync is not None and tag == "ASSIGNMENT":
            self._assignment_line(text)
            return
        if tag == "JOINGROUP" and (j := _JOIN.match(text)):
            gen, leader, me, member, err = j.groups()
            self._add("join_response", now, error=error_name(err), generation=int(gen),
                      leader=bool(me), member=member, leader_id=leader, log=text)
            self.latest.update(state="joined", generation=int(gen))
        elif tag == "SYNCGROUP" and (s := _SYNC.match(text)):
            err = error_name(s.group(1))
            if err == "NONE":
                self.sync = (now, None, [], text)
            else:
                self._add("sync_response", now, error=err, assignment=[], log=text)
                self.latest.update(state="sync-failed")
        elif tag == "HEARTBEAT" and (h := _HEARTBEAT.search(text)):
            self._add("heartbeat_error", now, error=error_name(h.group(1)), log=text)
            self.latest.update(state="rebalancing")
        elif tag == "MAXPOLL":
            self._add("maxpoll_log", now, log=text)
        elif tag == "LEAVEGROUP" and "Leaving group" in text:
            self._add("leave_log", now, log=text)

    def _assignment_line(self, text):
        t, count, parts, log = self.sync
        if count is None:
            n = re.match(r"List with (\d+) partition", text)
            count = int(n.group(1)) if n else 0
        elif (p := _PARTITION.match(text)):
            parts.append(int(p.group(1)))
        self.sync = (t, count, parts, log)
        if len(parts) == count:
            self.sync = None
            self._add("sync_response", t, error="NONE", assignment=sorted(parts), log=log)
            self.latest.update(state="synced")

    def _add(self, kind, t, **fields):
        self.recorder.add(kind, t=t, consumer=self.consumer, **fields)


def read(path) -> tuple:
    """(metadata, events) of a recording file; a bad file is a UsageError naming the line."""
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise UsageError(f"--conform {path}: no such recording") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"--conform {path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise UsageError(f"{path}: error: an empty file, not a recording")
    rows = []
    for n, line in lines:
        try:
            rows.append((n, json.loads(line)))
        except json.JSONDecodeError as e:
            raise UsageError(f"{path}:{n}: error: not a JSON line ({e.msg})") from None
    n0, first = rows[0]
    if not isinstance(first, dict) or not isinstance(first.get("recording"), dict):
        raise UsageError(f"{path}:{n0}: error: a recording starts with {{\"recording\": {{...metadata}}}}")
    meta = first["recording"]
    for key in ("scenario", "consumers", "assignor", "partitions", "constants"):
        if key not in meta:
            raise UsageError(f"{path}:{n0}: error: the recording's metadata has no {key!r}")
    events = []
    for n, e in rows[1:]:
        if not isinstance(e, dict) or "kind" not in e or "t" not in e:
            raise UsageError(f"{path}:{n}: error: an event is an object with \"t\" and \"kind\"")
        if e["kind"] not in KINDS:
            raise UsageError(f"{path}:{n}: error: unknown event kind {e['kind']!r} "
                             f"(known: {', '.join(KINDS)})")
        missing = [f for f in KINDS[e["kind"]] if f not in e]
        if missing:
            raise UsageError(f"{path}:{n}: error: a {e['kind']} event needs {', '.join(missing)}")
        if "consumer" in e and e["consumer"] not in meta["consumers"]:
            raise UsageError(f"{path}:{n}: error: consumer {e['consumer']!r} is not one of the "
                             f"recording's consumers ({', '.join(meta['consumers'])})")
        events.append(dict(e, line=n))
    return meta, events
