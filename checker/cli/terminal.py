"""The terminal a run reports to. A search of the group spec takes minutes; a
125-character log line every two seconds is what TLC prints, and what a CI log wants,
but not what a person at a terminal wants to watch.

So on an interactive terminal (stderr a TTY, not CI, not --quiet, not --json) the
progress is one live status line drawn by rich, redrawn four times a second (states,
states/s, queue, depth, elapsed), erased when the run ends; and the counts at the end
are a summary table when stdout is a TTY. Anywhere else the progress is TLC's plain
lines on stderr every two seconds, and the counts TLC's lines. Invariant: the report on
stdout is the same text whatever the terminal, but for the table replacing the count
lines. Cost: one redraw a quarter-second (rich draws in its own thread).
One entry point for the progress, `Status`, and one for the counts, `print_counts`.
"""
from __future__ import annotations

import os
import sys

# The variables CI services set (GitHub Actions, GitLab, Buildkite, Jenkins, Azure, CircleCI, Travis).
_CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD", "CIRCLECI",
                 "TRAVIS")


def interactive(stream) -> bool:
    """Whether `stream` is a person's terminal: a TTY, outside CI, not a dumb terminal."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and not any(os.environ.get(v) for v in _CI_VARIABLES) and os.environ.get("TERM") != "dumb"


class Status:
    """The progress of one run: `search` and `simulation` are the callbacks the engines
    take (explore.print_progress and simulate.print_progress are the plain ones);
    `every` how often they are called. Use it as a context manager around the run."""

    def __init__(self, title: str, quiet: bool = False):
        self.title = title
        self.live = None
        self.quiet = quiet
        self.every = 0.25 if not quiet and interactive(sys.stderr) else 2.0

    def __enter__(self):
        if not self.quiet and interactive(sys.stderr):
            from rich.console import Console
            from rich.live import Live
            self.live = Live(self._line("starting"), console=Console(stderr=True), transient=True,
                             refresh_per_second=4)
            self.live.start()
        return self

    def __exit__(self, *exc):
        if self.live is not None:
            self.live.stop()
            self.live = None
        return False

    @property
    def search(self):
        from checker.engine.explore import print_progress
        return self._callback(print_progress, self._search)

    @property
    def simulation(self):
        from checker.engine.simulate import print_progress
        return self._callback(print_progress, self._simulation)

    def _callback(self, plain, live):
        """None under --quiet; the live one on a terminal; else TLC's plain lines."""
        return None if self.quiet else plain if self.live is None else live

    def _search(self, distinct, generated, depth, queue, elapsed, stream=None):
        rate = distinct / elapsed if elapsed > 0 else 0.0
        self.live.update(self._line(f"{distinct:,} distinct states · {rate:,.0f} states/s · "
                                    f"queue {queue:,} · depth {depth} · {generated:,} generated",
                                    elapsed), refresh=True)       # drawn now, not at the next tick

    def _simulation(self, run, runs, steps, elapsed, stream=None):
        rate = steps / elapsed if elapsed > 0 else 0.0
        self.live.update(self._line(f"run {run:,} of {runs:,} · {steps:,} steps · {rate:,.0f} steps/s",
                                    elapsed), refresh=True)

    def _line(self, text, elapsed=0.0):
        from rich.spinner import Spinner
        from rich.text import Text
        clock = f"{int(elapsed) // 3600}:{int(elapsed) // 60 % 60:02}:{int(elapsed) % 60:02}"
        return Spinner("dots", Text.assemble((self.title, "bold"), "  ", text, "  ", (clock, "cyan")))


def print_counts(result, lines) -> None:
    """The counts at the end of a search: TLC's `lines`, or on a terminal a table of them
    (the lines that are not counts printed as they are)."""
    if not interactive(sys.stdout) or not hasattr(result, "distinct") or not hasattr(result, "generated"):
        for line in lines:
            print(line)
        return
    from rich.console import Console
    from rich.table import Table
    for line in lines:
        if not (line.startswith(("The depth of", "The probability", "Finished in")) or "states generated" in line):
            print(line)
    table = Table(title=None, show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    rate = result.distinct / result.elapsed if result.elapsed > 0 else 0.0
    for what, value in (("distinct states", f"{result.distinct:,}"),
                        ("states generated", f"{result.generated:,}"),
                        ("left on queue", f"{result.queue_left:,}"),
                        ("depth", f"{result.depth}"),
                        ("elapsed", f"{result.elapsed:.2f} s"),
                        ("rate", f"{rate:,.0f} distinct states/s")):
        table.add_row(what, value)
    if getattr(result, "visited_bytes", 0) and result.distinct:
        table.add_row("fingerprint collision", f"{result.collision_probability:.1E} (calculated, optimistic)")
    Console().print(table)
