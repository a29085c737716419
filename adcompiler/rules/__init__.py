"""The rule table (``table``) and the machinery that holds it (``registry``)."""
from . import table  # noqa: F401  (declares every primitive)
from .registry import (ATTRIBUTES, BY_OBJECT, METHODS, OPERATORS, PRIMS, REQUIRED, Prim,
                       parse_template, specialize)

__all__ = ["ATTRIBUTES", "BY_OBJECT", "METHODS", "OPERATORS", "PRIMS", "REQUIRED", "Prim",
           "parse_template", "specialize", "lookup_object"]


def lookup_object(obj):
    """The primitive for a Python callable such as ``np.sin``, or None."""
    try:
        return BY_OBJECT.get(id(obj))
    except TypeError:
        return None
