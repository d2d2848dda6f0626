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
from ..models.sparse import SparseDiscountedMDP, SparseFiniteHorizonMDP
from ._common import finish_mdp

__all__ = ["random_transitions", "random_mdp", "sparse_garnet_rows", "random_matrix_game", "random_markov_game",
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


def sparse_garnet_rows(n_rows: int, n_next: int, branching: int, *, rng=None):
    """Garnet rows (Archibald et al. 1995) as a CSR matrix ``(n_rows, n_next)``, built directly.

    Each row gets ``branching`` distinct successors uniformly at random (drawn i.i.d. and the
    rows with a repeat redrawn: rejection, so the set is uniform over k-subsets) with weights
    the gaps of ``k - 1`` sorted uniforms: the law of :func:`random_transitions` with
    ``branching=k``, at O(n_rows k) cost and memory (not its random stream).
    """
    import scipy.sparse as sp
    rng = as_generator(rng)
    n_rows = check_positive_int("n_rows", n_rows)
    n_next = check_positive_int("n_next", n_next)
    k = check_positive_int("branching", branching)
    if k > n_next:
        raise ValueError(f"branching: must be <= number of states {n_next}, got {k}")
    check_array_bytes("n_rows", (n_rows, k, 3), what="the Garnet rows")
    succ = rng.integers(0, n_next, size=(n_rows, k))
    while True:
        srt = np.sort(succ, axis=1)
        bad = np.flatnonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1)) if k > 1 else srt[:0, 0]
        if bad.size == 0:
            break
        succ[bad] = rng.integers(0, n_next, size=(bad.size, k))
    cuts = np.sort(rng.random((n_rows, k - 1)), axis=1)
    w = np.diff(np.concatenate([np.zeros((n_rows, 1)), cuts, np.ones((n_rows, 1))], axis=1), axis=1)
    w /= w.sum(axis=1, keepdims=True)
    indptr = np.arange(0, n_rows * k + 1, k, dtype=np.int64)
    M = sp.csr_matrix((w.ravel(), succ.ravel(), indptr), shape=(n_rows, n_next))
    M.sum_duplicates()
    M.eliminate_zeros()     # a zero gap (probability ~ 0) drops its successor
    return M


def random_mdp(n_states: int, n_actions: int, *, horizon: int | None = None,
               gamma: float | None = None, rng=None, alpha: float = 1.0,
               branching: int | None = None, stationary: bool = True,
               rho: str | np.ndarray = "uniform", sparse: bool = False):
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
    sparse : bool, default False
        Build the CSR model (:mod:`rlth.models.sparse`) directly with
        :func:`sparse_garnet_rows` (needs ``branching``): same law as the dense Garnet, not the
        same random stream.
    """
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions", n_actions)
    if not isinstance(stationary, (bool, np.bool_)):
        raise ValueError(f"stationary: expected a bool, got {stationary!r}")
    if not isinstance(sparse, (bool, np.bool_)):
        raise ValueError(f"sparse: expected a bool, got {sparse!r}")
    rng = as_generator(rng)
    lead = () if (stationary or horizon is None) else (check_positive_int("horizon", horizon),)
    rho_arr = _rho(rho, S)
    if sparse:
        if branching is None:
            raise ValueError("sparse: a sparse random MDP needs branching (Garnet rows); "
                             "Dirichlet rows are dense")
        n_stages = lead[0] if lead else 1
        k = check_positive_int("branching", branching)
        check_array_bytes("n_states", (n_stages, S, A, k, 3), what="the Garnet rows")
        Ps = [sparse_garnet_rows(S * A, S, k, rng=rng) for _ in range(n_stages)]
        R = rng.random(lead + (S, A))
        if (horizon is None) == (gamma is None):
            raise ValueError("horizon/gamma: give exactly one of horizon (finite-horizon MDP) "
                             "or gamma (discounted MDP)")
        if horizon is None:
            return SparseDiscountedMDP(Ps[0], R, gamma, rho_arr)
        return SparseFiniteHorizonMDP(Ps if lead else Ps[0], R, rho_arr, horizon=horizon)
    check_array_bytes("n_states", lead + (S, A, S), what="the transitions P",
                      hint="for a large sparse model use sparse=True with branching")
    P = random_transitions(lead + (S, A), S, rng=rng, alpha=alpha, branching=branching)
    R = rng.random(lead + (S, A))
    return finish_mdp(P, R, rho_arr, horizon, gamma)


def _rho(rho, S: int):
    if isinstance(rho, str):
        if rho == "uniform":
            return None
        if rho == "first":
            out = np.zeros(S)
            out[0] = 1.0
            return out
        raise ValueError(f"rho: expected 'uniform', 'first' or an array, got {rho!r}")
    return rho


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
