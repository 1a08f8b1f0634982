"""docs/api.md cannot rot: its ```python blocks run in order, in one namespace, from
the repository's root, and what each prints must be the ```output block after it."""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
import re

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "api.md"

# a python block, then optionally (after blank lines) the output block it prints
_BLOCK = re.compile(r"```python\n(.*?)```\n(?:\s*```output\n(.*?)```\n)?", re.S)


def examples(text: str) -> list:
    """[(line of the block, code, expected output or None)]."""
    return [(text[:m.start()].count("\n") + 1, m.group(1), m.group(2)) for m in _BLOCK.finditer(text)]


def run_examples(text: str) -> list:
    """[(line, code, expected, printed)] of every block, run in order."""
    namespace: dict = {"__name__": "docs_api"}
    out = []
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        for line, code, expected in examples(text):
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(code, f"{DOC}:{line}", "exec"), namespace)
            out.append((line, code, expected, printed.getvalue()))
    finally:
        os.chdir(here)
    return out


def test_the_examples_of_docs_api_md_print_what_it_says():
    runs = run_examples(DOC.read_text())
    assert len(runs) >= 8 and sum(expected is not None for _, _, expected, _ in runs) >= 6
    for line, _, expected, printed in runs:
        if expected is not None:
            assert printed == expected, f"docs/api.md:{line}: the block printed\n{printed}"
        else:
            assert printed == "", f"docs/api.md:{line}: a block that prints needs an output block"


def test_the_runner_notices_a_wrong_output():
    text = "```python\nprint(1 + 1)\n```\n\n```output\n3\n```\n"
    [(_, _, expected, printed)] = run_examples(text)
    assert (expected, printed) == ("3\n", "2\n")
