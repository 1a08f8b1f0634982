"""Runs to the first bug: uniform random walks against swarm runs on every bug model.

For each model of models/bugs (its spec, constants, variation and properties, as
`modelcheck MODEL` checks it), `--simulate` with walks of up to 100 steps is run until
it finds the model's bug or `--runs` runs have passed (10,000 by default, the target of
issue 24): uniformly (as TLC's -simulate and Quint's run), and as swarm runs (`--swarm`,
checker/engine/swarm.py), each over `--seeds` seeds. Printed per model: the runs to the
first find (median over the seeds, and the worst), the time to it (median), and whether
the property found is the one the model records. The uniform baseline is measured in
the same script, on the same machine, with the same seeds.

    python bench/simulate_swarm.py                   # 5 seeds swarm, 1 seed uniform (about 6 min)
    python bench/simulate_swarm.py --seeds 3 --uniform-seeds 0 --models KAFKA-2555 KAFKA-12983
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.compile.modelfile import compile_model_file, load_model_file  # noqa: E402
from checker.engine.simulate import simulate  # noqa: E402
from checker.traces.diagram import load_table  # noqa: E402


def first_find(model, mf, seed, runs, swarm):
    """(runs to the first violation or None, seconds, the property found)."""
    table = load_table(model)
    budgets = tuple(model.var_names.index(v) for v in table.faults) if table and swarm else ()
    t0 = time.perf_counter()
    sim = simulate(model, runs=runs, steps=100, seed=seed, check_deadlock=mf.deadlock,
                   swarm=swarm, budgets=budgets)
    elapsed = time.perf_counter() - t0
    return sim.failing_run, elapsed, sim.result.property


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10_000, help="the most runs a simulation takes")
    ap.add_argument("--seeds", type=int, default=5, help="seeds of swarm runs (0, 1, ...)")
    ap.add_argument("--uniform-seeds", type=int, default=1, help="seeds of uniform runs (0 to skip)")
    ap.add_argument("--models", nargs="*", help="model names (default: every file in models/bugs)")
    args = ap.parse_args()
    files = sorted((ROOT / "models" / "bugs").glob("*.toml"))
    if args.models:
        files = [f for f in files if f.stem in args.models]
    print(f"Runs of up to 100 steps to the first find, at most {args.runs:,} runs "
          f"(swarm: median and worst of {args.seeds} seeds; uniform: median of {args.uniform_seeds}).")
    print(f"{'model':<13} {'property':<24} {'swarm runs':>10} {'worst':>7} {'swarm time':>10}   "
          f"{'uniform runs':>12} {'uniform time':>12}")
    found_all = True
    for f in files:
        mf = load_model_file(f)
        model, _ = compile_model_file(mf, {}, [], [], None)
        swarm = [first_find(model, mf, seed, args.runs, True) for seed in range(args.seeds)]
        uniform = [first_find(model, mf, seed, args.runs, False) for seed in range(args.uniform_seeds)]
        expected = mf.expect.property

        def runs_text(results):
            runs = [r if r is not None and p == expected else args.runs + 1 for r, _, p in results]
            med = statistics.median(runs) if runs else None
            return ("-" if med is None else f"> {args.runs:,}" if med > args.runs else f"{med:,.0f}"), runs

        s_text, s_runs = runs_text(swarm)
        u_text, _ = runs_text(uniform)
        worst = max(s_runs) if s_runs else 0
        found_all &= worst <= args.runs
        s_time = statistics.median(t for _, t, _ in swarm) if swarm else 0
        u_time = statistics.median(t for _, t, _ in uniform) if uniform else 0
        print(f"{f.stem:<13} {expected:<24} {s_text:>10} {(f'> {args.runs:,}' if worst > args.runs else f'{worst:,}'):>7} "
              f"{s_time:>9.2f}s   {u_text:>12} {(f'{u_time:.2f}s' if uniform else '-'):>12}", flush=True)
    print("Every bug model found by swarm runs within the bound on every seed: "
          + ("yes" if found_all else "NO"))


if __name__ == "__main__":
    main()
