"""Compile a type-checked spec once into Python source: no AST walking per state.

The generated module has, for the whole spec:
  init_states()            -> list of initial states
  successors(s)            -> list of successor states (the hot path of every engine)
  labelled_successors(s)   -> list of (action index, ((param, value), ...), state)
  check_invariants(s)      -> index of the first violated invariant, or -1
  check_steps(s, t)        -> index of the first violated action property, or -1
  cond_<k>(s, params...)   -> the value of one state condition of a temporal property
                              or a fairness declaration (see properties.py)

A state is a flat tuple of variable values (see checker/lang/types.py for values); the
variables the search asks to pack are ints (checker/compile/packing.py), and
export_state(s) / import_state(s) convert a state to and from the plain form.
Inside an action, variables are renamed in SSA style (x, x_1, x_2 ...) so a body
reads as imperative code without copying the state; `require` and `choose` are
compiled in continuation style (the rest of the body nests under them), so a
failed guard or a nondeterministic choice costs nothing extra.

The Compiler is assembled from one part per concept, each a module of its own that
adds methods to it (they share its state: the module constants, the counter of
fresh names, the packing layouts, the action being compiled):
  source.py         the module's text and the values computed once when it loads
  layout.py         the state as a tuple; SSA names of variables in compiled code
  expressions.py    expressions, specialised by their types
  packed_access.py  reads and writes of variables packed into ints
  statements.py     statements: SSA assignments, continuation style for choices
  actions.py        init_states and successors: guards hoisted, parameter loops
  properties.py     invariants, action properties, constraints, temporal conditions
  functions.py      the spec's functions, and calls computed ahead of their use
  facts.py          what the types decide before any code is generated
One public entry point: `Compiler(checked, packed).build(invariants, action_properties)`
(model.compile_model calls it).
"""
from __future__ import annotations

import itertools

from checker.lang.errors import SpecError, too_deep

from . import runtime
from .actions import Actions
from .expressions import Expressions
from .functions import Functions
from .layout import StateLayout
from .packed_access import PackedAccess
from .properties import Properties
from .source import ModuleSource, Writer
from .statements import Statements


class Compiler(ModuleSource, StateLayout, Expressions, PackedAccess, Statements, Actions, Properties,
               Functions):
    """Turns a CheckedSpec into the source of one Python module, then loads it."""

    def __init__(self, checked, packed=None):
        self.c = checked
        self.packed = packed or {}  # variable name -> packing layout (PackedSet, PackedMap)
        self.pack_names = {}        # (layout, what) -> the module name of a packing helper
        self.unpacked_vars = set()  # packed variables the compiled code unpacks somewhere
        self.consts = {}          # python source of a constant value -> module name
        self.const_defs = []      # module-level "NAME = expr" lines
        self.late_defs = []       # the same, for values that call the spec's functions
        self.const_pos = {}       # module constant -> source position it came from
        self.current_pos = None   # the declaration being compiled
        self.namespace = dict(runtime.HELPERS)
        self.counter = itertools.count(1)
        self.var_names = [v.name for v in checked.vars]
        self.var_types = {v.name: v.type for v in checked.vars}
        self.labels = {}          # action index -> {param name: Type}
        self.cache = None         # def name -> local holding its value for this state (in successors)
        self.cache_used = None    # the names of `cache` the action being compiled uses
        self.params = {}          # the parameters of the action being compiled: name -> Type
        self.result_type = None   # the declared result of the block-bodied function being compiled
        self.base_env = {}
        self.conditions = {}      # see condition_functions
        self.refinements = {}     # id of an abstract CheckedSpec -> its refinement.AbstractSpec
        self.invariants_decided = False   # see invariant_functions

    def build(self, invariants, action_properties, covers=()):
        """Generate and load the module; properties are lists of PropertyInfo."""
        w = Writer()
        for info in self.c.defs.values():
            self.def_function(w, info)
        late_at = len(w.lines)
        self.init_function(w)
        self.successor_function(w, "successors", labelled=False)
        self.successor_function(w, "labelled_successors", labelled=True)
        self.invariant_functions(w, invariants)
        self.step_functions(w, action_properties)
        self.cover_function(w, covers)
        self.property_function(w, "check_constraints", self.c.constraints, primes=False)
        self.conditions = self.condition_functions(w)
        self.boundary_functions(w)
        w.lines[late_at:late_at] = self.late_defs + [""]
        source = "\n".join(self.const_defs) + "\n\n" + "\n".join(w.lines) + "\n"
        ns = self.namespace
        try:
            code = compile(source, f"<gdsl:{self.c.name}>", "exec")
        except (SyntaxError, RecursionError, MemoryError):   # nested beyond CPython's parser limits
            raise too_deep(self.c.spec.path, self.c.spec.source) from None
        try:
            exec(code, ns)
        except (ArithmeticError, LookupError, ValueError, TypeError, MemoryError, runtime.EvalError) as e:
            raise SpecError(f"a constant expression of the spec fails: {runtime.describe(e)}",
                            self.failing_constant(ns)) from None
        return ns, source
