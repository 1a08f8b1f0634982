"""The builtins registry (checker/lang/builtins.py) holds every stage to one list: the
type checker, the compiled Python and z3 each accept every builtin's example and find
it true, find its negation false, and docs/language.md §6 lists exactly these
builtins with the registry's signatures."""
from __future__ import annotations

import re

import pytest

from checker.cli.symbolic import system_for
from checker.compile.model import load
from checker.lang.builtins import BUILTINS, EXAMPLE_CONTEXT
from checker.lang.typecheck import BUILTINS as CHECKED
from checker.symbolic.bmc import bmc

from _support import ROOT


def _spec(tmp_path, name, body):
    path = tmp_path / f"{name}.gdsl"
    path.write_text(f"spec B_{name}\n{EXAMPLE_CONTEXT}invariant Holds = {body}\n")
    return path


def _verdicts(path):
    """(the compiled Python finds the invariant true in the initial state, z3's verdict
    on behaviours of one state: "incomplete" is nothing found up to that bound)."""
    model = load(path)
    python = all(model.check_invariants(s) == -1 for s in model.init_states())
    z3 = bmc(system_for(model), model, 1).verdict
    return python, z3


def test_the_type_checker_knows_exactly_the_registry():
    assert CHECKED is BUILTINS


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_stage_finds_each_example_true_and_its_negation_false(tmp_path, name):
    example = BUILTINS[name].example
    assert re.search(rf"\b{name}\(", example), "an example must use its builtin"
    assert _verdicts(_spec(tmp_path, "yes", example)) == (True, "incomplete")
    assert _verdicts(_spec(tmp_path, "no", f"not ({example})")) == (False, "violation")


def test_what_z3_refuses_is_refused_clearly_and_still_true_in_python(tmp_path):
    from checker.lang.errors import SpecError
    refused = {n: b.z3_refuses for n, b in BUILTINS.items() if b.z3_refuses}
    assert refused, "the registry records what --bmc/--prove cannot encode"
    for name, cases in refused.items():
        for k, (example, message) in enumerate(cases):
            model = load(_spec(tmp_path, f"{name}{k}", example))
            assert all(model.check_invariants(s) == -1 for s in model.init_states())
            with pytest.raises(SpecError, match=re.escape(message)):
                system_for(model)


def test_wrong_arity_is_refused_with_the_registry_arities(tmp_path):
    from checker.lang.errors import SpecError
    with pytest.raises(SpecError, match=r"min takes 1 or 2 argument\(s\), given 3"):
        load(_spec(tmp_path, "arity", "min(1, 2, 3) == 1"))


def test_the_docs_table_lists_the_registry():
    text = (ROOT / "docs" / "language.md").read_text()
    table = text[text.index("## 6. Builtin functions"):text.index("## 7. Statements")]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    listed = {}
    for row in rows:
        names_cell, sig = row.split(" | ")[0], row.split(" | ")[1]
        for call in re.findall(r"`(\w+)\(", names_cell):
            listed.setdefault(call, []).append(sig.strip())
    assert set(listed) == set(BUILTINS)
    for name, b in BUILTINS.items():
        assert " ; ".join(listed[name]) == b.signature.replace("; ", " ; "), name
