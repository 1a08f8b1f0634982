"""CPython's hash(-1) == hash(-2): states that differ only by -1 against -2 must still get
different fingerprints (engine/fingerprints.py, Model.hash_apart), or the search loses
one of them. Found by the native backend's agreement tests (issue 23)."""
from __future__ import annotations

import pytest

from checker.compile.model import load
from checker.engine.fingerprints import fingerprint, fingerprints
from checker.engine.search import bfs

COUNT_UP = """spec Neg
var x: -6..6
init { x = -6 }
action Up when x < 6 { x = x + 1 }
"""

NESTED = """spec Nested
record R { on: bool, v: -3..0 }
var r: R
var s: set[-2..-1]
init { r = R(on: false, v: -3)  s = {} }
action Up when r.v < 0 { r.v = r.v + 1 }
action Flip { r.on = not r.on }
action AddTwo when -2 notin s { s = s union {-2} }
action AddOne when -1 notin s { s = s union {-1} }
"""


def _model(tmp_path, text):
    path = tmp_path / "spec.gdsl"
    path.write_text(text)
    return load(path)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_counter_through_minus_two_and_minus_one_is_counted_whole(tmp_path, workers):
    model = _model(tmp_path, COUNT_UP)
    assert model.hash_apart
    r = bfs(model, workers=workers, check_deadlock=False)
    assert (r.verdict, r.distinct, r.generated) == ("ok", 13, 13)


def test_minus_one_apart_from_minus_two_inside_records_and_sets(tmp_path):
    model = _model(tmp_path, NESTED)
    r = bfs(model, check_deadlock=False)
    assert (r.verdict, r.distinct) == ("ok", 4 * 2 * 4)          # r.v, r.on, s


def test_without_the_walk_they_collide_and_with_it_they_do_not():
    a, b = ((-1, frozenset({-1})),), ((-2, frozenset({-1})),)
    assert hash(a) == hash(b)                                   # the CPython fact this is about
    assert fingerprint(a, apart=True) != fingerprint(b, apart=True)
    assert list(fingerprints([a, b], apart=True)) == [fingerprint(a, True), fingerprint(b, True)]


def test_a_spec_that_cannot_hold_both_keeps_the_fast_path(tmp_path):
    assert not _model(tmp_path, COUNT_UP.replace("-6..6", "-1..6").replace("x = -6", "x = -1")).hash_apart
