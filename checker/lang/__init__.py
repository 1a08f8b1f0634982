"""The gdsl language: grammar.lark, the parser to plain dataclass AST nodes (ast.py),
types and runtime values (types.py, values.py), the type checker, and the errors a
user can act on. Imports nothing else of the checker."""
