"""A search stopped while admitting (here --max-states) counts the states generated
outside the constraints up to the state being expanded, as it counts `generated`: the
same figure in one process, with workers and natively (each expands a different chunk)."""
from __future__ import annotations

import pytest

from tests._support import ROOT, one_json_object, run_cli


@pytest.mark.slow
def test_outside_the_constraints_at_a_max_states_stop_does_not_depend_on_the_engine(tmp_path):
    figures = set()
    for args in (["--backend", "python", "--workers", "1"], ["--backend", "python", "--workers", "2"],
                 ["--backend", "native"]):
        data = one_json_object(run_cli(ROOT / "models" / "failover.toml", *args, "--max-states", "100000",
                                       "--json", "--out", tmp_path, timeout=600).stdout)
        assert data["verdict"] == "incomplete"
        figures.add((data["distinct_states"], data["states_generated"], data["states_outside_constraints"]))
    assert len(figures) == 1, figures
