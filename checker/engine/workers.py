"""Several processes expanding one breadth-first search (`--workers N`).

Python runs one thread at a time, so the search is spread over processes, forked
from the checker so that each has the compiled spec already. Each level of the
search is split into contiguous runs of states, one run a process: the main process
expands one run itself and each worker another. A worker keeps its states and
their successors; what crosses the pipes is small: each successor's 64-bit
fingerprint going in, and coming back which of them are new. The main process keeps
the one visited set and numbers the new states exactly as the one-process search
(explore.Search) does: a level's successors are taken in the order of their
parents, and a run's new states are numbered after those of the runs before it, so
every worker keeps a contiguous run of the next level too. Runs are then evened out
by moving states from the longer runs to their neighbours.

Same numbering, same parents, so the same counts, the same shortest counterexample
and the same stop as with one process. A violation of an invariant is found by the
worker holding the new state, right after numbering; a stop at a later state of the
level that the one-process search would not have reached is then ignored.
"""
from __future__ import annotations

from dataclasses import dataclass
import multiprocessing
import os
import pickle
import signal
import time

import numpy as np

from .covers import CoverWatch
from .explore import Expansion, Search, Stop, expand, first_failure
from .fingerprints import FingerprintTable, fingerprints, room_for
from .memory import rss

# ---------------------------------------------------------------- the messages
# What crosses the pipes, named: the main process calls a run's method by name
# (`Request`), the run answers with one of these.

@dataclass
class Request:
    method: str            # a method of _Run, or "set" / "keep_expand" / "stop" (see _serve)
    args: tuple


@dataclass
class Steps:
    """A run's expanded steps, for the state graph (only when one is recorded)."""
    labels: np.ndarray         # the label number of every step, in order
    expanded: bytes            # per state, 1 if it was expanded
    fresh: list                # (action, picks) of the label numbers new since the last call
    outside_labels: np.ndarray  # the label number of every step to a state outside the constraints
    outside_counts: list       # per state, how many of those
    marks: bytes               # per state, its fairness marks
    step_marks: np.ndarray     # per step, its marks
    outside_marks: np.ndarray  # per step outside, its marks


@dataclass
class Expanded:
    """A run's answer to `expand`."""
    keys: np.ndarray       # fingerprints of the successors, in order
    counts: list           # how many successors each state contributed ...
    made: list             # ... and how many it generated
    constrained: int       # successors outside the state constraints
    outs: list             # ... of them, how many each state made
    stop: tuple | None     # (verdict, index, info) of a stop met while expanding
    steps: Steps | None    # with a state graph
    took: float            # seconds the expansion took
    rss: int               # the process's resident memory
    covers: dict | None = None   # covers first reached in this expansion (covers.CoverWatch.take)


@dataclass
class Kept:
    """A run's answer to `keep` (and `keep_moving`)."""
    failure: tuple | None  # the first invariant failure: (k, invariant index or -2, message)
    states: list | None    # the states kept, if the graph keeps states
    busy: float            # seconds this level's calls took
    given: list | None = None  # keep_moving: the states handed to the run before


@dataclass
class Owned:
    """A run's answer to `own`."""
    firsts: list           # for each part, the positions of its fingerprints new in the shard
    shard_bytes: int


class _Run:
    """The states one process holds: a contiguous run of the level being expanded.
    With `record` (the graph's conditions.Conditions: a state graph is kept), its
    steps' labels are sent as small numbers, each label's (action, parameters) once,
    with the marks of its states and steps; and, if the graph keeps the states
    (`keep_states`), the new states it keeps are sent back too."""

    def __init__(self, model, canonical, check_deadlock, record, keep_states, place):
        self.model, self.canonical, self.check_deadlock = model, canonical, check_deadlock
        self.index, self.processes = place       # which process of how many holds it
        self.record, self.keep_states, self.label_ids = record, keep_states, {}
        self.states, self.base, self.found, self.counts, self.garbage = [], 0, [], [], None
        self.shard = FingerprintTable(ordered=False)     # this process's part of the visited set
        self.keys = None           # the fingerprints of the last expansion's successors
        self.taken = None          # (states, their parents or None) between take and check
        self.busy = 0.0            # seconds spent on this level's calls so far
        self.covers = CoverWatch(model) if model.covers else None   # this run's covers still open

    def own(self, parts, local):
        """Add parts of a level's fingerprints, those this process owns, to its shard,
        in the order of the runs they come from; parts[local], if given, is this
        run's own part (from its last expansion, not sent). Returns (for each part,
        the positions of the first occurrences of those not seen before; the shard's
        bytes)."""
        began = time.perf_counter()
        if local is not None:
            keys = self.keys
            parts[local] = keys[keys.view(np.uint64) % np.uint64(self.processes) == self.index]
        out = Owned([self.shard.add(p) for p in parts], self.shard.nbytes)
        self.busy += time.perf_counter() - began
        return out

    def expand(self) -> Expanded:
        """Expand the run."""
        began = time.perf_counter()
        self.garbage = None        # the successors of the level before (millions of tuples)
        x = expand(self.model, self.states, self.base, self.canonical, self.check_deadlock, self.record,
                   self.covers)
        self.found, self.counts = x.found, x.counts
        keys = self.keys = fingerprints(x.found, self.model.hash_apart)
        steps = Steps(*self.labels(x.steps, x.outside), bytes(x.marks), np.array(x.step_marks, np.uint32),
                      np.array(x.outside_marks, np.uint32)) if self.record is not None else None
        took = time.perf_counter() - began
        self.busy += took
        return Expanded(keys, x.counts, x.made, x.constrained, x.outs, _plain_stop(x.event), steps, took, rss(),
                        self.covers.take() if self.covers is not None else None)

    def labels(self, steps, outside):
        """(label numbers of every step, 1/0 per state: expanded or not, labels new
        since the last call, label numbers of every step to a state outside the
        constraints, how many of those each state has)."""
        ids, numbers, expanded, fresh = self.label_ids, [], bytearray(), []
        out_numbers, out_counts = [], []

        def number(act, picks):
            lid = ids.get((act, picks))
            if lid is None:
                lid = ids[(act, picks)] = len(ids)
                fresh.append((act, picks))
            return lid
        for labelled in steps:
            expanded.append(labelled is not None)
            for act, picks, _ in labelled or ():
                numbers.append(number(act, picks))
        for gone in outside:
            out_counts.append(len(gone))
            for act, picks, _ in gone:
                out_numbers.append(number(act, picks))
        return (np.array(numbers, np.int32), bytes(expanded), fresh,
                np.array(out_numbers, np.int32), out_counts)

    def keep(self, new, base) -> Kept:
        """Keep the successors at positions `new` as the next run, numbered from base;
        check their invariants (the last of this level's calls)."""
        self.take(new, base)
        return self.check()

    def take(self, new, base):
        """The first half of keep: the new states become the run."""
        began = time.perf_counter()
        found, expanded = self.found, self.states
        self.states, self.base, self.found = [found[p] for p in new.tolist()], base, []
        self.garbage = found       # freed by the next expansion, after keep has answered
        if self.model.invariants_decided:     # nothing to check: the parents are not needed
            self.taken = (self.states, None)
        else:
            parents = np.searchsorted(np.cumsum(self.counts), new, side="right")
            self.taken = (self.states, [expanded[w] for w in parents.tolist()])
        self.busy += time.perf_counter() - began

    def check(self):
        """The second half of keep: the invariants of the states taken (the parents
        they came from satisfy them all)."""
        began = time.perf_counter()
        states, before = self.taken
        self.taken = None
        failure = first_failure(self.model, states, before)
        busy, self.busy = self.busy + time.perf_counter() - began, 0.0
        return Kept(failure, states if self.keep_states else None, busy)

    def keep_moving(self, new, base, handed, give):
        """keep, then the run of the next level: `handed` (the last states of the run
        before, moved to this one) first, and the first `give` states handed to the
        run before. Returns keep's answer with the states given."""
        self.take(new, base)
        given = self.states[:give]
        self.states = handed + self.states[give:]
        self.base += give - len(handed)
        kept = self.check()
        kept.given = given
        return kept

    def give(self, take_front, take_back):
        """Remove states from both ends of the run, for the neighbouring runs."""
        front = self.states[:take_front]
        back = self.states[len(self.states) - take_back:] if take_back else []
        self.states = self.states[take_front:len(self.states) - take_back]
        self.base += take_front
        return front, back

    def receive(self, before, after):
        self.base -= len(before)
        self.states = before + self.states + after


def _plain_stop(stop):
    """A Stop as plain data for a pipe."""
    return None if stop is None else (stop.verdict, stop.index, stop.info)


def _serve(conn, run):
    """A worker: answer the main process's calls on its run until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the main process handles Ctrl-C
    def send(out):
        conn.send_bytes(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    while True:
        req = pickle.loads(conn.recv_bytes())
        if req.method == "stop":
            return
        if req.method == "set":
            run.states, run.base = req.args
            out = None
        elif req.method == "keep_expand":      # two answers: keep's, then the next level's expansion
            send(run.keep_moving(*req.args))
            out = run.expand()
        else:
            out = getattr(run, req.method)(*req.args)
        send(out)


class _Worker:
    """The main process's handle on one worker process."""

    def __init__(self, run):
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, run), daemon=True)
        self.process.start()
        child.close()
        self.size = 0
        self.waited = 0.0          # seconds the main process waited for this worker's answers
        self.ahead = False         # expanding the next level unasked (see keep_moving)
        self.rss = 0               # its resident memory, as its last expansion said

    def call(self, name, *args):
        self.conn.send_bytes(pickle.dumps(Request(name, args), protocol=pickle.HIGHEST_PROTOCOL))

    def result(self):
        began = time.perf_counter()
        answer = self.conn.recv_bytes()
        self.waited += time.perf_counter() - began
        return pickle.loads(answer)

    def close(self):
        if self.ahead:             # the search stopped: the level it expands is not wanted
            self.process.kill()
        try:
            self.call("stop")
        except OSError:
            pass
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=2)


class _Local:
    """The main process's own run, behind the same calls as a worker's."""

    def __init__(self, run):
        self.run, self.pending, self.size, self.waited, self.ahead = run, None, 0, 0.0, False

    def call(self, name, *args):
        self.pending = Request(name, args)

    def result(self):
        req = self.pending
        if req.method == "set":
            self.run.states, self.run.base = req.args
            return None
        return getattr(self.run, req.method)(*req.args)

    def close(self):
        pass


class _Central:
    """The visited set held by the main process alone, as with one process: used when
    the state graph is recorded, which numbers every step's target from it."""

    def __init__(self, table):
        self.table = table

    def start(self, keys):
        """Add the main process's own run's fingerprints, while the workers expand."""
        return self.table.add(keys)

    def finish(self, runs, started):
        """Add the other runs' fingerprints after the first's: each run's new positions."""
        return [started] + [self.table.add(keys) for keys in runs[1:]]


class _Sharded:
    """The visited set split by fingerprint between the processes: process o owns the
    fingerprints f with f % N == o and keeps them in its own table (its shard), so
    the processes add their parts of a level at the same time instead of the workers
    waiting on the main process. A state's number is unchanged: every occurrence of a
    fingerprint goes to the same shard, in the order of the runs, so the first
    occurrence there is the first in the level. The main process keeps the
    fingerprints in the order numbered (`fps`, for traces)."""

    def __init__(self, pool):
        self.pool, self.table = pool, pool[0].run.shard
        self.fps, self.n = np.empty(1 << 10, np.int64), 0
        self.shard_bytes = [0] * len(pool)

    def __len__(self):
        return self.n

    @property
    def nbytes(self):
        return self.fps.nbytes + self.table.nbytes + sum(self.shard_bytes)

    def split(self, keys):
        """The positions of the fingerprints each process owns."""
        owner = keys.view(np.uint64) % np.uint64(len(self.pool))
        return [np.flatnonzero(owner == o) for o in range(len(self.pool))]

    def start(self, keys):
        """Add the main process's part of its own run's fingerprints."""
        where = self.split(keys)
        return where, self.table.add(keys[where[0]])

    def finish(self, runs, started):
        """Add the other runs' fingerprints, each process its part (a worker computes
        the part of its own run itself, from its last expansion): for each run, the
        positions of the fingerprints new in the level, which are numbered."""
        wheres = [started[0]] + [self.split(keys) for keys in runs[1:]]
        for o, w in enumerate(self.pool[1:], 1):
            local = o if o < len(runs) else None
            w.call("own", [keys[where[o]] if j != local else None
                           for j, (keys, where) in enumerate(zip(runs, wheres))], local)
        firsts = [[started[1]] + [self.table.add(keys[where[0]]) for keys, where in zip(runs[1:], wheres[1:])]]
        for o, w in enumerate(self.pool[1:], 1):
            owned = w.result()
            self.shard_bytes[o] = owned.shard_bytes
            firsts.append(owned.firsts)
        news = []
        for j, (keys, where) in enumerate(zip(runs, wheres)):
            new = np.concatenate([at[first[j]] for at, first in zip(where, firsts)])
            new.sort()
            news.append(new)
            self.number(keys[new])
        return news

    def add(self, keys):
        return self.finish([keys], self.start(keys))[0]

    def number(self, keys):
        """Give the next numbers to these new fingerprints."""
        need = self.n + len(keys)
        self.fps = room_for(self.fps, self.n, need)
        self.fps[self.n:need] = keys
        self.n = need


class ParallelSearch(Search):
    """explore.Search with each level expanded by several processes."""

    def run(self):
        if self.workers <= 1 or not hasattr(os, "fork"):
            self.workers = 1
            return super().run()
        keep_states = self.graph is not None and self.graph.states is not None
        runs = [_Run(self.model, self.canonical, self.check_deadlock, self.conditions, keep_states,
                     (k, self.workers)) for k in range(self.workers)]
        self.failure = None
        self.share = 1.0           # the size of the main process's run, relative to a worker's
        self.overheads = (0.0, 0.0)   # see plan_share
        self.pool = [_Local(runs[0])]
        try:                       # workers are started inside: an interrupt stops them too
            for r in runs[1:]:
                self.pool.append(_Worker(r))
            if self.graph is None:
                self.visited = self.adding = _Sharded(self.pool)
            else:
                self.adding = _Central(self.visited)
            self.translate = [np.empty(0, np.int32) for _ in self.pool]   # run's label number -> graph's
            return super().run()
        finally:
            for w in self.pool:
                w.close()

    def first_failure(self, states, before=None):
        if not self.parent:
            return super().first_failure(states)         # the initial states: checked here
        f = self.failure
        return f if f is not None and f[0] < len(states) else None

    def expand_level(self, level):
        if self.workers <= 1:
            return super().expand_level(level)
        frozen = self.max_depth is not None and self.depth >= self.max_depth
        self.level_end = self.level_start + len(level)
        if isinstance(level, list):                      # the initial states: hand them out
            self.spread(level)
        pool = self.pool
        began, waited = time.perf_counter(), sum(w.waited for w in pool)
        for w in pool:
            if not w.ahead:
                w.call("expand")
        # the local run is expanded while the workers expand theirs, and its new states
        # found before theirs arrive
        outs = [pool[0].result()]
        started = self.adding.start(outs[0].keys)
        outs += [w.result() for w in pool[1:]]
        for w, o in zip(pool[1:], outs[1:]):
            w.ahead, w.rss = False, o.rss
        # the runs in order, up to the first that met a stop
        upto = next((k for k, o in enumerate(outs) if o.stop is not None), len(outs) - 1)
        outs = outs[:upto + 1]
        if self.covers is not None:
            for o in outs:
                self.covers.merge(o.covers)
        x = Expansion(None, [c for o in outs for c in o.counts], [m for o in outs for m in o.made],
                      [], None, sum(o.constrained for o in outs), [c for o in outs for c in o.outs])
        base = self.level_start
        self.expanding = base + len(x.counts) - 1
        # each run's successors, looked up and added run after run: a state two runs
        # found is new in the first; each run keeps the new states it found
        edges = np.cumsum([0] + [len(o.keys) for o in outs])
        mine = self.adding.finish([o.keys for o in outs], started)
        mine += [mine[0][:0]] * (len(pool) - len(mine))
        new = np.concatenate([m + e for m, e in zip(mine, edges)])
        cut = np.cumsum([0] + [len(m) for m in mine])
        first = len(self.parent)
        going = (len(new) and outs[upto].stop is None and not frozen and first + len(new) <= self.max_states)
        self.plan_share(outs, len(new))
        kept = self.keep_runs(mine, first + cut, going)
        self.failure = next(((int(cut[k]) + r.failure[0],) + r.failure[1:] for k, r in enumerate(kept)
                             if r.failure is not None), None)
        picked = [t for r in kept for t in r.states] if kept[0].states is not None else [None] * len(new)
        self.admit_found(x, new, base, frozen, picked)
        if outs[upto].stop is not None:
            verdict, index, info = outs[upto].stop
            self.expanding = index
            raise Stop(verdict, index, **info)
        if self.graph is not None:
            self.record_runs(outs)
        self.level_start += len(level)
        self.check_limits()
        if len(new):
            self.depth += 1
            busy = time.perf_counter() - began - (sum(w.waited for w in pool) - waited)
            self.measure_overheads(outs, busy, [r.busy for r in kept])
            if not pool[1].ahead:
                self.balance()
        return _Level(len(new))

    def keep_runs(self, mine, bases, going):
        """Each run keeps its new states (`mine[k]`, numbered from `bases[k]`) and checks
        their invariants: [Kept] (see _Run.keep). When the
        search `going` on and only the main process's run and the first worker's are
        uneven, the states that even them move with this call, and the workers go on
        to expand the next level at once, while the main process numbers and checks
        what it found; else the runs are evened afterwards (balance)."""
        pool = self.pool
        sizes = [len(m) for m in mine]
        moves = self.moves(sizes)
        if not going or any(moves[1:]):
            for k, w in enumerate(pool):
                w.call("keep", mine[k], int(bases[k]))
                w.size = sizes[k]
            return [w.result() for w in pool]
        local = pool[0].run
        local.take(mine[0], int(bases[0]))
        give = max(0, moves[0])                          # to the first worker, or from it
        handed = local.states[len(local.states) - give:] if give else []
        local.states = local.states[:len(local.states) - give]
        for k, w in enumerate(pool[1:], 1):
            w.call("keep_expand", mine[k], int(bases[k]), handed if k == 1 else [],
                   max(0, -moves[0]) if k == 1 else 0)
            w.ahead = True
        kept = [local.check()] + [w.result() for w in pool[1:]]
        local.states += kept[1].given
        sizes[0] += len(kept[1].given) - give
        sizes[1] += give - len(kept[1].given)
        for w, n in zip(pool, sizes):
            w.size = n
        return kept

    def plan_share(self, outs, following):
        """Set the main process's share of the next level (`following` states) so
        that it is as busy as a worker. Besides expanding its run, each process
        does work in proportion to the level's successors (adding to the visited
        set; the main process also numbers the new states and runs the search),
        measured on the level before (`overheads`, seconds a successor); expanding
        costs what this level's expansions cost a state."""
        k = len(self.pool)
        states = sum(len(o.counts) for o in outs)
        if not states or not following or k < 2:
            return
        rate = sum(o.took for o in outs) / states                 # seconds to expand a state
        keys = following * sum(len(o.keys) for o in outs) / states  # the next level's successors, roughly
        mine, theirs = self.overheads
        # rate * m + mine * keys == rate * (following - m) / (k - 1) + theirs * keys
        m = (rate * following / (k - 1) + (theirs - mine) * keys) / (rate * k / (k - 1)) if rate > 0 else 0
        m = min(max(m, following * 0.05 / k), following * 1.5 / k)
        self.share = m * (k - 1) / max(following - m, 1)

    def measure_overheads(self, outs, mine, busy):
        """Each process's work besides expanding (`mine`: the main process's busy
        seconds this level; `busy`: each run's, as keep reported), a successor."""
        keys = sum(len(o.keys) for o in outs)
        if keys and len(outs) > 1:
            theirs = max(b - o.took for b, o in zip(busy[1:], outs[1:]))
            self.overheads = (max(0.0, mine - outs[0].took) / keys, max(0.0, theirs) / keys)

    def record_runs(self, outs):
        """Add the level's steps to the graph, the runs' label numbers made the graph's."""
        graph, labels, outside = self.graph, [], []
        for k, o in enumerate(outs):
            s = o.steps
            if s.fresh:
                more = np.array([graph.label_id(key) for key in s.fresh], np.int32)
                self.translate[k] = np.concatenate([self.translate[k], more])
            labels.append(self.translate[k][s.labels])
            outside.append(self.translate[k][s.outside_labels])
        steps = [o.steps for o in outs]
        counts = [c for o in outs for c in o.counts]
        keys = np.concatenate([o.keys for o in outs])
        graph.close_states(self.visited.numbers_of(keys), np.concatenate(labels), counts,
                           b"".join(s.expanded for s in steps), b"".join(s.marks for s in steps),
                           np.concatenate([s.step_marks for s in steps]),
                           (np.concatenate(outside), [c for s in steps for c in s.outside_counts],
                            np.concatenate([s.outside_marks for s in steps])))

    def spread(self, level):
        """Hand the initial states out, evenly and in order."""
        n, k = len(level), len(self.pool)
        bounds = [n * j // k for j in range(k + 1)]
        for j, w in enumerate(self.pool):
            w.call("set", level[bounds[j]:bounds[j + 1]], bounds[j])
            w.size = bounds[j + 1] - bounds[j]
        for w in self.pool:
            w.result()

    def moves(self, sizes) -> list:
        """How many states to move across each boundary between neighbouring runs of
        these sizes to even them out (the main process's run is `share` of a worker's):
        positive from the run before to the run after, 0 where within 1/8 of even."""
        k, total = len(sizes), sum(sizes)
        weights = [self.share] + [1.0] * (k - 1)
        ends = np.cumsum(weights) / sum(weights)
        want = [int(total * e) for e in ends]                       # where each run should end
        moves = [int(h) - want[j] for j, h in enumerate(np.cumsum(sizes)[:-1])]
        moves = [m if abs(m) * 8 > total // k else 0 for m in moves]
        # at most what the giving run has
        return [min(m, sizes[j]) if m > 0 else max(m, -sizes[j + 1]) for j, m in enumerate(moves)]

    def balance(self):
        """Even out the runs, moving states between neighbours (each round moves at
        most a run's own states, so a very uneven level may take several rounds)."""
        pool, k = self.pool, len(self.pool)
        for _ in range(k - 1):
            sizes = [w.size for w in pool]
            moves = self.moves(sizes)
            if not any(moves):
                return
            for j, w in enumerate(pool):
                front = max(0, -moves[j - 1]) if j > 0 else 0     # to the run before
                back = max(0, moves[j]) if j < k - 1 else 0       # to the run after
                front = min(front, sizes[j])
                w.call("give", front, min(back, sizes[j] - front))
            given = [w.result() for w in pool]
            for j, w in enumerate(pool):
                before = given[j - 1][1] if j > 0 else []
                after = given[j + 1][0] if j < k - 1 else []
                w.call("receive", before, after)
                w.size += len(before) + len(after) - len(given[j][0]) - len(given[j][1])
            for w in pool:
                w.result()

    def memory(self):
        """The resident memory of the main process and every worker (as its last
        expansion said: the workers may be busy)."""
        return rss() + sum(w.rss for w in self.pool[1:])


class _Level:
    """A level of the search as the main process sees it: its size only."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n
