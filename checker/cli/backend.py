"""`--backend python|native|auto`: which backend explores, and the header line saying why.

The problem: the native backend (checker/native) explores much faster, but not yet
every run: it does not simulate, and
a spec may use a construct it cannot compile yet, and it needs a C compiler. The
invariant: `auto` takes native exactly when it can answer the whole question,
and otherwise runs Python and says why in one `Backend:` line (the construct's
spec line and column when that is the reason); `native` refuses instead (exit 2,
the same reason); `python` never compiles C. The cost: under auto, generating the
C file and (once per configuration, cached) compiling it. Public entry point:
`choose(model, opts, args, whole_graph)`.
"""
from __future__ import annotations

from checker.lang.errors import SpecError, UsageError

BACKENDS = ("python", "native", "auto")


def _obstacle(model, opts, args, whole_graph) -> str | None:
    """Why the native backend cannot answer this run, or None."""
    if args.simulate:
        return "it does not simulate (--simulate) yet"
    return None


def choose(model, opts, args, whole_graph):
    """(a prepared NativeSearch or None, the `Backend:` line)."""
    wanted = getattr(args, "backend", "auto") or "auto"
    if wanted == "python":
        return None, "Backend: python"
    from checker.native.build import CompileFailed, NoCompiler
    from checker.native.engine import NativeSearch
    reason = _obstacle(model, opts, args, whole_graph)
    native = None
    if reason is None:
        try:
            native = NativeSearch(model, opts.get("symmetry")).prepare()
        except NoCompiler as e:
            reason = str(e)
        except CompileFailed as e:
            reason = str(e)
        except SpecError as e:            # encoding.Unsupported: a construct, located
            if wanted == "native":
                raise
            reason = f"{e.message} ({e.path}:{e.line}:{e.col})"
    if native is None:
        if wanted == "native":
            raise UsageError(f"--backend native: the native backend cannot run this: {reason}")
        return None, f"Backend: python (native backend off: {reason})"
    how = "cached" if native.cached else f"compiled in {native.prepare_seconds:.1f}s"
    return native, f"Backend: native (C, {how})"
