"""Tests that kill generated mutants of :mod:`rlth.solvers.dp` which the other solver tests let
survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numpy as np
import pytest

from rlth.solvers.dp import greedy_policy


@pytest.mark.parametrize("Q", [1.0, np.float64(2.0), np.zeros((3, 0)), np.zeros((2, 4, 0))])
def test_greedy_policy_rejects_q_without_actions(Q):
    """A scalar, or an array with an empty action axis, has no greedy action: ValueError naming
    ``Q`` (not an IndexError, and not numpy's anonymous empty-argmax error)."""
    with pytest.raises(ValueError, match="Q: expected an array with at least one action"):
        greedy_policy(Q)


def test_greedy_policy_ties_to_lowest_action():
    Q = np.array([[1.0, 3.0, 3.0], [0.0, 0.0, -1.0]])
    assert greedy_policy(Q).tolist() == [1, 0]
