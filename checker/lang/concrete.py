"""The concrete syntax of a spec: its parse tree with every token kept, its comments,
and the language's keywords, all read from the one grammar (grammar.lark).

Problem: the formatter, the language server and the highlighters (Pygments, VS Code)
need what the AST drops (punctuation, keywords, comments, each token's rule and
position), and must follow the grammar as other constructs join it. Invariant: there
is no second grammar: the keyword list and the tree come from grammar.lark, so a new
rule or keyword reaches every tool without a change here. Cost: one LALR parse with
all tokens kept (about 0.25 s for spec/group.gdsl's 1,770 lines; the LALR tables are
cached on disk, as for the checker's own parser).
"""
from __future__ import annotations

import re
from functools import lru_cache

import lark

from .parser import _GRAMMAR

_comments: list = []


def _collect(token):
    _comments.append(token)
    return token


@lru_cache(maxsize=1)
def _lark() -> lark.Lark:
    return lark.Lark(_GRAMMAR.read_text(), parser="lalr", propagate_positions=True, keep_all_tokens=True,
                     cache=True, lexer_callbacks={"COMMENT": _collect, "BLOCK_COMMENT": _collect})


def concrete_tree(source: str):
    """(tree, comments): the Lark tree with every token kept, and the comment tokens in
    order. Raises Lark's own errors; callers parse with checker.lang.parser first for
    the located message."""
    _comments.clear()
    try:
        tree = _lark().parse(source)
        return tree, list(_comments)
    finally:
        _comments.clear()


@lru_cache(maxsize=1)
def keywords() -> tuple:
    """Every word the grammar reserves (`action`, `forall`, `union`, ...), sorted: its
    anonymous string terminals and the words of its named keyword terminals."""
    words = set()
    for term in _lark().terminals:
        pattern = term.pattern
        if pattern.type == "str" and re.fullmatch(r"[A-Za-z_]\w*", pattern.value):
            words.add(pattern.value)
        elif pattern.type == "re" and term.name not in ("NAME", "COMMENT", "BLOCK_COMMENT", "STRING", "INT"):
            words.update(w for w in re.findall(r"[A-Za-z_]\w*", pattern.value.replace("?:", ""))
                         if re.fullmatch(rf"(?:{pattern.value})", w))
    return tuple(sorted(words))
