"""A KRaft cluster for the tests that need one: started once a module, stopped after it."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory):
    """One Kafka 4.3.1 node on loopback (harness/broker built on demand); no JVM is left behind."""
    from checker.cluster.broker import Cluster
    cluster = Cluster(1, root=tmp_path_factory.mktemp("kafka"))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
