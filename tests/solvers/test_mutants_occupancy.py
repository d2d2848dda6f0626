"""Tests that kill generated mutants of :mod:`rlth.solvers.occupancy` which the other solver
tests let survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numpy as np
import pytest

from rlth.instances import random_mdp, riverswim
from rlth.models.sparse import to_sparse
from rlth.solvers.dp import value_iteration
from rlth.solvers.occupancy import concentrability, occupancy


@pytest.mark.parametrize("dense", [riverswim(6, gamma=0.9),
                                   random_mdp(7, 3, gamma=0.8, rng=5, branching=3)])
def test_sparse_discounted_occupancy_equals_dense(dense):
    """The CSR route of a discounted occupancy gives the dense one (a distribution over (s, a))
    for the optimal and for a uniform policy."""
    sparse = to_sparse(dense)
    pi_opt = value_iteration(dense).pi
    pi_unif = np.full((dense.n_states, dense.n_actions), 1.0 / dense.n_actions)
    for pi in (pi_opt, pi_unif):
        d_dense = occupancy(dense, pi)
        d_sparse = occupancy(sparse, pi)
        assert d_sparse.shape == d_dense.shape == (dense.n_states, dense.n_actions)
        assert np.all(d_sparse >= 0) and d_sparse.sum() == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(d_sparse, d_dense, atol=1e-12)


def test_concentrability_needs_exactly_one_behavior_argument():
    m = riverswim(4, gamma=0.9)
    pi = value_iteration(m).pi
    with pytest.raises(ValueError):
        concentrability(m, pi)
    with pytest.raises(ValueError):
        concentrability(m, pi, pi, behavior_distribution=np.full((4, 2), 1 / 8))
    assert concentrability(m, pi, pi) == pytest.approx(1.0)
