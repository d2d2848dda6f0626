r"""Stochastic multi-armed and contextual bandits with exact means.

A multi-armed bandit has arms :math:`a \in [K]` with mean reward ``means[a]``; a contextual bandit
draws a context :math:`s \sim \rho` (``context_probs[s]``) and pays ``means[s, a]`` in
expectation.  Reward noise is ``"bernoulli"`` (means in [0, 1]) or ``"gaussian"`` (``sigma``);
theorems that need bounded rewards (Hoeffding) hold only for the Bernoulli kind.

A contextual bandit is a one-step MDP (``gamma = 0``); :meth:`ContextualBandit.to_mdp` gives it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (as_float_array, check_choice, check_distribution, check_in_range,
                           check_positive_float, readonly_copy)
from .mdp import FiniteHorizonMDP

__all__ = ["MultiArmedBandit", "ContextualBandit", "LinearDuelingBandit", "REWARD_KINDS"]

REWARD_KINDS = ("bernoulli", "gaussian")


def _reward_model(means: np.ndarray, reward: str, sigma) -> tuple[str, float]:
    """Validated ``(reward, sigma)``; Bernoulli rewards need means in [0, 1]."""
    reward = check_choice("reward", reward, REWARD_KINDS)
    if reward == "bernoulli":
        check_in_range("means", means, 0.0, 1.0)
    return reward, check_positive_float("sigma", sigma)


@dataclass(frozen=True, eq=False, init=False)
class MultiArmedBandit:
    """K-armed stochastic bandit.

    Parameters
    ----------
    means : array_like, shape (K,)
        Mean rewards; in [0, 1] for Bernoulli rewards.
    reward : {"bernoulli", "gaussian"}
    sigma : float
        Standard deviation of Gaussian rewards (ignored for Bernoulli).

    Examples
    --------
    >>> MultiArmedBandit([0.5, 0.6]).best_arm
    1
    """

    means: np.ndarray
    reward: str
    sigma: float

    def __init__(self, means, reward: str = "bernoulli", sigma: float = 1.0):
        means = as_float_array("means", means, ndim=1)
        if means.size == 0:
            raise ValueError("means: needs at least one arm")
        reward, sigma = _reward_model(means, reward, sigma)
        object.__setattr__(self, "means", readonly_copy(means))
        object.__setattr__(self, "reward", reward)
        object.__setattr__(self, "sigma", sigma)

    @property
    def n_arms(self) -> int:
        return self.means.shape[0]

    @property
    def best_arm(self) -> int:
        """Lowest-index optimal arm."""
        return int(np.argmax(self.means))

    @property
    def optimal_value(self) -> float:
        return float(self.means.max())

    def gaps(self) -> np.ndarray:
        return self.means.max() - self.means

    def value(self, policy) -> float:
        """Exact expected reward of a distribution over arms (or an arm index)."""
        if np.ndim(policy) == 0:
            arm = np.asarray(policy)
            if arm.dtype.kind not in "iu" or not 0 <= int(arm) < self.n_arms:
                raise ValueError(f"policy: an arm index must be an integer in "
                                 f"[0, {self.n_arms - 1}], got {policy!r}")
            return float(self.means[int(arm)])
        p = as_float_array("policy", policy, shape=(self.n_arms,))
        check_distribution("policy", p)
        return float(p @ self.means)


@dataclass(frozen=True, eq=False, init=False)
class ContextualBandit:
    """Contextual bandit with finitely many contexts.

    Parameters
    ----------
    context_probs : array_like, shape (S,)
        Context distribution rho.
    means : array_like, shape (S, A)
        Mean rewards per (context, action).
    reward : {"bernoulli", "gaussian"}
    sigma : float
    """

    context_probs: np.ndarray
    means: np.ndarray
    reward: str
    sigma: float

    def __init__(self, context_probs, means, reward: str = "bernoulli", sigma: float = 1.0):
        rho = as_float_array("context_probs", context_probs, ndim=1)
        check_distribution("context_probs", rho)
        means = as_float_array("means", means, shape=(rho.shape[0], None))
        if means.shape[1] == 0:
            raise ValueError("means: needs at least one action")
        reward, sigma = _reward_model(means, reward, sigma)
        object.__setattr__(self, "context_probs", readonly_copy(rho))
        object.__setattr__(self, "means", readonly_copy(means))
        object.__setattr__(self, "reward", reward)
        object.__setattr__(self, "sigma", sigma)

    @property
    def n_contexts(self) -> int:
        return self.means.shape[0]

    @property
    def n_actions(self) -> int:
        return self.means.shape[1]

    @property
    def optimal_policy(self) -> np.ndarray:
        """Lowest-index optimal action per context, shape (S,)."""
        return np.argmax(self.means, axis=1)

    @property
    def optimal_value(self) -> float:
        return float(self.context_probs @ self.means.max(axis=1))

    def value(self, policy) -> float:
        """Exact value ``sum_s rho(s) sum_a pi(a|s) means[s, a]``; ``policy`` int ``[S]`` or ``[S, A]``."""
        from .policy import as_stochastic_policy
        pi = as_stochastic_policy(policy, self.n_contexts, self.n_actions, name="policy")
        return float(self.context_probs @ np.sum(pi * self.means, axis=1))

    def to_mdp(self) -> FiniteHorizonMDP:
        """The one-step MDP (H = 1) with self-loops; its value equals :meth:`value`."""
        S, A = self.means.shape
        P = np.broadcast_to(np.eye(S)[:, None, :], (S, A, S))
        lo = min(0.0, float(self.means.min()))
        hi = max(1.0, float(self.means.max()))
        return FiniteHorizonMDP(P, self.means, self.context_probs, horizon=1,
                                reward_range=(lo, hi))


@dataclass(frozen=True, eq=False, init=False)
class LinearDuelingBandit:
    r"""Linear contextual dueling bandit with Bradley-Terry preferences and a KL-regularized
    target (the setting of VPO, Cen et al. 2025, arXiv 2405.19320, Sec. 2 [R]).

    A context :math:`x \sim \rho` arrives; two responses :math:`y, y'` out of :math:`Y` are
    compared and :math:`y` wins with probability :math:`\sigma(r^*(x, y) - r^*(x, y'))`, with the
    linear reward :math:`r^*(x, y) = \langle \phi(x, y), \theta^* \rangle`.  The target is the
    KL-regularized value :math:`J(r, \pi) = \mathbb E_{x\sim\rho}[\mathbb E_{y\sim\pi} r(x, y)
    - \beta\,\mathrm{KL}(\pi(\cdot|x)\,\|\,\pi_{\mathrm{ref}}(\cdot|x))]`, maximized by
    :math:`\pi_r \propto \pi_{\mathrm{ref}} e^{r/\beta}` (ground truth in
    :mod:`rlth.solvers.preference`).

    Parameters
    ----------
    context_probs : array_like, shape (X,)
        :math:`\rho`.
    phi : array_like, shape (X, Y, d)
        Features :math:`\phi(x, y)`.
    theta : array_like, shape (d,)
        :math:`\theta^*`.
    pi_ref : array_like, shape (X, Y)
        Reference policy; every entry must be > 0 (the optimum :math:`\pi^* \propto
        \pi_{\mathrm{ref}} e^{r^*/\beta}` and the policy form :math:`\log(\pi/\pi_{\mathrm{ref}})`
        need full support; a zero would exclude a response the unregularized optimum may need).
    beta : float
        KL strength :math:`\beta > 0`.

    Raises
    ------
    ValueError
        Wrong shapes, non-finite entries, ``context_probs`` / ``pi_ref`` rows not distributions,
        ``pi_ref`` with a zero entry, ``beta <= 0``, ``Y < 2``.

    Examples
    --------
    >>> import numpy as np
    >>> m = LinearDuelingBandit([1.0], [[[0.0], [1.0]]], [2.0], [[0.5, 0.5]], beta=1.0)
    >>> m.rewards.tolist(), round(float(m.preference[0, 1, 0]), 6)
    ([[0.0, 2.0]], 0.880797)
    """

    context_probs: np.ndarray
    phi: np.ndarray
    theta: np.ndarray
    pi_ref: np.ndarray
    beta: float

    def __init__(self, context_probs, phi, theta, pi_ref, beta: float):
        rho = as_float_array("context_probs", context_probs, ndim=1)
        check_distribution("context_probs", rho)
        phi = as_float_array("phi", phi, ndim=3)
        if phi.shape[0] != rho.shape[0]:
            raise ValueError(f"phi: expected {rho.shape[0]} contexts (the length of "
                             f"context_probs) on axis 0, got shape {phi.shape}")
        X, Y, d = phi.shape
        if Y < 2:
            raise ValueError(f"phi: needs at least 2 responses per context, got shape {phi.shape}")
        if d < 1:
            raise ValueError(f"phi: needs feature dimension d >= 1, got shape {phi.shape}")
        theta = as_float_array("theta", theta, shape=(d,))
        ref = as_float_array("pi_ref", pi_ref, shape=(X, Y))
        check_distribution("pi_ref", ref)
        if np.any(ref <= 0.0):
            idx = np.unravel_index(np.argmin(ref), ref.shape)
            raise ValueError(f"pi_ref: must be > 0 everywhere (pi* = pi_ref exp(r/beta)/Z and "
                             f"the policy form need full support), got {ref[idx]!r} at {idx}")
        beta = check_positive_float("beta", beta)
        object.__setattr__(self, "context_probs", readonly_copy(rho))
        object.__setattr__(self, "phi", readonly_copy(phi))
        object.__setattr__(self, "theta", readonly_copy(theta))
        object.__setattr__(self, "pi_ref", readonly_copy(ref))
        object.__setattr__(self, "beta", beta)

    @property
    def n_contexts(self) -> int:
        return self.phi.shape[0]

    @property
    def n_responses(self) -> int:
        return self.phi.shape[1]

    @property
    def dim(self) -> int:
        return self.phi.shape[2]

    @property
    def rewards(self) -> np.ndarray:
        """True rewards :math:`r^*[x, y] = \\phi(x, y)^\\top\\theta^*`, shape (X, Y)."""
        return self.reward_of(self.theta)

    def reward_of(self, theta) -> np.ndarray:
        """Rewards :math:`\\phi(x, y)^\\top\\theta` of a parameter, shape (X, Y)."""
        theta = as_float_array("theta", theta, shape=(self.dim,))
        return self.phi @ theta

    @property
    def preference(self) -> np.ndarray:
        """``P[x, y, y'] = sigma(r*(x, y) - r*(x, y'))``, shape (X, Y, Y) (diagonal 1/2)."""
        r = self.rewards
        diff = r[:, :, None] - r[:, None, :]
        return 0.5 * (1.0 + np.tanh(0.5 * diff))
