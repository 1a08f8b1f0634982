"""What an editor waits for on spec/group.gdsl (1,770 lines): `modelcheck fmt`, and the
language server's work on each change (parse, type check, index), against the parse
alone, measured in this one process.

    python bench/editor.py [--runs 7] [SPEC]

Prints the median of RUNS for each step and its ratio to the parse. The target (docs/
editor.md): a keystroke's diagnostics within half a second on this 2-core machine,
formatting within twice the parse.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checker.cli.lsp import analyse  # noqa: E402
from checker.lang.format import format_source  # noqa: E402
from checker.lang.parser import parse  # noqa: E402


def median_seconds(step, runs) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("spec", nargs="?", default=str(ROOT / "spec" / "group.gdsl"))
    p.add_argument("--runs", type=int, default=7)
    args = p.parse_args()
    source = Path(args.spec).read_text(encoding="utf-8")
    analyse(source, args.spec)                   # warm: Lark's tables, imports
    base = median_seconds(lambda: parse(source, args.spec), args.runs)
    print(f"{args.spec}: {len(source.splitlines())} lines, medians of {args.runs}")
    print(f"  parse (the baseline)          {base:6.3f} s")
    for label, step in (("fmt (format_source)", lambda: format_source(source, args.spec)),
                        ("lsp: a change (analyse)", lambda: analyse(source, args.spec))):
        t = median_seconds(step, args.runs)
        print(f"  {label:<29} {t:6.3f} s   {t / base:4.1f}x the parse")
    return 0


if __name__ == "__main__":
    sys.exit(main())
