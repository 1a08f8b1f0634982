"""Long lines folded for a terminal: a value of the group spec (a Request record, a map
of members) is often 200-700 characters on one line, which no terminal shows whole.

`fold(prefix, text, width)` breaks the text after its `, ` and `; ` separators (inside a longer piece, at a space) (never inside
a name or a number when that can be helped) into lines of at most `width`
characters, continuation lines indented under the value. Invariant: every line is at
most `width` characters, and joining the lines gives the text back (but for the
spaces at the breaks). Cost: linear in
the text.
"""
from __future__ import annotations

import re


def fold(prefix: str, text: str, width: int, indent: int | None = None) -> list:
    """prefix + text as lines of at most `width` characters; continuation lines are
    indented by `indent` spaces (default: two more than the prefix's own indentation)."""
    if len(prefix) + len(text) <= width:
        return [prefix + text]
    if indent is None:
        indent = len(prefix) - len(prefix.lstrip()) + 4
    pad = " " * min(indent, width // 2)
    pieces = [p for p in re.split(r"(?<=[,;] )", text) if p]
    lines, line = [], prefix
    for piece in pieces:
        if len(line) + len(piece.rstrip()) > width and line.strip() and line != prefix:
            lines.append(line.rstrip())
            line = pad
        while len(line) + len(piece.rstrip()) > width:       # one piece wider than a line:
            room = max(1, width - len(line))                  # at its last space that fits,
            cut = piece.rfind(" ", 0, room + 1)               # else anywhere
            cut = cut + 1 if cut > 0 else room
            lines.append((line + piece[:cut]).rstrip())
            piece, line = piece[cut:], pad
        line += piece
    if line.strip():
        lines.append(line.rstrip())
    return lines
