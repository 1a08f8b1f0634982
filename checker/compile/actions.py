"""init_states and successors: every action, its guard hoisted, its parameters looped over.

The problem: `successors(s)` is the hot path of every engine, called once per
state, and most actions are disabled in most states; a guard tested after the
parameter loops, or a parameter loop over values the guard rejects, is work done
for nothing. The invariant: each conjunct of a guard is tested as soon as the
parameters it reads are bound, and never before a conjunct that precedes it (so
`has(m, k) and m[k] ...` keeps its protection); the parameter-free ones are tested
before the action's code runs at all; successors come out in the order of the
actions, then of the parameter values, then of the choices, as the spec's
semantics lists them. The cost: per state, one unpacking of the state, the
zero-argument functions many guards share computed once, and one call per large
action (see `successor_function`). Public entry point: `Actions.init_function`
and `Actions.successor_function`.
"""
from __future__ import annotations

import re

from checker.lang import ast as A
from checker.lang.types import BoolT, EnumT, IntT

from .source import Writer


class Actions:
    """Actions and init of the Compiler (checker/compile/compiler.py)."""

    def init_function(self, w):
        w(0, "def init_states():")
        w(1, "_out = []")
        self.cps_block(w, 1, self.c.init, 0, {}, lambda depth, env, _picks: w(depth, f"_out.append({self.state_tuple(env)})"))
        w(1, "return _out")
        w(0, "")

    def successor_function(self, w, fname, labelled):
        """`fname(s)`: unpack the state, compute once the zero-argument functions of the
        state that many guards call (joinDue(), ...), then each action in order, behind
        its parameter-free guard. A large action is a function of its own: CPython
        clears every local slot of a frame on entry and exit, and a spec's actions
        together can have thousands of locals (the group spec's 2,500 cost 18 us a
        state, as much as its actions' work), while a call costs 0.1 us."""
        base = {v: f"s_{v}" for v in self.var_names}
        self.cache, self.base_env = {}, base
        functions, calls, inline_locals = Writer(), Writer(), len(base) + 1
        for act in self.c.actions:
            self.cache_used = set()
            body = Writer()
            guard = self.action_code(body, act, base, labelled)
            comment, code = body.lines[0], body.lines[1:]
            calls.lines.append(comment)
            n = len(_assigned_names(code))
            if n <= _INLINE_LOCALS and inline_locals + n <= _DRIVER_LOCALS:
                inline_locals += n
            else:
                args = "s, _out" + "".join(", " + self.cache[name] for name in sorted(self.cache_used))
                func = f"{fname}_{act.index}_{act.name}"
                functions(0, f"def {func}({args}):")
                self.unpack(functions, 1)
                functions.lines.extend(body.lines)
                functions(0, "")
                code = [f"    {func}({args})"]
            if guard is not None:
                calls(1, f"if {guard}:")
                code = ["    " + line for line in code]
            calls.lines.extend(code)
        self.cache_used = None
        w.lines.extend(functions.lines)
        w(0, f"def {fname}(s):")
        w(1, "_out = []")
        self.unpack(w, 1)
        done = set()
        for name in list(self.cache):
            self.cached_value(w, name, base, done)
        self.cache = self.cache_used = None
        w.lines.extend(calls.lines)
        w(1, "return _out")
        w(0, "")

    def action_code(self, w, act, base, labelled) -> str | None:
        """The action's body, as the body of a function of the state; returns the
        conjunction of its guard's parameter-free conjuncts, which the caller tests
        (None if there are none)."""
        d = act.decl
        w(1, f"# action {act.name} (line {d.pos[0]})")
        env = dict(base)
        depth = 1
        picks = []
        self.labels[act.index] = {}
        # Each conjunct of the guard is tested as soon as the parameters it uses are
        # bound, never before a conjunct that precedes it (so `has(m, k) and m[k] ...`
        # keeps its protection).
        conjuncts = A.conjuncts(d.guard) if d.guard is not None else []
        params = [p[0] for p in act.params]
        self.params = {name: t for name, t, _ in act.params}

        def place(level):
            nonlocal depth
            while conjuncts and _level(conjuncts[0], params) <= level:
                w(depth, f"if {self.expr(conjuncts.pop(0), env)}:")
                depth += 1

        outer = []
        while conjuncts and _level(conjuncts[0], params) == 0:
            outer.append(self.expr(conjuncts.pop(0), env))
        for k, (name, t, dom) in enumerate(act.params):
            py = f"p_{name}"
            src = self.iter_domain(dom, env) if dom is not None else self.type_tuple(t)
            if dom is None:
                src = self.selected_domain(conjuncts, name, src, env)
            w(depth, f"for {py} in {src}:")
            env[name] = py
            picks.append((name, py))
            self.labels[act.index][name] = t
            depth += 1
            place(k + 1)
        body = [A.Require(c, pos=c.pos) for c in conjuncts] + list(d.body)

        def emit(dep, env2, picks2):
            state = self.state_tuple(env2)
            if labelled:
                lab = "(" + "".join(f"({n!r}, {p}), " for n, p in picks2) + ")"
                w(dep, f"_out.append(({act.index}, {lab}, {state}))")
            else:
                w(dep, f"_out.append({state})")

        self.cps_block(w, depth, body, 0, env, emit, picks, act.index)
        self.params = {}
        return " and ".join(outer) if outer else None

    def selected_domain(self, conjuncts, name, src, env) -> str:
        """The parameter `name`'s loop over its type's values `src`, or, when the
        guard's next conjuncts read that parameter and one int-valued state variable
        only (TwoPhase's `rmState[rm] == working`), a lookup of the values for which
        they hold, by that variable's value (runtime._Selection); those conjuncts
        are then taken off `conjuncts`. The conjuncts are then evaluated for every
        value before the body runs for any: a spec whose guard and body both fail
        reports the guard's failure."""
        taken, var = [], None
        for c in conjuncts:
            reads = _state_reads(c)
            if A.local_names(c) != {name} or reads is None or len(reads) != 1 or (var and reads != {var}):
                break
            var = next(iter(reads))
            if not (var in self.packed or isinstance(self.c.var(var).type, (IntT, EnumT, BoolT))):
                break
            taken.append(c)
        if not taken:
            return src
        del conjuncts[:len(taken)]
        inner = {**env, var: "_v", name: f"p_{name}"}
        cond = " and ".join(self.expr(c, inner) for c in taken)
        table = self.module_const(f"_Selection(lambda _v: tuple(p_{name} for p_{name} in {src} if {cond}))",
                                  "SEL", late=True)
        return f"{table}[{env[var]}]"


# An action's code stays in the successor function if it has at most this many
# locals and the function stays within the second bound (see successor_function).
_INLINE_LOCALS, _DRIVER_LOCALS = 32, 160
_ASSIGNED = re.compile(r"^\s*(?:for\s+)?([A-Za-z_]\w*)\s*(?:=|in\b)")


def _assigned_names(lines) -> set:
    """The local names that generated code lines assign (by `=` or `for`)."""
    return {m.group(1) for m in map(_ASSIGNED.match, lines) if m is not None}


def _state_reads(e) -> set | None:
    """The state variables an expression reads, or None if it reads them in a way
    not seen here (a primed variable, a function of the state)."""
    out = set()

    def walk(x):
        if isinstance(x, A.Name) and x.kind == "var":
            out.add(x.name)
        elif isinstance(x, A.Primed) or (isinstance(x, A.Call) and x.kind == "def"):
            raise LookupError
        for child in A.children(x):
            walk(child)
    try:
        walk(e)
    except LookupError:
        return None
    return out


def _level(e, params) -> int:
    """How many leading parameters must be bound before e can be evaluated."""
    used = A.local_names(e)
    level = 0
    for k, p in enumerate(params):
        if p in used:
            level = k + 1
    return level
