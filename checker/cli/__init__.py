"""`modelcheck`: the command line (main.py) and its conformance mode (conform.py)."""
from checker.cli.main import main

__all__ = ["main"]
