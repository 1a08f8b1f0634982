"""`refines`: a spec checked against an abstract one under a mapping of variables
(compile/refinement.py). Expected outcomes are argued in the comments."""
from __future__ import annotations

import pytest

from _support import EXAMPLES, TCOMMIT, TWOPHASE, run_cli
from checker.compile.model import load
from checker.engine.search import bfs
from checker.lang.errors import SpecError

CLOCKS = EXAMPLES / "refinement"


def test_the_hour_minute_clock_refines_the_hour_clock():
    # 12 hours x 60 minutes, each reached once; every minute tick is a stutter of hr,
    # every hour tick an HourClock step
    r = bfs(load(CLOCKS / "hourminuteclock.gdsl"), check_deadlock=False)
    assert (r.verdict, r.distinct) == ("ok", 720)


def test_a_clock_that_skips_an_hour_fails_with_the_step_that_skips():
    r = bfs(load(CLOCKS / "hourminuteclock_broken.gdsl"), check_deadlock=False)
    assert (r.verdict, r.property, r.property_kind) == ("violation", "HC", "action")
    # 29 minute ticks from 1:00, then the tick at 1:29 that moves the hour to 3
    assert len(r.trace) == 31
    before, after = r.trace[-2].state, r.trace[-1].state
    assert (before[0], before[1], after[0], after[1]) == (1, 29, 3, 30)


def _twophase(tmp_path, mutate=lambda s: s):
    path = tmp_path / "TwoPhaseRefines.gdsl"
    path.write_text(mutate(TWOPHASE.read_text()) + f'\nrefines TC from "{TCOMMIT}" {{}}\n')
    return path


def test_twophase_refines_tcommit(tmp_path):
    # TwoPhase.tla's theorem TPSpec => TC!TCSpec, rmState mapped to itself (implicitly,
    # as INSTANCE does for variables of the same name); the known 288 states (symmetry
    # reduced: 3 RMs) all checked against it
    r = bfs(load(_twophase(tmp_path)), check_deadlock=False)
    assert r.verdict == "ok" and r.distinct > 100


def test_a_tm_that_commits_before_every_rm_prepared_does_not_refine_tcommit(tmp_path):
    # without the guard, TMCommit sends Commit at once; an RM that then commits while
    # another is still working is no TCommit step (DecideCommit needs canCommit)
    path = _twophase(tmp_path, lambda s: s.replace(" and tmPrepared == ResourceManager", ""))
    r = bfs(load(path), check_deadlock=False)
    assert (r.verdict, r.property) == ("violation", "TC")
    assert [s.action for s in r.trace[1:]] == ["TMCommit", "RMRcvCommitMsg"]


def test_a_bad_initial_state_breaks_the_init_part(tmp_path):
    text = (CLOCKS / "hourminuteclock.gdsl").read_text().replace("var h: 1..12 = 1", "var h: 1..12 = 2")
    (tmp_path / "hourclock.gdsl").write_text((CLOCKS / "hourclock.gdsl").read_text())
    (tmp_path / "c.gdsl").write_text(text)
    r = bfs(load(tmp_path / "c.gdsl"), check_deadlock=False)
    assert (r.verdict, r.property, len(r.trace)) == ("violation", "HC_init", 1)


@pytest.mark.parametrize("decl, line_says", [
    ('refines HC from "hourclock.gdsl" { hour = h }', "HourClock has no variable 'hour'"),
    ('refines HC from "hourclock.gdsl" { }', "the abstract variable 'hr' of HourClock is not mapped"),
    ('refines HC from "hourclock.gdsl" { hr = m == 0 }', "expected 1..12, found bool"),
    ('refines HC from "nowhere.gdsl" { hr = h }', "cannot read the abstract spec 'nowhere.gdsl'"),
])
def test_a_bad_refinement_is_located(tmp_path, decl, line_says):
    (tmp_path / "hourclock.gdsl").write_text((CLOCKS / "hourclock.gdsl").read_text())
    text = (CLOCKS / "hourminuteclock.gdsl").read_text().replace('refines HC from "hourclock.gdsl" { hr = h }', decl)
    (tmp_path / "c.gdsl").write_text(text)
    with pytest.raises(SpecError) as e:
        load(tmp_path / "c.gdsl")
    assert e.value.line == 21 and line_says in e.value.message, e.value.message


def test_bmc_refuses_refinement_by_line(tmp_path):
    proc = run_cli(CLOCKS / "hourminuteclock.gdsl", "--bmc", "2", "--out", tmp_path)
    assert proc.returncode == 2
    assert "hourminuteclock.gdsl:21:1: error:" in proc.stderr
    assert "a `refines` declaration is not supported by --bmc/--prove" in proc.stderr


COUNTER = """spec Counter
const K: int = 5
var c: 0..9 = 0
action Inc when c < K { c = c + 1 }
"""


@pytest.mark.parametrize("concrete_const, mapping, verdict", [
    ("const K: int = 2", "", "ok"),                # K passed by name: the abstract counter stops at 2 too
    ("const K: int = 3", "K = 2, ", "violation"),  # K given: the abstract stops at 2, this one goes to 3
    ("const L: int = 3", "", "ok"),                # nothing passed: the abstract's default K = 5
])
def test_abstract_constants_are_passed_by_name_or_given(tmp_path, concrete_const, mapping, verdict):
    (tmp_path / "counter.gdsl").write_text(COUNTER)
    bound = concrete_const.split()[1].rstrip(":")
    (tmp_path / "c.gdsl").write_text(f"spec Twice\n{concrete_const}\nvar n: 0..9 = 0\n"
                                     f"action Inc when n < {bound} {{ n = n + 1 }}\n"
                                     f'refines Ctr from "counter.gdsl" {{ {mapping}c = n }}\n')
    r = bfs(load(tmp_path / "c.gdsl"), check_deadlock=False)
    assert r.verdict == verdict
    if verdict == "violation":
        assert r.property == "Ctr" and len(r.trace) == 4      # 0, 1, 2, then the step to 3


@pytest.mark.parametrize("workers", [2, 3])
def test_refinement_holds_and_fails_alike_with_several_workers(workers):
    ok = bfs(load(CLOCKS / "hourminuteclock.gdsl"), workers=workers, check_deadlock=False)
    bad = bfs(load(CLOCKS / "hourminuteclock_broken.gdsl"), workers=workers, check_deadlock=False)
    assert (ok.verdict, ok.distinct) == ("ok", 720)
    assert (bad.verdict, bad.property, len(bad.trace)) == ("violation", "HC", 31)


def test_a_mapping_through_a_function_is_evaluated_in_the_next_state(tmp_path):
    # b may only go from false to true; big() goes back to false when n drops to 0, a
    # step no abstract step allows: shortest trace 0, 1, then Dec back to 0
    (tmp_path / "flag.gdsl").write_text("spec Flag\nvar b: bool = false\naction Set { b = true }\n")
    (tmp_path / "c.gdsl").write_text(
        "spec Count\nvar n: 0..2 = 0\ndef big(): bool = n >= 1\n"
        "action Inc when n < 2 { n = n + 1 }\naction Dec when n > 0 { n = n - 1 }\n"
        'refines F from "flag.gdsl" { b = big() }\n')
    r = bfs(load(tmp_path / "c.gdsl"), check_deadlock=False)
    assert (r.verdict, r.property) == ("violation", "F")
    assert [s.action for s in r.trace[1:]] == ["Inc", "Dec"]


def test_the_abstract_spec_may_extend_another(tmp_path):
    # counter3.gdsl extends counter.gdsl with K = 3 (not the base's 5): a counter to 3
    # refines it, one to 4 does not (its step from 3 to 4)
    (tmp_path / "counter.gdsl").write_text(COUNTER)
    (tmp_path / "counter3.gdsl").write_text('extends "counter.gdsl"\noverride const K: int = 3\n')
    for top, verdict in [(3, "ok"), (4, "violation")]:
        (tmp_path / "c.gdsl").write_text(f"spec Upto\nvar n: 0..9 = 0\naction Inc when n < {top} {{ n = n + 1 }}\n"
                                         'refines Ctr from "counter3.gdsl" { c = n }\n')
        assert bfs(load(tmp_path / "c.gdsl"), check_deadlock=False).verdict == verdict
