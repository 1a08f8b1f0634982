"""The implementation a recording comes from -> the spec constants that describe it.

spec/group.gdsl models the Java client against Apache Kafka's coordinator. Constants
that are off by default describe where librdkafka's client and librdkafka's mock
cluster behave otherwise (the spec's "Other implementations"; docs/conformance.md has
the evidence). A recording names its client and its cluster in its metadata, so the
check runs the spec as that client against that cluster would behave; --client and
--cluster override it (e.g. to see where librdkafka departs from the Java client).
"""
from __future__ import annotations

from dataclasses import dataclass

from checker.lang.errors import UsageError

CLIENTS = {
    "java": {},
    "librdkafka": {"FOLLOWERS_WATCH_METADATA": True, "STICKY_KEEPS_HIGHEST": True,
                   "EAGER_SUBSCRIPTION_NO_GENERATION": True},
}
CLUSTERS = {
    "kafka": {},
    "librdkafka-mock": {"MOCK_LATE_SYNC_INVALID": True, "MOCK_JOIN_ALWAYS_REBALANCES": True},
}


@dataclass(frozen=True)
class Variation:
    client: str
    cluster: str
    chosen_by: str          # "the recording's metadata", or the options that overrode it

    @property
    def constants(self) -> dict:
        return {**CLIENTS[self.client], **CLUSTERS[self.cluster]}

    def describe(self) -> str:
        consts = ", ".join(f"{n} = {str(v).lower()}" for n, v in self.constants.items())
        return (f"the {self.client} client against the {self.cluster} cluster ({self.chosen_by}): "
                + (consts or "the spec's defaults"))


def recorded(meta: dict) -> tuple:
    """(client, cluster) a recording names. Recordings made before the metadata named
    them carry librdkafka's version instead: librdkafka consumers on its mock cluster,
    the only ones the driver runs."""
    legacy = "librdkafka" in meta
    return (meta.get("client", "librdkafka" if legacy else "java"),
            meta.get("cluster", "librdkafka-mock" if legacy else "kafka"))


def variation(meta: dict, where: str, client: str | None = None, cluster: str | None = None) -> Variation:
    """The variation to check a recording against: the recording's own, unless overridden."""
    rec_client, rec_cluster = recorded(meta)
    overrides = [f"--{opt} {v}" for opt, v in (("client", client), ("cluster", cluster)) if v]
    v = Variation(client or rec_client, cluster or rec_cluster,
                  ", ".join(overrides) if overrides else "from the recording's metadata")
    for kind, name, known in (("client", v.client, CLIENTS), ("cluster", v.cluster, CLUSTERS)):
        if name not in known:
            raise UsageError(f"{where}: unknown {kind} {name!r} (known: {', '.join(known)})")
    return v
