"""The temporal forms TLA+ users write beyond the four basic ones: `P => eventually Q`
(from the initial state), `always (P => always Q)`, `always (P => eventually Q)` and
conjunctions of temporal formulas. Each verdict and lasso below is worked out by hand
on a four-state counter; the lassos are replayed (liveness.lasso_violation) to check
that the judge of a given behaviour agrees with the search."""
from __future__ import annotations

import pytest

from checker.compile.model import compile_model, load_spec
from checker.engine.liveness import lasso_violation, search

# x counts 0 -> 3 (Inc, fair or not); Lock sets `locked` at x == 2; Unlock clears it at
# x == 3. With `fairness weak Inc` every behaviour reaches x == 3; without, it may stop.
COUNTER = """
spec Forms
var x: 0..3 = 0
var locked: bool = false
action Inc when x < 3 {{ x = x + 1 }}
action Lock when x == 2 {{ locked = true }}
action Unlock when x == 3 and locked {{ locked = false }}
{fairness}
temporal property T = {formula}
"""


def _check(tmp_path, formula, fairness="fairness weak Inc"):
    path = tmp_path / "forms.gdsl"
    path.write_text(COUNTER.format(formula=formula, fairness=fairness))
    model = compile_model(load_spec(path))
    result, _ = search(model, check_deadlock=False)
    return model, result


def _xs(trace):
    return [(s.state[0], s.state[1]) for s in trace]


@pytest.mark.parametrize("formula, fairness, verdict", [
    ("x == 0 => eventually x == 3", "fairness weak Inc", "ok"),
    ("x == 0 => eventually x == 3", "", "violation"),       # it may stop at x == 0
    ("x == 1 => eventually x == 3", "", "ok"),              # anchored: x == 1 is not initial
    ("always (x == 1 => eventually x == 3)", "", "violation"),
    ("always (x == 1 => eventually x == 3)", "fairness weak Inc", "ok"),
    ("always (x >= 2 => always x >= 2)", "", "ok"),          # x never goes down
    ("always (locked => always locked)", "fairness weak Inc", "violation"),   # Unlock
    ("(x == 0 => eventually x == 3) and always (x >= 2 => always x >= 2)", "fairness weak Inc", "ok"),
    ("(x == 0 => eventually x == 3) and always (locked => always locked)", "fairness weak Inc", "violation"),
])
def test_verdicts(tmp_path, formula, fairness, verdict):
    _, r = _check(tmp_path, formula, fairness)
    assert r.verdict == verdict


def test_anchored_eventually_lasso_stutters_in_the_initial_state(tmp_path):
    model, r = _check(tmp_path, "x == 0 => eventually x == 3", "")
    assert _xs(r.trace) == [(0, False)] and r.loop == 0


def test_stability_lasso_goes_through_a_p_state_to_a_not_q_state(tmp_path):
    # shortest: Inc, Inc, Lock (locked), Inc, Unlock (not locked), then stutter there
    model, r = _check(tmp_path, "always (locked => always locked)")
    assert _xs(r.trace) == [(0, False), (1, False), (2, False), (2, True), (3, True), (3, False)]
    assert [s.action for s in r.trace] == [None, "Inc", "Inc", "Lock", "Inc", "Unlock"]
    assert r.loop == 5
    labels = [None] + [(model.action_names.index(s.action), s.params) for s in r.trace[1:]]
    assert lasso_violation(model, model.temporal[0], [s.state for s in r.trace], r.loop, labels, None) == ()


def test_a_conjunction_names_the_conjunct_violated(tmp_path):
    _, r = _check(tmp_path, "(x == 0 => eventually x == 3) and always (locked => always locked)")
    assert r.property == "T"
    assert r.message == "its conjunct 2 of 2 (always (P => always Q), line 9)"


def test_the_stability_violation_needs_a_fair_continuation(tmp_path):
    # After Unlock (x == 3, unlocked) nothing is enabled but stuttering, so the violation
    # goes on fairly under any fairness; here the only way out of the violation state
    # would need an action that cannot happen, and the verdict is still a violation.
    _, r = _check(tmp_path, "always (locked => always locked)", "fairness weak Inc, Lock")
    assert r.verdict == "violation" and r.loop == len(r.trace) - 1


def test_stability_holds_where_p_never_does(tmp_path):
    # x never reaches 4: no state satisfies P, so nothing has to stay Q
    _, r = _check(tmp_path, "always (x == 4 => always locked)")
    assert r.verdict == "ok"
