r"""Occupancy measures and concentrability coefficients of policies in exact MDPs.

Finite horizon: the state-action occupancy :math:`d_h(s,a) = \Pr^\pi(s_h = s, a_h = a)` follows
:math:`d_0(s,a) = \rho(s)\pi_0(a\mid s)` and
:math:`d_{h+1}(s',a') = \pi_{h+1}(a'\mid s') \sum_{s,a} d_h(s,a) P_h(s'\mid s,a)`, so
:math:`J^\pi = \sum_h \langle d_h, r_h \rangle`.

Discounted: the normalized occupancy is
:math:`d^\pi(s,a) = (1-\gamma)\sum_t \gamma^t \Pr^\pi(s_t=s,a_t=a)`, i.e.
:math:`d^\pi_S = (1-\gamma)\rho^\top (I-\gamma P^\pi)^{-1}` and
:math:`d^\pi(s,a) = d^\pi_S(s)\pi(a\mid s)`, so
:math:`J^\pi = \langle d^\pi, r\rangle/(1-\gamma)`.

Single-policy concentrability :math:`C^* = \max d^{\pi^*}/\mu` (Rashidinejad et al. 2021) is the
coverage measure of the offline families.

References
----------
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, Sec. 6.9 [R].
"""
from __future__ import annotations

import numpy as np

from .._validation import PROB_TOL, as_float_array, check_distribution
from ..models.mdp import FiniteHorizonMDP
from ..models.sparse import is_sparse_mdp
from . import _sparse
from .dp import check_mdp, is_finite_horizon, policy_array

__all__ = ["occupancy", "concentrability"]


def _reachable(P_pi, start: np.ndarray) -> np.ndarray:
    """States reachable (in >= 0 steps) from ``start`` under the transition matrix ``P_pi``
    (dense array or ``scipy.sparse``)."""
    sparse = not isinstance(P_pi, np.ndarray)
    adj_T = (P_pi.T > 0).astype(np.float64).tocsr() if sparse else None
    adj = None if sparse else P_pi > 0
    reach = start.copy()
    frontier = start.copy()
    while frontier.any():
        hit = (adj_T @ frontier.astype(np.float64)) > 0 if sparse else adj[frontier].any(axis=0)
        nxt = hit & ~reach
        reach |= nxt
        frontier = nxt
    return reach


def occupancy(mdp, pi) -> np.ndarray:
    """State-action occupancy measure of a policy.

    Parameters
    ----------
    mdp : FiniteHorizonMDP or DiscountedMDP
    pi : array_like
        Deterministic or stochastic policy (see :func:`rlth.solvers.dp.evaluate_policy`).

    Returns
    -------
    ndarray
        Finite horizon ``d[H, S, A]`` with ``d[h, s, a] = Pr(s_h = s, a_h = a)`` (each ``d[h]``
        sums to 1); discounted ``d[S, A] = (1 - gamma) sum_t gamma^t Pr(s_t = s, a_t = a)``
        (sums to 1).  Entries outside the reachable support are exactly zero.

    Guarantee
    ---------
    ``sum_h <d[h], R_h> = J^pi`` (finite) and ``<d, R> / (1 - gamma) = J^pi`` (discounted),
    [D] from the definitions (Puterman 1994, Sec. 6.9).

    Examples
    --------
    >>> from rlth.instances import puterman_two_state
    >>> import numpy as np
    >>> d = occupancy(puterman_two_state(), np.array([1, 0]))
    >>> round(float(d.sum()), 12), round(float(d[0, 1]), 12)
    (1.0, 0.05)
    """
    check_mdp(mdp)
    return _occupancy(mdp, policy_array(mdp, pi))


def _occupancy(mdp, pis) -> np.ndarray:
    S, A = mdp.n_states, mdp.n_actions
    if is_sparse_mdp(mdp):
        return _sparse_occupancy(mdp, pis)
    if isinstance(mdp, FiniteHorizonMDP):
        H = mdp.horizon
        Ps = mdp.P_stages
        staged = Ps.shape[0] > 1
        d = np.empty((H, S, A))
        mu = np.asarray(mdp.rho)
        for h in range(H):
            np.multiply(mu[:, None], pis[h], out=d[h])
            if h + 1 < H:
                mu = d[h].reshape(S * A) @ Ps[h if staged else 0].reshape(S * A, S)
        return d
    gamma = mdp.gamma
    P_pi = np.einsum("sa,sat->st", pis, mdp.P)
    dS = np.linalg.solve((np.eye(S) - gamma * P_pi).T, (1.0 - gamma) * mdp.rho)
    start = mdp.rho > 0
    reach = _reachable(P_pi, start) if gamma > 0 else start
    dS = np.where(reach, np.maximum(dS, 0.0), 0.0)
    return dS[:, None] * pis


def _sparse_occupancy(mdp, pis) -> np.ndarray:
    if is_finite_horizon(mdp):
        return _sparse.occupancy(mdp, pis)
    gamma = mdp.gamma
    P_pi = _sparse.policy_matrix(mdp, pis)
    dS = _sparse.solve_system(P_pi.T, (1.0 - gamma) * mdp.rho, gamma)
    start = mdp.rho > 0
    reach = _reachable(P_pi, start) if gamma > 0 else start
    dS = np.where(reach, np.maximum(dS, 0.0), 0.0)
    return dS[:, None] * pis


def concentrability(mdp, pi_target, behavior=None, *, behavior_distribution=None) -> float:
    """Single-policy concentrability coefficient of a behavior distribution.

    .. math:: C = \\max_{(h,)s,a:\\ d^{\\pi}(s,a) > 0} \\frac{d^{\\pi}(s,a)}{\\mu(s,a)}

    with ``mu`` the occupancy of ``behavior`` or the explicit ``behavior_distribution``
    (per step ``h`` in the finite-horizon case).

    Parameters
    ----------
    mdp : FiniteHorizonMDP or DiscountedMDP
    pi_target : array_like
        Target (e.g. optimal) policy.
    behavior : array_like, optional
        Behavior policy; its occupancy is used as ``mu``.
    behavior_distribution : array_like, optional
        Explicit state-action distribution ``mu[H, S, A]`` (each ``mu[h]`` sums to 1) or
        ``mu[S, A]``.  Give exactly one of ``behavior`` and ``behavior_distribution``.

    Returns
    -------
    float
        ``>= 1``; ``== 1`` iff ``mu`` equals the target occupancy; ``inf`` if some state-action
        pair visited by the target has ``mu = 0``.

    References
    ----------
    Rashidinejad, Zhu, Ma, Jiao, Russell (2021), "Bridging offline RL and imitation learning",
    Def. of C* (single-policy concentrability); Xie et al. (2021) for the per-step version.

    Examples
    --------
    >>> from rlth.instances import puterman_two_state
    >>> import numpy as np
    >>> mdp = puterman_two_state()
    >>> concentrability(mdp, np.array([0, 0]), np.array([0, 0]))
    1.0
    >>> concentrability(mdp, np.array([0, 0]), np.array([1, 0]))
    inf
    """
    check_mdp(mdp)
    if (behavior is None) == (behavior_distribution is None):
        raise ValueError("behavior: give exactly one of behavior (a policy) or "
                         "behavior_distribution (a state-action distribution)")
    d = _occupancy(mdp, policy_array(mdp, pi_target, name="pi_target"))
    if behavior is not None:
        mu = _occupancy(mdp, policy_array(mdp, behavior, name="behavior"))
    else:
        mu = as_float_array("behavior_distribution", behavior_distribution, shape=d.shape)
        flat = mu.reshape(mdp.horizon, -1) if mu.ndim == 3 else mu.reshape(-1)
        check_distribution("behavior_distribution", flat, axis=-1, tol=PROB_TOL * 10)
    supp = d > 0
    if np.any(mu[supp] <= 0):
        return float("inf")
    return float(np.max(d[supp] / mu[supp]))
