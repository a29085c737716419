"""Property tests for the derivative rules that issue 2 needs.

Every rule is checked against central finite differences (tests/helpers.py)
over values and shapes drawn by hypothesis, each function on a range where it
is smooth: log and sqrt on positive values, abs, max and min away from their
kinks. Non-scalar results go through ``vjp`` with a random seed, scalar losses
through ``grad``; both use the dot-product test in random directions.
"""
import math

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

from adcompiler import grad, vjp
from helpers import assert_grad_matches_fd, assert_vjp_matches_fd

SHAPES = [(), (1,), (3,), (2, 3), (2, 1, 3)]
PYTHON = "python float"


def reals(lo=-3.0, hi=3.0):
    return st.floats(lo, hi)


def away_from_zero(lo=0.2, hi=3.0):
    return st.tuples(st.floats(lo, hi), st.sampled_from([-1.0, 1.0])).map(lambda p: p[0] * p[1])


def draw_value(data, elements, shape=None):
    """A Python float or a float64 array; the shape is drawn when not given."""
    if shape is None:
        shape = data.draw(st.sampled_from(SHAPES + [PYTHON]), label="shape")
    if shape == PYTHON:
        return data.draw(elements, label="x")
    return data.draw(hnp.arrays(np.float64, shape, elements=elements), label="x")


# ---- elementwise functions of one argument ----------------------------------------
def _unary(op):
    # `op` is read from the closure: adcompiler resolves it to the NumPy function
    def unary(x):
        return op(x)
    return unary


UNARY_DOMAINS = {
    "sin": reals(), "cos": reals(), "tan": reals(-1.2, 1.2),
    "arcsin": reals(-0.9, 0.9), "arccos": reals(-0.9, 0.9), "arctan": reals(),
    "sinh": reals(), "cosh": reals(), "tanh": reals(),
    "arcsinh": reals(), "arccosh": reals(1.2, 3.0), "arctanh": reals(-0.9, 0.9),
    "exp": reals(), "exp2": reals(), "expm1": reals(),
    "log": reals(0.1, 3.0), "log2": reals(0.1, 3.0), "log10": reals(0.1, 3.0),
    "log1p": reals(-0.9, 3.0), "sqrt": reals(0.1, 3.0), "cbrt": away_from_zero(),
    "square": reals(), "reciprocal": away_from_zero(), "abs": away_from_zero(),
    "absolute": away_from_zero(), "negative": reals(), "positive": reals(),
}
NUMPY_UNARY = {name: _unary(getattr(np, name)) for name in UNARY_DOMAINS}


@pytest.mark.parametrize("name", sorted(NUMPY_UNARY))
@given(data=st.data())
def test_numpy_unary(name, data):
    x = draw_value(data, UNARY_DOMAINS[name])
    assert_vjp_matches_fd(NUMPY_UNARY[name], (x,))


MATH_DOMAINS = {
    "sin": reals(), "cos": reals(), "tan": reals(-1.2, 1.2),
    "asin": reals(-0.9, 0.9), "acos": reals(-0.9, 0.9), "atan": reals(),
    "sinh": reals(), "cosh": reals(), "tanh": reals(),
    "asinh": reals(), "acosh": reals(1.2, 3.0), "atanh": reals(-0.9, 0.9),
    "exp": reals(), "expm1": reals(), "log": reals(0.1, 3.0), "log2": reals(0.1, 3.0),
    "log10": reals(0.1, 3.0), "log1p": reals(-0.9, 3.0), "sqrt": reals(0.1, 3.0),
    "fabs": away_from_zero(), "erf": reals(),
}
MATH_UNARY = {name: _unary(getattr(math, name)) for name in MATH_DOMAINS}


@pytest.mark.parametrize("name", sorted(MATH_UNARY))
@given(x=st.data())
def test_math_unary(name, x):
    value = x.draw(MATH_DOMAINS[name], label="x")
    assert_grad_matches_fd(MATH_UNARY[name], (value,))


def math_pow(a, b):
    return math.pow(a, b)


@given(a=reals(0.2, 3.0), b=reals(-2.0, 2.0))
def test_math_pow(a, b):
    assert_grad_matches_fd(math_pow, (a, b), wrt=(0, 1))


def math_sqrt(x):
    return math.sqrt(x)


def math_asin(x):
    return math.asin(x)


def math_acosh(x):
    return math.acosh(x)


def math_atan(x):
    return math.atan(x)


def math_atan2(a, b):
    return math.atan2(a, b)


def root_by_power(x):
    return x ** 0.5


def power_of_a_parameter(x, p):
    return x ** p


def np_power_root(x):
    return np.power(x, 0.5)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's divide by zero, as it should
@pytest.mark.parametrize("f, x, expected", [
    # Python floats raise at 0.5 / 0.0 and 0.0 ** -0.5; the derivative is NumPy's inf, as JAX's
    (math_sqrt, 0.0, np.inf), (math_asin, 1.0, np.inf), (math_asin, -1.0, np.inf),
    (math_acosh, 1.0, np.inf), (math_pow, (0.0, 0.5), np.inf), (root_by_power, 0.0, np.inf),
    (np_power_root, 0.0, np.inf), (power_of_a_parameter, (0.0, 0.5), np.inf),
    (math_atan, 1e200, 0.0),  # 1 / (1 + x ** 2): Python's x ** 2 overflows with an error
])
def test_derivatives_at_singular_points_are_infinite_not_exceptions(f, x, expected):
    args = x if isinstance(x, tuple) else (x,)
    assert grad(f)(*args) == expected
    assert grad(f, mode="forward")(*args) == expected


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_second_derivative_of_sqrt_at_zero_and_atan2_at_the_origin():
    # d2 sqrt(x) / dx2 = -1 / (4 x^1.5): -inf at 0; atan2's partials are 0 / 0 there: nan
    assert grad(grad(math_sqrt))(0.0) == -np.inf
    assert all(np.isnan(grad(math_atan2, wrt=(0, 1))(0.0, 0.0)))
    assert grad(grad(root_by_power))(4.0) == pytest.approx(-0.25 * 4.0 ** -1.5, rel=1e-14)


@given(x=reals(0.1, 3.0), p=reals(-2.0, 2.0))
def test_power_with_a_parameter_exponent(x, p):
    assert_grad_matches_fd(power_of_a_parameter, (x, p), wrt=(0, 1))
    assert_grad_matches_fd(root_by_power, (x,))
    assert_grad_matches_fd(np_power_root, (x,))


def test_small_powers_keep_float32_and_integer_bases():
    g = grad(root_sum)(np.array([1.0, 4.0], dtype=np.float32))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, [0.5, 0.25], rtol=1e-6)
    # 2 ** -1 in Python is 0.5; np.power(2, -2) would raise for integers
    assert grad(power_of_a_parameter)(2, -1) == -0.25


def root_sum(x):
    return np.sum(x ** 0.5)


def python_mod(a, b):
    return a % b


@given(a=reals(-5.0, 5.0), b=reals(0.5, 2.0))
def test_mod_away_from_its_jumps(a, b):
    assume(0.05 < (a / b) % 1 < 0.95)
    assert_grad_matches_fd(python_mod, (a, b), wrt=(0, 1))


# ---- elementwise functions of two arguments, with broadcasting --------------------
def add(a, b):
    return a + b


def sub(a, b):
    return a - b


def mul(a, b):
    return a * b


def div(a, b):
    return a / b


def power(a, b):
    return a ** b


def _binary(op):
    def binary(a, b):
        return op(a, b)
    return binary


# shape pairs NumPy broadcasts, a Python float on either side included
SHAPE_PAIRS = [((), ()), ((3,), (3,)), ((2, 1), (3,)), ((3,), (2, 1)), ((2, 3), ()),
               ((), (2, 3)), ((1, 3), (2, 1)), ((2, 1, 3), (4, 1)), ((2, 3), (2, 3)),
               (PYTHON, (2, 3)), ((3,), PYTHON), (PYTHON, PYTHON)]

# the odd and even tenths never meet, which keeps max and min away from ties
ODD_TENTHS = st.integers(-15, 15).map(lambda k: 0.2 * k + 0.1)
EVEN_TENTHS = st.integers(-15, 15).map(lambda k: 0.2 * k)

BINARY = {
    "+": (add, reals(), reals()),
    "-": (sub, reals(), reals()),
    "*": (mul, reals(), reals()),
    "/": (div, reals(), away_from_zero()),
    "**": (power, reals(0.2, 3.0), reals(-2.0, 2.0)),
    "np.add": (_binary(np.add), reals(), reals()),
    "np.subtract": (_binary(np.subtract), reals(), reals()),
    "np.multiply": (_binary(np.multiply), reals(), reals()),
    "np.divide": (_binary(np.divide), reals(), away_from_zero()),
    "np.power": (_binary(np.power), reals(0.2, 3.0), reals(-2.0, 2.0)),
    "np.maximum": (_binary(np.maximum), ODD_TENTHS, EVEN_TENTHS),
    "np.minimum": (_binary(np.minimum), EVEN_TENTHS, ODD_TENTHS),
    "np.fmax": (_binary(np.fmax), EVEN_TENTHS, ODD_TENTHS),
    "np.fmin": (_binary(np.fmin), ODD_TENTHS, EVEN_TENTHS),
    "np.arctan2": (_binary(np.arctan2), away_from_zero(), reals()),
    "np.hypot": (_binary(np.hypot), away_from_zero(), reals()),
    "np.logaddexp": (_binary(np.logaddexp), reals(), reals()),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_with_broadcasting(name, data):
    f, left, right = BINARY[name]
    shape_a, shape_b = data.draw(st.sampled_from(SHAPE_PAIRS), label="shapes")
    a = draw_value(data, left, shape_a)
    b = draw_value(data, right, shape_b)
    assert_vjp_matches_fd(f, (a, b), wrt=(0, 1))


def builtin_max(a, b):
    return max(a, b)


def builtin_min(a, b):
    return min(a, b)


@pytest.mark.parametrize("f", [builtin_max, builtin_min])
@given(a=ODD_TENTHS, b=EVEN_TENTHS)
def test_builtin_max_min(f, a, b):
    assert_grad_matches_fd(f, (a, b), wrt=(0, 1))


def integer_powers(x):
    return x ** 2 + x ** 3 - 2 * x ** -1


@given(data=st.data())
def test_integer_powers_of_negative_values(data):
    x = draw_value(data, away_from_zero())
    assert_vjp_matches_fd(integer_powers, (x,))


def neg(x):
    return -x


def pos(x):
    return +x


@pytest.mark.parametrize("f", [neg, pos])
@given(data=st.data())
def test_unary_operators(f, data):
    assert_vjp_matches_fd(f, (draw_value(data, reals()),))


# ---- reductions ----------------------------------------------------------------------
def np_sum(x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims)


def np_mean(x, axis, keepdims):
    return np.mean(x, axis=axis, keepdims=keepdims)


def method_sum(x, axis, keepdims):
    return x.sum(axis=axis, keepdims=keepdims)


def method_mean(x, axis, keepdims):
    return x.mean(axis, keepdims=keepdims)


AXES = {(3,): [None, 0, -1], (2, 3): [None, 0, 1, -1, (0, 1)],
        (2, 3, 2): [None, 1, (0, 2), (-1, 0)]}


@pytest.mark.parametrize("f", [np_sum, np_mean, method_sum, method_mean])
@given(data=st.data())
def test_reductions(f, data):
    shape = data.draw(st.sampled_from(sorted(AXES)), label="shape")
    axis = data.draw(st.sampled_from(AXES[shape]), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    x = draw_value(data, reals(), shape)
    assert_vjp_matches_fd(f, (x, axis, keepdims))


def sum_of_all(x):
    return np.sum(x) + x.sum() + np.mean(x) * 3


def sum_rows_keep(x):
    return np.sum(x, axis=1, keepdims=True) * x


@given(data=st.data())
def test_constant_axis_reductions(data):
    x = draw_value(data, reals(), (2, 3))
    assert_grad_matches_fd(sum_of_all, (x,))
    assert_vjp_matches_fd(sum_rows_keep, (x,))


# ---- products ---------------------------------------------------------------------
def matmul(a, b):
    return a @ b


def np_matmul(a, b):
    return np.matmul(a, b)


def np_dot(a, b):
    return np.dot(a, b)


def method_dot(a, b):
    return a.dot(b)


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (4, 3, 2)), ((1, 2, 3), (4, 3, 2)),
                 ((3,), (2, 3, 4)), ((2, 2, 3), (3,))]
DOT_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
              ((), (3,)), ((2, 3), ()), ((), ())]


@pytest.mark.parametrize("f", [matmul, np_matmul])
@given(data=st.data())
def test_matmul(f, data):
    shape_a, shape_b = data.draw(st.sampled_from(MATMUL_SHAPES), label="shapes")
    a = draw_value(data, reals(), shape_a)
    b = draw_value(data, reals(), shape_b)
    assert_vjp_matches_fd(f, (a, b), wrt=(0, 1))


@pytest.mark.parametrize("f", [np_dot, method_dot])
@given(data=st.data())
def test_dot(f, data):
    shape_a, shape_b = data.draw(st.sampled_from(DOT_SHAPES), label="shapes")
    a = draw_value(data, reals(), shape_a)
    b = draw_value(data, reals(), shape_b)
    assert_vjp_matches_fd(f, (a, b), wrt=(0, 1))


# ---- shapes ---------------------------------------------------------------------------
def attribute_T(x):
    return x.T


def np_transpose(x):
    return np.transpose(x)


def method_transpose(x):
    return x.transpose()


def transpose_axes(x):
    return np.transpose(x, (1, 2, 0))


def method_transpose_axes(x):
    return x.transpose(2, 0, 1)


def reshape_method(x):
    return x.reshape(-1)


def reshape_tuple(x):
    return x.reshape((3, 2))


def np_reshape(x):
    return np.reshape(x, (2, 1, 3))


def reshape_then_matmul(x, w):
    return np.sum(x.reshape(3, 2) @ w.T)


@pytest.mark.parametrize("f", [attribute_T, np_transpose, method_transpose])
@given(data=st.data())
def test_transpose(f, data):
    x = draw_value(data, reals(), data.draw(st.sampled_from([(3,), (2, 3), (2, 3, 4)])))
    assert_vjp_matches_fd(f, (x,))


@pytest.mark.parametrize("f", [transpose_axes, method_transpose_axes])
@given(data=st.data())
def test_transpose_with_axes(f, data):
    assert_vjp_matches_fd(f, (draw_value(data, reals(), (2, 3, 4)),))


@pytest.mark.parametrize("f", [reshape_method, reshape_tuple, np_reshape])
@given(data=st.data())
def test_reshape(f, data):
    x = draw_value(data, reals(), data.draw(st.sampled_from([(6,), (2, 3), (3, 2, 1)])))
    assert_vjp_matches_fd(f, (x,))


@given(data=st.data())
def test_reshape_then_matmul(data):
    x = draw_value(data, reals(), (6,))
    w = draw_value(data, reals(), (4, 2))
    assert_grad_matches_fd(reshape_then_matmul, (x, w), wrt=(0, 1))


# ---- dtypes -------------------------------------------------------------------------
def cubic_loss(x):
    return np.sum(x ** 3 + 5 * x)


def scaled_norm(x, w):
    return np.sqrt(np.sum((w * x) ** 2)) + np.mean(np.tanh(x))


@pytest.mark.parametrize("x", [2, np.array([1, 2, 3]), np.array([[1, -2], [0, 4]])])
def test_integer_inputs_get_float_gradients(x):
    g = grad(cubic_loss)(x)
    assert g.dtype == np.float64 and np.shape(g) == np.shape(x)
    np.testing.assert_allclose(g, 3 * np.asarray(x, dtype=float) ** 2 + 5)


def test_integer_python_scalar_with_unary_minus():
    # grad_like used to fail on Python ints (np.float64 has no `.type`)
    assert grad(neg)(3) == -1.0
    assert type(grad(neg)(3)) is np.float64


@pytest.mark.parametrize("f, args", [
    (cubic_loss, (np.array([0.5, -1.0, 2.0], dtype=np.float32),)),
    (scaled_norm, (np.array([0.5, -1.0], dtype=np.float32), np.float32(2.0))),
    (scaled_norm, (np.array([[0.5, -1.0]], dtype=np.float32),
                   np.array([1.0, 3.0], dtype=np.float32))),
])
def test_float32_stays_float32(f, args):
    g32 = grad(f)(*args)
    assert g32.dtype == np.float32 and g32.shape == args[0].shape
    g64 = grad(f)(*(np.asarray(a, dtype=np.float64) for a in args))
    np.testing.assert_allclose(g32, g64, rtol=1e-5)


@given(data=st.data())
def test_float64_scalar_loss_against_fd(data):
    # sqrt of a sum of squares has a kink where x is all zero: keep away from it
    x = draw_value(data, away_from_zero(), data.draw(st.sampled_from([(3,), (2, 3)])))
    w = draw_value(data, away_from_zero(), PYTHON)
    assert_grad_matches_fd(scaled_norm, (x, w), wrt=(0, 1))


def test_vector_times_batched_matrix():
    # regression: the adjoint of a 1-D left operand paired every batch of b
    # with every row of g, doubling this gradient
    a = np.array([1.0, 2.0, 3.0])
    b = np.arange(24.0).reshape(2, 3, 4)
    seed = np.ones((2, 4))
    np.testing.assert_allclose(vjp(matmul)(a, b, seed), b.sum(axis=(0, 2)))


# ---- indexing --------------------------------------------------------------------------
def first_row(x):
    return x[0]


def tail_of_rows(x):
    return x[1:]


def column(x):
    return x[:, 1]


def reversed_rows(x):
    return x[::-1, ::2]


def repeated_rows(x):
    return x[[0, 0, 2]]


def last_column(x):
    return x[..., -1]


def new_axis(x):
    return x[None, :, 1:2]


def positive_entries(x):
    return x[x > 0]


INDEXING = [first_row, tail_of_rows, column, reversed_rows, repeated_rows, last_column,
            new_axis, positive_entries]


@pytest.mark.parametrize("f", INDEXING)
@given(data=st.data())
def test_indexing(f, data):
    # away from zero, so that no step of the finite differences changes the mask x > 0
    x = draw_value(data, away_from_zero(), (3, 4))
    assume(np.size(f(x)) > 0)
    assert_vjp_matches_fd(f, (x,))


def test_repeated_index_accumulates():
    # rows 0, 0 and 2 are read: row 0's adjoint is the sum of two seeds
    seed = np.arange(12.0).reshape(3, 4)
    expected = np.zeros((3, 4))
    expected[0] = seed[0] + seed[1]
    expected[2] = seed[2]
    np.testing.assert_array_equal(vjp(repeated_rows)(np.ones((3, 4)), seed), expected)
