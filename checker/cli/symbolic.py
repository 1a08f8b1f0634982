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
    if not args.json:
        out("Deadlocks are not checked by --bmc/--prove.")
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
    for name in proof.proved:
        out(f"Proved inductive: {name}")
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
