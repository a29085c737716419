"""What one forward-mode pass costs: jvp time / f time, measured side by side.

    python -m benchmarks.bench_jvp             # about 20 seconds
    python -m benchmarks.bench_jvp --repeats 21 --clock cpu

For each benchmark workload (benchmarks/workloads.py, at its benchmark size)
and each function of the forward vs reverse experiment (adcompiler/experiments.py,
at n = 10 and 10^4), three calls are timed in one process: f itself, one jvp
(the generated forward-mode function, along random tangents for every ``wrt``
argument) and, for comparison, one reverse-mode gradient. They are timed in
interleaved rounds (the order rotating from round to round); the ratios are
the medians over rounds of the ratios within a round, so drift of the machine
cancels. Next to them, the same ratio in primitive operations executed
(``runtime.counting``), which has no noise at all.

A jvp computes f's value and its tangent together; with each operation's
tangent costing about as much as the operation, the expected ratio is about 2
(3 for products, whose tangent is two products), more where Python's per-call
overhead dominates small arrays.
"""
import argparse
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from adcompiler import defjvp, experiments  # noqa: E402
from adcompiler.api import argument_shapes, compile_derivative  # noqa: E402
from benchmarks import allocator_option, settle_allocator, workloads  # noqa: E402
from runtime.counting import counting  # noqa: E402


class Calls:
    """f, one jvp and one gradient of a function at fixed arguments."""

    def __init__(self, name, fn, args, wrt, seed=0):
        self.name, self.fn, self.args, self.wrt = name, fn, tuple(args), tuple(wrt)
        rng = np.random.default_rng(seed)
        self.tangents = [rng.standard_normal(np.shape(args[i])) if np.ndim(args[i])
                         else float(rng.standard_normal()) for i in self.wrt]
        shapes = argument_shapes(args)

        def compiled(kind, count=False):
            return compile_derivative(fn, kind, self.wrt, True, None, shapes,
                                      counting=count).function
        # the gradient as grad() makes it: kind "grad", with the passes for code that is
        # not differentiated again (grad_only's, for hessians, has not them)
        self.jvp_fn, self.grad_fn = compiled("jvp"), compiled("grad")
        self.counted = {k: compiled(k, True) for k in ("primal", "jvp", "grad")}

    def f(self):
        return self.fn(*self.args)

    def jvp(self):
        return self.jvp_fn(*self.args, *self.tangents)

    def reverse(self):
        return self.grad_fn(*self.args)[1]

    def call(self, method):
        return getattr(self, method)

    def check(self):
        """The jvp's value is f's; its tangent equals <gradient, tangents> for scalar f."""
        value, tangent = self.jvp()
        np.testing.assert_allclose(value, self.f(), rtol=1e-12)
        if np.ndim(value) == 0:
            grads = self.reverse()
            grads = grads if len(self.wrt) > 1 else (grads,)
            expected = sum(np.sum(g * t) for g, t in zip(grads, self.tangents))
            np.testing.assert_allclose(tangent, expected, rtol=1e-9, atol=1e-12)

    def ops(self):
        out = {}
        for kind, extra in (("primal", ()), ("jvp", self.tangents), ("grad", ())):
            with counting() as c:
                self.counted[kind](*self.args, *extra)
            out[kind] = c.ops
        return out


# the workloads declare only a vjp for their log-sum-exp (np.max has no rule yet);
# forward mode needs its jvp: the softmax-weighted sum of the tangent, per row
defjvp(workloads.logsumexp_rows, "np.sum(dz * np.exp(z - ans), axis=-1, keepdims=True)")


def cases():
    for w in workloads.WORKLOADS:
        yield Calls(w.name, w.fn, w.inputs("bench"), w.wrt)
    for p in experiments.PROBLEMS:
        for n in (10, 10_000):
            args = p.make_args(n, np.random.default_rng(0))
            yield Calls(f"{p.name} n={n}", p.fn, args, (p.wrt,))


def measure(calls, repeats, clock):
    """f's median time and the jvp's and gradient's ratios to it. Each is timed in
    rounds of its own with f: a gradient frees more memory at its return than a jvp,
    which glibc may give back to the system, and the calls after it would pay the
    fresh pages (docs/performance.md, Fresh memory)."""
    ratio, f_times = {}, []
    for method in ("jvp", "reverse"):
        samples = experiments.time_methods(calls, ["f", method], repeats, 2e-3, clock)
        ratio[method] = statistics.median(a / b for a, b in zip(samples[method], samples["f"]))
        f_times += samples["f"]
    return statistics.median(f_times), ratio


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=11, help="rounds (default 11)")
    parser.add_argument("--clock", choices=sorted(experiments.CLOCKS), default="wall")
    allocator_option(parser)
    args = parser.parse_args(argv)
    settle_allocator(args)
    rows = []
    header = (f"{'function':<22} {'f':>10} {'jvp / f':>8} {'(ops)':>6}   "
              f"{'grad / f':>8} {'(ops)':>6}")
    print(f"one jvp and one reverse-mode gradient against f, {args.clock} clock, "
          f"median of {args.repeats} interleaved rounds")
    print(header)
    print("-" * len(header))
    for calls in cases():
        calls.check()
        f_time, ratio = measure(calls, args.repeats, args.clock)
        ops = calls.ops()
        rows.append(ratio["jvp"])
        print(f"{calls.name:<22} {experiments._seconds(f_time):>10} {ratio['jvp']:>8.2f} "
              f"{ops['jvp'] / ops['primal']:>6.2f}   {ratio['reverse']:>8.2f} "
              f"{ops['grad'] / ops['primal']:>6.2f}")
    geo = float(np.exp(np.mean(np.log(rows))))
    print("-" * len(header))
    print(f"jvp / f: geometric mean {geo:.2f}, median {statistics.median(rows):.2f}, "
          f"range {min(rows):.2f} to {max(rows):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
