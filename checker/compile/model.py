"""A compiled spec as engines see it: initial states, successors, properties.

Like stateright's Model, this is kept apart from the engines that explore it
(checker/engine/explore.py) and the writers that show what they found.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from checker.lang import modules, typecheck
from checker.lang.errors import SpecError, too_deep
from checker.lang.selection import Selection, select

from .compiler import Compiler

_ABSENT = object()      # a parameter an action instance does not have


@dataclass
class Model:
    name: str
    path: str
    checked: typecheck.CheckedSpec
    var_names: list
    var_types: list
    action_names: list
    action_params: dict            # action index -> {name: Type}, parameters and choices
    invariants: list               # PropertyInfo, the ones being checked
    action_properties: list
    init_states: object            # () -> [state]
    successors: object             # state -> [state]
    labelled_successors: object    # state -> [(action index, ((name, value), ...), state)]
    check_invariants: object       # state -> index of violated invariant or -1
    check_invariants_after: object  # (state, successor) -> the same for the successor of a state
                                    # that satisfies them all (an unchanged invariant is not evaluated)
    check_steps: object            # (state, state) -> index of violated action property or -1
    check_steps_moving: object     # the same for a step from a state whose stuttering step
                                   # satisfies them all (an unchanged property is not evaluated)
    invariants_decided: bool = False  # every invariant checked holds in every state of its types
                                      # (a TypeOK): none is evaluated
    constraints: list = field(default_factory=list)      # PropertyInfo: states outside are not expanded
    check_constraints: object = None  # state -> index of the first constraint it breaks, or -1
    temporal: list = field(default_factory=list)         # PropertyInfo, the temporal ones being checked
    fairness: list = field(default_factory=list)         # FairnessInfo, every declaration of the spec
    conditions: dict = field(default_factory=dict)       # see properties.Properties.condition_functions
    source: str = field(repr=False, default="")
    namespace: dict = field(repr=False, default_factory=dict)
    packed: dict = field(default_factory=dict)   # variable name -> layout: held as an int (packing.py)
    export_state: object = None    # state -> the same state with its packed variables unpacked
    import_state: object = None    # the other way
    selection: Selection | None = None   # what this model checks (lang/selection.py)
    hash_apart: bool = False       # a state may hold both -1 and -2 (engine/fingerprints.py)
    covers: list = field(default_factory=list)   # PropertyInfo of the covers checked (cover, cover_action)
    check_covers: object = None    # (state, successor, open bits) -> the bits of the covers reached

    def export_trace(self, trace) -> list:
        """A trace of the search's states as users see them: packed variables unpacked."""
        if not self.packed or trace is None:
            return trace
        return [replace(step, state=self.export_state(step.state)) for step in trace]

    @property
    def constants(self) -> dict:
        return {n: c.value for n, c in self.checked.consts.items()}

    def constant_text(self, name) -> str:
        from checker.lang.values import show
        c = self.checked.consts[name]
        return show(c.value, c.type)

    # ---- a plain-Python view, for tests, scenarios and the simulator

    def function(self, name):
        """A spec function (def) as a Python callable on plain values (see values.from_plain).
        Functions that read state variables take them as keyword arguments."""
        from checker.lang.values import from_plain, to_plain
        info = self.checked.defs[name]
        fn = self.namespace[f"d_{name}"]
        reads = sorted(info.reads)

        def call(*args, **state):
            if len(args) != len(info.params):
                raise TypeError(f"{name} takes {len(info.params)} argument(s)")
            vals = [from_plain(a, t) for a, (_, t) in zip(args, info.params)]
            vals += [self.held(v, from_plain(state[v], self.var_types[self.var_names.index(v)]))
                     for v in reads]
            return to_plain(fn(*vals), info.result)
        return call

    def held(self, var, value):
        """A variable's value as the compiled spec holds it (packed, if it is)."""
        lay = self.packed.get(var)
        return value if lay is None else lay.encode(value)

    def plain(self, state) -> dict:
        """A state as users see it (a trace's, a state graph's) as {variable: plain value}."""
        from checker.lang.values import to_plain
        return {n: to_plain(v, t) for n, t, v in zip(self.var_names, self.var_types, state)}

    def steps(self, state):
        """Every enabled action instance: [(action, {param: plain value}, next state)]."""
        from checker.lang.values import to_plain
        out = []
        for act, picks, t in self.labelled_successors(state):
            types = self.action_params.get(act, {})
            out.append((self.action_names[act], {n: to_plain(v, types[n]) for n, v in picks}, t))
        return out

    def take(self, state, action, params, successors=None) -> dict:
        """Taking a named step, the one way every caller does it (Model.step, scenarios,
        replay): {successor: its picks} for the instances of `action` whose parameters
        and choices include `params` ({name: runtime value}), in the order found.
        `successors`: labelled_successors(state), if the caller has them already."""
        act = self.action_names.index(action) if action in self.action_names else -1
        found = {}
        for a, picks, t in self.labelled_successors(state) if successors is None else successors:
            if a == act and all(dict(picks).get(k, _ABSENT) == v for k, v in params.items()):
                found.setdefault(t, picks)
        return found

    def step(self, state, action, **params):
        """The successor reached by one named action instance, parameters given as plain
        values; ValueError if it is not enabled (the message lists what is). Choices not
        given must be unambiguous."""
        from checker.lang.values import from_plain
        types = self.action_params.get(self.action_names.index(action), {}) if action in self.action_names else {}
        wanted = {k: from_plain(v, types[k]) if k in types else v for k, v in params.items()}
        found = self.take(state, action, wanted)
        if len(found) == 1:
            return next(iter(found))
        if not found:
            enabled = sorted({f"{a}({', '.join(f'{k}={v}' for k, v in p.items())})"
                              for a, p, _ in self.steps(state)})
            raise ValueError(f"{action}{params} is not enabled; enabled: {', '.join(enabled)}")
        raise ValueError(f"{action}{params} leads to {len(found)} different states; "
                         f"give more parameters")

    def temporal_instances(self, prop):
        """For each value of a temporal property's `forall` binders (one, with none):
        (((name, value), ...), [P] or [P, Q] as functions of a state)."""
        conds = self.conditions[("temporal", prop.name)]
        binders = prop.temporal.binders
        domains = self.conditions[("domains", prop.name)]

        def assignments(k, values):
            if k == len(binders):
                yield values
                return
            for v in domains[k](None, *values):
                yield from assignments(k + 1, values + (v,))
        for values in assignments(0, ()):
            bound = tuple(zip((b.name for b in binders), values))
            yield bound, [lambda s, c=c, vs=values: c(s, *vs) for c in conds]

    def fairness_condition(self, k):
        """The `when` condition of fairness declaration k as a function (state, *params),
        or None if it has none."""
        return self.conditions.get(("fairness", k))

    def label(self, state_from, state_to):
        """The (action name, params) of a step from one state to another, or None."""
        for act, picks, t in self.labelled_successors(state_from):
            if t == state_to:
                return self.action_names[act], picks, act
        return None


def load_spec(path: str | Path, consts: dict | None = None) -> typecheck.CheckedSpec:
    """Read, parse and type-check a spec file (joined with the specs it extends:
    lang/modules.py); errors are located SpecErrors."""
    return typecheck.check(modules.load(path), consts)


def compile_model(checked: typecheck.CheckedSpec, invariants: list | None = None,
                  skip: list | None = None, packed: dict | None = None, prune: bool = True,
                  selection: Selection | None = None) -> Model:
    """Compile a checked spec for the properties `selection` chooses (default: select()
    of `invariants` and `skip`: lang/selection.py); `packed`: the
    variables to hold as ints (packing.packed_variables), for the explicit search:
    those the compiled spec never reads whole (a packed variable read whole is
    unpacked each time, which costs more than packing saves), all if not `prune`."""
    sel = selection or select(checked, invariants, skip)
    invs, steps, temporal = list(sel.invariants), list(sel.action_properties), list(sel.temporal)
    packed = dict(packed or {})
    try:
        while True:
            comp = Compiler(checked, packed)
            ns, source = comp.build(invs, steps, sel.covers)
            if not (prune and comp.unpacked_vars):
                break                # pack only what the compiled spec never unpacks
            packed = {v: lay for v, lay in packed.items() if v not in comp.unpacked_vars}
    except SpecError as e:
        raise e.located(checked.spec.path, checked.spec.source)
    except RecursionError:
        raise too_deep(checked.spec.path, checked.spec.source) from None
    except MemoryError:
        raise SpecError("compiling this spec needs more memory than there is: some type or "
                        "constant is far too large (a range or map with billions of values?)",
                        (0, 0), checked.spec.path, checked.spec.source) from None
    for abstract in comp.refinements.values():    # the abstract specs of `refines` declarations
        abstract.model = compile_model(abstract.checked)
    return Model(
        name=checked.name, path=checked.spec.path, checked=checked,
        var_names=[v.name for v in checked.vars], var_types=[v.type for v in checked.vars],
        action_names=[a.name for a in checked.actions], action_params=comp.labels,
        invariants=invs, action_properties=steps, invariants_decided=comp.invariants_decided,
        init_states=ns["init_states"], successors=ns["successors"],
        labelled_successors=ns["labelled_successors"], check_invariants=ns["check_invariants"],
        check_invariants_after=ns["check_invariants_after"],
        check_steps=ns["check_steps"], check_steps_moving=ns["check_steps_moving"], constraints=checked.constraints,
        check_constraints=ns["check_constraints"], temporal=temporal, fairness=checked.fairness,
        conditions={key: [ns[f] for f in fs] if isinstance(fs, list) else ns[fs]
                    for key, fs in comp.conditions.items()},
        source=source, namespace=ns, packed=packed, selection=sel,
        export_state=ns["export_state"], import_state=ns["import_state"],
        hash_apart=any(_holds_minus_one_and_two(v.type) for v in checked.vars),
        covers=list(sel.covers), check_covers=ns["check_covers"])


def _holds_minus_one_and_two(t) -> bool:
    """Can a value of type t hold -1 and -2 (CPython hashes both to -2)? A packed
    variable holds them as bit fields, but its unpacked parts are not known here, so
    a variable counts by its type."""
    from checker.lang.types import IntT, MapT, OptionT, RecordT, SeqT, SetT, TupleT, component_types
    if isinstance(t, IntT):
        return (t.lo is None or t.lo <= -2) and (t.hi is None or t.hi >= -1)
    if isinstance(t, (RecordT, TupleT)):
        return any(map(_holds_minus_one_and_two, component_types(t)))
    if isinstance(t, MapT):
        return _holds_minus_one_and_two(t.key) or _holds_minus_one_and_two(t.value)
    if isinstance(t, OptionT):
        return _holds_minus_one_and_two(t.inner)
    if isinstance(t, (SetT, SeqT)):
        return _holds_minus_one_and_two(t.elem)
    return False


def load(path: str | Path, consts: dict | None = None, invariants: list | None = None) -> Model:
    """Spec file -> compiled Model, in one call."""
    return compile_model(load_spec(path, consts), invariants)
