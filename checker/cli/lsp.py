"""`modelcheck lsp`: the gdsl language server, over standard input and output.

Problem: a spec author should see the checker's errors as they type, and move around
a 1,800-line spec by name, as TLA+ and Quint users do. Invariant: the diagnostics are
the checker's own (the parser's and the type checker's SpecErrors, the same message
and position as `modelcheck SPEC` prints), plus warnings for locals nothing reads;
navigation comes from checker/lang/navigation.py, and formatting from
checker/lang/format.py, so the server adds no language knowledge of its own.
Features: diagnostics, hover (declaration, type, comment), go to definition, find
references, rename, completion of names, document symbols, formatting. Cost: each change
re-reads the document: about 0.4 s for spec/group.gdsl (parse, type check, index;
bench/editor.py).
Needs pygls (>= 2.0); without it `modelcheck lsp` says how to install it (exit 2).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from checker.engine.outcome import EXIT_BAD_INPUT, EXIT_OK
from checker.lang import parser, typecheck
from checker.lang.builtins import BUILTINS
from checker.lang.concrete import keywords
from checker.lang.errors import SpecError
from checker.lang.format import format_source
from checker.lang.navigation import SpecIndex, index_spec

INSTALL_HINT = ("modelcheck lsp needs the pygls library (2.0 or later), which is not installed: "
                "pip install 'pygls>=2.0' (or pip install 'gdsl-modelcheck[editor]')")


@dataclass
class Problem:
    """A diagnostic: 1-based line and column, as SpecError has them."""
    message: str
    line: int
    col: int
    length: int = 1
    warning: bool = False


@dataclass
class Analysis:
    problems: list = field(default_factory=list)
    index: SpecIndex | None = None       # None when the text does not parse


def analyse(source: str, path: str) -> Analysis:
    """The checker's verdict on a document, and its index for navigation."""
    try:
        spec = parser.parse(source, path)
    except SpecError as e:
        return Analysis([_problem(e, source)])
    problems, checked = [], None
    try:
        typecheck.check(spec)
        checked = spec
    except SpecError as e:
        problems.append(_problem(e, source))
    except RecursionError:
        problems.append(Problem("this spec is nested too deeply to check", 1, 1))
    except Exception as e:               # a bug in modelcheck, not in the spec: say so, keep serving
        problems.append(Problem(f"internal error in the type checker (a bug in modelcheck): {e!r}", 1, 1))
    try:
        index = index_spec(source, checked)
    except RecursionError:               # too deep to walk; the parser said why, or will
        return Analysis(problems)
    problems += _unused(index)
    return Analysis(problems, index)


def _problem(e: SpecError, source: str) -> Problem:
    line, col = max(e.line, 1), max(e.col, 1)
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    word = len(text[col - 1:]) - len(text[col - 1:].lstrip("abcdefghijklmnopqrstuvwxyz"
                                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"))
    return Problem(e.message, line, col, max(word, 1))


def _unused(index: SpecIndex) -> list:
    """Warnings: locals nothing reads (a def may be meant for `--invariant` or a model
    file, so only locals are flagged)."""
    used = {id(o.symbol) for o in index.occurrences if not o.is_def and o.symbol is not None}
    return [Problem(f"local '{sym.name}' is never used", sym.line, sym.col, len(sym.name), True)
            for sym in index.locals
            if sym.kind == "local" and id(sym) not in used and not sym.name.startswith("_")]


# ---------------------------------------------------------------- the server

def build_server():
    """The pygls server with every feature registered (imports pygls)."""
    from lsprotocol import types as T
    from pygls.lsp.server import LanguageServer

    from checker import __version__

    server = LanguageServer("modelcheck-lsp", __version__, text_document_sync_kind=T.TextDocumentSyncKind.Full)
    analyses: dict = {}

    def refresh(uri):
        doc = server.workspace.get_text_document(uri)
        result = analyse(doc.source, _path(uri))
        previous = analyses.get(uri)
        if result.index is None and previous is not None and previous.index is not None:
            result.index = previous.index          # navigation keeps working while the text is broken
        analyses[uri] = result
        server.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=[
            T.Diagnostic(range=_range(T, p.line, p.col, p.length), message=p.message, source="modelcheck",
                         severity=T.DiagnosticSeverity.Warning if p.warning else T.DiagnosticSeverity.Error)
            for p in result.problems]))

    def index_of(uri) -> SpecIndex | None:
        if uri not in analyses:
            refresh(uri)
        return analyses[uri].index

    @server.feature(T.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls, params: T.DidOpenTextDocumentParams):
        refresh(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls, params: T.DidChangeTextDocumentParams):
        refresh(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls, params: T.DidSaveTextDocumentParams):
        refresh(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: T.DidCloseTextDocumentParams):
        analyses.pop(params.text_document.uri, None)
        server.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                            diagnostics=[]))

    def lookup(params):
        """The document's index, the name at the request's position and what it names
        (each may be None)."""
        index = index_of(params.text_document.uri)
        occ = index.at(params.position.line + 1, params.position.character + 1) if index else None
        return index, occ, occ.symbol if occ else None

    @server.feature(T.TEXT_DOCUMENT_HOVER)
    def hover(ls, params: T.HoverParams):
        index, occ, _ = lookup(params)
        text = index.hover(occ.line, occ.col) if occ else None
        if not text:
            return None
        return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=text),
                       range=_range(T, occ.line, occ.col, len(occ.name)))

    @server.feature(T.TEXT_DOCUMENT_DEFINITION)
    def definition(ls, params: T.DefinitionParams):
        _, _, sym = lookup(params)
        if sym is None:
            return None
        return T.Location(uri=params.text_document.uri, range=_range(T, sym.line, sym.col, len(sym.name)))

    @server.feature(T.TEXT_DOCUMENT_REFERENCES)
    def references(ls, params: T.ReferenceParams):
        index, _, sym = lookup(params)
        if sym is None:
            return []
        return [T.Location(uri=params.text_document.uri, range=_range(T, o.line, o.col, len(o.name)))
                for o in index.references(sym, params.context.include_declaration)]

    kinds = {"const": T.CompletionItemKind.Constant, "var": T.CompletionItemKind.Variable,
             "def": T.CompletionItemKind.Function, "proc": T.CompletionItemKind.Method,
             "action": T.CompletionItemKind.Event, "record": T.CompletionItemKind.Struct,
             "type": T.CompletionItemKind.Class, "enum": T.CompletionItemKind.Enum,
             "enum value": T.CompletionItemKind.EnumMember, "field": T.CompletionItemKind.Field}

    @server.feature(T.TEXT_DOCUMENT_COMPLETION, T.CompletionOptions(trigger_characters=["."]))
    def completion(ls, params: T.CompletionParams):
        index = index_of(params.text_document.uri)
        line, col = params.position.line + 1, params.position.character + 1
        doc = server.workspace.get_text_document(params.text_document.uri)
        text = doc.lines[line - 1] if line - 1 < len(doc.lines) else ""
        before = text[:col - 1].rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")
        items, seen = [], set()

        def add(label, kind, detail=""):
            if label not in seen:
                seen.add(label)
                items.append(T.CompletionItem(label=label, kind=kind, detail=detail or None))

        if before.endswith(".") and index:       # a field (or an enum's values)
            for s in index.symbols:
                for c in s.children:
                    add(c.name, kinds.get(c.kind, T.CompletionItemKind.Field), c.signature)
            return T.CompletionList(is_incomplete=False, items=items)
        for s in (index.visible(line, col) if index else []):
            detail = f"{s.name}: {s.type}" if s.type and s.kind in ("local", "parameter") else s.signature
            add(s.name, kinds.get(s.kind, T.CompletionItemKind.Variable if s.kind in ("local", "parameter")
                                  else T.CompletionItemKind.Property), detail)
        for b in BUILTINS.values():
            add(b.name, T.CompletionItemKind.Function, b.signature.replace("`", ""))
        for k in keywords():
            add(k, T.CompletionItemKind.Keyword)
        return T.CompletionList(is_incomplete=False, items=items)

    @server.feature(T.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbols(ls, params: T.DocumentSymbolParams):
        index = index_of(params.text_document.uri)
        if index is None:
            return []
        sk = {"const": T.SymbolKind.Constant, "var": T.SymbolKind.Variable, "def": T.SymbolKind.Function,
              "proc": T.SymbolKind.Method, "action": T.SymbolKind.Event, "record": T.SymbolKind.Struct,
              "type": T.SymbolKind.Class, "enum": T.SymbolKind.Enum, "enum value": T.SymbolKind.EnumMember,
              "field": T.SymbolKind.Field, "spec": T.SymbolKind.Module}
        def symbol(s):
            name_range = _range(T, s.line, s.col, len(s.name))
            whole = T.Range(start=name_range.start, end=T.Position(line=s.end[0] - 1, character=max(s.end[1] - 1, 0)))
            if (whole.end.line, whole.end.character) < (name_range.end.line, name_range.end.character):
                whole = name_range
            return T.DocumentSymbol(name=s.name, kind=sk.get(s.kind, T.SymbolKind.Property), detail=s.kind,
                                    range=whole, selection_range=name_range,
                                    children=[symbol(c) for c in s.children] or None)
        return [symbol(s) for s in index.symbols]

    @server.feature(T.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls, params: T.PrepareRenameParams):
        _, occ, sym = lookup(params)
        if sym is None:
            return None                  # a keyword, a builtin, or nothing: not renamable
        return _range(T, occ.line, occ.col, len(occ.name))

    @server.feature(T.TEXT_DOCUMENT_RENAME)
    def rename(ls, params: T.RenameParams):
        index, _, sym = lookup(params)
        if sym is None:
            return None
        problem = index.rename_problem(sym, params.new_name)
        if problem:
            raise _rename_error(problem)
        edits = [T.TextEdit(range=_range(T, o.line, o.col, len(o.name)), new_text=params.new_name)
                 for o in index.references(sym)]
        return T.WorkspaceEdit(changes={params.text_document.uri: edits})

    @server.feature(T.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls, params: T.DocumentFormattingParams):
        doc = server.workspace.get_text_document(params.text_document.uri)
        try:
            formatted = format_source(doc.source, _path(params.text_document.uri))
        except SpecError:
            return None                  # the diagnostics already say why
        if formatted == doc.source:
            return []
        end = T.Position(line=len(doc.lines), character=0)
        return [T.TextEdit(range=T.Range(start=T.Position(line=0, character=0), end=end), new_text=formatted)]

    return server


def _rename_error(message):
    from pygls.exceptions import JsonRpcInvalidParams
    return JsonRpcInvalidParams(message)


def _range(T, line, col, length):
    start = T.Position(line=max(line - 1, 0), character=max(col - 1, 0))
    return T.Range(start=start, end=T.Position(line=start.line, character=start.character + max(length, 1)))


def _path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def main(argv) -> int:
    argparse.ArgumentParser(prog="modelcheck lsp", description=(
        "The gdsl language server (Language Server Protocol over standard input and output): the "
        "checker's diagnostics, hover with types, go to definition, references, completion, document "
        "symbols, formatting. Editors start it; see docs/editor.md.")).parse_args(argv)
    try:
        import pygls  # noqa: F401
        import lsprotocol  # noqa: F401
    except ImportError:
        print(f"modelcheck lsp: error: {INSTALL_HINT}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if sys.stdin.isatty():
        print("modelcheck lsp: waiting for an editor's LSP messages on standard input (Ctrl-D ends it); "
              "see docs/editor.md", file=sys.stderr)
    build_server().start_io()
    return EXIT_OK
