r"""Hard, N-dependent instances for offline pessimism (LCB / VI-LCB), with their data laws.

A fixed instance decays exponentially once ``N >> 1/gap^2``; minimax rates are visible only on
instances whose gap shrinks with ``N`` (docs/explanation/theory_notes.md, LCB section 4).  Every builder returns
the exact model, the behaviour distribution ``mu`` over (state, action) pairs, the optimal policy
and the concentrability ``C*`` of ``mu`` (closed form here; :func:`rlth.solvers.occupancy.concentrability`
recomputes it in the experiments and tests).

Conventions [D]: the optimal action is index 1 and the "bad" action index 0, so that LCB's
lowest-index tie-break is adversarial (never a free win).

Instances
---------
``mab_two_point``
    (theory notes #1 / #2) two arms, ``mu(a*) = 1/C*``: rare optimal arm when
    ``C* >= 2``, frequent when ``C* in (1, 2)``.
``cb_expert``
    (#3) ``C* = 1``: S-1 contexts of mass ``1/N`` each.
``cb_ambiguous``
    (#4) ``C* in (1, 2]``: S-1 contexts logged equally on both actions plus one
    expert context; for ``C* > 2`` every context is a two-point instance.
``mdp_replicas``
    (#5) S_r replica states that a* keeps with probability ``p + Delta``,
    ``1 - gamma p = 4 (1 - gamma) / 3``, plus an absorbing 0-reward state.
``mdp_expert``
    (#6) ``C* = 1``: S-2 states of initial mass ``1/N`` each, the wrong action
    falls into an absorbing 0-reward state.

Gaps.  ``least_favorable_gap`` picks, for a two-action cell, the gap that maximizes LCB's
Gaussian-approximate expected loss ``Delta * Phi((g - Delta) / sigma)`` where ``g`` is the
difference of the penalties at the expected counts and ``sigma`` the standard deviation of the
difference of the empirical means [D].  It is the numerical "sup over Delta" of the theory notes (#2) (a
deterministic function of N, so the instance is fixed before any data are drawn).

References
----------
Rashidinejad et al. (2021), arXiv 2103.12021, Sections 3-5 (lower-bound constructions [R]).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_gamma, check_positive_float, check_positive_int
from ..models.bandits import ContextualBandit, MultiArmedBandit
from ..models.mdp import DiscountedMDP

__all__ = ["OfflineInstance", "least_favorable_gap", "mab_two_point", "cb_expert",
           "cb_ambiguous", "mdp_replicas", "mdp_expert"]


@dataclass(frozen=True)
class OfflineInstance:
    """An offline-learning instance.

    Attributes
    ----------
    model : MultiArmedBandit, ContextualBandit or DiscountedMDP
    behavior : ndarray
        ``mu[K]`` (bandit) or ``mu[S, A]`` (contextual bandit, MDP): the data distribution.
    optimal_policy : ndarray of int64
        ``[1]`` for a bandit (the arm), ``[S]`` otherwise.
    c_star : float
        Closed-form single-policy concentrability of ``behavior``.
    gap : float
        The N-dependent gap used (largest over cells).
    description : str
    """

    model: object
    behavior: np.ndarray
    optimal_policy: np.ndarray
    c_star: float
    gap: float
    description: str


def _phi(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr
    return ndtr(x)


def least_favorable_gap(n_star: float, n_other: float, c: float, log_term: float,
                        max_gap: float = 0.5) -> float:
    """Gap maximizing ``Delta * Phi((g - Delta) / sigma)`` on ``(0, max_gap]`` [D].

    Parameters
    ----------
    n_star, n_other : float
        Expected counts of the optimal and the other action (>= 0; a count below 1 is
        taken as 1).
    c : float
        LCB penalty constant; ``g = sqrt(c log_term) (n_star^-1/2 - n_other^-1/2)``.
    log_term : float
        ``log(2 |S||A| / delta)``.
    max_gap : float
        Cap (Bernoulli(1/2 + Delta) needs ``Delta <= 1/2``).

    Returns
    -------
    float
    """
    n_star = max(check_positive_float("n_star", n_star, allow_zero=True), 1.0)
    n_other = max(check_positive_float("n_other", n_other, allow_zero=True), 1.0)
    c = check_positive_float("c", c, allow_zero=True)
    log_term = check_positive_float("log_term", log_term, allow_zero=True)
    max_gap = check_positive_float("max_gap", max_gap)
    if max_gap > 0.5:
        raise ValueError(f"max_gap: must be <= 1/2 (Bernoulli(1/2 + Delta)), got {max_gap}")
    g = math.sqrt(c * log_term) * (n_star ** -0.5 - n_other ** -0.5)
    sigma = 0.5 * math.sqrt(1.0 / n_star + 1.0 / n_other)
    grid = np.linspace(max_gap / 4000.0, max_gap, 4000)
    loss = grid * _phi((g - grid) / sigma)
    return float(grid[int(np.argmax(loss))])


def mab_two_point(c_star: float, n_samples: int, *, c: float = 0.5,
                  gap: float | None = None) -> OfflineInstance:
    """Two-arm instance, ``mu = [1 - 1/C*, 1/C*]``, rewards Bern(1/2) and Bern(1/2 + Delta).

    Parameters
    ----------
    c_star : float
        > 1.  ``C* >= 2``: the optimal arm is the rare one (theory notes #1, LCB's worst case);
        ``C* in (1, 2)``: it is the frequent one (theory notes #2).
    n_samples : int
        N (sets the gap).
    c : float
        LCB penalty constant for which the gap is least favourable.
    gap : float, optional
        Override the least-favourable gap.

    Returns
    -------
    OfflineInstance
    """
    c_star = check_positive_float("c_star", c_star)
    if c_star <= 1.0:
        raise ValueError(f"c_star: must be > 1 for the two-point instance, got {c_star}")
    N = check_positive_int("n_samples", n_samples)
    mu = np.array([1.0 - 1.0 / c_star, 1.0 / c_star])
    if gap is None:
        gap = least_favorable_gap(N * mu[1], N * mu[0], c, math.log(2 * 2 * N))
    gap = float(gap)
    if not 0.0 < gap <= 0.5:
        raise ValueError(f"gap: must lie in (0, 0.5], got {gap}")
    bandit = MultiArmedBandit([0.5, 0.5 + gap])
    kind = "rare" if c_star >= 2 else "frequent"
    return OfflineInstance(bandit, mu, np.array([1]), c_star, gap,
                           f"two-arm MAB, C*={c_star:g}, {kind} optimal arm, gap={gap:.3g}")


def cb_expert(n_contexts: int, n_samples: int) -> OfflineInstance:
    """Expert contextual bandit (``C* = 1``, theory notes #3).

    ``S - 1`` contexts of mass ``1/N``, the rest on context 0; two actions with deterministic
    rewards 1 (action 1 = a*) and 0; ``mu = d_{pi*}`` (only a* is logged).  LCB that picks a* on
    every logged context has expected loss exactly ``(S - 1)/N (1 - 1/N)^N`` (lowest-index tie at
    unseen contexts) [D].
    """
    S = check_positive_int("n_contexts", n_contexts)
    N = check_positive_int("n_samples", n_samples)
    if S < 2 or (S - 1) / N >= 1.0:
        raise ValueError(f"n_contexts: need 2 <= S and (S-1)/N < 1, got S={S}, N={N}")
    rho = np.full(S, 1.0 / N)
    rho[0] = 1.0 - (S - 1) / N
    means = np.tile([0.0, 1.0], (S, 1))
    mu = np.zeros((S, 2))
    mu[:, 1] = rho
    return OfflineInstance(ContextualBandit(rho, means), mu, np.ones(S, dtype=np.int64), 1.0,
                           1.0, f"expert CB, S={S}, rare contexts of mass 1/N")


def cb_ambiguous(n_contexts: int, c_star: float, n_samples: int, *,
                 c: float = 2000.0) -> OfflineInstance:
    """Contextual bandit with ``C* in (1, 2]`` mirroring the ambiguous set (theory notes #4).

    ``C* <= 2``: ``S - 1`` contexts with ``rho = (C* - 1)/(S - 1)`` and
    ``mu(s, a*) = mu(s, bad) = rho / C*``; context 0 with ``rho = 2 - C*`` logged only on a*.
    ``C* > 2``: every context has ``rho = 1/S``, ``mu(s, a*) = rho / C*``,
    ``mu(s, bad) = rho (1 - 1/C*)``.  Rewards Bern(1/2 + Delta_s) (a*) and Bern(1/2); the gap of
    each context is least favourable for LCB with constant ``c`` at its expected counts.
    """
    S = check_positive_int("n_contexts", n_contexts)
    c_star = check_positive_float("c_star", c_star)
    N = check_positive_int("n_samples", n_samples)
    if S < 2 or c_star <= 1.0:
        raise ValueError(f"c_star: need C* > 1 and S >= 2, got C*={c_star}, S={S}")
    rho = np.empty(S)
    mu = np.zeros((S, 2))
    means = np.zeros((S, 2))
    log_term = math.log(2 * S * 2 * N)
    if c_star <= 2.0:
        rho[0] = 2.0 - c_star
        rho[1:] = (c_star - 1.0) / (S - 1)
        mu[0, 1] = rho[0] / c_star
        mu[1:, 1] = rho[1:] / c_star
        mu[1:, 0] = rho[1:] / c_star
        means[0] = [0.0, 1.0]
        amb = np.arange(1, S)
    else:
        rho[:] = 1.0 / S
        mu[:, 1] = rho / c_star
        mu[:, 0] = rho * (1.0 - 1.0 / c_star)
        amb = np.arange(S)
    gaps = []
    for s in amb:
        g = least_favorable_gap(N * mu[s, 1], N * mu[s, 0], c, log_term)
        means[s] = [0.5, 0.5 + g]
        gaps.append(g)
    mu /= mu.sum()
    return OfflineInstance(ContextualBandit(rho, means), mu, np.ones(S, dtype=np.int64), c_star,
                           float(max(gaps)), f"ambiguous CB, S={S}, C*={c_star:g}")


def _replica_stay(gamma: float) -> float:
    return (4.0 * gamma - 1.0) / (3.0 * gamma)


def mdp_replicas(n_replicas: int, gamma: float, n_samples: int, *, c_star: float = 2.0,
                 kappa: float = 1.0) -> OfflineInstance:
    """Discounted hard instance (theory notes #5): ``S = n_replicas + 1`` states, 2 actions.

    Replica states pay reward 1 under both actions; a* (action 1) stays with probability
    ``p + Delta``, action 0 with ``p = (4 gamma - 1)/(3 gamma)``, otherwise the chain falls into the
    absorbing 0-reward state ``S - 1``.  ``rho`` is uniform on the replicas.  The gap
    ``Delta = kappa sqrt((1 - gamma) S_r C* / N)`` makes the transition signal comparable to its
    noise at every N and gamma (signal-to-noise ``~ 1.5 kappa``) [D].

    Data: ``mu(s, a*) = mu(s, 0) = d_{pi*}(s, a*) / C*`` on every replica (equal logging: the
    penalty favours neither action) and the remaining mass on the absorbing state, so the
    concentrability is exactly ``C*`` (a ``ValueError`` if ``C*`` is too small for that).
    """
    S_r = check_positive_int("n_replicas", n_replicas)
    gamma = check_gamma(gamma)
    N = check_positive_int("n_samples", n_samples)
    c_star = check_positive_float("c_star", c_star)
    if gamma < 0.25:
        raise ValueError(f"gamma: must be >= 1/4 so that p = (4 gamma - 1)/(3 gamma) >= 0, got {gamma}")
    p = _replica_stay(gamma)
    delta_gap = kappa * math.sqrt((1.0 - gamma) * S_r * c_star / N)
    if p + delta_gap > 1.0:
        raise ValueError(f"n_samples: gap {delta_gap:.3g} too large for p = {p:.4f} "
                         "(increase N)")
    S = S_r + 1
    z = S - 1
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    for s in range(S_r):
        P[s, 1, s] = p + delta_gap
        P[s, 1, z] = 1.0 - p - delta_gap
        P[s, 0, s] = p
        P[s, 0, z] = 1.0 - p
        R[s] = 1.0
    P[z, :, z] = 1.0
    rho = np.zeros(S)
    rho[:S_r] = 1.0 / S_r
    mdp = DiscountedMDP(P, R, gamma, rho)
    q = p + delta_gap
    d_rep = (1.0 - gamma) / (1.0 - gamma * q) / S_r      # d_{pi*}(s, a*) on each replica
    mu = np.zeros((S, 2))
    mu[:S_r, 1] = d_rep / c_star
    mu[:S_r, 0] = d_rep / c_star
    rest = 1.0 - mu.sum()
    d_z = 1.0 - S_r * d_rep
    if rest <= 0 or d_z / rest > c_star:
        raise ValueError(f"c_star: {c_star} too small for equal logging on this instance")
    mu[z, 1] = rest
    pi_star = np.ones(S, dtype=np.int64)
    return OfflineInstance(mdp, mu, pi_star, c_star, delta_gap,
                           f"replica MDP, S_r={S_r}, gamma={gamma:g}, C*={c_star:g}, "
                           f"Delta={delta_gap:.3g}")


def mdp_expert(n_states: int, gamma: float, n_samples: int) -> OfflineInstance:
    """Expert discounted MDP (theory notes #6, ``C* = 1``): ``S - 2`` rare states of initial mass ``1/N``.

    States ``0..S-2`` loop on themselves under a* (action 1, reward 1); action 0 (reward 0) falls
    into the absorbing 0-reward state ``S - 1``.  ``rho(0) = 1 - (S-2)/N``.  ``mu = d_{pi*} = rho``
    on a*.  Choosing action 0 at a rare state costs ``rho(s) / (1 - gamma) = 1/(N (1 - gamma))``.
    """
    S = check_positive_int("n_states", n_states)
    gamma = check_gamma(gamma)
    N = check_positive_int("n_samples", n_samples)
    if S < 3 or (S - 2) / N >= 1.0:
        raise ValueError(f"n_states: need S >= 3 and (S-2)/N < 1, got S={S}, N={N}")
    z = S - 1
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    for s in range(S - 1):
        P[s, 1, s] = 1.0
        P[s, 0, z] = 1.0
        R[s, 1] = 1.0
    P[z, :, z] = 1.0
    rho = np.zeros(S)
    rho[1:S - 1] = 1.0 / N
    rho[0] = 1.0 - (S - 2) / N
    mdp = DiscountedMDP(P, R, gamma, rho)
    mu = np.zeros((S, 2))
    mu[:S - 1, 1] = rho[:S - 1]
    pi_star = np.ones(S, dtype=np.int64)
    return OfflineInstance(mdp, mu, pi_star, 1.0, 1.0 / (1.0 - gamma),
                           f"expert MDP, S={S}, gamma={gamma:g}, rare states of mass 1/N")
