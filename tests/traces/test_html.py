"""The step-through page (checker/traces/html.py, `--html FILE`), opened in headless Chromium:
it draws the diagram and the first step's variables by itself (inline script, no
network), and `#step=N` opens step N. Needs the Debian package chromium; without it
this test fails and says so (it is never skipped). The page of a bug trace is driven
through its address (`#step=N&q=TEXT&changed=1`, what the controls set) and its DOM
checked: the per-consumer lanes, the sticky lane header, only-what-changed, the
search, the property's text and spec link; its screenshots are kept in
test-artifacts/ (not tracked)."""
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
    assert '<td class="name">groupState</td><td>Empty</td>' in dom          # the coordinator's table
    assert '<th>per consumer</th><th>Consumer1</th><th>Consumer2</th>' in dom  # a lane per consumer
    assert dom.count('class="row') == 8 and 'class="row current"' in dom
    shot = tmp_path / "first.png"
    browse(tmp_path, page.as_uri(), f"--screenshot={shot}", "--window-size=1200,900")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000   # a drawn page, not a blank one


def test_chromium_opens_the_step_in_the_address(page, tmp_path):
    dom = browse(tmp_path, page.as_uri() + "#step=8", "--dump-dom")
    assert 'id="position">Step 8 of 8<' in dom
    assert "✗ invariant OneMemberPerInstance violated" in dom
    assert '<td class="name">members</td><td class="changed">' in dom


ARTIFACTS = ROOT / "test-artifacts"
BUG = ROOT / "counterexamples" / "KAFKA-12983.itf.json"


@pytest.fixture(scope="module")
def bug_page(tmp_path_factory):
    path = tmp_path_factory.mktemp("bug") / "KAFKA-12983.html"
    proc = run_cli("replay", BUG, "--html", path)
    assert proc.returncode == 12, proc.stderr
    return path


@pytest.mark.slow
def test_chromium_shows_each_consumers_lane_and_the_property(bug_page, tmp_path):
    dom = browse(tmp_path, bug_page.as_uri() + "#step=26", "--dump-dom")
    assert 'id="position">Step 26 of 26<' in dom
    # the lanes: each consumer's entries side by side; both own partitions 0 and 1 (the bug)
    assert '<th>per consumer</th><th>Consumer1</th><th>Consumer2</th>' in dom
    assert '<td class="name">owned</td><td>{0, 1}</td><td class="changed">{0, 1}</td>' in dom
    # the participants' names live in their own sticky header above the diagram
    assert '<svg id="lanehead"' in dom and dom.count('class="lane-name"') == 3
    # the property: its text and a link to its line
    assert 'href="file://' in dom and 'group.gdsl#L' in dom
    assert ">invariant NoDoubleOwnership (" in dom and "invariant NoDoubleOwnership =\n  forall c1, c2" in dom
    # a change is written out whole (it was cut at 40 characters)
    assert "toClient[Consumer2] = none (was Response(api: SyncGroup, error: NONE, epoch: 0, member: none, " \
           "gen: -1, leader: false, members: {:}, order: [], skip: false, assignment: {0, 1}))" in dom


@pytest.mark.slow
def test_chromium_only_what_changed_and_search(bug_page, tmp_path):
    dom = browse(tmp_path, bug_page.as_uri() + "#step=26&changed=1", "--dump-dom")
    rows = dom.count('<tr data-cells=')
    hidden = dom.count('class="hidden"')
    assert rows == 37 and hidden == 33, (rows, hidden)     # of its 37 variables, 4 changed at step 26
    assert '<tr data-cells="39,40"><td class="name">owned</td>' in dom
    dom = browse(tmp_path, bug_page.as_uri() + "#step=1&q=UNKNOWN_MEMBER_ID", "--dump-dom")
    assert 'id="hits">2 steps mention it<' in dom
    assert dom.count('class="row hit"') == 2 and 'data-step="19"' in dom


@pytest.mark.slow
def test_chromium_screenshots_of_the_bug_page_are_kept(bug_page, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    for view in ("step=16", "step=26&changed=1"):
        shot = ARTIFACTS / f"html-KAFKA-12983-{view.replace('&', '-').replace('=', '')}.png"
        browse(tmp_path, bug_page.as_uri() + "#" + view, f"--screenshot={shot}", "--window-size=1400,900")
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000, shot
