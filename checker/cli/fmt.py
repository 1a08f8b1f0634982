"""`modelcheck fmt SPEC...`: format gdsl files in place, or `--check` them for CI.

Problem: a team's specs should look alike without review comments about layout.
Invariant: a file is rewritten only when its layout changes, atomically (a temporary
file renamed over it), and only whitespace changes (checker/lang/format.py); `--check`
writes nothing and exits 1 with a unified diff of every file that would change; a file
that does not parse is reported as the checker reports it (exit 2) and left alone.
Cost: about 0.2 s per 1,000 lines.
"""
from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from pathlib import Path

from checker.engine.outcome import EXIT_BAD_INPUT, EXIT_OK
from checker.lang.errors import SpecError, UsageError
from checker.lang.format import format_source
from checker.lang.sourcefile import read_source

EXIT_WOULD_CHANGE = 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="modelcheck fmt", description=(
        "Lay out gdsl specs in the house style (spec/group.gdsl's): indentation, spacing between "
        "tokens, blank lines. Only whitespace changes; comments and line breaks are kept."))
    p.add_argument("specs", nargs="+", metavar="SPEC",
                   help="spec files, or directories (searched for *.gdsl); - reads standard input "
                        "and writes the result to standard output")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 and print a diff if any file would change (for CI)")
    return p


def main(argv) -> int:
    args = build_parser().parse_args(argv)
    worst = EXIT_OK
    try:
        for path in _files(args.specs):
            try:
                worst = max(worst, _one(path, args.check))
            except (SpecError, UsageError) as e:
                print(e.format() if isinstance(e, SpecError) else f"modelcheck fmt: error: {e}", file=sys.stderr)
                worst = max(worst, EXIT_BAD_INPUT)
    except BrokenPipeError:              # `modelcheck fmt --check ... | head`: the reader left
        sys.stderr.close()
        return 141
    return worst


def _files(specs) -> list:
    out = []
    for s in specs:
        if s != "-" and Path(s).is_dir():
            found = sorted(str(p) for p in Path(s).rglob("*.gdsl"))
            if not found:
                print(f"modelcheck fmt: {s}: no .gdsl files in it", file=sys.stderr)
            out += found
        else:
            out.append(s)
    return out


def _one(path: str, check: bool) -> int:
    if path == "-":
        source = sys.stdin.read()
        formatted = format_source(source, "<stdin>")
        if check:
            return _report(path, source, formatted)
        sys.stdout.write(formatted)
        return EXIT_OK
    source = read_source(path)
    formatted = format_source(source, path)
    if check:
        return _report(path, source, formatted)
    if formatted != source:
        _replace(path, formatted)
        print(f"formatted {path}", file=sys.stderr)
    return EXIT_OK


def _report(path, source, formatted) -> int:
    if formatted == source:
        return EXIT_OK
    sys.stdout.writelines(difflib.unified_diff(source.splitlines(keepends=True), formatted.splitlines(keepends=True),
                                               f"{path} (as it is)", f"{path} (formatted)"))
    print(f"{path}: would be reformatted (run: modelcheck fmt {path})", file=sys.stderr)
    return EXIT_WOULD_CHANGE


def _replace(path, text):
    """Write `text` over `path` atomically, keeping the file's permissions."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".fmt-", suffix=".gdsl")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
