r"""Exact finite-horizon and discounted Markov decision processes.

Finite horizon (stage-dependent)
--------------------------------
A finite-horizon MDP is :math:`(S, A, H, \{P_h\}, \{r_h\}, \rho)` with transition kernels
:math:`P_h(s' \mid s, a)` stored as ``P[h, s, a, s']``, mean rewards :math:`r_h(s, a)` stored as
``R[h, s, a]`` and initial distribution ``rho[s]``.  Values are ``V[H+1, S]`` with ``V[H] = 0``:

.. math::
    Q_h(s,a) = r_h(s,a) + \sum_{s'} P_h(s'\mid s,a) V_{h+1}(s'),\qquad
    V_h(s) = \max_a Q_h(s,a).

A stationary ``P[S, A, S]`` (or ``R[S, A]``) is stored once and exposed through the same
``[H, ...]`` interface as a zero-stride broadcast view, so a stationary (2000, 10) model with
``H = 50`` costs 320 MB, not 16 GB.  ``P`` and ``R`` are stored independently, so a stationary
``P`` with stage-dependent rewards is not copied either.  Kernels read the compact arrays
``P_stages[h if len(P_stages) > 1 else 0]`` and ``R_stages[h if len(R_stages) > 1 else 0]``.

Discounted
----------
:math:`(S, A, P, r, \gamma, \rho)` with ``P[s, a, s']``, ``R[s, a]`` and
:math:`V^\pi = (I - \gamma P^\pi)^{-1} r^\pi`.

Rewards are mean rewards in the declared ``reward_range`` (default [0, 1]; a paper that
normalizes differently says so and passes its range).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import (as_float_array, as_initial_distribution, check_array_bytes,
                           check_distribution,
                           check_gamma, check_in_range, check_positive_int, check_reward_range,
                           common_horizon,
                           readonly_copy)

__all__ = ["FiniteHorizonMDP", "DiscountedMDP", "uniform_rho"]


def uniform_rho(n_states: int) -> np.ndarray:
    """The uniform initial distribution over ``n_states >= 1`` states, shape (n_states,)."""
    n_states = check_positive_int("n_states", n_states)
    return np.full(n_states, 1.0 / n_states)


def _check_nonempty_P(P: np.ndarray) -> None:
    """At least one state and action (checked before ``R`` is compared with ``P``; an empty
    stage axis is the ``horizon``'s error)."""
    if 0 in P.shape[-3:]:
        raise ValueError(f"P: is empty (needs at least one state and one action), got shape "
                         f"{P.shape}")


@dataclass(frozen=True, eq=False, init=False)
class FiniteHorizonMDP:
    """Finite-horizon MDP with stage-dependent (or stationary) dynamics.

    Parameters
    ----------
    P : array_like, shape (H, S, A, S) or (S, A, S)
        Transition kernels ``P[h, s, a, s'] = P_h(s' | s, a)``; a 3-D array is stationary and
        needs ``horizon``.  Rows must be distributions (tolerance 1e-10).
    R : array_like, shape (H, S, A) or (S, A)
        Mean rewards ``R[h, s, a] = r_h(s, a)``; 2-D means stationary.
    rho : array_like, shape (S,), optional
        Initial-state distribution; uniform when omitted.
    horizon : int, optional
        Required when both ``P`` and ``R`` are stationary; must match otherwise.
    reward_range : (float, float), default (0, 1)
        Declared range of the mean rewards, checked.

    Attributes
    ----------
    P_stages : ndarray, shape (H or 1, S, A, S)
        Compact C-contiguous transitions used by kernels (length 1 when ``P`` is stationary).
    R_stages : ndarray, shape (H or 1, S, A)
        Compact rewards (length 1 when ``R`` is stationary, independently of ``P``).
    P, R : ndarray
        ``[H, ...]`` read-only views (broadcast when stationary).

    Examples
    --------
    >>> import numpy as np
    >>> mdp = FiniteHorizonMDP(np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), horizon=3)
    >>> mdp.horizon, mdp.n_states, mdp.n_actions, mdp.is_stationary
    (3, 2, 1, True)
    """

    P_stages: np.ndarray
    R_stages: np.ndarray
    rho: np.ndarray
    horizon: int
    reward_range: tuple[float, float] = field(default=(0.0, 1.0))

    def __init__(self, P, R, rho=None, horizon=None, reward_range=(0.0, 1.0)):
        P = as_float_array("P", P, ndim=(3, 4))
        R = as_float_array("R", R, ndim=(2, 3))
        if P.shape[-1] != P.shape[-3]:
            raise ValueError(f"P: last axis (next state, {P.shape[-1]}) must equal the state "
                             f"axis ({P.shape[-3]}); got shape {P.shape}")
        _check_nonempty_P(P)
        n_states, n_actions = P.shape[-3], P.shape[-2]
        if R.shape[-2:] != (n_states, n_actions):
            raise ValueError(f"R: trailing shape must be (n_states, n_actions) = "
                             f"{(n_states, n_actions)}, got {R.shape}")
        H = common_horizon(horizon, P=(P, 4), R=(R, 3))
        # every solver allocates values V[H + 1, S]: refuse a horizon they could never hold
        check_array_bytes("horizon", (H + 1, n_states), what="the values V")
        check_distribution("P", P)
        reward_range = check_reward_range(reward_range)
        check_in_range("R", R, *reward_range)
        # each array keeps its own leading length (1 when stationary, else H): a stationary P
        # with stage-dependent rewards is stored once, not H times
        P_stages = P if P.ndim == 4 else P[None]
        R_stages = R if R.ndim == 3 else R[None]
        object.__setattr__(self, "P_stages", readonly_copy(np.ascontiguousarray(P_stages)))
        object.__setattr__(self, "R_stages", readonly_copy(np.ascontiguousarray(R_stages)))
        object.__setattr__(self, "rho", as_initial_distribution(rho, n_states))
        object.__setattr__(self, "horizon", H)
        object.__setattr__(self, "reward_range", reward_range)

    @property
    def n_states(self) -> int:
        return self.P_stages.shape[1]

    @property
    def n_actions(self) -> int:
        return self.P_stages.shape[2]

    @property
    def is_stationary(self) -> bool:
        """Both ``P`` and ``R`` are the same at every stage."""
        return self.P_stages.shape[0] == 1 and self.R_stages.shape[0] == 1

    @property
    def P(self) -> np.ndarray:
        """Transitions as a read-only ``[H, S, A, S]`` view."""
        return np.broadcast_to(self.P_stages, (self.horizon,) + self.P_stages.shape[1:])

    @property
    def R(self) -> np.ndarray:
        """Mean rewards as a read-only ``[H, S, A]`` view."""
        return np.broadcast_to(self.R_stages, (self.horizon,) + self.R_stages.shape[1:])

    def with_rho(self, rho) -> "FiniteHorizonMDP":
        """The same MDP with another initial distribution."""
        P = self.P_stages[0] if self.P_stages.shape[0] == 1 else self.P_stages
        R = self.R_stages[0] if self.R_stages.shape[0] == 1 else self.R_stages
        return FiniteHorizonMDP(P, R, rho, horizon=self.horizon, reward_range=self.reward_range)

    def __repr__(self) -> str:
        kind = "stationary" if self.is_stationary else "stage-dependent"
        return (f"FiniteHorizonMDP(n_states={self.n_states}, n_actions={self.n_actions}, "
                f"horizon={self.horizon}, {kind})")


@dataclass(frozen=True, eq=False, init=False)
class DiscountedMDP:
    """Infinite-horizon discounted MDP.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        ``P[s, a, s'] = P(s' | s, a)``.
    R : array_like, shape (S, A)
        Mean rewards.
    gamma : float
        Discount factor in [0, 1).
    rho : array_like, shape (S,), optional
        Initial distribution (uniform when omitted); used by occupancies and ``J = rho @ V``.
    reward_range : (float, float), default (0, 1)

    Examples
    --------
    >>> import numpy as np
    >>> m = DiscountedMDP(np.ones((2, 2, 2)) / 2, np.ones((2, 2)), gamma=0.5)
    >>> m.n_states, m.gamma
    (2, 0.5)
    """

    P: np.ndarray
    R: np.ndarray
    gamma: float
    rho: np.ndarray
    reward_range: tuple[float, float] = field(default=(0.0, 1.0))

    def __init__(self, P, R, gamma, rho=None, reward_range=(0.0, 1.0)):
        P = as_float_array("P", P, ndim=3)
        if P.shape[2] != P.shape[0]:
            raise ValueError(f"P: expected shape (S, A, S), got {P.shape}")
        _check_nonempty_P(P)
        n_states, n_actions = P.shape[:2]
        R = as_float_array("R", R, shape=(n_states, n_actions))
        check_distribution("P", P)
        reward_range = check_reward_range(reward_range)
        check_in_range("R", R, *reward_range)
        object.__setattr__(self, "P", readonly_copy(P))
        object.__setattr__(self, "R", readonly_copy(R))
        object.__setattr__(self, "gamma", check_gamma(gamma))
        object.__setattr__(self, "rho", as_initial_distribution(rho, n_states))
        object.__setattr__(self, "reward_range", reward_range)

    @property
    def n_states(self) -> int:
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        return self.P.shape[1]

    def to_finite_horizon(self, horizon: int) -> FiniteHorizonMDP:
        """Undiscounted truncation with the same stationary dynamics (no discounting)."""
        return FiniteHorizonMDP(self.P, self.R, self.rho, horizon=horizon,
                                reward_range=self.reward_range)

    def __repr__(self) -> str:
        return (f"DiscountedMDP(n_states={self.n_states}, n_actions={self.n_actions}, "
                f"gamma={self.gamma})")
