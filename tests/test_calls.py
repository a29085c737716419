"""Calls and composition (issue 6): user functions are differentiated through,
whatever way they are defined or called; custom rules replace a body."""
import math

import numpy as np
import pytest

import adcompiler
from adcompiler import NoRuleError, grad, stop_gradient, value_and_grad

import calls_helpers
from calls_helpers import affine, chain
from helpers import assert_grad_matches_fd


def square(z):
    return z * z


def uses_module_function(x, w):
    return square(affine(x, w)) + calls_helpers.scaled_sin(x)


def test_module_level_and_imported_functions():
    x, w = 0.7, 1.3
    gx, gw = grad(uses_module_function, wrt=(0, 1))(x, w)
    a = w * x + 0.5
    assert gx == pytest.approx(2 * a * w + 3.0 * np.cos(x))
    assert gw == pytest.approx(2 * a * x)
    assert_grad_matches_fd(uses_module_function, (x, w), wrt=(0, 1))


def uses_chain(x):
    return chain(x) ** 2


def test_callee_calls_another_callee_in_its_own_module():
    # chain(x) = 2 * 3 sin x + 0.5
    x = 0.4
    c = 6.0 * np.sin(x) + 0.5
    assert grad(uses_chain)(x) == pytest.approx(2 * c * 6.0 * np.cos(x))


def test_a_global_of_the_callee_module_is_read_when_the_gradient_runs(monkeypatch):
    g = grad(uses_chain)
    before = g(0.4)
    monkeypatch.setattr(calls_helpers, "SCALE", 1.0)
    c = 2.0 * np.sin(0.4) + 0.5
    assert g(0.4) == pytest.approx(2 * c * 2.0 * np.cos(0.4))
    assert g(0.4) != before


def keyword_and_default_arguments(x, w):
    return affine(x, w) + affine(b=1.0, w=x, x=w) + affine(x, w=2.0)


def test_keyword_and_default_arguments():
    # d/dx: w + w + 2 ; d/dw: x + x
    assert grad(keyword_and_default_arguments, wrt=(0, 1))(0.5, 3.0) == pytest.approx((8.0, 1.0))


def nested_def_and_lambda(x):
    def inner(y, k=2.0):
        return y ** k + x          # reads x from the enclosing function

    triple = lambda t: 3.0 * t    # noqa: E731
    return inner(x) + triple(x) + inner(y=x, k=3.0)


def test_nested_def_and_lambda():
    x = 0.7
    # x^2 + x + 3x + x^3 + x  ->  2x + 1 + 3 + 3x^2 + 1
    assert grad(nested_def_and_lambda)(x) == pytest.approx(2 * x + 5 + 3 * x ** 2)


def make_scaled_square(a):
    def scaled_square(x):
        return a * x ** 2
    return scaled_square


def test_closure_from_a_factory():
    f = make_scaled_square(2.5)
    assert grad(f)(0.7) == pytest.approx(2 * 2.5 * 0.7)
    assert grad(make_scaled_square(-1.0))(0.7) == pytest.approx(-1.4)


def test_lambda_passed_to_grad():
    assert grad(lambda x: np.sin(x) * x)(0.3) == pytest.approx(np.cos(0.3) * 0.3 + np.sin(0.3))


class Layer:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.tanh(self.W @ x)

    def energy(self, x):
        return np.sum(self(x) ** 2)


LAYER = Layer(np.array([[1.0, 2.0], [0.5, -1.0]]))


def uses_methods_of_an_object(x):
    return LAYER.energy(x) + np.sum(LAYER(x))


def test_methods_reading_array_attributes():
    x = np.array([0.3, -0.2])
    h = np.tanh(LAYER.W @ x)
    expected = LAYER.W.T @ ((2 * h + 1) * (1 - h ** 2))
    np.testing.assert_allclose(grad(uses_methods_of_an_object)(x), expected, rtol=1e-12)
    assert_grad_matches_fd(uses_methods_of_an_object, (x,))


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def uses_recursion(x, n):
    return power(x, n)


@pytest.mark.parametrize("n", [0, 1, 3, 6])
def test_bounded_recursion(n):
    x = 1.3
    assert grad(uses_recursion)(x, n) == pytest.approx(n * x ** (n - 1) if n else 0.0)


def fib_like(x, n):
    if n <= 1:
        return x
    return fib_like(x, n - 1) + 0.5 * fib_like(x * x, n - 2)


def test_recursion_with_two_calls():
    assert_grad_matches_fd(fib_like, (0.9, 5))


def non_differentiable_calls(x):
    n = len(x)
    k = int(np.argmax(x))
    print("shape", x.shape, n)
    s = 0.0
    for i in range(n):
        if x[i] > x[k] - 1.0:
            s = s + x[i] * i
    return s + x[k] * float(n)


def test_non_differentiable_calls_need_no_ceremony(capsys):
    x = np.array([0.5, 2.0, 1.5])
    # k = 1; terms with x[i] > 1: i = 1, 2; plus 3 x[1]
    np.testing.assert_allclose(grad(non_differentiable_calls)(x), [0.0, 1.0 + 3.0, 2.0])
    assert "shape (3,) 3" in capsys.readouterr().out


def uses_stop_gradient(x):
    return x * stop_gradient(x) + stop_gradient(x * x)


def test_stop_gradient():
    assert grad(uses_stop_gradient)(3.0) == 3.0
    assert value_and_grad(uses_stop_gradient)(3.0) == (18.0, 3.0)


# ---- custom rules --------------------------------------------------------------------
def softplus(x):
    return np.log1p(np.exp(x))


adcompiler.defpartials(softplus, x="1 / (1 + np.exp(-x))")


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


adcompiler.defvjp(logsumexp, x="g * np.exp(x - ans)")
adcompiler.defjvp(logsumexp, "np.sum(dx * np.exp(x - ans))")


def uses_custom_rules(w, x):
    z = x * w
    return np.sum(softplus(z)) + logsumexp(z)


def test_custom_rules_are_used_instead_of_the_body():
    w, x = np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.5, -0.7])
    z = x * w
    expected = x / (1 + np.exp(-z)) + x * np.exp(z) / np.sum(np.exp(z))
    g = grad(uses_custom_rules)
    np.testing.assert_allclose(g(w, x), expected, rtol=1e-12)
    assert "softplus(z)" in g.source and "logsumexp(z)" in g.source
    assert "np.max" not in g.source   # the body of logsumexp is not differentiated
    assert_grad_matches_fd(uses_custom_rules, (w, x))


def test_custom_rule_is_stable_where_the_body_is_not():
    # softplus'(800) = 1; differentiating the body would give inf / inf = nan
    with np.errstate(over="ignore"):   # the primal itself overflows to inf
        assert grad(lambda x: softplus(x))(800.0) == 1.0


@adcompiler.custom_rule(partials={"x": "np.sign(x)"})
def smooth_abs_like(x):
    return np.abs(x)


def test_custom_rule_decorator():
    assert grad(lambda x: smooth_abs_like(x) * 2.0)(-1.5) == -2.0


def test_custom_rule_names_must_be_parameters():
    def f(x):
        return x
    with pytest.raises(ValueError, match="no parameter 'y'"):
        adcompiler.defvjp(f, y="g")


def calls_a_c_function(x):
    return math.lgamma(x)


def test_a_c_function_without_rule_says_how_to_declare_one():
    with pytest.raises(NoRuleError) as info:
        grad(calls_a_c_function)(2.5)
    text = str(info.value)
    assert "lgamma" in text and "defvjp(lgamma" in text
    assert "test_calls.py" in text


def test_show_prints_the_vjp_of_a_recursive_callee(capsys):
    adcompiler.show(uses_recursion)
    out = capsys.readouterr().out
    assert "def grad_uses_recursion(" in out
    assert "def vjp_power(" in out


# ---- found in review: a closure variable rebound after the first call ----------------------
def make_scaled_sine():
    W = np.ones(3)

    def f(x):
        return np.sum(np.sin(x * W))

    def set_w(value):
        nonlocal W
        W = value
    return f, set_w


def make_caller():
    f, set_w = make_scaled_sine()

    def g(x):
        return f(x) * 2.0  # f is inlined: its closure is read through its own cell
    return g, set_w


@pytest.mark.parametrize("make", [make_scaled_sine, make_caller])
def test_a_closure_variable_rebound_later_is_read_when_the_derivative_runs(make):
    fn, set_w = make()
    scale = 2.0 if make is make_caller else 1.0
    x = np.linspace(0, 1, 3)
    d = grad(fn)
    np.testing.assert_allclose(d(x), scale * np.cos(x))
    set_w(np.full(3, 2.0))
    np.testing.assert_allclose(d(x), scale * 2.0 * np.cos(2.0 * x))
    assert_grad_matches_fd(fn, (x,), wrt=0)


# ---- how generated code reads names ---------------------------------------------------------
def scaled_by_a_late_global(x):
    return np.sum(x * LATE_SCALE) + len(x)  # a module global defined after grad, and a builtin


def test_module_globals_are_read_live_and_builtins_still_resolve():
    global LATE_SCALE
    d = grad(scaled_by_a_late_global)
    x = np.arange(3.0)
    LATE_SCALE = 2.0
    np.testing.assert_array_equal(d(x), np.full(3, 2.0))
    LATE_SCALE = 5.0  # rebound: the compiled derivative sees it
    np.testing.assert_array_equal(d(x), np.full(3, 5.0))
    del LATE_SCALE
    with pytest.raises(NameError, match="LATE_SCALE"):
        d(x)


def test_generated_code_reads_our_modules_and_closures_as_closure_variables():
    # np and runtime as closure variables: CPython reads them by index, where a global of
    # the namespace (a dict subclass, for live closures and module globals) is uncached
    fn, set_w = make_scaled_sine()
    d = grad(fn)
    d(np.ones(3))
    free = d.compiled.function.__code__.co_freevars
    assert "np" in free and "W" in free
    cells = dict(zip(free, d.compiled.function.__closure__))
    set_w(np.full(3, 3.0))
    assert cells["W"].cell_contents[0] == 3.0  # the user's own cell, not a copy
