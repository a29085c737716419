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
                 nondiff=False, elementwise=False, fold=None, jvp=None, zero=()):
        self.key = key
        # params: list of (name, default); default REQUIRED for positional ones
        self.params = params
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


PRIMS = {}          # key -> Prim
BY_OBJECT = {}      # id(python callable) -> Prim  (np.sin -> Prim('np.sin'))
OBJECTS = {}        # id -> the object itself, keeping it alive for the id
METHODS = {}        # array method name -> Prim  (x.sum() -> np.sum)
ATTRIBUTES = {}     # array attribute name -> Prim  (x.T)
OPERATORS = {}      # gast operator class -> Prim


def parse_params(spec):
    """'x, axis=None, keepdims=False' -> [('x', REQUIRED), ('axis', None), ...].

    '*' declares a variadic primitive: its arguments are kept as written.
    """
    if spec.strip() == "*":
        return None
    fn = gast.parse(f"def _({spec}): pass").body[0]
    args = fn.args.args
    defaults = [None] * (len(args) - len(fn.args.defaults)) + list(fn.args.defaults)
    out = []
    for a, d in zip(args, defaults):
        out.append((a.id, REQUIRED if d is None else _literal(d)))
    return out


def _literal(node):
    return eval(compile(gast.gast_to_ast(gast.Expression(body=node)), "<rule>", "eval"))


def register(prim, objects=(), methods=(), attributes=(), operator=None):
    if prim.key in PRIMS:
        raise ValueError(f"primitive {prim.key} declared twice")
    PRIMS[prim.key] = prim
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
