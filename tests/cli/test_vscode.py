"""The VS Code extension (editors/vscode): its TextMate grammar knows exactly the
grammar's keywords (grouped as the Pygments lexer groups them) and the builtins; its
grammar tests pass (vscode-tmgrammar-test) and it packages as a .vsix (@vscode/vsce)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from checker.lang.builtins import BUILTINS
from checker.lang.concrete import keywords

ROOT = Path(__file__).resolve().parents[2]
EXT = ROOT / "editors" / "vscode"
GRAMMAR = json.loads((EXT / "syntaxes" / "gdsl.tmLanguage.json").read_text())


def _words(pattern: str) -> list:
    m = re.fullmatch(r"\\b\((.*)\)(?:\\b|\(\?=.*\))", pattern)
    assert m, pattern
    return m.group(1).split("|")


def test_the_textmate_keywords_are_exactly_the_grammars():
    groups = [_words(p["match"]) for p in GRAMMAR["repository"]["keywords"]["patterns"]]
    found = [w for g in groups for w in g]
    assert set(found) == set(keywords()), (
        f"missing from gdsl.tmLanguage.json: {sorted(set(keywords()) - set(found))}; "
        f"not keywords of grammar.lark: {sorted(set(found) - set(keywords()))}")
    pytest.importorskip("pygments", reason="the groups are compared with the Pygments lexer's")
    from checker.lang.highlight import KEYWORD_GROUPS
    assert sorted(map(sorted, groups)) == sorted(map(sorted, KEYWORD_GROUPS))


def test_the_textmate_builtins_are_the_registrys():
    assert set(_words(GRAMMAR["repository"]["builtins"]["match"])) == set(BUILTINS)


def test_the_extension_declares_the_language_its_grammar_and_its_client():
    package = json.loads((EXT / "package.json").read_text())
    [language] = package["contributes"]["languages"]
    [grammar] = package["contributes"]["grammars"]
    assert language["id"] == grammar["language"] == "gdsl" and language["extensions"] == [".gdsl"]
    assert grammar["scopeName"] == GRAMMAR["scopeName"] == "source.gdsl"
    assert (EXT / grammar["path"]).is_file() and (EXT / language["configuration"]).is_file()
    assert (EXT / package["main"]).is_file() and "vscode-languageclient" in package["dependencies"]
    config = json.loads((EXT / "language-configuration.json").read_text())
    assert config["comments"] == {"lineComment": "//", "blockComment": ["/*", "*/"]}
    assert ["{", "}"] in config["brackets"] and {"open": "(", "close": ")"} in config["autoClosingPairs"]
    assert package["contributes"]["configuration"]["properties"]["gdsl.server.args"]["default"] == ["lsp"]
    assert (EXT / "package-lock.json").is_file()
    client = (EXT / package["main"]).read_text()
    for command in package["contributes"]["commands"]:        # every command declared is registered
        assert f'"{command["command"]}"' in client, command


@pytest.mark.slow
def test_grammar_tests_pass_a_wrong_one_fails_and_the_extension_packages(tmp_path):
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed (apt-get install npm); .ci/run installs it")
    work = tmp_path / "vscode"
    shutil.copytree(EXT, work, ignore=shutil.ignore_patterns("node_modules", "*.vsix"))

    def run(*args):
        return subprocess.run([npm, *args], cwd=work, capture_output=True, text=True, timeout=600)

    install = run("ci", "--no-audit", "--no-fund")
    assert install.returncode == 0, install.stdout + install.stderr
    tests = run("test")
    assert tests.returncode == 0 and "run successfuly" in tests.stdout, tests.stdout + tests.stderr
    (work / "tests" / "wrong.gdsl").write_text(
        '// SYNTAX TEST "source.gdsl" "a wrong expectation"\nvar x: bool\n//     ^^^^ keyword.control.gdsl\n')
    wrong = run("test")
    assert wrong.returncode != 0 and "missing required scopes: keyword.control.gdsl" in wrong.stdout
    (work / "tests" / "wrong.gdsl").unlink()
    package = run("run", "package")
    assert package.returncode == 0, package.stdout + package.stderr
    with zipfile.ZipFile(work / "gdsl.vsix") as vsix:
        names = set(vsix.namelist())
    assert {"extension/package.json", "extension/extension.js", "extension/syntaxes/gdsl.tmLanguage.json",
            "extension/language-configuration.json",
            "extension/node_modules/vscode-languageclient/package.json"} <= names
    assert not any(n.startswith("extension/tests/") for n in names)
