"""The Pygments lexer (checker/lang/highlight.py): its keywords are exactly the
grammar's, and every spec in the repo lexes without an Error token."""
from __future__ import annotations

import tomllib
from importlib import import_module, metadata
from pathlib import Path

import pytest

pygments = pytest.importorskip("pygments", reason="the lexer needs pygments (pip install 'pygments>=2.15')")
from pygments import highlight  # noqa: E402
from pygments.formatters import HtmlFormatter  # noqa: E402
from pygments.token import Error, Keyword, Name, Operator, Comment  # noqa: E402

from checker.lang.concrete import keywords  # noqa: E402
from checker.lang.errors import SpecError  # noqa: E402
from checker.lang.parser import parse  # noqa: E402
from checker.lang.highlight import KEYWORD_GROUPS, GdslLexer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(p for p in ROOT.rglob("*.gdsl")
               if not any(part.startswith(".") or part in ("test-artifacts", "node_modules")
                          for part in p.relative_to(ROOT).parts))


def test_the_keyword_groups_are_exactly_the_grammars_keywords():
    grouped = [w for group in KEYWORD_GROUPS for w in group]
    assert set(grouped) == set(keywords()), (
        f"missing from the lexer: {sorted(set(keywords()) - set(grouped))}; "
        f"not keywords of grammar.lark: {sorted(set(grouped) - set(keywords()))}")
    assert len(grouped) == len(set(grouped)), "a keyword in two groups"


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_lexes_without_an_error_token(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    tokens = list(GdslLexer().get_tokens(text))
    errors = [v for t, v in tokens if t in Error]
    try:
        parse(text, str(path))
        bad_character = None
    except SpecError as e:
        bad_character = e.message if e.message.startswith("unexpected character") else None
    if bad_character:                    # the fixture's point: the lexer flags it too
        assert errors and bad_character == f"unexpected character {errors[0]!r}"
    else:
        assert not errors, errors[:5]


def test_a_spec_is_highlighted_by_what_its_words_are():
    tokens = [(t, v) for t, v in GdslLexer().get_tokens(
        "refuted invariant Few = forall c in C: size(x') <= 1 // why\naction Go(c: C) when c in S { x = c }\n")
        if v.strip()]
    kinds = {}
    for t, v in tokens:
        kinds.setdefault(v, t)
    assert kinds["refuted"] in Keyword and kinds["invariant"] is Keyword.Declaration
    assert kinds["Few"] is Name.Function and kinds["Go"] is Name.Function
    assert kinds["forall"] is Operator.Word and kinds["size"] is Name.Builtin
    assert kinds["x"] is Name.Variable and kinds["// why"] is Comment.Single
    assert kinds["when"] is Keyword


def test_the_entry_point_names_the_lexer():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    target = project["entry-points"]["pygments.lexers"]["gdsl"]
    module, _, name = target.partition(":")
    assert getattr(import_module(module), name) is GdslLexer
    html = highlight("spec S // hi\n", GdslLexer(), HtmlFormatter())
    assert '<span class="kd">spec</span>' in html


def test_pygments_finds_the_lexer_by_name_once_installed():
    installed = [e for e in metadata.entry_points(group="pygments.lexers") if e.name == "gdsl"]
    if not installed:
        pytest.skip("this environment's install of gdsl-modelcheck predates the entry point (pip install -e .)")
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
    assert isinstance(get_lexer_by_name("gdsl"), GdslLexer)
    assert isinstance(get_lexer_for_filename("group.gdsl"), GdslLexer)
