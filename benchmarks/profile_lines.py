"""Where a generated gradient spends its time, line by line.

    python -m benchmarks.profile_lines rosenbrock [gmm ...] [--calls 200] [--raw]

Prints the generated code of each workload's gradient with, in the margin,
the time per gradient call that each line takes (summed over loop
iterations) and its share of the total. The code is instrumented with a
``perf_counter`` pair around every simple statement, which adds about 0.1 µs
per executed statement: the figures are for finding waste, not for the
performance table. ``--raw`` profiles ``grad(f, optimize=False)``.
"""
import argparse
import ast
import os
import sys
import time


class _Instrument(ast.NodeTransformer):
    """Wraps every simple statement: ``_t = _pc(); stmt; _acc[line] += _pc() - _t``."""

    def _wrap(self, body):
        out = []
        for stmt in body:
            if isinstance(stmt, (ast.For, ast.While, ast.If)):
                self.generic_visit(stmt)
                out.append(stmt)
                continue
            if isinstance(stmt, ast.Return):
                out.append(stmt)
                continue
            line = stmt.lineno
            out.append(ast.parse("_t = _pc()").body[0])
            out.append(stmt)
            out.append(ast.parse(f"_acc[{line}] = _acc.get({line}, 0.0) + (_pc() - _t)").body[0])
        return out

    def visit_Module(self, node):
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef):
                stmt.body = self._wrap(stmt.body)
        return node

    def generic_visit(self, node):
        for field in ("body", "orelse"):
            if isinstance(getattr(node, field, None), list):
                setattr(node, field, self._wrap(getattr(node, field)))
        return node


def profile(compiled, args, calls):
    """{line number: seconds per call} for the generated function of ``compiled``."""
    tree = _Instrument().visit(ast.parse(compiled.source))
    ast.fix_missing_locations(tree)
    namespace = dict(compiled.namespace)  # a plain dict: globals lookups as generated code sees them
    namespace.update(_pc=time.perf_counter, _acc={})
    for key in ("np", "math", "runtime"):
        namespace.setdefault(key, compiled.namespace[key])
    exec(compile(tree, "<profiled>", "exec"), _Globals(compiled.namespace, namespace))
    fn = namespace[compiled.ir.name]
    fn(*args)
    namespace["_acc"].clear()
    start = time.perf_counter()
    for _ in range(calls):
        fn(*args)
    total = (time.perf_counter() - start) / calls
    return {k: v / calls for k, v in namespace["_acc"].items()}, total


class _Globals(dict):
    """The instrumented function's globals: ours first, then the generated code's."""

    def __init__(self, outer, own):
        super().__init__(own)
        self._outer = outer
        self._own = own

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._own[key] = value

    def __missing__(self, key):
        return self._outer[key]


def report(compiled, args, calls):
    per_line, total = profile(compiled, args, calls)
    measured = sum(per_line.values())
    lines = compiled.source.splitlines()
    out = [f"{'µs/call':>9s} {'share':>6s}  code"]
    for i, text in enumerate(lines, start=1):
        if i in per_line:
            t = per_line[i]
            out.append(f"{t * 1e6:9.1f} {t / measured:6.1%}  {text}")
        else:
            out.append(f"{'':9s} {'':6s}  {text}")
    out.append(f"{measured * 1e6:9.1f} in lines; {total * 1e6:.1f} µs per call with the "
               "instrumentation")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.profile_lines")
    ap.add_argument("workloads", nargs="+")
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--raw", action="store_true", help="profile grad(f, optimize=False)")
    args = ap.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from adcompiler.api import argument_shapes, compile_derivative
    from benchmarks.workloads import BY_NAME
    for name in args.workloads:
        w = BY_NAME[name]
        inputs = w.inputs("bench")
        # compiled for the inputs' shapes, as grad(f) compiles at its first call
        compiled = compile_derivative(w.fn, "grad", w.wrt, optimize=not args.raw,
                                      shapes=argument_shapes(inputs))
        print(f"# {name}: {w.about}")
        print(report(compiled, inputs, args.calls))
        print()


if __name__ == "__main__":
    main()
