"""Spec modules (checker/lang/modules.py): `extends` and `override`, and errors in the
right file. The user question of spec/questions/ answered by the checker."""
from __future__ import annotations

from pathlib import Path
import textwrap

import pytest

from checker.compile.model import compile_model, load_spec
from checker.engine.search import bfs
from checker.lang.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]

BASE = """\
spec Counter
const LIMIT: int = 3
var x: 0..9
init { x = 0 }
def step(): int = 1
action Inc when x < LIMIT { x = x + step() }
invariant Small = x <= LIMIT
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text))
    return p


def error_of(path, consts=None) -> SpecError:
    with pytest.raises(SpecError) as e:
        load_spec(path, consts)
    return e.value


def verdict(path, consts=None):
    result = bfs(compile_model(load_spec(path, consts)), check_deadlock=False)
    return result.verdict, result.property, result.distinct


def test_an_extension_adds_a_property_and_overrides_a_default(tmp_path):
    write(tmp_path, "base.gdsl", BASE)
    ext = write(tmp_path, "q/ext.gdsl", """\
        extends "../base.gdsl"
        override const LIMIT: int = 5
        invariant BelowFour = x < 4
        """)
    checked = load_spec(ext)
    assert checked.name == "ext"                    # no `spec NAME`: the file's name
    assert checked.consts["LIMIT"].value == 5
    assert [p.name for p in checked.properties] == ["Small", "BelowFour"]
    assert verdict(ext) == ("violation", "BelowFour", 5)
    assert verdict(ext, {"LIMIT": "2"}) == ("ok", None, 3)      # --const still applies


def test_an_override_of_a_function_changes_the_base_actions(tmp_path):
    write(tmp_path, "base.gdsl", BASE)
    ext = write(tmp_path, "ext.gdsl", """\
        spec Twos
        extends "base.gdsl"
        override def step(): int = 2
        override invariant Small = x <= 3
        """)
    assert load_spec(ext).name == "Twos"
    assert verdict(ext) == ("violation", "Small", 3)            # 0, 2, 4


def test_an_error_in_the_base_is_reported_in_the_base_file(tmp_path):
    write(tmp_path, "base.gdsl", BASE.replace("x <= LIMIT", "x <= true"))
    ext = write(tmp_path, "ext.gdsl", 'extends "base.gdsl"\ninvariant Fine = x >= 0\n')
    e = error_of(ext)
    assert (Path(e.path).name, e.line) == ("base.gdsl", 7)
    assert "invariant Small = x <= true" in e.format().splitlines()[1]
    assert e.format().startswith(f"{tmp_path / 'base.gdsl'}:7:")


def test_an_error_in_the_extension_is_reported_at_its_own_line(tmp_path):
    write(tmp_path, "base.gdsl", BASE)
    ext = write(tmp_path, "ext.gdsl", 'extends "base.gdsl"\n\ninvariant Bad = x + true\n')
    e = error_of(ext)
    assert (e.path, e.line) == (str(ext), 3)
    lines = e.format().splitlines()
    assert lines[1].strip() == "invariant Bad = x + true"
    alone = error_of(write(tmp_path, "alone.gdsl", BASE + "invariant Bad = x + true\n"))
    assert (alone.line, alone.col) == (8, e.col)          # the same caret as in one file
    assert lines[1:] == alone.format().splitlines()[1:]


def test_a_syntax_error_in_the_extension_is_its_own(tmp_path):
    write(tmp_path, "base.gdsl", BASE)
    ext = write(tmp_path, "ext.gdsl", 'extends "base.gdsl"\ninvariant = 1\n')
    assert (error_of(ext).path, error_of(ext).line) == (str(ext), 2)


def test_a_name_clash_says_both_places(tmp_path):
    base = write(tmp_path, "base.gdsl", BASE)
    ext = write(tmp_path, "ext.gdsl", 'extends "base.gdsl"\n\ninvariant Small = x < 2\n')
    e = error_of(ext)
    assert (e.path, e.line) == (str(ext), 3)
    assert f"as an invariant at {base}:7:" in e.message
    assert "write `override`" in e.message


def test_a_clash_inside_the_extension_names_the_extension_line(tmp_path):
    write(tmp_path, "base.gdsl", BASE)
    ext = write(tmp_path, "ext.gdsl", 'extends "base.gdsl"\ndef f(): int = 1\ndef f(): int = 2\n')
    e = error_of(ext)
    assert (e.path, e.line) == (str(ext), 3)
    assert f"at {ext}:2:" in e.message


@pytest.mark.parametrize("text, line, words", [
    ('extends "base.gdsl"\noverride var x: 0..9\n', 2, "cannot override a variable"),
    ('extends "base.gdsl"\noverride action Inc { x = 0 }\n', 2, "cannot override an action"),
    ('extends "base.gdsl"\noverride const LIMT: int = 1\n', 2, "declares no 'LIMT'; did you mean 'LIMIT'?"),
    ('extends "base.gdsl"\noverride def LIMIT(): int = 1\n', 2, "declares it as a constant"),
    ('extends "base.gdsl"\ninit { x = 1 }\n', 2, "cannot replace the init block"),
    ('extends "nowhere.gdsl"\n', 1, "no such file"),
    ('extends "base.gdsl"\nextends "base.gdsl"\n', 2, "at most one other spec"),
    ('const A: int = 1\nextends "base.gdsl"\n', 2, "`extends` comes first"),
    ('extends "ext.gdsl"\n', 1, "a cycle"),
    ('var y: bool\noverride const LIMIT: int = 1\n', 2, "this spec extends none"),
])
def test_what_an_extension_may_not_do_is_a_located_error(tmp_path, text, line, words):
    write(tmp_path, "base.gdsl", BASE)
    ext = write(tmp_path, "ext.gdsl", text)
    e = error_of(ext)
    assert (e.path, e.line) == (str(ext), line), e.format()
    assert words in e.message


def test_a_chain_of_extensions_locates_each_file(tmp_path):
    write(tmp_path, "base.gdsl", BASE)
    write(tmp_path, "mid.gdsl", 'extends "base.gdsl"\noverride const LIMIT: int = 4\n')
    top = write(tmp_path, "top.gdsl", 'extends "mid.gdsl"\n\n\ninvariant Bad = x + true\n')
    e = error_of(top)
    assert (e.path, e.line) == (str(top), 4)
    ok = write(tmp_path, "top2.gdsl", 'extends "mid.gdsl"\ninvariant Small2 = x <= 4\n')
    assert verdict(ok) == ("ok", None, 5)


def test_the_users_question_about_cooperative_sticky_is_answered():
    """spec/questions/cooperative-double-ownership.gdsl (in docs/language.md): yes,
    two live consumers own a partition at once, when one was removed and has not heard."""
    path = ROOT / "spec" / "questions" / "cooperative-double-ownership.gdsl"
    assert len(path.read_text().splitlines()) <= 25
    model = compile_model(load_spec(path), ["NoPartitionOwnedTwice", "NoDoubleOwnership"])
    result = bfs(model, check_deadlock=False)
    assert (result.verdict, result.property, len(result.trace)) == ("violation", "NoPartitionOwnedTwice", 19)
    assert model.constants["ASSIGNOR"] == model.checked.types["Assignor"].values.index("cooperative_sticky")


def test_the_question_in_the_docs_is_the_file():
    text = (ROOT / "spec" / "questions" / "cooperative-double-ownership.gdsl").read_text()
    assert text in (ROOT / "docs" / "language.md").read_text()


def test_prove_infer_works_on_an_extension(tmp_path, capsys):
    """--infer adds generated lemmas and functions to the spec's text (modules.with_text):
    on an extension they are added to the joined spec, overrides and all."""
    from checker.cli.main import main
    grants = ROOT / "tests" / "symbolic" / "specs" / "grants.gdsl"
    ext = write(tmp_path, "ext.gdsl", f'extends "{grants}"\ninvariant Extra = true\n')
    assert main(["prove", str(ext), "--infer"]) == 0
    out = capsys.readouterr().out
    assert "Proved: Extra" in out and "Proved: NotAhead" in out


def test_reports_place_a_property_in_the_file_that_declares_it(tmp_path, capsys):
    """SARIF, the HTML page's property link and the never-enabled hint name the base
    file's line for the base's declarations, the extension's for its own."""
    import json
    from checker.cli.main import main
    base = write(tmp_path, "base.gdsl", BASE + "action Never when x > 9 { x = 0 }\n")
    ext = write(tmp_path, "ext.gdsl", 'extends "base.gdsl"\n\n\noverride def step(): int = 2\n'
                                      'invariant Even = x % 2 == 0\n')
    sarif, page = tmp_path / "out.sarif", tmp_path / "page.html"
    assert main([str(ext), "--no-deadlock", "--sarif", str(sarif), "--html", str(page), "--out", str(tmp_path),
                 "--backend", "python"]) == 12                    # 0, 2, 4: Small breaks (LIMIT 3)
    [result] = json.loads(sarif.read_text())["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]
    assert result["ruleId"] == "Small"
    assert (region["artifactLocation"]["uri"].endswith("base.gdsl"), region["region"]["startLine"]) == (True, 7)
    assert f'"where": "{base}:7"' in page.read_text() and "invariant Small = x <= LIMIT" in page.read_text()
    capsys.readouterr()
    main([str(ext), "--no-deadlock", "--coverage", "--invariant", "Even", "--backend", "python"])
    assert f"no reachable state satisfies its guard ({base}:8)" in " ".join(capsys.readouterr().out.split())


def test_describe_json_names_the_file_of_a_base_declaration(tmp_path, capsys):
    import json
    from checker.cli.main import main
    base = write(tmp_path, "base.gdsl", BASE)
    ext = write(tmp_path, "ext.gdsl", 'extends "base.gdsl"\n\ninvariant Even = x % 2 == 0\n')
    assert main(["describe", str(ext), "--json"]) == 0
    props = {p["name"]: p for p in json.loads(capsys.readouterr().out)["properties"]}
    assert (props["Small"]["file"], props["Small"]["line"]) == (str(base), 7)
    assert props["Even"]["line"] == 3 and "file" not in props["Even"]


def test_a_joined_spec_pickles_for_worker_processes(tmp_path):
    import pickle
    from checker.lang.modules import load
    write(tmp_path, "base.gdsl", BASE)
    source = load(write(tmp_path, "ext.gdsl", 'extends "base.gdsl"\ninvariant Even = x % 2 == 0\n')).source
    again = pickle.loads(pickle.dumps(source))
    assert again == source and again.origin(9) == (str(tmp_path / "ext.gdsl"), source.parts[1][2], 2)
