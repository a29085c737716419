"""Tuples, lists and dicts (issue 5): as arguments, intermediate values and loops.

Their structure is known when compiling, so the gradient of a container
argument comes back with the same structure."""
import numpy as np
import pytest

from adcompiler import UnsupportedError, grad, value_and_grad
from helpers import assert_grad_matches_fd

RNG = np.random.default_rng(7)


def mlp(params, x, y):
    h = x
    for W, b in params:
        h = np.tanh(h @ W + b)
    return np.mean((h - y) ** 2)


def test_list_of_layer_tuples_gives_gradient_of_the_same_structure():
    params = [(RNG.normal(size=(3, 4)), RNG.normal(size=4)),
              (RNG.normal(size=(4, 2)), RNG.normal(size=2))]
    x, y = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2))
    g = grad(mlp)(params, x, y)
    assert isinstance(g, list) and all(isinstance(layer, tuple) for layer in g)
    for (gW, gb), (W, b) in zip(g, params):
        assert gW.shape == W.shape and gb.shape == b.shape
    # each leaf against finite differences
    def with_leaf(i, j, v):
        layers = [list(layer) for layer in params]
        layers[i][j] = v
        return [tuple(layer) for layer in layers]

    from adcompiler.checking import numeric_grad
    for i in range(2):
        for j in range(2):
            fd = numeric_grad(lambda v: mlp(with_leaf(i, j, v), x, y), (params[i][j],), 0)
            np.testing.assert_allclose(g[i][j], fd, rtol=1e-6, atol=1e-8)


def dict_params(p, x):
    z = x @ p["W"] + p["b"]
    return np.sum(z ** 2) * p["scale"]


def test_dict_argument():
    p = {"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2), "scale": 2.0}
    x = RNG.normal(size=(4, 3))
    g = grad(dict_params)(p, x)
    z = x @ p["W"] + p["b"]
    assert set(g) == {"W", "b", "scale"}
    assert g["scale"] == pytest.approx(np.sum(z ** 2))
    np.testing.assert_allclose(g["b"], 2 * 2.0 * z.sum(axis=0))
    np.testing.assert_allclose(g["W"], 2 * 2.0 * x.T @ z)


def tuples_and_lists_inside(x, y):
    t = (x * 2, y)
    a, b = t
    items = [a]
    items.append(b * a)
    return np.sum(items[1]) + np.sum(t[0]) + len(items)


def test_tuples_and_lists_as_intermediate_values():
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    gx, gy = grad(tuples_and_lists_inside, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(gx, 2 * y + 2)
    np.testing.assert_allclose(gy, 2 * x)


def nested(params, x):
    (w1, w2), d = params
    return np.sum(w1 * x) + np.sum(w2 * d["k"] * x)


def test_nested_containers():
    x = np.array([1.0, 2.0])
    (g1, g2), gd = grad(nested)(((np.ones(2), np.ones(2)), {"k": 3.0}), x)
    np.testing.assert_allclose(g1, x)
    np.testing.assert_allclose(g2, 3.0 * x)
    assert gd["k"] == pytest.approx(3.0)


def dict_built_inside(x):
    d = {"a": x, "b": x * x}
    d["c"] = d["a"] + d["b"]
    total = 0.0
    for key, value in d.items():
        total = total + np.sum(value)
    return total


def test_dict_built_and_iterated_inside():
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(grad(dict_built_inside)(x), 2 + 4 * x)


def zip_and_enumerate_over_containers(ws, xs):
    s = 0.0
    for i, (w, x) in enumerate(zip(ws, xs)):
        s = s + (i + 1) * w * x
    return s


def test_zip_and_enumerate_over_container_arguments():
    ws, xs = (1.0, 2.0, 3.0), [0.5, 0.25, 0.125]
    g = grad(zip_and_enumerate_over_containers)(ws, xs)
    assert isinstance(g, tuple)
    np.testing.assert_allclose(g, [1 * 0.5, 2 * 0.25, 3 * 0.125])


def test_a_second_structure_compiles_again():
    f = grad(mlp)
    x = RNG.normal(size=(2, 3))
    one = [(RNG.normal(size=(3, 2)), RNG.normal(size=2))]
    two = one + [(RNG.normal(size=(2, 2)), RNG.normal(size=2))]
    assert len(f(one, x, np.zeros((2, 2)))) == 1
    assert len(f(two, x, np.zeros((2, 2)))) == 2
    value, _ = value_and_grad(mlp)(two, x, np.zeros((2, 2)))
    assert value == pytest.approx(mlp(two, x, np.zeros((2, 2))))


def break_in_container_loop(ws):
    s = 0.0
    for w in ws:
        if w > 1.0:
            break
        s = s + w
    return s


def test_break_in_a_loop_over_a_container_is_refused():
    with pytest.raises(UnsupportedError, match="loop over a container"):
        grad(break_in_container_loop)((0.5, 2.0))
