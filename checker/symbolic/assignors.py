"""`modelcheck SPEC --prove-assignors F,G`: z3 proves that each spec function
F(subs: pmap[K, V], n: int): pmap[K, set[P]] hands out partitions 0..n-1 to the members
(the keys of subs) disjointly, completely and in a balanced way (member counts differ
by at most one), for every number of members 1..|K| and partitions 1..|P|. An assignor
may also take the members in an order, F(subs, order: seq[K, N], n) (Kafka sorts
members by their random ids): the proof is then for every order of every member set.

The function is the spec's own, translated as --bmc translates it (one spec, two
engines), and applied to a symbolic `subs`: any set of member ids with any
subscriptions. One z3 query per (members, partitions) pair, inside push/pop on one
solver, asks for a counterexample; unsat is a proof for every choice of that many
members. A sat answer is checked on the compiled function before it is reported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import itertools
import json
import time

import z3

from checker.lang import ast as A
from checker.lang.errors import SpecError, UsageError
from checker.lang.types import IntT, MapT, SeqT, SetT, domain
from checker.lang.values import show

from .encode import EncodingError, concrete, conj, count, disj, eq, lift, neg, set_size
from .translate import Translator, Unit

PROPERTIES = ("disjoint", "complete", "balanced")


@dataclass
class Counterexample:
    members: int
    partitions: int
    subs: tuple               # runtime value of the pmap
    out: tuple                # what the function returns for it
    broken: list              # which of PROPERTIES fail (or "fails": an evaluation error)
    order: tuple | None = None  # the member order, for an assignor that takes one


@dataclass
class Outcome:
    name: str
    members: int              # the grid was 1..members x 1..partitions
    partitions: int
    queries: int = 0
    elapsed: float = 0.0
    encode: float = 0.0
    counterexample: Counterexample | None = None
    unknown: str = ""         # why z3 stopped (a timeout), when it did
    times: list = field(default_factory=list)


def signature(checked, name):
    """(key type, value type, partition type) of an assignor, or a located error."""
    info = checked.defs.get(name)
    if info is None:
        raise UsageError(f"--prove-assignors: {checked.spec.path} has no function {name!r}")
    ps, r = [t for _, t in info.params], info.result
    if len(ps) == 3 and isinstance(ps[1], SeqT) and isinstance(ps[0], MapT) and ps[1].elem == ps[0].key:
        ps = [ps[0], ps[2]]                      # the member order: any order of subs's keys
    ok = (len(ps) == 2 and isinstance(ps[0], MapT) and not ps[0].total and isinstance(ps[1], IntT)
          and isinstance(r, MapT) and not r.total and r.key == ps[0].key and isinstance(r.value, SetT)
          and isinstance(r.value.elem, IntT) and r.value.elem.finite and r.value.elem.lo == 0)
    if not ok or info.reads:
        raise SpecError(f"--prove-assignors: {name} is not an assignor: it must take "
                        f"(pmap[K, V], int) or (pmap[K, V], seq[K, N], int), return pmap[K, set[0..N]] "
                        f"and read no state variable",
                        info.decl.pos)
    return ps[0].key, ps[0].value, r.value.elem


def encode(checked, name, parts):
    """(subs, n, out, failure, the solver's facts, the member order or None) for a
    symbolic call of `name`, n in 0..parts (its bounds let loops over ranges built from
    it unroll)."""
    info = checked.defs[name]
    tr = Translator(checked)
    facts = []
    subs = tr.fresh.value(info.params[0][1], "subs", facts)
    n = tr.fresh.value(IntT(0, parts), "n", facts)
    env = {"$subs": subs, "$n": n}
    args = [A.Name("$subs", kind="local"), A.Name("$n", kind="local")]
    order = None
    if len(info.params) == 3:
        order = env["$order"] = _any_order(tr, subs, info.params[1][1], facts)
        args.insert(1, A.Name("$order", kind="local"))
    for a, (_, t) in zip(args, info.params):
        a.ty = t
    call = A.Call(name, args, [], kind="def", ref=info, pos=info.decl.pos)
    call.ty = info.result
    tr.unit = Unit()
    try:
        out = tr.expr(call, env)
    except EncodingError as e:
        raise SpecError(f"--prove-assignors cannot encode {name}: {e}", info.decl.pos) from None
    return subs, n, out, disj([c for c, _ in tr.unit.errors]), conj(facts + tr.unit.facts), order


def _any_order(tr, subs, seq_t, facts):
    """A symbolic sequence listing the keys present in subs, each once, in any order."""
    order = tr.fresh.value(seq_t, "order", facts)
    keys = [lift(k, subs.key_type) for k in subs.keys]
    facts.append(order.length == count([v.present for v in subs.values]))
    for i, x in enumerate(order.items):
        facts.append(z3.Implies(order.length > i,
                                disj([conj([v.present, eq(x, k)]) for k, v in zip(keys, subs.values)])))
        facts += [z3.Implies(order.length > j, neg(eq(x, y))) for j, y in enumerate(order.items) if j > i]
    return order


def violations(subs, n, out, parts):
    """{property: Bool that holds when the assignment breaks it}."""
    present = [v.present for v in subs.values]
    got = [(p, o) for p, o in zip(present, out.values)]
    has = lambda o, q: o.value.bits.get(q, z3.BoolVal(False)) if o.value is not None else z3.BoolVal(False)
    overlap = []
    for i, (p, o) in enumerate(got):
        for q2, o2 in got[i + 1:]:
            overlap += [conj([p, q2, o.present, o2.present, has(o, q), has(o2, q)]) for q in parts]
    holders = {q: [conj([p, o.present, has(o, q)]) for p, o in got] for q in parts}
    complete = [conj([n > q, neg(disj(holders[q]))]) for q in parts]              # unassigned
    complete += [conj([n <= q, disj(holders[q])]) for q in parts]                 # not a partition
    complete += [neg(z3.Implies(p, o.present)) for p, o in got]                   # a member without an entry
    complete += [conj([neg(p), o.present]) for p, o in got]                       # an entry for no member
    sizes = [(p, set_size(o.value) if o.value is not None else z3.IntVal(0)) for p, o in got]
    balanced = [conj([p, q2, a - b > 1]) for p, a in sizes for q2, b in sizes]
    return {"disjoint": disj(overlap), "complete": disj(complete), "balanced": disj(balanced)}


def prove_assignor(model, name, timeout=None) -> Outcome:
    """One solver, one query per (members, partitions) pair, smallest first."""
    checked = model.checked
    key_t, _, part_t = signature(checked, name)
    start = time.perf_counter()
    parts = list(domain(part_t))
    subs, n, out, fails, facts, order = encode(checked, name, len(parts))
    bad = violations(subs, n, out, parts)
    res = Outcome(name, len(domain(key_t)), len(parts), encode=time.perf_counter() - start)
    solver = z3.Solver()
    if timeout:
        solver.set("timeout", int(timeout * 1000))
    solver.add(facts)
    solver.add(disj([fails] + list(bad.values())))
    size = count([v.present for v in subs.values])
    for m, k in itertools.product(range(1, res.members + 1), range(1, res.partitions + 1)):
        t = time.perf_counter()
        solver.push()
        solver.add(size == m, n == k)
        r = solver.check()
        res.queries += 1
        res.times.append(time.perf_counter() - t)
        if r == z3.unknown:
            res.unknown = (f"z3 could not decide {_n(m, 'member')} and {_n(k, 'partition')}: "
                           f"{solver.reason_unknown()}")
        elif r == z3.sat:
            res.counterexample = _counterexample(model, name, solver.model(), subs, order, out, bad, fails, m, k)
        solver.pop()
        if r != z3.unsat:
            break
    res.elapsed = time.perf_counter() - start
    return res


def _counterexample(model, name, mdl, subs, order, out, bad, fails, m, k) -> Counterexample:
    """The model as runtime values, confirmed on the compiled function."""
    info = model.checked.defs[name]
    ev = lambda x: mdl.eval(x, model_completion=True)
    broken = [p for p in PROPERTIES if z3.is_true(ev(bad[p]))]
    c = Counterexample(m, k, concrete(subs, info.params[0][1], ev), concrete(out, info.result, ev), broken)
    if order is not None:
        c.order = concrete(order, info.params[1][1], ev)
    args = (c.subs, k) if order is None else (c.subs, c.order, k)
    if z3.is_true(ev(fails)):
        c.broken.append("evaluable (it fails)")
    elif model.namespace[f"d_{name}"](*args) != c.out:
        raise AssertionError(f"z3's {name} differs from the compiled one on {c.subs}")
    return c


def run_assignors(model, args, out=print) -> int:
    """The command line's --prove-assignors: 0 every function proved, 12 a counterexample."""
    checked = model.checked
    names = [x.strip() for x in args.prove_assignors.split(",") if x.strip()]
    if not names:
        raise UsageError("--prove-assignors takes the names of functions, e.g. rangeAssign,roundRobinAssign")
    try:
        outcomes = [prove_assignor(model, n, timeout=args.timeout) for n in names]
    except SpecError as e:
        raise e.located(checked.spec.path, checked.spec.source)
    code = 12 if any(o.counterexample for o in outcomes) else 3 if any(o.unknown for o in outcomes) else 0
    if args.json:
        out(json.dumps({"engine": "prove-assignors", "verdict": {0: "ok", 3: "incomplete", 12: "violation"}[code],
                        "exit_code": code, "assignors": [_json(o) for o in outcomes]}))
        return code
    for o in outcomes:
        out(describe(checked, o))
    return code


def describe(checked, o: Outcome) -> str:
    grid = f"1..{o.members} members x 1..{o.partitions} partitions"
    if o.unknown:
        return f"Undetermined: {o.name} after {o.queries} queries of {grid}: {o.unknown}."
    if o.counterexample is None:
        return (f"Proved: {o.name} gives a disjoint, complete and balanced assignment for every "
                f"{grid} ({o.queries} z3 queries, {o.elapsed:.2f}s).")
    c = o.counterexample
    info = checked.defs[o.name]
    if c.order is None:
        order, call = "", f"{o.name}(subs, {c.partitions})"
    else:
        order, call = f"  order = {show(c.order, info.params[1][1])}\n", f"{o.name}(subs, order, {c.partitions})"
    return (f"Counterexample: {o.name} with {_n(c.members, 'member')} and {_n(c.partitions, 'partition')} is not "
            f"{' and '.join(c.broken)}:\n  subs = {show(c.subs, info.params[0][1])}\n{order}"
            f"  {call} = {show(c.out, info.result)}")


def _json(o: Outcome) -> dict:
    c = o.counterexample
    return {"function": o.name, "members": o.members, "partitions": o.partitions,
            "proved": c is None and not o.unknown, "unknown": o.unknown or None, "queries": o.queries, "elapsed_s": round(o.elapsed, 4),
            "encode_s": round(o.encode, 4),
            "counterexample": None if c is None else {"members": c.members, "partitions": c.partitions,
                                                      "broken": c.broken}}


def _n(k, what):
    return f"{k} {what}" + ("" if k == 1 else "s")
