"""Run a scenario: real librdkafka consumers in one group on a mock cluster.

Each consumer polls in its own thread (the application thread, as the librdkafka
docs have it), so the driver can make one stop polling while the others go on.
The driver applies the scenario's steps in order and records what happens
(`recorder`). Recording stops before the remaining consumers are shut down, so
the recording ends with the scenario's last step.
"""
from __future__ import annotations

from collections import Counter
import logging
import queue
import threading
import time

from .mock import MockCluster, confluent_kafka, monotonic
from .recorder import LogEvents, Recorder
from .scenario import ASSIGNORS, Scenario

GROUP, TOPIC = "conformance", "orders"
COORDINATOR = 1            # the group's coordinator broker; broker_down steps may take others down
SETTLE_TIMEOUT = 20.0      # seconds a settle step waits for a quiet, stable group
QUIET = 0.8                # seconds without a protocol event that make a group quiet


class ScenarioFailed(Exception):
    """The real system did not do what the script waits for (e.g. never settled)."""


class Client:
    """One consumer process: a confluent_kafka.Consumer and its polling thread."""

    def __init__(self, name: str, sc: Scenario, cluster: MockCluster, recorder: Recorder,
                 group: str = GROUP, topic: str = TOPIC):
        ck = confluent_kafka()
        self.name, self.recorder, self.ck = name, recorder, ck
        self.events = LogEvents(recorder, name)
        self.logger = logger = logging.getLogger(f"checker.conformance.{name}.{id(self)}")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.addHandler(self.events)
        self.consumer = ck.Consumer({
            "bootstrap.servers": cluster.bootstraps, "group.id": group, "client.id": name,
            "group.protocol": "classic", "partition.assignment.strategy": sc.assignor,
            "session.timeout.ms": sc.session_timeout_ms, "heartbeat.interval.ms": 300,
            "max.poll.interval.ms": sc.max_poll_interval_ms, "debug": "cgrp",
            "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "topic.metadata.refresh.interval.ms": 500}, logger=logger)
        self.topic = topic
        self.owned = set()               # what the rebalance callbacks gave and have not taken back
        self.calls = queue.Queue()       # consumer calls the driver makes, run by the polling thread
        self.polling = threading.Event()
        self.polling.set()
        self.stopped = False
        self.thread = threading.Thread(target=self._loop, name=f"poll-{name}", daemon=True)

    def start(self):
        def callback(kind):
            def cb(consumer, partitions):
                parts = {p.partition for p in partitions}
                if kind != "assign":
                    self.events.latest["state"] = "rebalancing"
                self.owned = self.owned | parts if kind == "assign" else self.owned - parts
                self.recorder.add(kind, consumer=self.name, partitions=sorted(parts))
            return cb
        self.consumer.subscribe([self.topic], on_assign=callback("assign"), on_revoke=callback("revoke"),
                                on_lost=callback("lost"))
        self.thread.start()

    def call(self, fn):
        """Run fn(consumer) on the polling thread and return its result. Every call to the
        consumer is made there: a call from another thread can wait on a log line that
        only the polling thread can deliver to Python, holding the interpreter lock."""
        done = queue.Queue()
        self.calls.put((fn, done))
        ok, value = done.get()
        if not ok:
            raise value
        return value

    def _loop(self):
        while not self.stopped:
            while not self.calls.empty():
                fn, done = self.calls.get()
                try:
                    done.put((True, fn(self.consumer)))
                except Exception as e:          # handed back to the caller
                    done.put((False, e))
            if not self.polling.is_set():
                time.sleep(0.02)
                continue
            self.consumer.poll(0.05)

    def stop(self):
        self.stopped = True
        self.thread.join()

    def assigned(self) -> list:
        return sorted(self.owned)


class Run:
    """One run of a scenario; `record()` returns (metadata, recorder)."""

    def __init__(self, sc: Scenario):
        self.sc = sc
        self.recorder = Recorder(monotonic)
        self.clients = {}
        self.partitions = sc.partitions
        self.topic = TOPIC
        self.cluster = None

    def record(self):
        ck = confluent_kafka()
        self.cluster = MockCluster(3)
        try:
            self.cluster.coordinator(GROUP, COORDINATOR)
            self.cluster.initial_rebalance_delay(0)
            self.cluster.create_topic(TOPIC, self.partitions)
            self._produce()
            for action, value in self.sc.steps:
                getattr(self, f"_{action}")(value)
            self.recorder.frozen_at = monotonic()
            for r in self.cluster.requests():
                if self.recorder.start <= r.t <= self.recorder.frozen_at:
                    self.recorder.add("request", t=r.t, broker=r.broker, api=r.api)
            end = self.recorder.frozen_at - self.recorder.start + 0.001     # t is rounded to 0.1 ms
            self.recorder.events = [e for e in self.recorder.events if e["t"] <= end]
            self.recorder.closed = True        # the shutdown's own events are not the scenario's
            return self._metadata(ck), self.recorder
        finally:
            self._shutdown()

    # ---- steps

    def _join(self, name):
        c = Client(name, self.sc, self.cluster, self.recorder)
        self.clients[name] = c
        self.recorder.add("join", consumer=name)
        c.start()

    def _settle(self, _):
        begun = monotonic()
        deadline = begun + SETTLE_TIMEOUT
        while monotonic() < deadline:
            live = [c for c in self.clients.values() if not c.stopped]
            states = {(c.events.latest.get("state"), c.events.latest.get("generation")) for c in live}
            if (len(states) == 1 and next(iter(states))[0] == "synced"
                    and monotonic() - max(begun, self.recorder.last_protocol_event) > QUIET):
                return
            time.sleep(0.05)
        raise ScenarioFailed(f"the group did not settle within {SETTLE_TIMEOUT:.0f} s")

    def _sleep(self, seconds):
        time.sleep(seconds)

    def _commit(self, name):
        c = self.clients[name]

        def positions():
            parts = [self._tp(p) for p in c.assigned()]
            return {tp.partition: tp.offset for tp in c.call(lambda k: k.position(parts))} if parts else {}
        deadline = monotonic() + 5
        offsets = positions()
        while monotonic() < deadline and any(o < self.sc.records for o in offsets.values()):
            time.sleep(0.05)
            offsets = positions()
        offsets = {p: o for p, o in offsets.items() if o >= 0}      # a position is known
        tps = [self._tp(p, o) for p, o in offsets.items()]
        error = "NONE"
        try:
            if not tps:
                error = "NO_OFFSET"
            else:
                for tp in c.call(lambda k: k.commit(offsets=tps, asynchronous=False)) or []:
                    if tp.error:
                        error = tp.error.name()
        except self._kafka_exception() as e:
            error = e.args[0].name()
        self.recorder.add("commit", consumer=name, offsets={str(p): o for p, o in offsets.items()}, error=error)

    def _fetch(self, name):
        c = self.clients[name]
        tps = [self._tp(p) for p in range(self.partitions)]
        got = c.call(lambda k: k.committed(tps, timeout=10))
        self.recorder.add("fetch", consumer=name,
                          offsets={str(tp.partition): tp.offset for tp in got if tp.offset >= 0})

    def _close(self, name):
        c = self.clients[name]
        c.stop()
        self.recorder.add("close", consumer=name)
        c.consumer.close()

    def _stop_polling(self, name):
        c = self.clients[name]
        c.polling.clear()
        since = monotonic()
        deadline = since + self.sc.max_poll_interval_ms / 1000 + 10
        while monotonic() < deadline:
            leaves = [r for r in self.cluster.requests() if r.api == "LeaveGroup" and r.t > since]
            if leaves:
                # The log line reaches Python only when the consumer polls again: the time
                # of the poll timeout is the broker's receipt of its LeaveGroup.
                self.recorder.add("poll_timeout", t=leaves[0].t, consumer=name)
                c.polling.set()
                return
            time.sleep(0.05)
        raise ScenarioFailed(f"stop_polling = {name!r}: no LeaveGroup reached the broker")

    def _grow(self, partitions):
        self.recorder.add("grow", partitions=partitions)
        self.cluster.delete_topic(TOPIC)
        self.cluster.create_topic(TOPIC, partitions)
        self.partitions = partitions
        self._produce()

    def _broker_down(self, broker):
        self.recorder.add("broker_down", broker=broker)
        self.cluster.broker_down(broker)

    def _broker_up(self, broker):
        self.recorder.add("broker_up", broker=broker)
        self.cluster.broker_up(broker)

    # ---- helpers

    def _produce(self, start: int = 0):
        """The scenario's records into partitions start.. of the topic."""
        ck = confluent_kafka()
        p = ck.Producer({"bootstrap.servers": self.cluster.bootstraps, "log_level": 0})
        for part in range(start, self.partitions):
            for _ in range(self.sc.records):
                p.produce(self.topic, b"record", partition=part)
        p.flush(10)

    def _tp(self, partition, offset=None):
        ck = confluent_kafka()
        return ck.TopicPartition(self.topic, partition) if offset is None \
            else ck.TopicPartition(self.topic, partition, offset)

    def _kafka_exception(self):
        return confluent_kafka().KafkaException

    def _metadata(self, ck) -> dict:
        sc = self.sc
        steps = Counter(a for a, _ in sc.steps)
        polls = Counter(v for a, v in sc.steps if a == "stop_polling")
        grown = max([sc.partitions] + [v for a, v in sc.steps if a == "grow"])
        gens = {e["generation"] for e in self.recorder.events if e["kind"] == "join_response" and e["generation"] >= 0}
        constants = {
            "CONSUMERS": len(sc.consumers), "INITIAL_PARTITIONS": sc.partitions, "MAX_PARTITIONS": grown,
            "ASSIGNOR": ASSIGNORS[sc.assignor], "OFFSET_RESET": "earliest", "MAX_OFFSET": sc.records,
            "LEAVES": steps["close"], "POLL_TIMEOUTS": steps["stop_polling"], "CRASHES": 0,
            "TIMEOUTS": 0, "FAILOVERS": 0,
            "FAULTS": steps["close"] + steps["stop_polling"] + grown - sc.partitions,
            "MAX_GENERATION": len(gens) + 2, "MAX_INCARNATION": 1 + max(polls.values(), default=0),
        }
        return {"scenario": sc.name, "description": sc.description, "consumers": sc.consumers,
                "assignor": sc.assignor, "partitions": sc.partitions, "max_partitions": grown,
                "records": sc.records, "session_timeout_ms": sc.session_timeout_ms,
                "max_poll_interval_ms": sc.max_poll_interval_ms, "group": GROUP, "topic": TOPIC,
                "coordinator_broker": COORDINATOR, "client": "librdkafka", "cluster": "librdkafka-mock",
                "librdkafka": ck.libversion()[0], "confluent_kafka": ck.version()[0],
                "constants": constants}

    def _shutdown(self):
        for c in self.clients.values():
            if not c.stopped:
                c.stop()
                try:
                    c.consumer.close()
                except Exception:          # closing an already broken client: nothing to keep
                    pass
        if self.cluster is not None:
            self.cluster.close()


def record(sc: Scenario, path):
    """Run a scenario and write its recording to `path`."""
    meta, recorder = Run(sc).record()
    recorder.write(path, meta)
    return meta
