"""The benchmark workloads, at tiny sizes: adcompiler's gradients are right.

Correctness only; the timing lives in ``python -m benchmarks.run``. The
runner's handling of a function adcompiler refuses is checked too: it must
report the row as unsupported, not crash.
"""
import os
import sys

import numpy as np
import pytest
from helpers import assert_grad_matches_fd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import workloads  # noqa: E402


@pytest.mark.parametrize("workload", workloads.WORKLOADS, ids=lambda w: w.name)
def test_workload_gradient_matches_finite_differences(workload):
    args = workload.inputs("tiny")
    assert_grad_matches_fd(workload.fn, args, wrt=workload.wrt, rtol=1e-5, atol=1e-6)


def test_workloads_are_plain_numpy():
    """The workloads run without any peer installed: the tests never import one."""
    for w in workloads.WORKLOADS:
        assert np.ndim(w.fn(*w.inputs("tiny"))) == 0


def test_gmm_layout_matrices_place_icf_entries():
    d = 4
    icf = np.arange(1.0, 1 + d + d * (d - 1) // 2)
    q = np.reshape(icf[:d] @ workloads.diag_scatter(d) + icf[d:] @ workloads.tril_scatter(d),
                   (d, d))
    assert np.array_equal(np.diag(q), icf[:d])
    assert np.all(np.triu(q, 1) == 0)
    # strictly lower part, column by column
    cols = [q[j + 1:, j] for j in range(d)]
    assert np.array_equal(np.concatenate(cols), icf[d:])


def refused(x):
    s = 0.0
    for v in x:
        s = s + v
    else:  # a loop's `else` is refused by the checking pass
        s = s * 2.0
    return s


def test_runner_reports_unsupported_instead_of_crashing():
    from benchmarks import peers, run
    run.np = np
    w = workloads.Workload("refused", refused, (0,), lambda size, rng: (np.ones(3),))
    res = run.run_workload(w, [peers.Adcompiler()], repeat=1, target=1e-4, first_repeat=1,
                           log=lambda text: None)
    status = res["tools"]["adcompiler"]["status"]
    assert status.startswith("unsupported: UnsupportedError: test_benchmarks_smoke.py:")
    assert "\n" not in status
