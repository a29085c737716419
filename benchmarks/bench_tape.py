"""The tape's size against the trip count of a loop.

    python -m benchmarks.bench_tape

For each loop below and T = 10 ... 10^4 iterations, one gradient call, and
the size of its tape when the backward sweep starts (the largest it gets):
entries (``len(tape)``), bytes as ``runtime.Tape.nbytes`` counts them, and
distinct bytes (an array pushed twice, by reference, counted once: what the
tape really keeps alive). The tape must grow linearly in T: the slope of
log(entries) against log(T) is fitted and printed. Per iteration, the bytes
are compared with what the backward sweep needs, worked out by hand in
``NEEDED``.

The sizes are observed by replacing ``runtime.Tape`` (which generated code
looks up on every call) with a subclass that records them: see ``recording``.
"""
import contextlib
import os
import sys

import numpy as np

import runtime

TRIPS = (10, 100, 1000, 10_000)
N = 32  # state size of the vector recurrence


# -- the loops -----------------------------------------------------------------------------
def rnn(x, W, T):
    for t in range(T):
        x = np.tanh(W @ x)
    return np.sum(x)


def scalar_recurrence(x, a, T):
    for t in range(T):
        x = np.sin(x) * a + 0.1
    return x


def logistic_map(x, r, T):
    for t in range(T):
        x = r * x * (1 - x)
    return x


def damped_while(x, T):
    i = 0
    while i < T:
        x = np.tanh(x * 1.1)
        i = i + 1
    return x


def _rnn_inputs(T):
    rng = np.random.default_rng(0)
    return rng.standard_normal(N), rng.standard_normal((N, N)) / np.sqrt(N), T


# name -> (function, inputs for T, wrt, bytes per iteration the backward sweep needs, why)
LOOPS = {
    "rnn, wrt x": (rnn, _rnn_inputs, 0, 8 * N,
                   "one 32-vector: tanh(W @ x), for 1 - x**2"),
    "rnn, wrt x and W": (rnn, _rnn_inputs, (0, 1), 8 * N,
                         "one 32-vector: x, for 1 - x**2 and for bW; x_t+1 is x_t of the next"),
    "scalar sin recurrence": (scalar_recurrence, lambda T: (0.3, 0.9, T), 0, 8,
                              "one float: x, for cos(x)"),
    "logistic map": (logistic_map, lambda T: (0.3, 3.1, T), 0, 8,
                     "one float: x, for r (1 - 2 x)"),
    "while loop (tanh)": (damped_while, lambda T: (0.3, T), 0, 8,
                          "one float: tanh(1.1 x), for 1 - y**2"),
}


# -- observing the tape ----------------------------------------------------------------------
def distinct_bytes(items):
    """Bytes of the tape's entries, each array object counted once."""
    seen = {}
    for v in items:
        seen.setdefault(id(v), runtime.held_bytes(v))
    return sum(seen.values())


@contextlib.contextmanager
def recording():
    """While active, every tape generated code makes is recorded in the list
    yielded, as a dict of entries, bytes and distinct bytes at its first pop."""
    made = []

    class RecordingTape(runtime.Tape):
        __slots__ = ("size",)

        def __init__(self):
            super().__init__()
            self.size = None
            made.append(self)

        def pop(self):
            if self.size is None:  # the forward sweep is over: the tape is at its largest
                self.size = _size(self)
            return super().pop()

    saved = runtime.Tape
    runtime.Tape = RecordingTape
    try:
        yield made
    finally:
        runtime.Tape = saved


def _size(tape):
    return {"entries": len(tape), "bytes": tape.nbytes(),
            "distinct_bytes": distinct_bytes(tape)}


def tape_size(fn, args, wrt=0):
    """The tape of one ``grad(fn, wrt)(*args)`` call at its largest, summed over
    every tape made (nested vjps make their own)."""
    from adcompiler import grad
    with recording() as made:
        grad(fn, wrt=wrt)(*args)
    total = {"entries": 0, "bytes": 0, "distinct_bytes": 0}
    for tape in made:
        for key, value in (tape.size or _size(tape)).items():
            total[key] += value
    return total


def loglog_slope(trips, values):
    """The slope of log(values) against log(trips): 1 for linear growth."""
    return float(np.polyfit(np.log(trips), np.log(np.maximum(values, 1)), 1)[0])


def run(trips=TRIPS):
    rows = []
    for name, (fn, inputs, wrt, needed, why) in LOOPS.items():
        sizes = [tape_size(fn, inputs(T), wrt) for T in trips]
        entries = [s["entries"] for s in sizes]
        span = trips[-1] - trips[0]
        rows.append({
            "loop": name, "trips": list(trips), "sizes": sizes,
            "slope": loglog_slope(trips, entries),
            "entries_per_iteration": (entries[-1] - entries[0]) / span,
            "bytes_per_iteration": (sizes[-1]["bytes"] - sizes[0]["bytes"]) / span,
            "distinct_bytes_per_iteration":
                (sizes[-1]["distinct_bytes"] - sizes[0]["distinct_bytes"]) / span,
            "needed_bytes_per_iteration": needed, "needed": why,
        })
    return rows


def report(rows):
    lines = []
    for row in rows:
        lines.append(f"{row['loop']}")
        lines.append(f"  {'T':>6} {'entries':>8} {'bytes':>10} {'distinct bytes':>15}")
        for T, s in zip(row["trips"], row["sizes"]):
            lines.append(f"  {T:>6} {s['entries']:>8} {s['bytes']:>10} {s['distinct_bytes']:>15}")
        lines.append(f"  log-log slope of entries: {row['slope']:.3f}")
        lines.append(f"  per iteration: {row['entries_per_iteration']:.2f} entries, "
                     f"{row['bytes_per_iteration']:.0f} bytes "
                     f"({row['distinct_bytes_per_iteration']:.0f} distinct); "
                     f"needed {row['needed_bytes_per_iteration']} bytes ({row['needed']})")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rows = run()
    print(report(rows))
    for row in rows:
        if abs(row["slope"] - 1) > 0.05:
            sys.exit(f"the tape of {row['loop']} is not linear in T: slope {row['slope']:.3f}")
