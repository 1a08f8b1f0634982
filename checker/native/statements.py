"""gdsl statements to C statements: in-place updates of a working state, and
continuation style for `require`, `choose` and the procs that contain them.

The problem: an action body assigns variables and entries in order (later
statements see earlier ones), may fail a `require` or branch on a `choose`, and
must hand every successor to the search. The invariant: the body works on a copy
of the state (a C struct, "$s" in the environment), updated in place; a `choose`
nests the rest of the block in a loop that copies the working state and every
local first (each branch starts from the same values); `require` nests the rest
under an `if`; an `if` holding either, and a nondeterministic proc call, compile
the rest of the block into each way through; at the end, `emit` is called with
the choices made (the labels a trace shows). Every value stored is checked to be
in its type's range, as the Python backend checks it. The cost: a struct copy per
action instance and per choice, no allocation. Public entry point:
`CStatements.block` (and `pure` for function bodies).
"""
from __future__ import annotations

from checker.compile.statements import nondeterministic
from checker.lang import ast as A
from checker.lang.types import INT, IntT, RecordT, SeqT, TupleT, component_types

from .encoding import Unsupported, is_keyed, is_scalar, strides


class CStatements:
    """Statements of the C generator (checker/native/codegen.py)."""

    def block(self, w, stmts, i, env, emit, picks=(), scope=""):
        """Compile stmts[i:] then `emit(w, env, picks)`; nondeterminism nests the rest."""
        picks = list(picks)
        opened = 0
        while i < len(stmts):
            s = stmts[i]
            if isinstance(s, A.Require):
                w(f"if ({self.expr(s.cond, env)}) {{")
                opened += 1
            elif isinstance(s, A.Choose):
                header, env = self.loop(s.var, s.domain, env)
                w(header + " {")
                opened += 1
                env = self.copy_working(w, env)
                c, t = env[s.var]
                picks.append((scope + s.var, c, t))
            elif isinstance(s, A.CallStmt) and s.ref.nondet:
                caller = env

                def resume(w2, env2, picks2, i=i, caller=caller):
                    back = {**caller, "$s": env2["$s"]}
                    self.block(w2, stmts, i + 1, back, emit, picks2, scope)
                self.block(w, s.ref.decl.body, 0, self.proc_env(w, s, env), resume, picks,
                           f"{scope}{s.name}.")
                break
            elif isinstance(s, A.If) and nondeterministic(s):
                rest = stmts[i + 1:]
                # one way is taken: each works on the same state and locals, no copy
                w(f"if ({self.expr(s.cond, env)}) {{")
                self.block(w, s.then + rest, 0, dict(env), emit, picks, scope)
                w("} else {")
                self.block(w, s.orelse + rest, 0, dict(env), emit, picks, scope)
                w("}")
                break
            else:
                env = self.stmt(w, s, env)
            i += 1
        else:
            emit(w, env, picks)
        w("}" * opened)

    def copy_working(self, w, env) -> dict:
        """Fresh copies of the working state and of every local: a branch of its own."""
        out = dict(env)
        st = self.fresh("w")
        w(f"S {st} = {env['$s']};")
        out["$s"] = st
        for name, val in env.items():
            if name.startswith("$") or not val[2:]:
                continue
            c = self.fresh(f"l_{name}")
            w(f"{self.ctype(val[1])} {c} = {val[0]};")
            out[name] = (c, val[1], True)
        return out

    def pure(self, w, stmts, env):
        for s in stmts:
            env = self.stmt(w, s, env)
        return env

    def stmt(self, w, s, env) -> dict:
        """One deterministic statement; the environment after it."""
        if isinstance(s, A.Let):
            t = s.declared if s.declared is not None else self.ty(s.value, env)
            if s.declared is None and isinstance(t, IntT):
                t = INT                      # an undeclared let is any int, as in Python
            c = self.fresh(f"l_{s.name}")
            w(f"{self.ctype(t, s.pos)} {c} = {self.stored(t, s.value, env, s.name)};")
            return {**env, s.name: (c, t, True)}
        if isinstance(s, A.Assign):
            self.assign(w, s, env)
            return env
        if isinstance(s, A.If):
            w(f"if ({self.expr(s.cond, env)}) {{")
            self.pure(w, s.then, dict(env))
            if s.orelse:
                w("} else {")
                self.pure(w, s.orelse, dict(env))
            w("}")
            return env
        if isinstance(s, A.For):
            header, inner = self.loop(s.var, s.domain, env)
            w(header + " {")
            self.pure(w, s.body, inner)
            w("}")
            return env
        if isinstance(s, A.Return):
            w(f"return {self.stored(self.result_type, s.value, env, 'the result')};")
            return env
        if isinstance(s, A.CallStmt):
            w("{")
            self.pure(w, s.ref.decl.body, self.proc_env(w, s, env))
            w("}")
            return env
        raise Unsupported(f"the statement {type(s).__name__} here", s.pos)

    def proc_env(self, w, s, env) -> dict:
        """A proc body's environment: the caller's working state and its arguments."""
        inner = {"$s": env["$s"]}
        for (name, t), arg in zip(s.ref.params, s.args):
            c = self.fresh(f"a_{name}")
            w(f"{self.ctype(t, arg.pos)} {c} = {self.stored(t, arg, env, f'argument {name} of {s.name}')};")
            inner[name] = (c, t)
        return inner

    def assign(self, w, s, env):
        """`x = v`, `x[k] = v`, `x.f = v` and paths of them: the value first, then the
        path down to the entry (a partial map's key marked present when it is the
        last step, else required to be), then the store."""
        lv = s.target
        if lv.kind == "var":
            target, t = f"{env['$s']}.{lv.name}", lv.root_type
        else:
            target, t = env[lv.name][0], env[lv.name][1]
        pre = []
        for n, (kind, sel) in enumerate(lv.selectors):
            last = n == len(lv.selectors) - 1
            if kind == "index" and isinstance(t, SeqT):
                i = self.fresh("_i")
                pre.append(f"int64_t {i} = {self.expr(sel, env)}; if ({i} < 0 || {i} >= {target}.len) "
                           f"{{ mc_fail(\"sequence index out of range\"); {i} = 0; }}")
                target, t = f"{target}.a[{i}]", t.elem
            elif kind == "index" and is_keyed(t):
                k = self.fresh("_k")
                pre.append(f"int64_t {k} = {self.ordinal(t.key, self.expr(sel, env), sel, 'a map key')};")
                if not t.total:
                    pre.append(f"{target}.has |= 1ULL << {k};" if last else
                               f"if (!({target}.has >> {k} & 1)) mc_fail(\"the key is not in the map\");")
                target, t = f"{target}.a[{k}]", t.value
            elif kind == "field" and isinstance(t, (RecordT, TupleT)) and not is_scalar(t):
                slot = t.slot(sel)
                target, t = f"{target}.f{slot}", component_types(t)[slot]
            elif kind == "field" and isinstance(t, (RecordT, TupleT)) and last:
                slot = t.slot(sel)
                ft, stride = component_types(t)[slot], strides(t)[slot]
                new = self.ordinal(ft, self.stored(ft, s.value, env, f"{lv.name}.{sel}"), s.value, f"{lv.name}.{sel}")
                old = self.ordinal(ft, self.component(t, target, slot))
                w(f"{{ int64_t _v = {new}; {' '.join(pre)} {target} += (_v - {old}) * {stride}LL; }}")
                return
            else:
                raise Unsupported(f"assigning this part of a value of type {t}", lv.pos)
        value = self.stored(t, s.value, env, lv.name)
        if not pre:
            w(f"{target} = {value};")
        else:
            w(f"{{ {self.ctype(t, lv.pos)} _v = {value}; {' '.join(pre)} {target} = _v; }}")
