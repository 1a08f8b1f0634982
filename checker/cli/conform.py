"""`modelcheck --conform RECORDING [SPEC]`: does a recorded run conform to the spec?

Exit codes: 0 conforms; 14 does not conform (the first event the spec cannot
explain is printed, with the spec states it could be in just before); 3 a bound
(--max-internal, --max-states) stopped the search before a verdict; 2 bad input.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys

from checker.conformance.mapping import known_difference
from checker.conformance.variation import CLIENTS, CLUSTERS
from checker.engine.outcome import EXIT_BAD_INPUT, EXIT_DIVERGES, EXIT_INCOMPLETE, EXIT_OK
from checker.lang.errors import BadConstant, SpecError, UsageError

EXIT_CONFORMS, EXIT_DOES_NOT_CONFORM = EXIT_OK, EXIT_DIVERGES
DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "spec" / "group.gdsl"
# The spec variables a discrepancy report shows (the rest are in the witness).
SHOWN = ("groupState", "generation", "leader", "members", "pending", "client", "memberId", "clientGen",
         "isLeader", "rejoinNeeded", "waiting", "owned", "committed", "partitions", "toCoordinator", "toClient")


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"modelcheck --conform: error: {message}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def _positive(option):
    def parse(text):
        try:
            n = int(text)
        except ValueError:
            n = 0
        if n < 1:
            raise argparse.ArgumentTypeError(f"{option} takes a whole number of 1 or more, not {text!r}")
        return n
    return parse


def build_parser():
    from checker.conformance.matcher import MAX_INTERNAL_STEPS, MAX_NODES
    p = _Parser(prog="modelcheck --conform",
                description="Check a recording of real Kafka consumers against the group spec.")
    p.add_argument("--conform", required=True, metavar="RECORDING",
                   help="a recording (JSON lines) written by bench/record_conformance.py")
    p.add_argument("spec", nargs="?", default=str(DEFAULT_SPEC), metavar="SPEC",
                   help="the spec (default: spec/group.gdsl); its constants come from the recording")
    p.add_argument("--max-internal", type=_positive("--max-internal"), default=MAX_INTERNAL_STEPS, metavar="N",
                   help=f"unobserved spec steps allowed between two observed ones (default {MAX_INTERNAL_STEPS})")
    p.add_argument("--max-states", type=_positive("--max-states"), default=MAX_NODES, metavar="N",
                   help=f"spec states one search between two observations may hold (default {MAX_NODES:,})")
    p.add_argument("--client", choices=sorted(CLIENTS), metavar="NAME",
                   help=f"check as this client ({', '.join(CLIENTS)}; default: the recording's)")
    p.add_argument("--cluster", choices=sorted(CLUSTERS), metavar="NAME",
                   help=f"check against this cluster ({', '.join(CLUSTERS)}; default: the recording's)")
    p.add_argument("--trace", action="store_true", help="print the behaviour of the spec that matches")
    p.add_argument("--json", action="store_true", help="print one JSON object with the result")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except SpecError as e:
        print(e.format(), file=sys.stderr)
    except UsageError as e:
        print(f"modelcheck --conform: error: {e}", file=sys.stderr)
    return EXIT_BAD_INPUT


def check(recording, spec=DEFAULT_SPEC, client=None, cluster=None, **bounds):
    """(metadata, Variation, model, Verdict) for a recording file: the spec runs with the
    constants of the recording's client and cluster (variation.py), then its own."""
    from checker.compile.model import compile_model, load_spec
    from checker.conformance.matcher import match
    from checker.conformance.recorder import read
    from checker.conformance.variation import variation
    meta, events = read(recording)
    consts = meta["constants"]
    if not isinstance(consts, dict):
        raise UsageError(f"{recording}: the metadata's constants are an object {{NAME: value}}")
    var = variation(meta, f"{recording}:1", client, cluster)
    consts = {**var.constants, **consts}
    try:
        checked = load_spec(spec, {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in consts.items()})
    except BadConstant as e:
        # The recording's metadata sets the spec's constants: one the spec lacks or refuses
        # means a recording of another spec (or a tampered one), reported at the metadata.
        raise UsageError(f"{recording}:1: error: the recording sets {e.name}"
                         + (f" = {e.text}" if e.text is not None else "")
                         + f", but {spec} refuses it: {e.detail}. Is it a recording of another spec? "
                         "(recordings are of spec/group.gdsl)") from None
    model = compile_model(checked)
    return meta, var, model, match(model, meta, events, **bounds)


def run(args) -> int:
    meta, var, model, v = check(args.conform, args.spec, args.client, args.cluster,
                                max_internal=args.max_internal, max_nodes=args.max_states)
    code = EXIT_CONFORMS if v.conforms else EXIT_INCOMPLETE if v.incomplete else EXIT_DOES_NOT_CONFORM
    verdict = {EXIT_CONFORMS: "conforms", EXIT_INCOMPLETE: "incomplete",
               EXIT_DOES_NOT_CONFORM: "does not conform"}[code]
    if args.json:
        print(json.dumps({
            "verdict": verdict, "exit_code": code, "recording": args.conform, "scenario": meta["scenario"],
            "spec": model.path, "constants": meta["constants"], "client": var.client,
            "cluster": var.cluster, "variation": {n: str(x).lower() for n, x in var.constants.items()},
            "observations": v.observations,
            "explained": v.explained, "clients": v.label, "states": v.states, "elapsed_s": round(v.elapsed, 3),
            "failed_line": v.failed.event["line"] if v.failed else None,
            "failed_event": v.failed.text if v.failed else None, "bound": v.incomplete,
            "known_mock_difference": known_difference(v.failed.event) if v.failed else None}))
        return code
    print(f"modelcheck --conform {args.conform}: scenario {meta['scenario']} "
          f"({meta.get('description', '')}) against {model.name} ({model.path})")
    print("Constants: " + ", ".join(f"{n} = {model.constant_text(n)}" for n in meta["constants"]))
    print(f"Variation: the spec as {var.describe()}.")
    print("Clients: " + ", ".join(f"{c} = {s}" for c, s in v.label.items()))
    if v.conforms:
        print(f"Conforms: all {v.observations} observations are explained by one behaviour of the spec "
              f"({len(v.witness) - 1} steps).")
    else:
        e = v.failed.event
        print(f"Does not conform: {args.conform}:{e['line']} (t = {e['t']} s): {v.failed.text}")
        print(f"The spec cannot take {v.pattern.text} ({v.pattern.action or 'a state check'}"
              f"{'(c=' + v.pattern.consumer + ')' if v.pattern.consumer else ''}) from any of the "
              f"{len(v.before)} state(s) explaining the events before it, even after up to "
              f"{args.max_internal} unobserved steps.")
        why = known_difference(e)
        if why:
            print(f"A known difference of librdkafka's mock coordinator from Apache Kafka: {why} "
                  f"(docs/conformance.md).")
        if v.incomplete:
            print(f"The search was cut short ({v.incomplete}): exit {EXIT_INCOMPLETE}, no verdict.")
        print("The spec state at that point (the first of them):")
        for name in SHOWN:
            if name in v.before[0]:
                print(f"  {name} = {_show(v.before[0][name])}")
    if args.trace or not v.conforms:
        print("The behaviour of the spec " + ("that matches:" if v.conforms else "up to that point:"))
        for k, (step, _) in enumerate(v.witness, 1):
            print(f"  {k:3}. {step}")
    print(f"{v.explained} of {v.observations} observations explained; {v.states:,} spec states visited "
          f"in {v.elapsed:.2f} s.")
    return code


def _show(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_show(k)}: {_show(x)}" for k, x in value.items()) + "}"
    if isinstance(value, frozenset):
        return "{" + ", ".join(_show(x) for x in sorted(value, key=repr)) + "}"
    if isinstance(value, tuple) and value and all(isinstance(x, tuple) and len(x) == 2 for x in value):
        return "(" + ", ".join(f"{k}: {_show(x)}" for k, x in value) + ")"
    return "none" if value is None else str(value)
