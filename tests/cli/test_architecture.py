"""The layering of docs/architecture.md holds: import-linter's contract (pyproject.toml)
is kept, and no module imports itself back through others (no import cycle), lazy
imports inside functions included."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parents[2]


def test_the_layers_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    p = subprocess.run([str(lint) if lint.exists() else "lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "1 kept, 0 broken" in p.stdout


def package_graph(graph) -> str:
    """`pkg -> imported, ...` a line, for every package of checker that imports another."""
    def pkg(module):
        return module.split(".")[1] if module.count(".") >= 1 else ""
    edges = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = pkg(module), pkg(imported)
            if a and b and a != b:
                edges.setdefault(a, set()).add(b)
    return "\n".join(f"{a} -> {', '.join(sorted(bs))}" for a, bs in sorted(edges.items()))


def test_the_documented_import_graph_is_the_codes():
    text = (ROOT / "docs" / "architecture.md").read_text()
    documented = text.split("<!-- import-graph -->")[1].split("<!-- /import-graph -->")[0]
    documented = documented.strip().strip("`").strip()
    assert documented == package_graph(grimp.build_graph("checker", cache_dir=None))


def test_no_module_imports_itself_back():
    graph = grimp.build_graph("checker", cache_dir=None)
    g = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("checker.") and not graph.is_module_squashed(imported):
                g.add_edge(module, imported)
    # a package's __init__ re-exporting one of its modules is not a cycle of code
    g.remove_edges_from([(a, b) for a, b in list(g.edges) if b.startswith(a + ".")])
    cycles = [c for c in nx.simple_cycles(g) if len(c) > 1]
    assert cycles == [], f"import cycles: {cycles[:5]}"


def test_no_private_name_is_imported_from_another_package():
    """What two packages share is public (checker/lang/ast.py's `conjuncts`, for the
    compiler and the z3 backend alike), not a private helper of one of them."""
    import ast
    found = []
    for path in sorted((ROOT / "checker").rglob("*.py")):
        package = path.relative_to(ROOT / "checker").parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("checker."):
                source = node.module.split(".")[1]
                found += [f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}.{a.name}"
                          for a in node.names if a.name.startswith("_") and source != package]
    assert found == []
