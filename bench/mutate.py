"""Do the properties catch the spec's own mistakes? Mutation analysis of spec/group.gdsl.

Each mutant is spec/group.gdsl with one small deliberate edit inside an action, proc or
function body (never in a property, so a property cannot be weakened by it):

  drop     - a one-line assignment is removed
  compare  - a comparison flipped: == and !=, < and >=, > and <=
  boolean  - true and false swapped, `and` and `or` swapped, a `not ` removed

Lines that only a bug's or a client's variation constant reaches (FIX_*, MOCK_*, ...),
or the spec's own symmetry reduction (CANONICAL_FIRST_IDS), are not mutated: with the variation off such an edit is equivalent by
construction. Every mutant is checked exhaustively on small configurations (default:
two consumers with the range assignor, with cooperative-sticky, static, and with auto-commit; all
properties, liveness included; the first that fails catches it) and, with --kafka,
against Kafka's own code (`modelcheck --against-kafka` to a small depth).
A mutant is *caught* when a check fails (exit 11, 12, 13, 75; 14 for Kafka), *survives*
when every check passes, and is *invalid* when it no longer compiles (exit 2, not
counted). The score is caught / (caught + survived). Figures are printed, never asserted.

    python bench/mutate.py                          # 40 mutants, seed 1, properties only
    python bench/mutate.py --mutants 120 --seed 7
    python bench/mutate.py --kafka --depth 6        # and against Kafka's code
    python bench/mutate.py --list                   # the mutation sites, nothing run
"""
from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "group.gdsl"
CAUGHT = {11, 12, 13, 75}
_VARIATION = re.compile(r"\b(FIX_\w+|MOCK_\w+|STICKY_KEEPS_HIGHEST|FOLLOWERS_WATCH_METADATA|CANONICAL_FIRST_IDS)\b")
CONFIGS = ["CONSUMERS=2", "CONSUMERS=2 ASSIGNOR=cooperative_sticky", "CONSUMERS=2 STATIC=true",
           "CONSUMERS=2 AUTO_COMMIT=true OFFSET_RESET=earliest"]      # the last reaches the auto-commit lines

_COMPARE = [("==", "!="), ("!=", "=="), ("<=", ">"), (">=", "<"), ("<", ">="), (">", "<=")]
_BOOLEAN = [(r"\btrue\b", "false"), (r"\bfalse\b", "true"), (r"\band\b", "or"), (r"\bor\b", "and"),
            (r"\bnot ", "")]


@dataclass(frozen=True)
class Mutant:
    kind: str
    line: int           # 1-based line of spec/group.gdsl
    column: int         # 0-based offset of the edit in the line
    before: str
    after: str

    def apply(self, lines: list) -> str:
        out = list(lines)
        text = out[self.line - 1]
        out[self.line - 1] = text[:self.column] + self.after + text[self.column + len(self.before):] \
            if self.kind != "drop" else "// (mutant: dropped) " + text
        return "\n".join(out) + "\n"

    def describe(self, lines: list) -> str:
        what = "drop" if self.kind == "drop" else f"{self.before.strip()} -> {self.after.strip() or '(removed)'}"
        return f"line {self.line}: {what}: {lines[self.line - 1].strip()[:90]}"


def _bodies(lines: list) -> list:
    """The 1-based numbers of the lines inside action, proc and def bodies."""
    inside, depth, out = False, 0, []
    for n, line in enumerate(lines, 1):
        code = line.split("//")[0]
        if depth == 0 and re.match(r"\s*(action|proc|def)\b", code):
            inside = True
        if inside and depth > 0:
            out.append(n)
        depth += code.count("{") - code.count("}")
        if inside and depth == 0 and "}" in code:
            inside = False
    return out


def sites(lines: list) -> list:
    """Every mutant of the spec, in the order of its lines."""
    found = []
    for n in _bodies(lines):
        code = lines[n - 1].split("//")[0]
        if _VARIATION.search(code):
            continue
        if re.match(r"\s*[A-Za-z_][\w\[\]. ]*\s=\s[^=]", code) and code.count("{") == code.count("}") \
                and code.count("(") == code.count(")") \
                and not re.match(r"\s*let\b", code):
            found.append(Mutant("drop", n, 0, "", ""))
        for old, new in _COMPARE:
            for m in re.finditer(rf"(?<![<>=!]){re.escape(old)}(?![=>])", code):
                found.append(Mutant("compare", n, m.start(), old, new))
        for pattern, new in _BOOLEAN:
            for m in re.finditer(pattern, code):
                found.append(Mutant("boolean", n, m.start(), m.group(0), new))
    return found


def baseline(lines: list, args) -> dict:
    """For each configuration, the properties the unmutated spec itself breaks there
    (a recorded Kafka finding, say): they are skipped, so that only what a mutant
    breaks counts as catching it. Printed."""
    skips = {}
    for config in args.config:
        skips[config] = []
        for _ in range(5):
            code, _, prop = _check_one("\n".join(lines) + "\n", args, False, config.split(), skips[config])
            if code == 0:
                break
            if code not in CAUGHT or not prop:
                raise SystemExit(f"the unmutated spec gives exit {code} on {config}: fix that first")
            skips[config].append(prop)
        if skips[config]:
            print(f"  {config}: the unmutated spec breaks {', '.join(skips[config])}: skipped there")
    return skips


def check(text: str, args, kafka: bool, without=()) -> tuple:
    """(exit code, seconds, the property that caught it or None) of checking one mutant's
    text on each configuration in turn, stopping at the first that catches it (or refuses
    it); `without`: properties left out."""
    total, code, prop = 0.0, 0, None
    for config in args.config:
        code, took, prop = _check_one(text, args, kafka, config.split(), [*args.skips[config], *without])
        total += took
        if code != 0:
            break
    return code, total, prop


def _check_one(text: str, args, kafka: bool, consts: list, skips=()) -> tuple:
    """(exit code, seconds, the property broken or None) of one check."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "group.gdsl"
        path.write_text(text)
        cmd = [sys.executable, "-m", "checker.cli", str(path), "--quiet", "--json", "--out", tmp,
               "--workers", "1", "--timeout", str(args.timeout), *sum((["--const", c] for c in consts), []),
               *sum((["--skip", s] for s in skips), [])]
        if kafka:
            cmd += ["--against-kafka", "--depth", str(args.depth)]
        began = time.perf_counter()
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        try:
            prop = json.loads(p.stdout.strip().splitlines()[-1]).get("property")
        except (ValueError, IndexError, AttributeError):
            prop = None
        return p.returncode, time.perf_counter() - began, prop


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mutants", type=int, default=40, help="how many mutants, drawn at random (default 40)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--config", action="append", default=None,
                    help="a configuration, as constants NAME=VALUE separated by spaces; repeat for "
                         f"several (default: {'; '.join(CONFIGS)})")
    ap.add_argument("--timeout", type=int, default=300, help="seconds a check may take (default 300)")
    ap.add_argument("--jobs", type=int, default=2, help="checks at once (default 2: the cores)")
    ap.add_argument("--kafka", action="store_true", help="also check each mutant against Kafka's code")
    ap.add_argument("--depth", type=int, default=6, help="--against-kafka's exhaustive depth (default 6)")
    ap.add_argument("--list", action="store_true", help="print the mutation sites and stop")
    ap.add_argument("--new", action="append", default=[], metavar="PROPERTY",
                    help="a property added lately (repeatable): the mutants it catches are checked again "
                         "without it, for the score before it")
    ap.add_argument("--json-out", help="write every mutant's outcome as JSON")
    args = ap.parse_args(argv)
    args.config = args.config or CONFIGS
    lines = SPEC.read_text().splitlines()
    every = sites(lines)
    by_kind = {k: sum(1 for m in every if m.kind == k) for k in ("drop", "compare", "boolean")}
    print(f"{len(every)} mutation sites in spec/group.gdsl: "
          + ", ".join(f"{n} {k}" for k, n in by_kind.items()))
    if args.list:
        for m in every:
            print("  " + m.describe(lines))
        return 0
    args.skips = baseline(lines, args)
    chosen = random.Random(args.seed).sample(every, min(args.mutants, len(every)))
    chosen.sort(key=lambda m: (m.line, m.column))

    def run(m):
        props = check(m.apply(lines), args, kafka=False)
        if props[0] in CAUGHT and props[2] in args.new:
            props = props + (check(m.apply(lines), args, False, without=args.new),)
        oracle = check(m.apply(lines), args, kafka=True) if args.kafka and props[0] != 2 else None
        return m, props, oracle

    rows, began = [], time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        for m, props, oracle in pool.map(run, chosen):
            rows.append((m, props, oracle))
            verdict = ("invalid" if props[0] == 2 else "caught" if props[0] in CAUGHT
                       else "survives" if props[0] == 0 else f"exit {props[0]}")
            if props[0] in CAUGHT:
                verdict += f" by {props[2]}" + ("" if len(props) < 4 else
                                                " (only)" if props[3][0] == 0 else f" (also {props[3][2]})")
            kafka = "" if oracle is None else (" | Kafka: " + ("caught" if oracle[0] == 14 else
                                                              "passes" if oracle[0] == 0 else f"exit {oracle[0]}"))
            print(f"{verdict:9} ({props[1]:5.1f}s){kafka}  {m.describe(lines)}", flush=True)
    valid = [r for r in rows if r[1][0] != 2]
    caught = [r for r in valid if r[1][0] in CAUGHT]
    survived = [r for r in valid if r[1][0] == 0]
    print(f"\n{len(rows)} mutants (seed {args.seed}), {len(valid)} valid, in {time.perf_counter() - began:.0f}s "
          f"with {args.jobs} at once; configurations: {'; '.join(args.config)}")
    if valid:
        print(f"properties: {len(caught)} caught, {len(survived)} survive, "
              f"{len(valid) - len(caught) - len(survived)} undecided (a bound or timeout): "
              f"score {len(caught) / max(1, len(caught) + len(survived)):.0%}")
        if args.new:
            only = [r for r in caught if len(r[1]) > 3 and r[1][3][0] == 0]
            print(f"without {', '.join(args.new)}: {len(caught) - len(only)} caught, {len(survived) + len(only)} "
                  f"survive: score {(len(caught) - len(only)) / max(1, len(caught) + len(survived)):.0%}")
    if args.kafka and valid:
        k_caught = [r for r in valid if r[2] is not None and r[2][0] == 14]
        either = [r for r in valid if r[1][0] in CAUGHT or (r[2] is not None and r[2][0] == 14)]
        print(f"Kafka's code: {len(k_caught)} caught; properties or Kafka: {len(either)} of {len(valid)} "
              f"({len(either) / len(valid):.0%})")
    if survived:
        print("\nSurvivors (each an edit no property notices on this configuration):")
        for m, _, oracle in survived:
            print("  " + m.describe(lines) + ("  [Kafka catches it]" if oracle and oracle[0] == 14 else ""))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps([
            {"kind": m.kind, "line": m.line, "column": m.column, "before": m.before, "after": m.after,
             "exit": p[0], "seconds": round(p[1], 2), "kafka_exit": o[0] if o else None}
            for m, p, o in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
