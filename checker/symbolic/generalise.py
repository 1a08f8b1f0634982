"""Lemmas from a counterexample to induction, by generalising its first state (the
IC3/PDR move, with the sampled reachable states as the oracle, as endive and DistAI do).

The problem: the templates (candidates.py) make implications of one or two guards
and one literal, but the lemmas a protocol's induction needs are often clauses of
three or four literals of any polarity ("a JoinGroup in flight carries the sender's
id, or the sender was reset and the id is nobody's"), which no template writes.

The move: a counterexample's first state s gives, for each consumer (or member) of
it, the row of the scope's atoms there. If no sampled reachable row equals it, some
cube of its literals (atom j true, atom k false, ...) is satisfied by no sampled row
while it is by s: its negation, a clause universally quantified over the consumers
(members), holds on every sample and excludes s. A cube is grown greedily (set cover:
each literal added is the one that rules out most of the sampled rows not yet ruled
out, counted at half for an atom not about the variables the counterexample's step
and broken property touch), up to
MAX_LITERALS; several cubes per row start from different first literals.

The invariant: every clause returned holds on every row of the sample matrix it was
made from and is false on the row it generalises; that is all (z3 decides whether it
is inductive: Houdini drops it otherwise).

The cost: one boolean matrix pass per literal tried, numpy; on the group spec (about
9,000 distinct consumer rows x 270 atoms, 60,000 member rows x 600 atoms) a few
milliseconds to a few tens of milliseconds per row.
"""
from __future__ import annotations

import numpy as np

MAX_LITERALS = 4       # a cube of more is too specific to be a lemma one would write
STARTS = 4             # cubes per row, each from a different first literal


def cubes(row: np.ndarray, samples: np.ndarray, allowed: np.ndarray | None = None,
          prefer: np.ndarray | None = None, max_literals: int = MAX_LITERALS, starts: int = STARTS) -> list:
    """Cubes of `row`'s literals (tuples of (atom index, value in row), sorted) that no
    row of `samples` satisfies: each excludes every sample and not `row`. `allowed`:
    the atoms a literal may be about (default all); `prefer`: the atoms whose literals
    count in full (the others' count half). Empty if no cube of at most
    `max_literals` literals does it (or row is itself a sample)."""
    width = len(row)
    allowed = np.ones(width, dtype=bool) if allowed is None else allowed
    weight = np.ones(width) if prefer is None else np.where(prefer, 1.0, 0.5)
    differ = samples != row[None, :]            # differ[i, j]: sample i disagrees with row on atom j
    if len(samples) and not differ.any(1).all():
        return []                               # row is a sampled (reachable-looking) row
    out = set(_small(row, differ, allowed))
    if out:                                     # the smallest cubes, all of them: IC3's aim
        return sorted(out, key=lambda c: (len(c), c))
    score = differ.sum(0) * weight
    score[~allowed] = -1
    firsts = [int(j) for j in np.argsort(-score, kind="stable")[:starts] if score[j] > 0]
    if len(samples) == 0:
        firsts = [int(j) for j in np.nonzero(allowed)[0][:starts]]
    for first in firsts:
        chosen = [first]
        alive = ~differ[:, first]               # samples the cube does not yet rule out
        while alive.any() and len(chosen) < max_literals:
            count = differ[alive].sum(0)
            gain = count * weight
            gain[~allowed | (count == 0)] = -1
            gain[chosen] = -1
            j = int(np.argmax(gain))
            if gain[j] <= 0:
                break
            chosen.append(j)
            alive &= ~differ[:, j]
        if alive.any():
            continue
        chosen = _minimal(chosen, differ)
        out.add(tuple(sorted((j, bool(row[j])) for j in chosen)))
    return sorted(out, key=lambda c: (len(c), c))


def _small(row: np.ndarray, differ: np.ndarray, allowed: np.ndarray, limit: int = 64) -> list:
    """Every cube of one or two of `row`'s literals that rules out every sample (at most
    `limit`): a pair (i, j) does iff each sample disagrees with the row on i or on j,
    checked on the samples packed 8 to a byte, only for pairs whose counts can add up."""
    n, width = differ.shape
    if n == 0:
        return []
    pad = (-n) % 8
    packed = np.packbits(np.vstack([differ, np.ones((pad, width), bool)]), axis=0)    # bytes x atoms
    full = (packed == 255).all(0) & allowed
    if full.any():
        return [((int(j), bool(row[j])),) for j in np.nonzero(full)[0][:limit]]
    count = differ.sum(0)
    count[~allowed] = 0
    order = [int(i) for i in np.argsort(-count, kind="stable") if 2 * count[i] >= n]
    out = []
    for i in order:
        js = np.nonzero((count >= n - count[i]) & ((np.arange(width) > i) | (2 * count < n)))[0]
        js = js[js != i]
        if len(js) == 0:
            continue
        ok = ((packed[:, [i]] | packed[:, js]) == 255).all(0)
        out += [tuple(sorted(((i, bool(row[i])), (int(j), bool(row[j]))))) for j in js[ok]]
        if len(out) >= limit:
            break
    return list(dict.fromkeys(out))[:limit]


def evidence(cube: tuple, samples: np.ndarray) -> int:
    """How well the samples support the clause: for each literal, the sampled rows that
    satisfy all the others (rows the clause is true on only because that literal is
    false there); the fewest over the literals. A clause whose every part is borne out
    by many reachable rows is likelier a lemma than an accident of the sample."""
    agree = np.stack([samples[:, j] == v for j, v in cube], axis=1) if cube else np.ones((len(samples), 0), bool)
    return min((int(np.delete(agree, i, axis=1).all(1).sum()) for i in range(len(cube))), default=0)


def _minimal(chosen: list, differ: np.ndarray) -> list:
    """Drop each literal whose cube without it still rules out every sample (the
    greedy order can leave one the later ones made redundant)."""
    for j in list(chosen):
        rest = [k for k in chosen if k != j]
        if rest and differ[:, rest].any(1).all():
            chosen = rest
    return chosen
