"""The formatter (checker/lang/format.py): only whitespace changes, idempotent, every
comment kept, and the repo's specs already in the house style."""
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from checker.lang import ast as A
from checker.lang.errors import SpecError
from checker.lang.format import format_source
from checker.lang.parser import parse
from checker.lang.sourcefile import read_source

ROOT = Path(__file__).resolve().parents[2]
# Every spec in the repo, but the VS Code grammar tests (their comments point at columns)
SPECS = sorted(p for p in ROOT.rglob("*.gdsl")
               if not any(part.startswith(".") or part in ("test-artifacts", "node_modules")
                          for part in p.relative_to(ROOT).parts)
               and not p.is_relative_to(ROOT / "editors" / "vscode" / "tests"))


def shape(node):
    """An AST without its positions, comparable with ==."""
    if isinstance(node, A.Spec):
        return ("Spec", node.name, shape(node.decls))
    if is_dataclass(node):
        return (type(node).__name__,) + tuple(shape(getattr(node, f.name)) for f in fields(node)
                                             if f.name not in ("pos", "ty") and not f.name.endswith("_pos"))
    if isinstance(node, (list, tuple)):
        return tuple(shape(x) for x in node if not (isinstance(x, tuple) and len(x) == 2
                                                      and all(isinstance(v, int) for v in x)))
    return node


def parses(path):
    try:
        return parse(path.read_text(encoding="utf-8"), str(path))
    except (SpecError, UnicodeDecodeError):
        return None


def test_the_repo_has_specs_to_format():
    assert (ROOT / "spec" / "group.gdsl") in SPECS and len(SPECS) > 20


def test_shape_tells_different_specs_apart_and_ignores_positions():
    assert shape(parse("spec S\nvar x: bool\n")) != shape(parse("spec S\nvar y: bool\n"))
    assert shape(parse("spec S\nvar x: 0..1\n")) != shape(parse("spec S\nvar x: 0..2\n"))
    assert shape(parse("spec S\nvar x: bool\n")) == shape(parse("spec S\n\n  var x :bool\n"))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_round_trips_and_is_in_the_house_style(path):
    spec = parses(path)
    if spec is None:                     # a malformed-spec fixture: fmt says what the checker says
        try:
            source = read_source(path)
        except SpecError as e:
            assert "not valid UTF-8" in e.message
            return
        with pytest.raises(SpecError) as refused:
            format_source(source, str(path))
        with pytest.raises(SpecError) as checker:
            parse(source, str(path))
        assert refused.value.format() == checker.value.format()
        return
    source = path.read_text(encoding="utf-8")
    formatted = format_source(source, str(path))
    assert shape(parse(formatted, str(path))) == shape(spec)
    assert format_source(formatted) == formatted
    assert formatted == source, f"{path} is not formatted: run modelcheck fmt {path}"


UGLY = """\
spec   Ugly
// header
const N:int=3   // trailing
                // continues
enum Color{red,green}
record R{a:int,
         b : bool}
var x : 0..N-1
var s : set[ 0..N ]
init {x=0
s={}}


action A ( c : 0..N - 1 )
      when x<N-1 and not(x==-1) {
        // inside
      x = x+1   ;   s = s union {x}  // t
    if x > 1 {
    x = 0 } else {
            x = - x
    }
       }
invariant I = forall c in 0..N-1: (c>=0 and
                                 c<N)
   /* block */
def f ( a : int ) : int = if a>0 then a else -a
def g(m: map[int, int], t: tuple[int, bool]): int = m[ 1 ] + t . 0 + len( [ 1,2 ] ) + size({:})
"""

TIDY = """\
spec Ugly
// header
const N: int = 3 // trailing
                 // continues
enum Color { red, green }
record R { a: int,
         b: bool }
var x: 0..N - 1
var s: set[0..N]
init { x = 0
  s = {} }

action A(c: 0..N - 1)
      when x < N - 1 and not (x == -1) {
  // inside
  x = x + 1; s = s union {x}         // t
  if x > 1 {
    x = 0 } else {
    x = -x
  }
}
invariant I = forall c in 0..N - 1: (c >= 0 and
                                 c < N)
/* block */
def f(a: int): int = if a > 0 then a else -a
def g(m: map[int, int], t: tuple[int, bool]): int = m[1] + t.0 + len([1, 2]) + size({:})
"""


def test_an_untidy_spec_is_laid_out_in_the_house_style():
    assert format_source(UGLY) == TIDY
    assert shape(parse(TIDY)) == shape(parse(UGLY))
    assert format_source(TIDY) == TIDY


def test_statements_sharing_a_line_are_two_spaces_apart():
    src = "spec S\nvar x: 0..1\nvar y: bool\ninit { x = 0 y = false }\n"
    assert format_source(src) == "spec S\nvar x: 0..1\nvar y: bool\ninit { x = 0  y = false }\n"


def test_a_block_nested_under_a_continued_header_lines_up_with_its_owner():
    src = ("spec S\nvar x: 0..3\ninit { x = 0 }\naction A\n    when x < 3 {\n"
           "        if x == 0 {\n   x = 1\n      }\n}\n")
    assert format_source(src) == ("spec S\nvar x: 0..3\ninit { x = 0 }\naction A\n    when x < 3 {\n"
                                  "  if x == 0 {\n    x = 1\n  }\n}\n")


def test_blank_line_runs_become_one_and_the_file_ends_with_one_newline():
    src = "\n\nspec S\n\n\n\nvar x: bool   \ninit { x = true }"
    assert format_source(src) == "spec S\n\nvar x: bool\ninit { x = true }\n"


def test_comment_lines_under_a_trailing_comment_stay_there_past_a_note():
    src = ("spec S\n"
           "var x: bool   // trailing\n"
           "                 // a note, deeper than the code, not under the comment\n"
           "              // under the trailing comment\n"
           "init { x = true }\n")
    assert format_source(src) == src
    pushed = "spec S\nvar x:bool// trailing\n          // under it\ninit { x = true }\n"
    assert format_source(pushed).splitlines()[1:3] == ["var x: bool // trailing",     # the code reached it
                                                       "            // under it"]


def test_windows_line_ends_stay_windows_line_ends():
    assert format_source("spec S\r\nvar x : bool  // c\r\n") == "spec S\r\nvar x: bool   // c\r\n"


def test_a_syntax_error_is_the_checkers_own_message():
    with pytest.raises(SpecError) as e:
        format_source("spec S\naction A { x = }\n", "bad.gdsl")
    assert e.value.format().startswith("bad.gdsl:2:16: error: unexpected '}'")


# Re-spacing a spec at random: every token boundary gets random whitespace.
_SMALL = [p for p in SPECS if "examples" in p.parts or p.name == "constructs.gdsl"]


def _tokens(source):
    from checker.lang.concrete import concrete_tree
    from checker.lang.format import _code_tokens
    tree, comments = concrete_tree(source)
    comments = [(c.line, c.column, str(c), True) for c in comments]
    code = [(t.line, t.col + 1, t.text, False) for t in _code_tokens(tree)]
    return sorted(code + comments)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_SMALL), st.randoms(use_true_random=False))
def test_any_spacing_of_a_spec_formats_to_the_same_ast_and_is_stable(path, rnd):
    source = path.read_text(encoding="utf-8")
    toks = _tokens(source)
    words = []
    for _, _, text, comment in toks:
        words.append(text)
        # after a comment a new line (indented anywhere: under a trailing comment, deeper, ...)
        words.append("\n" + " " * rnd.randrange(60) if comment else
                     rnd.choice([" ", "  ", "\n", "\n\n   ", "\t", "\n" + " " * rnd.randrange(50)]))
    respaced = "".join(words)
    formatted = format_source(respaced)
    assert shape(parse(formatted)) == shape(parse(source))
    assert format_source(formatted) == formatted
    assert [t[2] for t in _tokens(formatted)] == [t[2] for t in toks]      # every comment kept, in order
