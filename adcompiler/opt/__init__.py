"""Optimisation passes over the IR, one per module, run as a literal pipeline."""
from .dce import eliminate_dead_code

PIPELINE = [eliminate_dead_code]


def optimize(fn):
    """Run the pipeline until no pass changes anything."""
    changed = True
    while changed:
        changed = False
        for p in PIPELINE:
            changed |= bool(p(fn))
    return fn
