"""Sequential assignment read back: the warning a TLA+ author needs.

The problem: an action's statements run in order, so after `x = x + 1` a later
`y = x` reads the new x; in TLA+, `x' = x + 1 /\\ y' = x` reads the old one. A
translation that keeps TLA+'s order silently changes the spec. The invariant:
every read of a state variable written in the action (a function that reads it
is not followed: its reads cannot be marked) after a statement of the same action that may have assigned it (in either branch
of an if, in an earlier loop, in a called proc) is reported as a warning at the read,
naming the assignment's line, unless it is written `x'`, which says "the value
assigned above" on purpose (and is an error where nothing before assigns x).
Reads in `init` are not reported (TLA+'s Init reads no primes either). The cost:
one walk of each action's statements after type checking, linear in their size.
Public entry point: `sequential_reads(checked)`, the warnings of a checked spec.
"""
from __future__ import annotations

import dataclasses

from . import ast as A
from .errors import SpecError, SpecWarning

_HOW = ("write {v}' to read the new value on purpose, or read it before the assignment "
        "(`let old = {v}`) for TLA+'s meaning")


def mark_primed_reads(body: list) -> None:
    """In an action's statements, `x'` becomes a read of x marked intentional (a
    Name with `marked`), before type checking: the backends never see it primed."""
    def walk(node):
        for f in dataclasses.fields(node):
            if f.name in ("ref", "ty", "declared", "root_type"):
                continue
            value = getattr(node, f.name)
            setattr(node, f.name, _replace(value, walk))
    for s in body:
        walk(s)


def _replace(value, walk):
    if isinstance(value, A.Primed):
        return A.Name(value.name, pos=value.pos, marked=True)
    if isinstance(value, A.Node):
        walk(value)
        return value
    if isinstance(value, list):
        return [_replace(v, walk) for v in value]
    if isinstance(value, tuple):
        return tuple(_replace(v, walk) for v in value)
    return value


def sequential_reads(checked) -> list:
    """The warnings for the spec's actions (raises SpecError for a marked read
    of a variable nothing before it assigns)."""
    out = []
    procs = {name: _assigned_by(info.decl.body, checked.procs) for name, info in checked.procs.items()}
    for action in checked.actions:
        _Walk(out, procs, checked.spec).block(action.decl.body, {})
    return out


def assigned_variables(checked, body) -> set:
    """The state variables a list of statements (an action's body) may assign, through
    the procs it calls too."""
    return _assigned_by(body, checked.procs)


def _assigned_by(body, procs, seen=()) -> set:
    """The state variables a list of statements may assign (through procs too)."""
    out = set()
    for s in body:
        if isinstance(s, A.Assign) and s.target.kind == "var":
            out.add(s.target.name)
        elif isinstance(s, A.If):
            out |= _assigned_by(s.then, procs, seen) | _assigned_by(s.orelse, procs, seen)
        elif isinstance(s, A.For):
            out |= _assigned_by(s.body, procs, seen)
        elif isinstance(s, A.CallStmt) and s.name in procs and s.name not in seen:
            out |= _assigned_by(procs[s.name].decl.body, procs, seen + (s.name,))
    return out


class _Walk:
    def __init__(self, out, procs, spec):
        self.out, self.procs, self.spec = out, procs, spec

    def block(self, body, assigned: dict) -> dict:
        """assigned: variable -> line of a statement that may have assigned it."""
        for s in body:
            assigned = self.stmt(s, assigned)
        return assigned

    def stmt(self, s, assigned):
        if isinstance(s, A.Assign):
            for kind, sel in s.target.selectors:
                if kind == "index":
                    self.expr(sel, assigned)
            self.expr(s.value, assigned)
            if s.target.kind == "var":
                assigned = {**assigned, s.target.name: s.pos[0]}
        elif isinstance(s, (A.Let, A.Return)):
            self.expr(s.value, assigned)
        elif isinstance(s, A.Require):
            self.expr(s.cond, assigned)
        elif isinstance(s, A.Choose):
            self.expr(s.domain, assigned)
        elif isinstance(s, A.If):
            self.expr(s.cond, assigned)
            a, b = self.block(s.then, assigned), self.block(s.orelse, assigned)
            assigned = {**b, **a}
        elif isinstance(s, A.For):
            self.expr(s.domain, assigned)
            assigned = self.block(s.body, assigned)   # (an iteration reading what an earlier one
                                                      # assigned is a loop's own business)
        elif isinstance(s, A.CallStmt):
            for a in s.args:
                self.expr(a, assigned)
            assigned = {**assigned, **{v: s.pos[0] for v in self.procs.get(s.name, ())}}
        return assigned

    def expr(self, e, assigned):
        if isinstance(e, A.Name) and e.kind == "var":
            if e.marked:
                if e.name not in assigned:
                    raise SpecError(f"{e.name}' reads the value {e.name} is given earlier in this action, "
                                    f"but no statement before this one assigns {e.name}; write {e.name}",
                                    e.pos)
            elif e.name in assigned:
                self.warn(e.pos, f"this reads {e.name} after line {assigned[e.name]} assigned it, so it "
                                 f"is the new value (TLA+ would read the old one); " + _HOW.format(v=e.name))
            return
        for child in A.children(e):
            if isinstance(child, A.Expr):
                self.expr(child, assigned)

    def warn(self, pos, message):
        self.out.append(SpecWarning(message, pos, self.spec.path, self.spec.source))
