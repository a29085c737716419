"""Custom rules: declare the derivative of one of your functions once.

    def softplus(x):
        return np.log1p(np.exp(x))

    # one rule both modes derive from (elementwise functions):
    adcompiler.defpartials(softplus, x="1 / (1 + np.exp(-x))")
    # or a reverse rule, and a forward rule where you want one:
    adcompiler.defvjp(logsumexp, x="g * np.exp(x - ans)")
    adcompiler.defjvp(logsumexp, "np.sum(dx * np.exp(x - ans))")

Templates are Python expressions, like the rules in ``rules/table.py``: the
parameters by name, ``ans`` for the result, ``g`` for its adjoint (vjp) and
``d<param>`` for tangents (jvp); ``np``, ``math`` and ``runtime`` are there,
and so are the names of the function's own module. Once declared, every call
of the function, in any differentiated code, uses the rule instead of its body
— generated derivative code too, so it can be differentiated again.
"""
import inspect

from . import rules
from .errors import UnsupportedError
from .rules.registry import REQUIRED, Prim, register

NAMESPACE = {}  # name -> function: how generated code calls a function with a custom rule


def _prim(fn, elementwise, names=()):
    if not callable(fn):
        raise TypeError(f"custom rules are declared for functions, not {fn!r}")
    existing = rules.lookup_object(fn)
    if existing is not None:
        return existing
    params = []
    try:
        signature = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a C function may not say: the rule's names are its params
        signature = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in names]
    for p in signature:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            raise UnsupportedError(f"{fn.__name__}: a custom rule needs plain parameters, not "
                                   f"{p}", construct="custom rule")
        params.append((p.name, REQUIRED if p.default is p.empty else p.default))
    base = name = getattr(fn, "__name__", "user_function")
    n = 1
    while name in NAMESPACE and NAMESPACE[name] is not fn:
        n += 1
        name = f"{base}_{n}"
    NAMESPACE[name] = fn
    qualname = getattr(fn, "__qualname__", name)
    prim = Prim(f"user.{getattr(fn, '__module__', None)}.{qualname}", params, ("call", name),
                elementwise=elementwise)
    prim.user_function = fn
    return register(prim, objects=[fn])


def _check(fn, prim, templates):
    unknown = set(templates) - set(prim.param_names)
    if unknown:
        raise ValueError(f"{fn.__name__} has no parameter {sorted(unknown)[0]!r}; "
                         f"its parameters are {prim.param_names}")
    for text in templates.values():
        rules.parse_template(text)  # a syntax error shows now, not at first use


def defpartials(fn, **partials):
    """Declare the partial derivatives of an elementwise ``fn``, one per parameter.

    Reverse mode multiplies the adjoint by each partial (undoing broadcasting);
    forward mode sums partial * tangent. Parameters left out have no derivative:
    differentiating with respect to them is an error, not a zero.
    """
    prim = _prim(fn, elementwise=True, names=list(partials))
    _check(fn, prim, partials)
    prim.partials.update(partials)
    return fn


def defvjp(fn, **vjps):
    """Declare the vector-Jacobian product of ``fn`` for each parameter: an
    expression in ``g`` (the adjoint of the result), ``ans`` and the parameters."""
    prim = _prim(fn, elementwise=False, names=list(vjps))
    _check(fn, prim, vjps)
    prim.vjp.update(vjps)
    return fn


def defjvp(fn, jvp):
    """Declare the forward rule of ``fn``: an expression in the tangents ``d<param>``,
    ``ans`` and the parameters (a sum with one term per parameter), or a dict
    {param: term}."""
    prim = _prim(fn, elementwise=False)
    prim.jvp = jvp
    return fn


def custom_rule(partials=None, vjp=None, jvp=None):
    """Decorator form: ``@custom_rule(partials={"x": "..."})`` or ``vjp=..., jvp=...``."""
    def declare(fn):
        if partials:
            defpartials(fn, **partials)
        if vjp:
            defvjp(fn, **vjp)
        if jvp:
            defjvp(fn, jvp)
        return fn
    return declare


from runtime import stop_gradient  # noqa: E402  (one object: generated code calls runtime's)


__all__ = ["defpartials", "defvjp", "defjvp", "custom_rule", "stop_gradient", "NAMESPACE"]
