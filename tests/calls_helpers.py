"""Functions in another module, for tests of calls into imported code."""
import numpy as np

SCALE = 3.0


def affine(x, w, b=0.5):
    return w * x + b


def scaled_sin(x):
    # reads a global of this module, not of the caller's
    return SCALE * np.sin(x)


def chain(x):
    return affine(scaled_sin(x), 2.0)
