"""The explicit engines over a compiled model: breadth-first search (explore.py) with
worker processes and fingerprints, the state graph and liveness, random simulation,
replay of traces, and scenarios. Their common vocabulary (steps, results, verdicts and
exit codes) is outcome.py."""
