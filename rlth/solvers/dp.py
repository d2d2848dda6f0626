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

Occupancies and concentrability are in :mod:`rlth.solvers.occupancy`.

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

Rounding.  The residual is itself computed in floating point, so at the rounding floor a
computed residual of 0 proves nothing (rewards of 1e12 gave a residual of 0 and a true error
of 2.7e-4).  Every ``error_bound`` therefore adds the rounding term the computation cannot rule
out [D]: with unit roundoff :math:`u = 2^{-53}` and :math:`k` the largest number of nonzeros in
a row of ``P.reshape(S*A, S)``, each computed backup
:math:`\hat q = \mathrm{fl}(r + \mathrm{fl}(\gamma\, \mathrm{fl}(p^\top V)))` satisfies
:math:`|\hat q - q| \le \gamma_{k+2} (|r| + \gamma \lVert p\rVert_1 \lVert V\rVert_\infty)`
(Higham 2002, Sec. 3.1, :math:`\gamma_n = nu/(1-nu)`, any summation order, fused
multiply-adds included), a max over actions does not increase the error, and the final
subtraction ``T V - V`` adds at most :math:`u` times the residual.  With the slack of
:math:`\lVert p\rVert_1 \le 1 + 10^{-10}` and :math:`\gamma_n \le 2nu` (valid while
:math:`nu \le 1/2`),

.. math::
    \big|\, \widehat{\lVert TV - V\rVert} - \lVert TV - V\rVert \,\big| \;\le\;
    \varrho(V) = 2 (k+3)\, u\, \big(\lVert R\rVert_\infty + \gamma \lVert V\rVert_\infty\big)
    + 2u\, \widehat{\lVert TV - V\rVert}

(:math:`\varrho = 2u\,\widehat{\lVert TV - V\rVert}` when :math:`\gamma = 0`: the backup is
then exact), and ``error_bound = (bellman_residual + rho(V)) / (1 - gamma)``
(:func:`backup_rounding`).  The same term enters value iteration's stopping bound.  It is a
worst-case bound: at ``gamma = 0.9999`` on random 10-state MDPs the exact error (against a
rational reference) was 1.3e-9 (policy iteration) and 3.8e-10 (LP) where the bound says 2e-7;
it is never 0 when it cannot be.

Performance
-----------
The finite-horizon recursions dispatch by size (fused numba kernel for small models, one BLAS
gemv per stage for large ones) and, for a large stationary ``P``, speculate on the greedy policy
to verify blocks of stages with one matrix-matrix product; all of that is behind one call in the
private module :mod:`rlth.solvers._backward`.  Validation happens once per call; ``P`` is never
copied.  The certificate of :func:`backward_induction` is computed lazily, on first access.

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
against the text).  Numerical constants of this module (tie tolerance of policy iteration) and
of :mod:`rlth.solvers._backward` (dispatch threshold, speculation block length and acceptance
bound) are [D].
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np

from .._kernels import dp as K
from .._validation import (as_array, as_float_array, check_instance, check_positive_float,
                           check_positive_int, freeze)
from ..models.mdp import DiscountedMDP, FiniteHorizonMDP
from ..models.sparse import SparseDiscountedMDP, SparseFiniteHorizonMDP, is_sparse_mdp
from ..models.policy import as_stochastic_policy
from . import _backward, _sparse

__all__ = ["FiniteHorizonSolution", "PolicyEvaluation", "DiscountedSolution",
           "backward_induction", "evaluate_policy", "value_iteration", "policy_iteration",
           "bellman_residual", "backup_rounding", "greedy_policy", "optimal_value"]



# ----------------------------------------------------------------------------- results

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
        A guaranteed upper bound on ``||V - V*||_inf``, including the rounding of its own
        computation (:func:`backup_rounding`): value iteration ``(gamma ||V_{k+1} - V_k||_inf
        (1 + 2u) + rho(V_k)) / (1 - gamma)``; policy iteration and LP ``(bellman_residual +
        rho(V)) / (1 - gamma)``.
    """

    V: np.ndarray
    Q: np.ndarray
    pi: np.ndarray
    value: float
    n_iter: int
    bellman_residual: float
    error_bound: float


# ----------------------------------------------------------------------------- helpers

#: Finite-horizon model types every solver accepts (dense and CSR).
FINITE_HORIZON_TYPES = (FiniteHorizonMDP, SparseFiniteHorizonMDP)
#: Discounted model types every solver accepts (dense and CSR).
DISCOUNTED_TYPES = (DiscountedMDP, SparseDiscountedMDP)


def check_fh(mdp, name="mdp") -> FiniteHorizonMDP:
    """``mdp`` if it is a finite-horizon MDP (dense or CSR), else ``ValueError`` naming ``name``."""
    return check_instance(name, mdp, FINITE_HORIZON_TYPES)


def check_disc(mdp, name="mdp") -> DiscountedMDP:
    """``mdp`` if it is a discounted MDP (dense or CSR), else ``ValueError`` naming ``name``."""
    return check_instance(name, mdp, DISCOUNTED_TYPES)


def check_mdp(mdp, name="mdp"):
    """``mdp`` if it is a finite-horizon or discounted MDP (dense or CSR), else ``ValueError``."""
    return check_instance(name, mdp, FINITE_HORIZON_TYPES + DISCOUNTED_TYPES)


def is_finite_horizon(mdp) -> bool:
    return isinstance(mdp, FINITE_HORIZON_TYPES)


def _fh_backup(mdp: FiniteHorizonMDP, V: np.ndarray) -> np.ndarray:
    """``Q[h] = R_h + P_h V[h+1]`` for all h, in plain numpy (one GEMM when stationary)."""
    if is_sparse_mdp(mdp):
        return _sparse.fh_backup(mdp, V)
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
    if is_sparse_mdp(mdp):
        return _sparse.disc_backup(mdp, V)
    S, A = mdp.n_states, mdp.n_actions
    return mdp.R + mdp.gamma * (mdp.P.reshape(S * A, S) @ V).reshape(S, A)


def _residual_fh(mdp, V, pis=None) -> float:
    if is_sparse_mdp(mdp):
        return _sparse.fh_residual(mdp, V, pis)
    Q = _fh_backup(mdp, V)
    TV = _max_last(Q) if pis is None else np.einsum("hsa,hsa->hs", pis, Q)
    TV -= V[:-1]
    return float(max(np.max(np.abs(TV)), np.max(np.abs(V[-1]))))


def _certificate_fh(mdp, V) -> float:
    """The optimality residual attached to solutions.

    Small models (one stage of ``P`` at most ``NUMBA_MAX_STAGE_BYTES``, whichever recursion
    solved them): a separate numba loop (:func:`rlth._kernels.dp.fh_residual_kernel`)
    that shares no code with the solver; numpy would cost ~30 us of call overhead at (10, 4), more
    than the solve, and its multi-threaded GEMM stalls on an oversubscribed host.  Large models:
    the numpy GEMM route of :func:`bellman_residual` (one extra read of ``P``).
    """
    if is_sparse_mdp(mdp):
        return _sparse.fh_residual(mdp, V)
    if _backward.use_numba(mdp.n_states, mdp.n_actions):
        return float(K.fh_residual_kernel(mdp.P_stages, mdp.R_stages, V))
    return _residual_fh(mdp, V)


#: Unit roundoff of float64.
_U = float(np.finfo(np.float64).eps) / 2


_ROW_NNZ: "weakref.WeakKeyDictionary[DiscountedMDP, int]" = weakref.WeakKeyDictionary()


def _row_nnz(mdp: DiscountedMDP) -> int:
    """Largest number of nonzeros in a row of ``P.reshape(S*A, S)`` (terms of one backup).

    Cached per model (models are immutable): counting costs a pass over ``P``, a quarter of a
    policy-iteration solve at (100, 10)."""
    if is_sparse_mdp(mdp):
        return max(mdp.max_row_nnz, 1)
    k = _ROW_NNZ.get(mdp)
    if k is None:
        S, A = mdp.n_states, mdp.n_actions
        k = _ROW_NNZ[mdp] = int(np.count_nonzero(mdp.P.reshape(S * A, S), axis=1).max())
    return k


def backup_rounding(mdp: DiscountedMDP, V, residual: float = 0.0, *, nnz: int | None = None
                    ) -> float:
    r"""Bound on the rounding error of a computed discounted Bellman residual [D].

    ``rho(V) = 2 (k + 3) u (||R||_inf + gamma ||V||_inf) + 2 u residual`` (first term 0 when
    ``gamma = 0``), with ``u = 2**-53`` and ``k`` the largest number of nonzeros in a row of
    ``P.reshape(S*A, S)``: the exact ``||TV - V||_inf`` is at most the computed one plus
    ``rho(V)``, whatever the summation order (see the module docstring; Higham 2002, Sec. 3.1
    [R]).  ``||V - V*||_inf <= (residual + rho(V)) / (1 - gamma)``.

    Parameters
    ----------
    mdp : DiscountedMDP
    V : array_like, shape (S,)
    residual : float
        The computed residual ``||TV - V||_inf`` (its own subtraction's rounding).
    nnz : int, optional
        ``k`` if already known.

    Examples
    --------
    >>> from rlth.instances import puterman_two_state
    >>> mdp = puterman_two_state()
    >>> 0 < backup_rounding(mdp, policy_iteration(mdp).V) < 1e-13
    True
    """
    check_disc(mdp)
    V = as_float_array("V", V, shape=(mdp.n_states,))
    residual = check_positive_float("residual", residual, allow_zero=True)
    if nnz is not None:
        nnz = check_positive_int("nnz", nnz)
    return _rounding(mdp, float(np.max(np.abs(V), initial=0.0)), residual, nnz)


def _rounding(mdp, v_norm: float, residual: float, nnz=None) -> float:
    out = 2.0 * _U * abs(residual)
    if mdp.gamma > 0.0:
        k = _row_nnz(mdp) if nnz is None else nnz
        out += 2.0 * (k + 3) * _U * (float(np.max(np.abs(mdp.R))) + mdp.gamma * v_norm)
    return float(out)


def _residual_disc(mdp, V, pis=None) -> float:
    Q = _disc_backup(mdp, V)
    TV = Q.max(axis=-1) if pis is None else np.einsum("sa,sa->s", pis, Q)
    return float(np.max(np.abs(TV - V)))


def policy_array(mdp, pi, name="pi") -> np.ndarray:
    """``pi`` (deterministic or stochastic) as a validated stochastic policy array of ``mdp``."""
    if is_sparse_mdp(mdp) and is_finite_horizon(mdp):
        return _sparse.compact_policy(mdp, pi, name)
    horizon = mdp.horizon if is_finite_horizon(mdp) else None
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
    Discounted: ``||V - V*||_inf <= (residual + rho) / (1 - gamma)`` (contraction of T, [D]),
    ``rho = backup_rounding(mdp, V, residual)`` the rounding of this computation; finite
    horizon: ``||V[h] - V*_h||_inf <= (H - h) * residual`` (telescoping, [D]) up to the same
    kind of rounding term per stage.

    Examples
    --------
    >>> from rlth.instances import puterman_two_state
    >>> mdp = puterman_two_state()
    >>> bellman_residual(mdp, policy_iteration(mdp).V) < 1e-12
    True
    """
    check_mdp(mdp)
    if is_finite_horizon(mdp):
        V = as_float_array("V", V, shape=(mdp.horizon + 1, mdp.n_states))
        pis = None if pi is None else policy_array(mdp, pi)
        return _residual_fh(mdp, V, pis)
    V = as_float_array("V", V, shape=(mdp.n_states,))
    pis = None if pi is None else policy_array(mdp, pi)
    return _residual_disc(mdp, V, pis)


def greedy_policy(Q) -> np.ndarray:
    """``argmax_a Q[..., a]`` as int64, ties broken towards the lowest action index."""
    scalar = np.ndim(as_array("Q", Q)) == 0
    Q = as_float_array("Q", Q)
    if scalar or Q.shape[-1] == 0:
        raise ValueError(f"Q: expected an array with at least one action on the last axis, "
                         f"got shape {Q.shape}")
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
    (:func:`rlth.solvers._backward.speculative_stages`), which turns runs of stages with an unchanged greedy policy
    into one matrix-matrix product and so leaves the memory-bandwidth bound of a per-stage
    recursion. Otherwise small models (one stage of ``P`` up to ``NUMBA_MAX_STAGE_BYTES``) run
    one fused numba loop and large ones one BLAS matrix-vector product per stage. Every
    speculative stage is verified against the full backup, so the result is the same (up to
    rounding, see :func:`rlth.solvers._backward.speculative_stages`) as the plain recursion's.

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
    check_fh(mdp)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    V = np.empty((H + 1, S))
    V[H] = 0.0
    Q = np.empty((H, S, A))
    pi = np.empty((H, S), dtype=np.int64)
    if is_sparse_mdp(mdp):
        _sparse.fh_optimal(mdp, V, Q, pi)
    else:
        _backward.optimal_stages(mdp.P_stages, mdp.R_stages, V, Q, pi)
    freeze(V, Q, pi)
    res = partial(_certificate_fh, mdp, V) if certify else float("nan")     # picklable
    return FiniteHorizonSolution(V, Q, pi, float(mdp.rho @ V[0]), res)


def optimal_value(mdp) -> float:
    """``rho @ V*_0`` of a finite-horizon MDP keeping two value vectors only.

    The memory-light form of :func:`backward_induction` for CSR models where ``V[H+1, S]``,
    ``Q[H, S, A]`` and ``pi[H, S]`` would dwarf the model (a CSR model with S = 1e6, A = 4,
    H = 100 has 0.3 GB of transitions but a 3.2 GB ``Q``): the same recursion, O(S) memory
    beyond the model for CSR models (dense ones keep ``V[H+1, S]``, small next to ``P``), no
    certificate (use :func:`backward_induction` for one).

    Parameters
    ----------
    mdp : FiniteHorizonMDP or SparseFiniteHorizonMDP

    Returns
    -------
    float

    Guarantee
    ---------
    Equal to ``backward_induction(mdp).value`` up to round-off (same backups, same order).

    Examples
    --------
    >>> from rlth.instances import chain
    >>> optimal_value(chain(5, horizon=6, sparse=True))
    2.0
    """
    check_fh(mdp)
    if is_sparse_mdp(mdp):
        return _sparse.optimal_value(mdp)
    V, _ = K.backward_values_kernel(mdp.P_stages, mdp.R_stages, mdp.horizon, True)
    return float(mdp.rho @ V[0])


def _evaluate_fh(mdp, pis):
    if is_sparse_mdp(mdp):
        return _sparse.fh_evaluate(mdp, pis)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    V = np.empty((H + 1, S))
    V[H] = 0.0
    Q = np.empty((H, S, A))
    _backward.policy_stages(mdp.P_stages, mdp.R_stages, pis, V, Q)
    return V, Q


def _evaluate_disc(mdp, pis):
    if is_sparse_mdp(mdp):
        return _sparse.disc_evaluate(mdp, pis)
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
    >>> from rlth.instances import puterman_two_state
    >>> import numpy as np
    >>> ev = evaluate_policy(puterman_two_state(), np.array([1, 0]))
    >>> round(float(ev.V[1]), 10)
    -20.0
    """
    check_mdp(mdp)
    pis = policy_array(mdp, pi)
    if is_finite_horizon(mdp):
        V, Q = _evaluate_fh(mdp, pis)
        res = _residual_fh(mdp, V, pis)
        value = float(mdp.rho @ V[0])
    else:
        V, Q = _evaluate_disc(mdp, pis)
        res = _residual_disc(mdp, V, pis)
        value = float(mdp.rho @ V)
    freeze(V, Q)
    return PolicyEvaluation(V, Q, value, res)


# ----------------------------------------------------------------------------- discounted

def _greedy_solution(mdp, V, n_iter, error_bound=None) -> DiscountedSolution:
    Q = _disc_backup(mdp, V)
    pi = np.argmax(Q, axis=1).astype(np.int64)
    res = float(np.max(np.abs(Q.max(axis=1) - V)))
    if error_bound is None:
        error_bound = (res + _rounding(mdp, float(np.max(np.abs(V))), res)) / (1.0 - mdp.gamma)
    freeze(V, Q, pi)
    return DiscountedSolution(V, Q, pi, float(mdp.rho @ V), int(n_iter), res, float(error_bound))


#: Default accuracy of :func:`value_iteration` (raised to twice the model's rounding floor when that
#: is larger, see its ``tol``).
VI_DEFAULT_TOL = 1e-10


def value_iteration(mdp: DiscountedMDP, tol: float | None = None,
                    max_iter: int = 100_000) -> DiscountedSolution:
    """Value iteration ``V_{k+1} = T V_k`` from ``V_0 = 0`` with a certified stopping rule.

    Parameters
    ----------
    mdp : DiscountedMDP
    tol : float, optional
        Target sup-norm accuracy of the returned ``V``.  Default: ``VI_DEFAULT_TOL`` (1e-10), or
        twice the attainable rounding floor of this model when that is larger (a large model at
        ``gamma`` near 1 cannot certify 1e-10; the returned ``error_bound`` says what was
        certified).  An explicit ``tol`` below the floor raises instead.
    max_iter : int, default 100_000

    Returns
    -------
    DiscountedSolution
        ``V = V_{k+1}``, ``Q = R + gamma P V``, greedy ``pi``, ``n_iter = k + 1`` sweeps,
        ``error_bound = (gamma ||V_{k+1} - V_k||_inf (1 + 2u) + rho(V_k)) / (1-gamma) <= tol``
        with ``rho`` the rounding term of one sweep (:func:`backup_rounding`; [D]: ``V_{k+1}
        = T V_k + e`` with ``||e|| <= rho(V_k)``, so ``||V_{k+1} - V*|| <= gamma ||V_k - V*||
        + rho``).  Iteration stops at the first sweep with ``gamma/(1-gamma) ||V_{k+1} -
        V_k||_inf <= tol``; when the rounding term then pushes the bound above ``tol`` it goes
        on with the remaining budget ``tol - rho/(1-gamma)``.

    Ties
    ----
    ``pi[s]`` is the lowest index among the exact maxima of the returned ``Q[s]``.  Actions that
    tie in ``Q*`` but not exactly in the approximate ``Q`` (VI approaches ``V*`` from one side)
    are resolved by ``Q``, not by index.

    Raises
    ------
    ValueError
        An explicit ``tol`` below the attainable floor (message starts with ``tol``): before
        iterating when
        ``tol <= 2 (k+3) u ||R||_inf / (1 - gamma)`` (the rounding of one sweep from any ``V``),
        after converging when ``rho(V) / (1 - gamma) >= tol`` for the values reached.
    RuntimeError
        No convergence within ``max_iter`` sweeps; use :func:`policy_iteration` for exact
        answers.

    Guarantee
    ---------
    ``||V - V*||_inf <= error_bound <= tol`` (Puterman 1994, Thm 6.3.1, with the rounding of
    the sweeps bounded, [D]); the
    greedy policy then satisfies ``||V^pi - V*||_inf <= 2 gamma error_bound / (1 - gamma)``
    (Singh & Yee 1994, Thm 1).

    References
    ----------
    Puterman (1994), Alg. 6.3.1 (value iteration) and Thm 6.3.1 (stopping rule).
    """
    check_disc(mdp)
    explicit = tol is not None
    tol = check_positive_float("tol", tol) if explicit else VI_DEFAULT_TOL
    max_iter = check_positive_int("max_iter", max_iter)
    S = mdp.n_states
    gamma = mdp.gamma
    nnz = _row_nnz(mdp)
    floor = _rounding(mdp, 0.0, 0.0, nnz) / (1.0 - gamma)
    if not explicit and not tol > floor:
        tol = 2.0 * floor
    if not tol > floor:
        raise ValueError(f"tol: {tol:g} is below the attainable floor {floor:.3g} of value "
                         f"iteration on this model (rounding of one sweep, 2 (k+3) u ||R|| / "
                         f"(1 - gamma)); use a larger tol or policy_iteration")
    v = np.zeros(S)
    n, budget = 0, tol
    while True:
        n_k, diff = _vi_sweeps(mdp, v, budget, max_iter - n)
        n += n_k
        if not gamma * diff <= budget * (1.0 - gamma):
            raise RuntimeError(f"value_iteration: no convergence in max_iter={max_iter} sweeps; "
                               f"last error bound {gamma * diff / (1 - gamma):.3g} > "
                               f"tol={tol:g}")
        # rho(V_k) with ||V_k|| <= ||V_{k+1}|| + diff; diff itself is rounded (factor 1 + 2u)
        rho = _rounding(mdp, float(np.max(np.abs(v))) + diff, 0.0, nnz) / (1.0 - gamma)
        bound = gamma * diff * (1.0 + 2 * _U) / (1.0 - gamma) + rho
        if bound <= tol:
            break
        if not explicit and not rho < tol:
            tol = 2.0 * rho                          # default: certify what rounding allows
        if not rho < tol:
            raise ValueError(f"tol: {tol:g} is below the attainable floor {rho:.3g} of value "
                             f"iteration on this model (rounding of a sweep at ||V||_inf = "
                             f"{float(np.max(np.abs(v))):.3g}); use a larger tol")
        budget = (tol - rho) / (1.0 + 4 * _U)     # continue from v with what rounding leaves
    return _greedy_solution(mdp, v, n, bound)


def _vi_sweeps(mdp, v, tol, max_iter):
    """Sweeps ``v <- T v`` in place until ``gamma ||V_{k+1} - V_k|| <= tol (1 - gamma)`` or
    ``max_iter`` sweeps; returns ``(sweeps, last diff)``."""
    S, A = mdp.n_states, mdp.n_actions
    gamma = mdp.gamma
    if max_iter <= 0:
        return 0, np.inf
    if is_sparse_mdp(mdp):
        return _sparse.vi_sweeps(mdp, v, tol, max_iter)
    if _backward.use_numba(S, A):
        work = np.empty(S)
        return K.value_iteration_kernel(mdp.P, mdp.R, gamma, tol, max_iter, v, work)
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
        v[:] = v_new
        n += 1
        if gamma * diff <= tol * (1.0 - gamma):
            break
    return n, diff


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
        ``error_bound = (bellman_residual + rho(V)) / (1 - gamma)`` (:func:`backup_rounding`).

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
    check_disc(mdp)
    max_iter = check_positive_int("max_iter", max_iter)
    S = mdp.n_states
    gamma = mdp.gamma
    idx = np.arange(S)
    eye = None if is_sparse_mdp(mdp) else np.eye(S)
    # initial policy: greedy w.r.t. one backup of max_a R (as QuantEcon; any policy would do)
    pi = np.argmax(_disc_backup(mdp, mdp.R.max(axis=1)), axis=1).astype(np.int64)
    eps = 64 * np.finfo(float).eps
    for n in range(1, max_iter + 1):
        solve_err = 0.0
        if eye is None:      # CSR: LU or BiCGSTAB; switch only beyond twice the solve's error
            V, solve_err = _sparse.disc_solve(mdp, np.eye(mdp.n_actions)[pi],
                                              x0=None if n == 1 else V)
        else:
            V = np.linalg.solve(eye - gamma * mdp.P[idx, pi], mdp.R[idx, pi])
        Q = _disc_backup(mdp, V)
        best = np.argmax(Q, axis=1)
        qmax = Q[idx, best]
        improve = qmax > Q[idx, pi] + eps * (1.0 + np.abs(qmax)) + 2.0 * gamma * solve_err
        if not improve.any():
            break
        pi = np.where(improve, best, pi).astype(np.int64)
    else:
        raise RuntimeError(f"policy_iteration: policy not stable after max_iter={max_iter} steps")
    res = float(np.max(np.abs(Q.max(axis=1) - V)))
    bound = (res + _rounding(mdp, float(np.max(np.abs(V))), res)) / (1.0 - gamma)
    freeze(V, Q, pi)
    return DiscountedSolution(V, Q, pi, float(mdp.rho @ V), n, res, bound)
