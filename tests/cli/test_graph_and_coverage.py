"""--graph refuses a file too big for a graph viewer, saying how big it would be (the
state count alone does not bound it); --coverage explains its figures and says what a
never-enabled action's guard reads (issue 24, item 7)."""
from __future__ import annotations

from _support import EXIT_BAD_INPUT, run_cli

SPEC = """spec Count
const TOP: int = 3
const OPEN: bool = false
var x: 0..3
init { x = 0 }
action Inc when x < TOP { x = x + 1 }
action Reset when OPEN and x == TOP { x = 0 }
"""


def test_graph_bigger_than_the_limit_is_refused_with_its_size(tmp_path):
    spec = tmp_path / "count.gdsl"
    spec.write_text(SPEC)
    graph = tmp_path / "g.graphml"
    proc = run_cli(spec, "--no-deadlock", "--graph", graph, "--graph-max-mb", "0.001")
    assert proc.returncode == EXIT_BAD_INPUT and not graph.exists()
    assert f"--graph {graph}: the file would be at least" in proc.stderr
    assert "(4 states, 3 steps, about" in proc.stderr and "--graph-max-mb" in proc.stderr
    ok = run_cli(spec, "--no-deadlock", "--graph", graph)
    assert ok.returncode == 0 and graph.exists()


def test_coverage_explains_its_figures_and_why_an_action_never_ran(tmp_path):
    spec = tmp_path / "count.gdsl"
    spec.write_text(SPEC)
    proc = run_cli(spec, "--no-deadlock", "--coverage")
    assert proc.returncode == 0
    out = " ".join(proc.stdout.split())          # folded lines joined
    assert "strongly connected components (sets of states that can all reach each other" in out
    assert "have no way back to an initial state (no behaviour from them returns to the start" in out
    assert f"never enabled: no reachable state satisfies its guard ({spec}:7), which reads TOP = 3, " \
           "OPEN = false" in out
