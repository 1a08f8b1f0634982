"""What an expression reads of the state: the variables it names, and those the
functions it calls read.

The problem: backends want to know which properties a step can change. A step
assigns some variables (sequential.assigned_variables); a property that reads none
of them has, after the step, the value it had before it, so a search that checked
it on the state the step left need not check it again on the successor (the native
backend skips those invariants: 55 invariants of the group spec, a step changes
the inputs of 0 to 52 of them), and the z3 candidates keep to what the properties
read. The invariant: the answer is a superset of what evaluation can read: every
`Name` of kind "var" in the expression, and for each call of a `def` the variables
it reads, closed over the functions it calls in turn (typecheck's close_reads).
The cost: one walk of the expression's nodes. Public entry point: `state_reads`.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass

from . import ast as A


def state_reads(expr, names: set, calls: bool = True) -> set:
    """The state variables (among `names`) `expr` reads (`calls`: and those the
    functions it calls read)."""
    out, todo = set(), [expr]
    while todo:
        e = todo.pop()
        if isinstance(e, A.Name) and e.kind == "var":
            out.add(e.name)
        elif calls and isinstance(e, A.Call) and e.kind == "def" and e.ref is not None:
            out |= set(e.ref.reads)
        if is_dataclass(e):
            for f in fields(e):
                if f.name in ("ref", "pos", "ty"):
                    continue
                v = getattr(e, f.name)
                todo += [x for x in (v if isinstance(v, (list, tuple)) else [v]) if is_dataclass(x)
                         or isinstance(x, (list, tuple))]
        elif isinstance(e, (list, tuple)):
            todo += [x for x in e if is_dataclass(x) or isinstance(x, (list, tuple))]
    return out & names
