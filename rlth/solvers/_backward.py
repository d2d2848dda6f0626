r"""Size dispatch and policy speculation behind the finite-horizon recursions of
:mod:`rlth.solvers.dp` (private: :func:`optimal_stages` and :func:`policy_stages` are the two
calls dp makes).

Dense Bellman backups dispatch by size: a fused numba kernel
(``fastmath={'reassoc','contract'}``) when one stage of ``P`` takes at most
``NUMBA_MAX_STAGE_BYTES`` (4 MiB, about the L2 cache of the benchmark machine's two cores), else
the BLAS matrix-vector product ``P.reshape(S*A, S) @ V``, which reaches the memory-bandwidth floor
(``docs/explanation/performance.md``).  ``P`` is never copied.

A gemv per stage cannot beat that floor, so for models with a *stationary* ``P`` (the rewards
may depend on the stage) above ``SPEC_MIN_STAGE_BYTES`` (512 KiB) backward induction speculates:
once the greedy policy repeats, it guesses that it stays greedy, evaluates the guess with the
``A`` times smaller matrix ``P_g``, and verifies a whole block of stages with one matrix-matrix
product over ``P`` (compute-bound, so ``k`` stages cost far less than ``k`` streaming reads).
Refuted guesses keep every verified stage; see :func:`speculative_stages` for the acceptance
test and its rounding bound.

The module-level constants are read at call time, so tests and benchmarks may patch them to
force a path.

References
----------
N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM 2002, Sec. 3.1
(rounding error of inner products; the section number is [R]).  Every constant here is [D].
"""
from __future__ import annotations

import numpy as np

from .._kernels import dp as K

__all__ = ["NUMBA_MAX_STAGE_BYTES", "SPECULATE", "SPEC_MIN_STAGE_BYTES", "SPEC_FIRST_BLOCK",
           "SPEC_MAX_BLOCK", "use_numba", "use_speculation", "optimal_stages", "policy_stages",
           "backup_blas", "speculative_recursion", "speculative_stages"]


#: Largest size in bytes of one stage of ``P`` (``S*A*S*8``) handled by the fused numba kernels;
#: above it the BLAS path is used (backward induction with a stationary ``P`` above
#: ``SPEC_MIN_STAGE_BYTES`` speculates instead).  [D] measured crossover on the 2-core benchmark
#: machine: numba wins at 3.2 MB ((200,10)), BLAS at 7.2 MB ((300,10)); see docs/readme/dp.md.
NUMBA_MAX_STAGE_BYTES = 4 * 2 ** 20


def use_numba(n_states: int, n_actions: int) -> bool:
    return n_states * n_actions * n_states * 8 <= NUMBA_MAX_STAGE_BYTES


def use_speculation(n_states: int, n_actions: int, stationary_P: bool) -> bool:
    return (SPECULATE and stationary_P
            and n_states * n_actions * n_states * 8 > SPEC_MIN_STAGE_BYTES)



def optimal_stages(Ps, Rs, V, Q, pi):
    """Backward induction into caller-allocated ``V[H+1, S]`` (``V[H] = 0``), ``Q[H, S, A]``,
    ``pi[H, S]``, by the path that suits the size: speculation (stationary ``P`` above
    ``SPEC_MIN_STAGE_BYTES``), the fused numba kernel (one stage of ``P`` up to
    ``NUMBA_MAX_STAGE_BYTES``) or one BLAS gemv per stage.  Ties go to the lowest action."""
    H, S, A = Q.shape
    if use_speculation(S, A, Ps.shape[0] == 1):
        speculative_recursion(Ps[0], Rs, V, Q, pi)
    elif use_numba(S, A):
        K.backward_induction_kernel(Ps, Rs, V, Q, pi)
    else:
        for h in range(H - 1, -1, -1):
            backup_blas(Ps, Rs, h, V[h + 1], Q[h])
            K.max_argmax_kernel(Q[h], V[h], pi[h])


def policy_stages(Ps, Rs, pis, V, Q):
    """Evaluation of a stochastic ``pis[H, S, A]`` into ``V[H+1, S]`` (``V[H] = 0``) and
    ``Q[H, S, A]``: the fused numba kernel for small models, one gemv per stage otherwise."""
    H, S, A = Q.shape
    if use_numba(S, A):
        K.evaluate_finite_kernel(Ps, Rs, pis, V, Q)
    else:
        for h in range(H - 1, -1, -1):
            backup_blas(Ps, Rs, h, V[h + 1], Q[h])
            np.einsum("sa,sa->s", pis[h], Q[h], out=V[h])


def backup_blas(Ps, Rs, h, V_next, Q_h):
    """``Q_h = R_h + P_h V_next`` in place, as one BLAS gemv over ``P_h.reshape(S*A, S)``
    (the large-model path: it streams ``P`` once at memory bandwidth)."""
    hp = h if Ps.shape[0] > 1 else 0
    hr = h if Rs.shape[0] > 1 else 0
    S, A = Q_h.shape
    q = Q_h.reshape(S * A)
    np.dot(Ps[hp].reshape(S * A, S), V_next, out=q)
    q += Rs[hr].reshape(S * A)


#: Use the speculative recursion for stationary models (a switch for tests and benchmarks).
SPECULATE = True
#: [D] Size in bytes of ``P`` (``S*A*S*8``) above which a model with stationary ``P`` is solved
#: by speculation rather than the fused numba kernel.  Measured at H = 50 on the benchmark
#: machine: the kernel is faster up to 0.41-0.46 MB ((80,8), (120,4)), speculation from 0.59 MB
#: ((70,15); (100,10) 0.42 ms against 0.61 ms).
SPEC_MIN_STAGE_BYTES = 2 ** 19
#: [D] Length of the first speculative block; a verified block makes the next one 4x longer.
#: Below about 8 columns a matrix-matrix product over ``P`` costs about as much as 2 gemv passes
#: (measured, (2000, 10) on the benchmark machine), so shorter blocks do not pay.
SPEC_FIRST_BLOCK = 16
#: [D] Longest speculative block.  The matrix-matrix product reaches ~60 GFLOP/s from about 32
#: columns on the benchmark machine, so longer blocks gain little, while they cost memory
#: (``k * S`` doubles for the guessed values ``W``) and waste more work when refuted late.
SPEC_MAX_BLOCK = 64


def speculative_recursion(P, Rs, V, Q, pi):
    """Backward induction for a stationary ``P[S, A, S]`` with policy speculation; the rewards
    ``Rs[H or 1, S, A]`` may depend on the stage.

    Plain backups (the fused numba kernel when one stage fits ``NUMBA_MAX_STAGE_BYTES``, else
    one gemv per stage) run until the greedy policy of two consecutive stages is the same; then
    :func:`speculative_stages` guesses that it stays greedy for a block of stages. A verified
    block makes the next one 4x longer (up to ``SPEC_MAX_BLOCK``). A refuted guess keeps the
    stages verified so far (at least one), resets the block length, and the plain recursion must
    then see the policy repeat over twice as many stages before the next guess (exponential
    back-off). The wasted work is therefore at most about ``log2(H) + 1`` refuted blocks, each
    at most one matrix-matrix product of ``SPEC_MAX_BLOCK`` columns over ``P`` plus as many
    gemvs over ``P_g``; when the greedy policy changes at every stage no guess is ever made.
    """
    H, S, A = Q.shape
    P2 = P.reshape(S * A, S)
    h, streak, patience, block = H - 1, 0, 1, SPEC_FIRST_BLOCK
    cache = {"r_max": float(np.max(np.abs(Rs)))}
    small = use_numba(S, A)
    Ps = P[None]
    while h >= 0:
        if streak < patience and small:        # plain stages in one fused numba call
            h, streak = K.plain_stages_until_repeat(Ps, Rs, V, Q, pi, h, streak, patience)
            continue
        if streak < patience:                  # one plain stage by gemv
            backup_blas(Ps, Rs, h, V[h + 1], Q[h])
            K.max_argmax_kernel(Q[h], V[h], pi[h])
            streak = streak + 1 if h < H - 1 and np.array_equal(pi[h], pi[h + 1]) else 0
            h -= 1
            continue
        k = min(block, h + 1)
        n_ok = speculative_stages(P, Rs, P2, V, Q, pi, h, k, cache)
        h -= n_ok
        if n_ok == k:
            block = min(4 * block, SPEC_MAX_BLOCK)
        else:
            streak, patience, block = 0, 2 * patience, SPEC_FIRST_BLOCK


def speculative_stages(P, Rs, P2, V, Q, pi, h, k, cache) -> int:
    r"""Stages ``h, h-1, ..., h-k+1`` on the guess that ``g = pi[h+1]`` stays greedy.

    1. Values under the guess, by gemv with ``P_g[s, :] = P[s, g(s), :]`` (``S x S``, ``A``
       times smaller than ``P``): ``W_0 = V[h+1]``, ``W_{i+1} = R_{h-i,g} + P_g W_i``.
    2. All backups of the block in one matrix-matrix product (one pass over ``P`` for ``k``
       stages): ``Q[h-i] = R_{h-i} + P W_i``, ``V[h-i] = max_a Q[h-i]``,
       ``pi[h-i] = argmax_a``.
    3. Verification: ``W_{i+1}`` is accepted as ``V[h-i]`` iff :math:`\lVert V_{h-i} -
       W_{i+1}\rVert_\infty \le \epsilon_i`, with :math:`\epsilon_i = 2 (S+1) u (\lVert
       W_i\rVert_\infty + \lVert R\rVert_\infty)` (``R`` over all stages), twice the standard
       rounding bound of an inner product of length :math:`S+1` with unit roundoff :math:`u`
       (Higham 2002, Sec. 3.1) applied to the two ways of computing the same backup [D]. Stage
       ``h`` is a plain backup of ``V[h+1]`` whatever the guess (``W_0 = V[h+1]``; only the
       rounding order differs from a gemv); stage ``h-i-1`` is kept only if stages up to ``h-i``
       were accepted.

    Stage ``h-i-1``'s ``Q`` is the computed backup of ``W_{i+1}``, which is within
    :math:`\epsilon_i` of ``V[h-i]``; rows of ``P`` sum to 1, so the backup is non-expansive and
    that stage's Bellman residual is at most :math:`\epsilon_i` plus its own rounding (stage
    ``h``: rounding only).  ``V`` differs from the exact values by at most the sum of these
    residuals over the later stages, the same order as the rounding error of the plain
    recursion.  A NaN difference counts as a refutation.

    Returns the number of stages kept (``1 <= n <= k``).  ``cache`` keeps ``P_g`` between calls
    with the same guess.
    """
    S, A = P.shape[0], P.shape[1]
    staged = Rs.shape[0] > 1
    g = pi[h + 1]
    if "g" not in cache or not np.array_equal(cache["g"], g):
        rows = np.arange(S)
        cache.update(g=g.copy(), Pg=P[rows, g], Rg=Rs[:, rows, g])     # Rg[H or 1, S]
    Pg, Rg = cache["Pg"], cache["Rg"]
    W = np.empty((k, S))
    W[0] = V[h + 1]
    for i in range(k - 1):
        np.dot(Pg, W[i], out=W[i + 1])
        W[i + 1] += Rg[h - i if staged else 0]
    # all k backups in one product, written straight into Q: Q[h-i] = R_{h-i} + P W_i.  After
    # a refutation the rows below the kept stages hold speculative backups; the caller
    # recomputes those stages, overwriting them.
    block = Q[h - k + 1:h + 1].reshape(k, S * A)
    np.matmul(W[::-1], P2.T, out=block)
    block += Rs[h - k + 1:h + 1].reshape(k, S * A) if staged else Rs[0].reshape(S * A)
    unit = np.finfo(np.float64).eps / 2
    return int(K.verify_block_kernel(Q, W, V, pi, h, 2 * (S + 1) * unit, cache["r_max"]))
