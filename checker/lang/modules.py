"""Spec modules: a spec that extends another, without copying it.

The problem: a user with their own question (one property, one constant changed, a
function varied) had to copy the 1,500-line group spec. Now a file that begins

    extends "../../spec/group.gdsl"      // relative to this file

holds every declaration of that spec, adds its own after them, and replaces some by
name with `override`: a constant's default, a function (`def`), an invariant, lemma,
action or temporal property, or a constraint. Anything else declared under a name the
base spec uses is a clash, reported with both places. Variables, types, enums,
records, actions, procs, `init` and fairness are the protocol itself: an extension adds
new ones but replaces none (it would be another protocol, which is a new spec).

The invariant: every position in the joined spec is a position in exactly one file
(the files' texts are joined line by line into a JoinedSource, each extension parsed at
its own offset), so any error (syntax, types, compile) is reported at that file's
path, line and caret. Chains (an extension of an extension) work; cycles are errors.
The cost: each file is read and parsed once (the extending one twice, at offset 0 to
find its `extends`, then at its place); 20 ms for the group spec. Public entry point:
`load(path)`.
"""
from __future__ import annotations

from pathlib import Path

from . import ast as A
from . import parser
from .errors import JoinedSource, SpecError, UsageError, did_you_mean
from .sourcefile import read_source

# What `override` may replace, by the declaration's class, named as users say it.
_OVERRIDABLE = {A.ConstDecl: "constant", A.DefDecl: "function", A.InvariantDecl: "invariant",
                A.ActionPropertyDecl: "action property", A.TemporalPropertyDecl: "temporal property",
                A.ConstraintDecl: "constraint", A.CoverDecl: "cover"}
_KINDS = {**_OVERRIDABLE, A.RefinementDecl: "refinement", A.TypeDecl: "type", A.EnumDecl: "enum", A.RecordDecl: "record",
          A.VarDecl: "variable", A.ProcDecl: "proc", A.ActionDecl: "action", A.InitDecl: "init block",
          A.SpecDecl: "spec name", A.FairnessDecl: "fairness declaration", A.ExtendsDecl: "extends"}


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def load(path: str | Path) -> A.Spec:
    """Read and parse a spec file, joined with the specs it extends (UsageError if it
    cannot be read, located SpecErrors for the rest)."""
    return _load(str(path), ())


def with_text(source: str, path: str, extra: str) -> A.Spec:
    """A spec's text with generated declarations after it (--infer's candidate lemmas and
    evaluation functions), parsed: for a spec that extends others, the joined spec
    (read again from `path`) with the declarations added, located at `<generated>`."""
    if not isinstance(source, JoinedSource):
        return parser.parse(source + "\n\n" + extra, path)
    spec = load(path)
    joined = JoinedSource([(p, t) for _, p, t in spec.source.parts] + [("<generated>", extra)])
    decls = parser.parse("\n" * (joined.parts[-1][0] - 1) + extra, "<generated>").decls
    return A.Spec(spec.name, spec.decls + decls, path=spec.path, source=joined)


def _load(path: str, chain: tuple) -> A.Spec:
    text = read_source(path)
    spec = parser.parse(text, path)
    extends = [d for d in spec.decls if isinstance(d, A.ExtendsDecl)]
    if not extends:
        stray = next((d for d in spec.decls if isinstance(d, A.OverrideDecl)), None)
        if stray is not None:
            raise SpecError("`override` replaces a declaration of the spec this one extends, and this "
                            "spec extends none (begin it with  extends \"base.gdsl\")", stray.pos, path, text)
        return spec
    first = extends[0]
    if len(extends) > 1:
        raise SpecError("a spec extends at most one other spec (extend a chain instead: B extends A, "
                        "C extends B)", extends[1].pos, path, text)
    if any(not isinstance(d, (A.SpecDecl, A.ExtendsDecl)) for d in spec.decls[:spec.decls.index(first)]):
        raise SpecError("`extends` comes first (after `spec NAME`): the base spec's declarations come "
                        "before this file's", first.pos, path, text)
    base_path = Path(path).parent / first.path
    here = [str(Path(p).resolve()) for p in (*chain, path)]
    if str(base_path.resolve()) in here:
        raise SpecError(f"extends {first.path!r}: a cycle ({' -> '.join(map(str, (*chain, path, base_path)))})",
                        first.pos, path, text)
    try:
        base = _load(str(base_path), (*chain, path))
    except UsageError as e:
        raise SpecError(f"extends {first.path!r}: {e} (the path is relative to this file)", first.pos,
                        path, text) from None
    parts = base.source.parts if isinstance(base.source, JoinedSource) else [(0, base.path, base.source)]
    joined = JoinedSource([(p, t) for _, p, t in parts] + [(path, text)])
    offset = joined.parts[-1][0] - 1
    own = parser.parse("\n" * offset + text, path).decls      # positions in the joined text
    return _merge(base, own, path, joined)


def _merge(base: A.Spec, own: list, path: str, joined: JoinedSource) -> A.Spec:
    """The base's declarations with this file's overrides in their places, then its new ones."""
    decls = [d for d in base.decls if not isinstance(d, A.SpecDecl)]
    where = {d.name: i for i, d in enumerate(decls) if isinstance(d, A.Decl)}
    head = [A.SpecDecl(Path(path).stem, pos=(0, 0))]
    added = []
    for d in own:
        if isinstance(d, A.SpecDecl):
            head = [d]
        elif isinstance(d, A.OverrideDecl):
            decls[_replaced(d, decls, where, joined)] = d.decl
        elif isinstance(d, A.ExtendsDecl):
            continue
        else:
            if isinstance(d, A.InitDecl) and "init" in where:
                raise SpecError(f"an extension cannot replace the init block (the base spec's is at "
                                f"{joined.place(decls[where['init']].pos)}): the initial states are the "
                                f"protocol's", d.pos, path, joined)
            if isinstance(d, A.Decl) and d.name in where:
                old = decls[where[d.name]]
                raise SpecError(f"{d.name!r} is already declared by the spec this one extends, as "
                                f"{_a(_KINDS[type(old)])} at {joined.place(old.pos)}; "
                                + (f"write `override` before this declaration to replace it, or"
                                   if type(old) is type(d) and type(d) in _OVERRIDABLE else "")
                                + " give this one another name", d.pos, path, joined)
            added.append(d)
    name = head[0].name
    return A.Spec(name, head + decls + added, path=path, source=joined)


def _replaced(d: A.OverrideDecl, decls: list, where: dict, joined: JoinedSource) -> int:
    """The index in `decls` of the declaration an `override` replaces, or a located error."""
    new = d.decl
    if isinstance(new, A.OverrideDecl):
        raise SpecError("`override` once is enough", new.pos, "", joined)
    if type(new) not in _OVERRIDABLE:
        raise SpecError(f"an extension cannot override {_a(_KINDS.get(type(new), 'declaration'))}: only "
                        f"constants (their defaults), functions (def), invariants, lemmas, action and "
                        f"temporal properties, constraints and covers; declare a new one under another name",
                        d.pos, "", joined)
    if new.name not in where:
        raise SpecError(f"override {new.name!r}: the spec this one extends declares no {new.name!r}"
                        + did_you_mean(new.name, where), new.pos, "", joined)
    k = where[new.name]
    old = decls[k]
    if type(old) is not type(new):
        raise SpecError(f"override {new.name!r}: the spec this one extends declares it as "
                        f"{_a(_KINDS[type(old)])} (at {joined.place(old.pos)}), and {_a(_KINDS[type(new)])} "
                        f"cannot replace it", new.pos, "", joined)
    return k
