"""Forward mode against reverse mode against finite differences, as n grows:
the experiment of docs/experiments.md, through the Python API.

    python examples/forward_vs_reverse.py                  # about a minute
    python examples/forward_vs_reverse.py --quick          # a few seconds
    python examples/forward_vs_reverse.py --clock cpu      # on a machine others share

It writes docs/img/forward_vs_reverse.png (needs matplotlib: install the
extras with `python -m pip install -e '.[experiments]'`) and the numbers
beside it (forward_vs_reverse.csv and .json, expression_swell.json), then
prints the tables and the fitted slopes. The same as

    adcompiler compare --out docs/img --clock cpu
"""
import argparse
import json
import os

import numpy as np

from adcompiler import experiments, grad, jvp

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "docs", "img")


def one_function_by_hand(n=5):
    """The three gradients of Rosenbrock at one point, side by side."""
    x = np.random.default_rng(0).standard_normal(n) * 0.5
    reverse = grad(experiments.rosenbrock)(x)
    tangent = jvp(experiments.rosenbrock)
    forward = np.array([tangent(x, e)[1] for e in np.eye(n)])  # n passes
    fd = np.array([(experiments.rosenbrock(x + 1e-6 * e) - experiments.rosenbrock(x - 1e-6 * e))
                   / 2e-6 for e in np.eye(n)])             # 2n evaluations of f
    with np.printoptions(precision=6, suppress=True):
        print(f"rosenbrock at n = {n}\n  reverse  {reverse}\n  forward  {forward}\n"
              f"  fd       {fd}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clock", choices=sorted(experiments.CLOCKS), default="wall")
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args()
    one_function_by_hand()

    sizes = [10, 30, 100] if args.quick else experiments.log_sizes(10, 10_000)
    results = experiments.run(sizes=sizes, repeats=2 if args.quick else 7,
                              clock=args.clock, progress=True)
    print(results.table(), "", results.slope_table(), "", results.error_table(), sep="\n")
    results.save(args.out)
    try:
        print("\nplot:", experiments.plot(results, os.path.join(args.out,
                                                                "forward_vs_reverse.png")))
    except ImportError as exc:
        print(f"\nno plot: {exc}")
    try:
        swell = experiments.expression_swell(sizes=(2, 4) if args.quick
                                             else experiments.SWELL_SIZES)
    except ImportError as exc:
        print(f"no expression swell: {exc}")
    else:
        print("\n" + experiments.swell_table(swell))
        with open(os.path.join(args.out, "expression_swell.json"), "w") as fh:
            json.dump(swell, fh, indent=1)


if __name__ == "__main__":
    main()
