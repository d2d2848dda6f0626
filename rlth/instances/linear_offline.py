r"""Exact linear MDPs for offline RL with function approximation (PEVI, LinPEVI-ADV+, PNLSVI).

Every builder returns a :class:`LinearOfflineInstance`: a :class:`rlth.models.LinearMDP` (so the
exact solvers give :math:`V^*`, the truncated variances :math:`[\mathbb V_h V^*_{h+1}] =
\max\{1, \mathrm{Var}_h V^*_{h+1}\}` and every occupancy) and the behaviour policy that logs
the data.  Every state is reachable at every stage under the behaviour policy (a uniform initial
distribution and a small "leak" to the uniform distribution), so the uniform-coverage constant
:math:`\kappa = \min_h \lambda_{\min}(\mathbb E_{\mu,h}[\phi\phi^\top])` of PNLSVI's Assumption
3.3 is positive (for one-hot features it is :math:`\min_{h,s,a} d^\mu_h(s,a)`).

Instances (``pnlsvi_hetpevi_stepmix_v2.md`` 1.7 [D])
----------------------------------------------------
``onehot_low_variance``  one-hot (tabular, ``d = S A``) Dirichlet MDP with rewards in a narrow
                         band, so :math:`\mathrm{Var}_h V^*_{h+1} < 1` everywhere and
                         :math:`\mathbb V \equiv 1` (the near-deterministic regime).
``onehot_coin``          one-hot, 3 states: a "coin" state c sends the agent to a good state g
                         (reward ~1 per step) or a bad state b (reward ~0) with probability
                         ~1/2, so :math:`\mathrm{Var}_h V^*_{h+1}(c, \cdot)` is of order
                         :math:`(H-h)^2/8` (the high-variance regime).
``random_features``      a low-dimensional random-feature linear MDP
                         (:func:`rlth.instances.random.random_linear_mdp`, simplex features).
``bellman_class``        a finite function class ``F[H, M, S, A]`` for PNLSVI's nonlinear
                         setting: the Bellman and second-moment backups of a given list of value
                         functions (complete for those values, approximately complete for
                         others; the experiments measure the completeness error).

The behaviour policy is uniform over actions (``behavior[H, S, A]``).  Rewards are
deterministic (``r_h = <phi, theta_h>``, data drawn with ``reward="mean"``), as in the linear MDP
model of Jin et al. (2021), so the second-moment regression of PNLSVI is exact from counts.

References
----------
Q. Di, H. Zhao, J. He, Q. Gu, "Pessimistic Nonlinear Least-Squares Value Iteration for Offline
RL", ICLR 2024, arXiv 2310.01380: Assumption 3.3 (uniform coverage) [V].
C. Jin, Z. Yang, Z. Wang, M. I. Jordan, "Provably efficient RL with linear function
approximation", COLT 2020, Example 2.2 (simplex features) [V3].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._rng import as_generator
from .._validation import check_positive_int
from ..models.linear import LinearMDP
from ..models.mdp import FiniteHorizonMDP
from .random import random_linear_mdp, random_transitions

__all__ = ["LinearOfflineInstance", "onehot_low_variance", "onehot_coin", "random_features",
           "bellman_class"]


@dataclass(frozen=True)
class LinearOfflineInstance:
    """A linear MDP with its behaviour policy.

    Attributes
    ----------
    model : LinearMDP
        ``model.phi`` features, ``model.mdp`` the exact induced tabular MDP.
    behavior : ndarray, shape (H, S, A)
        Stochastic behaviour policy that logs the K trajectories.
    name : str
    regime : str
        ``"low_variance"``, ``"high_variance"`` or ``"random_features"``.
    """

    model: LinearMDP
    behavior: np.ndarray
    name: str
    regime: str


def _leak(probability: float) -> float:
    p = float(probability)
    if not 0.0 < p < 1.0:
        raise ValueError(f"leak: must lie in (0, 1), got {probability!r}")
    return p


def _uniform_behavior(H: int, S: int, A: int) -> np.ndarray:
    return np.full((H, S, A), 1.0 / A)


def onehot_low_variance(n_states: int = 4, n_actions: int = 2, horizon: int = 5, *, rng=0,
                        reward_band: float = 0.2, leak: float = 0.05) -> LinearOfflineInstance:
    r"""One-hot linear MDP with :math:`\mathbb V_h V^*_{h+1} \equiv 1` (near-deterministic values).

    Stationary Dirichlet(1) transitions mixed with ``leak`` of the uniform distribution, rewards
    uniform in ``[0.5 - band/2, 0.5 + band/2]``: the range of :math:`V^*_{h+1}` stays below 2 (a
    contraction of the reward range), hence :math:`\mathrm{Var} < 1` and :math:`\mathbb V = 1`
    (the test suite checks it exactly on the instances the experiments use) [D].

    Parameters
    ----------
    n_states, n_actions, horizon : int
    rng : seed
    reward_band : float in (0, 1]
    leak : float in (0, 1)

    Returns
    -------
    LinearOfflineInstance
    """
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions", n_actions)
    H = check_positive_int("horizon", horizon)
    band = float(reward_band)
    if not 0.0 < band <= 1.0:
        raise ValueError(f"reward_band: must lie in (0, 1], got {reward_band!r}")
    leak = _leak(leak)
    g = as_generator(rng)
    P = (1.0 - leak) * random_transitions((S, A), S, rng=g) + leak / S
    R = 0.5 - band / 2 + band * g.random((S, A))
    mdp = FiniteHorizonMDP(P, R, np.full(S, 1.0 / S), horizon=H)
    return LinearOfflineInstance(LinearMDP.from_tabular(mdp), _uniform_behavior(H, S, A),
                                 f"onehot_low_variance(S={S},A={A},H={H})", "low_variance")


def onehot_coin(horizon: int = 5, *, coin_gap: float = 0.1, leak: float = 0.05,
                fair_action: int = 0) -> LinearOfflineInstance:
    r"""One-hot linear MDP with a coin: high conditional variance of :math:`V^*` early on.

    States ``c = 0`` (coin), ``g = 1`` (good), ``b = 2`` (bad); two actions.  From ``c``, action
    0 reaches ``g`` with probability 1/2 and action 1 with probability ``1/2 - coin_gap`` (else
    ``b``), reward 1/2 either way; ``g`` pays 1 (action 0) or 0.9 (action 1) and ``b`` pays 0
    (action 0) or 0.1 (action 1), each staying put.  Every row is mixed with ``leak`` of the
    uniform distribution and the initial state is uniform, so every cell is logged at every
    stage.  :math:`\mathrm{Var}_h V^*_{h+1}(c, a) \approx (1 - \mathrm{leak})^2 (V^*_{h+1}(g) -
    V^*_{h+1}(b))^2 / 4`, of order :math:`(H - h)^2 / 8` (7.25 at ``H = 8, h = 0``) [D].

    Parameters
    ----------
    horizon : int
    coin_gap : float in [0, 1/2)
    leak : float in (0, 1)
    fair_action : {0, 1}
        Which action at ``c`` has the fair coin (the better one).  ``1`` makes the lowest-index
        tie-break adversarial (used with ``coin_gap ~ c / sqrt(K)``, the least-favourable-gap
        family of the sub-optimality rate check) [D].

    Returns
    -------
    LinearOfflineInstance
    """
    H = check_positive_int("horizon", horizon)
    if fair_action not in (0, 1):
        raise ValueError(f"fair_action: must be 0 or 1, got {fair_action!r}")
    gap = float(coin_gap)
    if not 0.0 <= gap < 0.5:
        raise ValueError(f"coin_gap: must lie in [0, 1/2), got {coin_gap!r}")
    leak = _leak(leak)
    S, A = 3, 2
    P = np.zeros((S, A, S))
    P[0, fair_action] = [0.0, 0.5, 0.5]
    P[0, 1 - fair_action] = [0.0, 0.5 - gap, 0.5 + gap]
    P[1, :, 1] = 1.0
    P[2, :, 2] = 1.0
    P = (1.0 - leak) * P + leak / S
    R = np.array([[0.5, 0.5], [1.0, 0.9], [0.0, 0.1]])
    mdp = FiniteHorizonMDP(P, R, np.full(S, 1.0 / S), horizon=H)
    return LinearOfflineInstance(LinearMDP.from_tabular(mdp), _uniform_behavior(H, S, A),
                                 f"onehot_coin(H={H},gap={gap:.3g})", "high_variance")


def random_features(dim: int, n_states: int = 6, n_actions: int = 3, horizon: int = 3, *,
                    rng=0, alpha: float = 1.0) -> LinearOfflineInstance:
    r"""Random simplex-feature linear MDP (:func:`rlth.instances.random.random_linear_mdp`).

    ``phi(s, a) ~ Dirichlet(alpha)`` on the ``d``-simplex, ``mu_h[:, i]`` distributions over next
    states, ``theta_h ~ U[0, 1]^d`` (Jin et al. 2020, Example 2.2); uniform initial state and
    behaviour policy.  Coverage :math:`\kappa > 0` needs ``S A >= d`` generic features.

    Returns
    -------
    LinearOfflineInstance
    """
    d = check_positive_int("dim", dim)
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions", n_actions)
    H = check_positive_int("horizon", horizon)
    if S * A < d:
        raise ValueError(f"dim: needs n_states * n_actions >= dim for coverage, got "
                         f"{S} * {A} < {d}")
    lin = random_linear_mdp(S, A, d, H, rng=rng, alpha=alpha)
    model = LinearMDP(lin.phi, lin.mu, lin.theta, rho=np.full(S, 1.0 / S))
    return LinearOfflineInstance(model, _uniform_behavior(H, S, A),
                                 f"random_features(d={d},S={S},A={A},H={H})", "random_features")


def bellman_class(mdp: FiniteHorizonMDP, values) -> np.ndarray:
    r"""Finite class of Bellman and second-moment backups of given value functions.

    For value functions ``values[j, h, s]`` (``j < J``, ``h <= H``) and deterministic rewards,
    stage h holds the 2J functions

    .. math:: T_h V_j(s,a) = r_h(s,a) + P_h V_{j,h+1}(s,a), \qquad
              T_{2,h} V_j(s,a) = r_h^2 + 2 r_h P_h V_{j,h+1} + P_h V_{j,h+1}^2

    (PNLSVI's operators T_h and T_{2,h}, Section 3 [V]), so ``F[h]`` contains ``T_h V`` and
    ``T_{2,h} V`` exactly for every listed V (Assumption 3.1 with eps = 0 on that list) and
    approximately for others [D].

    Parameters
    ----------
    mdp : FiniteHorizonMDP
    values : array_like, shape (J, H + 1, S)
        Finite, ``J >= 1``.

    Returns
    -------
    ndarray, shape (H, 2 J, S, A)
    """
    from .._validation import as_float_array
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    V = as_float_array("values", values, ndim=3)
    if V.shape[1:] != (H + 1, S) or V.shape[0] < 1:
        raise ValueError(f"values: expected shape (J, H+1, S) with (H+1, S) = {(H + 1, S)}, "
                         f"got {V.shape}")
    P = np.broadcast_to(mdp.P_stages, (H, S, A, S))
    R = np.broadcast_to(mdp.R_stages, (H, S, A))
    PV = np.einsum("hsat,jht->jhsa", P, V[:, 1:])
    PV2 = np.einsum("hsat,jht->jhsa", P, V[:, 1:] ** 2)
    first = R[None] + PV
    second = R[None] ** 2 + 2.0 * R[None] * PV + PV2
    F = np.concatenate([first, second], axis=0)          # [2J, H, S, A]
    return np.ascontiguousarray(F.transpose(1, 0, 2, 3))
