r"""Textbook offline RL in plain numpy: LCB, VI-LCB, ridge least-squares value iteration, PEVI.

The tabular algorithms read sufficient statistics (counts, reward sums, next-state counts), as
rlth's do; the linear ones read the raw trajectories ``(s_h^k, a_h^k, r_h^k)`` and sum over the
samples exactly as the papers' pseudocode does (rlth's estimators sum over cells instead: the
tests check the two agree).  They import nothing of rlth.

References
----------
.. [1] P. Rashidinejad, B. Zhu, C. Ma, J. Jiao, S. Russell, "Bridging Offline Reinforcement
   Learning and Imitation Learning: A Tale of Pessimism", NeurIPS 2021, arXiv 2103.12021:
   Algorithm 1 (LCB, multi-armed bandits), Algorithm 2 (LCB, contextual bandits), Algorithm 3
   (VI-LCB).
.. [2] Y. Jin, Z. Yang, Z. Wang, "Is Pessimism Provably Efficient for Offline RL?", ICML 2021,
   arXiv 2012.15085: Algorithm 2 (PEVI), Theorem 4.4 (linear-MDP radius).
.. [3] C. Jin, Z. Yang, Z. Wang, M. I. Jordan, "Provably Efficient Reinforcement Learning with
   Linear Function Approximation", COLT 2020, arXiv 1907.05388: Algorithm 1 (LSVI-UCB; the
   least-squares value iteration backbone, here without the bonus).
"""
from __future__ import annotations

import numpy as np

__all__ = ["lcb", "vi_lcb", "ridge_lsvi", "pevi"]


def lcb(counts, reward_sums, delta=None, c=0.5):
    r"""LCB for offline bandits: the arm (per context) with the largest lower confidence bound.

    Pseudocode (Rashidinejad et al. 2021, Algorithm 1 for ``counts[A]``, Algorithm 2 for
    ``counts[S, A]``; ``|S| = 1`` for a multi-armed bandit)::

        r_hat(s, a) = (sum of rewards in cell (s, a)) / N(s, a)      (0 if N(s, a) = 0)
        b(s, a)     = sqrt(c log(2 |S| |A| / delta) / N(s, a))        (1 if N(s, a) = 0)
        pi_hat(s)   = argmax_a r_hat(s, a) - b(s, a)                  (lowest index on ties)

    ``c = 2000`` is the paper's contextual-bandit constant; ``c = 1/2`` (the default, the
    Hoeffding form) is the one rlth assumes for Algorithm 1 (tagged [R] there: not checked
    against the paper's text).  ``delta = 1/N`` by default, as in the theorems.  The penalty is
    not capped: a visited cell with ``b > 1 + r_hat`` scores below an unvisited one.

    Parameters
    ----------
    counts : array_like of int, shape (A,) or (S, A)
        ``N(s, a)``.
    reward_sums : array_like, same shape
        Sum of the observed rewards (in [0, 1]) per cell.
    delta : float, optional
        Failure probability; default ``1 / N`` with ``N = counts.sum()``.
    c : float, default 1/2
        Penalty constant.

    Returns
    -------
    int or ndarray of int64, shape (S,)
        The chosen arm (``counts[A]``) or one action per context.

    References
    ----------
    Rashidinejad et al. (2021), Algorithms 1 and 2.
    """
    counts = np.asarray(counts)
    reward_sums = np.asarray(reward_sums, dtype=np.float64)
    if counts.shape != reward_sums.shape or counts.ndim not in (1, 2) or np.any(counts < 0):
        raise ValueError(f"counts: expected shape (A,) or (S, A) of counts >= 0 matching "
                         f"reward_sums, got {counts.shape} and {reward_sums.shape}")
    delta = 1.0 / max(int(counts.sum()), 1) if delta is None else delta
    n = np.maximum(counts, 1)                              # N(s, a), 1 for the unvisited
    r_hat = np.where(counts > 0, reward_sums / n, 0.0)
    b = np.where(counts > 0, np.sqrt(c * np.log(2 * counts.size / delta) / n), 1.0)
    return np.argmax(r_hat - b, axis=-1)


def vi_lcb(counts, reward_sums, next_counts, gamma, delta=None, penalty_scale=1.0):
    r"""VI-LCB: pessimistic value iteration with one fresh data fold per iteration.

    Pseudocode (Rashidinejad et al. 2021, Algorithm 3, with the constants rlth implements)::

        folds D_0, ..., D_T  (T = floor(log N / (1 - gamma)); given here as counts[T+1, S, A])
        L = 2000 log(2 (T+1) |S| |A| / delta),  V_max = 1 / (1 - gamma)
        pi_0(s) = argmax_a m_0(s, a)                       (behaviour cloning on D_0)
        V_0 = 0
        for t = 1..T  (fold t only; m_t = counts of fold t):
            b_t(s, a) = V_max sqrt(L / max(m_t(s, a), 1))
            Q_t(s, a) = r_t(s, a) - b_t(s, a) + gamma P_t(. | s, a) . V_{t-1}
            where max_a Q_t(s, a) > V_{t-1}(s):   V_t(s), pi_t(s) = max_a Q_t(s, a), argmax
            elsewhere:                            V_t(s), pi_t(s) = V_{t-1}(s), pi_{t-1}(s)
        return V_T, pi_T

    An unvisited cell of fold ``t`` has ``r_t = 0`` and ``P_t`` the point mass on the state of
    lowest ``V_{t-1}`` (the paper allows "any probability vector"; rlth takes the most
    pessimistic one, [D]).  ``penalty_scale`` multiplies ``b_t`` (1 = paper).

    Parameters
    ----------
    counts : array_like of int, shape (T+1, S, A)
    reward_sums : array_like, shape (T+1, S, A)
    next_counts : array_like of int, shape (T+1, S, A, S)
    gamma : float
        Discount factor in [0, 1).
    delta : float, optional
        Default ``1 / N``, ``N`` the samples of all folds.
    penalty_scale : float, default 1

    Returns
    -------
    V : ndarray, shape (S,)
        ``V_T`` (a pessimistic estimate of ``V^{pi_T}``).
    pi : ndarray of int64, shape (S,)
        ``pi_T``.

    References
    ----------
    Rashidinejad et al. (2021), Algorithm 3.
    """
    counts, next_counts = np.asarray(counts), np.asarray(next_counts, dtype=np.float64)
    if counts.ndim != 3 or next_counts.shape != counts.shape + counts.shape[1:2]:
        raise ValueError(f"counts, next_counts: expected shapes (T+1, S, A), (T+1, S, A, S), "
                         f"got {counts.shape}, {next_counts.shape}")
    n_folds, S, A = counts.shape
    delta = 1.0 / max(int(counts.sum()), 1) if delta is None else delta
    coef = penalty_scale / (1 - gamma) * np.sqrt(2000 * np.log(2 * n_folds * S * A / delta))
    V, pi = np.zeros(S), counts[0].argmax(axis=1)          # V_0 = 0, pi_0 = behaviour cloning
    for t in range(1, n_folds):
        n, m = counts[t], np.maximum(counts[t], 1)
        P_t = np.where(n[..., None] > 0, next_counts[t] / m[..., None], np.eye(S)[V.argmin()])
        # Q_t = r_t - b_t + gamma P_t V_{t-1}, r_t = 0 where unvisited, b_t = coef / sqrt(max(m, 1))
        Q = np.where(n > 0, reward_sums[t] / m, 0.0) - coef / np.sqrt(m) + gamma * P_t @ V
        better = Q.max(axis=1) > V                          # strict improvement only
        V, pi = np.where(better, Q.max(axis=1), V), np.where(better, Q.argmax(axis=1), pi)
    return V, pi


def ridge_lsvi(phi, states, actions, rewards, lam=1.0, beta=0.0):
    r"""Least-squares value iteration with ridge regression (optionally minus an elliptical
    penalty): the backbone of LSVI-UCB, PEVI and their variance-weighted relatives.

    Pseudocode (Jin, Yang, Wang 2021, Algorithm 2 with ``beta = 0`` giving plain LSVI;
    0-indexed stages, K trajectories ``(s_h^k, a_h^k, r_h^k)``)::

        V_H = 0
        for h = H-1, ..., 0:
            Lambda_h = sum_k phi(s_h^k, a_h^k) phi(s_h^k, a_h^k)^T + lam I
            w_h      = Lambda_h^{-1} sum_k phi(s_h^k, a_h^k) (r_h^k + V_{h+1}(s_{h+1}^k))
            Gamma_h  = beta ||phi(s, a)||_{Lambda_h^{-1}}
            Q_h(s, a) = clip(phi(s, a)^T w_h - Gamma_h(s, a), 0, H - h)
            V_h(s)    = max_a Q_h(s, a),  pi_h(s) = argmax_a Q_h(s, a)

    The clip to ``[0, H - h]`` is PEVI's truncation (``[0, H - h + 1]`` with 1-indexed stages).

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
        Features.
    states : array_like of int, shape (K, H+1)
        ``states[k, h] = s_h^k``.
    actions : array_like of int, shape (K, H)
    rewards : array_like, shape (K, H)
    lam : float, default 1
        Ridge parameter (> 0).
    beta : float, default 0
        Radius of the penalty (0: plain LSVI).

    Returns
    -------
    Q : ndarray, shape (H, S, A)
    V : ndarray, shape (H + 1, S)
    pi : ndarray of int64, shape (H, S)
        Greedy in ``Q`` (lowest index on ties).

    References
    ----------
    Jin, Yang, Wang (2021), Algorithm 2; Jin, Yang, Wang, Jordan (2020), Algorithm 1.
    """
    states, actions, rewards = np.asarray(states), np.asarray(actions), np.asarray(rewards, float)
    (K, H), (S, A, d) = actions.shape, np.shape(phi)[-3:]
    if states.shape != (K, H + 1) or rewards.shape != (K, H) or not lam > 0:
        raise ValueError(f"states, rewards, lam: need (K, H+1), (K, H), lam > 0, got "
                         f"{states.shape}, {rewards.shape}, {lam}")
    phis = np.broadcast_to(np.asarray(phi, dtype=np.float64), (H, S, A, d))
    Q, V = np.zeros((H, S, A)), np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        X = phis[h][states[:, h], actions[:, h]]                # (K, d): phi(s_h^k, a_h^k)
        y = rewards[:, h] + V[h + 1][states[:, h + 1]]          # r_h^k + V_{h+1}(s_{h+1}^k)
        Lam_inv = np.linalg.inv(X.T @ X + lam * np.eye(d))     # Lambda_h^{-1}
        Gamma = beta * np.sqrt(np.einsum("sai,ij,saj->sa", phis[h], Lam_inv, phis[h]))
        Q[h] = np.clip(phis[h] @ (Lam_inv @ (X.T @ y)) - Gamma, 0.0, H - h)   # w_h = Lam^-1 X^T y
        V[h] = Q[h].max(axis=1)
    return Q, V, Q.argmax(axis=2)


def pevi(phi, states, actions, rewards, delta, c=1.0, lam=1.0):
    r"""PEVI for linear MDPs: :func:`ridge_lsvi` with the radius of Theorem 4.4.

    Pseudocode (Jin, Yang, Wang 2021, Algorithm 2 and Theorem 4.4)::

        beta = c d H sqrt(zeta),  zeta = log(2 d H K / delta)
        run ridge_lsvi with lam = 1 and Gamma_h = beta ||phi||_{Lambda_h^{-1}}:
            Q_h = min{phi^T w_h - Gamma_h, H - h + 1}^+ ,  pi_h = argmax_a Q_h

    ``c`` is the paper's unspecified absolute constant (1: rlth's default, [R]).

    Parameters
    ----------
    phi, states, actions, rewards
        As in :func:`ridge_lsvi`.
    delta : float
        Failure probability (the paper's ``xi``), in (0, 1).
    c : float, default 1
    lam : float, default 1 (paper)

    Returns
    -------
    Q, V, pi
        As in :func:`ridge_lsvi`.

    References
    ----------
    Jin, Yang, Wang (2021), Algorithm 2, Theorem 4.4.
    """
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta: must lie in (0, 1), got {delta}")
    K, H = np.shape(actions)
    d = np.shape(phi)[-1]
    beta = c * d * H * np.sqrt(np.log(2 * d * H * K / delta))
    return ridge_lsvi(phi, states, actions, rewards, lam=lam, beta=beta)
