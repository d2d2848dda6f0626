"""Tests that kill generated mutants of :mod:`rlth.data.episodes` which the other data tests let
survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numpy as np
import pytest

from rlth.data.episodes import rollout
from rlth.instances import random_mdp


@pytest.mark.parametrize("pi", [np.array([[0, -1, 1], [1, 0, 0]]), np.array([-1, 0, 0]),
                                np.array([[0, 1, 2], [1, 0, 0]])])
def test_rollout_rejects_action_indices_out_of_range(pi):
    """A deterministic policy with an index < 0 (its largest entry still valid) or >= A is
    rejected with a ValueError naming ``pi``, never wrapped around by negative indexing."""
    m = random_mdp(3, 2, horizon=2, rng=0)
    with pytest.raises(ValueError, match="pi: action indices"):
        rollout(m, pi, 5, rng=0)
