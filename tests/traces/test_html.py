"""The step-through page (checker/traces/html.py, `--html FILE`), opened in headless Chromium:
it draws the diagram and the first step's variables by itself (inline script, no
network), and `#step=N` opens step N. Needs the Debian package chromium; without it
this test fails and says so (it is never skipped)."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from _support import ROOT, run_cli

TRACE = ROOT / "counterexamples" / "KAFKA-8500.itf.json"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("headless Chromium is needed to test the HTML page: install it with "
                    "`apt-get install -y chromium` (Debian package chromium)")
    return found


def browse(tmp_path, url, *what):
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    proc = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *what, url],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    path = out / "trace.html"
    proc = run_cli("--replay", TRACE, "--html", path)
    assert proc.returncode == 12, proc.stderr
    assert f"Step-through page (8 states) written to {path}" in proc.stdout
    return path


def test_the_page_is_self_contained(page):
    text = page.read_text()
    assert "<script src" not in text and "<link" not in text
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in text.replace("https://apalache-mc.org", "")


@pytest.mark.slow
def test_chromium_shows_the_first_step(page, tmp_path):
    dom = browse(tmp_path, page.as_uri(), "--dump-dom")
    assert 'id="position">Step 1 of 8<' in dom                   # written by the page's script
    assert 'id="step-title">State 1: &lt;Initial state&gt;<' in dom
    assert '<td class="name">groupState</td><td>Empty</td>' in dom
    assert dom.count('class="row') == 8 and 'class="row current"' in dom
    shot = tmp_path / "first.png"
    browse(tmp_path, page.as_uri(), f"--screenshot={shot}", "--window-size=1200,900")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000   # a drawn page, not a blank one


def test_chromium_opens_the_step_in_the_address(page, tmp_path):
    dom = browse(tmp_path, page.as_uri() + "#step=8", "--dump-dom")
    assert 'id="position">Step 8 of 8<' in dom
    assert "✗ invariant OneMemberPerInstance violated" in dom
    assert 'class="changed"><td class="name">members</td>' in dom
