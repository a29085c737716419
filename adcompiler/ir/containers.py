"""Containers whose structure is known when compiling: tuples, lists and dicts.

A tuple, list or dict display, and an argument that is a tuple, list or dict
of arrays, is not a value of the SSA form but a ``Pack``: a structure whose
leaves are SSA values. Indexing it with a constant, unpacking it, ``len``,
``append`` and a ``for`` loop over it are resolved while building, so the
generated code works on the leaves and derivatives need no container rules.
The gradient of a container argument comes back with the same structure.

The structure of a container argument is part of what a derivative is
compiled for: a call with another structure compiles again.
"""
import numpy as np


class Pack:
    """A container of operands (or of other Packs) known at compile time."""

    __slots__ = ("kind", "items", "keys")

    def __init__(self, kind, items, keys=None):
        self.kind, self.items, self.keys = kind, list(items), keys

    def get(self, key):
        if self.kind == "dict":
            if key not in self.keys:
                raise KeyError(key)
            return self.items[self.keys.index(key)]
        return self.items[key]

    def with_item(self, key, value):
        items, keys = list(self.items), list(self.keys) if self.keys is not None else None
        if self.kind == "dict":
            if key in keys:
                items[keys.index(key)] = value
            else:
                keys.append(key)
                items.append(value)
        else:
            items[key] = value
        return Pack(self.kind, items, keys)

    def __len__(self):
        return len(self.items)

    def __repr__(self):
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in zip(self.keys, self.items)) + "}"
        inner = ", ".join(repr(i) for i in self.items)
        return f"[{inner}]" if self.kind == "list" else f"({inner})"


# ---- the API side: container arguments flattened to leaves and back ----------------
def is_container(value):
    return isinstance(value, (tuple, list, dict)) and not hasattr(value, "_fields") \
        and _leaves_are_data(value)


def _leaves_are_data(value):
    if isinstance(value, dict):
        return all(isinstance(k, str) for k in value) and \
            all(_leaves_are_data(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return all(_leaves_are_data(v) for v in value)
    return isinstance(value, (int, float, complex, np.ndarray, np.generic))


def structure(value):
    """A hashable description of a container's shape (None for a leaf)."""
    if isinstance(value, dict):
        return ("dict", tuple((k, structure(v)) for k, v in value.items()))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(structure(v) for v in value))
    return None


def flatten(value):
    """The leaves of a container, in a fixed order."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in flatten(v)]
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in flatten(v)]
    return [value]


def unflatten(struct, leaves):
    """Rebuild a container of ``struct`` from its leaves (consumed from the front)."""
    leaves = iter(leaves)

    def build(s):
        if s is None:
            return next(leaves)
        kind, children = s
        if kind == "dict":
            return {k: build(c) for k, c in children}
        items = [build(c) for c in children]
        return tuple(items) if kind == "tuple" else items

    return build(struct)


def leaf_names(name, struct):
    """Readable names for the leaves of a parameter: params_W, params_0_1, ..."""
    if struct is None:
        return [name]
    kind, children = struct
    out = []
    if kind == "dict":
        for k, c in children:
            out += leaf_names(f"{name}_{_safe(k)}", c)
    else:
        for i, c in enumerate(children):
            out += leaf_names(f"{name}_{i}", c)
    return out


def _safe(key):
    text = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in str(key))
    return text or "key"
