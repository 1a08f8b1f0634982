"""A small model's state graph as a picture (SVG), for notebooks.

The problem: a notebook user wants to see the states and steps of a small model, and
neither Graphviz (`dot`) nor matplotlib can be assumed. The invariant: the picture
is drawn from the same state graph `--graph` exports (engine/stategraph.py,
`to_networkx`), laid out by networkx's spring layout with a fixed seed (the same
picture each time), as self-contained SVG: initial states ringed twice, each node
titled with its state (hover), each edge with its action. The cost: the search plus
the layout, O(states^2) per layout iteration, so it refuses graphs over
`max_states` (2,000 by default) rather than draw a hairball.
Public entry point: `state_graph`.
"""
from __future__ import annotations

import html

from checker.lang.errors import UsageError


class StateGraphPicture:
    """The state graph: `graph` is the networkx DiGraph (nodes labelled with their
    state, edges with their action); `svg()` draws it, and a notebook shows it."""

    def __init__(self, graph):
        self.graph = graph

    def __repr__(self) -> str:
        return f"<StateGraph: {self.graph.number_of_nodes()} states, {self.graph.number_of_edges()} steps>"

    def svg(self, size: int = 480) -> str:
        import networkx as nx
        g = self.graph
        pos = nx.spring_layout(g, seed=0) if len(g) > 1 else {n: (0.0, 0.0) for n in g}
        pad, r = 24, 7
        xs = [p[0] for p in pos.values()] or [0.0]
        ys = [p[1] for p in pos.values()] or [0.0]
        span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0

        def at(n):
            x, y = pos[n]
            return (pad + (x - min(xs)) / span * (size - 2 * pad), pad + (y - min(ys)) / span * (size - 2 * pad))
        width = size + 8 * max((len(_name(n, d)) for n, d in g.nodes(data=True)), default=0)   # captions
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{size}" '
               f'viewBox="0 0 {width} {size}" font-family="monospace" font-size="11">',
               '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
               'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>']
        for a, b, data in g.edges(data=True):
            (x1, y1), (x2, y2) = at(a), at(b)
            if a == b:
                out.append(f'<circle cx="{x1:.1f}" cy="{y1 - r - 4:.1f}" r="5" fill="none" stroke="#888">'
                           f'<title>{html.escape(data["label"])}</title></circle>')
                continue
            dx, dy = x2 - x1, y2 - y1
            d = max((dx * dx + dy * dy) ** 0.5, 1e-9)
            out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2 - dx / d * r:.1f}" y2="{y2 - dy / d * r:.1f}" '
                       f'stroke="#888" marker-end="url(#arrow)"><title>{html.escape(data["label"])}</title></line>')
        for n, data in g.nodes(data=True):
            x, y = at(n)
            ring = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r + 3}" fill="none" stroke="#1f5fa8"/>' if data.get("initial") else ""
            out.append(f'<g>{ring}<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="#cfe0f5" stroke="#1f5fa8">'
                       f'<title>{html.escape(data.get("label", ""))}</title></circle>'
                       f'<text x="{x + r + 2:.1f}" y="{y + 3:.1f}">{html.escape(_name(n, data))}</text></g>')
        out.append("</svg>")
        return "\n".join(out)

    def _repr_svg_(self) -> str:
        return self.svg()


def _name(n, data) -> str:
    """A node's caption: its state on one line when that is short (`big = 0, small = 3`),
    else its number (the whole state is its hover title)."""
    text = data.get("label", "").replace("\n", ", ")
    return text if 0 < len(text) <= 32 else str(n)


def state_graph(checked, max_states: int = 2000) -> StateGraphPicture:
    """Explore a checked spec whole (no property stops it), recording every state and
    step; UsageError if it has more than `max_states` states."""
    from checker.compile.model import compile_model
    from checker.engine.liveness import search
    from checker.engine.stategraph import StateGraph
    from checker.lang.selection import Selection
    model = compile_model(checked, selection=Selection((), (), (), ()))
    graph = StateGraph(model, keep_states=True)
    result, graph = search(model, graph, max_states=max_states, check_deadlock=False)
    if result.stopped_by == "max-states":
        raise UsageError(f"the state graph has more than {max_states:,} states, too many to draw; "
                         f"give a smaller configuration, or state_graph(max_states=N) if you mean it")
    return StateGraphPicture(graph.to_networkx())
