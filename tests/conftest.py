"""Test configuration: hypothesis profiles sized to keep the suite fast.

Locally each property test draws fresh examples; under CI (CI=true) the
examples are derandomized so a red build is reproducible, and no example
database is written into the clone.
"""
import os
import sys

from hypothesis import HealthCheck, settings

# `from helpers import ...` works whichever directory pytest is started from
sys.path.insert(0, os.path.dirname(__file__))

# every function the tests compile has its IR checked (off by default: compile time)
import adcompiler.ir.verify  # noqa: E402

adcompiler.ir.verify.ENABLED = True

settings.register_profile("dev", max_examples=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True,
                          database=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE",
                                     "ci" if os.environ.get("CI") else "dev"))
