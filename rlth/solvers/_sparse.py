"""The CSR routes of the exact solvers (private: :mod:`rlth.solvers.dp`,
:mod:`rlth.solvers.occupancy` and :mod:`rlth.solvers.lp` dispatch here for the models of
:mod:`rlth.models.sparse`, so a sparse model has the same public API and certificates).

Finite horizon: backward induction, policy evaluation and the Bellman-residual certificate are
the numba kernels of :mod:`rlth._kernels.csr` (O(nnz + H S A) per solve).  Discounted: one
backup is a CSR product; policy evaluation solves ``(I - gamma P^pi) V = r^pi`` by sparse LU
(SuperLU) for small models and BiCGSTAB for large ones (:func:`disc_solve`), and returns the
error bound of the solve; the callers recompute and report the Bellman residual, as for the
dense route.
"""
from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import bicgstab, spsolve

from .._kernels import csr as KC
from ..models.policy import as_stochastic_policy

_DUMMY_PI = np.zeros((1, 1, 1))


def _drivers(mdp) -> KC.CSRDrivers:
    """Serial or threaded kernels by the size of one stage
    (:func:`~rlth._kernels.csr.drivers_for`)."""
    return KC.drivers_for(mdp.n_states * mdp.n_actions)


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
    _drivers(mdp).backward_induction(mdp.indptr, mdp.indices, mdp.data, mdp.R_stages,
                                     mdp.horizon, V, Q, pi)


def optimal_value(mdp) -> float:
    return float(_drivers(mdp).backward_values(mdp.indptr, mdp.indices, mdp.data,
                                               mdp.R_stages, mdp.horizon, mdp.rho))


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
    _drivers(mdp).evaluate_finite(mdp.indptr, mdp.indices, mdp.data, mdp.R_stages, H, pis, V,
                                  Q)
    return V, Q


def fh_residual(mdp, V, pis=None) -> float:
    use_pi = pis is not None
    return float(_drivers(mdp).fh_residual(mdp.indptr, mdp.indices, mdp.data, mdp.R_stages,
                                           mdp.horizon, V, pis if use_pi else _DUMMY_PI,
                                           use_pi))


def disc_backup(mdp, V) -> np.ndarray:
    Q = np.empty((mdp.n_states, mdp.n_actions))
    _drivers(mdp).q_discounted(mdp.indptr, mdp.indices, mdp.data, mdp.R, mdp.gamma,
                               np.ascontiguousarray(V, dtype=np.float64), Q)
    return Q


def vi_sweeps(mdp, v, tol, max_iter):
    if max_iter <= 0:
        return 0, np.inf
    work = np.empty_like(v)
    n, diff = _drivers(mdp).value_iteration(mdp.indptr, mdp.indices, mdp.data, mdp.R,
                                            mdp.gamma, tol, max_iter, v, work)
    return int(n), float(diff)


def policy_matrix(mdp, pis) -> sp.csr_matrix:
    """``P^pi`` as a CSR ``(S, S)`` matrix: ``sum_a pi(a|s) P(.|s, a)`` (``pis[S, A]``)."""
    S, A = mdp.n_states, mdp.n_actions
    rows = np.repeat(np.arange(S), A)
    W = sp.csr_matrix((pis.reshape(-1), (rows, np.arange(S * A))), shape=(S, S * A))
    return (W @ mdp.P_matrix()).tocsr()


#: Largest S solved by a direct sparse LU; above it BiCGSTAB (LU fill-in on random sparse graphs
#: grows fast: one evaluation of a 1e4-state Garnet took 26 s by LU, 0.03 s by BiCGSTAB).
DIRECT_MAX_STATES = 2000


def solve_system(T, b, gamma: float, x0=None) -> np.ndarray:
    """``x`` with ``(I - gamma T) x = b`` for a sparse ``T`` with rows (or columns) summing to 1.

    Sparse LU (SuperLU) up to :data:`DIRECT_MAX_STATES` unknowns.  Above, BiCGSTAB (relative
    tolerance 1e-14, warm-started from ``x0``); when it breaks down (it does on some transposed
    systems, the occupancy's) the fixed point ``x <- b + gamma T x`` is iterated, a
    ``gamma``-contraction (in the sup norm for row-stochastic ``T``, in l1 for column-stochastic),
    until ``gamma ||x_{k+1} - x_k|| <= 1e-13 (1 - gamma) ||x||`` in both norms: never an LU of a large random
    graph, whose fill-in is prohibitive (one 1e5-state Garnet occupancy ran 9 minutes in LU).
    """
    n = T.shape[0]
    M = (sp.identity(n, format="csr") - gamma * T).tocsr()
    if n <= DIRECT_MAX_STATES:
        return np.asarray(spsolve(M.tocsc(), b), dtype=np.float64).reshape(n)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)       # a breakdown overflows inside
        x, info = bicgstab(M, b, x0=x0, rtol=1e-14, atol=0.0, maxiter=10 * n)
    if info == 0 and np.all(np.isfinite(x)):
        return np.asarray(x, dtype=np.float64)
    T = T.tocsr()
    x = np.array(b, dtype=np.float64)
    # stop when both the sup-norm and the l1 contraction bounds are below 1e-13 relative; the
    # geometric decay reaches that within log(1e-16) / log(gamma) sweeps
    max_iter = int(np.ceil(np.log(1e-16) / np.log(max(gamma, 1e-300)))) + 10
    for _ in range(max_iter):
        nxt = b + gamma * (T @ x)
        d = np.abs(nxt - x)
        x = nxt
        if (gamma * d.max() <= 1e-13 * (1.0 - gamma) * max(1.0, float(np.abs(x).max()))
                and gamma * d.sum() <= 1e-13 * (1.0 - gamma) * max(1.0, float(np.abs(x).sum()))):
            return x
    raise RuntimeError(f"solve_system: the fixed-point iteration did not reach 1e-13 in "
                       f"{max_iter} sweeps (gamma = {gamma})")


def disc_solve(mdp, pis, x0=None) -> tuple[np.ndarray, float]:
    """``V^pi`` from ``(I - gamma P^pi) V = r^pi`` (:func:`solve_system`) and a bound on its
    error: ``err = ||(I - gamma P^pi) V - r^pi||_inf / (1 - gamma) >= ||V - V^pi||_inf``
    (``||(I - gamma P^pi)^{-1}||_inf <= 1 / (1 - gamma)``), recomputed from the solution."""
    P_pi = policy_matrix(mdp, pis)
    r_pi = np.einsum("sa,sa->s", pis, mdp.R)
    V = solve_system(P_pi, r_pi, mdp.gamma, x0)
    resid = V - mdp.gamma * (P_pi @ V) - r_pi
    err = float(np.max(np.abs(resid), initial=0.0)) / (1.0 - mdp.gamma)
    return V, err


def disc_evaluate(mdp, pis):
    V, _ = disc_solve(mdp, pis)
    return V, disc_backup(mdp, V)


def occupancy(mdp, pis) -> np.ndarray:
    """State-action occupancies ``d[H, S, A]`` (finite horizon, forward DP over CSR)."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    d = np.empty((H, S, A))
    KC.csr_occupancy(mdp.indptr, mdp.indices, mdp.data, H, S, A, pis, mdp.rho, d)
    return d
