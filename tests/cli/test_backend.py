"""`--backend python|native|auto` on the command line: which backend runs, the
`Backend:` line saying so and why, the same trace file from both, and refusals (exit 2)
that name the reason: a construct with its line and column, --simulate, no C compiler;
symmetry reduction natively, with the Python backend's counts."""
from __future__ import annotations

import json
import os

from _support import DIEHARD, EXIT_BAD_INPUT, EXIT_DEADLOCK, EXIT_VIOLATION, TCOMMIT, run_cli

BIG_SET = """
spec Big
var s: set[0..99]
init { s = {} }
action Add(x: 0..99) when size(s) < 1 { s = s union {x} }
"""


def test_auto_runs_native_and_writes_the_same_trace(tmp_path):
    runs = {}
    for backend in ("python", "native", "auto"):
        out = tmp_path / backend
        proc = run_cli(DIEHARD, "--backend", backend, "--out", out)
        assert proc.returncode == EXIT_VIOLATION, proc.stdout + proc.stderr
        runs[backend] = proc
        line = next(x for x in proc.stdout.splitlines() if x.startswith("Backend:"))
        assert line.startswith("Backend: native" if backend != "python" else "Backend: python"), line
    traces = {b: json.loads((tmp_path / b / "DieHard" / "NotSolved.itf.json").read_text()) for b in runs}
    assert traces["native"]["states"] == traces["python"]["states"] == traces["auto"]["states"]
    tail = [x for x in runs["python"].stdout.splitlines() if "states generated" in x]
    assert tail == [x for x in runs["native"].stdout.splitlines() if "states generated" in x]


def test_symmetry_runs_natively_with_the_python_backends_counts_and_trace_length(tmp_path):
    runs = {}
    for backend in ("python", "auto"):
        proc = run_cli(TCOMMIT, "--const", "RM=4", "--backend", backend, "--out", tmp_path / backend)
        assert proc.returncode == EXIT_DEADLOCK, proc.stdout + proc.stderr
        assert "Symmetry: on, one state per orbit of ResourceManager (4! permutations)" in proc.stdout
        runs[backend] = proc
    assert "Backend: native (C, " in runs["auto"].stdout
    tail = [[x for x in runs[b].stdout.splitlines() if "states generated" in x or "depth" in x] for b in runs]
    assert tail[0] == tail[1] and tail[0]
    lengths = [len(json.loads((tmp_path / b / "TCommit-RM=4" / "Deadlock.itf.json").read_text())["states"])
               for b in runs]
    assert lengths[0] == lengths[1] > 1


def test_auto_says_why_it_runs_python_and_native_refuses(tmp_path):
    proc = run_cli(DIEHARD, "--simulate", "--out", tmp_path)
    assert "Backend: python (native backend off: it does not simulate (--simulate) yet" in proc.stdout
    proc = run_cli(DIEHARD, "--simulate", "--backend", "native")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "--backend native" in proc.stderr and "--simulate" in proc.stderr


def test_a_construct_it_cannot_compile_is_located(tmp_path):
    spec = tmp_path / "big.gdsl"
    spec.write_text(BIG_SET)
    proc = run_cli(spec, "--out", tmp_path, "--no-deadlock")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Backend: python (native backend off: the native backend cannot compile a state variable of type " \
           f"set[0..99] yet ({spec}:3:5))" in proc.stdout
    proc = run_cli(spec, "--backend", "native")
    assert proc.returncode == EXIT_BAD_INPUT
    assert f"{spec}:3:5: error: the native backend cannot compile" in proc.stderr
    assert "var s: set[0..99]" in proc.stderr          # the line, with a caret under it


def test_without_a_c_compiler(tmp_path):
    env = dict(os.environ, CC="no-such-compiler-anywhere")
    import subprocess
    import sys
    from _support import ROOT, assert_no_traceback
    for backend, code in (("auto", EXIT_VIOLATION), ("native", EXIT_BAD_INPUT)):
        proc = subprocess.run([sys.executable, "-m", "checker.cli", str(DIEHARD), "--backend", backend,
                               "--out", str(tmp_path)], capture_output=True, text=True, cwd=str(ROOT), env=env)
        assert_no_traceback(proc)
        assert proc.returncode == code, proc.stdout + proc.stderr
        assert "no C compiler found" in proc.stdout + proc.stderr
        assert "apt-get install gcc" in proc.stdout + proc.stderr


def test_bad_backend_names_the_choices():
    proc = run_cli(DIEHARD, "--backend", "fortran")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "--backend" in proc.stderr and "python" in proc.stderr and "native" in proc.stderr
