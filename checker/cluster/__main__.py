"""`python -m checker.cluster start|stop|status`: a KRaft cluster for a user, outliving the command.

    python -m checker.cluster start --nodes 3      # prints the bootstrap servers
    python -m checker.cluster status
    python -m checker.cluster stop

The cluster lives in --dir (default $TMPDIR/modelcheck-kafka): each node's logs, data
and properties, and cluster.json (node pids and ports) that stop and status read. A start
that fails (JVM or Maven missing, a port taken, a node that exits or does not start within
--timeout) prints why, with the log's tail, and exits 2, leaving no JVM behind.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import signal
import sys
import tempfile
import time

from checker.oracle.jvm import MissingTool

from .broker import START_TIMEOUT, Cluster, ClusterFailed

DEFAULT_DIR = Path(tempfile.gettempdir()) / "modelcheck-kafka"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start(args) -> int:
    state = args.dir / "cluster.json"
    if state.exists() and any(_alive(n["pid"]) for n in json.loads(state.read_text())["nodes"]):
        print(f"python -m checker.cluster: error: a cluster is running in {args.dir} already "
              f"(`python -m checker.cluster stop --dir {args.dir}` first)", file=sys.stderr)
        return 2
    cluster = Cluster(args.nodes, root=args.dir, timeout=args.timeout)
    cluster.start()
    state.write_text(json.dumps({"bootstrap": cluster.bootstraps, "cluster_id": cluster.cluster_id, "nodes": [
        {"id": n.id, "pid": n.proc.pid, "port": n.port, "controller_port": n.controller_port, "dir": str(n.dir)}
        for n in cluster.nodes]}, indent=1))
    print(f"Kafka 4.3.1, {args.nodes} KRaft node(s), logs in {args.dir}/node-N/")
    print(f"bootstrap.servers={cluster.bootstraps}")
    return 0


def stop(args) -> int:
    state = args.dir / "cluster.json"
    if not state.exists():
        print(f"python -m checker.cluster: no cluster in {args.dir}", file=sys.stderr)
        return 0
    nodes = json.loads(state.read_text())["nodes"]
    for n in nodes:
        if _alive(n["pid"]):
            os.kill(n["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 15
    while any(_alive(n["pid"]) for n in nodes) and time.monotonic() < deadline:
        time.sleep(0.1)
    for n in nodes:
        if _alive(n["pid"]):
            os.kill(n["pid"], signal.SIGKILL)
    state.unlink()
    print(f"stopped {len(nodes)} node(s); logs kept in {args.dir}")
    return 0


def status(args) -> int:
    state = args.dir / "cluster.json"
    if not state.exists():
        print(f"no cluster in {args.dir}")
        return 1
    data = json.loads(state.read_text())
    for n in data["nodes"]:
        print(f"node {n['id']}: pid {n['pid']} {'running' if _alive(n['pid']) else 'exited'}, "
              f"127.0.0.1:{n['port']}, logs {n['dir']}/server.log")
    print(f"bootstrap.servers={data['bootstrap']}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m checker.cluster", description=__doc__.splitlines()[0])
    p.add_argument("command", choices=("start", "stop", "status"))
    p.add_argument("--nodes", type=int, choices=(1, 3), default=1)
    p.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"where the cluster lives (default {DEFAULT_DIR})")
    p.add_argument("--timeout", type=float, default=START_TIMEOUT, help="seconds a start may take")
    args = p.parse_args(argv)
    try:
        return {"start": start, "stop": stop, "status": status}[args.command](args)
    except (ClusterFailed, MissingTool) as e:
        print(f"python -m checker.cluster: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
