"""The editor's index of a spec (checker/lang/navigation.py): every name resolved to
the declaration the type checker resolves it to, scopes as the checker scopes them,
hover text from declarations, types and comments."""
from __future__ import annotations

from pathlib import Path

import pytest

from checker.lang import ast as A
from checker.lang import parser, typecheck
from checker.lang.errors import SpecError
from checker.lang.navigation import _typed_nodes, index_spec

ROOT = Path(__file__).resolve().parents[2]
# Every spec that stands alone: the index works one file at a time, so a spec that
# `extends` another (spec/questions/) is not one it can resolve (docs/editor.md).
CHECKED = [p for p in sorted(ROOT.rglob("*.gdsl")) if "malformed" not in p.parts and ".venv-ci" not in p.parts
           and "node_modules" not in p.parts and "editors" not in p.parts and "test-artifacts" not in p.parts
           and not any(line.startswith("extends ") for line in p.read_text(encoding="utf-8").splitlines())]

# The type checker's kind of a name, and the index's kinds of declaration that fit it.
FITS = {"local": {"local", "parameter"}, "var": {"var"}, "const": {"const"}, "enum": {"enum value", "enum"},
        "def": {"def"}, "type": {"type", "record", "enum"}}


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_name_resolves_as_the_type_checker_resolves_it(path):
    source = path.read_text(encoding="utf-8")
    spec = parser.parse(source, str(path))
    typecheck.check(spec)
    index = index_spec(source, spec)
    at = {(o.line, o.col): o for o in index.occurrences}
    names = [n for n in _typed_nodes(spec) if isinstance(n, A.Name) and n.kind in FITS
             and not isinstance(n, A.TypeSet)]            # `map[K, V]` as a set: no name to resolve
    assert names
    for n in names:
        occ = at.get(tuple(n.pos))
        assert occ is not None and occ.symbol is not None, (n.name, n.pos)
        assert occ.symbol.kind in FITS[n.kind], (n.name, n.pos, n.kind, occ.symbol.kind)
        if n.kind == "local":            # the same local: its type is this use's type
            assert occ.symbol.type == str(n.ty), (n.name, n.pos)
        else:
            assert occ.symbol.name == n.name


SCOPES = """\
spec Scopes
const N: int = 2
var x: 0..2
var s: set[0..2]
init { x = 0  s = {} }
action A(p: 0..2) {
  let y = p
  if y > 0 {
    let z = y
    s = {z}
  }
  s = {w for w in s if w > y}
}
invariant I = forall a in s: exists b in {a}: b == a and N > 0
"""


def test_scopes_and_block_ends():
    spec = parser.parse(SCOPES)
    typecheck.check(spec)
    index = index_spec(SCOPES, spec)
    sym = index.definition

    param = sym(6, 10)
    assert param.kind == "parameter" and param.container.name == "A" and param.type == "0..2"
    assert sym(7, 11) is param
    let_y = sym(7, 7)
    assert let_y.kind == "local" and sym(9, 13) is let_y and sym(12, 28) is let_y
    assert sym(10, 10).name == "z" and sym(10, 10).line == 9
    w = sym(12, 14)                                 # {w for w in s ...}: the comprehension's w
    assert w.kind == "local" and sym(12, 8) is w and sym(12, 24) is w
    var_s = index.by_name["s"]
    assert sym(12, 19) is var_s                     # `in s`: the variable
    a, b = sym(14, 22), sym(14, 37)
    assert sym(14, 43) is a and sym(14, 52) is a and sym(14, 47) is b
    assert sym(14, 58) is index.by_name["N"]
    refs = index.references(var_s)
    assert [(o.line, o.col) for o in refs] == [(4, 5), (5, 15), (10, 5), (12, 3), (12, 19), (14, 27)]
    assert [(o.line, o.col) for o in index.references(var_s, include_declaration=False)][0] == (5, 15)
    assert {s.name for s in index.visible(10, 5)} >= {"x", "y", "z", "s", "N", "A", "p"}
    assert "z" not in {s.name for s in index.visible(12, 5)}   # z's block has ended
    assert not {"y", "p", "w"} & {s.name for s in index.visible(14, 1)}


def test_hover_without_types_still_shows_declarations():
    source = SCOPES.replace("s = {z}", "s = {z} union true")       # a type error
    spec = parser.parse(source)
    with pytest.raises(SpecError):
        typecheck.check(spec)
    index = index_spec(source)
    assert "var s: set[0..2]" in index.hover(10, 5)
    assert index.definition(10, 10).name == "z"


def test_a_rename_is_refused_where_the_checker_would_refuse_the_result():
    index = index_spec(SCOPES)
    s, y, z, p = index.by_name["s"], index.definition(7, 7), index.definition(9, 9), index.definition(6, 10)
    assert index.rename_problem(s, "owned") is None
    assert index.rename_problem(s, "x") == "'x' is already declared at line 3"
    assert index.rename_problem(s, "forall") == "'forall' is a keyword of gdsl"
    assert index.rename_problem(s, "size") == "'size' is a builtin function"
    assert "is not a name" in index.rename_problem(s, "2x")
    assert index.rename_problem(z, "y") == "'y' is already declared at line 7"      # y's scope holds z's
    assert index.rename_problem(z, "w") is None           # the comprehension's w: scopes apart
    assert index.rename_problem(p, "a") is None and index.rename_problem(y, "N") is not None
