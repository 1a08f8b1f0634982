"""The recorded state graph: export (--graph) in each format, read back with
networkx; the size limit; --coverage's graph facts, worked out by hand."""
from __future__ import annotations

import warnings

import networkx as nx
import pytest

from _support import EXIT_BAD_INPUT, run_cli
from checker.engine.search import bfs
from checker.compile.model import load
from checker.engine.stategraph import StateGraph, graph_facts

# Three states 0 -> 1 -> 2 -> 1: Inc twice, then Dec and Inc between 1 and 2 for ever;
# Stay is a self-loop everywhere; Never is never enabled.
LADDER = """
spec Ladder
var x: 0..2 = 0
action Inc when x < 2 { x = x + 1 }
action Dec when x == 2 { x = 1 }
action Stay { x = x }
action Never when x > 5 { x = 0 }
"""


@pytest.fixture
def ladder(tmp_path):
    path = tmp_path / "ladder.gdsl"
    path.write_text(LADDER)
    return path


def _read(fmt, path):
    if fmt == "graphml":
        return nx.read_graphml(path)
    if fmt == "gexf":
        return nx.read_gexf(path)
    pytest.importorskip("pydot")
    with warnings.catch_warnings():          # pydot's own use of old pyparsing names
        warnings.simplefilter("ignore", DeprecationWarning)
        return nx.DiGraph(nx.nx_pydot.read_dot(path))


def _clean(text):
    """DOT keeps attribute quotes and escapes; the others give the text itself."""
    text = str(text)
    if text.startswith('"') and text.endswith('"'):
        text = text[1:-1].replace("\\l", "\n").replace('\\"', '"')
    return text.strip()


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "dot"])
def test_graph_export_reads_back_with_networkx(tmp_path, ladder, fmt):
    out = tmp_path / f"ladder.{fmt}"
    proc = run_cli(ladder, "--graph", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"State graph (3 states, 6 steps) written to {out}" in proc.stdout
    g = _read(fmt, out)
    labels = {_clean(d["label"]) for _, d in g.nodes(data=True) if "label" in d}
    assert labels == {"x = 0", "x = 1", "x = 2"}
    by_label = {_clean(d["label"]): n for n, d in g.nodes(data=True) if "label" in d}
    edges = {(_clean(g.nodes[a]["label"]), _clean(g.nodes[b]["label"])): _clean(d["label"])
             for a, b, d in g.edges(data=True)}
    assert edges == {("x = 0", "x = 1"): "Inc", ("x = 1", "x = 2"): "Inc", ("x = 2", "x = 1"): "Dec",
                     ("x = 0", "x = 0"): "Stay", ("x = 1", "x = 1"): "Stay",
                     ("x = 2", "x = 2"): "Stay"}
    assert str(g.nodes[by_label["x = 0"]]["initial"]).strip('"').lower() == "true"


def test_to_networkx_of_some_states_labels_parameters(tmp_path):
    path = tmp_path / "p.gdsl"
    path.write_text("spec P\ntype Id = scalarset(2)\nvar who: option[Id] = none\n"
                    "action Pick(i: Id) when who == none { who = some(i) }\n")
    model = load(path)
    graph = StateGraph(model)
    bfs(model, graph=graph, check_deadlock=False)
    g = graph.to_networkx()
    assert sorted(d["label"] for _, _, d in g.edges(data=True)) == ["Pick(i=Id1)", "Pick(i=Id2)"]
    sub = graph.to_networkx(nodes=[0, 1])
    assert sub.number_of_nodes() == 2 and sub.number_of_edges() == 1
    assert sub.nodes[1]["var_who"] in ("Id1", "Id2")       # show() prints some(v) as v


@pytest.mark.slow
def test_graph_export_refused_above_the_limit(tmp_path, ladder):
    out = tmp_path / "big.graphml"
    proc = run_cli(ladder, "--graph", out, "--graph-limit", "2")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "more than 2 states" in proc.stderr and "--graph-limit" in proc.stderr
    assert not out.exists()
    # exactly at the limit is fine
    assert run_cli(ladder, "--graph", out, "--graph-limit", "3").returncode == 0 and out.exists()


def test_graph_export_needs_a_known_extension(tmp_path, ladder):
    proc = run_cli(ladder, "--graph", tmp_path / "g.png")
    assert proc.returncode == EXIT_BAD_INPUT and ".graphml" in proc.stderr


def test_graph_facts_and_coverage(ladder):
    model = load(ladder)
    graph = StateGraph(model)
    bfs(model, graph=graph)
    facts = graph_facts(graph)
    assert facts["sccs"] == 2                  # {x=0} and {x=1, x=2}
    assert facts["no_way_back"] == 2           # nothing returns to x = 0
    assert facts["coverage"] == {"Inc": {"steps": 2, "distinct": 2}, "Dec": {"steps": 1, "distinct": 0},
                                 "Stay": {"steps": 3, "distinct": 0}, "Never": {"steps": 0, "distinct": 0}}


def test_coverage_in_the_summary(ladder):
    proc = run_cli(ladder, "--coverage")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "2 strongly connected components (sets of states that can all reach each other" in text
    assert "; 2 states have no way back to an initial state" in text
    never = next(line for line in proc.stdout.splitlines() if line.strip().startswith("Never"))
    assert "never enabled" in never
