"""The hints a mistake gets (issue 24, item 10): did-you-mean for --const, --invariant,
model-file property names and record fields; `when x = 1` told to write `==`."""
from __future__ import annotations

from _support import DIEHARD, EXIT_BAD_INPUT, ROOT, run_cli

RECORD = """spec T
record R { size: 0..2, open: bool }
var x: R
init { x = R(size: 0, open: false) }
action A { x = R(size: x.sise, open: true) }
"""


def _error(tmp_path, text):
    spec = tmp_path / "t.gdsl"
    spec.write_text(text)
    proc = run_cli(spec)
    assert proc.returncode == EXIT_BAD_INPUT
    return proc.stderr


def test_misspelt_constant_and_property_get_the_closest_name():
    proc = run_cli(ROOT / "spec" / "group.gdsl", "--const", "CONSUMER=2", "--describe")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "no constant named 'CONSUMER'; did you mean 'CONSUMERS'?" in proc.stderr
    proc = run_cli(DIEHARD, "--invariant", "NotSolvd")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "no property named 'NotSolvd'; did you mean 'NotSolved'?" in proc.stderr
    proc = run_cli(DIEHARD, "--invariant", "Zebra")
    assert "did you mean" not in proc.stderr and "(its properties: NotSolved, TypeOK)" in proc.stderr


def test_misspelt_record_fields_get_the_closest_field(tmp_path):
    assert "record R has no field 'sise'; did you mean 'size'? (its fields: size, open)" in _error(tmp_path, RECORD)
    text = RECORD.replace("x.sise", "x.size").replace("R(size: 0, open: false)", "R(size: 0, opn: false)")
    assert "record R has no field 'opn'; did you mean 'open'?" in _error(tmp_path, text)


def test_a_single_equals_in_a_condition_is_told_to_compare_with_double(tmp_path):
    err = _error(tmp_path, "spec T\nvar x: 0..3\ninit { x = 0 }\naction A when x = 1 { x = 2 }\n")
    assert "t.gdsl:4:17: error: unexpected '='; to compare, write '=='" in err
    err = _error(tmp_path, "spec T\nvar x: 0..3\ninit { x == 0 }\n")
    assert "a statement assigns with a single '='" in err
