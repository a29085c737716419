"""Primitives and their derivative rules: the machinery behind ``rules.table``.

A primitive (``Prim``) is one operation the IR can hold: a Python operator, a
NumPy or ``math`` function, an array method or attribute, or a ``runtime``
helper. It knows how to print itself and, when differentiable, its rule:

- elementwise primitives declare one *partial derivative* per argument
  (an expression in the arguments and ``ans``, the result); reverse mode
  multiplies the output's adjoint by it, forward mode sums partial * tangent;
- other primitives declare a *vjp* template per argument (an expression in
  ``g``, the output's adjoint, the arguments and ``ans``); linear ones also
  say so, and forward mode applies the primitive itself to the tangents.

Templates are Python expressions, parsed once and lowered into IR like user
code, so the generated code reads as if written by hand and can itself be
differentiated again.
"""
import re

import gast

REQUIRED = object()  # marks a parameter with no default


class Prim:
    def __init__(self, key, params, emit, *, partials=None, vjp=None, linear=(),
                 nondiff=False, elementwise=False, fold=None, jvp=None, zero=(),
                 sequence=None, element=None, check=None, variant=None, specialize=None,
                 kind=None, broadcast_g=False):
        self.key = key
        # params: list of (name, default); default REQUIRED for positional ones
        self.params = params
        # how many arguments may be given by position (the rest by keyword only);
        # None: all of them
        self.positional = getattr(params, "positional", None)
        # emit: ('binop', gast op class) | ('unop', cls) | ('compare', cls) |
        #       ('call', 'np.sum') | ('attr', 'T') | ('getitem',) | ('boolop', cls)
        #       | ('tuple',) | ('generic',)
        self.emit = emit
        self.partials = partials or {}
        self.vjp = vjp or {}
        self.jvp = jvp
        self.linear = tuple(linear)
        self.nondiff = nondiff
        self.elementwise = elementwise
        self.fold = fold  # a Python callable to fold constant arguments, or None
        # parameters with a zero derivative: read for their shape, or piecewise constant
        self.zero = tuple(zero)
        # the parameter that takes a sequence of arrays (np.stack([a, b]), or *operands):
        # a call with a list display gets a primitive of its own (``specialize``) with
        # one parameter per element, so each element has its own derivative
        self.sequence = sequence
        self.element = element  # the vjp of one element of it (``specialize``)
        self.varargs = getattr(params, "varargs", None) is not None
        self.specializer = specialize  # (prim, n, bound) -> Prim, for a special sequence rule
        # check(bound) -> a message when an argument is one the rule does not cover
        # (bound: {param: operand}); build.bind raises it as an UnsupportedError
        self.check = check
        # variant(prim, bound) -> the primitive to use for these (constant) arguments
        self.variant = variant
        self.kind = kind  # for docs/rules.md: elementwise, linear, bilinear, other, ...
        # the vjp broadcasts g to the result's shape itself, so reverse mode may pass
        # a lazy adjoint (one that only broadcasts to it) without making it full
        self.broadcast_g = broadcast_g
        self.base = None  # the declared primitive a specialized or variant one comes from
        self.sequence_span = None  # (position, count) of a sequence's elements in args
        self.methods, self.attributes, self.objects = (), (), ()

    @property
    def variadic(self):
        return self.params is None

    @property
    def param_names(self):
        return [p for p, _ in self.params or ()]

    def has_rule_for(self, param, forward=False):
        """Whether derivatives with respect to ``param`` are known: in reverse mode
        from a partial or vjp, in forward mode from a partial, linearity or the
        jvp template (which names the tangent ``d<param>``)."""
        if param in self.partials or param in self.zero:
            return True
        if forward:
            return param in self.linear or param in self.jvp_params()
        return param in self.vjp

    def jvp_params(self):
        """The parameters whose tangents the jvp template reads."""
        if not self.jvp:
            return set()
        if isinstance(self.jvp, dict):
            return set(self.jvp)
        names = {n.id for n in gast.walk(parse_template(self.jvp)) if isinstance(n, gast.Name)}
        return {p for p in self.param_names if "d" + p in names}

    def __repr__(self):
        return f"Prim({self.key})"


class _Prims(dict):
    """The declared primitives; ``PRIMS[key]`` also finds the derived ones (a
    sequence primitive specialized to a length, a variant for constant
    arguments), which iterating over the declared ones leaves out."""

    def __missing__(self, key):
        return DERIVED[key]


PRIMS = _Prims()    # key -> Prim
DERIVED = {}        # key -> Prim made from a declared one (``specialize``, ``derive``)
BY_OBJECT = {}      # id(python callable) -> Prim  (np.sin -> Prim('np.sin'))
OBJECTS = {}        # id -> the object itself, keeping it alive for the id
METHODS = {}        # array method name -> Prim  (x.sum() -> np.sum)
ATTRIBUTES = {}     # array attribute name -> Prim  (x.T)
OPERATORS = {}      # gast operator class -> Prim


class Params(list):
    """[(name, default)], knowing how many may be passed by position and which one,
    if any, collects the remaining positional arguments (``*operands``)."""

    positional = None
    varargs = None


def parse_params(spec):
    """'x, axis=None, keepdims=False' -> [('x', REQUIRED), ('axis', None), ...].

    '*' declares a variadic primitive: its arguments are kept as written.
    After a bare ``*`` parameters are keyword-only (as in NumPy, where the
    positions in between hold arguments we do not support, such as ``dtype``);
    ``*operands`` collects positional arguments (``np.einsum``).
    """
    if spec.strip() == "*":
        return None
    fn = gast.parse(f"def _({spec}): pass").body[0]
    args = fn.args.args
    defaults = [None] * (len(args) - len(fn.args.defaults)) + list(fn.args.defaults)
    out = Params()
    for a, d in zip(args, defaults):
        out.append((a.id, REQUIRED if d is None else _literal(d)))
    if fn.args.vararg is not None:
        out.varargs = fn.args.vararg.id
        out.append((out.varargs, REQUIRED))
    elif fn.args.kwonlyargs:
        out.positional = len(out)
    for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults):
        out.append((a.id, REQUIRED if d is None else _literal(d)))
    return out


def _literal(node):
    return eval(compile(gast.gast_to_ast(gast.Expression(body=node)), "<rule>", "eval"))


def register(prim, objects=(), methods=(), attributes=(), operator=None):
    if prim.key in PRIMS:
        raise ValueError(f"primitive {prim.key} declared twice")
    PRIMS[prim.key] = prim
    prim.methods, prim.attributes = tuple(methods), tuple(attributes)
    prim.objects = tuple(objects)
    for obj in objects:
        BY_OBJECT[id(obj)] = prim
        OBJECTS[id(obj)] = obj
    for m in methods:
        METHODS[m] = prim
    for a in attributes:
        ATTRIBUTES[a] = prim
    if operator is not None:
        OPERATORS[operator] = prim
    return prim


def for_module(template, module):
    """Write a template's module placeholder ``m.`` as ``np.`` or ``math.``."""
    return re.sub(r"\bm\.", module + ".", template)


_parsed = {}


def parse_template(text):
    """A template's expression tree, parsed once and shared (never mutated)."""
    tree = _parsed.get(text)
    if tree is None:
        tree = _parsed[text] = gast.parse(text, mode="eval").body
    return tree


# ---- primitives derived from declared ones -------------------------------------------

def derive(prim, label, **changes):
    """A variant of ``prim`` (key ``prim.key[label]``) with some attributes changed:
    ``nondiff=True`` for ``x.astype(int)``, other rules for ``norm(x, ord=1)``."""
    key = f"{prim.key}[{label}]"
    found = DERIVED.get(key)
    if found is not None:
        return found
    new = Prim(key, prim.params, prim.emit)
    new.__dict__.update({k: v for k, v in prim.__dict__.items() if k != "key"})
    new.__dict__.update(changes)
    new.base = prim.base or prim
    new.variant = None
    DERIVED[key] = new
    return new


def specialize(prim, n, bound, loc=None):
    """``prim`` for a call whose sequence parameter has ``n`` elements.

    The sequence parameter ``arrays`` becomes ``arrays_0 ... arrays_{n-1}``. In
    its vjp template, ``arrays`` stands for the element, ``i`` for its position
    and ``shapes`` for the tuple of the shapes of all elements; the template is
    written out once per element.
    """
    if prim.specializer is not None:
        return prim.specializer(prim, n, bound, loc)
    key = f"{prim.key}[{n}]"
    found = DERIVED.get(key)
    if found is not None:
        return found
    seq = prim.sequence
    names = [f"{seq}_{k}" for k in range(n)]
    params = Params()
    for name, default in prim.params:
        params.extend([(m, REQUIRED) for m in names] if name == seq else [(name, default)])
    shapes = "(" + "".join(f"np.shape({m}), " for m in names) + ")"
    vjp = {k: v for k, v in prim.vjp.items() if k != seq}
    element = prim.element or prim.vjp.get(seq)
    if element is not None:
        for k, m in enumerate(names):
            vjp[m] = rename(element, {seq: m, "i": str(k), "shapes": shapes})
    expand = lambda params: tuple(q for p in params for q in (names if p == seq else [p]))
    new = Prim(key, params, prim.emit, vjp=vjp, linear=expand(prim.linear),
               zero=expand(prim.zero), nondiff=prim.nondiff, variant=prim.variant,
               kind=prim.kind)
    new.base = prim
    if not prim.varargs:
        new.sequence_span = (prim.param_names.index(seq), n)
    DERIVED[key] = new
    return new


def rename(template, mapping):
    """``template`` with the names in ``mapping`` replaced by expressions (text)."""
    import ast

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in mapping:
                return ast.parse(mapping[node.id], mode="eval").body
            return node

    tree = Rename().visit(ast.parse(template, mode="eval"))
    return ast.unparse(tree)


_UNKNOWN = object()


def static_value(operand):
    """The value of an argument known when the function is compiled: a constant, or
    a name such as ``np.inf`` or ``np.float32``; ``_UNKNOWN`` otherwise."""
    from ..ir.nodes import Const, Global
    if isinstance(operand, Const):
        return operand.value
    if isinstance(operand, Global) and operand.value is not None:
        return operand.value
    return _UNKNOWN


def is_static(value):
    return value is not _UNKNOWN


def float_dtype(operand):
    """True for a float dtype (or None: NumPy's default), False for another dtype
    (int, bool: piecewise constant), None when unknown until run time."""
    import numpy as np
    value = static_value(operand)
    if value is None:
        return True
    if not is_static(value):
        return None
    try:
        dtype = np.dtype(value)
    except TypeError:
        return None
    return bool(np.issubdtype(dtype, np.floating))
