"""The state as a tuple of variables, and SSA names for them inside compiled code.

The problem: an action reads and writes the state variables as imperative code
does, but a state is an immutable tuple, and copying it for each assignment
would cost more than the action's work. The invariant: a state is the tuple of
the variables' values in declaration order; compiled code unpacks it into
locals s_<var>, and every assignment binds a fresh local (v_x_1, v_x_2, ...,
one counter for the whole module, so no two locals of a function collide)
recorded in an environment {spec name: Python local}; the successor is the
tuple of what the environment holds at the end. The cost: one local per
assignment, no copy. Public entry point: the `StateLayout` methods
`state_tuple`, `unpack` and `fresh`.
"""
from __future__ import annotations

import re

from checker.lang import ast as A
from checker.lang.errors import SpecError


class StateLayout:
    """State tuples and SSA names of the Compiler (checker/compile/compiler.py)."""

    def state_tuple(self, env) -> str:
        parts = []
        for v in self.var_names:
            if v not in env:
                decl = self.c.var(v).decl
                raise SpecError(f"variable {v!r} is not given an initial value on every path of init", decl.pos)
            parts.append(env[v])
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"

    def unpack(self, w, depth, source="s", prefix="s_"):
        names = [f"{prefix}{v}" for v in self.var_names]
        w(depth, f"{', '.join(names)}{',' if len(names) == 1 else ''} = {source}")
        return {v: f"{prefix}{v}" for v in self.var_names}

    def var_src(self, e: A.Name, env) -> str:
        if e.name not in env:
            raise SpecError(f"{e.name!r} is read before it is given a value", e.pos)
        return env[e.name]

    def fresh(self, base: str) -> str:
        return f"{base}_{next(self.counter)}"

    def is_var(self, name):
        return name in self.var_types

    @staticmethod
    def ssa_base(name):
        return f"v_{name}"

    def named(self, w, depth, src, base) -> str:
        """`src` itself if it is a name or a literal, else a fresh local holding it."""
        if _SIMPLE.fullmatch(src):
            return src
        py = self.fresh(base)
        w(depth, f"{py} = {src}")
        return py


_SIMPLE = re.compile(r"-?\d+|[A-Za-z_]\w*")           # a literal or a name: no need of a local
