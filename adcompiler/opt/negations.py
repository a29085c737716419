"""FoldNegations: fold a negation into the product or sum that reads it.

    >>> # before (grad of rosenbrock)              after
    >>> # bt_7 = bout * (2 * t_7)
    >>> # bt_6 = -bt_7                             bt_6 = bout * (-2 * t_7)
    >>> # bt_2 = -bt_3
    >>> # bt_1 = bt_2 * (2 * t_1)                  bt_1 = bt_3 * (-2 * t_1)
    >>> # bx = bx + -bt                            bx = bx - bt

Each ``-v`` over an array is a pass over it. The rewrites are exact in IEEE
arithmetic (negation only flips a sign, and rounding is symmetric), so the
gradient does not change by a bit:

- ``-(a * (c * y))`` is ``a * (-c * y)``, and ``-(c * a)`` is ``-c * a``;
- ``(-v) * (c * y)`` is ``v * (-c * y)``, and ``(-v) * c`` is ``v * -c``;
- ``a + (-v)`` and ``(-v) + a`` are ``a - v``, and ``a - (-v)`` is ``a + v``;
- ``a + (-v) * w`` is ``a - v * w`` (and ``a - (-v) * w`` is ``a + v * w``), also
  where other products read ``-v``;

for a number ``c`` known when compiling (an integer only when it is not 0,
whose negation would lose the sign of a -0.0). Only derivative code is
rewritten (``Function.backward``: the backward sweep, or forward mode's
tangent code, where ``dt = -dx[:-1]; dt_1 = dt * (2 * t_7)`` becomes
``dt_1 = dx[:-1] * (-2 * t_7)`` the same way): adjoints and tangents are
floats, while the user's own code may negate unsigned integers, where ``-v``
wraps around.
A negation or product is folded only when the one statement rewritten is its
only reader, in the same block, and no name it reads is rebound in between.
The folded values are left to dead-code elimination.
"""
from ..ir.nodes import Const, Op, Var, blocks, read_counts, unrebound, walk


def fold_negations(fn):
    """Fold negations into their readers; return whether anything changed."""
    backward = fn.backward
    if not any(isinstance(s, Op) and s.prim == "neg" and id(s.target) in backward
               for s in walk(fn.body)):
        return False  # nothing to fold: no need to count reads
    return _block(fn.body, read_counts(fn.body), backward)


def _block(body, uses, backward):
    changed = False
    defs = {}  # id(var) -> position in body of the backward Op defining it
    for pos, stmt in enumerate(body):
        if type(stmt) is not Op:
            for block in blocks(stmt):
                changed |= _block(block, uses, backward)
        elif stmt.target is not None and id(stmt.target) in backward:
            if stmt.prim in _REWRITTEN and _reads_a_fold(stmt, body, defs, uses):
                changed |= _rewrite(stmt, pos, body, defs, uses)
            defs[id(stmt.target)] = pos
    return changed


_REWRITTEN = frozenset(["neg", "mul", "add", "sub"])  # the readers _rewrite folds into


def _reads_a_fold(op, body, defs, uses):
    """Whether ``op`` is the only reader of a negation or product of this block:
    each rewrite of ``_rewrite`` needs one, so most Ops are passed over here."""
    for o in op.args:
        if type(o) is Var and uses.get(id(o)) == 1 and id(o) in defs and \
                body[defs[id(o)]].prim in ("neg", "mul"):
            return True
    return False


def _rewrite(op, pos, body, defs, uses):
    def single(o, prim):
        """The Op defining ``o`` with ``prim``, when ``op`` is its only reader."""
        if isinstance(o, Var) and uses.get(id(o)) == 1 and id(o) in defs:
            d = body[defs[id(o)]]
            if d.prim == prim:
                return d
        return None

    def moved(reads, source):
        """``op`` now reads ``reads`` in place of ``source``'s result: count them as
        read twice (the old reader stays until dead-code elimination)."""
        uses[id(source.target)] -= 1
        for o in reads:
            if isinstance(o, Var):
                uses[id(o)] = uses.get(id(o), 0) + 1

    if op.prim == "neg":
        product = single(op.args[0], "mul")
        if product is None:
            return False
        negated = _negate_factor(product.args, single)
        if negated is None or not unrebound(product.args, body, defs[id(op.args[0])], pos):
            return False
        args, apply = negated
        apply()
        moved(args, product)
        op.prim, op.args = "mul", args
        return True
    if op.prim == "mul":
        for k in (0, 1):
            neg = single(op.args[k], "neg")
            if neg is None or not unrebound(neg.args, body, defs[id(op.args[k])], pos):
                continue
            other = _negate_factor((op.args[1 - k],), single)
            if other is None:
                continue
            (factor,), apply = other
            apply()
            moved(neg.args, neg)
            args = [None, None]
            args[k], args[1 - k] = neg.args[0], factor
            op.args = tuple(args)
            return True
        return False
    if op.prim in ("add", "sub"):
        flipped = "sub" if op.prim == "add" else "add"
        neg = single(op.args[1], "neg")
        if neg is not None and unrebound(neg.args, body, defs[id(op.args[1])], pos):
            moved(neg.args, neg)
            op.prim, op.args = flipped, (op.args[0], neg.args[0])
            return True
        neg = single(op.args[0], "neg") if op.prim == "add" else None
        if neg is not None and unrebound(neg.args, body, defs[id(op.args[0])], pos):
            moved(neg.args, neg)  # (-v) + a is a - v
            op.prim, op.args = "sub", (op.args[1], neg.args[0])
            return True
        # a + (-v) * w is a - v * w, however many products read -v
        product = single(op.args[1], "mul")
        if product is None:
            return False
        for k in (0, 1):
            n = product.args[k]
            if not (isinstance(n, Var) and id(n) in defs and body[defs[id(n)]].prim == "neg"):
                continue
            neg = body[defs[id(n)]]
            if unrebound(neg.args, body, defs[id(n)], defs[id(product.target)]):
                moved(neg.args, neg)  # the product reads v in place of -v
                args = list(product.args)
                args[k] = neg.args[0]
                product.args = tuple(args)
                op.prim = flipped
                return True
    return False


def _negate_factor(args, single):
    """``args`` (the factors of a product) with one constant factor negated, and
    the change to make to an inner product for it, or None.

    A factor is a number, or ``c * y`` with a number ``c`` that nothing else reads
    (whose Op the change rewrites)."""
    for k, a in enumerate(args):
        if _number(a):
            return args[:k] + (Const(-a.value),) + args[k + 1:], lambda: None
    for a in args:
        inner = single(a, "mul")
        if inner is None:
            continue
        for j, c in enumerate(inner.args):
            if _number(c):
                def apply(inner=inner, j=j, c=c):
                    inner.args = inner.args[:j] + (Const(-c.value),) + inner.args[j + 1:]
                return tuple(args), apply
    return None


def _number(o):
    return isinstance(o, Const) and (type(o.value) is float or
                                     type(o.value) is int and o.value != 0)
