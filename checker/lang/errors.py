"""Errors a user can act on: spec errors located in the source, and bad options.

A SpecError prints as `file:line:col: error: message`, then the source line and a
caret under the column, the format compilers use and editors understand.
"""
from __future__ import annotations


class SpecError(Exception):
    """A problem in a spec (syntax, names, types, constants), with its location."""

    def __init__(self, message: str, pos=(0, 0), path: str = "", source: str = ""):
        super().__init__(message)
        self.message = message
        self.line, self.col = pos if pos else (0, 0)
        self.path = path
        self.source = source
        self._in_its_file()

    def located(self, path: str, source: str) -> "SpecError":
        """Fill in the file this error belongs to, unless it already knows."""
        if not self.path:
            self.path, self.source = path, source
            self._in_its_file()
        return self

    def _in_its_file(self) -> None:
        """A line of a spec joined from several files (JoinedSource) -> that file's line."""
        if isinstance(self.source, JoinedSource) and self.line > 0:
            self.path, self.source, self.line = self.source.origin(self.line)

    def format(self) -> str:
        where = self.path or "<spec>"
        if self.line <= 0:
            return f"{where}: error: {self.message}"
        text = f"{where}:{self.line}:{self.col}: error: {self.message}"
        lines = self.source.splitlines()
        if 0 < self.line <= len(lines):
            src = lines[self.line - 1].replace("\t", " ")
            text += f"\n    {src}\n    {' ' * (max(self.col, 1) - 1)}^"
        return text

    def __str__(self) -> str:
        return self.format()


class SpecWarning(SpecError):
    """Something legal that is likely not what the author meant: printed as
    `file:line:col: warning: message` with the line and a caret; never stops a run."""

    def format(self) -> str:
        return super().format().replace(": error: ", ": warning: ", 1)


class JoinedSource(str):
    """The text of a spec that extends others (checker/lang/modules.py): the files'
    texts one after the other, each part starting on a fresh line, so a position in
    the joined spec is a position in exactly one file. `origin(line)` names it."""

    def __new__(cls, parts):
        self = super().__new__(cls, "".join(text if text.endswith("\n") else text + "\n"
                                            for _, text in parts))
        self.parts = []                   # (first line, path, text), in order
        first = 1
        for path, text in parts:
            self.parts.append((first, path, text))
            first += text.count("\n") + (0 if text.endswith("\n") else 1)
        return self

    def __reduce__(self):              # pickled (worker processes) as the parts it joins
        return JoinedSource, ([(path, text) for _, path, text in self.parts],)

    def origin(self, line: int) -> tuple:
        """(path, text, line in that file) of a line of the joined text."""
        first, path, text = next(p for p in reversed(self.parts) if p[0] <= line)
        return path, text, line - first + 1

    def place(self, pos) -> str:
        """`path:line:col` of a position in the joined text."""
        path, _, line = self.origin(pos[0])
        return f"{path}:{line}:{pos[1]}"


def place(source: str, path: str, pos) -> tuple:
    """(path, line) of a position in a spec's text: the file it is in, when the spec is
    joined from several (JoinedSource: a spec that extends another)."""
    if isinstance(source, JoinedSource) and pos[0] > 0:
        where, _, line = source.origin(pos[0])
        return where, line
    return path, pos[0]


def too_deep(path: str, source: str) -> SpecError:
    """A spec nested so deeply that Python's recursion limit stops the parser or the
    checker, located at its deepest bracket (or its first line)."""
    depth = best = 0
    where = (1, 1)
    line, col = 1, 0
    for ch in source:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
        elif ch in "([{":
            depth += 1
            if depth > best:
                best, where = depth, (line, col)
        elif ch in ")]}":
            depth = max(0, depth - 1)
    if best < 50:           # not brackets: a long chain of operators; point at the longest line
        lines = source.splitlines() or [""]
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))
        where = (longest + 1, 1)
    return SpecError("this spec is nested too deeply to check (expressions or blocks hundreds of "
                     "levels deep); split it with let or def", where, path, source)


class BadConstant(SpecError):
    """A constant override (`--const NAME=VALUE`, or a model file's constant) that the
    spec refuses. `detail` says why without naming where the value came from, so a
    model file can report it at its own line."""

    def __init__(self, name: str, text: str | None, detail: str, pos=(0, 0)):
        given = f"--const {name}" + (f"={text}" if text is not None else "")
        super().__init__(f"{given}: {detail}", pos)
        self.name, self.text, self.detail = name, text, detail


class UsageError(Exception):
    """A bad command-line value: names the option and what it accepts."""


class EvalError(Exception):
    """A spec expression failed while the checker ran it (a runtime type error).

    Raised by compiled code, e.g. a value outside its variable's range, `get` of
    none, a sequence past its bound. Reported with the trace that reaches it.
    """


def did_you_mean(name: str, known) -> str:
    """`; did you mean 'X'?` for the known name closest to a misspelt one (difflib's
    ratio of 0.6 or more), or "" when none is close."""
    import difflib
    close = difflib.get_close_matches(name, [k for k in known if isinstance(k, str)], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
