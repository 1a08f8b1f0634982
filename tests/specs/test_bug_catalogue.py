"""The catalogue of real Kafka bugs (models/bugs/): each model puts one bug back into
spec/group.gdsl, the checker finds it by itself with the committed shortest trace,
and the spec without the variation passes the same property."""
from __future__ import annotations

import json
import tomllib

import pytest

from _support import EXIT_OK, ROOT, one_json_object, run_cli

BUGS = ROOT / "models" / "bugs"
MODELS = sorted(BUGS.glob("*.toml"))
EXIT_FOR = {"violation": (12, 13)}


def _model(path):
    return tomllib.loads(path.read_text())


def _comparable(itf: dict) -> dict:
    """A trace without the fields that depend on how the checker was invoked (paths) or on
    constants the model does not set (a new fix constant changes no behaviour)."""
    return {"vars": itf["vars"], "states": itf["states"], "property": itf["#meta"]["property"],
            "loop": itf.get("loop")}


def test_the_catalogue_has_its_bugs():
    names = {p.stem for p in MODELS}
    assert len(names) >= 7, names
    assert all(n.startswith("KAFKA-") or n.startswith("seaweedfs-") for n in names), names


@pytest.mark.slow
@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_bug_model_is_found_with_the_committed_trace(path, tmp_path):
    data = _model(path)
    expect = data["expect"]
    proc = run_cli(path.relative_to(ROOT), "--json", "--out", tmp_path, timeout=300)
    result = one_json_object(proc.stdout)
    assert result["verdict"] == "violation", result
    assert result["property"] == expect["property"]
    assert proc.returncode in EXIT_FOR["violation"], proc.stderr
    assert result["as_expected"] is True
    found = json.loads((tmp_path / path.stem / f"{expect['property']}.itf.json").read_text())
    reference = json.loads((path.parent / expect["trace"]).resolve().read_text())
    assert _comparable(found) == _comparable(reference), (
        f"the trace differs from the committed one; if the change is intended, refresh it with "
        f"`modelcheck {path.relative_to(ROOT)} --out /tmp/t && cp /tmp/t/{path.stem}/"
        f"{expect['property']}.itf.json {expect['trace']}`")
    # the trace says which variation produced it
    assert found["#meta"]["variation"] == {k: str(v).lower() for k, v in data["variation"].items()}


@pytest.mark.slow
def test_without_the_variation_every_bug_property_holds():
    """The same model with its fixes switched back on passes the bug's property."""
    for path in MODELS:
        undo = [a for name in _model(path)["variation"] for a in ("--const", f"{name}=true")]
        proc = run_cli(path.relative_to(ROOT), "--json", *undo, timeout=600)
        result = one_json_object(proc.stdout)
        assert result["verdict"] == "ok" and proc.returncode == EXIT_OK, (path.stem, result)


def test_every_bug_model_documents_itself():
    readme = (BUGS / "README.md").read_text()
    for path in MODELS:
        data = _model(path)
        assert data["bug"]["jira"] in path.stem or path.stem.startswith("seaweedfs-")
        assert data["bug"]["prs"] and data["bug"]["summary"].strip()
        assert len(data["variation"]) >= 1
        assert f"[{path.stem}]({path.name})" in readme, f"{path.stem} is missing from the catalogue table"


@pytest.mark.slow
def test_the_catalogue_gate_passes_as_recorded():
    proc = run_cli("--expected", "--json", "models/bugs", timeout=600)
    data = one_json_object(proc.stdout)
    assert proc.returncode == EXIT_OK, [(r.get("model"), r["verdict"], r.get("expected")) for r in data["runs"]]
    assert len(data["runs"]) == len(MODELS)
    assert all(r["as_expected"] for r in data["runs"])
