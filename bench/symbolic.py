"""Figures of the z3 engines (docs/symbolic.md): run `python bench/symbolic.py [what]`.

  bugs      - BMC on each bug model: the depth it finds the violation at and the time,
              against the explicit engine's trace length (median of `--repeat` runs);
              `--no-errors`: the properties only, not evaluation errors; `--lemmas`: as
              `--bmc-lemmas` (the time includes proving the lemmas); `--progress`: the
              time at which each depth is checked
  depth     - the BMC depth reached on spec/group.gdsl (default configuration) in 60 s
  prove     - time to prove each invariant the examples prove
  assignors - --prove-assignors on the group spec's range and round-robin assignors for
              1..8 members x 1..16 partitions
Figures are printed, never asserted (tests/symbolic/test_symbolic.py asserts the verdicts).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.engine.search import bfs  # noqa: E402
from checker.compile.model import compile_model, load_spec  # noqa: E402
from checker.compile.modelfile import compile_model_file, load_model_file  # noqa: E402
from checker.symbolic.bmc import bmc  # noqa: E402
from checker.symbolic.induction import prove  # noqa: E402
from checker.cli.symbolic import system_for  # noqa: E402
from checker.symbolic.strengthen import inductive_facts  # noqa: E402


def _per_depth(d, elapsed):
    print(f"  depth {d} checked at {elapsed:.1f}s", file=sys.stderr, flush=True)


def bugs(repeat, timeout, only, errors, lemmas=False, progress=False):
    what = "BMC (s, median)" if errors else "BMC, properties only (s, median)"
    print(f"| bug model | property | explicit trace | BMC trace | encode (s) | {what} |")
    print("|---|---|---|---|---|---|")
    for path in sorted((ROOT / "models" / "bugs").glob("*.toml")):
        if only and not any(o in path.name for o in only):
            continue
        mf = load_model_file(str(path))
        model, opts = compile_model_file(mf, {}, [], [])
        if model.temporal and not model.invariants and not model.action_properties:
            print(f"| {path.stem} | {', '.join(p.name for p in model.temporal)} | liveness | not supported | | |")
            continue
        explicit = bfs(model, check_deadlock=False)
        n = len(explicit.trace) if explicit.trace else None
        times, found, enc = [], None, None
        for _ in range(repeat):
            t = time.perf_counter()
            sys_ = system_for(model, candidates=lemmas)
            enc = time.perf_counter() - t
            facts = inductive_facts(sys_, model) if lemmas else None
            spent = facts.elapsed if facts else 0.0
            r = bmc(sys_, model, (n or 10), timeout=timeout - spent, errors=errors,
                    facts=facts.facts if facts else (), progress=_per_depth if progress else None)
            times.append(spent + r.elapsed)
            found = len(r.trace) if r.trace else \
                f"none: depth {r.depth} checked ({r.stopped_by or r.message})"
        print(f"| {path.stem} | {explicit.property} | {n} | {found} | {enc:.1f} | {statistics.median(times):.1f} |",
              flush=True)


def depth(seconds):
    checked = load_spec(str(ROOT / "spec" / "group.gdsl"))
    model = compile_model(checked)
    t = time.perf_counter()
    sys_ = system_for(model)
    enc = time.perf_counter() - t
    reached = [0]
    r = bmc(sys_, model, 200, timeout=seconds, progress=lambda d, e: reached.__setitem__(0, d))
    print(f"spec/group.gdsl default: encoded in {enc:.1f}s; BMC depth reached in {seconds}s: "
          f"{reached[0]} states ({r.verdict}, {r.stopped_by or r.message or r.property})")


def proofs():
    for spec in ("spec/examples/tcommit.gdsl", "spec/examples/twophase.gdsl"):
        model = compile_model(load_spec(str(ROOT / spec)))
        p = prove(system_for(model, with_lemmas=True), model)
        print(f"{spec}: {p.verdict}; proved {p.proved}; not inductive {[c.prop for c in p.ctis]}; "
              f"step times {', '.join(f'{n} {t:.3f}s' for n, t in p.times.items())}; total {p.elapsed:.2f}s")


def assignors(repeat):
    from checker.symbolic.assignors import prove_assignor
    consts = {"CONSUMERS": "8", "MAX_INCARNATION": "0", "MAX_PARTITIONS": "16"}
    model = compile_model(load_spec(str(ROOT / "spec" / "group.gdsl"), consts))
    print("spec/group.gdsl " + " ".join(f"--const {k}={v}" for k, v in consts.items()))
    for name in ("rangeAssign", "roundRobinAssign"):
        runs = [prove_assignor(model, name) for _ in range(repeat)]
        o = runs[0]
        verdict = "proved" if not o.counterexample and not o.unknown else "NOT proved"
        print(f"{name}: {verdict} for 1..{o.members} members x 1..{o.partitions} partitions, "
              f"{o.queries} queries; total {statistics.median(r.elapsed for r in runs):.1f}s (median of "
              f"{repeat}), encode {statistics.median(r.encode for r in runs):.2f}s, slowest query "
              f"{max(o.times):.2f}s", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="*", default=["bugs", "depth", "prove", "assignors"])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--no-errors", action="store_true",
                    help="bugs: look for property violations only, not evaluation errors")
    ap.add_argument("--lemmas", action="store_true",
                    help="bugs: assume the lemmas proved inductive for each model (--bmc-lemmas)")
    ap.add_argument("--progress", action="store_true",
                    help="bugs: print when each depth is checked (stderr)")
    a = ap.parse_args()
    if "prove" in a.what:
        proofs()
    if "assignors" in a.what:
        assignors(a.repeat)
    if "bugs" in a.what:
        bugs(a.repeat, a.timeout, a.only, not a.no_errors, a.lemmas, a.progress)
    if "depth" in a.what:
        depth(60)
