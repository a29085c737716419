"""Random programs with branches, loops, break, continue and return, against finite differences.

Each example is a program drawn by ``random_programs.programs()`` and inputs
for it. adcompiler's gradient with respect to both inputs must match central
finite differences in every coordinate, wherever the finite differences can
be trusted (away from branch boundaries; see ``random_programs.fd_check``);
the value returned next to the gradient must be the program's own value.

The number of programs per run is RANDOM_PROGRAMS below; ask for more with
ADCOMPILER_RANDOM_PROGRAMS=N, and for loops and ifs nested deeper than 2 with
ADCOMPILER_RANDOM_DEPTH=3 (it finds test_control_flow.py's
test_break_after_a_loop_that_may_return, which needs a return in a loop in an
if in a loop).
"""
import os

import numpy as np
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from adcompiler import value_and_grad
from random_programs import fd_check, forget, load, programs

RANDOM_PROGRAMS = int(os.environ.get("ADCOMPILER_RANDOM_PROGRAMS", "2000"))

# Inputs are shifted off the round numbers hypothesis likes (0.0, equal
# elements): at a = 0 a condition such as a * np.tanh(a) > 0 or
# (b < 0 or b > 0) is false at the point alone, where the function is smooth
# all the same; the derivative of the branch taken is then not the function's,
# and no finite difference can tell.
VALUES = st.floats(-1.5, 1.5, allow_subnormal=False)
X = hnp.arrays(np.float64, (2,), elements=VALUES).map(lambda x: x + [0.0137, -0.0291])
Y = hnp.arrays(np.float64, (3,), elements=VALUES).map(lambda y: y + [0.0173, -0.0219, 0.0311])


def check_program(source, x, y):
    """Compare the program's gradient with finite differences; assume() away the
    examples where finite differences say nothing."""
    program, filename = load(source)
    try:
        value = program(x, y)
        assume(np.isfinite(value) and abs(value) < 1e6)
        got_value, (gx, gy) = value_and_grad(program, wrt=(0, 1))(x, y)
        assert got_value == value, f"value {got_value} != program(x, y) = {value}"
        for i, (arg, g) in enumerate([(x, gx), (y, gy)]):
            assert np.shape(g) == np.shape(arg)
            for k in range(arg.size):
                e = np.zeros(arg.size)
                e[k] = 1.0
                numeric = fd_check(program, (x, y), i, e)
                assume(numeric is not None)
                analytic = float(g[k])
                assert abs(analytic - numeric) <= 1e-5 * max(1.0, abs(numeric)), \
                    f"d/d{'xy'[i]}[{k}]: adcompiler {analytic!r}, finite differences {numeric!r}"
    finally:
        forget(filename)


# found by this test, shrunk by hypothesis: `a, b = b, a` then `a = ...` in a loop
# lost the adjoint of b (see also test_control_flow.py's shift)
CARRIED_COPY = """import numpy as np


def program(x, y):
    a = x[0]
    b = x[1]
    v = y
    w = np.cos(y)
    s = 0.5 * a
    for i0 in range(1):
        a, b = b, a
        a = np.tanh(b)
    return a + 0.5 * b + np.sum(0.5 * v + w + s) + 0.5 * a
"""


@settings(max_examples=RANDOM_PROGRAMS, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@example(source=CARRIED_COPY, x=np.zeros(2), y=np.zeros(3))
@given(source=programs(), x=X, y=Y)
def test_random_programs_against_finite_differences(source, x, y):
    check_program(source, x, y)
