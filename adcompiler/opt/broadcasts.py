"""DeferBroadcasts: a tangent made full only where its shape matters.

Where an elementwise operation's varied operands are smaller than its result,
forward mode gives the tangent the result's shape, as the value has it
(``Forward.elementwise``). In GMM's ``xc = x[:, None, :] - means[None, :, :]``
with only ``means`` varied, that is a (1000, 25, 10) array of 25 x 10 numbers
repeated, and the batched product that reads it does 1000 times the work::

    >>> # before (jvp of gmm)                          after
    >>> # dxc = runtime.full(-dmeans[None, :, :], (1000, 25, 10))
    >>> #                                              dxc = -dmeans[None, :, :]
    >>> # dQxc = (np.matmul(dQs, t_9) + np.matmul(Qs, dxc[:, :, :, None]))[:, :, :, 0]
    >>> #                                              (the same line)

The smaller array stands for the full one when every value made from it,
before the full shape comes back, is made by an operation that broadcasts it
anyway: an elementwise operation, an index of whole axes (``:`` and ``None``),
a matrix product whose operand differs only in its batch axes. Each of these
computes, from the smaller array, exactly the values it would compute from
the full one, only fewer times. The tangent goes unmade when every such path
ends in a value of the shape it had (here the sum with ``np.matmul(dQs,
t_9)``); a path that reaches anything else (a reduction, a return, a loop, a
call) keeps ``runtime.full``.

It needs the shapes a derivative is compiled for (``fn.shapes``, set by the
forward transform); code compiled for any shape keeps every ``runtime.full``.
"""
from .. import rules
from ..ir.nodes import Const, Index, Op, Slice, Var, all_operands, blocks, substitute, walk
from ..transforms.shapes import broadcasts_into, known_shape, result_shape, shape_symbols

# elementwise, but on Python scalars only, or not a function of each element alone
_NOT_BROADCASTING = frozenset(["float", "max", "min", "copy", "astype"])


def defer_broadcasts(fn):
    """Drop each ``runtime.full`` whose readers broadcast the smaller tangent anyway;
    return whether anything changed."""
    shapes = getattr(fn, "shapes", None)
    if not shapes or not any(type(s) is Op and s.prim == "runtime.full" for s in walk(fn.body)):
        return False
    changed = False
    while True:  # one at a time: dropping one changes the shapes the next is judged by
        of = shape_symbols(fn, shapes)
        readers = {}
        for stmt in walk(fn.body):
            for o in stmt.operands() if type(stmt) is Op else all_operands(stmt):
                if type(o) is Var:
                    readers.setdefault(id(o), []).append(stmt)
        full = next((op for op in walk(fn.body) if _deferrable(op, of, readers)), None)
        if full is None:
            return changed
        _remove(fn.body, full, fn.backward)
        small = full.args[0]
        if isinstance(small, Var) and small.temp:  # named as the tangent it stands for
            small.name, small.temp = full.target.name, full.target.temp
        substitute(fn.body, {id(full.target): small})
        changed = True


def _deferrable(op, of, readers):
    if type(op) is not Op or op.prim != "runtime.full" or not isinstance(op.args[1], Const):
        return False
    small, whole = known_shape(of(op.args[0])), known_shape(of(op.target))
    if not small or whole is None or small == whole or not broadcasts_into(small, whole):
        return False  # a scalar is left full: a Python float's tangent would lose float64
    new = {id(op.target): small}  # values made smaller, by id: their new shapes
    work = [op.target]
    while work:
        v = work.pop()
        for reader in readers.get(id(v), ()):
            if type(reader) is not Op or reader.target is None or reader.kwargs:
                return False  # a return, a branch, a loop, a bare call
            want = known_shape(of(reader.target))
            shape = _result_shape(reader, new, of)
            if want is None or shape is None or not broadcasts_into(shape, want):
                return False
            if shape != want:
                if id(reader.target) in new and new[id(reader.target)] != shape:
                    return False
                if id(reader.target) not in new:
                    new[id(reader.target)] = shape
                    work.append(reader.target)
    return True


def _result_shape(op, new, of):
    """The shape of ``op``'s result with the values in ``new`` at their smaller shapes,
    when it is made from them by broadcasting them; else None."""
    def shape(o):
        return new.get(id(o), of(o)) if isinstance(o, Var) else of(o)

    if op.prim == "runtime.full":
        return known_shape(of(op.target))  # made full again: the shape it had
    if op.prim == "getitem" and isinstance(op.args[1], Index):
        if any(isinstance(o, Var) and id(o) in new for o in op.args[1].operands()) or \
                not _whole_axes(known_shape(of(op.args[0])), shape(op.args[0]), op.args[1]):
            return None  # the smaller value indexes, or an index that does not broadcast
    elif op.prim in ("matmul", "np.matmul"):
        for operand in op.args:
            before, smaller = known_shape(of(operand)), known_shape(shape(operand))
            if isinstance(operand, Var) and id(operand) in new and not (
                    before is not None and smaller is not None and len(smaller) >= 3
                    and len(before) >= 3 and smaller[-2:] == before[-2:]):
                return None  # only batch axes may be smaller
    elif not _broadcasting(rules.PRIMS[op.prim]):
        return None
    return known_shape(result_shape(op, shape))


def _broadcasting(prim):
    """Whether ``prim`` computes each element of its result from the elements of its
    operands at that place alone: operators and NumPy's elementwise functions (not
    the user's functions, whose declared partials say nothing of shapes)."""
    if not prim.elementwise or prim.key in _NOT_BROADCASTING:
        return False
    return prim.emit[0] in ("binop", "unop") or \
        prim.emit[0] == "call" and prim.emit[1].split(".")[0] in ("np", "runtime")


def _whole_axes(before, smaller, index):
    """Whether ``index`` takes whole axes (``:``, ``None``) of a value whose shape
    goes from ``before`` to ``smaller``, and ints only on axes of the size they had:
    then it indexes the smaller value as it indexed the full one."""
    if before is None or smaller is None or len(before) != len(smaller):
        return False
    axis = 0
    for item in index.items:
        if isinstance(item, Slice) and item.lower is item.upper is item.step is None:
            axis += 1
        elif isinstance(item, Const) and item.value is None:
            continue
        elif isinstance(item, Const) and type(item.value) is int and axis < len(before) \
                and before[axis] == smaller[axis]:
            axis += 1
        else:
            return False
    return True


def _remove(body, op, tangents):
    for i, stmt in enumerate(body):
        if stmt is op:
            del body[i]
            after = body[i] if i < len(body) else None
            if op.note is not None and type(after) is Op and after.note is None and \
                    after.target is not None and id(after.target) in tangents:
                after.note = op.note  # the comment opens the tangent code it opened
            return True
        for block in blocks(stmt):
            if _remove(block, op, tangents):
                return True
    return False
