"""Plain AST nodes for gdsl, built by the parser and annotated by the type checker.

Every node carries `pos` (line, column), 1-based, so that any later stage can
point at the source. The type checker fills in `ty` on expressions.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Optional

Pos = tuple  # (line, column)


@dataclass
class Node:
    pos: Pos = field(default=(0, 0), kw_only=True)


# ---------------------------------------------------------------- types

@dataclass
class TypeExpr(Node):
    pass


@dataclass
class BoolTypeExpr(TypeExpr):
    pass


@dataclass
class IntTypeExpr(TypeExpr):
    pass


@dataclass
class RangeTypeExpr(TypeExpr):
    lo: "Expr"
    hi: "Expr"


@dataclass
class SetTypeExpr(TypeExpr):
    elem: TypeExpr


@dataclass
class MapTypeExpr(TypeExpr):
    key: TypeExpr
    value: TypeExpr
    total: bool


@dataclass
class SeqTypeExpr(TypeExpr):
    elem: TypeExpr
    bound: "Expr"


@dataclass
class OptionTypeExpr(TypeExpr):
    inner: TypeExpr


@dataclass
class TupleTypeExpr(TypeExpr):
    items: list


@dataclass
class ScalarsetTypeExpr(TypeExpr):
    size: "Expr"


@dataclass
class NamedTypeExpr(TypeExpr):
    name: str


# ---------------------------------------------------------------- expressions

@dataclass
class Expr(Node):
    ty: Any = field(default=None, kw_only=True, compare=False, repr=False)


@dataclass
class IntLit(Expr):
    value: int


@dataclass
class BoolLit(Expr):
    value: bool


@dataclass
class NoneLit(Expr):
    pass


@dataclass
class Name(Expr):
    name: str
    # filled by the type checker: what the name refers to
    kind: str = field(default="", kw_only=True, compare=False)   # var, const, local, enum, type, def
    ref: Any = field(default=None, kw_only=True, compare=False, repr=False)
    # `x'` in an action: x read after the action assigned it, on purpose (lang/sequential.py)
    marked: bool = field(default=False, kw_only=True, compare=False)


@dataclass
class TypeSet(Name):
    """`map[K, V]` (or `pmap[K, V]`) written as an expression: the set of all such
    functions (TLA+'s [K -> V]); after type checking, a Name of kind "type"."""
    type: Any = None


@dataclass
class Primed(Expr):
    name: str


@dataclass
class Call(Expr):
    func: str
    args: list          # positional Expr
    named: list         # [(name, Expr)] for record construction
    kind: str = field(default="", kw_only=True, compare=False)  # builtin, def, record
    ref: Any = field(default=None, kw_only=True, compare=False, repr=False)


@dataclass
class Index(Expr):
    base: Expr
    index: Expr


@dataclass
class Field(Expr):
    """`base.name`. Filled by the type checker: `kind` "record" for a record's field,
    at position `slot` of the record; `kind` "enum" for a qualified enum value
    (`TMState.done`), whose `ref` is (EnumT, index of the value), as a Name's of
    kind "enum" is."""
    base: Expr
    name: str
    kind: str = field(default="", kw_only=True, compare=False)   # record, enum
    slot: int = field(default=-1, kw_only=True, compare=False)
    ref: Any = field(default=None, kw_only=True, compare=False, repr=False)


@dataclass
class TupleGet(Expr):
    base: Expr
    index: int


@dataclass
class Unary(Expr):
    op: str       # "not", "-"
    operand: Expr


@dataclass
class Binary(Expr):
    op: str       # + - * / % == != < <= > >= subseteq union intersect minus and or => in notin ..
    left: Expr
    right: Expr


@dataclass
class Temporal(Expr):
    """`always e`, `eventually e` or `a leads_to b`: only at the top of a temporal property."""
    op: str       # always | eventually | leads_to
    args: list    # [Expr], two for leads_to


@dataclass
class IfExpr(Expr):
    cond: Expr
    then: Expr
    orelse: Expr


@dataclass
class Binder(Node):
    names: list
    domain: Expr


@dataclass
class Quant(Expr):
    kind: str     # forall | exists
    binders: list
    body: Expr


@dataclass
class The(Expr):
    """`the x in S: P`: the one element of S satisfying P (TLA+'s CHOOSE, except that
    no or several such elements are an evaluation error, not an arbitrary pick)."""
    var: str
    domain: Expr
    body: Expr


@dataclass
class TupleLit(Expr):
    items: list


@dataclass
class SetLit(Expr):
    items: list


@dataclass
class MapLit(Expr):
    entries: list   # [(key Expr, value Expr)]


@dataclass
class SeqLit(Expr):
    items: list


@dataclass
class Comprehension(Expr):
    kind: str             # set | map | seq
    var: str
    domain: Expr
    cond: Optional[Expr]
    elem: Expr            # set/seq element, or map value
    key: Optional[Expr] = None   # map key


# ---------------------------------------------------------------- statements

@dataclass
class Stmt(Node):
    pass


@dataclass
class LValue(Node):
    name: str
    selectors: list   # [("index", Expr) | ("field", str)]
    kind: str = field(default="", kw_only=True, compare=False)   # var | local
    root_type: Any = field(default=None, kw_only=True, compare=False, repr=False)


@dataclass
class Assign(Stmt):
    target: LValue
    value: Expr


@dataclass
class Let(Stmt):
    name: str
    type: Optional[TypeExpr]
    value: Expr
    declared: Any = field(default=None, kw_only=True, compare=False, repr=False)  # resolved type


@dataclass
class If(Stmt):
    cond: Expr
    then: list
    orelse: list


@dataclass
class For(Stmt):
    var: str
    domain: Expr
    body: list


@dataclass
class Require(Stmt):
    cond: Expr


@dataclass
class Choose(Stmt):
    var: str
    domain: Expr


@dataclass
class Return(Stmt):
    value: Expr


@dataclass
class CallStmt(Stmt):
    """A call of a proc: its statements run here, inlined by the compiler."""
    name: str
    args: list
    ref: Any = field(default=None, kw_only=True, compare=False, repr=False)


# ---------------------------------------------------------------- declarations

@dataclass
class Decl(Node):
    name: str


@dataclass
class SpecDecl(Decl):
    pass


@dataclass
class ConstDecl(Decl):
    type: TypeExpr
    default: Expr


@dataclass
class TypeDecl(Decl):
    type: TypeExpr


@dataclass
class EnumDecl(Decl):
    values: list
    value_pos: list


@dataclass
class RecordDecl(Decl):
    fields: list   # [(name, TypeExpr, pos)]


@dataclass
class VarDecl(Decl):
    type: TypeExpr
    init: Optional[Expr]


@dataclass
class InitDecl(Decl):
    body: list


@dataclass
class Param(Node):
    name: str
    type: Optional[TypeExpr] = None     # p: T
    domain: Optional[Expr] = None       # p in S


@dataclass
class DefDecl(Decl):
    params: list
    result: TypeExpr
    body: Any          # Expr, or list of statements


@dataclass
class ProcDecl(Decl):
    params: list
    body: list


@dataclass
class ActionDecl(Decl):
    params: list
    guard: Optional[Expr]
    body: list


@dataclass
class InvariantDecl(Decl):
    expr: Expr
    refuted: bool = False     # documented not to hold: skipped unless asked for
    lemma: bool = False       # `lemma`: an invariant that strengthens induction (--prove)


@dataclass
class ConstraintDecl(Decl):
    """A state constraint (TLC's CONSTRAINT): states outside it are not expanded."""
    expr: Expr


@dataclass
class ActionPropertyDecl(Decl):
    expr: Expr
    refuted: bool = False


@dataclass
class CoverDecl(Decl):
    """`cover NAME = P`: some state of the search satisfies P; `cover action NAME = P`:
    some step does (P may read primed variables). `when`: a condition on the constants,
    the configurations the cover is about (elsewhere it is not checked)."""
    expr: Expr
    step: bool = False
    when: Optional[Expr] = None


@dataclass
class RefinementDecl(Decl):
    """`refines NAME from "PATH" { abstract_var = expr, ... }`."""
    path: str
    mapping: list             # [(abstract variable name, Expr, pos)]


@dataclass
class Refines(Expr):
    """What a RefinementDecl is checked as (built by the type checker): with
    mode "init", the mapped state of an initial state is an initial state of the
    abstract spec; with mode "step", a step's mapped states are an abstract step
    or equal. `exprs` give the abstract variables' values, in the abstract
    spec's variable order (for "step", evaluated in both states of the step)."""
    mode: str
    abstract: Any             # the abstract spec's CheckedSpec
    exprs: list


@dataclass
class TemporalPropertyDecl(Decl):
    expr: Expr
    refuted: bool = False


@dataclass
class FairTarget(Node):
    """One action in a fairness declaration: `A`, `A(p, q)` (one constraint per value
    of the listed parameters), optionally `when COND`."""
    action: str
    params: Optional[list]        # None: the action as a whole
    cond: Optional[Expr]


@dataclass
class FairGroup(Node):
    """`(A(p) | B(q) ...)` in a fairness declaration: one constraint on the disjunction
    of the actions (TLA+'s WF_vars(A \\/ B)), per value of the listed parameters, which
    the members list alike (the same number, of the same types, matched by position)."""
    targets: list                 # [FairTarget]


@dataclass
class FairnessDecl(Node):
    kind: str                     # weak | strong
    targets: list                 # [FairTarget or FairGroup]


@dataclass
class ExtendsDecl(Node):
    path: str                 # as written, relative to the extending file


@dataclass
class OverrideDecl(Node):
    decl: Node                # the declaration that replaces the base spec's of its name


@dataclass
class Spec(Node):
    name: str
    decls: list
    path: str = ""
    source: str = ""


# ---------------------------------------------------------------- walking

_NOT_CHILDREN = ("ref", "declared", "root_type", "ty")     # types and references, not nodes


def children(node):
    """The nodes directly inside a node (in lists and tuples too), not its types."""
    for f in fields(node):
        if f.name not in _NOT_CHILDREN:
            yield from _nodes_in(getattr(node, f.name))


def _nodes_in(value):
    if isinstance(value, Node):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _nodes_in(v)


def local_names(e) -> set:
    """Names of the locals and parameters an expression reads (bound ones included)."""
    out = set()

    def walk(x):
        if isinstance(x, Name) and x.kind == "local":
            out.add(x.name)
        for child in children(x):
            walk(child)
    walk(e)
    return out


def conjuncts(e) -> list:
    """The conjuncts of `a and b and ...`, left to right (`[e]` if e is not a conjunction):
    a guard is tested conjunct by conjunct, by both backends."""
    if isinstance(e, Binary) and e.op == "and":
        return conjuncts(e.left) + conjuncts(e.right)
    return [e]
