r"""Baselines for offline bandits and MDPs, next to LCB / VI-LCB (:mod:`rlth.algorithms.offline.lcb`).

All read sufficient statistics only (counts, reward sums, next-state counts).

* **greedy** (empirical best): ``argmax_a r_hat(s, a)`` over *visited* actions (an unvisited
  action is chosen only in a context where nothing was logged) -- the ``c -> 0`` limit of LCB.
* **UCB** (optimism): ``argmax_a r_hat + b`` with LCB's penalty ``b``; an unvisited action scores
  ``+1`` (the mirror image of LCB's ``-1``) [D].
* **most played / behaviour cloning**: ``argmax_a N(s, a)`` -- the ``c -> infinity`` limit of
  LCB when every action is visited, and the imitation rule that is exponentially good in a
  multi-armed bandit with ``C* < 2``.
* **empirical policy iteration** (certainty equivalence, no penalty; formerly ``plain_vi``): an
  optimal policy of the empirical MDP ``(P_hat, r_hat)`` built from *all* data, by policy
  iteration; an unvisited cell gets ``r_hat = 0`` and a self-loop [D].

Ties go to the lowest action index throughout (policy iteration: see its ``Ties`` section).

The empirical means, the empirical MDP and the tie-breaking argmax are
:mod:`rlth.estimators.tabular`; :func:`empirical_mdp` is re-exported here.

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

from ..._validation import check_gamma, check_positive_float, check_positive_int
from ...estimators.confidence import resolve_delta
from ...estimators.tabular import argmax_rows, check_counts, empirical_mdp, empirical_means
from ...models.mdp import DiscountedMDP
from ...solvers.dp import policy_iteration
from .lcb import PAPER_C_CB, dataset_fields, lcb_penalty

__all__ = ["greedy_from_counts", "ucb_from_counts", "most_played", "empirical_mdp",
           "empirical_policy_iteration", "behavior_cloning"]


def greedy_from_counts(counts, reward_sums) -> np.ndarray:
    """Empirical-best action per context among visited actions, shape (S,) int64.

    Parameters
    ----------
    counts : array_like of int, shape (S, A)
    reward_sums : array_like, shape (S, A)
    """
    counts, r_hat, visited = empirical_means(counts, reward_sums)
    score = np.where(visited, r_hat, -np.inf)
    score = np.where(visited.any(axis=1, keepdims=True), score, 0.0)
    return argmax_rows(score)


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
    counts, r_hat, visited = empirical_means(counts, reward_sums)
    c = check_positive_float("c", c, allow_zero=True)
    if n_samples is not None:
        n_samples = check_positive_int("n_samples", n_samples)
    delta = resolve_delta(delta, int(counts.sum()) if n_samples is None else n_samples)
    score = np.where(visited, r_hat + lcb_penalty(counts, delta, c, n_cells), 1.0)
    return argmax_rows(score)


def most_played(counts) -> np.ndarray:
    """``argmax_a N(s, a)`` per context (behaviour cloning), shape (S,) int64.

    Parameters
    ----------
    counts : array_like of int, shape (S, A) (or (K,) for a bandit: returns shape (1,))
    """
    counts = np.asarray(counts)
    if counts.ndim == 1:
        counts = counts[None, :]
    counts = check_counts(counts, ndim=2)
    return argmax_rows(counts.astype(np.float64))


def behavior_cloning(dataset) -> np.ndarray:
    """Most-logged action per state of a dataset (``counts[S, A]``), shape (S,) int64."""
    counts, _, _ = dataset_fields(dataset, 2, "dataset with counts[S, A]")
    return most_played(counts)


def empirical_policy_iteration(datasets, gamma: float, *, max_iter: int = 1000) -> np.ndarray:
    """Certainty equivalence: an optimal policy of the empirical MDP of all ``datasets``.

    Builds :func:`~rlth.estimators.tabular.empirical_mdp` from the pooled counts (an unvisited
    cell gets ``r_hat = 0`` and a self-loop [D]) and solves it exactly with Howard's policy
    iteration, :func:`rlth.solvers.dp.policy_iteration` (no penalty: the ``c -> 0`` limit of
    VI-LCB's pessimism, computed to convergence).  This was ``plain_vi`` (a misleading name:
    the computation is policy iteration, not value iteration).

    Parameters
    ----------
    datasets : TransitionDataset or list of TransitionDataset
        Pooled (e.g. all VI-LCB folds together).
    gamma : float
        Discount factor in [0, 1).
    max_iter : int, default 1000
        Safeguard on policy-improvement steps (``RuntimeError`` if the policy is not stable).

    Returns
    -------
    ndarray of int64, shape (S,)

    Ties
    ----
    As :func:`rlth.solvers.dp.policy_iteration`: lowest index among the maximizers at every
    switch, and a state keeps its incumbent action unless another beats it by more than
    ``64 eps (1 + |Q|)``, so on exact ties of the empirical ``Q*`` the result is *an* optimal
    action of the empirical MDP.
    """
    gamma = check_gamma(gamma)
    if not isinstance(datasets, (list, tuple)):
        datasets = [datasets]
    counts = sum(np.asarray(d.counts, dtype=np.int64) for d in datasets)
    sums = sum(np.asarray(d.reward_sums, dtype=np.float64) for d in datasets)
    nxt = sum(np.asarray(d.next_counts, dtype=np.float64) for d in datasets)
    P, r = empirical_mdp(counts, sums, nxt)
    model = DiscountedMDP(P, r, gamma, reward_range=(float(r.min()), float(r.max())))
    return np.array(policy_iteration(model, max_iter=max_iter).pi, dtype=np.int64)
