"""Indexing with integer arrays, in every form NumPy reads them: a tuple of lists, of
tuples or of arrays (x[[0, 2], [1, 1]], x[(0, 0), (1, 1)], x[rows, cols]). Repeated
positions accumulate when read and keep only the last write when written, in both
modes and in second derivatives."""
import numpy as np
import pytest

import runtime
from adcompiler import grad, hessian, jacfwd, jacrev, jvp
from helpers import assert_grad_matches_fd

ROWS = np.array([0, 0, 2, 1])
COLS = np.array([1, 1, 0, 1])
X = np.array([[0.5, -1.2], [0.3, 0.8], [1.5, -0.4]])


def lists(x):
    return np.sum(x[[0, 2, 0], [1, 0, 1]] ** 2)


def tuples(x):
    return np.sum(x[(0, 2, 0), (1, 0, 1)] ** 2)


def arrays(x, rows, cols):
    return np.sum(x[rows, cols] ** 2)


def global_arrays(x):
    return np.sum(x[ROWS, COLS] ** 2)


def index_in_a_loop(x, rows, cols):
    s = 0.0
    for i in range(3):
        s = s + np.sum(x[rows, cols] ** 2) * x[rows[i], cols[i]]
    return s


def counts(rows, cols):
    """How often each position of X is read."""
    n = np.zeros(X.shape)
    np.add.at(n, (rows, cols), 1.0)
    return n


@pytest.mark.parametrize("f, args, n", [
    (lists, (X,), counts([0, 2, 0], [1, 0, 1])),
    (tuples, (X,), counts([0, 2, 0], [1, 0, 1])),
    (arrays, (X, ROWS, COLS), counts(ROWS, COLS)),
    (global_arrays, (X,), counts(ROWS, COLS)),
])
def test_repeated_positions_accumulate(f, args, n):
    # d/dx sum(x[idx]^2) = 2 x times how often each element is read; x[(0, 0), (1, 1)]
    # once placed its adjoint instead of adding it
    expected = 2 * X * n
    np.testing.assert_allclose(assert_grad_matches_fd(f, args), expected, rtol=1e-12)
    np.testing.assert_allclose(grad(f, mode="forward")(*args), expected, rtol=1e-12)
    v = np.arange(6.0).reshape(3, 2) - 2.5
    assert jvp(f)(*args, v)[1] == pytest.approx(np.sum(expected * v), rel=1e-12)
    np.testing.assert_allclose(hessian(f)(*args).reshape(6, 6), np.diag(2 * n.reshape(-1)),
                               atol=1e-12)


def test_jacobian_of_a_read_with_repeats():
    def pick(x):
        return x[[0, 2, 0], [1, 0, 1]]
    expected = np.zeros((3, 3, 2))
    for k, (i, j) in enumerate([(0, 1), (2, 0), (0, 1)]):
        expected[k, i, j] = 1.0
    np.testing.assert_array_equal(jacrev(pick)(X), expected)
    np.testing.assert_array_equal(jacfwd(pick)(X), expected)


def test_hessian_through_a_loop_reading_an_index_from_its_tape():
    # the backward sweep pops rows[i]: an integer, whose derivative is zero
    args = (X, ROWS, COLS)
    assert_grad_matches_fd(index_in_a_loop, args)
    eps = 1e-5
    g = grad(index_in_a_loop)
    expected = np.zeros((3, 2, 3, 2))
    for k in np.ndindex(X.shape):
        e = np.zeros(X.shape)
        e[k] = eps
        expected[(...,) + k] = (g(X + e, ROWS, COLS) - g(X - e, ROWS, COLS)) / (2 * eps)
    np.testing.assert_allclose(hessian(index_in_a_loop)(*args), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("index", [([0, 2, 0], [1, 0, 1]), ((0, 2, 0), (1, 0, 1)),
                                   (np.array([0, 2, 0]), np.array([1, 0, 1]))])
def test_runtime_unindex_and_index_add(index):
    g = np.array([1.0, 2.0, 4.0])
    expected = np.zeros(X.shape)
    np.add.at(expected, index, g)
    np.testing.assert_array_equal(runtime.unindex(g, X, index), expected)
    np.testing.assert_array_equal(runtime.index_add(np.ones(X.shape), g, X, index), expected + 1)
    # an adjoint given as a list or tuple (a seed written by hand)
    np.testing.assert_array_equal(runtime.unindex(list(g), X, index), expected)
    np.testing.assert_array_equal(runtime.unindex(tuple(g), X, index), expected)
    out = runtime.unindex(1.0, X.astype(np.float32), index)
    assert out.dtype == np.float32


# ---- writes: of repeated positions only the last write stays ---------------------------------

W = np.array([1.0, 2.0, 3.0])


def write_repeated(x, v):
    y = x * 1.0
    y[[0, 2, 0]] = v
    return np.sum(y * W * x)


def test_a_repeated_write_gives_its_gradient_to_the_last_value_only():
    x, v = np.array([0.5, -1.0, 2.0]), np.array([5.0, 7.0, 11.0])
    # y = [v2, x1, v1]: f = W0 v2 x0 + W1 x1^2 + W2 v1 x2
    gx, gv = assert_grad_matches_fd(write_repeated, (x, v), wrt=(0, 1))
    np.testing.assert_allclose(gx, [W[0] * v[2], 2 * W[1] * x[1], W[2] * v[1]], rtol=1e-12)
    np.testing.assert_allclose(gv, [0.0, W[2] * x[2], W[0] * x[0]], rtol=1e-12)
    fwd = grad(write_repeated, wrt=(0, 1), mode="forward")(x, v)
    np.testing.assert_allclose(fwd[1], gv, rtol=1e-12)
    np.testing.assert_allclose(fwd[0], gx, rtol=1e-12)
    expected = np.zeros((3, 3))
    expected[0, 0], expected[1, 1], expected[2, 2] = 0.0, 2 * W[1], 0.0
    np.testing.assert_allclose(hessian(write_repeated)(x, v), expected, atol=1e-12)


W2 = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])


def grown_then_indexed(x, n):
    y = x
    for i in range(n):
        y = y * W2          # (1, 3) to (2, 3): the output's shape is not known when compiling
    return y[:, None]


def test_a_vjp_seed_of_the_wrong_shape_is_refused_where_the_output_shape_is_unknown():
    from adcompiler import vjp
    x = np.array([[0.3, -0.4, 0.8]])
    seed = np.arange(6.0).reshape(2, 1, 3)
    # the right seed: d/dx sum(seed * x * W2) = sum over rows of seed * W2
    np.testing.assert_allclose(vjp(grown_then_indexed)(x, 1, seed),
                               np.sum(seed[:, 0, :] * W2, axis=0, keepdims=True))
    # of the right size, or broadcasting to the output's shape: refused all the same
    for wrong in (np.arange(6.0).reshape(3, 2), np.arange(6.0), np.arange(6.0).reshape(6, 1, 1),
                  np.ones(3), np.ones((1, 1, 3)), 1.0):
        with pytest.raises(ValueError, match=r"seed of a vjp .* shape \(2, 1, 3\); got shape"):
            vjp(grown_then_indexed)(x, 1, wrong)


# ---- an index that only adds or drops unit axes covers all of x: its adjoint is a reshape ---
def outer_rows(x, w):
    return np.sum(np.tanh(x[:, None, :] * w))        # x[:, None, :]: every element of x


def unit_column(c, w):
    return np.sum(np.sin(c[:, 0] * w))               # c of shape (n, 1): c[:, 0] is all of c


def summed_row(x):
    return np.sum(x[None, :])                        # g stands lazily for a full array


def partial_rows(x, w):
    return np.sum(np.tanh(x[1:, None] * w))          # not all of x


def masked_dot(x, w):
    t = np.tanh(x[:, None, :] * w)
    v = t[t > -2.0]                                  # a shape read from data:
    return np.dot(v, v)                              # the output is not known to be a scalar


@pytest.mark.parametrize("f, args, reshaped", [
    (outer_rows, (np.linspace(-1.0, 1.0, 6).reshape(2, 3), np.linspace(0.5, 1.5, 12).reshape(4, 3)), True),
    (unit_column, (np.linspace(-1.0, 1.0, 4).reshape(4, 1), np.linspace(0.5, 1.5, 4)), True),
    (summed_row, (np.linspace(-1.0, 1.0, 5),), False),
    (partial_rows, (np.linspace(-1.0, 1.0, 4), np.linspace(0.5, 1.5, 3)), False),
    (masked_dot, (np.linspace(-1.0, 1.0, 6).reshape(2, 3), np.linspace(0.5, 1.5, 12).reshape(4, 3)),
     False),  # grad's seed 1.0 stands for an adjoint of the output's shape only if scalar
])
def test_an_index_covering_all_of_x_has_a_reshape_for_its_adjoint(f, args, reshaped):
    from helpers import assert_grad_matches_fd, assert_jvp_matches_fd
    wrt = tuple(range(len(args)))
    assert_grad_matches_fd(f, args, wrt=wrt)
    for i in wrt:
        assert_jvp_matches_fd(f, args, i)  # forward mode, which has no such adjoint
    d = grad(f, wrt=wrt)
    fast, raw = d(*args), grad(f, wrt=wrt, optimize=False)(*args)
    for a, b in zip(fast if len(wrt) > 1 else (fast,), raw if len(wrt) > 1 else (raw,)):
        np.testing.assert_array_equal(a, b)  # the same numbers, placed without zeros
    assert ("np.reshape(b" in d.source) is reshaped, d.source
    assert ("runtime.unindex" in d.source) is not reshaped, d.source
