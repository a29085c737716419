"""Check the SSA invariants: one definition per value, every use after its definition.

Run by the test suite on every function it compiles; a failure here is a
compiler bug, not a user error. Values defined inside an arm of an ``If`` are
visible after it only through its phis.

``api`` runs these checks on the code users run, and on the stages before it
only when ``ENABLED``: the test suite turns them on (tests/conftest.py), as
does ``ADCOMPILER_VERIFY=1`` in the environment. Each check walks the function
once (``verify_names`` walks a loop body again until its names settle). An arm
of a branch is checked in the one state of the walk, whose changes are undone
after it, not in a copy of all that is visible there: many branches cost what
as many statements do, not the number of branches times the number of names.
"""
import os

from .nodes import For, If, Op, Return, Var, While, leaves, walk

ENABLED = os.environ.get("ADCOMPILER_VERIFY", "0") not in ("", "0")


class VerifyError(AssertionError):
    pass


class _State:
    """The values visible at a point, and every definition so far (for "defined
    once"). ``mark``/``undo`` take back what a branch arm made visible."""

    def __init__(self):
        self.seen = set()
        self.visible = set()
        self._log = []  # ids made visible, in order, for undo

    def define(self, var):
        if not isinstance(var, Var):
            raise VerifyError(f"definition of a non-Var {var!r}")
        if id(var) in self.seen:
            raise VerifyError(f"{var.name} is defined twice")
        self.seen.add(id(var))
        self.show(id(var))

    def show(self, key):
        if key not in self.visible:
            self.visible.add(key)
            self._log.append(key)

    def mark(self):
        return len(self._log)

    def undo(self, mark):
        for key in self._log[mark:]:
            self.visible.discard(key)
        del self._log[mark:]

    def use(self, operand, where):
        if isinstance(operand, Var) and id(operand) not in self.visible:
            raise VerifyError(f"{operand.name} is used before its definition ({where})")


def verify(fn):
    state = _State()
    for p in fn.params:
        state.define(p)
    block(fn.body, state)


def block(body, state):
    for stmt in body:
        if type(stmt) is Op:  # most statements: inline the check of each operand
            visible = state.visible
            for operand in stmt.operands():
                if type(operand) is Var and id(operand) not in visible:
                    state.use(operand, "Op")
            if stmt.target is not None:
                state.define(stmt.target)
            continue
        for operand in stmt.operands():
            state.use(operand, type(stmt).__name__)
        if isinstance(stmt, If):
            for k, arm in enumerate((stmt.body, stmt.orelse)):
                mark = state.mark()
                if stmt.mirror is not None:  # it runs after the same arm of its mirror
                    for key in _defined((stmt.mirror.body, stmt.mirror.orelse)[k]):
                        state.show(key)
                block(arm, state)
                for phi in stmt.phis:
                    state.use(phi.inputs[k], f"phi {phi.target.name}, "
                                             f"{('then', 'else')[k]} arm")
                state.undo(mark)
        elif isinstance(stmt, (For, While)):
            mark = state.mark()
            for phi in stmt.phis:
                state.define(phi.target)
            if isinstance(stmt, While):
                block(stmt.header, state)
                state.use(stmt.cond, "while condition")
            for var in stmt.loop_defs():
                state.define(var)
            block(stmt.body, state)
            for phi in stmt.phis:
                state.use(phi.inputs[1], f"loop phi {phi.target.name}, from the body")
            if stmt.exit is not None:
                state.use(stmt.exit, "loop exit")
            state.undo(mark)
            for phi in stmt.phis:  # defined by the loop; visible after it
                state.show(id(phi.target))
            if stmt.trip is not None:
                state.define(stmt.trip)
            continue
        for var in stmt.defs():
            state.define(var)


def _defined(body):
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

    After a branch, a name its arms leave holding different values holds
    neither (``_CONFLICT``). The arms of an ``If`` that reverses another (its
    ``mirror``) run only after the same arm ran forward: there, each name the
    forward arms assigned holds what the same forward arm left in it.
    """
    names = _Names()
    for p in fn.params:
        names.set(p.name, id(p))
    _names_block(fn.body, names, {})


_CONFLICT = object()  # what a name holds after arms that left different values in it
_MISSING = object()   # no value at all: the name was never assigned


class _Names:
    """Which value each name holds (``held``); ``mark``/``undo`` take back the
    assignments made since a point, so each arm of a branch and each round of a
    loop starts from the state before it without a copy of every name."""

    def __init__(self):
        self.held = {}
        self._log = []  # (name, what it held before), in order, for undo

    def get(self, name):
        return self.held.get(name, _MISSING)

    def set(self, name, value):
        self._log.append((name, self.held.get(name, _MISSING)))
        self.held[name] = value

    def mark(self):
        return len(self._log)

    def changes(self, mark):
        """What each name assigned since ``mark`` holds now."""
        return {name: self.held[name] for name, _ in self._log[mark:]}

    def undo(self, mark):
        for name, before in reversed(self._log[mark:]):
            if before is _MISSING:
                del self.held[name]
            else:
                self.held[name] = before
        del self._log[mark:]

    def read(self, operand, where):
        """Raise unless the names of ``operand``'s Vars hold them; ``where`` is the
        message's place, or a function making it (made only for the message)."""
        for leaf in leaves(operand):
            if isinstance(leaf, Var) and self.held.get(leaf.name) != id(leaf):
                where = where() if callable(where) else where
                raise VerifyError(f"the name {leaf.name!r} holds another value when {where} "
                                  "reads it")

    def copies(self, pairs, where):
        """Phi copies at a join: a parallel assignment."""
        for _, value in pairs:
            self.read(value, where)
        for target, _ in pairs:
            self.set(target.name, id(target))


def _names_block(body, names, arm_ends):
    """``arm_ends``: id(If) -> per arm, what the names its arms assigned hold at the
    end of that arm, for the If that reverses it."""
    for stmt in body:
        if isinstance(stmt, Op):
            for o in stmt.operands():
                if isinstance(o, Var) and names.held.get(o.name) != id(o):
                    names.read(o, lambda: f"{stmt.prim}(...) -> "
                                          f"{getattr(stmt.target, 'name', None)}")
            if stmt.target is not None:
                names.set(stmt.target.name, id(stmt.target))
        elif isinstance(stmt, Return):
            names.read(stmt.value, "return")
        elif isinstance(stmt, If):
            _names_if(stmt, names, arm_ends)
        elif isinstance(stmt, (For, While)):
            _names_loop(stmt, names, arm_ends)


def _names_if(stmt, names, arm_ends):
    names.read(stmt.test, "if")
    mark = names.mark()
    ends, joins = [], []  # per arm: names assigned, before and after the phi copies
    for k, arm in enumerate((stmt.body, stmt.orelse)):
        if stmt.mirror is not None and id(stmt.mirror) in arm_ends:
            for name, value in arm_ends[id(stmt.mirror)][k].items():
                if names.get(name) is _CONFLICT:
                    names.set(name, value)
        _names_block(arm, names, arm_ends)
        ends.append(names.changes(mark))
        names.copies([(p.target, p.inputs[k]) for p in stmt.phis], "a branch join")
        joins.append(names.changes(mark))
        names.undo(mark)
    # what the forward arm k left in each name either arm assigned (the state before
    # the If, where arm k did not assign it)
    assigned = ends[0].keys() | ends[1].keys()
    arm_ends[id(stmt)] = [{name: end.get(name, names.get(name)) for name in assigned
                           if name in end or names.get(name) is not _MISSING}
                          for end in ends]
    for name in joins[0].keys() | joins[1].keys():
        before = names.get(name)
        a, b = joins[0].get(name, before), joins[1].get(name, before)
        names.set(name, a if a == b else _CONFLICT)


def _names_loop(stmt, names, arm_ends):
    for o in stmt.operands():
        names.read(o, "a loop")
    names.copies([(p.target, p.inputs[0]) for p in stmt.phis], "a loop entry")
    for _ in range(4):  # the state at the loop head settles in a few rounds
        mark = names.mark()
        if isinstance(stmt, While):
            _names_block(stmt.header, names, arm_ends)
            names.read(stmt.cond, "a while condition")
        for v in stmt.loop_defs():
            names.set(v.name, id(v))
        _names_block(stmt.body, names, arm_ends)
        names.copies([(p.target, p.inputs[1]) for p in stmt.phis], "a loop's back edge")
        if stmt.exit is not None:
            names.read(stmt.exit, "a loop exit")
        end = names.changes(mark)
        names.undo(mark)
        # the head's state merged with the end of the body's: where they differ, neither
        merged = [name for name, value in end.items()
                  if value != names.get(name) and names.get(name) is not _CONFLICT]
        if not merged:
            break
        for name in merged:
            names.set(name, _CONFLICT)
