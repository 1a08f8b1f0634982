"""Scenario scripts (TOML): which consumers, which assignor, and what happens to them.

    description = "two consumers join, then one closes"
    assignor = "range"              # range | roundrobin | cooperative-sticky
    partitions = 2                  # the topic's partitions at the start
    [[step]]
    join = "c1"                     # a consumer subscribes and starts polling
    [[step]]
    settle = true                   # wait until the group is stable and quiet

Steps (one action each): join, settle, sleep (seconds), commit (a consumer commits
the positions of its partitions, once it has consumed them), fetch (a consumer reads
the committed offsets), close (LeaveGroup), stop_polling (the consumer stops polling
until max.poll.interval.ms expires and it leaves, then polls again), grow (the topic
is recreated with this many partitions), broker_down / broker_up (a broker id).
On Apache Kafka (checker/cluster) also: kill (kill -9 of a consumer's process), restart
(a new process for a killed consumer, the same group.instance.id if `static`), and
failover ("kill" or "shutdown": once the group's leader is inside its assignor, the
broker leading the group's __consumer_offsets partition is killed or shut down).
Top-level keys for those: static (every consumer has group.instance.id = its name),
assign_delay_ms (the leader's assignor sleeps this long), brokers (the fewest brokers
the scenario needs) and clients (the clients it can run: java, librdkafka).
Errors are reported at the file's line, exit 2.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from checker.compile.modelfile import read_toml
from checker.lang.errors import SpecError

ASSIGNORS = {"range": "range", "roundrobin": "roundrobin", "cooperative-sticky": "cooperative_sticky"}
ACTIONS = {"join": str, "settle": bool, "sleep": (int, float), "commit": str, "fetch": str,
           "close": str, "stop_polling": str, "grow": int, "broker_down": int, "broker_up": int,
           "kill": str, "restart": str, "failover": str}
FAILOVERS = ("kill", "shutdown")
CLIENTS = ("java", "librdkafka")
TOP = {"description": str, "assignor": str, "partitions": int, "records": int,
       "session_timeout_ms": int, "max_poll_interval_ms": int, "step": list,
       "static": bool, "assign_delay_ms": int, "brokers": int, "clients": list}


@dataclass
class Scenario:
    path: Path
    name: str
    description: str
    assignor: str                  # librdkafka's name: range, roundrobin, cooperative-sticky
    partitions: int
    records: int = 1               # records produced to each partition (the spec's MAX_OFFSET)
    session_timeout_ms: int = 3000      # the mock waits this - 1000 ms for members to rejoin
    max_poll_interval_ms: int = 3000
    steps: list = field(default_factory=list)     # (action, value)
    static: bool = False           # group.instance.id = the consumer's name (Kafka only)
    assign_delay_ms: int = 0       # the leader's assignor sleeps this long (the Java driver)
    brokers: int = 1               # the fewest brokers it needs (failover: 3)
    clients: tuple = CLIENTS       # the clients it can run

    @property
    def consumers(self) -> list:
        """Client ids in the order they first join."""
        return list(dict.fromkeys(v for a, v in self.steps if a == "join"))


def load(path) -> Scenario:
    path = Path(path)
    source, data = read_toml(path, "scenario")

    def error(message, key=None, step=None):
        return SpecError(message, _where(source, key, step), str(path), source)

    for key, value in data.items():
        if key not in TOP:
            raise error(f"unknown key {key!r}; a scenario has {', '.join(TOP)}", key)
        if not _is(value, TOP[key]):
            raise error(f"{key} takes {_kind(TOP[key])}, not {value!r}", key)
    for key in ("assignor", "partitions", "step"):
        if key not in data:
            raise error(f"a scenario needs {key!r}")
    if data["assignor"] not in ASSIGNORS:
        raise error(f"assignor {data['assignor']!r} is not one of {', '.join(ASSIGNORS)}", "assignor")
    sc = Scenario(path, path.stem, data.get("description", ""), data["assignor"], data["partitions"],
                  data.get("records", 1), data.get("session_timeout_ms", 3000),
                  data.get("max_poll_interval_ms", 3000))
    for key in ("partitions", "records", "session_timeout_ms", "max_poll_interval_ms"):
        if getattr(sc, key) < 1:
            raise error(f"{key} must be 1 or more", key)
    sc.static, sc.assign_delay_ms = data.get("static", False), data.get("assign_delay_ms", 0)
    sc.brokers = data.get("brokers", 1)
    if sc.brokers not in (1, 3):
        raise error(f"brokers is 1 or 3, not {sc.brokers}", "brokers")
    if "clients" in data:
        bad = [c for c in data["clients"] if c not in CLIENTS]
        if bad or not data["clients"]:
            raise error(f"clients lists some of {', '.join(CLIENTS)}, not {data['clients']!r}", "clients")
        sc.clients = tuple(data["clients"])
    joined, partitions, killed = set(), sc.partitions, set()
    for k, step in enumerate(data["step"]):
        if not isinstance(step, dict) or len(step) != 1:
            raise error(f"each [[step]] has exactly one action: {', '.join(ACTIONS)}", step=k)
        (action, value), = step.items()
        if action not in ACTIONS:
            raise error(f"unknown step {action!r}; the steps are {', '.join(ACTIONS)}", step=k)
        if not _is(value, ACTIONS[action]):
            raise error(f"{action} takes {_kind(ACTIONS[action])}, not {value!r}", step=k)
        if action in ("commit", "fetch", "close", "stop_polling", "kill") and value not in joined:
            raise error(f"{action} = {value!r}: that consumer has not joined yet", step=k)
        if action == "kill":
            killed.add(value)
        if action == "restart":
            if value not in killed:
                raise error(f"restart = {value!r}: that consumer was not killed", step=k)
            killed.discard(value)
        if action == "failover" and value not in FAILOVERS:
            raise error(f"failover takes {' or '.join(map(repr, FAILOVERS))}, not {value!r}", step=k)
        if action == "join":
            if value in joined:
                raise error(f"join = {value!r}: that consumer has joined already", step=k)
            joined.add(value)
        if action == "grow":
            if value <= partitions:
                raise error(f"grow = {value}: the topic has {partitions} partitions already", step=k)
            partitions = value
        sc.steps.append((action, value))
    if not joined:
        raise error("a scenario has at least one join step")
    return sc


def _is(value, kind) -> bool:
    return isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)


def _kind(kind) -> str:
    return {str: "a string", bool: "true or false", int: "a whole number", list: "[[step]] tables",
            (int, float): "a number"}[kind]


def _where(source: str, key: str | None, step: int | None) -> tuple:
    """(line, col) of a top-level key, or of the k-th [[step]] header."""
    seen = -1
    for i, line in enumerate(source.splitlines(), 1):
        s = line.strip()
        if step is not None and s.startswith("[[") and s.strip("[] ") == "step":
            seen += 1
            if seen == step:
                return i, 1
        elif key is not None and s.split("=")[0].strip() == key:
            return i, line.index(key) + 1
    return (0, 0)
