"""Run the benchmark suite: adcompiler against its peers, side by side.

    python -m benchmarks.run                 # everything, about 5 minutes
    python -m benchmarks.run --quick         # fewer repetitions, about 1 minute
    python -m benchmarks.run --workloads rosenbrock,mlp --tools adcompiler,jax-jit
    python -m benchmarks.run --write-docs    # also refresh docs/performance.md

For each workload every tool's gradient and its own primal ``f`` are timed in
one process, interleaved: each repetition times one batch of every callable,
in an order that rotates from one repetition to the next, so a slow phase of
the machine hits all tools alike. A batch repeats the call enough times to
last about ``--target-ms`` (an adaptive inner loop count, so small functions
are not timed at the clock's resolution); the figure kept is the median over
repetitions of the time per call.

Also measured, outside the timed batches: the time to the first gradient
(building the transform of a fresh copy of the function and calling it once;
the median of a few fresh copies), the peak memory that ``tracemalloc`` sees
during one gradient call (NumPy's buffers; PyTorch's and XLA's own allocators
are invisible to it, so their figures are marked), and a cross-check of every
tool's gradient against adcompiler's.
"""
import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results", "latest.json")
DOCS = os.path.join(ROOT, "docs", "performance.md")
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, ROOT)
from benchmarks import allocator_option, settle_allocator  # noqa: E402 (imports no numpy)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer repetitions and shorter batches (a rough table in about a minute)")
    ap.add_argument("--workloads", help="comma-separated workload names (default: all)")
    ap.add_argument("--tools", help="comma-separated tools (default: every one installed)")
    ap.add_argument("--repeat", type=int, help="repetitions per callable (default 15, quick 5)")
    ap.add_argument("--target-ms", type=float, help="length of one timed batch (default 20, quick 5)")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS/OpenMP/XLA threads for every tool (default 1: steadier figures)")
    ap.add_argument("--no-compile", action="store_true", help="skip the compile-time benchmark")
    allocator_option(ap)
    ap.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    ap.add_argument("--json", default=RESULTS, help=f"where to write results (default {RESULTS})")
    return ap.parse_args(argv)


def limit_threads(n):
    """Must run before NumPy, PyTorch or JAX is imported."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
    if n == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        if "multi_thread_eigen" not in flags:
            os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                                       "intra_op_parallelism_threads=1").strip()


# ---- timing ------------------------------------------------------------------------------
def per_call(fn, inner):
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def calibrate(fn, target):
    """How many calls make one batch of about ``target`` seconds."""
    once = per_call(fn, 1)
    if once >= target:
        return 1
    inner = max(1, int(target / max(once, 1e-7)))
    return max(1, int(inner * target / max(per_call(fn, inner) * inner, 1e-9)))


def interleaved(callables, repeat, target):
    """Median seconds per call of each callable, batches interleaved.

    ``callables`` is {key: fn}. Repetition r starts at the r-th callable, so
    no callable always runs right after the same neighbour.
    """
    keys = list(callables)
    inner = {k: calibrate(callables[k], target) for k in keys}
    samples = {k: [] for k in keys}
    for r in range(repeat):
        gc.collect()
        for j in range(len(keys)):
            k = keys[(r + j) % len(keys)]
            samples[k].append(per_call(callables[k], inner[k]))
    return {k: statistics.median(v) for k, v in samples.items()}, inner


def peak_memory(fn):
    """Bytes allocated at the peak of one call, above what was held before, as
    tracemalloc sees them."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def first_line(exc):
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    if ": " in line and os.sep in line.split(": ", 1)[0]:
        where, rest = line.split(": ", 1)   # a path:line:col location: keep the file name
        line = os.path.basename(where) + ": " + rest
    return f"{type(exc).__name__}: {line}" if not line.startswith(type(exc).__name__) else line


# ---- one workload --------------------------------------------------------------------------
def compare(result, reference, rtol=1e-6):
    worst = 0.0
    for a, b in zip(result, reference):
        if np.shape(a) != np.shape(b):
            return f"shape {np.shape(a)} != {np.shape(b)}"
        scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-300)
        worst = max(worst, float(np.max(np.abs(a - b), initial=0.0)) / scale)
    return "ok" if worst <= rtol else f"differs (max rel. err. {worst:.1e})"


def run_workload(w, tools, repeat, target, first_repeat, log):
    inputs = w.inputs("bench")
    rows = {}
    prepared = {}
    for tool in tools:
        row = rows[tool.name] = {"status": "ok"}
        try:
            # the time to the first gradient, before this tool has seen this workload
            prep = tool.prepare(w, inputs)
            firsts = []
            for _ in range(first_repeat):
                start = time.perf_counter()
                prep.fresh()
                firsts.append(time.perf_counter() - start)
            row["first_s"] = statistics.median(firsts)
            result = prep.grad()
            prep.grad()
            prep.f()
            prep.f()
            row["result"] = prep.to_numpy(result)
            prepared[tool.name] = prep
        except Exception as exc:  # noqa: BLE001 - every failure is reported in the table
            row["status"] = "unsupported: " + first_line(exc)
            log(f"  {tool.name}: {row['status']}")
    reference = next((rows[n]["result"] for n in ("adcompiler", "autograd") if n in prepared),
                     None)
    for name in prepared:
        rows[name]["check"] = compare(rows[name]["result"], reference) \
            if reference is not None else "no reference"
    callables = {}
    for name, prep in prepared.items():
        callables[(name, "f")] = prep.f
        callables[(name, "grad")] = prep.grad
    times, inner = interleaved(callables, repeat, target)
    for name, prep in prepared.items():
        row = rows[name]
        row["f_s"], row["grad_s"] = times[(name, "f")], times[(name, "grad")]
        row["inner"] = inner[(name, "grad")]
        row["ratio"] = row["grad_s"] / row["f_s"]
        row["peak_bytes"] = peak_memory(prep.grad)
        row["memory_visible"] = prep.memory_visible
        del row["result"]
    numpy_f = min((rows[n]["f_s"] for n in ("adcompiler", "autograd", "tangent")
                   if "f_s" in rows.get(n, {})), default=None)
    for row in rows.values():
        if numpy_f and "grad_s" in row:
            row["ratio_numpy"] = row["grad_s"] / numpy_f
    return {"about": w.about, "numpy_f_s": numpy_f, "tools": rows}


# ---- tables ---------------------------------------------------------------------------------
def fmt_time(s):
    if s is None:
        return "—"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs" if s >= 1e-5 else f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms" if s < 0.1 else f"{s * 1e3:.0f} ms"
    return f"{s:.2f} s"


def fmt_bytes(n):
    if n < 1024 ** 2:
        return f"{n / 1024:.0f} KiB"
    return f"{n / 1024 ** 2:.1f} MiB"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def tables(results):
    """The markdown tables of a results dict, with footnotes for failures."""
    workloads = results["workloads"]
    tools = results["tools"]
    notes = []

    def cell(wname, tool, value):
        row = workloads[wname]["tools"].get(tool)
        if row is None:
            return "—"
        if row["status"] != "ok":
            if row["status"] not in notes:
                notes.append(row["status"])
            return f"n/a [{notes.index(row['status']) + 1}]"
        text = value(row)
        if row.get("check", "ok") != "ok":
            text += " (!)"
        return text

    def grid(value, extra=None):
        header = ["workload"] + (["NumPy f"] if extra else []) + tools
        rows = []
        for wname, wres in workloads.items():
            row = [wname] + ([extra(wres)] if extra else [])
            rows.append(row + [cell(wname, t, value) for t in tools])
        return table(header, rows)

    parts = [
        "**Gradient time / f time** (each tool's own f: NumPy for adcompiler, autograd and "
        "tangent; jax.numpy for jax; the jitted f for jax-jit; torch under no_grad for "
        "torch). Target for adcompiler: at most 3x.\n",
        grid(lambda r: f"{r['ratio']:.1f}x"),
        "\n**Gradient time** (median per call), with the plain NumPy f for scale.\n",
        grid(lambda r: fmt_time(r["grad_s"]), lambda wres: fmt_time(wres["numpy_f_s"])),
        "\n**Gradient time / NumPy f time**: the cost of a gradient against the "
        "function as the user wrote it.\n",
        grid(lambda r: f"{r['ratio_numpy']:.1f}x"),
        "\n**Time to first gradient** (transform of a fresh copy of the function plus its "
        "first call). Target for adcompiler: at most 20 ms.\n",
        grid(lambda r: fmt_time(r["first_s"])),
        "\n**Peak memory during one gradient call**, above what was held before, as "
        "tracemalloc sees it. (*) PyTorch and XLA allocate outside tracemalloc's view: "
        "their figures count only Python objects and NumPy inputs, not their tensors.\n",
        grid(lambda r: fmt_bytes(r["peak_bytes"]) + ("" if r["memory_visible"] else " *")),
    ]
    mismatches = [(w, t, r["check"]) for w, wres in workloads.items()
                  for t, r in wres["tools"].items() if r.get("check", "ok") != "ok"]
    if mismatches:
        parts.append("\n(!) gradient differs from adcompiler's: " + "; ".join(
            f"{t} on {w}: {c}" for w, t, c in mismatches))
    if notes:
        parts.append("\n" + "\n".join(f"[{i + 1}] {n}" for i, n in enumerate(notes)))
    if results.get("compile"):
        parts.append("\n**Compile time against function length**: straight-line functions "
                     "of N statements (`benchmarks/bench_compile.py`); grad construction "
                     "and code generation, then the first call. Target: 1000 statements "
                     "in under 1 s, linear growth.\n")
        parts.append(table(["statements", "compile", "per statement", "first gradient"],
                           [[str(c["statements"]), fmt_time(c["compile_s"]),
                             fmt_time(c["compile_s"] / c["statements"]),
                             fmt_time(c["first_s"])] for c in results["compile"]]))
    return "\n".join(parts) + "\n"


def environment(threads, tools):
    import numpy
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001
        commit = "?"
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"date": datetime.date.today().isoformat(), "commit": commit,
            "python": platform.python_version(), "numpy": numpy.__version__, "cpu": cpu,
            "cores": os.cpu_count(), "threads": threads,
            "versions": {t.name: t.version() for t in tools}}


def write_docs(text, command, env):
    header = (f"Measured {env['date']} at commit {env['commit']} on {env['cpu']} "
              f"({env['cores']} cores, {env['threads']} thread(s) per tool), Python "
              f"{env['python']}, NumPy {env['numpy']}; "
              + ", ".join(f"{k} {v}" for k, v in env["versions"].items()
                          if k not in ("adcompiler", "jax-jit"))
              + f". Command: `{command}`\n\n")
    block = f"{BEGIN}\n{header}{text}{END}"
    if os.path.exists(DOCS):
        with open(DOCS) as f:
            doc = f.read()
        if BEGIN in doc and END in doc:
            doc = doc[:doc.index(BEGIN)] + block + doc[doc.index(END) + len(END):]
        else:
            doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    else:
        doc = "# Performance\n\n" + block + "\n"
    with open(DOCS, "w") as f:
        f.write(doc)


def _pick(option, by_name, default, what):
    """The items a comma-separated ``option`` names (all of ``default`` without it)."""
    if not option:
        return default
    names = [n.strip() for n in option.split(",") if n.strip()]
    unknown = [n for n in names if n not in by_name]
    if unknown:
        sys.exit(f"unknown {what}(s) {unknown}; known: {list(by_name)}")
    return [by_name[n] for n in names]


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    limit_threads(args.threads)
    settle_allocator(args)
    global np
    import numpy as np
    from benchmarks import bench_compile, peers, workloads

    repeat = args.repeat or (5 if args.quick else 15)
    target = (args.target_ms or (5 if args.quick else 20)) / 1000
    first_repeat = 1 if args.quick else 3
    chosen = _pick(args.workloads, workloads.BY_NAME, workloads.WORKLOADS, "workload")
    tools = _pick(args.tools, peers.BY_NAME, peers.PEERS, "tool")
    missing = [t for t in tools if not t.available()]
    for t in missing:
        print(f"skipping {t.name}: not installed (pip install -e '.[peers]')")
    tools = [t for t in tools if t.available()]
    if "torch" in [t.name for t in tools]:
        import torch
        torch.set_num_threads(args.threads)

    log = lambda text: print(text, flush=True)  # noqa: E731
    results = {"environment": environment(args.threads, tools),
               "tools": [t.name for t in tools], "workloads": {}, "compile": []}
    for w in chosen:
        log(f"{w.name} ({w.about})")
        res = results["workloads"][w.name] = run_workload(w, tools, repeat, target,
                                                          first_repeat, log)
        for name, row in res["tools"].items():
            if row["status"] == "ok":
                log(f"  {name:10s} f {fmt_time(row['f_s']):>9s}  grad {fmt_time(row['grad_s']):>9s}"
                    f"  {row['ratio']:6.1f}x  first {fmt_time(row['first_s']):>9s}"
                    f"  peak {fmt_bytes(row['peak_bytes']):>9s}  {row['check']}")
    if not args.no_compile and not args.workloads:
        log("compile time against function length")
        results["compile"] = bench_compile.run(bench_compile.SIZES, 1 if args.quick else 3)
        for c in results["compile"]:
            log(f"  {c['statements']:5d} statements: compile {fmt_time(c['compile_s'])}, "
                f"first gradient {fmt_time(c['first_s'])}")
    text = tables(results)
    print("\n" + text)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1, default=float)
    print(f"wrote {os.path.relpath(args.json)}")
    if args.write_docs:
        command = "python -m benchmarks.run" + "".join(
            f" {a}" for a in (sys.argv[1:] if argv is None else argv) if a != "--write-docs")
        write_docs(text, command, results["environment"])
        print(f"updated {os.path.relpath(DOCS)}")
    return results


if __name__ == "__main__":
    main()
