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


DEFAULT_GRAPH_MB = 50      # a file no bigger opens in yEd, Gephi or Graphviz


def write_graph(graph: StateGraph, path, max_bytes: int | None = None) -> str:
    """Write the whole graph to `path` in the format its extension names (atomically);
    returns the format's name. A text that would pass `max_bytes` is refused (bad
    input, saying how big it would be) before anything is written: the state count
    alone does not bound it (the group spec's 61,506 two-consumer states are 322 MB of
    GraphML, every node labelled with its 30 variables)."""
    import networkx as nx
    fmt = check_graph_path(path)
    g = graph.to_networkx()
    lines = _dot(g) if fmt == "DOT" else (nx.generate_graphml if fmt == "GraphML" else nx.generate_gexf)(g)
    out, size = [], 0
    for line in lines:
        out.append(line)
        size += len(line) + 1
        if max_bytes is not None and size > max_bytes:
            nodes = max(1, sum(1 for x in out if "<node " in x or (fmt == "DOT" and " [label=" in x
                                                                    and " -> " not in x)))
            estimate = size / nodes * len(g) if nodes < len(g) else size
            raise UsageError(f"--graph {path}: the file would be at least {estimate / 2**20:,.0f} MB "
                             f"({len(g):,} states, {g.number_of_edges():,} steps, about "
                             f"{size / nodes / 1024:.1f} KB a state), more than a graph viewer opens "
                             f"(--graph-max-mb {max_bytes // 2**20}); export a smaller configuration, "
                             f"or raise --graph-max-mb if you mean it")
    write_atomic(Path(path), "\n".join(out) + "\n")
    return fmt


def _dot(g):
    """Graphviz DOT text, line by line (written here: networkx needs pydot or pygraphviz for it)."""
    def q(text):
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\l") + '"'
    out = [f"digraph {q(g.graph.get('name', 'states'))} {{",
           '  node [shape=box, fontname="monospace"];']
    yield from out
    for n, data in g.nodes(data=True):
        attrs = {"label": data["label"] + "\n", "initial": str(data["initial"]).lower()}
        if data["initial"]:
            attrs["peripheries"] = "2"
        yield f"  {n} [" + ", ".join(f"{k}={q(v)}" for k, v in attrs.items()) + "];"
    for a, b, data in g.edges(data=True):
        yield f"  {a} -> {b} [label={q(data['label'])}, action={q(data['action'])}];"
    yield "}"


# ------------------------------------------------------------------ algorithms on the arrays
