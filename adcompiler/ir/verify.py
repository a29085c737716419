"""Check the SSA invariants: one definition per value, every use after its definition.

Run by the test suite on every function it compiles; a failure here is a
compiler bug, not a user error. Values defined inside an arm of an ``If`` are
visible after it only through its phis.
"""
from .nodes import For, If, Var, While


class VerifyError(AssertionError):
    pass


class _State:
    def __init__(self):
        self.seen = set()   # every definition so far, for "defined once"

    def define(self, var, visible):
        if not isinstance(var, Var):
            raise VerifyError(f"definition of a non-Var {var!r}")
        if id(var) in self.seen:
            raise VerifyError(f"{var.name} is defined twice")
        self.seen.add(id(var))
        visible.add(id(var))


def use(operand, visible, where):
    if isinstance(operand, Var) and id(operand) not in visible:
        raise VerifyError(f"{operand.name} is used before its definition ({where})")


def verify(fn):
    state, visible = _State(), set()
    for p in fn.params:
        state.define(p, visible)
    block(fn.body, visible, state)


def block(body, visible, state):
    for stmt in body:
        for operand in stmt.operands():
            use(operand, visible, type(stmt).__name__)
        if isinstance(stmt, If):
            then_vis, else_vis = set(visible), set(visible)
            if stmt.mirror is not None:
                then_vis |= _defined(stmt.mirror.body)
                else_vis |= _defined(stmt.mirror.orelse)
            block(stmt.body, then_vis, state)
            block(stmt.orelse, else_vis, state)
            for phi in stmt.phis:
                use(phi.inputs[0], then_vis, f"phi {phi.target.name}, then arm")
                use(phi.inputs[1], else_vis, f"phi {phi.target.name}, else arm")
        elif isinstance(stmt, (For, While)):
            inner = set(visible)
            for phi in stmt.phis:
                state.define(phi.target, inner)
            if isinstance(stmt, While):
                block(stmt.header, inner, state)
                use(stmt.cond, inner, "while condition")
            for var in stmt.loop_defs():
                state.define(var, inner)
            block(stmt.body, inner, state)
            for phi in stmt.phis:
                use(phi.inputs[1], inner, f"loop phi {phi.target.name}, from the body")
            if stmt.exit is not None:
                use(stmt.exit, inner, "loop exit")
            for phi in stmt.phis:  # defined by the loop; visible after it
                visible.add(id(phi.target))
            if stmt.trip is not None:
                state.define(stmt.trip, visible)
            continue
        for var in stmt.defs():
            state.define(var, visible)


def _defined(body):
    from .nodes import walk
    out = set()
    for s in walk(body):
        out |= {id(d) for d in s.defs()}
        if isinstance(s, (For, While)):
            out |= {id(d) for d in s.loop_defs()}
    return out
