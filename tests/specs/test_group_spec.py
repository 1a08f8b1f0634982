"""spec/group.gdsl as a whole: small configurations explored exhaustively, every fault
kind reachable, and the properties that do not hold in Kafka failing the way the spec
explains. (The full default configuration is the README's main job and a benchmark,
not a test: it takes minutes.)"""
from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from checker.engine.search import bfs
from checker.compile.model import load_spec, compile_model

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "group.gdsl"
TWO = {"CONSUMERS": "2"}


@lru_cache(maxsize=None)
def _model(consts: tuple, invariants: tuple | None = None, skip: tuple = ()):
    return compile_model(load_spec(SPEC, dict(consts)), list(invariants) if invariants else None,
                         skip=list(skip))


def model(consts=None, invariants=None, skip=()):
    return _model(tuple(sorted((consts or {}).items())), tuple(invariants) if invariants else None,
                  tuple(skip))


@pytest.mark.slow
def test_two_consumers_with_every_fault_kind_pass_exhaustively():
    r = bfs(model(TWO))
    assert r.verdict == "ok", (r.property, r.message)
    assert r.queue_left == 0
    # every default property was checked, and none is refuted
    names = {p.name for p in model(TWO).invariants + model(TWO).action_properties}
    assert {"OneLeaderPerCoordinatorGeneration", "DisjointAssignment", "FullAssignment",
            "MonotonicCommits", "CommitFencing", "ValidGroupTransitions"} <= names
    assert "OneLeaderPerGeneration" not in names


@pytest.mark.slow
@pytest.mark.parametrize("assignor", ["roundrobin", "sticky"])
def test_other_eager_assignors_pass(assignor):
    r = bfs(model({**TWO, "ASSIGNOR": assignor}))
    assert r.verdict == "ok", (r.property, r.message)


def _spec_with(extra: str, tmp_path: Path) -> Path:
    path = tmp_path / "group_probe.gdsl"
    path.write_text(SPEC.read_text() + "\n" + extra + "\n")
    return path


@pytest.mark.parametrize("fault, never", [
    ("crash", "crashes == 0"),
    ("close", "leaves == 0"),
    ("poll timeout", "pollTimeouts == 0"),
    ("timer removing a live member", "timeouts == 0"),
    ("coordinator failover", "epoch == 0"),
    ("partition growth", "partitions == INITIAL_PARTITIONS"),
])
def test_each_fault_kind_happens_in_the_default_budget(fault, never, tmp_path):
    """FAULTS = 1 still lets every kind of fault happen (one per run)."""
    path = _spec_with(f"invariant Never = {never}", tmp_path)
    m = compile_model(load_spec(path, TWO), ["Never"])
    r = bfs(m)
    assert r.verdict == "violation" and r.property == "Never", fault


def test_the_group_reaches_stable_with_everyone_stable_and_commits(tmp_path):
    path = _spec_with("invariant NeverAllStable = not (groupState == Stable and "
                      "(forall c in Consumer: client[c] == STABLE) and size(committed) > 0)", tmp_path)
    r = bfs(compile_model(load_spec(path, TWO), ["NeverAllStable"]))
    assert r.verdict == "violation"
    last = r.trace[-1].state
    plain = compile_model(load_spec(path, TWO), ["NeverAllStable"]).plain(last)
    assert plain["groupState"] == "Stable"
    assert len(plain["committed"]) > 0


def test_one_leader_per_generation_is_refuted_by_a_ghost_generation():
    """§8.2 / A.5: a JoinGroup response sent just before a failover makes C1 leader of
    generation g+1 of the old coordinator; the new one forms its own g+1 led by C2."""
    m = model(TWO, ["OneLeaderPerGeneration"])
    r = bfs(m)
    assert r.verdict == "violation" and r.property == "OneLeaderPerGeneration"
    last = m.plain(r.trace[-1].state)
    leaders = {c: e for c, e in last["isLeader"].items() if e is not None}
    assert len(leaders) == 2
    gens = {last["clientGen"][c] for c in leaders}
    assert len(gens) == 1 and gens.pop() >= 1
    assert len(set(leaders.values())) == 2          # told by two coordinator incarnations
    assert any(s.action == "CoordinatorFailover" for s in r.trace)
    # what Kafka guarantees holds in the same configuration (checked by default)
    assert "OneLeaderPerCoordinatorGeneration" in {p.name for p in model(TWO).invariants}


def test_committed_ghost_generation_trace_is_the_one_the_checker_finds():
    committed = json.loads((ROOT / "counterexamples/ConsumerGroup-CONSUMERS=2/OneLeaderPerGeneration.itf.json").read_text())
    m = model(TWO, ["OneLeaderPerGeneration"])
    r = bfs(m)
    from checker.traces.itf import trace_to_itf
    fresh = trace_to_itf(m, r.trace, property_name="OneLeaderPerGeneration")
    assert committed["#meta"]["constants"]["CONSUMERS"] == "2"
    assert [s["mbt::actionTaken"] for s in committed["states"]] == [s["mbt::actionTaken"] for s in fresh["states"]]
    assert committed["states"][-1] == fresh["states"][-1]


def test_cooperative_sticky_leaves_a_moving_partition_unassigned_for_one_generation():
    """FullAssignment fails under COOPERATIVE by design (KIP-429, §10.3-10.4): the
    partition moving to a new owner is withheld until its old owner revokes it."""
    m = model({**TWO, "ASSIGNOR": "cooperative_sticky"})
    r = bfs(m)
    assert r.verdict == "violation" and r.property == "FullAssignment"
    last = m.plain(r.trace[-1].state)
    assert last["groupState"] == "Stable"
    unassigned = [p for p in range(last["assignedFor"])
                  if not any(p in info["assignment"] for info in last["members"].values())]
    assert unassigned
    for p in unassigned:   # each is still claimed by a member that must revoke it
        assert any(p in info["meta"]["owned"] and p not in info["assignment"]
                   for info in last["members"].values())


@pytest.mark.slow
def test_cooperative_sticky_passes_what_it_guarantees():
    r = bfs(model({**TWO, "ASSIGNOR": "cooperative_sticky"}, skip=("FullAssignment",)))
    assert r.verdict == "ok", (r.property, r.message)


def test_cli_skip_names_an_unknown_property_cleanly():
    p = subprocess.run([sys.executable, "-m", "checker.cli", str(SPEC), "--skip", "Nope"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert "--skip Nope" in p.stderr and "FullAssignment" in p.stderr
    assert "Traceback" not in p.stderr
