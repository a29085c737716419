"""glibc's allocator set to keep freed memory, for gradients of large arrays.

A gradient holds more arrays alive at once than its function (the forward
sweep's values wait for the backward sweep). Left to itself, glibc's
``malloc`` serves arrays over 128 KiB from ``mmap`` and raises that threshold
(up to 32 MiB) as large blocks are freed, and gives the freed top of its heap
back to the operating system once more than twice that threshold is free
there. The next call then gets its memory anew, and the kernel zeroes every
4 KiB page at its first touch. Which calls pay for it depends on what the
process ran before: alone in a process, the gradient of a 100-step loop over
10^5 elements touches its 80 MiB tape afresh on every call (21,700 page
faults, 95 ms against 55 ms with the memory kept; its function takes 25 ms).

``tune_allocator()`` asks glibc to keep up to ``trim_threshold`` bytes of free
heap and to serve allocations up to ``mmap_threshold`` from the heap. adcompiler
applies it once, with 128 MiB and 32 MiB, before it compiles its first
derivative (``tune_allocator_once``), unless it is told otherwise:

- ``ADCOMPILER_TUNE_ALLOCATOR=0`` (or ``off``, ``no``, ``false``) in the
  environment, or ``adcompiler.keep_allocator()`` called first, leaves the
  allocator as it is;
- so does a setting of these thresholds already made for the process
  (``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TOP_PAD_``,
  ``MALLOC_MMAP_MAX_``, or the same in ``GLIBC_TUNABLES``) or another allocator
  preloaded (jemalloc, tcmalloc, mimalloc in ``LD_PRELOAD``);
- ``adcompiler.tune_allocator(...)`` called first sets the program's own
  thresholds, and adcompiler leaves them.

It changes no value, only where freed memory goes. Its cost is memory: each
heap keeps up to ``trim_threshold`` of freed memory instead of returning it,
and glibc gives each thread that allocates much a heap of its own (a process
whose 8 threads each freed 60 MiB kept 510 MB, against 30 MB untuned). A
program that mallopt's itself after adcompiler's first compile overrides it.
Elsewhere than Linux (macOS, Windows) nothing is set.
"""
import ctypes
import os
import sys
import threading

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
_GLIBC_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
                   "MALLOC_MMAP_MAX_")
# glibc's environment settings and tunables of the two thresholds (and their kin)
_GLIBC_TUNABLES = ("glibc.malloc.trim_threshold", "glibc.malloc.mmap_threshold",
                   "glibc.malloc.top_pad", "glibc.malloc.mmap_max")
_PRELOADED = ("jemalloc", "tcmalloc", "mimalloc")
_settled = False  # whether the allocator's setting was decided: by us or by the program
_lock = threading.Lock()


def tune_allocator(trim_threshold=128 << 20, mmap_threshold=32 << 20):
    """Keep freed memory in the process for reuse; return whether glibc took it.

    ``mmap_threshold`` is capped by glibc at 32 MiB on 64-bit machines. A call
    before adcompiler's first compile stands in for the one it would make."""
    global _settled
    with _lock:
        _settled = True
        return _mallopt(trim_threshold, mmap_threshold)


def keep_allocator():
    """Leave the C allocator as it is: adcompiler will not tune it (call this before
    the first derivative is compiled; once tuned, the setting stays)."""
    global _settled
    with _lock:
        _settled = True


def tune_allocator_once(environ=os.environ):
    """``tune_allocator()`` the first time, unless the environment or the program
    has settled the allocator (see the module's text); None on later calls. Never
    raises: an allocator that cannot be set is left as it is."""
    global _settled
    if _settled:  # the common case, without the lock
        return None
    with _lock:
        if _settled:
            return None
        _settled = True
        return allocator_left_to_us(environ) and _mallopt(128 << 20, 32 << 20)


def _mallopt(trim_threshold, mmap_threshold):
    if not sys.platform.startswith("linux"):
        return False  # glibc's mallopt; ctypes.CDLL(None) fails on Windows besides
    try:
        mallopt = ctypes.CDLL(None).mallopt
        mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        return bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
                    and mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1)
    except Exception:  # no mallopt (musl has one that does nothing), no libc to load
        return False


def allocator_left_to_us(environ):
    """Whether ``environ`` leaves glibc's malloc settings to adcompiler."""
    if environ.get("ADCOMPILER_TUNE_ALLOCATOR", "").strip().lower() in \
            ("0", "off", "no", "false"):
        return False
    if any(name in environ for name in _GLIBC_SETTINGS):
        return False
    tunables = environ.get("GLIBC_TUNABLES", "")
    if any(name in tunables for name in _GLIBC_TUNABLES):
        return False
    preloaded = [os.path.basename(p) for p in environ.get("LD_PRELOAD", "").replace(":", " ")
                 .split()]
    return not any(name in p for p in preloaded for name in _PRELOADED)
