"""`modelcheck`: the command line. Parses options, runs an engine, reports, exits.

Exit codes (TLC's, plus ours): 0 every property holds on a complete search;
11 deadlock; 12 invariant or action property violated; 13 temporal property
violated; 75 the spec failed while
being evaluated (TLC's code); 3 a bound stopped the search with nothing found;
2 bad input; 130 interrupted; 1 internal error only. With --expected, 0 when
every model gives the verdict its file records and 10 when one does not.
`--conform RECORDING [SPEC]` checks a recording of real consumers instead
(checker/cli/conform.py): 0 conforms, 14 does not conform.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import sys
import traceback

from checker import __version__
from checker.engine.outcome import (EXIT_BAD_INPUT, EXIT_DEADLOCK, EXIT_EVAL_ERROR, EXIT_INCOMPLETE,
                                    EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_TEMPORAL, EXIT_UNEXPECTED,
                                    EXIT_VIOLATION)
from checker.engine.stategraph import DEFAULT_GRAPH_LIMIT
from checker.traces.fold import fold
from checker.traces.graph import DEFAULT_GRAPH_MB
from checker.lang.errors import SpecError, UsageError, place
from checker.traces.report import describe_verdict


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # bad options exit 2 with the option named, as argparse does
        self.print_usage(sys.stderr)
        print(f"modelcheck: error: {message}", file=sys.stderr)
        if "--json" in sys.argv[1:]:
            print(json.dumps({"verdict": "error", "property": None,
                              "message": f"modelcheck: error: {message}", "exit_code": EXIT_BAD_INPUT}))
        sys.exit(EXIT_BAD_INPUT)


def _positive(option, kind=int, what="a whole number of 1 or more", zero=False):
    """An option value that must be a positive number (or 0, with `zero`); a bad one
    names the option."""
    def parse(text):
        try:
            x = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} takes {what}, not {text!r}") from None
        if not (x > 0 or zero and x == 0):
            raise argparse.ArgumentTypeError(f"{option} takes {what}, not {text}")
        return x
    return parse


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _const(text):
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--const takes NAME=VALUE (e.g. --const RM=5), not {text!r}")
    name, value = text.split("=", 1)
    if not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"--const takes NAME=VALUE (e.g. --const RM=5), not {text!r}")
    return name.strip(), value.strip()


def _seed(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed takes a whole number, not {text!r}") from None


# The subcommands, as Quint and Apalache users know them: each is the same checker with
# one mode chosen (the option it stands for) and only its options in its --help.
# `modelcheck SPEC ...` (no subcommand) means `modelcheck check SPEC ...`.
SUBCOMMANDS = {
    "check": (None, "explore every state (breadth-first): a proof for this configuration, or a "
                    "shortest counterexample"),
    "simulate": ("simulate", "random walks (--swarm: swarm runs, which find the bugs): quick bug hunting, "
                             "not a proof"),
    "prove": ("prove", "prove the invariants inductive with z3 (--bmc K: bounded model checking)"),
    "replay": ("replay", "re-execute a recorded trace (TRACE.itf.json [SPEC]) or run a scenario"),
    "conform": ("conform", "check a recording of real Kafka consumers against the spec"),
    "describe": ("describe", "print the spec's constants, variables, actions and properties"),
}

# Which option groups each subcommand takes (all of them without a subcommand).
_GROUPS = {
    "check": ("spec", "search", "views", "ci", "kafka"),
    "simulate": ("spec", "simulate", "views", "ci"),
    "prove": ("spec", "symbolic", "ci"),
    "replay": ("spec", "replay", "views"),
    "describe": ("spec",),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every option (grouped by what it serves) with no
    `command`, or the options of one subcommand."""
    wanted = _GROUPS.get(command, ("spec", "search", "simulate", "symbolic", "replay", "views", "ci", "kafka"))
    prog = f"modelcheck {command}" if command else "modelcheck"
    p = _Parser(prog=prog, description=SUBCOMMANDS[command][1] if command else
                "Explicit-state model checker for gdsl specs.",
                epilog=None if command else _epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    groups = {name: p.add_argument_group(title) for name, title in _GROUP_TITLES.items() if name in wanted}
    for name, add in _OPTIONS:
        if name in groups:
            add(groups[name])
    if command:      # the options a subcommand does not take keep their defaults
        p.set_defaults(**{**{a.dest: a.default for a in build_parser()._actions
                             if a.dest not in ("help", "version")}, **_IMPLIED.get(command, {})})
    p.add_argument("--version", action="version", version=f"modelcheck {__version__}")
    return p


_GROUP_TITLES = {
    "spec": "what to check",
    "search": "the exhaustive search (modelcheck check)",
    "simulate": "random simulation (modelcheck simulate, or --simulate)",
    "symbolic": "z3 (modelcheck prove, or --prove / --bmc)",
    "replay": "replaying a trace (modelcheck replay TRACE [SPEC], or --replay TRACE)",
    "views": "traces, pictures and graphs",
    "ci": "CI reports",
    "kafka": "against Apache Kafka's own code",
}


def _epilog() -> str:
    """The subcommands and the options of --conform (its own parser, checker/cli/conform.py)."""
    from .conform import build_parser as conform_parser
    lines = ["subcommands (modelcheck SUBCOMMAND --help lists its options; modelcheck SPEC means check):"]
    lines += [f"  {name:<10} {text}" for name, (_, text) in SUBCOMMANDS.items()]
    lines += [f"  {name:<10} {text}" for name, text in EDITOR_TOOLS.items()]
    lines += ["", "conformance (modelcheck conform RECORDING [SPEC], or modelcheck --conform RECORDING [SPEC]):"]
    for action in conform_parser()._actions:
        if action.option_strings and action.help and action.dest not in ("help", "conform"):
            opt = action.option_strings[0] + (f" {action.metavar}" if action.metavar else "")
            lines.append(f"  {opt:<22} {action.help}")
    lines += ["", "exit codes: 0 every property holds (complete search); 11 deadlock; 12 invariant or action "
              "property violated;", "13 temporal property violated; 3 a bound stopped the search, nothing "
              "found; 2 bad input; 10 --expected:", "a verdict not as the model file records; 14 --conform or "
              "--against-kafka: a divergence; 15 a cover never reached (complete search); 75 evaluation error;", "130 interrupted; 1 internal error."]
    return "\n".join(lines)


# (group, add the option to a parser or group): the order --help lists them in.
_OPTIONS = (
    ("spec", lambda g: g.add_argument("specs", nargs="*", metavar="SPEC|MODEL",
                   help="a .gdsl spec (checked with its defaults) or a .toml model file (a spec with "
                        "constants, properties and options, see models/README.md); several files, "
                        "or directories of them, give one combined verdict")),
    ("spec", lambda g: g.add_argument("--const", dest="consts", action="append", type=_const, default=[],
                   metavar="NAME=VALUE", help="override a constant's default (repeatable)")),
    ("spec", lambda g: g.add_argument("--invariant", dest="invariants", action="append", default=[], metavar="NAME",
                   help="check only this property (invariant or action property; repeatable)")),
    ("views", lambda g: g.add_argument("--witness", dest="witnesses", action="append", default=[], metavar="COVER",
                   help="print a shortest trace that reaches this cover, and write it as ITF "
                        "(OUT/<spec>/COVER.witness.itf.json; repeatable)")),
    ("spec", lambda g: g.add_argument("--skip", dest="skips", action="append", default=[], metavar="NAME",
                   help="check every default property but this one (repeatable)")),
    ("search", lambda g: g.add_argument("--max-states", type=_positive("--max-states"), metavar="N",
                   help="stop after N distinct states (exit 3 if nothing was found)")),
    ("search", lambda g: g.add_argument("--max-depth", type=_positive("--max-depth"), metavar="N",
                   help="explore states up to depth N only (exit 3 if deeper states exist)")),
    ("spec", lambda g: g.add_argument("--timeout", type=_positive("--timeout", float, "a number of seconds above 0"), metavar="SECONDS",
                   help="stop after this many seconds (exit 3 if nothing was found)")),
    ("spec", lambda g: g.add_argument("--no-deadlock", action="store_true", help="do not report deadlocks")),
    ("search", lambda g: g.add_argument("--workers", type=_positive("--workers"), metavar="N", default=None,
                   help="processes expanding states (default: the cores available, "
                        f"here {_cores()}; the native backend: threads, which also judge that many "
                        "temporal properties at once); the counts and traces do not depend on it")),
    ("search", lambda g: g.add_argument("--backend", choices=("python", "native", "auto"), default="auto",
                   help="who explores: the Python backend, the native one (the spec compiled to C; a C "
                        "compiler needed), or auto (the default: native when it can answer the whole "
                        "run, else Python, saying why)")),
    ("search", lambda g: g.add_argument("--no-symmetry", action="store_true",
                   help="explore every permutation of the spec's scalarset values instead of one "
                        "state per orbit")),
    ("search", lambda g: g.add_argument("--no-packing", action="store_true",
                   help="hold every variable as a tuple or set, not the small sets and maps as "
                        "bit fields of one int (docs/performance.md); the counts do not depend on it")),
    ("search", lambda g: g.add_argument("--memory-limit", type=_positive("--memory-limit", float, "a number of GB above 0"),
                   metavar="GB", help="stop the search (exit 3) when the checker's memory reaches this; "
                                      "default: 90%% of the memory available when it starts")),
    ("views", lambda g: g.add_argument("--graph", metavar="FILE",
                   help="export the state graph: FILE.graphml, FILE.gexf or FILE.dot")),
    ("views", lambda g: g.add_argument("--graph-max-mb", type=_positive("--graph-max-mb", float, "a number of MB above 0"),
                   metavar="MB", default=DEFAULT_GRAPH_MB,
                   help=f"--graph refuses a file of more than MB megabytes (default {DEFAULT_GRAPH_MB}: what "
                        f"graph viewers open)")),
    ("views", lambda g: g.add_argument("--graph-limit", type=_positive("--graph-limit"), metavar="N",
                   default=DEFAULT_GRAPH_LIMIT,
                   help=f"--graph refuses graphs of more than N states (default {DEFAULT_GRAPH_LIMIT:,})")),
    ("search", lambda g: g.add_argument("--coverage", action="store_true",
                   help="report how often each action fired, the strongly connected components "
                        "and the states with no way back to an initial state")),
    ("spec", lambda g: g.add_argument("--out", default="counterexamples", metavar="DIR",
                   help="where counterexample traces are written (default: counterexamples)")),
    ("spec", lambda g: g.add_argument("--json", action="store_true", help="print one JSON object with the result")),
    ("ci", lambda g: g.add_argument("--junit", metavar="FILE", help="write a JUnit XML report (a test case per property)")),
    ("ci", lambda g: g.add_argument("--sarif", metavar="FILE", help="write a SARIF 2.1.0 report (a result per violation)")),
    ("ci", lambda g: g.add_argument("--expected", action="store_true",
                   help="the CI gate over model files: each passes when its verdict is the one its "
                        "[expect] table records (exit 0 when all do, 10 when any does not)")),
    ("spec", lambda g: g.add_argument("--describe", action="store_true",
                   help="print the spec's constants, variables, actions and properties; do not explore")),
    ("symbolic", lambda g: g.add_argument("--bmc", type=_positive("--bmc"), metavar="K",
                   help="bounded model checking with z3: behaviors of up to K states (docs/symbolic.md)")),
    ("symbolic", lambda g: g.add_argument("--bmc-lemmas", action="store_true",
                   help="with --bmc: first prove which of the spec's other invariants and lemmas are "
                        "inductive for this model (as --prove), and assume those in every state")),
    ("symbolic", lambda g: g.add_argument("--prove", action="store_true",
                   help="prove the invariants inductive with z3, strengthened by the spec's lemmas")),
    ("symbolic", lambda g: g.add_argument("--k-induction", type=_positive("--k-induction"), metavar="K", default=1,
                   help="with --prove: K-induction (default 1, plain induction)")),
    ("symbolic", lambda g: g.add_argument("--infer", action="store_true",
                   help="with --prove: infer lemmas from the reachable states of small configurations "
                        "and keep the inductive ones (Houdini); prints the lemmas the proof uses")),
    ("symbolic", lambda g: g.add_argument("--infer-from", dest="infer_from", action="append",
                   metavar="NAME=V[,NAME=V]", default=[],
                   help="with --infer: a configuration whose reachable states the candidates must hold "
                        "in (repeatable; default: the scalarset's size set to 2); max_states=N explores "
                        "only a breadth-first prefix of it, walks=RUNSxSTEPS random walks instead")),
    ("symbolic", lambda g: g.add_argument("--infer-generalise", dest="infer_generalise", metavar="N",
                   type=_positive("--infer-generalise", what="a whole number of 0 or more", zero=True),
                   default=None,
                   help="with --infer: up to N clauses per counterexample to induction, made by generalising "
                        "its first state against the samples (IC3-style; default 5, 0 for templates only)")),
    ("symbolic", lambda g: g.add_argument("--infer-write", action="store_true",
                   help="with --infer: rewrite the spec's block of inferred lemmas with the ones found")),
    ("symbolic", lambda g: g.add_argument("--prove-assignors", metavar="F,G",
                   help="prove with z3 that the spec functions F, G, ... (subs: pmap[K, V], n: int): "
                        "pmap[K, set[P]] assign partitions disjointly, completely and balanced "
                        "for every 1..|K| members and 1..|P| partitions")),
    ("spec", lambda g: g.add_argument("--quiet", action="store_true", help="no progress lines")),
    ("views", lambda g: g.add_argument("--full-states", action="store_true",
                   help="print every state of a trace whole, not only what each step changed")),
    ("simulate", lambda g: g.add_argument("--simulate", action="store_true",
                   help="random walks instead of an exhaustive search (docs/simulate.md)")),
    ("simulate", lambda g: g.add_argument("--runs", type=_positive("--runs"), metavar="N",
                   help="--simulate: how many walks (default 1000)")),
    ("simulate", lambda g: g.add_argument("--steps", type=_positive("--steps"), metavar="K",
                   help="--simulate: the most steps a walk takes (default 100)")),
    ("simulate", lambda g: g.add_argument("--swarm", action="store_true",
                   help="--simulate: swarm runs, each walk with its own fault budgets, fault-free "
                        "prefix and action weights, which finds bugs uniform walks miss (docs/simulate.md)")),
    ("simulate", lambda g: g.add_argument("--seed", type=_seed, metavar="S",
                   help="--simulate: the random seed (default: a fresh one, printed)")),
    ("replay", lambda g: g.add_argument("--replay", metavar="FILE",
                   help="re-execute an ITF trace (FILE.itf.json, optionally with the SPEC or model "
                        "file to replay it on) or run a scenario (FILE.scenario.toml)")),
    ("views", lambda g: g.add_argument("--diagram", metavar="FILE",
                   help="write the trace as a Mermaid sequence diagram in a Markdown file "
                        "('-': print it in the terminal)")),
    ("views", lambda g: g.add_argument("--html", metavar="FILE",
                   help="write a self-contained HTML page that steps through the trace")),
    ("kafka", lambda g: g.add_argument("--against-kafka", nargs="?", const="both", choices=("coordinator", "client", "both"),
                   metavar="SIDE",
                   help="run the spec's behaviours on Apache Kafka's own code (a JVM and Maven are needed): "
                        "its group coordinator, its consumer coordinator, or both (the default); exit 14 "
                        "at the first divergence (docs/kafka-findings.md)")),
    ("kafka", lambda g: g.add_argument("--depth", type=_positive("--depth"), metavar="D",
                   help="--against-kafka: every transition of the spec within D steps (exhaustive); "
                        "--runs/--steps/--seed give random walks instead (default: 100 walks of 50 steps)")),
)

# What a subcommand stands for (replay and conform take their file as --replay/--conform).
_IMPLIED = {"simulate": {"simulate": True}, "prove": {"prove": True}, "describe": {"describe": True}}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in EDITOR_TOOLS:
        return _editor_tool(argv[0], argv[1:])
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    if command:
        argv = _subcommand_argv(command, argv[1:])
    if command == "conform" or any(a == "--conform" or a.startswith("--conform=") for a in argv):
        from .conform import main as conform  # its own options and exit codes
        return conform(argv)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if not args.specs and not args.replay:
        parser.error("the following arguments are required: SPEC|MODEL")
    from checker.cli.oracle import check_options as oracle_problem
    from checker.cli.simulate import check_options
    problem = oracle_problem(args) or check_options(args)
    if problem:
        parser.error(problem)
    try:
        return _run(args)
    except SpecError as e:
        return _fail(args, e.format(), EXIT_BAD_INPUT)
    except UsageError as e:
        return _fail(args, f"modelcheck: error: {e}", EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:            # `modelcheck ... | head`: the reader left
        sys.stderr.close()
        return 141
    except Exception:  # a bug in modelcheck itself, never in the user's input
        traceback.print_exc()
        return _fail(args, "modelcheck: internal error (a bug in modelcheck; the trace above says where)",
                     EXIT_INTERNAL)


# Subcommands for editors and CI, with parsers of their own (checker/cli/fmt.py, lsp.py).
EDITOR_TOOLS = {
    "fmt": "lay out specs in the house style (--check: exit 1 and a diff if any would change)",
    "lsp": "the gdsl language server, on standard input and output (for editors)",
}


def _editor_tool(name, argv) -> int:
    if name == "fmt":
        from .fmt import main as tool
    else:
        from .lsp import main as tool
    return tool(argv)


def _subcommand_argv(command, argv) -> list:
    """A subcommand's arguments as the one parser takes them: `replay TRACE` and `conform
    RECORDING` name their file with --replay and --conform (the others imply their
    option through the subcommand's parser defaults)."""
    option = {"replay": "--replay", "conform": "--conform"}.get(command)
    if option and option not in argv and "-h" not in argv and "--help" not in argv:
        first = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
        if first is not None:
            return [option, argv[first], *argv[:first], *argv[first + 1:]]
    if command == "conform" and ("-h" in argv or "--help" in argv):
        return ["--conform", "-", "--help"]
    return argv


def _fail(args, text, code) -> int:
    print(text, file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"verdict": "error", "property": None, "message": text, "exit_code": code}))
    return code


# How bad an exit code is, to combine several specs' verdicts into one.
_SEVERITY = {EXIT_OK: 0, EXIT_INCOMPLETE: 1, EXIT_DEADLOCK: 2, EXIT_VIOLATION: 3, EXIT_TEMPORAL: 3, EXIT_UNEXPECTED: 3,
             EXIT_EVAL_ERROR: 4, EXIT_BAD_INPUT: 5, EXIT_INTERNAL: 6, EXIT_INTERRUPTED: 7}


def _spec_paths(specs) -> list:
    """The files to check: specs and model files as given, directories searched for both."""
    paths = []
    for s in specs:
        p = Path(s)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix in (".gdsl", ".toml")
                           and not f.name.endswith((".scenario.toml",    # run with --replay
                                                    ".diagram.toml")))   # a spec's diagram table
            if not found:
                raise UsageError(f"{s}: a directory with no .gdsl spec or .toml model file in it")
            paths.extend(str(f) for f in found)
        else:
            paths.append(s)
    return paths


def _run(args) -> int:
    consts = dict(args.consts)
    if len(consts) != len(args.consts):
        raise UsageError("--const names the same constant twice")
    if args.replay:
        return _replay(args, consts)
    paths = _spec_paths(args.specs)
    if len(paths) == 1:
        code, run = _run_one(paths[0], args, consts)
        _reports(args, [run] if run else [])
        if args.json and run is not None:
            print(json.dumps(run.json))
        return code
    codes, runs, lines = [], [], []
    for path in paths:
        try:
            code, run = _run_one(path, args, consts)
        except (SpecError, UsageError) as e:
            text = e.format() if isinstance(e, SpecError) else f"modelcheck: error: {e}"
            print(text, file=sys.stderr)
            code, run = EXIT_BAD_INPUT, None
            from checker.traces.ci_reports import LoadFailure
            run = LoadFailure(path, text, getattr(e, "line", 0), getattr(e, "col", 0))
        codes.append(code)
        runs.append(run)
        lines.append((path, code, run))
        if code == EXIT_INTERRUPTED:
            break
    worst = max(codes, key=lambda c: _SEVERITY.get(c, 6))
    _reports(args, runs)
    if args.json:
        print(json.dumps({"verdict": _verdict_of(worst), "exit_code": worst,
                          "runs": [r.json for r in runs if r is not None]}))
    elif not args.describe:
        print(f"\n{len(paths)} {'models' if args.expected else 'specs'} checked:")
        for path, code, run in lines:
            print(f"  {_verdict_of(code):10} (exit {code:3})  {path}"
                  + (f"  [{run.json['verdict']}, expected {run.json['expected']}]"
                     if args.expected and run is not None and run.json and "expected" in run.json else ""))
    return worst


def _verdict_of(code) -> str:
    return {0: "ok", 3: "incomplete", 11: "deadlock", 12: "violation", 13: "violation",
            EXIT_UNEXPECTED: "unexpected",
            EXIT_EVAL_ERROR: "error", EXIT_BAD_INPUT: "error", EXIT_INTERNAL: "error",
            EXIT_INTERRUPTED: "incomplete"}.get(code, "error")


def _reports(args, runs):
    if args.junit or args.sarif:
        from checker.traces.ci_reports import write_reports
        try:
            write_reports([r for r in runs if r is not None], args.junit, args.sarif,
                          deadlock_checked=not args.no_deadlock)
        except OSError as e:
            raise UsageError(f"cannot write a report: {e.strerror or e} ({e.filename})") from None


def _run_one(path, args, consts):
    """Check one spec or model file; return (exit code, ci_reports.Run or None for --describe)."""
    from checker.compile.modelfile import is_model_file, load_model_file

    if str(path).endswith(".scenario.toml"):
        raise UsageError(f"{path} is a scenario file: run it with  modelcheck --replay {path}")
    mf = load_model_file(path) if is_model_file(path) else None
    if args.against_kafka:
        from checker.oracle.choices import kafka_chooses
        checked, model, opts = kafka_chooses(lambda cs: _configure(path, mf, args, cs), consts,
                                             constants=lambda configured: configured[1].constants)
    else:
        checked, model, opts = _configure(path, mf, args, consts)
    for warning in checked.warnings:      # lang/sequential.py: `file:line:col: warning: ...`
        print(warning.format(), file=sys.stderr)
    for _, applies, run in MODES:
        if applies(args):
            return run(mf, checked, model, opts, args)
    raise AssertionError("the search mode applies to every command line")  # pragma: no cover


def _mode_describe(mf, checked, model, opts, args):
    return _describe(model, args), None


def _mode_assignors(mf, checked, model, opts, args):
    from checker.symbolic.assignors import run_assignors
    return run_assignors(model, args), None


def _mode_symbolic(mf, checked, model, opts, args):
    from checker.cli.symbolic import run_symbolic
    if args.bmc_lemmas and not args.bmc:
        raise UsageError("--bmc-lemmas strengthens --bmc K: give --bmc too")
    if (args.infer_from or args.infer_write or args.infer_generalise is not None) and not args.infer:
        raise UsageError("--infer-from, --infer-generalise and --infer-write go with --infer: give --prove --infer")
    if args.infer and not args.prove:
        raise UsageError("--infer finds lemmas for --prove: give --prove too")
    if args.infer and args.k_induction != 1:
        raise UsageError("--infer proves by plain induction: leave out --k-induction")
    if args.witnesses:
        raise UsageError("--witness: --bmc and --prove do not check covers; the explicit search "
                         "(without --bmc/--prove) finds each cover's shortest witness")
    return run_symbolic(mf, model, args)


def _mode_against_kafka(mf, checked, model, opts, args):
    from checker.cli.oracle import run_against_kafka
    return run_against_kafka(mf, model, args)


def _mode_search(mf, checked, model, opts, args):
    """The explicit search (breadth-first, or random walks with --simulate)."""
    from checker.compile.modelfile import Expectation
    from checker.engine.liveness import search
    from checker.engine.stategraph import StateGraph
    from checker.traces.ci_reports import Run
    from checker.traces.graph import check_graph_path
    if args.graph:
        check_graph_path(args.graph)
    _check_witnesses(model, args.witnesses)

    out = sys.stdout
    if not args.json:
        what = f"model {mf.name} ({mf.path}): " if mf else ""
        for line in _header(mf, checked, model, opts):
            print(line, file=out)
        out.flush()
    graph = StateGraph(model, keep_states=bool(args.graph)) if (args.graph or args.coverage) else None
    whole_graph = graph is not None or bool(model.temporal)
    _reduction(model, opts, args, whole_graph=whole_graph, out=None if args.json else out)
    from checker.cli.backend import choose
    native, backend_line = choose(model, opts, args, whole_graph)
    if not args.json:
        print(backend_line, file=out)
        out.flush()
    from checker.cli.terminal import Status
    status = Status(mf.name if mf else model.name, quiet=args.json or args.quiet)
    if args.graph and (opts["max_states"] is None or opts["max_states"] > args.graph_limit):
        opts["max_states"] = args.graph_limit     # stop early rather than refuse after the search
        limited = True
    else:
        limited = False
    with status:
        if args.simulate:
            from checker.cli.simulate import run_options
            sim = run_options(model, args, opts, progress=status.simulation)
            result = sim.result
        else:
            sim = None
            if native is not None:      # its progress lines come from C, on stderr
                result = native.run(progress=status.search, graph=graph, **opts)
                graph = native.graph if native.graph is not None else graph   # recorded in C
            else:
                result, graph = search(model, graph, progress=status.search, progress_every=status.every,
                                       **opts)
    if limited and result.stopped_by == "max-states":
        raise UsageError(f"--graph {args.graph}: the state graph has more than {args.graph_limit:,} "
                         f"states, too many to export by default; raise the limit with "
                         f"--graph-limit N if you mean it")
    _analyse_graph(model, graph, result, args)

    trace_path = None
    if result.trace is not None:
        from checker.traces.itf import write_counterexample
        trace_path = write_counterexample(args.out, model, result, mf, dict(args.consts))

    witness_paths = _write_witnesses(args, model, result, mf)
    run = Run(model, result, trace_path, label=mf.name if mf else None,
              deadlock_checked=opts["check_deadlock"])
    run.json = _json_result(model, result, trace_path)
    if witness_paths:
        run.json["witnesses"] = {n: str(p) for n, p in witness_paths.items()}
    run.json["backend"] = "native" if native is not None else "python"
    if sim is not None:
        from checker.cli.simulate import json_fields
        run.json.update(json_fields(sim))
    code = result.exit_code
    expect = mf.expect if mf else Expectation()       # a spec is expected to pass
    as_expected = expect.matches(result.verdict, result.property)
    run.json.update(expected=str(expect), as_expected=as_expected)
    if mf:
        run.json.update(model=str(mf.path), variation=mf.variation)
    if args.expected and code in _VERDICT_CODES:
        code = 0 if as_expected else EXIT_UNEXPECTED
        run.json["exit_code"] = code
        run.expected = expect
    if not args.json:
        _print_result(model, result, trace_path, brief=(args.expected and as_expected) or args.diagram == "-",
                      sim=sim, full_states=args.full_states)
        _print_witnesses(model, result, witness_paths, args.full_states)
        if args.expected or expect.verdict != "ok":
            print(("As expected: " if as_expected else "NOT AS EXPECTED: the model records ")
                  + str(expect) + ".")
    trace = result.trace if result.trace is not None else (sim.last_trace if sim else None)
    if trace and (args.diagram or args.html):
        _views(args, model, trace, result.property, result.property_kind, result.loop,
               result.loop_step, summary=describe_verdict(result))
    elif args.diagram or args.html:
        _not_written(args, [o for o in ("--diagram", "--html") if getattr(args, o[2:])],
                     "the search found no violation, so there is no trace to draw (a simulation draws "
                     "its last walk; --replay TRACE draws a recorded one)")
    return code, run


def _check_witnesses(model, names) -> None:
    """--witness names a cover this run checks, or it is a usage error, said before the search."""
    covers = [p.name for p in model.covers]
    for name in names:
        if name not in covers:
            from checker.lang.errors import did_you_mean
            listing = ", ".join(covers) or "none: the spec declares none, or the run selects none"
            raise UsageError(f"--witness {name}: not a cover this run checks{did_you_mean(name, covers)} "
                             f"(its covers: {listing})")


def _write_witnesses(args, model, result, mf) -> dict:
    """Write each --witness cover's shortest trace as ITF: {cover: path}. A cover the
    search did not reach has none (said on stderr)."""
    from checker.traces.itf import write_counterexample
    paths = {}
    for name in args.witnesses:
        if name not in result.witnesses:
            print(f"modelcheck: --witness {name}: no witness: the search did not reach it.", file=sys.stderr)
            continue
        paths[name] = write_counterexample(args.out, model, result, mf, dict(args.consts), witness=name)
    return paths


def _print_witnesses(model, result, paths, full_states) -> None:
    from checker.traces.report import format_trace
    for name, path in paths.items():
        trace = result.witnesses[name]
        print(f"A shortest witness of cover {name} ({len(trace)} states):")
        print(format_trace(model, trace, full_states=full_states))
        print(f"Witness ({len(trace)} states) written to {path}")


def _not_written(args, options, why) -> None:
    """Say on stderr that requested outputs were not written, and why: nothing the
    command line asks for is dropped silently."""
    for option in options:
        value = {"--diagram": args.diagram, "--html": args.html, "--graph": args.graph}.get(option)
        print(f"modelcheck: {option} {value}: not written: {why}.", file=sys.stderr)


# The modes of one spec or model file: (name, whether the command line asks for it, what
# runs it). The first that applies runs; the explicit search is the default.
MODES = (
    ("describe", lambda a: a.describe, _mode_describe),
    ("prove-assignors", lambda a: a.prove_assignors, _mode_assignors),
    ("symbolic", lambda a: a.bmc or a.prove or a.bmc_lemmas or a.infer, _mode_symbolic),
    ("against-kafka", lambda a: a.against_kafka, _mode_against_kafka),
    ("search", lambda a: True, _mode_search),
)

# Exit codes that are a verdict (rather than an error), which --expected compares.
_VERDICT_CODES = (0, 3, 11, 12, 13, 15)


# A header names at most this many constants or properties; --describe lists them all.
_HEADER_NAMES = 8


def _header(mf, checked, model, opts) -> list:
    """What a search runs on, in a few lines of at most report.WIDTH characters: the
    constants set (by --const or the model file; all of them when they are few), the
    properties, the fairness."""
    from checker.traces.fold import fold
    from checker.traces.report import WIDTH
    what = f"model {mf.name} ({mf.path}): " if mf else ""
    lines = [f"modelcheck {__version__}: checking {what}{model.name} ({model.path})"]
    consts = list(checked.consts)
    if consts:
        shown = consts if len(consts) <= _HEADER_NAMES else [n for n in consts if checked.consts[n].overridden]
        rest = len(consts) - len(shown)
        text = ", ".join(f"{n} = {model.constant_text(n)}" for n in shown)
        if rest:
            text += (("; " if shown else "") + f"{'the other ' if shown else 'all '}{rest} at the spec's "
                     f"defaults (--describe lists them)")
        lines += fold("Constants: ", text, WIDTH)
    if mf and mf.variation:
        lines += fold("Variation: ", ", ".join(f"{n} = {v}" for n, v in mf.variation.items())
                      + (f" ({mf.bug['jira']})" if mf.bug.get("jira") else ""), WIDTH)
    props = [p.name for p in model.invariants + model.action_properties + model.temporal + model.covers]
    text = (", ".join(props) if len(props) <= _HEADER_NAMES else
            f"{len(props)} ({len(model.invariants)} invariants, {len(model.action_properties)} action, "
            f"{len(model.temporal)} temporal, {len(model.covers)} covers; --describe lists them)") \
        if props else "(none)"
    lines += fold("Properties: ", text + ("; deadlock check on" if opts["check_deadlock"] else ""), WIDTH)
    if model.temporal:
        lines += fold("Fairness: ", ", ".join(_fairness_texts(model.fairness)) or "(none)", WIDTH)
    return lines


def _symmetry_off(reason: str) -> str:
    """Why symmetry reduction is not used, said as information: the finding
    (`file:line:col: message`) with its place after it."""
    import re
    m = re.match(r"(.*?):(\d+):\d+: (.*)", reason, re.S)
    return f"off, because {m.group(3)} (at {m.group(1)}:{m.group(2)})" if m else f"off, because {reason}"


def _reduction(model, opts, args, whole_graph, out):
    """Symmetry reduction, workers and the memory limit for one search, said on `out`.
    Temporal properties and graph analyses are checked on the whole state graph,
    without symmetry (see docs/language.md, Symmetry reduction)."""
    from checker.compile.symmetry import symmetry_of
    from checker.engine.memory import default_limit
    wanted = opts.pop("use_symmetry", True) and not args.no_symmetry    # a model file may say no
    sym = symmetry_of(model) if wanted else None
    note = None
    if sym is not None and sym.unsound_reason:
        note, sym = _symmetry_off(sym.unsound_reason), None
    elif sym is not None and whole_graph:
        note, sym = "off, because temporal properties and graph analyses are checked on the whole state graph", None
    elif sym is not None:
        note = f"on, one state per orbit of {sym.describe()}"
    workers = args.workers or _cores()
    opts.update(symmetry=sym, workers=workers,
                memory_limit=int(args.memory_limit * 2**30) if args.memory_limit else default_limit())
    if out is not None:
        if note:
            print("\n".join(fold("Symmetry: ", note, 160)), file=out)
        print(f"Workers: {workers}", file=out)


def _configure(path, mf, args, consts):
    """Load and compile what one file asks for: a spec with the command line's options,
    or a model file's spec, constants and options, the command line taking precedence."""
    from checker.compile.model import compile_model, load_spec
    from checker.compile.modelfile import compile_model_file

    opts = dict(max_states=args.max_states, max_depth=args.max_depth, timeout=args.timeout,
                check_deadlock=not args.no_deadlock)
    pack = _packing(args, symmetry=not args.no_symmetry and (mf is None or mf.symmetry))
    if mf is None:
        checked = load_spec(path, consts)
        return checked, compile_model(checked, args.invariants or None, skip=args.skips,
                                      packed=pack and pack(checked)), opts
    model, mopts = compile_model_file(mf, consts, args.invariants, args.skips, pack)
    opts.update({k: opts[k] or v for k, v in mopts.items() if k != "check_deadlock"})
    opts["use_symmetry"] = mf.symmetry
    opts["check_deadlock"] = mopts["check_deadlock"] and not args.no_deadlock
    return model.checked, model, opts


def _packing(args, symmetry):
    """What to pack (checker/compile/packing.py): a function of the checked spec, or None. Only
    the exhaustive search packs; unless --no-symmetry, the variables holding
    scalarset values stay tuples and sets, for the permutations to read. (Packing
    the group spec's, explored in full, gains nothing: its maps have 2 or 3 keys.)"""
    from checker.compile.packing import packed_variables
    if args.no_packing or args.simulate or args.describe or args.bmc or args.prove or args.prove_assignors:
        return None
    return lambda checked: packed_variables(checked, keep_scalarsets=symmetry)


def _analyse_graph(model, graph, result, args):
    """After a complete search (whatever the temporal properties said): --coverage and --graph."""
    judged = result.liveness_elapsed > 0          # the search found nothing; liveness ran
    if graph is None:
        return
    if not (result.verdict == "ok" or judged):
        why = ("it stopped at the deadlock (with --no-deadlock the search goes on)"
               if result.verdict == "deadlock" else f"it stopped: {describe_verdict(result)}")
        _not_written(args, ["--graph"] if args.graph else [],
                     f"the state graph is exported after a complete search, and {why}")
        if args.coverage:
            print(f"modelcheck: --coverage: not reported: it needs the complete state graph, and {why}.",
                  file=sys.stderr)
        return
    if args.coverage:
        from checker.engine.stategraph import graph_facts
        result.coverage = graph_facts(graph)
        result.coverage["hints"] = _never_enabled_hints(model, result.coverage["coverage"])
    if args.graph:
        from checker.traces.graph import write_graph
        try:
            fmt = write_graph(graph, args.graph, max_bytes=int(args.graph_max_mb * 2**20))
        except OSError as e:
            raise UsageError(f"--graph {args.graph}: cannot write it ({e.strerror or e})") from None
        if not args.json:
            print(f"State graph ({len(graph)} states, {graph.edge_count} steps) written to "
                  f"{args.graph} ({fmt}).")


def _never_enabled_hints(model, coverage) -> dict:
    """For each action that never took a step: where its guard is, and the constants it
    reads, whose values are the usual reason (Consume with OFFSET_RESET = latest)."""
    from checker.lang import ast as A
    hints = {}
    for action in model.checked.actions:
        if coverage.get(action.name, {}).get("steps", 1) != 0:
            continue
        decl = action.decl
        names, todo = [], [decl.guard] if decl.guard is not None else []
        while todo:
            node = todo.pop()
            if isinstance(node, A.Name) and node.name in model.checked.consts and node.name not in names:
                names.append(node.name)
            if isinstance(node, list):
                todo.extend(node)
            elif hasattr(node, "__dataclass_fields__"):
                todo.extend(getattr(node, f) for f in node.__dataclass_fields__ if f not in ("pos", "ref"))
        where = ":".join(map(str, place(model.checked.spec.source, model.path, decl.pos)))
        reads = ", ".join(f"{n} = {model.constant_text(n)}" for n in names)
        hints[action.name] = (f"no reachable state satisfies its guard ({where})"
                              + (f", which reads {reads}" if reads else ""))
    return hints


def _fairness_texts(fairness) -> list:
    """Each fairness constraint as declared: `weak A(p) when ...`, a group as
    `weak (A(p) | B(q))`."""
    def one(f):
        params = f"({', '.join(f.params)})" if f.params else ""
        return f"{f.action.name}{params}" + (" when ..." if f.cond is not None else "")
    out, groups = [], {}
    for f in fairness:
        if f.group < 0:
            out.append(f"{f.kind} {one(f)}")
        elif f.group in groups:
            out[groups[f.group]].append(one(f))
        else:
            groups[f.group] = len(out)
            out.append([f.kind, one(f)])
    return [x if isinstance(x, str) else f"{x[0]} ({' | '.join(x[1:])})" for x in out]


def _print_result(model, result, trace_path, brief=False, sim=None, full_states=False):
    """The verdict, the trace (only its file when `brief`: a gate's expected violation;
    every state whole with `full_states`) and the counts (of a simulation, if `sim`)."""
    from checker.traces.report import budget_text, describe_verdict, format_trace
    if sim is not None:
        from checker.cli.simulate import describe
        from checker.engine.simulate import summary_lines
    else:
        from checker.traces.report import summary_lines
    print(describe(sim) if sim is not None else describe_verdict(result))
    if brief and result.trace is not None:
        print(f"Trace ({len(result.trace)} states) written to {trace_path}")
    elif result.loop is not None:
        print("A behavior that violates it, ending in a cycle that repeats forever:")
        print(format_trace(model, result.trace, loop=result.loop, closing=result.loop_step,
                           full_states=full_states))
        print(f"Trace ({len(result.trace)} states, looping back to state {result.loop + 1}) "
              f"written to {trace_path}")
    elif result.trace is not None:
        print("The behavior up to this point is:" if result.verdict != "error"
              else "The behavior that reaches the failing state is:")
        print(format_trace(model, result.trace, full_states=full_states))
        print(f"Trace ({len(result.trace)} states) written to {trace_path}")
    if result.verdict == "deadlock" and result.trace:
        budgets = budget_text(model, result.trace[-1].state)
        if budgets:
            print(budgets)
    if model.temporal and sim is not None and sim.swarm and result.verdict == "ok":
        print("The temporal properties were judged only where a run could stay forever (a state with a "
              "step that changes nothing); a proof needs the complete state graph.")
    elif model.temporal and (result.verdict == "incomplete" or (sim is not None and not sim.swarm)):
        print("The temporal properties were not checked: they need the complete state graph.")
    if model.covers and sim is not None:
        print("The covers were not judged: a simulation cannot show that one is never reached "
              "(the exhaustive search judges them).")
    from checker.cli.terminal import print_counts
    print_counts(sim if sim is not None else result, summary_lines(sim if sim is not None else result))


def _json_result(model, result, trace_path) -> dict:
    return {
        "verdict": result.verdict,
        "property": result.property,
        "property_kind": result.property_kind,
        "message": result.message,
        "stopped_by": result.stopped_by,
        "spec": model.name,
        "path": model.path,
        "constants": {n: model.constant_text(n) for n in model.checked.consts},
        "distinct_states": result.distinct,
        "states_generated": result.generated,
        "states_left_on_queue": result.queue_left,
        # generated states outside the constraints (checked, not stored); the second
        # name says what is counted (the first is kept for the readers of older output)
        "states_outside_constraints": result.constrained,
        "generated_outside_constraints": result.constrained,
        "depth": result.depth,
        "elapsed_s": round(result.elapsed, 4),
        "visited_bytes": result.visited_bytes,
        "collision_probability": result.collision_probability,
        "trace": str(trace_path) if trace_path else None,
        "trace_length": len(result.trace) if result.trace else None,
        "loop": result.loop,
        "liveness_s": round(result.liveness_elapsed, 4),
        "coverage": result.coverage or None,
        "covers": result.covers or None,
        "exit_code": result.exit_code,
    }


def _describe(model, args) -> int:
    c = model.checked

    def at(pos) -> dict:
        """"line" in its own file, and "file" when that is a spec this one extends."""
        file, line = place(c.spec.source, model.path, pos)
        return {"line": line} if file == model.path else {"line": line, "file": file}
    data = {
        "spec": model.name,
        "path": model.path,
        "constants": [{"name": n, "type": str(ci.type), "value": model.constant_text(n),
                       "overridden": ci.overridden} for n, ci in c.consts.items()],
        "variables": [{"name": v.name, "type": str(v.type)} for v in c.vars],
        "actions": [{"name": a.name, "params": [{"name": n, "type": str(t)} for n, t, _ in a.params],
                     **at(a.decl.pos)} for a in c.actions],
        "properties": [{"name": p.name, "kind": p.kind, **at(p.pos), "refuted": p.refuted,
                        "checked": p in model.invariants + model.action_properties + model.temporal + model.covers}
                       for p in c.properties],
        "fairness": [{"kind": f.kind, "action": f.action.name, "params": f.params,
                      **at(f.pos), "group": f.group if f.group >= 0 else None} for f in c.fairness],
        "constraints": [{"name": p.name, **at(p.pos)} for p in c.constraints],
    }
    if args.json:
        print(json.dumps(data, indent=1))
        return 0
    print(f"spec {data['spec']} ({data['path']})")
    for k in ("constants", "variables"):
        print(f"{k}:")
        for item in data[k]:
            extra = f" = {item['value']}" if "value" in item else ""
            print(f"  {item['name']}: {item['type']}{extra}")
    print("actions:")
    for a in data["actions"]:
        print(f"  {a['name']}(" + ", ".join(f"{p['name']}: {p['type']}" for p in a["params"]) + ")")
    if data["constraints"]:
        print("constraints:")
        for p in data["constraints"]:
            print(f"  {p['name']}")
    print("properties:")
    for p in data["properties"]:
        print(f"  {p['name']} ({p['kind']}{', refuted: not checked by default' if p['refuted'] else ''})")
    if c.fairness:
        print("fairness:")
        for text in _fairness_texts(c.fairness):
            print(f"  {text}")
    return 0


def _views(args, model, trace, prop=None, kind=None, loop=None, closing=None, notes=None,
           summary=""):
    """--diagram and --html for a trace: a Mermaid sequence diagram in Markdown (or the
    terminal, with '-') and the step-through page."""
    from checker.traces import diagram
    d = diagram.build(model, trace, table=diagram.load_table(model), property_name=prop,
                      property_kind=kind, loop=loop, closing=closing, notes=notes)
    if args.diagram == "-":
        print(diagram.terminal(d))
    elif args.diagram:
        diagram.write_markdown(args.diagram, d, summary)
        if not args.json:
            print(f"Sequence diagram ({len(trace)} states) written to {args.diagram}")
    if args.html:
        from checker.traces.html import write_page
        write_page(args.html, model, trace, d, summary, prop if kind in ("invariant", "action", "temporal") else None)
        if not args.json:
            print(f"Step-through page ({len(trace)} states) written to {args.html}")


def _replay(args, consts) -> int:
    """--replay: a scenario file is run; an ITF trace is re-executed on its spec (or on
    the SPEC given), and the violation it records judged again."""
    from checker.engine.scenario import check_message, is_scenario_file, load_scenario, run_scenario
    if len(args.specs) > 1:
        raise UsageError(f"--replay takes one trace and at most one SPEC or model file, not "
                         f"{', '.join(args.specs)}")
    if is_scenario_file(args.replay):
        if args.specs:
            raise UsageError("--replay FILE.scenario.toml: a scenario names its own spec; "
                             "give no SPEC")
        sc = load_scenario(args.replay)
        run = run_scenario(sc, consts)
        res = run.result
        if args.diagram or args.html or not args.json:
            if not (args.diagram or args.html):
                args.diagram = "-"
            _views(args, run.model, run.trace, res and res.property, res and res.property_kind,
                   notes=run.notes, summary=sc.file.description)
        text = check_message(sc, run) if res is None else describe_verdict(res)
        if args.json:
            print(json.dumps({"verdict": "ok" if res is None else res.verdict,
                              "property": res and res.property, "scenario": str(sc.path),
                              "steps": len(run.trace) - 1, "exit_code": 0 if res is None else res.exit_code}))
        else:
            print(text)
        return 0 if res is None else res.exit_code
    from checker.engine.replay import replay_file, replay_lines
    rep = replay_file(args.replay, args.specs[0] if args.specs else None, consts)
    lines = replay_lines(rep)
    if not args.json:
        if args.diagram is None and args.html is None:
            args.diagram = "-"
    if rep.trace and (args.diagram or args.html):
        _views(args, rep.model, rep.trace, rep.property if rep.reproduced else None,
               rep.property_kind, rep.loop if rep.reproduced else None, rep.closing,
               summary="\n".join(lines))
    if args.json:
        print(json.dumps({"verdict": "mismatch" if rep.mismatch and not rep.changed else
                          "left by the changed spec" if rep.mismatch else
                          "reproduced" if rep.reproduced else "not reproduced",
                          "property": rep.property, "trace": str(rep.path),
                          "step": rep.mismatch.index if rep.mismatch else None,
                          "constants_changed": rep.changed or None,
                          "message": "\n".join(lines), "exit_code": rep.exit_code}))
    else:
        print("\n".join(lines), file=sys.stderr if rep.mismatch and not rep.changed else sys.stdout)
    return rep.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
