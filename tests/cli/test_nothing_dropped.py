"""Nothing the command line asks for is dropped silently (issue 24, items 4, 5 and 11):
an output that cannot be written says why on stderr; `--diagram -` prints the diagram
instead of the text trace; traces of runs with --const are filed by configuration, so
they never overwrite the committed references; written files are not mode 0600."""
from __future__ import annotations

import os
from pathlib import Path
import subprocess
import stat

from _support import DIEHARD, EXIT_DEADLOCK, EXIT_VIOLATION, ROOT, run_cli

DEAD = """spec Dead
var x: 0..3
init { x = 0 }
action Inc when x < 3 { x = x + 1 }
"""


def test_html_and_diagram_on_a_passing_run_say_why_they_are_not_written(tmp_path):
    page, md = tmp_path / "p.html", tmp_path / "d.md"
    proc = run_cli(DIEHARD, "--skip", "NotSolved", "--html", page, "--diagram", md, "--quiet")
    assert proc.returncode == 0
    assert not page.exists() and not md.exists()
    assert f"--html {page}: not written: the search found no violation" in proc.stderr
    assert f"--diagram {md}: not written" in proc.stderr


def test_graph_and_coverage_on_a_deadlock_run_say_why(tmp_path):
    spec = tmp_path / "dead.gdsl"
    spec.write_text(DEAD)
    graph = tmp_path / "g.dot"
    proc = run_cli(spec, "--graph", graph, "--coverage", "--out", tmp_path)
    assert proc.returncode == EXIT_DEADLOCK
    assert not graph.exists()
    assert f"--graph {graph}: not written: the state graph is exported after a complete search, and it " \
           f"stopped at the deadlock (with --no-deadlock the search goes on)" in proc.stderr
    assert "--coverage: not reported" in proc.stderr
    ok = run_cli(spec, "--graph", graph, "--no-deadlock", "--out", tmp_path)
    assert ok.returncode == 0 and graph.exists()


def test_diagram_to_the_terminal_replaces_the_text_trace(tmp_path):
    proc = run_cli(DIEHARD, "--diagram", "-", "--out", tmp_path, "--quiet")
    assert proc.returncode == EXIT_VIOLATION
    assert "State 2:" not in proc.stdout, "the text trace is not printed before the diagram"
    assert "Trace (7 states) written to" in proc.stdout
    assert "✗ invariant NotSolved violated" in proc.stdout


def test_runs_with_constants_never_overwrite_the_committed_reference(tmp_path):
    spec = tmp_path / "dead.gdsl"
    spec.write_text(DEAD.replace("var x: 0..3", "const TOP: int = 3\nvar x: 0..3")
                    .replace("x < 3", "x < TOP"))
    plain = run_cli(spec, "--out", tmp_path)
    other = run_cli(spec, "--const", "TOP=2", "--out", tmp_path)
    assert (plain.returncode, other.returncode) == (EXIT_DEADLOCK, EXIT_DEADLOCK)
    assert (tmp_path / "Dead" / "Deadlock.itf.json").exists()
    assert (tmp_path / "Dead-TOP=2" / "Deadlock.itf.json").exists()
    assert "Dead-TOP=2/Deadlock.itf.json" in other.stdout


def test_the_references_are_filed_by_their_configuration():
    """As the runs that made them file their traces (counterexamples/README.md)."""
    tracked = subprocess.run(["git", "ls-files", "counterexamples"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()       # not the runs' own output
    refs = sorted(Path(p).parts[1] for p in tracked if len(Path(p).parts) == 3 and p.endswith(".itf.json"))
    assert refs == ["ConsumerGroup-CONSUMERS=2", "ConsumerGroup-CONSUMERS=2-ASSIGNOR=cooperative_sticky"]


def test_written_files_are_readable_as_the_umask_says(tmp_path):
    old = os.umask(0o022)
    try:
        proc = run_cli(DIEHARD, "--html", tmp_path / "p.html", "--out", tmp_path, "--quiet")
    finally:
        os.umask(old)
    assert proc.returncode == EXIT_VIOLATION
    for f in (tmp_path / "p.html", tmp_path / "DieHard" / "NotSolved.itf.json"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o644, f
