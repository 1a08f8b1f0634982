"""`modelcheck SPEC --bmc K` and `modelcheck SPEC --prove`: the symbolic engines on the
command line, reporting as the explicit engine does (same trace files, same exit codes:
0 proved, 12 violated, 75 evaluation error, 3 undetermined: a bound reached with
nothing found, or an invariant that is not inductive)."""
from __future__ import annotations

import time

from checker.engine.outcome import Result
from checker.lang.values import show


def system_for(model, with_lemmas=False, candidates=False):
    """The spec's transition system; a construct z3 cannot encode is a located SpecError.
    `with_lemmas`: the lemmas are checked too (--prove); `candidates`: the spec's other
    invariants and lemmas are kept as candidate facts (--bmc-lemmas, strengthen.py)."""
    from checker.lang.errors import SpecError
    from checker.symbolic.strengthen import candidates_for
    from checker.symbolic.system import System
    sel = model.selection          # the same selection the compiled Python checks
    invs = list(sel.invariants)
    if with_lemmas:
        invs += [p for p in sel.lemmas if p not in invs]
    spec = model.checked.spec
    try:
        return System(model.checked, invs, list(sel.action_properties),
                      candidates_for(model) if candidates else ())
    except SpecError as e:
        raise e.located(spec.path, spec.source)
    except RecursionError:
        raise SpecError("--bmc/--prove: this spec nests too deeply to encode", (0, 0),
                        spec.path, spec.source) from None


def run_symbolic(mf, model, args, out=print):
    """Run --bmc or --prove on a compiled model; (exit code, ci_reports.Run)."""
    from checker.traces.ci_reports import Run
    if model.temporal and not args.json:
        out("Not checked by --bmc/--prove (temporal properties): "
            + ", ".join(p.name for p in model.temporal))
    if model.covers and not args.json:
        out("Not checked by --bmc/--prove (covers: the explicit search checks that each is reached): "
            + ", ".join(p.name for p in model.covers))
    if not args.json:
        out("Deadlocks are not checked by --bmc/--prove.")
    if getattr(args, "infer", False):
        return run_infer(mf, model, args, out)
    start = time.perf_counter()
    lemmas = args.bmc_lemmas and not args.prove
    sys = system_for(model, with_lemmas=args.prove, candidates=lemmas)
    built = time.perf_counter() - start
    facts = None
    if args.prove:
        from checker.symbolic.induction import prove
        proof = prove(sys, model, k=args.k_induction, timeout=args.timeout)
        result = _proof_result(proof)
        if not args.json:
            _print_proof(model, proof, out)
    else:
        from checker.symbolic.bmc import bmc
        progress = None if (args.json or args.quiet) else _progress
        if lemmas:
            from checker.symbolic.strengthen import inductive_facts
            facts = inductive_facts(sys, model, timeout=args.timeout)
            if not args.json:
                _print_facts(facts, out)
        left = args.timeout
        if left and facts:                  # the timeout covers proving the facts too
            left = max(left - facts.elapsed, 0.001)
        result = bmc(sys, model, args.bmc, timeout=left, progress=progress,
                     facts=facts.facts if facts else ())
        proof = None
    result.elapsed = time.perf_counter() - start
    trace_path = None
    if result.trace is not None:
        from checker.traces.itf import write_counterexample
        trace_path = write_counterexample(args.out, model, result, mf, dict(args.consts))
    if not args.json:
        _print_bmc(model, result, trace_path, built, args, out)
    run = Run(model, result, trace_path, label=mf.name if mf else None, deadlock_checked=False)
    run.json = {
        "engine": "prove" if args.prove else "bmc",
        "verdict": result.verdict, "property": result.property, "property_kind": result.property_kind,
        "message": result.message, "stopped_by": result.stopped_by, "spec": model.name,
        "path": model.path, "depth": result.depth, "elapsed_s": round(result.elapsed, 4),
        "encode_s": round(built, 4), "trace": str(trace_path) if trace_path else None,
        "trace_length": len(result.trace) if result.trace else None,
        "exit_code": result.exit_code,
    }
    if facts is not None:
        run.json.update(assumed=[p.name for p in facts.facts], lemmas_s=round(facts.elapsed, 4))
    if proof is not None:
        run.json.update(proof=proof.verdict, proved=proof.proved,
                        not_inductive=[c.prop for c in proof.ctis],
                        step_s={n: round(t, 4) for n, t in proof.times.items()})
    return result.exit_code, run


def _progress(depth, elapsed):
    import sys
    print(f"BMC: depth {depth} checked ({elapsed:.1f}s)", file=sys.stderr, flush=True)


def _print_facts(facts, out):
    if facts.reason:
        out(f"--bmc-lemmas: none assumed ({facts.reason}).")
    else:
        out(f"--bmc-lemmas: assumed in every state, proved inductive for this model in "
            f"{facts.elapsed:.1f}s: {', '.join(p.name for p in facts.facts) or 'none'}"
            + (f" (not: {', '.join(facts.dropped)})" if facts.dropped else ""))


def _proof_result(proof) -> Result:
    if proof.violation is not None:
        return proof.violation
    if proof.verdict == "proved":
        return Result("ok", 0, 0, 0, 0, proof.elapsed)
    res = Result("incomplete", 0, 0, 0, 0, proof.elapsed)
    res.message = proof.reason or ("not inductive: " + ", ".join(c.prop for c in proof.ctis))
    return res


def _print_bmc(model, result, trace_path, built, args, out):
    from checker.traces.report import describe_verdict, format_trace
    if result.verdict in ("violation", "error"):
        out(describe_verdict(result))
        if result.trace:
            out("The behavior up to this point is:" if result.verdict != "error"
                else "The behavior that reaches the failing state is:")
            out(format_trace(model, result.trace))
            out(f"Trace ({len(result.trace)} states) written to {trace_path}")
    elif args.bmc and not args.prove:
        why = f" ({result.message})" if result.message else ""
        if result.stopped_by == "max-depth":
            out(f"No violation in any behavior of up to {result.depth} states (bounded: not a proof).")
        else:
            out(f"BMC stopped at depth {result.depth}{why}" + (" by the timeout" if result.stopped_by == "timeout" else "")
                + "; no violation up to there.")
    out(f"Encoded in {built:.2f}s; finished in {result.elapsed:.2f}s.")


def _print_proof(model, proof, out):
    if proof.violation is not None:
        return
    if proof.verdict == "unknown":
        out(f"Undetermined: {proof.reason}")
        return
    steps = {p.name for p in model.action_properties}
    for name in proof.proved:
        out(f"Proved on every step from the invariant: {name}" if name in steps else f"Proved inductive: {name}")
    for cti in proof.ctis:
        out(format_cti(model, cti))
    if proof.verdict == "proved":
        out("Every invariant checked is proved for every reachable state (with the lemmas above).")
    else:
        out("Not proved: the invariants above with a counterexample to induction need stronger lemmas "
            "(or are false: try --bmc with a larger depth).")


def format_cti(model, cti) -> str:
    """A counterexample to induction, as IVy prints one: the states, the step, what breaks."""
    lines = [f"Not inductive: {cti.prop}. Counterexample to induction (states satisfying "
             f"{', '.join(cti.assumed) or 'only their types'}):"]
    first = cti.states[0]
    lines.append("State 1 (assumed):")
    for n, t, v in zip(model.var_names, model.var_types, first):
        lines.append(f"  {n} = {show(v, t)}")
    for i, ((act, params), st) in enumerate(zip(cti.steps, cti.states[1:]), start=2):
        ps = ", ".join(f"{n}={_param(model, act, n, v)}" for n, v in params)
        lines.append(f"State {i}: {act}{'(' + ps + ')' if ps else ''}")
        prev = cti.states[i - 2]
        for n, t, v, w in zip(model.var_names, model.var_types, st, prev):
            if v != w:
                lines.append(f"  {n} = {show(v, t)}    (was {show(w, t)})")
    lines.append(f"  ... and {cti.prop} is false here. Write a lemma that excludes state 1 "
                 f"if it is unreachable.")
    return "\n".join(lines)


def _param(model, act, name, v):
    if act in model.action_names:
        t = model.action_params.get(model.action_names.index(act), {}).get(name)
        if t is not None:
            return show(v, t)
    return repr(v)


# how a sample is explored, besides its constants: a breadth-first prefix, or random walks
SAMPLE_BOUNDS = {"max_states": lambda v: v.isdigit() and int(v) > 0,
                 "walks": lambda v: all(x.isdigit() and int(x) > 0 for x in v.split("x")) and v.count("x") == 1}


def infer_samples(model, args) -> list:
    """The configurations --infer explores: --infer-from's, else the model's own with
    the size of its scalarset set to 2 (the group spec: CONSUMERS=2)."""
    from checker.lang import ast as A
    from checker.lang.errors import UsageError
    base = {n: model.constant_text(n) for n in model.checked.consts}
    if args.infer_from:
        out = []
        for text in args.infer_from:
            conf = dict(base)
            for item in text.split(","):
                name, eq, value = item.partition("=")
                if not eq or name.strip() not in set(base) | set(SAMPLE_BOUNDS):
                    raise UsageError(f"--infer-from {text}: expected NAME=V[,NAME=V] with NAME one of "
                                     f"the spec's constants ({', '.join(sorted(base)) or 'none'}) or "
                                     f"{' or '.join(SAMPLE_BOUNDS)}")
                if name.strip() in SAMPLE_BOUNDS and not SAMPLE_BOUNDS[name.strip()](value.strip()):
                    raise UsageError(f"--infer-from {text}: {name.strip()} takes "
                                     f"{'N' if name.strip() == 'max_states' else 'RUNSxSTEPS'} (positive integers)")
                conf[name.strip()] = value.strip()
            out.append(conf)
        return out
    for d in model.checked.spec.decls:
        if isinstance(d, A.TypeDecl) and isinstance(d.type, A.ScalarsetTypeExpr) \
                and isinstance(d.type.size, A.Name) and d.type.size.name in base:
            return [{**base, d.type.size.name: "2"}]
    return [base]


def run_infer(mf, model, args, out=print):
    """--prove --infer: lemmas from reachable states, Houdini, the properties proved."""
    from checker.symbolic.infer import infer, lemma_source, write_block
    from checker.traces.ci_reports import Run
    start = time.perf_counter()
    consts = {n: model.constant_text(n) for n in model.checked.consts}
    samples = infer_samples(model, args)
    progress = None if (args.json or args.quiet) else _progress_line
    extra = {} if args.infer_generalise is None else {"generalise": args.infer_generalise}
    rep = infer(model, consts, samples, timeout=args.timeout, progress=progress, **extra)
    elapsed = time.perf_counter() - start
    if rep.reason or rep.not_proved:
        result = Result("incomplete", 0, 0, 0, 0, elapsed)
        result.message = rep.reason or ("not proved: " + ", ".join(c.prop for c in rep.not_proved))
    else:
        result = Result("ok", 0, 0, 0, 0, elapsed)
    if not args.json:
        for line in infer_lines(model, rep, samples):
            out(line)
    written = None
    if args.infer_write:
        written = write_block(model.checked.spec.path, rep.lemmas, rep)
        if not args.json:
            out(f"Wrote {len(rep.lemmas)} lemmas into {written}.")
    run = Run(model, result, None, label=mf.name if mf else None, deadlock_checked=False)
    run.json = {
        "engine": "prove-infer", "verdict": result.verdict, "spec": model.name, "path": model.path,
        "proved": rep.proved, "not_proved": [c.prop for c in rep.not_proved], "reason": rep.reason,
        "candidates": rep.candidates, "generalised": rep.generalised, "encoded": rep.encoded, "false_initially": rep.false_initially,
        "unused": rep.unused, "dropped_by_houdini": rep.dropped, "kept": rep.kept, "rounds": rep.rounds,
        "lemmas": lemma_source(rep.lemmas) if rep.lemmas else "", "lemma_count": len(rep.lemmas),
        "samples": [{"constants": c, "states": n, "seconds": round(t, 3)} for c, n, t in rep.configs],
        "phase_s": {k: round(v, 3) for k, v in rep.times.items()}, "elapsed_s": round(elapsed, 3),
        "exit_code": result.exit_code,
    }
    return result.exit_code, run


def _progress_line(text):
    import sys
    print(f"--infer: {text}", file=sys.stderr, flush=True)


def infer_lines(model, rep, samples) -> list:
    """The report of --prove --infer, as text lines."""
    base = {n: model.constant_text(n) for n in model.checked.consts}
    lines = []
    for conf, n, t in rep.configs:
        diff = ", ".join(f"{k}={v}" for k, v in conf.items() if base.get(k) != v) or "the model's own"
        lines.append(f"Explored {diff}: {n:,} states in {t:.1f}s.")
    lines.append(f"Candidates: {rep.candidates:,} from templates, {rep.generalised:,} generalised from counterexamples; "
                 f"encoded for z3 (called for): {rep.encoded:,}; false initially: "
                 f"{rep.false_initially:,}; called for by no counterexample: {rep.unused:,}; dropped by Houdini: {rep.dropped:,} in {rep.rounds} "
                 f"rounds; inductive together: {rep.kept:,}; used by the proof: {len(rep.lemmas)}.")
    lines.append("Times: " + ", ".join(f"{k} {v:.1f}s" for k, v in rep.times.items()) + ".")
    if rep.reason:
        lines.append(f"Undetermined: {rep.reason}; nothing is proved.")
        return lines
    for name in rep.proved:
        lines.append(f"Proved: {name}")
    for cti in rep.not_proved:
        lines.append(format_cti_grouped(model, cti))
    if rep.lemmas:
        lines.append("The inferred lemmas the proof uses (gdsl, to paste into the spec):")
        from checker.symbolic.infer import lemma_source
        lines.extend(lemma_source(rep.lemmas).rstrip("\n").split("\n"))
    if rep.not_proved:
        lines.append("Not proved: the properties above with a counterexample to induction.")
    else:
        lines.append("Every property checked is proved for every reachable state (with the lemmas above).")
    return lines


def format_cti_grouped(model, cti) -> str:
    """A CTI as people read one: the first state grouped by the coordinator's variables
    and each consumer's entries, the step, the next state's per-entry changes, and the
    part of the property that fails."""
    from checker.engine.statediff import change_text, changes
    from checker.lang.types import MapT, ScalarsetT, domain
    first = cti.states[0]
    lines = [f"Not proved: {cti.prop}. Counterexample to induction, from a state satisfying it and "
             f"what is proved ({len(cti.assumed)} properties and lemmas):", "State 1 (assumed):"]
    per = {}
    for n, t, v in zip(model.var_names, model.var_types, first):
        if isinstance(t, MapT) and isinstance(t.key, ScalarsetT):
            for k, x in zip(domain(t.key), v):
                per.setdefault(show(k, t.key), []).append(f"{n} = {show(x, t.value)}")
        else:
            per.setdefault("", []).append(f"{n} = {show(v, t)}")
    lines.append("  global (the coordinator, the world):")
    lines += [f"    {x}" for x in per.pop("", [])]
    for who, xs in per.items():
        lines.append(f"  {who}:")
        lines += [f"    {x}" for x in xs]
    for i, ((act, params), st) in enumerate(zip(cti.steps, cti.states[1:]), start=2):
        ps = ", ".join(f"{n}={_param(model, act, n, v)}" for n, v in params)
        lines.append(f"State {i}: {act}{'(' + ps + ')' if ps else ''}")
        lines += [f"  {change_text(c)}" for c in changes(model, cti.states[i - 2], st)]
    failed = getattr(cti, "failed", "")
    lines.append(f"  ... and {cti.prop} is false" + (f": {failed}" if failed else "") + ".")
    return "\n".join(lines)
