"""Forward mode: from an SSA function to its Jacobian-vector product.

Each value ``x`` that depends on the inputs gets a tangent ``dx``, computed
after the statement that computes ``x`` from the same rule table as reverse
mode:

- elementwise primitives: the sum over arguments of partial * tangent;
- primitives linear in some arguments: the primitive applied to their tangents;
- other primitives: their ``jvp`` template, a sum with one term per argument,
  the terms of arguments without a tangent left out.

    >>> # def f(x, w):                    def jvp_f(x, w, dx, dw):
    >>> #     y = np.tanh(x @ w)              y = np.tanh(x @ w)
    >>> #     return np.sum(y ** 2)           # Tangent of: y = np.tanh(x @ w)
    >>> #                                     dy = (dx @ w + x @ dw) * (1 - y ** 2)
    >>> #                                     out = np.sum(y ** 2)
    >>> #                                     # Tangent of: return np.sum(y ** 2)
    >>> #                                     dout = np.sum(dy * (2 * y))
    >>> #                                     return out, dout

The tangent of a compiler temporary is a temporary too: used once, codegen
folds it into its reader, as it folds the value, and no array is held to the
end of the call for it.

Branches and loops carry tangents through phis of their own; no tape is
needed. Applied to reverse-mode code (second derivatives), a value pushed on a
tape carries its tangent with it, and an adjoint's branch starts from the
tangents of the branch it mirrors.
"""
import gast

from .. import rules
from ..errors import UnsupportedError
from ..ir.build import Lowerer
from ..ir.nodes import (Const, For, Function, Global, If, Index, Op, Phi, Return, Var, While,
                        defined_in, leaves, read_counts, walk)
from .activity import Activity, recursive_callee
from .shapes import broadcasts_into, known_shape, matmul_shape, shape_symbols
from .reverse import instantiate


# kept in program order with their tangents: tape pushes and pops pair values with
# tangents by position, and index_add writes into its first argument's buffer
_IN_ORDER = {"tape.push", "tape.pop", "runtime.index_add"}


class Forward:
    """``return_value=False`` returns the tangent alone; ``tangent_default`` gives
    the tangent parameters a default (1.0 makes a scalar function's derivative a
    function of the same arguments, which can be differentiated again).

    ``python_floats``, for code that is not differentiated again: scalar tangent
    arithmetic runs on Python floats, about three times as fast as on np.float64's
    (a scalar loop's tangent code is most of its time). A scalar tangent with
    nothing flowing into it is ``0.0`` for a Python number (``runtime.zero_tangent``: an
    np.float32's is of its dtype); a loop over an array's elements reads its
    tangent's elements from a list of floats (``runtime.python_floats``); and a
    scalar of the function that may be a NumPy scalar (``numpy_scalars``) is
    read by a tangent product as ``float(v)`` (``runtime.to_float``), the same number::

        t_1 = np.sin(x)
        x_1 = x + 0.01 * (a * t_1 - b * x)
        # Tangent of: x = x + 0.01 * (a * np.sin(x) - b * x)
        dx_1 = dx + 0.01 * (da * runtime.to_float(t_1) + dx * runtime.cos(x) * a - (db *
            runtime.to_float(x) + dx * b))

    A tangent keeps its own dtype: Python floats are weak in NumPy's promotion,
    so an np.float32 tangent times ``float(v)`` is an np.float32.
    """

    def __init__(self, fn, wrt, name=None, return_value=True, tangent_default=None, shapes=(),
                 python_floats=False):
        self.fn, self.wrt = fn, list(wrt)
        # shapes of the arguments compiled for: where an elementwise result may be
        # larger than its active operands (broadcasting), the tangent is made full
        self.param_shapes = {i: s for i, s in enumerate(shapes)
                             if s is not None and i < len(fn.params)}
        self.shape_of = shape_symbols(fn, self.param_shapes)
        self.return_value, self.tangent_default = return_value, tangent_default
        self.names = fn.names
        pops = [s.target for s in _walk_ops(fn.body) if s.prim == "tape.pop"]
        self.tape_carries = any(self._pushes_varied(fn))
        self.activity = Activity(fn, [fn.params[i] for i in self.wrt],
                                 extra_varied=pops if self.tape_carries else (),
                                 tape_is_used=self.tape_carries, forward=True)
        self.tan = {}   # id(var) -> its tangent (an operand); absent: zero
        self.primal_ops = set()  # ids of the function's own Ops
        self.python_floats = python_floats
        self.numpy_scalars = numpy_scalars(fn, self.shape_of) if python_floats else set()
        self.floats = {}  # id(value) -> float(value), in the pending tangent code
        self.arm_ends = {}  # id(If) -> (the If made for it, tangents at the end of each arm)
        self.name = name or f"jvp_{fn.name}"

    def _pushes_varied(self, fn):
        act = Activity(fn, [fn.params[i] for i in self.wrt], forward=True)
        for op in _walk_ops(fn.body):
            if op.prim == "tape.push" and act.is_varied(op.args[1]):
                yield True

    def tangent_name(self, var):
        return self.names.fresh("d" + var.name)

    # -- the transform ---------------------------------------------------------------
    def run(self):
        fn = self.fn
        primal = self.primal_ops = {id(s) for s in _walk_ops(fn.body)}
        tangents = []
        for i in self.wrt:
            p = fn.params[i]
            d = Var(self.tangent_name(p))
            self.tan[id(p)] = d
            tangents.append(d)
        body = list(fn.body)
        ret = body.pop()
        out = self.block(body)
        value = ret.value
        dvalue = self.tan.get(id(value)) if isinstance(value, Var) else None
        if dvalue is None:
            dvalue = self.zero(value, out, ret.loc)
        if self.return_value:
            result = Var(self.names.fresh("t"), temp=True)
            out.append(Op(result, "tuple", [value, dvalue], (), ret.loc))
        else:
            result = dvalue
        out.append(Return(result, ret.loc))
        # defaults belong to trailing parameters: the function's own, then the tangents'
        defaults = list(fn.defaults) + [Const(self.tangent_default)] * len(tangents) \
            if self.tangent_default is not None else ()
        new = Function(self.name, list(fn.params) + tangents, out, self.names, defaults,
                       fn.filename)
        # the shapes compiled for, a tangent's those of its value (opt/broadcasts.py)
        new.shapes = dict(self.param_shapes)
        for k, i in enumerate(self.wrt):
            if i in self.param_shapes:
                new.shapes[len(fn.params) + k] = self.param_shapes[i]
        # the tangent code's values are derivatives, floats, as adjoints are: the passes
        # that rewrite only those (opt/negations.py) rewrite them too
        new.backward = fn.backward | {id(d) for s in _walk_ops(out) if id(s) not in primal
                                      for d in s.defs()}
        return new

    def block(self, body):
        """The statements of ``body`` with their tangents.

        The tangent code of one source statement follows all of its primal
        operations, under a ``# Tangent of: <statement>`` comment. Deferring it
        is safe: tangent code reads primal values, primal code never reads
        tangents, and SSA values do not change, except in the in-place helpers
        and on tapes, before which the deferred code is flushed.
        """
        out, pending, group = [], [], None
        reads = set()  # names the pending tangent code reads
        self.floats = {}

        def flush():
            if pending and group is not None:
                note = "Tangent of: " + (group.stmt or group.text.strip())
                if out and out[-1].note and out[-1].note.startswith("Grad of:"):
                    note = "Tangent of the grad" + out[-1].note[len("Grad"):]
                for new in pending:
                    if new.note is None:
                        new.note = note
            out.extend(pending)
            pending.clear()
            reads.clear()
            self.floats = {}

        for stmt in body:
            if isinstance(stmt, Op) and stmt.prim not in _IN_ORDER:
                # a name given to several values (an adjoint ``bx = bx + ...`` in IR
                # not yet printed and read back) must not change under pending code
                if stmt.loc is not group or stmt.target is not None and \
                        stmt.target.name in reads:
                    flush()
                    group = stmt.loc
                scratch = []
                self.op(stmt, scratch)
                out.append(scratch[0])  # the primal operation comes first
                pending.extend(scratch[1:])
                reads.update(o.name for new in scratch[1:] for o in new.operands()
                             if isinstance(o, Var))
                continue
            flush()
            group = None
            if isinstance(stmt, Op):
                mark = len(out)
                self.op(stmt, out)
                if stmt.prim == "runtime.index_add" and stmt.loc is not None:
                    for new in out[mark + 1:]:
                        new.note = "Tangent of: " + (stmt.loc.stmt or stmt.loc.text.strip())
            elif isinstance(stmt, If):
                out.append(self.branch(stmt))
            elif isinstance(stmt, (For, While)):
                out.append(self.loop(stmt, out))
            else:
                raise UnsupportedError(f"{type(stmt).__name__} in forward mode", stmt.loc,
                                       type(stmt).__name__)
        flush()
        return out

    def active(self, operand):
        return isinstance(operand, Var) and id(operand) in self.tan

    def zero(self, value, out, loc):
        """The tangent of a value with none: 0.0 for a number written in the code;
        zeros of its shape for anything else (a global or closure array would
        otherwise turn ``np.stack([x, b])`` into a stack of mismatched shapes)."""
        if isinstance(value, Const) and not isinstance(value.value, (tuple, list)):
            return Const(0.0)
        base = value.name.split(".")[-1] if isinstance(value, (Var, Global)) else "t"
        z = Var(self.names.fresh("d" + base))
        # a scalar's: 0.0 for a Python number, an np.float32's of its dtype
        scalar = self.python_floats and self.shape_of(value) == ()
        out.append(Op(z, "runtime.zero_tangent" if scalar else "runtime.zeros_grad", [value],
                      (), loc))
        return z

    def _lower(self, out, loc):
        return Lowerer(self.names, out, loc)

    # -- operations -------------------------------------------------------------------
    def op(self, op, out):
        if op.prim == "tape.push" and self.tape_carries:
            out.append(op)
            value = op.args[1]
            d = self.tan.get(id(value)) if isinstance(value, Var) else None
            out.append(Op(None, "tape.push", [op.args[0], d if d is not None else
                                              self.zero(value, out, op.loc)], (), op.loc))
            return
        if op.prim == "tape.pop" and self.tape_carries:
            d = Var(self.tangent_name(op.target))
            out.append(Op(d, "tape.pop", list(op.args), (), op.loc))  # pushed last, popped first
            out.append(op)
            self.tan[id(op.target)] = d
            return
        out.append(op)
        if op.target is None or not self.activity.is_active(op.target):
            return
        prim = rules.PRIMS[op.prim]
        if prim.nondiff or not self.carries_tangent(prim, op):
            return
        mark = len(out)
        if prim.key == "call":
            d = self.call(op, out)
        elif prim.elementwise:
            d = self.elementwise(prim, op, out)
        elif prim.linear:
            d = self.linear(prim, op, out)
        elif prim.jvp:
            d = self.template(prim, op, out)
        else:
            raise UnsupportedError(f"{prim.key} has no forward-mode rule", op.loc, prim.key,
                                   hint="declare one with adcompiler.defjvp (docs/custom_rules.md)")
        if d is None:
            return
        fresh = any(isinstance(s, Op) and s.target is d for s in out[mark:])
        if fresh and d.temp:
            # named after its value; the tangent of a compiler temporary stays one, so
            # codegen folds it into its one reader as it folds the value: fewer arrays
            # held to the end of the call (fresh pages at each call, docs/performance.md)
            d.name, d.temp = self.tangent_name(op.target), op.target.temp
        self.tan[id(op.target)] = d

    def carries_tangent(self, prim, op):
        """Whether an argument with a tangent reaches the result: arguments read only
        for their shape (``prim.zero``) do not, so ``unbroadcast(g, y)`` with only
        ``y`` varied has a zero tangent, left out rather than materialised."""
        if prim.variadic or prim.key == "call":
            return any(self.active(o) for o in op.operands())
        return any(self.active(leaf) for name, arg in zip(prim.param_names, op.args)
                   if name not in prim.zero for leaf in leaves(arg))

    def _bindings(self, prim, op):
        bindings = dict(zip(prim.param_names, op.args))
        bindings["ans"] = op.target
        return bindings

    def elementwise(self, prim, op, out):
        bindings = self._bindings(prim, op)
        home = getattr(prim, "user_function", None)
        lower = self._lower(out, op.loc)
        total = None
        for name, arg in zip(prim.param_names, op.args):
            if not self.active(arg) or name in prim.zero:
                continue
            partial = instantiate(prim.partials[name], bindings, self.names, out, op.loc,
                                  home=home)
            if isinstance(partial, Var) and id(partial) in self.numpy_scalars:
                partial = self.as_float(partial, lower)
            term = lower.op("mul", [partial, self.tan[id(arg)]]) if isinstance(partial, Const) \
                else lower.op("mul", [self.tan[id(arg)], partial])
            total = term if total is None else lower.op("add", [total, term])
        if total is not None and self._may_be_smaller(prim, op):
            # the active operands may be smaller than the result (x + W with x a
            # scalar): the tangent takes the result's shape, as the value does
            known = known_shape(self.shape_of(op.target))
            shape = Const(known) if known is not None else lower.op("np.shape", [op.target])
            total = lower.op("runtime.full", [total, shape])
        return total

    def as_float(self, value, lower):
        """``float(value)`` for a scalar of the function, once per group of tangent code."""
        if id(value) not in self.floats:
            self.floats[id(value)] = lower.op("runtime.to_float", [value])
        return self.floats[id(value)]

    def _may_be_smaller(self, prim, op):
        """Whether the sum of an elementwise op's tangent terms may have a smaller
        shape than its result: each term has at least its operand's shape, so only
        an operand without a tangent can make the result larger."""
        of = self.shape_of
        result = of(op.target)
        active = [of(a) for n, a in zip(prim.param_names, op.args)
                  if self.active(a) and n not in prim.zero]
        if result == () or result in active:
            return False
        passive = [of(a) for n, a in zip(prim.param_names, op.args)
                   if not (self.active(a) and n not in prim.zero)]
        return any(s != () and s not in active for s in passive)

    def linear(self, prim, op, out):
        args = []
        for name, arg in zip(prim.param_names, op.args):
            if name in prim.linear:
                if self.active(arg):
                    args.append(self.tan[id(arg)])
                else:
                    args.append(self.zero(arg, out, op.loc))
            else:
                if self.active(arg) and name not in prim.zero:
                    raise UnsupportedError(f"{prim.key} is not linear in {name!r} and has no "
                                           "forward rule for it", op.loc, prim.key)
                args.append(arg)
        return self._lower(out, op.loc).op(prim.key, args)

    def template(self, prim, op, out):
        bindings = self._bindings(prim, op)
        terms = jvp_terms(prim.jvp)
        lower = self._lower(out, op.loc)
        total = None
        for params, text in terms:
            if not any(self.active(bindings.get(p)) and p not in prim.zero for p in params):
                continue
            b = dict(bindings)
            for p in prim.param_names:
                arg = bindings[p]
                if self.active(arg):
                    b["d" + p] = self.tan[id(arg)]
                elif p in params:
                    b["d" + p] = self.zero(arg, out, op.loc)
            term = instantiate(text, b, self.names, out, op.loc,
                               home=getattr(prim, "user_function", None))
            total = term if total is None else lower.op("add", [total, term])
        return total

    def call(self, op, out):
        """A call kept for recursion: the callee's own jvp."""
        from .reverse import LazyDerivative
        fn = recursive_callee(op)
        args = op.args[1:]
        active = [i for i, a in enumerate(args) if self.active(a)]
        if fn is None or not active:
            return None
        lazy = LazyDerivative(fn, "jvp", tuple(active))
        name = lazy.bind(self.fn.extra_globals, self.names)
        from ..ir.nodes import Global
        lower = self._lower(out, op.loc)
        pair = lower.op("call", [Global(name, lazy)] + list(args) +
                        [self.tan[id(args[i])] for i in active])
        return lower.op("getitem", [pair, Index([Const(1)], False)])

    # -- control flow --------------------------------------------------------------------
    def branch(self, stmt):
        """An If with tangent phis. An adjoint's If (``mirror`` set, in reverse-mode
        code differentiated again) reads values its forward If's arms defined, so
        its arms start from the tangents those arms ended with."""
        before = dict(self.tan)
        mirror = self.arm_ends.get(id(stmt.mirror)) if stmt.mirror is not None else None
        arms, ends = [], []
        for k, arm in enumerate((stmt.body, stmt.orelse)):
            self.tan = dict(before)
            if mirror is not None:
                self.tan.update(mirror[1][k])
            arms.append(self.block(arm))
            ends.append(self.tan)
        self.tan = dict(before)
        phis = list(stmt.phis)
        for phi in stmt.phis:
            if not self.activity.is_active(phi.target):
                continue
            inputs = []
            for k, value in enumerate(phi.inputs):
                d = ends[k].get(id(value)) if isinstance(value, Var) else None
                if d is None:
                    d = self.zero(value, arms[k], stmt.loc)
                inputs.append(d)
            target = Var(self.tangent_name(phi.target))
            phis.append(Phi(target, inputs))
            self.tan[id(phi.target)] = target
        new = If(stmt.test, arms[0], arms[1], phis, stmt.loc, stmt.note,
                 mirror[0] if mirror is not None else None)
        self.arm_ends[id(stmt)] = (new, ends)
        return new

    def loop(self, stmt, out):
        carried = []
        for phi in list(stmt.phis):
            if not self.activity.is_varied(phi.target):
                continue
            init = phi.inputs[0]
            d = self.tan.get(id(init)) if isinstance(init, Var) else None
            if d is None:
                d = Const(0.0) if isinstance(init, Const) and init.value is None \
                    else self.zero(init, out, stmt.loc)
            target = Var(self.tangent_name(phi.target))
            tphi = Phi(target, [d, None])
            carried.append((phi, tphi))
            self.tan[id(phi.target)] = target
        if isinstance(stmt, While):
            stmt.header = self.block(stmt.header)
        if isinstance(stmt, For) and self.active(stmt.source):
            if stmt.counter is None:
                stmt.counter = Var(self.names.fresh("k"))
            body = []
            source = self.tan[id(stmt.source)]
            if self.python_floats and self.shape_of(stmt.target) == ():
                listed = Var(self.names.fresh(source.name + "_list"))
                out.append(Op(listed, "runtime.python_floats", [source], (), stmt.loc))
                source = listed
            item = self._lower(body, stmt.loc).op(
                "getitem", [source, Index([stmt.counter], False)])
            self.tan[id(stmt.target)] = item
            stmt.body = body + self.block(stmt.body)
        else:
            stmt.body = self.block(stmt.body)
        if self.python_floats and isinstance(stmt, For):
            self.hoist_row_products(stmt, out)
        for phi, tphi in carried:
            nxt = phi.inputs[1]
            d = self.tan.get(id(nxt)) if isinstance(nxt, Var) else None
            if d is None:
                d = self.zero(nxt, stmt.body, stmt.loc)
            tphi.inputs[1] = d
            stmt.phis.append(tphi)
        return stmt


    def hoist_row_products(self, stmt, out):
        """In a loop over the rows of a matrix, a tangent product of the row by a
        matrix from outside the loop, made for every row at once before the loop:
        ``x @ dWx`` is ``xs_dWx[k]`` after ``xs_dWx = xs @ dWx``, one matrix product
        in place of one vector product per iteration (an RNN's input projection).
        The loop's own products stay as they are."""
        rows = known_shape(self.shape_of(stmt.source)) if stmt.source is not None else None
        if rows is None or len(rows) != 2:
            return
        inside = defined_in(stmt.body) | {id(p.target) for p in stmt.phis} | {id(stmt.target)}
        for s in stmt.body:
            if not (isinstance(s, Op) and s.prim == "matmul" and id(s) not in self.primal_ops
                    and s.args[0] is stmt.target and isinstance(s.args[1], Var)
                    and id(s.args[1]) not in inside and self._matrix(s.args[1])):
                continue
            if stmt.counter is None:
                stmt.counter = Var(self.names.fresh("k"))
            rows_name = stmt.source.name if isinstance(stmt.source, Var) else "rows"
            made = Var(self.names.fresh(f"{rows_name}_{s.args[1].name}"))
            product = matmul_shape(rows, known_shape(self._shape(s.args[1])))
            out.append(Op(made, "matmul", [stmt.source, s.args[1]], (), stmt.loc))
            s.prim, s.args = "getitem", (made, Index([stmt.counter], False))
            self._hoist_addend(stmt, s, product, inside, out)

    def _hoist_addend(self, loop, row, product, inside, out):
        """``(xs_dWx[k] + t) + db`` with ``db`` from outside the loop is
        ``xs_dWx_db[k] + t`` after ``xs_dWx_db = xs_dWx + db``: one addition per
        iteration fewer (the same terms, summed in another order, as the hoisted
        product's rows are)."""
        reads = read_counts(loop.body)
        if reads.get(id(row.target)) != 1:
            return
        ops = [s for s in loop.body if isinstance(s, Op) and s.prim == "add" and not s.kwargs]
        first = next((s for s in ops if any(a is row.target for a in s.args)), None)
        carried = [self.tan.get(id(p.inputs[1])) for p in loop.phis]  # the phis' to be
        if first is None or reads.get(id(first.target)) != 1 or \
                any(d is first.target for d in carried):
            return  # the sum of the row and t must be read by the addition alone
        second = next((s for s in ops if any(a is first.target for a in s.args)), None)
        if second is None:
            return
        addend = second.args[1] if second.args[0] is first.target else second.args[0]
        shape = () if isinstance(addend, Const) and type(addend.value) in (int, float) \
            else known_shape(self._shape(addend)) if isinstance(addend, Var) \
            and id(addend) not in inside else None
        if first.note is not None and second.note is not None and first.note != second.note:
            return  # the sum opens one statement's tangent code, the addition another's
        if shape is None or len(product) != 2 or not broadcasts_into(shape, product[1:]):
            return  # the addend must add to each row as it did to the row's product
        made = row.args[0]
        summed = Var(self.names.fresh(f"{made.name}_{getattr(addend, 'name', 'c')}"))
        out.append(Op(summed, "add", [made, addend], (), loop.loc))
        row.args = (summed, row.args[1])
        second.args = first.args  # (row + t) + addend is (row + addend) + t
        second.note = second.note or first.note  # the comment, on what is left of the sum
        loop.body.remove(first)

    def _shape(self, operand):
        """The shape of a value, or of a parameter's tangent (its value's), or of a
        matrix product made before the loop; a symbol when it is not known."""
        shape = self.shape_of(operand)
        if known_shape(shape) is None:
            value = next((p for p in self.fn.params if self.tan.get(id(p)) is operand), None)
            shape = self.shape_of(value) if value is not None else shape
        return shape

    def _matrix(self, operand):
        """Whether ``operand`` (a value, or a parameter's tangent) is known to be 1-D
        or 2-D: a batch of matrices would broadcast against the rows."""
        shape = known_shape(self._shape(operand))
        return shape is not None and len(shape) in (1, 2)


def numpy_scalars(fn, shape_of):
    """ids of the scalar values of ``fn`` that may be NumPy scalars (np.float64):
    results of NumPy functions, elements of arrays, and what arithmetic and joins
    make of them. Parameters are taken to be what Python code passes, numbers."""
    found = set()

    def scalar(v):
        return isinstance(v, Var) and id(v) not in found and shape_of(v) == ()

    def numpy(operands):
        return any(isinstance(o, Var) and id(o) in found for o in operands)

    changed = True
    while changed:  # until the phis of loops have seen their back edges
        changed = False
        for stmt in walk(fn.body):
            new = []
            if isinstance(stmt, Op) and scalar(stmt.target):
                if stmt.prim.startswith("np.") or stmt.prim == "getitem" or \
                        numpy(stmt.operands()):
                    new.append(stmt.target)
            elif isinstance(stmt, (If, For, While)):
                new += [p.target for p in stmt.phis if scalar(p.target) and numpy(p.inputs)]
                if isinstance(stmt, For) and stmt.source is not None and scalar(stmt.target):
                    new.append(stmt.target)
            if new:
                found.update(id(v) for v in new)
                changed = True
    return found


def jvp_terms(jvp):
    """[(parameters whose tangents a term reads, term text)] of a jvp template."""
    if isinstance(jvp, dict):
        return [({p}, text) for p, text in jvp.items()]
    tree = gast.parse(jvp, mode="eval").body
    terms = []

    def split(node):
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Add):
            split(node.left)
            split(node.right)
        else:
            terms.append(node)

    split(tree)
    out = []
    for node in terms:
        names = {n.id[1:] for n in gast.walk(node)
                 if isinstance(n, gast.Name) and n.id.startswith("d") and len(n.id) > 1}
        import ast
        out.append((names, ast.unparse(gast.gast_to_ast(node))))
    return out


def _walk_ops(body):
    return [s for s in walk(body) if isinstance(s, Op)]
