"""The forward vs reverse experiment (adcompiler.experiments), at small n only.

What the experiment reports must be true: the counts it extrapolates equal
the counts of running every pass, the three gradients agree, reverse mode's
operation count does not grow with n while forward mode's and finite
differences' grow as n. Timing is never asserted here.
"""
import json
import sys

import numpy as np
import pytest

from adcompiler import experiments as ex
from adcompiler.api import compile_derivative
from runtime.counting import counted, counting

SMALL = {"sum_of_squares": 10, "rosenbrock": 10, "mlp_loss": 20, "recurrence": 10}


def methods(name, n=None):
    problem = ex.BY_NAME[name]
    n = n or SMALL[name]
    return ex.Methods(problem, problem.make_args(n, np.random.default_rng(1)))


@pytest.mark.parametrize("name", sorted(SMALL))
def test_extrapolated_counts_equal_the_counts_of_every_pass(name):
    m = methods(name)
    counts, ran = m.counts(), m.counts_by_running()
    assert counts["forward"] == ran["forward"]
    assert counts["fd"] == ran["fd"]


@pytest.mark.parametrize("name", sorted(SMALL))
def test_forward_mode_and_fd_agree_with_reverse_mode(name):
    m = methods(name)
    g = np.asarray(m.reverse(), dtype=float)
    np.testing.assert_allclose(m.forward(), g, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m.fd(), g, rtol=1e-6, atol=1e-8)
    errors = m.errors()
    assert errors["forward"] < 1e-12 and errors["fd"] < 1e-6


def test_fd_leaves_the_arguments_unchanged():
    m = methods("rosenbrock")
    before = m.x.copy()
    m.fd()
    assert np.array_equal(m.x, before) and np.array_equal(m.args[0], before)


@pytest.mark.parametrize("name", ["sum_of_squares", "rosenbrock", "mlp_loss"])
def test_vectorised_functions_reverse_count_does_not_grow_with_n(name):
    small, large = methods(name, 10 if name != "mlp_loss" else 20), methods(name, 200)
    cs, cl = small.counts(), large.counts()
    assert cs["f"][0] == cl["f"][0] and cs["reverse"][0] == cl["reverse"][0]
    # forward mode: n passes of a fixed number of operations
    assert cl["forward"][0] / cs["forward"][0] == pytest.approx(large.n / small.n)


def test_loop_counts_grow_as_n_for_reverse_and_n_squared_for_forward():
    small, large = methods("recurrence", 10), methods("recurrence", 40)
    cs, cl = small.counts(), large.counts()
    assert cl["f"][0] / cs["f"][0] == pytest.approx(4, rel=0.05)
    assert cl["reverse"][0] / cs["reverse"][0] == pytest.approx(4, rel=0.05)
    assert cl["forward"][0] / cs["forward"][0] == pytest.approx(16, rel=0.05)


def test_counts_of_a_known_function():
    # sum of squares: f is x ** 2 and a sum; one jvp adds dx * (2 * x) (two
    # multiplications) and the sum of the tangent
    m = methods("sum_of_squares", 10)
    c = m.counts()
    assert c["f"] == (2, 11)            # pow: 10 elements, sum: 1
    assert c["forward"][0] == 10 * 5    # pow, sum, mul, mul, sum per pass
    assert c["fd"] == (2 * 10 * 2, 2 * 10 * 11)


def test_counting_is_an_identity_outside_a_counting_block():
    fn = compile_derivative(ex.rosenbrock, "grad_only", (0,), counting=True).function
    plain = compile_derivative(ex.rosenbrock, "grad_only", (0,)).function
    x = np.linspace(-1, 1, 7)
    np.testing.assert_array_equal(fn(x), plain(x))
    with counting() as outer:
        with counting() as inner:
            counted("mul", np.ones(3))
        counted("add", 1.0)
    assert (inner.ops, inner.elements, outer.ops, outer.elements) == (1, 3, 2, 4)
    assert dict(outer.by_prim) == {"mul": 1, "add": 1}


def test_fit_slope():
    n = [10, 100, 1000]
    assert ex.fit_slope([(k, 3.0 * k) for k in n]) == pytest.approx(1.0)
    assert ex.fit_slope([(k, 2.5) for k in n]) == pytest.approx(0.0, abs=1e-12)
    assert ex.fit_slope([(10, 1.0)]) is None


def test_sizes_are_log_spaced_multiples_of_ten():
    assert ex.log_sizes(10, 10_000, 2) == [10, 30, 100, 320, 1000, 3160, 10000]
    assert ex.log_sizes(10, 1000, 1) == [10, 100, 1000]


def test_predict_extrapolates_between_linear_and_quadratic():
    assert ex.predict([], 100) == 0.0
    assert ex.predict([(10, 1.0)], 100) == pytest.approx(100.0)                # n^2
    assert ex.predict([(10, 1.0), (100, 10.0)], 1000) == pytest.approx(100.0)  # n^1
    assert ex.predict([(10, 1.0), (100, 1.0)], 1000) == pytest.approx(10.0)    # at least n


def test_run_and_save(tmp_path):
    results = ex.run(["sum_of_squares", "recurrence"], sizes=[10, 20], repeats=1,
                     min_sample=1e-5)
    assert len(results.rows) == 2 * 2 * len(ex.METHODS)
    slopes = results.slopes()
    assert slopes[("sum_of_squares", "reverse", "ops")] == pytest.approx(0.0, abs=1e-12)
    assert slopes[("sum_of_squares", "forward", "ops")] == pytest.approx(1.0)
    assert slopes[("recurrence", "fd", "ops")] == pytest.approx(1.0)
    for row in results.rows:
        assert row["seconds"] > 0 and row["ops"] > 0
        if row["method"] in ("forward", "fd"):
            assert row["error"] < 1e-6
    csv_path, json_path = results.save(tmp_path)
    assert open(csv_path).readline().strip() == ",".join(ex.Results.FIELDS)
    loaded = ex.Results.load(json_path)
    assert loaded.rows == json.loads(json.dumps(results.rows))
    assert "slope" in results.slope_table() and "recurrence" in results.table()


def test_the_command(tmp_path, capsys):
    code = ex.main(["--problems", "rosenbrock", "--sizes", "10", "20", "--repeats", "1",
                    "--no-plot", "--swell", "no", "--no-progress", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "rosenbrock" in out and "forward ops" in out and "slope" in out
    assert (tmp_path / "forward_vs_reverse.csv").exists()
    assert (tmp_path / "forward_vs_reverse.json").exists()


def test_the_cli_hands_compare_to_the_experiments(tmp_path, capsys):
    from adcompiler.cli import main
    assert main(["compare", "--problems", "sum_of_squares", "--sizes", "10", "--repeats", "1",
                 "--no-plot", "--swell", "no", "--no-progress", "--out", str(tmp_path)]) == 0
    assert "sum_of_squares" in capsys.readouterr().out


def test_missing_matplotlib_and_tqdm_say_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "tqdm", None)
    results = ex.run(["sum_of_squares"], sizes=[10, 20], repeats=1, min_sample=1e-5,
                     progress=True, out=sys.stdout)
    assert ".[experiments]" in capsys.readouterr().out
    with pytest.raises(ImportError, match=r"\.\[experiments\]"):
        ex.plot(results, str(tmp_path / "plot.png"))
    code = ex.main(["--problems", "sum_of_squares", "--sizes", "10", "20", "--repeats", "1",
                    "--swell", "no", "--no-progress", "--out", str(tmp_path)])
    assert code == 0 and "matplotlib" in capsys.readouterr().err


def test_expression_swell():
    try:
        import sympy  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="sympy"):
            ex.expression_swell(["sum_of_squares"], (2,))
        return
    rows = ex.expression_swell(["sum_of_squares", "recurrence"], (2, 4))
    by = {(r["problem"], r["n"]): r for r in rows}
    # x0**2 + x1**2: Add, and Pow(x, 2) twice; its gradient 2*x0, 2*x1
    assert by[("sum_of_squares", 2)]["f_tree"] == 7
    assert by[("sum_of_squares", 2)]["gradient_tree"] == 6
    # the recurrence's symbolic gradient outgrows its operation count
    assert by[("recurrence", 4)]["gradient_tree"] > 10 * by[("recurrence", 2)]["gradient_tree"]
    assert by[("recurrence", 4)]["reverse_ops"] < 3 * by[("recurrence", 2)]["reverse_ops"]
