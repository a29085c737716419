"""The benchmark workloads: NumPy functions written as a user would write them.

Each ``Workload`` holds the plain NumPy function, the parameters it is
differentiated with respect to, and a maker of its inputs at the benchmark
size (``"bench"``) or at a size small enough for finite differences
(``"tiny"``, used by tests/test_benchmarks_smoke.py). Peers whose array
library spells NumPy's API the same way (autograd, JAX) run this very source
with ``np`` bound to their module (``peers.rebind``); PyTorch, whose API
differs, gets a hand translation here (``torch_fn``), kept line for line.

The functions are written the way NumPy users write them, not the way that
suits one tool: loops are Python loops, scalars are Python floats.
"""
import math

import numpy as np

import adcompiler


class Workload:
    """One benchmark function and how to call it.

    ``static`` lists parameters that are plain Python numbers fixing the
    structure of the computation (a trip count, a hyperparameter): JAX's jit
    needs them as static arguments.
    """

    def __init__(self, name, fn, wrt, make_inputs, torch_fn=None, static=(), about=""):
        self.name, self.fn, self.wrt = name, fn, tuple(wrt)
        self.make_inputs, self.torch_fn, self.static = make_inputs, torch_fn, tuple(static)
        self.about = about

    def inputs(self, size="bench", seed=0):
        return self.make_inputs(size, np.random.default_rng(seed))

    def __repr__(self):
        return f"<workload {self.name}>"


# ---- Rosenbrock, n = 1e4 ---------------------------------------------------------
def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_torch(torch, x):
    return torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_inputs(size, rng):
    n = 10_000 if size == "bench" else 6
    return (rng.uniform(-1.0, 1.0, n),)


# ---- MLP 100-100-10, batch 64, squared error -----------------------------------------
def mlp(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def mlp_torch(torch, W1, b1, W2, b2, x, y):
    h = torch.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    return torch.mean((out - y) ** 2)


def mlp_inputs(size, rng):
    n_in, n_hidden, n_out, batch = (100, 100, 10, 64) if size == "bench" else (4, 3, 2, 5)
    return (rng.normal(0, 1 / math.sqrt(n_in), (n_in, n_hidden)), rng.normal(0, 0.1, n_hidden),
            rng.normal(0, 1 / math.sqrt(n_hidden), (n_hidden, n_out)), rng.normal(0, 0.1, n_out),
            rng.normal(0, 1, (batch, n_in)), rng.normal(0, 1, (batch, n_out)))


# ---- a scalar recurrence of 200 steps: explicit Euler on dx/dt = a sin x - b x --------
def recurrence(a, b, x0, steps):
    x = x0
    for i in range(steps):
        x = x + 0.01 * (a * np.sin(x) - b * x)
    return x


def recurrence_torch(torch, a, b, x0, steps):
    x = torch.as_tensor(x0, dtype=a.dtype)
    for i in range(steps):
        x = x + 0.01 * (a * torch.sin(x) - b * x)
    return x


def recurrence_inputs(size, rng):
    return (1.5, 0.5, 0.3, 200 if size == "bench" else 7)


# ---- an RNN of 50 steps, 32 hidden units, input 16 ----------------------------------
def rnn(Wx, Wh, b, xs, h0):
    h = h0
    for x in xs:
        h = np.tanh(x @ Wx + h @ Wh + b)
    return np.sum(h ** 2)


def rnn_torch(torch, Wx, Wh, b, xs, h0):
    h = h0
    for x in xs:
        h = torch.tanh(x @ Wx + h @ Wh + b)
    return torch.sum(h ** 2)


def rnn_inputs(size, rng):
    steps, n_in, n_hidden = (50, 16, 32) if size == "bench" else (4, 3, 2)
    return (rng.normal(0, 1 / math.sqrt(n_in), (n_in, n_hidden)),
            rng.normal(0, 1 / math.sqrt(n_hidden), (n_hidden, n_hidden)),
            rng.normal(0, 0.1, n_hidden), rng.normal(0, 1, (steps, n_in)),
            np.zeros(n_hidden))


# ---- softmax cross-entropy of a linear classifier --------------------------------------
def logsumexp_rows(z):
    """log sum exp over the last axis, kept (shape (..., 1)), shifted by the max."""
    m = np.max(z, axis=-1, keepdims=True)
    return m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


# adcompiler differentiates np.max too (a tie shares the gradient, as in JAX); the
# softmax declared here is the rule docs/custom_rules.md shows, and one operation
# where differentiating through the max, the exp and the sum takes several
adcompiler.defvjp(logsumexp_rows, z="g * np.exp(z - ans)")


def softmax_xent(W, b, x, labels):
    z = x @ W + b
    return -np.mean(np.sum(labels * (z - logsumexp_rows(z)), axis=1))


def softmax_xent_torch(torch, W, b, x, labels):
    z = x @ W + b
    return -torch.mean(torch.sum(labels * (z - torch.logsumexp(z, dim=-1, keepdim=True)), dim=1))


def softmax_xent_inputs(size, rng):
    batch, n_in, n_classes = (128, 100, 10) if size == "bench" else (5, 4, 3)
    labels = np.eye(n_classes)[rng.integers(0, n_classes, batch)]
    return (rng.normal(0, 1 / math.sqrt(n_in), (n_in, n_classes)), rng.normal(0, 0.1, n_classes),
            rng.normal(0, 1, (batch, n_in)), labels)


# ---- GMM: the ADBench objective (negative log posterior with a Wishart prior) ------------
# icf[k] holds the logs of the diagonal of Q_k (the inverse covariance factor),
# then its strictly lower triangle column by column; ``diag`` and ``tril`` are
# the 0/1 matrices placing those entries in a flattened d x d matrix, built once
# outside the function (the same for every tool).
def gmm(alphas, means, icf, x, gamma, m, diag, tril):
    n, d = x.shape
    k = alphas.shape[0]
    log_diag = icf[:, :d]
    Qdiags = np.exp(log_diag)
    sum_qs = np.sum(log_diag, axis=1)
    Qs = np.reshape(Qdiags @ diag + icf[:, d:] @ tril, (k, d, d))
    xc = x[:, None, :] - means[None, :, :]
    Qxc = np.matmul(Qs, xc[:, :, :, None])[:, :, :, 0]
    main = alphas + sum_qs - 0.5 * np.sum(Qxc ** 2, axis=2)
    slse = np.sum(logsumexp_rows(main))
    lse_alphas = np.sum(logsumexp_rows(alphas))
    frobenius = np.sum(Qdiags ** 2, axis=1) + np.sum(icf[:, d:] ** 2, axis=1)
    prior = np.sum(0.5 * gamma ** 2 * frobenius - m * sum_qs)
    dof = d + m + 1
    log_gamma_d = 0.25 * d * (d - 1) * math.log(math.pi)
    for j in range(d):
        log_gamma_d = log_gamma_d + math.lgamma(0.5 * dof - 0.5 * j)
    c = dof * d * (math.log(gamma) - 0.5 * math.log(2.0)) - log_gamma_d
    return -0.5 * n * d * math.log(2 * math.pi) + slse - n * lse_alphas + prior - k * c


def gmm_torch(torch, alphas, means, icf, x, gamma, m, diag, tril):
    n, d = x.shape
    k = alphas.shape[0]
    log_diag = icf[:, :d]
    Qdiags = torch.exp(log_diag)
    sum_qs = torch.sum(log_diag, dim=1)
    Qs = torch.reshape(Qdiags @ diag + icf[:, d:] @ tril, (k, d, d))
    xc = x[:, None, :] - means[None, :, :]
    Qxc = torch.matmul(Qs, xc[:, :, :, None])[:, :, :, 0]
    main = alphas + sum_qs - 0.5 * torch.sum(Qxc ** 2, dim=2)
    slse = torch.sum(torch.logsumexp(main, dim=-1))
    lse_alphas = torch.logsumexp(alphas, dim=-1)
    frobenius = torch.sum(Qdiags ** 2, dim=1) + torch.sum(icf[:, d:] ** 2, dim=1)
    prior = torch.sum(0.5 * gamma ** 2 * frobenius - m * sum_qs)
    dof = d + m + 1
    log_gamma_d = 0.25 * d * (d - 1) * math.log(math.pi)
    for j in range(d):
        log_gamma_d = log_gamma_d + math.lgamma(0.5 * dof - 0.5 * j)
    c = dof * d * (math.log(gamma) - 0.5 * math.log(2.0)) - log_gamma_d
    return -0.5 * n * d * math.log(2 * math.pi) + slse - n * lse_alphas + prior - k * c


def tril_scatter(d):
    """The (d(d-1)/2, d*d) 0/1 matrix from icf's lower-triangle entries to Q's."""
    out = np.zeros((d * (d - 1) // 2, d * d))
    row = 0
    for j in range(d):
        for i in range(j + 1, d):
            out[row, i * d + j] = 1.0
            row += 1
    return out


def diag_scatter(d):
    """The (d, d*d) 0/1 matrix from Q's diagonal to its flattened entries."""
    return np.eye(d * d)[::d + 1]


def gmm_inputs(size, rng):
    d, k, n = (10, 25, 1000) if size == "bench" else (3, 2, 4)
    return (rng.normal(0, 1, k), rng.normal(0, 1, (k, d)),
            rng.normal(0, 0.3, (k, d + d * (d - 1) // 2)), rng.normal(0, 1, (n, d)),
            1.0, 0, diag_scatter(d), tril_scatter(d))


# ---- a Newton solver in a while loop: x**3 + p x = q, elementwise --------------------------
def newton_cubic(p, q):
    x = np.zeros_like(q)
    dx = np.ones_like(q)
    while np.max(np.abs(dx)) > 1e-12:
        dx = (x ** 3 + p * x - q) / (3 * x ** 2 + p)
        x = x - dx
    return np.sum(x ** 2)


def newton_cubic_torch(torch, p, q):
    x = torch.zeros_like(q)
    dx = torch.ones_like(q)
    while torch.max(torch.abs(dx)) > 1e-12:
        dx = (x ** 3 + p * x - q) / (3 * x ** 2 + p)
        x = x - dx
    return torch.sum(x ** 2)


def newton_cubic_inputs(size, rng):
    n = 1000 if size == "bench" else 4
    return rng.uniform(1.0, 2.0, n), rng.uniform(-1.0, 1.0, n)


# ---- a loop of 100 steps over a 1e5-element vector ----------------------------------------
def vector_loop(x, w):
    y = x
    for i in range(100):
        y = y + 0.1 * (np.tanh(y) * w - y)
    return np.sum(y ** 2)


def vector_loop_torch(torch, x, w):
    y = x
    for i in range(100):
        y = y + 0.1 * (torch.tanh(y) * w - y)
    return torch.sum(y ** 2)


def vector_loop_inputs(size, rng):
    n = 100_000 if size == "bench" else 5
    return rng.normal(0, 1, n), rng.uniform(0.5, 1.5, n)


WORKLOADS = [
    Workload("rosenbrock", rosenbrock, (0,), rosenbrock_inputs, rosenbrock_torch,
             about="n = 1e4"),
    Workload("mlp", mlp, (0, 1, 2, 3), mlp_inputs, mlp_torch,
             about="100-100-10, tanh, batch 64, squared error"),
    Workload("recurrence", recurrence, (0, 1), recurrence_inputs, recurrence_torch,
             static=(3,), about="200 Euler steps on Python floats"),
    Workload("rnn", rnn, (0, 1, 2), rnn_inputs, rnn_torch,
             about="50 steps, 16 inputs, 32 hidden, tanh"),
    Workload("softmax_xent", softmax_xent, (0, 1), softmax_xent_inputs, softmax_xent_torch,
             about="linear 100 -> 10, batch 128"),
    Workload("gmm", gmm, (0, 1, 2), gmm_inputs, gmm_torch, static=(4, 5),
             about="ADBench objective, d = 10, k = 25, n = 1000"),
    Workload("newton", newton_cubic, (0, 1), newton_cubic_inputs, newton_cubic_torch,
             about="while loop, 1000 cubics, to 1e-12"),
    Workload("vector_loop", vector_loop, (0, 1), vector_loop_inputs, vector_loop_torch,
             about="100 steps over 1e5 elements"),
]

BY_NAME = {w.name: w for w in WORKLOADS}
