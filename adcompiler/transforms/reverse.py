"""Reverse mode: from an SSA function to its adjoint.

The adjoint function runs the forward sweep (the primal statements), then the
backward sweep: the primal statements in reverse order, each replaced by its
rule applied to the adjoint of its result. The adjoint of ``x`` is ``bx``.
Where a value is used more than once its adjoint is a sum: the first
contribution assigns, later ones add (printed as ``bx = bx + ...``).
A branch is reversed into a branch on the same (unchanged, SSA) condition.
"""
import math

import numpy as np

import runtime
from .. import rules
from ..errors import UnsupportedError
from ..ir.build import Lowerer, Static
from ..ir.nodes import Const, Function, If, Op, Phi, Return, Var
from .activity import Activity, shape_symbols

_MODULES = {"np": Static(np, "np"), "math": Static(math, "math"),
            "runtime": Static(runtime, "runtime")}


class TemplateLowerer(Lowerer):
    """Lowers a rule template with its placeholders bound to operands."""

    def __init__(self, names, out, loc, bindings):
        super().__init__(names, out, loc)
        self.bindings = bindings

    def name_of(self, name, node=None):
        if name in self.bindings:
            return self.bindings[name]
        if name in _MODULES:
            return _MODULES[name]
        raise KeyError(f"rule template names unknown {name!r}")


def instantiate(template, bindings, names, out, loc, hint="t"):
    """Append the Ops computing ``template`` and return its value."""
    lowerer = TemplateLowerer(names, out, loc, bindings)
    return lowerer.value(rules.parse_template(template), hint)


class Reverse:
    def __init__(self, fn, wrt, seed_default=1.0, return_value=False, name=None):
        self.fn, self.wrt = fn, list(wrt)
        self.names = fn.names
        self.activity = Activity(fn, [fn.params[i] for i in self.wrt])
        self.shape_of = shape_symbols(fn)
        self.adj = {}            # id(var) -> its adjoint so far (an operand)
        self.adj_name = {}       # id(var) -> the display name of its adjoint
        self.seed_default, self.return_value = seed_default, return_value
        self.name = name or f"grad_{fn.name}"

    # -- adjoints -------------------------------------------------------------------
    def adjoint_name(self, var):
        name = self.adj_name.get(id(var))
        if name is None:
            name = self.adj_name[id(var)] = self.names.fresh("b" + var.name)
        return name

    def contribute(self, var, value, out, loc, fresh=False):
        """Add ``value`` to the adjoint of ``var``: assign first, add after.

        ``fresh`` says ``value`` is a temporary made for this contribution alone,
        which may then simply be named after the adjoint.
        """
        current = self.adj.get(id(var))
        name = self.adjoint_name(var)
        if current is None:
            if fresh:
                value.name, value.temp = name, False
            self.adj[id(var)] = value
            return
        total = Var(name)  # same display name: printed as `bx = bx + ...`
        out.append(Op(total, "add", [current, value], (), loc))
        self.adj[id(var)] = total

    # -- the transform ---------------------------------------------------------------
    def run(self):
        fn = self.fn
        body = list(fn.body)
        ret = body.pop()
        assert isinstance(ret, Return)
        seed = None
        out_value = ret.value
        if self.activity.is_active(out_value):
            seed = Var(self.names.fresh("b" + out_value.name))
            self.adj_name[id(out_value)] = seed.name
            self.adj[id(out_value)] = seed
        backward = []
        self.reverse_block(body, backward)
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
        new = Function(self.name, list(fn.params) + [seed_param],
                       body + backward + [Return(result, ret.loc)], self.names,
                       () if self.seed_default is None else (Const(self.seed_default),),
                       fn.filename)
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
        elif isinstance(stmt, Return):
            raise UnsupportedError("return inside a block", stmt.loc, "return")
        else:
            stmt.reverse(self, out)

    def reverse_op(self, op, out):
        if op.target is None or not self.activity.is_active(op.target):
            return
        g = self.adj.get(id(op.target))
        prim = rules.PRIMS[op.prim]
        if g is None or prim.nondiff:
            return
        bindings = dict(zip(prim.param_names, op.args))
        bindings["ans"] = op.target
        bindings["g"] = g
        for name, arg in zip(prim.param_names, op.args):
            if not self.activity.is_active(arg):
                continue
            mark = len(out)
            if prim.elementwise:
                partial = instantiate(prim.partials[name], bindings, self.names, out, op.loc)
                if isinstance(partial, Const):
                    contrib = _op(out, self.names, op.loc, "mul", [partial, g])
                else:
                    contrib = _op(out, self.names, op.loc, "mul", [g, partial])
                if self.shape_of(arg) != self.shape_of(op.target):
                    contrib = _op(out, self.names, op.loc, "runtime.unbroadcast",
                                  [contrib, arg])
            else:
                template = prim.vjp[name]
                if callable(template):
                    template = template(bindings)
                contrib = instantiate(template, bindings, self.names, out, op.loc)
            fresh = any(s.target is contrib for s in out[mark:] if isinstance(s, Op))
            self.contribute(arg, contrib, out, op.loc, fresh)

    def reverse_if(self, stmt, out):
        before = dict(self.adj)
        arms = []
        for k, arm in enumerate((stmt.body, stmt.orelse)):
            self.adj = dict(before)
            rout = []
            for phi in stmt.phis:
                g = before.get(id(phi.target))
                src = phi.inputs[k]
                if g is not None and self.activity.is_active(src):
                    self.contribute(src, g, rout, stmt.loc)
            self.reverse_block(arm, rout)
            arms.append((rout, self.adj))
        (then_out, then_adj), (else_out, else_adj) = arms
        self.adj = dict(before)
        phis = []
        for key in sorted(set(then_adj) | set(else_adj), key=lambda k: self.adj_name.get(k, "")):
            a, b = then_adj.get(key), else_adj.get(key)
            if a is b or key not in self.adj_name or not self._visible_before(key, before, stmt):
                continue
            var = self._var_of(key)
            if a is None:
                a = self._zero(var, then_out, stmt.loc)
            if b is None:
                b = self._zero(var, else_out, stmt.loc)
            target = Var(self.adj_name[key])
            phis.append(Phi(target, [a, b]))
            self.adj[key] = target
        out.append(If(stmt.test, then_out, else_out, phis, stmt.loc))

    def _visible_before(self, key, before, stmt):
        # adjoints of values defined inside an arm stay inside it
        return key in self._defined_outside(stmt)

    def _defined_outside(self, stmt):
        cache = getattr(self, "_outside_cache", None)
        if cache is None:
            cache = self._outside_cache = {}
        if id(stmt) not in cache:
            from ..ir.nodes import walk
            inside = {id(d) for s in walk(stmt.body + stmt.orelse) for d in s.defs()}
            everything = {id(p): p for p in self.fn.params}
            for s in walk(self.fn.body):
                for d in s.defs():
                    everything[id(d)] = d
            cache[id(stmt)] = {k for k in everything if k not in inside}
            self._vars = everything
        return cache[id(stmt)]

    def _var_of(self, key):
        return self._vars[key]

    def _zero(self, var, out, loc):
        z = Var(self.adj_name[id(var)])
        out.append(Op(z, "runtime.zeros_grad", [var], (), loc))
        return z


def _op(out, names, loc, key, args):
    lowerer = Lowerer(names, out, loc)
    return lowerer.op(key, args)


def _tuple(items, out, names, loc):
    target = names.var("t")
    out.append(Op(target, "tuple", items, (), loc))
    return target
