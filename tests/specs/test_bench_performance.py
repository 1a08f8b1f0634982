"""bench/performance.py times SPIN on a Promela TwoPhase it writes; its ratios mean
something only if that model is TwoPhase. SPIN is no project dependency, so this runs
the generated transitions with a small interpreter of the Promela subset they use and
checks TLC's known answers for RM=3 (288 distinct, 1146 generated, depth 11)."""
from __future__ import annotations

import re
import sys

from _support import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from performance import promela_twophase  # noqa: E402

OPTION = re.compile(r"^\s*:: d_step \{ (.+) -> (.+) \}$")


def _transitions(text):
    """Each `:: d_step { guard -> x = e; ... }` as Python (guard, [(target, expression)])."""
    out = []
    for line in text.splitlines():
        m = OPTION.match(line)
        if m:
            guard = m.group(1).replace("&&", " and ")
            updates = [tuple(part.split(" = ")) for part in m.group(2).split("; ")]
            out.append((guard, updates))
    return out


def _variables(text):
    """The declared globals, all zero as in Promela: name -> 0 or a list of zeros."""
    decls = re.findall(r"^(?:byte|bit) (\w+)(?:\[(\d+)\])?;", text, re.M)
    return {name: [0] * int(n) if n else 0 for name, n in decls}


def _explore(text):
    """Breadth-first over the generated model: distinct, generated (TLC's way), depth."""
    init = _variables(text)
    transitions = _transitions(text)
    freeze = lambda env: tuple(tuple(v) if isinstance(v, list) else v for v in env.values())  # noqa: E731
    seen, frontier, generated, depth = {freeze(init)}, [init], 1, 0
    while frontier:
        depth += 1
        nxt = []
        for env in frontier:
            for guard, updates in transitions:
                if not eval(guard, {}, env):
                    continue
                new = {k: list(v) if isinstance(v, list) else v for k, v in env.items()}
                for target, expr in updates:
                    exec(f"{target} = {expr}", {}, new)
                generated += 1
                key = freeze(new)
                if key not in seen:
                    seen.add(key)
                    nxt.append(new)
        frontier = nxt
    return len(seen), generated, depth


def test_generated_promela_has_tlc_counts_for_three_managers():
    assert _explore(promela_twophase(3)) == (288, 1146, 11)


def test_generated_promela_is_one_process_one_loop_one_step_per_action_instance():
    text = promela_twophase(7)
    assert text.count("proctype") == 1 and text.count("  do\n") == 1
    # TMCommit and TMAbort, and per manager TMRcvPrepared, RMPrepare, RMChooseToAbort,
    # RMRcvCommitMsg and RMRcvAbortMsg.
    assert len(_transitions(text)) == 2 + 5 * 7
    assert set(_variables(text)) == {"rmState", "tmState", "tmPrepared", "msgPrepared", "msgCommit", "msgAbort"}
