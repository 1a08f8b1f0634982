"""What a person reads: the TLC-style summary and traces showing only what changed."""
from __future__ import annotations

from checker.engine.outcome import step_title
from checker.lang.values import show


def format_trace(model, trace, loop=None, closing=None) -> str:
    """Numbered states, each headed by its action; after the first, only changed variables.
    A lasso (`loop` set) ends by saying how the last state leads back to state loop+1:
    by the step `closing`, or by stuttering (closing.action None)."""
    out = []
    prev = None
    for i, step in enumerate(trace, 1):
        out.append(f"State {i}: {step_title(model, step)}")
        for name, t, value, old in zip(model.var_names, model.var_types, step.state,
                                       prev.state if prev else [None] * len(step.state)):
            if prev is None:
                out.append(f"  {name} = {show(value, t)}")
            elif value != old:
                out.append(f"  {name} = {show(value, t)}    (was {show(old, t)})")
        if prev is not None and step.state == prev.state:
            out.append("  (nothing changed)")
        prev = step
    if loop is not None:
        out.append(_loop_text(model, len(trace), loop + 1, closing))
    return "\n".join(out)


def _loop_text(model, last, first, closing) -> str:
    if closing is None:
        return f"Then repeats from state {first} forever."
    if closing.action is None:
        return (f"Then nothing changes any more (stuttering): the behaviour stays in state {first} "
                f"forever.")
    how = step_title(model, closing)
    if first == last:
        return f"Then {how} again and again, which changes nothing: state {first} repeats forever."
    return f"Then {how} leads back to state {first}: states {first} to {last} repeat forever."


def describe_verdict(result) -> str:
    v = result.verdict
    if v == "ok":
        return "Model checking completed. No error has been found."
    if v == "violation":
        kind = {"invariant": "Invariant", "temporal": "Temporal property"}.get(result.property_kind,
                                                                            "Action property")
        which = f" ({result.message})" if result.property_kind == "temporal" and result.message else ""
        return f"Error: {kind} {result.property} is violated{which}."
    if v == "deadlock":
        return "Error: Deadlock reached."
    if v == "error":
        return f"Error: the spec failed while being evaluated: {result.message}"
    if result.stopped_by == "interrupted":
        return "Interrupted: the search was stopped before it was complete; nothing was found so far."
    if result.stopped_by == "memory":
        return (f"Incomplete: out of memory (the limit is --memory-limit); no error was found in "
                f"the {result.distinct} states explored, which is not a pass.")
    return (f"Incomplete: the search stopped at --{result.stopped_by} before it was complete; "
            f"no error was found in the {result.distinct} states explored, which is not a pass.")


def summary_lines(result) -> list:
    extra = []
    if result.liveness_elapsed:
        extra.append(f"Temporal properties checked on the state graph in {result.liveness_elapsed:.2f}s.")
    if result.coverage:
        extra.extend(coverage_lines(result.coverage))
    if result.constrained:
        extra.append(f"{result.constrained} of the states generated lay outside the state constraints: "
                     f"checked, but not stored or expanded (as TLC's CONSTRAINT).")
    return extra + [
        f"{result.generated} states generated, {result.distinct} distinct states found, "
        f"{result.queue_left} states left on queue.",
        f"The depth of the {'complete ' if result.verdict == 'ok' else ''}state graph search is {result.depth}.",
        *_fingerprint_lines(result),
        f"Finished in {result.elapsed:.2f}s"
        + (f" ({result.distinct / result.elapsed:,.0f} distinct states/s)." if result.elapsed > 0 else "."),
    ]


def _fingerprint_lines(result) -> list:
    """TLC's line on fingerprint collisions, and what the visited set took."""
    if not result.visited_bytes or not result.distinct:
        return []
    return [f"The probability of a fingerprint collision is {result.collision_probability:.1E} "
            f"(calculated, optimistic); the visited set took {result.visited_bytes / result.distinct:.0f} "
            f"bytes a state."]


def coverage_lines(facts) -> list:
    """The graph facts of stategraph.graph_facts, as TLC prints coverage."""
    out = [f"The state graph has {facts['sccs']} strongly connected components; "
           f"{facts['no_way_back']} states have no way back to an initial state.",
           "Coverage (steps taken, new states found, per action):"]
    width = max((len(name) for name in facts["coverage"]), default=0)
    for name, c in facts["coverage"].items():
        note = "    never enabled" if c["steps"] == 0 else ""
        out.append(f"  {name:<{width}}  {c['steps']:>10}  {c['distinct']:>10}{note}")
    return out
