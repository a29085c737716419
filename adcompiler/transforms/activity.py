"""Activity analysis: which values need derivatives.

A value is *varied* when it depends on a ``wrt`` parameter through
differentiable operations, *useful* when the output depends on it, and
*active* when both. Only active values get adjoint (or tangent) code.

This is also where a missing rule is reported: a varied value flowing into an
operation that has no rule, when the result is useful, would otherwise give a
silently wrong (zero) derivative.
"""
from .. import rules
from ..errors import NoRuleError
from ..ir.nodes import Const, If, Op, Return, Var, leaves


class Activity:
    def __init__(self, fn, wrt_params):
        self.varied, self.useful = set(), set()
        for p in wrt_params:
            self.varied.add(id(p))
        self._forward(fn.body)
        self._backward(fn.body)

    def is_active(self, operand):
        return isinstance(operand, Var) and id(operand) in self.varied and id(operand) in self.useful

    def is_varied(self, operand):
        return isinstance(operand, Var) and id(operand) in self.varied

    # -- varied: forward over the program -----------------------------------------
    def _forward(self, body):
        for stmt in body:
            if isinstance(stmt, Op):
                prim = rules.PRIMS[stmt.prim]
                if stmt.target is not None and not prim.nondiff and \
                        any(self.is_varied(o) for o in stmt.operands()):
                    self.varied.add(id(stmt.target))
            elif isinstance(stmt, If):
                self._forward(stmt.body)
                self._forward(stmt.orelse)
                for phi in stmt.phis:
                    if any(self.is_varied(i) for i in phi.inputs):
                        self.varied.add(id(phi.target))
            elif hasattr(stmt, "activity_forward"):
                stmt.activity_forward(self)

    # -- useful: backward from the returned value ----------------------------------
    def _backward(self, body):
        for stmt in reversed(body):
            if isinstance(stmt, Return):
                for o in leaves(stmt.value):
                    if isinstance(o, Var):
                        self.useful.add(id(o))
            elif isinstance(stmt, Op):
                if stmt.target is not None and id(stmt.target) in self.useful:
                    self._check_rule(stmt)
                    for o in stmt.operands():
                        if isinstance(o, Var):
                            self.useful.add(id(o))
            elif isinstance(stmt, If):
                for phi in stmt.phis:
                    if id(phi.target) in self.useful:
                        for i in phi.inputs:
                            if isinstance(i, Var):
                                self.useful.add(id(i))
                self._backward(stmt.body)
                self._backward(stmt.orelse)
            elif hasattr(stmt, "activity_backward"):
                stmt.activity_backward(self)

    def _check_rule(self, op):
        prim = rules.PRIMS[op.prim]
        if prim.nondiff:
            return
        if prim.variadic:
            varied = [o for o in op.operands() if self.is_varied(o)]
            if varied:
                raise no_rule(op, prim, varied[0])
            return
        for name, arg in zip(prim.param_names, op.args):
            for o in leaves(arg):
                if self.is_varied(o) and not prim.has_rule_for(name):
                    raise no_rule(op, prim, o, name)


def no_rule(op, prim, operand, param=None):
    if prim.key == "call":
        callee = op.args[0]
        name = getattr(callee, "name", repr(callee))
        return NoRuleError(
            f"cannot differentiate through {name}(): it has no derivative rule and "
            "adcompiler does not yet differentiate through calls to other Python functions",
            op.loc, f"call to {name}",
            hint="inline the function's body here, or wrap the value in a supported "
                 "NumPy expression")
    if prim.key in ("tuple", "list"):
        return NoRuleError(f"{operand.name} is differentiated but is packed into a {prim.key}; "
                           "containers of differentiated values are not supported yet",
                           op.loc, prim.key, hint="keep the values in separate variables")
    if prim.key in ("and", "or"):
        return NoRuleError(f"`{prim.key}` picks one of its operands, so it cannot carry the "
                           f"derivative of {operand.name}", op.loc, f"`{prim.key}` expression",
                           hint="use `a if condition else b`")
    where = f" with respect to its argument {param!r}" if param else ""
    return NoRuleError(f"{prim.key} has no derivative rule{where}, and {operand.name} "
                       "depends on the differentiated inputs", op.loc, prim.key,
                       hint="see docs/rules.md for the supported functions and how to add one")


def shape_symbols(fn):
    """A symbol per value such that equal symbols mean equal shapes.

    Parameters and results of non-elementwise operations get a symbol of their
    own; Python numbers are "scalar"; an elementwise result has the shape its
    arguments share (a scalar broadcasts into anything). The reverse transform
    emits ``unbroadcast`` only where symbols differ.
    """
    sym = {}

    def of(o):
        if isinstance(o, Const):
            return "scalar" if isinstance(o.value, (bool, int, float)) else ("const", id(o))
        if isinstance(o, Var):
            return sym.get(id(o), ("var", id(o)))
        return ("other", id(o))

    def visit(body):
        for stmt in body:
            if isinstance(stmt, Op) and stmt.target is not None:
                prim = rules.PRIMS[stmt.prim]
                if prim.key in ("np.sum", "np.mean") and _is_const(stmt.args[1], None) \
                        and _is_const(stmt.args[2], False):
                    sym[id(stmt.target)] = "scalar"  # a full reduction
                elif prim.elementwise:
                    shapes = {of(a) for a in stmt.args} - {"scalar"}
                    if not shapes:
                        sym[id(stmt.target)] = "scalar"
                    elif len(shapes) == 1:
                        sym[id(stmt.target)] = shapes.pop()
            elif isinstance(stmt, If):
                visit(stmt.body)
                visit(stmt.orelse)
                for phi in stmt.phis:
                    shapes = {of(i) for i in phi.inputs}
                    if len(shapes) == 1:
                        sym[id(phi.target)] = shapes.pop()
            elif hasattr(stmt, "shape_symbols"):
                stmt.shape_symbols(sym, of, visit)

    visit(fn.body)
    return of


def _is_const(operand, value):
    return isinstance(operand, Const) and operand.value is value
