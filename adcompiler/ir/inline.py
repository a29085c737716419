"""InlineCalls: calls to the user's own Python functions are built in place.

A call to a module-level function, an imported one, a method of an object, a
callable object, a nested ``def`` or a lambda is replaced by the callee's body,
lowered into the caller's SSA with the arguments bound to its parameters. Both
reverse and forward mode then see plain operations, and the generated code
carries comments that name the callee's own statements. A recursive call
cannot be unrolled at compile time: it stays a call, and reverse mode calls
the callee's own generated vjp function (``transforms.reverse``).
"""
import inspect

import gast
import numpy as np

from ..errors import UnsupportedError
from ..frontend.source import LiveCell
from .nodes import Const, Global, Var

MAX_DEPTH = 12  # nested inlining deeper than this is treated as recursion


class LocalFunction:
    """A ``def`` or lambda inside the function being built."""

    def __init__(self, node, defaults, parsed):
        self.node, self.defaults, self.parsed = node, defaults, parsed

    @property
    def name(self):
        return getattr(self.node, "name", "<lambda>")


# library code is called, never inlined: a function from these packages needs a rule
LIBRARIES = ("numpy", "scipy", "math", "builtins", "functools", "itertools", "operator",
             "jax", "torch", "autograd", "runtime", "adcompiler")


def is_library(fn):
    module = getattr(fn, "__module__", None) or ""
    return module.split(".")[0] in LIBRARIES


def user_function(value):
    """(python function, bound self or None) when ``value`` is user code we can read."""
    if inspect.ismethod(value) and inspect.isfunction(value.__func__):
        return value.__func__, value.__self__
    if inspect.isfunction(value):
        return value, None
    call = getattr(type(value), "__call__", None)
    if inspect.isfunction(call) and not isinstance(value, type):
        return call, value
    return None, None


class Inliner:
    """Mixed into ``Builder``: needs its env, names, parsed, resolver and lowering."""

    def init_inliner(self):
        self.inline_stack = []
        self.root_resolver = self.resolver
        self.extra_globals = {}   # names the generated code reads from its own namespace

    def alias(self, base, value):
        """A name in the generated code's namespace bound to ``value``."""
        base = _identifier(base)
        for name, v in self.extra_globals.items():
            if (v is value or isinstance(v, LiveCell) and isinstance(value, LiveCell)
                    and v.cell is value.cell) and name.startswith(base):
                return name
        if not isinstance(value, LiveCell) and self.root_reads(base, value):
            return base  # the function being differentiated reads it by that name already
        name = self.names.fresh(_identifier(base))
        self.extra_globals[name] = value
        return name

    def root_reads(self, name, value):
        root = self.root_resolver
        return name in self.names.taken and name in root.fn.__code__.co_names \
            and root.lookup(name)[0] is value

    def positional(self, callee, args, kwargs):
        """A kept call to user code (a recursive one) takes its arguments by position,
        defaults filled in; a library call stays as written."""
        value = getattr(callee, "value", None)
        fn, bound_self = user_function(value)
        if fn is None or bound_self is not None or is_library(fn) or any(
                p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                for p in inspect.signature(fn).parameters.values()):
            return args, kwargs
        params = self._bind(inspect.signature(fn), None, args, kwargs, fn.__name__)
        return list(params.values()), ()

    def global_of(self, name, value, where):
        """How the current function's global or closure ``name`` is read."""
        if not self.inline_stack:
            return None  # the root function: its own names are reserved and live
        if where == "global":
            module = inspect.getmodule(self.resolver.fn)
            if module is not None:
                return Global(f"{self.alias(module.__name__.split('.')[-1], module)}.{name}",
                              value)
        if where == "closure":  # the callee's cell, read when the derivative runs
            return Global(self.alias(name, self.resolver.cells[name]), value)
        return Global(self.alias(name, value), value)

    def inline_call(self, value, args, kwargs, hint):
        """Inline a call to user code; returns the result, or None to keep the call."""
        if isinstance(value, LocalFunction):
            return self._inline_local(value, args, kwargs, hint)
        fn, bound_self = user_function(value)
        if fn is None or is_library(fn):
            return None
        if fn is self.root_resolver.fn or fn in [f for f, _ in self.inline_stack] \
                or len(self.inline_stack) >= MAX_DEPTH:
            return None  # recursion: kept as a call
        from ..frontend.checks import check_function
        from ..frontend.normalize import normalize_exits
        from ..frontend.source import Resolver, parse_function
        try:
            parsed = parse_function(fn)
        except UnsupportedError:
            return None  # no source to read: it stays a call, with a rule or an error
        check_function(parsed)
        normalize_exits(parsed.node)
        if bound_self is not None:
            args = [Global(self.alias(type(bound_self).__name__.lower(), bound_self),
                           bound_self)] + list(args)
        params = self._bind(inspect.signature(fn), parsed, args, kwargs, fn.__name__)
        return self._run(parsed, Resolver(fn), params, {}, fn, hint)

    def _inline_local(self, local, args, kwargs, hint):
        node = local.node
        params = self._bind_local(node, local.defaults, args, kwargs, local.name)
        # a nested function sees the enclosing names as they are at the call
        assigned = {n.id for s in node.body for n in gast.walk(s)
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        outer = {k: v for k, v in self.env.items() if k not in assigned and k not in params}
        return self._run(local.parsed, self.resolver, params, outer, local, hint,
                         body=node.body)

    def _run(self, parsed, resolver, params, outer, key, hint, body=None):
        saved = (self.parsed, self.resolver, self.env, self.assigned, self.loc)
        self.inline_stack.append((key, parsed))
        self.parsed, self.resolver = parsed, resolver
        statements = list(body if body is not None else parsed.node.body)
        self.assigned = {n.id for s in statements for n in gast.walk(s)
                         if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        self.env = dict(outer)
        self.env.update(params)
        result = Const(None)
        try:
            for i, stmt in enumerate(statements):
                if isinstance(stmt, gast.Return) and i == len(statements) - 1:
                    self.loc = parsed.loc(stmt, self.statement_text(stmt))
                    if stmt.value is not None:
                        result = self.value(stmt.value, hint)
                    break
                self.stmt(stmt)
        finally:
            self.inline_stack.pop()
            self.parsed, self.resolver, self.env, self.assigned, self.loc = saved
        return result

    def _bind(self, signature, parsed, args, kwargs, name):
        try:
            bound = signature.bind(*args, **dict(kwargs))
        except TypeError as exc:
            raise UnsupportedError(f"call to {name}(): {exc}", self.loc, "call") from None
        params = {}
        for pname, param in signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise UnsupportedError(f"{name}() takes *args or **kwargs", self.loc, "call",
                                       hint="list the parameters one by one")
            if pname in bound.arguments:
                params[pname] = bound.arguments[pname]
            else:
                params[pname] = self.constant(param.default, pname)
        return params

    def _bind_local(self, node, defaults, args, kwargs, name):
        names = [a.id for a in node.args.args]
        if node.args.vararg or node.args.kwarg or node.args.kwonlyargs:
            raise UnsupportedError(f"{name}() takes *args or **kwargs", self.loc, "call")
        if len(args) > len(names):
            raise UnsupportedError(f"{name}() takes {len(names)} arguments, got {len(args)}",
                                   self.loc, "call")
        params = dict(zip(names, args))
        kw = dict(kwargs)
        first_default = len(names) - len(defaults)
        for i, pname in enumerate(names[len(args):], start=len(args)):
            if pname in kw:
                params[pname] = kw.pop(pname)
            elif i >= first_default:
                params[pname] = defaults[i - first_default]
            else:
                raise UnsupportedError(f"{name}() needs its argument {pname!r}", self.loc,
                                       "call")
        if kw:
            raise UnsupportedError(f"{name}() has no parameter {sorted(kw)[0]!r}", self.loc,
                                   "call")
        return params

    def constant(self, value, name):
        if value is None or isinstance(value, (bool, int, float, str)) or \
                isinstance(value, tuple) and all(isinstance(v, (bool, int, float, str))
                                                 for v in value):
            return Const(value)
        return Global(self.alias(name, value), value)

    # -- statements that define local functions ----------------------------------------
    def stmt_FunctionDef(self, node):
        if node.decorator_list:
            raise UnsupportedError("a decorated nested function is not supported",
                                   self.loc, "nested def",
                                   hint="define it at module level and call it")
        from ..frontend.normalize import normalize_exits
        normalize_exits(node)
        defaults = [self.value(d) for d in node.args.defaults]
        self.env[node.name] = LocalFunction(node, defaults, self.parsed)

    def lambda_function(self, node):
        body = [gast.copy_location(gast.Return(node.body), node.body)]
        fn = gast.FunctionDef(name="<lambda>", args=node.args, body=body, decorator_list=[],
                              returns=None, type_comment=None, type_params=[])
        defaults = [self.value(d) for d in node.args.defaults]
        return LocalFunction(fn, defaults, self.parsed)


def _identifier(text):
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in text)
    return out if out and not out[0].isdigit() else "m_" + out


__all__ = ["Inliner", "LocalFunction", "user_function", "Var", "np"]
