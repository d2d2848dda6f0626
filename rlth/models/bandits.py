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

__all__ = ["MultiArmedBandit", "ContextualBandit", "REWARD_KINDS"]

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
