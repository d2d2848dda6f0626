"""Tests that kill generated mutants of :mod:`rlth.data.offline` which the other data tests let
survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numpy as np
import pytest

from rlth.instances import random_mdp
from rlth.models import FiniteHorizonMDP
from rlth.models.sparse import to_sparse
from rlth.data import sample_transition_dataset


@pytest.mark.parametrize("branching", [1, 2])
def test_sparse_next_state_counts_add_up_to_the_visits_of_every_row_and_stage(branching):
    """CSR sampling of a stage-dependent model: for every step h and row (s, a), the next-state
    counts along the row's stored successors add up to the visits of (s, a) at h (with one
    successor per row they equal them).  Every row is visited: with N = 2000 uniform draws per
    step over 15 rows, a row is missed with probability < 15 (14/15)^2000 < 1e-58."""
    H, S, A, N = 3, 5, 3, 2000
    m = to_sparse(random_mdp(S, A, horizon=H, rng=4, stationary=False, branching=branching))
    mu = np.full((S, A), 1.0 / (S * A))
    ds = sample_transition_dataset(m, mu, N, rng=11)
    assert ds.counts.shape == (H, S, A) and np.all(ds.counts > 0)
    for h in range(H):
        base = m.indptr[h * S * A]
        ptr = np.asarray(m.indptr[h * S * A:(h + 1) * S * A + 1]) - base
        nxt = np.asarray(ds.next_counts[h])
        assert nxt.shape == (ptr[-1],)
        row_sums = np.array([nxt[ptr[r]:ptr[r + 1]].sum() for r in range(S * A)])
        np.testing.assert_array_equal(row_sums, ds.counts[h].reshape(-1))
        if branching == 1:
            np.testing.assert_array_equal(nxt, ds.counts[h].reshape(-1))


def test_bernoulli_rewards_must_be_means_in_the_unit_interval():
    """Mean rewards spanning [-0.5, 0.5] cannot be Bernoulli means: ValueError naming
    ``reward``; the same model is accepted with ``reward='mean'``."""
    P = np.full((2, 2, 2), 0.5)
    R = np.array([[-0.5, 0.5], [0.25, 0.0]])
    m = FiniteHorizonMDP(P, R, horizon=2, reward_range=(-1.0, 1.0))
    mu = np.full((2, 2), 0.25)
    with pytest.raises(ValueError, match="reward"):
        sample_transition_dataset(m, mu, 10, rng=0)
    ds = sample_transition_dataset(m, mu, 10, rng=0, reward="mean")
    assert ds.counts.sum() == 20
