"""gdsl + modelcheck: a specification language and model checker for the Kafka group protocol.

The pipeline, one package a stage (docs/architecture.md): lang (grammar, AST, types,
type checker) -> compile (the Python backend: the compiled model engines consume) and
symbolic (the z3 backend) -> engine (breadth-first search, workers, liveness,
simulation, replay, scenarios) -> traces (text, ITF, diagrams, HTML, CI reports) ->
conformance and oracle (real Kafka against the spec) -> cli (`modelcheck`).
"""
__version__ = "0.1.0"
