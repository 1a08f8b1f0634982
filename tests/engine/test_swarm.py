"""Swarm runs (checker/engine/swarm.py, `modelcheck simulate --swarm`): bugs uniform walks
miss are found within a few hundred runs; a run's configuration comes from its own
generator, so seed and run reproduce it; temporal properties are judged on a run's
stuttering lassos."""
from __future__ import annotations

import random
import re

import pytest

from checker.compile.modelfile import compile_model_file, load_model_file
from checker.engine.simulate import simulate
from checker.engine.swarm import SwarmRun
from checker.traces.diagram import load_table

from _support import ROOT, run_cli

BUGS = ROOT / "models" / "bugs"


def _model(name):
    mf = load_model_file(BUGS / f"{name}.toml")
    model, _ = compile_model_file(mf, {}, [], [], None)
    budgets = tuple(model.var_names.index(v) for v in load_table(model).faults)
    return mf, model, budgets


@pytest.mark.parametrize("name", ["KAFKA-2555", "KAFKA-12983", "KAFKA-12890"])
def test_swarm_runs_find_what_uniform_walks_miss(name):
    mf, model, budgets = _model(name)
    sim = simulate(model, runs=10_000, steps=100, seed=0, swarm=True, budgets=budgets)
    assert sim.result.property == mf.expect.property
    assert sim.failing_run is not None and sim.failing_run <= 500, sim.failing_run
    uniform = simulate(model, runs=sim.failing_run, steps=100, seed=0)
    assert uniform.result.verdict == "ok", "the uniform walks of as many runs miss it (the point of swarm)"


def test_a_swarm_run_is_reproduced_by_its_seed_and_run():
    _, model, budgets = _model("KAFKA-2555")
    a = simulate(model, runs=10_000, steps=100, seed=7, swarm=True, budgets=budgets)
    b = simulate(model, runs=10_000, steps=100, seed=7, swarm=True, budgets=budgets)
    assert a.failing_run == b.failing_run and [s.state for s in a.result.trace] == [s.state for s in b.result.trace]


def test_a_swarm_run_never_spends_a_banned_budget_nor_any_before_its_delay():
    _, model, budgets = _model("KAFKA-12983")
    rng = random.Random(3)
    for _ in range(200):
        run = SwarmRun.draw(rng, len(model.action_names), budgets, 100)
        assert set(run.banned) <= set(budgets) and 0 <= run.delay < 50
        assert all(1 / 16 <= w <= 16 for w in run.weights)
    init = model.init_states()[0]
    run = SwarmRun([1.0] * len(model.action_names), tuple(budgets), tuple(budgets), 0)
    succ = model.labelled_successors(init)
    for _ in range(50):
        a, p, t = run.choose(rng, init, succ, 10)
        assert all(t[b] == init[b] for b in budgets), model.action_names[a]


def test_simulate_swarm_on_the_command_line(tmp_path):
    proc = run_cli("simulate", BUGS / "KAFKA-2555.toml", "--swarm", "--runs", "10000", "--seed", "0",
                   "--out", tmp_path, "--quiet")
    found = re.search(r"Found in run (\d+) of seed 0", proc.stdout)
    assert proc.returncode == 12 and found
    again = run_cli("simulate", BUGS / "KAFKA-2555.toml", "--swarm", "--runs", "10000", "--seed", "0",
                    "--out", tmp_path / "again", "--quiet")
    assert f"Found in run {found.group(1)} of seed 0" in again.stdout      # the seed reproduces it
    bad = run_cli(BUGS / "KAFKA-2555.toml", "--swarm")
    assert bad.returncode == 2 and "--swarm is an option of --simulate" in bad.stderr
