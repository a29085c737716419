"""adcompiler against its peers: ``python -m benchmarks.run`` (see docs/performance.md)."""


def allocator_option(parser):
    """The benchmarks' ``--keep-allocator``: measure with glibc's malloc as it is."""
    parser.add_argument("--keep-allocator", action="store_true",
                        help="leave glibc's malloc as it is (ADCOMPILER_TUNE_ALLOCATOR=0); "
                             "by default it is tuned first, as adcompiler's first compile "
                             "would, so that every tool runs with the same setting")
    parser.add_argument("--tune-allocator", action="store_true",
                        help="the default now; kept so that older commands still run")


def settle_allocator(args):
    """Tune the allocator before any tool runs, unless ``--keep-allocator``; say which."""
    import os

    from runtime.memory import tune_allocator_once
    if args.keep_allocator:
        os.environ["ADCOMPILER_TUNE_ALLOCATOR"] = "0"
    tuned = tune_allocator_once()
    print(f"allocator: {'tuned (runtime/memory.py)' if tuned else 'as it is'}")
