"""Random instances: every generator takes a keyword ``rng`` (see :func:`rlth.as_generator`).

:func:`random_transitions` (Dirichlet rows or Garnet sparse rows), :func:`random_mdp`,
:func:`random_matrix_game`, :func:`random_markov_game`, :func:`random_linear_mdp`.
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from .._validation import check_array_bytes, check_positive_float, check_positive_int
from ..models.games import MarkovGame, MatrixGame
from ..models.linear import LinearMDP
from ._common import finish_mdp

__all__ = ["random_transitions", "random_mdp", "random_matrix_game", "random_markov_game",
           "random_linear_mdp"]


def random_transitions(shape: tuple[int, ...], n_next: int, *, rng=None, alpha: float = 1.0,
                       branching: int | None = None) -> np.ndarray:
    """Random stochastic rows of length ``n_next`` for every index in ``shape``.

    ``branching=None``: Dirichlet(alpha) rows (dense).  ``branching=k``: Garnet rows
    (Archibald et al. 1995): ``k`` distinct successors drawn uniformly, weights from the gaps of
    ``k - 1`` sorted uniforms.
    """
    rng = as_generator(rng)
    alpha = check_positive_float("alpha", alpha)
    shape = tuple(check_positive_int("shape", d) for d in shape)
    n_next = check_positive_int("n_next", n_next)
    check_array_bytes("shape", shape + (n_next,), what="the transitions")
    n_rows = int(np.prod(shape)) if shape else 1
    if branching is None:
        g = rng.gamma(alpha, size=(n_rows, n_next))
        # guard against an all-zero row for tiny alpha
        g[g.sum(1) == 0, 0] = 1.0
        P = g / g.sum(axis=1, keepdims=True)
    else:
        k = check_positive_int("branching", branching)
        if k > n_next:
            raise ValueError(f"branching: must be <= number of states {n_next}, got {k}")
        P = np.zeros((n_rows, n_next))
        for i in range(n_rows):
            succ = rng.permutation(n_next)[:k]
            cuts = np.sort(rng.random(k - 1))
            P[i, succ] = np.diff(np.concatenate(([0.0], cuts, [1.0])))
    # exact renormalization so rows sum to 1 within 1e-15
    P /= P.sum(axis=1, keepdims=True)
    return P.reshape(tuple(shape) + (n_next,))


def random_mdp(n_states: int, n_actions: int, *, horizon: int | None = None,
               gamma: float | None = None, rng=None, alpha: float = 1.0,
               branching: int | None = None, stationary: bool = True,
               rho: str | np.ndarray = "uniform"):
    """Random MDP with Dirichlet or Garnet transitions and U[0, 1] mean rewards.

    Parameters
    ----------
    n_states, n_actions : int
    horizon : int, optional
        Finite-horizon MDP with this horizon (give ``horizon`` or ``gamma``).
    gamma : float, optional
        Discounted MDP.
    rng : seed
    alpha : float
        Dirichlet concentration (dense rows).
    branching : int, optional
        Garnet branching factor (sparse rows); overrides ``alpha``.
    stationary : bool
        For finite horizon: one kernel for all steps, or an independent one per step.
    rho : "uniform", "first" or array
        Initial distribution.
    """
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions", n_actions)
    if not isinstance(stationary, (bool, np.bool_)):
        raise ValueError(f"stationary: expected a bool, got {stationary!r}")
    rng = as_generator(rng)
    lead = () if (stationary or horizon is None) else (check_positive_int("horizon", horizon),)
    check_array_bytes("n_states", lead + (S, A, S), what="the transitions P")
    P = random_transitions(lead + (S, A), S, rng=rng, alpha=alpha, branching=branching)
    R = rng.random(lead + (S, A))
    if isinstance(rho, str):
        if rho == "uniform":
            rho_arr = None
        elif rho == "first":
            rho_arr = np.eye(S)[0]
        else:
            raise ValueError(f"rho: expected 'uniform', 'first' or an array, got {rho!r}")
    else:
        rho_arr = rho
    return finish_mdp(P, R, rho_arr, horizon, gamma)


def random_matrix_game(n_rows: int, n_cols: int, *, rng=None, kind: str = "gaussian") -> MatrixGame:
    """Random zero-sum game: ``"gaussian"`` N(0, 1) or ``"uniform"`` U[-1, 1] entries."""
    m = check_positive_int("n_rows", n_rows)
    n = check_positive_int("n_cols", n_cols)
    rng = as_generator(rng)
    if kind == "gaussian":
        return MatrixGame(rng.standard_normal((m, n)))
    if kind == "uniform":
        return MatrixGame(rng.uniform(-1.0, 1.0, (m, n)))
    raise ValueError(f"kind: expected 'gaussian' or 'uniform', got {kind!r}")


def random_markov_game(n_states: int, n_actions_max: int, n_actions_min: int, horizon: int, *,
                       rng=None, alpha: float = 1.0, stationary: bool = False) -> MarkovGame:
    """Random zero-sum Markov game with Dirichlet transitions and U[-1, 1] payoffs."""
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions_max", n_actions_max)
    B = check_positive_int("n_actions_min", n_actions_min)
    H = check_positive_int("horizon", horizon)
    rng = as_generator(rng)
    check_array_bytes("n_states", (H, S, A, B, S), what="the transitions P")
    lead = () if stationary else (H,)
    P = random_transitions(lead + (S, A, B), S, rng=rng, alpha=alpha)
    R = rng.uniform(-1.0, 1.0, lead + (S, A, B))
    return MarkovGame(P, R, horizon=H)


def random_linear_mdp(n_states: int, n_actions: int, dim: int, horizon: int, *, rng=None,
                      alpha: float = 1.0, stationary: bool = False) -> LinearMDP:
    """Random linear MDP with simplex features (a latent-state / soft-aggregation model).

    ``phi(s, a)`` is a Dirichlet(alpha) point of the ``d``-simplex, ``mu_h[:, i]`` is a
    distribution over next states for each latent ``i``, ``theta_h`` is U[0, 1]^d.  Then
    ``P_h(.|s,a) = sum_i phi_i(s,a) mu_h(., i)`` is a distribution and ``r_h`` lies in [0, 1]
    exactly (Jin et al. 2020, Example 2.2).
    """
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions", n_actions)
    d = check_positive_int("dim", dim)
    H = check_positive_int("horizon", horizon)
    rng = as_generator(rng)
    check_array_bytes("n_states", (H, S, A, S), what="the induced transitions P")
    check_array_bytes("dim", (S, A, d), what="the features phi")
    phi = random_transitions((S, A), d, rng=rng, alpha=alpha)
    lead = (1,) if stationary else (H,)
    mu = random_transitions(lead + (d,), S, rng=rng).swapaxes(-1, -2)  # [H, S, d]
    theta = rng.random(lead + (d,))
    if stationary:
        mu, theta = mu[0], theta[0]
    return LinearMDP(phi, np.ascontiguousarray(mu), theta, horizon=H)
