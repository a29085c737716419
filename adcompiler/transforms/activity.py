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
from ..ir.nodes import For, If, Op, Return, Var, While, leaves


class Activity:
    def __init__(self, fn, wrt_params, extra_varied=(), tape_is_used=False, forward=False):
        """``extra_varied``: values varied whatever they depend on (tape pops whose
        pushes are varied); ``tape_is_used``: what is pushed on a tape counts as used
        (the tape carries tangents, in forward mode over generated code); ``forward``:
        check for the rules forward mode needs (a jvp serves there, not a vjp)."""
        self.varied, self.useful = set(), set()
        self.tape_is_used, self.forward = tape_is_used, forward
        for p in list(wrt_params) + list(extra_varied):
            self.varied.add(id(p))
        # loops feed values back to their header: repeat until nothing changes
        size = -1
        while size != len(self.varied):
            size = len(self.varied)
            self._forward(fn.body)
        size = -1
        while size != len(self.useful):
            size = len(self.useful)
            self._backward(fn.body)
        self._backward(fn.body, check=True)

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
            elif isinstance(stmt, (For, While)):
                for phi in stmt.phis:
                    if any(self.is_varied(i) for i in phi.inputs):
                        self.varied.add(id(phi.target))
                if isinstance(stmt, For) and self.is_varied(stmt.source):
                    self.varied.add(id(stmt.target))
                if isinstance(stmt, While):
                    self._forward(stmt.header)
                self._forward(stmt.body)

    # -- useful: backward from the returned value ----------------------------------
    def _backward(self, body, check=False):
        for stmt in reversed(body):
            if isinstance(stmt, Return):
                for o in leaves(stmt.value):
                    if isinstance(o, Var):
                        self.useful.add(id(o))
            elif isinstance(stmt, Op):
                if self.tape_is_used and stmt.prim == "tape.push":
                    for o in stmt.operands():
                        if isinstance(o, Var):
                            self.useful.add(id(o))
                if check and stmt.prim == "call" and (stmt.target is None or
                                                      id(stmt.target) not in self.useful):
                    # an unknown call may keep what it is given (an object, a list):
                    # a derivative passed in could come back unseen, so refuse it
                    self._check_rule(stmt)
                if stmt.target is not None and id(stmt.target) in self.useful:
                    if check:
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
                self._backward(stmt.body, check)
                self._backward(stmt.orelse, check)
            elif isinstance(stmt, (For, While)):
                for phi in stmt.phis:
                    if id(phi.target) in self.useful:
                        for i in phi.inputs:
                            if isinstance(i, Var):
                                self.useful.add(id(i))
                if isinstance(stmt, For) and id(stmt.target) in self.useful \
                        and isinstance(stmt.source, Var):
                    self.useful.add(id(stmt.source))
                self._backward(stmt.body, check)

    def _check_rule(self, op):
        prim = rules.PRIMS[op.prim]
        if prim.nondiff:
            return
        if prim.variadic:
            varied = [o for o in op.operands() if self.is_varied(o)]
            if prim.key == "call" and recursive_callee(op) is not None:
                return  # a call kept for recursion: reverse mode calls its own vjp
            if varied:
                raise no_rule(op, prim, varied[0])
            return
        for name, arg in zip(prim.param_names, op.args):
            for o in leaves(arg):
                if self.is_varied(o) and not prim.has_rule_for(name, self.forward):
                    raise no_rule(op, prim, o, name, self.forward)


def recursive_callee(op):
    """The user function a kept ``call`` Op calls, when we can differentiate it."""
    import inspect
    from ..ir.inline import is_library, user_function
    fn, bound_self = user_function(getattr(op.args[0], "value", None))
    if fn is None or bound_self is not None or op.kwargs or is_library(fn):
        return None
    try:
        inspect.getsourcelines(fn)  # kept because it recurses, not because it has no source
    except (OSError, TypeError):
        return None
    return fn


def no_rule(op, prim, operand, param=None, forward=False):
    if prim.key == "call":
        callee = op.args[0]
        name = getattr(callee, "name", repr(callee))
        short = name.split(".")[-1]
        return NoRuleError(
            f"cannot differentiate through {name}(): it has no derivative rule and no "
            "Python source that adcompiler can read", op.loc, f"call to {name}",
            hint=f"declare its derivative once, e.g. adcompiler.defvjp({short}, "
                 f"x=\"g * <d{short}/dx>\") (docs/custom_rules.md)")
    if prim.key in ("tuple", "list"):
        return NoRuleError(f"{operand.name} is differentiated but is packed into a {prim.key}; "
                           "containers of differentiated values are not supported yet",
                           op.loc, prim.key, hint="keep the values in separate variables")
    if prim.key in ("enumerate", "zip", "reversed"):
        return NoRuleError(f"{operand.name} is differentiated and passes through "
                           f"{prim.key}() in a form adcompiler does not follow", op.loc,
                           prim.key,
                           hint="loop as `for v in x`, `for i, v in enumerate(x)`, "
                                "`for a, b in zip(x, y)`, or index x in a range loop")
    if prim.key in ("and", "or"):
        return NoRuleError(f"`{prim.key}` picks one of its operands, so it cannot carry the "
                           f"derivative of {operand.name}", op.loc, f"`{prim.key}` expression",
                           hint="use `a if condition else b`")
    where = f" with respect to its argument {param!r}" if param else ""
    if forward and param in prim.vjp:
        short = prim.key.split(".")[-1]
        return NoRuleError(f"{prim.key} has a reverse-mode rule (vjp) but no forward-mode "
                           f"rule{where}, and {operand.name} depends on the differentiated "
                           "inputs", op.loc, prim.key,
                           hint=f"declare its jvp once, e.g. adcompiler.defjvp({short}, "
                                f"\"<derivative along d{param}>\") (docs/custom_rules.md)")
    users = rule_users(prim.key) if prim.key.startswith("runtime.") else []
    if users:
        return NoRuleError(f"second derivatives through {' and '.join(users)} are not "
                           f"supported yet: its derivative rule calls {prim.key}, which has no rule "
                           f"of its own{where}", op.loc, prim.key,
                           hint="take first derivatives only through it, or write it with "
                                "operations listed in docs/derivatives.md as differentiable "
                                "twice")
    return NoRuleError(f"{prim.key} has no derivative rule{where}, and {operand.name} "
                       "depends on the differentiated inputs", op.loc, prim.key,
                       hint="see docs/rules.md for the supported functions and how to add one")


def rule_users(helper):
    """The functions whose declared derivative rules call the runtime ``helper``."""
    import re
    users = []
    from ..rules.registry import DERIVED
    for key, prim in list(rules.PRIMS.items()) + list(DERIVED.items()):
        texts = [*prim.partials.values(), *prim.vjp.values(), prim.jvp, prim.element]
        if any(isinstance(t, str) and re.search(rf"\b{re.escape(helper)}\(", t)
               for t in texts):
            base = (prim.base or prim).key
            if base not in users and not base.startswith("runtime."):
                users.append(base)
    return users
