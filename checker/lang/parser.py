"""Parse gdsl text into plain AST nodes (checker/lang/ast.py), with located syntax errors."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import lark
from lark import Transformer, v_args

from . import ast as A
from .errors import SpecError, too_deep

_GRAMMAR = Path(__file__).with_name("grammar.lark")

# What a person calls the grammar's terminals in an error message.
_TOKEN_WORDS = {
    "NAME": "a name", "INT": "a number", "LBRACE": "'{'", "RBRACE": "'}'", "LPAR": "'('",
    "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "COLON": "':'", "COMMA": "','",
    "EQUAL": "'='", "SEMICOLON": "';'", "DOT": "'.'", "CMP_OP": "a comparison",
    "ADD_OP": "'+' or '-'", "MUL_OP": "'*', '/' or '%'", "SET_OP": "a set operator",
    "QUANT": "'forall' or 'exists'", "THE": "'the'", "$END": "the end of the file", "MINUS": "'-'",
    "STRING": "a string",
}


@lru_cache(maxsize=1)
def _lark() -> lark.Lark:
    # cache=True: Lark keeps the LALR tables in the temporary directory, keyed by the
    # grammar and options (0.17 s of every run's start-up otherwise)
    return lark.Lark(_GRAMMAR.read_text(), parser="lalr", propagate_positions=True,
                     maybe_placeholders=True, cache=True)


def _pos(meta_or_token):
    line = getattr(meta_or_token, "line", None)
    col = getattr(meta_or_token, "column", None)
    return (line or 0, col or 0)


def _word(token_type: str) -> str:
    """How an error message names a terminal: a word for the named ones, else its text."""
    if token_type in _TOKEN_WORDS:
        return _TOKEN_WORDS[token_type]
    try:
        pattern = _lark().get_terminal(token_type).pattern
    except KeyError:
        return token_type.lower()
    if pattern.type == "str":
        return f"'{pattern.value}'"
    return token_type.lower()


@v_args(meta=True)
class _ToAst(Transformer):
    """Lark tree -> AST nodes. Nothing else happens here."""

    # ---- declarations
    def start(self, meta, decls):
        return [d for d in decls if d is not None]

    def empty_decl(self, meta, _):
        return None

    def spec_decl(self, meta, c):
        return A.SpecDecl(str(c[0]), pos=_pos(c[0]))

    def extends_decl(self, meta, c):
        return A.ExtendsDecl(str(c[0])[1:-1], pos=_pos(meta))

    def override_decl(self, meta, c):
        return A.OverrideDecl(c[0], pos=_pos(meta))

    def const_decl(self, meta, c):
        return A.ConstDecl(str(c[0]), c[1], c[2], pos=_pos(c[0]))

    def type_decl(self, meta, c):
        return A.TypeDecl(str(c[0]), c[1], pos=_pos(c[0]))

    def enum_decl(self, meta, c):
        names = c[1]
        return A.EnumDecl(str(c[0]), [str(n) for n in names], [_pos(n) for n in names], pos=_pos(c[0]))

    def name_list(self, meta, c):
        return list(c)

    def record_decl(self, meta, c):
        return A.RecordDecl(str(c[0]), list(c[1:]), pos=_pos(c[0]))

    def field_decl(self, meta, c):
        return (str(c[0]), c[1], _pos(c[0]))

    def var_decl(self, meta, c):
        return A.VarDecl(str(c[0]), c[1], c[2], pos=_pos(c[0]))

    def init_decl(self, meta, c):
        return A.InitDecl("init", c[0], pos=_pos(meta))

    def def_decl(self, meta, c):
        name, *rest = c
        params = [p for p in rest[:-2] if p is not None]
        return A.DefDecl(str(name), params, rest[-2], rest[-1], pos=_pos(name))

    def proc_decl(self, meta, c):
        name, *rest = c
        params = [p for p in rest[:-1] if p is not None]
        return A.ProcDecl(str(name), params, rest[-1], pos=_pos(name))

    def call_stmt(self, meta, c):
        return A.CallStmt(str(c[0]), [a for a in c[1:] if a is not None], pos=_pos(c[0]))

    def expr_body(self, meta, c):
        return c[0]

    def param(self, meta, c):
        return A.Param(str(c[0]), type=c[1], pos=_pos(c[0]))

    def typed_param(self, meta, c):
        return A.Param(str(c[0]), type=c[1], pos=_pos(c[0]))

    def set_param(self, meta, c):
        return A.Param(str(c[0]), domain=c[1], pos=_pos(c[0]))

    def action_decl(self, meta, c):
        name, *rest = c
        body, guard = rest[-1], rest[-2]
        params = [p for p in rest[:-2] if p is not None]
        return A.ActionDecl(str(name), params, guard, body, pos=_pos(name))

    def invariant_decl(self, meta, c):
        return A.InvariantDecl(str(c[1]), c[2], refuted=c[0] is not None, pos=_pos(c[1]))

    def lemma_decl(self, meta, c):
        return A.InvariantDecl(str(c[0]), c[1], lemma=True, pos=_pos(c[0]))

    def constraint_decl(self, meta, c):
        return A.ConstraintDecl(str(c[0]), c[1], pos=_pos(c[0]))

    def action_property_decl(self, meta, c):
        refuted = len(c) == 3
        name, expr = c[-2], c[-1]
        return A.ActionPropertyDecl(str(name), expr, refuted=refuted, pos=_pos(name))

    def cover_decl(self, meta, c):
        return A.CoverDecl(str(c[0]), c[2], when=c[1], pos=_pos(c[0]))

    def cover_action_decl(self, meta, c):
        return A.CoverDecl(str(c[0]), c[2], step=True, when=c[1], pos=_pos(c[0]))

    def temporal_decl(self, meta, c):
        return A.TemporalPropertyDecl(str(c[1]), c[2], refuted=c[0] is not None, pos=_pos(c[1]))

    def fairness_decl(self, meta, c):
        return A.FairnessDecl(c[0], list(c[1:]), pos=_pos(meta))

    def refinement_decl(self, meta, c):
        return A.RefinementDecl(str(c[0]), str(c[1])[1:-1], list(c[2:]), pos=_pos(meta))

    def refinement_map(self, meta, c):
        return (str(c[0]), c[1], _pos(c[0]))

    def weak(self, meta, c):
        return "weak"

    def strong(self, meta, c):
        return "strong"

    def fair_target(self, meta, c):
        return A.FairTarget(str(c[0]), c[1], c[2], pos=_pos(c[0]))

    def fair_group(self, meta, c):
        return A.FairGroup(list(c), pos=_pos(meta))

    def fair_params(self, meta, c):
        return [(str(n), _pos(n)) for n in c if n is not None]

    # ---- types
    def bool_type(self, meta, c):
        return A.BoolTypeExpr(pos=_pos(meta))

    def int_type(self, meta, c):
        return A.IntTypeExpr(pos=_pos(meta))

    def range_type(self, meta, c):
        return A.RangeTypeExpr(c[0], c[1], pos=_pos(meta))

    def set_type(self, meta, c):
        return A.SetTypeExpr(c[0], pos=_pos(meta))

    def map_type(self, meta, c):
        return A.MapTypeExpr(c[0], c[1], True, pos=_pos(meta))

    def pmap_type(self, meta, c):
        return A.MapTypeExpr(c[0], c[1], False, pos=_pos(meta))

    def seq_type(self, meta, c):
        return A.SeqTypeExpr(c[0], c[1], pos=_pos(meta))

    def option_type(self, meta, c):
        return A.OptionTypeExpr(c[0], pos=_pos(meta))

    def tuple_type(self, meta, c):
        return A.TupleTypeExpr(list(c), pos=_pos(meta))

    def scalarset_type(self, meta, c):
        return A.ScalarsetTypeExpr(c[0], pos=_pos(meta))

    def named_type(self, meta, c):
        return A.NamedTypeExpr(str(c[0]), pos=_pos(c[0]))

    # ---- statements
    def block(self, meta, c):
        return [s for s in c if s is not None]

    def empty_stmt(self, meta, c):
        return None

    def assign(self, meta, c):
        return A.Assign(c[0], c[1], pos=c[0].pos)

    def lvalue(self, meta, c):
        return A.LValue(str(c[0]), list(c[1:]), pos=_pos(c[0]))

    def index_sel(self, meta, c):
        return ("index", c[0])

    def field_sel(self, meta, c):
        return ("field", str(c[0]))

    def let(self, meta, c):
        return A.Let(str(c[0]), c[1], c[2], pos=_pos(meta))

    def if_stmt(self, meta, c):
        orelse = c[2]
        if orelse is None:
            orelse = []
        elif isinstance(orelse, A.If):
            orelse = [orelse]
        return A.If(c[0], c[1], orelse, pos=_pos(meta))

    def for_stmt(self, meta, c):
        return A.For(str(c[0]), c[1], c[2], pos=_pos(meta))

    def require(self, meta, c):
        return A.Require(c[0], pos=_pos(meta))

    def choose(self, meta, c):
        return A.Choose(str(c[0]), c[1], pos=_pos(meta))

    def return_stmt(self, meta, c):
        return A.Return(c[0], pos=_pos(meta))

    # ---- expressions
    def quant(self, meta, c):
        return A.Quant(str(c[0]), list(c[1:-1]), c[-1], pos=_pos(meta))

    def the_expr(self, meta, c):
        # one name (`the x in S: P`); several are refused by the type checker
        return A.The(", ".join(c[1].names), c[1].domain, c[2], pos=_pos(meta))

    def binder(self, meta, c):
        return A.Binder([str(n) for n in c[:-1]], c[-1], pos=_pos(meta))

    def always(self, meta, c):
        return A.Temporal("always", [c[0]], pos=_pos(meta))

    def eventually(self, meta, c):
        return A.Temporal("eventually", [c[0]], pos=_pos(meta))

    def leads_to(self, meta, c):
        return A.Temporal("leads_to", [c[0], c[1]], pos=_pos(meta))

    def if_expr(self, meta, c):
        return A.IfExpr(c[0], c[1], c[2], pos=_pos(meta))

    def implies(self, meta, c):
        return A.Binary("=>", c[0], c[1], pos=_pos(meta))

    def or_(self, meta, c):
        return A.Binary("or", c[0], c[1], pos=_pos(meta))

    def and_(self, meta, c):
        return A.Binary("and", c[0], c[1], pos=_pos(meta))

    def not_(self, meta, c):
        return A.Unary("not", c[0], pos=_pos(meta))

    def compare(self, meta, c):
        return A.Binary(str(c[1]), c[0], c[2], pos=_pos(c[1]))

    def in_(self, meta, c):
        return A.Binary("in", c[0], c[1], pos=_pos(meta))

    def notin(self, meta, c):
        return A.Binary("notin", c[0], c[1], pos=_pos(meta))

    def setop(self, meta, c):
        return A.Binary(str(c[1]), c[0], c[2], pos=_pos(c[1]))

    def range(self, meta, c):
        return A.Binary("..", c[0], c[1], pos=_pos(meta))

    def binop(self, meta, c):
        return A.Binary(str(c[1]), c[0], c[2], pos=_pos(c[1]))

    def neg(self, meta, c):
        return A.Unary("-", c[0], pos=_pos(meta))

    def index(self, meta, c):
        return A.Index(c[0], c[1], pos=_pos(meta))

    def field(self, meta, c):
        return A.Field(c[0], str(c[1]), pos=_pos(c[1]))

    def tuple_get(self, meta, c):
        return A.TupleGet(c[0], int(c[1]), pos=_pos(c[1]))

    def primed(self, meta, c):
        return A.Primed(str(c[0]), pos=_pos(c[0]))

    def int_lit(self, meta, c):
        return A.IntLit(int(c[0]), pos=_pos(c[0]))

    def string_lit(self, meta, c):
        """A string is the sequence of its UTF-16 code units (what Java's String.hashCode sees)."""
        text = str(c[0])[1:-1]
        units = text.encode("utf-16-le")
        codes = [int.from_bytes(units[i:i + 2], "little") for i in range(0, len(units), 2)]
        return A.SeqLit([A.IntLit(u, pos=_pos(c[0])) for u in codes], pos=_pos(c[0]))

    def true_lit(self, meta, c):
        return A.BoolLit(True, pos=_pos(meta))

    def false_lit(self, meta, c):
        return A.BoolLit(False, pos=_pos(meta))

    def none_lit(self, meta, c):
        return A.NoneLit(pos=_pos(meta))

    def name(self, meta, c):
        return A.Name(str(c[0]), pos=_pos(c[0]))

    def call(self, meta, c):
        args, named = [], []
        for a in c[1:]:
            if a is None:
                continue
            if isinstance(a, tuple):
                named.append(a)
            else:
                args.append(a)
        return A.Call(str(c[0]), args, named, pos=_pos(c[0]))

    def named_arg(self, meta, c):
        return (str(c[0]), c[1])

    def tuple_lit(self, meta, c):
        return A.TupleLit(list(c), pos=_pos(meta))

    def empty_set(self, meta, c):
        return A.SetLit([], pos=_pos(meta))

    def empty_map(self, meta, c):
        return A.MapLit([], pos=_pos(meta))

    def set_lit(self, meta, c):
        return A.SetLit(list(c), pos=_pos(meta))

    def set_comp(self, meta, c):
        var, domain, cond = c[1]
        return A.Comprehension("set", var, domain, cond, c[0], pos=_pos(meta))

    def map_lit(self, meta, c):
        return A.MapLit([(c[i], c[i + 1]) for i in range(0, len(c), 2)], pos=_pos(meta))

    def map_comp(self, meta, c):
        var, domain, cond = c[2]
        return A.Comprehension("map", var, domain, cond, c[1], key=c[0], pos=_pos(meta))

    def map_type_set(self, meta, c):
        return A.TypeSet("map[...]", type=A.MapTypeExpr(c[0], c[1], True, pos=_pos(meta)), pos=_pos(meta))

    def pmap_type_set(self, meta, c):
        return A.TypeSet("pmap[...]", type=A.MapTypeExpr(c[0], c[1], False, pos=_pos(meta)), pos=_pos(meta))

    def empty_seq(self, meta, c):
        return A.SeqLit([], pos=_pos(meta))

    def seq_lit(self, meta, c):
        return A.SeqLit(list(c), pos=_pos(meta))

    def seq_comp(self, meta, c):
        var, domain, cond = c[1]
        return A.Comprehension("seq", var, domain, cond, c[0], pos=_pos(meta))

    def comp_clause(self, meta, c):
        return (str(c[0]), c[1], c[2])


def parse(source: str, path: str = "<spec>") -> A.Spec:
    """Parse gdsl source text; raise SpecError (located) on a syntax error."""
    try:
        tree = _lark().parse(source)
        decls = _ToAst().transform(tree)
    except lark.exceptions.UnexpectedInput as e:
        raise _syntax_error(e, source, path) from None
    except (RecursionError, lark.exceptions.VisitError) as e:
        if isinstance(e, lark.exceptions.VisitError) and not isinstance(e.orig_exc, RecursionError):
            raise
        raise too_deep(path, source) from None
    name = next((d.name for d in decls if isinstance(d, A.SpecDecl)), Path(path).stem)
    return A.Spec(name, decls, path=path, source=source)


@lru_cache(maxsize=1)
def _reserved() -> frozenset:
    """The grammar's keywords (checker/lang/concrete.keywords() lists the same; it
    imports this module, so this one cannot import it)."""
    words = {t.pattern.value for t in _lark().terminals
             if t.pattern.type == "str" and t.pattern.value.isidentifier()}
    return frozenset(words | {"forall", "exists", "refuted", "union", "intersect", "minus", "subseteq"})


def _reserved_word(e, tok, source) -> str:
    """A hint when a reserved word used as a name is the likely cause: the unexpected
    token is one where a name was expected, or the word just before it was read as a
    keyword (`in = true` after an expression reads as the operator `in`)."""
    if str(tok) in _reserved() and "NAME" in (e.expected or ()):
        return (f"; '{tok}' is a reserved word and cannot be used as a name here "
                f"(rename it, e.g. {tok}_)")
    start = getattr(tok, "start_pos", None)
    if start is None:
        return ""
    import re
    before = re.search(r"([A-Za-z_][A-Za-z_0-9]*)\s*$", source[:start])
    if before and before.group(1) in _reserved() and str(tok) in ("=", "[", "."):
        word = before.group(1)
        return (f"; '{word}' is a reserved word, read here as the keyword: a variable named "
                f"{word} cannot be assigned where a statement follows an expression "
                f"(rename it, e.g. {word}_)")
    return ""


def _syntax_error(e, source, path) -> SpecError:
    line, col = getattr(e, "line", 0) or 0, getattr(e, "column", 0) or 0
    if isinstance(e, lark.exceptions.UnexpectedToken):
        tok = e.token
        found = "end of file" if tok.type == "$END" else f"'{tok}'"
        expected = sorted({_word(t) for t in (e.expected or ())})
        msg = f"unexpected {found}"
        reserved = _reserved_word(e, tok, source)
        if reserved:
            return SpecError(msg + reserved, (line, col), path, source)
        after_eq = str(tok) == "=" and (tok.start_pos or 0) > 0 and source[tok.start_pos - 1] == "="
        if after_eq:                  # `x == 0` where a statement assigns
            msg += "; a statement assigns with a single '=' (x = 0); '==' compares, in an expression"
        elif str(tok) == "=" and set(e.expected or ()) == {"NAME"}:   # `cover action = ...`
            msg += "; a name is missing before the '='"
        elif str(tok) == "=":         # `when x = 1`: TLA+'s habit, not gdsl's
            msg += "; to compare, write '==' (a single '=' assigns, in a statement)"
        elif expected and len(expected) <= 8:
            msg += "; expected " + ", ".join(expected)
        if tok.type == "$END":
            lines = source.splitlines() or [""]
            line, col = len(lines), len(lines[-1]) + 1
    elif isinstance(e, lark.exceptions.UnexpectedCharacters):
        msg = f"unexpected character {source[e.pos_in_stream]!r}" if e.pos_in_stream < len(source) else "unexpected character"
    else:
        msg = "syntax error"
    return SpecError(msg, (line, col), path, source)
