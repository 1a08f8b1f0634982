"""Every spec in tests/lang/malformed/ is rejected with exit 2 and a located, readable error.

Each file's first line is a comment `// expect-line: N — what it tests` giving the line
of the actual mistake (`N|M` if either of two lines is a fair place to report it, or
`none` when the error has no meaningful location).
"""
from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from _support import (EXIT_BAD_INPUT, MALFORMED, ROOT, assert_no_traceback, console_script,
                      one_json_object)

FILES = sorted(MALFORMED.glob("*.gdsl"))
EXPECT = re.compile(rb"^//\s*expect-line:\s*(none|\d+(?:\|\d+)*)\s+\S+\s+(\S.*)$")
CARET = re.compile(r"^ +\^$")


def _rel(path):
    return str(path.relative_to(ROOT))


def _expectation(path):
    """(set of acceptable lines or None, description) from the file's first line."""
    first = path.read_bytes().split(b"\n", 1)[0]
    m = EXPECT.match(first)
    assert m, f"{path.name}: first line must be `// expect-line: N — description`"
    lines = None if m.group(1) == b"none" else {int(x) for x in m.group(1).split(b"|")}
    return lines, m.group(2).decode("utf-8", "replace")


def _source_line(path, n):
    lines = path.read_bytes().decode("utf-8", "replace").splitlines()
    return lines[n - 1] if 0 < n <= len(lines) else None


def _run(args):
    return subprocess.run([console_script(), *args], capture_output=True, text=True,
                          cwd=str(ROOT), timeout=60, errors="replace")


@pytest.fixture(scope="module")
def results():
    """Run `modelcheck FILE` on every malformed spec, concurrently (each run starts Python)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        procs = pool.map(lambda p: _run([_rel(p)]), FILES)
        return dict(zip(FILES, procs))


def test_there_are_enough_malformed_specs():
    assert len(FILES) >= 20
    descriptions = [_expectation(p)[1] for p in FILES]
    assert len(set(descriptions)) == len(descriptions), "each file should test a distinct error"


def check_rejection(proc, path_text, expected_lines, source_of):
    """The common contract for a rejected spec; returns the reported (line, col) or None."""
    assert_no_traceback(proc)
    assert proc.returncode == EXIT_BAD_INPUT, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr.splitlines()
    assert err, "nothing on stderr"
    p = re.escape(path_text)
    located = re.match(rf"^{p}:(\d+):(\d+): error: .+", err[0])
    if expected_lines is None:
        # no meaningful location: `<path>: error:` or `<path>:1:1: error:` will do
        assert located or re.match(rf"^{p}: error: .+", err[0]), err[0]
        if located:
            assert (int(located.group(1)), int(located.group(2))) == (1, 1), err[0]
    else:
        assert located, f"expected `{path_text}:LINE:COL: error: ...`, got {err[0]!r}"
        line = int(located.group(1))
        assert line in expected_lines, \
            f"error reported at line {line}, the mistake is at line {sorted(expected_lines)}: {err[0]}"
    if not located:
        return None
    line, col = int(located.group(1)), int(located.group(2))
    assert col >= 1
    src = source_of(line)
    if src is None and expected_lines is None:
        return line, col            # e.g. 1:1 of a file with no lines: nothing to show
    assert src is not None, f"line {line} is past the end of the file"
    # second line: the offending source line; third: a caret under the column
    assert len(err) >= 3, f"expected the source line and a caret line after {err[0]!r}; got {err!r}"
    shown = src.replace("\t", " ")
    assert CARET.match(err[2]), err[2]
    if "\ufffd" in shown:
        # bytes that are not UTF-8: any faithful rendering of the rest of the line will do
        assert err[1].strip().startswith(shown.split("\ufffd")[0].strip()), (err[1], shown)
        return line, col
    assert err[1].strip() == shown.strip(), (err[1], shown)
    indent = len(err[1]) - len(shown)
    assert err[1].endswith(shown) and indent >= 0, (err[1], shown)
    assert err[2].index("^") == indent + col - 1, "the caret is not under the reported column"
    return line, col


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_malformed_spec_is_rejected_at_the_mistake(path, results):
    expected_lines, _ = _expectation(path)
    check_rejection(results[path], _rel(path), expected_lines, lambda n: _source_line(path, n))


def test_zero_byte_file_is_an_empty_spec(tmp_path):
    spec = tmp_path / "empty.gdsl"
    spec.write_bytes(b"")
    proc = _run([str(spec)])
    check_rejection(proc, str(spec), None, lambda n: None)
    assert "empty" in proc.stderr.splitlines()[0]


def test_path_is_reported_as_given():
    # An absolute path in, the same absolute path out.
    src = MALFORMED / "unknown_type.gdsl"
    proc = _run([str(src)])
    assert proc.stderr.startswith(f"{src}:4:"), proc.stderr


@pytest.mark.parametrize("name", ["syntax_stray_token.gdsl", "unknown_variable.gdsl",
                                  "struct_empty_spec.gdsl"])
def test_malformed_spec_with_json(name):
    """With --json, stdout is still exactly one JSON object, and the verdict is an error."""
    path = MALFORMED / name
    proc = _run([_rel(path), "--json"])
    assert_no_traceback(proc)
    assert proc.returncode == EXIT_BAD_INPUT
    data = one_json_object(proc.stdout)
    assert data["verdict"] == "error"
    assert data["exit_code"] == EXIT_BAD_INPUT
    assert _rel(path) in data["message"]
