"""Miniscoping (checker/compile/quantifiers.py): a quantifier over several variables split
into smaller ones must have the value of the quantifier as written, in every state."""
from __future__ import annotations

import pytest

import checker.compile.expressions
from checker.lang import ast as A
from checker.compile.model import compile_model, load_spec
from checker.compile.quantifiers import miniscoped

from _support import reachable

# Each invariant is one quantifier shape; `split` says whether miniscoping applies.
SHAPES = {
    "NotBoth": ("forall a, b in Node: not (v[a] == 1 and v[b] == 2)", True),
    "Implies": ("forall a in Node, b in Node: v[a] == 1 => v[b] != 2", True),
    "Linked": ("forall a, b in Node: v[a] == 0 or v[a] == v[b]", False),
    "Chain": ("forall a, b, c in Node: v[a] == 2 or v[a] != v[b] or v[b] == v[c]", False),
    "Pairs": ("forall a, b, c in Node: v[a] == 2 or v[b] != v[c] or v[a] == 0", True),
    "Three": ("forall a, b, c in Node: v[a] == 2 or v[b] == 1 or v[c] != 0", True),
    "Free": ("forall a, b in Node: flag or v[a] != 1 or v[b] != 1 or a == b", True),
    "FreeOnly": ("forall a, b in Node: flag or v[a] + v[b] < 3", True),
    "Exists": ("exists a, b in Node: v[a] == 1 and v[b] == 2", True),
    "NotOr": ("exists a, b in Node: not (v[a] != 1 or v[b] != 0)", True),
    "NotImplies": ("exists a, b in Node: not (v[a] == 0 => v[b] == 0)", True),
    "Dependent": ("forall a in Node, b in {x for x in Node if v[x] == v[a]}: v[b] >= 0 or v[a] == 9", False),
    "Sets": ("forall a in 0..4, b in 0..4: a notin s or b notin s or a < 3", True),
}

SPEC = """spec Shapes
const N: int = 4
type Node = scalarset(N)
var v: map[Node, 0..2]
var flag: bool
var s: set[0..4]
init { v = {n: 0 for n in Node}  flag = false  s = {} }
action Up(n: Node) when v[n] < 2 { v[n] = v[n] + 1 }
action Down(n: Node) when v[n] == 2 { v[n] = 0  flag = not flag }
action Add(i: 0..4) when i notin s { s = s union {i} }
action Drop(i: 0..4) when i in s and flag { s = s minus {i} }
""" + "".join(f"invariant {name} = {text}\n" for name, (text, _) in SHAPES.items())


def _quant(checked, name):
    return next(p for p in checked.properties if p.name == name).expr


@pytest.mark.parametrize("name", SHAPES)
def test_miniscoping_splits_what_it_can(tmp_path, name):
    path = tmp_path / "shapes.gdsl"
    path.write_text(SPEC)
    q = _quant(load_spec(path, {}), name)
    assert isinstance(q, A.Quant)
    split = miniscoped(q)
    assert (split is not None) == SHAPES[name][1]
    if split is not None:            # no quantifier left over more variables than before
        assert not isinstance(split, A.Quant)


def test_split_quantifiers_agree_with_the_written_ones_in_every_state(tmp_path, monkeypatch):
    """Each invariant alone, compiled split and as written, on every reachable state;
    each must be seen both true and false, so that the comparison means something."""
    path = tmp_path / "shapes.gdsl"
    path.write_text(SPEC)
    split = {name: compile_model(load_spec(path, {}), [name]) for name in SHAPES}
    monkeypatch.setattr(checker.compile.expressions, "miniscoped", lambda q: None)
    written = {name: compile_model(load_spec(path, {}), [name]) for name in SHAPES}
    assert split["NotBoth"].source != written["NotBoth"].source
    states = reachable(written["NotBoth"])
    assert len(states) > 1000
    for name in SHAPES:
        holds = [(split[name].check_invariants(st) == -1, written[name].check_invariants(st) == -1)
                 for st in states]
        assert all(a == b for a, b in holds), name
        assert {a for a, _ in holds} == ({True} if name == "Dependent" else {True, False}), name
