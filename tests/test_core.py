"""The public API of issue 2: grad, value_and_grad, vjp, show, check_grad, the
cache, and the worked examples with their hand-derived values."""
import importlib.util
import io
import itertools
import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest
from hypothesis import assume, example, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import adcompiler
import adcompiler.api
from adcompiler import check_grad, grad, show, value_and_grad, vjp
from adcompiler.checking import GradCheck
from helpers import assert_grad_matches_fd


# ---- the worked examples (the functions of examples/worked_examples.py) ------------
_EXAMPLES_PATH = pathlib.Path(__file__).parents[1] / "examples" / "worked_examples.py"


def _load_examples():
    spec = importlib.util.spec_from_file_location("worked_examples", _EXAMPLES_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_examples = _load_examples()
square_of_affine, squared_prediction = _examples.square_of_affine, _examples.squared_prediction
tiny_network, cubic = _examples.tiny_network, _examples.cubic


def test_square_of_affine():
    # dy/dx = 2 (3x + 2) * 3 = 30 at x = 1
    assert grad(square_of_affine)(1.0) == pytest.approx(30.0, rel=1e-15)


def test_squared_prediction():
    # r = w x + b = 7; dL/dw = 2 r x = 42, dL/db = 2 r = 14, dL/dx = 2 r w = 28
    dw, db, dx = grad(squared_prediction, wrt=("w", "b", "x"))(2.0, 3.0, 1.0)
    assert (dw, db, dx) == pytest.approx((42.0, 14.0, 28.0), rel=1e-15)


def test_tiny_network():
    # z1 = 1, a1 = 1, z2 = -0.3, dL/dz2 = 2 (z2 - y) = -2.6;
    # dL/dw2 = -2.6 a1 = -2.6; dL/dw1 = -2.6 w2 * 1 (relu open) * x = 1.56
    dw1, dw2 = grad(tiny_network, wrt=("w1", "w2"))(2.0, 1.0, 0.5, -0.3)
    assert dw1 == pytest.approx(1.56, rel=1e-12)
    assert dw2 == pytest.approx(-2.6, rel=1e-12)


def test_tiny_network_with_the_relu_closed():
    # w1 < 0 makes z1 < 0: no gradient reaches w1, and a1 = 0 gives none to w2
    dw1, dw2 = grad(tiny_network, wrt=(2, 3))(2.0, 1.0, -0.5, -0.3)
    assert (dw1, dw2) == (0.0, 0.0)


def test_cubic():
    # 3 x^2 + 5 = 17 at x = 2
    assert grad(cubic)(2.0) == pytest.approx(17.0, rel=1e-15)


@pytest.mark.parametrize("f, args", [
    (square_of_affine, (1.0,)), (squared_prediction, (2.0, 3.0, 1.0)),
    (tiny_network, (2.0, 1.0, 0.5, -0.3)), (cubic, (2.0,))])
def test_worked_examples_agree_with_finite_differences(f, args):
    assert_grad_matches_fd(f, args, wrt=tuple(range(len(args))))


def test_worked_examples_script():
    out = io.StringIO()
    assert _examples.run(out) == 0
    text = out.getvalue()
    assert text.count("   ok") == 7 and "WRONG" not in text
    assert "def grad_tiny_network(x, y, w1, w2, bout=1.0):" in text


# ---- grad: calling forms and wrt ---------------------------------------------------
def three(a, b, c):
    return a * b ** 2 + np.sin(c)


def test_grad_forms_agree():
    args = (1.5, -2.0, 0.25)
    expected = (4.0, -6.0, np.cos(0.25))   # b^2, 2ab, cos c

    @grad
    def decorated(a, b, c):
        return a * b ** 2 + np.sin(c)

    @grad(wrt=(0, 2))
    def decorated_wrt(a, b, c):
        return a * b ** 2 + np.sin(c)

    assert grad(three)(*args) == pytest.approx(expected[0])
    assert decorated(*args) == pytest.approx(expected[0])
    assert decorated_wrt(*args) == pytest.approx((expected[0], expected[2]))
    assert grad(three, wrt=1)(*args) == pytest.approx(expected[1])
    assert grad(three, wrt="c")(*args) == pytest.approx(expected[2])
    assert grad(three, wrt=-1)(*args) == pytest.approx(expected[2])
    assert grad(three, wrt=("b", 0))(*args) == pytest.approx((expected[1], expected[0]))
    assert grad(three, wrt=[0, 1, 2])(*args) == pytest.approx(expected)


def test_single_wrt_in_a_tuple_gives_a_tuple():
    g = grad(three, wrt=(1,))(1.5, -2.0, 0.25)
    assert isinstance(g, tuple) and g == pytest.approx((-6.0,))


@pytest.mark.parametrize("wrt", ["d", 3, -4, (0, 0), ("a", 0)])
def test_bad_wrt_is_a_value_error(wrt):
    with pytest.raises(ValueError):
        grad(three, wrt=wrt)


def test_grad_of_something_else_is_a_type_error():
    with pytest.raises(TypeError, match="expected a function"):
        grad(3.0)


def with_default(x, c=3.0):
    return c * x ** 2


def test_keyword_arguments_and_defaults():
    assert grad(with_default)(2.0) == pytest.approx(12.0)
    assert grad(with_default)(2.0, c=1.0) == pytest.approx(4.0)
    assert grad(with_default)(x=2.0) == pytest.approx(12.0)
    assert grad(with_default, wrt="c")(2.0) == pytest.approx(4.0)


def ignores_y(x, y):
    return np.sum(x * 2)


def test_gradient_of_an_unused_argument_is_zeros_of_its_shape():
    g = grad(ignores_y, wrt="y")(np.ones(3), np.ones((2, 2)))
    assert g.shape == (2, 2) and g.dtype == np.float64 and not g.any()


def elementwise(x):
    return x * 2


def test_grad_of_a_non_scalar_points_to_vjp():
    with pytest.raises(ValueError, match="vjp"):
        grad(elementwise)(np.ones(3))


# ---- value_and_grad and vjp ------------------------------------------------------------
def test_value_and_grad():
    value, (dw, db, dx) = value_and_grad(squared_prediction, wrt=(0, 2, 1))(2.0, 3.0, 1.0)
    assert value == 49.0
    assert (dw, db, dx) == pytest.approx((42.0, 14.0, 28.0))
    value, dx = value_and_grad(cubic)(2.0)
    assert (value, dx) == pytest.approx((18.0, 17.0))


def outer_model(w, x):
    return np.tanh(x @ w)


def test_vjp_of_a_vector_output():
    w = np.array([0.5, -1.0])
    x = np.array([[1.0, 2.0], [0.5, 0.0], [-1.0, 1.0]])
    seed = np.array([1.0, -2.0, 0.5])
    dw = vjp(outer_model)(w, x, seed)
    jacobian = (1 - np.tanh(x @ w) ** 2)[:, None] * x    # d tanh(x w)_i / d w_j
    np.testing.assert_allclose(dw, seed @ jacobian, rtol=1e-12)
    dw, dx = vjp(outer_model, wrt=("w", "x"))(w, x, seed)
    np.testing.assert_allclose(dx, (seed * (1 - np.tanh(x @ w) ** 2))[:, None] * w)


def test_vjp_needs_a_seed():
    with pytest.raises(TypeError):
        vjp(outer_model)()


# ---- .source, .ssa and show ---------------------------------------------------------------
def test_source_and_ssa():
    g = grad(square_of_affine)
    assert g.ssa.startswith("def square_of_affine(x):")
    assert g.source.startswith("def grad_square_of_affine(x, bout=1.0):")
    assert "# Grad of: return (3 * x + 2) ** 2" in g.source
    assert vjp(square_of_affine).source.startswith("def vjp_square_of_affine(x, bout):")


def test_source_is_the_code_that_runs():
    g = grad(squared_prediction, wrt=(0, 1, 2))
    namespace = {"np": np, "runtime": sys.modules["runtime"]}
    exec(g.source, namespace)
    value, grads = namespace["grad_squared_prediction"](2.0, 3.0, 1.0)
    assert value == 49.0 and grads == pytest.approx((42.0, 28.0, 14.0))


def test_show_prints_ssa_and_gradient():
    out = io.StringIO()
    show(tiny_network, wrt=("w1", "w2"), file=out)
    text = out.getvalue()
    g = grad(tiny_network, wrt=("w1", "w2"))
    assert text == f"# SSA form\n{g.ssa}\n\n# Generated gradient\n{g.source}\n"
    out = io.StringIO()
    show(g, file=out)
    assert text == out.getvalue()


# ---- the cache --------------------------------------------------------------------------
def cached_once(x):
    return np.sum(np.exp(x) * x)


def test_a_second_call_compiles_nothing(monkeypatch):
    calls = []
    real = adcompiler.api.primal_ssa
    monkeypatch.setattr(adcompiler.api, "primal_ssa",
                        lambda fn, *more, **options: calls.append(fn) or real(fn, *more, **options))
    g = grad(cached_once)
    x = np.array([0.5, 1.0])
    first = g(x)
    compiled = g.compiled
    assert calls and all(fn is cached_once for fn in calls)
    calls.clear()
    second = g(x)
    assert calls == []
    assert g.compiled is compiled
    again = grad(cached_once)  # a new grad of the same function, called alike, too
    np.testing.assert_array_equal(again(x), first)
    assert calls == [] and again.compiled is compiled
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, np.exp(x) * (1 + x))


def compiled_per_shape(x):
    return np.sum(np.exp(x) * x)


def test_each_argument_shape_compiles_once_up_to_a_limit(monkeypatch):
    """A derivative is compiled for its arguments' shapes; past MAX_SPECIALIZATIONS
    shapes, one derivative for any shape serves the rest."""
    calls = []
    real = adcompiler.api.primal_ssa
    monkeypatch.setattr(adcompiler.api, "primal_ssa",
                        lambda fn, *more, **options: calls.append(fn) or real(fn, *more, **options))
    g = grad(compiled_per_shape)
    limit = adcompiler.api.MAX_SPECIALIZATIONS
    for n in range(1, limit + 4):
        x = np.linspace(0.1, 1.0, n)
        np.testing.assert_allclose(g(x), np.exp(x) * (1 + x))
        np.testing.assert_allclose(g(x), np.exp(x) * (1 + x))  # cached
    assert len(calls) == limit + 1  # one per shape, then one for all the others


def test_cache_is_per_wrt_and_kind():
    assert grad(three, wrt=0).compiled is not grad(three, wrt=1).compiled
    assert grad(three, wrt=0).compiled is not vjp(three, wrt=0).compiled
    assert grad(three, wrt="a").compiled is grad(three, wrt=0).compiled
    assert grad(three).compiled is value_and_grad(three).compiled


SCALE = 2.0


def reads_a_global(x):
    return SCALE * x ** 2


def test_globals_are_read_when_the_gradient_runs(monkeypatch):
    g = grad(reads_a_global)
    assert g(1.0) == pytest.approx(4.0)
    monkeypatch.setattr(sys.modules[__name__], "SCALE", 5.0)
    assert g(1.0) == pytest.approx(10.0)


def test_closures():
    def make(k):
        def scaled(x):
            return k * np.sum(x ** 2)
        return scaled

    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(grad(make(3.0))(x), 6 * x)
    np.testing.assert_allclose(grad(make(0.5))(x), x)


# ---- language pieces the core supports ---------------------------------------------------
def branch(x, y):
    if x > y:
        z = x * y
    else:
        z = x - y
    return z * SCALE


def conditional_expression(x):
    return x ** 2 if x > 0 else -x


def unpack_and_update(x, y):
    a, b = x * 2, y * 3
    a += b
    a *= x
    return a


def with_docstring_and_assert(x):
    """A docstring and an assert are allowed and kept."""
    assert np.all(x > 0)
    return np.sum(np.log(x))


def test_branches():
    assert grad(branch, wrt=(0, 1))(3.0, 2.0) == pytest.approx((4.0, 6.0))
    assert grad(branch, wrt=(0, 1))(1.0, 2.0) == pytest.approx((2.0, -2.0))
    assert grad(conditional_expression)(3.0) == pytest.approx(6.0)
    assert grad(conditional_expression)(-3.0) == pytest.approx(-1.0)


def exp_in_one_arm(x):
    if x > 0:
        z = np.exp(x)
    else:
        z = x
    return z


def temporary_in_one_arm(x, y):
    if x > y:
        z = x * y
    else:
        z = np.sin(x) - y
    return z * z


def test_adjoint_reads_a_value_defined_in_a_branch_arm():
    assert grad(exp_in_one_arm)(1.0) == pytest.approx(np.exp(1.0))
    assert grad(exp_in_one_arm)(-1.0) == 1.0


def test_unbroadcast_of_a_temporary_defined_in_a_branch_arm():
    assert_grad_matches_fd(temporary_in_one_arm, (0.5, 1.0), wrt=(0, 1))


def rebinds_in_one_arm(y, c):
    x = y * 2.0
    if c > 0:
        y = x + y
    return x + y


def test_adjoint_that_both_arms_leave_equal_is_kept():
    # out = 2y + (3y if c > 0 else y): d out / dy is 5 or 3
    assert grad(rebinds_in_one_arm)(0.3, 1.0) == pytest.approx(5.0)
    assert grad(rebinds_in_one_arm)(0.3, -1.0) == pytest.approx(3.0)


def test_unpacking_and_augmented_assignment():
    # a = (2x + 3y) x: da/dx = 4x + 3y, da/dy = 3x
    assert grad(unpack_and_update, wrt=(0, 1))(1.0, 2.0) == pytest.approx((10.0, 3.0))


def test_docstring_and_assert():
    x = np.array([1.0, 4.0])
    np.testing.assert_allclose(grad(with_docstring_and_assert)(x), 1 / x)
    with pytest.raises(AssertionError):
        grad(with_docstring_and_assert)(-x)


def test_unoptimized_gradients_agree():
    args = (np.array([0.5, -1.0]), np.array([[1.0, 2.0], [3.0, 4.0]]))
    seed = np.array([1.0, 2.0])
    for a, b in zip(vjp(outer_model, wrt=(0, 1), optimize=False)(*args, seed),
                    vjp(outer_model, wrt=(0, 1))(*args, seed)):
        np.testing.assert_allclose(a, b)


def test_fresh_function_object_with_the_same_code_compiles_the_same_text():
    twin = types.FunctionType(tiny_network.__code__, tiny_network.__globals__)
    assert grad(twin, wrt=(2, 3)).compiled is not grad(tiny_network, wrt=(2, 3)).compiled
    assert grad(twin, wrt=(2, 3)).source == grad(tiny_network, wrt=(2, 3)).source


# ---- check_grad ----------------------------------------------------------------------------
def test_check_grad_passes_a_right_gradient():
    result = check_grad(squared_prediction, 2.0, 3.0, 1.0, wrt=(0, 1, 2))
    assert isinstance(result, GradCheck) and result.ok()
    assert result.error < 1e-7
    assert set(result.errors) == {f"arg {i} {kind}" for i in range(3)
                                  for kind in ("elements", "direction")}
    x = np.array([[0.5, 1.0], [-1.0, 2.0]])
    assert check_grad(with_docstring_and_assert, np.abs(x)).ok()


def _wrong_cubic_gradient(x):
    return 3 * x ** 2     # forgets the + 5


def _almost_right(x):
    return np.exp(x) * (1 + x) * np.array([1.0, 1.0, 1.01])


def test_check_grad_catches_a_wrong_gradient():
    bad = check_grad(cubic, 2.0, grad_fn=_wrong_cubic_gradient)
    assert not bad.ok() and bad.error == pytest.approx(5 / 17, rel=1e-6)
    # an error in one element is caught element by element and in a random direction
    bad = check_grad(cached_once, np.array([0.1, 0.2, 0.3]), grad_fn=_almost_right)
    assert not bad.ok()
    assert bad.errors["arg 0 elements"] > 1e-3 and bad.errors["arg 0 direction"] > 1e-5


def test_check_grad_is_exported():
    assert adcompiler.check_grad is check_grad
    assert set(adcompiler.__all__) >= {"grad", "value_and_grad", "vjp", "show", "check_grad",
                                       "UnsupportedError", "NoRuleError"}


# ---- the command line ------------------------------------------------------------------------
def test_demo_prints_every_stage(capsys):
    from adcompiler.cli import main
    assert main(["demo"]) == 0
    text = capsys.readouterr().out
    for part in ("def loss(w, b, x, y):", "t = matmul(x, w)", "def grad_loss(w, b, x, y, bout=1.0):",
                 "dloss/dw = ", "worst relative error"):
        assert part in text
    assert "(ok)" in text


def test_demo_gradient_values():
    from adcompiler import cli
    gw, gb = grad(cli.loss, wrt=(0, 1))(cli.W, cli.B, cli.X, cli.Y)
    z = cli.X @ cli.W + cli.B
    r = 2 * (np.tanh(z) - cli.Y) * (1 - np.tanh(z) ** 2) / len(cli.Y)   # d loss / d z
    np.testing.assert_allclose(gw, cli.X.T @ r, rtol=1e-12)
    assert gb == pytest.approx(np.sum(r), rel=1e-12)


def test_compare_without_experiments_says_so(capsys, monkeypatch):
    from adcompiler.cli import main
    monkeypatch.setitem(sys.modules, "adcompiler.experiments", None)  # as if missing
    assert main(["compare", "--quick"]) == 2
    assert "experiments are not available" in capsys.readouterr().err


def test_compare_hands_its_arguments_to_the_experiments(monkeypatch):
    from adcompiler.cli import main
    received = []
    fake = types.ModuleType("adcompiler.experiments")
    fake.main = lambda argv: received.append(argv) or 0
    monkeypatch.setitem(sys.modules, "adcompiler.experiments", fake)
    monkeypatch.setattr(adcompiler, "experiments", fake, raising=False)
    assert main(["compare", "--help", "x"]) == 0
    assert received == [["--help", "x"]]


def test_help_and_python_dash_m():
    from adcompiler.cli import main
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    assert main([]) == 2
    run = subprocess.run([sys.executable, "-m", "adcompiler", "--help"], capture_output=True,
                         text=True, check=True)
    assert "demo" in run.stdout and "compare" in run.stdout


# ---- random programs -----------------------------------------------------------------------
# name: (template, number of operands); operands are earlier variables, the results stay bounded
PROGRAM_OPS = {
    "add": ("{0} + {1}", 2), "sub": ("{0} - {1}", 2), "mul": ("{0} * {1}", 2),
    "div": ("{0} / (1.5 + np.cos({1}))", 2), "sin": ("np.sin({0})", 1),
    "cos": ("np.cos({0})", 1), "tanh": ("np.tanh({0})", 1), "square": ("{0} ** 2", 1),
    "scale": ("-0.5 * {0}", 1), "exp": ("np.exp(np.sin({0}))", 1),
    "sum": ("np.sum({0}, axis=0)", 1), "mean": ("np.mean({0})", 1),
    "sqrt": ("np.sqrt(1 + {0} ** 2)", 1), "pow": ("(1.5 + np.sin({0})) ** {1}", 2),
}
# x has shape (3,) and y shape (2, 1): everything below broadcasts to at most (2, 3).
# Branches test only c, which is never differentiated or rebound, so finite
# differences never step across a branch.
PARAM_SHAPES = {"x": (3,), "y": (2, 1)}
CONDITIONS = ["c > 0", "c > 0.5", "not c > 0"]


def _assignment(draw, k, shapes, indent, ops=PROGRAM_OPS, loop_carried=False):
    """One random `target = op(operands)` line; records the target's shape in ``shapes``."""
    name, (template, arity) = draw(st.sampled_from(sorted(ops.items())))
    operands = [draw(st.sampled_from(sorted(shapes))) for _ in range(arity)]
    if name == "sum" and shapes[operands[0]] == ():
        name, template = "sin", PROGRAM_OPS["sin"][0]
    # a new name, or one rebound (SSA renaming), parameters included
    target = draw(st.sampled_from([f"v{k}", f"v{k}", *sorted(shapes)]))
    result = np.broadcast_shapes(*(shapes[o] for o in operands))
    if name == "sum":
        result = result[1:]
    elif name == "mean":
        result = ()
    if loop_carried and target in shapes and shapes[target] != result:
        target = f"v{k}"  # a name rebound in a loop keeps its shape from one iteration to the next
    shapes[target] = result
    return " " * indent + f"{target} = {template.format(*operands)}"


# in loops, ops that cannot grow without bound over iterations
LOOP_OPS = {k: v for k, v in PROGRAM_OPS.items() if k not in ("square", "pow", "mul")}


def _branch(draw, k, shapes, lines):
    lines.append(f"    if {draw(st.sampled_from(CONDITIONS))}:")
    arms = []
    for arm in ("then", "else"):
        if arm == "else":
            lines.append("    else:")
        arm_shapes = dict(shapes)
        for j in range(draw(st.integers(1, 3))):
            lines.append(_assignment(draw, f"{k}_{arm}{j}", arm_shapes, 8))
        arms.append(arm_shapes)
    # after the branch, a name is readable when both arms define it
    return {n: np.broadcast_shapes(arms[0][n], arms[1][n]) for n in arms[0] if n in arms[1]}


def _loop(draw, k, shapes, lines):
    kind = draw(st.sampled_from(["for", "while", "for with break"]))
    if kind == "while":
        lines += [f"    i{k} = 0", f"    while i{k} < n:", f"        i{k} = i{k} + 1"]
    else:
        lines.append(f"    for i{k} in range(n):")
    inner = dict(shapes)
    body = [_assignment(draw, f"{k}_{j}", inner, 8, LOOP_OPS, loop_carried=True)
            for j in range(draw(st.integers(1, 3)))]
    if kind == "for with break":
        body.insert(draw(st.integers(0, len(body))), f"        if i{k} == 1:\n            break")
    lines += body
    # a name first bound in the loop is unbound when n == 0: only the outer names stay
    return {n: inner[n] for n in shapes}


@st.composite
def programs(draw, branches=False, loops=False):
    shapes = dict(PARAM_SHAPES)
    lines = []
    kinds = ["assignment"] + ["branch"] * branches + ["loop"] * loops
    for k in range(draw(st.integers(2, 8 if len(kinds) == 1 else 4))):
        kind = draw(st.sampled_from(kinds))
        if kind == "branch":
            shapes = _branch(draw, k, shapes, lines)
        elif kind == "loop":
            shapes = _loop(draw, k, shapes, lines)
        else:
            lines.append(_assignment(draw, k, shapes, 4))
    last = draw(st.sampled_from(sorted(shapes)))
    used = draw(st.sampled_from(sorted(shapes)))
    lines.append(f"    return np.sum({last}) + 0.5 * np.sum({used})")
    params = "x, y, n" if loops else "x, y, c"
    return f"import numpy as np\n\n\ndef program({params}):\n" + "\n".join(lines) + "\n"


_program_count = itertools.count()


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("programs")


def _load(program_dir, source):
    path = program_dir / f"program_{next(_program_count)}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.program


def assume_finite(program, args):
    """Finite differences of an f that overflows mean nothing: such draws are skipped."""
    with np.errstate(all="ignore"):
        assume(np.all(np.isfinite(program(*args))))


X_VALUES = hnp.arrays(np.float64, (3,), elements=st.floats(-1.5, 1.5))
Y_VALUES = hnp.arrays(np.float64, (2, 1), elements=st.floats(-1.5, 1.5))


@settings(max_examples=40)
@given(source=programs(), x=X_VALUES, y=Y_VALUES)
def test_random_programs_against_finite_differences(program_dir, source, x, y):
    program = _load(program_dir, source)
    assume_finite(program, (x, y, 1.0))
    assert_grad_matches_fd(program, (x, y, 1.0), wrt=(0, 1), elementwise=True)
    assert_grad_matches_fd(program, (x, y, 1.0), wrt="y", elementwise=False)


# found by this test: y's adjoint is `bout` at the end of both arms, and is lost
ARMS_AGREE = """import numpy as np


def program(x, y, c):
    v0 = 2.0 * y
    if c > 0:
        y = v0 + y
    else:
        v1 = np.sin(x)
    return np.sum(v0) + np.sum(y)
"""


@settings(max_examples=40)
@example(source=ARMS_AGREE, x=np.zeros(3), y=np.zeros((2, 1)), c=1.0)
@given(source=programs(branches=True), x=X_VALUES, y=Y_VALUES,
       c=st.sampled_from([-1.0, 0.25, 1.0]))
def test_random_programs_with_branches_against_finite_differences(program_dir, source, x, y,
                                                                   c):
    program = _load(program_dir, source)
    assume_finite(program, (x, y, c))
    assert_grad_matches_fd(program, (x, y, c), wrt=(0, 1), elementwise=True)



@settings(max_examples=40)
@given(source=programs(loops=True), x=X_VALUES, y=Y_VALUES, n=st.integers(0, 3))
def test_random_programs_with_loops_against_finite_differences(program_dir, source, x, y, n):
    program = _load(program_dir, source)
    assume_finite(program, (x, y, n))
    assert_grad_matches_fd(program, (x, y, n), wrt=(0, 1), elementwise=True)
