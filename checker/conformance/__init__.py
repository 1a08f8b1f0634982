"""Conformance: check real Kafka consumers against spec/group.gdsl (trace validation).

Real librdkafka consumers (bundled in confluent-kafka) run against librdkafka's
in-process mock cluster under a scripted scenario (`driver`), their protocol events
are recorded as JSON lines (`recorder`), the events become observations of spec
steps and state (`mapping`), and a search finds a behaviour of the spec that
explains every observation, internal steps left unobserved (`matcher`).
docs/conformance.md says what conforms and what does not.
"""
