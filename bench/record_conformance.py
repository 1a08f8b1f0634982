"""Re-record the conformance scenarios and check each recording against the spec.

    python bench/record_conformance.py                    # all of conformance/scenarios/
    python bench/record_conformance.py range-grow ...     # some of them

Each scenario runs real librdkafka consumers on the mock cluster (needs
confluent-kafka, a test dependency) and writes conformance/recordings/NAME.jsonl,
which `modelcheck --conform` checks without Kafka. Prints one line per scenario:
recording time, observations, verdict, search time. Figures are printed, never
asserted.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checker.conformance import driver, scenario          # noqa: E402
from checker.cli.conform import check                  # noqa: E402


def main(names) -> int:
    paths = sorted((ROOT / "conformance" / "scenarios").glob("*.toml"))
    if names:
        paths = [p for p in paths if p.stem in names]
        missing = set(names) - {p.stem for p in paths}
        if missing:
            print(f"no such scenario: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    out = ROOT / "conformance" / "recordings"
    out.mkdir(parents=True, exist_ok=True)
    worst = 0
    for path in paths:
        sc = scenario.load(path)
        t = time.monotonic()
        target = out / f"{sc.name}.jsonl"
        driver.record(sc, target)
        recorded = time.monotonic() - t
        _, _, _, v = check(target)
        verdict = "conforms" if v.conforms else f"DOES NOT CONFORM at line {v.failed.event['line']}"
        worst = max(worst, 0 if v.conforms else 14)
        print(f"{sc.name:28} recorded in {recorded:5.1f} s  {v.explained:3}/{v.observations:3} observations  "
              f"{verdict}  ({v.states:,} states, {v.elapsed:.2f} s)", flush=True)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
