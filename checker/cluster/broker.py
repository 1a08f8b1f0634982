"""Apache Kafka brokers (KRaft) started by the project: one node, or three with
`__consumer_offsets` replicated three ways.

The problem: conformance runs need a real Kafka cluster, started and stopped by a test
fixture or a user's command, on loopback ports nobody else holds, leaving nothing
behind. `Cluster.start()` picks free loopback ports, formats each node's storage in a
temporary folder (`kafka.tools.StorageTool`, one cluster id), starts one JVM a node
(`kafka.Kafka`, combined broker+controller, -Xmx512m) from harness/broker (Kafka 4.3.1,
resolved by Maven, built on demand by `checker.oracle.jvm.build`), and waits until every
node has registered and the cluster answers a metadata request.

The invariant: a start either returns a cluster that answers on every node within
`START_TIMEOUT` seconds, or raises `ClusterFailed` with the reason (a port taken, a node
that exited, the time out) and the tail of the node's log, having killed every JVM it
started. Each node logs into its own folder: `server.log` (everything at INFO),
`coordinator.log` (the group coordinator's own lines) and `requests.log` (Kafka's
request logger at DEBUG: every request and its response, as JSON), each line stamped
with `System.nanoTime()` (the same CLOCK_MONOTONIC as Python's `time.monotonic()`).

Cost, measured on 2 cores: a one-node start about 4 s, a three-node start about 8 s
(bench/record_kafka.py prints it); 512 MB of heap at most a node.
"""
from __future__ import annotations

import base64
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

from checker.oracle.jvm import MissingTool, build, tool

START_TIMEOUT = 60.0          # seconds a whole start may take (format, JVMs, registration)
HEAP = "-Xmx512m"
OFFSETS_PARTITIONS = 3        # __consumer_offsets partitions: few, so a start is quick
# Timings short enough that a scenario takes seconds: brokers fenced 2 s after their last
# heartbeat, a controller election within 1 s, no initial rebalance delay.
TUNING = {
    "group.initial.rebalance.delay.ms": 0, "group.min.session.timeout.ms": 500,
    "broker.session.timeout.ms": 2000, "broker.heartbeat.interval.ms": 300,
    "controller.quorum.election.timeout.ms": 1000, "controller.quorum.fetch.timeout.ms": 2000,
    "auto.create.topics.enable": "false", "offsets.topic.num.partitions": OFFSETS_PARTITIONS,
    "num.network.threads": 2, "num.io.threads": 2, "background.threads": 2,
    "log.segment.bytes": 1048576, "offsets.retention.check.interval.ms": 600000,
}
LOG4J = """\
status = warn
appender.server.type = File
appender.server.name = server
appender.server.fileName = {dir}/server.log
appender.server.layout.type = PatternLayout
appender.server.layout.pattern = %nano %d{{HH:mm:ss.SSS}} %p [%c] %m%n
appender.requests.type = File
appender.requests.name = requests
appender.requests.fileName = {dir}/requests.log
appender.requests.layout.type = PatternLayout
appender.requests.layout.pattern = %nano %m%n
appender.coordinator.type = File
appender.coordinator.name = coordinator
appender.coordinator.fileName = {dir}/coordinator.log
appender.coordinator.layout.type = PatternLayout
appender.coordinator.layout.pattern = %nano %d{{HH:mm:ss.SSS}} %p [%c{{1}}] %m%n
rootLogger.level = info
rootLogger.appenderRef.server.ref = server
logger.requests.name = kafka.request.logger
logger.requests.level = debug
logger.requests.additivity = false
logger.requests.appenderRef.requests.ref = requests
logger.coordinator.name = org.apache.kafka.coordinator.group
logger.coordinator.level = info
logger.coordinator.appenderRef.coordinator.ref = coordinator
"""


class ClusterFailed(Exception):
    """A cluster did not start (or a node did not come back); the message says why, with a log tail."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_taken(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:]) or "(empty log)"


class Node:
    """One KRaft node: broker and controller in one JVM."""

    def __init__(self, node_id: int, root: Path, port: int, controller_port: int):
        self.id, self.port, self.controller_port = node_id, port, controller_port
        self.dir = root / f"node-{node_id}"
        self.data = self.dir / "data"
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def properties(self, voters: str, replication: int) -> str:
        props = {
            "process.roles": "broker,controller", "node.id": self.id,
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER", "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.quorum.voters": voters, "log.dirs": self.data,
            "offsets.topic.replication.factor": replication,
            "transaction.state.log.replication.factor": replication,
            "transaction.state.log.min.isr": 1, "default.replication.factor": replication,
            **TUNING,
        }
        return "".join(f"{k}={v}\n" for k, v in props.items())

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Cluster:
    """A KRaft cluster of `nodes` combined nodes on loopback; a context manager."""

    def __init__(self, nodes: int = 1, root: str | Path | None = None, timeout: float = START_TIMEOUT,
                 ports: list | None = None):
        if nodes not in (1, 3):
            raise ValueError(f"a cluster has 1 or 3 nodes, not {nodes}")
        self.size, self.timeout = nodes, timeout
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="kafka-cluster-")) if root is None else Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        ports = list(ports) if ports else [free_port() for _ in range(2 * nodes)]
        self.nodes = [Node(i + 1, self.root, ports[2 * i], ports[2 * i + 1]) for i in range(nodes)]
        # (about 1 in 32 of these ids starts with "-": hence `--cluster-id=ID` below, as one argument)
        self.cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        self.classpath: list[str] = []

    @property
    def bootstraps(self) -> str:
        return ",".join(n.address for n in self.nodes)

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id - 1]

    # ---- start

    def start(self) -> "Cluster":
        deadline = time.monotonic() + self.timeout
        for n in self.nodes:
            for port in (n.port, n.controller_port):
                if port_taken(port):
                    raise ClusterFailed(f"node {n.id}: port {port} on 127.0.0.1 is taken by another process")
        java = tool("java")
        self.classpath = build("broker")
        voters = ",".join(f"{n.id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        for n in self.nodes:
            n.dir.mkdir(parents=True, exist_ok=True)
            (n.dir / "server.properties").write_text(n.properties(voters, self.size))
            (n.dir / "log4j2.properties").write_text(LOG4J.format(dir=n.dir))
            try:
                fmt = subprocess.run(
                    [java, HEAP, f"-Dlog4j2.configurationFile={n.dir / 'log4j2.properties'}", "-cp",
                     os.pathsep.join(self.classpath), "kafka.tools.StorageTool", "format", f"--cluster-id={self.cluster_id}",
                     "-c", str(n.dir / "server.properties"), "--ignore-formatted"],
                    capture_output=True, text=True, timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise ClusterFailed(f"node {n.id}: formatting its storage did not finish within the start's "
                                    f"{self.timeout:g} s (kafka.tools.StorageTool; logs in {n.dir})") from None
            if fmt.returncode != 0:
                raise ClusterFailed(f"node {n.id}: formatting its storage failed:\n"
                                    + "\n".join((fmt.stdout + fmt.stderr).strip().splitlines()[-10:]))
        try:
            for n in self.nodes:
                self._launch(n)
            self._wait_ready(deadline)
        except BaseException:
            self.stop()
            raise
        (self.root / "cluster.pids").write_text("".join(f"{n.proc.pid}\n" for n in self.nodes))
        return self

    def _launch(self, n: Node):
        out = open(n.dir / "stdout.log", "a")
        n.proc = subprocess.Popen(
            [tool("java"), HEAP, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             f"-Dlog4j2.configurationFile={n.dir / 'log4j2.properties'}",
             "-cp", os.pathsep.join(self.classpath), "kafka.Kafka", str(n.dir / "server.properties")],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()

    def _wait_ready(self, deadline: float, nodes=None):
        """Until every node logs that it started: a KRaft node logs it once the controller has
        unfenced it (BrokerServer waits for that), so it serves clients from then on."""
        nodes = nodes or self.nodes
        waiting = list(nodes)
        while waiting:
            for n in list(waiting):
                if not n.alive:
                    raise ClusterFailed(self._why(n, f"node {n.id} exited (code {n.proc.returncode}) while starting"))
                if "Kafka Server started" in _read(n.dir / "server.log"):
                    waiting.remove(n)
            if waiting and time.monotonic() > deadline:
                n = waiting[0]
                raise ClusterFailed(self._why(n, f"node {n.id} did not start within {self.timeout:.0f} s"))
            time.sleep(0.1)

    def _why(self, n: Node, what: str) -> str:
        log = _read(n.dir / "server.log") + _read(n.dir / "stdout.log")
        if "Address already in use" in log:
            what += f": a port it listens on ({n.port} or {n.controller_port}) is taken"
        return (f"{what}. Its log ({n.dir}/server.log) ends:\n{_tail(n.dir / 'server.log')}\n"
                f"stdout/stderr ({n.dir}/stdout.log) ends:\n{_tail(n.dir / 'stdout.log', 8)}")

    # ---- faults and stop

    def kill(self, node_id: int):
        """kill -9 one node: no controlled shutdown, its partitions move when it is fenced."""
        n = self.node(node_id)
        if n.alive:
            n.proc.kill()
            n.proc.wait()

    def terminate(self, node_id: int, timeout: float = 30.0):
        """A controlled shutdown (SIGTERM): the node hands its leaderships over, then exits."""
        n = self.node(node_id)
        if n.alive:
            n.proc.send_signal(signal.SIGTERM)
            try:
                n.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                n.proc.kill()
                n.proc.wait()

    def restart(self, node_id: int):
        n = self.node(node_id)
        if n.alive:
            return
        self._launch(n)
        self._wait_ready(time.monotonic() + self.timeout, [n])

    broker_down, broker_up = kill, restart        # the names the scenario steps use (driver.Run)

    def stop(self):
        """Stop every node (SIGTERM, then SIGKILL after 10 s). The folder stays if it was given."""
        for n in self.nodes:
            if n.alive:
                n.proc.send_signal(signal.SIGTERM)
        for n in self.nodes:
            if n.proc is not None:
                try:
                    n.proc.wait(10)
                except subprocess.TimeoutExpired:
                    n.proc.kill()
                    n.proc.wait()
        pids = self.root / "cluster.pids"
        if pids.exists():
            pids.unlink()

    def remove(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def keep_logs(self, target: Path):
        """Copy every node's logs to target/node-N/ (beside a recording)."""
        for n in self.nodes:
            dest = Path(target) / f"node-{n.id}"
            dest.mkdir(parents=True, exist_ok=True)
            for name in ("server.log", "coordinator.log", "requests.log"):
                if (n.dir / name).exists():
                    shutil.copyfile(n.dir / name, dest / name)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self._own_root:
            self.remove()
        else:
            self.stop()


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


__all__ = ["Cluster", "ClusterFailed", "MissingTool"]
