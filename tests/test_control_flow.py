"""Control flow in reverse mode: each construct, and combinations of them.

Every case is checked three ways: against central finite differences
(helpers.assert_grad_matches_fd), against a gradient derived by hand where
one is simple, and ``value_and_grad``'s value against the function's own
value. Then: the generated code keeps Python's loops (a reversed loop for
each loop, no state machine), and the tape holds only what the backward
sweep needs. Compiler bugs found here are strict xfails with the reason.
"""
import ast
import inspect
import re
import textwrap

import numpy as np
import pytest

from adcompiler import UnsupportedError, grad, value_and_grad
from helpers import assert_grad_matches_fd


def check(f, *args, wrt=0, expected=None):
    """Finite differences, the primal value, and (if given) the gradient by hand."""
    g = assert_grad_matches_fd(f, args, wrt=wrt)
    value, g2 = value_and_grad(f, wrt=wrt)(*args)
    assert value == f(*args), f"value_and_grad gives {value}, {f.__name__} gives {f(*args)}"
    if expected is not None:
        got = g if isinstance(g, tuple) else (g,)
        want = expected if isinstance(expected, tuple) else (expected,)
        assert len(got) == len(want)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    return g


# ---- loops with hand-derived gradients ----------------------------------------------------
def repeated_squaring(x, n):
    for _ in range(n):
        x = x * x
    return x


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_repeated_squaring_is_x_to_the_2_to_the_n(n):
    x = 0.9
    check(repeated_squaring, x, n, expected=2 ** n * x ** (2 ** n - 1))


def grow_until_ten(x):
    while x < 10:
        x = x * 1.5
    return x


@pytest.mark.parametrize("x, trips", [(1.0, 6), (0.3, 9), (20.0, 0)])
def test_while_with_a_data_dependent_trip_count(x, trips):
    # 1.5**5 = 7.6 < 10 < 1.5**6 = 11.4; 0.3 * 1.5**8 = 7.7 < 10 < 0.3 * 1.5**9
    check(grow_until_ten, x, expected=1.5 ** trips)


def newton_sqrt(a):
    x = a
    for i in range(50):
        x_new = 0.5 * (x + a / x)
        if abs(x_new - x) < 1e-12:
            break
        x = x_new
    return x


@pytest.mark.parametrize("a", [2.0, 9.0, 0.25])
def test_newton_iteration_with_break_differentiates_the_square_root(a):
    g = check(newton_sqrt, a)
    np.testing.assert_allclose(newton_sqrt(a), np.sqrt(a), rtol=1e-14)
    np.testing.assert_allclose(g, 0.5 / np.sqrt(a), rtol=1e-10)


def powers_down_by_two(x, n):
    s = 0.0
    for i in range(n, 0, -2):
        s = s + x ** i
    return s


@pytest.mark.parametrize("n", [7, 6, 1, 0, -3])
def test_range_with_a_negative_step(n):
    x = 0.8
    expected = sum(i * x ** (i - 1) for i in range(n, 0, -2))
    check(powers_down_by_two, x, n, expected=expected)


def horner(c, x):
    s = 0.0
    for i in range(len(c) - 1, -1, -1):
        s = s * x + c[i]
    return s


def test_range_with_computed_bounds_horner():
    c, x = np.array([0.5, -1.0, 2.0, 0.25]), 0.7
    powers = x ** np.arange(4)
    dx = sum(i * c[i] * x ** (i - 1) for i in range(1, 4))
    check(horner, c, x, wrt=(0, 1), expected=(powers, dx))


def shifted_window_sum(x, lo):
    s = 0.0
    for i in range(lo + 1, 2 * lo + len(x) - 3):
        s = s + x[i - lo] ** 2
    return s


def test_range_with_bounds_computed_from_arguments():
    x = np.array([0.3, -0.4, 0.5, 0.9, 1.1])
    # lo = 1: i from 2 to 3, so x[1] and x[2]
    check(shifted_window_sum, x, 1, expected=np.array([0, 2 * -0.4, 2 * 0.5, 0, 0]))


def halve_until_small(x):
    s = 0.0
    for i in range(3):
        while True:
            x = x * 0.5
            if x < 1:
                break
        s = s + x
        x = x * 4
    return s


@pytest.mark.parametrize("x", [0.7, 5.0, 37.0])
def test_while_with_break_inside_a_for(x):
    # only multiplications by constants: f(x) = c x, with c fixed by the trip counts
    check(halve_until_small, x, expected=halve_until_small(x) / x)


def first_over_three(x):
    for i in range(4):
        for j in range(4):
            x = x * 1.25
            if x > 3:
                return x * (i + 1)
    return -x


@pytest.mark.parametrize("x, expected", [
    (0.5, 3 * 1.25 ** 9),   # 0.5 * 1.25**9 = 3.7 is the first over 3: i = 2
    (2.9, 1 * 1.25 ** 1),   # the first step returns, i = 0
    (0.01, -1.25 ** 16),    # never over 3: every iteration runs, then `return -x`
])
def test_return_inside_nested_loops(x, expected):
    check(first_over_three, x, expected=expected)


def odd_pairs(x):
    s = 0.0
    for i in range(4):
        for j in range(4):
            if (i + j) % 2 == 0:
                continue
            s = s + i * np.cos(x * j)
    return s


def test_continue_in_nested_loops():
    x = 0.7
    expected = sum(-i * j * np.sin(x * j) for i in range(4) for j in range(4) if (i + j) % 2)
    check(odd_pairs, x, expected=expected)


def skip_negative_rows(X):
    s = 0.0
    for row in X:
        if np.sum(row) < 0:
            continue
        for v in row:
            if v > 1.0:
                break
            s = s + v * v
    return s


def test_continue_and_break_on_active_values_in_nested_loops():
    X = np.array([[0.5, 1.5, 0.2], [-0.9, -0.4, 0.1], [0.3, 0.6, 0.8]])
    expected = np.array([[1.0, 0, 0], [0, 0, 0], [0.6, 1.2, 1.6]])  # 2 v where counted
    check(skip_negative_rows, X, expected=expected)


# ---- branches -----------------------------------------------------------------------------
def elif_chain(x):
    if x < -1:
        y = -x * x
    elif x < 0:
        y = np.sin(x)
    elif x < 1:
        y = x ** 3
    else:
        y = np.exp(x)
    return y


@pytest.mark.parametrize("x, expected", [(-1.5, 3.0), (-0.5, np.cos(-0.5)), (0.5, 0.75),
                                         (1.5, np.exp(1.5))])
def test_elif_chain(x, expected):
    check(elif_chain, x, expected=expected)


def conditional_expression(x):
    return x * x if x > 0 else -np.sin(x)


@pytest.mark.parametrize("x, expected", [(0.5, 1.0), (-0.5, -np.cos(-0.5))])
def test_conditional_expression(x, expected):
    check(conditional_expression, x, expected=expected)


def conditional_expression_in_a_loop(x):
    s = 0.0
    for xi in x:
        s = s + (xi * xi if xi > 0 else np.sin(xi))
    return s


def test_conditional_expression_in_a_loop():
    x = np.array([0.5, -0.3, 1.2, -2.0])
    check(conditional_expression_in_a_loop, x, expected=np.where(x > 0, 2 * x, np.cos(x)))


def boolean_conditions(x, y):
    if x > 0 and y > 0:
        z = x * y
    elif x > 0 or not y < 1:
        z = x + 2 * y
    else:
        z = x - y
    return z


@pytest.mark.parametrize("x, y, expected", [
    (0.5, 0.7, (0.7, 0.5)), (0.5, -0.7, (1.0, 2.0)), (-0.5, 2.0, (1.0, 2.0)),
    (-0.5, 0.5, (1.0, -1.0)),
])
def test_and_or_not_in_conditions(x, y, expected):
    check(boolean_conditions, x, y, wrt=(0, 1), expected=expected)


def leading_positive_squares(x):
    i = 0
    s = 0.0
    while i < len(x) and x[i] > 0:
        s = s + x[i] ** 2
        i = i + 1
    return s


@pytest.mark.parametrize("x, expected", [
    ([0.5, 1.0, -0.2, 0.7], [1.0, 2.0, 0.0, 0.0]),
    ([0.5, 1.0], [1.0, 2.0]),  # x[2] would raise: `and` must not evaluate it
    ([-0.5, 1.0], [0.0, 0.0]),
])
def test_short_circuit_and_in_a_while_condition(x, expected):
    check(leading_positive_squares, np.array(x), expected=np.array(expected))


def larger_squared(x, y):
    if x > y:
        m = x
    else:
        m = y
    return m * m


def in_unit_interval(x):
    if 0 < x < 1:
        return x ** 2
    return 3 * x


@pytest.mark.parametrize("x, y, expected", [(0.8, 0.3, (1.6, 0.0)), (0.3, 0.8, (0.0, 1.6))])
def test_comparison_of_two_active_values(x, y, expected):
    check(larger_squared, x, y, wrt=(0, 1), expected=expected)


@pytest.mark.parametrize("x, expected", [(0.5, 1.0), (1.5, 3.0), (-0.5, 3.0)])
def test_chained_comparison_on_an_active_value(x, expected):
    check(in_unit_interval, x, expected=expected)


def several_returns(x):
    if x > 1:
        return x * x
    if x > 0:
        return np.sin(x)
    return -x


@pytest.mark.parametrize("x, expected", [(2.0, 4.0), (0.5, np.cos(0.5)), (-0.5, -1.0)])
def test_several_returns(x, expected):
    check(several_returns, x, expected=expected)


def with_pass(x):
    for i in range(3):
        pass
    if x > 0:
        pass
    else:
        x = -x
    return x ** 3


@pytest.mark.parametrize("x, expected", [(0.5, 0.75), (-0.5, -0.75)])
def test_pass(x, expected):
    check(with_pass, x, expected=expected)


# ---- loops over arrays, enumerate, zip ------------------------------------------------------
def weighted_row_norms(X):
    s = 0.0
    for i, row in enumerate(X):
        s = s + i * np.sum(row ** 2)
    return s


def test_enumerate_over_the_rows_of_a_matrix():
    X = np.arange(12.0).reshape(4, 3) / 10
    check(weighted_row_norms, X, expected=2 * np.arange(4)[:, None] * X)


def rows_through_a_layer(X, w):
    s = 0.0
    for row in X:
        s = s + np.tanh(row @ w) * row[0]
    return s


def test_loop_over_rows_with_a_weight_vector():
    rng = np.random.default_rng(1)
    check(rows_through_a_layer, rng.standard_normal((4, 3)), rng.standard_normal(3), wrt=(0, 1))


def indexed_squares(x):
    s = 0.0
    for i, xi in enumerate(x):
        s = s + i * xi * xi
    return s


def test_enumerate_over_a_vector():
    x = np.array([0.3, -0.5, 0.9, 1.1])
    check(indexed_squares, x, expected=2 * np.arange(4) * x)


def dot_of_prefix(a, b):
    s = 0.0
    for p, q in zip(a, b):
        s = s + p * q
    return s


def test_zip_of_unequal_lengths():
    a, b = np.array([0.5, -1.0, 2.0, 3.0]), np.array([1.5, 0.25, -0.75])
    check(dot_of_prefix, a, b, wrt=(0, 1), expected=(np.append(b, 0.0), a[:3]))


def test_zero_iteration_loops():
    check(repeated_squaring, 0.7, 0, expected=1.0)
    check(powers_down_by_two, 0.7, 0, expected=0.0)
    check(grow_until_ten, 11.0, expected=1.0)
    g = check(weighted_row_norms, np.zeros((0, 3)))
    assert g.shape == (0, 3)
    check(dot_of_prefix, np.array([1.0, 2.0]), np.zeros(0), wrt=(0, 1),
          expected=(np.zeros(2), np.zeros(0)))


def maybe_empty(x, n):
    s = x * 2
    for i in range(n):
        t = np.sin(x) * i   # first assigned here: unbound when n == 0, and not read after
        s = s + t
    return s


@pytest.mark.parametrize("n", [0, 1, 3])
def test_a_loop_that_may_not_run(n):
    x = 0.4
    check(maybe_empty, x, n, expected=2 + np.cos(x) * sum(range(n)))


# ---- loop-carried state ---------------------------------------------------------------------
def rnn(h, W, x):
    for t in range(3):
        h = np.tanh(W @ h + x)
    return np.sum(h ** 2)


def test_loop_carried_array_through_a_recurrent_layer():
    rng = np.random.default_rng(2)
    check(rnn, rng.standard_normal(4), rng.standard_normal((4, 4)) / 2,
          rng.standard_normal(4), wrt=(0, 1, 2))


def scale_repeatedly(v, c, n):
    for i in range(n):
        v = v * c
    return np.sum(v)


def test_loop_carried_array_scaled_elementwise():
    v, c = np.array([0.5, -1.0, 2.0]), np.array([1.1, 0.9, -0.5])
    check(scale_repeatedly, v, c, 4, wrt=(0, 1), expected=(c ** 4, 4 * v * c ** 3))


def last_product(x):
    for i in range(4):
        y = x * i
    return y


def last_in_while(x):
    k = 0
    while k < 3:
        k = k + 1
        z = np.sin(x) * k
    return z


def test_variable_first_assigned_inside_a_loop_and_read_after():
    check(last_product, 0.6, expected=3.0)
    check(last_in_while, 0.6, expected=3 * np.cos(0.6))


def swap_n(a, b, n):
    for i in range(n):
        a, b = b, a
    return a + 2 * b


def multiplying_swap(a, b):
    for i in range(3):
        a, b = b, a * b
    return a + b


def fibonacci_step(a, b):
    for i in range(5):
        a, b = b, a + b
    return a


@pytest.mark.parametrize("n, expected", [(0, (1.0, 2.0)), (1, (2.0, 1.0)), (4, (1.0, 2.0)),
                                         (5, (2.0, 1.0))])
def test_swap_inside_a_loop(n, expected):
    check(swap_n, 0.3, -0.8, n, wrt=(0, 1), expected=expected)


def test_parallel_assignments_inside_a_loop():
    x, y = 0.7, 1.3
    # (x, y) -> (y, xy) -> (xy, xy^2) -> (xy^2, x^2 y^3)
    check(multiplying_swap, x, y, wrt=(0, 1),
          expected=(y ** 2 + 2 * x * y ** 3, 2 * x * y + 3 * x ** 2 * y ** 2))
    # (a, b) -> ... -> (3a + 5b, 5a + 8b)
    check(fibonacci_step, 0.4, 0.9, wrt=(0, 1), expected=(3.0, 5.0))


def augmented_in_a_loop(x):
    s = 0.0
    for i in range(1, 4):
        s += x * i
        s *= x
    return s


def test_augmented_assignment_in_a_loop():
    x = 0.6  # s = x**4 + 2 x**3 + 3 x**2
    check(augmented_in_a_loop, x, expected=4 * x ** 3 + 6 * x ** 2 + 6 * x)


def while_inside_while(x):
    i = 0
    while i < 3:
        i = i + 1
        j = 0
        while j < i:
            j = j + 1
            x = np.sin(x) + 0.5
    return x


def test_while_inside_while():
    check(while_inside_while, 0.3)


# ---- the generated code is structured ----------------------------------------------------
def loop_depths(source):
    """The nesting depth of each loop of the (first) function in ``source``, in order."""
    out = []

    def visit(node, depth):
        for child in ast.iter_child_nodes(node):
            is_loop = isinstance(child, (ast.For, ast.While))
            if is_loop:
                out.append(depth)
            visit(child, depth + is_loop)

    visit(ast.parse(source), 0)
    return out


def test_a_range_loop_runs_backward_over_the_same_range():
    source = grad(powers_down_by_two).source
    assert "for i in range(n, 0, -2):" in source
    assert "for i in reversed(range(n, 0, -2)):" in source
    assert loop_depths(source) == [0, 0]


def test_a_while_loop_counts_its_trips_and_replays_them():
    source = grad(grow_until_ten).source
    assert "while x_1 < 10:" in source
    assert "for _ in range(trip):" in source
    assert loop_depths(source) == [0, 0]


def test_nested_loops_with_exits_stay_nested_loops():
    source = grad(first_over_three).source
    # forward: for i / for j; backward: reversed for i / reversed for j
    assert loop_depths(source) == [0, 1, 0, 1]
    # both replay the iterations that ran, as far as the return
    assert len(re.findall(r"for \w+ in reversed\(range\(4\)\[:trip\w*\]\):", source)) == 2
    assert "while True" not in source
    # a return inside both loops leaves each through a `break` at the end of its body
    assert source.count("break") == 2


@pytest.mark.parametrize("f", [halve_until_small, skip_negative_rows, odd_pairs, newton_sqrt,
                               while_inside_while, leading_positive_squares])
def test_each_loop_is_one_loop_forward_and_one_backward(f):
    original = loop_depths(textwrap.dedent(inspect.getsource(f)))
    generated = loop_depths(grad(f).source)
    # no dispatch loop around the code: each loop of the user's runs once
    # forward and once backward, at the depth the user nested it
    assert sorted(generated) == sorted(original + original)


# ---- what goes on the tape -------------------------------------------------------------------
def pushed(f, *args, wrt=0):
    """The names pushed on the tape by the code that runs for ``f(*args)`` (the
    derivative is specialised on which arguments are scalars)."""
    derivative = grad(f, wrt=wrt)
    derivative(*args)
    return re.findall(r"tape\w*\.push\((\w+)\)", derivative.source)


def polynomial(x):
    y = x
    for i in range(3):
        y = y * x + 1.0
    return y


def test_tape_holds_the_squared_value_only():
    assert pushed(repeated_squaring, 0.9, 3) == ["x_1"]  # x * x needs x, nothing else


def test_tape_holds_the_carried_value_a_product_needs():
    assert pushed(polynomial, 0.5) == ["y"]  # bx += by * y; the index i is recomputed


def test_no_tape_for_a_while_loop_of_linear_steps():
    derivative = grad(grow_until_ten)
    derivative(1.0)
    assert pushed(grow_until_ten, 1.0) == []
    assert "Tape" not in derivative.source  # only the trip count is kept


def accumulate(x, c):
    s = 0.0
    for i in range(5):
        s = s + c * x
    return s


def test_tape_holds_nothing_for_a_sum_of_constant_terms():
    # the backward sweep of s = s + c * x needs no value of the loop's: with scalar
    # arguments the shapes are known, and nothing is pushed
    assert pushed(accumulate, 0.5, 3.0) == []


def test_accumulate_gradient_is_right_all_the_same():
    check(accumulate, 0.5, 3.0, expected=15.0)


def test_tape_holds_only_the_row_for_weighted_row_norms():
    # the counter i is the backward loop's k: read from it, not from the tape
    assert pushed(weighted_row_norms, np.ones((3, 2))) == ["row"]


def counted_rows_until(X, limit):
    s = 0.0
    for i, row in enumerate(X):
        if i >= limit:
            break
        for j, v in enumerate(row):
            s = s + (i + 1) * (j + 2) * v ** 2
    return s


@pytest.mark.parametrize("limit", [0, 1, 2, 5])
def test_enumerate_counters_recomputed_in_nested_loops_with_break(limit):
    X = np.arange(6.0).reshape(3, 2) / 4
    expected = np.zeros_like(X)
    for i in range(min(limit, 3)):
        expected[i] = (i + 1) * np.array([2, 3]) * 2 * X[i]
    check(counted_rows_until, X, limit, expected=expected)


# ---- compiler bugs found by these tests and by test_random_programs.py ------------------------
def shift(a, b):
    for i in range(2):
        a = b
        b = 0.5 * b
    return a


def test_loop_copies_one_carried_variable_into_another():
    # found by test_random_programs: the backward loop named two adjoints bb_1, and
    # d/db came out 0.0

    check(shift, 1.0, 2.0, wrt=(0, 1), expected=(0.0, 0.5))


def nested_pass_through(c, v):
    r = 0.0
    if c > 0:
        if c > 1:
            v = v + 1.0
        r = v
    return r


@pytest.mark.parametrize("c", [0.5, 1.5])
def test_adjoint_passed_through_both_arms_of_a_nested_if(c):
    check(nested_pass_through, c, 0.3, wrt=1, expected=1.0)


def test_adjoint_passed_through_both_arms_of_a_nested_if_not_taken():
    check(nested_pass_through, -1.0, 0.3, wrt=1, expected=0.0)


def break_after_a_loop_that_may_return(a):
    for i in range(1):
        if a < 0:
            for j in range(0):
                return a
            break
        a = a * 2.0
    return a


def continue_after_a_loop_that_may_return(a):
    s = 0.0
    for i in range(3):
        if a < 0:
            for j in range(0):
                return a
            continue
        s = s + a * i
    return s + a


def test_break_after_a_loop_that_may_return():
    check(break_after_a_loop_that_may_return, -1.0, expected=1.0)


def test_continue_after_a_loop_that_may_return():
    check(continue_after_a_loop_that_may_return, -1.0, expected=1.0)


def test_break_after_a_loop_that_may_return_not_taken():
    check(break_after_a_loop_that_may_return, 1.0, expected=2.0)
    check(continue_after_a_loop_that_may_return, 1.0, expected=4.0)


def reversed_array(x):
    s = 0.0
    for xi in reversed(x):
        s = s * 0.5 + xi ** 2
    return s


def enumerate_from_one(x):
    s = 0.0
    for i, xi in enumerate(x, 1):
        s = s + i * xi
    return s


def enumerate_start_keyword(x):
    s = 0.0
    for i, xi in enumerate(x, start=1):
        s = s + i * xi
    return s


def enumerate_single_target(x):
    s = 0.0
    for pair in enumerate(x):
        s = s + pair[0] * pair[1]
    return s


def zip_single_target(x):
    s = 0.0
    for pair in zip(x, x):
        s = s + pair[0] * pair[1]
    return s


def enumerate_of_zip(x):
    s = 0.0
    for i, (p, q) in enumerate(zip(x, x)):
        s = s + i * p * q
    return s


def enumerate_of_reversed(x):
    s = 0.0
    for i, xi in enumerate(reversed(x)):
        s = s + i * xi
    return s


def zip_strict(x):
    s = 0.0
    for p, q in zip(x, x, strict=True):
        s = s + p * q
    return s


X3 = np.array([0.5, -1.0, 2.0])


@pytest.mark.parametrize("f, expected", [
    (reversed_array, 2 * X3 * 0.5 ** np.arange(3)),
    (enumerate_from_one, np.array([1.0, 2.0, 3.0])),
    (enumerate_start_keyword, np.array([1.0, 2.0, 3.0])),
    (enumerate_single_target, np.array([0.0, 1.0, 2.0])),
    (zip_single_target, 2 * X3),
    (enumerate_of_zip, 2 * np.arange(3) * X3),
    (enumerate_of_reversed, np.array([2.0, 1.0, 0.0])),
    (zip_strict, 2 * X3),
], ids=lambda v: getattr(v, "__name__", ""))
def test_iterating_reversed_enumerate_zip_in_other_forms(f, expected):
    try:
        g = grad(f)(X3)
    except UnsupportedError:
        return  # refusing is fine; a wrong gradient is not
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def aliased_in_loop(y):
    v = y * 1.0
    w = v
    for i in range(2):
        v += 1.0   # NumPy adds in place: w changes too
    return np.sum(w * v)


def test_in_place_add_to_an_array_aliased_before_a_loop():
    y = np.ones(3)
    try:
        value, _ = value_and_grad(aliased_in_loop)(y)
    except (UnsupportedError, ValueError) as refused:   # refused when it runs: v is an array
        assert "same array" in str(refused)
        return
    assert value == aliased_in_loop(np.ones(3))


def second_times(c, x):
    return c[1] * x


def test_index_adjoint_of_a_python_float_stays_float64():
    # found by test_range_with_computed_bounds_horner: runtime.unindex made float32
    # zeros for a Python float adjoint (NumPy 2's weak scalars), giving 0.699999988
    g = grad(second_times)(np.array([1.0, 2.0]), 0.7)
    assert g.dtype == np.float64
    assert g[1] == 0.7
