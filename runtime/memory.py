"""An opt-in setting of the C allocator for gradient loops: keep freed memory.

A gradient holds more arrays alive at once than its function (the forward
sweep's values wait for the backward sweep). When it returns, glibc's
``malloc`` gives the freed top of its heap back to the operating system as soon
as more than 128 KiB is free there, and arrays over 128 KiB come from ``mmap``
and go back on ``free``; the next call gets that memory anew, and the kernel
zeroes every 4 KiB page at its first touch. In a loop that alternates a
gradient with other work this costs more than the arithmetic: the Rosenbrock
gradient (n = 10^4, 80 KB arrays) takes 7.6x its function interleaved with
calls of the function, 2.6x with freed memory kept (benchmarks/bench_jvp.py).

``tune_allocator()`` asks glibc to keep up to ``trim_threshold`` bytes of free
heap and to serve allocations up to ``mmap_threshold`` from the heap. It is a
setting of the whole process, which is why nothing calls it by itself: a
program opts in, once. Elsewhere than glibc (macOS, musl) it does nothing and
returns False.
"""
import ctypes

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h


def tune_allocator(trim_threshold=256 << 20, mmap_threshold=32 << 20):
    """Keep freed memory in the process for reuse; return whether glibc took it.

    ``mmap_threshold`` is capped by glibc at 32 MiB on 64-bit machines."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
                and mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1)
