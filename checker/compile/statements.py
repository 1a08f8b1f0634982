"""Statements to Python statements: SSA for assignments, continuation style for choices.

The problem: an action's body is imperative (assignments to variables and to
entries deep inside them, `if`, `for`, calls of procs), may fail a `require` or
make a `choose`, and must produce every successor without copying the state for
each statement. The invariant: a deterministic statement binds fresh locals and
returns the environment after it (branches of an `if` end by binding the same
local, a `for` carries what its body assigns); `require`, `choose`, and an `if`
or a proc call containing one, nest the rest of the block under them (`cps_block`
calls `emit` once per way through, with the choices made); every value stored is
checked to be in the range of its type, unless its own type guarantees it. The
cost: code size grows with the nesting of choices, not with the states. Public
entry point: `Statements.cps_block` (and `pure_block` for function bodies).
"""
from __future__ import annotations

from checker.lang import ast as A
from checker.lang.errors import SpecError
from checker.lang.types import AnyT, IntT, MapT, SeqT, SetT

from .facts import needs_check
from .source import Writer


class Statements:
    """Statements of the Compiler (checker/compile/compiler.py)."""

    def cps_block(self, w, depth, stmts, i, env, emit, picks=(), action=None, scope=""):
        """Compile stmts[i:] then `emit`; require/choose nest the rest below them.
        `scope` prefixes the labels of choices made inside an inlined proc ("pick.v")."""
        picks = list(picks)
        while i < len(stmts):
            s = stmts[i]
            if isinstance(s, A.Require):
                w(depth, f"if {self.expr(s.cond, env)}:")
                depth += 1
            elif isinstance(s, A.Choose):
                py = self.fresh(f"c_{s.var}")
                w(depth, f"for {py} in {self.iter_domain(s.domain, env)}:")
                env = {**env, s.var: py}
                picks.append((scope + s.var, py))
                if action is not None:
                    self.labels[action].setdefault(scope + s.var, s.domain.ty.elem)
                depth += 1
            elif isinstance(s, A.CallStmt) and s.ref.nondet:
                caller_env = env

                def resume(dep, env2, picks2, i=i, caller_env=caller_env):
                    back = {**caller_env, **{v: env2[v] for v in self.var_names if v in env2}}
                    self.cps_block(w, dep, stmts, i + 1, back, emit, picks2, action, scope)

                self.cps_block(w, depth, s.ref.decl.body, 0, self.proc_env(w, depth, s, env),
                               resume, picks, action, f"{scope}{s.name}.")
                return
            elif isinstance(s, A.If) and nondeterministic(s):
                rest = stmts[i + 1:]
                w(depth, f"if {self.expr(s.cond, env)}:")
                self.cps_block(w, depth + 1, s.then + rest, 0, dict(env), emit, picks, action, scope)
                w(depth, "else:")
                self.cps_block(w, depth + 1, s.orelse + rest, 0, dict(env), emit, picks, action, scope)
                return
            else:
                env = self.stmt(w, depth, s, env)
            i += 1
        emit(depth, env, picks)

    def pure_block(self, w, depth, stmts, env):
        start = len(w.lines)
        for s in stmts:
            env = self.stmt(w, depth, s, env)
        if len(w.lines) == start:
            w(depth, "pass")
        return env

    def stmt(self, w, depth, s, env) -> dict:
        """Compile one deterministic statement; return the environment after it."""
        if isinstance(s, A.Assign):
            return self.assign(w, depth, s, env)
        if isinstance(s, A.Let):
            py = self.fresh(f"l_{s.name}")
            w(depth, f"{py} = {self.expr(s.value, env)}")
            if s.declared is not None:
                self.bounds_check(w, depth, py, s.declared, s.value, s.name)
            return {**env, s.name: py}
        if isinstance(s, A.Return):
            result = self.expr(s.value, env)
            if self.result_type is not None and needs_check(self.result_type):
                w(depth, f"_r = {result}")
                self.bounds_check(w, depth, "_r", self.result_type, s.value, "the result")
                result = "_r"
            w(depth, f"return {result}")
            return env
        if isinstance(s, A.If):
            return self.if_stmt(w, depth, s, env)
        if isinstance(s, A.For):
            return self.for_stmt(w, depth, s, env)
        if isinstance(s, A.CallStmt):
            inner = self.proc_env(w, depth, s, env)
            for st in s.ref.decl.body:
                inner = self.stmt(w, depth, st, inner)
            return {**env, **{v: inner[v] for v in self.var_names if v in inner}}
        raise SpecError("this statement is not allowed here", s.pos)  # pragma: no cover

    def proc_env(self, w, depth, s: A.CallStmt, env) -> dict:
        """The environment a proc body runs in: the caller's state, and its arguments."""
        inner = {v: env[v] for v in self.var_names if v in env}
        for (name, t), arg in zip(s.ref.params, s.args):
            py = self.fresh(f"a_{name}")
            w(depth, f"{py} = {self.expr(arg, env)}")
            self.bounds_check(w, depth, py, t, arg, f"argument {name} of {s.name}")
            inner[name] = py
        return inner

    def if_stmt(self, w, depth, s, env):
        w(depth, f"if {self.expr(s.cond, env)}:")
        then_w, else_w = Writer(), Writer()
        env_t = self.pure_block(then_w, depth + 1, s.then, dict(env))
        env_e = self.pure_block(else_w, depth + 1, s.orelse, dict(env))
        merged = dict(env)
        tail_t, tail_e = [], []
        for name in sorted(set(env_t) | set(env_e)):
            a, b = env_t.get(name), env_e.get(name)
            if a == b:
                if a is not None and name in env:
                    merged[name] = a
                continue
            if a is None or b is None:      # assigned on one path only
                merged.pop(name, None)
                continue
            if name not in env and not self.is_var(name):
                continue                    # a let local of one branch
            py = self.fresh(self.ssa_base(name))
            tail_t.append(f"{py} = {a}")
            tail_e.append(f"{py} = {b}")
            merged[name] = py
        w.lines.extend(then_w.lines)
        for line in tail_t:
            w(depth + 1, line)
        if tail_e or [l for l in else_w.lines if l.strip() != "pass"]:
            w(depth, "else:")
            w.lines.extend(else_w.lines)
            for line in tail_e:
                w(depth + 1, line)
        return merged

    def for_stmt(self, w, depth, s, env):
        carried = {}
        for name in sorted(_assigned(s.body)):
            if name in env:
                py = self.fresh(self.ssa_base(name))
                w(depth, f"{py} = {env[name]}")
                carried[name] = py
        loop_var = self.fresh(f"f_{s.var}")
        dom = self.iter_domain(s.domain, env, ordered=True)
        w(depth, f"for {loop_var} in {dom}:")
        inner = {**env, **carried, s.var: loop_var}
        start = len(w.lines)
        after = inner
        for st in s.body:
            after = self.stmt(w, depth + 1, st, after)
        for name, py in carried.items():
            if after.get(name) != py:
                if name not in after:
                    raise SpecError(f"{name!r} may be left unassigned by this loop", s.pos)
                w(depth + 1, f"{py} = {after[name]}")
        if len(w.lines) == start:
            w(depth + 1, "pass")
        return {**env, **carried}

    def assign(self, w, depth, s: A.Assign, env) -> dict:
        lv = s.target
        lay = self.packed.get(lv.name) if lv.kind == "var" else None
        if lay is not None:
            return self.packed_assign(w, depth, s, env, lay)
        value = self.expr(s.value, env)
        if not lv.selectors:
            py = self.fresh(self.ssa_base(lv.name) if lv.kind == "var" else f"l_{lv.name}")
            w(depth, f"{py} = {value}")
            self.bounds_check(w, depth, py, lv.root_type, s.value, lv.name)
            return {**env, lv.name: py}
        if lv.name not in env:
            raise SpecError(f"{lv.name!r} is updated before it has a value", lv.pos)
        py = self.fresh(self.ssa_base(lv.name) if lv.kind == "var" else f"l_{lv.name}")
        self.updated(w, depth, lv, env[lv.name], value, s.value, env, py)
        return {**env, lv.name: py}

    def updated(self, w, depth, lv, root, value, value_expr, env, py) -> None:
        """`py = root` with the element lv's selectors name replaced by `value`."""
        # walk down the selectors, remembering each container and index (in locals,
        # unless they are already a name or a literal)
        containers = []
        cur = root
        path_t = self._lvalue_types(lv, env)
        for (kind, sel), ct in zip(lv.selectors, path_t):
            box = self.named(w, depth, cur, "_box")
            if kind == "index":
                idx = self.named(w, depth, self.key_index(ct, self.expr(sel, env)), "_i")
                containers.append((box, idx, ct))
                cur = f"{box}[{idx}]"
            else:
                slot = ct.slot(sel)
                containers.append((box, str(slot), ct))
                cur = f"{box}[{slot}]"
        new = self.named(w, depth, value, "_new")
        leaf_t = path_t[-1]
        last_kind, last_sel = lv.selectors[-1]
        leaf_type = self._leaf_type(leaf_t, last_kind, last_sel)
        self.bounds_check(w, depth, new, leaf_type, value_expr, lv.name)
        for k, (box, idx, ct) in reversed(list(enumerate(containers))):
            nxt = py if k == 0 else self.fresh("_new")
            if isinstance(ct, SeqT) or (isinstance(ct, MapT) and isinstance(ct.key, IntT)):
                w(depth, f"{nxt} = _upd({box}, {idx}, {new})")
            else:
                # a list copy and one store: cheaper than slicing and concatenating
                w(depth, f"{nxt} = list({box})")
                w(depth, f"{nxt}[{idx}] = {new}")
                w(depth, f"{nxt} = tuple({nxt})")
            new = nxt

    def _lvalue_types(self, lv, env):
        """The type of each container along an lvalue's selector path."""
        t = lv.root_type
        out = []
        for kind, sel in lv.selectors:
            out.append(t)
            if kind == "index":
                t = t.value if isinstance(t, MapT) else t.elem
            else:
                t = t.fields[t.slot(sel)][1]
        return out

    @staticmethod
    def _leaf_type(ct, kind, sel):
        if kind == "index":
            return ct.value if isinstance(ct, MapT) else ct.elem
        return ct.fields[ct.slot(sel)][1]

    def bounds_check(self, w, depth, py, t, value_expr, what):
        """A run-time check that py holds a value of t's range (skipped when the value's
        own type already guarantees it)."""
        if isinstance(t, IntT) and t.finite:
            vt = value_expr.ty if value_expr is not None else None
            if isinstance(vt, IntT) and vt.finite and t.lo <= vt.lo and vt.hi <= t.hi:
                return
            w(depth, f"if not ({t.lo} <= {py} <= {t.hi}): _out_of_range({what!r}, {py}, {t.lo}, {t.hi})")
        elif isinstance(t, SeqT) and t.bound is not None:
            w(depth, f"if len({py}) > {t.bound}: _seq_overflow({what!r}, {py}, {t.bound})")
        elif isinstance(t, SetT) and isinstance(t.elem, IntT) and t.elem.finite:
            vt = value_expr.ty if value_expr is not None else None
            e = vt.elem if isinstance(vt, SetT) else None
            if isinstance(e, AnyT) or isinstance(e, IntT) and e.finite and t.elem.lo <= e.lo and e.hi <= t.elem.hi:
                return                                      # `{}`, or elements of a narrower range
            w(depth, f"if {py} and not ({t.elem.lo} <= min({py}) and max({py}) <= {t.elem.hi}): "
                     f"_set_out_of_range({what!r}, {py}, {t.elem.lo}, {t.elem.hi})")


def nondeterministic(s) -> bool:
    """Does this statement (or one inside it, or a proc it calls) contain require or choose?"""
    if isinstance(s, (A.Require, A.Choose)):
        return True
    if isinstance(s, A.CallStmt):
        return s.ref.nondet
    if isinstance(s, A.If):
        return any(nondeterministic(x) for x in s.then + s.orelse)
    return False


def _assigned(stmts) -> set:
    """Names a block may assign, including state variables assigned by procs it calls."""
    out = set()
    for s in stmts:
        if isinstance(s, A.Assign):
            out.add(s.target.name)
        elif isinstance(s, A.If):
            out |= _assigned(s.then) | _assigned(s.orelse)
        elif isinstance(s, A.For):
            out |= _assigned(s.body)
        elif isinstance(s, A.CallStmt):
            out |= {n for n in _assigned(s.ref.decl.body) if n not in {p[0] for p in s.ref.params}}
    return out
