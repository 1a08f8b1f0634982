"""docs/language.md says every `gdsl` block in it is a complete spec that modelcheck
accepts: each must parse, type-check and compile. The temporal-property example must
also give the verdicts the text describes."""
from __future__ import annotations

import re

import pytest

from _support import ROOT
from checker.engine.search import bfs
from checker.engine.liveness import judge
from checker.compile.model import compile_model
from checker.lang.parser import parse
from checker.engine.stategraph import StateGraph
from checker.lang.typecheck import check

LANGUAGE = (ROOT / "docs" / "language.md").read_text()
BLOCKS = re.findall(r"```gdsl\n(.*?)```", LANGUAGE, re.S)


def _name(block):
    return re.search(r"^spec (\w+)", block, re.M).group(1)


def test_there_are_examples():
    assert len(BLOCKS) >= 15 and "Lock" in map(_name, BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[_name(b) for b in BLOCKS])
def test_every_example_compiles(block):
    compile_model(check(parse(block, f"{_name(block)}.gdsl")))


def _judged(block):
    model = compile_model(check(parse(block, "Lock.gdsl")))
    graph = StateGraph(model)
    return model, judge(model, graph, bfs(model, graph=graph))


def test_lock_example_holds_and_fails_with_weak_fairness_as_documented():
    block = next(b for b in BLOCKS if _name(b) == "Lock")
    _, result = _judged(block)
    assert result.verdict == "ok"
    model, result = _judged(block.replace("fairness strong Enter(p)", "fairness weak Enter(p)"))
    assert result.exit_code == 13 and result.property == "NoStarvation"
    assert result.message == "for p = Proc1"
    assert [s.action for s in result.trace[1:]] == ["Request", "Request", "Enter"]
    assert (result.loop, result.loop_step.action) == (1, "Exit")


def test_bounded_example_counts_as_documented():
    """The state-constraint example: TLC's counts (6 distinct, 10 generated, depth 5,
    3 generated outside), as the output printed under it says."""
    block = next(b for b in BLOCKS if _name(b) == "Bounded")
    result = bfs(compile_model(check(parse(block, "Bounded.gdsl"))))
    after = LANGUAGE[LANGUAGE.index(block):]
    shown = after[after.index("```text"):]
    shown = shown[:shown.index("```", 7)]
    assert (result.distinct, result.generated, result.depth, result.constrained) == (6, 10, 5, 3)
    assert f"{result.constrained} of the states generated lay outside the state constraints" in shown
    assert f"{result.generated} states generated, {result.distinct} distinct states found" in shown
    assert f"search is {result.depth}." in shown
