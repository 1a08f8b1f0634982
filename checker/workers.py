"""Several processes expanding one breadth-first search (`--workers N`).

Python runs one thread at a time, so the search is spread over processes, forked
from the checker so that each has the compiled spec already. Each level of the
search is split into contiguous runs of states, one run a process: the main process
expands one run itself and each worker another. A worker keeps its states and
their successors; what crosses the pipes is small: each successor's 64-bit
fingerprint going in, and coming back which of them are new. The main process keeps
the one visited set and numbers the new states exactly as the one-process search
(explore._Search) does: a level's successors are taken in the order of their
parents, and a run's new states are numbered after those of the runs before it, so
every worker keeps a contiguous run of the next level too. Runs are then evened out
by moving states from the longer runs to their neighbours.

Same numbering, same parents, so the same counts, the same shortest counterexample
and the same stop as with one process. A violation of an invariant is found by the
worker holding the new state, right after numbering; a stop at a later state of the
level that the one-process search would not have reached is then ignored.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import time

import numpy as np

from .explore import Expansion, _Search, _Stop, expand, first_failure
from .fingerprints import FingerprintTable, fingerprints
from .memory import rss


class _Run:
    """The states one process holds: a contiguous run of the level being expanded.
    With `record` (the graph's conditions.Conditions: a state graph is kept), its
    steps' labels are sent as small numbers, each label's (action, parameters) once,
    with the marks of its states and steps; and, if the graph keeps the states
    (`keep_states`), the new states it keeps are sent back too."""

    def __init__(self, model, canonical, check_deadlock, record, keep_states):
        self.model, self.canonical, self.check_deadlock = model, canonical, check_deadlock
        self.record, self.keep_states, self.label_ids = record, keep_states, {}
        self.states, self.base, self.found, self.counts = [], 0, [], []
        self.shard = FingerprintTable(ordered=False)     # this process's part of the visited set
        self.busy = 0.0            # seconds spent on this level's calls so far

    def own(self, parts):
        """Add parts of a level's fingerprints, those this process owns, to its shard,
        in the order of the runs they come from: (for each part, the positions of the
        first occurrences of those not seen before; the shard's bytes)."""
        began = time.perf_counter()
        out = [self.shard.add(p) for p in parts], self.shard.nbytes
        self.busy += time.perf_counter() - began
        return out

    def expand(self):
        """Expand the run: (fingerprints of the successors, counts, made, constrained,
        event, graph steps or None, seconds it took)."""
        began = time.perf_counter()
        x = expand(self.model, self.states, self.base, self.canonical, self.check_deadlock, self.record)
        self.found, self.counts = x.found, x.counts
        keys = fingerprints(x.found)
        steps = self.labels(x.steps) + (bytes(x.marks), np.array(x.step_marks, np.uint32)) \
            if self.record is not None else None
        took = time.perf_counter() - began
        self.busy += took
        return (keys, x.counts, x.made, x.constrained, _plain_stop(x.event), steps, took)

    def labels(self, steps):
        """(label numbers of every step, 1/0 per state: expanded or not, labels new
        since the last call)."""
        ids, numbers, expanded, fresh = self.label_ids, [], bytearray(), []
        for labelled in steps:
            expanded.append(labelled is not None)
            for act, picks, _ in labelled or ():
                lid = ids.get((act, picks))
                if lid is None:
                    lid = ids[(act, picks)] = len(ids)
                    fresh.append((act, picks))
                numbers.append(lid)
        return np.array(numbers, np.int32), bytes(expanded), fresh

    def keep(self, new, base):
        """Keep the successors at positions `new` as the next run, numbered from base;
        check their invariants. Returns (the first failure: (k, invariant index or -2,
        message) or None; the kept states if the graph keeps states, else None; the
        seconds this level's calls took, the last of which this is)."""
        began = time.perf_counter()
        found, expanded = self.found, self.states
        self.states, self.base, self.found = [found[p] for p in new.tolist()], base, []
        del found
        parents = np.searchsorted(np.cumsum(self.counts), new, side="right")
        failure = first_failure(self.model, self.states, [expanded[w] for w in parents.tolist()])
        del expanded
        busy, self.busy = self.busy + time.perf_counter() - began, 0.0
        return failure, (self.states if self.keep_states else None), busy

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
    """A _Stop as plain data for a pipe."""
    return None if stop is None else (stop.verdict, stop.index, stop.info)


def _serve(conn, run):
    """A worker: answer the main process's calls on its run until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the main process handles Ctrl-C
    while True:
        name, args = pickle.loads(conn.recv_bytes())
        if name == "stop":
            return
        if name == "rss":
            out = rss()
        elif name == "set":
            run.states, run.base = args
            out = None
        else:
            out = getattr(run, name)(*args)
        conn.send_bytes(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))


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

    def call(self, name, *args):
        self.conn.send_bytes(pickle.dumps((name, args), protocol=pickle.HIGHEST_PROTOCOL))

    def result(self):
        began = time.perf_counter()
        answer = self.conn.recv_bytes()
        self.waited += time.perf_counter() - began
        return pickle.loads(answer)

    def close(self):
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
        self.run, self.pending, self.size, self.waited = run, None, 0, 0.0

    def call(self, name, *args):
        self.pending = (name, args)

    def result(self):
        name, args = self.pending
        if name == "rss":
            return 0           # counted once, by the main process
        if name == "set":
            self.run.states, self.run.base = args
            return None
        return getattr(self.run, name)(*args)

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
        where = self.split(keys)
        return where, self.table.add(keys[where[0]])

    def finish(self, runs, started):
        wheres = [started[0]] + [self.split(keys) for keys in runs[1:]]
        for o, w in enumerate(self.pool[1:], 1):
            w.call("own", [keys[where[o]] for keys, where in zip(runs, wheres)])
        firsts = [[started[1]] + [self.table.add(keys[where[0]]) for keys, where in zip(runs[1:], wheres[1:])]]
        for o, w in enumerate(self.pool[1:], 1):
            found, self.shard_bytes[o] = w.result()
            firsts.append(found)
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
        if need > len(self.fps):
            grown = np.empty(max(need, 2 * len(self.fps)), np.int64)
            grown[:self.n] = self.fps[:self.n]
            self.fps = grown
        self.fps[self.n:need] = keys
        self.n = need


class ParallelSearch(_Search):
    """explore._Search with each level expanded by several processes."""

    def run(self):
        if self.workers <= 1 or not hasattr(os, "fork"):
            self.workers = 1
            return super().run()
        keep_states = self.graph is not None and self.graph.states is not None
        runs = [_Run(self.model, self.canonical, self.check_deadlock, self.conditions, keep_states)
                for _ in range(self.workers)]
        self.failure = None
        self.share = 1.0           # the size of the main process's run, relative to a worker's
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
            w.call("expand")
        # the local run is expanded while the workers expand theirs, and its new states
        # found before theirs arrive
        outs = [pool[0].result()]
        started = self.adding.start(outs[0][0])
        outs += [w.result() for w in pool[1:]]
        # the runs in order, up to the first that met a stop
        upto = next((k for k, o in enumerate(outs) if o[4] is not None), len(outs) - 1)
        outs = outs[:upto + 1]
        x = Expansion(None, [c for o in outs for c in o[1]], [m for o in outs for m in o[2]],
                      [], None, sum(o[3] for o in outs))
        self.constrained += x.constrained
        base = self.level_start
        self.expanding = base + len(x.counts) - 1
        # each run's successors, looked up and added run after run: a state two runs
        # found is new in the first; each run keeps the new states it found
        edges = np.cumsum([0] + [len(o[0]) for o in outs])
        mine = self.adding.finish([o[0] for o in outs], started)
        new = np.concatenate([m + e for m, e in zip(mine, edges)])
        cut = np.cumsum([0] + [len(m) for m in mine])
        first = len(self.parent)
        for k, w in enumerate(pool):
            theirs = mine[k] if k < len(outs) else new[:0]
            w.call("keep", theirs, first + int(cut[min(k, len(outs))]))
            w.size = len(theirs)
        kept = [w.result() for w in pool]
        self.failure = next(((int(cut[k]) + f[0],) + f[1:] for k, (f, _, _) in enumerate(kept)
                             if f is not None), None)
        picked = [t for _, states, _ in kept for t in states] if kept[0][1] is not None else [None] * len(new)
        self.admit_found(x, new, base, frozen, picked)
        if outs[upto][4] is not None:
            verdict, index, info = outs[upto][4]
            self.expanding = index
            raise _Stop(verdict, index, **info)
        if self.graph is not None:
            self.record_runs(outs)
        self.level_start += len(level)
        self.check_limits()
        if len(new):
            self.depth += 1
            busy = time.perf_counter() - began - (sum(w.waited for w in pool) - waited)
            self.adapt_share(busy, max((b for _, _, b in kept[1:]), default=busy))
            self.balance()
        return _Level(len(new))

    def adapt_share(self, mine, theirs):
        """Set the main process's share of the next level so that it is as busy as a
        worker: besides its run it adds to the visited set, numbers the new states and
        runs the search, while the workers wait for it. `mine`, `theirs`: the seconds
        the main process and the busiest worker worked on this level."""
        if mine > 0 and theirs > 0 and self.pool[0].size:
            self.share = min(1.5, max(0.1, self.share * (theirs / mine) ** 0.5))

    def record_runs(self, outs):
        """Add the level's steps to the graph, the runs' label numbers made the graph's."""
        graph, labels = self.graph, []
        for k, o in enumerate(outs):
            numbers, _, fresh = o[5][:3]
            if fresh:
                more = np.array([graph.label_id(key) for key in fresh], np.int32)
                self.translate[k] = np.concatenate([self.translate[k], more])
            labels.append(self.translate[k][numbers])
        expanded = b"".join(o[5][1] for o in outs)
        counts = [c for o in outs for c in o[1]]
        keys = np.concatenate([o[0] for o in outs])
        graph.close_states(self.visited.numbers_of(keys), np.concatenate(labels), counts, expanded,
                           b"".join(o[5][3] for o in outs), np.concatenate([o[5][4] for o in outs]))

    def spread(self, level):
        """Hand the initial states out, evenly and in order."""
        n, k = len(level), len(self.pool)
        bounds = [n * j // k for j in range(k + 1)]
        for j, w in enumerate(self.pool):
            w.call("set", level[bounds[j]:bounds[j + 1]], bounds[j])
            w.size = bounds[j + 1] - bounds[j]
        for w in self.pool:
            w.result()

    def balance(self):
        """Even out the runs, moving states between neighbours (each round moves at
        most a run's own states, so a very uneven level may take several rounds)."""
        pool, k = self.pool, len(self.pool)
        for _ in range(k - 1):
            sizes = [w.size for w in pool]
            total = sum(sizes)
            weights = [self.share] + [1.0] * (k - 1)              # the main process's run: share
            ends = np.cumsum(weights) / sum(weights)
            want = [int(total * e) for e in ends]                   # where each run should end
            moves = [int(h) - want[j] for j, h in enumerate(np.cumsum(sizes)[:-1])]
            if all(abs(m) * 8 <= total // k for m in moves):      # within 1/8 of even
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
        """The resident memory of the main process and every worker."""
        for w in self.pool:
            w.call("rss")
        return rss() + sum(w.result() for w in self.pool)


class _Level:
    """A level of the search as the main process sees it: its size only."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n
