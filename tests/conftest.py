"""Tests mirror the checker's packages (tests/lang, tests/engine, ...); the helpers
they share are tests/_support.py, importable from every folder."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
