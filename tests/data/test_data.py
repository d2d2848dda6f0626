"""Tests of rlth.data: alias tables, sufficient-statistic samplers, rollouts, containers, errors.

Statistical tolerances (docs/explanation/conventions.md section 5).  Every statistical test (function or parametrized
case; the transition-convergence test counts twice) is given a total failure budget
ALPHA_TEST = 5e-8; there are 11 of them, so a correct implementation fails the file with
probability < 5.5e-7 -- *approximately*: the binomial tests are exact, but the chi-square
thresholds are asymptotic and the z-tests rest on a normal approximation at 5.5-6.6 sigma,
where its relative error is not controlled, so "< 5.5e-7" is a nominal level.  Within a test
the budget is split over its m comparisons (Bonferroni):

* exact tests where the law is known exactly (binomial marginals of multinomial counts:
  two-sided exact binomial p-value >= alpha / m; chi-square goodness of fit on an exactly
  enumerated law with threshold ``chi2.isf(alpha / m)``; Kolmogorov-Smirnov);
* otherwise z-tests with ``z = norm.isf(alpha / (2 m))`` (5.5-6.6 here) on means of B >= 20,000
  i.i.d. replicates, with the standard error estimated from the same replicates (Gaussian
  approximation of the mean of B i.i.d. bounded / light-tailed variables).

Ground truth for rollouts: exact policy evaluation and occupancies from rlth.solvers.dp.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy import stats

from rlth.data import (BanditDataset, ContextualDataset, TrajectoryDataset, TransitionDataset,
                       alias_draw, build_alias, rollout, sample_bandit_dataset,
                       sample_contextual_dataset, sample_transition_dataset,
                       sample_transition_folds)
from rlth.models import ContextualBandit, DiscountedMDP, FiniteHorizonMDP, MultiArmedBandit
from rlth.instances import random_mdp
from rlth.solvers.dp import evaluate_policy
from rlth.solvers.occupancy import occupancy

ALPHA_TEST = 5e-8


# ----------------------------------------------------------------------------- helpers
def exact_value(mdp: FiniteHorizonMDP, pi) -> float:
    return float(evaluate_policy(mdp, pi).value)


def exact_occupancy(mdp: FiniteHorizonMDP, pi) -> np.ndarray:
    return np.asarray(occupancy(mdp, pi))


def z_threshold(m: int, alpha: float = ALPHA_TEST) -> float:
    return float(stats.norm.isf(alpha / (2 * m)))


def binom_pvalue(k, n, p):
    """Two-sided exact binomial p-value (twice the smaller tail, capped at 1), vectorized."""
    k, n, p = np.broadcast_arrays(np.asarray(k), np.asarray(n), np.asarray(p))
    lo = stats.binom.cdf(k, n, p)
    hi = stats.binom.sf(k - 1, n, p)
    return np.minimum(1.0, 2 * np.minimum(lo, hi))


def assert_moments(X: np.ndarray, mean: np.ndarray, cov: np.ndarray, alpha: float = ALPHA_TEST):
    """z-tests of every mean and every covariance entry (i <= j) of the rows of X[B, d].

    The level ``alpha`` is approximate: each z-test uses the normal approximation of a mean of
    B i.i.d. replicates (with an estimated standard error) far in the tail (~6 sigma)."""
    B, dim = X.shape
    m = dim + dim * (dim + 1) // 2
    z = z_threshold(m, alpha)
    se_mean = X.std(axis=0, ddof=1) / np.sqrt(B)
    dev = np.abs(X.mean(axis=0) - mean)
    assert np.all(dev <= z * se_mean + 1e-12), (dev / np.maximum(se_mean, 1e-300)).max()
    C = X - mean
    iu = np.triu_indices(dim)
    prods = C[:, iu[0]] * C[:, iu[1]]  # unbiased for cov with the true mean
    se = prods.std(axis=0, ddof=1) / np.sqrt(B)
    dev = np.abs(prods.mean(axis=0) - cov[iu])
    assert np.all(dev <= z * se + 1e-12), (dev / np.maximum(se, 1e-300)).max()


def assert_same_moments(X: np.ndarray, Y: np.ndarray, alpha: float = ALPHA_TEST):
    """Two-sample z-tests of every mean and covariance entry of X[B1, d] against Y[B2, d]."""
    dim = X.shape[1]
    m = dim + dim * (dim + 1) // 2
    z = z_threshold(m, alpha)
    iu = np.triu_indices(dim)

    def stats_of(Z):
        B = Z.shape[0]
        C = Z - Z.mean(axis=0)
        prods = C[:, iu[0]] * C[:, iu[1]]
        return (Z.mean(axis=0), Z.var(axis=0, ddof=1) / B,
                prods.mean(axis=0), prods.var(axis=0, ddof=1) / B)

    mx, vx, cx, vcx = stats_of(X)
    my, vy, cy, vcy = stats_of(Y)
    assert np.all(np.abs(mx - my) <= z * np.sqrt(vx + vy) + 1e-12)
    assert np.all(np.abs(cx - cy) <= z * np.sqrt(vcx + vcy) + 1e-12)


def multinomial_cov(N: int, p: np.ndarray) -> np.ndarray:
    return N * (np.diag(p) - np.outer(p, p))


def inverse_cdf(rng, p: np.ndarray, size) -> np.ndarray:
    """Brute-force categorical draws (reference, independent of the alias code)."""
    c = np.cumsum(p)
    return np.minimum(np.searchsorted(c, rng.random(size), side="right"), len(p) - 1)


# ----------------------------------------------------------------------------- alias tables
def implied_probabilities(prob: np.ndarray, alias: np.ndarray) -> np.ndarray:
    n = prob.shape[-1]
    out = prob.copy()
    for j in range(n):
        np.add.at(out, alias[j], 1.0 - prob[j])
    return out / n


@pytest.mark.parametrize("n", [1, 2, 3, 7, 50, 1000])
def test_alias_tables_represent_the_distribution_exactly(n):
    rng = np.random.default_rng(n)
    p = rng.random(n) ** 3
    p[rng.random(n) < 0.3] = 0.0
    if p.sum() == 0:
        p[0] = 1.0
    prob, alias = build_alias(p)
    q = p / p.sum()
    assert prob.dtype == np.float64 and alias.dtype == np.int64
    assert np.all((prob >= 0) & (prob <= 1))
    np.testing.assert_allclose(implied_probabilities(prob, alias), q, atol=1e-13)
    # zero-probability outcomes are never returned: prob 0 and nobody aliases to them
    zero = q == 0
    assert np.all(prob[zero] == 0)
    assert not np.any(zero[alias[prob < 1]])


def test_alias_draw_on_a_uniform_grid_reproduces_probabilities():
    p = np.array([0.1, 0.0, 0.25, 0.65])
    prob, alias = build_alias(p)
    M = 400_000
    u = (np.arange(M) + 0.5) / M
    draws = np.array([alias_draw(prob, alias, x) for x in u[::40]])  # python-level calls
    assert set(draws.tolist()) <= {0, 2, 3}
    # deterministic: on an exact grid each outcome's frequency is p up to the grid spacing
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, p, atol=4 * 40 / M + 1e-12)
    assert alias_draw(prob, alias, np.nextafter(1.0, 0.0)) in (0, 2, 3)


def test_build_alias_batches_and_errors():
    P = random_mdp(5, 3, horizon=4, stationary=False, rng=0).P_stages
    prob, alias = build_alias(P)
    assert prob.shape == P.shape and alias.shape == P.shape
    np.testing.assert_allclose(
        np.array([implied_probabilities(pr, al) for pr, al in
                  zip(prob.reshape(-1, 5), alias.reshape(-1, 5))]).reshape(P.shape), P,
        atol=1e-13)
    with pytest.raises(ValueError, match="^probs:"):
        build_alias([0.5, -0.1, 0.6])
    with pytest.raises(ValueError, match="^probs:"):
        build_alias([[0.5, 0.5], [0.0, 0.0]])
    with pytest.raises(ValueError, match="^probs:"):
        build_alias(np.empty((2, 0)))


# ----------------------------------------------------------------------------- bandits
def test_bandit_sufficient_statistics_have_the_exact_law_small_case():
    """K=2, N=4: (counts, sums) is a bijection of Multinomial(4, cells (arm, reward)); chi-square
    goodness of fit against the enumerated pmf, threshold chi2.isf(ALPHA_TEST, df)."""
    mu, means, N, B = np.array([0.4, 0.6]), np.array([0.3, 0.7]), 4, 20_000
    bandit = MultiArmedBandit(means)
    cell_p = np.array([mu[0] * (1 - means[0]), mu[0] * means[0],
                       mu[1] * (1 - means[1]), mu[1] * means[1]])
    outcomes, pmf = [], []
    for c0 in range(N + 1):
        for c1 in range(N + 1 - c0):
            for c2 in range(N + 1 - c0 - c1):
                c3 = N - c0 - c1 - c2
                outcomes.append((c0 + c1, c2 + c3, c1, c3))  # (n_0, n_1, sum_0, sum_1)
                pmf.append(stats.multinomial.pmf([c0, c1, c2, c3], N, cell_p))
    index = {o: i for i, o in enumerate(outcomes)}
    pmf = np.array(pmf)
    rng = np.random.default_rng(1)
    obs = np.zeros(len(outcomes))
    for _ in range(B):
        d = sample_bandit_dataset(bandit, mu, N, rng=rng)
        obs[index[(int(d.counts[0]), int(d.counts[1]), int(d.reward_sums[0]),
                   int(d.reward_sums[1]))]] += 1
    np.testing.assert_array_equal(obs.sum(), B)
    # merge rare outcomes (expected < 5) into one bin
    exp = B * pmf
    rare = exp < 5
    o = np.append(obs[~rare], obs[rare].sum())
    e = np.append(exp[~rare], exp[rare].sum())
    chi2 = np.sum((o - e) ** 2 / e)
    assert chi2 < stats.chi2.isf(ALPHA_TEST, len(o) - 1), chi2


def _bandit_replicates(bandit, mu, N, B, rng):
    X = np.empty((B, 3 * len(mu)))
    for b in range(B):
        d = sample_bandit_dataset(bandit, mu, N, rng=rng)
        X[b] = np.concatenate([d.counts, d.reward_sums, d.reward_sq_sums])
    return X


def _bandit_full_sampling(bandit, mu, N, B, rng):
    """Brute force: draw all B*N (arm, reward) pairs and sum per arm."""
    K = len(mu)
    arms = inverse_cdf(rng, mu, (B, N))
    if bandit.reward == "bernoulli":
        r = (rng.random((B, N)) < bandit.means[arms]).astype(float)
    else:
        r = bandit.means[arms] + bandit.sigma * rng.standard_normal((B, N))
    idx = (np.arange(B)[:, None] * K + arms).ravel()
    counts = np.bincount(idx, minlength=B * K).reshape(B, K)
    sums = np.bincount(idx, weights=r.ravel(), minlength=B * K).reshape(B, K)
    sq = np.bincount(idx, weights=(r ** 2).ravel(), minlength=B * K).reshape(B, K)
    return np.hstack([counts, sums, sq])


def test_bandit_bernoulli_moments_analytic_and_full_sampling():
    mu = np.array([0.1, 0.2, 0.3, 0.4])
    means = np.array([0.9, 0.5, 0.2, 0.05])
    N, B, K = 30, 20_000, 4
    bandit = MultiArmedBandit(means)
    X = _bandit_replicates(bandit, mu, N, B, np.random.default_rng(2))
    np.testing.assert_array_equal(X[:, :K].sum(axis=1), N)
    np.testing.assert_array_equal(X[:, K:2 * K], X[:, 2 * K:])  # r^2 = r
    # (counts, sums) = M c with c ~ Multinomial(N, cells (arm, reward in {0, 1}))
    cell_p = np.concatenate([mu * (1 - means), mu * means])  # cells (a, 0) then (a, 1)
    M = np.zeros((2 * K, 2 * K))
    for a in range(K):
        M[a, a] = M[a, K + a] = 1.0      # counts_a
        M[K + a, K + a] = 1.0            # sums_a
    mean = M @ (N * cell_p)
    cov = M @ multinomial_cov(N, cell_p) @ M.T
    assert_moments(X[:, :2 * K], mean, cov, alpha=ALPHA_TEST / 2)
    Y = _bandit_full_sampling(bandit, mu, N, B, np.random.default_rng(3))
    assert_same_moments(X[:, :2 * K], Y[:, :2 * K], alpha=ALPHA_TEST / 2)


def test_bandit_gaussian_sums_and_squares():
    """One arm (n = N fixed): T ~ N(nm, n s^2) and (sq - T^2/n)/s^2 ~ chi2(n-1) independent of T;
    then a 3-arm comparison with brute-force full sampling."""
    m, s, N, B = 0.7, 1.5, 7, 20_000
    rng = np.random.default_rng(4)
    X = _bandit_replicates(MultiArmedBandit([m], "gaussian", s), [1.0], N, B, rng)
    T, sq = X[:, 1], X[:, 2]
    mean = np.array([N * m, N * (s ** 2 + m ** 2)])
    cov = np.array([[N * s ** 2, 2 * N * m * s ** 2],
                    [2 * N * m * s ** 2, N * (2 * s ** 4 + 4 * m ** 2 * s ** 2)]])
    alpha = ALPHA_TEST / 4
    assert_moments(np.column_stack([T, sq]), mean, cov, alpha=alpha)
    assert stats.kstest((T - N * m) / (s * np.sqrt(N)), "norm").pvalue > alpha
    assert stats.kstest((sq - T ** 2 / N) / s ** 2, stats.chi2(N - 1).cdf).pvalue > alpha
    bandit = MultiArmedBandit([0.1, -0.4, 1.2], "gaussian", 0.8)
    mu = np.array([0.5, 0.3, 0.2])
    Xs = _bandit_replicates(bandit, mu, 12, B, rng)
    Y = _bandit_full_sampling(bandit, mu, 12, B, rng)
    assert_same_moments(Xs, Y, alpha=alpha)


def test_bandit_cost_independent_of_n_and_edge_sizes():
    bandit = MultiArmedBandit([0.2, 0.5, 0.9])
    d = sample_bandit_dataset(bandit, [0.2, 0.3, 0.5], 10 ** 12, rng=0)
    assert d.counts.sum() == 10 ** 12 and d.n_samples == 10 ** 12
    # relative error of the empirical means at N = 1e12: sd ~ 1e-6; 8 sd tolerance
    np.testing.assert_allclose(d.reward_sums / d.counts, bandit.means, atol=1e-5)
    z = sample_bandit_dataset(bandit, [0.2, 0.3, 0.5], 0, rng=0)
    assert z.counts.sum() == 0 and np.all(z.reward_sums == 0) and np.all(z.reward_sq_sums == 0)
    g = sample_bandit_dataset(MultiArmedBandit([0.0, 1.0], "gaussian"), [0.0, 1.0], 1, rng=0)
    assert g.counts.tolist() == [0, 1] and g.reward_sq_sums[1] == g.reward_sums[1] ** 2


# ----------------------------------------------------------------------------- contextual
def test_contextual_counts_and_sums_moments():
    rng = np.random.default_rng(5)
    S, A, N, B = 3, 2, 25, 20_000
    rho = np.array([0.5, 0.3, 0.2])
    means = rng.random((S, A))
    cb = ContextualBandit(rho, means)
    pib = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    mu = rho[:, None] * pib
    X = np.empty((B, 2 * S * A))
    for b in range(B):
        d = sample_contextual_dataset(cb, mu, N, rng=rng)
        X[b] = np.concatenate([d.counts.ravel(), d.reward_sums.ravel()])
    cells = S * A
    q = mu.ravel() * means.ravel()
    cell_p = np.concatenate([mu.ravel() - q, q])
    M = np.zeros((2 * cells, 2 * cells))
    for c in range(cells):
        M[c, c] = M[c, cells + c] = 1.0
        M[cells + c, cells + c] = 1.0
    assert_moments(X, M @ (N * cell_p), M @ multinomial_cov(N, cell_p) @ M.T)


# ----------------------------------------------------------------------------- transitions
def _small_discounted(rng, S=3, A=2):
    P = rng.dirichlet(np.ones(S), size=(S, A))
    P[0, 1] = np.eye(S)[2]  # a deterministic row
    return DiscountedMDP(P, rng.random((S, A)), gamma=0.9)


def test_transition_dataset_joint_law_analytic_and_full_sampling():
    """(next_counts, reward_sums) = M c with c ~ Multinomial(N, mu(s,a) Bern(r) P(s'|s,a))."""
    rng = np.random.default_rng(6)
    S, A, N, B = 3, 2, 20, 20_000
    mdp = _small_discounted(rng, S, A)
    mu = rng.dirichlet(np.ones(S * A)).reshape(S, A)
    X = np.empty((B, S * A * S + S * A))
    for b in range(B):
        d = sample_transition_dataset(mdp, mu, N, rng=rng)
        np.testing.assert_array_equal(d.next_counts.sum(-1), d.counts)
        X[b] = np.concatenate([d.next_counts.ravel(), d.reward_sums.ravel()])
    R, P = mdp.R, mdp.P
    # cells (s, a, r, s') in C order
    cell_p = (mu[:, :, None, None] * np.stack([1 - R, R], axis=-1)[..., None]
              * P[:, :, None, :]).ravel()
    M = np.zeros((X.shape[1], cell_p.size))
    for s in range(S):
        for a in range(A):
            for r in range(2):
                for t in range(S):
                    c = ((s * A + a) * 2 + r) * S + t
                    M[(s * A + a) * S + t, c] = 1.0
                    if r == 1:
                        M[S * A * S + s * A + a, c] = 1.0
    keep = np.ones(X.shape[1], bool)
    keep[[(0 * A + 1) * S + 0, (0 * A + 1) * S + 1]] = False  # P[0,1] has zeros there
    np.testing.assert_array_equal(X[:, ~keep], 0)
    alpha = ALPHA_TEST / 2
    assert_moments(X[:, keep], (M @ (N * cell_p))[keep],
                   (M @ multinomial_cov(N, cell_p) @ M.T)[np.ix_(keep, keep)], alpha=alpha)
    # brute force: B*N individual transitions
    sa = inverse_cdf(rng, mu.ravel(), (B, N))
    r = rng.random((B, N)) < R.ravel()[sa]
    cdf = np.cumsum(P.reshape(S * A, S), axis=1)
    u = rng.random((B, N))
    nxt = np.minimum((u[..., None] >= cdf[sa]).sum(-1), S - 1)
    idx = (np.arange(B)[:, None] * (S * A) + sa)
    Y = np.hstack([
        np.bincount((idx * S + nxt).ravel(), minlength=B * S * A * S).reshape(B, -1),
        np.bincount(idx.ravel(), weights=r.ravel().astype(float),
                    minlength=B * S * A).reshape(B, -1)])
    assert_same_moments(X[:, keep], Y[:, keep], alpha=alpha)


def test_transition_dataset_finite_horizon_per_step_and_mean_rewards():
    """[H,S,A] form: n_samples per step; counts[h, s, a] ~ Binomial(N, mu[h, s, a]) exactly
    (checked on the sum of B replicates, i.e. Binomial(B N, mu)), reward='mean' sums exact."""
    rng = np.random.default_rng(7)
    H, S, A, N, B = 3, 4, 2, 50, 2000
    mdp = random_mdp(S, A, horizon=H, stationary=False, rng=rng)
    mu = rng.dirichlet(np.ones(S * A), size=H).reshape(H, S, A)
    tot_counts = np.zeros((H, S, A), dtype=np.int64)
    tot_next = np.zeros((H, S, A, S), dtype=np.int64)
    for _ in range(B):
        d = sample_transition_dataset(mdp, mu, N, rng=rng, reward="mean")
        assert d.horizon == H and d.counts.shape == (H, S, A)
        np.testing.assert_array_equal(d.counts.sum(axis=(1, 2)), N)
        np.testing.assert_array_equal(d.reward_sums, d.counts * mdp.R)
        tot_counts += d.counts
        tot_next += d.next_counts
    m = tot_counts.size + tot_next.size
    assert binom_pvalue(tot_counts, B * N, mu).min() >= ALPHA_TEST / m
    # jointly next_counts ~ Multinomial(N, mu P): marginally Binomial(B N, mu[h,s,a] P_h[s,a,s'])
    assert binom_pvalue(tot_next, B * N, mu[..., None] * mdp.P).min() >= ALPHA_TEST / m


def test_transition_dataset_large_n_converges_and_stationary_mu_broadcast():
    rng = np.random.default_rng(8)
    mdp = random_mdp(6, 3, horizon=4, rng=rng)
    mu = np.full((6, 3), 1 / 18)
    d = sample_transition_dataset(mdp, mu, 10 ** 10, rng=rng)
    assert d.counts.shape == (4, 6, 3)
    P_hat = d.next_counts / d.counts[..., None]
    R_hat = d.reward_sums / d.counts
    # n(s,a) ~ 5.6e8: sd of P_hat <= 2.2e-5; tolerance 1e-3 is > 40 sd
    np.testing.assert_allclose(P_hat, mdp.P, atol=1e-3)
    np.testing.assert_allclose(R_hat, mdp.R, atol=1e-3)


def test_transition_folds():
    rng = np.random.default_rng(9)
    mdp = _small_discounted(rng)
    mu = np.full((3, 2), 1 / 6)
    folds = sample_transition_folds(mdp, mu, 1003, 4, rng=0)
    assert len(folds) == 4
    assert all(isinstance(f, TransitionDataset) and f.n_samples == 250 for f in folds)
    assert all(f.counts.sum() == 250 for f in folds)
    assert not all(np.array_equal(folds[0].next_counts, f.next_counts) for f in folds[1:])
    again = sample_transition_folds(mdp, mu, 1003, 4, rng=0)
    assert all(np.array_equal(f.next_counts, g.next_counts) for f, g in zip(folds, again))
    fh = sample_transition_folds(mdp.to_finite_horizon(3), np.full((3, 3, 2), 1 / 6), 10, 3,
                                 rng=1, reward="mean")
    assert [f.counts.shape for f in fh] == [(3, 3, 2)] * 3


def test_transition_folds_are_independent_with_the_law_of_n_over_k_datasets():
    """k folds of N total: fold j ~ the law of one dataset of N // k transitions (last 2 of N
    dropped), folds independent.  (i) Moments: the concatenation X = (fold_0, ..., fold_{k-1})
    of (next_counts, reward_sums) has mean (M m p, ..., M m p) and block-diagonal covariance
    diag(M Cov(Mult(m, p)) M^T, ...) (zero cross-fold blocks); z-tests as in the module
    docstring, budget ALPHA_TEST / 2.  (ii) Exact: with one state-action cell of mass 1/2 and
    m = 3 per fold, (counts_j[0, 0])_j has the product pmf prod_j Bin(3, 1/2) over the 4^3
    outcomes (chi-square goodness of fit, threshold chi2.isf(ALPHA_TEST / 2, 63); expected
    counts >= 39)."""
    rng = np.random.default_rng(21)
    S, A, k, B = 2, 2, 3, 20_000
    N = 3 * k + 2
    m = N // k
    mdp = DiscountedMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.random((S, A)), gamma=0.9)
    mu = np.array([[0.5, 0.2], [0.1, 0.2]])
    R, P = mdp.R, mdp.P
    dim = S * A * S + S * A
    X = np.empty((B, k * dim))
    Z = np.empty((B, k), dtype=np.int64)
    for b in range(B):
        folds = sample_transition_folds(mdp, mu, N, k, rng=rng)
        assert [f.n_samples for f in folds] == [m] * k
        X[b] = np.concatenate([np.concatenate([f.next_counts.ravel(), f.reward_sums.ravel()])
                               for f in folds])
        Z[b] = [f.counts[0, 0] for f in folds]
    cell_p = (mu[:, :, None, None] * np.stack([1 - R, R], axis=-1)[..., None]
              * P[:, :, None, :]).ravel()
    M = np.zeros((dim, cell_p.size))
    for s in range(S):
        for a in range(A):
            for r in range(2):
                for t in range(S):
                    c = ((s * A + a) * 2 + r) * S + t
                    M[(s * A + a) * S + t, c] = 1.0
                    if r == 1:
                        M[S * A * S + s * A + a, c] = 1.0
    mean1 = M @ (m * cell_p)
    cov1 = M @ multinomial_cov(m, cell_p) @ M.T
    mean = np.tile(mean1, k)
    cov = np.kron(np.eye(k), cov1)
    keep = np.diag(cov) > 0
    np.testing.assert_array_equal(X[:, ~keep], np.broadcast_to(mean[~keep], X[:, ~keep].shape))
    assert_moments(X[:, keep], mean[keep], cov[np.ix_(keep, keep)], alpha=ALPHA_TEST / 2)
    # exact joint law of (counts_0[0,0], counts_1[0,0], counts_2[0,0])
    code = (Z * 4 ** np.arange(k)).sum(axis=1)
    o = np.bincount(code, minlength=4 ** k)
    pm = stats.binom.pmf(np.arange(4), m, mu[0, 0])
    e = B * np.einsum("i,j,l->lji", pm, pm, pm).ravel()
    assert e.min() >= 39
    chi2 = np.sum((o - e) ** 2 / e)
    assert chi2 < stats.chi2.isf(ALPHA_TEST / 2, 4 ** k - 1), chi2


# ----------------------------------------------------------------------------- rollouts
def _policies(mdp, rng):
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    det = rng.integers(A, size=(H, S))
    sto = rng.dirichlet(np.ones(A), size=(H, S))
    sto[0, 0] = np.eye(A)[A - 1]  # a deterministic row inside a stochastic policy
    return det, sto


@pytest.mark.parametrize("stationary", [True, False])
def test_rollout_returns_and_occupancy_match_exact(stationary):
    """Mean return vs exact V (z-test, B = 200,000 episodes); counts of (s_h, a_h) vs
    Binomial(K, d_h(s, a)) exact tests; zero-occupancy cells never visited."""
    rng = np.random.default_rng(10 + stationary)
    mdp = random_mdp(5, 3, horizon=6, stationary=stationary, rng=rng, branching=3)
    det, sto = _policies(mdp, rng)
    K = 200_000
    cases = [(det, "bernoulli"), (sto, "bernoulli"), (sto, "mean"), (det[0], "mean")]
    m_cells = len(cases) * mdp.horizon * mdp.n_states * mdp.n_actions
    z = z_threshold(len(cases), ALPHA_TEST / 2)
    for pi, kind in cases:
        d = rollout(mdp, pi, K, rng=rng, reward=kind)
        ret = d.returns
        v = exact_value(mdp, pi if np.ndim(pi) > 1 else np.tile(pi, (mdp.horizon, 1)))
        se = ret.std(ddof=1) / np.sqrt(K)
        assert abs(ret.mean() - v) <= z * se, (ret.mean(), v, se)
        occ = exact_occupancy(mdp, pi if np.ndim(pi) > 1 else np.tile(pi, (mdp.horizon, 1)))
        counts = d.to_counts().counts
        assert np.all(counts[occ == 0] == 0)
        assert binom_pvalue(counts, K, occ).min() >= ALPHA_TEST / 2 / m_cells
        if kind == "bernoulli":
            assert set(np.unique(d.rewards).tolist()) <= {0.0, 1.0}
        else:
            np.testing.assert_array_equal(
                d.rewards, mdp.R[np.arange(mdp.horizon), d.states[:, :-1], d.actions])


def test_rollout_empirical_transitions_converge():
    """Given the visits, next states are i.i.d. P_h(.|s,a): exact binomial tests per cell, and
    |P_hat - P| <= z sd(n) with sd(n) = sqrt(P (1 - P) / n) (the 1/sqrt(n) rate)."""
    rng = np.random.default_rng(12)
    mdp = random_mdp(4, 2, horizon=3, stationary=False, rng=rng)
    pi = rng.dirichlet(np.ones(2), size=(3, 4))
    c = rollout(mdp, pi, 400_000, rng=rng).to_counts()
    n = c.counts[..., None]
    m = c.next_counts.size
    assert np.all(c.counts > 100)
    assert binom_pvalue(c.next_counts, n, mdp.P).min() >= ALPHA_TEST / m
    P_hat = c.next_counts / n
    sd = np.sqrt(mdp.P * (1 - mdp.P) / n)
    assert np.all(np.abs(P_hat - mdp.P) <= z_threshold(m) * sd + 1e-12)


def test_rollout_respects_supports_and_policy_forms():
    rng = np.random.default_rng(13)
    mdp = random_mdp(8, 3, horizon=5, rng=rng, branching=2, rho="first")
    det = rng.integers(3, size=(5, 8))
    d = rollout(mdp, det, 5000, rng=0)
    assert np.all(d.states[:, 0] == 0)
    h = np.arange(5)
    np.testing.assert_array_equal(d.actions, det[h, d.states[:, :-1]])
    assert np.all(mdp.P[h, d.states[:, :-1], d.actions, d.states[:, 1:]] > 0)
    # a stationary deterministic policy == its tiled version (same stream)
    d1 = rollout(mdp, det[0], 100, rng=5)
    d2 = rollout(mdp, np.tile(det[0], (5, 1)), 100, rng=5)
    np.testing.assert_array_equal(d1.states, d2.states)
    sto = np.full((8, 3), 1 / 3)
    d3 = rollout(mdp, sto, 100, rng=5)
    d4 = rollout(mdp, np.broadcast_to(sto, (5, 8, 3)), 100, rng=5)
    np.testing.assert_array_equal(d3.actions, d4.actions)
    e = rollout(mdp, det, 0, rng=0)
    assert e.states.shape == (0, 6) and e.to_counts().counts.sum() == 0


def test_to_counts_consistency():
    rng = np.random.default_rng(14)
    mdp = random_mdp(4, 3, horizon=5, rng=rng, stationary=False)
    _, sto = _policies(mdp, rng)
    d = rollout(mdp, sto, 300, rng=rng)
    c = d.to_counts()
    assert c.n_samples == 300 and c.horizon == 5
    # brute-force loop
    counts = np.zeros((5, 4, 3), dtype=np.int64)
    rsum = np.zeros((5, 4, 3))
    nxt = np.zeros((5, 4, 3, 4), dtype=np.int64)
    for k in range(300):
        for h in range(5):
            s, a = d.states[k, h], d.actions[k, h]
            counts[h, s, a] += 1
            rsum[h, s, a] += d.rewards[k, h]
            nxt[h, s, a, d.states[k, h + 1]] += 1
    np.testing.assert_array_equal(c.counts, counts)
    np.testing.assert_array_equal(c.next_counts, nxt)
    np.testing.assert_allclose(c.reward_sums, rsum, rtol=0, atol=1e-12)
    # state marginal at h+1 from next_counts == from counts
    np.testing.assert_array_equal(c.next_counts[:-1].sum(axis=(1, 2)), c.counts[1:].sum(axis=2))
    np.testing.assert_allclose(c.reward_sums.sum(), d.returns.sum())
    assert d.n_episodes == 300 and d.horizon == 5


# ----------------------------------------------------------------------------- containers
def test_containers_validate_and_roundtrip():
    d = BanditDataset([2, 1], [1.0, 0.0], [1.0, 0.0], 3)
    assert d.n_arms == 2 and d.counts.dtype == np.int64
    assert not d.counts.flags.writeable
    again = BanditDataset(**d.to_dict())
    np.testing.assert_array_equal(again.reward_sums, d.reward_sums)
    assert BanditDataset([2.0, 1.0], [1, 0], [1, 0], np.int64(3)).counts.dtype == np.int64
    with pytest.raises(ValueError, match="^n_samples:"):
        BanditDataset([2, 1], [1.0, 0.0], [1.0, 0.0], 4)
    with pytest.raises(ValueError, match="^counts:"):
        BanditDataset([-1, 4], [0.0, 0.0], [0.0, 0.0], 3)
    with pytest.raises(ValueError, match="^counts:"):
        BanditDataset([1.5, 1.5], [0.0, 0.0], [0.0, 0.0], 3)
    with pytest.raises(ValueError, match="^reward_sums:"):
        BanditDataset([3, 0], [1.0, 1.0], [1.0, 1.0], 3)
    with pytest.raises(ValueError, match="^reward_sq_sums:"):
        BanditDataset([3, 0], [1.0, 0.0], [-1.0, 0.0], 3)
    with pytest.raises(ValueError, match="^reward_sums:"):
        BanditDataset([3, 0], [1.0], [1.0, 0.0], 3)
    c = ContextualDataset(np.ones((2, 2), int), np.zeros((2, 2)), np.zeros((2, 2)), 4)
    assert (c.n_contexts, c.n_actions) == (2, 2)
    assert set(c.to_dict()) == {"counts", "reward_sums", "reward_sq_sums", "n_samples"}
    t = TransitionDataset(np.ones((2, 2), int), np.zeros((2, 2)),
                          np.eye(2, dtype=int)[None].repeat(2, 0), 4)
    assert t.horizon is None and (t.n_states, t.n_actions) == (2, 2)
    TransitionDataset(**t.to_dict())
    with pytest.raises(ValueError, match="^next_counts:"):
        TransitionDataset(np.ones((2, 2), int), np.zeros((2, 2)), np.ones((2, 2, 2), int), 4)
    with pytest.raises(ValueError, match="^next_counts:"):
        TransitionDataset(np.ones((2, 2), int), np.zeros((2, 2)), np.ones((2, 2, 3), int), 4)
    with pytest.raises(ValueError, match="^n_samples:"):
        TransitionDataset(np.ones((3, 2, 2), int), np.zeros((3, 2, 2)),
                          np.eye(2, dtype=int)[None, None].repeat(3, 0).repeat(2, 1), 5)
    tr = TrajectoryDataset([[0, 1, 1]], [[1, 0]], [[1.0, 0.0]])
    assert (tr.n_states, tr.n_actions, tr.horizon) == (2, 2, 2)
    assert tr.returns.tolist() == [1.0]
    assert set(tr.to_dict()) == {"states", "actions", "rewards", "n_states", "n_actions"}
    with pytest.raises(ValueError, match="^actions:"):
        TrajectoryDataset([[0, 1, 1]], [[1, 0, 0]], [[1.0, 0.0]])
    with pytest.raises(ValueError, match="^rewards:"):
        TrajectoryDataset([[0, 1, 1]], [[1, 0]], [[1.0]])
    with pytest.raises(ValueError, match="^states:"):
        TrajectoryDataset([[0, 5, 1]], [[1, 0]], [[1.0, 0.0]], n_states=3)
    with pytest.raises(ValueError, match="^states:"):
        TrajectoryDataset([[0]], np.zeros((1, 0), int), np.zeros((1, 0)))


# ----------------------------------------------------------------------------- error paths
def test_error_paths_name_the_argument():
    bandit = MultiArmedBandit([0.2, 0.8])
    for bad in ([0.5, 0.6], [1.2, -0.2], [0.5], [[0.5, 0.5]], [np.nan, 1.0]):
        with pytest.raises(ValueError, match="^behavior:"):
            sample_bandit_dataset(bandit, bad, 10, rng=0)
    for bad in (-1, 2.5, 1e3, True, "10", None):
        with pytest.raises(ValueError, match="^n_samples:"):
            sample_bandit_dataset(bandit, [0.5, 0.5], bad, rng=0)
    with pytest.raises(ValueError, match="^bandit:"):
        sample_bandit_dataset([0.2, 0.8], [0.5, 0.5], 10, rng=0)
    with pytest.raises(ValueError, match="^rng:"):
        sample_bandit_dataset(bandit, [0.5, 0.5], 10, rng="seed")
    cb = ContextualBandit([0.5, 0.5], [[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(ValueError, match="^behavior:"):
        sample_contextual_dataset(cb, [0.5, 0.5], 10, rng=0)
    with pytest.raises(ValueError, match="^cb:"):
        sample_contextual_dataset(bandit, np.full((2, 2), 0.25), 10, rng=0)
    mdp = random_mdp(3, 2, gamma=0.9, rng=0)
    fh = random_mdp(3, 2, horizon=4, rng=0)
    with pytest.raises(ValueError, match="^behavior_distribution:"):
        sample_transition_dataset(mdp, np.full((3, 2), 0.2), 10, rng=0)
    with pytest.raises(ValueError, match="^behavior_distribution:"):
        sample_transition_dataset(mdp, np.full((4, 3, 2), 1 / 6), 10, rng=0)
    with pytest.raises(ValueError, match="^behavior_distribution:"):
        sample_transition_dataset(fh, np.full((5, 3, 2), 1 / 6), 10, rng=0)
    with pytest.raises(ValueError, match="^n_samples:"):
        sample_transition_dataset(mdp, np.full((3, 2), 1 / 6), -3, rng=0)
    with pytest.raises(ValueError, match="^reward:"):
        sample_transition_dataset(mdp, np.full((3, 2), 1 / 6), 10, rng=0, reward="gaussian")
    with pytest.raises(ValueError, match="^mdp:"):
        sample_transition_dataset(bandit, np.full((3, 2), 1 / 6), 10, rng=0)
    with pytest.raises(ValueError, match="^n_folds:"):
        sample_transition_folds(mdp, np.full((3, 2), 1 / 6), 10, 0, rng=0)
    wide = DiscountedMDP(np.full((2, 1, 2), 0.5), [[2.0], [0.0]], 0.5, reward_range=(0, 2))
    with pytest.raises(ValueError, match="^reward:"):
        sample_transition_dataset(wide, np.full((2, 1), 0.5), 10, rng=0)
    dm = sample_transition_dataset(wide, np.full((2, 1), 0.5), 10, rng=0, reward="mean")
    np.testing.assert_array_equal(dm.reward_sums, dm.counts * wide.R)   # exact mean rewards
    assert dm.counts[0, 0] > 0                                           # (R = 2 is exercised)
    # rollout
    for bad in (np.zeros((4, 2), int), np.zeros((4, 3, 3)), np.full((4, 3), 2),
                np.full((4, 3, 2), 0.6), np.zeros((3, 2), bool)):
        with pytest.raises(ValueError, match="^pi:"):
            rollout(fh, bad, 10, rng=0)
    for bad in (-1, 1.0, None):
        with pytest.raises(ValueError, match="^n_episodes:"):
            rollout(fh, np.zeros((4, 3), int), bad, rng=0)
    with pytest.raises(ValueError, match="^reward:"):
        rollout(fh, np.zeros((4, 3), int), 10, rng=0, reward="gauss")
    with pytest.raises(ValueError, match="^mdp:"):
        rollout(mdp, np.zeros(3, int), 10, rng=0)


# ----------------------------------------------------------------------------- properties
@given(S=st.integers(1, 5), A=st.integers(1, 3), H=st.integers(1, 4),
       branching=st.sampled_from([None, 1]), stationary=st.booleans(),
       seed=st.integers(0, 2 ** 32 - 1), N=st.sampled_from([0, 1, 7, 10 ** 9]))
def test_samplers_produce_valid_data_on_any_small_mdp(S, A, H, branching, stationary, seed, N):
    """Edge cases: S = 1, A = 1, H = 1, deterministic P (branching 1), N = 0 and N = 1e9."""
    rng = np.random.default_rng(seed)
    mdp = random_mdp(S, A, horizon=H, stationary=stationary, rng=rng,
                     branching=None if branching is None else min(branching, S))
    mu = rng.dirichlet(np.ones(S * A), size=H).reshape(H, S, A)
    d = sample_transition_dataset(mdp, mu, N, rng=rng)
    np.testing.assert_array_equal(d.counts.sum(axis=(1, 2)), N)
    assert np.all(d.next_counts[mdp.P == 0] == 0)          # support respected
    assert np.all((d.reward_sums >= 0) & (d.reward_sums <= d.counts))
    pi = rng.dirichlet(np.ones(A), size=(H, S))
    tr = rollout(mdp, pi, 20, rng=rng)
    h = np.arange(H)
    assert np.all(mdp.P[h, tr.states[:, :-1], tr.actions, tr.states[:, 1:]] > 0)
    assert np.all(pi[h, tr.states[:, :-1], tr.actions] > 0)
    assert np.all(mdp.rho[tr.states[:, 0]] > 0)
    c = tr.to_counts()
    np.testing.assert_array_equal(c.counts.sum(axis=(1, 2)), 20)
