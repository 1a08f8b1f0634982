"""Profile-guided optimisation of a large generated library: one short training search.

The problem: a big spec's successor function (the group spec's C file is about
300 KB, hundreds of branches over fields and maps) is compiled by gcc with no idea
which ways are hot; -O3 does not help it (measured: no better than -O2), a profile
does. The invariant: the profile only steers the optimiser; the trained library is
the same C with the same semantics, so counts, verdicts and traces cannot differ
(tests/native/test_pgo.py checks it on a spec forced through this path). The
training is a bounded breadth-first search from the initial states (TRAIN_STATES
distinct states, one thread, the graph recorded as for a liveness check) run by an instrumented build of the same
file in a child process (the profile is written at its exit); whatever goes wrong
there only costs the profile: gcc then compiles as without one
(-fprofile-partial-training keeps unprofiled code optimised for speed). The cost:
about 10 s more on a cold cache for the group spec (an instrumented compile, ~2 s
of training, the final compile), nothing on a cache hit; the search's CPU falls
~10% (docs/performance.md, "Profile-guided build"). GCC only (clang's profiles need
llvm-profdata). Public entry point: `profile_flags(compile, workdir, out) -> list`.
"""
from __future__ import annotations

import ctypes
import os
from pathlib import Path
import subprocess
import sys

from .abi import _Options, _Result

TRAIN_STATES = 200_000
MIN_SOURCE_CHARS = 150_000       # the group spec: ~305,000; TwoPhase and the examples: far below
ENV = "GDSL_NATIVE_PGO"          # "1": always, "0": never, unset: for sources of MIN_SOURCE_CHARS and more


def wanted(source: str, compiler_identity: str) -> bool:
    """Whether a library of this source is built with a profile."""
    if "Free Software Foundation" not in compiler_identity:   # gcc's --version; clang says otherwise
        return False
    forced = os.environ.get(ENV)
    if forced in ("0", "1"):
        return forced == "1"
    return len(source) >= MIN_SOURCE_CHARS


def profile_flags(compile, workdir: Path, out: Path) -> list:
    """The flags of the final compile: `compile(extra_flags, out)` builds the library
    (returns whether it succeeded); an instrumented build is trained here first, at
    `out` itself (gcc names a profile after the output's path: the final compile must
    write the same one)."""
    prof = workdir / "profile"
    instrumented = out
    if compile([f"-fprofile-generate={prof}", "-fprofile-update=single"], instrumented):
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        try:
            subprocess.run([sys.executable, "-m", "checker.native.pgo", str(instrumented), str(TRAIN_STATES)],
                           env=env, capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError):
            pass                          # no profile: the final compile goes without
    return [f"-fprofile-use={prof}", "-fprofile-partial-training", "-Wno-missing-profile"]


def _train(library: str, max_states: int) -> None:
    lib = ctypes.CDLL(library)
    lib.mc_run.argtypes = [ctypes.POINTER(_Options), ctypes.POINTER(_Result)]
    opts = _Options(max_states, 0, 0.0, 1, 1, 1, 0.0, 0)   # deadlock checked, graph recorded, 1 thread
    lib.mc_run(ctypes.byref(opts), ctypes.byref(_Result()))


if __name__ == "__main__":
    _train(sys.argv[1], int(sys.argv[2]))
