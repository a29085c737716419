"""Writing into arrays (issue 5): a[i] = v, a[i:j] = v, a[mask] = v, a[i] += v,
in loops too. The overwritten elements get no gradient; the written value gets
the gradient of its slot."""
import numpy as np
import pytest

from adcompiler import UnsupportedError, grad
from helpers import assert_grad_matches_fd

X = np.array([0.5, -1.2, 0.3, 0.8])


def fill_a_fresh_array(x, v):
    a = np.zeros(4)
    a[1] = v * 2.0
    a[2:4] = x[:2] * v
    return np.sum(a * x)


def test_element_and_slice_writes():
    v = 0.7
    gx, gv = grad(fill_a_fresh_array, wrt=(0, 1))(X, v)
    # f = 2v x1 + v x0 x2 + v x1 x3
    np.testing.assert_allclose(gx, [v * X[2], 2 * v + v * X[3], v * X[0], v * X[1]])
    assert gv == pytest.approx(2 * X[1] + X[0] * X[2] + X[1] * X[3])
    assert_grad_matches_fd(fill_a_fresh_array, (X, v), wrt=(0, 1))


def recurrence_in_place(x):
    y = x * 1.0
    for i in range(1, 4):
        y[i] = y[i - 1] * 0.5 + y[i] ** 2
    return np.sum(y)


def test_writes_in_a_loop_read_earlier_writes():
    assert_grad_matches_fd(recurrence_in_place, (X,))


def masked_and_augmented(x):
    y = x.copy()
    y[0] += 3.0 * x[1]
    y[x > 0] = 0.0
    return np.sum(y ** 2)


def test_mask_write_and_augmented_element_write():
    g = grad(masked_and_augmented)(X)
    y = X.copy()
    y[0] += 3.0 * X[1]
    y[X > 0] = 0.0
    # only x1 (negative) survives, and y0 was overwritten (x0 > 0)
    np.testing.assert_allclose(g, [0.0, 2 * y[1], 0.0, 0.0])
    assert_grad_matches_fd(masked_and_augmented, (X,))


def write_into_a_parameter(x):
    x[0] = 2.0 * x[1]
    return np.sum(x ** 2)


def test_writing_into_a_parameter_leaves_the_callers_array_alone():
    x = X.copy()
    g = grad(write_into_a_parameter)(x)
    np.testing.assert_array_equal(x, X)
    # f = (2 x1)^2 + x1^2 + x2^2 + x3^2
    np.testing.assert_allclose(g, [0.0, 8 * X[1] + 2 * X[1], 2 * X[2], 2 * X[3]])


def write_into_an_alias(x):
    y = x
    y[0] = 1.0
    return np.sum(x)


def write_into_a_view(x):
    r = x.reshape(2, 2)
    r[0, 0] = 5.0
    return np.sum(x)


@pytest.mark.parametrize("fn, words", [(write_into_an_alias, "same array"),
                                       (write_into_a_view, "view")])
def test_writes_that_numpy_would_share_are_refused(fn, words):
    with pytest.raises(UnsupportedError, match=words):
        grad(fn)(X)


def grow_a_list_in_a_loop(x, n):
    items = []
    for i in range(n):
        items.append(x * i)
    return np.sum(items[0])


def test_a_list_grown_in_a_run_time_loop_is_refused_clearly():
    with pytest.raises(UnsupportedError, match="changes inside a loop"):
        grad(grow_a_list_in_a_loop)(1.0, 3)
