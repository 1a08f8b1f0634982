"""Which constructs of a spec make it see an order among scalarset values.

Symmetry reduction explores one state per orbit, which is sound only if the spec
treats the values of each scalarset type alike: permuting them in a state must
permute its successors and keep every property's verdict. The type checker already
forbids `<` and arithmetic on them; what it lets through, because a spec may use it
harmlessly, is walking them in the order Python stores them (`Client1` first):

* `sorted(s)` of values holding a scalarset value: the order is the identities';
* `[e for x in S]` with S a set, a map or a type holding scalarset values: the
  sequence lists them in identity order;
* `for x in S` over such an S, when the body's effect depends on the order: it
  returns from inside the loop, reads what an earlier iteration wrote, or writes
  something other than (1) an entry keyed by the loop variable (or a value derived
  from it: distinct iterations are taken to write distinct entries), (2) a
  commutative accumulation (`a = a union e`, `+`, `or`, `and`, `intersect`; `minus`
  and `-` alone), (3) the same value in every iteration;
* `{k: v for x in S}` over such an S whose key is not the bound variable: two
  values of x with the same key leave the last one's value.

Each finding is a SpecError at the construct; the engine reports the first and
explores without symmetry.
"""
from __future__ import annotations

from dataclasses import is_dataclass

from checker.lang import ast as A
from checker.lang.errors import SpecError
from checker.lang.types import MapT, OptionT, RecordT, ScalarsetT, SeqT, SetT, TupleT, Type

ACCUMULATE = {"union": "union", "+": "+", "or": "or", "and": "and", "intersect": "intersect",
              "minus": "minus", "-": "-"}
KEY_READS = ("keys", "has", "size", "len")      # builtins that read only a map's keys
COMMUTATIVE = {"union", "+", "or", "and", "intersect"}


def _holds(t: Type, relevant: set) -> ScalarsetT | None:
    """The first permuted scalarset type inside t, or None."""
    if isinstance(t, ScalarsetT):
        return t if t in relevant else None
    inner = []
    if isinstance(t, OptionT):
        inner = [t.inner]
    elif isinstance(t, TupleT):
        inner = list(t.items)
    elif isinstance(t, RecordT):
        inner = [f[1] for f in t.fields]
    elif isinstance(t, (SetT, SeqT)):
        inner = [t.elem]
    elif isinstance(t, MapT):
        inner = [t.key, t.value]
    for x in inner:
        found = _holds(x, relevant)
        if found:
            return found
    return None


def _unordered_elements(domain: A.Expr, relevant: set) -> ScalarsetT | None:
    """The scalarset type seen in identity order when walking `domain`, if any."""
    t = getattr(domain, "ty", None)
    if isinstance(t, SetT):
        return _holds(t.elem, relevant)
    if isinstance(t, MapT):
        return _holds(t.key, relevant)
    return None


def _walk(node):
    """node and every node under it (not into called functions or procs)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if is_dataclass(n):
            stack.extend(reversed(list(A.children(n))))


def order_dependence(checked, relevant: set) -> list:
    """Every construct of the spec that depends on the order of scalarset values."""
    found = []
    for decl in checked.spec.decls:
        for node in _walk(decl):
            problem = _problem(node, relevant, checked)
            if problem:
                found.append(problem)
    found.sort(key=lambda e: (e.line, e.col))
    return found


def _problem(node, relevant, checked) -> SpecError | None:
    if isinstance(node, A.Call) and node.func == "sorted" and node.kind == "builtin" and node.args:
        t = getattr(node.args[0], "ty", None)
        s = t and _holds(t, relevant)
        if s:
            return SpecError(f"sorted() orders values of the scalarset {s.name} by identity, "
                             f"so the spec does not treat them alike", node.pos)
    if isinstance(node, A.Comprehension) and node.kind in ("seq", "map"):
        s = _unordered_elements(node.domain, relevant)
        if s and node.kind == "seq":
            return SpecError(f"this sequence lists values of the scalarset {s.name} in identity "
                             f"order, so the spec does not treat them alike", node.pos)
        if s and not (isinstance(node.key, A.Name) and node.key.name == node.var):
            return SpecError(f"two values of {s.name} with the same key: the map keeps the "
                             f"last in identity order (key a map comprehension by its variable)",
                             node.pos)
    if isinstance(node, A.For):
        s = _unordered_elements(node.domain, relevant)
        if s:
            return _LoopAudit(node, s, checked).problem()
    return None


def _overlap(read: list, write: list) -> bool:
    """Can a read of these fields see a write of those (one path a prefix of the other)?"""
    n = min(len(read), len(write))
    return read[:n] == write[:n]


def _names(expr) -> set:
    return {n.name for n in _walk(expr) if isinstance(n, A.Name)}


class _LoopAudit:
    """Does a `for` over values of a scalarset have an effect that depends on the
    order of the iterations? (See the module docstring for what is accepted.)"""

    def __init__(self, loop: A.For, scalarset: ScalarsetT, checked):
        self.loop, self.s, self.checked = loop, scalarset, checked
        self.derived = {loop.var}      # names whose value depends on the loop variable
        self.inner = {loop.var}        # names declared inside the loop
        self.assigns = []              # (Assign, derived names at that point)
        self.stmts = []                # every statement, procs inlined
        self.gather(loop.body, set())

    def gather(self, body, procs_on_stack):
        for st in body:
            self.stmts.append(st)
            if isinstance(st, A.Let):
                self.inner.add(st.name)
                if _names(st.value) & self.derived:
                    self.derived.add(st.name)
            elif isinstance(st, A.Assign):
                self.assigns.append(st)
                if st.target.name in self.inner and _names(st.value) & self.derived:
                    self.derived.add(st.target.name)
            elif isinstance(st, A.If):
                self.gather(st.then, procs_on_stack)
                self.gather(st.orelse, procs_on_stack)
            elif isinstance(st, A.For):
                self.inner.add(st.var)
                if _names(st.domain) & self.derived:
                    self.derived.add(st.var)
                self.gather(st.body, procs_on_stack)
            elif isinstance(st, A.CallStmt) and st.ref is not None and st.name not in procs_on_stack:
                for (pname, _), arg in zip(st.ref.params, st.args):
                    self.inner.add(pname)
                    if _names(arg) & self.derived:
                        self.derived.add(pname)
                self.gather(st.ref.decl.body, procs_on_stack | {st.name})

    def keyed(self, expr) -> bool:
        return bool(_names(expr) & self.derived)

    def unkeyed_read(self, expr, written: dict):
        """The first read, in expr, of something the loop writes (written: name ->
        field paths written) that is not an entry keyed by the loop variable."""
        stack = [expr]
        while stack:
            e = stack.pop()
            if isinstance(e, (A.Index, A.Field, A.TupleGet)):
                chain, base, key, path = [], e, False, []
                while isinstance(base, (A.Index, A.Field, A.TupleGet)):
                    if isinstance(base, A.Index):
                        key = key or self.keyed(base.index)
                        chain.append(base.index)
                    else:
                        path.append(base.name if isinstance(base, A.Field) else base.index)
                    base = base.base
                path.reverse()
                if isinstance(base, A.Name) and base.name in written and \
                        (key or not any(_overlap(path, w) for w in written[base.name])):
                    stack.extend(chain)
                    continue
            if isinstance(e, A.Call) and e.func in KEY_READS and e.kind == "builtin" and e.args \
                    and isinstance(e.args[0], A.Name) and e.args[0].name in written:
                keyed = e.func == "has" and len(e.args) == 2 and self.keyed(e.args[1])
                if keyed or not any(_overlap(["#keys"], w) for w in written[e.args[0].name]):
                    stack.extend(e.args[1:])     # only the keys are read: field writes do not change them
                    continue
            if isinstance(e, A.Name) and e.name in written:
                return e
            if isinstance(e, A.Call) and e.kind == "def" and e.ref is not None \
                    and e.ref.reads & set(written) and not any(self.keyed(a) for a in e.args):
                return e
            if is_dataclass(e):
                stack.extend(A.children(e))
        return None

    def problem(self) -> SpecError | None:
        written = {}
        for a in self.assigns:
            if a.target.name not in self.inner:
                path = [x for kind, x in a.target.selectors if kind == "field"]
                written.setdefault(a.target.name, []).append(path)
        ops = {}
        where = f"this loop over values of the scalarset {self.s.name}"
        for st in self.stmts:
            if isinstance(st, A.Return):
                return SpecError(f"returning from inside {where} gives the first value found "
                                 f"in identity order", st.pos)
            if isinstance(st, A.Assign) and st.target.name in written:
                verdict = self.assignment(st, written, ops)
                if verdict:
                    return SpecError(f"{where} assigns `{st.target.name}` {verdict}, so the "
                                     f"result depends on the order of the values", st.pos)
                continue
            for e in self.expressions(st):
                read = self.unkeyed_read(e, written)
                if read is not None:
                    return SpecError(f"{where} reads `{getattr(read, 'name', None) or read.func}`, "
                                     f"which an earlier iteration may have changed, so the result "
                                     f"depends on the order of the values", read.pos)
        return None

    @staticmethod
    def expressions(st) -> list:
        if isinstance(st, A.Let):
            return [st.value]
        if isinstance(st, A.If):
            return [st.cond]
        if isinstance(st, A.For):
            return [st.domain]
        if isinstance(st, A.CallStmt):
            return list(st.args)
        if isinstance(st, A.Assign):
            return [st.value] + [x for kind, x in st.target.selectors if kind == "index"]
        return []

    def assignment(self, st: A.Assign, written: dict, ops: dict) -> str | None:
        """None if the assignment is order-independent, else how it is not."""
        w, value = st.target.name, st.value
        indexes = [x for kind, x in st.target.selectors if kind == "index"]
        if any(self.keyed(x) for x in indexes):
            read = self.unkeyed_read(value, written)
            return None if read is None else "from what other iterations wrote"
        if isinstance(value, A.Call) and value.func in ("put", "remove") and not indexes \
                and len(value.args) >= 2 and isinstance(value.args[0], A.Name) \
                and value.args[0].name == w and self.keyed(value.args[1]):
            rest = value.args[1:]
            return None if all(self.unkeyed_read(x, written) is None for x in rest) \
                else "from what other iterations wrote"
        if isinstance(value, A.Binary) and value.op in ACCUMULATE and not indexes:
            left_is_w = isinstance(value.left, A.Name) and value.left.name == w
            right_is_w = isinstance(value.right, A.Name) and value.right.name == w
            other = value.right if left_is_w else value.left
            if (left_is_w or (right_is_w and value.op in COMMUTATIVE)) \
                    and self.unkeyed_read(other, written) is None:
                family = "commutative" if value.op in COMMUTATIVE else value.op
                if ops.setdefault(w, (value.op, family)) == (value.op, family):
                    return None
                return "by mixing operators"
        if self.unkeyed_read(value, written) is None and not self.keyed(value) \
                and all(self.unkeyed_read(x, written) is None for x in indexes):
            return None      # the same value whichever iteration writes it
        return "a value that depends on the iteration"
