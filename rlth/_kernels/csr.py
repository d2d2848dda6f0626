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
floors).  Each row sum runs over the row's stored (sorted) successors in one compiled loop
(``reassoc`` lets the compiler split a long row into vector partial sums: the same split on
every call and for both flavours below, and on the AVX-512 hosts tested for both index dtypes,
to 64 successors; another vector ISA could split int32 and int64 rows differently, which the
layout tests would then report); maxima take
the lowest action index on ties, as the dense kernels, by a select rather than a branch (a
branch on which action wins is unpredictable on random models, and each misprediction discards
the gathers issued after it: 1.2x on the 1e6 gridworld).  Strict IEEE arithmetic except
``reassoc``/``contract`` inside the dot products (as the dense kernels, :mod:`rlth._kernels.dp`),
which keeps inf/NaN semantics.

Serial or threaded, same bits.  The maths lives in per-block functions (``_*_block``: a run of
states ``lo <= s < hi`` of one stage, serial).  The drivers loop over the stages and hand the
blocks of :data:`BLOCK` states to ``range`` (:data:`SERIAL`) or to numba's ``prange``
(:data:`THREADED`, numba's thread count); each state's value depends only on the previous
stage, and the per-block maxima are folded in block order, so both give identical arrays.
:func:`drivers_for` picks: threaded from :data:`THREADED_MIN_ROWS` rows per stage when numba has
more than one thread (a sweep's worker processes set it to 1, so they never oversubscribe),
serial below, where waking the threads costs more than a stage (performance section 4).

Sampling: :func:`csr_alias_tables` builds one alias table per row over the row's support only
(O(nnz) memory), and :func:`csr_draw` draws a successor with one uniform.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numba
import numpy as np
from numba import njit, prange

from .sampling import alias_draw, vose_row

__all__ = ["BLOCK", "THREADED_MIN_ROWS", "SERIAL", "THREADED", "drivers_for", "CSRDrivers",
           "csr_occupancy", "csr_alias_tables", "csr_draw", "csr_multinomial_rows",
           "column_counts"]

_FM = {"reassoc", "contract"}

#: States per block, the unit a stage is split into between threads (and over which the
#: residual's and value iteration's sup norms are taken before being folded in block order).
BLOCK = 4096

#: Rows ``S * A`` per stage from which :func:`drivers_for` uses the threaded drivers (2^16:
#: S = 16384 at A = 4, where one serial stage of a Garnet takes about 0.25 ms).
THREADED_MIN_ROWS = 1 << 16


@njit(cache=True, fastmath=_FM)
def _range_dot(indices, data, v, lo, hi):
    """``sum_{lo <= k < hi} data[k] v[indices[k]]`` left to right (``lo``, ``hi`` unsigned)."""
    # unsigned positions: numba then skips its negative-index wraparound test on every load,
    # which made this gather loop 1.7x slower than scipy's C loop on cache-resident models
    acc = 0.0
    for k in range(lo, hi):
        acc += data[k] * v[np.uint64(indices[k])]
    return acc


# A state's A rows are contiguous: the two walkers below read its row ends from indptr once each
# and carry k from one row to the next (1.1x on the gridworld against two indptr reads per row).

@njit(cache=True)
def _state_q(indptr, indices, data, R_h, row0, gamma, v, s, q):
    """``q[a] = R_h[s, a] + gamma P[row0 + s A + a] . v`` for every action (``gamma = 1`` is
    exact: ``x * 1.0 == x``)."""
    A = R_h.shape[1]
    r = row0 + s * A
    k = np.uint64(indptr[r])
    for a in range(A):
        end = np.uint64(indptr[r + a + 1])
        q[a] = R_h[s, a] + gamma * _range_dot(indices, data, v, k, end)
        k = end


@njit(cache=True)
def _max_backup(indptr, indices, data, R_h, row0, gamma, v, s):
    """``max_a R_h[s, a] + gamma P[row0 + s A + a] . v``, stored nowhere."""
    A = R_h.shape[1]
    r = row0 + s * A
    k = np.uint64(indptr[r])
    best = -np.inf
    for a in range(A):
        end = np.uint64(indptr[r + a + 1])
        q = R_h[s, a] + gamma * _range_dot(indices, data, v, k, end)
        k = end
        best = q if q > best else best
    return best


@njit(cache=True)
def _sup(acc, d):
    """``max(acc, d)`` that keeps a NaN once seen, so a certificate of a ``V`` holding NaN (or
    ``inf - inf``) is NaN, as the dense kernels' (numba's ``max(0.0, nan)`` is ``0.0``)."""
    return d if (d > acc or d != d) else acc


@njit(cache=True)
def _opt_block(indptr, indices, data, R_h, row0, V_next, lo, hi, V_h, Q_h, pi_h):
    """``Q_h = R_h + P_h V_next``, ``V_h = max_a Q_h`` and ``pi_h`` its lowest argmax (by
    selects; NaN never wins, as in the dense kernels) on the block."""
    for s in range(lo, hi):
        q = Q_h[s]
        _state_q(indptr, indices, data, R_h, row0, 1.0, V_next, s, q)
        best = -np.inf
        arg = 0
        for a in range(q.size):
            better = q[a] > best
            best = q[a] if better else best
            arg = a if better else arg
        V_h[s] = best
        pi_h[s] = arg


@njit(cache=True)
def _value_block(indptr, indices, data, R_h, row0, V_next, lo, hi, V_h):
    """``V_h[s] = max_a R_h[s, a] + P_h V_next`` on the block (no ``Q``, no policy)."""
    for s in range(lo, hi):
        V_h[s] = _max_backup(indptr, indices, data, R_h, row0, 1.0, V_next, s)


@njit(cache=True)
def _policy_average(pi_s, q):
    """``sum_a pi(a|s) q[a]`` over the actions with ``pi(a|s) != 0`` (an unplayed action's
    ``-inf`` value does not enter)."""
    acc = 0.0
    for a in range(q.size):
        if pi_s[a] != 0.0:
            acc += pi_s[a] * q[a]
    return acc


@njit(cache=True)
def _eval_block(indptr, indices, data, R_h, row0, pi_h, V_next, lo, hi, V_h, Q_h):
    """``Q_h = R_h + P_h V_next`` and ``V_h[s] = sum_a pi_h[s, a] Q_h[s, a]`` on the block."""
    for s in range(lo, hi):
        _state_q(indptr, indices, data, R_h, row0, 1.0, V_next, s, Q_h[s])
        V_h[s] = _policy_average(pi_h[s], Q_h[s])


@njit(cache=True)
def _residual_block(indptr, indices, data, R_h, row0, pi_h, use_pi, V_next, V_h, lo, hi):
    """``max_s |(T_h V_next)(s) - V_h[s]|`` on the block (``T^pi`` if ``use_pi``)."""
    q = np.empty(R_h.shape[1])
    worst = 0.0
    for s in range(lo, hi):
        if use_pi:
            _state_q(indptr, indices, data, R_h, row0, 1.0, V_next, s, q)
            t = _policy_average(pi_h[s], q)
        else:
            t = _max_backup(indptr, indices, data, R_h, row0, 1.0, V_next, s)
        worst = _sup(worst, abs(t - V_h[s]))
    return worst


@njit(cache=True)
def _sweep_block(indptr, indices, data, R, gamma, v, lo, hi, out):
    """``out[s] = (T v)(s)`` on the block; returns ``max_s |out[s] - v[s]|`` there."""
    diff = 0.0
    for s in range(lo, hi):
        best = _max_backup(indptr, indices, data, R, 0, gamma, v, s)
        out[s] = best
        diff = _sup(diff, abs(best - v[s]))
    return diff


@njit(cache=True)
def _q_block(indptr, indices, data, R, gamma, v, lo, hi, Q):
    """``Q[s] = R[s] + gamma P[s] v`` on the block."""
    for s in range(lo, hi):
        _state_q(indptr, indices, data, R, 0, gamma, v, s, Q[s])


@njit(cache=True)
def _stage(indptr, R_stages, h):
    """``(row0, R_h)``: the first CSR row of stage ``h`` and its rewards (a stationary model
    stores one stage of transitions, or of rewards, for all ``h``)."""
    S, A = R_stages.shape[1], R_stages.shape[2]
    n_p = (indptr.size - 1) // (S * A)
    return (h if n_p > 1 else 0) * S * A, R_stages[h if R_stages.shape[0] > 1 else 0]


@njit(cache=True)
def _fold_max(x):
    out = 0.0
    for i in range(x.size):
        out = _sup(out, x[i])
    return out


class CSRDrivers(NamedTuple):
    """The stage drivers of one flavour (:data:`SERIAL` or :data:`THREADED`)."""

    backward_induction: Callable
    backward_values: Callable
    evaluate_finite: Callable
    fh_residual: Callable
    q_discounted: Callable
    value_iteration: Callable


def _drivers(loop) -> CSRDrivers:
    """Compile the drivers with ``loop`` over the blocks of a stage: ``range`` or ``prange``.

    ``loop`` is the closure's only free variable, so numba's cache keys the two flavours apart.
    """

    @njit(cache=True, parallel=loop is prange)
    def backward_induction(indptr, indices, data, R_stages, H, V, Q, pi):
        """Optimal ``V[H+1, S]`` (``V[H] = 0`` set here), ``Q[H, S, A]`` and ``pi[H, S]``."""
        S = R_stages.shape[1]
        nb = (S + BLOCK - 1) // BLOCK
        V[H, :] = 0.0
        for h in range(H - 1, -1, -1):
            row0, R_h = _stage(indptr, R_stages, h)
            V_next, V_h, Q_h, pi_h = V[h + 1], V[h], Q[h], pi[h]
            for b in loop(nb):
                _opt_block(indptr, indices, data, R_h, row0, V_next, b * BLOCK,
                           min(S, (b + 1) * BLOCK), V_h, Q_h, pi_h)

    @njit(cache=True, parallel=loop is prange)
    def backward_values(indptr, indices, data, R_stages, H, rho):
        """``rho @ V*_0`` keeping two value vectors only (O(S) memory beyond the model)."""
        S = R_stages.shape[1]
        nb = (S + BLOCK - 1) // BLOCK
        v_next = np.zeros(S)
        v = np.empty(S)
        for h in range(H - 1, -1, -1):
            row0, R_h = _stage(indptr, R_stages, h)
            for b in loop(nb):
                _value_block(indptr, indices, data, R_h, row0, v_next, b * BLOCK,
                             min(S, (b + 1) * BLOCK), v)
            v, v_next = v_next, v
        out = 0.0
        for s in range(S):
            out += rho[s] * v_next[s]
        return out

    @njit(cache=True, parallel=loop is prange)
    def evaluate_finite(indptr, indices, data, R_stages, H, pi, V, Q):
        """``V^pi[H+1, S]`` and ``Q^pi[H, S, A]`` of a stochastic policy ``pi[Hpi, S, A]``."""
        S = R_stages.shape[1]
        nb = (S + BLOCK - 1) // BLOCK
        V[H, :] = 0.0
        for h in range(H - 1, -1, -1):
            row0, R_h = _stage(indptr, R_stages, h)
            pi_h = pi[h if pi.shape[0] > 1 else 0]
            V_next, V_h, Q_h = V[h + 1], V[h], Q[h]
            for b in loop(nb):
                _eval_block(indptr, indices, data, R_h, row0, pi_h, V_next, b * BLOCK,
                            min(S, (b + 1) * BLOCK), V_h, Q_h)

    @njit(cache=True, parallel=loop is prange)
    def fh_residual(indptr, indices, data, R_stages, H, V, pi, use_pi):
        """``max(max_h ||T_h V[h+1] - V[h]||_inf, ||V[H]||_inf)`` (``T^pi`` if ``use_pi``)."""
        S = R_stages.shape[1]
        nb = (S + BLOCK - 1) // BLOCK
        out = 0.0
        for s in range(S):
            out = _sup(out, abs(V[H, s]))
        worst = np.zeros(nb)
        for h in range(H):
            row0, R_h = _stage(indptr, R_stages, h)
            pi_h = pi[h if pi.shape[0] > 1 else 0]
            V_next, V_h = V[h + 1], V[h]
            for b in loop(nb):
                worst[b] = _residual_block(indptr, indices, data, R_h, row0, pi_h, use_pi,
                                           V_next, V_h, b * BLOCK, min(S, (b + 1) * BLOCK))
            out = _sup(out, _fold_max(worst))
        return out

    @njit(cache=True, parallel=loop is prange)
    def q_discounted(indptr, indices, data, R, gamma, v, Q):
        """``Q = R + gamma P v`` for a discounted model."""
        S = R.shape[0]
        nb = (S + BLOCK - 1) // BLOCK
        for b in loop(nb):
            _q_block(indptr, indices, data, R, gamma, v, b * BLOCK, min(S, (b + 1) * BLOCK), Q)

    @njit(cache=True, parallel=loop is prange)
    def value_iteration(indptr, indices, data, R, gamma, tol, max_iter, v, work):
        """Jacobi sweeps ``v <- T v`` until ``gamma ||v_{k+1} - v_k|| <= tol (1 - gamma)`` or
        ``max_iter``; returns ``(sweeps, last diff)`` with ``v`` holding the last iterate."""
        S = R.shape[0]
        nb = (S + BLOCK - 1) // BLOCK
        diffs = np.zeros(nb)
        n = 0
        diff = np.inf
        while n < max_iter:
            for b in loop(nb):
                diffs[b] = _sweep_block(indptr, indices, data, R, gamma, v, b * BLOCK,
                                        min(S, (b + 1) * BLOCK), work)
            diff = _fold_max(diffs)
            for s in range(S):
                v[s] = work[s]
            n += 1
            if gamma * diff <= tol * (1.0 - gamma):
                break
        return n, diff

    return CSRDrivers(backward_induction, backward_values, evaluate_finite, fh_residual,
                      q_discounted, value_iteration)


#: The drivers with a serial loop over the blocks of a stage.
SERIAL = _drivers(range)
#: The same drivers with the blocks of a stage spread over numba's threads (same results).
THREADED = _drivers(prange)


def drivers_for(n_rows: int) -> CSRDrivers:
    """:data:`THREADED` for stages of at least :data:`THREADED_MIN_ROWS` rows when numba runs
    more than one thread in the calling thread (``numba.set_num_threads``), else :data:`SERIAL`."""
    if n_rows >= THREADED_MIN_ROWS and numba.get_num_threads() > 1:
        return THREADED
    return SERIAL


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
