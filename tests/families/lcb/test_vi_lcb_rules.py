"""VI-LCB's improvement rule and default delta, pinned (issue 17).

Algorithm 3 of Rashidinejad et al. (2021) as documented in :mod:`rlth.algorithms.offline.lcb`:

* the update fires only where ``max_a Q_t(s, a) > V_{t-1}(s)`` (**strict**): on zero rewards
  with no penalty every ``Q_t = 0 = V_{t-1}``, so the output is exactly the behaviour-cloning
  ``pi_0`` with no update (a ``>=`` slip moves the policy to the lowest-index action);
* ``delta`` defaults to ``1 / N`` with ``N`` the total number of samples over **all** folds,
  ``L = 2000 log(2 (T+1) |S||A| / delta)`` and ``b_t = penalty_scale V_max sqrt(L / m_t)``:
  the reported smallest penalty is recomputed here independently from that formula.

Deterministic instances, exact (or 1e-12) comparisons: no statistical failure budget.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from rlth.algorithms.offline.lcb import vi_lcb
from rlth.data.datasets import TransitionDataset


def _fold(counts, rewards_mean=None, next_state=None):
    """A fold with ``counts[S, A]``; rewards ``counts * rewards_mean``; every transition of
    (s, a) goes to ``next_state[s, a]`` (default s)."""
    counts = np.asarray(counts, dtype=np.int64)
    S, A = counts.shape
    rm = np.zeros((S, A)) if rewards_mean is None else np.asarray(rewards_mean, float)
    ns = (np.repeat(np.arange(S)[:, None], A, axis=1) if next_state is None
          else np.asarray(next_state))
    nxt = np.zeros((S, A, S), dtype=np.int64)
    for s in range(S):
        for a in range(A):
            nxt[s, a, ns[s, a]] = counts[s, a]
    return TransitionDataset(counts, counts * rm, nxt, int(counts.sum()))


def _folds_pi0_prefers(action, S=3, A=3, n_folds=4, per_cell=5):
    """Fold 0 logs ``action`` most in every state (so pi_0 = action); folds 1.. uniform."""
    c0 = np.ones((S, A), dtype=np.int64)
    c0[:, action] = 10
    return [_fold(c0)] + [_fold(np.full((S, A), per_cell)) for _ in range(n_folds - 1)]


@pytest.mark.parametrize("action", [1, 2])
@pytest.mark.parametrize("penalty_scale", [0.0, 1.0])
def test_zero_rewards_keep_pi0_strict_improvement(action, penalty_scale):
    folds = _folds_pi0_prefers(action)
    res = vi_lcb(folds, 0.9, penalty_scale=penalty_scale, return_history=True)
    assert np.array_equal(res.pi0, np.full(3, action))
    assert np.array_equal(res.policy, res.pi0)          # never leaves pi_0
    assert res.n_updates == 0
    assert np.array_equal(res.V, np.zeros(3))
    assert np.array_equal(res.V_history, np.zeros((4, 3)))


def test_tie_at_positive_value_does_not_update():
    """Fold 1 sets V_1 > 0 through action 0 in every state; fold 2 offers exactly the same
    Q (same data) through action 0 and a strictly worse one elsewhere: Q_2 = V_1 is a tie, so
    V and pi stay and only fold 1's S updates are counted."""
    S = 2
    c0 = np.array([[1, 9], [1, 9]])                       # pi_0 = action 1
    rm = np.array([[0.5, 0.0], [0.5, 0.0]])
    nxt = np.array([[0, 0], [1, 1]])
    gamma = 0.0          # Q_t = r_hat - b, independent of V: fold 2 reproduces fold 1's Q
    f1 = _fold(np.array([[4, 4], [4, 4]]), rm, nxt)
    f2 = _fold(np.array([[4, 4], [4, 4]]), rm, nxt)
    res = vi_lcb([_fold(c0), f1, f2], gamma, penalty_scale=0.0, return_history=True)
    np.testing.assert_array_equal(res.V, [0.5, 0.5])
    np.testing.assert_array_equal(res.policy, [0, 0])
    assert res.n_updates == S


def test_update_fires_on_strict_gain():
    S, A = 2, 2
    c0 = np.array([[1, 9], [1, 9]])
    rm = np.array([[0.25, 0.0], [0.0, 0.75]])
    res = vi_lcb([_fold(c0), _fold(np.full((S, A), 3), rm)], 0.5, penalty_scale=0.0)
    np.testing.assert_array_equal(res.policy, [0, 1])
    np.testing.assert_allclose(res.V, [0.25, 0.75], rtol=0, atol=1e-15)
    assert res.n_updates == 2


def _coef(N, n_folds, S, A, gamma, penalty_scale):
    L = 2000.0 * math.log(2.0 * n_folds * S * A / (1.0 / N))
    return penalty_scale / (1.0 - gamma) * math.sqrt(L)


@pytest.mark.parametrize("sizes", [(5, 5, 5, 5), (20, 3, 7, 11), (2, 50)])
def test_default_delta_is_one_over_total_n(sizes):
    S, A, gamma = 2, 3, 0.8
    folds = [_fold(np.full((S, A), m)) for m in sizes]
    N = sum(f.n_samples for f in folds)
    assert N == S * A * sum(sizes)
    res = vi_lcb(folds, gamma)
    m_max = max(sizes[1:])
    expected = _coef(N, len(sizes), S, A, gamma, 1.0) / math.sqrt(m_max)
    assert res.min_penalty == pytest.approx(expected, rel=1e-12)
    # explicit delta = 1/N gives the same run; delta from one fold's N does not
    same = vi_lcb(folds, gamma, delta=1.0 / N)
    assert same.min_penalty == res.min_penalty
    one_fold = vi_lcb(folds, gamma, delta=1.0 / folds[0].n_samples)
    assert one_fold.min_penalty < res.min_penalty * (1 - 1e-6)


def test_default_delta_decides_an_update():
    """penalty_scale placed between the penalties at N (total) and N/(T+1) (one fold): the
    update fires only with the smaller penalty, so the default (1/N_total) keeps pi_0."""
    S, A, gamma = 1, 2, 0.5
    m = 100
    c0 = np.array([[1, 9]])
    rm = np.array([[0.9, 0.0]])
    folds = [_fold(c0)] + [_fold(np.array([[m, m]]), rm) for _ in range(3)]
    N = sum(f.n_samples for f in folds)
    b_total = _coef(N, 4, S, A, gamma, 1.0) / math.sqrt(m)
    b_fold0 = _coef(folds[0].n_samples, 4, S, A, gamma, 1.0) / math.sqrt(m)
    assert b_fold0 < b_total
    scale = 0.9 / math.sqrt(b_total * b_fold0)       # 0.9 - scale*b_total < 0 < 0.9 - scale*b_fold0
    assert 0.9 - scale * b_total < 0 < 0.9 - scale * b_fold0
    res = vi_lcb(folds, gamma, penalty_scale=scale)
    assert res.n_updates == 0 and int(res.policy[0]) == 1
    explicit = vi_lcb(folds, gamma, penalty_scale=scale, delta=1.0 / folds[0].n_samples)
    assert explicit.n_updates > 0 and int(explicit.policy[0]) == 0


def test_n_samples_overrides_total():
    S, A, gamma = 2, 2, 0.9
    folds = [_fold(np.full((S, A), 4)) for _ in range(3)]
    res = vi_lcb(folds, gamma, n_samples=10_000)
    expected = _coef(10_000, 3, S, A, gamma, 1.0) / math.sqrt(4)
    assert res.min_penalty == pytest.approx(expected, rel=1e-12)
