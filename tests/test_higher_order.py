"""Higher derivatives: the generated gradient is Python code that adcompiler
differentiates again, in forward mode (forward over reverse).

Hessians and Hessian-vector products are checked against central differences
of the reverse-mode gradient, and that gradient against differences of f;
second and third derivatives of scalar functions against hand-derived values.
"""
import inspect

import numpy as np
import pytest

from adcompiler import UnsupportedError, grad, hessian, hvp, jvp
from adcompiler.jacobians import _gradient_function

RNG = np.random.default_rng(11)


def fd_gradient(f, x, *rest, eps=1e-6):
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[k] = eps
        out[k] = (f(x + e, *rest) - f(x - e, *rest)) / (2 * eps)
    return out


def fd_hessian(f, x, *rest, eps=1e-5):
    """Central differences of the reverse-mode gradient, column by column."""
    g = grad(f)
    x = np.asarray(x, dtype=float)
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = eps
        e = e.reshape(x.shape)
        cols.append(((g(x + e, *rest) - g(x - e, *rest)) / (2 * eps)).reshape(-1))
    return np.stack(cols, axis=-1).reshape(x.shape + x.shape)


# ---- the functions: straight-line code over the rules that gradients call --------------
def quadratic_form(x, a):
    return x @ a @ x


def mlp_loss(w, inputs, targets):
    weights = np.reshape(w, (3, 2))
    hidden = np.tanh(inputs @ weights)
    return np.mean((np.sum(hidden, axis=1) - targets) ** 2)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logsumexp(x):
    return np.log(np.sum(np.exp(x)))


def outer_ratio(x):
    return np.sum(x[:, None] * x[None, :] / (1.0 + x ** 2))


def products_of_one_matrix(x):
    m = np.reshape(x, (2, 2))
    return np.sum(np.dot(m, m.T) ** 2) + np.dot(x, x) * np.sum(m.T @ m) + np.sum((m @ m) ** 2)


def kinks_away(x):
    # max, abs and where, at points away from their kinks
    return np.sum(np.maximum(x, 0.1) ** 3 + np.abs(x) ** 2.5 + np.where(x > 0, x ** 2, -x ** 3))


def means_and_transposes(x):
    m = np.reshape(x, (2, 3))
    return np.sum(np.mean(m, axis=0) ** 3) + np.mean(m * np.transpose(m, (1, 0)).T)


def element_write(x):
    y = x * 2.0
    y[1] = x[0] * x[2]
    return np.sum(y ** 3)


def trig_and_division(x):
    return np.sum(np.sin(x) / (2.0 + np.cos(x)) + np.sqrt(1.0 + x ** 2) * np.arctan(x))


A4 = RNG.normal(size=(4, 4))
STRAIGHT = [
    (quadratic_form, (RNG.normal(size=4), A4)),
    (mlp_loss, (RNG.normal(size=6), RNG.normal(size=(5, 3)), RNG.normal(size=5))),
    (rosenbrock, (RNG.normal(size=5),)),
    (logsumexp, (RNG.normal(size=4),)),
    (outer_ratio, (RNG.normal(size=4),)),
    (products_of_one_matrix, (RNG.normal(size=4),)),
    (kinks_away, (np.array([0.5, -0.7, 1.2, 0.3]),)),
    (means_and_transposes, (RNG.normal(size=6),)),
    (element_write, (RNG.normal(size=3),)),
    (trig_and_division, (RNG.normal(size=5),)),
]


@pytest.mark.parametrize("f, args", STRAIGHT, ids=[f.__name__ for f, _ in STRAIGHT])
def test_hessian_against_differences_of_the_gradient(f, args):
    np.testing.assert_allclose(grad(f)(*args), fd_gradient(f, *args), rtol=1e-6, atol=1e-7)
    h = hessian(f)(*args)
    expected = fd_hessian(f, *args)
    np.testing.assert_allclose(h, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-10)  # symmetric, exactly enough
    v = RNG.normal(size=np.shape(args[0]))
    np.testing.assert_allclose(hvp(f)(*args, v), h @ v, rtol=1e-10, atol=1e-10)


def test_quadratic_form_hessian_is_a_plus_a_transposed():
    x = RNG.normal(size=4)
    np.testing.assert_allclose(hessian(quadratic_form)(x, A4), A4 + A4.T, rtol=1e-12)


def test_the_same_value_in_both_arguments_of_a_product():
    # np.dot(x, x): reverse mode once applied only the left factor's vjp
    def dot_square(x):
        return np.dot(x, x) ** 2

    x = np.array([0.3, -0.5, 1.2, 0.7])
    s = x @ x
    np.testing.assert_allclose(grad(dot_square)(x), 4 * s * x, rtol=1e-12)
    np.testing.assert_allclose(jvp(dot_square)(x, np.ones(4))[1], 4 * s * np.sum(x), rtol=1e-12)
    np.testing.assert_allclose(hessian(dot_square)(x), 8 * np.outer(x, x) + 4 * s * np.eye(4),
                               rtol=1e-12)


# ---- scalar functions: grad(grad(f)) and beyond --------------------------------------------
def sin_over_square(a, b):
    return np.sin(a * b) / (1.0 + a ** 2) + np.exp(-b) * a ** 3


def exp_sin(x):
    return np.exp(np.sin(x))


def test_second_derivative_of_a_scalar_function_by_hand():
    x = 0.6
    # (e^sin x)'' = e^sin x (cos^2 x - sin x)
    expected = np.exp(np.sin(x)) * (np.cos(x) ** 2 - np.sin(x))
    assert grad(grad(exp_sin))(x) == pytest.approx(expected, rel=1e-12)
    # (e^sin x)''' = e^sin x (cos^3 x - 3 sin x cos x - cos x)
    third = np.exp(np.sin(x)) * (np.cos(x) ** 3 - 3 * np.sin(x) * np.cos(x) - np.cos(x))
    assert grad(grad(grad(exp_sin)))(x) == pytest.approx(third, rel=1e-12)


@pytest.mark.parametrize("outer, inner", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_mixed_second_derivatives(outer, inner):
    a, b, eps = 0.7, 1.3, 1e-5
    g = grad(sin_over_square, wrt=inner)
    step = [eps if k == outer else 0.0 for k in (0, 1)]
    fd = (g(a + step[0], b + step[1]) - g(a - step[0], b - step[1])) / (2 * eps)
    assert grad(g, wrt=outer)(a, b) == pytest.approx(fd, rel=1e-7)


def test_hessian_of_two_scalar_arguments_matches_mixed_derivatives():
    a, b = 0.7, 1.3
    h = np.array([[grad(grad(sin_over_square, wrt=i), wrt=j)(a, b) for j in (0, 1)]
                  for i in (0, 1)])
    np.testing.assert_allclose(h, h.T, rtol=1e-12)
    # the same numbers through hessian of each argument
    assert hessian(sin_over_square, wrt=0)(a, b) == pytest.approx(h[0, 0], rel=1e-12)
    assert hessian(sin_over_square, wrt=1)(a, b) == pytest.approx(h[1, 1], rel=1e-12)


def test_the_generated_gradient_is_a_function_with_source():
    x = RNG.normal(size=5)
    gfn = _gradient_function(rosenbrock, 0, (x,))
    text = inspect.getsource(gfn)
    assert text.startswith("def grad_rosenbrock(x, bout=1.0):")
    np.testing.assert_allclose(gfn(x), grad(rosenbrock)(x), rtol=1e-15)
    # and its own jvp is the Hessian along a direction
    v = RNG.normal(size=5)
    np.testing.assert_allclose(jvp(gfn)(x, v)[1], hessian(rosenbrock)(x) @ v, rtol=1e-12)


def test_grad_of_grad_of_an_array_function_asks_for_hessian():
    with pytest.raises(UnsupportedError, match="hessian"):
        grad(grad(rosenbrock)).plain([RNG.normal(size=3)])


# ---- control flow: the gradient's IR is differentiated, loops' tapes carry tangents --------
def branch_on_sum(x):
    if np.sum(x) > 0:
        z = np.sum(x ** 3)
    else:
        z = np.sum(np.exp(x))
    return z * np.sum(x)


def scalar_recurrence(x):
    s = 0.0
    for xi in x:
        s = np.sin(s) * xi + xi ** 2
    return s


def grow_until_large(x):
    y = x
    while np.sum(y ** 2) < 10.0:
        y = y * 1.5 + np.sin(y)
    return np.sum(y ** 3)


def loop_with_branch(x, n):
    s = x[0]
    for i in range(n):
        if s > 0.5:
            s = s * x[1] - 0.1
        else:
            s = np.exp(s) + x[2] * s
    return s


CONTROL = [
    (branch_on_sum, (np.array([0.5, -0.2, 0.9]),)),
    (branch_on_sum, (np.array([-0.5, 0.2, -0.9]),)),
    (scalar_recurrence, (RNG.normal(size=4),)),
    (grow_until_large, (np.array([0.3, -0.2, 0.25]),)),
    (loop_with_branch, (np.array([0.3, 0.9, 0.7]), 6)),
]


@pytest.mark.parametrize("f, args", CONTROL,
                         ids=[f"{f.__name__}-{k}" for k, (f, _) in enumerate(CONTROL)])
def test_hessian_through_control_flow(f, args):
    h = hessian(f)(*args)
    np.testing.assert_allclose(h, fd_hessian(f, *args), rtol=1e-6, atol=1e-6)
    v = RNG.normal(size=np.shape(args[0]))
    np.testing.assert_allclose(hvp(f)(*args, v), h @ v, rtol=1e-10, atol=1e-10)


def scalar_branch(x):
    if x > 0:
        y = np.sin(x) * x
    else:
        y = x ** 3
    return y * x


@pytest.mark.parametrize("x, expected", [
    # (x^2 sin x)'' = 2 sin x + 4 x cos x - x^2 sin x, and (x^4)'' = 12 x^2
    (0.5, 2 * np.sin(0.5) + 2.0 * np.cos(0.5) - 0.25 * np.sin(0.5)),
    (-0.5, 3.0)])
def test_second_derivative_through_a_branch_by_hand(x, expected):
    assert grad(grad(scalar_branch))(x) == pytest.approx(expected, rel=1e-12)


def test_third_derivative_through_a_branch_is_refused_with_a_reason():
    with pytest.raises(UnsupportedError, match="third or later derivative of a function "
                                               "with branches"):
        grad(grad(grad(scalar_branch)))(0.5)


def test_second_derivative_code_reads_like_forward_over_reverse():
    from adcompiler.api import compile_derivative
    text = compile_derivative(scalar_branch, "grad_jvp", (0,), tangent_wrt=(0,)).source
    assert text.startswith("def d_grad_scalar_branch(x, bout=1.0, dx=1.0):")
    assert "# Grad of: y = np.sin(x) * x" in text
    assert "# Tangent of the grad of: y = np.sin(x) * x" in text
