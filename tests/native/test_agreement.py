"""The native backend against the Python backend: the same verdict, property, counts
(distinct, generated, depth, queue, outside the constraints) and a trace of the same
length, on the example specs, on small specs written for one construct each, and on
every model file (the group spec's: agreement where the native backend compiles the
spec, a located refusal where it does not yet)."""
from __future__ import annotations



import pytest

from _support import DIEHARD, ROOT, TCOMMIT, TWOPHASE
from _support import FUNCTION_SETS as _FUNCTION_SETS
from checker.compile.model import compile_model, load_spec
from checker.compile.modelfile import compile_model_file, load_model_file
from checker.compile.packing import packed_variables
from checker.engine.liveness import search
from checker.lang.errors import SpecError
from checker.native.encoding import Unsupported
from checker.native.engine import NativeSearch


def outcome(r) -> tuple:
    return (r.verdict, r.property, r.property_kind, r.distinct, r.generated, r.depth, r.queue_left,
            r.constrained, None if r.trace is None else len(r.trace), r.stopped_by, r.loop, r.message,
            r.covers, {n: [(s.action, s.params, s.state) for s in w] for n, w in r.witnesses.items()})


def both(model, **opts) -> tuple:
    """The native search against the Python backend's whole check (the search, then the
    temporal properties on its state graph, as `modelcheck` runs it)."""
    search_ = NativeSearch(model)
    native = search_.run(**opts)
    threaded = search_.run(workers=3, **opts)       # threads change nothing but the time
    assert outcome(threaded) == outcome(native)
    assert [s.state for s in threaded.trace or []] == [s.state for s in native.trace or []]
    python, _graph = search(model, **opts)
    return outcome(native), outcome(python), native, python


def model_of(path, consts=None, invariants=None, pack=True):
    checked = load_spec(path, consts)
    return compile_model(checked, invariants, packed=packed_variables(checked, keep_scalarsets=False) if pack else None)


@pytest.mark.parametrize("path, consts, invariants, deadlock", [
    (DIEHARD, None, None, True),
    (DIEHARD, None, ["TypeOK"], True),
    (TCOMMIT, None, None, False),
    (TCOMMIT, None, None, True),
    (TWOPHASE, None, None, True),
    (TWOPHASE, {"RM": "5"}, None, True),
    (TWOPHASE, {"RM": "4"}, ["TPTypeOK"], False),
])
def test_examples_agree(path, consts, invariants, deadlock):
    n, p, native, python = both(model_of(path, consts, invariants), check_deadlock=deadlock)
    assert n == p
    if python.trace:
        assert [s.action for s in native.trace][:1] == [None]
        assert native.trace[-1].state is not None


def test_known_answers():
    """TLC's figures (README, Known answers), from the native backend alone."""
    r = NativeSearch(model_of(TWOPHASE, invariants=["TPTypeOK"])).run()
    assert (r.verdict, r.distinct, r.generated, r.depth) == ("ok", 288, 1146, 11)
    r = NativeSearch(model_of(DIEHARD)).run()
    assert (r.verdict, r.property, len(r.trace)) == ("violation", "NotSolved", 7)
    assert [(s.state[0], s.state[1]) for s in r.trace] == [(0, 0), (5, 0), (2, 3), (2, 0), (0, 2), (5, 2), (4, 3)]


CONSTRUCTS = {
    # constraints (TLC's CONSTRAINT): outside states generated, checked, not stored
    "constraint": """
spec C
var x: 0..9
var y: 0..3
init { x = 0; y = 0 }
action Inc when x < 9 { x = x + 1 }
action Turn { y = (y + 1) % 4 }
constraint Small = x <= 5
invariant Fine = x < 9
action property Up = x' >= x
""",
    # an invariant broken by a state outside the constraints
    "outside_violation": """
spec O
var x: 0..9
init { x = 0 }
action Inc when x < 9 { x = x + 2 }
action Dec when x > 0 { x = x - 1 }
constraint Small = x <= 4
invariant NotFive = x != 5
""",
    # choose, require, procs with choices, records, options, maps, sets, lets, functions
    "mixed": """
spec M
const N: int = 3
type P = scalarset(N)
enum St { idle, busy, done }
record Job { owner: P, prio: 0..2 }
var st: map[P, St]
var jobs: set[Job]
var latest: option[Job]
var count: 0..6
init { st = {p: idle for p in P}; jobs = {}; latest = none; count = 0 }
def nbusy(): int = size({p for p in P if st[p] == busy})
def best(s: set[Job]): int {
  let m = 0
  for j in s { if j.prio > m { m = j.prio } }
  return m
}
proc record_job(p: P) {
  choose pr in 0..2
  require pr >= nbusy() - 1
  jobs = jobs union {Job(p, pr)}
  latest = some(Job(p, pr))
}
action Start(p: P) when st[p] == idle and count < 6 {
  st[p] = busy
  record_job(p)
  count = count + 1
}
action Finish(p in {q for q in P if st[q] == busy}) {
  st[p] = done
  if is_some(latest) and get(latest).owner == p { latest = none }
}
action Reset(p: P) when st[p] == done { st[p] = idle }
invariant Bounded = best(jobs) <= 2 and nbusy() <= N
invariant LastKnown = is_none(latest) or get(latest) in jobs
action property Grows = jobs subseteq jobs'
""",
    # a deadlock, and integer semantics (floor division and modulo of negatives)
    # (x stays above -2: the Python backend's fingerprint of a state holding -2 is the
    # one of the same state holding -1, CPython's hash(-2) == hash(-1), see docs/status/STATUS-native.md)
    "arith": """
spec A
var x: -1..12
var y: -3..3
init { x = -1; y = 0 }
action Step when x < 12 { x = x + 1; y = ((x - 6) / 4) % 3 - 1 }
invariant Range = y >= -3 and y <= 3 and (x - 6) % 5 != 7 and (6 - x) % -4 <= 0
""",
    # temporal properties under fairness (with `when`, binders, a constraint): the
    # state graph recorded in C, judged by the liveness check
    "liveness": """
spec L
const N: int = 2
type P = scalarset(N)
var pc: map[P, 0..2]
var y: bool
var n: 0..7
init { pc = {p: 0 for p in P}; y = false; n = 0 }
action Step(p: P) when pc[p] < 2 { pc[p] = pc[p] + 1; n = (n + 1) % 8 }
action Back(p: P) when pc[p] == 2 { pc[p] = 0 }
action Flip { y = not y }
fairness weak Step(p) when pc[p] != 1, Back(p)
fairness strong Flip when n > 2
constraint Few = n < 7
temporal property Returns = forall p in P: always eventually pc[p] == 0
temporal property AllReach = forall p in P: eventually pc[p] == 2
temporal property Flips = y leads_to not y
""",
    "liveness_holds": """
spec H
var x: 0..3
var y: bool
init { x = 0; y = false }
action Inc when x < 3 { x = x + 1 }
action Reset when x == 3 { x = 0 }
action Flip { y = not y }
fairness weak Inc, Reset
temporal property Reach3 = always eventually x == 3
temporal property Back = x == 3 leads_to x == 0
""",
    # sequences in the state (spec/group.gdsl's idOrder): packed as a length and the slots
    # below it, a record holding one, a new element put anywhere; an invariant breaks at
    # depth 4 so the trace's states (read back from C) are compared too
    "seq_state": """
spec Q
type Id = 0..2
record Msg { tag: bool, order: seq[Id, 3] }
var order: seq[Id, 3]
var sent: option[Msg]
init { order = []; sent = none }
action Put(x: Id) when len(order) < 3 and x notin to_set(order) {
  choose i in 0..len(order)
  let out: seq[Id, 3] = []
  let k = 0
  for y in order {
    if k == i { out = append(out, x) }
    out = append(out, y)
    k = k + 1
  }
  if i >= len(order) { out = append(out, x) }
  order = out
  sent = some(Msg(tag: i == 0, order: out))
}
action Drop when len(order) > 0 { order = tail(order) }
invariant NotAllReversed = order != [2, 1, 0]
""",
    # some(x) of a plain int (a choose over a range of a variable) stored in a map of packed
    # options (found by spec/group.gdsl's librdkafka follower snapshot, K7)
    "option_of_wider_int": """
spec O
type C = scalarset(2)
var n: 1..3
var seen: map[C, option[1..3]]
init { n = 1; seen = {c: none for c in C} }
action Grow when n < 3 { n = n + 1 }
action See(c: C) when is_none(seen[c]) {
  choose k in 1..n
  seen[c] = some(k)
}
invariant SeenAtMostN = forall c in C: is_none(seen[c]) or get(seen[c]) <= n
""",
    # covers: state and step covers, reached by an initial state, inside and (not) outside
    # the constraints, through a function; two never reached (exit 15 on both backends)
    "covers": """
spec V
var x: 0..9
var y: 0..3
init { x = 0; choose v in 0..1; y = v }
def big(n: int): bool = x >= n
action Inc when x < 9 { x = x + 1 }
action Turn { y = (y + 1) % 4 }
action Back when x > 3 { x = x - 2 }
constraint Small = x <= 6
cover StartOne = y == 1
cover Five = big(5) and y == 3
cover action Down = x' < x and y == 2
cover action Turned = y' == 0 and y == 3 and x == 6
cover OnlyOutside = x == 7
cover action Never = x' == x + 3
""",
    # every cover reached: the verdict is ok, the covers and witnesses agree
    "covers_reached": """
spec W
var x: 0..4
init { x = 0 }
action Inc when x < 4 { x = x + 1 }
action Reset when x == 4 { x = 0 }
cover Four = x == 4
cover action Wrap = x == 4 and x' == 0
""",
    # fairness of a group of actions, per value of parameters matched by position, and a
    # `when` reading a parameter not listed: the same verdicts and lassos on the C graph
    "fair_group": """
spec G
type Proc = 1..2
var pc: map[Proc, 0..2] = {p: 0 for p in Proc}
action Go(p: Proc) when pc[p] == 0 { pc[p] = 1 }
action Back(q: Proc) when pc[q] == 1 { pc[q] = 0 }
action Jump(r: Proc, k: 1..2) when pc[r] < 2 { pc[r] = k }
fairness weak (Go(p) | Back(q))
fairness strong (Go(p) | Jump(r) when k == 2)
temporal property EachMoves = forall p in Proc: always eventually pc[p] == 1
temporal property SomeTwo = eventually (exists p in Proc: pc[p] == 2)
""",
    # the temporal forms beyond the basic four, and a conjunction: the same verdicts and
    # lassos (the liveness check runs on the C state graph)
    "temporal_forms": """
spec T
var x: 0..3 = 0
var locked: bool = false
action Inc when x < 3 { x = x + 1 }
action Lock when x == 2 { locked = true }
action Unlock when x == 3 and locked { locked = false }
fairness weak Inc
temporal property Anchored = x == 0 => eventually x == 3
temporal property Grows = always (x >= 2 => always x >= 2)
temporal property Both = (x == 1 => eventually x == 0) and always (locked => always locked)
""",
    # a cover that cannot be evaluated: an evaluation error naming it, on both backends
    "cover_error": """
spec F
var x: 0..3 = 0
var m: pmap[0..3, 0..3] = {:}
action Inc when x < 3 { x = x + 1 }
action Back when x > 0 { x = x - 1 }
cover Looked = x / (2 - x) >= 0
""",
    # invariants the native search checks only after steps that may change what they
    # read (codegen's invariant_sites): broken through a function's reads, through a
    # proc's assignment, and an evaluation failure, each by one action only
    "footprint_def": """
spec F
var x: 0..5
var y: 0..5
init { x = 0; y = 0 }
def ySmall(): bool = y < 3
action IncX when x < 5 { x = x + 1 }
action IncY when y < 5 { y = y + 1 }
invariant XFine = x <= 5
invariant YFine = ySmall()
""",
    "footprint_proc": """
spec P
var x: 0..5
var z: 0..5
init { x = 0; z = 0 }
proc bump() { z = z + 1 }
action IncX when x < 5 { x = x + 1 }
action IncZ when z < 5 { bump() }
invariant ZFine = z < 3
""",
    "footprint_failure": """
spec W
var x: 0..5
var w: 0..3
init { x = 0; w = 0 }
action IncX when x < 5 { x = x + 1 }
action IncW when w < 3 { w = w + 1 }
invariant Defined = x + 10 / (3 - w) >= 0
""",
    # members narrowed to their ranges (int8..int64): values at each width's edges, stored
    # through records, options, sequences, partial maps and maps of other ranges
    # (converted, checked), compared across ranges; the invariants read them back in C
    "narrow": """
spec N
record Big { lo: -129..128, mid: -32769..32768, hi: -2147483649..2147483648, tags: set[0..2] }
var big: Big
var w: map[0..1, 0..70000]
var o: option[1..300]
var q: seq[-200..200, 3]
var pm: pmap[0..2, -40000..40000]
var e: -128..127
var step: 0..3
init { big = Big(-129, 32768, -2147483649, {}); w = {k: 0 for k in 0..1}; o = none; q = []; pm = {:}; e = -128; step = 0 }
action A when step == 0 {
  let wide: map[0..1, int] = {k: 70000 - k for k in 0..1}
  w = wide
  o = some(300)
  q = [-200, 200]
  pm[1] = -40000
  big = Big(128, -32769, 2147483648, {2})
  e = 127
  step = 1
}
action B when step == 1 {
  let r: Big = big
  big = Big(r.lo - 1, r.mid + 1, r.hi - 1, r.tags union {0})
  let longer: seq[-300..300, 5] = q
  q = longer
  let other: option[0..1000] = o
  o = other
  e = e - 255
  step = 2
}
action C when step == 2 {
  let m: map[0..1, 0..99999] = w
  require m == w and not (m != w)
  step = 3
}
invariant AtOne = step != 1 or (w[0] == 70000 and w[1] == 69999 and o == some(300) and q == [-200, 200]
  and pm[1] == -40000 and size(pm) == 1 and big.lo == 128 and big.mid == -32769 and big.hi == 2147483648 and big.tags == {2} and e == 127)
invariant AtTwo = step != 2 or (big.lo == 127 and big.mid == -32768 and big.hi == 2147483647 and big.tags == {0, 2} and q[1] == 200
  and get(o) == 300 and e == -128)
invariant NotDone = step < 3
""",
    # a value out of its range: an evaluation error, reported with the same counts
    "overflow": """
spec E
var x: 0..3
init { x = 0 }
action Inc { x = x + 1 }
""",
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
@pytest.mark.parametrize("deadlock", [True, False])
def test_constructs_agree(tmp_path, name, deadlock):
    path = tmp_path / f"{name}.gdsl"
    path.write_text(CONSTRUCTS[name])
    for pack in (True, False) if deadlock else (True,):     # (packing changes only the Python side)
        n, p, native, python = both(model_of(path, pack=pack), check_deadlock=deadlock)
        assert n == p
        if python.trace:
            assert [s.state for s in native.trace[:1]] == [python.trace[0].state]
            assert [s.action for s in native.trace] == [s.action for s in python.trace]


def test_bounds_agree(tmp_path):
    path = tmp_path / "c.gdsl"
    path.write_text(CONSTRUCTS["mixed"])
    model = model_of(path)
    for opts in ({"max_states": 7}, {"max_depth": 3}, {"max_states": 1}):
        n, p, _, _ = both(model, **opts)
        assert n == p, opts


# levels of several chunks (2048 states each): threads take batches, phase A of the next
# chunk runs beside phase B of this one; with the graph (labels interned while read), a
# cover, a violation in a late chunk, a stop in the middle of a level
WIDE = """
spec W
var a: 0..5000
var b: 0..3
init { a = 0; b = 0 }
action Set(v: 0..5000) when b == 0 { a = v; b = 1 }
action Step when b > 0 and b < 3 { b = b + 1 }
action Back when b == 3 { b = 0; a = 0 }
fairness weak Step
temporal property Ends = b == 1 leads_to b == 3
cover Far = a == 4000 and b == 2
invariant Small = a <= 5000
invariant Late = not (a == 4321 and b == 3)
"""


@pytest.mark.parametrize("invariants, opts", [
    (["Small"], {}), (None, {}), (["Small"], {"max_states": 7000}), (["Small"], {"max_depth": 3})])
def test_levels_of_several_chunks_agree_whatever_the_threads(tmp_path, invariants, opts):
    path = tmp_path / "w.gdsl"
    path.write_text(WIDE)
    n, p, native, _python = both(model_of(path, invariants=invariants), **opts)
    assert n == p
    assert native.distinct > 5000 and native.generated > 3 * 2048


GRID = """
spec G
var a: 0..99
var b: 0..99
var c: 0..19
init { a = 0; b = 0; c = 0 }
action A { a = (a + 1) % 100 }
action B { b = (b + 1) % 100 }
action C { c = (c + 1) % 20 }
fairness weak A
temporal property Round = always eventually a == 0
"""


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_the_visited_set_grows_alike_whatever_the_threads(tmp_path, workers):
    """200,000 states on a torus, each reached again and again: the visited set grows
    from 65,536 slots to 524,288 (with the graph's state numbers), by the pool when
    there are several threads, and a state it lost would be counted twice. Counted by
    hand: every (a, b, c), three steps from each, the farthest 99 + 99 + 19 steps away."""
    path = tmp_path / "g.gdsl"
    path.write_text(GRID)
    r = NativeSearch(model_of(path)).run(workers=workers)
    assert (r.verdict, r.distinct, r.generated, r.depth) == ("ok", 200_000, 1 + 3 * 200_000, 99 + 99 + 19 + 1)


def test_a_memory_stop_comes_at_the_same_state_whatever_the_threads(tmp_path):
    path = tmp_path / "w.gdsl"
    path.write_text(WIDE)
    search_ = NativeSearch(model_of(path, invariants=["Small"]))
    stops = []
    for limit in range(1_000_000, 1_200_001, 20_000):      # around the store's size here
        one, three = search_.run(memory_limit=limit), search_.run(memory_limit=limit, workers=3)
        assert outcome(three) == outcome(one), limit
        stops.append(one.stopped_by)
    assert "memory" in stops


def test_a_map_of_a_wider_range_is_checked_where_it_is_stored(tmp_path):
    """A narrow member never wraps, nor a packed field spills into the next: the value
    from a map of a wider range is checked when stored, as the Python backend checks a
    packed map (unpacked, it stores the 7 its type does not hold; the native layout cannot)."""
    path = tmp_path / "m.gdsl"
    path.write_text("""
spec M
var m: map[0..1, 0..3]
var x: 0..3
init { m = {k: 0 for k in 0..1}; x = 0 }
action A when x < 3 { let n: map[0..1, 0..9] = {k: 2 * x + 3 for k in 0..1}; m = n; x = x + 1 }
""")
    n, p, native, _python = both(model_of(path, pack=True))
    assert n == p
    assert (native.verdict, native.distinct) == ("error", 2)
    assert native.message == "a map value would become 5, outside its type 0..3 (in action A (line 6))"


def test_error_message_names_the_action(tmp_path):
    path = tmp_path / "e.gdsl"
    path.write_text(CONSTRUCTS["overflow"])
    r = NativeSearch(model_of(path)).run()
    assert r.verdict == "error"
    assert "x would become 4, outside its type 0..3" in r.message and "action Inc" in r.message


MODEL_FILES = sorted(str(p.relative_to(ROOT)) for p in list((ROOT / "models").glob("*.toml"))
                     + list((ROOT / "models" / "bugs").glob("*.toml")))


@pytest.mark.slow          # gcc compiles the group spec's C for each model's constants: ~15 s each
@pytest.mark.parametrize("path", MODEL_FILES)
def test_model_files_agree_or_are_refused_with_a_location(path):
    mf = load_model_file(ROOT / path)
    model, opts = compile_model_file(mf, {}, [], [], lambda c: packed_variables(c, keep_scalarsets=False))
    try:
        native = NativeSearch(model).prepare()
    except Unsupported as e:
        assert isinstance(e, SpecError) and e.line > 0 and e.path.endswith(".gdsl"), e
        assert "native backend cannot compile" in e.format()
        return
    opts = {k: v for k, v in opts.items() if k in ("max_states", "max_depth", "check_deadlock")}
    if not opts.get("max_states"):
        # a bounded prefix for the large ones (both sides then stop at the same state,
        # and neither judges liveness); the bug models with lassos are smaller than this
        opts["max_states"] = 100_000
    assert outcome(native.run(workers=2, **opts)) == outcome(search(model, **opts)[0])





# (without its invariant Count: a set of maps as a value is not compiled natively)
FUNCTION_SETS = (_FUNCTION_SETS.replace("invariant Count = size({m for m in map[P, 1..3] if m[a] == m[b]}) == 3\n", "")
                 + "invariant NoThree = n == 0 or f[b] != 3 or g != {:}\n")


@pytest.mark.parametrize("text", [FUNCTION_SETS, FUNCTION_SETS.replace("invariant NoThree", "refuted invariant NoThree")])
def test_sets_of_functions_agree_with_their_choices_in_the_trace(tmp_path, text):
    # issue 26: `choose m in map[K, V]` (and pmap) compiled natively, choices labelled by
    # the map's index among all maps; the violation's last step names the same maps
    path = tmp_path / "FunSets.gdsl"
    path.write_text(text)
    n, p, native, python = both(model_of(path), check_deadlock=False)
    assert n == p
    if python.trace:
        assert native.trace[-1].params == python.trace[-1].params == (("m", (1, 3)), ("h", (None, None)))


def test_sync_termination_detection_agrees():
    n, p, _native, _python = both(model_of(ROOT / "spec" / "examples" / "synctermination.gdsl"), check_deadlock=False)
    assert n == p and n[3:6] == (129, 3722, 1)
