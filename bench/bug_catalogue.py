"""Figures for the catalogue of Kafka bugs (models/bugs/README.md): for each bug model,
the property it breaks, the length of the shortest trace, the states explored to find
it and the time to find it (median of RUNS searches in this process).

    python bench/bug_catalogue.py             # 3 runs each, a markdown table
    python bench/bug_catalogue.py --runs 5 models/bugs/KAFKA-2555.toml
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.engine.liveness import search  # noqa: E402
from checker.compile.modelfile import compile_model_file, load_model_file  # noqa: E402


def measure(path: Path, runs: int) -> dict:
    mf = load_model_file(path)
    model, options = compile_model_file(mf)
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result, _ = search(model, **options)       # as modelcheck does: liveness included
        times.append(time.perf_counter() - start)
    return {"name": mf.name, "file": path.name, "property": result.property, "verdict": result.verdict,
            "trace": len(result.trace or []), "states": result.distinct, "seconds": statistics.median(times),
            "expected": mf.expect.matches(result.verdict, result.property)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    paths = args.models or sorted((ROOT / "models" / "bugs").glob("*.toml"))
    print("| bug | property broken | trace (states) | states explored | time to find (median) |")
    print("|---|---|---|---|---|")
    for path in paths:
        m = measure(path, args.runs)
        flag = "" if m["expected"] else " **(not as expected)**"
        print(f"| [{m['name']}]({m['file']}) | {m['property']}{flag} | {m['trace']} | "
              f"{m['states']:,} | {m['seconds']:.2f} s |", flush=True)


if __name__ == "__main__":
    main()
