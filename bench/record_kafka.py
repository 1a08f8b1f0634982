"""Record the conformance scenarios on Apache Kafka brokers with real clients, and check them.

    python bench/record_kafka.py                          # everything: 2 clients x 1 and 3 nodes x 5 runs
    python bench/record_kafka.py --runs 1 --clients java --nodes 1 range-grow static-restart
    python bench/record_kafka.py --check-only [--spec SPEC]   # check the committed recordings again

For each client (the Java KafkaConsumer through harness/broker's driver; librdkafka
through confluent-kafka) and each cluster size (1 node; 3 nodes with __consumer_offsets
replicated 3 ways), one KRaft cluster is started (its start time is printed) and every
scenario of conformance/scenarios/ and conformance/scenarios/kafka/ that the client and
the size can run is recorded `--runs` times, each run in its own group and topic:
conformance/recordings/kafka/CLIENT-Nnode/SCENARIO-K.jsonl; the first run's logs (the
group's request-log lines, the coordinator's log, the client logs) beside it in
SCENARIO-1.logs/. Each recording is checked with `modelcheck --conform` as its client on
Kafka; the table (scenario x client x cluster -> how many of the runs conform, and the
first discrepancy) is printed and written to conformance/recordings/kafka/RESULTS.md.
Figures are printed, never asserted. Needs a JDK 17 and Maven (harness/), and
confluent-kafka. Every broker is stopped at the end, whatever happens.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path
import shutil
import sys
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checker.cli.conform import check                      # noqa: E402
from checker.cluster import run                             # noqa: E402
from checker.cluster.broker import Cluster, ClusterFailed   # noqa: E402
from checker.conformance import scenario                    # noqa: E402
from checker.conformance.driver import ScenarioFailed       # noqa: E402

OUT = ROOT / "conformance" / "recordings" / "kafka"


def scenarios(names):
    paths = sorted((ROOT / "conformance" / "scenarios").glob("*.toml")) \
        + sorted((ROOT / "conformance" / "scenarios" / "kafka").glob("*.toml"))
    if names:
        paths = [p for p in paths if p.stem in names]
        missing = set(names) - {p.stem for p in paths}
        if missing:
            raise SystemExit(f"no such scenario: {', '.join(sorted(missing))}")
    return [scenario.load(p) for p in paths]


def runs_on(sc, client, nodes) -> bool:
    needed = max([sc.brokers] + [v for a, v in sc.steps if a in ("broker_down", "broker_up")])
    return client in sc.clients and nodes >= needed


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="scenarios (default: all)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--clients", default="java,librdkafka")
    p.add_argument("--nodes", default="1,3")
    p.add_argument("--check-only", action="store_true",
                   help="record nothing: check the committed recordings again (after a spec change)")
    p.add_argument("--spec", default=None, help="with --check-only: the spec to check against")
    p.add_argument("--keep-logs", action="store_true",
                   help="keep every run's logs beside its recording (default: the first run's only)")
    args = p.parse_args(argv)
    if args.check_only:
        return check_only(args)
    all_sc = scenarios(args.names)
    table = defaultdict(dict)          # scenario -> (client, nodes) -> (conforming, runs, reasons)
    for client in args.clients.split(","):
        for nodes in (int(n) for n in args.nodes.split(",")):
            todo = [sc for sc in all_sc if runs_on(sc, client, nodes)]
            if not todo:
                continue
            folder = OUT / f"{client}-{nodes}node"
            folder.mkdir(parents=True, exist_ok=True)
            t0 = time.monotonic()
            with Cluster(nodes) as cluster:
                print(f"== {client} on {nodes} node(s): cluster started in {time.monotonic() - t0:.1f} s", flush=True)
                for sc in todo:
                    good, reasons = 0, Counter()
                    for k in range(1, args.runs + 1):
                        target = folder / f"{sc.name}-{k}.jsonl"
                        t = time.monotonic()
                        try:
                            run.record(sc, cluster, client, target, f"{sc.name}-{k}")
                        except (ScenarioFailed, ClusterFailed) as e:
                            reasons[f"the run failed: {str(e).splitlines()[0]}"] += 1
                            print(f"{sc.name:28} run {k}: FAILED ({str(e).splitlines()[0]})", flush=True)
                            continue
                        recorded = time.monotonic() - t
                        if k > 1 and not args.keep_logs:        # the first run's logs are kept
                            shutil.rmtree(target.with_suffix(".logs"), ignore_errors=True)
                        _, _, _, v = check(target)
                        if v.conforms:
                            good += 1
                            verdict = "conforms"
                        else:
                            verdict = f"does not conform at line {v.failed.event['line']}: {v.failed.text}"
                            reasons[f"{v.failed.event['kind']} {v.failed.event.get('error', '')}".strip()] += 1
                        print(f"{sc.name:28} run {k}: recorded in {recorded:5.1f} s, {v.explained:3}/{v.observations:3} "
                              f"observations, {verdict} ({v.elapsed:.2f} s)", flush=True)
                    table[sc.name][(client, nodes)] = (good, args.runs, reasons)
                    if args.runs >= 5:
                        save(folder, sc.name, good, args.runs, reasons)
    print(render(table, [(c, int(n)) for c in args.clients.split(",") for n in args.nodes.split(",")]))
    write_results()
    return 0


def check_only(args) -> int:
    """The committed recordings checked again; results.json and RESULTS.md rewritten
    (only with the default spec: another spec's verdicts are printed, not kept)."""
    table = defaultdict(dict)
    for folder in sorted(OUT.glob("*-*node")):
        client, nodes = folder.name.rsplit("-", 1)
        runs = defaultdict(list)
        for path in sorted(folder.glob("*-[0-9].jsonl")):
            runs[path.stem.rsplit("-", 1)[0]].append(path)
        for name, paths in sorted(runs.items()):
            good, reasons = 0, Counter()
            for path in paths:
                _, _, _, v = check(path, *([args.spec] if args.spec else []))
                good += v.conforms
                if not v.conforms:
                    reasons[f"{v.failed.event['kind']} {v.failed.event.get('error', '')}".strip()] += 1
            table[name][(client, int(nodes.removesuffix("node")))] = (good, len(paths), reasons)
            if not args.spec:
                save(folder, name, good, len(paths), reasons)
    print(render(table, sorted({col for row in table.values() for col in row})))
    if not args.spec:
        write_results()
    return 0


def save(folder, name, good, runs, reasons):
    """The verdicts of a full run (5 or more runs) of one scenario, kept in folder/results.json."""
    path = folder / "results.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = {"conform": good, "runs": runs, "reasons": dict(reasons)}
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def write_results():
    """RESULTS.md from every CLIENT-Nnode/results.json there is."""
    table, cols = defaultdict(dict), []
    for path in sorted(OUT.glob("*-*node/results.json")):
        client, nodes = path.parent.name.rsplit("-", 1)
        col = (client, int(nodes.removesuffix("node")))
        cols.append(col)
        for name, r in json.loads(path.read_text()).items():
            table[name][col] = (r["conform"], r["runs"], Counter(r["reasons"]))
    if not cols:
        return
    (OUT / "RESULTS.md").write_text(
        "# Conformance on Apache Kafka 4.3.1 (written by bench/record_kafka.py)\n\n"
        "Runs that conform to spec/group.gdsl, checked as the recording's client on Kafka "
        "(`modelcheck --conform`), and the first discrepancy of those that do not "
        "(event kind and error, how many runs). n/a: the scenario cannot run there "
        "(kill -9, static members and the slow assignor need the Java client; failover and "
        "broker-down need 3 nodes).\n\n" + render(table, sorted(cols)))


def render(table, cols) -> str:
    head = "| scenario | " + " | ".join(f"{c}, {n} node{'s' if n > 1 else ''}" for c, n in cols) + " |"
    lines = [head, "|" + "---|" * (len(cols) + 1)]
    for name in sorted(table):
        cells = []
        for col in cols:
            if col not in table[name]:
                cells.append("n/a")
                continue
            good, runs, reasons = table[name][col]
            why = "; ".join(f"{r} ({n})" for r, n in reasons.most_common(2))
            cells.append(f"**{good}/{runs}**" + (f": {why}" if why else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
