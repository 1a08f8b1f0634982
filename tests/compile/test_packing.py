"""Packed state variables (checker/compile/packing.py): small sets and maps held as one int in
the exhaustive search. The packed model must be the plain model in another dress:
the same successors from every state, the same counts, and plain values wherever a
user sees a state."""
from __future__ import annotations

import json
from collections import Counter, deque
from pathlib import Path

import pytest

from checker.lang.errors import EvalError
from checker.engine.search import bfs
from checker.compile.model import compile_model, load_spec
from checker.compile.modelfile import compile_model_file, load_model_file
from checker.compile.packing import PackedMap, PackedSet, layout, packed_variables
from checker.lang.types import BoolT, EnumT, IntT, MapT, ScalarsetT, SetT

from _support import (DIEHARD, EXIT_OK, EXIT_VIOLATION, ROOT, TCOMMIT, TWOPHASE, one_json_object,
                      reachable, run_cli)

# Every kind of packed variable, read and written every way the compiler packs:
# element bits from constants, parameters and locals; union, minus, intersect;
# membership, equality, inclusion, size; map fields with a lowest value above 0,
# keys from parameters, constants and loops; procs, defs, choose and if-expressions.
BITS = """spec Bits
const N: int = 3
type Node = scalarset(N)
enum Color { red, green, blue }
enum Phase { idle, busy, done }

var flags: set[Color]
var nums: set[0..5]
var seen: set[Node]
var level: map[Node, 2..5]
var on: map[0..3, bool]
var phase: map[Node, Phase]
var count: 0..7

init {
  flags = {Color.red}
  nums = {}
  seen = {}
  level = {n: 2 for n in Node}
  on = {i: false for i in 0..3}
  phase = {n: idle for n in Node}
  count = 0
}

def busyNodes(): set[Node] = {n for n in Node if phase[n] == busy}
def highest(): int = if nums == {} then 0 else count

proc mark(n: Node) {
  seen = seen union {n}
  phase[n] = busy
}

action Start(n: Node) when phase[n] == idle and n notin seen { mark(n) }
action Finish(n: Node) when phase[n] == busy {
  phase[n] = done
  level[n] = if level[n] < 5 then level[n] + 1 else 2
}
action Paint(c: Color) when c notin flags and size(flags) < 3 { flags = flags union {c} }
action Fade when flags subseteq {Color.red, Color.green} and flags != {} {
  choose c in flags
  flags = flags minus {c}
}
action Count when count < 5 and count notin nums {
  nums = nums union {count}
  count = count + 1
}
action Keep when nums != {} { nums = nums intersect {0, 2, 4} }
action Flip(i: 0..3) when on[i] != on[(i + 1) % 4] or i == 0 { on[i] = not on[i] }
action Reset when seen == Node {
  seen = {}
  for n in Node { phase[n] = idle  level[n] = 3 }
  on[2] = true
}
action Toggle when on[3] { on = {i: i % 2 == 0 for i in 0..3} }

invariant LevelsInRange = forall n in Node: level[n] >= 2 and level[n] <= 5
invariant BusyAreSeen = busyNodes() subseteq seen
invariant Counted = highest() <= 5 and size(nums) <= count
refuted invariant NeverAllDone = not (forall n in Node: phase[n] == done)
"""


def _bits(tmp_path, body=BITS):
    path = tmp_path / "bits.gdsl"
    path.write_text(body)
    return path


def _pair(checked_of, invariants=None, keep_scalarsets=False):
    """The same spec compiled plain and packed (two loads: models share nothing)."""
    plain = compile_model(checked_of(), invariants)
    checked = checked_of()
    packed = compile_model(checked, invariants, packed=packed_variables(checked, keep_scalarsets), prune=False)
    return plain, packed


def _assert_same_successors(plain, packed, limit=20_000):
    """Walk the packed model breadth-first; from each state, its successors unpacked
    must be the plain model's successors of the unpacked state (with the same
    actions and parameters, as multisets), and each state must survive a round trip."""
    assert packed.packed, "nothing was packed"
    start = packed.init_states()
    assert sorted(map(repr, map(packed.export_state, start))) == sorted(map(repr, plain.init_states()))
    seen, todo, steps = set(start), deque(start), 0
    while todo and steps < limit:
        p = todo.popleft()
        q = packed.export_state(p)
        assert packed.import_state(q) == p
        mine = Counter((a, picks, packed.export_state(t)) for a, picks, t in packed.labelled_successors(p))
        theirs = Counter(plain.labelled_successors(q))
        assert mine == theirs
        assert packed.check_invariants(p) == plain.check_invariants(q)
        for _, _, t in packed.labelled_successors(p):
            steps += 1
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return len(seen)


# ---- layouts

def test_layouts_of_small_sets_and_total_maps():
    color = EnumT("Color", ("red", "green", "blue"))
    node = ScalarsetT("Node", 3)
    assert layout(SetT(color)) == PackedSet((0, 1, 2))
    lay = layout(MapT(node, IntT(2, 5), total=True))
    assert (lay.keys, lay.width, lay.lo, lay.hi, lay.boolean) == (3, 2, 2, 5, False)
    assert layout(MapT(IntT(0, 3), BoolT(), total=True)).width == 1
    assert layout(MapT(node, SetT(color), total=True)) is None        # a set per key: not a field
    assert layout(MapT(node, IntT(0, 5), total=False)) is None         # a pmap may lack keys
    assert layout(SetT(IntT(0, 64))) is None                           # 65 values: more than 64 bits
    assert layout(MapT(IntT(0, 40), IntT(0, 3), total=True)) is None   # 41 keys x 2 bits


def test_encode_and_decode_are_inverse():
    s = PackedSet(("a", "b", "c", "d"))
    for n in range(16):
        assert s.encode(s.decode(n)) == n
    assert s.encode(frozenset({"b", "d"})) == 0b1010
    m = PackedMap(keys=3, width=2, lo=2, hi=5, boolean=False)
    assert m.decode(m.encode((5, 2, 3))) == (5, 2, 3)
    assert m.encode((3, 2, 2)) == 1
    b = PackedMap(keys=4, width=1, lo=0, hi=1, boolean=True)
    assert b.decode(b.encode((True, False, False, True))) == (True, False, False, True)


def test_a_value_outside_a_fields_range_is_an_error_not_a_wrong_bit():
    m = PackedMap(keys=2, width=2, lo=2, hi=5, boolean=False)
    with pytest.raises(EvalError, match="outside its type 2..5"):
        m.encode((6, 2))


def test_symmetry_keeps_the_variables_it_permutes_unpacked():
    checked = load_spec(TWOPHASE, {"RM": "3"})
    assert set(packed_variables(checked, keep_scalarsets=False)) == {"rmState", "tmPrepared", "msgs"}
    assert set(packed_variables(checked, keep_scalarsets=True)) == set()


# ---- the packed model is the plain model

def test_every_packed_operation_gives_the_plain_successors(tmp_path):
    path = _bits(tmp_path)
    plain, packed = _pair(lambda: load_spec(path, {}))
    assert set(packed.packed) == {"flags", "nums", "seen", "level", "on", "phase"}
    assert _assert_same_successors(plain, packed) > 500


@pytest.mark.parametrize("spec, consts", [(DIEHARD, {}), (TCOMMIT, {"RM": "3"}), (TWOPHASE, {"RM": "3"})])
def test_examples_have_the_plain_successors(spec, consts):
    plain, packed = _pair(lambda: load_spec(spec, consts))
    if spec != DIEHARD:
        _assert_same_successors(plain, packed)


@pytest.mark.parametrize("bug", ["KAFKA-10284", "KAFKA-12983", "KAFKA-9801"])
def test_group_models_have_the_plain_successors(bug):
    """The group spec without symmetry (its per-consumer maps packed), as bug models vary it."""
    mf = load_model_file(ROOT / "models" / "bugs" / f"{bug}.toml")
    plain, _ = compile_model_file(mf, {}, [], [])
    packed, _ = compile_model_file(mf, {}, [], [], lambda c: packed_variables(c, keep_scalarsets=False))
    assert {"alive", "client", "rejoinNeeded"} <= set(packed.packed)
    _assert_same_successors(plain, packed, limit=4_000)


def _known(model, **kw):
    r = bfs(model, **kw)
    return r.verdict, r.property, r.distinct, r.generated, r.depth, [
        (s.action, s.params, s.state) for s in r.trace or []]


@pytest.mark.parametrize("spec, consts, invariants, deadlock, expected", [
    (DIEHARD, {}, ["TypeOK"], True, ("ok", 16, 97, 8)),
    (TCOMMIT, {"RM": "3"}, ["TCTypeOK", "TCConsistent"], False, ("ok", 34, 94, 7)),
    (TWOPHASE, {"RM": "3"}, None, False, ("ok", 288, 1146, 11)),
])
def test_known_answers_with_and_without_packing(spec, consts, invariants, deadlock, expected):
    """TLC's figures (shared/known-answers/README.md), from both forms of each model."""
    plain, packed = _pair(lambda: load_spec(spec, consts), invariants)
    a, b = _known(plain, check_deadlock=deadlock), _known(packed, check_deadlock=deadlock)
    assert (a[0], *a[2:5]) == expected
    assert a == b


def test_a_counterexample_from_a_packed_search_shows_plain_values(tmp_path):
    """The refuted invariant's shortest trace: the same steps and plain states."""
    path = _bits(tmp_path)
    plain, packed = _pair(lambda: load_spec(path, {}), ["NeverAllDone"])
    a, b = _known(plain), _known(packed)
    assert a[0] == "violation" and a == b
    last = packed.plain(b[5][-1][2])
    assert last["phase"] == {"Node1": "done", "Node2": "done", "Node3": "done"}, last
    assert last["seen"] == {"Node1", "Node2", "Node3"}, last


def test_an_out_of_range_map_value_is_reported_packed_or_not(tmp_path):
    path = _bits(tmp_path, BITS.replace("level[n] = 3", "level[n] = level[n] + 1"))
    plain, packed = _pair(lambda: load_spec(path, {}))
    a, b = bfs(plain), bfs(packed)
    assert a.verdict == b.verdict == "error"
    assert a.message == b.message and "level" in a.message
    assert [s.state for s in a.trace] == [s.state for s in b.trace]


def test_an_element_outside_a_packed_sets_type_is_an_error(tmp_path):
    """A packed set has a bit for each value of its element type only: adding
    another value is the spec's error, reported from the state it happened in, as
    the plain form's range check reports it."""
    path = tmp_path / "grow.gdsl"
    path.write_text("""spec Grow
var s: set[0..3]
var n: 0..7
init { s = {}  n = 0 }
action Add when n < 7 { s = s union {n}  n = n + 1 }
action Pick(i: 0..3) when n == 5 and i in s { s = {i, n} }
""")
    plain, packed = _pair(lambda: load_spec(path, {}))
    assert set(packed.packed) == {"s"}
    a, b = bfs(plain), bfs(packed)
    assert a.verdict == b.verdict == "error"
    assert "s would hold 4, outside its element type 0..3" in a.message
    assert "a set would hold 4, outside its element type" in b.message
    assert [x.state for x in a.trace] == [x.state for x in b.trace]
    assert packed.plain(b.trace[-1].state) == {"s": {0, 1, 2, 3}, "n": 4}


def test_plain_views_of_a_packed_model(tmp_path):
    """Model.plain and Model.function (scenarios, the simulator) take and give plain values."""
    path = _bits(tmp_path)
    _, packed = _pair(lambda: load_spec(path, {}))
    state = packed.plain(packed.export_state(packed.init_states()[0]))
    assert state["flags"] == {"red"} and state["level"] == {"Node1": 2, "Node2": 2, "Node3": 2}
    assert packed.function("busyNodes")(phase={**state["phase"], "Node2": "busy"}) == {"Node2"}
    assert packed.function("highest")(nums={3}, count=4) == 4


# ---- the command line

def test_no_packing_gives_the_same_counts_and_trace(tmp_path):
    path = _bits(tmp_path)
    runs = [one_json_object(run_cli(path, "--json", "--no-symmetry", *extra, "--invariant", "NeverAllDone",
                                    "--out", tmp_path / name).stdout)
            for name, extra in (("packed", []), ("plain", ["--no-packing"]))]
    assert runs[0]["verdict"] == "violation" and runs[0]["exit_code"] == EXIT_VIOLATION
    for key in ("distinct_states", "states_generated", "depth", "property", "trace_length"):
        assert runs[0][key] == runs[1][key]
    traces = [json.loads(Path(run["trace"]).read_text()) for run in runs]
    assert traces[0]["states"] == traces[1]["states"]
    last = traces[0]["states"][-1]                      # maps and sets, not the ints they were held as
    assert last["phase"] == {"#map": [["Node1", "done"], ["Node2", "done"], ["Node3", "done"]]}
    assert last["seen"] == {"#set": ["Node1", "Node2", "Node3"]}


def test_twophase_rm5_counts_with_and_without_packing():
    a, b = (one_json_object(run_cli(TWOPHASE, "--const", "RM=5", "--no-symmetry", "--json", *extra).stdout)
            for extra in ([], ["--no-packing"]))
    assert a["exit_code"] == b["exit_code"] == EXIT_OK
    assert a["distinct_states"] == b["distinct_states"] == 8832
    assert a["states_generated"] == b["states_generated"]


# ---- guards looked up by a variable's value (Compiler.selected_domain)

@pytest.mark.slow
def test_guards_looked_up_by_a_variables_value_select_what_they_test(tmp_path, monkeypatch):
    """TwoPhase's `rmState[rm] == working` and Bits' guards, compiled to a lookup of
    the parameter values that satisfy them, give the successors of the loop that
    tests every value, from every state; also once the lookup stops keeping values."""
    import checker.compile.compiler
    import checker.compile.runtime
    path = _bits(tmp_path)
    for checked_of in (lambda: load_spec(path, {}), lambda: load_spec(TWOPHASE, {"RM": "4"})):
        checked = checked_of()
        looked_up = compile_model(checked, packed=packed_variables(checked, False), prune=False)
        assert "_Selection(" in looked_up.source
        with monkeypatch.context() as m:
            m.setattr(checker.compile.compiler.Compiler, "selected_domain", lambda self, cs, name, src, env: src)
            checked = checked_of()
            tested = compile_model(checked, packed=packed_variables(checked, False), prune=False)
        assert "_Selection(" not in tested.source
        monkeypatch.setattr(checker.compile.runtime, "_SELECTION_LIMIT", 3)
        states = reachable(tested)
        assert len(states) > 200
        for st in states:
            assert looked_up.labelled_successors(st) == tested.labelled_successors(st)
        monkeypatch.undo()


@pytest.mark.slow
def test_symmetry_reduction_over_packed_and_plain_variables(tmp_path):
    """Under symmetry the variables without Node values (flags, nums, on) are packed
    and the others permuted: the orbits must be those found with nothing packed."""
    path = _bits(tmp_path)
    a, b = (one_json_object(run_cli(path, "--json", *extra).stdout) for extra in ([], ["--no-packing"]))
    full = one_json_object(run_cli(path, "--json", "--no-symmetry").stdout)
    assert a["exit_code"] == b["exit_code"] == EXIT_OK
    assert a["distinct_states"] < full["distinct_states"]
    assert (a["distinct_states"], a["states_generated"], a["depth"]) == \
        (b["distinct_states"], b["states_generated"], b["depth"])


def test_variables_the_spec_reads_whole_are_not_packed(tmp_path):
    """Packing pays only if the compiled spec never unpacks the variable: Bits
    unpacks `flags` (`choose c in flags`) and `on` (`on[(i + 1) % 4]`, a key the
    types do not keep in range), TwoPhase nothing."""
    path = _bits(tmp_path)
    checked = load_spec(path, {})
    pruned = compile_model(checked, packed=packed_variables(checked, False))
    assert set(pruned.packed) == {"nums", "seen", "level", "phase"}     # not flags, nor on (`on[(i + 1) % 4]`)
    assert "DECODE" not in pruned.source.split("def export_state")[0]
    checked = load_spec(TWOPHASE, {"RM": "3"})
    assert set(compile_model(checked, packed=packed_variables(checked, False)).packed) == \
        {"rmState", "tmPrepared", "msgs"}


def test_packing_is_asked_for_by_the_command_line():
    """Not with --no-packing, nor for the simulator; without --no-symmetry, not the
    variables that symmetry reduction permutes."""
    from checker.cli.main import _packing, build_parser
    def pack(*flags, symmetry=True):
        return _packing(build_parser().parse_args([str(TWOPHASE), *flags]), symmetry=symmetry)
    checked = load_spec(TWOPHASE, {"RM": "3"})
    assert pack()(checked) == {}
    assert set(pack("--no-symmetry", symmetry=False)(checked)) == {"rmState", "tmPrepared", "msgs"}
    assert pack("--no-packing") is None and pack("--simulate") is None
