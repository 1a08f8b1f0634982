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


def test_tables_give_each_rows_median_load_and_the_thread_target_reads_search_time(capsys):
    """The machine is shared: each row prints the median of its runs' load averages,
    and issue 23's two-threads target compares search-and-liveness times."""
    from performance import Row, Sample, native_targets, print_table
    def row(config, searches, loads):
        r = Row("modelcheck", config, None)
        r.samples = [Sample(s + 5, s, 14_602_918, 3 * 10**9, None, s, load, 8.0) for s, load in zip(searches, loads)]
        return r
    cached = ", compiled library cached"
    rows = [row(f"native, default flags{cached}, 1 worker", [30.0, 32.0, 31.0], [2.0, 6.0, 3.0]),
            row(f"native, default flags{cached}, 2 workers", [15.0, 16.0, 17.0], [1.0, 9.0, 4.0])]
    print_table("spec/group.gdsl default", rows, None, 3)
    out = capsys.readouterr().out
    assert "| load |" in out.splitlines()[3]
    first = next(line for line in out.splitlines() if "1 worker |" in line)
    assert first.split("|")[-2].strip() == "3.0" and first.split("|")[6].strip() == "8.00"   # median load, liveness
    assert "runs (load): modelcheck, native, default flags, compiled library cached, 1 worker: 2.0, 6.0, 3.0" in out
    lines = native_targets({"spec/group.gdsl default": rows})
    threads = next(line for line in lines if "2 threads against 1" in line)
    assert "1.94x" in threads and "met" in threads and "NOT" not in threads       # 31 / 16
    wall = next(line for line in lines if "cached: " in line)
    assert "21.00 s wall" in wall and "NOT met" in wall                          # 16 + 5 > 15
