r"""Exact solvers for two-player zero-sum matrix games and finite-horizon Markov games.

Every solution comes with a certificate that a caller can check without trusting the solver.

Matrix games
------------
The row player (max) picks :math:`x \in \Delta_m`, the column player (min) picks
:math:`y \in \Delta_n`, the row player receives :math:`x^\top A y`.  By von Neumann's minimax
theorem :math:`\max_x \min_y x^\top A y = \min_y \max_x x^\top A y = v^*`.  The row player's
maxmin strategy solves the linear program (variables :math:`(x, v)`)

.. math::
    \max_{x, v}\; v \quad \text{s.t.}\quad A^\top x \ge v \mathbf{1}_n,\quad
    \mathbf{1}_m^\top x = 1,\quad x \ge 0 ,

written for ``scipy.optimize.linprog`` as ``min c^T z`` with ``c = (0, ..., 0, -1)``,
``A_ub = [-A^T | 1]``, ``b_ub = 0``, ``A_eq = [1 ... 1 | 0]``, ``b_eq = 1`` (the same LP as
Nashpy's ``linalg/minimax.py``).  Its LP dual is the column player's problem
:math:`\min_{y, w} w` s.t. :math:`A y \le w \mathbf{1}_m`, :math:`\mathbf{1}^\top y = 1`,
:math:`y \ge 0`, whose variables are the multipliers :math:`\lambda \ge 0` of the ``n``
inequality rows.  **The column strategy is read from the HiGHS dual marginals**,
:math:`y = -\partial \mathrm{obj} / \partial b_{ub}` (``-res.ineqlin.marginals``); with cvxpy it
is the dual value of the constraint :math:`A^\top x \ge v`.  No second LP is solved.

Certificate.  For any pair :math:`(x, y)`,

.. math::
    \underline v(x) = \min_j (x^\top A)_j \;\le\; v^* \;\le\; \max_i (A y)_i = \overline v(y),

so the *duality gap* :math:`\overline v(y) - \underline v(x) \ge 0` bounds both players'
sub-optimality and :math:`|v - v^*|` for any reported :math:`v \in [\underline v, \overline v]`;
it is zero iff :math:`(x, y)` is a Nash equilibrium.  :func:`matrix_game_gap` computes it from
``(A, x, y)`` alone.

Markov games
------------
Zero-sum, finite horizon, simultaneous moves: ``P[h, s, a, b, s']``, ``R[h, s, a, b]`` (paid to
the max player), ``rho[s]``, with ``V[H] = 0``.  Shapley's (1953) backward recursion

.. math::
    Q_h(s, a, b) = R_h(s, a, b) + \sum_{s'} P_h(s' \mid s, a, b) V_{h+1}(s'), \qquad
    V_h(s) = \mathrm{val}\, Q_h(s, \cdot, \cdot)

solves one matrix game per ``(h, s)``; the equilibrium strategies of those stage games form a
Markov perfect Nash equilibrium ``(pi_max[H, S, A], pi_min[H, S, B])``.

Certificate.  Against a fixed opponent the other player faces an MDP, so the best-response
values are exact dynamic programs:

.. math::
    V^{\dagger,\nu}_h(s) = \max_a \sum_b \nu_h(b\mid s) \big[R_h + P_h V^{\dagger,\nu}_{h+1}\big](s,a,b),
    \qquad
    V^{\mu,\dagger}_h(s) = \min_b \sum_a \mu_h(a\mid s) \big[R_h + P_h V^{\mu,\dagger}_{h+1}\big](s,a,b).

The exploitability (Nash gap) of :math:`(\mu, \nu)` is
:math:`\rho^\top (V^{\dagger,\nu}_0 - V^{\mu,\dagger}_0) \ge 0`, zero iff the pair is a Nash
equilibrium from ``rho`` (Markov policies suffice for a best response in a finite-horizon MDP).

References
----------
J. von Neumann (1928), *Zur Theorie der Gesellschaftsspiele*: the minimax theorem.
L. S. Shapley (1953), *Stochastic games*, PNAS 39(10): the value recursion (finite-horizon form).
G. B. Dantzig (1951), *A proof of the equivalence of the programming problem and the game
problem*: the LP formulation above.  V. Knight & J. Campbell, Nashpy ``linalg/minimax.py``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from .._validation import as_array, as_float_array, check_distribution, check_instance, freeze
from ..models.games import MarkovGame, MatrixGame
from ..models.policy import as_stochastic_policy
from ._cvxpy import CVXPY_SOLVERS, check_lp_solver, solve_cvxpy

__all__ = [
    "MatrixGameSolution",
    "MarkovGameSolution",
    "minimax_objective",
    "minimax_inequalities",
    "minimax_equality",
    "minimax_bounds",
    "solve_matrix_game",
    "matrix_game_gap",
    "solve_markov_game",
    "best_response_value",
    "evaluate_policy_pair",
    "exploitability",
    "CVXPY_SOLVERS",
]

# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class MatrixGameSolution:
    """Nash equilibrium of a zero-sum matrix game with its certificate.

    Attributes
    ----------
    x : ndarray, shape (m,)
        Row (max) player's maxmin strategy, a distribution (clipped at 0 and renormalized).
    y : ndarray, shape (n,)
        Column (min) player's minmax strategy.
    value : float
        The LP optimum, clipped into the certified bracket
        ``[min_j (x^T A)_j, max_i (A y)_i]``.
    duality_gap : float
        ``max_i (A y)_i - min_j (x^T A)_j``, recomputed from ``(A, x, y)`` on the payoffs
        shifted by ``min A`` (see :func:`matrix_game_gap`); ``>= 0`` up to round-off (a value
        like ``-7e-16`` is reported as is, not clipped); bounds ``|value - v*|`` and each
        player's loss against a best response.
    payoff_range : float
        ``max A - min A``.
    relative_gap : float
        ``duality_gap / payoff_range`` (``0.0`` for a constant game, whose gap is exactly 0):
        the certificate on the game's own scale, invariant under ``A -> a A + b`` (``a > 0``).
    """

    x: np.ndarray
    y: np.ndarray
    value: float
    duality_gap: float
    payoff_range: float = float("nan")
    relative_gap: float = float("nan")


@dataclass(frozen=True, eq=False)
class MarkovGameSolution:
    """Nash equilibrium of a finite-horizon zero-sum Markov game with its certificate.

    Attributes
    ----------
    V : ndarray, shape (H+1, S)
        Nash values, ``V[H] = 0``.
    Q : ndarray, shape (H, S, A, B)
        Stage payoff matrices ``R_h + P_h V_{h+1}``.
    pi_max : ndarray, shape (H, S, A)
    pi_min : ndarray, shape (H, S, B)
    value : float
        ``rho @ V[0]``.
    exploitability : float
        ``rho @ (V^{BR to pi_min}[0] - V^{BR to pi_max}[0])`` computed by exact best-response DP,
        independently of the recursion that produced ``V`` (on the rewards shifted by
        ``min R_h`` per stage, see :func:`exploitability`).
    payoff_range : float
        ``sum_h (max R_h - min R_h)``, a bound on the spread of the total payoff over all
        policy pairs and start states.
    relative_exploitability : float
        ``exploitability / payoff_range`` (``0.0`` when every stage's rewards are constant).
    stage_gaps : ndarray, shape (H, S)
        Duality gap of each stage game ``Q[h, s]`` as solved (each stage LP is scaled by its own
        payoff range, see :func:`solve_matrix_game`).
    """

    V: np.ndarray
    Q: np.ndarray
    pi_max: np.ndarray
    pi_min: np.ndarray
    value: float
    exploitability: float
    payoff_range: float = float("nan")
    relative_exploitability: float = float("nan")
    stage_gaps: np.ndarray | None = None


# ----------------------------------------------------------------------------- LP ingredients


def minimax_objective(n_rows: int) -> np.ndarray:
    """Objective ``c`` of the row player's LP over ``z = (x, v)``: minimize ``-v``.

    Parameters
    ----------
    n_rows : int
        Number of row actions ``m``.

    Returns
    -------
    ndarray, shape (m + 1,)
        ``m`` zeros followed by ``-1``.

    Examples
    --------
    >>> minimax_objective(2)
    array([ 0.,  0., -1.])
    """
    c = np.zeros(n_rows + 1)
    c[-1] = -1.0
    return c


def minimax_inequalities(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inequalities ``v - (A^T x)_j <= 0`` for every column ``j``, as ``(A_ub, b_ub)``.

    Parameters
    ----------
    A : ndarray, shape (m, n)

    Returns
    -------
    A_ub : ndarray, shape (n, m + 1)
        ``[-A^T | 1]``.
    b_ub : ndarray, shape (n,)
        Zeros.

    Examples
    --------
    >>> A_ub, b_ub = minimax_inequalities(np.array([[1.0, 2.0]]))
    >>> A_ub
    array([[-1.,  1.],
           [-2.,  1.]])
    """
    m, n = A.shape
    return np.hstack((-A.T, np.ones((n, 1)))), np.zeros(n)


def minimax_equality(n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The simplex constraint ``sum_i x_i = 1`` as ``(A_eq, b_eq)``; ``v`` has coefficient 0.

    Examples
    --------
    >>> minimax_equality(2)
    (array([[1., 1., 0.]]), array([1.]))
    """
    A_eq = np.ones((1, n_rows + 1))
    A_eq[0, -1] = 0.0
    return A_eq, np.ones(1)


def minimax_bounds(n_rows: int) -> list[tuple[float | None, float | None]]:
    """Bounds ``x_i >= 0`` and ``v`` free.

    Examples
    --------
    >>> minimax_bounds(2)
    [(0.0, None), (0.0, None), (None, None)]
    """
    return [(0.0, None)] * n_rows + [(None, None)]


# ----------------------------------------------------------------------------- matrix games


def _payoff_matrix(game_or_A) -> np.ndarray:
    """The validated payoff matrix of a MatrixGame or of an array (checked as ``MatrixGame.A``)."""
    if isinstance(game_or_A, MarkovGame):
        raise ValueError("A: expected a MatrixGame or a 2-D payoff array, got a MarkovGame "
                         "(use solve_markov_game)")
    if not isinstance(game_or_A, MatrixGame):
        game_or_A = MatrixGame(game_or_A)
    return game_or_A.A


def _to_simplex(p: np.ndarray, what: str) -> np.ndarray:
    """Remove solver round-off: clip at 0 and renormalize (entries move by ~1e-12 at most)."""
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
    total = p.sum()
    if not np.isfinite(total) or total <= 0.0:
        raise RuntimeError(f"solve_matrix_game: the solver returned no valid {what} "
                           f"(entries sum to {total!r})")
    return np.ascontiguousarray(p / total)


def _gap_bracket(A: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """``(lo, hi, gap)``: ``lo = min_j (x^T A)_j``, ``hi = max_i (A y)_i`` and ``gap = hi - lo``
    for the normalized strategies ``x / sum x``, ``y / sum y``.

    Computed on ``B = A - min A`` (entries in ``[0, range]``) and shifted back: the shift
    cancels exactly in the gap, whose rounding error is then ``O((m + n) u range)`` whatever the
    offset of ``A``; computed on ``A`` itself, an offset ``c`` adds ``O(n u |c|)`` (1e-6 at
    ``c = 1e10``) and a strategy sum of ``1 +- u`` adds ``u |c|`` [D].
    """
    c = float(A.min())
    B = A - c
    lo_b = float(np.min(x @ B)) / float(x.sum())
    hi_b = float(np.max(B @ y)) / float(y.sum())
    return lo_b + c, hi_b + c, hi_b - lo_b


def _payoff_range(A: np.ndarray) -> float:
    """``max A - min A`` (halved then doubled if it overflows; ``inf`` only beyond 2 * 1.8e308)."""
    hi, lo = float(A.max()), float(A.min())
    r = hi - lo
    return r if np.isfinite(r) else 2.0 * (hi / 2 - lo / 2)


def _relative(gap: float, scale: float) -> float:
    """``gap / scale``; a zero scale (constant payoffs) has relative gap 0 when the gap is 0."""
    if scale > 0.0:
        return gap / scale
    return 0.0 if gap == 0.0 else float("inf")


def _scaled(A: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``(A_s, lo, r)`` with ``A_s = 1 + (A - lo) / r`` in ``[1, 2]``, ``lo = min A``,
    ``r = max A - min A > 0``; a game value ``v_s`` of ``A_s`` is ``lo + r (v_s - 1)`` for
    ``A`` (an affine map with positive slope keeps the equilibria).  Halves are used when
    ``max A - min A`` overflows.
    """
    lo, hi = float(A.min()), float(A.max())
    r = hi - lo
    if np.isfinite(r):
        return 1.0 + (A - lo) / r, lo, r
    r2 = hi / 2 - lo / 2
    return 1.0 + (A / 2 - lo / 2) / r2, lo, 2.0 * r2


def _solve_trivial(A: np.ndarray):
    """Closed form when a player has a single action (the other one just optimizes)."""
    m, n = A.shape
    x, y = np.zeros(m), np.zeros(n)
    if m == 1:
        x[0] = 1.0
        y[int(np.argmin(A[0]))] = 1.0
        value = float(A[0].min())
    else:
        y[0] = 1.0
        x[int(np.argmax(A[:, 0]))] = 1.0
        value = float(A[:, 0].max())
    return x, y, value


#: HiGHS primal and dual feasibility tolerances for the minimax LP: the smallest HiGHS accepts.
#: At its default (1e-7) a vertex whose value is up to ~1e-7 below the optimum counts as optimal:
#: payoffs that differ by less than that (e.g. 0 and 2**-24) came back with a duality gap of
#: 6e-8.  These tolerances are absolute, and HiGHS treats constraint entries up to 1e-9 in size
#: as 0 (``small_matrix_value``), so both LP routes solve the game mapped into ``[1, 2]`` by
#: :func:`_scaled` (``A -> 1 + (A - min A) / (max A - min A)``; a positive affine map keeps the
#: equilibria, and the value is mapped back): a game with payoffs of size 1e-9, or offset by
#: 1e10, is then solved as accurately as one with payoffs in ``[0, 1]`` (before: relative gaps
#: of 0.1 and a ``RuntimeError`` respectively).  When HiGHS cannot reach these tolerances
#: (model status "unknown", seen on rare near-degenerate games) the LP is solved again with its
#: defaults.  The duality gap always reports what was reached.
_HIGHS_TOL = 1e-10


def _solve_highs(A: np.ndarray):
    """The minimax LP of ``A`` already mapped into ``[1, 2]`` (see :func:`_scaled`)."""
    m = A.shape[0]
    A_ub, b_ub = minimax_inequalities(A)
    A_eq, b_eq = minimax_equality(m)
    lp = dict(A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=minimax_bounds(m),
              method="highs")
    res = linprog(minimax_objective(m), **lp,
                  options={"primal_feasibility_tolerance": _HIGHS_TOL,
                           "dual_feasibility_tolerance": _HIGHS_TOL})
    if res.status != 0:      # HiGHS could not reach them on the unscaled LP: its defaults
        res = linprog(minimax_objective(m), **lp)
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"solve_matrix_game: HiGHS did not solve the minimax LP "
                           f"(status {res.status}: {res.message})")
    x = res.x[:m]
    y = -np.asarray(res.ineqlin.marginals)   # dual multipliers of A^T x >= v
    return x, y, float(res.x[-1])


def _solve_cvxpy(A: np.ndarray, cvxpy_solver: str):
    import cvxpy as cp

    m, n = A.shape
    x = cp.Variable(m, nonneg=True)
    v = cp.Variable()
    cons = [A.T @ x >= v, cp.sum(x) == 1]
    prob = cp.Problem(cp.Maximize(v), cons)
    solve_cvxpy(prob, cvxpy_solver, "solve_matrix_game", RuntimeError)
    if x.value is None or cons[0].dual_value is None:
        raise RuntimeError(f"solve_matrix_game: cvxpy/{cvxpy_solver} returned no primal or dual "
                           "solution")
    return np.asarray(x.value), np.asarray(cons[0].dual_value), float(v.value)


def solve_matrix_game(game_or_A, solver: str = "highs", *,
                      cvxpy_solver: str = "CLARABEL") -> MatrixGameSolution:
    """Nash equilibrium and value of a zero-sum matrix game by linear programming.

    Parameters
    ----------
    game_or_A : MatrixGame or array_like, shape (m, n)
        Row player's payoff (row maximizes, column minimizes).
    solver : {"highs", "cvxpy"}
        ``"highs"``: ``scipy.optimize.linprog(method="highs")`` on the LP of the module
        docstring, ``y`` from the dual marginals (the reference oracle).  ``"cvxpy"``: the same
        LP through cvxpy, a second opinion.
    cvxpy_solver : {"CLARABEL", "HIGHS"}
        Back end for ``solver="cvxpy"`` (SCS is refused: not accurate enough).

    Returns
    -------
    MatrixGameSolution
        ``x[m]``, ``y[n]``, ``value``, ``duality_gap``.  Games where a player has one action are
        solved in closed form (gap exactly 0).

    Raises
    ------
    ValueError
        Invalid payoff matrix (message names ``A``), unknown ``solver`` / ``cvxpy_solver``.
    RuntimeError
        The LP solver reports failure (never silently returns a wrong answer).

    Guarantee
    ---------
    Minimax theorem (von Neumann 1928; LP form Dantzig 1951): the returned ``value`` lies in
    ``[min_j (x^T A)_j, max_i (A y)_i]``, an interval of width ``duality_gap`` containing
    ``v*``.  Measured with HiGHS on 50x50 Gaussian games: gap <= 4e-13 (docs/explanation/performance.md section 5).
    Both routes solve the LP of the payoffs mapped into ``[1, 2]`` (``1 + (A - min A) /
    (max A - min A)``) and map the value back, so ``relative_gap = duality_gap / (max A - min
    A)`` does not depend on the payoffs' scale or offset (measured <= 1e-12 on random 5x6 games
    of scale 1e-9 or offset 1e10, HiGHS); HiGHS runs at its tightest tolerances (1e-10) on
    that LP.  A constant game is solved in closed form (pure strategies 0, gap exactly 0).

    Examples
    --------
    >>> sol = solve_matrix_game([[0, -1, 1], [1, 0, -1], [-1, 1, 0]])
    >>> round(sol.value, 12) + 0.0, np.round(sol.x, 12).tolist(), sol.duality_gap < 1e-12
    (0.0, [0.333333333333, 0.333333333333, 0.333333333333], True)
    """
    A = _payoff_matrix(game_or_A)
    cvxpy_solver = check_lp_solver(solver, cvxpy_solver)
    if min(A.shape) == 1 or A.max() == A.min():    # closed form (a constant game: pure 0, 0)
        x, y, v = _solve_trivial(A)
    else:
        A_s, shift, scale = _scaled(A)
        if solver == "highs":
            x, y, v = _solve_highs(A_s)
        else:
            x, y, v = _solve_cvxpy(A_s, cvxpy_solver)
        v = shift + scale * (v - 1.0)
    x = _to_simplex(x, "row strategy x")
    y = _to_simplex(y, "column strategy y (dual)")
    lo, hi, gap = _gap_bracket(A, x, y)
    r = _payoff_range(A)
    freeze(x, y)
    return MatrixGameSolution(x=x, y=y, value=float(min(max(v, lo), hi)),
                              duality_gap=gap, payoff_range=r, relative_gap=_relative(gap, r))


def matrix_game_gap(A, x, y) -> float:
    """Duality gap ``max_i (A y)_i - min_j (x^T A)_j`` of a strategy pair (certificate).

    Parameters
    ----------
    A : MatrixGame or array_like, shape (m, n)
    x : array_like, shape (m,)
        Row strategy (a distribution).
    y : array_like, shape (n,)
        Column strategy.

    Returns
    -------
    float
        ``>= 0`` (up to round-off), zero iff ``(x, y)`` is a Nash equilibrium; the sum of both
        players' losses against a best response.  Computed for ``x / sum x`` and ``y / sum y``
        on ``A - min A`` (the shift cancels), so that an offset of the payoffs (1e10, say) adds
        no rounding error; divide by ``max A - min A`` for the gap on the game's scale.

    Examples
    --------
    >>> matrix_game_gap([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], [1.0, 0.0])
    0.5
    """
    A = _payoff_matrix(A)
    m, n = A.shape
    x = as_float_array("x", x, shape=(m,))
    y = as_float_array("y", y, shape=(n,))
    check_distribution("x", x)
    check_distribution("y", y)
    return _gap_bracket(A, x, y)[2]


# ----------------------------------------------------------------------------- Markov games


def _as_markov_game(game) -> tuple[MarkovGame, bool]:
    """A MatrixGame is the Markov game with ``H = 1``, ``S = 1``."""
    check_instance("game", game, (MarkovGame, MatrixGame))
    if isinstance(game, MarkovGame):
        return game, False
    A = game.A
    m, n = A.shape
    lo, hi = float(A.min()), float(A.max())
    return MarkovGame(np.ones((1, 1, m, n, 1)), A[None, None], horizon=1,
                      reward_range=(lo, hi)), True


def _as_policy(game: MarkovGame, is_matrix: bool, pi, n_actions: int, name: str) -> np.ndarray:
    """Validated stochastic policy ``[H, S, n_actions]``; a matrix game also takes ``x[m]`` / an int."""
    pi = as_array(name, pi)
    if is_matrix:
        arr = pi
        if arr.dtype.kind == "f" and arr.ndim == 1:
            pi = arr[None]           # a mixed strategy of the single state
        elif arr.dtype.kind in "iu" and arr.ndim == 0:
            pi = arr[None]           # a pure action of the single state
    return as_stochastic_policy(pi, game.n_states, n_actions, horizon=game.horizon, name=name)


def _stage_matrices(game: MarkovGame, h: int, V_next: np.ndarray, R=None) -> np.ndarray:
    """``Q_h[s, a, b] = R_h[s, a, b] + sum_t P_h[s, a, b, t] V_{h+1}[t]`` (``R`` defaults to
    ``game.R``)."""
    return (game.R if R is None else R)[h] + game.P[h] @ V_next


def _shifted_rewards(game: MarkovGame) -> tuple[np.ndarray, np.ndarray]:
    """``(R - c_h, c)`` with ``c_h = min R_h``: stage rewards in ``[0, max R_h - min R_h]``.

    Rows of ``P`` and of the policies sum to 1, so shifting stage ``h`` by ``c_h`` shifts every
    value at stage ``h`` by ``C_h = sum_{t >= h} c_t`` and cancels in differences of values
    (exploitability) and in the stage games' equilibria.  Computing on the shifted rewards keeps
    the rounding error of ``P_h V_{h+1}`` at ``O(S u H range)`` instead of ``O(S u H |offset|)``
    (an offset of 1e10 would otherwise perturb the stage games by ~1e-5) [D].
    """
    c = game.R.reshape(game.horizon, -1).min(axis=1)
    return game.R - c[:, None, None, None], c


def _markov_payoff_range(game: MarkovGame) -> float:
    """``sum_h (max R_h - min R_h)``: bounds the spread of the total payoff."""
    R = game.R.reshape(game.horizon, -1)
    return float(np.sum(R.max(axis=1) - R.min(axis=1)))


def _best_response(game: MarkovGame, pi: np.ndarray, player: str, R=None) -> np.ndarray:
    H, S = game.horizon, game.n_states
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        G = _stage_matrices(game, h, V[h + 1], R)
        if player == "max":   # pi is the min player's policy [H, S, B]
            V[h] = np.einsum("sab,sb->sa", G, pi[h]).max(axis=1)
        else:                 # pi is the max player's policy [H, S, A]
            V[h] = np.einsum("sab,sa->sb", G, pi[h]).min(axis=1)
    return V


def _pair_value(game: MarkovGame, pi_max: np.ndarray, pi_min: np.ndarray) -> np.ndarray:
    H, S = game.horizon, game.n_states
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        V[h] = np.einsum("sab,sa,sb->s", _stage_matrices(game, h, V[h + 1]), pi_max[h], pi_min[h])
    return V


def best_response_value(game, policy, player: str = "max") -> np.ndarray:
    """Exact value of a best response of ``player`` to the opponent's fixed ``policy``.

    Parameters
    ----------
    game : MarkovGame or MatrixGame
        A matrix game is the Markov game with ``H = S = 1``.
    policy : array_like
        The *opponent's* policy: for ``player="max"`` the min player's ``[H, S, B]`` (or
        deterministic ``[H, S]``, or stationary ``[S, B]`` / ``[S]``); for ``player="min"`` the
        max player's ``[H, S, A]`` (...).  For a matrix game a strategy vector or an action index.
    player : {"max", "min"}
        The best-responding player.

    Returns
    -------
    ndarray, shape (H+1, S)
        ``V^{dagger, policy}`` (max best-responds: the maximal value against ``policy``) or
        ``V^{policy, dagger}`` (min best-responds: the minimal value), ``V[H] = 0``.

    Guarantee
    ---------
    Against a fixed Markov opponent the best responder faces a finite-horizon MDP; backward
    induction gives its optimal value exactly (Puterman 2005, Thm 4.5.1).

    Examples
    --------
    >>> from rlth.instances import rock_paper_scissors
    >>> best_response_value(rock_paper_scissors(), np.array([1.0, 0.0, 0.0]), "max")[0].tolist()
    [1.0]
    """
    if player not in ("max", "min"):
        raise ValueError(f"player: must be 'max' or 'min', got {player!r}")
    game, is_matrix = _as_markov_game(game)
    n_opp = game.n_actions_min if player == "max" else game.n_actions_max
    pi = _as_policy(game, is_matrix, policy, n_opp, "policy")
    return _best_response(game, pi, player)


def evaluate_policy_pair(game, pi_max, pi_min) -> np.ndarray:
    """Exact value ``V^{pi_max, pi_min}[H+1, S]`` of a policy pair (max player's payoff).

    Parameters
    ----------
    game : MarkovGame or MatrixGame
    pi_max : array_like, shape (H, S, A) or (H, S) int (stationary forms accepted)
    pi_min : array_like, shape (H, S, B) or (H, S) int

    Returns
    -------
    ndarray, shape (H+1, S)
        ``V[h, s] = E[sum_{t >= h} R_t | s_h = s]`` under both policies, ``V[H] = 0``.
    """
    game, is_matrix = _as_markov_game(game)
    mu = _as_policy(game, is_matrix, pi_max, game.n_actions_max, "pi_max")
    nu = _as_policy(game, is_matrix, pi_min, game.n_actions_min, "pi_min")
    return _pair_value(game, mu, nu)


def exploitability(game, pi_max, pi_min) -> float:
    """Nash gap ``rho @ (V^{dagger, pi_min}[0] - V^{pi_max, dagger}[0])`` of a policy pair.

    Parameters
    ----------
    game : MarkovGame or MatrixGame
    pi_max : array_like
        Max player's policy ``[H, S, A]`` (stochastic) or ``[H, S]`` (deterministic), stationary
        forms ``[S, A]`` / ``[S]`` broadcast; for a matrix game a strategy ``x[m]``.
    pi_min : array_like
        Min player's policy ``[H, S, B]`` / ``[H, S]`` / ...; for a matrix game ``y[n]``.

    Returns
    -------
    float
        ``>= 0`` up to round-off (~1e-15; not clipped), zero iff ``(pi_max, pi_min)`` is a Nash
        equilibrium from ``rho``.  For a matrix game it equals :func:`matrix_game_gap`.

    Both best responses are computed on the rewards shifted by ``min R_h`` per stage (the shift
    cancels in the difference), so an offset of the rewards adds no rounding error; divide by
    ``sum_h (max R_h - min R_h)`` for the gap on the game's scale
    (``MarkovGameSolution.relative_exploitability``).

    Guarantee
    ---------
    ``V^{dagger,nu}_0 >= V^{mu,nu}_0 >= V^{mu,dagger}_0`` pointwise and ``V^{dagger,nu}_0 >= V*_0
    >= V^{mu,dagger}_0`` (Shapley 1953), so the gap also bounds each player's sub-optimality.

    Examples
    --------
    >>> from rlth.instances import rock_paper_scissors
    >>> exploitability(rock_paper_scissors(), np.full(3, 1 / 3), np.array([1.0, 0.0, 0.0]))
    1.0
    """
    game, is_matrix = _as_markov_game(game)
    mu = _as_policy(game, is_matrix, pi_max, game.n_actions_max, "pi_max")
    nu = _as_policy(game, is_matrix, pi_min, game.n_actions_min, "pi_min")
    return _exploitability(game, mu, nu, _shifted_rewards(game)[0])


def _exploitability(game: MarkovGame, mu, nu, R_shifted) -> float:
    upper = _best_response(game, nu, "max", R_shifted)[0]
    lower = _best_response(game, mu, "min", R_shifted)[0]
    return float(game.rho @ (upper - lower))


def solve_markov_game(game: MarkovGame, solver: str = "highs", *,
                      cvxpy_solver: str = "CLARABEL") -> MarkovGameSolution:
    """Nash equilibrium of a finite-horizon zero-sum Markov game by Shapley's recursion.

    Parameters
    ----------
    game : MarkovGame
        ``P[H, S, A, B, S]``, ``R[H, S, A, B]``, ``rho[S]``.
    solver, cvxpy_solver
        Passed to :func:`solve_matrix_game` for each of the ``H * S`` stage games.

    Returns
    -------
    MarkovGameSolution
        ``V[H+1, S]``, ``Q[H, S, A, B]``, ``pi_max[H, S, A]``, ``pi_min[H, S, B]``,
        ``value = rho @ V[0]`` and the independently computed ``exploitability``.

    Raises
    ------
    ValueError
        ``game`` is not a MarkovGame; unknown solver.
    RuntimeError
        A stage LP fails.

    Guarantee
    ---------
    Shapley (1953): ``V_h(s) = val(Q_h(s))`` is the Nash value and the stage equilibria form a
    Nash equilibrium.  Each stage value is off by at most its duality gap ``g``
    (``stage_gaps``), so ``|V_0 - V*_0| <= H max g``; the returned ``exploitability`` certifies
    the policy pair directly (measured <= 1e-12 on random games), and
    ``relative_exploitability`` puts it on the scale ``sum_h (max R_h - min R_h)`` of the game.
    The recursion runs on the rewards shifted by ``min R_h`` per stage (the shift is added back
    to ``V`` and ``Q``), and each stage LP is scaled by its own payoff range
    (:func:`solve_matrix_game`), so rewards of size 1e-9 or offset by 1e10 are solved as
    accurately, relative to their range, as rewards in ``[-1, 1]``.

    Examples
    --------
    >>> from rlth.instances import random_markov_game
    >>> sol = solve_markov_game(random_markov_game(3, 2, 2, horizon=4, rng=0))
    >>> sol.V.shape, sol.Q.shape, sol.exploitability < 1e-9
    ((5, 3), (4, 3, 2, 2), True)
    """
    check_instance("game", game, MarkovGame, hint="use solve_matrix_game for a MatrixGame")
    cvxpy_solver = check_lp_solver(solver, cvxpy_solver)
    H, S, A, B = game.horizon, game.n_states, game.n_actions_max, game.n_actions_min
    R_s, c = _shifted_rewards(game)
    C = np.zeros(H + 1)                       # C[h] = sum_{t >= h} c_t: V = V_s + C[h]
    C[:H] = np.cumsum(c[::-1])[::-1]
    V = np.zeros((H + 1, S))                  # values of the shifted game first
    Q = np.zeros((H, S, A, B))
    pi_max = np.zeros((H, S, A))
    pi_min = np.zeros((H, S, B))
    stage_gaps = np.zeros((H, S))
    for h in range(H - 1, -1, -1):
        Q[h] = _stage_matrices(game, h, V[h + 1], R_s)
        for s in range(S):
            sol = solve_matrix_game(Q[h, s], solver, cvxpy_solver=cvxpy_solver)
            V[h, s] = sol.value
            pi_max[h, s] = sol.x
            pi_min[h, s] = sol.y
            stage_gaps[h, s] = sol.duality_gap
    gap = _exploitability(game, pi_max, pi_min, R_s)
    V += C[:, None]
    Q += C[:H, None, None, None]
    r = _markov_payoff_range(game)
    freeze(V, Q, pi_max, pi_min, stage_gaps)
    return MarkovGameSolution(V=V, Q=Q, pi_max=pi_max, pi_min=pi_min,
                              value=float(game.rho @ V[0]), exploitability=gap,
                              payoff_range=r, relative_exploitability=_relative(gap, r),
                              stage_gaps=stage_gaps)
