"""The visited set: 64-bit fingerprints of states, numbered in the order found.

A search must remember every state it has seen, and a Python set or dict of
states costs 100-250 bytes a state (checker-conventions.md §4); TLC and SPIN keep
fingerprints instead. Here a state's fingerprint is Python's 64-bit hash of it (the
states are tuples of ints, tuples, frozensets and None, whose hashes mix every
part), and the table maps fingerprints to state numbers with open addressing in
numpy arrays, so that a batch of successors is looked up and inserted in a few
vectorised passes instead of one Python-level dict operation each.

Memory: `fps[n]` (8 bytes) is state n's fingerprint, and the slot array (4 bytes a
slot, at most half full) holds state numbers: 16 to 24 bytes a state, more
briefly while the arrays grow.

Two different states with the same fingerprint would make the second look seen:
it and whatever only it leads to would be missed. `collision_probability` is TLC's
optimistic estimate of the chance that this happened in a search.
"""
from __future__ import annotations

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)     # Fibonacci hashing: spreads the slots
_LOAD = 0.5                              # grow the slot array beyond this load


class FingerprintTable:
    """Fingerprints -> state numbers 0, 1, 2, ... in the order they were added."""

    def __init__(self, capacity: int = 1 << 10):
        self.bits = max(4, int(capacity - 1).bit_length())
        self.slots = np.full(1 << self.bits, -1, np.int32)
        self.fps = np.empty(capacity, np.int64)
        self.n = 0

    def __len__(self) -> int:
        return self.n

    @property
    def nbytes(self) -> int:
        return self.slots.nbytes + self.fps.nbytes

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.view(np.uint64) * _MIX) >> np.uint64(64 - self.bits)).astype(np.int64)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The state number of each key, or -1 where it is not in the table."""
        found = np.full(len(keys), -1, np.int64)
        slot = self._home(keys)
        pending = np.arange(len(keys))
        mask = (1 << self.bits) - 1
        slots, fps = self.slots, self.fps
        while pending.size:
            held = slots[slot[pending]]
            occupied = held >= 0
            hit = np.zeros(len(pending), bool)
            hit[occupied] = fps[held[occupied]] == keys[pending[occupied]]
            found[pending[hit]] = held[hit]
            pending = pending[occupied & ~hit]
            slot[pending] = (slot[pending] + 1) & mask
        return found

    def _place(self, keys: np.ndarray, numbers: np.ndarray) -> None:
        """Put keys known to be absent (and distinct) in free slots."""
        slot = self._home(keys)
        pending = np.arange(len(keys))
        mask = (1 << self.bits) - 1
        slots = self.slots
        while pending.size:
            tried = slot[pending]
            free = slots[tried] < 0
            # several keys may want the same free slot: one write wins, the others
            # see a number not theirs when they read it back, and probe on
            slots[tried[free]] = numbers[pending[free]]
            placed = free & (slots[tried] == numbers[pending])
            pending = pending[~placed]
            slot[pending] = (slot[pending] + 1) & mask

    def _reserve(self, more: int) -> None:
        need = self.n + more
        if need > len(self.fps):
            grown = np.empty(max(need, 2 * len(self.fps)), np.int64)
            grown[:self.n] = self.fps[:self.n]
            self.fps = grown
        if need > _LOAD * len(self.slots):
            bits = self.bits
            while need > _LOAD * (1 << bits):
                bits += 1
            self.bits = bits
            self.slots = np.full(1 << bits, -1, np.int32)
            self._place(self.fps[:self.n], np.arange(self.n))

    def add(self, keys: np.ndarray) -> np.ndarray:
        """Add a batch of fingerprints (duplicates allowed); return the positions in
        `keys` of the first occurrences of those not seen before, ascending. They are
        numbered in that order, from len(self) on."""
        absent = np.flatnonzero(self.lookup(keys) < 0)
        if len(absent):
            _, first = np.unique(keys[absent], return_index=True)
            absent = np.sort(absent[first])
            k = len(absent)
            self._reserve(k)
            self.fps[self.n:self.n + k] = keys[absent]
            self._place(keys[absent], np.arange(self.n, self.n + k))
            self.n += k
        return absent


def fingerprints(states) -> np.ndarray:
    """The fingerprint of each state, as an int64 array."""
    return np.fromiter(map(hash, states), np.int64, len(states))


def collision_probability(distinct: int, generated: int) -> float:
    """TLC's optimistic estimate of the chance that a fingerprint collision made the
    search miss a state: each of the (generated - distinct) successors found already
    seen could have been a new state whose fingerprint equals one of `distinct`."""
    return max(0, generated - distinct) * distinct / 2.0 ** 64
