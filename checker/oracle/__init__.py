"""Apache Kafka as the oracle: Kafka's own group coordinator and consumer coordinator,
run in-process in a JVM (harness/), driven step by step by behaviours of the spec.
"""
