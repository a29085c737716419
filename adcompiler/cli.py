"""The ``adcompiler`` command: ``demo`` shows the compiler at work on one function,
``compare`` runs the experiments (``adcompiler.experiments``).

    adcompiler demo
    adcompiler compare --help
"""
import argparse
import inspect
import os
import sys

import numpy as np

from .api import grad
from .checking import check_grad


def loss(w, b, x, y):
    """Mean squared error of a one-layer tanh model: the function ``demo`` differentiates."""
    z = x @ w + b
    p = np.tanh(z)
    return np.mean((p - y) ** 2)


# four examples of three features, their targets, and a starting point
X = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 1.5], [2.0, 0.5, -0.5], [1.0, 1.0, 1.0]])
Y = np.array([1.0, -1.0, 0.5, 0.0])
W = np.array([0.1, -0.2, 0.3])
B = 0.05


def demo(out=sys.stdout):
    """Print the demo function, its SSA form, its generated gradient and their values."""
    d_loss = grad(loss, wrt=("w", "b"))

    def section(title, text):
        print(f"# ---- {title}\n{text.rstrip()}\n", file=out)

    gw, gb = d_loss(W, B, X, Y)  # compiles for these arguments' shapes, then runs
    section("the function (adcompiler/cli.py)", inspect.getsource(loss))
    section("its SSA form: d_loss.ssa", d_loss.ssa)
    section("the generated gradient, for x of shape (4, 3): d_loss.source", d_loss.source)
    with np.printoptions(precision=6, suppress=True):
        section("values", f"w = {W}, b = {B}\nloss(w, b, x, y) = {loss(W, B, X, Y):.6f}\n"
                          f"dloss/dw = {gw}\ndloss/db = {gb:.6f}")
    check = check_grad(loss, W, B, X, Y, wrt=("w", "b"))
    section("check_grad against central differences",
            f"worst relative error {check.error:.1e} ({'ok' if check.ok() else 'FAILED'})")
    return 0 if check.ok() else 1


def compare(argv):
    """Hand the arguments to ``adcompiler.experiments.main``, imported only now."""
    try:
        from .experiments import main as experiments_main
    except ImportError as exc:
        print(f"adcompiler compare: the experiments are not available ({exc}).\n"
              "They live in adcompiler/experiments.py; install their extras with "
              "`python -m pip install -e '.[experiments]'`.", file=sys.stderr)
        return 2
    return experiments_main(argv)


def _parser():
    parser = argparse.ArgumentParser(
        prog="adcompiler",
        description="Source-transformation automatic differentiation for Python and NumPy.")
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.add_parser("demo", help="differentiate a small loss function and show every stage",
                        description="Differentiate a small loss function; print its source, "
                                    "SSA form, generated gradient, values and a gradient check.")
    commands.add_parser("compare", add_help=False,
                        help="run the experiments comparing adcompiler with other tools "
                             "(arguments go to adcompiler.experiments; try `compare --help`)")
    return parser


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "compare":
        # everything after `compare`, --help included, belongs to the experiments
        return compare(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        try:
            return demo()
        except BrokenPipeError:  # `adcompiler demo | head`: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
