r"""Exact dynamic programming for finite-horizon and discounted MDPs, with certificates.

Finite horizon
--------------
For a :class:`~rlth.models.mdp.FiniteHorizonMDP` with stage kernels :math:`P_h`, mean rewards
:math:`r_h` and initial distribution :math:`\rho`, backward induction computes, for
:math:`h = H-1, \ldots, 0` and :math:`V_H = 0`,

.. math::
    Q_h(s,a) = r_h(s,a) + \sum_{s'} P_h(s' \mid s,a)\, V_{h+1}(s'), \qquad
    V_h(s) = \max_a Q_h(s,a), \qquad \pi_h(s) \in \operatorname*{arg\,max}_a Q_h(s,a),

ties broken towards the lowest action index.  The value of the problem is
:math:`J^* = \rho^\top V_0`.  A (possibly stochastic) policy :math:`\pi_h(a \mid s)` is evaluated by
the same recursion with the max replaced by :math:`V_h(s) = \sum_a \pi_h(a\mid s) Q_h(s,a)`.
The state-action occupancy :math:`d_h(s,a) = \Pr^\pi(s_h = s, a_h = a)` follows
:math:`d_0(s,a) = \rho(s)\pi_0(a\mid s)` and
:math:`d_{h+1}(s',a') = \pi_{h+1}(a'\mid s') \sum_{s,a} d_h(s,a) P_h(s'\mid s,a)`, so
:math:`J^\pi = \sum_h \langle d_h, r_h \rangle`.

Discounted
----------
For a :class:`~rlth.models.mdp.DiscountedMDP` with discount :math:`\gamma \in [0,1)`, the
Bellman optimality operator :math:`(TV)(s) = \max_a r(s,a) + \gamma \sum_{s'} P(s'\mid s,a)V(s')`
is a :math:`\gamma`-contraction in the sup norm with unique fixed point :math:`V^*`.

* Policy evaluation is exact: :math:`V^\pi = (I - \gamma P^\pi)^{-1} r^\pi`
  (``numpy.linalg.solve``).
* Value iteration :math:`V_{k+1} = T V_k` stops at the first :math:`k` with
  :math:`\frac{\gamma}{1-\gamma}\lVert V_{k+1} - V_k\rVert_\infty \le \mathrm{tol}`; this
  quantity bounds :math:`\lVert V_{k+1} - V^*\rVert_\infty` ([D]: it follows from
  :math:`\lVert V_{k+1}-V^*\rVert \le \gamma\lVert V_k - V^*\rVert
  \le \gamma(\lVert V_k - V_{k+1}\rVert + \lVert V_{k+1}-V^*\rVert)`; Puterman 1994,
  Thm 6.3.1 makes the same argument with the threshold :math:`\epsilon(1-\gamma)/(2\gamma)`).
* Policy iteration (Howard 1960; Puterman 1994, Alg. 6.4.1) alternates exact evaluation and
  greedy improvement and stops when the policy is stable; it terminates in finitely many steps
  with an optimal policy.
* The normalized discounted occupancy is
  :math:`d^\pi(s,a) = (1-\gamma)\sum_t \gamma^t \Pr^\pi(s_t=s,a_t=a)`, i.e.
  :math:`d^\pi_S = (1-\gamma)\rho^\top (I-\gamma P^\pi)^{-1}` and
  :math:`d^\pi(s,a) = d^\pi_S(s)\pi(a\mid s)`, so
  :math:`J^\pi = \langle d^\pi, r\rangle/(1-\gamma)`.

Certificates
------------
Every result carries ``bellman_residual``, recomputed from the returned ``V`` by code that shares
nothing with the kernel that produced it (plain numpy / BLAS; for small finite-horizon models a
separate numba loop, because numpy's call overhead would exceed the solve itself;
:func:`bellman_residual` always uses numpy): finite horizon
:math:`\max(\max_h \lVert \mathcal T_h V_{h+1} - V_h\rVert_\infty, \lVert V_H\rVert_\infty)`,
discounted :math:`\lVert TV - V\rVert_\infty` (or :math:`\mathcal T^\pi` for policy evaluation).
For a discounted solution :math:`\lVert V - V^*\rVert_\infty \le
\lVert TV - V\rVert_\infty / (1-\gamma)` [D] (contraction), reported as ``error_bound`` by
policy iteration and the LP; value iteration reports its stopping bound instead.

Performance
-----------
Dense Bellman backups dispatch by size: a fused numba kernel
(``fastmath={'reassoc','contract'}``) when one stage of ``P`` takes at most
``NUMBA_MAX_STAGE_BYTES`` (4 MiB, about the L2 cache of this machine's two cores), else the
BLAS matrix-vector product ``P.reshape(S*A, S) @ V`` which reaches the memory-bandwidth floor
(performance.md section 2).  Validation happens once per call; ``P`` is never copied.

A gemv per stage cannot beat that floor, so for models with a *stationary* ``P`` (the rewards
may depend on the stage) above ``SPEC_MIN_STAGE_BYTES`` (512 KiB) backward induction speculates:
once the greedy policy repeats, it guesses that it stays greedy, evaluates the guess with the
``A`` times smaller matrix ``P_g``, and verifies a whole block of stages with one matrix-matrix
product over ``P`` (compute-bound, so ``k`` stages cost far less than ``k`` streaming reads).
Refuted guesses keep every verified stage; see :func:`_speculative_stages` for the acceptance
test and its rounding bound. The certificate of :func:`backward_induction` is computed lazily,
on first access.

References
----------
.. [1] M. L. Puterman, *Markov Decision Processes*, Wiley 1994/2005: backward induction
   (Sec. 4.5), value iteration (Alg. 6.3.1, Thm 6.3.1), policy iteration (Alg. 6.4.1).
.. [2] R. A. Howard, *Dynamic Programming and Markov Processes*, MIT Press 1960.
.. [3] QuantEcon.py ``quantecon/markov/ddp.py`` (same operators; used as a cross-check).
.. [4] S. Singh, R. Yee, "An upper bound on the loss from approximate optimal-value functions",
   Machine Learning 16, 1994.
.. [5] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM 2002,
   Sec. 3.1 (rounding error of inner products; used for the speculation acceptance test).

Provenance: the algorithms are textbook and cross-checked numerically (tests); theorem and
section numbers of Puterman, Singh & Yee and Higham are [R] (cited from memory, not checked
against the text).  Numerical constants of this module (dispatch threshold, tie tolerance of
policy iteration, speculation block length and acceptance bound) are [D].
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np

from .._validation import (PROB_TOL, as_float_array, check_distribution, check_positive_float,
                           check_positive_int)
from ..models.mdp import DiscountedMDP, FiniteHorizonMDP
from ..models.policy import as_stochastic_policy
from . import _kernels as K

__all__ = ["FiniteHorizonSolution", "PolicyEvaluation", "DiscountedSolution",
           "backward_induction", "evaluate_policy", "occupancy", "concentrability",
           "value_iteration", "policy_iteration", "bellman_residual", "greedy_policy",
           "NUMBA_MAX_STAGE_BYTES", "SPECULATE", "SPEC_MIN_STAGE_BYTES", "SPEC_FIRST_BLOCK",
           "SPEC_MAX_BLOCK"]

#: Largest size in bytes of one stage of ``P`` (``S*A*S*8``) handled by the fused numba kernels;
#: above it the BLAS path is used (backward induction with a stationary ``P`` above
#: ``SPEC_MIN_STAGE_BYTES`` speculates instead).  [D] measured crossover on the 2-core benchmark
#: machine: numba wins at 3.2 MB ((200,10)), BLAS at 7.2 MB ((300,10)); see docs/readme/dp.md.
NUMBA_MAX_STAGE_BYTES = 4 * 2 ** 20


# ----------------------------------------------------------------------------- results

def _freeze(*arrays):
    for a in arrays:
        a.setflags(write=False)


@dataclass(frozen=True, eq=False)
class FiniteHorizonSolution:
    """Optimal solution of a finite-horizon MDP.

    Attributes
    ----------
    V : ndarray, shape (H+1, S)
        Optimal values, ``V[H] = 0``.
    Q : ndarray, shape (H, S, A)
    pi : ndarray of int64, shape (H, S)
        Greedy optimal policy, ties broken towards the lowest action index.
    value : float
        ``rho @ V[0]``.
    bellman_residual : float
        ``max_h ||T_h V[h+1] - V[h]||_inf`` (and ``||V[H]||_inf``), recomputed independently of
        the solver.  :func:`backward_induction` computes it on first access and caches it (one
        extra pass over ``P``, so a solve inside a loop does not pay for it; pickling computes
        it, so that the pickle does not carry the model); ``nan`` when the solver was called
        with ``certify=False``.
    """

    V: np.ndarray
    Q: np.ndarray
    pi: np.ndarray
    value: float
    _residual: float | Callable[[], float] = field(repr=False)

    @property
    def bellman_residual(self) -> float:
        res = self._residual
        if callable(res):
            res = float(res())
            object.__setattr__(self, "_residual", res)
        return res

    def __getstate__(self):
        # resolve the certificate first: an unread one would pickle the whole model with it
        self.bellman_residual
        return self.__dict__


@dataclass(frozen=True, eq=False)
class PolicyEvaluation:
    """Exact value of a fixed policy.

    Attributes
    ----------
    V : ndarray, shape (H+1, S) (finite horizon) or (S,) (discounted)
    Q : ndarray, shape (H, S, A) or (S, A)
    value : float
        ``rho @ V[0]`` or ``rho @ V``.
    bellman_residual : float
        ``||T^pi V - V||_inf`` recomputed independently of the solver.
    """

    V: np.ndarray
    Q: np.ndarray
    value: float
    bellman_residual: float


@dataclass(frozen=True, eq=False)
class DiscountedSolution:
    """Solution of a discounted MDP.

    Attributes
    ----------
    V : ndarray, shape (S,)
    Q : ndarray, shape (S, A)
        ``R + gamma * P @ V``.
    pi : ndarray of int64, shape (S,)
        An optimal policy.  :func:`value_iteration`: greedy w.r.t. ``Q``, lowest index among
        the exact maxima of the returned ``Q``.  :func:`policy_iteration`: the stable policy,
        which keeps its incumbent action on (near-)ties, so it need not be the lowest index
        (see its docstring).
    value : float
        ``rho @ V``.
    n_iter : int
        Sweeps (value iteration), improvement steps (policy iteration) or solver iterations (LP).
    bellman_residual : float
        ``||TV - V||_inf`` recomputed independently.
    error_bound : float
        A guaranteed upper bound on ``||V - V*||_inf`` (up to floating-point round-off):
        value iteration ``gamma/(1-gamma) ||V_{k+1} - V_k||_inf``; policy iteration and LP
        ``bellman_residual / (1 - gamma)``.
    """

    V: np.ndarray
    Q: np.ndarray
    pi: np.ndarray
    value: float
    n_iter: int
    bellman_residual: float
    error_bound: float


# ----------------------------------------------------------------------------- helpers

def _check_fh(mdp, name="mdp"):
    if not isinstance(mdp, FiniteHorizonMDP):
        raise ValueError(f"{name}: expected a FiniteHorizonMDP, got {type(mdp).__name__}")


def _check_disc(mdp, name="mdp"):
    if not isinstance(mdp, DiscountedMDP):
        raise ValueError(f"{name}: expected a DiscountedMDP, got {type(mdp).__name__}")


def _check_mdp(mdp, name="mdp"):
    if not isinstance(mdp, (FiniteHorizonMDP, DiscountedMDP)):
        raise ValueError(f"{name}: expected a FiniteHorizonMDP or DiscountedMDP, "
                         f"got {type(mdp).__name__}")


def _use_numba(n_states: int, n_actions: int) -> bool:
    return n_states * n_actions * n_states * 8 <= NUMBA_MAX_STAGE_BYTES


def _use_speculation(n_states: int, n_actions: int, stationary_P: bool) -> bool:
    return (SPECULATE and stationary_P
            and n_states * n_actions * n_states * 8 > SPEC_MIN_STAGE_BYTES)


def _fh_backup(mdp: FiniteHorizonMDP, V: np.ndarray) -> np.ndarray:
    """``Q[h] = R_h + P_h V[h+1]`` for all h, in plain numpy (one GEMM when stationary)."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    Ps, Rs = mdp.P_stages, mdp.R_stages
    if Ps.shape[0] == 1:
        PV = V[1:] @ Ps[0].reshape(S * A, S).T                        # (H, S*A)
    else:
        PV = np.matmul(Ps.reshape(H, S * A, S), V[1:, :, None])[..., 0]   # (H, S*A)
    PV += Rs.reshape(Rs.shape[0], S * A)                             # broadcasts when stationary
    return PV.reshape(H, S, A)


def _max_last(Q: np.ndarray) -> np.ndarray:
    """``Q.max(axis=-1)`` as a loop of elementwise maxima (faster for few actions)."""
    out = Q[..., 0].copy()
    for a in range(1, Q.shape[-1]):
        np.maximum(out, Q[..., a], out=out)
    return out


def _disc_backup(mdp: DiscountedMDP, V: np.ndarray) -> np.ndarray:
    S, A = mdp.n_states, mdp.n_actions
    return mdp.R + mdp.gamma * (mdp.P.reshape(S * A, S) @ V).reshape(S, A)


def _residual_fh(mdp, V, pis=None) -> float:
    Q = _fh_backup(mdp, V)
    TV = _max_last(Q) if pis is None else np.einsum("hsa,hsa->hs", pis, Q)
    TV -= V[:-1]
    return float(max(np.max(np.abs(TV)), np.max(np.abs(V[-1]))))


def _certificate_fh(mdp, V) -> float:
    """The optimality residual attached to solutions.

    Small models (one stage of ``P`` at most ``NUMBA_MAX_STAGE_BYTES``, whichever recursion
    solved them): a separate numba loop (:func:`_kernels.fh_residual_kernel`)
    that shares no code with the solver; numpy would cost ~30 us of call overhead at (10, 4), more
    than the solve, and its multi-threaded GEMM stalls on an oversubscribed host.  Large models:
    the numpy GEMM route of :func:`bellman_residual` (one extra read of ``P``).
    """
    if _use_numba(mdp.n_states, mdp.n_actions):
        return float(K.fh_residual_kernel(mdp.P_stages, mdp.R_stages, V))
    return _residual_fh(mdp, V)


def _residual_disc(mdp, V, pis=None) -> float:
    Q = _disc_backup(mdp, V)
    TV = Q.max(axis=-1) if pis is None else np.einsum("sa,sa->s", pis, Q)
    return float(np.max(np.abs(TV - V)))


def _policy(mdp, pi, name="pi") -> np.ndarray:
    horizon = mdp.horizon if isinstance(mdp, FiniteHorizonMDP) else None
    return as_stochastic_policy(pi, mdp.n_states, mdp.n_actions, horizon=horizon, name=name)


def bellman_residual(mdp, V, pi=None) -> float:
    """Sup-norm Bellman residual of a value function, computed with plain numpy.

    Parameters
    ----------
    mdp : FiniteHorizonMDP or DiscountedMDP
    V : array_like, shape (H+1, S) or (S,)
    pi : array_like, optional
        A policy (deterministic or stochastic).  When given, the residual of the policy
        evaluation equation ``T^pi V = V`` is returned instead of the optimality equation.

    Returns
    -------
    float
        Finite horizon: ``max(max_h ||T_h V[h+1] - V[h]||_inf, ||V[H]||_inf)``;
        discounted: ``||T V - V||_inf``.

    Guarantee
    ---------
    Discounted: ``||V - V*||_inf <= residual / (1 - gamma)`` (contraction of T, [D]); finite
    horizon: ``||V[h] - V*_h||_inf <= (H - h) * residual`` (telescoping, [D]).

    Examples
    --------
    >>> from rlth.models.instances import puterman_two_state
    >>> mdp = puterman_two_state()
    >>> bellman_residual(mdp, policy_iteration(mdp).V) < 1e-12
    True
    """
    _check_mdp(mdp)
    if isinstance(mdp, FiniteHorizonMDP):
        V = as_float_array("V", V, shape=(mdp.horizon + 1, mdp.n_states))
        pis = None if pi is None else _policy(mdp, pi)
        return _residual_fh(mdp, V, pis)
    V = as_float_array("V", V, shape=(mdp.n_states,))
    pis = None if pi is None else _policy(mdp, pi)
    return _residual_disc(mdp, V, pis)


def greedy_policy(Q) -> np.ndarray:
    """``argmax_a Q[..., a]`` as int64, ties broken towards the lowest action index."""
    Q = as_float_array("Q", Q)
    return np.argmax(Q, axis=-1).astype(np.int64)


# ----------------------------------------------------------------------------- finite horizon

def backward_induction(mdp: FiniteHorizonMDP, *, certify: bool = True) -> FiniteHorizonSolution:
    """Solve a finite-horizon MDP exactly by backward induction.

    Parameters
    ----------
    mdp : FiniteHorizonMDP
        Stationary or stage-dependent.
    certify : bool, default True
        Attach the independently recomputed Bellman residual.  It is computed on the first
        access of ``bellman_residual`` (one extra pass over ``P``) and cached, so a solve whose
        certificate is never read costs only the recursion.  ``False``: ``bellman_residual`` is
        ``nan`` and the solution keeps no reference to ``mdp``.

    Returns
    -------
    FiniteHorizonSolution
        ``V[H+1, S]``, ``Q[H, S, A]``, ``pi[H, S]`` (lowest index among maximizers), ``value``,
        ``bellman_residual``.

    Notes
    -----
    Models with a stationary ``P`` (rewards may depend on the stage) above
    ``SPEC_MIN_STAGE_BYTES`` (512 KiB) speculate on the greedy policy
    (:func:`_speculative_stages`), which turns runs of stages with an unchanged greedy policy
    into one matrix-matrix product and so leaves the memory-bandwidth bound of a per-stage
    recursion. Otherwise small models (one stage of ``P`` up to ``NUMBA_MAX_STAGE_BYTES``) run
    one fused numba loop and large ones one BLAS matrix-vector product per stage. Every
    speculative stage is verified against the full backup, so the result is the same (up to
    rounding, see :func:`_speculative_stages`) as the plain recursion's.

    Guarantee
    ---------
    Exact up to round-off: ``pi`` is optimal among all (history-dependent, randomized)
    policies and ``V = V*`` (Puterman 1994, Thm 4.5.1).

    References
    ----------
    Puterman (1994), Sec. 4.5, the backward induction algorithm.

    Examples
    --------
    >>> import numpy as np
    >>> from rlth.models import FiniteHorizonMDP
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> R = np.array([[0.0, 0.5], [1.0, 1.0]])
    >>> sol = backward_induction(FiniteHorizonMDP(P, R, rho=[1.0, 0.0], horizon=3))
    >>> sol.V[0].tolist(), sol.pi[0].tolist()
    ([2.5, 3.0], [1, 0])
    """
    _check_fh(mdp)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    V = np.empty((H + 1, S))
    V[H] = 0.0
    Q = np.empty((H, S, A))
    pi = np.empty((H, S), dtype=np.int64)
    Ps, Rs = mdp.P_stages, mdp.R_stages
    if _use_speculation(S, A, Ps.shape[0] == 1):
        _backward_induction_speculative(Ps[0], Rs, V, Q, pi)
    elif _use_numba(S, A):
        K.backward_induction_kernel(Ps, Rs, V, Q, pi)
    else:
        for h in range(H - 1, -1, -1):
            _backup_blas(Ps, Rs, h, V[h + 1], Q[h])
            K.max_argmax_kernel(Q[h], V[h], pi[h])
    _freeze(V, Q, pi)
    res = partial(_certificate_fh, mdp, V) if certify else float("nan")     # picklable
    return FiniteHorizonSolution(V, Q, pi, float(mdp.rho @ V[0]), res)


def _backup_blas(Ps, Rs, h, V_next, Q_h):
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


def _backward_induction_speculative(P, Rs, V, Q, pi):
    """Backward induction for a stationary ``P[S, A, S]`` with policy speculation; the rewards
    ``Rs[H or 1, S, A]`` may depend on the stage.

    Plain backups (the fused numba kernel when one stage fits ``NUMBA_MAX_STAGE_BYTES``, else
    one gemv per stage) run until the greedy policy of two consecutive stages is the same; then
    :func:`_speculative_stages` guesses that it stays greedy for a block of stages. A verified
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
    small = _use_numba(S, A)
    Ps = P[None]
    while h >= 0:
        if streak < patience and small:        # plain stages in one fused numba call
            h, streak = K.plain_stages_until_repeat(Ps, Rs, V, Q, pi, h, streak, patience)
            continue
        if streak < patience:                  # one plain stage by gemv
            _backup_blas(Ps, Rs, h, V[h + 1], Q[h])
            K.max_argmax_kernel(Q[h], V[h], pi[h])
            streak = streak + 1 if h < H - 1 and np.array_equal(pi[h], pi[h + 1]) else 0
            h -= 1
            continue
        k = min(block, h + 1)
        n_ok = _speculative_stages(P, Rs, P2, V, Q, pi, h, k, cache)
        h -= n_ok
        if n_ok == k:
            block = min(4 * block, SPEC_MAX_BLOCK)
        else:
            streak, patience, block = 0, 2 * patience, SPEC_FIRST_BLOCK


def _speculative_stages(P, Rs, P2, V, Q, pi, h, k, cache) -> int:
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


def _evaluate_fh(mdp, pis):
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    V = np.empty((H + 1, S))
    V[H] = 0.0
    Q = np.empty((H, S, A))
    Ps, Rs = mdp.P_stages, mdp.R_stages
    if _use_numba(S, A):
        K.evaluate_finite_kernel(Ps, Rs, pis, V, Q)
    else:
        for h in range(H - 1, -1, -1):
            _backup_blas(Ps, Rs, h, V[h + 1], Q[h])
            np.einsum("sa,sa->s", pis[h], Q[h], out=V[h])
    return V, Q


def _evaluate_disc(mdp, pis):
    S = mdp.n_states
    P_pi = np.einsum("sa,sat->st", pis, mdp.P)
    r_pi = np.einsum("sa,sa->s", pis, mdp.R)
    M = np.eye(S) - mdp.gamma * P_pi
    V = np.linalg.solve(M, r_pi)
    return V, _disc_backup(mdp, V)


def evaluate_policy(mdp, pi) -> PolicyEvaluation:
    """Exact value of a deterministic or stochastic policy.

    Parameters
    ----------
    mdp : FiniteHorizonMDP or DiscountedMDP
    pi : array_like
        Finite horizon: int ``[H, S]`` / float ``[H, S, A]`` (a stationary ``[S]`` / ``[S, A]``
        policy is broadcast over the horizon).  Discounted: int ``[S]`` / float ``[S, A]``.

    Returns
    -------
    PolicyEvaluation
        Finite horizon ``V[H+1, S]``, ``Q[H, S, A]``; discounted ``V[S]``, ``Q[S, A]``
        (``Q = R + gamma P V``); ``value = rho @ V[0]`` (or ``rho @ V``); ``bellman_residual``.

    Raises
    ------
    ValueError
        ``pi`` has the wrong shape, an action index out of range, or rows that are not
        distributions (message starts with ``pi``).

    Guarantee
    ---------
    Exact up to round-off: finite horizon by the backward recursion, discounted by solving
    ``(I - gamma P^pi) V = r^pi`` (Puterman 1994, Thm 6.1.1).

    Examples
    --------
    >>> from rlth.models.instances import puterman_two_state
    >>> import numpy as np
    >>> ev = evaluate_policy(puterman_two_state(), np.array([1, 0]))
    >>> round(float(ev.V[1]), 10)
    -20.0
    """
    _check_mdp(mdp)
    pis = _policy(mdp, pi)
    if isinstance(mdp, FiniteHorizonMDP):
        V, Q = _evaluate_fh(mdp, pis)
        res = _residual_fh(mdp, V, pis)
        value = float(mdp.rho @ V[0])
    else:
        V, Q = _evaluate_disc(mdp, pis)
        res = _residual_disc(mdp, V, pis)
        value = float(mdp.rho @ V)
    _freeze(V, Q)
    return PolicyEvaluation(V, Q, value, res)


# ----------------------------------------------------------------------------- occupancies

def _reachable(P_pi: np.ndarray, start: np.ndarray) -> np.ndarray:
    """States reachable (in >= 0 steps) from ``start`` under the transition matrix ``P_pi``."""
    adj = P_pi > 0
    reach = start.copy()
    frontier = start.copy()
    while frontier.any():
        nxt = adj[frontier].any(axis=0) & ~reach
        reach |= nxt
        frontier = nxt
    return reach


def occupancy(mdp, pi) -> np.ndarray:
    """State-action occupancy measure of a policy.

    Parameters
    ----------
    mdp : FiniteHorizonMDP or DiscountedMDP
    pi : array_like
        Deterministic or stochastic policy (see :func:`evaluate_policy`).

    Returns
    -------
    ndarray
        Finite horizon ``d[H, S, A]`` with ``d[h, s, a] = Pr(s_h = s, a_h = a)`` (each ``d[h]``
        sums to 1); discounted ``d[S, A] = (1 - gamma) sum_t gamma^t Pr(s_t = s, a_t = a)``
        (sums to 1).  Entries outside the reachable support are exactly zero.

    Guarantee
    ---------
    ``sum_h <d[h], R_h> = J^pi`` (finite) and ``<d, R> / (1 - gamma) = J^pi`` (discounted),
    [D] from the definitions (Puterman 1994, Sec. 6.9).

    Examples
    --------
    >>> from rlth.models.instances import puterman_two_state
    >>> import numpy as np
    >>> d = occupancy(puterman_two_state(), np.array([1, 0]))
    >>> round(float(d.sum()), 12), round(float(d[0, 1]), 12)
    (1.0, 0.05)
    """
    _check_mdp(mdp)
    return _occupancy(mdp, _policy(mdp, pi))


def _occupancy(mdp, pis) -> np.ndarray:
    S, A = mdp.n_states, mdp.n_actions
    if isinstance(mdp, FiniteHorizonMDP):
        H = mdp.horizon
        Ps = mdp.P_stages
        staged = Ps.shape[0] > 1
        d = np.empty((H, S, A))
        mu = np.asarray(mdp.rho)
        for h in range(H):
            np.multiply(mu[:, None], pis[h], out=d[h])
            if h + 1 < H:
                mu = d[h].reshape(S * A) @ Ps[h if staged else 0].reshape(S * A, S)
        return d
    gamma = mdp.gamma
    P_pi = np.einsum("sa,sat->st", pis, mdp.P)
    dS = np.linalg.solve((np.eye(S) - gamma * P_pi).T, (1.0 - gamma) * mdp.rho)
    start = mdp.rho > 0
    reach = _reachable(P_pi, start) if gamma > 0 else start
    dS = np.where(reach, np.maximum(dS, 0.0), 0.0)
    return dS[:, None] * pis


def concentrability(mdp, pi_target, behavior=None, *, behavior_distribution=None) -> float:
    """Single-policy concentrability coefficient of a behavior distribution.

    .. math:: C = \\max_{(h,)s,a:\\ d^{\\pi}(s,a) > 0} \\frac{d^{\\pi}(s,a)}{\\mu(s,a)}

    with ``mu`` the occupancy of ``behavior`` or the explicit ``behavior_distribution``
    (per step ``h`` in the finite-horizon case).

    Parameters
    ----------
    mdp : FiniteHorizonMDP or DiscountedMDP
    pi_target : array_like
        Target (e.g. optimal) policy.
    behavior : array_like, optional
        Behavior policy; its occupancy is used as ``mu``.
    behavior_distribution : array_like, optional
        Explicit state-action distribution ``mu[H, S, A]`` (each ``mu[h]`` sums to 1) or
        ``mu[S, A]``.  Give exactly one of ``behavior`` and ``behavior_distribution``.

    Returns
    -------
    float
        ``>= 1``; ``== 1`` iff ``mu`` equals the target occupancy; ``inf`` if some state-action
        pair visited by the target has ``mu = 0``.

    References
    ----------
    Rashidinejad, Zhu, Ma, Jiao, Russell (2021), "Bridging offline RL and imitation learning",
    Def. of C* (single-policy concentrability); Xie et al. (2021) for the per-step version.

    Examples
    --------
    >>> from rlth.models.instances import puterman_two_state
    >>> import numpy as np
    >>> mdp = puterman_two_state()
    >>> concentrability(mdp, np.array([0, 0]), np.array([0, 0]))
    1.0
    >>> concentrability(mdp, np.array([0, 0]), np.array([1, 0]))
    inf
    """
    _check_mdp(mdp)
    if (behavior is None) == (behavior_distribution is None):
        raise ValueError("behavior: give exactly one of behavior (a policy) or "
                         "behavior_distribution (a state-action distribution)")
    d = _occupancy(mdp, _policy(mdp, pi_target, name="pi_target"))
    if behavior is not None:
        mu = _occupancy(mdp, _policy(mdp, behavior, name="behavior"))
    else:
        mu = as_float_array("behavior_distribution", behavior_distribution, shape=d.shape)
        flat = mu.reshape(mdp.horizon, -1) if mu.ndim == 3 else mu.reshape(-1)
        check_distribution("behavior_distribution", flat, axis=-1, tol=PROB_TOL * 10)
    supp = d > 0
    if np.any(mu[supp] <= 0):
        return float("inf")
    return float(np.max(d[supp] / mu[supp]))


# ----------------------------------------------------------------------------- discounted

def _greedy_solution(mdp, V, n_iter, error_bound=None) -> DiscountedSolution:
    Q = _disc_backup(mdp, V)
    pi = np.argmax(Q, axis=1).astype(np.int64)
    res = float(np.max(np.abs(Q.max(axis=1) - V)))
    if error_bound is None:
        error_bound = res / (1.0 - mdp.gamma)
    _freeze(V, Q, pi)
    return DiscountedSolution(V, Q, pi, float(mdp.rho @ V), int(n_iter), res, float(error_bound))


def value_iteration(mdp: DiscountedMDP, tol: float = 1e-10,
                    max_iter: int = 100_000) -> DiscountedSolution:
    """Value iteration ``V_{k+1} = T V_k`` from ``V_0 = 0`` with a certified stopping rule.

    Parameters
    ----------
    mdp : DiscountedMDP
    tol : float, default 1e-10
        Target sup-norm accuracy of the returned ``V``.
    max_iter : int, default 100_000

    Returns
    -------
    DiscountedSolution
        ``V = V_{k+1}``, ``Q = R + gamma P V``, greedy ``pi``, ``n_iter = k + 1`` sweeps,
        ``error_bound = gamma/(1-gamma) ||V_{k+1} - V_k||_inf <= tol``.

    Ties
    ----
    ``pi[s]`` is the lowest index among the exact maxima of the returned ``Q[s]``.  Actions that
    tie in ``Q*`` but not exactly in the approximate ``Q`` (VI approaches ``V*`` from one side)
    are resolved by ``Q``, not by index.

    Raises
    ------
    RuntimeError
        No convergence within ``max_iter`` sweeps (e.g. ``tol`` below the round-off floor
        ``~ eps * ||V||_inf / (1 - gamma)``); use :func:`policy_iteration` for exact answers.

    Guarantee
    ---------
    ``||V - V*||_inf <= error_bound <= tol`` (Puterman 1994, Thm 6.3.1, up to round-off); the
    greedy policy then satisfies ``||V^pi - V*||_inf <= 2 gamma error_bound / (1 - gamma)``
    (Singh & Yee 1994, Thm 1).

    References
    ----------
    Puterman (1994), Alg. 6.3.1 (value iteration) and Thm 6.3.1 (stopping rule).
    """
    _check_disc(mdp)
    tol = check_positive_float("tol", tol)
    max_iter = check_positive_int("max_iter", max_iter)
    S, A = mdp.n_states, mdp.n_actions
    gamma = mdp.gamma
    v = np.zeros(S)
    if _use_numba(S, A):
        work = np.empty(S)
        n, diff = K.value_iteration_kernel(mdp.P, mdp.R, gamma, tol, max_iter, v, work)
    else:
        P2 = mdp.P.reshape(S * A, S)
        r = mdp.R.reshape(S * A)
        q = np.empty(S * A)
        n, diff = 0, np.inf
        while n < max_iter:
            np.dot(P2, v, out=q)
            q *= gamma
            q += r
            v_new = q.reshape(S, A).max(axis=1)
            diff = float(np.max(np.abs(v_new - v)))
            v = v_new
            n += 1
            if gamma * diff <= tol * (1.0 - gamma):
                break
    if not gamma * diff <= tol * (1.0 - gamma):
        raise RuntimeError(f"value_iteration: no convergence in max_iter={max_iter} sweeps; "
                           f"last error bound {gamma * diff / (1 - gamma):.3g} > tol={tol:g}")
    bound = gamma * diff / (1.0 - gamma) if gamma > 0 else 0.0
    return _greedy_solution(mdp, v, n, bound)


def policy_iteration(mdp: DiscountedMDP, max_iter: int = 10_000) -> DiscountedSolution:
    """Howard's policy iteration with exact linear-solve evaluation.

    Starts from the policy greedy with respect to ``T(max_a R)``; each step solves
    ``(I - gamma P^pi) V = r^pi`` and switches a state's action only when another action's
    ``Q`` is larger than the incumbent's by more than ``64 eps (1 + |Q|)`` ([D]: so round-off
    cannot make it cycle); stops when the policy is stable.

    Parameters
    ----------
    mdp : DiscountedMDP
    max_iter : int, default 10_000
        Safeguard on improvement steps (Howard's PI needs far fewer).

    Returns
    -------
    DiscountedSolution
        ``V`` of the final policy (exact solve), ``pi``, ``n_iter`` evaluations,
        ``error_bound = bellman_residual / (1 - gamma)``.

    Ties
    ----
    The initial policy and every switch take the lowest-index maximizer, but a state keeps its
    incumbent action whenever no action beats it by more than the tolerance, so on (near-)ties
    of ``Q*`` the returned ``pi`` is *an* optimal action, not necessarily the lowest index
    (e.g. when the initial policy picked a higher-index action that stays optimal).  Contract:
    ``Q[s, pi[s]] >= max_a Q[s, a] - 64 eps (1 + |max_a Q[s, a]|)`` for the returned ``Q``.

    Guarantee
    ---------
    Terminates with an optimal policy (Puterman 1994, Thm 6.4.2); ``V = V*`` up to the
    round-off of one linear solve.

    References
    ----------
    Howard (1960); Puterman (1994), Alg. 6.4.1.
    """
    _check_disc(mdp)
    max_iter = check_positive_int("max_iter", max_iter)
    S = mdp.n_states
    gamma = mdp.gamma
    idx = np.arange(S)
    eye = np.eye(S)
    # initial policy: greedy w.r.t. one backup of max_a R (as QuantEcon; any policy would do)
    pi = np.argmax(_disc_backup(mdp, mdp.R.max(axis=1)), axis=1).astype(np.int64)
    eps = 64 * np.finfo(float).eps
    for n in range(1, max_iter + 1):
        V = np.linalg.solve(eye - gamma * mdp.P[idx, pi], mdp.R[idx, pi])
        Q = _disc_backup(mdp, V)
        best = np.argmax(Q, axis=1)
        qmax = Q[idx, best]
        improve = qmax > Q[idx, pi] + eps * (1.0 + np.abs(qmax))
        if not improve.any():
            break
        pi = np.where(improve, best, pi).astype(np.int64)
    else:
        raise RuntimeError(f"policy_iteration: policy not stable after max_iter={max_iter} steps")
    res = float(np.max(np.abs(Q.max(axis=1) - V)))
    _freeze(V, Q, pi)
    return DiscountedSolution(V, Q, pi, float(mdp.rho @ V), n, res, res / (1.0 - gamma))
