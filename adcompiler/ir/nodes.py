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
    if type(operand) in _OPENED:
        return operand.operands()
    return [operand]


_OPENED = (Index, Slice)  # exact types: leaves() runs on every operand of every pass


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
        for a in self.args:
            if type(a) in _OPENED:
                out.extend(a.operands())
            else:
                out.append(a)
        for _, a in self.kwargs:
            if type(a) in _OPENED:
                out.extend(a.operands())
            else:
                out.append(a)
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

    __slots__ = ("test", "body", "orelse", "phis", "loc", "note", "mirror")

    def __init__(self, test, body, orelse, phis, loc=None, note=None, mirror=None):
        self.test, self.body, self.orelse, self.phis, self.loc = test, body, orelse, phis, loc
        self.note = note
        # the forward If this one reverses: on the same condition, its arms may
        # read what the forward arms defined
        self.mirror = mirror

    def operands(self):
        return [self.test]

    def defs(self):
        return [p.target for p in self.phis]


class For:
    """``for target in iter: body``; the loop ends early when ``exit`` is true
    at the end of an iteration (a ``break`` normalised into a flag).

    ``phis`` sit at the loop header: inputs (value before the loop, value at
    the end of the body); after the loop a name holds its phi target.
    ``source`` is set when ``target`` is ``source[k]`` at iteration k (iterating
    an array), so derivatives can flow back into ``source``; ``counter`` is
    the user's ``enumerate`` index; ``range_args`` the arguments of a
    ``range(...)`` iterable. ``trip`` (added by reverse mode) counts iterations.
    """

    __slots__ = ("target", "iter", "body", "phis", "exit", "source", "counter", "range_args",
                 "trip", "loc", "note")

    def __init__(self, target, iter, body, phis, exit=None, source=None, counter=None,
                 range_args=None, loc=None, note=None):
        self.target, self.iter, self.body, self.phis = target, iter, body, phis
        self.exit, self.source, self.counter, self.range_args = exit, source, counter, range_args
        self.trip, self.loc, self.note = None, loc, note

    def operands(self):
        return [self.iter] + [p.inputs[0] for p in self.phis]

    def inner_operands(self):
        """Operands read at the end of each iteration: phi inputs from the body, exit."""
        return [p.inputs[1] for p in self.phis] + ([self.exit] if self.exit is not None else [])

    def loop_defs(self):
        return [v for v in (self.target, self.counter) if v is not None]

    def defs(self):
        return [p.target for p in self.phis] + ([self.trip] if self.trip is not None else [])


class While:
    """``while cond: body``: ``header`` recomputes ``cond`` before each iteration."""

    __slots__ = ("header", "cond", "body", "phis", "exit", "trip", "loc", "note")

    def __init__(self, header, cond, body, phis, exit=None, loc=None, note=None):
        self.header, self.cond, self.body, self.phis = header, cond, body, phis
        self.exit, self.trip, self.loc, self.note = exit, None, loc, note

    def operands(self):
        return [p.inputs[0] for p in self.phis]

    def inner_operands(self):
        return [p.inputs[1] for p in self.phis] + ([self.exit] if self.exit is not None else []) \
            + [self.cond]

    def loop_defs(self):
        return []

    def defs(self):
        return [p.target for p in self.phis] + ([self.trip] if self.trip is not None else [])


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
        # ids of the values derivative code defines: a reverse transform's backward
        # sweep (adjoints), a forward transform's tangent code (tangents), and their
        # temporaries; floats (passes that rely on that read it)
        self.backward = frozenset()


class Names:
    """Hands out deterministic names that never collide with a reserved one."""

    def __init__(self, reserved=()):
        self.taken = set(reserved)
        self._next = {}  # base -> the suffix to try first

    def fresh(self, base):
        name, n = base, self._next.get(base, 0)
        if n:
            name = f"{base}_{n}"
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        self._next[base] = n + 1
        return name

    def var(self, base):
        return Var(self.fresh(base), temp=base in ("t", "cond"))


def walk(body):
    """Every statement in ``body``, nested ones included, in program order."""
    for stmt in body:
        yield stmt
        if type(stmt) is not Op:  # most statements: no nested blocks to ask for
            for block in blocks(stmt):
                yield from walk(block)


def blocks(stmt):
    """The nested statement lists of a structured statement."""
    if isinstance(stmt, If):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, For):
        return [stmt.body]
    if isinstance(stmt, While):
        return [stmt.header, stmt.body]
    return []


def all_operands(stmt):
    """Every operand a statement reads, its phis' and loop ends' included
    (not those of statements nested in it)."""
    out = list(stmt.operands())
    if isinstance(stmt, If):
        out += [i for phi in stmt.phis for i in phi.inputs]
    elif isinstance(stmt, (For, While)):
        out += stmt.inner_operands()
    return [leaf for o in out for leaf in leaves(o)]


def defined_in(body):
    """The ids of the values the statements of ``body`` define, nested ones included,
    with the targets and counters of nested loops."""
    return {id(d) for s in walk(body)
            for d in (s.defs() + s.loop_defs() if isinstance(s, (For, While)) else s.defs())}


def unrebound(operands, body, start, end):
    """No statement in ``body[start + 1:end]`` rebinds the name of one of ``operands``:
    a read of them moved from ``start`` to ``end`` reads the same values."""
    names = {o.name for o in operands if isinstance(o, Var)}
    for stmt in body[start + 1:end]:
        for inner in walk([stmt]):
            defined = inner.defs() if hasattr(inner, "defs") else []
            if any(d.name in names for d in defined):
                return False
    return True


def read_counts(body):
    """How many times each Var (by id) is read in ``body``, nested blocks, phis and
    loop ends included."""
    counts = {}
    get = counts.get
    for stmt in walk(body):
        # an Op's operands are leaves already (Op.operands opens Index and Slice)
        for o in stmt.operands() if type(stmt) is Op else all_operands(stmt):
            if type(o) is Var:
                counts[id(o)] = get(id(o), 0) + 1
    return counts


def substitute(body, mapping):
    """Replace uses of Vars (by identity) throughout ``body``: {id(var): operand}."""
    def sub(o):
        if isinstance(o, Var):
            return mapping.get(id(o), o)
        if isinstance(o, Index):
            return Index([sub(i) for i in o.items], o.is_tuple)
        if isinstance(o, Slice):
            return Slice(*(None if p is None else sub(p) for p in (o.lower, o.upper, o.step)))
        return o

    for stmt in walk(body):
        if isinstance(stmt, Op):
            stmt.args = tuple(sub(a) for a in stmt.args)
            stmt.kwargs = tuple((k, sub(v)) for k, v in stmt.kwargs)
        elif isinstance(stmt, Return):
            stmt.value = sub(stmt.value)
        elif isinstance(stmt, If):
            stmt.test = sub(stmt.test)
        elif isinstance(stmt, For):
            stmt.iter = sub(stmt.iter)
            if stmt.source is not None:
                stmt.source = sub(stmt.source)
            if stmt.range_args is not None:
                stmt.range_args = [sub(a) for a in stmt.range_args]
        elif isinstance(stmt, While):
            stmt.cond = sub(stmt.cond)
        if isinstance(stmt, (If, For, While)):
            for phi in stmt.phis:
                phi.inputs = [sub(i) for i in phi.inputs]
            if isinstance(stmt, (For, While)) and stmt.exit is not None:
                stmt.exit = sub(stmt.exit)
