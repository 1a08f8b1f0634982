"""gdsl from Python: load a spec, check, simulate, prove, replay; results and traces as
plain Python values; HTML in Jupyter. Documented in docs/api.md; this list is the
public surface, kept stable across releases (tests/api/test_api.py holds it).

    from checker import api
    spec = api.load("spec/group.gdsl", CONSUMERS=2)
    result = spec.check()
"""
from __future__ import annotations

from .results import Replayed, Result, State, Trace
from .spec import BACKENDS, GdslError, Progress, SimulationProgress, Spec, load, replay

__all__ = ["load", "replay", "Spec", "Result", "Trace", "State", "Replayed", "Progress",
           "SimulationProgress", "GdslError", "BACKENDS"]
