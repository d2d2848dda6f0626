"""The CSR routes of the exact solvers (private: :mod:`rlth.solvers.dp`,
:mod:`rlth.solvers.occupancy` and :mod:`rlth.solvers.lp` dispatch here for the models of
:mod:`rlth.models.sparse`, so a sparse model has the same public API and certificates).

Finite horizon: backward induction, policy evaluation and the Bellman-residual certificate are
the numba kernels of :mod:`rlth._kernels.csr` (O(nnz + H S A) per solve).  Discounted: one
backup is a CSR product; policy evaluation is a sparse LU solve of ``(I - gamma P^pi) V =
r^pi`` (SuperLU through ``scipy.sparse.linalg.spsolve``), whose residual the caller recomputes
and reports, as for the dense route.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from .._kernels import csr as KC
from ..models.policy import as_stochastic_policy

_DUMMY_PI = np.zeros((1, 1, 1))


def compact_policy(mdp, pi, name: str = "pi") -> np.ndarray:
    """``pi`` as a stochastic ``[Hpi, S, A]`` array, ``Hpi = 1`` for a stationary policy (not
    broadcast over the horizon: at S = 1e6, H = 100 that copy would be 3.2 GB)."""
    S, A = mdp.n_states, mdp.n_actions
    arr = np.asarray(pi)
    stationary = arr.ndim == (1 if arr.dtype.kind in "iu" else 2)
    if stationary:
        return as_stochastic_policy(pi, S, A, None, name=name)[None]
    return as_stochastic_policy(pi, S, A, mdp.horizon, name=name)


def fh_optimal(mdp, V, Q, pi) -> None:
    """Fill ``V[H+1, S]``, ``Q[H, S, A]``, ``pi[H, S]`` by backward induction over CSR."""
    KC.csr_backward_induction(mdp.indptr, mdp.indices, mdp.data, mdp.R_stages, mdp.horizon, V, Q,
                              pi, True)


def optimal_value(mdp) -> float:
    return float(KC.csr_backward_values(mdp.indptr, mdp.indices, mdp.data, mdp.R_stages,
                                        mdp.horizon, mdp.rho))


def fh_backup(mdp, V) -> np.ndarray:
    """``Q[h] = R_h + P_h V[h+1]`` for all h (scipy CSR products)."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    Q = np.empty((H, S, A))
    for h in range(H):
        Q[h] = mdp.R[h] + (mdp.P_matrix(h) @ V[h + 1]).reshape(S, A)
    return Q


def fh_evaluate(mdp, pis):
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    V = np.empty((H + 1, S))
    Q = np.empty((H, S, A))
    KC.csr_evaluate_finite(mdp.indptr, mdp.indices, mdp.data, mdp.R_stages, H, pis, V, Q)
    return V, Q


def fh_residual(mdp, V, pis=None) -> float:
    use_pi = pis is not None
    return float(KC.csr_fh_residual(mdp.indptr, mdp.indices, mdp.data, mdp.R_stages,
                                    mdp.horizon, V, pis if use_pi else _DUMMY_PI, use_pi))


def disc_backup(mdp, V) -> np.ndarray:
    Q = np.empty((mdp.n_states, mdp.n_actions))
    KC.csr_q_discounted(mdp.indptr, mdp.indices, mdp.data, mdp.R, mdp.gamma,
                        np.ascontiguousarray(V, dtype=np.float64), Q)
    return Q


def vi_sweeps(mdp, v, tol, max_iter):
    if max_iter <= 0:
        return 0, np.inf
    work = np.empty_like(v)
    n, diff = KC.csr_value_iteration(mdp.indptr, mdp.indices, mdp.data, mdp.R, mdp.gamma, tol,
                                     max_iter, v, work)
    return int(n), float(diff)


def policy_matrix(mdp, pis) -> sp.csr_matrix:
    """``P^pi`` as a CSR ``(S, S)`` matrix: ``sum_a pi(a|s) P(.|s, a)`` (``pis[S, A]``)."""
    S, A = mdp.n_states, mdp.n_actions
    rows = np.repeat(np.arange(S), A)
    W = sp.csr_matrix((pis.reshape(-1), (rows, np.arange(S * A))), shape=(S, S * A))
    return (W @ mdp.P_matrix()).tocsr()


def disc_solve(mdp, pis) -> np.ndarray:
    """``V^pi`` from ``(I - gamma P^pi) V = r^pi`` by a sparse LU solve."""
    S = mdp.n_states
    M = (sp.identity(S, format="csc") - mdp.gamma * policy_matrix(mdp, pis)).tocsc()
    r_pi = np.einsum("sa,sa->s", pis, mdp.R)
    return np.asarray(spsolve(M, r_pi), dtype=np.float64).reshape(S)


def disc_evaluate(mdp, pis):
    V = disc_solve(mdp, pis)
    return V, disc_backup(mdp, V)


def occupancy(mdp, pis) -> np.ndarray:
    """State-action occupancies ``d[H, S, A]`` (finite horizon, forward DP over CSR)."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    d = np.empty((H, S, A))
    KC.csr_occupancy(mdp.indptr, mdp.indices, mdp.data, H, S, A, pis, mdp.rho, d)
    return d
