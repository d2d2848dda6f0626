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
from ._common import finish_from_coo

__all__ = ["riverswim", "chain", "gridworld", "rock_paper_scissors", "puterman_two_state"]


def _one_hot(n: int, i: int) -> np.ndarray:
    out = np.zeros(n)
    out[i] = 1.0
    return out


def _sparse_flag(sparse) -> bool:
    if not isinstance(sparse, (bool, np.bool_)):
        raise ValueError(f"sparse: expected a bool, got {sparse!r}")
    return bool(sparse)


def _check_size(name: str, S: int, A: int, n_succ: int, sparse: bool) -> None:
    """Refuse at once a model this machine cannot hold: the dense ``P`` (pointing to
    ``sparse=True``), and in every case the COO triplets the builder lists first."""
    if not sparse:
        check_array_bytes(name, (S, A, S), what="the dense transitions P",
                          hint="build it as a sparse (CSR) model with sparse=True")
    check_array_bytes(name, (S, A, n_succ, 3), what="the transition triplets (row, column, "
                      "probability)")


def riverswim(n_states: int = 6, *, horizon: int | None = None, gamma: float | None = None,
              small_reward: float = 0.005, large_reward: float = 1.0, sparse: bool = False):
    """RiverSwim (Strehl & Littman 2008) with the Osband-Russo-Van Roy (2013) probabilities.

    Action 0 (left) moves left deterministically; at state 0 it pays ``small_reward``.
    Action 1 (right, against the current): at state 0 moves right w.p. 0.4 else stays; in the
    middle right w.p. 0.35, stays w.p. 0.6, left w.p. 0.05; at the last state stays w.p. 0.6
    else moves left, paying ``large_reward`` there.  Start: state 0.  Rewards are normalized to
    [0, 1] (the original pays 5/1000 and 1).  ``sparse=True`` builds the CSR model
    (:mod:`rlth.models.sparse`; at most 3 successors per pair, so lengths of 1e6 fit).
    """
    S = check_positive_int("n_states", n_states)
    if S < 2:
        raise ValueError(f"n_states: RiverSwim needs at least 2 states, got {S}")
    small_reward = check_real("small_reward", small_reward)
    large_reward = check_real("large_reward", large_reward)
    sparse = _sparse_flag(sparse)
    _check_size("n_states", S, 2, 3, sparse)
    check_in_range("small_reward", np.array([small_reward]), 0.0, 1.0)
    check_in_range("large_reward", np.array([large_reward]), 0.0, 1.0)
    s = np.arange(S)
    mid = s[1:-1]
    # entries in the order of the original loop: left move, then (right, stay, back) per state
    rows = [s * 2, [1, 1], np.repeat(mid * 2 + 1, 3), [2 * (S - 1) + 1] * 2]
    cols = [np.maximum(s - 1, 0), [1, 0], np.stack([mid + 1, mid, mid - 1], 1).ravel(),
            [S - 1, S - 2]]
    vals = [np.ones(S), [0.4, 0.6], np.tile([0.35, 0.6, 0.05], S - 2), [0.6, 0.4]]
    R = np.zeros((S, 2))
    R[0, 0] = small_reward
    R[S - 1, 1] = large_reward
    return finish_from_coo(np.concatenate(rows).astype(np.int64),
                           np.concatenate(cols).astype(np.int64), np.concatenate(vals), S, 2, R,
                           _one_hot(S, 0), horizon, gamma, sparse=sparse, name="n_states")


def chain(n_states: int = 10, *, horizon: int | None = None, gamma: float | None = None,
          slip: float = 0.0, sparse: bool = False):
    """Chain: action 1 moves right (w.p. 1 - slip, else stays), action 0 resets to state 0.

    Reward 1 for action 1 at the last state, 0 elsewhere; start at state 0.  Reaching the reward
    takes ``n_states - 1`` consecutive "right" moves: a classic deep-exploration instance.
    ``sparse=True`` builds the CSR model (:mod:`rlth.models.sparse`).
    """
    S = check_positive_int("n_states", n_states)
    slip = check_real("slip", slip)
    if not 0.0 <= slip < 1.0:
        raise ValueError(f"slip: must lie in [0, 1), got {slip}")
    sparse = _sparse_flag(sparse)
    _check_size("n_states", S, 2, 3, sparse)
    s = np.arange(S)
    # per state, in loop order: reset, right (1 - slip), stay (slip)
    rows = np.stack([2 * s, 2 * s + 1, 2 * s + 1], 1).ravel()
    cols = np.stack([np.zeros(S, dtype=np.int64), np.minimum(s + 1, S - 1), s], 1).ravel()
    vals = np.tile([1.0, 1.0 - slip, slip], S)
    keep = vals > 0
    R = np.zeros((S, 2))
    R[S - 1, 1] = 1.0
    return finish_from_coo(rows[keep], cols[keep], vals[keep], S, 2, R, _one_hot(S, 0), horizon,
                           gamma, sparse=sparse, name="n_states")


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
              pit=None, walls=(), sparse: bool = False):
    """Grid world with 4 actions (up, right, down, left), slippery moves, a goal and a pit.

    The intended move happens w.p. ``1 - slip``; otherwise one of the other three directions,
    uniformly.  Moves into a wall or off the grid stay put.  The goal (default: bottom-right) is
    absorbing and pays 1 per step; the pit (optional) is absorbing and pays 0.  State index is
    ``row * n_cols + col``.  ``sparse=True`` builds the CSR model (:mod:`rlth.models.sparse`,
    at most 5 successors per pair: a 1000 x 1000 grid takes about 0.5 GB), without a dense
    intermediate; the dense form of a grid too large for memory is refused with a
    ``ValueError`` pointing to ``sparse=True``.
    """
    nr = check_positive_int("n_rows", n_rows)
    nc = check_positive_int("n_cols", n_cols)
    slip = check_real("slip", slip)
    if not 0.0 <= slip <= 1.0:
        raise ValueError(f"slip: must lie in [0, 1], got {slip}")
    sparse = _sparse_flag(sparse)
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
    _check_size("n_rows", S, 4, 4, sparse)
    blocked = np.zeros((nr, nc), dtype=bool)
    for (r, c) in walls:
        if not (0 <= r < nr and 0 <= c < nc):
            raise ValueError(f"walls: cell {(r, c)} is outside the {nr}x{nc} grid")
        for name, cell in cells.items():
            if (r, c) == cell:
                raise ValueError(f"walls: cell {(r, c)} is the {name} cell")
        blocked[r, c] = True
    stuck = blocked.copy()                   # absorbing: walls, goal, pit
    stuck[goal] = True
    if pit is not None:
        stuck[cells["pit"]] = True
    rr, cc = np.divmod(np.arange(S), nc)
    # target of each move b from every cell (off-grid or into a wall: stay)
    target = np.empty((4, S), dtype=np.int64)
    for b, (dr, dc) in enumerate(_MOVES):
        r2, c2 = rr + dr, cc + dc
        ok = (r2 >= 0) & (r2 < nr) & (c2 >= 0) & (c2 < nc)
        ok[ok] &= ~blocked[r2[ok], c2[ok]]
        target[b] = np.where(ok, r2 * nc + c2, np.arange(S))
    free = ~stuck.ravel()
    # entries in loop order (s, a, b): the intended move w.p. 1 - slip, the others slip / 3
    probs = np.where(np.eye(4, dtype=bool), 1.0 - slip, slip / 3.0)          # [a, b]
    fs = np.flatnonzero(free)
    rows = np.broadcast_to((fs[:, None] * 4 + np.arange(4))[:, :, None], (fs.size, 4, 4))
    cols = np.broadcast_to(target.T[fs][:, None, :], (fs.size, 4, 4))
    vals = np.broadcast_to(probs[None], (fs.size, 4, 4))
    ss = np.flatnonzero(~free)
    rows = np.concatenate([rows.ravel(), (ss[:, None] * 4 + np.arange(4)).ravel()])
    cols = np.concatenate([cols.ravel(), np.repeat(ss, 4)])
    vals = np.concatenate([vals.ravel(), np.ones(4 * ss.size)])
    keep = vals > 0
    R = np.zeros((S, 4))
    R[goal[0] * nc + goal[1], :] = 1.0
    return finish_from_coo(rows[keep], cols[keep], vals[keep], S, 4, R,
                           _one_hot(S, cells["start"][0] * nc + cells["start"][1]), horizon,
                           gamma, sparse=sparse, name="n_rows")


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
