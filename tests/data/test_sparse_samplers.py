"""Samplers on CSR models: i.i.d. transition counts and bookkeeping of the sparse datasets.

(The trajectory sampler and the rollouts on CSR models are checked against exact moments in
tests/data/test_trajectory_counts.py.)  Here: the i.i.d. transition sampler of a CSR model
against the exact first and second moments of one counted transition, the sparse dataset's
validation, and the memory/cost claim (a 1e6-state model at N = 1e12).

Tolerance as in test_trajectory_counts.py: |z| > 6.5 on any entry fails; a correct sampler
fails with probability below 1e-7.
"""
from __future__ import annotations

import numpy as np
import pytest

from rlth.data import (SparseTransitionDataset, sample_trajectory_dataset,
                       sample_transition_dataset)
from rlth.instances import chain, random_mdp
from rlth.models import to_sparse

N, REPS, Z_MAX = 6, 20_000, 6.5


def _one_transition_moments(mdp, mu):
    """E[X], E[X X^T] of the statistic of one i.i.d. transition (cell, transition, reward)."""
    S, A = mdp.n_states, mdp.n_actions
    P, R = mdp.P, mdp.R
    D = S * A * (S + 2)
    m1, m2 = np.zeros(D), np.zeros((D, D))
    for s in range(S):
        for a in range(A):
            for t in range(S):
                for r in (0, 1):
                    p = mu[s, a] * P[s, a, t] * (R[s, a] if r else 1 - R[s, a])
                    if p == 0:
                        continue
                    x = np.zeros(D)
                    x[s * A + a] = 1
                    x[S * A + (s * A + a) * S + t] = 1
                    x[S * A + S * A * S + s * A + a] = r
                    m1 += p * x
                    m2 += p * np.outer(x, x)
    return m1, m2


def test_sparse_iid_transitions_match_the_exact_moments():
    mdp = random_mdp(3, 2, gamma=0.9, rng=2, branching=2)
    sm = to_sparse(mdp)
    mu = np.random.default_rng(1).dirichlet(np.ones(6)).reshape(3, 2)
    rng = np.random.default_rng(3)
    Z = []
    for _ in range(REPS):
        d = sample_transition_dataset(sm, mu, N, rng=rng).to_dense()
        Z.append(np.concatenate([d.counts.ravel(), d.next_counts.ravel(), d.reward_sums.ravel()]))
    Z = np.array(Z, dtype=float)
    m1, m2 = _one_transition_moments(mdp, mu)
    e1, e2 = N * m1, N * m2 + N * (N - 1) * np.outer(m1, m1)
    iu = np.triu_indices(Z.shape[1])
    second = (Z[:, :, None] * Z[:, None, :])[:, iu[0], iu[1]]
    for sample, exact in ((Z, e1), (second, e2[iu])):
        mean, se = sample.mean(0), sample.std(0, ddof=1) / np.sqrt(REPS)
        var = se > 0
        assert np.all(np.abs(mean[var] - exact[var]) / se[var] < Z_MAX)
        # never-varying entries: zero with exact mean < 21 N^2 / REPS (P(all 0) < 1e-9), or exact
        const = ~var
        assert np.all((np.abs(mean[const] - exact[const]) < 1e-9)
                      | ((mean[const] == 0) & (exact[const] < 21 * N**2 / REPS)))


def test_sparse_datasets_cost_nothing_in_the_sample_size():
    m = chain(10**6, horizon=2, sparse=True)
    d = sample_trajectory_dataset(m, np.full((10**6, 2), 0.5), 10**12, rng=0)
    assert d.counts.sum() == 2 * 10**12
    assert all(x.size == m.nnz for x in d.next_counts)
    # the episodes start at state 0 and move right or reset: step 1 holds states 0 and 1 only
    assert d.counts[1, 2:].sum() == 0 and d.counts[1, :2].sum() == 10**12


def test_sparse_dataset_validation():
    m = to_sparse(random_mdp(3, 2, horizon=2, rng=0, branching=2))
    d = sample_trajectory_dataset(m, np.full((3, 2), 0.5), 50, rng=0)
    bad = [np.array(x) for x in d.next_counts]
    bad[0][0] += 1
    with pytest.raises(ValueError, match=r"next_counts\[0\]: must sum"):
        SparseTransitionDataset(d.counts, d.reward_sums, bad, d.indptr, d.indices, 50)
    with pytest.raises(ValueError, match="next_counts: expected 2 arrays"):
        SparseTransitionDataset(d.counts, d.reward_sums, d.next_counts[:1], d.indptr,
                                d.indices, 50)
    with pytest.raises(ValueError, match=r"next_counts\[1\]: expected"):
        SparseTransitionDataset(d.counts, d.reward_sums, [d.next_counts[0], d.next_counts[1][:-1]],
                                d.indptr, d.indices, 50)
    with pytest.raises(ValueError, match="indptr"):
        SparseTransitionDataset(d.counts, d.reward_sums, d.next_counts, d.indptr[:-1],
                                d.indices, 50)
    again = SparseTransitionDataset(**d.to_dict())
    assert np.array_equal(again.to_dense().next_counts, d.to_dense().next_counts)


def test_samplers_draw_the_same_on_int32_and_int64_index_layouts(monkeypatch):
    """Same seed, same draws on either CSR index layout (int32, the default at this size, and
    int64), for rollouts, trajectories and i.i.d. transitions; the datasets share the model's
    index arrays instead of copying them."""
    import rlth.models.sparse as msp
    from rlth.data import rollout

    def build():
        return random_mdp(30, 3, horizon=4, rng=3, branching=3, stationary=False, sparse=True)
    narrow = build()
    monkeypatch.setattr(msp, "_INDEX32_MAX", 0)
    wide = build()
    assert narrow.indices.dtype == np.int32 and wide.indices.dtype == np.int64
    pi = np.random.default_rng(0).integers(0, 3, size=(4, 30))
    ra, rb = rollout(narrow, pi, 200, rng=7), rollout(wide, pi, 200, rng=7)
    for x, y in ((ra.states, rb.states), (ra.actions, rb.actions), (ra.rewards, rb.rewards)):
        assert np.array_equal(x, y)
    ta = sample_trajectory_dataset(narrow, pi, 500, rng=8)
    tb = sample_trajectory_dataset(wide, pi, 500, rng=8)
    assert np.array_equal(ta.counts, tb.counts) and np.array_equal(ta.reward_sums, tb.reward_sums)
    assert all(np.array_equal(x, y) for x, y in zip(ta.next_counts, tb.next_counts))
    assert ta.indices is narrow.indices and ta.indptr is narrow.indptr      # shared, not copied
    mu = np.full((4, 30, 3), 1.0 / 90)
    ia = sample_transition_dataset(narrow, mu, 1000, rng=9)
    ib = sample_transition_dataset(wide, mu, 1000, rng=9)
    assert np.array_equal(ia.counts, ib.counts)
    assert all(np.array_equal(x, y) for x, y in zip(ia.next_counts, ib.next_counts))
    assert np.array_equal(ia.next_count_matrix(2).toarray(), ib.next_count_matrix(2).toarray())
