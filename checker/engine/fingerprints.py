"""The visited set: 64-bit fingerprints of states, numbered in the order found.

A search must remember every state it has seen, and a Python set or dict of
states costs 100-250 bytes a state (checker-conventions.md §4); TLC and SPIN keep
fingerprints instead. Here a state's fingerprint is Python's 64-bit hash of it (the
states are tuples of ints, tuples, frozensets and None, whose hashes mix every
part), and the table is open addressing in numpy arrays, so that a batch of
successors is looked up and inserted in a few vectorised passes instead of one
Python-level dict operation each.

Memory: the slot array holds the fingerprints themselves (8 bytes a slot, at most
60% full: one memory access a probe), `fps[n]` is state n's fingerprint (8 bytes),
and when asked (`numbered`, for recording the state graph) a slot's state number
(4 bytes a slot): 22 to 40 bytes a state, depending on where the arrays are in
their doubling.

Two different states with the same fingerprint would make the second look seen:
it and whatever only it leads to would be missed. `collision_probability` is TLC's
optimistic estimate of the chance that this happened in a search. One collision is
not chance: CPython's hash(-1) == hash(-2) (-1 is its error value), so two states that
differ only by -1 against -2 in one place always collide. A model whose state can hold
both (`Model.hash_apart`) is fingerprinted with every -1 replaced by 2**60 first (a
walk of the state: several times slower, and only for such models).
"""
from __future__ import annotations

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)     # Fibonacci hashing: spreads the slots
_LOAD = 0.6                              # grow the slot array beyond this load
_EMPTY = 0                               # an empty slot (fingerprint 0 is stored as 1)


class FingerprintTable:
    """Fingerprints -> state numbers 0, 1, 2, ... in the order they were added."""

    def __init__(self, capacity: int = 1 << 10, numbered: bool = False, ordered: bool = True):
        """`numbered`: the table also maps each fingerprint to its number (numbers_of).
        `ordered`: it keeps `fps`, the fingerprints in the order added (a shard of a
        visited set split between processes does not: its numbers are not its own)."""
        self.bits = max(4, int(capacity - 1).bit_length())
        self.slots = np.zeros(1 << self.bits, np.int64)
        self.numbers = np.zeros(1 << self.bits, np.int32) if numbered else None
        self.fps = np.empty(capacity, np.int64) if ordered or numbered else None
        self.n = 0
        self._owner = None                  # scratch for add(): which key took a slot

    def __len__(self) -> int:
        return self.n

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.slots, self.fps, self.numbers) if a is not None)

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.view(np.uint64) * _MIX) >> np.uint64(64 - self.bits)).astype(np.int64)

    def _probe(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each key, whether it is in the table and its slot (or the empty slot
        that ends its probe sequence)."""
        found = np.zeros(len(keys), bool)
        slot = self._home(keys)
        pending = np.arange(len(keys))
        mask = (1 << self.bits) - 1
        slots = self.slots
        while pending.size:
            held = slots[slot[pending]]
            hit = held == keys[pending]
            found[pending[hit]] = True
            pending = pending[~hit & (held != _EMPTY)]
            slot[pending] = (slot[pending] + 1) & mask
        return found, slot

    def _place(self, keys: np.ndarray) -> np.ndarray:
        """Put distinct keys known to be absent in free slots; return their slots."""
        slot = self._home(keys)
        pending = np.arange(len(keys))
        mask = (1 << self.bits) - 1
        slots = self.slots
        while pending.size:
            tried = slot[pending]
            free = slots[tried] == _EMPTY
            # several keys may want the same free slot: one write wins, the others
            # read back a key not theirs, and probe on
            slots[tried[free]] = keys[pending[free]]
            placed = free & (slots[tried] == keys[pending])
            pending = pending[~placed]
            slot[pending] = (slot[pending] + 1) & mask
        return slot

    def _reserve(self, more: int) -> None:
        need = self.n + more
        if self.fps is not None:
            self.fps = room_for(self.fps, self.n, need)
        if need > _LOAD * len(self.slots):
            while need > _LOAD * (1 << self.bits):
                self.bits += 1
            held = self.fps[:self.n] if self.fps is not None else self.slots[self.slots != _EMPTY]
            self.slots = np.zeros(1 << self.bits, np.int64)
            where = self._place(held)
            if self.numbers is not None:
                self.numbers = np.zeros(1 << self.bits, np.int32)
                self.numbers[where] = np.arange(self.n)

    def add(self, keys: np.ndarray) -> np.ndarray:
        """Add fingerprints, duplicates allowed; return the positions in `keys` of the
        first occurrences of those not seen before, ascending. They are numbered in
        that order, from len(self) on.

        Without sorting: equal keys end their probes at the same free slot, so each
        free slot goes to the first key that reached it (a scratch array written
        backwards, so that the first write is the one that stays). Another key there
        is a repeat of that one, or a different key, which probes on to the next free
        slot and competes there in the next round."""
        found, slot_of = self._probe(keys)
        pending = np.flatnonzero(~found)
        if not len(pending):
            return pending
        size = len(self.slots)
        self._reserve(len(pending))
        if len(self.slots) != size:          # grown: the probes end elsewhere now
            slot_of[pending] = self._probe(keys[pending])[1]
        if self._owner is None or len(self._owner) != len(self.slots):
            self._owner = np.empty(len(self.slots), np.int64)
        owner, slots = self._owner, self.slots
        won = []
        while len(pending):
            at = slot_of[pending]
            owner[at[::-1]] = pending[::-1]
            first = owner[at]
            wins = first == pending
            won.append(pending[wins])
            slots[at[wins]] = keys[pending[wins]]
            lost = ~wins
            pending = pending[lost][keys[pending[lost]] != keys[first[lost]]]
            slot_of[pending] = self._next_free(slot_of[pending])
        new = np.sort(np.concatenate(won)) if len(won) > 1 else won[0]
        k = len(new)
        if self.fps is not None:
            self.fps[self.n:self.n + k] = keys[new]
        if self.numbers is not None:
            self.numbers[slot_of[new]] = np.arange(self.n, self.n + k)
        self.n += k
        return new

    def _next_free(self, slot: np.ndarray) -> np.ndarray:
        """For each slot, the first free slot after it."""
        mask = (1 << self.bits) - 1
        slot = (slot + 1) & mask
        pending = np.arange(len(slot))
        while pending.size:
            pending = pending[self.slots[slot[pending]] != _EMPTY]
            slot[pending] = (slot[pending] + 1) & mask
        return slot

    def numbers_of(self, keys: np.ndarray) -> np.ndarray:
        """The state numbers of fingerprints in the table (a `numbered` one)."""
        _, slot = self._probe(keys)
        return self.numbers[slot]

    def contains(self, keys: np.ndarray) -> np.ndarray:
        return self._probe(keys)[0]


def room_for(fps: np.ndarray, used: int, need: int) -> np.ndarray:
    """An array of fingerprints, its first `used` kept, with room for `need` (at
    least doubled when it grows: amortised constant time a fingerprint)."""
    if need <= len(fps):
        return fps
    grown = np.empty(max(need, 2 * len(fps)), np.int64)
    grown[:used] = fps[:used]
    return grown


_MINUS_ONE = 1 << 60          # stands for -1 when a state may hold both -1 and -2


def _apart(v):
    """v with every int -1 in it replaced by _MINUS_ONE (tuples and frozensets walked)."""
    t = type(v)
    if t is int:
        return _MINUS_ONE if v == -1 else v
    if t is tuple:
        return tuple(map(_apart, v))
    if t is frozenset:
        return frozenset(map(_apart, v))
    return v


def fingerprints(states, apart: bool = False) -> np.ndarray:
    """The fingerprint of each state, as an int64 array (never 0: 0 marks a free slot);
    `apart`: the model's states may hold both -1 and -2 (Model.hash_apart)."""
    keys = np.fromiter(map(hash, map(_apart, states) if apart else states), np.int64, len(states))
    keys[keys == _EMPTY] = 1
    return keys


def fingerprint(state, apart: bool = False) -> int:
    """One state's fingerprint, as `fingerprints` gives it."""
    return hash(_apart(state) if apart else state) or 1


def collision_probability(distinct: int, generated: int) -> float:
    """TLC's optimistic estimate of the chance that a fingerprint collision made the
    search miss a state: each of the (generated - distinct) successors found already
    seen could have been a new state whose fingerprint equals one of `distinct`."""
    return max(0, generated - distinct) * distinct / 2.0 ** 64
