"""Ownership: which values hold an array that no other value can see.

A value is *owned* when its array was made for it (the result of arithmetic,
a ufunc, a matmul, ``runtime.unindex`` ... never a view, an argument, a tape
entry or a global) and nothing else shares that array. Its last reader may then
write into it: ``bx + runtime.unindex(t, x, i)`` can add ``t`` into ``bx``.

Ownership passes through helpers that may return their first argument itself
(``runtime.unbroadcast`` returns ``g`` when no axis needs summing) when that
argument is consumable there, and through phis: an ``If``'s result when each
arm's value is consumable by the phi; a loop's carried value when its value
before the loop and its value at the end of the body are read by the phi
alone. Loops make this a greatest fixed point: every value starts owned and
loses it as soon as one of its conditions fails.

A value is *consumable* by an operation at the top of a block when it is
owned and that operation is its one reader each time the value is made:

- its only read in the whole function, in the block that defines it;
- one read in each arm of an ``If`` that follows it (only one arm runs; the
  arm's phi input counts as that arm's read), and no read elsewhere;
- for a loop's carried value, its only read inside the loop, at the top of
  the loop body (reads after the loop see the final value, which is what the
  sums written in place leave in the buffer).
"""
from .. import rules
from ..ir.nodes import For, If, Op, Var, While, blocks, leaves

# results that are new arrays (or immutable scalars), never views of an operand
FRESH = frozenset([
    "np.sum", "np.mean", "np.dot", "np.matmul", "np.where", "copy", "astype", "float", "abs",
    "runtime.unindex", "runtime.zeros_grad", "runtime.unreduce_mean",
    "runtime.matmul_grad_left", "runtime.matmul_grad_right",
    "runtime.dot_grad_left", "runtime.dot_grad_right", "runtime.greater_share",
    "runtime.sign0", "runtime.log0", "runtime.setitem", "runtime.zero_at",
    "runtime.cos", "runtime.sin", "runtime.cosh", "runtime.sinh",
])
# helpers that return a new array or their first argument unchanged
PASSTHROUGH = frozenset(["runtime.unbroadcast", "runtime.index_add"])


def is_fresh(op):
    """Whether ``op`` makes a new array (or an immutable scalar) for its result."""
    if op.prim in FRESH:
        return True
    prim = rules.PRIMS[op.prim]
    if prim.emit[0] in ("binop", "unop"):  # operators: x + y, x @ y, -x
        return True
    # elementwise NumPy and math functions
    return prim.elementwise and prim.emit[0] == "call" and \
        prim.emit[1].split(".")[0] in ("np", "math")


class Ownership:
    def __init__(self, fn):
        self.where = {}        # id(var) -> ids of the blocks where each read happens
        self.home = {}         # id(var) -> id of the block whose top level defines it
        self.op_of = {}        # id(var) -> the Op defining it
        self.phi_of = {}       # id(var) -> (statement, phi) for If and loop phis
        self.loop_reads = {}   # id(loop) -> {id(var): reads inside the loop}
        self.parent = {}       # id(block) -> id of the block around it
        self.arms = {}         # id(arm of an If) -> (id(that arm), id(the other arm))
        self._reads = []       # id(var) of each read, in the order _scan meets them
        self._scan(fn.body, None)
        self.owned = self._fixpoint()

    def uses(self, v):
        """How many times ``v`` is read, anywhere."""
        return len(self.where.get(id(v), ()))

    def consumable(self, v, body):
        """Whether an operation at the top level of ``body`` may write into ``v``."""
        return self._consumable(v, id(body), self.owned)

    # -- facts ------------------------------------------------------------------------------
    def _scan(self, body, parent):
        self.parent[id(body)] = parent
        for stmt in body:
            if isinstance(stmt, If):
                self.arms[id(stmt.body)] = (id(stmt.body), id(stmt.orelse))
                self.arms[id(stmt.orelse)] = (id(stmt.orelse), id(stmt.body))
                self._read(stmt.operands(), body)
                for phi in stmt.phis:
                    self._read(phi.inputs[:1], stmt.body)
                    self._read(phi.inputs[1:], stmt.orelse)
            elif isinstance(stmt, (For, While)):
                self._read(_entry_reads(stmt), body)
                first_inside = len(self._reads)  # what is read from here to the loop's end
                self._read(stmt.inner_operands(), stmt.body)
            else:
                self._read(stmt.operands(), body)
            if isinstance(stmt, Op) and stmt.target is not None:
                self.home[id(stmt.target)] = id(body)
                self.op_of[id(stmt.target)] = stmt
            if isinstance(stmt, (If, For, While)):
                for phi in stmt.phis:
                    self.home[id(phi.target)] = id(body)
                    self.phi_of[id(phi.target)] = (stmt, phi)
            for block in blocks(stmt):
                self._scan(block, id(body))
            if isinstance(stmt, (For, While)):
                self.loop_reads[id(stmt)] = counts = {}
                for key in self._reads[first_inside:]:
                    counts[key] = counts.get(key, 0) + 1

    def _read(self, operands, block):
        for o in operands:
            for leaf in leaves(o):
                if isinstance(leaf, Var):
                    self.where.setdefault(id(leaf), []).append(id(block))
                    self._reads.append(id(leaf))

    def _within(self, block_id, ancestor_id):
        while block_id is not None:
            if block_id == ancestor_id:
                return True
            block_id = self.parent.get(block_id)
        return False

    # -- the fixed point -----------------------------------------------------------------------
    def _fixpoint(self):
        owned = set(self.op_of) | set(self.phi_of)
        changed = True
        while changed:
            changed = False
            for key in list(owned):
                if not self._holds(key, owned):
                    owned.discard(key)
                    changed = True
        return owned

    def _holds(self, key, owned):
        op = self.op_of.get(key)
        if op is not None:
            if op.prim in PASSTHROUGH:
                return self._consumable(op.args[0], self.home[key], owned)
            return is_fresh(op)
        stmt, phi = self.phi_of[key]
        if isinstance(stmt, If):
            return all(self._consumable(v, id(arm), owned)
                       for v, arm in zip(phi.inputs, (stmt.body, stmt.orelse)))
        before, end = phi.inputs
        return (isinstance(before, Var) and id(before) in owned and self.uses(before) == 1
                and self.home.get(id(before)) == self.home[key]
                and isinstance(end, Var) and end is not phi.target and id(end) in owned
                and self.uses(end) == 1 and self.home.get(id(end)) == id(stmt.body))

    def _consumable(self, v, block_id, owned):
        if not isinstance(v, Var) or id(v) not in owned:
            return False
        if id(v) in self.phi_of:
            stmt, _ = self.phi_of[id(v)]
            if isinstance(stmt, (For, While)):
                # the carried value: read once per iteration, at the top of the body
                reads = self.loop_reads[id(stmt)].get(id(v), 0)
                return block_id == id(stmt.body) and reads == 1 and \
                    self.where[id(v)].count(id(stmt.body)) == 1
        where = self.where.get(id(v), [])
        home = self.home.get(id(v))
        if where == [block_id] and home == block_id:
            return True
        # read in the arms of one If that follows it: only one arm runs
        arm = self.arms.get(block_id)
        if arm is None or self.parent.get(block_id) != home:
            return False
        this, other = arm
        in_this = sum(self._within(w, this) for w in where)
        in_other = sum(self._within(w, other) for w in where)
        return where.count(this) == 1 and in_this == 1 and in_other <= 1 and \
            in_this + in_other == len(where)


def _entry_reads(loop):
    """What a loop reads once, before its first iteration."""
    out = list(loop.operands())
    if isinstance(loop, For):
        out += ([loop.source] if loop.source is not None else []) + list(loop.range_args or [])
    return out
