"""Forward mode (issue 4): jvp agrees with reverse mode and with finite
differences on the functions of the other suites, random programs included;
Jacobians, Hessians and higher derivatives."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import test_calls as calls
import test_control_flow as flow
import test_core as core
from adcompiler import (UnsupportedError, grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp,
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


def vector_valued(x):
    return np.sin(x) * x[0]


def test_jacobians_by_both_modes():
    x = np.array([0.3, -0.5, 1.2])
    expected = np.diag(np.cos(x) * x[0])
    expected[:, 0] += np.sin(x)
    for make in (jacfwd, jacrev, jacobian):
        np.testing.assert_allclose(make(vector_valued)(x), expected, rtol=1e-12)


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
