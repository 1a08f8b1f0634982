"""What the types and the shape of an expression decide before any code is generated.

The problem: generated code is fastest where it checks nothing it need not: a key
that its type keeps in range needs no bounds check, `x in S` is true when S holds
every value of x's type, an expression of constants is computed once when the
module loads, a function that cannot fail may be computed ahead of its use. The
invariant: each predicate here answers from the typed AST alone, and answers yes
only where the answer holds for every state (an expression that may raise an
evaluation error is never moved to where it could raise earlier or more often).
The cost: a walk of the expression at compile time, nothing per state. Public
entry points: the predicates `is_constant`, `safe_def`, `always_in`,
`key_in_range`, `always_in_type` and `needs_check`.
"""
from __future__ import annotations

from checker.lang import ast as A
from checker.lang.builtins import PARTIAL  # builtins that may raise: never computed ahead of use
from checker.lang.types import (BoolT, EnumT, IntT, MapT, OptionT, RecordT, ScalarsetT, SeqT, TupleT,
                                component_types, domain)


def safe_def(info, defs, seen=None) -> bool:
    """An expression-bodied function that cannot raise: safe to evaluate ahead of use."""
    body = info.decl.body
    if isinstance(body, list) or needs_check(info.result) or any(needs_check(t) for _, t in info.params):
        return False
    seen = seen or set()
    if info.name in seen:
        return False
    seen.add(info.name)
    return _cannot_fail(body, defs, seen)


def _cannot_fail(e, defs, seen=None) -> bool:
    """Whether evaluating `e` can raise no evaluation error."""
    if isinstance(e, A.Index):
        bt = e.base.ty
        if not (isinstance(bt, MapT) and key_in_range(e.index.ty, bt.key)):
            return False
    if isinstance(e, A.Binary) and e.op in ("/", "%"):
        return False
    if isinstance(e, A.Call):
        if e.kind == "builtin" and e.func in PARTIAL:
            return False
        if e.kind == "def" and not safe_def(e.ref, defs, seen):
            return False
    for name in getattr(e, "__dataclass_fields__", {}):
        if name in ("ty", "pos", "ref", "kind"):
            continue
        v = getattr(e, name)
        items = v if isinstance(v, list) else [v]
        for x in items:
            if isinstance(x, A.Binder):
                x = x.domain
            if isinstance(x, A.Expr) and not _cannot_fail(x, defs, seen):
                return False
    return True


def _enum_value(e):
    """The value of an enum literal (`done` or `TMState.done`), None for anything else."""
    if isinstance(e, (A.Name, A.Field)) and e.kind == "enum":
        return e.ref[1]
    return None


def always_in(e: A.Binary, defs) -> bool:
    """`x in S` or `X subseteq S` that its types decide: S is a constant holding every
    value of x's type (`rmState[rm] in {working, prepared, committed, aborted}`, a
    TypeOK invariant), and x cannot fail."""
    t = e.left.ty if e.op == "in" else getattr(e.left.ty, "elem", None)
    if not isinstance(t, (EnumT, ScalarsetT)) and not (isinstance(t, IntT) and t.finite):
        return False
    if isinstance(e.right, A.Name) and e.right.kind == "type":
        held = e.right.ref
        if not isinstance(held, (EnumT, ScalarsetT, IntT)) or isinstance(held, IntT) and not held.finite:
            return False
        covered = type(held) is type(t) and (held == t if not isinstance(t, IntT) else held.lo <= t.lo and t.hi <= held.hi)
    elif isinstance(e.right, A.SetLit) and isinstance(t, EnumT):
        values = {_enum_value(x) for x in e.right.items if x.ty == t}
        covered = values >= set(domain(t))
    else:
        return False
    return covered and _cannot_fail(e.left, defs)


def needs_check(t) -> bool:
    """Whether a value stored as type t is checked at run time: t is an int range or a
    bounded sequence, which the type checker lets any int or sequence reach."""
    return isinstance(t, IntT) and t.finite or isinstance(t, SeqT) and t.bound is not None


def always_in_type(t) -> bool:
    """Is every value of a type in its domain (no int inside outside a declared range:
    the type checker lets any int through, and the range is checked on assignment)?"""
    if isinstance(t, OptionT):
        return always_in_type(t.inner)
    if isinstance(t, (TupleT, RecordT)):
        return all(always_in_type(x) for x in component_types(t))
    return isinstance(t, (BoolT, EnumT, ScalarsetT))


def key_in_range(key_t, map_key_t) -> bool:
    """Is every value of key_t a valid key of the map (so no bounds check is needed)?"""
    if isinstance(map_key_t, IntT):
        return isinstance(key_t, IntT) and key_t.finite and map_key_t.lo <= key_t.lo and key_t.hi <= map_key_t.hi
    return True    # enums, scalarsets, bools and records of them are in range by typing


def is_constant(e, given=frozenset()) -> bool:
    """No state, locals (but those named in `given`) or primes inside, and nothing
    that can fail: safe to compute once when the module loads (a failing one must
    fail only where it is used)."""
    if isinstance(e, (A.Index,)):
        return False
    if isinstance(e, A.Binary) and e.op in ("/", "%"):
        return False
    if isinstance(e, A.Call) and e.kind == "builtin" and e.func in PARTIAL:
        return False
    if isinstance(e, A.Name):
        return e.kind in ("const", "enum", "type") or e.kind == "local" and e.name in given
    if isinstance(e, (A.IntLit, A.BoolLit, A.NoneLit)):
        return True
    if isinstance(e, A.Primed):
        return False
    if isinstance(e, A.Call):
        if e.kind == "def":
            return False
        return all(is_constant(a, given) for a in e.args)
    if isinstance(e, (A.Quant, A.Comprehension, A.The, A.Refines)):
        return False
    if isinstance(e, A.MapLit):
        return False
    children = []
    for name in getattr(e, "__dataclass_fields__", {}):
        if name in ("ty", "pos", "ref", "kind"):
            continue
        v = getattr(e, name)
        if isinstance(v, A.Expr):
            children.append(v)
        elif isinstance(v, list):
            children.extend(x for x in v if isinstance(x, A.Expr))
    return all(is_constant(c, given) for c in children)
