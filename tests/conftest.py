"""Tests mirror the checker's packages (tests/lang, tests/engine, ...); the helpers
they share are tests/_support.py, importable from every folder."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_configure(config):
    """The quick suite builds native libraries without the profile-guided training
    (checker/native/pgo.py), unless GDSL_NATIVE_PGO says otherwise: on an empty
    compiler cache each group configuration's training added 6-10 s, and the quick
    suite took 271 s instead of 166 s. tests/native/test_pgo.py forces it where it
    tests it; the slow suite (`-m slow`) builds as the command line does."""
    if "slow" not in (config.option.markexpr or "").replace("not slow", ""):
        os.environ.setdefault("GDSL_NATIVE_PGO", "0")
