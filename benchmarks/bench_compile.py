"""Compile time against function length: straight-line functions of N statements.

    python -m benchmarks.bench_compile

Each generated function is written to a file (adcompiler reads source), one
statement per line, each reading the previous value and one from halfway
back, so values fan out as in real code:

    def straight_100(x, w):
        v1 = np.sin(x) * w
        v2 = v1 * w + np.tanh(v1)
        v3 = np.cos(v2) - v1 * x
        ...
        return np.sum(v100)

Timed: ``grad(f).compiled`` (parse, SSA, reverse mode, passes, codegen, Python's
``compile``) and then, on a fresh copy, the time to the first gradient.
"""
import importlib.util
import os
import statistics
import sys
import tempfile
import time

SIZES = (10, 30, 100, 300, 1000)

_FORMS = ("v{i} = np.sin(v{a}) * w + v{b}",
          "v{i} = v{a} * w + np.tanh(v{b})",
          "v{i} = np.cos(v{a}) - v{b} * x",
          "v{i} = v{a} * v{b} + 0.5")


def source(n):
    lines = [f"def straight_{n}(x, w):", "    v0 = x"]
    for i in range(1, n):
        lines.append("    " + _FORMS[i % len(_FORMS)].format(i=i, a=i - 1, b=i // 2))
    lines.append(f"    return np.sum(v{n - 1})")
    return "\n".join(lines) + "\n"


def load(n, folder):
    path = os.path.join(folder, f"straight_{n}.py")
    with open(path, "w") as f:
        f.write("import numpy as np\n\n\n" + source(n))
    spec = importlib.util.spec_from_file_location(f"straight_{n}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, f"straight_{n}")


def run(sizes=SIZES, repeat=3):
    import numpy as np

    from adcompiler import grad
    from benchmarks.peers import fresh_copy

    x, w = np.linspace(0.1, 0.2, 8), np.full(8, 0.3)
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            fn = load(n, folder)
            compiles, firsts = [], []
            for _ in range(repeat):
                copy = fresh_copy(fn)
                start = time.perf_counter()
                grad(copy, wrt=(0, 1)).compiled
                compiles.append(time.perf_counter() - start)
                copy = fresh_copy(fn)
                start = time.perf_counter()
                grad(copy, wrt=(0, 1))(x, w)
                firsts.append(time.perf_counter() - start)
            out.append({"statements": n, "compile_s": statistics.median(compiles),
                        "first_s": statistics.median(firsts)})
    return out


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for row in run():
        print(f"{row['statements']:5d} statements: compile {row['compile_s'] * 1e3:8.1f} ms "
              f"({row['compile_s'] / row['statements'] * 1e6:6.0f} µs each), "
              f"first gradient {row['first_s'] * 1e3:8.1f} ms")
