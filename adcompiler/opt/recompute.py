"""Store or recompute: which values of a loop iteration the backward sweep redoes.

The reverse transform tapes each value of a loop's iteration that the
backward sweep reads (``Reverse.tape_block``). For a value made by one
addition, subtraction, multiplication or negation it asks this module first:
when every operand is at hand in the backward body, the operation is redone
there instead of the value going on the tape::

    # before (grad of the logistic map x = r * x * (1 - x))
    for _ in range(T):                        for _ in reversed(range(T)):
        t_3 = r * x_1                             t_4 = tape.pop()
        t_4 = 1 - x_1                             t_3 = tape.pop()
        x_2 = t_3 * t_4                           bt_3 = bx_2 * t_4 ...
        tape.push(t_3)
        tape.push(t_4)
    # after
    for _ in range(T):                        for _ in reversed(range(T)):
        x_2 = r * x_1 * (1 - x_1)                 x_3 = tape.pop()
        tape.push(x_1)                            t_3 = r * x_3
                                                  t_4 = 1 - x_3
                                                  bt_3 = bx_2 * t_4 ...

It runs with the other optimisations: ``grad(f, optimize=False)`` tapes
every value.
"""
from ..ir.nodes import Const, Op, Var, While, defined_in


# one elementwise operation: less to redo than a tape entry costs to keep
RECOMPUTED = frozenset(["add", "sub", "mul", "neg"])


def store_or_recompute(loop, defs, needed, exclude, shape_only):
    """Which of the values ``needed`` from each iteration of ``loop`` to tape, and
    which to recompute in the backward body: ``(taped, recomputed ops)``.

    A value made by one operation of ``RECOMPUTED`` is recomputed when each of
    its operands is at hand there: a constant, a value from outside the loop, a
    value taped or recomputed. A value nothing else needs is taped in place of
    two or more such values that all need it (the logistic map ``r * x * (1 -
    x)`` tapes ``x``, not ``r * x`` and ``1 - x``). Redoing the operation gives
    the same bits; what it saves is a push and a pop per value and iteration,
    and for arrays the memory of one array per iteration, which fresh from the
    operating system costs more than the pass that recomputes it.
    """
    inner = defined_in(loop.header if isinstance(loop, While) else []) | defined_in(loop.body)
    inner |= {id(p.target) for p in loop.phis} | {id(d) for d in loop.loop_defs()}
    made_by = {id(s.target): s for s in loop.body
               if isinstance(s, Op) and s.target is not None and s.prim in RECOMPUTED
               and id(s.target) not in shape_only
               and not s.kwargs and all(isinstance(a, (Var, Const)) for a in s.args)}
    tapeable = {id(d) for d in defs} - set(exclude)
    taped = {id(v) for v in needed}
    redone = set()

    def missing(v):
        """The loop's values that recomputing ``v`` needs and nothing provides yet."""
        return {id(a): a for a in made_by[id(v)].args if isinstance(a, Var) and
                id(a) in inner and id(a) not in taped and id(a) not in redone}

    changed = True
    while changed:
        changed = False
        for key in [k for k in taped if k in made_by]:
            if not missing(made_by[key].target):
                taped.discard(key)
                redone.add(key)
                changed = True
        if changed:
            continue
        wanted = {}  # a value not taped -> the values it alone stands between and recomputing
        for key in [k for k in taped if k in made_by]:
            lacking = missing(made_by[key].target)
            if len(lacking) == 1:
                (need, v), = lacking.items()
                wanted.setdefault(need, []).append(key)
        for need, keys in wanted.items():
            if len(keys) >= 2 and need in tapeable:
                taped.add(need)
                changed = True
                break
    order = {id(d): i for i, d in enumerate(defs)}
    by_id = {id(d): d for d in defs}
    kept = sorted(taped, key=order.__getitem__)
    recomputed = [made_by[k] for k in sorted(redone, key=order.__getitem__)]
    return [by_id[k] for k in kept], recomputed
