"""Subcommands as Quint and Apalache users know them (`modelcheck check|simulate|prove|
replay|conform|describe`), `modelcheck SPEC` still meaning check; a complete --help
(the --conform options included) and a language reference that names every option."""
from __future__ import annotations

import re

from checker.cli.main import SUBCOMMANDS, build_parser
from checker.cli.conform import build_parser as conform_parser

from _support import DIEHARD, EXIT_BAD_INPUT, EXIT_VIOLATION, ROOT, run_cli, run_cli_many


def _options(parser) -> set:
    return {o for a in parser._actions for o in a.option_strings if o.startswith("--")} - {"--help"}


def test_help_lists_every_option_every_subcommand_and_the_conform_options():
    text = run_cli("--help").stdout
    for option in _options(build_parser()) | _options(conform_parser()) - {"--conform"}:
        assert option in text, option
    for name in SUBCOMMANDS:
        assert re.search(rf"^  {name} +\S", text, re.M), name
    assert "modelcheck conform RECORDING [SPEC]" in text and "exit codes:" in text


def test_each_subcommand_runs_its_mode_and_spec_alone_means_check(tmp_path):
    check, plain, describe, simulate, prove = run_cli_many(
        ["check", DIEHARD, "--quiet", "--out", tmp_path], [DIEHARD, "--quiet", "--out", tmp_path],
        ["describe", DIEHARD], ["simulate", DIEHARD, "--runs", "50", "--seed", "3", "--out", tmp_path],
        ["prove", DIEHARD, "--skip", "NotSolved"])
    assert check.returncode == plain.returncode == EXIT_VIOLATION
    assert check.stdout.count("State ") == plain.stdout.count("State ") == 7
    assert describe.returncode == 0 and describe.stdout.startswith("spec DieHard")
    assert "random runs" in simulate.stdout or "Found in run" in simulate.stdout
    assert prove.returncode == 0 and "Proved inductive: TypeOK" in prove.stdout
    trace = tmp_path / "DieHard" / "NotSolved.itf.json"
    replay = run_cli("replay", trace, "--diagram", tmp_path / "d.md")
    assert replay.returncode == EXIT_VIOLATION and "reproduces" in replay.stdout


def test_a_subcommand_takes_only_its_options_and_its_help_lists_them():
    proc = run_cli("describe", DIEHARD, "--runs", "3")
    assert proc.returncode == EXIT_BAD_INPUT and "unrecognized arguments: --runs 3" in proc.stderr
    sim = run_cli("simulate", "--help").stdout
    assert "--runs N" in sim and "--seed S" in sim and "--max-depth" not in sim
    conform = run_cli("conform", "--help")
    assert conform.returncode == 0 and "--max-internal N" in conform.stdout


def test_the_language_reference_names_every_option():
    doc = (ROOT / "docs" / "language.md").read_text()
    section = doc[doc.index("## 9. The command line"):doc.index("## 10.")]
    missing = sorted(o for o in _options(build_parser()) | _options(conform_parser()) if f"`{o}" not in section)
    assert not missing, f"docs/language.md section 9 does not name {missing}"
    for name in SUBCOMMANDS:
        assert f"modelcheck {name}" in section, name
