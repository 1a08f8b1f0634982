"""Symmetry reduction in C (checker/native/canonical.py) against the Python backend's:
the same verdict, property and counts (distinct, generated, depth, queue, outside the
constraints) and a trace of the same length that is a behaviour of the spec, on the
example specs with scalarsets, on specs written for the unary flavour and for
Murphi's scheme (data mentioning two values, two scalarset types), with one and three
threads; and the canonical form itself: every permutation of a state has the same
representative, the one the Python backend picks (so even the counts at a stop, which
depend on the order states are found in, agree)."""
from __future__ import annotations

import ctypes
from collections import deque

import pytest

from _support import TCOMMIT, TWOPHASE
from checker.compile.model import compile_model, load_spec
from checker.compile.packing import packed_variables
from checker.compile.symmetry import symmetry_of
from checker.engine.liveness import search
from checker.native.engine import NativeSearch

from test_agreement import CONSTRUCTS, outcome

# Murphi's scheme: `next` and `holder` point at other processes (not unary); ties
# among idle processes are arranged every way
RING = """
spec Ring
const N: int = 3
type Proc = scalarset(N)
enum Phase { idle, waiting, done }
var phase: map[Proc, Phase]
var next: map[Proc, option[Proc]]
var holder: option[Proc]
var log: set[Proc]
init { phase = {p: idle for p in Proc}; next = {p: none for p in Proc}; holder = none; log = {} }
action Wait(p: Proc) when phase[p] == idle { phase[p] = waiting }
action Link(p: Proc, q: Proc) when p != q and is_none(next[p]) and phase[q] == waiting { next[p] = some(q) }
action Grab(p: Proc) when is_none(holder) and phase[p] == waiting {
  holder = some(p)
  phase[p] = done
  log = log union {p}
}
action Pass(p: Proc) when holder == some(p) and is_some(next[p]) and phase[get(next[p])] == waiting {
  phase[get(next[p])] = done
  log = log union {get(next[p])}
  holder = next[p]
  next[p] = none
}
action Leave(p: Proc) when phase[p] == done and holder != some(p) { phase[p] = idle }
invariant Logged = is_none(holder) or get(holder) in log
"""

# two scalarset types, a map from one to options of the other, maps of sets
TWO_TYPES = """
spec Two
type Proc = scalarset(3)
type Res = scalarset(2)
var owner: map[Res, option[Proc]]
var want: map[Proc, set[Res]]
var busy: set[Proc]
init { owner = {r: none for r in Res}; want = {p: {} for p in Proc}; busy = {} }
action Ask(p: Proc, r: Res) when r notin want[p] and p notin busy { want[p] = want[p] union {r} }
action Take(p: Proc, r: Res) when r in want[p] and is_none(owner[r]) and p notin busy {
  owner[r] = some(p)
  want[p] = want[p] minus {r}
  busy = busy union {p}
}
action Free(r: Res) when is_some(owner[r]) { busy = busy minus {get(owner[r])}; owner[r] = none }
invariant Exclusive = forall r1, r2 in Res: r1 == r2 or is_none(owner[r1]) or owner[r1] != owner[r2]
"""

# the unary flavour over every kind of datum symmetry.py's signatures read: a map keyed by
# the scalarset, a map of options of it, a sequence of it, a set of records holding one, a
# partial map keyed by a record holding one, an option of a record; `steps` bounds the depth
UNARY = """
spec U
type P = scalarset(3)
enum St { a, b }
record Tag { who: P, bit: bool }
record Slot { n: 0..1, p: P }
var st: map[P, St]
var slots: map[0..1, option[P]]
var queue: seq[P, 2]
var tags: set[Tag]
var seen: pmap[Slot, bool]
var latest: option[Tag]
var steps: 0..5
init { st = {p: a for p in P}; slots = {i: none for i in 0..1}; queue = []; tags = {}; seen = {:}; latest = none; steps = 0 }
action Flip(p: P) when steps < 5 and st[p] == a { st[p] = b; steps = steps + 1 }
action Take(i: 0..1, p: P) when steps < 5 and is_none(slots[i]) and st[p] == b { slots[i] = some(p); steps = steps + 1 }
action Enq(p: P) when steps < 5 and len(queue) < 2 { queue = append(queue, p); steps = steps + 1 }
action Deq when steps < 5 and len(queue) > 0 { queue = tail(queue); steps = steps + 1 }
action Tagit(p: P, x: bool) when steps < 5 and Tag(p, x) notin tags {
  tags = tags union {Tag(p, x)}
  latest = some(Tag(p, x))
  steps = steps + 1
}
action See(i: 0..1, p: P, x: bool) when steps < 5 and slots[i] == some(p) { seen[Slot(i, p)] = x; steps = steps + 1 }
invariant Slotted = forall i in 0..1: is_none(slots[i]) or st[get(slots[i])] == b
"""

# violations found under symmetry: an invariant, an action property, a state outside the
# constraints breaking an invariant, a deadlock
VIOLATIONS = {
    "invariant": RING + "invariant NotAllDone = exists p in Proc: phase[p] != done\n",
    "action": RING + "action property HolderStays = is_none(holder) or is_none(holder') or holder == holder'\n",
    "outside": TWO_TYPES + "constraint FewBusy = size(busy) <= 1\ninvariant NotTwoBusy = size(busy) <= 1\n",
    "deadlock": TWO_TYPES.replace("action Free(r: Res) when", "action Free(r: Res) when false and"),
}


def sym_model(path, consts=None, invariants=None, pack=True):
    checked = load_spec(path, consts)
    model = compile_model(checked, invariants,
                          packed=packed_variables(checked, keep_scalarsets=True) if pack else None)
    sym = symmetry_of(model)
    assert sym is not None and sym.unsound_reason is None
    return model, sym


def agree(model, sym, **opts):
    native = NativeSearch(model, sym)
    n1 = native.run(symmetry=sym, **opts)
    n3 = native.run(symmetry=sym, workers=3, **opts)
    assert outcome(n3) == outcome(n1)
    python, _graph = search(model, symmetry=sym, **opts)
    assert outcome(n1) == outcome(python)
    if python.trace:
        assert_behaviour(model, n1.trace, n1)
    return n1, python


def assert_behaviour(model, trace, res):
    """Each step of the (exported) trace is a step of the spec, the first state initial."""
    states = [model.import_state(s.state) if model.packed else s.state for s in trace]
    assert states[0] in model.init_states()
    for a, b in zip(states, states[1:]):
        assert b in model.successors(a)
    if res.property_kind == "invariant":
        assert model.check_invariants(states[-1]) >= 0
    if res.property_kind == "action":
        assert model.check_steps(states[-2], states[-1]) >= 0


SLOW = pytest.mark.slow


@pytest.mark.parametrize("path, consts, deadlock", [
    (TWOPHASE, {"RM": "3"}, True), pytest.param(TWOPHASE, {"RM": "4"}, False, marks=SLOW),
    pytest.param(TWOPHASE, {"RM": "5"}, True, marks=SLOW),
    (TCOMMIT, {"RM": "3"}, False), pytest.param(TCOMMIT, {"RM": "4"}, True, marks=SLOW),
    pytest.param(TCOMMIT, {"RM": "5"}, False, marks=SLOW),
])
def test_examples_agree_under_symmetry(path, consts, deadlock):
    native, python = agree(*sym_model(path, consts), check_deadlock=deadlock)
    assert native.distinct == python.distinct


@pytest.mark.parametrize("name, text", [("ring", RING), pytest.param("two_types", TWO_TYPES, marks=SLOW),
                                        ("unary", UNARY),
                                        pytest.param("option_of_wider_int", CONSTRUCTS["option_of_wider_int"],
                                                     marks=SLOW)])
def test_specs_agree_under_symmetry(tmp_path, name, text):
    path = tmp_path / f"{name}.gdsl"
    path.write_text(text)
    for pack in (True, False):
        native, python = agree(*sym_model(path, pack=pack), check_deadlock=False)
        assert native.verdict == "ok"


@pytest.mark.parametrize("kind", sorted(VIOLATIONS))
def test_violations_under_symmetry_have_shortest_traces(tmp_path, kind):
    path = tmp_path / f"{kind}.gdsl"
    path.write_text(VIOLATIONS[kind])
    native, python = agree(*sym_model(path), check_deadlock=kind == "deadlock")
    assert native.verdict == ("deadlock" if kind == "deadlock" else "violation")
    assert len(native.trace) == len(python.trace) > 1


def reachable(model) -> list:
    seen, todo = set(model.init_states()), deque(model.init_states())
    while todo:
        for t in model.successors(todo.popleft()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return sorted(seen, key=repr)


@pytest.mark.parametrize("name, text", [("ring", RING), ("two_types", TWO_TYPES), ("unary", UNARY)])
def test_the_canonical_form_is_a_function_of_the_orbit(tmp_path, name, text):
    path = tmp_path / f"{name}.gdsl"
    path.write_text(text)
    model, sym = sym_model(path, pack=False)
    native = NativeSearch(model, sym).prepare()
    layout, types = native.generated.layout, list(zip(model.var_names, model.var_types))

    def canon(state):
        w = (ctypes.c_uint64 * layout.words)(*layout.encode(state, types))
        native.lib.mc_canonical(w)
        return tuple(w)
    states = reachable(model)
    perms = list(sym.permutations())
    representatives = set()
    for s in states[::max(1, len(states) // 150)]:
        rep = canon(s)
        assert layout.decode(list(rep), types) == sym.canonical(s)     # the Python backend's representative
        for p in perms:
            assert canon(sym.permute(s, p)) == rep                                     # the orbit's
        representatives.add(rep)
    assert len(representatives) > 1


def test_symmetry_it_cannot_compile_is_located_and_auto_runs_python(tmp_path):
    """A descriptor holding a set (a record of a value and a set): no mixed-radix code
    orders it as the Python backend does; a located refusal, and auto runs Python."""
    from _support import run_cli
    spec = tmp_path / "rec.gdsl"
    spec.write_text("""spec R
type P = scalarset(2)
record Rec { p: P, s: set[0..2] }
var r: Rec
init { choose q in P; r = Rec(q, {}) }
action Add(x: 0..2) when x notin r.s { r = Rec(r.p, r.s union {x}) }
""")
    proc = run_cli(spec, "--no-deadlock", "--out", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("Backend: python (native backend off: the native backend cannot compile symmetry reduction over a "
            f"value of type Rec yet ({spec}:4:5))") in proc.stdout
    proc = run_cli(spec, "--backend", "native")
    assert proc.returncode == 2
    assert f"{spec}:4:5: error: the native backend cannot compile symmetry reduction" in proc.stderr
    proc = run_cli(spec, "--no-deadlock", "--no-symmetry", "--out", tmp_path)
    assert "Backend: native" in proc.stdout


@SLOW
def test_the_group_spec_keeps_symmetry_off_on_both_backends(tmp_path):
    """The audit finds the group spec's assignors ordering consumers (sorted()): both
    backends explore it in full, saying why, and native still runs it."""
    from _support import ROOT, run_cli
    proc = run_cli(ROOT / "models" / "two-consumers.toml", "--skip", "EventuallyStable", "--out", tmp_path,
                   timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Symmetry: off, because sorted() orders values of the scalarset Consumer by identity" in proc.stdout
    assert "Backend: native" in proc.stdout
