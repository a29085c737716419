"""Adapters: how each tool builds a gradient of a workload, and its primal.

Every adapter turns a workload and its NumPy inputs into a ``Prepared``:
``f()`` runs the tool's own primal (plain NumPy for the tools that run NumPy
code), ``grad()`` one gradient, ``to_numpy(result)`` makes that gradient a
tuple of NumPy arrays for the cross-check, and ``fresh()`` builds a new
transform of a fresh copy of the function, so that the time to the first
gradient includes everything a new function costs. A tool that is not
installed is listed with a note and skipped; a tool that cannot handle a
workload raises, and the runner prints the first line of the error.

Peers are imported here only; the library and its tests never import them.
"""
import importlib.util
import types

import numpy as np


def fresh_copy(fn):
    """A new function object with ``fn``'s code: no cache keyed on ``fn`` applies."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
                              fn.__closure__)
    copy.__qualname__, copy.__module__, copy.__doc__ = fn.__qualname__, fn.__module__, fn.__doc__
    return copy


_rebound = {}


def rebind(fn, **names):
    """``fn`` with module globals replaced (``np=autograd.numpy``), and so are the
    functions of its module that it calls, so helpers use the same library."""
    key = (fn.__module__, tuple(sorted((k, id(v)) for k, v in names.items())))
    new_globals = _rebound.get(key)
    if new_globals is None:
        new_globals = dict(fn.__globals__)
        new_globals.update(names)
        for name, value in list(new_globals.items()):
            if isinstance(value, types.FunctionType) and value.__module__ == fn.__module__:
                new_globals[name] = types.FunctionType(value.__code__, new_globals, value.__name__,
                                                       value.__defaults__, value.__closure__)
        _rebound[key] = new_globals
    return types.FunctionType(fn.__code__, new_globals, fn.__name__, fn.__defaults__,
                              fn.__closure__)


def _as_tuple(grads, wrt):
    if len(wrt) == 1 and not isinstance(grads, tuple):
        grads = (grads,)
    return tuple(np.asarray(g, dtype=np.float64) for g in grads)


class Prepared:
    def __init__(self, f, grad, to_numpy, fresh, memory_visible=True):
        self.f, self.grad, self.to_numpy, self.fresh = f, grad, to_numpy, fresh
        self.memory_visible = memory_visible  # does tracemalloc see its buffers?


class Peer:
    name = "?"
    module = None         # importable name that tells whether it is installed
    note = ""

    def available(self):
        return all(importlib.util.find_spec(m) is not None for m in self.module.split(","))

    distribution = None   # its name on PyPI, when not the module's

    def version(self):
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version(self.distribution or self.module.split(",")[0])
        except PackageNotFoundError:
            return "?"

    def prepare(self, workload, inputs):
        raise NotImplementedError


class Adcompiler(Peer):
    name, module = "adcompiler", "adcompiler"

    def prepare(self, w, inputs):
        from adcompiler import grad

        def build(fn):
            g = grad(fn, wrt=w.wrt)
            return lambda: g(*inputs)

        call = build(w.fn)
        return Prepared(lambda: w.fn(*inputs), call, lambda r: _as_tuple(r, w.wrt),
                        lambda: build(fresh_copy(w.fn))())


class Autograd(Peer):
    name, module = "autograd", "autograd"

    def prepare(self, w, inputs):
        import autograd
        import autograd.numpy as anp
        fn = rebind(w.fn, np=anp)
        argnum = w.wrt[0] if len(w.wrt) == 1 else w.wrt

        def build(f):
            g = autograd.grad(f, argnum)
            return lambda: g(*inputs)

        return Prepared(lambda: w.fn(*inputs), build(fn), lambda r: _as_tuple(r, w.wrt),
                        lambda: build(fresh_copy(fn))())


class Tangent(Peer):
    name, module, distribution = "tangent", "tangent", "tangent-ad"

    def prepare(self, w, inputs):
        import tangent

        def build(f):
            g = tangent.grad(f, wrt=w.wrt, verbose=0)
            return lambda: g(*inputs)

        return Prepared(lambda: w.fn(*inputs), build(w.fn), lambda r: _as_tuple(r, w.wrt),
                        lambda: build(fresh_copy(w.fn))())


def _jax():
    import jax
    jax.config.update("jax_enable_x64", True)  # the same float64 inputs as everyone
    return jax


class JaxEager(Peer):
    name, module = "jax", "jax,jaxlib"
    jit = False

    def prepare(self, w, inputs):
        jax = _jax()
        import jax.numpy as jnp
        fn = rebind(w.fn, np=jnp)
        args = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in inputs)
        static = w.static if self.jit else ()

        def build(f):
            g = jax.grad(f, argnums=w.wrt)
            if self.jit:
                g = jax.jit(g, static_argnums=static)
            return lambda: jax.block_until_ready(g(*args))

        primal = jax.jit(fn, static_argnums=static) if self.jit else fn
        return Prepared(lambda: jax.block_until_ready(primal(*args)), build(fn),
                        lambda r: _as_tuple(r, w.wrt), lambda: build(fresh_copy(fn))(),
                        memory_visible=False)


class JaxJit(JaxEager):
    name = "jax-jit"
    jit = True


class Torch(Peer):
    name, module = "torch", "torch"

    def prepare(self, w, inputs):
        import torch
        if w.torch_fn is None:
            raise NotImplementedError("no PyTorch version of this workload")
        args = []
        for i, a in enumerate(inputs):
            if isinstance(a, np.ndarray):
                a = torch.tensor(a, dtype=torch.float64, requires_grad=i in w.wrt)
            elif i in w.wrt:
                a = torch.tensor(float(a), dtype=torch.float64, requires_grad=True)
            args.append(a)
        leaves = [args[i] for i in w.wrt]

        def build(fn):
            def grad():
                return torch.autograd.grad(fn(torch, *args), leaves)
            return grad

        def f():
            with torch.no_grad():
                return w.torch_fn(torch, *args)

        return Prepared(f, build(w.torch_fn),
                        lambda r: tuple(g.detach().numpy() for g in r),
                        lambda: build(fresh_copy(w.torch_fn))(), memory_visible=False)


PEERS = [Adcompiler(), Autograd(), JaxEager(), JaxJit(), Torch(), Tangent()]
BY_NAME = {p.name: p for p in PEERS}
