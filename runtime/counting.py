"""Counting the primitive operations generated code executes.

A counting variant of generated code passes the result of every primitive
operation through ``counted(name, value)``; outside ``counting()`` that is
an identity, inside it each call is recorded::

    with runtime.counting.counting() as c:
        counted_fn(x)
    c.ops        # primitive operations executed
    c.elements   # elements they produced (1 per scalar): a measure of work
    c.by_prim    # {'np.sin': 3, 'mul': 5, ...}

Counts are exact and deterministic, so unlike wall time they show how a
cost scales without noise. Nothing here knows about the compiler.
"""
import collections
import contextlib

import numpy as np

__all__ = ["Counter", "counting", "counted"]

_counters = []  # the counters of the enclosing ``counting()`` blocks, innermost last


class Counter:
    """Operations and elements recorded inside one ``counting()`` block."""

    __slots__ = ("ops", "elements", "by_prim")

    def __init__(self):
        self.ops = 0
        self.elements = 0
        self.by_prim = collections.Counter()

    def record(self, name, value):
        self.ops += 1
        self.by_prim[name] += 1
        self.elements += _size(value)

    def __repr__(self):
        return f"Counter(ops={self.ops}, elements={self.elements})"


def _size(value):
    if type(value) is np.ndarray:
        return value.size
    if isinstance(value, (float, int, complex, np.generic)):
        return 1
    return 0  # None (a tape push), a tuple of results, a shape: no elements made


@contextlib.contextmanager
def counting():
    """Record what counting code runs inside the block (nested blocks: all of them)."""
    counter = Counter()
    _counters.append(counter)
    try:
        yield counter
    finally:
        _counters.remove(counter)


def counted(name, value):
    """``value``, recorded as the result of one ``name`` operation when counting."""
    for counter in _counters:
        counter.record(name, value)
    return value
