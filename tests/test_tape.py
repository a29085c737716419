"""The tape grows by a fixed number of entries per iteration: a count, not a time.

For loops of T iterations the tape holds exactly k * T + c entries when the
backward sweep starts, and k is what the backward sweep needs per iteration.
The tape is observed with benchmarks/bench_tape.py's recording tape.
"""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.bench_tape import (damped_while, logistic_map, rnn,  # noqa: E402
                                   scalar_recurrence, tape_size)

TRIPS = (0, 1, 2, 5, 17)


def nested_sines(x, T):
    for i in range(T):
        for j in range(3):
            x = np.sin(x)
    return x


def linear_steps(x, T):
    i = 0
    while i < T:
        x = x * 1.5 + 0.25
        i = i + 1
    return x


def with_break(x, T):
    for i in range(T):
        x = np.sin(x)
        if i > 2 * T:  # never, but the backward loop must replay only the trips run
            break
    return x


def sin_of_product(x, w, T):
    for i in range(T):
        x = np.sin(x * w)  # x * w: recomputed from x, which the product's adjoint needs
    return x


def nested_products(x, w, T):
    for i in range(T):
        a = x * w  # an outer value that the inner loop's recomputation reads
        for j in range(3):
            x = np.sin(x * a)
    return np.sum(x)


def rnn_inputs(T):
    rng = np.random.default_rng(0)
    return rng.standard_normal(4), rng.standard_normal((4, 4)) / 2, T


# name -> (function, inputs for T, entries per iteration the backward sweep needs)
LOOPS = {
    "rnn": (rnn, rnn_inputs, 1),                          # tanh(W @ x), for 1 - y**2
    "scalar recurrence": (scalar_recurrence, lambda T: (0.3, 0.9, T), 1),   # x, for cos x
    "logistic map": (logistic_map, lambda T: (0.3, 3.1, T), 1),  # x: r * x and 1 - x redone
    "product redone": (lambda x, T: sin_of_product(x, 0.7, T), lambda T: (0.3, T), 1),  # x
    "inner product redone": (lambda x, T: nested_products(x, np.full(3, 0.9), T),
                             lambda T: (np.linspace(0.1, 0.5, 3), T), 4),  # x, x three times
    "while loop": (damped_while, lambda T: (0.3, T), 1),         # tanh(1.1 x)
    "nested loops": (nested_sines, lambda T: (0.3, T), 3),       # x, three times
    "linear steps": (linear_steps, lambda T: (0.3, T), 0),       # nothing
    "break": (with_break, lambda T: (0.3, T), 1),  # x; the trip count is a local, not taped
}


def entries(name, T):
    fn, inputs, _ = LOOPS[name]
    return tape_size(fn, inputs(T))["entries"]


@pytest.mark.parametrize("name", LOOPS)
def test_tape_entries_are_linear_in_the_trip_count(name):
    counts = [entries(name, T) for T in TRIPS]
    k, c = counts[1] - counts[0], counts[0]
    assert counts == [k * T + c for T in TRIPS]
    assert c == 0  # nothing on the tape when the loop does not run


@pytest.mark.parametrize("name", LOOPS)
def test_tape_entries_per_iteration_are_what_the_backward_sweep_needs(name):
    needed = LOOPS[name][2]
    assert entries(name, 10) - entries(name, 9) == needed


def test_rnn_tape_keeps_at_most_one_vector_per_iteration_alive():
    # arrays go on the tape by reference: the memory held is that of distinct arrays
    T = 10
    size = tape_size(rnn, rnn_inputs(T))
    # the states x_0 ... x_T, each once: the derivative is compiled for the argument
    # shapes, so no shape goes on the tape
    assert size["distinct_bytes"] <= (T + 1) * 4 * 8


# ---- store or recompute: values redone in the backward sweep give the same gradients -------
@pytest.mark.parametrize("T", [0, 1, 4])
def test_recomputed_values_give_the_gradient_of_the_taped_ones(T):
    from adcompiler import grad
    from helpers import assert_grad_matches_fd
    x, w = np.linspace(0.1, 0.5, 3), np.full(3, 0.9)
    assert_grad_matches_fd(nested_products, (x, w, T), wrt=(0, 1))
    assert_grad_matches_fd(sin_of_product, (0.3, 0.7, T), wrt=(0, 1))
    assert_grad_matches_fd(logistic_map, (0.3, 3.1, T), wrt=(0, 1))
    # the same bits as the code that tapes them: recomputing redoes the same operations
    for f, args in ((nested_products, (x, w, T)), (logistic_map, (0.3, 3.1, T))):
        np.testing.assert_array_equal(grad(f, wrt=(0, 1))(*args),
                                      grad(f, wrt=(0, 1), optimize=False)(*args))
        # forward mode, which tapes nothing, agrees; and the second derivative, forward
        # mode over the reverse sweep with its recomputations, matches differences
        np.testing.assert_allclose(grad(f, wrt=(0, 1), mode="forward")(*args),
                                   grad(f, wrt=(0, 1))(*args), rtol=1e-12, atol=1e-14)
    from adcompiler import hessian
    from helpers import EPS
    d = grad(logistic_map)
    fd = (d(0.3 + EPS, 3.1, T) - d(0.3 - EPS, 3.1, T)) / (2 * EPS)
    np.testing.assert_allclose(hessian(logistic_map)(0.3, 3.1, T), fd, rtol=1e-6, atol=1e-8)


def test_a_recomputed_value_is_read_in_the_backward_sweep_not_pushed():
    from adcompiler import grad
    d = grad(logistic_map, wrt=0)
    d(0.3, 3.1, 4)
    pushes = [line.strip() for line in d.source.splitlines() if "tape.push" in line]
    assert pushes == ["tape.push(x_1)"]
    assert "r * x_3" in d.source and "1 - x_3" in d.source


def loop_invariant_product(x, a):
    s = 0.0
    for i in range(3):
        t = a * x  # every value the backward sweep reads is redone: nothing of it is taped
        s = s + t * t
    return s


def while_invariant_product(x):
    s = 0.0
    while s < 5.0:
        t = x * 2.0
        s = s + t * t
    return s


def test_a_loop_whose_needed_values_are_all_recomputed():
    from adcompiler import grad, hessian
    # hand-derived: s = 3 (a x)^2, ds/dx = 6 a^2 x, ds/da = 6 a x^2, d2s/dx2 = 6 a^2
    np.testing.assert_allclose(grad(loop_invariant_product, wrt=(0, 1))(0.5, 2.0), (12.0, 3.0))
    np.testing.assert_allclose(hessian(loop_invariant_product)(0.5, 2.0), 24.0)
    # x = 0.7: three steps of 4 x^2 = 1.96 reach 5.88, ds/dx = 3 * 8 x = 16.8
    np.testing.assert_allclose(grad(while_invariant_product)(0.7), 16.8)
