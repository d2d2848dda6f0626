r"""Textbook dynamic programming in plain numpy: backward induction, policy evaluation, value
iteration and policy iteration.

Each function is the pseudocode of Puterman (1994) written out in numpy, with the pseudocode
quoted in its docstring.  Shapes follow rlth's conventions: finite horizon ``P[H, S, A, S]``,
``R[H, S, A]``, values ``V[H+1, S]`` with ``V[H] = 0``, policies ``pi[H, S]`` (int); discounted
``P[S, A, S]``, ``R[S, A]``, ``V[S]``, ``pi[S]``.  Ties of the greedy step go to the lowest action
index (``numpy.argmax``), as rlth's solvers do.

These are oracles, not solvers: no certificates, no speculation, no sparse matrices (pass
``mdp.to_dense().P`` for a CSR model).  They import nothing of rlth.

References
----------
.. [1] M. L. Puterman, *Markov Decision Processes*, Wiley 1994: backward induction (Sec. 4.5),
   policy evaluation (Thm 6.1.1), value iteration (Alg. 6.3.1, Thm 6.3.1), policy iteration
   (Alg. 6.4.1).
.. [2] R. A. Howard, *Dynamic Programming and Markov Processes*, MIT Press 1960.
.. [3] R. S. Sutton, A. G. Barto, *Reinforcement Learning: An Introduction*, 2nd ed., 2018,
   Sec. 4.1-4.4.
"""
from __future__ import annotations

import numpy as np

__all__ = ["backward_induction", "policy_evaluation", "value_iteration", "policy_iteration"]


def _check_discounted(P, R, gamma):
    """Validate ``P[S, A, S]``, ``R[S, A]`` and ``0 <= gamma < 1`` (shared by three oracles)."""
    P, R = np.asarray(P, dtype=np.float64), np.asarray(R, dtype=np.float64)
    if P.ndim != 3 or P.shape[0] != P.shape[2] or R.shape != P.shape[:2]:
        raise ValueError(f"P, R: expected shapes (S, A, S) and (S, A), got {P.shape}, {R.shape}")
    if not 0.0 <= gamma < 1.0:
        raise ValueError(f"gamma: must lie in [0, 1), got {gamma}")
    return P, R


def backward_induction(P, R):
    r"""Finite-horizon optimal values and a greedy optimal policy (Puterman 1994, Sec. 4.5).

    Pseudocode (Puterman's Alg. 4.5.1 with 0-indexed stages)::

        V_H(s) = 0
        for h = H-1, ..., 0:
            Q_h(s, a) = r_h(s, a) + sum_{s'} P_h(s' | s, a) V_{h+1}(s')
            V_h(s)    = max_a Q_h(s, a)
            pi_h(s)   = argmax_a Q_h(s, a)          (lowest index on ties)

    Parameters
    ----------
    P : array_like, shape (H, S, A, S)
        ``P[h, s, a, s']`` transition probabilities.
    R : array_like, shape (H, S, A)
        Mean rewards.

    Returns
    -------
    V : ndarray, shape (H + 1, S)
        Optimal values, ``V[H] = 0``.
    pi : ndarray of int64, shape (H, S)
        Greedy optimal policy.

    References
    ----------
    Puterman (1994), Sec. 4.5 (backward induction); Bellman (1957).
    """
    P, R = np.asarray(P, dtype=np.float64), np.asarray(R, dtype=np.float64)
    if P.ndim != 4 or P.shape[1] != P.shape[3] or R.shape != P.shape[:3]:
        raise ValueError(f"P, R: expected shapes (H, S, A, S) and (H, S, A), got {P.shape}, "
                         f"{R.shape}")
    H, S = P.shape[:2]
    V = np.zeros((H + 1, S))
    pi = np.zeros((H, S), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        Q = R[h] + P[h] @ V[h + 1]          # Q_h(s,a) = r_h(s,a) + sum_s' P_h(s'|s,a) V_{h+1}(s')
        V[h] = Q.max(axis=1)
        pi[h] = Q.argmax(axis=1)             # lowest action index among the maximizers
    return V, pi


def policy_evaluation(P, R, gamma, pi):
    r"""Exact value of a deterministic stationary policy, by one linear solve.

    Pseudocode (Puterman 1994, Thm 6.1.1; Sutton & Barto 2018, eq. 4.4 in matrix form)::

        P_pi(s, s') = P(s' | s, pi(s)),  r_pi(s) = r(s, pi(s))
        V^pi = (I - gamma P_pi)^{-1} r_pi           (solve, never invert)

    Parameters
    ----------
    P : array_like, shape (S, A, S)
    R : array_like, shape (S, A)
    gamma : float
        Discount factor in [0, 1).
    pi : array_like of int, shape (S,)
        ``pi[s]`` the action taken in state ``s``.

    Returns
    -------
    V : ndarray, shape (S,)
        :math:`V^\pi`.

    References
    ----------
    Puterman (1994), Thm 6.1.1.
    """
    P, R = _check_discounted(P, R, gamma)
    S, A = R.shape
    pi = np.asarray(pi)
    if pi.shape != (S,) or pi.dtype.kind not in "iu" or pi.min() < 0 or pi.max() >= A:
        raise ValueError(f"pi: expected {S} integer actions in [0, {A}), got {pi!r}")
    P_pi = P[np.arange(S), pi]               # (S, S): row s is P(. | s, pi(s))
    r_pi = R[np.arange(S), pi]
    return np.linalg.solve(np.eye(S) - gamma * P_pi, r_pi)


def value_iteration(P, R, gamma, tol=1e-10):
    r"""Value iteration with Puterman's stopping rule; returns ``V_{k+1}`` and its greedy policy.

    Pseudocode (Puterman 1994, Alg. 6.3.1)::

        V_0 = 0
        repeat  V_{k+1}(s) = max_a r(s, a) + gamma sum_{s'} P(s' | s, a) V_k(s')
        until   ||V_{k+1} - V_k||_inf < tol (1 - gamma) / (2 gamma)
        pi(s) = argmax_a r(s, a) + gamma sum_{s'} P(s' | s, a) V_{k+1}(s')

    Guarantee (Puterman 1994, Thm 6.3.1): ``||V_{k+1} - V*||_inf < tol / 2`` and ``pi`` is
    ``tol``-optimal.  The rule is used multiplied out, ``2 gamma ||V_{k+1} - V_k|| < tol (1 -
    gamma)``, so that ``gamma = 0`` needs no division (one sweep: ``V_1 = max_a r = V*``).
    rlth's solver stops on ``gamma ||V_{k+1} - V_k|| / (1 - gamma) <= tol`` instead (same
    argument, half the threshold) and adds a rounding term; both answers are within their
    bound of ``V*``.  No iteration cap: at ``gamma`` near 1 with ``tol`` below the rounding
    floor (about ``1e-16 ||V|| / (1 - gamma)``) the loop would not stop; use
    :func:`policy_iteration` there.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
    R : array_like, shape (S, A)
    gamma : float
        Discount factor in [0, 1).
    tol : float, default 1e-10
        The ``epsilon`` of Alg. 6.3.1 (> 0).

    Returns
    -------
    V : ndarray, shape (S,)
        ``V_{k+1}``, within ``tol / 2`` of ``V*``.
    pi : ndarray of int64, shape (S,)
        Greedy with respect to ``V`` (lowest index on ties).

    References
    ----------
    Puterman (1994), Alg. 6.3.1 and Thm 6.3.1.
    """
    P, R = _check_discounted(P, R, gamma)
    if not tol > 0:
        raise ValueError(f"tol: must be > 0, got {tol}")
    V = np.zeros(R.shape[0])
    while True:
        V_new = (R + gamma * P @ V).max(axis=1)          # V_{k+1} = T V_k
        done = 2 * gamma * np.max(np.abs(V_new - V)) < tol * (1 - gamma)
        V = V_new
        if done:
            break
    pi = (R + gamma * P @ V).argmax(axis=1)              # greedy w.r.t. V_{k+1}
    return V, pi


def policy_iteration(P, R, gamma):
    r"""Howard's policy iteration: exact evaluation, greedy improvement, stop when stable.

    Pseudocode (Puterman 1994, Alg. 6.4.1; Howard 1960)::

        pi_0(s) = argmax_a r(s, a)
        repeat
            V_n = (I - gamma P_{pi_n})^{-1} r_{pi_n}                       (evaluation)
            pi_{n+1}(s) in argmax_a r(s, a) + gamma sum_{s'} P(s'|s,a) V_n(s'),
                setting pi_{n+1}(s) = pi_n(s) if possible                  (improvement)
        until pi_{n+1} = pi_n

    "If possible" is read with a round-off tolerance: the incumbent action is kept when no action
    beats it by more than ``1e-12 (1 + |Q|)``, so that rounding cannot make the iteration
    cycle between tied actions.  On ties of ``Q*`` the returned action is therefore *an*
    optimal one, not necessarily the lowest index (rlth's solver behaves the same way).

    Parameters
    ----------
    P : array_like, shape (S, A, S)
    R : array_like, shape (S, A)
    gamma : float
        Discount factor in [0, 1).

    Returns
    -------
    V : ndarray, shape (S,)
        ``V* = V^pi`` (exact linear solve).
    pi : ndarray of int64, shape (S,)
        An optimal deterministic policy.

    References
    ----------
    Howard (1960); Puterman (1994), Alg. 6.4.1 and Thm 6.4.2 (finite termination).
    """
    P, R = _check_discounted(P, R, gamma)
    idx = np.arange(R.shape[0])
    pi = R.argmax(axis=1)
    while True:
        V = policy_evaluation(P, R, gamma, pi)                         # evaluation
        Q = R + gamma * P @ V
        q_max = Q.max(axis=1)
        keep = Q[idx, pi] >= q_max - 1e-12 * (1.0 + np.abs(q_max))    # "if possible"
        if keep.all():
            return V, pi
        pi = np.where(keep, pi, Q.argmax(axis=1))                      # improvement
