"""Unsupported constructs raise UnsupportedError (or NoRuleError) naming the file,
line, column and construct of the user's code, with a hint.

Each function below marks the line the error must point at with ``# <-``; the
test finds that line in this file, so the expected location is never typed in
by hand.
"""
import inspect
import math

import numpy as np
import pytest

from adcompiler import NoRuleError, UnsupportedError, grad, value_and_grad, vjp

COUNTER = 0


def helper(z):
    return z * 2


def uses_with(x):
    with open(__file__):  # <-
        y = x * 2
    return y


def uses_try(x):
    try:  # <-
        y = x * 2
    except ValueError:
        y = x
    return y


def uses_list_comprehension(x):
    parts = [x * k for k in (1, 2)]  # <-
    return np.sum(parts)


def uses_global(x):
    global COUNTER  # <-
    return x * COUNTER


def assigns_an_element(x):
    a = x
    a[0] = 1  # <- a is x: NumPy would change x too
    return np.sum(a * x)


_namespace = {}
exec("def made_by_exec(z):\n    return z * 2\n", _namespace)
made_by_exec = _namespace["made_by_exec"]


def calls_code_without_source(x):
    y = x + 1
    return made_by_exec(y)  # <-


def calls_a_function_without_rule(x):
    y = x + 1
    return math.gamma(y)  # <-



def uses_and(x, y):
    return x and y  # <-


def no_trailing_return(x):
    y = x * 2  # <-


def raises(x):
    if x < 0:
        raise ValueError("negative")  # <-
    return x


def augments_an_element(x):
    a = np.ones(4).reshape(2, 2)
    r = a.T
    r[1] += x  # <- r is a view of a
    return np.sum(a)


def uses_star_args(*xs):  # <-
    return xs[0]


def uses_fstring(x):
    label = f"{x}"  # <-
    return x


def imports_inside(x):
    import math  # <-
    return math.sin(x)


# (function, expected error class, words of the construct, text the column points at)
CASES = [
    (uses_with, UnsupportedError, "with", "with"),
    (uses_try, UnsupportedError, "try", "try"),
    (uses_list_comprehension, UnsupportedError, "list comprehension", "["),
    (uses_global, UnsupportedError, "global", "global"),
    (assigns_an_element, UnsupportedError, "element", "a[0]"),
    # rule errors point at the statement that holds the call
    (calls_a_function_without_rule, NoRuleError, "math.gamma", "return"),
    (calls_code_without_source, NoRuleError, "made_by_exec", "return"),
    (uses_and, NoRuleError, "and", "return"),
    (no_trailing_return, UnsupportedError, "return", "y = "),
    (raises, UnsupportedError, "raise", "raise"),
    (augments_an_element, UnsupportedError, "element", "r[1]"),
    (uses_star_args, UnsupportedError, "signature", "def"),
    (uses_fstring, UnsupportedError, "f-string", "f\""),
    (imports_inside, UnsupportedError, "import", "import"),
]

IDS = [(case.values if hasattr(case, "values") else case)[0].__name__ for case in CASES]


def marked_line(fn):
    """The line number and text of the line marked ``# <-`` in ``fn``."""
    lines, first = inspect.getsourcelines(fn)
    (k, text), = [(k, t) for k, t in enumerate(lines) if "# <-" in t]
    return first + k, text


def raise_error(fn):
    args = [1.0] * len(inspect.signature(fn).parameters) or [1.0]
    with pytest.raises(UnsupportedError) as info:
        grad(fn)(*args)
    return info.value


@pytest.mark.parametrize("fn, cls, construct, column_text", CASES, ids=IDS)
def test_error_names_file_line_column_and_construct(fn, cls, construct, column_text):
    error = raise_error(fn)
    assert isinstance(error, cls)
    assert error.loc is not None, f"{type(error).__name__} without a location: {error}"
    line, text = marked_line(fn)
    column = text.index(column_text)
    assert error.loc.filename == __file__
    assert (error.loc.line, error.loc.col) == (line, column)
    message = str(error)
    assert f"{__file__}:{line}:{column + 1}: " in message
    assert construct in error.construct or construct in error.message
    assert text.rstrip() in message   # the offending line is shown


@pytest.mark.parametrize("fn", [getattr(case, "values", case)[0] for case in CASES], ids=IDS)
def test_error_has_a_hint(fn):
    error = raise_error(fn)
    assert error.hint and f"hint: {error.hint}" in str(error)


@pytest.mark.parametrize("make", [grad, value_and_grad, vjp])
def test_errors_come_from_every_entry_point(make):
    with pytest.raises(UnsupportedError, match="with"):
        make(uses_with).source
    with pytest.raises(UnsupportedError, match="with"):
        make(uses_with).ssa


def test_no_rule_error_is_an_unsupported_error():
    assert issubclass(NoRuleError, UnsupportedError)


lambda_at_module_level = lambda x: x * 2  # noqa: E731


def test_a_lambda_is_differentiated():
    assert grad(lambda_at_module_level)(1.0) == 2.0
    assert grad(lambda y: y ** 3)(2.0) == 12.0


def test_a_numpy_function_is_refused():
    with pytest.raises(UnsupportedError, match="not a Python function"):
        grad(np.sin)(1.0)


class Model:
    def loss(self, x):
        return x * 2


def test_a_bound_method_is_refused():
    with pytest.raises(UnsupportedError, match="not a Python function"):
        grad(Model().loss)(1.0)


# ---- what is allowed next to these errors -------------------------------------------------
def calls_helper_on_a_constant(x):
    return x * helper(3.0)


def and_on_inactive_values(x, y):
    flag = x > 0 and y > 0
    return x * 2 if flag else x * 3


def calls_code_without_source_on_a_constant(x):
    return x * made_by_exec(3.0)


def test_unknown_function_of_inactive_values_is_fine():
    assert grad(calls_helper_on_a_constant)(2.0) == 6.0


def test_code_without_source_on_inactive_values_is_fine():
    # it cannot be inlined, but with constant arguments it needs no derivative
    assert grad(calls_code_without_source_on_a_constant)(2.0) == 6.0


def uses_lambda(x):
    double = lambda z: z * 2  # noqa: E731
    return double(x)


def uses_nested_def(x):
    def double(z):
        return z * np.sin(z)
    return double(x)


def calls_a_module_function(x):
    y = x + 1
    return helper(y)


def test_lambdas_nested_defs_and_user_functions_are_inlined():
    # refused when issue 2 began; inlined since: keep them from regressing to errors
    assert grad(uses_lambda)(1.0) == 2.0
    assert grad(uses_nested_def)(0.5) == pytest.approx(np.sin(0.5) + 0.5 * np.cos(0.5))
    assert grad(calls_a_module_function)(1.0) == 2.0


def test_and_of_conditions_is_fine():
    assert grad(and_on_inactive_values)(1.0, 1.0) == 2.0
    assert grad(and_on_inactive_values)(1.0, -1.0) == 3.0


def test_error_is_raised_again_on_the_next_call():
    for _ in range(2):
        with pytest.raises(NoRuleError):
            grad(calls_a_function_without_rule)(1.0)


def row_written(X):
    Y = X.copy()
    s = 0.0
    for i, row in enumerate(Y):
        row[0] = row[1] * i  # NumPy writes into Y: refused, not differentiated as a copy
        s = s + np.sum(row ** 2)
    return s + np.sum(Y ** 3)


def test_writing_into_a_loop_row_is_refused():
    # found in review: the write was taken for a write into a copy, a silent wrong gradient
    with pytest.raises(UnsupportedError, match="view of another array"):
        grad(row_written)(np.ones((3, 3)))
