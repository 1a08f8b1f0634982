"""The generated module's text, and the values it computes once when it loads.

The problem: compiled code should compute a constant value (a type's values, a
record built from constants, a lookup table) once, not in every state, and
should name a Python object the source cannot spell (a sort key, a packing
layout's tables). The invariant: a value is computed when the module loads, under
a name K<n> (or T<n>, PT<n>, ...) that appears once in the module, the same
source text always getting the same name; values that call the spec's functions
are computed after those are defined (`late`), and every name remembers the
declaration it came from, so that a constant that fails to compute is reported
at its place in the spec. The cost: one dictionary lookup per constant, at
compile time. Public entry point: the `ModuleSource` methods `module_const`
and `python_value` (and `Writer`, the lines of the module being written).
"""
from __future__ import annotations

from checker.lang.types import domain, sort_key


class Writer:
    """The lines of generated code: `w(depth, text)` appends text indented `depth` levels."""

    def __init__(self):
        self.lines = []

    def __call__(self, depth, text):
        self.lines.append("    " * depth + text)


class ModuleSource:
    """Module constants of the Compiler (checker/compile/compiler.py)."""

    def module_const(self, value_src: str, prefix="K", late=False, pos=None) -> str:
        """A name for a value computed once when the module loads (`late`: after the
        spec's functions are defined, because it calls them)."""
        if value_src not in self.consts:
            name = f"{prefix}{next(self.counter)}"
            self.consts[value_src] = name
            (self.late_defs if late else self.const_defs).append(f"{name} = {value_src}")
            self.const_pos[name] = pos or self.current_pos
        return self.consts[value_src]

    def failing_constant(self, ns) -> tuple:
        """The source position of the first module constant that was not computed."""
        for line in self.const_defs + self.late_defs:
            name = line.split(" = ", 1)[0]
            if name not in ns:
                return self.const_pos.get(name) or (0, 0)
        return (0, 0)

    def python_value(self, value, hint="V") -> str:
        """A module constant holding an arbitrary Python value."""
        name = f"{hint}{next(self.counter)}"
        self.namespace[name] = value
        return name

    def type_set(self, t) -> str:
        return self.module_const(f"frozenset({domain(t)!r})", "T")

    def type_tuple(self, t) -> str:
        return self.module_const(f"tuple({domain(t)!r})", "TL")

    def sorter(self, t):
        key = sort_key(t)
        return None if key is None else self.python_value(key, "SK")
