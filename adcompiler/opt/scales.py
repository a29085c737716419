"""FoldScales: move a power of two out of a product, into a constant or past a sum.

    >>> # before (jvp of np.sum(x ** 2))          after
    >>> # t = 2 * x
    >>> # dt = dx * t
    >>> # dout = np.sum(dt)                       t_1 = np.sum(dx * x)
    >>> #                                         dout = 2 * t_1
    >>> # before (jvp of rosenbrock)              after
    >>> # t_4 = 2 * t_3
    >>> # t_5 = dt_3 * t_4
    >>> # dt_6 = 100.0 * t_5                      dt_6 = dt_3 * t_3 * 200.0

A partial derivative of a square is ``2 * x``: one pass over the array to
double it, where the doubling could ride on a constant the product meets next
(``100.0 * (u * (2 * v))`` is ``(u * v) * 200.0``) or on the number a sum or
mean makes of it (``np.sum(u * (2 * v))`` is ``2 * np.sum(u * v)``, whatever
the axis). Both save a pass over the array.

Scaling by a power of two ``c`` is exact in binary floating point, and commutes
with rounding: ``u * (c * v)`` is ``c * (u * v)`` to the bit, and so is each
partial sum of a sum, and the division of a mean. Only ``|c| >= 1`` moves, so
what the rewritten code computes before scaling is never larger than what the
original computed: nothing overflows that did not. The rewrites give the same
bits, except where ``u * v`` is subnormal (rounding then doubling differs from
doubling then rounding) or where the original overflowed (the rewritten code is
then the more accurate). ``k * c`` is computed when compiling, exact when it is
finite, and moved only then. A scale of one half (``0.5 / ans``, sqrt's) stays:
``u * v`` may overflow where ``u * (0.5 * v)`` does not.

Only derivative code is rewritten (``Function.backward``: adjoints, tangents and
their temporaries, floats), and only where the product and ``c * v`` are read
once, by the statement rewritten, in the same block, and no name they read is
rebound in between. The products left unread go to dead-code elimination.
"""
import math

from ..ir.nodes import Const, Op, Var, blocks, read_counts, unrebound

_REDUCTIONS = ("np.sum", "np.mean")


def fold_scales(fn):
    """Move powers of two out of products in derivative code; return whether anything
    changed."""
    if not fn.backward:
        return False
    made = []  # the sums made: derivative code too
    changed = _block(fn.body, read_counts(fn.body), fn.backward, fn.names, made)
    fn.backward = fn.backward | {id(v) for v in made}
    return changed


def _block(body, uses, backward, names, made):
    changed = False
    defs = {}  # id(var) -> position in body of the derivative Op defining it
    pos = 0
    while pos < len(body):
        stmt = body[pos]
        if isinstance(stmt, Op) and stmt.target is not None and id(stmt.target) in backward:
            inserted = _rewrite(stmt, pos, body, defs, uses, names, made)
            if inserted:  # a statement went in before this one: positions move on by one
                for key, at in defs.items():
                    if at >= pos:
                        defs[key] = at + 1
                pos += 1
            changed |= inserted is not None
            defs[id(stmt.target)] = pos
        for block in blocks(stmt):
            changed |= _block(block, uses, backward, names, made)
        pos += 1
    return changed


def _rewrite(op, pos, body, defs, uses, names, made):
    """Rewrite ``op`` in place; None when nothing changed, else whether a statement was
    inserted before it."""
    def single(o):
        """The product defining ``o``, when ``op``'s rewrite is its only reader."""
        if isinstance(o, Var) and uses.get(id(o)) == 1 and id(o) in defs:
            d = body[defs[id(o)]]
            if d.prim == "mul":
                return d
        return None

    if op.prim == "mul":  # k * (u * (c * v)) -> (u * v) * (k * c)
        for k in (0, 1):
            factor, product = op.args[k], single(op.args[1 - k])
            if not _number(factor) or product is None:
                continue
            found = _doubling(product, single, body, defs)
            if found is None:
                continue
            u, c, v = found
            scale = factor.value * c.value
            if not math.isfinite(scale):
                continue
            _reads(uses, product.args, -1)
            product.args = (u, v)
            _reads(uses, product.args, +1)
            op.args = (product.target, Const(scale))
            return False
        return None
    if op.prim in _REDUCTIONS:  # np.sum(u * (c * v)) -> c * np.sum(u * v)
        product = single(op.args[0])
        found = _doubling(product, single, body, defs) if product is not None else None
        if found is None:
            return None
        u, c, v = found
        _reads(uses, product.args, -1)
        product.args = (u, v)
        _reads(uses, product.args, +1)
        total = names.var("t")
        body.insert(pos, Op(total, op.prim, list(op.args), op.kwargs, op.loc, op.note))
        uses[id(total)] = 1
        made.append(total)
        op.prim, op.args, op.kwargs = "mul", (c, total), ()
        return True
    return None


def _doubling(product, single, body, defs):
    """(u, c, v) when ``product`` is ``u * (c * v)`` (in either order) with ``c`` a
    power of two and ``c * v`` read only there, else None."""
    for j in (0, 1):
        inner = single(product.args[j])
        if inner is None:
            continue
        for i in (0, 1):
            c, v = inner.args[i], inner.args[1 - i]
            if _power_of_two(c) and abs(c.value) >= 1 and not _power_of_two(v) and \
                    unrebound([v], body, defs[id(product.args[j])], defs[id(product.target)]):
                return product.args[1 - j], c, v
    return None


def _number(o):
    return isinstance(o, Const) and type(o.value) in (int, float)


def _power_of_two(o):
    if not _number(o) or o.value == 0 or not math.isfinite(o.value):
        return False
    return math.frexp(abs(o.value))[0] == 0.5


def _reads(uses, operands, step):
    """Count ``operands`` as read ``step`` more times."""
    for o in operands:
        if isinstance(o, Var):
            uses[id(o)] = uses.get(id(o), 0) + step
