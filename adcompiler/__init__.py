"""adcompiler: source-transformation automatic differentiation for Python and NumPy.

    >>> import numpy as np
    >>> from adcompiler import grad
    >>> def f(x):
    ...     return np.sum(np.sin(x) ** 2)
    >>> df = grad(f)          # df(x) is the gradient; df.source is its code
"""
from .api import grad, show, value_and_grad, vjp
from .checking import check_grad
from .custom import custom_rule, defjvp, defpartials, defvjp, stop_gradient
from .errors import NoRuleError, UnsupportedError
from .jacobians import hessian, hvp, jacfwd, jacobian, jacrev, jvp
from runtime.memory import keep_allocator, tune_allocator

__all__ = ["grad", "value_and_grad", "vjp", "show", "check_grad", "UnsupportedError",
           "NoRuleError", "defpartials", "defvjp", "defjvp", "custom_rule", "stop_gradient",
           "jvp", "jacfwd", "jacrev", "jacobian", "hessian", "hvp", "tune_allocator",
           "keep_allocator"]
__version__ = "0.1.0"
