"""`--prove --infer` (checker/symbolic/candidates, observe, houdini, infer): the lemmas
it finds hold in the explicit engine, make the properties inductive, and a broken spec
is not proved."""
from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from checker.cli.main import main
from checker.cli.symbolic import system_for
from checker.compile.model import compile_model, load_spec
from checker.compile.modelfile import compile_model_file, load_model_file
from checker.engine.search import bfs
from checker.lang import parser, typecheck
from checker.symbolic.candidates import atoms_of, candidates, from_cube, implications
from checker.symbolic.generalise import cubes
from checker.symbolic.houdini import initially
from checker.symbolic.induction import prove
from checker.symbolic.infer import LEMMA, infer
from checker.symbolic.observe import Observations, observe, refuted

ROOT = Path(__file__).resolve().parents[2]
GRANTS = ROOT / "tests" / "symbolic" / "specs" / "grants.gdsl"


def _holds(source: str, path: str, names: list, consts: dict) -> str:
    """The explicit engine's verdict on the properties `names` of `source`."""
    checked = typecheck.check(parser.parse(source, path), consts)
    model = compile_model(checked, invariants=names)
    return bfs(model, check_deadlock=False).verdict


def _consts(model):
    return {n: model.constant_text(n) for n in model.checked.consts}


# ------------------------------------------------------------------ the pipeline on a small spec

def test_atoms_relate_a_message_to_the_server():
    atoms = atoms_of(load_spec(str(GRANTS)))
    texts = [a.text for a in atoms.consumer]
    assert "inFlight[{c}] == some(gen)" in texts
    assert "clientGen[{c}] <= gen" in texts


def test_the_specs_own_predicates_and_offsets_are_atoms():
    # the group spec's defs are what its invariants are made of: a Boolean def of one
    # consumer (or member) is an atom, its other parameters filled with terms of their
    # declared type; a set-valued def of one consumer is a term; pmaps of integers get
    # "every value at an end of its range" and a pointwise order
    atoms = atoms_of(load_spec(str(ROOT / "spec" / "group.gdsl"), {"CONSUMERS": "2"}))
    consumer = [a.text for a in atoms.consumer]
    member = [a.text for a in atoms.member]
    pair = [a.text for a in atoms.pair]
    assert "syncAnswer({c})" in consumer
    assert "memberOf({c}, memberId[{c}])" in consumer
    assert "leads({c}, epoch, generation)" in consumer
    assert "allJoined()" in consumer and "LeaderIsMember()" in consumer
    assert "live({m})" in member and "syncAnswer({m}.consumer)" in member
    assert "size(claimed({c1}) intersect claimed({c2})) == 0" in pair
    assert "(forall q in keys(position[{c}]): position[{c}][q] == 1)" in consumer
    assert ("(forall q in keys(position[{c}]): has(committed, q) => position[{c}][q] >= committed[q])"
            in consumer)
    # a def that is not total (heartbeatError reads get(coordinator[c])) is no term
    assert not any("heartbeatError" in t for t in consumer)


def test_a_consumers_member_id_reaches_the_coordinators_record():
    # what relates a consumer to the coordinator's record of it (the lemmas
    # DisjointAssignment needs): the member key its id names, whether the coordinator
    # holds it and what it stores for it; the coordinator's own variables against each
    # other; "no element under two keys" of a pmap of sets; a member's stored value
    atoms = atoms_of(load_spec(str(ROOT / "spec" / "group.gdsl"), {"CONSUMERS": "2"}))
    consumer = {a.text: a for a in atoms.consumer}
    member = {a.text: a for a in atoms.member[:atoms.own]}
    mine = "MemberId(consumer: {c}, inc: get(memberId[{c}]))"
    assert f"(is_some(memberId[{{c}}]) and {mine} in pending)" in consumer
    assert (f"(is_some(memberId[{{c}}]) and has(persisted.members, {mine}) and persisted.members[{mine}] "
            "== claimed({c}))") in consumer
    assert "generation <= persisted.gen" in consumer
    assert ("(forall k1, k2 in keys(persisted.members): k1 == k2 or size(persisted.members[k1] intersect "
            "persisted.members[k2]) == 0)") in consumer
    assert "not alive[{c}]" in consumer and "is_none(memberId[{c}])" in consumer
    assert "(has(persisted.members, {m}) and members[{m}].assignment == persisted.members[{m}])" in member
    # roles: an id naming the member pairs with any guard; an equality with the
    # coordinator's term pairs with a guard for a relation; an epoch names no member
    assert member["memberId[{m}.consumer] == some({m}.inc)"].role == "anchor"
    assert consumer["clientGen[{c}] == persisted.gen"].role == "link"
    assert not any(t.startswith("isLeader[{m}.consumer] == some") for t in member)


def test_two_guards_pair_by_role():
    # columns: 0 g, 3 x (guards), 1 a (a guard and anchor), 2 l (a link), 4 r (a relation), 5 y
    rows = np.array([[1, 1, 1, 1, 1, 1],
                     [1, 0, 0, 0, 0, 0],
                     [0, 1, 1, 0, 0, 0],
                     [1, 1, 0, 1, 0, 1],
                     [1, 0, 1, 0, 1, 0],
                     [0, 0, 0, 1, 0, 0]], dtype=bool)
    found = {(ante, j, pos) for ante, j, pos, _ in
             implications(rows, [0, 1, 3], [0, 1, 2, 3, 4, 5], {4}, anchors=[1], links=[2])}
    assert ((0, 1), 5, True) in found            # g and a => y: an anchor pairs for any atom
    assert ((0, 2), 4, True) in found            # g and l => r: a link pairs for a relation
    assert not any(ante == (0, 2) and j == 5 for ante, j, _ in found)    # ... not for y
    both = rows[:, 0] & rows[:, 3]
    assert rows[both, 5].all() and ((0, 3), 5, True) not in found     # two guards: relations only


def test_random_walks_sample_a_configuration_too_large_to_explore():
    checked = load_spec(str(GRANTS))
    atoms = atoms_of(checked)
    obs = observe(checked.spec.source, str(GRANTS), atoms, [{"CLIENTS": "3", "walks": "20x10"}])
    assert 20 * 4 < obs.states <= 20 * 11              # a walk ends early only at a deadlock
    assert obs.configs[0][0]["walks"] == "20x10"       # the report says how it was sampled
    full = observe(checked.spec.source, str(GRANTS), atoms, [{"CLIENTS": "3"}], Observations())
    assert obs.consumer <= full.consumer               # a walk sees reachable rows only


def test_candidates_are_those_true_on_every_reachable_row():
    checked = load_spec(str(GRANTS))
    atoms = atoms_of(checked)
    obs = observe(checked.spec.source, str(GRANTS), atoms, [{"CLIENTS": "2"}])
    assert obs.states == 44
    cands = candidates(atoms, obs)
    assert cands and not refuted(cands, obs, atoms)
    texts = [c.text for c in cands]
    # true in every state: kept; false in a reachable state (gen == 0 after a Grant): not made
    assert "forall c in Client: (is_some(inFlight[c]) => inFlight[c] == some(gen))" in texts
    assert not any("== -1" in t and "=>" not in t for t in texts)


def test_prove_alone_fails_and_infer_proves(capsys):
    assert main([str(GRANTS), "--prove"]) == 3
    assert "Not inductive: NotAhead" in capsys.readouterr().out
    assert main([str(GRANTS), "--prove", "--infer"]) == 0
    out = capsys.readouterr().out
    assert "Proved: NotAhead" in out and "Proved: GenGrows" in out
    lemmas = re.findall(r"lemma (\w+) =\n  (.*)", out)
    assert lemmas and any("inFlight[c] == some(gen)" in t for _, t in lemmas)
    # what it printed pastes into the spec: then plain --prove proves, and the explicit
    # engine finds every printed lemma true (CLIENTS=3: not the sample it came from)
    source = GRANTS.read_text() + "\n" + "\n".join(f"lemma {n} = {t}" for n, t in lemmas) + "\n"
    assert _holds(source, str(GRANTS), [n for n, _ in lemmas], {"CLIENTS": "3"}) == "ok"
    checked = typecheck.check(parser.parse(source, str(GRANTS)), {})
    model = compile_model(checked)
    assert prove(system_for(model, with_lemmas=True), model).verdict == "proved"


def test_false_initially_is_dropped_first():
    source = GRANTS.read_text() + "\nlemma Wrong = gen == 1\nlemma Right = gen >= 0\n"
    checked = typecheck.check(parser.parse(source, str(GRANTS)), {})
    model = compile_model(checked)
    sys_ = system_for(model, with_lemmas=True)
    alive, false = initially(sys_, [p for p in sys_.properties if p.kind == "invariant"])
    assert [p.name for p in false] == ["Wrong"]
    assert "Right" in [p.name for p in alive]


def test_a_candidate_refuted_by_a_reachable_state():
    checked = load_spec(str(GRANTS))
    atoms = atoms_of(checked)
    obs = observe(checked.spec.source, str(GRANTS), atoms, [{"CLIENTS": "2", "max_states": 1}])
    narrow = candidates(atoms, obs)           # from the initial state only: many false later
    wide = observe(checked.spec.source, str(GRANTS), atoms, [{"CLIENTS": "2"}], Observations())
    assert refuted(narrow, wide, atoms)


def test_infer_reports_phases_and_counts():
    model = compile_model(load_spec(str(GRANTS)))
    rep = infer(model, _consts(model), [{**_consts(model), "CLIENTS": "2"}])
    assert rep.candidates >= rep.kept - len(model.selection.invariants) - len(model.selection.lemmas)
    # candidates are encoded for z3 only when a counterexample calls for them
    # (and the clauses generalised from counterexamples, when they are given to Houdini)
    assert 0 < rep.encoded < rep.candidates
    assert rep.candidates <= rep.encoded + rep.unused <= rep.candidates + rep.generalised
    assert set(rep.times) == {"explore", "candidates", "initial", "houdini", "properties", "lemmas"}
    assert rep.proved == ["NotAhead", "GenGrows"] and not rep.not_proved
    assert all(n.startswith(LEMMA) for n, _ in rep.lemmas)


def test_infer_options_are_checked(capsys):
    assert main([str(GRANTS), "--infer"]) == 2
    assert "--infer finds lemmas for --prove" in capsys.readouterr().err
    assert main([str(GRANTS), "--prove", "--infer", "--infer-from", "NOPE=2"]) == 2
    assert "--infer-from NOPE=2" in capsys.readouterr().err
    with pytest.raises(SystemExit) as bad:
        main([str(GRANTS), "--prove", "--infer", "--infer-generalise", "-1"])
    assert bad.value.code == 2
    assert "--infer-generalise takes a whole number of 0 or more, not -1" in capsys.readouterr().err
    assert main([str(GRANTS), "--prove", "--infer-generalise", "3"]) == 2
    assert "go with --infer" in capsys.readouterr().err
    assert main([str(GRANTS), "--prove", "--infer", "--infer-from", "walks=20"]) == 2
    assert "walks takes RUNSxSTEPS" in capsys.readouterr().err
    assert main([str(GRANTS), "--prove", "--infer-write"]) == 2
    assert "go with --infer" in capsys.readouterr().err


# ------------------------------------------------------------------ the group spec

@pytest.mark.slow
def test_a_broken_spec_is_not_proved_and_its_trace_is_found():
    """KAFKA-2555 (FIX_KAFKA_2555 off): with the spec's lemmas (an inferred block
    included, when there is one) the proof of CommitFencing fails, and the explicit
    engine still finds the bug's trace."""
    mf = load_model_file(str(ROOT / "models" / "bugs" / "KAFKA-2555.toml"))
    model, _ = compile_model_file(mf, {}, [], [])
    proof = prove(system_for(model, with_lemmas=True), model)
    assert proof.verdict != "proved"
    found = bfs(model, check_deadlock=False)
    assert found.verdict == "violation" and found.property == "CommitFencing"


def _inferred(checked) -> list:
    return [p.name for p in checked.properties if p.kind == "invariant" and p.name.startswith(LEMMA)]


def _lemmas(checked) -> list:
    return [p.name for p in checked.properties if p.kind == "invariant" and p.lemma]


@pytest.mark.slow
@pytest.mark.parametrize("consumers", ["2", "3"])
def test_the_group_specs_lemmas_hold_in_the_explicit_engine(consumers):
    """Soundness of spec/group.gdsl's lemmas, the block --infer-write put there and the
    hand-written ones: every lemma holds in every reachable state of the configurations
    proved (the default configuration, and CONSUMERS=2), as the explicit engine (native
    backend) finds."""
    checked = load_spec(str(ROOT / "spec" / "group.gdsl"), {"CONSUMERS": consumers})
    names = _lemmas(checked)
    assert _inferred(checked) and set(_inferred(checked)) < set(names), "spec/group.gdsl has no inferred lemmas"
    assert {"HeldAsRecorded", "RecordDisjoint", "ParkedSyncInGeneration"} <= set(names)
    argv = [str(ROOT / "spec" / "group.gdsl"), "--const", f"CONSUMERS={consumers}", "--quiet"]
    argv += [x for n in names for x in ("--invariant", n)]
    if consumers == "3":                  # 15.9 million states: the native backend (a C compiler)
        argv += ["--backend", "native"]
    assert main(argv) == 0


TARGETS = ["DisjointAssignment", "OneLeaderPerCoordinatorGeneration", "MonotonicCommits", "CommitFencing"]


def _proved_targets(source: str, path) -> set:
    """Issue 27's four targets that plain --prove proves on `source` (CONSUMERS=2)."""
    checked = typecheck.check(parser.parse(source, str(path)), {"CONSUMERS": "2"})
    model = compile_model(checked, invariants=TARGETS)
    return set(prove(system_for(model, with_lemmas=True), model).proved) & set(TARGETS)


@pytest.mark.slow
def test_the_group_spec_proves_the_four_targets_and_each_lemma_block_is_needed():
    """Plain --prove of spec/group.gdsl (CONSUMERS=2, the four targets of issue 27): with
    every lemma all four are proved; without the inferred block neither
    OneLeaderPerCoordinatorGeneration nor CommitFencing is; without the hand-written
    lemmas of DisjointAssignment's proof DisjointAssignment is not, the others are."""
    path = ROOT / "spec" / "group.gdsl"
    source = path.read_text()
    no_inferred = source[:source.index("// ---- BEGIN inferred lemmas")]
    start = source.index("// ---- Why DisjointAssignment holds")
    no_disjoint = source[:start] + source[source.index("// Nothing a consumer holds comes from", start):]
    assert _proved_targets(source, path) == set(TARGETS)
    assert not {"OneLeaderPerCoordinatorGeneration", "CommitFencing"} & _proved_targets(no_inferred, path)
    assert _proved_targets(no_disjoint, path) == set(TARGETS) - {"DisjointAssignment"}


def test_a_property_not_proved_gets_a_readable_cti(tmp_path, capsys):
    """A false invariant: not proved, and its CTI groups the first state by the
    server's variables and each client's entries, names the step and the conjunct."""
    spec = tmp_path / "grants.gdsl"
    spec.write_text(GRANTS.read_text() + "\ninvariant BelowMax =\n  gen >= 0 and gen < MAX\n")
    assert main([str(spec), "--prove", "--infer"]) == 3
    out = capsys.readouterr().out
    assert "Not proved: BelowMax. Counterexample to induction" in out
    assert "  global (the coordinator, the world):\n    gen = " in out
    assert "  Client1:\n    clientGen = " in out and "    inFlight = " in out
    assert "State 2: Grant(c=" in out and "  gen = 3 (was 2)" in out
    line = spec.read_text().count("\n", 0, spec.read_text().index("gen >= 0 and")) + 1
    assert f"... and BelowMax is false: line {line}." in out
    assert "Proved: NotAhead" in out


def test_the_timeout_stops_houdini_and_says_so(capsys, monkeypatch):
    """--timeout bounds the whole inference: past it, nothing is claimed (exit 3)."""
    import checker.symbolic.infer as inf
    real = inf.grow
    monkeypatch.setattr(inf, "grow", lambda *a, **k: real(*a, **{**k, "deadline": 0.0}))
    assert main([str(GRANTS), "--prove", "--infer", "--timeout", "60"]) == 3
    out = capsys.readouterr().out
    assert "Undetermined: the timeout stopped Houdini after 0 rounds" in out
    assert "Proved:" not in out


def test_infer_write_puts_one_block_in_the_spec_and_regenerates_it(tmp_path, capsys):
    spec = tmp_path / "grants.gdsl"
    spec.write_text(GRANTS.read_text())
    assert main([str(spec), "--prove", "--infer", "--infer-write"]) == 0
    assert main([str(spec), "--prove"]) == 0          # the block alone makes the proof
    assert main([str(spec), "--prove", "--infer", "--infer-write"]) == 0
    text = spec.read_text()
    assert text.count("// ---- BEGIN inferred lemmas") == 1 and text.count("// ---- END inferred lemmas") == 1
    assert "lemma Inferred1 =" in text
    assert main([str(spec), "--prove"]) == 0
    capsys.readouterr()


# ------------------------------------------------------------------ generalising a CTI's first state

TOKENS = ROOT / "tests" / "symbolic" / "specs" / "tokens.gdsl"


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8), st.integers(0, 40), st.integers(0, 2 ** 32 - 1))
def test_every_cube_excludes_every_sample_and_not_the_row(width, n, seed):
    rng = np.random.default_rng(seed)
    samples = rng.random((n, width)) < 0.5
    row = rng.random(width) < 0.5
    found = cubes(row, samples, max_literals=width)
    if any((s == row).all() for s in samples):
        assert found == []                       # a sampled row: nothing excludes it
    else:
        assert found                             # the whole row is a cube: some smaller one is found
    for cube in found:
        assert all(row[j] == v for j, v in cube)                              # the row satisfies it
        assert not any(all(s[j] == v for j, v in cube) for s in samples)      # no sample does
        assert len(cube) <= width


def test_a_cti_is_blocked_by_a_generalised_clause_no_template_writes(capsys):
    assert main([str(TOKENS), "--prove", "--infer", "--infer-generalise", "0"]) == 3
    assert main([str(TOKENS), "--prove", "--infer"]) == 0        # generalising is on by default
    assert "forall c in Client: (a[c] and b[c] => z[c])" in capsys.readouterr().out
    model = compile_model(load_spec(str(TOKENS)))
    consts = _consts(model)
    plain = infer(model, consts, [consts], generalise=0)
    assert plain.not_proved and plain.generalised == 0     # templates: nothing excludes the CTI
    rep = infer(model, consts, [consts], generalise=5)
    assert rep.proved == ["NeverBad"] and rep.generalised > 0
    assert ("Inferred1", "forall c in Client: (a[c] and b[c] => z[c])") in rep.lemmas
    # the clause holds on the samples it was made from, and in the explicit engine
    atoms = atoms_of(model.checked)
    obs = observe(model.checked.spec.source, str(TOKENS), atoms, [consts])
    clause = from_cube(atoms, "consumer", tuple(sorted(
        (next(i for i, a in enumerate(atoms.consumer) if a.text == t), v)
        for t, v in (("a[{c}]", True), ("b[{c}]", True), ("z[{c}]", False)))))
    assert clause.text == "forall c in Client: (a[c] and b[c] => z[c])"
    assert not refuted([clause], obs, atoms)
    source = TOKENS.read_text() + "".join(f"\nlemma {n} = {t}\n" for n, t in rep.lemmas)
    assert _holds(source, str(TOKENS), [n for n, _ in rep.lemmas], {"CLIENTS": "3"}) == "ok"


@pytest.mark.slow
def test_generalised_clauses_replace_two_hand_written_lemmas_of_disjoint_assignment(tmp_path):
    """The group spec less OneExchangeAtATime and JoinRequestOfItsSender (a disjunction,
    which no template writes): --infer with generalised clauses, helpers to depth 4 and
    a settled set, proves DisjointAssignment and the 13 other lemmas of its proof again,
    and what it used holds in every reachable state of the default configuration
    (native backend). About 8 minutes (600,606 sampled states, ~160 rounds)."""
    text = (ROOT / "spec" / "group.gdsl").read_text()
    for name in ("OneExchangeAtATime", "JoinRequestOfItsSender"):
        start = text.index(f"\nlemma {name} =")
        text = text[:start] + text[text.index("\n\n", start):]
    path = tmp_path / "group.gdsl"
    path.write_text(text)
    model = compile_model(load_spec(str(path), {"CONSUMERS": "2"}), invariants=["DisjointAssignment"])
    consts = _consts(model)
    samples = [consts, {**consts, "FAULTS": "2", "max_states": 300000}, {**consts, "CONSUMERS": "3", "max_states": 200000}]
    rep = infer(model, consts, samples, depth=4, blockers=8, generalise=5, cap=300, settle=100)
    assert rep.generalised > 0
    assert "DisjointAssignment" in rep.proved and {"HeldAsRecorded", "ParkedJoinAwaited"} <= set(rep.proved)
    found = "".join(f"\nlemma Found{k} = {t}\n" for k, (_, t) in enumerate(rep.lemmas))
    path.write_text(text + found)
    argv = [str(path), "--quiet", "--backend", "native"]
    argv += [x for k in range(len(rep.lemmas)) for x in ("--invariant", f"Found{k}")]
    assert main(argv) == 0
