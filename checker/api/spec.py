"""A spec loaded from Python: check, simulate, prove, replay (the API's one concept).

The problem: the engines take a compiled Model and dozens of options the command
line assembles (packing, symmetry, backend, memory limit), and a constant had to be
given as the text `--const` takes. Here `load(path, CONSUMERS=2)` takes constants
as Python values (int, bool, an enum value's name) and validates them with the
command line's own messages; a spec or model file's mistakes raise `GdslError`
(located: path, line, column), never a raw AttributeError or KeyError. The
invariant: each method runs the engine the command line runs for the same question
(`check` picks the backend as `--backend auto` does: checker/cli/backend.py) and
gives the same verdict and counts. The cost: a model is compiled once per
(packed, properties) combination and cached on the Spec; the group spec compiles
in about 1 s. Public entry points: `load`, `replay`.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
import types as _pytypes
from typing import NamedTuple

from checker.lang.errors import BadConstant, EvalError, SpecError, UsageError
from checker.lang.values import show

from .results import Replayed, Result, Trace
from .values import python_value

BACKENDS = ("python", "native", "auto")


class GdslError(Exception):
    """A spec, model file, trace, constant or option the checker refuses. `str()` is the
    command line's message (`file:line:col: error: ...` with the line and a caret);
    `path`, `line`, `col` locate it when it has a place (else "" and 0)."""

    def __init__(self, message: str, path: str = "", line: int = 0, col: int = 0):
        super().__init__(message)
        self.message, self.path, self.line, self.col = message, path, line, col


@contextmanager
def _errors(constants: dict | None = None):
    """The checker's own errors as GdslError."""
    try:
        yield
    except BadConstant as e:
        given = (constants or {}).get(e.name, e.text)
        text = e.format().replace(f"--const {e.name}" + (f"={e.text}" if e.text is not None else ""),
                                  f"constant {e.name}" + (f"={given!r}" if e.text is not None else ""), 1)
        raise GdslError(text, e.path, e.line, e.col) from None
    except SpecError as e:
        raise GdslError(e.format(), e.path, e.line, e.col) from None
    except UsageError as e:
        raise GdslError(str(e)) from None


def _const_text(name, value) -> str:
    """A Python constant value as `--const` takes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return str(value)
    raise GdslError(f"constant {name}={value!r}: a constant is an int, a bool or an enum value's name "
                    f"(a str), not {type(value).__name__}")


def _whole(**given) -> None:
    """Counts and bounds a question takes: whole numbers of 1 or more (None: no bound);
    a timeout, seconds above 0."""
    for name, value in given.items():
        if value is None:
            continue
        if name == "timeout":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
        else:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        if not ok:
            what = "a number of seconds above 0" if name == "timeout" else "a whole number of 1 or more"
            raise GdslError(f"{name}={value!r}: give {what}")


def load(path, constants: dict | None = None, **more) -> "Spec":
    """A spec (.gdsl) or model file (.toml), with constants given as a dict or as keyword
    arguments: `load("spec/group.gdsl", CONSUMERS=2, ASSIGNOR="sticky")`."""
    return Spec(path, {**(constants or {}), **more})


class Spec:
    """A loaded spec (see load). Its constants, variables, actions and properties are
    plain data; `check`, `simulate`, `prove`, `bmc` and `state_graph` run it."""

    def __init__(self, path, constants: dict):
        from checker.compile.modelfile import is_model_file, load_model_file
        self.path = str(path)
        self._given = dict(constants)
        self._texts = {n: _const_text(n, v) for n, v in constants.items()}
        self._models: dict = {}
        with _errors(self._given):
            self._file = load_model_file(self.path) if is_model_file(self.path) else None
            if self._file is not None:          # a model file's mistakes are found at load
                c = self._compile(packed=False, invariants=None, skip=None)[0].checked
            else:
                from checker.compile.model import load_spec
                c = load_spec(self.path, self._texts)
        self._checked = c
        self.name = c.name
        self.constants = {n: python_value(i.value, i.type) for n, i in c.consts.items()}
        self.variables = {v.name: str(v.type) for v in c.vars}
        self.actions = [a.name for a in c.actions]
        self.invariants = [p.name for p in c.properties if p.kind == "invariant"]
        self.properties = [p.name for p in c.properties]
        self.expect = self._file.expect if self._file else None     # a model file's [expect]

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={v!r}" for n, v in self._given.items())
        return f"<Spec {self.name} ({self.path}){' ' + shown if shown else ''}>"

    # ---- compiling, once per combination

    def _compile(self, packed: bool, invariants, skip):
        key = (packed, tuple(invariants or ()), tuple(skip or ()))
        if key not in self._models:
            from checker.compile.model import compile_model
            from checker.compile.modelfile import compile_model_file
            from checker.compile.packing import packed_variables
            pack = (lambda checked: packed_variables(checked, keep_scalarsets=True)) if packed else None
            if self._file is not None:
                model, opts = compile_model_file(self._file, self._texts, list(invariants or ()),
                                                 list(skip or ()), pack)
            else:
                checked = self._checked
                model, opts = compile_model(checked, list(invariants or ()) or None, skip=list(skip or ()),
                                            packed=pack and pack(checked)), {}
            self._models[key] = model, opts
        return self._models[key]

    def _properties_known(self, names) -> None:
        for n in names or ():
            if n not in self.properties:
                from checker.lang.errors import did_you_mean
                raise GdslError(f"the spec has no property named {n!r}{did_you_mean(n, self.properties)} "
                                f"(its properties: {', '.join(self.properties)})")

    # ---- the questions

    def check(self, *, invariants=None, skip=None, deadlock: bool | None = None, max_states=None,
              max_depth=None, timeout=None, symmetry: bool = True, backend: str = "auto", workers: int = 1,
              progress=None, progress_every: float = 2.0) -> Result:
        """The exhaustive breadth-first search of `modelcheck check`: every reachable state
        (up to the bounds), the first violation found with a shortest trace. `invariants`
        and `skip` choose properties as --invariant and --skip do; a model file's own
        options apply unless given. `backend`: python | native | auto (as the CLI: native
        when it can answer the whole question and a C compiler is there). `progress`, if
        given, is called every `progress_every` seconds with a Progress (the native
        backend calls it once, at the end)."""
        if backend not in BACKENDS:
            raise GdslError(f"backend={backend!r}: give one of {', '.join(BACKENDS)}")
        _whole(max_states=max_states, max_depth=max_depth, timeout=timeout, workers=workers)
        self._properties_known([*(invariants or ()), *(skip or ())])
        from checker.cli.backend import choose
        from checker.compile.symmetry import symmetry_of
        from checker.engine.liveness import search
        from checker.engine.memory import default_limit
        with _errors(self._given):
            model, fopts = self._compile(packed=True, invariants=invariants, skip=skip)
            opts = dict(max_states=max_states or fopts.get("max_states"),
                        max_depth=max_depth or fopts.get("max_depth"), timeout=timeout or fopts.get("timeout"),
                        check_deadlock=fopts.get("check_deadlock", True) if deadlock is None else deadlock,
                        workers=workers)
            sym = symmetry_of(model) if symmetry and (self._file is None or self._file.symmetry) else None
            if sym is not None and (sym.unsound_reason or model.temporal):
                sym = None
            opts["symmetry"] = sym
            opts["memory_limit"] = default_limit()       # as the CLI's default --memory-limit
            args = _pytypes.SimpleNamespace(simulate=False, graph=None, coverage=False, backend=backend)
            native, _ = choose(model, opts, args, whole_graph=bool(model.temporal))
            if native is not None:
                result = native.run(**opts)
                if progress is not None:
                    progress(Progress(result.distinct, result.generated, result.depth, result.queue_left,
                                      result.elapsed))
            else:
                tick = None if progress is None else (lambda *counts: progress(Progress(*counts)))
                result, _ = search(model, None, progress=tick, progress_every=progress_every, **opts)
        return _result(model, result, "native" if native is not None else "python")

    def simulate(self, *, runs: int = 100, steps: int = 100, seed: int = 0, deadlock: bool = True,
                 timeout=None, swarm: bool = False, progress=None) -> Result:
        """Random walks (`modelcheck simulate`): `runs` walks of up to `steps` steps from
        `seed`; stops at the first violation. Not a proof: an ok verdict says none was met.
        `progress(SimulationProgress)` every 2 seconds."""
        from checker.cli.simulate import run_options
        _whole(runs=runs, steps=steps, timeout=timeout)
        with _errors(self._given):
            model = self._compile(packed=False, invariants=None, skip=None)[0]
            tick = None if progress is None else (lambda *counts: progress(SimulationProgress(*counts)))
            args = _pytypes.SimpleNamespace(seed=seed, runs=runs, steps=steps, swarm=swarm)
            sim = run_options(model, args, dict(check_deadlock=deadlock, timeout=timeout), progress=tick)
        out = _result(model, sim.result, "python")
        out.generated = sim.steps
        return out

    def prove(self, *, k: int = 1, timeout=None) -> Result:
        """`modelcheck prove`: the invariants (with the lemmas) proved inductive by z3,
        for every reachable state of any depth. verdict ok: proved; violation: the base
        case fails (a trace); incomplete: not inductive (`message` names which)."""
        from checker.cli.symbolic import system_for
        from checker.symbolic.induction import prove
        _whole(k=k, timeout=timeout)
        with _errors(self._given):
            model = self._compile(packed=False, invariants=None, skip=None)[0]
            proof = prove(system_for(model, with_lemmas=True), model, k=k, timeout=timeout)
        if proof.violation is not None:
            return _result(model, proof.violation, "z3")
        verdict = "ok" if proof.verdict == "proved" else "incomplete"
        message = None if verdict == "ok" else (proof.reason or "not inductive: "
                                                + ", ".join(c.prop for c in proof.ctis))
        return Result(verdict, None, None, 0 if verdict == "ok" else 3, elapsed=proof.elapsed,
                      message=message, backend="z3")

    def bmc(self, depth: int, *, timeout=None) -> Result:
        """`modelcheck prove --bmc DEPTH`: z3 looks for a violation in behaviours of up to
        `depth` states."""
        from checker.cli.symbolic import system_for
        from checker.symbolic.bmc import bmc
        _whole(depth=depth, timeout=timeout)
        with _errors(self._given):
            model = self._compile(packed=False, invariants=None, skip=None)[0]
            result = bmc(system_for(model), model, depth, timeout=timeout)
        return _result(model, result, "z3")

    def replay(self, trace_file) -> Replayed:
        """A trace file (.itf.json) re-executed on this spec, with these constants."""
        return replay(trace_file, self.path, self._given)

    def state_graph(self, max_states: int = 2000):
        """Every reachable state and step, as a StateGraphPicture (a networkx DiGraph that
        draws itself as SVG in a notebook); GdslError beyond `max_states` states."""
        from .picture import state_graph
        _whole(max_states=max_states)
        with _errors(self._given):
            return state_graph(self._checked, max_states)

    def initial_state(self) -> dict:
        """The (first) initial state, as {variable: plain value}."""
        with _errors(self._given):
            model = self._compile(packed=False, invariants=None, skip=None)[0]
            first = model.init_states()[0]
        return {n: python_value(v, t) for n, t, v in zip(model.var_names, model.var_types,
                                                          model.export_state(first) if model.packed else first)}

    def show(self, name: str) -> str:
        """A constant's value as the spec writes it."""
        c = self._checked.consts[name]
        return show(c.value, c.type)


class Progress(NamedTuple):
    """How far a search is (the counts of the CLI's progress lines)."""
    distinct: int
    generated: int
    depth: int
    queue: int
    elapsed: float          # seconds


class SimulationProgress(NamedTuple):
    """How far a simulation is."""
    run: int
    runs: int
    steps: int              # taken in all runs
    elapsed: float


def _result(model, r, backend) -> Result:
    trace = None
    if r.trace is not None:
        trace = Trace(model, r.trace, r.loop, r.loop_step, r.property, r.property_kind)
    return Result(r.verdict, r.property, r.property_kind, r.exit_code, r.distinct, r.generated, r.depth,
                  r.elapsed, r.message, r.stopped_by, backend, trace, _engine=r)


def replay(trace_file, spec=None, constants: dict | None = None) -> Replayed:
    """`modelcheck replay`: a recorded trace (.itf.json) re-executed on its spec (or on
    `spec`), with `constants` changed from the recorded ones if given."""
    from checker.engine.replay import replay_file, replay_lines
    constants = dict(constants or {})
    texts = {n: _const_text(n, v) for n, v in constants.items()}
    with _errors(constants):
        try:
            rep = replay_file(trace_file, None if spec is None else str(spec), texts)
        except EvalError as e:
            raise GdslError(f"{trace_file}: the spec failed while replaying it: {e}") from None
    trace = Trace(rep.model, rep.trace, rep.loop, rep.closing, rep.property, rep.property_kind) if rep.trace else None
    return Replayed(rep.reproduced, rep.property, rep.exit_code, "\n".join(replay_lines(rep)),
                    rep.mismatch.index if rep.mismatch else None, trace)
