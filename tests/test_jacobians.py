"""jvp, grad(mode="forward"), jacfwd, jacrev and jacobian: values against finite
differences and hand-derived Jacobians, shapes, dtypes, and the errors."""
import numpy as np
import pytest

import adcompiler.jacobians as jacobians
from adcompiler import grad, jacfwd, jacobian, jacrev, jvp

RNG = np.random.default_rng(5)


def fd_jacobian(f, args, i, eps=1e-6):
    """Central differences, shaped out.shape + x.shape."""
    x = np.asarray(args[i], dtype=float)
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = eps
        e = e.reshape(x.shape)
        plus, minus = list(args), list(args)
        plus[i], minus[i] = x + e, x - e
        if not np.ndim(x):
            plus[i], minus[i] = float(plus[i]), float(minus[i])
        cols.append((np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * eps))
    out = np.stack(cols, axis=-1)
    return out.reshape(np.shape(f(*args)) + x.shape)


def sin_scaled(x):
    return np.sin(x) * x[0]


def row_norms(m):
    return np.sum(m ** 2, axis=1)


def curve(t, base):
    return base * np.cos(t) + t ** 2


def layer(x, w):
    return np.tanh(x @ w)


def exp_times(t):
    return np.exp(t) * t


def softmax(z):
    e = np.exp(z)
    return e / np.sum(e)


M23 = np.array([[0.1, -0.4, 0.7], [0.3, 0.2, -0.5]])
W3 = np.array([0.2, -0.4, 0.1])
CASES = [
    (sin_scaled, (np.array([0.3, 0.5, -0.2]),), 0),
    (row_norms, (M23,), 0),
    (curve, (0.4, np.array([1.0, 2.0])), 0),
    (curve, (0.4, np.array([1.0, 2.0])), 1),
    (layer, (M23, W3), 0),
    (layer, (M23, W3), "w"),
    (exp_times, (0.3,), 0),
]


@pytest.mark.parametrize("make", [jacfwd, jacrev, jacobian])
@pytest.mark.parametrize("f, args, wrt", CASES,
                         ids=[f"{f.__name__}-{w}" for f, _, w in CASES])
def test_jacobians_against_finite_differences(make, f, args, wrt):
    i = wrt if isinstance(wrt, int) else 1
    j = make(f, wrt)(*args)
    expected = fd_jacobian(f, args, i)
    assert np.shape(j) == expected.shape
    np.testing.assert_allclose(j, expected, rtol=1e-6, atol=1e-8)


def test_jacobian_by_hand():
    x = np.array([0.3, -0.5, 1.2])
    expected = np.diag(np.cos(x) * x[0])
    expected[:, 0] += np.sin(x)
    for make in (jacfwd, jacrev, jacobian):
        np.testing.assert_allclose(make(sin_scaled)(x), expected, rtol=1e-14)
    # the Jacobian of softmax: diag(s) - s s^T
    z = np.array([0.5, -1.0, 2.0, 0.1])
    s = np.exp(z) / np.sum(np.exp(z))
    np.testing.assert_allclose(jacfwd(softmax)(z), np.diag(s) - np.outer(s, s), rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(jacrev(softmax)(z), np.diag(s) - np.outer(s, s), rtol=1e-12,
                               atol=1e-15)


def test_jacobian_picks_the_mode_with_fewer_passes(monkeypatch):
    used = []
    for name in ("jacfwd", "jacrev"):
        real = getattr(jacobians, name)
        monkeypatch.setattr(jacobians, name,
                            lambda f, wrt=0, _real=real, _name=name: used.append(_name)
                            or _real(f, wrt))
    jacobian(row_norms)(M23)                    # 6 inputs, 2 outputs: reverse
    jacobian(curve)(0.4, np.array([1.0, 2.0]))  # 1 input, 2 outputs: forward
    assert used == ["jacrev", "jacfwd"]


# ---- jvp ------------------------------------------------------------------------------------
def test_jvp_returns_the_value_and_the_directional_derivative():
    x, v = np.array([0.3, 0.5, -0.2]), np.array([1.0, -2.0, 0.5])
    value, d = jvp(sin_scaled)(x, v)
    np.testing.assert_allclose(value, sin_scaled(x), rtol=1e-15)
    np.testing.assert_allclose(d, fd_jacobian(sin_scaled, (x,), 0) @ v, rtol=1e-8)


def test_jvp_with_several_arguments_takes_a_tuple_of_tangents():
    dm, dw = RNG.normal(size=M23.shape), RNG.normal(size=3)
    value, d = jvp(layer, wrt=(0, 1))(M23, W3, (dm, dw))
    _, d_m = jvp(layer, wrt="x")(M23, W3, dm)
    _, d_w = jvp(layer, wrt="w")(M23, W3, dw)
    np.testing.assert_allclose(d, d_m + d_w, rtol=1e-13)   # linear in the tangents
    np.testing.assert_allclose(value, layer(M23, W3), rtol=1e-15)


def test_jvp_of_scalars_and_python_floats():
    value, d = jvp(exp_times)(0.3, 2.0)
    assert d == pytest.approx(2.0 * np.exp(0.3) * 1.3, rel=1e-14)
    assert jvp(curve)(0.4, np.array([1.0, 2.0]), 1.0)[1] == pytest.approx(
        -np.sin(0.4) * np.array([1.0, 2.0]) + 0.8, rel=1e-14)


def test_jvp_keeps_float32():
    x = np.array([0.3, 0.5], dtype=np.float32)
    value, d = jvp(sin_scaled)(x, np.ones(2))
    assert value.dtype == np.float32 and d.dtype == np.float32


def test_jvp_errors():
    x = np.array([0.3, 0.5, -0.2])
    with pytest.raises(ValueError, match="shape"):
        jvp(sin_scaled)(x, np.ones(2))
    with pytest.raises(ValueError, match="2 tangents"):
        jvp(layer, wrt=(0, 1))(M23, W3, (np.ones((2, 3)),))
    with pytest.raises(TypeError, match="tangents"):
        jvp(sin_scaled)()


def test_jvp_source_has_tangents_and_comments():
    text = jvp(layer, wrt=(0, 1)).source
    assert text.startswith("def jvp_layer(x, w, dx, dw):")
    assert "# Tangent of: return np.tanh(x @ w)" in text
    assert "dx @ w + x @ dw" in text


# ---- grad(mode="forward") -------------------------------------------------------------------
def scalar_loss(x, w):
    return np.sum(np.tanh(x @ w) ** 2) + np.sum(w ** 3)


def test_forward_mode_gradient_equals_reverse_mode():
    for wrt in (0, 1, (0, 1), "w"):
        fwd = grad(scalar_loss, wrt=wrt, mode="forward")(M23, W3)
        rev = grad(scalar_loss, wrt=wrt)(M23, W3)
        for a, b in zip(fwd if isinstance(wrt, tuple) else (fwd,),
                        rev if isinstance(wrt, tuple) else (rev,)):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_forward_mode_gradient_as_a_decorator_and_its_source():
    @grad(wrt=1, mode="forward")
    def loss(x, w):
        return np.sum(np.tanh(x @ w) ** 2)

    np.testing.assert_allclose(loss(M23, W3), grad(loss.fn, wrt=1)(M23, W3), rtol=1e-12)
    assert loss.source.startswith("def jvp_loss(x, w, dw):")


def test_mode_must_be_forward_or_reverse():
    with pytest.raises(ValueError, match="mode"):
        grad(scalar_loss, mode="sideways")


def pair_loss(params, x):
    w, b = params
    return np.sum(np.tanh(x @ w + b) ** 2)


def test_jvp_of_container_arguments():
    w, b, x = np.array([0.2, -0.4, 0.1]), 0.3, M23
    dw, db = RNG.normal(size=3), 0.7
    value, d = jvp(pair_loss)((w, b), x, (dw, db))
    gw, gb = grad(pair_loss)((w, b), x)
    assert value == pytest.approx(pair_loss((w, b), x), rel=1e-14)
    assert d == pytest.approx(np.sum(gw * dw) + gb * db, rel=1e-12)
    with pytest.raises(ValueError, match="container shaped like"):
        jvp(pair_loss)((w, b), x, dw)
    # a container that is not differentiated (an axis tuple) is fine too
    cube = RNG.normal(size=(2, 3, 2))
    _, d = jvp(sum_over)(cube, (0, 2), np.ones_like(cube))
    assert d == pytest.approx(cube.size, rel=1e-14)


def sum_over(x, axes):
    return np.sum(np.sum(x, axis=axes))
