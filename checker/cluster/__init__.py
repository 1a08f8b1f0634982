"""Real Kafka: KRaft brokers started by the project, real consumers (the Java
KafkaConsumer and librdkafka) on them, their runs recorded from both sides.

`broker` starts and stops the brokers (harness/broker, Kafka 4.3.1); `requestlog` turns
a broker's request log into the coordinator's responses; `javaclient` runs the Java
driver; `run` plays a conformance scenario on a cluster and writes a recording that
`modelcheck --conform` checks (docs/conformance.md, "On Apache Kafka").
"""
