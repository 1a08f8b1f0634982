"""Where Kafka chooses, the oracle lets it: the spec's own reductions are turned off.

A spec may explore only some of Kafka's choices when the rest are the same behaviours
renamed: spec/group.gdsl's CANONICAL_FIRST_IDS keeps only the behaviours whose
consumers' first member ids sort in consumer order (a sound symmetry reduction for the
model checker). Against Kafka that is wrong: Kafka draws its ids at random and the
behaviour is already under way, so the spec must allow every order. The oracles load
a spec through `kafka_chooses`, which turns such constants off unless the caller set
them. Cost: one more compilation (about a second) when a spec declares one.
"""
from __future__ import annotations

# constant -> the value that lets Kafka choose
KAFKA_CHOOSES = {"CANONICAL_FIRST_IDS": "false"}


def kafka_chooses(load, consts: dict, constants=lambda model: model.constants):
    """load(consts) -> model; the model again with KAFKA_CHOOSES applied where the spec
    declares them (constants(model) has them) and `consts` does not set them."""
    model = load(consts)
    extra = {k: v for k, v in KAFKA_CHOOSES.items() if k in constants(model) and k not in consts}
    return load({**consts, **extra}) if extra else model
