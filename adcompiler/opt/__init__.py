"""Optimisation passes over the IR, one per module, run as a literal pipeline."""
from .accumulate import accumulate_in_place
from .broadcasts import defer_broadcasts
from .dce import eliminate_dead_code
from .negations import fold_negations
from .outer import defer_outer_products
from .scales import fold_scales

# the passes after it read use counts: dead code goes first
PIPELINE = [eliminate_dead_code, fold_negations, fold_scales, accumulate_in_place,
            defer_broadcasts]
# passes for code that is not differentiated again (their helpers have no rules)
FINAL = [defer_outer_products]


def optimize(fn, final=False):
    """Run the pipeline until no pass changes anything; with ``final``, the code
    will not be differentiated again, and FINAL's passes run too."""
    passes = PIPELINE + FINAL if final else PIPELINE
    # round and round the list, until every pass has run once since the last change.
    # A pass is passed over when it would find nothing: nothing changed since its last
    # run, or only that run did and the pass is idempotent (a second run right after
    # changes nothing; dead-code elimination is the one that says so).
    stale = [True] * len(passes)  # per pass: whether something changed since it ran
    k = 0
    while any(stale):
        i = k % len(passes)
        if stale[i]:
            stale[i] = False
            if passes[i](fn):
                stale = [True] * len(passes)
                stale[i] = not getattr(passes[i], "idempotent", False)
        k += 1
    return fn
