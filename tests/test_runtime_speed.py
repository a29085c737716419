"""The runtime helpers' fast paths give exactly what the plain versions give.

``reference_*`` below are the helpers as first written (plain NumPy, no fast
paths); the runtime's versions must agree bit for bit, in dtype, shape and
type (Python scalar, NumPy scalar or array), over shapes that exercise every
branch. One exception: a matmul adjoint that sums over broadcast batch axes
now sums inside one matmul, in another order, so it agrees to rounding.
"""
import os
import platform
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, strategies as st

import runtime


def reference_unbroadcast(g, x):
    shape = np.shape(x)
    gshape = np.shape(g)
    if gshape == shape:
        return g
    extra = len(gshape) - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    if kept:
        g = np.sum(g, axis=kept, keepdims=True)
    return g


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim for a in axis)
    return (axis % ndim,)


def reference_unreduce(g, x, axis=None, keepdims=False):
    shape = np.shape(x)
    if not keepdims and shape:
        g = np.expand_dims(g, _axes(axis, len(shape)))
    return np.broadcast_to(g, shape)


def reference_unreduce_mean(g, x, axis=None, keepdims=False):
    shape = np.shape(x)
    count = 1
    for a in _axes(axis, len(shape)):
        count *= shape[a]
    return reference_unreduce(g, x, axis, keepdims) / count


def reference_matmul_grad_left(g, a, b):
    if np.ndim(b) == 1:
        if np.ndim(a) == 1:
            return g * b
        return np.expand_dims(g, -1) * b
    bt = np.swapaxes(b, -1, -2)
    if np.ndim(a) == 1:
        return reference_unbroadcast(np.matmul(np.expand_dims(g, -2), bt)[..., 0, :], a)
    return reference_unbroadcast(np.matmul(g, bt), a)


def reference_matmul_grad_right(g, a, b):
    if np.ndim(a) == 1:
        if np.ndim(b) == 1:
            return g * a
        return reference_unbroadcast(np.multiply.outer(a, g) if np.ndim(b) == 2
                                     else np.expand_dims(a, -1) * np.expand_dims(g, -2), b)
    at = np.swapaxes(a, -1, -2)
    if np.ndim(b) == 1:
        return reference_unbroadcast(np.matmul(at, np.expand_dims(g, -1))[..., 0], b)
    return reference_unbroadcast(np.matmul(at, g), b)


def assert_same(got, want):
    assert type(got) is type(want), (type(got), type(want))
    assert np.shape(got) == np.shape(want)
    assert np.result_type(got) == np.result_type(want)
    assert np.array_equal(got, want, equal_nan=True)
    if isinstance(want, np.ndarray):
        assert got.flags.writeable == want.flags.writeable


SCALARS = [0.5, 3, True, np.float64(0.25), np.float32(1.5), np.int64(2), np.array(0.75)]


@pytest.mark.parametrize("g", SCALARS, ids=repr)
@pytest.mark.parametrize("x", SCALARS, ids=repr)
def test_unbroadcast_scalars(g, x):
    assert_same(runtime.unbroadcast(g, x), reference_unbroadcast(g, x))


shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
dtypes = st.sampled_from([np.float64, np.float32, np.int64])


@given(shapes, shapes, dtypes, st.integers(0, 2 ** 31))
def test_unbroadcast_arrays(xshape, extra, dtype, seed):
    rng = np.random.default_rng(seed)
    # g broadcasts x's shape, with leading axes and some of x's size-1 axes grown
    gshape = extra + tuple(n if n != 1 else int(rng.integers(1, 4)) for n in xshape)
    g = (rng.standard_normal(gshape) * 10).astype(dtype)
    x = np.zeros(xshape)
    assert_same(runtime.unbroadcast(g, x), reference_unbroadcast(g, x))
    assert_same(runtime.unbroadcast(g, 0.0 if not xshape else x),
                reference_unbroadcast(g, 0.0 if not xshape else x))


@given(st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple), dtypes,
       st.booleans(), st.data())
def test_unreduce_and_mean(xshape, dtype, keepdims, data):
    x = np.zeros(xshape)
    ndim = len(xshape)
    axis = data.draw(st.one_of(
        st.none(), st.integers(-ndim, ndim - 1) if ndim else st.none(),
        st.lists(st.integers(0, ndim - 1), unique=True, min_size=1).map(tuple)
        if ndim else st.none()))
    reduced = np.sum(x, axis=axis, keepdims=keepdims)
    g = (np.arange(np.size(reduced)).reshape(np.shape(reduced)) + 0.5).astype(dtype)
    candidates = [g]
    if np.ndim(g) == 0:
        candidates += [g[()], float(g[()])]
    for gg in candidates:
        assert_same(runtime.unreduce(gg, x, axis, keepdims),
                    reference_unreduce(gg, x, axis, keepdims))
        assert_same(runtime.unreduce_mean(gg, x, axis, keepdims),
                    reference_unreduce_mean(gg, x, axis, keepdims))


@pytest.mark.parametrize("g", [1.0, 2, np.float32(3.0), np.float64(0.1), np.array(0.3)],
                         ids=repr)
@pytest.mark.parametrize("xshape", [(), (1,), (5,), (3, 7), (0, 2)])
def test_unreduce_of_a_full_reduction(g, xshape):
    x = np.ones(xshape)
    assert_same(runtime.unreduce(g, x), reference_unreduce(g, x))
    assert_same(runtime.unreduce_mean(g, x), reference_unreduce_mean(g, x))


MATMUL_SHAPES = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((4,), (2, 4, 5)),
                 ((1, 3, 4), (2, 4, 5)), ((2, 3, 4), (4,)), ((5, 3, 3), (7, 5, 3, 1)),
                 ((2, 1, 3, 4), (1, 5, 4, 2)), ((6, 1, 2, 3), (5, 3, 4))]


def summed_batch(ashape, bshape):
    """Whether a or b was broadcast over a batch axis: its adjoint sums over it."""
    if len(ashape) < 2 or len(bshape) < 2:
        return False
    batch = np.broadcast_shapes(ashape[:-2], bshape[:-2])
    return any(tuple(s[:-2]) != batch for s in (ashape, bshape))


def assert_matmul_grad(got, want, summed):
    if not summed:
        assert_same(got, want)
    else:
        # contracted inside one matmul: the same sum in another order
        assert got.shape == want.shape and got.dtype == want.dtype
        eps = 1e-5 if got.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=eps, atol=eps * np.max(np.abs(want)))


@pytest.mark.parametrize("ashape, bshape", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matmul_grads(ashape, bshape, dtype):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(ashape).astype(dtype)
    b = rng.standard_normal(bshape).astype(dtype)
    g = rng.standard_normal(np.shape(a @ b)).astype(dtype)
    g = g if g.ndim else g[()]
    summed = summed_batch(ashape, bshape)
    # and a broadcast (read-only, stride-0) adjoint, as unreduce makes
    gb = np.broadcast_to(np.asarray(g)[..., :1] if np.ndim(g) else g, np.shape(g))
    for gg in (g, gb):
        assert_matmul_grad(runtime.matmul_grad_left(gg, a, b),
                           reference_matmul_grad_left(gg, a, b), summed)
        assert_matmul_grad(runtime.matmul_grad_right(gg, a, b),
                           reference_matmul_grad_right(gg, a, b), summed)


def test_tune_allocator_is_a_setting_and_changes_no_value():
    from adcompiler import grad, tune_allocator

    def f(x):
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    x = np.linspace(-1.0, 2.0, 50)
    before = grad(f)(x)
    applied = tune_allocator()
    assert isinstance(applied, bool)
    assert applied == _GLIBC
    np.testing.assert_array_equal(grad(f)(x), before)


_GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# run in a fresh process: the share of 20 MiB of 1 MiB arrays that stays in the
# process once they are freed, after adcompiler compiled and ran one gradient
_RETAINED = """
import numpy as np
from adcompiler import grad

def rss():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))

def f(x):
    return np.sum(np.sin(x) ** 2)

assert grad(f)(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]
start = rss()
arrays = [np.ones(1 << 17) for _ in range(20)]
held = rss()
del arrays
print((rss() - start) / (held - start))
"""


def _retained_share(folder, **env):
    script = folder / "retained.py"  # adcompiler reads f's source: a file, not -c
    script.write_text(_RETAINED)
    environ = {k: v for k, v in os.environ.items()  # none of the settings but env's
               if k not in ("ADCOMPILER_TUNE_ALLOCATOR", "GLIBC_TUNABLES", "LD_PRELOAD")
               and not k.startswith("MALLOC_")}
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env={**environ, **env}, check=True)
    return float(run.stdout)


@pytest.mark.skipif(not _GLIBC, reason="the allocator setting is glibc's (elsewhere a no-op)")
def test_adcompiler_tunes_the_allocator_before_its_first_derivative(tmp_path):
    assert _retained_share(tmp_path) > 0.9  # freed arrays stay for the next call
    # left as it is: glibc gives arrays of 1 MiB back to the system when freed
    assert _retained_share(tmp_path, ADCOMPILER_TUNE_ALLOCATOR="0") < 0.1
    assert _retained_share(tmp_path, MALLOC_TRIM_THRESHOLD_="1000000") < 0.1


def test_the_environment_can_keep_the_allocator_as_it_is():
    from runtime.memory import allocator_left_to_us

    assert allocator_left_to_us({})
    assert allocator_left_to_us({"ADCOMPILER_TUNE_ALLOCATOR": "1", "LD_PRELOAD": "libfoo.so"})
    assert allocator_left_to_us({"GLIBC_TUNABLES": "glibc.malloc.tcache_count=0",
                                 "MALLOC_ARENA_MAX": "2"})  # other settings: ours to make
    for env in ({"ADCOMPILER_TUNE_ALLOCATOR": "0"}, {"ADCOMPILER_TUNE_ALLOCATOR": " Off"},
                {"MALLOC_MMAP_THRESHOLD_": "65536"}, {"MALLOC_TOP_PAD_": "0"},
                {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1"},
                {"LD_PRELOAD": "/usr/lib/libjemalloc.so.2"}):
        assert not allocator_left_to_us(env), env


def test_the_allocator_is_tuned_once_and_not_after_the_program_did(monkeypatch):
    import runtime.memory as memory

    monkeypatch.setattr(memory, "_settled", False)
    assert memory.tune_allocator_once({"ADCOMPILER_TUNE_ALLOCATOR": "0"}) is False
    assert memory.tune_allocator_once({}) is None  # decided once, for the process
    monkeypatch.setattr(memory, "_settled", False)
    assert memory.tune_allocator_once({}) is _GLIBC
    assert memory.tune_allocator_once({}) is None
    monkeypatch.setattr(memory, "_settled", False)
    memory.tune_allocator()  # the program's own setting stands
    assert memory.tune_allocator_once({}) is None
    monkeypatch.setattr(memory, "_settled", False)
    memory.keep_allocator()  # and so does the program's word to leave it
    assert memory.tune_allocator_once({}) is None


def test_the_allocator_setting_never_raises_where_there_is_no_glibc(monkeypatch):
    import ctypes

    import runtime.memory as memory

    def no_libc(name):  # as Windows' ctypes.CDLL(None) on Python 3.10 and 3.11
        raise TypeError("argument of type 'NoneType' is not iterable")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    monkeypatch.setattr(memory, "_settled", False)
    assert memory.tune_allocator_once({}) is False
    assert memory.tune_allocator() is False
    monkeypatch.setattr(memory.sys, "platform", "win32")
    monkeypatch.setattr(memory, "_settled", False)
    assert memory.tune_allocator_once({}) is False


# ---- runtime.cos and the other scalar-first functions -----------------------------------
SCALAR_FIRST = ["cos", "sin", "cosh", "sinh"]
SPECIAL = [0.0, -0.0, 1e-300, 0.7, -2.5, 710.0, -710.0, 1e300, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("name", SCALAR_FIRST)
@given(st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(SPECIAL))
def test_scalar_first_functions_give_numpys_values_on_floats(name, x):
    ours, numpys = getattr(runtime, name), getattr(np, name)
    with np.errstate(all="ignore"):
        want = numpys(np.float64(x))
        for arg in (x, np.float64(x)):
            got = ours(arg)
            assert isinstance(got, float)  # a Python float or np.float64
            np.testing.assert_allclose(got, want, rtol=5e-16, atol=0)  # to an ulp; nan is nan


@pytest.mark.parametrize("name", SCALAR_FIRST)
def test_scalar_first_functions_are_numpys_on_everything_else(name):
    ours, numpys = getattr(runtime, name), getattr(np, name)
    for arg in (np.float32(0.7), np.float32(np.inf), 3, True, np.array(0.7),
                np.linspace(-1.0, 2.0, 5), np.linspace(0.0, 2.0, 4, dtype=np.float32)):
        with np.errstate(all="ignore"):
            got, want = ours(arg), numpys(arg)
        assert type(got) is type(want) and np.result_type(got) == np.result_type(want)
        np.testing.assert_array_equal(got, want)


def test_scalar_first_functions_warn_as_numpy_does_where_math_raises():
    with pytest.warns(RuntimeWarning):
        assert np.isnan(runtime.cos(np.inf))
    with pytest.warns(RuntimeWarning):
        assert runtime.cosh(1000.0) == np.inf


def arcsin_of(x):
    return np.arcsin(x)


def arccos_of(x):
    return np.arccos(x)


def arccosh_of(x):
    return np.arccosh(x)


@pytest.mark.parametrize("f", [arcsin_of, arccos_of, arccosh_of])
def test_a_derivative_that_divides_by_zero_is_inf_on_python_floats_as_on_arrays(f):
    # the partial 1 / sqrt(1 - x ** 2) must not divide Python floats: 1 / 0.0 raises
    from adcompiler import grad, jvp
    with np.errstate(divide="ignore", invalid="ignore"):
        for x in (1.0, np.float64(1.0), np.array([1.0])):
            assert np.all(np.isinf(grad(f)(x) if np.ndim(x) == 0 else jvp(f)(x, np.ones(1))[1]))
            assert np.all(np.isinf(jvp(f)(x, np.ones_like(x))[1]))


# ---- unindex and index_add with slices of float64 arrays: the fast path --------------------
@pytest.mark.parametrize("index", [np.s_[:-1], np.s_[1:], np.s_[::2], np.s_[1:, :2],
                                   np.s_[:, ::-1], np.s_[2:1]])
def test_sliced_unindex_and_index_add_give_the_general_paths_values(index):
    x = np.arange(12.0).reshape(4, 3) if isinstance(index, tuple) else np.arange(7.0)
    g = np.resize([np.nan, -0.0, np.inf, 2.5, -1e300, 1.0], np.shape(x[index]))
    want = np.zeros(x.shape)
    want[index] = g  # unindex's definition: g at index in zeros of x's shape
    got = runtime.unindex(g, x, index)
    assert got.dtype == np.float64 and not np.shares_memory(got, g)
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))
    acc = np.ones(x.shape)
    np.testing.assert_array_equal(runtime.index_add(acc, g, x, index), 1.0 + want)
    # float32 values keep the general path: their sum's dtype is asked
    with np.errstate(over="ignore"):  # -1e300 is -inf in float32
        g32 = g.astype(np.float32)
    assert runtime.unindex(g32, x.astype(np.float32), index).dtype == np.float32


# ---- Python float arithmetic in derivative code: a division by zero gives NumPy's inf or nan ---
def sine_over(a, y):
    return np.sin(a) / y  # np.float64 / 0.0: f is inf, with NumPy's warning


def sum_over(x, y):
    s = 0.0
    for v in x:
        s = s + v / y
    return s


def ratio(a, y):
    return a / y  # Python float / 0.0: f itself raises


def log_of(x):
    return np.log(x)


def test_a_division_by_a_python_zero_in_derivative_code_gives_numpys_inf_or_nan():
    from adcompiler import grad, jvp, value_and_grad
    with np.errstate(divide="ignore", invalid="ignore"):
        # d/da sin(a)/y = cos(a)/y, d/dy = -sin(a)/y**2: inf and -inf at y = 0, a = 1
        assert grad(sine_over, wrt=(0, 1))(1.0, 0.0) == (np.inf, -np.inf)
        assert value_and_grad(sine_over, wrt=(0, 1))(1.0, 0.0) == (np.inf, (np.inf, -np.inf))
        assert grad(log_of)(0.0) == np.inf
        # along (1, 0): inf + (-inf) * 0, nan, as NumPy's arithmetic gives it
        value, tangent = jvp(sine_over, wrt=(0, 1))(1.0, 0.0, (1.0, 0.0))
        assert value == np.inf and np.isnan(tangent)
        assert grad(sine_over, wrt=0, mode="forward")(1.0, 0.0) == np.inf
        value, tangent = jvp(sum_over, wrt=(0, 1))(np.array([1.0, 2.0]), 0.0, (np.ones(2), 0.0))
        assert value == np.inf and np.isnan(tangent)
    # where f raises, its derivatives raise as it does
    for derivative in (grad(ratio), lambda a, y: jvp(ratio)(a, y, 1.0)):
        with pytest.raises(ZeroDivisionError):
            derivative(1.0, 0.0)


def x_plus_log(x, y):
    return x + np.log(y)


def test_forward_mode_gradients_pass_along_one_argument_at_a_time():
    # at y = 0, d/dy is inf: a zero tangent for y in x's pass would make d/dx 0 * inf, nan
    from adcompiler import grad
    with np.errstate(divide="ignore", invalid="ignore"):
        for y in (0.0, np.float64(0.0)):
            assert grad(x_plus_log, wrt=(0, 1), mode="forward")(1.0, y) == (1.0, np.inf)
            assert grad(x_plus_log, wrt=(0, 1))(1.0, y) == (1.0, np.inf)
