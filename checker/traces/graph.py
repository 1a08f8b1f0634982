"""A recorded state graph written for graph tools: GraphML, GEXF or Graphviz DOT, the
format chosen by the file's extension (`--graph FILE`). The graph itself, its
networkx view and its analyses are the engine's (engine/stategraph.py); this is only
its export. One entry point, `write_graph`; `check_graph_path` refuses a bad name
before a search starts rather than after it."""
from __future__ import annotations

from pathlib import Path

from checker.engine.stategraph import StateGraph
from checker.lang.errors import UsageError

from .files import write_atomic

GRAPH_FORMATS = {".graphml": "GraphML", ".gexf": "GEXF", ".dot": "DOT", ".gv": "DOT"}


def check_graph_path(path) -> str:
    """The export format named by the file's extension; bad input if there is none."""
    fmt = GRAPH_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        known = ", ".join(GRAPH_FORMATS)
        raise UsageError(f"--graph {path}: the file name must end in one of {known} "
                         f"(the extension chooses the format)")
    return fmt


def write_graph(graph: StateGraph, path) -> str:
    """Write the whole graph to `path` in the format its extension names (atomically);
    returns the format's name."""
    import networkx as nx
    fmt = check_graph_path(path)
    g = graph.to_networkx()
    if fmt == "DOT":
        text = _dot(g)
    else:
        writer = nx.generate_graphml if fmt == "GraphML" else nx.generate_gexf
        text = "\n".join(writer(g)) + "\n"
    write_atomic(Path(path), text)
    return fmt


def _dot(g) -> str:
    """Graphviz DOT text (written here: networkx needs pydot or pygraphviz for it)."""
    def q(text):
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\l") + '"'
    out = [f"digraph {q(g.graph.get('name', 'states'))} {{",
           '  node [shape=box, fontname="monospace"];']
    for n, data in g.nodes(data=True):
        attrs = {"label": data["label"] + "\n", "initial": str(data["initial"]).lower()}
        if data["initial"]:
            attrs["peripheries"] = "2"
        out.append(f"  {n} [" + ", ".join(f"{k}={q(v)}" for k, v in attrs.items()) + "];")
    for a, b, data in g.edges(data=True):
        out.append(f"  {a} -> {b} [label={q(data['label'])}, action={q(data['action'])}];")
    out.append("}")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ algorithms on the arrays
