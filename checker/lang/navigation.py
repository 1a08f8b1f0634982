"""What an editor asks of a spec: where a name is declared, where it is used, what it
is (its declaration, its type, the comment above it), what names are in scope, and
whether a rename is safe.

Problem: go to definition, find references, hover and completion need every name's
occurrences with their exact positions and scopes, which the AST does not keep (a
binder's names, a comprehension's variable have no position of their own).
Invariant: the index is built from the concrete tree (checker/lang/concrete.py), so
every NAME token is classified by the rule it sits in: a declaration's name (any
child of `start`, so declarations added to the grammar later are found), a field, an
enum value, a parameter, a local (`let`, `choose`, `for`, a quantifier's or a
comprehension's variable, a fairness target's parameters) scoped as the checker
scopes it, or a use, resolved innermost scope first. Types come from the type checker
when the spec checks (every typed use, each field access resolved by its record);
without them the index still answers definition, references and completion.
Cost: one concrete parse and one walk: about 0.3 s for spec/group.gdsl, plus the
type check (0.05 s).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, is_dataclass

import lark

from . import ast as A
from .builtins import BUILTINS
from .concrete import concrete_tree, keywords


@dataclass(eq=False)
class Symbol:
    """A declared name."""
    name: str
    kind: str                  # const, var, type, enum, enum value, record, field, def, proc, action,
                               # invariant, lemma, constraint, action property, temporal property,
                               # parameter, local, ... (a declaration's rule, read as words)
    line: int                  # of the name, 1-based
    col: int                   # 1-based
    end: tuple                 # (line, col) just past the whole declaration
    signature: str             # the declaration's text up to its body, on one line
    doc: str = ""              # the comments above it, or after it on its line
    container: "Symbol | None" = None
    children: list = field(default_factory=list)
    type: str = ""             # the type checker's, when known
    scope: tuple = ((0, 0), (0, 0))   # a local's or parameter's: from its name to the end of its scope

    def describe(self) -> str:
        """Hover text: the declaration (with its type) and its comment, in Markdown."""
        local = self.kind in ("local", "parameter")
        head = f"{self.name}: {self.type}" if local and self.type else self.signature
        text = f"```gdsl\n{head}\n```"
        if self.container is not None:
            text += f"\n{self.kind} of `{self.container.name}`"
            if local and head != self.signature:
                text += f": `{self.signature}`"
        elif self.kind:
            text += f"\n{self.kind}"
        return text + (f"\n\n{self.doc}" if self.doc else "")


@dataclass(eq=False)
class Occurrence:
    """One NAME token: a declaration of `symbol` or a use of it (None: unresolved, or a builtin)."""
    name: str
    line: int
    col: int                   # 1-based
    symbol: Symbol | None
    is_def: bool = False
    type: str = ""             # the type of the expression it names, when the spec type-checks
    field_use: bool = False    # `x.f` or `R(f: ...)`: resolved by the record's type when known

    @property
    def end_col(self) -> int:
        return self.col + len(self.name)


# Rules that bind names for what follows them, and how (see _Walker).
_PARAMS = {"param", "typed_param", "set_param"}
# A rule with one of these children binds their names for its other children: quantifiers,
# comprehensions, and any construct added later that reuses them (a CHOOSE, a sum, ...).
_BINDERS = {"binder", "comp_clause"}
_SEQUENTIAL_BINDERS = {"let", "choose"}
_FIELD_USES = {"field", "field_sel"}


class SpecIndex:
    """The names of one spec text: build with index_spec()."""

    def __init__(self, source: str):
        self.source = source
        self.lines = source.splitlines()
        self.symbols: list = []          # top-level declarations, in order
        self.occurrences: list = []      # every NAME token, in order
        self.by_name: dict = {}          # global name -> Symbol
        self.locals: list = []           # parameters and locals, each with its scope

    # ---- queries (line and col 1-based)
    def at(self, line: int, col: int) -> Occurrence | None:
        """The name at or just before the cursor."""
        for occ in self.occurrences:
            if occ.line == line and occ.col <= col <= occ.end_col:
                return occ
        return None

    def definition(self, line: int, col: int) -> Symbol | None:
        occ = self.at(line, col)
        return occ.symbol if occ else None

    def references(self, symbol: Symbol, include_declaration: bool = True) -> list:
        return [o for o in self.occurrences if o.symbol is symbol and (include_declaration or not o.is_def)]

    def hover(self, line: int, col: int) -> str | None:
        occ = self.at(line, col)
        if occ is None:
            return None
        if occ.symbol is not None:
            text = occ.symbol.describe()
            if occ.type and occ.symbol.kind not in ("local", "parameter") and occ.type != occ.symbol.type:
                text += f"\n\nhere: `{occ.type}`"
            return text
        builtin = BUILTINS.get(occ.name)
        if builtin:
            sig = builtin.signature.replace("`", "")
            here = f"\n\nhere: `{occ.type}`" if occ.type else ""
            return f"```gdsl\n{occ.name}: {sig}\n```\nbuiltin: {builtin.meaning}{here}"
        return f"```gdsl\n{occ.name}: {occ.type}\n```" if occ.type else None

    def rename_problem(self, symbol: Symbol, new_name: str) -> str | None:
        """Why `symbol` cannot be renamed to `new_name` (the type checker would refuse
        the result, or it would mean something else), or None."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", new_name):
            return f"'{new_name}' is not a name (letters, digits and _, not starting with a digit)"
        if new_name in keywords():
            return f"'{new_name}' is a keyword of gdsl"
        if new_name in BUILTINS:
            return f"'{new_name}' is a builtin function"
        local = symbol.kind in ("local", "parameter")
        for other in [*self.by_name.values(), *self.locals]:
            if other is symbol or other.name != new_name:
                continue
            if local and other.kind in ("local", "parameter"):
                (a, b), (c, d) = symbol.scope, other.scope
                if b < c or d < a:
                    continue             # scopes apart: both may have the name
            return f"'{new_name}' is already declared at line {other.line}"
        return None

    def visible(self, line: int, col: int) -> list:
        """The symbols a name typed at the cursor could mean: the globals, and the
        locals and parameters whose scope holds the cursor."""
        out = [s for s in self.symbols if s.kind != "spec"]
        out += [c for s in self.symbols for c in s.children if s.kind == "enum"]
        for sym in self.locals:
            start, end = sym.scope
            if start <= (line, col) <= end:
                out.append(sym)
        return out


def index_spec(source: str, checked_spec: A.Spec | None = None) -> SpecIndex:
    """The index of `source` (which must parse: callers parse it first for the error).
    `checked_spec`: the AST after a successful type check, whose types the index shows."""
    tree, comments = concrete_tree(source)
    index = SpecIndex(source)
    walker = _Walker(index, comments)
    walker.declare_globals(tree)
    walker.walk(tree, dict(index.by_name))
    index.occurrences.sort(key=lambda o: (o.line, o.col))
    if checked_spec is not None:
        _add_types(index, checked_spec)
    return index


class _Walker:
    def __init__(self, index: SpecIndex, comments):
        self.index = index
        self.comments = {c.line: c for c in comments if c.type == "COMMENT"}
        self.own_line_comments = {c.line for c in comments if c.type == "COMMENT"
                                  and not index.lines[c.line - 1][:c.column - 1].strip()}
        self.decl_symbols = {}           # id(declaration tree) -> Symbol
        self.declared = set()            # id() of the NAME tokens that declare something
        self.block_ends = []             # the ends of the blocks being walked

    # ---- declarations
    def declare_globals(self, tree):
        for decl in tree.children:
            if not isinstance(decl, lark.Tree):
                continue
            name = _first_name(decl)
            if name is None:
                continue
            sym = self._symbol(name, _kind(decl), decl)
            self.decl_symbols[id(decl)] = sym
            self.index.symbols.append(sym)
            self.index.by_name.setdefault(str(name), sym)
            self._occurrence(name, sym, True)
            if decl.data == "record_decl":
                for f in (c for c in decl.children if isinstance(c, lark.Tree) and c.data == "field_decl"):
                    tok = _first_name(f)
                    child = self._symbol(tok, "field", f, container=sym)
                    child.signature = f"{sym.name}.{child.signature}"
                    sym.children.append(child)
                    self._occurrence(tok, child, True)
            for names in decl.find_data("name_list") if decl.data == "enum_decl" else ():
                for tok in names.children:
                    if isinstance(tok, lark.Token) and tok.type == "NAME":
                        child = Symbol(str(tok), "enum value", tok.line, tok.column, (tok.end_line, tok.end_column),
                                       f"{sym.name}.{tok}", self._doc(tok.line, tok.line), container=sym)
                        sym.children.append(child)
                        self.index.by_name.setdefault(str(tok), child)
                        self._occurrence(tok, child, True)

    def _symbol(self, name_tok, kind, node, container=None) -> Symbol:
        return Symbol(str(name_tok), kind, name_tok.line, name_tok.column, (node.meta.end_line, node.meta.end_column),
                      _signature(self.index.source, node), self._doc(node.meta.line, name_tok.line),
                      container=container)

    def _doc(self, first_line: int, name_line: int) -> str:
        """The comment lines right above `first_line`, or the comment ending `name_line`."""
        lines = []
        n = first_line - 1
        while n in self.own_line_comments:
            lines.append(str(self.comments[n])[2:].strip())
            n -= 1
        if lines:
            return " ".join(reversed(lines))
        trailing = self.comments.get(name_line)
        return str(trailing)[2:].strip() if trailing is not None and name_line not in self.own_line_comments else ""

    def _occurrence(self, tok, sym, is_def=False):
        self.index.occurrences.append(Occurrence(str(tok), tok.line, tok.column, sym, is_def))
        if is_def:
            self.declared.add(id(tok))

    # ---- uses and local scopes
    def walk(self, node, env, owner=None, parent=None):
        """Record every NAME under `node`; `env` maps the names in scope to symbols."""
        rule = node.data
        if rule == "start":
            for decl in node.children:
                if isinstance(decl, lark.Tree):
                    self.walk(decl, dict(env), self.decl_symbols.get(id(decl)), node)
            return
        if rule == "block":
            env = dict(env)
            self.block_ends.append((node.meta.end_line, node.meta.end_column))
            for child in node.children:
                if isinstance(child, lark.Tree):
                    self.walk(child, env, owner, node)    # let and choose add to env for what follows
            self.block_ends.pop()
            return
        if rule in _SEQUENTIAL_BINDERS:
            name, rest = _split_name(node)
            for child in rest:
                self.walk(child, env, owner, node)
            self._bind(name, node, env, owner, self.block_ends[-1] if self.block_ends else _decl_end(owner))
            return
        if rule == "for_stmt":
            name, rest = _split_name(node)
            inner = dict(env)
            for child in rest:
                if child.data == "block":
                    self._bind(name, node, inner, owner, (node.meta.end_line, node.meta.end_column))
                    self.walk(child, inner, owner, node)
                else:
                    self.walk(child, env, owner, node)
            return
        if any(isinstance(c, lark.Tree) and c.data in _BINDERS for c in node.children):
            self._binding_expression(node, env, owner)
            return
        if rule in _PARAMS:
            name, rest = _split_name(node)
            for child in rest:
                self.walk(child, env, owner, node)
            self._bind(name, node, env, owner, _decl_end(owner), kind="parameter")
            return
        if rule == "fair_target":
            self._fair_target(node, env, owner)
            return
        for child in node.children:
            if isinstance(child, lark.Tree):
                self.walk(child, env, owner, node)
            elif isinstance(child, lark.Token) and child.type == "NAME" and id(child) not in self.declared:
                self._use(child, node, parent, env)

    def _bind(self, name_tok, node, env, owner, scope_end, kind="local"):
        if name_tok is None:
            return
        sym = Symbol(str(name_tok), kind, name_tok.line, name_tok.column, (node.meta.end_line, node.meta.end_column),
                     _signature(self.index.source, node), container=owner)
        sym.scope = ((name_tok.line, name_tok.column), scope_end)
        self.index.locals.append(sym)
        env[str(name_tok)] = sym
        self._occurrence(name_tok, sym, True)

    def _binding_expression(self, node, env, owner):
        """A quantifier or comprehension: each binder's domain sees the binders before it;
        the body (and a comprehension's condition and element) sees them all."""
        inner = dict(env)
        end = (node.meta.end_line, node.meta.end_column)
        clauses = [c for c in node.children if isinstance(c, lark.Tree) and c.data in _BINDERS]
        for clause in clauses:
            names = [c for c in clause.children if isinstance(c, lark.Token) and c.type == "NAME"]
            exprs = [c for c in clause.children if isinstance(c, lark.Tree)]
            domain, cond = (exprs[0], exprs[1:]) if clause.data == "comp_clause" else (exprs[-1], [])
            self.walk(domain, inner, owner, clause)
            for n in names:
                self._bind(n, clause, inner, owner, end)
            for c in cond:
                self.walk(c, inner, owner, clause)
        for child in node.children:
            if isinstance(child, lark.Tree) and child not in clauses:
                self.walk(child, inner, owner, node)

    def _fair_target(self, node, env, owner):
        action_tok = _first_name(node)
        self._use(action_tok, node, None, env)
        inner = dict(env)
        action = env.get(str(action_tok))
        for child in node.children:
            if isinstance(child, lark.Tree) and child.data == "fair_params":
                for tok in child.children:
                    if isinstance(tok, lark.Token) and tok.type == "NAME":
                        self._bind(tok, child, inner, action or owner, (node.meta.end_line, node.meta.end_column),
                                   kind="parameter")
            elif isinstance(child, lark.Tree):
                self.walk(child, inner, owner, node)

    def _use(self, tok, node, parent, env):
        name = str(tok)
        if node.data in _FIELD_USES or node.data == "named_arg":
            record = None
            if node.data == "named_arg" and parent is not None and _first_name(parent) is not None:
                record = self.index.by_name.get(str(_first_name(parent)))
            candidates = [c for s in self.index.symbols if s.kind == "record" and (record is None or s is record)
                          for c in s.children if c.name == name]
            occ = Occurrence(name, tok.line, tok.column, candidates[0] if candidates else env.get(name))
            occ.field_use = True
            self.index.occurrences.append(occ)
            return
        self.index.occurrences.append(Occurrence(name, tok.line, tok.column, env.get(name)))


def _first_name(node):
    """The first NAME token among a node's own children: what a declaration declares."""
    if node is None:
        return None
    for c in node.children:
        if isinstance(c, lark.Token) and c.type == "NAME":
            return c
    return None


def _split_name(node):
    """A binding rule's name token, and its subtrees."""
    name = _first_name(node)
    return name, [c for c in node.children if c is not name and isinstance(c, lark.Tree)]


def _kind(decl) -> str:
    """A declaration's kind in words, from its rule's name (`action_property_decl`: action property)."""
    kind = decl.data.removesuffix("_decl").replace("_", " ")
    return "temporal property" if kind == "temporal" else kind


def _decl_end(owner):
    """Where a parameter's scope ends: with its declaration."""
    return owner.end if owner is not None else (10**9, 0)


def _signature(source: str, node) -> str:
    """The declaration's text up to its block or, when its expression spans lines, up
    to the `=` before it; on one line."""
    start, end = node.meta.start_pos, node.meta.end_pos
    for child in node.children:
        if isinstance(child, lark.Tree) and child.data in ("block", "expr_body") and child.meta.start_pos:
            end = min(end, child.meta.start_pos)
            break
    else:
        eq = next((c for c in node.children if isinstance(c, lark.Token) and c.type == "EQUAL"), None)
        if eq is not None and "\n" in source[eq.start_pos:end]:
            end = eq.start_pos
    text = re.sub(r"//[^\n]*", "", source[start:end])
    return re.sub(r"\s+", " ", text).strip()


# ---- types from the type checker
_SKIP = {"ref", "ty", "declared", "root_type", "kind", "slot"}


def _typed_nodes(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if is_dataclass(n) and not isinstance(n, type):
            yield n
            stack.extend(getattr(n, f.name) for f in fields(n) if f.name not in _SKIP)
        elif isinstance(n, (list, tuple)):
            stack.extend(n)


def _add_types(index: SpecIndex, spec: A.Spec):
    types = {}
    field_records = {}
    for n in _typed_nodes(spec):
        if isinstance(n, (A.Name, A.Primed, A.Call, A.Field)) and getattr(n, "ty", None) is not None:
            types[tuple(n.pos)] = str(n.ty)
            if isinstance(n, A.Field) and getattr(n.base, "ty", None) is not None:
                field_records[tuple(n.pos)] = str(n.base.ty)
    records = {s.name: s for s in index.symbols if s.kind == "record"}
    for occ in index.occurrences:
        occ.type = types.get((occ.line, occ.col), "")
        record = records.get(field_records.get((occ.line, occ.col)))
        if record is not None and occ.field_use:
            occ.symbol = next((c for c in record.children if c.name == occ.name), occ.symbol)
    for occ in index.occurrences:           # a local's type: that of its first typed use
        sym = occ.symbol
        if sym is not None and not sym.type and occ.type and not occ.is_def:
            sym.type = occ.type
