"""The derivative rule table: every primitive adcompiler knows, declared once.

Read a line as: the primitive, then its partial derivatives (elementwise) or
its vector-Jacobian products (everything else). In templates ``x`` (or ``a``,
``b``) are the arguments, ``ans`` the result and ``g`` the result's adjoint;
``m.`` stands for the module the primitive comes from (``np.`` or ``math.``).
Forward rules (``jvp``) read the tangents ``d<param>``, one term per parameter.
Broadcasting is undone outside the rules (``transforms.reverse``), never here.

Conventions at non-differentiable points follow JAX (docs/rules.md):
d|x|/dx = 1 at 0; max/min split the gradient 1/2-1/2 at ties, and a max or
min reduction splits it equally among tied elements; d(x**p)/dp = 0 at x = 0.

``docs/rules.md`` is generated from this table: ``python -m adcompiler.rules.doc``.
"""
import builtins
import math
import operator
import re

import gast
import numpy as np

import runtime
import runtime.counting
from ..errors import UnsupportedError
from .registry import (DERIVED, PRIMS, REQUIRED, Params, Prim, derive, float_dtype,
                       for_module, is_static, parse_params, register, static_value)

_ELEMENTWISE_1 = "x"
_ELEMENTWISE_2 = "a, b"


def unary(name, partial, *, numpy=True, math_name=None, methods=(), np_names=None):
    """An elementwise function of one argument, from numpy and/or math."""
    names = np_names or ([name] if numpy else [])
    for np_name in names:
        register(Prim(f"np.{np_name}", parse_params(_ELEMENTWISE_1), ("call", f"np.{np_name}"),
                      partials={"x": _np_partial(partial)}, elementwise=True),
                 objects=[getattr(np, np_name)], methods=methods)
        methods = ()
    if math_name:
        register(Prim(f"math.{math_name}", parse_params(_ELEMENTWISE_1), ("call", f"math.{math_name}"),
                      partials={"x": _math(partial)}, elementwise=True),
                 objects=[getattr(math, math_name)])


def binary(key, pa, pb, *, np_names=(), math_name=None, operator_=None, fold=None, builtin=None):
    """An elementwise function of two arguments; its operator, numpy and math forms."""
    partials = {"a": pa, "b": pb}
    if operator_ is not None:
        register(Prim(key, parse_params(_ELEMENTWISE_2), ("binop", operator_),
                      partials=_module(partials, "np"), elementwise=True, fold=fold),
                 operator=operator_)
    for np_name in np_names:
        register(Prim(f"np.{np_name}", parse_params(_ELEMENTWISE_2), ("call", f"np.{np_name}"),
                      partials=_module(partials, "np"), elementwise=True),
                 objects=[getattr(np, np_name)])
    if math_name:
        register(Prim(f"math.{math_name}", parse_params(_ELEMENTWISE_2), ("call", f"math.{math_name}"),
                      partials={k: _math(v) for k, v in partials.items()}, elementwise=True),
                 objects=[getattr(math, math_name)])
    if builtin:
        register(Prim(builtin, parse_params(_ELEMENTWISE_2), ("call", builtin),
                      partials=_module(partials, "np"), elementwise=True),
                 objects=[getattr(builtins, builtin)])


# functions that derivative formulas call in runtime's scalar-first form: math's on a
# Python float or np.float64, NumPy's on anything else (runtime.cos and the others)
SCALAR_FIRST = {"cos": "-runtime.sin(x)", "sin": "runtime.cos(x)", "cosh": "runtime.sinh(x)",
                "sinh": "runtime.cosh(x)"}


def _np_partial(partial):
    """A partial derivative for the NumPy form of a function: ``m.cos(x)`` as
    ``runtime.cos(x)`` (see SCALAR_FIRST), any other ``m.`` as ``np.``."""
    partial = re.sub(r"\bm\.(%s)\(" % "|".join(SCALAR_FIRST), r"runtime.\1(", partial)
    return for_module(partial, "np")


def _module(partials, module):
    return {k: for_module(v, module) for k, v in partials.items()}


def _math(partial):
    """A partial derivative for the ``math`` form of a function: its divisions and powers
    in NumPy, since on Python floats 0.5 / 0.0 and 0.0 ** -0.5 raise where NumPy (and
    JAX) give inf or nan (d sqrt(x)/dx at 0). math works in float64, as float_power does."""
    import ast

    class ToNumPy(ast.NodeTransformer):
        def visit_BinOp(self, node):
            self.generic_visit(node)
            name = {ast.Div: "divide", ast.Pow: "float_power"}.get(type(node.op))
            if name is None:
                return node
            return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), name, ast.Load()),
                            [node.left, node.right], [])

    tree = ToNumPy().visit(ast.parse(for_module(partial, "math"), mode="eval"))
    return ast.unparse(ast.fix_missing_locations(tree))


def _numpy(name):
    """``np.linalg.norm`` for 'linalg.norm'."""
    obj = np
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def elementwise(name, params, partials, *, methods=(), **rule):
    """A NumPy elementwise function of several arguments: its partial derivatives."""
    register(Prim(f"np.{name}", parse_params(params), ("call", f"np.{name}"), partials=partials,
                  elementwise=True, kind="elementwise", **rule),
             objects=[_numpy(name)], methods=methods)


def linear(key, params, emit, vjp, *, objects=(), methods=(), attributes=(), wrt=("x",),
           zero=(), **rule):
    """A function linear in ``wrt``: forward mode applies it to the tangent."""
    register(Prim(key, parse_params(params), emit, vjp=vjp, linear=wrt, zero=zero,
                  kind="linear", **rule),
             objects=objects, methods=methods, attributes=attributes)


def np_linear(name, params, vjp, *, wrt=None, methods=(), **rule):
    """A NumPy function linear in its first parameter (or in ``wrt``): its transpose."""
    wrt = wrt or (parse_params(params)[0][0],)
    vjp = vjp if isinstance(vjp, dict) else {wrt[0]: vjp}
    linear(f"np.{name}", params, ("call", f"np.{name}"), vjp, objects=[_numpy(name)],
           methods=methods, wrt=wrt, **rule)


def np_other(name, params, vjp, jvp, *, methods=(), kind="other", **rule):
    """A NumPy function neither elementwise nor linear: a vjp per parameter and a jvp,
    a sum with one term per parameter."""
    register(Prim(f"np.{name}", parse_params(params), ("call", f"np.{name}"), vjp=vjp, jvp=jvp,
                  kind=kind, **rule),
             objects=[_numpy(name)], methods=methods)


def bilinear(key, params, emit, vjp, jvp, *, objects=(), methods=(), operator_=None):
    register(Prim(key, parse_params(params), emit, vjp=vjp, jvp=jvp, kind="bilinear"),
             objects=objects, methods=methods, operator=operator_)


def nondiff(key, params, emit, *, objects=(), methods=(), attributes=(), operator_=None):
    """Piecewise constant or integer valued: its derivative is zero everywhere."""
    register(Prim(key, parse_params(params), emit, nondiff=True),
             objects=objects, methods=methods, attributes=attributes, operator=operator_)


def opaque(key, params, emit, *, operator_=None, objects=()):
    """Known, but with no rule: an active argument is an error, not a zero."""
    register(Prim(key, parse_params(params), emit), operator=operator_, objects=objects)


def helper(name, params, *, rule="opaque", **kw):
    """A runtime helper that rules call (so generated code can be read again)."""
    key, obj = f"runtime.{name}", getattr(runtime, name)
    if rule == "nondiff":
        nondiff(key, params, ("call", key), objects=[obj])
    elif rule == "opaque":
        opaque(key, params, ("call", key), objects=[obj])
    elif rule == "linear":
        linear(key, params, ("call", key), kw.pop("vjp"), objects=[obj], **kw)
    else:
        register(Prim(key, parse_params(params), ("call", key), kind=rule, **kw), objects=[obj])


# ---- arguments the rules depend on (checked when a call is built) -------------------

def _static(param, what):
    def check(bound):
        if not is_static(static_value(bound[param])):
            return f"{param} must be {what} known when the function is compiled"
    return check


def _known_dtype(bound):
    if float_dtype(bound["dtype"]) is None:
        return ("dtype must be a real dtype known when the function is compiled (float, "
                "np.float32, int): the derivative depends on it")


def _int_dtype_has_no_derivative(prim, bound):
    """A result of an integer or boolean dtype is piecewise constant."""
    return derive(prim, "dtype=int", nondiff=True) if float_dtype(bound["dtype"]) is False \
        else prim


def _astype(prim, bound):
    kind = float_dtype(bound["dtype"])
    if kind is None:  # known only at run time: scale by 1 or 0 then
        return derive(prim, "dtype", partials={"x": "runtime.cast_scale(dtype)"})
    return _int_dtype_has_no_derivative(prim, bound)


def _clip_bounds(prim, bound):
    lower, upper = (static_value(bound[p]) is None for p in ("a_min", "a_max"))
    if lower and not upper:
        return derive(prim, "a_min=None", partials={"a": "runtime.greater_share(a_max, a)",
                                                    "a_max": "runtime.greater_share(a, a_max)"})
    if upper and not lower:
        return derive(prim, "a_max=None", partials={"a": "runtime.greater_share(a, a_min)",
                                                    "a_min": "runtime.greater_share(a_min, a)"})
    return prim


def _no_rule_unless(param, accept, **changes):
    """A variant without a rule where ``accept(value of param)`` fails: an active
    argument is then an error (np.split into unequal pieces, np.pad other than zeros)."""
    def variant(prim, bound):
        value = static_value(bound[param])
        if is_static(value) and accept(value):
            return prim
        return derive(prim, f"{param}", vjp={}, linear=(), kind="no rule", **changes)
    return variant


def _small_exponent(prim, bound):
    """x ** p with p in [0, 1) or known only at run time: on a Python float 0.0,
    0.0 ** (p - 1) raises where NumPy gives inf (d sqrt(x)/dx at 0, as in JAX), so
    the power is taken by NumPy (1.0: not np.power(2, -2), which raises for ints)."""
    b = static_value(bound["b"])
    if is_static(b) and isinstance(b, (int, float)) and not 0 <= b < 1:
        return prim
    return derive(prim, "small b", partials={**prim.partials, "a": "b * np.power(a, b - 1.0)"})


_PIECEWISE_LINEAR_NORMS = (1, -1, 0, np.inf, -np.inf)


def _norm_check(bound):
    ord = static_value(bound["ord"])
    if is_static(ord) and not (ord is None or ord in ("fro", "nuc") or
                               isinstance(ord, (int, float)) and not isinstance(ord, bool)):
        return "ord must be None, 'fro', 'nuc' or a number"


def _norm_ord(prim, bound):
    """Default and Frobenius norms: the rule above, differentiable again. The piecewise
    linear norms: signs and shares of ties (second derivative zero). Others, or an
    ord known only at run time (-np.inf is an operation here): a runtime helper."""
    ord = static_value(bound["ord"])
    if ord is None or ord == "fro":
        return prim
    share = "norm_share" if is_static(ord) and ord in _PIECEWISE_LINEAR_NORMS \
        else "norm_partial"
    ord = ord if is_static(ord) else "run time"
    partial = f"runtime.{share}(x, ans, ord, axis, keepdims)"
    return derive(prim, f"ord={ord!r}", vjp={"x": f"runtime.unreduce(g, x, axis, keepdims) * {partial}"},
                  jvp=f"np.sum(dx * {partial}, axis, keepdims=keepdims)")


def _einsum(prim, n, bound, loc):
    """np.einsum specialized to its subscripts: the adjoint of each operand is an einsum
    of the result's adjoint with the other operands."""
    subscripts = static_value(bound["subscripts"])
    if not isinstance(subscripts, str):
        raise UnsupportedError("np.einsum needs its subscripts as a string known when the "
                               "function is compiled", loc, "np.einsum",
                               hint="write them as a literal: np.einsum('ij,jk->ik', a, b)")
    key = f"np.einsum[{subscripts}]"
    if key in DERIVED:
        return DERIVED[key]
    inputs, out = _einsum_parse(subscripts, n, loc)
    names = [f"operands_{k}" for k in range(n)]
    vjp = {}
    for k, (spec, name) in enumerate(zip(inputs, names)):
        others = [(s, m) for j, (s, m) in enumerate(zip(inputs, names)) if j != k]
        seen = set(out).union(*(s for s, _ in others))
        kept = "".join(c for c in spec if c in seen)
        term = f"np.einsum({','.join([out] + [s for s, _ in others]) + '->' + kept!r}, g" + \
            "".join(f", {m}" for _, m in others) + ")"
        summed = tuple(i for i, c in enumerate(spec) if c not in seen)  # only in this operand
        if summed:
            term = f"np.broadcast_to(runtime.unbroadcast(np.expand_dims({term}, {summed}), " \
                   f"{name}), np.shape({name}))"
        else:
            term = f"runtime.unbroadcast({term}, {name})"  # einsum broadcasts axes of one
        vjp[name] = term
    jvp = " + ".join("np.einsum(" + ", ".join([repr(subscripts)] + [
        "d" + m if j == k else m for j, m in enumerate(names)]) + ")" for k in range(n))
    params = Params([("subscripts", REQUIRED)] + [(m, REQUIRED) for m in names])
    new = Prim(key, params, prim.emit, vjp=vjp, jvp=jvp, kind="other")
    new.base = prim
    DERIVED[key] = new
    return new


def _einsum_parse(subscripts, n, loc):
    text = subscripts.replace(" ", "")
    if "." in text:
        raise UnsupportedError("np.einsum with an ellipsis (...) has no derivative rule here",
                               loc, "np.einsum", hint="name every axis with a letter")
    left, arrow, out = text.partition("->")
    inputs = left.split(",")
    if not arrow:  # implicit output: the letters seen once, in alphabetical order
        out = "".join(sorted(c for c in set(left) - {","} if left.count(c) == 1))
    if len(inputs) != n:
        raise UnsupportedError(f"np.einsum subscripts {subscripts!r} name {len(inputs)} "
                               f"operands, but {n} are given", loc, "np.einsum")
    for spec in inputs:
        if len(set(spec)) != len(spec):
            raise UnsupportedError(f"np.einsum with a repeated index in one operand ({spec!r}, "
                                   "a diagonal) has no derivative rule here", loc, "np.einsum",
                                   hint="take the diagonal first: np.diagonal(x)")
    return inputs, out


# ---- elementwise, one argument ------------------------------------------------
# name        partial derivative d ans / dx
unary("sin",     "m.cos(x)",                      math_name="sin")
unary("cos",     "-m.sin(x)",                     math_name="cos")
unary("tan",     "1 + ans ** 2",                  math_name="tan")
unary("arcsin",  "1 / m.sqrt(1 - x ** 2)",        math_name="asin")
unary("arccos",  "-1 / m.sqrt(1 - x ** 2)",       math_name="acos")
unary("arctan",  "1 / (1 + x ** 2)",              math_name="atan")
unary("sinh",    "m.cosh(x)",                     math_name="sinh")
unary("cosh",    "m.sinh(x)",                     math_name="cosh")
unary("tanh",    "1 - ans ** 2",                  math_name="tanh")
unary("arcsinh", "1 / m.sqrt(x ** 2 + 1)",        math_name="asinh")
unary("arccosh", "1 / m.sqrt(x ** 2 - 1)",        math_name="acosh")
unary("arctanh", "1 / (1 - x ** 2)",              math_name="atanh")
unary("exp",     "ans",                           math_name="exp")
unary("exp2",    "ans * math.log(2)",             math_name="exp2" if hasattr(math, "exp2") else None)
unary("expm1",   "ans + 1",                       math_name="expm1")
unary("log",     "1 / x",                         math_name="log")
unary("log2",    "1 / (x * math.log(2))",         math_name="log2")
unary("log10",   "1 / (x * math.log(10))",        math_name="log10")
unary("log1p",   "1 / (1 + x)",                   math_name="log1p")
unary("sqrt",    "0.5 / ans",                     math_name="sqrt")
unary("cbrt",    "1 / (3 * ans ** 2)",            math_name="cbrt" if hasattr(math, "cbrt") else None)
unary("square",  "2 * x")
unary("reciprocal", "-ans ** 2")
unary("abs",     "runtime.sign0(x)",              math_name="fabs", np_names=["abs", "absolute"])
unary("fabs",    "runtime.sign0(x)")
unary("negative", "-1")
unary("positive", "1")
unary("deg2rad", "m.pi / 180",                    np_names=["deg2rad", "radians"])
unary("rad2deg", "180 / m.pi",                    np_names=["rad2deg", "degrees"])
unary("sinc",    "np.where(x == 0, 0.0, (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x))")
unary("erf",     "2 / math.sqrt(math.pi) * math.exp(-x ** 2)", numpy=False, math_name="erf")

for _name, _partial in SCALAR_FIRST.items():
    register(Prim(f"runtime.{_name}", parse_params(_ELEMENTWISE_1), ("call", f"runtime.{_name}"),
                  partials={"x": _partial}, elementwise=True),
             objects=[getattr(runtime, _name)])

# ---- elementwise, two arguments -------------------------------------------------
# key        d ans / da                      d ans / db
binary("add", "1",                            "1",
       np_names=["add"], operator_=gast.Add, fold=operator.add)
binary("sub", "1",                            "-1",
       np_names=["subtract"], operator_=gast.Sub, fold=operator.sub)
binary("mul", "b",                            "a",
       np_names=["multiply"], operator_=gast.Mult, fold=operator.mul)
binary("truediv", "1 / b",                    "-ans / b",
       np_names=["true_divide", "divide"] if hasattr(np, "true_divide") else ["divide"],
       operator_=gast.Div, fold=operator.truediv)
binary("pow", "b * a ** (b - 1)",             "ans * runtime.log0(a)",
       np_names=["power"], math_name="pow", operator_=gast.Pow, fold=operator.pow)
binary(None, "b * np.float_power(a, b - 1)",  "ans * runtime.log0(a)",
       np_names=["float_power"])
PRIMS["pow"].variant = PRIMS["np.power"].variant = _small_exponent
binary("mod", "1",                            "-np.floor(a / b)",
       np_names=["mod"], operator_=gast.Mod, fold=operator.mod)
binary(None, "1",                             "-np.trunc(a / b)",
       np_names=["fmod"])
binary(None, "runtime.greater_share(a, b)", "runtime.greater_share(b, a)",
       np_names=["maximum"], builtin="max")
binary(None, "runtime.greater_share(b, a)", "runtime.greater_share(a, b)",
       np_names=["minimum"], builtin="min")
binary(None, "runtime.fmax_share(a, b)",      "1 - runtime.fmax_share(a, b)",
       np_names=["fmax"])
binary(None, "runtime.fmin_share(a, b)",      "1 - runtime.fmin_share(a, b)",
       np_names=["fmin"])
binary("arctan2", "b / (a ** 2 + b ** 2)",    "-a / (a ** 2 + b ** 2)",
       np_names=["arctan2"], math_name="atan2")
binary("hypot", "np.where(ans == 0, 0.5, a / np.where(ans == 0, 1.0, ans))",
                "np.where(ans == 0, 0.5, b / np.where(ans == 0, 1.0, ans))",
       np_names=["hypot"])
binary("logaddexp", "np.exp(a - ans)",        "np.exp(b - ans)",
       np_names=["logaddexp"])
binary("logaddexp2", "np.exp2(a - ans)",      "np.exp2(b - ans)",
       np_names=["logaddexp2"])

# ---- elementwise, other ------------------------------------------------------------
# name        params            partial derivatives
elementwise("copysign", "a, b", {"a": "np.where(np.signbit(b), -runtime.sign0(a), runtime.sign0(a))"},
            zero=("b",))
# clip(a, lo, hi) is minimum(maximum(a, lo), hi), as in JAX: 1/2 at either bound
elementwise("clip", "a, a_min, a_max",
            {"a": "runtime.greater_share(a, a_min) * runtime.greater_share(a_max, np.maximum(a, a_min))",
             "a_min": "runtime.greater_share(a_min, a) * runtime.greater_share(a_max, np.maximum(a, a_min))",
             "a_max": "runtime.greater_share(np.maximum(a, a_min), a_max)"},
            methods=["clip"], variant=_clip_bounds)

register(Prim("neg", parse_params("x"), ("unop", gast.USub), partials={"x": "-1"},
              elementwise=True, fold=operator.neg), operator=gast.USub)
register(Prim("pos", parse_params("x"), ("unop", gast.UAdd), partials={"x": "1"},
              elementwise=True, fold=operator.pos), operator=gast.UAdd)
register(Prim("abs", parse_params("x"), ("call", "abs"), partials={"x": "runtime.sign0(x)"},
              elementwise=True), objects=[builtins.abs])
register(Prim("float", parse_params("x"), ("call", "float"), partials={"x": "1"},
              elementwise=True), objects=[float])
register(Prim("np.where", parse_params("condition, a, b"), ("call", "np.where"),
              # booleans: a float32 adjoint times them stays float32
              partials={"a": "np.where(condition, True, False)", "b": "np.where(condition, False, True)"},
              elementwise=True), objects=[np.where])
register(Prim("copy", parse_params("x"), ("call", "np.copy"), partials={"x": "1"},
              elementwise=True), objects=[np.copy], methods=["copy"])
register(Prim("astype", parse_params("x, dtype"), ("method", "astype"), partials={"x": "1"},
              elementwise=True, variant=_astype), methods=["astype"])

# ---- linear: reductions (forward mode applies them to tangents) ---------------------
# key            signature                     vjp of x
np_linear("sum",    "a, axis=None, *, keepdims=False", "runtime.unreduce(g, a, axis, keepdims)",
          methods=["sum"])
np_linear("mean",   "a, axis=None, *, keepdims=False", "runtime.unreduce_mean(g, a, axis, keepdims)",
          methods=["mean"])
np_linear("cumsum", "a, axis=None",                    "runtime.uncumsum(g, a, axis)",
          methods=["cumsum"])
np_linear("trace",  "a, offset=0, axis1=0, axis2=1",   "runtime.untrace(g, a, offset, axis1, axis2)",
          methods=["trace"])
np_linear("diff",   "a, n=1, axis=-1",                 "runtime.undiff(g, a, n, axis)")

# ---- linear: shapes -----------------------------------------------------------------
np_linear("reshape",     "a, shape",                 "np.reshape(g, np.shape(a))", methods=["reshape"])
np_linear("transpose",   "a, axes=None",
          lambda args: "np.transpose(g)" if _is_none(args["axes"])
          else "np.transpose(g, np.argsort(axes))", methods=["transpose"])
linear("T", "x", ("attr", "T"), {"x": "g.T"}, attributes=["T"])
np_linear("swapaxes",    "a, axis1, axis2",          "np.swapaxes(g, axis1, axis2)",
          methods=["swapaxes"])
np_linear("moveaxis",    "a, source, destination",   "np.moveaxis(g, destination, source)")
np_linear("squeeze",     "a, axis=None",             "np.reshape(g, np.shape(a))", methods=["squeeze"])
np_linear("expand_dims", "a, axis",                  "np.reshape(g, np.shape(a))")
np_linear("ravel",       "a",                        "np.reshape(g, np.shape(a))", methods=["ravel"])
linear("flatten", "a", ("method", "flatten"), {"a": "np.reshape(g, np.shape(a))"},
       methods=["flatten"], wrt=("a",))
linear("item", "a", ("method", "item"), {"a": "np.reshape(g, np.shape(a))"},
       methods=["item"], wrt=("a",))
np_linear("atleast_1d",  "arys",                     "np.reshape(g, np.shape(arys))")
np_linear("atleast_2d",  "arys",                     "np.reshape(g, np.shape(arys))")
np_linear("atleast_3d",  "arys",                     "np.reshape(g, np.shape(arys))")
np_linear("broadcast_to", "array, shape",            "runtime.unbroadcast(g, array)")
np_linear("flip",        "m, axis=None",             "np.flip(g, axis)")
np_linear("fliplr",      "m",                        "np.fliplr(g)")
np_linear("flipud",      "m",                        "np.flipud(g)")
np_linear("rot90",       "m, k=1, axes=(0, 1)",      "np.rot90(g, -k, axes)")
np_linear("roll",        "a, shift, axis=None",      "np.roll(g, np.negative(shift), axis)")
np_linear("tile",        "A, reps",                  "runtime.untile(g, A, reps)")
np_linear("repeat",      "a, repeats, axis=None",    "runtime.unrepeat(g, a, repeats, axis)",
          methods=["repeat"])
np_linear("take",        "a, indices, axis=None",    "runtime.untake(g, a, indices, axis)",
          methods=["take"])
np_linear("diagonal",    "a, offset=0, axis1=0, axis2=1",
          "runtime.undiagonal(g, a, offset, axis1, axis2)", methods=["diagonal"])
np_linear("diag",        "v, k=0",                   "runtime.undiag(g, v, k)")
np_linear("tril",        "m, k=0",                   "runtime.unbroadcast(np.tril(g, k), m)")
np_linear("triu",        "m, k=0",                   "runtime.unbroadcast(np.triu(g, k), m)")
np_linear("pad",         "array, pad_width, mode='constant'", "runtime.unpad(g, array, pad_width)",
          variant=_no_rule_unless("mode", lambda mode: mode == "constant"))
# equal pieces, computed as one array (runtime.split) so that a piece has an adjoint
linear("np.split", "ary, indices_or_sections, axis=0", ("call", "runtime.split"),
       {"ary": "runtime.unsplit(g, ary, axis)"}, objects=[np.split], wrt=("ary",),
       variant=_no_rule_unless("indices_or_sections",
                               lambda k: isinstance(k, int) and not isinstance(k, bool),
                               emit=("call", "np.split")))
np_linear("asarray",     "a, dtype=None",            "g", check=_known_dtype,
          variant=_int_dtype_has_no_derivative)
# unindex writes g into zeros at index, broadcasting it there; an index is integers,
# booleans or slices: piecewise constant (zero), even where a second derivative pops
# it from a tape
def _getitem_vjp(bound):
    """g placed at index in zeros of x's shape; where the index only drops or adds unit
    axes (gmm's t[:, :, :, 0], xc[:, :, :, None]) it covers all of x, and g of the
    result's shape, reshaped to x's, is all of it: a view, no zeros, no copy."""
    if _covers_all(bound):
        return "np.reshape(g, np.shape(x))"
    return "runtime.unindex(g, x, index)"


def _covers_all(bound):
    """Whether ``x[index]`` is every element of x, in x's order, and g an array of the
    result's shape (an adjoint has its value's shape, unless it is a lazy scalar
    standing for one): an index of full slices, None, one Ellipsis, and 0 or -1 on
    axes known to have length 1."""
    from ..ir.nodes import Const, Index, Slice
    index = bound.get("index")
    if getattr(bound, "g_is_full", False) is not True or not isinstance(index, Index):
        return False
    x = bound.shape_of(bound["x"])
    axis, ellipsis = 0, False
    for it in index.items:
        if isinstance(it, Slice) and it.lower is None and it.upper is None and it.step is None:
            axis += 1
        elif isinstance(it, Const) and it.value is None:
            continue  # a new unit axis
        elif isinstance(it, Const) and it.value is Ellipsis and not ellipsis:
            ellipsis = True  # full slices: the axes of x's this index leaves implicit
        elif isinstance(it, Const) and type(it.value) is int and it.value in (0, -1) and \
                not ellipsis and isinstance(x, tuple) and axis < len(x) and x[axis] == 1:
            axis += 1  # the one element of a unit axis
        else:
            return False
    return True


_getitem_vjp.variants = [("runtime.unindex(g, x, index)", ""),
                         ("np.reshape(g, np.shape(x))",
                          "an index of full slices, None and 0 on unit axes: all of x")]
linear("getitem", "x, index", ("getitem",), {"x": _getitem_vjp},
       zero=("index",), broadcast_g=True)
# x[index] = v, as a value: the old elements get no gradient, v gets the slot's
linear("runtime.setitem", "x, index, v", ("call", "runtime.setitem"),
       {"x": "runtime.zero_at(g, index)", "v": "runtime.unbroadcast(runtime.last_written(g, index), v)"},
       objects=[runtime.setitem], wrt=("x", "v"), zero=("index",))
linear("runtime.zero_at", "t, index", ("call", "runtime.zero_at"),
       {"t": "runtime.zero_at(g, index)"}, objects=[runtime.zero_at], wrt=("t",), zero=("index",))

# ---- linear: sequences of arrays ----------------------------------------------------
# A list display is taken apart (ir/build.py sequence_call): in `element`, the
# sequence's name stands for one element, `i` for its position and `shapes` for
# the shapes of all elements.
# name        signature               vjp of one element
np_linear("array",        "object, dtype=None", "g", sequence="object", element="g[i]",
          check=_known_dtype, variant=_int_dtype_has_no_derivative)
np_linear("stack",        "arrays, axis=0",     "np.moveaxis(g, axis, 0)", sequence="arrays",
          element="np.take(g, i, axis)")
np_linear("concatenate",  "arrays, axis=0",     {}, wrt=("arrays",), sequence="arrays",
          element="np.reshape(g[runtime.concat_piece(shapes, i, axis)], np.shape(arrays))")
np_linear("hstack",       "tup",                {}, wrt=("tup",), sequence="tup",
          element="np.reshape(g[runtime.hstack_piece(shapes, i)], np.shape(tup))")
np_linear("vstack",       "tup",                {}, wrt=("tup",), sequence="tup",
          element="np.reshape(g[runtime.vstack_piece(shapes, i)], np.shape(tup))")
np_linear("column_stack", "tup",                {}, wrt=("tup",), sequence="tup",
          element="np.reshape(g[runtime.column_stack_piece(shapes, i)], np.shape(tup))")

# ---- constructors: differentiable in the values they fill in ---------------------
np_linear("full",      "shape, fill_value, dtype=None", {"fill_value": "runtime.unbroadcast(g, fill_value)"},
          wrt=("fill_value",), zero=("shape",), check=_known_dtype,
          variant=_int_dtype_has_no_derivative)
# full_like's dtype is a's unless given: an integer result has no derivative
np_other("full_like",  "a, fill_value, dtype=None",
         {"fill_value": "runtime.unbroadcast(g * runtime.cast_scale(ans.dtype), fill_value)"},
         "np.broadcast_to(dfill_value * runtime.cast_scale(ans.dtype), np.shape(ans))",
         zero=("a",), check=_known_dtype, variant=_int_dtype_has_no_derivative)
np_other("linspace",   "start, stop, num=50, endpoint=True, *, axis=0",
         {"start": "runtime.unbroadcast(np.sum(g * (1 - runtime.linspace_fraction(ans, num, endpoint, axis)), axis), start)",
          "stop": "runtime.unbroadcast(np.sum(g * runtime.linspace_fraction(ans, num, endpoint, axis), axis), stop)"},
         "np.broadcast_to(np.expand_dims(dstart, axis) * (1 - runtime.linspace_fraction(ans, num, endpoint, axis)), np.shape(ans))"
         " + np.broadcast_to(np.expand_dims(dstop, axis) * runtime.linspace_fraction(ans, num, endpoint, axis), np.shape(ans))",
         zero=("num",))
# the values are start + k * step: stop only decides how many
np_other("arange",     "start, stop=None, step=1, *, dtype=None",
         {"start": "runtime.arange_grad(g, stop, 'start')", "step": "runtime.arange_grad(g, stop, 'step')"},
         "runtime.arange_tangent(dstart, stop, ans, 'start') + runtime.arange_tangent(dstep, stop, ans, 'step')",
         zero=("stop",), check=_known_dtype, variant=_int_dtype_has_no_derivative)

# ---- reductions that are not linear -------------------------------------------------
# name    signature                              vjp of a / jvp
_EXTREMUM = ({"a": "runtime.unreduce(g, a, axis, keepdims) * runtime.extremum_share(a, ans, axis, keepdims)"},
             "np.sum(da * runtime.extremum_share(a, ans, axis, keepdims), axis, keepdims=keepdims)")
for _name in ("max", "min", "amax", "amin"):
    np_other(_name, "a, axis=None, *, keepdims=False", *_EXTREMUM,
             methods=[_name] if _name in ("max", "min") else [])
np_other("ptp",  "a, axis=None, *, keepdims=False",
         {"a": "runtime.unreduce(g, a, axis, keepdims) * runtime.ptp_share(a, axis)"},
         "np.sum(da * runtime.ptp_share(a, axis), axis, keepdims=keepdims)")
np_other("prod", "a, axis=None, *, keepdims=False",
         {"a": "runtime.unreduce(g, a, axis, keepdims) * runtime.prod_others(a, axis)"},
         "np.sum(da * runtime.prod_others(a, axis), axis, keepdims=keepdims)", methods=["prod"])
np_other("var",  "a, axis=None, *, ddof=0, keepdims=False",
         {"a": "runtime.unreduce(g, a, axis, keepdims) * (2 * (a - np.mean(a, axis, keepdims=True)) / runtime.dof(a, axis, ddof))"},
         "np.sum(da * (a - np.mean(a, axis, keepdims=True)), axis, keepdims=keepdims) * (2 / runtime.dof(a, axis, ddof))",
         methods=["var"], zero=("ddof",))
np_other("std",  "a, axis=None, *, ddof=0, keepdims=False",
         {"a": "runtime.unreduce(g / ans, a, axis, keepdims) * ((a - np.mean(a, axis, keepdims=True)) / runtime.dof(a, axis, ddof))"},
         "np.sum(da * (a - np.mean(a, axis, keepdims=True)), axis, keepdims=keepdims) / (runtime.dof(a, axis, ddof) * ans)",
         methods=["std"], zero=("ddof",))
np_other("cumprod", "a, axis=None", {"a": "runtime.cumprod_grad(g, a, axis)"},
         "runtime.cumprod_tangent(da, a, axis)", methods=["cumprod"])
np_other("sort", "a, axis=-1", {"a": "runtime.unsort(g, a, axis)"}, "runtime.sort_tangent(da, a, axis)")
np_other("linalg.norm", "x, ord=None, axis=None, keepdims=False",
         {"x": "runtime.unreduce(g / ans, x, axis, keepdims) * x"},
         "np.sum(dx * x, axis, keepdims=keepdims) / ans", check=_norm_check, variant=_norm_ord)

# ---- products --------------------------------------------------------------------------
# key        vjp of a / vjp of b                                    jvp
# matmul's vjps written out where both operands are 1-D or 2-D of shapes known when
# compiling (tests/test_shapes.py); the runtime helpers serve any other (batches, 1-D
# promotion, shapes known only at run time) at 0.5-1 µs more per call
_MATMUL_VJP = {  # (a.ndim, b.ndim): (vjp of a, vjp of b)
    (2, 2): ("g @ b.T", "a.T @ g"),
    (1, 2): ("b @ g", "np.outer(a, g)"),
    (2, 1): ("np.outer(g, b)", "g @ a"),
    (1, 1): ("g * b", "g * a"),
}


def _matmul_vjp(side):
    def vjp(bound):
        ndims = getattr(bound, "ndims", lambda *names: None)("a", "b")
        if ndims in _MATMUL_VJP:
            return _MATMUL_VJP[ndims][side == "b"]
        return f"runtime.matmul_grad_{'left' if side == 'a' else 'right'}(g, a, b)"
    vjp.variants = [(vjp({}), "")] + [(pair[side == "b"], f"{n}-D @ {m}-D")
                                      for (n, m), pair in _MATMUL_VJP.items()]
    return vjp


bilinear("matmul", "a, b", ("binop", gast.MatMult),
         {"a": _matmul_vjp("a"), "b": _matmul_vjp("b")},
         "da @ b + a @ db", operator_=gast.MatMult)
bilinear("np.matmul", "a, b", ("call", "np.matmul"),
         {"a": _matmul_vjp("a"), "b": _matmul_vjp("b")},
         "np.matmul(da, b) + np.matmul(a, db)", objects=[np.matmul])
bilinear("np.dot", "a, b", ("call", "np.dot"),
         {"a": "runtime.dot_grad_left(g, a, b)", "b": "runtime.dot_grad_right(g, a, b)"},
         "np.dot(da, b) + np.dot(a, db)", objects=[np.dot], methods=["dot"])
np_other("inner", "a, b",
         {"a": "runtime.inner_grad_left(g, a, b)", "b": "runtime.inner_grad_right(g, a, b)"},
         "np.inner(da, b) + np.inner(a, db)", kind="bilinear")
np_other("outer", "a, b",
         {"a": "np.reshape(np.dot(g, np.ravel(b)), np.shape(a))",
          "b": "np.reshape(np.dot(np.ravel(a), g), np.shape(b))"},
         "np.outer(da, b) + np.outer(a, db)", kind="bilinear")
np_other("vdot", "a, b",
         {"a": "np.reshape(g * np.ravel(b), np.shape(a))", "b": "np.reshape(g * np.ravel(a), np.shape(b))"},
         "np.vdot(da, b) + np.vdot(a, db)", kind="bilinear")
np_other("tensordot", "a, b, axes=2",
         {"a": "runtime.tensordot_grad_left(g, a, b, axes)", "b": "runtime.tensordot_grad_right(g, a, b, axes)"},
         "np.tensordot(da, b, axes) + np.tensordot(a, db, axes)", kind="bilinear")
np_other("cross", "a, b",
         {"a": "runtime.cross_grad_left(g, a, b)", "b": "runtime.cross_grad_right(g, a, b)"},
         "np.cross(da, b) + np.cross(a, db)", kind="bilinear")
# specialized to the subscripts of each call: the adjoints are einsums too
np_other("einsum", "subscripts, *operands", {}, None, sequence="operands", specialize=_einsum,
         kind="multilinear")

# ---- linear algebra -----------------------------------------------------------------------
_SOLVED = "np.linalg.solve(np.swapaxes(a, -1, -2), runtime.to_columns(g, b))"  # a^-T g
np_other("linalg.inv", "a", {"a": "-(np.swapaxes(ans, -1, -2) @ g @ np.swapaxes(ans, -1, -2))"},
         "-(ans @ da @ ans)")
np_other("linalg.solve", "a, b",
         {"a": f"runtime.unbroadcast(-({_SOLVED} @ np.swapaxes(runtime.to_columns(ans, b), -1, -2)), a)",
          "b": f"runtime.unbroadcast(runtime.from_columns({_SOLVED}, b), b)"},
         "np.linalg.solve(a, db) + -runtime.from_columns(np.linalg.solve(a, da @ runtime.to_columns(ans, b)), b)")
# the cofactor matrix, exact where a is singular (as JAX)
np_other("linalg.det", "a", {"a": "np.expand_dims(g, (-2, -1)) * runtime.cofactor(a)"},
         "np.sum(da * runtime.cofactor(a), (-2, -1))")
# (sign, log|det|): the sign is piecewise constant; the adjoint of the pair is stacked
np_other("linalg.slogdet", "a",
         {"a": "np.expand_dims(g[1], (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)"},
         "(np.zeros_like(ans[0]), np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1))")
# NumPy reads only the lower triangle of a: the gradient is lower triangular
np_other("linalg.cholesky", "a", {"a": "runtime.cholesky_grad(g, ans)"},
         "runtime.cholesky_tangent(da, ans)")

# ---- runtime helpers that generated code calls (so it can be differentiated again)
linear("runtime.unbroadcast", "t, x", ("call", "runtime.unbroadcast"),
       {"t": "np.broadcast_to(g, np.shape(t))"}, objects=[runtime.unbroadcast], wrt=("t",), zero=("x",))
linear("runtime.sum_to", "t, shape", ("call", "runtime.sum_to"),
       {"t": "np.broadcast_to(g, np.shape(t))"}, objects=[runtime.sum_to], wrt=("t",))
linear("runtime.full", "t, shape", ("call", "runtime.full"),
       {"t": "runtime.unbroadcast(g, t)"}, objects=[runtime.full], wrt=("t",))
linear("runtime.unreduce", "t, x, axis=None, keepdims=False", ("call", "runtime.unreduce"),
       {"t": "np.sum(g, axis, keepdims=keepdims)"}, objects=[runtime.unreduce], wrt=("t",), zero=("x",))
linear("runtime.unreduce_mean", "t, x, axis=None, keepdims=False",
       ("call", "runtime.unreduce_mean"),
       {"t": "np.mean(g, axis, keepdims=keepdims)"}, objects=[runtime.unreduce_mean], wrt=("t",), zero=("x",))
linear("runtime.unindex", "t, x, index", ("call", "runtime.unindex"),
       {"t": "g[index]"}, objects=[runtime.unindex], wrt=("t",), zero=("x", "index"))
register(Prim("runtime.log0", parse_params("x"), ("call", "runtime.log0"),
              partials={"x": "1 / x"}, elementwise=True), objects=[runtime.log0])
nondiff("runtime.greater_share", "x, z", ("call", "runtime.greater_share"),
        objects=[runtime.greater_share])
nondiff("runtime.stop_gradient", "x", ("call", "runtime.stop_gradient"),
        objects=[runtime.stop_gradient])
nondiff("runtime.shape_of", "x", ("call", "runtime.shape_of"), objects=[runtime.shape_of])
nondiff("runtime.check_unshared", "*", ("call", "runtime.check_unshared"),
        objects=[runtime.check_unshared])
nondiff("runtime.zeros_grad", "x", ("call", "runtime.zeros_grad"),
        objects=[runtime.zeros_grad])
nondiff("runtime.sign0", "x", ("call", "runtime.sign0"), objects=[runtime.sign0])
# the counting variant of generated code (transforms/counting.py) passes values through it
linear("runtime.counting.counted", "name, value", ("call", "runtime.counting.counted"),
       {"value": "g"}, objects=[runtime.counting.counted], wrt=("value",))
# adjoints of products: bilinear in the adjoint and the other factor; the factor
# being differentiated is read only for its shape (forward rules serve Hessians)
for _helper, _shape, _other, _extra in [
        ("matmul_grad_left", "a", "b", ""), ("matmul_grad_right", "b", "a", ""),
        ("dot_grad_left", "a", "b", ""), ("dot_grad_right", "b", "a", ""),
        ("inner_grad_left", "a", "b", ""), ("inner_grad_right", "b", "a", ""),
        ("cross_grad_left", "a", "b", ""), ("cross_grad_right", "b", "a", ""),
        ("tensordot_grad_left", "a", "b", ", axes"), ("tensordot_grad_right", "b", "a", ", axes")]:
    _call = f"runtime.{_helper}"
    _args = "t, a, b" + _extra
    register(Prim(_call, parse_params(_args), ("call", _call), zero=(_shape,), kind="bilinear",
                  jvp=f"{_call}(dt, a, b{_extra}) + {_call}(t, " +
                      ("da, b" if _other == "a" else "a, db") + f"{_extra})"),
             objects=[getattr(runtime, _helper)])
# transposes of the shape functions above: each other's vjp
helper("uncumsum",   "t, x, axis",                   rule="linear", vjp={"t": "np.cumsum(g, axis)"},
       wrt=("t",), zero=("x",))
helper("untrace",    "t, x, offset, axis1, axis2",   rule="linear",
       vjp={"t": "np.trace(g, offset, axis1, axis2)"}, wrt=("t",), zero=("x",))
helper("undiagonal", "t, x, offset, axis1, axis2",   rule="linear",
       vjp={"t": "np.diagonal(g, offset, axis1, axis2)"}, wrt=("t",), zero=("x",))
helper("undiag",     "t, v, k",                      rule="linear", vjp={"t": "np.diag(g, k)"},
       wrt=("t",), zero=("v",))
helper("undiff",     "t, x, n, axis",                rule="linear", vjp={"t": "np.diff(g, n, axis)"},
       wrt=("t",), zero=("x",))
helper("untile",     "t, x, reps",                   rule="linear", vjp={"t": "np.tile(g, reps)"},
       wrt=("t",), zero=("x",))
helper("unrepeat",   "t, x, repeats, axis",          rule="linear",
       vjp={"t": "np.repeat(g, repeats, axis)"}, wrt=("t",), zero=("x",))
helper("untake",     "t, x, indices, axis",          rule="linear",
       vjp={"t": "np.take(g, indices, axis)"}, wrt=("t",), zero=("x",))
helper("unpad",      "t, x, pad_width",              rule="linear",
       vjp={"t": "np.pad(g, pad_width)"}, wrt=("t",), zero=("x",))
helper("unsort",     "t, x, axis",                   rule="linear",
       vjp={"t": "runtime.sort_tangent(g, x, axis)"}, wrt=("t",), zero=("x",))
helper("sort_tangent", "t, x, axis",                 rule="linear",
       vjp={"t": "runtime.unsort(g, x, axis)"}, wrt=("t",), zero=("x",))
helper("split",      "ary, sections, axis",          rule="linear",
       vjp={"ary": "runtime.unsplit(g, ary, axis)"}, wrt=("ary",))
helper("unsplit",    "t, x, axis",                   rule="linear",
       vjp={"t": "runtime.split(g, np.shape(t)[0], axis)"}, wrt=("t",), zero=("x",))
helper("to_columns", "t, b",                         rule="linear",
       vjp={"t": "runtime.from_columns(g, b)"}, wrt=("t",), zero=("b",))
helper("from_columns", "t, b",                       rule="linear",
       vjp={"t": "runtime.to_columns(g, b)"}, wrt=("t",), zero=("b",))
helper("last_written", "t, index",                    rule="linear",
       vjp={"t": "runtime.unindex(g * runtime.last_writes(t, index), t, index)"}, wrt=("t",),
       zero=("index",))
# forward mode's scalar loops: numbers as Python floats, in code not differentiated
# again (runtime.to_float is float itself, whose own rule is "float"'s)
opaque("runtime.to_float", "x", ("call", "runtime.to_float"))
helper("python_floats", "x")
helper("zero_tangent", "x", rule="nondiff")
# the seed, passed on once its shape is checked: linear in it
helper("check_seed", "seed, value", rule="linear", vjp={"seed": "g"}, wrt=("seed",),
       zero=("value",))
# piecewise constant: zero derivative
for _name, _params in [("last_writes", "x, index"), ("fmax_share", "a, b"), ("fmin_share", "a, b"), ("cast_scale", "dtype"),
                       ("extremum_share", "x, ans, axis, keepdims"), ("ptp_share", "x, axis"),
                       ("dof", "x, axis, ddof"), ("norm_share", "x, ans, ord, axis, keepdims"),
                       ("linspace_fraction", "ans, num, endpoint, axis"),
                       ("concat_piece", "shapes, i, axis"), ("hstack_piece", "shapes, i"),
                       ("vstack_piece", "shapes, i"), ("column_stack_piece", "shapes, i")]:
    helper(_name, _params, rule="nondiff")
# no rule of their own: differentiating them (a second derivative) is an error
for _name, _params in [("prod_others", "x, axis"), ("cumprod_grad", "g, x, axis"),
                       ("cumprod_tangent", "t, x, axis"), ("cofactor", "a"),
                       ("cholesky_grad", "g, L"), ("cholesky_tangent", "t, L"),
                       ("norm_partial", "x, ans, ord, axis, keepdims"),
                       ("arange_grad", "g, stop, which"),
                       ("arange_tangent", "t, stop, ans, which")]:
    helper(_name, _params)

# ---- zero derivative: comparisons, integer and shape valued functions -----------
for _cls, _key, _fold in [(gast.Lt, "lt", operator.lt), (gast.LtE, "le", operator.le),
                          (gast.Gt, "gt", operator.gt), (gast.GtE, "ge", operator.ge),
                          (gast.Eq, "eq", operator.eq), (gast.NotEq, "ne", operator.ne),
                          (gast.Is, "is", None), (gast.IsNot, "isnot", None),
                          (gast.In, "in", None), (gast.NotIn, "notin", None)]:
    nondiff(_key, "*", ("compare", _cls), operator_=_cls)
    PRIMS[_key].fold = _fold  # comparisons of constants are decided at compile time
nondiff("not", "*", ("unop", gast.Not), operator_=gast.Not)
PRIMS["not"].fold = operator.not_
nondiff("floordiv", "*", ("binop", gast.FloorDiv), operator_=gast.FloorDiv)
_NONDIFF_METHODS = ("argmax", "argmin", "round", "argsort", "any", "all", "nonzero")
for _name in ("sign", "floor", "ceil", "round", "around", "rint", "trunc", "fix", "heaviside",
              "signbit", "argmax", "argmin", "argsort", "searchsorted", "argwhere",
              "flatnonzero", "nonzero", "count_nonzero", "shape", "ndim", "size",
              "isnan", "isinf", "isfinite", "isclose", "allclose", "array_equal", "any", "all",
              "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
              "logical_and", "logical_or", "logical_not", "logical_xor", "floor_divide",
              # constructors: their values do not depend on their (shape) arguments
              "zeros", "ones", "empty", "zeros_like", "ones_like", "empty_like", "eye",
              "identity", "tri"):
    nondiff(f"np.{_name}", "*", ("call", f"np.{_name}"),
            objects=[getattr(np, _name)],
            methods=[_name] if _name in _NONDIFF_METHODS else ())
for _name in ("len", "int", "round", "bool", "print", "isinstance", "range"):
    nondiff(_name, "*", ("call", _name), objects=[getattr(builtins, _name)])
# their items are the values themselves: only the loop forms the builder knows
# (ir/build.py stmt_For) carry derivatives through them; anywhere else, an error
for _name in ("enumerate", "zip", "reversed"):
    opaque(_name, "*", ("call", _name), objects=[getattr(builtins, _name)])
for _name in ("floor", "ceil", "trunc", "isnan", "isinf", "isfinite"):
    nondiff(f"math.{_name}", "*", ("call", f"math.{_name}"), objects=[getattr(math, _name)])
for _attr in ("shape", "ndim", "size", "dtype"):
    nondiff(f"attr.{_attr}", "x", ("attr", _attr), attributes=[_attr])

# ---- known, but not differentiable through ---------------------------------------------
opaque("tuple", "*", ("tuple",))
opaque("list", "*", ("list",))
opaque("and", "*", ("boolop", gast.And))
opaque("or", "*", ("boolop", gast.Or))
opaque("call", "*", ("generic",))
opaque("getattr", "*", ("getattr",))
# the tape of loops in reverse mode: values the backward sweep needs and the
# forward sweep overwrites (never differentiated: generated code only)
nondiff("runtime.Tape", "*", ("call", "runtime.Tape"), objects=[runtime.Tape])
nondiff("tape.push", "*", ("method", "push"))
nondiff("tape.pop", "*", ("method", "pop"))
nondiff("assert", "*", ("assert",))


def _is_none(operand):
    from ..ir.nodes import Const
    return isinstance(operand, Const) and operand.value is None


del _cls, _key, _fold, _name, _attr, _helper, _shape, _other, _call, _args, _extra, _params
