r"""K-dependent hard instances for episodic regret (minimax regime of UCBVI / StepMix / EpsMix).

A fixed MDP has a positive gap, so an optimistic algorithm's regret eventually grows like
``log K``.  The ``sqrt(K)`` rate of UCBVI's theorem and of the minimax lower bound
``Omega(sqrt(H^3 S A K))`` (Jin et al. 2018, Domingues et al. 2021) is a statement about the
*least favourable* instance at each ``K``, whose gap shrinks like ``K^{-1/2}``.  This module
builds such a family ([D]: our construction, in the spirit of the lower-bound instances,
not a copy of them).

``gap_chain``: the "good/bad label" chain
-----------------------------------------
States ``s = 2 i + l`` for block ``i in [m]`` and label ``l in {0 (bad), 1 (good)}``,
``S = 2 m``; ``A >= 3`` actions; stationary dynamics; initial distribution uniform on all
``S`` states.

* Reward: ``r(s, a) = l(s)`` (1 in a good state, 0 in a bad one, whatever the action).  The
  online agents (:mod:`rlth.algorithms.online`) know the mean rewards, so the gap is put in the
  transitions, where it has to be learned.
* Transition from any state under action ``a``: the next block is uniform on ``[m]``, the next
  label is good with probability ``q_a``:

  - ``a = A - 1`` (optimal): ``q = 1/2 + gap``;
  - ``1 <= a <= A - 2`` (near-optimal): ``q = 1/2``;
  - ``a = 0`` (trap): ``q = trap_good`` (default 0).  The trap makes the conservative
    constraint bite: the value-minimizing policy plays it everywhere.

  The optimal action has the highest index, so the lowest-index tie-break of the agents is
  adversarial (as in :mod:`rlth.instances.offline_pessimism`).

Closed forms (``H`` horizon, ``r1 = 1/2`` the mean first reward under uniform ``rho``):

* ``Q*_h(s, A-1) - Q*_h(s, a) = gap`` for a near-optimal ``a`` and ``h <= H - 2`` (the next
  label is worth exactly 1 more reward; the future after it does not depend on the label);
  all actions tie at the last step ``h = H - 1``;
* ``V* = r1 + (H - 1)(1/2 + gap)``; a policy that plays a near-optimal action everywhere has
  value ``V* - (H - 1) gap``; the all-trap policy has ``V_worst = r1 + (H - 1) trap_good``;
* the per-step mixture ``(1 - lam) pi_worst + lam pi*`` has value
  ``V_worst + lam (V* - V_worst)`` (linear in ``lam``), so
  :func:`rlth.algorithms.online.stepmix.mixture_baseline` with ``quality = q`` returns ``lam = q``
  and ``V_b = V_worst + q (V* - V_worst)`` (see :func:`rlth.theory.stepmix.gap_chain_values`).

Gap scaling: :func:`minimax_gap` returns ``gap = c sqrt(S A / (H K))``, i.e. ``c`` standard
errors of a Bernoulli(1/2) mean at the average visit count ``K H / (S A)`` of a pair (counts
pooled over steps).  At fixed ``c`` the information about the optimal action does not grow with
``K``, which is the regime of the ``sqrt(K)`` rate; the sup over a grid of ``c`` is the
least-favourable instance of the family at each ``K``.
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_positive_float, check_positive_int
from ..models.mdp import FiniteHorizonMDP

__all__ = ["gap_chain", "minimax_gap", "MAX_GAP"]

#: largest gap the construction allows (optimal action's good-label probability 1/2 + gap <= 1)
MAX_GAP = 0.5


def gap_chain(gap: float, *, n_blocks: int = 2, n_actions: int = 3, horizon: int = 5,
              trap_good: float = 0.0) -> FiniteHorizonMDP:
    """The good/bad-label chain with per-step gap ``gap`` (module docstring).

    Parameters
    ----------
    gap : float in [0, 1/2]
        ``Q*_h(s, a*) - Q*_h(s, a)`` for every near-optimal action ``a`` and step ``h < H - 1``.
    n_blocks : int
        ``m``; ``S = 2 m``.
    n_actions : int >= 3
        Action 0 is the trap, ``1 .. A-2`` near-optimal, ``A - 1`` optimal.
    horizon : int >= 2
    trap_good : float in [0, 1/2)
        Good-label probability after the trap action.

    Returns
    -------
    FiniteHorizonMDP
        Stationary, ``rho`` uniform on the ``2 m`` states.

    Examples
    --------
    >>> mdp = gap_chain(0.1, n_blocks=2, n_actions=3, horizon=5)
    >>> mdp.n_states, mdp.n_actions, mdp.horizon, mdp.is_stationary
    (4, 3, 5, True)
    """
    gap = float(gap)
    if not (math.isfinite(gap) and 0.0 <= gap <= MAX_GAP):
        raise ValueError(f"gap: must lie in [0, {MAX_GAP}], got {gap}")
    m = check_positive_int("n_blocks", n_blocks)
    A = check_positive_int("n_actions", n_actions)
    if A < 3:
        raise ValueError(f"n_actions: need >= 3 (trap, near-optimal, optimal), got {A}")
    H = check_positive_int("horizon", horizon)
    if H < 2:
        raise ValueError(f"horizon: need >= 2 (the gap acts through the next reward), got {H}")
    trap_good = float(trap_good)
    if not (math.isfinite(trap_good) and 0.0 <= trap_good < 0.5):
        raise ValueError(f"trap_good: must lie in [0, 0.5), got {trap_good}")
    S = 2 * m
    q = np.full(A, 0.5)
    q[0] = trap_good
    q[A - 1] = 0.5 + gap
    P = np.zeros((S, A, S))
    for a in range(A):
        row = np.zeros(S)
        row[0::2] = (1.0 - q[a]) / m      # bad label of each block
        row[1::2] = q[a] / m              # good label of each block
        P[:, a, :] = row
    R = np.zeros((S, A))
    R[1::2, :] = 1.0
    return FiniteHorizonMDP(P, R, np.full(S, 1.0 / S), horizon=H)


def minimax_gap(n_episodes: int, c: float, n_states: int, n_actions: int, horizon: int,
                *, cap: float = MAX_GAP) -> float:
    """``min(c sqrt(S A / (H K)), cap)``: ``c`` standard errors at the average pair count [D].

    Examples
    --------
    >>> round(minimax_gap(10_000, 8.0, 4, 3, 5), 6)
    0.123935
    """
    K = check_positive_int("n_episodes", n_episodes)
    c = check_positive_float("c", c)
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions", n_actions)
    H = check_positive_int("horizon", horizon)
    return float(min(c * math.sqrt(S * A / (H * K)), float(cap)))
