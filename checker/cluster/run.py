"""Play a conformance scenario on Apache Kafka brokers with real consumers, and record it.

The problem: the mock-cluster driver (checker/conformance/driver.py) records librdkafka
against librdkafka's mock coordinator; users run the Java KafkaConsumer against Kafka's
coordinator. `KafkaRun` plays the same scenario scripts on a `Cluster` (1 or 3 KRaft
nodes) with either client: the Java driver (one JVM a consumer, `javaclient`) or
confluent-kafka (librdkafka, as driver.Client, in this process).

What is recorded, from both sides: what the coordinator answered each consumer
(JoinGroup, SyncGroup with the assignment, heartbeat errors) from the brokers' request
logs (`requestlog`, the same for both clients, stamped when the broker completed the
request); what the application saw (rebalance callbacks, commits with the broker's answer,
committed offsets read back) from the client; and what the script did (join, close, poll
timeout as the broker received the LeaveGroup, kill -9, restart, topic growth, broker
kills). The group's request-log lines, the coordinator's log and the client logs are
copied beside the recording (NAME.logs/).

The invariant: a run either writes a recording whose metadata names the client, the
cluster ("kafka", 4.3.1, its size) and the spec constants the script implies, or raises
ScenarioFailed / ClusterFailed; it never leaves a consumer process behind. A cluster may
serve many runs: each run has its own group and topic. Cost: the scenario's own time (2-20
s: settles of 0.8 s of quiet, session timeouts of 3 s) plus 0.6 s a Java consumer start.
"""
from __future__ import annotations

from collections import Counter
import json
import logging
from pathlib import Path
import shutil
import time

from checker.conformance.driver import QUIET, SETTLE_TIMEOUT, Client, Run, ScenarioFailed
from checker.conformance.mock import confluent_kafka, monotonic
from checker.conformance.recorder import Recorder
from checker.conformance.scenario import Scenario

from .broker import Cluster, ClusterFailed
from .javaclient import JavaClient
from .requestlog import RequestLog

KAFKA_VERSION = "4.3.1"
CLIENT_SIDE = ("assign", "revoke", "lost")           # what a client's own callbacks add to the recording
EVENT_WAIT = 20.0                                    # seconds a step waits for what it waits on


class ClientSide:
    """What driver.Client (librdkafka) records, filtered: its callbacks go to the recording;
    its cgrp log's protocol lines are kept as the client's log (the broker's request log is
    the recording's source for them, the same for both clients)."""

    def __init__(self, recorder: Recorder):
        self.recorder, self.clock, self.log = recorder, recorder.clock, []

    def add(self, kind, t=None, **fields):
        if kind in CLIENT_SIDE:
            self.recorder.add(kind, t=t, **fields)
        else:
            self.log.append({"t": round((t or self.clock()) - self.recorder.start, 4), "kind": kind, **fields})


class KafkaRun(Run):
    """One run of a scenario on a running cluster; `record(target)` writes the recording."""

    def __init__(self, sc: Scenario, cluster: Cluster, client: str, tag: str):
        if client not in sc.clients:
            raise ScenarioFailed(f"scenario {sc.name} does not run the {client} client (clients = {list(sc.clients)})")
        needed = max([sc.brokers] + [v for a, v in sc.steps if a in ("broker_down", "broker_up")])
        if cluster.size < needed:
            raise ScenarioFailed(f"scenario {sc.name} needs {needed} brokers; the cluster has {cluster.size}")
        super().__init__(sc)
        self.cluster, self.client_kind = cluster, client
        self.group, self.topic = f"conformance-{tag}", f"orders-{tag}"     # Run._produce, _tp use the topic
        self.side = {}                       # client id -> ClientSide (librdkafka's own log)
        self.raw_logs = []                   # the librdkafka clients' whole debug logs (files)
        self.state = {}                      # client id -> (last protocol response kind, generation)
        self.generation = {}
        self.coordinator = None
        self.log = None
        self.events_at_step = 0

    # ---- the run

    def record(self, target: Path | None = None):
        ck = confluent_kafka()
        import confluent_kafka.admin as admin_mod
        self.admin = admin_mod.AdminClient({"bootstrap.servers": self.cluster.bootstraps, "log_level": 0})
        try:
            self._create_topic(admin_mod)
            self._produce()
            self._warm_coordinator()
            self.recorder = Recorder(monotonic)
            self.log = RequestLog(self.cluster, self.group, self.topic, self.sc.consumers)
            self.log.poll()                  # the warm-up's lines are not the scenario's
            self.log.lines.clear()
            for action, value in self.sc.steps:
                getattr(self, f"_{action}")(value)
            self.recorder.frozen_at = monotonic()
            time.sleep(0.3)                  # the request logger writes after the response is sent
            self._pump(until=self.recorder.frozen_at)
            end = self.recorder.frozen_at - self.recorder.start + 0.001
            self.recorder.events = [e for e in self.recorder.events if e["t"] <= end]
            self.recorder.closed = True
            meta = self._metadata(ck)
            if target is not None:
                self.recorder.write(target, meta)
                self._keep_logs(Path(target))
            return meta, self.recorder
        finally:
            self._shutdown()

    def _create_topic(self, admin_mod):
        futures = self.admin.create_topics([admin_mod.NewTopic(self.topic, self.partitions, self.cluster.size)])
        for f in futures.values():
            f.result(30)
        self._until(lambda: len(self.admin.list_topics(self.topic, timeout=5).topics[self.topic].partitions)
                    == self.partitions, f"topic {self.topic} did not get its partitions")

    def _warm_coordinator(self):
        """Until the group's coordinator answers (its __consumer_offsets partition loaded): a
        group's first JoinGroup must not meet a coordinator still loading."""
        deadline = monotonic() + EVENT_WAIT
        while True:
            try:
                got = self.admin.describe_consumer_groups([self.group], request_timeout=5)[self.group].result(10)
                self.coordinator = got.coordinator.id
                return
            except confluent_kafka().KafkaException as e:
                if monotonic() > deadline:
                    raise ClusterFailed(f"the group coordinator of {self.group} did not answer: {e}") from None
                time.sleep(0.2)

    def _until(self, ready, what, timeout=EVENT_WAIT):
        deadline = monotonic() + timeout
        while not ready():
            if monotonic() > deadline:
                raise ScenarioFailed(f"{what} within {timeout:.0f} s")
            time.sleep(0.05)

    def _pump(self, until: float | None = None) -> list:
        """The request logs' new events into the recording; returns them."""
        events = self.log.poll()
        for e in events:
            e = dict(e)
            t, kind = e.pop("t"), e.pop("kind")
            if until is not None and t > until:
                continue
            if kind == "join_response" and e["error"] == "NONE":
                self.generation[e["consumer"]] = e["generation"]
                self.state[e["consumer"]] = "joined"
            elif kind == "sync_response":
                self.state[e["consumer"]] = "synced" if e["error"] == "NONE" else "sync-failed"
            elif kind in ("heartbeat_error", "join_response"):
                self.state[e["consumer"]] = "rebalancing"
            elif kind == "request" and e["api"] == "FIND_COORDINATOR" and e["error"] == "NONE":
                self.coordinator = e["coordinator"]
            self.recorder.add(kind, t=t, **e)
            if kind in ("join_response", "sync_response", "heartbeat_error"):
                self.recorder.last_protocol_event = t
        return events

    # ---- steps

    def _join(self, name):
        self.recorder.add("join", consumer=name)
        self._start_client(name)

    def _start_client(self, name):
        if self.client_kind == "java":
            config = {"bootstrap": self.cluster.bootstraps, "group": self.group, "topic": self.topic,
                      "client_id": name, "assignor": self.sc.assignor, "records": self.sc.records,
                      "session_timeout_ms": self.sc.session_timeout_ms,
                      "max_poll_interval_ms": self.sc.max_poll_interval_ms,
                      "assign_delay_ms": self.sc.assign_delay_ms,
                      "instance_id": name if self.sc.static else None}
            c = JavaClient(name, config, self._client_dir(), self._java_event)
            c.wait_for(("ready",), EVENT_WAIT)
        else:
            if self.sc.static or self.sc.assign_delay_ms:
                raise ScenarioFailed("static members and a slow assignor need the java client")
            self.side[name] = ClientSide(self.recorder)
            c = Client(name, self.sc, self, self.side[name], self.group, self.topic)
            # librdkafka's whole `cgrp` debug log, beside the Java client's (kept with the
            # recording's logs: what K10 in docs/kafka-findings.md needs next time)
            raw = logging.FileHandler(self._client_dir() / f"{name}.client.log")
            raw.setFormatter(logging.Formatter("%(created).4f %(message)s"))
            c.logger.addHandler(raw)
            self.raw_logs.append(raw)
            c.start()
        self.clients[name] = c

    @property
    def bootstraps(self):                    # what driver.Client asks of its cluster
        return self.cluster.bootstraps

    def _client_dir(self) -> Path:
        d = Path(self.cluster.root) / "clients" / self.group
        d.mkdir(parents=True, exist_ok=True)
        return d

    def _java_event(self, name, event):
        kind = event["kind"]
        if kind in CLIENT_SIDE:
            self.recorder.add(kind, t=event["t"], consumer=name, partitions=event["partitions"])
        elif kind == "assignor":
            self.recorder.add("assignor", t=event["t"], consumer=name, members=event["members"])

    def _settle(self, _):
        begun = monotonic()
        deadline = begun + SETTLE_TIMEOUT
        while monotonic() < deadline:
            self._pump()
            live = [n for n, c in self.clients.items() if not c.stopped]
            states = {(self.state.get(n), self.generation.get(n)) for n in live}
            if (len(states) == 1 and next(iter(states))[0] == "synced"
                    and monotonic() - max(begun, self.recorder.last_protocol_event) > QUIET):
                return
            time.sleep(0.05)
        raise ScenarioFailed(f"the group did not settle within {SETTLE_TIMEOUT:.0f} s "
                             f"(consumers: {', '.join(f'{n} {self.state.get(n)} gen {self.generation.get(n)}' for n in self.clients)})")

    def _commit(self, name):
        c = self.clients[name]
        if self.client_kind != "java":
            return super()._commit(name)
        e = c.do({"op": "commit"}, ("commit",), EVENT_WAIT)
        error = e["error"]
        if error not in ("NONE", "NO_OFFSET"):       # the broker's answer, not the client's exception
            time.sleep(0.1)
            self._pump()
            answers = [r for r in self.recorder.events if r["kind"] == "request" and r["api"] == "OFFSET_COMMIT"
                       and r["consumer"] == name]
            error = answers[-1]["error"] if answers else error
        self.recorder.add("commit", t=e["t"], consumer=name, offsets=e["offsets"], error=error)

    def _fetch(self, name):
        c = self.clients[name]
        if self.client_kind != "java":
            return super()._fetch(name)
        e = c.do({"op": "fetch", "partitions": self.partitions}, ("fetch",), EVENT_WAIT)
        self.recorder.add("fetch", t=e["t"], consumer=name, offsets=e["offsets"])

    def _close(self, name):
        c = self.clients[name]
        if self.client_kind != "java":
            return super()._close(name)
        self.recorder.add("close", consumer=name)
        c.close()

    def _stop_polling(self, name):
        c = self.clients[name]
        since = monotonic()
        if self.client_kind == "java":
            c.do({"op": "stop_polling"}, ("stopped_polling",), EVENT_WAIT)
        else:
            c.polling.clear()
        deadline = since + self.sc.max_poll_interval_ms / 1000 + 10
        while monotonic() < deadline:
            self._pump()
            leaves = [e for e in self.recorder.events if e["kind"] == "request" and e["api"] == "LEAVE_GROUP"
                      and e["consumer"] == name and e["t"] + self.recorder.start > since]
            if leaves:
                # The poll timeout is when the broker received the LeaveGroup it sends.
                self.recorder.add("poll_timeout", t=leaves[0]["t"] + self.recorder.start, consumer=name)
                if self.client_kind == "java":
                    c.do({"op": "resume"}, ("resumed",), EVENT_WAIT)
                else:
                    c.polling.set()
                return
            time.sleep(0.05)
        raise ScenarioFailed(f"stop_polling = {name!r}: no LeaveGroup reached the broker")

    def _kill(self, name):
        c = self.clients[name]
        if self.client_kind != "java":
            raise ScenarioFailed("kill -9 of a consumer process needs the java client (librdkafka runs in this process)")
        self.recorder.add("crash", consumer=name)
        c.kill()

    def _restart(self, name):
        self.recorder.add("restart", consumer=name)
        self._start_client(name)

    def _grow(self, partitions):
        import confluent_kafka.admin as admin_mod
        self.recorder.add("grow", partitions=partitions)
        for f in self.admin.create_partitions([admin_mod.NewPartitions(self.topic, partitions)]).values():
            f.result(30)
        self.partitions = partitions
        self._until(lambda: len(self.admin.list_topics(self.topic, timeout=5).topics[self.topic].partitions)
                    == partitions, f"the topic did not grow to {partitions} partitions")
        self._produce(start=self.sc.partitions)

    def _failover(self, how):
        """Once the leader is inside its (slow) assignor, kill or shut down the coordinator."""
        joined = max(k for k, e in enumerate(self.recorder.events) if e["kind"] == "join")
        self._until(lambda: any(e["kind"] == "assignor" for e in self.recorder.events[joined:]),
                    "no leader entered its assignor after the last join")
        self._pump()
        node = self.coordinator
        if node is None or self.cluster.size < 2:
            raise ScenarioFailed("failover needs a known coordinator in a cluster of 3")
        self.recorder.add("failover", broker=node, how=how)
        (self.cluster.kill if how == "kill" else self.cluster.terminate)(node)
        self.killed_broker = node

    # ---- helpers

    def _metadata(self, ck) -> dict:
        meta = super()._metadata(ck)
        steps = Counter(a for a, _ in self.sc.steps)
        c = meta["constants"]
        c["CRASHES"], c["FAILOVERS"] = steps["kill"], steps["failover"]
        c["FAULTS"] += steps["kill"] + steps["failover"]
        c["MAX_INCARNATION"] += max(Counter(v for a, v in self.sc.steps if a == "kill").values(), default=0)
        if self.sc.static:
            c["STATIC"] = True
        for key in ("librdkafka", "confluent_kafka"):
            if self.client_kind == "java":
                meta.pop(key, None)
        meta.update(client=self.client_kind, cluster="kafka", kafka=KAFKA_VERSION, brokers=self.cluster.size,
                    group=self.group, topic=self.topic, coordinator_broker=self.coordinator,
                    static=self.sc.static, assign_delay_ms=self.sc.assign_delay_ms)
        return meta

    def _keep_logs(self, target: Path):
        logs = target.with_suffix(".logs")
        if logs.exists():
            shutil.rmtree(logs)
        logs.mkdir(parents=True)
        (logs / "requests.log").write_text("".join(f"node-{n} {line}\n" for n, line in self.log.lines))
        lines = []
        for n in self.cluster.nodes:
            try:
                text = (Path(n.dir) / "coordinator.log").read_text(errors="replace")
            except OSError:
                continue
            lines += [f"node-{n.id} {line}" for line in text.splitlines() if self.group in line]
        (logs / "coordinator.log").write_text("\n".join(sorted(lines, key=lambda s: int(s.split()[1]))) + "\n")
        clients = self._client_dir()
        for f in clients.glob("*.client.log"):
            shutil.copyfile(f, logs / f.name)
        for name, side in self.side.items():
            (logs / f"{name}.client.jsonl").write_text("".join(json.dumps(e) + "\n" for e in side.log))

    def _shutdown(self):
        for c in self.clients.values():
            if isinstance(c, JavaClient):
                c.kill()                   # its events are recorded already; stopped from now on
        cluster, self.cluster = self.cluster, None
        try:
            super()._shutdown()            # the librdkafka consumers; the cluster serves the next run
        finally:
            self.cluster = cluster
            for raw in self.raw_logs:
                raw.close()
        for n in cluster.nodes:            # a broker a failover took down comes back for the next run
            if not n.alive:
                cluster.restart(n.id)


def record(sc: Scenario, cluster: Cluster, client: str, target: Path, tag: str) -> dict:
    """Run a scenario on a running cluster with one client and write its recording to target."""
    meta, _ = KafkaRun(sc, cluster, client, tag).record(target)
    return meta
