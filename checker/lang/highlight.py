"""A Pygments lexer for gdsl, so docs, notebooks and Sphinx highlight specs
(`pygments.lexers` entry point `gdsl`; pygmentize -l gdsl spec/group.gdsl).

Problem: highlighters drift from the grammar as keywords are added. Invariant: the
keyword groups below are, together, exactly the grammar's keywords
(checker/lang/concrete.keywords(), which reads grammar.lark): tests/lang/test_highlight.py
fails on a keyword added to one and not the other, and on any Error token in a spec of
the repo. The VS Code grammar (editors/vscode/syntaxes/gdsl.tmLanguage.json) uses the
same groups (checked by tests/cli/test_vscode.py). Cost: regular expressions only; no
parse.
"""
from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

from .builtins import BUILTINS
from .concrete import keywords

# The grammar's keywords, by what they do (their union is checked against grammar.lark).
DECLARATIONS = ("spec", "const", "type", "enum", "record", "var", "init", "def", "proc", "action", "invariant",
                "lemma", "constraint", "temporal", "property", "fairness", "refines", "extends", "cover")
MODIFIERS = ("refuted", "weak", "strong", "from", "override")
CONTROL = ("let", "if", "then", "else", "for", "require", "choose", "return", "when")
OPERATOR_WORDS = ("and", "or", "not", "in", "notin", "union", "intersect", "minus", "subseteq", "forall", "exists",
                  "the", "always", "eventually", "leads_to")
TYPES = ("bool", "int", "set", "map", "pmap", "seq", "option", "tuple", "scalarset")
CONSTANTS = ("true", "false", "none")
KEYWORD_GROUPS = (DECLARATIONS, MODIFIERS, CONTROL, OPERATOR_WORDS, TYPES, CONSTANTS)
# A keyword the grammar gained since these groups were written still reads as a keyword
# (and the test names it, to be put in its group).
UNGROUPED = tuple(sorted(set(keywords()) - {w for group in KEYWORD_GROUPS for w in group}))

_NAME = r"[A-Za-z_][A-Za-z_0-9]*"


class GdslLexer(RegexLexer):
    """gdsl, the specification language of modelcheck."""
    name = "gdsl"
    aliases = ["gdsl"]
    filenames = ["*.gdsl"]
    mimetypes = ["text/x-gdsl"]
    url = "https://example.invalid/gdsl-modelcheck"

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"//[^\n]*", Comment.Single),
            (r"/\*", Comment.Multiline, "block_comment"),
            (r'"[^"\n]*"', String.Double),
            (rf"\b(action|def|proc)(\s+)(?!property\b)({_NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (rf"\b(record|enum|type|spec)(\s+)({_NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (rf"\b(invariant|lemma|constraint|property|refines)(\s+)({_NAME})",
             bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (rf"\b(const|var)(\s+)({_NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Variable)),
            (words(DECLARATIONS, suffix=r"\b"), Keyword.Declaration),
            (words(MODIFIERS, suffix=r"\b"), Keyword.Reserved),
            (words(CONTROL, suffix=r"\b"), Keyword),
            (words(OPERATOR_WORDS, suffix=r"\b"), Operator.Word),
            (words(TYPES, suffix=r"\b"), Keyword.Type),
            (words(CONSTANTS, suffix=r"\b"), Keyword.Constant),
            *([(words(UNGROUPED, prefix=r"\b", suffix=r"\b"), Keyword)] if UNGROUPED else []),
            (words(tuple(BUILTINS), prefix=r"\b", suffix=r"(?=\s*\()"), Name.Builtin),
            (rf"({_NAME})(')", bygroups(Name.Variable, Operator)),
            (_NAME, Name),
            (r"[0-9]+", Number.Integer),
            (r"==|!=|<=|>=|=>|~>|\.\.|[-+*/%<>=|]", Operator),
            (r"[{}()\[\],;:.]", Punctuation),
        ],
        "block_comment": [
            (r"[^*]+", Comment.Multiline),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"\*", Comment.Multiline),
        ],
    }

