"""`modelcheck lsp` driven by a raw JSON-RPC client over the server's standard input
and output, as an editor drives it: initialize, didOpen of a spec with a type error
(the checker's diagnostic at its line and column), hover, definition, references,
completion, document symbols, formatting."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import threading

import pytest

from _support import CLI, ROOT

pytest.importorskip("pygls", reason="the language server needs pygls (pip install 'pygls>=2.0')")

TYPE_ERROR = """\
spec T
var x: 0..3
var ok: bool
init { x = 0  ok = true }
action Inc when x < 3 {
  x = x + ok
}
"""

NAVIGATE = """\
spec N
enum Color { red, green }
// A member of the group.
record Member { colour: Color, age: 0..3 }
var members: set[Member]
var count: 0..3           // how many joined
init { members = {}  count = 0 }
def older(m: Member): Member = Member(colour: m.colour, age: m.age + 1)
action Join(c: Color) when count < 3 {
  let m = Member(colour: c, age: 0)
  members = members union {m}
  count = count + 1
}
invariant Few = forall m in members: m.age <= count
"""


class Client:
    """A minimal LSP client: Content-Length framed JSON-RPC over a subprocess's pipes."""

    def __init__(self):
        self.proc = subprocess.Popen(CLI + ["lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=ROOT, env=os.environ.copy())
        self.inbox = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.decode().strip()
                if not line:
                    break
                key, _, value = line.partition(":")
                headers[key.lower()] = value.strip()
            self.inbox.put(json.loads(out.read(int(headers["content-length"]))))

    def send(self, message):
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.proc.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == self.next_id and "method" not in m)

    def notify(self, method, params):
        self.send({"method": method, "params": params})

    def wait(self, wanted, timeout=60):
        """The first message `wanted` accepts (others are kept for later waits)."""
        skipped = []
        try:
            while True:
                message = self.inbox.get(timeout=timeout)
                if wanted(message):
                    return message
                skipped.append(message)
        except queue.Empty:
            raise AssertionError(f"no such message from the server; got {skipped}; "
                                 f"stderr: {self.proc.stderr.read1(10000) if self.proc.poll() is not None else ''}")
        finally:
            for m in skipped:
                self.inbox.put(m)

    def diagnostics(self, uri):
        return self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                         and m["params"]["uri"] == uri)["params"]["diagnostics"]

    def open(self, uri, text):
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "gdsl", "version": 1,
                                                                "text": text}})
        return self.diagnostics(uri)

    def close(self):
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def client():
    c = Client()
    init = c.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    caps = init["result"]["capabilities"]
    for provider in ("hoverProvider", "definitionProvider", "referencesProvider", "completionProvider",
                     "documentSymbolProvider", "documentFormattingProvider", "renameProvider"):
        assert caps.get(provider), provider
    assert init["result"]["serverInfo"]["name"] == "modelcheck-lsp"
    c.notify("initialized", {})
    yield c
    c.close()
    assert c.proc.returncode == 0


def pos(line, character):
    return {"line": line, "character": character}


def test_a_type_error_is_the_checkers_message_at_its_line_and_column(client):
    diags = client.open("file:///tmp/t.gdsl", TYPE_ERROR)
    assert len(diags) == 1
    d = diags[0]
    # `modelcheck` prints t.gdsl:6:11: the `ok` of `x = x + ok` (0-based in LSP: line 5, character 10)
    assert d["message"] == "type mismatch in `+`: expected int, found bool"
    assert d["range"]["start"] == pos(5, 10) and d["range"]["end"] == pos(5, 12)
    assert d["severity"] == 1 and d["source"] == "modelcheck"


def test_a_fix_clears_the_diagnostic_and_a_syntax_error_is_located(client):
    uri = "file:///tmp/fix.gdsl"
    client.open(uri, TYPE_ERROR)
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": TYPE_ERROR.replace("+ ok", "+ 1")}]})
    assert client.diagnostics(uri) == []
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                             "contentChanges": [{"text": TYPE_ERROR.replace("x + ok", "x +")}]})
    [d] = client.diagnostics(uri)
    assert d["message"].startswith("unexpected '}'") and d["range"]["start"] == pos(6, 0)


def at(line, needle, nth=0):
    """The LSP position of the nth `needle` on 0-based `line` of NAVIGATE."""
    text = NAVIGATE.splitlines()[line]
    col = -1
    for _ in range(nth + 1):
        col = text.index(needle, col + 1)
    return pos(line, col)


def test_a_local_nothing_reads_is_a_warning(client):
    uri = "file:///tmp/unused.gdsl"
    [d] = client.open(uri, TYPE_ERROR.replace("  x = x + ok", "  let spare = 2\n  x = x + 1"))
    assert d["message"] == "local 'spare' is never used" and d["severity"] == 2
    assert d["range"]["start"] == pos(5, 6) and d["range"]["end"] == pos(5, 11)


def test_hover_shows_types_declarations_and_comments(client):
    uri = "file:///tmp/nav.gdsl"
    assert client.open(uri, NAVIGATE) == []

    def hover(position):
        result = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                       "position": position})["result"]
        return result["contents"]["value"] if result else None

    assert "var members: set[Member]" in hover(at(10, "members", 1))
    count = hover(at(11, "count", 1))
    assert "var count: 0..3" in count and "how many joined" in count
    record = hover(at(7, "Member"))
    assert "record Member" in record and "A member of the group." in record
    field = hover(at(7, "colour", 1))               # m.colour in `older`
    assert "Member.colour: Color" in field and "field of `Member`" in field
    param = hover(at(9, "c", 1))                    # c in `colour: c`
    assert "c: Color" in param and "parameter of `Join`" in param
    local = hover(at(10, "m}"))                     # the m of `{m}`: the let
    assert "m: Member" in local and "local of `Join`" in local
    bound = hover(at(13, "m.age"))                  # bound by forall
    assert "m: Member" in bound and "local of `Few`" in bound
    size = hover(pos(6, 0))                         # `init`: a keyword
    assert size is None
    assert hover(at(12, "}")) is None


def test_definition_and_references_follow_scopes(client):
    uri = "file:///tmp/nav2.gdsl"
    client.open(uri, NAVIGATE)

    def definition(position):
        return client.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                          "position": position})["result"]

    assert definition(at(11, "count", 1))["range"]["start"] == at(5, "count")
    assert definition(at(10, "m}"))["range"]["start"] == at(9, "m")            # the let
    assert definition(at(7, "m.colour"))["range"]["start"] == at(7, "m")      # older's parameter
    assert definition(at(13, "m.age"))["range"]["start"] == at(13, "m")       # the forall's m
    assert definition(at(7, "colour", 1))["range"]["start"] == at(3, "colour")   # .colour: the field
    assert definition(at(9, "colour"))["range"]["start"] == at(3, "colour")      # Member(colour: ...)
    assert definition(at(10, "union")) is None
    refs = client.request("textDocument/references", {"textDocument": {"uri": uri}, "position": at(5, "count"),
                                                      "context": {"includeDeclaration": True}})["result"]
    found = sorted((r["range"]["start"]["line"], r["range"]["start"]["character"]) for r in refs)
    expected = [at(5, "count"), at(6, "count"), at(8, "count"), at(11, "count"), at(11, "count", 1),
                at(13, "count")]
    assert found == sorted((p["line"], p["character"]) for p in expected)


def test_completion_offers_names_in_scope_builtins_and_keywords(client):
    uri = "file:///tmp/comp.gdsl"
    client.open(uri, NAVIGATE)
    items = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                       "position": at(11, "count", 1)})["result"]["items"]
    labels = {i["label"] for i in items}
    assert {"count", "members", "older", "Join", "red", "Member", "c", "m", "size", "forall"} <= labels
    elsewhere = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                           "position": at(6, "count")})["result"]["items"]
    assert "c" not in {i["label"] for i in elsewhere}               # Join's parameter, out of scope
    fields = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                        "position": at(13, "age")})["result"]["items"]
    assert {"colour", "age"} <= {i["label"] for i in fields} and "forall" not in {i["label"] for i in fields}


def test_rename_edits_every_reference_and_refuses_a_clash(client):
    uri = "file:///tmp/rename.gdsl"
    client.open(uri, NAVIGATE)
    prepared = client.request("textDocument/prepareRename", {"textDocument": {"uri": uri},
                                                            "position": at(11, "count", 1)})["result"]
    assert prepared["start"] == at(11, "count", 1)
    edit = client.request("textDocument/rename", {"textDocument": {"uri": uri}, "position": at(11, "count", 1),
                                                  "newName": "joined"})["result"]
    edits = edit["changes"][uri]
    assert {e["newText"] for e in edits} == {"joined"} and len(edits) == 6
    assert at(5, "count") in [e["range"]["start"] for e in edits]
    clash = client.request("textDocument/rename", {"textDocument": {"uri": uri}, "position": at(11, "count", 1),
                                                   "newName": "members"})
    assert "'members' is already declared at line 5" in clash["error"]["message"]
    keyword = client.request("textDocument/prepareRename", {"textDocument": {"uri": uri},
                                                           "position": at(13, "forall")})["result"]
    assert keyword is None


def test_document_symbols_list_declarations_with_their_members(client):
    uri = "file:///tmp/sym.gdsl"
    client.open(uri, NAVIGATE)
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})["result"]
    by_name = {s["name"]: s for s in symbols}
    assert {"Color", "Member", "members", "count", "older", "Join", "Few"} <= set(by_name)
    assert by_name["Join"]["kind"] == 24 and by_name["Few"]["detail"] == "invariant"      # Event
    assert [c["name"] for c in by_name["Member"]["children"]] == ["colour", "age"]
    assert [c["name"] for c in by_name["Color"]["children"]] == ["red", "green"]


def test_formatting_returns_the_formatted_text(client):
    uri = "file:///tmp/fmt.gdsl"
    client.open(uri, "spec F\nvar x : 0..1\ninit {x=0}\n")
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                       "options": {"tabSize": 2, "insertSpaces": True}})["result"]
    assert [e["newText"] for e in edits] == ["spec F\nvar x: 0..1\ninit { x = 0 }\n"]


def test_without_pygls_lsp_says_how_to_install_it(tmp_path):
    (tmp_path / "pygls").mkdir()
    (tmp_path / "pygls" / "__init__.py").write_text("raise ImportError('no pygls here')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(CLI + ["lsp"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "pip install 'pygls>=2.0'" in proc.stderr and "Traceback" not in proc.stderr
