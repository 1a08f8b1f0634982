"""librdkafka's mock cluster through ctypes: confluent-kafka has no Python class for it.

The C API (rdkafka_mock.h) lives in the shared library the wheel bundles. A mock
cluster is owned by an rd_kafka_t handle; its brokers listen on 127.0.0.1 and real
clients connect to them through `bootstraps`. Request tracking gives the broker-side
request log (API key, broker, monotonic timestamp).
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
import glob
import os
import time

from checker.lang.errors import UsageError

# Kafka API keys of the requests the group protocol uses (the broker-side log names them).
API_NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit",
             9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
             13: "LeaveGroup", 14: "SyncGroup", 18: "ApiVersions"}


def confluent_kafka():
    """The confluent_kafka module, or a clear error: it is a test dependency only."""
    try:
        import confluent_kafka as ck
    except ImportError:
        raise UsageError("recording a scenario needs confluent-kafka: "
                         "pip install -e '.[test]' (or pip install confluent-kafka)") from None
    return ck


def _library():
    ck = confluent_kafka()
    found = glob.glob(os.path.join(os.path.dirname(ck.__file__), os.pardir, "confluent_kafka.libs",
                                   "librdkafka*.so*"))
    if not found:
        raise UsageError("the confluent-kafka package has no bundled librdkafka "
                         "(confluent_kafka.libs/librdkafka*.so): install the wheel from PyPI")
    lib = ctypes.CDLL(found[0])
    p, i, s, c = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t
    sigs = {
        "rd_kafka_conf_new": (p, []),
        "rd_kafka_conf_set": (i, [p, s, s, s, c]),
        "rd_kafka_new": (p, [i, p, s, c]),
        "rd_kafka_destroy": (None, [p]),
        "rd_kafka_mock_cluster_new": (p, [p, i]),
        "rd_kafka_mock_cluster_destroy": (None, [p]),
        "rd_kafka_mock_cluster_bootstraps": (s, [p]),
        "rd_kafka_mock_topic_create": (i, [p, s, i, i]),
        "rd_kafka_mock_topic_delete": (i, [p, s]),
        "rd_kafka_mock_group_initial_rebalance_delay_ms": (None, [p, ctypes.c_int32]),
        "rd_kafka_mock_broker_set_down": (i, [p, ctypes.c_int32]),
        "rd_kafka_mock_broker_set_up": (i, [p, ctypes.c_int32]),
        "rd_kafka_mock_coordinator_set": (i, [p, s, s, ctypes.c_int32]),
        "rd_kafka_mock_start_request_tracking": (None, [p]),
        "rd_kafka_mock_get_requests": (ctypes.POINTER(p), [p, ctypes.POINTER(c)]),
        "rd_kafka_mock_request_id": (ctypes.c_int32, [p]),
        "rd_kafka_mock_request_api_key": (ctypes.c_int16, [p]),
        "rd_kafka_mock_request_timestamp": (ctypes.c_int64, [p]),
        "rd_kafka_mock_request_destroy_array": (None, [ctypes.POINTER(p), c]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib


@dataclass
class Request:
    broker: int
    api: str
    t: float          # seconds on time.monotonic()'s clock (both are CLOCK_MONOTONIC)


class MockCluster:
    """A mock Kafka cluster of `brokers` brokers, owned by a private producer handle."""

    def __init__(self, brokers: int = 3):
        self.lib = _library()
        err = ctypes.create_string_buffer(512)
        conf = self.lib.rd_kafka_conf_new()
        self.lib.rd_kafka_conf_set(conf, b"log_level", b"0", err, 512)   # no bootstrap warning
        self.rk = self.lib.rd_kafka_new(0, conf, err, 512)
        if not self.rk:
            raise RuntimeError(f"rd_kafka_new: {err.value.decode()}")
        self.mc = self.lib.rd_kafka_mock_cluster_new(self.rk, brokers)
        self.bootstraps = self.lib.rd_kafka_mock_cluster_bootstraps(self.mc).decode()
        self.lib.rd_kafka_mock_start_request_tracking(self.mc)

    def create_topic(self, topic: str, partitions: int):
        self._check(self.lib.rd_kafka_mock_topic_create(self.mc, topic.encode(), partitions, 1),
                    "topic_create")

    def delete_topic(self, topic: str):
        self._check(self.lib.rd_kafka_mock_topic_delete(self.mc, topic.encode()), "topic_delete")

    def initial_rebalance_delay(self, ms: int):
        self.lib.rd_kafka_mock_group_initial_rebalance_delay_ms(self.mc, ms)

    def coordinator(self, group: str, broker: int):
        self._check(self.lib.rd_kafka_mock_coordinator_set(self.mc, b"group", group.encode(), broker),
                    "coordinator_set")

    def broker_down(self, broker: int):
        self._check(self.lib.rd_kafka_mock_broker_set_down(self.mc, broker), "broker_set_down")

    def broker_up(self, broker: int):
        self._check(self.lib.rd_kafka_mock_broker_set_up(self.mc, broker), "broker_set_up")

    def requests(self) -> list:
        """Every request the brokers received since tracking started, oldest first."""
        n = ctypes.c_size_t(0)
        arr = self.lib.rd_kafka_mock_get_requests(self.mc, ctypes.byref(n))
        out = []
        for k in range(n.value):
            r = arr[k]
            key = self.lib.rd_kafka_mock_request_api_key(r)
            out.append(Request(self.lib.rd_kafka_mock_request_id(r), API_NAMES.get(key, f"api{key}"),
                               self.lib.rd_kafka_mock_request_timestamp(r) / 1e6))
        if n.value:
            self.lib.rd_kafka_mock_request_destroy_array(arr, n)
        return sorted(out, key=lambda r: r.t)

    def close(self):
        if self.mc:
            self.lib.rd_kafka_mock_cluster_destroy(self.mc)
            self.mc = None
        if self.rk:
            self.lib.rd_kafka_destroy(self.rk)
            self.rk = None

    def _check(self, code: int, what: str):
        if code:
            raise RuntimeError(f"rd_kafka_mock_{what} failed with error code {code}")


def monotonic() -> float:
    return time.monotonic()
