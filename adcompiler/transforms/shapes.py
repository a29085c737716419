"""Shape analysis: which values share a shape, and which shapes are known.

The reverse transform asks it one question: may the adjoint flowing into an
elementwise operand have another shape than the operand (so that
``runtime.unbroadcast`` must sum it down)? Each value gets a *shape*: a tuple
when it is known while compiling, else a symbol, equal symbols meaning equal
shapes. A derivative is compiled for the shapes of its arguments at the first
call (``api.py`` keys its cache on them), so in ::

    def f(x, b):          # called with x of shape (64, 10), b of shape (10,)
        t = x * 2.0       # (64, 10): unbroadcast(g, x) is not needed
        u = t + b         # (64, 10): b's adjoint is summed down to (10,)

only ``b``'s contribution keeps its ``unbroadcast``, and its shape argument is
a constant rather than ``b`` (so ``b`` need not be taped in a loop).

Shapes are inferred only for operations whose result shape follows from the
operand shapes and constant arguments (elementwise operations, products,
reductions with a constant axis, constant indexing, transposes and reshapes);
anything else (a boolean mask read from data, a value popped from a list,
a global read at run time) gets a symbol of its own, and unbroadcast stays.
"""
import numpy as np

from .. import rules
from ..ir.nodes import Const, Global, Var, Op, If, For, While, Index, Slice, walk

_REDUCTIONS = {"np.sum", "np.mean", "np.max", "np.min", "np.amax", "np.amin", "np.prod",
               "np.var", "np.std"}
# results that are views of a zero-strided dummy: their shape costs nothing to find
_VIEWS = {"np.transpose", "np.expand_dims", "np.squeeze", "np.swapaxes", "np.moveaxis",
          "np.broadcast_to"}
_MATH_CONSTANTS = {"math.pi", "math.e", "math.tau", "math.inf", "math.nan"}
_SAME = {"copy", "astype", "np.zeros_like", "np.ones_like", "np.copy", "runtime.stop_gradient"}


def shape_symbols(fn, param_shapes=None):
    """A function from operand to shape: a tuple when known, else a symbol.

    ``param_shapes`` maps a parameter (by position in ``fn.params``) to the
    shape of the argument the derivative is compiled for; () is a scalar.
    Python numbers are scalars; an elementwise result has the broadcast shape
    of its arguments (a scalar broadcasts into anything).
    """
    sym, broken = {}, set()
    for i, shape in (param_shapes or {}).items():
        sym[id(fn.params[i])] = tuple(shape)

    def of(o):
        if isinstance(o, Const):
            if isinstance(o.value, (bool, int, float)):
                return ()
            if isinstance(o.value, np.ndarray):
                return o.value.shape
            return ("const", id(o))
        if isinstance(o, Var):
            return sym.get(id(o), ("var", id(o)))
        if isinstance(o, Global) and o.name in _MATH_CONSTANTS and type(o.value) is float:
            return ()  # math.pi and its like: a user's global may be rebound, these are not
        return ("other", id(o))

    sizes = {}  # id(var) -> its value: an int or tuple of ints read off a known shape
    consts = {}  # id(var) -> the Const standing for it: one, so its symbol stays its own

    def visit(body):
        for stmt in body:
            if isinstance(stmt, Op) and stmt.target is not None:
                op = _sizes_known(stmt, sizes, consts) if sizes else stmt
                size = _size_value(op, of)
                if size is not None:
                    sizes[id(stmt.target)] = size
                    if type(size) is int:
                        sym[id(stmt.target)] = ()
                        continue
                shape = result_shape(op, of)
                if shape is not None:
                    sym[id(stmt.target)] = shape
            elif isinstance(stmt, If):
                visit(stmt.body)
                visit(stmt.orelse)
                for phi in stmt.phis:
                    shapes = {of(i) for i in phi.inputs}
                    if len(shapes) == 1:
                        sym[id(phi.target)] = shapes.pop()
            elif isinstance(stmt, (For, While)):
                if isinstance(stmt, For):
                    if stmt.range_args is not None:
                        sym[id(stmt.target)] = ()  # an int from range()
                    elif stmt.source is not None and _known(of(stmt.source)) \
                            and of(stmt.source):
                        sym[id(stmt.target)] = of(stmt.source)[1:]  # a row of source
                    else:  # what an earlier pass over an enclosing loop assumed
                        sym.pop(id(stmt.target), None)
                    if stmt.counter is not None:
                        sym[id(stmt.counter)] = ()
                # optimistic: a loop-carried value keeps the shape it enters with,
                # unless one pass over the body shows it changing
                pending = [p for p in stmt.phis if id(p.target) not in sym
                           and id(p.target) not in broken]
                for p in pending:
                    sym[id(p.target)] = of(p.inputs[0])
                for _ in range(len(stmt.phis) + 1):
                    if isinstance(stmt, While):
                        visit(stmt.header)
                    visit(stmt.body)
                    bad = [p for p in stmt.phis if id(p.target) in sym
                           and of(p.inputs[1]) != sym[id(p.target)]]
                    if not bad:
                        break
                    for p in bad:
                        broken.add(id(p.target))
                        del sym[id(p.target)]
                        for v in _defined_in(stmt):
                            sym.pop(id(v), None)
                            sizes.pop(id(v), None)

    visit(fn.body)
    return of


def _size_value(op, of):
    """The value of ``op``'s result when it is an int or a tuple of ints that follows
    from known shapes (``x.shape``, ``x.shape[0]``, ``(k, d, d)``, ``d * d``): what a
    derivative compiled for its argument shapes may take as a constant."""
    key, args = op.prim, op.args
    if key == "len" and len(args) == 1 and isinstance(args[0], Const) \
            and type(args[0].value) is tuple:
        return len(args[0].value)  # of a shape: its number of axes
    if key in ("attr.shape", "attr.ndim", "attr.size", "len") and len(args) == 1:
        shape = known_shape(of(args[0]))
        if shape is None or key == "len" and not shape:
            return None
        return {"attr.shape": shape, "attr.ndim": len(shape), "len": shape and shape[0],
                "attr.size": int(np.prod(shape))}[key]
    if key == "getitem" and isinstance(args[0], Const) and type(args[0].value) is tuple:
        index = _const_index(args[1]) if isinstance(args[1], Index) else \
            getattr(args[1], "value", None)
        if type(index) is int and -len(args[0].value) <= index < len(args[0].value):
            return args[0].value[index]
        return None
    values = [a.value if isinstance(a, Const) else None for a in args]
    if op.kwargs or any(type(v) not in (int, tuple) for v in values):
        return None
    if key == "tuple" and all(type(v) is int for v in values):
        return tuple(values)
    if key in _INT_ARITHMETIC and len(values) == 2 and all(type(v) is int for v in values):
        return _INT_ARITHMETIC[key](*values)
    return None


_INT_ARITHMETIC = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
                   "mul": lambda a, b: a * b,
                   "floordiv": lambda a, b: a // b if b else None}


def _sizes_known(op, sizes, consts):
    """``op`` with its operands whose values are known sizes (``_size_value``) as
    constants (``consts`` keeps one per value); ``op`` itself when none is."""
    def const(o):
        if type(o) is Var and id(o) in sizes:
            c = consts.get(id(o))
            if c is None or c.value != sizes[id(o)]:
                c = consts[id(o)] = Const(sizes[id(o)])
            return c
        if type(o) is Slice:
            return Slice(*(None if p is None else const(p) for p in (o.lower, o.upper, o.step)))
        if type(o) is Index:
            return Index([const(i) for i in o.items], o.is_tuple)
        return o

    args = tuple(const(a) for a in op.args)
    if all(a is b for a, b in zip(args, op.args)):
        return op
    return Op(op.target, op.prim, args, op.kwargs, op.loc)


def broadcasts_into(shape, into):
    """Whether an array of ``shape`` broadcasts into one of ``into`` (False, not an
    error, for shapes that do not fit: code that never runs may hold them)."""
    try:
        return tuple(np.broadcast_shapes(shape, into)) == tuple(into)
    except ValueError:
        return False


def known_shape(shape):
    """``shape`` as a tuple when it is known while compiling, else None."""
    return shape if _known(shape) else None


def _known(shape):
    return isinstance(shape, tuple) and all(isinstance(n, int) for n in shape)


def result_shape(op, of):
    """The shape of ``op``'s result, or None when it does not follow from its operands'."""
    prim = rules.PRIMS[op.prim]
    key = prim.key
    if key in ("len", "int", "float", "bool") or _math_number(key, op):
        return ()
    if op.kwargs:
        return None
    if prim.elementwise:
        shapes = {of(a) for a in op.args} - {()}
        if not shapes:
            return ()
        if len(shapes) == 1:
            return shapes.pop()
        if all(_known(s) for s in shapes):
            try:
                return tuple(np.broadcast_shapes(*shapes))
            except ValueError:
                return None
        return None
    try:
        return _known_result(op, key, prim, of)
    except Exception:  # an operand of a shape the operation refuses: leave it unknown
        return None


def _known_result(op, key, prim, of):
    args = dict(zip(prim.param_names, op.args))
    first = of(op.args[0]) if op.args else None
    if key in _SAME and len(op.args) == 1 or key in ("copy", "astype"):
        return first if _known(first) or isinstance(first, tuple) else None
    if key == "runtime.full" and isinstance(op.args[1], Const):
        return tuple(op.args[1].value)
    if key in _REDUCTIONS and set(args) <= {"a", "x", "axis", "keepdims"} and \
            _const_is(args.get("axis"), None) and _const_is(args.get("keepdims"), False):
        return ()  # a reduction over all axes: a scalar, whatever was reduced
    if not _known(first):
        return None
    if key in ("matmul", "np.matmul"):
        return matmul_shape(first, _const_or_shape(op.args[1], of))
    if key == "np.dot":
        return _dot(first, _const_or_shape(op.args[1], of))
    if key == "np.outer":
        second = _const_or_shape(op.args[1], of)
        return (int(np.prod(first)), int(np.prod(second)))
    if key == "T":
        return first[::-1]
    if key in _REDUCTIONS:
        axis, keepdims = args.get("axis", Const(None)), args.get("keepdims", Const(False))
        others = [a for n, a in args.items() if n not in ("a", "x", "axis", "keepdims")
                  and not (isinstance(a, Const) and a.value is None)]
        if not (isinstance(axis, Const) and isinstance(keepdims, Const)) or \
                any(not isinstance(a, Const) for a in others):
            return None
        return _reduced(first, axis.value, keepdims.value)
    if key == "np.reshape":
        shape = op.args[1]
        if not isinstance(shape, Const):
            return None
        return _reshaped(first, shape.value)
    if key == "getitem" and isinstance(op.args[1], Index):
        index = _const_index(op.args[1])
        if index is None:
            return None
        return _dummy(first)[index].shape
    if key in _VIEWS:
        consts = op.args[1:]
        if not all(isinstance(a, Const) for a in consts):
            return None
        fn = prim.objects[0]
        return fn(_dummy(first), *(a.value for a in consts)).shape
    return None


# math's functions that multiply or add what they are given: math.prod([a, a]) of
# arrays is an array; the others convert their arguments to floats
_MATH_NOT_NUMBERS = {"prod", "sumprod"}


def _math_number(key, op):
    """Whether ``op`` calls one of math's functions that return a Python number."""
    if key.startswith("math."):
        return key[len("math."):] not in _MATH_NOT_NUMBERS
    if key == "call" and op.args and isinstance(op.args[0], Global):
        fn = op.args[0].value
        return getattr(fn, "__module__", None) == "math" and \
            getattr(fn, "__name__", None) not in _MATH_NOT_NUMBERS
    return False


def _const_is(operand, value):
    """Whether ``operand`` is absent or the constant ``value`` itself (0 is not False)."""
    return operand is None or isinstance(operand, Const) and operand.value is value


def _const_or_shape(operand, of):
    shape = of(operand)
    if not _known(shape):
        raise ValueError("unknown shape")
    return shape


def _dummy(shape):
    """A zero-strided array of ``shape``: indexing and views of it cost nothing."""
    return np.broadcast_to(np.zeros((), dtype=np.int8), shape)


def _const_index(index):
    items = []
    for item in index.items:
        if isinstance(item, Slice):
            parts = []
            for o in (item.lower, item.upper, item.step):
                if o is None:
                    parts.append(None)
                elif isinstance(o, Const) and isinstance(o.value, int):
                    parts.append(o.value)
                else:
                    return None
            items.append(slice(*parts))
        elif isinstance(item, Const) and (item.value is None or item.value is Ellipsis
                                          or type(item.value) is int):
            items.append(item.value)
        else:
            return None  # an index read from data, or an array of indices
    return tuple(items) if index.is_tuple else items[0]


def matmul_shape(a, b):
    """The shape of ``a @ b`` for operand shapes ``a`` and ``b`` (ValueError if none)."""
    if not a or not b:
        raise ValueError("matmul of a scalar")
    a2, b2 = (a if len(a) > 1 else (1,) + a), (b if len(b) > 1 else b + (1,))
    if a2[-1] != b2[-2]:
        raise ValueError("mismatched inner dimensions")
    batch = tuple(np.broadcast_shapes(a2[:-2], b2[:-2]))
    out = batch + (a2[-2] if len(a) > 1 else None, b2[-1] if len(b) > 1 else None)
    return tuple(n for n in out if n is not None)


def _dot(a, b):
    if not a or not b:
        return tuple(np.broadcast_shapes(a, b))
    if len(b) == 1:
        if a[-1] != b[0]:
            raise ValueError("mismatched inner dimensions")
        return a[:-1]
    if a[-1] != b[-2]:
        raise ValueError("mismatched inner dimensions")
    return a[:-1] + b[:-2] + b[-1:]


def _reduced(shape, axis, keepdims):
    ndim = len(shape)
    if axis is None:
        axes = set(range(ndim))
    else:
        axes = {a % ndim if -ndim <= a < ndim else _bad_axis()
                for a in (axis if isinstance(axis, tuple) else (axis,))}
    if keepdims is True:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    if keepdims is False:
        return tuple(n for i, n in enumerate(shape) if i not in axes)
    raise ValueError("keepdims is not a bool")


def _bad_axis():
    raise ValueError("axis out of range")


def _reshaped(shape, new):
    new = (new,) if isinstance(new, int) else tuple(new)
    size = int(np.prod(shape))
    if new.count(-1) == 1:
        rest = int(np.prod([n for n in new if n != -1]))
        if rest == 0 or size % rest:
            raise ValueError("cannot reshape")
        new = tuple(size // rest if n == -1 else n for n in new)
    if int(np.prod(new)) != size or any(n < 0 for n in new):
        raise ValueError("cannot reshape")
    return new


def _defined_in(loop):
    """Every value defined inside ``loop``: nested loops' targets too (``defs`` of a
    loop gives its phis' targets)."""
    out = []
    for s in walk(loop.body + getattr(loop, "header", [])):
        out.extend(s.defs())
        if isinstance(s, For):
            out.extend(v for v in (s.target, s.counter) if v is not None)
    return out
