"""Compiling a generated C file once, and loading it.

The problem: a search should pay for the C compiler once per spec and
configuration, not once per run, and must say plainly what is missing when there
is no compiler. The invariant: the shared library's name is the SHA-256 of the
generated source, the runtime files it includes, the compiler's identity and its
flags; it lives in $XDG_CACHE_HOME/gdsl-modelcheck (or ~/.cache/gdsl-modelcheck),
is written to a temporary name and renamed (two runs never see half a library),
and is loaded with ctypes (no dependency beyond the standard library). The cost:
gcc -O2 on TwoPhase's file takes about 0.3 s the first time, a cache hit costs a
hash and a dlopen. Sources of the group spec's size are built with a profile
from a short training search (pgo.py: ~10% less search CPU, ~10 s more on a cold
cache). Public entry point: `load(source) -> ctypes.CDLL`, with
`find_compiler()` for the `auto` backend's choice.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
from pathlib import Path
import shutil
import subprocess
import tempfile

from . import pgo

RUNTIME_DIR = Path(__file__).resolve().parent
RUNTIME_FILES = ("native_runtime.h", "native_search.c")
FLAGS = ("-O2", "-march=native", "-shared", "-fPIC", "-pthread", "-w")


class NoCompiler(Exception):
    """No C compiler was found: the message names what is missing and how to get it."""


class CompileFailed(Exception):
    """The C compiler refused a generated file: a backend bug, with the compiler's words."""


def find_compiler() -> str | None:
    """The C compiler to use: $CC if set, else cc, gcc or clang on PATH; None if none."""
    cc = os.environ.get("CC")
    if cc:
        return shutil.which(cc)
    for name in ("cc", "gcc", "clang"):
        found = shutil.which(name)
        if found:
            return found
    return None


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gdsl-modelcheck"


def _compiler_identity(cc: str) -> str:
    try:
        return subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return cc


def library_path(source: str, cc: str) -> Path:
    identity = _compiler_identity(cc)
    h = hashlib.sha256()
    for part in (source, identity, " ".join(FLAGS)):
        h.update(part.encode())
    if pgo.wanted(source, identity):              # trained: how is part of what was built
        h.update(Path(pgo.__file__).read_bytes())
    for name in RUNTIME_FILES:
        h.update((RUNTIME_DIR / name).read_bytes())
    return cache_dir() / f"{h.hexdigest()[:32]}.so"


def load(source: str) -> tuple:
    """(the loaded library, whether it came from the cache)."""
    cc = find_compiler()
    if cc is None:
        raise NoCompiler("no C compiler found (looked for $CC, cc, gcc and clang on PATH): install one "
                         "(Debian/Ubuntu: apt-get install gcc; macOS: xcode-select --install) or "
                         "use --backend python")
    lib = library_path(source, cc)
    cached = lib.exists()
    if not cached:
        lib.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=lib.parent) as tmp:
            c_file = Path(tmp) / (lib.stem + ".c")
            c_file.write_text(source)
            out = Path(tmp) / lib.name
            flags = list(FLAGS)

            def compile(extra, target):
                cmd = [cc, *flags, *extra, "-I", str(RUNTIME_DIR), "-o", str(target), str(c_file)]
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode != 0 and "-march=native" in flags:   # a compiler without it
                    flags.remove("-march=native")
                    return compile(extra, target)
                return done

            extra = []
            if pgo.wanted(source, _compiler_identity(cc)):
                extra = pgo.profile_flags(lambda e, target: compile(e, target).returncode == 0,
                                           Path(tmp), out)
            done = compile(extra, out)
            if done.returncode != 0:
                keep = lib.with_suffix(".failed.c")
                keep.write_text(source)
                raise CompileFailed(f"{Path(cc).name} refused the generated C (kept in {keep}):\n"
                                    + done.stderr[-4000:])
            os.replace(out, lib)
    return ctypes.CDLL(str(lib)), cached
