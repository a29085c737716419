"""The NumPy rule cases, as data: one row per function or method and way of calling it.

A row is a ``Case``: its name (the function or method it is about, ``np.sum`` or
``.sum``), the function to differentiate (a lambda on one line, or a def), the
shapes to try (one tuple of argument shapes per variant: scalars, vectors,
matrices, broadcasting pairs) and the valid input range of each argument (a
``Domain``, which draws values from a ``numpy.random.Generator``). Shape ``()``
draws a Python float. ``wrt`` lists the arguments to differentiate (default:
all of them).

Both modes run this table: tests/test_numpy_rules.py checks reverse mode
(vjp) and forward mode (jvp) against central finite differences, and second
derivatives where ``hessian`` is set. Domains keep every argument away from
the function's kinks and jumps by more than a finite-difference step.
"""
from dataclasses import dataclass, field

import numpy as np

import runtime

_NUMPY = tuple(int(p) for p in np.__version__.split(".")[:2])


# ---- valid input ranges ------------------------------------------------------------------

class Domain:
    """Values drawn uniformly from [lo, hi]; ``away``: |value| >= away, either sign."""

    def __init__(self, lo=-2.0, hi=2.0, away=0.0, name=None):
        self.lo, self.hi, self.away = lo, hi, away
        self.name = name or (f"|x| in [{away}, {hi}]" if away else f"[{lo}, {hi}]")

    def values(self, rng, shape):
        if self.away:
            return rng.uniform(self.away, self.hi, shape) * rng.choice([-1.0, 1.0], shape)
        return rng.uniform(self.lo, self.hi, shape)

    def draw(self, rng, shape):
        v = self.values(rng, shape)
        return float(v) if shape == () else np.asarray(v, dtype=np.float64)

    def __repr__(self):
        return self.name


class Spaced(Domain):
    """Distinct values at least ``gap`` apart (no ties for max, sort, ...), either
    sign when ``signs``; odd or even multiples of ``gap`` when ``parity`` is set, so
    two arguments drawn with different parities never meet (maximum, clip)."""

    def __init__(self, lo=-2.0, hi=2.0, gap=0.1, parity=None, signs=False):
        super().__init__(lo, hi, name=f"spaced in [{lo}, {hi}]")
        self.gap, self.parity, self.signs = gap, parity, signs

    def values(self, rng, shape):
        ks = np.arange(int(np.ceil(self.lo / self.gap - 1e-9)),
                       int(np.floor(self.hi / self.gap + 1e-9)) + 1)
        if self.parity is not None:
            ks = ks[ks % 2 == self.parity]
        grid = ks * self.gap
        n = int(np.prod(shape))
        assert n <= len(grid), "the domain is too narrow for this many distinct values"
        v = rng.permutation(grid)[:n].reshape(shape)
        return v * rng.choice([-1.0, 1.0], shape) if self.signs else v


class Matrix(Domain):
    """Square matrices (the last two axes): well conditioned, or symmetric positive
    definite (``spd``)."""

    def __init__(self, spd=False):
        super().__init__(name="SPD matrices" if spd else "well-conditioned matrices")
        self.spd = spd

    def values(self, rng, shape):
        n = shape[-1]
        m = rng.normal(size=shape) * 0.5
        if self.spd:
            return np.matmul(m, np.swapaxes(m, -1, -2)) + np.eye(n)
        return m + 2.0 * np.eye(n)


REALS = Domain()
POSITIVE = Domain(0.2, 3.0)
AWAY = Domain(away=0.2, hi=2.0)
UNIT = Domain(-0.9, 0.9)
SPACED = Spaced()
ODD = Spaced(-1.5, 1.5, parity=1)
EVEN = Spaced(-1.5, 1.5, parity=0)


class OffIntegers(Domain):
    """Values k + [0.1, 0.9] for integers k: away from the jumps of floor and round's
    halves never hit exactly."""

    def __init__(self):
        super().__init__(name="k + [0.1, 0.4] or k + [0.6, 0.9]")

    def values(self, rng, shape):
        frac = rng.uniform(0.1, 0.4, shape) + rng.choice([0.0, 0.5], shape)
        return rng.integers(-3, 3, shape) + frac


STEPS = OffIntegers()


# ---- the table ------------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    f: object
    shapes: list
    domain: object = REALS       # one Domain, or one per argument
    wrt: tuple = None            # the arguments differentiated; None: all
    hessian: bool = False        # also check second derivatives (forward over reverse)
    reverse: bool = True         # False: forward mode only (adjoint helpers have no vjp)
    id: str = field(default="", compare=False)

    @property
    def arity(self):
        return self.f.__code__.co_argcount

    def domains(self):
        d = self.domain
        return list(d) if isinstance(d, (tuple, list)) else [d] * self.arity

    def args(self, shapes, rng):
        return tuple(dom.draw(rng, s) for dom, s in zip(self.domains(), shapes))

    def positions(self):
        return tuple(range(self.arity)) if self.wrt is None else tuple(self.wrt)


S1 = [((),), ((3,),), ((2, 3),)]                                 # one argument
S2 = [((), ()), ((3,), (3,)), ((2, 1), (3,)), ((2, 3), ())]       # two, broadcasting
V, M, T3 = [((3,),)], [((2, 3),)], [((2, 3, 2),)]
VM = [((3,),), ((2, 3),)]


def _unary(op):
    # `op` is read from the closure: adcompiler resolves it to the NumPy function
    def unary(x):
        return op(x)
    return unary


def _binary(op):
    def binary(a, b):
        return op(a, b)
    return binary


UNARY = {
    "sin": REALS, "cos": REALS, "tan": Domain(-1.2, 1.2), "arcsin": UNIT, "arccos": UNIT,
    "arctan": REALS, "sinh": REALS, "cosh": REALS, "tanh": REALS, "arcsinh": REALS,
    "arccosh": Domain(1.2, 3.0), "arctanh": UNIT, "exp": REALS, "exp2": REALS, "expm1": REALS,
    "log": POSITIVE, "log2": POSITIVE, "log10": POSITIVE, "log1p": Domain(-0.8, 3.0),
    "sqrt": POSITIVE, "cbrt": AWAY, "square": REALS, "reciprocal": AWAY, "abs": AWAY,
    "absolute": AWAY, "fabs": AWAY, "negative": REALS, "positive": REALS, "deg2rad": REALS,
    "radians": REALS, "rad2deg": REALS, "degrees": REALS, "sinc": REALS,
}
BINARY = {
    "add": (REALS, REALS), "subtract": (REALS, REALS), "multiply": (REALS, REALS),
    "divide": (REALS, AWAY), "true_divide": (REALS, AWAY), "power": (POSITIVE, REALS),
    "float_power": (POSITIVE, REALS), "mod": (Domain(2.2, 2.8), Domain(1.0, 1.05)),
    "fmod": (Domain(2.2, 2.8), Domain(1.0, 1.05)), "maximum": (ODD, EVEN),
    "minimum": (ODD, EVEN), "fmax": (ODD, EVEN), "fmin": (ODD, EVEN), "arctan2": (AWAY, REALS),
    "hypot": (AWAY, REALS), "logaddexp": (REALS, REALS), "logaddexp2": (REALS, REALS),
    "copysign": (AWAY, AWAY),
}

CASES = (
    [Case(f"np.{n}", _unary(getattr(np, n)), S1, d, hessian=True) for n, d in UNARY.items()] +
    [Case(f"np.{n}", _binary(getattr(np, n)), S2, d, wrt=(0,) if n == "copysign" else None,
          hessian=n in ("multiply", "divide", "power", "hypot", "arctan2", "logaddexp"))
     for n, d in BINARY.items()] +
    [
    # -- elementwise, other ------------------------------------------------------------------
    Case("np.clip", lambda a, lo, hi: np.clip(a, lo, hi), [((3,), (), ()), ((2, 3), (3,), ()), ((), (), ())],
         (ODD, Spaced(-1.0, -0.2, parity=0), Spaced(0.2, 1.0, parity=0))),
    Case("np.clip", lambda x: np.clip(x, None, 0.5), [((2, 3),)], ODD),
    Case("np.clip", lambda x: np.clip(x, -0.5, None), [((2, 3),)], ODD),
    Case(".clip", lambda x: x.clip(-0.5, 0.5), [((2, 3),)], ODD),
    Case("np.where", lambda x, y: np.where(x > 0, x * y, y ** 2), S2, (AWAY, REALS)),
    # -- reductions -----------------------------------------------------------------------------
    Case("np.sum", lambda x: np.sum(x), S1),
    Case("np.sum", lambda x: np.sum(x, axis=0), VM),
    Case("np.sum", lambda x: np.sum(x, axis=-1, keepdims=True), M + T3),
    Case("np.sum", lambda x: np.sum(x, axis=(0, 2)), T3),
    Case(".sum", lambda x: x.sum(1), M),
    Case("np.mean", lambda x: np.mean(x, axis=1, keepdims=True), M),
    Case(".mean", lambda x: x.mean(), VM),
    Case("np.prod", lambda x: np.prod(x), S1, hessian=False),
    Case("np.prod", lambda x: np.prod(x, axis=1), M + T3),
    Case("np.prod", lambda x: np.prod(x, axis=(0, 2), keepdims=True), T3),
    Case(".prod", lambda x: x.prod(0), M),
    Case("np.max", lambda x: np.max(x), S1, SPACED, hessian=True),
    Case("np.max", lambda x: np.max(x, axis=0, keepdims=True), M, SPACED),
    Case("np.min", lambda x: np.min(x, axis=-1), M + T3, SPACED),
    Case("np.amax", lambda x: np.amax(x, axis=1), M, SPACED),
    Case("np.amin", lambda x: np.amin(x), VM, SPACED),
    Case(".max", lambda x: x.max(axis=1), M, SPACED),
    Case(".min", lambda x: x.min(), VM, SPACED),
    Case("np.ptp", lambda x: np.ptp(x, axis=0), M, SPACED),
    Case("np.var", lambda x: np.var(x), VM, hessian=True),
    Case("np.var", lambda x: np.var(x, axis=1, ddof=1, keepdims=True), M),
    Case(".var", lambda x: x.var(0), M),
    Case("np.std", lambda x: np.std(x), VM, hessian=True),
    Case("np.std", lambda x: np.std(x, axis=0, ddof=1), M + T3),
    Case(".std", lambda x: x.std(axis=1), M),
    Case("np.cumsum", lambda x: np.cumsum(x), S1, hessian=True),
    Case("np.cumsum", lambda x: np.cumsum(x, axis=1), M + T3),
    Case(".cumsum", lambda x: x.cumsum(0), M),
    Case("np.cumprod", lambda x: np.cumprod(x), VM),
    Case("np.cumprod", lambda x: np.cumprod(x, axis=0), M + T3),
    Case(".cumprod", lambda x: x.cumprod(1), M),
    Case("np.trace", lambda x: np.trace(x), [((3, 3),), ((2, 3),)], hessian=True),
    Case("np.trace", lambda x: np.trace(x, offset=1, axis1=1, axis2=2), [((2, 3, 4),)]),
    Case(".trace", lambda x: x.trace(-1), [((3, 3),)]),
    Case("np.diff", lambda x: np.diff(x), VM, hessian=True),
    Case("np.diff", lambda x: np.diff(x, n=2, axis=0), [((4, 3),)]),
    Case("np.sort", lambda x: np.sort(x), VM, SPACED, hessian=True),
    Case("np.sort", lambda x: np.sort(x, axis=0), M, SPACED),
    Case("np.sort", lambda x: np.sort(x, axis=None), M, SPACED),
    Case("np.linalg.norm", lambda x: np.linalg.norm(x), VM + T3, AWAY, hessian=True),
    Case("np.linalg.norm", lambda x: np.linalg.norm(x, axis=1, keepdims=True), M, AWAY),
    Case("np.linalg.norm", lambda x: np.linalg.norm(x, 'fro'), M, AWAY),
    Case("np.linalg.norm", lambda x: np.linalg.norm(x, 1), V, AWAY),
    Case("np.linalg.norm", lambda x: np.linalg.norm(x, np.inf, axis=-1), VM, Spaced(0.3, 2.0, signs=True)),
    Case("np.linalg.norm", lambda x: np.linalg.norm(x, -np.inf), V, Spaced(0.3, 2.0, signs=True)),
    Case("np.linalg.norm", lambda x: np.linalg.norm(x, 3), V, AWAY),
    Case("np.linalg.norm", lambda x: np.linalg.norm(x, 2), M),
    Case("np.linalg.norm", lambda x: np.linalg.norm(x, 'nuc'), M),
    # sums of distinct multiples of 0.1 can tie (a kink): continuous values, away from 0
    Case("np.linalg.norm", lambda x: np.linalg.norm(x, 1, axis=(1, 2)), T3, AWAY),
    Case("np.linalg.norm", lambda x: np.linalg.norm(x, np.inf), M, AWAY),
    # -- products ---------------------------------------------------------------------------------
    Case("np.inner", lambda a, b: np.inner(a, b), [((3,), (3,)), ((2, 3), (4, 3)), ((), (3,))], hessian=True),
    Case("np.outer", lambda a, b: np.outer(a, b), [((3,), (2,)), ((2, 2), (3,)), ((), (2,))]),
    Case("np.vdot", lambda a, b: np.vdot(a, b), [((3,), (3,)), ((2, 3), (3, 2))]),
    Case("np.tensordot", lambda a, b: np.tensordot(a, b), [((2, 3), (2, 3)), ((2, 2, 3), (2, 3, 2))], hessian=True),
    Case("np.tensordot", lambda a, b: np.tensordot(a, b, axes=1), [((2, 3), (3, 2)), ((3,), (3,))]),
    Case("np.tensordot", lambda a, b: np.tensordot(a, b, axes=([1, 0], [2, 0])), [((3, 2), (3, 4, 2))]),
    # 2-vectors: deprecated by NumPy 2.0, refused by NumPy 2.5 (where f itself raises)
    Case("np.cross", lambda a, b: np.cross(a, b), [((3,), (3,)), ((2, 3), (3,))] + (
        [((2,), (2,))] if _NUMPY < (2, 5) else []), hessian=True),
    Case("np.einsum", lambda a, b: np.einsum('ij,jk->ik', a, b), [((2, 3), (3, 4))], hessian=True),
    Case("np.einsum", lambda a, b: np.einsum('i,i->', a, b), [((3,), (3,))]),
    Case("np.einsum", lambda a, b: np.einsum('ij,j', a, b), [((2, 3), (3,))]),
    Case("np.einsum", lambda a, b: np.einsum('bij,bjk->bik', a, b), [((2, 2, 3), (2, 3, 2))]),
    Case("np.einsum", lambda a: np.einsum('ijk->kj', a), T3),
    Case("np.einsum", lambda a, b: np.einsum('ij,kl->ijkl', a, b), [((2, 2), (2, 3))]),
    Case("np.einsum", lambda a, b: np.einsum('ij,ij->i', a, b), [((2, 3), (2, 3)), ((2, 1), (2, 3))]),
    Case("np.einsum", lambda a, b, c: np.einsum('i,ij,j->', a, b, c), [((2,), (2, 3), (3,))]),
    Case("np.dot", lambda a, b: np.dot(a, b), [((2, 3), (3,)), ((), (3,)), ((3,), (3, 2)), ((2, 3), (3, 2)),
                                               ((2, 2, 3), (3,)), ((2, 3), (4, 3, 2)), ((2, 1, 3), (2, 3, 2))]),
    Case(".dot", lambda a, b: a.dot(b), [((2, 3), (3, 2))]),
    Case("np.matmul", lambda a, b: np.matmul(a, b), [((2, 3), (3, 4)), ((2, 2, 3), (3,))]),
    # -- linear algebra --------------------------------------------------------------------------
    Case("np.linalg.inv", lambda a: np.linalg.inv(a), [((3, 3),), ((2, 2, 2),)], Matrix(), hessian=True),
    Case("np.linalg.solve", lambda a, b: np.linalg.solve(a, b), [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (3, 1))],
         (Matrix(), REALS), hessian=True),
    Case("np.linalg.det", lambda a: np.linalg.det(a), [((3, 3),), ((2, 2, 2),), ((1, 1),)], Matrix()),
    Case("np.linalg.slogdet", lambda a: np.linalg.slogdet(a)[1], [((3, 3),)], Matrix(), hessian=True),
    Case("np.linalg.slogdet", lambda a: np.linalg.slogdet(a)[0] * np.linalg.slogdet(a)[1], [((3, 3),)], Matrix()),
    Case("np.linalg.cholesky", lambda a: np.linalg.cholesky(a), [((3, 3),), ((2, 2, 2),), ((1, 1),)], Matrix(spd=True)),
    # -- shapes -------------------------------------------------------------------------------------
    Case("np.reshape", lambda x: np.reshape(x, (3, 2)), M),
    Case(".reshape", lambda x: x.reshape(3, -1), M),
    Case("np.transpose", lambda x: np.transpose(x, (1, 2, 0)), T3),
    Case(".transpose", lambda x: x.transpose(), M),
    Case(".T", lambda x: x.T, M),
    Case("np.swapaxes", lambda x: np.swapaxes(x, 0, 2), T3),
    Case(".swapaxes", lambda x: x.swapaxes(0, 1), M),
    Case("np.moveaxis", lambda x: np.moveaxis(x, 0, -1), T3),
    Case("np.squeeze", lambda x: np.squeeze(x), [((2, 1, 3),), ((1,),)]),
    Case("np.squeeze", lambda x: np.squeeze(x, axis=1), [((2, 1, 3),)]),
    Case(".squeeze", lambda x: x.squeeze(0), [((1, 3),)]),
    Case("np.expand_dims", lambda x: np.expand_dims(x, 1), VM),
    Case("np.expand_dims", lambda x: np.expand_dims(x, (0, 2)), VM),
    Case("np.ravel", lambda x: np.ravel(x), M + T3),
    Case(".ravel", lambda x: x.ravel(), M),
    Case(".flatten", lambda x: x.flatten(), M),
    Case("np.atleast_1d", lambda x: np.atleast_1d(x), S1),
    Case("np.atleast_2d", lambda x: np.atleast_2d(x), S1),
    Case("np.atleast_3d", lambda x: np.atleast_3d(x), S1),
    Case("np.broadcast_to", lambda x: np.broadcast_to(x, (2, 3)), [((),), ((3,),), ((2, 1),)]),
    Case("np.flip", lambda x: np.flip(x), VM),
    Case("np.flip", lambda x: np.flip(x, axis=1), M),
    Case("np.fliplr", lambda x: np.fliplr(x), M),
    Case("np.flipud", lambda x: np.flipud(x), VM),
    Case("np.rot90", lambda x: np.rot90(x), M),
    Case("np.rot90", lambda x: np.rot90(x, 3, axes=(1, 2)), T3),
    Case("np.roll", lambda x: np.roll(x, 2), VM),
    Case("np.roll", lambda x: np.roll(x, (1, -1), axis=(0, 1)), M),
    Case("np.tile", lambda x: np.tile(x, 2), S1),
    Case("np.tile", lambda x: np.tile(x, (2, 1, 2)), VM),
    Case("np.repeat", lambda x: np.repeat(x, 2), S1),
    Case("np.repeat", lambda x: np.repeat(x, [1, 0, 2], axis=1), M),
    Case(".repeat", lambda x: x.repeat(3, axis=0), M),
    Case("np.take", lambda x: np.take(x, [0, 2, 2]), VM),
    Case("np.take", lambda x: np.take(x, [[0, 1], [1, 1]], axis=1), M),
    Case(".take", lambda x: x.take(2, axis=-1), M),
    Case("np.diagonal", lambda x: np.diagonal(x), [((3, 3),), ((2, 3),)]),
    Case("np.diagonal", lambda x: np.diagonal(x, -1, 0, 2), T3),
    Case(".diagonal", lambda x: x.diagonal(1), [((3, 3),)]),
    Case("np.diag", lambda x: np.diag(x), [((3,),), ((2, 3),)]),
    Case("np.diag", lambda x: np.diag(x, -1), [((3,),), ((3, 3),)]),
    Case("np.tril", lambda x: np.tril(x), [((3, 3),), ((2, 3),), ((3,),)]),
    Case("np.triu", lambda x: np.triu(x, 1), [((3, 3),), ((2, 2, 3),)]),
    Case("np.pad", lambda x: np.pad(x, 1), VM),
    Case("np.pad", lambda x: np.pad(x, ((1, 0), (0, 2))), M),
    Case("np.split", lambda x: np.split(x, 2)[1], [((4,),), ((4, 3),)]),
    Case("np.split", lambda x: np.split(x, 3, axis=1)[0] * np.split(x, 3, axis=1)[2], M),
    # -- sequences of arrays ----------------------------------------------------------------
    Case("np.stack", lambda a, b: np.stack([a, b]), [((), ()), ((3,), (3,)), ((2, 3), (2, 3))], hessian=True),
    Case("np.stack", lambda a, b: np.stack((a, 2 * b, a), axis=-1), [((3,), (3,)), ((2, 3), (2, 3))]),
    Case("np.stack", lambda x: np.stack(x, axis=1), M),
    Case("np.concatenate", lambda a, b: np.concatenate([a, b]), [((2,), (3,)), ((1, 3), (2, 3))], hessian=True),
    Case("np.concatenate", lambda a, b: np.concatenate([b, a, b], axis=1), [((2, 1), (2, 3))]),
    Case("np.concatenate", lambda a, b: np.concatenate([a, b], axis=None), [((2, 2), (3,))]),
    Case("np.hstack", lambda a, b: np.hstack([a, b]), [((), (3,)), ((2,), (3,)), ((2, 1), (2, 3))]),
    Case("np.vstack", lambda a, b: np.vstack((a, b)), [((3,), (3,)), ((1, 3), (2, 3)), ((), ())]),
    Case("np.column_stack", lambda a, b: np.column_stack([a, b]), [((3,), (3,)), ((3,), (3, 2))]),
    Case("np.array", lambda a, b: np.array([a, b, a * b]), [((), ()), ((3,), (3,))], hessian=True),
    Case("np.array", lambda a, b: np.array([[a, b], [b, 1.0]]), [((), ())]),
    Case("np.array", lambda x: np.array(x, dtype=float) * x, VM),
    Case("np.asarray", lambda x: np.asarray(x) * 2.0, VM),
    # -- constructors ----------------------------------------------------------------------------
    Case("np.full", lambda v: np.full((2, 3), v), [((),), ((3,),)]),
    Case("np.full_like", lambda x, v: np.full_like(x, v) * x, [((2, 3), ()), ((2, 3), (3,))]),
    Case("np.linspace", lambda a, b: np.linspace(a, b, 5), [((), ()), ((3,), ()), ((2, 1), (3,))]),
    Case("np.linspace", lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=-1), [((), ()), ((3,), (3,))]),
    Case("np.arange", lambda a, s: np.arange(a, 3.5, s) ** 2, [((), ())], (Domain(0.1, 0.3), Domain(1.0, 1.05))),
    # -- methods ---------------------------------------------------------------------------------
    Case(".copy", lambda x: x.copy() * x, VM),
    Case(".astype", lambda x: x.astype(float) ** 2, VM),
    Case(".item", lambda x: x.item() * x, [((1,),), ((1, 1),)]),
    # -- zero derivatives inside differentiable expressions ------------------------------------
    Case("np.floor", lambda x: np.floor(x) * x + np.ceil(x) + np.round(x) + np.trunc(x) + np.rint(x), S1, STEPS),
    Case("np.fix", lambda x: np.fix(x) * x + np.around(x) * np.sign(x), S1, STEPS),
    Case("np.zeros_like", lambda x: np.zeros_like(x) + np.ones_like(x) * x + np.sum(np.eye(3)) * x, S1),
    Case("np.heaviside", lambda x: np.heaviside(x, 0.5) * x + np.signbit(x) * x, S1, AWAY),
    Case("np.less", lambda x, y: np.where(np.logical_and(np.less(x, y), np.greater(y, 0.05)), x, y), S2, (ODD, EVEN)),
    # -- the runtime helpers generated code calls (their rules serve second derivatives) --------
    Case("runtime.unbroadcast", lambda t, x: runtime.unbroadcast(t, x), [((2, 3), (3,)), ((2, 3), (2, 1))], wrt=(0,)),
    Case("runtime.full", lambda t: runtime.full(t, (2, 3)) * 1.0, [((), ), ((3,),), ((2, 1),), ((2, 3),)]),
    Case("runtime.sum_to", lambda t: runtime.sum_to(t, (2, 1)), [((2, 3),), ((4, 2, 3),)]),
    Case("runtime.unreduce", lambda t, x: runtime.unreduce(t, x, 1, False), [((2,), (2, 3))], wrt=(0,)),
    Case("runtime.unreduce_mean", lambda t, x: runtime.unreduce_mean(t, x, 0, True), [((1, 3), (2, 3))], wrt=(0,)),
    Case("runtime.log0", lambda x: runtime.log0(x), [((3,),)], POSITIVE),
    Case("runtime.check_seed", lambda s, v: runtime.check_seed(s, v) * 2.0, [((3,), (3,)), ((), ())],
         wrt=(0,)),
    Case("runtime.cos", lambda x: runtime.cos(x) * runtime.sin(x), S1, hessian=True),
    Case("runtime.cosh", lambda x: np.sqrt(x) * runtime.cosh(x) + runtime.sinh(x), S1, POSITIVE,
         hessian=True),
    Case("runtime.matmul_grad_left", lambda g, a, b: runtime.matmul_grad_left(g, a, b), [((2, 4), (2, 3), (3, 4))], wrt=(0, 2), reverse=False),
    Case("runtime.matmul_grad_right", lambda g, a, b: runtime.matmul_grad_right(g, a, b), [((2, 4), (2, 3), (3, 4))], wrt=(0, 1), reverse=False),
    Case("runtime.dot_grad_left", lambda g, a, b: runtime.dot_grad_left(g, a, b), [((2,), (2, 3), (3,))], wrt=(0, 2), reverse=False),
    Case("runtime.dot_grad_right", lambda g, a, b: runtime.dot_grad_right(g, a, b), [((2,), (2, 3), (3,))], wrt=(0, 1), reverse=False),
    Case("runtime.split", lambda x: runtime.split(x, 2, 1), [((2, 4),)]),
    Case("runtime.unsplit", lambda t, x: runtime.unsplit(t, x, 1), [((2, 2, 3), (2, 6))], wrt=(0,)),
    Case("runtime.uncumsum", lambda t, x: runtime.uncumsum(t, x, 1), [((2, 3), (2, 3))], wrt=(0,)),
    Case("runtime.untrace", lambda t, x: runtime.untrace(t, x, 0, 0, 1), [((), (3, 3)), ((2,), (3, 3, 2))], wrt=(0,)),
    Case("runtime.undiagonal", lambda t, x: runtime.undiagonal(t, x, 1, 0, 1), [((2,), (3, 3))], wrt=(0,)),
    Case("runtime.undiag", lambda t, x: runtime.undiag(t, x, 0), [((3, 3), (3,)), ((2,), (2, 3))], wrt=(0,)),
    Case("runtime.undiff", lambda t, x: runtime.undiff(t, x, 1, -1), [((2, 2), (2, 3))], wrt=(0,)),
    Case("runtime.untile", lambda t, x: runtime.untile(t, x, 2), [((6,), (3,))], wrt=(0,)),
    Case("runtime.unrepeat", lambda t, x: runtime.unrepeat(t, x, 2, 0), [((4, 3), (2, 3))], wrt=(0,)),
    Case("runtime.untake", lambda t, x: runtime.untake(t, x, [0, 0, 2], None), [((3,), (2, 2))], wrt=(0,)),
    Case("runtime.unpad", lambda t, x: runtime.unpad(t, x, 1), [((4, 5), (2, 3))], wrt=(0,)),
    Case("runtime.unsort", lambda t, x: runtime.unsort(t, x, -1), [((2, 3), (2, 3))], (REALS, SPACED), wrt=(0,)),
    Case("runtime.sort_tangent", lambda t, x: runtime.sort_tangent(t, x, 0), [((2, 3), (2, 3))], (REALS, SPACED), wrt=(0,)),
    Case("runtime.last_written", lambda t: runtime.last_written(t, ([0, 2, 0], [1, 0, 1])) * np.sum(runtime.last_written(t, np.s_[1:])), [((3, 2),)]),
    Case("runtime.to_columns", lambda t, b: runtime.to_columns(t, b) * 2.0, [((3,), (3,)), ((3, 2), (3, 2))], wrt=(0,)),
    Case("runtime.from_columns", lambda t, b: runtime.from_columns(t, b) * 2.0, [((3, 1), (3,)), ((3, 2), (3, 2))], wrt=(0,)),
    Case("runtime.inner_grad_left", lambda g, a, b: runtime.inner_grad_left(g, a, b), [((2, 4), (2, 3), (4, 3))], wrt=(0, 2), reverse=False),
    Case("runtime.inner_grad_right", lambda g, a, b: runtime.inner_grad_right(g, a, b), [((2, 4), (2, 3), (4, 3))], wrt=(0, 1), reverse=False),
    Case("runtime.cross_grad_left", lambda g, a, b: runtime.cross_grad_left(g, a, b), [((3,), (3,), (3,)), ((), (2,), (2,))], wrt=(0, 2), reverse=False),
    Case("runtime.cross_grad_right", lambda g, a, b: runtime.cross_grad_right(g, a, b), [((2, 3), (2, 3), (3,))], wrt=(0, 1), reverse=False),
    Case("runtime.tensordot_grad_left", lambda g, a, b: runtime.tensordot_grad_left(g, a, b, 1), [((2, 4), (2, 3), (3, 4))], wrt=(0, 2), reverse=False),
    Case("runtime.tensordot_grad_right", lambda g, a, b: runtime.tensordot_grad_right(g, a, b, 1), [((2, 4), (2, 3), (3, 4))], wrt=(0, 1), reverse=False),
    ])

for _i, _case in enumerate(CASES):
    _case.id = f"{_case.name}-{_i}"
