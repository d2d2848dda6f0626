r"""Baselines for offline bandits and MDPs, next to LCB / VI-LCB (:mod:`rlth.algorithms.offline.lcb`).

All read sufficient statistics only (counts, reward sums, next-state counts).

* **greedy** (empirical best): ``argmax_a r_hat(s, a)`` over *visited* actions (an unvisited
  action is chosen only in a context where nothing was logged) -- the ``c -> 0`` limit of LCB.
* **UCB** (optimism): ``argmax_a r_hat + b`` with LCB's penalty ``b``; an unvisited action scores
  ``+1`` (the mirror image of LCB's ``-1``) [D].
* **most played / behaviour cloning**: ``argmax_a N(s, a)`` -- the ``c -> infinity`` limit of
  LCB when every action is visited, and the imitation rule that is exponentially good in a
  multi-armed bandit with ``C* < 2``.
* **plain model-based VI** (certainty equivalence, no penalty): the optimal policy of the
  empirical MDP ``(P_hat, r_hat)`` built from *all* data; an unvisited cell gets ``r_hat = 0`` and
  a self-loop [D].

Ties go to the lowest action index throughout.

References
----------
Rashidinejad et al. (2021), arXiv 2103.12021, Section 3 (MAB: the most-played arm, LCB vs. greedy
/ UCB), Proposition 1 (greedy can fail at bounded C*).  Xiao et al. (ICML 2021) for greedy / UCB /
LCB in offline MAB.

Examples
--------
>>> import numpy as np
>>> counts = np.array([[3, 0, 5]]); sums = np.array([[3.0, 0.0, 1.0]])
>>> int(greedy_from_counts(counts, sums)[0]), int(most_played(counts)[0])
(0, 2)
"""
from __future__ import annotations

import numpy as np

from ..._validation import check_gamma
from .lcb import PAPER_C_CB, _argmax_rows, _check_counts, _empirical_means, lcb_penalty

__all__ = ["greedy_from_counts", "ucb_from_counts", "most_played", "empirical_mdp",
           "plain_vi", "behavior_cloning"]


def greedy_from_counts(counts, reward_sums) -> np.ndarray:
    """Empirical-best action per context among visited actions, shape (S,) int64.

    Parameters
    ----------
    counts : array_like of int, shape (S, A)
    reward_sums : array_like, shape (S, A)
    """
    counts, sums = _check_counts(counts, reward_sums, 2)
    visited = counts > 0
    score = np.where(visited, sums / np.maximum(counts, 1), -np.inf)
    score = np.where(visited.any(axis=1, keepdims=True), score, 0.0)
    return _argmax_rows(score)


def ucb_from_counts(counts, reward_sums, *, delta=None, c: float = PAPER_C_CB,
                    n_samples: int | None = None, n_cells: int | None = None) -> np.ndarray:
    """Optimistic choice ``argmax r_hat + b`` (unvisited: +1), shape (S,) int64.

    Parameters
    ----------
    counts, reward_sums : array_like, shape (S, A)
    delta : float, optional
        Default ``1 / N``.
    c : float
        Same penalty constant as LCB (compare like with like).
    n_samples : int, optional
    n_cells : int, optional
        ``|S||A|`` inside the log (default ``counts.size``).
    """
    counts, c, delta, visited, r_hat = _empirical_means(counts, reward_sums, c, delta, n_samples)
    score = np.where(visited, r_hat + lcb_penalty(counts, delta, c, n_cells), 1.0)
    return _argmax_rows(score)


def most_played(counts) -> np.ndarray:
    """``argmax_a N(s, a)`` per context (behaviour cloning), shape (S,) int64.

    Parameters
    ----------
    counts : array_like of int, shape (S, A) (or (K,) for a bandit: returns shape (1,))
    """
    counts = np.asarray(counts)
    if counts.ndim == 1:
        counts = counts[None, :]
    counts, _ = _check_counts(counts, np.zeros(counts.shape), 2)
    return _argmax_rows(counts.astype(np.float64))


def behavior_cloning(dataset) -> np.ndarray:
    """Most-logged action per state of a dataset (``counts[S, A]``), shape (S,) int64."""
    return most_played(dataset.counts)


def empirical_mdp(counts, reward_sums, next_counts):
    """Certainty-equivalent model: ``(P_hat[S, A, S], r_hat[S, A])``; unvisited cells get
    reward 0 and a self-loop [D]."""
    counts, sums = _check_counts(counts, reward_sums, 2)
    nxt = np.asarray(next_counts, dtype=np.float64)
    S, A = counts.shape
    if nxt.shape != (S, A, S):
        raise ValueError(f"next_counts: expected shape {(S, A, S)}, got {nxt.shape}")
    m = np.maximum(counts, 1)[..., None]
    P = nxt / m
    r = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    unvisited = counts == 0
    if unvisited.any():
        s_idx, a_idx = np.nonzero(unvisited)
        P[s_idx, a_idx, :] = 0.0
        P[s_idx, a_idx, s_idx] = 1.0
    return P, r


def plain_vi(datasets, gamma: float, *, max_iter: int = 1000) -> np.ndarray:
    """Optimal policy of the empirical MDP built from all ``datasets`` (no penalty).

    Solved exactly by policy iteration (linear solves; ties to the lowest action index, and a
    policy changes only where the improvement exceeds 1e-12 so the iteration terminates).

    Parameters
    ----------
    datasets : TransitionDataset or list of TransitionDataset
        Pooled (e.g. all VI-LCB folds together).
    gamma : float
    max_iter : int

    Returns
    -------
    ndarray of int64, shape (S,)
    """
    gamma = check_gamma(gamma)
    if not isinstance(datasets, (list, tuple)):
        datasets = [datasets]
    counts = sum(np.asarray(d.counts, dtype=np.int64) for d in datasets)
    sums = sum(np.asarray(d.reward_sums, dtype=np.float64) for d in datasets)
    nxt = sum(np.asarray(d.next_counts, dtype=np.float64) for d in datasets)
    P, r = empirical_mdp(counts, sums, nxt)
    S, A = r.shape
    idx = np.arange(S)
    pi = np.zeros(S, dtype=np.int64)
    for _ in range(max_iter):
        V = np.linalg.solve(np.eye(S) - gamma * P[idx, pi], r[idx, pi])
        Q = r + gamma * P @ V
        new = _argmax_rows(Q)
        keep = Q[idx, new] <= Q[idx, pi] + 1e-12
        new[keep] = pi[keep]
        if np.array_equal(new, pi):
            break
        pi = new
    return pi
