"""Optimisation passes over the IR, one per module, run as a literal pipeline."""
from .accumulate import accumulate_in_place
from .dce import eliminate_dead_code
from .negations import fold_negations

# fold_negations and accumulate_in_place read use counts: dead code goes first
PIPELINE = [eliminate_dead_code, fold_negations, accumulate_in_place]


def optimize(fn):
    """Run the pipeline until no pass changes anything."""
    changed = True
    while changed:
        changed = False
        for p in PIPELINE:
            changed |= bool(p(fn))
    return fn
