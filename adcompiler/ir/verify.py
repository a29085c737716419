"""Check the SSA invariants: one definition per value, every use after its definition.

Run by the test suite on every function it compiles; a failure here is a
compiler bug, not a user error. Values defined inside an arm of an ``If`` are
visible after it only through its phis.

``api`` runs these checks only when ``ENABLED``: the test suite turns them on
(tests/conftest.py), as does ``ADCOMPILER_VERIFY=1`` in the environment. Off,
they cost nothing; on, 5-10% of compile time, and more with many branches or
loops, since each copies the names visible at every one.
"""
import os

from .nodes import For, If, Var, While

ENABLED = os.environ.get("ADCOMPILER_VERIFY", "0") not in ("", "0")


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


def verify_names(fn):
    """Check that printing the SSA form with its display names is faithful.

    Several SSA values may share a name in the generated code (``bx = bx + c``,
    a value restored from the tape under its forward name). That is right only
    if no use reads a name after another value was assigned to it. Walk the
    function in execution order, branches and loops included, tracking which
    value each name holds, and raise VerifyError at the first use that would
    read the wrong one.
    """
    state = {p.name: id(p) for p in fn.params}
    _names_block(fn.body, state, {})


_CONFLICT = object()


def _read(operand, state, where):
    from .nodes import leaves
    for leaf in leaves(operand):
        if isinstance(leaf, Var) and state.get(leaf.name) != id(leaf):
            raise VerifyError(f"the name {leaf.name!r} holds another value when {where} "
                              "reads it")


def _copies(pairs, state, where):
    """Phi copies at a join: a parallel assignment."""
    for _, value in pairs:
        _read(value, state, where)
    for target, _ in pairs:
        state[target.name] = id(target)


def _merge(a, b):
    return {k: (a.get(k) if a.get(k) == b.get(k) else _CONFLICT) for k in set(a) | set(b)}


def _names_block(body, state, arm_ends):
    """``arm_ends``: id(If) -> the states at the end of its arms, for the If that
    reverses it: its arms run only after the same arm ran forward."""
    from .nodes import Op, Return
    for stmt in body:
        if isinstance(stmt, Op):
            for o in stmt.operands():
                _read(o, state, f"{stmt.prim}(...) -> {getattr(stmt.target, 'name', None)}")
            if stmt.target is not None:
                state[stmt.target.name] = id(stmt.target)
        elif isinstance(stmt, Return):
            _read(stmt.value, state, "return")
        elif isinstance(stmt, If):
            _read(stmt.test, state, "if")
            arms = []
            for k, arm in enumerate((stmt.body, stmt.orelse)):
                s = dict(state)
                if stmt.mirror is not None and id(stmt.mirror) in arm_ends:
                    for name, value in arm_ends[id(stmt.mirror)][k].items():
                        if s.get(name) is _CONFLICT:
                            s[name] = value
                _names_block(arm, s, arm_ends)
                arms.append(dict(s))
                _copies([(p.target, p.inputs[k]) for p in stmt.phis], s, "a branch join")
                arms[-1] = (arms[-1], s)
            arm_ends[id(stmt)] = [end for end, _ in arms]
            state.clear()
            state.update(_merge(arms[0][1], arms[1][1]))
        elif isinstance(stmt, (For, While)):
            for o in stmt.operands():
                _read(o, state, "a loop")
            _copies([(p.target, p.inputs[0]) for p in stmt.phis], state, "a loop entry")
            head = dict(state)
            for _ in range(4):  # the state at the loop head settles in a few rounds
                s = dict(head)
                if isinstance(stmt, While):
                    _names_block(stmt.header, s, arm_ends)
                    _read(stmt.cond, s, "a while condition")
                for v in stmt.loop_defs():
                    s[v.name] = id(v)
                _names_block(stmt.body, s, arm_ends)
                _copies([(p.target, p.inputs[1]) for p in stmt.phis], s, "a loop's back edge")
                if stmt.exit is not None:
                    _read(stmt.exit, s, "a loop exit")
                merged = _merge(head, s)
                if merged == head:
                    break
                head = merged
            state.clear()
            state.update(head)
