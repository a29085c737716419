"""EliminateDeadCode: drop operations whose results nothing uses.

    >>> # before                     after (grad of y = sin(x) ** 2, y unused)
    >>> # t = np.sin(x)              t = np.sin(x)
    >>> # y = t ** 2                 bt = by * (2 * t)
    >>> # bt = by * (2 * t)          ...

Calls to unknown functions are kept: they may act on the world.
"""
from .. import rules
from ..ir.nodes import If, Op, Var, walk

_IMPURE = ("call", "getattr", "assert")


def eliminate_dead_code(fn):
    """Remove dead Ops and phis until none is left; returns whether anything changed."""
    changed_any = False
    while True:
        used = set()
        for stmt in walk(fn.body):
            for o in stmt.operands():
                if isinstance(o, Var):
                    used.add(id(o))
        # a phi's inputs count as used only when the phi itself is (see _phi_uses)
        changed = _sweep(fn.body, used)
        changed_any |= changed
        if not changed:
            return changed_any


def _phi_uses(body, used):
    grew = True
    while grew:
        grew = False
        for stmt in walk(body):
            if isinstance(stmt, If):
                for phi in stmt.phis:
                    if id(phi.target) in used:
                        for i in phi.inputs:
                            if isinstance(i, Var) and id(i) not in used:
                                used.add(id(i))
                                grew = True


def _sweep(body, used):
    _phi_uses(body, used)
    changed = False
    kept = []
    for stmt in body:
        if isinstance(stmt, Op):
            prim = rules.PRIMS[stmt.prim]
            if stmt.target is not None and id(stmt.target) not in used \
                    and prim.key not in _IMPURE and prim.emit[0] != "generic":
                changed = True
                continue
        if isinstance(stmt, If):
            phis = [p for p in stmt.phis if id(p.target) in used]
            changed |= len(phis) != len(stmt.phis)
            stmt.phis = phis
            changed |= _sweep(stmt.body, used)
            changed |= _sweep(stmt.orelse, used)
            if not stmt.body and not stmt.orelse and not stmt.phis:
                changed = True
                continue
        kept.append(stmt)
    body[:] = kept
    return changed
