"""Classic instances with known answers.

:func:`riverswim` (Strehl & Littman 2008, parametrization of Osband, Russo & Van Roy 2013),
:func:`chain`, :func:`gridworld` (with an optional pit), :func:`rock_paper_scissors`,
:func:`puterman_two_state` (Puterman 2005, section 3.1; analytic solution in the docstring).
"""
from __future__ import annotations

import numpy as np

from .._validation import (check_array_bytes, check_gamma, check_in_range, check_positive_int,
                           check_real)
from ..models.games import MatrixGame
from ..models.mdp import DiscountedMDP
from ._common import finish_mdp

__all__ = ["riverswim", "chain", "gridworld", "rock_paper_scissors", "puterman_two_state"]


def riverswim(n_states: int = 6, *, horizon: int | None = None, gamma: float | None = None,
              small_reward: float = 0.005, large_reward: float = 1.0):
    """RiverSwim (Strehl & Littman 2008) with the Osband-Russo-Van Roy (2013) probabilities.

    Action 0 (left) moves left deterministically; at state 0 it pays ``small_reward``.
    Action 1 (right, against the current): at state 0 moves right w.p. 0.4 else stays; in the
    middle right w.p. 0.35, stays w.p. 0.6, left w.p. 0.05; at the last state stays w.p. 0.6
    else moves left, paying ``large_reward`` there.  Start: state 0.  Rewards are normalized to
    [0, 1] (the original pays 5/1000 and 1).
    """
    S = check_positive_int("n_states", n_states)
    if S < 2:
        raise ValueError(f"n_states: RiverSwim needs at least 2 states, got {S}")
    small_reward = check_real("small_reward", small_reward)
    large_reward = check_real("large_reward", large_reward)
    check_array_bytes("n_states", (S, 2, S), what="the transitions P")
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    for s in range(S):
        P[s, 0, max(s - 1, 0)] = 1.0
        if s == 0:
            P[s, 1, 1] = 0.4
            P[s, 1, 0] = 0.6
        elif s == S - 1:
            P[s, 1, s] = 0.6
            P[s, 1, s - 1] = 0.4
        else:
            P[s, 1, s + 1] = 0.35
            P[s, 1, s] = 0.6
            P[s, 1, s - 1] = 0.05
    R[0, 0] = small_reward
    R[S - 1, 1] = large_reward
    check_in_range("small_reward", np.array([small_reward]), 0.0, 1.0)
    check_in_range("large_reward", np.array([large_reward]), 0.0, 1.0)
    return finish_mdp(P, R, np.eye(S)[0], horizon, gamma)


def chain(n_states: int = 10, *, horizon: int | None = None, gamma: float | None = None,
          slip: float = 0.0):
    """Chain: action 1 moves right (w.p. 1 - slip, else stays), action 0 resets to state 0.

    Reward 1 for action 1 at the last state, 0 elsewhere; start at state 0.  Reaching the reward
    takes ``n_states - 1`` consecutive "right" moves: a classic deep-exploration instance.
    """
    S = check_positive_int("n_states", n_states)
    slip = check_real("slip", slip)
    if not 0.0 <= slip < 1.0:
        raise ValueError(f"slip: must lie in [0, 1), got {slip}")
    check_array_bytes("n_states", (S, 2, S), what="the transitions P")
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    for s in range(S):
        P[s, 0, 0] = 1.0
        nxt = min(s + 1, S - 1)
        P[s, 1, nxt] += 1.0 - slip
        P[s, 1, s] += slip
    R[S - 1, 1] = 1.0
    return finish_mdp(P, R, np.eye(S)[0], horizon, gamma)


_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left


def _cell(name: str, cell) -> tuple[int, int]:
    """A grid cell ``(row, col)`` of two integers."""
    try:
        r, c = cell
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a cell (row, col), got {cell!r}") from None
    for v in (r, c):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{name}: expected a cell of two integers (row, col), got {cell!r}")
    return int(r), int(c)


def gridworld(n_rows: int = 3, n_cols: int = 4, *, horizon: int | None = None,
              gamma: float | None = None, slip: float = 0.1, start=(0, 0), goal=None,
              pit=None, walls=()):
    """Grid world with 4 actions (up, right, down, left), slippery moves, a goal and a pit.

    The intended move happens w.p. ``1 - slip``; otherwise one of the other three directions,
    uniformly.  Moves into a wall or off the grid stay put.  The goal (default: bottom-right) is
    absorbing and pays 1 per step; the pit (optional) is absorbing and pays 0.  State index is
    ``row * n_cols + col``.
    """
    nr = check_positive_int("n_rows", n_rows)
    nc = check_positive_int("n_cols", n_cols)
    slip = check_real("slip", slip)
    if not 0.0 <= slip <= 1.0:
        raise ValueError(f"slip: must lie in [0, 1], got {slip}")
    goal = (nr - 1, nc - 1) if goal is None else goal
    cells = {"start": _cell("start", start), "goal": _cell("goal", goal)}
    if pit is not None:
        cells["pit"] = _cell("pit", pit)
    goal = cells["goal"]
    for name, (r, c) in cells.items():
        if not (0 <= r < nr and 0 <= c < nc):
            raise ValueError(f"{name}: cell {(r, c)} is outside the {nr}x{nc} grid")
    try:
        walls = {_cell("walls", w) for w in walls}
    except TypeError:
        raise ValueError(f"walls: expected a sequence of (row, col) cells, got {walls!r}") from None
    S = nr * nc
    check_array_bytes("n_rows", (S, 4, S), what="the transitions P (n_rows * n_cols states)")
    P = np.zeros((S, 4, S))
    R = np.zeros((S, 4))
    idx = lambda r, c: r * nc + c  # noqa: E731
    absorbing = {goal} | ({cells["pit"]} if pit is not None else set())
    for r in range(nr):
        for c in range(nc):
            s = idx(r, c)
            if (r, c) in absorbing or (r, c) in walls:
                P[s, :, s] = 1.0
                if (r, c) == goal:
                    R[s, :] = 1.0
                continue
            for a in range(4):
                for b, (dr, dc) in enumerate(_MOVES):
                    p = (1.0 - slip) if b == a else slip / 3.0
                    rr, cc = r + dr, c + dc
                    if not (0 <= rr < nr and 0 <= cc < nc) or (rr, cc) in walls:
                        rr, cc = r, c
                    P[s, a, idx(rr, cc)] += p
    return finish_mdp(P, R, np.eye(S)[idx(*cells["start"])], horizon, gamma)


def rock_paper_scissors(scale: float = 1.0) -> MatrixGame:
    """Rock-paper-scissors, row payoff in {-1, 0, 1} * scale; value 0, unique NE uniform."""
    A = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
    return MatrixGame(check_real("scale", scale) * A)


def puterman_two_state(gamma: float = 0.95) -> DiscountedMDP:
    """Puterman (2005), section 3.1: a two-state example with an analytic solution.

    State 0: action 0 pays 5 and moves to each state w.p. 1/2; action 1 pays 10 and moves to
    state 1.  State 1 (single action in the book, duplicated here) pays -1 and stays.
    For ``gamma = 0.95``: ``V* = (-8.571428..., -20)`` and action 0 is optimal in state 0, since
    ``V*(1) = -1/(1-gamma)`` and ``V*(0) = (5 + gamma/2 V*(1)) / (1 - gamma/2)``.
    """
    gamma = check_gamma(gamma)
    P = np.array([[[0.5, 0.5], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    R = np.array([[5.0, 10.0], [-1.0, -1.0]])
    return DiscountedMDP(P, R, gamma, rho=np.array([1.0, 0.0]), reward_range=(-1.0, 10.0))
