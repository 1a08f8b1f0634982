"""`modelcheck fmt`: lay out gdsl source in the house style (spec/group.gdsl's).

Problem: hand-edited specs drift (indentation, spacing around operators, blank-line
runs) and a reviewer should not have to point at it. Invariant: the formatter only
ever changes whitespace between tokens, so the token stream, and with it the AST, is
unchanged (parse(format(s)) == parse(s)); format(format(s)) == format(s); every
comment is kept, in place.

How. The source is parsed with the one grammar (checker/lang/concrete.py: all tokens
kept), so every token knows the rule it belongs to; comments come back from the lexer
and are put between the tokens again by position. The layout then follows a few rules
by rule name, with a generic fallback so that a new grammar rule formats without any
change here:
  * line breaks are the author's (a spec's long conditions are broken by meaning);
    runs of blank lines become one, trailing whitespace goes, one newline ends the file
    (CRLF line ends stay CRLF);
  * a declaration starts in column 1; a statement (a child of `block`) is indented two
    spaces deeper than the statement or declaration whose block holds it, and the
    block's `}` lines up with that owner;
  * a continuation line keeps its indentation relative to the line that starts its
    statement (so aligned conditions stay aligned), moved by as much as that line moved;
  * a comment on a line of its own takes the indentation of the statement after it
    (before a continuation line it moves as that line moved; under a trailing comment
    it stays under it); a trailing comment keeps its column, or sits one space after
    the code if the code now reaches it;
  * between two tokens of a line: one space (two between statements), except none before `,` `;` `:` `)` `]`
    `.` `..` `'`, after `(` `[` `.` `..` and a unary minus, before a `(` or `[` that
    calls, indexes or applies a type constructor, and inside the braces of an
    expression (`{p for p in P}`) but not of a block or declaration (`{ a, b }`).

Cost: a second parse (with all tokens kept) and a linear pass: spec/group.gdsl (1,766
lines) formats in about 0.3 s, twice its parse alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import lark

from .concrete import concrete_tree
from .parser import parse

# Tokens after which, and before which, no space is written.
_TIGHT_AFTER = {"(", "[", ".", ".."}
_TIGHT_BEFORE = {",", ";", ":", ")", "]", ".", "..", "'"}
# Tokens after which a `(` or `[` is a call, an index or a type argument list.
_APPLIED = {"NAME", "RPAR", "RSQB", "QUOTE", "STRING"}
# Rules whose children are statements or declarations, each starting a line of its own.
_STATEMENT_LISTS = {"start", "block"}


@dataclass
class _Tok:
    """A token or comment, with what its rule says about the layout around it."""
    text: str
    kind: str            # the Lark terminal name, or COMMENT / BLOCK_COMMENT
    line: int
    col: int             # 0-based
    parent: object = None
    starts_unit: bool = False
    opens_block: bool = False
    closes_block: bool = False
    spaced_braces: bool = False

    @property
    def comment(self) -> bool:
        return self.kind in ("COMMENT", "BLOCK_COMMENT")


def format_source(source: str, path: str = "<spec>") -> str:
    """`source` laid out in the house style; raises SpecError (located) if it does not parse."""
    parse(source, path)                  # the checker's own syntax errors, word for word
    windows = "\r\n" in source
    if windows:
        source = source.replace("\r\n", "\n")
    tree, comments = concrete_tree(source)
    tokens = _code_tokens(tree)
    tokens += [_Tok(str(c).rstrip(), c.type, c.line, c.column - 1) for c in comments]
    tokens.sort(key=lambda t: (t.line, t.col))
    text = _layout(tokens)
    return text.replace("\n", "\r\n") if windows else text    # a Windows file stays one


def _code_tokens(tree) -> list:
    """Every token of the parse tree, in order, with what the layout needs to know about
    its rule (iteratively: specs nest deeply)."""
    decls = {id(c) for c in tree.children if isinstance(c, lark.Tree)}
    unit_firsts = set()
    out = []
    todo = [tree]
    while todo:
        item = todo.pop()
        if isinstance(item, tuple):
            tok, node = item
            t = _Tok(str(tok), tok.type, tok.line, tok.column - 1, parent=node)
            t.starts_unit = id(tok) in unit_firsts
            t.opens_block = node.data == "block" and t.text == "{"
            t.closes_block = node.data == "block" and t.text == "}"
            t.spaced_braces = node.data == "block" or id(node) in decls
            out.append(t)
            continue
        if item.data in _STATEMENT_LISTS:
            for child in item.children:
                if not isinstance(child, lark.Tree):
                    continue             # the block's own braces
                first = child
                while isinstance(first, lark.Tree) and first.children:
                    first = first.children[0]
                if isinstance(first, lark.Token):
                    unit_firsts.add(id(first))
        for child in reversed(item.children):
            if isinstance(child, lark.Token):
                todo.append((child, item))
            elif child is not None:
                todo.append(child)
    return out


def _space(a: _Tok, b: _Tok) -> str:
    """What separates two neighbouring tokens on a line."""
    if a.comment or b.comment:
        return " "
    if b.starts_unit and b.text != ";" and a.text not in ("{", ";"):
        return "  "                      # statements sharing a line: `init { x = 0  y = 1 }`
    return " " if _spaced(a, b) else ""


def _spaced(a: _Tok, b: _Tok) -> bool:
    """Whether one space (else none) separates two neighbouring tokens of an expression."""
    if b.text in _TIGHT_BEFORE or a.text in _TIGHT_AFTER:
        return False
    if a.text == "-" and a.parent.data == "neg":
        return False
    if b.text in ("(", "["):
        return not (a.kind in _APPLIED or a.parent is b.parent)
    if a.text == "{":
        return a.spaced_braces and b.text != "}"
    if b.text == "}":
        return b.spaced_braces
    return True


def _layout(tokens: list) -> str:
    """The text of `tokens` (code and comments, in source order), one output line per
    source line that holds any: first each code line's indentation, then the comment
    lines', then the text."""
    lines: list = []                     # [orig line number, [tokens]]
    for t in tokens:
        if lines and lines[-1][0] == t.line:
            lines[-1][1].append(t)
        else:
            lines.append([t.line, [t]])
    indents = [None] * len(lines)        # the new indentation of each line
    blocks = []                          # per open block: (owner's new indent, owner's old indent)
    unit = (0, 0)                        # the statement being laid out: (new indent, old indent)
    for i, (_, toks) in enumerate(lines):
        code = [t for t in toks if not t.comment]
        if not code:
            continue                     # a comment line: placed once its neighbours are
        first = code[0]
        old = toks[0].col
        if first.closes_block:
            indents[i] = blocks[-1][0] if blocks else 0
        elif first.starts_unit:
            indents[i] = blocks[-1][0] + 2 if blocks else 0
            unit = (indents[i], old)
        else:
            indents[i] = unit[0] + max(0, old - unit[1])
        for t in code:
            if t.opens_block:
                blocks.append(unit)
            elif t.closes_block and blocks:
                unit = blocks.pop()
    notes = _place_comment_lines(lines, indents)
    out = []
    previous = None
    trailing = None                      # the new column of the trailing comment being continued
    for i, (number, toks) in enumerate(lines):
        if previous is not None and number - previous > 1:
            out.append("")
        previous = number + sum(t.text.count("\n") for t in toks)
        indent = indents[i]
        if indent == _UNDER_TRAILING:
            indent = trailing if trailing is not None else toks[0].col
            trailing = indent
        elif not all(t.comment for t in toks):
            trailing = None              # a code line: its own trailing comment, if any, below
        elif i not in notes:
            trailing = None
        text = " " * indent + toks[0].text
        for a, b in zip(toks, toks[1:]):
            if b.kind == "COMMENT" and not a.comment:
                trailing = max(b.col, len(text) + 1)
                text = text.ljust(trailing) + b.text
            else:
                text += _space(a, b) + b.text
        out.append(text.rstrip())
    return "\n".join(out) + "\n" if out else ""


_UNDER_TRAILING = -1                     # a comment line that continues the trailing comment above


def _place_comment_lines(lines, indents):
    """A comment on a line of its own takes the indentation of the statement after it
    (the statements' inside a block, before its `}`); before a continuation line it
    moves as much as that line moved; under a trailing comment it stays under it (at
    its column) or moves with that line (indented deeper than its code)."""
    targets = [None] * len(lines)
    after = None
    for i in range(len(lines) - 1, -1, -1):
        if indents[i] is not None:
            first = next(t for t in lines[i][1] if not t.comment)
            if first.closes_block:
                after = ("at", indents[i] + 2)
            elif first.starts_unit:
                after = ("at", indents[i])
            else:
                after = ("by", indents[i] - lines[i][1][0].col)
        targets[i] = after
    before = 0
    trailing_col = None
    code_col = 0
    notes = set()
    for i, (_, toks) in enumerate(lines):
        if indents[i] is not None:
            before, code_col = indents[i] - toks[0].col, toks[0].col
            last = toks[-1]
            trailing_col = last.col if last.kind == "COMMENT" and not toks[-2].comment else None
            continue
        col = toks[0].col
        if trailing_col is not None and col == trailing_col and len(toks) == 1:
            indents[i] = _UNDER_TRAILING
            continue
        if trailing_col is not None and col > code_col and len(toks) == 1:
            indents[i] = col + before    # a note to the line above, out of line with its comment
            notes.add(i)
            continue
        trailing_col = None
        how, n = targets[i] or ("by", before)
        indents[i] = n if how == "at" else max(0, col + n)
    return notes
