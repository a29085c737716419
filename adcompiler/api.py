"""The public entry points: grad, value_and_grad, vjp, show.

Each derivative is compiled once per (function, kind, wrt, options), on first
use, and cached; later calls run the cached generated function directly.
"""
import ast
import builtins
import collections
import contextlib
import functools
import gc
import inspect
import itertools
import linecache
import math
import types
import weakref

import numpy as np

import runtime
from runtime.memory import tune_allocator_once
from .codegen.emit import emit
from .errors import UnsupportedError
from .frontend.checks import check_function
from .frontend.normalize import normalize_exits
from .frontend.source import LiveCell, Resolver, parse_function
from .ir.build import build_function
from .ir.containers import flatten, is_container, structure, unflatten
from .ir.nodes import If, walk
from .ir.printer import print_function
from .ir import verify as checks
from .opt import optimize as run_passes
from .opt.dce import eliminate_dead_code
from .transforms.counting import count_operations
from .transforms.forward import Forward
from .transforms.reverse import Reverse

_ssa_cache = weakref.WeakKeyDictionary()       # fn -> its SSA form (never mutated)
_derivative_cache = weakref.WeakKeyDictionary()  # fn -> {options: Compiled}
_counter = itertools.count(1)


def primal_ssa(fn, structures=None):
    """Parse, check and build the SSA form of ``fn`` (a fresh copy each call).

    ``structures`` gives, per parameter, the structure of a container argument
    (``ir.containers.structure``) or None.
    """
    parsed = parse_function(fn)
    check_function(parsed)
    normalize_exits(parsed.node)
    ssa = build_function(parsed, Resolver(fn), structures)
    eliminate_dead_code(ssa)  # e.g. the header phi of a loop variable nobody reads after
    _verify(ssa)
    return ssa


def _verify(ir_fn, names=False):
    """The IR's invariants (``ir.verify``), when its checks are on (in the tests)."""
    if checks.ENABLED:
        checks.verify(ir_fn)
        if names:
            checks.verify_names(ir_fn)


class Compiled:
    """A generated derivative: the Python function, its text and its SSA form."""

    def __init__(self, ir_fn, ssa_text, namespace):
        self.ir = ir_fn
        self.ssa = ssa_text
        self.source, loads = emit(ir_fn)
        filename = f"<adcompiler {ir_fn.name} #{next(_counter)}>"
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True),
                                     filename)
        self.function = _define(self.source, loads, filename, ir_fn.name, namespace)
        self.namespace = namespace

    def callees(self):
        """The generated functions this one calls (vjps of recursive callees)."""
        from .transforms.reverse import LazyDerivative
        return [value.compiled for value in dict.values(self.namespace)
                if isinstance(value, LazyDerivative)]


def _define(source, loads, filename, name, namespace):
    """The function ``name`` that ``source`` defines, with ``namespace`` as its globals.

    The names it reads that ``namespace`` holds itself (np, runtime, vjps of
    callees) or reads live from a closure cell of the user's become closure
    variables of the generated function, the cells the user's function has for
    the latter: a closure variable is read by one index, where a global of a
    dict subclass is a lookup that CPython cannot cache (about 25 ns each, a
    tenth of the cost of a recurrence's Python loop). ``loads`` are the names
    ``source`` reads (``codegen.emit``).
    """
    tree = ast.parse(source, filename)  # for the line and column of every node
    free = sorted(n for n in loads if dict.__contains__(namespace, n) and n != "__builtins__"
                  or n in namespace.cells)
    if not free:
        exec(compile(tree, filename, "exec"), namespace)
        return namespace[name]
    # def _closure(np, runtime, ...): <source>; return <name>  -- the source keeps its lines
    params = [ast.arg(arg=n) for n in free]
    result = ast.Name(id=name, ctx=ast.Load())
    returned = ast.Return(result)
    outer = ast.FunctionDef(
        name="_closure", args=ast.arguments(
            posonlyargs=[], args=params, vararg=None, kwonlyargs=[],
            kw_defaults=[], kwarg=None, defaults=[]),
        body=tree.body + [returned], decorator_list=[], returns=None)
    if "type_params" in ast.FunctionDef._fields:  # Python 3.12 and later
        outer.type_params = []
    # the nodes made here are placed at line 1, as ast.fix_missing_locations would place
    # them, without its walk over every node of the parsed source
    for node in [outer, returned, result] + params:
        node.lineno, node.col_offset, node.end_lineno, node.end_col_offset = 1, 0, 1, 0
    module = ast.Module(body=[outer], type_ignores=[])
    scope = {}
    exec(compile(module, filename, "exec"), namespace, scope)
    made = scope["_closure"](*[None] * len(free))
    cells = tuple(namespace.cells[n] if n in namespace.cells else
                  types.CellType(dict.__getitem__(namespace, n))
                  for n in made.__code__.co_freevars)
    function = types.FunctionType(made.__code__, namespace, made.__name__,
                                  made.__defaults__, cells)
    function.__kwdefaults__ = made.__kwdefaults__
    return function


class _Namespace(dict):
    """The generated code's globals: our imports, then closure variables and the
    user's module globals, both read live (a variable rebound later is seen)."""

    def __init__(self, fn, extra):
        super().__init__(np=np, math=math, runtime=runtime, __builtins__=builtins)
        from .custom import NAMESPACE
        self.update(NAMESPACE)
        self.cells = {}  # closure variables of the user's: read from their cells
        for name, value in extra.items():
            if isinstance(value, LiveCell):
                self.cells[name] = value.cell
            else:
                self[name] = value
        self._user = fn.__globals__

    def __missing__(self, key):
        cell = self.cells.get(key)
        if cell is not None:
            return cell.cell_contents
        try:
            return self._user[key]
        except KeyError:  # a builtin: found here saves CPython raising once more
            return builtins.__dict__[key]


def compile_derivative(fn, kind, wrt, optimize=True, structures=None, shapes=(),
                       counting=False, tangent_wrt=None):
    """The cached ``Compiled`` derivative of ``fn``.

    ``wrt`` are parameter positions; with container arguments (``structures``)
    the generated function takes their leaves, and differentiates with respect
    to every leaf of each ``wrt`` parameter. ``shapes`` are those of the
    (flattened) arguments it is compiled for (``argument_shapes``). Kind ``"primal"`` is ``fn`` itself
    as adcompiler sees it; ``counting`` makes the variant whose operations
    ``runtime.counting`` counts (``transforms.counting``). Kind ``"grad_jvp"`` is
    forward mode (with respect to ``tangent_wrt``) over the reverse-mode IR of
    the gradient: second derivatives and Hessian-vector products.
    """
    if not inspect.isfunction(fn):
        parse_function(fn)  # refuses it, with a message that says why
    per_fn = _derivative_cache.setdefault(fn, {})
    extra = (("counting",) if counting else ()) + \
        ((tangent_wrt,) if tangent_wrt is not None else ())
    key = (kind, wrt, optimize, structures, shapes) + extra
    if key in per_fn:
        return per_fn[key]
    if shapes != _general(shapes):
        # one derivative per argument shape, up to a limit; then one for any shape
        alike = [k for k in per_fn if k[:4] == key[:4] and k[5:] == extra and
                 k[4] != _general(k[4])]
        if len(alike) >= MAX_SPECIALIZATIONS:
            return compile_derivative(fn, kind, wrt, optimize, structures, _general(shapes),
                                      counting, tangent_wrt)
    tune_allocator_once()  # before the first derivative runs (runtime/memory.py)
    with _collection_paused():
        compiled = _compile(fn, kind, wrt, optimize, structures, shapes, counting,
                            tangent_wrt)
    per_fn[key] = compiled
    return compiled


@contextlib.contextmanager
def _collection_paused():
    """Python's cyclic garbage collector off while compiling (as it was, after).

    A compile makes many small objects that live until it ends (gast and ast
    nodes, IR), and the collector, triggered by their count, traverses all
    of them again and again: for a function of 1000 statements that was a
    fifth of the compile, and grew faster than the function. Cycles made
    meanwhile wait for the next collection."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _compile(fn, kind, wrt, optimize, structures, shapes, counting, tangent_wrt):
    """``compile_derivative``'s work, when its cache does not have the derivative."""
    if structures is not None:
        wrt = leaf_positions(structures, wrt)
    work = primal_ssa(fn, structures)
    ssa_text = print_function(work)  # now: the transforms rewrite `work` in place
    if kind == "primal":
        ir_fn = work
    elif kind in ("jvp", "jvp_numpy"):  # jvp_numpy: without Python float tangent arithmetic
        ir_fn = Forward(work, wrt, name=f"jvp_{work.name}", shapes=shapes,
                        python_floats=kind == "jvp").run()  # not differentiated again
    elif kind == "jvp_only":  # the tangent alone, tangents 1.0 unless given: d/dx again
        ir_fn = Forward(work, wrt, name=f"d_{work.name}", return_value=False, shapes=shapes,
                        tangent_default=1.0).run()
    elif kind == "grad_jvp":  # d/dt grad f(x + t v): from the IR of the gradient, not its
        # text, whose branches read values of the forward branch on the same condition
        gradient = Reverse(work, wrt, name=f"grad_{work.name}", shapes=shapes,
                           recompute=optimize).run()
        _verify(gradient)
        # the gradient's parameters: f's, then the seed of f's scalar output
        padded = tuple(shapes) + (None,) * (len(gradient.params) - 1 - len(shapes)) + ((),)
        ir_fn = Forward(gradient, tangent_wrt, name=f"d_grad_{work.name}", return_value=False,
                        shapes=padded, tangent_default=1.0).run()
    elif kind == "grad_only":  # the gradient alone, as code
        ir_fn = Reverse(work, wrt, name=f"grad_{work.name}", shapes=shapes,
                        recompute=optimize).run()
    elif kind == "vjp":
        ir_fn = Reverse(work, wrt, seed_default=None, name=f"vjp_{work.name}",
                        shapes=shapes, recompute=optimize).run()
    else:
        ir_fn = Reverse(work, wrt, return_value=True, name=f"grad_{work.name}",
                        shapes=shapes, recompute=optimize).run()
    _verify(ir_fn)
    if optimize:  # grad and vjp code is not differentiated again (grad_only's is)
        run_passes(ir_fn, final=kind in ("grad", "vjp") and not counting)
        _verify(ir_fn)
    if counting:
        count_operations(ir_fn)
        _verify(ir_fn)
    # the code users run is always checked (a compiler bug raises rather than give a
    # wrong gradient); the stages before it only in the tests
    checks.verify(ir_fn)
    checks.verify_names(ir_fn)
    return Compiled(ir_fn, ssa_text, _Namespace(fn, work.extra_globals))


# one call of a derivative: its flattened arguments and what it is compiled for
_Call = collections.namedtuple("_Call", "args structures shapes")


def argument_shapes(args):
    """The shapes a derivative is compiled for: each argument's, () for a number,
    None for any other object. Known shapes let the compiler drop ``unbroadcast``
    where an operand has the shape of the result, and keep shapes off the tape."""
    return tuple(a.shape if type(a) is np.ndarray else
                 () if isinstance(a, (int, float, np.number)) else None for a in args)


# a function called with more argument shapes than this gets one derivative for them all
MAX_SPECIALIZATIONS = 8


def _general(shapes):
    """``shapes`` with array shapes forgotten: a derivative for any array shape."""
    return tuple(() if s == () else None for s in shapes)


def leaf_positions(structures, wrt):
    """Positions in the flattened parameter list of every leaf of the ``wrt`` params."""
    counts = [len(flatten_structure(st)) for st in structures]
    starts = [sum(counts[:i]) for i in range(len(counts))]
    return tuple(starts[i] + k for i in wrt for k in range(counts[i]))


def flatten_structure(struct):
    if struct is None:
        return [None]
    return [leaf for _, c in (struct[1] if struct[0] == "dict" else
                              [(None, c) for c in struct[1]])
            for leaf in flatten_structure(c)]


def _wrt_indices(fn, wrt):
    try:
        params = list(inspect.signature(fn).parameters)
    except ValueError:  # no signature: a ufunc on Python 3.10, say
        parse_function(fn)  # refuses it, with a message that says why
        raise
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    out = []
    for w in items:
        if isinstance(w, str):
            if w not in params:
                raise ValueError(f"{fn.__name__} has no parameter {w!r}; it has {params}")
            out.append(params.index(w))
        elif isinstance(w, int) and -len(params) <= w < len(params):
            out.append(w % len(params))
        else:
            raise ValueError(f"wrt={w!r} does not name a parameter of {fn.__name__}{params}")
    if len(set(out)) != len(out):
        raise ValueError(f"wrt={wrt!r} names a parameter twice")
    return tuple(out), single


class _Derivative:
    """Base of the callables that grad, value_and_grad and vjp return."""

    kind = "grad"

    def __init__(self, fn, wrt, optimize):
        self.fn = fn
        self.wrt, self.single = _wrt_indices(fn, wrt)
        self.optimize = optimize
        self.signature = inspect.signature(fn)
        # a call passing every parameter by position needs no binding
        plain = all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                    for p in self.signature.parameters.values())
        self._arity = len(self.signature.parameters) if plain else -1
        self._derivatives = {}  # (kind, structures, shapes) -> Compiled: compile_derivative's
        functools.update_wrapper(self, fn)

    # what the last call was compiled for: what .source, .ssa and .compiled show
    _structures = None   # of the container arguments
    _shapes = ()         # of the (flattened) arguments (argument_shapes)

    @property
    def compiled(self):
        return compile_derivative(self.fn, self.kind, self.wrt, self.optimize,
                                  self._structures, self._shapes)

    def _compiled_for(self, call, kind=None):
        """The derivative compiled for ``call`` (``_flat``'s): a call uses its own
        structures and shapes, never the last call's, which another thread may
        have changed meanwhile."""
        key = (kind or self.kind, call.structures, call.shapes)
        compiled = self._derivatives.get(key)
        if compiled is None:
            compiled = compile_derivative(self.fn, key[0], self.wrt, self.optimize,
                                          call.structures, call.shapes)
            if len(self._derivatives) < 4 * MAX_SPECIALIZATIONS:  # bounded: shapes may not be
                self._derivatives[key] = compiled
        return compiled

    def _flat(self, args):
        """The call: container arguments flattened to their leaves, their structures
        and the arguments' shapes (what the derivative is compiled for); remembered
        as the last call's for ``.source``."""
        shapes = []
        for a in args:  # the common case first: float arrays and Python numbers
            t = type(a)
            if t is np.ndarray and a.dtype.kind != "c":
                shapes.append(a.shape)
            elif t is float or t is int:
                shapes.append(())
            else:
                break
        else:
            shapes = tuple(shapes)
            self._structures, self._shapes = None, shapes
            return _Call(args, None, shapes)
        structures = tuple(structure(a) if is_container(a) else None for a in args)
        if any(st is not None for st in structures):
            args = [leaf for a, st in zip(args, structures)
                    for leaf in (flatten(a) if st is not None else [a])]
        else:
            structures = None
        shapes = argument_shapes(args)
        self._structures, self._shapes = structures, shapes
        for a in args:
            if np.iscomplexobj(a):
                raise UnsupportedError(
                    f"{self.fn.__name__} got a complex argument; complex derivatives are "
                    "not supported yet", construct="complex input",
                    hint="pass the real and imaginary parts as separate real arguments")
        return _Call(args, structures, shapes)

    @property
    def source(self):
        """The generated Python text of the derivative."""
        return self.compiled.source

    @property
    def ssa(self):
        """The SSA form of the differentiated function, as text."""
        return self.compiled.ssa

    def _args(self, args, kwargs):
        if not kwargs and len(args) == self._arity:
            return list(args)
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return list(bound.arguments.values())

    def _grads(self, grads, args, structures):
        if structures is None:
            if len(self.wrt) == 1:
                grads = (grads,)
            out = tuple(runtime.grad_like(g, args[i]) for g, i in zip(grads, self.wrt))
            return out[0] if self.single else out
        flat = list(grads) if len(leaf_positions(structures, self.wrt)) > 1 else [grads]
        out = []
        for i in self.wrt:
            st, arg = structures[i], args[i]
            n = len(flatten_structure(st))
            part, flat = flat[:n], flat[n:]
            if st is None:
                out.append(runtime.grad_like(part[0], arg))
            else:
                out.append(unflatten(st, [runtime.grad_like(g, a)
                                          for g, a in zip(part, flatten(arg))]))
        return out[0] if self.single else tuple(out)

    def __repr__(self):
        return f"<{self.kind} of {self.fn.__qualname__} wrt {self.wrt}>"


class _ValueAndGrad(_Derivative):
    def value_and_grad(self, *args, **kwargs):
        args = self._args(args, kwargs)
        call = self._flat(args)
        function = self._compiled_for(call).function
        try:
            value, grads = function(*call.args)
        except ZeroDivisionError:
            # the backward sweep's arithmetic on Python floats (the seed 1.0 and what it
            # meets) raises where NumPy's gives inf or nan: again, seeded with an
            # np.float64 (docs/derivatives.md)
            value, grads = function(*call.args, np.float64(1.0))
        if type(value) is not np.float64 and np.ndim(value) != 0:
            raise ValueError(
                f"grad needs {self.fn.__name__} to return a scalar, but it returned shape "
                f"{np.shape(value)}; use adcompiler.vjp for non-scalar outputs")
        return value, self._grads(grads, args, call.structures)


class GradFunction(_ValueAndGrad):
    """The gradient of a scalar function; see ``grad``."""

    mode = "reverse"

    @property
    def compiled(self):
        """In forward mode, the jvp code of the forward passes (what ``.source`` shows):
        along every ``wrt`` argument; with several, the passes run the jvp of each
        argument alone, the same code with the others' tangents left out."""
        kind = "jvp" if self.mode == "forward" else self.kind
        return compile_derivative(self.fn, kind, self.wrt, self.optimize,
                                  self._structures, self._shapes)

    def __call__(self, *args, **kwargs):
        if self.mode == "forward":
            from .jacobians import forward_grad
            return forward_grad(self.fn, self.wrt if not self.single else self.wrt[0],
                                *self._args(args, kwargs))
        return self.value_and_grad(*args, **kwargs)[1]

    def plain(self, args):
        """The generated gradient code, as a function of the same arguments."""
        call = self._flat(args)
        if call.structures is not None:
            raise UnsupportedError("a derivative of a gradient with container arguments",
                                   construct="higher-order derivative")
        return self._compiled_for(call, "grad_only").function


class HigherGrad:
    """``grad(g)`` of a derivative ``g`` (``grad(grad(f))``) of a scalar argument.

    A second derivative is forward mode over the reverse-mode IR of f's gradient
    (branches and loops included: a loop's tape carries tangents). A third and
    later one is forward mode over the code generated for the one before, read
    back as Python, which works for straight-line code and loops.
    """

    def __init__(self, inner, wrt):
        self.inner, self.fn = inner, inner.fn
        self.wrt, self.single = _wrt_indices(inner.fn, wrt)
        functools.update_wrapper(self, inner.fn)

    def _args(self, args, kwargs):
        return self.inner._args(args, kwargs)

    def _compiled(self, args, wrt):
        """The Compiled derivative along argument ``wrt`` (its tangent defaults to 1.0)."""
        if np.ndim(args[wrt]) != 0:
            raise UnsupportedError("grad of a gradient as a function: the argument "
                                   "differentiated twice must be a scalar here",
                                   construct="higher-order derivative",
                                   hint="use adcompiler.hessian or hvp for arrays")
        inner = self.inner
        if isinstance(inner, GradFunction):
            call = inner._flat(args)
            if call.structures is not None or len(inner.wrt) != 1:
                raise UnsupportedError(
                    "a derivative of a gradient with container arguments or several wrt",
                    construct="higher-order derivative",
                    hint="differentiate with respect to one argument at a time")
            return compile_derivative(self.fn, "grad_jvp", inner.wrt, inner.optimize, None,
                                      call.shapes, tangent_wrt=(wrt,))
        if len(inner.wrt) != 1:
            raise UnsupportedError("a derivative of a derivative taken with respect to "
                                   "several arguments", construct="higher-order derivative",
                                   hint="differentiate with respect to one argument at a time")
        before = inner._compiled(args, inner.wrt[0])
        if any(isinstance(s, If) and s.mirror is not None for s in walk(before.ir.body)):
            raise UnsupportedError(
                "a third or later derivative of a function with branches: the code of its "
                "second derivative reads values that an earlier branch on the same condition "
                "defined, which adcompiler cannot read back yet",
                construct="higher-order derivative",
                hint="second derivatives (grad(grad(f)), hessian, hvp) work with branches")
        return compile_derivative(before.function, "jvp_only", (wrt,))

    def plain(self, args):
        """The generated code of this derivative, as a function of the same arguments."""
        args = self._args(args, {})
        return self._compiled(args, self.wrt[0]).function

    def __call__(self, *args):
        args = self._args(args, {})
        out = tuple(self._compiled(args, j).function(*args) for j in self.wrt)
        return out[0] if self.single else out

    @property
    def source(self):
        raise AttributeError("call it first: the code depends on the arguments")


class ValueAndGradFunction(_ValueAndGrad):
    """``(f(*args), gradient)``; see ``value_and_grad``."""

    def __call__(self, *args, **kwargs):
        return self.value_and_grad(*args, **kwargs)


class VjpFunction(_Derivative):
    """``vjp(f)(*args, seed)``: the seed-weighted gradient of a non-scalar output."""

    kind = "vjp"

    def __call__(self, *args):
        if not args:
            raise TypeError("vjp takes the function's arguments followed by the seed")
        *args, seed = args
        args = self._args(args, {})
        call = self._flat(args)
        compiled = self._compiled_for(call)
        expected = getattr(compiled.ir, "seed_shape", None)
        if expected is not None and np.shape(seed) != expected:
            raise ValueError(f"the seed of vjp({self.fn.__name__}) is the cotangent of its "
                             f"output, of shape {expected}; got shape {np.shape(seed)}")
        return self._grads(compiled.function(*call.args, seed), args, call.structures)


def _decorator(cls, f, wrt, optimize):
    if f is None:
        return lambda g: cls(g, wrt, optimize)
    if not callable(f):
        raise TypeError(f"expected a function, got {f!r}; write grad(f, wrt=...) or "
                        "@grad(wrt=...)")
    return cls(f, wrt, optimize)


def grad(f=None, wrt=0, *, optimize=True, mode="reverse"):
    """The gradient of the scalar function ``f`` with respect to ``wrt``.

    ``wrt`` is a parameter's position or name, or a tuple of them; the result
    is one gradient (or a tuple), each shaped like its argument with a float
    dtype. Usable as ``grad(f)``, ``@grad`` and ``@grad(wrt=(0, 2))``. The
    returned callable has ``.source`` (the generated code) and ``.ssa``.
    ``mode="forward"`` computes it by one forward pass per input element.
    ``grad(grad(f))`` differentiates the generated gradient code again.
    """
    if mode not in ("reverse", "forward"):
        raise ValueError(f"mode must be 'reverse' or 'forward', not {mode!r}")
    if isinstance(f, (GradFunction, HigherGrad)):
        return HigherGrad(f, wrt)
    made = _decorator(GradFunction, f, wrt, optimize)
    if mode == "forward":
        if f is None:
            return lambda g: _forward(made(g))
        made.mode = "forward"
    return made


def _forward(g):
    g.mode = "forward"
    return g


def value_and_grad(f=None, wrt=0, *, optimize=True):
    """Like ``grad``, returning ``(f(*args), gradient)`` from one sweep."""
    return _decorator(ValueAndGradFunction, f, wrt, optimize)


def vjp(f=None, wrt=0, *, optimize=True):
    """Vector-Jacobian product: ``vjp(f)(*args, seed)`` for any output shape."""
    return _decorator(VjpFunction, f, wrt, optimize)


def show(f, wrt=0, file=None):
    """Print the SSA form of ``f`` and the code of its gradient."""
    g = f if isinstance(f, _Derivative) else grad(f, wrt)
    print("# SSA form\n" + g.ssa + "\n\n# Generated gradient\n" + g.source, file=file)
    seen, todo = {id(g.compiled)}, g.compiled.callees()
    while todo:
        callee = todo.pop(0)
        if id(callee) in seen:
            continue
        seen.add(id(callee))
        print("# Generated derivative of a callee it calls\n" + callee.source, file=file)
        todo.extend(callee.callees())


__all__ = ["grad", "value_and_grad", "vjp", "show", "UnsupportedError"]
