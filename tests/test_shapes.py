"""Shape analysis (transforms/shapes.py) and derivatives compiled per argument shape.

Known shapes drop ``unbroadcast`` where an operand has the result's shape and
keep shapes off the tape; wherever a shape cannot be known, the run-time
``unbroadcast`` stays. The gradients are checked against finite differences
in every case, since a wrong "shapes are equal" would give a wrongly shaped
(or wrongly summed) gradient.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from adcompiler import grad, jvp
from adcompiler.api import primal_ssa
from adcompiler.ir.nodes import Op, walk
from adcompiler.transforms.shapes import known_shape, shape_symbols
from helpers import assert_grad_matches_fd, assert_jvp_matches_fd


def affine_tanh(x, b):
    return np.sum(np.tanh(x * 2.0 + b))


def test_equal_shapes_need_no_unbroadcast_and_a_broadcast_one_sums_to_a_constant():
    x, b = np.linspace(-1, 1, 12).reshape(4, 3), np.array([0.1, -0.2, 0.3])
    g = grad(affine_tanh, wrt=(0, 1))
    gx, gb = g(x, b)
    source = g.source
    assert "runtime.unbroadcast" not in source
    assert "bb = runtime.sum_to(bt_1, (3,))" in source  # summed over the rows
    d = 1 - np.tanh(x * 2.0 + b) ** 2
    np.testing.assert_allclose(gx, 2.0 * d)
    np.testing.assert_allclose(gb, d.sum(axis=0))
    assert_grad_matches_fd(affine_tanh, (x, b), wrt=(0, 1))


def test_before_a_call_the_code_is_for_any_shape():
    assert "runtime.unbroadcast" in grad(affine_tanh, wrt=(0, 1)).source


def grows(x, w, n):
    y = x
    for _ in range(n):
        y = y * w  # (3,) times (3, 1): y is (3, 3) from the second iteration on
    return np.sum(y)


def test_a_loop_carried_value_that_changes_shape_keeps_unbroadcast():
    x, w = np.array([0.5, -1.0, 2.0]), np.array([[0.9], [1.1], [-0.7]])
    g = grad(grows, wrt=(0, 1))
    g(x, w, 3)
    assert "runtime.unbroadcast" in g.source
    assert_grad_matches_fd(grows, (x, w, 3), wrt=(0, 1))
    assert_grad_matches_fd(grows, (x, w, 1), wrt=(0, 1))


def masked(x, y):
    z = x[x > 0]  # a shape read from the data: not known while compiling
    return np.sum(z * y[: z.shape[0]]) + np.sum(z * 1.5)


def test_a_shape_read_from_data_stays_unknown():
    x, y = np.array([0.5, -1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])
    assert_grad_matches_fd(masked, (x, y), wrt=(0, 1))
    assert_grad_matches_fd(masked, (-x, y), wrt=(0, 1))


def rnn(Wx, Wh, b, xs, h):
    for x in xs:
        h = np.tanh(x @ Wx + h @ Wh + b)
    return np.sum(h ** 2)


def test_a_loop_over_rows_tapes_no_shapes_when_they_are_known():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(4, 5)) * 0.5, rng.normal(size=(5, 5)) * 0.5,
            rng.normal(size=5), rng.normal(size=(6, 4)), np.zeros(5))
    g = grad(rnn, wrt=(0, 1, 2))
    g(*args)
    assert "shape_of" not in g.source and "unbroadcast" not in g.source
    assert g.source.count("tape.push") == 3  # h before, x, and h after each step
    assert_grad_matches_fd(rnn, args, wrt=(0, 1, 2))


def shapes_of(fn, *args):
    ir = primal_ssa(fn, None)
    of = shape_symbols(ir, {i: np.shape(a) for i, a in enumerate(args)})
    return {op.target.name: of(op.target) for op in walk(ir.body)
            if isinstance(op, Op) and op.target is not None}


def products_and_views(a, v, m):
    p = a @ v
    q = v @ a
    r = np.dot(a, a)
    s = np.sum(a, axis=0, keepdims=True)
    t = np.mean(a, axis=(0, 1))
    u = a[1:, ::2].T
    w = np.reshape(a, (-1,))
    k = np.outer(v, v)
    e = np.expand_dims(v, 0)
    n = m @ a
    return p, q, r, s, t, u, w, k, e, n


def test_shapes_of_products_reductions_and_views():
    a, v, m = np.zeros((3, 3)), np.zeros(3), np.zeros((2, 5, 3))
    shapes = shapes_of(products_and_views, a, v, m)
    assert shapes["p"] == (3,) and shapes["q"] == (3,) and shapes["r"] == (3, 3)
    assert shapes["s"] == (1, 3) and shapes["t"] == () and shapes["u"] == (2, 2)
    assert shapes["w"] == (9,) and shapes["k"] == (3, 3) and shapes["e"] == (1, 3)
    assert shapes["n"] == (2, 5, 3)
    for name, shape in shapes.items():  # each what NumPy gives
        if name in "pqrstuwken":
            expected = np.shape(products_and_views(a, v, m)["pqrstuwken".index(name)])
            assert shape == expected, name



def sizes_from_shapes(x, icf, f):
    n, d = x.shape
    k = icf.shape[0]
    head = icf[:, :d]
    cube = np.reshape(icf[:, d:] @ f, (k, d, d))
    rows = np.sum(x, axis=len(x.shape) - 1)
    flat = np.reshape(x, (n * d,))
    total = np.sum(np.exp(head)) + math.log(math.pi) * np.sum(math.lgamma(d) * rows)
    return head, cube, rows, flat, total


def test_sizes_read_off_known_shapes_are_constants():
    x, icf, f = np.zeros((6, 2)), np.zeros((4, 5)), np.zeros((3, 4))
    shapes = shapes_of(sizes_from_shapes, x, icf, f)
    assert shapes["head"] == (4, 2) and shapes["cube"] == (4, 2, 2)
    assert shapes["rows"] == (6,) and shapes["flat"] == (12,) and shapes["total"] == ()
    for name, value in zip(["head", "cube", "rows", "flat", "total"],
                           sizes_from_shapes(x, icf, f)):
        assert shapes[name] == np.shape(value), name



def product_of_arrays(x, a):
    c = math.prod([a, a])            # math's prod of arrays: an array, not a number
    return np.sum(x + c)


def test_a_math_function_that_multiplies_arrays_is_not_taken_for_a_number():
    x, a = np.arange(3.0), np.full((2, 3), 2.0)
    assert_grad_matches_fd(product_of_arrays, (x, a), wrt=0)
    assert_jvp_matches_fd(product_of_arrays, (x, a), 0)
    np.testing.assert_allclose(grad(product_of_arrays)(x, a), [2.0, 2.0, 2.0])
    assert jvp(product_of_arrays, wrt=0)(x, a, np.ones(3))[1] == 6.0

def regrows(x, w):
    for i in range(3):
        n = x.shape[0]
        x = np.concatenate([x, x[:1] * w]) * (n + 0.5)
    return np.sum(x ** 2) + n


def test_a_size_read_in_a_loop_that_changes_shape_is_not_a_constant():
    x = np.linspace(0.2, 0.9, 3)
    assert_grad_matches_fd(regrows, (x, 1.5), wrt=(0, 1))
    assert_jvp_matches_fd(regrows, (x, 1.5), 0)
    assert_jvp_matches_fd(regrows, (x, 1.5), 1)
    shapes = shapes_of(regrows_rows, x, np.zeros(60))
    assert known_shape(shapes["rows_1"]) is None  # (3, 20) on the first pass only


def regrows_rows(x, v):
    for i in range(3):
        n = x.shape[0]
        rows = np.reshape(v, (n, -1))  # (3, 20), (4, 15), (5, 12)
        x = np.concatenate([x, x[:1]])
    return rows

def mixed(x, y):
    return np.sum((x * y + np.sin(x)) / (1.0 + y ** 2))


SHAPE_PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (3,)), ((), (2, 3)), ((2, 3), ()),
               ((4, 1, 3), (2, 1)), ((1,), (5,))]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(SHAPE_PAIRS), st.integers(0, 2 ** 16))
def test_broadcasting_pairs_compiled_per_shape_match_finite_differences(pair, seed):
    rng = np.random.default_rng(seed)
    x, y = (rng.normal(size=s) if s else float(rng.normal()) for s in pair)
    assert_grad_matches_fd(mixed, (x, y), wrt=(0, 1))


def test_one_function_called_with_several_shapes_gets_each_right():
    g = grad(mixed, wrt=(0, 1))
    rng = np.random.default_rng(1)
    for pair in SHAPE_PAIRS:
        x, y = (rng.normal(size=s) for s in pair)
        gx, gy = g(x, y)
        assert np.shape(gx) == np.shape(x) and np.shape(gy) == np.shape(y)
        assert_grad_matches_fd(mixed, (x, y), wrt=(0, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_stays_float32_when_specialised(dtype):
    x, b = np.ones((2, 3), dtype=dtype), np.ones(3, dtype=dtype)
    gx, gb = grad(affine_tanh, wrt=(0, 1))(x, b)
    assert gx.dtype == dtype and gb.dtype == dtype


# ---- lazy adjoints: the seed of a full sum stays a scalar until an array is needed -------
def sum_of_broadcast(x, b):
    return np.sum(x + b)


def plain_sum(x):
    return np.sum(x)


def scaled_mean(x, c):
    return np.mean(x * c)


def sum_in_branch(x, c):
    if c > 0:
        s = np.sum(x)
    else:
        s = np.sum(x * x)
    return s * 3.0


def sum_in_loop(x, w, n):
    s = 0.0
    for _ in range(n):
        s = s + np.sum(x * w) + np.sum(x)
    return s


def sum_then_branch(x):
    s = np.sum(x * 2.0)
    if s > 0:
        r = s
    else:
        r = -s
    return r


def rows_of_sum(x):
    return np.sum(x[1:] * 100.0 + x[:-1])


LAZY_CASES = [
    (sum_of_broadcast, (np.ones((2, 3)), np.array([0.5, 1.0, 2.0])), (0, 1)),
    (plain_sum, (np.linspace(0, 1, 5),), (0,)),
    (scaled_mean, (np.linspace(0, 1, 6).reshape(2, 3), 3.0), (0, 1)),
    (sum_in_branch, (np.linspace(-1, 1, 4), 1.0), (0,)),
    (sum_in_branch, (np.linspace(-1, 1, 4), -1.0), (0,)),
    (sum_in_loop, (np.linspace(-1, 1, 4), np.arange(4.0), 3), (0, 1)),
    (sum_then_branch, (np.linspace(-1, 2, 4),), (0,)),
    (sum_then_branch, (np.linspace(-2, 1, 4),), (0,)),
    (rows_of_sum, (np.linspace(-1, 2, 5),), (0,)),
]


@pytest.mark.parametrize("fn, args, wrt", LAZY_CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(LAZY_CASES)])
def test_lazy_adjoints_match_finite_differences(fn, args, wrt):
    assert_grad_matches_fd(fn, args, wrt=wrt)


def test_a_lazy_adjoint_by_hand():
    x, b = np.ones((2, 3)), np.array([0.5, 1.0, 2.0])
    gx, gb = grad(sum_of_broadcast, wrt=(0, 1))(x, b)
    np.testing.assert_array_equal(gx, np.ones((2, 3)))
    np.testing.assert_array_equal(gb, [2.0, 2.0, 2.0])  # b is added to both rows
    g = grad(plain_sum)(np.arange(4.0))
    np.testing.assert_array_equal(g, np.ones(4))
    assert g.flags.writeable  # the user's gradient is an array of its own
    gx, gc = grad(scaled_mean, wrt=(0, 1))(np.arange(6.0).reshape(2, 3), 3.0)
    np.testing.assert_allclose(gx, np.full((2, 3), 0.5))
    assert gc == pytest.approx(2.5)  # mean of x


def test_the_seed_of_a_sum_is_not_spread_over_an_array():
    g = grad(rows_of_sum)
    g(np.linspace(-1, 2, 5))
    assert "unreduce" not in g.source and "100.0 * bout" in g.source


def test_lazy_adjoints_at_the_edges():
    assert grad(plain_sum)(np.zeros(0)).shape == (0,)
    assert grad(plain_sum)(np.array(2.0)) == 1.0
    g32 = grad(scaled_mean)(np.ones(3, dtype=np.float32), 2.0)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, 2.0 / 3)


def cubes(x):
    return np.sum(x ** 3)


def test_second_derivatives_through_a_lazy_adjoint():
    from adcompiler import hessian
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(hessian(cubes)(x), np.diag(6 * x))


# ---- found in review: a nested loop's row kept the shape of the first pass ----------------
def stale_row(x, b, n):
    y = x
    s = 0.0
    for k in range(n):
        for row in y:
            s = s + np.sum(np.sin(row + b))
        y = np.stack([y, y])  # y's shape changes, and with it row's
    return s


def stale_row_constant(x, n):
    y = x
    s = 0.0
    for k in range(n):
        for row in y:
            s = s + np.mean(np.sin(row + np.zeros((1, 1))))
        y = np.stack([y, y])
    return s


@pytest.mark.parametrize("n", [1, 2, 3])
def test_a_row_of_a_value_whose_shape_a_loop_changes(n):
    x = np.arange(12.0).reshape(3, 4) / 10
    assert_grad_matches_fd(stale_row, (x, np.full((1, 1), 0.3), n), wrt=(0, 1))
    assert_grad_matches_fd(stale_row_constant, (x, n), wrt=0)


# ---- found in review: a call must use its own shapes, not the last call's ---------------
def tanh_product(x, b):
    return np.sum(np.tanh(x * b))


def test_threads_sharing_a_derivative_each_get_their_own_shapes():
    import sys
    import threading
    g = grad(tanh_product, wrt=1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    bs = [rng.standard_normal(3), rng.standard_normal((4, 3))]
    expected = [g(x, b) for b in bs]
    wrong = []

    def work(k):
        for _ in range(3000):
            try:
                out = g(x, bs[k])
            except Exception as exc:  # noqa: BLE001 - any failure is a finding
                wrong.append(repr(exc))
                continue
            if out.shape != expected[k].shape or not np.array_equal(out, expected[k]):
                wrong.append(k)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []


def compiled_for_many_shapes(x):
    return np.sum(x ** 3)


def test_the_limit_of_derivatives_per_shape_holds_across_grad_objects():
    from adcompiler.api import MAX_SPECIALIZATIONS, _derivative_cache
    for n in range(1, MAX_SPECIALIZATIONS + 6):
        x = np.linspace(0.5, 1.5, n)
        np.testing.assert_allclose(grad(compiled_for_many_shapes)(x), 3 * x ** 2)
    keys = [k for k in _derivative_cache[compiled_for_many_shapes] if k[0] == "grad"]
    assert len(keys) == MAX_SPECIALIZATIONS + 1  # 8 shapes, then one for any shape


def sum_and_mean_of_one(x, c):
    return np.sum(x) + np.mean(c)  # the mean of one element divides by 1: g itself


def test_the_mean_of_one_element_shares_the_seed():
    gx, gc = grad(sum_and_mean_of_one, wrt=(0, 1))(np.ones((2, 3)), np.array([0.5]))
    np.testing.assert_array_equal(gx, np.ones((2, 3)))
    np.testing.assert_array_equal(gc, [1.0])


def rows_squared(x):
    return x ** 2


def test_a_vjp_seed_of_another_shape_than_the_output_is_refused():
    from adcompiler import vjp
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(vjp(rows_squared)(x, np.ones((2, 3))), 2 * x)
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        vjp(rows_squared)(x, np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(\)"):
        vjp(plain_sum)(x, np.ones((2, 3)))


def mean_in_a_row_loop(X, c):
    s = 0.0
    t = c * 1.0
    for i, row in enumerate(X):
        t = t * 0.9 + np.sum(row) * 0.1
        s = s + np.sum(t * row) + np.mean(t + row * i)
    return s + t


def test_lazy_adjoints_of_values_already_reversed_are_not_made_full():
    # found in review: grad(optimize=False) made every lazy adjoint full at the end of
    # the loop body, one reading a name another had just rebound (a VerifyError)
    X = np.arange(6.0).reshape(2, 3) / 5
    raw = grad(mean_in_a_row_loop, optimize=False)(X, 0.7)
    np.testing.assert_array_equal(raw, grad(mean_in_a_row_loop)(X, 0.7))
    assert_grad_matches_fd(mean_in_a_row_loop, (X, 0.7), wrt=(0, 1))
