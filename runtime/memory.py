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
applies it once, with the defaults, before it compiles its first derivative
(``tune_allocator_once``), unless the environment says otherwise:

- ``ADCOMPILER_TUNE_ALLOCATOR=0`` (or ``off``, ``no``, ``false``) leaves the
  allocator as it is;
- so does any setting of glibc's malloc already made for the process
  (``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TOP_PAD_``,
  ``MALLOC_MMAP_MAX_``, ``glibc.malloc.*`` in ``GLIBC_TUNABLES``) or another
  allocator preloaded (``LD_PRELOAD`` naming a malloc: jemalloc, tcmalloc,
  mimalloc);
- so does calling ``tune_allocator`` yourself first, with your own thresholds.

It changes no value, only where freed memory goes. Its cost is memory: the
process keeps up to ``trim_threshold`` (128 MiB) of freed heap instead of
returning it. Elsewhere than glibc (macOS, Windows, musl) it does nothing and
returns False.
"""
import ctypes
import os

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
_GLIBC_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
                   "MALLOC_MMAP_MAX_")
_settled = False  # whether the allocator's setting was decided: by us or by the program


def tune_allocator(trim_threshold=128 << 20, mmap_threshold=32 << 20):
    """Keep freed memory in the process for reuse; return whether glibc took it.

    ``mmap_threshold`` is capped by glibc at 32 MiB on 64-bit machines. A call
    before adcompiler's first compile stands in for the one it would make."""
    global _settled
    _settled = True
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
                and mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1)


def tune_allocator_once(environ=os.environ):
    """``tune_allocator()`` the first time, unless the environment or the program
    has settled the allocator (see the module's text); None on later calls."""
    global _settled
    if _settled:
        return None
    _settled = True
    if not allocator_left_to_us(environ):
        return False
    return tune_allocator()


def allocator_left_to_us(environ):
    """Whether ``environ`` leaves glibc's malloc settings to adcompiler."""
    if environ.get("ADCOMPILER_TUNE_ALLOCATOR", "").strip().lower() in \
            ("0", "off", "no", "false"):
        return False
    if any(name in environ for name in _GLIBC_SETTINGS):
        return False
    if "glibc.malloc." in environ.get("GLIBC_TUNABLES", ""):
        return False
    return "malloc" not in environ.get("LD_PRELOAD", "")
