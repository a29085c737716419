"""CountOperations: the counting variant of a function, for ``runtime.counting``.

Every primitive operation's result passes through ``runtime.counting.counted``
with the primitive's name, so running the code inside
``runtime.counting.counting()`` counts what it executes::

    y = np.sin(x) * x          y = runtime.counting.counted('mul',
                                   runtime.counting.counted('np.sin', np.sin(x)) * x)

The values computed are unchanged (``counted`` returns its argument). Loops
and branches are entered; phi copies, loop control and the building of
returned tuples are not operations and are not counted.
"""
from ..ir.nodes import Const, Op, blocks

COUNTED = "runtime.counting.counted"
_FREE = {"tuple", "list", "assert", COUNTED}  # structure, not computation


def count_operations(fn):
    """Instrument ``fn`` (an IR function) in place; returns it."""
    fn.body[:] = _block(fn.body, fn.names)
    return fn


def _block(body, names):
    out = []
    for stmt in body:
        for inner in blocks(stmt):
            inner[:] = _block(inner, names)
        if not isinstance(stmt, Op) or stmt.prim in _FREE:
            out.append(stmt)
            continue
        name = Const(stmt.prim)
        if stmt.target is None:  # a bare call (a tape push): counted, with no result
            out.append(stmt)
            out.append(Op(None, COUNTED, [name, Const(None)], (), stmt.loc, stmt.note))
            continue
        result = stmt.target
        stmt.target = names.var("t")
        out.append(stmt)
        out.append(Op(result, COUNTED, [name, stmt.target], (), stmt.loc))
    return out
