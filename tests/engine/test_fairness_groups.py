"""Fairness over a group of actions, `fairness weak (A | B)` (TLA+'s WF_vars(A \\/ B)),
per value of the parameters listed, and `when` conditions that read parameters not
listed: each verdict below is worked out by hand in the comment above it."""
from __future__ import annotations

import pytest

from checker.compile.model import compile_model, load_spec
from checker.engine.liveness import search

# Flip toggles t for ever (not fair). A is enabled only where t == 0, B only where
# t == 1: neither is enabled continuously, so WF(A) and WF(B) allow flipping for ever
# and `done` is never set; A \/ B is enabled in every state with `done` false, so
# WF(A \/ B) forces one of them.
ALTERNATING = """
spec Alt
var t: 0..1 = 0
var done: bool = false
action Flip {{ t = 1 - t }}
action A when t == 0 and not done {{ done = true }}
action B when t == 1 and not done {{ done = true }}
fairness {fairness}
temporal property Done = eventually done
"""

# Each process moves 0 -> 1 (Go) and back (Back). WF of the whole group is satisfied by
# process 1 moving for ever while process 2 stays at 0; one group per process forbids
# that. The listed parameters are matched by position: Go's p with Back's q.
PROCESSES = """
spec Procs
type Proc = 1..2
var pc: map[Proc, 0..1] = {{p: 0 for p in Proc}}
action Go(p: Proc) when pc[p] == 0 {{ pc[p] = 1 }}
action Back(q: Proc) when pc[q] == 1 {{ pc[q] = 0 }}
fairness {fairness}
temporal property EachMoves = forall p in Proc: always eventually pc[p] == 1
"""

# Send(c, m) puts message m on c's channel. WF per c restricted to m == 1 (a condition
# reading the parameter m, which is not listed): from a state where c's channel holds
# 0, Send(c, 1) is enabled until taken, so each channel eventually holds 1. With the
# condition m == 0 instead, nothing forces a 1: a behaviour can stay at 0 for ever.
CONDITION = """
spec Cond
type Chan = 1..2
var box: map[Chan, 0..1] = {{c: 0 for c in Chan}}
action Send(c: Chan, m: 0..1) {{ box[c] = m }}
fairness weak Send(c) when {cond}
temporal property Gets1 = forall c in Chan: eventually box[c] == 1
"""


def _run(tmp_path, text):
    path = tmp_path / "s.gdsl"
    path.write_text(text)
    result, _ = search(compile_model(load_spec(path)), check_deadlock=False)
    return result


@pytest.mark.parametrize("fairness, verdict", [
    ("weak (A | B)", "ok"),
    ("strong (A | B)", "ok"),
    ("weak A, B", "violation"),        # each alone is never enabled continuously
    ("weak (A | Flip)", "violation"),  # Flip alone keeps the group taken
])
def test_a_group_is_enabled_when_any_member_is(tmp_path, fairness, verdict):
    r = _run(tmp_path, ALTERNATING.format(fairness=fairness))
    assert (r.verdict, r.property if verdict != "ok" else None) == (verdict, "Done" if verdict != "ok" else None)


@pytest.mark.parametrize("fairness, verdict", [
    ("weak (Go(p) | Back(q))", "ok"),
    ("weak (Go | Back)", "violation"),
    ("weak Go(p), Back(q)", "ok"),
])
def test_a_group_per_value_of_its_listed_parameters(tmp_path, fairness, verdict):
    r = _run(tmp_path, PROCESSES.format(fairness=fairness))
    assert r.verdict == verdict
    if verdict == "violation":
        assert r.property == "EachMoves" and r.loop is not None


@pytest.mark.parametrize("cond, verdict", [("m == 1", "ok"), ("m == 0", "violation")])
def test_a_when_condition_may_read_parameters_not_listed(tmp_path, cond, verdict):
    r = _run(tmp_path, CONDITION.format(cond=cond))
    assert r.verdict == verdict
