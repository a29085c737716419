"""The SSA intermediate form.

A function is a list of statements. Each ``Op`` performs one primitive
operation and defines at most one ``Var``; each ``Var`` is defined once.
Control flow stays structured (``If``, ``For``, ``While``) and carries its phi
nodes: an ``If`` joins its two arms in ``phis``, a loop merges the value from
before the loop with the one from the end of its body in ``phis`` at its header.

Operands are ``Var`` (an SSA value), ``Const`` (a Python constant), ``Global``
(a name read from the user's module at run time), ``Index`` (the inside of a
subscript) and ``Slice``.
"""


class Var:
    """An SSA value. Identity is the object; ``name`` is what codegen prints."""

    __slots__ = ("name", "temp")

    def __init__(self, name, temp=False):
        self.name = name
        self.temp = temp  # a compiler temporary, which codegen may fold into its use

    def __repr__(self):
        return self.name


class Const:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return repr(self.value)

    def __eq__(self, other):
        return (isinstance(other, Const) and type(other.value) is type(self.value)
                and _same(other.value, self.value))

    def __hash__(self):
        return hash((type(self.value), repr(self.value)))


def _same(a, b):
    try:
        return bool(a == b)
    except Exception:
        return a is b


class Global:
    """A name looked up in the user's globals when the generated code runs."""

    __slots__ = ("name", "value")

    def __init__(self, name, value):
        self.name, self.value = name, value

    def __repr__(self):
        return self.name


class Slice:
    __slots__ = ("lower", "upper", "step")

    def __init__(self, lower, upper, step):
        self.lower, self.upper, self.step = lower, upper, step

    def operands(self):
        return [o for o in (self.lower, self.upper, self.step) if o is not None]

    def __repr__(self):
        parts = ["" if o is None else repr(o) for o in (self.lower, self.upper, self.step)]
        return ":".join(parts[:2] if self.step is None else parts)


class Index:
    """The index of a subscript: a tuple of operands, ``Slice``s, None and Ellipsis."""

    __slots__ = ("items", "is_tuple")

    def __init__(self, items, is_tuple):
        self.items, self.is_tuple = tuple(items), is_tuple

    def operands(self):
        out = []
        for it in self.items:
            out.extend(it.operands() if isinstance(it, Slice) else [it])
        return out

    def __repr__(self):
        inner = ", ".join(repr(i) for i in self.items)
        return inner + "," if self.is_tuple and len(self.items) == 1 else inner


def leaves(operand):
    """The Vars, Consts and Globals inside an operand (Index and Slice opened)."""
    if isinstance(operand, (Index, Slice)):
        return operand.operands()
    return [operand]


class Op:
    """``target = prim(*args, **kwargs)``; ``target`` is None for a bare call."""

    __slots__ = ("target", "prim", "args", "kwargs", "loc", "note")

    def __init__(self, target, prim, args, kwargs=(), loc=None, note=None):
        self.target, self.prim = target, prim
        self.args, self.kwargs = tuple(args), tuple(kwargs)
        self.loc = loc
        self.note = note  # a comment codegen prints above the group this Op starts

    def operands(self):
        out = []
        for a in list(self.args) + [v for _, v in self.kwargs]:
            out.extend(leaves(a))
        return out

    def defs(self):
        return [self.target] if self.target is not None else []


class Phi:
    """``target = phi(*inputs)``: inputs in the order the construct defines."""

    __slots__ = ("target", "inputs")

    def __init__(self, target, inputs):
        self.target, self.inputs = target, list(inputs)


class If:
    """Branch on ``test``; ``phis`` have inputs (from body, from orelse)."""

    __slots__ = ("test", "body", "orelse", "phis", "loc", "note")

    def __init__(self, test, body, orelse, phis, loc=None, note=None):
        self.test, self.body, self.orelse, self.phis, self.loc = test, body, orelse, phis, loc
        self.note = note

    def operands(self):
        return [self.test]

    def defs(self):
        return [p.target for p in self.phis]


class Return:
    __slots__ = ("value", "loc", "note")

    def __init__(self, value, loc=None, note=None):
        self.value, self.loc, self.note = value, loc, note

    def operands(self):
        return leaves(self.value) if self.value is not None else []

    def defs(self):
        return []


class Function:
    """An SSA function: its parameters, body, and the namer that made its names."""

    def __init__(self, name, params, body, names, defaults=(), filename="<unknown>"):
        self.name, self.params, self.body = name, list(params), body
        self.names, self.defaults, self.filename = names, tuple(defaults), filename


class Names:
    """Hands out deterministic names that never collide with a reserved one."""

    def __init__(self, reserved=()):
        self.taken = set(reserved)

    def fresh(self, base):
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    def var(self, base):
        return Var(self.fresh(base), temp=base == "t")


def walk(body):
    """Every statement in ``body``, nested ones included, in program order."""
    for stmt in body:
        yield stmt
        for block in blocks(stmt):
            yield from walk(block)


def blocks(stmt):
    """The nested statement lists of a structured statement."""
    if isinstance(stmt, If):
        return [stmt.body, stmt.orelse]
    return []
