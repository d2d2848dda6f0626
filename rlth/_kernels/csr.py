r"""Numba kernels over CSR transitions (rows ``(h, s, a)``, see :mod:`rlth.models.sparse`).

Each backup visits only the stored successors of a row,

.. math::
    Q_h(s, a) = r_h(s, a) + \sum_{k=\text{indptr}[r]}^{\text{indptr}[r+1]-1}
    \text{data}[k]\, V_{h+1}(\text{indices}[k]), \qquad r = (h_P S + s) A + a,

with ``h_P = h`` when the transitions are stage-dependent and 0 when stationary (likewise
``h_R`` for the rewards), so a sweep costs O(nnz + S A) and reads the CSR arrays once.  The
index arrays may be int32 or int64 (the models store int32 when the values fit); numba compiles
one specialisation per dtype from the same source, and the sums run in the same order, so both
layouts give the same bits.  Beyond the streamed CSR arrays each stored transition gathers
``V[s']`` at an arbitrary position: for random successors that gather, not the stream, bounds a
sweep once ``V`` leaves the core's caches (``experiments/benchmarks/sparse.py`` measures both
floors).  The row sums are accumulated left to right in the
stored (sorted) order; maxima take the lowest action index on ties, as the dense kernels.
Strict IEEE arithmetic except ``reassoc``/``contract`` inside the dot products (as the dense
kernels, :mod:`rlth._kernels.dp`), which keeps inf/NaN semantics.  Every loop is serial: on
this machine kind (2 cores, usually shared by a sweep's worker processes) a ``prange`` over the
states of a stage was 1.05-16x *slower* than the serial loop at S = 1e3..1e6 under load (thread
wake-ups per stage), and a sweep parallelises over seeds instead (docs/explanation/performance.md).

Sampling: :func:`csr_alias_tables` builds one alias table per row over the row's support only
(O(nnz) memory), and :func:`csr_draw` draws a successor with one uniform.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .sampling import alias_draw, vose_row

__all__ = ["csr_backward_induction", "csr_backward_values", "csr_evaluate_finite",
           "csr_fh_residual", "csr_bellman_sweep", "csr_value_iteration", "csr_q_discounted",
           "csr_occupancy", "csr_alias_tables", "csr_draw", "csr_multinomial_rows",
           "column_counts"]

_FM = {"reassoc", "contract"}


@njit(cache=True, fastmath=_FM)
def _row_dot(indptr, indices, data, r, v):
    # unsigned positions: numba then skips its negative-index wraparound test on every load,
    # which made this gather loop 1.7x slower than scipy's C loop on cache-resident models
    acc = 0.0
    for k in range(np.uint64(indptr[r]), np.uint64(indptr[r + 1])):
        acc += data[k] * v[np.uint64(indices[k])]
    return acc


@njit(cache=True)
def _stage_opt(indptr, indices, data, R_h, hp, V_next, V_h, Q_h, pi_h, store_q):
    S, A = R_h.shape
    for s in range(S):
        best = -np.inf
        arg = 0
        for a in range(A):
            q = R_h[s, a] + _row_dot(indptr, indices, data, (hp * S + s) * A + a, V_next)
            if store_q:
                Q_h[s, a] = q
            if q > best:
                best = q
                arg = a
        V_h[s] = best
        pi_h[s] = arg


@njit(cache=True)
def csr_backward_induction(indptr, indices, data, R_stages, H, V, Q, pi, store_q):
    """Optimal ``V[H+1, S]`` (``V[H] = 0`` set here), ``pi[H, S]`` and, if ``store_q``,
    ``Q[H, S, A]`` (``Q`` may be a dummy ``(1, 1, 1)`` array otherwise)."""
    S = R_stages.shape[1]
    n_p = (indptr.size - 1) // (S * R_stages.shape[2])
    V[H, :] = 0.0
    for h in range(H - 1, -1, -1):
        hp = h if n_p > 1 else 0
        hr = h if R_stages.shape[0] > 1 else 0
        Qh = Q[h] if store_q else Q[0]
        _stage_opt(indptr, indices, data, R_stages[hr], hp, V[h + 1], V[h], Qh, pi[h], store_q)


@njit(cache=True)
def csr_backward_values(indptr, indices, data, R_stages, H, rho):
    """``rho @ V*_0`` keeping two value vectors only (O(S) memory beyond the model)."""
    S, A = R_stages.shape[1], R_stages.shape[2]
    n_p = (indptr.size - 1) // (S * A)
    v_next = np.zeros(S)
    v = np.empty(S)
    pi = np.empty(S, dtype=np.int64)
    dummy = np.empty((1, 1))
    for h in range(H - 1, -1, -1):
        hp = h if n_p > 1 else 0
        hr = h if R_stages.shape[0] > 1 else 0
        _stage_opt(indptr, indices, data, R_stages[hr], hp, v_next, v, dummy, pi, False)
        v, v_next = v_next, v
    out = 0.0
    for s in range(S):
        out += rho[s] * v_next[s]
    return out


@njit(cache=True)
def _stage_eval(indptr, indices, data, R_h, hp, pi_h, V_next, V_h, Q_h):
    S, A = R_h.shape
    for s in range(S):
        acc = 0.0
        for a in range(A):
            q = R_h[s, a] + _row_dot(indptr, indices, data, (hp * S + s) * A + a, V_next)
            Q_h[s, a] = q
            if pi_h[s, a] != 0.0:
                acc += pi_h[s, a] * q
        V_h[s] = acc


@njit(cache=True)
def csr_evaluate_finite(indptr, indices, data, R_stages, H, pi, V, Q):
    """``V^pi[H+1, S]`` and ``Q^pi[H, S, A]`` of a stochastic policy ``pi[Hpi, S, A]``."""
    S, A = R_stages.shape[1], R_stages.shape[2]
    n_p = (indptr.size - 1) // (S * A)
    V[H, :] = 0.0
    for h in range(H - 1, -1, -1):
        hp = h if n_p > 1 else 0
        hr = h if R_stages.shape[0] > 1 else 0
        hpi = h if pi.shape[0] > 1 else 0
        _stage_eval(indptr, indices, data, R_stages[hr], hp, pi[hpi], V[h + 1], V[h], Q[h])


@njit(cache=True)
def _stage_residual(indptr, indices, data, R_h, hp, pi_h, use_pi, V_next, V_h):
    S, A = R_h.shape
    worst = 0.0
    for s in range(S):
        best = -np.inf
        acc = 0.0
        for a in range(A):
            q = R_h[s, a] + _row_dot(indptr, indices, data, (hp * S + s) * A + a, V_next)
            if use_pi:
                if pi_h[s, a] != 0.0:
                    acc += pi_h[s, a] * q
            elif q > best:
                best = q
        t = acc if use_pi else best
        worst = max(worst, abs(t - V_h[s]))
    return worst


@njit(cache=True)
def csr_fh_residual(indptr, indices, data, R_stages, H, V, pi, use_pi):
    """``max(max_h ||T_h V[h+1] - V[h]||_inf, ||V[H]||_inf)`` (``T^pi`` if ``use_pi``)."""
    S, A = R_stages.shape[1], R_stages.shape[2]
    n_p = (indptr.size - 1) // (S * A)
    out = 0.0
    for s in range(S):
        out = max(out, abs(V[H, s]))
    for h in range(H):
        hp = h if n_p > 1 else 0
        hr = h if R_stages.shape[0] > 1 else 0
        hpi = h if pi.shape[0] > 1 else 0
        out = max(out, _stage_residual(indptr, indices, data, R_stages[hr], hp, pi[hpi], use_pi,
                                       V[h + 1], V[h]))
    return out


@njit(cache=True)
def csr_q_discounted(indptr, indices, data, R, gamma, v, Q):
    """``Q = R + gamma P v`` for a discounted model."""
    S, A = R.shape
    for s in range(S):
        for a in range(A):
            Q[s, a] = R[s, a] + gamma * _row_dot(indptr, indices, data, s * A + a, v)


@njit(cache=True)
def csr_bellman_sweep(indptr, indices, data, R, gamma, v, out):
    """``out = T v`` (Jacobi); returns ``||out - v||_inf``."""
    S, A = R.shape
    diff = 0.0
    for s in range(S):
        best = -np.inf
        for a in range(A):
            q = R[s, a] + gamma * _row_dot(indptr, indices, data, s * A + a, v)
            if q > best:
                best = q
        out[s] = best
        diff = max(diff, abs(best - v[s]))
    return diff


@njit(cache=True)
def csr_value_iteration(indptr, indices, data, R, gamma, tol, max_iter, v, work):
    """Sweeps ``v <- T v`` until ``gamma ||v_{k+1} - v_k|| <= tol (1 - gamma)`` or ``max_iter``;
    returns ``(sweeps, last diff)`` with ``v`` holding the last iterate."""
    n = 0
    diff = np.inf
    while n < max_iter:
        diff = csr_bellman_sweep(indptr, indices, data, R, gamma, v, work)
        v[:] = work
        n += 1
        if gamma * diff <= tol * (1.0 - gamma):
            break
    return n, diff


@njit(cache=True)
def csr_occupancy(indptr, indices, data, H, S, A, pi, rho, d):
    """State-action occupancies ``d[H, S, A]`` of ``pi[Hpi, S, A]`` from ``rho`` (forward DP)."""
    n_p = (indptr.size - 1) // (S * A)
    ds = rho.copy()
    for h in range(H):
        hp = h if n_p > 1 else 0
        hpi = h if pi.shape[0] > 1 else 0
        nxt = np.zeros(S)
        for s in range(S):
            if ds[s] == 0.0:
                for a in range(A):
                    d[h, s, a] = 0.0
                continue
            for a in range(A):
                w = ds[s] * pi[hpi, s, a]
                d[h, s, a] = w
                if w != 0.0:
                    r = (hp * S + s) * A + a
                    for k in range(indptr[r], indptr[r + 1]):
                        nxt[indices[k]] += w * data[k]
        ds = nxt


@njit(cache=True)
def csr_alias_tables(indptr, data):
    """Per-row alias tables over each row's support: ``prob[nnz]`` and ``alias[nnz]`` (positions
    local to the row), by the construction of :func:`rlth._kernels.sampling.vose_row`."""
    n_rows = indptr.size - 1
    prob = np.empty(data.size)
    alias = np.empty(data.size, dtype=np.int64)
    width = 1
    for r in range(n_rows):
        width = max(width, indptr[r + 1] - indptr[r])
    scaled = np.empty(width)
    small = np.empty(width, dtype=np.int64)
    large = np.empty(width, dtype=np.int64)
    for r in range(n_rows):
        lo, hi = indptr[r], indptr[r + 1]
        vose_row(data[lo:hi], prob[lo:hi], alias[lo:hi], scaled, small, large)
    return prob, alias


@njit(cache=True)
def csr_draw(indptr, indices, prob, alias, r, u):
    """Successor of row ``r`` drawn with one uniform ``u`` in [0, 1) from its alias table."""
    lo, hi = indptr[r], indptr[r + 1]
    return indices[lo + alias_draw(prob[lo:hi], alias[lo:hi], u)]


@njit(cache=True)
def csr_multinomial_rows(indptr, data, row0, row_counts, rng, out):
    """``out[indptr[row0 + i] : indptr[row0 + i + 1]] ~ Multinomial(row_counts[i], row)`` for
    every row ``row0 + i`` with a positive count (zero elsewhere), over the row's support only,
    by sequential conditional binomials: the k-th successor gets ``Binomial(n_left, p_k /
    p_left)`` (numpy's own construction of ``Generator.multinomial``, so the same law)."""
    for i in range(row_counts.size):
        r = row0 + i
        lo, hi = indptr[r], indptr[r + 1]
        n_left = row_counts[i]
        p_left = 1.0
        for k in range(lo, hi):
            out[k] = 0
        if n_left == 0:
            continue
        for k in range(lo, hi - 1):
            p = data[k] / p_left if p_left > 0.0 else 1.0
            x = rng.binomial(n_left, min(p, 1.0)) if p > 0.0 else 0
            out[k] = x
            n_left -= x
            if n_left == 0:
                break
            p_left -= data[k]
        if n_left > 0:
            out[hi - 1] = n_left


@njit(cache=True)
def column_counts(indices, counts, n_states):
    """``out[s'] = sum of counts[k] over the stored entries k with indices[k] = s'`` (int64,
    exact for any count: no float round trip)."""
    out = np.zeros(n_states, dtype=np.int64)
    for k in range(indices.size):
        out[indices[k]] += counts[k]
    return out
