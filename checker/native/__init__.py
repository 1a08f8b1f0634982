"""The native backend: a spec and configuration compiled to C, explored in C.

`engine.NativeSearch(model)` generates the C file (codegen.py over encoding.py,
expressions.py, statements.py), compiles and caches it (build.py; large files
with a profile from a training search, pgo.py), runs the
breadth-first search of native_search.c and answers with the engines' `Result`;
a trace is replayed on the Python backend, the state graph for liveness is judged
by engine/liveness.py (graph.py). `checker/cli/backend.py` decides when it runs.
"""
