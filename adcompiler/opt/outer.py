"""DeferOuterProducts: sum a loop's outer products in one matrix product after it.

    >>> # before (grad of an RNN step h = tanh(x @ Wx + h @ Wh + b))
    >>> # for _ in range(trip):                    x_steps = runtime.Tape()
    >>> #     ...                                  bt_3_steps = runtime.Tape()
    >>> #     bWx = bWx + np.outer(x, bt_3)        for _ in range(trip):
    >>> #     ...                                      ...
    >>> #                                              x_steps.push(x)
    >>> #                                              bt_3_steps.push(bt_3)
    >>> #                                              ...
    >>> #                                          bWx = bWx + runtime.outer_sum(x_steps, bt_3_steps)

The adjoint of ``W`` in ``v @ W`` (``v`` a vector) is ``np.outer(v, g)``; in a
loop over time steps, adding one per step costs two NumPy calls a step, where
Python's call overhead outweighs the arithmetic for small vectors. Collected
instead, the sum of the outer products is one matrix product ``V.T @ G`` of
the stacked (flattened, as np.outer flattens) values after the loop. It sums
in another order (within rounding of the step-by-step sum), and its helpers
have no derivative rule, so the pass runs only on code that is not
differentiated again (``optimize(fn, final=True)``).

It applies to an accumulator carried by a loop (``acc = phi(init, next)``)
whose body computes ``next = acc + np.outer(v, g)`` at its top level and reads
``acc`` nowhere else, with the product read by that sum alone; then also to
``next = acc + g`` for a ``g`` so collected (``bb = bb + bt_3``), summed as
``runtime.stacked_sum(gs)``. Both hold whatever the shapes: np.outer flattens
its operands, and a sum of values of one shape is the sum of their stack.
"""
from ..ir.nodes import For, Op, Var, While, read_counts, walk

import runtime
from .. import rules
from ..rules.registry import Prim, parse_params, register

# the helper, as a primitive without a derivative rule: differentiating code that calls
# it raises NoRuleError (it is only generated where nothing differentiates it)
if "runtime.outer_sum" not in rules.PRIMS:
    register(Prim("runtime.outer_sum", parse_params("vs, gs"), ("call", "runtime.outer_sum")),
             objects=[runtime.outer_sum])
    register(Prim("runtime.stacked_sum", parse_params("gs"), ("call", "runtime.stacked_sum")),
             objects=[runtime.stacked_sum])


def defer_outer_products(fn):
    """Move loops' outer-product sums after them; return whether anything changed."""
    if not any(isinstance(s, Op) and s.prim == "np.outer" for s in walk(fn.body)):
        return False  # nothing to defer: no need to count reads
    return _block(fn.body, read_counts(fn.body), fn.names)


def _block(body, uses, names):
    changed = False
    k = 0
    while k < len(body):
        stmt = body[k]
        if isinstance(stmt, (For, While)):
            for block in ([stmt.header] if isinstance(stmt, While) else []) + [stmt.body]:
                changed |= _block(block, uses, names)
            before, after = _defer(stmt, uses, names)
            if before:
                body[k:k + 1] = before + [stmt] + after
                k += len(before) + len(after)
                changed = True
        elif hasattr(stmt, "body"):  # an If
            changed |= _block(stmt.body, uses, names)
            changed |= _block(stmt.orelse, uses, names)
        k += 1
    return changed


def _defer(loop, uses, names):
    """The statements to put before and after ``loop`` for its deferrable sums."""
    defs = {id(s.target): s for s in loop.body if isinstance(s, Op) and s.target is not None}
    reads_in_loop = read_counts(loop.body + getattr(loop, "header", []))
    for phi in loop.phis:
        for o in phi.inputs[1:]:
            if isinstance(o, Var):
                reads_in_loop[id(o)] = reads_in_loop.get(id(o), 0) + 1
    before, after, stacks = [], [], {}

    def stack(value, at, keep=False):
        """The tape collecting ``value`` each iteration, pushed where ``at`` is; ``at``
        goes (it is kept, for another push before it, with ``keep``)."""
        pos = loop.body.index(at)
        if id(value) not in stacks:
            tape = Var(names.fresh(_base(value) + "_steps"))
            before.append(Op(tape, "runtime.Tape", [], (), at.loc, loop.note))
            stacks[id(value)] = tape
            loop.body.insert(pos, Op(None, "tape.push", [tape, value], (), at.loc, at.note))
            pos += 1
        if not keep:
            del loop.body[pos]
        return stacks[id(value)]

    def candidates():
        # acc is read by its sum alone inside the loop (its value after the loop is
        # what the new statement defines); next by the phi alone
        for phi in loop.phis:
            if not phi.inputs:  # deferred already
                continue
            acc, nxt = phi.target, phi.inputs[1]
            ok = reads_in_loop.get(id(acc)) == 1 and uses.get(id(nxt)) == 1
            yield phi, (defs.get(id(nxt)) if ok else None)

    for phi, add in candidates():  # outer products first: they make the stacks
        found = _outer_sum_of(add, phi.target, defs, uses)
        if found is None:
            continue
        add, product = found
        v, g = product.args
        # both values are pushed where the product read them: no name can have
        # changed in between
        vs = stack(v, product, keep=True)
        gs = stack(g, product)
        loop.body.remove(add)
        total = names.var("t")  # a temporary: printed inside the sum
        after += [Op(total, "runtime.outer_sum", [vs, gs], (), add.loc, loop.note),
                  Op(phi.target, "add", [phi.inputs[0], total], (), add.loc, loop.note)]
        phi.inputs = []
    for phi, add in candidates():  # then sums of a vector already stacked
        if add is None or add.prim != "add" or \
                add.args[0] is not phi.target or id(add.args[1]) not in stacks:
            continue
        loop.body.remove(add)
        total = names.var("t")
        after += [Op(total, "runtime.stacked_sum", [stacks[id(add.args[1])]], (), add.loc,
                     loop.note),
                  Op(phi.target, "add", [phi.inputs[0], total], (), add.loc, loop.note)]
        phi.inputs = []
    loop.phis[:] = [p for p in loop.phis if p.inputs]
    return before, after


def _outer_sum_of(add, acc, defs, uses):
    """The Ops of ``acc + np.outer(v, g)`` (the sum, the product) when ``add`` is
    that, the product read by the sum alone; else None."""
    if add is None or add.prim != "add" or add.args[0] is not acc:
        return None
    product = defs.get(id(add.args[1]))
    if product is None or product.prim != "np.outer" or uses.get(id(product.target)) != 1:
        return None
    return add, product


def _base(v):
    return v.name if isinstance(v, Var) else "v"
