"""Figures of `--prove --infer` and of the proofs with the inferred lemmas
(docs/symbolic.md, "Lemmas found by --infer"): run `python bench/infer.py [what]`.

  infer  - `--prove --infer` on spec/group.gdsl (default configuration, candidates from
           CONSUMERS=2): states explored, candidate count, how many are false initially,
           how many Houdini dropped and in how many rounds, how many are kept and used,
           the time of each phase, what is proved
  monotonic - `--infer` for MonotonicCommits alone (CONSUMERS=2): only the candidates
           about committed, position and offsets, plain Houdini over them
  disjoint - issue 27's experiment: the spec less its 15 hand-written DisjointAssignment
           lemmas (a copy in a temporary directory), `--infer` for DisjointAssignment with
           clauses generalised from the counterexamples (--generalise, --depth, --cap,
           --blockers; samples CONSUMERS=2, a FAULTS=2 prefix and a CONSUMERS=3 prefix);
           prints the counts and phase times, and whether DisjointAssignment is proved
  prove  - plain `--prove` (the spec's lemmas, the inferred block included) of issue
           27's four targets (--targets) for CONSUMERS=2, 3, 4 at the default bounds
           otherwise: one z3 problem each, its time (median of --repeat runs), which
           targets are proved
Figures are printed, never asserted (tests/symbolic/test_infer.py asserts the verdicts).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.cli.symbolic import system_for  # noqa: E402
from checker.compile.model import compile_model, load_spec  # noqa: E402
from checker.symbolic.induction import prove  # noqa: E402
from checker.symbolic.infer import infer, lemma_source  # noqa: E402

SPEC = str(ROOT / "spec" / "group.gdsl")


def run_infer(samples, targets=None, consumers=None, about=(), plain=False, spec=SPEC, **options):
    model = compile_model(load_spec(spec, {"CONSUMERS": str(consumers)} if consumers else {}),
                          invariants=targets or None)
    consts = {n: model.constant_text(n) for n in model.checked.consts}
    confs = [{**consts, "CONSUMERS": str(n)} if isinstance(n, int) else {**consts, **n} for n in samples]
    t = time.perf_counter()
    rep = infer(model, consts, confs, about=tuple(about), plain=plain,
                progress=lambda s: print(f"  {time.perf_counter() - t:7.1f}s {s}", file=sys.stderr, flush=True),
                **options)
    total = time.perf_counter() - t
    for c, n, s in rep.configs:
        print(f"sample {', '.join(f'{k}={v}' for k, v in c.items() if consts.get(k) != v) or 'the model'}: "
              f"{n:,} states in {s:.1f}s")
    print(f"candidates: {rep.candidates:,} from templates, {rep.generalised:,} generalised from counterexamples "
          f"(encoded for z3, called for by a counterexample: {rep.encoded:,})")
    print(f"false initially: {rep.false_initially:,}")
    print(f"dropped by Houdini: {rep.dropped:,} in {rep.rounds} rounds")
    print(f"inductive together: {rep.kept:,}; used by the proof: {len(rep.lemmas)}")
    print("phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in rep.times.items()) + f"; total {total:.1f}")
    print(f"proved: {', '.join(rep.proved)}")
    print(f"not proved: {', '.join(c.prop for c in rep.not_proved) or 'none'}")
    if rep.reason:
        print(f"undetermined: {rep.reason}")
    return rep


# the hand-written lemmas DisjointAssignment's proof needs (spec/group.gdsl, docs/symbolic.md)
DISJOINT_LEMMAS = ["HeldGenerationPersisted", "CompletingUnpersisted", "HeldAsRecorded", "StableAsRecorded",
                   "RecordDisjoint", "OneExchangeAtATime", "JoinAnswerNotParked", "IdsIssuedFirst",
                   "DeadHoldsNothing", "SyncRequestOfItsSender", "JoinRequestOfItsSender", "NoIdNoGeneration",
                   "ParkedByState", "ParkedJoinAwaited", "ParkedSyncInGeneration"]


def without_lemmas(text: str, names: list) -> str:
    """The spec's text less the `lemma` declarations `names` (each up to the next blank
    line, comment or declaration)."""
    out, skip = [], False
    for line in text.split("\n"):
        if line.startswith("lemma "):
            skip = line.split()[1] in names
        elif skip and (not line.strip() or line.startswith(("//", "def ", "lemma ", "invariant "))):
            skip = False
        if not skip:
            out.append(line)
    return "\n".join(out)


def run_disjoint(a):
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "group.gdsl"
        removed = a.remove.split(",") if a.remove else DISJOINT_LEMMAS
        path.write_text(without_lemmas(Path(SPEC).read_text(), removed))
        samples = [2, {"FAULTS": "2", "max_states": a.prefix}, {"CONSUMERS": "3", "max_states": a.prefix * 2 // 3}]
        rep = run_infer(samples, ["DisjointAssignment"], 2, spec=str(path), depth=a.depth, blockers=a.blockers,
                        generalise=a.generalise, cap=a.cap, settle=a.settle, timeout=a.timeout)
    print(f"DisjointAssignment without {len(removed)} hand-written lemmas ({', '.join(removed)}): "
          f"{'proved' if 'DisjointAssignment' in rep.proved else 'NOT proved'}")
    if rep.lemmas:
        print(lemma_source(rep.lemmas))


# issue 27's four: what the protocol promises (one z3 problem per CONSUMERS value)
TARGETS = ["DisjointAssignment", "OneLeaderPerCoordinatorGeneration", "MonotonicCommits", "CommitFencing"]


def run_prove(consumers, repeat, timeout, targets):
    print(f"targets: {', '.join(targets) or 'every property'} (and every lemma of the spec)")
    print("| CONSUMERS | encode (s) | prove (s, median) | proved | targets proved | not inductive |")
    print("|---|---|---|---|---|---|")
    for n in consumers:
        model = compile_model(load_spec(SPEC, {"CONSUMERS": str(n)}), invariants=targets or None)
        times, encs, proof = [], [], None
        for _ in range(repeat):
            t = time.perf_counter()
            sys_ = system_for(model, with_lemmas=True)
            encs.append(time.perf_counter() - t)
            t = time.perf_counter()
            proof = prove(sys_, model, timeout=timeout)
            times.append(time.perf_counter() - t)
        hit = [t for t in targets if t in proof.proved]
        print(f"| {n} | {statistics.median(encs):.1f} | {statistics.median(times):.1f} | "
              f"{len(proof.proved)} | {len(hit)}/{len(targets)}: {', '.join(hit) or 'none'} | "
              f"{', '.join(c.prop for c in proof.ctis) or 'none'} |", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["infer", "prove", "monotonic", "disjoint"], nargs="?", default="infer")
    p.add_argument("--samples", default="2", help="infer: the CONSUMERS values to sample (default 2)")
    p.add_argument("--consumers", default="2,3,4", help="prove: the CONSUMERS values (default 2,3,4)")
    p.add_argument("--targets", default=",".join(TARGETS),
                   help="prove: the properties asked (default issue 27's four; '' for every one)")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--depth", type=int, default=8, help="disjoint: how far helpers may call for helpers")
    p.add_argument("--blockers", type=int, default=5, help="disjoint: candidates per counterexample")
    p.add_argument("--generalise", type=int, default=5, help="disjoint: generalised clauses per counterexample")
    p.add_argument("--cap", type=int, default=400, help="disjoint: the set's size bound")
    p.add_argument("--prefix", type=int, default=300000, help="disjoint: states of the FAULTS=2 prefix")
    p.add_argument("--settle", type=int, default=None, help="disjoint: the round after which only the "
                   "spec's properties call for candidates")
    p.add_argument("--remove", default="", help="disjoint: the hand-written lemmas to remove (default the 15)")
    p.add_argument("--timeout", type=float, default=None)
    a = p.parse_args()
    if a.what == "infer":
        run_infer([int(x) for x in a.samples.split(",")])
    elif a.what == "disjoint":
        run_disjoint(a)
    elif a.what == "monotonic":     # how MonotonicCommits' lemmas were found (CONSUMERS=2)
        run_infer([2], ["MonotonicCommits"], 2, ("committed", "position", "offsets"), plain=True)
    else:
        run_prove([int(x) for x in a.consumers.split(",")], a.repeat, a.timeout,
                  [t for t in a.targets.split(",") if t])


if __name__ == "__main__":
    main()
