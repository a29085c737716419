"""Forward mode, reverse mode and finite differences: what a gradient costs as n grows.

    adcompiler compare                      # the defaults: about a minute
    adcompiler compare --quick              # a few seconds
    adcompiler compare --sizes 10 100 1000 --repeats 9 --out results/
    python -m adcompiler.experiments --help

For each function below, with n inputs and one output, and n log-spaced from
10 to 10^4, four ways of getting a value or gradient are measured side by side:

- ``f``: the function alone;
- ``reverse``: its gradient by reverse mode (one sweep);
- ``forward``: its gradient by forward mode (n jvp passes, one per input);
- ``fd``: central finite differences (2n evaluations of f).

Each is measured twice. Wall time: the median of ``repeats`` samples, with
the methods interleaved in each round so that drift of the machine hits them
alike. And a count of the primitive operations executed (and the elements
they produce), from the counting variant of the generated code
(``runtime.counting``): exact and free of noise. Tangents never steer control
flow, so every forward pass executes the same operations: the forward count is
n times that of one pass, the finite-difference count 2n times that of f (the
tests check both by running every pass at small n).

The results are costs relative to f at the same n, with the slope of
log(cost / cost(f)) against log n fitted per method: about 0 for reverse mode
(a gradient costs a few f's, whatever n), about 1 for forward mode and finite
differences (n passes). With sympy installed, ``expression_swell`` adds the
size of the symbolic gradient of the same functions at small n.

The API: ``run(...)`` returns ``Results`` (``.table()``, ``.slopes()``,
``.save(folder)``); ``plot(results, path)`` draws the log-log figure
(matplotlib); ``expression_swell(...)`` the symbolic sizes. See
docs/experiments.md for how to read them.
"""
import argparse
import csv
import gc
import json
import math
import os
import statistics
import sys
import time
import types

import numpy as np

from runtime.counting import counting

METHODS = ("f", "reverse", "forward", "fd")
FD_STEP = 1e-6
EXTRAS = "python -m pip install -e '.[experiments]'"


# ---- the functions: n inputs, one output -------------------------------------------------
def sum_of_squares(x):
    return np.sum(x ** 2)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def mlp_loss(w, inputs, targets):
    """A one-hidden-layer tanh network; its n weights are the inputs of the experiment."""
    hidden_weights = np.reshape(w, (inputs.shape[1], -1))
    hidden = np.tanh(inputs @ hidden_weights)
    prediction = np.mean(hidden, axis=1)
    return np.mean((prediction - targets) ** 2)


def recurrence(x):
    """A scalar recurrence over the inputs: n iterations of scalar Python code."""
    s = 0.0
    for xi in x:
        s = 0.5 * np.sin(s) + xi * s + xi
    return s


class Problem:
    """A function of n inputs (argument ``wrt``) and how to make its arguments."""

    def __init__(self, name, fn, make_args, wrt=0, note=""):
        self.name, self.fn, self.make_args, self.wrt, self.note = name, fn, make_args, wrt, note

    def __repr__(self):
        return f"Problem({self.name})"


MLP_FEATURES, MLP_EXAMPLES = 10, 16


def _vector(n, rng, scale=1.0):
    return scale * rng.standard_normal(n)


def _mlp_args(n, rng):
    n = MLP_FEATURES * max(1, round(n / MLP_FEATURES))  # whole hidden units
    return (rng.standard_normal(n) / np.sqrt(MLP_FEATURES),
            rng.standard_normal((MLP_EXAMPLES, MLP_FEATURES)), rng.standard_normal(MLP_EXAMPLES))


PROBLEMS = [
    Problem("sum_of_squares", sum_of_squares, lambda n, rng: (_vector(n, rng),),
            note="np.sum(x ** 2)"),
    Problem("rosenbrock", rosenbrock, lambda n, rng: (_vector(n, rng, 0.5),),
            note="the Rosenbrock function, vectorised"),
    Problem("mlp_loss", mlp_loss, _mlp_args,
            note=f"tanh network, {MLP_EXAMPLES} examples of {MLP_FEATURES} features"),
    Problem("recurrence", recurrence, lambda n, rng: (_vector(n, rng, 0.1),),
            note="a loop over the inputs: s = 0.5 sin(s) + x_i s + x_i"),
]
BY_NAME = {p.name: p for p in PROBLEMS}


def log_sizes(lo=10, hi=10_000, per_decade=2):
    """Log-spaced sizes from ``lo`` to ``hi``, rounded to multiples of 10 (mlp_loss's layer)."""
    count = int(round(math.log10(hi / lo) * per_decade)) + 1
    sizes = [int(round(v / 10.0)) * 10 for v in np.geomspace(lo, hi, count)]
    return sorted(set(max(10, s) for s in sizes))


# ---- the four methods ------------------------------------------------------------------------
class Methods:
    """The four methods for one problem at one size, as calls without arguments.

    Derivatives are the generated functions themselves (compiled once, before
    any timing), so the API's argument handling is not part of what is timed.
    """

    def __init__(self, problem, args):
        from .api import argument_shapes, compile_derivative
        self.problem, self.args = problem, tuple(args)
        self.fn, self.wrt = problem.fn, problem.wrt
        self.x = np.array(args[self.wrt], dtype=float)
        self.n = self.x.size
        shapes = argument_shapes(args)

        def compiled(kind, count=False):
            return compile_derivative(self.fn, kind, (self.wrt,), True, None, shapes,
                                      counting=count).function
        self.reverse_fn, self.jvp_fn = compiled("grad_only"), compiled("jvp")
        self.counted = {kind: compiled(kind, True) for kind in ("primal", "grad_only", "jvp")}

    def _with(self, x):
        args = list(self.args)
        args[self.wrt] = x
        return args

    def f(self):
        return self.fn(*self.args)

    def reverse(self):
        return self.reverse_fn(*self.args)

    def forward(self):
        """n jvp passes along the unit vectors, one buffer reused for all of them."""
        e, g = np.zeros(self.n), np.empty(self.n)
        args = self.args
        for k in range(self.n):
            e[k] = 1.0
            g[k] = self.jvp_fn(*args, e)[1]
            e[k] = 0.0
        return g

    def fd(self):
        """Central differences, perturbing one element of a copy of x at a time."""
        x, g = self.x.copy(), np.empty(self.n)
        args = self._with(x)
        for k in range(self.n):
            old = x[k]
            x[k] = old + FD_STEP
            plus = self.fn(*args)
            x[k] = old - FD_STEP
            minus = self.fn(*args)
            x[k] = old
            g[k] = (plus - minus) / (2 * FD_STEP)
        return g

    def call(self, method):
        return getattr(self, method)

    # -- counts ------------------------------------------------------------------------
    def counts(self):
        """{method: (operations, elements)}: f and reverse counted as run; forward as n
        times one jvp pass, fd as 2n times f (``counts_by_running`` checks both)."""
        e = np.zeros(self.n)
        e[0] = 1.0
        one = {}
        for kind, extra in (("primal", ()), ("grad_only", ()), ("jvp", (e,))):
            with counting() as c:
                self.counted[kind](*self.args, *extra)
            one[kind] = (c.ops, c.elements)
        n = self.n
        return {"f": one["primal"], "reverse": one["grad_only"],
                "forward": (n * one["jvp"][0], n * one["jvp"][1]),
                "fd": (2 * n * one["primal"][0], 2 * n * one["primal"][1])}

    def counts_by_running(self):
        """The forward and fd counts with every pass run (slow: for tests at small n)."""
        e = np.zeros(self.n)
        with counting() as fwd:
            for k in range(self.n):
                e[k] = 1.0
                self.counted["jvp"](*self.args, e)
                e[k] = 0.0
        x = self.x.copy()
        args = self._with(x)
        with counting() as fd:
            for k in range(self.n):
                for step in (FD_STEP, -FD_STEP):
                    x[k] = self.x[k] + step
                    self.counted["primal"](*args)
                x[k] = self.x[k]
        return {"forward": (fwd.ops, fwd.elements), "fd": (fd.ops, fd.elements)}

    def errors(self):
        """Largest differences of forward mode and fd from reverse mode, relative to
        the gradient's largest element: forward must agree to rounding, fd to ~1e-6."""
        g = np.asarray(self.reverse(), dtype=float).reshape(-1)
        scale = max(1.0, float(np.max(np.abs(g))))
        return {"forward": float(np.max(np.abs(self.forward() - g))) / scale,
                "fd": float(np.max(np.abs(self.fd() - g))) / scale}


# ---- timing ------------------------------------------------------------------------------
# wall: elapsed time; cpu: this process's processor time, which another busy
# process on the machine does not inflate (a long sample is descheduled more often)
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _time(call, number, clock=time.perf_counter):
    gc_was = gc.isenabled()
    gc.disable()
    try:
        start = clock()
        for _ in range(number):
            call()
        return (clock() - start) / number
    finally:
        if gc_was:
            gc.enable()


def time_methods(methods, names, repeats, min_sample=1e-3, clock="wall"):
    """{method: [seconds per call, one per round]}. Each sample loops a call long
    enough to last ``min_sample`` seconds; every round runs all methods, in an
    order rotated from round to round, so drift of the machine affects them alike
    and a ratio taken within one round cancels it."""
    calls = {m: methods.call(m) for m in names}
    clock = CLOCKS[clock]
    number = {}
    for m, call in calls.items():
        once = _time(call, 1)  # also a warm-up
        number[m] = max(1, int(min_sample / max(once, 1e-9)))
    samples = {m: [] for m in names}
    for r in range(repeats):
        order = list(names[r % len(names):]) + list(names[:r % len(names)])
        for m in order:
            samples[m].append(_time(calls[m], number[m], clock))
    return samples


# ---- the experiment -----------------------------------------------------------------------
class Results:
    """Rows of measurements: one per (problem, n, method)."""

    FIELDS = ("problem", "n", "method", "seconds", "ops", "elements",
              "time_ratio", "ops_ratio", "elements_ratio", "error")

    def __init__(self, rows=(), settings=None):
        self.rows = list(rows)
        self.settings = dict(settings or {})

    def add(self, problem, n, samples, counts, errors):
        """``samples``: {method: [seconds, one per round]} (``time_methods``). The time
        ratio is the median over rounds of the ratio within each round."""
        base = samples["f"]
        base_ops, base_el = counts["f"]
        for m in METHODS:
            t = samples.get(m)
            ops, el = counts[m]
            self.rows.append({
                "problem": problem, "n": n, "method": m,
                "seconds": None if t is None else statistics.median(t), "ops": ops,
                "elements": el,
                "time_ratio": None if t is None else
                statistics.median(a / b for a, b in zip(t, base)),
                "ops_ratio": ops / base_ops, "elements_ratio": el / base_el if base_el else None,
                "error": errors.get(m)})

    def problems(self):
        return list(dict.fromkeys(r["problem"] for r in self.rows))

    def series(self, problem, method, field):
        """[(n, value)] of the rows where ``field`` was measured."""
        return [(r["n"], r[field]) for r in self.rows
                if r["problem"] == problem and r["method"] == method and r[field] is not None]

    def slopes(self):
        """{(problem, method, measure): slope of log(ratio) against log(n)}."""
        out = {}
        for p in self.problems():
            for m in METHODS[1:]:
                for measure in ("time", "ops", "elements"):
                    pts = self.series(p, m, measure + "_ratio")
                    out[(p, m, measure)] = fit_slope(pts)
        return out

    # -- output ----------------------------------------------------------------------------
    def table(self):
        lines = []
        for p in self.problems():
            lines.append(f"\n{p}: cost relative to f at the same n (time: median of the "
                         f"ratios of {self.settings.get('clock', 'wall')} times within a round; "
                         "ops: primitive operations executed)")
            header = f"{'n':>7} {'f time':>10} {'f ops':>7} |" + "".join(
                f" {m + ' time':>13} {m + ' ops':>12} |" for m in METHODS[1:])
            lines.append(header)
            lines.append("-" * len(header))
            for n in sorted({r["n"] for r in self.rows if r["problem"] == p}):
                row = {r["method"]: r for r in self.rows if r["problem"] == p and r["n"] == n}
                f = row["f"]
                text = f"{n:>7} {_seconds(f['seconds']):>10} {f['ops']:>7} |"
                for m in METHODS[1:]:
                    r = row[m]
                    text += f" {_ratio(r['time_ratio']):>13} {_ratio(r['ops_ratio']):>12} |"
                lines.append(text)
        return "\n".join(lines).lstrip("\n")

    def slope_table(self):
        slopes = self.slopes()
        lines = ["slope of log(cost / cost(f)) against log(n): ~0 flat, ~1 linear in n",
                 f"{'problem':<16}" + "".join(f" {m + ' time':>13} {m + ' ops':>12}"
                                             for m in METHODS[1:])]
        for p in self.problems():
            text = f"{p:<16}"
            for m in METHODS[1:]:
                text += f" {_slope(slopes[(p, m, 'time')]):>13} {_slope(slopes[(p, m, 'ops')]):>12}"
            lines.append(text)
        return "\n".join(lines)

    def error_table(self):
        lines = ["agreement with reverse mode (max |difference| / max(1, max |gradient|))",
                 f"{'problem':<16} {'n':>7} {'forward':>10} {'fd':>10}"]
        for p in self.problems():
            for n, e in self.series(p, "forward", "error"):
                fd = dict(self.series(p, "fd", "error")).get(n)
                lines.append(f"{p:<16} {n:>7} {e:>10.1e} {_sci(fd):>10}")
        return "\n".join(lines)

    def to_json(self):
        slopes = [{"problem": p, "method": m, "measure": k, "slope": s}
                  for (p, m, k), s in self.slopes().items()]
        return {"settings": self.settings, "rows": self.rows, "slopes": slopes}

    def save(self, folder, stem="forward_vs_reverse"):
        """Write ``<stem>.csv`` (one row per measurement) and ``<stem>.json`` (rows,
        settings and slopes) into ``folder``; returns their paths."""
        os.makedirs(folder, exist_ok=True)
        csv_path = os.path.join(folder, stem + ".csv")
        with open(csv_path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=self.FIELDS)
            writer.writeheader()
            writer.writerows(self.rows)
        json_path = os.path.join(folder, stem + ".json")
        with open(json_path, "w") as fh:
            json.dump(self.to_json(), fh, indent=1)
        return csv_path, json_path

    @classmethod
    def load(cls, path):
        with open(path) as fh:
            data = json.load(fh)
        return cls(data["rows"], data.get("settings"))


def fit_slope(points):
    """Least-squares slope of log(value) against log(n); None with fewer than 2 sizes."""
    points = [(n, v) for n, v in points if v and v > 0]
    if len({n for n, _ in points}) < 2:
        return None
    x = np.log([n for n, _ in points])
    y = np.log([v for _, v in points])
    return float(np.polyfit(x, y, 1)[0])


def _seconds(t):
    if t is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def _ratio(r):
    return "-" if r is None else f"{r:.3g}"


def _slope(s):
    return "-" if s is None else f"{round(s, 2) + 0.0:+.2f}"  # no "-0.00"


def _sci(v):
    return "-" if v is None else f"{v:.1e}"


def run(problems=None, sizes=None, repeats=7, max_seconds=1.0, min_sample=1e-3,
        check=True, progress=False, seed=0, clock="wall", out=sys.stderr):
    """Measure every method on every problem at every size; returns ``Results``.

    ``problems``: Problem objects or names (default: all). ``sizes``: the n
    values (default ``log_sizes()``). The slow methods (forward, fd) are timed
    at a size only while their time for one call, extrapolated from the sizes
    before (``predict``), stays under ``max_seconds``; their counts are always
    given. ``check``: compare forward mode and fd with reverse mode at each
    size where forward and fd ran. ``clock``: "wall" (elapsed) or "cpu" (this
    process's processor time: steadier on a machine other work shares).
    """
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {sorted(CLOCKS)}, not {clock!r}")
    problems = [BY_NAME[p] if isinstance(p, str) else p for p in (problems or PROBLEMS)]
    sizes = list(sizes or log_sizes())
    settings = {"problems": [p.name for p in problems], "sizes": sizes, "repeats": repeats,
                "max_seconds": max_seconds, "min_sample": min_sample, "seed": seed,
                "clock": clock,
                "numpy": np.__version__, "python": sys.version.split()[0]}
    results = Results(settings=settings)
    bar = _progress(len(problems) * len(sizes), progress, out)
    for problem in problems:
        timed = {"forward": [], "fd": []}  # method -> [(n, seconds)] where it was timed
        for n in sizes:
            if bar is not None:
                bar.set_description(f"{problem.name} n={n}")
            rng = np.random.default_rng(seed)
            methods = Methods(problem, problem.make_args(n, rng))
            names = ["f", "reverse"] + [m for m in ("forward", "fd")
                                        if predict(timed[m], n) <= max_seconds]
            samples = time_methods(methods, names, repeats, min_sample, clock)
            for m in timed:
                if m in samples:
                    timed[m].append((n, statistics.median(samples[m])))
            errors = methods.errors() if check and {"forward", "fd"} <= set(names) else {}
            results.add(problem.name, methods.n, samples, methods.counts(), errors)
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return results


def predict(points, n):
    """The seconds of one call at size ``n``, extrapolated from the last two sizes
    timed, as a power of n between 1 and 2 (2 from a single size; 0 from none)."""
    if not points:
        return 0.0
    (n1, t1), power = points[-1], 2.0
    if len(points) > 1:
        n0, t0 = points[-2]
        power = min(2.0, max(1.0, math.log(t1 / t0) / math.log(n1 / n0)))
    return t1 * (n / n1) ** power


def _progress(total, wanted, out):
    if not wanted:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        print("(no progress bar: tqdm is not installed; install it with "
              f"`{EXTRAS}`)", file=out)
        return None
    return tqdm(total=total, file=out, unit="size", leave=False)


# ---- the plot ------------------------------------------------------------------------------
def plot(results, path, title=None):
    """A log-log figure of cost / cost(f) against n: wall time in the top row,
    operations executed in the bottom row, one column per problem. Needs matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("the plot needs matplotlib, which is not installed; install the "
                          f"experiments' extras with `{EXTRAS}`") from exc
    problems = results.problems()
    slopes = results.slopes()
    style = {"reverse": ("tab:blue", "o", "reverse mode"),
             "forward": ("tab:red", "s", "forward mode (n passes)"),
             "fd": ("tab:gray", "^", "finite differences (2n f)")}
    fig, axes = plt.subplots(2, len(problems), figsize=(3.6 * len(problems), 6.4),
                             squeeze=False, sharex="col")
    for col, p in enumerate(problems):
        clock = results.settings.get("clock", "wall")
        for row, (measure, label) in enumerate((("time", f"time / f's ({clock} clock)"),
                                                ("ops", "operations / f's"))):
            ax = axes[row][col]
            for m in METHODS[1:]:
                pts = results.series(p, m, measure + "_ratio")
                if not pts:
                    continue
                color, marker, name = style[m]
                s = slopes[(p, m, measure)]
                ax.loglog(*zip(*pts), marker=marker, color=color, markersize=4,
                          label=f"{name}, slope {_slope(s)}")
            ax.grid(True, which="major", alpha=0.3)
            if row == 0:
                ax.set_title(p)
            else:
                ax.set_xlabel("n (inputs)")
            if col == 0:
                ax.set_ylabel(label)
            ax.legend(fontsize=6.5, loc="upper left")
    fig.suptitle(title or "Cost of a gradient relative to the function, against the number "
                          "of inputs", fontsize=11)
    fig.tight_layout()
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ---- expression swell (sympy) ------------------------------------------------------------
class _SymbolicNumPy:
    """The parts of NumPy the problems use, on arrays of sympy expressions."""

    def __init__(self, sympy):
        self._sympy = sympy
        for name in ("sin", "cos", "tanh", "exp", "log", "sqrt"):
            setattr(self, name, self._elementwise(getattr(sympy, name)))

    @staticmethod
    def _elementwise(fn):
        vectorised = np.vectorize(fn, otypes=[object])

        def apply(x):
            return vectorised(x) if isinstance(x, np.ndarray) else fn(x)
        return apply

    def __getattr__(self, name):
        return getattr(np, name)  # sum, mean, reshape, ... work on object arrays


def tree_size(expr, memo=None):
    """Nodes of ``expr`` written out as a tree (a formula printed in full)."""
    memo = {} if memo is None else memo
    if expr not in memo:
        memo[expr] = 1 + sum(tree_size(a, memo) for a in expr.args)
    return memo[expr]


def dag_size(exprs):
    """Distinct subexpressions of ``exprs`` together: their size with common parts shared."""
    seen, todo = set(), list(exprs)
    while todo:
        e = todo.pop()
        if e not in seen:
            seen.add(e)
            todo.extend(e.args)
    return len(seen)


SWELL_SIZES = (2, 4, 8, 12, 20)


def expression_swell(problems=None, sizes=SWELL_SIZES, max_seconds=2.0):
    """The size of the symbolic gradient of each problem at small n, by sympy.

    Rows: f's expression as a tree; the gradient's n expressions as trees
    (what a symbolic differentiator prints); the same with common
    subexpressions shared (a DAG); and, for comparison, the primitive
    operations adcompiler's reverse-mode code executes. A size stops growing
    for a problem once one of its sizes took more than ``max_seconds``.
    """
    try:
        import sympy
    except ImportError as exc:
        raise ImportError("expression swell needs sympy, which is not installed "
                          "(`python -m pip install sympy`)") from exc
    problems = [BY_NAME[p] if isinstance(p, str) else p for p in (problems or PROBLEMS)]
    shim = _SymbolicNumPy(sympy)
    rows = []
    for problem in problems:
        fn = problem.fn
        symbolic = types.FunctionType(fn.__code__, dict(fn.__globals__, np=shim), fn.__name__,
                                      fn.__defaults__, fn.__closure__)
        ns = sorted({np.size(problem.make_args(n, np.random.default_rng(0))[problem.wrt])
                     for n in sizes})  # mlp_loss rounds n to whole hidden units
        for n in ns:
            start = time.perf_counter()
            args = list(problem.make_args(n, np.random.default_rng(0)))
            xs = sympy.symbols(f"x0:{n}")
            args[problem.wrt] = np.array(xs, dtype=object)
            value = sympy.sympify(symbolic(*args))
            gradient = [sympy.diff(value, x) for x in xs]
            methods = Methods(problem, problem.make_args(n, np.random.default_rng(0)))
            counts = methods.counts()
            rows.append({"problem": problem.name, "n": n, "f_tree": tree_size(value),
                         "gradient_tree": sum(tree_size(g) for g in gradient),
                         "gradient_shared": dag_size(gradient),
                         "f_ops": counts["f"][0], "reverse_ops": counts["reverse"][0]})
            if time.perf_counter() - start > max_seconds:
                break
    return rows


def swell_table(rows):
    lines = ["size of the gradient: symbolic (sympy) against the operations adcompiler runs",
             f"{'problem':<16} {'n':>4} {'f tree':>9} {'grad tree':>12} {'grad shared':>12}"
             f" {'f ops':>7} {'reverse ops':>12}"]
    for r in rows:
        lines.append(f"{r['problem']:<16} {r['n']:>4} {r['f_tree']:>9} {r['gradient_tree']:>12}"
                     f" {r['gradient_shared']:>12} {r['f_ops']:>7} {r['reverse_ops']:>12}")
    return "\n".join(lines)


# ---- the command ----------------------------------------------------------------------------
def _parser():
    parser = argparse.ArgumentParser(
        prog="adcompiler compare",
        description="Cost of a gradient against the number of inputs n: the function alone, "
                    "reverse mode, forward mode (n passes) and central finite differences "
                    "(2n evaluations), in wall time and in primitive operations executed.")
    parser.add_argument("--problems", nargs="+", choices=[p.name for p in PROBLEMS],
                        help="which functions (default: all)")
    parser.add_argument("--sizes", nargs="+", type=int, metavar="N",
                        help="the values of n (default: log-spaced from --n-min to --n-max; "
                             "mlp_loss rounds n to a multiple of 10)")
    parser.add_argument("--n-min", type=int, default=10, help="smallest n (default 10)")
    parser.add_argument("--n-max", type=int, default=10_000, help="largest n (default 10000)")
    parser.add_argument("--per-decade", type=int, default=2,
                        help="sizes per factor of 10 (default 2)")
    parser.add_argument("--repeats", type=int, default=7,
                        help="rounds of timing samples per size; medians are kept (default 7)")
    parser.add_argument("--max-seconds", type=float, default=1.0,
                        help="skip timing forward mode or fd at a size where one call is "
                             "predicted to take longer (default 1; counts are always given)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall: elapsed time (default); cpu: processor time of this "
                             "process, steadier when other work shares the machine")
    parser.add_argument("--quick", action="store_true",
                        help="n = 10, 30, 100, 2 repeats: a few seconds")
    parser.add_argument("--out", default="compare-results",
                        help="folder for forward_vs_reverse.csv/.json/.png (default "
                             "compare-results)")
    parser.add_argument("--plot", metavar="PATH",
                        help="where to write the PNG (default: in --out)")
    parser.add_argument("--no-plot", action="store_true", help="do not draw the plot")
    parser.add_argument("--swell", choices=["auto", "yes", "no"], default="auto",
                        help="symbolic expression sizes with sympy: auto runs them when sympy "
                             "is installed (default)")
    parser.add_argument("--swell-sizes", nargs="+", type=int, default=list(SWELL_SIZES),
                        metavar="N", help="n for the symbolic sizes (default %(default)s; a "
                                          "problem stops growing once one size takes 2 s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def main(argv=None):
    """The command; returns its exit status."""
    args = _parser().parse_args(argv)
    try:
        return _main(args)
    except BrokenPipeError:  # `adcompiler compare | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(args):
    if args.quick:
        sizes, repeats = args.sizes or [10, 30, 100], min(args.repeats, 2)
        swell_sizes = [2, 4]
    else:
        sizes = args.sizes or log_sizes(args.n_min, args.n_max, args.per_decade)
        repeats, swell_sizes = args.repeats, args.swell_sizes
    if any(n < 2 for n in sizes):
        print("adcompiler compare: every n must be at least 2", file=sys.stderr)
        return 2
    start = time.perf_counter()
    results = run(args.problems, sizes, repeats, args.max_seconds,
                  progress=not args.no_progress, seed=args.seed, clock=args.clock)
    print(results.table())
    print()
    print(results.slope_table())
    print()
    print(results.error_table())
    csv_path, json_path = results.save(args.out)
    written = [csv_path, json_path]
    if not args.no_plot:
        path = args.plot or os.path.join(args.out, "forward_vs_reverse.png")
        try:
            written.append(plot(results, path))
        except ImportError as exc:
            print(f"\nno plot: {exc}", file=sys.stderr)
    if args.swell != "no":
        try:
            rows = expression_swell(args.problems, swell_sizes)
        except ImportError as exc:
            if args.swell == "yes":
                print(f"adcompiler compare: {exc}", file=sys.stderr)
                return 2
        else:
            print()
            print(swell_table(rows))
            path = os.path.join(args.out, "expression_swell.json")
            with open(path, "w") as fh:
                json.dump(rows, fh, indent=1)
            written.append(path)
    print(f"\nwrote {', '.join(written)} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
