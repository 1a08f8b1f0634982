"""The profile-guided build (checker/native/pgo.py): the training writes a profile,
the trained library is another file in the cache, and its searches give what the
plain build gives (a profile steers the optimiser only)."""
from __future__ import annotations

import subprocess

import pytest

from _support import TWOPHASE
from checker.native import build, pgo
from checker.native.engine import NativeSearch
from test_agreement import model_of, outcome


def gcc_or_skip() -> str:
    cc = build.find_compiler()
    if cc is None or "Free Software Foundation" not in build._compiler_identity(cc):
        pytest.skip("profile-guided builds are made with gcc only")
    return cc


def test_the_training_search_writes_a_profile(tmp_path):
    cc = gcc_or_skip()
    search = NativeSearch(model_of(TWOPHASE, {"RM": "3"}))
    from checker.native.codegen import generate
    c_file = tmp_path / "g.c"
    c_file.write_text(generate(search.model).source)

    def compile(extra, target):
        cmd = [cc, *build.FLAGS, *extra, "-I", str(build.RUNTIME_DIR), "-o", str(target), str(c_file)]
        return subprocess.run(cmd, capture_output=True).returncode == 0

    flags = pgo.profile_flags(compile, tmp_path, tmp_path / "g.so")
    assert any(f.startswith("-fprofile-use=") for f in flags)
    assert list((tmp_path / "profile").rglob("*.gcda")), "the training search wrote no profile"
    assert compile(flags, tmp_path / "g.so")


def test_the_trained_library_counts_what_the_plain_one_counts(tmp_path, monkeypatch):
    cc = gcc_or_skip()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    model = model_of(TWOPHASE, {"RM": "4"})
    results, paths = [], []
    for forced in ("0", "1"):
        monkeypatch.setenv(pgo.ENV, forced)
        search = NativeSearch(model).prepare()
        paths.append(build.library_path(search.generated.source, cc))
        results.append(outcome(search.run(check_deadlock=True)))
    assert paths[0] != paths[1] and all(p.exists() for p in paths)
    assert results[0] == results[1]
    assert results[0][3] > 1000                      # a search of some size, not a stop at the start


def test_only_large_sources_are_trained_unless_forced(monkeypatch):
    gcc = "gcc (Debian 12.2.0) 12.2.0\nCopyright (C) 2022 Free Software Foundation, Inc."
    monkeypatch.delenv(pgo.ENV, raising=False)
    assert not pgo.wanted("x" * 1000, gcc)
    assert pgo.wanted("x" * pgo.MIN_SOURCE_CHARS, gcc)
    assert not pgo.wanted("x" * pgo.MIN_SOURCE_CHARS, "clang version 16.0.6")
    monkeypatch.setenv(pgo.ENV, "1")
    assert pgo.wanted("x", gcc)
    monkeypatch.setenv(pgo.ENV, "0")
    assert not pgo.wanted("x" * pgo.MIN_SOURCE_CHARS, gcc)
