"""The optimisation passes, by before/after examples.

Each pass is shown on generated code (the lines it must produce) and on IR
built by hand for the cases it must leave alone. Whatever a pass rewrites, the
gradient must not change: optimised and unoptimised code agree exactly.
"""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import runtime
from adcompiler import grad, jvp, value_and_grad
from adcompiler.codegen.emit import emit_function
from adcompiler.ir.nodes import Const, For, Function, Index, Names, Op, Phi, Return, Slice, Var
from adcompiler.ir.verify import verify
from adcompiler.opt import PIPELINE, optimize
from adcompiler.opt.accumulate import accumulate_in_place
from adcompiler.opt.dce import eliminate_dead_code
from adcompiler.opt.negations import fold_negations
from adcompiler.opt.scales import fold_scales
from helpers import assert_grad_matches_fd, assert_jvp_matches_fd
from random_programs import forget, load, programs
from adcompiler.opt.ownership import Ownership


def same_gradient(f, args, wrt=0):
    """Optimised and raw gradients agree exactly; returns the optimised source."""
    fast, raw = grad(f, wrt=wrt), grad(f, wrt=wrt, optimize=False)
    a, b = fast(*args), raw(*args)
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        assert np.shape(x) == np.shape(y) and np.result_type(x) == np.result_type(y)
        assert np.array_equal(x, y)
    return fast.source


def test_pipeline_is_a_literal_list_of_passes():
    assert PIPELINE[0].__name__ == "eliminate_dead_code"
    assert accumulate_in_place in PIPELINE


# ---- accumulate_in_place, on generated code ---------------------------------------------------
def shifted_products(x):
    return np.sum(x[1:] * x[:-1]) + x[0] * x[2]


def test_index_adjoints_are_added_in_place():
    source = same_gradient(shifted_products, (np.linspace(0.5, 2.0, 6),))
    # before: bx = bx + runtime.unindex(bt_2, x, np.s_[1:]), a zeros array and a full sum each
    assert "bx = bx + runtime.unindex" not in source
    assert source.count("runtime.index_add(bx, ") == 3
    assert source.count("runtime.unindex(") == 1  # the first contribution makes the buffer


def elementwise_loop(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] * w[i] + x[i] ** 2
    return s


def test_index_adjoints_in_a_loop_accumulate_into_one_buffer():
    # before: every iteration made a zeros array shaped like x and added it (O(n^2))
    source = same_gradient(elementwise_loop, (np.linspace(-1, 1, 7), np.arange(7.0)))
    assert "runtime.index_add(bx, bt_7, x, np.s_[i])" in source
    assert "bx = bx + runtime.unindex" not in source


def branchy(x, c):
    y = x[0]
    if c > 0:
        y = y + x[1] * 3.0
    return y * x[2]


@pytest.mark.parametrize("c", [1.0, -1.0])
def test_index_adjoints_in_one_arm_of_a_branch(c):
    source = same_gradient(branchy, (np.array([0.5, -2.0, 3.0]), c))
    assert "bx = runtime.index_add(bx, bt, x, np.s_[1])" in source
    assert re.search(r"bx = runtime\.index_add\(bx, by(_\d+)?, x, np\.s_\[0\]\)", source)


def repeated_rows(x, rows):
    return np.sum(x[rows] ** 2) + np.sum(x[rows] * 3.0)


def test_repeated_integer_indices_sum_as_unindex_does():
    x = np.linspace(0.1, 0.9, 5)
    same_gradient(repeated_rows, (x, np.array([0, 2, 2, 4, 0])))


def float32_rows(x):
    return np.sum(x[1:] * 2.0) + np.sum(x[:2].astype(np.float64) ** 2)


def test_a_wider_contribution_is_not_squeezed_into_a_narrow_buffer():
    same_gradient(float32_rows, (np.linspace(0, 1, 4, dtype=np.float32),))


# ---- accumulate_in_place, on IR built by hand: what it must leave alone ------------------------
def hand_built(body, params):
    fn = Function("f", params, body, Names())
    verify(fn)
    return fn


def slice_of(lower=None, upper=None):
    return Index([Slice(None if lower is None else Const(lower),
                        None if upper is None else Const(upper), None)], False)


def test_a_buffer_read_again_later_is_not_written():
    x, g, h = Var("x"), Var("g"), Var("h")
    a, u, b, c = Var("a"), Var("u"), Var("b"), Var("c")
    body = [Op(a, "runtime.unindex", [g, x, slice_of(1)]),
            Op(u, "runtime.unindex", [h, x, slice_of(None, -1)]),
            Op(b, "add", [a, u]),
            Op(c, "mul", [a, Const(2.0)]),   # a is read here too: it must keep its values
            Return(Var("t"))]
    t = body[-1].value
    body.insert(-1, Op(t, "tuple", [b, c]))
    fn = hand_built(body, [x, g, h])
    assert not accumulate_in_place(fn)


def test_views_and_arguments_are_not_owned():
    x, g = Var("x"), Var("g")
    view, u, b = Var("view"), Var("u"), Var("b")
    body = [Op(view, "getitem", [x, slice_of(None, None)]),   # x[:] shares x's memory
            Op(u, "runtime.unindex", [g, x, slice_of(1)]),
            Op(b, "add", [view, u]),
            Return(b)]
    fn = hand_built(body, [x, g])
    assert not Ownership(fn).consumable(view, fn.body)
    assert not Ownership(fn).consumable(x, fn.body)
    assert not accumulate_in_place(fn)


def test_a_value_made_before_a_loop_is_not_written_inside_it():
    # acc is read once, but in a loop body: the next iteration would see the writes
    x, g, n = Var("x"), Var("g"), Var("n")
    acc, i, u, s, s0, s1 = Var("acc"), Var("i"), Var("u"), Var("s"), Var("s0"), Var("s1")
    rng = Var("r")
    loop_body = [Op(u, "runtime.unindex", [g, x, Index([i], False)]),
                 Op(s1, "add", [acc, u])]
    loop = For(i, rng, loop_body, [Phi(s, [s0, s1])], range_args=[n])
    body = [Op(acc, "mul", [x, Const(2.0)]),
            Op(s0, "mul", [x, Const(0.0)]),
            Op(rng, "range", [n]),
            loop,
            Return(s)]
    fn = hand_built(body, [x, g, n])
    assert not accumulate_in_place(fn)


def test_a_carried_sum_is_written_in_place_at_the_top_of_its_loop():
    x, g, n = Var("x"), Var("g"), Var("n")
    i, u, s, s0, s1, rng = Var("i"), Var("u"), Var("s"), Var("s0"), Var("s1"), Var("r")
    loop_body = [Op(u, "runtime.unindex", [g, x, Index([i], False)]),
                 Op(s1, "add", [s, u])]
    body = [Op(s0, "runtime.zeros_grad", [x]),
            Op(rng, "range", [n]),
            For(i, rng, loop_body, [Phi(s, [s0, s1])], range_args=[n]),
            Return(s)]
    fn = hand_built(body, [x, g, n])
    before = emit_function(fn)
    assert accumulate_in_place(fn)
    after = emit_function(fn)
    assert "s1 = s + u" in before
    assert "s1 = runtime.index_add(s, g, x, np.s_[i])" in after  # u is left to dead code
    namespace = {"np": np, "runtime": runtime}
    exec(before.replace("def f", "def before") + after.replace("def f", "def after"), namespace)
    x_value, g_value = np.zeros(4), 1.5
    assert np.array_equal(namespace["before"](x_value, g_value, 4),
                          namespace["after"](x_value, g_value, 4))


def test_optimize_runs_to_a_fixed_point_and_keeps_ssa():
    fn = grad(shifted_products).compiled.ir
    optimize(fn)
    verify(fn)
    assert not any(bool(p(fn)) for p in PIPELINE)


@settings(max_examples=20, deadline=None)
@given(source=programs())
def test_dead_code_elimination_is_idempotent(source):
    # optimize() passes over it when only its own last run changed anything
    assert eliminate_dead_code.idempotent
    f, filename = load(source)
    try:
        for optimized in (False, True):
            fn = grad(f, wrt=(0, 1), optimize=optimized).compiled.ir
            eliminate_dead_code(fn)
            assert not eliminate_dead_code(fn)
            verify(fn)
    finally:
        forget(filename)


# ---- the runtime helper the pass calls ----------------------------------------------------------
@pytest.mark.parametrize("index", [np.s_[1:], np.s_[2], np.s_[[0, 2, 2]],
                                   np.s_[np.array([True, False, True, False])], np.s_[None, 1:3]])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_index_add_is_acc_plus_unindex(index, dtype):
    rng = np.random.default_rng(0)
    x = np.zeros(4, dtype=dtype)
    t = rng.standard_normal(np.shape(x[index])).astype(dtype)
    acc = rng.standard_normal(4).astype(dtype)
    want = acc + runtime.unindex(t, x, index)
    got = runtime.index_add(acc.copy(), t, x, index)
    assert got.dtype == want.dtype and np.array_equal(got, want)


def test_index_add_falls_back_when_the_result_is_wider():
    acc = np.ones(3, dtype=np.float32)
    got = runtime.index_add(acc, np.array([0.1]), np.zeros(3), np.s_[:1])
    assert got.dtype == np.float64 and acc[0] == 1.0  # acc untouched


@pytest.mark.parametrize("acc_shape", [(4,), (4, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make_t", [float, np.float64, np.float32])
def test_index_add_of_one_number_is_acc_plus_unindex(acc_shape, dtype, make_t):
    # a loop over x's elements adds one number per iteration (the helper's fast path)
    rng = np.random.default_rng(1)
    x = np.zeros(acc_shape, dtype=dtype)
    acc = rng.standard_normal(acc_shape).astype(dtype)
    for k in (0, 2, -1):
        t = make_t(rng.standard_normal())
        want = acc + runtime.unindex(t, x, k)
        got = runtime.index_add(acc.copy(), t, x, k)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want)


# ---- fold_negations ------------------------------------------------------------------------
def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_negations_fold_into_products_and_sums():
    source = same_gradient(rosenbrock, (np.linspace(-1.5, 2.0, 9),))
    assert "bout * (-2 * t_7)" in source and "bt_3 * (-2 * t_1)" in source
    assert "= -b" not in source  # no pass over an array just to flip its sign


def minus_products(x, y):
    return np.sum(-(x * (3.0 * y)) + (2.0 - x) * (y - x * y) - np.sin(-x))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 1.5, -2.25, 1e-300, -3e300, 7.0]), min_size=4,
                max_size=4))
def test_folded_negations_give_the_same_bits(values):
    x = np.array(values)
    y = x[::-1].copy()
    fast, raw = grad(minus_products, wrt=(0, 1)), grad(minus_products, wrt=(0, 1), optimize=False)
    with np.errstate(all="ignore"):
        for a, b in zip(fast(x, y), raw(x, y)):
            assert np.array_equal(a.view(np.int64), b.view(np.int64))  # signs of zeros too


def test_a_negation_is_not_folded_across_a_rebound_name():
    # v = a * (2 * y); a = a + 1; n = -v: moving `a * ...` below the rebinding would
    # read the new a
    a, y, w, v, a1, n = Var("a"), Var("y"), Var("w"), Var("v"), Var("a"), Var("n")
    body = [Op(w, "mul", [Const(2.0), y]),
            Op(v, "mul", [a, w]),
            Op(a1, "add", [a, Const(1.0)]),
            Op(n, "neg", [v]),
            Return(n)]
    fn = hand_built(body, [a, y])
    fn.backward = frozenset(id(d) for d in (w, v, a1, n))  # as if reverse mode made them
    assert not fold_negations(fn)
    # the same without the rebinding folds
    body = [Op(w, "mul", [Const(2.0), y]), Op(v, "mul", [a, w]), Op(n, "neg", [v]), Return(n)]
    fn = hand_built(body, [a, y])
    fn.backward = frozenset(id(d) for d in (w, v, n))
    assert fold_negations(fn)


def negated_unsigned(x, k):
    t = -k  # wraps around for unsigned integers
    return np.sum(x * (t * 2.0))


def negated_zero(x, w):
    t = -(0 * x)  # -0.0
    return np.sum(w * np.exp(1.0 / t))


def test_the_users_own_negations_are_left_alone():
    # found in review: -k wraps for uint8, and -0 of an int 0 loses -0.0's sign
    x, k = np.ones(3), np.array([1, 2, 200], dtype=np.uint8)
    value, gx = value_and_grad(negated_unsigned)(x, k)
    assert value == negated_unsigned(x, k)
    np.testing.assert_array_equal(gx, (-k) * 2.0)
    with np.errstate(all="ignore"):
        value, gw = value_and_grad(negated_zero, wrt=1)(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert value == 0.0 and not gw.any()


def test_a_negation_read_twice_is_kept():
    def twice(x):
        z = -np.sin(x)
        return np.sum(z * (2.0 * x) + z)
    source = same_gradient(twice, (np.linspace(-1, 1, 5),))
    assert "np.sin" in source


def euler_steps(a, b, x, steps):
    for _ in range(steps):
        x = x + 0.01 * (a * np.sin(x) - b * x)
    return x


def test_a_negation_read_by_two_products_folds_into_both_sums():
    source = same_gradient(euler_steps, (0.7, 0.3, 0.5, 5), wrt=(0, 1))
    assert "bb = bb - bt_4 * x_" in source and " - bt_4 * b\n" in source
    assert "= -bt" not in source



def same_tangent(f, args, wrt=(0,)):
    """Optimised and raw jvps agree exactly, along ones; returns the optimised source."""
    from adcompiler.api import argument_shapes, compile_derivative
    tangents = [np.ones_like(args[i]) for i in wrt]
    out = [compile_derivative(f, "jvp", wrt, opt, None, argument_shapes(args))
           for opt in (True, False)]
    (va, da), (vb, db) = (c.function(*args, *tangents) for c in out)
    assert va == vb and np.array_equal(da, db) and np.result_type(da) == np.result_type(db)
    return out[0].source


def test_negations_fold_in_tangent_code_too():
    source = " ".join(same_tangent(rosenbrock, (np.linspace(-1.5, 2.0, 9),)).split())
    assert "dx[:-1] * (-2 * t_7)" in source and "-dx" not in source
    x, k = np.ones(3), np.array([1, 2, 200], dtype=np.uint8)
    source = same_tangent(negated_unsigned, (x, k))  # the user's -k stays as it is
    assert "-k" in source


# ---- fold_scales ----------------------------------------------------------------------------
def sum_of_squares(x):
    return np.sum(x ** 2)


def square_of_affine(x):
    return np.sum((3.0 * x + 2.0) ** 2 * 0.3)


def test_scales_move_out_of_products_into_constants_and_sums():
    x = np.linspace(-1.5, 2.0, 9)
    assert "dout = 2 * np.sum(dx * x)" in same_tangent(sum_of_squares, (x,))
    source = " ".join(same_tangent(rosenbrock, (x,)).split())
    assert "* t_3 * 200.0" in source and "2 * t_3" not in source
    # reverse mode too: 3.0 * (bt_2 * (2 * t_1)) is a pass fewer as (bt_2 * t_1) * 6.0
    source = same_gradient(square_of_affine, (x,))
    assert "bt_1 = bt_2 * t_1\n" in source and "bx = bt_1 * 6.0" in source, source


def scaled_products(x, y):
    return np.sum(3.0 * (x * y) ** 2) + np.mean(np.sin(x) * (y * 4.0) ** 2)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 1.5, -2.25, 7.0, 1e10, -3e-5, 0.1]),
                min_size=4, max_size=4))
def test_folded_scales_give_the_same_bits(values):
    # exact but for subnormal products and overflow, which these values do not reach
    x = np.array(values)
    y = x[::-1].copy()
    same_gradient(scaled_products, (x, y), wrt=(0, 1))
    same_tangent(scaled_products, (x, y), wrt=(0, 1))


def test_only_powers_of_two_read_once_move():
    def thrice(x):
        return np.sum(x ** 3)           # 3 * x ** 2: not a power of two

    def twice_read(x):
        t = np.sum(x ** 2)
        return t * t                    # the product is read once, its 2 * x once: moves

    x = np.linspace(-1.0, 1.0, 5)
    assert "3 * x ** 2" in same_tangent(thrice, (x,))
    assert "np.sum(dx * x)" in same_tangent(twice_read, (x,))
    assert_grad_matches_fd(twice_read, (x,))


def test_a_scale_is_not_moved_across_a_rebound_name():
    # w = 2 * y; y = y + 1; p = a * w; s = 3.0 * p: p may not read the new y
    a, y, w, y1, p, s = Var("a"), Var("y"), Var("w"), Var("y"), Var("p"), Var("s")
    body = [Op(w, "mul", [Const(2.0), y]),
            Op(y1, "add", [y, Const(1.0)]),
            Op(p, "mul", [a, w]),
            Op(s, "mul", [Const(3.0), p]),
            Return(s)]
    fn = hand_built(body, [a, y])
    fn.backward = frozenset(id(d) for d in (w, y1, p, s))
    assert not fold_scales(fn)
    body = [Op(w, "mul", [Const(2.0), y]), Op(p, "mul", [a, w]), Op(s, "mul", [Const(3.0), p]),
            Return(s)]
    fn = hand_built(body, [a, y])
    fn.backward = frozenset(id(d) for d in (w, p, s))
    assert fold_scales(fn)
    product, scaled = body[1], body[2]
    assert product.args == (a, y) and scaled.args[0] is p and scaled.args[1].value == 6.0

# ---- defer_outer_products ----------------------------------------------------------------
def rnn_loss(Wx, Wh, b, xs, h):
    for x in xs:
        h = np.tanh(x @ Wx + h @ Wh + b)
    return np.sum(h ** 2)


def rnn_args(T, dtype=np.float64):
    rng = np.random.default_rng(3)
    return tuple(a.astype(dtype) for a in (
        rng.normal(size=(4, 5)) * 0.5, rng.normal(size=(5, 5)) * 0.5, rng.normal(size=5),
        rng.normal(size=(T, 4)), np.zeros(5)))


def test_outer_products_of_a_loop_are_summed_after_it():
    g = grad(rnn_loss, wrt=(0, 1, 2))
    fast = g(*rnn_args(6))
    source = g.source
    assert source.count("runtime.outer_sum(") == 2 and "runtime.stacked_sum(" in source
    assert "[:, None] *" not in source  # no outer product inside the loop
    raw = grad(rnn_loss, wrt=(0, 1, 2), optimize=False)(*rnn_args(6))
    for a, b in zip(fast, raw):  # the same sums in another order
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    assert_grad_matches_fd(rnn_loss, rnn_args(6), wrt=(0, 1, 2))


def test_deferred_sums_of_a_loop_that_does_not_run():
    gWx, gWh, gb = grad(rnn_loss, wrt=(0, 1, 2))(*rnn_args(0))
    assert gWx.shape == (4, 5) and not gWx.any() and not gWh.any() and not gb.any()


def test_deferred_sums_keep_float32():
    grads = grad(rnn_loss, wrt=(0, 1, 2))(*rnn_args(4, np.float32))
    assert all(g.dtype == np.float32 for g in grads)


def test_code_differentiated_again_has_no_deferred_sums():
    from adcompiler import hessian
    from adcompiler.api import argument_shapes, compile_derivative
    args = rnn_args(3)
    code = compile_derivative(rnn_loss, "grad_only", (2,), shapes=argument_shapes(args))
    assert "outer_sum" not in code.source
    H = hessian(rnn_loss, wrt=2)(*args)
    eps = 1e-6
    for i in range(5):  # a column of the Hessian by central differences of the gradient
        up, down = list(args), list(args)
        up[2] = args[2] + eps * np.eye(5)[i]
        down[2] = args[2] - eps * np.eye(5)[i]
        column = (grad(rnn_loss, wrt=2)(*up) - grad(rnn_loss, wrt=2)(*down)) / (2 * eps)
        np.testing.assert_allclose(H[:, i], column, rtol=1e-5, atol=1e-8)


def test_an_accumulator_read_elsewhere_in_the_loop_stays():
    # acc1 = acc + v[:, None] * g, but the body also reads acc: the running value
    # is needed every iteration
    from adcompiler.opt.outer import defer_outer_products
    v, g, n = Var("v"), Var("g"), Var("n")
    i, col, prod, acc, acc0, acc1, peek, rng = (Var("i"), Var("col"), Var("prod"), Var("acc"),
                                                Var("acc0"), Var("acc1"), Var("peek"),
                                                Var("r"))
    body = [Op(col, "getitem", [v, Index([Slice(None, None, None), Const(None)], True)]),
            Op(prod, "mul", [col, g]),
            Op(acc1, "add", [acc, prod]),
            Op(peek, "np.sum", [acc, Const(None), Const(False)])]
    loop = For(i, rng, body, [Phi(acc, [acc0, acc1])], range_args=[n])
    fn = hand_built([Op(acc0, "mul", [v, Const(0.0)]), Op(rng, "range", [n]), loop,
                     Return(acc)], [v, g, n])
    assert not defer_outer_products(fn)


def user_outer_products(x, v, g, n):
    acc = np.zeros((3, 1))
    for i in range(n):
        acc = acc + v[:, None] * g  # not np.outer: any shapes, left alone
    return np.sum(x * acc)


def user_np_outer(x, v, g, n):
    acc = 0.0
    for i in range(n):
        acc = acc + np.outer(v, g)  # flattens v and g, whatever their shapes
    return np.sum(x * acc)


@pytest.mark.parametrize("g_shape", [(), (4,), (2, 2)])
def test_outer_products_in_the_users_loop(g_shape):
    rng = np.random.default_rng(5)
    v = np.array([1.0, 2.0, 3.0])
    g = rng.normal(size=g_shape) if g_shape else 2.0
    for f in (user_outer_products, user_np_outer) if g_shape != (2, 2) else (user_np_outer,):
        x = rng.normal(size=np.shape(f(np.ones(1), v, g, 1)))
        for n in (0, 1, 3):
            value, grads = value_and_grad(f, wrt=(0, 1))(x, v, g, n)
            assert value == pytest.approx(f(x, v, g, n))
            assert_grad_matches_fd(f, (x, v, g, n), wrt=(0, 1))


def halved_then_scaled(x, w):
    y = 0.5 * x
    z = y * w
    return 5e-324 * z


def halved_sum(x, w):
    y = 0.5 * x
    return np.sum(y * w)


def test_scales_below_one_stay_where_moving_them_would_underflow_or_overflow():
    # 5e-324 * 0.5 is 0.0; w * dx overflows where 0.5 * w * dx does not
    assert grad(halved_then_scaled)(1.0, 1e300) == 5e-324 * (1e300 * 0.5)  # not 0.0
    same_gradient(halved_then_scaled, (1.0, 1e300))
    t = jvp(halved_sum)(np.array([1.0]), np.array([1.5e308]), np.array([1.5]))[1]
    assert t == 0.5 * 1.5 * 1.5e308


# ---- defer_broadcasts, on generated jvp code -------------------------------------------------
def centred_products(x, means, Qs):
    xc = x[:, None, :] - means[None, :, :]
    return np.sum(np.matmul(Qs, xc[:, :, :, None])[:, :, :, 0] ** 2 + xc)


def centred_sum(x, means):
    return np.sum((x[:, None, :] - means[None, :, :]) * 2.0)


def centred_core(x, q):
    return np.sum(np.matmul(x[None, :, :] - q[:, :, None], x[None, :, :]))


def _jvp_against_fd(f, args, i):
    """The optimised jvp's source, once it agrees with differences and optimize=False."""
    return assert_jvp_matches_fd(f, args, i).source


def test_a_tangent_that_its_readers_broadcast_is_not_made_full():
    rng = np.random.default_rng(3)
    args = rng.normal(size=(7, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 3, 3))
    source = _jvp_against_fd(centred_products, args, 1)
    # xc's tangent is -dmeans[None], (1, 4, 3), not (7, 4, 3): the product broadcasts
    # it over the rows, and so does its sum with the product times 2 * t_4 (7, 4, 3)
    assert "dxc = -dmeans[None, :, :]" in source and "runtime.full" not in source
    assert "runtime.full" not in _jvp_against_fd(centred_products, args, 2)


def test_a_tangent_read_by_a_product_alone_stays_small():
    import benchmarks.bench_jvp  # noqa: F401  (the log-sum-exp's jvp)
    from benchmarks.workloads import BY_NAME
    w = BY_NAME["gmm"]
    args = w.inputs("tiny")
    source = _jvp_against_fd(w.fn, args, 1)
    assert "dxc = -dmeans[None, :, :]" in source and "runtime.full" not in source


def test_a_tangent_summed_or_multiplied_in_its_core_axes_is_made_full():
    rng = np.random.default_rng(4)
    x, means = rng.normal(size=(5, 3)), rng.normal(size=(2, 3))
    assert "runtime.full" in _jvp_against_fd(centred_sum, (x, means), 1)
    x, q = rng.normal(size=(3, 3)), rng.normal(size=(4, 3))
    assert "runtime.full" in _jvp_against_fd(centred_core, (x, q), 1)


def guarded_column(x, w):
    t = x + w
    s = np.sum(t * w)
    if t.shape[1] > 3:  # never, for these shapes: t[:, 3] is out of range
        s = s + np.sum(t[:, 3])
    return s


def scaled_by_float32(x, w):
    return (x + w) * w


def test_a_tangent_indexed_out_of_range_in_code_that_never_runs_compiles():
    rng = np.random.default_rng(5)
    args = rng.normal(size=(1, 3)), rng.normal(size=(4, 3))
    _jvp_against_fd(guarded_column, args, 0)


def test_a_scalar_tangent_is_made_full_with_its_dtype_as_without_the_passes():
    w = np.linspace(0.5, 1.5, 4, dtype=np.float32)
    fast, raw = jvp(scaled_by_float32)(0.3, w, 1.0), jvp(scaled_by_float32, optimize=False)(0.3, w, 1.0)
    assert fast[1].dtype == raw[1].dtype
    np.testing.assert_array_equal(fast[1], raw[1])
