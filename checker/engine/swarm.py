"""Swarm runs for random simulation (`modelcheck simulate --swarm`): each run draws its
own configuration, as swarm verification does (Groce et al., "Swarm Testing", ISSTA 2012;
Holzmann et al., "Swarm Verification", ASE 2008).

The problem: a uniform walk through the group spec spends its one fault at once (a crash,
a failover or a partition growth is enabled in the first state, so nearly every run's
fault is one of those, in its first steps), then sits in a stable group doing heartbeats
that change nothing (60% of all steps). Bugs need a particular fault at a particular
moment: KAFKA-2555 was not found in 20,000 uniform runs, KAFKA-12983 not in 10,000.

A swarm run draws, from its own generator (so seed and run still reproduce it):
- which fault budgets it may spend: each counter (the spec's diagram table's [faults],
  passed in as `budgets`) kept with probability 1/2, the others never increase;
- from which step on it may spend them: a step drawn in [0, steps/2);
- a weight per action, log-uniform in [1/16, 16]: a step picks among the enabled
  instances in proportion to their action's weight, so some runs are all joins and
  few heartbeats, others the reverse.
Steps that change nothing are skipped while others are enabled, and the run ends when
only those remain (quiescent), or when only banned faults are enabled.

Measured (bench/simulate_swarm.py): every bug model of models/bugs found, at most a few
hundred runs in (522 at worst over 5 seeds); uniform runs miss 5 of the 12 in 10,000. Cost: a filter over the
successors and one weighted draw a step, about what the uniform pick costs.
"""
from __future__ import annotations

from dataclasses import dataclass
import random


@dataclass
class SwarmRun:
    """One run's configuration; `choose` is its step."""
    weights: list          # per action index
    banned: tuple          # budget counters (variable indices) that must not increase
    budgets: tuple         # every budget counter
    delay: int             # steps before which no budget may be spent

    @classmethod
    def draw(cls, rng: random.Random, n_actions: int, budgets, steps: int) -> "SwarmRun":
        weights = [2.0 ** rng.uniform(-4, 4) for _ in range(n_actions)]
        banned = tuple(b for b in budgets if rng.random() < 0.5)
        delay = rng.randrange(max(1, steps // 2)) if budgets else 0
        return cls(weights, banned, tuple(budgets), delay)

    def choose(self, rng: random.Random, state, succ: list, step: int):
        """The successor entry (action, picks, state) this run takes at `step` from
        `state`, or None when it ends here (quiescent, or only banned faults enabled)."""
        moving = [e for e in succ if e[2] != state]
        frozen = self.budgets if step < self.delay else self.banned
        if frozen:
            moving = [e for e in moving if all(e[2][b] <= state[b] for b in frozen)]
        if not moving:
            return None
        return rng.choices(moving, weights=[self.weights[e[0]] for e in moving])[0]
