"""The NumPy rules (adcompiler/rules/table.py) over the cases of tests/numpy_cases.py.

Every case is differentiated in both modes over each of its shapes, against
central finite differences of the original function: reverse mode with the
dot-product test of tests/helpers.py, forward mode along a random tangent
(and against reverse mode); second derivatives (forward over reverse) where
the case asks. Hypothesis draws further values from each case's domain. Then:
JAX's conventions at kinks with exact expected values, dtypes, the errors for
what has no rule, and that every rule has a case.
"""
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompiler
import runtime
from adcompiler import NoRuleError, UnsupportedError, grad, hessian, hvp, jvp, vjp
from adcompiler import rules
from adcompiler.api import primal_ssa
from adcompiler.ir.nodes import Op, walk
from helpers import as_float, assert_grad_matches_fd, assert_vjp_matches_fd, directional_fd
from numpy_cases import CASES

IDS = [c.id for c in CASES]
# NumPy 2 deprecates np.cross of 2-vectors; its rule is still tested
pytestmark = pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")


def _tangents(case, args, rng):
    return tuple(rng.normal(size=np.shape(args[i])) if np.ndim(args[i]) else float(rng.normal())
                 for i in case.positions())


def check_reverse(case, args):
    assert_vjp_matches_fd(case.f, args, wrt=case.positions())


def check_forward(case, args, seed=0, reverse=True):
    """jvp along v = finite differences along v, and <u, jvp> = <vjp(u), v>."""
    rng = np.random.default_rng(seed)
    wrt = case.positions()
    v = _tangents(case, args, rng)
    value, d = jvp(case.f, wrt)(*args, v)
    np.testing.assert_allclose(value, case.f(*args), rtol=1e-12, atol=1e-12)
    eps = 1e-6
    plus, minus = list(args), list(args)
    for i, t in zip(wrt, v):
        plus[i] = args[i] + eps * t
        minus[i] = args[i] - eps * t
    fd = (np.asarray(case.f(*plus)) - np.asarray(case.f(*minus))) / (2 * eps)
    assert np.shape(d) == np.shape(value), f"{case.name}: tangent shape {np.shape(d)}"
    np.testing.assert_allclose(d, fd, rtol=1e-5, atol=1e-6, err_msg=case.name)
    if not reverse:
        return
    u = rng.normal(size=np.shape(value))
    grads = vjp(case.f, wrt)(*args, u if np.ndim(value) else float(u))
    np.testing.assert_allclose(np.sum(u * d), sum(np.sum(g * t) for g, t in zip(grads, v)),
                               rtol=1e-9, atol=1e-10, err_msg=case.name)


def _loss(f, w, arity):
    """sum(sin(f(x, ...)) * w): a scalar whose second derivative in x is not zero, even
    where f is linear. The other arguments stay parameters (held fixed)."""
    if arity == 1:
        def loss(x):
            return np.sum(np.sin(f(x)) * w)
    elif arity == 2:
        def loss(x, b):
            return np.sum(np.sin(f(x, b)) * w)
    else:
        def loss(x, b, c):
            return np.sum(np.sin(f(x, b, c)) * w)
    return loss


def check_hessian(case, args, seed=0):
    """Forward over reverse: hvp(loss)(x, v) = finite differences of grad(loss) along v."""
    rng = np.random.default_rng(seed)
    loss = _loss(case.f, rng.normal(size=np.shape(case.f(*args))), case.arity)
    x = args[0]
    v = rng.normal(size=np.shape(x)) if np.ndim(x) else float(rng.normal())
    h = hvp(loss)(*args, v)
    fd = directional_fd(grad(loss), args, 0, v, eps=1e-5)
    np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-6, err_msg=case.name)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rule_over_shapes(case):
    rng = np.random.default_rng(1)
    for shapes in case.shapes:
        args = case.args(shapes, rng)
        if case.reverse:
            check_reverse(case, args)
        check_forward(case, args, reverse=case.reverse)
        if case.hessian:
            check_hessian(case, args)


REVERSE = [c for c in CASES if c.reverse]


@pytest.mark.parametrize("case", REVERSE, ids=[c.id for c in REVERSE])
@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_rule_over_values(case, seed):
    rng = np.random.default_rng(seed)
    for shapes in case.shapes:
        check_reverse(case, case.args(shapes, rng))


# ---- every rule has a case ----------------------------------------------------------------------

def _base(key):
    prim = rules.PRIMS[key]
    return (prim.base or prim).key


def _has_rule(prim):
    return not prim.nondiff and bool(prim.partials or prim.vjp or prim.jvp or prim.element
                                     or prim.specializer)


def _helpers_of_numpy_rules():
    """The runtime helpers with rules that the NumPy functions' rules call."""
    texts = []
    for key, p in rules.PRIMS.items():
        if key.startswith("np."):
            texts += [t for t in [*p.partials.values(), *p.vjp.values(), p.jvp, p.element]
                      if isinstance(t, str)]
    used = set(re.findall(r"runtime\.\w+", " ".join(texts)))
    return {k for k in used if _has_rule(rules.PRIMS[k])}


def test_every_numpy_function_and_method_with_a_rule_has_a_case():
    covered = {_base(s.prim) for c in CASES for s in walk(primal_ssa(c.f).body)
               if isinstance(s, Op)}
    functions = {key for key, p in rules.PRIMS.items() if _has_rule(p)
                 and key.startswith("np.") and rules.BY_OBJECT.get(id(p.objects[0])) is p}
    assert sorted(functions - covered) == []
    assert sorted(_helpers_of_numpy_rules() - covered) == []
    methods = {"." + m for m, p in rules.METHODS.items() if _has_rule(p)}
    methods |= {"." + a for a, p in rules.ATTRIBUTES.items() if _has_rule(p)}
    assert sorted(methods - {c.name for c in CASES}) == []


def test_at_least_a_hundred_numpy_functions_and_methods_have_rules():
    functions = {key for key, p in rules.PRIMS.items()
                 if key.startswith("np.") and _has_rule(p) and p.objects}
    methods = {m for m, p in rules.METHODS.items() if _has_rule(p)}
    assert len(functions) + len(methods) >= 100, (len(functions), len(methods))


# ---- conventions at kinks: JAX's, with exact values ----------------------------------------

def np_abs(x):
    return np.abs(x)


def np_fabs(x):
    return np.fabs(x)


def py_abs(x):
    return abs(x)


def maximum(a, b):
    return np.maximum(a, b)


def minimum(a, b):
    return np.minimum(a, b)


def fmax(a, b):
    return np.fmax(a, b)


def fmin(a, b):
    return np.fmin(a, b)


def zero_to_the(p):
    return 0.0 ** p


def np_sign(x):
    return np.sign(x) * 3.0


def np_max(x):
    return np.max(x)


def np_min(x):
    return np.min(x)


def max_of_columns(x):
    return np.sum(np.max(x, axis=0))


def clip01(x, lo, hi):
    return np.clip(x, lo, hi)


def hypot(a, b):
    return np.hypot(a, b)


def norm(x):
    return np.linalg.norm(x)


def norm1(x):
    return np.linalg.norm(x, 1)


def norm_inf(x):
    return np.linalg.norm(x, np.inf)


def std(x):
    return np.std(x)


def var(x):
    return np.var(x)


def prod(x):
    return np.prod(x)


def ptp(x):
    return np.ptp(x)


def sinc(x):
    return np.sinc(x)


def relu(x):
    return np.where(x > 0, x, 0.0)


def copysign(a, b):
    return np.copysign(a, b)


def det(a):
    return np.linalg.det(a)


def cumprod(x):
    return np.cumprod(x)


def sort(x):
    return np.sort(x)


def sqrt(x):
    return np.sqrt(x)


@pytest.mark.parametrize("f", [np_abs, np_fabs, py_abs])
def test_abs_has_derivative_one_at_zero(f):
    assert grad(f)(0.0) == 1.0
    assert grad(f)(-0.0) == 1.0


@pytest.mark.parametrize("f, expected", [(maximum, (0.5, 0.5)), (minimum, (0.5, 0.5)),
                                         (fmax, (0.0, 1.0)), (fmin, (0.0, 1.0))])
def test_ties_of_two_values(f, expected):
    assert grad(f, wrt=(0, 1))(1.0, 1.0) == expected
    # away from the tie, the larger (smaller) argument gets it all
    assert grad(f, wrt=(0, 1))(2.0, 1.0) == ((1.0, 0.0) if f in (maximum, fmax) else (0.0, 1.0))


def test_zero_to_a_power_has_no_derivative_in_the_power():
    assert grad(zero_to_the)(2.0) == 0.0
    assert grad(zero_to_the)(0.5) == 0.0


def test_sign_has_derivative_zero():
    np.testing.assert_array_equal(grad(lambda x: np.sum(np_sign(x)))(np.array([-1.0, 0.0, 2.0])),
                                  [0.0, 0.0, 0.0])


def test_max_and_min_reductions_split_ties_equally():
    np.testing.assert_array_equal(grad(np_max)(np.array([1.0, 1.0, 0.0])), [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(grad(np_min)(np.array([0.0, 0.0, 1.0])), [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(grad(max_of_columns)(np.array([[1.0, 2.0], [1.0, 0.0]])),
                                  [[0.5, 1.0], [0.5, 0.0]])
    np.testing.assert_array_equal(grad(np_max)(np.array([2.0, 2.0, 2.0, 1.0])),
                                  [1 / 3, 1 / 3, 1 / 3, 0.0])
    np.testing.assert_array_equal(grad(ptp)(np.array([1.0, 1.0, 0.0])), [0.5, 0.5, -1.0])


def test_clip_at_a_bound_is_one_half():
    g = grad(clip01, wrt=(0, 1, 2))
    assert g(0.0, 0.0, 1.0) == (0.5, 0.5, 0.0)
    assert g(1.0, 0.0, 1.0) == (0.5, 0.0, 0.5)
    assert g(0.5, 0.0, 1.0) == (1.0, 0.0, 0.0)
    assert g(-1.0, 0.0, 1.0) == (0.0, 1.0, 0.0)


def test_hypot_at_the_origin():
    assert grad(hypot, wrt=(0, 1))(0.0, 0.0) == (0.5, 0.5)


def test_norms_at_zero_and_at_ties():
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.all(np.isnan(grad(norm)(np.zeros(3))))
        assert np.isnan(grad(std)(np.ones(3))).all()
    np.testing.assert_array_equal(grad(norm1)(np.array([0.0, 1.0, -2.0])), [1.0, 1.0, -1.0])
    np.testing.assert_array_equal(grad(norm_inf)(np.array([2.0, 1.0, -2.0])), [0.5, 0.0, -0.5])
    np.testing.assert_array_equal(grad(var)(np.ones(3)), [0.0, 0.0, 0.0])


def test_sqrt_at_zero_is_infinite():
    with np.errstate(divide="ignore"):
        assert grad(sqrt)(0.0) == np.inf


def test_products_with_zeros_are_exact():
    np.testing.assert_array_equal(grad(prod)(np.array([0.0, 2.0, 3.0])), [6.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad(prod)(np.array([0.0, 0.0, 3.0])), [0.0, 0.0, 0.0])
    x = np.array([2.0, 0.0, 3.0])
    jacobian = np.array([vjp(cumprod)(x, e) for e in np.eye(3)])
    np.testing.assert_array_equal(jacobian, [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 6.0, 0.0]])


def test_sort_sends_ties_in_their_stable_order():
    x = np.array([1.0, 1.0, 0.0])
    jacobian = np.array([vjp(sort)(x, e) for e in np.eye(3)])
    np.testing.assert_array_equal(jacobian, [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def test_smooth_points_handled_apart():
    assert grad(sinc)(0.0) == 0.0
    assert grad(relu)(0.0) == 0.0
    assert grad(copysign, wrt=(0, 1))(0.0, -1.0) == (-1.0, 0.0)


def test_determinant_of_a_singular_matrix_is_the_cofactor_matrix():
    np.testing.assert_allclose(grad(det)(np.array([[1.0, 2.0], [2.0, 4.0]])),
                               [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


def cholesky(a):
    return np.linalg.cholesky(a)


def test_cholesky_reads_the_lower_triangle_and_agrees_with_jax_on_symmetric_directions():
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    seed = np.array([[0.0, 0.0], [0.0, 1.0]])
    g = vjp(cholesky)(a, seed)  # the adjoint of L[1, 1]
    assert g[0, 1] == 0.0  # NumPy never reads a[0, 1]
    # JAX symmetrizes its input first: its gradient is the symmetric part of ours
    jax = [[0.01884446, -0.07537784], [-0.07537784, 0.30151134]]
    np.testing.assert_allclose((g + g.T) / 2, jax, rtol=1e-6)


# ---- dtypes --------------------------------------------------------------------------------------

ARRAY_CASES = [c for c in CASES if not c.name.startswith("runtime.")
               and any(all(s != () for s in shapes) for shapes in c.shapes)]


@pytest.mark.parametrize("case", ARRAY_CASES, ids=[c.id for c in ARRAY_CASES])
def test_float32_stays_float32(case):
    shapes = next(s for s in case.shapes if all(x != () for x in s))
    args = case.args(shapes, np.random.default_rng(2))
    wrt = case.positions()
    seed = np.ones(np.shape(case.f(*args)))
    g64 = vjp(case.f, wrt)(*args, seed)
    args32 = tuple(np.asarray(a, dtype=np.float32) for a in args)
    g32 = vjp(case.f, wrt)(*args32, np.asarray(seed, dtype=np.float32))
    for a, b in zip(g32, g64):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-2, atol=2e-2)
    # forward mode has no final cast: every partial derivative must keep float32
    tangents = tuple(np.ones_like(args32[i]) for i in wrt)
    value, tangent = jvp(case.f, wrt)(*args32, tangents)
    if np.result_type(value) == np.float32:
        assert np.result_type(tangent) == np.float32


def maximum_with_a_number(x):
    return np.maximum(x, 0.0) * 3.0 + np.minimum(x, 1.0)


def abs_and_copysign(x):
    return np.abs(x) + np.copysign(x, -1.0)


def where_with_a_number(x):
    return np.where(x > 0, x, 2.0 * x)


def clipped(x):
    return np.clip(x, -0.5, 1.0) + np.fmax(x, 0.0)


@pytest.mark.parametrize("f, expected", [
    (maximum_with_a_number, [3.0 + 1.0, 0.0 + 1.0, 3.0 + 0.0, 1.5 + 1.0]),  # a tie at 0: 1/2
    (abs_and_copysign, [1.0 - 1.0, -1.0 + 1.0, 1.0 - 1.0, 1.0 - 1.0]),  # +1 at 0 for both
    (where_with_a_number, [1.0, 2.0, 1.0, 2.0]),
    (clipped, [1.0 + 1.0, 0.0 + 0.0, 0.0 + 1.0, 1.0 + 1.0]),
])
def test_float32_with_python_numbers_stays_float32_in_both_modes(f, expected):
    # greater_share, sign0 and the partials of np.where made float64 intermediates
    x = np.array([0.5, -1.0, 2.0, 0.0], dtype=np.float32)
    if f is clipped:
        x = np.array([0.5, -1.0, 2.0, 0.25], dtype=np.float32)
    for mode in ("reverse", "forward"):
        g = grad(lambda_sum(f), mode=mode)(x)
        assert g.dtype == np.float32, mode
        np.testing.assert_array_equal(g, np.array(expected, dtype=np.float32))
    value, tangent = jvp(f)(x, np.ones(4, dtype=np.float32))
    assert value.dtype == tangent.dtype == np.float32
    np.testing.assert_array_equal(tangent, np.array(expected, dtype=np.float32))
    assert_grad_matches_fd(lambda_sum(f), (np.array([0.5, -1.0, 2.0, 0.75]),))


def lambda_sum(f):
    def total(x):
        return np.sum(f(x))
    total.__name__ = f"sum_of_{f.__name__}"
    return total


def test_rule_helpers_keep_the_dtype_numpy_would_give():
    x32 = np.array([1.0, 0.0, -2.0], dtype=np.float32)
    for share in (runtime.greater_share(x32, 0.0), runtime.sign0(x32),
                  runtime.fmax_share(x32, 0.0), runtime.fmin_share(x32, 0.0)):
        assert share.dtype == np.float32
    np.testing.assert_array_equal(runtime.greater_share(x32, 0.0), [1.0, 0.5, 0.0])
    np.testing.assert_array_equal(runtime.sign0(x32), [1.0, 1.0, -1.0])
    # Python numbers and integers: float64
    assert runtime.greater_share(1.0, 0.0).dtype == np.float64
    assert runtime.sign0(np.array([1, -1])).dtype == np.float64


def sum_of_cast(x):
    return np.sum(x.astype(int) * x) + np.sum(np.array([x[0], x[1]], dtype=int))


def integer_array(x):
    return np.sum(np.full(3, x, dtype=int) + np.arange(3, dtype=int) * x)


def only_casts(x):
    return np.sum(x.astype(int) ** 2) + np.sum(x.astype(np.int32) * 1.0)


def test_integer_results_have_no_derivative():
    x = np.array([1.5, -2.5, 3.25])
    # d/dx sum(int(x) * x) = int(x), in both modes; the second derivative is 0
    np.testing.assert_array_equal(grad(sum_of_cast)(x), [1.0, -2.0, 3.0])
    np.testing.assert_array_equal(grad(sum_of_cast, mode="forward")(x), [1.0, -2.0, 3.0])
    np.testing.assert_array_equal(hessian(sum_of_cast)(x), np.zeros((3, 3)))
    for mode in ("reverse", "forward"):
        g = grad(only_casts, mode=mode)(x)
        np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
        assert g.dtype == np.float64
    assert grad(integer_array)(1.5) == 3.0  # only arange(3) * x: 0 + 1 + 2


def cast_to(x, t):
    return np.sum(x.astype(t.dtype) * x)


def test_a_dtype_known_only_at_run_time():
    x = np.array([1.5, -2.5])
    np.testing.assert_array_equal(grad(cast_to)(x, np.zeros(1, dtype=int)), [1.0, -2.0])
    np.testing.assert_array_equal(grad(cast_to)(x, np.zeros(1)), [3.0, -5.0])


def test_integer_inputs_get_float_gradients():
    g = grad(lambda x: np.sum(np.cumsum(x) ** 2))(np.array([1, 2, 3]))
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, [2 * (1 + 3 + 6), 2 * (3 + 6), 2 * 6])


# ---- what has no rule is an error, never a zero --------------------------------------------

def sum_with_dtype(x):
    return np.sum(x, dtype=float)


def sum_with_positional_dtype(x):
    return np.sum(x, 0, None)


def sum_with_positional_float_dtype(x):
    return np.sum(x ** 2, 0, float)


def method_sum_with_positional_dtype(x):
    return x.sum(0, float)


def norm_with_ord(x):
    return np.linalg.norm(x, 'max')


def einsum_diagonal(x):
    return np.sum(np.einsum('ii->i', x))


def einsum_ellipsis(x):
    return np.sum(np.einsum('...i->...', x))


def einsum_subscripts(x, s):
    return np.sum(np.einsum(s, x))


def full_with_dtype(x, t):
    return np.sum(np.full(3, x, dtype=t.dtype))


@pytest.mark.parametrize("f, args, match", [
    (sum_with_dtype, (np.ones(3),), "dtype"),
    (sum_with_positional_dtype, (np.ones(3),), "positional"),
    (sum_with_positional_float_dtype, (np.ones(3),), "got 3: dtype is not supported"),
    (method_sum_with_positional_dtype, (np.ones(3),), "got 3: dtype is not supported"),
    (norm_with_ord, (np.ones(3),), "ord"),
    (einsum_diagonal, (np.ones((2, 2)),), "repeated index"),
    (einsum_ellipsis, (np.ones((2, 2)),), "ellipsis"),
    (einsum_subscripts, (np.ones(2), "i->"), "subscripts"),
    (full_with_dtype, (1.0, np.ones(1)), "dtype"),
])
def test_unsupported_arguments_are_refused(f, args, match):
    with pytest.raises(UnsupportedError, match=match):
        grad(f)(*args)
    with pytest.raises(UnsupportedError, match=match):
        grad(f, mode="forward")(*args)


def uneven_split(x):
    return np.sum(np.split(x, [1])[1])


def edge_padding(x):
    return np.sum(np.pad(x, 1, mode="edge"))


def concatenate_an_array(x):
    return np.sum(np.concatenate(x) ** 2)


def eigenvalues(x):
    return np.sum(np.linalg.eigvalsh(x))


def prod_twice(x):
    return np.prod(x)


@pytest.mark.parametrize("f, args", [
    (uneven_split, (np.ones(3),)),
    (edge_padding, (np.ones(3),)),
    (concatenate_an_array, (np.ones((2, 3)),)),
    (eigenvalues, (np.eye(2),)),
])
def test_calls_without_a_rule_are_errors(f, args):
    with pytest.raises(NoRuleError):
        grad(f)(*args)


def test_second_derivative_through_a_helper_without_rule_is_an_error():
    with pytest.raises(NoRuleError, match="prod_others"):
        hvp(prod_twice)(np.array([1.0, 2.0, 3.0]), np.ones(3))


def cumprod_sum(x):
    return np.sum(np.cumprod(x))


def det_of(x):
    return np.linalg.det(np.reshape(x, (2, 2)))


def cholesky_sum(x):
    return np.sum(np.linalg.cholesky(np.reshape(x, (2, 2)) @ np.reshape(x, (2, 2)).T + np.eye(2)))


def three_norm(x):
    return np.linalg.norm(x, 3)


def spectral_norm(x):
    return np.linalg.norm(np.reshape(x, (2, 2)), 2)


def arange_from(x):
    return np.sum(np.arange(x, 4.0, 1.0) ** 2)


@pytest.mark.parametrize("f, x, name", [
    (prod_twice, np.array([1.0, 2.0, 3.0]), "np.prod"),
    (cumprod_sum, np.array([1.0, 2.0, 3.0]), "np.cumprod"),
    (det_of, np.array([1.0, 2.0, 3.0, 5.0]), "np.linalg.det"),
    (cholesky_sum, np.array([1.0, 0.5, 0.2, 2.0]), "np.linalg.cholesky"),
    (three_norm, np.array([1.0, -2.0, 3.0]), "np.linalg.norm"),
    (spectral_norm, np.array([1.0, 2.0, 3.0, 5.0]), "np.linalg.norm"),
    (arange_from, 0.5, "np.arange"),
])
def test_second_derivatives_not_supported_yet_say_so(f, x, name):
    # the first derivative is right in both modes; the second is refused by name, never zero
    assert_grad_matches_fd(f, (x,))
    np.testing.assert_allclose(grad(f, mode="forward")(x), grad(f)(x), rtol=1e-10)
    with pytest.raises(NoRuleError, match=f"second derivatives through {re.escape(name)} "
                                          "are not supported yet"):
        hessian(f)(x)
    assert name in open(__file__.replace("tests/test_numpy_rules.py",
                                         "docs/derivatives.md")).read()


def complex_sum(x):
    return np.sum(x * x)


def test_complex_inputs_are_refused():
    with pytest.raises(UnsupportedError, match="complex"):
        grad(complex_sum)(np.array([1.0 + 2.0j]))


def stack_rows(a, b):
    return np.sum(np.stack([a, b], axis=1) * np.einsum('i,i->i', a, b)[:, None])


def test_generated_code_reads_like_numpy():
    g = grad(stack_rows, wrt=(0, 1))
    g(np.ones(2), np.ones(2))
    assert "np.stack([a, b], axis=1)" in g.source
    assert "np.einsum('i,i->i', a, b)" in g.source


# ---- the generated table ---------------------------------------------------------------------

def test_docs_rules_md_is_up_to_date():
    from adcompiler.rules import doc
    text = doc.current()
    # the page lists math.cbrt and math.exp2, new in Python 3.11; older Pythons lack them
    newer = [f"| `math.{name}` |" for name in ("cbrt", "exp2") if not hasattr(math, name)]
    text = "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith(tuple(newer)) or not newer)
    assert text == doc.render(text), \
        "docs/rules.md is out of date: run python -m adcompiler.rules.doc"
