"""gdsl + modelcheck: a specification language and model checker for the Kafka group protocol.

Where things live: grammar.lark (syntax) -> parser.py (AST, ast.py) -> typecheck.py
(names and types) -> compiler.py (Python code, runtime.py helpers) -> model.py (the
compiled spec) -> explore.py (the BFS engine) -> itf.py / report.py (traces) -> cli.py.
"""
__version__ = "0.1.0"
