"""The terminal (checker/cli/terminal.py): on a TTY a live status line (states, states/s,
queue, depth, elapsed) and a summary table; in CI, under --quiet or through a pipe, TLC's
plain lines. Run under a pseudo-terminal, as a person's shell runs it."""
from __future__ import annotations

import os
import pty
import select
import subprocess

from _support import CLI, DIEHARD, ROOT, run_cli

# The Python backend's live status (the native one prints its progress from C, on stderr),
# on a search long enough (seconds) that the status is called at least once: every call
# draws the line at once.
ARGS = [str(ROOT / "spec" / "group.gdsl"), "--const", "CONSUMERS=2", "--max-states", "60000", "--backend", "python"]


def _under_a_tty(args, ci=False, tmp_path=None) -> str:
    """What a terminal shows for `modelcheck ARGS` (stdout and stderr both on the TTY)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "TERM")}
    env.update(TERM="xterm-256color", COLUMNS="160", **({"CI": "true"} if ci else {}))
    proc = subprocess.Popen(CLI + args + ["--out", str(tmp_path)], stdin=slave, stdout=slave,
                            stderr=slave, env=env, cwd=ROOT, close_fds=True)
    os.close(slave)
    out = b""
    while True:                       # read until the child has exited and the TTY is drained
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:           # the child closed its side
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=120)
    os.close(master)
    assert proc.returncode == 3, out[-2000:]          # stopped by --max-states
    return out.decode("utf-8", "replace")


def test_a_tty_gets_a_live_status_and_a_summary_table(tmp_path):
    text = _under_a_tty(ARGS, tmp_path=tmp_path)
    assert "distinct states · " in text and " states/s · queue " in text and " · depth " in text
    assert "0:00:0" in text                                      # the elapsed clock
    assert "Progress: " not in text, "no plain progress lines on a terminal"
    for row in ("distinct states", "states generated", "left on queue", "depth", "elapsed", "rate"):
        assert row in text
    assert "states generated, " not in text, "the table replaces TLC's count lines"


def test_ci_and_pipes_get_tlcs_plain_lines(tmp_path):
    text = _under_a_tty(ARGS, ci=True, tmp_path=tmp_path)
    assert "distinct states · " not in text and "\x1b[" not in text
    assert "states generated, " in text and "distinct states found" in text
    piped = run_cli(DIEHARD, "--out", tmp_path)
    assert "\x1b[" not in piped.stdout + piped.stderr
    assert "distinct states found" in piped.stdout
