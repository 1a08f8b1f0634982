"""The type checker: resolves every name, gives every expression a type, evaluates
constants, and rejects an ill-typed spec before anything is explored.

Its output, a `CheckedSpec`, is what the compiler (and later engines) consume.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import ast as A
from .builtins import BUILTINS, arity_error
from . import modules
from .parser import parse
from .sequential import mark_primed_reads, sequential_reads
from .errors import BadConstant, JoinedSource, SpecError, did_you_mean, too_deep
from .types import (ANY, BOOL, INT, AnyT, BoolT, EnumT, IntT, MapT, OptionT, RecordT, ScalarsetT, SeqT, SetT,
                    TupleT, Type, assignable, component_types, domain, domain_size, has_domain, is_key_type, key_count,
                    unify)
from .values import show

# Sizes beyond which a map or a set built from a range cannot be represented.
MAX_MAP_KEYS = 1_000_000
MAX_RANGE_VALUES = 10_000_000
MAX_ENUMERATED = 100_000     # the values of a set of functions, subsets or records, listed


@dataclass
class ConstInfo:
    name: str
    type: Type
    value: object
    decl: A.ConstDecl
    overridden: bool = False


@dataclass
class VarInfo:
    name: str
    type: Type
    decl: A.VarDecl
    index: int


@dataclass
class DefInfo:
    name: str
    params: list          # [(name, Type)]
    result: Type
    decl: A.DefDecl
    reads: set = field(default_factory=set)    # state variables read (transitively)
    calls: set = field(default_factory=set)


@dataclass
class ProcInfo:
    name: str
    params: list          # [(name, Type)]
    decl: A.ProcDecl
    nondet: bool = False  # contains require or choose (directly or through calls)
    calls: set = field(default_factory=set)


@dataclass
class ActionInfo:
    name: str
    params: list          # [(name, Type, domain Expr | None)]
    decl: A.ActionDecl
    index: int


class TemporalBinder(NamedTuple):
    """A variable of a temporal property's leading `forall`: one property per value."""
    name: str
    type: Any             # its Type
    domain: A.Expr        # the values it takes (reads no state)


@dataclass
class TemporalParts:
    """A temporal property as the engines judge it: `forall p in Proc: P leads_to Q`
    is TemporalParts("leads_to", [P, Q], [TemporalBinder("p", Proc, <Proc>)])."""
    form: str             # a key of TEMPORAL_FORMS: eventually, always_eventually, ... ("all": a conjunction)
    conditions: list      # its state conditions: [P], or [P, Q] for leads_to (a conjunction: all of its parts')
    binders: list         # [TemporalBinder] of its leading forall, outermost first
    conjuncts: list = None  # [(form, [indices into conditions], position)]: what must each hold

    def __post_init__(self):
        if self.conjuncts is None:
            self.conjuncts = [(self.form, list(range(len(self.conditions))), None)]


@dataclass
class PropertyInfo:
    name: str
    expr: A.Expr
    pos: tuple
    kind: str             # invariant | action | constraint | temporal | cover | cover_action
    refuted: bool = False # documented not to hold; checked only when named
    lemma: bool = False   # a `lemma`: an invariant that also strengthens --prove
    temporal: TemporalParts | None = None   # temporal properties only
    applies: bool = True  # a cover whose `when` holds in this configuration (others: not checked)


# The temporal forms, as the spec writes them (for messages and reports).
TEMPORAL_FORMS = {"eventually": "eventually P", "always_eventually": "always eventually P",
                  "eventually_always": "eventually always P", "leads_to": "P leads_to Q",
                  "implies_eventually": "P => eventually Q", "stable": "always (P => always Q)",
                  "all": "A and B"}
_TEMPORAL_HELP = ("a temporal property is `eventually P`, `always eventually P`, "
                  "`eventually always P`, `P leads_to Q`, `P => eventually Q` (from the initial state) "
                  "or `always (P => always Q)`, with P and Q conditions on one state, or a conjunction "
                  "(`and`) of these")


@dataclass
class FairnessInfo:
    """WF or SF of an action (TLA+'s WF_vars/SF_vars), one constraint per value of
    `params` (none listed: the action as a whole), restricted to states where `cond`
    holds (it may read the listed parameters)."""
    kind: str             # weak | strong
    action: "ActionInfo"
    params: list          # names of the action's parameters that tell instances apart
    cond: A.Expr | None
    pos: tuple
    group: int = -1       # declarations with the same group are one constraint on the
                          # disjunction of their actions (a `( A | B )` target); -1: its own

    @property
    def cond_params(self) -> list:
        """The parameters `cond` is a function of (after the state): all of the action's."""
        return [n for n, _, _ in self.action.params]


@dataclass
class CheckedSpec:
    name: str
    spec: A.Spec
    consts: dict
    types: dict
    vars: list
    init: list
    defs: dict
    actions: list
    properties: list
    procs: dict = field(default_factory=dict)
    constraints: list = field(default_factory=list)   # PropertyInfo, kind "constraint"
    fairness: list = field(default_factory=list)      # FairnessInfo
    warnings: list = field(default_factory=list)      # errors.SpecWarning (lang/sequential.py)

    def var(self, name):
        return next(v for v in self.vars if v.name == name)

    def property(self, name):
        return next((p for p in self.properties if p.name == name), None)


class _Scope:
    """Local names (parameters, lets, bound variables): name -> (Type, assignable)."""

    def __init__(self, parent=None):
        self.names = {}
        self.parent = parent

    def lookup(self, name):
        s = self
        while s is not None:
            if name in s.names:
                return s.names[name]
            s = s.parent
        return None

    def child(self):
        return _Scope(self)


@dataclass
class _Ctx:
    """Where we are: what statements and names are allowed."""
    where: str                 # init | action | def | invariant | action property | const
    loop_depth: int = 0
    primes: bool = False
    state: bool = True         # may read state variables
    reads: set = None          # collects state variables read (defs)
    calls: set = None          # collects defs called
    proc: object = None        # the ProcInfo whose body this is


def check(spec: A.Spec, overrides: dict | None = None) -> CheckedSpec:
    """Type-check a parsed spec; `overrides` are --const NAME=VALUE texts."""
    try:
        return _Checker(spec, overrides or {}).run()
    except SpecError as e:
        raise e.located(spec.path, spec.source)
    except RecursionError:
        raise too_deep(spec.path, spec.source) from None


class _Checker:
    def __init__(self, spec: A.Spec, overrides: dict):
        self.spec = spec
        self.overrides = dict(overrides)
        self.consts: dict[str, ConstInfo] = {}
        self.types: dict[str, Type] = {}
        self.enum_members: dict[str, list] = {}
        self.vars: dict[str, VarInfo] = {}
        self.defs: dict[str, DefInfo] = {}
        self.procs: dict[str, ProcInfo] = {}
        self.actions: list[ActionInfo] = []
        self.properties: list[PropertyInfo] = []
        self.constraints: list[PropertyInfo] = []
        self.fairness: list[FairnessInfo] = []
        self.init: list = []
        self.loop_calls: list = []       # proc calls inside loops: must not be nondeterministic
        self.global_names: dict[str, tuple] = {}   # name -> (kind, pos)
        self.action_names: dict[str, tuple] = {}   # action name -> ("action", pos)

    # ------------------------------------------------------------------ driver
    def run(self) -> CheckedSpec:
        decls = self.spec.decls
        if not any(not isinstance(d, A.SpecDecl) for d in decls):
            raise SpecError("the spec is empty: it declares no variables or actions", (1, 1))
        for d in decls:
            if isinstance(d, A.SpecDecl) and d is not decls[0]:
                raise SpecError("`spec NAME` must be the first declaration", d.pos)
        for d in decls:
            if isinstance(d, A.ConstDecl):
                self.const_decl(d)
            elif isinstance(d, A.TypeDecl):
                self.declare(d.name, "type", d.pos)
                self.types[d.name] = self.resolve_type(d.type, d.name)
            elif isinstance(d, A.EnumDecl):
                self.enum_decl(d)
            elif isinstance(d, A.RecordDecl):
                self.record_decl(d)
        unknown = sorted(set(self.overrides) - set(self.consts))
        if unknown:
            known = ", ".join(self.consts) or "none"
            raise BadConstant(unknown[0], None, f"the spec has no constant named {unknown[0]!r}"
                                                f"{did_you_mean(unknown[0], self.consts)} (its constants: {known})")
        for d in decls:
            if isinstance(d, A.VarDecl):
                self.declare(d.name, "variable", d.pos)
                t = self.resolve_type(d.type)
                self.require_finite(t, d.type.pos, f"variable {d.name!r}")
                self.vars[d.name] = VarInfo(d.name, t, d, len(self.vars))
        if not self.vars:
            raise SpecError("the spec declares no state variables (`var NAME: TYPE`)", (1, 1))
        for d in decls:
            if isinstance(d, A.DefDecl):
                self.declare(d.name, "function", d.pos)
                params = []
                for p in d.params:
                    params.append((p.name, self.resolve_type(p.type)))
                self.defs[d.name] = DefInfo(d.name, params, self.resolve_type(d.result), d)
            elif isinstance(d, A.ProcDecl):
                self.declare(d.name, "proc", d.pos)
                self.procs[d.name] = ProcInfo(d.name, [(p.name, self.resolve_type(p.type)) for p in d.params], d)
        for info in self.procs.values():
            self.proc_body(info)
        self.close_procs()
        for d in decls:
            if isinstance(d, A.VarDecl) and d.init is not None:
                self.init.append(A.Assign(A.LValue(d.name, [], pos=d.pos), d.init, pos=d.init.pos))
        inits = [d for d in decls if isinstance(d, A.InitDecl)]
        if len(inits) > 1:
            raise SpecError("a spec has at most one `init` block", inits[1].pos)
        for d in inits:
            self.init.extend(d.body)
        self.block(self.init, _Scope(), _Ctx("init"))
        for d in decls:
            if isinstance(d, A.DefDecl):
                self.def_body(d)
            elif isinstance(d, A.ActionDecl):
                self.action_decl(d)
            elif isinstance(d, (A.InvariantDecl, A.ActionPropertyDecl)):
                self.property_decl(d)
            elif isinstance(d, A.TemporalPropertyDecl):
                self.temporal_decl(d)
            elif isinstance(d, A.CoverDecl):
                self.cover_decl(d)
            elif isinstance(d, A.RefinementDecl):
                self.refinement_decl(d)
            elif isinstance(d, A.ConstraintDecl):
                self.declare(d.name, "constraint", d.pos)
                self.expect(BOOL, self.expr(d.expr, _Scope(), _Ctx("constraint")), d.expr.pos,
                            f"constraint {d.name!r}")
                self.constraints.append(PropertyInfo(d.name, d.expr, d.pos, "constraint"))
        if not self.actions:
            raise SpecError("the spec declares no actions (`action NAME { ... }`)", (1, 1))
        for d in decls:
            if isinstance(d, A.FairnessDecl):
                self.fairness_decl(d)
        for s, info in self.loop_calls:
            if info.nondet:
                raise SpecError(f"{info.name} contains require or choose, so it cannot be called "
                                f"inside a `for` loop", s.pos)
        self.close_reads()
        name = next((d.name for d in decls if isinstance(d, A.SpecDecl)), self.spec.name)
        checked = CheckedSpec(name, self.spec, self.consts, self.types,
                              sorted(self.vars.values(), key=lambda v: v.index),
                              self.init, self.defs, self.actions, self.properties, self.procs,
                              self.constraints, self.fairness)
        checked.warnings = sequential_reads(checked)
        return checked

    def declare(self, name, kind, pos):
        """Enter a declared name. Actions have a namespace of their own (they are
        never read in expressions: a PlusCal label may name both an action and a
        variable); enum values too (see enum_decl); everything else shares one."""
        if name in BUILTINS:
            raise SpecError(f"{name!r} is a builtin function and cannot be redeclared", pos)
        names = self.action_names if kind == "action" else self.global_names
        if name in names:
            k, p = names[name]
            where = self.spec.source.place(p) if isinstance(self.spec.source, JoinedSource) else f"line {p[0]}"
            raise SpecError(f"{name!r} is already declared as a {k} at {where}", pos)
        if kind == "type" and name in self.enum_members:
            raise SpecError(f"the type {name!r} clashes with the enum value {name!r} of "
                            f"{self.enum_members[name][0][0].name}", pos)
        names[name] = (kind, pos)

    # ------------------------------------------------------------------ declarations
    def const_decl(self, d: A.ConstDecl):
        self.declare(d.name, "constant", d.pos)
        t = self.resolve_type(d.type)
        scalar = isinstance(t, (IntT, BoolT, EnumT))
        if not scalar:
            if not isinstance(t, (SetT, RecordT, TupleT, OptionT)):
                raise SpecError(f"constant {d.name!r} must be an int, bool, enum, set, record, tuple or "
                                f"option, not {t}", d.type.pos)
            self.require_finite(t, d.type.pos, f"constant {d.name!r}")
        vt = self.expr(d.default, _Scope(), _Ctx("const", state=False))
        self.expect(t, vt, d.default.pos, f"the default of constant {d.name!r}")
        _settle(d.default, t)
        value = self.const_eval(d.default)
        overridden = False
        if d.name in self.overrides:
            text = self.overrides.pop(d.name)
            value = self.parse_override(d, t, text) if scalar else self.structured_override(d, t, text)
            overridden = True
            if not _fits(value, t):
                raise BadConstant(d.name, text, f"{show(value, t)} is outside {d.name}'s type {t}", d.pos)
        if not _fits(value, t):
            raise SpecError(f"constant {d.name} = {show(value, t)} is outside its type {t}", d.pos)
        self.consts[d.name] = ConstInfo(d.name, t, value, d, overridden)

    def structured_override(self, d, t, text):
        """A set, record, tuple or option constant's value given as gdsl text
        (`{a, b}`, `Cfg(n: 2, fast: true)`), checked against the constant's type."""
        example = {SetT: "{v1, v2}", RecordT: f"{getattr(t, 'name', 'R')}(field: value, ...)",
                   TupleT: "(a, b)", OptionT: "none or a value"}[type(t)]
        try:
            decls = parse(f"invariant __const = {text}", "<--const>").decls
            if len(decls) != 1:
                raise SpecError("not one expression")
            e = decls[0].expr
            self.expect(t, self.expr(e, _Scope(), _Ctx("const", state=False)), e.pos, d.name)
            _settle(e, t)
            return self.const_eval(e)
        except SpecError as err:
            raise BadConstant(d.name, text, f"{d.name} is a constant of type {t}; give a constant "
                                            f"expression of that type, e.g. {d.name}={example} "
                                            f"({err.message})", d.pos) from None

    def parse_override(self, d, t, text):
        text = text.strip()
        if isinstance(t, IntT):
            try:
                return int(text)
            except ValueError:
                raise BadConstant(d.name, text, f"{d.name} is an integer constant; give an integer, "
                                                f"e.g. {d.name}=3", d.pos) from None
        if isinstance(t, BoolT):
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            raise BadConstant(d.name, text, f"{d.name} is a bool constant; give true or false", d.pos)
        if text in t.values:
            return t.values.index(text)
        raise BadConstant(d.name, text, f"{d.name} is a {t.name}; give one of {', '.join(t.values)}",
                          d.pos)

    def enum_decl(self, d: A.EnumDecl):
        self.declare(d.name, "type", d.pos)
        if len(set(d.values)) != len(d.values):
            dup = next(v for v in d.values if d.values.count(v) > 1)
            raise SpecError(f"enum {d.name} lists {dup!r} twice", d.pos)
        t = EnumT(d.name, tuple(d.values))
        self.types[d.name] = t
        for i, (v, p) in enumerate(zip(d.values, d.value_pos)):
            # An enum value may share its name with a variable, constant, function,
            # action or property (TLA+ strings such as "req" become enum values, and
            # specs have variables named req): the bare name is then the other one, and
            # the value is written qualified, Enum.value. Only a type name is refused
            # (both are read as expressions, and neither could be qualified).
            if self.global_names.get(v, ("",))[0] == "type":
                raise SpecError(f"enum value {v!r} clashes with the type {v!r} "
                                f"(line {self.global_names[v][1][0]})", p)
            self.enum_members.setdefault(v, []).append((t, i))

    def record_decl(self, d: A.RecordDecl):
        self.declare(d.name, "type", d.pos)
        seen = set()
        fields = []
        for fname, ftype, fpos in d.fields:
            if fname in seen:
                raise SpecError(f"record {d.name} has two fields named {fname!r}", fpos)
            seen.add(fname)
            fields.append((fname, self.resolve_type(ftype)))
        self.types[d.name] = RecordT(d.name, tuple(fields))

    def def_body(self, d: A.DefDecl):
        info = self.defs[d.name]
        scope = _Scope()
        for (n, t), p in zip(info.params, d.params):
            if scope.lookup(n):
                raise SpecError(f"parameter {n!r} appears twice", p.pos)
            scope.names[n] = (t, False)
        ctx = _Ctx("def", reads=info.reads, calls=info.calls)
        if isinstance(d.body, list):
            self.block(d.body, scope, ctx, result=info.result)
            if not _always_returns(d.body):
                raise SpecError(f"function {d.name!r} can end without `return`", d.pos)
        else:
            t = self.expr(d.body, scope, ctx)
            self.expect(info.result, t, d.body.pos, f"the result of {d.name!r}")

    def proc_body(self, info: ProcInfo):
        scope = _Scope()
        for (n, t), p in zip(info.params, info.decl.params):
            if scope.lookup(n):
                raise SpecError(f"parameter {n!r} appears twice", p.pos)
            scope.names[n] = (t, False)
        self.block(info.decl.body, scope, _Ctx("proc", proc=info))

    def close_procs(self):
        """Nondeterminism propagates through calls; recursion is refused (procs are inlined)."""
        def visit(name, path):
            if name in path:
                cycle = " -> ".join(path[path.index(name):] + [name])
                raise SpecError(f"procs cannot be recursive: {cycle}", self.procs[name].decl.pos)
            info = self.procs[name]
            for callee in info.calls:
                visit(callee, path + [name])
                info.nondet |= self.procs[callee].nondet
        for name in self.procs:
            visit(name, [])

    def call_stmt(self, s: A.CallStmt, scope, ctx):
        if s.name not in self.procs:
            if s.name in self.defs or s.name in BUILTINS:
                raise SpecError(f"{s.name!r} is a function: use its value, e.g. `let x = {s.name}(...)`", s.pos)
            raise SpecError(f"unknown proc {s.name!r}" + self.suggest(s.name, self.procs), s.pos)
        if ctx.where not in ("action", "init", "proc"):
            raise SpecError(f"a {ctx.where} cannot call the proc {s.name!r} (procs change state)", s.pos)
        info = self.procs[s.name]
        if len(s.args) != len(info.params):
            raise SpecError(f"{s.name} takes {len(info.params)} argument(s), given {len(s.args)}", s.pos)
        for a, (pn, pt) in zip(s.args, info.params):
            self.expect(pt, self.expr(a, scope, ctx), a.pos, f"argument {pn!r} of {s.name}")
            _settle(a, pt)
        s.ref = info
        if ctx.proc is not None:
            ctx.proc.calls.add(s.name)
        if ctx.loop_depth:
            self.loop_calls.append((s, info))

    def action_decl(self, d: A.ActionDecl):
        self.declare(d.name, "action", d.pos)
        scope = _Scope()
        params = []
        ctx = _Ctx("action")
        for p in d.params:
            if scope.lookup(p.name):
                raise SpecError(f"parameter {p.name!r} appears twice", p.pos)
            if p.type is not None:
                t = self.resolve_type(p.type)
                if not has_domain(t):
                    raise SpecError(f"parameter {p.name!r} needs a finite type to range over, not {t}", p.pos)
                params.append((p.name, t, None))
            else:
                dt = self.expr(p.domain, scope, ctx)
                t = self.element_type(dt, p.domain.pos)
                params.append((p.name, t, p.domain))
            scope.names[p.name] = (t, False)
        if d.guard is not None:
            self.expect(BOOL, self.expr(d.guard, scope, ctx), d.guard.pos, "an action guard")
        mark_primed_reads(d.body)
        self.block(d.body, scope.child(), ctx)
        self.actions.append(ActionInfo(d.name, params, d, len(self.actions)))

    def property_decl(self, d):
        kind = "invariant" if isinstance(d, A.InvariantDecl) else "action"
        self.declare(d.name, "property", d.pos)
        ctx = _Ctx("invariant" if kind == "invariant" else "action property", primes=kind == "action")
        self.expect(BOOL, self.expr(d.expr, _Scope(), ctx), d.expr.pos, f"property {d.name!r}")
        self.properties.append(PropertyInfo(d.name, d.expr, d.pos, kind, d.refuted,
                                            lemma=getattr(d, "lemma", False)))

    def cover_decl(self, d: A.CoverDecl):
        """`cover NAME = P` (kind "cover": a condition on a state) or `cover action NAME
        = P` (kind "cover_action": on a step, primes allowed)."""
        kind = "cover_action" if d.step else "cover"
        self.declare(d.name, "property", d.pos)
        applies = True
        if d.when is not None:
            self.expect(BOOL, self.expr(d.when, _Scope(), _Ctx("the `when` of a cover", state=False)),
                        d.when.pos, f"the `when` of cover {d.name!r} (a condition on the constants)")
            applies = bool(self.const_eval(d.when))
        ctx = _Ctx("cover action" if d.step else "cover", primes=d.step)
        self.expect(BOOL, self.expr(d.expr, _Scope(), ctx), d.expr.pos, f"cover {d.name!r}")
        self.properties.append(PropertyInfo(d.name, d.expr, d.pos, kind, applies=applies))


    def refinement_decl(self, d: A.RefinementDecl):
        """`refines NAME from "PATH" { v = e, ... }`: two properties, NAME (an action
        property: every step maps to a step of the abstract spec or leaves the mapped
        variables unchanged) and NAME_init (the mapped initial states are abstract
        initial states). An abstract variable not mapped is the concrete variable of
        its name, as in TLA+'s INSTANCE."""
        self.declare(d.name, "property", d.pos)
        self.declare(f"{d.name}_init", "property", d.pos)
        abstract = self.abstract_spec(d)
        mapped = {}
        for name, e, pos in d.mapping:
            if name in abstract.consts:
                continue                       # given to the abstract spec (abstract_spec)
            if name in mapped:
                raise SpecError(f"the abstract variable {name!r} is mapped twice", pos)
            if not any(v.name == name for v in abstract.vars):
                raise SpecError(f"{abstract.name} has no variable {name!r}"
                                f"{did_you_mean(name, [v.name for v in abstract.vars])} (its variables: "
                                f"{', '.join(v.name for v in abstract.vars)})", pos)
            mapped[name] = e
        exprs = []
        for v in abstract.vars:
            e = mapped.get(v.name)
            if e is None:
                if v.name not in self.vars:
                    raise SpecError(f"the abstract variable {v.name!r} of {abstract.name} is not mapped: "
                                    f"add `{v.name} = EXPR` (or a variable of that name)", d.pos)
                e = A.Name(v.name, pos=d.pos)
            t = self.expr(e, _Scope(), _Ctx("invariant"))
            want = _as_declared_here(v.type, self.types)
            self.expect(want, t, e.pos, f"the abstract variable {v.name!r}")
            _settle(e, want)
            exprs.append(e)
        step = A.Refines("step", abstract, exprs, pos=d.pos, ty=BOOL)
        init = A.Refines("init", abstract, exprs, pos=d.pos, ty=BOOL)
        self.properties.append(PropertyInfo(f"{d.name}_init", init, d.pos, "invariant"))
        self.properties.append(PropertyInfo(d.name, step, d.pos, "action"))

    def abstract_spec(self, d: A.RefinementDecl) -> "CheckedSpec":
        from pathlib import Path
        base = Path(self.spec.path).parent if self.spec.path and not self.spec.path.startswith("<") \
            else Path(".")
        path = base / d.path
        try:
            path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise SpecError(f"cannot read the abstract spec {d.path!r} ({path}): "
                            f"{getattr(e, 'strerror', None) or e}", d.pos) from None
        if path.resolve() == Path(self.spec.path).resolve():
            raise SpecError("a spec cannot refine itself", d.pos)
        parsed = modules.load(path)          # an abstract spec may extend another
        abstract = check(parsed, self.abstract_constants(d, parsed))
        if any(isinstance(x, A.RefinementDecl) for x in abstract.spec.decls):
            raise SpecError(f"{d.path} declares a refinement itself; refinement chains are not "
                            f"supported (check each pair on its own)", d.pos)
        return abstract

    def abstract_constants(self, d: A.RefinementDecl, parsed: A.Spec) -> dict:
        """The abstract spec's constants, as --const texts: those the mapping names
        (`N = N - 1`, a constant expression here), else this spec's constant of the
        same name (TLA+'s INSTANCE substitutes both alike), else the default."""
        given = {name: e for name, e, _ in d.mapping}
        out = {}
        for c in parsed.decls:
            if not isinstance(c, A.ConstDecl):
                continue
            if c.name in given:
                e = given[c.name]
                t = self.expr(e, _Scope(), _Ctx("const", state=False))
                out[c.name] = show(self.const_eval(e), t)
            elif c.name in self.consts:
                info = self.consts[c.name]
                out[c.name] = show(info.value, info.type)
        return out

    def temporal_decl(self, d: A.TemporalPropertyDecl):
        """`[forall x in S: ...] FORM`: a leading forall over a temporal formula means
        one property per value (TLA+'s \\A x \\in S: P(x) ~> Q(x)); S may not read
        the state."""
        self.declare(d.name, "property", d.pos)
        scope, binders, e = _Scope(), [], d.expr
        while isinstance(e, A.Quant) and e.kind == "forall" and _temporal_inside(e.body):
            for b in e.binders:
                dt = self.expr(b.domain, scope, _Ctx("temporal property", state=False))
                et = self.element_type(dt, b.domain.pos, allow_map=True)
                for n in b.names:
                    self.check_fresh_local(n, scope, b.pos)
                    scope.names[n] = (et, False)
                    binders.append(TemporalBinder(n, et, b.domain))
            e = e.body
        conjuncts, parts = [], []
        for c in _temporal_conjuncts(e):
            form, cparts = self.temporal_form(c)
            conjuncts.append((form, list(range(len(parts), len(parts) + len(cparts))), c.pos))
            parts += cparts
        for part in parts:
            self.expect(BOOL, self.expr(part, scope, _Ctx("temporal property")), part.pos,
                        f"a condition of temporal property {d.name!r}")
        form = conjuncts[0][0] if len(conjuncts) == 1 else "all"
        self.properties.append(PropertyInfo(d.name, d.expr, d.pos, "temporal", d.refuted,
                                            temporal=TemporalParts(form, parts, binders, conjuncts)))

    @staticmethod
    def temporal_form(e) -> tuple:
        """(form, [state conditions]) of a temporal property's formula, or a SpecError
        saying which form to write."""
        def op(x):
            return x.op if isinstance(x, A.Temporal) else None
        inner = e.args[0] if op(e) else None
        if op(e) == "leads_to":
            return "leads_to", e.args
        if op(e) == "eventually" and op(inner) is None:
            return "eventually", [inner]
        if op(e) == "eventually" and op(inner) == "always" and op(inner.args[0]) is None:
            return "eventually_always", inner.args
        if op(e) == "always" and op(inner) == "eventually" and op(inner.args[0]) is None:
            return "always_eventually", inner.args
        if isinstance(e, A.Binary) and e.op == "=>" and not _temporal_inside(e.left) \
                and op(e.right) == "eventually" and op(e.right.args[0]) is None:
            return "implies_eventually", [e.left, e.right.args[0]]
        if op(e) == "always" and isinstance(inner, A.Binary) and inner.op == "=>" \
                and not _temporal_inside(inner.left) and op(inner.right) == "always" \
                and op(inner.right.args[0]) is None:
            return "stable", [inner.left, inner.right.args[0]]
        if op(e) == "always" and isinstance(inner, A.Binary) and inner.op == "=>" \
                and not _temporal_inside(inner.left) and op(inner.right) == "eventually" \
                and op(inner.right.args[0]) is None:
            return "leads_to", [inner.left, inner.right.args[0]]      # TLA+'s definition of ~>
        if isinstance(e, A.Binary) and e.op == "=>" and _temporal_inside(e):
            raise SpecError(f"`P => ...` is checked from the initial state only as `P => eventually Q`; "
                            f"{_TEMPORAL_HELP}", e.pos)
        if op(e) == "always" and op(inner) is None and _temporal_inside(inner):
            raise SpecError(f"this nesting of temporal operators is not supported; {_TEMPORAL_HELP}", e.pos)
        if op(e) == "always" and op(inner) is None:
            raise SpecError("`always P` alone is an invariant: declare it as `invariant NAME = P`", e.pos)
        if op(e) == "always" and op(inner) == "leads_to":
            raise SpecError("`P leads_to Q` already means `always (P => eventually Q)`: "
                            "drop the `always`", e.pos)
        if op(e) is None:
            raise SpecError(f"a temporal property needs a temporal operator; {_TEMPORAL_HELP} "
                            f"(a condition on every state is an invariant)", e.pos)
        raise SpecError(f"this nesting of temporal operators is not supported; {_TEMPORAL_HELP}", e.pos)

    def fairness_decl(self, d: A.FairnessDecl):
        for item in d.targets:
            if not isinstance(item, A.FairGroup):
                self.fair_target(d, item)
                continue
            group, first = len(self.fairness), None
            for t in item.targets:
                info = self.fair_target(d, t, group)
                types = [next(ty for n, ty, _ in info.action.params if n == p) for p in info.params]
                if first is None:
                    first = (info, types)
                elif types != first[1]:
                    def show(i, ts):
                        return f"{i.action.name}({', '.join(f'{n}: {ty}' for n, ty in zip(i.params, ts))})"
                    raise SpecError(f"the actions of a fairness group list parameters of the same types, "
                                    f"matched by position (one constraint per value): {show(info, types)} "
                                    f"against {show(*first)}", t.pos)

    def fair_target(self, d, t, group=-1) -> FairnessInfo:
        """One action of a fairness declaration (in `group`, or its own)."""
        actions = {a.name: a for a in self.actions}
        act = actions.get(t.action)
        if act is None:
            raise SpecError(f"unknown action {t.action!r} in a fairness declaration"
                            f"{self.suggest(t.action, actions)}", t.pos)
        types = {n: ty for n, ty, _ in act.params}
        scope, names = _Scope(), []
        for name, pos in t.params or ():
            if name not in types:
                listing = ", ".join(types) or "none"
                raise SpecError(f"{act.name} has no parameter {name!r} (its parameters: {listing})", pos)
            if name in names:
                raise SpecError(f"parameter {name!r} appears twice", pos)
            names.append(name)
        for name, ty in types.items():     # the condition may read every parameter
            scope.names[name] = (ty, False)
        if t.cond is not None:
            self.expect(BOOL, self.expr(t.cond, scope, _Ctx("fairness condition")), t.cond.pos,
                        "a fairness condition")
        info = FairnessInfo(d.kind, act, names, t.cond, t.pos, group)
        self.fairness.append(info)
        return info

    def close_reads(self):
        changed = True
        while changed:
            changed = False
            for info in self.defs.values():
                for callee in list(info.calls):
                    extra = self.defs[callee].reads - info.reads
                    if extra:
                        info.reads |= extra
                        changed = True

    # ------------------------------------------------------------------ types
    def resolve_type(self, te: A.TypeExpr, alias_name: str | None = None) -> Type:
        if isinstance(te, A.BoolTypeExpr):
            return BOOL
        if isinstance(te, A.IntTypeExpr):
            return INT
        if isinstance(te, A.RangeTypeExpr):
            lo, hi = self.const_int(te.lo), self.const_int(te.hi)
            return IntT(lo, hi)
        if isinstance(te, A.SetTypeExpr):
            return SetT(self.resolve_type(te.elem))
        if isinstance(te, A.MapTypeExpr):
            k = self.resolve_type(te.key)
            if is_key_type(k) and key_count(k) > MAX_MAP_KEYS:
                raise SpecError(f"a map over {key_count(k):,} keys is too large to represent "
                                f"(at most {MAX_MAP_KEYS:,}); use a smaller key range", te.key.pos)
            if not is_key_type(k):
                raise SpecError(f"a map's key type must be bool, an enum, a scalarset, an integer "
                                f"range, or a record or tuple of those, not {k}", te.key.pos)
            v = self.resolve_type(te.value)
            if not te.total and isinstance(v, OptionT):
                raise SpecError("a partial map's values cannot be optional (an absent key already "
                                "means none); use map[K, option[V]]", te.value.pos)
            return MapT(k, v, te.total)
        if isinstance(te, A.SeqTypeExpr):
            return SeqT(self.resolve_type(te.elem), self.const_int(te.bound))
        if isinstance(te, A.OptionTypeExpr):
            inner = self.resolve_type(te.inner)
            if isinstance(inner, OptionT):
                raise SpecError("option[option[...]] is not allowed", te.pos)
            return OptionT(inner)
        if isinstance(te, A.TupleTypeExpr):
            return TupleT(tuple(self.resolve_type(t) for t in te.items))
        if isinstance(te, A.ScalarsetTypeExpr):
            if alias_name is None:
                raise SpecError("a scalarset must be named: `type NAME = scalarset(N)`", te.pos)
            n = self.const_int(te.size)
            if n < 1:
                raise SpecError(f"scalarset {alias_name} must have at least one value, not {n}", te.pos)
            return ScalarsetT(alias_name, n)
        if isinstance(te, A.NamedTypeExpr):
            if te.name in self.types:
                return self.types[te.name]
            raise SpecError(f"unknown type {te.name!r}" + self.suggest(te.name, self.types), te.pos)
        raise SpecError("unsupported type", te.pos)

    def require_finite(self, t: Type, pos, what):
        if isinstance(t, IntT) and not t.finite:
            raise SpecError(f"{what} needs a finite type: use a range such as 0..10 instead of int", pos)
        for sub in _children(t):
            self.require_finite(sub, pos, what)

    def const_int(self, e: A.Expr) -> int:
        t = self.expr(e, _Scope(), _Ctx("const", state=False))
        self.expect(INT, t, e.pos, "a constant integer expression")
        return self.const_eval(e)

    def const_eval(self, e: A.Expr):
        """Evaluate a constant expression (literals, constants, enum values, arithmetic)."""
        if isinstance(e, (A.IntLit, A.BoolLit)):
            return e.value
        if isinstance(e, A.NoneLit):
            return None
        if isinstance(e, A.Name):
            if e.kind == "const":
                return self.consts[e.name].value
            if e.kind == "enum":
                return e.ref[1]
            if e.kind == "type" and has_domain(e.ref):
                return frozenset(domain(e.ref))
        if isinstance(e, A.Field) and e.kind == "enum":
            return e.ref[1]
        if isinstance(e, A.Field) and isinstance(e.base.ty, RecordT):
            return self.const_eval(e.base)[e.base.ty.slot(e.name)]
        if isinstance(e, A.SetLit):
            return frozenset(self.const_eval(x) for x in e.items)
        if isinstance(e, A.TupleLit):
            return tuple(self.const_eval(x) for x in e.items)
        if isinstance(e, A.Call) and e.kind == "record":
            return tuple(self.const_eval(a) for a in e.args)
        if isinstance(e, A.Call) and e.kind == "builtin" and e.func == "size":
            return len(self.const_eval(e.args[0]))
        if isinstance(e, A.Call) and e.kind == "builtin" and e.func == "some":
            return self.const_eval(e.args[0])
        if isinstance(e, A.Binary) and e.op == "..":
            return frozenset(range(self.const_eval(e.left), self.const_eval(e.right) + 1))
        if isinstance(e, A.Binary) and e.op in ("union", "intersect", "minus", "in", "notin", "subseteq"):
            a, b = self.const_eval(e.left), self.const_eval(e.right)
            return {"union": lambda: a | b, "intersect": lambda: a & b, "minus": lambda: a - b,
                    "in": lambda: a in b, "notin": lambda: a not in b, "subseteq": lambda: a <= b}[e.op]()
        if isinstance(e, A.Unary):
            v = self.const_eval(e.operand)
            return -v if e.op == "-" else (not v)
        if isinstance(e, A.IfExpr):
            return self.const_eval(e.then) if self.const_eval(e.cond) else self.const_eval(e.orelse)
        if isinstance(e, A.Call) and e.func in ("min", "max", "abs") and e.kind == "builtin":
            vals = [self.const_eval(a) for a in e.args]
            return {"min": min, "max": max, "abs": lambda x: abs(x)}[e.func](*vals)
        if isinstance(e, A.Binary):
            a, b = self.const_eval(e.left), self.const_eval(e.right)
            ops = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                   "/": lambda: a // b, "%": lambda: a % b, "==": lambda: a == b,
                   "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b,
                   ">": lambda: a > b, ">=": lambda: a >= b, "and": lambda: a and b,
                   "or": lambda: a or b, "=>": lambda: (not a) or b}
            if e.op in ops:
                try:
                    return ops[e.op]()
                except ZeroDivisionError:
                    raise SpecError("division by zero in a constant expression", e.pos) from None
        raise SpecError("this must be a constant expression (literals, constants and arithmetic)", e.pos)

    # ------------------------------------------------------------------ statements
    def block(self, stmts, scope: _Scope, ctx: _Ctx, result: Type | None = None):
        for s in stmts:
            self.stmt(s, scope, ctx, result)

    def stmt(self, s, scope: _Scope, ctx: _Ctx, result):
        if isinstance(s, A.Assign):
            target_t = self.lvalue(s.target, scope, ctx)
            vt = self.expr(s.value, scope, ctx)
            self.expect(target_t, vt, s.value.pos, f"the assignment to {s.target.name!r}")
            _settle(s.value, target_t)
        elif isinstance(s, A.Let):
            self.check_fresh_local(s.name, scope, s.pos)
            t = _widen(self.expr(s.value, scope, ctx))
            if s.type is not None:
                declared = self.resolve_type(s.type)
                self.expect(declared, t, s.value.pos, f"the definition of {s.name!r}")
                _settle(s.value, declared)
                t = s.declared = declared
            if isinstance(t, AnyT) or _has_any(t):
                raise SpecError(f"cannot tell the type of {s.name!r} from an empty literal; "
                                f"give it one: `let {s.name}: set[T] = {{}}`", s.value.pos)
            scope.names[s.name] = (t, True)
        elif isinstance(s, A.If):
            self.expect(BOOL, self.expr(s.cond, scope, ctx), s.cond.pos, "an if condition")
            self.block(s.then, scope.child(), ctx, result)
            self.block(s.orelse, scope.child(), ctx, result)
        elif isinstance(s, A.For):
            dt = self.expr(s.domain, scope, ctx)
            et = self.element_type(dt, s.domain.pos, allow_map=True)
            inner = scope.child()
            self.check_fresh_local(s.var, scope, s.pos)
            inner.names[s.var] = (et, False)
            ctx.loop_depth += 1
            self.block(s.body, inner, ctx, result)
            ctx.loop_depth -= 1
        elif isinstance(s, A.Require):
            if ctx.proc is not None:
                ctx.proc.nondet = True
            if ctx.where not in ("action", "init", "proc"):
                raise SpecError(f"`require` belongs in an action or init, not in a {ctx.where}", s.pos)
            if ctx.loop_depth:
                raise SpecError("`require` cannot be inside a `for` loop; "
                                "put a `forall` in the guard instead", s.pos)
            self.expect(BOOL, self.expr(s.cond, scope, ctx), s.cond.pos, "`require`")
        elif isinstance(s, A.Choose):
            if ctx.proc is not None:
                ctx.proc.nondet = True
            if ctx.where not in ("action", "init", "proc"):
                raise SpecError(f"`choose` belongs in an action or init, not in a {ctx.where}", s.pos)
            if ctx.loop_depth:
                raise SpecError("`choose` cannot be inside a `for` loop", s.pos)
            dt = self.expr(s.domain, scope, ctx)
            et = self.element_type(dt, s.domain.pos)
            self.check_fresh_local(s.var, scope, s.pos)
            scope.names[s.var] = (et, False)
        elif isinstance(s, A.CallStmt):
            self.call_stmt(s, scope, ctx)
        elif isinstance(s, A.Return):
            if result is None:
                raise SpecError("`return` belongs in a function body", s.pos)
            self.expect(result, self.expr(s.value, scope, ctx), s.value.pos, "the returned value")
            _settle(s.value, result)
        else:  # pragma: no cover - parser produces nothing else
            raise SpecError("unsupported statement", s.pos)

    def check_fresh_local(self, name, scope, pos):
        if scope.lookup(name) is not None:
            raise SpecError(f"{name!r} is already defined here", pos)
        if name in self.vars or name in self.consts:
            raise SpecError(f"{name!r} would hide the {self.global_names[name][0]} of that name", pos)

    def lvalue(self, lv: A.LValue, scope, ctx) -> Type:
        local = scope.lookup(lv.name)
        if local is not None:
            t, mutable = local
            if not mutable:
                raise SpecError(f"{lv.name!r} is a parameter or bound variable and cannot be assigned", lv.pos)
            lv.kind = "local"
        elif lv.name in self.vars:
            if ctx.where not in ("action", "init", "proc"):
                raise SpecError(f"a {ctx.where} cannot assign the state variable {lv.name!r}", lv.pos)
            t = self.vars[lv.name].type
            lv.kind = "var"
        else:
            raise SpecError(f"cannot assign {lv.name!r}: not a state variable or local"
                            + self.suggest(lv.name, self.vars), lv.pos)
        lv.root_type = t
        for sel in lv.selectors:
            if sel[0] == "index":
                if isinstance(t, MapT):
                    self.expect(t.key, self.expr(sel[1], scope, ctx), sel[1].pos, "a map key")
                    t = t.value
                elif isinstance(t, SeqT):
                    self.expect(INT, self.expr(sel[1], scope, ctx), sel[1].pos, "a sequence index")
                    t = t.elem
                else:
                    raise SpecError(f"cannot index a {t}", sel[1].pos)
            else:
                if not isinstance(t, RecordT) or t.slot(sel[1]) < 0:
                    raise SpecError(f"{t} has no field {sel[1]!r}" + (
                        did_you_mean(sel[1], [f[0] for f in t.fields]) if isinstance(t, RecordT) else ""), lv.pos)
                t = t.fields[t.slot(sel[1])][1]
        return t

    # ------------------------------------------------------------------ expressions
    def expect(self, want: Type, got: Type, pos, what):
        if not assignable(want, got):
            if isinstance(want, MapT) and isinstance(got, MapT) and unify(want, got):
                raise SpecError(f"{what} needs a total map over every {want.key}; this map may leave keys "
                                f"out (build it with `{{k: v for k in {want.key}}}`)", pos)
            raise SpecError(f"type mismatch in {what}: expected {want}, found {got}", pos)

    def element_type(self, t: Type, pos, allow_map=False) -> Type:
        if isinstance(t, (SetT, SeqT)):
            return t.elem
        if allow_map and isinstance(t, MapT):
            return t.key
        raise SpecError(f"expected a set{' or sequence' if not allow_map else ', sequence or map'} "
                        f"to range over, found {t}", pos)

    def expr(self, e: A.Expr, scope: _Scope, ctx: _Ctx) -> Type:
        t = self._expr(e, scope, ctx)
        e.ty = t
        return t

    def _expr(self, e, scope, ctx) -> Type:
        if isinstance(e, A.IntLit):
            return IntT(e.value, e.value)
        if isinstance(e, A.BoolLit):
            return BOOL
        if isinstance(e, A.NoneLit):
            return OptionT(ANY)
        if isinstance(e, A.TypeSet):
            t = self.resolve_type(e.type)
            self.require_finite(t, e.pos, f"the set {t}")
            return self.type_as_set(e, t, str(t))
        if isinstance(e, A.Name):
            return self.name(e, scope, ctx)
        if isinstance(e, A.Primed):
            if not ctx.primes:
                raise SpecError(f"{e.name}' (a primed variable) is only allowed in an action property or a `cover action`", e.pos)
            if e.name not in self.vars:
                raise SpecError(f"only state variables can be primed; {e.name!r} is not one", e.pos)
            return self.vars[e.name].type
        if isinstance(e, A.Unary):
            t = self.expr(e.operand, scope, ctx)
            if e.op == "not":
                self.expect(BOOL, t, e.operand.pos, "`not`")
                return BOOL
            self.expect(INT, t, e.operand.pos, "unary minus")
            return INT
        if isinstance(e, A.Binary):
            return self.binary(e, scope, ctx)
        if isinstance(e, A.IfExpr):
            self.expect(BOOL, self.expr(e.cond, scope, ctx), e.cond.pos, "an if condition")
            a, b = self.expr(e.then, scope, ctx), self.expr(e.orelse, scope, ctx)
            u = unify(a, b)
            if u is None:
                raise SpecError(f"the branches of this if have different types: {a} and {b}", e.pos)
            return u
        if isinstance(e, A.Quant):
            inner = scope.child()
            for b in e.binders:
                et = self.element_type(self.expr(b.domain, inner, ctx), b.domain.pos, allow_map=True)
                for n in b.names:
                    self.check_fresh_local(n, inner, b.pos)
                    inner.names[n] = (et, False)
            self.expect(BOOL, self.expr(e.body, inner, ctx), e.body.pos, f"the body of `{e.kind}`")
            return BOOL
        if isinstance(e, A.The):
            if ", " in e.var:
                raise SpecError(f"`the` binds one name (the x in S: P), not {e.var}", e.pos)
            inner = scope.child()
            et = self.element_type(self.expr(e.domain, inner, ctx), e.domain.pos, allow_map=True)
            self.check_fresh_local(e.var, inner, e.pos)
            inner.names[e.var] = (et, False)
            self.expect(BOOL, self.expr(e.body, inner, ctx), e.body.pos, "the condition of `the`")
            return et
        if isinstance(e, A.Index):
            bt = self.expr(e.base, scope, ctx)
            it = self.expr(e.index, scope, ctx)
            if isinstance(bt, MapT):
                self.expect(bt.key, it, e.index.pos, "a map key")
                return bt.value
            if isinstance(bt, SeqT):
                self.expect(INT, it, e.index.pos, "a sequence index")
                return bt.elem
            raise SpecError(f"cannot index a value of type {bt}", e.pos)
        if isinstance(e, A.Field):
            return self.field(e, scope, ctx)
        if isinstance(e, A.TupleGet):
            bt = self.expr(e.base, scope, ctx)
            if not isinstance(bt, TupleT) or not (0 <= e.index < len(bt.items)):
                raise SpecError(f"{bt} has no component .{e.index}", e.pos)
            return bt.items[e.index]
        if isinstance(e, A.Call):
            return self.call(e, scope, ctx)
        if isinstance(e, A.TupleLit):
            return TupleT(tuple(self.expr(x, scope, ctx) for x in e.items))
        if isinstance(e, A.SetLit):
            return SetT(self.common(e.items, scope, ctx, "the elements of this set"))
        if isinstance(e, A.SeqLit):
            return SeqT(self.common(e.items, scope, ctx, "the elements of this sequence"))
        if isinstance(e, A.MapLit):
            kt = self.common([k for k, _ in e.entries], scope, ctx, "the keys of this map")
            vt = self.common([v for _, v in e.entries], scope, ctx, "the values of this map")
            if not isinstance(kt, AnyT) and not is_key_type(kt):
                raise SpecError(f"a map's keys must be bool, enum, scalarset or integer range values, not {kt}", e.pos)
            return MapT(kt, vt, False)
        if isinstance(e, A.Comprehension):
            return self.comprehension(e, scope, ctx)
        if isinstance(e, A.Temporal):
            op = "leads_to" if e.op == "leads_to" else f"`{e.op}`"
            where = "at the top of a temporal property" if ctx.where == "temporal property" \
                else "in a `temporal property`"
            raise SpecError(f"{op} is a temporal operator: it may only be used {where}; "
                            f"{_TEMPORAL_HELP}", e.pos)
        raise SpecError("unsupported expression", e.pos)

    def type_as_set(self, e: A.Name, t: Type, name: str) -> Type:
        """A type used as the set of its values (a type's name, or `map[K, V]`): only
        where they can be listed, and not too many of them."""
        if not has_domain(t, maps=True):
            raise SpecError(f"the type {name} has too many values to be used as a set", e.pos)
        if isinstance(t, IntT) and t.hi - t.lo >= MAX_RANGE_VALUES:
            raise SpecError(f"the type {name} has {t.hi - t.lo + 1:,} values, too many to use "
                            f"as a set (at most {MAX_RANGE_VALUES:,})", e.pos)
        if not isinstance(t, IntT) and (n := domain_size(t)) > MAX_ENUMERATED:
            raise SpecError(f"the set {name} has {n:,} values, too many to enumerate (at most "
                            f"{MAX_ENUMERATED:,}); use smaller key or value types", e.pos)
        e.kind, e.ref = "type", t
        return SetT(t)

    def common(self, items, scope, ctx, what) -> Type:
        t = ANY
        for x in items:
            xt = self.expr(x, scope, ctx)
            u = unify(t, xt)
            if u is None:
                raise SpecError(f"{what} have different types: {t} and {xt}", x.pos)
            t = u
        return t

    def name(self, e: A.Name, scope, ctx) -> Type:
        local = scope.lookup(e.name)
        if local is not None:
            e.kind = "local"
            return local[0]
        if e.name in self.vars:
            if not ctx.state:
                raise SpecError(f"the state variable {e.name!r} cannot be used in a constant expression", e.pos)
            e.kind = "var"
            if ctx.reads is not None:
                ctx.reads.add(e.name)
            return self.vars[e.name].type
        if e.name in self.consts:
            e.kind = "const"
            return self.consts[e.name].type
        if e.name in self.enum_members:
            members = self.enum_members[e.name]
            if len(members) > 1:
                names = " and ".join(m[0].name for m in members)
                raise SpecError(f"{e.name!r} is a value of {names}; write {members[0][0].name}.{e.name} "
                                f"to say which", e.pos)
            e.kind, e.ref = "enum", members[0]
            return members[0][0]
        if e.name in self.types:
            return self.type_as_set(e, self.types[e.name], e.name)
        if e.name in self.defs:
            raise SpecError(f"{e.name!r} is a function; call it with ({', '.join(p[0] for p in self.defs[e.name].params)})", e.pos)
        known = {**self.vars, **self.consts, **self.enum_members, **self.types}
        for s in _scope_names(scope):
            known[s] = None
        raise SpecError(f"unknown name {e.name!r}" + self.suggest(e.name, known), e.pos)

    def field(self, e: A.Field, scope, ctx) -> Type:
        if isinstance(e.base, A.Name) and scope.lookup(e.base.name) is None and e.base.name in self.types \
                and e.base.name not in self.vars:
            t = self.types[e.base.name]
            if isinstance(t, EnumT):
                if e.name not in t.values:
                    raise SpecError(f"enum {t.name} has no value {e.name!r}", e.pos)
                # a qualified enum value: the type name resolved as the enum value it names
                e.base.kind, e.base.ref = "enum", (t, t.values.index(e.name))
                e.kind, e.ref = "enum", e.base.ref
                return t
        bt = self.expr(e.base, scope, ctx)
        if not isinstance(bt, RecordT):
            raise SpecError(f"a value of type {bt} has no fields (.{e.name})", e.pos)
        slot = bt.slot(e.name)
        if slot < 0:
            raise SpecError(f"record {bt.name} has no field {e.name!r}"
                            f"{did_you_mean(e.name, [f[0] for f in bt.fields])} (its fields: "
                            + ", ".join(f[0] for f in bt.fields) + ")", e.pos)
        e.kind, e.slot = "record", slot
        return bt.fields[slot][1]

    def comprehension(self, e: A.Comprehension, scope, ctx) -> Type:
        dt = self.expr(e.domain, scope, ctx)
        et = self.element_type(dt, e.domain.pos, allow_map=True)
        inner = scope.child()
        self.check_fresh_local(e.var, scope, e.pos)
        inner.names[e.var] = (et, False)
        if e.cond is not None:
            self.expect(BOOL, self.expr(e.cond, inner, ctx), e.cond.pos, "a comprehension's condition")
        vt = self.expr(e.elem, inner, ctx)
        if e.kind == "set":
            return SetT(vt)
        if e.kind == "seq":
            return SeqT(vt)
        kt = self.expr(e.key, inner, ctx)
        if not is_key_type(kt):
            raise SpecError(f"a map's keys must be bool, enum, scalarset or integer range values, not {kt}", e.key.pos)
        whole_range = (isinstance(e.domain, A.Binary) and e.domain.op == ".." and isinstance(et, IntT)
                       and et.finite)           # lo..hi with constant bounds: every key of that range
        total = (e.cond is None and isinstance(e.key, A.Name) and e.key.name == e.var
                 and (isinstance(e.domain, A.Name) and e.domain.kind == "type" or whole_range))
        if isinstance(kt, IntT) and not kt.finite:
            kt = et if isinstance(et, IntT) and et.finite else kt
            if not kt.finite:
                raise SpecError("cannot tell the key range of this map; range over a range type "
                                "(`type P = 0..N`) or a typed parameter", e.key.pos)
        return MapT(kt, vt, total)

    def binary(self, e: A.Binary, scope, ctx) -> Type:
        op = e.op
        lt = self.expr(e.left, scope, ctx)
        rt = self.expr(e.right, scope, ctx)
        if op in ("and", "or", "=>"):
            self.expect(BOOL, lt, e.left.pos, f"`{op}`")
            self.expect(BOOL, rt, e.right.pos, f"`{op}`")
            return BOOL
        if op in ("+", "-", "*", "/", "%"):
            self.expect(INT, lt, e.left.pos, f"`{op}`")
            self.expect(INT, rt, e.right.pos, f"`{op}`")
            return INT
        if op in ("<", "<=", ">", ">="):
            self.expect(INT, lt, e.left.pos, f"`{op}`")
            self.expect(INT, rt, e.right.pos, f"`{op}`")
            return BOOL
        if op in ("==", "!="):
            if unify(lt, rt) is None:
                raise SpecError(f"cannot compare {lt} with {rt}", e.pos)
            _settle(e.left, rt)
            _settle(e.right, lt)
            return BOOL
        if op == "..":
            self.expect(INT, lt, e.left.pos, "a range bound")
            self.expect(INT, rt, e.right.pos, "a range bound")
            try:
                lo, hi = self.const_eval(e.left), self.const_eval(e.right)
            except SpecError:
                return SetT(INT)
            if hi - lo >= MAX_RANGE_VALUES:
                raise SpecError(f"this range has {hi - lo + 1:,} values, too many to build as a set "
                                f"(at most {MAX_RANGE_VALUES:,})", e.pos)
            return SetT(IntT(lo, hi))
        if op in ("in", "notin"):
            if isinstance(rt, SetT) or isinstance(rt, SeqT):
                if unify(rt.elem, lt) is None:
                    raise SpecError(f"`{op}`: a {lt} is never an element of a {rt}", e.pos)
                return BOOL
            raise SpecError(f"`{op}` needs a set or sequence on its right, found {rt}", e.right.pos)
        if op in ("union", "intersect", "minus", "subseteq"):
            for side, t in ((e.left, lt), (e.right, rt)):
                if not isinstance(t, SetT):
                    raise SpecError(f"`{op}` works on sets, found {t}", side.pos)
            u = unify(lt, rt)
            if u is None:
                raise SpecError(f"`{op}` of sets of different types: {lt} and {rt}", e.pos)
            return BOOL if op == "subseteq" else u
        raise SpecError(f"unknown operator {op}", e.pos)

    def call(self, e: A.Call, scope, ctx) -> Type:
        if e.func in self.types and isinstance(self.types[e.func], RecordT):
            return self.record_ctor(e, self.types[e.func], scope, ctx)
        if e.named:
            raise SpecError(f"named arguments are for building records; {e.func!r} is not a record type", e.pos)
        if e.func in self.defs:
            info = self.defs[e.func]
            if len(e.args) != len(info.params):
                raise SpecError(f"{e.func} takes {len(info.params)} argument(s), given {len(e.args)}", e.pos)
            if not ctx.state and info.reads:
                raise SpecError(f"{e.func} reads state and cannot be used in a constant expression", e.pos)
            for a, (pn, pt) in zip(e.args, info.params):
                self.expect(pt, self.expr(a, scope, ctx), a.pos, f"argument {pn!r} of {e.func}")
                _settle(a, pt)
            e.kind, e.ref = "def", info
            if ctx.calls is not None:
                ctx.calls.add(e.func)
            return info.result
        if e.func in BUILTINS:
            e.kind = "builtin"
            ts = [self.expr(a, scope, ctx) for a in e.args]
            return self.builtin(e, ts)
        raise SpecError(f"unknown function {e.func!r}"
                        + self.suggest(e.func, {**self.defs, **{b: None for b in BUILTINS}}), e.pos)

    def record_ctor(self, e: A.Call, rt: RecordT, scope, ctx) -> Type:
        fields = dict(rt.fields)
        given = {}
        if e.args and e.named:
            raise SpecError(f"build {rt.name} with all fields named or all positional", e.pos)
        if e.args:
            if len(e.args) != len(rt.fields):
                raise SpecError(f"{rt.name} has {len(rt.fields)} fields, given {len(e.args)}", e.pos)
            given = {f[0]: a for f, a in zip(rt.fields, e.args)}
        else:
            for n, a in e.named:
                if n not in fields:
                    raise SpecError(f"record {rt.name} has no field {n!r}{did_you_mean(n, fields)} "
                                    f"(its fields: {', '.join(f[0] for f in rt.fields)})", a.pos)
                if n in given:
                    raise SpecError(f"field {n!r} given twice", a.pos)
                given[n] = a
            missing = [f for f in fields if f not in given]
            if missing:
                raise SpecError(f"{rt.name}(...) misses field(s) {', '.join(missing)}", e.pos)
        for n, a in given.items():
            self.expect(fields[n], self.expr(a, scope, ctx), a.pos, f"field {n!r} of {rt.name}")
            _settle(a, fields[n])
        e.args = [given[f[0]] for f in rt.fields]
        e.named = []
        e.kind, e.ref = "record", rt
        return rt

    def builtin(self, e: A.Call, ts) -> Type:
        f, n = e.func, len(ts)   # the typing rule of each builtin of BUILTINS

        if (wrong := arity_error(f, n)) is not None:       # the registry's arities (lang/builtins.py)
            raise SpecError(wrong, e.pos)

        def need(i, cls, what):
            if not isinstance(ts[i], cls):
                raise SpecError(f"{f}: argument {i + 1} must be {what}, found {ts[i]}", e.args[i].pos)
            return ts[i]

        if f in ("size", "len"):
            need(0, (SetT, SeqT, MapT), "a set, sequence or map")
            return INT
        if f == "keys":
            return SetT(need(0, MapT, "a map").key)
        if f == "values":
            return SetT(need(0, MapT, "a map").value)
        if f == "has":
            m = need(0, MapT, "a map")
            self.expect(m.key, ts[1], e.args[1].pos, "the key of has()")
            return BOOL
        if f == "get":
            o = need(0, OptionT, "an option")
            return o.inner
        if f == "some":
            if isinstance(ts[0], OptionT):
                raise SpecError("some(x) of an option would nest options", e.pos)
            return OptionT(ts[0])
        if f in ("is_some", "is_none"):
            need(0, OptionT, "an option")
            return BOOL
        if f in ("min", "max"):
            if n == 2:
                self.expect(INT, ts[0], e.args[0].pos, f)
                self.expect(INT, ts[1], e.args[1].pos, f)
                return INT
            s = need(0, (SetT, SeqT), "a set of integers")
            self.expect(INT, s.elem, e.args[0].pos, f)
            return INT
        if f == "abs":
            self.expect(INT, ts[0], e.args[0].pos, f)
            return INT
        if f == "sum":
            s = need(0, (SetT, SeqT), "a set or sequence of integers")
            self.expect(INT, s.elem, e.args[0].pos, f)
            return INT
        if f == "sorted":
            s = need(0, (SetT, SeqT), "a set or sequence")
            return SeqT(s.elem)
        if f == "append":
            s = need(0, SeqT, "a sequence")
            u = unify(s.elem, ts[1])
            if u is None:
                raise SpecError(f"append: a {ts[1]} does not fit in a {s}", e.args[1].pos)
            return SeqT(u, s.bound)
        if f == "concat":
            a, b = need(0, SeqT, "a sequence"), need(1, SeqT, "a sequence")
            u = unify(a, b)
            if u is None:
                raise SpecError(f"concat of {a} and {b}", e.pos)
            return u
        if f in ("head", "last"):
            return need(0, SeqT, "a sequence").elem
        if f == "tail":
            return need(0, SeqT, "a sequence")
        if f == "index_of":
            s = need(0, SeqT, "a sequence")
            self.expect(s.elem, ts[1], e.args[1].pos, "index_of")
            return INT
        if f == "to_set":
            return SetT(need(0, SeqT, "a sequence").elem)
        if f == "put":
            m = need(0, MapT, "a map")
            self.expect(m.key, ts[1], e.args[1].pos, "the key of put()")
            self.expect(m.value, ts[2], e.args[2].pos, "the value of put()")
            return m
        if f == "remove":
            m = need(0, MapT, "a partial map")
            if m.total:
                raise SpecError("remove() works on partial maps (pmap); a total map has every key", e.pos)
            self.expect(m.key, ts[1], e.args[1].pos, "the key of remove()")
            return m
        if f == "union_all":
            s = need(0, SetT, "a set of sets")
            if not isinstance(s.elem, (SetT, AnyT)):
                raise SpecError(f"union_all needs a set of sets, found {s}", e.pos)
            return s.elem if isinstance(s.elem, SetT) else SetT(ANY)
        raise SpecError(f"unknown builtin {f}", e.pos)  # pragma: no cover

    @staticmethod
    def suggest(name, known) -> str:
        return did_you_mean(name, known)


def _temporal_conjuncts(e) -> list:
    """The conjuncts of a temporal formula `A and B and ...` whose conjuncts are temporal
    (a conjunction of conditions is one condition: [e] then)."""
    if isinstance(e, A.Binary) and e.op == "and" and (_temporal_inside(e.left) or _temporal_inside(e.right)):
        return _temporal_conjuncts(e.left) + _temporal_conjuncts(e.right)
    return [e]


def _as_declared_here(t, types: dict):
    """The abstract spec's type t in terms of this spec's named types: an enum,
    scalarset or record of the same name and the same values (the two specs declare
    it each; their values are then the same runtime values)."""
    if isinstance(t, (EnumT, ScalarsetT, RecordT)):
        here = types.get(t.name)
        same = type(here) is type(t) and (
            isinstance(t, EnumT) and here.values == t.values
            or isinstance(t, ScalarsetT) and here.size == t.size
            or isinstance(t, RecordT) and [f[0] for f in here.fields] == [f[0] for f in t.fields]
            and all(str(_as_declared_here(a[1], types)) == str(b[1]) for a, b in zip(t.fields, here.fields)))
        return here if same else t
    if isinstance(t, SetT):
        return SetT(_as_declared_here(t.elem, types))
    if isinstance(t, SeqT):
        return dataclasses.replace(t, elem=_as_declared_here(t.elem, types))
    if isinstance(t, OptionT):
        return OptionT(_as_declared_here(t.inner, types))
    if isinstance(t, MapT):
        return MapT(_as_declared_here(t.key, types), _as_declared_here(t.value, types), t.total)
    if isinstance(t, TupleT):
        return TupleT(tuple(_as_declared_here(x, types) for x in t.items))
    return t


def _fits(v, t) -> bool:
    """Is the runtime value v of (finite-typed) t inside t's bounds?"""
    if isinstance(t, IntT):
        return not t.finite or t.lo <= v <= t.hi
    if isinstance(t, SetT):
        return all(_fits(x, t.elem) for x in v)
    if isinstance(t, OptionT):
        return v is None or _fits(v, t.inner)
    if isinstance(t, (RecordT, TupleT)):
        return all(_fits(x, it) for x, it in zip(v, component_types(t)))
    return True


def _temporal_inside(e) -> bool:
    """Does a temporal operator occur in e (outside any nested quantifier's domain)?"""
    if isinstance(e, A.Temporal):
        return True
    if isinstance(e, A.Quant):
        return _temporal_inside(e.body)
    return isinstance(e, (A.Binary, A.Unary)) and any(
        _temporal_inside(x) for x in ((e.left, e.right) if isinstance(e, A.Binary) else (e.operand,)))


def _children(t: Type):
    if isinstance(t, SetT):
        return [t.elem]
    if isinstance(t, MapT):
        return [t.key, t.value]
    if isinstance(t, SeqT):
        return [t.elem]
    if isinstance(t, OptionT):
        return [t.inner]
    if isinstance(t, TupleT):
        return list(t.items)
    if isinstance(t, RecordT):
        return [f[1] for f in t.fields]
    return []


def _settle(e, want: Type):
    """An empty map literal `{:}` takes the map type its context expects (also when
    it sits inside a comprehension, an if-expression or a collection literal)."""
    if isinstance(e, A.MapLit) and not e.entries and isinstance(want, MapT):
        e.ty = MapT(want.key, want.value, False)
    elif isinstance(e, A.Comprehension):
        if e.kind == "map" and isinstance(want, MapT):
            _settle(e.elem, want.value)
        elif e.kind != "map" and isinstance(want, (SetT, SeqT)):
            _settle(e.elem, want.elem)
    elif isinstance(e, A.IfExpr):
        _settle(e.then, want)
        _settle(e.orelse, want)
    elif isinstance(e, (A.SetLit, A.SeqLit)) and isinstance(want, (SetT, SeqT)):
        for x in e.items:
            _settle(x, want.elem)


def _widen(t: Type) -> Type:
    """A local's type: literal int types like 3..3 widen to int (map keys keep their range)."""
    if isinstance(t, IntT):
        return INT
    if isinstance(t, SetT):
        return SetT(_widen(t.elem))
    if isinstance(t, SeqT):
        return SeqT(_widen(t.elem), t.bound)
    if isinstance(t, OptionT):
        return OptionT(_widen(t.inner))
    if isinstance(t, TupleT):
        return TupleT(tuple(_widen(x) for x in t.items))
    if isinstance(t, MapT):
        return MapT(t.key, _widen(t.value), t.total)
    return t


def _has_any(t: Type) -> bool:
    return isinstance(t, AnyT) or any(_has_any(c) for c in _children(t))


def _scope_names(scope):
    while scope is not None:
        yield from scope.names
        scope = scope.parent


def _always_returns(stmts) -> bool:
    for s in stmts:
        if isinstance(s, A.Return):
            return True
        if isinstance(s, A.If) and s.orelse and _always_returns(s.then) and _always_returns(s.orelse):
            return True
    return False
