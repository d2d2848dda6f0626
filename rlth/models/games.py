r"""Two-player zero-sum matrix games and finite-horizon Markov games.

Matrix game
-----------
Row payoff ``A[m, n]``: the row player (max) picks :math:`x \in \Delta_m`, the column player
(min) picks :math:`y \in \Delta_n`, the row player receives :math:`x^\top A y`.  The value is
:math:`\max_x \min_y x^\top A y = \min_y \max_x x^\top A y` (von Neumann).

Markov game
-----------
Zero-sum, finite horizon, simultaneous moves: ``P[h, s, a, b, s']``, ``R[h, s, a, b]`` (paid to
the max player), ``rho[s]``.  The Nash value satisfies Shapley's recursion
:math:`V_h(s) = \mathrm{val}\big(R_h(s,\cdot,\cdot) + \sum_{s'} P_h(s'|s,\cdot,\cdot) V_{h+1}(s')\big)`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (as_float_array, as_initial_distribution, check_array_bytes,
                           check_distribution,
                           check_in_range, check_reward_range, common_horizon, readonly_copy)

__all__ = ["MatrixGame", "MarkovGame"]


@dataclass(frozen=True, eq=False, init=False)
class MatrixGame:
    """Zero-sum matrix game with row-player payoff ``A[m, n]`` (row maximizes).

    Examples
    --------
    >>> MatrixGame([[0, -1, 1], [1, 0, -1], [-1, 1, 0]]).shape
    (3, 3)
    """

    A: np.ndarray

    def __init__(self, A):
        A = as_float_array("A", A, ndim=2)
        if 0 in A.shape:
            raise ValueError(f"A: both players need at least one action, got shape {A.shape}")
        A = readonly_copy(A)
        object.__setattr__(self, "A", A)

    @property
    def shape(self) -> tuple[int, int]:
        return self.A.shape

    def payoff(self, x, y) -> float:
        """Expected row payoff ``x^T A y`` of mixed strategies."""
        x = as_float_array("x", x, shape=(self.A.shape[0],))
        y = as_float_array("y", y, shape=(self.A.shape[1],))
        check_distribution("x", x)
        check_distribution("y", y)
        return float(x @ self.A @ y)


@dataclass(frozen=True, eq=False, init=False)
class MarkovGame:
    """Two-player zero-sum finite-horizon Markov game.

    Parameters
    ----------
    P : array_like, shape (H, S, A, B, S) or (S, A, B, S)
        Transitions; 4-D means stationary and requires ``horizon``.
    R : array_like, shape (H, S, A, B) or (S, A, B)
        Mean payoff to the max (row) player.
    rho : array_like, shape (S,), optional
        Initial distribution (uniform when omitted).
    horizon : int, optional
    reward_range : (float, float), default (-1, 1)
    """

    P: np.ndarray
    R: np.ndarray
    rho: np.ndarray
    reward_range: tuple[float, float]

    def __init__(self, P, R, rho=None, horizon=None, reward_range=(-1.0, 1.0)):
        P = as_float_array("P", P, ndim=(4, 5))
        R = as_float_array("R", R, ndim=(3, 4))
        S, A, B = P.shape[-4:-1]
        if P.shape[-1] != S:
            raise ValueError(f"P: expected (..., S, A, B, S), got {P.shape}")
        if R.shape[-3:] != (S, A, B):
            raise ValueError(f"R: trailing shape must be {(S, A, B)}, got {R.shape}")
        H = common_horizon(horizon, P=(P, 5), R=(R, 4))
        check_distribution("P", P)
        reward_range = check_reward_range(reward_range)
        check_in_range("R", R, *reward_range)
        check_array_bytes("horizon", (H, S, A, B, S), what="the stage-wise transitions P")
        P = readonly_copy(np.ascontiguousarray(np.broadcast_to(P, (H, S, A, B, S))))
        R = readonly_copy(np.ascontiguousarray(np.broadcast_to(R, (H, S, A, B))))
        object.__setattr__(self, "P", P)
        object.__setattr__(self, "R", R)
        object.__setattr__(self, "rho", as_initial_distribution(rho, S))
        object.__setattr__(self, "reward_range", reward_range)

    @property
    def horizon(self) -> int:
        return self.P.shape[0]

    @property
    def n_states(self) -> int:
        return self.P.shape[1]

    @property
    def n_actions_max(self) -> int:
        return self.P.shape[2]

    @property
    def n_actions_min(self) -> int:
        return self.P.shape[3]

    def __repr__(self) -> str:
        return (f"MarkovGame(n_states={self.n_states}, n_actions=({self.n_actions_max}, "
                f"{self.n_actions_min}), horizon={self.horizon})")
