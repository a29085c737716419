"""AccumulateInPlace: add index adjoints into the buffer that holds the sum.

    >>> # before (grad of rosenbrock)                 after
    >>> # bx = runtime.unindex(bt_6, x, np.s_[:-1])   bx = runtime.unindex(bt_6, x, np.s_[:-1])
    >>> # bx = bx + runtime.unindex(bt_1, x, np.s_[:-1])
    >>> #                                             bx = runtime.index_add(bx, bt_1, x, np.s_[:-1])
    >>> # bx = bx + runtime.unindex(bt, x, np.s_[1:]) bx = runtime.index_add(bx, bt, x, np.s_[1:])

``a + runtime.unindex(t, x, i)`` makes an array of zeros shaped like ``x``,
writes ``t`` into it at ``i``, then adds two full arrays. When ``a`` is
consumable there (``opt.ownership``: an array made for this value, which
nothing reads after this sum) ``runtime.index_add(a, t, x, i)`` does
``a[i] += t`` instead: the same sums in the slots at ``i`` and no work
elsewhere. It computes exactly ``a + unindex(t, x, i)``, falling back to that
when the result's dtype or shape would differ from ``a``'s, so values never
change (a ``-0.0`` outside ``i`` keeps its sign, and compares equal).

Dense sums ``a + c`` are left alone: measured on the benchmarks, writing them
into ``a`` saved nothing (NumPy's allocator reuses the freed block at once),
while the helper's call cost slowed loops over scalars and small arrays.

Only Ops are rewritten; branches and loops are entered, never restructured.
"""
from .. import rules
from ..ir.nodes import Op, blocks, walk
from .ownership import Ownership

import runtime
from ..rules.registry import Prim, parse_params, register

# the helper, as a primitive (so generated code can be differentiated again)
if "runtime.index_add" not in rules.PRIMS:
    register(Prim("runtime.index_add", parse_params("acc, t, x, index"),
                  ("call", "runtime.index_add"),
                  vjp={"acc": "g", "t": "g[index]"},
                  jvp={"acc": "dacc", "t": "runtime.unindex(dt, x, index)"},
                  zero=("x", "index")),
             objects=[runtime.index_add])


def accumulate_in_place(fn):
    """Rewrite index adjoint sums into consumable buffers; return whether anything changed."""
    ops = [s for s in walk(fn.body) if type(s) is Op]
    unindexed = {id(op.target) for op in ops if op.prim == "runtime.unindex"}
    if not any(op.prim == "add" and (id(op.args[0]) in unindexed or id(op.args[1]) in unindexed)
               for op in ops):
        return False  # nothing to rewrite: no need for the ownership analysis
    owners = Ownership(fn)
    single_use_unindex = {}
    for key, op in owners.op_of.items():
        if op.prim == "runtime.unindex" and len(owners.where.get(key, ())) == 1:
            single_use_unindex[key] = op
    return _block(fn.body, owners, single_use_unindex)


def _block(body, owners, unindexed):
    changed = False
    for stmt in body:
        if isinstance(stmt, Op) and stmt.prim == "add" and stmt.target is not None:
            changed |= _rewrite(stmt, body, owners, unindexed)
        for block in blocks(stmt):
            changed |= _block(block, owners, unindexed)
    return changed


def _rewrite(op, body, owners, unindexed):
    for a, c in (op.args, op.args[::-1]):  # a + c == c + a exactly
        u = unindexed.get(id(c))
        if u is not None and owners.home.get(id(c)) == id(body) and owners.consumable(a, body):
            t, x, index = u.args
            op.prim, op.args = "runtime.index_add", (a, t, x, index)
            return True
    return False
