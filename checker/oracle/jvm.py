"""One Kafka harness process: a JVM speaking JSON lines on stdin/stdout.

The harnesses (harness/coordinator, harness/client) run Kafka's published jars; Maven
resolves and caches them, nothing is committed. `start(module, main_class)` builds the
module when its sources are newer than its build (or it was never built), starts
`java -cp target/classes:<classpath.txt> MAIN` and returns a `Harness` whose `call(op)`
writes one JSON object and reads one back.

What goes wrong is told as what to do: no `java` or no `mvn` on PATH, or Maven unable
to resolve Kafka (no network to Maven Central), raise `MissingTool` (the CLI: exit 2,
no traceback); a harness that dies or answers garbage mid-run raises `HarnessCrashed`
with the tail of its stderr, which is never a divergence. Cost: the first build
resolves about 60 MB of jars (a minute on a cold cache), later builds 5-10 s, and a
JVM start about 0.5 s; one call is a pipe round trip, about 50 µs.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
import shutil
import subprocess
import tempfile

HARNESS_DIR = Path(os.environ.get("GDSL_HARNESS_DIR", Path(__file__).resolve().parents[2] / "harness"))
INSTALL_HINT = {
    "java": "install a JDK 17 or later (Debian: apt-get install openjdk-17-jdk-headless)",
    "mvn": "install Maven 3.8 or later (Debian: apt-get install maven)",
}


class MissingTool(Exception):
    """Something the harness needs is not on this machine; the message says how to get it."""


class HarnessCrashed(Exception):
    """The harness process died or broke the protocol; the message ends with its stderr tail."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise MissingTool(f"--against-kafka needs `{name}`, which is not on PATH: {INSTALL_HINT[name]}")
    return path


tool = _tool        # public: checker/cluster starts its brokers and consumers with it


def _newest(paths) -> float:
    return max((p.stat().st_mtime for p in paths), default=0.0)


def build(module: str) -> list[str]:
    """The class path of harness/MODULE, running Maven first if the build is missing or stale."""
    _tool("java")
    root = HARNESS_DIR / module
    if not (root / "pom.xml").exists():
        raise MissingTool(f"no Kafka harness module at {root} (set GDSL_HARNESS_DIR to the repository's harness/)")
    cp_file, classes = root / "target" / "classpath.txt", root / "target" / "classes"
    sources = [*root.rglob("*.java"), root / "pom.xml", HARNESS_DIR / "pom.xml"]
    if not cp_file.exists() or _newest(sources) > cp_file.stat().st_mtime:
        mvn = _tool("mvn")
        # The module's own pom (its parent is found at ../pom.xml): a reactor build of the
        # parent would need every module it lists to exist in this checkout.
        done = subprocess.run([mvn, "-q", "-B", "-f", str(root / "pom.xml"),
                               "package", "-DskipTests"], capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            hint = ("Maven could not download Kafka's jars: it needs Maven Central (network), once; "
                    "later runs use ~/.m2" if "resolve" in tail or "transfer" in tail.lower()
                    else "the harness did not build")
            raise MissingTool(f"building harness/{module} failed: {hint}\n{tail}")
        cp_file.touch()
    return [str(classes), *cp_file.read_text().strip().split(os.pathsep)]


class Harness:
    """A running harness: `call(op)` sends one request and returns its answer (a dict)."""

    def __init__(self, module: str, main_class: str, jvm_args=()):
        classpath = build(module)
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self.module = module
        self._proc = subprocess.Popen(
            [_tool("java"), *jvm_args, "-cp", os.pathsep.join(classpath), main_class],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, bufsize=1)

    def stderr_tail(self, lines: int = 20) -> str:
        self._stderr.seek(0)
        return "\n".join(self._stderr.read().splitlines()[-lines:])

    def call(self, op: dict) -> dict:
        try:
            self._proc.stdin.write(json.dumps(op) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            self._proc.wait(timeout=10)
            raise HarnessCrashed(f"the {self.module} harness exited (code {self._proc.returncode}) "
                                 f"on {op.get('op')!r}; its stderr ends:\n{self.stderr_tail()}")
        try:
            answer = json.loads(line)
        except json.JSONDecodeError:
            raise HarnessCrashed(f"the {self.module} harness answered {line[:200]!r}, not JSON; "
                                 f"its stderr ends:\n{self.stderr_tail()}") from None
        if answer.get("crash"):
            raise HarnessCrashed(f"the {self.module} harness failed on {op.get('op')!r}: {answer['crash']}")
        return answer

    def close(self):
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
                self._proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
        self._stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
