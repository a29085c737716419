"""Shared test helpers: compare adcompiler's derivatives with finite differences.

Usable from any test file::

    from helpers import assert_grad_matches_fd, assert_jvp_matches_fd, assert_vjp_matches_fd

    assert_grad_matches_fd(f, (x, w), wrt=0)          # scalar f
    assert_vjp_matches_fd(f, (a, b), wrt=(0, 1))      # any output shape
    assert_jvp_matches_fd(f, (a, b), 1)               # forward mode, along argument 1

Both run the *original* Python function for the finite differences (central,
in float64) and the generated derivative for the analytic side, so a wrong
rule cannot agree with itself.
"""
import numpy as np

from adcompiler import grad, jvp, vjp

EPS = 1e-6


def as_float(x):
    """``x`` as a float64 array (the finite differences work in float64)."""
    return np.array(x, dtype=np.float64)


def with_arg(args, i, value):
    """``args`` with argument ``i`` replaced, keeping Python scalars scalar."""
    args = list(args)
    if isinstance(args[i], np.ndarray):
        args[i] = np.asarray(value, dtype=np.float64).reshape(np.shape(args[i]))
    else:
        args[i] = float(value)
    return args


def directional_fd(f, args, i, v, eps=EPS):
    """(f(x_i + eps v) - f(x_i - eps v)) / 2 eps, as a float64 array of f's shape."""
    x = as_float(args[i])
    plus = np.asarray(f(*with_arg(args, i, x + eps * v)), dtype=np.float64)
    minus = np.asarray(f(*with_arg(args, i, x - eps * v)), dtype=np.float64)
    return (plus - minus) / (2 * eps)


def elementwise_fd(f, args, i, eps=EPS):
    """The gradient of scalar ``f`` in argument ``i``, one element at a time."""
    x = as_float(args[i])
    out = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[k] = 1.0
        out[k] = directional_fd(f, args, i, e, eps)
    return out


def _close(analytic, numeric, rtol, atol, what):
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    assert np.all(np.isfinite(analytic)), f"{what}: non-finite derivative {analytic}"
    ok = np.abs(analytic - numeric) <= atol + rtol * np.maximum(np.abs(analytic), np.abs(numeric))
    assert np.all(ok), f"{what}: analytic {analytic} != finite differences {numeric}"


def _wrt_tuple(f, wrt):
    """The positions that ``wrt`` names, and whether it was a single one."""
    import inspect
    names = list(inspect.signature(f).parameters)
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    return [names.index(w) if isinstance(w, str) else w for w in items], single


def _check_like(g, x, what):
    """A gradient has its argument's shape and a float dtype (float32 kept)."""
    assert np.shape(g) == np.shape(x), f"{what}: gradient shape {np.shape(g)} != {np.shape(x)}"
    dtype = np.result_type(x)
    expected = dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)
    assert np.result_type(g) == expected, f"{what}: gradient dtype {np.result_type(g)}"


def assert_grad_matches_fd(f, args, wrt=0, *, directions=2, elementwise=None,
                           rtol=1e-5, atol=1e-6, seed=0):
    """Check ``grad(f, wrt)(*args)`` against central finite differences.

    For each argument in ``wrt``: the gradient's shape and dtype, then the
    dot-product test <grad, v> == d/de f(x + e v) in ``directions`` random
    directions, and (when ``elementwise`` is true, by default for up to 12
    elements) every element on its own. Returns the gradient(s).
    """
    args = tuple(args)
    g = grad(f, wrt=wrt)(*args)
    indices, single = _wrt_tuple(f, wrt)
    grads = (g,) if single else g
    assert len(grads) == len(indices)
    rng = np.random.default_rng(seed)
    # central differences of a large f lose |f| * 2^-52 / EPS to rounding
    atol = atol + 4 * float(np.max(np.abs(f(*args)))) * np.finfo(np.float64).eps / EPS
    for i, gi in zip(indices, grads):
        what = f"{f.__name__} wrt argument {i}"
        _check_like(gi, args[i], what)
        for _ in range(directions):
            v = rng.standard_normal(np.shape(args[i]))
            _close(np.sum(as_float(gi) * v), directional_fd(f, args, i, v), rtol, atol,
                   what + " (random direction)")
        if elementwise if elementwise is not None else np.size(args[i]) <= 12:
            _close(gi, elementwise_fd(f, args, i), rtol, atol, what + " (element by element)")
    return g


def assert_vjp_matches_fd(f, args, wrt=0, *, directions=2, rtol=1e-5, atol=1e-6, seed=0):
    """Check ``vjp(f, wrt)(*args, u)`` for a non-scalar ``f`` with the dot-product test:
    <u, J v> (J v by finite differences) == <vjp(u), v>, for random u and v."""
    args = tuple(args)
    out_shape = np.shape(f(*args))
    indices, single = _wrt_tuple(f, wrt)
    rng = np.random.default_rng(seed)
    derivative = vjp(f, wrt=wrt)
    for _ in range(directions):
        u = rng.standard_normal(out_shape)
        u = u if out_shape else float(u)
        gs = derivative(*args, u)
        gs = (gs,) if single else gs
        for i, gi in zip(indices, gs):
            what = f"vjp of {f.__name__} wrt argument {i}"
            _check_like(gi, args[i], what)
            v = rng.standard_normal(np.shape(args[i]))
            _close(np.sum(as_float(gi) * v), np.sum(u * directional_fd(f, args, i, v)),
                   rtol, atol, what)


def assert_jvp_matches_fd(f, args, i, *, seed=0, rtol=1e-6, atol=1e-6):
    """Check ``jvp(f, wrt=i)`` along a random tangent against a central difference, and
    against the same jvp compiled without the optimisation passes; return the jvp (its
    ``.source`` is the optimised code)."""
    v = np.random.default_rng(seed).normal(size=np.shape(args[i]))
    v = v if np.ndim(args[i]) else float(v)
    fast = jvp(f, wrt=i)
    value, d = fast(*args, v)
    assert value == f(*args), f"jvp of {f.__name__}: the value differs from f's"
    np.testing.assert_allclose(d, jvp(f, wrt=i, optimize=False)(*args, v)[1],
                               rtol=1e-12, atol=1e-12)
    _close(d, directional_fd(f, args, i, v), rtol, atol, f"jvp of {f.__name__} wrt argument {i}")
    return fast
