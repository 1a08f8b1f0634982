"""The spec's functions (def): one Python function each, and calls computed ahead.

The problem: a function is called from guards, bodies and properties, often with
no argument and the same state (joinDue(), coordinatorFree()), and a function of
constants only has one value. The invariant: `def f(params) reads vars` becomes
`d_f(p_..., s_...)`, the state variables it reads passed as arguments (so a
property can tell from its text what it reads); a call is computed ahead of its
use only if it cannot fail (`facts.safe_def`): once when the module loads if the
function reads no state, once per state in `successors` (a local _q_f) if it
reads only the state as the action found it. The cost: one Python call per call
that is not computed ahead. Public entry point: `Functions.def_function` and
`Functions.def_call`.
"""
from __future__ import annotations

from .facts import needs_check, safe_def


class Functions:
    """Spec functions of the Compiler (checker/compile/compiler.py)."""

    def def_function(self, w, info):
        d = info.decl
        reads = sorted(info.reads)
        env = {n: f"p_{n}" for n, _ in info.params}
        env.update({v: f"s_{v}" for v in reads})
        args = [f"p_{n}" for n, _ in info.params] + [f"s_{v}" for v in reads]
        w(0, f"def d_{d.name}({', '.join(args)}):")
        for (n, t), p in zip(info.params, d.params):
            self.bounds_check(w, 1, f"p_{n}", t, None, f"argument {n} of {d.name}")
        if isinstance(d.body, list):
            self.result_type = info.result
            self.pure_block(w, 1, d.body, env)
            self.result_type = None
        else:
            result = self.expr(d.body, env)
            if needs_check(info.result):
                w(1, f"_r = {result}")
                self.bounds_check(w, 1, "_r", info.result, d.body, f"the result of {d.name}")
                result = "_r"
            w(1, f"return {result}")
        w(0, "")

    def cached_value(self, w, name, base, done) -> None:
        """`_q_name = <the body of zero-argument function name>`, after the cached
        values it uses (joinDue() inside coordinatorFree() is computed once)."""
        if name in done:
            return
        done.add(name)
        self.cache_used = set()
        value = self.expr(self.c.defs[name].decl.body, base)
        for dep in sorted(self.cache_used):
            self.cached_value(w, dep, base, done)
        w(1, f"{self.cache[name]} = {value}")

    def def_call(self, e, args, env) -> str:
        """A call of a spec function: a module constant, a value cached for the state,
        or a call of d_<name> (`args`: the compiled arguments)."""
        info = e.ref
        reads = sorted(info.reads)
        if not args and safe_def(info, self.c.defs):
            if not reads:                                   # a function of constants only
                return self.module_const(f"d_{e.func}()", late=True, pos=e.pos)
            if self.cache is not None and all(env.get(v) == self.base_env.get(v) for v in reads):
                self.cache_used.add(e.func)
                return self.cache.setdefault(e.func, f"_q_{e.func}")
        extra = [env[v] for v in reads]
        return f"d_{e.func}({', '.join(args + extra)})"
