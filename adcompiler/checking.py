"""check_grad: compare a gradient with central finite differences."""
import numpy as np


class GradCheck:
    """What ``check_grad`` found. ``error`` is the worst relative error:
    |analytic - numeric| / max(1, |analytic|, |numeric|), over every element and
    over a dot-product test in a random direction."""

    def __init__(self, errors):
        self.errors = errors  # name -> worst error
        self.error = max(errors.values()) if errors else 0.0

    def ok(self, tol=1e-5):
        return self.error <= tol

    def __repr__(self):
        parts = ", ".join(f"{k}: {v:.2e}" for k, v in self.errors.items())
        return f"GradCheck(worst relative error {self.error:.2e}; {parts})"


def _float(x):
    a = np.asarray(x)
    return a.astype(np.float64) if not np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


def numeric_grad(f, args, i, eps=1e-6):
    """Central differences of scalar ``f`` with respect to argument ``i``, element by element."""
    x = _float(args[i])
    g = np.zeros_like(x)
    flat = x.reshape(-1)
    out = g.reshape(-1)
    for k in range(flat.size):
        plus, minus = flat.copy(), flat.copy()
        plus[k] += eps
        minus[k] -= eps
        out[k] = (_call(f, args, i, plus.reshape(x.shape))
                  - _call(f, args, i, minus.reshape(x.shape))) / (2 * eps)
    return g


def _call(f, args, i, value):
    args = list(args)
    args[i] = value if np.ndim(args[i]) or isinstance(args[i], np.ndarray) else float(value)
    return float(f(*args))


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    return float(np.max(np.abs(a - b) / scale)) if a.size else 0.0


def check_grad(f, *args, wrt=0, eps=1e-6, seed=0, grad_fn=None):
    """Check the gradient adcompiler generates for ``f`` at ``args``.

    Compares it element by element with central differences, and in a random
    direction v: <grad, v> against (f(x + eps v) - f(x - eps v)) / 2 eps.
    Returns a ``GradCheck``; ``.error`` is the worst relative error.
    """
    from .api import grad, _wrt_indices
    indices, single = _wrt_indices(f, wrt)
    g = (grad_fn or grad(f, wrt=wrt))(*args)
    grads = (g,) if single else g
    rng = np.random.default_rng(seed)
    errors = {}
    for i, gi in zip(indices, grads):
        errors[f"arg {i} elements"] = _rel(gi, numeric_grad(f, args, i, eps))
        x = _float(args[i])
        v = rng.standard_normal(x.shape)
        directional = (_call(f, args, i, x + eps * v) - _call(f, args, i, x - eps * v)) / (2 * eps)
        errors[f"arg {i} direction"] = _rel(np.sum(np.asarray(gi) * v), directional)
    return GradCheck(errors)
