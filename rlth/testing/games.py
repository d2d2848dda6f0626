"""Hypothesis strategies for zero-sum games: payoff matrices, strategies, Markov games, policies.

Use them to property-test your own game solvers against rlth's certified oracles::

    from hypothesis import given
    from rlth.testing.games import payoff_matrices
    from rlth.solvers.games import solve_matrix_game, matrix_game_gap

    @given(payoff_matrices())
    def test_my_solver(A):
        x, y = my_solver(A)
        assert matrix_game_gap(A, x, y) <= 1e-8

or, with :func:`assert_equilibrium`, which takes the solver's result as it comes (strategies,
a result object, an ``(x, y)`` tuple, a dict, or a Markov game's value array)::

    @given(markov_games())
    def test_my_markov_solver(game):
        assert_equilibrium(game, my_markov_solver(game))

Payoff matrices deliberately include the degenerate cases that break equilibrium solvers
(Nashpy issues #35, #83, #231): 1x1 games, constant matrices, integer payoffs with ties,
duplicated rows / columns and dominated strategies.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..models.games import MarkovGame, MatrixGame
from ..solvers.games import exploitability, matrix_game_gap, solve_matrix_game
from .mdp import _read_result

__all__ = [
    "PAYOFF_KINDS",
    "payoff_matrices",
    "matrix_games",
    "simplex_vectors",
    "stochastic_arrays",
    "markov_games",
    "markov_game_policies",
    "assert_equilibrium",
]

#: Families drawn by :func:`payoff_matrices`.
PAYOFF_KINDS = ("float", "integer", "constant", "ties", "dominated")


def _floats(max_abs: float) -> st.SearchStrategy:
    return st.floats(-max_abs, max_abs, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False)


@st.composite
def payoff_matrices(draw, *, min_rows: int = 1, max_rows: int = 5, min_cols: int = 1,
                    max_cols: int = 5, kinds=PAYOFF_KINDS, max_abs: float = 1.0,
                    int_max: int = 3) -> np.ndarray:
    """Row-player payoff matrices ``A[m, n]`` (float64, C-contiguous).

    Parameters
    ----------
    min_rows, max_rows, min_cols, max_cols : int
        Size range (``1 x 1`` allowed by default).
    kinds : sequence of str
        Subset of :data:`PAYOFF_KINDS`: ``"float"`` entries in ``[-max_abs, max_abs]``;
        ``"integer"`` integers in ``[-int_max, int_max]`` (many ties); ``"constant"`` one value
        everywhere (every strategy pair is an equilibrium); ``"ties"`` a float matrix with
        duplicated rows and columns; ``"dominated"`` a float matrix whose last row is
        (weakly) dominated by its first row (``A[-1] <= A[0]``: worse for the max player) and
        whose last column is (weakly) dominated by its first column from the min player's
        point of view (``A[:, -1] >= A[:, 0]``: worse for the min player).
    max_abs : float
        Bound on the entries of the float kinds.
    int_max : int

    Returns
    -------
    SearchStrategy of ndarray, shape (m, n)
        Entries lie in ``[-max(max_abs, int_max), max(max_abs, int_max)]``.
    """
    kind = draw(st.sampled_from(tuple(kinds)))
    m = draw(st.integers(min_rows, max_rows))
    n = draw(st.integers(min_cols, max_cols))
    if kind == "integer":
        A = draw(hnp.arrays(np.int64, (m, n), elements=st.integers(-int_max, int_max)))
        A = A.astype(np.float64)
    elif kind == "constant":
        A = np.full((m, n), draw(_floats(max_abs)))
    elif kind == "ties":
        k_r = draw(st.integers(1, m))
        k_c = draw(st.integers(1, n))
        base = draw(hnp.arrays(np.float64, (k_r, k_c), elements=_floats(max_abs)))
        rows = draw(hnp.arrays(np.int64, m, elements=st.integers(0, k_r - 1)))
        cols = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k_c - 1)))
        A = base[np.ix_(rows, cols)]
    elif kind in ("float", "dominated"):
        A = draw(hnp.arrays(np.float64, (m, n), elements=_floats(max_abs)))
        if kind == "dominated":
            if m >= 2:
                A[-1] = (A[0] - max_abs) / 2.0    # <= A[0] entrywise: bad for the max player
            if n >= 2:
                A[:, -1] = (A[:, 0] + max_abs) / 2.0  # >= A[:, 0]: bad for the min player
    else:
        raise ValueError(f"kinds: unknown kind {kind!r}; expected a subset of {PAYOFF_KINDS}")
    return np.ascontiguousarray(A, dtype=np.float64)


def matrix_games(**kwargs) -> st.SearchStrategy:
    """:class:`~rlth.models.games.MatrixGame` objects over :func:`payoff_matrices` (same keywords)."""
    return payoff_matrices(**kwargs).map(MatrixGame)


def _weights(allow_zero: bool) -> st.SearchStrategy:
    pos = st.floats(1e-3, 1.0, allow_nan=False)
    return st.one_of(st.just(0.0), pos) if allow_zero else pos


@st.composite
def stochastic_arrays(draw, shape: tuple[int, ...], n: int, *, allow_zero: bool = True,
                      deterministic: bool | None = None) -> np.ndarray:
    """Arrays of shape ``shape + (n,)`` whose last axis holds probability vectors.

    ``deterministic=True`` gives one-hot rows, ``False`` rows from non-negative weights
    (exact zeros allowed when ``allow_zero``), ``None`` lets hypothesis choose.  Rows sum to 1
    within 1e-15.
    """
    if deterministic is None:
        deterministic = draw(st.booleans())
    shape = tuple(shape)
    if deterministic:
        idx = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, n - 1)))
        out = np.zeros(shape + (n,))
        np.put_along_axis(out, idx[..., None], 1.0, axis=-1)
        return out
    w = draw(hnp.arrays(np.float64, shape + (n,), elements=_weights(allow_zero)))
    flat = w.reshape(-1, n)
    dead = np.flatnonzero(flat.sum(axis=1) == 0.0)
    if dead.size:
        idx = draw(hnp.arrays(np.int64, dead.size, elements=st.integers(0, n - 1)))
        flat[dead, idx] = 1.0
    flat = flat / flat.sum(axis=1, keepdims=True)
    return np.ascontiguousarray(flat.reshape(shape + (n,)))


def simplex_vectors(n: int, **kwargs) -> st.SearchStrategy:
    """Mixed strategies: probability vectors of length ``n`` (pure ones included)."""
    return stochastic_arrays((), n, **kwargs)


@st.composite
def markov_games(draw, *, max_states: int = 3, max_actions_max: int = 3,
                 max_actions_min: int = 3, max_horizon: int = 3, stationary: bool | None = None,
                 payoff_kinds=("float", "integer", "constant"), rho: bool = True) -> MarkovGame:
    """Finite-horizon zero-sum :class:`~rlth.models.games.MarkovGame` objects.

    Sizes start at 1 (``S = A = B = H = 1`` included); transition rows are dense, sparse or
    deterministic; stage payoffs come from ``payoff_kinds`` (``"float"`` in ``[-1, 1]``,
    ``"integer"`` in ``{-1, 0, 1}``, ``"constant"``); ``rho`` is drawn (possibly a point mass)
    when ``rho=True``, uniform otherwise.
    """
    S = draw(st.integers(1, max_states))
    A = draw(st.integers(1, max_actions_max))
    B = draw(st.integers(1, max_actions_min))
    H = draw(st.integers(1, max_horizon))
    if stationary is None:
        stationary = draw(st.booleans())
    lead = () if stationary else (H,)
    P = draw(stochastic_arrays(lead + (S, A, B), S))
    kind = draw(st.sampled_from(tuple(payoff_kinds)))
    if kind == "float":
        R = draw(hnp.arrays(np.float64, lead + (S, A, B), elements=_floats(1.0)))
    elif kind == "integer":
        R = draw(hnp.arrays(np.int64, lead + (S, A, B), elements=st.integers(-1, 1)))
        R = R.astype(np.float64)
    elif kind == "constant":
        R = np.full(lead + (S, A, B), draw(_floats(1.0)))
    else:
        raise ValueError(f"payoff_kinds: unknown kind {kind!r}")
    r0 = draw(stochastic_arrays((), S)) if rho else None
    return MarkovGame(P, R, rho=r0, horizon=H)


def markov_game_policies(game: MarkovGame, player: str = "max", *,
                         deterministic: bool | None = None) -> st.SearchStrategy:
    """Policies of ``player`` in ``game``: stochastic ``[H, S, n]`` float arrays (one-hot when
    ``deterministic=True``; use ``argmax(-1)`` for the integer form)."""
    if player not in ("max", "min"):
        raise ValueError(f"player: must be 'max' or 'min', got {player!r}")
    n = game.n_actions_max if player == "max" else game.n_actions_min
    return stochastic_arrays((game.horizon, game.n_states), n, deterministic=deterministic)


_GAME_KEYS = ("V", "Q", "pi_max", "pi_min")
_ALIASES = {"x": "pi_max", "y": "pi_min", "value": "V"}


def _game_result(game, solution):
    """``({V, Q, pi_max, pi_min}, form)`` from what a game solver returned."""
    name = "solution"
    if isinstance(solution, tuple) and not hasattr(solution, "_fields") and len(solution) == 2:
        return dict(V=None, Q=None, pi_max=solution[0], pi_min=solution[1]), \
            "a (pi_max, pi_min) tuple"
    if isinstance(solution, dict):
        solution = {_ALIASES.get(k, k): v for k, v in solution.items()}
    elif (not isinstance(solution, (tuple, np.ndarray, list, int, float, np.generic))
          and (hasattr(solution, "x") or hasattr(solution, "y"))):  # MatrixGameSolution-like
        parts = {_ALIASES[k]: getattr(solution, k, None) for k in _ALIASES}
        return dict(parts, Q=None), f"a {type(solution).__name__} result"
    parts, form = _read_result(solution, name, _GAME_KEYS, "V")
    if isinstance(game, MarkovGame):
        H, S = game.horizon, game.n_states
        for key, want in (("V", ((H + 1, S), (H, S))),
                          ("Q", ((H, S, game.n_actions_max, game.n_actions_min),))):
            if parts[key] is None:
                continue
            arr = np.asarray(parts[key], dtype=float)
            if arr.shape not in want:
                shapes = " or ".join(str(w) for w in want)
                raise ValueError(f"{name}: expected {key} of shape {shapes} "
                                 f"({'(H+1, S) or (H, S)' if key == 'V' else '(H, S, A, B)'}), "
                                 f"got shape {arr.shape} ({form})")
            if key == "V" and arr.shape == (H, S):
                arr = np.concatenate([arr, np.zeros((1, S))])
            parts[key] = arr
    else:
        if parts["Q"] is not None:
            raise ValueError(f"{name}: a matrix game has no Q ({form})")
        if parts["V"] is not None:
            V = np.asarray(parts["V"], dtype=float)
            if V.size != 1:
                raise ValueError(f"{name}: the value of a matrix game is a scalar, got shape "
                                 f"{V.shape} ({form}); pass strategies as (x, y)")
            parts["V"] = float(V.reshape(()))
            form = form.replace("a V array of shape ()", "a value (V array of shape ())")
    return parts, form


def _stage_bracket(M):
    """An equilibrium of the matrix game ``M`` and the bracket ``[lo, hi]`` of its value that
    the equilibrium certifies (``min_j (x M)_j <= val(M) <= max_i (M y)_i``)."""
    sol = solve_matrix_game(M)
    return sol.x, sol.y, float(np.min(sol.x @ M)), float(np.max(M @ sol.y))


def assert_equilibrium(game, pi_max, pi_min=None, atol: float = 1e-8) -> float:
    """Assert that a solver's answer is an ``atol``-Nash equilibrium of ``game``.

    Parameters
    ----------
    game : MarkovGame, MatrixGame or array_like (m, n)
        A plain array is a payoff matrix.
    pi_max : array_like, or the solver's result when ``pi_min`` is omitted
        With ``pi_min``: the max player's strategy ``x[m]`` (matrix game) or policy
        (``[H, S, A]``, ``[H, S]`` actions, stationary forms broadcast).  Without it: what the
        solver returned, in any of these forms:

        * a result object: rlth's ``MatrixGameSolution`` (``x``, ``y``, ``value``) or
          ``MarkovGameSolution`` (``V``, ``Q``, ``pi_max``, ``pi_min``), or any object with
          some of these attributes;
        * a tuple ``(pi_max, pi_min)`` (``(x, y)``) or ``(V, Q, pi_max, pi_min)`` with ``None``
          for missing entries;
        * a dict with keys among ``V``, ``Q``, ``pi_max``, ``pi_min`` (or ``x``, ``y``,
          ``value``);
        * a Markov game's value array ``V`` of shape ``(H+1, S)`` or ``(H, S)`` (``V[H] = 0``
          appended), or a matrix game's value (a scalar).
    pi_min : array_like, optional
        The min player's strategy ``y[n]`` or policy.
    atol : float
        Allowed duality gap / exploitability, and tolerance of the value checks.

    Notes
    -----
    When a value ``V`` is given, it is checked against Shapley's equation ``V[h, s] =
    val(R_h + P_h V[h+1])[s]`` (and ``V[H] = 0``; for a matrix game ``V = val(A)``), each
    stage value bracketed by an equilibrium of the stage game solved by
    :func:`~rlth.solvers.games.solve_matrix_game`; ``Q`` (when given) must equal the backup
    ``R_h + P_h V[h+1]``.  When the policies are not given, they are computed from ``V``
    exactly as the equilibria of the backed-up stage games (one backup per stage), and their
    exploitability is checked as well.

    Returns
    -------
    float
        The duality gap / exploitability of the checked policies, so a test can report it.

    Raises
    ------
    AssertionError
        With the violated condition and the form of the answer it got.
    ValueError
        If the answer has shapes that fit no form, only one player's policy, or neither
        policies nor a value.

    Examples
    --------
    >>> assert_equilibrium([[0.0, 1.0], [1.0, 0.0]], [0.5, 0.5], [0.5, 0.5])
    0.0
    >>> def my_solver(A):                # a 2x2 game without a saddle point, in closed form
    ...     (a, b), (c, d) = A
    ...     p, q = (d - c) / (a - b - c + d), (d - b) / (a - b - c + d)
    ...     return [p, 1 - p], [q, 1 - q]
    >>> assert_equilibrium([[0.0, 1.0], [1.0, 0.0]], my_solver([[0.0, 1.0], [1.0, 0.0]]))
    0.0
    >>> assert_equilibrium([[0.0, 1.0], [1.0, 0.0]], ([1.0, 0.0], [0.5, 0.5]))
    Traceback (most recent call last):
    ...
    AssertionError: not an equilibrium: gap 5.000e-01 > atol 1.0e-08; got a (pi_max, pi_min) tuple
    """
    if pi_min is not None:
        if isinstance(game, MarkovGame):
            gap = exploitability(game, pi_max, pi_min)
        else:
            gap = matrix_game_gap(game, pi_max, pi_min)
        if not gap <= atol:
            raise AssertionError(f"not an equilibrium: gap {gap:.3e} > atol {atol:.1e}; got "
                                 f"pi_max and pi_min arrays")
        return gap
    parts, form = _game_result(game, pi_max)
    got = f"got {form}"
    V, Q, mu, nu = parts["V"], parts["Q"], parts["pi_max"], parts["pi_min"]
    if (mu is None) != (nu is None):
        raise ValueError(f"pi_max: {form} has only one player's policy; give both, or a value V")
    if mu is None and V is None and Q is None:
        raise ValueError(f"pi_max: {form} has neither policies nor a value V (or Q)")
    if isinstance(game, MarkovGame):
        H, S = game.horizon, game.n_states
        if V is None and Q is not None:
            V = np.zeros((H + 1, S))
            for h in range(H):
                V[h] = [0.5 * sum(_stage_bracket(Q[h, s])[2:]) for s in range(S)]
            got += " (V = val(Q))"
        derived = mu is None
        if V is not None:
            err = float(np.max(np.abs(V[-1])))
            assert err <= atol, f"V[H] is not 0 (max |V[H]| = {err:.3g}); {got}"
            if derived:
                mu = np.zeros((H, S, game.n_actions_max))
                nu = np.zeros((H, S, game.n_actions_min))
            for h in range(H - 1, -1, -1):
                G = game.R[h] + game.P[h] @ V[h + 1]
                if Q is not None:
                    err = float(np.max(np.abs(Q[h] - G)))
                    assert err <= atol, (f"Q[{h}] differs from the backup of V by {err:.3g} > "
                                         f"atol={atol:g}; {got}")
                for s in range(S):
                    x, y, lo, hi = _stage_bracket(G[s])
                    err = max(lo - V[h, s], V[h, s] - hi, 0.0)
                    assert err <= atol, (f"Shapley equation violated at (h={h}, s={s}): V = "
                                         f"{V[h, s]:.6g}, stage value in [{lo:.6g}, {hi:.6g}]; "
                                         f"{got}")
                    if derived:
                        mu[h, s], nu[h, s] = x, y
            if derived:
                got += " (policies: equilibria of the backed-up stage games)"
        gap = exploitability(game, mu, nu)
    else:
        A = np.asarray(game.A if isinstance(game, MatrixGame) else game, dtype=float)
        if V is not None:
            x, y, lo, hi = _stage_bracket(A)
            err = max(lo - V, V - hi, 0.0)
            assert err <= atol, (f"V = {V:.6g} is not the value of the game (in [{lo:.6g}, "
                                 f"{hi:.6g}]); {got}")
            if mu is None:
                mu, nu, got = x, y, f"{got} (strategies: an equilibrium of the game)"
        gap = matrix_game_gap(A, mu, nu)
    if not gap <= atol:
        raise AssertionError(f"not an equilibrium: gap {gap:.3e} > atol {atol:.1e}; {got}")
    return gap
