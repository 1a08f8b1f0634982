"""`modelcheck fmt`: rewrites in place, `--check` for CI (exit 1 and a diff, nothing
written), bad input named and left alone (exit 2), standard input to standard output."""
from __future__ import annotations

import subprocess

from _support import CLI, EXIT_BAD_INPUT, ROOT, run_cli, run_cli_many

UNTIDY = "spec S\nvar x : 0..3\ninit {x=0}\naction Inc when x<3 {\n      x = x+1   // one more\n}\n"
TIDY = "spec S\nvar x: 0..3\ninit { x = 0 }\naction Inc when x < 3 {\n  x = x + 1     // one more\n}\n"  # the comment keeps its column


def test_check_reports_a_diff_and_exit_1_and_writes_nothing_then_fmt_rewrites(tmp_path):
    spec = tmp_path / "s.gdsl"
    tidy = tmp_path / "tidy.gdsl"
    spec.write_text(UNTIDY)
    tidy.write_text(TIDY)
    check = run_cli("fmt", "--check", spec, tidy)
    assert check.returncode == 1
    assert spec.read_text() == UNTIDY
    assert f"--- {spec} (as it is)" in check.stdout and "+init { x = 0 }" in check.stdout
    assert str(tidy) not in check.stdout
    assert f"{spec}: would be reformatted" in check.stderr
    spec.chmod(0o640)
    fmt = run_cli("fmt", spec)
    assert fmt.returncode == 0 and spec.read_text() == TIDY
    assert spec.stat().st_mode & 0o777 == 0o640
    assert run_cli("fmt", "--check", tmp_path).returncode == 0        # a directory: its *.gdsl


def test_bad_input_is_named_exit_2_and_the_file_is_left_alone(tmp_path):
    bad = tmp_path / "bad.gdsl"
    bad.write_text("spec S\naction A { x = }\n")
    binary = tmp_path / "bin.gdsl"
    binary.write_bytes(b"spec S\0\1")
    missing, syntax, notutf8, option = run_cli_many(
        ["fmt", tmp_path / "nope.gdsl"], ["fmt", bad], ["fmt", binary], ["fmt", "--bogus", bad])
    assert missing.returncode == EXIT_BAD_INPUT and "nope.gdsl: no such file" in missing.stderr
    assert syntax.returncode == EXIT_BAD_INPUT
    assert f"{bad}:2:16: error: unexpected '}}'" in syntax.stderr and "^" in syntax.stderr
    assert bad.read_text() == "spec S\naction A { x = }\n"
    assert notutf8.returncode == EXIT_BAD_INPUT and "binary file" in notutf8.stderr
    assert option.returncode == 2 and "--bogus" in option.stderr


def test_standard_input_is_formatted_to_standard_output():
    proc = subprocess.run(CLI + ["fmt", "-"], input=UNTIDY, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and proc.stdout == TIDY

