"""`--prove --infer`: lemmas found from the spec's reachable states, proved with z3.

The problem: `--prove` proves what the spec's lemmas make inductive, and the lemmas a
protocol needs (a consumer's generation against the coordinator's, a state against
the messages in flight) take a specialist CTI after CTI to write.

The pipeline, one phase a module: atoms and templates from the variable types
(candidates.py); candidates kept if they hold in every reachable state of small
configurations explored by the explicit engine (observe.py); for each counterexample
to induction that calls for candidates, clauses generalised from its first state
against the samples (generalise.py: shapes no template writes); candidates false in an
initial state dropped, then Houdini to a fixpoint (houdini.py); the action properties
asked on every step from the fixpoint; the lemmas that did it cut down to those the
proof uses (unsat cores, closed under what those need), printable as `lemma`
declarations. The invariant: everything reported proved is inductive together with
the lemmas printed, and holds initially, so it holds in every reachable state of the
configuration proved, whatever the sample configurations were.

The cost (group spec, default configuration): about 90,000 candidates from
CONSUMERS=2 (100,606 states), made in 6 s; only those a counterexample calls for (about
1,000) are type-checked and encoded for z3, batch by batch; the phase times are in the
report (bench/infer.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
import re
import time

import numpy as np

from checker.lang import modules, typecheck
from checker.lang.errors import SpecError

from .candidates import atoms_of, candidates, from_cube, reads
from .generalise import cubes, evidence
from .houdini import Step, Undecided, grow, initially
from .observe import Observations, Observer, observe, refuted, refuting
from .system import Property, System

LEMMA = "Inferred"     # the printed lemmas' names: Inferred1, Inferred2, ...
CANDIDATE = "Candidate"
BEGIN = "// ---- BEGIN inferred lemmas"
END = "// ---- END inferred lemmas"
BLOCKERS = 40          # candidates added for one counterexample, at most
DEPTH = 1              # how far helpers may call for helpers (houdini.grow; 2 did not converge in 25 min)
GENERALISE = 5         # clauses generalised from one counterexample's first state, at most (0: off)


@dataclass
class Report:
    proved: list = field(default_factory=list)        # names of the spec's properties proved
    not_proved: list = field(default_factory=list)    # Cti of each spec property not proved
    lemmas: list = field(default_factory=list)        # (name, gdsl text): what the proof uses
    candidates: int = 0
    encoded: int = 0                                  # of them, translated to z3 (called for)
    false_initially: int = 0
    dropped: int = 0                                  # by Houdini
    kept: int = 0
    rounds: int = 0
    states: int = 0
    configs: list = field(default_factory=list)
    samples: list = field(default_factory=list)       # each sample as what differs from the model's
    unused: int = 0                                   # candidates no counterexample called for
    generalised: int = 0                              # clauses made by generalising counterexamples
    times: dict = field(default_factory=dict)         # phase -> seconds
    reason: str = ""                                  # why nothing is decided (the timeout, z3 unknown)


def lemma_source(lemmas) -> str:
    """`lemma Name = text` declarations, one per line, to paste into the spec."""
    return "\n".join(f"lemma {n} =\n  {t}" for n, t in lemmas) + "\n"


def infer(model, consts: dict, samples: list, timeout: float | None = None, progress=None,
          forward: bool = True, depth: int = DEPTH, blockers: int = BLOCKERS,
          about: tuple = (), plain: bool = False, generalise: int = GENERALISE,
          cap: int | None = None, settle: int | None = None) -> Report:
    """Infer lemmas for `model` (compiled with `consts`) from the reachable states of
    the `samples` configurations (dicts of constants), and prove with them what the
    model checks. `depth`, `blockers`: houdini.grow's (how far candidates called for
    may call for helpers, how many one counterexample pulls in); `forward`: when a
    step breaks members and no candidate excludes its first state, also drop every
    candidate false in any successor of that state (the explicit engine's): each is
    what a Houdini query would drop, for the same reason, all in one round. `about`: keep only the
    candidates whose text names one of these words (MonotonicCommits: committed,
    position, offsets); `plain`: every candidate in the set from the start (Houdini
    proper, no counterexample-driven growth): with `about` a few hundred, this is how
    MonotonicCommits' lemmas were found. `generalise`: for each counterexample that calls
    for candidates, up to this many clauses made by generalising its first state's rows
    (generalise.py: the shapes templates cannot make) join the blockers; `cap`:
    houdini.grow's bound on the set's size; `settle`: grow's round after which only the
    spec's properties call for candidates."""
    rep = Report()
    start = time.perf_counter()
    say = progress or (lambda *_: None)
    spec = model.checked.spec
    t = time.perf_counter()
    atoms = atoms_of(model.checked)
    obs = observe(spec.source, spec.path, atoms, samples)
    rep.states, rep.configs = obs.states, obs.configs
    rep.samples = [", ".join(f"{k}={v}" for k, v in c.items() if consts.get(k) != v) or "the model's own"
                   for c, _, _ in obs.configs]
    rep.times["explore"] = time.perf_counter() - t
    say(f"explored {obs.states} states of {len(samples)} configuration(s) in {rep.times['explore']:.1f}s")

    t = time.perf_counter()
    cands = candidates(atoms, obs)
    if about:
        cands = [c for c in cands if set(re.findall(r"\w+", c.text)) & set(about)]
    rep.candidates = len(cands)
    texts = {f"{CANDIDATE}{i}": c.text for i, c in enumerate(cands)}
    checked = model.checked
    sel = model.selection
    # the spec's own block of inferred lemmas is what this run regenerates: not assumed
    spec_props = [p.name for p in sel.invariants if not p.name.startswith(LEMMA)] + \
        [p.name for p in sel.lemmas if p not in sel.invariants and not p.name.startswith(LEMMA)]
    infos = [checked.property(n) for n in spec_props]
    actions = [checked.property(p.name) for p in sel.action_properties]
    sys = System(checked, infos, actions)
    rep.times["candidates"] = time.perf_counter() - t
    say(f"{len(cands)} candidates made in {rep.times['candidates']:.1f}s (each encoded when a counterexample calls for it)")

    t = time.perf_counter()
    invs = [p for p in sys.properties if p.kind == "invariant"]
    try:
        alive, false = initially(sys, invs, timeout)
    except Undecided as e:
        rep.reason = str(e)
        return rep
    rep.false_initially = len(false)
    rep.times["initial"] = time.perf_counter() - t

    t = time.perf_counter()
    step = Step(sys, sys.properties, timeout)
    target = Observer(spec.source, spec.path, atoms, consts)
    by_name = {f"{CANDIDATE}{i}": c for i, c in enumerate(cands)}

    def refute(m, alive):
        """Candidates false in a successor of the counterexample's first state (which
        satisfies the set): what Houdini would drop, one z3 query each, at once."""
        obs = Observations()
        target.explore(obs, start=[step.u.concrete(m, 0)], max_depth=2)
        mine = [p for p in alive if p.name in by_name]
        return [mine[i] for i in refuted([by_name[p.name] for p in mine], obs, atoms)]

    names = {v.name for v in checked.vars}
    history = []          # the first state of every counterexample that called for candidates
    given = set()         # generalised clauses already given to grow (added or dropped)
    generated = set()     # names of the clauses generalisation made

    sampled = {scope: obs.matrix(scope, len(getattr(atoms, scope))) for scope in ("consumer", "member")}
    known = {c.text: n for n, c in by_name.items()}
    words_of = {scope: [set(re.findall(r"\w+", a.text)) for a in getattr(atoms, scope)]
                for scope in ("consumer", "member")}

    def generalised(cti: Observations, about: set, pool_names: set) -> list:
        """Clauses excluding the counterexample's rows (each scope element of its first
        state) that hold on every sampled row, most literals about the broken
        properties' variables first; registered as pool entries."""
        out = []
        for scope in ("consumer", "member"):
            width = len(getattr(atoms, scope))
            if not width:
                continue
            prefer = np.array([bool(w & about) for w in words_of[scope]])
            for row in cti.matrix(scope, width):
                # literals about the step's and the property's variables alone, if they can
                found = cubes(row, sampled[scope], allowed=prefer) if prefer.any() else []
                for cube in found or cubes(row, sampled[scope], prefer=prefer):
                    c = from_cube(atoms, scope, cube, evidence(cube, sampled[scope]))
                    name = known.get(c.text)
                    if name is not None and name not in pool_names and name not in generated:
                        continue              # a template candidate already tried
                    if name is None:
                        name = f"{CANDIDATE}{len(texts)}"
                        texts[name], by_name[name], known[c.text] = c.text, c, name
                        generated.add(name)
                        rep.generalised += 1
                    out.append(Pooled(name))
        seen = set()
        return [p for p in out if not (p.name in seen or seen.add(p.name))]

    guards = {a.name: reads(a.decl.guard, names) if a.decl.guard is not None else set() for a in checked.actions}

    def touched(m) -> set:
        """The variables the counterexample's step reads in its guard or changes."""
        s0, s1 = step.u.concrete(m, 0), step.u.concrete(m, 1)
        changed = {n for n, x, y in zip(sys.var_names, s0, s1) if x != y}
        return changed | guards.get(step.u.instance(m, 0).name, set())

    def blocking(m, pool, broken=()):
        """Candidates of the pool false in the counterexample's first state: first
        those about the variables the broken properties read (MonotonicCommits reads
        `committed`: the candidates about offsets), then those false in the most
        counterexamples met so far, then the simplest (fewest atoms, most supported by
        the samples, shortest: a general lemma excludes more)."""
        obs = Observations()
        target.rows([step.u.concrete(m, 0)], obs)
        history.append(obs)
        found = [pool[i] for i in refuted([by_name[p.name] for p in pool], obs, atoms)]
        about = set().union(*[reads(p.info.expr, names) for p in broken]) if broken else set()
        made = generalised(obs, about | touched(m), {p.name for p in pool}) if generalise else []
        if made:
            taken = {p.name for p in made} | given
            made = [p for p in made if p.name not in given]
            found = [p for p in found if p.name not in taken]
        words = {p.name: set(re.findall(r"\w+", by_name[p.name].text)) for p in found}
        excluded = dict(zip((p.name for p in found), refuting([by_name[p.name] for p in found], history, atoms)))
        found.sort(key=lambda p: (-len(about & words[p.name]), -excluded[p.name], len(by_name[p.name].ante),
                                  -by_name[p.name].support, len(by_name[p.name].text)))
        if made:
            hits = dict(zip((p.name for p in made), refuting([by_name[p.name] for p in made], history, atoms)))
            made.sort(key=lambda p: (-hits[p.name], -by_name[p.name].support, len(by_name[p.name].text)))
            made = made[:generalise]
            given.update(p.name for p in made)
            return made + found[:max(0, blockers - len(made))]
        return found[:blockers]

    def encode(entries):
        """The pool's entries as properties of the step, those false initially left out."""
        rep.encoded += len(entries)
        typed = _typed(spec, consts, {p.name: texts[p.name] for p in entries})
        props = [Property(p.name, "invariant", sys.prop(typed.property(p.name), False), typed.property(p.name))
                 for p in entries]
        ok, false = initially(sys, props, timeout)       # Undecided: grow's caller reports it
        rep.false_initially += len(false)
        step.add(ok)
        return ok

    mine = list(alive)
    pool = [Pooled(n) for n in texts]
    if plain:
        mine, pool = mine + encode(pool), []
    deadline = start + timeout if timeout else None
    try:
        fix = grow(step, mine, pool, blocking, refute=refute if forward else None, deadline=deadline, depth=depth,
                   encode=encode, generating=bool(generalise), cap=cap, settle=settle,
                   progress=(lambda r, n, d: say(f"round {r}: {d} dropped, {n} in the set" if d >= 0
                                                 else f"round {r}: {-d} added, {n} in the set")))
    except Undecided as e:
        rep.reason = str(e)
        rep.times["houdini"] = time.perf_counter() - t
        return rep
    rep.rounds, rep.kept, rep.dropped = fix.rounds, len(fix.kept), len(fix.dropped)
    rep.unused = fix.unused
    rep.times["houdini"] = time.perf_counter() - t

    t = time.perf_counter()
    kept = {p.name for p in fix.kept}
    for p in sys.properties:
        if p.name not in spec_props and p.kind == "invariant":
            continue
        if p.kind == "invariant" and p.name in kept:
            rep.proved.append(p.name)
            continue
        # a CTI as one reads it: from a state satisfying the set and the property itself
        m = step.breaking(fix.kept + ([p] if p.kind == "invariant" else []), [p])
        if m is None:
            rep.proved.append(p.name)
        else:
            rep.not_proved.append(step.cti(model, m, p, [q for q in fix.kept if q.name in spec_props]))
    rep.times["properties"] = time.perf_counter() - t

    t = time.perf_counter()
    used = support(step, fix.kept, [p for p in sys.properties if p.name in rep.proved])
    rep.lemmas = [(f"{LEMMA}{k + 1}", texts[n]) for k, n in enumerate(n for n in texts if n in used)]
    rep.times["lemmas"] = time.perf_counter() - t
    return rep


@dataclass(frozen=True)
class Pooled:
    """A candidate not encoded yet: its name in the report's `texts`."""
    name: str


def _typed(spec, consts: dict, lemmas: dict):
    """The spec type-checked with `lemmas` (name -> gdsl text) appended."""
    text = "".join(f"lemma {n} = {x}\n" for n, x in lemmas.items())
    try:
        return typecheck.check(modules.with_text(spec.source, spec.path, text), consts)
    except SpecError as e:
        raise SpecError(f"--infer made a candidate the type checker refuses: {e.message}", (0, 0),
                        spec.path, spec.source) from None


def support(step: Step, kept: list, goals: list) -> set:
    """The names of `kept` that the proof of `goals` uses, closed under what those need
    (unsat cores of the step queries, over the assumption literals)."""
    by_lit = {str(step.lits[p.name]): p for p in kept}
    need = {p.name for p in goals}
    todo = list(goals)
    while todo:
        m = step.breaking(kept, todo)
        if m is not None:
            raise AssertionError("a step breaks what Houdini kept")
        core = step.u.solver.unsat_core()
        todo = []
        for lit in core:
            p = by_lit.get(str(lit))
            if p is not None and p.name not in need:
                need.add(p.name)
                if p.kind == "invariant":
                    todo.append(p)
    return need


def write_block(path: str, lemmas: list, rep: Report) -> str:
    """Replace the spec's block of inferred lemmas (between the BEGIN and END comment
    lines; appended at the end of the file if it has none) with `lemmas`."""
    from pathlib import Path
    text = Path(path).read_text()
    proved = ", ".join(rep.proved)
    block = (f"{BEGIN} (modelcheck {path} --prove --infer --infer-write) ----\n"
             f"// Found by --infer: candidates from the variables' types, kept where they hold in\n"
             f"// every reachable state of {'; '.join(rep.samples)}, then Houdini with z3; these are the\n"
             f"// ones the proof uses. Together with the lemmas above they make inductive: {proved}.\n"
             f"// Regenerate them (do not edit by hand) when the spec changes.\n\n"
             + "\n".join(f"lemma {n} =\n  {t}\n" for n, t in lemmas) + f"{END} ----\n")
    if BEGIN in text and END in text:
        head = text[:text.index(BEGIN)]
        tail = text[text.index(END):]
        tail = tail[tail.index("\n") + 1:] if "\n" in tail else ""
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block
    Path(path).write_text(text)
    return path

