r"""Bradley-Terry maximum likelihood for a linear reward, from pairwise comparison counts.

Contexts :math:`x` and responses :math:`y` carry features :math:`\phi(x, y) \in \mathbb R^d`
(``phi[X, Y, d]``); the reward is linear, :math:`r_\theta(x, y) = \theta^\top \phi(x, y)`, and a
comparison of :math:`y` with :math:`y'` in context :math:`x` is won by :math:`y` with the
Bradley-Terry probability

.. math:: \Pr(y \succ y' \mid x) = \sigma(r_\theta(x, y) - r_\theta(x, y')), \qquad
          \sigma(t) = 1 / (1 + e^{-t}).

The data are the counts ``wins[x, y, y']`` = number of comparisons of ``y`` with ``y'`` in
context ``x`` that ``y`` won (non-negative reals are accepted, e.g. expected counts).  With
:math:`z = \phi(x, y) - \phi(x, y')` the penalized negative log-likelihood (a *sum* over
comparisons, ``vpo_glow_v2.md`` II.1 [R]) is

.. math::
    \ell(\theta) = \sum_{x, y, y'} W(x, y, y') \log(1 + e^{-\theta^\top z})
                   + \tfrac{\lambda}{2} \|\theta\|^2, \\
    \nabla \ell = -\sum W \sigma(-\theta^\top z)\, z + \lambda \theta, \qquad
    \nabla^2 \ell = \sum W \sigma(\theta^\top z)\sigma(-\theta^\top z)\, z z^\top + \lambda I,

a convex function (strictly when :math:`\lambda > 0` or the compared differences span
:math:`\mathbb R^d`).  :func:`bt_mle` minimizes it by Newton's method with Armijo backtracking
and stops on the gradient norm; it returns the Hessian at the estimate, the data-dependent
matrix of the confidence ellipsoid :math:`\|\hat\theta - \theta^*\|_{\hat H}` used by
pessimistic / optimistic preference learners, and the unweighted design
:math:`\sum W z z^\top + \lambda I` (Zhu, Jordan, Jiao 2023's :math:`\Sigma_D + \lambda I`,
unnormalized).

Functions
---------
bt_objective
    :math:`\ell`, :math:`\nabla\ell`, :math:`\nabla^2\ell` at a given :math:`\theta`.
bt_mle
    The (ridge-)maximum-likelihood estimate, a :class:`BTEstimate`.

References
----------
R. A. Bradley, M. E. Terry, "Rank analysis of incomplete block designs", Biometrika 39, 1952.
B. Zhu, M. I. Jordan, J. Jiao, "Principled Reinforcement Learning with Human Feedback from
Pairwise or K-wise Comparisons", ICML 2023 (MLE and its confidence set in
:math:`\|\cdot\|_{\Sigma_D + \lambda I}`).
S. Cen et al., "Value-Incentivized Preference Optimization", ICLR 2025 (VPO; linear reward
class, BT likelihood) [R].
A. Albert, J. A. Anderson, "On the existence of maximum likelihood estimates in logistic
regression models", Biometrika 71, 1984 (existence iff the data are not separable).
S. Boyd, L. Vandenberghe, "Convex Optimization", 2004, Alg. 9.5 (Newton's method with
backtracking line search).

Examples
--------
>>> import numpy as np
>>> phi = np.array([[[0.0], [1.0]]])                 # one context, two responses, d = 1
>>> wins = np.array([[[0.0, 1.0], [3.0, 0.0]]])       # y=1 beat y=0 three times out of four
>>> est = bt_mle(phi, wins)
>>> round(float(est.theta[0]), 8), round(float(np.log(3.0)), 8)
(1.09861229, 1.09861229)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize
from scipy.special import expit

from .._validation import (as_float_array, check_positive_float, check_positive_int,
                           freeze)

__all__ = ["BTEstimate", "bt_objective", "bt_mle", "comparison_pairs", "bt_loss_pairs"]


@dataclass(frozen=True)
class BTEstimate:
    r"""Output of :func:`bt_mle`.

    Attributes
    ----------
    theta : ndarray, shape (d,)
        The minimizer :math:`\hat\theta` of the penalized negative log-likelihood.
    hessian : ndarray, shape (d, d)
        :math:`\nabla^2\ell(\hat\theta) = \sum W \sigma\sigma' z z^\top + \lambda I`.
    design : ndarray, shape (d, d)
        :math:`\sum W z z^\top + \lambda I` (no curvature weights).
    grad_norm : float
        Certificate: :math:`\|\nabla\ell(\hat\theta)\|_2` reached.
    tol_used : float
        The stopping threshold ``tol * max(1, sum W ||z||_2)`` it was compared with.
    nll : float
        :math:`\ell(\hat\theta)` (penalty included).
    n_iter : int
        Newton steps taken.
    """

    theta: np.ndarray
    hessian: np.ndarray
    design: np.ndarray
    grad_norm: float
    tol_used: float
    nll: float
    n_iter: int


def _check_data(phi, wins):
    phi = as_float_array("phi", phi, ndim=3)
    X, Y, d = phi.shape
    if X == 0 or Y == 0 or d == 0:
        raise ValueError(f"phi: needs X, Y, d >= 1, got shape {phi.shape}")
    W = as_float_array("wins", wins, shape=(X, Y, Y))
    if np.any(W < 0):
        raise ValueError(f"wins: counts must be >= 0, min is {W.min():.3g}")
    x, y, y2 = np.nonzero(W)
    z = phi[x, y] - phi[x, y2]                 # one row per observed ordered pair
    return phi, z, W[x, y, y2]


def _objective(theta, z, w, ridge, need_hessian=True):
    t = z @ theta
    value = float(w @ np.logaddexp(0.0, -t) + 0.5 * ridge * (theta @ theta))
    s_neg = expit(-t)                          # sigma(-t) = 1 - sigma(t)
    grad = -(z.T @ (w * s_neg)) + ridge * theta
    if not need_hessian:
        return value, grad, None
    hess = (z * (w * s_neg * expit(t))[:, None]).T @ z
    hess = 0.5 * (hess + hess.T)
    hess[np.diag_indices_from(hess)] += ridge
    return value, grad, hess


def bt_objective(theta, phi, wins, *, ridge: float = 0.0):
    r"""Penalized BT negative log-likelihood, its gradient and Hessian at ``theta``.

    Parameters
    ----------
    theta : array_like, shape (d,)
    phi : array_like, shape (X, Y, d)
        Features :math:`\phi(x, y)`.
    wins : array_like, shape (X, Y, Y)
        ``wins[x, y, y']`` = comparisons of ``y`` with ``y'`` in context ``x`` won by ``y``
        (>= 0).
    ridge : float, default 0
        :math:`\lambda \ge 0` of the penalty :math:`\tfrac{\lambda}{2}\|\theta\|^2`.

    Returns
    -------
    value : float
    grad : ndarray, shape (d,)
    hess : ndarray, shape (d, d)

    Raises
    ------
    ValueError
        Bad shapes, non-finite or negative entries, ``ridge < 0``.
    """
    phi, z, w = _check_data(phi, wins)
    theta = as_float_array("theta", theta, shape=(phi.shape[2],))
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    return _objective(theta, z, w, ridge)


def _factor_or_none(M):
    d = M.shape[0]
    ev = np.linalg.eigvalsh(M)
    if not ev[0] > d * np.finfo(float).eps * max(abs(ev[-1]), np.finfo(float).tiny):
        return None
    return linalg.cho_factor(M, lower=True)


def _separable(z: np.ndarray) -> bool:
    r"""Whether some :math:`\theta \ne 0` has :math:`z_i^\top \theta \ge 0` for every observed
    comparison (complete or quasi-complete separation: the likelihood then increases along
    :math:`\theta` forever, Albert & Anderson 1984).  For ``z`` of full column rank such a
    :math:`\theta` has :math:`\sum_i z_i^\top\theta > 0`, so it is the LP
    :math:`\max \{\sum_i z_i^\top \theta : Z\theta \ge 0, \|\theta\|_\infty \le 1\}
    > 0` (HiGHS)."""
    c = -z.sum(axis=0)
    res = optimize.linprog(c, A_ub=-z, b_ub=np.zeros(len(z)), bounds=[(-1.0, 1.0)] * z.shape[1],
                           method="highs")
    if res.status != 0:                            # pragma: no cover - bounded, feasible LP
        raise RuntimeError(f"bt_mle: separability LP failed ({res.message})")
    return -res.fun > 1e-9 * max(1.0, float(np.abs(z).sum()))


def bt_mle(phi, wins, *, ridge: float = 0.0, tol: float = 1e-10, max_iter: int = 100,
           theta0=None) -> BTEstimate:
    r"""Bradley-Terry (ridge-)MLE of a linear reward by Newton's method.

    Minimizes :math:`\ell(\theta) = \sum W \log(1 + e^{-\theta^\top z}) +
    \tfrac{\lambda}{2}\|\theta\|^2` (see the module docstring).

    Parameters
    ----------
    phi : array_like, shape (X, Y, d)
        Features :math:`\phi(x, y)`.
    wins : array_like, shape (X, Y, Y)
        ``wins[x, y, y']`` = comparisons of ``y`` with ``y'`` in context ``x`` won by ``y``
        (non-negative; need not be integers).  Diagonal entries contribute a constant.
    ridge : float, default 0
        :math:`\lambda \ge 0`.  With ``ridge = 0`` the MLE exists and is unique iff the
        differences :math:`z` of the compared pairs span :math:`\mathbb R^d` and no direction
        separates the outcomes.
    tol : float, default 1e-10
        Stopping residual: stop at the first iterate with
        :math:`\|\nabla\ell(\theta)\|_2 \le \mathrm{tol} \cdot \max(1, \sum W \|z\|_2)`
        (the bracket bounds the gradient's terms, so ``tol`` is relative).
    max_iter : int, default 100
        Newton steps allowed (quadratic convergence needs far fewer).
    theta0 : array_like, shape (d,), optional
        Starting point (default 0).

    Returns
    -------
    BTEstimate

    Raises
    ------
    ValueError
        Bad shapes / entries, ``ridge < 0``, ``tol <= 0``; with ``ridge = 0``, ``wins`` whose
        compared differences do not span :math:`\mathbb R^d` (no unique MLE) or are
        separable (no finite MLE; checked by a linear program).
    RuntimeError
        No convergence within ``max_iter`` steps or a failed line search.

    Guarantee
    ---------
    :math:`\ell` is convex, so Newton's method with backtracking converges to its minimizer,
    quadratically near it when :math:`\nabla^2\ell \succ 0` (Boyd & Vandenberghe 2004,
    Sec. 9.5.3); the returned ``grad_norm <= tol_used`` certifies stationarity.  For
    ``wins`` equal to the expected counts :math:`M \sigma(\theta^{*\top} z)` the gradient at
    :math:`\theta^*` is 0, so ``ridge = 0`` recovers :math:`\theta^*` exactly [D].
    """
    phi, z, w = _check_data(phi, wins)
    d = phi.shape[2]
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    tol = check_positive_float("tol", tol)
    max_iter = check_positive_int("max_iter", max_iter)
    theta = (np.zeros(d) if theta0 is None
             else as_float_array("theta0", theta0, shape=(d,)).copy())
    design = (z * w[:, None]).T @ z
    design = 0.5 * (design + design.T)
    design[np.diag_indices_from(design)] += ridge
    if _factor_or_none(design) is None:
        raise ValueError("wins: the compared feature differences do not span R^d, so the "
                         "MLE is not unique; use ridge > 0")
    if ridge == 0.0 and _separable(z):
        raise ValueError("wins: the comparisons are separable (a direction of theta wins "
                         "every comparison it does not tie), so the likelihood has no finite "
                         "maximizer; use ridge > 0")
    scale = max(1.0, float(w @ np.linalg.norm(z, axis=1)))
    thr = tol * scale
    slack = 8 * np.finfo(float).eps
    value, grad, hess = _objective(theta, z, w, ridge)
    n_iter = 0
    while True:
        gnorm = float(np.linalg.norm(grad))
        if gnorm <= thr:
            break
        if n_iter >= max_iter:
            raise RuntimeError(f"bt_mle: no convergence in max_iter={max_iter} Newton steps "
                               f"(gradient norm {gnorm:.3g} > {thr:.3g}); with ridge = 0 the "
                               f"comparisons may be separable (no finite MLE): use ridge > 0")
        fac = _factor_or_none(hess)
        if fac is None:
            raise RuntimeError("bt_mle: the Hessian became singular (curvature vanished: "
                               "the comparisons are likely separable, no finite MLE); use "
                               "ridge > 0")
        step = -linalg.cho_solve(fac, grad)
        slope = float(grad @ step)
        t = 1.0
        while True:
            cand = theta + t * step
            v_new = _objective(cand, z, w, ridge, need_hessian=False)[0]
            if v_new <= value + 0.25 * t * slope + slack * abs(value):
                break
            t *= 0.5
            if t < 1e-12:
                raise RuntimeError("bt_mle: line search failed (no decrease along the Newton "
                                   "direction)")
        theta = cand
        value, grad, hess = _objective(theta, z, w, ridge)
        n_iter += 1
    freeze(theta, hess, design)
    return BTEstimate(theta, hess, design, gnorm, thr, value, n_iter)


def comparison_pairs(phi, wins) -> tuple[np.ndarray, np.ndarray]:
    r"""The observed comparisons as (difference, weight) rows: the sufficient statistic of
    :math:`\ell`.

    Parameters
    ----------
    phi : array_like, shape (X, Y, d)
    wins : array_like, shape (X, Y, Y)
        As in :func:`bt_mle`.

    Returns
    -------
    z : ndarray, shape (n_pairs, d)
        :math:`\phi(x, y) - \phi(x, y')` for every ``(x, y, y')`` with ``wins > 0``
        (row-major order of ``wins``).
    w : ndarray, shape (n_pairs,)
        The corresponding counts.

    Raises
    ------
    ValueError
        Bad shapes, non-finite or negative entries.
    """
    _, z, w = _check_data(phi, wins)
    return np.ascontiguousarray(z), np.ascontiguousarray(w)


def bt_loss_pairs(theta: np.ndarray, z: np.ndarray, w: np.ndarray, ridge: float = 0.0,
                  hessian: bool = True):
    r""":math:`\ell`, :math:`\nabla\ell` and (if ``hessian``) :math:`\nabla^2\ell` from the
    rows of :func:`comparison_pairs` (no validation: the inner loop of iterative solvers,
    e.g. :mod:`rlth.algorithms.preference.vpo`; same numbers as :func:`bt_objective`).

    Returns
    -------
    value : float
    grad : ndarray, shape (d,)
    hess : ndarray, shape (d, d) or None
    """
    return _objective(theta, z, w, ridge, need_hessian=hessian)
