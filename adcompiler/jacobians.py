"""Forward mode and derivatives built from both modes.

- ``jvp(f, wrt)(*args, tangents)``: (f(*args), the directional derivative), one
  forward pass;
- ``grad(f, mode="forward")``: the gradient by one forward pass per input element;
- ``jacfwd`` / ``jacrev``: the Jacobian column by column (forward passes) or row
  by row (reverse passes); ``jacobian`` picks the cheaper;
- ``hessian`` and ``hvp``: forward mode over the reverse-mode gradient.

A Jacobian of f: R^n -> R^m is shaped ``out.shape + x.shape``.
"""
import numpy as np

import runtime
from .api import _Derivative, compile_derivative, grad
from .errors import UnsupportedError
from .ir.containers import flatten, is_container, structure


class JvpFunction(_Derivative):
    """``jvp(f, wrt)(*args, tangents)`` -> (value, directional derivative)."""

    kind = "jvp"

    def __call__(self, *args):
        if not args:
            raise TypeError("jvp takes the function's arguments followed by the tangents")
        *args, tangents = args
        args = self._args(args, {})
        tangents = (tangents,) if self.single else tuple(tangents)
        if len(tangents) != len(self.wrt):
            raise ValueError(f"{len(self.wrt)} tangents needed, one per wrt argument")
        call = self._flat(args)
        leaves = []  # the tangents, flattened like the arguments they go with
        for t, i in zip(tangents, self.wrt):
            st = call.structures[i] if call.structures is not None else None
            if st is None:
                leaves.append(_tangent(t, args[i]))
            elif not is_container(t) or structure(t) != st:
                raise ValueError(f"the tangent of argument {i} must be a container shaped "
                                 "like the argument")
            else:
                leaves.extend(_tangent(tl, xl) for tl, xl in zip(flatten(t), flatten(args[i])))
        try:
            return self._compiled_for(call).function(*call.args, *leaves)
        except ZeroDivisionError:
            # tangent arithmetic on Python floats raises where NumPy's gives inf or
            # nan: the call again, with tangents on NumPy scalars (docs/derivatives.md)
            leaves = [np.float64(t) if type(t) is float else t for t in leaves]
            return self._compiled_for(call, "jvp_numpy").function(*call.args, *leaves)


def _tangent(t, x):
    # x's own float dtype (float32 stays float32); a Python float is float64
    dtype = np.result_type(x)
    t = np.asarray(t, dtype=dtype if np.issubdtype(dtype, np.floating) else np.float64)
    if t.shape != np.shape(x):
        raise ValueError(f"a tangent of shape {t.shape} for an argument of shape {np.shape(x)}")
    if type(x) is float:  # Python floats: forward mode's scalar arithmetic is fastest on them
        return float(t)
    return t if isinstance(x, np.ndarray) else t[()]  # a 0-d array keeps its methods


def jvp(f=None, wrt=0, *, optimize=True):
    """Forward mode: ``jvp(f, wrt)(*args, tangents)`` -> (value, derivative along tangents)."""
    if f is None:
        return lambda g: JvpFunction(g, wrt, optimize)
    return JvpFunction(f, wrt, optimize)


def _one_hots(x):
    x = np.asarray(x, dtype=float)
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = 1.0
        yield k, e.reshape(x.shape)


def forward_grad(f, wrt, *args):
    """The gradient of scalar ``f`` by forward passes, one per input element, each
    along one argument alone: the others carry no tangent, where a zero tangent
    would meet an infinite partial at a singular point (0 * inf, nan) and turn a
    finite partial into nan (f = x + log(y) at y = 0: d/dx is 1). Within one
    array argument the other elements' tangents are zeros, so there the nan
    stays, as in JAX's jacfwd: sum(log(y)) at y = [0, 1] gives [inf, nan]."""
    j = jvp(f, wrt)
    single = not isinstance(wrt, (tuple, list))
    bound = j._args(args, {})
    grads = []
    for i in j.wrt:
        along = j if single else jvp(f, i)
        x = bound[i]
        g = runtime.zeros_grad(np.asarray(x))  # x's float dtype, as in reverse mode
        for k, e in _one_hots(x):
            _, d = along(*bound, e)
            g.reshape(-1)[k] = d
        grads.append(g if np.ndim(x) else float(g))
    return grads[0] if single else tuple(grads)


def jacfwd(f, wrt=0):
    """The Jacobian of ``f`` with respect to one argument, by forward passes."""
    j = jvp(f, wrt)

    def jacobian_fwd(*args):
        bound = j._args(args, {})
        x = bound[j.wrt[0]]
        columns = []
        for _, e in _one_hots(x):
            _, d = j(*bound, e if np.ndim(x) else float(e))
            columns.append(np.asarray(d, dtype=float))
        out_shape = columns[0].shape
        return np.stack(columns, axis=-1).reshape(out_shape + np.shape(x))
    return jacobian_fwd


def jacrev(f, wrt=0):
    """The Jacobian of ``f`` with respect to one argument, by reverse passes."""
    from .api import vjp
    v = vjp(f, wrt)

    def jacobian_rev(*args):
        out = np.asarray(f(*args), dtype=float)
        rows = []
        for _, e in _one_hots(out):
            rows.append(np.asarray(v(*args, e if out.ndim else float(e)), dtype=float))
        x_shape = rows[0].shape
        return np.stack(rows).reshape(out.shape + x_shape)
    return jacobian_rev


def jacobian(f, wrt=0):
    """The Jacobian, by whichever mode needs fewer passes (outputs vs inputs)."""
    def pick(*args):
        n_out = np.size(f(*args))
        n_in = np.size(jvp(f, wrt)._args(args, {})[_position(f, wrt)])
        return (jacrev if n_out <= n_in else jacfwd)(f, wrt)(*args)
    return pick


def _position(f, wrt):
    return jvp(f, wrt).wrt[0]


def _gradient_function(f, wrt, args):
    """The generated code of f's gradient, as a function differentiable again."""
    g = grad(f, wrt)
    call = g._flat(g._args(args, {}))
    return compile_derivative(f, "grad_only", g.wrt, True, call.structures, call.shapes).function


def _second_derivative(f, wrt, args):
    """(d, bound args, position): ``d(*bound, 1.0, v)`` is the Hessian of f times v,
    generated as forward mode over the reverse-mode IR of f's gradient."""
    g = grad(f, wrt)
    if len(g.wrt) != 1:
        raise UnsupportedError("a Hessian with respect to several arguments at once",
                               construct="hessian", hint="take one argument at a time")
    bound = g._args(args, {})
    call = g._flat(bound)
    if call.structures is not None:
        raise UnsupportedError("a Hessian of a function with container arguments",
                               construct="hessian", hint="pass arrays")
    d = compile_derivative(f, "grad_jvp", g.wrt, True, None, call.shapes, tangent_wrt=g.wrt)
    return d.function, bound, g.wrt[0]


def hessian(f, wrt=0):
    """The Hessian of scalar ``f``, shaped ``x.shape + x.shape``: one forward pass over
    the gradient per element of x (forward over reverse)."""
    def hessian_of(*args):
        d, bound, i = _second_derivative(f, wrt, args)
        x = bound[i]
        columns = [np.asarray(d(*bound, 1.0, e if np.ndim(x) else float(e)), dtype=float)
                   for _, e in _one_hots(x)]
        h = np.stack(columns, axis=-1).reshape(np.shape(x) + np.shape(x))
        return h if np.ndim(x) else float(h)
    return hessian_of


def hvp(f, wrt=0):
    """``hvp(f)(*args, v)``: the Hessian of scalar ``f`` times ``v``, in one forward pass
    over the gradient, without forming the Hessian."""
    def hessian_vector(*args):
        *args, v = args
        d, bound, i = _second_derivative(f, wrt, args)
        return d(*bound, 1.0, _tangent(v, bound[i]))
    return hessian_vector
