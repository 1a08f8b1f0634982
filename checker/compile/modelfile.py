"""Model files: a named configuration of a spec, as a TLC .cfg or Toolbox model is.

A model file (TOML) names the spec, its constant values, the properties to check,
the search options and, for the catalogue of Kafka bugs, a variation: constants
that switch one of the spec's documented fixes off. It may record the verdict it
is expected to give, so a CI gate can check a whole folder of models at once
(`modelcheck --expected models/`). The format is documented in models/README.md.

Paths inside a model file are relative to the file. Every mistake in one is
reported as `file:line:col: error: ...` at the offending key.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import os
from pathlib import Path
import re
import tomllib

from checker.lang.errors import BadConstant, SpecError, UsageError, did_you_mean

VERDICTS = ("ok", "violation", "deadlock", "incomplete")

# table -> the keys it may hold and their Python types (None: any constant value)
_SCHEMA = {
    "": {"spec": str, "description": str},
    "constants": None,
    "variation": None,
    "check": {"invariants": list, "skip": list, "deadlock": bool, "symmetry": bool, "max_states": int,
              "max_depth": int, "timeout": (int, float)},
    "expect": {"verdict": str, "property": str, "trace": str},
    "bug": {"jira": str, "prs": list, "component": str, "summary": str, "property": str},
}


@dataclass
class Expectation:
    """The verdict a model is recorded to give, and optionally its reference trace."""
    verdict: str = "ok"
    property: str | None = None
    trace: Path | None = None

    def matches(self, verdict: str, prop: str | None) -> bool:
        return verdict == self.verdict and (self.property is None or prop == self.property)

    def __str__(self) -> str:
        return self.verdict + (f" of {self.property}" if self.property else "")


class Located:
    """Errors reported at a key of a TOML file (`file:line:col: error: ...`), for the
    file types that are TOML: model files here, scenario files (checker/engine/scenario.py).
    The class using it has `path` and `source`."""

    def locate(self, key: str, table: str | None = None, index: int | None = None) -> tuple:
        """(line, col) of `key = ...` in this file (inside [table]; with `index`, inside
        the index-th (0-based) [[name]] of an array of tables, table being name or a
        sub-table name.sub of it), else (0, 0)."""
        return _locate(self.source, key, table, index)

    def error(self, message: str, key: str | None = None, table: str | None = None,
              index: int | None = None) -> SpecError:
        pos = self.locate(key, table, index) if key else (0, 0)
        return SpecError(message, pos, str(self.path), self.source)


@dataclass
class ModelFile(Located):
    path: Path
    name: str                          # the file's stem: KAFKA-12984, default, ...
    spec: Path
    description: str = ""
    constants: dict = field(default_factory=dict)     # NAME -> value text, as --const takes it
    variation: dict = field(default_factory=dict)     # the same, for the constants that put a bug back
    invariants: list | None = None
    skip: list = field(default_factory=list)
    deadlock: bool = True
    symmetry: bool = True              # reduce by the spec's scalarsets (when sound)
    max_states: int | None = None
    max_depth: int | None = None
    timeout: float | None = None
    expect: Expectation = field(default_factory=Expectation)
    bug: dict = field(default_factory=dict)
    source: str = field(default="", repr=False)

    def all_constants(self) -> dict:
        return {**self.constants, **self.variation}

    def relocate(self, e: BadConstant) -> SpecError:
        """A constant the spec refused, reported at the model file's line for it."""
        table = "variation" if e.name in self.variation else "constants"
        value = self.all_constants().get(e.name)
        what = f"{e.name} = {value}" if value is not None else e.name
        return self.error(f"{what}: {e.detail}", e.name, table)


def compile_model_file(mf: ModelFile, consts: dict | None = None, invariants: list | None = None,
                       skip: list | None = None, pack=None):
    """The model a model file describes, and its search options for explore.bfs.
    `consts`, `invariants` and `skip` come from the command line and take precedence;
    `pack(checked)`, if given, names the variables to pack (model.compile_model)."""
    from .model import compile_model, load_spec
    consts = consts or {}
    try:
        checked = load_spec(mf.spec, {**mf.all_constants(), **consts})
    except BadConstant as e:
        raise (e if e.name in consts else mf.relocate(e)) from None
    except UsageError as e:
        raise mf.error(f"spec = {mf.spec}: {e}", "spec") from None
    known = {p.name for p in checked.properties}
    for key, names in (("invariants", mf.invariants or []), ("skip", mf.skip),
                       ("property", [mf.expect.property] if mf.expect.property else [])):
        for name in names:
            if name not in known:
                raise mf.error(f"{key}: the spec has no property named {name!r}{did_you_mean(name, known)} "
                               f"(its properties: {', '.join(sorted(known))})", key)
    model = compile_model(checked, invariants or mf.invariants, skip=mf.skip + list(skip or ()),
                          packed=pack and pack(checked))
    options = dict(max_states=mf.max_states, max_depth=mf.max_depth, timeout=mf.timeout,
                   check_deadlock=mf.deadlock)
    return model, options


def is_model_file(path) -> bool:
    return str(path).endswith(".toml")


def load_model_file(path) -> ModelFile:
    """Read and validate a model file (not the spec it names: that is load_spec's job)."""
    path = Path(path)
    source, data = read_toml(path, "model file")
    mf = ModelFile(path=path, name=path.stem, spec=Path(), source=source)
    _check_schema(mf, data)
    if "spec" not in data:
        raise mf.error("a model file names its spec: add  spec = \"path/to/spec.gdsl\"  "
                       "(relative to this file)")
    mf.spec = Path(os.path.normpath(path.parent / data["spec"]))
    mf.description = data.get("description", "")
    for table in ("constants", "variation"):
        values = {k: const_text(mf, table, k, v) for k, v in data.get(table, {}).items()}
        setattr(mf, table, values)
    both = sorted(set(mf.constants) & set(mf.variation))
    if both:
        raise mf.error(f"{both[0]} is set both in [constants] and in [variation]; set it once",
                       both[0], "variation")
    check = data.get("check", {})
    for key in ("invariants", "skip"):
        names = check.get(key)
        if names is not None and not all(isinstance(n, str) and n for n in names):
            raise mf.error(f"{key} is a list of property names, e.g. {key} = [\"DisjointAssignment\"]",
                           key, "check")
    mf.invariants = check.get("invariants") or None
    mf.skip = list(check.get("skip", []))
    mf.deadlock = check.get("deadlock", True)
    mf.symmetry = check.get("symmetry", True)
    for key in ("max_states", "max_depth", "timeout"):
        value = check.get(key)
        if value is not None and not value > 0:
            raise mf.error(f"{key} must be above 0, not {value}", key, "check")
        setattr(mf, key, value)
    expect = data.get("expect", {})
    verdict = expect.get("verdict", "ok")
    if verdict not in VERDICTS:
        raise mf.error(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}", "verdict", "expect")
    trace = expect.get("trace")
    mf.expect = Expectation(verdict, expect.get("property"),
                            Path(os.path.normpath(path.parent / trace)) if trace else None)
    mf.bug = dict(data.get("bug", {}))
    return mf


def read_text(path: Path, kind: str) -> str:
    """The text of a file of some `kind` ("model file"); a clear error if it cannot be
    read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a {kind}") from None
    except UnicodeDecodeError:
        raise SpecError(f"the file is not valid UTF-8 text, not a {kind}", (0, 0), str(path), "") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read it ({e.strerror})") from None


def read_toml(path: Path, kind: str) -> tuple:
    """(source text, parsed data) of a TOML file of some `kind` ("model file"); a file
    that cannot be read or parsed is a located error."""
    source = read_text(path, kind)
    try:
        return source, tomllib.loads(source)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        pos = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e)) or "not valid TOML"
        raise SpecError(f"not a valid TOML {kind}: {message}", pos, str(path), source) from None


def _check_schema(mf: ModelFile, data: dict) -> None:
    tables = [t for t in _SCHEMA if t]
    for key, value in data.items():
        if key in tables:
            if not isinstance(value, dict):
                raise mf.error(f"{key} is a table: write it as [{key}]", key)
            continue
        allowed = _SCHEMA[""]
        if key not in allowed:
            raise mf.error(f"unknown key {key!r}; a model file has the keys "
                           f"{', '.join(allowed)} and the tables {', '.join(f'[{t}]' for t in tables)}",
                           key)
        _check_type(mf, "", key, value, allowed[key])
    for table in tables:
        allowed = _SCHEMA[table]
        if allowed is None:
            continue
        for key, value in data.get(table, {}).items():
            if key not in allowed:
                raise mf.error(f"[{table}] has no key {key!r}; its keys: {', '.join(allowed)}", key, table)
            _check_type(mf, table, key, value, allowed[key])


def _check_type(mf, table, key, value, kind):
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, (int, float)))
    if not ok:
        names = {str: "a string", list: "a list", bool: "true or false", int: "a whole number",
                 (int, float): "a number"}
        raise mf.error(f"{key} takes {names[kind]}, not {value!r}", key, table or None)


def const_text(mf, table, key, value) -> str:
    """A TOML constant value as the text --const takes: 3, true, cooperative_sticky; a
    TOML array is a set (`["p1", "p2"]` -> {p1, p2}), and a string may hold any
    constant expression (`"Cfg(n: 2, fast: true)"`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, list):
        return "{" + ", ".join(const_text(mf, table, key, v) for v in value) + "}"
    raise mf.error(f"{key}: a constant is an integer, true/false, an enum value name, an array "
                   f"(a set) or a string holding a constant expression, not {value!r}", key, table)


def _locate(source: str, key: str, table: str | None, index: int | None = None) -> tuple:
    current, count = "", {}           # count: how many [[name]] headers so far
    for i, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        header = re.match(r"(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]", stripped)
        if header:
            current = header.group(2)
            if header.group(1) == "[[":
                count[current] = count.get(current, 0) + 1
            continue
        m = re.match(r'\s*(?:"([^"]+)"|([A-Za-z0-9_-]+))\s*=', line)
        name = m and (m.group(1) or m.group(2))
        if name == key and (table is None or current == table) \
                and (index is None or count.get(current.split(".")[0], 0) == index + 1):
            return i, m.start(1 if m.group(1) else 2) + 1
    return (0, 0)
