"""What covers cost a search: spec/group.gdsl's configurations checked with their covers
and with every cover skipped (`--skip NAME`), same backend, medians of --runs runs of
wall time (the search's own figure) and of the process's CPU time (user + system, from
wait4: on a shared machine the steadier figure), and the CPU ratio. Covers are evaluated on each step only while one is open, so the cost
is the levels before the last cover is reached (or the whole search, for a cover never
reached: none here).

    python bench/covers.py                      # two-consumers.toml, native and python, 3 runs
    python bench/covers.py --group --runs 1     # adds the default configuration (native, ~1-2 min a run)
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[1]


def covers_of(target) -> list:
    out = subprocess.run([sys.executable, "-m", "checker.cli", str(target), "--describe", "--json"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    return [p["name"] for p in json.loads(out)["properties"]
            if p["kind"] in ("cover", "cover_action") and p["checked"]]


def one_run(target, backend, skip) -> tuple:
    args = [sys.executable, "-m", "checker.cli", str(target), "--json", "--quiet", "--backend", backend]
    for name in skip:
        args += ["--skip", name]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    out = proc.stdout.read()
    _pid, _status, usage = os.wait4(proc.pid, 0)
    data = json.loads(out)
    cpu = usage.ru_utime + usage.ru_stime          # the child's own CPU: less at the mercy of load
    return cpu, data["elapsed_s"], data["distinct_states"], data["exit_code"], len(data.get("covers") or {})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--group", action="store_true", help="also spec/group.gdsl's default configuration")
    args = ap.parse_args()
    rows = [("models/two-consumers.toml", "native"), ("models/two-consumers.toml", "python")]
    if args.group:
        rows.append(("spec/group.gdsl", "native"))
    print(f"{'model':28} {'backend':8} {'covers':>6} {'states':>11} {'wall s with/without':>20} "
          f"{'CPU s with/without':>19} {'CPU ratio':>9}  exit")
    for target, backend in rows:
        names = covers_of(target)
        with_, without = [], []
        for _ in range(args.runs):
            with_.append(one_run(target, backend, []))
            without.append(one_run(target, backend, names))
        a, b = (statistics.median(r[1] for r in rs) for rs in (with_, without))
        ca, cb = (statistics.median(r[0] for r in rs) for rs in (with_, without))
        print(f"{target:28} {backend:8} {with_[0][4]:>6} {with_[0][2]:>11,} {f'{a:.2f}/{b:.2f}':>20} "
              f"{f'{ca:.1f}/{cb:.1f}':>19} {ca / cb if cb else float('nan'):>9.2f}  {with_[0][3]}/{without[0][3]}")


if __name__ == "__main__":
    main()
