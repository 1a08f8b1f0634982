"""Issue 8's figures: modelcheck against SPIN and a hand-written Python BFS, in one run.

TwoPhase (tlaplus/Examples) with RM = 7, 8 and 9 managers, checking TPTypeOK as
TwoPhase.cfg does, and on request spec/group.gdsl's default configuration. Every engine
runs as a child process, so each has its own peak memory (the child's max RSS, from
os.wait4); the runs are interleaved, so the machine's noise spreads over all engines,
and every figure printed is the median of RUNS runs.

- modelcheck with and without symmetry, with 1 and 2 workers (`--no-symmetry`,
  `--workers N`), and up to RM=8 without packed variables (`--no-packing`, 2 workers);
  a configuration this modelcheck has no flag for is printed n/a.
- SPIN, when the Debian package `spin` and gcc are installed: the script writes an
  equivalent Promela model (one process, one do-loop, one d_step per action instance,
  so SPIN stores exactly TLC's states) and times spin -a, gcc -O2 and pan (DFS) together.
- the hand-written Python BFS of bench/twophase_hand.py (RM up to --hand-max).
- the native backend (issue 23: `--backend native`, 1 and 2 threads), with an empty
  compiler cache each run, so its wall time includes generating and compiling the C;
  for the group spec also with the compiled library cached (compiled once, untimed,
  before the first run), and with `--native-only` nothing but these rows (and SPIN).

The machine is shared: every run's 1-minute load average, taken as it starts, is
printed beside its figures, and the tables give each row's median load.

Then the targets of issue 8, each with the figures it is read from and met / NOT met.

    python bench/performance.py                  # RM 7 8 9, 3 runs each (about 10 min)
    python bench/performance.py --quick          # RM=7, 1 run
    python bench/performance.py --rm 8 --runs 5 --json-out perf.json
    python bench/performance.py --group --runs 1 # adds group.gdsl (~11 min a run before issue 8)
    python bench/performance.py --group --baseline-commit 8d739e2   # the old engine measured too
    python bench/performance.py --group --native-only --rm --runs 3  # issue 23's group figures alone
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TWOPHASE = "spec/examples/twophase.gdsl"
GROUP = "spec/group.gdsl"
# TLC's distinct states for TwoPhase without symmetry (checker-conventions.md §4).
TWOPHASE_STATES = {3: 288, 7: 296_448, 8: 1_745_408, 9: 10_340_352}
# spec/group.gdsl's default configuration before issue 8 (commit 8d739e2, this project's
# 2-core machine, fresh install): README.md's figures.
GROUP_BEFORE = {"commit": "8d739e2", "wall": 675.0, "search": 669.0, "distinct": 6_288_603,
                "peak_rss": 2_990_000_000}
SPIN_WALL_RATIO_TARGET = 2.0        # TwoPhase RM=8 without symmetry: modelcheck wall <= 2x SPIN's
SYMMETRY_RM9_TARGET_S = 5.0         # TwoPhase RM=9 with symmetry: under 5 s
VISITED_BYTES_TARGET = 64           # bytes a state in the visited set, at ~10 million states
GROUP_SPEEDUP_TARGET = 3.0          # group.gdsl default: the full check 3x faster than before
UNPACKED_MAX_RM = 8                 # --no-packing rows (what packing gains) up to this RM
PAN_DEPTH = 10_000                  # pan -m: TwoPhase's DFS never goes deeper than ~3 RM


class Unsupported(Exception):
    """A configuration this modelcheck cannot run (it has no flag for it): printed n/a."""


class BenchError(Exception):
    """A child failed or disagreed with the known answers: the figures would mean nothing."""


@dataclass
class Child:
    code: int
    out: str
    err: str
    wall: float
    peak_rss: int          # bytes
    cpu: float = 0.0       # user + system seconds of the child (and of the workers it reaped: a lower bound with workers)


@dataclass
class Sample:
    wall: float            # the child's whole wall time: start-up, compile, search (SPIN: spin -a + gcc + pan)
    search: float          # the engine's own figure: modelcheck's elapsed_s, pan's elapsed time
    distinct: int
    peak_rss: int          # bytes: the child's max RSS (SPIN: pan's)
    visited_bytes: int | None = None   # modelcheck's JSON `visited_bytes`, when it reports it
    cpu: float | None = None           # the child's CPU seconds: steadier than wall on a busy machine
    load: float | None = None          # the 1-minute load average as the run started
    liveness: float | None = None      # modelcheck's liveness_s (included in search)


@dataclass
class Row:
    engine: str
    config: str
    run: object = field(repr=False)   # () -> Sample; raises Unsupported
    samples: list = field(default_factory=list)
    note: str = ""
    reduced: bool = False             # symmetry: fewer states than TLC's count, by design
    modelcheck: object = None         # the Modelcheck whose row this is

    def median(self, attr):
        values = [getattr(s, attr) for s in self.samples if getattr(s, attr) is not None]
        return statistics.median(values) if values else None


def run_child(cmd, cwd, env=None) -> Child:
    """Run cmd to completion; os.wait4 gives this child's own max RSS (getrusage would
    give the maximum over all children so far)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        except OSError as e:
            raise BenchError(f"cannot run {cmd[0]}: {e.strerror or e}") from None
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)   # reaped: Popen must not wait again
        out.seek(0)
        err.seek(0)
        return Child(proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                     wall, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime)


def _failed(what, child) -> BenchError:
    tail = "\n".join((child.err or child.out).strip().splitlines()[-8:])
    return BenchError(f"{what} exited {child.code}:\n{tail}")


# --- modelcheck ---------------------------------------------------------------------

class Modelcheck:
    """modelcheck from one source tree (this one, or a worktree of --baseline-commit), run
    as `python -m checker.cli` with that tree first on the path."""

    FLAGS = ("--no-symmetry", "--workers", "--no-packing", "--backend")

    def __init__(self, tree: Path, name: str):
        self.tree, self.name = tree, name
        self.missing: set[str] = set()      # flags this modelcheck rejected (argparse, exit 2)

    def flags(self, symmetry: bool | None, workers: int | None, packing: bool = True,
              backend: str | None = None) -> list[str]:
        """The flags for a configuration (None: no flag, modelcheck's default). Without
        --no-symmetry the engine has no symmetry reduction, so it can run only the
        no-symmetry rows; without --workers, only 1 worker; without --no-packing, it
        never packs (packing: False is its only mode)."""
        flags = [] if packing or "--no-packing" in self.missing else ["--no-packing"]
        if symmetry is None:
            pass
        elif "--no-symmetry" in self.missing:
            if symmetry:
                raise Unsupported("n/a: this modelcheck has no --no-symmetry (no symmetry reduction)")
        elif not symmetry:
            flags.append("--no-symmetry")
        if backend is not None:
            if "--backend" not in self.missing:
                flags += ["--backend", backend]
            elif backend != "python":
                raise Unsupported(f"n/a: this modelcheck has no --backend {backend}")
        if workers is not None:
            if "--workers" not in self.missing:
                flags += ["--workers", str(workers)]
            elif workers != 1:
                raise Unsupported("n/a: this modelcheck has no --workers")
        return flags

    def sample(self, spec: str, args: list[str], symmetry: bool, workers: int | None,
               packing: bool = True, backend: str | None = "python", cache: Path | None = None) -> Sample:
        """backend "native" runs with an empty compiler cache: its wall time includes
        generating and compiling the C file (issue 23's end-to-end figure); with `cache`
        (a directory), the library is compiled there once, untimed, and found there."""
        while True:
            flags = self.flags(symmetry, workers, packing, backend)
            with tempfile.TemporaryDirectory(prefix="perf-out-") as out:
                cmd = [sys.executable, "-m", "checker.cli", spec, *args, *flags,
                       "--json", "--quiet", "--out", out]
                env = dict(os.environ, PYTHONPATH=str(self.tree), XDG_CACHE_HOME=str(cache or Path(out) / "cache"))
                if cache is not None and not any(cache.rglob("*.so")):
                    run_child(cmd + ["--max-states", "1"], self.tree, env)    # compiles; not timed
                load = os.getloadavg()[0]
                child = run_child(cmd, self.tree, env)
            rejected = re.search(r"unrecognized arguments: (.*)", child.err)
            if child.code == 2 and rejected:
                new = {f for f in self.FLAGS if f in rejected.group(1).split()} - self.missing
                if not new:
                    raise _failed(f"{self.name} {' '.join(cmd[3:])}", child)
                self.missing |= new
                continue
            if child.code != 0:
                raise _failed(f"{self.name} {' '.join(cmd[3:])}", child)
            result = json.loads(child.out.strip().splitlines()[-1])
            if result["verdict"] != "ok":
                raise BenchError(f"{self.name} {spec}: verdict {result['verdict']}, expected ok")
            return Sample(child.wall, result["elapsed_s"], result["distinct_states"], child.peak_rss,
                          result.get("visited_bytes"), child.cpu, load, result.get("liveness_s"))


def modelcheck_rows(mc: Modelcheck, spec, args, configs) -> list[Row]:
    """One row per configuration (symmetry, workers[, packing[, backend[, cache]]]): see
    Modelcheck.flags and Modelcheck.sample."""
    def label(symmetry, workers, packing=True, backend="python", cache=None):
        sym = {None: "default flags", True: "symmetry", False: "no symmetry"}[symmetry]
        sym += "" if packing else ", no packing"
        sym += ", compiled library cached" if cache is not None else ""
        sym = f"native, {sym}" if backend == "native" else sym
        return sym if workers is None else f"{sym}, {workers} worker{'s' if workers > 1 else ''}"
    return [Row(mc.name, label(*c), lambda c=c: mc.sample(spec, args, *c), reduced=bool(c[0]), modelcheck=mc)
            for c in configs]


# --- SPIN -----------------------------------------------------------------------------

def promela_twophase(n: int) -> str:
    """TwoPhase.tla in Promela with TLC's state variables and nothing else: a single process
    whose only control location is the head of one do-loop, each action instance one
    d_step (no intermediate states), so pan's "states, stored" is TLC's distinct count
    and stored + matched its states generated. Values: rmState 0 working, 1 prepared,
    2 committed, 3 aborted; tmState 0 init, 1 committed, 2 aborted; msgs as a Prepared
    bit per manager and a Commit and an Abort bit. TPTypeOK holds by construction, as in
    modelcheck (whose compiler reduces it to true), so it is not asserted."""
    everyone = " && ".join(f"tmPrepared[{r}]" for r in range(n))
    opts = [f"d_step {{ tmState == 0 && msgPrepared[{r}] -> tmPrepared[{r}] = 1 }}" for r in range(n)]
    opts += [f"d_step {{ tmState == 0 && {everyone} -> tmState = 1; msgCommit = 1 }}",
             "d_step { tmState == 0 -> tmState = 2; msgAbort = 1 }"]
    for r in range(n):
        opts += [f"d_step {{ rmState[{r}] == 0 -> rmState[{r}] = 1; msgPrepared[{r}] = 1 }}",
                 f"d_step {{ rmState[{r}] == 0 -> rmState[{r}] = 3 }}",
                 f"d_step {{ msgCommit -> rmState[{r}] = 2 }}",
                 f"d_step {{ msgAbort -> rmState[{r}] = 3 }}"]
    return "\n".join([
        f"/* TwoPhase (tlaplus/Examples) with RM = {n}, written by bench/performance.py */",
        f"byte rmState[{n}];     /* 0 working, 1 prepared, 2 committed, 3 aborted */",
        "byte tmState;          /* 0 init, 1 committed, 2 aborted */",
        f"bit tmPrepared[{n}];",
        f"bit msgPrepared[{n}];  /* msgs: [type |-> \"Prepared\", rm |-> r] */",
        "bit msgCommit;",
        "bit msgAbort;",
        "",
        "active proctype TwoPhase() {",
        "  do",
        *(f"  :: {o}" for o in opts),
        "  od",
        "}",
        "",
    ])


def spin_missing() -> str | None:
    missing = [tool for tool in ("spin", "gcc") if shutil.which(tool) is None]
    return f"n/a: {' and '.join(missing)} not installed (apt-get install spin gcc)" if missing else None


def spin_sample(rm: int, pan_flags: list[str]) -> Sample:
    """spin -a, gcc -O2 -DSAFETY -DNOCLAIM (exhaustive, no never claim) and pan's DFS, timed
    together; pan must report no error (no invalid end state: TwoPhase never blocks)."""
    with tempfile.TemporaryDirectory(prefix="perf-spin-") as d:
        Path(d, "twophase.pml").write_text(promela_twophase(rm))
        steps = [["spin", "-a", "twophase.pml"],
                 ["gcc", "-O2", "-DSAFETY", "-DNOCLAIM", "-o", "pan", "pan.c"],
                 ["./pan", f"-m{PAN_DEPTH}", *pan_flags]]
        children = []
        load = os.getloadavg()[0]
        for cmd in steps:
            child = run_child(cmd, d)
            if child.code != 0:
                raise _failed(" ".join(cmd), child)
            children.append(child)
    out = children[-1].out
    stored = re.search(r"(\d+) states, stored", out)
    errors = re.search(r"errors: (\d+)", out)
    elapsed = re.search(r"pan: elapsed time ([\d.e+]+) seconds", out)
    if not (stored and errors and elapsed):
        raise BenchError(f"pan's output lacks its counts:\n{out}")
    if errors.group(1) != "0" or "depth too small" in out:
        raise BenchError(f"pan reported an error (or -m{PAN_DEPTH} too small):\n{out}")
    return Sample(sum(c.wall for c in children), float(elapsed.group(1)), int(stored.group(1)),
                  children[-1].peak_rss, cpu=sum(c.cpu for c in children), load=load)


# --- the hand-written BFS ----------------------------------------------------------------

def hand_sample(rm: int) -> Sample:
    cmd = [sys.executable, str(ROOT / "bench" / "twophase_hand.py"), str(rm)]
    load = os.getloadavg()[0]
    child = run_child(cmd, ROOT)
    if child.code != 0:
        raise _failed("bench/twophase_hand.py", child)
    result = json.loads(child.out)
    return Sample(child.wall, result["elapsed_s"], result["distinct"], child.peak_rss, cpu=child.cpu, load=load)


# --- measuring and printing ----------------------------------------------------------------

def measure(title: str, rows: list[Row], runs: int) -> None:
    """Runs interleaved: run 1 of every row, then run 2 of every row, and so on."""
    for i in range(runs):
        for row in rows:
            if row.note:
                continue
            try:
                sample = row.run()
            except Unsupported as e:
                row.note = str(e)
                continue
            row.samples.append(sample)
            print(f"  {title} | {row.engine}, {row.config} | run {i + 1}/{runs}: {sample.wall:.2f} s wall, "
                  f"{_fmt(sample.cpu, '.2f')} s CPU, {sample.distinct:,} states, load {_fmt(sample.load, '.1f')}",
                  file=sys.stderr, flush=True)


def _fmt(x, spec):
    return "–" if x is None else format(x, spec)


def print_table(title: str, rows: list[Row], spin: Row | None, runs: int) -> None:
    spin_wall = spin.median("wall") if spin and spin.samples else None
    print(f"\n### {title} (medians of {runs} run{'s' if runs > 1 else ''})\n")
    print("| engine | configuration | wall s | CPU s | search s | of which liveness s | distinct | states/s (search) "
          "| peak RSS MB | peak RSS B/state | visited B/state | wall / SPIN wall | load |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for row in rows:
        if not row.samples:
            print(f"| {row.engine} | {row.config} | {row.note} | | | | | | | | | | |")
            continue
        wall, search, cpu = row.median("wall"), row.median("search"), row.median("cpu")
        distinct, rss, visited = round(row.median("distinct")), row.median("peak_rss"), row.median("visited_bytes")
        ratio = wall / spin_wall if spin_wall else None
        print(f"| {row.engine} | {row.config} | {wall:.2f} | {_fmt(cpu, '.2f')} | {search:.2f} "
              f"| {_fmt(row.median('liveness'), '.2f')} | {distinct:,} "
              f"| {_fmt(distinct / search if search else None, ',.0f')} | {rss / 1e6:,.0f} | {rss / distinct:,.0f} "
              f"| {_fmt(visited / distinct if visited is not None else None, ',.1f')} | {_fmt(ratio, '.2f')} "
              f"| {_fmt(row.median('load'), '.1f')} |")
    print("\nwall s: the whole child process (start-up, compile, search; SPIN: spin -a + gcc + pan). "
          "CPU s: its user + system time (with workers, a lower bound: only those it reaped count); on a busy machine, steadier than wall. "
          "search s: the engine's own time (modelcheck's elapsed_s, pan's elapsed time). "
          "peak RSS B/state: the child's max RSS / distinct states (SPIN: pan's). "
          "visited B/state: modelcheck's visited_bytes / distinct. "
          "load: the median over the runs of the 1-minute load average as each started (2 cores: above 2, "
          "other work shared the machine and wall times are inflated).")
    for mc in dict.fromkeys(r.modelcheck for r in rows if r.modelcheck):
        if mc.missing:
            print(f"{mc.name} has no {' and no '.join(sorted(mc.missing))}: its rows ran without "
                  "(its only mode: one worker, no symmetry reduction).")
    walls = [f"{r.engine}, {r.config}: {', '.join(f'{s.wall:.2f}' for s in r.samples)}" for r in rows if r.samples]
    if runs > 1 and walls:
        print("runs (wall s): " + "; ".join(walls))
        cpus = [f"{r.engine}, {r.config}: {', '.join(_fmt(s.cpu, '.2f') for s in r.samples)}"
                for r in rows if r.samples and r.samples[0].cpu is not None]
        print("runs (CPU s): " + "; ".join(cpus))
        loads = [f"{r.engine}, {r.config}: {', '.join(_fmt(s.load, '.1f') for s in r.samples)}"
                 for r in rows if r.samples and r.samples[0].load is not None]
        print("runs (load): " + "; ".join(loads))


def check_counts(title, rows, expected) -> list[str]:
    """Every engine without symmetry must find the known number of states."""
    return [f"{title}: {r.engine}, {r.config} found {s.distinct:,} states, expected {expected:,}"
            for r in rows if not r.reduced
            for s in r.samples[:1] if s.distinct != expected]


# --- the targets ---------------------------------------------------------------------------

def _find(table, engine, config):
    return next((r for r in table if r.engine == engine and r.config == config and r.samples), None)


def _secs(row):
    return f"{row.median('wall'):.2f} s" if row else "n/a"


def _verdict(ok):
    return "met" if ok else "NOT met"


def targets(tables: dict, group_before: dict | None) -> list[str]:
    lines = []
    rm8 = tables.get("TwoPhase RM=8")
    if rm8 is None:
        lines.append(f"TwoPhase RM=8 without symmetry, wall <= {SPIN_WALL_RATIO_TARGET}x SPIN's: not measured (--rm 8)")
    else:
        one, two = _find(rm8, "modelcheck", "no symmetry, 1 worker"), _find(rm8, "modelcheck", "no symmetry, 2 workers")
        spin = _find(rm8, "SPIN", "DFS, -O2")
        walls = [r.median("wall") for r in (one, two) if r]
        text = f"TwoPhase RM=8 without symmetry: 1 worker {_secs(one)}, 2 workers {_secs(two)}, SPIN {_secs(spin)}"
        if spin and walls:
            ratio = min(walls) / spin.median("wall")
            text += f" -> ratio {ratio:.2f}; target <= {SPIN_WALL_RATIO_TARGET}: {_verdict(ratio <= SPIN_WALL_RATIO_TARGET)}"
        else:
            text += "; no ratio (SPIN or modelcheck not measured)"
        lines.append(text)
    rm9 = tables.get("TwoPhase RM=9")
    if rm9 is None:
        lines.append(f"TwoPhase RM=9 with symmetry, under {SYMMETRY_RM9_TARGET_S} s: not measured (--rm 9)")
        lines.append(f"visited set at 10 million states, <= {VISITED_BYTES_TARGET} B/state: not measured (--rm 9)")
    else:
        sym = [_find(rm9, "modelcheck", f"symmetry, {w}") for w in ("1 worker", "2 workers")]
        walls = [r.median("wall") for r in sym if r]
        text = f"TwoPhase RM=9 with symmetry: 1 worker {_secs(sym[0])}, 2 workers {_secs(sym[1])}"
        text += (f"; target < {SYMMETRY_RM9_TARGET_S} s: {_verdict(min(walls) < SYMMETRY_RM9_TARGET_S)}" if walls
                 else "; not measured (this modelcheck has no symmetry reduction)")
        lines.append(text)
        full = [r for r in (_find(rm9, "modelcheck", f"no symmetry, {w}") for w in ("1 worker", "2 workers")) if r]
        if not full:
            lines.append("visited set at 10 million states: not measured (no modelcheck run without symmetry)")
        else:
            per = [(r.config, r.median("visited_bytes"), r.median("peak_rss"), r.median("distinct")) for r in full]
            parts = [f"{c}: peak RSS {rss / n:,.0f} B/state, visited "
                     + (f"{v / n:,.1f} B/state" if v is not None else "n/a (no visited_bytes in the JSON)")
                     for c, v, rss, n in per]
            known = [v / n for _, v, _, n in per if v is not None]
            text = f"visited set at {per[0][3]:,} states (TwoPhase RM=9, no symmetry): " + "; ".join(parts)
            if known:
                text += f"; target <= {VISITED_BYTES_TARGET} B/state: {_verdict(max(known) <= VISITED_BYTES_TARGET)}"
            lines.append(text)
    group = tables.get("spec/group.gdsl default")
    if group is not None:
        now = [r for r in group if r.engine == "modelcheck" and r.samples]
        before = group_before
        if now and before:
            best = min(now, key=lambda r: r.median("search"))
            speedup = before["search"] / best.median("search")
            lines.append(f"spec/group.gdsl default, the full check (elapsed_s: search and liveness): {best.config} {best.median('search'):.1f} s "
                         f"(wall {best.median('wall'):.1f} s), before issue 8 {before['search']:.1f} s "
                         f"({before['source']}) -> {speedup:.2f}x; target >= {GROUP_SPEEDUP_TARGET}x: "
                         f"{_verdict(speedup >= GROUP_SPEEDUP_TARGET)}")
        else:
            lines.append("spec/group.gdsl default: no speed-up (a side was not measured)")
    return lines + native_targets(tables)


NATIVE_SPIN_RATIO_TARGET = 0.5      # issue 23: TwoPhase RM=8 and RM=9 without symmetry, end to end
NATIVE_VISITED_TARGET = 24          # issue 23: visited set + parents, bytes a state at ~10 million states
NATIVE_GROUP_TARGET_S = 15.0        # issue 23: group.gdsl default, every default property
NATIVE_THREADS_TARGET = 1.8         # issue 23: two threads against one


def native_targets(tables: dict) -> list[str]:
    """Issue 23's targets, read from the native backend's rows."""
    lines = []
    for rm in (8, 9):
        table = tables.get(f"TwoPhase RM={rm}")
        if table is None:
            lines.append(f"native TwoPhase RM={rm}: not measured (--rm {rm})")
            continue
        spin = _find(table, "SPIN", "DFS, -O2")
        mine = [r for r in (_find(table, "modelcheck", f"native, no symmetry, {w}") for w in ("1 worker", "2 workers")) if r]
        if not (spin and mine):
            lines.append(f"native TwoPhase RM={rm}: no ratio (SPIN or the native backend not measured)")
            continue
        best = min(mine, key=lambda r: r.median("wall"))
        ratio = best.median("wall") / spin.median("wall")
        lines.append(f"native TwoPhase RM={rm} without symmetry, end to end (generation and gcc included): "
                     f"{best.config} {_secs(best)}, SPIN {_secs(spin)} -> {ratio:.2f}x SPIN; target <= "
                     f"{NATIVE_SPIN_RATIO_TARGET}: {_verdict(ratio <= NATIVE_SPIN_RATIO_TARGET)}")
        if rm == 9:
            v = [r.median("visited_bytes") / r.median("distinct") for r in mine if r.median("visited_bytes")]
            if v:
                lines.append(f"native visited set and parents at {mine[0].median('distinct'):,.0f} states: "
                             f"{max(v):.1f} B/state; target <= {NATIVE_VISITED_TARGET}: "
                             f"{_verdict(max(v) <= NATIVE_VISITED_TARGET)}")
    group = tables.get("spec/group.gdsl default")
    if group is not None:
        for how in ("", ", compiled library cached"):
            one = _find(group, "modelcheck", f"native, default flags{how}, 1 worker")
            two = _find(group, "modelcheck", f"native, default flags{how}, 2 workers")
            what = "with the compiled library cached" if how else "compiling the C file (empty cache)"
            if two:
                lines.append(f"native group.gdsl default, every default property, {what}: {_secs(two)} wall with 2 "
                             f"threads (search and liveness {two.median('search'):.2f} s, load {_fmt(two.median('load'), '.1f')}); "
                             f"target <= {NATIVE_GROUP_TARGET_S} s: {_verdict(two.median('wall') <= NATIVE_GROUP_TARGET_S)}")
            if one and two:
                speedup = one.median("search") / two.median("search")
                lines.append(f"native group.gdsl default, {what}, 2 threads against 1 (search and liveness): "
                             f"{speedup:.2f}x; target >= {NATIVE_THREADS_TARGET}: {_verdict(speedup >= NATIVE_THREADS_TARGET)}")
    return lines


# --- main ------------------------------------------------------------------------------------

def baseline_tree(rev: str, where: Path) -> Path:
    tree = where / f"modelcheck-{rev}"
    git = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
                         capture_output=True, text=True)
    if git.returncode != 0:
        raise BenchError(f"--baseline-commit {rev}: git worktree add failed: {git.stderr.strip()}")
    return tree


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rm", type=int, nargs="*", default=[7, 8, 9], metavar="RM",
                    help="TwoPhase sizes (default: 7 8 9; --rm alone: none)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each engine; figures are medians (default 3)")
    ap.add_argument("--quick", action="store_true", help="RM=7 only, 1 run")
    ap.add_argument("--group", action="store_true",
                    help="also spec/group.gdsl's default configuration (~11 min a run before issue 8)")
    ap.add_argument("--native-only", action="store_true",
                    help="only the native backend's rows (and SPIN's): issue 23's figures without the Python rows")
    ap.add_argument("--baseline-commit", metavar="REV",
                    help="also measure modelcheck as of REV (a temporary git worktree), e.g. 8d739e2, the "
                         "commit before issue 8; without it --group compares with its recorded figures")
    ap.add_argument("--hand-max", type=int, default=8, metavar="RM",
                    help="run the hand-written BFS up to this RM (default 8: RM=9 takes ~100 s a run)")
    ap.add_argument("--pan-flags", default="", help="extra flags for pan, e.g. '-w26' (default: none)")
    ap.add_argument("--json-out", type=Path, metavar="FILE", help="write the raw figures as JSON to FILE")
    args = ap.parse_args()
    if args.quick:
        args.rm, args.runs = [7], 1
    if args.runs < 1 or any(rm < 1 for rm in args.rm):
        ap.error("--runs and --rm must be at least 1")

    print(f"# bench/performance.py: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    with tempfile.TemporaryDirectory(prefix="perf-") as tmp:
        current = Modelcheck(ROOT, "modelcheck")
        baseline = None
        if args.baseline_commit:
            baseline = Modelcheck(baseline_tree(args.baseline_commit, Path(tmp)), f"modelcheck @{args.baseline_commit}")
        try:
            return report(args, current, baseline)
        finally:
            if baseline:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline.tree)],
                               capture_output=True)


def report(args, current: Modelcheck, baseline: Modelcheck | None) -> int:
    configs = [(s, w) for s in (False, True) for w in (1, 2)]
    spin_na = spin_missing()
    pan_flags = args.pan_flags.split()
    tables, problems = {}, []
    for rm in args.rm:
        title = f"TwoPhase RM={rm}"
        mc_args = ["--const", f"RM={rm}", "--invariant", "TPTypeOK"]
        spin = Row("SPIN", "DFS, -O2", lambda rm=rm: spin_sample(rm, pan_flags), note=spin_na or "")
        unpacked = [(False, 2, False)] if rm <= UNPACKED_MAX_RM else []   # what packing gains
        native = [(False, 1, True, "native"), (False, 2, True, "native"),
                  (True, 1, True, "native")]     # symmetry in C (checker/native/canonical.py)
        rows = modelcheck_rows(current, TWOPHASE, mc_args, native if args.native_only else configs + unpacked + native)
        if baseline:
            rows += modelcheck_rows(baseline, TWOPHASE, mc_args, [(False, 1, True, None)])
        rows.append(spin)
        if rm <= args.hand_max and not args.native_only:
            rows.append(Row("hand-written Python BFS", "dict of tuples", lambda rm=rm: hand_sample(rm)))
        measure(title, rows, args.runs)
        print_table(title, rows, spin, args.runs)
        tables[title] = rows
        if rm in TWOPHASE_STATES:
            problems += check_counts(title, rows, TWOPHASE_STATES[rm])
    group_before = None
    if args.group:
        title = "spec/group.gdsl default"
        cache = Path(tempfile.mkdtemp(prefix="perf-cache-"))          # the cached rows' compiler cache
        rows = [] if args.native_only else modelcheck_rows(current, GROUP, [], [(None, None)])   # default: every core
        rows += modelcheck_rows(current, GROUP, [], [(None, 1, True, "native"), (None, 2, True, "native"),
                                                     (None, 1, True, "native", cache),
                                                     (None, 2, True, "native", cache)])
        if baseline:
            rows += modelcheck_rows(baseline, GROUP, [], [(None, None, True, None)])
        measure(title, rows, args.runs)
        shutil.rmtree(cache, ignore_errors=True)
        if baseline and rows[-1].samples:
            group_before = {"search": rows[-1].median("search"), "source": f"measured, {baseline.name}"}
        else:
            b = GROUP_BEFORE
            group_before = {"search": b["search"], "source": f"recorded on commit {b['commit']}"}
            recorded = Row(f"modelcheck @{b['commit']}", "recorded (README)", None)
            recorded.samples = [Sample(b["wall"], b["search"], b["distinct"], b["peak_rss"])]
            rows.append(recorded)
        print_table(title, rows, None, args.runs)
        tables[title] = rows
    lines = targets(tables, group_before)
    print("\n### Issue 8's and issue 23's targets (medians)\n")
    for line in lines:
        print(f"- {line}")
    for p in problems:
        print(f"COUNT MISMATCH: {p}")
    if args.json_out:
        args.json_out.write_text(json.dumps({
            "machine": {"node": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version(),
                        "date": time.strftime("%Y-%m-%dT%H:%M:%S")},
            "runs": args.runs,
            "tables": {t: [{"engine": r.engine, "config": r.config, "note": r.note,
                            "samples": [asdict(s) for s in r.samples]} for r in rows]
                       for t, rows in tables.items()},
            "targets": lines, "count_mismatches": problems}, indent=1) + "\n")
        print(f"\nRaw figures written to {args.json_out}")
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        sys.exit(f"bench/performance.py: {e}")
    except KeyboardInterrupt:
        sys.exit(130)
