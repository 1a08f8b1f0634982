"""The system's integer formulas over bit-vectors, for a SAT solver.

translate.py builds formulas over mathematical integers (z3 Int): that is the
semantics, and what the tests compare with the compiled Python. But every integer of
a bounded spec has a static interval (Translator.bounds), so each Int term can be a
bit-vector just wide enough for it, and the whole formula is then propositional after
bit-blasting: z3's incremental SAT solver (logic QF_FD) refutes the deep BMC queries of
the bug models 10-30x faster than its arithmetic solver (KAFKA-14016, depth 18: 2.6 s
against 75 s).

Each Int term with interval [lo, hi] becomes a two's-complement bit-vector of the
fewest bits that hold both ends. Sums, differences and products are computed in the
widest of their operands' and result's widths and cut to the result's: arithmetic
modulo 2^w is exact when the true result fits in w bits, which its interval says it
does. Comparisons sign-extend both sides to a common width. Division and remainder are
lowered only for a non-negative dividend and a positive divisor (unsigned division is
then z3's `div` and `mod`). A term without a static interval (e.g. a choice from a set
of `int`s), or any other integer operation, raises Unbounded: the caller keeps the Int
formulas.
"""
from __future__ import annotations

import z3


class Unbounded(Exception):
    """An integer term with no static interval, or an operation not lowered."""


def width(lo: int, hi: int) -> int:
    """The fewest two's-complement bits that hold every integer of lo..hi."""
    w = 1
    while lo < -(1 << (w - 1)) or hi > (1 << (w - 1)) - 1:
        w += 1
    return w


_CMP = {z3.Z3_OP_EQ: lambda a, b: a == b, z3.Z3_OP_LE: lambda a, b: a <= b,     # signed on
        z3.Z3_OP_LT: lambda a, b: a < b, z3.Z3_OP_GE: lambda a, b: a >= b,       # bit-vectors
        z3.Z3_OP_GT: lambda a, b: a > b}
_BOOL = {z3.Z3_OP_AND: lambda xs: z3.And(xs), z3.Z3_OP_OR: lambda xs: z3.Or(xs),
         z3.Z3_OP_NOT: lambda xs: z3.Not(xs[0]), z3.Z3_OP_IMPLIES: lambda xs: z3.Implies(*xs),
         z3.Z3_OP_ITE: lambda xs: z3.If(*xs), z3.Z3_OP_EQ: lambda xs: xs[0] == xs[1],
         z3.Z3_OP_XOR: lambda xs: z3.Xor(*xs), z3.Z3_OP_DISTINCT: lambda xs: z3.Distinct(*xs)}


class Lowering:
    """Int terms to bit-vector terms, Bool formulas to the same formulas over them;
    memoized, so the many formulas of one system share their lowered subterms."""

    def __init__(self, bounds):
        self.bounds = bounds          # Int term -> (lo, hi) or None (Translator.bounds)
        self.memo = {}                # term id -> (term, lowered): holding the term keeps
                                      # its id from being reused

    def __call__(self, term):
        """The lowered term (iteratively: the formulas nest deeper than Python recurses)."""
        stack = [term]
        while stack:
            t = stack[-1]
            if t.get_id() in self.memo:
                stack.pop()
                continue
            todo = [c for c in t.children() if c.get_id() not in self.memo]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            self.memo[t.get_id()] = (t, self._lower(t))
        return self.memo[term.get_id()][1]

    def _interval(self, t):
        b = self.bounds(t)
        if b is None:
            raise Unbounded(f"no static bounds for the integer {t}")
        return b

    def _lower(self, t):
        kids = [self.memo[c.get_id()][1] for c in t.children()]
        if z3.is_int(t):
            w = width(*self._interval(t))
            if z3.is_int_value(t):
                return z3.BitVecVal(t.as_long(), w)
            if z3.is_const(t):
                return z3.BitVec(str(t), w)
            return self._arith(t, kids, w)
        if not kids:
            return t
        k = t.decl().kind()
        if z3.is_int(t.children()[0]):
            if k == z3.Z3_OP_DISTINCT:
                return z3.Distinct(*_common(kids))
            if k in _CMP:
                return _CMP[k](*_common(kids))
        elif k in _BOOL:
            return _BOOL[k](kids)
        raise Unbounded(f"no bit-vector lowering of {t.decl()}")

    def _arith(self, t, kids, w):
        k = t.decl().kind()
        if k == z3.Z3_OP_ITE:
            return z3.If(kids[0], _extend(kids[1], w), _extend(kids[2], w))
        wide = max([w] + [x.size() for x in kids])
        xs = [_extend(x, wide) for x in kids]
        if k == z3.Z3_OP_ADD:
            r = z3.Sum(xs) if len(xs) > 1 else xs[0]
        elif k == z3.Z3_OP_SUB:
            r = xs[0]
            for x in xs[1:]:
                r = r - x
        elif k == z3.Z3_OP_UMINUS:
            r = -xs[0]
        elif k == z3.Z3_OP_MUL:
            r = xs[0]
            for x in xs[1:]:
                r = r * x
        elif k in (z3.Z3_OP_IDIV, z3.Z3_OP_MOD):
            a, b = (self._interval(c) for c in t.children())
            if a[0] < 0 or b[0] <= 0:
                raise Unbounded(f"no bit-vector lowering of {t.decl()} with a negative operand")
            r = (z3.UDiv if k == z3.Z3_OP_IDIV else z3.URem)(*xs)
        else:
            raise Unbounded(f"no bit-vector lowering of {t.decl()}")
        return r if wide == w else z3.Extract(w - 1, 0, r)


def _extend(x, w):
    return x if x.size() == w else z3.SignExt(w - x.size(), x)


def _common(xs):
    w = max(x.size() for x in xs)
    return [_extend(x, w) for x in xs]


def number(value) -> int:
    """The integer a model gives a term, lowered or not."""
    return value.as_signed_long() if z3.is_bv_value(value) else value.as_long()


def lowering(system, errors=True):
    """A Lowering of every formula of the system (its evaluation errors only if asked:
    they are a third of its terms), or None if one of them has an integer without static
    bounds (then the Int formulas are solved as they are)."""
    low = Lowering(system.tr.bounds)
    try:
        for f in ([system.type_facts, system.init, system.step_facts, system.constraint, system.enabled,
                   system.enabled_range, system.frame, system.act]
                  + ([system.errors] if errors else [])
                  + system.pre_leaves + system.post_leaves + system.choice_leaves
                  + [p.formula for p in system.properties + system.candidates]):
            low(f)
    except Unbounded:
        return None
    return low
