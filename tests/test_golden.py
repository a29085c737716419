"""Golden files: the exact text adcompiler generates for a few functions.

tests/golden/<name>.py holds the ``.source`` of each case below. When a change
to the compiler changes the generated code on purpose, rewrite them with

    ADCOMPILER_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

and review the diff like any other code change.
"""
import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from adcompiler import grad, vjp

GOLDEN = pathlib.Path(__file__).parent / "golden"
UPDATE = os.environ.get("ADCOMPILER_UPDATE_GOLDEN") == "1"


def square_of_affine(x):
    return (3 * x + 2) ** 2


def tiny_network(x, y, w1, w2):
    z1 = w1 * x
    a1 = max(0, z1)
    z2 = w2 * a1
    return (z2 - y) ** 2


def logistic_loss(w, b, x, y):
    z = x @ w + b
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def piecewise(x, y):
    if x > y:
        z = x * y
    else:
        z = x - y
    return z * z


def softplus_rows(x):
    return np.log(1 + np.exp(x)).sum(axis=1)


def logistic_map(x, r, steps):
    for i in range(steps):
        x = r * x * (1 - x)  # the tape keeps x; r * x and 1 - x are redone going back
    return x


# name -> (function, derivative maker, wrt)
CASES = {
    "grad_square_of_affine": (square_of_affine, grad, 0),
    "grad_tiny_network": (tiny_network, grad, ("w1", "w2")),
    "grad_logistic_loss": (logistic_loss, grad, ("w", "b")),
    "grad_piecewise": (piecewise, grad, (0, 1)),
    "vjp_softplus_rows": (softplus_rows, vjp, 0),
    "grad_logistic_map": (logistic_map, grad, (0, 1)),
}


def generated(module, name):
    """The text generated for case ``name``, taking its function from ``module``."""
    fn, make, wrt = CASES[name]
    return make(getattr(module, fn.__name__), wrt=wrt).source


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_code_matches_golden_file(name):
    path = GOLDEN / f"{name}.py"
    text = generated(sys.modules[__name__], name)
    if UPDATE:
        path.write_text(text)
    assert path.exists(), (f"no golden file {path}; create it with "
                           "ADCOMPILER_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py")
    assert text == path.read_text(), (
        f"the code generated for {name} changed; if on purpose, rewrite the golden files with "
        "ADCOMPILER_UPDATE_GOLDEN=1 and review the diff")


def test_no_stray_golden_files():
    assert {p.stem for p in GOLDEN.glob("*.py")} == set(CASES)


def test_golden_code_computes_the_gradient():
    """The golden text is what runs: executing it gives finite-difference values."""
    namespace = {"np": np, "runtime": sys.modules["runtime"]}
    exec((GOLDEN / "grad_piecewise.py").read_text(), namespace)
    for x, y in [(2.0, 1.0), (0.5, 1.5)]:
        value, (dx, dy) = namespace["grad_piecewise"](x, y)
        eps = 1e-6
        assert value == piecewise(x, y)
        assert dx == pytest.approx((piecewise(x + eps, y) - piecewise(x - eps, y)) / (2 * eps))
        assert dy == pytest.approx((piecewise(x, y + eps) - piecewise(x, y - eps)) / (2 * eps))


def test_fresh_functions_from_the_same_source_give_the_same_text():
    # this file loaded again as a new module: new function objects, new globals
    spec = importlib.util.spec_from_file_location("golden_twin", __file__)
    twin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twin)
    for name in CASES:
        fn = CASES[name][0]
        assert getattr(twin, fn.__name__) is not fn
        assert generated(twin, name) == generated(sys.modules[__name__], name)


_IN_A_NEW_PROCESS = """
import json, sys, importlib.util
spec = importlib.util.spec_from_file_location("golden_cases", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({name: module.generated(module, name) for name in module.CASES}))
"""


def test_text_does_not_depend_on_hash_seed():
    """Set and dict order must never reach the output: two hash seeds, same text."""
    here = {name: generated(sys.modules[__name__], name) for name in CASES}
    tests_dir = str(pathlib.Path(__file__).parent)
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed,
                   PYTHONPATH=os.pathsep.join(filter(None, [tests_dir,
                                                            os.environ.get("PYTHONPATH")])))
        run = subprocess.run([sys.executable, "-c", _IN_A_NEW_PROCESS, __file__], env=env,
                             capture_output=True, text=True, check=True)
        assert json.loads(run.stdout) == here


def test_pipeline_doc_shows_the_real_output():
    """docs/pipeline.md pastes the output for the demo loss: keep it true."""
    from adcompiler import cli
    doc = (pathlib.Path(__file__).parents[1] / "docs" / "pipeline.md").read_text()
    blocks = [b.split("\n", 1)[1] for b in doc.split("```")[1::2]]
    g = grad(cli.loss, wrt=("w", "b"))
    g(cli.W, cli.B, cli.X, cli.Y)  # the source shown is compiled for these shapes
    assert g.ssa + "\n" in blocks, "docs/pipeline.md: the .ssa block is out of date"
    assert g.source in blocks, "docs/pipeline.md: the .source block is out of date"
    shown_vjp = next(b for b in blocks if b.startswith("def vjp_loss"))
    head = shown_vjp.split("    ...\n")[0]
    v = vjp(cli.loss, wrt=("w", "b"))
    v(cli.W, cli.B, cli.X, cli.Y, 1.0)  # compiled for these shapes: the output's is known
    assert v.source.startswith(head), "docs/pipeline.md: the optimised vjp block is out of date"


def test_readme_example_prints_what_the_readme_shows(tmp_path):
    """README.md's usage example, run as a script, prints its gradient and code."""
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    blocks = [b.split("\n", 1)[1] for b in readme.split("```")[1::2]]
    example = next(b for b in blocks if "@grad" in b)
    shown_code = next(b for b in blocks if b.startswith("def grad_loss"))
    shown_value = example.split("# d loss / d w: ")[1].splitlines()[0]
    script = tmp_path / "example.py"
    script.write_text(example)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         check=True)
    value, code = run.stdout.split("\n", 1)
    assert value == shown_value, "README.md: the gradient shown is out of date"
    assert code == shown_code + "\n", "README.md: the generated code shown is out of date"


def euler_steps(a, b, x, steps):
    for i in range(steps):
        x = x + 0.01 * (a * np.sin(x) - b * x)
    return x


def test_a_long_line_is_not_broken_inside_a_name():
    from adcompiler import jvp
    j = jvp(euler_steps, wrt=(0, 1))
    j(1.5, 0.5, 0.3, 20, (1.0, 0.0))
    lines = j.source.splitlines()
    assert any(line.rstrip().endswith(("*", "+", "-", "(")) for line in lines)  # one wrapped
    assert not [line for line in lines if line.rstrip().endswith(".")], j.source
    assert "runtime.cos(x_1)" in j.source
