"""Miniscoping: a quantifier over several variables split into quantifiers over fewer.

TwoPhase's consistency invariant reads

    forall rm1, rm2 in ResourceManager: not (rmState[rm1] == aborted and rmState[rm2] == committed)

which, evaluated as written, looks at every pair of managers: 64 evaluations of the
body at RM = 8, in every new state. Its two halves share no variable, so it equals

    (forall rm1 in ResourceManager: not rmState[rm1] == aborted)
    or (forall rm2 in ResourceManager: not rmState[rm2] == committed)

which looks at 16. The compiler (checker/compile/expressions.py) asks `miniscoped` for this
form of every quantifier before it compiles one. The rule, for `forall` (and
dually for `exists`, with conjunctions): write the body as a disjunction (through
`or`, `=>` and `not (... and ...)`), group its disjuncts by the bound variables
they share, and quantify each group over its own variables only; a disjunct that
mentions no bound variable is left outside. The split form has the same value,
also over empty domains, whenever evaluating the original raises no error (it may
meet an error in a body, a division by zero, in another order, or not at all).
"""
from __future__ import annotations

from checker.lang import ast as A
from checker.lang.types import BoolT


def miniscoped(q: A.Quant):
    """An equivalent expression of smaller quantifiers, or None if `q` does not split."""
    names = [n for b in q.binders for n in b.names]
    if len(names) < 2 or any(A.local_names(b.domain) & set(names) for b in q.binders):
        return None                  # one variable, or a domain that depends on another
    join = "or" if q.kind == "forall" else "and"
    parts = _flatten(q.body, join, negated=False)
    groups = _groups(parts, set(names))
    if len(groups) < 2:
        return None
    out = None
    for used, members in groups:
        body = _combine(members, join, q.pos)
        if used:
            binders = [A.Binder([n for n in b.names if n in used], b.domain, pos=b.pos)
                       for b in q.binders if any(n in used for n in b.names)]
            body = A.Quant(q.kind, binders, body, pos=q.pos, ty=BoolT())
        out = body if out is None else A.Binary(join, out, body, pos=q.pos, ty=BoolT())
    return out


def _flatten(e, join, negated) -> list:
    """`e` (negated, if so) as a list of parts whose `join` ("or" / "and") it is."""
    meet = "and" if join == "or" else "or"
    if isinstance(e, A.Unary) and e.op == "not":
        return _flatten(e.operand, join, not negated)
    if isinstance(e, A.Binary):
        if e.op == (meet if negated else join):
            return _flatten(e.left, join, negated) + _flatten(e.right, join, negated)
        if e.op == "=>" and (join == "or") != negated:      # a => b is (not a) or b
            return _flatten(e.left, join, not negated) + _flatten(e.right, join, negated)
    return [A.Unary("not", e, pos=e.pos, ty=BoolT()) if negated else e]


def _groups(parts, names) -> list:
    """[(bound variables, parts)]: parts sharing a bound variable, transitively, in
    one group (in their order in the body); the parts that mention none in a group
    of their own, first."""
    groups = []                      # [set of names, [part positions]]
    free = []
    for k, p in enumerate(parts):
        used = A.local_names(p) & names
        if not used:
            free.append(k)
            continue
        touching = [g for g in groups if g[0] & used]
        merged = [used.union(*(g[0] for g in touching)), sorted([x for g in touching for x in g[1]] + [k])]
        groups = [g for g in groups if not g[0] & used] + [merged]
    out = ([(set(), free)] if free else []) + groups
    return [(used, [parts[k] for k in ks]) for used, ks in out]


def _combine(parts, join, pos):
    out = parts[0]
    for p in parts[1:]:
        out = A.Binary(join, out, p, pos=pos, ty=BoolT())
    return out
