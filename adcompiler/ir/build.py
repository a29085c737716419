"""Build the SSA form from a checked gast function.

Normalisation and SSA construction happen in one walk over the structured AST
(the approach of Braun et al. 2013, simplified by Python's structured control
flow): each nested expression becomes an ``Op`` with a named temporary, each
assignment binds the user's name to a fresh SSA value (``x``, ``x_1``, ...), and
each join point gets phi nodes for the names whose value differs between the
paths that meet there.

The same ``Lowerer`` also instantiates derivative-rule templates, so generated
derivative code is made of the same operations as user code.
"""
import ast

import gast
import numpy as np

from .. import rules
from ..errors import UnsupportedError
from ..frontend.source import child_nodes, twin_class
from ..rules import REQUIRED
from .containers import Pack, leaf_names
from .inline import Inliner, LocalFunction
from .nodes import (Const, For, Function, Global, If, Index, Names, Op, Phi, Return, Slice, Var,
                    While, substitute)

_HELPER_NAMES = ("np", "math", "runtime")


# operations whose result may share memory with their first argument
VIEWS = ("getitem", "np.reshape", "T", "np.transpose", "np.ravel", "np.squeeze",
         "np.expand_dims", "np.broadcast_to", "np.swapaxes", "np.moveaxis", "np.flip",
         "attr.T", "np.asarray", "np.diagonal", "np.fliplr", "np.flipud", "np.rot90",
         "np.atleast_1d", "np.atleast_2d", "np.atleast_3d", "np.split")


class Static:
    """A value known at compile time that is not data: a module or a callable."""

    __slots__ = ("value", "path")

    def __init__(self, value, path):
        self.value, self.path = value, path


def is_number(value):
    return isinstance(value, (bool, int, float)) and not isinstance(value, np.ndarray)


class Lowerer:
    """Lowers expressions to Ops appended to ``self.out``.

    ``name_of`` resolves a bare name to an operand or a ``Static``; ``loc`` is
    the location given to every Op made.
    """

    def __init__(self, names, out, loc=None):
        self.names, self.out, self.loc = names, out, loc
        self.made_by = {}  # id(Var) -> the primitive that made it
        self.view_of = {}  # id(Var) -> the array it is a view of
        self.phi_of = {}   # id(Var) -> the Phi that defines it

    # -- making operations -------------------------------------------------------
    def op(self, key, args, kwargs=(), hint="t"):
        """Append ``key(*args)`` and return its value, folding what is known."""
        prim = rules.PRIMS[key]
        folded = self._fold(prim, args) if not kwargs else None
        if folded is not None:
            return folded
        target = self.names.var(hint)
        self.out.append(Op(target, key, args, kwargs, self.loc))
        self.made_by[id(target)] = key
        if key in VIEWS:
            self.view_of[id(target)] = args[0]
        return target

    def _fold(self, prim, args):
        key = prim.key
        if prim.fold and all(isinstance(a, Const) and is_number(a.value) for a in args):
            try:
                return Const(prim.fold(*(a.value for a in args)))
            except (ArithmeticError, ValueError, TypeError):
                return None
        if len(args) == 2:
            a, b = args
            if key == "add" and _is_int(b, 0) or key in ("mul",) and _is_int(b, 1):
                return a
            if key == "add" and _is_int(a, 0) or key == "mul" and _is_int(a, 1):
                return b
            if key in ("sub", "truediv", "pow") and _is_int(b, 0 if key == "sub" else 1):
                return a
            if key == "mul" and _is_int(b, -1):
                return self.op("neg", [a])
            if key == "mul" and _is_int(a, -1):
                return self.op("neg", [b])
        if key == "neg" and isinstance(args[0], Var):
            producer = self._producer(args[0])
            if producer is not None and producer.prim == "neg":
                return producer.args[0]
        if key == "add" and len(args) == 2 and isinstance(args[0], Var) and args[0] is args[1]:
            return self.op("mul", [Const(2), args[0]])  # x + x: one product, not two reads
        if key in ("add", "mul") and len(args) == 2:
            rewritten = self._absorb(key, *args)
            if rewritten is not None:
                return rewritten
        return None

    def _absorb(self, key, a, b):
        """a + (-c) -> a - c and a * (1 / c) -> a / c, when the inner value is a
        temporary made just before: its operation is taken back."""
        inner_key, outer_key, const = ("neg", "sub", None) if key == "add" else \
            ("truediv", "truediv", 1)
        producer = self._producer(b) if isinstance(b, Var) else None
        if producer is None or producer.prim != inner_key or not b.temp \
                or self.out[-1] is not producer:
            return None
        if const is not None and not _is_int(producer.args[0], const):
            return None
        self.out.pop()
        return self.op(outer_key, [a, producer.args[-1]])

    def _producer(self, var):
        """The Op just made that defines ``var``, if it is the last one."""
        last = self.out[-1] if self.out else None
        return last if isinstance(last, Op) and last.target is var else None

    def call(self, prim, args, kwargs, hint="t", node=None):
        """Bind arguments to the primitive's parameters and append the call."""
        if prim.variadic:
            return self.op(prim.key, list(args), tuple(kwargs), hint)
        bound = bind(prim, args, dict(kwargs), self.loc, node)
        if prim.variant is not None:  # a rule of its own for these constant arguments
            prim = prim.variant(prim, dict(zip(prim.param_names, bound)))
        return self.op(prim.key, bound, (), hint)

    # -- expressions --------------------------------------------------------------
    def expr(self, node, hint="t"):
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise UnsupportedError(f"{type(node).__name__} is not supported here", self.loc,
                                   type(node).__name__)
        return method(node, hint)

    def value(self, node, hint="t"):
        """Lower ``node`` to an operand (a Static becomes a Global name)."""
        out = self.expr(node, hint)
        if isinstance(out, Static):
            return Global(out.path, out.value)
        if isinstance(out, LocalFunction):
            raise UnsupportedError(f"the local function {out.name} can only be called here, "
                                   "not passed or stored", self.loc, "local function",
                                   hint="call it directly")
        if isinstance(out, Pack):
            return self.materialize(out, hint)
        return out

    def item(self, node, hint="t"):
        """Lower ``node`` as an element of a container: Packs stay Packs."""
        out = self.expr(node, hint)
        if isinstance(out, Static):
            return Global(out.path, out.value)
        return out if isinstance(out, Pack) else self.value_of(out)

    def value_of(self, out):
        if isinstance(out, LocalFunction):
            raise UnsupportedError(f"the local function {out.name} cannot be stored",
                                   self.loc, "local function", hint="call it directly")
        return out

    def materialize(self, pack, hint="t"):
        """A container used as a whole value (passed to a function, returned)."""
        if pack.kind == "dict":
            raise UnsupportedError("a dict can only be indexed with constant keys here, not "
                                   "used as a whole value", self.loc, "dict",
                                   hint="index it with constant keys: d['name']")
        items = [self.materialize(i) if isinstance(i, Pack) else i for i in pack.items]
        if pack.kind == "tuple" and all(isinstance(i, Const) for i in items):
            return Const(tuple(i.value for i in items))
        return self.op(pack.kind, items, hint=hint)

    def expr_Constant(self, node, hint):
        return Const(node.value)

    def expr_Name(self, node, hint):
        return self.name_of(node.id, node)

    def expr_BinOp(self, node, hint):
        left = self.value(node.left)
        right = self.value(node.right)
        prim = rules.OPERATORS.get(type(node.op))
        if prim is None:
            raise UnsupportedError(f"operator {type(node.op).__name__} is not supported",
                                   self.loc, "operator")
        if prim.variant is not None:  # x ** p: a rule of its own for small p
            prim = prim.variant(prim, dict(zip(prim.param_names, (left, right))))
        return self.op(prim.key, [left, right], hint=hint)

    def expr_UnaryOp(self, node, hint):
        operand = self.value(node.operand)
        prim = rules.OPERATORS.get(type(node.op))
        if prim is None:
            raise UnsupportedError(f"operator {type(node.op).__name__} is not supported",
                                   self.loc, "operator")
        return self.op(prim.key, [operand], hint=hint)

    def expr_Compare(self, node, hint):
        operands = [self.value(node.left)] + [self.value(c) for c in node.comparators]
        results = []
        for op, left, right in zip(node.ops, operands, operands[1:]):
            key = rules.OPERATORS[type(op)].key
            results.append(self.op(key, [left, right], hint=hint if len(node.ops) == 1 else "t"))
        out = results[0]
        for r in results[1:]:  # a < b < c: every operand is already evaluated, so eager `and`
            out = self.op("and", [out, r], hint=hint)
        return out

    def expr_Attribute(self, node, hint):
        base = self.expr(node.value)
        if isinstance(base, Static):
            try:
                value = getattr(base.value, node.attr)
            except AttributeError:
                raise UnsupportedError(f"{base.path} has no attribute {node.attr!r}",
                                       self.loc, "attribute") from None
            return static_or_global(value, f"{base.path}.{node.attr}")
        if isinstance(base, Global):
            return Global(f"{base.name}.{node.attr}", getattr(base.value, node.attr, None))
        if isinstance(base, Pack):
            raise UnsupportedError(f"attribute {node.attr!r} of a {base.kind}", self.loc,
                                   f"{base.kind} attribute",
                                   hint="use append, indexing with constants, len and loops")
        prim = rules.ATTRIBUTES.get(node.attr)
        if prim is not None:
            return self.op(prim.key, [base], hint=hint)
        return self.op("getattr", [base, Const(node.attr)], hint=hint)

    def expr_Subscript(self, node, hint):
        base = self.expr(node.value)
        if isinstance(base, Pack):
            key = self.pack_key(base, node.slice)
            if key is not None:
                return base.get(key) if not isinstance(key, slice) else \
                    Pack(base.kind, base.items[key])
            base = self.materialize(base)
        elif isinstance(base, Static):
            base = Global(base.path, base.value)
        index = self.index(node.slice)
        return self.op("getitem", [base, index], hint=hint)

    def pack_key(self, pack, node):
        """The constant key or slice of a subscript of a Pack, or None if not constant."""
        if isinstance(node, gast.Slice):
            parts = [None if p is None else self.value(p) for p in (node.lower, node.upper,
                                                                   node.step)]
            if all(p is None or isinstance(p, Const) for p in parts):
                return slice(*(None if p is None else p.value for p in parts))
            return None
        key = self.value(node)
        if not isinstance(key, Const):
            if pack.kind == "dict":
                raise UnsupportedError("a dict argument is indexed with a key known only at "
                                       "run time", self.loc, "dict index",
                                       hint="index dicts with constant keys")
            return None
        try:
            pack.get(key.value)
        except (KeyError, IndexError, TypeError):
            raise UnsupportedError(f"no item {key.value!r} in this {pack.kind} "
                                   f"(it has {len(pack)})", self.loc, "subscript") from None
        return key.value

    def index(self, node):
        if isinstance(node, gast.Tuple):
            return Index([self.index_item(e) for e in node.elts], True)
        item = self.index_item(node)
        return item if isinstance(item, Index) else Index([item], False)

    def index_item(self, node):
        if isinstance(node, gast.Slice):
            return Slice(*(None if p is None else self.value(p)
                           for p in (node.lower, node.upper, node.step)))
        return self.value(node)

    def expr_Tuple(self, node, hint):
        items = [self.item(e) for e in node.elts]
        if all(isinstance(i, Const) for i in items):
            return Const(tuple(i.value for i in items))
        return Pack("tuple", items)

    def expr_List(self, node, hint):
        return Pack("list", [self.item(e) for e in node.elts])

    def expr_Dict(self, node, hint):
        keys = [self.value(k) if k is not None else None for k in node.keys]
        if not all(isinstance(k, Const) for k in keys):
            raise UnsupportedError("dict keys must be constants", self.loc, "dict display",
                                   hint="write the keys as literals")
        return Pack("dict", [self.item(v) for v in node.values], [k.value for k in keys])

    def expr_Call(self, node, hint):
        func = node.func
        kwargs = [(k.arg, self.value(k.value)) for k in node.keywords]
        if any(k is None for k, _ in kwargs):
            raise UnsupportedError("**kwargs in a call is not supported", self.loc, "call",
                                   hint="pass the keyword arguments by name")
        if isinstance(func, gast.Attribute):
            base = self.expr(func.value)
            if isinstance(base, Pack):
                return self.pack_method(base, func, node)
            if not isinstance(base, (Static, Global)):
                return self.method(base, func.attr, node, kwargs, hint)
        if isinstance(func, gast.Name) and not node.keywords and node.args:
            callee = self.expr(func)
            if isinstance(callee, Static) and callee.value in (len, enumerate, zip) \
                    and (callee.value is not len or len(node.args) == 1) \
                    and all(self.static_iterable(a) for a in node.args):
                packs = [self.expr(a) for a in node.args]
                if callee.value is len:
                    return Const(len(packs[0]))
                if callee.value is enumerate:
                    return Pack("tuple", [Pack("tuple", [Const(i), v])
                                          for i, v in enumerate(packs[0].items)])
                return Pack("tuple", [Pack("tuple", list(items))
                                      for items in zip(*(p.items for p in packs))])
        callee = self.expr(func)
        if isinstance(callee, Static) and callee.value is reversed and len(node.args) == 1 \
                and not node.keywords:
            seq = self.expr(node.args[0])
            if isinstance(seq, Pack):
                return Pack(seq.kind, seq.items[::-1], seq.keys[::-1] if seq.keys else None)
            # reversed(x) is x[::-1]: a view whose rule carries the derivative
            return self.op("getitem", [self.value_of(seq) if not isinstance(seq, Static)
                                       else Global(seq.path, seq.value),
                                       Index([Slice(None, None, Const(-1))], False)], hint=hint)
        if isinstance(callee, Static):
            prim = rules.lookup_object(callee.value)
            if prim is not None and prim.sequence is not None:
                return self.sequence_call(prim, node, kwargs, hint)
        args = [self.value(a) for a in node.args]
        if isinstance(callee, Static):
            prim = rules.lookup_object(callee.value)
            if prim is not None:
                return self.call(prim, args, kwargs, hint, node)
        if isinstance(callee, (Static, LocalFunction, Global)) and hasattr(self, "inline_call"):
            result = self.inline_call(callee if isinstance(callee, LocalFunction)
                                      else callee.value, args, kwargs, hint)
            if result is not None:
                return result
            args, kwargs = self.positional(callee, args, kwargs)
        if isinstance(callee, LocalFunction):
            raise UnsupportedError(f"the local function {callee.name} calls itself; recursion "
                                   "is supported for module-level functions only", self.loc,
                                   "recursive local function",
                                   hint="define the function at module level")
        if isinstance(callee, Static):
            callee = self.callee_global(callee)
        return self.op("call", [callee] + args, tuple(kwargs), hint)

    def callee_global(self, callee):
        return Global(callee.path, callee.value)

    def pack_method(self, pack, func, node):
        name = func.attr
        if name == "append" and pack.kind == "list" and len(node.args) == 1:
            if not isinstance(func.value, gast.Name):
                raise UnsupportedError("append to a list that has no name of its own",
                                       self.loc, "list append")
            self.env[func.value.id] = Pack("list", pack.items + [self.item(node.args[0])])
            return Const(None)
        if pack.kind == "dict" and name in ("keys", "values", "items") and not node.args:
            if name == "keys":
                return Pack("tuple", [Const(k) for k in pack.keys])
            if name == "values":
                return Pack("tuple", pack.items)
            return Pack("tuple", [Pack("tuple", [Const(k), v])
                                  for k, v in zip(pack.keys, pack.items)])
        raise UnsupportedError(f"{pack.kind}.{name}() is not supported", self.loc,
                               f"{pack.kind} method",
                               hint="use append, indexing with constants, len and for loops")

    def method(self, base, name, node, kwargs, hint):
        args = [self.value(a) for a in node.args]
        if name in ("push", "pop") and self.made_by.get(id(base)) == "runtime.Tape":
            # generated code read again (Hessians): its tape carries tangents too
            return self.op(f"tape.{name}", [base] + args, (), hint)
        prim = rules.METHODS.get(name)
        if prim is None:
            # the bound method gets the method's name, so an error says `ravel()`
            bound = self.op("getattr", [base, Const(name)], hint=name)
            bound.temp = True
            return self.op("call", [bound] + args, tuple(kwargs), hint)
        if name in ("reshape", "transpose") and len(args) > 1:
            # x.reshape(2, 3) is x.reshape((2, 3))
            args = [self._pack(args)]
        return self.call(prim, [base] + args, kwargs, hint, node)

    def sequence_call(self, prim, node, kwargs, hint):
        """A call of a function that takes a sequence of arrays (``rules`` ``sequence=``).

        With a list or tuple display, ``np.stack([a, b], axis=1)``, or with
        ``*operands`` (``np.einsum('ij,j', a, b)``), each element becomes an
        argument of its own, of a primitive specialized to the number of elements
        (``rules.registry.specialize``), so that each gets its own derivative.
        Any other argument (``np.stack(x)``) is bound as written.
        """
        at = prim.param_names.index(prim.sequence)
        before = [self.value(a) for a in node.args[:at]]
        if prim.varargs:
            elements, after = [self.value(a) for a in node.args[at:]], []
        elif len(node.args) > at:
            seq = self.expr(node.args[at])
            after = [self.value(a) for a in node.args[at + 1:]]
            if not isinstance(seq, Pack) or seq.kind == "dict":
                value = Global(seq.path, seq.value) if isinstance(seq, Static) \
                    else self.value(node.args[at]) if isinstance(seq, Pack) else self.value_of(seq)
                return self.call(prim, before + [value] + after, kwargs, hint, node)
            elements = [self._array_of(i) if isinstance(i, Pack) else i for i in seq.items]
        else:
            return self.call(prim, before, kwargs, hint, node)
        return self._sequence_op(prim, before, elements, after, kwargs, hint, node)

    def _array_of(self, pack):
        """A nested list display as an element: ``np.array`` of it, built the same way."""
        elements = [self._array_of(i) if isinstance(i, Pack) else i for i in pack.items]
        return self._sequence_op(rules.lookup_object(np.array), [], elements, [], (), "t")

    def _sequence_op(self, prim, before, elements, after, kwargs, hint, node=None):
        at = len(before)
        bound = bind(prim, before + [Const(None)] + after, dict(kwargs), self.loc, node)
        derived = rules.specialize(prim, len(elements), dict(zip(prim.param_names, bound)),
                                   self.loc)
        args = bound[:at] + elements + bound[at + 1:]
        if derived.variant is not None:
            derived = derived.variant(derived, dict(zip(derived.param_names, args)))
        return self.op(derived.key, args, (), hint)

    def _pack(self, items):
        if all(isinstance(i, Const) for i in items):
            return Const(tuple(i.value for i in items))
        return self.op("tuple", items)


def _is_int(operand, value):
    return (isinstance(operand, Const) and type(operand.value) is int
            and operand.value == value)


def static_or_global(value, path):
    if isinstance(value, type(np)) or callable(value):
        return Static(value, path)
    return Global(path, value)


def _numpy_params(prim):
    """The names of the declared function's own parameters (np.sum: a, axis, dtype, ...),
    to say which one an extra positional argument is."""
    import inspect
    for obj in prim.objects or [getattr(np, prim.key[3:], None)] * prim.key.startswith("np."):
        try:
            return list(inspect.signature(obj).parameters)
        except (TypeError, ValueError):
            pass
    return []


def bind(prim, args, kwargs, loc, node=None):
    """Arguments in the primitive's parameter order, defaults filled in."""
    params = prim.params
    if len(args) > len(params):
        raise UnsupportedError(f"{prim.key} takes at most {len(params)} arguments here, "
                               f"got {len(args)}", loc, prim.key)
    if prim.positional is not None and len(args) > prim.positional:
        skipped = _numpy_params(prim)[prim.positional:len(args)]
        unsupported = f": {', '.join(skipped)} is not supported" if skipped else ""
        hint = "pass " + ", ".join(prim.param_names[prim.positional:]) + " by keyword"
        if "dtype" in skipped:
            hint = "leave out dtype (cast with .astype(...) before or after); " + hint
        raise UnsupportedError(f"{prim.key} takes at most {prim.positional} positional "
                               f"arguments here, got {len(args)}{unsupported}", loc, prim.key,
                               hint=hint)
    out = list(args)
    for name, default in params[len(args):]:
        if name in kwargs:
            out.append(kwargs.pop(name))
        elif default is REQUIRED:
            raise UnsupportedError(f"{prim.key} needs its argument {name!r}", loc, prim.key)
        else:
            out.append(Const(default))
    if kwargs:
        raise UnsupportedError(f"argument {sorted(kwargs)[0]!r} of {prim.key} is not supported",
                               loc, prim.key,
                               hint=f"supported: {', '.join(prim.param_names)}")
    if prim.check is not None:
        problem = prim.check(dict(zip(prim.param_names, out)))
        if problem:
            raise UnsupportedError(problem, loc, prim.key)
    return out


class Builder(Inliner, Lowerer):
    """Builds the SSA ``Function`` for a parsed, checked user function."""

    def __init__(self, parsed, resolver):
        self.parsed, self.resolver = parsed, resolver
        node = parsed.node
        every, self.assigned = _names(node)
        # names the function reads from outside (globals, builtins) must keep
        # meaning what they mean; its own local names are free for SSA values
        reserved = every - self.assigned
        reserved.update(_HELPER_NAMES)
        reserved.add(node.name)
        Lowerer.__init__(self, Names(reserved), [])
        self.env = {}
        self.structures = None  # per parameter: the structure of a container argument
        self.init_inliner()

    def build(self):
        node = self.parsed.node
        params = []
        structures = self.structures or [None] * len(node.args.args)
        for arg, struct in zip(node.args.args, structures):
            if struct is None:
                var = Var(arg.id)
                self.names.taken.add(arg.id)
                self.env[arg.id] = var
                params.append(var)
                continue
            # a container argument: one parameter per leaf, a Pack in its name
            leaves = [Var(self.names.fresh(n)) for n in leaf_names(arg.id, struct)]
            params.extend(leaves)
            self.env[arg.id] = _pack(struct, iter(leaves))
        body = self.out
        statements = list(node.body)
        if not statements or not isinstance(statements[-1], gast.Return):
            last = statements[-1] if statements else node
            raise UnsupportedError("the function must end with a `return` of the value to "
                                   "differentiate", self.parsed.loc(last), "missing return",
                                   hint="add `return <the value>` as the last statement")
        for stmt in statements:
            self.stmt(stmt)
        defaults = [self.value(d) for d in node.args.defaults]
        return Function(node.name, params, body, self.names, defaults, self.parsed.filename)

    # -- names ----------------------------------------------------------------------
    def name_of(self, name, node=None):
        if name in self.env:
            return self.env[name]
        if name in self.assigned:
            raise UnsupportedError(f"{name!r} may be read before it is assigned", self.loc,
                                   "name", hint=f"assign {name!r} on every path before its use")
        value, where = self.resolver.lookup(name)
        if where is None:
            raise UnsupportedError(f"name {name!r} is not defined", self.loc, "name")
        if name in _HELPER_NAMES and value is not _helper_module(name):
            raise UnsupportedError(f"the name {name!r} is reserved for the module generated "
                                   "code imports", self.loc, "name",
                                   hint=f"rename your {name!r}")
        found = static_or_global(value, name)
        if isinstance(found, Global):
            inlined = self.global_of(name, value, where)
            if inlined is not None:
                return inlined
            if where == "closure":  # read from the cell when the derivative runs
                self.extra_globals[name] = self.resolver.cells[name]
        return found

    def bind_target(self, target, value):
        if isinstance(target, gast.Name):
            self.env[target.id] = value
            return
        if isinstance(target, gast.Subscript):
            return self.store_item(target, value)
        if isinstance(value, Pack):
            if len(value) != len(target.elts):
                raise UnsupportedError(f"cannot unpack {len(value)} values into "
                                       f"{len(target.elts)} names", self.loc, "unpacking")
            for elt, item in zip(target.elts, value.items):
                self.bind_target(elt, item)
            return
        # tuple unpacking: element by element
        for i, elt in enumerate(target.elts):
            hint = elt.id if isinstance(elt, gast.Name) else "t"
            item = self.op("getitem", [value, Index([Const(i)], False)], hint=hint)
            self.bind_target(elt, item)

    def store_item(self, target, value):
        """``d['k'] = v`` or ``items[0] = v`` on a container known at compile time."""
        base = target.value
        current = self.env.get(base.id) if isinstance(base, gast.Name) else None
        if isinstance(current, Pack):
            key = self.pack_key(current, target.slice) if current.kind != "dict" else None
            if current.kind == "dict":
                k = self.value(target.slice)
                if not isinstance(k, Const):
                    raise UnsupportedError("dict keys must be constants", self.loc,
                                           "dict store")
                key = k.value
            if key is not None and not isinstance(key, slice):
                self.env[base.id] = current.with_item(key, value)
                return
        if not isinstance(base, gast.Name) or base.id not in self.env:
            raise UnsupportedError("assignment to an element of something that is not a "
                                   "local array", self.loc, "assignment to an element",
                                   hint="copy it into a local first: a = x.copy()")
        array = self.env[base.id]
        self._check_write(base.id, array)
        index = self.index(target.slice)
        self.env[base.id] = self.op("runtime.setitem", [array, index, self.value_of(value)
                                                        if not isinstance(value, Pack)
                                                        else self.materialize(value)],
                                    hint=base.id)

    def origins(self, value, seen=None):
        """The values whose memory ``value`` may be: through phis (a name rebound on
        some path or around a loop) and through views (reshape, .T, basic indexing)."""
        if not isinstance(value, Var):
            return set()
        seen = set() if seen is None else seen
        if id(value) in seen:
            return set()
        seen.add(id(value))
        phi = self.phi_of.get(id(value))
        if phi is not None:
            out = set()
            for i in phi.inputs:
                out |= self.origins(i, seen)
            return out
        view = self.view_of.get(id(value))
        if view is not None:
            return {id(value)} | self.origins(view, seen)
        return {id(value)}

    def _check_write(self, name, array):
        """Writing in place changes every name for the same memory: refuse where it would."""
        if not isinstance(array, Var):
            raise UnsupportedError(f"{name!r} is not an array this function made",
                                   self.loc, "assignment to an element",
                                   hint=f"copy it first: {name} = np.array({name}, dtype=float)")
        aliases = [other for other, v in self.env.items() if v is array and other != name]
        if aliases:
            raise UnsupportedError(
                f"{name!r} is the same array as {aliases[0]!r}; writing an element would "
                f"change {aliases[0]!r} too", self.loc, "assignment to an element",
                hint=f"make a copy first: {name} = {aliases[0]}.copy()")
        if self.made_by.get(id(array)) in VIEWS:
            raise UnsupportedError(
                f"{name!r} is a view of another array (made by {self.made_by[id(array)]}); "
                "writing into it would change that array too", self.loc,
                "assignment to an element", hint=f"make a copy first: {name} = ....copy()")

    # -- statements -----------------------------------------------------------------
    def stmt(self, node):
        suffix = self._context_suffix()
        self.loc = self.parsed.loc(node, lambda: statement_text(node) + suffix)
        getattr(self, "stmt_" + type(node).__name__)(node)

    def statement_text(self, node):
        return statement_text(node) + self._context_suffix()

    def _context_suffix(self):
        if self.inline_stack:
            key = self.inline_stack[-1][0]
            return f"  (in {getattr(key, '__name__', None) or key.name})"
        return ""

    def callee_global(self, callee):
        if self.inline_stack:
            return Global(self.alias(callee.path.split(".")[-1], callee.value), callee.value)
        return Global(callee.path, callee.value)

    def expr_Lambda(self, node, hint):
        return self.lambda_function(node)

    def body(self, statements, out):
        saved = self.out
        self.out = out
        for s in statements:
            self.stmt(s)
        self.out = saved
        return out

    def stmt_Assign(self, node):
        target = node.targets[0]
        if isinstance(node.value, gast.Lambda) and isinstance(target, gast.Name):
            self.env[target.id] = self.lambda_function(node.value)
            return
        hint = target.id if isinstance(target, gast.Name) else "t"
        if isinstance(target, (gast.Tuple, gast.List)) and isinstance(node.value, (gast.Tuple, gast.List)) \
                and len(target.elts) == len(node.value.elts) and len(node.targets) == 1:
            values = [self.value(v, e.id if isinstance(e, gast.Name) else "t")
                      for e, v in zip(target.elts, node.value.elts)]
            for elt, v in zip(target.elts, values):
                self.bind_target(elt, v)
            return
        value = self.item(node.value, hint)
        for target in node.targets:
            self.bind_target(target, value)

    def stmt_AnnAssign(self, node):
        if node.value is not None:
            self.bind_target(node.target, self.value(node.value, node.target.id))

    def stmt_AugAssign(self, node):
        if isinstance(node.target, gast.Subscript):
            # a[i] += v  is  a[i] = a[i] + v
            prim = rules.OPERATORS.get(type(node.op))
            current = self.value(gast.Subscript(node.target.value, node.target.slice,
                                                gast.Load()))
            updated = self.op(prim.key, [current, self.value(node.value)])
            return self.store_item(node.target, updated)
        name = node.target.id
        current = self.name_of(name)
        self._check_alias(name, current)
        prim = rules.OPERATORS.get(type(node.op))
        if prim is None:
            raise UnsupportedError(f"operator {type(node.op).__name__} is not supported",
                                   self.loc, "operator")
        right = self.value(node.value)
        self.env[name] = self.op(prim.key, [current, right], hint=name)

    def _check_alias(self, name, current):
        """``y += 1`` rebinds y here, but changes an array in place in NumPy: where
        another name holds the same value, check when it runs that it is not an array
        (a number is immutable, so rebinding is what Python does with it too)."""
        mine = self.origins(current)
        aliases = sorted(other for other, v in self.env.items()
                         if other != name and isinstance(v, Var) and self.origins(v) & mine)
        if aliases and isinstance(current, Var):
            where = f"{self.loc.filename}:{self.loc.line}"
            message = (f"{where}: {name!r} is the same array as {aliases[0]!r}, and NumPy's "
                       f"in-place augmented assignment would change {aliases[0]!r} too; "
                       f"write `{name} = {name} + ...` to make a new array")
            self.out.append(Op(None, "runtime.check_unshared", [current, Const(message)],
                               (), self.loc))

    def stmt_Expr(self, node):
        if isinstance(node.value, gast.Constant):
            return  # a docstring or a bare constant
        if isinstance(node.value, gast.Call):
            result = self.expr(node.value)
            if isinstance(result, Var) and self.out and self.out[-1].target is result:
                self.out[-1].target = None  # a call for its effect: print(x)
            return
        self.expr(node.value)

    def stmt_Pass(self, node):
        pass

    def stmt_Assert(self, node):
        test = self.value(node.test)
        self.out.append(Op(None, "assert", [test], (), self.loc))

    def stmt_Return(self, node):
        value = Const(None) if node.value is None else self.value(node.value, "out")
        self.out.append(Return(value, self.loc))

    def stmt_If(self, node):
        test = self.value(node.test, "cond")
        if isinstance(test, Const):  # decided at compile time: build the arm taken
            for s in (node.body if test.value else node.orelse):
                self.stmt(s)
            return
        loc = self.loc
        before = dict(self.env)
        then_out = self.body(node.body, [])
        then_env, self.env = self.env, dict(before)
        else_out = self.body(node.orelse, [])
        else_env = self.env
        self.env = self.join(then_env, else_env, before)
        phis = self._pending_phis
        self.out.append(If(test, then_out, else_out, phis, loc))

    def join(self, a, b, before):
        """Names after a two-way join; records the phis in ``self._pending_phis``."""
        out, self._pending_phis = {}, []
        for name in sorted(set(a) | set(b)):
            va, vb = a.get(name), b.get(name)
            if va is None or vb is None:
                if name in before:
                    raise AssertionError("a name defined before a branch vanished in it")
                continue  # defined on one path only: reading it later is an error
            out[name] = self._join_values(name, va, vb)
        return out

    def _join_values(self, name, va, vb):
        if va is vb:
            return va
        if isinstance(va, Pack) or isinstance(vb, Pack):
            if not (isinstance(va, Pack) and isinstance(vb, Pack) and va.kind == vb.kind
                    and len(va) == len(vb) and va.keys == vb.keys):
                raise UnsupportedError(f"{name!r} is a different container on each side of "
                                       "this branch", self.loc, "container in a branch",
                                       hint="give it the same structure on both sides")
            return Pack(va.kind, [self._join_values(name, a, b)
                                  for a, b in zip(va.items, vb.items)], va.keys)
        target = self.names.var(name)
        target.temp = False
        self._pending_phis.append(Phi(target, [va, vb]))
        self.phi_of[id(target)] = self._pending_phis[-1]
        return target

    # -- loops ----------------------------------------------------------------------
    def stmt_For(self, node):
        loc = self.loc
        target, iterable = node.target, node.iter
        kind, callee = None, None
        if isinstance(iterable, gast.Call) and not iterable.keywords \
                and isinstance(iterable.func, gast.Name):
            callee = self.expr(iterable.func)
            if isinstance(callee, Static) and callee.value in (range, enumerate, zip):
                kind = callee.value.__name__
        loop = For(None, None, [], [], loc=loc)
        prefix = []  # (user target node, operand) bound at the start of each iteration
        if kind == "range":
            args = [self.value(a) for a in iterable.args]
            loop.iter = self.op("range", args, hint="t")
            loop.range_args = args
            bind_to = target
        elif kind in ("enumerate", "zip") and self.static_iterable(iterable):
            return self.unroll(node, target, self.expr(iterable))
        elif kind == "enumerate" and _pair(target) and len(iterable.args) == 1:
            loop.iter = loop.source = self.value(iterable.args[0])
            counter_node, bind_to = target.elts
            prefix.append((counter_node, "counter"))
        elif kind == "zip" and isinstance(target, (gast.Tuple, gast.List)) \
                and len(target.elts) == len(iterable.args):
            # zip(a, b): iterate an index, so derivatives reach every sequence
            seqs = [self.value(a) for a in iterable.args]
            lengths = [self.op("len", [q]) for q in seqs]
            n = lengths[0]
            for extra in lengths[1:]:
                n = self.op("min", [n, extra])
            loop.iter = self.op("range", [n], hint="t")
            loop.range_args = [n]
            bind_to = None
            for elt, seq in zip(target.elts, seqs):
                prefix.append((elt, ("item", seq)))
        else:
            it = self.expr(iterable, "t")
            if isinstance(it, Pack):
                return self.unroll(node, target, it)
            loop.iter = loop.source = self.value_of(it) if not isinstance(it, Static) \
                else Global(it.path, it.value)
            bind_to = target
        assigned = _assigned_names(node.body) | _assigned_names([target])
        before = dict(self.env)
        # the loop's own variable is named first: `for i in ...` binds `i`
        index_var = None
        if bind_to is not None:
            loop.target = Var(self.names.fresh(bind_to.id if isinstance(bind_to, gast.Name)
                                               else "t"))
            if loop.source is not None:  # a row of an array: writing into it writes the array
                self.made_by[id(loop.target)] = "getitem"
        else:
            loop.target = index_var = Var(self.names.fresh("k"))
        names = self._open_loop(loop, assigned)
        body = []
        saved = self.out
        self.out = body
        if bind_to is not None:
            self.bind_target(bind_to, loop.target)
        for elt, what in prefix:
            if what == "counter":
                loop.counter = self.names.var(elt.id)
                loop.counter.temp = False
                self.bind_target(elt, loop.counter)
            else:
                hint = elt.id if isinstance(elt, gast.Name) else "t"
                item = self.op("getitem", [what[1], Index([index_var], False)], hint=hint)
                self.bind_target(elt, item)
        self._loop_body(node.body, loop)
        self.out = saved
        loop.body = body
        self._close_loop(loop, before, names)
        self.out.append(loop)

    def static_iterable(self, node):
        """Whether ``node`` is a container known at compile time, or enumerate/zip of them."""
        if isinstance(node, gast.Name):
            return isinstance(self.env.get(node.id), Pack)
        if isinstance(node, (gast.Tuple, gast.List, gast.Dict)):
            return True
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
                and node.func.id in ("enumerate", "zip") and not node.keywords \
                and node.func.id not in self.env:
            return all(self.static_iterable(a) for a in node.args)
        return False

    def unroll(self, node, target, pack):
        """A loop over a container known at compile time runs at compile time."""
        body = node.body
        if body and getattr(body[-1], "adcompiler_exit", False):
            raise UnsupportedError("break or return in a loop over a tuple, list or dict "
                                   "argument", self.loc, "loop over a container",
                                   hint="loop over range(len(...)) instead")
        for item in pack.items:
            self.bind_target(target, item)
            for s in body:
                self.stmt(s)

    def stmt_While(self, node):
        loc = self.loc
        assigned = _assigned_names(node.body)
        before = dict(self.env)
        loop = While([], None, [], [], loc=loc)
        names = self._open_loop(loop, assigned)
        saved = self.out
        self.out = loop.header
        loop.cond = self.value(node.test, "cond")
        self.out = loop.body
        self._loop_body(node.body, loop)
        self.out = saved
        self._close_loop(loop, before, names)
        self.out.append(loop)

    def _open_loop(self, loop, assigned):
        """Header phis for every name the loop assigns; inputs from the body come later.

        Returns {id(phi target): the user's name}.
        """
        names = {}
        for name in sorted(assigned):
            init = self.env.get(name, Const(None))  # None: not defined before the loop
            if isinstance(init, Pack):
                raise UnsupportedError(
                    f"the {init.kind} {name!r} changes inside a loop that runs a number of "
                    "times known only when the function runs", self.loc, f"{init.kind} in a loop",
                    hint="collect the values in an array instead (a = np.zeros(n); "
                         "a[i] = ...), or loop over a tuple or list so the loop unrolls")
            target = self.names.var(name)
            target.temp = False
            loop.phis.append(Phi(target, [init, None]))
            self.phi_of[id(target)] = loop.phis[-1]
            self.env[name] = target
            names[id(target)] = name
        return names

    def _loop_body(self, statements, loop):
        last = statements[-1] if statements else None
        if last is not None and getattr(last, "adcompiler_exit", False):
            statements = statements[:-1]
        for s in statements:
            self.stmt(s)
        if last is not None and getattr(last, "adcompiler_exit", False):
            self.loc = self.parsed.loc(last, statement_text(last))
            loop.exit = self.value(last.test, "t")

    def _close_loop(self, loop, before, names):
        end = self.env
        for phi in loop.phis:
            phi.inputs[1] = end.get(names[id(phi.target)], phi.target)
        # a phi whose value never changes in the loop is just its input
        mapping = {}
        changed = True
        while changed:
            changed = False
            for phi in loop.phis:
                if id(phi.target) in mapping:
                    continue
                init, nxt = (mapping.get(id(i), i) if isinstance(i, Var) else i
                             for i in phi.inputs)
                if nxt is phi.target or nxt is init:
                    mapping[id(phi.target)] = init
                    changed = True
        if mapping:
            substitute([loop], mapping)
            if isinstance(loop, While):
                loop.cond = mapping.get(id(loop.cond), loop.cond)
        removed = [p for p in loop.phis if id(p.target) in mapping]
        loop.phis = [p for p in loop.phis if id(p.target) not in mapping]
        self.env = dict(before)
        for phi in loop.phis:
            self.env[names[id(phi.target)]] = phi.target
        for phi in removed:
            value = mapping[id(phi.target)]
            if not (isinstance(value, Const) and value.value is None and
                    names[id(phi.target)] not in before):
                self.env[names[id(phi.target)]] = value

    def expr_IfExp(self, node, hint):
        test = self.value(node.test, "cond")
        body, orelse = [], []
        saved = self.out
        self.out = body
        a = self.value(node.body)
        self.out = orelse
        b = self.value(node.orelse)
        self.out = saved
        target = self.names.var(hint)
        self.out.append(If(test, body, orelse, [Phi(target, [a, b])], self.loc))
        return target

    def expr_BoolOp(self, node, hint):
        # `a and b` evaluates b only when a is true: keep that, since b may fail
        # otherwise (i < n and x[i] > 0). Where b needs no operation, stay eager.
        key = "and" if isinstance(node.op, gast.And) else "or"
        out = self.value(node.values[0])
        for right in node.values[1:]:
            saved = self.out
            self.out = pending = []
            value = self.value(right)
            self.out = saved
            if not pending:
                out = self.op(key, [out, value], hint=hint)
                continue
            target = self.names.var(hint)
            branch = (pending, []) if key == "and" else ([], pending)
            inputs = [value, out] if key == "and" else [out, value]
            self.out.append(If(out, branch[0], branch[1], [Phi(target, inputs)], self.loc))
            out = target
        return out


def _pair(target):
    return isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2 \
        and isinstance(target.elts[0], gast.Name)


def _assigned_names(statements):
    """Names the statements rebind: plain targets, and arrays or containers they write
    into (``a[i] = v``, ``a[i] += v``, ``items.append(v)``)."""
    out = set()
    for s in statements:
        for n in gast.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                out.add(n.id)
            elif isinstance(n, (gast.Assign, gast.AugAssign)):
                targets = n.targets if isinstance(n, gast.Assign) else [n.target]
                for t in targets:
                    for sub in gast.walk(t):
                        if isinstance(sub, gast.Subscript) and isinstance(sub.value, gast.Name):
                            out.add(sub.value.id)
            elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) \
                    and n.func.attr == "append" and isinstance(n.func.value, gast.Name):
                out.add(n.func.value.id)
    return out


def statement_text(node):
    """One line of source for a statement: what generated comments name.

    A statement parsed from the user's source (``frontend.source.parse``) carries
    the ``ast`` node it was made from, printed as it is; others (made by
    normalize_exits, or parsed by gast itself) are converted to ``ast`` first.
    This relies on no stage rewriting a parsed statement in place, except the
    bodies of compound statements, which their line does not show."""
    tree = getattr(node, "parsed_from", None)
    convert = _to_ast if tree is None else _as_is
    if tree is None:
        tree = node
    if isinstance(node, (gast.If, gast.While)):
        return f"{type(node).__name__.lower()} {ast.unparse(convert(tree.test))}:"
    if isinstance(node, gast.For):
        target = ast.unparse(convert(tree.target))
        return f"for {target} in {ast.unparse(convert(tree.iter))}:"
    return ast.unparse(convert(tree)).splitlines()[0]


def _as_is(node):
    return node


# gast classes whose ast twin has other fields or field types: left to gast_to_ast
_UNLIKE_AST = {"Name", "arguments", "FunctionDef", "AsyncFunctionDef", "ClassDef", "Lambda",
               "ExceptHandler", "MatchAs", "MatchStar", "MatchMapping", "MatchClass", "Suite"}


def _to_ast(node):
    """``gast.gast_to_ast(node)`` for ``ast.unparse``, without its generic visitor
    (the slowest part of naming a statement in a comment): nodes whose fields
    agree are copied field for field, and a plain Name drops gast's extra fields."""
    try:
        return _copy_ast(node)
    except _Unlike:
        return gast.gast_to_ast(node)


class _Unlike(Exception):
    pass


_AST_TWIN = {}  # gast class -> its ast class, or None when they differ


def _copy_ast(node):
    """The ``ast`` twin of the gast node ``node``; its fields' leaves (names,
    constants, None) are shared, not visited."""
    cls = type(node)
    twin = _AST_TWIN.get(cls, False)
    if twin is False:
        twin = twin_class(_AST_TWIN, cls, ast, _UNLIKE_AST)
    if twin is None:
        if cls is gast.Name and type(node.ctx) in (gast.Load, gast.Store, gast.Del):
            out = ast.Name(node.id, _copy_ast(node.ctx))
            if hasattr(node, "lineno"):
                ast.copy_location(out, node)
            return out
        raise _Unlike
    values = []
    for f in cls._fields:
        v = getattr(node, f)
        if type(v) is list:
            v = [_copy_ast(x) if isinstance(x, gast.AST) else x for x in v]
        elif isinstance(v, gast.AST):
            v = _copy_ast(v)
        values.append(v)
    out = twin(*values)
    for a in cls._attributes:  # unparse reads lineno (type comments), as gast_to_ast copies it
        v = getattr(node, a, _NO_VALUE)
        if v is not _NO_VALUE:
            setattr(out, a, v)
    return out


_NO_VALUE = object()


def _helper_module(name):
    import math
    import runtime
    return {"np": np, "math": math, "runtime": runtime}[name]


def _names(fn_node):
    """(the ids of every Name in the function ``fn_node``, nested functions and
    lambdas included; the names its body assigns itself: stored Names and the
    nested functions it defines, not what those functions or lambdas assign),
    from one walk of the tree."""
    every, assigned = set(), set()
    body = {id(stmt) for stmt in fn_node.body}
    # (node, whether it is in the function's own scope), its body in scope
    todo = [(c, id(c) in body) for c in child_nodes(fn_node)]
    while todo:
        n, own = todo.pop()
        cls = type(n)
        if cls is gast.Name:
            every.add(n.id)
            if own and type(n.ctx) is gast.Store:
                assigned.add(n.id)
        elif own and cls in (gast.FunctionDef, gast.Lambda):
            if cls is gast.FunctionDef:
                assigned.add(n.name)
            own = False  # a scope of its own
        todo.extend([(c, own) for c in child_nodes(n)])
    return every, assigned


def _pack(struct, leaves):
    kind, children = struct
    items = [next(leaves) if c is None else _pack(c, leaves) for _, c in children] \
        if kind == "dict" else [next(leaves) if c is None else _pack(c, leaves)
                                for c in children]
    keys = [k for k, _ in children] if kind == "dict" else None
    return Pack(kind, items, keys)


def build_function(parsed, resolver, structures=None):
    builder = Builder(parsed, resolver)
    builder.structures = structures
    fn = builder.build()
    fn.extra_globals = builder.extra_globals
    return fn
