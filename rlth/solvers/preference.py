r"""Ground truth for preference games: the regularized Nash equilibrium and its certificates.

For a preference game (:class:`~rlth.models.preference.PreferenceGame`) and :math:`\tau > 0`
the regularized game :math:`\mathcal P_\tau` has a unique Nash equilibrium :math:`\pi^*_\tau`
(Munos et al. 2023, Prop. 1 [V]).  It is symmetric (both players play it) and, per context
:math:`x`, it is the soft best response to itself [D]:

.. math::

    \pi^*_\tau(y|x) \propto \mu(y|x) \exp\big(\mathcal P(y \succ \pi^*_\tau | x)/\tau\big),
    \qquad \mathrm{BR}_\tau(\pi)(y|x) \propto \mu(y|x)\, e^{(P_x\pi_x)(y)/\tau}.

Methods
-------
``"newton"`` (default)
    Damped Newton on the logits :math:`z` of :math:`F(z) = z - \log\mu - P\,\mathrm{softmax}(z)/
    \tau`, whose Jacobian :math:`I - A S/\tau` (:math:`A = P - \tfrac12 \mathbf 1\mathbf 1^\top`
    skew, :math:`S = \mathrm{diag}\,\pi - \pi\pi^\top`) is never singular: :math:`AS` is
    similar to the skew matrix :math:`S^{1/2} A S^{1/2}` and has imaginary eigenvalues [D].
    Warm started by magnetic mirror descent (MMD, Sokota et al. 2023):
    :math:`\pi \leftarrow \mathrm{softmax}((\log\pi + \eta\tau\log\mu + \eta P\pi)/(1+\eta\tau))`,
    whose fixed point is exactly :math:`\pi^*_\tau`.  Reaches the rounding floor (about 1e-15
    in probabilities for moderate :math:`\tau`).
``"cvxpy"`` (the independent second method)
    The concave program :math:`\max_{\pi\in\Delta} -\mathrm{KL}(\pi\|\mu) - \log\sum_y \mu(y)
    e^{-(A^\top\pi)(y)/\tau}` (the regularized game's min over the opponent, divided by
    :math:`\tau`); its optimal value is exactly 0 [D], a certificate.  Exponential-cone solver
    (Clarabel, tolerances 1e-14) in two scalings (``pi`` and ``pi / mu``), plus SCS at eps 1e-13
    for up to 30 actions, keeping the candidate with the smallest fixed-point residual; no
    Newton polishing (it stays independent).  Agrees with Newton to about 1e-12 on moderate
    instances (the tests require 1e-9).
``"mmd"``
    MMD alone run to the tolerance (linear rate :math:`1/(1+\eta\tau)`; slow for small tau).

Certificate: :func:`regularized_exploitability`, the exploitability in the regularized game,
:math:`e(\pi) = \max_{\pi'}\mathcal P_\tau(\pi'\succ\pi) - \tfrac12
= \tau\,\mathrm{KL}_\rho(\pi\,\|\,\mathrm{BR}_\tau(\pi))` [D], which is >= 0 and zero
only at :math:`\pi^*_\tau`; the duality gap of :math:`(\pi, \pi')` is :math:`e(\pi) + e(\pi')`.
(Not :func:`rlth.solvers.games.exploitability`, the gap of a pair of Markov-game policies.)

:func:`solve_nash` solves the unregularized game (:math:`\tau = 0`) by linear programming: find
:math:`\pi` with :math:`P_x^\top \pi_x \ge 1/2` (HiGHS).

References
----------
- R. Munos et al., "Nash Learning from Human Feedback", arXiv:2312.00886, eq. (2), Prop. 1.
- S. Sokota et al., "A Unified Approach to Reinforcement Learning, Quantal Response Equilibria,
  and Two-Player Zero-Sum Games" (MMD), ICLR 2023, arXiv:2206.05825.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._kernels.softmax import masked_softmax
from .._validation import (as_float_array, check_distribution, check_instance,
                           check_positive_float, check_positive_int)
from ..models.preference import PreferenceGame, kl_divergence

__all__ = ["RegularizedNashSolution", "NashSolution", "soft_best_response",
           "regularized_exploitability", "duality_gap", "solve_regularized_nash", "solve_nash",
           "mmd_step"]

_METHODS = ("newton", "cvxpy", "mmd")


@dataclass(frozen=True)
class RegularizedNashSolution:
    """The regularized Nash equilibrium of a preference game, with its certificate.

    Attributes
    ----------
    pi : ndarray, shape (X, Y)
        :math:`\\pi^*_\\tau` (zero off the support of ``mu``).
    tau : float
    exploitability : float
        :math:`e(\\pi) = \\tau\\,\\mathrm{KL}_\\rho(\\pi\\|\\mathrm{BR}_\\tau(\\pi))` (0 at the
        exact equilibrium).
    residual : float
        Max over contexts of the sup-norm of the fixed-point residual of the logits, modulo
        constants: ``|| z - log mu - P pi / tau ||`` after removing its mean.
    n_iter : int
        Newton / MMD iterations (cvxpy: 0).
    method : str
    objective : float
        ``"cvxpy"``: optimal value of the concave program (0 in exact arithmetic); else NaN.
    """

    pi: np.ndarray
    tau: float
    exploitability: float
    residual: float
    n_iter: int
    method: str
    objective: float = float("nan")


@dataclass(frozen=True)
class NashSolution:
    """A Nash equilibrium of the unregularized preference game (``tau = 0``).

    Attributes
    ----------
    pi : ndarray, shape (X, Y)
    value : float
        :math:`\\mathbb E_\\rho \\min_y (P_x^\\top\\pi_x)(y)` (1/2 in exact arithmetic).
    exploitability : float
        :math:`\\mathbb E_\\rho \\max_y (P_x \\pi_x)(y) - 1/2` (0 at an equilibrium).
    """

    pi: np.ndarray
    value: float
    exploitability: float


# ---------------------------------------------------------------------------- helpers

def _tau(tau, allow_zero=False):
    return check_positive_float("tau", tau, allow_zero=allow_zero)


def soft_best_response(game: PreferenceGame, pi, tau: float) -> np.ndarray:
    r"""Soft best response
    :math:`\mathrm{BR}_\tau(\pi)(y|x) \propto \mu(y|x)e^{(P_x\pi_x)(y)/\tau}`.

    Returns ``[X, Y]``; with ``tau == 0`` the uniform distribution over the (unregularized)
    best responses.
    """
    check_instance("game", game, PreferenceGame)
    tau = _tau(tau, allow_zero=True)
    g = game.preference_against(pi)
    if tau == 0:
        best = g >= g.max(axis=1, keepdims=True) - 1e-15
        return best / best.sum(axis=1, keepdims=True)
    return masked_softmax(game.log_reference + g / tau, game.support)


def _context_exploitability(game, pi, tau):
    g = np.einsum("xab,xb->xa", game.pref, pi)
    if tau == 0:
        return g.max(axis=1) - 0.5
    br = masked_softmax(game.log_reference + g / tau, game.support)
    # KL >= 0 in exact arithmetic; rounding can give -1e-18
    return np.maximum(tau * kl_divergence(pi, br), 0.0)


def regularized_exploitability(game: PreferenceGame, pi, tau: float) -> float:
    r"""Exploitability in the tau-regularized symmetric game,
    :math:`e(\pi) = \max_{\pi'}\mathcal P_\tau(\pi'\succ\pi) - 1/2` [D].

    Equals :math:`\tau\,\mathrm{KL}_\rho(\pi\,\|\,\mathrm{BR}_\tau(\pi))` (computed so, which is
    accurate near 0), is >= 0, and zero only at :math:`\pi^*_\tau`; ``inf`` if ``pi`` leaves
    the support of ``mu``.  With ``tau == 0``: :math:`\mathbb E_\rho\max_y (P_x\pi_x)(y) - 1/2`.

    Parameters
    ----------
    game : PreferenceGame
    pi : array_like, shape (X, Y) or (Y,)
    tau : float >= 0
    """
    check_instance("game", game, PreferenceGame)
    tau = _tau(tau, allow_zero=True)
    pi = game.check_policy(pi)
    return float(game.context_probs @ _context_exploitability(game, pi, tau))


def duality_gap(game: PreferenceGame, pi, pi_prime=None, *, tau: float) -> float:
    r"""Duality gap :math:`\max_{\pi''}\mathcal P_\tau(\pi''\succ\pi') - \min_{\pi''}\mathcal P_\tau
    (\pi\succ\pi'') = e(\pi) + e(\pi')` of the profile :math:`(\pi, \pi')` (``pi_prime``
    defaults to ``pi``: then :math:`2e(\pi)`).
    """
    e1 = regularized_exploitability(game, pi, tau)
    if pi_prime is None:
        return 2 * e1
    pi_prime = game.check_policy(pi_prime, "pi_prime")
    e2 = _context_exploitability(game, pi_prime, _tau(tau, allow_zero=True))
    return e1 + float(game.context_probs @ e2)


def mmd_step(game: PreferenceGame, pi: np.ndarray, tau: float, eta: float) -> np.ndarray:
    r"""One magnetic mirror descent step (Sokota et al. 2023, eq. (MMD) with magnet :math:`\mu`):

    :math:`\pi_{t+1} \propto
    \exp\big((\log\pi_t + \eta\tau\log\mu + \eta P\pi_t)/(1+\eta\tau)\big)`.

    ``pi[X, Y]`` (or ``[Y]``) a policy, ``tau >= 0``, ``eta > 0``.
    """
    check_instance("game", game, PreferenceGame)
    pi = game.check_policy(pi)
    tau = _tau(tau, allow_zero=True)
    eta = check_positive_float("eta", eta)
    return _mmd_step(game, pi, tau, eta)


def _mmd_step(game, pi, tau, eta):
    """:func:`mmd_step` without validation (``pi[X, Y]`` on the support)."""
    with np.errstate(divide="ignore"):
        lp = np.log(pi)
    z = (np.where(game.support, lp, 0.0)
         + eta * tau * np.where(game.support, game.log_reference, 0.0)
         + eta * np.einsum("xab,xb->xa", game.pref, pi)) / (1.0 + eta * tau)
    return masked_softmax(z, game.support)


def _residual(A, lmu, z, tau):
    p = masked_softmax(z)
    F = z - lmu - A @ p / tau
    return F, p


def _newton_context(A, lmu, z, tau, tol, max_iter):
    """Damped Newton on F(z) = z - log mu - A softmax(z) / tau (one context, on the support).

    F(z + c 1) = F(z) + c 1 and J 1 = 1, so F has a unique root (the gauge is fixed by F = 0);
    backtracking (Armijo) on ||F||^2 / 2, for which the Newton direction is a descent direction.
    """
    n = z.size
    F, p = _residual(A, lmu, z, tau)
    phi = 0.5 * F @ F
    it = 0
    for it in range(1, max_iter + 1):
        S = np.diag(p) - np.outer(p, p)
        d = -np.linalg.solve(np.eye(n) - (A @ S) / tau, F)
        step = 1.0
        while True:
            z_new = z + step * d
            F_new, p_new = _residual(A, lmu, z_new, tau)
            phi_new = 0.5 * F_new @ F_new
            if phi_new <= (1 - 1e-4 * step) * phi or step < 1e-12:
                break
            step *= 0.5
        small_step = np.max(np.abs(step * d)) <= tol
        if phi_new > phi and small_step:      # rounding floor: keep the better point
            break
        z, F, p, phi = z_new, F_new, p_new, phi_new
        if np.max(np.abs(F - F.mean())) <= tol or small_step:
            break
    return p, float(np.max(np.abs(F - F.mean()))), it


def _max_residual(game, pi, tau):
    lmu = game.log_reference
    out = 0.0
    for x in range(game.n_contexts):
        s = game.support[x]
        A = game.pref[x][np.ix_(s, s)] - 0.5
        out = max(out, _fixed_point_residual(A, lmu[x, s], pi[x, s], tau))
    return out


def _mmd_until(game, pi, tau, eta, n_iter, target):
    """MMD steps until the fixed-point residual (checked every 10 steps) is <= target."""
    for k in range(n_iter):
        if k % 10 == 0 and _max_residual(game, pi, tau) <= target:
            return pi, k
        pi = _mmd_step(game, pi, tau, eta)
    return pi, n_iter


def _fixed_point_residual(A, lmu, p, tau):
    """sup-norm of log p - log mu - A p / tau modulo constants (inf if p has a zero)."""
    if np.any(p <= 0):
        return np.inf
    F = np.log(p) - lmu - A @ p / tau
    return float(np.max(np.abs(F - F.mean())))


_SCS_MAX_ACTIONS = 30


def _cvxpy_context(A, mu, tau, solver):
    """The concave program in two scalings (variable ``pi``, and ``w = pi / mu``, better
    conditioned when ``mu`` has small entries), each by ``solver`` and, for small problems, by
    SCS at eps 1e-13 (first-order, accurate on small well-scaled problems where the interior
    point stalls near 1e-9); the candidate with the smallest fixed-point residual wins (a
    certificate that is linear in the error and does not involve the Newton solution)."""
    import cvxpy as cp
    n = mu.size
    runs = [(solver, dict(tol_gap_abs=1e-14, tol_gap_rel=1e-14, tol_feas=1e-14,
                          tol_ktratio=1e-10, max_iter=500) if solver.upper() == "CLARABEL"
             else {})]
    if n <= _SCS_MAX_ACTIONS and solver.upper() != "SCS":
        runs.append(("SCS", dict(eps=1e-13, max_iters=50_000)))
    lmu = np.log(mu)
    best = None
    for scaled in (False, True):
        v = cp.Variable(n, nonneg=True)
        x = cp.multiply(mu, v) if scaled else v
        kl = -(mu @ cp.entr(v)) if scaled else cp.sum(cp.rel_entr(v, mu))
        prob = cp.Problem(cp.Maximize(-kl - cp.log_sum_exp(lmu - (A.T @ x) / tau)),
                          [cp.sum(x) == 1])
        for name, opts in runs:
            with warnings.catch_warnings():   # "optimal_inaccurate" at tight tolerances is
                warnings.simplefilter("ignore")   # fine: the certificate decides
                try:
                    prob.solve(solver=name, **opts)
                except cp.error.SolverError:
                    continue
            if v.value is None:
                continue
            p = np.clip(np.asarray(v.value, dtype=np.float64) * (mu if scaled else 1.0), 0.0,
                        None)
            p /= p.sum()
            r = _fixed_point_residual(A, lmu, p, tau)
            if best is None or r < best[0]:
                best = (r, p, float(prob.value))
    if best is None:
        raise RuntimeError(f"cvxpy ({solver}) failed on both formulations")
    return best[1], best[2]


def solve_regularized_nash(game: PreferenceGame, tau: float, *, method: str = "newton",
                           tol: float = 1e-13, max_iter: int = 200, warm_start_iter: int = 500,
                           solver: str = "CLARABEL") -> RegularizedNashSolution:
    r"""The regularized Nash equilibrium :math:`\pi^*_\tau` of ``game``, with certificates.

    Parameters
    ----------
    game : PreferenceGame
    tau : float > 0
        KL-regularization strength (the paper's :math:`\tau`; TRL's ``beta``).
    method : {"newton", "cvxpy", "mmd"}
        See the module docstring.  ``"newton"`` and ``"cvxpy"`` are independent.
    tol : float, default 1e-13
        Stop when the fixed-point residual (sup-norm of the logits, modulo constants) is below
        ``tol`` (Newton: or when the step is).
    max_iter : int, default 200
        Newton iterations per context (MMD: ``max_iter * 1000`` steps).
    warm_start_iter : int, default 500
        MMD warm-start steps (step :math:`\eta = \tau`) before Newton, stopped early once the
        residual is below 1e-2.
    solver : str, default "CLARABEL"
        cvxpy solver (exponential cone).

    Returns
    -------
    RegularizedNashSolution

    Guarantee
    ---------
    Unique equilibrium for ``tau > 0`` (Munos et al. 2023, Prop. 1).  The returned
    ``exploitability`` and ``residual`` certify the solution without trusting the solver.

    Notes
    -----
    Known limitation [D]: at very small ``tau`` on a game whose equilibrium is nearly pure,
    probabilities underflow and Newton does not converge.  On ``bradley_terry([0, 1, 2, 0.5],
    mu=[.4, .3, .1, .2])`` it is exact at ``tau = 1e-3`` but at ``tau = 3e-4`` returns
    ``residual = inf`` (its ``exploitability = 0.0`` may be a true value below the float range or an
    artefact: nothing here can tell), at ``1e-4`` an answer 0.29 off in L1 with ``exploitability = inf``.  A ``RuntimeWarning`` is raised whenever the residual misses ``tol``: check ``residual``
    before trusting ``exploitability``, or use ``solve_nash`` (the tau = 0 LP) in that regime.

    Examples
    --------
    >>> from rlth.instances.preference import rps_tournament
    >>> sol = solve_regularized_nash(rps_tournament(3, mu=[0.6, 0.3, 0.1]), tau=0.1)
    >>> sol.exploitability < 1e-12
    True
    """
    check_instance("game", game, PreferenceGame)
    tau = _tau(tau)
    if method not in _METHODS:
        raise ValueError(f"method: must be one of {_METHODS}, got {method!r}")
    tol = check_positive_float("tol", tol)
    max_iter = check_positive_int("max_iter", max_iter)
    warm_start_iter = check_positive_int("warm_start_iter", warm_start_iter)
    if method == "cvxpy":
        import cvxpy as cp
        if not isinstance(solver, str) or solver.upper() not in cp.installed_solvers():
            raise ValueError(f"solver: must be an installed cvxpy solver "
                             f"{tuple(cp.installed_solvers())}, got {solver!r}")
    lmu = game.log_reference
    X, Y = game.mu.shape
    pi = np.zeros((X, Y))
    n_iter = 0
    objective = float("nan")
    if method == "mmd":
        pi, n_iter = _mmd_until(game, game.mu.copy(), tau, tau, max_iter * 1000, tol)
    elif method == "cvxpy":
        objective = 0.0
        for x in range(X):
            s = game.support[x]
            A = game.pref[x][np.ix_(s, s)] - 0.5
            p, val = _cvxpy_context(A, game.mu[x, s], tau, solver)
            pi[x, s] = p
            objective += game.context_probs[x] * val
    else:
        start, n_iter = _mmd_until(game, game.mu.copy(), tau, tau, warm_start_iter, 1e-2)
        for x in range(X):
            s = game.support[x]
            A = game.pref[x][np.ix_(s, s)] - 0.5
            z0 = np.log(start[x, s])
            p, _, it = _newton_context(A, lmu[x, s], z0, tau, tol, max_iter)
            pi[x, s] = p
            n_iter += it
    resid = _max_residual(game, pi, tau)
    if resid > 1e-8 and method != "cvxpy":
        warnings.warn(f"solve_regularized_nash({method!r}, tau={tau:g}): fixed-point residual "
                      f"{resid:.3g} (not converged; raise max_iter or try another method)",
                      RuntimeWarning, stacklevel=2)
    pi.setflags(write=False)
    return RegularizedNashSolution(pi=pi, tau=tau,
                                   exploitability=regularized_exploitability(game, pi, tau),
                                   residual=resid, n_iter=n_iter, method=method,
                                   objective=objective)


def solve_nash(game: PreferenceGame) -> NashSolution:
    r"""A Nash equilibrium of the unregularized game (:math:`\tau = 0`) by LP (HiGHS).

    Per context: :math:`\max v` s.t. :math:`P_x^\top\pi \ge v\mathbf 1`, :math:`\pi\in\Delta`.
    The value is 1/2 (symmetric constant-sum game); the equilibrium need not be unique (the LP
    returns a vertex).  The reference policy plays no role.
    """
    from scipy.optimize import linprog
    check_instance("game", game, PreferenceGame)
    X, Y = game.mu.shape
    pi = np.zeros((X, Y))
    values = np.zeros(X)
    for x in range(X):
        P = game.pref[x]
        c = np.zeros(Y + 1)
        c[-1] = -1.0                                   # maximize v
        A_ub = np.hstack([-P.T, np.ones((Y, 1))])      # v - (P^T pi)(y) <= 0
        A_eq = np.hstack([np.ones((1, Y)), np.zeros((1, 1))])
        res = linprog(c, A_ub=A_ub, b_ub=np.zeros(Y), A_eq=A_eq, b_eq=[1.0],
                      bounds=[(0, None)] * Y + [(None, None)], method="highs")
        if res.status != 0:
            raise RuntimeError(f"linprog failed on context {x}: {res.message}")
        p = np.clip(res.x[:Y], 0.0, None)
        pi[x] = p / p.sum()
        values[x] = (P.T @ pi[x]).min()
    pi.setflags(write=False)
    return NashSolution(pi=pi, value=float(game.context_probs @ values),
                        exploitability=regularized_exploitability(game, pi, 0.0))


# =============================================================================== dueling bandit
# Exact ground truth of the KL-regularized linear dueling bandit
# (:class:`rlth.models.bandits.LinearDuelingBandit`; VPO, Cen et al. 2025, arXiv 2405.19320).
#
#   J(r, pi)  = sum_x rho(x) [ sum_y pi(y|x) r(x, y) - beta KL(pi(.|x) || pi_ref(.|x)) ]
#   pi_r      = softmax(log pi_ref + r / beta)                     (per context)
#   J*(r)     = beta sum_x rho(x) log sum_y pi_ref(y|x) exp(r(x, y)/beta) = J(r, pi_r)
#   J*(r) - J(r, pi) = beta sum_x rho(x) KL(pi(.|x) || pi_r(.|x))  >= 0          [D]
#
# The last identity (the Gibbs variational principle) is the certificate of ``pi_r``.

from scipy.special import logsumexp as _logsumexp  # noqa: E402

from ..models.bandits import LinearDuelingBandit  # noqa: E402

__all__ += ["DuelingOptimum", "kl_optimal_policy", "regularized_value",
            "optimal_regularized_value", "dueling_optimum", "regularized_regret",
            "unregularized_regret"]


@dataclass(frozen=True)
class DuelingOptimum:
    r"""The KL-regularized optimum of a linear dueling bandit, with its certificate.

    Attributes
    ----------
    pi : ndarray, shape (X, Y)
        :math:`\pi^* \propto \pi_{\mathrm{ref}} e^{r^*/\beta}`.
    value : float
        :math:`J^*(r^*) = \beta\,\mathbb E_\rho \log \sum_y \pi_{\mathrm{ref}} e^{r^*/\beta}`
        (closed form).
    enumerated_value : float
        :math:`J(r^*, \pi^*)` by enumeration over (x, y).
    certificate : float
        ``|value - enumerated_value|`` (0 in exact arithmetic: Gibbs variational principle).
    """

    pi: np.ndarray
    value: float
    enumerated_value: float
    certificate: float


def _dueling(model):
    return check_instance("model", model, LinearDuelingBandit)


def _rewards(model, reward):
    if reward is None:
        return model.rewards
    return as_float_array("reward", reward, shape=(model.n_contexts, model.n_responses))


def _dueling_policy(model, policy, name="policy"):
    pi = as_float_array(name, policy, shape=(model.n_contexts, model.n_responses))
    check_distribution(name, pi)
    return pi


def kl_optimal_policy(model: LinearDuelingBandit, reward=None) -> np.ndarray:
    r"""The maximizer :math:`\pi_r(y|x) \propto \pi_{\mathrm{ref}}(y|x) e^{r(x, y)/\beta}` of
    :math:`J(r, \cdot)`.

    Parameters
    ----------
    model : LinearDuelingBandit
    reward : array_like, shape (X, Y), optional
        Defaults to the true reward :math:`r^*`.

    Returns
    -------
    ndarray, shape (X, Y)
    """
    model = _dueling(model)
    r = _rewards(model, reward)
    return masked_softmax(np.log(model.pi_ref) + r / model.beta)


def regularized_value(model: LinearDuelingBandit, policy, reward=None) -> float:
    r""":math:`J(r, \pi) = \mathbb E_\rho[\mathbb E_\pi r - \beta\,\mathrm{KL}(\pi\|
    \pi_{\mathrm{ref}})]` by enumeration (``reward`` defaults to :math:`r^*`)."""
    model = _dueling(model)
    r = _rewards(model, reward)
    pi = _dueling_policy(model, policy)
    per_x = np.sum(pi * r, axis=1) - model.beta * kl_divergence(pi, model.pi_ref, axis=1)
    return float(model.context_probs @ per_x)


def optimal_regularized_value(model: LinearDuelingBandit, reward=None) -> float:
    r""":math:`J^*(r) = \max_\pi J(r, \pi) = \beta\,\mathbb E_\rho \log\sum_y
    \pi_{\mathrm{ref}}(y|x) e^{r(x,y)/\beta}` (closed form, log-sum-exp)."""
    model = _dueling(model)
    r = _rewards(model, reward)
    lse = _logsumexp(np.log(model.pi_ref) + r / model.beta, axis=1)
    return float(model.beta * (model.context_probs @ lse))


def dueling_optimum(model: LinearDuelingBandit) -> DuelingOptimum:
    """:math:`\\pi^*`, :math:`J^*(r^*)` in closed form and by enumeration, and their gap."""
    model = _dueling(model)
    pi = kl_optimal_policy(model)
    v = optimal_regularized_value(model)
    ve = regularized_value(model, pi)
    return DuelingOptimum(pi, v, ve, abs(v - ve))


def regularized_regret(model: LinearDuelingBandit, policy) -> float:
    r"""KL-regularized sub-optimality :math:`J(r^*, \pi^*) - J(r^*, \pi) \ge 0` (exact).

    Computed as :math:`\beta\,\mathbb E_\rho \mathrm{KL}(\pi \| \pi^*)` [D], which equals the
    enumerated difference (tested) and is free of cancellation near :math:`\pi^*`.
    """
    model = _dueling(model)
    pi = _dueling_policy(model, policy)
    star = kl_optimal_policy(model)
    return float(model.beta * (model.context_probs @ kl_divergence(pi, star, axis=1)))


def unregularized_regret(model: LinearDuelingBandit, policy) -> float:
    r"""Reward sub-optimality :math:`\mathbb E_\rho[\max_y r^*(x, y) - \mathbb E_\pi r^*]`
    (no KL term; the secondary metric of ``vpo_glow_v2.md`` II.5)."""
    model = _dueling(model)
    pi = _dueling_policy(model, policy)
    r = model.rewards
    return float(model.context_probs @ (r.max(axis=1) - np.sum(pi * r, axis=1)))
