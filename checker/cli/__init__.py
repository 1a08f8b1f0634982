"""`modelcheck`: the command line (main.py) and its conformance mode (conform.py)."""
import os

# numpy's OpenBLAS starts a thread per core that spins after each call: on the 2-core
# machine it took a core from the native search's threads. Nothing here needs a
# threaded BLAS; the package is imported before numpy, so this is in time.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from checker.cli.main import main  # noqa: E402

__all__ = ["main"]
