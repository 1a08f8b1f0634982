"""A Java KafkaConsumer in its own JVM: harness/broker's io.gdsl.harness.ConsumerDriver.

The problem: the conformance driver must make a real Java consumer (classic protocol)
commit, read committed offsets, stop polling, close, or die by kill -9, while it polls on
its own thread. Each consumer is one JVM process (so kill -9 is a real crash); its first
stdin line is its configuration, later lines are operations; every line it prints is an
event stamped with System.nanoTime() (CLOCK_MONOTONIC, the clock of time.monotonic()).
`JavaClient.do(op, until)` sends an operation and waits for the event that ends it.

The invariant: the process's events reach `on_event` in the order it printed them; a
process that dies or an operation not answered within `timeout` raises
`checker.cluster.broker.ClusterFailed` with the tail of the client's log (stderr). Cost:
a JVM start about 0.6 s and 60 MB; an operation is a pipe round trip plus Kafka's own
request.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
import queue
import signal
import subprocess
import threading

from checker.oracle.jvm import build, tool

from .broker import ClusterFailed

MAIN = "io.gdsl.harness.ConsumerDriver"
LOG4J = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %nano %d{{HH:mm:ss.SSS}} %p [%c{{1}}] %m%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
logger.coordinator.name = org.apache.kafka.clients.consumer.internals
logger.coordinator.level = info
"""


class JavaClient:
    """One consumer process; `on_event(event)` is called on a reader thread for each event."""

    def __init__(self, name: str, config: dict, log_dir: Path, on_event):
        self.name, self.on_event = name, on_event
        self.log = Path(log_dir) / f"{name}.client.log"
        props = Path(log_dir) / f"{name}.log4j2.properties"
        props.write_text(LOG4J.format(log=self.log))
        classpath = build("broker")
        self._stderr = open(Path(log_dir) / f"{name}.stderr.log", "a")
        self.proc = subprocess.Popen(
            [tool("java"), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             f"-Dlog4j2.configurationFile={props}", "-cp", os.pathsep.join(classpath), MAIN],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, bufsize=1,
            start_new_session=True)
        self.events: queue.Queue = queue.Queue()
        self.proc.stdin.write(json.dumps(config) + "\n")
        self.proc.stdin.flush()
        self.thread = threading.Thread(target=self._read, name=f"java-{name}", daemon=True)
        self.thread.start()
        self.stopped = False

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue                          # not an event (a stray print): the log has it
            self.on_event(self.name, event)
            self.events.put(event)
        self.events.put({"kind": "exited"})

    def wait_for(self, kinds, timeout: float) -> dict:
        """The next event of one of `kinds` (earlier ones are skipped)."""
        while True:
            try:
                event = self.events.get(timeout=timeout)
            except queue.Empty:
                raise ClusterFailed(f"Java consumer {self.name}: no {'/'.join(kinds)} within {timeout:.0f} s; "
                                    f"its log ({self.log}) ends:\n{self.tail()}") from None
            if event["kind"] in kinds:
                return event
            if event["kind"] == "exited":
                raise ClusterFailed(f"Java consumer {self.name} exited (code {self.proc.wait()}); "
                                    f"its log ({self.log}) ends:\n{self.tail()}")

    def do(self, op: dict, until, timeout: float = 30.0) -> dict:
        self.proc.stdin.write(json.dumps(op) + "\n")
        self.proc.stdin.flush()
        return self.wait_for(until, timeout) if until else {}

    def tail(self, lines: int = 12) -> str:
        out = []
        for path in (self.log, Path(self._stderr.name)):
            try:
                out += path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                pass
        return "\n".join(out) or "(empty)"

    def kill(self):
        """kill -9: the process ends without closing the consumer (no LeaveGroup)."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.stopped = True

    def close(self, timeout: float = 30.0):
        if self.proc.poll() is None:
            try:
                self.do({"op": "close"}, ("closed",), timeout)
            except (ClusterFailed, OSError):
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.stopped = True
        self._stderr.close()
