"""Every explicit engine uses only the members of engine/protocol.py's ExplicitModel,
and the Python backend's Model provides each of them."""
from __future__ import annotations

import ast
from pathlib import Path

from checker.compile.model import load
from checker.engine.protocol import MEMBERS

from _support import DIEHARD, ROOT


def _model_reads(path: Path) -> set:
    """The attributes read off a name `model` (or `self.model`) in a module."""
    reads = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id == "model" or \
                    isinstance(base, ast.Attribute) and base.attr == "model":
                reads.add(node.attr)
    return reads


def test_engines_read_only_the_protocol():
    engine = ROOT / "checker" / "engine"
    outside = {f"{p.name}: model.{a}" for p in engine.glob("*.py") for a in _model_reads(p) - MEMBERS}
    assert outside == set()


def test_the_python_backend_provides_the_protocol():
    model = load(DIEHARD)
    assert [m for m in sorted(MEMBERS) if not hasattr(model, m)] == []


def test_a_read_outside_the_protocol_is_seen(tmp_path):
    sample = tmp_path / "engine_sample.py"
    sample.write_text("def f(model):\n    return model.namespace, model.successors\n")
    assert _model_reads(sample) - MEMBERS == {"namespace"}
