r"""Linear-programming oracles for MDPs (independent of the dynamic-programming code).

Discounted primal LP (Puterman 1994, Sec. 6.9.1; d'Epenoux 1963)
----------------------------------------------------------------
.. math::
    \min_{V \in \mathbb R^S} \; \sum_s w_s V(s) \quad \text{s.t.} \quad
    V(s) \ge r(s,a) + \gamma \sum_{s'} P(s' \mid s,a) V(s') \quad \forall (s,a).

For any strictly positive weights ``w`` the unique solution is :math:`V^*`.  We take
``w = 1/S`` (uniform) rather than ``rho``, because a ``rho`` with zeros leaves ``V`` free
(only bounded below) at the states it does not weight.

Finite-horizon LP (test oracle)
-------------------------------
Variables :math:`V_h(s)` for :math:`h < H` (:math:`V_H = 0`):

.. math::
    \min \sum_{h,s} V_h(s) \quad \text{s.t.} \quad
    V_h(s) \ge r_h(s,a) + \sum_{s'} P_h(s'\mid s,a) V_{h+1}(s') \quad \forall (h,s,a),

whose unique solution is :math:`V^*_h` (each :math:`V_h(s)` is pushed down onto its tightest
constraint, by induction from :math:`h = H-1`).

Solvers: ``scipy.optimize.linprog(method="highs")`` (default; ~1e-11 accurate, docs/explanation/performance.md
section 5) or cvxpy with an accurate LP solver (``CLARABEL`` or ``HIGHS``; SCS is refused, its
1e-4 accuracy is not an oracle).  A failed or inaccurate solve raises :class:`LPSolverError`
instead of returning garbage (cf. OpenSpiel PR #1618); every solution carries its Bellman
residual, recomputed in numpy.

References
----------
.. [1] M. L. Puterman, *Markov Decision Processes*, Sec. 6.9 (linear programming).
.. [2] F. d'Epenoux, "A probabilistic production and inventory problem", Management Science 1963.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from .._validation import freeze
from ..models.mdp import DiscountedMDP, FiniteHorizonMDP
from ..models.sparse import is_sparse_mdp
from . import _sparse
from ._cvxpy import CVXPY_SOLVERS, check_lp_solver, solve_cvxpy
from .dp import (DiscountedSolution, FiniteHorizonSolution, check_disc, check_fh,
                 _fh_backup, _greedy_solution, _rounding)

__all__ = ["LPSolverError", "solve_lp", "solve_finite_horizon_lp", "CVXPY_SOLVERS"]

#: A solution is rejected, even when the solver reports success, if its Bellman residual (finite
#: horizon) or, discounted, its ``error_bound`` or the loss bound of its greedy policy exceeds
#: ``_ACCEPT * (1 + max|V|)``.  [D] Clarabel reaches ~1e-8, HiGHS ~1e-11 relative residuals
#: (docs/explanation/performance.md section 5).  The discounted test is on the error bounds,
#: not on the residual: a residual test lets the value error grow like ``1 / (1 - gamma)`` (a
#: cvxpy solution with error bound 5.2e5 and a non-optimal policy was accepted that way).
_ACCEPT = 1e-6


class LPSolverError(RuntimeError):
    """The LP solver failed or returned a solution that fails its certificate."""


def _solve(c, A_ub, b_ub, solver, cvxpy_solver, what):
    """min c @ x s.t. A_ub @ x <= b_ub, x free.  Returns (x, iterations)."""
    if solver == "highs":
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=(None, None), method="highs")
        if res.status != 0 or res.x is None:
            raise LPSolverError(f"{what}: scipy linprog(method='highs') failed with status "
                                f"{res.status}: {res.message}")
        return np.asarray(res.x, dtype=np.float64), int(getattr(res, "nit", 0) or 0)
    import cvxpy as cp
    x = cp.Variable(c.shape[0])
    prob = cp.Problem(cp.Minimize(c @ x), [A_ub @ x <= b_ub])
    solve_cvxpy(prob, cvxpy_solver, what, LPSolverError)
    if x.value is None:
        raise LPSolverError(f"{what}: cvxpy/{cvxpy_solver} returned no solution")
    iters = prob.solver_stats.num_iters if prob.solver_stats is not None else 0
    return np.asarray(x.value, dtype=np.float64), int(iters or 0)


def _accept(what, residual, V):
    if not residual <= _ACCEPT * (1.0 + float(np.max(np.abs(V)))):
        raise LPSolverError(f"{what}: the solver reported success but the Bellman residual of "
                            f"its solution is {residual:.3g} (rejected)")


def _policy_loss_bound(mdp: DiscountedMDP, pi: np.ndarray) -> float:
    """``||V^pi - V*||_inf`` bound of a deterministic policy: exact evaluation ``(I - gamma
    P^pi) V^pi = r^pi``, then ``(||T V^pi - V^pi|| + rho(V^pi)) / (1 - gamma)`` (the
    certificate of policy iteration; [D]).  Independent of the LP's ``V``: a non-optimal policy
    has a residual of at least its largest one-step advantage, however close ``V`` came."""
    S = mdp.n_states
    idx = np.arange(S)
    if is_sparse_mdp(mdp):
        V, _ = _sparse.disc_solve(mdp, np.eye(mdp.n_actions)[pi])
        Q = _sparse.disc_backup(mdp, V)
    else:
        V = np.linalg.solve(np.eye(S) - mdp.gamma * mdp.P[idx, pi], mdp.R[idx, pi])
        Q = mdp.R + mdp.gamma * (mdp.P.reshape(S * mdp.n_actions, S) @ V).reshape(S, -1)
    res = float(np.max(np.abs(Q.max(axis=1) - V)))
    return (res + _rounding(mdp, float(np.max(np.abs(V))), res)) / (1.0 - mdp.gamma)


def _accept_discounted(what, mdp, sol):
    """Reject unless ``error_bound`` and the greedy policy's loss bound are both at most
    ``_ACCEPT * (1 + ||V||_inf)`` (relative to the values, so the test does not loosen as
    ``gamma -> 1``)."""
    limit = _ACCEPT * (1.0 + float(np.max(np.abs(sol.V))))
    if not sol.error_bound <= limit:
        raise LPSolverError(f"{what}: the solver reported success but the error bound of its "
                            f"solution is {sol.error_bound:.3g} > {limit:.3g} (Bellman residual "
                            f"{sol.bellman_residual:.3g}; rejected)")
    loss = _policy_loss_bound(mdp, sol.pi)
    if not loss <= limit:
        raise LPSolverError(f"{what}: the solver reported success but the greedy policy of its "
                            f"solution is only certified {loss:.3g}-optimal > {limit:.3g} "
                            f"(rejected)")


def solve_lp(mdp: DiscountedMDP, solver: str = "highs", *,
             cvxpy_solver: str = "CLARABEL") -> DiscountedSolution:
    """Solve a discounted MDP by its primal linear program over ``V``.

    Parameters
    ----------
    mdp : DiscountedMDP
    solver : {"highs", "cvxpy"}, default "highs"
        ``"highs"``: ``scipy.optimize.linprog(method="highs")``.  ``"cvxpy"``: a second opinion
        through cvxpy with ``cvxpy_solver``.
    cvxpy_solver : {"CLARABEL", "HIGHS"}, default "CLARABEL"

    Returns
    -------
    DiscountedSolution
        ``V``, ``Q = R + gamma P V``, greedy ``pi`` (lowest index), ``n_iter`` (solver
        iterations), ``bellman_residual`` and ``error_bound = (bellman_residual + rho(V)) /
        (1 - gamma)``, ``rho`` the rounding term of :func:`rlth.solvers.dp.backup_rounding`.

    Raises
    ------
    LPSolverError
        The solver failed, or its solution fails the acceptance test: ``error_bound`` or the
        loss bound of the greedy policy (exact evaluation of ``pi``, then its Bellman residual
        plus rounding over ``1 - gamma``) exceeds ``1e-6 (1 + ||V||_inf)``.

    Guarantee
    ---------
    The LP optimum is ``V*`` (Puterman 1994, Thm 6.9.1); ``||V - V*||_inf <= error_bound`` and
    ``||V^pi - V*||_inf <= 1e-6 (1 + ||V||_inf)`` for the returned ``pi``.

    Examples
    --------
    >>> from rlth.instances import puterman_two_state
    >>> [round(float(v), 8) for v in solve_lp(puterman_two_state()).V]
    [-8.57142857, -20.0]
    """
    check_disc(mdp)
    name = check_lp_solver(solver, cvxpy_solver)
    S, A = mdp.n_states, mdp.n_actions
    # constraint rows (s, a):  -V(s) + gamma P(.|s,a) V <= -r(s,a)
    E = sp.csr_array((np.ones(S * A), (np.arange(S * A), np.repeat(np.arange(S), A))),
                     shape=(S * A, S))
    P = mdp.P_matrix() if is_sparse_mdp(mdp) else mdp.P.reshape(S * A, S)
    A_ub = sp.csr_array(mdp.gamma * P) - E
    b_ub = -mdp.R.reshape(S * A)
    c = np.full(S, 1.0 / S)
    V, nit = _solve(c, A_ub, b_ub, solver, name, "solve_lp")
    sol = _greedy_solution(mdp, V, nit)
    _accept_discounted("solve_lp", mdp, sol)
    return sol


def solve_finite_horizon_lp(mdp: FiniteHorizonMDP, solver: str = "highs", *,
                            cvxpy_solver: str = "CLARABEL") -> FiniteHorizonSolution:
    """Solve a finite-horizon MDP by one linear program over ``V[0..H-1]`` (a test oracle).

    Parameters
    ----------
    mdp : FiniteHorizonMDP
    solver : {"highs", "cvxpy"}, default "highs"
    cvxpy_solver : {"CLARABEL", "HIGHS"}, default "CLARABEL"

    Returns
    -------
    FiniteHorizonSolution
        ``V[H+1, S]`` from the LP, ``Q`` recomputed from it, greedy ``pi`` (lowest index; may
        differ from :func:`~rlth.solvers.dp.backward_induction` on near-ties), ``value``,
        ``bellman_residual``.

    Raises
    ------
    LPSolverError
        As for :func:`solve_lp`.

    Guarantee
    ---------
    The LP optimum is ``V*`` (see the module docstring); it shares no code with backward
    induction except the residual check.
    """
    check_fh(mdp)
    name = check_lp_solver(solver, cvxpy_solver)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    n_var, n_con = H * S, H * S * A
    rows = np.arange(n_con)
    h_idx, s_idx = np.divmod(rows // A, S)
    A_ub = sp.csr_array((-np.ones(n_con), (rows, h_idx * S + s_idx)), shape=(n_con, n_var))
    if H > 1:
        # block rows of stage h (< H-1) hit V_{h+1}: column offset (h+1) S
        if is_sparse_mdp(mdp):
            P = sp.vstack([mdp.P_matrix(h) for h in range(H - 1)]).tocoo()
            nz_r, nz_c, vals = P.row.astype(np.int64), P.col.astype(np.int64), P.data
        else:
            P = np.asarray(mdp.P[:H - 1]).reshape((H - 1) * S * A, S)
            nz_r, nz_c = np.nonzero(P)
            vals = P[nz_r, nz_c]
        off = (nz_r // (S * A) + 1) * S
        A_ub = A_ub + sp.csr_array((vals, (nz_r, off + nz_c)), shape=(n_con, n_var))
    b_ub = -np.asarray(mdp.R).reshape(n_con)
    c = np.ones(n_var)
    x, _ = _solve(c, A_ub, b_ub, solver, name, "solve_finite_horizon_lp")
    V = np.zeros((H + 1, S))
    V[:H] = x.reshape(H, S)
    Q = _fh_backup(mdp, V)
    pi = np.argmax(Q, axis=-1).astype(np.int64)
    res = float(max(np.max(np.abs(Q.max(axis=-1) - V[:H])), 0.0))
    _accept("solve_finite_horizon_lp", res, V)
    freeze(V, Q, pi)
    return FiniteHorizonSolution(V, Q, pi, float(mdp.rho @ V[0]), res)
