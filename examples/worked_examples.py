"""The worked examples of issue 2: each function, the adjoint adcompiler
generates for it, and the gradient next to the value derived by hand.

    python examples/worked_examples.py

tests/test_core.py checks the same values.
"""
import inspect

import numpy as np  # noqa: F401  (the examples may use it; generated code does)

from adcompiler import grad


def square_of_affine(x):
    return (3 * x + 2) ** 2


def squared_prediction(w, x, b):
    return (w * x + b) ** 2


def tiny_network(x, y, w1, w2):
    z1 = w1 * x
    a1 = max(0, z1)
    z2 = w2 * a1
    return (z2 - y) ** 2


def cubic(x):
    return x ** 3 + 5 * x


# function, wrt, arguments, {derivative: (value by hand, how)}
EXAMPLES = [
    (square_of_affine, "x", dict(x=1.0),
     {"dy/dx": (30.0, "2 (3x + 2) * 3 = 2 * 5 * 3")}),
    (squared_prediction, ("w", "b", "x"), dict(w=2.0, x=3.0, b=1.0),
     {"dL/dw": (42.0, "2 (wx + b) x = 2 * 7 * 3"),
      "dL/db": (14.0, "2 (wx + b) = 2 * 7"),
      "dL/dx": (28.0, "2 (wx + b) w = 2 * 7 * 2")}),
    (tiny_network, ("w1", "w2"), dict(x=2.0, y=1.0, w1=0.5, w2=-0.3),
     {"dL/dw1": (1.56, "2 (z2 - y) w2 [z1 > 0] x = 2 * -1.3 * -0.3 * 1 * 2"),
      "dL/dw2": (-2.6, "2 (z2 - y) a1 = 2 * -1.3 * 1")}),
    (cubic, "x", dict(x=2.0),
     {"dy/dx": (17.0, "3x^2 + 5 = 12 + 5")}),
]


def run(out=None):
    """Print every example; return how many gradients differ from the hand values."""
    wrong = 0
    for fn, wrt, args, expected in EXAMPLES:
        d_fn = grad(fn, wrt=wrt)
        got = d_fn(**args)
        got = got if isinstance(got, tuple) else (got,)
        print("=" * 72, file=out)
        print(inspect.getsource(fn), file=out)
        print("# generated adjoint:", file=out)
        print(d_fn.source, file=out)
        print("at " + ", ".join(f"{k} = {v}" for k, v in args.items()), file=out)
        for (name, (value, how)), g in zip(expected.items(), got):
            ok = abs(g - value) <= 1e-12 * max(1.0, abs(value))
            wrong += not ok
            print(f"  {name} = {float(g):.6g}   by hand: {how} = {value:g}"
                  f"   {'ok' if ok else 'WRONG'}", file=out)
        print(file=out)
    return wrong


if __name__ == "__main__":
    raise SystemExit(1 if run() else 0)
