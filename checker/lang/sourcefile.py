"""Read a spec file as text, with the errors a user can act on.

Problem: every front end (check, fmt, the language server) reads spec files, and a
missing file, a directory, a binary file or bad UTF-8 must read the same everywhere.
Invariant: returns the file's text or raises UsageError (cannot read it) or a located
SpecError (not UTF-8 text). Cost: one read of the file.
"""
from __future__ import annotations

from pathlib import Path

from .errors import SpecError, UsageError


def read_source(path) -> str:
    """The text of the spec file at `path`."""
    path = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a spec file") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read it ({e.strerror})") from None
    if b"\0" in raw:
        raise SpecError("this is a binary file, not a gdsl spec", (0, 0), path, "")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecError(f"the file is not valid UTF-8 text (byte 0x{raw[e.start]:02x})", (line, col), path,
                        raw.decode("utf-8", errors="replace")) from None
