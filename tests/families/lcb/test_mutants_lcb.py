"""Tests that kill generated mutants of :mod:`rlth.algorithms.offline.lcb` which the other LCB
tests let survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numpy as np

from rlth.algorithms.offline.lcb import vi_lcb
from rlth.data.datasets import TransitionDataset


def _fold(counts, sums, nxt):
    counts = np.asarray(counts, dtype=np.int64)
    return TransitionDataset(counts, np.asarray(sums, float), np.asarray(nxt, dtype=np.int64),
                             int(counts.sum()))


def test_a_single_sample_is_a_visit():
    """VI-LCB (Algorithm 3) with zero penalty on one state: fold 0 sets pi_0 = action 0; in
    fold 1 action 1 has exactly one sample (reward 1, back to the state), so
    q(1) = 1 + gamma V_0 = 1 > V_0 = 0 and the policy switches to it with V_1 = 1.  An action
    seen once is visited: it is not valued as unvisited (-b + gamma min V = 0)."""
    f0 = _fold([[1, 0]], [[0.0, 0.0]], [[[1], [0]]])
    f1 = _fold([[0, 1]], [[0.0, 1.0]], [[[0], [1]]])
    res = vi_lcb([f0, f1], 0.5, penalty_scale=0.0)
    assert res.pi0.tolist() == [0]
    assert res.policy.tolist() == [1]
    assert res.V.tolist() == [1.0]
    assert res.n_updates == 1
    assert res.min_penalty == 0.0      # the one visited cell's penalty (penalty_scale 0)
