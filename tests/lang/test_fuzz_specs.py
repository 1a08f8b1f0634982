"""Fuzz the front end with mutated copies of the real specs.

Each variant is one of spec/examples/{diehard,tcommit,twophase}.gdsl or spec/group.gdsl
(whole, or an excerpt of it: its declarations of types, constants and variables, one
or two of its definitions, actions or properties, and the defs and procs those call)
with one to four mutations: tokens deleted, duplicated, repeated (deep nesting),
swapped, moved, copied over one another, replaced by a token of the same kind, or
replaced by keywords, builtins, punctuation and odd literals; characters deleted,
duplicated, swapped or inserted; lines deleted, duplicated or swapped. About half the
variants use only the mutations that tend to keep the spec parseable, so that the type
checker and the compiler see more than syntax errors.

Every variant goes through the parser and the type checker, and through the compiler
when it type-checks. The only acceptable outcomes are success or a SpecError that
`.format()`s as `fuzz.gdsl:LINE:COL: error: ...` with LINE inside the file (or
`fuzz.gdsl: error: ...` for an error about the whole file, such as an empty spec) and
that does not name lark's anonymous terminals (`__ANON_1`). Anything else is a bug in
the checker; the failure shows the exception, its last frames and the diff that
provokes it. Each variant runs with the stack `modelcheck` would give it (Python's
default recursion limit, whatever pytest and Hypothesis have set), a time limit and,
on Linux, a memory limit, so a hang or a runaway allocation fails the test instead of
stalling or OOM-killing the run.

Hypothesis runs derandomized with no example database and no shrinking, so every run
(and CI) tries the same variants. The crashes found so far are kept as small
reproducers. A few mutated files also go through the command line, which must exit
with one of its documented codes and never print a traceback.
"""
from __future__ import annotations

import difflib
import os
import random
import re
import signal
import subprocess
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from checker.lang import parser, typecheck
from checker.lang.errors import SpecError
from checker.compile.model import compile_model

ROOT = Path(__file__).resolve().parents[2]
SPECS = {
    "diehard": ROOT / "spec" / "examples" / "diehard.gdsl",
    "tcommit": ROOT / "spec" / "examples" / "tcommit.gdsl",
    "twophase": ROOT / "spec" / "examples" / "twophase.gdsl",
    "group": ROOT / "spec" / "group.gdsl",
}
SOURCES = {name: path.read_text(encoding="utf-8") for name, path in SPECS.items()}
FILENAME = "fuzz.gdsl"
VARIANT_TIME_LIMIT_S = 10     # one variant through the front end; far more than it needs
VARIANT_MEMORY_LIMIT = 2 << 30  # bytes one variant may add: a MemoryError, not an OOM kill
CLI_STACK_FRAMES = 20           # frames the command line uses before it parses a spec

# ---------------------------------------------------------------- tokens and mutations

_TOKEN = re.compile(r"""
      (?P<ws>\s+)
    | (?P<comment>//[^\n]*|/\*.*?\*/)
    | (?P<string>"[^"\n]*")
    | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
    | (?P<number>[0-9]+)
    | (?P<op>==|!=|<=|>=|=>|\.\.|[{}()\[\]:,;=<>+\-*/%.'"])
    | (?P<other>.)
""", re.S | re.X)


def tokenize(text: str) -> list[str]:
    """The text as tokens, whitespace included, so that "".join(tokens) == text."""
    return [m.group() for m in _TOKEN.finditer(text)]


def _kind(token: str) -> str:
    m = _TOKEN.fullmatch(token)
    kind = m.lastgroup if m else "other"
    return "keyword" if kind == "name" and token in KEYWORDS else kind


KEYWORDS = """spec const type enum record var init def proc action when in invariant
    refuted constraint property bool int set map pmap seq option tuple scalarset let if
    then else for require choose return forall exists not and or notin true false none
    union intersect minus subseteq""".split()
BUILTINS = """size keys has get some is_some is_none min max abs sum sorted append head
    tail last to_set put remove union_all len values index_of concat""".split()
PUNCTUATION = """{ } ( ) [ ] : , ; = == != <= >= < > => .. . ' + - * / % " // /* */""".split()
LITERALS = ["0", "1", "-1", "2", "3", "007", "1000", "99999999999999999999999", '"x"', '""',
            "{}", "{:}", "[]", "()", "_", "x", "x'", "Foo", "init'", "1..0", "0..", "a.b", "{ : }"]
INSERTS = KEYWORDS + BUILTINS + PUNCTUATION + LITERALS
CHARS = list("{}()[]:,;=<>+-*/%.'\"_aZ09 \t\n\\#@$`~!?&|^") + [
    "\r", "\r\n", "\f", "\x00", "é", "λ", "\u2028", "\ufeff", "𝔸"]

OPS = ("tok_delete", "tok_delete_run", "tok_duplicate", "tok_repeat", "tok_swap_adjacent",
       "tok_swap", "tok_move", "tok_copy", "tok_same_kind", "tok_replace", "tok_insert",
       "chr_delete", "chr_duplicate", "chr_swap", "chr_insert",
       "line_delete", "line_duplicate", "line_swap")


# Mutations that often leave the spec parseable, so that the type checker and the
# compiler see more than syntax errors.
SOFT_OPS = ("tok_same_kind", "tok_delete", "tok_swap", "line_delete", "line_duplicate",
            "line_swap", "chr_delete")


def mutate(text: str, op: str, a: int, b: int, k: int) -> str:
    """Apply one mutation; a and b pick positions (modulo the length), k what to insert."""
    if op.startswith("tok_"):
        toks = tokenize(text)
        where = [i for i, t in enumerate(toks) if not t.isspace()]
        if not where:
            return f" {INSERTS[k % len(INSERTS)]} " + text
        i, j = where[a % len(where)], where[b % len(where)]
        if op == "tok_delete":
            toks[i] = ""
        elif op == "tok_delete_run":                 # up to 8 tokens in a row
            for n in where[a % len(where):][: 1 + b % 8]:
                toks[n] = ""
        elif op == "tok_duplicate":
            toks[i] = toks[i] + " " + toks[i]
        elif op == "tok_repeat":                     # deep nesting: ((((, not not not, - - -
            toks[i] = " ".join([toks[i]] * (2 + b % 400))
        elif op == "tok_swap_adjacent":
            nxt = where[(a + 1) % len(where)]
            toks[i], toks[nxt] = toks[nxt], toks[i]
        elif op == "tok_swap":
            toks[i], toks[j] = toks[j], toks[i]
        elif op == "tok_move":
            tok, toks[i] = toks[i], ""
            toks[j] = f"{tok} {toks[j]}" if i != j else tok
        elif op == "tok_copy":                       # a name or literal used out of place
            toks[i] = toks[j]
        elif op == "tok_same_kind":                  # the same kind of token: it still parses
            kind = _kind(toks[i])
            same = [t for t in toks + INSERTS if _kind(t) == kind]
            toks[i] = same[b % len(same)]
        elif op == "tok_replace":
            toks[i] = INSERTS[k % len(INSERTS)]
        elif op == "tok_insert":
            toks[i] = f"{INSERTS[k % len(INSERTS)]} {toks[i]}"
        return "".join(toks)
    if op.startswith("chr_"):
        if not text:
            return CHARS[k % len(CHARS)]
        i = a % len(text)
        if op == "chr_delete":
            return text[:i] + text[i + 1:]
        if op == "chr_duplicate":
            return text[:i] + text[i] + text[i:]
        if op == "chr_swap":
            return text[:i] + text[i + 1:i + 2] + text[i] + text[i + 2:]
        return text[:i] + CHARS[k % len(CHARS)] + text[i:]
    lines = text.split("\n")
    i, j = a % len(lines), b % len(lines)
    if op == "line_delete":
        del lines[i]
    elif op == "line_duplicate":
        lines.insert(i, lines[i])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def mutate_all(text: str, mutations) -> str:
    for m in mutations:
        text = mutate(text, *m)
    return text


def _mutation(ops):
    return st.tuples(st.sampled_from(ops), st.integers(0, 1 << 20), st.integers(0, 1 << 20),
                     st.integers(0, max(len(INSERTS), len(CHARS)) - 1))


mutation_lists = st.one_of(st.lists(_mutation(OPS), min_size=1, max_size=4),
                           st.lists(_mutation(SOFT_OPS), min_size=1, max_size=3))

# ---------------------------------------------------------------- excerpts of group.gdsl

_DECL = re.compile(r"^(spec|const|type|enum|record|var|init|def|proc|action|refuted|invariant"
                   r"|constraint|temporal|fairness)\b")
_BASE_KINDS = {"spec", "const", "type", "enum", "record", "var", "init"}


def _chunks(text: str):
    """[(keyword, name, text)] for each top-level declaration (with the comments after it)."""
    out, current = [], None
    for line in text.splitlines(keepends=True):
        m = _DECL.match(line)
        if m:
            words = re.findall(r"[A-Za-z_]\w*", line)
            name = next((w for w in words[1:] if w not in ("invariant", "action", "property")), "")
            kind = "property" if re.match(r"(refuted\s+)?action\s+property\b", line) else m.group(1)
            current = [kind, name, line]
            out.append(current)
        elif current is not None:
            current[2] += line
    return [tuple(c) for c in out]


GROUP_CHUNKS = _chunks(SOURCES["group"])
# what a chunk may need from elsewhere: functions and procs, and (for fairness) actions
_CALLABLE = {c[1]: n for n, c in enumerate(GROUP_CHUNKS) if c[0] in ("def", "proc", "action")}
_BASE = [n for n, c in enumerate(GROUP_CHUNKS) if c[0] in _BASE_KINDS]
BODY_CHUNKS = [n for n, c in enumerate(GROUP_CHUNKS) if c[0] not in _BASE_KINDS]


def group_excerpt(picks) -> str:
    """group.gdsl's base declarations, the picked chunks, and every def, proc or action
    they name."""
    keep, todo = set(_BASE), [BODY_CHUNKS[p % len(BODY_CHUNKS)] for p in picks] + list(_BASE)
    keep.update(todo)
    while todo:
        for word in set(re.findall(r"[A-Za-z_]\w*", GROUP_CHUNKS[todo.pop()][2])):
            n = _CALLABLE.get(word)
            if n is not None and n not in keep:
                keep.add(n)
                todo.append(n)
    text = "".join(GROUP_CHUNKS[n][2] for n in sorted(keep))
    if not any(GROUP_CHUNKS[n][0] == "action" for n in keep):
        text += "\naction Idle when true {\n  crashes = crashes\n}\n"
    return text


# ---------------------------------------------------------------- the oracle

# Errors that are about the whole file may have no location.
_WHOLE_FILE = re.compile(r"spec is empty|declares no state variables|declares no actions"
                         r"|binary file|not valid UTF-8")


class VariantTimeout(Exception):
    pass


class CheckerCrash(Exception):
    """The front end raised something other than a SpecError: a bug in the checker."""


def crash(e: BaseException) -> CheckerCrash:
    """A short report of `e` (a RecursionError's thousand frames are slow to print). The
    original stays the new exception's __context__, which Hypothesis uses to tell apart
    crashes raised in different places."""
    frames = traceback.extract_tb(e.__traceback__)
    where = "".join(traceback.format_list(frames[-8:]))
    return CheckerCrash(f"{type(e).__name__}: {str(e)[:500]}\n"
                        f"(last {min(8, len(frames))} of {len(frames)} frames)\n{where}")


@contextmanager
def time_limit(seconds):
    """A hang becomes a VariantTimeout (where SIGALRM exists)."""
    if not hasattr(signal, "setitimer"):
        yield
        return
    def expire(signum, frame):
        raise VariantTimeout(f"the front end took more than {seconds} s on one variant")
    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


try:
    import resource
except ImportError:  # pragma: no cover - not on Windows
    resource = None


def _address_space() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


MEMORY_GUARD = resource is not None and _address_space() is not None


@contextmanager
def memory_limit(extra: int):
    """Huge allocations raise MemoryError instead of swapping or OOM-killing the run (Linux)."""
    if not MEMORY_GUARD:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + extra
    for bound in (soft, hard):
        if bound != resource.RLIM_INFINITY:
            limit = min(limit, bound)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextmanager
def cli_stack():
    """The stack the checker gets under `modelcheck` (Python's default 1000 frames, less the
    CLI's own), whatever pytest and Hypothesis have set: a RecursionError here is one there."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 1000 - CLI_STACK_FRAMES)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def check_spec_error(e: SpecError, text: str) -> None:
    out = e.format()
    assert out.startswith(f"{FILENAME}:"), f"the error does not name the file: {out!r}"
    assert "__ANON" not in out, f"the error names one of lark's anonymous terminals: {out!r}"
    n_lines = max(1, len(text.splitlines()))
    if e.line <= 0:
        assert _WHOLE_FILE.search(e.message), f"an error without a location: {out!r}"
        assert out.startswith(f"{FILENAME}: error: "), out
    else:
        assert re.match(rf"{re.escape(FILENAME)}:\d+:\d+: error: \S", out), out
        assert e.line <= n_lines, f"line {e.line} is past the end of a {n_lines}-line file: {out!r}"


def front_end(text: str) -> str:
    """Parse, type-check and compile `text`; return how far it got. Raises on a bug."""
    with ExitStack() as guards:
        guards.enter_context(time_limit(VARIANT_TIME_LIMIT_S))
        guards.enter_context(memory_limit(VARIANT_MEMORY_LIMIT))
        guards.enter_context(cli_stack())
        try:
            spec = parser.parse(text, FILENAME)
            checked = typecheck.check(spec)
            compile_model(checked)
            return "compiled"
        except SpecError as e:
            check_spec_error(e, text)
            return "rejected"
        except Exception as e:
            raise crash(e) from None


def show(original: str, text: str) -> None:
    """Note the mutation as a diff (shown only for the failing example)."""
    diff = difflib.unified_diff(original.splitlines(), text.splitlines(), "original", FILENAME,
                                n=1, lineterm="")
    note("\n".join(list(diff)[:60]))


def run_variant(original: str, mutations) -> None:
    text = mutate_all(original, mutations)
    show(original, text)
    front_end(text)


# ---------------------------------------------------------------- the tests

# No shrinking: a failing variant is already only one to four mutations, shown as a diff,
# and shrinking one through thousands of parses takes minutes.
FUZZ = dict(derandomize=True, database=None, deadline=None, print_blob=False,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.slow
def test_the_specs_themselves_compile():
    """The fuzzers start from specs (and excerpts) that get all the way through."""
    for name, text in SOURCES.items():
        assert front_end(text) == "compiled", name
    for p in range(len(BODY_CHUNKS)):
        assert front_end(group_excerpt([p])) == "compiled", GROUP_CHUNKS[BODY_CHUNKS[p]][1]


@pytest.mark.slow
@settings(max_examples=800, **FUZZ)
@given(mutations=mutation_lists)
def test_fuzz_diehard(mutations):
    run_variant(SOURCES["diehard"], mutations)


@pytest.mark.slow
@settings(max_examples=800, **FUZZ)
@given(mutations=mutation_lists)
def test_fuzz_tcommit(mutations):
    run_variant(SOURCES["tcommit"], mutations)


@pytest.mark.slow
@settings(max_examples=800, **FUZZ)
@given(mutations=mutation_lists)
def test_fuzz_twophase(mutations):
    run_variant(SOURCES["twophase"], mutations)


@pytest.mark.slow
@settings(max_examples=800, **FUZZ)
@given(picks=st.lists(st.integers(0, len(BODY_CHUNKS) - 1), min_size=1, max_size=2),
       mutations=mutation_lists)
def test_fuzz_group_excerpts(picks, mutations):
    run_variant(group_excerpt(picks), mutations)


@pytest.mark.slow
@settings(max_examples=40, **FUZZ)
@given(mutations=mutation_lists)
def test_fuzz_group_whole(mutations):
    run_variant(SOURCES["group"], mutations)


# ---------------------------------------------------------------- crashes the fuzzing found

def _nested(expr: str) -> str:
    return ("spec S\nvar x: 0..1\ninit { x = 0 }\n"
            f"action A {{ x = if ({expr}) == 1 then 0 else 1 }}\n")


# Small specs that reproduce each bug the fuzzers (and probes around what they found)
# have turned up, one per place that raised. Each must be accepted or rejected with a
# located SpecError, like any variant.
REPRODUCERS = {
    "empty if inside an else": "spec S\nvar x: 0..1\ninit { x = 0 }\n"
                               "action A {\n  if x == 0 { x = 1 } else { if x == 1 { } }\n}\n",
    "deep nesting: parser (lark transformer)": _nested("- " * 500 + "1"),
    "deep nesting: typecheck.expr": _nested("+".join(["1"] * 400)),
    "deep nesting: typecheck._expr": _nested("abs(" * 250 + "1" + ")" * 250),
    "deep nesting: compiler._is_constant": _nested("- " * 400 + "1"),
    "deep nesting: compiler.expr": _nested("size(" + "{" * 300 + "1" + "}" * 300 + ")"),
    "deep nesting: generated Python has too many parentheses":
        _nested("min(" * 200 + "1" + ", 1)" * 200),
    "constant function out of its result type (no location)":
        "spec S\nvar x: 0..1\ndef f(): 0..1 = 5\ninit { x = 0 }\n"
        "invariant I = f() == 1\naction A { x = 0 }\n",
    "lark's name for '..' in an error": "spec S\nvar x: 0 init { x = 0 }\n",
    "partial map over a huge key range (no location)":
        "spec S\nvar x: pmap[0..99999999999999999999, 0..1]\ninit { x = {:} }\n"
        "action A { x = x }\n",
}
# These once allocated without bound in the compiler: run them only where the memory
# limit can turn a regression into a MemoryError.
MEMORY_REPRODUCERS = {
    "huge range as a module constant":
        "spec S\nvar x: 0..1\ninit { x = 0 }\naction A { x = 0 }\n"
        "invariant I = x in 0..99999999999999999999\n",
    "comprehension over a huge key type":
        "spec S\nvar x: map[0..99999999999, 0..1]\n"
        "init { x = {k: 0 for k in 0..99999999999} }\naction A { x = x }\n",
}


@pytest.mark.parametrize("text", list(REPRODUCERS.values()), ids=list(REPRODUCERS))
def test_reproducer(text):
    front_end(text)


@pytest.mark.skipif(not MEMORY_GUARD, reason="needs RLIMIT_AS and /proc to bound memory")
@pytest.mark.parametrize("text", list(MEMORY_REPRODUCERS.values()), ids=list(MEMORY_REPRODUCERS))
def test_memory_reproducer(text):
    front_end(text)


# ---------------------------------------------------------------- through the command line

CLI_OK = {0, 2, 3, 11, 12, 75}   # documented exit codes; 75: the spec failed while running
CLI_SOURCES = ["diehard", "tcommit", "twophase", "excerpt", "diehard", "tcommit", "twophase",
               "excerpt", "group", "twophase"]


def cli_variants(n=30, seed=20240611):
    """n mutated files, the same on every run: (file stem, text)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        name = CLI_SOURCES[i % len(CLI_SOURCES)]
        original = group_excerpt([rnd.randrange(len(BODY_CHUNKS))]) if name == "excerpt" \
            else SOURCES[name]
        # odd: any mutations; even: one that usually leaves a spec the checker can run
        ops, count = (OPS, rnd.randint(1, 3)) if i % 2 else (
            ("tok_same_kind", "line_delete", "line_duplicate"), 1)
        muts = [(rnd.choice(ops), rnd.randrange(1 << 20), rnd.randrange(1 << 20),
                 rnd.randrange(1 << 10)) for _ in range(count)]
        out.append((f"{i:02d}_{name}", mutate_all(original, muts)))
    return out


@pytest.mark.slow
def test_fuzz_cli(tmp_path):
    paths = []
    for stem, text in cli_variants():
        path = tmp_path / f"{stem}.gdsl"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        paths.append(path)

    def run(path):
        return subprocess.run([sys.executable, "-m", "checker.cli", str(path), "--max-states", "50",
                               "--quiet", "--out", str(tmp_path / "out")],
                              capture_output=True, text=True, errors="replace", cwd=str(ROOT),
                              timeout=120)

    with ThreadPoolExecutor(max_workers=4) as pool:
        procs = list(pool.map(run, paths))
    failures = [f"{path.name}: exit {proc.returncode}\n{proc.stdout[-1000:]}\n{proc.stderr[-3000:]}"
                for path, proc in zip(paths, procs)
                if proc.returncode not in CLI_OK or "Traceback" in proc.stdout + proc.stderr]
    assert not failures, "\n\n".join(failures)
