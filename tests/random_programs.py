"""Random programs with control flow, and a finite-difference oracle for them.

``programs()`` is a hypothesis strategy (``@st.composite``, so a failing
program shrinks to a small one) drawing the source text of a function

    def program(x, y):          # x: shape (2,), y: shape (3,)
        a = x[0]
        b = x[1]
        v = y
        w = np.cos(y)
        s = 0.5 * a
        ...                     # straight-line code, if/else, for over range, arrays,
        return <scalar>         # enumerate, zip; while; break, continue, return

over two scalars ``a, b``, two vectors ``v, w`` of shape (3,), and ``s``,
which starts as a scalar and may become a vector and a scalar again. Every
variable is assigned before the body, and a, b, v, w keep their shapes (a
statement gives a scalar a scalar expression, a vector a vector one), so
every program runs.
Operations are smooth (sin, cos, tanh, +, -, *, small constants, np.sum,
np.dot, broadcasting); a product always has a factor squashed by tanh, so
values stay bounded through loops. Conditions test the differentiated values
themselves, so finite differences may straddle a branch boundary: ``fd_check``
says when they do, and the caller then discards the example.

``load(source)`` compiles the text under a filename registered in
``linecache``, so ``inspect.getsource`` (and adcompiler) can read it without
a file on disk.
"""
import itertools
import linecache
import os

import numpy as np
from hypothesis import strategies as st

from helpers import directional_fd

SCALARS = ("a", "b")
VECTORS = ("v", "w")
CONSTANTS = ("0.5", "1.5", "-0.7", "0.3")
THRESHOLDS = ("-0.5", "0.0", "0.3", "1.0")
# s starts as a scalar and may become a vector (s = s + v) and a scalar again:
# the adjoint's shape changes from one iteration to the next. Only its own
# updates and the return read it.
MIXED = "s"
PROLOGUE = ["a = x[0]", "b = x[1]", "v = y", "w = np.cos(y)", "s = 0.5 * a"]
# loops and ifs nest this deep at most; deeper finds more (and costs more)
MAX_DEPTH = int(os.environ.get("ADCOMPILER_RANDOM_DEPTH", "2"))
UNARY = ("np.sin", "np.cos", "np.tanh")


class Scope:
    """Where a statement goes: how deep, and the loop counters (ints) and loop
    items (scalars, read-only) of the loops around it."""

    def __init__(self, depth=0, counters=(), items=()):
        self.depth, self.counters, self.items = depth, tuple(counters), tuple(items)

    @property
    def in_loop(self):
        return bool(self.counters)

    def inner(self, counters=(), items=()):
        return Scope(self.depth + 1, self.counters + tuple(counters), self.items + tuple(items))


# -- expressions ------------------------------------------------------------------------
def scalar_expr(draw, scope, depth=2):
    """A scalar expression over the variables."""
    kinds = ["name", "const"] + ["unary", "add", "sub", "mul", "scale", "sum", "dot"] * (depth > 0)
    kind = draw(st.sampled_from(kinds))
    if kind == "name":
        return draw(st.sampled_from(SCALARS + scope.items))
    if kind == "const":
        return draw(st.sampled_from(CONSTANTS))
    if kind == "unary":
        return f"{draw(st.sampled_from(UNARY))}({scalar_expr(draw, scope, depth - 1)})"
    if kind in ("add", "sub"):
        op = "+" if kind == "add" else "-"
        return f"({scalar_expr(draw, scope, depth - 1)} {op} {scalar_expr(draw, scope, depth - 1)})"
    if kind == "mul":  # one factor squashed: products cannot blow up in loops
        return (f"{scalar_expr(draw, scope, depth - 1)} * "
                f"np.tanh({scalar_expr(draw, scope, depth - 1)})")
    if kind == "scale":
        return f"{draw(st.sampled_from(CONSTANTS))} * {scalar_expr(draw, scope, depth - 1)}"
    if kind == "sum":
        return f"np.sum({vector_expr(draw, scope, depth - 1)})"
    return (f"np.dot({vector_expr(draw, scope, depth - 1)}, "
            f"np.tanh({vector_expr(draw, scope, depth - 1)}))")


def vector_expr(draw, scope, depth=2):
    """A vector expression of shape (3,); scalars broadcast into it."""
    kinds = ["name"] + ["unary", "add", "sub", "mul", "broadcast", "scale"] * (depth > 0)
    kind = draw(st.sampled_from(kinds))
    if kind == "name":
        return draw(st.sampled_from(VECTORS))
    if kind == "unary":
        return f"{draw(st.sampled_from(UNARY))}({vector_expr(draw, scope, depth - 1)})"
    if kind in ("add", "sub"):
        op = "+" if kind == "add" else "-"
        return f"({vector_expr(draw, scope, depth - 1)} {op} {vector_expr(draw, scope, depth - 1)})"
    if kind == "mul":
        return (f"{vector_expr(draw, scope, depth - 1)} * "
                f"np.tanh({vector_expr(draw, scope, depth - 1)})")
    if kind == "broadcast":  # a scalar against a vector, on either side
        s, vec = scalar_expr(draw, scope, depth - 1), vector_expr(draw, scope, depth - 1)
        form = draw(st.sampled_from(["({0} + {1})", "({1} - {0})", "np.tanh({0}) * {1}",
                                     "{0} * np.tanh({1})"]))
        return form.format(s, vec)
    return f"{draw(st.sampled_from(CONSTANTS))} * {vector_expr(draw, scope, depth - 1)}"


def condition(draw, scope, depth=2):
    """A condition on the differentiated values, or on the counter of a loop around it."""
    kinds = ["active", "active"] + ["not", "and", "or"] * (depth > 0)
    kinds += ["counter"] * scope.in_loop
    kind = draw(st.sampled_from(kinds))
    if kind == "counter":
        i = draw(st.sampled_from(scope.counters))
        return draw(st.sampled_from([f"{i} == 1", f"{i} > 0", f"{i} % 2 == 0"]))
    if kind == "active":
        op = draw(st.sampled_from(["<", ">"]))
        return f"{scalar_expr(draw, scope, 1)} {op} {draw(st.sampled_from(THRESHOLDS))}"
    if kind == "not":
        return f"not {condition(draw, scope, depth - 1)}"
    op = "and" if kind == "and" else "or"
    return f"({condition(draw, scope, depth - 1)} {op} {condition(draw, scope, depth - 1)})"


def result(draw, scope):
    """The value returned: every variable takes part."""
    weights = [draw(st.sampled_from(CONSTANTS)) for _ in range(3)]
    return (f"return a + {weights[0]} * b + np.sum({weights[1]} * v + w + s) "
            f"+ {weights[2]} * {scalar_expr(draw, scope, 1)}")


# -- statements -------------------------------------------------------------------------
def assignment(draw, scope):
    target = draw(st.sampled_from(SCALARS + VECTORS + (MIXED,)))
    if target == MIXED:  # a scalar or a vector, depending on the path taken
        form = draw(st.sampled_from(["s = s + {v}", "s = s * np.tanh({s})",
                                     "s = np.sin(s) + {s}", "s = {s}"]))
        return [form.format(v=vector_expr(draw, scope, 1), s=scalar_expr(draw, scope, 1))]
    expr = scalar_expr(draw, scope) if target in SCALARS else vector_expr(draw, scope)
    forms = ["{t} = {e}", "{t} = {e}", "{t} = np.tanh({e})", "swap"]
    if target in SCALARS:
        # not on vectors: NumPy's += writes into every alias (v = y is the input)
        forms.append("{t} += 0.5 * {e}")
    form = draw(st.sampled_from(forms))
    if form == "swap":  # a parallel assignment: a, b = b, a or v, w = w, v
        pair = SCALARS if target in SCALARS else VECTORS
        return [f"{pair[0]}, {pair[1]} = {pair[1]}, {expr}"]
    return [form.format(t=target, e=expr)]


def indent(lines):
    return ["    " + line for line in lines]


def block(draw, scope, size=(1, 3)):
    lines = []
    for _ in range(draw(st.integers(*size))):
        lines += statement(draw, scope)
    return lines


def statement(draw, scope):
    kinds = ["assign"] * 3 + ["return"]
    if scope.depth < MAX_DEPTH:
        kinds += ["if"] * 2 + ["loop"] * 3
    if scope.in_loop:
        kinds += ["break", "continue"]
    kind = draw(st.sampled_from(kinds))
    if kind == "assign":
        return assignment(draw, scope)
    if kind in ("break", "continue", "return"):  # always under an if, maybe after a statement
        before = block(draw, scope.inner(), (0, 1))
        last = result(draw, scope) if kind == "return" else kind
        return [f"if {condition(draw, scope)}:"] + indent(before + [last])
    if kind == "if":
        lines = [f"if {condition(draw, scope)}:"] + indent(block(draw, scope.inner()))
        if draw(st.booleans()):
            lines += ["else:"] + indent(block(draw, scope.inner()))
        return lines
    return loop(draw, scope)


def loop(draw, scope):
    d = scope.depth
    i, e, f = f"i{d}", f"e{d}", f"f{d}"
    kind = draw(st.sampled_from(["range", "range", "while", "items", "enumerate", "zip"]))
    if kind == "range":
        bounds = draw(st.sampled_from(["0", "1", "2", "3", "1, 4", "3, 0, -1", "0, 4, 2",
                                       "len(v)", "len(v) - 1, -1, -2"]))
        return [f"for {i} in range({bounds}):"] + indent(block(draw, scope.inner([i])))
    if kind == "while":
        # a data-dependent condition, bounded by the counter; the counter
        # moves first, so a `continue` cannot skip it
        test = f"{i} < {draw(st.integers(0, 3))}"
        if draw(st.booleans()):
            test += f" and {condition(draw, scope)}"
        body = [f"{i} = {i} + 1"] + block(draw, scope.inner([i]))
        return [f"{i} = 0", f"while {test}:"] + indent(body)
    # loops over the items of an array; i is a counter of their own so that
    # conditions may test something that changes from one iteration to the next
    seq = draw(st.sampled_from(VECTORS + ("v[1:]", "w[::-1]")))
    if kind == "items":
        header = f"for {e} in {seq}:"
        inner = scope.inner([], [e])
    elif kind == "enumerate":
        header = f"for {i}, {e} in enumerate({seq}):"
        inner = scope.inner([i], [e])
    else:  # of unequal lengths, sometimes
        other = draw(st.sampled_from(VECTORS + ("v[:2]",)))
        header = f"for {e}, {f} in zip({seq}, {other}):"
        inner = scope.inner([], [e, f])
    return [header] + indent(block(draw, inner))


@st.composite
def programs(draw):
    """The source text of a random ``def program(x, y)`` returning a scalar."""
    scope = Scope()
    body = block(draw, scope, (1, 4))
    lines = PROLOGUE + body + [result(draw, scope)]
    return "import numpy as np\n\n\ndef program(x, y):\n" + "\n".join(indent(lines)) + "\n"


# -- running them -------------------------------------------------------------------------
_counter = itertools.count(1)


def load(source, name="program"):
    """The function ``name`` defined by ``source``, readable by inspect.getsource.

    The text is registered in ``linecache`` under a made-up filename (mtime None,
    so ``linecache.checkcache`` keeps it); no file is written. Returns the
    function and the filename (``forget`` it when done).
    """
    filename = f"<random program {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "random_program"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name], filename


def forget(filename):
    linecache.cache.pop(filename, None)


def one_sided(f, args, i, v, h, sign):
    """Second-order one-sided difference (-3 f0 + 4 f1 - f2) / 2h, stepping by sign * h."""
    x = np.asarray(args[i], dtype=np.float64)

    def at(m):
        moved = list(args)
        moved[i] = x + sign * m * h * v
        return float(f(*moved))

    return sign * (-3 * at(0) + 4 * at(1) - at(2)) / (2 * h)


def fd_check(f, args, i, v, tol=1e-6):
    """The directional derivative of ``f`` along ``v`` in argument ``i``, or None
    where finite differences cannot be trusted.

    Central differences at two step sizes detect a jump near ``x`` (its share
    grows as the step shrinks); one-sided differences from the left and the
    right detect a kink exactly at ``x``, which central differences average
    over at every step size (hypothesis likes inputs such as 0.0 that sit
    right on a condition like ``a > 0.0``).
    """
    estimates = [directional_fd(f, args, i, v, eps) for eps in (1e-5, 1e-6)]
    estimates += [one_sided(f, args, i, v, 1e-5, s) for s in (1, -1)]
    estimates = [float(e) for e in estimates]
    scale = max(1.0, max(abs(e) for e in estimates))
    if max(estimates) - min(estimates) > tol * scale:
        return None
    return estimates[0]
