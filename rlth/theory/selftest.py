r"""Self-test theorems: Monte-Carlo rates with an *exact* expected error, proving the harness.

Two estimators whose mean absolute error is computable exactly, so the rate harness can be
checked end to end (sweep -> store -> fit -> verdict -> figure) against a known answer:

(a) ``selftest.bernoulli.mae``: :math:`\hat p_N = \frac1N\sum_{i\le N} X_i`, :math:`X_i \sim
    \mathrm{Bernoulli}(p)`.  :math:`N\hat p_N \sim \mathrm{Bin}(N, p)`, so
    :math:`E|\hat p_N - p| = \sum_{k=0}^N \binom Nk p^k(1-p)^{N-k} |k/N - p|` exactly, and by the
    CLT it equals :math:`\sqrt{2p(1-p)/(\pi N)}\,(1 + o(1))`: slope :math:`-1/2` in :math:`N`.
(b) ``selftest.mc_eval.abs_error``: Monte-Carlo policy evaluation in a finite-horizon MDP with
    Bernoulli rewards: :math:`|\bar G_K - V^\pi|` where :math:`\bar G_K` is the mean return of
    :math:`K` episodes.  Returns are integers in :math:`\{0,\dots,H\}`; their law is computed
    exactly by a forward recursion over (state, accumulated reward), the law of the sum of
    :math:`K` i.i.d. returns by an FFT power of its characteristic function, and from it
    :math:`E|\bar G_K - V^\pi|` (error ~1e-12).  Slope :math:`-1/2` in :math:`K`.  Checked on
    two instances: a 4-state stage-dependent random MDP, and a large sparse one
    (:func:`selftest_sparse_mdp`: a CSR Garnet MDP with 1e5 states, where the same forward
    recursion runs over the stored successors only), which exercises the CSR sampler and
    solvers end to end against an exact answer.

These are elementary facts, not results of a paper: provenance [D].

References
----------
Any probability text: the CLT and :math:`E|Z| = \sqrt{2/\pi}` for a standard normal :math:`Z`.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._validation import check_nonnegative_int, check_positive_int, check_real
from . import Theorem, register

__all__ = ["bernoulli_mae", "selftest_mdp", "selftest_sparse_mdp", "return_pmf", "mc_eval_mae"]


def _count(name, x) -> int:
    """A sweep value (a real, possibly a float such as ``1e3``) rounded to an integer >= 1."""
    n = int(round(check_real(name, x)))
    if n < 1:
        raise ValueError(f"{name}: must be >= 1 (after rounding), got {x!r}")
    return n


def bernoulli_mae(N, p: float) -> float:
    """Exact :math:`E|\\hat p_N - p|` for the mean of ``N`` Bernoulli(``p``) draws. [D]"""
    from scipy.stats import binom
    N = _count("N", N)
    p = check_real("p", p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p: must lie in [0, 1], got {p}")
    k = np.arange(N + 1)
    return float(binom.pmf(k, N, p) @ np.abs(k / N - p))


@lru_cache(maxsize=4)
def selftest_mdp(seed: int = 7, n_states: int = 4, n_actions: int = 2, horizon: int = 5):
    """The self-test instance: a stage-dependent random MDP and a fixed stochastic policy.

    Returns
    -------
    (FiniteHorizonMDP, pi[H, S, A])
        Transitions Dirichlet(1) per (h, s, a), mean rewards U[0, 1], uniform ``rho``; the
        policy has Dirichlet(1) rows.  Everything is drawn from ``seed``.
    """
    from ..instances.random import random_mdp
    seed = check_nonnegative_int("seed", seed)
    n_states = check_positive_int("n_states", n_states)
    n_actions = check_positive_int("n_actions", n_actions)
    horizon = check_positive_int("horizon", horizon)
    rng = np.random.default_rng(seed)
    mdp = random_mdp(n_states, n_actions, horizon=horizon, rng=rng, stationary=False)
    pi = rng.dirichlet(np.ones(n_actions), size=(horizon, n_states))
    pi /= pi.sum(axis=-1, keepdims=True)
    return mdp, np.ascontiguousarray(pi)


@lru_cache(maxsize=2)
def selftest_sparse_mdp(seed: int = 7, n_states: int = 10**5, n_actions: int = 4,
                        horizon: int = 10, branching: int = 4):
    """The large self-test instance: a CSR Garnet MDP and the uniform policy.

    Returns
    -------
    (SparseFiniteHorizonMDP, pi[S, A])
        ``random_mdp(n_states, n_actions, horizon=horizon, branching=branching, sparse=True)``
        from ``seed`` (stationary, ``branching`` successors per pair, mean rewards U[0, 1],
        uniform ``rho``) and the stationary uniform policy.
    """
    from ..instances.random import random_mdp
    seed = check_nonnegative_int("seed", seed)
    mdp = random_mdp(check_positive_int("n_states", n_states),
                     check_positive_int("n_actions", n_actions),
                     horizon=check_positive_int("horizon", horizon), rng=seed,
                     branching=check_positive_int("branching", branching), sparse=True)
    return mdp, np.full((mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions)


def return_pmf(mdp, pi) -> np.ndarray:
    """Exact law of the return :math:`\\sum_h r_h` with Bernoulli rewards: ``pmf[H + 1]``. [D]

    Forward recursion on the joint law ``d[s, g]`` of (state, reward so far): at step ``h``,
    ``d'[s', g + r] += d[s, g] pi_h(a|s) Pr(r | s, a) P_h(s'|s, a)``.
    """
    from ..models.sparse import is_sparse_mdp
    from ..solvers.dp import check_fh, policy_array
    pi = policy_array(check_fh(mdp), pi)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    sparse = is_sparse_mdp(mdp)      # CSR: the mass moves along the stored successors only
    d = np.zeros((S, H + 1))
    d[:, 0] = mdp.rho
    for h in range(H):
        R = mdp.R_stages[h if mdp.R_stages.shape[0] > 1 else 0]
        w = d[:, None, :] * pi[h if pi.shape[0] > 1 else 0][:, :, None]     # [S, A, G]
        w1 = w * R[:, :, None]
        w0 = w - w1
        if sparse:
            PT = mdp.P_matrix(h).T.tocsr()                                   # [S', S*A]
            nxt = PT @ w0.reshape(S * A, H + 1)
            nxt[:, 1:] += PT @ w1[:, :, :-1].reshape(S * A, H)
        else:
            P = mdp.P_stages[h if mdp.P_stages.shape[0] > 1 else 0]
            nxt = np.einsum("sag,sat->tg", w0, P)
            nxt[:, 1:] += np.einsum("sag,sat->tg", w1[:, :, :-1], P)
        d = nxt
    return d.sum(axis=0)


def mc_eval_mae(K, seed: int = 7, instance: str = "small") -> float:
    """Exact :math:`E|\\bar G_K - V^\\pi|` on :func:`selftest_mdp` (``instance="small"``) or
    :func:`selftest_sparse_mdp` (``"sparse"``) drawn from ``seed``. [D]"""
    K = _count("K", K)
    if instance not in ("small", "sparse"):
        raise ValueError(f"instance: expected 'small' or 'sparse', got {instance!r}")
    pmf = _pmf(check_nonnegative_int("seed", seed), instance)
    H = pmf.size - 1
    v = float(np.arange(H + 1) @ pmf)
    n = K * H + 1
    sum_pmf = np.fft.irfft(np.fft.rfft(pmf, n) ** K, n)
    return float(np.clip(sum_pmf, 0.0, None) @ np.abs(np.arange(n) / K - v))


@lru_cache(maxsize=4)
def _pmf(seed: int, instance: str = "small") -> np.ndarray:
    mdp, pi = (selftest_mdp if instance == "small" else selftest_sparse_mdp)(seed)
    return return_pmf(mdp, pi)


register(Theorem(
    id="selftest.bernoulli.mae",
    paper="(harness self-test; elementary probability)",
    arxiv="",
    number="CLT for a binomial mean",
    statement="E|p_hat_N - p| = sum_k Bin(k; N, p)|k/N - p| ~ sqrt(2p(1-p)/(pi N))",
    quantity="mean absolute error of the empirical mean of N Bernoulli(p) draws",
    sweep_variable="N",
    kind="rate",
    exponent=-0.5,
    tolerance=0.1,
    provenance="[D]",
    notes="exact reference curve from the binomial pmf; proves the harness end to end",
    reference=lambda x, p=0.3, **_: bernoulli_mae(x, p),
    trivial_max=1.0,
))

register(Theorem(
    id="selftest.mc_eval.abs_error",
    paper="(harness self-test; elementary probability)",
    arxiv="",
    number="CLT for Monte-Carlo policy evaluation",
    statement="E|mean return of K episodes - V^pi| = sigma_G sqrt(2/(pi K)) (1 + o(1))",
    quantity="|mean return of K rollouts - exact V^pi (evaluate_policy)|",
    sweep_variable="K",
    kind="rate",
    exponent=-0.5,
    tolerance=0.1,
    provenance="[D]",
    notes="exact reference from the return law (forward recursion + FFT convolution)",
    reference=lambda x, seed=7, instance="small", **_: mc_eval_mae(x, seed, instance),
))
