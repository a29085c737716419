"""EliminateDeadCode: drop operations whose results nothing uses.

    >>> # before (grad of y = sin(x) ** 2)     after
    >>> # t = np.sin(x)                        t = np.sin(x)
    >>> # y = t ** 2                           bt = by * (2 * t)
    >>> # bt = by * (2 * t)

Liveness is marked from the roots (the returned value, calls that may act on
the world, tape pushes and pops), backwards, in one pass; each loop is marked
again until its live set settles, so values that only feed each other around
a loop die too. Branches and loops left with nothing live are removed whole.
"""
from .. import rules
from ..ir.nodes import For, If, Op, Return, Var, While, all_operands, leaves

_IMPURE = ("call", "getattr", "assert", "tape.push", "tape.pop", "runtime.Tape", "print",
           "runtime.check_unshared")


def _impure(op):
    prim = rules.PRIMS[op.prim]
    return op.target is None or prim.key in _IMPURE or prim.emit[0] == "generic"


class _Marker:
    def __init__(self):
        self.live = set()

    def mark(self, operands):
        live = self.live
        for o in operands:
            for leaf in leaves(o):
                if type(leaf) is Var:
                    live.add(id(leaf))

    def is_live(self, var):
        return id(var) in self.live

    def block(self, body):
        """Mark what ``body`` needs; return whether anything in it is kept."""
        kept = False
        live = self.live
        for stmt in reversed(body):  # liveness flows from uses back to definitions
            if type(stmt) is Op:  # the common case, inline; a live result makes _impure moot
                if id(stmt.target) in live or _impure(stmt):
                    for o in stmt.operands():  # leaves already: Op.operands opens indices
                        if type(o) is Var:
                            live.add(id(o))
                    kept = True
            else:
                kept |= self.stmt(stmt)
        return kept

    def stmt(self, stmt):
        if isinstance(stmt, Return):
            self.mark(stmt.operands())
            return True
        if isinstance(stmt, If):
            live_phis = [p for p in stmt.phis if self.is_live(p.target)]
            for phi in live_phis:
                self.mark(phi.inputs)
            kept = self.block(stmt.body) | self.block(stmt.orelse)
            if kept or live_phis:
                self.mark([stmt.test])
                return True
            return False
        # a loop: a use late in the body can make live what the next iteration reads
        # early (through a phi), so the loop is marked until its live set settles;
        # then one pass over the code around it is exact
        while True:
            size = len(self.live)
            kept = self.loop(stmt)
            if len(self.live) == size:
                return kept

    def loop(self, stmt):
        live_phis = [p for p in stmt.phis if self.is_live(p.target)]
        for phi in live_phis:
            self.mark(phi.inputs)
        kept = self.block(stmt.body)
        if isinstance(stmt, While):
            kept |= self.block(stmt.header)
        if kept or live_phis:
            if isinstance(stmt, For):
                self.mark([stmt.iter])  # phi inputs count only for live phis, above
            if stmt.exit is not None:
                self.mark([stmt.exit])
            if isinstance(stmt, While):
                self.mark([stmt.cond])
                self.block(stmt.header)
            return True
        return False


def eliminate_dead_code(fn):
    """Remove dead Ops, phis, branches and loops; return whether anything changed."""
    marker = _Marker()
    marker.block(fn.body)
    return _sweep(fn.body, marker)


# a second run right after one finds nothing: what it removes marked nothing live
eliminate_dead_code.idempotent = True


def _sweep(body, marker):
    changed = False
    kept = []
    for stmt in body:
        if type(stmt) is Op and not marker.is_live(stmt.target) and not _impure(stmt):
            changed = True
            continue
        if isinstance(stmt, (If, For, While)):
            phis = [p for p in stmt.phis if marker.is_live(p.target)]
            changed |= len(phis) != len(stmt.phis)
            stmt.phis = phis
            for block in ([stmt.body, stmt.orelse] if isinstance(stmt, If) else
                          [stmt.body] + ([stmt.header] if isinstance(stmt, While) else [])):
                changed |= _sweep(block, marker)
            empty = not stmt.body and (not isinstance(stmt, If) or not stmt.orelse)
            if isinstance(stmt, While):
                empty = empty and not stmt.header
            if empty and not stmt.phis and getattr(stmt, "trip", None) is None:
                changed = True
                continue
        kept.append(stmt)
    body[:] = kept
    return changed


__all__ = ["eliminate_dead_code", "all_operands"]
