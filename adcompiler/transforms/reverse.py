"""Reverse mode: from an SSA function to its adjoint.

The adjoint function runs the forward sweep (the primal statements), then the
backward sweep: the primal statements in reverse order, each replaced by its
rule applied to the adjoint of its result. The adjoint of ``x`` is ``bx``.
Where a value is used more than once its adjoint is a sum: the first
contribution assigns, later ones add (printed as ``bx = bx + ...``).
A branch is reversed into a branch on the same (unchanged, SSA) condition.
"""
import math
import re

import numpy as np

import runtime
from .. import rules
from ..errors import UnsupportedError
from ..ir.build import Lowerer, Static
from ..ir.nodes import Global
from ..ir.nodes import (Const, For, Function, If, Index, Op, Phi, Return, Slice, Var, While,
                        all_operands, defined_in, substitute, walk)
from ..opt.recompute import store_or_recompute
from .activity import Activity, recursive_callee
from .shapes import known_shape, result_shape, shape_symbols

_MODULES = {"np": Static(np, "np"), "math": Static(math, "math"),
            "runtime": Static(runtime, "runtime")}


class TemplateLowerer(Lowerer):
    """Lowers a rule template with its placeholders bound to operands."""

    def __init__(self, names, out, loc, bindings, home=None):
        super().__init__(names, out, loc)
        self.bindings, self.home = bindings, home

    def name_of(self, name, node=None):
        if name in self.bindings:
            return self.bindings[name]
        if name in _MODULES:
            return _MODULES[name]
        if self.home is not None and name in self.home.__globals__:
            # a user's rule may call functions of its own module that have rules
            value = self.home.__globals__[name]
            if isinstance(value, type(np)) or rules.lookup_object(value) is not None:
                return Static(value, name)
        raise UnsupportedError(
            f"a rule template reads {name!r}: templates may use the parameters, ans, g, "
            "np, math, runtime and functions that have rules", self.loc, "rule template")


def instantiate(template, bindings, names, out, loc, hint="t", home=None):
    """Append the Ops computing ``template`` and return its value."""
    lowerer = TemplateLowerer(names, out, loc, bindings, home)
    return lowerer.value(rules.parse_template(template), hint)


class Reverse:
    seed_is_full = False  # set by run(): whether the seed is an adjoint of the output's shape

    def __init__(self, fn, wrt, seed_default=1.0, return_value=False, name=None, shapes=(),
                 recompute=True):
        self.fn, self.wrt = fn, list(wrt)
        self.recompute = recompute  # redo cheap values of a loop rather than tape them
        self.names = fn.names
        self.activity = Activity(fn, [fn.params[i] for i in self.wrt])
        for op in (s for s in walk(fn.body) if isinstance(s, Op) and s.prim == "tape.push"):
            if self.activity.is_varied(op.args[1]):
                # popped values would look constant: a silently wrong derivative
                raise UnsupportedError(
                    "reverse mode over generated code that keeps values on a tape (a "
                    "gradient of a function with loops)", op.loc, "reverse over reverse",
                    hint="differentiate gradients in forward mode: adcompiler.hessian, "
                         "hvp, jvp, or grad(grad(f)), which uses forward mode")
        # shapes: of the arguments this derivative is compiled for (None: any)
        self.shape_of = shape_symbols(fn, {i: s for i, s in enumerate(shapes) if s is not None})
        self.adj = {}            # id(var) -> its adjoint so far (an operand)
        self.adj_name = {}       # id(var) -> the display name of its adjoint
        # id(var) -> var's known shape, where its adjoint so far is a value that only
        # broadcasts to it (the seed of a full sum): ``np.sum(x)`` gives x the adjoint
        # ``bout`` itself, and ``100.0 * bout`` stays one multiplication, not 10^4
        self.lazy = {}
        self.temp_shapes = {}    # id(var) -> shape, of values the transform makes
        self.seed_default, self.return_value = seed_default, return_value
        self.name = name or f"grad_{fn.name}"
        self.loop_depth = 0
        self.tape = None
        self.changed = []   # per open branch arm: ids of values whose adjoint it changed
        self._vars = {}     # id -> Var, for every value that got an adjoint

    # -- adjoints -------------------------------------------------------------------
    def mark_changed(self, key):
        if self.changed:
            self.changed[-1].add(key)

    def adjoint_name(self, var):
        name = self.adj_name.get(id(var))
        if name is None:
            name = self.adj_name[id(var)] = self.names.fresh("b" + var.name)
        return name

    def contribute(self, var, value, out, loc, fresh=False, lazy=None):
        """Add ``value`` to the adjoint of ``var``: assign first, add after.

        ``fresh`` says ``value`` is a temporary made for this contribution alone,
        which may then simply be named after the adjoint. ``lazy`` is var's shape
        when ``value`` only broadcasts to it (``self.lazy``); a sum stays lazy
        only when both terms are.
        """
        current = self.adj.get(id(var))
        name = self.adjoint_name(var)
        self._vars[id(var)] = var
        self.mark_changed(id(var))
        if lazy is None or current is not None and id(var) not in self.lazy:
            self.lazy.pop(id(var), None)
        else:
            self.lazy[id(var)] = lazy
        if current is None:
            if fresh:
                value.name, value.temp = name, False
            self.adj[id(var)] = value
            return
        total = Var(name)  # same display name: printed as `bx = bx + ...`
        key = "add"
        if fresh and out and isinstance(out[-1], Op) and out[-1].target is value \
                and out[-1].prim == "neg":
            key, value = "sub", out.pop().args[0]  # bx - c, not bx + -c
        out.append(Op(total, key, [current, value], (), loc))
        self.infer(out[-1:])
        self.adj[id(var)] = total

    def shape(self, operand):
        """The shape of a primal value or of one the transform made (``infer``)."""
        shape = self.temp_shapes.get(id(operand))
        return self.shape_of(operand) if shape is None else shape

    def infer(self, ops):
        """Shapes of the values ``ops`` (just made by the transform) define."""
        for op in ops:
            if isinstance(op, Op) and op.target is not None:
                shape = result_shape(op, self.shape)
                if shape is not None:
                    self.temp_shapes[id(op.target)] = shape

    def materialize(self, var, out, loc):
        """Give ``var`` an adjoint of its full shape, if it is lazy: ``runtime.full``
        broadcasts (a view, no copy; nothing when it is full already)."""
        shape = self.lazy.pop(id(var), None)
        if shape is None:
            return self.adj.get(id(var))
        full = Var(self.adjoint_name(var))
        out.append(Op(full, "runtime.full", [self.adj[id(var)], Const(shape)], (), loc))
        self.adj[id(var)] = full
        self.mark_changed(id(var))
        return full

    def materialize_all(self, out, loc):
        """Before a branch or a loop, and at the end of each arm or body: lazy
        adjoints never cross a join."""
        for key in sorted(self.lazy, key=lambda k: self.adj_name[k]):
            self.materialize(self._vars[key], out, loc)

    def reverse_full_reduction(self, op, prim, g, out):
        """``np.sum(x)`` or ``np.mean(x)`` over all of x, an array of known shape:
        x's adjoint is lazy, ``g`` or ``g / count``. Whether this applied."""
        if prim.key not in ("np.sum", "np.mean") or len(op.args) != 3:
            return False
        a, axis, keepdims = op.args
        shape = known_shape(self.shape_of(a))
        if not (isinstance(axis, Const) and axis.value is None and isinstance(keepdims, Const)
                and keepdims.value is False and shape and self.activity.is_active(a)):
            return False
        count = int(np.prod(shape))
        if count == 0:
            return False
        mark = len(out)
        if prim.key == "np.mean":  # as runtime.unreduce_mean: divided once
            g = _op(out, self.names, op.loc, "truediv", [g, Const(count)])
            self.infer(out[mark:])
        # fresh only if made here: g / 1 is g itself, which may be the seed's name
        fresh = any(s.target is g for s in out[mark:] if isinstance(s, Op))
        self.contribute(a, g, out, op.loc, fresh=fresh, lazy=shape)
        return True

    # -- the transform ---------------------------------------------------------------
    def run(self):
        fn = self.fn
        body = list(fn.body)
        ret = body.pop()
        assert isinstance(ret, Return)
        seed = None
        out_value = ret.value
        # a value restored from the tape must not take the name of the one returned
        self.protected = {o.name for o in [out_value] if isinstance(o, Var)}
        if self.activity.is_active(out_value):
            seed = Var(self.names.fresh("b" + out_value.name))
            self.adj_name[id(out_value)] = seed.name
            self.adj[id(out_value)] = seed
            self.temp_shapes[id(seed)] = self.shape_of(out_value)  # the output's
        # whether the seed is an adjoint of the output's shape, and so every adjoint
        # made from it one of its value's: a vjp's is checked against the output (by the
        # API, else by runtime.check_seed below); grad's 1.0 is, for a known scalar
        self.seed_is_full = self.seed_default is None or \
            known_shape(self.shape_of(out_value)) == ()
        backward = []
        if seed is not None and self.seed_default is None and \
                known_shape(self.shape_of(out_value)) is None:
            # a vjp's seed is the caller's: checked before the sweep reads it, where the
            # output's shape is known only at run time (the API checks the others)
            checked = Var(self.names.fresh("b" + out_value.name))
            backward.append(Op(checked, "runtime.check_seed", [seed, out_value], (), ret.loc))
            self.adj[id(out_value)] = checked
            self.temp_shapes[id(checked)] = self.shape_of(out_value)
        self.reverse_block(body, backward)
        self.materialize_all(backward, ret.loc)
        grads = []
        for i in self.wrt:
            p = fn.params[i]
            g = self.adj.get(id(p))
            if g is None:
                g = Var(self.names.fresh("b" + p.name))
                backward.append(Op(g, "runtime.zeros_grad", [p], (), ret.loc))
            grads.append(g)
        result = grads[0] if len(grads) == 1 else _tuple(grads, backward, self.names, ret.loc)
        if self.return_value:
            result = _tuple([out_value, result], backward, self.names, ret.loc)
        seed_param = seed or Var(self.names.fresh("b" + getattr(out_value, "name", "out")))
        if self.tape is not None:
            body.insert(0, Op(self.tape, "runtime.Tape", [], (), ret.loc))
        new = Function(self.name, list(fn.params) + [seed_param],
                       body + backward + [Return(result, ret.loc)], self.names,
                       () if self.seed_default is None else (Const(self.seed_default),),
                       fn.filename)
        new.backward = frozenset(id(d) for s in walk(backward) for d in s.defs())
        # the seed has the output's shape: known when the arguments' shapes are
        new.seed_shape = known_shape(self.shape_of(out_value)) if seed is not None else None
        return new

    def reverse_block(self, body, out):
        for stmt in reversed(body):
            mark = len(out)
            self.reverse_stmt(stmt, out)
            if stmt.loc is not None:
                note = "Grad of: " + (stmt.loc.stmt or stmt.loc.text.strip())
                for new in out[mark:]:
                    if new.note is None:
                        new.note = note

    def reverse_stmt(self, stmt, out):
        if isinstance(stmt, Op):
            self.reverse_op(stmt, out)
        elif isinstance(stmt, If):
            self.reverse_if(stmt, out)
        elif isinstance(stmt, (For, While)):
            self.reverse_loop(stmt, out)
        else:
            raise UnsupportedError(f"{type(stmt).__name__} in reverse mode", stmt.loc,
                                   type(stmt).__name__)

    def reverse_op(self, op, out):
        if op.target is None or not self.activity.is_active(op.target):
            return
        g = self.adj.get(id(op.target))
        prim = rules.PRIMS[op.prim]
        if g is None or prim.nondiff:
            return
        lazy = self.lazy.get(id(op.target))
        if lazy is not None and not prim.elementwise and not prim.broadcast_g:
            g = self.materialize(op.target, out, op.loc)
            lazy = None
        # the adjoint is complete and read here alone: nothing to make full later
        self.lazy.pop(id(op.target), None)
        if prim.key == "call":
            return self.reverse_call(op, g, out)
        if self.reverse_full_reduction(op, prim, g, out):
            return
        bindings = _Bindings(zip(prim.param_names, op.args))
        bindings.shape_of = self.shape_of
        # else a scalar standing for g (broadcast_g), or a seed that may stand for one
        bindings.g_is_full = lazy is None and self.seed_is_full
        bindings["ans"] = op.target
        bindings["g"] = g
        done = set()
        for name, arg in zip(prim.param_names, op.args):
            # elementwise rules sum the partials of a value passed twice (below); a
            # product's vjps are not partials: np.dot(x, x) needs both of its vjps
            if not self.activity.is_active(arg) or name in prim.zero or \
                    prim.elementwise and id(arg) in done:
                continue
            done.add(id(arg))
            mark = len(out)
            if prim.elementwise:
                # one contribution per value: x * x gives g * (2 * x), not g * x twice
                same = [n for n, a in zip(prim.param_names, op.args) if a is arg]
                partial = None
                home = getattr(prim, "user_function", None)
                for n in same:
                    term = instantiate(prim.partials[n], bindings, self.names, out, op.loc,
                                       home=home)
                    partial = term if partial is None else \
                        _op(out, self.names, op.loc, "add", [partial, term])
                if isinstance(partial, Const):
                    contrib = _op(out, self.names, op.loc, "mul", [partial, g])
                else:
                    contrib = _op(out, self.names, op.loc, "mul", [g, partial])
                shape = self.shape_of(arg)
                self.infer(out[mark:])
                if lazy is not None and self.shape(contrib) != lazy:
                    # contrib broadcasts to the result's shape: lazy for an operand
                    # of that shape, made full before it is summed down to another
                    if shape == lazy:
                        fresh = any(s.target is contrib for s in out[mark:]
                                    if isinstance(s, Op))
                        self.contribute(arg, contrib, out, op.loc, fresh, lazy=lazy)
                        continue
                    contrib = _op(out, self.names, op.loc, "runtime.full",
                                  [contrib, Const(lazy)])
                if shape != self.shape_of(op.target):
                    known = known_shape(shape)
                    if known is None:
                        contrib = _op(out, self.names, op.loc, "runtime.unbroadcast",
                                      [contrib, arg])
                    elif known == ():  # a scalar operand: the sum of it all
                        contrib = _op(out, self.names, op.loc, "np.sum",
                                      [contrib, Const(None), Const(False)])
                    else:
                        contrib = _op(out, self.names, op.loc, "runtime.sum_to",
                                      [contrib, Const(known)])
            else:
                template = prim.vjp[name]
                if callable(template):
                    template = template(bindings)
                contrib = instantiate(template, bindings, self.names, out, op.loc,
                                      home=getattr(prim, "user_function", None))
            fresh = any(s.target is contrib for s in out[mark:] if isinstance(s, Op))
            self.contribute(arg, contrib, out, op.loc, fresh)

    def reverse_call(self, op, g, out):
        """A call kept for recursion: ``bx, bw = vjp_f(x, w, g)`` with f's own vjp."""
        fn = recursive_callee(op)
        args = op.args[1:]
        active = [i for i, a in enumerate(args) if self.activity.is_active(a)]
        if fn is None or not active:
            return
        lazy = LazyDerivative(fn, "vjp", tuple(active))
        name = lazy.bind(self.fn.extra_globals, self.names)
        result = self._op(out, op.loc, "call", [Global(name, lazy)] + list(args) + [g])
        for j, i in enumerate(active):
            part = result if len(active) == 1 else \
                self._op(out, op.loc, "getitem", [result, Index([Const(j)], False)])
            self.contribute(args[i], part, out, op.loc, fresh=len(active) > 1)

    def reverse_if(self, stmt, out):
        self.materialize_all(out, stmt.loc)
        before = dict(self.adj)
        arms = []
        for k, arm in enumerate((stmt.body, stmt.orelse)):
            self.adj = dict(before)
            self.changed.append(set())
            rout = []
            for phi in stmt.phis:
                g = before.get(id(phi.target))
                src = phi.inputs[k]
                if g is not None and self.activity.is_active(src):
                    self.contribute(src, g, rout, stmt.loc)
            self.reverse_block(arm, rout)
            self.materialize_all(rout, stmt.loc)
            if self.loop_depth:
                self.tape_block(arm, rout)
            arms.append((rout, self.adj, self.changed.pop()))
        (then_out, then_adj, then_changed), (else_out, else_adj, else_changed) = arms
        self.adj = dict(before)
        # adjoints of values defined inside an arm stay inside it
        inside = {id(d) for s in walk(stmt.body + stmt.orelse) for d in s.defs()}
        phis = []
        changed = (then_changed | else_changed) - inside
        for key in sorted(changed, key=lambda k: self.adj_name[k]):
            a, b = then_adj.get(key), else_adj.get(key)
            if a is b:  # both arms left the same adjoint (possibly new to both): no join
                self.adj[key] = a
                self.mark_changed(key)  # an enclosing branch must still join it
                continue
            var = self._vars[key]
            if a is None:
                a = self._zero(var, then_out, stmt.loc)
            if b is None:
                b = self._zero(var, else_out, stmt.loc)
            target = Var(self.adj_name[key])
            self.temp_shapes[id(target)] = self.shape_of(var)  # an adjoint has its value's
            phis.append(Phi(target, [a, b]))
            self.adj[key] = target
            self.mark_changed(key)
        if then_out or else_out or phis:
            out.append(If(stmt.test, then_out, else_out, phis, stmt.loc, mirror=stmt))

    def _zero(self, var, out, loc, name=None):
        z = Var(name or self.adj_name[id(var)])
        out.append(Op(z, "runtime.zeros_grad", [var], (), loc))
        self.temp_shapes[id(z)] = self.shape_of(var)
        return z

    # -- loops --------------------------------------------------------------------------
    def reverse_loop(self, loop, out):
        """The backward sweep of a loop: a loop over the same iterations, reversed.

        A loop-carried value ``x`` (header phi ``x_h = phi(x_0, x_next)``) hands
        its adjoint from one reversed iteration to the one before through a phi
        of the backward loop; values defined outside the loop and used inside
        accumulate their adjoints through such phis too. Values the backward
        body reads that the forward loop overwrites go on the tape.
        """
        act = self.activity
        active_phis = [p for p in loop.phis if act.is_active(p.target)]
        if not active_phis:
            return
        self.materialize_all(out, loop.loc)
        loc = loop.loc
        inside = self._loop_defs(loop)
        # how the backward loop iterates
        recompute_target = False
        if isinstance(loop, For) and loop.range_args is not None:
            iterable = self._op(out, loc, "range", list(loop.range_args))
            if loop.exit is not None:
                trip = self.count_trips(loop)
                iterable = self._op(out, loc, "getitem",
                                    [iterable, Index([Slice(None, trip, None)], False)])
            iterable = self._op(out, loc, "reversed", [iterable])
            back_target = Var(loop.target.name)
            recompute_target = True
        else:
            trip = self.count_trips(loop)
            iterable = self._op(out, loc, "range", [trip])
            # k is the iteration's index: source[k]'s adjoint goes there, and an
            # enumerate counter is k itself (not taped)
            needs_k = isinstance(loop, For) and (act.is_active(loop.source)
                                                 or loop.counter is not None)
            if needs_k:
                iterable = self._op(out, loc, "reversed", [iterable])
            back_target = Var(self.names.fresh("k") if needs_k else "_")
        # adjoints carried around the backward loop
        accumulators = self._accumulators(loop, inside)
        bphis, carried, used = [], {}, set()
        for v in accumulators:
            init = self.adj.get(id(v)) or self._zero(v, out, loc, self.adjoint_name(v))
            target = Var(self.adjoint_name(v))
            self.temp_shapes[id(target)] = self.shape_of(v)
            used.add(target.name)
            bphis.append(Phi(target, [init, None]))
            carried[id(v)] = target
        incoming = {}
        for p in active_phis:
            init = self.adj.get(id(p.target)) or self._zero(p.target, out, loc,
                                                            self.adjoint_name(p.target))
            nxt = p.inputs[1]
            name = self.adjoint_name(nxt) if act.is_active(nxt) else \
                self.names.fresh("b" + p.target.name + "_next")
            if name in used:
                name = self.names.fresh(name)
            used.add(name)
            target = Var(name)
            self.temp_shapes[id(target)] = self.shape_of(p.target)
            bphis.append(Phi(target, [init, None]))
            incoming[id(p.target)] = target
        # the reversed body
        saved = self.adj
        self.adj = dict(saved)
        self.adj.update(carried)
        for p in active_phis:
            self.adj.pop(id(p.target), None)
        rbody = []
        self.loop_depth += 1
        for p in active_phis:
            if act.is_active(p.inputs[1]):
                self.contribute(p.inputs[1], incoming[id(p.target)], rbody, loc)
        self.reverse_block(loop.body, rbody)
        self.materialize_all(rbody, loc)
        if isinstance(loop, For) and act.is_active(loop.source) and \
                self.adj.get(id(loop.target)) is not None:
            contrib = self._op(rbody, loc, "runtime.unindex",
                               [self.adj[id(loop.target)], loop.source, back_target])
            self.contribute(loop.source, contrib, rbody, loc, fresh=True)
        for phi, v in zip(bphis, accumulators):
            phi.inputs[1] = self.adj[id(v)]
        for phi, p in zip(bphis[len(accumulators):], active_phis):
            end = self.adj.get(id(p.target))
            if end is None:
                # a name of its own: the phi's name may still hold another phi's input,
                # read by the copies at the end of the body
                end = self._zero(p.target, rbody, loc,
                                 self.names.fresh(self.adjoint_name(p.target)))
            phi.inputs[1] = end
        self.loop_depth -= 1
        self.adj = saved
        inside = self._loop_defs(loop)  # again: reversing inner loops added trip counters
        exclude = {id(loop.target)} if recompute_target else set()
        mapping = {id(loop.target): back_target} if recompute_target else {}
        if isinstance(loop, For) and loop.counter is not None and not recompute_target:
            exclude.add(id(loop.counter))
            mapping[id(loop.counter)] = back_target
        if mapping:
            substitute(rbody, mapping)
        self.tape_block(loop.body, rbody, inside, exclude, loop=loop)
        # accumulators that received nothing keep the adjoint they had
        kept = []
        for phi in bphis:
            owner = next((v for v in accumulators if carried[id(v)] is phi.target), None)
            if owner is not None and phi.inputs[1] is phi.target:
                continue
            kept.append(phi)
            if owner is not None:
                self.adj[id(owner)] = phi.target
        out.append(For(back_target, iterable, rbody, kept, loc=loc))
        for p in active_phis:
            if act.is_active(p.inputs[0]):
                self.contribute(p.inputs[0], incoming[id(p.target)], out, loc)

    def count_trips(self, loop):
        """Count the forward loop's iterations; returns the count (after the loop)."""
        name = self.names.fresh("trip")
        count, step = Var(name), Var(name)
        loop.body.append(Op(step, "add", [count, Const(1)], (), loop.loc))
        loop.phis.append(Phi(count, [Const(0), step]))
        return count

    def _loop_defs(self, loop):
        """Values the forward loop defines afresh each iteration, at its top level."""
        defs = [p.target for p in loop.phis] + list(loop.loop_defs())
        for stmt in loop.body:
            defs.extend(stmt.defs())
        return defs

    def _accumulators(self, loop, inside):
        """Active values from outside the loop that its body reads."""
        nested = defined_in(loop.body) | {id(v) for v in inside}
        found, order = set(), []
        reads = [o for s in walk(loop.body) for o in all_operands(s)]
        reads += [p.inputs[1] for p in loop.phis]
        if isinstance(loop, For) and loop.source is not None:
            reads.append(loop.source)
        for o in reads:
            if isinstance(o, Var) and self.activity.is_active(o) and id(o) not in nested \
                    and id(o) not in found:
                found.add(id(o))
                order.append(o)
        return sorted(order, key=lambda v: self.adjoint_name(v))

    def tape_block(self, forward, backward, defs=None, exclude=(), loop=None):
        """Save what ``backward`` reads of the values ``forward`` defines.

        The forward block pushes them at its end; the backward block pops them
        first, in reverse order, into names of their own. In the body of
        ``loop``, a value made by one addition, subtraction, multiplication or
        negation of values at hand is recomputed after the pops instead
        (``opt.recompute``; not with ``recompute=False``, which is
        ``optimize=False``).
        """
        if defs is None:
            defs = [d for stmt in forward for d in stmt.defs()]
        reads = {id(o) for s in walk(backward) for o in all_operands(s) if isinstance(o, Var)}
        needed, seen = [], set()
        for v in defs:
            if id(v) in reads and id(v) not in exclude and id(v) not in seen:
                seen.add(id(v))
                needed.append(v)
        recomputed = []
        if loop is not None and needed and self.recompute:
            # a value read for its shape alone keeps its data-less stand-in
            shape_only = _read_for_shape_only(backward, needed)
            needed, recomputed = store_or_recompute(loop, defs, needed, exclude, shape_only)
        if not needed and not recomputed:
            return
        mapping, pops = {}, []
        if needed:
            pops = self._push_and_pop(forward, needed, recomputed + backward, mapping)
        for op in recomputed:  # in program order: one may read another
            v = op.target
            again = Var(self._restored_name(v.name))
            pops.append(Op(again, op.prim, [mapping.get(id(a), a) for a in op.args], (), op.loc))
            mapping[id(v)] = again
        substitute(backward, mapping)
        backward[:0] = pops

    def _push_and_pop(self, forward, needed, readers, mapping):
        """Push ``needed`` at the end of ``forward``; return the pops that restore them
        (in reverse order), recording each restored name in ``mapping``."""
        if self.tape is None:
            self.tape = Var(self.names.fresh("tape"))
        position = len(forward)
        # keep the trip counter last in the body: pushes go before it
        if forward and isinstance(forward[-1], Op) and forward[-1].target is not None \
                and forward[-1].target.name.startswith("trip"):
            position -= 1
        # what a recomputation reads, it reads for its data
        shape_only = _read_for_shape_only(readers, needed)
        pushes, kept = [], {}
        for v in needed:
            if id(v) in shape_only:  # keep a data-less stand-in, not the array
                stand_in = Var(self.names.fresh(v.name + "_shape"))
                pushes.append(Op(stand_in, "runtime.shape_of", [v], (), None))
                kept[id(v)] = stand_in
            pushes.append(Op(None, "tape.push", [self.tape, kept.get(id(v), v)]))
        forward[position:position] = pushes
        pops = []
        for v in reversed(needed):
            name = kept[id(v)].name if id(v) in kept else v.name
            restored = Var(self._restored_name(name))
            pops.append(Op(restored, "tape.pop", [self.tape]))
            mapping[id(v)] = restored
        return pops

    def _restored_name(self, name):
        """A name for a value restored in the backward sweep: its own, unless the
        forward sweep still needs that (then ``x_2`` for ``x_1``, not ``x_1_1``)."""
        if name not in self.protected:
            return name
        return self.names.fresh(re.sub(r"_\d+$", "", name) or name)

    def _op(self, out, loc, key, args):
        return _op(out, self.names, loc, key, args)


class _Bindings(dict):
    """A rule's parameters bound to operands; a callable template may ask which
    of them have a number of dimensions known when compiling."""

    shape_of = None
    g_is_full = False  # whether g is an array of the result's shape

    def ndims(self, *params):
        """The operands' numbers of dimensions, or None unless all are known."""
        shapes = [known_shape(self.shape_of(self[p])) for p in params]
        return None if None in shapes else tuple(len(s) for s in shapes)


def _op(out, names, loc, key, args):
    lowerer = Lowerer(names, out, loc)
    return lowerer.op(key, args)


def _tuple(items, out, names, loc):
    target = names.var("t")
    out.append(Op(target, "tuple", items, (), loc))
    return target


class LazyDerivative:
    """The vjp or jvp of a user function, compiled on its first call (so that a
    recursive function's derivative can call itself)."""

    def __init__(self, fn, kind, wrt):
        self.fn, self.kind, self.wrt = fn, kind, wrt
        self.key = (fn, kind, wrt)
        self._compiled = None

    def bind(self, namespace, names):
        """The name generated code calls this by, in ``namespace``."""
        for key, value in namespace.items():
            if isinstance(value, LazyDerivative) and value.key == self.key:
                return key
        name = names.fresh(f"{self.kind}_{self.fn.__name__}")
        namespace[name] = self
        return name

    @property
    def compiled(self):
        if self._compiled is None:
            from ..api import compile_derivative
            self._compiled = compile_derivative(self.fn, self.kind, self.wrt)
        return self._compiled

    def __call__(self, *args):
        return self.compiled.function(*args)

    def __repr__(self):
        return f"<{self.kind} of {self.fn.__qualname__} wrt {self.wrt}>"


def _read_for_shape_only(body, values):
    """The ids of ``values`` that ``body`` reads only for their shape (and dtype):
    as parameters declared zero-derivative (``unbroadcast(g, x)``'s ``x``) or in
    ``runtime.zeros_grad``."""
    wanted = {id(v) for v in values}
    shape_only, other = set(), set()
    for stmt in walk(body):
        if isinstance(stmt, Op) and not rules.PRIMS[stmt.prim].variadic:
            prim = rules.PRIMS[stmt.prim]
            for name, arg in zip(prim.param_names, stmt.args):
                for leaf in (arg.operands() if isinstance(arg, (Index,)) else [arg]):
                    if id(leaf) in wanted:
                        (shape_only if name in prim.zero or stmt.prim == "runtime.zeros_grad"
                         else other).add(id(leaf))
            continue
        for o in all_operands(stmt):
            if id(o) in wanted:
                other.add(id(o))
    return shape_only - other
