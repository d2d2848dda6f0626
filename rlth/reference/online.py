r"""Textbook online RL in plain numpy: the planning step of one UCBVI episode.

It imports nothing of rlth.

References
----------
.. [1] M. G. Azar, I. Osband, R. Munos, "Minimax Regret Bounds for Reinforcement Learning",
   ICML 2017, arXiv 1703.05449: Algorithm 1 (UCBVI), Algorithm 2 (UCB-Q-values), Algorithm 3
   (bonus_1, Chernoff-Hoeffding).
"""
from __future__ import annotations

import numpy as np

__all__ = ["ucbvi_episode"]


def ucbvi_episode(R, n_sa, n_sas, Q_prev, L, bonus_scale=1.0, clip="remaining"):
    r"""The optimistic Q-values and greedy policy UCBVI plays in one episode (Hoeffding bonus).

    Pseudocode (Azar et al. 2017, Algorithm 2 "UCB-Q-values" with Algorithm 3 "bonus_1", called
    once per episode by Algorithm 1; 0-indexed stages, known mean rewards ``r_h``)::

        V_H = 0
        for h = H-1, ..., 0:
            for (s, a) with n(s, a) > 0:
                P_hat(. | s, a) = n(s, a, .) / n(s, a)
                b(s, a)         = 7 H L sqrt(1 / n(s, a))
                Q_h(s, a) = min{Q_prev_h(s, a), H, r_h(s, a) + P_hat(. | s, a) . V_{h+1} + b(s, a)}
            for (s, a) with n(s, a) = 0:   Q_h(s, a) = min{Q_prev_h(s, a), H}
            V_h(s) = max_a Q_h(s, a),  pi_h(s) = argmax_a Q_h(s, a)   (lowest index on ties)

    with ``L = ln(5 S A T / delta)``, ``T = K H``, and ``Q_prev`` the previous episode's
    ``Q`` (``H`` everywhere before the first episode).  ``clip="remaining"`` caps ``Q_h`` at
    ``H - h`` instead of the paper's ``H`` (rlth's default, a [D] deviation; both caps bound
    ``Q*_h`` from above).  ``bonus_scale`` multiplies ``b`` (1 = paper).  Only the
    Chernoff-Hoeffding bonus is written out here, not the Bernstein-Freedman ``bonus_2``.

    Parameters
    ----------
    R : array_like, shape (H, S, A)
        Known mean rewards ``r_h(s, a)``.
    n_sa : array_like of int, shape (S, A) or (H, S, A)
        Visits before this episode, pooled over steps (the paper's stationary setting) or one
        table per step.
    n_sas : array_like of int, shape n_sa.shape + (S,)
        Transition counts ``n(s, a, s')``.
    Q_prev : array_like, shape (H, S, A)
        The previous episode's optimistic Q.
    L : float
        The log term ``ln(5 S A T / delta)``.
    bonus_scale : float, default 1
    clip : {"remaining", "H"}

    Returns
    -------
    Q : ndarray, shape (H, S, A)
        The optimistic Q-values of this episode.
    pi : ndarray of int64, shape (H, S)
        The greedy policy played.

    References
    ----------
    Azar, Osband, Munos (2017), Algorithms 1-3.
    """
    R = np.asarray(R, dtype=np.float64)
    H, S, A = R.shape
    if clip not in ("remaining", "H") or np.shape(Q_prev) != R.shape:
        raise ValueError(f"clip, Q_prev: need clip in ('remaining', 'H') and Q_prev of shape "
                         f"{R.shape}, got {clip!r}, {np.shape(Q_prev)}")
    n = np.broadcast_to(n_sa, (H, S, A))
    P_hat = np.broadcast_to(n_sas, (H, S, A, S)) / np.maximum(n, 1)[..., None]
    Q, V = np.zeros((H, S, A)), np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        cap = H - h if clip == "remaining" else H
        b = bonus_scale * 7 * H * L * np.sqrt(1 / np.maximum(n[h], 1))      # bonus_1
        Q[h] = np.where(n[h] > 0, np.minimum(R[h] + P_hat[h] @ V[h + 1] + b, cap), cap)
        Q[h] = np.minimum(Q[h], Q_prev[h])
        V[h] = Q[h].max(axis=1)
    return Q, Q.argmax(axis=2)
