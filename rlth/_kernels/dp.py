"""Private numba DP kernels behind :mod:`rlth.solvers.dp` and :mod:`rlth.solvers._backward` (the
public API is numpy); the value-only kernels also serve :mod:`rlth.algorithms.online`.

All kernels assume validated, C-contiguous float64 input (the models guarantee it) and write
into caller-allocated outputs, so a call costs no allocation and no validation.  Layout:

* ``P_stages[Hp, S, A, S]``, ``R_stages[Hr, S, A]``, each of length ``H`` (stage-dependent) or
  1 (stationary), independently; stage ``h`` reads ``P_stages[h if Hp > 1 else 0]`` and
  ``R_stages[h if Hr > 1 else 0]``.
* ``V[H+1, S]`` (the caller sets ``V[H] = 0``), ``Q[H, S, A]``, ``pi[H, S]`` int64.

``fastmath={'reassoc', 'contract'}`` lets the inner products vectorize; it keeps IEEE inf/NaN
semantics (``fastmath=True`` does not, see docs/explanation/performance.md section 4).  Ties in the max are
broken towards the lowest action index (strict ``>`` while scanning actions upwards).

Value-only kernels (used by the online family on the true model, and by anyone who needs only
``V``, a greedy policy or one number): :func:`backward_values_kernel` (max or min backward
induction, ``V[H+1, S]`` and ``pi[H, S]``, ties to the lowest index) and
:func:`policy_value_kernel` (``rho @ V^pi_0`` of a stochastic ``pi[H, S, A]``).  They allocate
their (small) outputs, and accumulate ``q = R_h(s, a)`` first, then ``+= P_h(s, a, t) V(t)``
(:func:`_row_dot` started at the reward): under ``reassoc`` that rounds differently from
``R + P V`` of :func:`_stage_backup`, so the two groups agree to ~1e-15, not bit for bit, and
each keeps its own order (the online family's recorded numbers use the first).
"""
from __future__ import annotations

import numpy as np
from numba import njit

_FM = {"reassoc", "contract"}

__all__ = ["backward_induction_kernel", "evaluate_finite_kernel", "bellman_sweep",
           "value_iteration_kernel", "verify_block_kernel", "plain_stages_until_repeat",
           "backward_values_kernel", "policy_value_kernel"]


@njit(cache=True, fastmath=_FM)
def _row_dot(P, hp, s, a, v, acc=0.0):
    """``acc + sum_t P[hp, s, a, t] v[t]``, accumulated from ``acc`` (under ``reassoc`` the
    starting value is part of the vectorized sum, so ``_row_dot(.., r)`` and
    ``r + _row_dot(..)`` may differ in the last bits)."""
    for t in range(v.shape[0]):
        acc += P[hp, s, a, t] * v[t]
    return acc


@njit(cache=True, fastmath=_FM)
def _stage_backup(P_stages, R_stages, V, Q, pi, h):
    """One fused stage: ``Q[h] = R_h + P_h V[h+1]``, ``V[h] = max_a``, ``pi[h] = argmax_a``
    (lowest index on ties)."""
    hp = h if P_stages.shape[0] > 1 else 0
    hr = h if R_stages.shape[0] > 1 else 0
    S = Q.shape[1]
    A = Q.shape[2]
    vn = V[h + 1]
    for s in range(S):
        best = -np.inf
        best_a = 0
        for a in range(A):
            q = R_stages[hr, s, a] + _row_dot(P_stages, hp, s, a, vn)
            Q[h, s, a] = q
            if q > best:
                best = q
                best_a = a
        V[h, s] = best
        pi[h, s] = best_a


@njit(cache=True, fastmath=_FM)
def backward_induction_kernel(P_stages, R_stages, V, Q, pi):
    """Fused backward induction: ``Q[h] = R_h + P_h V[h+1]``, ``V[h] = max_a Q[h]``,
    ``pi[h] = argmax_a Q[h]`` (lowest index on ties), for ``h = H-1, ..., 0``."""
    for h in range(Q.shape[0] - 1, -1, -1):
        _stage_backup(P_stages, R_stages, V, Q, pi, h)


@njit(cache=True, fastmath=_FM)
def plain_stages_until_repeat(P_stages, R_stages, V, Q, pi, h, streak, patience):
    """Fused stages ``h, h-1, ...`` of a model until the greedy policy has been the
    same for ``patience`` consecutive stage pairs (``streak`` counts them) or stage 0 is done.
    Returns the next stage to compute (``-1`` when done) and the streak."""
    H = Q.shape[0]
    S = Q.shape[1]
    while h >= 0 and streak < patience:
        _stage_backup(P_stages, R_stages, V, Q, pi, h)
        same = h < H - 1
        if same:
            for s in range(S):
                if pi[h, s] != pi[h + 1, s]:
                    same = False
                    break
        streak = streak + 1 if same else 0
        h -= 1
    return h, streak


@njit(cache=True, fastmath=_FM)
def max_argmax_kernel(Qh, v, pi_h):
    """``v = max_a Qh``, ``pi_h = argmax_a Qh`` (lowest index on ties) for ``Qh[S, A]``."""
    S, A = Qh.shape
    for s in range(S):
        best = -np.inf
        best_a = 0
        for a in range(A):
            q = Qh[s, a]
            if q > best:
                best = q
                best_a = a
        v[s] = best
        pi_h[s] = best_a


@njit(cache=True, fastmath=_FM)
def verify_block_kernel(Q, W, V, pi, h, tol_factor, r_max):
    """Acceptance loop of a speculative block
    (see :func:`rlth.solvers._backward.speculative_stages`).

    ``Q[h-i]`` (``i = 0..k-1``, ``k = W.shape[0]``) already holds the backup of ``W[i]``.  For
    each ``i``: ``V[h-i] = max_a Q[h-i]``, ``pi[h-i] = argmax_a`` (lowest index on ties); then,
    unless ``i`` is the last stage, stop and return ``i + 1`` unless
    ``max_s |V[h-i, s] - W[i+1, s]| <= tol_factor * (max_s |W[i, s]| + r_max)`` (a NaN
    difference fails).  Returns ``k`` when every stage is accepted.
    """
    k = W.shape[0]
    S = Q.shape[1]
    for i in range(k):
        hi = h - i
        max_argmax_kernel(Q[hi], V[hi], pi[hi])
        if i + 1 < k:
            w_max = 0.0
            diff = 0.0
            for s in range(S):
                w_max = max(w_max, abs(W[i, s]))
                d = abs(V[hi, s] - W[i + 1, s])
                if d > diff or d != d:      # a NaN, once seen, is kept
                    diff = d
            if not diff <= tol_factor * (w_max + r_max):
                return i + 1
    return k


@njit(cache=True, fastmath=_FM)
def evaluate_finite_kernel(P_stages, R_stages, pi, V, Q):
    """Finite-horizon evaluation of a stochastic policy ``pi[H, S, A]``:
    ``Q[h] = R_h + P_h V[h+1]``, ``V[h](s) = sum_a pi[h, s, a] Q[h, s, a]``."""
    H = Q.shape[0]
    S = Q.shape[1]
    A = Q.shape[2]
    for h in range(H - 1, -1, -1):
        hp = h if P_stages.shape[0] > 1 else 0
        hr = h if R_stages.shape[0] > 1 else 0
        vn = V[h + 1]
        for s in range(S):
            v = 0.0
            for a in range(A):
                q = R_stages[hr, s, a] + _row_dot(P_stages, hp, s, a, vn)
                Q[h, s, a] = q
                v += pi[h, s, a] * q
            V[h, s] = v


@njit(cache=True, fastmath=_FM)
def backward_values_kernel(P_stages, R_stages, H, maximize):
    """Value-only backward induction on ``H`` stages: returns ``V[H+1, S]`` (``V[H] = 0``) and
    ``pi[H, S]`` int64 with ``V[h](s) = max_a`` (``maximize``) or ``min_a`` of
    ``q = R_h(s, a) + P_h(s, a) V[h+1]``, ``pi[h](s)`` its arg-optimum (lowest index on ties:
    strict ``>`` / ``<`` while scanning actions upwards).  ``q`` is accumulated from the reward
    (see the module docstring)."""
    S = P_stages.shape[1]
    A = P_stages.shape[2]
    V = np.zeros((H + 1, S))
    pi = np.zeros((H, S), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        hp = h if P_stages.shape[0] > 1 else 0
        hr = h if R_stages.shape[0] > 1 else 0
        vn = V[h + 1]
        for s in range(S):
            best = -np.inf if maximize else np.inf
            arg = 0
            for a in range(A):
                q = _row_dot(P_stages, hp, s, a, vn, R_stages[hr, s, a])
                if (q > best) if maximize else (q < best):
                    best = q
                    arg = a
            V[h, s] = best
            pi[h, s] = arg
    return V, pi


@njit(cache=True, fastmath=_FM)
def policy_value_kernel(P_stages, R_stages, H, pi, rho):
    """Exact value ``rho @ V^pi_0`` of a stochastic policy ``pi[H, S, A]`` (value only: two
    ``S``-vectors of work space; actions with ``pi = 0`` are skipped).  ``q`` is accumulated
    from the reward (see the module docstring)."""
    S = P_stages.shape[1]
    A = P_stages.shape[2]
    Vn = np.zeros(S)
    Vc = np.zeros(S)
    for h in range(H - 1, -1, -1):
        hp = h if P_stages.shape[0] > 1 else 0
        hr = h if R_stages.shape[0] > 1 else 0
        for s in range(S):
            v = 0.0
            for a in range(A):
                w = pi[h, s, a]
                if w == 0.0:
                    continue
                v += w * _row_dot(P_stages, hp, s, a, Vn, R_stages[hr, s, a])
            Vc[s] = v
        for s in range(S):
            Vn[s] = Vc[s]
    out = 0.0
    for s in range(S):
        out += rho[s] * Vn[s]
    return out


@njit(cache=True, fastmath=_FM)
def bellman_sweep(P, R, gamma, v, out):
    """One discounted Bellman optimality sweep ``out = max_a (R + gamma P v)`` for
    ``P[S, A, S]``; returns ``||out - v||_inf``."""
    S = P.shape[0]
    A = P.shape[1]
    diff = 0.0
    for s in range(S):
        best = -np.inf
        for a in range(A):
            acc = 0.0
            for t in range(S):
                acc += P[s, a, t] * v[t]
            q = R[s, a] + gamma * acc
            if q > best:
                best = q
        out[s] = best
        d = abs(best - v[s])
        if d > diff:
            diff = d
    return diff


@njit(cache=True, fastmath=_FM)
def value_iteration_kernel(P, R, gamma, tol, max_iter, v, work):
    """Value iteration from ``v`` (overwritten with the last iterate ``V_{k+1}``).

    Stops at the first ``k`` with ``gamma * ||V_{k+1} - V_k||_inf <= tol * (1 - gamma)``, i.e.
    ``gamma / (1 - gamma) ||V_{k+1} - V_k||_inf <= tol``.  Returns ``(n_iter, last_diff)``;
    ``n_iter == max_iter`` with the test failing means no convergence.
    """
    diff = np.inf
    n = 0
    while n < max_iter:
        diff = bellman_sweep(P, R, gamma, v, work)
        n += 1
        for s in range(v.shape[0]):
            v[s] = work[s]
        if gamma * diff <= tol * (1.0 - gamma):
            break
    return n, diff


@njit(cache=True, fastmath=_FM)
def fh_residual_kernel(P_stages, R_stages, V):
    """Certificate ``max(max_h ||T_h V[h+1] - V[h]||_inf, ||V[H]||_inf)`` recomputed from ``V``.

    Separate from the solver kernels and organised differently (GEMM-like): for a stationary
    model it walks the rows of ``P`` once, applying two action rows to four stages at a time
    (a 2 x 4 register block; odd edges repeat a row or stage, which the running max absorbs),
    and keeps the maxima in a fresh ``TV[H, S]``.  Returns NaN if any difference is NaN.
    """
    H = V.shape[0] - 1
    S = V.shape[1]
    A = R_stages.shape[2]
    TV = np.full((H, S), -np.inf)
    if P_stages.shape[0] == 1 and R_stages.shape[0] == 1:
        for s in range(S):
            for a0 in range(0, A, 2):
                a1 = min(a0 + 1, A - 1)
                r0 = R_stages[0, s, a0]
                r1 = R_stages[0, s, a1]
                for h0 in range(0, H, 4):
                    h1 = min(h0 + 1, H - 1)
                    h2 = min(h0 + 2, H - 1)
                    h3 = min(h0 + 3, H - 1)
                    c00 = 0.0
                    c01 = 0.0
                    c02 = 0.0
                    c03 = 0.0
                    c10 = 0.0
                    c11 = 0.0
                    c12 = 0.0
                    c13 = 0.0
                    for t in range(S):
                        p0 = P_stages[0, s, a0, t]
                        p1 = P_stages[0, s, a1, t]
                        v0 = V[h0 + 1, t]
                        v1 = V[h1 + 1, t]
                        v2 = V[h2 + 1, t]
                        v3 = V[h3 + 1, t]
                        c00 += p0 * v0
                        c01 += p0 * v1
                        c02 += p0 * v2
                        c03 += p0 * v3
                        c10 += p1 * v0
                        c11 += p1 * v1
                        c12 += p1 * v2
                        c13 += p1 * v3
                    TV[h0, s] = max(TV[h0, s], r0 + c00, r1 + c10)
                    TV[h1, s] = max(TV[h1, s], r0 + c01, r1 + c11)
                    TV[h2, s] = max(TV[h2, s], r0 + c02, r1 + c12)
                    TV[h3, s] = max(TV[h3, s], r0 + c03, r1 + c13)
    else:
        for h in range(H):
            hp = h if P_stages.shape[0] > 1 else 0
            hr = h if R_stages.shape[0] > 1 else 0
            for s in range(S):
                for a in range(A):
                    c0 = 0.0
                    for t in range(S):
                        c0 += P_stages[hp, s, a, t] * V[h + 1, t]
                    TV[h, s] = max(TV[h, s], R_stages[hr, s, a] + c0)
    res = 0.0
    for s in range(S):
        d = abs(V[H, s])
        if d > res or d != d:
            res = d
    for h in range(H):
        for s in range(S):
            d = abs(TV[h, s] - V[h, s])
            if d > res or d != d:
                res = d
    return res
