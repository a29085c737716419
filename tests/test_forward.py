"""Forward mode (issue 4): jvp agrees with reverse mode and with finite
differences on the functions of the other suites, random programs included;
Jacobians, Hessians and higher derivatives."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import test_calls as calls
import test_control_flow as flow
import test_core as core
from test_higher_order import scalar_branch
from adcompiler import (UnsupportedError, grad, hessian, hvp, jacfwd, jacrev, jvp,
                        value_and_grad)
from adcompiler.checking import numeric_grad

RNG = np.random.default_rng(3)


def directions(args, wrt):
    return tuple(RNG.normal(size=np.shape(args[i])) if np.ndim(args[i])
                 else float(RNG.normal()) for i in wrt)


def assert_modes_agree(f, args, wrt=(0,)):
    """<grad, v> from reverse mode = jvp along v = finite differences along v."""
    wrt = tuple(wrt)
    v = directions(args, wrt)
    value, d = jvp(f, wrt)(*args, v)
    assert value == pytest.approx(f(*args))
    grads = grad(f, wrt)(*args)
    reverse = sum(np.sum(np.asarray(g) * t) for g, t in zip(grads, v))
    eps = 1e-6
    plus, minus = list(args), list(args)
    for i, t in zip(wrt, v):
        plus[i] = np.asarray(args[i], dtype=float) + eps * np.asarray(t)
        minus[i] = np.asarray(args[i], dtype=float) - eps * np.asarray(t)
        if not np.ndim(args[i]):
            plus[i], minus[i] = float(plus[i]), float(minus[i])
    fd = (f(*plus) - f(*minus)) / (2 * eps)
    assert d == pytest.approx(reverse, rel=1e-9, abs=1e-11)
    assert d == pytest.approx(fd, rel=1e-5, abs=1e-7)


X3 = np.array([0.5, -1.0, 2.0])
CASES = [
    (core.exp_in_one_arm, (1.0,), (0,)) if hasattr(core, "exp_in_one_arm") else None,
    (flow.repeated_squaring, (1.1, 3), (0,)),
    (flow.grow_until_ten, (1.3,), (0,)),
    (flow.newton_sqrt, (2.0,), (0,)),
    (flow.horner, (np.array([0.5, -1.0, 2.0, 0.25]), 0.7), (0, 1)),
    (flow.halve_until_small, (7.0,), (0,)),
    (flow.first_over_three, (0.5,), (0,)),
    (flow.odd_pairs, (0.3,), (0,)),
    (flow.skip_negative_rows, (np.array([[1.0, -2.0], [-0.5, 0.3], [2.0, 1.0]]),), (0,)),
    (flow.elif_chain, (0.3,), (0,)),
    (flow.conditional_expression_in_a_loop, (np.array([0.5, -0.3, 1.2, -2.0]),), (0,)),
    (flow.boolean_conditions, (0.5, -0.25), (0, 1)),
    (flow.several_returns, (0.7,), (0,)),
    (flow.weighted_row_norms, (np.array([[1.0, -2.0], [0.5, 0.3]]),), (0,)),
    (flow.rows_through_a_layer, (np.array([[1.0, -2.0], [0.5, 0.3]]), np.array([0.2, 0.7])),
     (0, 1)),
    (flow.indexed_squares, (X3,), (0,)),
    (flow.rnn, (RNG.normal(size=4), RNG.normal(size=(4, 4)) / 2, RNG.normal(size=4)),
     (0, 1, 2)),
    (flow.last_product, (0.7,), (0,)),
    (flow.fibonacci_step, (0.3, 0.7), (0, 1)),
    (calls.uses_module_function, (0.7, 1.3), (0, 1)),
    (calls.nested_def_and_lambda, (0.7,), (0,)),
    (calls.uses_methods_of_an_object, (np.array([0.3, -0.2]),), (0,)),
    (calls.fib_like, (0.9, 5), (0,)),
    (calls.uses_custom_rules, (np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.5, -0.7])), (0,)),
]
CASES = [c for c in CASES if c is not None]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_forward_mode_agrees_with_reverse_mode_and_finite_differences(f, args, wrt):
    assert_modes_agree(f, args, wrt)


@settings(max_examples=15)
@given(source=core.programs(branches=True), x=core.X_VALUES, y=core.Y_VALUES,
       c=st.sampled_from([-1.0, 0.25, 1.0]))
def test_random_programs_with_branches_in_both_modes(tmp_path_factory, source, x, y, c):
    program = core._load(tmp_path_factory.mktemp("fwd"), source)
    assert_modes_agree(program, (x, y, c), (0, 1))


@settings(max_examples=15)
@given(source=core.programs(loops=True), x=core.X_VALUES, y=core.Y_VALUES,
       n=st.integers(0, 3))
def test_random_programs_with_loops_in_both_modes(tmp_path_factory, source, x, y, n):
    program = core._load(tmp_path_factory.mktemp("fwd"), source)
    assert_modes_agree(program, (x, y, n), (0, 1))


def test_jvp_code_reads_like_the_function():
    src = jvp(flow.grow_until_ten).source
    assert "dx" in src and "while" in src and "tape" not in src   # no tape forward


def test_forward_gradient_equals_reverse_gradient():
    f = calls.uses_module_function
    np.testing.assert_allclose(grad(f, wrt=(0, 1), mode="forward")(0.7, 1.3),
                               grad(f, wrt=(0, 1))(0.7, 1.3), rtol=1e-12)
    x = np.array([[1.0, -2.0], [0.5, 0.3]])
    np.testing.assert_allclose(grad(flow.weighted_row_norms, mode="forward")(x),
                               grad(flow.weighted_row_norms)(x), rtol=1e-12)


def cubic_sum(x):
    return np.sum(x ** 3) + x[0] * x[1]


def test_hessian_and_hvp():
    x = np.array([0.3, -0.5, 1.2])
    expected = np.diag(6 * x)
    expected[0, 1] = expected[1, 0] = 1.0
    np.testing.assert_allclose(hessian(cubic_sum)(x), expected, rtol=1e-12)
    v = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(hvp(cubic_sum)(x, v), expected @ v, rtol=1e-12)


def sin_loop(x):
    y = x
    for i in range(3):
        y = np.sin(y) * x
    return y


def test_hessian_of_a_function_with_a_loop():
    # forward mode over the generated gradient: its tape carries tangents too
    eps = 1e-5
    fd = (grad(sin_loop)(0.4 + eps) - grad(sin_loop)(0.4 - eps)) / (2 * eps)
    assert hessian(sin_loop)(0.4) == pytest.approx(fd, rel=1e-7)


def sin_times_square(x):
    return np.sin(x) * x ** 2


def test_second_and_third_derivatives():
    x = 0.7
    d2 = -np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x)
    d3 = -np.cos(x) * x ** 2 - 6 * x * np.sin(x) + 6 * np.cos(x)
    assert grad(grad(sin_times_square))(x) == pytest.approx(d2, rel=1e-12)
    assert grad(grad(grad(sin_times_square)))(x) == pytest.approx(d3, rel=1e-12)


def test_third_derivative_through_a_loop():
    eps = 1e-4
    g2 = grad(grad(sin_loop))
    fd = (g2(0.4 + eps) - g2(0.4 - eps)) / (2 * eps)
    assert grad(grad(grad(sin_loop)))(0.4) == pytest.approx(fd, rel=1e-6)


def test_reverse_mode_over_a_taped_gradient_is_refused():
    from adcompiler.api import compile_derivative
    g = grad(sin_loop)
    gfn = g.plain([0.4])
    with pytest.raises(UnsupportedError, match="tape"):
        grad(gfn)(0.4)
    assert compile_derivative   # the plain gradient is itself a Python function


def test_higher_order_with_custom_rules():
    # the softplus rule's partial is differentiated again (sigmoid' = s (1 - s))
    f = lambda x: calls.softplus(x)   # noqa: E731
    s = 1 / (1 + np.exp(-0.3))
    assert grad(grad(f))(0.3) == pytest.approx(s * (1 - s), rel=1e-12)


def test_value_is_returned_by_jvp():
    value, d = jvp(sin_times_square)(0.7, 1.0)
    assert value == pytest.approx(sin_times_square(0.7))
    assert d == pytest.approx(value_and_grad(sin_times_square)(0.7)[1])
    assert numeric_grad   # imported for readers comparing with check_grad


def test_complex_inputs_are_refused():
    with pytest.raises(UnsupportedError, match="complex"):
        grad(sin_times_square)(1.0 + 2.0j)
    with pytest.raises(UnsupportedError, match="complex"):
        jvp(sin_times_square)(np.array([1.0 + 1j]), np.array([1.0]))


# ---- every primitive with a rule, in forward mode -----------------------------------------
# One function per primitive of rules/table.py that has a derivative (elementwise,
# linear or with a jvp template), runtime helpers included: jvp along random
# directions against central differences and, through vjp, against reverse mode
# (<u, J v> == <J^T u, v>). test_every_rule_has_a_forward_case keeps it complete.
import math  # noqa: E402

import runtime  # noqa: E402
import runtime.counting  # noqa: E402
from adcompiler import vjp  # noqa: E402
from adcompiler import rules  # noqa: E402
from adcompiler.api import primal_ssa  # noqa: E402
from adcompiler.ir.nodes import Op, walk  # noqa: E402


def _unary(op):
    def unary(x):
        return op(x)
    unary.__name__ = getattr(op, "__name__", "unary")
    return unary


def _binary(op):
    def binary(a, b):
        return op(a, b)
    binary.__name__ = getattr(op, "__name__", "binary")
    return binary


U = np.array([[0.3, -0.6, 0.45], [0.7, -0.2, 0.55]])   # inside (-1, 1), away from 0
P = np.abs(U) + 0.2                                     # positive
B = np.array([0.8, -1.3, 0.35])                         # broadcasts against U

UNARY_INPUTS = {"arccosh": 1.0 + P, "log": P, "log2": P, "log10": P, "sqrt": P,
                "reciprocal": U, "cbrt": U}
NP_UNARY = ["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
            "arcsinh", "arccosh", "arctanh", "exp", "exp2", "expm1", "log", "log2", "log10",
            "log1p", "sqrt", "cbrt", "square", "reciprocal", "abs", "absolute", "negative",
            "positive"]
MATH_UNARY = {"sin": 0.3, "cos": 0.3, "tan": 0.3, "asin": 0.3, "acos": 0.3, "atan": 0.3,
              "sinh": 0.3, "cosh": 0.3, "tanh": 0.3, "asinh": 0.3, "acosh": 1.3, "atanh": 0.3,
              "exp": 0.3, "exp2": 0.3, "expm1": 0.3, "log": 0.3, "log2": 0.3, "log10": 0.3,
              "log1p": 0.3, "sqrt": 0.3, "cbrt": 0.3, "fabs": -0.3, "erf": 0.3}
NP_BINARY = {"add": (U, B), "subtract": (U, B), "multiply": (U, B), "divide": (U, B),
             "true_divide": (U, B), "power": (P, B), "mod": (P + 1.05, np.full(3, 0.7)),
             "maximum": (U, B), "minimum": (U, B), "fmax": (U, B), "fmin": (U, B),
             "arctan2": (U, B), "hypot": (U, B), "logaddexp": (U, B)}


def py_add(a, b):
    return a + b


def py_sub(a, b):
    return a - b


def py_mul(a, b):
    return a * b


def py_div(a, b):
    return a / b


def py_pow(a, b):
    return a ** b


def py_mod(a, b):
    return a % b


def py_neg(x):
    return -x


def py_pos(x):
    return +x


def py_abs(x):
    return abs(x)


def py_float(x):
    return float(x) * x


def py_max_min(a, b):
    return max(a, b) * min(a, b)


def where(x, y):
    return np.where(x > 0.0, x * y, y ** 2)


def copies(x):
    return np.copy(x) * x.copy() + x.astype(np.float64)


def reductions(x):
    return np.sum(x, axis=0) * np.mean(x, axis=1, keepdims=True) + x.sum() - x.mean(axis=0)


def shapes(x):
    y = np.reshape(x, (3, 2)) @ x + x.T @ x.reshape(2, 3)
    return np.transpose(y, (1, 0)) + np.broadcast_to(x[0], (3, 3))


def element_write(x, v):
    y = x * 1.0
    y[0, 1:] = v[:2] * v[1:]
    return y * x


def products(a, b, c):
    return a @ b + np.matmul(a, b) * np.dot(a, b) + a.dot(b) @ c


def scalar_products(a, s):
    return np.dot(s, a) * np.dot(a, s)


def runtime_adjoints(t, x):
    # the helpers that generated adjoint code calls, called directly
    s = runtime.unbroadcast(t, x[0]) + runtime.unreduce(t[0], x, 0)[0]
    m = runtime.unreduce_mean(t[:, :1], x, 1, True)
    u = runtime.unindex(t[1], x, np.s_[1]) + runtime.zero_at(t, np.s_[0, :1])
    return s * np.sum(m) + u * runtime.log0(x * x + 1.0)


def runtime_product_adjoints(g, a, b):
    return (runtime.matmul_grad_left(g, a, b) + runtime.dot_grad_left(g, a, b)) \
        @ (runtime.matmul_grad_right(g, a, b) + runtime.dot_grad_right(g, a, b))


def runtime_accumulate(acc, t, x):
    return runtime.index_add(acc * 1.0, t, x, np.s_[1]) * runtime.counting.counted("mul", acc)


C44 = np.eye(4) + 0.25
G24 = np.array([[0.5, -1.0, 0.25, 2.0], [1.5, 0.75, -0.5, 1.0]])
A23, B34 = U, np.array([[0.2, -0.4, 0.9, 1.1], [0.3, 0.8, -0.6, 0.5], [1.2, -0.1, 0.4, 0.7]])

RULE_CASES = (
    [(f"np.{name}", _unary(getattr(np, name)), (UNARY_INPUTS.get(name, U),), (0,), True)
     for name in NP_UNARY] +
    [(f"math.{name}", _unary(getattr(math, name)), (x,), (0,), True)
     for name, x in MATH_UNARY.items() if hasattr(math, name)] +
    [(f"np.{name}", _binary(getattr(np, name)), args, (0, 1), True)
     for name, args in NP_BINARY.items() if hasattr(np, name)] +
    [("math.pow", _binary(math.pow), (1.3, 0.7), (0, 1), True),
     ("math.atan2", _binary(math.atan2), (0.4, -1.3), (0, 1), True)] +
    [(f.__name__, f, args, wrt, True) for f, args, wrt in [
        (py_add, (U, B), (0, 1)), (py_sub, (U, B), (0, 1)), (py_mul, (U, B), (0, 1)),
        (py_div, (U, B), (0, 1)), (py_pow, (P, B), (0, 1)),
        (py_mod, (P + 1.05, np.full(3, 0.7)), (0, 1)), (py_neg, (U,), (0,)),
        (py_pos, (U,), (0,)), (py_abs, (-0.7,), (0,)), (py_float, (0.7,), (0,)),
        (py_max_min, (0.3, -0.8), (0, 1)), (where, (U, B), (0, 1)), (copies, (U,), (0,)),
        (reductions, (U,), (0,)), (shapes, (U,), (0,)), (element_write, (U, B), (0, 1)),
        (products, (A23, B34, C44), (0, 1, 2)), (scalar_products, (B, 0.7), (0, 1)),
        (runtime_adjoints, (U, P), (0, 1)), (runtime_accumulate, (U, B, U), (0, 1))]] +
    # adjoint helpers of products: no reverse rule (reverse over reverse is refused)
    [("runtime_product_adjoints", runtime_product_adjoints, (G24, A23, B34), (0, 1, 2), False)]
)


def check_jvp(f, args, wrt, reverse=True, seed=0):
    """jvp along a random direction = central differences; <u, jvp> = <vjp(u), v>."""
    rng = np.random.default_rng(seed)
    v = tuple(rng.normal(size=np.shape(args[i])) if np.ndim(args[i]) else float(rng.normal())
              for i in wrt)
    value, d = jvp(f, wrt)(*args, v)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    eps = 1e-6
    plus, minus = list(args), list(args)
    for i, t in zip(wrt, v):
        keep = np.asarray if isinstance(args[i], np.ndarray) else float  # 0-d stays an array
        plus[i], minus[i] = keep(args[i] + eps * t), keep(args[i] - eps * t)
    fd = (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * eps)
    np.testing.assert_allclose(d, fd, rtol=1e-6, atol=1e-7)
    if reverse:
        u = rng.normal(size=np.shape(value))
        grads = vjp(f, wrt)(*args, u if np.ndim(value) else float(u))  # wrt is a tuple
        np.testing.assert_allclose(np.sum(u * d), sum(np.sum(g * t) for g, t in zip(grads, v)),
                                   rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, f, args, wrt, reverse", RULE_CASES,
                         ids=[c[0] for c in RULE_CASES])
def test_forward_rule(name, f, args, wrt, reverse):
    check_jvp(f, args, wrt, reverse)


def _prims_of(f):
    """The primitives f uses; one specialized for a call (np.stack of two arrays) counts
    for the primitive declared in the table too."""
    keys = {s.prim for s in walk(primal_ssa(f).body) if isinstance(s, Op)}
    bases = {getattr(rules.PRIMS[k], "base", None) for k in keys}
    return keys | {b.key for b in bases if b is not None}


def _alias(key):
    """np.abs is np.absolute (and np.divide np.true_divide): the name registered
    last is the one a call resolves to, the other is unreachable."""
    module, _, name = key.partition(".")
    obj = getattr({"np": np, "math": math}.get(module), name, None) if name else None
    return obj is not None and rules.BY_OBJECT.get(id(obj)) is not rules.PRIMS[key]


def _shared_case_functions():
    """The functions of tests/numpy_cases.py, the NumPy rule table that
    tests/test_numpy_rules.py runs in both modes (jvp included), when it is there."""
    try:
        from numpy_cases import CASES
    except ImportError:
        return []
    return [case.f for case in CASES]


def test_every_rule_has_a_forward_case():
    """A primitive with a derivative rule is exercised in forward mode, above or by
    tests/test_numpy_rules.py over tests/numpy_cases.py."""
    covered = set()
    for f in [c[1] for c in RULE_CASES] + _shared_case_functions():
        covered |= _prims_of(f)
    with_rules = {key for key, p in rules.PRIMS.items()
                  if not p.nondiff and (p.elementwise or p.linear or p.jvp)
                  and not key.startswith("user.") and not _alias(key)}
    missing = sorted(with_rules - covered)
    assert not missing, (f"primitives with rules but no forward-mode case: {missing}; add a "
                         "case using them to tests/numpy_cases.py (both modes run it) or to "
                         "RULE_CASES in tests/test_forward.py")


def rowwise_logsumexp(z):
    return np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def uses_a_vjp_only_rule(z):
    return np.sum(rowwise_logsumexp(z) ** 2)


def test_a_rule_with_only_a_vjp_asks_for_a_jvp_in_forward_mode():
    from adcompiler import NoRuleError, defvjp
    defvjp(rowwise_logsumexp, z="g * np.exp(z - ans)")
    z = np.array([[0.3, -1.0, 2.0], [0.5, 0.1, -0.4]])
    assert np.shape(grad(uses_a_vjp_only_rule)(z)) == (2, 3)   # reverse mode has its rule
    with pytest.raises(NoRuleError, match="no forward-mode rule") as info:
        jvp(uses_a_vjp_only_rule)(z, np.ones((2, 3)))
    assert "defjvp(rowwise_logsumexp" in str(info.value)


# ---- the benchmark workloads, in forward mode -------------------------------------------
def _workloads():
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from benchmarks import bench_jvp, workloads  # bench_jvp declares logsumexp_rows's jvp
    assert bench_jvp
    return workloads.WORKLOADS


@pytest.mark.parametrize("workload", _workloads(), ids=lambda w: w.name)
def test_benchmark_workloads_in_forward_mode(workload):
    args = workload.inputs("tiny")
    check_jvp(workload.fn, args, workload.wrt)


# ---- golden files: the exact tangent code (rewrite with ADCOMPILER_UPDATE_GOLDEN=1) -------
import os  # noqa: E402
import pathlib  # noqa: E402

GOLDEN = pathlib.Path(__file__).parent / "golden" / "forward"  # test_golden.py owns golden/


def logistic_loss(w, b, x, y):
    z = x @ w + b
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def grow(x):
    while x < 10.0:
        x = x * 1.5
    return x


def _golden_sources():
    """The code that runs for a call with arguments of these shapes (what ``.source``
    shows after the call): w (3,), b a float, x (4, 3), y (4,); floats elsewhere."""
    from adcompiler.api import compile_derivative
    return {
        "jvp_logistic_loss": compile_derivative(logistic_loss, "jvp", (0, 1),
                                                shapes=((3,), (), (4, 3), (4,))).source,
        "jvp_grow": compile_derivative(grow, "jvp", (0,), shapes=((),)).source,
        "d_grad_scalar_branch": compile_derivative(scalar_branch, "grad_jvp", (0,),
                                                   shapes=((),), tangent_wrt=(0,)).source,
    }


@pytest.mark.parametrize("name", ["jvp_logistic_loss", "jvp_grow", "d_grad_scalar_branch"])
def test_golden_tangent_code(name):
    text = _golden_sources()[name]
    path = GOLDEN / f"{name}.py"
    if os.environ.get("ADCOMPILER_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text(), f"generated code changed; see {path}"


def test_the_documented_tangent_code_is_what_is_generated():
    doc = (pathlib.Path(__file__).parent.parent / "docs" / "derivatives.md").read_text()
    for name in ("jvp_grow", "d_grad_scalar_branch"):
        assert _golden_sources()[name].strip() in doc, name


# ---- the rule suites of tests/test_rules_basic.py, in forward mode -----------------------
# The same functions, value ranges, broadcasting shape pairs, axes and product
# shapes, drawn by hypothesis; jvp against central differences and reverse mode.
import test_rules_basic as basic  # noqa: E402

FEW = settings(max_examples=8, deadline=None)


@pytest.mark.parametrize("name", sorted(basic.NUMPY_UNARY))
@FEW
@given(data=st.data())
def test_numpy_unary_in_forward_mode(name, data):
    x = basic.draw_value(data, basic.UNARY_DOMAINS[name])
    check_jvp(basic.NUMPY_UNARY[name], (x,), (0,))


@pytest.mark.parametrize("name", sorted(basic.MATH_UNARY))
@FEW
@given(data=st.data())
def test_math_unary_in_forward_mode(name, data):
    x = data.draw(basic.MATH_DOMAINS[name])
    check_jvp(basic.MATH_UNARY[name], (x,), (0,))


@pytest.mark.parametrize("name", sorted(basic.BINARY))
@FEW
@given(data=st.data())
def test_binary_with_broadcasting_in_forward_mode(name, data):
    f, left, right = basic.BINARY[name]
    shape_a, shape_b = data.draw(st.sampled_from(basic.SHAPE_PAIRS), label="shapes")
    a = basic.draw_value(data, left, shape_a)
    b = basic.draw_value(data, right, shape_b)
    check_jvp(f, (a, b), (0, 1))


@pytest.mark.parametrize("f", [basic.np_sum, basic.np_mean, basic.method_sum,
                               basic.method_mean])
@FEW
@given(data=st.data())
def test_reductions_in_forward_mode(f, data):
    shape = data.draw(st.sampled_from(sorted(basic.AXES)), label="shape")
    axis = data.draw(st.sampled_from(basic.AXES[shape]), label="axis")
    x = basic.draw_value(data, basic.reals(), shape)
    check_jvp(f, (x, axis, data.draw(st.booleans(), label="keepdims")), (0,))


@pytest.mark.parametrize("f, shapes", [(basic.matmul, basic.MATMUL_SHAPES),
                                       (basic.np_matmul, basic.MATMUL_SHAPES),
                                       (basic.np_dot, basic.DOT_SHAPES),
                                       (basic.method_dot, basic.DOT_SHAPES)],
                         ids=["matmul", "np.matmul", "np.dot", "method dot"])
@FEW
@given(data=st.data())
def test_products_in_forward_mode(f, shapes, data):
    shape_a, shape_b = data.draw(st.sampled_from(shapes), label="shapes")
    a = basic.draw_value(data, basic.reals(), shape_a)
    b = basic.draw_value(data, basic.reals(), shape_b)
    check_jvp(f, (a, b), (0, 1))


@pytest.mark.parametrize("f", basic.INDEXING, ids=lambda f: f.__name__)
@FEW
@given(data=st.data())
def test_indexing_in_forward_mode(f, data):
    x = basic.draw_value(data, basic.away_from_zero(), (3, 4))
    if np.size(f(x)):
        check_jvp(f, (x,), (0,))


# ---- test_core, test_containers and test_writes, in forward mode ---------------------------
import test_containers as containers  # noqa: E402
import test_writes as writes  # noqa: E402
from adcompiler.ir.containers import flatten, is_container, structure, unflatten  # noqa: E402


def _leaves(value):
    return flatten(value) if is_container(value) else [value]


def _like(value, rng):
    """A random direction shaped like ``value`` (a container: leaf by leaf)."""
    def one(leaf):
        return rng.normal(size=np.shape(leaf)) if np.ndim(leaf) else float(rng.normal())
    if is_container(value):
        return unflatten(structure(value), [one(leaf) for leaf in flatten(value)])
    return one(value)


def _moved(value, direction, eps):
    if is_container(value):
        return unflatten(structure(value), [_moved(a, d, eps) for a, d in
                                             zip(flatten(value), flatten(direction))])
    moved = np.asarray(value, dtype=float) + eps * np.asarray(direction)
    return moved if np.ndim(value) else float(moved)


def check_modes_with_containers(f, args, wrt, seed=0):
    """jvp = <reverse-mode gradient, v> = central differences, containers included."""
    rng = np.random.default_rng(seed)
    v = tuple(_like(args[i], rng) for i in wrt)
    value, d = jvp(f, wrt)(*args, v)
    assert value == pytest.approx(f(*args), rel=1e-12)
    grads = grad(f, wrt)(*args)
    reverse = sum(np.sum(np.asarray(g) * np.asarray(t)) for gi, vi in zip(grads, v)
                  for g, t in zip(_leaves(gi), _leaves(vi)))
    eps = 1e-6
    plus, minus = list(args), list(args)
    for i, t in zip(wrt, v):
        plus[i], minus[i] = _moved(args[i], t, eps), _moved(args[i], t, -eps)
    fd = (f(*plus) - f(*minus)) / (2 * eps)
    assert d == pytest.approx(reverse, rel=1e-9, abs=1e-11)
    assert d == pytest.approx(fd, rel=1e-5, abs=1e-7)


LAYERS = [(RNG.normal(size=(3, 4)), RNG.normal(size=4)),
          (RNG.normal(size=(4, 2)), RNG.normal(size=2))]
MORE_CASES = [
    (core.square_of_affine, (1.3,), (0,)),
    (core.squared_prediction, (0.7, 1.5, -0.2), (0, 1, 2)),
    (core.tiny_network, (0.8, 0.3, 1.2, -0.7), (0, 1, 2, 3)),
    (core.tiny_network, (-0.8, 0.3, 1.2, -0.7), (0, 2, 3)),
    (core.cubic, (0.9,), (0,)),
    (core.branch, (3.0, 2.0), (0, 1)),
    (core.branch, (1.0, 2.0), (0, 1)),
    (core.conditional_expression, (1.5,), (0,)),
    (core.conditional_expression, (-1.5,), (0,)),
    (core.unpack_and_update, (0.7, -0.4), (0, 1)),
    (core.with_docstring_and_assert, (np.array([0.5, 1.5, 2.0]),), (0,)),
    (core.temporary_in_one_arm, (0.5, 1.0), (0, 1)),
    (core.temporary_in_one_arm, (1.5, 1.0), (0, 1)),
    (core.rebinds_in_one_arm, (0.3, 1.0), (0,)),
    (core.rebinds_in_one_arm, (0.3, -1.0), (0,)),
    (containers.mlp, (LAYERS, RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2))), (0,)),
    (containers.dict_params, ({"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2),
                               "scale": 2.0}, RNG.normal(size=(4, 3))), (0, 1)),
    (containers.tuples_and_lists_inside, (np.array([1.0, 2.0]), np.array([3.0, 4.0])), (0, 1)),
    (containers.nested, (((np.ones(2), np.ones(2)), {"k": 3.0}), np.array([1.0, 2.0])), (0, 1)),
    (containers.dict_built_inside, (np.array([0.5, -1.0]),), (0,)),
    (containers.zip_and_enumerate_over_containers, ((1.0, 2.0, 3.0), [0.5, 0.25, 0.125]),
     (0, 1)),
    (writes.fill_a_fresh_array, (writes.X, 0.7), (0, 1)),
    (writes.recurrence_in_place, (writes.X,), (0,)),
    (writes.masked_and_augmented, (writes.X,), (0,)),
]


@pytest.mark.parametrize("f, args, wrt", MORE_CASES,
                         ids=[f"{c[0].__name__}-{k}" for k, c in enumerate(MORE_CASES)])
def test_core_containers_and_writes_in_both_modes(f, args, wrt):
    check_modes_with_containers(f, args, wrt)


# ---- values with no tangent: a global or closure array ----------------------------------

B_GLOBAL = np.array([1.0, -2.0, 0.5])


def stack_with_global(x):
    return np.sum(np.stack([x, B_GLOBAL]) ** 2 * np.sin(x))


def closure_over_an_array():
    c = np.array([0.5, -1.0, 2.0])

    def concatenate_with_closure(x):
        return np.sum(np.concatenate([x, c]) ** 2 * np.cos(np.concatenate([x, x])))
    return concatenate_with_closure


def loop_from_a_global(x, n):
    y = B_GLOBAL
    for i in range(n):
        y = y * x
    return y


@pytest.mark.parametrize("f, others", [(stack_with_global, B_GLOBAL),
                                       (closure_over_an_array(), np.array([0.5, -1.0, 2.0]))])
def test_a_global_or_closure_array_has_zeros_of_its_shape_as_tangent(f, others):
    # the zero tangent of b was the scalar 0.0: np.stack([dx, 0.0]) failed
    from helpers import assert_grad_matches_fd
    x = np.array([0.3, -0.7, 1.1])
    trig, dtrig, ddtrig = ((np.sin, np.cos, lambda t: -np.sin(t)) if f is stack_with_global
                           else (np.cos, lambda t: -np.sin(t), lambda t: -np.cos(t)))
    # f = sum((x^2 + b^2) trig(x)), elementwise
    expected = 2 * x * trig(x) + (x ** 2 + others ** 2) * dtrig(x)
    second = 2 * trig(x) + 4 * x * dtrig(x) + (x ** 2 + others ** 2) * ddtrig(x)
    np.testing.assert_allclose(assert_grad_matches_fd(f, (x,)), expected, rtol=1e-12)
    np.testing.assert_allclose(grad(f, mode="forward")(x), expected, rtol=1e-12)
    v = np.array([1.0, 2.0, -1.0])
    assert jvp(f)(x, v)[1] == pytest.approx(expected @ v, rel=1e-12)
    np.testing.assert_allclose(hessian(f)(x), np.diag(second), rtol=1e-12, atol=1e-14)


def stack_of_rows(x):
    return np.stack([x, B_GLOBAL])


def stack_with_a_tuple(x):
    return np.stack([x, (1.0, 2.0, 4.0)])


@pytest.mark.parametrize("f", [stack_of_rows, stack_with_a_tuple])
def test_jacobian_of_a_stack_with_a_constant_row(f):
    x = np.array([0.3, -0.7, 1.1])
    expected = np.stack([np.eye(3), np.zeros((3, 3))])
    np.testing.assert_array_equal(jacfwd(f)(x), expected)
    np.testing.assert_array_equal(jacrev(f)(x), expected)


def test_a_loop_that_starts_from_a_global_array_and_never_runs():
    x = np.array([0.5, 2.0, -1.0])
    np.testing.assert_array_equal(jacfwd(loop_from_a_global)(x, 0), np.zeros((3, 3)))
    np.testing.assert_allclose(jacfwd(loop_from_a_global)(x, 2), np.diag(2 * x * B_GLOBAL),
                               rtol=1e-12)


# ---- found in review: a tangent smaller than its result (broadcasting) ---------------------
W_ROW = np.array([0.5, -1.0, 2.0])
W_GRID = np.arange(6.0).reshape(2, 3) / 10


def scalar_plus_row(x):
    return np.sum(x + W_ROW) ** 2


def scalar_into_dot(c, w):
    return np.dot(c + np.zeros(3), w)


def row_plus_grid(x):
    return np.sum(x + W_GRID) ** 2


def broadcast_bias(X, b):
    return np.sum(X + b)


def test_a_broadcast_operand_gives_a_tangent_of_the_results_shape():
    s = np.sum(0.3 + W_ROW)
    assert grad(scalar_plus_row, mode="forward")(0.3) == pytest.approx(6 * s)
    assert grad(grad(scalar_plus_row))(0.3) == pytest.approx(18.0)
    np.testing.assert_allclose(hessian(scalar_plus_row)(0.3), 18.0)
    value, tangent = jvp(scalar_into_dot, wrt=0)(0.3, W_ROW, 1.0)
    assert np.shape(tangent) == () and tangent == pytest.approx(np.sum(W_ROW))
    _, tangent = jvp(broadcast_bias, wrt=1)(np.ones((2, 3)), np.zeros((1, 3)), np.ones((1, 3)))
    assert tangent == pytest.approx(6.0)
    x = np.array([0.1, -0.2, 0.3])
    np.testing.assert_allclose(hessian(row_plus_grid)(x), np.full((3, 3), 8.0))
    for f, args in [(scalar_plus_row, (0.3,)), (row_plus_grid, (x,))]:
        np.testing.assert_allclose(grad(f, mode="forward")(*args), grad(f)(*args))


# ---- issue 7: lean tangent code ---------------------------------------------------------------
def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_tangents_of_temporaries_fold_into_one_expression():
    """The tangent of a compiler temporary is one: codegen folds it into its reader,
    so no intermediate tangent array is held to the end of the call."""
    x = np.linspace(-1.0, 1.5, 7)
    f = jvp(rosenbrock)
    f(x, np.ones(7))
    src = f.source
    tangent = src[src.index("# Tangent of"):]
    assert tangent.count("=") == 1 and "dout = np.sum(" in tangent, src
    assert_modes_agree(rosenbrock, (x,))
    # the tangent of a named value keeps its own name
    src = jvp(flow.grow_until_ten).source
    assert "dx_2 = 1.5 * dx_1" in src


def euler_steps(a, b, x0, steps):
    x = x0
    for _ in range(steps):
        x = x + 0.01 * (a * np.sin(x) - b * x)
    return x


def element_recurrence(x):
    s = 0.0
    for k, xi in enumerate(x):
        s = 0.5 * np.sin(s) + xi * s + xi
    return s


def square_steps(x):
    for _ in range(3):
        x = 0.5 * x * x + np.sin(x)
    return x


def test_scalar_loops_run_their_tangent_code_on_python_floats():
    # np.sin of a float is an np.float64, whose arithmetic is ~3x slower than a float's:
    # tangent products read such values as float(v), the same number
    f = jvp(euler_steps, wrt=(0, 1))
    value, d = f(1.5, 0.5, 0.3, 20, (0.3, -0.7))
    assert value == euler_steps(1.5, 0.5, 0.3, 20) and type(d) is float
    src = f.source
    assert "dx0 = runtime.zero_tangent(x0)" in src and "zeros_grad" not in src, src
    assert "da * runtime.to_float(t_1)" in src and "db * runtime.to_float(x)" in src, src
    assert "dx * b" in src  # a parameter is taken as passed
    assert_modes_agree(euler_steps, (1.5, 0.5, 0.3, 20), (0, 1))
    # a loop over an array's elements reads its tangent's elements from a list of floats
    x = np.linspace(-1.0, 1.0, 6)
    f = jvp(element_recurrence)
    assert type(f(x, np.ones(6))[1]) is float
    assert "runtime.python_floats(dx)" in f.source
    assert_modes_agree(element_recurrence, (x,))
    for other in (x.astype(np.float32), np.arange(6)):  # not float64: the array itself
        assert runtime.python_floats(other) is other
    # an np.float32 tangent stays one (a Python float is weak in NumPy's promotion)
    x32 = np.float32(0.3)
    f = jvp(square_steps)
    value, d = f(x32, 1.0)
    assert type(value) is np.float32 and type(d) is np.float32
    assert "runtime.to_float(x_1)" in f.source, f.source
    check_jvp(square_steps, (0.3,), (0,))


def rnn_steps(Wx, Wh, b, xs, h):
    for x in xs:
        h = np.tanh(x @ Wx + h @ Wh + b)
    return np.sum(h ** 2)


def rnn_scaled_bias(Wx, Wh, b, xs, h):
    for k, x in enumerate(xs):
        h = np.tanh(x @ Wx + h @ Wh + b * k)   # b * k changes each step
    return np.sum(h ** 2)


def rnn_split(Wx, Wh, b, xs, h):
    for x in xs:
        a = x @ Wx + h @ Wh       # the row's sum, in one statement's tangent code
        h = np.tanh(a + b)         # the bias added in the next one's
    return np.sum(h ** 2)


def rows_times_state(W, xs, h):
    for k, x in enumerate(xs):
        h = np.tanh(x @ (W * h) + k)   # W * h changes each step: stays in the loop
    return np.sum(h)


def test_row_products_of_a_loop_are_made_before_it():
    rng = np.random.default_rng(5)
    args = (rng.normal(size=(3, 4)) * 0.5, rng.normal(size=(4, 4)) * 0.5, rng.normal(size=4),
            rng.normal(size=(6, 3)), np.zeros(4))
    f = jvp(rnn_steps, wrt=(0, 1, 2))
    f(*args, tuple(np.ones_like(args[i]) for i in range(3)))
    src = f.source
    assert "xs_dWx = xs @ dWx" in src and "xs_dWx_db = xs_dWx + db" in src, src
    assert "xs_dWx_db[k] + (dh_1 @ Wh + h_1 @ dWh)" in src, src  # db added once, not per row
    assert "for k, x in enumerate(xs):" in src and "@ dWh" in src  # h changes: in the loop
    check_jvp(rnn_steps, args, (0, 1, 2))
    check_jvp(rnn_steps, args, (0, 3))  # the rows varied too: dx @ Wx stays in the loop
    f = jvp(rnn_scaled_bias, wrt=(0, 1, 2))
    f(*args, tuple(np.ones_like(args[i]) for i in range(3)))
    assert "xs_dWx[k_1] +" in f.source and "xs_dWx_" not in f.source, f.source  # db * k: no
    check_jvp(rnn_scaled_bias, args, (0, 1, 2))
    check_jvp(rnn_split, args, (0, 1, 2))
    # no rows, and a bias that could not be added to one: compiles, as f runs
    Wx, Wh, b, xs, h = np.ones((3, 4)), np.ones((4, 4)), np.ones(5), np.zeros((0, 3)), np.ones(4)
    ones = tuple(np.ones_like(a) for a in (Wx, Wh, b))
    assert jvp(rnn_steps, wrt=(0, 1, 2))(Wx, Wh, b, xs, h, ones) == (4.0, 0.0)
    # an operand computed in the loop stays there; a batch of matrices is not hoisted
    W = rng.normal(size=(3, 4))
    f = jvp(rows_times_state, wrt=0)
    f(W, args[3], np.ones(4), np.ones_like(W))
    assert "enumerate(xs)" in f.source and " @ (dW * h" in f.source and "xs_" not in f.source
    check_jvp(rows_times_state, (W, args[3], np.ones(4)), (0,))
    batch = rng.normal(size=(2, 3, 4))
    f = jvp(rnn_steps, wrt=0)
    f(batch, args[1], args[2], args[3], np.zeros((2, 4)), np.ones_like(batch))
    assert "xs_" not in f.source
    check_jvp(rnn_steps, (batch, args[1], args[2], args[3], np.zeros((2, 4))), (0,))


def twice_y(x, y):
    return y * 2.0


def stacked_times_x(x, y):
    return np.sum(np.stack([x, y]) * x)


def test_a_scalar_tangent_nothing_flows_into_keeps_its_values_dtype():
    from adcompiler import jvp
    # y's tangent is zero: 0.0 for a Python float, np.float32(0) for an np.float32
    value, tangent = jvp(twice_y)(np.float32(0.5), np.float32(2.0), 1.0)
    assert tangent == 0.0 and np.result_type(tangent) == np.float32
    assert jvp(twice_y)(0.5, 2.0, 1.0) == (4.0, 0.0)
    # d/dx sum([x, y] * x) = 2x + y = 3, in float32 as the value is
    value, tangent = jvp(stacked_times_x)(np.float32(0.5), np.float32(2.0), 1.0)
    assert tangent == 3.0 and np.result_type(value) == np.result_type(tangent) == np.float32
