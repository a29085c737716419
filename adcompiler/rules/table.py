"""The derivative rule table: every primitive adcompiler knows, declared once.

Read a line as: the primitive, then its partial derivatives (elementwise) or
its vector-Jacobian products (everything else). In templates ``x`` (or ``a``,
``b``) are the arguments, ``ans`` the result and ``g`` the result's adjoint;
``m.`` stands for the module the primitive comes from (``np.`` or ``math.``).
Broadcasting is undone outside the rules (``transforms.reverse``), never here.

Conventions at non-differentiable points follow JAX (docs/rules.md):
d|x|/dx = 1 at 0; max/min split the gradient 1/2-1/2 at ties;
d(x**p)/dp = 0 at x = 0.
"""
import builtins
import math
import operator

import gast
import numpy as np

import runtime
import runtime.counting
from .registry import PRIMS, Prim, REQUIRED, for_module, parse_params, register

_ELEMENTWISE_1 = "x"
_ELEMENTWISE_2 = "a, b"


def unary(name, partial, *, numpy=True, math_name=None, methods=(), np_names=None):
    """An elementwise function of one argument, from numpy and/or math."""
    names = np_names or ([name] if numpy else [])
    for np_name in names:
        register(Prim(f"np.{np_name}", parse_params(_ELEMENTWISE_1), ("call", f"np.{np_name}"),
                      partials={"x": for_module(partial, "np")}, elementwise=True),
                 objects=[getattr(np, np_name)], methods=methods)
        methods = ()
    if math_name:
        register(Prim(f"math.{math_name}", parse_params(_ELEMENTWISE_1), ("call", f"math.{math_name}"),
                      partials={"x": for_module(partial, "math")}, elementwise=True),
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
                      partials=_module(partials, "math"), elementwise=True),
                 objects=[getattr(math, math_name)])
    if builtin:
        register(Prim(builtin, parse_params(_ELEMENTWISE_2), ("call", builtin),
                      partials=_module(partials, "np"), elementwise=True),
                 objects=[getattr(builtins, builtin)])


def _module(partials, module):
    return {k: for_module(v, module) for k, v in partials.items()}


def linear(key, params, emit, vjp, *, objects=(), methods=(), attributes=(), wrt=("x",),
           zero=()):
    """A function linear in ``wrt``: forward mode applies it to the tangent."""
    register(Prim(key, parse_params(params), emit, vjp=vjp, linear=wrt, zero=zero),
             objects=objects, methods=methods, attributes=attributes)


def bilinear(key, params, emit, vjp, jvp, *, objects=(), methods=(), operator_=None):
    register(Prim(key, parse_params(params), emit, vjp=vjp, jvp=jvp),
             objects=objects, methods=methods, operator=operator_)


def nondiff(key, params, emit, *, objects=(), methods=(), attributes=(), operator_=None):
    """Piecewise constant or integer valued: its derivative is zero everywhere."""
    register(Prim(key, parse_params(params), emit, nondiff=True),
             objects=objects, methods=methods, attributes=attributes, operator=operator_)


def opaque(key, params, emit, *, operator_=None, objects=()):
    """Known, but with no rule: an active argument is an error, not a zero."""
    register(Prim(key, parse_params(params), emit), operator=operator_, objects=objects)


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
unary("exp2",    "ans * m.log(2)",                math_name="exp2" if hasattr(math, "exp2") else None)
unary("expm1",   "ans + 1",                       math_name="expm1")
unary("log",     "1 / x",                         math_name="log")
unary("log2",    "1 / (x * m.log(2))",            math_name="log2")
unary("log10",   "1 / (x * m.log(10))",           math_name="log10")
unary("log1p",   "1 / (1 + x)",                   math_name="log1p")
unary("sqrt",    "0.5 / ans",                     math_name="sqrt")
unary("cbrt",    "1 / (3 * ans ** 2)",            math_name="cbrt" if hasattr(math, "cbrt") else None)
unary("square",  "2 * x")
unary("reciprocal", "-ans ** 2")
unary("abs",     "runtime.sign0(x)",              math_name="fabs", np_names=["abs", "absolute"])
unary("negative", "-1")
unary("positive", "1")
unary("erf",     "2 / math.sqrt(math.pi) * math.exp(-x ** 2)", numpy=False, math_name="erf")

# ---- elementwise, two arguments -------------------------------------------------
# key        d ans / da                      d ans / db
binary("add", "1",                            "1",
       np_names=["add"], operator_=gast.Add, fold=operator.add)
binary("sub", "1",                            "-1",
       np_names=["subtract"], operator_=gast.Sub, fold=operator.sub)
binary("mul", "b",                            "a",
       np_names=["multiply"], operator_=gast.Mult, fold=operator.mul)
binary("truediv", "1 / b",                    "-ans / b",
       np_names=["divide", "true_divide"] if hasattr(np, "true_divide") else ["divide"],
       operator_=gast.Div, fold=operator.truediv)
binary("pow", "b * a ** (b - 1)",             "ans * runtime.log0(a)",
       np_names=["power"], math_name="pow", operator_=gast.Pow, fold=operator.pow)
binary("mod", "1",                            "-np.floor(a / b)",
       np_names=["mod"], operator_=gast.Mod, fold=operator.mod)
binary(None, "runtime.greater_share(a, b)", "runtime.greater_share(b, a)",
       np_names=["maximum", "fmax"], builtin="max")
binary(None, "runtime.greater_share(b, a)", "runtime.greater_share(a, b)",
       np_names=["minimum", "fmin"], builtin="min")
binary("arctan2", "b / (a ** 2 + b ** 2)",    "-a / (a ** 2 + b ** 2)",
       np_names=["arctan2"], math_name="atan2")
binary("hypot", "a / ans",                    "b / ans",
       np_names=["hypot"])
binary("logaddexp", "np.exp(a - ans)",        "np.exp(b - ans)",
       np_names=["logaddexp"])

register(Prim("neg", parse_params("x"), ("unop", gast.USub), partials={"x": "-1"},
              elementwise=True, fold=operator.neg), operator=gast.USub)
register(Prim("pos", parse_params("x"), ("unop", gast.UAdd), partials={"x": "1"},
              elementwise=True, fold=operator.pos), operator=gast.UAdd)
register(Prim("abs", parse_params("x"), ("call", "abs"), partials={"x": "runtime.sign0(x)"},
              elementwise=True), objects=[builtins.abs])
register(Prim("float", parse_params("x"), ("call", "float"), partials={"x": "1"},
              elementwise=True), objects=[float])
register(Prim("np.where", parse_params("condition, a, b"), ("call", "np.where"),
              partials={"a": "np.where(condition, 1.0, 0.0)", "b": "np.where(condition, 0.0, 1.0)"},
              elementwise=True), objects=[np.where])
register(Prim("copy", parse_params("x"), ("call", "np.copy"), partials={"x": "1"},
              elementwise=True), objects=[np.copy], methods=["copy"])
register(Prim("astype", parse_params("x, dtype"), ("method", "astype"), partials={"x": "1"},
              elementwise=True), methods=["astype"])

# ---- linear: reductions and shapes (forward mode applies them to tangents) ------
# key            signature                     vjp of x
linear("np.sum",  "x, axis=None, keepdims=False", ("call", "np.sum"),
       {"x": "runtime.unreduce(g, x, axis, keepdims)"}, objects=[np.sum], methods=["sum"])
linear("np.mean", "x, axis=None, keepdims=False", ("call", "np.mean"),
       {"x": "runtime.unreduce_mean(g, x, axis, keepdims)"}, objects=[np.mean], methods=["mean"])
linear("np.reshape", "x, shape", ("call", "np.reshape"),
       {"x": "np.reshape(g, np.shape(x))"}, objects=[np.reshape], methods=["reshape"])
linear("np.transpose", "x, axes=None", ("call", "np.transpose"),
       {"x": lambda args: "np.transpose(g)" if _is_none(args["axes"])
        else "np.transpose(g, np.argsort(axes))"},
       objects=[np.transpose], methods=["transpose"])
linear("T", "x", ("attr", "T"), {"x": "g.T"}, attributes=["T"])
linear("getitem", "x, index", ("getitem",), {"x": "runtime.unindex(g, x, index)"})
# x[index] = v, as a value: the old elements get no gradient, v gets the slot's
linear("runtime.setitem", "x, index, v", ("call", "runtime.setitem"),
       {"x": "runtime.zero_at(g, index)", "v": "runtime.unbroadcast(g[index], v)"},
       objects=[runtime.setitem], wrt=("x", "v"))
linear("runtime.zero_at", "t, index", ("call", "runtime.zero_at"),
       {"t": "runtime.zero_at(g, index)"}, objects=[runtime.zero_at], wrt=("t",))
linear("np.broadcast_to", "x, shape", ("call", "np.broadcast_to"),
       {"x": "runtime.unbroadcast(g, x)"}, objects=[np.broadcast_to])

# ---- bilinear products ----------------------------------------------------------
# key        vjp of a / vjp of b                                    jvp
bilinear("matmul", "a, b", ("binop", gast.MatMult),
         {"a": "runtime.matmul_grad_left(g, a, b)", "b": "runtime.matmul_grad_right(g, a, b)"},
         "da @ b + a @ db", operator_=gast.MatMult)
bilinear("np.matmul", "a, b", ("call", "np.matmul"),
         {"a": "runtime.matmul_grad_left(g, a, b)", "b": "runtime.matmul_grad_right(g, a, b)"},
         "np.matmul(da, b) + np.matmul(a, db)", objects=[np.matmul])
bilinear("np.dot", "a, b", ("call", "np.dot"),
         {"a": "runtime.dot_grad_left(g, a, b)", "b": "runtime.dot_grad_right(g, a, b)"},
         "np.dot(da, b) + np.dot(a, db)", objects=[np.dot], methods=["dot"])

# ---- runtime helpers that generated code calls (so it can be differentiated again)
linear("runtime.unbroadcast", "t, x", ("call", "runtime.unbroadcast"),
       {"t": "np.broadcast_to(g, np.shape(t))"}, objects=[runtime.unbroadcast], wrt=("t",), zero=("x",))
linear("runtime.unreduce", "t, x, axis=None, keepdims=False", ("call", "runtime.unreduce"),
       {"t": "np.sum(g, axis, keepdims=keepdims)"}, objects=[runtime.unreduce], wrt=("t",), zero=("x",))
linear("runtime.unreduce_mean", "t, x, axis=None, keepdims=False",
       ("call", "runtime.unreduce_mean"),
       {"t": "np.mean(g, axis, keepdims=keepdims)"}, objects=[runtime.unreduce_mean], wrt=("t",), zero=("x",))
linear("runtime.unindex", "t, x, index", ("call", "runtime.unindex"),
       {"t": "g[index]"}, objects=[runtime.unindex], wrt=("t",), zero=("x",))
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
for _helper, _shape, _other in [("matmul_grad_left", "a", "b"), ("matmul_grad_right", "b", "a"),
                                ("dot_grad_left", "a", "b"), ("dot_grad_right", "b", "a")]:
    _call = f"runtime.{_helper}"
    _args = "t, a, b"
    register(Prim(_call, parse_params(_args), ("call", _call), zero=(_shape,),
                  jvp=f"{_call}(dt, a, b) + {_call}(t, " +
                      ("da, b)" if _other == "a" else "a, db)")),
             objects=[getattr(runtime, _helper)])

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
for _name in ("sign", "floor", "ceil", "round", "rint", "trunc", "argmax", "argmin",
              "shape", "ndim", "size", "zeros_like", "ones_like", "isnan", "isinf",
              "isfinite", "floor_divide"):
    nondiff(f"np.{_name}", "*", ("call", f"np.{_name}"),
            objects=[getattr(np, _name)],
            methods=[_name] if _name in ("argmax", "argmin", "round") else ())
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

# ---- known, but not differentiable through (containers come with issue #5) ------
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


del _cls, _key, _fold, _name, _attr, _helper, _shape, _other, _call, _args
